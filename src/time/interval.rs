//! [`interval`]: a tick every period.
//!
//! ```
//! use async_primer::executor::Executor;
//! use async_primer::time::{interval, now};
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! ex.block_on(async {
//!     let start = now();
//!     let mut every_second = interval(Duration::from_secs(1));
//!     for expected in 0..3 {
//!         let at = every_second.tick().await;
//!         assert_eq!(at - start, Duration::from_secs(expected));
//!     }
//! });
//! ```
//!
//! **Missed ticks are skipped.** If the code between two `tick()` calls
//! takes longer than a period, the next `tick()` completes at once (it is
//! late, and returns the instant it was due), and the ticks that fell into
//! the gap after it are dropped: the one after is the first grid point
//! (`start + k * period`) later than now. So a slow consumer never gets a
//! burst of catch-up ticks, and the ticks stay on the original grid. (tokio
//! calls this `MissedTickBehavior::Skip`; its default, `Burst`, and `Delay`
//! are left out.)
//
// How it works: the interval remembers the next instant on its grid.
// `poll_tick` sleeps until then (keeping the `Sleep` between polls, so a
// cancelled `tick()` loses nothing), and afterwards moves the next instant
// forward by whole periods until it is in the future.

use super::sleep::{Sleep, sleep_until};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

/// Ticks once per period. Made by [`interval`].
///
/// ```
/// use async_primer::executor::Executor;
/// use async_primer::time::{Interval, interval};
/// use std::time::Duration;
///
/// let ex = Executor::builder().virtual_time().build();
/// ex.block_on(async {
///     let mut ticks: Interval = interval(Duration::from_secs(1));
///     ticks.tick().await;
/// });
/// ```
#[derive(Debug)]
pub struct Interval {
    next: Instant,
    period: Duration,
    /// The sleep until `next`, kept between polls of `poll_tick`.
    sleep: Option<Sleep>,
}

/// A ticker whose first tick completes at once and then every `period`.
/// Panics (at your line) if `period` is zero or no executor is running.
///
/// ```
/// use async_primer::time::interval;
/// use std::time::Duration;
///
/// async_primer::block_on(async {
///     let mut ticks = interval(Duration::from_millis(1));
///     ticks.tick().await;
///     ticks.tick().await;
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "interval() needs a period greater than zero"
    );
    let now = super::sleep::current_driver("interval").now();
    Interval {
        next: now,
        period,
        sleep: None,
    }
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for.
    ///
    /// ```
    /// use async_primer::executor::Executor;
    /// use async_primer::time::interval;
    /// use std::time::Duration;
    ///
    /// let ex = Executor::builder().virtual_time().build();
    /// ex.block_on(async {
    ///     let mut ticks = interval(Duration::from_secs(2));
    ///     let first = ticks.tick().await;
    ///     assert_eq!(ticks.tick().await - first, Duration::from_secs(2));
    /// });
    /// ```
    ///
    /// Cancel safety: cancel-safe. The interval moves to its next instant
    /// only when a tick completes, so a `tick()` dropped while waiting (in
    /// a `select`) leaves the next `tick()` waiting for the same instant.
    pub async fn tick(&mut self) -> Instant {
        std::future::poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// The poll behind [`tick`](Self::tick) (and behind `Interval`'s
    /// [`Stream`](crate::stream::Stream) implementation): `Ready(instant)`
    /// once the next tick is due, else `Pending` with a timer set to wake
    /// `cx`'s waker.
    ///
    /// ```
    /// use async_primer::executor::Executor;
    /// use async_primer::time::interval;
    /// use std::time::Duration;
    ///
    /// let ex = Executor::builder().virtual_time().build();
    /// ex.block_on(async {
    ///     let mut ticks = interval(Duration::from_secs(1));
    ///     let first = std::future::poll_fn(|cx| ticks.poll_tick(cx)).await;
    ///     assert_eq!(ticks.tick().await - first, Duration::from_secs(1));
    /// });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        let at = self.next;
        let sleep = self.sleep.get_or_insert_with(|| sleep_until(at));
        ready!(Pin::new(sleep).poll(cx));
        self.sleep = None;
        let now = super::now();
        // Step along the grid past `now`: missed ticks are skipped.
        self.next += self.period;
        if self.next <= now {
            let behind = now - self.next;
            let missed = behind.as_nanos() / self.period.as_nanos() + 1;
            let skip = self.period.as_nanos().saturating_mul(missed);
            self.next += Duration::from_nanos(u64::try_from(skip).unwrap_or(u64::MAX));
        }
        Poll::Ready(at)
    }

    /// The period between ticks.
    ///
    /// ```
    /// use async_primer::time::interval;
    /// use std::time::Duration;
    ///
    /// async_primer::block_on(async {
    ///     assert_eq!(interval(Duration::from_secs(1)).period(), Duration::from_secs(1));
    /// });
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }
}
