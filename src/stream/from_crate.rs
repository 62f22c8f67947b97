//! The crate's own sources of many values, as streams: an
//! [`mpsc::Receiver`](crate::channel::mpsc::Receiver), an
//! [`Interval`](crate::time::Interval), and an
//! [`EventEmitter`](crate::callback::EventEmitter)'s events
//! ([`EventEmitter::stream`]).
//!
//! ```
//! use async_primer::channel::mpsc;
//! use async_primer::executor::Executor;
//! use async_primer::stream::StreamExt;
//! use async_primer::time::interval;
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! ex.block_on(async {
//!     // A receiver is a stream of messages, ending when the senders are gone.
//!     let (tx, rx) = mpsc::bounded(4);
//!     async_primer::spawn(async move {
//!         for i in 0..3 { tx.send(i).await.unwrap(); }
//!     });
//!     assert_eq!(rx.map(|i| i * 2).collect::<Vec<_>>().await, [0, 2, 4]);
//!
//!     // An interval is an endless stream of instants.
//!     let ticks: Vec<_> = interval(Duration::from_secs(1)).take(3).collect().await;
//!     assert_eq!(ticks[2] - ticks[0], Duration::from_secs(2));
//! });
//! ```
//!
//! Each `impl` is a thin shell around a `poll_*` method the type already
//! has (`Receiver::poll_recv`, `Interval::poll_tick`) or a future it
//! already builds (`EventEmitter::next`). They live here, in the stream
//! layer, and not beside their types, so that `channel`, `time` and
//! `callback` never import `stream` (which imports them): no import cycle.
//! See [`crate::guide::ch10_streams`].

// How it works: no state of its own except in `Events`:
//
//   Subscribed(next) --event e--> Subscribed(emitter.next()), yield e
//   Subscribed(next) --listener removed (remove_all)--> Ended, None forever
//
// The next `next()` is made in the same poll that receives an event, so
// the stream is unsubscribed only from the moment its listener fires to
// that poll. Rejected: a listener that pushes every event into an
// unbounded channel (lossless, but a second subscription mechanism beside
// `next()`, and a queue that grows without bound if nobody reads it); the
// docs show how to build it in three lines when every event matters.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use super::Stream;
use crate::callback::{EventEmitter, Next};
use crate::channel::mpsc::Receiver;
use crate::time::Interval;

/// A receiver is the stream of its messages: `Some(msg)` per message,
/// `None` once every sender is gone (or the channel was closed) and the
/// queue is empty. Like [`recv`](Receiver::recv), a bounded channel frees a
/// slot for a waiting sender with every message taken, so a slow consumer
/// of this stream slows the senders down (back-pressure).
///
/// ```
/// use async_primer::channel::mpsc;
/// use async_primer::stream::StreamExt;
///
/// let (tx, rx) = mpsc::unbounded();
/// tx.try_send("a").unwrap();
/// tx.try_send("b").unwrap();
/// drop(tx);
/// assert_eq!(async_primer::block_on(rx.collect::<Vec<_>>()), ["a", "b"]);
/// ```
impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_recv(cx)
    }
}

/// An interval is the endless stream of its ticks (the instants they were
/// due, as [`tick`](Interval::tick) returns them).
///
/// ```
/// use async_primer::executor::Executor;
/// use async_primer::stream::StreamExt;
/// use async_primer::time::{interval, now};
/// use std::time::Duration;
///
/// let ex = Executor::builder().virtual_time().build();
/// ex.block_on(async {
///     let start = now();
///     let mut ticks = interval(Duration::from_millis(100)).skip(1);
///     assert_eq!(ticks.next().await.map(|t| t - start), Some(Duration::from_millis(100)));
/// });
/// ```
impl Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}

impl<E: Clone + Send + 'static> EventEmitter<E> {
    /// The emitter's events as a stream, one [`next()`](EventEmitter::next)
    /// after another. Subscribed from this call on (it counts in
    /// [`listener_count`](EventEmitter::listener_count)); ends (`None`) if
    /// its listener is removed by [`remove_all`](EventEmitter::remove_all);
    /// unsubscribes when dropped.
    ///
    /// ```
    /// use async_primer::callback::EventEmitter;
    /// use async_primer::stream::StreamExt;
    ///
    /// let clicks = EventEmitter::<u32>::new();
    /// let mut s = clicks.stream();
    /// assert_eq!(clicks.emit(1), 1);
    /// async_primer::block_on(async {
    ///     assert_eq!(s.next().await, Some(1)); // and it subscribed again
    ///     assert_eq!(clicks.emit(2), 1);
    ///     assert_eq!(s.next().await, Some(2));
    ///     clicks.remove_all();
    ///     assert_eq!(s.next().await, None);
    /// });
    /// ```
    ///
    /// **It can miss events**, like `next()`: after its listener fires it
    /// is unsubscribed until the stream is polled again, so of two events
    /// emitted back to back only the first is seen. When every event
    /// matters, feed a channel from a listener and use the receiver as the
    /// stream instead:
    ///
    /// ```
    /// use async_primer::callback::EventEmitter;
    /// use async_primer::channel::mpsc;
    /// use async_primer::stream::StreamExt;
    ///
    /// let clicks = EventEmitter::<u32>::new();
    /// let (tx, rx) = mpsc::unbounded();
    /// let id = clicks.on(move |e| { let _ = tx.try_send(*e); });
    /// clicks.emit(1);
    /// clicks.emit(2); // back to back: both kept
    /// clicks.off(id); // drops the listener, and with it the sender
    /// assert_eq!(async_primer::block_on(rx.collect::<Vec<_>>()), [1, 2]);
    /// ```
    pub fn stream(&self) -> Events<'_, E> {
        Events {
            emitter: self,
            next: Some(self.next()),
        }
    }
}

/// Stream for [`EventEmitter::stream`].
///
/// ```
/// use async_primer::callback::{EventEmitter};
/// use async_primer::stream::Events;
///
/// let e = EventEmitter::<()>::new();
/// let s: Events<'_, ()> = e.stream();
/// assert_eq!(e.listener_count(), 1);
/// drop(s);
/// assert_eq!(e.listener_count(), 0);
/// ```
#[derive(Debug)]
#[must_use = "streams do nothing unless polled (the listener is already registered)"]
pub struct Events<'a, E> {
    emitter: &'a EventEmitter<E>,
    /// `None` once ended.
    next: Option<Next<'a, E>>,
}

impl<E: Clone + Send + 'static> Stream for Events<'_, E> {
    type Item = E;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        let this = self.get_mut();
        let Some(next) = this.next.as_mut() else {
            return Poll::Ready(None); // ended earlier
        };
        match Pin::new(next).poll(cx) {
            // An event: subscribe again at once (the gap is as short as it
            // can be), then hand it out.
            Poll::Ready(Some(event)) => {
                this.next = Some(this.emitter.next());
                Poll::Ready(Some(event))
            }
            // The listener was removed: no event will ever come.
            Poll::Ready(None) => {
                this.next = None;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
