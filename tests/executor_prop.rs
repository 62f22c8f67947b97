//! Property tests for the executor (issue 3): random programs of spawn,
//! yield, sleep, abort, cross-thread wake and panic.
//!
//! * every task that is not aborted completes exactly once (or panics, if
//!   its program says so), and an aborted one at most once;
//! * the same seed gives the same trace of events;
//! * under virtual time the final clock equals the latest deadline reached.

mod common;
use async_primer::executor::{Builder, JoinHandle};
use async_primer::time::{now, sleep};
use common::{LIMIT, within};
use proptest::prelude::*;
use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
enum Op {
    Yield,
    Sleep(u64),
    /// Spawn a child that yields once and logs.
    Spawn,
    /// Be woken by another thread (the wake arrives through the inbox).
    RemoteWake,
    Panic,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Yield),
        3 => (0u64..50).prop_map(Op::Sleep),
        1 => Just(Op::Spawn),
        1 => Just(Op::RemoteWake),
        1 => Just(Op::Panic),
    ]
}

#[derive(Debug, Clone)]
struct Program {
    tasks: Vec<Vec<Op>>,
    /// (after this many yields of the main future, abort task i)
    aborts: Vec<(usize, usize)>,
}

fn program() -> impl Strategy<Value = Program> {
    let n = if cfg!(miri) { 3 } else { 8 };
    let len = if cfg!(miri) { 3 } else { 6 };
    prop::collection::vec(prop::collection::vec(op(), 0..len), 1..n).prop_flat_map(|tasks| {
        let count = tasks.len();
        let aborts = prop::collection::vec((0usize..4, 0..count), 0..3);
        (Just(tasks), aborts).prop_map(|(tasks, aborts)| Program { tasks, aborts })
    })
}

/// A future that another thread wakes while this one is being polled.
async fn remote_wake() {
    let mut asked = false;
    poll_fn(move |cx| {
        if asked {
            return Poll::Ready(());
        }
        asked = true;
        let waker = cx.waker().clone();
        std::thread::spawn(move || waker.wake()).join().unwrap();
        Poll::Pending
    })
    .await
}

struct Outcome {
    trace: Vec<String>,
    /// per task: (times it logged "done", result kind)
    results: Vec<(usize, &'static str)>,
    children_done: usize,
    children_spawned: usize,
    latest_reached: Option<Duration>,
    final_clock: Duration,
}

/// [`run_unbounded`] under `within` (tests/common): a lost wake-up fails
/// the case instead of hanging the binary.
fn run(p: &Program, seed: u64) -> Outcome {
    let p = p.clone();
    within(LIMIT, move || run_unbounded(&p, seed))
}

fn run_unbounded(p: &Program, seed: u64) -> Outcome {
    let ex = Builder::new().virtual_time().seed(seed).build();
    let start: Instant = ex.now();
    let trace = Rc::new(RefCell::new(Vec::new()));
    let done = Rc::new(RefCell::new(vec![0usize; p.tasks.len()]));
    let reached = Rc::new(RefCell::new(None::<Duration>));
    let children: Rc<RefCell<Vec<JoinHandle<()>>>> = Rc::new(RefCell::new(Vec::new()));
    let children_done = Rc::new(RefCell::new(0usize));
    let handles: Vec<JoinHandle<()>> = p
        .tasks
        .iter()
        .enumerate()
        .map(|(i, ops)| {
            let (ops, trace, done) = (ops.clone(), trace.clone(), done.clone());
            let (reached, children, children_done) =
                (reached.clone(), children.clone(), children_done.clone());
            ex.spawn(async move {
                for (j, op) in ops.into_iter().enumerate() {
                    trace
                        .borrow_mut()
                        .push(format!("t{i} op{j} {op:?} at {:?}", now() - start));
                    match op {
                        Op::Yield => async_primer::yield_now().await,
                        Op::Sleep(ms) => {
                            sleep(Duration::from_millis(ms)).await;
                            let at = now() - start;
                            let mut r = reached.borrow_mut();
                            *r = Some(r.map_or(at, |r: Duration| r.max(at)));
                        }
                        Op::Spawn => {
                            let (trace, children_done) = (trace.clone(), children_done.clone());
                            let child = async_primer::spawn(async move {
                                async_primer::yield_now().await;
                                trace.borrow_mut().push(format!("child of t{i}"));
                                *children_done.borrow_mut() += 1;
                            });
                            children.borrow_mut().push(child);
                        }
                        Op::RemoteWake => remote_wake().await,
                        Op::Panic => panic!("t{i} panics on purpose"),
                    }
                }
                done.borrow_mut()[i] += 1;
                trace.borrow_mut().push(format!("t{i} done"));
            })
        })
        .collect();
    let aborts = p.aborts.clone();
    let results = ex.block_on(async move {
        let mut yields = 0;
        let mut pending_aborts = aborts;
        pending_aborts.sort();
        for (after, i) in pending_aborts {
            while yields < after {
                async_primer::yield_now().await;
                yields += 1;
            }
            handles[i].abort();
        }
        let mut results = Vec::new();
        for h in handles {
            results.push(match h.await {
                Ok(()) => "ok",
                Err(e) if e.is_panic() => "panic",
                Err(_) => "aborted",
            });
        }
        let mut awaited = 0;
        loop {
            let next = children.borrow_mut().pop();
            match next {
                Some(child) => child.await.unwrap(),
                None => break,
            }
            awaited += 1;
        }
        (results, awaited)
    });
    let (results, children_spawned) = results;
    let done = done.borrow().clone();
    Outcome {
        trace: trace.take(),
        results: done.into_iter().zip(results).collect(),
        children_done: *children_done.borrow(),
        children_spawned,
        latest_reached: *reached.borrow(),
        final_clock: ex.now() - start,
    }
}

/// What the program says task `ops` ends with, if nothing aborts it.
fn expected(ops: &[Op]) -> &'static str {
    if ops.iter().any(|o| matches!(o, Op::Panic)) {
        "panic"
    } else {
        "ok"
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 }))]

    #[test]
    fn tasks_complete_exactly_once(p in program(), seed in any::<u64>()) {
        let out = run(&p, seed);
        let aborted: Vec<usize> = p.aborts.iter().map(|&(_, i)| i).collect();
        for (i, (done, result)) in out.results.iter().enumerate() {
            if aborted.contains(&i) {
                // Aborted: finished before the abort (once), panicked, or not at all.
                prop_assert!(*done <= 1);
                prop_assert!(match *result {
                    "ok" => *done == 1,
                    "aborted" => *done == 0,
                    _ => *done == 0 && expected(&p.tasks[i]) == "panic",
                }, "task {} {:?} done {}", i, result, done);
            } else {
                prop_assert_eq!(*result, expected(&p.tasks[i]), "task {}", i);
                prop_assert_eq!(*done, usize::from(*result == "ok"), "task {}", i);
            }
        }
        // Every child that was spawned ran to its end exactly once.
        prop_assert_eq!(out.children_done, out.children_spawned);
    }

    #[test]
    fn same_seed_same_trace(p in program(), seed in any::<u64>()) {
        let a = run(&p, seed);
        let b = run(&p, seed);
        prop_assert_eq!(a.trace, b.trace);
        prop_assert_eq!(a.results, b.results);
    }

    #[test]
    fn virtual_clock_ends_at_the_latest_deadline_reached(p in program(), seed in any::<u64>()) {
        let out = run(&p, seed);
        prop_assert_eq!(out.final_clock, out.latest_reached.unwrap_or(Duration::ZERO));
    }
}
