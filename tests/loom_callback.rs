//! Loom models for the callback layer (`src/callback/`): every interleaving
//! of two threads, each model asserting counts, not only "no panic".
//!
//! Run: `RUSTFLAGS="--cfg async_primer_loom" LOOM_MAX_PREEMPTIONS=2
//! cargo test --release --test loom_callback`
//!
//! Which bug each model catches:
//!
//! * `value_then_callback` / `callback_then_value`: the completion's
//!   "whichever arrives second runs the callback" rule. A non-atomic
//!   check-then-set of the state (load + store instead of `fetch_or`) lets
//!   both sides think they came first, so the callback never runs: these
//!   two (and `drop_producer_racing_registration`) fail with "callback
//!   exactly once" (verified by breaking it on purpose). A `Relaxed`
//!   `fetch_or` makes all four completion models fail with loom's
//!   "Causality violation" on the slots (also verified).
//! * `drop_producer_racing_registration`: a producer dropped without a
//!   value must reach the callback as `Cancelled`, exactly once, even when
//!   the drop races with `on_complete`; catches a Drop that forgets to
//!   arrive, or a callback leaked without being called.
//! * `drop_consumer_racing_completion`: a consumer dropped while the value
//!   is delivered: the value is either handed back (`Err`) or dropped by
//!   the consumer, exactly once (drop count 1: never lost twice, never
//!   leaked), and `is_cancelled` never lies. (The load + store bug above
//!   does not fail here: nobody runs `finish`, but the shared state's own
//!   drop still drops the value once, which is the right count.)
//! * `emit_while_adding_and_removing`: `emit` must iterate one consistent
//!   snapshot. Iterating the live list (or a snapshot torn by a concurrent
//!   `on`/`off`) could skip both the removed and the added listener, or
//!   run a listener twice; counts and `emit`'s return value catch that.
//!   Verified: an `emit` that re-reads the live list by index fails here
//!   with "a listener present throughout must run exactly once".
//! * `once_emitted_from_two_threads`: a `once` listener runs exactly once
//!   when two emits race (catches a check-then-remove without the `fired`
//!   claim). Verified: a `load` + `store` instead of `swap` on `fired`
//!   fails here with "once means once".
//! * `emit_while_removing_frees_each_once`: the emitter's lock-free read
//!   (a reader count, src/callback/listeners.rs): an emit runs while
//!   another thread removes one listener and adds and removes another.
//!   Every removed listener must be dropped exactly once by the time both
//!   are done, none early, and the one still registered only with the
//!   emitter. Catches a writer that frees a replaced snapshot while an
//!   emit still reads it (loom's "Causality violation" on the snapshot's
//!   free check): verified with the writer's count check made a plain
//!   load (`emitter-check-load`), and a last emit out that forgets to
//!   free ("removed listener b dropped once").
//! * `last_emit_out_reclaims_while_another_emit_starts`: the last emit to
//!   leave frees what was retired while it ran, but a new emit may start
//!   before it takes the lock, and retire (through its own `once`) the
//!   very snapshot it reads. Catches that free done without checking the
//!   count again under the lock (`emitter-free-no-recheck`: "Causality
//!   violation"), and once listeners run or freed other than exactly once.
//! * `next_polled_while_emitting`: `EventEmitter::next()` polled on one
//!   thread while another emits. Catches a lost wake-up: if the future does
//!   not store its waker (or checks and stores it outside the lock the
//!   listener uses), a Pending first poll is never woken. Verified: with the
//!   waker store in `Next::poll` removed, this model fails with "lost
//!   wake-up" and every other model passes.

// The crate docs above come first on purpose: with `#![cfg]` on line 1 a
// normal build sees an empty crate without docs, which `missing_docs = deny`
// rejects (clippy --all-targets).
#![cfg(async_primer_loom)]

mod common;

use async_primer::callback::{EventEmitter, Outcome, completion};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

/// A value that counts its drops, to prove nothing is lost or leaked.
struct Tracked {
    value: u32,
    drops: Arc<AtomicUsize>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// Registers a callback that records what it saw; returns (calls, last value seen or 0 = cancelled).
fn recording_callback(
    calls: &Arc<AtomicUsize>,
    seen: &Arc<AtomicUsize>,
) -> impl FnOnce(Outcome<Tracked>) + Send + 'static {
    let calls = calls.clone();
    let seen = seen.clone();
    move |outcome| {
        calls.fetch_add(1, Ordering::SeqCst);
        match outcome {
            Outcome::Value(t) => seen.store(t.value as usize, Ordering::SeqCst),
            Outcome::Cancelled => seen.store(usize::MAX, Ordering::SeqCst),
        }
    }
}

