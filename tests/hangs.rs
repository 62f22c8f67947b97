//! The hangs students write most often, each explained (issue: "no hang
//! goes unexplained"). Every test runs the executor on a helper thread and
//! waits for the report with a bound, so a missing report fails the test
//! instead of hanging it; an "escape" oneshot from the test thread then
//! lets the stuck program finish (a waker held by another thread, which is
//! also why none of these may end in a false `deadlock:`). The escape
//! needs a working remote wake, so each test also runs under `within`
//! (tests/common): with a seeded lost wake-up, the join would hang.
//!
//! The watchdog measures real time, so these do not run under Miri.
#![cfg(not(miri))]

mod common;
use common::{LIMIT, within};

use async_primer::channel::{mpsc, oneshot};
use async_primer::executor::{Diagnostic, Executor, spawn_named};
use async_primer::future::select;
use std::sync::mpsc as std_mpsc;
use std::thread;
use std::time::Duration;

/// How long a test waits for a report before it fails.
const BOUND: Duration = Duration::from_secs(20);

/// An executor whose reports (as text) go to `tx`, with a short watchdog.
fn reporting(tx: std_mpsc::Sender<String>, watchdog: Option<Duration>) -> Executor {
    let blocked = tx.clone();
    let mut builder = Executor::builder()
        .on_diagnostic(move |d| {
            let _ = tx.send(d.to_string());
        })
        .on_blocked_poll(move |d| {
            let _ = blocked.send(d.to_string());
        });
    if let Some(limit) = watchdog {
        builder = builder.watchdog(limit);
    }
    builder.build()
}

/// Waits for the first report that contains `needle`.
fn expect_report(rx: &std_mpsc::Receiver<String>, needle: &str) -> String {
    let deadline = std::time::Instant::now() + BOUND;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(report) if report.contains(needle) => return report,
            Ok(_) => continue,
            Err(_) => panic!("no report containing {needle:?} within {BOUND:?}"),
        }
    }
}

/// A run that stalls on purpose, on a thread of its own, under an
/// executor that reports (`watchdog`: its period; `None`: the default).
struct Stalled {
    reports: std_mpsc::Receiver<String>,
    escape: oneshot::Sender<()>,
    runner: thread::JoinHandle<()>,
}

/// Starts `body` in `block_on`. It gets the receiving end of an escape
/// hatch: once the test has seen the report, `Stalled::end` sends on it so
/// that the run can finish.
fn stall<F, Fut>(watchdog: Option<Duration>, body: F) -> Stalled
where
    F: FnOnce(oneshot::Receiver<()>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (reports_tx, reports) = std_mpsc::channel();
    let (escape, escape_rx) = oneshot::<()>();
    let runner = thread::spawn(move || reporting(reports_tx, watchdog).block_on(body(escape_rx)));
    Stalled {
        reports,
        escape,
        runner,
    }
}

impl Stalled {
    /// Opens the escape hatch; the run must then end cleanly (no false
    /// `deadlock:` panic: the test thread held the hatch's waker).
    fn end(self) {
        self.escape.send(()).unwrap();
        self.runner
            .join()
            .expect("the stalled run ends once let out");
    }
}

#[test]
fn two_tasks_waiting_on_each_others_oneshot_are_reported_with_what_each_waits_on() {
    within(LIMIT, || {
        let run = stall(Some(Duration::from_millis(200)), |escape_rx| async move {
            let (to_alice, alice_rx) = oneshot::<()>();
            let (to_bob, bob_rx) = oneshot::<()>();
            // Each waits for the other's message before sending its own.
            let alice = spawn_named("alice", async move {
                let _ = alice_rx.await;
                let _ = to_bob.send(());
            });
            let bob = spawn_named("bob", async move {
                let _ = bob_rx.await;
                let _ = to_alice.send(());
            });
            let stuck = async_primer::future::join(alice, bob);
            let _ = select(Box::pin(stuck), escape_rx).await;
        });
        let reports = &run.reports;
        let report = expect_report(reports, "stall:");
        assert!(report.contains("'alice'"), "{report}");
        assert!(report.contains("'bob'"), "{report}");
        assert!(
            report.contains("waits for a oneshot message created at tests/hangs.rs"),
            "{report}"
        );
        run.end();
    })
}

