//! The one-stream adapters behind [`StreamExt`](super::StreamExt):
//! [`Map`], [`Filter`], [`Then`], [`Take`] and [`Skip`].
//!
//! Each wraps one stream and changes what comes out of it, item by item.
//! None of them runs anything when it is made; closures run inside the
//! `poll_next` that receives the item they apply to.
//!
//! ```
//! use async_primer::stream::{self, StreamExt};
//!
//! let s = stream::iter(1..=10)
//!     .skip(1)                        // 2..=10
//!     .filter(|x| x % 2 == 0)         // 2, 4, 6, 8, 10
//!     .map(|x| x * 10)                // 20, 40, ...
//!     .then(|x| async move { x + 1 }) // an async step per item
//!     .take(3);
//! assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [21, 41, 61]);
//! ```
//!
//! Cancellation: dropping an adapter drops the stream it wraps and, for
//! `Then`, the future running for the current item (that item is lost).
//!
//! See [`crate::guide::ch10_streams`].

// How it works: `Map`, `Filter`, `Take` and `Skip` keep no state beyond a
// counter; each `poll_next` polls the inner stream and passes its answer
// on, transformed. `Filter` loops while the inner stream is ready with items
// it rejects, so a `Pending` it returns always comes from the inner stream
// (which stored the waker). `Then` has two states:
//
//     Idle (fut = None) --inner yields x--> Running (fut = Some(f(x)))
//     Running --fut ready with y--> Idle, yield y
//
// `Take` stops polling the inner stream once it has given `n` items: a
// `take(1)` on an endless stream finishes.
//
// Rejected: `filter` with an async predicate, as in `futures`; the sync
// one (as in `Iterator` and `tokio-stream`) covers nearly every use, and an
// async test is `then` + `filter_map`-like code the reader can write.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use super::Stream;

pin_project! {
    /// Stream for [`StreamExt::map`](super::StreamExt::map).
    ///
    /// ```
    /// use async_primer::stream::{self, Map, StreamExt};
    /// let s: Map<_, _> = stream::iter([1, 2]).map(|x| x * 2);
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [2, 4]);
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Map<S, F> {
        #[pin]
        stream: S,
        f: F,
    }
}

impl<S, F> Map<S, F> {
    pub(crate) fn new(stream: S, f: F) -> Self {
        Map { stream, f }
    }
}

impl<S, F, T> Stream for Map<S, F>
where
    S: Stream,
    F: FnMut(S::Item) -> T,
{
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.project();
        Poll::Ready(ready!(this.stream.poll_next(cx)).map(this.f))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.stream.size_hint()
    }
}

pin_project! {
    /// Stream for [`StreamExt::filter`](super::StreamExt::filter).
    ///
    /// ```
    /// use async_primer::stream::{self, Filter, StreamExt};
    /// let s: Filter<_, _> = stream::iter(1..=4).filter(|x| x % 2 == 1);
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [1, 3]);
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Filter<S, F> {
        #[pin]
        stream: S,
        f: F,
    }
}

impl<S, F> Filter<S, F> {
    pub(crate) fn new(stream: S, f: F) -> Self {
        Filter { stream, f }
    }
}

impl<S, F> Stream for Filter<S, F>
where
    S: Stream,
    F: FnMut(&S::Item) -> bool,
{
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let mut this = self.project();
        loop {
            match ready!(this.stream.as_mut().poll_next(cx)) {
                // Kept: pass it on.
                Some(item) if (this.f)(&item) => return Poll::Ready(Some(item)),
                // Rejected: drop it and ask for the next one.
                Some(_) => {}
                // The end.
                None => return Poll::Ready(None),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, self.stream.size_hint().1)
    }
}

pin_project! {
    /// Stream for [`StreamExt::then`](super::StreamExt::then).
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// let s = stream::iter([1, 2]).then(|x| async move { x * 3 });
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [3, 6]);
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Then<S, Fut, F> {
        #[pin]
        stream: S,
        // `Some` while the future for the current item runs.
        #[pin]
        fut: Option<Fut>,
        f: F,
    }
}

impl<S, Fut, F> Then<S, Fut, F> {
    pub(crate) fn new(stream: S, f: F) -> Self {
        Then {
            stream,
            fut: None,
            f,
        }
    }
}

impl<S, Fut, F> Stream for Then<S, Fut, F>
where
    S: Stream,
    F: FnMut(S::Item) -> Fut,
    Fut: Future,
{
    type Item = Fut::Output;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Fut::Output>> {
        let mut this = self.project();
        loop {
            // Running: finish the current item's future first.
            if let Some(fut) = this.fut.as_mut().as_pin_mut() {
                let out = ready!(fut.poll(cx));
                this.fut.set(None);
                return Poll::Ready(Some(out));
            }
            // Idle: the next item starts the next future.
            match ready!(this.stream.as_mut().poll_next(cx)) {
                Some(item) => this.fut.set(Some((this.f)(item))),
                None => return Poll::Ready(None),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let running = usize::from(self.fut.is_some());
        let (lower, upper) = self.stream.size_hint();
        (
            lower.saturating_add(running),
            upper.and_then(|u| u.checked_add(running)),
        )
    }
}

pin_project! {
    /// Stream for [`StreamExt::take`](super::StreamExt::take).
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt, Take};
    /// let s: Take<_> = stream::repeat_with(|| 0).take(2);
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [0, 0]);
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Take<S> {
        #[pin]
        stream: S,
        left: usize,
    }
}

impl<S> Take<S> {
    pub(crate) fn new(stream: S, n: usize) -> Self {
        Take { stream, left: n }
    }
}

impl<S: Stream> Stream for Take<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.project();
        // Done: never poll the inner stream again (it may be endless).
        if *this.left == 0 {
            return Poll::Ready(None);
        }
        let item = ready!(this.stream.poll_next(cx));
        match item {
            Some(_) => *this.left -= 1,
            None => *this.left = 0,
        }
        Poll::Ready(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.left == 0 {
            return (0, Some(0));
        }
        let (lower, upper) = self.stream.size_hint();
        let upper = upper.map_or(self.left, |u| u.min(self.left));
        (lower.min(self.left), Some(upper))
    }
}

pin_project! {
    /// Stream for [`StreamExt::skip`](super::StreamExt::skip).
    ///
    /// ```
    /// use async_primer::stream::{self, Skip, StreamExt};
    /// let s: Skip<_> = stream::iter(0..4).skip(3);
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [3]);
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Skip<S> {
        #[pin]
        stream: S,
        left: usize,
    }
}

impl<S> Skip<S> {
    pub(crate) fn new(stream: S, n: usize) -> Self {
        Skip { stream, left: n }
    }
}

impl<S: Stream> Stream for Skip<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let mut this = self.project();
        // Still skipping: drop items as long as they come ready.
        while *this.left > 0 {
            match ready!(this.stream.as_mut().poll_next(cx)) {
                Some(_) => *this.left -= 1,
                None => return Poll::Ready(None),
            }
        }
        this.stream.poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (lower, upper) = self.stream.size_hint();
        (
            lower.saturating_sub(self.left),
            upper.map(|u| u.saturating_sub(self.left)),
        )
    }
}
