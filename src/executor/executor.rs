//! [`Executor`] and its [`Builder`]: the public face of the run loop in
//! `run_loop.rs`.
//!
//! ```
//! use async_primer::executor::Executor;
//! use std::time::Duration;
//!
//! let ex = Executor::builder()
//!     .virtual_time()                       // sleeps finish at once, in order
//!     .seed(42)                             // a reproducible order among ready tasks
//!     .watchdog(Duration::from_millis(100)) // report polls that block the thread
//!     .build();
//! assert_eq!(ex.block_on(async { 1 + 1 }), 2);
//! ```
//
// The two types share a file because each names the other
// (`Executor::builder()` and `Builder::build()`); apart, they would import
// each other in a cycle.

use super::diagnostic::Diagnostic;
use super::diagnostics::{Diagnostics, Hook, default_watchdog};
use super::join_handle::JoinHandle;
use super::observer::{Fanout, Observer};
use super::recorder::Recorder;
use super::run_loop::RunLoop;
use super::watchdog::BlockedPollHook;
use crate::trace::Recording;
use std::cell::Cell;
use std::fmt;
use std::future::IntoFuture;
use std::panic::Location;
use std::time::{Duration, Instant};

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
    // Boxed so the run loop has a stable address: the thread-local
    // "current executor" points at it while it runs. One box, so that an
    // `Executor` is one pointer (the free `block_on` keeps one in a
    // thread-local and moves it in and out at every call).
    parts: Box<Parts>,
}

struct Parts {
    run_loop: RunLoop,
    /// Set by `Builder::record`: the trace observer's shared list.
    recorder: Option<Recorder>,
    /// An `Executor::run` future is in progress (at most one at a time).
    run_active: Cell<bool>,
}

