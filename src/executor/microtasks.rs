//! Microtasks: closures that run right after the current poll, before any
//! other task (JavaScript's `queueMicrotask`, and how promise reactions
//! run; see [`queue_microtask`](super::queue_microtask)).
//!
//! The run loop drains this queue after every poll, first in, first out,
//! and a microtask queued by a microtask runs in the same drain: that is
//! what makes `then` callbacks run in the order JavaScript runs them
//! (`tests/event_loop.rs` checks the order against Node). A panicking
//! microtask is reported and the drain goes on, so one bad callback cannot
//! strand the ones queued after it. Executor thread only, so no lock.
//
// (Rejected alternative: microtasks as ordinary tasks at the front of the
// ready queue; each would cost an allocation and a header, and a task
// woken during the drain could slip in between two of them.)

use super::observer::WakeSource;
use super::queues::ReadyQueue;
use super::seam::Seam;
use super::task::TaskRef;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The queue of microtasks of one run loop.
pub(crate) struct Microtasks {
    queue: RefCell<VecDeque<Box<dyn FnOnce()>>>,
}

impl Microtasks {
    pub(crate) fn new() -> Microtasks {
        Microtasks {
            queue: RefCell::new(VecDeque::new()),
        }
    }

    pub(crate) fn push(&self, f: Box<dyn FnOnce()>) {
        self.queue.borrow_mut().push_back(f);
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.borrow().is_empty()
    }

    /// Runs every queued microtask, including the ones they queue (the run
    /// loop calls this after each poll), and tells the seam what they did.
    #[inline]
    pub(crate) fn run(&self, seam: &Seam, ready: &RefCell<ReadyQueue<TaskRef>>) {
        if !self.is_empty() {
            self.drain(seam, ready);
        }
    }

    #[inline(never)]
    fn drain(&self, seam: &Seam, ready: &RefCell<ReadyQueue<TaskRef>>) {
        let before = ready.borrow().len();
        let mut ran = 0;
        loop {
            // The borrow ends before the call: a microtask may queue more.
            let next = self.queue.borrow_mut().pop_front();
            let Some(job) = next else { break };
            ran += 1;
            if let Err(payload) = catch_unwind(AssertUnwindSafe(job)) {
                seam.microtask_panicked(super::join_error::panic_message(&*payload));
                // The payload's destructor is user code too.
                let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            }
        }
        seam.microtasks_ran(ran);
        seam.report_wakes(ready, before, WakeSource::Microtask);
    }

    /// Shutdown: drops what never ran (their destructors may be user code,
    /// and may queue more: the caller repeats until this returns false).
    pub(crate) fn drop_all(&self) -> bool {
        let jobs = std::mem::take(&mut *self.queue.borrow_mut());
        let any = !jobs.is_empty();
        let _ = catch_unwind(AssertUnwindSafe(move || drop(jobs)));
        any
    }
}
