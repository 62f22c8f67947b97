//! The async `Notify`: its user docs are on the type; how it works is below.

// How it works
//
// One `crate::sync::Mutex<State>`:
//
//   permit:   a notify_one came while nobody waited
//   line:     waiting futures, oldest first (WaiterQueue)
//   called:   how many at the front of `line` were chosen by notify_one
//             (their wakers taken); they leave when their future runs
//   round:    how many times notify_waiters has run
//
//        notified()                        first poll
//   New(round r) ──round moved past r──────────────────────> Done
//     │        ──permit there: take it──────────────────────> Done
//     │        ──otherwise: join the line───> Waiting(id)
//     v                                          │ still in line, not called: Pending
//   (dropped: nothing owed)                      │ called by notify_one: leave, Done
//                                                │ gone (notify_waiters took it): Done
//                                                └ dropped while called: notify_one again
//
// "Called" entries stay in the line, at the front, until their future runs
// or is dropped: that is how a dropped future knows it owes a notify_one
// (its entry is in the called part), while one taken by notify_waiters
// (entry gone) owes nothing. notify_one calls the first not-yet-called
// entry; notify_waiters takes every not-yet-called entry.
//
// Rejected: an atomic state word with lock-free notify_one when nobody
// waits (tokio's); notify is not on any benchmark row, so the lock stays.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::waiter_queue::{WaiterQueue, WakeList};
use crate::sync::Mutex;

/// A signal between tasks, with no data: one task waits in
/// [`notified().await`](Notify::notified), another calls
/// [`notify_one`](Notify::notify_one) (wake the longest waiter, or leave a
/// permit for the next one if nobody waits) or
/// [`notify_waiters`](Notify::notify_waiters) (wake everybody waiting now).
///
/// ```
/// use async_primer::locks::Notify;
/// use std::sync::Arc;
///
/// async_primer::block_on(async {
///     let ready = Arc::new(Notify::new());
///     let waiter = async_primer::spawn({
///         let ready = ready.clone();
///         async move {
///             ready.notified().await; // sleeps until notified
///             "woken"
///         }
///     });
///     async_primer::yield_now().await; // let it start waiting
///     ready.notify_one();
///     assert_eq!(waiter.await.unwrap(), "woken");
///
///     // Nobody waiting: the notification is kept (one permit, not a count).
///     ready.notify_one();
///     ready.notify_one();
///     ready.notified().await; // returns at once, taking the permit
/// });
/// ```
///
/// `notify_one` never gets lost: if it comes before anybody waits it is
/// stored as a permit, and a `Notified` future dropped after it was chosen
/// (but before it was polled) passes the notification to the next waiter
/// or back to the permit. `notify_waiters` stores nothing; it reaches every
/// `Notified` future *created* before the call, polled yet or not, so the
/// usual pattern is: create the future, check the condition, then await.
///
/// **Why not a `std::sync::Condvar` (with a std `Mutex`)?** `Condvar::wait`
/// blocks the thread; on a single-threaded executor the thread that would
/// call `notify` never runs, and the program deadlocks. Waiting here
/// returns `Pending` with the task's waker left in a line, and a std
/// `MutexGuard` kept across the `.await` of a wait has the same problem
/// (see [`Mutex`](crate::locks::Mutex)). The lock inside `Notify` is only held for
/// a few pointer moves, never across an `.await`.
///
/// The guide is [`crate::guide::ch11_locks`]; the interleavings are checked
/// by `tests/loom_locks.rs` (`notify_*`). Left out, compared with tokio's
/// `Notify`: `notify_last`, `Notified::enable` (register without polling),
/// an owned `notified_owned`, and `const_new`.
pub struct Notify {
    state: Mutex<State>,
}

struct State {
    permit: bool,
    line: WaiterQueue<()>,
    /// The first `called` entries of `line` were chosen by notify_one.
    called: usize,
    /// Bumped by every notify_waiters.
    round: u64,
}

impl Notify {
    /// A `Notify` with no stored permit and nobody waiting.
    ///
    /// ```
    /// let n = async_primer::locks::Notify::new();
    /// n.notify_waiters(); // nobody waits: nothing happens, nothing is stored
    /// ```
    pub fn new() -> Self {
        Notify {
            state: Mutex::new(State {
                permit: false,
                line: WaiterQueue::new(),
                called: 0,
                round: 0,
            }),
        }
    }

