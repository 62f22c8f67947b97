//! Behaviour of `async_primer::promise` beyond Promises/A+ (which is in
//! `promises_aplus.rs`): awaiting anywhere, sharing across threads, faults
//! that settle (broken, panicked, cycle), `finally`, registration order
//! under a shuffling executor, the combinators' edge cases, unhandled
//! rejections, and very long chains that must not overflow the stack.

mod common;
use common::{LIMIT, within};
use std::cell::RefCell;
use std::future::IntoFuture;
use std::rc::Rc;
use std::sync::{Mutex, Once};

use async_primer::executor::Executor;
use async_primer::promise::{
    AggregateError, Promise, PromiseError, PromiseState, set_unhandled_rejection_hook,
};

type P<T> = Promise<T, PromiseError>;

fn err(msg: &str) -> PromiseError {
    PromiseError::from(msg)
}

// ---- the await path needs no executor of ours ----

#[test]
fn await_works_on_futures_block_on_and_from_another_thread() {
    within(LIMIT, || {
        let (p, r) = P::<u32>::with_resolvers();
        let t = std::thread::spawn(move || r.resolve(5));
        assert_eq!(futures::executor::block_on(p.clone().into_future()), Ok(5));
        t.join().unwrap();
        // Every clone, and the same handle again, sees the same outcome.
        assert_eq!(futures::executor::block_on(p.into_future()), Ok(5));
    })
}

#[test]
fn promise_and_resolver_are_send_and_sync() {
    fn send_sync<X: Send + Sync>() {}
    fn send<X: Send>() {}
    send_sync::<P<String>>();
    send::<async_primer::promise::Resolver<String>>();
}

#[test]
fn state_and_peek() {
    let (p, r) = P::<u8>::with_resolvers();
    assert_eq!(p.state(), PromiseState::Pending);
    assert_eq!(p.peek(), None);
    r.reject(err("no"));
    assert_eq!(p.state(), PromiseState::Rejected);
    assert_eq!(p.peek(), Some(Err(err("no"))));
}

#[test]
fn dropped_resolver_rejects_as_broken() {
    within(LIMIT, || {
        let (p, r) = P::<u8>::with_resolvers();
        drop(r);
        assert_eq!(
            futures::executor::block_on(p.into_future()),
            Err(PromiseError::Broken)
        );
    })
}

#[test]
fn new_runs_its_closure_at_once_and_a_panic_rejects() {
    let ran = std::cell::Cell::new(false);
    let p = P::<u8>::new(|r| {
        ran.set(true);
        r.resolve(1)
    });
    assert!(ran.get(), "the closure runs inside new, like JavaScript's");
    assert_eq!(p.peek(), Some(Ok(1)));
    let p = P::<u8>::new(|_r| panic!("boom"));
    assert!(matches!(p.peek(), Some(Err(PromiseError::Panicked(_)))));
}

#[test]
fn ptr_eq_tells_clones_apart_from_equal_promises() {
    let p = P::<u8>::resolved(1);
    assert!(p.ptr_eq(&p.clone()));
    assert!(!p.ptr_eq(&P::resolved(1)));
}

// ---- reactions ----

#[test]
fn registering_a_reaction_without_an_executor_panics_with_advice() {
    within(LIMIT, || {
        let p = P::<u8>::resolved(1);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.then(|v| v)));
        let payload = caught.expect_err("no executor: must panic");
        let msg = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(
            msg.contains("Promise::then needs a running executor"),
            "{msg}"
        );
        assert!(
            msg.contains("block_on"),
            "the message says what to do: {msg}"
        );
    })
}

#[test]
fn a_panicking_continuation_rejects_and_the_executor_goes_on() {
    within(LIMIT, || {
        let out = async_primer::block_on(async {
            let p = P::<u8>::resolved(1).then(|_| -> u8 { panic!("in then") });
            let after = P::<u8>::resolved(2).then(|v| v * 2);
            (p.await, after.await)
        });
        assert_eq!(out.0, Err(PromiseError::Panicked("in then".into())));
        assert_eq!(out.1, Ok(4));
    })
}

