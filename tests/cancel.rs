//! Behaviour tests for `async_primer::cancel` (issue 15): the token, the
//! `JoinSet` and scopes. The interleavings with other threads are in
//! `tests/loom_cancel.rs`; these also run under Miri (smaller sizes).

mod common;
use async_primer::cancel::{
    CancellationToken, JoinSet, Policy, Scope, TaskFailure, scope, scope_with,
};
use async_primer::executor::{Builder, Executor};
use async_primer::future::{Either, select};
use async_primer::time::{now, sleep, timeout};
use async_primer::yield_now;
use common::{LIMIT, within};
use proptest::prelude::*;
use std::cell::{Cell, RefCell};
use std::future::{Future, pending, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Wake, Waker};
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

fn virtual_ex() -> Executor {
    Builder::new().virtual_time().build()
}

/// A waker that counts its wakes.
#[derive(Default)]
struct CountingWaker(AtomicUsize);
impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Counts drops of the value it is moved into.
#[derive(Clone, Default)]
struct Drops(Rc<Cell<usize>>);
struct OnDrop(Rc<Cell<usize>>);
impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}
impl Drops {
    fn guard(&self) -> OnDrop {
        OnDrop(self.0.clone())
    }
    fn get(&self) -> usize {
        self.0.get()
    }
}

// ---- CancellationToken ----

#[test]
fn cancel_wakes_every_waiter_exactly_once() {
    let token = CancellationToken::new();
    let counters: Vec<_> = (0..3).map(|_| Arc::new(CountingWaker::default())).collect();
    let mut waits: Vec<_> = (0..3).map(|_| Box::pin(token.cancelled())).collect();
    for (w, c) in waits.iter_mut().zip(&counters) {
        let waker = Waker::from(c.clone());
        assert!(
            w.as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        // A second poll with the same waker registers nothing new.
        assert!(
            w.as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
    }
    token.cancel();
    token.cancel();
    for (w, c) in waits.iter_mut().zip(&counters) {
        assert_eq!(c.0.load(SeqCst), 1);
        let waker = Waker::from(c.clone());
        assert!(w.as_mut().poll(&mut Context::from_waker(&waker)).is_ready());
        assert!(w.as_mut().poll(&mut Context::from_waker(&waker)).is_ready()); // stays ready
    }
}

#[test]
fn a_dropped_wait_is_not_woken() {
    let token = CancellationToken::new();
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(counter.clone());
    let mut w = Box::pin(token.cancelled());
    assert!(
        w.as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    drop(w);
    token.cancel();
    assert_eq!(counter.0.load(SeqCst), 0);
    // Only our waker clone inside the test is left: the token let go of its own.
    assert_eq!(Arc::strong_count(&counter), 2);
}

#[test]
fn children_follow_their_parent_never_the_reverse() {
    let root = CancellationToken::new();
    let a = root.child_token();
    let a1 = a.child_token();
    let b = root.child_token();
    a.cancel();
    assert!(a.is_cancelled() && a1.is_cancelled());
    assert!(!root.is_cancelled() && !b.is_cancelled());
    let clone_of_b = b.clone();
    drop(b); // a clone keeps the child linked
    root.cancel();
    assert!(clone_of_b.is_cancelled());
    assert!(root.child_token().is_cancelled(), "born cancelled");
}

#[test]
fn dropped_children_and_grandchildren_still_propagate() {
    let root = CancellationToken::new();
    let mid = root.child_token();
    let leaf = mid.child_token();
    drop(mid); // nobody holds `mid`, but `leaf` must still hear from `root`
    for _ in 0..100 {
        drop(root.child_token()); // short-lived children come and go
    }
    root.cancel();
    assert!(leaf.is_cancelled());
}

#[test]
fn cancel_from_another_thread_wakes_the_executor() {
    within(LIMIT, || {
        let token = CancellationToken::new();
        let remote = token.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(5));
            remote.cancel();
        });
        async_primer::block_on(token.cancelled());
        t.join().unwrap();
        assert!(token.is_cancelled());
    })
}

