//! The engine under [`Semaphore`](super::Semaphore) and
//! [`Mutex`](super::Mutex): a count of free permits and a first-come,
//! first-served line of tasks waiting for some. A mutex is this engine with
//! one permit; the semaphore exposes it as it is. Crate-private.

// How it works
//
// Two pieces of shared state:
//
//   state:   AtomicUsize = free permits << 1 | QUEUED
//   waiters: crate::sync::Mutex<WaiterQueue<usize>>  (each entry: permits wanted)
//
// The rule that makes it FIFO and race-free: QUEUED is set exactly while
// somebody is in line (it is set and cleared only under the `waiters`
// lock, together with the push or pop that makes it true), and while it is
// set every change to the permit count happens under that lock. So a
// newcomer can never take permits from under the nose of a waiter (no
// barging), and a release can never slip permits into the count while a
// waiter is being queued (no lost wake-up): the two meet on one word.
//
// One acquire of `n` permits, as a `Ticket`:
//
//             try_take ok (nobody queued, n free)
//   Idle ───────────────────────────────────────────────> Done
//    │ not enough, or others in line:                      ^
//    │ set QUEUED, join the line                           │
//    v                                                     │
//   Waiting(id) ──── a release served us: took our n ──────┘
//    │               permits for us, popped our entry,
//    │               woke us; we see our ticket gone
//    │
//    └─ dropped (cancelled):
//         still in line  -> leave it; if we were the head, the next ones
//                           may fit now, so serve the line again
//         already served -> we own n permits nobody will use: give them
//                           back, which serves the line again (the hand-over
//                           passes on; nothing is lost, nothing stuck)
//
// A release of `n` permits: if QUEUED is clear, add them to the count
// (fast path). Otherwise, under the lock, add them and then serve the line
// from the front while the head's wish fits: subtract its permits, pop it,
// collect its waker. Wakers are woken after the lock is released. A big
// `acquire_many` at the head blocks smaller wishes behind it until it is
// served: fair to the big one, which would otherwise starve.
//
// Orderings: a release is a Release on `state` and taking permits is an
// Acquire on it, so what one holder wrote (the data a mutex guards) is
// visible to the next. A served waiter learns it was served under the
// `waiters` lock, after the server's AcqRel read-modify-writes of `state`
// under that same lock, so the chain holds through the hand-over too.
//
// Rejected: waiters that take the permits they find and wait for the rest
// (tokio's way); it needs per-waiter atomic counters. Here a served waiter
// gets all its permits at once, under the lock.

use std::task::{Context, Poll};

use super::waiter_queue::{WaiterQueue, WakeList};
use crate::sync::Mutex;
use crate::sync::atomic::{AtomicUsize, Ordering::*};

/// Set while the line of waiters is not empty.
const QUEUED: usize = 1;
/// The permit count lives above the QUEUED bit.
const SHIFT: u32 = 1;

/// The largest number of permits the count can hold.
pub(crate) const MAX_PERMITS: usize = usize::MAX >> SHIFT;

/// Free permits and the line of tasks waiting for them.
#[derive(Debug)]
pub(crate) struct Permits {
    state: AtomicUsize,
    waiters: Mutex<WaiterQueue<usize>>,
}

impl Permits {
    #[track_caller]
    pub(crate) fn new(permits: usize) -> Self {
        assert!(
            permits <= MAX_PERMITS,
            "Semaphore::new({permits}): at most Semaphore::MAX_PERMITS ({MAX_PERMITS}) permits"
        );
        Permits {
            state: AtomicUsize::new(permits << SHIFT),
            waiters: Mutex::new(WaiterQueue::new()),
        }
    }

    /// Free permits right now (a snapshot; it may change at once).
    pub(crate) fn available(&self) -> usize {
        // Relaxed: a number for the caller to look at, it orders nothing.
        self.state.load(Relaxed) >> SHIFT
    }

    /// Adds `n` permits, handing them to waiters first.
    #[track_caller]
    pub(crate) fn release(&self, n: usize) {
        if n == 0 || self.release_fast(n) {
            return;
        }
        let mut queue = self.waiters.lock();
        let mut wake = WakeList::new();
        self.release_locked(&mut queue, n, &mut wake);
        drop(queue);
        wake.wake_all();
    }

