//! [`yield_now`]: let the other ready tasks run first.
//!
//! ```
//! use async_primer::executor::Executor;
//! use std::cell::RefCell;
//! use std::rc::Rc;
//!
//! let ex = Executor::new();
//! let log = Rc::new(RefCell::new(Vec::new()));
//! for name in ["a", "b"] {
//!     let log = log.clone();
//!     ex.spawn(async move {
//!         log.borrow_mut().push(format!("{name}1"));
//!         async_primer::yield_now().await;
//!         log.borrow_mut().push(format!("{name}2"));
//!     });
//! }
//! ex.run_until_stalled();
//! assert_eq!(*log.borrow(), ["a1", "b1", "a2", "b2"]);
//! ```
//
// How it works: the first poll wakes its own task (which puts it at the back
// of the ready queue) and returns Pending; the second poll returns Ready.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The future returned by [`yield_now`].
///
/// ```
/// use async_primer::executor::YieldNow;
/// async_primer::block_on(async {
///     let y: YieldNow = async_primer::yield_now();
///     y.await;
/// });
/// ```
#[derive(Debug)]
#[must_use = "yield_now does nothing unless you `.await` it"]
pub struct YieldNow {
    yielded: bool,
    caller: &'static Location<'static>,
}

/// Gives every other ready task a turn before continuing.
///
/// Panics when polled with no executor running on this thread, naming the
/// line that called `yield_now`.
///
/// ```
/// async_primer::block_on(async {
///     async_primer::yield_now().await;
/// });
/// ```
#[track_caller]
pub fn yield_now() -> YieldNow {
    YieldNow {
        yielded: false,
        caller: Location::caller(),
    }
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        if !super::is_running() {
            panic!(
                "yield_now() (called at {}) was polled with no executor running on this thread",
                self.caller
            );
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