#[test]
fn value_then_callback() {
    common::loom_model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(AtomicUsize::new(0));
        let (completer, completion) = completion::<Tracked>();
        let value = Tracked {
            value: 7,
            drops: drops.clone(),
        };
        // The producer starts first, on its own thread.
        let producer = thread::spawn(move || completer.complete(value).is_ok());
        completion.on_complete(recording_callback(&calls, &seen));
        assert!(producer.join().unwrap(), "the consumer never left");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "callback exactly once");
        assert_eq!(seen.load(Ordering::SeqCst), 7, "callback saw the value");
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "value dropped exactly once"
        );
    });
}

#[test]
fn callback_then_value() {
    common::loom_model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(AtomicUsize::new(0));
        let (completer, completion) = completion::<Tracked>();
        // The consumer starts first, on its own thread.
        let cb = recording_callback(&calls, &seen);
        let consumer = thread::spawn(move || completion.on_complete(cb));
        let ok = completer
            .complete(Tracked {
                value: 9,
                drops: drops.clone(),
            })
            .is_ok();
        consumer.join().unwrap();
        assert!(ok);
        assert_eq!(calls.load(Ordering::SeqCst), 1, "callback exactly once");
        assert_eq!(seen.load(Ordering::SeqCst), 9, "callback saw the value");
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "value dropped exactly once"
        );
    });
}

#[test]
fn drop_producer_racing_registration() {
    common::loom_model(|| {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(AtomicUsize::new(0));
        let (completer, completion) = completion::<Tracked>();
        let producer = thread::spawn(move || drop(completer));
        completion.on_complete(recording_callback(&calls, &seen));
        producer.join().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "callback exactly once");
        assert_eq!(
            seen.load(Ordering::SeqCst),
            usize::MAX,
            "it heard Cancelled"
        );
    });
}

#[test]
fn drop_consumer_racing_completion() {
    common::loom_model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (completer, completion) = completion::<Tracked>();
        let consumer = thread::spawn(move || drop(completion));
        let cancelled_before = completer.is_cancelled();
        let result = completer.complete(Tracked {
            value: 3,
            drops: drops.clone(),
        });
        if cancelled_before {
            assert!(result.is_err(), "is_cancelled said the consumer had left");
        }
        match result {
            // Handed back: the value is alive and ours until we drop it.
            Err(t) => {
                assert_eq!(t.value, 3);
                assert_eq!(drops.load(Ordering::SeqCst), 0);
                drop(t);
            }
            // Accepted: the consumer's drop (now or later) drops it.
            Ok(()) => {}
        }
        consumer.join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 1, "never lost, never leaked");
    });
}

fn counting_listener(counter: &Arc<AtomicUsize>) -> impl Fn(&u32) + Send + Sync + 'static {
    let counter = counter.clone();
    move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn emit_while_adding_and_removing() {
    common::loom_model(|| {
        let emitter = Arc::new(EventEmitter::<u32>::new());
        let (a, b, c) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
        );
        let id_a = emitter.on(counting_listener(&a));
        emitter.on(counting_listener(&b));
        let e = emitter.clone();
        let c2 = c.clone();
        let editor = thread::spawn(move || {
            e.on(counting_listener(&c2));
            assert!(e.off(id_a));
        });
        let ran = emitter.emit(1);
        editor.join().unwrap();
        let (a, b, c) = (
            a.load(Ordering::SeqCst),
            b.load(Ordering::SeqCst),
            c.load(Ordering::SeqCst),
        );
        assert_eq!(b, 1, "a listener present throughout must run exactly once");
        assert_eq!(ran, a + b + c, "emit counts what ran");
        // Snapshots are [A,B], [A,B,C] or [B,C]: never "neither A nor C".
        assert!(
            matches!((a, c), (1, 0) | (1, 1) | (0, 1)),
            "torn snapshot: a={a} c={c}"
        );
        assert_eq!(emitter.listener_count(), 2);
    });
}

#[test]
fn once_emitted_from_two_threads() {
    common::loom_model(|| {
        let emitter = Arc::new(EventEmitter::<u32>::new());
        let once = Arc::new(AtomicUsize::new(0));
        emitter.once(counting_listener(&once));
        let e = emitter.clone();
        let other = thread::spawn(move || e.emit(1));
        let here = emitter.emit(2);
        let there = other.join().unwrap();
        assert_eq!(once.load(Ordering::SeqCst), 1, "once means once");
        assert_eq!(here + there, 1, "exactly one emit reports running it");
        assert_eq!(emitter.listener_count(), 0);
    });
}

