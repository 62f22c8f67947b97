//! The timeline as an SVG picture: the grid of layout.rs drawn with
//! rectangles, for the guide and for the step-through page.
//!
//! A filled box is a poll; a pale box, time in the ready queue; a thin
//! line, waiting; a letter, a wake and who made it (an arrow joins a task
//! woken by another to its waker, in the same column). Every shape about a
//! task carries `data-ev`, the numbers of the events it stands for, so the
//! page (html.rs) can highlight the current one.

use super::event::{Event, EventKind};
use super::layout::{Layout, Mark};
use super::replay::format_duration;
use std::fmt::Write;

/// Pixels.
const CELL: usize = 12;
const LANE: usize = 24;
const LABELS: usize = 120;
const TOP: usize = 28;

/// The CSS the picture needs (the page adds its own on top).
pub(crate) const STYLE: &str = "\
.bg{fill:#fff}\
text{font:12px monospace;fill:#222}\
.run{fill:#3b6fd4}.panic{fill:#d43b3b}.ready{fill:#c9d8f5}\
.wait{stroke:#999;stroke-width:1.5}.tick{stroke:#ddd}\
.mark{font:bold 10px monospace;fill:#b35900;text-anchor:middle}.run+.mark{fill:#fff}\
.arrow{stroke:#b35900;stroke-width:1}\
.spawn{fill:#2a9d4b}.current{stroke:#f0a000;stroke-width:3}";

/// Renders the picture. `id` prefixes nothing; the page finds shapes by
/// class and `data-ev`.
pub(crate) fn render(events: &[Event], layout: &Layout) -> String {
    let cols = layout.columns.len();
    // Wide enough for the legend, however short the run.
    let width = (LABELS + cols * CELL + CELL).max(760);
    let legend_y = TOP + layout.lanes.len() * LANE + 14;
    let height = legend_y + 24;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"{width}\" \
         height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n<style>{STYLE}</style>\n\
         <rect class=\"bg\" width=\"{width}\" height=\"{height}\"/>\n"
    );
    // The clock axis: a label and a grid line where the clock changed.
    let mut free_from = 0;
    let mut previous = None;
    for (c, column) in layout.columns.iter().enumerate() {
        if previous == Some(column.at) {
            continue;
        }
        previous = Some(column.at);
        let x = LABELS + c * CELL;
        let _ = writeln!(
            s,
            "<line class=\"tick\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>",
            TOP - 8,
            TOP + layout.lanes.len() * LANE
        );
        if x >= free_from {
            let text = format_duration(column.at);
            let _ = writeln!(s, "<text x=\"{x}\" y=\"{}\">{text}</text>", TOP - 12);
            free_from = x + text.chars().count() * 8 + 6;
        }
    }
    let _ = writeln!(s, "<text x=\"4\" y=\"{}\">clock</text>", TOP - 12);
    for (lane, (task, label)) in layout.lanes.iter().enumerate() {
        let y = TOP + lane * LANE;
        let mid = y + LANE / 2;
        let name = match task {
            0 => label.clone(),
            _ => format!("{task} {label}"),
        };
        let _ = writeln!(s, "<g class=\"lane\" data-task=\"{task}\">");
        let _ = writeln!(
            s,
            "<text x=\"4\" y=\"{}\">{}</text>",
            mid + 4,
            escape(&name)
        );
        for (c, cell) in layout.cells[lane].iter().enumerate() {
            let x = LABELS + c * CELL;
            let evs = events_of(events, layout, c, *task);
            let (x1, x2, top) = (x, x + CELL, y + 4);
            let h = LANE - 8;
            match cell.mark {
                // Nothing to draw.
                Mark::Empty => continue,
                Mark::Waiting => {
                    let _ = writeln!(
                        s,
                        "<line class=\"wait\" data-ev=\"{evs}\" x1=\"{x1}\" y1=\"{mid}\" x2=\"{x2}\" y2=\"{mid}\"/>"
                    );
                }
                Mark::Ready => {
                    let _ = writeln!(
                        s,
                        "<rect class=\"ready\" data-ev=\"{evs}\" x=\"{x1}\" y=\"{top}\" width=\"{CELL}\" height=\"{h}\"/>"
                    );
                }
                Mark::Running | Mark::Yielded | Mark::Panicked => {
                    let class = match cell.mark {
                        Mark::Panicked => "run panic",
                        _ => "run",
                    };
                    let _ = writeln!(
                        s,
                        "<rect class=\"{class}\" data-ev=\"{evs}\" x=\"{x1}\" y=\"{top}\" width=\"{}\" height=\"{h}\"/>",
                        CELL - 1
                    );
                    if cell.mark == Mark::Yielded {
                        mark(&mut s, 'Y', x, mid, &evs);
                    }
                }
                Mark::Spawned => {
                    let _ = writeln!(
                        s,
                        "<circle class=\"spawn\" data-ev=\"{evs}\" cx=\"{}\" cy=\"{mid}\" r=\"4\"/>",
                        x + CELL / 2
                    );
                }
                Mark::Woken(_) | Mark::Aborted => {
                    let _ = writeln!(
                        s,
                        "<rect class=\"ready\" data-ev=\"{evs}\" x=\"{x1}\" y=\"{top}\" width=\"{CELL}\" height=\"{h}\"/>"
                    );
                    mark(&mut s, cell.mark.char(), x, mid, &evs);
                }
            }
        }
        s.push_str("</g>\n");
    }
    // Arrows: a task woken by another, from the waker's lane to its own.
    for event in events {
        if let EventKind::Woken {
            task,
            by: super::event::Wake::Task(by),
        } = event.kind
        {
            let lane_y = |t: u64| layout.lanes.iter().position(|&(id, _)| id == t);
            if let (Some(a), Some(b)) = (lane_y(by), lane_y(task)) {
                let x = LABELS + layout.column_of[event.seq] * CELL + CELL / 2;
                let (from, to) = (TOP + a * LANE + LANE / 2, TOP + b * LANE + LANE / 2);
                let _ = writeln!(
                    s,
                    "<line class=\"arrow\" data-ev=\"{}\" x1=\"{x}\" y1=\"{from}\" x2=\"{x}\" y2=\"{to}\"/>",
                    event.seq
                );
            }
        }
    }
    // The page moves this over the current step.
    let _ = writeln!(
        s,
        "<rect id=\"cursor\" x=\"{LABELS}\" y=\"{}\" width=\"{CELL}\" height=\"{}\" \
         fill=\"none\" stroke=\"#f0a000\" stroke-width=\"2\" visibility=\"hidden\"/>",
        TOP - 6,
        layout.lanes.len() * LANE + 6
    );
    legend(&mut s, legend_y);
    s.push_str("</svg>\n");
    s
}

