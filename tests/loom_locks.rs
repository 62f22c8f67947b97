//! Loom models for `async_primer::locks` (src/locks/): the permit engine
//! under `Mutex` and `Semaphore` (src/locks/permits.rs: an atomic count
//! word with a QUEUED flag, and a waiter line behind a mutex), `Notify`
//! and `Barrier` (a waiter line behind a mutex each).
//!
//! Run: `RUSTFLAGS="--cfg async_primer_loom" LOOM_MAX_PREEMPTIONS=2
//! cargo test --release --test loom_locks`.
//!
//! Which bug each model would catch. Each bug marked "seeded" was put into
//! the code on purpose, the models run, and the ones named failed (then
//! the bug was reverted; see notes/locks.md):
//!
//! | model | the bug it catches |
//! |---|---|
//! | `notify_one_racing_notified` | a `notify_one` lost between the waiter looking for the permit and joining the line. Seeded: `notify_one` not storing the permit when nobody waits (removed wake) -> fails |
//! | `notify_waiters_racing_first_poll` | a `Notified` created before `notify_waiters` missing it because its first poll came after |
//! | `chosen_notified_dropped_racing_notify_one` | a `notify_one` lost when the waiter it chose is dropped before running. Seeded: no pass-on in `Notified::drop` -> fails |
//! | `mutex_unlock_racing_lock` | a lost wake-up between a `lock` that found the mutex held and the unlock; the holder's write not visible to the next holder. Seeded: joining the line with a blind `fetch_or(QUEUED)` (removed re-check of the count) -> fails; the fast release as a load + store (split RMW) -> fails |
//! | `mutex_cancel_while_handed_over` | the lock lost or stuck when the waiter it is handed to is cancelled at that moment. Seeded: a served ticket that is dropped not giving its permit back -> fails |
//! | `mutex_two_tasks_increment` | two threads each `lock().await` and increment: lost wake-ups (loom reports both threads parked) and data races on the guarded value. Seeded: removed re-check -> deadlock; split RMW -> fails; `try_take` with Relaxed instead of Acquire -> "Causality violation: concurrent write accesses to UnsafeCell" |
//! | `semaphore_cancel_racing_release` | permits lost or duplicated when an `acquire_many` is cancelled while a release serves it. Seeded: a served ticket not giving its permits back -> fails (1 permit where 2 are due) |
//! | `semaphore_release_racing_acquire` | a lost wake-up between a release and an acquire joining the line; the count ends where it started. Seeded: split RMW -> fails |
//! | `semaphore_many_and_one_from_two_threads` | unequal wishes from two threads; polls and wakes counted, the count ends where it started. Seeded: split RMW -> fails |
//! | `cancelled_queued_acquire_racing_release_and_fast_release` | a permit lost or duplicated when a release adds under the lock (it found somebody in line, who was then cancelled: the line is empty, the flag down) while another thread releases on the lock-free path. Seeded: `Permits::add` as a load and a store (split RMW, tests/seeded_bugs/permits-add-split.patch) -> fails |
//! | `barrier_two_threads` | exactly one leader, the other waited once and was woken once. Seeded: the last arrival not waking the line (removed wake) -> fails |
//! | `barrier_cancel_racing_arrival` | an arrival taken back (dropped wait) racing the arrival that completes the round. Seeded: the drop not taking the arrival back -> fails; removed wake -> fails |
//!
//! Each model asserts counts: wakes per waker, permits left, values
//! written, leaders.

// Only loom builds compile the models; the docs above come first so that a
// normal build, where this file is empty, still has crate docs.
#![cfg(async_primer_loom)]

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc as StdArc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};

use async_primer::locks::{Barrier, Mutex, Notify, Semaphore};
use loom::thread;

// The primitives are shared through std's `Arc` (the owned-permit API takes
// one) or leaked (a guard or a future that borrows a lock and moves to
// another thread needs `'static`). Both are fine under loom: it checks its
// own objects (the mutexes and atomics inside the locks), and leak checks
// cover only loom's `Arc` and allocations.
use std::sync::Arc;

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

/// A waker that unparks a loom thread (and counts), for `block_on` below.
struct Unparker {
    thread: thread::Thread,
    count: AtomicUsize,
}
impl Wake for Unparker {
    fn wake(self: StdArc<Self>) {
        self.count.fetch_add(1, SeqCst);
        self.thread.unpark();
    }
}

