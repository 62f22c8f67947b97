//! The grid every picture draws: one lane per task, one column per
//! scheduler step.
//!
//! Virtual time stands still while tasks run, so a time axis would pile a
//! whole burst of polls onto one point. The grid's axis counts **steps**
//! instead: each poll is a column, and so is each jump of the clock; the
//! clock's value labels the columns where it changed. The terminal
//! timeline (timeline.rs) prints the grid as characters, the SVG (svg.rs)
//! as rectangles.
//
// How it works: a column starts at each `PollStarted` and `ClockMoved`
// event; the events in between (wakes made by the poll, microtasks after
// it, timers fired after a jump) belong to it. A cell is, in priority
// order: the column's own poll (running), a marker for what happened to
// the task in that column (spawned, woken and by whom, aborted), or the
// task's state after the column's last event (replay.rs).

use super::event::{Ending, Event, EventKind, Wake};
use super::replay::{Snapshot, TaskState, labels};
use std::time::Duration;

/// What one cell shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    /// Not spawned yet, or finished.
    Empty,
    Ready,
    Waiting,
    /// This column's poll.
    Running,
    /// This column's poll, which woke the task itself (`yield_now`).
    Yielded,
    /// This column's poll, which panicked.
    Panicked,
    Spawned,
    Woken(Wake),
    Aborted,
}

impl Mark {
    /// The character the terminal timeline prints.
    pub(crate) fn char(self) -> char {
        match self {
            Mark::Empty => ' ',
            Mark::Ready => '-',
            Mark::Waiting => '.',
            Mark::Running => '#',
            Mark::Yielded => 'Y',
            Mark::Panicked => '!',
            Mark::Spawned => '+',
            Mark::Woken(by) => by.letter(),
            Mark::Aborted => 'x',
        }
    }
}

/// One cell: what it shows, and the event it stands for (if any).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cell {
    pub(crate) mark: Mark,
    pub(crate) event: Option<usize>,
}

/// One scheduler step.
#[derive(Clone, Debug)]
pub(crate) struct Column {
    /// Its events: `first..=last`.
    pub(crate) first: usize,
    pub(crate) last: usize,
    /// The clock during this step.
    pub(crate) at: Duration,
}

/// The whole grid.
pub(crate) struct Layout {
    /// (task number, label), by number.
    pub(crate) lanes: Vec<(u64, String)>,
    pub(crate) columns: Vec<Column>,
    /// `cells[lane][column]`.
    pub(crate) cells: Vec<Vec<Cell>>,
    /// The column of each event.
    pub(crate) column_of: Vec<usize>,
}

impl Layout {
    pub(crate) fn new(events: &[Event], snapshots: &[Snapshot]) -> Layout {
        let lanes: Vec<(u64, String)> = labels(events).into_iter().collect();
        let (columns, column_of) = columns(events);
        let lane_of = |task: u64| lanes.iter().position(|&(t, _)| t == task);
        let empty = Cell {
            mark: Mark::Empty,
            event: None,
        };
        let mut cells = vec![vec![empty; columns.len()]; lanes.len()];
        for (c, column) in columns.iter().enumerate() {
            // The state each task is left in by this step.
            let after = &snapshots[column.last];
            for (lane, &(task, _)) in lanes.iter().enumerate() {
                let mark = match after.tasks.get(&task) {
                    Some(TaskState::Ready) => Mark::Ready,
                    Some(TaskState::Waiting) => Mark::Waiting,
                    // Running only inside its own column (set below).
                    Some(TaskState::Running) => Mark::Running,
                    Some(TaskState::Done) | None => Mark::Empty,
                };
                cells[lane][c].mark = mark;
            }
            // What happened in this step overrides the state.
            let mut poll: Option<(usize, usize)> = None;
            for (i, event) in events
                .iter()
                .enumerate()
                .take(column.last + 1)
                .skip(column.first)
            {
                let Some(lane) = event.kind.task().and_then(lane_of) else {
                    continue;
                };
                let cell = &mut cells[lane][c];
                let mark = match &event.kind {
                    EventKind::PollStarted { .. } => {
                        poll = Some((lane, i));
                        Mark::Running
                    }
                    EventKind::Spawned { .. } => Mark::Spawned,
                    EventKind::Woken {
                        by: Wake::Itself, ..
                    } => Mark::Yielded,
                    EventKind::Woken { by, .. } => Mark::Woken(*by),
                    EventKind::Finished {
                        ending: Ending::Panicked(_),
                        ..
                    } => Mark::Panicked,
                    EventKind::Finished {
                        ending: Ending::Aborted,
                        ..
                    } => Mark::Aborted,
                    // A poll's end or a return changes nothing drawn here.
                    _ => continue,
                };
                *cell = Cell {
                    mark,
                    event: Some(i),
                };
            }
            // The poll keeps the event of its start, whatever it showed.
            if let Some((lane, i)) = poll {
                cells[lane][c].event = Some(i);
            }
        }
        Layout {
            lanes,
            columns,
            cells,
            column_of,
        }
    }
}

/// Cuts the events into steps.
fn columns(events: &[Event]) -> (Vec<Column>, Vec<usize>) {
    let mut columns: Vec<Column> = Vec::new();
    let mut column_of = Vec::with_capacity(events.len());
    // True while the last column has no poll or clock jump of its own
    // (events before the first poll, such as spawns before block_on).
    let mut headless = false;
    for (i, event) in events.iter().enumerate() {
        let head = matches!(
            event.kind,
            EventKind::PollStarted { .. } | EventKind::ClockMoved { .. }
        );
        if columns.is_empty() || (head && !headless) {
            columns.push(Column {
                first: i,
                last: i,
                at: event.at,
            });
            headless = !head;
        } else if head {
            headless = false;
        }
        let column = columns.last_mut().expect("pushed above");
        column.last = i;
        if head {
            column.at = event.at;
        }
        column_of.push(columns.len() - 1);
    }
    (columns, column_of)
}
