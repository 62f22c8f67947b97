//! Async locks and signals: [`Mutex`], [`Semaphore`], [`Notify`] and
//! [`Barrier`], for tasks that must wait for each other *without blocking
//! the thread they share*.
//!
//! (The name is `locks`, not `sync`: the crate's internal `sync` module is
//! the std-or-loom switch every primitive is built on, and a user-facing
//! module of the same name would be confused with it.)
//!
//! ```
//! use async_primer::locks::{Mutex, Semaphore};
//! use std::sync::Arc;
//!
//! async_primer::block_on(async {
//!     let total = Arc::new(Mutex::new(0));
//!     let at_most_two = Arc::new(Semaphore::new(2));
//!     let mut tasks = Vec::new();
//!     for i in 1..=4 {
//!         let (total, gate) = (total.clone(), at_most_two.clone());
//!         tasks.push(async_primer::spawn(async move {
//!             let _slot = gate.acquire().await;
//!             let mut sum = total.lock().await;
//!             async_primer::yield_now().await; // the guard may cross an .await
//!             *sum += i;
//!         }));
//!     }
//!     for t in tasks {
//!         t.await.unwrap();
//!     }
//!     assert_eq!(*total.lock().await, 10);
//! });
//! ```
//!
//! ## The bug these exist to avoid
//!
//! A `std::sync::Mutex` guard held across `.await` is a bug, for two
//! reasons. The guard keeps the lock while the task is suspended, so any
//! other task that calls `lock()` *blocks its thread* until the first one
//! resumes; on a single-threaded executor that thread is the only one, the
//! first task can never resume, and the program deadlocks without a word.
//! And the std guard is not `Send`, so such a future cannot be spawned on a
//! multi-threaded runtime at all. The same goes for `Condvar::wait` and
//! `std::sync::Barrier::wait`: blocking calls inside a task stall every
//! task on that thread.
//!
//! The locks here never block. A task that must wait returns `Pending` and
//! leaves its waker in a first-come, first-served line; the unlock, release
//! or notification that lets it go on wakes it. Inside, each keeps its line
//! in a `std::sync::Mutex` (through the crate's `sync` facade), which is
//! fine: that lock is held for a few pointer moves and never across an
//! `.await`. A std mutex is still the right tool for data whose guard is
//! dropped before the next `.await` (it is faster).
//!
//! All four are `Send + Sync` (for `Mutex<T>`, when `T: Send`): they work
//! across threads and on any executor (this crate's, tokio's, futures'),
//! since they only use the `Waker` they are polled with. Every wait is
//! cancel-safe: dropping the future never loses a permit, a lock, or a
//! `notify_one`.
//!
//! The guide is [`crate::guide::ch11_locks`]; the interleavings are checked
//! by `tests/loom_locks.rs`, the behaviour by `tests/locks.rs`, and the
//! mutex and semaphore against a sequential model by `tests/locks_prop.rs`.

mod barrier;
mod mutex;
mod notify;
mod permits;
mod semaphore;
mod waiter_queue;

pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use mutex::{Lock, Mutex, MutexGuard};
pub use notify::{Notified, Notify};
pub use semaphore::{Acquire, AcquireOwned, OwnedSemaphorePermit, Semaphore, SemaphorePermit};
