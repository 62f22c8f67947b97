//! What a waker is: a pointer to a task plus four functions.
//!
//! A [`Waker`] is how a future says "poll me again later". The standard
//! library leaves its meaning to the executor: a `Waker` is a data pointer
//! and a [`RawWakerVTable`] of four functions, `clone`, `wake`,
//! `wake_by_ref` and `drop`. Here the data pointer is the task's header
//! (`task.rs`); `clone` and `drop` count references in its state word
//! (which is also how the diagnostics know how many wakers of a task are
//! alive; `drop` is in drop_waker.rs), and `wake` queues the task.
//!
//! The waker passed to `poll` is *borrowed* (never dropped), so polling
//! costs no reference-count traffic; only a `clone` that the future keeps
//! counts. Read after `queues.rs`, before `run_loop.rs`. See
//! [`crate::guide::ch04_executor`] and `tests/loom_executor.rs`.
//
// How it works: the wake path
//
//   wake(task)
//     state has SCHEDULED or COMPLETE? -> nothing to do (at most once in a
//                                         queue; finished tasks stay quiet)
//     CAS state |= SCHEDULED
//     this thread runs the task's executor?  (current.rs)
//        yes -> push to the local ready queue       (no lock, no refcount)
//        no  -> +1 reference, inbox.push(task)      (lock, unpark)
//
// block_on's future is not a task and never enters a queue: its waker
// (main_header.rs) reuses `set_scheduled` and `drop_waker`.
//
// Rejected alternative: always using the inbox (a lock per wake; the local
// path is the common one: a task woken by a channel or a timer of its own
// executor).

use super::current;
use super::drop_waker::drop_waker;
use super::task::{COMPLETE, REF_ONE, SCHEDULED, TaskRef};
use crate::sync::atomic::Ordering;
use std::mem::ManuallyDrop;
use std::task::{RawWaker, RawWakerVTable, Waker};

static TASK: RawWakerVTable =
    RawWakerVTable::new(clone_waker, wake_task, wake_task_by_ref, drop_waker);

/// A waker for a spawned `task` that is never dropped, so it holds no
/// reference of its own: the caller's reference keeps the task alive.
#[inline]
pub(crate) fn borrowed(task: TaskRef) -> ManuallyDrop<Waker> {
    // SAFETY: TASK's functions expect a live task header, which `task` is
    // for as long as the caller holds its reference (ManuallyDrop makes
    // sure `drop` never runs for this uncounted waker).
    ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(task.as_raw(), &TASK)) })
}

/// The task behind a waker, if it is one of our tasks' wakers.
pub(crate) fn task_of(waker: &Waker) -> Option<TaskRef> {
    std::ptr::eq(waker.vtable(), &TASK).then(|| TaskRef::from_raw(waker.data()))
}

fn clone_waker(ptr: *const ()) -> RawWaker {
    TaskRef::from_raw(ptr).add_ref();
    RawWaker::new(ptr, &TASK)
}

fn wake_task_by_ref(ptr: *const ()) {
    wake(TaskRef::from_raw(ptr));
}

/// Schedules `task` unless it is already scheduled or complete.
#[inline]
pub(crate) fn wake(task: TaskRef) {
    if !set_scheduled(task) {
        return; // Already queued, or finished: nothing to do.
    }
    // We set SCHEDULED, so we are the one who must enqueue it: in the
    // ready queue if its executor runs on this thread (current.rs), else
    // in its inbox.
    match current::ready_queue_for(&task.header().inbox) {
        Some(ready) => ready.borrow_mut().push(task),
        None => {
            task.add_ref(); // owned by the inbox entry
            post(task);
        }
    }
}

/// Posts `task` to its executor's inbox; the caller gave the entry a
/// reference of its own.
#[inline]
fn post(task: TaskRef) {
    if let Err(task) = task.header().inbox.push(task) {
        task.release(REF_ONE); // the executor is gone: the wake does nothing
    }
}

/// Sets SCHEDULED; false if it was set already or the task is COMPLETE.
#[inline]
pub(crate) fn set_scheduled(task: TaskRef) -> bool {
    schedule(task, 0)
}

/// Sets SCHEDULED and, in the same compare-and-swap, takes `give_up` off
/// the count (0, or `REF_ONE` for a wake by value: see the `// Speed:`
/// section). Never the last reference: a task that is not COMPLETE is
/// still held by its executor.
#[inline]
fn schedule(task: TaskRef, give_up: usize) -> bool {
    let state = &task.header().state;
    if give_up != 0 {
        task.header().free_check.last_use();
    }
    // Acquire on the load/CAS: pairs with the run loop's AcqRel clearing of
    // SCHEDULED before a poll, so a wake that sees the bit clear happens
    // after that poll began and will cause another one. Release: publishes
    // what the waker did before waking to the poll that follows (and, when
    // a reference goes, this holder's last use, as in `TaskRef::release`).
    let mut current = state.load(Ordering::Acquire);
    loop {
        if current & (SCHEDULED | COMPLETE) != 0 {
            return false;
        }
        match state.compare_exchange_weak(
            current,
            (current | SCHEDULED) - give_up,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => return true,
            Err(actual) => current = actual,
        }
    }
}

// --- Speed -------------------------------------------------------------------
//
// `wake` by value (the common case: a channel or a timer takes the waker
// it stored and wakes it) uses up the waker's own reference instead of
// waking and then dropping. On the executor's thread the compare-and-swap
// that sets SCHEDULED also gives the reference up (the queue entry borrows
// the executor's); from another thread the reference becomes the inbox
// entry's, with no `add_ref` and no drop. That is one atomic
// read-modify-write fewer per local wake, two per remote one. Measured on
// AMD EPYC, 2 cores, against the same build with `wake` then
// `drop_waker`, three interleaved runs of each binary (`cargo bench
// --bench peers -- timers locks ping_pong`), medians: timers 392 -> 357 ns
// (-9%), locks_mutex_yield_holding 109.5 -> 102.5 (-6%),
// locks_semaphore_contended 109.4 -> 103.1 (-6%), ping_pong 126 -> 125.

/// `wake`, then `drop_waker`, in fewer steps.
fn wake_task(ptr: *const ()) {
    let task = TaskRef::from_raw(ptr);
    let local = current::ready_queue_for(&task.header().inbox);
    let give_up = if local.is_some() { REF_ONE } else { 0 };
    if !schedule(task, give_up) {
        // Already queued, or finished: an ordinary drop (it may free it).
        return drop_waker(ptr);
    }
    match local {
        Some(ready) => ready.borrow_mut().push(task),
        None => post(task), // our reference is the entry's now
    }
}
