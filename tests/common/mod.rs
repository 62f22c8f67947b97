//! Helpers shared by the integration tests: `mod common;` at the top of a
//! test file, then `common::within(LIMIT, || ...)`.
//!
//! **No test may hang.** A test whose future waits for a wake-up (a
//! channel, a promise, a lock, a timer, the executor parking) hangs forever
//! when that wake-up is lost: the bug it should catch turns into a CI job
//! killed after hours, with no name and no message.
//! [`within`] runs the test body on a helper thread and waits for it with a
//! bound, so a lost wake-up becomes a failure that names the test and says
//! what probably went wrong. `tests/seeded_bugs/hang_audit.sh` checks this:
//! it seeds every bug of the catalogue and fails if any test binary hangs.
//!
//! The loom models have their own guard, [`loom_model`]: a model that
//! deadlocks must fail by name, not abort the whole binary.
//
// How it works: the body runs on a fresh thread named after the test; its
// result comes back through a std channel, read with `recv_timeout`.
//
//     test thread ──spawn──> helper thread runs f()
//          │ recv_timeout(limit)
//          ├── Ok(value)        -> return it
//          ├── Disconnected     -> f panicked: join, re-raise its payload
//          │                       (so `#[should_panic(expected)]` still sees it)
//          └── Timeout          -> panic "did not finish within ..."; the
//                                  helper thread stays blocked, leaked, and
//                                  the test binary still exits at the end;
//                                  later bodies of this test fail at once
//
// Rejected: a timeout *inside* the async code (`time::timeout`): it needs a
// working executor and timer, which is what the seeded bugs break.
#![allow(dead_code)]

#[cfg(async_primer_loom)]
mod loom_model;
#[cfg(async_primer_loom)]
#[allow(unused_imports)] // the loom files use it; the others, built under the cfg, do not
pub use loom_model::loom_model;

use std::cell::Cell;
use std::panic::{Location, resume_unwind};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// The bound for a test body: generous, because a loaded CI machine can be
/// slow, and a real hang waits forever anyway. Under Miri, [`within`] does
/// not time the body at all (it is 100x slower, and its clock is not the
/// point there).
pub const LIMIT: Duration = Duration::from_secs(30);

/// Lowers every `within` limit to this many seconds. The hang audit sets it
/// to 10: with a seeded bug, many tests of one binary wait out their limit
/// one after the other, and the binary must still finish within the
/// audit's own per-binary timeout.
const LIMIT_VAR: &str = "ASYNC_PRIMER_TEST_LIMIT_SECS";

thread_local! {
    /// A body of the test running on this thread timed out. Its later
    /// bodies fail at once: a property test would otherwise wait out the
    /// limit for every case it shrinks through.
    static TIMED_OUT: Cell<Option<Duration>> = const { Cell::new(None) };
}

/// Runs `f` on a helper thread and returns its result, or panics if it
/// does not finish within `limit` (a lost wake-up, most likely). A panic in
/// `f` is re-raised on the test thread with its own payload.
///
/// Build `!Send` futures (and executors) *inside* `f`; only its result
/// crosses back.
#[track_caller]
pub fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    if cfg!(miri) {
        return f();
    }
    let caller = Location::caller();
    let limit = match std::env::var(LIMIT_VAR).map(|secs| secs.parse()) {
        Ok(Ok(secs)) => limit.min(Duration::from_secs(secs)),
        Ok(Err(_)) => panic!("{LIMIT_VAR} must be a number of seconds"),
        Err(_) => limit,
    };
    let name = thread::current().name().unwrap_or("test body").to_owned();
    if let Some(limit) = TIMED_OUT.get() {
        panic!(
            "`{name}`: not run, an earlier body of this test did not finish within \
             {limit:?} (a lost wake-up?)"
        );
    }
    let (tx, rx) = mpsc::channel();
    let body = thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("spawn the test body's thread");
    match rx.recv_timeout(limit) {
        Ok(value) => {
            let _ = body.join();
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match body.join() {
            Err(payload) => resume_unwind(payload),
            Ok(()) => unreachable!("the body returned without sending its result"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            TIMED_OUT.set(Some(limit));
            panic!(
                "`{name}` did not finish within {limit:?} (guarded at {caller}): a lost \
                 wake-up? A future that is never woken, or an executor parked forever, \
                 hangs instead of failing; this guard turned the hang into this failure"
            )
        }
    }
}