#[test]
fn reactions_run_in_registration_order_under_every_seed() {
    within(LIMIT, || {
        for seed in 0..if cfg!(miri) { 3 } else { 40 } {
            let ex = Executor::builder().seed(seed).build();
            let log = Rc::new(RefCell::new(Vec::new()));
            ex.block_on(async {
                let (p, r) = P::<u32>::with_resolvers();
                let derived: Vec<_> = (0..8)
                    .map(|i| {
                        let log = log.clone();
                        p.then(move |v| log.borrow_mut().push(v + i))
                    })
                    .collect();
                r.resolve(100);
                for d in derived {
                    d.await.unwrap();
                }
            });
            assert_eq!(*log.borrow(), (100..108).collect::<Vec<_>>(), "seed {seed}");
        }
    })
}

#[test]
fn a_reaction_dropped_with_its_executor_passes_the_turn_and_breaks_its_promise() {
    within(LIMIT, || {
        let (p, r) = P::<u32>::with_resolvers();
        // Registered on an executor that is then dropped: the task is dropped.
        let first = Executor::new().block_on(async { p.then(|v| v + 1) });
        r.resolve(1);
        assert_eq!(
            futures::executor::block_on(first.into_future()),
            Err(PromiseError::Broken)
        );
        // A later reaction on the same promise still gets its turn.
        let second = async_primer::block_on(async { p.then(|v| v + 2).await });
        assert_eq!(second, Ok(3));
    })
}

#[test]
fn catch_recovers_or_changes_the_error_type() {
    within(LIMIT, || {
        #[derive(Debug, Clone, PartialEq)]
        enum Mine {
            Wrapped(String),
            Fault(PromiseError),
        }
        impl From<PromiseError> for Mine {
            fn from(e: PromiseError) -> Self {
                Mine::Fault(e)
            }
        }
        let (recovered, converted) = async_primer::block_on(async {
            let bad = P::<u8>::rejected(err("x"));
            let recovered = bad.catch(|_| Ok::<_, PromiseError>(7));
            let converted = bad.catch(|e| Err::<u8, _>(Mine::Wrapped(e.to_string())));
            (recovered.await, converted.await)
        });
        assert_eq!(recovered, Ok(7));
        assert_eq!(converted, Err(Mine::Wrapped("rejected: x".into())));
    })
}

#[test]
fn handle_sees_both_outcomes() {
    within(LIMIT, || {
        let out = async_primer::block_on(async {
            let a = P::<u8>::resolved(1).handle(|r| Ok::<_, PromiseError>(format!("{r:?}")));
            let b = P::<u8>::rejected(err("e")).handle(|r| Ok::<_, PromiseError>(r.is_err()));
            (a.await, b.await)
        });
        assert_eq!(out, (Ok("Ok(1)".to_string()), Ok(true)));
    })
}

#[test]
fn finally_passes_through_waits_and_overrides() {
    within(LIMIT, || {
        let log = Rc::new(RefCell::new(Vec::new()));
        let out = async_primer::block_on(async {
            let l = log.clone();
            let kept_ok = P::<u8>::resolved(1).finally(move || l.borrow_mut().push("ok"));
            let l = log.clone();
            let kept_err = P::<u8>::rejected(err("e")).finally(move || l.borrow_mut().push("err"));
            let overridden = P::<u8>::resolved(1).finally(|| Err(err("cleanup failed")));
            let panicked = P::<u8>::resolved(1).finally(|| -> () { panic!("cleanup panicked") });
            let (gate, open) = P::<()>::with_resolvers();
            let waited = P::<u8>::resolved(9).finally(move || gate);
            async_primer::yield_now().await;
            assert_eq!(
                waited.state(),
                PromiseState::Pending,
                "finally waits for its promise"
            );
            open.resolve(());
            let cleanup_rejects = P::<u8>::resolved(1).finally(|| P::<()>::rejected(err("late")));
            (
                kept_ok.await,
                kept_err.await,
                overridden.await,
                panicked.await,
                waited.await,
                cleanup_rejects.await,
            )
        });
        assert_eq!(out.0, Ok(1));
        assert_eq!(out.1, Err(err("e")));
        assert_eq!(out.2, Err(err("cleanup failed")));
        assert_eq!(
            out.3,
            Err(PromiseError::Panicked("cleanup panicked".into()))
        );
        assert_eq!(out.4, Ok(9));
        assert_eq!(out.5, Err(err("late")));
        assert_eq!(*log.borrow(), ["ok", "err"]);
    })
}