#[test]
fn drop_guard_cancels_on_early_return_and_on_panic() {
    let token = CancellationToken::new();
    let t = token.clone();
    let r = std::panic::catch_unwind(move || {
        let _guard = t.drop_guard();
        panic!("unwinding");
    });
    assert!(r.is_err());
    assert!(token.is_cancelled());
}

#[test]
fn tokens_are_send_sync_clone() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<CancellationToken>();
    fn send<T: Send>(_: &T) {}
    send(&CancellationToken::new().cancelled()); // awaitable on any runtime
}

#[test]
fn a_panicking_waker_does_not_stop_the_others() {
    struct Bomb;
    impl Wake for Bomb {
        fn wake(self: Arc<Self>) {
            panic!("a waker that panics");
        }
    }
    let parent = CancellationToken::new();
    let child = parent.child_token();
    let counter = Arc::new(CountingWaker::default());
    let good = Waker::from(counter.clone());
    let bad = Waker::from(Arc::new(Bomb));
    let mut w1 = Box::pin(parent.cancelled());
    let mut w2 = Box::pin(parent.cancelled());
    let mut w3 = Box::pin(child.cancelled());
    assert!(
        w1.as_mut()
            .poll(&mut Context::from_waker(&bad))
            .is_pending()
    );
    assert!(
        w2.as_mut()
            .poll(&mut Context::from_waker(&good))
            .is_pending()
    );
    assert!(
        w3.as_mut()
            .poll(&mut Context::from_waker(&good))
            .is_pending()
    );
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parent.cancel()));
    assert!(r.is_err(), "the waker's panic is passed on");
    assert_eq!(
        counter.0.load(SeqCst),
        2,
        "the other waiter and the child's were woken"
    );
    assert!(child.is_cancelled());
}

// ---- JoinSet ----

#[test]
fn join_next_is_in_completion_order() {
    within(LIMIT, || {
        let ex = virtual_ex();
        let order = ex.block_on(async {
            let mut set = JoinSet::new();
            for (id, ms) in [(0, 50), (1, 10), (2, 30), (3, 20), (4, 40)] {
                set.spawn(async move {
                    sleep(MS * ms).await;
                    id
                });
            }
            assert_eq!(set.len(), 5);
            let mut order = Vec::new();
            while let Some(r) = set.join_next().await {
                order.push(r.unwrap());
            }
            assert!(set.is_empty());
            order
        });
        assert_eq!(order, [1, 3, 2, 4, 0]);
    })
}

#[test]
fn dropping_the_set_aborts_its_tasks() {
    within(LIMIT, || {
        let ex = virtual_ex();
        let drops = Drops::default();
        let finished = Rc::new(Cell::new(0));
        ex.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..4 {
                let (guard, finished) = (drops.guard(), finished.clone());
                set.spawn(async move {
                    let _guard = guard;
                    sleep(MS * 100).await;
                    finished.set(finished.get() + 1);
                });
            }
            yield_now().await; // let them start
            drop(set);
            assert_eq!(
                drops.get(),
                0,
                "aborted at their next turn, not inside drop"
            );
            sleep(MS).await; // every ready task runs before the clock moves
            assert_eq!(drops.get(), 4);
            sleep(MS * 200).await;
        });
        assert_eq!(finished.get(), 0);
        assert_eq!(ex.tasks(), 0);
    })
}

#[test]
fn abort_all_reports_aborted_but_keeps_finished_results() {
    within(LIMIT, || {
        let ex = virtual_ex();
        ex.block_on(async {
            let mut set = JoinSet::new();
            set.spawn(async { 1 });
            set.spawn(async {
                pending::<()>().await;
                2
            });
            yield_now().await; // the first one finishes
            set.abort_all();
            let mut ok = 0;
            let mut aborted = 0;
            while let Some(r) = set.join_next().await {
                match r {
                    Ok(1) => ok += 1,
                    Err(e) if e.is_aborted() => aborted += 1,
                    other => panic!("unexpected {other:?}"),
                }
            }
            assert_eq!((ok, aborted), (1, 1));
        });
    })
}

