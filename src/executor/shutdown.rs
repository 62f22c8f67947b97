//! Shutdown: what dropping an executor does.
//!
//! Every unfinished task's future is dropped, on the executor's thread,
//! running its destructors; every JoinHandle still held resolves to an
//! aborted `JoinError`; the inbox is closed so that wakes arriving later
//! (wakers may outlive the executor) do nothing and leak nothing; and the
//! `spawn_blocking` pool is told to stop.
//
// How it works: each task is marked COMPLETE *before* its future is dropped,
// so wakes from inside destructors are no-ops. A destructor may also spawn
// a new task, so the task list is emptied in batches until it stays empty.
// Loom model: `executor_dropped_while_waking`. Rejected alternative:
// leaving unfinished tasks alive until their last waker goes; their futures
// could then be dropped on another thread, which `!Send` futures forbid.

use super::core::Core;
use super::task::{COMPLETE, REF_ONE};
use crate::sync::atomic::Ordering;

impl Drop for Core {
    fn drop(&mut self) {
        let _enter = self.enter();
        let main = self.main.get();
        // AcqRel: a late waker on another thread must see COMPLETE.
        main.header().state.fetch_or(COMPLETE, Ordering::AcqRel);
        main.release(REF_ONE);
        loop {
            let batch = self.tasks.borrow_mut().take_all();
            if batch.is_empty() {
                break;
            }
            for task in batch {
                // COMPLETE first, so wakes from the destructors are no-ops.
                let prev = task.header().state.fetch_or(COMPLETE, Ordering::AcqRel);
                if prev & COMPLETE == 0 {
                    // SAFETY: executor thread; the executor's reference is held.
                    let outcome = unsafe { (task.header().vtable.cancel)(task) };
                    drop(outcome); // a detached task's result has nowhere to go
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
        }
        // Ready-queue entries borrowed the references released above.
        self.ready.borrow_mut().clear();
        for task in self.shared.close() {
            task.release(REF_ONE);
        }
        self.shared.pool.close();
    }
}
