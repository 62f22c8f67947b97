//! The two-stream adapters: [`Chain`] (one after the other), [`Zip`] (in
//! pairs) and [`Merge`] (interleaved, as items arrive).
//!
//! ```
//! use async_primer::stream::{self, StreamExt};
//!
//! async_primer::block_on(async {
//!     let chained: Vec<_> = stream::iter([1, 2]).chain(stream::iter([3])).collect().await;
//!     assert_eq!(chained, [1, 2, 3]);
//!     let zipped: Vec<_> = stream::iter([1, 2, 3]).zip(stream::iter("ab".chars())).collect().await;
//!     assert_eq!(zipped, [(1, 'a'), (2, 'b')]); // as long as the shorter one
//!     let mut merged: Vec<_> = stream::iter([1, 3]).merge(stream::iter([2, 4])).collect().await;
//!     merged.sort();
//!     assert_eq!(merged, [1, 2, 3, 4]); // everything from both, order as they come
//! });
//! ```
//!
//! Cancellation: dropping one drops both streams, and `Zip` drops the item
//! it was holding for a pair.
//!
//! See [`crate::guide::ch10_streams`].

// How it works
//
// Chain:  First --first ends--> Second (the first is never polled again).
// Zip:    holds at most one item from each side; polls a side only while
//         its slot is empty, yields when both are full, ends as soon as a
//         side ends with its slot empty (the other side's item is dropped).
// Merge:  polls both sides, the one polled first alternating on every
//         call so that a side that is always ready cannot starve the
//         other; ends when both have ended. A `Pending` from Merge means
//         both sides returned `Pending` (so both stored the waker).
//
// Rejected for Merge: a random first side as `futures::stream::select`
// has it, through a thread-local RNG; alternating is fair, deterministic
// under a seed, and one `bool`.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use super::Stream;

pin_project! {
    /// Stream for [`StreamExt::chain`](super::StreamExt::chain).
    ///
    /// ```
    /// use async_primer::stream::{self, Chain, StreamExt};
    /// let s: Chain<_, _> = stream::once(1).chain(stream::once(2));
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [1, 2]);
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Chain<A, B> {
        #[pin]
        first: A,
        #[pin]
        second: B,
        first_done: bool,
    }
}

impl<A, B> Chain<A, B> {
    pub(crate) fn new(first: A, second: B) -> Self {
        Chain {
            first,
            second,
            first_done: false,
        }
    }
}

impl<A, B> Stream for Chain<A, B>
where
    A: Stream,
    B: Stream<Item = A::Item>,
{
    type Item = A::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<A::Item>> {
        let this = self.project();
        if !*this.first_done {
            match ready!(this.first.poll_next(cx)) {
                // Still on the first stream.
                Some(item) => return Poll::Ready(Some(item)),
                // It ended: from now on, the second one.
                None => *this.first_done = true,
            }
        }
        this.second.poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let second = self.second.size_hint();
        if self.first_done {
            return second;
        }
        sum_hints(self.first.size_hint(), second)
    }
}

/// The size hint of two streams' items together.
fn sum_hints(a: (usize, Option<usize>), b: (usize, Option<usize>)) -> (usize, Option<usize>) {
    let upper = match (a.1, b.1) {
        (Some(x), Some(y)) => x.checked_add(y),
        _ => None,
    };
    (a.0.saturating_add(b.0), upper)
}

pin_project! {
    /// Stream for [`StreamExt::zip`](super::StreamExt::zip).
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt, Zip};
    /// let s: Zip<_, _> = stream::iter([1, 2]).zip(stream::iter([3, 4]));
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [(1, 3), (2, 4)]);
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Zip<A: Stream, B: Stream> {
        #[pin]
        a: A,
        #[pin]
        b: B,
        // An item from one side, waiting for its partner.
        a_item: Option<A::Item>,
        b_item: Option<B::Item>,
        a_done: bool,
        b_done: bool,
    }
}

impl<A: Stream, B: Stream> Zip<A, B> {
    pub(crate) fn new(a: A, b: B) -> Self {
        Zip {
            a,
            b,
            a_item: None,
            b_item: None,
            a_done: false,
            b_done: false,
        }
    }
}

