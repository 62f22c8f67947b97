//! Property tests: `Semaphore` and `Mutex` (src/locks/) against a small
//! sequential model, over random sequences of acquire / poll / cancel /
//! release / add / try. The model is the specification in a few lines: a
//! count, a FIFO line, and "serve the head while it fits". Interleavings
//! across threads are loom's job (`tests/loom_locks.rs`).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};

use async_primer::locks::{Acquire, Lock, Mutex, MutexGuard, Semaphore, SemaphorePermit};
use proptest::prelude::*;

#[derive(Default)]
struct Counter(AtomicUsize);
impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// Start an acquire of n permits and poll it once.
    Acquire(usize),
    /// Poll the i-th future (mod the number of futures) again.
    Poll(usize),
    /// Drop the i-th future (cancel it), whatever its state.
    Cancel(usize),
    /// Drop the i-th held permit.
    Release(usize),
    /// add_permits(n)
    Add(usize),
    /// try_acquire_many(n)
    Try(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..4usize).prop_map(Op::Acquire),
        2 => any::<usize>().prop_map(Op::Poll),
        2 => any::<usize>().prop_map(Op::Cancel),
        3 => any::<usize>().prop_map(Op::Release),
        1 => (0..3usize).prop_map(Op::Add),
        1 => (0..3usize).prop_map(Op::Try),
    ]
}

/// The model's view of one acquire.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Model {
    InLine,
    Served,
}

/// The sequential model: free permits, the line, who was served.
struct Spec {
    free: usize,
    line: VecDeque<(usize, usize)>, // (future key, permits wanted)
}

impl Spec {
    /// Serves the head of the line while it fits; returns who was served.
    fn serve(&mut self) -> Vec<usize> {
        let mut served = Vec::new();
        while let Some(&(key, want)) = self.line.front() {
            if want > self.free {
                break;
            }
            self.free -= want;
            self.line.pop_front();
            served.push(key);
        }
        served
    }
}

struct Waiting<F> {
    key: usize,
    n: usize,
    future: F,
    wakes: Arc<Counter>,
    waker: Waker,
    model: Model,
    /// Wakes the model expects this future to have had.
    expected_wakes: usize,
}

fn check_semaphore(initial: usize, ops: Vec<Op>) {
    let sem = Semaphore::new(initial);
    let mut spec = Spec {
        free: initial,
        line: VecDeque::new(),
    };
    let mut waiting: Vec<Waiting<Pin<Box<Acquire<'_>>>>> = Vec::new();
    let mut held: Vec<SemaphorePermit<'_>> = Vec::new();
    let mut next_key = 0;
    let mut total = initial; // permits in existence
    // Marks `keys` served in the model (each gets one wake).
    let mark = |waiting: &mut Vec<Waiting<_>>, keys: Vec<usize>| {
        for key in keys {
            let w = waiting
                .iter_mut()
                .find(|w| w.key == key)
                .expect("served one exists");
            w.model = Model::Served;
            w.expected_wakes += 1;
        }
    };
    for op in ops {
        match op {
            Op::Acquire(n) => {
                let wakes = Arc::new(Counter::default());
                let waker = Waker::from(wakes.clone());
                let mut future = Box::pin(sem.acquire_many(n));
                let got = future.as_mut().poll(&mut Context::from_waker(&waker));
                if spec.line.is_empty() && spec.free >= n {
                    spec.free -= n;
                    let Poll::Ready(p) = got else {
                        panic!("acquire_many({n}) waited with {} free", spec.free + n)
                    };
                    held.push(p);
                } else {
                    assert!(got.is_pending(), "acquire_many({n}) jumped the line");
                    spec.line.push_back((next_key, n));
                    waiting.push(Waiting {
                        key: next_key,
                        n,
                        future,
                        wakes,
                        waker,
                        model: Model::InLine,
                        expected_wakes: 0,
                    });
                    next_key += 1;
                }
            }
            Op::Poll(i) if !waiting.is_empty() => {
                let i = i % waiting.len();
                let w = &mut waiting[i];
                let got = w.future.as_mut().poll(&mut Context::from_waker(&w.waker));
                match (w.model, got) {
                    (Model::Served, Poll::Ready(p)) => {
                        assert_eq!(p.num_permits(), w.n);
                        held.push(p);
                        waiting.remove(i);
                    }
                    (Model::InLine, Poll::Pending) => {}
                    (m, got) => panic!("model says {m:?}, the semaphore {:?}", got.is_ready()),
                }
            }
            Op::Cancel(i) if !waiting.is_empty() => {
                let w = waiting.remove(i % waiting.len());
                match w.model {
                    Model::InLine => spec.line.retain(|&(k, _)| k != w.key),
                    Model::Served => spec.free += w.n,
                }
                drop(w.future);
                let served = spec.serve();
                mark(&mut waiting, served);
            }
            Op::Release(i) if !held.is_empty() => {
                let p = held.remove(i % held.len());
                spec.free += p.num_permits();
                drop(p);
                let served = spec.serve();
                mark(&mut waiting, served);
            }
            Op::Add(n) => {
                sem.add_permits(n);
                total += n;
                spec.free += n;
                let served = spec.serve();
                mark(&mut waiting, served);
            }
            Op::Try(n) => {
                let got = sem.try_acquire_many(n);
                let fits = spec.line.is_empty() && spec.free >= n;
                assert_eq!(got.is_some(), fits, "try_acquire_many({n})");
                if let Some(p) = got {
                    spec.free -= n;
                    held.push(p);
                }
            }
            _ => {} // an index into an empty list: nothing to do
        }
        // After every step: the count and every wake match the model.
        assert_eq!(sem.available_permits(), spec.free, "free permits");
        for w in &waiting {
            assert_eq!(
                w.wakes.0.load(SeqCst),
                w.expected_wakes,
                "wakes of {}",
                w.key
            );
        }
    }
    // Drop everything: every permit comes home, none is made up.
    drop(waiting);
    drop(held);
    assert_eq!(sem.available_permits(), total, "permits lost or duplicated");
}

