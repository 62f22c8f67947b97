//! The JavaScript event loop, tick for tick: each puzzle in
//! `tests/event_loop/<name>.js` is translated here to this crate, line for
//! line, and must print what Node printed (`<name>.expected`, regenerated
//! with `sh tests/event_loop/regen.sh`).
//!
//! `log` is `console.log`; the script is the body of `block_on`'s future
//! (its first poll, like a script's first run); `set_timeout` is
//! `setTimeout`; `queue_microtask` is `queueMicrotask`. The executor uses
//! virtual time, so a 10 ms timer costs nothing, and the harness waits an
//! (instant) hour for every timer to fire.

mod common;
use common::{LIMIT, within};
use std::cell::RefCell;
use std::time::Duration;

use async_primer::executor::Executor;
use async_primer::promise::{Promise, PromiseError};
use async_primer::queue_microtask;
use async_primer::set_timeout;
use async_primer::time::sleep;

type P<T> = Promise<T, PromiseError>;

thread_local! {
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// `console.log`.
fn log(line: impl ToString) {
    LOG.with(|l| l.borrow_mut().push(line.to_string()));
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn err(msg: &str) -> PromiseError {
    PromiseError::from(msg)
}

/// Runs `script` as the body of a program on `ex` and returns what it logged.
fn run_on(ex: Executor, script: fn()) -> Vec<String> {
    LOG.with(|l| l.borrow_mut().clear());
    ex.block_on(async {
        script();
        sleep(Duration::from_secs(3600)).await;
    });
    LOG.with(|l| l.take())
}

/// Runs the puzzle and compares with what Node printed. Puzzles without
/// timers also run under seeded (task-shuffling) executors: microtasks
/// never move.
fn puzzle(name: &'static str, script: fn()) {
    within(LIMIT, move || {
        let path = format!(
            "{}/tests/event_loop/{name}.expected",
            env!("CARGO_MANIFEST_DIR")
        );
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let expected: Vec<&str> = expected.lines().collect();
        let got = run_on(Executor::builder().virtual_time().build(), script);
        assert_eq!(got, expected, "{name}: this crate (left) vs Node (right)");
        let source = std::fs::read_to_string(path.replace(".expected", ".js")).unwrap();
        if !source.contains("setTimeout") {
            for seed in 0..if cfg!(miri) { 2 } else { 10 } {
                let ex = Executor::builder().virtual_time().seed(seed).build();
                assert_eq!(run_on(ex, script), expected, "{name}, seed {seed}");
            }
        }
    })
}

#[test]
fn micro_vs_macro() {
    puzzle("micro_vs_macro", || {
        log("script start");
        let _timer = set_timeout(ms(0), || log("setTimeout"));
        let _ = P::resolved(())
            .then(|_| log("promise1"))
            .then(|_| log("promise2"));
        log("script end");
    });
}

#[test]
fn nested_microtask_before_timer() {
    puzzle("nested_microtask_before_timer", || {
        let _timer = set_timeout(ms(0), || log("timeout"));
        queue_microtask(|| {
            log("micro 1");
            queue_microtask(|| {
                log("micro 2");
                queue_microtask(|| log("micro 3"));
            });
        });
        log("sync");
    });
}

#[test]
fn microtasks_between_timers() {
    puzzle("microtasks_between_timers", || {
        let _timer = set_timeout(ms(0), || {
            log("timer 1");
            let _ = P::resolved(()).then(|_| log("promise in timer 1"));
            queue_microtask(|| log("microtask in timer 1"));
        });
        let _timer = set_timeout(ms(0), || {
            log("timer 2");
            let _ = P::resolved(()).then(|_| log("promise in timer 2"));
        });
        log("sync");
    });
}

#[test]
fn then_inside_then() {
    puzzle("then_inside_then", || {
        let p = P::resolved(());
        let inner = p.clone();
        let _ = p
            .then(move |_| {
                log("a");
                let _ = inner.then(|_| log("c"));
            })
            .then(|_| log("d"));
        let _ = p.then(|_| log("b"));
    });
}

#[test]
fn catch_chain() {
    puzzle("catch_chain", || {
        let _ = P::<()>::rejected(err("x"))
            .then(|_| log("skipped"))
            .catch(|_| {
                log("catch 1");
                Ok::<_, PromiseError>(())
            })
            .then(|_| log("after catch"));
        let _ = P::resolved(())
            .then(|_| log("plain 1"))
            .then(|_| log("plain 2"))
            .then(|_| log("plain 3"));
    });
}

#[test]
fn then_returns_promise() {
    puzzle("then_returns_promise", || {
        let _ = P::resolved(())
            .then_promise(|_| {
                log(0);
                P::resolved(4)
            })
            .then(log);
        let _ = P::resolved(())
            .then(|_| log(1))
            .then(|_| log(2))
            .then(|_| log(3))
            .then(|_| log(5))
            .then(|_| log(6));
    });
}

#[test]
fn all_and_finally() {
    puzzle("all_and_finally", || {
        let _ = P::all([P::resolved(1), P::resolved(2)]).then(|v| {
            let v: Vec<String> = v.iter().map(u32::to_string).collect();
            log(format!("all {}", v.join(",")))
        });
        let _ = P::resolved("f")
            .finally(|| log("finally"))
            .then(|v| log(format!("after finally {v}")));
        let _ = P::resolved(())
            .then(|_| log("p1"))
            .then(|_| log("p2"))
            .then(|_| log("p3"))
            .then(|_| log("p4"))
            .then(|_| log("p5"));
    });
}

#[test]
fn adoption_and_combinators() {
    puzzle("adoption_and_combinators", || {
        let _timer = set_timeout(ms(10), || log("timer 10"));
        let _timer = set_timeout(ms(5), || log("timer 5"));
        let (outer, resolve_outer) = P::<&str>::with_resolvers();
        let _ = outer.then(|v| log(format!("outer {v}")));
        resolve_outer.follow(P::resolved("inner"));
        let _ = P::race([P::resolved("race")]).then(log);
        let _ = P::any([P::rejected(err("no")), P::resolved("any")]).then(log);
        let _ = P::all_settled([P::resolved(1), P::rejected(err("e"))])
            .then(|r| log(format!("allSettled {}", r.len())));
        let _ = P::resolved(())
            .then(|_| log("t1"))
            .then(|_| log("t2"))
            .then(|_| log("t3"))
            .then(|_| log("t4"));
        log("sync");
    });
}
