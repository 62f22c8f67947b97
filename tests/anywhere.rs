//! The crate's primitives inside other runtimes: `Executor::run` under
//! tokio (current-thread and multi-thread) and `futures` (LocalPool and
//! block_on), the outer runtime never blocked, and the misuse rules.
//!
//! Everything runs under Miri too (tokio included), with smaller loops;
//! only the test that counts real-time ticks is skipped there (Miri's
//! slowdown makes a tick count meaningless).

mod common;
use async_primer::executor::Executor;
use async_primer::promise::{Promise, PromiseError};
use async_primer::time::sleep;
use common::{LIMIT, within};
use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

/// The workload every runtime must carry: a promise chain (then, catch,
/// finally), `Promise::all`, `sleep`, `spawn`, `yield_now` and a
/// microtask. Returns a summary the tests compare.
async fn workload() -> (u32, Vec<u32>, u32, usize) {
    let finally_ran = Rc::new(Cell::new(0));
    let f = finally_ran.clone();
    let chain = Promise::<u32>::resolved(20)
        .then(|x| x + 1)
        .and_then(|_| Err::<u32, _>(PromiseError::from("boom")))
        .catch(|_| Ok::<_, PromiseError>(42))
        .finally(move || f.set(f.get() + 1));
    let all = Promise::all((1..=3).map(|i| Promise::<u32>::resolved(i).then(|x| x * 10)));
    let task = async_primer::spawn(async {
        sleep(Duration::from_millis(5)).await;
        async_primer::yield_now().await;
        7
    });
    let micro = Rc::new(Cell::new(0));
    let m = micro.clone();
    async_primer::queue_microtask(move || m.set(m.get() + 1));
    let chained = chain.await.unwrap();
    let all = all.await.unwrap();
    let task = task.await.unwrap();
    assert_eq!(micro.get(), 1);
    (chained, all, task, finally_ran.get())
}

fn expected() -> (u32, Vec<u32>, u32, usize) {
    (42, vec![10, 20, 30], 7, 1)
}

#[test]
fn under_futures_block_on() {
    within(LIMIT, || {
        let ex = Executor::new();
        assert_eq!(futures::executor::block_on(ex.run(workload())), expected());
        // The executor can be run again afterwards.
        assert_eq!(futures::executor::block_on(ex.run(async { 1 })), 1);
    })
}

#[test]
fn under_futures_local_pool() {
    within(LIMIT, || {
        use futures::task::LocalSpawnExt;
        let mut pool = futures::executor::LocalPool::new();
        let out = Rc::new(RefCell::new(None));
        let o = out.clone();
        pool.spawner()
            .spawn_local(async move {
                let ex = Executor::new();
                *o.borrow_mut() = Some(ex.run(workload()).await);
            })
            .unwrap();
        // A neighbour on the same pool runs too.
        let neighbour = Rc::new(Cell::new(false));
        let n = neighbour.clone();
        pool.spawner()
            .spawn_local(async move { n.set(true) })
            .unwrap();
        pool.run();
        assert_eq!(out.borrow_mut().take(), Some(expected()));
        assert!(neighbour.get());
    })
}

/// Runs `f` on a tokio current-thread runtime (timers on) inside a
/// `LocalSet`, so that `spawn_local` and `!Send` futures work.
fn on_tokio_local_set<F: Future>(f: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    tokio::task::LocalSet::new().block_on(&rt, f)
}

#[test]
fn under_tokio_current_thread_with_local_set() {
    within(LIMIT, || {
        let out = on_tokio_local_set(async {
            let handle = tokio::task::spawn_local(async {
                let ex = Executor::new();
                ex.run(workload()).await
            });
            handle.await.unwrap()
        });
        assert_eq!(out, expected());
        // And straight from Runtime::block_on.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let ex = Executor::new();
        assert_eq!(rt.block_on(ex.run(workload())), expected());
    })
}

