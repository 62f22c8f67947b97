//! Promises: eager, shareable eventual values, with Promises/A+ semantics.
//!
//! A [`Promise<T, E>`] stands for a value that is not there yet. Whoever
//! produces it holds the [`Resolver`] and settles it once: fulfilled with a
//! `T` or rejected with an `E`. Whoever needs it holds a `Promise`, clones
//! it to share it (one allocation for all clones), and either `.await`s it
//! (giving `Result<T, E>`, a copy for each consumer) or attaches
//! continuations that run later, as microtasks on the executor (the same
//! event loop as JavaScript's, tick for tick: see
//! [`crate::guide::ch12_event_loop`]):
//!
//! ```
//! use async_primer::promise::{Promise, PromiseError};
//!
//! async_primer::block_on(async {
//!     let (user, resolver) = Promise::<String>::with_resolvers();
//!     let greeting = user.then(|name| format!("hello, {name}"));
//!     resolver.resolve("ada".to_string());
//!     assert_eq!(greeting.await, Ok("hello, ada".to_string()));
//!
//!     let failed = Promise::<u32>::rejected(PromiseError::from("offline"));
//!     let recovered = failed.catch(|_| Ok::<_, PromiseError>(0));
//!     assert_eq!(recovered.await, Ok(0));
//! });
//! ```
//!
//! | JavaScript | here |
//! |---|---|
//! | `new Promise((resolve, reject) => ..)` | [`Promise::new`]`(\|resolver\| ..)` |
//! | `Promise.withResolvers()` | [`Promise::with_resolvers`] |
//! | `Promise.resolve(v)` / `Promise.reject(e)` | [`Promise::resolved`] / [`Promise::rejected`] |
//! | `p.then(v => w)` | [`then`](Promise::then) (a value), [`and_then`](Promise::and_then) (a `Result`), [`then_promise`](Promise::then_promise) (a promise, adopted) |
//! | `p.then(onOk, onErr)` | [`handle`](Promise::handle) (sees the whole `Result`) |
//! | `p.catch(e => ..)` / `p.finally(() => ..)` | [`catch`](Promise::catch) / [`finally`](Promise::finally) |
//! | `Promise.all / allSettled / any / race` | [`Promise::all`], [`Promise::all_settled`], [`Promise::any`], [`Promise::race`] |
//! | `await p` | `p.await` (works on any executor, even `futures::executor::block_on`) |
//!
//! `.await` goes through `IntoFuture`: a `Promise` is a one-pointer handle,
//! and each `.await` makes a small [`PromiseFuture`] (which holds the
//! waker slot). This crate's `block_on`, `spawn`, `join`, `select`, `race`
//! and `timeout` take a promise as it is (they accept `IntoFuture`); where a
//! `Future` value is needed by another crate (`futures::executor::block_on`,
//! `futures::join!`), call `promise.into_future()`.
//!
//! # Which APIs need this crate's executor
//!
//! | API | with no executor of this crate running (inside tokio, `futures`, a plain thread) |
//! |---|---|
//! | `Promise::new`, `with_resolvers`, `resolved`, `rejected` | work anywhere |
//! | `Resolver::resolve` / `reject` / `settle` / `is_pending`, dropping a resolver (a broken promise) | work anywhere, from any thread |
//! | `state`, `peek`, `ptr_eq`, `clone` | work anywhere |
//! | `.await` (and `into_future()`) | works on any executor: the future only stores the waker it is given |
//! | `then`, `and_then`, `then_promise`, `handle`, `catch`, `finally`, `Resolver::follow` | need the executor: reactions are microtasks on it |
//! | `Promise::all`, `all_settled`, `any`, `race` (with at least one input) | need the executor, likewise |
//! | unhandled-rejection reports | work anywhere (reported when the last handle drops) |
//!
//! Inside tokio or `futures`, give the reactions an executor without
//! blocking the outer runtime: `Executor::new().run(async { .. }).await`
//! (see [`Executor::run`](crate::executor::Executor::run) and guide chapter
//! 8, "Mixing runtimes").
//!
//! # Combinators
//!
//! | combinator | fulfils with | rejects with | of no promises |
//! |---|---|---|---|
//! | [`Promise::all`] | every value, in input order | the first rejection | `Ok(vec![])` |
//! | [`Promise::all_settled`] | every outcome, in input order | never (only faults) | `Ok(vec![])` |
//! | [`Promise::any`] | the first value | every error, in input order ([`AggregateError`]) | `Err` with no errors |
//! | [`Promise::race`] | the first value... | ...or the first error, whichever settles first | `Err(`[`PromiseError::EmptyRace`]`)` |
//!
//! Every input gets a reaction, so none of them is reported as an
//! unhandled rejection; inputs that lose keep running (promises cannot be
//! cancelled) and their outcomes are ignored.
//!
//! # Errors: your type, plus the crate's faults
//!
//! `E` is your error type, but some rejections come from the crate: a
//! dropped resolver, a panicking continuation, a cycle. They are
//! [`PromiseError`]s, so APIs that may produce them ask for
//! `E: From<PromiseError>` (and `E: Debug`, to report unhandled
//! rejections). The default `Promise<T>` uses `PromiseError` itself.
//! Rejected alternatives: a third "faulted" state would make `.await`
//! return something other than `Result<T, E>`; wrapping every derived
//! promise's error (`PromiseError<E>`) would make every chain's type grow.
//!
//! # The rules (Promises/A+), and where Rust differs
//!
//! * Settles at most once; the outcome never changes. `Resolver` is
//!   consumed by settling, so the compiler enforces most of this.
//! * Reactions (continuations, combinators, `follow`) run later, as
//!   microtasks ([`crate::queue_microtask`]) on the executor running on the
//!   registering thread, even when another thread settles: never inside
//!   the call that registers them, never inside `resolve`; in registration
//!   order (seeded executors shuffle tasks, never microtasks); at most
//!   once. Registering one with no executor running panics and says what
//!   to do. `block_on` runs the microtasks left when its future finishes.
//! * Ticks as in ECMAScript: a reaction is one microtask after the settle;
//!   adopting a promise ([`then_promise`](Promise::then_promise),
//!   [`Resolver::follow`]) takes two more; `catch`, `finally`, `all`,
//!   `all_settled`, `any` and `race` take what JavaScript's take. The
//!   puzzles in `tests/event_loop/` check this against Node.
//! * Faults settle, never hang: see [`PromiseError`].
//! * Unhandled rejections are reported: see [`set_unhandled_rejection_hook`].
//! * Not in JavaScript's model: Rust has no implicit "thenable" assimilation
//!   (a `Promise<Promise<T>>` is just that; adoption is explicit with
//!   [`then_promise`](Promise::then_promise) or [`Resolver::follow`]), and
//!   sharing is explicit (`clone`), with `Send`/`Sync` when `T` and `E` are.
//!
//! Left out compared with futures' `Shared` or tokio's `watch`/`oneshot`:
//! no cancellation (dropping every handle does not stop the producer), no
//! "take the value out without cloning", no blocking `wait`, no
//! `try_recv`-style polling other than [`Promise::peek`]. Reactions need
//! this crate's executor (futures' `Shared` needs none, because it runs
//! nothing: it only wakes whoever polls it).
//!
//! Cost: one allocation per promise. Resolving a promise nobody waits for
//! yet and then awaiting it is two atomic read-modify-writes (one settles
//! and drops the resolver's reference, one drops the last handle's); a `then` is one more allocation
//! (its closure), and one slot in this thread's parking place while the
//! promise is pending.
//!
//! Guide: [`crate::guide::ch02_promises`], [`crate::guide::ch12_event_loop`]
//! and [`crate::guide::ch06_errors`].
//! Loom models of the shared state: `tests/loom_promise.rs`; the A+ suite:
//! `tests/promises_aplus.rs`.

