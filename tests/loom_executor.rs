//! Loom models of every place where another thread meets the executor
//! (src/executor/: `waker.rs`, `drop_waker.rs`, `main_header.rs`,
//! `queues.rs`'s inbox, `run_loop.rs`, `shutdown.rs`, `blocking.rs`). Run with:
//!
//! ```text
//! RUSTFLAGS="--cfg async_primer_loom" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release --test loom_executor
//! ```
//!
//! | model | the bug it would catch |
//! |---|---|
//! | `wake_while_parking` | a lost wake-up: the remote wake lands between "inbox empty" and "park", and the executor sleeps forever (loom reports the deadlock); or a double poll |
//! | `wake_racing_completion` | a task polled again after it completed, or freed while a remote wake still uses it, or queued twice |
//! | `abort_racing_remote_wake` | an aborted task polled again, its future dropped twice or never |
//! | `spawn_blocking_while_parking` | the job's result arriving while the executor parks and never being seen; the pool thread or its job leaking |
//! | `waker_count_exact_under_clone_and_drop` | a waker count off by one under concurrent clone and drop: the task leaks (loom's leak check) or is freed twice; the same count decides "lost waker" and "deadlock" (their std tests are in tests/executor.rs) |
//! | `local_wake_by_value_racing_remote_clone_and_drop` | the local wake by value giving up the waker's reference in the same compare-and-swap as SCHEDULED (waker.rs, `// Speed:`): not giving it up leaks the task (loom's leak check), giving up one too many frees it under a live waker |
//! | `executor_dropped_while_waking` | a remote wake after shutdown touching freed memory, leaking the task, or re-queueing it into a dead executor |
//! | `last_waker_dropped_remotely` | a parked executor that never learns that the last waker of a waiting task was dropped on another thread (no nudge): it sleeps forever instead of reporting `deadlock:` (loom reports every thread blocked); also a waker count that lets the task be freed while the dropping thread still reads it |
//! | `virtual_clock_waits_for_blocking_job` | the virtual clock jumping while a `spawn_blocking` job can still wake its task: `timeout(1s, spawn_blocking(..))` times out although the job takes no time (the pool's count decremented before the job ran, or read without Acquire) |
//! | `free_block_on_spare_executor_is_freed` | the executor kept by the free `block_on` leaking at thread exit (under loom it drops with its thread-local, see `NoDestructor` in src/sync.rs; the std path, `Owner`, is checked by Miri in `executor::tests`); it also caught a false `deadlock:` (a remote wake racing the waker count, fixed in diagnostics.rs) |
//! | `remote_wake_while_run_registers` | `Executor::run` going idle (leaving the outer runtime's waker in the inbox) while another thread wakes one of its tasks: a wake that lands between "inbox empty" and "waker registered" is lost, and the outer task is never woken (the model then sees a Pending poll with no outer wake); or the outer task woken twice |
//! | `run_future_woken_remotely` | the same for the `Run`'s own future, whose waker only nudges the inbox: the nudge must wake the outer task exactly once |
//!
//! Loom runs every model thread on one OS thread, so the executor's
//! thread-local "current executor" and all its locks come from
//! `crate::sync` (loom's versions under this cfg). Loom's own leak check
//! (every loom `Arc` freed at the end) covers "nothing leaks".
#![cfg(async_primer_loom)]

mod common;