#[test]
fn cycles_reject_instead_of_hanging() {
    within(LIMIT, || {
        let out = async_primer::block_on(async {
            // Follow yourself.
            let (p, r) = P::<u8>::with_resolvers();
            r.follow(p.clone());
            // a follows b, b follows a.
            let (a, ra) = P::<u8>::with_resolvers();
            let (b, rb) = P::<u8>::with_resolvers();
            ra.follow(b.clone());
            rb.follow(a.clone());
            // A continuation that returns its own derived promise.
            let slot: Rc<RefCell<Option<P<u8>>>> = Rc::default();
            let s = slot.clone();
            let d = P::<u8>::resolved(1).then_promise(move |_| s.borrow_mut().take().unwrap());
            *slot.borrow_mut() = Some(d.clone());
            (p.await, a.await, b.await, d.await)
        });
        assert_eq!(out.0, Err(PromiseError::Cycle));
        // b closes the cycle and is rejected; a follows b, so it rejects too.
        assert_eq!(out.1, Err(PromiseError::Cycle));
        assert_eq!(out.2, Err(PromiseError::Cycle));
        assert_eq!(out.3, Err(PromiseError::Cycle));
    })
}

// ---- combinators ----

#[test]
fn combinators_on_empty_inputs_answer_at_once() {
    within(LIMIT, || {
        let none = Vec::<P<u8>>::new;
        let out = async_primer::block_on(async {
            (
                Promise::all(none()).await,
                Promise::all_settled(none()).await,
                Promise::any(none()).await,
                Promise::race(none()).await,
            )
        });
        assert_eq!(out.0, Ok(vec![]));
        assert_eq!(out.1, Ok(vec![]));
        assert_eq!(out.2, Err(AggregateError { errors: vec![] }));
        assert_eq!(out.3, Err(PromiseError::EmptyRace));
    })
}

#[test]
fn combinators_report_in_input_order_not_settle_order() {
    within(LIMIT, || {
        let out = async_primer::block_on(async {
            let (a, ra) = P::<u8>::with_resolvers();
            let (b, rb) = P::<u8>::with_resolvers();
            let all = Promise::all([a.clone(), b.clone()]);
            let settled = Promise::all_settled([a.clone(), b.clone()]);
            let race = Promise::race([a.clone(), b.clone()]);
            rb.resolve(2); // b first
            async_primer::yield_now().await;
            ra.reject(err("a"));
            let (c, rc) = P::<u8>::with_resolvers();
            let (d, rd) = P::<u8>::with_resolvers();
            let any = Promise::any([c, d]);
            rd.reject(err("d"));
            rc.reject(err("c"));
            (all.await, settled.await, race.await, any.await)
        });
        assert_eq!(out.0, Err(err("a")));
        assert_eq!(out.1, Ok(vec![Err(err("a")), Ok(2)]));
        assert_eq!(out.2, Ok(2));
        assert_eq!(
            out.3,
            Err(AggregateError {
                errors: vec![err("c"), err("d")]
            })
        );
    })
}

// ---- unhandled rejections ----

/// Reports from every test in this file land here, as (line, error); each
/// test looks only for the lines of its own promises (tests run in
/// parallel).
static SEEN: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());

fn reports() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        set_unhandled_rejection_hook(|r| {
            if r.location().file().ends_with("tests/promise.rs") {
                let seen = (r.location().line(), r.error().to_string());
                SEEN.lock().unwrap().push(seen);
            }
        });
    });
}

fn reported_at(line: u32) -> Vec<String> {
    let all = SEEN.lock().unwrap();
    all.iter()
        .filter(|(l, _)| *l == line)
        .map(|(_, e)| e.clone())
        .collect()
}

