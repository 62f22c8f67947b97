//! A reaction: "when this promise settles, run that", as a microtask.
//!
//! Every continuation (`then`, `catch`, ...) and every combinator is built
//! on one primitive, [`Promise::react`]. When the promise is (or becomes)
//! settled, the closure is queued as a **microtask** on the executor of the
//! thread that registered it ([`crate::queue_microtask`]): it runs after the
//! current poll, before any other task, timer or parking, in the order the
//! reactions were queued. That is ECMAScript's PromiseReactionJob, one tick.
//!
//! So Promises/A+ 2.2.4 ("onFulfilled must not be called until the
//! execution context stack contains only platform code") holds: a reaction
//! never runs inside `then` nor inside `resolve`. Reactions of one promise
//! are queued in registration order when it settles (2.2.6), and the
//! closure runs at most once (`FnOnce`).
//
// How it works
// ------------
//
// ```text
//   react(f) ──settled──> queue_microtask(f(outcome))            (1 tick)
//      └──pending──> parked (home.rs) ──settle──> queue_microtask (1 tick)
// ```
//
// Rejected alternative: a task per reaction (the previous design). Tasks
// are shuffled by seeded executors, which needed a turnstile to keep
// registration order, and they interleave with timers unlike JavaScript.

use super::Promise;

/// Panics (at the caller) unless an executor runs on this thread.
#[track_caller]
pub(crate) fn assert_executor(what: &str) {
    if !crate::executor::is_running() {
        panic!(
            "{what} needs a running executor: promise reactions run as microtasks on it. \
             Call it inside `async_primer::block_on(async {{ .. }})` (or `Executor::block_on`); \
             inside tokio or another runtime, wrap the code in \
             `Executor::new().run(async {{ .. }}).await`; or `.await` the promise instead, \
             which works anywhere."
        );
    }
}

impl<T: Clone + 'static, E: Clone + 'static> Promise<T, E> {
    /// Runs `f` with (a copy of) the outcome, one microtask after the
    /// promise settles; see the module docs. `what` names the public
    /// method for the panic message.
    #[track_caller]
    pub(crate) fn react(&self, what: &str, f: impl FnOnce(Result<T, E>) + 'static) {
        assert_executor(what);
        self.inner.mark_observed();
        let inner = self.inner.clone();
        let job: Box<dyn FnOnce()> = Box::new(move || f(inner.settled_outcome()));
        if let Some(job) = self.inner.park(job) {
            crate::executor::queue_microtask(job);
        }
    }
}

/// Shared state of a combinator's reactions. They all run on the executor
/// of the thread that called the combinator, so `Rc<RefCell>` suffices.
pub(crate) type Local<S> = std::rc::Rc<std::cell::RefCell<S>>;
