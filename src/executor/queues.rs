//! Where woken tasks wait: the ready queue and the inbox.
//!
//! * [`ReadyQueue`]: tasks woken on the executor's own thread, waiting for
//!   their next poll. Only that thread touches it, so it needs no lock.
//! * [`Inbox`]: wakes that come from other threads, behind a mutex, and the
//!   condition variable the executor sleeps on when nothing is ready.
//!
//! Neither knows what a task is (they hold any `Copy` handle), so this file
//! imports nothing else from the executor but the seeded order. Read after
//! `task.rs`; `waker.rs` decides which queue a wake goes to.
//
// How it works
// ------------
//
// ReadyQueue: a VecDeque. FIFO pops the front; with a seed, the entry
// `SeededOrder` picks (seeded_order.rs) is swap-removed.
//
// Inbox, the hand-off between threads:
//
//   other thread                          executor thread
//   push(task):                           park(timeout):
//     lock                                  lock
//     closed? -> refuse (caller undoes)     mail, or notified? -> return
//     push task, notified = true            parked = true
//     has_mail = true                       wait on the condvar (unlocks)
//     take the outer waker                  parked = false
//     unlock; parked? -> notify_one
//     outer waker? -> wake it
//
// Both sides decide under the same mutex, so a wake cannot slip in between
// "the inbox looked empty" and "go to sleep" (loom: `wake_while_parking`).
// `Executor::run` cannot sleep on the condvar (it runs inside another
// runtime's poll): `register_outer` leaves that runtime's waker instead,
// under the same rule (loom: `remote_wake_while_run_registers`), and the
// next notification wakes it once. `has_mail` lets the run loop skip the
// lock when nothing came. (Rejected alternative: `thread::park`/`unpark`
// with an atomic flag; it works too, but the queue needs a mutex anyway,
// and one lock is easier to reason about than a lock plus a flag.)

use super::seeded_order::SeededOrder;
use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::{Condvar, Mutex};
use std::collections::VecDeque;
use std::task::Waker;
use std::time::Duration;

/// Tasks woken on the executor's thread, waiting for their next poll.
pub(crate) struct ReadyQueue<T> {
    queue: VecDeque<T>,
    /// `None`: first in, first out.
    order: Option<SeededOrder>,
}

