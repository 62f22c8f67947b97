//! [`Builder`]: an executor with virtual time, a seed, or a watchdog.
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

use super::Executor;
use super::diagnostics::{Diagnostic, Diagnostics, Hook};
use std::fmt;
use std::time::Duration;

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
    watchdog: Option<Duration>,
    hook: Option<Hook>,
}

impl Builder {
    /// A builder with the defaults: real time, FIFO order, no watchdog,
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

    /// Reports any single poll that holds the thread longer than `threshold`
    /// ([`Diagnostic::SlowPoll`], naming the task), and a parked executor
    /// with no timer armed for that long ([`Diagnostic::Stalled`]).
    ///
    /// ```
    /// use async_primer::executor::Executor;
    /// use std::time::Duration;
    ///
    /// let ex = Executor::builder().watchdog(Duration::from_secs(1)).build();
    /// ex.block_on(async {});
    /// ```
    pub fn watchdog(mut self, threshold: Duration) -> Builder {
        self.watchdog = Some(threshold);
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

    /// Builds the executor.
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::builder().build();
    /// assert_eq!(ex.block_on(async { "built" }), "built");
    /// ```
    pub fn build(self) -> Executor {
        let diag = Diagnostics {
            watchdog: self.watchdog,
            hook: self.hook,
        };
        Executor::from_core(super::core::Core::new(self.virtual_time, self.seed, diag))
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("virtual_time", &self.virtual_time)
            .field("seed", &self.seed)
            .field("watchdog", &self.watchdog)
            .field("custom_hook", &self.hook.is_some())
            .finish()
    }
}
