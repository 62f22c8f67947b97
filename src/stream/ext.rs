//! [`StreamExt`]: the combinator and consumer methods, available on every
//! stream.
//!
//! ```
//! use async_primer::stream::{self, StreamExt};
//!
//! let total = stream::iter(1..=4)
//!     .map(|x| x * x)
//!     .filter(|x| x % 2 == 0)
//!     .fold(0, |acc, x| acc + x);
//! assert_eq!(async_primer::block_on(total), 4 + 16);
//! ```
//!
//! Every adapter takes the stream by value and returns a new, bigger
//! stream; nothing runs until that one is polled. See
//! [`crate::guide::ch10_streams`].

// How it works: a blanket `impl<S: Stream + ?Sized> StreamExt for S` adds
// the methods; each only wraps `self` in the adapter of the same name,
// found in the file named in its doc.

use std::future::Future;
use std::time::Duration;

use super::{
    BufferUnordered, Buffered, Chain, ChunksTimeout, Collect, Debounce, Filter, Fold, Map, Merge,
    Next, Skip, Stream, Take, Then, Throttle, Zip,
};

/// Combinator and consumer methods for every [`Stream`].
///
/// Which method answers which need:
///
/// | want | use |
/// |---|---|
/// | one item | [`next`](StreamExt::next) |
/// | all items, into one value | [`fold`](StreamExt::fold), [`collect`](StreamExt::collect) |
/// | change or drop items | [`map`](StreamExt::map), [`filter`](StreamExt::filter), [`then`](StreamExt::then) (async) |
/// | fewer items | [`take`](StreamExt::take), [`skip`](StreamExt::skip) |
/// | two streams into one | [`chain`](StreamExt::chain), [`zip`](StreamExt::zip), [`merge`](StreamExt::merge) |
/// | run futures, `n` at a time | [`buffered`](StreamExt::buffered) (input order), [`buffer_unordered`](StreamExt::buffer_unordered) (finish order) |
/// | time | [`throttle`](StreamExt::throttle), [`debounce`](StreamExt::debounce), [`chunks_timeout`](StreamExt::chunks_timeout) |
///
/// Cancellation, for all of them: dropping the returned stream (or future)
/// drops the stream it wraps, any future it is running and any item it
/// holds; closures are dropped uncalled.
///
/// Compared with `futures::StreamExt`: `filter` and `fold` take plain
/// closures (as `Iterator`'s and `tokio-stream`'s do), where `futures`' take
/// async ones; `throttle`, `debounce`, `chunks_timeout` and `merge` are not
/// in `futures` (`merge` is its `stream::select`); `count`, `flatten`,
/// `for_each_concurrent`, the `Try*` family and `Peekable` are left out.
pub trait StreamExt: Stream {
    /// The next item, or `None` at the end. Borrows the stream, which must
    /// be `Unpin` (pin it with `Box::pin` or `std::pin::pin!` if not).
    /// Dropping the future loses nothing.
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// async_primer::block_on(async {
    ///     let mut s = stream::iter([1, 2]);
    ///     while let Some(x) = s.next().await {
    ///         println!("{x}");
    ///     }
    /// });
    /// ```
    fn next(&mut self) -> Next<'_, Self>
    where
        Self: Unpin,
    {
        Next::new(self)
    }

