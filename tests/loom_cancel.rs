//! Loom models for `async_primer::cancel`: the token's waiter list and
//! tree (src/cancel/token_node.rs) and the `JoinSet`'s ready list
//! (src/cancel/join_set.rs, ready_list.rs). Run with:
//!
//! ```text
//! RUSTFLAGS="--cfg async_primer_loom" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release --test loom_cancel
//! ```
//!
//! | model | the bug it would catch |
//! |---|---|
//! | `cancel_racing_wait_registration` | a lost wake-up: a waiter registered after the canceller took the list (the re-check under the lock removed), a canceller that forgets to wake (removed wake), a CANCELLED bit erased by a load + store instead of one `fetch_or` (split RMW) |
//! | `two_cancels_wake_once` | a waiter woken twice (or never) when two threads cancel at once |
//! | `what_the_canceller_wrote_is_seen_once_cancelled` | `cancel`'s `Release` on CANCELLED weakened to `Relaxed`: a task that sees the token cancelled need not see what the canceller wrote before (seeded as `token-cancel-relaxed`) |
//! | `child_token_racing_parent_cancel` | a child made while its parent is being cancelled that is never cancelled (the child's re-check) |
//! | `child_dropped_racing_parent_cancel` | unlinking a dropped child losing its own children (a grandchild never cancelled), or the parent <-> child `Arc` cycle leaking (loom's leak check) |
//! | `join_set_remote_wakes_racing_join_next` | a result lost when several tasks finish in one drain and `join_next` returns the first (the drained indices forgotten), a handle polled with no wake, a lost wake of the `join_next` task |
//! | `join_set_abort_racing_remote_wake` | an aborted task polled again, its future dropped twice or never, a result counted twice |
//!
//! Seeded bugs, each run once and reverted: removed re-check (in
//! `lock_watched`) fails `cancel_racing_wait_registration` and
//! `child_token_racing_parent_cancel`; removed wake (cancel drops the
//! wakers) fails those two and `two_cancels_wake_once`; split RMW (load +
//! store of LISTED) fails `cancel_racing_wait_registration` and
//! `child_token_racing_parent_cancel`; forgotten drained indices
//! (`queue.clear()` after a result) fails
//! `join_set_remote_wakes_racing_join_next` (loom: deadlock). Registering
//! the `join_next` waker *after* draining is not caught, and is not a bug
//! today: an entry's waker is the one its `JoinHandle` holds, which the
//! executor wakes on its own thread when the task completes, never during
//! the `join_next` poll; the code registers first anyway, so that stays
//! true if handles ever complete from another thread.
//!
//! The executor is single-threaded, but wakers fire from any thread: the
//! `JoinSet` models complete their tasks through a oneshot sent from
//! another thread, so the task's wake, the executor's parking and the
//! `join_next` poll interleave. Counts are kept with std atomics (read
//! after `join`), wakes by a counting waker.
#![cfg(async_primer_loom)]

mod common;

use async_primer::cancel::{CancellationToken, JoinSet};
use async_primer::channel::oneshot;
use async_primer::executor::Executor;
use loom::thread;
use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc as StdArc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Wake, Waker};