    /// Under the lock: adds `n` (maybe 0) permits, then serves the line
    /// from the front while the head's wish fits.
    #[track_caller]
    fn release_locked(&self, queue: &mut WaiterQueue<usize>, n: usize, wake: &mut WakeList) {
        // AcqRel: Release publishes our writes to whoever takes these
        // permits; Acquire carries the writes of earlier fast-path releases
        // (their permits are in the count) on to the waiters we serve.
        let mut cur = self.add(n, AcqRel);
        while let Some(head) = queue.front() {
            let want = head.data;
            if cur >> SHIFT < want {
                break; // FIFO: nobody behind a head that does not fit
            }
            // QUEUED is set (the line is not empty), so nobody else changes
            // the count now; AcqRel for the same chain as above.
            cur = self.state.fetch_sub(want << SHIFT, AcqRel) - (want << SHIFT);
            let served = queue.pop_front().expect("front() was Some");
            wake.push(served.waker);
        }
        if queue.is_empty() && cur & QUEUED != 0 {
            // Relaxed: the flag publishes nothing; the lock orders the line.
            self.state.fetch_and(!QUEUED, Relaxed);
        }
    }

    /// Adds `n` permits to the count with `order`; returns the new state.
    #[track_caller]
    fn add(&self, n: usize, order: std::sync::atomic::Ordering) -> usize {
        let mut cur = self.state.load(Relaxed);
        loop {
            let free = cur >> SHIFT;
            assert!(
                n <= MAX_PERMITS - free,
                "Semaphore: adding {n} permits to {free} would pass MAX_PERMITS ({MAX_PERMITS})"
            );
            let new = cur + (n << SHIFT);
            // Relaxed on failure: we only retry with the value we saw.
            match self.state.compare_exchange_weak(cur, new, order, Relaxed) {
                Ok(_) => return new,
                Err(actual) => cur = actual,
            }
        }
    }

    // Speed: the two lock-free fast paths, `try_take` (an acquire that
    // finds permits and nobody in line) and `release_fast` (a release with
    // nobody in line). Each is one compare-and-swap on `state` instead of a
    // lock, a queue check and an unlock. Measured with
    // `cargo bench --bench peers -- locks` against the same code with both
    // skipped (everything under the lock), ns per op, medians of 21 rounds:
    //   locks_mutex_uncontended       41.2 -> 20.3  (-51%)
    //   locks_semaphore_uncontended   46.2 -> 25.7  (-44%)
    //   locks_mutex_yield_unlocked    57.1 -> 43.3  (-24%)
    //   the rows where tasks wait in line: unchanged (they take the lock).