impl<A: Stream, B: Stream> Stream for Zip<A, B> {
    type Item = (A::Item, B::Item);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        // Fill each empty slot from its side, if that side is still going.
        if this.a_item.is_none() && !*this.a_done {
            match this.a.poll_next(cx) {
                Poll::Ready(Some(x)) => *this.a_item = Some(x),
                Poll::Ready(None) => *this.a_done = true,
                Poll::Pending => {}
            }
        }
        if this.b_item.is_none() && !*this.b_done {
            match this.b.poll_next(cx) {
                Poll::Ready(Some(y)) => *this.b_item = Some(y),
                Poll::Ready(None) => *this.b_done = true,
                Poll::Pending => {}
            }
        }
        match (this.a_item.take(), this.b_item.take()) {
            // A pair: yield it.
            (Some(x), Some(y)) => Poll::Ready(Some((x, y))),
            // A side ended with no item waiting: no more pairs, ever.
            (None, _) if *this.a_done => Poll::Ready(None),
            (_, None) if *this.b_done => Poll::Ready(None),
            // Waiting for a partner: keep what we have. Each empty slot
            // got `Pending` from its side, which stored our waker.
            (x, y) => {
                *this.a_item = x;
                *this.b_item = y;
                Poll::Pending
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let side = |hint: (usize, Option<usize>), held: bool, done: bool| {
            let held = usize::from(held);
            if done {
                return (held, Some(held));
            }
            (
                hint.0.saturating_add(held),
                hint.1.and_then(|u| u.checked_add(held)),
            )
        };
        let a = side(self.a.size_hint(), self.a_item.is_some(), self.a_done);
        let b = side(self.b.size_hint(), self.b_item.is_some(), self.b_done);
        let upper = match (a.1, b.1) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        (a.0.min(b.0), upper)
    }
}

pin_project! {
    /// Stream for [`StreamExt::merge`](super::StreamExt::merge).
    ///
    /// ```
    /// use async_primer::stream::{self, Merge, StreamExt};
    /// let s: Merge<_, _> = stream::iter([1, 1]).merge(stream::iter([2, 2]));
    /// // Both are always ready, so they alternate.
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [1, 2, 1, 2]);
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Merge<A, B> {
        #[pin]
        a: A,
        #[pin]
        b: B,
        a_done: bool,
        b_done: bool,
        // Which side goes first on the next call.
        b_first: bool,
    }
}

impl<A, B> Merge<A, B> {
    pub(crate) fn new(a: A, b: B) -> Self {
        Merge {
            a,
            b,
            a_done: false,
            b_done: false,
            b_first: false,
        }
    }
}

/// Polls one side of a `Merge` unless it has ended; `Some(item)` to yield.
fn poll_side<S: Stream>(
    side: Pin<&mut S>,
    done: &mut bool,
    cx: &mut Context<'_>,
) -> Option<S::Item> {
    if *done {
        return None;
    }
    match side.poll_next(cx) {
        Poll::Ready(Some(item)) => Some(item),
        Poll::Ready(None) => {
            *done = true;
            None
        }
        Poll::Pending => None,
    }
}

impl<A, B> Stream for Merge<A, B>
where
    A: Stream,
    B: Stream<Item = A::Item>,
{
    type Item = A::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<A::Item>> {
        let this = self.project();
        let b_first = *this.b_first;
        *this.b_first = !b_first; // the other side leads next time
        let (mut a, mut b) = (this.a, this.b);
        let item = if b_first {
            poll_side(b.as_mut(), this.b_done, cx).or_else(|| poll_side(a, this.a_done, cx))
        } else {
            poll_side(a.as_mut(), this.a_done, cx).or_else(|| poll_side(b, this.b_done, cx))
        };
        match item {
            Some(item) => Poll::Ready(Some(item)),
            None if *this.a_done && *this.b_done => Poll::Ready(None),
            None => Poll::Pending,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let hint = |done: bool, h: (usize, Option<usize>)| if done { (0, Some(0)) } else { h };
        sum_hints(
            hint(self.a_done, self.a.size_hint()),
            hint(self.b_done, self.b.size_hint()),
        )
    }
}
