//! [`set_timeout`]: JavaScript's `setTimeout`, a timer **macrotask**.
//!
//! ```
//! use async_primer::executor::Executor;
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! use std::time::Duration;
//!
//! let log = Rc::new(RefCell::new(Vec::new()));
//! let ex = Executor::builder().virtual_time().build();
//! ex.block_on(async {
//!     let l = log.clone();
//!     let timer = async_primer::set_timeout(Duration::ZERO, move || l.borrow_mut().push("timeout"));
//!     let l = log.clone();
//!     async_primer::queue_microtask(move || l.borrow_mut().push("microtask"));
//!     log.borrow_mut().push("script");
//!     timer.await.unwrap();
//! });
//! assert_eq!(*log.borrow(), ["script", "microtask", "timeout"]);
//! ```
//
// How it works
// ------------
// A spawned task that sleeps for `delay`, then calls `f`. A task, not a
// microtask: it waits its turn in the ready queue behind every microtask,
// which is what the event-loop puzzles are about. Timers with the same
// deadline fire in the order they were set, as in JavaScript.
//
// It returns the task's `JoinHandle`: awaiting it waits for `f` to have
// run; `abort()` is `clearTimeout`; dropping it leaves the timer armed.
// Rejected alternative: returning nothing, as JavaScript does; then a test
// could not wait for its timers. Left out: the 1 ms minimum Node applies to
// `setTimeout(f, 0)` (here zero means "next turn"), and `setInterval` (see
// [`interval`](crate::time::interval)).

use std::time::Duration;

use super::join_handle::JoinHandle;

/// Runs `f` once, `delay` from now, as its own task: after the current
/// poll and its microtasks, like JavaScript's `setTimeout(f, delay)`.
/// Returns the task's handle (await it to wait for `f`, `abort` it to
/// cancel). Panics (at your line) if no executor is running on this thread.
///
/// ```
/// use async_primer::set_timeout;
/// use std::time::Duration;
///
/// let fired = async_primer::block_on(async {
///     set_timeout(Duration::from_millis(1), || "fired").await.unwrap()
/// });
/// assert_eq!(fired, "fired");
/// ```
#[track_caller]
pub fn set_timeout<R: 'static>(delay: Duration, f: impl FnOnce() -> R + 'static) -> JoinHandle<R> {
    super::spawn_named("set_timeout", async move {
        crate::time::sleep(delay).await;
        f()
    })
}
