//! The watchdog: a monitor thread that notices a poll *while* it blocks.
//!
//! A poll that never returns (a `std::thread::sleep`, a blocking
//! `block_on` inside a task, an endless loop) stops the whole executor, and
//! the executor itself can never report it: it is the one that is stuck.
//! So each executor with a watchdog shares a small [`PollClock`] with one
//! monitor thread per process. The executor only stamps the clock at the
//! start and end of every poll (two relaxed atomic stores, no clock
//! reading); the monitor wakes a few times per threshold, and when it sees
//! the same poll still running on two looks that are a threshold apart, it
//! reports it right away (`Diagnostic::BlockedPoll`, on stderr or to
//! `Builder::on_blocked_poll`), naming the task and where it was spawned.
//! When the poll finally returns, the executor's own timing of it goes to
//! the diagnostic hook (`Diagnostic::SlowPoll`).
//!
//! Under virtual time the watchdog still measures real time: a blocking
//! call is invisible to the virtual clock, which is exactly why it needs a
//! real one.
//
// How it works
//
//   executor thread                    monitor thread (one per process)
//   poll start: seq += 1 (odd), task   every threshold / 4:
//   poll end:   seq += 1 (even)          for each live clock:
//                                          seq odd and unchanged since a
//                                          look >= threshold ago, and not
//                                          reported yet? -> report, mark
//
// `seq` alone tells "which poll": a poll that ended and a new one that
// started between two looks have different numbers, and the executor's
// thread never waits for the monitor. A poll must run for the threshold
// plus up to one look (threshold / 4, at most 250 ms) to be noticed live.

use super::diagnostic::Diagnostic;
// std, not crate::sync: the monitor is a real OS thread that lives outside
// any loom model, and loom's types may only be touched from inside one.
use std::panic::Location;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// What one executor shares with the monitor.
pub(crate) struct PollClock {
    /// Odd while a poll runs; +1 at every start and end.
    seq: AtomicU64,
    /// The task being polled: its id and where it was spawned.
    task: AtomicU32,
    spawned_at: AtomicPtr<Location<'static>>,
    threshold: Duration,
    /// The poll the monitor reported (once per poll).
    reported: AtomicU64,
    /// Where the monitor's reports go (default: stderr).
    sink: Option<BlockedPollHook>,
}

/// A hook called on the watchdog's thread ([`Builder::on_blocked_poll`](super::Builder::on_blocked_poll)).
pub(crate) type BlockedPollHook = Arc<dyn Fn(&Diagnostic<'_>) + Send + Sync>;

impl PollClock {
    /// A clock registered with the monitor (started on first use).
    pub(crate) fn new(threshold: Duration, sink: Option<BlockedPollHook>) -> Arc<PollClock> {
        let clock = Arc::new(PollClock {
            seq: AtomicU64::new(0),
            task: AtomicU32::new(0),
            spawned_at: AtomicPtr::new(std::ptr::null_mut()),
            threshold,
            reported: AtomicU64::new(u64::MAX),
            sink,
        });
        // Under Miri there is no monitor: a thread that never ends would
        // fail its leak check, and its timing means nothing there.
        if cfg!(miri) {
            return clock;
        }
        monitor()
            .clocks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Arc::downgrade(&clock));
        clock
    }

    /// A poll of `task` starts.
    #[inline]
    pub(crate) fn enter(&self, task: u32, spawned_at: &'static Location<'static>) {
        // Relaxed: the monitor only needs to see these eventually; a stale
        // read delays a report by one look, never makes a false one (the
        // number it compares is the same one it read).
        self.task.store(task, Ordering::Relaxed);
        self.spawned_at
            .store(spawned_at as *const _ as *mut _, Ordering::Relaxed);
        self.seq.fetch_add(1, Ordering::Relaxed);
    }

    /// The poll ended.
    #[inline]
    pub(crate) fn leave(&self) {
        // Relaxed, as in `enter`. Only this thread writes `seq`.
        self.seq.fetch_add(1, Ordering::Relaxed);
    }
}

/// The process's monitor: the clocks it watches.
struct Monitor {
    clocks: Mutex<Vec<Weak<PollClock>>>,
}

fn monitor() -> &'static Monitor {
    static MONITOR: OnceLock<&'static Monitor> = OnceLock::new();
    MONITOR.get_or_init(|| {
        let monitor: &'static Monitor = Box::leak(Box::new(Monitor {
            clocks: Mutex::new(Vec::new()),
        }));
        std::thread::Builder::new()
            .name("async-primer watchdog".into())
            .spawn(move || watch(monitor))
            .expect("could not start the watchdog thread");
        monitor
    })
}

/// What the monitor remembers of one clock between looks.
struct Seen {
    clock: Weak<PollClock>,
    seq: u64,
    since: Instant,
}

fn watch(monitor: &'static Monitor) {
    let mut seen: Vec<Seen> = Vec::new();
    loop {
        let mut nap = Duration::from_millis(250);
        {
            let mut clocks = monitor.clocks.lock().unwrap_or_else(|p| p.into_inner());
            clocks.retain(|c| c.strong_count() > 0);
            seen.retain(|s| s.clock.strong_count() > 0);
            for clock in clocks.iter() {
                if !seen.iter().any(|s| s.clock.ptr_eq(clock)) {
                    seen.push(Seen {
                        clock: clock.clone(),
                        seq: u64::MAX,
                        since: Instant::now(),
                    });
                }
            }
        }
        for s in &mut seen {
            let Some(clock) = s.clock.upgrade() else {
                continue;
            };
            nap = nap.min(clock.threshold / 4).max(Duration::from_millis(5));
            let seq = clock.seq.load(Ordering::Relaxed);
            if seq != s.seq {
                *s = Seen {
                    clock: s.clock.clone(),
                    seq,
                    since: Instant::now(),
                };
                continue;
            }
            let running = s.since.elapsed();
            let in_poll = seq % 2 == 1;
            if in_poll
                && running >= clock.threshold
                && clock.reported.load(Ordering::Relaxed) != seq
            {
                clock.reported.store(seq, Ordering::Relaxed);
                report(&clock, running);
            }
        }
        std::thread::sleep(nap);
    }
}

fn report(clock: &PollClock, running: Duration) {
    let task = clock.task.load(Ordering::Relaxed);
    let at = clock.spawned_at.load(Ordering::Relaxed);
    // SAFETY: only ever set from a `&'static Location` (in `enter`).
    let at = unsafe { at.as_ref() };
    let who = match (task, at) {
        (0, Some(at)) => format!("block_on's future (block_on called at {at})"),
        (id, Some(at)) => format!("task #{id} (spawned at {at})"),
        (id, None) => format!("task #{id}"),
    };
    let report = Diagnostic::BlockedPoll {
        task: &who,
        running,
    };
    match &clock.sink {
        // A panicking hook must not stop the monitor.
        Some(sink) => {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sink(&report)));
        }
        None => eprintln!("async-primer: {report}"),
    }
}
