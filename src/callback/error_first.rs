//! Error-first callbacks, `promisify` and `callbackify` (user docs on
//! [`Callback`]).

// How it works
//
// `promisify` is lazy, like every Rust future: nothing happens until the
// first poll. That poll creates a `completion` (see completion.rs), hands
// the operation a callback that completes it, and registers a completion
// callback that stores the outcome in a small mutex-protected slot and
// wakes whatever waker the future left there:
//
//   op calls back ──> Completer::complete ──> (completion meets callback)
//                                              ──> slot.outcome = ..; wake
//   poll ──> lock slot: outcome there? Ready : store waker, Pending
//
// Checking the outcome and storing the waker happen under one lock, and
// the callback stores the outcome and takes the waker under the same
// lock, so a call-back that lands between "checked" and "stored" cannot
// be lost. A synchronous call-back (inside the first poll) simply finds no
// waker yet; the poll then sees the outcome and returns Ready at once.
//
// If the operation drops the callback without calling it, the Completer is
// dropped, the completion reports `Cancelled`, and the future panics with
// a message saying so: a silent hang turned into a loud bug report.
// Rejected alternative: an Output of `Result<Result<T, E>, Cancelled>`,
// which would make every well-behaved call site unwrap twice to guard
// against a broken operation.
//
// Left out compared with Node: promisify for operations with several
// result values, and `callbackify` starting on its own (Rust futures need
// someone to drive them: spawn the returned future on an executor).

use super::completion::{Outcome, completion};
use crate::sync::{Arc, Mutex};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// An error-first callback: `FnOnce(Result<T, E>)`, called once with the
/// operation's result.
///
/// Node.js settled on one shape for "call me back when you are done":
/// `callback(err, value)`, error first, so nobody can forget that the
/// operation may fail. In Rust the pair is a [`Result`], so an error-first
/// callback is an `FnOnce(Result<T, E>)` ([`Callback`]).
///
/// Two bridges connect that world with futures:
///
/// * [`promisify`] turns an operation that *takes* a callback into a
///   [`Future`] of its `Result` (Node's `util.promisify`);
/// * [`callbackify`] goes the other way: a future's `Result` is handed to a
///   callback (Node's `util.callbackify`).
///
/// ```
/// use async_primer::callback::{promisify, Callback};
///
/// // An operation in callback style: it calls back later, from another thread.
/// fn read_grade(student: &'static str, done: Callback<u32, String>) {
///     std::thread::spawn(move || match student {
///         "ada" => done(Ok(97)),
///         other => done(Err(format!("no student called {other}"))),
///     });
/// }
///
/// let grade = futures::executor::block_on(promisify(|cb| read_grade("ada", cb)));
/// assert_eq!(grade, Ok(97));
/// let missing = futures::executor::block_on(promisify(|cb| read_grade("bob", cb)));
/// assert_eq!(missing, Err("no student called bob".to_string()));
/// ```
///
/// Guide: [`crate::guide::ch01_callbacks`].
///
/// ```
/// use async_primer::callback::Callback;
///
/// let done: Callback<u32, String> = Box::new(|result| assert_eq!(result, Ok(2)));
/// done(Ok(2));
/// ```
pub type Callback<T, E> = Box<dyn FnOnce(Result<T, E>) + Send + 'static>;

/// Turns a callback-taking operation into a future of its result.
///
/// The operation starts on the future's **first poll** (futures are lazy),
/// not when `promisify` is called. It may call back at once, inside that
/// poll, or later from any thread.
///
/// # Panics
///
/// Polling panics if the operation dropped its callback without calling
/// it: otherwise the future would wait forever for a call-back that can
/// no longer come.
///
/// ```
/// use async_primer::callback::promisify;
///
/// // Calling back synchronously works too.
/// let fut = promisify(|cb| cb(Ok::<_, ()>("cached")));
/// assert_eq!(futures::executor::block_on(fut), Ok("cached"));
/// ```
pub fn promisify<T, E, Op>(op: Op) -> Promisified<T, E, Op>
where
    Op: FnOnce(Callback<T, E>),
    T: Send + 'static,
    E: Send + 'static,
{
    Promisified {
        op: Some(op),
        slot: None,
    }
}