/// Counts its drops: captured by a listener, it tells when the emitter
/// dropped that listener.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A listener that counts its calls and (through a captured `DropCount`)
/// its drops.
fn tracked_listener(
    calls: &Arc<AtomicUsize>,
    drops: &Arc<AtomicUsize>,
) -> impl Fn(&u32) + Send + Sync + 'static {
    let calls = calls.clone();
    let dropped = DropCount(drops.clone());
    move |_| {
        let _ = &dropped; // captured, so it drops with the listener
        calls.fetch_add(1, Ordering::SeqCst);
    }
}

fn counters<const N: usize>() -> [Arc<AtomicUsize>; N] {
    std::array::from_fn(|_| Arc::new(AtomicUsize::new(0)))
}

#[test]
fn emit_while_removing_frees_each_once() {
    common::loom_model(|| {
        let emitter = Arc::new(EventEmitter::<u32>::new());
        let [calls_a, calls_b, calls_c] = counters();
        let [drops_a, drops_b, drops_c] = counters();
        emitter.on(tracked_listener(&calls_a, &drops_a));
        let id_b = emitter.on(tracked_listener(&calls_b, &drops_b));
        let e = emitter.clone();
        let (cc, dc) = (calls_c.clone(), drops_c.clone());
        let editor = thread::spawn(move || {
            assert!(e.off(id_b));
            let id_c = e.on(tracked_listener(&cc, &dc));
            assert!(e.off(id_c));
        });
        let ran = emitter.emit(1);
        editor.join().unwrap();
        let load = |n: &Arc<AtomicUsize>| n.load(Ordering::SeqCst);
        assert_eq!(load(&calls_a), 1, "a listener present throughout runs once");
        assert!(load(&calls_b) <= 1 && load(&calls_c) <= 1);
        assert_eq!(ran, load(&calls_a) + load(&calls_b) + load(&calls_c));
        // Every emit has left: each removed listener is freed now, once.
        assert_eq!(load(&drops_b), 1, "removed listener b dropped once");
        assert_eq!(load(&drops_c), 1, "removed listener c dropped once");
        assert_eq!(load(&drops_a), 0, "a registered listener dropped early");
        assert_eq!(emitter.listener_count(), 1);
        drop(emitter);
        assert_eq!(load(&drops_a), 1, "the emitter's drop frees the rest, once");
    });
}

#[test]
fn last_emit_out_reclaims_while_another_emit_starts() {
    common::loom_model(|| {
        let emitter = Arc::new(EventEmitter::<u32>::new());
        let [calls_1, calls_2, drops_1, drops_2] = counters();
        emitter.once(tracked_listener(&calls_1, &drops_1));
        let e = emitter.clone();
        let (c2, d2) = (calls_2.clone(), drops_2.clone());
        // This thread's emit may start just after the main thread's emit
        // decremented the count to 0 and before it locks to free what its
        // own `once` retired; its own `once` then retires the snapshot it
        // is reading.
        let other = thread::spawn(move || {
            e.once(tracked_listener(&c2, &d2));
            e.emit(2)
        });
        let here = emitter.emit(1);
        let there = other.join().unwrap();
        let load = |n: &Arc<AtomicUsize>| n.load(Ordering::SeqCst);
        assert_eq!(load(&calls_1), 1, "once means once");
        assert_eq!(load(&calls_2), 1, "once means once");
        assert_eq!(here + there, 2, "emit counts what ran");
        assert_eq!(load(&drops_1), 1, "a fired once listener is freed, once");
        assert_eq!(load(&drops_2), 1, "a fired once listener is freed, once");
        assert_eq!(emitter.listener_count(), 0);
    });
}

/// A waker that counts how often it is woken.
struct CountingWaker(Arc<AtomicUsize>);

impl Wake for CountingWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn next_polled_while_emitting() {
    common::loom_model(|| {
        let emitter = Arc::new(EventEmitter::<u32>::new());
        let wakes = Arc::new(AtomicUsize::new(0));
        let waker = Waker::from(std::sync::Arc::new(CountingWaker(wakes.clone())));
        let mut cx = Context::from_waker(&waker);

        let mut next = emitter.next();
        let e = emitter.clone();
        let emitting = thread::spawn(move || e.emit(42));
        let first = Pin::new(&mut next).poll(&mut cx);
        let ran = emitting.join().unwrap();
        assert_eq!(ran, 1, "the next() listener ran");
        match first {
            Poll::Ready(v) => {
                assert_eq!(v, Some(42));
                assert_eq!(wakes.load(Ordering::SeqCst), 0, "no waker was stored");
            }
            Poll::Pending => {
                // The event came after the poll stored its waker: it must
                // have been woken, exactly once, and now be ready.
                assert_eq!(wakes.load(Ordering::SeqCst), 1, "lost wake-up");
                assert_eq!(Pin::new(&mut next).poll(&mut cx), Poll::Ready(Some(42)));
            }
        }
        drop(next);
        assert_eq!(emitter.listener_count(), 0, "nothing left registered");
    });
}
