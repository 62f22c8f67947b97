//! [`Buffered`]: a stream of futures, run up to `n` at a time, their
//! outputs handed out in the order the futures came.
//!
//! ```
//! use async_primer::executor::Executor;
//! use async_primer::stream::{self, StreamExt};
//! use async_primer::time::{now, sleep};
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! ex.block_on(async {
//!     let start = now();
//!     let out: Vec<u64> = stream::iter([30, 10, 20])
//!         .map(|ms| async move {
//!             sleep(Duration::from_millis(ms)).await;
//!             ms
//!         })
//!         .buffered(2)
//!         .collect()
//!         .await;
//!     assert_eq!(out, [30, 10, 20]); // input order, whatever finished first
//!     // 30 and 10 start at 0; 20 starts when 10's slot is handed out, at 30.
//!     assert_eq!(now() - start, Duration::from_millis(50));
//! });
//! ```
//!
//! **Bounded concurrency and back-pressure**, as for
//! [`BufferUnordered`](super::BufferUnordered): at most `n` futures exist at
//! once, counting finished outputs not taken yet, and the source is not
//! polled while all `n` are busy. Order costs something here: a slow future
//! at the head holds its finished successors in their slots, so fewer new
//! ones can start (head-of-line blocking). `buffered(0)` panics at the call.
//!
//! Cancellation: dropping the stream drops every future still running, the
//! outputs not taken yet, and the source.
//!
//! A future that panics: the panic reaches the caller of `poll_next`, that
//! future is dropped, and the stream stays usable (that item is missing
//! from the output, the order of the others is kept).
//!
//! See [`crate::guide::ch10_streams`].

// How it works
//
// The `n` slots of `InFlight` are used as a ring: the futures in input
// order occupy `head, head+1, ..., head+busy-1` (mod n).
//
//   poll_next:
//     1. fill: while the ring is not full and the source has a future
//        ready, start it at the tail (`head + busy`)
//     2. poll the slots woken since the last call
//     3. the head slot is finished? hand it out, `head += 1`
//     4. otherwise Pending (or None once the source ended and the ring is
//        empty)
//
// Rejected: one ordered queue of (index, output) pairs sorted on arrival,
// as `futures`' `FuturesOrdered` does over a `FuturesUnordered`; the ring
// gives the order for free because slots are filled in input order.

use std::fmt;
use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::Stream;
use super::buffer_unordered::check_limit;
use super::in_flight::{InFlight, Taken};

pin_project! {
    /// Stream for [`StreamExt::buffered`](super::StreamExt::buffered).
    ///
    /// ```
    /// use async_primer::stream::{self, Buffered, StreamExt};
    /// let s: Buffered<_> = stream::iter(1..=3).map(|x| async move { x * 2 }).buffered(2);
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [2, 4, 6]);
    /// ```
    #[must_use = "streams do nothing unless polled"]
    pub struct Buffered<S>
    where
        S: Stream,
        S::Item: Future,
    {
        #[pin]
        stream: S,
        in_flight: InFlight<S::Item>,
        // The slot of the oldest future (the next output to hand out).
        head: usize,
        stream_done: bool,
    }
}

impl<S> Buffered<S>
where
    S: Stream,
    S::Item: Future,
{
    #[track_caller]
    pub(crate) fn new(stream: S, n: usize) -> Self {
        check_limit("buffered", n);
        Buffered {
            stream,
            in_flight: InFlight::new(n),
            head: 0,
            stream_done: false,
        }
    }
}

impl<S> Stream for Buffered<S>
where
    S: Stream,
    S::Item: Future,
{
    type Item = <S::Item as Future>::Output;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        let in_flight = this.in_flight;
        let n = in_flight.capacity();
        in_flight.register(cx.waker());
        // 1. Fill the ring at its tail; never poll the source when full.
        while !*this.stream_done && in_flight.busy() < n {
            match this.stream.as_mut().poll_next(cx) {
                Poll::Ready(Some(fut)) => {
                    let tail = (*this.head + in_flight.busy()) % n;
                    // A panic leaves the slot finished (no output): the
                    // ring is consistent, so it can be re-raised at once.
                    if let Err(panic) = in_flight.start(tail, fut) {
                        resume_unwind(panic);
                    }
                }
                Poll::Ready(None) => *this.stream_done = true,
                Poll::Pending => break,
            }
        }
        // 2. Poll the futures that were woken (a finished one waits in its
        //    slot until it reaches the head).
        if let Some(panic) = in_flight.poll_woken(|_| {}) {
            resume_unwind(panic);
        }
        // 3. Hand out the head, if it is finished (skipping panicked ones).
        loop {
            match in_flight.take(*this.head) {
                Taken::Output(out) => {
                    *this.head = (*this.head + 1) % n;
                    return Poll::Ready(Some(out));
                }
                Taken::Lost => *this.head = (*this.head + 1) % n,
                Taken::NotDone => break,
            }
        }
        // 4. The head is still running (it has our waker), or all is done.
        if *this.stream_done && in_flight.busy() == 0 {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let source = match self.stream_done {
            true => (0, Some(0)),
            false => self.stream.size_hint(),
        };
        self.in_flight.size_hint(source, self.stream_done)
    }
}

impl<S> fmt::Debug for Buffered<S>
where
    S: Stream + fmt::Debug,
    S::Item: Future,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Buffered")
            .field("stream", &self.stream)
            .field("limit", &self.in_flight.capacity())
            .field("in_flight", &self.in_flight.busy())
            .field("stream_done", &self.stream_done)
            .finish()
    }
}