#[test]
fn block_on_and_a_task_waiting_on_each_others_promise_are_reported() {
    within(LIMIT, || {
        use async_primer::promise::Promise;
        use std::future::IntoFuture;
        let run = stall(Some(Duration::from_millis(200)), |escape_rx| async move {
            let (for_helper, resolve_for_helper) = Promise::<u32>::with_resolvers();
            let (for_main, resolve_for_main) = Promise::<u32>::with_resolvers();
            let _helper = spawn_named("helper", async move {
                let n = for_helper.await.unwrap_or(0); // waits for main...
                resolve_for_main.resolve(n + 1);
            });
            // ...which waits for the helper before it would resolve.
            let _ = select(for_main.into_future(), escape_rx).await;
            resolve_for_helper.resolve(1);
        });
        let reports = &run.reports;
        let report = expect_report(reports, "stall:");
        assert!(report.contains("'helper'"), "{report}");
        assert!(
            report.contains("waits for a promise created at tests/hangs.rs"),
            "{report}"
        );
        assert!(report.contains("block_on's future"), "{report}");
        run.end();
    })
}

#[test]
fn a_stall_is_reported_once_not_every_period() {
    within(LIMIT, || {
        let run = stall(Some(Duration::from_millis(100)), |escape_rx| async move {
            let _ = escape_rx.await;
        });
        let reports = &run.reports;
        expect_report(reports, "stall:");
        // Ten more periods: no second report for the same stall.
        thread::sleep(Duration::from_millis(1000));
        let more: Vec<String> = reports
            .try_iter()
            .filter(|r| r.contains("stall:"))
            .collect();
        assert!(more.is_empty(), "reported again: {more:?}");
        run.end();
    })
}

#[test]
fn a_ring_of_three_tasks_on_bounded_channels_is_reported() {
    within(LIMIT, || {
        let run = stall(Some(Duration::from_millis(200)), |escape_rx| async move {
            let (a_tx, mut a_rx) = mpsc::bounded::<u32>(1);
            let (b_tx, mut b_rx) = mpsc::bounded::<u32>(1);
            let (c_tx, mut c_rx) = mpsc::bounded::<u32>(1);
            a_tx.try_send(0).unwrap(); // one token to start
            // Each passes on twice what it receives: the tokens multiply
            // until every channel is full and every task waits to send.
            async fn relay(rx: &mut mpsc::Receiver<u32>, tx: mpsc::Sender<u32>) {
                while let Some(token) = rx.recv().await {
                    let _ = tx.send(token + 1).await;
                    let _ = tx.send(token + 1).await;
                }
            }
            let ring = [
                spawn_named("first", async move { relay(&mut a_rx, b_tx).await }),
                spawn_named("second", async move { relay(&mut b_rx, c_tx).await }),
                spawn_named("third", async move { relay(&mut c_rx, a_tx).await }),
            ];
            let all = async_primer::future::join_all(ring);
            let _ = select(Box::pin(all), escape_rx).await;
        });
        let reports = &run.reports;
        let report = expect_report(reports, "stall:");
        for name in ["'first'", "'second'", "'third'"] {
            assert!(report.contains(name), "{name} missing: {report}");
        }
        assert!(
            report.contains("room in a bounded mpsc channel"),
            "{report}"
        );
        // Every receiving end was used, so the holders are known: a cycle.
        assert!(report.contains("cycle: "), "{report}");
        assert!(report.contains("they wait for each other"), "{report}");
        run.end();
    })
}

