//! The [`Stream`] trait: a future that can produce many values, one
//! `poll_next` at a time.
//!
//! ```
//! use async_primer::stream::{self, Stream};
//! use std::pin::Pin;
//! use std::task::{Context, Poll, Waker};
//!
//! let mut s = stream::iter([1, 2]);
//! let mut cx = Context::from_waker(Waker::noop());
//! assert_eq!(Pin::new(&mut s).poll_next(&mut cx), Poll::Ready(Some(1)));
//! assert_eq!(Pin::new(&mut s).poll_next(&mut cx), Poll::Ready(Some(2)));
//! assert_eq!(Pin::new(&mut s).poll_next(&mut cx), Poll::Ready(None)); // the end
//! ```
//!
//! # The bridge to `futures::Stream`
//!
//! This trait has exactly the shape of [`futures::Stream`] (the same
//! method, the same meaning of every answer), but it is a different trait:
//! the crate has no runtime dependency on `futures`, so it cannot implement
//! `futures::Stream` for its types, nor offer a `Compat` wrapper that does.
//! Crossing over takes one line each way, with the `poll_fn` of the side you
//! are going to:
//!
//! ```
//! use async_primer::stream::{self as ours, StreamExt as _};
//! use std::pin::Pin;
//!
//! // ours -> futures: any Unpin stream of ours (Box::pin it if it is not).
//! let mut mine = ours::iter(1..=3).map(|x| x * 10);
//! let theirs = futures::stream::poll_fn(move |cx| {
//!     ours::Stream::poll_next(Pin::new(&mut mine), cx)
//! });
//! let v: Vec<i32> = futures::executor::block_on(futures::StreamExt::collect(theirs));
//! assert_eq!(v, [10, 20, 30]);
//!
//! // futures -> ours: the same with this crate's `poll_fn`.
//! let mut theirs = futures::stream::iter(["a", "b"]);
//! let mine = ours::poll_fn(move |cx| futures::StreamExt::poll_next_unpin(&mut theirs, cx));
//! let v: Vec<&str> = futures::executor::block_on(mine.collect());
//! assert_eq!(v, ["a", "b"]);
//! ```
//!
//! [`futures::Stream`]: https://docs.rs/futures/latest/futures/stream/trait.Stream.html

// How it works: `Stream` is `Future` with `Option` in its answer. A
// future's `Ready(v)` is final; a stream's `Ready(Some(v))` is one item
// and the stream can be polled again, `Ready(None)` is the end. `Pending`
// keeps its meaning: "I stored your waker and will wake it when polling
// me again is worth it".
//
//     poll_next -> Pending        (waker stored; wait)
//               -> Ready(Some(v)) (an item; poll again for the next)
//               -> Ready(None)    (finished)
//
// The forwarding impls (`&mut S`, `Box<S>`, `Pin<P>`) are what lets
// `stream.next().await` borrow a stream, and a boxed or pinned stream be
// used wherever a stream is expected; they are the same three `Future` has.
//
// Rejected: calling it `AsyncIterator` after the unstable std trait, whose
// method is `poll_next` too; the ecosystem says `Stream`, so does this.

use std::ops::DerefMut;
use std::pin::Pin;
use std::task::{Context, Poll};

