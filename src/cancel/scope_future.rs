//! [`scope`] and [`scope_with`]: structured concurrency. A scope's tasks
//! cannot outlive it: the scope returns only after every task it spawned
//! has finished, and a failure (an `Err`, or a panic) comes out of the
//! scope as an error instead of being lost in a detached task.
//!
//! ```
//! use async_primer::cancel::scope;
//! use async_primer::executor::Executor;
//! use async_primer::time::{now, sleep};
//! use std::rc::Rc;
//! use std::cell::RefCell;
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! ex.block_on(async {
//!     let start = now();
//!     let log = Rc::new(RefCell::new(Vec::new()));
//!     let result = scope(|s| {
//!         let log = log.clone();
//!         async move {
//!             for secs in [2, 1] {
//!                 let log = log.clone();
//!                 s.spawn(async move {
//!                     sleep(Duration::from_secs(secs)).await;
//!                     log.borrow_mut().push(secs);
//!                     Ok::<(), String>(())
//!                 });
//!             }
//!             "body finished first"
//!         }
//!     })
//!     .await;
//!     assert_eq!(result.unwrap(), "body finished first");
//!     // ...but the scope waited for both tasks:
//!     assert_eq!(*log.borrow(), [1, 2]);
//!     assert_eq!(now() - start, Duration::from_secs(2));
//! });
//! ```
//!
//! With [`Policy::CancelOnError`], the first failure cancels the rest:
//!
//! ```
//! use async_primer::cancel::{scope_with, Policy, TaskFailure};
//!
//! let err = async_primer::block_on(scope_with(Policy::CancelOnError, |s| async move {
//!     s.spawn(async { panic!("worker 1 crashed") });
//!     s.spawn(std::future::pending::<Result<(), ()>>()); // aborted
//!     std::future::pending::<()>().await; // the body too: dropped
//! }))
//! .unwrap_err();
//! assert!(matches!(err.failures(), [TaskFailure::Panic(_)]));
//! ```
//!
//! Why the tasks are `'static`. A scope whose tasks *borrow* from the
//! caller's stack (like `std::thread::scope`) would be sound only if the
//! scope future were guaranteed to be polled to the end; but any future can
//! be dropped, or leaked with `mem::forget`, half-way, and the borrowed data
//! would then be freed under running tasks. Crates that offer it
//! (`async-scoped`, `moro`) need `unsafe` lifetime erasure plus either a
//! blocking drop or a rule that the scope's tasks are polled only inside
//! the scope future (so they run no concurrently with others). Rejected
//! here: this crate's tasks are ordinary `'static` executor tasks, and
//! sharing goes through `Rc` / `Arc` (or a value moved in). The scope still
//! gives the structure: if the scope future is dropped before it finished,
//! it cancels its token and aborts every task (each stops at its next turn).
//!
//! Guide: [`crate::guide::ch09_cancellation`]; tests: `tests/cancel.rs`
//! (no loom model: a scope lives on one thread, its shared state is an
//! `Rc`; the cross-thread parts are the token and the `JoinSet`, modelled
//! in `tests/loom_cancel.rs`). Left out, compared with
//! `moro` / Trio nurseries: borrowing tasks (above), task results by handle
//! (send them through a channel, or collect them in an `Rc`), and
//! cancelling the scope from inside it other than by failing.

// How it works
// ------------
//
// The scope future owns the body (boxed, so the scope is `Unpin`) and
// shares a `JoinSet` of the tasks with every `Scope` handle. Each poll
// polls the body (if still running), then takes every finished task from
// the set, recording failures.
//
//   Running --body done, set empty, no failure--------------> Finished: Ok(output)
//   Running --body done, set empty, failures (WaitAll)------> Finished: Err
//   Running --a failure, CancelOnError--> Cancelling (token cancelled,
//                                          tasks aborted, body dropped)
//   Cancelling --set empty-----------------------------------> Finished: Err
//   Running / Cancelling --scope future dropped--> tasks aborted (Drop)
//
// Aborted tasks are not failures: the scope aborted them itself.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::join_set::JoinSet;
use super::policy::Policy;
use super::scope::{Scope, Shared};
use super::scope_error::{ScopeError, TaskFailure};
use super::token::CancellationToken;

/// Runs `body` with a [`Scope`] to spawn tasks on, and waits for the body
/// *and* every task; `Ok(body's output)` if no task failed, else
/// [`ScopeError`] with every failure. Other tasks keep running after a
/// failure ([`Policy::WaitAll`]); see [`scope_with`] to cancel them.
///
/// Must run on this crate's executor (the tasks are spawned with
/// [`crate::spawn`]). A panic in the body itself unwinds out of the scope
/// (aborting the tasks on the way).
///
/// ```
/// let out = async_primer::block_on(async_primer::cancel::scope(|s| async move {
///     s.spawn(async { Err::<(), _>("disk full") });
///     40 + 2
/// }));
/// assert_eq!(out.unwrap_err().to_string(), "a task of the scope failed: task failed: disk full");
/// ```
pub fn scope<E, F, Fut>(body: F) -> ScopeFuture<Fut, E>
where
    E: 'static,
    F: FnOnce(Scope<E>) -> Fut,
    Fut: Future,
{
    scope_with(Policy::WaitAll, body)
}

/// [`scope`] with a [`Policy`] for failures.
///
/// ```
/// use async_primer::cancel::{scope_with, Policy};
///
/// let out = async_primer::block_on(scope_with(Policy::CancelOnError, |s| async move {
///     s.spawn(async { Ok::<(), ()>(()) });
///     "all fine"
/// }));
/// assert_eq!(out.unwrap(), "all fine");
/// ```
pub fn scope_with<E, F, Fut>(policy: Policy, body: F) -> ScopeFuture<Fut, E>
where
    E: 'static,
    F: FnOnce(Scope<E>) -> Fut,
    Fut: Future,
{
    let shared = Rc::new(Shared {
        tasks: RefCell::new(JoinSet::new()),
        waker: RefCell::new(None),
        closed: Cell::new(false),
        token: CancellationToken::new(),
    });
    let body = body(Scope::new(shared.clone()));
    ScopeFuture {
        body: Some(Box::pin(body)),
        output: None,
        shared,
        policy,
        failures: Vec::new(),
        phase: Phase::Running,
    }
}

/// Where the scope is; see the diagram above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    Cancelling,
    Finished,
}

/// The future of [`scope`] and [`scope_with`]. Dropping it before it
/// finishes cancels the scope's token and aborts all its tasks.
///
/// ```
/// use async_primer::cancel::{scope, ScopeFuture};
/// let fut = scope::<(), _, _>(|_s| async { 1 });
/// assert_eq!(async_primer::block_on(fut).unwrap(), 1);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ScopeFuture<Fut: Future, E> {
    /// `None` once it finished (its output in `output`) or was cancelled.
    body: Option<Pin<Box<Fut>>>,
    output: Option<Fut::Output>,
    shared: Rc<Shared<E>>,
    policy: Policy,
    failures: Vec<TaskFailure<E>>,
    phase: Phase,
}

