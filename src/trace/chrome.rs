//! Chrome trace-event JSON, for <https://ui.perfetto.dev> and
//! `chrome://tracing`.
//!
//! | trace event | from |
//! |---|---|
//! | `M` `thread_name`: one named track per task, plus an "executor" track | `Spawned` |
//! | `X` with `dur`: each poll, on its task's track | `PollStarted` .. `PollEnded` |
//! | `X` on the executor track: timers fired, microtasks run, a wake from a timer, a microtask or a thread, a park | those events |
//! | `s` / `f` flow with a shared `id`: each wake, from the waker's slice to the woken task's next poll | `Woken` |
//! | `C` "ready queue": its length after every change | replay.rs |
//! | `i` instants: spawn (with its location and parent), end, clock jumps | those events |
//!
//! Timestamps are the recording's ticks (so virtual time shows each poll
//! 1 µs wide, one after another, and a sleep as the gap it was).
//
// Flow binding: Chrome binds an `s` to the slice enclosing it, and an `f`
// with `"bp":"e"` to the slice enclosing it, so both sit strictly inside
// their slices (at the middle: ticks are at least 2 ns apart, so every
// slice is at least 2 ns long). (Rejected alternative: `f` just before
// the poll without `bp`, bound to "the next slice": Perfetto and the old
// viewer disagree about which slice is next when two start together.)
// A wake whose task never runs again (aborted, or the run stopped) has no
// `f`, so it gets no `s` either: every id pairs up.

use super::event::{Ending, Event, EventKind, Polled, Wake};
use super::json::{micros, quote};
use super::replay::{Snapshot, format_duration, labels};
use std::collections::HashMap;

/// The executor's own track (timers, microtasks, parking).
const EXECUTOR_TID: u64 = 1_000_000;