/// The geometry the page needs to move its cursor: (left, cell width).
pub(crate) fn geometry() -> (usize, usize) {
    (LABELS, CELL)
}

fn mark(s: &mut String, letter: char, x: usize, mid: usize, evs: &str) {
    let _ = writeln!(
        s,
        "<text class=\"mark\" data-ev=\"{evs}\" x=\"{}\" y=\"{}\">{letter}</text>",
        x + CELL / 2,
        mid + 4
    );
}

fn legend(s: &mut String, y: usize) {
    let _ = writeln!(
        s,
        "<rect class=\"run\" x=\"4\" y=\"{y}\" width=\"12\" height=\"12\"/>\
         <text x=\"20\" y=\"{t}\">running</text>\
         <rect class=\"ready\" x=\"90\" y=\"{y}\" width=\"12\" height=\"12\"/>\
         <text x=\"106\" y=\"{t}\">ready</text>\
         <line class=\"wait\" x1=\"160\" y1=\"{m}\" x2=\"172\" y2=\"{m}\"/>\
         <text x=\"176\" y=\"{t}\">waiting</text>\
         <circle class=\"spawn\" cx=\"252\" cy=\"{m}\" r=\"4\"/>\
         <text x=\"260\" y=\"{t}\">spawned</text>\
         <text x=\"336\" y=\"{t}\">woken by: Y itself  W task  T timer  M microtask  X thread</text>",
        t = y + 10,
        m = y + 6
    );
}

/// The events of column `c` about `task`, as `data-ev`'s list.
fn events_of(events: &[Event], layout: &Layout, c: usize, task: u64) -> String {
    let column = &layout.columns[c];
    let list: Vec<String> = events[column.first..=column.last]
        .iter()
        .filter(|e| e.kind.task() == Some(task))
        .map(|e| e.seq.to_string())
        .collect();
    list.join(" ")
}

/// Text for inside SVG or HTML.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
