//! # async-primer
//!
//! Learn asynchronous programming by building it. This crate hand-writes,
//! in small files you can read in one sitting, every layer that async Rust
//! normally hides from you:
//!
//! | layer | module | guide chapter |
//! |---|---|---|
//! | callbacks, error-first callbacks, event emitters | [`callback`] | [`guide::ch01_callbacks`] |
//! | promises with JavaScript's semantics | [`promise`] | [`guide::ch02_promises`] |
//! | futures and combinators | [`future`] | [`guide::ch03_futures`] |
//! | a single-threaded executor with timers | [`executor`], [`time`] | [`guide::ch04_executor`] |
//! | channels between parties who are not there at the same time | [`channel`] | [`guide::ch05_async_await`] |
//! | cancellation, `JoinSet`, scopes (structured concurrency) | [`cancel`] | [`guide::ch09_cancellation`] |
//! | streams: many values over time, with back-pressure | [`stream`] | [`guide::ch10_streams`] |
//! | the coursework kit: test your own futures, grade programs by output | [`testing`] | [`guide::ch07_testing`] |
//! | see it run: a timeline, a Perfetto trace, a step-through page | [`trace`] | [`guide::ch04_executor`] |
//! | async locks and signals: `Mutex`, `Semaphore`, `Notify`, `Barrier` | [`locks`] | [`guide::ch11_locks`] |
//!
//! Start with [`guide::ch00_asynchronous`], or run the tour:
//!
//! ```text
//! cargo run --example tour
//! ```
//!
//! A small program needs only the prelude:
//!
//! ```
//! use async_primer::prelude::*;
//!
//! let answer = async_primer::block_on(async {
//!     let (tx, rx) = async_primer::channel::oneshot();
//!     let _task = async_primer::spawn(async move {
//!         let _ = tx.send(42);
//!     });
//!     rx.await.unwrap()
//! });
//! assert_eq!(answer, 42);
//! ```
//!
//! How the crate is checked: every shared state has a loom model in
//! `tests/loom_*.rs`, the unit and integration tests also run under Miri,
//! and combinators are compared with simple models by proptest. See
//! [`guide::ch07_testing`].

#![forbid(unsafe_op_in_unsafe_fn)]
#![deny(missing_docs)]
#![warn(rust_2018_idioms)]

pub(crate) mod sync;

pub mod callback;
pub mod cancel;
pub mod channel;
pub mod executor;
pub mod future;
pub mod guide;
pub mod locks;
pub mod prelude;
pub mod promise;
pub mod stream;
pub mod testing;
pub mod time;
pub mod trace;

// The free functions a one-line program reaches for, at the crate root.
pub use executor::{block_on, queue_microtask, set_timeout, spawn, spawn_blocking, yield_now};

// The code blocks in README.md run as doc tests too, so the "taste" there
// cannot drift from the real API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
