//! [`join`], [`join3`] and the [`join!`](crate::join) macro: run a few
//! futures of different types at the same time and wait for all of them.
//!
//! ```
//! use async_primer::future::{join, ready};
//!
//! let (a, b) = futures::executor::block_on(join(ready(1), async { "two" }));
//! assert_eq!((a, b), (1, "two"));
//!
//! // Any number, inside an async block:
//! let (x, y, z, w) = futures::executor::block_on(async {
//!     async_primer::join!(ready(1), ready('b'), ready("c"), async { 4.0 })
//! });
//! assert_eq!((x, y, z, w), (1, 'b', "c", 4.0));
//! ```
//!
//! Cancellation: a future that finishes is dropped at once and its output
//! kept; dropping the join drops every future still running and every
//! output not yet handed out. Nothing is dropped early: use
//! [`try_join_all`](super::try_join_all) to stop at the first error.
//!
//! For many futures of one type use [`join_all`](super::join_all), which
//! re-polls only the woken ones; `join` polls all its (few) futures each
//! time it is woken.

// How it works: each input sits in a `MaybeDone`:
//
//     Running { fut } --fut ready--> Done { out } --take_output--> Taken
//
// A poll of the join polls every `Running` slot; when all are `Done` it
// takes the outputs (leaving `Taken`, so a further poll panics).
// The macro pins one `MaybeDone` per argument on the stack of the async
// block and runs the same loop in a `poll_fn`.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::polled_after_completion;

