//! The observer seam: the fixed points where the run loop says what it is
//! doing, so that diagnostics and traces can watch without the run loop
//! knowing what they do with it.
//!
//! The run loop (`run_loop.rs`) calls an [`Observer`] when a task is
//! spawned, when a poll starts and ends, when a task is woken (and from
//! where), when timers fire, when the clock moves, when a task ends, and
//! before and after it parks. Every method has an empty default, and an
//! executor built with no observer skips the calls altogether (one branch
//! on an `Option` at each point). Diagnostics (`diagnostics.rs`) are one
//! observer; execution traces are another.
//
// How it works: the run loop holds `Option<Box<dyn Observer>>`, and checks
// it at every point; `Fanout` chains two observers (diagnostics, then a
// trace). (Rejected alternative: making the run loop generic
// over its observer. It would inline everything, but the thread-local
// "current executor" would need one type per observer, and the executor's
// public type would grow a parameter that no student wants to see.)

use super::ending::Ending;
use std::panic::Location;
use std::time::Duration;

/// Who a task is: what every event names.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TaskDesc<'a> {
    /// 0 is block_on's own future; spawned tasks count from 1.
    pub(crate) id: u32,
    pub(crate) name: Option<&'a str>,
    /// Where `spawn` (or `block_on`) was called.
    pub(crate) spawned_at: &'static Location<'static>,
    /// The task that was running when this one was spawned (only in the
    /// `spawned` event; not kept afterwards).
    pub(crate) parent: Option<u32>,
}

impl TaskDesc<'_> {
    /// `'name' (task #3)`, `task #3`, or `block_on's future`.
    pub(crate) fn describe(&self) -> String {
        match (self.id, self.name) {
            (0, _) => "block_on's future".to_string(),
            (id, Some(name)) => format!("'{name}' (task #{id})"),
            (id, None) => format!("task #{id}"),
        }
    }
}

/// Where a wake came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WakeSource {
    /// The task woke itself while it was being polled (`yield_now`).
    Itself,
    /// Another task woke it while that one was being polled.
    Task(u32),
    /// A timer fired.
    Timer,
    /// A microtask ran (a promise settled, or `queue_microtask`).
    Microtask,
    /// Another thread woke it (through the inbox).
    Thread,
}

/// How a poll ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PollEnd {
    /// `Pending`. `wakers` counts the task's wakers alive anywhere right
    /// after the poll; `scheduled` says whether it was woken meanwhile. Not
    /// scheduled with no waker means nobody can ever wake it again.
    Pending { wakers: usize, scheduled: bool },
    /// The task finished (see [`Observer::finished`]).
    Finished,
}

/// What a waiting task waits on, as the primitive it awaited noted it
/// (`executor::note_wait`, called when its poll returns `Pending`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Wait {
    /// `"a oneshot"`, `"room in an mpsc channel"`, `"a promise"`, ...
    pub(crate) what: &'static str,
    /// Where that thing was created (`#[track_caller]`).
    pub(crate) created_at: Option<&'static Location<'static>>,
    /// Where the task awaits it, when the future knows (made by a
    /// `#[track_caller]` method or `IntoFuture` at the `.await`).
    pub(crate) awaited_at: Option<&'static Location<'static>>,
    /// The task that holds the other end, when the primitive knows it (a
    /// JoinHandle knows: its task).
    pub(crate) holder: Option<u32>,
}

/// A waiting task, as the run loop sees it before parking.
#[derive(Clone, Debug)]
pub(crate) struct Waiting<'a> {
    pub(crate) task: TaskDesc<'a>,
    /// What it waits on, if the primitive said.
    pub(crate) waits_on: Option<Wait>,
    /// Wakers of this task alive anywhere.
    pub(crate) wakers: usize,
    /// Wakers of this task alive outside the executor (a waker kept in
    /// another task's JoinHandle slot counts as inside).
    pub(crate) wakers_outside: usize,
    pub(crate) scheduled: bool,
}

/// What the run loop knows when nothing is ready and it is about to park.
#[allow(clippy::type_complexity)] // a visitor: `(idle.waiting)(&mut |w| ..)`
pub(crate) struct Idle<'a> {
    /// A `block_on` is running (else `run_until_stalled`).
    pub(crate) block_on: bool,
    /// Timers armed, and `spawn_blocking` jobs still running.
    pub(crate) timers: usize,
    pub(crate) blocking_jobs: usize,
    /// Lists block_on's future (first, when a `block_on` runs) and every
    /// waiting task, then tells whether a wake is in flight (in the inbox,
    /// or a task scheduled). Computed only when asked: it visits every task.
    pub(crate) waiting: &'a dyn Fn(&mut dyn FnMut(Waiting<'_>)) -> bool,
}

/// What an observer asks of the run loop before it parks.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Advice {
    /// Park until a wake or the next timer.
    Park,
    /// Park, but come back after this long even if nothing came.
    ParkAtMost(Duration),
    /// Nothing can ever wake block_on's future: `block_on` panics with this
    /// message (at the caller's line).
    Deadlock(String),
}

