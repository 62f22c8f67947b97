//! [`ChunksTimeout`]: items in batches of up to `max`, a batch closing when
//! it is full or when its first item has waited a period.
//!
//! ```
//! use async_primer::executor::Executor;
//! use async_primer::stream::{self, StreamExt};
//! use async_primer::time::sleep;
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! ex.block_on(async {
//!     // Log lines: five at once, then one more a second later.
//!     let lines = stream::iter([0, 0, 0, 0, 0, 1000])
//!         .then(|wait| async move {
//!             sleep(Duration::from_millis(wait)).await;
//!             "line"
//!         });
//!     let batches: Vec<usize> = lines
//!         .chunks_timeout(3, Duration::from_millis(100))
//!         .map(|batch| batch.len())
//!         .collect()
//!         .await;
//!     // A full batch of 3; 2 sent when 100 ms passed; the last one alone.
//!     assert_eq!(batches, [3, 2, 1]);
//! });
//! ```
//!
//! Useful to write to a database or a log in batches without letting a
//! lone item wait forever. When the source ends, the partial batch comes
//! out at once, then `None`; an empty batch never comes out.
//! `chunks_timeout(0, _)` panics at the call.
//!
//! Needs a running [`Executor`](crate::executor::Executor) (its clock).
//! Same as `tokio-stream`'s `chunks_timeout`; `futures` has `ready_chunks`
//! (no timer). See [`crate::guide::ch10_streams`].

// How it works
//
//   Empty (no batch, no timer)
//     --item--> Filling(batch = [item], deadline = now + period)
//   Filling
//     --item, batch now full--> yield batch, Empty
//     --item--> Filling (the deadline stays: it belongs to the first item)
//     --deadline--> yield batch, Empty
//     --source ends--> yield batch, Ended
//
// Rejected: starting the timer when a batch is handed out (a fixed
// rhythm); a lone item would then wait up to a whole period for nothing.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use super::Stream;
use crate::time::{Sleep, sleep};

pin_project! {
    /// Stream for [`StreamExt::chunks_timeout`](super::StreamExt::chunks_timeout).
    ///
    /// ```
    /// use async_primer::stream::{self, ChunksTimeout, StreamExt};
    /// use std::time::Duration;
    ///
    /// let ex = async_primer::executor::Executor::builder().virtual_time().build();
    /// let s: ChunksTimeout<_> = stream::iter(1..=5).chunks_timeout(2, Duration::from_secs(1));
    /// assert_eq!(ex.block_on(s.collect::<Vec<_>>()), [vec![1, 2], vec![3, 4], vec![5]]);
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct ChunksTimeout<S: Stream> {
        #[pin]
        stream: S,
        max: usize,
        period: Duration,
        batch: Vec<S::Item>,
        // Runs while `batch` is not empty: the first item's deadline.
        deadline: Option<Sleep>,
        stream_done: bool,
    }
}

impl<S: Stream> ChunksTimeout<S> {
    #[track_caller]
    pub(crate) fn new(stream: S, max: usize, period: Duration) -> Self {
        assert!(
            max > 0,
            "chunks_timeout(0, _): a batch must hold at least one item; use 1 or more"
        );
        ChunksTimeout {
            stream,
            max,
            period,
            batch: Vec::new(),
            deadline: None,
            stream_done: false,
        }
    }
}

impl<S: Stream> Stream for ChunksTimeout<S> {
    type Item = Vec<S::Item>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Vec<S::Item>>> {
        let mut this = self.project();
        while !*this.stream_done {
            match this.stream.as_mut().poll_next(cx) {
                Poll::Ready(Some(item)) => {
                    // The first item of a batch starts its clock.
                    if this.batch.is_empty() {
                        *this.deadline = Some(sleep(*this.period));
                        this.batch.reserve(*this.max);
                    }
                    this.batch.push(item);
                    // Full: out now.
                    if this.batch.len() >= *this.max {
                        *this.deadline = None;
                        return Poll::Ready(Some(std::mem::take(this.batch)));
                    }
                }
                // The end: out with what there is, if anything.
                Poll::Ready(None) => {
                    *this.stream_done = true;
                    *this.deadline = None;
                }
                Poll::Pending => break,
            }
        }
        if this.batch.is_empty() {
            // Nothing waiting: the end, or the source has our waker.
            return if *this.stream_done {
                Poll::Ready(None)
            } else {
                Poll::Pending
            };
        }
        // A partial batch: out if the source ended or its time is up.
        if let Some(deadline) = this.deadline {
            if Pin::new(deadline).poll(cx).is_pending() {
                return Poll::Pending;
            }
            *this.deadline = None;
        }
        Poll::Ready(Some(std::mem::take(this.batch)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let held = self.batch.len();
        if self.stream_done {
            let n = usize::from(held > 0);
            return (n, Some(n));
        }
        let (lower, upper) = self.stream.size_hint();
        // At least as many full batches as the items allow; at most one
        // batch per item.
        let lower = lower.saturating_add(held).div_ceil(self.max);
        (lower, upper.and_then(|u| u.checked_add(held)))
    }
}
