//! Continuations: `then`, `and_then`, `then_promise`, `handle`, `catch`,
//! `finally`. Each returns a new, *derived* promise and registers a
//! reaction on this one, which runs your closure (a microtask after the
//! settle) and settles the derived promise with what it returned. A
//! rejection skips `then`/`and_then`/`then_promise` (A+ 2.2.7.4), a
//! fulfilment skips `catch` (2.2.7.3), each in one tick as in JavaScript;
//! a closure that panics rejects the derived promise with
//! [`PromiseError::Panicked`] (2.2.7.2).
//!
//! One method per return shape, rather than one `then` over a trait for
//! "value, `Result` or promise": a blanket "any value" case would overlap
//! the other two, and Rust has no specialisation to pick between them.

use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};

use super::{Promise, PromiseError};

/// What a reaction does with the derived promise.
pub enum Next<U, E> {
    /// Settle it with this outcome.
    Settle(Result<U, E>),
    /// Make it follow this promise.
    Adopt(Promise<U, E>),
}

impl<T: Clone + 'static, E: Clone + 'static> Promise<T, E> {
    /// Registers `body` as a reaction and returns the promise it settles.
    #[track_caller]
    fn derive<U, E2>(
        &self,
        what: &str,
        body: impl FnOnce(Result<T, E>) -> Next<U, E2> + 'static,
    ) -> Promise<U, E2>
    where
        U: Clone + 'static,
        E2: Clone + From<PromiseError> + Debug + 'static,
    {
        let (derived, resolver) = Promise::pending_at(Location::caller());
        self.react(what, move |outcome| {
            match catch_unwind(AssertUnwindSafe(move || body(outcome))) {
                Ok(Next::Settle(outcome)) => resolver.settle(outcome),
                Ok(Next::Adopt(other)) => resolver.follow(other),
                Err(payload) => resolver.reject(E2::from(PromiseError::panicked(payload))),
            }
        });
        derived
    }