/// The seam. Every method has an empty default.
pub(crate) trait Observer {
    /// True to be told of every poll, wake, spawn, ending, timer and clock
    /// move (a trace). False (the default) to hear only the notable events:
    /// a poll that lost its waker, a panic, and parking; the run loop then
    /// skips the rest, which keeps the hot path as fast as with no
    /// observer.
    fn wants_every_event(&self) -> bool {
        false
    }
    /// True to have primitives note what each task waits on (a small cost
    /// at every `Pending`), for stall reports.
    fn wants_waits(&self) -> bool {
        false
    }
    /// A task was spawned (block_on's future counts as task 0).
    fn spawned(&self, _task: &TaskDesc<'_>) {}
    /// A poll is about to start.
    fn poll_started(&self, _task: &TaskDesc<'_>) {}
    /// A poll ended.
    fn poll_ended(&self, _task: &TaskDesc<'_>, _end: PollEnd) {}
    /// A waiting task was woken, and is now scheduled.
    fn woken(&self, _task: u32, _by: WakeSource) {}
    /// `count` timers fired.
    fn timers_fired(&self, _count: usize) {}
    /// A poll of `task` armed a timer for `deadline` (from the clock's
    /// start). Told only to an observer of every event.
    fn timer_armed(&self, _task: u32, _deadline: Duration) {}
    /// `count` microtasks ran.
    fn microtasks_ran(&self, _count: usize) {}
    /// The (virtual) clock jumped forward to this offset from its start.
    fn clock_moved(&self, _to: Duration) {}
    /// A task ended: returned, panicked or aborted.
    fn finished(&self, _task: &TaskDesc<'_>, _ending: &Ending) {}
    /// A microtask panicked (JavaScript reports an uncaught exception in a
    /// job and goes on; so does the run loop).
    fn microtask_panicked(&self, _message: &str) {}
    /// Nothing is ready. Called before parking.
    fn before_park(&self, _idle: &Idle<'_>) -> Advice {
        Advice::Park
    }
    /// The executor woke up; `nothing_came` if it slept the whole time.
    fn unparked(&self, _nothing_came: bool) {}
}

/// Two observers, called in order: diagnostics, then a trace.
pub(crate) struct Fanout(pub(crate) Box<dyn Observer>, pub(crate) Box<dyn Observer>);

impl Observer for Fanout {
    fn wants_every_event(&self) -> bool {
        self.0.wants_every_event() || self.1.wants_every_event()
    }
    fn wants_waits(&self) -> bool {
        self.0.wants_waits() || self.1.wants_waits()
    }
    fn spawned(&self, task: &TaskDesc<'_>) {
        self.0.spawned(task);
        self.1.spawned(task);
    }
    fn poll_started(&self, task: &TaskDesc<'_>) {
        self.0.poll_started(task);
        self.1.poll_started(task);
    }
    fn poll_ended(&self, task: &TaskDesc<'_>, end: PollEnd) {
        self.0.poll_ended(task, end);
        self.1.poll_ended(task, end);
    }
    fn woken(&self, task: u32, by: WakeSource) {
        self.0.woken(task, by);
        self.1.woken(task, by);
    }
    fn timers_fired(&self, count: usize) {
        self.0.timers_fired(count);
        self.1.timers_fired(count);
    }
    fn timer_armed(&self, task: u32, deadline: Duration) {
        self.0.timer_armed(task, deadline);
        self.1.timer_armed(task, deadline);
    }
    fn microtasks_ran(&self, count: usize) {
        self.0.microtasks_ran(count);
        self.1.microtasks_ran(count);
    }
    fn clock_moved(&self, to: Duration) {
        self.0.clock_moved(to);
        self.1.clock_moved(to);
    }
    fn finished(&self, task: &TaskDesc<'_>, ending: &Ending) {
        self.0.finished(task, ending);
        self.1.finished(task, ending);
    }
    fn microtask_panicked(&self, message: &str) {
        self.0.microtask_panicked(message);
        self.1.microtask_panicked(message);
    }
    fn before_park(&self, idle: &Idle<'_>) -> Advice {
        // A deadlock verdict wins; otherwise the shorter of the two naps.
        match (self.0.before_park(idle), self.1.before_park(idle)) {
            (Advice::Deadlock(why), _) | (_, Advice::Deadlock(why)) => Advice::Deadlock(why),
            (Advice::ParkAtMost(a), Advice::ParkAtMost(b)) => Advice::ParkAtMost(a.min(b)),
            (Advice::ParkAtMost(d), Advice::Park) | (Advice::Park, Advice::ParkAtMost(d)) => {
                Advice::ParkAtMost(d)
            }
            (Advice::Park, Advice::Park) => Advice::Park,
        }
    }
    fn unparked(&self, nothing_came: bool) {
        self.0.unparked(nothing_came);
        self.1.unparked(nothing_came);
    }
}
