//! [`JoinSet`]: spawn many tasks, then take their results as they finish,
//! in completion order; dropping the set aborts whatever still runs.
//!
//! ```
//! use async_primer::cancel::JoinSet;
//! use async_primer::executor::Executor;
//! use async_primer::time::sleep;
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! let order = ex.block_on(async {
//!     let mut set = JoinSet::new();
//!     for (name, secs) in [("slow", 3), ("fast", 1), ("medium", 2)] {
//!         set.spawn(async move {
//!             sleep(Duration::from_secs(secs)).await;
//!             name
//!         });
//!     }
//!     let mut order = Vec::new();
//!     while let Some(result) = set.join_next().await {
//!         order.push(result.unwrap());
//!     }
//!     order
//! });
//! assert_eq!(order, ["fast", "medium", "slow"]); // finishing order, not spawn order
//! ```
//!
//! Structured concurrency in its simplest form: the set owns its tasks, so
//! they cannot outlive it. [`abort_all`](JoinSet::abort_all) (or dropping
//! the set) asks each to stop: at its next turn the executor drops the
//! task's future, which is how Rust cancels anything (see
//! [`JoinHandle::abort`]). For "wait for all, and cancel the rest when one
//! fails", see [`scope`](super::scope()).
//!
//! Guide: [`crate::guide::ch09_cancellation`]; loom models:
//! `tests/loom_cancel.rs` (`join_set_*`).
//!
//! Left out, compared with tokio's `JoinSet`: `spawn` returns no
//! `AbortHandle`, no task ids, no `try_join_next`, `spawn_blocking` or
//! `spawn_on`; it is `!Send` like this crate's `JoinHandle` (one executor
//! thread owns the tasks).
//!
//! [`JoinHandle::abort`]: crate::executor::JoinHandle::abort

// How it works
// ------------
//
// Each task's `JoinHandle` sits in a slab slot `i`. The set polls a handle
// only when something says its task may be done:
//
//   spawn                   -> slot i, and i goes on `queue` (never polled)
//   task i completes        -> the executor wakes the waker handle i was
//                              polled with: entry i's node in the ready list
//                              (ready_list.rs), which wakes the join_next task
//   join_next polls         -> pops `queue`; when it is empty, drains the
//                              ready list into it; polls each handle in turn
//                              until one is Ready (removed, returned) or the
//                              queue is empty (Pending)
//
// An entry's states:  Queued --polled, Pending--> Waiting --woken--> Queued
//                     Queued --polled, Ready--> gone (slot freed)
//
// Why `queue` lives in the set and not in the future: `join_next` may stop
// after the first ready handle, and the indices it drained but did not poll
// yet must survive until the next call (forgetting them loses a result:
// the `forget_queue` bug in tests/loom_cancel.rs). For the same reason a
// dropped `join_next` future loses nothing.
//
// Cost: a spawn is O(1) (plus a chunk allocation at each doubling); a
// completion costs O(1) to find, plus O(log n) chunk heads per drain.
//
// Rejected: polling every handle on every wake (O(n) per result, O(n^2)
// to drain the set) and wrapping each task to push its output into a
// shared queue (a second copy of what `JoinHandle` already does, with its
// own panic and abort handling).

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::ready_list::ReadyList;
use super::slab::Slab;
use crate::executor::{JoinError, JoinHandle};

/// A set of spawned tasks whose results come out of
/// [`join_next`](Self::join_next) in the order the tasks finish. Dropping
/// the set aborts every task still in it.
///
/// ```
/// use async_primer::cancel::JoinSet;
///
/// let sum = async_primer::block_on(async {
///     let mut set = JoinSet::new();
///     for i in 1..=4 {
///         set.spawn(async move { i * 10 });
///     }
///     let mut sum = 0;
///     while let Some(r) = set.join_next().await {
///         sum += r.unwrap();
///     }
///     sum
/// });
/// assert_eq!(sum, 100);
/// ```
pub struct JoinSet<T> {
    handles: Slab<JoinHandle<T>>,
    ready: ReadyList,
    /// Slots to poll next: fresh spawns and entries woken, not yet polled.
    queue: VecDeque<usize>,
}

impl<T> JoinSet<T> {
    /// An empty set.
    ///
    /// ```
    /// let set = async_primer::cancel::JoinSet::<u8>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet {
            handles: Slab::default(),
            ready: ReadyList::new(),
            queue: VecDeque::new(),
        }
    }

    /// How many tasks are in the set: spawned and not yet returned by
    /// `join_next` (finished ones count until then).
    ///
    /// ```
    /// async_primer::block_on(async {
    ///     let mut set = async_primer::cancel::JoinSet::new();
    ///     set.spawn(async {});
    ///     assert_eq!(set.len(), 1);
    ///     set.join_next().await;
    ///     assert_eq!(set.len(), 0);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// `true` if [`len`](Self::len) is 0.
    ///
    /// ```
    /// assert!(async_primer::cancel::JoinSet::<()>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Spawns `future` onto the executor running on this thread (like
    /// [`crate::spawn`]) and adds it to the set. Panics (at your line) if
    /// no executor is running here.
    ///
    /// ```
    /// async_primer::block_on(async {
    ///     let mut set = async_primer::cancel::JoinSet::new();
    ///     set.spawn(async { "done" });
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), "done");
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        let handle = crate::spawn(future);
        let i = self.handles.insert(handle);
        self.ready.grow_to(i + 1);
        // Never polled, so no waker of ours is stored in the task yet.
        self.queue.push_back(i);
    }

    /// Waits for the next task to finish and returns its result, or `None`
    /// if the set is empty. Tasks come out in the order they finish (those
    /// that finished while nobody was looking: in an unspecified order).
    ///
    /// Cancel safety: dropping the future loses nothing; a finished task's
    /// result stays in the set until a `join_next` returns it.
    ///
    /// ```
    /// async_primer::block_on(async {
    ///     let mut set = async_primer::cancel::JoinSet::<()>::new();
    ///     assert!(set.join_next().await.is_none()); // empty: at once
    ///     set.spawn(async { panic!("boom") });
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_panic());
    /// });
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// The poll behind [`join_next`](Self::join_next), for hand-written
    /// futures: `Ready(None)` if empty, `Ready(Some(result))` for a
    /// finished task, or `Pending` (and `cx`'s waker is woken when one
    /// finishes).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// async_primer::block_on(async {
    ///     let mut set = async_primer::cancel::JoinSet::new();
    ///     set.spawn(async { 1 });
    ///     let r = poll_fn(|cx| set.poll_join_next(cx)).await;
    ///     assert_eq!(r.unwrap().unwrap(), 1);
    /// });
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.handles.is_empty() {
            return Poll::Ready(None);
        }
        // Before draining: a wake that lands after the drain must find the
        // current waker (the ready list wakes it on empty -> non-empty).
        self.ready.register(cx.waker());
        loop {
            let i = match self.queue.pop_front() {
                Some(i) => i,
                None => {
                    let queue = &mut self.queue;
                    self.ready.drain(|i| queue.push_back(i));
                    match self.queue.pop_front() {
                        Some(i) => i,
                        // Nothing woken: every handle waits with our waker.
                        None => return Poll::Pending,
                    }
                }
            };
            // A stale index (its task was returned already): skip it.
            let Some(handle) = self.handles.get_mut(i) else {
                continue;
            };
            if let Poll::Ready(result) = self.ready.with_entry(i, |cx| Pin::new(handle).poll(cx)) {
                self.handles.remove(i);
                return Poll::Ready(Some(result));
            }
        }
    }

    /// Aborts every task in the set. Each one's future is dropped at its
    /// next turn, and `join_next` then returns it as an aborted
    /// [`JoinError`] (or its result, if it had already finished).
    ///
    /// ```
    /// async_primer::block_on(async {
    ///     let mut set = async_primer::cancel::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.abort_all();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_aborted());
    /// });
    /// ```
    pub fn abort_all(&mut self) {
        self.handles.iter_mut().for_each(|(_, h)| h.abort());
    }

    /// Aborts every task and waits until each has stopped (its future
    /// dropped), discarding the results.
    ///
    /// ```
    /// async_primer::block_on(async {
    ///     let mut set = async_primer::cancel::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.shutdown().await;
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }
}

impl<T> Default for JoinSet<T> {
    /// Same as [`JoinSet::new`].
    ///
    /// ```
    /// let set: async_primer::cancel::JoinSet<u8> = Default::default();
    /// assert!(set.is_empty());
    /// ```
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    /// Aborts every task still in the set (their futures are dropped at
    /// their next turn; nobody waits for that).
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}
