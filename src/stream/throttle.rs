//! [`Throttle`]: at most one item per period, by waiting between items.
//!
//! ```
//! use async_primer::executor::Executor;
//! use async_primer::stream::{self, StreamExt};
//! use async_primer::time::now;
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! ex.block_on(async {
//!     let start = now();
//!     let mut s = stream::iter(["a", "b", "c"]).throttle(Duration::from_secs(1));
//!     let mut at = Vec::new();
//!     while let Some(x) = s.next().await {
//!         at.push((x, (now() - start).as_secs()));
//!     }
//!     // The first at once, then one per second: nothing is dropped.
//!     assert_eq!(at, [("a", 0), ("b", 1), ("c", 2)]);
//! });
//! ```
//!
//! Nothing is dropped and nothing is buffered: while the period runs, the
//! source is not polled at all, so the slowdown travels upstream (through a
//! bounded channel, to its senders: back-pressure). Compare
//! [`Debounce`](super::Debounce), which drops items instead.
//!
//! Needs a running [`Executor`](crate::executor::Executor) (the period is
//! measured on its clock, virtual or real): polling it anywhere else panics
//! like [`sleep`](crate::time::sleep). A zero period lets everything through.
//! Same as `tokio-stream`'s `throttle`; `futures` has none.
//! See [`crate::guide::ch10_streams`].

// How it works
//
//   Open --item yielded--> Waiting(sleep until now + period)
//   Waiting --sleep fires--> Open (only then is the source polled again)
//
// The state is the `Option<Sleep>`: `None` is Open. The period runs from
// the moment an item is handed out, so the gap between two items seen by
// the consumer is at least `period`, however slowly it asks.
//
// Rejected: a fixed grid of slots (an `Interval`), which would let a burst
// through after a quiet spell; a throttle promises a gap between items.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use pin_project_lite::pin_project;

use super::Stream;
use crate::time::{Sleep, sleep};

pin_project! {
    /// Stream for [`StreamExt::throttle`](super::StreamExt::throttle).
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt, Throttle};
    /// use std::time::Duration;
    ///
    /// let ex = async_primer::executor::Executor::builder().virtual_time().build();
    /// let s: Throttle<_> = stream::iter(1..=3).throttle(Duration::from_millis(10));
    /// assert_eq!(ex.block_on(s.collect::<Vec<_>>()), [1, 2, 3]);
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Throttle<S> {
        #[pin]
        stream: S,
        period: Duration,
        // `Some` while the gap after the last item runs.
        gap: Option<Sleep>,
    }
}

impl<S> Throttle<S> {
    pub(crate) fn new(stream: S, period: Duration) -> Self {
        Throttle {
            stream,
            period,
            gap: None,
        }
    }
}

impl<S: Stream> Stream for Throttle<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.project();
        // Waiting: the gap must run out before the source is asked again.
        if let Some(gap) = this.gap {
            ready!(Pin::new(gap).poll(cx));
            *this.gap = None;
        }
        // Open: pass the next item on, and start the gap after it.
        let item = ready!(this.stream.poll_next(cx));
        if item.is_some() && !this.period.is_zero() {
            *this.gap = Some(sleep(*this.period));
        }
        Poll::Ready(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.stream.size_hint()
    }
}