/// An asynchronous sequence of values: the async counterpart of
/// [`Iterator`].
///
/// `poll_next` answers one of three things:
///
/// * `Poll::Pending`: no item yet; the waker in `cx` will be woken when
///   it is worth calling `poll_next` again;
/// * `Poll::Ready(Some(item))`: the next item;
/// * `Poll::Ready(None)`: the stream has ended.
///
/// Polling again after `Ready(None)` is allowed, and every stream in this
/// crate answers `Ready(None)` again (the trait itself does not promise
/// it, as with `futures::Stream`).
///
/// You rarely call `poll_next` yourself: [`StreamExt`](super::StreamExt)
/// gives every stream `next().await`, the combinators and the consumers.
///
/// ```
/// use async_primer::stream::{Stream, StreamExt};
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
///
/// /// Counts down from `n` to 1: a stream written by hand.
/// struct Countdown(u32);
///
/// impl Stream for Countdown {
///     type Item = u32;
///     fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<u32>> {
///         if self.0 == 0 {
///             return Poll::Ready(None);
///         }
///         self.0 -= 1;
///         Poll::Ready(Some(self.0 + 1))
///     }
///     fn size_hint(&self) -> (usize, Option<usize>) {
///         (self.0 as usize, Some(self.0 as usize))
///     }
/// }
///
/// let v: Vec<u32> = async_primer::block_on(Countdown(3).collect());
/// assert_eq!(v, [3, 2, 1]);
/// ```
///
/// See [`crate::guide::ch10_streams`].
#[must_use = "streams do nothing unless polled"]
pub trait Stream {
    /// What the stream yields.
    type Item;

    /// Tries to get the next item; see the trait docs for the three answers.
    ///
    /// ```
    /// use async_primer::stream::{self, Stream};
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let mut s = stream::once("only");
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert_eq!(Pin::new(&mut s).poll_next(&mut cx), Poll::Ready(Some("only")));
    /// assert_eq!(Pin::new(&mut s).poll_next(&mut cx), Poll::Ready(None));
    /// ```
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>>;

    /// Bounds on how many items are left: `(lower, Some(upper))`, or
    /// `(lower, None)` if there is no known upper bound. Like
    /// [`Iterator::size_hint`], it is a hint for pre-allocating and must not
    /// be trusted for correctness. The default says "anything": `(0, None)`.
    ///
    /// ```
    /// use async_primer::stream::{self, Stream};
    /// assert_eq!(stream::iter(0..4).size_hint(), (4, Some(4)));
    /// ```
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, None)
    }
}

/// A borrowed stream is a stream: `(&mut s).next()` leaves `s` usable.
///
/// ```
/// use async_primer::stream::{self, StreamExt};
/// let mut s = stream::iter(1..=4);
/// let first_two: Vec<i32> = async_primer::block_on((&mut s).take(2).collect());
/// let rest: Vec<i32> = async_primer::block_on(s.collect());
/// assert_eq!((first_two, rest), (vec![1, 2], vec![3, 4]));
/// ```
impl<S: Stream + Unpin + ?Sized> Stream for &mut S {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        S::poll_next(Pin::new(&mut **self), cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (**self).size_hint()
    }
}

/// A boxed (unpinned) stream is a stream, if what it holds is `Unpin`.
///
/// ```
/// use async_primer::stream::{self, StreamExt};
/// let s = Box::new(stream::iter([7]));
/// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [7]);
/// ```
impl<S: Stream + Unpin + ?Sized> Stream for Box<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        S::poll_next(Pin::new(&mut **self), cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (**self).size_hint()
    }
}

/// A pinned pointer to a stream is a stream: this is how `Box::pin(s)` or
/// `std::pin::pin!(s)` makes any stream, `Unpin` or not, usable with
/// `next()`.
///
/// ```
/// use async_primer::stream::{self, Stream, StreamExt};
/// use std::pin::Pin;
///
/// // `then` with an `async` block is not Unpin; boxing and pinning fixes that.
/// let mut s: Pin<Box<dyn Stream<Item = i32>>> =
///     Box::pin(stream::iter(1..=2).then(|x| async move { x + 1 }));
/// async_primer::block_on(async {
///     assert_eq!(s.next().await, Some(2));
///     assert_eq!(s.next().await, Some(3));
///     assert_eq!(s.next().await, None);
/// });
/// ```
impl<P> Stream for Pin<P>
where
    P: DerefMut,
    P::Target: Stream,
{
    type Item = <P::Target as Stream>::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // `Pin::as_deref_mut` turns `Pin<&mut Pin<P>>` into
        // `Pin<&mut P::Target>` without moving anything.
        self.as_deref_mut().poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (**self).size_hint()
    }
}
