//! The line every lock in this module keeps: waiting tasks, oldest first,
//! each with a ticket number (its id) and the waker to call when its turn
//! comes. Crate-private; [`Semaphore`](super::Semaphore) (and through it
//! [`Mutex`](super::Mutex)), [`Notify`](super::Notify) and
//! [`Barrier`](super::Barrier) keep one inside a `crate::sync::Mutex`.

// How it works
//
// A `VecDeque` of entries in ticket order: tickets only grow and new
// entries go to the back, so the deque stays sorted by id and "is ticket 17
// still in line?" is a binary search, not a scan. That question is how a
// waiting future learns that it was served: whoever serves a waiter takes
// its entry out of the line, so "my ticket is gone" means "it is my turn"
// (or, for `Notify`, "I was notified").
//
// Rejected: an intrusive linked list of nodes living inside the futures, as
// tokio has; no allocation per waiter and O(1) removal, but it needs unsafe
// pinned-pointer code that does not fit in one sitting. Removing from the
// middle here is O(n), and only cancellation does it.

use std::collections::VecDeque;
use std::task::Waker;

/// One waiting task.
#[derive(Debug)]
pub(crate) struct Waiter<T> {
    pub(crate) id: u64,
    /// `None` once somebody took it to wake the task.
    pub(crate) waker: Option<Waker>,
    /// What the waiter waits for (a semaphore waiter: how many permits).
    pub(crate) data: T,
}

/// Waiting tasks in arrival order.
#[derive(Debug)]
pub(crate) struct WaiterQueue<T> {
    entries: VecDeque<Waiter<T>>,
    next_id: u64,
}

impl<T> WaiterQueue<T> {
    pub(crate) const fn new() -> Self {
        WaiterQueue {
            entries: VecDeque::new(),
            next_id: 0,
        }
    }

    /// Joins the back of the line; returns the new waiter's ticket.
    pub(crate) fn push(&mut self, data: T, waker: &Waker) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.entries.push_back(Waiter {
            id,
            waker: Some(waker.clone()),
            data,
        });
        id
    }

    /// Where ticket `id` stands in line, if it is still there.
    pub(crate) fn position(&self, id: u64) -> Option<usize> {
        self.entries.binary_search_by_key(&id, |w| w.id).ok()
    }

    /// Stores `waker` for ticket `id` (a task re-polled from elsewhere may
    /// have a new one); `false` if the ticket has left the line.
    pub(crate) fn update_waker(&mut self, id: u64, waker: &Waker) -> bool {
        let Some(pos) = self.position(id) else {
            return false;
        };
        let slot = &mut self.entries[pos].waker;
        match slot {
            Some(old) if old.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
        true
    }

    /// Takes ticket `id` out of the line (a cancelled waiter leaving).
    pub(crate) fn remove(&mut self, id: u64) -> Option<Waiter<T>> {
        let pos = self.position(id)?;
        self.entries.remove(pos)
    }

    pub(crate) fn front(&self) -> Option<&Waiter<T>> {
        self.entries.front()
    }

    pub(crate) fn pop_front(&mut self) -> Option<Waiter<T>> {
        self.entries.pop_front()
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut Waiter<T>> {
        self.entries.get_mut(index)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Takes every waiter from `index` to the back of the line.
    pub(crate) fn drain_from(&mut self, index: usize) -> impl Iterator<Item = Waiter<T>> + '_ {
        self.entries.drain(index..)
    }
}

/// Wakers collected under a lock, to be woken after it is released: a
/// waker may run any code, including code that takes the same lock.
///
/// Holds the first waker inline because a mutex unlock or a permit release
/// wakes exactly one task almost every time; only more than one allocates.
#[derive(Default)]
pub(crate) struct WakeList {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl WakeList {
    pub(crate) fn new() -> Self {
        WakeList::default()
    }

    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        let Some(waker) = waker else { return };
        if self.first.is_none() {
            self.first = Some(waker);
        } else {
            self.rest.push(waker);
        }
    }

    /// Call this only after the lock guarding the line is released.
    pub(crate) fn wake_all(self) {
        if let Some(w) = self.first {
            w.wake();
        }
        for w in self.rest {
            w.wake();
        }
    }
}
