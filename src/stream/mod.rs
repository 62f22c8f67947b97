//! Streams: many values over time, built by hand like the rest of the crate.
//!
//! A [`Future`] produces one value, later. A
//! [`Stream`] produces many, one after another, each of them later: the
//! messages arriving on a channel, the ticks of a clock, the clicks on a
//! button, the results of a hundred downloads. Its one method,
//! [`poll_next`](Stream::poll_next), is `poll` with an `Option`:
//! `Ready(Some(item))` is the next item, `Ready(None)` the end, `Pending`
//! "not yet, I will wake you". [`StreamExt`] adds `next().await` and the
//! combinators.
//!
//! ```
//! use async_primer::executor::Executor;
//! use async_primer::stream::{self, StreamExt};
//! use async_primer::time::sleep;
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! let report = ex.block_on(async {
//!     stream::iter(1..=6)
//!         .filter(|n| n % 2 == 0)
//!         .map(|n| async move {
//!             sleep(Duration::from_millis(10 * n)).await; // a "download"
//!             n * 100
//!         })
//!         .buffered(2) // two downloads at a time, results in order
//!         .collect::<Vec<_>>()
//!         .await
//! });
//! assert_eq!(report, [200, 400, 600]);
//! ```
//!
//! # What is here
//!
//! | want | use |
//! |---|---|
//! | the trait, and the bridge to `futures::Stream` | [`Stream`] |
//! | make a stream | [`iter`], [`once`], [`repeat_with`], [`unfold`], [`empty`], [`pending`], [`poll_fn`] |
//! | the crate's types as streams | `mpsc::Receiver`, `time::Interval`, [`EventEmitter::stream`](crate::callback::EventEmitter::stream) |
//! | transform, combine, consume | [`StreamExt`] |
//! | bounded concurrency with back-pressure | [`StreamExt::buffered`], [`StreamExt::buffer_unordered`] |
//! | time | [`StreamExt::throttle`], [`StreamExt::debounce`], [`StreamExt::chunks_timeout`] |
//!
//! **Back-pressure**: nothing here reads ahead without bound. Every adapter
//! polls its source only when its consumer asks for an item, and the
//! buffering ones hold at most what their argument says (`n` futures, `max`
//! items, one debounced item). A slow consumer therefore slows the source
//! down, all the way back to the senders of a bounded channel.
//!
//! Polling a stream again after it returned `Ready(None)` is allowed and
//! answers `Ready(None)` for every stream in this module. The consuming
//! futures ([`Fold`], [`Collect`]) panic if polled after they completed,
//! like every future in [`crate::future`].
//!
//! # Layering and verification
//!
//! This module sits on [`crate::future`] (for the ready list that
//! `buffered` shares with `join_all`), [`crate::time`] (for the timed
//! adapters, which need a running executor's clock), [`crate::channel`] and
//! [`crate::callback`] (to make their types streams); none of those imports
//! it. Streams have no shared cross-thread state of their own: everything
//! is touched only by the task polling the stream, except the wakers of
//! `buffered`/`buffer_unordered`, which are `join_all`'s unchanged
//! `WakeList`, modelled in `tests/loom_join_all.rs`. So there is no loom
//! model here; the behaviour is checked by `tests/stream.rs` (each
//! combinator, wakes, back-pressure counts, misuse panics) and
//! `tests/stream_prop.rs` (proptest against `futures::StreamExt`), both also
//! under Miri.
//!
//! The guide chapter is [`crate::guide::ch10_streams`], which also writes a
//! stream out by hand as a state machine.
//!
//! # Left out, compared with `futures` and `tokio-stream`
//!
//! `TryStream` and the `try_*` adapters, `FuturesUnordered` /
//! `FuturesOrdered` as public types, `select_all`, `flatten`,
//! `flat_map`, `for_each_concurrent`, `Peekable`, `Fuse`, `StreamMap`,
//! `timeout` per item, and the `Sink` half. A `Compat` type implementing
//! `futures::Stream` is not possible without a runtime dependency on
//! `futures`; [`Stream`] shows the two-line bridge instead.

mod adapters;
mod buffer_unordered;
mod buffered;
mod chunks_timeout;
mod combine;
mod consume;
mod debounce;
mod ext;
mod from_crate;
mod in_flight;
mod sources;
mod stream_trait;
mod throttle;

pub use adapters::{Filter, Map, Skip, Take, Then};
pub use buffer_unordered::BufferUnordered;
pub use buffered::Buffered;
pub use chunks_timeout::ChunksTimeout;
pub use combine::{Chain, Merge, Zip};
pub use consume::{Collect, Fold, Next};
pub use debounce::Debounce;
pub use ext::StreamExt;
pub use from_crate::Events;
pub use sources::{
    Empty, Iter, Once, Pending, PollFn, RepeatWith, Unfold, empty, iter, once, pending, poll_fn,
    repeat_with, unfold,
};
pub use stream_trait::Stream;
pub use throttle::Throttle;
