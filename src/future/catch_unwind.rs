//! [`CatchUnwind`]: turn a panic inside a future into an `Err`.
//!
//! ```
//! use async_primer::future::{FutureExt, lazy};
//!
//! let f = lazy(|_| -> u32 { panic!("boom") }).catch_unwind();
//! let err = futures::executor::block_on(f).unwrap_err();
//! assert_eq!(err.downcast_ref::<&str>(), Some(&"boom"));
//! ```
//!
//! Cancellation: a panicking inner future is dropped (its poll unwound, so
//! it is in no state to be polled again); dropping a `CatchUnwind` drops
//! the inner future as usual.

// How it works: each poll of the inner future runs inside
// `std::panic::catch_unwind`. `AssertUnwindSafe` is fine there because the
// method requires `Fut: UnwindSafe`, the same promise `futures` asks for.
// After a panic the state is `Panicked` and the inner future is gone.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::polled_after_completion;

pin_project! {
    /// The states of [`CatchUnwind`].
    #[project = CatchUnwindProj]
    #[derive(Debug)]
    enum CatchUnwindState<Fut> {
        /// Still running.
        Running { #[pin] fut: Fut },
        /// Finished (normally or by panic).
        Done,
    }
}

pin_project! {
    /// Future for [`FutureExt::catch_unwind`](super::FutureExt::catch_unwind).
    ///
    /// ```
    /// use async_primer::future::{FutureExt, ready};
    /// assert!(futures::executor::block_on(ready(1).catch_unwind()).is_ok());
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct CatchUnwind<Fut> {
        #[pin]
        state: CatchUnwindState<Fut>,
    }
}

impl<Fut> CatchUnwind<Fut> {
    pub(crate) fn new(fut: Fut) -> Self {
        CatchUnwind {
            state: CatchUnwindState::Running { fut },
        }
    }
}

impl<Fut: Future> Future for CatchUnwind<Fut> {
    type Output = Result<Fut::Output, Box<dyn Any + Send>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        let polled = match state.as_mut().project() {
            CatchUnwindProj::Running { fut } => catch_unwind(AssertUnwindSafe(|| fut.poll(cx))),
            CatchUnwindProj::Done => polled_after_completion("catch_unwind"),
        };
        match polled {
            // Still running: nothing to report.
            Ok(Poll::Pending) => Poll::Pending,
            // Finished normally.
            Ok(Poll::Ready(out)) => {
                state.set(CatchUnwindState::Done);
                Poll::Ready(Ok(out))
            }
            // Panicked: drop the half-run future and report the payload.
            Err(payload) => {
                state.set(CatchUnwindState::Done);
                Poll::Ready(Err(payload))
            }
        }
    }
}
