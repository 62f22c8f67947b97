//! The coursework kit's own tests (src/testing/): the counting waker on a
//! hand-written `Delay`, the assertion macros' messages, `poll_until_blocked`,
//! transcripts under a seed, and `find_failing_seed` on an order-dependent
//! program. The guide chapter is docs/ch07-testing.md.

mod common;
use async_primer::executor::{current_task, spawn_named};
use async_primer::testing::{
    POLL_LIMIT, WakeCounts, counting_waker, find_failing_seed, poll_once, poll_until_blocked,
    poll_with, run_recorded,
};
use async_primer::time::{elapsed, sleep};
use async_primer::{assert_pending, assert_ready, assert_ready_eq, say, spawn, yield_now};
use common::{LIMIT, within};
use std::cell::Cell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

/// What a student writes in chapter 3: a future that is ready after a
/// delay, timed by a thread that wakes the stored waker.
struct Delay {
    duration: Duration,
    shared: Option<Arc<Mutex<Timer>>>,
}

/// (done, the waker to wake when done)
type Timer = (bool, Option<Waker>);

impl Delay {
    fn new(duration: Duration) -> Delay {
        Delay {
            duration,
            shared: None,
        }
    }
}

impl Future for Delay {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let duration = self.duration;
        let shared = self.shared.get_or_insert_with(|| {
            let shared = Arc::new(Mutex::new((false, None::<Waker>)));
            let timer = shared.clone();
            thread::spawn(move || {
                thread::sleep(duration);
                let mut state = timer.lock().unwrap();
                state.0 = true;
                if let Some(waker) = state.1.take() {
                    drop(state);
                    waker.wake();
                }
            });
            shared
        });
        let mut state = shared.lock().unwrap();
        if state.0 {
            return Poll::Ready(());
        }
        // Store (or refresh) the waker before returning Pending.
        match &mut state.1 {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

/// Waits (boundedly) until `counts` shows `n` wake-ups.
fn wait_for_wakes(counts: &WakeCounts, n: usize) {
    for _ in 0..10_000 {
        if counts.woken() >= n {
            return;
        }
        thread::sleep(Duration::from_millis(1));
    }
    panic!("not woken {n} times: {counts}");
}

fn panic_text(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => p.downcast_ref::<&str>().unwrap().to_string(),
    }
}

// ---- counting waker, poll helpers, macros ----------------------------------

#[test]
fn delay_stores_its_waker_and_wakes_it_exactly_once() {
    let (waker, counts) = counting_waker();
    let mut delay = Delay::new(Duration::from_millis(5));
    assert_pending!(delay, &waker);
    assert_eq!(counts.clones(), 1, "stored one clone: {counts}");
    assert_eq!(counts.woken(), 0);
    // Polling again with the same waker refreshes nothing (will_wake).
    assert_pending!(delay, &waker);
    assert_eq!(counts.clones(), 1);
    wait_for_wakes(&counts, 1);
    assert_ready!(delay, &waker);
    assert_eq!((counts.wakes(), counts.wakes_by_ref()), (1, 0), "{counts}");
    drop(delay);
    // The stored clone was consumed by `wake`: only `waker` is alive.
    assert_eq!((counts.drops(), counts.alive()), (1, 1));
}

#[test]
fn counts_every_operation_from_any_thread() {
    within(LIMIT, || {
        let (waker, counts) = counting_waker();
        let clones: Vec<Waker> = (0..4).map(|_| waker.clone()).collect();
        let threads: Vec<_> = clones
            .into_iter()
            .enumerate()
            .map(|(i, w)| {
                thread::spawn(move || match i % 2 {
                    0 => w.wake(),
                    _ => w.wake_by_ref(),
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(counts.clones(), 4);
        assert_eq!(
            (counts.wakes(), counts.wakes_by_ref(), counts.woken()),
            (2, 2, 4)
        );
        assert_eq!((counts.drops(), counts.alive()), (4, 1));
        assert_eq!(WakeCounts::of(&waker).unwrap().woken(), 4);
        assert!(WakeCounts::of(Waker::noop()).is_none());
        drop(waker);
        assert_eq!(counts.alive(), 0);
    })
}

#[test]
fn poll_once_works_for_unpin_and_pinned_futures() {
    let mut ready = std::future::ready(3);
    assert_eq!(poll_once(&mut ready), Poll::Ready(3));
    let mut pinned = pin!(async { "async block" });
    assert_eq!(poll_once(&mut pinned), Poll::Ready("async block"));
    let (waker, counts) = counting_waker();
    let (_tx, mut rx) = async_primer::channel::oneshot::<u8>();
    assert!(poll_with(&mut rx, &waker).is_pending());
    assert_eq!(counts.alive(), 2, "the receiver kept a clone");
}

#[test]
fn macro_messages_say_what_came_back_and_the_wakes() {
    let mut ready = std::future::ready(5);
    let text = panic_text(|| assert_pending!(ready));
    assert!(text.starts_with("assert_pending!(ready) failed"), "{text}");
    assert!(text.contains("returned Ready(5)"), "{text}");
    assert!(text.contains("woken 0 times"), "{text}");

    // Pending and nobody kept the waker: "0 alive" is the tell.
    let mut lazy = std::future::poll_fn(|_| Poll::<u8>::Pending);
    let text = panic_text(|| {
        assert_ready!(lazy);
    });
    assert!(text.contains("returned Pending"), "{text}");
    assert!(text.contains("0 clones made, 1 dropped, 0 alive"), "{text}");

    // With the caller's waker the counts are cumulative.
    let (waker, _counts) = counting_waker();
    waker.wake_by_ref();
    let mut four = std::future::ready(4);
    let text = panic_text(|| assert_ready_eq!(four, &waker, 5));
    assert!(text.contains("Ready(4), expected Ready(5)"), "{text}");
    assert!(
        text.contains("its waker was woken 1 time (0 by value, 1 by reference)"),
        "{text}"
    );

    // A waker that is not a counting waker: said so, not guessed.
    let mut never = std::future::pending::<()>();
    let text = panic_text(|| assert_ready!(never, Waker::noop()));
    assert!(text.contains("not a counting_waker"), "{text}");

    let mut fine = std::future::ready(Ok::<u8, ()>(1));
    assert_ready_eq!(fine, Ok(1));
}

#[test]
fn poll_until_blocked_stops_at_the_first_real_wait() {
    within(LIMIT, || {
        let (tx, rx) = async_primer::channel::oneshot::<u32>();
        let polls = Cell::new(0);
        let mut fut = pin!(async {
            for _ in 0..5 {
                // A hand-made yield: wake yourself, return Pending once.
                let mut yielded = false;
                std::future::poll_fn(|cx| {
                    polls.set(polls.get() + 1);
                    if std::mem::replace(&mut yielded, true) {
                        return Poll::Ready(());
                    }
                    cx.waker().wake_by_ref();
                    Poll::Pending
                })
                .await;
            }
            rx.await.unwrap()
        });
        assert_eq!(poll_until_blocked(&mut fut), Poll::Pending);
        assert_eq!(polls.get(), 10);
        tx.send(9).unwrap();
        assert_eq!(poll_until_blocked(&mut fut), Poll::Ready(9));
    })
}

#[test]
fn poll_until_blocked_reports_a_busy_loop() {
    let mut spinning = std::future::poll_fn(|cx| {
        cx.waker().wake_by_ref();
        Poll::<()>::Pending
    });
    let text = panic_text(|| {
        let _ = poll_until_blocked(&mut spinning);
    });
    assert!(text.contains(&format!("{POLL_LIMIT} polls")), "{text}");
    assert!(text.contains("busy-loops"), "{text}");
}

// ---- transcripts ---------------------------------------------------------

/// Three workers with different sleeps, a yield, and a named task.
async fn workers() {
    let mut handles = Vec::new();
    for (i, ms) in [30u64, 10, 20].into_iter().enumerate() {
        handles.push(spawn(async move {
            yield_now().await;
            sleep(Duration::from_millis(ms)).await;
            say!("worker {i} slept {ms}ms");
        }));
    }
    let named = spawn_named("reporter", async { say!("reporting at {:?}", elapsed()) });
    for h in handles {
        h.await.unwrap();
    }
    named.await.unwrap();
    say!("all done at {:?}", elapsed());
}

#[test]
fn the_same_seed_gives_the_same_transcript() {
    within(LIMIT, || {
        for seed in [0, 1, 99] {
            let a = run_recorded(seed, workers);
            let b = run_recorded(seed, workers);
            assert_eq!(a, b);
            a.assert_same(&b);
            assert_eq!(a.lines().len(), 5);
            let last = a.lines().last().unwrap();
            assert_eq!(
                last.to_string(),
                "[30ms] block_on's future: all done at 30ms"
            );
            // Timers fire in deadline order whatever the seed.
            let slept: Vec<_> = a
                .texts()
                .into_iter()
                .filter(|t| t.contains("slept"))
                .collect();
            assert_eq!(
                slept,
                [
                    "worker 1 slept 10ms",
                    "worker 2 slept 20ms",
                    "worker 0 slept 30ms"
                ]
            );
            assert!(
                a.to_string()
                    .contains("'reporter' (task #4): reporting at 0ns")
            );
        }
    })
}

#[test]
fn diff_shows_the_first_differing_line() {
    within(LIMIT, || {
        let a = run_recorded(0, || async {
            say!("one");
            sleep(Duration::from_secs(1)).await;
            say!("two");
        });
        let b = run_recorded(0, || async {
            say!("one");
            say!("two");
        });
        let d = a.diff(&b).expect("they differ");
        assert_eq!(d.line(), 2);
        assert_eq!(d.left().unwrap().to_string(), "[1s] block_on's future: two");
        assert_eq!(d.right().unwrap().elapsed(), Duration::ZERO);
        let text = panic_text(|| a.assert_same(&b));
        assert!(text.contains("first difference at line 2"), "{text}");
        assert!(
            text.contains("left:  [1s] block_on's future: two"),
            "{text}"
        );
        assert!(
            text.contains("right: [0s] block_on's future: two"),
            "{text}"
        );
    })
}

#[test]
fn executor_reports_go_into_the_transcript() {
    within(LIMIT, || {
        let t = run_recorded(0, || async {
            // Detached (nobody will join it), so its panic is the executor's to report.
            drop(spawn_named("doomed", async { panic!("on purpose") }));
            sleep(Duration::from_millis(1)).await;
            say!("still running");
        });
        let lines = t.lines();
        assert_eq!(lines.len(), 2, "{t}");
        assert_eq!(lines[0].task(), "executor");
        assert!(lines[0].text().contains("'doomed' (task #1)"), "{t}");
        assert!(lines[0].text().contains("on purpose"), "{t}");
        assert_eq!(lines[1].text(), "still running");
    })
}

#[test]
fn say_outside_a_recording_prints_and_records_nothing() {
    within(LIMIT, || {
        say!("printed, with a stamp: {}", 1);
        async_primer::block_on(async { say!("printed from block_on") });
        let t = run_recorded(0, || async {});
        assert!(t.is_empty());
    })
}

#[test]
fn current_task_and_elapsed() {
    within(LIMIT, || {
        assert!(current_task().is_none());
        assert_eq!(elapsed(), Duration::ZERO);
        let ex = async_primer::executor::Executor::builder()
            .virtual_time()
            .build();
        ex.block_on(async {
            let me = current_task().unwrap();
            assert_eq!(
                (me.id(), me.name(), me.to_string()),
                (0, None, "block_on's future".into())
            );
            let h = spawn(async { current_task().unwrap().to_string() });
            let id = h.await.unwrap();
            assert!(id.starts_with("task #"), "{id}");
            sleep(Duration::from_secs(5)).await;
            assert_eq!(elapsed(), Duration::from_secs(5));
        });
    })
}

// ---- find_failing_seed -----------------------------------------------------

/// Deliberately order-dependent: the reader assumes the writer, spawned
/// first, has run by the time it looks.
async fn racy() {
    let value = Rc::new(Cell::new(None));
    let writer = spawn({
        let value = value.clone();
        async move { value.set(Some(42)) }
    });
    let reader = spawn({
        let value = value.clone();
        async move { say!("read {:?}", value.get()) }
    });
    let _ = (writer.await, reader.await);
}

/// The fix: wait for the writer before reading.
async fn fixed() {
    let value = Rc::new(Cell::new(None));
    let writer = spawn({
        let value = value.clone();
        async move { value.set(Some(42)) }
    });
    let reader = spawn({
        let value = value.clone();
        async move {
            writer.await.unwrap();
            say!("read {:?}", value.get())
        }
    });
    reader.await.unwrap();
}

const SEEDS: u64 = if cfg!(miri) { 20 } else { 200 };

#[test]
fn find_failing_seed_finds_an_order_dependent_program() {
    let failure = find_failing_seed(0..SEEDS, racy).expect("some seed runs the reader first");
    assert!(failure.seed() > 0);
    assert_eq!(failure.expected().texts(), ["read Some(42)"]);
    assert_eq!(failure.transcript().texts(), ["read None"]);
    assert!(failure.panic().is_none());
    assert_eq!(failure.difference().unwrap().line(), 1);
    let report = failure.to_string();
    assert!(
        report.starts_with(&format!("seed {} changes", failure.seed())),
        "{report}"
    );
    assert!(report.contains("read None"), "{report}");
    // The seed replays the failure.
    assert_eq!(run_recorded(failure.seed(), racy), *failure.transcript());
    // Seeds before it all agree with seed 0.
    for seed in 1..failure.seed() {
        assert_eq!(run_recorded(seed, racy), *failure.expected());
    }
    assert!(find_failing_seed(0..SEEDS, fixed).is_none());
}

#[test]
fn find_failing_seed_reports_a_panicking_seed() {
    within(LIMIT, || {
        let sometimes = || async {
            let order = Rc::new(Cell::new(0));
            let a = spawn({
                let order = order.clone();
                async move { order.set(order.get() * 10 + 1) }
            });
            let b = spawn({
                let order = order.clone();
                async move { order.set(order.get() * 10 + 2) }
            });
            let _ = (a.await, b.await);
            say!("checked");
            assert_eq!(order.get(), 12, "b ran before a");
        };
        let failure = find_failing_seed(0..SEEDS, sometimes).expect("some seed runs b first");
        assert!(failure.panic().unwrap().contains("b ran before a"));
        assert_eq!(failure.transcript().texts(), ["checked"]);
        assert!(
            failure.difference().is_none(),
            "it said the same before panicking"
        );
        assert!(failure.to_string().contains("panicked"));
    })
}
