//! Where streams come from: [`iter`], [`once`], [`repeat_with`],
//! [`unfold`], [`empty`], [`pending`] and [`poll_fn`].
//!
//! ```
//! use async_primer::stream::{self, StreamExt};
//!
//! async_primer::block_on(async {
//!     assert_eq!(stream::iter(1..=3).collect::<Vec<_>>().await, [1, 2, 3]);
//!     assert_eq!(stream::once('x').collect::<String>().await, "x");
//!     let mut n = 0;
//!     let evens = stream::repeat_with(move || { n += 2; n });
//!     assert_eq!(evens.take(3).collect::<Vec<_>>().await, [2, 4, 6]);
//!     // unfold: a state and an async step that yields (item, next state).
//!     let powers = stream::unfold(1u32, |p| async move { (p < 100).then_some((p, p * 10)) });
//!     assert_eq!(powers.collect::<Vec<_>>().await, [1, 10]);
//! });
//! ```
//!
//! See [`crate::guide::ch10_streams`].

// How it works: no shared state, so no diagram. `Iter`, `Once`,
// `RepeatWith`, `Empty` and `PollFn` are ready on every poll (or, for
// `Pending` and `PollFn`, whatever they are told); they never store a
// waker because they never return `Pending` on their own. `Unfold` is the
// one with a real state machine:
//
//     Idle { state } --poll--> Running { fut = f(state) }
//     Running --fut: Some((item, next))--> Idle { next }, yield item
//     Running --fut: None--> Finished (None forever after)
//
// Rejected: `Iter` yielding `Pending` now and then "to be fair" to other
// tasks; a source should not invent waits, the executor's job is fairness.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use super::Stream;

/// A stream of the items of an iterator, each ready at once.
///
/// ```
/// use async_primer::stream::{self, StreamExt};
/// let s = stream::iter(vec!["a", "b"]);
/// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), ["a", "b"]);
/// ```
pub fn iter<I: IntoIterator>(items: I) -> Iter<I::IntoIter> {
    Iter(items.into_iter().fuse())
}

/// The stream returned by [`iter`].
///
/// ```
/// use async_primer::stream::{self, Iter, Stream};
/// let s: Iter<std::ops::Range<u8>> = stream::iter(0..2);
/// assert_eq!(s.size_hint(), (2, Some(2)));
/// ```
#[derive(Debug, Clone)]
#[must_use = "streams do nothing unless polled"]
pub struct Iter<I>(std::iter::Fuse<I>);

impl<I> Unpin for Iter<I> {}

impl<I: Iterator> Stream for Iter<I> {
    type Item = I::Item;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<I::Item>> {
        Poll::Ready(self.0.next())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

/// A stream of exactly one item.
///
/// ```
/// use async_primer::stream::{self, StreamExt};
/// assert_eq!(async_primer::block_on(stream::once(5).collect::<Vec<_>>()), [5]);
/// ```
pub fn once<T>(item: T) -> Once<T> {
    Once(Some(item))
}

/// The stream returned by [`once`].
///
/// ```
/// use async_primer::stream::{self, Once, Stream};
/// let s: Once<u8> = stream::once(1);
/// assert_eq!(s.size_hint(), (1, Some(1)));
/// ```
#[derive(Debug, Clone)]
#[must_use = "streams do nothing unless polled"]
pub struct Once<T>(Option<T>);

impl<T> Unpin for Once<T> {}

impl<T> Stream for Once<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<T>> {
        Poll::Ready(self.0.take())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::from(self.0.is_some());
        (n, Some(n))
    }
}

/// An endless stream of what `f` returns, called once per item.
///
/// ```
/// use async_primer::stream::{self, StreamExt};
/// let ones = stream::repeat_with(|| 1);
/// assert_eq!(async_primer::block_on(ones.take(3).fold(0, |a, x| a + x)), 3);
/// ```
pub fn repeat_with<T, F: FnMut() -> T>(f: F) -> RepeatWith<F> {
    RepeatWith(f)
}

/// The stream returned by [`repeat_with`].
///
/// ```
/// use async_primer::stream::{self, Stream};
/// let s = stream::repeat_with(|| 'z');
/// assert_eq!(s.size_hint(), (usize::MAX, None));
/// ```
#[derive(Debug, Clone)]
#[must_use = "streams do nothing unless polled"]
pub struct RepeatWith<F>(F);

impl<F> Unpin for RepeatWith<F> {}

impl<T, F: FnMut() -> T> Stream for RepeatWith<F> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<T>> {
        Poll::Ready(Some((self.0)()))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}

/// A stream built from a state and an async step: `f(state)` resolves to
/// `Some((item, next_state))` to yield `item` and go on, or `None` to end.
/// The stream's async counterpart of a `loop` carrying a variable.
///
/// ```
/// use async_primer::stream::{self, StreamExt};
///
/// // Pages of a paginated "API", fetched one at a time.
/// let pages = stream::unfold(Some(1), |page| async move {
///     let n = page?;                      // None: no more pages
///     let next = (n < 3).then_some(n + 1);
///     Some((format!("page {n}"), next))
/// });
/// let all: Vec<String> = async_primer::block_on(pages.collect());
/// assert_eq!(all, ["page 1", "page 2", "page 3"]);
/// ```
pub fn unfold<S, F, Fut, T>(state: S, f: F) -> Unfold<S, F, Fut>
where
    F: FnMut(S) -> Fut,
    Fut: Future<Output = Option<(T, S)>>,
{
    Unfold {
        state: Some(state),
        f,
        fut: None,
    }
}

pin_project! {
    /// The stream returned by [`unfold`].
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// let s = stream::unfold(0, |n| async move { (n < 2).then_some((n, n + 1)) });
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [0, 1]);
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Unfold<S, F, Fut> {
        // `Some` while idle (between items); `None` while `fut` runs, and
        // once finished.
        state: Option<S>,
        f: F,
        #[pin]
        fut: Option<Fut>,
    }
}

