//! The wakers of everyone waiting for one promise to settle.
//!
//! Zero or one waker is stored inline, the common case, with no second
//! allocation; more spill into a vector of numbered slots. A waiting handle
//! keeps its slot number, so that a re-poll replaces its waker instead of
//! adding one, and a handle dropped while waiting frees its slot.

use std::task::Waker;

/// Wakers of everyone waiting for the promise to settle.
#[derive(Default)]
pub(crate) enum Waiters {
    #[default]
    Empty,
    /// One waiter, slot 0: the common case needs no second allocation.
    One(Waker),
    /// Slots, numbered by position; a freed slot is `None`.
    Many(Vec<Option<Waker>>),
}

impl Waiters {
    /// Stores `waker` in the slot `key` names, or in a new slot.
    pub(crate) fn register(&mut self, key: &mut Option<u32>, waker: &Waker) {
        match (&mut *self, *key) {
            // Re-poll of the single waiter: keep the waker if it is the same.
            (Waiters::One(old), Some(_)) => {
                if !old.will_wake(waker) {
                    old.clone_from(waker)
                }
            }
            // Re-poll with a slot in the vector.
            (Waiters::Many(slots), Some(k)) => match &mut slots[k as usize] {
                Some(old) if old.will_wake(waker) => {}
                slot => *slot = Some(waker.clone()),
            },
            // First waiter.
            (Waiters::Empty, _) => {
                *self = Waiters::One(waker.clone());
                *key = Some(0);
            }
            // Second waiter: spill to a vector, keeping slot 0.
            (Waiters::One(_), None) => {
                let Waiters::One(first) = std::mem::take(self) else {
                    unreachable!()
                };
                *self = Waiters::Many(vec![Some(first), Some(waker.clone())]);
                *key = Some(1);
            }
            // Any later waiter.
            (Waiters::Many(slots), None) => {
                slots.push(Some(waker.clone()));
                *key = Some(slots.len() as u32 - 1);
            }
        }
    }

    pub(crate) fn remove(&mut self, key: u32) {
        match self {
            Waiters::One(_) => *self = Waiters::Empty,
            Waiters::Many(slots) => {
                slots[key as usize] = None;
                // Trailing free slots are dropped so the vector cannot grow
                // without bound when waiters come and go.
                while let Some(None) = slots.last() {
                    slots.pop();
                }
            }
            Waiters::Empty => {}
        }
    }

    pub(crate) fn wake_all(self) {
        match self {
            Waiters::Empty => {}
            Waiters::One(w) => w.wake(),
            // In slot order, which is registration order.
            Waiters::Many(slots) => slots.into_iter().flatten().for_each(Waker::wake),
        }
    }
}