    /// Applies `f` to every item.
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// let s = stream::iter(["a", "bb"]).map(str::len);
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [1, 2]);
    /// ```
    fn map<T, F>(self, f: F) -> Map<Self, F>
    where
        F: FnMut(Self::Item) -> T,
        Self: Sized,
    {
        Map::new(self, f)
    }

    /// Keeps the items for which `f` returns `true`.
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// let s = stream::iter(1..=6).filter(|x| x % 3 == 0);
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [3, 6]);
    /// ```
    fn filter<F>(self, f: F) -> Filter<Self, F>
    where
        F: FnMut(&Self::Item) -> bool,
        Self: Sized,
    {
        Filter::new(self, f)
    }

    /// Runs the future `f` makes from each item, one at a time, and yields
    /// its output: the async `map`. For several at a time, `map` to futures
    /// and use [`buffered`](StreamExt::buffered).
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// let s = stream::iter([1, 2]).then(|x| async move { x + 10 });
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [11, 12]);
    /// ```
    fn then<F, Fut>(self, f: F) -> Then<Self, Fut, F>
    where
        F: FnMut(Self::Item) -> Fut,
        Fut: Future,
        Self: Sized,
    {
        Then::new(self, f)
    }

    /// The first `n` items; after them the stream is never polled again.
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// let s = stream::repeat_with(|| 'x').take(3);
    /// assert_eq!(async_primer::block_on(s.collect::<String>()), "xxx");
    /// ```
    fn take(self, n: usize) -> Take<Self>
    where
        Self: Sized,
    {
        Take::new(self, n)
    }

    /// Everything after the first `n` items.
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// let s = stream::iter(1..=3).skip(2);
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [3]);
    /// ```
    fn skip(self, n: usize) -> Skip<Self>
    where
        Self: Sized,
    {
        Skip::new(self, n)
    }

    /// This stream's items, then `other`'s.
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// let s = stream::iter([1]).chain(stream::iter([2, 3]));
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [1, 2, 3]);
    /// ```
    fn chain<S>(self, other: S) -> Chain<Self, S>
    where
        S: Stream<Item = Self::Item>,
        Self: Sized,
    {
        Chain::new(self, other)
    }

    /// Pairs of one item from each stream; ends with the shorter one.
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// let s = stream::iter(["a", "b"]).zip(stream::iter(1..));
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [("a", 1), ("b", 2)]);
    /// ```
    fn zip<S>(self, other: S) -> Zip<Self, S>
    where
        S: Stream,
        Self: Sized,
    {
        Zip::new(self, other)
    }

    /// The items of both streams, in the order they become ready (taking
    /// turns when both are); ends when both have ended.
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// let s = stream::iter([1, 3]).merge(stream::iter([2]));
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [1, 2, 3]);
    /// ```
    fn merge<S>(self, other: S) -> Merge<Self, S>
    where
        S: Stream<Item = Self::Item>,
        Self: Sized,
    {
        Merge::new(self, other)
    }

    /// Folds every item into an accumulator, starting from `init`; the
    /// future's output is the final accumulator.
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// let longest = stream::iter(["ox", "horse", "cat"]).fold("", |a, w| if w.len() > a.len() { w } else { a });
    /// assert_eq!(async_primer::block_on(longest), "horse");
    /// ```
    fn fold<B, F>(self, init: B, f: F) -> Fold<Self, B, F>
    where
        F: FnMut(B, Self::Item) -> B,
        Self: Sized,
    {
        Fold::new(self, init, f)
    }

    /// Collects every item into a collection (anything `Default + Extend`:
    /// `Vec`, `String`, `HashMap`, ...).
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// use std::collections::BTreeSet;
    /// let set: BTreeSet<i32> = async_primer::block_on(stream::iter([3, 1, 3]).collect());
    /// assert_eq!(set.into_iter().collect::<Vec<_>>(), [1, 3]);
    /// ```
    fn collect<C>(self) -> Collect<Self, C>
    where
        C: Default + Extend<Self::Item>,
        Self: Sized,
    {
        Collect::new(self)
    }

    /// For a stream of futures: runs up to `n` of them at a time and yields
    /// their outputs **in input order**. See [`Buffered`].
    ///
    /// # Panics
    ///
    /// At this call, if `n` is 0 (nothing could ever run).
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// let s = stream::iter(1..=3).map(|x| async move { x * 2 }).buffered(2);
    /// assert_eq!(async_primer::block_on(s.collect::<Vec<_>>()), [2, 4, 6]);
    /// ```
    #[track_caller]
    fn buffered(self, n: usize) -> Buffered<Self>
    where
        Self::Item: Future,
        Self: Sized,
    {
        Buffered::new(self, n)
    }

    /// For a stream of futures: runs up to `n` of them at a time and yields
    /// their outputs **as they finish**. See [`BufferUnordered`].
    ///
    /// # Panics
    ///
    /// At this call, if `n` is 0 (nothing could ever run).
    ///
    /// ```
    /// use async_primer::stream::{self, StreamExt};
    /// let s = stream::iter(1..=3).map(|x| async move { x * 2 }).buffer_unordered(2);
    /// let mut v: Vec<i32> = async_primer::block_on(s.collect());
    /// v.sort();
    /// assert_eq!(v, [2, 4, 6]);
    /// ```
    #[track_caller]
    fn buffer_unordered(self, n: usize) -> BufferUnordered<Self>
    where
        Self::Item: Future,
        Self: Sized,
    {
        BufferUnordered::new(self, n)
    }

    /// At most one item per `period`: waits `period` after each item before
    /// asking the stream for the next. Drops nothing. See [`Throttle`].
    ///
    /// ```
    /// use async_primer::executor::Executor;
    /// use async_primer::stream::{self, StreamExt};
    /// use async_primer::time::now;
    /// use std::time::Duration;
    ///
    /// let ex = Executor::builder().virtual_time().build();
    /// ex.block_on(async {
    ///     let start = now();
    ///     let n = stream::iter(0..5).throttle(Duration::from_secs(1)).collect::<Vec<_>>().await.len();
    ///     assert_eq!(n, 5);
    ///     assert!(now() - start >= Duration::from_secs(4));
    /// });
    /// ```
    fn throttle(self, period: Duration) -> Throttle<Self>
    where
        Self: Sized,
    {
        Throttle::new(self, period)
    }

    /// The last item of each burst, once the stream has been quiet for
    /// `period`. Drops the others. See [`Debounce`].
    ///
    /// ```
    /// use async_primer::executor::Executor;
    /// use async_primer::stream::{self, StreamExt};
    /// use std::time::Duration;
    ///
    /// let ex = Executor::builder().virtual_time().build();
    /// let last = ex.block_on(stream::iter(0..5).debounce(Duration::from_secs(1)).collect::<Vec<_>>());
    /// assert_eq!(last, [4]);
    /// ```
    fn debounce(self, period: Duration) -> Debounce<Self>
    where
        Self: Sized,
    {
        Debounce::new(self, period)
    }

    /// Batches of up to `max` items; a batch also goes out when its first
    /// item has waited `period`. See [`ChunksTimeout`].
    ///
    /// # Panics
    ///
    /// At this call, if `max` is 0.
    ///
    /// ```
    /// use async_primer::executor::Executor;
    /// use async_primer::stream::{self, StreamExt};
    /// use std::time::Duration;
    ///
    /// let ex = Executor::builder().virtual_time().build();
    /// let batches = ex.block_on(stream::iter(0..3).chunks_timeout(2, Duration::from_secs(1)).collect::<Vec<_>>());
    /// assert_eq!(batches, [vec![0, 1], vec![2]]);
    /// ```
    #[track_caller]
    fn chunks_timeout(self, max: usize, period: Duration) -> ChunksTimeout<Self>
    where
        Self: Sized,
    {
        ChunksTimeout::new(self, max, period)
    }
}

impl<S: Stream + ?Sized> StreamExt for S {}
