//! [`CancellationToken`]: a flag that many tasks can watch and anyone can
//! raise, once; and [`DropGuard`], which raises it when dropped.
//!
//! ```
//! use async_primer::cancel::CancellationToken;
//! use async_primer::executor::Executor;
//! use async_primer::time::{now, sleep};
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! ex.block_on(async {
//!     let start = now();
//!     let token = CancellationToken::new();
//!     let worker = {
//!         let token = token.clone();
//!         async_primer::spawn(async move {
//!             let mut ticks = 0;
//!             // Work until told to stop; stop *between* two steps.
//!             while !token.is_cancelled() {
//!                 sleep(Duration::from_secs(1)).await;
//!                 ticks += 1;
//!             }
//!             ticks
//!         })
//!     };
//!     sleep(Duration::from_millis(3500)).await;
//!     token.cancel();
//!     assert_eq!(worker.await.unwrap(), 4); // finished its 4th step, then stopped
//!     assert_eq!(now() - start, Duration::from_secs(4));
//! });
//! ```
//!
//! A token is cooperative: cancelling it only *tells*; the tasks watching it
//! decide where to stop, so they can finish a step, flush a buffer or say
//! goodbye. Dropping a future (or [`JoinHandle::abort`]) is the other way,
//! the forceful one: the future simply stops at its current `.await`. The
//! guide compares them in [`crate::guide::ch09_cancellation`]; the
//! interleavings are checked by `tests/loom_cancel.rs`.
//!
//! Left out, compared with `tokio_util::sync::CancellationToken`:
//! `cancelled_owned` (a `'static` future; clone the token into your task
//! instead) and `run_until_cancelled`. Kept: children, drop guards.
//!
//! [`JoinHandle::abort`]: crate::executor::JoinHandle::abort

// How it works: a token is a counted handle to a `TokenNode` (see
// token_node.rs for the states, the diagram and the no-lost-wake-up
// argument); clones share the node; `child_token` makes a new node linked
// below this one. The handle count (not the `Arc` count) is what tells a
// node that nobody can cancel it directly any more.
//
// Rejected: a token as `Arc<AtomicBool>` polled in a loop (cheap, but a
// waiting task would have to poll on a timer instead of being woken).

use std::fmt;

use super::cancelled::Cancelled;
use super::token_node::{State, TokenNode};
use crate::sync::Arc;

/// A cancellation flag shared by clones: [`cancel`](Self::cancel) it once,
/// and every [`cancelled()`](Self::cancelled) future wakes and every
/// [`is_cancelled`](Self::is_cancelled) answers `true`, on any thread.
///
/// `Send + Sync + Clone`: clone it into every task that should watch it.
///
/// ```
/// use async_primer::cancel::CancellationToken;
///
/// let token = CancellationToken::new();
/// let watcher = token.clone();
/// assert!(!watcher.is_cancelled());
/// std::thread::spawn(move || token.cancel()).join().unwrap();
/// assert!(watcher.is_cancelled());
/// async_primer::block_on(watcher.cancelled()); // ready at once now
/// ```
pub struct CancellationToken {
    node: Arc<TokenNode>,
}

impl CancellationToken {
    /// A new token, not cancelled, with no parent.
    ///
    /// ```
    /// let token = async_primer::cancel::CancellationToken::new();
    /// assert!(!token.is_cancelled());
    /// ```
    pub fn new() -> CancellationToken {
        CancellationToken {
            node: TokenNode::root(),
        }
    }

    /// Cancels the token and all its children (and theirs), waking every
    /// task waiting in [`cancelled()`](Self::cancelled). Calling it again
    /// does nothing. Never blocks on a waiter; lock-free when nobody waits.
    ///
    /// ```
    /// let token = async_primer::cancel::CancellationToken::new();
    /// token.cancel();
    /// token.cancel(); // harmless
    /// assert!(token.is_cancelled());
    /// ```
    pub fn cancel(&self) {
        TokenNode::cancel(&self.node);
    }

    /// `true` once the token (or one of its ancestors) was cancelled. One
    /// atomic load: cheap enough to check between every two steps of work.
    ///
    /// ```
    /// let parent = async_primer::cancel::CancellationToken::new();
    /// let child = parent.child_token();
    /// parent.cancel();
    /// assert!(child.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.node.state() == State::Cancelled
    }

    /// A future that is ready once the token is cancelled. It borrows the
    /// token; to wait inside a spawned task, move a clone of the token into
    /// the task.
    ///
    /// ```
    /// use async_primer::cancel::CancellationToken;
    /// use async_primer::future::{select, Either};
    /// use std::pin::pin;
    ///
    /// let token = CancellationToken::new();
    /// let out = async_primer::block_on(async {
    ///     let stopper = token.clone();
    ///     async_primer::spawn(async move { stopper.cancel() });
    ///     let work = pin!(std::future::pending::<u32>()); // would run forever
    ///     match select(work, pin!(token.cancelled())).await {
    ///         Either::Left((n, _)) => n,
    ///         Either::Right(((), _work)) => 0, // cancelled: `_work` is dropped
    ///     }
    /// });
    /// assert_eq!(out, 0);
    /// ```
    pub fn cancelled(&self) -> Cancelled<'_> {
        Cancelled::new(&self.node)
    }

    /// A new token that is cancelled when this one is (or already is, if
    /// this one is cancelled), but whose own `cancel` leaves this one alone:
    /// cancellation flows down the tree, never up.
    ///
    /// ```
    /// let server = async_primer::cancel::CancellationToken::new();
    /// let connection = server.child_token();
    /// connection.cancel(); // one connection closes...
    /// assert!(!server.is_cancelled()); // ...the server goes on
    /// let other = server.child_token();
    /// server.cancel(); // the server stops: every connection too
    /// assert!(other.is_cancelled());
    /// ```
    pub fn child_token(&self) -> CancellationToken {
        CancellationToken {
            node: TokenNode::child(&self.node),
        }
    }

    /// Wraps the token in a guard that cancels it when dropped (for
    /// example when a function returns early, or unwinds from a panic).
    ///
    /// ```
    /// let token = async_primer::cancel::CancellationToken::new();
    /// {
    ///     let _guard = token.clone().drop_guard();
    /// } // dropped here
    /// assert!(token.is_cancelled());
    /// ```
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { token: Some(self) }
    }
}

