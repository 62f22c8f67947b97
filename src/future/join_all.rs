//! [`join_all`]: wait for every future in a collection; outputs in input
//! order. Each future gets its own waker, and a poll of the join polls only
//! the futures that were woken since the last one, so a wake-up costs O(1)
//! however many futures there are.
//!
//! ```
//! use async_primer::future::join_all;
//!
//! let pages = (1..=3).map(|n| async move { format!("page {n}") });
//! let all = futures::executor::block_on(join_all(pages));
//! assert_eq!(all, ["page 1", "page 2", "page 3"]);
//!
//! // All of nothing: ready at once, empty.
//! let none = futures::executor::block_on(join_all(Vec::<std::future::Ready<u8>>::new()));
//! assert!(none.is_empty());
//! ```
//!
//! Cancellation: a future that finishes is dropped at once and its output
//! kept. Dropping the `JoinAll` drops every future still running, in input
//! order, and the outputs collected so far.
//!
//! ```
//! use async_primer::future::{join_all, pending, FutureExt};
//! use std::rc::Rc;
//!
//! let token = Rc::new(());
//! let futs: Vec<_> = (0..3).map(|_| { let t = token.clone(); pending::<()>().map(move |_| drop(t)) }).collect();
//! let all = join_all(futs);
//! assert_eq!(Rc::strong_count(&token), 4);
//! drop(all); // cancels all three
//! assert_eq!(Rc::strong_count(&token), 1);
//! ```
//!
//! Left out, compared with `futures::future::join_all`: nothing visible;
//! inside, `futures` switches to `FuturesOrdered` (an `Arc` per future)
//! above 30 futures, where this one shares one allocation for all wakers.

// How it works
//
//   slots:  [Running(f0)] [Done(out1)] [Running(f2)] ...   (never moves)
//   wakers: WakeList, one node per slot (see wake_list.rs)
//
//   first poll: poll every slot in order
//   later polls: poll only the slots the WakeList says were woken
//   remaining == 0: take the outputs, in slot order -> Ready(Vec)
//
// `Finished` (slots emptied) is where a second poll after Ready panics.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::polled_after_completion;
use super::wake_list::WakeList;

/// Waits for all the futures; `Ready(outputs)` in input order. Empty input:
/// `Ready(vec![])` on the first poll. Items may be anything [`IntoFuture`]
/// (promises too).
///
/// ```
/// use async_primer::future::{join_all, ready};
/// let f = join_all(vec![ready(1), ready(2)]);
/// assert_eq!(futures::executor::block_on(f), vec![1, 2]);
/// ```
#[track_caller]
pub fn join_all<I>(futures: I) -> JoinAll<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let slots: Box<[Slot<_>]> = futures
        .into_iter()
        .map(|f| Slot::Running(f.into_future()))
        .collect();
    JoinAll {
        remaining: slots.len(),
        wake_list: WakeList::new(slots.len()),
        slots,
        state: State::Unpolled,
    }
}

/// One input: still running, or finished with its output.
pub(super) enum Slot<F: Future> {
    Running(F),
    Done(F::Output),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// Never polled: every child needs its first poll.
    Unpolled,
    /// Polled: only woken children are polled.
    Polling,
    /// Returned `Ready`.
    Finished,
}

/// Future for [`join_all`].
///
/// ```
/// use async_primer::future::{join_all, JoinAll, ready};
/// let all: JoinAll<_> = join_all([ready('a'), ready('b')]);
/// assert_eq!(futures::executor::block_on(all), ['a', 'b']);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct JoinAll<F: Future> {
    slots: Box<[Slot<F>]>,
    wake_list: WakeList,
    remaining: usize,
    state: State,
}

impl<F: Future> fmt::Debug for JoinAll<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinAll")
            .field("len", &self.slots.len())
            .field("remaining", &self.remaining)
            .field("state", &self.state)
            .finish()
    }
}

/// Polls slot `i` (if it still runs) with its own waker; `Some(output)`
/// when it finishes now. Shared with `try_join_all`.
pub(super) fn poll_slot<F: Future>(
    slots: &mut [Slot<F>],
    wake_list: &WakeList,
    i: usize,
) -> Option<F::Output> {
    let Slot::Running(fut) = &mut slots[i] else {
        return None; // a stale wake of a finished child
    };
    // SAFETY: the slots live in a boxed slice that is never reallocated or
    // moved out of while a child runs; a running child is only ever dropped
    // in place (by overwriting its slot, or by dropping the box).
    let fut = unsafe { Pin::new_unchecked(fut) };
    match wake_list.with_child_waker(i, |cx| fut.poll(cx)) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<F::Output>> {
        // `JoinAll` is `Unpin` (the children live behind a `Box`).
        let this = self.get_mut();
        let JoinAll {
            slots,
            wake_list,
            remaining,
            state,
        } = this;
        let n = slots.len();
        let mut on_ready = |i: usize| {
            if let Some(out) = poll_slot(slots, wake_list, i) {
                slots[i] = Slot::Done(out); // drops the finished future in place
                *remaining -= 1;
            }
        };
        match *state {
            // First poll: register, then every child once, in order.
            State::Unpolled => {
                wake_list.set_parent_waker(cx.waker());
                *state = State::Polling;
                (0..n).for_each(&mut on_ready);
            }
            // Later polls: only the children woken since the last poll.
            State::Polling => {
                wake_list.set_parent_waker(cx.waker());
                wake_list.take_woken(&mut on_ready);
            }
            State::Finished => polled_after_completion("join_all"),
        }
        if *remaining > 0 {
            return Poll::Pending;
        }
        *state = State::Finished;
        let outputs = std::mem::take(slots)
            .into_vec()
            .into_iter()
            .map(|slot| match slot {
                Slot::Done(out) => out,
                Slot::Running(_) => unreachable!("remaining == 0 means every slot is done"),
            });
        Poll::Ready(outputs.collect())
    }
}
