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
//                          Running --its poll panics--> Panicked
//     Done, Panicked --take()--> Free   (the owner decides when, and in
//                                        what order: completion or input)
//
// A panic in a future's poll is caught, the future dropped, the slot
// marked `Panicked` (finished, no output), and the panic handed back to
// the owner, who records the slot as finished and then re-raises it: the
// caller of `poll_next` sees the panic, and the stream stays usable (that
// item is simply missing), as with `futures`' `buffer_unordered`.
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

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Poll, Waker};

use crate::future::wake_list::WakeList;

/// The largest `n` a `WakeList` can index (it keeps `u32::MAX` for "none").
pub(super) const MAX_IN_FLIGHT: usize = u32::MAX as usize - 1;

/// What a future's poll panicked with, to be re-raised by the owner once
/// its own bookkeeping is done.
pub(super) type Panic = Box<dyn Any + Send>;

/// The state of one slot (see the diagram above).
enum Slot<Fut: Future> {
    Free,
    Running(Fut),
    Done(Fut::Output),
    /// Its poll panicked; the future was dropped. Counts as finished with
    /// no output, so that a panic never leaves a slot busy forever.
    Panicked,
}

/// What [`InFlight::take`] found in a slot.
pub(super) enum Taken<T> {
    /// Finished: the output (the slot is free again).
    Output(T),
    /// Its future panicked (the slot is free again): skip it.
    Lost,
    /// Still running, or free.
    NotDone,
}

/// `n` slots for running futures and their wakers.
pub(super) struct InFlight<Fut: Future> {
    slots: Box<[Slot<Fut>]>,
    wake_list: WakeList,
    /// Slots that are `Running`, `Done` or `Panicked`.
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

    /// The size hint of a buffering stream: what is in flight, plus what
    /// the source may still give (`source`), unless it is done.
    pub(super) fn size_hint(
        &self,
        source: (usize, Option<usize>),
        source_done: bool,
    ) -> (usize, Option<usize>) {
        let busy = self.busy;
        if source_done {
            return (busy, Some(busy));
        }
        let (lower, upper) = source;
        (
            lower.saturating_add(busy),
            upper.and_then(|u| u.checked_add(busy)),
        )
    }

    /// The waker to wake when a slot is woken: the task polling the stream.
    pub(super) fn register(&self, waker: &Waker) {
        self.wake_list.set_parent_waker(waker);
    }

    /// Puts `fut` in the free slot `i` and polls it once at once (its first
    /// poll); `Ok(true)` if it finished right away (the slot is then
    /// `Done`), `Err` if that poll panicked (the slot is then finished with
    /// no output; the owner re-raises the panic after its bookkeeping).
    pub(super) fn start(&mut self, i: usize, fut: Fut) -> Result<bool, Panic> {
        debug_assert!(matches!(self.slots[i], Slot::Free), "slot {i} is busy");
        self.slots[i] = Slot::Running(fut);
        self.busy += 1;
        poll_slot(&mut self.slots, &self.wake_list, i)
    }

    /// Polls every slot woken since the last call, in the order they were
    /// woken; calls `on_done(i)` for each one that finished now (or
    /// panicked). Returns the first panic, after polling all of them.
    pub(super) fn poll_woken(&mut self, mut on_done: impl FnMut(usize)) -> Option<Panic> {
        let InFlight {
            slots,
            wake_list,
            woken,
            ..
        } = self;
        // The list hands them out newest first; reversed, the future woken
        // first is polled (and so finishes) first.
        wake_list.take_woken(|i| woken.push(i as u32));
        let mut panic = None;
        while let Some(i) = woken.pop() {
            match poll_slot(slots, wake_list, i as usize) {
                Ok(false) => {}
                Ok(true) => on_done(i as usize),
                Err(payload) => {
                    on_done(i as usize);
                    panic.get_or_insert(payload);
                }
            }
        }
        panic
    }

    /// Takes what slot `i` holds if it finished, freeing it.
    pub(super) fn take(&mut self, i: usize) -> Taken<Fut::Output> {
        // Look before replacing: a running future must never be moved out
        // of its slot, not even to be put back.
        if !matches!(self.slots[i], Slot::Done(_) | Slot::Panicked) {
            return Taken::NotDone;
        }
        self.busy -= 1;
        match std::mem::replace(&mut self.slots[i], Slot::Free) {
            Slot::Done(out) => Taken::Output(out),
            _ => Taken::Lost,
        }
    }
}

/// Polls slot `i` if it is running, with its own waker; `Ok(true)` if it
/// finished now (it is then `Done`), `Err` if it panicked (then `Panicked`).
fn poll_slot<Fut: Future>(
    slots: &mut [Slot<Fut>],
    wake_list: &WakeList,
    i: usize,
) -> Result<bool, Panic> {
    let Slot::Running(fut) = &mut slots[i] else {
        return Ok(false); // a stale wake of a free or finished slot
    };
    // SAFETY: the slots live in a boxed slice that is never reallocated,
    // and a running future is never moved out of its slot: it is only
    // dropped in place (overwritten by `Done` or `Panicked`, or dropped
    // with the box).
    let fut = unsafe { Pin::new_unchecked(fut) };
    // AssertUnwindSafe: after a panic the future is dropped, never polled
    // again, so no broken invariant inside it can be observed.
    match catch_unwind(AssertUnwindSafe(|| {
        wake_list.with_child_waker(i, |cx| fut.poll(cx))
    })) {
        Ok(Poll::Ready(out)) => {
            slots[i] = Slot::Done(out); // drops the finished future in place
            Ok(true)
        }
        Ok(Poll::Pending) => Ok(false),
        Err(payload) => {
            slots[i] = Slot::Panicked;
            Err(payload)
        }
    }
}