#[test]
fn a_panicking_task_is_an_error_and_the_set_goes_on() {
    within(LIMIT, || {
        async_primer::block_on(async {
            let mut set = JoinSet::new();
            set.spawn(async { panic!("task 0") });
            set.spawn(async { 1 });
            let mut results: Vec<_> = Vec::new();
            while let Some(r) = set.join_next().await {
                results.push(r.map_err(|e| e.is_panic()));
            }
            results.sort();
            assert_eq!(results, [Ok(1), Err(true)]);
            // Reusable after being drained.
            set.spawn(async { 3 });
            assert_eq!(set.join_next().await.unwrap().unwrap(), 3);
        });
    })
}

#[test]
fn tasks_finishing_in_one_turn_all_come_out() {
    within(LIMIT, || {
        // The joiner is an ordinary task queued behind its children, so all
        // of them finish before it looks: one drain finds them all, and
        // `join_next` must keep those it does not return yet.
        let ex = virtual_ex();
        let joiner = ex.spawn(async {
            let mut set = JoinSet::new();
            for i in 0..5 {
                set.spawn(async move { i });
            }
            yield_now().await; // the first look: nothing finished yet
            let mut all = Vec::new();
            // Virtual time: if a result were lost, the time-out fires at once.
            while let Some(r) = timeout(MS * 1000, set.join_next())
                .await
                .expect("a result was lost")
            {
                all.push(r.unwrap());
            }
            all.sort();
            all
        });
        assert_eq!(ex.block_on(joiner).unwrap(), [0, 1, 2, 3, 4]);
    })
}

#[test]
fn a_dropped_join_next_loses_nothing() {
    within(LIMIT, || {
        let ex = virtual_ex();
        ex.block_on(async {
            let mut set = JoinSet::new();
            for ms in [10, 20] {
                set.spawn(async move {
                    sleep(MS * ms).await;
                    ms
                });
            }
            // Give up waiting after 15 ms: that join_next future is dropped.
            let first = timeout(MS * 15, set.join_next()).await.unwrap();
            assert_eq!(first.unwrap().unwrap(), 10);
            assert!(timeout(MS * 1, set.join_next()).await.is_err());
            assert_eq!(set.join_next().await.unwrap().unwrap(), 20);
        });
    })
}

#[test]
fn polls_each_handle_only_when_woken() {
    within(LIMIT, || {
        // 1,000 tasks woken one by one: if join_next polled every handle on
        // every wake this would be ~500,000 handle polls; we count task polls
        // as a proxy for the work done and check the wall stays sane.
        let n = if cfg!(miri) { 20 } else { 1000 };
        let ex = virtual_ex();
        let polls = Rc::new(Cell::new(0usize));
        ex.block_on(async {
            let mut set = JoinSet::new();
            for i in 0..n {
                let polls = polls.clone();
                let mut slept = Box::pin(sleep(MS * (i as u32 + 1)));
                set.spawn(poll_fn(move |cx| {
                    polls.set(polls.get() + 1);
                    slept.as_mut().poll(cx).map(|()| i)
                }));
            }
            for expected in 0..n {
                assert_eq!(set.join_next().await.unwrap().unwrap(), expected);
            }
        });
        assert_eq!(polls.get(), 2 * n, "each task: one Pending poll, one Ready");
    })
}

// ---- scope ----

#[test]
fn scope_waits_for_all_its_tasks() {
    within(LIMIT, || {
        let ex = virtual_ex();
        let done = Rc::new(Cell::new(0));
        let d = done.clone();
        let (out, elapsed) = ex.block_on(async move {
            let start = now();
            let out = scope::<(), _, _>(|s| async move {
                for ms in [30, 10, 20] {
                    let d = d.clone();
                    s.spawn(async move {
                        sleep(MS * ms).await;
                        d.set(d.get() + 1);
                        Ok(())
                    });
                }
                "body"
            })
            .await;
            (out, now() - start)
        });
        assert_eq!(out.unwrap(), "body");
        assert_eq!(done.get(), 3);
        assert_eq!(elapsed, MS * 30);
    })
}

