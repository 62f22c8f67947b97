//! The shared state behind a [`CancellationToken`](super::CancellationToken)
//! and its protocol: one `TokenNode` per token (its clones share it), linked
//! into a tree of parents and children. Internal; users hold tokens.

// How it works
// ------------
//
// A node is a state word, a count of the token handles that point at it,
// and, under a `Mutex`, the list of what must be told when it is cancelled:
// the wakers of the `cancelled()` futures waiting on it, and its children.
//
//          register a waiter or a child
//   Live ---------------------------------> Watched
//    |      (fetch_or LISTED, under the lock)  |
//    | cancel: fetch_or CANCELLED               | cancel: fetch_or CANCELLED,
//    | (saw Live: nobody to tell, no lock)      | then lock, take the list,
//    v                                          v unlock, wake / cancel each
//   Cancelled <---------------------------------+
//
// The fast paths never lock: `is_cancelled` is one load, and `cancel` on a
// token nobody waits on is one `fetch_or`. Only a token with waiters or
// children pays for the lock, once.
//
// No lost wake-up. A waiter locks the list, *then* sets LISTED with a
// read-modify-write and looks at what it replaced (the re-check):
// * it saw CANCELLED: the canceller may already have taken the list, so the
//   waiter does not register; it is ready.
// * it did not: the canceller's own `fetch_or` comes later in the word's
//   order, so the canceller sees LISTED and locks the list; the waiter holds
//   that lock until its waker is in, so the canceller finds it.
// Both steps must be one RMW each: a load followed by a store could erase a
// CANCELLED set in between (the `split_rmw` bug in tests/loom_cancel.rs).
//
// Children. A child node is in its parent's list (held by `Arc`) and knows
// its parent and its key there. Cancelling walks the tree with an explicit
// stack (no recursion, so a deep chain cannot overflow). A child is taken
// out of its parent's list when nothing can reach it any more: its last
// handle is gone and it has no children left (whoever makes the second of
// those true does it; doing it twice is harmless, the `ptr_eq` check makes
// it idempotent). A root whose last handle is gone can never be cancelled,
// so it drops its list. These two rules break the parent <-> child `Arc`
// cycles, so nothing leaks (loom's leak check runs on every model).
//
// Rejected: children held by `Weak` (loom has no `Weak`, and every model
// must run the real code), and a lock held across the whole tree walk (a
// waker may run any code; it must not run under our lock).

use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::task::{Poll, Waker};

use super::slab::Slab;
use crate::sync::atomic::{AtomicUsize, Ordering::*};
use crate::sync::{Arc, Mutex};

/// Bit of `TokenNode::state`: the token was cancelled (final).
const CANCELLED: usize = 0b01;
/// Bit of `TokenNode::state`: someone was put in the list (a waiter or a
/// child), so `cancel` must take the lock.
const LISTED: usize = 0b10;

/// The states a token goes through, read from its state word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// Not cancelled, and nothing was ever listed: cancel needs no lock.
    Live,
    /// Not cancelled; waiters or children may be in the list.
    Watched,
    /// Cancelled. Final: nothing is listed any more.
    Cancelled,
}

impl State {
    fn of(word: usize) -> State {
        if word & CANCELLED != 0 {
            State::Cancelled
        } else if word & LISTED != 0 {
            State::Watched
        } else {
            State::Live
        }
    }
}

/// Who must be told when the node is cancelled.
#[derive(Default)]
struct List {
    waiters: Slab<Waker>,
    children: Slab<Arc<TokenNode>>,
}

pub(super) struct TokenNode {
    state: AtomicUsize,
    /// How many `CancellationToken` handles point here (not the `Arc`
    /// count, which also counts the parent's list and children's links).
    handles: AtomicUsize,
    list: Mutex<List>,
    /// The parent and our key in its `children`, for unlinking.
    parent: Option<(Arc<TokenNode>, usize)>,
}

impl TokenNode {
    /// A fresh root, with one handle.
    pub(super) fn root() -> Arc<TokenNode> {
        TokenNode::with(0, None)
    }

    fn with(state: usize, parent: Option<(Arc<TokenNode>, usize)>) -> Arc<TokenNode> {
        Arc::new(TokenNode {
            state: AtomicUsize::new(state),
            handles: AtomicUsize::new(1),
            list: Mutex::new(List::default()),
            parent,
        })
    }

    pub(super) fn state(&self) -> State {
        // Acquire: pairs with the Release `fetch_or` in `cancel`, so a task
        // that sees the token cancelled also sees what the canceller wrote
        // before calling `cancel`.
        State::of(self.state.load(Acquire))
    }

