//! The ready list behind [`join_all`](super::join_all) and
//! [`try_join_all`](super::try_join_all): one waker per child, and a list of
//! the children that were woken, so the parent re-polls only those.
//!
//! Internal; there is nothing to call from outside. The point, for a
//! reader: with 100,000 children each woken once, the parent polls each
//! child about twice (the first poll, and once after its wake), not
//! 100,000 times 100,000 / 2 as a "poll everybody on every wake" join would.

// How it works
//
// One allocation holds everything (`Arc<Shared>`): the head of a lock-free
// stack of woken children, the parent's waker, and one `Node` per child.
// A child's waker is a pointer to its `Node` (a hand-made `RawWaker`);
// cloning it bumps the `Arc`'s count, so no per-child allocation happens.
//
//       child i's waker                           parent's poll
//   node.queued: false -> true   (already true: stop, it is listed)
//   push index i onto `head`     ----------->  swap `head` with EMPTY,
//   head was empty? wake parent                 walk the list: for each node
//                                                 read `next`, set queued=false,
//                                                 poll child i
//
// Node states:  Idle (queued=false) --wake--> Listed (queued=true)
//               Listed --parent takes it--> Idle, then the child is polled
//
// Why waking the parent only on "empty -> non-empty" is enough: after the
// parent empties the list, the first push sees EMPTY and wakes it; every
// later push lands on a list the parent will take on that woken poll.
//
// Why the stack is safe without ABA worries: children only push, and the
// parent only takes the whole list at once (`swap`), never pops one node.
//
// Why a node is 16 bytes (the speed trick of this file): the polls cost
// the same per child at 1,000 and at 1,000,000 children (measured: the
// nodes are walked in order, which the CPU prefetches well), but building
// a million nodes writes memory that is fresh (each new 4 KiB page is a
// page fault when first written), so that part follows the bytes per
// child. A node used to be 24 bytes (a flag, a `next` pointer, a pointer
// back to `Shared`); `next` is now a `u32` index, which packs with the
// flag into 8 bytes: 16 MB instead of 24 MB per million children.
// Rejected for this: 8-byte nodes in 256-byte aligned blocks that find
// their header by rounding their address down (measured: no faster, as
// the aligned allocation got fresh pages from the allocator every time).
//
// Rejected: `Mutex<Vec<usize>>` as the ready list (simple, but a lock per
// wake) and an `Arc` per child (one allocation per child, as `futures`'
// `FuturesUnordered` does); both are slower at a million children. Also
// rejected: keeping the futures inside the nodes, in one array (one cache
// line per child instead of two): the `Arc` would then own the futures,
// and the last waker, on any thread, would drop them; futures need not be
// `Send`.
//
// Orderings: the pusher's `compare_exchange` on `head` is Release and the
// parent's `swap` is Acquire, so the parent sees every `next` written
// before a push. `queued` uses AcqRel swaps on both sides so that a wake
// that found `queued == true` (and so did nothing) still publishes what
// the waking thread wrote before it to the parent's following poll.

use std::mem::ManuallyDrop;
use std::ptr;
use std::task::{Context, RawWaker, RawWakerVTable, Waker};

use crate::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use crate::sync::{Arc, Mutex};

/// `head` / `next` value meaning "no node": the end of the list.
const EMPTY: u32 = u32::MAX;

/// The shared ready list of one `join_all` / `try_join_all`.
pub(crate) struct WakeList {
    shared: Arc<Shared>,
}

struct Shared {
    /// Index of the top of the stack of woken children (`EMPTY` if none).
    head: AtomicU32,
    /// The waker of the task polling the join; woken on empty -> non-empty.
    parent: Mutex<Option<Waker>>,
    nodes: Box<[Node]>,
}

struct Node {
    /// `true` while the node is on the stack (or about to be pushed).
    queued: AtomicBool,
    /// Index of the node below this one on the stack (`EMPTY`: bottom).
    next: AtomicU32,
    /// Back to the owning allocation, for the refcount and the stack head.
    shared: *const Shared,
}

// SAFETY: `Node::shared` is a pointer into an `Arc<Shared>` that outlives
// every node (the nodes live inside it); everything else in `Shared` is an
// atomic, a `Mutex` or immutable after creation, so sharing
// between threads is fine. `Waker` must be `Send + Sync`, and these are
// the data behind our wakers.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

