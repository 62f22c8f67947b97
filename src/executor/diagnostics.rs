//! Diagnostics: what the executor notices and tells you about.
//!
//! | diagnostic | when | how it is reported |
//! |---|---|---|
//! | lost waker (spawned task) | a poll returned `Pending`, the task is not scheduled, and no waker for it exists anywhere | [`Diagnostic::LostWaker`] |
//! | lost waker (`block_on`'s future) | the same, for the future passed to `block_on` | panic: `deadlock: ...` |
//! | deadlock | `block_on`'s future waits, nothing is ready, no timer is armed, no blocking job runs, and no waker of a waiting task is held outside the executor | panic: `deadlock: ...` listing the waiting tasks |
//! | slow poll (opt-in [`Builder::watchdog`](super::Builder::watchdog)) | one poll held the thread longer than the threshold | [`Diagnostic::SlowPoll`] |
//! | stall (opt-in, the same watchdog) | the executor parked with no timer armed for longer than the threshold | [`Diagnostic::Stalled`] |
//! | detached panic | a task whose JoinHandle was dropped panicked | [`Diagnostic::DetachedPanic`] |
//!
//! Reports go to a hook set with
//! [`Builder::on_diagnostic`](super::Builder::on_diagnostic); the default
//! prints them on stderr.
//!
//! ```
//! use async_primer::executor::{Diagnostic, Executor};
//! use std::cell::RefCell;
//! use std::rc::Rc;
//!
//! let seen = Rc::new(RefCell::new(Vec::new()));
//! let log = seen.clone();
//! let ex = Executor::builder()
//!     .on_diagnostic(move |d| log.borrow_mut().push(d.to_string()))
//!     .build();
//! let _detached = ex.spawn_named("oops", async { panic!("boom") });
//! drop(_detached);
//! ex.run_until_stalled();
//! assert!(seen.borrow()[0].contains("'oops'"));
//! ```
//
// How it works: the run loop calls the `check_*`, `timed`, `report_*` and
// `park_timeout` functions below at fixed points (after a Pending poll,
// around a poll, before parking); nothing else in the core knows about
// diagnostics. The waker counts come from the state word: references minus
// the executor's own and the JoinHandle's (task.rs), which is exact because
// the waker given to `poll` is borrowed and uncounted (waker.rs). A count of
// zero is stable: only an existing waker can make another.
//
// What it cannot see: a waker of task A kept inside task B's future (say a
// channel between two tasks that wait on each other) looks the same as one
// kept by another thread, so such a cycle parks instead of panicking. The
// opt-in watchdog reports it as a stall.

use super::core::Core;
use super::task::{COMPLETE, JOIN, SCHEDULED, TaskRef, refs};
use super::waker;
use crate::sync::atomic::Ordering;
use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

/// Something the executor noticed, passed to the diagnostic hook.
///
/// ```
/// use async_primer::executor::{Diagnostic, Executor};
/// use std::cell::Cell;
/// use std::rc::Rc;
///
/// let lost = Rc::new(Cell::new(0));
/// let count = lost.clone();
/// let ex = Executor::builder()
///     .on_diagnostic(move |d| {
///         if let Diagnostic::LostWaker { .. } = d {
///             count.set(count.get() + 1);
///         }
///     })
///     .build();
/// // `pending()` never keeps a waker: the task can never run again.
/// drop(ex.spawn(std::future::pending::<()>()));
/// ex.run_until_stalled();
/// assert_eq!(lost.get(), 1);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Diagnostic<'a> {
    /// A task returned `Pending`, is not scheduled, and no waker for it
    /// exists: it can never run again.
    LostWaker {
        /// The task, as `'name' (task #id)` or `task #id`.
        task: &'a str,
    },
    /// One poll held the thread longer than the watchdog threshold.
    SlowPoll {
        /// The task that blocked.
        task: &'a str,
        /// How long that poll took.
        took: Duration,
    },
    /// The executor parked longer than the watchdog threshold with no timer
    /// armed while tasks were waiting.
    Stalled {
        /// The waiting tasks.
        waiting: &'a [String],
    },
    /// A task nobody was joining panicked.
    DetachedPanic {
        /// The task that panicked.
        task: &'a str,
        /// The panic message, if it was a string.
        message: &'a str,
    },
}