use async_primer::executor::Executor;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// A task body: Pending on its first poll (storing a waker in `slot`),
/// Ready after. Counts polls and drops.
fn pending_once(
    polls: Rc<Cell<usize>>,
    drops: Rc<Cell<usize>>,
    slot: Rc<RefCell<Option<Waker>>>,
) -> impl Future<Output = usize> {
    struct OnDrop(Rc<Cell<usize>>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let guard = OnDrop(drops);
    poll_fn(move |cx| {
        let _keep = &guard;
        polls.set(polls.get() + 1);
        if polls.get() == 1 {
            *slot.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        } else {
            Poll::Ready(polls.get())
        }
    })
}

struct Counts {
    polls: Rc<Cell<usize>>,
    drops: Rc<Cell<usize>>,
    slot: Rc<RefCell<Option<Waker>>>,
}

fn counts() -> Counts {
    Counts {
        polls: Rc::new(Cell::new(0)),
        drops: Rc::new(Cell::new(0)),
        slot: Rc::new(RefCell::new(None)),
    }
}

impl Counts {
    fn future(&self) -> impl Future<Output = usize> + use<> {
        pending_once(self.polls.clone(), self.drops.clone(), self.slot.clone())
    }
    fn waker(&self) -> Waker {
        self.slot
            .borrow_mut()
            .take()
            .expect("the first poll stored a waker")
    }
}

/// An executor with one detached task that waits (its first poll stored a
/// waker), and that waker: the wakers are the task's last references.
fn detached_waiting_task() -> (Executor, Counts, Waker) {
    let ex = Executor::new();
    let c = counts();
    drop(ex.spawn(c.future()));
    ex.run_until_stalled();
    let waker = c.waker();
    (ex, c, waker)
}

#[test]
fn wake_while_parking() {
    common::loom_model(|| {
        let ex = Executor::new();
        let c = counts();
        let handle = ex.spawn(c.future());
        assert_eq!(ex.run_until_stalled(), 1);
        let waker = c.waker();
        let wakes = Arc::new(AtomicUsize::new(0));
        let w = wakes.clone();
        let t = thread::spawn(move || {
            w.fetch_add(1, Ordering::SeqCst);
            waker.wake();
        });
        // block_on parks until the remote wake arrives, whenever it does.
        assert_eq!(ex.block_on(handle).unwrap(), 2);
        t.join().unwrap();
        assert_eq!(c.polls.get(), 2, "exactly one more poll");
        assert_eq!(wakes.load(Ordering::SeqCst), 1);
        assert_eq!(c.drops.get(), 1);
    });
}

#[test]
fn wake_racing_completion() {
    common::loom_model(|| {
        let ex = Executor::new();
        let c = counts();
        let handle = ex.spawn(c.future());
        ex.run_until_stalled();
        let waker = c.waker();
        let remote = waker.clone();
        let t = thread::spawn(move || remote.wake());
        // A local wake too: the task completes on its second poll, racing
        // the remote wake (which may land before, during or after).
        waker.wake();
        assert_eq!(ex.block_on(handle).unwrap(), 2);
        t.join().unwrap();
        // A late remote wake must not poll the completed task.
        assert_eq!(ex.run_until_stalled(), 0);
        assert_eq!(c.polls.get(), 2);
        assert_eq!(c.drops.get(), 1);
        assert_eq!(ex.tasks(), 0);
    });
}

#[test]
fn abort_racing_remote_wake() {
    common::loom_model(|| {
        let ex = Executor::new();
        let c = counts();
        let handle = ex.spawn(c.future());
        ex.run_until_stalled();
        let waker = c.waker();
        let t = thread::spawn(move || waker.wake());
        handle.abort();
        let result = ex.block_on(handle);
        t.join().unwrap();
        assert!(result.unwrap_err().is_aborted());
        assert_eq!(ex.run_until_stalled(), 0);
        assert_eq!(c.polls.get(), 1, "an aborted task is not polled again");
        assert_eq!(c.drops.get(), 1, "its future is dropped exactly once");
    });
}

#[test]
fn spawn_blocking_while_parking() {
    common::loom_model(|| {
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let ex = Executor::new();
        let out = ex.block_on(async move {
            async_primer::spawn_blocking(move || {
                r.fetch_add(1, Ordering::SeqCst);
                5
            })
            .await
            .unwrap()
        });
        assert_eq!(out, 5);
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        drop(ex); // closes the pool: its thread exits
    });
}

#[test]
fn waker_count_exact_under_clone_and_drop() {
    common::loom_model(|| {
        let (ex, c, waker) = detached_waiting_task();
        let theirs = waker.clone();
        let t = thread::spawn(move || {
            let clone = theirs.clone();
            drop(theirs);
            drop(clone);
        });
        let mine = waker.clone();
        drop(waker);
        // The task completes while the other thread clones and drops.
        mine.wake_by_ref();
        assert_eq!(ex.run_until_stalled(), 1);
        assert_eq!(c.polls.get(), 2);
        assert_eq!(ex.tasks(), 0);
        drop(mine);
        t.join().unwrap();
        assert_eq!(c.drops.get(), 1);
        // One count too many and the task (with the executor's shared half
        // inside) leaks: loom's leak check fails the model. One too few and
        // it is freed twice: loom reports the double release of that `Arc`.
        drop(ex);
    });
}

/// The local wake by value (waker.rs's `// Speed:` section): one
/// compare-and-swap sets SCHEDULED and gives the waker's reference up,
/// while another thread clones and drops a waker of the same task.
#[test]
fn local_wake_by_value_racing_remote_clone_and_drop() {
    common::loom_model(|| {
        let (ex, c, waker) = detached_waiting_task();
        let theirs = waker.clone();
        let t = thread::spawn(move || drop(theirs.clone()));
        let polls = c.polls.clone();
        // Inside block_on this thread runs the task's executor: `wake`
        // takes the local path.
        ex.block_on(async move {
            waker.wake();
            async_primer::yield_now().await;
            assert_eq!(polls.get(), 2, "woken once, polled once more");
        });
        t.join().unwrap();
        assert_eq!(c.drops.get(), 1);
        assert_eq!(ex.tasks(), 0);
        // A reference given up twice frees the task while `theirs` is
        // alive (loom: double release of the inbox `Arc`); one not given up
        // leaks it (loom's leak check).
        drop(ex);
    });
}

#[test]
fn executor_dropped_while_waking() {
    common::loom_model(|| {
        let (ex, c, waker) = detached_waiting_task();
        let t = thread::spawn(move || {
            waker.wake_by_ref();
            waker.wake();
        });
        drop(ex);
        t.join().unwrap();
        assert_eq!(c.polls.get(), 1, "never polled after shutdown");
        assert_eq!(c.drops.get(), 1, "dropped exactly once, by the shutdown");
    });
}

#[test]
fn virtual_clock_waits_for_blocking_job() {
    common::loom_model(|| {
        let ex = Executor::builder().virtual_time().build();
        let out = ex.block_on(async {
            let job = async_primer::spawn_blocking(|| 5);
            async_primer::time::timeout(Duration::from_secs(1), job).await
        });
        let out = out.expect("the clock jumped while the job could still wake its task");
        assert_eq!(out.unwrap(), 5);
        drop(ex); // closes the pool: its thread exits
    });
}

/// Not one of the six interleavings: checks that the executor which the
/// free `block_on` keeps in a thread-local between calls is dropped with
/// its thread (loom's leak check would catch it otherwise), with a remote
/// wake in the mix.
#[test]
fn free_block_on_spare_executor_is_freed() {
    common::loom_model(|| {
        let woke = Arc::new(AtomicUsize::new(0));
        let w = woke.clone();
        let out = async_primer::block_on(async move {
            let mut sent = false;
            poll_fn(move |cx| {
                if sent {
                    return Poll::Ready(7);
                }
                sent = true;
                let waker = cx.waker().clone();
                let w = w.clone();
                thread::spawn(move || {
                    w.fetch_add(1, Ordering::SeqCst);
                    waker.wake();
                });
                Poll::Pending
            })
            .await
        });
        assert_eq!(out, 7);
        assert_eq!(async_primer::block_on(async { 8 }), 8);
        assert_eq!(woke.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn last_waker_dropped_remotely() {
    quiet_deadlock_panics();
    common::loom_model(|| {
        let ex = Executor::builder()
            .on_diagnostic(|_| {}) // the lost waker is reported; keep loom's output quiet
            .build();
        let c = counts();
        let mut handle = ex.spawn(c.future());
        assert_eq!(ex.run_until_stalled(), 1);
        let waker = c.waker();
        // Another thread holds the only waker, then drops it without waking.
        let t = thread::spawn(move || drop(waker));
        // block_on parks while the waker is held outside; the drop must nudge
        // it, so that it sees nobody can wake the task any more.
        // (`&mut handle`: the handle must not be dropped while unwinding;
        // loom cannot switch threads inside a panic, and its drop locks.)
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ex.block_on(&mut handle)));
        t.join().unwrap();
        let message = match result {
            Ok(_) => panic!("block_on returned, but nothing could wake the task"),
            Err(payload) => payload.downcast::<String>().map(|s| *s).unwrap_or_default(),
        };
        assert!(message.starts_with("deadlock:"), "{message}");
        assert_eq!(c.polls.get(), 1, "the task was never polled again");
        assert_eq!(c.drops.get(), 0, "the task is still alive in the executor");
        drop(handle);
        drop(ex);
        assert_eq!(c.drops.get(), 1, "shutdown dropped it once");
    });
}

/// The expected `deadlock:` panic would print once per explored
/// interleaving; every other panic still prints.
fn quiet_deadlock_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let deadlock = info
            .payload()
            .downcast_ref::<String>()
            .is_some_and(|m| m.starts_with("deadlock:"));
        if !deadlock {
            previous(info);
        }
    }));
}