    /// Takes `n` permits if that many are free and nobody is in line.
    pub(crate) fn try_take(&self, n: usize) -> bool {
        let mut cur = self.state.load(Relaxed);
        loop {
            if cur & QUEUED != 0 || cur >> SHIFT < n {
                return false; // not enough, or it would jump the line
            }
            // Acquire: pairs with the Release of the release that freed
            // these permits, so we see what the previous holder wrote.
            match self
                .state
                .compare_exchange_weak(cur, cur - (n << SHIFT), Acquire, Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Gives back `n` permits if nobody is in line; `false` if somebody is
    /// (then the caller serves the line under the lock).
    #[track_caller]
    fn release_fast(&self, n: usize) -> bool {
        let mut cur = self.state.load(Relaxed);
        loop {
            if cur & QUEUED != 0 {
                return false;
            }
            let free = cur >> SHIFT;
            assert!(
                n <= MAX_PERMITS - free,
                "Semaphore: adding {n} permits to {free} would pass MAX_PERMITS ({MAX_PERMITS})"
            );
            // Release: publishes our writes to the next `try_take`'s Acquire.
            match self
                .state
                .compare_exchange_weak(cur, cur + (n << SHIFT), Release, Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    // End of the Speed section.
}

/// Where one acquire of `n` permits stands (see the diagram above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TicketState {
    Idle,
    Waiting(u64),
    Done,
}

/// One acquire of `n` permits: the state machine inside the `Acquire`,
/// `AcquireOwned` and `Lock` futures. They call `poll` from their `poll`
/// and `cancel` from their `Drop`.
#[derive(Debug)]
pub(crate) struct Ticket {
    n: usize,
    state: TicketState,
}

impl Ticket {
    #[track_caller]
    pub(crate) fn new(n: usize) -> Self {
        assert!(
            n <= MAX_PERMITS,
            "Semaphore::acquire_many({n}): more than MAX_PERMITS ({MAX_PERMITS}) can never be free"
        );
        Ticket {
            n,
            state: TicketState::Idle,
        }
    }

    /// How many permits this ticket asks for.
    pub(crate) fn permits(&self) -> usize {
        self.n
    }

    /// `Ready` once the `n` permits are ours; panics if polled after that,
    /// naming `what` (the future's type).
    #[track_caller]
    pub(crate) fn poll(
        &mut self,
        permits: &Permits,
        cx: &mut Context<'_>,
        what: &'static str,
    ) -> Poll<()> {
        let polled = self.poll_inner(permits, cx, what);
        if polled.is_pending() {
            // For the executor's stall report.
            let waits_for = match what {
                "Mutex::lock" => "the lock of a Mutex",
                _ => "permits of a Semaphore",
            };
            crate::executor::note_wait(waits_for, None, None, None);
        }
        polled
    }

    #[track_caller]
    fn poll_inner(&mut self, permits: &Permits, cx: &mut Context<'_>, what: &str) -> Poll<()> {
        match self.state {
            // First poll: no lock when permits are free and nobody waits.
            TicketState::Idle => {
                if permits.try_take(self.n) {
                    self.state = TicketState::Done;
                    return Poll::Ready(());
                }
                self.join_line(permits, cx)
            }
            // In line: served if our ticket is gone, else keep waiting
            // (with the newest waker: the task may have moved).
            TicketState::Waiting(id) => {
                if permits.waiters.lock().update_waker(id, cx.waker()) {
                    return Poll::Pending;
                }
                self.state = TicketState::Done;
                Poll::Ready(())
            }
            // Misuse: the permits were handed out already.
            TicketState::Done => crate::future::polled_after_completion(what),
        }
    }

    /// The slow path of the first poll, under the lock: take the permits
    /// if nobody is in line and enough are free, else join the line.
    fn join_line(&mut self, permits: &Permits, cx: &mut Context<'_>) -> Poll<()> {
        let n = self.n;
        let mut queue = permits.waiters.lock();
        let mut cur = permits.state.load(Relaxed);
        loop {
            if queue.is_empty() && cur >> SHIFT >= n {
                // Acquire: as in `try_take` (a fast release may have just
                // freed these permits).
                match permits
                    .state
                    .compare_exchange_weak(cur, cur - (n << SHIFT), Acquire, Relaxed)
                {
                    Ok(_) => {
                        self.state = TicketState::Done;
                        return Poll::Ready(());
                    }
                    Err(actual) => cur = actual,
                }
            } else if cur & QUEUED != 0 {
                break; // others are in line, the flag is already up
            } else {
                // Raise the flag before joining: from now on a release
                // must take the lock, and will find us in line. Relaxed:
                // the lock orders the line; a failed CAS means a fast
                // release or acquire moved the count: look again.
                match permits
                    .state
                    .compare_exchange_weak(cur, cur | QUEUED, Relaxed, Relaxed)
                {
                    Ok(_) => break,
                    Err(actual) => cur = actual,
                }
            }
        }
        let id = queue.push(n, cx.waker());
        self.state = TicketState::Waiting(id);
        Poll::Pending
    }

    /// Called from the owning future's `Drop`: leave the line, or hand the
    /// permits we were served (and never used) to the next in line.
    pub(crate) fn cancel(&mut self, permits: &Permits) {
        let TicketState::Waiting(id) = self.state else {
            return; // never queued, or finished: nothing is owed
        };
        self.state = TicketState::Done;
        let mut queue = permits.waiters.lock();
        let left = queue.remove(id);
        let owned = match left {
            // Still waiting: we own nothing, but if we were the head, the
            // ones behind us may fit now.
            Some(_) => 0,
            // Served while nobody was polling us: give the permits back.
            None => self.n,
        };
        let mut wake = WakeList::new();
        permits.release_locked(&mut queue, owned, &mut wake);
        drop(queue);
        drop(left); // our old waker, outside the lock
        wake.wake_all();
    }
}
