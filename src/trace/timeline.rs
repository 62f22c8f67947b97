//! The terminal timeline: the grid (layout.rs) as characters, 80 columns
//! wide, with a legend.
//!
//! ```text
//! clock  0s            5m        8m   12m 15m
//! main   #.......................................#
//! 1 Ada  +#.............T#........................
//! ```
//!
//! Each lane is a task; each column one scheduler step (a poll, or a jump
//! of the clock). A wide program wraps into blocks of columns, each with
//! its own labels and clock row.

use super::event::Event;
use super::layout::Layout;
use super::replay::{Snapshot, format_duration};

/// The terminal is this wide.
const WIDTH: usize = 80;
/// Longest lane label, in characters (longer names are cut).
const LABEL: usize = 14;

pub(crate) const LEGEND: [&str; 2] = [
    "# running  - ready  . waiting  + spawned  ! panicked  x aborted",
    "woken by: Y itself (yield)  W the task running  T timer  M microtask  X thread",
];

/// Renders the timeline. `virtual_time` only changes the header.
pub(crate) fn render(events: &[Event], snapshots: &[Snapshot], virtual_time: bool) -> String {
    let layout = Layout::new(events, snapshots);
    let polls = events
        .iter()
        .filter(|e| matches!(e.kind, super::event::EventKind::PollStarted { .. }))
        .count();
    let end = events.last().map(|e| e.at).unwrap_or_default();
    let mut out = format!(
        "timeline: {} tasks, {} polls, clock 0s .. {} ({})\n",
        layout.lanes.len(),
        polls,
        format_duration(end),
        if virtual_time {
            "virtual time"
        } else {
            "real time"
        },
    );
    let labels: Vec<String> = layout
        .lanes
        .iter()
        .map(|(id, name)| {
            let text = match id {
                0 => name.clone(),
                _ => format!("{id} {name}"),
            };
            text.chars().take(LABEL).collect()
        })
        .collect();
    let label_width = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .max("clock".len());
    let per_block = WIDTH - label_width - 1;
    let columns = layout.columns.len();
    let mut start = 0;
    while start < columns || start == 0 {
        let end = (start + per_block).min(columns);
        if start > 0 {
            out.push('\n');
        }
        out.push_str(&clock_row(&layout, start, end, label_width));
        for (lane, label) in labels.iter().enumerate() {
            let cells: String = layout.cells[lane][start..end]
                .iter()
                .map(|c| c.mark.char())
                .collect();
            let line = format!("{label:<label_width$} {cells}");
            out.push_str(line.trim_end());
            out.push('\n');
        }
        if end == columns {
            break;
        }
        start = end;
    }
    out.push('\n');
    for line in LEGEND {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `clock 0s     5m   8m`: the clock's value where it changed, when the
/// label fits before the next one.
fn clock_row(layout: &Layout, start: usize, end: usize, label_width: usize) -> String {
    let mut row: Vec<char> = vec![' '; end - start];
    let mut free_from = 0;
    let mut previous = None;
    for c in start..end {
        let at = layout.columns[c].at;
        let changed = previous != Some(at) || c == start;
        previous = Some(at);
        let x = c - start;
        if !changed || x < free_from {
            continue;
        }
        let text: Vec<char> = format_duration(at).chars().collect();
        if x + text.len() > row.len() {
            continue;
        }
        row[x..x + text.len()].copy_from_slice(&text);
        free_from = x + text.len() + 1;
    }
    let row: String = row.into_iter().collect();
    let line = format!("{:<label_width$} {row}", "clock");
    format!("{}\n", line.trim_end())
}