pin_project! {
    /// A future and, once it finished, its output. Used by [`join`] and
    /// the `join!` macro; public only for the macro.
    #[project = MaybeDoneProj]
    #[project_replace = MaybeDoneReplace]
    #[allow(missing_docs)] // hidden helper for the macro
    pub enum MaybeDone<Fut: Future> {
        /// Still running.
        Running { #[pin] fut: Fut },
        /// Finished; holds the output.
        Done { out: Fut::Output },
        /// The output has been taken.
        Taken,
    }
}

impl<Fut: Future> MaybeDone<Fut> {
    /// Wraps a running future.
    pub fn new(fut: Fut) -> Self {
        MaybeDone::Running { fut }
    }

    /// Polls the future if it still runs; `true` once it has finished.
    pub fn poll_done(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> bool {
        match self.as_mut().project() {
            // Running: poll; on Ready, drop the future and keep the output.
            MaybeDoneProj::Running { fut } => match fut.poll(cx) {
                Poll::Ready(out) => {
                    self.set(MaybeDone::Done { out });
                    true
                }
                Poll::Pending => false,
            },
            // Done: nothing to do.
            MaybeDoneProj::Done { .. } => true,
            // Taken: the join already finished once.
            MaybeDoneProj::Taken => polled_after_completion("join"),
        }
    }

    /// Takes the output; only call after `poll_done` returned `true`.
    pub fn take_output(self: Pin<&mut Self>) -> Fut::Output {
        match self.project_replace(MaybeDone::Taken) {
            MaybeDoneReplace::Done { out } => out,
            _ => unreachable!("take_output called before the future finished"),
        }
    }
}

/// Waits for both futures; outputs as a pair, in argument order. Anything
/// [`IntoFuture`] goes in, a [`Promise`](crate::promise::Promise) too.
///
/// ```
/// use async_primer::future::{join, ready};
/// assert_eq!(futures::executor::block_on(join(ready(1), ready(2))), (1, 2));
/// ```
pub fn join<A: IntoFuture, B: IntoFuture>(a: A, b: B) -> Join<A::IntoFuture, B::IntoFuture> {
    Join {
        a: MaybeDone::new(a.into_future()),
        b: MaybeDone::new(b.into_future()),
    }
}

/// Waits for all three futures; outputs as a triple, in argument order.
///
/// ```
/// use async_primer::future::{join3, ready};
/// let f = join3(ready(1), ready(2), ready(3));
/// assert_eq!(futures::executor::block_on(f), (1, 2, 3));
/// ```
pub fn join3<A: IntoFuture, B: IntoFuture, C: IntoFuture>(
    a: A,
    b: B,
    c: C,
) -> Join3<A::IntoFuture, B::IntoFuture, C::IntoFuture> {
    Join3 {
        a: MaybeDone::new(a.into_future()),
        b: MaybeDone::new(b.into_future()),
        c: MaybeDone::new(c.into_future()),
    }
}

pin_project! {
    /// Future for [`join`].
    ///
    /// ```
    /// use async_primer::future::{join, Join, ready};
    /// let j: Join<_, _> = join(ready(1), ready(2));
    /// assert_eq!(futures::executor::block_on(j), (1, 2));
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Join<A: Future, B: Future> {
        #[pin] a: MaybeDone<A>,
        #[pin] b: MaybeDone<B>,
    }
}

impl<A: Future, B: Future> Future for Join<A, B> {
    type Output = (A::Output, B::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        // `&` not `&&`: every running future gets its poll.
        if this.a.as_mut().poll_done(cx) & this.b.as_mut().poll_done(cx) {
            Poll::Ready((this.a.take_output(), this.b.take_output()))
        } else {
            Poll::Pending
        }
    }
}

pin_project! {
    /// Future for [`join3`].
    ///
    /// ```
    /// use async_primer::future::{join3, Join3, ready};
    /// let j: Join3<_, _, _> = join3(ready(1), ready(2), ready(3));
    /// assert_eq!(futures::executor::block_on(j), (1, 2, 3));
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Join3<A: Future, B: Future, C: Future> {
        #[pin] a: MaybeDone<A>,
        #[pin] b: MaybeDone<B>,
        #[pin] c: MaybeDone<C>,
    }
}

impl<A: Future, B: Future, C: Future> Future for Join3<A, B, C> {
    type Output = (A::Output, B::Output, C::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let done = this.a.as_mut().poll_done(cx)
            & this.b.as_mut().poll_done(cx)
            & this.c.as_mut().poll_done(cx);
        if done {
            Poll::Ready((
                this.a.take_output(),
                this.b.take_output(),
                this.c.take_output(),
            ))
        } else {
            Poll::Pending
        }
    }
}

/// Waits for any number of futures (of any types) inside an async block and
/// evaluates to the tuple of their outputs, in argument order.
///
/// It must be used inside `async` code, because it `.await`s. The futures
/// run concurrently, all polled by the task running the block.
/// Cancellation as for [`join`](crate::future::join): dropping the
/// enclosing future drops every argument still running.
///
/// ```
/// use async_primer::future::ready;
///
/// let out = futures::executor::block_on(async {
///     async_primer::join!(ready(1), async { "two" }, ready(3.0), ready('4'), ready(5u8))
/// });
/// assert_eq!(out, (1, "two", 3.0, '4', 5));
/// ```
#[macro_export]
macro_rules! join {
    // Entry: start with no pinned futures.
    ($($fut:expr),+ $(,)?) => {
        $crate::join!(@pin [] $($fut,)+)
    };
    // One step: pin the next future as a fresh (hygienic) local `fut`,
    // remember its name, recurse. Each expansion's `fut` is a different
    // variable, so no names have to be invented.
    (@pin [$($pinned:ident)*] $head:expr, $($rest:expr,)*) => {{
        let mut fut = ::core::pin::pin!($crate::future::__private::MaybeDone::new(
            ::core::future::IntoFuture::into_future($head)
        ));
        $crate::join!(@pin [$($pinned)* fut] $($rest,)*)
    }};
    // Done pinning: poll them all until all are done, then take outputs.
    (@pin [$($pinned:ident)*]) => {
        $crate::future::poll_fn(|cx| {
            let mut all_done = true;
            $( all_done &= $pinned.as_mut().poll_done(cx); )*
            if all_done {
                ::core::task::Poll::Ready(($( $pinned.as_mut().take_output(), )*))
            } else {
                ::core::task::Poll::Pending
            }
        })
        .await
    };
}
