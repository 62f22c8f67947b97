//! [`FutureExt`]: the combinator methods, available on every future.
//!
//! ```
//! use async_primer::future::{FutureExt, ready};
//!
//! let f = ready(2)
//!     .map(|x| x * 10)
//!     .then(|x| ready(x + 1))
//!     .inspect(|x| assert_eq!(*x, 21));
//! assert_eq!(futures::executor::block_on(f), 21);
//! ```
//!
//! Every method takes the future by value and returns a new, bigger
//! future; nothing runs until that one is polled. See
//! [`crate::guide::ch03_futures`].

// How it works: a blanket `impl<F: Future> FutureExt for F` adds the
// methods; each one only wraps `self` in the adapter of the same name.
// The `Result` methods (`and_then`, `or_else`, `map_err`) use `where
// Self: Future<Output = Result<..>>` instead of a second `TryFutureExt`
// trait: one trait to import, at the price of longer signatures.
// `timeout` is the one method that leaves this layer: it delegates to
// `crate::time::timeout`, because a deadline needs the executor's clock.

use std::future::Future;
use std::panic::UnwindSafe;
use std::pin::Pin;
use std::time::Duration;

use super::{AndThen, CatchUnwind, Fuse, Inspect, Map, MapErr, OrElse, Then};

/// A boxed, type-erased future that can move between threads.
///
/// ```
/// use async_primer::future::{BoxFuture, FutureExt};
/// let f: BoxFuture<'static, u8> = async { 1 }.boxed();
/// assert_eq!(futures::executor::block_on(f), 1);
/// ```
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A boxed, type-erased future that stays on its thread.
///
/// ```
/// use async_primer::future::{FutureExt, LocalBoxFuture};
/// let f: LocalBoxFuture<'static, u8> = async { 1 }.boxed_local();
/// assert_eq!(futures::executor::block_on(f), 1);
/// ```
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Combinator methods for every [`Future`].
///
/// Cancellation, for all of them: dropping the returned future drops the
/// future it wraps (and any continuation it already made), and closures not
/// yet called are dropped uncalled.
///
/// ```
/// use async_primer::future::{FutureExt, pending};
/// use std::cell::Cell;
///
/// let called = Cell::new(false);
/// let f = pending::<u32>().map(|x| { called.set(true); x });
/// drop(f); // cancelled: the closure never runs
/// assert!(!called.get());
/// ```
///
/// A [`Promise`](crate::promise::Promise) is not itself a `Future` (it is
/// [`IntoFuture`](std::future::IntoFuture)), so these methods need
/// `.into_future()` first; the compiler's error says so.
///
/// ```compile_fail
/// use async_primer::future::FutureExt;
/// use async_primer::promise::Promise;
/// fn combinators<F: FutureExt>(_: F) {}
/// combinators(Promise::<u8>::resolved(1)); // error: not a future, use `.into_future()`
/// ```
///
/// ```
/// use async_primer::future::FutureExt;
/// use async_primer::promise::Promise;
/// use std::future::IntoFuture;
/// let doubled = Promise::<u8>::resolved(1).into_future().map(|r| r.map(|x| x * 2));
/// assert_eq!(futures::executor::block_on(doubled), Ok(2));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a future, so it has no `FutureExt` combinators",
    label = "not a `Future`",
    note = "a `Promise` (or any `IntoFuture` type) becomes one with `.into_future()` \
            (`use std::future::IntoFuture;`), or `.await` it inside an `async` block"
)]
pub trait FutureExt: Future {
    /// Applies `f` to the output.
    ///
    /// ```
    /// use async_primer::future::{FutureExt, ready};
    /// assert_eq!(futures::executor::block_on(ready(1).map(|x| x + 1)), 2);
    /// ```
    fn map<F, T>(self, f: F) -> Map<Self, F>
    where
        F: FnOnce(Self::Output) -> T,
        Self: Sized,
    {
        Map::new(self, f)
    }

    /// Runs the future `f` makes from the output: sequencing, the `.await`
    /// of combinator style. Dropped while the first future runs, the second
    /// one is never made.
    ///
    /// ```
    /// use async_primer::future::{FutureExt, ready};
    /// let f = ready(3).then(|x| ready(x * 2));
    /// assert_eq!(futures::executor::block_on(f), 6);
    /// ```
    fn then<F, Fut2>(self, f: F) -> Then<Self, Fut2, F>
    where
        F: FnOnce(Self::Output) -> Fut2,
        Fut2: Future,
        Self: Sized,
    {
        Then::new(self, f)
    }

    /// On `Ok(v)`, runs the future `f(v)`; an `Err` passes through and `f`
    /// is dropped uncalled (like `?`).
    ///
    /// ```
    /// use async_primer::future::{FutureExt, ready};
    /// let ok = ready(Ok::<u8, &str>(1)).and_then(|x| ready(Ok(x + 1)));
    /// assert_eq!(futures::executor::block_on(ok), Ok(2));
    /// let err = ready(Err::<u8, &str>("no")).and_then(|x| ready(Ok(x + 1)));
    /// assert_eq!(futures::executor::block_on(err), Err("no"));
    /// ```
    fn and_then<T, U, E, F, Fut2>(self, f: F) -> AndThen<Self, Fut2, F>
    where
        Self: Future<Output = Result<T, E>> + Sized,
        F: FnOnce(T) -> Fut2,
        Fut2: Future<Output = Result<U, E>>,
    {
        AndThen::new(self, f)
    }

