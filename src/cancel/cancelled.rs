//! [`Cancelled`]: the future returned by
//! [`CancellationToken::cancelled`](super::CancellationToken::cancelled).

// How it works
//
//   Unregistered --poll, not cancelled--> Waiting(key) --poll, cancelled--> Done
//        \________________poll, cancelled_____________________________________^
//
// `key` is our waker's slot in the token's waiter list (token_node.rs holds
// the protocol). Dropping a `Waiting` future removes its slot, so a
// cancelled wait (say, the loser of a `select`) leaves nothing behind.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::token_node::TokenNode;

/// Future of [`CancellationToken::cancelled`](super::CancellationToken::cancelled):
/// ready once the token is cancelled (at once if it already is). Polling it
/// again after that is allowed and stays ready: a token never un-cancels.
///
/// Cancel safety: dropping it loses nothing (it only ever waited); a new
/// `cancelled()` sees the same token.
///
/// ```
/// use async_primer::cancel::{CancellationToken, Cancelled};
///
/// let token = CancellationToken::new();
/// token.cancel();
/// let wait: Cancelled<'_> = token.cancelled();
/// async_primer::block_on(wait); // ready at once
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Cancelled<'a> {
    node: &'a TokenNode,
    state: WaitState,
}

/// Where the wait is; see the diagram above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WaitState {
    Unregistered,
    Waiting(usize),
    Done,
}

impl<'a> Cancelled<'a> {
    pub(super) fn new(node: &'a TokenNode) -> Cancelled<'a> {
        Cancelled {
            node,
            state: WaitState::Unregistered,
        }
    }
}

impl Future for Cancelled<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut key = match self.state {
            // First poll: no slot yet.
            WaitState::Unregistered => None,
            // Woken (or polled spuriously): refresh the waker in our slot.
            WaitState::Waiting(key) => Some(key),
            // A token never un-cancels, so staying ready is correct.
            WaitState::Done => return Poll::Ready(()),
        };
        let poll = self.node.poll_cancelled(&mut key, cx.waker());
        self.state = match (poll, key) {
            (Poll::Ready(()), _) => WaitState::Done,
            (Poll::Pending, Some(key)) => WaitState::Waiting(key),
            (Poll::Pending, None) => unreachable!("a pending wait always holds a slot"),
        };
        poll
    }
}

impl Drop for Cancelled<'_> {
    fn drop(&mut self) {
        if let WaitState::Waiting(key) = self.state {
            self.node.forget_waiter(key);
        }
    }
}

impl fmt::Debug for Cancelled<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancelled")
            .field("state", &self.state)
            .finish()
    }
}