// How it works
// ------------
// `Promise` is a counted reference (`Ref`) to `Inner`, the shared state (state.rs: the state
// machine and its diagram; waiters.rs: the wakers of `.await`s).
// Continuations (then.rs) and combinators (combinators.rs) are built on
// one primitive, a reaction (reaction.rs): a closure queued as a microtask
// once the promise is settled. While it is pending, the closure waits in
// this thread's home (home.rs), which also brings settles from other
// threads back here. Files import only those listed before them:
// waiters, home, unhandled, error -> state -> reaction -> then,
// combinators, resolver. Everything else here is the handle: creation,
// inspection, `.await`.
//
// Rejected alternative: `impl Future for Promise`. Every handle would then
// carry a waker slot (three words instead of one).

mod combinators;
mod error;
mod home;
mod reaction;
mod resolver;
mod state;
mod then;
mod unhandled;
mod waiters;

pub use error::{AggregateError, PromiseError};
pub use resolver::Resolver;
pub use state::PromiseState;
pub use then::Finally;
pub use unhandled::{
    UnhandledRejection, UnhandledRejectionHook, set_unhandled_rejection_hook,
    take_unhandled_rejection_hook,
};

use std::fmt::{self, Debug};
use std::future::{Future, IntoFuture};
use std::panic::{AssertUnwindSafe, Location};
use std::pin::Pin;
use std::task::{Context, Poll};

