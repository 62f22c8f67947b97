//! The small adapters behind [`FutureExt`](super::FutureExt): [`Map`],
//! [`Then`], [`AndThen`], [`OrElse`], [`MapErr`] and [`Inspect`].
//!
//! Each wraps one future and changes what comes out of it. None of them
//! runs anything when it is made; the closure runs inside the `poll` that
//! sees the inner future finish.
//!
//! ```
//! use async_primer::future::{FutureExt, ready};
//!
//! let f = ready(Ok::<u32, String>(20))
//!     .and_then(|x| ready(Ok(x + 1)))
//!     .map(|r| r.map(|x| x * 2));
//! assert_eq!(futures::executor::block_on(f), Ok(42));
//! ```
//!
//! Cancellation: dropping an adapter drops the future it is running and the
//! closure it has not called yet. A `then` dropped while its first future
//! runs never builds the second one.
//!
//! See [`crate::guide::ch03_futures`].

// How it works
//
// `Map`, `MapErr` and `Inspect` are one future plus an `Option<closure>`;
// the closure is taken on the poll that sees `Ready`, so finding `None`
// afterwards means "polled after completion".
//
// `Then`, `AndThen` and `OrElse` are two-step state machines:
//
//     First { fut, f } --fut ready--> Second { fut2 } --fut2 ready--> Done
//            (AndThen on Err / OrElse on Ok skip Second and go to Done)
//
// Rejected: building them out of one generic `Flatten<Map<..>>` as
// `futures` does; three explicit enums are longer but read top to bottom.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use super::polled_after_completion;

pin_project! {
    /// Future for [`FutureExt::map`](super::FutureExt::map).
    ///
    /// ```
    /// use async_primer::future::{FutureExt, Map, ready};
    /// let f: Map<_, _> = ready(1).map(|x| x * 2);
    /// assert_eq!(futures::executor::block_on(f), 2);
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Map<Fut, F> {
        #[pin]
        fut: Fut,
        f: Option<F>,
    }
}

impl<Fut, F> Map<Fut, F> {
    pub(crate) fn new(fut: Fut, f: F) -> Self {
        Map { fut, f: Some(f) }
    }
}

impl<Fut, F, T> Future for Map<Fut, F>
where
    Fut: Future,
    F: FnOnce(Fut::Output) -> T,
{
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.project();
        if this.f.is_none() {
            polled_after_completion("map");
        }
        let out = ready!(this.fut.poll(cx));
        let f = this.f.take().expect("checked above");
        Poll::Ready(f(out))
    }
}

pin_project! {
    /// Future for [`FutureExt::map_err`](super::FutureExt::map_err).
    ///
    /// ```
    /// use async_primer::future::{FutureExt, ready};
    /// let f = ready(Err::<(), u8>(1)).map_err(|e| e + 1);
    /// assert_eq!(futures::executor::block_on(f), Err(2));
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct MapErr<Fut, F> {
        #[pin]
        fut: Fut,
        f: Option<F>,
    }
}

impl<Fut, F> MapErr<Fut, F> {
    pub(crate) fn new(fut: Fut, f: F) -> Self {
        MapErr { fut, f: Some(f) }
    }
}

impl<Fut, F, T, E, E2> Future for MapErr<Fut, F>
where
    Fut: Future<Output = Result<T, E>>,
    F: FnOnce(E) -> E2,
{
    type Output = Result<T, E2>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, E2>> {
        let this = self.project();
        if this.f.is_none() {
            polled_after_completion("map_err");
        }
        let out = ready!(this.fut.poll(cx));
        let f = this.f.take().expect("checked above");
        Poll::Ready(out.map_err(f))
    }
}

pin_project! {
    /// Future for [`FutureExt::inspect`](super::FutureExt::inspect).
    ///
    /// ```
    /// use async_primer::future::{FutureExt, ready};
    /// let f = ready(3).inspect(|x| assert_eq!(*x, 3));
    /// assert_eq!(futures::executor::block_on(f), 3);
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Inspect<Fut, F> {
        #[pin]
        fut: Fut,
        f: Option<F>,
    }
}

impl<Fut, F> Inspect<Fut, F> {
    pub(crate) fn new(fut: Fut, f: F) -> Self {
        Inspect { fut, f: Some(f) }
    }
}

impl<Fut, F> Future for Inspect<Fut, F>
where
    Fut: Future,
    F: FnOnce(&Fut::Output),
{
    type Output = Fut::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Fut::Output> {
        let this = self.project();
        if this.f.is_none() {
            polled_after_completion("inspect");
        }
        let out = ready!(this.fut.poll(cx));
        (this.f.take().expect("checked above"))(&out);
        Poll::Ready(out)
    }
}

