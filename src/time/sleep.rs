//! [`Sleep`]: a future that completes at a deadline.
//!
//! ```
//! use async_primer::executor::Executor;
//! use async_primer::time::{now, sleep};
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! ex.block_on(async {
//!     let start = now();
//!     sleep(Duration::from_secs(3600)).await; // an hour, instantly
//!     assert_eq!(now() - start, Duration::from_secs(3600));
//! });
//! ```
//
// How it works
// ------------
//
//   Unregistered --first Pending poll--> Registered(key) --deadline passed--> Done
//        \______________deadline already passed_______________________________^
//
// The first poll that has to wait registers the deadline and a clone of the
// task's waker with the executor's timer driver. Later polls only swap the
// waker if it changed. Dropping a registered `Sleep` removes its timer, so a
// cancelled sleep (say, the losing side of a `timeout`) keeps nobody waiting.
//
// Compared with tokio's `Sleep`: no `reset` (make a new one), no
// `Send`/`Sync` (it holds the executor's driver by `Rc`, because timers
// belong to one single-threaded executor), and only this crate's executor
// drives it.

use super::driver::{self, Driver, TimerKey};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// A future that completes once the executor's clock reaches a deadline.
/// Made by [`sleep`] and [`sleep_until`].
///
/// Cancel safety: cancel-safe: it holds no data, and dropping it removes
/// its timer. But a new `sleep(d)` starts the wait over: in a `select`
/// loop with a deadline, make the `Sleep` once, outside the loop, and
/// poll it by `&mut`.
///
/// ```
/// use async_primer::time::{Sleep, sleep};
/// use std::time::Duration;
///
/// async_primer::block_on(async {
///     let s: Sleep = sleep(Duration::from_millis(1));
///     s.await;
/// });
/// ```
#[derive(Debug)]
#[must_use = "a Sleep does nothing unless you `.await` it"]
pub struct Sleep {
    driver: Rc<Driver>,
    deadline: Instant,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Unregistered,
    Registered(TimerKey),
    Done,
}

/// Waits for `duration` on the executor's clock (virtual or real).
///
/// Panics (at your line) when no executor is running on this thread: the
/// deadline is measured on that executor's clock.
///
/// ```
/// use async_primer::time::sleep;
/// use std::time::Duration;
///
/// async_primer::block_on(async {
///     sleep(Duration::from_millis(1)).await;
/// });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    let driver = current_driver("sleep");
    let deadline = driver.now() + duration;
    Sleep {
        driver,
        deadline,
        state: State::Unregistered,
    }
}

/// Waits until the executor's clock reads `deadline` (at once if it already
/// does). Panics (at your line) when no executor is running on this thread.
///
/// ```
/// use async_primer::executor::Executor;
/// use async_primer::time::{now, sleep_until};
/// use std::time::Duration;
///
/// let ex = Executor::builder().virtual_time().build();
/// ex.block_on(async {
///     let at = now() + Duration::from_secs(5);
///     sleep_until(at).await;
///     assert_eq!(now(), at);
/// });
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    let driver = current_driver("sleep_until");
    Sleep {
        driver,
        deadline,
        state: State::Unregistered,
    }
}

#[track_caller]
pub(crate) fn current_driver(what: &str) -> Rc<Driver> {
    match driver::with_current(|d| d.cloned()) {
        Some(driver) => driver,
        None => panic!(
            "{what}() called with no executor running on this thread: \
             timers belong to an executor; call it inside `block_on` or a spawned task; \
             inside tokio or another runtime, wrap the calling code in \
             `Executor::new().run(..)` (or use that runtime's own sleep)"
        ),
    }
}

impl Sleep {
    /// The instant at which this sleep completes.
    ///
    /// ```
    /// use async_primer::time::{now, sleep};
    /// use std::time::Duration;
    ///
    /// async_primer::block_on(async {
    ///     let s = sleep(Duration::from_secs(1));
    ///     assert!(s.deadline() > now());
    /// });
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True once the deadline has passed.
    ///
    /// ```
    /// use async_primer::time::sleep;
    /// use std::time::Duration;
    ///
    /// async_primer::block_on(async {
    ///     assert!(sleep(Duration::ZERO).is_elapsed());
    /// });
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.state == State::Done || self.driver.now() >= self.deadline
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.state == State::Done || this.driver.now() >= this.deadline {
            if let State::Registered(key) = this.state {
                this.driver.remove(key);
            }
            this.state = State::Done;
            return Poll::Ready(());
        }
        match this.state {
            // First wait: hand the deadline and our waker to the driver.
            State::Unregistered => {
                let key = this.driver.insert(this.deadline, cx.waker().clone());
                this.state = State::Registered(key);
            }
            // Polled again early (another wake): keep the waker current.
            State::Registered(key) => this.driver.update_waker(key, cx.waker()),
            State::Done => unreachable!("handled above"),
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let State::Registered(key) = self.state {
            self.driver.remove(key);
        }
    }
}
