//! The coursework kit: test your own futures by hand, and grade programs by
//! what they say.
//!
//! Two halves, for the two ways async code is checked in a course:
//!
//! | to check | use | file |
//! |---|---|---|
//! | a hand-written future: did it store its waker, wake it once, finish? | [`counting_waker`], [`poll_once`], [`poll_with`], [`poll_until_blocked`], [`assert_pending!`](crate::assert_pending), [`assert_ready!`](crate::assert_ready), [`assert_ready_eq!`](crate::assert_ready_eq) | `counting_waker.rs`, `poll.rs`, `assert.rs` |
//! | a whole program: does it say the right things, in the same order under every schedule? | [`say!`](crate::say), [`run_recorded`], [`Transcript`], [`find_failing_seed`] | `recorder.rs`, `transcript.rs`, `seeds.rs` |
//!
//! ```
//! use async_primer::testing::{counting_waker, run_recorded};
//! use async_primer::time::sleep;
//! use async_primer::{assert_pending, assert_ready, say};
//! use std::time::Duration;
//!
//! // Stepping by hand: a channel receiver keeps the waker and is woken once.
//! let (tx, mut rx) = async_primer::channel::oneshot::<u32>();
//! let (waker, counts) = counting_waker();
//! assert_pending!(rx, &waker);
//! tx.send(5).unwrap();
//! assert_eq!((counts.woken(), counts.clones()), (1, 1));
//! assert_eq!(assert_ready!(rx, &waker), Ok(5));
//!
//! // Grading by output: virtual time, a seed, and a transcript.
//! let transcript = run_recorded(42, || async {
//!     sleep(Duration::from_secs(3)).await;
//!     say!("three seconds later");
//! });
//! assert_eq!(transcript.to_string(), "[3s] block_on's future: three seconds later\n");
//! ```
//!
//! The guide chapter is [`crate::guide::ch07_testing`]; it also shows how to
//! check a primitive of your own with loom (`tests/loom_student_oneshot.rs`).
//! The kit's own tests are in `tests/testing_kit.rs`, and the exercises at
//! the end of every chapter are written with it (`tests/exercises.rs`).
//!
//! Left out compared with `tokio-test` and `futures-test`: mock I/O
//! (there is no I/O here), a task wrapper that owns the future (`&mut fut`
//! and `pin!` do the same with less), and stream assertions. Wakes made
//! from other threads after a poll are counted but not waited for.

mod assert;
mod counting_waker;
mod poll;
mod recorder;
mod seeds;
mod transcript;

pub use counting_waker::{WakeCounts, counting_waker};
pub use poll::{POLL_LIMIT, poll_once, poll_until_blocked, poll_with};
pub use recorder::run_recorded;
pub use seeds::{SeedFailure, find_failing_seed};
pub use transcript::{Difference, Line, Transcript};

// What the macros expand to; not part of the API.
#[doc(hidden)]
pub use poll::{__assert_pending, __assert_ready, __assert_ready_eq};
#[doc(hidden)]
pub use recorder::__say;
