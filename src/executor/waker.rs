//! What a waker is: a pointer to a task plus four functions.
//!
//! A [`Waker`] is how a future says "poll me again later". The standard
//! library leaves its meaning to the executor: a `Waker` is a data pointer
//! and a [`RawWakerVTable`] of four functions, `clone`, `wake`,
//! `wake_by_ref` and `drop`. Here the data pointer is the task's header, and
//!
//! * `clone` / `drop` count references in the header's state word, which is
//!   also how the executor knows how many wakers of a task are alive (the
//!   lost-waker diagnostic);
//! * `wake` sets the task's SCHEDULED bit and, if it was not set already,
//!   puts the task in a queue: the executor's local ready queue when called
//!   on the executor's own thread while it runs (no lock), or its inbox
//!   otherwise (a mutex, and the executor is unparked).
//!
//! The waker passed to `poll` is *borrowed* (never dropped), so polling costs
//! no reference-count traffic; only a `clone` that the future keeps counts.
//! See [`crate::guide::ch04_executor`] and `tests/loom_executor.rs`.
//
// How it works: the wake path
//
//   wake_by_ref(task)
//     state has SCHEDULED or COMPLETE? -> nothing to do (at most once in a
//                                         queue; finished tasks stay quiet)
//     CAS state |= SCHEDULED
//     on this executor's thread, executor running?
//        yes -> push TaskRef to the local ready queue   (MAIN: no push)
//        no  -> shared.push_remote(task): lock inbox, push (+1 ref), unpark
//
// Rejected alternative: always using the inbox (a lock per wake; the local
// path is the common one: a task woken by a channel or a timer of its own
// executor).

use super::context;
use super::task::{COMPLETE, JOIN, MAIN, REF_ONE, SCHEDULED, TaskRef, refs};
use crate::sync::atomic::Ordering;
use std::mem::ManuallyDrop;
use std::task::{RawWaker, RawWakerVTable, Waker};

pub(crate) static VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone_raw, wake_raw, wake_by_ref_raw, drop_raw);

/// A waker for `task` that is never dropped, so it holds no reference of
/// its own: the caller's reference keeps the task alive while it is used.
#[inline]
pub(crate) fn borrowed(task: TaskRef) -> ManuallyDrop<Waker> {
    // SAFETY: VTABLE's functions expect a live task header, which `task` is
    // for as long as the caller holds its reference (the ManuallyDrop makes
    // sure `drop_raw` never runs for this uncounted waker).
    ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(task.as_raw(), &VTABLE)) })
}

/// The task behind a waker, if it is one of ours.
pub(crate) fn task_of(waker: &Waker) -> Option<TaskRef> {
    std::ptr::eq(waker.vtable(), &VTABLE).then(|| TaskRef::from_raw(waker.data()))
}

fn clone_raw(ptr: *const ()) -> RawWaker {
    TaskRef::from_raw(ptr).add_ref();
    RawWaker::new(ptr, &VTABLE)
}

fn wake_raw(ptr: *const ()) {
    // Wake, then give up this waker's reference.
    wake_by_ref_raw(ptr);
    TaskRef::from_raw(ptr).release(REF_ONE);
}

fn wake_by_ref_raw(ptr: *const ()) {
    wake(TaskRef::from_raw(ptr));
}

fn drop_raw(ptr: *const ()) {
    let task = TaskRef::from_raw(ptr);
    let state = &task.header().state;
    let mut current = state.load(Ordering::Relaxed);
    loop {
        if is_last_waker_of_waiting_task(current) {
            return drop_last_waker(task);
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

/// The rare path: the last waker of a waiting task goes away. On another
/// thread, the executor may be parked: it is nudged so that it re-runs its
/// deadlock check instead of sleeping forever. (`shared` is cloned while our
/// reference still keeps the task, and so `shared`, alive.) On the
/// executor's own thread while it runs, nothing is parked and the run loop
/// checks before it parks, so no nudge is needed (this is the common case:
/// a losing `Sleep` in a `timeout` drops its waker).
#[cold]
fn drop_last_waker(task: TaskRef) {
    if context::is_running_executor_of(task) {
        return task.release(REF_ONE);
    }
    let shared = task.header().shared.clone();
    task.release(REF_ONE);
    shared.nudge();
}

/// Schedules `task` unless it is already scheduled or complete.
#[inline]
pub(crate) fn wake(task: TaskRef) {
    let state = &task.header().state;
    // Acquire on the load/CAS: pairs with the executor's AcqRel clearing of
    // SCHEDULED before a poll, so a wake that sees the bit clear happens
    // after that poll began and will cause another one.
    let mut current = state.load(Ordering::Acquire);
    loop {
        if current & (SCHEDULED | COMPLETE) != 0 {
            return; // Already queued, or finished: nothing to do.
        }
        match state.compare_exchange_weak(
            current,
            current | SCHEDULED,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => break,
            Err(actual) => current = actual,
        }
    }
    // We set SCHEDULED, so we are the one who must enqueue it.
    if !context::push_local_if_current(task) {
        task.header().shared.push_remote(task, current & MAIN != 0);
    }
}