    /// On `Err(e)`, runs the future `f(e)` to recover; an `Ok` passes
    /// through and `f` is dropped uncalled.
    ///
    /// ```
    /// use async_primer::future::{FutureExt, ready};
    /// let f = ready(Err::<u8, &str>("no")).or_else(|_| ready(Ok::<u8, ()>(0)));
    /// assert_eq!(futures::executor::block_on(f), Ok(0));
    /// ```
    fn or_else<T, E, E2, F, Fut2>(self, f: F) -> OrElse<Self, Fut2, F>
    where
        Self: Future<Output = Result<T, E>> + Sized,
        F: FnOnce(E) -> Fut2,
        Fut2: Future<Output = Result<T, E2>>,
    {
        OrElse::new(self, f)
    }

    /// Applies `f` to the error, leaving an `Ok` alone.
    ///
    /// ```
    /// use async_primer::future::{FutureExt, ready};
    /// let f = ready(Err::<u8, u8>(4)).map_err(|e| e.to_string());
    /// assert_eq!(futures::executor::block_on(f), Err("4".to_string()));
    /// ```
    fn map_err<T, E, E2, F>(self, f: F) -> MapErr<Self, F>
    where
        Self: Future<Output = Result<T, E>> + Sized,
        F: FnOnce(E) -> E2,
    {
        MapErr::new(self, f)
    }

    /// Lets `f` look at the output on its way out (for logging, tests).
    ///
    /// ```
    /// use async_primer::future::{FutureExt, ready};
    /// let f = ready(5).inspect(|x| println!("got {x}"));
    /// assert_eq!(futures::executor::block_on(f), 5);
    /// ```
    fn inspect<F>(self, f: F) -> Inspect<Self, F>
    where
        F: FnOnce(&Self::Output),
        Self: Sized,
    {
        Inspect::new(self, f)
    }

    /// Makes polling after completion harmless: see [`Fuse`].
    ///
    /// ```
    /// use async_primer::future::{FutureExt, ready};
    /// let f = ready(1).fuse();
    /// assert!(!f.is_terminated());
    /// ```
    fn fuse(self) -> Fuse<Self>
    where
        Self: Sized,
    {
        Fuse::new(self)
    }

    /// Boxes and pins the future, erasing its type; it must be `Send`.
    /// Useful to return different futures from one function.
    ///
    /// ```
    /// use async_primer::future::{BoxFuture, FutureExt, ready};
    /// let f: BoxFuture<'static, u8> = if true { ready(1).boxed() } else { async { 2 }.boxed() };
    /// assert_eq!(futures::executor::block_on(f), 1);
    /// ```
    fn boxed<'a>(self) -> BoxFuture<'a, Self::Output>
    where
        Self: Sized + Send + 'a,
    {
        Box::pin(self)
    }

    /// Like [`boxed`](FutureExt::boxed) for futures that are not `Send`.
    ///
    /// ```
    /// use async_primer::future::{FutureExt, LocalBoxFuture};
    /// use std::rc::Rc;
    /// let rc = Rc::new(3);
    /// let f: LocalBoxFuture<'_, u8> = async move { *rc }.boxed_local();
    /// assert_eq!(futures::executor::block_on(f), 3);
    /// ```
    fn boxed_local<'a>(self) -> LocalBoxFuture<'a, Self::Output>
    where
        Self: Sized + 'a,
    {
        Box::pin(self)
    }

    /// Gives the future a deadline on the executor's clock: `Ok(output)` if
    /// it finishes within `duration`, `Err(Elapsed)` if not, in which case
    /// the future is dropped (cancelled).
    ///
    /// This one method reaches *up* a layer: a deadline needs a clock, and
    /// the clock belongs to the executor's timers, so it simply calls
    /// [`crate::time::timeout`]. It must therefore be called inside a
    /// running [`Executor`](crate::executor::Executor) (like every timer;
    /// it panics with a clear message otherwise).
    ///
    /// ```
    /// use async_primer::executor::Executor;
    /// use async_primer::future::{FutureExt, pending};
    /// use std::time::Duration;
    ///
    /// let ex = Executor::builder().virtual_time().build();
    /// ex.block_on(async {
    ///     let never = pending::<u8>().timeout(Duration::from_secs(5));
    ///     assert!(never.await.is_err()); // Err(Elapsed), after 5 virtual seconds
    ///     assert_eq!(async { 1 }.timeout(Duration::from_secs(5)).await, Ok(1));
    /// });
    /// ```
    fn timeout(self, duration: Duration) -> crate::time::Timeout<Self>
    where
        Self: Sized,
    {
        crate::time::timeout(duration, self)
    }

    /// Turns a panic inside the future into `Err(payload)`: see
    /// [`CatchUnwind`].
    ///
    /// ```
    /// use async_primer::future::{FutureExt, ready};
    /// assert_eq!(futures::executor::block_on(ready(1).catch_unwind()).unwrap(), 1);
    /// ```
    fn catch_unwind(self) -> CatchUnwind<Self>
    where
        Self: Sized + UnwindSafe,
    {
        CatchUnwind::new(self)
    }
}

impl<F: Future + ?Sized> FutureExt for F {}
