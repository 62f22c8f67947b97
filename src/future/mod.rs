//! Futures and combinators: values that will exist later, built by hand on
//! [`std::future::Future`].
//!
//! A future is *lazy*: creating one does nothing. Only `poll` makes it
//! progress, and a future that returns [`Poll::Pending`] promises to call
//! the [`Waker`] it was given when it is worth polling again. Combinators
//! build bigger futures out of smaller ones without running anything
//! either; dropping a future cancels it, together with every future it owns.
//! The whole story, with diagrams, is in [`crate::guide::ch03_futures`];
//! async/await, the readable form of the same machinery, is in
//! [`crate::guide::ch05_async_await`]. The one piece shared across threads,
//! the ready list behind [`join_all`] and [`try_join_all`] (`wake_list.rs`),
//! is modelled in `tests/loom_join_all.rs`; everything else here is
//! single-threaded state inside one future, checked by
//! `tests/future_combinators.rs` and `tests/combinator_prop.rs`.
//!
//! ```
//! use async_primer::future::{FutureExt, join, join_all, ready};
//!
//! let both = join(ready(1).map(|x| x + 1), ready("two"));
//! assert_eq!(futures::executor::block_on(both), (2, "two"));
//!
//! let all = join_all((0..5).map(|i| ready(i * i)));
//! assert_eq!(futures::executor::block_on(all), vec![0, 1, 4, 9, 16]);
//! ```
//!
//! # What is here
//!
//! | want | use | what happens to the futures it drops |
//! |---|---|---|
//! | transform the output | [`FutureExt::map`], [`then`](FutureExt::then), [`inspect`](FutureExt::inspect) | none dropped early |
//! | chain on `Ok` / `Err` | [`and_then`](FutureExt::and_then), [`or_else`](FutureExt::or_else), [`map_err`](FutureExt::map_err) | the continuation is never made if it is not needed |
//! | wait for all | [`join`], [`join3`], [`join!`](crate::join), [`join_all`] | none, all run to the end |
//! | wait for all, stop at the first error | [`try_join_all`] | the others, at the first error |
//! | wait for the first of two, keep the other | [`select`] | none: the loser is handed back |
//! | wait for the first of many | [`race`], [`race_ok`] | the losers, as soon as there is a winner |
//! | adapt a closure | [`poll_fn`], [`lazy`], [`ready`], [`pending`] | |
//! | safety nets | [`FutureExt::fuse`], [`catch_unwind`](FutureExt::catch_unwind), [`timeout`](FutureExt::timeout) | the inner future, on time-out |
//!
//! Empty inputs have one answer each and never panic: `join_all` and
//! `try_join_all` of nothing are ready at once with `vec![]` (`Ok(vec![])`);
//! `race` of nothing never finishes (like JavaScript's `Promise.race([])`);
//! `race_ok` of nothing fails at once with `Err(vec![])` (like
//! `Promise.any([])`).
//!
//! Polling a combinator again after it returned `Ready` is a bug in the
//! caller; it panics with a message naming the combinator (only [`Fuse`]
//! allows it, answering `Pending` forever).
//!
//! # Layering
//!
//! This module sits on [`std::future`] and the crate's `sync` shim only. The
//! one exception is [`FutureExt::timeout`], which needs a clock and so
//! reaches up to [`crate::time`].
//!
//! # Left out, compared with `futures`
//!
//! No `TryFuture` trait (the `Result` adapters live on [`FutureExt`] with
//! `where` clauses), no `Shared`, no `FuturesUnordered` or streams, no
//! `select!` macro, no `remote_handle`.
//!
//! [`Poll::Pending`]: std::task::Poll::Pending
//! [`Waker`]: std::task::Waker

mod adapters;
mod catch_unwind;
mod either;
mod ext;
mod fuse;
mod join;
mod join_all;
mod race;
mod select;
mod simple;
mod try_join_all;
pub(crate) mod wake_list; // also the ready list of `stream::buffered`

pub use adapters::{AndThen, Inspect, Map, MapErr, OrElse, Then};
pub use catch_unwind::CatchUnwind;
pub use either::Either;
pub use ext::{BoxFuture, FutureExt, LocalBoxFuture};
pub use fuse::Fuse;
pub use join::{Join, Join3, join, join3};
pub use join_all::{JoinAll, join_all};
pub use race::{Race, RaceOk, race, race_ok};
pub use select::{Select, select};
pub use simple::{Lazy, Pending, PollFn, Ready, lazy, pending, poll_fn, ready};
pub use try_join_all::{TryJoinAll, try_join_all};

/// Items the [`join!`](crate::join) macro needs; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use super::join::MaybeDone;
}

/// The panic every combinator raises when it is polled after it finished.
#[cold]
#[track_caller]
pub(crate) fn polled_after_completion(what: &str) -> ! {
    panic!(
        "`{what}` polled after completion: a future must not be polled again once it returned \
         Ready (wrap it in `.fuse()` if you need that)"
    )
}
