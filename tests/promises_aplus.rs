//! Promises/A+ 1.1 (https://promisesaplus.com), requirement by requirement,
//! for `async_primer::promise`. Each test is named after its requirement
//! and runs its body in every timing of the original test suite:
//!
//! * `Already`: the promise is settled before the continuation is added;
//! * `Immediately`: settled right after the continuation is added;
//! * `Timer`: settled later by a task sleeping on a (virtual-time) timer;
//! * `Thread`: settled later from another OS thread.
//!
//! Every executor here is seeded, so ready tasks run in a shuffled order:
//! the order guarantees must hold anyway.
//!
//! Not applicable in Rust: 2.2.1 (arguments are closures, not "maybe
//! functions"), 2.2.5 (no `this`), 2.3.3 (no implicit thenables: adoption
//! is explicit with `then_promise` / `Resolver::follow`).

mod common;
use common::{LIMIT, within};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use async_primer::executor::Executor;
use async_primer::promise::{Promise, PromiseError, PromiseState, Resolver};

type P = Promise<u32, PromiseError>;

#[derive(Debug, Clone, Copy)]
enum Timing {
    Already,
    Immediately,
    Timer,
    Thread,
}

const TIMINGS: [Timing; 4] = [
    Timing::Already,
    Timing::Immediately,
    Timing::Timer,
    Timing::Thread,
];

fn reason() -> PromiseError {
    PromiseError::from("reason")
}

/// The promise under test and the trigger that settles it (a no-op when
/// it is already settled). Call `settle.now()` right after registering.
struct Settle(Option<Box<dyn FnOnce()>>);

impl Settle {
    fn now(mut self) {
        if let Some(f) = self.0.take() {
            f()
        }
    }
}

fn fixture(timing: Timing, outcome: Result<u32, PromiseError>) -> (P, Settle) {
    if let Timing::Already = timing {
        let p = match outcome {
            Ok(v) => P::resolved(v),
            Err(e) => P::rejected(e),
        };
        return (p, Settle(None));
    }
    let (p, r) = P::with_resolvers();
    let go: Box<dyn FnOnce()> = match timing {
        Timing::Already => unreachable!(),
        Timing::Immediately => Box::new(move || r.settle(outcome)),
        Timing::Timer => Box::new(move || {
            let _detached = async_primer::spawn(async move {
                async_primer::time::sleep(Duration::from_millis(50)).await;
                r.settle(outcome)
            });
        }),
        Timing::Thread => Box::new(move || {
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(1));
                r.settle(outcome)
            });
        }),
    };
    (p, Settle(Some(go)))
}

/// Runs `body` once per timing (and a few seeds), on a fresh executor.
fn each_timing<F, Fut>(outcome: Result<u32, PromiseError>, body: F)
where
    F: Fn(P, Settle) -> Fut,
    Fut: Future<Output = ()>,
{
    let seeds: u64 = if cfg!(miri) { 1 } else { 3 };
    for timing in TIMINGS {
        for seed in 0..seeds {
            let ex = match timing {
                Timing::Timer => Executor::builder().virtual_time().seed(seed).build(),
                _ => Executor::builder().seed(seed).build(),
            };
            ex.block_on(async {
                let (p, settle) = fixture(timing, outcome.clone());
                body(p, settle).await
            });
        }
    }
}

fn counter() -> Rc<Cell<u32>> {
    Rc::new(Cell::new(0))
}

// ---- 2.1 promise states ----

#[test]
fn a2_1_1_pending_may_become_fulfilled_or_rejected() {
    within(LIMIT, || {
        for (outcome, end) in [
            (Ok(1), PromiseState::Fulfilled),
            (Err(reason()), PromiseState::Rejected),
        ] {
            each_timing(outcome, |p, settle| async move {
                settle.now();
                let _ = p.clone().await;
                assert_eq!(p.state(), end);
            });
        }
        let (p, _r) = P::with_resolvers();
        assert_eq!(p.state(), PromiseState::Pending);
    })
}

