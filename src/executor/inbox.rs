//! The inbox: how other threads reach the executor, and how the executor
//! sleeps (parks) without missing them.
//!
// How it works
// ------------
//
//   other thread                          executor thread
//   wake(task):                           park(timeout):
//     lock inbox                            lock inbox
//     closed? -> give up (no-op)            anything in it, or notified?
//     push task (+1 ref), notified = true     -> return at once
//     has_mail = true (Release)             parked = true
//     parked? -> notify after unlocking     wait on the condvar (unlocks)
//                                           parked = false
//
// Both sides decide under the same mutex, so a wake cannot slip in between
// "the inbox looked empty" and "go to sleep" (loom model
// `wake_while_parking`). `has_mail` lets the run loop skip the lock when
// there is nothing. Rejected alternative: `thread::park`/`unpark` with an
// atomic flag; it works too, but the mutex version is easier to reason
// about, and a mutex is needed for the queue anyway.

use super::blocking::Pool;
use super::task::{REF_ONE, TaskRef};
use crate::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::sync::{Condvar, Mutex};
use std::time::Duration;

/// The half of an executor that other threads can reach.
pub(crate) struct Shared {
    inbox: Mutex<Inbox>,
    wakeup: Condvar,
    /// A hint that the inbox has something, read without the lock.
    has_mail: AtomicBool,
    /// `spawn_blocking` jobs submitted and not yet delivered.
    pub(crate) blocking: AtomicUsize,
    pub(crate) pool: Pool,
}

#[derive(Default)]
struct Inbox {
    tasks: Vec<TaskRef>,
    notified: bool,
    parked: bool,
    closed: bool,
}

impl Shared {
    pub(crate) fn new() -> Shared {
        Shared {
            inbox: Mutex::new(Inbox::default()),
            wakeup: Condvar::new(),
            has_mail: AtomicBool::new(false),
            blocking: AtomicUsize::new(0),
            pool: Pool::new(),
        }
    }

    /// A wake from another thread (or from this thread while the executor
    /// is not running): queue the task and unpark the executor. For `block_on`'s
    /// own future (`is_main`) there is nothing to queue: its SCHEDULED bit,
    /// already set, is what the run loop looks at.
    pub(crate) fn push_remote(&self, task: TaskRef, is_main: bool) {
        if !is_main {
            task.add_ref(); // owned by the inbox entry
        }
        let mut inbox = self.inbox.lock();
        if inbox.closed {
            // The executor is gone: the wake does nothing, leaks nothing.
            drop(inbox);
            if !is_main {
                task.release(REF_ONE);
            }
            return;
        }
        if !is_main {
            inbox.tasks.push(task);
        }
        self.notify(inbox);
    }

    /// Wakes the executor without queueing anything, so that it looks
    /// around again (a waker or a blocking job it was counting on is gone).
    pub(crate) fn nudge(&self) {
        let inbox = self.inbox.lock();
        if !inbox.closed {
            self.notify(inbox);
        }
    }

    fn notify(&self, mut inbox: crate::sync::MutexGuard<'_, Inbox>) {
        inbox.notified = true;
        // Release: pairs with the Acquire load in `has_mail`; the run loop
        // then takes the lock and sees the entry.
        self.has_mail.store(true, Ordering::Release);
        let parked = inbox.parked;
        drop(inbox);
        if parked {
            self.wakeup.notify_one();
        }
    }

    #[inline]
    pub(crate) fn has_mail(&self) -> bool {
        // Acquire: pairs with the Release store in `notify`.
        self.has_mail.load(Ordering::Acquire)
    }

    /// Moves the queued tasks into `mail` (each entry still owns its
    /// reference) and clears the notification.
    pub(crate) fn take_mail(&self, mail: &mut Vec<TaskRef>) {
        let mut inbox = self.inbox.lock();
        std::mem::swap(&mut inbox.tasks, mail);
        inbox.notified = false;
        // Relaxed: written under the lock, which orders it.
        self.has_mail.store(false, Ordering::Relaxed);
    }

    /// Sleeps until notified or until `timeout` passes, unless something
    /// is already waiting. Returns true if it slept and nothing came.
    pub(crate) fn park(&self, timeout: Option<Duration>) -> bool {
        let mut inbox = self.inbox.lock();
        if !inbox.tasks.is_empty() || inbox.notified {
            return false;
        }
        inbox.parked = true;
        inbox = match timeout {
            Some(timeout) => self.wakeup.wait_timeout(inbox, timeout),
            None => self.wakeup.wait(inbox),
        };
        inbox.parked = false;
        inbox.tasks.is_empty() && !inbox.notified
    }

    /// Shutdown: from now on wakes are no-ops. Returns the entries still
    /// queued (each owns a reference for the caller to release).
    pub(crate) fn close(&self) -> Vec<TaskRef> {
        let mut inbox = self.inbox.lock();
        inbox.closed = true;
        std::mem::take(&mut inbox.tasks)
    }
}
