//! The futures that consume a stream: [`Next`] (one item), [`Fold`] and
//! [`Collect`] (all of them). This is where a stream meets `.await`.
//!
//! ```
//! use async_primer::stream::{self, StreamExt};
//!
//! async_primer::block_on(async {
//!     let mut s = stream::iter(1..=4);
//!     assert_eq!(s.next().await, Some(1));              // one item
//!     assert_eq!((&mut s).fold(0, |a, x| a + x).await, 9); // 2 + 3 + 4
//!     assert_eq!(s.collect::<Vec<_>>().await, []);       // nothing left
//! });
//! ```
//!
//! Cancellation: dropping a `Fold` or `Collect` drops what it accumulated
//! so far (and the stream, which it owns); dropping a `Next` loses nothing,
//! the stream is only borrowed and no item was taken.
//!
//! See [`crate::guide::ch10_streams`].

// How it works: each is a loop around `poll_next`. `Next` returns the
// first answer that is not `Pending`. `Fold` and `Collect` keep polling
// while items come ready, so a stream of N ready items is consumed in one
// poll, and return `Pending` only when the stream does (so the stream's
// stored waker is ours). Their accumulator sits in an `Option`, taken on
// the poll that sees the end; finding it empty means "polled after
// completion", which panics like every future in `crate::future`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use super::Stream;
use crate::future::polled_after_completion;

/// Future for [`StreamExt::next`](super::StreamExt::next): the next item,
/// or `None` at the end.
///
/// ```
/// use async_primer::stream::{self, Next, StreamExt};
/// let mut s = stream::once(1);
/// let n: Next<'_, _> = s.next();
/// assert_eq!(async_primer::block_on(n), Some(1));
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Next<'a, S: ?Sized> {
    stream: &'a mut S,
}

impl<'a, S: ?Sized> Next<'a, S> {
    pub(crate) fn new(stream: &'a mut S) -> Self {
        Next { stream }
    }
}

impl<S: Stream + Unpin + ?Sized> Future for Next<'_, S> {
    type Output = Option<S::Item>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        Pin::new(&mut *self.stream).poll_next(cx)
    }
}

pin_project! {
    /// Future for [`StreamExt::fold`](super::StreamExt::fold).
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// let total = stream::iter([1, 2, 3]).fold(10, |acc, x| acc + x);
    /// assert_eq!(async_primer::block_on(total), 16);
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Fold<S, B, F> {
        #[pin]
        stream: S,
        // `None` once finished.
        acc: Option<B>,
        f: F,
    }
}

impl<S, B, F> Fold<S, B, F> {
    pub(crate) fn new(stream: S, init: B, f: F) -> Self {
        Fold {
            stream,
            acc: Some(init),
            f,
        }
    }
}

impl<S, B, F> Future for Fold<S, B, F>
where
    S: Stream,
    F: FnMut(B, S::Item) -> B,
{
    type Output = B;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<B> {
        let mut this = self.project();
        if this.acc.is_none() {
            polled_after_completion("stream fold");
        }
        loop {
            match ready!(this.stream.as_mut().poll_next(cx)) {
                // One more item: fold it in.
                Some(item) => {
                    let acc = this.acc.take().expect("checked above");
                    *this.acc = Some((this.f)(acc, item));
                }
                // The end: the accumulator is the answer.
                None => return Poll::Ready(this.acc.take().expect("checked above")),
            }
        }
    }
}

pin_project! {
    /// Future for [`StreamExt::collect`](super::StreamExt::collect).
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// let s: String = async_primer::block_on(stream::iter(['h', 'i']).collect());
    /// assert_eq!(s, "hi");
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Collect<S, C> {
        #[pin]
        stream: S,
        // `None` once finished.
        items: Option<C>,
    }
}

impl<S: Stream, C: Default + Extend<S::Item>> Collect<S, C> {
    pub(crate) fn new(stream: S) -> Self {
        Collect {
            stream,
            items: Some(C::default()),
        }
    }
}

impl<S, C> Future for Collect<S, C>
where
    S: Stream,
    C: Default + Extend<S::Item>,
{
    type Output = C;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<C> {
        let mut this = self.project();
        let Some(items) = this.items.as_mut() else {
            polled_after_completion("stream collect");
        };
        loop {
            match ready!(this.stream.as_mut().poll_next(cx)) {
                Some(item) => items.extend(Some(item)),
                None => return Poll::Ready(this.items.take().expect("checked above")),
            }
        }
    }
}
