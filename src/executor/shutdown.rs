//! Shutdown: what dropping an executor does to the tasks it still has.
//!
//! Every unfinished task's future is dropped, on the executor's thread,
//! running its destructors, and every JoinHandle still held resolves to an
//! aborted [`JoinError`](super::JoinError). The run loop's `Drop` calls
//! [`drop_all`], then closes the inbox so that wakes arriving later
//! (wakers may outlive the executor) do nothing and leak nothing. Read
//! after the four core files.
//
// Each task is marked COMPLETE *before* its future is dropped, so wakes
// from inside destructors are no-ops. A destructor may also spawn a new
// task or queue a microtask, so the task list is emptied in batches until
// it stays empty. Loom model: `executor_dropped_while_waking`. (Rejected
// alternative: leaving unfinished tasks alive until their last waker goes;
// their futures could then be dropped on another thread, which `!Send`
// futures forbid.)

use super::microtasks::Microtasks;
use super::seam::Tasks;
use super::task::{COMPLETE, REF_ONE, TaskRef};
use crate::sync::atomic::Ordering;

/// Ends every task in `tasks`, and drops every microtask not yet run,
/// until both stay empty. Runs on the executor's thread, entered.
pub(crate) fn drop_all(tasks: &Tasks, microtasks: &Microtasks) {
    loop {
        let batch = tasks.borrow_mut().take_all();
        let dropped_microtasks = microtasks.drop_all();
        if batch.is_empty() && !dropped_microtasks {
            return;
        }
        for task in batch {
            end(task);
        }
    }
}

/// Drops `task`'s future unless it finished, wakes whoever awaits its
/// JoinHandle, and releases the executor's reference (the task list's
/// entry owned it).
fn end(task: TaskRef) {
    // AcqRel: as in `RunLoop::complete`: a late waker on another thread
    // must see COMPLETE; the JoinHandle's Acquire load pairs with it.
    let prev = task.header().state.fetch_or(COMPLETE, Ordering::AcqRel);
    if prev & COMPLETE == 0 {
        // SAFETY: executor thread; the executor's reference is held.
        drop(unsafe { (task.header().vtable.cancel)(task) });
        // SAFETY: executor thread only (THE invariant in task.rs).
        let waiter = task
            .header()
            .join_waker
            .with_mut(|w| unsafe { (*w).take() });
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }
    task.release(REF_ONE);
}
