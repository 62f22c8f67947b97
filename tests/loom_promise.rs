//! Loom models of the promise's shared state (src/promise/state.rs) and of
//! the way a settle on another thread reaches the registering executor
//! (src/promise/home.rs). Run:
//!
//! ```text
//! RUSTFLAGS="--cfg async_primer_loom" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release --test loom_promise
//! ```
//!
//! | model | the bug it would catch |
//! |---|---|
//! | `resolve_races_await` | a lost wake-up: the waker registered between "still pending" and "settled" is never woken (the await hangs), or woken twice; a torn read of the outcome |
//! | `dropped_resolver_races_await` | a broken promise nobody hears about: the resolver's drop misses the waiter, or settles twice |
//! | `two_clones_awaited_from_two_threads` | the second waiter overwriting the first (one waker slot), a waiter woken twice or never, a clone seeing another value |
//! | `reactions_run_once_in_order_while_resolved_elsewhere` | a reaction run twice or never, or out of registration order, when the resolve comes from another thread while the executor is not running (posted to the courier's mail, run at the next `block_on`) |
//! | `last_handle_drop_races_reject` | an unhandled rejection reported twice or never when the last handle is dropped while another thread rejects. It caught a first version that kept "rejected" and "no handles left" in two atomics and relied on `SeqCst` between them (which loom models as the weaker `AcqRel`); both facts now live in one atomic word |
//! | `handle_clone_and_drop_race_the_fast_settle` | the reference counting off by one: the value freed twice, or never (counted by the value's `Drop`) |
//! | `settle_from_another_thread_races_the_drain_and_parking` | a lost reaction: the settle posts to the courier between its "nothing posted" and "store my waker" (the executor then parks forever), a reaction run twice or never, a value leaked or dropped twice |
//! | `repolled_with_a_new_waker_then_resolved_elsewhere` | an awaiting promise re-polled with a new waker keeping the old one: the settle wakes a task that no longer waits |
//!
//! Loom runs every model thread on one OS thread and explores their
//! interleavings; futures are driven by hand, with a waker that counts its
//! wakes, except where a model needs the executor (which works under loom).

// The cfg comes after the docs: with it first, a normal build would see
// an empty crate without docs, which `missing_docs = deny` rejects.
#![cfg(async_primer_loom)]

mod common;

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

use async_primer::executor::Executor;
use async_primer::promise::{Promise, PromiseError, PromiseFuture, set_unhandled_rejection_hook};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

/// A waker that only counts how often it was woken.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    fn wakes(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

fn poll_once<F: Future + Unpin>(f: &mut F, w: &std::sync::Arc<CountingWaker>) -> Poll<F::Output> {
    let waker = Waker::from(w.clone());
    Pin::new(f).poll(&mut Context::from_waker(&waker))
}

type P = Promise<u32, PromiseError>;

/// Polls once now; if that was Pending, the settle (joined by the caller
/// first) must have woken us exactly once, and the next poll is Ready.
fn finish(
    mut fut: PromiseFuture<u32, PromiseError>,
    first: Poll<Result<u32, PromiseError>>,
    w: &std::sync::Arc<CountingWaker>,
) -> Result<u32, PromiseError> {
    match first {
        Poll::Ready(out) => {
            assert_eq!(w.wakes(), 0, "woken although it never waited");
            out
        }
        Poll::Pending => {
            assert_eq!(w.wakes(), 1, "a waiting future must be woken exactly once");
            match poll_once(&mut fut, w) {
                Poll::Ready(out) => out,
                Poll::Pending => panic!("woken, but still pending"),
            }
        }
    }
}

#[test]
fn resolve_races_await() {
    common::loom_model(|| {
        let (p, r) = P::with_resolvers();
        let t = thread::spawn(move || r.resolve(7));
        let w = std::sync::Arc::new(CountingWaker::default());
        let mut fut = p.into_future();
        let first = poll_once(&mut fut, &w);
        t.join().unwrap();
        assert_eq!(finish(fut, first, &w), Ok(7));
    });
}

#[test]
fn dropped_resolver_races_await() {
    common::loom_model(|| {
        let (p, r) = P::with_resolvers();
        let t = thread::spawn(move || drop(r));
        let w = std::sync::Arc::new(CountingWaker::default());
        let mut fut = p.into_future();
        let first = poll_once(&mut fut, &w);
        t.join().unwrap();
        assert_eq!(finish(fut, first, &w), Err(PromiseError::Broken));
    });
}

