//! [`Recording`]: what an executor did, and the three ways to look at it.

use super::event::{Event, EventKind};
use super::replay::replay;
use super::{chrome, html, layout, svg, timeline};
use std::fmt;

/// Everything a recording executor did, in order, with four ways to
/// look at it: a terminal timeline, Chrome trace-event JSON (for Perfetto),
/// a step-through HTML page, and the timeline as an SVG picture.
///
/// Made by [`Executor::recording`](crate::executor::Executor::recording)
/// on an executor built with [`Builder::record`](crate::executor::Builder::record).
/// Under virtual time and a seed, the same program gives the same
/// recording, byte for byte in every format, on every run.
///
/// ```
/// use async_primer::executor::Executor;
/// use async_primer::time::sleep;
/// use std::time::Duration;
///
/// let ex = Executor::builder().virtual_time().record().build();
/// ex.block_on(async {
///     let pinger = async_primer::executor::spawn_named("pinger", async {
///         sleep(Duration::from_secs(1)).await;
///     });
///     pinger.await.unwrap();
/// });
/// let recording = ex.recording();
/// assert_eq!(recording.tasks(), 2); // main and the pinger
/// let timeline = recording.timeline();
/// assert!(timeline.contains("1 pinger"));
/// assert!(recording.chrome_json().contains("\"thread_name\""));
/// assert!(recording.html("pinger").starts_with("<!DOCTYPE html>"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Recording {
    events: Vec<Event>,
    virtual_time: bool,
}

impl Recording {
    pub(crate) fn new(events: Vec<Event>, virtual_time: bool) -> Recording {
        Recording {
            events,
            virtual_time,
        }
    }

    /// Every event, in the order it happened.
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::builder().record().build();
    /// ex.block_on(async {});
    /// // block_on's future was spawned, polled once, and returned Ready.
    /// assert_eq!(ex.recording().events().len(), 3);
    /// ```
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// How many tasks appear (block_on's future counts as one).
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::builder().record().build();
    /// ex.block_on(async { async_primer::spawn(async {}).await.unwrap() });
    /// assert_eq!(ex.recording().tasks(), 2);
    /// ```
    pub fn tasks(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Spawned { .. }))
            .count()
    }

    /// The terminal timeline: one lane per task, one column per scheduler
    /// step, 80 columns wide (wider runs wrap), with a legend.
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::builder().virtual_time().record().build();
    /// ex.block_on(async {
    ///     let task = async_primer::spawn(async { async_primer::yield_now().await });
    ///     task.await.unwrap();
    /// });
    /// let text = ex.recording().timeline();
    /// assert!(text.lines().all(|line| line.chars().count() <= 80));
    /// let lane = text.lines().find(|l| l.starts_with("1 task 1")).unwrap();
    /// assert!(lane.contains("Y#")); // ran and woke itself, then ran again
    /// ```
    pub fn timeline(&self) -> String {
        timeline::render(&self.events, &replay(&self.events), self.virtual_time)
    }

    /// Chrome trace-event JSON: open it at <https://ui.perfetto.dev> or in
    /// `chrome://tracing`. A track per task, a slice per poll, an arrow
    /// (flow) per wake, and a counter of the ready queue's length.
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::builder().virtual_time().record().build();
    /// ex.block_on(async {});
    /// let json = ex.recording().chrome_json();
    /// assert!(json.starts_with("{\"displayTimeUnit\""));
    /// assert!(json.contains("\"ph\":\"X\""));
    /// ```
    pub fn chrome_json(&self) -> String {
        chrome::render(&self.events, &replay(&self.events))
    }

    /// A self-contained HTML page (nothing fetched) that draws the
    /// timeline and steps through the run event by event with buttons or
    /// the arrow keys, showing the ready queue, microtasks and timers at
    /// each moment. Open it with `#step=N` to start at event `N`.
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::builder().virtual_time().record().build();
    /// ex.block_on(async {});
    /// let page = ex.recording().html("hello");
    /// assert!(page.contains("<title>hello</title>"));
    /// assert!(!page.contains("src=\"http")); // nothing to fetch
    /// ```
    pub fn html(&self, title: &str) -> String {
        html::render(&self.events, &replay(&self.events), title)
    }

    /// The timeline as a standalone SVG picture (what the page draws).
    ///
    /// ```
    /// let ex = async_primer::executor::Executor::builder().virtual_time().record().build();
    /// ex.block_on(async {});
    /// assert!(ex.recording().svg().starts_with("<svg"));
    /// ```
    pub fn svg(&self) -> String {
        let snapshots = replay(&self.events);
        svg::render(&self.events, &layout::Layout::new(&self.events, &snapshots))
    }
}

impl fmt::Display for Recording {
    /// The terminal timeline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.timeline())
    }
}

impl fmt::Debug for Recording {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recording")
            .field("events", &self.events.len())
            .field("virtual_time", &self.virtual_time)
            .finish()
    }
}
