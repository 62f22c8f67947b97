//! The assertion macros: [`assert_pending!`](crate::assert_pending),
//! [`assert_ready!`](crate::assert_ready) and
//! [`assert_ready_eq!`](crate::assert_ready_eq).
//!
//! Each polls a future once and, when the result is not the one expected,
//! panics with what the future returned *and* what happened to its waker:
//! a future that returns `Pending` and kept no waker ("0 alive") will never
//! be woken, which is usually the bug.
//!
//! ```
//! use async_primer::{assert_pending, assert_ready_eq};
//! use async_primer::testing::counting_waker;
//!
//! let (tx, mut rx) = async_primer::channel::oneshot::<&str>();
//! let (waker, counts) = counting_waker();
//! assert_pending!(rx, &waker);       // polls once with `waker`
//! tx.send("hi").unwrap();
//! assert_eq!(counts.woken(), 1);     // the send woke the receiver
//! assert_ready_eq!(rx, &waker, Ok("hi"));
//! ```
//!
//! A failing one says, for example:
//!
//! ```text
//! assert_ready!(rx) failed: the future returned Pending; the waker of that
//! poll was woken 0 times (0 by value, 0 by reference); 1 clone made,
//! 1 dropped, 1 alive
//! ```
//
// How it works: each macro is a thin layer over a hidden function in
// poll.rs, passing `stringify!` of the future for the message; the functions
// are `#[track_caller]`, so the panic points at the test's line. The future
// is taken by place (`fut`, not `&mut fut`) and must be `Unpin`: pin an
// `async` block with `std::pin::pin!` first. Rejected alternative: macros
// that take a `Poll` (tokio-test's shape); they cannot report the waker.

/// Polls a future once and panics, saying what it returned and how many
/// times its waker was woken, unless it returned `Pending`.
///
/// `assert_pending!(fut)` polls with a fresh
/// [`counting_waker`](crate::testing::counting_waker);
/// `assert_pending!(fut, &waker)` polls with yours (its counts are
/// reported if it is a counting waker).
///
/// ```
/// let mut never = std::future::pending::<u8>();
/// async_primer::assert_pending!(never);
/// ```
///
/// ```should_panic
/// // panics: "assert_pending!(ready) failed: the future returned Ready(5); ..."
/// let mut ready = std::future::ready(5);
/// async_primer::assert_pending!(ready);
/// ```
#[macro_export]
macro_rules! assert_pending {
    ($fut:expr $(,)?) => {
        $crate::testing::__assert_pending(&mut $fut, None, stringify!($fut))
    };
    ($fut:expr, $waker:expr $(,)?) => {
        $crate::testing::__assert_pending(&mut $fut, Some($waker), stringify!($fut))
    };
}

/// Polls a future once and returns its output, or panics, saying how many
/// times its waker was woken, if it returned `Pending`.
///
/// `assert_ready!(fut)` polls with a fresh
/// [`counting_waker`](crate::testing::counting_waker);
/// `assert_ready!(fut, &waker)` polls with yours.
///
/// ```
/// let mut ready = std::future::ready(5);
/// assert_eq!(async_primer::assert_ready!(ready), 5);
/// ```
///
/// ```should_panic
/// // panics: "assert_ready!(never) failed: the future returned Pending; ..."
/// let mut never = std::future::pending::<u8>();
/// async_primer::assert_ready!(never);
/// ```
#[macro_export]
macro_rules! assert_ready {
    ($fut:expr $(,)?) => {
        $crate::testing::__assert_ready(&mut $fut, None, stringify!($fut))
    };
    ($fut:expr, $waker:expr $(,)?) => {
        $crate::testing::__assert_ready(&mut $fut, Some($waker), stringify!($fut))
    };
}

/// Polls a future once and panics unless it returned `Ready(expected)`,
/// saying what it returned and how many times its waker was woken.
///
/// `assert_ready_eq!(fut, expected)` polls with a fresh
/// [`counting_waker`](crate::testing::counting_waker);
/// `assert_ready_eq!(fut, &waker, expected)` polls with yours.
///
/// ```
/// let mut ready = std::future::ready("five");
/// async_primer::assert_ready_eq!(ready, "five");
/// ```
///
/// ```should_panic
/// // panics: "... the future returned Ready(4), expected Ready(5); ..."
/// let mut ready = std::future::ready(4);
/// async_primer::assert_ready_eq!(ready, 5);
/// ```
#[macro_export]
macro_rules! assert_ready_eq {
    ($fut:expr, $expected:expr $(,)?) => {
        $crate::testing::__assert_ready_eq(&mut $fut, None, $expected, stringify!($fut))
    };
    ($fut:expr, $waker:expr, $expected:expr $(,)?) => {
        $crate::testing::__assert_ready_eq(&mut $fut, Some($waker), $expected, stringify!($fut))
    };
}