    /// A future that completes when this `Notify` is notified. It already
    /// counts for `notify_waiters` calls made after this returns, even
    /// before it is first polled.
    ///
    /// ```
    /// let n = async_primer::locks::Notify::new();
    /// let woken = n.notified();
    /// n.notify_waiters(); // reaches `woken`, which was created before
    /// async_primer::block_on(woken);
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        let round = self.state.lock().round;
        Notified {
            notify: self,
            state: NotifiedState::New(round),
        }
    }

    /// Wakes the task that has waited longest; if nobody waits, stores one
    /// permit for the next `notified()` (several calls still store one).
    ///
    /// ```
    /// let n = async_primer::locks::Notify::new();
    /// n.notify_one();
    /// async_primer::block_on(n.notified());
    /// ```
    pub fn notify_one(&self) {
        let mut state = self.state.lock();
        let mut wake = WakeList::new();
        state.notify_one(&mut wake);
        drop(state);
        wake.wake_all();
    }

    /// Wakes every task waiting now (every `Notified` created before this
    /// call and not yet completed). Stores nothing for later ones.
    ///
    /// ```
    /// let n = async_primer::locks::Notify::new();
    /// let (a, b) = (n.notified(), n.notified());
    /// n.notify_waiters();
    /// async_primer::block_on(async { a.await; b.await });
    /// ```
    pub fn notify_waiters(&self) {
        let mut state = self.state.lock();
        state.round += 1;
        let mut wake = WakeList::new();
        let called = state.called;
        for waiter in state.line.drain_from(called) {
            wake.push(waiter.waker);
        }
        drop(state);
        wake.wake_all();
    }
}

impl State {
    fn notify_one(&mut self, wake: &mut WakeList) {
        match self.line.get_mut(self.called) {
            // Call the first waiter not called yet; it stays in line until
            // its future runs (or is dropped and passes this on).
            Some(waiter) => {
                wake.push(waiter.waker.take());
                self.called += 1;
            }
            None => self.permit = true,
        }
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Notify")
            .field("permit", &state.permit)
            .field("waiting", &(state.line.len() - state.called))
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NotifiedState {
    /// Created during notify_waiters round `r`; not polled yet.
    New(u64),
    Waiting(u64),
    Done,
}

/// Future of [`Notify::notified`].
///
/// ```
/// use std::future::Future;
/// use std::task::{Context, Waker};
/// let n = async_primer::locks::Notify::new();
/// let mut first = Box::pin(n.notified());
/// assert!(first.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
/// n.notify_one(); // chooses `first`...
/// drop(first); // ...which passes it on: it is stored as the permit
/// async_primer::block_on(n.notified());
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Notified<'a> {
    notify: &'a Notify,
    state: NotifiedState,
}

impl Future for Notified<'_> {
    type Output = ();

    #[track_caller]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.notify.state.lock();
        match self.state {
            // First poll: a notify_waiters since creation, or the permit,
            // finishes at once; otherwise join the line.
            NotifiedState::New(round) => {
                if state.round != round {
                    // fall through to Done
                } else if state.permit {
                    state.permit = false;
                } else {
                    let id = state.line.push((), cx.waker());
                    drop(state);
                    self.state = NotifiedState::Waiting(id);
                    return Poll::Pending;
                }
            }
            // In line: called by notify_one (in the front part), still
            // waiting (behind it), or taken by notify_waiters (gone).
            NotifiedState::Waiting(id) => match state.line.position(id) {
                Some(pos) if pos < state.called => {
                    state.line.remove(id);
                    state.called -= 1;
                }
                Some(_) => {
                    state.line.update_waker(id, cx.waker());
                    return Poll::Pending;
                }
                None => {}
            },
            // Misuse: it already completed.
            NotifiedState::Done => {
                drop(state);
                crate::future::polled_after_completion("Notify::notified")
            }
        }
        drop(state);
        self.state = NotifiedState::Done;
        Poll::Ready(())
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let NotifiedState::Waiting(id) = self.state else {
            return; // never in line, or finished: nothing owed
        };
        let mut state = self.notify.state.lock();
        let mut wake = WakeList::new();
        let left = match state.line.position(id) {
            // Called but never ran: pass the notify_one on.
            Some(pos) if pos < state.called => {
                state.called -= 1;
                let left = state.line.remove(id);
                state.notify_one(&mut wake);
                left
            }
            // Still waiting: just leave.
            Some(_) => state.line.remove(id),
            // Taken by notify_waiters: it wakes everybody, nothing to pass.
            None => None,
        };
        drop(state);
        drop(left); // our old waker, outside the lock
        wake.wake_all();
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("state", &self.state)
            .finish()
    }
}