/// An outer runtime's waker that only counts its wakes.
struct OuterWaker(AtomicUsize);

impl std::task::Wake for OuterWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls `run` once, joins `t` (the remote wake is then done), and checks
/// that a Pending poll left a waker that the wake called exactly once;
/// then polls again. Returns the output.
fn poll_around_remote_wake<F: Future>(run: F, t: thread::JoinHandle<()>) -> F::Output {
    let outer = std::sync::Arc::new(OuterWaker(AtomicUsize::new(0)));
    let waker = Waker::from(outer.clone());
    let mut cx = Context::from_waker(&waker);
    let mut run = pin!(run);
    let first = run.as_mut().poll(&mut cx);
    t.join().unwrap();
    match first {
        // The wake came before the executor went idle: it saw it.
        Poll::Ready(out) => {
            assert_eq!(outer.0.load(Ordering::SeqCst), 0, "no outer wake needed");
            out
        }
        // Idle: the outer waker was registered, and the wake called it.
        Poll::Pending => {
            assert_eq!(
                outer.0.load(Ordering::SeqCst),
                1,
                "the remote wake must wake the outer task once"
            );
            match run.as_mut().poll(&mut cx) {
                Poll::Ready(out) => out,
                Poll::Pending => panic!("woken, yet the task did not finish"),
            }
        }
    }
}