/// A waiting `lock()` of the mutex model.
type LockWaiting<'a> = Waiting<Pin<Box<Lock<'a, Vec<usize>>>>>;

/// The mutex: the same engine with one permit, plus the data. Every holder
/// appends its key, so the final vector is the order the lock was held in,
/// which the model predicts.
fn check_mutex(ops: Vec<Op>) {
    let m = Mutex::new(Vec::<usize>::new());
    let mut order = Vec::new(); // the model's order of holders
    let mut locked = false;
    let mut line: VecDeque<usize> = VecDeque::new();
    let mut waiting: Vec<LockWaiting<'_>> = Vec::new();
    let mut guard: Option<MutexGuard<'_, Vec<usize>>> = None;
    let mut next_key = 0;
    // Hands the lock to the head of the line, if any (the model's unlock).
    fn hand_over(locked: &mut bool, line: &mut VecDeque<usize>, waiting: &mut [LockWaiting<'_>]) {
        *locked = false;
        if let Some(key) = line.pop_front() {
            *locked = true;
            let w = waiting.iter_mut().find(|w| w.key == key).expect("exists");
            w.model = Model::Served;
            w.expected_wakes += 1;
        }
    }
    for op in ops {
        match op {
            Op::Acquire(_) | Op::Try(_) if guard.is_none() || matches!(op, Op::Acquire(_)) => {
                let key = next_key;
                next_key += 1;
                let free = !locked && line.is_empty();
                if let Op::Try(_) = op {
                    let g = m.try_lock();
                    assert_eq!(g.is_some(), free, "try_lock");
                    if let Some(mut g) = g {
                        locked = true;
                        g.push(key);
                        order.push(key);
                        guard = Some(g);
                    }
                    continue;
                }
                let wakes = Arc::new(Counter::default());
                let waker = Waker::from(wakes.clone());
                let mut future = Box::pin(m.lock());
                let got = future.as_mut().poll(&mut Context::from_waker(&waker));
                match got {
                    Poll::Ready(mut g) if free && guard.is_none() => {
                        locked = true;
                        g.push(key);
                        order.push(key);
                        guard = Some(g);
                    }
                    Poll::Pending if !free => {
                        line.push_back(key);
                        waiting.push(Waiting {
                            key,
                            n: 1,
                            future,
                            wakes,
                            waker,
                            model: Model::InLine,
                            expected_wakes: 0,
                        });
                    }
                    got => panic!("lock: free={free}, ready={}", got.is_ready()),
                }
            }
            Op::Poll(i) if !waiting.is_empty() && guard.is_none() => {
                let i = i % waiting.len();
                let w = &mut waiting[i];
                let got = w.future.as_mut().poll(&mut Context::from_waker(&w.waker));
                match (w.model, got) {
                    (Model::Served, Poll::Ready(mut g)) => {
                        g.push(w.key);
                        order.push(w.key);
                        guard = Some(g);
                        waiting.remove(i);
                    }
                    (Model::InLine, Poll::Pending) => {}
                    (m, got) => panic!("model says {m:?}, the mutex {:?}", got.is_ready()),
                }
            }
            Op::Cancel(i) if !waiting.is_empty() => {
                let w = waiting.remove(i % waiting.len());
                drop(w.future);
                match w.model {
                    Model::InLine => line.retain(|&k| k != w.key),
                    // Handed the lock and dropped: it passes it on.
                    Model::Served => hand_over(&mut locked, &mut line, &mut waiting),
                }
            }
            Op::Release(_) | Op::Add(_) if guard.is_some() => {
                drop(guard.take());
                hand_over(&mut locked, &mut line, &mut waiting);
            }
            _ => {}
        }
        for w in &waiting {
            assert_eq!(
                w.wakes.0.load(SeqCst),
                w.expected_wakes,
                "wakes of {}",
                w.key
            );
        }
    }
    drop(guard);
    drop(waiting);
    let g = m.try_lock().expect("the mutex ends free");
    assert_eq!(*g, order, "holders in the model's order, each write kept");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 512 },
        ..ProptestConfig::default()
    })]

    #[test]
    fn semaphore_matches_the_model(
        initial in 0..4usize,
        ops in prop::collection::vec(op(), 0..if cfg!(miri) { 12 } else { 60 }),
    ) {
        check_semaphore(initial, ops);
    }

    #[test]
    fn mutex_matches_the_model(
        ops in prop::collection::vec(op(), 0..if cfg!(miri) { 12 } else { 60 }),
    ) {
        check_mutex(ops);
    }
}