impl WakeList {
    /// A ready list for `n` children, all initially idle.
    #[track_caller]
    pub(crate) fn new(n: usize) -> WakeList {
        assert!(
            n < EMPTY as usize,
            "join_all / try_join_all: at most {} futures",
            EMPTY - 1
        );
        let nodes = (0..n)
            .map(|_| Node {
                queued: AtomicBool::new(false),
                next: AtomicU32::new(EMPTY),
                shared: ptr::null(),
            })
            .collect();
        let mut shared = Arc::new(Shared {
            head: AtomicU32::new(EMPTY),
            parent: Mutex::new(None),
            nodes,
        });
        let back = Arc::as_ptr(&shared);
        let only = Arc::get_mut(&mut shared).expect("just created, so unshared");
        for node in only.nodes.iter_mut() {
            node.shared = back;
        }
        WakeList { shared }
    }

    /// Stores the parent's waker (skipping the clone if it is the same).
    pub(crate) fn set_parent_waker(&self, waker: &Waker) {
        let mut slot = self.shared.parent.lock();
        match &*slot {
            Some(old) if old.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }

    /// Calls `f` with a context whose waker lists child `index` when woken.
    #[inline]
    pub(crate) fn with_child_waker<R>(
        &self,
        index: usize,
        f: impl FnOnce(&mut Context<'_>) -> R,
    ) -> R {
        let node: *const Node = &self.shared.nodes[index];
        // SAFETY: the data pointer is a live `Node` inside `self.shared`,
        // which outlives this call; wrapped in `ManuallyDrop`, the borrowed
        // waker never runs `drop_waker`, matching the refcount we did not
        // take. Clones the child makes take their own count.
        let waker =
            ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(node.cast(), &VTABLE)) });
        f(&mut Context::from_waker(&waker))
    }

    /// Takes every child woken since the last call and calls `f` with each
    /// index (most recently woken first).
    pub(crate) fn take_woken(&self, mut f: impl FnMut(usize)) {
        // Acquire: pairs with the Release push, so each `next` is visible.
        let mut index = self.shared.head.swap(EMPTY, Ordering::Acquire);
        while index != EMPTY {
            let i = index as usize;
            // SAFETY: only indices of our own nodes are ever pushed (the
            // unchecked access skips a bounds check on the hot path).
            let node = unsafe { self.shared.nodes.get_unchecked(i) };
            // Read `next` first: once `queued` is false the node may be
            // pushed again, overwriting `next`.
            index = node.next.load(Ordering::Relaxed);
            // AcqRel: see the module comment (a wake that saw `true`).
            node.queued.swap(false, Ordering::AcqRel);
            f(i);
        }
    }
}

impl Node {
    /// What every waker of this child does when woken.
    fn wake(&self) {
        // AcqRel: Release publishes the waker's earlier writes to the parent.
        if self.queued.swap(true, Ordering::AcqRel) {
            return; // already listed; the parent will poll this child
        }
        // SAFETY: `shared` was set at creation and the allocation is kept
        // alive by the waker calling us (or by the `WakeList`).
        let shared = unsafe { &*self.shared };
        // A node's index is its distance from the first node.
        // SAFETY: both pointers are into the same `nodes` slice.
        let index = unsafe { (self as *const Node).offset_from(shared.nodes.as_ptr()) } as u32;
        let mut head = shared.head.load(Ordering::Relaxed);
        loop {
            self.next.store(head, Ordering::Relaxed);
            // Release: pairs with the parent's Acquire swap in `drain`.
            match shared.head.compare_exchange_weak(
                head,
                index,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => head = actual,
            }
        }
        if head == EMPTY {
            // The list was empty: nobody has woken the parent since it last
            // drained. Clone outside the lock's scope, wake after.
            let parent = shared.parent.lock().clone();
            if let Some(parent) = parent {
                parent.wake();
            }
        }
    }
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: `data` is a `Node` whose `Shared` is alive (the caller holds
    // a waker, so a count or the `WakeList` keeps it alive); we take one
    // more count for the new waker, given back in `drop_waker`.
    unsafe { Arc::increment_strong_count((*data.cast::<Node>()).shared) };
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: same contract as `wake_by_ref` followed by `drop_waker`.
    unsafe {
        wake_by_ref(data);
        drop_waker(data);
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: `data` points to a live `Node` (see `clone_waker`).
    unsafe { (*data.cast::<Node>()).wake() }
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: this waker owned one count, taken in `clone_waker`.
    unsafe { Arc::decrement_strong_count((*data.cast::<Node>()).shared) }
}