#[test]
fn remote_wake_while_run_registers() {
    common::loom_model(|| {
        let ex = Executor::new();
        let c = counts();
        let handle = ex.spawn(c.future());
        assert_eq!(ex.run_until_stalled(), 1);
        let waker = c.waker();
        let t = thread::spawn(move || waker.wake());
        let out = poll_around_remote_wake(ex.run(handle), t);
        assert_eq!(out.unwrap(), 2);
        assert_eq!(c.polls.get(), 2, "exactly one more poll");
        assert_eq!(c.drops.get(), 1);
        assert_eq!(ex.tasks(), 0);
    });
}

#[test]
fn run_future_woken_remotely() {
    common::loom_model(|| {
        let ex = Executor::new();
        let c = counts();
        // The Run's own future: Pending once, handing its waker (the
        // header's, whose wake only nudges the inbox) to the thread while
        // the Run is still on its way to idle.
        let handoff: Arc<loom::sync::Mutex<Option<Waker>>> = Arc::default();
        let theirs = handoff.clone();
        let mut fut = Box::pin(c.future());
        let slot = c.slot.clone();
        let run_future = poll_fn(move |cx| {
            let out = fut.as_mut().poll(cx);
            if let Some(waker) = slot.borrow_mut().take() {
                *handoff.lock().unwrap() = Some(waker);
            }
            out
        });
        let t = thread::spawn(move || {
            loop {
                if let Some(waker) = theirs.lock().unwrap().take() {
                    return waker.wake();
                }
                thread::yield_now();
            }
        });
        assert_eq!(poll_around_remote_wake(ex.run(run_future), t), 2);
        assert_eq!(c.polls.get(), 2);
        assert_eq!(c.drops.get(), 1);
    });
}
