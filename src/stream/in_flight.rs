//! `InFlight`: a fixed number of slots for futures that run at the same
//! time, the engine behind [`Buffered`](super::Buffered) and
//! [`BufferUnordered`](super::BufferUnordered). Internal.
//!
//! The point, for a reader: the `n` in `buffered(n)` is a real bound. The
//! slots are allocated once, `n` of them; a future is only ever pulled from
//! the source stream into a free slot, so at most `n` run (or wait to be
//! handed out) at any moment, and while they are all busy the source stream
//! is not polled at all. That is back-pressure: the source is read at the
//! pace the consumer takes the outputs.

// How it works
//
//   slots:  [Running(f)] [Done(out)] [Free] ...   n of them, never moved
//   wakers: the `WakeList` of `join_all` (crate::future::wake_list), one
//           node per slot: waking slot i lists i and wakes the parent task
//
//   Slot states:
//     Free --start(fut)--> Running --its poll: Ready(out)--> Done(out)
//     Done --take()--> Free          (the owner decides when, and in what
//                                     order: completion or input order)
//
// A slot is reused after `take`, so a waker left over from its previous
// future may still list it; that costs the new future one extra poll, which
// futures must tolerate anyway (spurious polls are allowed). A wake that
// lists a `Free` or `Done` slot is ignored.
//
// Shared state: the only state touched from other threads is the
// `WakeList`'s, unchanged and checked by `tests/loom_join_all.rs`; the
// slots themselves are only touched by the task that polls the stream.
// So this file needs no loom model of its own.
//
// Rejected: a `Box` (or an `Arc`, as `futures`' `FuturesUnordered` has) per
// future; slots reused in place allocate nothing per item.

use std::future::Future;
use std::pin::Pin;
use std::task::{Poll, Waker};

use crate::future::wake_list::WakeList;

/// The largest `n` a `WakeList` can index (it keeps `u32::MAX` for "none").
pub(super) const MAX_IN_FLIGHT: usize = u32::MAX as usize - 1;

/// The state of one slot (see the diagram above).
enum Slot<Fut: Future> {
    Free,
    Running(Fut),
    Done(Fut::Output),
}

/// `n` slots for running futures and their wakers.
pub(super) struct InFlight<Fut: Future> {
    slots: Box<[Slot<Fut>]>,
    wake_list: WakeList,
    /// Slots that are `Running` or `Done`.
    busy: usize,
    /// The woken slots of one `poll_woken`, kept to reuse its allocation.
    woken: Vec<u32>,
}

impl<Fut: Future> InFlight<Fut> {
    /// `n` free slots (`1 <= n <= MAX_IN_FLIGHT`, checked by the caller).
    pub(super) fn new(n: usize) -> Self {
        InFlight {
            slots: (0..n).map(|_| Slot::Free).collect(),
            wake_list: WakeList::new(n),
            busy: 0,
            woken: Vec::new(),
        }
    }

    /// How many slots there are.
    pub(super) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// How many slots are running or holding an output.
    pub(super) fn busy(&self) -> usize {
        self.busy
    }

    /// The waker to wake when a slot is woken: the task polling the stream.
    pub(super) fn register(&self, waker: &Waker) {
        self.wake_list.register(waker);
    }

    /// Puts `fut` in the free slot `i` and polls it once at once (its first
    /// poll); `true` if it finished right away (the slot is then `Done`).
    pub(super) fn start(&mut self, i: usize, fut: Fut) -> bool {
        debug_assert!(matches!(self.slots[i], Slot::Free), "slot {i} is busy");
        self.slots[i] = Slot::Running(fut);
        self.busy += 1;
        self.poll_slot(i)
    }

    /// Polls every slot woken since the last call, in the order they were
    /// woken; calls `on_done(i)` for each one that finished now.
    pub(super) fn poll_woken(&mut self, mut on_done: impl FnMut(usize)) {
        let InFlight {
            slots,
            wake_list,
            woken,
            ..
        } = self;
        // The list hands them out newest first; reversed, the future woken
        // first is polled (and so finishes) first.
        wake_list.drain(|i| woken.push(i as u32));
        while let Some(i) = woken.pop() {
            if poll_slot(slots, wake_list, i as usize) {
                on_done(i as usize);
            }
        }
    }

    /// `Some(output)` if slot `i` is `Done`, freeing it; otherwise `None`.
    pub(super) fn take(&mut self, i: usize) -> Option<Fut::Output> {
        // Look before replacing: a running future must never be moved out
        // of its slot, not even to be put back.
        if !matches!(self.slots[i], Slot::Done(_)) {
            return None;
        }
        let Slot::Done(out) = std::mem::replace(&mut self.slots[i], Slot::Free) else {
            unreachable!("checked above");
        };
        self.busy -= 1;
        Some(out)
    }

    fn poll_slot(&mut self, i: usize) -> bool {
        poll_slot(&mut self.slots, &self.wake_list, i)
    }
}

/// Polls slot `i` if it is running, with its own waker; `true` if it
/// finished now (it is then `Done`).
fn poll_slot<Fut: Future>(slots: &mut [Slot<Fut>], wake_list: &WakeList, i: usize) -> bool {
    let Slot::Running(fut) = &mut slots[i] else {
        return false; // a stale wake of a free or finished slot
    };
    // SAFETY: the slots live in a boxed slice that is never reallocated,
    // and a running future is never moved out of its slot: it is only
    // dropped in place (overwritten by `Done`, or dropped with the box).
    let fut = unsafe { Pin::new_unchecked(fut) };
    match wake_list.with_child(i, |cx| fut.poll(cx)) {
        Poll::Ready(out) => {
            slots[i] = Slot::Done(out); // drops the finished future in place
            true
        }
        Poll::Pending => false,
    }
}
