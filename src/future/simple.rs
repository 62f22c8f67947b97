//! The four smallest futures: [`ready`], [`pending`], [`lazy`] and
//! [`poll_fn`]. Each is a few lines, and together they show everything a
//! future can do: finish at once, never finish, run code on the first
//! poll, or be any hand-written `poll`.
//!
//! ```
//! use async_primer::future::{lazy, poll_fn, ready};
//! use std::task::Poll;
//!
//! let mut polls = 0;
//! let counted = poll_fn(move |_cx| {
//!     polls += 1;
//!     Poll::Ready(polls)
//! });
//! assert_eq!(futures::executor::block_on(counted), 1);
//! assert_eq!(futures::executor::block_on(ready(7)), 7);
//! assert_eq!(futures::executor::block_on(lazy(|_cx| 2 + 2)), 4);
//! ```
//!
//! See [`crate::guide::ch03_futures`].

// How it works: no shared state, so no diagram. `Ready` and `Lazy` keep
// their payload in an `Option` and `take()` it on the poll that finishes;
// finding `None` later means "polled after completion", which panics.
// `Pending` holds only a `PhantomData`. All four are `Unpin` whenever their
// payload is, so no pin projection is needed.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::polled_after_completion;

/// A future that is ready at once with `value`.
///
/// Dropping it drops `value`. Polling it a second time panics.
///
/// ```
/// let f = async_primer::future::ready("now");
/// assert_eq!(futures::executor::block_on(f), "now");
/// ```
pub fn ready<T>(value: T) -> Ready<T> {
    Ready(Some(value))
}

/// The future returned by [`ready`].
///
/// ```
/// let r: async_primer::future::Ready<u8> = async_primer::future::ready(1);
/// assert_eq!(futures::executor::block_on(r), 1);
/// ```
#[derive(Debug, Clone)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Ready<T>(Option<T>);

impl<T> Unpin for Ready<T> {}

impl<T> Future for Ready<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<T> {
        match self.0.take() {
            Some(value) => Poll::Ready(value),
            None => polled_after_completion("ready"),
        }
    }
}

/// A future that never finishes: every poll returns `Pending`, and it never
/// wakes anybody. Useful as "no time-out" or as a placeholder in tests.
///
/// ```
/// use async_primer::future::{pending, select, ready, Either};
///
/// let never = pending::<u32>();
/// let out = futures::executor::block_on(select(never, ready(1)));
/// assert!(matches!(out, Either::Right((1, _))));
/// ```
pub fn pending<T>() -> Pending<T> {
    Pending(PhantomData)
}

/// The future returned by [`pending`].
///
/// ```
/// use std::future::Future;
/// let mut p = std::pin::pin!(async_primer::future::pending::<u8>());
/// let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// assert!(p.as_mut().poll(&mut cx).is_pending());
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Pending<T>(PhantomData<fn() -> T>);

impl<T> Future for Pending<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<T> {
        Poll::Pending
    }
}

/// A future that calls `f` on its first poll and is ready with the result.
///
/// Nothing runs until the first poll: that is laziness in one line.
/// Dropping it unpolled drops `f` without calling it.
///
/// ```
/// use async_primer::future::lazy;
/// use std::cell::Cell;
///
/// let ran = Cell::new(false);
/// let f = lazy(|_cx| ran.set(true));
/// assert!(!ran.get()); // made, not run
/// futures::executor::block_on(f);
/// assert!(ran.get());
/// ```
pub fn lazy<F, T>(f: F) -> Lazy<F>
where
    F: FnOnce(&mut Context<'_>) -> T,
{
    Lazy(Some(f))
}

/// The future returned by [`lazy`].
///
/// ```
/// let l = async_primer::future::lazy(|_| 5);
/// assert_eq!(futures::executor::block_on(l), 5);
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Lazy<F>(Option<F>);

impl<F> Unpin for Lazy<F> {}

impl<F, T> Future for Lazy<F>
where
    F: FnOnce(&mut Context<'_>) -> T,
{
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.0.take() {
            Some(f) => Poll::Ready(f(cx)),
            None => polled_after_completion("lazy"),
        }
    }
}

/// A future whose `poll` is the closure `f`: the quickest way to write a
/// future by hand.
///
/// `f` is called on every poll with the task's [`Context`]; it must arrange
/// for the waker to be called before it returns `Pending`. Dropping the
/// future drops `f` and whatever it captured.
///
/// ```
/// use async_primer::future::poll_fn;
/// use std::task::Poll;
///
/// // Pending once (waking itself so it is polled again), then ready.
/// let mut first = true;
/// let f = poll_fn(move |cx| {
///     if first {
///         first = false;
///         cx.waker().wake_by_ref();
///         return Poll::Pending;
///     }
///     Poll::Ready("second poll")
/// });
/// assert_eq!(futures::executor::block_on(f), "second poll");
/// ```
pub fn poll_fn<F, T>(f: F) -> PollFn<F>
where
    F: FnMut(&mut Context<'_>) -> Poll<T>,
{
    PollFn(f)
}

/// The future returned by [`poll_fn`].
///
/// ```
/// let f = async_primer::future::poll_fn(|_| std::task::Poll::Ready(6));
/// assert_eq!(futures::executor::block_on(f), 6);
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct PollFn<F>(F);

impl<F> Unpin for PollFn<F> {}

impl<F, T> Future for PollFn<F>
where
    F: FnMut(&mut Context<'_>) -> Poll<T>,
{
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        (self.0)(cx)
    }
}
