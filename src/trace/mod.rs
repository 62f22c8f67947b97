//! See it run: record what the executor does, then look at it as a
//! terminal timeline, a Perfetto trace, or a step-through web page.
//!
//! Build the executor with [`Builder::record`](crate::executor::Builder::record),
//! run your program, then ask for [`Executor::recording`](crate::executor::Executor::recording):
//!
//! ```
//! use async_primer::executor::{Executor, spawn_named};
//! use async_primer::time::sleep;
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().seed(1).record().build();
//! ex.block_on(async {
//!     let slow = spawn_named("slow", async { sleep(Duration::from_secs(2)).await });
//!     let fast = spawn_named("fast", async { sleep(Duration::from_secs(1)).await });
//!     slow.await.unwrap();
//!     fast.await.unwrap();
//! });
//! let recording = ex.recording();
//! print!("{}", recording.timeline());      // the terminal picture
//! let _json = recording.chrome_json();     // save as .json, open in ui.perfetto.dev
//! let _page = recording.html("my program"); // save as .html, open in a browser
//! assert_eq!(recording.tasks(), 3);
//! ```
//!
//! The timeline of that program (`cargo run --example timeline` prints a
//! bigger one). The clock labels the step where it jumped, when the label
//! fits (here 2s did not: it jumped again two steps after 1s):
//!
//! ```text
//! clock  0s 1s
//! main   #......#
//! 1 slow +-#..T#
//! 2 fast +#.T#
//! ```
//!
//! It records, through the executor's observer seam: each spawn (with its
//! parent, location and name), each poll's start and end and result, each
//! wake and who made it (the task itself, another task, a timer, a
//! microtask, another thread), microtask drains, timers fired, parking,
//! jumps of the virtual clock, and how each task ended. With recording off
//! nothing is recorded and nothing is slower: the run loop skips the seam.
//!
//! Left out: timers are seen when they fire, not when they are armed (the
//! seam has no "armed" event; the page shows a timer from its task's last
//! poll, knowing when it fired); wakes of `block_on`'s own future do not go
//! through the ready queue and are not reported; a wake made by finishing
//! a task (its `JoinHandle`'s waiter) is not reported either. Compared with
//! tokio-console: no live view, only a replay; compared with
//! `tracing`: no spans inside your code, only the executor's view.
//!
//! Reading order: `event.rs` (what is recorded), `recorder.rs` (the
//! observer), `replay.rs` (the queues rebuilt from the events),
//! `layout.rs` (the grid of lanes and steps), then one file per picture:
//! `timeline.rs`, `chrome.rs`, `svg.rs`, `html.rs` (with `page.js` and
//! `page.css`). Tests: `tests/trace.rs` and `tests/trace_browser.rs`. The
//! guide chapter is [`crate::guide::ch04_executor`] (its section "See it run").
//! No loom model: the recorder is an observer called on the executor's own
//! thread only; wakes from other threads reach it through the executor's
//! inbox, which `tests/loom_executor.rs` models.

mod chrome;
mod event;
mod html;
mod json;
mod layout;
mod recording;
mod replay;
mod svg;
mod timeline;

pub use event::{Ending, Event, EventKind, Polled, Wake};
pub use recording::Recording;
