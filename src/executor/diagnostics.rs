//! Diagnostics: the observer that turns what the run loop sees into
//! reports ([`Diagnostic`]; the table of what is detected is in its docs).
//!
//! ```
//! use async_primer::executor::{Diagnostic, Executor};
//! use std::cell::RefCell;
//! use std::rc::Rc;
//!
//! let seen = Rc::new(RefCell::new(Vec::new()));
//! let log = seen.clone();
//! let ex = Executor::builder()
//!     .on_diagnostic(move |d| log.borrow_mut().push(d.to_string()))
//!     .build();
//! let _detached = ex.spawn_named("oops", async { panic!("boom") });
//! drop(_detached);
//! ex.run_until_stalled();
//! assert!(seen.borrow()[0].contains("'oops'"));
//! ```

// How it works: `Diagnostics` is an observer (observer.rs). The run loop
// tells it about every poll, wake, ending and park; it decides what is
// worth a report. The waker counts come from the task's state word, read
// by the run loop in one load right after the poll (task.rs counts every
// waker clone; the waker given to `poll` is borrowed and uncounted, so the
// count is exact). A count of zero is stable: only an existing waker can
// make another.
//
// What each task waits on comes from the primitives themselves: when a
// oneshot, an mpsc channel, a promise, a JoinHandle, a sleep or a lock
// returns Pending, it notes what it is and where it was created
// (`executor::note_wait`), and the run loop keeps the last note per task.
//
// What it cannot prove: a waker of task A kept inside task B's channel
// looks the same as one kept by another thread, so a cycle through
// channels is never a `deadlock:` panic (another thread might still wake
// them); it is a stall report, with the cycle named when the primitives
// know who holds the other ends (JoinHandles do).

use super::diagnostic::Diagnostic;
use super::ending::Ending;
use super::observer::{Advice, Idle, Observer, PollEnd, TaskDesc, Waiting};
use super::watchdog::{BlockedPollHook, PollClock};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where diagnostics go (see [`Builder::on_diagnostic`](super::Builder::on_diagnostic)).
pub(crate) type Hook = Box<dyn Fn(&Diagnostic<'_>)>;

/// The watchdog's threshold when the builder says nothing: on in debug
/// builds (not under Miri, where everything is slow), off in release.
pub(crate) fn default_watchdog() -> Option<Duration> {
    (cfg!(debug_assertions) && !cfg!(miri)).then_some(Duration::from_secs(1))
}

/// The diagnostics observer of one executor.
pub(crate) struct Diagnostics {
    watchdog: Option<(Duration, Arc<PollClock>)>,
    hook: Option<Hook>,
    /// The last stall check: when it started, and whether it was reported
    /// (once per stall; any poll ends the stall).
    stall: Cell<Option<(Instant, bool)>>,
    /// The report prepared before parking, sent if nothing came.
    pending_report: RefCell<Option<(Vec<String>, Vec<String>)>>,
    /// When the current poll started (watchdog only).
    poll_start: Cell<Option<Instant>>,
}

impl Diagnostics {
    pub(crate) fn new(
        watchdog: Option<Duration>,
        hook: Option<Hook>,
        blocked: Option<BlockedPollHook>,
    ) -> Diagnostics {
        Diagnostics {
            watchdog: watchdog.map(|limit| (limit, PollClock::new(limit, blocked))),
            hook,
            stall: Cell::new(None),
            pending_report: RefCell::new(None),
            poll_start: Cell::new(None),
        }
    }

    fn report(&self, diagnostic: Diagnostic<'_>) {
        match &self.hook {
            // A panicking hook must not leave the executor half-way through
            // a step, so its panic is contained here.
            Some(hook) => {
                let _ =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(&diagnostic)));
            }
            None => eprintln!("async-primer: {diagnostic}"),
        }
    }
}

/// Not scheduled, and no waker left: it can never run again.
fn is_lost(w: &Waiting<'_>) -> bool {
    !w.scheduled && w.wakers == 0
}

