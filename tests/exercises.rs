//! The exercises at the end of every guide chapter (docs/ch00..ch08): for
//! each one with a test, the skeleton test printed in the guide (`check`),
//! the reference solution (`reference`), and an empty or naive one
//! (`empty`). Every exercise has two tests here: the skeleton passes
//! against the reference, and fails against the empty solution, so a
//! student whose solution passes the skeleton has done the work.
//!
//! The reference solutions are here, not in the guide, so that a teacher
//! can hand out the guide without them. The skeletons are written with the
//! coursework kit (`async_primer::testing`, src/testing/).

// The exercise traits say `fn f(..) -> impl Future`, and the solutions keep
// that spelling so each reads like the trait it implements.
#![allow(clippy::manual_async_fn)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

#[path = "exercises/ch00_breakfast.rs"]
mod ch00_breakfast;
#[path = "exercises/ch01_after.rs"]
mod ch01_after;
#[path = "exercises/ch02_delay_promise.rs"]
mod ch02_delay_promise;
#[path = "exercises/ch03_delay.rs"]
mod ch03_delay;
#[path = "exercises/ch03_join2.rs"]
mod ch03_join2;
#[path = "exercises/ch04_rate_limiter.rs"]
mod ch04_rate_limiter;
#[path = "exercises/ch04_timeout.rs"]
mod ch04_timeout;
#[path = "exercises/ch05_latch.rs"]
mod ch05_latch;
#[path = "exercises/ch06_retry.rs"]
mod ch06_retry;
#[path = "exercises/ch07_fix_the_race.rs"]
mod ch07_fix_the_race;
#[path = "exercises/ch08_recv_pair.rs"]
mod ch08_recv_pair;

/// Asserts that a skeleton test fails against a solution: it panics, or it
/// has not finished after 10 seconds (a hang is a failure too; the thread is
/// left behind and ends with the test process).
#[track_caller]
fn assert_fails(exercise: &str, check: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let passed = catch_unwind(AssertUnwindSafe(check)).is_ok();
        let _ = tx.send(passed);
    });
    if let Ok(true) = rx.recv_timeout(Duration::from_secs(10)) {
        panic!("the skeleton test of {exercise} passed against the empty solution");
    }
}