/// Runs `f` to completion on this loom thread, parking while it waits (a
/// lost wake-up leaves every thread parked, which loom reports as a
/// deadlock); returns its output with the number of polls and wakes.
fn block_on<F: Future>(f: F) -> (F::Output, usize, usize) {
    let unparker = StdArc::new(Unparker {
        thread: thread::current(),
        count: AtomicUsize::new(0),
    });
    let waker = Waker::from(unparker.clone());
    let mut f = std::pin::pin!(f);
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(out) = f.as_mut().poll(&mut Context::from_waker(&waker)) {
            return (out, polls, unparker.count.load(SeqCst));
        }
        thread::park();
    }
}

/// Counts wakes. (Plain std atomics are fine: loom runs every thread of a
/// model on one OS thread, and we only read the counts after `join`.)
#[derive(Default)]
struct Counter(AtomicUsize);
impl Wake for Counter {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}
fn counting() -> (StdArc<Counter>, Waker) {
    let c = StdArc::new(Counter::default());
    (c.clone(), Waker::from(c))
}
fn wakes(c: &Counter) -> usize {
    c.0.load(SeqCst)
}
fn poll<F: Future + Unpin>(f: &mut F, w: &Waker) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(w))
}

// ---------------------------------------------------------------- Notify

#[test]
fn notify_one_racing_notified() {
    common::loom_model(|| {
        let n = Arc::new(Notify::new());
        let (count, waker) = counting();
        let notifier = thread::spawn({
            let n = n.clone();
            move || n.notify_one()
        });
        let mut f = n.notified();
        let first = poll(&mut f, &waker);
        notifier.join().unwrap();
        match first {
            // The permit was there first: no wake needed, none happened.
            Poll::Ready(()) => assert_eq!(wakes(&count), 0),
            // We waited first: woken once, then done.
            Poll::Pending => {
                assert_eq!(wakes(&count), 1);
                assert_eq!(poll(&mut f, &waker), Poll::Ready(()));
            }
        }
        // Used exactly once: nothing left over for the next one.
        assert!(poll(&mut n.notified(), Waker::noop()).is_pending());
    });
}

#[test]
fn notify_waiters_racing_first_poll() {
    common::loom_model(|| {
        let n = Arc::new(Notify::new());
        let (count, waker) = counting();
        let mut f = n.notified(); // created before the call: must be reached
        let notifier = thread::spawn({
            let n = n.clone();
            move || n.notify_waiters()
        });
        let first = poll(&mut f, &waker);
        notifier.join().unwrap();
        match first {
            Poll::Ready(()) => assert_eq!(wakes(&count), 0),
            Poll::Pending => {
                assert_eq!(wakes(&count), 1);
                assert_eq!(poll(&mut f, &waker), Poll::Ready(()));
            }
        }
        // notify_waiters stores nothing.
        assert!(poll(&mut n.notified(), Waker::noop()).is_pending());
    });
}

#[test]
fn chosen_notified_dropped_racing_notify_one() {
    common::loom_model(|| {
        let n = Arc::new(Notify::new());
        let (ca, wa) = counting();
        let (cb, wb) = counting();
        let mut a = n.notified();
        let mut b = n.notified();
        assert!(poll(&mut a, &wa).is_pending());
        assert!(poll(&mut b, &wb).is_pending());
        let notifier = thread::spawn({
            let n = n.clone();
            move || n.notify_one()
        });
        drop(a); // before or after it was chosen
        notifier.join().unwrap();
        // Either way the one notification ends with `b`, exactly once.
        assert!(wakes(&ca) <= 1);
        assert_eq!(wakes(&cb), 1);
        assert_eq!(poll(&mut b, &wb), Poll::Ready(()));
        assert!(poll(&mut n.notified(), Waker::noop()).is_pending());
    });
}

// ----------------------------------------------------------------- Mutex

