//! Cancellation and structured concurrency: stopping work you no longer
//! need, and keeping every task you start accounted for.
//!
//! | want | use |
//! |---|---|
//! | stop a future | drop it (that *is* cancellation in Rust) |
//! | stop a spawned task | [`JoinHandle::abort`]: its future is dropped at its next turn |
//! | give up after a while | [`time::timeout`](crate::time::timeout) (drops the inner future) |
//! | tell many tasks to stop, and let them clean up | [`CancellationToken`] (+ [`child_token`](CancellationToken::child_token)) |
//! | run many tasks, take results as they finish | [`JoinSet`] |
//! | tasks that cannot outlive their parent; failures never lost | [`scope`], [`scope_with`] |
//!
//! ```
//! use async_primer::cancel::{CancellationToken, JoinSet};
//! use async_primer::executor::Executor;
//! use async_primer::future::{select, Either};
//! use async_primer::time::sleep;
//! use std::pin::pin;
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! let stopped = ex.block_on(async {
//!     let shutdown = CancellationToken::new();
//!     let mut workers = JoinSet::new();
//!     for id in 0..3 {
//!         let token = shutdown.child_token();
//!         workers.spawn(async move {
//!             let work = pin!(sleep(Duration::from_secs(60)));
//!             match select(work, pin!(token.cancelled())).await {
//!                 Either::Left(_) => format!("worker {id} finished"),
//!                 Either::Right(_) => format!("worker {id} stopped"),
//!             }
//!         });
//!     }
//!     sleep(Duration::from_secs(1)).await;
//!     shutdown.cancel();
//!     let mut stopped = 0;
//!     while let Some(r) = workers.join_next().await {
//!         assert!(r.unwrap().ends_with("stopped"));
//!         stopped += 1;
//!     }
//!     stopped
//! });
//! assert_eq!(stopped, 3);
//! ```
//!
//! **Abort.** [`JoinHandle::abort`] marks the task and wakes it; at its
//! next turn the executor drops the task's future instead of polling it,
//! which runs every destructor inside it (open files close, locks unlock,
//! channels' senders go away), and the handle resolves to an aborted
//! [`JoinError`](crate::executor::JoinError). Nothing runs *after* the
//! `.await` the task was stopped at: that is why abort is forceful, and a
//! token is the polite way.
//!
//! **Cancel safety.** A future is *cancel-safe* if dropping it before it
//! finished loses nothing: you can retry with a new one. Each future of
//! the crate says so in a "Cancel safety" paragraph: `mpsc` `recv` is
//! (a message is only taken in the poll that returns it), `send` is not
//! (the message dies with the future), a oneshot `Receiver` is not (a
//! value sent meanwhile is dropped with it), `sleep` is (make a new one),
//! and `select` hands the loser back instead of dropping it. The guide
//! shows it with `select` in a loop: [`crate::guide::ch09_cancellation`].
//!
//! Checked by `tests/cancel.rs` (behaviour, under Miri too) and the loom
//! models in `tests/loom_cancel.rs`.
//!
//! [`JoinHandle::abort`]: crate::executor::JoinHandle::abort

mod cancelled;
mod join_set;
mod policy;
mod ready_list;
mod scope;
mod scope_error;
mod scope_future;
mod slab;
mod token;
mod token_node;

pub use cancelled::Cancelled;
pub use join_set::JoinSet;
pub use policy::Policy;
pub use scope::Scope;
pub use scope_error::{ScopeError, TaskFailure};
pub use scope_future::{ScopeFuture, scope, scope_with};
pub use token::{CancellationToken, DropGuard};