impl Default for CancellationToken {
    /// Same as [`CancellationToken::new`].
    ///
    /// ```
    /// let token = async_primer::cancel::CancellationToken::default();
    /// assert!(!token.is_cancelled());
    /// ```
    fn default() -> Self {
        CancellationToken::new()
    }
}

impl Clone for CancellationToken {
    /// Another handle to the same token (not a child).
    fn clone(&self) -> Self {
        self.node.add_handle();
        CancellationToken {
            node: self.node.clone(),
        }
    }
}

impl Drop for CancellationToken {
    fn drop(&mut self) {
        TokenNode::drop_handle(&self.node);
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("is_cancelled", &self.is_cancelled())
            .finish()
    }
}

/// Cancels its token when dropped, unless [`disarm`](Self::disarm)ed.
/// Made by [`CancellationToken::drop_guard`]. (It lives in this file, not
/// its own, because it is a handful of lines that only make sense beside
/// the token, like `std`'s `MutexGuard` beside `Mutex`.)
///
/// ```
/// let token = async_primer::cancel::CancellationToken::new();
/// let guard = token.clone().drop_guard();
/// let back = guard.disarm(); // no longer cancels on drop
/// drop(back);
/// assert!(!token.is_cancelled());
/// ```
#[must_use = "a DropGuard dropped at once cancels its token at once"]
pub struct DropGuard {
    /// `None` once disarmed.
    token: Option<CancellationToken>,
}

impl DropGuard {
    /// Gives the token back without cancelling it.
    ///
    /// ```
    /// let token = async_primer::cancel::CancellationToken::new();
    /// let token = token.drop_guard().disarm();
    /// assert!(!token.is_cancelled());
    /// ```
    pub fn disarm(mut self) -> CancellationToken {
        self.token
            .take()
            .expect("a DropGuard holds its token until disarmed")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(token) = &self.token {
            token.cancel();
        }
    }
}

impl fmt::Debug for DropGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DropGuard")
            .field("armed", &self.token.is_some())
            .finish()
    }
}
