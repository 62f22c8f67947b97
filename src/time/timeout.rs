//! [`timeout`]: give a future a deadline.
//!
//! ```
//! use async_primer::executor::Executor;
//! use async_primer::time::{sleep, timeout};
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! ex.block_on(async {
//!     let slow = sleep(Duration::from_secs(10));
//!     assert!(timeout(Duration::from_secs(1), slow).await.is_err());
//!     let quick = async { 7 };
//!     assert_eq!(timeout(Duration::from_secs(1), quick).await, Ok(7));
//! });
//! ```
//
// How it works: a `Timeout` is the inner future and a `Sleep` side by side.
// Each poll tries the inner future first (so a value that is ready exactly at
// the deadline still wins), then the sleep. When the timeout is dropped, both
// are dropped: the inner future is cancelled and the timer disarmed.
// Compared with tokio: the same shape; no `timeout_at` (use `sleep_until`
// with `future::select` if you need it).

use super::Sleep;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pin_project_lite::pin_project! {
    /// A future with a deadline, made by [`timeout`].
    ///
    /// Cancel safety: when the deadline passes first, the inner future is
    /// dropped, with whatever it held: as safe as the inner future is
    /// (`timeout(d, rx.recv())` loses nothing; `timeout(d, tx.send(msg))`
    /// drops `msg`). Dropping the `Timeout` itself drops both.
    ///
    /// ```
    /// use async_primer::time::{Timeout, timeout};
    /// use std::time::Duration;
    ///
    /// async_primer::block_on(async {
    ///     let t: Timeout<_> = timeout(Duration::from_secs(1), async { 2 });
    ///     assert_eq!(t.await, Ok(2));
    /// });
    /// ```
    #[derive(Debug)]
    #[must_use = "a Timeout does nothing unless you `.await` it"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

/// The error of a [`Timeout`] whose deadline passed first.
///
/// ```
/// use async_primer::time::{sleep, timeout};
/// use std::time::Duration;
///
/// async_primer::block_on(async {
///     let err = timeout(Duration::ZERO, sleep(Duration::from_secs(1))).await.unwrap_err();
///     assert_eq!(err.to_string(), "deadline has elapsed");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

/// Runs `future` for at most `duration` on the executor's clock: `Ok(value)`
/// if it finished in time, `Err(Elapsed)` (and the future dropped) if not.
/// Anything [`IntoFuture`] goes in, a [`Promise`](crate::promise::Promise) too.
/// Panics (at your line) when no executor is running on this thread.
///
/// ```
/// use async_primer::time::{sleep, timeout};
/// use std::time::Duration;
///
/// async_primer::block_on(async {
///     let r = timeout(Duration::from_millis(1), sleep(Duration::from_secs(60))).await;
///     assert!(r.is_err());
/// });
/// ```
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: future.into_future(),
        sleep: super::sleep::sleep(duration),
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(value) = this.future.poll(cx) {
            return Poll::Ready(Ok(value));
        }
        match Pin::new(this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed(()))),
            Poll::Pending => Poll::Pending,
        }
    }
}