impl fmt::Display for Diagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnostic::LostWaker { task } => write!(
                f,
                "lost waker: {task} returned Pending, but no waker for it exists, so it can \
                 never run again (did it forget to store cx.waker()?)"
            ),
            Diagnostic::SlowPoll { task, took } => write!(
                f,
                "watchdog: {task} held the thread for {took:?} in one poll; every other task \
                 waited (a blocking call? use spawn_blocking)"
            ),
            Diagnostic::Stalled { waiting } => write!(
                f,
                "watchdog: nothing has happened for a while and no timer is armed; waiting: {}",
                waiting.join(", ")
            ),
            Diagnostic::DetachedPanic { task, message } => {
                write!(
                    f,
                    "{task} panicked (nobody holds its JoinHandle): {message}"
                )
            }
        }
    }
}

/// Where diagnostics go (see [`Builder::on_diagnostic`](super::Builder::on_diagnostic)).
pub(crate) type Hook = Box<dyn Fn(&Diagnostic<'_>)>;

/// The diagnostic settings of one executor.
pub(crate) struct Diagnostics {
    pub(crate) watchdog: Option<Duration>,
    pub(crate) hook: Option<Hook>,
}

impl Diagnostics {
    fn report(&self, diagnostic: Diagnostic<'_>) {
        match &self.hook {
            // A panicking hook must not leave the executor half-way through
            // a step, so its panic is contained here.
            Some(hook) => {
                let _ =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(&diagnostic)));
            }
            None => eprintln!("async-primer: {diagnostic}"),
        }
    }
}

/// Wakers alive anywhere, in one state word (the executor's and the
/// JoinHandle's references are not wakers).
fn wakers_in(state: usize) -> usize {
    refs(state) - 1 - usize::from(state & JOIN != 0)
}

/// Wakers of `task` alive anywhere.
#[inline]
fn wakers(task: TaskRef) -> usize {
    // Acquire: pairs with the AcqRel release in a waker's drop on another
    // thread, so a count of zero means those drops are done.
    wakers_in(task.header().state.load(Ordering::Acquire))
}

/// Not scheduled, and no waker left: it can never run again. One load, so
/// both facts come from the same instant (a wake sets SCHEDULED before it
/// drops its waker; two loads could see "not yet scheduled" and then
/// "waker gone" and miss that wake; loom found this).
#[inline]
fn is_lost(task: TaskRef) -> bool {
    let state = task.header().state.load(Ordering::Acquire);
    state & (SCHEDULED | COMPLETE) == 0 && wakers_in(state) == 0
}

/// Seam: after a spawned task's poll returned Pending.
#[inline]
pub(crate) fn check_task_after_pending(core: &Core, task: TaskRef) {
    if is_lost(task) {
        core.diag.report(Diagnostic::LostWaker {
            task: &core.describe(task),
        });
    }
}

/// Seam: after `block_on`'s future returned Pending, and before parking
/// (its last waker may have been dropped by another thread meanwhile).
#[track_caller]
#[inline]
pub(crate) fn check_main_after_pending(_core: &Core, main: TaskRef) {
    if is_lost(main) {
        // Formatted, so the payload is a `String` like every `deadlock:`.
        let why = "no waker for it exists, so nothing can ever wake it; it probably \
                   forgot to store cx.waker() (or a clone) before returning Pending";
        panic!("deadlock: block_on's future returned Pending, but {why}");
    }
}

/// Seam: around every poll; times it when the watchdog is on.
#[inline]
pub(crate) fn timed<R>(core: &Core, task: TaskRef, poll: impl FnOnce() -> R) -> R {
    let _polling = super::current::Polling::enter(task); // for `current_task()`
    let Some(limit) = core.diag.watchdog else {
        return poll();
    };
    let start = Instant::now();
    let result = poll();
    let took = start.elapsed();
    if took > limit {
        core.diag.report(Diagnostic::SlowPoll {
            task: &core.describe(task),
            took,
        });
    }
    result
}