#[test]
fn under_tokio_multi_thread() {
    within(LIMIT, || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        // Runtime::block_on polls on the calling thread: `!Send` is fine.
        let ex = Executor::new();
        assert_eq!(rt.block_on(ex.run(workload())), expected());
        // A LocalSet driven by the multi-thread runtime.
        let local = tokio::task::LocalSet::new();
        let out = local.block_on(&rt, async {
            tokio::task::spawn_local(async { Executor::new().run(workload()).await })
                .await
                .unwrap()
        });
        assert_eq!(out, expected());
        // From inside a worker task: block_in_place + Handle::block_on (the
        // executor is made inside, so nothing `!Send` crosses threads).
        let out = rt.block_on(async {
            tokio::spawn(async {
                tokio::task::block_in_place(|| {
                    let ex = Executor::new();
                    tokio::runtime::Handle::current().block_on(ex.run(workload()))
                })
            })
            .await
            .unwrap()
        });
        assert_eq!(out, expected());
    })
}

/// The outer runtime keeps running while `ex.run` waits on a 200 ms
/// sleep: a tokio task ticking every 10 ms advances meanwhile.
#[test]
#[cfg_attr(miri, ignore = "counts real-time ticks: meaningless at Miri's speed")]
fn tokio_keeps_ticking_while_run_sleeps() {
    within(LIMIT, || {
        let ticks = Rc::new(Cell::new(0u32));
        let t = ticks.clone();
        let (at_start, at_end) = on_tokio_local_set(async move {
            let ticker = tokio::task::spawn_local(async move {
                let mut every = tokio::time::interval(Duration::from_millis(10));
                loop {
                    every.tick().await;
                    t.set(t.get() + 1);
                }
            });
            let ex = Executor::new();
            let ticks = ticks.clone();
            let seen = ex
                .run(async move {
                    let start = ticks.get();
                    sleep(Duration::from_millis(200)).await;
                    (start, ticks.get())
                })
                .await;
            ticker.abort();
            seen
        });
        // 200 ms at 10 ms a tick is about 20 ticks; a blocked thread gives 0.
        assert!(
            at_end >= at_start + 5,
            "the tokio ticker advanced only from {at_start} to {at_end} while ex.run slept"
        );
    })
}

/// A budget: tasks that keep yielding do not starve the outer runtime.
#[test]
fn busy_tasks_yield_to_the_outer_runtime() {
    within(LIMIT, || {
        let yields = if cfg!(miri) { 300 } else { 2_000 };
        let outer_polls = Rc::new(Cell::new(0u32));
        let o = outer_polls.clone();
        let inner_done = on_tokio_local_set(async move {
            tokio::task::spawn_local(async move {
                loop {
                    o.set(o.get() + 1);
                    tokio::task::yield_now().await;
                }
            });
            let ex = Executor::new();
            ex.run(async {
                let h = async_primer::spawn(async move {
                    for _ in 0..yields {
                        async_primer::yield_now().await;
                    }
                });
                h.await.unwrap();
                // The run's own future busy too.
                for _ in 0..yields {
                    async_primer::yield_now().await;
                }
                true
            })
            .await
        });
        assert!(inner_done);
        // 2 * yields polls at most 128 per outer poll: the outer task ran
        // between them (at least half as often as the budget allows).
        let expected = 2 * yields / 128 / 2;
        assert!(
            outer_polls.get() >= expected,
            "outer ran {}",
            outer_polls.get()
        );
    })
}

/// Wakes from another thread (a task's, and the run future's own) wake
/// the outer task through the waker `Run` left in the inbox.
#[test]
fn remote_wakes_reach_the_outer_runtime() {
    within(LIMIT, || {
        let ex = Executor::new();
        let out = futures::executor::block_on(ex.run(async {
            // The Run's own future, woken from a thread.
            let (tx, rx) = async_primer::channel::oneshot::<u32>();
            let t = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                tx.send(1).unwrap();
            });
            let first = rx.await.unwrap();
            t.join().unwrap();
            // A task, woken from a thread.
            let (tx, rx) = async_primer::channel::oneshot::<u32>();
            let h = async_primer::spawn(async move { rx.await.unwrap() + 1 });
            let t = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                tx.send(2).unwrap();
            });
            let second = h.await.unwrap();
            t.join().unwrap();
            (first, second)
        }));
        assert_eq!(out, (1, 3));
    })
}