#[test]
fn an_unobserved_rejection_is_reported_once_with_its_creation_line() {
    reports();
    let line = line!() + 1;
    let p = P::<u8>::rejected(err("lost"));
    let q = p.clone();
    drop(p);
    assert!(reported_at(line).is_empty(), "a handle is still alive");
    drop(q);
    assert_eq!(reported_at(line), vec![r#"Rejected("lost")"#.to_string()]);
}

#[test]
fn a_rejection_after_the_last_handle_is_gone_is_reported_by_the_resolver() {
    reports();
    let line = line!() + 1;
    let (p, r) = P::<u8>::with_resolvers();
    drop(p);
    r.reject(err("nobody listens"));
    assert_eq!(reported_at(line).len(), 1);
}

#[test]
fn observed_or_handled_rejections_and_broken_promises_are_not_reported() {
    within(LIMIT, || {
        reports();
        let l1 = line!() + 1;
        let awaited = P::<u8>::rejected(err("seen"));
        assert!(futures::executor::block_on(awaited.clone().into_future()).is_err());
        drop(awaited);
        let l2 = line!() + 1;
        let (broken, r) = P::<u8>::with_resolvers();
        drop(r);
        drop(broken);
        let l3 = line!() + 1;
        let handled = P::<u8>::rejected(err("handled"));
        async_primer::block_on(async {
            let recovered = handled.catch(|_| Ok::<_, PromiseError>(0));
            drop(handled);
            assert_eq!(recovered.await, Ok(0));
        });
        for line in [l1, l2, l3] {
            assert!(reported_at(line).is_empty(), "line {line}");
        }
    })
}

#[test]
fn a_handler_passes_the_rejection_on_and_the_derived_promise_is_reported() {
    within(LIMIT, || {
        reports();
        let line = line!() + 2;
        async_primer::block_on(async {
            let derived = P::<u8>::rejected(err("travels")).then(|v| v + 1);
            async_primer::yield_now().await; // the reaction runs, rejecting `derived`
            async_primer::yield_now().await;
            drop(derived);
        });
        assert_eq!(
            reported_at(line),
            vec![r#"Rejected("travels")"#.to_string()]
        );
    })
}

#[test]
fn block_on_drains_microtasks_and_a_rejection_still_unhandled_is_reported() {
    within(LIMIT, || {
        reports();
        let line = line!() + 4;
        let ran = Rc::new(RefCell::new(Vec::new()));
        let log = ran.clone();
        async_primer::block_on(async move {
            let derived = P::<u8>::rejected(err("at the end")).then(|v| v + 1);
            let l = log.clone();
            async_primer::queue_microtask(move || l.borrow_mut().push("microtask"));
            drop(derived);
            // The future finishes now: its reactions have not run yet.
        });
        // block_on ran them before returning: the derived promise was rejected
        // with nobody left to see it, and that was reported.
        assert_eq!(*ran.borrow(), ["microtask"]);
        assert_eq!(
            reported_at(line),
            vec![r#"Rejected("at the end")"#.to_string()]
        );
    })
}

#[test]
fn a_rejection_handled_in_the_last_microtasks_is_not_reported() {
    within(LIMIT, || {
        reports();
        let line = line!();
        let out = Rc::new(RefCell::new(None));
        let o = out.clone();
        async_primer::block_on(async move {
            let _ = P::<u8>::rejected(err("caught late"))
                .then(|v| v + 1)
                .catch(move |e| {
                    *o.borrow_mut() = Some(e);
                    Ok::<_, PromiseError>(0)
                });
        });
        assert_eq!(*out.borrow(), Some(err("caught late")));
        for l in line + 4..=line + 6 {
            assert!(reported_at(l).is_empty(), "line {l}");
        }
    })
}

// ---- no stack overflow ----

const LONG: u32 = if cfg!(miri) { 1_000 } else { 1_000_000 };

#[test]
fn a_million_continuations_settle_and_drop_without_overflow() {
    within(LIMIT, || {
        let out = async_primer::block_on(async {
            let (first, r) = P::<u32>::with_resolvers();
            let mut last = first.clone();
            for _ in 0..LONG {
                last = last.then(|v| v + 1);
            }
            r.resolve(0);
            last.await
        });
        assert_eq!(out, Ok(LONG));
    })
}

#[test]
fn a_million_deep_adoption_chain_settles_and_drops_without_overflow() {
    within(LIMIT, || {
        fn nest(depth: u32) -> P<u32> {
            // Each level's promise follows the next level's, built lazily.
            if depth == 0 {
                P::resolved(0)
            } else {
                P::resolved(()).then_promise(move |()| nest(depth - 1).then(|v| v + 1))
            }
        }
        let depth = LONG / 4;
        assert_eq!(
            async_primer::block_on(async { nest(depth).await }),
            Ok(depth)
        );

        // And a chain of resolvers, each following the next, settled at the end.
        let out = async_primer::block_on(async {
            let (head, mut r) = P::<u32>::with_resolvers();
            for _ in 0..LONG {
                let (next, next_r) = P::<u32>::with_resolvers();
                r.follow(next);
                r = next_r;
            }
            r.resolve(7);
            head.await
        });
        assert_eq!(out, Ok(7));
    })
}

#[test]
fn an_unsettled_long_chain_drops_without_overflow() {
    within(LIMIT, || {
        // The executor is dropped with every reaction still pending.
        let ex = Executor::new();
        let (first, r) = P::<u32>::with_resolvers();
        let last = ex.block_on(async {
            let mut last = first.clone();
            for _ in 0..LONG {
                last = last.then(|v| v + 1);
            }
            last
        });
        drop(ex);
        drop(r);
        assert_eq!(
            futures::executor::block_on(last.into_future()),
            Err(PromiseError::Broken)
        );
    })
}

// ---- the waiter slots ----

#[derive(Default)]
struct CountingWaker(std::sync::atomic::AtomicUsize);

impl std::task::Wake for CountingWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

fn wakes(w: &std::sync::Arc<CountingWaker>) -> usize {
    w.0.load(std::sync::atomic::Ordering::SeqCst)
}

fn poll_with(
    fut: &mut async_primer::promise::PromiseFuture<u8>,
    w: &std::sync::Arc<CountingWaker>,
) -> std::task::Poll<Result<u8, PromiseError>> {
    use std::future::Future;
    let waker = std::task::Waker::from(w.clone());
    std::pin::Pin::new(fut).poll(&mut std::task::Context::from_waker(&waker))
}

#[test]
fn each_waiter_is_woken_once_and_a_dropped_one_not_at_all() {
    let (p, r) = P::<u8>::with_resolvers();
    let ws: Vec<_> = (0..4)
        .map(|_| std::sync::Arc::new(CountingWaker::default()))
        .collect();
    let mut futs: Vec<_> = (0..4).map(|_| p.clone().into_future()).collect();
    for (f, w) in futs.iter_mut().zip(&ws) {
        assert!(poll_with(f, w).is_pending());
    }
    // Polling again with the same waker does not add a second slot.
    assert!(poll_with(&mut futs[0], &ws[0]).is_pending());
    drop(futs.remove(2)); // gives its slot up
    r.resolve(9);
    assert_eq!(ws.iter().map(wakes).collect::<Vec<_>>(), [1, 1, 0, 1]);
    for (f, w) in futs.iter_mut().zip([&ws[0], &ws[1], &ws[3]]) {
        assert_eq!(poll_with(f, w), std::task::Poll::Ready(Ok(9)));
    }
}

#[test]
fn a_re_poll_with_another_waker_replaces_the_first() {
    let (p, r) = P::<u8>::with_resolvers();
    let (first, second) = (
        std::sync::Arc::new(CountingWaker::default()),
        std::sync::Arc::new(CountingWaker::default()),
    );
    let mut fut = p.into_future();
    assert!(poll_with(&mut fut, &first).is_pending());
    assert!(poll_with(&mut fut, &second).is_pending());
    r.resolve(1);
    assert_eq!((wakes(&first), wakes(&second)), (0, 1));
    assert_eq!(poll_with(&mut fut, &second), std::task::Poll::Ready(Ok(1)));
}

#[test]
fn debug_shows_the_state_and_where_the_promise_was_made() {
    let line = line!() + 1;
    let (p, r) = P::<u8>::with_resolvers();
    let shown = format!("{p:?}");
    assert!(shown.contains("Pending"), "{shown}");
    assert!(
        shown.contains(&format!("tests/promise.rs:{line}:")),
        "{shown}"
    );
    assert!(format!("{r:?}").starts_with("Resolver { state: Pending"));
    r.resolve(1);
    assert!(format!("{p:?}").contains("Fulfilled"));
}
