//! [`Recorder`]: the observer that writes a recording as the executor runs.
//!
//! Made for you by [`Builder::record`](crate::executor::Builder::record);
//! [`Executor::recording`](crate::executor::Executor::recording) copies out
//! what it has so far as a [`Recording`](crate::trace::Recording).
//
// How it works
// ------------
//
//   run loop --(observer seam)--> Fanout --> Diagnostics
//                                        \-> Recorder --push--> events
//   Executor::recording() ------------------------------clone--^
//
// The recorder is shared (`Rc`) between the executor's observer slot and
// the executor itself, so `ex.recording()` can read what was recorded while
// the observer keeps writing. Each event gets two stamps:
//
//   at   = the executor's clock (time::elapsed: virtual under virtual time)
//   tick = max(at, previous tick + STEP), in nanoseconds
//
// so ticks never repeat and never go back, and under virtual time (where
// the clock stands still while tasks run) every scheduler step is STEP
// apart: polls at one instant do not collapse. (Rejected alternative: a
// bare step counter as the only timestamp; it would lose the clock, and
// Perfetto would show a one-hour sleep as wide as one poll.)
//
// Cost: one `Vec::push` of a small enum per event (a spawn also copies the
// name and formats the location); see the trace note for the measurement.

use super::ending::Ending as TaskEnding;
use super::observer::{Advice, Idle, Observer, PollEnd, TaskDesc, WakeSource};
use crate::trace::{Ending, Event, EventKind, Polled, Wake};
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;
use std::time::Duration;

/// Writes every event of one executor into a shared list.
#[derive(Clone, Default)]
pub(crate) struct Recorder {
    inner: Rc<Inner>,
}

#[derive(Default)]
struct Inner {
    events: RefCell<Vec<Event>>,
    last_tick: Cell<Option<u64>>,
    last_at: Cell<Duration>,
    /// Spawned and not yet polled. The run loop reports every push to the
    /// ready queue made during a poll as a wake, spawns included; a task
    /// that was never polled cannot have been woken, so those are dropped.
    unpolled: RefCell<HashSet<u32>>,
    /// Nanoseconds between two events at one instant.
    step: u64,
    virtual_time: bool,
}

impl Recorder {
    pub(crate) fn new(virtual_time: bool) -> Recorder {
        Recorder {
            inner: Rc::new(Inner {
                step: if virtual_time { 1_000 } else { 2 },
                virtual_time,
                ..Inner::default()
            }),
        }
    }

    /// A copy of everything recorded so far.
    pub(crate) fn events(&self) -> Vec<Event> {
        self.inner.events.borrow().clone()
    }

    pub(crate) fn is_virtual(&self) -> bool {
        self.inner.virtual_time
    }

    fn push(&self, kind: EventKind) {
        self.push_at(crate::time::elapsed(), kind);
    }

    fn push_at(&self, clock: Duration, kind: EventKind) {
        let inner = &self.inner;
        // A spawn before `block_on` sees no running executor (clock 0):
        // never let the clock go back.
        let at = clock.max(inner.last_at.get());
        inner.last_at.set(at);
        let ns = u64::try_from(at.as_nanos()).unwrap_or(u64::MAX);
        let tick = match inner.last_tick.get() {
            Some(last) => ns.max(last.saturating_add(inner.step)),
            None => ns,
        };
        inner.last_tick.set(Some(tick));
        let mut events = inner.events.borrow_mut();
        let seq = events.len();
        events.push(Event {
            seq,
            at,
            tick,
            kind,
        });
    }
}

impl Observer for Recorder {
    fn wants_every_event(&self) -> bool {
        true
    }

    fn spawned(&self, task: &TaskDesc<'_>) {
        self.inner.unpolled.borrow_mut().insert(task.id);
        self.push(EventKind::Spawned {
            task: u64::from(task.id),
            parent: task.parent.map(u64::from),
            name: task.name.map(str::to_string),
            location: task.spawned_at.to_string(),
        });
    }

    fn poll_started(&self, task: &TaskDesc<'_>) {
        let mut unpolled = self.inner.unpolled.borrow_mut();
        if !unpolled.is_empty() {
            unpolled.remove(&task.id);
        }
        drop(unpolled);
        let task = u64::from(task.id);
        self.push(EventKind::PollStarted { task });
    }

    fn poll_ended(&self, task: &TaskDesc<'_>, end: PollEnd) {
        let result = match end {
            // Still waiting (or woken meanwhile: a `Woken` event follows).
            PollEnd::Pending { .. } => Polled::Pending,
            // Returned, or panicked: a `Finished` event says which.
            PollEnd::Finished => Polled::Ready,
        };
        let task = u64::from(task.id);
        self.push(EventKind::PollEnded { task, result });
    }

    fn woken(&self, task: u32, by: WakeSource) {
        let unpolled = self.inner.unpolled.borrow();
        if !unpolled.is_empty() && unpolled.contains(&task) {
            return; // its spawn, not a wake
        }
        let by = match by {
            WakeSource::Itself => Wake::Itself,
            WakeSource::Task(id) => Wake::Task(u64::from(id)),
            WakeSource::Timer => Wake::Timer,
            WakeSource::Microtask => Wake::Microtask,
            WakeSource::Thread => Wake::Thread,
        };
        let task = u64::from(task);
        self.push(EventKind::Woken { task, by });
    }

    fn timers_fired(&self, count: usize) {
        self.push(EventKind::TimersFired { count });
    }

    fn timer_armed(&self, task: u32, deadline: Duration) {
        self.push(EventKind::TimerArmed {
            task: u64::from(task),
            deadline,
        });
    }

    fn microtasks_ran(&self, count: usize) {
        self.push(EventKind::MicrotasksRan { count });
    }

    fn clock_moved(&self, to: Duration) {
        self.push_at(to, EventKind::ClockMoved { to });
    }

    fn finished(&self, task: &TaskDesc<'_>, ending: &TaskEnding) {
        let ending = match ending {
            // The future returned a value.
            TaskEnding::Returned => Ending::Returned,
            // Aborted, or dropped with the executor.
            TaskEnding::Aborted => Ending::Aborted,
            // The payload stays with the JoinHandle; the message is enough.
            TaskEnding::Panicked(panic) => Ending::Panicked(panic.message.clone()),
        };
        let task = u64::from(task.id);
        self.push(EventKind::Finished { task, ending });
    }

    fn microtask_panicked(&self, message: &str) {
        let message = message.to_string();
        self.push(EventKind::MicrotaskPanicked { message });
    }

    fn before_park(&self, idle: &Idle<'_>) -> Advice {
        let timers = idle.timers;
        self.push(EventKind::Parked { timers });
        Advice::Park
    }

    fn unparked(&self, nothing_came: bool) {
        self.push(EventKind::Unparked { nothing_came });
    }
}