#[test]
fn two_clones_awaited_from_two_threads() {
    common::loom_model(|| {
        let (p, r) = P::with_resolvers();
        let spawn_waiter = |p: P| {
            thread::spawn(move || {
                let w = std::sync::Arc::new(CountingWaker::default());
                let mut fut = p.into_future();
                let first = poll_once(&mut fut, &w);
                (fut, first, w)
            })
        };
        let a = spawn_waiter(p.clone());
        let b = spawn_waiter(p);
        r.resolve(3);
        for t in [a, b] {
            let (fut, first, w) = t.join().unwrap();
            assert_eq!(finish(fut, first, &w), Ok(3));
        }
    });
}

#[test]
fn reactions_run_once_in_order_while_resolved_elsewhere() {
    common::loom_model(|| {
        let (p, r) = P::with_resolvers();
        let runs = Arc::new(AtomicUsize::new(0));
        let ex = Executor::new();
        let (first, second) = ex.block_on(async {
            let n = runs.clone();
            // Each records the order it ran in (1, 2) in its result.
            let first = p.then(move |v| (v, n.fetch_add(1, Ordering::SeqCst) + 1));
            let n = runs.clone();
            let second = p.then(move |v| (v, n.fetch_add(1, Ordering::SeqCst) + 1));
            (first, second)
        });
        let t = thread::spawn(move || r.resolve(5));
        let out = ex.block_on(async { (first.await, second.await) });
        t.join().unwrap();
        assert_eq!(out, (Ok((5, 1)), Ok((5, 2))));
        assert_eq!(runs.load(Ordering::SeqCst), 2, "each reaction exactly once");
    });
}

static REPORTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[test]
fn last_handle_drop_races_reject() {
    set_unhandled_rejection_hook(|r| {
        if r.error().contains("unheard") {
            REPORTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    common::loom_model(|| {
        REPORTS.store(0, std::sync::atomic::Ordering::SeqCst);
        let (p, r) = P::with_resolvers();
        let t = thread::spawn(move || drop(p));
        r.reject(PromiseError::from("unheard"));
        t.join().unwrap();
        assert_eq!(
            REPORTS.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "reported exactly once"
        );
    });
}

/// A value that counts its drops.
#[derive(Clone)]
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn handle_clone_and_drop_race_the_fast_settle() {
    common::loom_model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (p, r) = Promise::<Counted, PromiseError>::with_resolvers();
        let t = thread::spawn(move || {
            let q = p.clone();
            drop(p);
            drop(q);
        });
        r.resolve(Counted(drops.clone()));
        t.join().unwrap();
        // Every handle and the resolver are gone: the state, with the one
        // value inside, must have been freed exactly once.
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn settle_from_another_thread_races_the_drain_and_parking() {
    common::loom_model(|| {
        let (p, r) = P::with_resolvers();
        let runs = Arc::new(AtomicUsize::new(0));
        let drops = Arc::new(AtomicUsize::new(0));
        let ex = Executor::new();
        let (n, d) = (runs.clone(), drops.clone());
        let out = ex.block_on(async move {
            // Parked: the promise is pending. Then the settle comes from
            // another thread while this executor drains microtasks, runs
            // its courier, or parks.
            let derived = p.then(move |v| {
                n.fetch_add(1, Ordering::SeqCst);
                (v, Counted(d))
            });
            let t = thread::spawn(move || r.resolve(3));
            let out = derived.await.map(|(v, _)| v);
            t.join().unwrap();
            out
        });
        assert_eq!(out, Ok(3));
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "the reaction ran exactly once"
        );
        drop(ex);
        // The derived promise's value (and the copy `.await` made) are gone
        // with the executor: nothing leaked, nothing dropped twice.
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn repolled_with_a_new_waker_then_resolved_elsewhere() {
    common::loom_model(|| {
        let (p, r) = P::with_resolvers();
        let mut fut = p.into_future();
        let old = std::sync::Arc::new(CountingWaker::default());
        let new = std::sync::Arc::new(CountingWaker::default());
        assert!(poll_once(&mut fut, &old).is_pending());
        // The awaiting task moved: the next poll brings another waker,
        // racing the resolve on another thread.
        let t = thread::spawn(move || r.resolve(3));
        let second = poll_once(&mut fut, &new);
        t.join().unwrap();
        if second.is_pending() {
            assert_eq!(old.wakes(), 0, "the settle woke the old waker");
        }
        assert_eq!(finish(fut, second, &new), Ok(3));
    });
}