#[test]
fn a2_1_2_fulfilled_never_changes_state_or_value() {
    within(LIMIT, || {
        each_timing(Ok(7), |p, settle| async move {
            settle.now();
            assert_eq!(p.clone().await, Ok(7));
            async_primer::yield_now().await;
            assert_eq!(p.clone().await, Ok(7));
            assert_eq!(p.state(), PromiseState::Fulfilled);
        });
        // A resolver is consumed by settling: there is no second `resolve` to
        // call. Dropping it after settling changes nothing.
        let (p, r): (P, Resolver<u32>) = P::with_resolvers();
        r.resolve(1);
        assert_eq!(p.peek(), Some(Ok(1)));
    })
}

#[test]
fn a2_1_3_rejected_never_changes_state_or_reason() {
    within(LIMIT, || {
        each_timing(Err(reason()), |p, settle| async move {
            settle.now();
            assert_eq!(p.clone().await, Err(reason()));
            async_primer::yield_now().await;
            assert_eq!(p.clone().await, Err(reason()));
            assert_eq!(p.state(), PromiseState::Rejected);
        });
    })
}

// ---- 2.2 the `then` method ----

#[test]
fn a2_2_2_1_on_fulfilled_gets_the_value() {
    within(LIMIT, || {
        each_timing(Ok(5), |p, settle| async move {
            let d = p.then(|v| v * 10);
            settle.now();
            assert_eq!(d.await, Ok(50));
        });
    })
}

#[test]
fn a2_2_2_2_on_fulfilled_not_called_before_fulfilment() {
    within(LIMIT, || {
        each_timing(Ok(5), |p, settle| async move {
            let calls = counter();
            let c = calls.clone();
            let d = p.then(move |_| c.set(c.get() + 1));
            if p.state() == PromiseState::Pending {
                async_primer::yield_now().await;
                assert_eq!(calls.get(), 0, "ran before the promise was fulfilled");
            }
            settle.now();
            d.await.unwrap();
            assert_eq!(calls.get(), 1);
        });
    })
}

#[test]
fn a2_2_2_3_on_fulfilled_called_at_most_once() {
    within(LIMIT, || {
        each_timing(Ok(5), |p, settle| async move {
            let calls = counter();
            let c = calls.clone();
            let d = p.then(move |_| c.set(c.get() + 1));
            settle.now();
            d.await.unwrap();
            for _ in 0..3 {
                async_primer::yield_now().await;
            }
            assert_eq!(calls.get(), 1);
        });
    })
}

#[test]
fn a2_2_3_1_on_rejected_gets_the_reason() {
    within(LIMIT, || {
        each_timing(Err(reason()), |p, settle| async move {
            let d = p.catch(|e| Ok::<u32, PromiseError>(e.to_string().len() as u32));
            settle.now();
            assert_eq!(d.await, Ok(reason().to_string().len() as u32));
        });
    })
}

#[test]
fn a2_2_3_2_on_rejected_not_called_before_rejection() {
    within(LIMIT, || {
        each_timing(Err(reason()), |p, settle| async move {
            let calls = counter();
            let c = calls.clone();
            let d = p.catch(move |_| {
                c.set(c.get() + 1);
                Ok::<u32, PromiseError>(0)
            });
            if p.state() == PromiseState::Pending {
                async_primer::yield_now().await;
                assert_eq!(calls.get(), 0);
            }
            settle.now();
            d.await.unwrap();
            assert_eq!(calls.get(), 1);
        });
    })
}

#[test]
fn a2_2_3_3_on_rejected_called_at_most_once() {
    within(LIMIT, || {
        each_timing(Err(reason()), |p, settle| async move {
            let calls = counter();
            let c = calls.clone();
            let d = p.catch(move |_| {
                c.set(c.get() + 1);
                Ok::<u32, PromiseError>(0)
            });
            settle.now();
            d.await.unwrap();
            async_primer::yield_now().await;
            assert_eq!(calls.get(), 1);
        });
    })
}

