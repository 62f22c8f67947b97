//! A reaction: "when this promise settles, run that", as a task.
//!
//! Every continuation (`then`, `catch`, ...) and every combinator is built
//! on one primitive, [`Promise::react`]. It spawns a task on the executor
//! running on this thread; the task
//!
//! 1. waits until the promise is settled (it is one of the promise's
//!    waiters, like any `.await`),
//! 2. waits for its turn: reactions on one promise run in registration
//!    order, even when the executor shuffles ready tasks
//!    (`Builder::seed`), because reaction k runs only after k-1 finished,
//! 3. runs the closure with a copy of the outcome, and passes the turn on.
//!
//! That is how Promises/A+ 2.2.4 ("onFulfilled must not be called until the
//! execution context stack contains only platform code") looks here: a
//! reaction never runs inside `then` nor inside `resolve`, only when the
//! executor polls its task. The closure runs at most once (`FnOnce`).
//!
// How it works
// ------------
//
// ```text
//   WaitSettled ──settled──> WaitTurn ──turn == ticket──> Run ──> Done
//        │                      │                                  ^
//        └──── task dropped ────┴──── finish_ticket(ticket) ───────┘
// ```
//
// The turn is passed on exactly once per ticket: after running, or from
// `Drop` if the task was dropped first (executor dropped, say). Without
// that, reaction k+1 would wait forever for a turn that never comes.
//
// Rejected alternative: run all of a promise's reactions in one loop
// inside one task. Reactions may be registered from different threads'
// executors, and each must run on its own.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::Promise;
use super::inner::InnerRef;

/// Panics (at the caller) unless an executor runs on this thread.
#[track_caller]
pub(crate) fn assert_executor(what: &str) {
    if !crate::executor::is_running() {
        panic!(
            "{what} needs a running executor: promise reactions run as tasks on it. \
             Call it inside `async_primer::block_on(async {{ .. }})` (or `Executor::block_on`), \
             or `.await` the promise instead, which works anywhere."
        );
    }
}

impl<T: Clone + 'static, E: Clone + 'static> Promise<T, E> {
    /// Runs `f` with (a copy of) the outcome, later, as a task; see the
    /// module docs. `what` names the public method for the panic message.
    #[track_caller]
    pub(crate) fn react(&self, what: &str, f: impl FnOnce(Result<T, E>) + 'static) {
        assert_executor(what);
        let ticket = self.inner.take_ticket();
        let reaction = Reaction {
            inner: self.inner.clone(),
            ticket,
            waiter: None,
            f: Some(f),
            turn_passed: false,
        };
        // Dropping the JoinHandle detaches the task: it still runs.
        let _detached = crate::executor::spawn(reaction);
    }
}

struct Reaction<T, E, F> {
    inner: InnerRef<T, E>,
    ticket: u32,
    /// Our waker slot among the promise's waiters.
    waiter: Option<u32>,
    f: Option<F>,
    turn_passed: bool,
}

// The closure is moved out, never pinned: nothing here needs pinning.
impl<T, E, F> Unpin for Reaction<T, E, F> {}

impl<T: Clone, E: Clone, F: FnOnce(Result<T, E>)> Future for Reaction<T, E, F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        // WaitSettled
        if !this.inner.poll_settled(&mut this.waiter, cx.waker()) {
            return Poll::Pending;
        }
        this.waiter = None;
        // WaitTurn
        if !this.inner.poll_turn(this.ticket, cx.waker()) {
            return Poll::Pending;
        }
        // Run. The closures given here catch user panics themselves; if
        // one still unwound, Drop would pass the turn on.
        let f = this.f.take().expect("a reaction polled after it ran");
        f(this.inner.settled_outcome());
        this.turn_passed = true;
        this.inner.finish_ticket(this.ticket);
        Poll::Ready(())
    }
}

impl<T, E, F> Drop for Reaction<T, E, F> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter {
            self.inner.forget_waiter(key);
        }
        if !self.turn_passed {
            self.inner.finish_ticket(self.ticket);
        }
    }
}

/// Shared state of a combinator's reactions. They all run on the executor
/// of the thread that called the combinator, so `Rc<RefCell>` suffices.
pub(crate) type Local<S> = std::rc::Rc<std::cell::RefCell<S>>;
