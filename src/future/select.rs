//! [`select`]: wait for the first of two futures, and get the other one
//! back, unfinished, so it can be resumed later.
//!
//! ```
//! use async_primer::future::{select, pending, ready, Either};
//!
//! let fast = ready("fast");
//! let slow = pending::<&str>();
//! match futures::executor::block_on(select(fast, slow)) {
//!     Either::Left((winner, _slow_still_running)) => assert_eq!(winner, "fast"),
//!     Either::Right(_) => unreachable!(),
//! }
//! ```
//!
//! Both futures must be [`Unpin`] so the loser can be handed back by value;
//! pin one with `Box::pin(fut)` or `std::pin::pin!(fut)` first if needed.
//! When both are ready on the same poll, the first argument wins.
//!
//! Cancellation: nothing is dropped by `select` itself: the loser comes back
//! in the output, and *you* decide whether to keep polling it or to drop
//! it (which cancels it). Dropping the `Select` before it finishes drops
//! both futures.
//!
//! ```
//! use async_primer::future::{select, pending, ready, Either};
//! use std::pin::pin;
//!
//! let mut slow = pin!(async { 42 });
//! let out = futures::executor::block_on(async {
//!     match select(ready(1), slow.as_mut()).await {
//!         Either::Left((first, rest)) => first + rest.await, // resume the loser
//!         Either::Right(_) => unreachable!(),
//!     }
//! });
//! assert_eq!(out, 43);
//! ```
//!
//! Cancel safety: `select` itself loses nothing, since the loser comes
//! back. What you then do with the loser decides: drop it, and it loses
//! whatever it held (an `mpsc` `recv` holds nothing and is cancel-safe; a
//! `send` holds its message and is not); keep it and poll it again, and
//! nothing is lost. [`crate::guide::ch09_cancellation`] shows both.
//!
//! Compared with `futures`: the same function; there is no `select!` macro.

// How it works:  Racing { (a, b) } --a or b ready--> Done (pair moved out)
// The pair lives in an `Option` so it can be moved into the output.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{Either, polled_after_completion};

/// Waits for the first of `a` and `b`: `Left((a_out, b))` or
/// `Right((b_out, a))`. Anything [`IntoFuture`] goes in (a
/// [`Promise`](crate::promise::Promise) too); the loser comes back as its
/// future.
///
/// ```
/// use async_primer::future::{select, ready, Either};
/// let out = futures::executor::block_on(select(ready(1), ready(2)));
/// assert!(matches!(out, Either::Left((1, _)))); // ties go to the left
/// ```
pub fn select<A, B>(a: A, b: B) -> Select<A::IntoFuture, B::IntoFuture>
where
    A: IntoFuture,
    B: IntoFuture,
    A::IntoFuture: Unpin,
    B::IntoFuture: Unpin,
{
    Select {
        pair: Some((a.into_future(), b.into_future())),
    }
}

/// Future for [`select`].
///
/// ```
/// use async_primer::future::{select, Select, ready, pending, Either};
/// let s: Select<_, _> = select(pending::<u8>(), ready(2));
/// assert!(matches!(futures::executor::block_on(s), Either::Right((2, _))));
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Select<A, B> {
    pair: Option<(A, B)>,
}

impl<A, B> Future for Select<A, B>
where
    A: Future + Unpin,
    B: Future + Unpin,
{
    type Output = Either<(A::Output, B), (B::Output, A)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some((a, b)) = self.pair.as_mut() else {
            polled_after_completion("select");
        };
        if let Poll::Ready(out) = Pin::new(a).poll(cx) {
            let (_, b) = self.pair.take().expect("checked above");
            return Poll::Ready(Either::Left((out, b)));
        }
        if let Poll::Ready(out) = Pin::new(b).poll(cx) {
            let (a, _) = self.pair.take().expect("checked above");
            return Poll::Ready(Either::Right((out, a)));
        }
        Poll::Pending
    }
}