#[derive(Default)]
struct Counter(AtomicUsize);
impl Wake for Counter {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting_waker() -> (StdArc<Counter>, Waker) {
    let counter = StdArc::new(Counter::default());
    let waker = Waker::from(counter.clone());
    (counter, waker)
}

/// Polls `token.cancelled()` once while `other` runs on a second thread,
/// then checks: the token is cancelled, and the waker was woken exactly
/// once if the first poll was Pending (never if it was Ready).
fn wait_while(token: &CancellationToken, other: thread::JoinHandle<()>) {
    let (wakes, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut wait = pin!(token.cancelled());
    let first = wait.as_mut().poll(&mut cx);
    other.join().unwrap();
    assert!(token.is_cancelled(), "the cancel was lost");
    let expected = if first.is_pending() { 1 } else { 0 };
    assert_eq!(
        wakes.0.load(SeqCst),
        expected,
        "wakes (first poll {first:?})"
    );
    assert!(wait.as_mut().poll(&mut cx).is_ready());
}

#[test]
fn cancel_racing_wait_registration() {
    common::loom_model(|| {
        let token = CancellationToken::new();
        let remote = token.clone();
        let t = thread::spawn(move || remote.cancel());
        wait_while(&token, t);
    });
}

#[test]
fn two_cancels_wake_once() {
    common::loom_model(|| {
        let token = CancellationToken::new();
        let (wakes, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let mut wait = pin!(token.cancelled());
        assert!(wait.as_mut().poll(&mut cx).is_pending());
        let (a, b) = (token.clone(), token.clone());
        let ta = thread::spawn(move || a.cancel());
        let tb = thread::spawn(move || b.cancel());
        ta.join().unwrap();
        tb.join().unwrap();
        assert_eq!(wakes.0.load(SeqCst), 1);
        assert!(wait.as_mut().poll(&mut cx).is_ready());
    });
}

#[test]
fn child_token_racing_parent_cancel() {
    common::loom_model(|| {
        let parent = CancellationToken::new();
        let remote = parent.clone();
        let t = thread::spawn(move || remote.cancel());
        let child = parent.child_token();
        wait_while(&child, t);
        // And never the reverse: a child's cancel leaves a parent alone.
        let other = CancellationToken::new();
        other.child_token().cancel();
        assert!(!other.is_cancelled());
    });
}

#[test]
fn child_dropped_racing_parent_cancel() {
    common::loom_model(|| {
        let root = CancellationToken::new();
        let mid = root.child_token();
        let leaf = mid.child_token();
        let sibling = root.child_token();
        // `mid` loses its last handle while `root` is cancelled: it must
        // stay linked (for `leaf`), and nothing may leak either way.
        let t = thread::spawn(move || drop(mid));
        let t2 = thread::spawn(move || drop(sibling));
        root.cancel();
        t.join().unwrap();
        t2.join().unwrap();
        assert!(leaf.is_cancelled());
    });
}

/// A future that counts its polls around an inner one.
fn counted<F: Future>(polls: Rc<Cell<usize>>, inner: F) -> impl Future<Output = F::Output> {
    let mut inner = Box::pin(inner);
    poll_fn(move |cx| {
        polls.set(polls.get() + 1);
        inner.as_mut().poll(cx)
    })
}

#[test]
fn join_set_remote_wakes_racing_join_next() {
    common::loom_model(|| {
        let ex = Executor::new();
        let (tx1, rx1) = oneshot::<usize>();
        let (tx2, rx2) = oneshot::<usize>();
        let polls = [Rc::new(Cell::new(0)), Rc::new(Cell::new(0))];
        let sender = thread::spawn(move || {
            tx1.send(1).unwrap();
            tx2.send(2).unwrap();
        });
        let (p1, p2) = (polls[0].clone(), polls[1].clone());
        // The joiner is an ordinary task (not block_on's own future), so
        // both children can finish in one turn before it runs: one drain
        // then finds two entries.
        let joiner = ex.spawn(async move {
            let mut set = JoinSet::new();
            set.spawn(counted(p1, async move { rx1.await.unwrap() }));
            set.spawn(counted(p2, async move { rx2.await.unwrap() }));
            let a = set.join_next().await.unwrap().unwrap();
            let b = set.join_next().await.unwrap().unwrap();
            assert!(set.join_next().await.is_none());
            vec![a, b]
        });
        let mut results = ex.block_on(joiner).unwrap();
        sender.join().unwrap();
        results.sort();
        assert_eq!(results, [1, 2]);
        for p in &polls {
            // One poll if the value was already there, else Pending + Ready.
            assert!((1..=2).contains(&p.get()), "{} polls", p.get());
        }
        assert_eq!(ex.tasks(), 0);
    });
}

#[test]
fn join_set_abort_racing_remote_wake() {
    common::loom_model(|| {
        let ex = Executor::new();
        let (tx, rx) = oneshot::<usize>();
        let drops = Rc::new(Cell::new(0));
        struct OnDrop(Rc<Cell<usize>>);
        impl Drop for OnDrop {
            fn drop(&mut self) {
                self.0.set(self.0.get() + 1);
            }
        }
        let guard = OnDrop(drops.clone());
        let sender = thread::spawn(move || {
            let _ = tx.send(7);
        });
        let result = ex.block_on(async move {
            let mut set = JoinSet::new();
            set.spawn(async move {
                let _guard = guard;
                rx.await.unwrap()
            });
            async_primer::yield_now().await; // the task polls once
            set.abort_all();
            let r = set.join_next().await.unwrap();
            assert!(set.join_next().await.is_none());
            r
        });
        sender.join().unwrap();
        match result {
            Ok(v) => assert_eq!(v, 7),
            Err(e) => assert!(e.is_aborted()),
        }
        assert_eq!(drops.get(), 1, "the task's future dropped exactly once");
        // A remote wake that raced the abort may still sit in the inbox,
        // keeping the finished task listed until the executor next looks.
        ex.run_until_stalled();
        assert_eq!(ex.tasks(), 0);
    });
}

/// What the canceller wrote before `cancel` is visible to whoever sees the
/// token cancelled. The waiter polls `cancelled()` while the canceller
/// runs and never joins it before reading: only the token's own
/// Release / Acquire orders the write (a `join`, or a wake through the
/// executor's inbox mutex, would order it by itself and hide a weakened
/// cancel).
#[test]
fn what_the_canceller_wrote_is_seen_once_cancelled() {
    common::loom_model(|| {
        let token = CancellationToken::new();
        let reason = loom::sync::Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let canceller = {
            let (token, reason) = (token.clone(), reason.clone());
            thread::spawn(move || {
                // Relaxed: only the cancel may publish it.
                reason.store(7, loom::sync::atomic::Ordering::Relaxed);
                token.cancel();
            })
        };
        let (_wakes, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let mut wait = pin!(token.cancelled());
        if wait.as_mut().poll(&mut cx).is_ready() {
            // Seen cancelled: the reason must be there.
            let seen = reason.load(loom::sync::atomic::Ordering::Relaxed);
            assert_eq!(
                seen, 7,
                "saw the token cancelled but not the write before cancel"
            );
        }
        if token.is_cancelled() {
            let seen = reason.load(loom::sync::atomic::Ordering::Relaxed);
            assert_eq!(
                seen, 7,
                "saw the token cancelled but not the write before cancel"
            );
        }
        canceller.join().unwrap();
    });
}
