//! The resolver: the one-time right to settle a promise (user docs on
//! [`Resolver`]).

use std::fmt;

use std::mem::ManuallyDrop;

use super::state::{Inner, Ref};
use super::{Promise, PromiseError};

/// Settles its [`Promise`] once: [`resolve`](Self::resolve),
/// [`reject`](Self::reject), [`settle`](Self::settle) or
/// [`follow`](Self::follow).
///
/// Settling consumes the resolver, so "resolve twice" does not compile.
/// It is `Send`: settle from any thread. Dropping it unsettled is not
/// silent: the promise is rejected with [`PromiseError::Broken`] (or
/// [`PromiseError::Panicked`] if the drop happened while a panic unwound),
/// so whoever waits is told instead of waiting forever.
///
/// ```
/// use async_primer::promise::{Promise, PromiseError};
/// use std::future::IntoFuture;
///
/// let (p, r) = Promise::<&str>::with_resolvers();
/// r.resolve("done");
/// assert_eq!(p.peek(), Some(Ok("done")));
///
/// let (promise, resolver) = Promise::<u32>::with_resolvers();
/// std::thread::spawn(move || resolver.resolve(7));
/// assert_eq!(futures::executor::block_on(promise.into_future()), Ok(7));
///
/// let (promise, resolver) = Promise::<u32>::with_resolvers();
/// drop(resolver);
/// assert_eq!(futures::executor::block_on(promise.into_future()), Err(PromiseError::Broken));
/// ```
pub struct Resolver<T, E = PromiseError> {
    pub(super) inner: Ref<T, E>,
    /// `E::from`, captured where the bound `E: From<PromiseError>` was
    /// known, so that `Drop` (which cannot have extra bounds) can use it.
    pub(super) fault: fn(PromiseError) -> E,
}

impl<T, E> Resolver<T, E> {
    /// Fulfils the promise with `value`.
    ///
    /// ```
    /// # use async_primer::promise::Promise;
    /// let (p, r) = Promise::<u8>::with_resolvers();
    /// r.resolve(1);
    /// assert_eq!(p.peek(), Some(Ok(1)));
    /// ```
    #[inline]
    pub fn resolve(self, value: T) {
        Inner::fulfil(self.into_ref(), value, true);
    }

    /// Rejects the promise with `error`.
    ///
    /// ```
    /// # use async_primer::promise::{Promise, PromiseError};
    /// let (p, r) = Promise::<u8>::with_resolvers();
    /// r.reject(PromiseError::from("no"));
    /// assert_eq!(p.peek(), Some(Err(PromiseError::from("no"))));
    /// ```
    pub fn reject(self, error: E) {
        self.settle(Err(error))
    }

    /// Fulfils with `Ok`, rejects with `Err`.
    ///
    /// ```
    /// # use async_primer::promise::Promise;
    /// let (p, r) = Promise::<u8>::with_resolvers();
    /// r.settle("42".parse::<u8>().map_err(|e| e.to_string().into()));
    /// assert_eq!(p.peek(), Some(Ok(42)));
    /// ```
    #[inline]
    pub fn settle(self, outcome: Result<T, E>) {
        Inner::settle(self.into_ref(), outcome, true);
    }

    /// Gives up the resolver without running its `Drop`, handing over its
    /// reference (which `Inner::settle` consumes).
    #[inline]
    fn into_ref(self) -> Ref<T, E> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the reference
        // moves out exactly once; `fault` is a plain fn pointer.
        unsafe { std::ptr::read(&this.inner) }
    }

    /// Makes the promise follow `other`: it settles when `other` does, the
    /// same way (JavaScript's `resolve(otherPromise)`, Promises/A+ 2.3.2).
    /// If `other` is this promise, or waits (through other promises) for
    /// this one, the promise is rejected with [`PromiseError::Cycle`]
    /// instead of waiting forever (A+ 2.3.1).
    ///
    /// As in JavaScript, this takes two microtask ticks more than settling
    /// with a value: one to start following (NewPromiseResolveThenableJob),
    /// one for the reaction on `other`. So it needs a running executor (it
    /// panics otherwise, saying so).
    ///
    /// ```
    /// use async_primer::promise::{Promise, PromiseError};
    ///
    /// async_primer::block_on(async {
    ///     let (p, r) = Promise::<u8>::with_resolvers();
    ///     r.follow(Promise::resolved(5));
    ///     assert_eq!(p.await, Ok(5));
    ///
    ///     let (p, r) = Promise::<u8>::with_resolvers();
    ///     r.follow(p.clone()); // wait for myself?
    ///     assert_eq!(p.await, Err(PromiseError::Cycle));
    /// });
    /// ```
    #[track_caller]
    pub fn follow(self, other: Promise<T, E>)
    where
        T: Clone + 'static,
        E: Clone + 'static,
    {
        super::reaction::assert_executor("Resolver::follow");
        if !Inner::follow(&self.inner, &other.inner) {
            let cycle = (self.fault)(PromiseError::Cycle);
            return self.reject(cycle);
        }
        // If the microtask is dropped unrun (its executor is dropped),
        // `self` is dropped and the promise is rejected as broken.
        crate::executor::queue_microtask(move || {
            other.react("Resolver::follow", move |outcome| self.settle(outcome));
        });
    }

    /// Whether the promise is still pending (it can be, while a `follow`
    /// waits).
    ///
    /// ```
    /// # use async_primer::promise::Promise;
    /// let (_p, r) = Promise::<u8>::with_resolvers();
    /// assert!(r.is_pending());
    /// ```
    pub fn is_pending(&self) -> bool {
        self.inner.is_pending()
    }
}

impl<T, E> Drop for Resolver<T, E> {
    fn drop(&mut self) {
        if !self.inner.is_pending() {
            return; // settled: the usual case
        }
        // Dropped unsettled: a broken promise. If a panic is unwinding
        // through the code that held us, say that instead.
        let why = if std::thread::panicking() {
            PromiseError::Panicked("the code holding the resolver panicked".into())
        } else {
            PromiseError::Broken
        };
        // Not reported as unhandled: the panic is already reported, and a
        // broken promise means "nobody will settle this", not "it failed".
        // The reference moves to `settle`; ours is replaced by a clone
        // that drops normally right after.
        let extra = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, extra);
        Inner::settle(inner, Err((self.fault)(why)), false);
    }
}

impl<T, E> fmt::Debug for Resolver<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("state", &self.inner.state())
            .field("created_at", &format_args!("{}", self.inner.created_at))
            .finish()
    }
}
