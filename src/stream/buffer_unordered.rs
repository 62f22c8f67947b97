//! [`BufferUnordered`]: a stream of futures, run up to `n` at a time,
//! their outputs handed out as they finish.
//!
//! ```
//! use async_primer::executor::Executor;
//! use async_primer::stream::{self, StreamExt};
//! use async_primer::time::sleep;
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! let done = ex.block_on(async {
//!     // Three downloads taking 30, 10 and 20 ms, two at a time.
//!     stream::iter([30, 10, 20])
//!         .map(|ms| async move {
//!             sleep(Duration::from_millis(ms)).await;
//!             ms
//!         })
//!         .buffer_unordered(2)
//!         .collect::<Vec<_>>()
//!         .await
//! });
//! // 10 finishes first; 20 starts then (at 10 ms) and ends at 30 ms, with 30.
//! assert_eq!(done, [10, 30, 20]);
//! ```
//!
//! **Bounded concurrency and back-pressure.** At most `n` futures exist at
//! once, counting finished ones whose output has not been taken yet; while
//! all `n` slots are busy, the source stream is not polled, so a source
//! that is itself fed by a bounded channel pushes back on its producer.
//! `buffer_unordered(0)` panics at the call (it could never run anything;
//! in `futures` it hangs, issue #2740).
//!
//! Cancellation: dropping the stream drops every future still running (in
//! slot order), the outputs not taken yet, and the source.
//!
//! A future that panics: the panic reaches the caller of `poll_next`, that
//! future is dropped and its slot freed, and the stream stays usable (that
//! item is simply missing), as in `futures`.
//!
//! Compared with `futures::StreamExt::buffer_unordered`: the same behaviour;
//! the `n` slots are allocated when the adapter is made (so `n` is a real
//! bound, not "unbounded" in disguise), and no allocation happens per item.
//! See [`crate::guide::ch10_streams`].

// How it works
//
//   poll_next:
//     1. fill: while a slot is free and the source has a future ready,
//        start it in a free slot (its first poll happens right there)
//     2. poll the slots woken since the last call (InFlight, O(woken))
//     3. hand out the output that finished first (`done` is a FIFO of
//        slot indices in completion order) and free its slot
//     4. nothing to hand out: None if the source ended and no slot is
//        busy, else Pending (a busy slot or the source has our waker)
//
// Rejected: refilling in step 3 right after freeing a slot; the next call
// refills anyway, and that keeps "pull from the source" in one place.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::Stream;
use super::in_flight::{InFlight, MAX_IN_FLIGHT, Taken};

pin_project! {
    /// Stream for [`StreamExt::buffer_unordered`](super::StreamExt::buffer_unordered).
    ///
    /// ```
    /// use async_primer::stream::{self, BufferUnordered, StreamExt};
    /// let s: BufferUnordered<_> = stream::iter(1..=3).map(|x| async move { x }).buffer_unordered(2);
    /// let mut v: Vec<i32> = async_primer::block_on(s.collect());
    /// v.sort();
    /// assert_eq!(v, [1, 2, 3]);
    /// ```
    #[must_use = "streams do nothing unless polled"]
    pub struct BufferUnordered<S>
    where
        S: Stream,
        S::Item: Future,
    {
        #[pin]
        stream: S,
        in_flight: InFlight<S::Item>,
        // Free slot indices (a stack: the most recently freed is reused).
        free: Vec<u32>,
        // Finished slots, in the order they finished.
        done: VecDeque<u32>,
        stream_done: bool,
    }
}

impl<S> BufferUnordered<S>
where
    S: Stream,
    S::Item: Future,
{
    #[track_caller]
    pub(crate) fn new(stream: S, n: usize) -> Self {
        check_limit("buffer_unordered", n);
        BufferUnordered {
            stream,
            in_flight: InFlight::new(n),
            free: (0..n as u32).rev().collect(),
            done: VecDeque::with_capacity(n),
            stream_done: false,
        }
    }
}

/// The `n = 0` and `n` too large panics, shared with `buffered`.
#[track_caller]
pub(super) fn check_limit(what: &str, n: usize) {
    assert!(
        n > 0,
        "{what}(0): no future could ever run, so the stream would never yield; \
         use {what}(1) or more (1 runs the futures one at a time)"
    );
    assert!(
        n <= MAX_IN_FLIGHT,
        "{what}({n}): at most {MAX_IN_FLIGHT} futures can be in flight"
    );
}

impl<S> Stream for BufferUnordered<S>
where
    S: Stream,
    S::Item: Future,
{
    type Item = <S::Item as Future>::Output;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        let in_flight = this.in_flight;
        in_flight.register(cx.waker());
        // 1. Fill the free slots; never poll the source when none is free.
        while let (false, Some(&i)) = (*this.stream_done, this.free.last()) {
            match this.stream.as_mut().poll_next(cx) {
                Poll::Ready(Some(fut)) => {
                    this.free.pop();
                    match in_flight.start(i as usize, fut) {
                        Ok(false) => {}
                        Ok(true) => this.done.push_back(i),
                        // Re-raised once the slot is on record as finished.
                        Err(panic) => {
                            this.done.push_back(i);
                            resume_unwind(panic);
                        }
                    }
                }
                Poll::Ready(None) => *this.stream_done = true,
                Poll::Pending => break,
            }
        }
        // 2. Poll the futures that were woken.
        if let Some(panic) = in_flight.poll_woken(|i| this.done.push_back(i as u32)) {
            resume_unwind(panic);
        }
        // 3. Hand out the oldest finished output (skipping panicked ones).
        while let Some(i) = this.done.pop_front() {
            let taken = in_flight.take(i as usize);
            this.free.push(i);
            match taken {
                Taken::Output(out) => return Poll::Ready(Some(out)),
                Taken::Lost => {}
                Taken::NotDone => unreachable!("`done` lists finished slots"),
            }
        }
        // 4. Nothing finished.
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

impl<S> fmt::Debug for BufferUnordered<S>
where
    S: Stream + fmt::Debug,
    S::Item: Future,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferUnordered")
            .field("stream", &self.stream)
            .field("limit", &self.in_flight.capacity())
            .field("in_flight", &self.in_flight.busy())
            .field("stream_done", &self.stream_done)
            .finish()
    }
}
