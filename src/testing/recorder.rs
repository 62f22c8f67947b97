//! Grading by output: [`say!`](crate::say) and [`run_recorded`].
//!
//! A program under test says what it does with `say!`, which works like
//! `println!` but stamps each line with the time since the executor
//! started ([`time::elapsed`](crate::time::elapsed)) and the task saying it
//! ([`current_task`](crate::executor::current_task)). Inside
//! [`run_recorded`] the lines are collected into a [`Transcript`] instead
//! of printed; the run uses virtual time and a seed, so the same program
//! and seed give the same transcript on every machine, every time.
//!
//! ```
//! use async_primer::say;
//! use async_primer::testing::run_recorded;
//! use async_primer::time::sleep;
//! use std::time::Duration;
//!
//! let transcript = run_recorded(7, || async {
//!     let _task = async_primer::executor::spawn_named("ticker", async {
//!         for i in 1..=2 {
//!             sleep(Duration::from_secs(1)).await;
//!             say!("tick {i}");
//!         }
//!     });
//!     sleep(Duration::from_millis(1500)).await;
//!     say!("halfway");
//!     sleep(Duration::from_secs(1)).await;
//! });
//! assert_eq!(
//!     transcript.to_string(),
//!     "[1s] 'ticker' (task #1): tick 1\n\
//!      [1.5s] block_on's future: halfway\n\
//!      [2s] 'ticker' (task #1): tick 2\n"
//! );
//! ```
//!
//! The executor's own reports (a lost waker, a panic in a task nobody
//! joins) go into the transcript too, said by `executor`, so a grader sees
//! them. Lines said on other threads (`spawn_blocking`, threads you start)
//! are printed, not recorded: the transcript belongs to the executor's
//! thread.
//
// How it works: a thread-local slot holds the transcript being recorded, or
// nothing. `run_recorded` puts a fresh one in (remembering what was there),
// runs the program on a new virtual-time seeded executor, drops the executor
// (tasks it drops may still speak), then takes the lines out; a guard puts
// the old slot back even if the program panics. `say!` appends to the slot,
// or prints when it is empty. Rejected alternative: passing a logger to the
// program (explicit, but every function of a student's program would need
// it as a parameter, and it would not show up in code written with
// println!-style habits).

use super::transcript::{Line, Transcript};
use crate::executor::{Executor, current_task};
use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

crate::sync::const_thread_local! {
    static RECORDING: RefCell<Option<Vec<Line>>> = RefCell::new(None);
}

/// Says a line, stamped with the time since the executor started and the
/// current task: recorded inside [`run_recorded`](crate::testing::run_recorded),
/// printed to stdout otherwise. Takes the same arguments as `println!`.
///
/// ```
/// use async_primer::say;
///
/// say!("outside any executor"); // prints "[0s] no task: outside any executor"
/// async_primer::block_on(async {
///     let n = 3;
///     say!("{n} apples"); // prints "[0s] block_on's future: 3 apples"
/// });
/// ```
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::testing::__say(::std::format_args!($($arg)*))
    };
}

#[doc(hidden)]
pub fn __say(text: fmt::Arguments<'_>) {
    let task = current_task().map_or_else(|| "no task".to_string(), |t| t.to_string());
    record_or_print(task, text.to_string());
}

/// Appends a line to the transcript being recorded, or prints it.
fn record_or_print(task: String, text: String) {
    let line = Line {
        elapsed: crate::time::elapsed(),
        task,
        text,
    };
    let unrecorded = RECORDING
        .try_with(|slot| match slot.borrow_mut().as_mut() {
            Some(lines) => {
                lines.push(line);
                None
            }
            None => Some(line),
        })
        .unwrap_or(None);
    if let Some(line) = unrecorded {
        println!("{line}");
    }
}

/// Runs `program` on a fresh executor with virtual time and `seed`, and
/// returns the transcript of what it said with [`say!`](crate::say).
///
/// `program` is a closure returning a future: `|| async { .. }` (or an
/// `async || { .. }` closure). Tasks still running when it returns are
/// dropped, like [`block_on`](crate::block_on). A panic in `program`
/// prints the transcript so far to stderr, then carries on unwinding; use
/// [`find_failing_seed`](super::find_failing_seed) to catch it instead.
///
/// ```
/// use async_primer::{say, spawn, testing::run_recorded};
///
/// let t = run_recorded(0, || async {
///     let a = spawn(async { say!("a") });
///     let b = spawn(async { say!("b") });
///     let _ = (a.await, b.await);
/// });
/// let mut texts = t.texts();
/// texts.sort();
/// assert_eq!(texts, ["a", "b"]); // in some order: the seed picks it
/// ```
#[track_caller]
pub fn run_recorded<P: AsyncFnOnce()>(seed: u64, program: P) -> Transcript {
    let (transcript, panic) = record(seed, program);
    if let Some(payload) = panic {
        eprintln!(
            "run_recorded: the program panicked (seed {seed}); its transcript so far:\n{transcript}"
        );
        resume_unwind(payload);
    }
    transcript
}

/// What [`run_recorded`] does, returning a panic instead of unwinding.
pub(super) fn record<P: AsyncFnOnce()>(
    seed: u64,
    program: P,
) -> (Transcript, Option<Box<dyn Any + Send>>) {
    let recording = Recording::start();
    let run = catch_unwind(AssertUnwindSafe(|| {
        let ex = Executor::builder()
            .virtual_time()
            .seed(seed)
            .on_diagnostic(|d| record_or_print("executor".to_string(), d.to_string()))
            .build();
        ex.block_on(program());
        drop(ex); // inside the recording: dropped tasks may still speak
    }));
    (recording.finish(), run.err())
}

/// The recording slot of this thread, restored to what it was on drop.
struct Recording {
    previous: Option<Vec<Line>>,
}

impl Recording {
    fn start() -> Recording {
        let previous = RECORDING.with(|slot| slot.replace(Some(Vec::new())));
        Recording { previous }
    }

    fn finish(self) -> Transcript {
        let lines = RECORDING.with(|slot| slot.borrow_mut().take().unwrap_or_default());
        Transcript { lines }
        // `self` drops here and puts the previous slot back.
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = RECORDING.try_with(|slot| *slot.borrow_mut() = previous);
    }
}