impl<S, F, Fut, T> Stream for Unfold<S, F, Fut>
where
    F: FnMut(S) -> Fut,
    Fut: Future<Output = Option<(T, S)>>,
{
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut this = self.project();
        // Idle: start the step for the next item.
        if let Some(state) = this.state.take() {
            this.fut.set(Some((this.f)(state)));
        }
        // Neither idle nor running: finished.
        let Some(fut) = this.fut.as_mut().as_pin_mut() else {
            return Poll::Ready(None);
        };
        let step = ready!(fut.poll(cx));
        this.fut.set(None);
        match step {
            // An item, and the state for the next step.
            Some((item, next)) => {
                *this.state = Some(next);
                Poll::Ready(Some(item))
            }
            // The step said "no more".
            None => Poll::Ready(None),
        }
    }
}

/// A stream that ends at once.
///
/// ```
/// use async_primer::stream::{self, StreamExt};
/// assert!(async_primer::block_on(stream::empty::<u8>().collect::<Vec<_>>()).is_empty());
/// ```
pub fn empty<T>() -> Empty<T> {
    Empty(PhantomData)
}

/// The stream returned by [`empty`].
///
/// ```
/// use async_primer::stream::{self, Stream};
/// assert_eq!(stream::empty::<()>().size_hint(), (0, Some(0)));
/// ```
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Empty<T>(PhantomData<fn() -> T>);

impl<T> Stream for Empty<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<T>> {
        Poll::Ready(None)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(0))
    }
}

/// A stream that never yields and never ends (and never wakes anybody).
///
/// ```
/// use async_primer::stream::{self, Stream};
/// use std::pin::Pin;
/// use std::task::{Context, Waker};
///
/// let mut s = stream::pending::<u8>();
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(Pin::new(&mut s).poll_next(&mut cx).is_pending());
/// ```
pub fn pending<T>() -> Pending<T> {
    Pending(PhantomData)
}

/// The stream returned by [`pending`].
///
/// ```
/// use async_primer::stream::{self, Stream};
/// assert_eq!(stream::pending::<()>().size_hint(), (0, None));
/// ```
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Pending<T>(PhantomData<fn() -> T>);

impl<T> Stream for Pending<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<T>> {
        Poll::Pending
    }
}

/// A stream whose `poll_next` is the closure `f`: the quickest way to write
/// one by hand, and the bridge from other `Stream` traits (see
/// [`Stream`](super::Stream#the-bridge-to-futuresstream)).
///
/// ```
/// use async_primer::stream::{self, StreamExt};
/// use std::task::Poll;
///
/// let mut left = 3;
/// let s = stream::poll_fn(move |_cx| {
///     if left == 0 { return Poll::Ready(None); }
///     left -= 1;
///     Poll::Ready(Some(left))
/// });
/// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [2, 1, 0]);
/// ```
pub fn poll_fn<T, F>(f: F) -> PollFn<F>
where
    F: FnMut(&mut Context<'_>) -> Poll<Option<T>>,
{
    PollFn(f)
}

/// The stream returned by [`poll_fn`].
///
/// ```
/// use async_primer::stream::{self, Stream};
/// let s = stream::poll_fn(|_| std::task::Poll::Ready(None::<u8>));
/// assert_eq!(s.size_hint(), (0, None));
/// ```
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct PollFn<F>(F);

impl<F> Unpin for PollFn<F> {}

impl<T, F> Stream for PollFn<F>
where
    F: FnMut(&mut Context<'_>) -> Poll<Option<T>>,
{
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        (self.0)(cx)
    }
}