/// Seam: a detached task panicked.
pub(crate) fn report_detached_panic(core: &Core, task: TaskRef, payload: Box<dyn Any + Send>) {
    let message = panic_message(&*payload);
    core.diag.report(Diagnostic::DetachedPanic {
        task: &core.describe(task),
        message,
    });
    // The payload's destructor is user code too.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(payload)));
}

/// The text of a panic payload (`panic!("..")` gives a `&str` or `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    match payload.downcast_ref::<&'static str>() {
        Some(s) => s,
        None => payload
            .downcast_ref::<String>()
            .map_or("(not a string)", String::as_str),
    }
}

/// The tasks that are still waiting, described.
fn waiting(core: &Core) -> Vec<String> {
    let tasks = core.tasks.borrow();
    // Acquire, like every COMPLETE check: pairs with the AcqRel that set
    // it when the task finished (on this thread, so it is cheap anyway).
    let pending = tasks
        .iter()
        .filter(|t| t.header().state.load(Ordering::Acquire) & COMPLETE == 0);
    pending
        .map(|t| match is_lost(t) {
            true => format!(
                "{} (lost its waker: returned Pending without storing cx.waker())",
                core.describe(t)
            ),
            false => core.describe(t),
        })
        .collect()
}

/// Seam: nothing is ready, no timer is armed and no blocking job runs.
/// Panics with `deadlock:` when no waker of a waiting task (or of
/// `block_on`'s future) is held outside the executor.
pub(crate) fn check_deadlock(core: &Core) {
    // Wakers held inside the executor: a waiting task's JoinHandle slot
    // holding the waker of whoever awaits it.
    let mut inside: HashMap<TaskRef, usize> = HashMap::new();
    let pending: Vec<TaskRef> = core
        .tasks
        .borrow()
        .iter()
        .filter(|t| t.header().state.load(Ordering::Acquire) & COMPLETE == 0)
        .collect();
    for task in &pending {
        task.header().join_waker.with(|w| {
            // SAFETY: executor thread only (THE invariant in task.rs).
            if let Some(owner) = unsafe { &*w }.as_ref().and_then(waker::task_of) {
                *inside.entry(owner).or_default() += 1;
            }
        });
    }
    let main = core.main.get();
    let outside = |t: TaskRef| wakers(t) - inside.get(&t).copied().unwrap_or(0);
    if outside(main) > 0 || pending.iter().any(|&t| outside(t) > 0) {
        return; // someone outside may still wake us: park
    }
    // Only now look for wakes in flight. The order matters: a remote wake
    // sets SCHEDULED and posts to the inbox *before* it drops its waker, so
    // once the counts above read zero (Acquire), that wake is visible here.
    // (Checking the inbox first raced with exactly that; loom found it:
    // `free_block_on_spare_executor_is_freed`.)
    let scheduled = |t: &TaskRef| t.header().state.load(Ordering::Acquire) & SCHEDULED != 0;
    if core.shared.has_mail() || scheduled(&main) || pending.iter().any(scheduled) {
        return;
    }
    let list = waiting(core);
    let list = match list.is_empty() {
        true => "none".to_string(),
        false => list.join(", "),
    };
    panic!(
        "deadlock: block_on's future is waiting, but nothing can wake it: no task is ready, \
         no timer is armed, no blocking job is running, and no waker is held outside the \
         executor. Waiting tasks: {list}"
    );
}

/// Seam: how long to park. With the watchdog on and no deadline, park for
/// the threshold only, and report a stall if nothing arrived by then.
pub(crate) fn park_timeout(core: &Core, timeout: Option<Duration>) -> (Option<Duration>, bool) {
    match (timeout, core.diag.watchdog) {
        (None, Some(limit)) => (Some(limit), true),
        (timeout, _) => (timeout, false),
    }
}

/// Seam: the executor parked for the watchdog threshold and nothing came.
pub(crate) fn report_stall(core: &Core) {
    core.diag.report(Diagnostic::Stalled {
        waiting: &waiting(core),
    });
}
