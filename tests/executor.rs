//! Integration tests for the executor (issue 3): spawning, joining, wakers,
//! panics, abort, shutdown, the deadlock and lost-waker diagnostics, seeds,
//! the watchdog and spawn_blocking. The cross-thread interleavings are in
//! tests/loom_executor.rs; misuse panics in tests/executor_misuse.rs.

mod common;
use async_primer::executor::{Diagnostic, Executor, JoinHandle};
use async_primer::time::sleep;
use common::{LIMIT, within};
use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Counts how often it was dropped.
struct DropCount(Rc<Cell<usize>>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// A broken future: returns Pending without keeping the waker.
struct Forgetful;
impl Future for Forgetful {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

/// Pending once, storing the waker in `slot`, then Ready.
fn park_in(slot: Rc<RefCell<Option<Waker>>>) -> impl Future<Output = ()> {
    let mut first = true;
    poll_fn(move |cx| {
        if first {
            first = false;
            *slot.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
}

fn panic_text(err: Box<dyn std::any::Any + Send>) -> String {
    match err.downcast::<String>() {
        Ok(s) => *s,
        Err(err) => err
            .downcast::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

fn collecting_executor() -> (Executor, Rc<RefCell<Vec<String>>>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    let ex = Executor::builder()
        .on_diagnostic(move |d| log.borrow_mut().push(d.to_string()))
        .build();
    (ex, seen)
}

#[test]
fn block_on_returns_the_output() {
    within(LIMIT, || {
        assert_eq!(Executor::new().block_on(async { 40 + 2 }), 42);
        assert_eq!(async_primer::block_on(async { "free" }), "free");
    })
}

#[test]
fn spawned_tasks_run_and_join_with_not_send_futures() {
    within(LIMIT, || {
        let ex = Executor::new();
        let shared = Rc::new(Cell::new(0));
        let handles: Vec<JoinHandle<usize>> = (0..10)
            .map(|i| {
                let shared = shared.clone();
                ex.spawn(async move {
                    shared.set(shared.get() + 1);
                    i * 2
                })
            })
            .collect();
        let sum = ex.block_on(async {
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, 90);
        assert_eq!(shared.get(), 10);
        assert_eq!(ex.tasks(), 0);
    })
}

#[test]
fn free_spawn_inside_block_on_and_detached_tasks_still_run() {
    within(LIMIT, || {
        let ran = Rc::new(Cell::new(false));
        let flag = ran.clone();
        async_primer::block_on(async move {
            drop(async_primer::spawn(async move { flag.set(true) }));
            async_primer::yield_now().await;
        });
        assert!(ran.get());
    })
}

#[test]
fn yield_now_lets_others_run_in_fifo_order() {
    within(LIMIT, || {
        let ex = Executor::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        for name in ["a", "b", "c"] {
            let log = log.clone();
            drop(ex.spawn(async move {
                for round in 0..2 {
                    log.borrow_mut().push(format!("{name}{round}"));
                    async_primer::yield_now().await;
                }
            }));
        }
        assert_eq!(ex.run_until_stalled(), 9); // 3 tasks x 3 polls each
        assert_eq!(*log.borrow(), ["a0", "b0", "c0", "a1", "b1", "c1"]);
    })
}

#[test]
fn many_wakes_before_a_poll_give_one_poll() {
    within(LIMIT, || {
        let ex = Executor::new();
        let polls = Rc::new(Cell::new(0));
        let slot = Rc::new(RefCell::new(None::<Waker>));
        let (p, s) = (polls.clone(), slot.clone());
        let h = ex.spawn(poll_fn(move |cx| {
            p.set(p.get() + 1);
            if p.get() == 1 {
                *s.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        }));
        assert_eq!(ex.run_until_stalled(), 1);
        let waker = slot.borrow_mut().take().unwrap();
        for _ in 0..5 {
            waker.wake_by_ref();
        }
        assert_eq!(ex.run_until_stalled(), 1, "in the queue at most once");
        assert_eq!(polls.get(), 2);
        assert!(h.is_finished());
        // Waking a finished task is harmless.
        waker.wake();
        assert_eq!(ex.run_until_stalled(), 0);
        assert_eq!(polls.get(), 2);
    })
}

#[test]
fn a_wake_from_another_thread_unparks_the_executor() {
    within(LIMIT, || {
        let ex = Executor::new();
        let (tx, rx) = std::sync::mpsc::channel::<Waker>();
        let woken = Arc::new(AtomicUsize::new(0));
        let w = woken.clone();
        let helper = std::thread::spawn(move || {
            let waker = rx.recv().unwrap();
            w.fetch_add(1, Ordering::SeqCst);
            waker.wake();
        });
        let mut sent = Some(tx);
        let polls = ex.block_on(poll_fn(move |cx| match sent.take() {
            Some(tx) => {
                tx.send(cx.waker().clone()).unwrap();
                Poll::Pending
            }
            None => Poll::Ready(2),
        }));
        helper.join().unwrap();
        assert_eq!(polls, 2);
        assert_eq!(woken.load(Ordering::SeqCst), 1);
    })
}

#[test]
fn wakers_may_outlive_the_executor() {
    within(LIMIT, || {
        let slot = Rc::new(RefCell::new(None::<Waker>));
        let dropped = Rc::new(Cell::new(0));
        {
            let ex = Executor::new();
            let (s, d) = (slot.clone(), DropCount(dropped.clone()));
            drop(ex.spawn(async move {
                let _d = d;
                park_in(s).await;
                std::future::pending::<()>().await;
            }));
            ex.run_until_stalled();
        }
        assert_eq!(dropped.get(), 1, "dropping the executor dropped the future");
        let waker = slot.borrow_mut().take().unwrap();
        let clone = waker.clone();
        waker.wake(); // does nothing, frees nothing twice
        std::thread::spawn(move || clone.wake()).join().unwrap();
    })
}

#[test]
fn dropping_the_executor_drops_every_pending_future_once() {
    within(LIMIT, || {
        let dropped = Rc::new(Cell::new(0));
        let handle;
        {
            let ex = Executor::new();
            for _ in 0..5 {
                let d = DropCount(dropped.clone());
                drop(ex.spawn(async move {
                    let _d = d;
                    std::future::pending::<()>().await
                }));
            }
            let d = DropCount(dropped.clone());
            handle = ex.spawn(async move {
                let _d = d;
                sleep(Duration::from_secs(3600)).await
            });
            ex.run_until_stalled();
            assert_eq!(dropped.get(), 0);
        }
        assert_eq!(dropped.get(), 6);
        assert!(handle.is_finished());
        let result = Executor::new().block_on(handle);
        assert!(result.unwrap_err().is_aborted());
    })
}

/// A future whose destructor spawns a task and wakes another: shutdown
/// must cope (both new and woken tasks are dropped too).
#[test]
fn destructors_that_spawn_or_wake_during_shutdown() {
    within(LIMIT, || {
        struct Noisy(Rc<Cell<usize>>, Option<Waker>);
        impl Drop for Noisy {
            fn drop(&mut self) {
                if let Some(w) = self.1.take() {
                    w.wake();
                }
                let d = DropCount(self.0.clone());
                drop(async_primer::spawn(async move {
                    let _d = d;
                    std::future::pending::<()>().await
                }));
            }
        }
        let dropped = Rc::new(Cell::new(0));
        let slot = Rc::new(RefCell::new(None::<Waker>));
        {
            let ex = Executor::new();
            let s = slot.clone();
            drop(ex.spawn(park_in(s)));
            ex.run_until_stalled();
            let other = slot.borrow_mut().take();
            let noisy = Noisy(dropped.clone(), other);
            drop(ex.spawn(async move {
                let _n = noisy;
                std::future::pending::<()>().await
            }));
            ex.run_until_stalled();
        }
        assert_eq!(
            dropped.get(),
            1,
            "the task spawned during shutdown was dropped too"
        );
    })
}

#[test]
fn abort_drops_the_future_and_reports_aborted() {
    within(LIMIT, || {
        let ex = Executor::new();
        let dropped = Rc::new(Cell::new(0));
        let d = DropCount(dropped.clone());
        let h = ex.spawn(async move {
            let _d = d;
            std::future::pending::<()>().await
        });
        ex.run_until_stalled();
        h.abort();
        assert_eq!(
            dropped.get(),
            0,
            "abort takes effect at the task's next turn"
        );
        ex.run_until_stalled();
        assert_eq!(dropped.get(), 1);
        assert!(h.is_finished());
        let err = ex.block_on(h).unwrap_err();
        assert!(err.is_aborted() && !err.is_panic());
        assert_eq!(err.to_string(), "task was aborted");
    })
}

#[test]
fn abort_after_completion_keeps_the_value() {
    within(LIMIT, || {
        let ex = Executor::new();
        let h = ex.spawn(async { 5 });
        ex.run_until_stalled();
        h.abort();
        assert_eq!(ex.block_on(h).unwrap(), 5);
    })
}

#[test]
fn a_panicking_task_gives_join_error_and_the_rest_go_on() {
    within(LIMIT, || {
        let ex = Executor::new();
        let bad = ex.spawn(async { panic!("task exploded") });
        let good = ex.spawn(async { 1 });
        let (bad, good) = ex.block_on(async { (bad.await, good.await) });
        let err = bad.unwrap_err();
        assert!(err.is_panic());
        assert!(err.to_string().contains("task exploded"));
        assert_eq!(panic_text(err.into_panic()), "task exploded");
        assert_eq!(good.unwrap(), 1);
        assert_eq!(ex.block_on(async { 3 }), 3, "the executor is still usable");
    })
}

#[test]
fn a_detached_panic_goes_to_the_hook_with_the_task_name() {
    within(LIMIT, || {
        let (ex, seen) = collecting_executor();
        drop(ex.spawn_named("reporter", async { panic!("lost in the void") }));
        ex.run_until_stalled();
        let seen = seen.borrow();
        assert_eq!(seen.len(), 1);
        assert!(
            seen[0].contains("'reporter'") && seen[0].contains("lost in the void"),
            "{seen:?}"
        );
    })
}

#[test]
fn block_on_future_panic_propagates() {
    within(LIMIT, || {
        let ex = Executor::new();
        let err = catch_unwind(AssertUnwindSafe(|| {
            ex.block_on(async { panic!("main boom") })
        }));
        assert_eq!(panic_text(err.unwrap_err()), "main boom");
        assert!(!async_primer::executor::is_running());
        assert_eq!(ex.block_on(async { 1 }), 1);
    })
}

#[test]
fn deadlock_when_block_on_future_forgets_its_waker() {
    within(LIMIT, || {
        let err = catch_unwind(|| async_primer::block_on(Forgetful)).unwrap_err();
        let text = panic_text(err);
        assert!(text.starts_with("deadlock:"), "{text}");
        assert!(text.contains("cx.waker()"), "{text}");
    })
}

#[test]
fn deadlock_when_awaiting_a_task_that_forgot_its_waker() {
    within(LIMIT, || {
        let (ex, seen) = collecting_executor();
        let err = catch_unwind(AssertUnwindSafe(|| {
            ex.block_on(async {
                async_primer::executor::spawn_named("forgetful", Forgetful)
                    .await
                    .unwrap();
            })
        }))
        .unwrap_err();
        let text = panic_text(err);
        assert!(text.starts_with("deadlock:"), "{text}");
        assert!(
            text.contains("'forgetful'") && text.contains("lost its waker"),
            "{text}"
        );
        let seen = seen.borrow();
        // The lost waker when it happened, then the deadlock (also to the hook,
        // just before the panic carries the same text).
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert!(seen[0].starts_with("lost waker: 'forgetful'"), "{seen:?}");
        assert_eq!(seen[1], text, "{seen:?}");
    })
}

#[test]
fn a_dropped_sender_like_handle_does_not_hang() {
    within(LIMIT, || {
        // A one-slot channel: dropping the sender wakes the receiver.
        struct Chan {
            value: Option<u32>,
            closed: bool,
            waker: Option<Waker>,
        }
        struct Sender(Rc<RefCell<Chan>>);
        impl Drop for Sender {
            fn drop(&mut self) {
                let mut c = self.0.borrow_mut();
                c.closed = true;
                if let Some(w) = c.waker.take() {
                    w.wake();
                }
            }
        }
        let chan = Rc::new(RefCell::new(Chan {
            value: None,
            closed: false,
            waker: None,
        }));
        let tx = Sender(chan.clone());
        let out = async_primer::block_on(async move {
            drop(async_primer::spawn(async move {
                async_primer::yield_now().await;
                drop(tx); // gives up without sending
            }));
            poll_fn(|cx| {
                let mut c = chan.borrow_mut();
                match (c.value.take(), c.closed) {
                    (Some(v), _) => Poll::Ready(Some(v)),
                    (None, true) => Poll::Ready(None),
                    (None, false) => {
                        c.waker = Some(cx.waker().clone());
                        Poll::Pending
                    }
                }
            })
            .await
        });
        assert_eq!(out, None);
    })
}

#[test]
fn a_task_waiting_on_another_thread_is_not_a_deadlock() {
    within(LIMIT, || {
        let out = async_primer::block_on(async {
            let h = async_primer::spawn(async {
                let (tx, rx) = std::sync::mpsc::channel::<Waker>();
                let done = Arc::new(AtomicUsize::new(0));
                let d = done.clone();
                let t = std::thread::spawn(move || {
                    let w = rx.recv().unwrap();
                    std::thread::sleep(Duration::from_millis(5));
                    d.store(1, Ordering::SeqCst);
                    w.wake();
                });
                let mut tx = Some(tx);
                poll_fn(|cx| {
                    if done.load(Ordering::SeqCst) == 1 {
                        return Poll::Ready(());
                    }
                    if let Some(tx) = tx.take() {
                        tx.send(cx.waker().clone()).unwrap();
                    }
                    Poll::Pending
                })
                .await;
                t.join().unwrap();
                7
            });
            h.await.unwrap()
        });
        assert_eq!(out, 7);
    })
}

#[test]
fn same_seed_same_order_and_default_is_fifo() {
    within(LIMIT, || {
        let order = |builder: async_primer::executor::Builder| {
            let ex = builder.build();
            let log = Rc::new(RefCell::new(Vec::new()));
            for i in 0..20 {
                let log = log.clone();
                drop(ex.spawn(async move {
                    log.borrow_mut().push(i);
                    async_primer::yield_now().await;
                    log.borrow_mut().push(100 + i);
                }));
            }
            ex.run_until_stalled();
            log.take()
        };
        let fifo = order(Executor::builder());
        let expected: Vec<i32> = (0..20).chain(100..120).collect();
        assert_eq!(fifo, expected);
        assert_eq!(
            order(Executor::builder().seed(1)),
            order(Executor::builder().seed(1))
        );
        let distinct: std::collections::HashSet<Vec<i32>> =
            (0..5).map(|s| order(Executor::builder().seed(s))).collect();
        assert!(distinct.len() > 1, "different seeds give different orders");
        assert!(distinct.iter().all(|o| o.len() == 40));
    })
}

#[test]
#[cfg_attr(miri, ignore = "the watchdog's monitor thread measures real time")]
fn the_watchdog_names_a_blocking_task() {
    within(LIMIT, || {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = seen.clone();
        let ex = Executor::builder()
            .watchdog(Duration::from_millis(50))
            .on_blocked_poll(|_| {})
            .on_diagnostic(move |d| {
                if let Diagnostic::SlowPoll { task, took } = d {
                    log.borrow_mut().push((task.to_string(), *took));
                }
            })
            .build();
        ex.block_on(async {
            async_primer::executor::spawn_named("sleepy", async {
                std::thread::sleep(Duration::from_millis(400));
            })
            .await
            .unwrap();
        });
        let seen = seen.borrow();
        assert!(
        seen.iter()
            .any(|(task, took)| task.contains("'sleepy'") && *took >= Duration::from_millis(50)),
        "{seen:?}"
    );
    })
}

#[test]
fn spawn_blocking_returns_its_value_and_does_not_block_the_executor() {
    within(LIMIT, || {
        let ex = Executor::new();
        let out = ex.block_on(async {
            // The job blocks until a task on the executor has run: so the
            // executor kept running tasks while the job blocked.
            let (tx, rx) = std::sync::mpsc::channel::<u32>();
            let job = async_primer::spawn_blocking(move || rx.recv().unwrap() * 2);
            let sender = async_primer::spawn(async move {
                async_primer::yield_now().await;
                tx.send(21).unwrap();
            });
            sender.await.unwrap();
            job.await.unwrap()
        });
        assert_eq!(out, 42);
    })
}

#[test]
fn spawn_blocking_panic_becomes_a_join_error() {
    within(LIMIT, || {
        let err = async_primer::block_on(async {
            async_primer::spawn_blocking(|| -> u8 { panic!("blocking boom") }).await
        })
        .unwrap_err();
        assert!(err.is_panic());
        assert_eq!(panic_text(err.into_panic()), "blocking boom");
    })
}

#[test]
fn many_blocking_jobs_share_a_small_pool() {
    within(LIMIT, || {
        let n = if cfg!(miri) { 6 } else { 40 };
        let sum = async_primer::block_on(async move {
            let handles: Vec<_> = (0..n)
                .map(|i| async_primer::spawn_blocking(move || i))
                .collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, (0..n).sum::<i32>());
    })
}

#[test]
fn block_on_can_be_called_again_and_finishes_leftover_tasks() {
    within(LIMIT, || {
        let ex = Executor::new();
        let slot = Rc::new(RefCell::new(None::<Waker>));
        let h = ex.spawn(park_in(slot.clone()));
        ex.block_on(async_primer::yield_now()); // one turn: the task runs once
        assert!(!h.is_finished());
        slot.borrow_mut().take().unwrap().wake(); // woken while not running: inbox
        ex.block_on(async_primer::yield_now());
        assert!(h.is_finished());
    })
}

#[test]
fn join_handle_dropped_after_completion_drops_the_output() {
    within(LIMIT, || {
        let dropped = Rc::new(Cell::new(0));
        let ex = Executor::new();
        let d = DropCount(dropped.clone());
        let h = ex.spawn(async move { d });
        ex.run_until_stalled();
        assert_eq!(dropped.get(), 0);
        drop(h);
        assert_eq!(dropped.get(), 1);
        let d = DropCount(dropped.clone());
        drop(ex.spawn(async move { d })); // detached: dropped at completion
        ex.run_until_stalled();
        assert_eq!(dropped.get(), 2);
    })
}

#[test]
fn a_task_can_abort_itself() {
    within(LIMIT, || {
        let ex = Executor::new();
        let me: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::new(RefCell::new(None));
        let m = me.clone();
        let h = ex.spawn(async move {
            async_primer::yield_now().await;
            if let Some(h) = m.borrow().as_ref() {
                h.abort();
            }
            std::future::pending::<()>().await
        });
        *me.borrow_mut() = Some(h);
        ex.run_until_stalled();
        let h = me.borrow_mut().take().unwrap();
        assert!(h.is_finished());
        assert!(ex.block_on(h).unwrap_err().is_aborted());
    })
}

#[test]
fn last_waker_dropped_on_another_thread_is_a_deadlock_not_a_hang() {
    within(LIMIT, || {
        let ex = Executor::new();
        let slot = Rc::new(RefCell::new(None::<Waker>));
        let task = ex.spawn_named("abandoned", park_in(slot.clone()));
        ex.run_until_stalled();
        let waker = slot.borrow_mut().take().unwrap();
        // The helper drops the only waker, before or after the executor parks.
        let helper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(if cfg!(miri) { 0 } else { 5 }));
            drop(waker);
        });
        let err = catch_unwind(AssertUnwindSafe(|| ex.block_on(task))).unwrap_err();
        helper.join().unwrap();
        let text = panic_text(err);
        assert!(
            text.starts_with("deadlock:") && text.contains("'abandoned'"),
            "{text}"
        );
    })
}

#[test]
fn the_watchdog_reports_a_stall_with_the_waiting_tasks() {
    within(LIMIT, || {
        // The helper thread wakes the task only after the watchdog reported the
        // stall, so the test needs no timing assumption.
        let (stalled_tx, stalled_rx) = std::sync::mpsc::channel::<()>();
        let reports = Rc::new(RefCell::new(Vec::new()));
        let log = reports.clone();
        let ex = Executor::builder()
            .watchdog(Duration::from_millis(2))
            .on_diagnostic(move |d| {
                if let Diagnostic::Stalled { waiting, .. } = d {
                    log.borrow_mut().push(waiting.join(", "));
                    let _ = stalled_tx.send(());
                }
            })
            .build();
        let waiter = ex.spawn_named("waiting-for-helper", async move {
            let mut rx = Some(stalled_rx);
            let mut helper = None;
            poll_fn(|cx| match rx.take() {
                Some(rx) => {
                    let waker = cx.waker().clone();
                    helper = Some(std::thread::spawn(move || {
                        rx.recv().unwrap();
                        waker.wake();
                    }));
                    Poll::Pending
                }
                None => Poll::Ready(()),
            })
            .await;
            helper.unwrap().join().unwrap();
            "done"
        });
        assert_eq!(ex.block_on(waiter).unwrap(), "done");
        let reports = reports.borrow();
        assert!(!reports.is_empty());
        assert!(reports[0].contains("'waiting-for-helper'"), "{reports:?}");
    })
}
