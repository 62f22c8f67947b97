//! [`Fuse`]: a future that may be polled after it finished.
//!
//! Polling an ordinary future again after it returned `Ready` is a bug, and
//! this crate's combinators panic when it happens. A fused future instead
//! answers `Pending` forever and can tell you so with
//! [`is_terminated`](Fuse::is_terminated): that is what a loop that polls
//! several futures over and over needs. This is the same choice as
//! `futures`' `Fuse` / `FusedFuture`.
//!
//! ```
//! use async_primer::future::{FutureExt, ready};
//! use std::future::Future;
//! use std::pin::pin;
//! use std::task::{Context, Poll, Waker};
//!
//! let mut f = pin!(ready(1).fuse());
//! let mut cx = Context::from_waker(Waker::noop());
//! assert_eq!(f.as_mut().poll(&mut cx), Poll::Ready(1));
//! assert!(f.is_terminated());
//! assert_eq!(f.as_mut().poll(&mut cx), Poll::Pending); // no panic
//! ```
//!
//! Cancellation: the inner future is dropped as soon as it finishes, not
//! when the `Fuse` is dropped; dropping the `Fuse` earlier drops it then.

// How it works:  Running { fut } --fut ready--> Terminated (fut dropped)
// Rejected: keeping the finished future around (an `Option` beside it);
// dropping it at once frees its resources sooner and needs no flag.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

pin_project! {
    /// The states of [`Fuse`].
    #[project = FuseProj]
    #[derive(Debug)]
    enum FuseState<Fut> {
        /// Still running.
        Running { #[pin] fut: Fut },
        /// Finished; the inner future has been dropped.
        Terminated,
    }
}

pin_project! {
    /// Future for [`FutureExt::fuse`](super::FutureExt::fuse).
    ///
    /// ```
    /// use async_primer::future::{Fuse, FutureExt, ready};
    /// let f: Fuse<_> = ready(1).fuse();
    /// assert_eq!(futures::executor::block_on(f), 1);
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Fuse<Fut> {
        #[pin]
        state: FuseState<Fut>,
    }
}

impl<Fut> Fuse<Fut> {
    pub(crate) fn new(fut: Fut) -> Self {
        Fuse {
            state: FuseState::Running { fut },
        }
    }

    /// A `Fuse` that is already finished: handy as the initial value of a
    /// slot that will hold a future later.
    ///
    /// ```
    /// use async_primer::future::Fuse;
    /// let f = Fuse::<std::future::Ready<()>>::terminated();
    /// assert!(f.is_terminated());
    /// ```
    pub fn terminated() -> Self {
        Fuse {
            state: FuseState::Terminated,
        }
    }

    /// `true` once the inner future has returned `Ready`; polling after
    /// that returns `Pending` and never wakes anybody.
    ///
    /// ```
    /// use async_primer::future::{FutureExt, ready};
    /// assert!(!ready(()).fuse().is_terminated());
    /// ```
    pub fn is_terminated(&self) -> bool {
        matches!(self.state, FuseState::Terminated)
    }
}

impl<Fut: Future> Future for Fuse<Fut> {
    type Output = Fut::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Fut::Output> {
        let mut state = self.project().state;
        match state.as_mut().project() {
            // Running: pass the poll through; on Ready drop the inner future.
            FuseProj::Running { fut } => {
                let out = ready!(fut.poll(cx));
                state.set(FuseState::Terminated);
                Poll::Ready(out)
            }
            // Terminated: the documented answer is Pending, forever.
            FuseProj::Terminated => Poll::Pending,
        }
    }
}
