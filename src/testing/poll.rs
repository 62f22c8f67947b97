//! Stepping a future by hand: [`poll_once`], [`poll_with`] and
//! [`poll_until_blocked`].
//!
//! All three take `&mut fut` for a future that is [`Unpin`]. An `async`
//! block is not; pin it first with [`std::pin::pin!`], which gives a
//! `Pin<&mut _>` that is `Unpin` and a future itself:
//!
//! ```
//! use async_primer::testing::poll_once;
//! use std::pin::pin;
//! use std::task::Poll;
//!
//! let mut fut = pin!(async { 1 + 1 });
//! assert_eq!(poll_once(&mut fut), Poll::Ready(2));
//! ```
//
// How it works: `poll_until_blocked` is a loop around one poll. A future
// that woke its own waker during the poll (directly, like `yield_now`, or
// through something that completed at once) wants another poll; one that
// returned `Pending` without a wake is blocked on something outside, which
// is what a test wants to reach before it acts. The bound turns a future
// that wakes itself forever (a busy loop) into a clear panic, not a hang.
// Rejected alternative: polling a fixed number of times (tokio-test's
// users keep asking for exactly this loop instead, tokio #8209).

use super::counting_waker::{WakeCounts, counting_waker};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// How many polls [`poll_until_blocked`] makes before it gives up.
pub const POLL_LIMIT: usize = 10_000;

/// Polls `fut` once with a fresh [`counting_waker`] and returns what it
/// returned. Use it when only the result matters; to see what the future
/// does with its waker, use [`poll_with`] and a waker of your own.
///
/// ```
/// use async_primer::testing::poll_once;
/// use std::task::Poll;
///
/// let mut ready = std::future::ready("done");
/// assert_eq!(poll_once(&mut ready), Poll::Ready("done"));
/// let mut never = std::future::pending::<()>();
/// assert_eq!(poll_once(&mut never), Poll::Pending);
/// ```
#[track_caller]
pub fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    let (waker, _counts) = counting_waker();
    poll_with(fut, &waker)
}

/// Polls `fut` once with `waker`.
///
/// ```
/// use async_primer::testing::{counting_waker, poll_with};
///
/// let (waker, counts) = counting_waker();
/// let (_tx, rx) = async_primer::channel::oneshot::<u8>();
/// let mut rx = rx;
/// assert!(poll_with(&mut rx, &waker).is_pending());
/// assert_eq!(counts.clones(), 1); // the channel kept a clone to wake later
/// ```
#[track_caller]
pub fn poll_with<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

/// Polls `fut` with a [`counting_waker`] until it is ready, or returns
/// `Pending` without having woken itself during that poll: blocked on
/// something outside it (a channel, a timer, another thread).
///
/// Panics after [`POLL_LIMIT`] polls that each woke the waker again: the
/// future never blocks (a busy loop).
///
/// ```
/// use async_primer::testing::poll_until_blocked;
/// use std::pin::pin;
/// use std::task::Poll;
///
/// let (tx, rx) = async_primer::channel::oneshot::<u32>();
/// let mut yields = 0;
/// let mut fut = pin!(async move {
///     // Wakes itself and returns Pending three times (a hand-made yield):
///     // poll_until_blocked polls again each time.
///     std::future::poll_fn(|cx| match yields {
///         3 => Poll::Ready(()),
///         _ => {
///             yields += 1;
///             cx.waker().wake_by_ref();
///             Poll::Pending
///         }
///     })
///     .await;
///     rx.await.unwrap() // blocks: nobody has sent yet
/// });
/// assert!(poll_until_blocked(&mut fut).is_pending());
/// tx.send(7).unwrap();
/// assert_eq!(poll_until_blocked(&mut fut), Poll::Ready(7));
/// ```
#[track_caller]
pub fn poll_until_blocked<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    let (waker, counts) = counting_waker();
    for _ in 0..POLL_LIMIT {
        let before = counts.woken();
        if let Poll::Ready(output) = poll_with(fut, &waker) {
            return Poll::Ready(output);
        }
        if counts.woken() == before {
            return Poll::Pending;
        }
    }
    panic!(
        "poll_until_blocked: the future woke itself during each of {POLL_LIMIT} polls and \
         never blocked; it busy-loops (returns Pending after waking its own waker every time)"
    )
}

// --- what the assertion macros call (hidden: use the macros) --------------

/// Polls with the caller's waker, or a fresh counting one, and returns
/// what it returned, the counts to report (if they are known) and whose
/// waker they are.
fn poll_for_macro<F: Future + Unpin>(
    fut: &mut F,
    given: Option<&Waker>,
) -> (Poll<F::Output>, Option<WakeCounts>, &'static str) {
    match given {
        Some(waker) => (poll_with(fut, waker), WakeCounts::of(waker), "its waker"),
        None => {
            let (waker, counts) = counting_waker();
            (
                poll_with(fut, &waker),
                Some(counts),
                "the waker of that poll",
            )
        }
    }
}

fn wakes_report(counts: &Option<WakeCounts>, whose: &str) -> String {
    match counts {
        Some(counts) => format!("{whose} was {counts}"),
        None => format!("{whose} is not a counting_waker, so its wake-ups were not counted"),
    }
}

#[doc(hidden)]
#[track_caller]
pub fn __assert_pending<F>(fut: &mut F, waker: Option<&Waker>, what: &str)
where
    F: Future + Unpin,
    F::Output: std::fmt::Debug,
{
    let (polled, counts, whose) = poll_for_macro(fut, waker);
    if let Poll::Ready(output) = polled {
        panic!(
            "assert_pending!({what}) failed: the future returned Ready({output:?}); {}",
            wakes_report(&counts, whose)
        );
    }
}

#[doc(hidden)]
#[track_caller]
pub fn __assert_ready<F: Future + Unpin>(
    fut: &mut F,
    waker: Option<&Waker>,
    what: &str,
) -> F::Output {
    let (polled, counts, whose) = poll_for_macro(fut, waker);
    match polled {
        Poll::Ready(output) => output,
        Poll::Pending => panic!(
            "assert_ready!({what}) failed: the future returned Pending; {}",
            wakes_report(&counts, whose)
        ),
    }
}

#[doc(hidden)]
#[track_caller]
pub fn __assert_ready_eq<F, T>(fut: &mut F, waker: Option<&Waker>, expected: T, what: &str)
where
    F: Future + Unpin,
    F::Output: PartialEq<T> + std::fmt::Debug,
    T: std::fmt::Debug,
{
    let (polled, counts, whose) = poll_for_macro(fut, waker);
    match polled {
        Poll::Ready(output) if output == expected => {}
        Poll::Ready(output) => panic!(
            "assert_ready_eq!({what}) failed: the future returned Ready({output:?}), \
             expected Ready({expected:?}); {}",
            wakes_report(&counts, whose)
        ),
        Poll::Pending => panic!(
            "assert_ready_eq!({what}) failed: the future returned Pending, expected \
             Ready({expected:?}); {}",
            wakes_report(&counts, whose)
        ),
    }
}
