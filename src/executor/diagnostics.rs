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
// How it works: `Diagnostics` is an observer (observer.rs). The run loop
// tells it about every poll, wake, ending and park; it decides what is
// worth a report. The waker counts come from the task's state word, read
// by the run loop in one load right after the poll (task.rs counts every
// waker clone; the waker given to `poll` is borrowed and uncounted, so the
// count is exact). A count of zero is stable: only an existing waker can
// make another.
//
// What it cannot see: a waker of task A kept inside task B's future (say a
// channel between two tasks that wait on each other) looks the same as one
// kept by another thread, so such a cycle parks instead of panicking. The
// opt-in watchdog reports it as a stall.

use super::observer::{Advice, Idle, Observer, PollEnd, TaskDesc, Waiting};
use super::task::Ending;
use std::cell::{Cell, RefCell};
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

/// The diagnostics observer of one executor.
pub(crate) struct Diagnostics {
    watchdog: Option<Duration>,
    hook: Option<Hook>,
    /// When the current poll started (watchdog only).
    poll_start: Cell<Option<Instant>>,
    /// The waiting tasks when the executor last parked for a stall check.
    stall_check: RefCell<Option<Vec<String>>>,
}

impl Diagnostics {
    pub(crate) fn new(watchdog: Option<Duration>, hook: Option<Hook>) -> Diagnostics {
        Diagnostics {
            watchdog,
            hook,
            poll_start: Cell::new(None),
            stall_check: RefCell::new(None),
        }
    }

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

/// Not scheduled, and no waker left: it can never run again.
fn is_lost(w: &Waiting<'_>) -> bool {
    !w.scheduled && w.wakers == 0
}

fn describe_waiting(w: &Waiting<'_>) -> String {
    match is_lost(w) {
        true => format!(
            "{} (lost its waker: returned Pending without storing cx.waker())",
            w.task.describe()
        ),
        false => w.task.describe(),
    }
}

impl Observer for Diagnostics {
    /// Every poll only when the watchdog times them.
    fn wants_every_event(&self) -> bool {
        self.watchdog.is_some()
    }

    fn poll_started(&self, _task: &TaskDesc<'_>) {
        if self.watchdog.is_some() {
            self.poll_start.set(Some(Instant::now()));
        }
    }

    fn poll_ended(&self, task: &TaskDesc<'_>, end: PollEnd) {
        if let (Some(limit), Some(start)) = (self.watchdog, self.poll_start.take()) {
            let took = start.elapsed();
            if took > limit {
                self.report(Diagnostic::SlowPoll {
                    task: &task.describe(),
                    took,
                });
            }
        }
        let lost = PollEnd::Pending {
            wakers: 0,
            scheduled: false,
        };
        // block_on's own lost waker is a `deadlock:` panic (before_park).
        if end == lost && task.id != 0 {
            self.report(Diagnostic::LostWaker {
                task: &task.describe(),
            });
        }
    }

    fn finished(&self, task: &TaskDesc<'_>, ending: &Ending) {
        if let Ending::Panicked {
            message,
            detached: Some(_),
        } = ending
        {
            self.report(Diagnostic::DetachedPanic {
                task: &task.describe(),
                message,
            });
        }
    }

    fn microtask_panicked(&self, message: &str) {
        self.report(Diagnostic::DetachedPanic {
            task: "a microtask",
            message,
        });
    }

    fn before_park(&self, idle: &Idle<'_>) -> Advice {
        let mut block_on_lost = false;
        let mut held_outside = false;
        let mut waiting = Vec::new();
        let in_flight = (idle.waiting)(&mut |w| {
            if w.task.id == 0 {
                block_on_lost = is_lost(&w);
            }
            held_outside |= w.wakers_outside > 0;
            if w.task.id != 0 {
                waiting.push(describe_waiting(&w));
            }
        });
        if block_on_lost {
            let why = "no waker for it exists, so nothing can ever wake it; it probably \
                       forgot to store cx.waker() (or a clone) before returning Pending";
            return Advice::Deadlock(format!(
                "deadlock: block_on's future returned Pending, but {why}"
            ));
        }
        let quiet = idle.timers == 0 && idle.blocking_jobs == 0;
        if quiet && !held_outside && !in_flight && idle.block_on {
            let list = match waiting.is_empty() {
                true => "none".to_string(),
                false => waiting.join(", "),
            };
            return Advice::Deadlock(format!(
                "deadlock: block_on's future is waiting, but nothing can wake it: no task is \
                 ready, no timer is armed, no blocking job is running, and no waker is held \
                 outside the executor. Waiting tasks: {list}"
            ));
        }
        match (self.watchdog, idle.timers) {
            (Some(limit), 0) => {
                *self.stall_check.borrow_mut() = Some(waiting);
                Advice::ParkAtMost(limit)
            }
            _ => Advice::Park,
        }
    }

    fn unparked(&self, nothing_came: bool) {
        let waiting = self.stall_check.borrow_mut().take();
        if let (Some(waiting), true) = (waiting, nothing_came) {
            self.report(Diagnostic::Stalled { waiting: &waiting });
        }
    }
}
