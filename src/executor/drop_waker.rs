//! Dropping a waker: the `drop` of the waker table (waker.rs), for a
//! task's waker and for block_on's (main_header.rs).
//!
//! Dropping is a reference-count decrement, with one twist kept for the
//! "nothing hangs silently" promise (diagnostics.rs): when the last waker
//! of a waiting task goes away on another thread, the executor may be
//! parked, counting on that waker; it is nudged so that it re-runs its
//! lost-waker and deadlock checks instead of sleeping forever. Read after
//! the four core files.
//
// The decrement is a CAS loop rather than a `fetch_sub` because the nudge
// needs the inbox, which we may only touch while our reference still keeps
// the task alive: we must know *before* letting go whether ours is that
// last waker. Under loom, removing the nudge makes
// `last_waker_dropped_remotely` fail (seeded bug `exec-no-remote-nudge`).
// (Rejected alternative: no nudge; a parked executor whose only hope was
// that waker would sleep forever without a word.)

use super::current::is_local;
use super::task::{COMPLETE, JOIN, REF_ONE, SCHEDULED, TaskRef, refs};
use crate::sync::atomic::Ordering;

/// The `drop` of both waker tables: gives up this waker's reference.
pub(crate) fn drop_waker(ptr: *const ()) {
    let task = TaskRef::from_raw(ptr);
    let state = &task.header().state;
    task.header().free_check.last_use();
    // Relaxed: only a first guess for the CAS below, which re-reads.
    let mut current = state.load(Ordering::Relaxed);
    loop {
        if is_last_waker_of_waiting_task(current) && !is_local(task) {
            let inbox = task.header().inbox.clone();
            task.release(REF_ONE);
            return inbox.nudge();
        }
        // AcqRel, as in `TaskRef::release`.
        match state.compare_exchange_weak(
            current,
            current - REF_ONE,
            Ordering::AcqRel,
            Ordering::Relaxed,
        ) {
            Ok(prev) if refs(prev) == 1 => {
                // SAFETY: that was the last reference.
                return unsafe { (task.header().vtable.dealloc)(task) };
            }
            Ok(_) => return,
            Err(actual) => current = actual,
        }
    }
}

/// True if dropping one waker now leaves a waiting task with none: it can
/// never be woken again, which the executor must get a chance to notice.
fn is_last_waker_of_waiting_task(state: usize) -> bool {
    let internal = 1 + usize::from(state & JOIN != 0); // executor + JoinHandle
    state & (SCHEDULED | COMPLETE) == 0 && refs(state) == internal + 1
}
