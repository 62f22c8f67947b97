//! [`Debounce`]: only the last item of each burst, once the source has
//! been quiet for a period.
//!
//! ```
//! use async_primer::executor::Executor;
//! use async_primer::stream::{self, StreamExt};
//! use async_primer::time::sleep;
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! ex.block_on(async {
//!     // Keystrokes: "r", "ru", "rus" typed quickly, a pause, then "rust".
//!     let typed = stream::iter([(0, "r"), (50, "ru"), (50, "rus"), (500, "rust")])
//!         .then(|(wait, text)| async move {
//!             sleep(Duration::from_millis(wait)).await;
//!             text
//!         });
//!     let searches: Vec<_> = typed.debounce(Duration::from_millis(300)).collect().await;
//!     assert_eq!(searches, ["rus", "rust"]); // one search per pause in typing
//! });
//! ```
//!
//! Each new item replaces the one waiting and restarts the quiet period;
//! an item comes out only when the period passes with nothing new. When
//! the source ends, the waiting item (if any) comes out at once, then
//! `None`. Unlike [`Throttle`](super::Throttle) it drops items (all but the
//! last of a burst), and it keeps polling the source so that it can see the
//! burst: a source that is always ready never lets an item out until it
//! ends.
//!
//! Needs a running [`Executor`](crate::executor::Executor) (its clock).
//! Same as `debounceTime` in RxJS; neither `futures` nor `tokio-stream` has
//! one. See [`crate::guide::ch10_streams`].

// How it works
//
//   Quiet (nothing held)
//     --item x--> Holding(x, sleep = now + period)
//   Holding(x, ..)
//     --item y--> Holding(y, sleep = now + period)   (x dropped, timer reset)
//     --sleep fires--> Quiet, yield x
//     --source ends--> yield x, then Ended
//
// Each `poll_next` first drains every item the source has ready (the
// newest wins), then waits on the timer. A `Pending` answer therefore
// means both the source and the timer have our waker.
//
// Rejected: resetting one `Sleep` in place (it has no `reset`); dropping
// it and making a new one costs a timer removal and an insertion.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use super::Stream;
use crate::time::{Sleep, sleep};

pin_project! {
    /// Stream for [`StreamExt::debounce`](super::StreamExt::debounce).
    ///
    /// ```
    /// use async_primer::stream::{self, Debounce, StreamExt};
    /// use std::time::Duration;
    ///
    /// let ex = async_primer::executor::Executor::builder().virtual_time().build();
    /// // Everything arrives at once: one burst, only the last survives.
    /// let s: Debounce<_> = stream::iter(1..=3).debounce(Duration::from_millis(10));
    /// assert_eq!(ex.block_on(s.collect::<Vec<_>>()), [3]);
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Debounce<S: Stream> {
        #[pin]
        stream: S,
        period: Duration,
        // The newest item and the quiet period running since it came.
        held: Option<(S::Item, Sleep)>,
        stream_done: bool,
    }
}

impl<S: Stream> Debounce<S> {
    pub(crate) fn new(stream: S, period: Duration) -> Self {
        Debounce {
            stream,
            period,
            held: None,
            stream_done: false,
        }
    }
}

impl<S: Stream> Stream for Debounce<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let mut this = self.project();
        // Take in everything the source has ready; the newest wins.
        while !*this.stream_done {
            match this.stream.as_mut().poll_next(cx) {
                // A newer item: it replaces the held one, the timer restarts.
                Poll::Ready(Some(item)) => *this.held = Some((item, sleep(*this.period))),
                // The end: the held item need not wait any longer.
                Poll::Ready(None) => {
                    *this.stream_done = true;
                    return Poll::Ready(this.held.take().map(|(item, _)| item));
                }
                Poll::Pending => break,
            }
        }
        match this.held {
            // Holding: out when the source has been quiet long enough.
            Some((_, quiet)) => match Pin::new(quiet).poll(cx) {
                Poll::Ready(()) => Poll::Ready(this.held.take().map(|(item, _)| item)),
                Poll::Pending => Poll::Pending,
            },
            // Nothing held, and the source ended: the end.
            None if *this.stream_done => Poll::Ready(None),
            // Nothing held: the source has our waker.
            None => Poll::Pending,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let held = usize::from(self.held.is_some());
        if self.stream_done {
            return (held, Some(held));
        }
        let upper = self.stream.size_hint().1;
        (held, upper.and_then(|u| u.checked_add(held)))
    }
}
