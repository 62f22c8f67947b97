//! Replaying a recording: what the executor's queues held after each event.
//!
//! The recording holds only what happened; the pictures also want to show
//! what *was*: which tasks sat in the ready queue, which one ran, which
//! waited, how many microtasks were queued, which timers were armed. This
//! file rebuilds that, event by event, the way you would on paper.
//
// How it works: a forward pass keeps each task's state
//
//            Spawned / Woken          PollStarted
//   (none) -----------------> Ready ---------------> Running
//                               ^                    |  |
//                       Woken   |    PollEnded(Pending) |  PollEnded(Ready)
//                               +------ Waiting <----+  +--> Done
//
// and the ready queue in the order tasks joined it (with a seed the
// executor may pick any of them; the poll says which it picked). Two
// things the seam does not say are filled in by looking ahead:
//
// * microtasks: only their number, when the queue is drained; they were
//   queued during the poll before, so the events from that poll's end to
//   the drain show them as queued;
// * timers: only that one fired and whom it woke; so a task woken by a
//   timer is shown as holding an armed timer from the end of its poll
//   before, with the deadline at which it fired. Timers that never fire
//   (dropped, or still armed at the end) are not shown.
//
// Left out: wakes of block_on's future (task 0) do not go through the
// ready queue, so the seam does not report them; task 0 shows as waiting
// until its next poll.

use super::event::{Event, EventKind, Polled, Wake};
use std::collections::BTreeMap;
use std::time::Duration;

/// A task's state after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TaskState {
    /// In the ready queue: spawned or woken, not yet polled.
    Ready,
    /// Being polled.
    Running,
    /// Returned `Pending`; waits for a wake.
    Waiting,
    /// Finished (returned, panicked or aborted).
    Done,
}

/// The executor as it was right after one event.
#[derive(Clone, Debug, Default)]
pub(crate) struct Snapshot {
    /// Every task seen so far, by number.
    pub(crate) tasks: BTreeMap<u64, TaskState>,
    /// The ready queue, oldest first.
    pub(crate) ready: Vec<u64>,
    pub(crate) running: Option<u64>,
    /// Microtasks queued and not yet run (known from the drain that follows).
    pub(crate) microtasks: usize,
    /// Armed timers known to fire later: (task, deadline).
    pub(crate) timers: Vec<(u64, Duration)>,
}

/// One snapshot per event, in order.
pub(crate) fn replay(events: &[Event]) -> Vec<Snapshot> {
    let mut out = Vec::with_capacity(events.len());
    let mut now = Snapshot::default();
    for event in events {
        apply(&mut now, &event.kind);
        out.push(now.clone());
    }
    fill_microtasks(events, &mut out);
    fill_timers(events, &mut out);
    out
}

fn apply(now: &mut Snapshot, kind: &EventKind) {
    match *kind {
        // A new task goes to the back of the ready queue.
        EventKind::Spawned { task, .. } => {
            now.tasks.insert(task, TaskState::Ready);
            now.ready.push(task);
        }
        // The executor took it out of the queue (wherever the seed chose).
        EventKind::PollStarted { task } => {
            now.ready.retain(|&t| t != task);
            now.tasks.insert(task, TaskState::Running);
            now.running = Some(task);
        }
        // Pending: it waits (a `Woken` may follow at once if it woke itself).
        EventKind::PollEnded { task, result } => {
            let state = match result {
                Polled::Pending => TaskState::Waiting,
                Polled::Ready => TaskState::Done,
            };
            now.tasks.insert(task, state);
            now.running = None;
        }
        // Back into the ready queue.
        EventKind::Woken { task, .. } => {
            if now.tasks.get(&task) != Some(&TaskState::Ready) {
                now.ready.push(task);
            }
            now.tasks.insert(task, TaskState::Ready);
        }
        // Ended; an aborted task may still have been queued.
        EventKind::Finished { task, .. } => {
            now.ready.retain(|&t| t != task);
            now.tasks.insert(task, TaskState::Done);
        }
        // The rest changes no task's state.
        EventKind::TimersFired { .. }
        | EventKind::TimerArmed { .. }
        | EventKind::MicrotasksRan { .. }
        | EventKind::MicrotaskPanicked { .. }
        | EventKind::ClockMoved { .. }
        | EventKind::Parked { .. }
        | EventKind::Unparked { .. } => {}
    }
}

/// A drain of `n` microtasks: they were queued since the last poll ended.
fn fill_microtasks(events: &[Event], out: &mut [Snapshot]) {
    let mut since = 0;
    for (i, event) in events.iter().enumerate() {
        match event.kind {
            EventKind::PollEnded { .. } => since = i,
            EventKind::MicrotasksRan { count } => {
                for snap in &mut out[since..i] {
                    snap.microtasks = count;
                }
                since = i + 1;
            }
            _ => {}
        }
    }
}

/// A timer of task T is pending from the event that armed it to the timer
/// wake of T that fired it (a timer dropped unfired, say a `timeout` that
/// lost, is shown until T's next poll).
fn fill_timers(events: &[Event], out: &mut [Snapshot]) {
    let mut armed: BTreeMap<u64, Vec<(usize, Duration)>> = BTreeMap::new();
    for (i, event) in events.iter().enumerate() {
        match event.kind {
            EventKind::TimerArmed { task, deadline } => {
                armed.entry(task).or_default().push((i, deadline));
            }
            EventKind::PollStarted { task } => {
                // Timers the task still needs are armed again by this poll
                // (or were already due); drop the ones that never fired.
                for (from, deadline) in armed.remove(&task).unwrap_or_default() {
                    for snap in &mut out[from..i] {
                        snap.timers.push((task, deadline));
                    }
                }
            }
            EventKind::Woken {
                task,
                by: Wake::Timer,
            } => {
                for (from, deadline) in armed.remove(&task).unwrap_or_default() {
                    for snap in &mut out[from..i] {
                        snap.timers.push((task, deadline));
                    }
                }
            }
            _ => {}
        }
    }
    for snap in out {
        snap.timers.sort_by_key(|&(task, at)| (at, task));
    }
}

/// The task's label: `main` for block_on's future, else its name or `task N`.
pub(crate) fn labels(events: &[Event]) -> BTreeMap<u64, String> {
    let mut out = BTreeMap::new();
    for event in events {
        if let EventKind::Spawned { task, name, .. } = &event.kind {
            let label = match (task, name) {
                (0, _) => "main".to_string(),
                (_, Some(name)) => name.clone(),
                (id, None) => format!("task {id}"),
            };
            out.insert(*task, label);
        }
    }
    out
}

/// `0s`, `250ms`, `1.5s`, `42µs`: short, exact enough, and the same on
/// every run.
pub(crate) fn format_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        "0s".to_string()
    } else if ns % 1_000_000_000 == 0 {
        format!("{}s", ns / 1_000_000_000)
    } else if ns >= 1_000_000_000 {
        let ms = ns / 1_000_000;
        let text = format!("{}.{:03}", ms / 1000, ms % 1000);
        format!("{}s", text.trim_end_matches('0').trim_end_matches('.'))
    } else if ns % 1_000_000 == 0 {
        format!("{}ms", ns / 1_000_000)
    } else if ns >= 1_000_000 {
        format!("{}.{}ms", ns / 1_000_000, (ns % 1_000_000) / 100_000)
    } else {
        format!("{}µs", ns / 1_000)
    }
}