#[test]
fn a2_2_4_callbacks_never_run_inside_then_or_resolve() {
    within(LIMIT, || {
        for outcome in [Ok(1), Err(reason())] {
            each_timing(outcome, |p, settle| async move {
                let calls = counter();
                let c = calls.clone();
                let d = p.handle(move |r| {
                    c.set(c.get() + 1);
                    Ok::<_, PromiseError>(r.is_ok())
                });
                assert_eq!(calls.get(), 0, "ran inside the call that registered it");
                settle.now();
                assert_eq!(calls.get(), 0, "ran inside resolve/reject");
                d.await.unwrap();
                assert_eq!(calls.get(), 1);
            });
        }
    })
}

fn run_in_order(p: &P, n: u32, log: &Rc<RefCell<Vec<u32>>>) -> Vec<Promise<(), PromiseError>> {
    (0..n)
        .map(|i| {
            let log = log.clone();
            p.handle(move |_| {
                log.borrow_mut().push(i);
                Ok::<(), PromiseError>(())
            })
        })
        .collect()
}

#[test]
fn a2_2_6_1_on_fulfilled_callbacks_run_in_registration_order() {
    within(LIMIT, || {
        each_timing(Ok(1), |p, settle| async move {
            let log = Rc::new(RefCell::new(Vec::new()));
            let derived = run_in_order(&p, 6, &log);
            settle.now();
            for d in derived {
                d.await.unwrap();
            }
            // Added after settling: still after the others.
            run_in_order(&p, 1, &log).pop().unwrap().await.unwrap();
            assert_eq!(*log.borrow(), [0, 1, 2, 3, 4, 5, 0]);
        });
    })
}

#[test]
fn a2_2_6_2_on_rejected_callbacks_run_in_registration_order() {
    within(LIMIT, || {
        each_timing(Err(reason()), |p, settle| async move {
            let log = Rc::new(RefCell::new(Vec::new()));
            let derived = run_in_order(&p, 6, &log);
            settle.now();
            for d in derived {
                d.await.unwrap();
            }
            assert_eq!(*log.borrow(), [0, 1, 2, 3, 4, 5]);
        });
    })
}

#[test]
fn a2_2_7_then_returns_a_promise() {
    within(LIMIT, || {
        each_timing(Ok(1), |p, settle| async move {
            let d: Promise<u32, PromiseError> = p.then(|v| v);
            assert!(!d.ptr_eq(&p), "a new promise, not the same one");
            settle.now();
            assert_eq!(d.await, Ok(1));
        });
    })
}

#[test]
fn a2_2_7_1_a_returned_value_fulfils_the_derived_promise() {
    within(LIMIT, || {
        each_timing(Ok(2), |p, settle| async move {
            let plain = p.then(|v| v + 1);
            let via_result = p.and_then(|v| Ok(v + 2));
            let recovered = p.catch(|_| Ok::<u32, PromiseError>(0));
            settle.now();
            assert_eq!(plain.await, Ok(3));
            assert_eq!(via_result.await, Ok(4));
            assert_eq!(recovered.await, Ok(2));
        });
    })
}

#[test]
fn a2_2_7_2_a_failing_callback_rejects_the_derived_promise() {
    within(LIMIT, || {
        each_timing(Ok(2), |p, settle| async move {
            let returned_err = p.and_then(|_| Err::<u32, _>(PromiseError::from("thrown")));
            let panicked = p.then(|_| -> u32 { panic!("thrown") });
            settle.now();
            assert_eq!(returned_err.await, Err(PromiseError::from("thrown")));
            assert_eq!(panicked.await, Err(PromiseError::Panicked("thrown".into())));
        });
        each_timing(Err(reason()), |p, settle| async move {
            let rethrown = p.catch(|_| Err::<u32, _>(PromiseError::from("again")));
            settle.now();
            assert_eq!(rethrown.await, Err(PromiseError::from("again")));
        });
    })
}