#[test]
fn a_poll_that_blocks_is_reported_while_it_still_blocks() {
    within(LIMIT, || {
        let (reports_tx, reports) = std_mpsc::channel();
        let runner = thread::spawn(move || {
            let ex = reporting(reports_tx, Some(Duration::from_millis(100)));
            ex.block_on(async {
                let sleeper = spawn_named("sleeper", async {
                    std::thread::sleep(Duration::from_millis(1500)); // the bug
                });
                sleeper.await.unwrap();
            });
        });
        // The monitor's report arrives while the poll is still sleeping.
        let live = expect_report(&reports, "and still is");
        assert!(live.contains("task #1"), "{live}");
        assert!(
            live.contains("tests/hangs.rs"),
            "names where it was spawned: {live}"
        );
        assert!(!runner.is_finished(), "reported only after the poll ended");
        // When it returns, the hook gets the slow poll with the task's name.
        let after = expect_report(&reports, "held the thread");
        assert!(after.contains("'sleeper'"), "{after}");
        runner.join().unwrap();
    })
}

#[test]
fn futures_block_on_inside_a_task_is_reported_while_it_blocks() {
    within(LIMIT, || {
        use async_primer::promise::Promise;
        use std::future::IntoFuture;
        let (reports_tx, reports) = std_mpsc::channel();
        let (rescue_tx, rescue_rx) = std_mpsc::channel::<async_primer::promise::Resolver<u32>>();
        let runner = thread::spawn(move || {
            let ex = reporting(reports_tx, Some(Duration::from_millis(100)));
            ex.block_on(async move {
                let (answer, resolver) = Promise::<u32>::with_resolvers();
                let reaction = answer.then(|n| n + 1); // needs this executor to run
                let stuck = spawn_named("stuck", async move {
                    // The bug: a blocking block_on inside a task, waiting for a
                    // reaction that only this (now blocked) executor can run.
                    futures::executor::block_on(reaction.into_future())
                });
                // Only another thread can still settle it: hand it the resolver.
                rescue_tx.send(resolver).unwrap();
                let _ = stuck.await;
            });
        });
        let live = expect_report(&reports, "and still is");
        // Task #1 is the promises' courier; the stuck task is #2.
        assert!(
            live.contains("task #2 (spawned at tests/hangs.rs"),
            "{live}"
        );
        assert!(
            !runner.is_finished(),
            "reported while the poll still blocks"
        );
        // Even a settle from here cannot help: the reaction must run on the
        // executor that is blocked. This is the bug the report is about, so
        // the runner thread is left blocked (the test process ends it).
        let resolver = rescue_rx.recv_timeout(BOUND).unwrap();
        resolver.resolve(41);
        thread::sleep(Duration::from_millis(200));
        assert!(!runner.is_finished(), "nothing can unblock it");
    })
}

#[test]
fn a_blocking_call_is_visible_under_virtual_time_too() {
    within(LIMIT, || {
        let (reports_tx, reports) = std_mpsc::channel();
        let blocked = reports_tx.clone();
        let runner = thread::spawn(move || {
            let ex = Executor::builder()
                .virtual_time()
                .watchdog(Duration::from_millis(100))
                .on_diagnostic(move |d| {
                    let _ = reports_tx.send(d.to_string());
                })
                .on_blocked_poll(move |d| {
                    let _ = blocked.send(d.to_string());
                })
                .build();
            ex.block_on(async {
                async_primer::time::sleep(Duration::from_secs(60)).await; // instant
                std::thread::sleep(Duration::from_millis(600)); // real, and blocking
            });
        });
        expect_report(&reports, "and still is");
        runner.join().unwrap();
    })
}

#[test]
fn a_thread_that_wakes_later_is_never_a_false_deadlock() {
    within(LIMIT, || {
        for virtual_time in [false, true] {
            let mut builder = Executor::builder().on_diagnostic(|_| {});
            if virtual_time {
                builder = builder.virtual_time();
            }
            let ex = builder.watchdog(Duration::from_millis(200)).build();
            let (tx, rx) = oneshot();
            let late = thread::spawn(move || {
                thread::sleep(Duration::from_millis(1500));
                tx.send(7).unwrap();
            });
            assert_eq!(ex.block_on(rx), Ok(7));
            late.join().unwrap();
        }
    })
}