#[test]
fn scope_waits_for_tasks_spawned_by_tasks() {
    within(LIMIT, || {
        let ex = virtual_ex();
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        ex.block_on(scope::<(), _, _>(|s: Scope<()>| async move {
            let s2 = s.clone();
            s.spawn(async move {
                sleep(MS * 5).await;
                let l2 = l.clone();
                s2.spawn(async move {
                    sleep(MS * 5).await;
                    l2.borrow_mut().push("grandchild");
                    Ok(())
                });
                l.borrow_mut().push("child");
                Ok(())
            });
        }))
        .unwrap();
        assert_eq!(*log.borrow(), ["child", "grandchild"]);
    })
}

#[test]
fn wait_all_lets_the_others_finish_and_reports_every_failure() {
    within(LIMIT, || {
        let ex = virtual_ex();
        let finished = Rc::new(Cell::new(false));
        let f = finished.clone();
        let err = ex
            .block_on(scope(|s| async move {
                s.spawn(async { Err("early") });
                s.spawn(async { panic!("crash") });
                s.spawn(async move {
                    sleep(MS * 100).await;
                    f.set(true);
                    Ok(())
                });
            }))
            .unwrap_err();
        assert!(finished.get());
        assert_eq!(err.failures().len(), 2);
        assert!(err.has_panic());
        assert!(
            err.failures()
                .iter()
                .any(|f| f.as_error() == Some(&"early"))
        );
    })
}

#[test]
fn cancel_on_error_aborts_the_rest_and_drops_the_body() {
    within(LIMIT, || {
        let ex = virtual_ex();
        let drops = Drops::default();
        let body_drops = Drops::default();
        let token_seen = Rc::new(RefCell::new(None::<CancellationToken>));
        let (err, elapsed) = ex.block_on({
            let (drops, body_drops, token_seen) =
                (drops.clone(), body_drops.clone(), token_seen.clone());
            async move {
                let start = now();
                let err = scope_with(Policy::CancelOnError, |s| async move {
                    *token_seen.borrow_mut() = Some(s.token());
                    for _ in 0..3 {
                        let guard = drops.guard();
                        s.spawn(async move {
                            let _guard = guard;
                            sleep(MS * 1000).await;
                            Ok(())
                        });
                    }
                    s.spawn(async {
                        sleep(MS * 10).await;
                        Err("failed at 10 ms")
                    });
                    let _guard = body_drops.guard();
                    sleep(MS * 5000).await;
                })
                .await
                .unwrap_err();
                (err, now() - start)
            }
        });
        assert_eq!(elapsed, MS * 10, "nobody waited for the 1 s sleepers");
        assert_eq!(drops.get(), 3, "every other task's future was dropped");
        assert_eq!(body_drops.get(), 1, "the body was dropped");
        assert!(matches!(
            err.failures(),
            [TaskFailure::Error("failed at 10 ms")]
        ));
        assert!(token_seen.borrow().as_ref().unwrap().is_cancelled());
    })
}

#[test]
fn a_panic_in_a_scope_is_never_lost() {
    within(LIMIT, || {
        let err = async_primer::block_on(scope_with(Policy::CancelOnError, |s| async move {
            s.spawn(async {
                yield_now().await;
                panic!("deep inside")
            });
            s.spawn(pending::<Result<(), ()>>());
        }))
        .unwrap_err();
        match err.into_failures().pop().unwrap() {
            TaskFailure::Panic(p) => {
                assert_eq!(*p.into_panic().downcast::<&str>().unwrap(), "deep inside")
            }
            other => panic!("expected a panic, got {other:?}"),
        }
    })
}

