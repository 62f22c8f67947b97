//! [`try_join_all`]: like [`join_all`](super::join_all) for futures of
//! `Result`, stopping at the first error.
//!
//! ```
//! use async_primer::future::{ready, try_join_all};
//!
//! let ok = try_join_all(vec![ready(Ok::<u8, &str>(1)), ready(Ok(2))]);
//! assert_eq!(futures::executor::block_on(ok), Ok(vec![1, 2]));
//!
//! let failed = try_join_all(vec![ready(Ok(1)), ready(Err("no")), ready(Ok(3))]);
//! assert_eq!(futures::executor::block_on(failed), Err("no"));
//! ```
//!
//! Empty input: `Ok(vec![])` on the first poll.
//!
//! Cancellation: the first `Err` drops every future still running (in
//! input order) and every `Ok` collected so far, then returns the error.
//! Dropping the `TryJoinAll` drops them the same way.
//!
//! ```
//! use async_primer::future::{try_join_all, pending, ready, FutureExt};
//! use std::rc::Rc;
//!
//! let token = Rc::new(());
//! let t = token.clone();
//! let slow = pending::<Result<u8, &str>>().map(move |r| { drop(t); r }).boxed_local();
//! let f = try_join_all(vec![slow, ready(Err("fail fast")).boxed_local()]);
//! assert_eq!(futures::executor::block_on(f), Err("fail fast"));
//! assert_eq!(Rc::strong_count(&token), 1); // the slow one was dropped
//! ```
//!
//! Uses the same ready list as `join_all`: O(1) work per wake-up.

// How it works: exactly `join_all`'s loop (see join_all.rs), except that a
// child finishing with `Err(e)` empties the slots at once (dropping every
// running child in place) and returns `Ready(Err(e))`.
//
//   Unpolled --first poll--> Polling --all Ok--> Finished (Ok(outputs))
//                               \----first Err--> Finished (Err(e))

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::join_all::{Slot, State, poll_slot};
use super::polled_after_completion;
use super::wake_list::WakeList;

/// Waits for all the futures, or for the first `Err`. `Ok(outputs)` in
/// input order. Items may be anything [`IntoFuture`] (promises too).
///
/// ```
/// use async_primer::future::{ready, try_join_all};
/// let f = try_join_all(Vec::<std::future::Ready<Result<u8, ()>>>::new());
/// assert_eq!(futures::executor::block_on(f), Ok(vec![]));
/// ```
#[track_caller]
pub fn try_join_all<I, T, E>(futures: I) -> TryJoinAll<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture<Output = Result<T, E>>,
{
    let slots: Box<[Slot<_>]> = futures
        .into_iter()
        .map(|f| Slot::Running(f.into_future()))
        .collect();
    TryJoinAll {
        remaining: slots.len(),
        wake_list: WakeList::new(slots.len()),
        slots,
        state: State::Unpolled,
    }
}

/// Future for [`try_join_all`].
///
/// ```
/// use async_primer::future::{try_join_all, TryJoinAll, ready};
/// let all: TryJoinAll<_> = try_join_all([ready(Ok::<u8, ()>(1))]);
/// assert_eq!(futures::executor::block_on(all), Ok(vec![1]));
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct TryJoinAll<F: Future> {
    slots: Box<[Slot<F>]>,
    wake_list: WakeList,
    remaining: usize,
    state: State,
}

impl<F: Future> fmt::Debug for TryJoinAll<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryJoinAll")
            .field("len", &self.slots.len())
            .field("remaining", &self.remaining)
            .field("state", &self.state)
            .finish()
    }
}

impl<F, T, E> Future for TryJoinAll<F>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<Vec<T>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Vec<T>, E>> {
        let this = self.get_mut();
        let TryJoinAll {
            slots,
            wake_list,
            remaining,
            state,
        } = this;
        let mut error = None;
        let n = slots.len();
        let mut on_ready = |i: usize| {
            if error.is_some() {
                return; // already failed: poll nobody else
            }
            match poll_slot(slots, wake_list, i) {
                Some(Ok(value)) => {
                    slots[i] = Slot::Done(Ok(value));
                    *remaining -= 1;
                }
                Some(Err(e)) => error = Some(e),
                None => {}
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
            State::Finished => polled_after_completion("try_join_all"),
        }
        if let Some(e) = error {
            *state = State::Finished;
            // Cancels every running child (dropped in place, input order).
            *slots = Box::default();
            return Poll::Ready(Err(e));
        }
        if *remaining > 0 {
            return Poll::Pending;
        }
        *state = State::Finished;
        let outputs = std::mem::take(slots)
            .into_vec()
            .into_iter()
            .map(|slot| match slot {
                Slot::Done(Ok(value)) => value,
                _ => unreachable!("remaining == 0 means every slot is Done(Ok)"),
            });
        Poll::Ready(Ok(outputs.collect()))
    }
}