#[test]
fn the_default_executor_reports_a_stall_in_debug_builds() {
    within(LIMIT, || {
        if !cfg!(debug_assertions) {
            return; // off by default in release builds
        }
        // No `.watchdog(..)`: the default (one second in debug builds).
        let run = stall(None, |escape_rx| async move {
            let _ = escape_rx.await;
        });
        let report = expect_report(&run.reports, "stall:");
        assert!(report.contains("block_on's future"), "{report}");
        run.end();
    })
}

#[test]
fn a_lost_waker_deadlock_is_reported_then_panics() {
    within(LIMIT, || {
        let (reports_tx, reports) = std_mpsc::channel();
        let ex = reporting(reports_tx, None);
        let never = std::future::poll_fn(|_| std::task::Poll::<()>::Pending);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ex.block_on(never)));
        let message = *caught.unwrap_err().downcast::<String>().unwrap();
        assert!(message.starts_with("deadlock:"), "{message}");
        // The hook got the same text as a `Deadlock` diagnostic first.
        assert_eq!(expect_report(&reports, "deadlock:"), message);
    })
}

/// A diagnostic is a plain value: every variant prints a sentence.
#[test]
fn every_diagnostic_prints_a_sentence() {
    let waiting = ["'a' (task #1) waits for a oneshot message".to_string()];
    let cycles = ["'a' -> 'b' -> 'a'".to_string()];
    let all = [
        Diagnostic::LostWaker { task: "task #1" },
        Diagnostic::Deadlock {
            message: "deadlock: x",
        },
        Diagnostic::Stalled {
            idle: Duration::from_secs(1),
            waiting: &waiting,
            cycles: &cycles,
        },
        Diagnostic::BlockedPoll {
            task: "task #1",
            running: Duration::from_secs(1),
        },
        Diagnostic::SlowPoll {
            task: "task #1",
            took: Duration::from_secs(1),
        },
        Diagnostic::DetachedPanic {
            task: "task #1",
            message: "boom",
        },
    ];
    for d in all {
        let text = d.to_string();
        assert!(text.len() > 10, "{text}");
    }
    let stall = Diagnostic::Stalled {
        idle: Duration::from_secs(1),
        waiting: &waiting,
        cycles: &cycles,
    };
    assert!(
        stall
            .to_string()
            .contains("cycle: 'a' -> 'b' -> 'a': they wait for each other")
    );
}

// ---- the guard the other test files use (tests/common: `within`) ----

#[test]
fn within_turns_a_hang_into_a_failure_that_says_so() {
    let limit = Duration::from_millis(200);
    let hang = std::panic::catch_unwind(|| {
        within(limit, || {
            loop {
                thread::park()
            }
        })
    });
    let payload = hang.expect_err("a body that never finishes must fail");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("did not finish within 200ms"), "{message}");
    assert!(message.contains("a lost wake-up?"), "{message}");
    assert!(
        message.contains("tests/hangs.rs"),
        "names the guard's line: {message}"
    );
    // The test's later bodies are not run (a property test would otherwise
    // wait out the limit for every case it shrinks through).
    let later = std::panic::catch_unwind(|| within(limit, || 1));
    assert!(
        later.is_err(),
        "a later body of a timed-out test must fail at once"
    );
}

#[test]
fn within_returns_the_value_and_re_raises_a_panic_as_it_was() {
    assert_eq!(within(LIMIT, || 7), 7);
    let panicked = std::panic::catch_unwind(|| {
        let n = std::hint::black_box(42); // a String payload, not a &str
        within(LIMIT, move || panic!("boom {n}"));
    });
    let payload = panicked.expect_err("the body's panic comes back");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("boom 42")
    );
}