/// A waiting task, copied out of the run loop's view for the report.
struct Seen {
    id: u32,
    who: String,
    lost: bool,
    waits_on: Option<super::observer::Wait>,
}

impl Seen {
    fn of(w: &Waiting<'_>) -> Seen {
        let who = match w.task.id {
            0 => format!("block_on's future (block_on at {})", w.task.spawned_at),
            id => match w.task.name {
                Some(name) => format!("'{name}' (task #{id}, spawned at {})", w.task.spawned_at),
                None => format!("task #{id} (spawned at {})", w.task.spawned_at),
            },
        };
        Seen {
            id: w.task.id,
            who,
            lost: is_lost(w),
            waits_on: w.waits_on,
        }
    }
}

/// One line of the wait-for report.
fn describe_waiting(w: &Seen, names: &HashMap<u32, String>) -> String {
    let who = &w.who;
    if w.lost {
        return format!("{who} lost its waker: it returned Pending without storing cx.waker()");
    }
    let Some(wait) = w.waits_on else {
        return format!(
            "{who} waits on something this crate does not know (a future of another crate?)"
        );
    };
    let holder = wait.holder.map(|h| {
        names
            .get(&h)
            .cloned()
            .unwrap_or_else(|| format!("task #{h}"))
    });
    // A JoinHandle's note names its task in the sentence itself.
    if let (true, Some(holder)) = (wait.what.contains("{holder}"), &holder) {
        return format!("{who} waits for {}", wait.what.replace("{holder}", holder));
    }
    let mut line = format!("{who} waits for {}", wait.what);
    if let Some(at) = wait.created_at {
        line += &format!(" created at {at}");
    }
    if let Some(at) = wait.awaited_at {
        line += &format!(" (awaited at {at})");
    }
    if let Some(holder) = holder {
        line += &format!(", whose other end {holder} used last (and likely holds)");
    }
    line
}

/// Cycles in the "waits for something held by" graph, as `a -> b -> a`.
fn find_cycles(edges: &HashMap<u32, u32>, names: &HashMap<u32, String>) -> Vec<String> {
    let mut cycles = Vec::new();
    let mut done: Vec<u32> = Vec::new();
    let mut starts: Vec<u32> = edges.keys().copied().collect();
    starts.sort_unstable();
    for start in starts {
        let mut path = vec![start];
        let mut at = start;
        while let Some(&next) = edges.get(&at) {
            if done.contains(&next) {
                break;
            }
            if let Some(pos) = path.iter().position(|&t| t == next) {
                let ring: Vec<String> = path[pos..]
                    .iter()
                    .chain(std::iter::once(&next))
                    .map(|t| {
                        names
                            .get(t)
                            .cloned()
                            .unwrap_or_else(|| format!("task #{t}"))
                    })
                    .collect();
                cycles.push(ring.join(" -> "));
                break;
            }
            path.push(next);
            at = next;
        }
        done.extend(path);
    }
    cycles
}

impl Observer for Diagnostics {
    /// Every poll only when the watchdog watches them.
    fn wants_every_event(&self) -> bool {
        self.watchdog.is_some()
    }

    /// Stall reports say what each task waits on; only with the watchdog.
    fn wants_waits(&self) -> bool {
        self.watchdog.is_some()
    }

    fn poll_started(&self, task: &TaskDesc<'_>) {
        self.stall.set(None);
        if let Some((_, clock)) = &self.watchdog {
            clock.enter(task.id, task.spawned_at);
            self.poll_start.set(Some(Instant::now()));
        }
    }

    fn poll_ended(&self, task: &TaskDesc<'_>, end: PollEnd) {
        if let (Some((limit, clock)), Some(start)) = (&self.watchdog, self.poll_start.take()) {
            clock.leave();
            let took = start.elapsed();
            if took > *limit {
                self.report(Diagnostic::SlowPoll {
                    task: &task.describe(),
                    took,
                });
            }
        }
        let lost = PollEnd::Pending {
            wakers: 0,
            scheduled: false,
        };
        // block_on's own lost waker is a `deadlock:` panic (before_park).
        if end == lost && task.id != 0 {
            self.report(Diagnostic::LostWaker {
                task: &task.describe(),
            });
        }
    }

