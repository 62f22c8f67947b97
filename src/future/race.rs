//! [`race`] and [`race_ok`]: the first of many futures of one type wins;
//! the others are dropped.
//!
//! ```
//! use async_primer::future::{race, race_ok, pending, ready, FutureExt};
//!
//! let first = race(vec![pending().boxed(), ready(2).boxed(), ready(3).boxed()]);
//! assert_eq!(futures::executor::block_on(first), 2);
//!
//! let first_ok = race_ok(vec![ready(Err("a")), ready(Ok(1)), ready(Err("c"))]);
//! assert_eq!(futures::executor::block_on(first_ok), Ok(1));
//! ```
//!
//! Empty input, each with one answer: `race` of nothing never finishes
//! (it is `Pending` forever, like JavaScript's `Promise.race([])`), and
//! `race_ok` of nothing fails at once with `Err(vec![])` (like
//! `Promise.any([])`: every one of the zero futures failed).
//!
//! Cancellation: as soon as there is a winner, every other future is
//! dropped (in input order) before the winner's output is returned.
//! `race_ok` also drops each future as soon as it fails.
//!
//! ```
//! use async_primer::future::{race, pending, ready, FutureExt};
//! use std::rc::Rc;
//!
//! let token = Rc::new(());
//! let t = token.clone();
//! let loser = pending::<u8>().map(move |x| { drop(t); x }).boxed_local();
//! assert_eq!(futures::executor::block_on(race(vec![loser, ready(7).boxed_local()])), 7);
//! assert_eq!(Rc::strong_count(&token), 1); // the loser was dropped
//! ```
//!
//! Cancel safety: the losers are dropped, so race only futures that are
//! cancel-safe (each of the crate's futures says whether it is), or that
//! hold nothing you need; use [`select`](super::select) to keep the loser.
//!
//! Left out, compared with `futures::future::select_all` / `select_ok`:
//! the winner's index and the losers are not handed back (use
//! [`select`](super::select) when you need the loser), and every running
//! future is polled on each wake (fine for the handful a race usually has;
//! [`join_all`](super::join_all) shows the ready-list technique).

// How it works:
//   race:    Racing { futs } --one ready--> Done (all futs dropped)
//   race_ok: Racing { slots, errors } --an Ok--> Done (rest dropped)
//                                     --last Err--> Done (Err(errors))
// The futures live in a boxed slice, pinned in place; `race_ok` marks a
// failed one by dropping it in place (`None`).

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::polled_after_completion;

/// Waits for the first future to finish and returns its output; the rest
/// are dropped. Nothing in, never ready. Items may be anything
/// [`IntoFuture`] (promises too).
///
/// ```
/// use async_primer::future::{race, ready};
/// assert_eq!(futures::executor::block_on(race([ready(1), ready(2)])), 1);
/// ```
pub fn race<I>(futures: I) -> Race<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    Race {
        futs: Some(futures.into_iter().map(IntoFuture::into_future).collect()),
    }
}

/// Future for [`race`].
///
/// ```
/// use async_primer::future::{race, Race, ready};
/// let r: Race<_> = race(vec![ready(1)]);
/// assert_eq!(futures::executor::block_on(r), 1);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Race<F> {
    /// `None` once a winner was returned.
    futs: Option<Box<[F]>>,
}

impl<F> fmt::Debug for Race<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Race")
            .field("len", &self.futs.as_ref().map(|v| v.len()))
            .finish()
    }
}

impl<F: Future> Future for Race<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // `Race` is `Unpin`: the futures live behind a `Box`.
        let this = self.get_mut();
        let Some(futs) = this.futs.as_mut() else {
            polled_after_completion("race");
        };
        for fut in futs.iter_mut() {
            // SAFETY: the boxed slice is never moved out of or reallocated;
            // its futures are dropped in place when `futs` is set to `None`.
            let fut = unsafe { Pin::new_unchecked(fut) };
            if let Poll::Ready(out) = fut.poll(cx) {
                this.futs = None; // drop every loser
                return Poll::Ready(out);
            }
        }
        // Also the answer for an empty race: pending, forever.
        Poll::Pending
    }
}

/// Waits for the first future to finish with `Ok` and returns it, dropping
/// the rest. If every one fails: `Err` of all errors, in input order.
/// Nothing in: `Err(vec![])` at once.
///
/// ```
/// use async_primer::future::{race_ok, ready};
/// let f = race_ok(vec![ready(Err::<u8, _>("a")), ready(Err("b"))]);
/// assert_eq!(futures::executor::block_on(f), Err(vec!["a", "b"]));
/// ```
pub fn race_ok<I, T, E>(futures: I) -> RaceOk<<I::Item as IntoFuture>::IntoFuture, E>
where
    I: IntoIterator,
    I::Item: IntoFuture<Output = Result<T, E>>,
{
    let slots: Box<[Option<_>]> = futures.into_iter().map(|f| Some(f.into_future())).collect();
    let errors = (0..slots.len()).map(|_| None).collect();
    RaceOk {
        running: slots.len(),
        slots: Some(slots),
        errors,
    }
}

/// Future for [`race_ok`].
///
/// ```
/// use async_primer::future::{race_ok, RaceOk, ready};
/// let r: RaceOk<_, ()> = race_ok(vec![ready(Ok::<u8, ()>(1))]);
/// assert_eq!(futures::executor::block_on(r), Ok(1));
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct RaceOk<F, E> {
    /// `None` once finished; a slot is `None` once its future failed.
    slots: Option<Box<[Option<F>]>>,
    errors: Vec<Option<E>>,
    running: usize,
}

// The futures and errors live on the heap and are never pin-projected.
impl<F, E> Unpin for RaceOk<F, E> {}

impl<F, E> fmt::Debug for RaceOk<F, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RaceOk")
            .field("running", &self.running)
            .finish()
    }
}

impl<F, T, E> Future for RaceOk<F, E>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<T, Vec<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, Vec<E>>> {
        // `RaceOk` is `Unpin`: the futures live behind a `Box`.
        let this = self.get_mut();
        let Some(slots) = this.slots.as_mut() else {
            polled_after_completion("race_ok");
        };
        for (i, slot) in slots.iter_mut().enumerate() {
            let Some(fut) = slot.as_mut() else { continue };
            // SAFETY: as in `Race`: the boxed slice never moves and a
            // future is only dropped in place (`*slot = None`).
            match unsafe { Pin::new_unchecked(fut) }.poll(cx) {
                // The first Ok wins: drop everything else.
                Poll::Ready(Ok(value)) => {
                    this.slots = None;
                    return Poll::Ready(Ok(value));
                }
                // A failure: drop that one, keep its error in its place.
                Poll::Ready(Err(e)) => {
                    *slot = None;
                    this.errors[i] = Some(e);
                    this.running -= 1;
                }
                Poll::Pending => {}
            }
        }
        if this.running > 0 {
            return Poll::Pending;
        }
        // Every future failed (or there were none): all errors, in order.
        this.slots = None;
        let errors = std::mem::take(&mut this.errors);
        Poll::Ready(Err(errors
            .into_iter()
            .map(|e| e.expect("every slot failed"))
            .collect()))
    }
}
