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

    /// Runs every queued microtask, including the ones they queue, and
    /// returns how many ran. `panicked` hears each panic's message.
    pub(crate) fn run(&self, mut panicked: impl FnMut(&str)) -> usize {
        let mut ran = 0;
        loop {
            // The borrow ends before the call: a microtask may queue more.
            let next = self.queue.borrow_mut().pop_front();
            let Some(job) = next else { return ran };
            ran += 1;
            if let Err(payload) = catch_unwind(AssertUnwindSafe(job)) {
                panicked(super::join_error::panic_message(&*payload));
                // The payload's destructor is user code too.
                let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            }
        }
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