pin_project! {
    /// The states of [`Then`].
    #[project = ThenProj]
    #[derive(Debug)]
    enum ThenState<Fut, Fut2, F> {
        /// Running the first future; `f` builds the second.
        First { #[pin] fut: Fut, f: Option<F> },
        /// Running the future `f` returned.
        Second { #[pin] fut: Fut2 },
        /// Finished.
        Done,
    }
}

pin_project! {
    /// Future for [`FutureExt::then`](super::FutureExt::then).
    ///
    /// ```
    /// use async_primer::future::{FutureExt, ready};
    /// let f = ready(3).then(|x| async move { x + 1 });
    /// assert_eq!(futures::executor::block_on(f), 4);
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Then<Fut, Fut2, F> {
        #[pin]
        state: ThenState<Fut, Fut2, F>,
    }
}

impl<Fut, Fut2, F> Then<Fut, Fut2, F> {
    pub(crate) fn new(fut: Fut, f: F) -> Self {
        Then {
            state: ThenState::First { fut, f: Some(f) },
        }
    }
}

impl<Fut, Fut2, F> Future for Then<Fut, Fut2, F>
where
    Fut: Future,
    Fut2: Future,
    F: FnOnce(Fut::Output) -> Fut2,
{
    type Output = Fut2::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Fut2::Output> {
        let mut state = self.project().state;
        loop {
            match state.as_mut().project() {
                // Step 1: the first future finished; build the second and
                // loop round to poll it at once (it may be ready already).
                ThenProj::First { fut, f } => {
                    let out = ready!(fut.poll(cx));
                    let f = f.take().expect("`First` always holds its closure");
                    let fut2 = f(out);
                    state.set(ThenState::Second { fut: fut2 });
                }
                // Step 2: its output is ours.
                ThenProj::Second { fut } => {
                    let out = ready!(fut.poll(cx));
                    state.set(ThenState::Done);
                    return Poll::Ready(out);
                }
                ThenProj::Done => polled_after_completion("then"),
            }
        }
    }
}

pin_project! {
    /// The states of [`AndThen`].
    #[project = AndThenProj]
    #[derive(Debug)]
    enum AndThenState<Fut, Fut2, F> {
        /// Running the first future.
        First { #[pin] fut: Fut, f: Option<F> },
        /// The first succeeded; running the future `f` made from its value.
        Second { #[pin] fut: Fut2 },
        /// Finished.
        Done,
    }
}

pin_project! {
    /// Future for [`FutureExt::and_then`](super::FutureExt::and_then).
    ///
    /// ```
    /// use async_primer::future::{FutureExt, ready};
    /// let f = ready(Ok::<u8, ()>(3)).and_then(|x| ready(Ok(x + 1)));
    /// assert_eq!(futures::executor::block_on(f), Ok(4));
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct AndThen<Fut, Fut2, F> {
        #[pin]
        state: AndThenState<Fut, Fut2, F>,
    }
}

impl<Fut, Fut2, F> AndThen<Fut, Fut2, F> {
    pub(crate) fn new(fut: Fut, f: F) -> Self {
        AndThen {
            state: AndThenState::First { fut, f: Some(f) },
        }
    }
}

impl<Fut, Fut2, F, T, U, E> Future for AndThen<Fut, Fut2, F>
where
    Fut: Future<Output = Result<T, E>>,
    Fut2: Future<Output = Result<U, E>>,
    F: FnOnce(T) -> Fut2,
{
    type Output = Result<U, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<U, E>> {
        let mut state = self.project().state;
        loop {
            match state.as_mut().project() {
                AndThenProj::First { fut, f } => match ready!(fut.poll(cx)) {
                    // Ok: continue with the future made from the value.
                    Ok(value) => {
                        let f = f.take().expect("`First` always holds its closure");
                        state.set(AndThenState::Second { fut: f(value) });
                    }
                    // Err: short-circuit; `f` is dropped uncalled.
                    Err(e) => {
                        state.set(AndThenState::Done);
                        return Poll::Ready(Err(e));
                    }
                },
                AndThenProj::Second { fut } => {
                    let out = ready!(fut.poll(cx));
                    state.set(AndThenState::Done);
                    return Poll::Ready(out);
                }
                AndThenProj::Done => polled_after_completion("and_then"),
            }
        }
    }
}

pin_project! {
    /// The states of [`OrElse`].
    #[project = OrElseProj]
    #[derive(Debug)]
    enum OrElseState<Fut, Fut2, F> {
        /// Running the first future.
        First { #[pin] fut: Fut, f: Option<F> },
        /// The first failed; running the future `f` made from its error.
        Second { #[pin] fut: Fut2 },
        /// Finished.
        Done,
    }
}

pin_project! {
    /// Future for [`FutureExt::or_else`](super::FutureExt::or_else).
    ///
    /// ```
    /// use async_primer::future::{FutureExt, ready};
    /// let f = ready(Err::<u8, u8>(3)).or_else(|e| ready(Ok::<u8, ()>(e)));
    /// assert_eq!(futures::executor::block_on(f), Ok(3));
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct OrElse<Fut, Fut2, F> {
        #[pin]
        state: OrElseState<Fut, Fut2, F>,
    }
}

impl<Fut, Fut2, F> OrElse<Fut, Fut2, F> {
    pub(crate) fn new(fut: Fut, f: F) -> Self {
        OrElse {
            state: OrElseState::First { fut, f: Some(f) },
        }
    }
}

impl<Fut, Fut2, F, T, E, E2> Future for OrElse<Fut, Fut2, F>
where
    Fut: Future<Output = Result<T, E>>,
    Fut2: Future<Output = Result<T, E2>>,
    F: FnOnce(E) -> Fut2,
{
    type Output = Result<T, E2>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, E2>> {
        let mut state = self.project().state;
        loop {
            match state.as_mut().project() {
                OrElseProj::First { fut, f } => match ready!(fut.poll(cx)) {
                    // Ok: passes straight through; `f` is dropped uncalled.
                    Ok(value) => {
                        state.set(OrElseState::Done);
                        return Poll::Ready(Ok(value));
                    }
                    // Err: recover with the future made from the error.
                    Err(e) => {
                        let f = f.take().expect("`First` always holds its closure");
                        state.set(OrElseState::Second { fut: f(e) });
                    }
                },
                OrElseProj::Second { fut } => {
                    let out = ready!(fut.poll(cx));
                    state.set(OrElseState::Done);
                    return Poll::Ready(out);
                }
                OrElseProj::Done => polled_after_completion("or_else"),
            }
        }
    }
}