/// Renders the whole trace as one JSON document, one event per line.
pub(crate) fn render(events: &[Event], snapshots: &[Snapshot]) -> String {
    let mut lines: Vec<String> = Vec::new();
    lines.push(r#"{"name":"process_name","ph":"M","pid":1,"tid":0,"args":{"name":"async-primer executor"}}"#.to_string());
    let meta = |tid: u64, name: &str, sort: i64| {
        [
            format!(
                r#"{{"name":"thread_name","ph":"M","pid":1,"tid":{tid},"args":{{"name":{}}}}}"#,
                quote(name)
            ),
            format!(
                r#"{{"name":"thread_sort_index","ph":"M","pid":1,"tid":{tid},"args":{{"sort_index":{sort}}}}}"#
            ),
        ]
    };
    lines.extend(meta(
        EXECUTOR_TID,
        "executor: timers, microtasks, parking",
        -1,
    ));
    let labels = labels(events);
    for (task, label) in &labels {
        let name = match task {
            0 => "main (block_on's future)".to_string(),
            _ => format!("#{task} {label}"),
        };
        lines.extend(meta(*task, &name, *task as i64));
    }

    // Every slice: (track, start tick, end tick), by the event that ends it.
    let slices = slices(events);
    // The next poll of each task after each wake (for the flow's end).
    let mut next_poll: HashMap<usize, usize> = HashMap::new();
    let mut waiting_wakes: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, event) in events.iter().enumerate() {
        match event.kind {
            EventKind::Woken { task, .. } => waiting_wakes.entry(task).or_default().push(i),
            EventKind::PollStarted { task } => {
                for wake in waiting_wakes.remove(&task).unwrap_or_default() {
                    next_poll.insert(wake, i);
                }
            }
            _ => {}
        }
    }
    // Slices by the event that opens them and by the event that closes them.
    let by_first: HashMap<usize, &Slice> = slices.iter().map(|s| (s.first, s)).collect();
    let by_last: HashMap<usize, &Slice> = slices.iter().map(|s| (s.last, s)).collect();
    // The slice of the poll starting at event `start` (none if the
    // recording stopped during that poll).
    let poll_slice = |start: usize| by_first.get(&start).copied();
    let mut ready_len = 0;
    let mut last_poll: HashMap<u64, usize> = HashMap::new();
    for (i, event) in events.iter().enumerate() {
        let ts = micros(event.tick);
        match &event.kind {
            EventKind::Spawned {
                task,
                parent,
                location,
                ..
            } => {
                let parent = parent.map_or("null".to_string(), |p| p.to_string());
                lines.push(format!(
                    r#"{{"name":"spawned","ph":"i","s":"t","pid":1,"tid":{task},"ts":{ts},"args":{{"location":{},"parent":{parent}}}}}"#,
                    quote(location)
                ));
            }
            EventKind::PollStarted { task } => {
                last_poll.insert(*task, i);
            }
            EventKind::Finished { task, ending } => {
                let name = match ending {
                    Ending::Returned => "returned".to_string(),
                    Ending::Panicked(message) => format!("panicked: {message}"),
                    Ending::Aborted => "aborted".to_string(),
                };
                lines.push(format!(
                    r#"{{"name":{},"ph":"i","s":"t","pid":1,"tid":{task},"ts":{ts}}}"#,
                    quote(&name)
                ));
            }
            EventKind::ClockMoved { to } => {
                let name = format!("clock -> {}", format_duration(*to));
                lines.push(format!(
                    r#"{{"name":{},"ph":"i","s":"p","pid":1,"tid":{EXECUTOR_TID},"ts":{ts}}}"#,
                    quote(&name)
                ));
            }
            EventKind::Woken { task, by } => {
                if let Some(&poll) = next_poll.get(&i) {
                    // Where the wake came from: the waker's poll, or the
                    // executor's slice for this wake.
                    let from = match by {
                        Wake::Itself | Wake::Task(_) => {
                            let poller = match by {
                                Wake::Task(p) => *p,
                                _ => *task,
                            };
                            last_poll.get(&poller).and_then(|&start| poll_slice(start))
                        }
                        _ => by_last.get(&i).copied(),
                    };
                    if let (Some(from), Some(to)) = (from, poll_slice(poll)) {
                        lines.push(format!(
                            r#"{{"name":"wake","cat":"wake","ph":"s","id":{i},"pid":1,"tid":{},"ts":{},"args":{{"by":{}}}}}"#,
                            from.track,
                            micros(from.middle()),
                            quote(&by.describe())
                        ));
                        lines.push(format!(
                            r#"{{"name":"wake","cat":"wake","ph":"f","bp":"e","id":{i},"pid":1,"tid":{},"ts":{}}}"#,
                            to.track,
                            micros(to.middle())
                        ));
                    }
                }
            }
            _ => {}
        }
        if let Some(slice) = by_last.get(&i) {
            lines.push(format!(
                r#"{{"name":{},"cat":{},"ph":"X","pid":1,"tid":{},"ts":{},"dur":{},"args":{}}}"#,
                quote(&slice.name),
                quote(slice.cat),
                slice.track,
                micros(slice.start),
                micros(slice.end - slice.start),
                slice.args
            ));
        }
        let len = snapshots[i].ready.len();
        if len != ready_len || i == 0 {
            ready_len = len;
            lines.push(format!(
                r#"{{"name":"ready queue","ph":"C","pid":1,"tid":0,"ts":{ts},"args":{{"tasks":{len}}}}}"#
            ));
        }
    }
    let mut out = String::from("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
    out.push_str(&lines.join(",\n"));
    out.push_str("\n]}\n");
    out
}

/// A complete (`X`) event.
struct Slice {
    track: u64,
    /// The events that open and close it.
    first: usize,
    last: usize,
    start: u64,
    end: u64,
    name: String,
    cat: &'static str,
    args: String,
}

impl Slice {
    /// Strictly inside the slice (slices are at least 2 ns long).
    fn middle(&self) -> u64 {
        self.start + (self.end - self.start) / 2
    }
}

/// The polls, and the executor's own work, as slices.
fn slices(events: &[Event]) -> Vec<Slice> {
    let labels = labels(events);
    let mut out = Vec::new();
    let mut open_poll: HashMap<u64, (usize, u64)> = HashMap::new();
    let mut polls: HashMap<u64, usize> = HashMap::new();
    let mut parked: Option<(usize, u64)> = None;
    let mut previous_tick = 0;
    for (i, event) in events.iter().enumerate() {
        let executor = |name: String, args: String| Slice {
            track: EXECUTOR_TID,
            first: i,
            last: i,
            start: previous_tick,
            end: event.tick,
            name,
            cat: "executor",
            args,
        };
        match &event.kind {
            EventKind::PollStarted { task } => {
                open_poll.insert(*task, (i, event.tick));
            }
            EventKind::PollEnded { task, result } => {
                if let Some((first, start)) = open_poll.remove(task) {
                    let n = polls.entry(*task).or_default();
                    *n += 1;
                    let label = labels.get(task).map_or("?", String::as_str);
                    out.push(Slice {
                        track: *task,
                        first,
                        last: i,
                        start,
                        end: event.tick,
                        name: format!("{label} poll {n}"),
                        cat: "poll",
                        args: format!(
                            r#"{{"result":{}}}"#,
                            quote(match result {
                                Polled::Pending => "Pending",
                                Polled::Ready => "Ready",
                            })
                        ),
                    });
                }
            }
            EventKind::TimersFired { count } => {
                out.push(executor(format!("timers fired ({count})"), "{}".into()));
            }
            EventKind::TimerArmed { task, deadline } => {
                let args = format!(
                    r#"{{"task":{task},"deadline_us":{}}}"#,
                    deadline.as_micros()
                );
                out.push(executor(format!("timer armed by #{task}"), args));
            }
            EventKind::MicrotasksRan { count } => {
                out.push(executor(format!("microtasks ({count})"), "{}".into()));
            }
            EventKind::MicrotaskPanicked { message } => {
                let args = format!(r#"{{"message":{}}}"#, quote(message));
                out.push(executor("microtask panicked".into(), args));
            }
            // A wake by a task is drawn inside that task's poll.
            EventKind::Woken { task, by } if !matches!(by, Wake::Itself | Wake::Task(_)) => {
                let name = format!("wake #{task} ({})", by.describe());
                out.push(executor(name, "{}".into()));
            }
            EventKind::Parked { .. } => parked = Some((i, event.tick)),
            EventKind::Unparked { nothing_came } => {
                if let Some((first, start)) = parked.take() {
                    out.push(Slice {
                        first,
                        start,
                        name: "parked".into(),
                        args: format!(r#"{{"nothing_came":{nothing_came}}}"#),
                        ..executor(String::new(), String::new())
                    });
                }
            }
            _ => {}
        }
        previous_tick = event.tick;
    }
    out
}
