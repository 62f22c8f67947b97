//! [`Event`]: one thing the executor did, as a recording keeps it.
//
// How it works: the recorder (recorder.rs) turns each call of the observer
// seam into one `Event`, stamped with the executor's clock and a tick. The
// event kinds mirror the seam one to one, in public types, so that the
// executor's internal types (`TaskDesc`, `PollEnd`, ...) can change without
// breaking a student's code. (Rejected alternative: exposing the seam's own
// types; they borrow from the run loop and would freeze its internals.)

use std::time::Duration;

/// One thing the executor did, in the order it did it.
///
/// ```
/// use async_primer::executor::Executor;
/// use async_primer::trace::EventKind;
///
/// let ex = Executor::builder().virtual_time().record().build();
/// ex.block_on(async { async_primer::yield_now().await });
/// let recording = ex.recording();
/// let first = &recording.events()[0];
/// assert_eq!(first.seq, 0);
/// assert!(matches!(first.kind, EventKind::Spawned { task: 0, .. }));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Its index in the recording: 0, 1, 2, ...
    pub seq: usize,
    /// The executor's clock when it happened, from the executor's start
    /// (virtual under [`virtual_time`](crate::executor::Builder::virtual_time)).
    pub at: Duration,
    /// A timestamp in nanoseconds that never repeats: the clock, pushed
    /// forward by one step (1 µs under virtual time, 2 ns in real time)
    /// whenever two events would share an instant. Virtual time stands
    /// still while tasks run; the tick keeps their polls apart.
    pub tick: u64,
    /// What happened.
    pub kind: EventKind,
}

/// What an [`Event`] records. Task numbers are those of
/// [`TaskInfo::id`](crate::executor::TaskInfo::id): 0 is `block_on`'s future.
///
/// ```
/// use async_primer::trace::{EventKind, Polled};
///
/// let kind = EventKind::PollEnded { task: 1, result: Polled::Pending };
/// assert_eq!(kind.task(), Some(1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// A task was spawned (it is now in the ready queue).
    Spawned {
        /// Its number.
        task: u64,
        /// The task running when it was spawned.
        parent: Option<u64>,
        /// Its name, if spawned with a name.
        name: Option<String>,
        /// Where it was spawned, as `file:line:column`.
        location: String,
    },
    /// A poll started.
    PollStarted {
        /// The task polled.
        task: u64,
    },
    /// A poll ended.
    PollEnded {
        /// The task polled.
        task: u64,
        /// What the poll returned.
        result: Polled,
    },
    /// A waiting task was woken: it is now in the ready queue.
    Woken {
        /// The task woken.
        task: u64,
        /// Who woke it.
        by: Wake,
    },
    /// A poll of `task` armed a timer (a `sleep`, a `timeout`, ...).
    TimerArmed {
        /// The task whose poll armed it.
        task: u64,
        /// When it is due, from the executor's start.
        deadline: Duration,
    },
    /// Due timers fired (their tasks' wakes follow as `Woken`).
    TimersFired {
        /// How many.
        count: usize,
    },
    /// The microtask queue was drained after a poll.
    MicrotasksRan {
        /// How many ran (including those queued by others in the drain).
        count: usize,
    },
    /// A microtask panicked; the executor went on.
    MicrotaskPanicked {
        /// The panic message.
        message: String,
    },
    /// Virtual time jumped to the next timer deadline.
    ClockMoved {
        /// The new clock, from the executor's start.
        to: Duration,
    },
    /// Nothing was ready: the executor parked its thread.
    Parked {
        /// Timers armed at that moment.
        timers: usize,
    },
    /// The executor woke up.
    Unparked {
        /// True if it slept the whole time (nothing woke it).
        nothing_came: bool,
    },
    /// A task ended.
    Finished {
        /// The task.
        task: u64,
        /// How it ended.
        ending: Ending,
    },
}

impl EventKind {
    /// The task this event is about, if it is about one.
    ///
    /// ```
    /// use async_primer::trace::EventKind;
    /// assert_eq!(EventKind::TimersFired { count: 1 }.task(), None);
    /// ```
    pub fn task(&self) -> Option<u64> {
        match self {
            EventKind::Spawned { task, .. }
            | EventKind::PollStarted { task }
            | EventKind::PollEnded { task, .. }
            | EventKind::Woken { task, .. }
            | EventKind::TimerArmed { task, .. }
            | EventKind::Finished { task, .. } => Some(*task),
            _ => None,
        }
    }
}

/// What a poll returned.
///
/// ```
/// use async_primer::trace::Polled;
/// assert_ne!(Polled::Pending, Polled::Ready);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Polled {
    /// `Poll::Pending`: the task waits for a wake.
    Pending,
    /// `Poll::Ready`: the task finished (a `Finished` event follows).
    Ready,
}

/// Who woke a task.
///
/// A wake from a `spawn_blocking` job or from a thread you started both
/// arrive through the executor's inbox and show as [`Wake::Thread`]; a
/// promise settling wakes its awaiter from a microtask ([`Wake::Microtask`]).
///
/// ```
/// use async_primer::trace::Wake;
/// assert_eq!(Wake::Task(2).letter(), 'W');
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// The task woke itself while it ran (`yield_now`).
    Itself,
    /// Another task woke it while that one ran.
    Task(u64),
    /// A timer fired.
    Timer,
    /// A microtask ran (a promise settled, or `queue_microtask`).
    Microtask,
    /// Another thread (a `spawn_blocking` job, or a thread of yours).
    Thread,
}

impl Wake {
    /// The one-letter marker the timeline draws for this wake.
    ///
    /// ```
    /// assert_eq!(async_primer::trace::Wake::Timer.letter(), 'T');
    /// ```
    pub fn letter(self) -> char {
        match self {
            Wake::Itself => 'Y',
            Wake::Task(_) => 'W',
            Wake::Timer => 'T',
            Wake::Microtask => 'M',
            Wake::Thread => 'X',
        }
    }

    /// In words, for the step-through page: `itself (yield)`, `task #2`, ...
    ///
    /// ```
    /// assert_eq!(async_primer::trace::Wake::Task(2).describe(), "task #2");
    /// ```
    pub fn describe(self) -> String {
        match self {
            Wake::Itself => "itself (yield)".to_string(),
            Wake::Task(0) => "main (block_on's future)".to_string(),
            Wake::Task(id) => format!("task #{id}"),
            Wake::Timer => "a timer".to_string(),
            Wake::Microtask => "a microtask".to_string(),
            Wake::Thread => "another thread".to_string(),
        }
    }
}

/// How a task ended.
///
/// ```
/// use async_primer::trace::Ending;
/// assert_eq!(Ending::Panicked("boom".into()), Ending::Panicked("boom".into()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Its future returned.
    Returned,
    /// It panicked, with this message.
    Panicked(String),
    /// It was aborted (or the executor was dropped) before it finished.
    Aborted,
}