use state::Ref;

/// An eventual `Result<T, E>`: eager, shareable, settled once. See the
/// [module docs](self).
///
/// ```
/// use async_primer::promise::Promise;
///
/// let p = Promise::<u8>::resolved(3);
/// let q = p.clone(); // the same promise
/// assert_eq!(futures::executor::block_on(async { q.await }), Ok(3));
/// assert_eq!(futures::executor::block_on(async { p.await }), Ok(3));
/// ```
#[must_use = "a promise does its work anyway; dropping it only means nobody sees the result"]
pub struct Promise<T, E = PromiseError> {
    inner: Ref<T, E>,
}

impl<T, E: Debug> Promise<T, E> {
    fn settled_at(outcome: Result<T, E>, at: &'static Location<'static>) -> Self {
        Promise {
            inner: Ref::new(Some(outcome), 1, at),
        }
    }

    /// An already fulfilled promise (`Promise.resolve(v)`).
    ///
    /// ```
    /// # use async_primer::promise::Promise;
    /// assert_eq!(Promise::<u8>::resolved(1).peek(), Some(Ok(1)));
    /// ```
    #[track_caller]
    pub fn resolved(value: T) -> Self {
        Self::settled_at(Ok(value), Location::caller())
    }

    /// An already rejected promise (`Promise.reject(e)`).
    ///
    /// ```
    /// # use async_primer::promise::{Promise, PromiseError};
    /// let p = Promise::<u8>::rejected(PromiseError::from("x"));
    /// assert!(p.peek().unwrap().is_err());
    /// ```
    #[track_caller]
    pub fn rejected(error: E) -> Self {
        Self::settled_at(Err(error), Location::caller())
    }
}

impl<T, E: From<PromiseError> + Debug> Promise<T, E> {
    /// A pending promise and the resolver that settles it
    /// (`Promise.withResolvers()`).
    ///
    /// ```
    /// # use async_primer::promise::{Promise, PromiseState};
    /// let (p, r) = Promise::<u8>::with_resolvers();
    /// assert_eq!(p.state(), PromiseState::Pending);
    /// r.resolve(2);
    /// assert_eq!(p.state(), PromiseState::Fulfilled);
    /// ```
    #[track_caller]
    pub fn with_resolvers() -> (Self, Resolver<T, E>) {
        Self::pending_at(Location::caller())
    }

    pub(crate) fn pending_at(at: &'static Location<'static>) -> (Self, Resolver<T, E>) {
        let inner = Ref::new(None, 2, at);
        let resolver = Resolver {
            inner: inner.second(),
            fault: E::from,
        };
        let promise = Promise { inner };
        (promise, resolver)
    }

    /// Runs `start` at once with the resolver, like JavaScript's
    /// `new Promise(executor)`. If `start` panics, the promise is rejected
    /// with [`PromiseError::Panicked`] and the panic goes no further.
    ///
    /// ```
    /// # use async_primer::promise::Promise;
    /// let p = Promise::<u8>::new(|resolver| resolver.resolve(4));
    /// assert_eq!(p.peek(), Some(Ok(4)));
    /// ```
    #[track_caller]
    pub fn new(start: impl FnOnce(Resolver<T, E>)) -> Self {
        let (promise, resolver) = Self::pending_at(Location::caller());
        // The resolver is dropped while unwinding, which rejects with
        // `Panicked` (see Resolver's Drop); we only stop the unwinding.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(move || start(resolver)));
        promise
    }
}

impl<T, E> Promise<T, E> {
    /// Pending, fulfilled or rejected, right now.
    ///
    /// ```
    /// # use async_primer::promise::{Promise, PromiseState};
    /// assert_eq!(Promise::<u8>::resolved(0).state(), PromiseState::Fulfilled);
    /// ```
    pub fn state(&self) -> PromiseState {
        self.inner.state()
    }