    /// Locks the list and marks the node Watched; `None` if it turned out
    /// to be cancelled already (the re-check, see "How it works").
    fn lock_watched(&self) -> Option<crate::sync::MutexGuard<'_, List>> {
        let list = self.list.lock();
        // Acquire: as in `state`, when this sees CANCELLED.
        match State::of(self.state.fetch_or(LISTED, Acquire)) {
            // The canceller may have taken the list already: do not list.
            State::Cancelled => None,
            // The canceller (if any) comes later and will find what we list.
            State::Live | State::Watched => Some(list),
        }
    }

    /// Ready if cancelled; else registers `waker` (in `key`'s slot, or a
    /// new one whose key is stored in `key`) and returns Pending.
    pub(super) fn poll_cancelled(&self, key: &mut Option<usize>, waker: &Waker) -> Poll<()> {
        // Fast path, lock-free: already cancelled.
        if self.state() == State::Cancelled {
            return Poll::Ready(());
        }
        let Some(mut list) = self.lock_watched() else {
            return Poll::Ready(()); // cancelled between the load and the lock
        };
        // Not cancelled under the lock, so nobody has taken the list since
        // we registered: our slot (if any) is still ours.
        match key.and_then(|k| list.waiters.get_mut(k)) {
            Some(old) if old.will_wake(waker) => {}
            Some(old) => *old = waker.clone(),
            None => *key = Some(list.waiters.insert(waker.clone())),
        }
        Poll::Pending
    }

    /// A waiter that registered under `key` went away.
    pub(super) fn forget_waiter(&self, key: usize) {
        // If the node was cancelled meanwhile, the list was (or is about to
        // be) taken whole; removing from the empty list is a no-op, and a
        // canceller that took it first wakes a waker nobody listens to.
        let removed = self.list.lock().waiters.remove(key);
        drop(removed); // a waker's drop may run code: outside the lock
    }

    /// Makes a child: cancelled with this node, never the reverse. The
    /// child starts cancelled if this node already is.
    pub(super) fn child(this: &Arc<TokenNode>) -> Arc<TokenNode> {
        if this.state() == State::Cancelled {
            return TokenNode::with(CANCELLED, None);
        }
        let Some(mut list) = this.lock_watched() else {
            return TokenNode::with(CANCELLED, None);
        };
        let key = list.children.vacant_key();
        let child = TokenNode::with(0, Some((this.clone(), key)));
        list.children.insert(child.clone());
        child
    }

    /// Cancels this node and every node below it; wakes their waiters.
    pub(super) fn cancel(this: &Arc<TokenNode>) {
        let mut stack = vec![this.clone()];
        let mut panicked = None;
        while let Some(node) = stack.pop() {
            // Release: pairs with the Acquire in `state` / `lock_watched`.
            // (No Acquire needed here: what we read next, the list, is
            // under the mutex.)
            let list = match State::of(node.state.fetch_or(CANCELLED, Release)) {
                // Someone else cancelled it and tells its list.
                State::Cancelled => continue,
                // Nothing was ever listed, and nobody can list now (they
                // would see CANCELLED in their own fetch_or).
                State::Live => continue,
                // Take the whole list; tell it after unlocking.
                State::Watched => mem::take(&mut *node.list.lock()),
            };
            let List {
                mut waiters,
                mut children,
            } = list;
            stack.extend(children.drain());
            for waker in waiters.drain() {
                // A waker is foreign code; if one panics, the others must
                // still be woken and the children still cancelled, so the
                // first panic is held until the walk is over.
                if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| waker.wake())) {
                    panicked.get_or_insert(payload);
                }
            }
        }
        if let Some(payload) = panicked {
            panic::resume_unwind(payload);
        }
    }

    /// A new handle (a token clone).
    pub(super) fn add_handle(&self) {
        // Relaxed: made from an existing handle, like `Arc::clone`.
        self.handles.fetch_add(1, Relaxed);
    }

    /// A handle was dropped; unlinks what nothing can reach any more.
    pub(super) fn drop_handle(this: &Arc<TokenNode>) {
        // AcqRel: the last dropper sees every other handle's earlier work,
        // and the `handles == 0` check below acquires this Release.
        if this.handles.fetch_sub(1, AcqRel) != 1 {
            return;
        }
        let mut node = this.clone();
        loop {
            let Some((parent, key)) = &node.parent else {
                // A root nobody holds can never be cancelled: let its
                // children go (this breaks the parent <-> child cycles).
                let list = mem::take(&mut *node.list.lock());
                drop(list);
                return;
            };
            if !node.list.lock().children.is_empty() {
                // Cancelling the parent must still reach our children; the
                // last of them to leave unlinks us.
                return;
            }
            let mut siblings = parent.list.lock();
            let removed = match siblings.children.get(*key) {
                Some(me) if Arc::ptr_eq(me, &node) => siblings.children.remove(*key),
                _ => None, // already unlinked, or the parent was cancelled
            };
            let parent_done = siblings.children.is_empty();
            drop(siblings);
            drop(removed);
            // Acquire: pairs with the parent's last handle drop (AcqRel).
            if !(parent_done && parent.handles.load(Acquire) == 0) {
                return;
            }
            // We were the parent's last child, and it has no handles: it
            // must leave its own parent now.
            let parent = parent.clone();
            node = parent;
        }
    }
}