impl<T: Copy> ReadyQueue<T> {
    pub(crate) fn new(seed: Option<u64>) -> ReadyQueue<T> {
        ReadyQueue {
            queue: VecDeque::new(),
            order: seed.map(SeededOrder::new),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, task: T) {
        self.queue.push_back(task);
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<T> {
        match &mut self.order {
            None => self.queue.pop_front(),
            Some(_) if self.queue.is_empty() => None,
            Some(order) => self.queue.swap_remove_back(order.pick(self.queue.len())),
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    /// The entries pushed since the queue was `len` long. Pops happen only
    /// between polls, so during one poll every push lands at the back: this
    /// is how the run loop tells an observer which tasks a poll woke,
    /// without the wake path doing any extra work.
    pub(crate) fn pushed_since(&self, len: usize) -> impl Iterator<Item = T> + '_ {
        self.queue.range(len.min(self.queue.len())..).copied()
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
    }
}

/// Wakes from other threads, and the executor's bed.
pub(crate) struct Inbox<T> {
    mail: Mutex<Mail<T>>,
    wakeup: Condvar,
    /// A hint that `mail` has something, read without the lock.
    has_mail: AtomicBool,
}

struct Mail<T> {
    tasks: Vec<T>,
    notified: bool,
    /// The executor's thread sleeps on the condvar (`park`).
    parked: bool,
    closed: bool,
    /// The outer runtime's waker while an `Executor::run` waits for work.
    /// Not an alternative to `parked`: both can wait at once (a `block_on`
    /// of the same executor parks while a `Run` waits between two polls),
    /// and a notification wakes both.
    outer: Option<Waker>,
}

impl<T> Inbox<T> {
    pub(crate) fn new() -> Inbox<T> {
        Inbox {
            mail: Mutex::new(Mail {
                tasks: Vec::new(),
                notified: false,
                parked: false,
                closed: false,
                outer: None,
            }),
            wakeup: Condvar::new(),
            has_mail: AtomicBool::new(false),
        }
    }

    /// Posts `task` and wakes the executor. Returns the task back if the
    /// executor is gone (the caller then undoes what it did for the entry).
    pub(crate) fn push(&self, task: T) -> Result<(), T> {
        let mut mail = self.mail.lock();
        if mail.closed {
            return Err(task);
        }
        mail.tasks.push(task);
        self.notify(mail);
        Ok(())
    }

    /// Wakes the executor without posting anything, so that it looks around
    /// again (block_on's future was woken, or a waker it counted on is gone).
    pub(crate) fn nudge(&self) {
        let mail = self.mail.lock();
        if !mail.closed {
            self.notify(mail);
        }
    }

    fn notify(&self, mut mail: crate::sync::MutexGuard<'_, Mail<T>>) {
        mail.notified = true;
        // Relaxed: only a hint that saves the executor a lock when nothing
        // came. Everything the executor acts on (the entries, `notified`) it
        // reads under the mutex, which orders this hand-off by itself.
        self.has_mail.store(true, Ordering::Relaxed);
        let parked = mail.parked;
        let outer = mail.outer.take();
        drop(mail);
        if parked {
            self.wakeup.notify_one();
        }
        // After unlocking: the outer runtime's wake is its code, and may
        // take locks of its own (or, on this thread, reach this inbox).
        if let Some(outer) = outer {
            outer.wake();
        }
    }

    /// True if something may have arrived since the last `drain`.
    #[inline]
    pub(crate) fn has_mail(&self) -> bool {
        // Relaxed: a hint (see `notify`). A stale `false` only delays the
        // drain to the next turn; `park` re-checks under the lock.
        self.has_mail.load(Ordering::Relaxed)
    }

    /// Hands every posted entry to `each` (under the lock: `each` must not
    /// reach back into the inbox) and clears the notification.
    pub(crate) fn drain(&self, mut each: impl FnMut(T)) {
        let mut mail = self.mail.lock();
        mail.notified = false;
        // Relaxed: written under the lock, which orders it.
        self.has_mail.store(false, Ordering::Relaxed);
        for task in mail.tasks.drain(..) {
            each(task);
        }
    }

    /// Sleeps until notified or until `timeout` passes, unless something
    /// came already. Returns true if it slept and nothing came.
    pub(crate) fn park(&self, timeout: Option<Duration>) -> bool {
        let mut mail = self.mail.lock();
        if !mail.tasks.is_empty() || mail.notified {
            return false;
        }
        mail.parked = true;
        mail = match timeout {
            Some(timeout) => self.wakeup.wait_timeout(mail, timeout),
            None => self.wakeup.wait(mail),
        };
        mail.parked = false;
        mail.tasks.is_empty() && !mail.notified
    }

    /// Shutdown: from now on `push` refuses. Returns what was still posted.
    pub(crate) fn close(&self) -> Vec<T> {
        let mut mail = self.mail.lock();
        mail.closed = true;
        let outer = mail.outer.take();
        let tasks = std::mem::take(&mut mail.tasks);
        drop(mail);
        drop(outer);
        tasks
    }

    // --- the outer waker, for `Executor::run` (skip on a first reading) ---

    /// `Executor::run`'s way to sleep: leaves `waker` to be woken by the
    /// next notification, unless something came already. Returns true if
    /// it registered (nothing came), false if the caller should look again.
    pub(crate) fn register_outer(&self, waker: &Waker) -> bool {
        let mut mail = self.mail.lock();
        if !mail.tasks.is_empty() || mail.notified {
            return false;
        }
        match &mut mail.outer {
            Some(old) if old.will_wake(waker) => {}
            slot => {
                // The old waker's drop is the outer runtime's code: not
                // under our lock.
                let old = slot.replace(waker.clone());
                drop(mail);
                drop(old);
            }
        }
        true
    }

    /// Forgets the outer waker (the `Run` that left it is finished).
    pub(crate) fn take_outer(&self) -> Option<Waker> {
        self.mail.lock().outer.take()
    }
}