    /// A copy of the outcome if settled, without waiting. Counts as
    /// handling a rejection.
    ///
    /// ```
    /// # use async_primer::promise::Promise;
    /// let (p, r) = Promise::<u8>::with_resolvers();
    /// assert_eq!(p.peek(), None);
    /// r.resolve(9);
    /// assert_eq!(p.peek(), Some(Ok(9)));
    /// ```
    pub fn peek(&self) -> Option<Result<T, E>>
    where
        T: Clone,
        E: Clone,
    {
        self.inner.mark_observed();
        self.inner.outcome()
    }

    /// Whether two handles are clones of the same promise.
    ///
    /// ```
    /// # use async_primer::promise::Promise;
    /// let p = Promise::<u8>::resolved(1);
    /// assert!(p.ptr_eq(&p.clone()));
    /// assert!(!p.ptr_eq(&Promise::resolved(1)));
    /// ```
    pub fn ptr_eq(&self, other: &Self) -> bool {
        Ref::ptr_eq(&self.inner, &other.inner)
    }
}

impl<T, E> Clone for Promise<T, E> {
    fn clone(&self) -> Self {
        self.inner.handle_cloned();
        Promise {
            inner: self.inner.clone(),
        }
    }
}

impl<T, E> Drop for Promise<T, E> {
    fn drop(&mut self) {
        self.inner.handle_dropped();
    }
}

/// `promise.await` gives a copy of the outcome, `Result<T, E>`.
impl<T: Clone, E: Clone> IntoFuture for Promise<T, E> {
    type Output = Result<T, E>;
    type IntoFuture = PromiseFuture<T, E>;

    #[track_caller]
    fn into_future(self) -> PromiseFuture<T, E> {
        PromiseFuture {
            promise: self,
            waiter: None,
            awaited_at: Location::caller(),
        }
    }
}

/// `(&promise).await` awaits a clone, keeping the promise.
impl<T: Clone, E: Clone> IntoFuture for &Promise<T, E> {
    type Output = Result<T, E>;
    type IntoFuture = PromiseFuture<T, E>;

    #[track_caller]
    fn into_future(self) -> PromiseFuture<T, E> {
        self.clone().into_future()
    }
}

/// The future of one `.await` on a [`Promise`]: ready with a copy of the
/// outcome once the promise is settled. It works on any executor.
///
/// A `Promise` is not itself a `Future` (it stays a small handle: one
/// pointer); `.await` turns it into one through `IntoFuture`. Where a
/// `Future` value is needed (to `join` or `select`), call `into_future()`.
///
/// ```
/// use std::future::IntoFuture;
/// use async_primer::promise::Promise;
///
/// let a = Promise::<u8>::resolved(1).into_future();
/// let b = Promise::<u8>::resolved(2).into_future();
/// let (a, b) = futures::executor::block_on(futures::future::join(a, b));
/// assert_eq!((a, b), (Ok(1), Ok(2)));
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct PromiseFuture<T, E = PromiseError> {
    promise: Promise<T, E>,
    /// Our waker slot while the promise is pending.
    waiter: Option<u32>,
    /// Where it was awaited (the `.await`), for the executor's stall report.
    awaited_at: &'static Location<'static>,
}

impl<T: Clone, E: Clone> Future for PromiseFuture<T, E> {
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, E>> {
        // `PromiseFuture` is `Unpin` (a pointer and a number): no pinning.
        let this = self.get_mut();
        let inner = &this.promise.inner;
        inner.mark_observed();
        if !inner.poll_settled(&mut this.waiter, cx.waker()) {
            crate::executor::note_wait(
                "a promise",
                Some(inner.created_at),
                Some(this.awaited_at),
                None,
            );
            return Poll::Pending;
        }
        // Settled: our slot (if any) was emptied when the wakers were taken.
        this.waiter = None;
        Poll::Ready(inner.settled_outcome())
    }
}

impl<T, E> Drop for PromiseFuture<T, E> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter {
            self.promise.inner.forget_waiter(key);
        }
    }
}

impl<T, E> Debug for PromiseFuture<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PromiseFuture")
            .field("promise", &self.promise)
            .finish()
    }
}

impl<T, E> Debug for Promise<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Promise")
            .field("state", &self.inner.state())
            .field("created_at", &format_args!("{}", self.inner.created_at))
            .finish()
    }
}
