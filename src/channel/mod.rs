//! Channels: message passing between parties who are not there at the same
//! time.
//!
//! A channel has a sending half and a receiving half. The sender drops a
//! message in and goes on with its life; the receiver picks it up whenever
//! it gets round to it, waiting (without blocking a thread) if nothing has
//! arrived yet. Either half can be on another thread.
//!
//! * [`oneshot()`]: exactly one value, from one sender to one receiver:
//!   the answer to a single request.
//! * [`mpsc`]: a queue from many senders to one receiver, bounded (the
//!   sender waits for room: back-pressure) or unbounded.
//!
//! Dropping a half closes the channel: the receiver of a dropped oneshot
//! sender gets [`Closed`], an mpsc `recv` returns `None` once every
//! sender is gone and the queue is drained, and senders learn that the
//! receiver is gone when they try to send.
//!
//! ```
//! use async_primer::channel::{mpsc, oneshot};
//!
//! futures::executor::block_on(async {
//!     let (tx, rx) = oneshot();
//!     std::thread::spawn(move || tx.send("reply").unwrap());
//!     assert_eq!(rx.await, Ok("reply"));
//!
//!     let (tx, mut rx) = mpsc::bounded(2);
//!     let worker = std::thread::spawn(move || {
//!         futures::executor::block_on(async {
//!             for i in 0..5 {
//!                 tx.send(i).await.unwrap(); // waits while 2 are queued
//!             }
//!         })
//!     });
//!     let mut got = vec![];
//!     while let Some(i) = rx.recv().await {
//!         got.push(i);
//!     }
//!     worker.join().unwrap();
//!     assert_eq!(got, [0, 1, 2, 3, 4]);
//! });
//! ```
//!
//! Used in [`crate::guide::ch05_async_await`] and `examples/email.rs`, and
//! for back-pressure in [`crate::guide::ch10_streams`]; checked by the loom
//! models in `tests/loom_channel.rs`.
//!
//! Left out, compared with tokio's channels: `broadcast` and `watch`,
//! blocking (`blocking_send` / `blocking_recv`) calls, permits
//! (`reserve`), and a weak sender.

mod error;
pub mod mpsc;
pub mod oneshot;

pub use error::{Closed, SendError, TryRecvError, TrySendError};
pub use oneshot::oneshot;