/// A task woken by the outer runtime's own task on the same thread,
/// between two polls of `Run` (not inside it): the inbox path.
#[test]
fn same_thread_wake_from_a_tokio_task() {
    within(LIMIT, || {
        let out = on_tokio_local_set(async {
            let (tx, rx) = async_primer::channel::oneshot::<&str>();
            tokio::task::spawn_local(async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                tx.send("from tokio").unwrap();
            });
            let ex = Executor::new();
            ex.run(async move { async_primer::spawn(rx).await.unwrap().unwrap() })
                .await
        });
        assert_eq!(out, "from tokio");
    })
}

#[test]
fn virtual_time_jumps_inside_run() {
    within(LIMIT, || {
        let ex = Executor::builder().virtual_time().build();
        let start = ex.now();
        // `sleep` finds its executor when it is made: make it inside `run`.
        futures::executor::block_on(ex.run(async { sleep(Duration::from_secs(86_400)).await }));
        assert_eq!(ex.now() - start, Duration::from_secs(86_400));
    })
}

#[test]
fn tasks_spawned_before_run_run_inside_it() {
    within(LIMIT, || {
        let ex = Executor::new();
        let h = ex.spawn(async { 5 });
        assert_eq!(futures::executor::block_on(ex.run(h)).unwrap(), 5);
    })
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn a_lost_waker_is_a_deadlock_panic() {
    within(LIMIT, || {
        let ex = Executor::new();
        let payload = catch_unwind(AssertUnwindSafe(|| {
            futures::executor::block_on(ex.run(poll_fn(|_| Poll::<()>::Pending)))
        }))
        .unwrap_err();
        let msg = panic_message(payload);
        assert!(msg.starts_with("deadlock:"), "{msg}");
        // The executor is still usable.
        assert_eq!(futures::executor::block_on(ex.run(async { 3 })), 3);
    })
}

#[test]
fn a_quiet_deadlock_panics_and_names_run() {
    within(LIMIT, || {
        let ex = Executor::new();
        let payload = catch_unwind(AssertUnwindSafe(|| {
            futures::executor::block_on(ex.run(async {
                // Waits on a task that can never be woken (it drops its waker).
                let forgetful = poll_fn(|_| Poll::<()>::Pending);
                async_primer::spawn(forgetful).await.unwrap();
            }))
        }))
        .unwrap_err();
        let msg = panic_message(payload);
        assert!(msg.starts_with("deadlock:"), "{msg}");
        assert!(msg.contains("Executor::run at"), "{msg}");
        assert!(msg.contains("anywhere.rs"), "{msg}");
    })
}

#[test]
fn run_inside_block_on_panics_clearly() {
    within(LIMIT, || {
        let ex = Executor::new();
        let payload = catch_unwind(AssertUnwindSafe(|| {
            async_primer::block_on(async { ex.run(async { 1 }).await })
        }))
        .unwrap_err();
        let msg = panic_message(payload);
        assert!(
            msg.contains("Executor::run polled while an executor of this crate is already running"),
            "{msg}"
        );
    })
}

#[test]
fn two_runs_of_one_executor_panic_clearly() {
    within(LIMIT, || {
        let ex = Executor::new();
        let payload = catch_unwind(AssertUnwindSafe(|| {
            let (_keep, rx) = async_primer::channel::oneshot::<()>();
            futures::executor::block_on(async {
                let first = Box::pin(ex.run(rx));
                let second = ex.run(async { 1 });
                // Poll the first once, then the second while the first lives.
                let mut first = first;
                let _ = futures::poll!(&mut first);
                second.await
            })
        }))
        .unwrap_err();
        let msg = panic_message(payload);
        assert!(msg.contains("already driven by another `run`"), "{msg}");
        // After both are gone the executor runs again.
        assert_eq!(futures::executor::block_on(ex.run(async { 2 })), 2);
    })
}

#[test]
fn dropping_a_run_keeps_its_tasks_and_wakes_nothing_stale() {
    within(LIMIT, || {
        let ex = Executor::new();
        let drops = Arc::new(AtomicUsize::new(0));
        {
            let d = drops.clone();
            let mut run = Box::pin(ex.run(async move {
                let _guard = DropCount(d);
                sleep(Duration::from_secs(60)).await;
            }));
            let waker = futures::task::noop_waker();
            let mut cx = std::task::Context::from_waker(&waker);
            assert!(run.as_mut().poll(&mut cx).is_pending());
        }
        // The run's future was dropped with the run.
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        assert_eq!(futures::executor::block_on(ex.run(async { 4 })), 4);
    })
}

/// A `Run` waiting for a remote wake (its outer waker left in the inbox)
/// while the same executor's `block_on` parks in between two of its polls:
/// the parking must not throw the outer waker away, or the `Run` is never
/// woken again.
#[test]
fn a_waiting_run_outlives_a_block_on_that_parks() {
    within(LIMIT, || {
        let ex = Executor::new();
        let (tx, rx) = async_primer::channel::oneshot::<u32>();
        let mut run = Box::pin(ex.run(async move { rx.await.unwrap() }));
        let (waker, counts) = async_primer::testing::counting_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(run.as_mut().poll(&mut cx).is_pending());
        // block_on parks until another thread sends.
        let (tx2, rx2) = async_primer::channel::oneshot::<u32>();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            tx2.send(2).unwrap();
        });
        assert_eq!(ex.block_on(rx2), Ok(2));
        t.join().unwrap();
        // The notification that ended the park woke the outer runtime too
        // (it must not have been thrown away when block_on parked), so the
        // outer runtime polls the Run again and finds its value.
        assert!(
            counts.woken() >= 1,
            "the outer runtime was never woken: {counts}"
        );
        std::thread::spawn(move || tx.send(7).unwrap())
            .join()
            .unwrap();
        assert_eq!(run.as_mut().poll(&mut cx), Poll::Ready(7));
    })
}

struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A `Promise` goes straight into `block_on`, `join`, `select`, `race`
/// and `timeout` (all take `impl IntoFuture`).
#[test]
fn promises_go_straight_into_combinators() {
    within(LIMIT, || {
        use async_primer::future::{Either, join, race, select};
        let out = async_primer::block_on(Promise::<u8>::resolved(1));
        assert_eq!(out, Ok(1));
        async_primer::block_on(async {
            let p = Promise::<u8>::resolved(1);
            let q = Promise::<u8>::resolved(2);
            assert_eq!(join(p.clone(), &q).await, (Ok(1), Ok(2)));
            match select(p.clone(), q.clone()).await {
                Either::Left((v, _)) => assert_eq!(v, Ok(1)),
                Either::Right(_) => panic!("ties go left"),
            }
            assert_eq!(race([p.clone(), q.clone()]).await, Ok(1));
            let t = async_primer::time::timeout(Duration::from_secs(1), p).await;
            assert_eq!(t, Ok(Ok(1)));
        });
        assert_eq!(
            futures::executor::block_on(async_primer::future::join(
                Promise::<u8>::resolved(3),
                async { 4 }
            )),
            (Ok(3), 4)
        );
    })
}

/// The watchdog works inside `run` too: the alarm thread ends each nap
/// it allows, and a nap with nothing arriving is reported as a stall.
#[test]
fn the_watchdog_reports_a_stall_inside_run() {
    within(LIMIT, || {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let stalls = std::sync::Arc::new(AtomicUsize::new(0));
        let s = stalls.clone();
        let ex = Executor::builder()
            .watchdog(Duration::from_millis(20))
            .on_diagnostic(move |d| {
                if matches!(d, async_primer::executor::Diagnostic::Stalled { .. }) {
                    s.fetch_add(1, SeqCst);
                }
            })
            .build();
        let (tx, rx) = async_primer::channel::oneshot::<u8>();
        // The sender waits for the stall report (at most 10 s), so a slow
        // machine (or Miri) cannot send before the first nap is over.
        let seen = stalls.clone();
        let t = std::thread::spawn(move || {
            let start = std::time::Instant::now();
            while seen.load(SeqCst) == 0 && start.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(5));
            }
            tx.send(1).unwrap();
        });
        let out = futures::executor::block_on(ex.run(async move { rx.await.unwrap() }));
        t.join().unwrap();
        assert_eq!(out, 1);
        assert!(stalls.load(SeqCst) >= 1, "no stall reported");
    })
}
