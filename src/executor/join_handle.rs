//! [`JoinHandle`]: waiting for a spawned task's result.
//!
//! ```
//! use async_primer::executor::Executor;
//!
//! let ex = Executor::new();
//! let answer = ex.block_on(async {
//!     let handle = async_primer::spawn(async { 6 * 7 });
//!     handle.await
//! });
//! assert_eq!(answer.unwrap(), 42);
//! ```
//
// How it works: the handle is a `TaskRef` holding one reference (and the
// JOIN bit, so the task knows someone wants its output). Polling it before
// the task is COMPLETE stores the awaiting waker in the task header's
// `join_waker`; the executor wakes it at completion. Polling it after moves
// the output out of the task's own allocation (no channel, no second
// allocation). Dropping it detaches the task: the task keeps running and its
// output is dropped when it completes.
//
// A JoinHandle is `!Send`: it touches the task's output and `join_waker`,
// which live on the executor's thread (see task.rs). tokio's is `Send`
// because its tasks are; this crate's executor is single-threaded.

use super::join_error::JoinError;
use super::task::{CANCELLED, COMPLETE, JOIN, REF_ONE, TaskRef};
use super::waker;
use crate::sync::atomic::Ordering;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A handle to a spawned task: a future of the task's result.
///
/// `.await` gives `Ok(output)`, or a [`JoinError`] if the task panicked or
/// was aborted. Dropping the handle detaches the task (it keeps running).
///
/// ```
/// let ex = async_primer::executor::Executor::new();
/// let handle = ex.spawn(async { "result" });
/// assert_eq!(ex.block_on(handle).unwrap(), "result");
/// ```
#[must_use = "dropping a JoinHandle detaches the task; `.await` it to get the result"]
pub struct JoinHandle<T> {
    task: TaskRef,
    /// Already returned its result: polling again is a bug.
    done: bool,
    /// `!Send` and `!Sync`: see the module comment.
    _marker: PhantomData<(T, *const ())>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: TaskRef) -> JoinHandle<T> {
        JoinHandle {
            task,
            done: false,
            _marker: PhantomData,
        }
    }

    /// Asks the task to stop: at its next turn its future is dropped
    /// (running its destructors) and the handle resolves to an aborted
    /// [`JoinError`]. Does nothing if the task already finished.
    ///
    /// ```
    /// use async_primer::executor::Executor;
    ///
    /// let ex = Executor::new();
    /// let handle = ex.spawn(std::future::pending::<()>());
    /// handle.abort();
    /// let result = ex.block_on(handle);
    /// assert!(result.unwrap_err().is_aborted());
    /// ```
    pub fn abort(&self) {
        let state = &self.task.header().state;
        // AcqRel: the executor's fetch_and before the poll reads CANCELLED.
        let prev = state.fetch_or(CANCELLED, Ordering::AcqRel);
        if prev & COMPLETE == 0 {
            waker::wake(self.task);
        }
    }

    /// True once the task has finished (completed, panicked or aborted).
    ///
    /// ```
    /// use async_primer::executor::Executor;
    ///
    /// let ex = Executor::new();
    /// let handle = ex.spawn(async {});
    /// assert!(!handle.is_finished());
    /// ex.run_until_stalled();
    /// assert!(handle.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.header().state.load(Ordering::Acquire) & COMPLETE != 0
    }
}

// The handle is a pointer; nothing in it is pinned.
impl<T> Unpin for JoinHandle<T> {}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    #[track_caller]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.done {
            panic!("JoinHandle polled after it already returned the task's result");
        }
        let header = self.task.header();
        // Acquire: pairs with the release half of the AcqRel that set COMPLETE after the
        // output was written, so the output is visible here.
        if header.state.load(Ordering::Acquire) & COMPLETE != 0 {
            let mut output: Option<Result<T, JoinError>> = None;
            // SAFETY: the task was spawned with output type T, we are on the
            // executor's thread (the handle is !Send), and `done` was false,
            // so the stage still holds the result.
            unsafe { (header.vtable.take_output)(self.task, &mut output as *mut _ as *mut ()) };
            self.done = true;
            return Poll::Ready(output.expect("the task stored its result"));
        }
        // SAFETY: executor thread only (THE invariant in task.rs).
        header
            .join_waker
            .with_mut(|slot| match unsafe { &mut *slot } {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            });
        super::note_wait("{holder} to finish", None, None, Some(header.id));
        Poll::Pending
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let header = self.task.header();
        if !self.done && header.state.load(Ordering::Acquire) & COMPLETE != 0 {
            // SAFETY: executor thread; the output is ours to drop.
            unsafe { (header.vtable.drop_stage)(self.task) };
        }
        // SAFETY: executor thread only.
        let waiter = header.join_waker.with_mut(|slot| unsafe { (*slot).take() });
        drop(waiter);
        self.task.release(REF_ONE | JOIN);
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("task", &describe(self.task))
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// `'name' (task #3)` while the task's executor runs on this thread (the
/// names live there), else `task #3`.
fn describe(task: TaskRef) -> String {
    super::with_run_loop(|rl| {
        // Only a task of the executor running here has a description.
        let ours = crate::sync::Arc::ptr_eq(&task.header().inbox, rl.inbox());
        ours.then(|| rl.seam().with_info(rl.tasks(), task, |t| t.describe()))
    })
    .flatten()
    .unwrap_or_else(|| format!("task #{}", task.header().id))
}