// Nothing in it is pinned in place: the body is boxed, the rest is moved
// freely.
impl<Fut: Future, E> Unpin for ScopeFuture<Fut, E> {}

impl<Fut: Future, E> ScopeFuture<Fut, E> {
    fn fail(&mut self, failure: TaskFailure<E>) {
        self.failures.push(failure);
        if self.policy == Policy::CancelOnError && self.phase == Phase::Running {
            self.phase = Phase::Cancelling;
            self.shared.token.cancel();
            self.shared.tasks.borrow_mut().abort_all();
            // Dropping the body is how it is cancelled.
            self.body = None;
        }
    }
}

impl<Fut: Future, E> Future for ScopeFuture<Fut, E> {
    type Output = Result<Fut::Output, ScopeError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.phase == Phase::Finished {
            crate::future::polled_after_completion("scope");
        }
        // Spawns made while the body runs need no wake: the tasks are looked
        // at right below. Spawns from tasks do (see `Scope::spawn`).
        let saved = this.shared.waker.take();
        if let Some(body) = this.body.as_mut() {
            if let Poll::Ready(output) = body.as_mut().poll(cx) {
                this.output = Some(output);
                this.body = None;
            }
        }
        let waker = match saved {
            Some(w) if w.will_wake(cx.waker()) => w,
            _ => cx.waker().clone(),
        };
        *this.shared.waker.borrow_mut() = Some(waker);

        loop {
            // The borrow ends with the statement: `fail` borrows again.
            let next = this.shared.tasks.borrow_mut().poll_join_next(cx);
            match next {
                // Some task is still running; it will wake us.
                Poll::Pending => return Poll::Pending,
                // No task left (for now).
                Poll::Ready(None) => break,
                // A task finished well.
                Poll::Ready(Some(Ok(Ok(())))) => {}
                // A task returned an error.
                Poll::Ready(Some(Ok(Err(e)))) => this.fail(TaskFailure::Error(e)),
                // A task panicked: the error carries the payload.
                Poll::Ready(Some(Err(e))) if e.is_panic() => this.fail(TaskFailure::Panic(e)),
                // A task we aborted (Cancelling) stopped.
                Poll::Ready(Some(Err(_aborted))) => {}
            }
        }
        if this.body.is_some() {
            return Poll::Pending; // the body may spawn more; it will wake us
        }
        this.phase = Phase::Finished;
        this.shared.closed.set(true);
        this.shared.waker.take();
        if this.failures.is_empty() {
            let output = this.output.take().expect("no failure: the body finished");
            Poll::Ready(Ok(output))
        } else {
            Poll::Ready(Err(ScopeError::new(mem::take(&mut this.failures))))
        }
    }
}

impl<Fut: Future, E> Drop for ScopeFuture<Fut, E> {
    fn drop(&mut self) {
        if self.phase == Phase::Finished {
            return; // every task is done already
        }
        // Dropped early: the tasks must not outlive us.
        self.shared.token.cancel();
        self.body = None;
        self.shared.closed.set(true);
        // Dropping the set aborts every task; take it out first so that no
        // borrow is held while the handles drop.
        let tasks = mem::take(&mut *self.shared.tasks.borrow_mut());
        drop(tasks);
        self.shared.waker.take();
    }
}

impl<Fut: Future, E> fmt::Debug for ScopeFuture<Fut, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeFuture")
            .field("phase", &self.phase)
            .field("policy", &self.policy)
            .field("failures", &self.failures.len())
            .finish_non_exhaustive()
    }
}
