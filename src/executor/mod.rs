//! The executor: tasks, wakers, the ready queue, timers, and diagnostics
//! that make async visible.
//!
//! A future does nothing until something polls it. An **executor** is that
//! something: it keeps a queue of tasks that are ready to make progress,
//! polls them one at a time on one thread, and parks the thread when none
//! is ready. A task that returns `Pending` has handed a [`Waker`] to whatever
//! it waits for (a timer, a channel, another task); calling that waker puts
//! the task back in the ready queue.
//!
//! ```
//! use async_primer::executor::Executor;
//! use async_primer::time::{now, sleep};
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! let total = ex.block_on(async {
//!     let start = now();
//!     let slow = async_primer::spawn(async {
//!         sleep(Duration::from_secs(2)).await;
//!         2
//!     });
//!     let fast = async_primer::spawn(async {
//!         sleep(Duration::from_secs(1)).await;
//!         1
//!     });
//!     let sum = slow.await.unwrap() + fast.await.unwrap();
//!     // Both slept at the same time: 2 seconds in all, not 3.
//!     assert_eq!(now() - start, Duration::from_secs(2));
//!     sum
//! });
//! assert_eq!(total, 3);
//! ```
//!
//! Read it in this order: `task.rs` (one allocation per task, its states),
//! `waker.rs` (what a waker is), `core.rs` (the run loop), `inbox.rs`
//! (wakes from other threads, and parking), then the additions around it:
//! `context.rs` (which executor runs on this thread), `shutdown.rs`,
//! `schedule.rs` ([seeded order](Builder::seed)), `current.rs`
//! ([`current_task`], for log lines), `diagnostics.rs`
//! ([`Diagnostic`]), `blocking.rs` ([`spawn_blocking`]) and the
//! [`time`](crate::time) module. The guide chapter is
//! [`crate::guide::ch04_executor`]; the loom models of every cross-thread
//! interleaving are in `tests/loom_executor.rs`.
//!
//! Left out compared with tokio: more than one thread, I/O (there is no
//! reactor: only timers and wakers), cooperative budgeting inside tasks,
//! `LocalSet`, task-local storage, and a global blocking pool.
//!
//! [`Waker`]: std::task::Waker

mod blocking;
mod builder;
mod context;
mod core;
mod current;
mod diagnostics;
mod inbox;
mod join;
mod runtime;
mod schedule;
mod shutdown;
mod task;
mod task_list;
mod waker;
mod yield_now;

pub use builder::Builder;
pub use current::{TaskInfo, current_task};
pub use diagnostics::Diagnostic;
pub use join::{JoinError, JoinHandle};
pub use runtime::Executor;
pub use yield_now::{YieldNow, yield_now};

use std::cell::Cell;
use std::future::Future;

/// Runs `future` to completion on a fresh executor and returns its output:
/// the one-liner entry point. Tasks it spawns and leaves unfinished are
/// dropped when it returns.
///
/// (An optimisation you can ignore: when the executor is left with nothing
/// at all, no task, timer, blocking job or pending wake, it is kept for
/// the thread's next `block_on` instead of being rebuilt, which makes
/// `block_on` of a ready future as cheap as `futures::executor::block_on`.
/// An executor with anything left is dropped, so the behaviour is that of a
/// fresh executor every time.)
///
/// ```
/// let answer = async_primer::block_on(async { 6 * 7 });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
#[inline]
pub fn block_on<F: Future>(future: F) -> F::Output {
    let ex = SPARE
        .try_with(Cell::take)
        .ok()
        .flatten()
        .unwrap_or_default();
    let output = ex.core().block_on(future);
    if ex.core().is_idle() {
        // If the thread is shutting down, the closure is dropped with `ex`.
        let _ = SPARE.try_with(move |spare| spare.set(Some(ex)));
    }
    output
}

// The executor the free `block_on` keeps between calls (see its docs).
crate::sync::const_thread_local! {
    static SPARE: Cell<Option<Executor>> = Cell::new(None);
}

/// Spawns `future` onto the executor running on this thread.
///
/// Panics (at your line) if no executor is running here: call it inside
/// `block_on` or a task, or use [`Executor::spawn`].
///
/// ```
/// let out = async_primer::block_on(async {
///     let h = async_primer::spawn(async { "from a task" });
///     h.await.unwrap()
/// });
/// assert_eq!(out, "from a task");
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let mut future = Some(future);
    match context::with_current(|core| core.spawn(future.take().expect("once"), None)) {
        Some(handle) => handle,
        None => panic!(
            "spawn called with no executor running on this thread: call it inside \
             block_on or a task, or use Executor::spawn"
        ),
    }
}

/// Like [`spawn`], with a name that every diagnostic about the task shows.
///
/// ```
/// let out = async_primer::block_on(async {
///     async_primer::executor::spawn_named("worker", async { 1 }).await.unwrap()
/// });
/// assert_eq!(out, 1);
/// ```
#[track_caller]
pub fn spawn_named<F>(name: impl Into<String>, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let name = Some(name.into());
    let mut future = Some(future);
    match context::with_current(|core| core.spawn(future.take().expect("once"), name)) {
        Some(handle) => handle,
        None => panic!(
            "spawn_named called with no executor running on this thread: call it inside \
             block_on or a task, or use Executor::spawn_named"
        ),
    }
}

/// Runs the blocking function `f` on a helper thread of the current
/// executor's small pool, and returns a [`JoinHandle`] to `.await` for its
/// result. Awaiting it does not block the executor; a panic in `f` comes
/// back as a [`JoinError`]. See `blocking.rs` for the pool's rules.
///
/// Panics (at your line) if no executor is running on this thread.
///
/// ```
/// let n = async_primer::block_on(async {
///     async_primer::spawn_blocking(|| {
///         std::thread::sleep(std::time::Duration::from_millis(5));
///         7
///     })
///     .await
///     .unwrap()
/// });
/// assert_eq!(n, 7);
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let mut f = Some(f);
    match context::with_current(|core| blocking::spawn_blocking(core, f.take().expect("once"))) {
        Some(handle) => handle,
        None => panic!(
            "spawn_blocking called with no executor running on this thread: call it inside \
             block_on or a task"
        ),
    }
}

/// True while an executor is running on this thread (inside `block_on`,
/// `run_until_stalled`, or one of its tasks).
///
/// ```
/// assert!(!async_primer::executor::is_running());
/// async_primer::block_on(async {
///     assert!(async_primer::executor::is_running());
/// });
/// ```
#[inline]
pub fn is_running() -> bool {
    context::with_current(|_| ()).is_some()
}
