//! The main future: the one `block_on` (or a `Run`) polls itself.
//!
//! `block_on`'s future is not a task: it lives on `block_on`'s stack, is
//! polled by `block_on` directly, and never enters a queue or the task
//! list. But it has wakers like any future, and the executor must count
//! them (a future whose last waker is gone can never be woken: the
//! lost-waker and `deadlock:` reports). So it gets a **header** like a
//! task's (task.rs) with no stage behind it: id 0, one reference for the
//! run loop, one per waker clone.
//!
//! This file is everything that treats the main future differently; the
//! rest of the executor only passes its header along. Read after the four
//! core files.
//
// How it works
// ------------
//
//   wake(header)   (the MAIN waker table below)
//     set SCHEDULED (waker.rs `set_scheduled`)
//     not on the executor's thread? -> inbox.nudge(): unpark the executor
//
//   block_on's loop (run_loop.rs)          a Run's poll (run.rs)
//     poll the future                        the same, with a header of
//     turn until `take_wake(header)`         its own per `Run`
//
// The header never enters a queue, so SCHEDULED only says "woken since the
// last poll". `woken` peeks at it to stop a turn early; `take_wake` clears
// it with the ordering that makes the wake happen before the next poll.
//
// One header per run loop serves every `block_on` in turn. A waker of an
// earlier `block_on` that is still alive would make a later future look
// woken (or not lost), so `fresh` replaces the header when one is left.
// (Rejected alternative: a new header per `block_on`: one allocation per
// call, for a case that almost never happens.)

use super::current::is_local;
use super::drop_waker::drop_waker;
use super::ending::Ending;
use super::task::{COMPLETE, Header, REF_ONE, Ran, SCHEDULED, TaskInbox, TaskRef, Vtable, refs};
use super::waker::set_scheduled;
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::{Arc, FreeCheck, UnsafeCell};
use std::cell::Cell;
use std::mem::ManuallyDrop;
use std::task::{RawWaker, RawWakerVTable, Waker};

/// Allocates a header for a main future: no stage, one reference (the run
/// loop's, or the `Run`'s), not scheduled.
pub(crate) fn new(inbox: Arc<TaskInbox>) -> TaskRef {
    static NO_STAGE: Vtable = Vtable {
        poll: |_, _| unreachable!("the main future is polled by block_on"),
        cancel: |_| Ran::Finished(Ending::Aborted),
        take_output: |_, _| unreachable!("the main future has no JoinHandle"),
        drop_stage: |_| {},
        dealloc,
    };
    let header = Box::new(Header {
        state: AtomicUsize::new(REF_ONE),
        vtable: &NO_STAGE,
        inbox,
        index: Cell::new(u32::MAX),
        id: 0,
        join_waker: UnsafeCell::new(None),
        free_check: FreeCheck::new(),
    });
    TaskRef::from_raw(Box::into_raw(header) as *const ())
}

/// Frees a header made by `new`.
unsafe fn dealloc(header: TaskRef) {
    header.header().free_check.freed();
    // SAFETY: the last reference is gone; `new` made the header with
    // `Box::into_raw`.
    drop(unsafe { Box::from_raw(header.as_raw() as *mut Header) });
}

/// Ends a header's use (its `block_on`'s executor shuts down, or its `Run`
/// ends): wakes from wakers still alive become no-ops.
pub(crate) fn close(header: TaskRef) {
    // AcqRel: a late waker on another thread must see COMPLETE.
    header.header().state.fetch_or(COMPLETE, Ordering::AcqRel);
    header.release(REF_ONE);
}

/// The header in `slot`, replaced first if wakers of an earlier
/// `block_on` are still alive (they would hide a lost waker), with any
/// stale wake cleared.
#[inline]
pub(crate) fn fresh(slot: &Cell<TaskRef>) -> TaskRef {
    let header = slot.get();
    // Acquire: pairs with the AcqRel release of a waker on another thread.
    let state = header.header().state.load(Ordering::Acquire);
    if state == REF_ONE {
        // The common case, in one comparison: no waker left from an
        // earlier `block_on`, and no stale wake.
        return header;
    }
    if refs(state) > 1 {
        slot.set(new(header.header().inbox.clone()));
        close(header); // a stale waker now does nothing
    } else if woken(header) {
        // Relaxed: nothing was published through a stale wake; only its
        // flag is cleared so the first poll is not a "wake".
        header
            .header()
            .state
            .fetch_and(!SCHEDULED, Ordering::Relaxed);
    }
    slot.get()
}

/// True if the main future was woken (a hint: `take_wake` decides).
#[inline]
pub(crate) fn woken(header: TaskRef) -> bool {
    // Relaxed: only a hint to stop a turn early; `take_wake` does the
    // AcqRel step that orders the wake before the poll.
    header.header().state.load(Ordering::Relaxed) & SCHEDULED != 0
}

/// Clears the main future's wake, if there was one.
#[inline]
pub(crate) fn take_wake(header: TaskRef) -> bool {
    // AcqRel: the acquire half sees what the waker published before
    // waking; the release half orders the next poll after the clear.
    woken(header)
        && header
            .header()
            .state
            .fetch_and(!SCHEDULED, Ordering::AcqRel)
            & SCHEDULED
            != 0
}

// --- its waker ---------------------------------------------------------------

static MAIN: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A waker for the main future that is never dropped (the caller's
/// reference keeps the header alive), as `waker::borrowed` for a task.
#[inline]
pub(crate) fn borrowed(header: TaskRef) -> ManuallyDrop<Waker> {
    // SAFETY: MAIN's functions only touch a live header, which `header` is
    // while the caller holds its reference; ManuallyDrop keeps `drop` from
    // running for this uncounted waker.
    ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(header.as_raw(), &MAIN)) })
}

/// The header behind a main future's waker, if `waker` is one.
pub(crate) fn header_of(waker: &Waker) -> Option<TaskRef> {
    std::ptr::eq(waker.vtable(), &MAIN).then(|| TaskRef::from_raw(waker.data()))
}

fn clone(ptr: *const ()) -> RawWaker {
    TaskRef::from_raw(ptr).add_ref();
    RawWaker::new(ptr, &MAIN)
}

fn wake(ptr: *const ()) {
    wake_by_ref(ptr);
    drop_waker(ptr);
}

fn wake_by_ref(ptr: *const ()) {
    let header = TaskRef::from_raw(ptr);
    // Only the flag: block_on's loop looks at it after every poll. From
    // another thread, the executor may be parked: nudge it.
    if set_scheduled(header) && !is_local(header) {
        header.header().inbox.nudge();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn the_header_stays_small() {
        // state, vtable, inbox, index+id, join_waker (two words): the
        // header of every task (task.rs), and of block_on's own future.
        let atomic = std::mem::size_of::<AtomicUsize>();
        assert_eq!(std::mem::size_of::<Header>(), atomic + 5 * 8);
    }
}