#[test]
fn a_dropped_scope_aborts_its_tasks() {
    within(LIMIT, || {
        let ex = virtual_ex();
        let drops = Drops::default();
        let token_seen = Rc::new(RefCell::new(None::<CancellationToken>));
        ex.block_on({
            let (drops, token_seen) = (drops.clone(), token_seen.clone());
            async move {
                // A scope future is `Unpin`: `select` takes it by value.
                let (d, t) = (drops.clone(), token_seen.clone());
                let sc = scope::<(), _, _>(|s| async move {
                    let drops = d;
                    *t.borrow_mut() = Some(s.token());
                    for _ in 0..2 {
                        let guard = drops.guard();
                        s.spawn(async move {
                            let _guard = guard;
                            sleep(MS * 1000).await;
                            Ok(())
                        });
                    }
                });
                // The scope loses the race against a 10 ms sleep, and is
                // handed back; dropping it cancels it.
                let timer = pin!(sleep(MS * 10));
                let out = select(sc, timer).await;
                let Either::Right(((), scope_future)) = out else {
                    panic!("the timer wins")
                };
                drop(scope_future);
                assert!(token_seen.borrow().as_ref().unwrap().is_cancelled());
                assert_eq!(drops.get(), 0, "aborted at their next turn");
                sleep(MS).await; // every ready task runs before the clock moves
            }
        });
        assert_eq!(drops.get(), 2);
        assert!(token_seen.borrow().as_ref().unwrap().is_cancelled());
        assert_eq!(ex.tasks(), 0);
    })
}

#[test]
fn spawning_after_the_scope_returned_panics() {
    within(LIMIT, || {
        let leaked = Rc::new(RefCell::new(None::<Scope<()>>));
        let l = leaked.clone();
        async_primer::block_on(scope(|s| async move {
            *l.borrow_mut() = Some(s);
        }))
        .unwrap();
        let s = leaked.borrow_mut().take().unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            async_primer::block_on(async move { s.spawn(async { Ok(()) }) })
        }));
        let msg = r.unwrap_err();
        assert!(
            msg.downcast_ref::<&str>()
                .unwrap()
                .contains("after the scope returned")
        );
    })
}

// ---- JoinSet against a sequential model ----

#[derive(Debug, Clone)]
enum Op {
    /// Spawn a task that sleeps this many ms, then returns its id.
    Spawn(u8),
    /// `join_next`.
    Join,
    /// The test task sleeps (tasks may finish meanwhile, unseen).
    Sleep(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..20).prop_map(Op::Spawn),
        2 => Just(Op::Join),
        1 => (0u8..20).prop_map(Op::Sleep),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 }))]

    /// Model: each task has a deadline (unique: a microsecond tie-breaker).
    /// `join_next` returns one of the tasks already past their deadline if
    /// any (in some order), else the one with the earliest deadline, and
    /// then the clock is at that deadline.
    #[test]
    fn join_set_matches_a_sequential_model(ops in prop::collection::vec(op(), 0..40)) {
        within(LIMIT, move || virtual_ex().block_on(async move {
            let start = now();
            let mut set = JoinSet::new();
            let mut model: Vec<(Duration, usize)> = Vec::new(); // (deadline, id)
            for (id, op) in ops.into_iter().enumerate() {
                let at = now() - start;
                match op {
                    Op::Spawn(ms) => {
                        let delay = MS * ms.into() + Duration::from_micros(id as u64);
                        set.spawn(async move { sleep(delay).await; id });
                        model.push((at + delay, id));
                    }
                    Op::Sleep(ms) => sleep(MS * ms.into()).await,
                    Op::Join => {
                        let got = set.join_next().await.map(|r| r.unwrap());
                        let now = now() - start;
                        let expected_any: Vec<usize> = {
                            let due: Vec<_> = model.iter().filter(|(d, _)| *d <= at).map(|&(_, i)| i).collect();
                            if !due.is_empty() { due } else {
                                model.iter().min().map(|&(_, i)| vec![i]).unwrap_or_default()
                            }
                        };
                        match got {
                            None => prop_assert!(model.is_empty()),
                            Some(id) => {
                                prop_assert!(expected_any.contains(&id), "got {id}, expected one of {expected_any:?}");
                                let k = model.iter().position(|&(_, i)| i == id).unwrap();
                                let (deadline, _) = model.swap_remove(k);
                                prop_assert_eq!(now, deadline.max(at));
                            }
                        }
                    }
                }
            }
            prop_assert_eq!(set.len(), model.len());
            Ok(())
        }))?;
    }
}