/// The future returned by [`promisify`]: the operation's `Result`, once it
/// calls back. See [`promisify`] for when the operation starts and what
/// happens if it never calls back.
///
/// ```
/// use async_primer::callback::{promisify, Callback, Promisified};
///
/// fn op(cb: Callback<u8, ()>) {
///     cb(Ok(1))
/// }
/// let fut: Promisified<u8, (), _> = promisify(op);
/// assert_eq!(format!("{fut:?}"), "Promisified { started: false, finished: false }");
/// assert_eq!(futures::executor::block_on(fut), Ok(1));
/// ```
#[must_use = "futures do nothing unless polled: the operation starts on the first poll"]
pub struct Promisified<T, E, Op> {
    /// `Some` until the first poll starts the operation.
    op: Option<Op>,
    /// Where the call-back leaves the outcome; `None` before the first
    /// poll and after the future has returned Ready.
    slot: Option<Arc<Mutex<Slot<T, E>>>>,
}

struct Slot<T, E> {
    outcome: Option<Outcome<Result<T, E>>>,
    waker: Option<Waker>,
}

// The operation is moved out, never pinned, and the slot is behind an Arc,
// so nothing in `Promisified` relies on staying in place.
impl<T, E, Op> Unpin for Promisified<T, E, Op> {}

impl<T, E, Op> Future for Promisified<T, E, Op>
where
    Op: FnOnce(Callback<T, E>),
    T: Send + 'static,
    E: Send + 'static,
{
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, E>> {
        let this = self.get_mut();
        if let Some(op) = this.op.take() {
            // First poll: wire the completion to the slot, then start.
            let slot = Arc::new(Mutex::new(Slot {
                outcome: None,
                waker: None,
            }));
            let (completer, completion) = completion::<Result<T, E>>();
            let delivered = slot.clone();
            completion.on_complete(move |outcome| {
                let waker = {
                    let mut slot = delivered.lock();
                    slot.outcome = Some(outcome);
                    slot.waker.take()
                };
                // Wake outside the lock: the executor may poll right away.
                if let Some(waker) = waker {
                    waker.wake();
                }
            });
            this.slot = Some(slot);
            op(Box::new(move |result| {
                // The future may be gone already; then nobody wants `result`.
                let _ = completer.complete(result);
            }));
        }
        let Some(slot) = &this.slot else {
            panic!("a promisify future was polled after it completed");
        };
        let mut guard = slot.lock();
        match guard.outcome.take() {
            // The operation called back (now or earlier): done.
            Some(Outcome::Value(result)) => {
                drop(guard);
                this.slot = None;
                Poll::Ready(result)
            }
            // The operation dropped its callback: it will never call back.
            Some(Outcome::Cancelled) => {
                drop(guard);
                this.slot = None;
                panic!(
                    "promisify: the operation dropped its callback without calling it, \
                     so this future could never complete"
                )
            }
            // Not yet: leave (or refresh) the waker for the call-back.
            None => {
                match &guard.waker {
                    Some(old) if old.will_wake(cx.waker()) => {}
                    _ => guard.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl<T, E, Op> fmt::Debug for Promisified<T, E, Op> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Promisified")
            .field("started", &self.op.is_none())
            .field("finished", &(self.op.is_none() && self.slot.is_none()))
            .finish()
    }
}

/// Delivers a future's `Result` to an error-first callback.
///
/// Returns a future that does the delivering: nothing happens until it is
/// driven (spawn it on any executor, or `block_on` it). The callback is
/// called exactly once, on the thread that drives the future to the end;
/// if the future is dropped before that, the callback is dropped uncalled.
///
/// ```
/// use async_primer::callback::callbackify;
/// use std::sync::mpsc;
///
/// let (tx, rx) = mpsc::channel();
/// let delivery = callbackify(async { "42".parse::<u32>() }, move |result| {
///     tx.send(result).unwrap();
/// });
/// futures::executor::block_on(delivery);
/// assert_eq!(rx.recv().unwrap(), Ok(42));
/// ```
pub async fn callbackify<F, T, E, C>(future: F, callback: C)
where
    F: Future<Output = Result<T, E>>,
    C: FnOnce(Result<T, E>),
{
    callback(future.await)
}
