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
//
// It works on any executor: under another runtime (tokio, `futures`) it
// does the same thing there, waking its own task through that runtime's
// waker, so code that yields can be shared between runtimes.
//
// How it works: the first poll wakes its own task (which puts it at the back
// of the ready queue) and returns Pending; the second poll returns Ready.
// (Rejected alternative: panicking outside this crate's executor, as it
// once did; the self-wake is correct on every executor, so there is
// nothing to refuse.)

use std::future::Future;
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
}

/// Gives every other ready task a turn before continuing.
///
/// It works on any executor, not only this crate's: it wakes its own task
/// with the waker it is given (`wake_by_ref`) and returns `Pending` once.
///
/// ```
/// async_primer::block_on(async {
///     async_primer::yield_now().await;
/// });
/// // Under another executor too.
/// futures::executor::block_on(async_primer::yield_now());
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