    fn finished(&self, task: &TaskDesc<'_>, ending: &Ending) {
        if let Ending::Panicked(panic) = ending {
            if panic.detached.is_some() {
                self.report(Diagnostic::DetachedPanic {
                    task: &task.describe(),
                    message: &panic.message,
                });
            }
        }
    }

    fn microtask_panicked(&self, message: &str) {
        self.report(Diagnostic::DetachedPanic {
            task: "a microtask",
            message,
        });
    }

    fn before_park(&self, idle: &Idle<'_>) -> Advice {
        let mut block_on_lost = false;
        let mut held_outside = false;
        let mut all: Vec<Seen> = Vec::new();
        let mut names: HashMap<u32, String> = HashMap::new();
        let in_flight = (idle.waiting)(&mut |w| {
            if w.task.id == 0 {
                block_on_lost = is_lost(&w);
            }
            held_outside |= w.wakers_outside > 0;
            names.insert(w.task.id, w.task.describe());
            all.push(Seen::of(&w));
        });
        let lines = || -> Vec<String> { all.iter().map(|w| describe_waiting(w, &names)).collect() };
        if block_on_lost {
            let why = "no waker for it exists, so nothing can ever wake it; it probably \
                       forgot to store cx.waker() (or a clone) before returning Pending";
            let message = format!("deadlock: block_on's future returned Pending, but {why}");
            return self.deadlock(message);
        }
        let quiet = idle.timers == 0 && idle.blocking_jobs == 0;
        if quiet && !held_outside && !in_flight && idle.block_on {
            let list = lines();
            let list = match list.is_empty() {
                true => "none".to_string(),
                false => list.join("; "),
            };
            let message = format!(
                "deadlock: block_on's future is waiting, but nothing can wake it: no task is \
                 ready, no timer is armed, no blocking job is running, and no waker is held \
                 outside the executor. Waiting: {list}"
            );
            return self.deadlock(message);
        }
        match (&self.watchdog, quiet && !in_flight) {
            (Some((limit, _)), true) => {
                let started = match self.stall.get() {
                    Some((since, reported)) => {
                        if reported {
                            return Advice::Park; // once per stall
                        }
                        since
                    }
                    None => Instant::now(),
                };
                self.stall.set(Some((started, false)));
                let edges: HashMap<u32, u32> = all
                    .iter()
                    .filter_map(|w| Some((w.id, w.waits_on?.holder?)))
                    .collect();
                *self.pending_report.borrow_mut() = Some((lines(), find_cycles(&edges, &names)));
                Advice::ParkAtMost(limit.saturating_sub(started.elapsed()))
            }
            _ => Advice::Park,
        }
    }

    fn unparked(&self, nothing_came: bool) {
        let report = self.pending_report.borrow_mut().take();
        let (Some((waiting, cycles)), Some((since, false))) = (report, self.stall.get()) else {
            return;
        };
        let idle = since.elapsed();
        let limit = self.watchdog.as_ref().map_or(Duration::MAX, |(l, _)| *l);
        if nothing_came && idle >= limit {
            self.stall.set(Some((since, true)));
            self.report(Diagnostic::Stalled {
                idle,
                waiting: &waiting,
                cycles: &cycles,
            });
        } else if !nothing_came {
            self.stall.set(None);
        }
    }
}

impl Diagnostics {
    /// Reports a deadlock to a custom hook (the default prints nothing
    /// here: the panic that follows carries the same text).
    fn deadlock(&self, message: String) -> Advice {
        if self.hook.is_some() {
            self.report(Diagnostic::Deadlock { message: &message });
        }
        Advice::Deadlock(message)
    }
}