    /// On fulfilment, maps the value (`p.then(v => w)` with a plain `w`).
    ///
    /// ```
    /// # use async_primer::promise::Promise;
    /// async_primer::block_on(async {
    ///     assert_eq!(Promise::<u8>::resolved(2).then(|v| v * 10).await, Ok(20));
    /// });
    /// ```
    #[track_caller]
    pub fn then<U>(&self, f: impl FnOnce(T) -> U + 'static) -> Promise<U, E>
    where
        U: Clone + 'static,
        E: From<PromiseError> + Debug,
    {
        self.derive("Promise::then", move |r| Next::Settle(r.map(f)))
    }

    /// On fulfilment, runs a step that can fail: `Err` rejects the derived
    /// promise (like throwing inside a JavaScript `then`).
    ///
    /// ```
    /// # use async_primer::promise::{Promise, PromiseError};
    /// async_primer::block_on(async {
    ///     let p = Promise::<i32>::resolved(-1)
    ///         .and_then(|v| if v < 0 { Err(PromiseError::from("negative")) } else { Ok(v) });
    ///     assert_eq!(p.await, Err(PromiseError::from("negative")));
    /// });
    /// ```
    #[track_caller]
    pub fn and_then<U>(&self, f: impl FnOnce(T) -> Result<U, E> + 'static) -> Promise<U, E>
    where
        U: Clone + 'static,
        E: From<PromiseError> + Debug,
    {
        self.derive("Promise::and_then", move |r| Next::Settle(r.and_then(f)))
    }

    /// On fulfilment, starts another asynchronous step; the derived promise
    /// follows the promise `f` returns (A+ 2.3.2). If that promise is the
    /// derived one itself, or waits for it, the derived promise rejects
    /// with [`PromiseError::Cycle`].
    ///
    /// ```
    /// # use async_primer::promise::Promise;
    /// async_primer::block_on(async {
    ///     let (later, resolver) = Promise::<u8>::with_resolvers();
    ///     let p = Promise::<u8>::resolved(1).then_promise(move |_| later);
    ///     resolver.resolve(5);
    ///     assert_eq!(p.await, Ok(5));
    /// });
    /// ```
    #[track_caller]
    pub fn then_promise<U>(&self, f: impl FnOnce(T) -> Promise<U, E> + 'static) -> Promise<U, E>
    where
        U: Clone + 'static,
        E: From<PromiseError> + Debug,
    {
        self.derive("Promise::then_promise", move |r| match r {
            Ok(v) => Next::Adopt(f(v)),
            Err(e) => Next::Settle(Err(e)),
        })
    }

    /// Sees the whole outcome, `Result<T, E>` (JavaScript's two-argument
    /// `then(onFulfilled, onRejected)`, Java's `handle`). May change both
    /// the value and the error type.
    ///
    /// ```
    /// # use async_primer::promise::{Promise, PromiseError};
    /// async_primer::block_on(async {
    ///     let p = Promise::<u8>::rejected(PromiseError::from("x"))
    ///         .handle(|r| Ok::<_, PromiseError>(r.is_ok()));
    ///     assert_eq!(p.await, Ok(false));
    /// });
    /// ```
    #[track_caller]
    pub fn handle<U, E2>(
        &self,
        f: impl FnOnce(Result<T, E>) -> Result<U, E2> + 'static,
    ) -> Promise<U, E2>
    where
        U: Clone + 'static,
        E2: Clone + From<PromiseError> + Debug + 'static,
    {
        self.derive("Promise::handle", move |r| Next::Settle(f(r)))
    }

    /// On rejection, recovers (`Ok`) or rejects again, perhaps with another
    /// error type (`Err`). A fulfilment passes through untouched.
    ///
    /// ```
    /// # use async_primer::promise::{Promise, PromiseError};
    /// async_primer::block_on(async {
    ///     let p = Promise::<u8>::rejected(PromiseError::from("offline"))
    ///         .catch(|_| Ok::<_, PromiseError>(0));
    ///     assert_eq!(p.await, Ok(0));
    /// });
    /// ```
    #[track_caller]
    pub fn catch<E2>(&self, f: impl FnOnce(E) -> Result<T, E2> + 'static) -> Promise<T, E2>
    where
        E2: Clone + From<PromiseError> + Debug + 'static,
    {
        self.derive("Promise::catch", move |r| {
            Next::Settle(match r {
                Ok(v) => Ok(v),
                Err(e) => f(e),
            })
        })
    }

    /// Runs `f` on either outcome and passes the outcome through
    /// (JavaScript's `finally`). `f` may return `()`; or `Result<(), E>`,
    /// whose `Err` overrides the outcome; or a promise, which is waited for
    /// and whose rejection overrides the outcome. A panic in `f` overrides
    /// it too.
    ///
    /// ```
    /// # use async_primer::promise::{Promise, PromiseError};
    /// async_primer::block_on(async {
    ///     let kept = Promise::<u8>::resolved(1).finally(|| ());
    ///     assert_eq!(kept.await, Ok(1));
    ///     let overridden = Promise::<u8>::resolved(1).finally(|| Err(PromiseError::from("cleanup")));
    ///     assert_eq!(overridden.await, Err(PromiseError::from("cleanup")));
    /// });
    /// ```
    #[track_caller]
    pub fn finally<C: Finally<T, E>>(&self, f: impl FnOnce() -> C + 'static) -> Promise<T, E>
    where
        E: From<PromiseError> + Debug,
    {
        self.derive("Promise::finally", move |r| f().after(r))
    }
}

/// What a [`Promise::finally`] cleanup may return: `()`, `Result<(), E>`,
/// or a `Promise<U, E>` (waited for). Implemented only by the crate.
///
/// ```
/// # use async_primer::promise::{Promise, PromiseError};
/// async_primer::block_on(async {
///     let p = Promise::<u8>::resolved(1).finally(|| Promise::<(), PromiseError>::resolved(()));
///     assert_eq!(p.await, Ok(1));
/// });
/// ```
pub trait Finally<T, E>: 'static {
    /// Combines the cleanup's result with the original `outcome`.
    #[doc(hidden)]
    fn after(self, outcome: Result<T, E>) -> Next<T, E>;
}

// Each one takes JavaScript's ticks: `finally(f)` is there
// `then(v => Promise.resolve(f()).then(() => v))`, whose handler returns a
// promise, so the derived promise adopts it (two ticks) after that inner
// `then` (one tick).

impl<T, E> Finally<T, E> for ()
where
    T: Clone + 'static,
    E: Clone + From<PromiseError> + Debug + 'static,
{
    fn after(self, outcome: Result<T, E>) -> Next<T, E> {
        Promise::<(), E>::resolved(()).after(outcome)
    }
}

impl<T, E> Finally<T, E> for Result<(), E>
where
    T: Clone + 'static,
    E: Clone + From<PromiseError> + Debug + 'static,
{
    fn after(self, outcome: Result<T, E>) -> Next<T, E> {
        match self {
            Ok(()) => ().after(outcome),
            // Like a `throw` in the cleanup: rejects at once.
            Err(e) => Next::Settle(Err(e)),
        }
    }
}

impl<T, E, U> Finally<T, E> for Promise<U, E>
where
    T: Clone + 'static,
    E: Clone + From<PromiseError> + Debug + 'static,
    U: Clone + 'static,
{
    fn after(self, outcome: Result<T, E>) -> Next<T, E> {
        // Wait for the cleanup; its failure wins, its value is dropped.
        Next::Adopt(self.handle(move |cleanup| cleanup.and(outcome)))
    }
}
