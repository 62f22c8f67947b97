//! [`Diagnostic`]: everything the executor notices and tells you about.

use std::fmt;
use std::time::Duration;

/// Something the executor noticed, passed to the diagnostic hook
/// ([`Builder::on_diagnostic`](super::Builder::on_diagnostic); by default
/// it is printed on stderr).
///
/// Nothing hangs silently. What is detected, and how it is reported:
///
/// | diagnostic | when | how |
/// |---|---|---|
/// | lost waker (spawned task) | a poll returned `Pending`, the task is not scheduled, and no waker for it exists anywhere: it can never run again | [`LostWaker`](Diagnostic::LostWaker) |
/// | lost waker (`block_on`'s future) | the same for the future given to `block_on` | panic `deadlock: ...` at the line that called `block_on` |
/// | deadlock | `block_on`'s future waits, nothing is ready, no timer is armed, no blocking job runs, and no waker of any waiting task is held outside the executor | [`Deadlock`](Diagnostic::Deadlock), then panic `deadlock: ...` at the `block_on` line |
/// | stall | nothing happened for the watchdog threshold (about 1 s) and no timer is armed, no blocking job runs, but wakers are held somewhere (another task's channel, another thread): maybe a wait cycle | [`Stalled`](Diagnostic::Stalled), once per stall, saying what each task waits on, where that was created, which task holds the other end when known, and any cycle |
/// | blocked poll | one poll has held the thread for longer than the threshold and *still does* (a blocking call in async code) | [`BlockedPoll`](Diagnostic::BlockedPoll), printed from a monitor thread while it blocks |
/// | slow poll | that poll finally returned | [`SlowPoll`](Diagnostic::SlowPoll), to the hook |
/// | detached panic | a task whose JoinHandle was dropped panicked, or a microtask panicked | [`DetachedPanic`](Diagnostic::DetachedPanic) |
///
/// The watchdog (stall, blocked and slow polls) is on by default in debug
/// builds with a threshold of one second;
/// [`Builder::watchdog`](super::Builder::watchdog) changes it or turns it on
/// in release builds, [`Builder::no_watchdog`](super::Builder::no_watchdog)
/// turns it off. Under virtual time it still measures real time: a blocking
/// call is invisible to the virtual clock.
///
/// Not detected: a cycle through wakers held by another thread of yours
/// (the executor cannot tell that thread will never wake them, so it
/// reports a stall, never a false `deadlock:`); a task that busy-loops with
/// `yield_now` forever (it is always ready).
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
    /// `block_on`'s future can never be woken; `block_on` panics with the
    /// same text right after this report.
    Deadlock {
        /// The whole explanation, starting `deadlock:`.
        message: &'a str,
    },
    /// Nothing happened for the watchdog threshold, no timer is armed and
    /// no blocking job runs: what each waiting task waits on.
    Stalled {
        /// How long nothing happened.
        idle: Duration,
        /// One line per waiting task: who, what it waits on, where that was
        /// created, and who holds the other end when that is known.
        waiting: &'a [String],
        /// Wait cycles found among them, each as `a -> b -> a`.
        cycles: &'a [String],
    },
    /// A poll has held the thread for `running` and is still running
    /// (reported from the watchdog's thread, while it blocks).
    BlockedPoll {
        /// The task, and where it was spawned.
        task: &'a str,
        /// How long the poll had run when it was noticed.
        running: Duration,
    },
    /// A poll held the thread longer than the watchdog threshold (reported
    /// when it returned).
    SlowPoll {
        /// The task that blocked.
        task: &'a str,
        /// How long that poll ran.
        took: Duration,
    },
    /// A task nobody was joining panicked (or a microtask panicked).
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
            Diagnostic::Deadlock { message } => f.write_str(message),
            Diagnostic::Stalled {
                idle,
                waiting,
                cycles,
            } => {
                write!(
                    f,
                    "stall: nothing has happened for {idle:.1?}, no timer is armed and no \
                     blocking job runs, but the waiting tasks' wakers are held somewhere (another \
                     task's channel, or another thread). Waiting:"
                )?;
                for line in waiting.iter() {
                    write!(f, "\n  - {line}")?;
                }
                for cycle in cycles.iter() {
                    write!(f, "\n  cycle: {cycle}: they wait for each other")?;
                }
                Ok(())
            }
            Diagnostic::BlockedPoll { task, running } => write!(
                f,
                "watchdog: {task} has been running one poll for {running:.1?} and still is, so \
                 every other task waits (a blocking call in async code? use spawn_blocking or \
                 an async version of the call)"
            ),
            Diagnostic::SlowPoll { task, took } => write!(
                f,
                "watchdog: {task} held the thread for {took:.1?} in one poll; every other task \
                 waited (a blocking call? use spawn_blocking)"
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
