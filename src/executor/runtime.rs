//! [`Executor`]: the public face of the run loop in `core.rs`.

use super::core::Core;
use super::{Builder, JoinHandle};
use std::fmt;
use std::future::Future;
use std::time::Instant;

/// A single-threaded executor: it runs many tasks on the thread that
/// created it, taking turns at every `.await`.
///
/// It is `!Send` (its tasks may hold `Rc`s and `RefCell`s); its wakers are
/// `Send + Sync`, so other threads can still wake its tasks.
///
/// ```
/// use async_primer::executor::Executor;
///
/// let ex = Executor::new();
/// let a = ex.spawn(async { 1 });
/// let b = ex.spawn(async { 2 });
/// let sum = ex.block_on(async { a.await.unwrap() + b.await.unwrap() });
/// assert_eq!(sum, 3);
/// ```
///
/// Dropping the executor drops every task that has not finished (running
/// their destructors); their JoinHandles then resolve to an aborted
/// [`JoinError`](super::JoinError).
pub struct Executor {
    // Boxed so the core has a stable address: the thread-local "current
    // executor" points at it while it runs.
    core: Box<Core>,
}

impl Executor {
    /// An executor with the defaults (real time, FIFO, no watchdog).
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::new();
    /// assert_eq!(ex.block_on(async { 5 }), 5);
    /// ```
    pub fn new() -> Executor {
        Builder::new().build()
    }

    /// A [`Builder`] for virtual time, a seed, a watchdog or a diagnostic hook.
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::builder().virtual_time().build();
    /// assert_eq!(ex.block_on(async { 5 }), 5);
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_core(core: Core) -> Executor {
        Executor {
            core: Box::new(core),
        }
    }

    /// Runs `future` to completion on this thread, running spawned tasks
    /// whenever it waits, and returns its output. Tasks still unfinished
    /// when it returns stay in the executor for the next `block_on`.
    ///
    /// Panics if called while an executor is already running on this
    /// thread (inside another `block_on` or a task), and with a message
    /// starting `deadlock:` when the future can never be woken.
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::new();
    /// let out = ex.block_on(async {
    ///     async_primer::yield_now().await;
    ///     "done"
    /// });
    /// assert_eq!(out, "done");
    /// ```
    #[track_caller]
    #[inline]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.core.block_on(future)
    }

    /// Starts `future` as a task and returns its [`JoinHandle`]. The task
    /// first runs at the next turn of the executor (`block_on` or
    /// `run_until_stalled`). The future need not be `Send`.
    ///
    /// ```
    /// use std::rc::Rc;
    /// let ex = async_primer::executor::Executor::new();
    /// let shared = Rc::new(5); // !Send is fine
    /// let h = ex.spawn(async move { *shared * 2 });
    /// assert_eq!(ex.block_on(h).unwrap(), 10);
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.core.spawn(future, None)
    }

    /// Like [`spawn`](Executor::spawn), with a name that every diagnostic
    /// about this task shows.
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::new();
    /// let h = ex.spawn_named("greeter", async { "hi" });
    /// let out = ex.block_on(async {
    ///     // While the executor runs, diagnostics (and Debug) show the name.
    ///     assert!(format!("{h:?}").contains("'greeter'"));
    ///     h.await
    /// });
    /// assert_eq!(out.unwrap(), "hi");
    /// ```
    pub fn spawn_named<F>(&self, name: impl Into<String>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.core.spawn(future, Some(name.into()))
    }

    /// Polls ready tasks until none is ready, and returns how many polls
    /// that took. Timers fire only if already due (virtual time does not
    /// move). Useful in tests: step the executor without a main future.
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::new();
    /// let h = ex.spawn(async { async_primer::yield_now().await });
    /// assert_eq!(ex.run_until_stalled(), 2); // first poll yields, second finishes
    /// assert!(h.is_finished());
    /// ```
    #[track_caller]
    pub fn run_until_stalled(&self) -> usize {
        if super::is_running() {
            panic!("run_until_stalled called while an executor is already running on this thread");
        }
        self.core.run_until_stalled()
    }

    /// This executor's clock (virtual under virtual time).
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::new();
    /// assert!(ex.now() <= std::time::Instant::now());
    /// ```
    pub fn now(&self) -> Instant {
        self.core.driver.now()
    }

    /// How many tasks are alive (spawned and not yet finished).
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::new();
    /// let _h = ex.spawn(async {});
    /// assert_eq!(ex.tasks(), 1);
    /// ex.run_until_stalled();
    /// assert_eq!(ex.tasks(), 0);
    /// ```
    pub fn tasks(&self) -> usize {
        self.core.tasks.borrow().len()
    }

    pub(crate) fn core(&self) -> &Core {
        &self.core
    }
}

impl Default for Executor {
    fn default() -> Executor {
        Executor::new()
    }
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("tasks", &self.tasks())
            .finish_non_exhaustive()
    }
}
