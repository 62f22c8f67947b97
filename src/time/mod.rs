//! Time: [`sleep`], [`sleep_until`], [`timeout`], [`interval`], [`now`] and
//! [`elapsed`],
//! measured on the clock of the executor running on this thread.
//!
//! That clock is either real time, or **virtual time**
//! ([`Builder::virtual_time`](crate::executor::Builder::virtual_time)):
//! a clock that stands still while tasks run and, when every task is
//! waiting, jumps straight to the next deadline. A program that sleeps for
//! an hour finishes at once, and timers fire in deadline order the same way
//! on every run, which is what makes async programs testable and gradable.
//!
//! ```
//! use async_primer::executor::Executor;
//! use async_primer::time::{now, sleep, timeout};
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! let waited = ex.block_on(async {
//!     let start = now();
//!     sleep(Duration::from_secs(90)).await;
//!     let late = timeout(Duration::from_secs(1), sleep(Duration::from_secs(5))).await;
//!     assert!(late.is_err());
//!     now() - start
//! });
//! assert_eq!(waited, Duration::from_secs(91));
//! ```
//!
//! Instants are plain [`std::time::Instant`]s (under virtual time, a real
//! instant taken when the executor was built plus the virtual offset), so
//! subtracting them works as usual.
//!
//! The guide explains how timers and parking fit into the run loop:
//! [`crate::guide::ch04_executor`]. No loom model of its own: the timers
//! live in the executor's thread and are touched by nothing else; the one
//! cross-thread moment, a wake landing while the executor parks until the
//! next deadline, is modelled in `tests/loom_executor.rs`
//! (`wake_while_parking`). Behaviour: `tests/time.rs`. Left out compared with `tokio::time`:
//! `timeout_at`, `Sleep::reset`, interval burst/delay policies, and a timer
//! wheel (a binary heap is simpler and fast enough for a single thread).

mod driver;
mod interval;
mod sleep;
mod timeout;

pub(crate) use driver::{Driver, EnterGuard, enter, enter_outermost};
pub use interval::{Interval, interval};
pub use sleep::{Sleep, sleep, sleep_until};
pub use timeout::{Elapsed, Timeout, timeout};

use std::time::{Duration, Instant};

/// The current time on the clock of the executor running on this thread:
/// virtual time under [`Builder::virtual_time`](crate::executor::Builder::virtual_time),
/// otherwise (and with no executor running) `Instant::now()`.
///
/// ```
/// use async_primer::executor::Executor;
/// use async_primer::time::{now, sleep};
/// use std::time::Duration;
///
/// let ex = Executor::builder().virtual_time().build();
/// ex.block_on(async {
///     let t0 = now();
///     assert_eq!(now(), t0); // virtual time stands still while we run
///     sleep(Duration::from_millis(250)).await;
///     assert_eq!(now() - t0, Duration::from_millis(250));
/// });
/// ```
pub fn now() -> Instant {
    driver::with_current(|d| match d {
        Some(driver) => driver.now(),
        None => Instant::now(),
    })
}

/// How long the clock of the executor running on this thread has run since
/// that executor was built: exact virtual time under
/// [`Builder::virtual_time`](crate::executor::Builder::virtual_time), real
/// time otherwise. With no executor running it is [`Duration::ZERO`].
///
/// The stamp on every line of [`say!`](crate::say) and the one-liner that
/// replaces `let start = now(); ... now() - start` in examples.
///
/// ```
/// use async_primer::executor::Executor;
/// use async_primer::time::{elapsed, sleep};
/// use std::time::Duration;
///
/// let ex = Executor::builder().virtual_time().build();
/// ex.block_on(async {
///     sleep(Duration::from_millis(1500)).await;
///     assert_eq!(elapsed(), Duration::from_millis(1500));
/// });
/// assert_eq!(elapsed(), Duration::ZERO); // no executor running here
/// ```
pub fn elapsed() -> Duration {
    driver::with_current(|d| d.map_or(Duration::ZERO, |driver| driver.elapsed()))
}