#[test]
fn mutex_unlock_racing_lock() {
    common::loom_model(|| {
        let m = leak(Mutex::new(0u32));
        let (count, waker) = counting();
        let mut guard = m.try_lock().unwrap();
        *guard += 1;
        let unlocker = thread::spawn(move || {
            // The guard moved here (it is Send): write, then unlock.
            *guard += 1;
            drop(guard);
        });
        let mut lock = m.lock();
        let first = poll(&mut lock, &waker);
        let mut g = match first {
            // Unlocked first: we took it on the fast path or in line.
            Poll::Ready(g) => {
                unlocker.join().unwrap();
                assert_eq!(wakes(&count), 0);
                g
            }
            // We joined the line first: the unlock must wake us, once.
            Poll::Pending => {
                unlocker.join().unwrap();
                assert_eq!(wakes(&count), 1);
                match poll(&mut lock, &waker) {
                    Poll::Ready(g) => g,
                    Poll::Pending => panic!("woken but the lock was not handed over"),
                }
            }
        };
        assert_eq!(*g, 2, "the holder's writes are visible to the next holder");
        *g += 1;
        drop(g);
        assert_eq!(*m.try_lock().expect("the mutex ends free"), 3);
    });
}

#[test]
fn mutex_cancel_while_handed_over() {
    common::loom_model(|| {
        let m = leak(Mutex::new(0u32));
        let (c1, w1) = counting();
        let (c2, w2) = counting();
        let guard = m.try_lock().unwrap();
        let mut first = m.lock();
        let mut second = m.lock();
        assert!(poll(&mut first, &w1).is_pending());
        assert!(poll(&mut second, &w2).is_pending());
        let unlocker = thread::spawn(move || drop(guard)); // hands it to `first`
        drop(first); // cancelled: before the hand-over, or after it
        unlocker.join().unwrap();
        assert!(wakes(&c1) <= 1);
        // Whichever came first, `second` gets the lock, woken exactly once.
        assert_eq!(wakes(&c2), 1);
        let Poll::Ready(mut g) = poll(&mut second, &w2) else {
            panic!("the lock was lost in the cancelled hand-over");
        };
        *g += 1;
        drop(g);
        assert_eq!(*m.try_lock().expect("the mutex ends free"), 1);
    });
}

#[test]
fn mutex_two_tasks_increment() {
    common::loom_model(|| {
        let m = Arc::new(Mutex::new(0u32));
        let other = thread::spawn({
            let m = m.clone();
            move || block_on(async move { *m.lock().await += 1 })
        });
        let ((), polls, wakes) = block_on(async { *m.lock().await += 1 });
        // Each waited at most once, and was woken exactly when it waited.
        assert!(
            polls <= 2 && wakes == polls - 1,
            "{polls} polls, {wakes} wakes"
        );
        let ((), polls, wakes) = other.join().unwrap();
        assert!(
            polls <= 2 && wakes == polls - 1,
            "{polls} polls, {wakes} wakes"
        );
        assert_eq!(*m.try_lock().expect("the mutex ends free"), 2);
    });
}

// ------------------------------------------------------------- Semaphore

#[test]
fn semaphore_cancel_racing_release() {
    common::loom_model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let (cb, wb) = counting();
        let mut big = sem.acquire_many(2);
        let mut small = sem.acquire();
        assert!(poll(&mut big, Waker::noop()).is_pending());
        assert!(poll(&mut small, &wb).is_pending());
        let releaser = thread::spawn({
            let sem = sem.clone();
            move || sem.add_permits(2)
        });
        drop(big); // cancelled while the release may be serving it
        releaser.join().unwrap();
        // Whatever the order, `small` is served once and one permit is free.
        assert_eq!(wakes(&cb), 1);
        let Poll::Ready(p) = poll(&mut small, &wb) else {
            panic!("small was not served");
        };
        assert_eq!(sem.available_permits(), 1);
        drop(p);
        assert_eq!(sem.available_permits(), 2, "permits lost or duplicated");
    });
}

#[test]
fn semaphore_release_racing_acquire() {
    common::loom_model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let (count, waker) = counting();
        let held = sem.clone().try_acquire_owned().unwrap();
        let releaser = thread::spawn(move || drop(held));
        let mut acq = sem.acquire();
        let first = poll(&mut acq, &waker);
        releaser.join().unwrap();
        let p = match first {
            Poll::Ready(p) => {
                assert_eq!(wakes(&count), 0);
                p
            }
            Poll::Pending => {
                assert_eq!(wakes(&count), 1);
                let Poll::Ready(p) = poll(&mut acq, &waker) else {
                    panic!("woken without the permit");
                };
                p
            }
        };
        assert_eq!(sem.available_permits(), 0);
        drop(p);
        assert_eq!(sem.available_permits(), 1);
    });
}