#[test]
fn a2_2_7_3_without_on_fulfilled_the_value_passes_through() {
    within(LIMIT, || {
        each_timing(Ok(9), |p, settle| async move {
            let calls = counter();
            let c = calls.clone();
            let d = p.catch(move |_| {
                c.set(1);
                Ok::<u32, PromiseError>(0)
            });
            settle.now();
            assert_eq!(d.await, Ok(9));
            assert_eq!(calls.get(), 0);
        });
    })
}

#[test]
fn a2_2_7_4_without_on_rejected_the_reason_passes_through() {
    within(LIMIT, || {
        each_timing(Err(reason()), |p, settle| async move {
            let calls = counter();
            let c = calls.clone();
            let d = p.then(move |v| {
                c.set(1);
                v
            });
            settle.now();
            assert_eq!(d.await, Err(reason()));
            assert_eq!(calls.get(), 0);
        });
    })
}

// ---- 2.3 the promise resolution procedure ----

#[test]
fn a2_3_1_resolving_with_itself_rejects_with_a_cycle_error() {
    within(LIMIT, || {
        each_timing(Ok(1), |p, settle| async move {
            let slot: Rc<RefCell<Option<P>>> = Rc::default();
            let s = slot.clone();
            let d = p.then_promise(move |_| s.borrow_mut().take().expect("set below"));
            *slot.borrow_mut() = Some(d.clone());
            settle.now();
            assert_eq!(d.await, Err(PromiseError::Cycle));
        });
        async_primer::block_on(async {
            let (p, r) = P::with_resolvers();
            r.follow(p.clone());
            assert_eq!(p.await, Err(PromiseError::Cycle));
        });
    })
}

#[test]
fn a2_3_2_1_following_a_pending_promise_stays_pending_until_it_settles() {
    within(LIMIT, || {
        // Here the timing applies to x, the promise being adopted.
        each_timing(Ok(4), |x, settle| async move {
            let d = P::resolved(0).then_promise(move |_| x);
            for _ in 0..3 {
                async_primer::yield_now().await;
            }
            let was = d.state();
            settle.now();
            assert_eq!(d.clone().await, Ok(4));
            assert!(was == PromiseState::Pending || was == PromiseState::Fulfilled);
        });
        // With x surely pending: d must stay pending.
        async_primer::block_on(async {
            let (x, rx) = P::with_resolvers();
            let d = P::resolved(0).then_promise(move |_| x);
            for _ in 0..5 {
                async_primer::yield_now().await;
            }
            assert_eq!(d.state(), PromiseState::Pending);
            rx.resolve(3);
            assert_eq!(d.await, Ok(3));
        });
    })
}

#[test]
fn a2_3_2_2_following_a_fulfilled_promise_fulfils_with_its_value() {
    within(LIMIT, || {
        each_timing(Ok(8), |x, settle| async move {
            let d = P::resolved(0).then_promise(move |_| x);
            settle.now();
            assert_eq!(d.await, Ok(8));
        });
    })
}

#[test]
fn a2_3_2_3_following_a_rejected_promise_rejects_with_its_reason() {
    within(LIMIT, || {
        each_timing(Err(reason()), |x, settle| async move {
            let d = P::resolved(0).then_promise(move |_| x);
            settle.now();
            assert_eq!(d.await, Err(reason()));
        });
    })
}

#[test]
fn a2_3_4_a_plain_value_fulfils() {
    within(LIMIT, || {
        each_timing(Ok(3), |p, settle| async move {
            // A promise *of* a promise is a plain value too: no implicit
            // adoption in Rust (2.3.3 does not apply).
            let nested: Promise<P, PromiseError> = p.then(|v| P::resolved(v + 1));
            settle.now();
            let inner = nested.await.unwrap();
            assert_eq!(inner.await, Ok(4));
        });
    })
}
