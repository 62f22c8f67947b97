//! The step-through page: one self-contained HTML file (inline SVG, script
//! and style; nothing is fetched) that draws the timeline and steps through
//! the recording event by event, like the JavaScript event-loop
//! visualisers. Buttons or the arrow keys move; the current event is
//! highlighted in the picture and in the event list, and the panels show
//! the ready queue, the microtask queue and the armed timers as they were
//! at that moment (rebuilt by replay.rs). `page.html#step=12` opens at
//! event 12.
//
// How it works: Rust writes everything the page shows (the SVG, the event
// list, and one JSON object per event with the queues at that moment); the
// script (page.js) only shows one of them at a time. (Rejected
// alternative: replaying the events in JavaScript; a second copy of
// replay.rs in another language would drift from the first.)

use super::event::{Ending, Event, EventKind, Polled};
use super::json::quote;
use super::layout::Layout;
use super::replay::{Snapshot, format_duration, labels};
use super::svg::{self, escape};
use std::fmt::Write;

const SCRIPT: &str = include_str!("page.js");
const STYLE: &str = include_str!("page.css");

/// Renders the page.
pub(crate) fn render(events: &[Event], snapshots: &[Snapshot], title: &str) -> String {
    let layout = Layout::new(events, snapshots);
    let names = labels(events);
    let name = |task: u64| match names.get(&task) {
        Some(label) if task == 0 => label.clone(),
        Some(label) => format!("#{task} {label}"),
        None => format!("#{task}"),
    };
    let (left, cell) = svg::geometry();
    let mut data = format!("{{\"left\":{left},\"cell\":{cell},\"steps\":[\n");
    for (i, (event, snap)) in events.iter().zip(snapshots).enumerate() {
        let ready: Vec<String> = snap.ready.iter().map(|&t| quote(&name(t))).collect();
        let timers: Vec<String> = snap
            .timers
            .iter()
            .map(|&(t, at)| quote(&format!("{} fires at {}", name(t), format_duration(at))))
            .collect();
        let running = snap.running.map_or("null".to_string(), |t| quote(&name(t)));
        let _ = write!(
            data,
            "{}{{\"at\":{},\"col\":{},\"text\":{},\"running\":{running},\"ready\":[{}],\"micro\":{},\"timers\":[{}]}}",
            if i == 0 { "" } else { ",\n" },
            quote(&format_duration(event.at)),
            layout.column_of[i],
            quote(&describe(event, &name)),
            ready.join(","),
            snap.microtasks,
            timers.join(","),
        );
    }
    data.push_str("\n]}");

    let mut log = String::new();
    for event in events {
        let _ = writeln!(
            log,
            "<li data-ev=\"{}\">[{}] {}</li>",
            event.seq,
            format_duration(event.at),
            escape(&describe(event, &name))
        );
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body data-step=\"0\">\n\
         <h1>{title}</h1>\n\
         <div id=\"controls\"><button id=\"first\">&#xAB; first</button>\
         <button id=\"prev\">&#x25C0; prev</button><span id=\"pos\"></span>\
         <button id=\"next\">next &#x25B6;</button><button id=\"last\">last &#xBB;</button>\
         <span>(or the arrow keys)</span></div>\n\
         <div id=\"timeline\">\n{svg}</div>\n\
         <div id=\"panels\">\n\
         <section><h2>This event</h2><p id=\"now\"></p></section>\n\
         <section><h2>Ready queue</h2><ol id=\"ready\"></ol></section>\n\
         <section><h2>Microtask queue</h2><ul id=\"micro\"></ul></section>\n\
         <section><h2>Timers</h2><ul id=\"timers\"></ul></section>\n\
         </div>\n<ol id=\"log\" start=\"0\">\n{log}</ol>\n\
         <script type=\"application/json\" id=\"trace-data\">{data}</script>\n\
         <script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        title = escape(title),
        svg = svg::render(events, &layout),
    )
}

/// One event in words.
pub(crate) fn describe(event: &Event, name: &dyn Fn(u64) -> String) -> String {
    match &event.kind {
        EventKind::Spawned {
            task,
            parent,
            location,
            ..
        } => match parent {
            Some(p) => format!("{} spawned by {} at {location}", name(*task), name(*p)),
            None => format!("{} spawned at {location}", name(*task)),
        },
        EventKind::PollStarted { task } => {
            format!("poll {} (taken from the ready queue)", name(*task))
        }
        EventKind::PollEnded { task, result } => match result {
            Polled::Pending => format!("{} returned Pending: it waits", name(*task)),
            Polled::Ready => format!("{} returned Ready", name(*task)),
        },
        EventKind::Woken { task, by } => {
            format!(
                "{} woken by {}: into the ready queue",
                name(*task),
                by.describe()
            )
        }
        EventKind::TimerArmed { task, deadline } => {
            format!("{} armed a timer, due at {deadline:?}", name(*task))
        }
        EventKind::TimersFired { count } => format!("{count} timer(s) fired"),
        EventKind::MicrotasksRan { count } => format!("{count} microtask(s) ran"),
        EventKind::MicrotaskPanicked { message } => format!("a microtask panicked: {message}"),
        EventKind::ClockMoved { to } => format!(
            "nothing ready: virtual time jumps to {}, the next timer",
            format_duration(*to)
        ),
        EventKind::Parked { timers } => {
            format!("nothing ready: the executor parks ({timers} timer(s) armed)")
        }
        EventKind::Unparked { nothing_came } => match nothing_came {
            true => "the executor wakes up (nothing came)".to_string(),
            false => "the executor wakes up".to_string(),
        },
        EventKind::Finished { task, ending } => match ending {
            Ending::Returned => format!("{} finished", name(*task)),
            Ending::Panicked(message) => format!("{} panicked: {message}", name(*task)),
            Ending::Aborted => format!("{} was aborted", name(*task)),
        },
    }
}