#[test]
fn semaphore_many_and_one_from_two_threads() {
    common::loom_model(|| {
        let sem = Arc::new(Semaphore::new(2));
        let other = thread::spawn({
            let sem = sem.clone();
            move || {
                block_on(async {
                    let p = sem.acquire_many(2).await;
                    assert_eq!(p.num_permits(), 2);
                })
            }
        });
        let ((), polls, wakes) = block_on(async {
            let p = sem.acquire().await;
            assert_eq!(p.num_permits(), 1);
        });
        assert!(
            polls <= 2 && wakes == polls - 1,
            "{polls} polls, {wakes} wakes"
        );
        let ((), polls, wakes) = other.join().unwrap();
        assert!(
            polls <= 2 && wakes == polls - 1,
            "{polls} polls, {wakes} wakes"
        );
        assert_eq!(sem.available_permits(), 2, "permits lost or duplicated");
    });
}

/// The one window where a release adds permits under the lock while the
/// fast paths run: a release that found somebody in line (QUEUED up)
/// waits for the lock, and meanwhile the one in line is cancelled, which
/// empties the line and lowers the flag. The release then adds its permit
/// under the lock while a third thread's release takes the lock-free path.
#[test]
fn cancelled_queued_acquire_racing_release_and_fast_release() {
    common::loom_model(|| {
        let sem = Arc::new(Semaphore::new(2));
        let slow = sem.clone().try_acquire_owned().unwrap();
        let fast = sem.clone().try_acquire_owned().unwrap();
        let mut queued = sem.acquire();
        assert!(poll(&mut queued, Waker::noop()).is_pending()); // in line: QUEUED up
        let releasers = [
            thread::spawn(move || drop(slow)),
            thread::spawn(move || drop(fast)),
        ];
        drop(queued); // cancelled: leaves the line, or gives back what it was served
        for r in releasers {
            r.join().unwrap();
        }
        assert_eq!(sem.available_permits(), 2, "permits lost or duplicated");
    });
}

// --------------------------------------------------------------- Barrier

#[test]
fn barrier_two_threads() {
    common::loom_model(|| {
        let b = Arc::new(Barrier::new(2));
        let other = thread::spawn({
            let b = b.clone();
            move || block_on(b.wait())
        });
        let (mine, polls, wakes) = block_on(b.wait());
        let (theirs, their_polls, their_wakes) = other.join().unwrap();
        let (mine, theirs) = (mine.is_leader(), theirs.is_leader());
        // The leader arrived last and never waited; the other waited once.
        let (leader_polls, other_polls) = if mine {
            (polls, their_polls)
        } else {
            (their_polls, polls)
        };
        assert_eq!((leader_polls, other_polls), (1, 2));
        assert_eq!(wakes + their_wakes, 1);
        assert_eq!(mine as u8 + theirs as u8, 1, "exactly one leader");
    });
}

#[test]
fn barrier_cancel_racing_arrival() {
    common::loom_model(|| {
        let b = leak(Barrier::new(2));
        let (c1, w1) = counting();
        let mut early = b.wait();
        assert!(poll(&mut early, &w1).is_pending());
        let arriver = thread::spawn({
            move || {
                let mut late = b.wait();
                let (c2, w2) = counting();
                let first = poll(&mut late, &w2);
                (late, first.map(|r| r.is_leader()), c2, w2)
            }
        });
        drop(early); // leaves: before the round completes, or after
        let (mut late, first, c2, w2) = arriver.join().unwrap();
        match first {
            // The late one completed the round (leading it) before the
            // drop: the early one was released, the drop undid nothing.
            Poll::Ready(leader) => {
                assert!(leader);
                assert_eq!(wakes(&c1), 1);
            }
            // The early one left first: the late one waits for a partner.
            Poll::Pending => {
                assert_eq!(wakes(&c1), 0);
                let mut third = b.wait();
                let Poll::Ready(r) = poll(&mut third, Waker::noop()) else {
                    panic!("the dropped arrival still counted");
                };
                assert!(r.is_leader());
                assert_eq!(wakes(&c2), 1);
                assert_eq!(
                    poll(&mut late, &w2).map(|r| r.is_leader()),
                    Poll::Ready(false)
                );
            }
        }
    });
}