impl Executor {
    /// An executor with the defaults (real time, FIFO, the watchdog on in
    /// debug builds).
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
    pub fn block_on<F: IntoFuture>(&self, future: F) -> F::Output {
        self.parts.run_loop.block_on(future.into_future())
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
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: IntoFuture + 'static,
        F::IntoFuture: 'static,
        F::Output: 'static,
    {
        let task = self
            .parts
            .run_loop
            .spawn(future.into_future(), None, Location::caller());
        JoinHandle::new(task)
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
    #[track_caller]
    pub fn spawn_named<F>(&self, name: impl Into<String>, future: F) -> JoinHandle<F::Output>
    where
        F: IntoFuture + 'static,
        F::IntoFuture: 'static,
        F::Output: 'static,
    {
        let name = Some(name.into());
        let task = self
            .parts
            .run_loop
            .spawn(future.into_future(), name, Location::caller());
        JoinHandle::new(task)
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
        let run_loop = &self.parts.run_loop;
        let Some(_enter) = run_loop.enter_outermost() else {
            panic!("run_until_stalled called while an executor is already running on this thread");
        };
        let mut polls = 0;
        loop {
            polls += run_loop.turn(None);
            if !run_loop.has_ready() && !run_loop.inbox().has_mail() {
                return polls;
            }
        }
    }

    /// This executor's clock (virtual under virtual time).
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::new();
    /// assert!(ex.now() <= std::time::Instant::now());
    /// ```
    pub fn now(&self) -> Instant {
        self.parts.run_loop.driver().now()
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
        self.parts.run_loop.tasks().borrow().len()
    }

    /// What this executor has done so far, for a timeline, a Perfetto
    /// trace or a step-through page (see [`crate::trace`]). Panics (at your
    /// line) unless the executor was built with [`Builder::record`].
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::builder().virtual_time().record().build();
    /// ex.block_on(async { async_primer::yield_now().await });
    /// println!("{}", ex.recording().timeline());
    /// ```
    #[track_caller]
    pub fn recording(&self) -> Recording {
        match &self.parts.recorder {
            Some(recorder) => Recording::new(recorder.events(), recorder.is_virtual()),
            None => panic!(
                "recording() called on an executor that does not record: build it with \
                 Executor::builder().record().build()"
            ),
        }
    }

    pub(crate) fn run_loop(&self) -> &RunLoop {
        &self.parts.run_loop
    }

    /// Set while an `Executor::run` future drives this executor.
    pub(crate) fn run_active(&self) -> &Cell<bool> {
        &self.parts.run_active
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

/// Configures an [`Executor`]. Made by [`Executor::builder`].
///
/// ```
/// use async_primer::executor::Executor;
/// let ex = Executor::builder().virtual_time().seed(1).build();
/// assert_eq!(ex.block_on(async { 1 }), 1);
/// ```
#[must_use = "a Builder does nothing until you call `build()`"]
#[derive(Default)]
pub struct Builder {
    virtual_time: bool,
    seed: Option<u64>,
    /// `None`: the default (on in debug builds); `Some(None)`: off.
    watchdog: Option<Option<Duration>>,
    hook: Option<Hook>,
    no_diagnostics: bool,
    /// Where the watchdog's thread reports a blocked poll.
    blocked: Option<BlockedPollHook>,
    record: bool,
    /// An extra observer (a trace), after the diagnostics.
    extra: Option<Box<dyn Observer>>,
}

impl Builder {
    /// A builder with the defaults: real time, FIFO order, the watchdog on
    /// in debug builds,
    /// diagnostics printed on stderr.
    ///
    /// ```
    /// use async_primer::executor::Builder;
    /// let ex = Builder::new().build();
    /// assert_eq!(ex.block_on(async { 3 }), 3);
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Uses a virtual clock: it stands still while tasks run and, when every
    /// task is waiting, jumps to the next timer deadline. Long sleeps finish
    /// at once and timers fire in deadline order on every run.
    ///
    /// The clock only jumps when no `spawn_blocking` job is running (a job
    /// might wake a task first). It cannot know about wakers held by threads
    /// you started yourself: under virtual time such a thread's wake-up
    /// competes with timers that fire instantly.
    ///
    /// ```
    /// use async_primer::executor::Executor;
    /// use async_primer::time::{now, sleep};
    /// use std::time::Duration;
    ///
    /// let ex = Executor::builder().virtual_time().build();
    /// let start = ex.now();
    /// ex.block_on(async { sleep(Duration::from_secs(86_400)).await }); // a day, instantly
    /// assert_eq!(ex.now() - start, Duration::from_secs(86_400));
    /// ```
    pub fn virtual_time(mut self) -> Builder {
        self.virtual_time = true;
        self
    }

    /// Picks among ready tasks in a pseudo-random order derived from `seed`
    /// instead of first-in-first-out. Same seed, same order.
    ///
    /// ```
    /// use async_primer::executor::Executor;
    /// let ex = Executor::builder().seed(7).build();
    /// assert_eq!(ex.block_on(async { 7 }), 7);
    /// ```
    pub fn seed(mut self, seed: u64) -> Builder {
        self.seed = Some(seed);
        self
    }

    /// Sets the watchdog's threshold (on by default in debug builds, at one
    /// second; off in release builds unless set here). A poll that holds
    /// the thread longer is reported *while it still blocks*, from a
    /// monitor thread ([`Diagnostic::BlockedPoll`]), and again when it
    /// returns ([`Diagnostic::SlowPoll`]); an executor with nothing to do,
    /// no timer armed and no blocking job for that long reports once what
    /// each task waits on ([`Diagnostic::Stalled`]).
    ///
    /// ```
    /// use async_primer::executor::Executor;
    /// use std::time::Duration;
    ///
    /// let ex = Executor::builder().watchdog(Duration::from_millis(200)).build();
    /// ex.block_on(async {});
    /// ```
    pub fn watchdog(mut self, threshold: Duration) -> Builder {
        self.watchdog = Some(Some(threshold));
        self
    }

    /// Turns the watchdog off, also in debug builds (no monitor, no stall
    /// reports; lost wakers and `deadlock:` are still detected).
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::builder().no_watchdog().build();
    /// assert_eq!(ex.block_on(async { 2 }), 2);
    /// ```
    pub fn no_watchdog(mut self) -> Builder {
        self.watchdog = Some(None);
        self
    }

    /// Sends diagnostics to `hook` instead of stderr.
    ///
    /// ```
    /// use async_primer::executor::Executor;
    /// let ex = Executor::builder().on_diagnostic(|d| println!("noticed: {d}")).build();
    /// ex.block_on(async {});
    /// ```
    pub fn on_diagnostic(mut self, hook: impl Fn(&Diagnostic<'_>) + 'static) -> Builder {
        self.hook = Some(Box::new(hook));
        self
    }

    /// Sends the watchdog's "this poll is blocking right now" reports
    /// ([`Diagnostic::BlockedPoll`]) to `hook` instead of stderr. It runs on
    /// the watchdog's own thread, because the executor's thread is the one
    /// that is stuck, so it must be `Send + Sync`.
    ///
    /// ```
    /// use async_primer::executor::{Diagnostic, Executor};
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    ///
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// let ex = Executor::builder()
    ///     .watchdog(Duration::from_millis(50))
    ///     .on_blocked_poll(move |d| log.lock().unwrap().push(d.to_string()))
    ///     .on_diagnostic(|_| {})
    ///     .build();
    /// ex.block_on(async { std::thread::sleep(Duration::from_millis(400)) });
    /// assert!(seen.lock().unwrap()[0].contains("block_on's future"));
    /// ```
    pub fn on_blocked_poll(
        mut self,
        hook: impl Fn(&Diagnostic<'_>) + Send + Sync + 'static,
    ) -> Builder {
        self.blocked = Some(std::sync::Arc::new(hook));
        self
    }

    /// Turns every diagnostic off: no lost-waker report, no `deadlock:`
    /// panic (a deadlocked `block_on` then hangs), no watchdog. The run
    /// loop then has no observer at all; the benchmark uses this to show
    /// what the observer seam costs (nothing measurable).
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::builder().no_diagnostics().build();
    /// assert_eq!(ex.block_on(async { 1 }), 1);
    /// ```
    pub fn no_diagnostics(mut self) -> Builder {
        self.no_diagnostics = true;
        self
    }

    /// Records everything the executor does (spawns, polls, wakes and who
    /// made them, timers, microtasks, parking, clock jumps), for
    /// [`Executor::recording`]: a terminal timeline, a Perfetto trace, a
    /// step-through web page. Costs one small push per event; without it,
    /// nothing is recorded and nothing is slower. See [`crate::trace`].
    ///
    /// ```
    /// use async_primer::executor::Executor;
    /// let ex = Executor::builder().virtual_time().seed(3).record().build();
    /// ex.block_on(async {});
    /// assert_eq!(ex.recording().tasks(), 1);
    /// ```
    pub fn record(mut self) -> Builder {
        self.record = true;
        self
    }

    /// Adds an observer of the run loop (crate-internal: traces use it),
    /// called after the diagnostics.
    pub(crate) fn observe(mut self, observer: Box<dyn Observer>) -> Builder {
        self.extra = Some(observer);
        self
    }

    /// Builds the executor.
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::builder().build();
    /// assert_eq!(ex.block_on(async { "built" }), "built");
    /// ```
    pub fn build(mut self) -> Executor {
        let recorder = self.record.then(|| Recorder::new(self.virtual_time));
        if let Some(recorder) = &recorder {
            self = self.observe(Box::new(recorder.clone()));
        }
        let diagnostics: Option<Box<dyn Observer>> = match self.no_diagnostics {
            true => None,
            false => {
                let watchdog = self.watchdog.unwrap_or_else(default_watchdog);
                Some(Box::new(Diagnostics::new(
                    watchdog,
                    self.hook,
                    self.blocked,
                )))
            }
        };
        let observer = match (diagnostics, self.extra) {
            (Some(first), Some(second)) => {
                Some(Box::new(Fanout(first, second)) as Box<dyn Observer>)
            }
            (one, other) => one.or(other),
        };
        Executor {
            parts: Box::new(Parts {
                run_loop: RunLoop::new(self.virtual_time, self.seed, observer),
                recorder,
                run_active: Cell::new(false),
            }),
        }
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("virtual_time", &self.virtual_time)
            .field("seed", &self.seed)
            .field("watchdog", &self.watchdog)
            .field("custom_hook", &self.hook.is_some())
            .field("no_diagnostics", &self.no_diagnostics)
            .field("record", &self.record)
            .finish()
    }
}
