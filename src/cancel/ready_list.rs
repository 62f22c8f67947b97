//! The ready list of a [`JoinSet`](super::JoinSet): which entries were
//! woken since the set last looked, so `join_next` polls only those.
//! Internal. It is the same lock-free list `join_all` uses
//! (`future/wake_list.rs`, one waker per child, pushed on wake), made
//! growable: a `JoinSet` does not know up front how many tasks it will hold.

// How it works
//
// A `WakeList` has a fixed number of nodes, because each child's waker is a
// pointer to its node, so nodes can never move. To grow without moving, we
// add whole lists ("chunks") of doubling size and never touch the old ones:
//
//   chunk 0: entries 0..8    chunk 1: 8..24    chunk 2: 24..56   ...
//   (8 nodes)                (16 nodes)        (32 nodes)
//
// Entry `i` lives in chunk k = log2(i / 8 + 1), at offset i - 8 * (2^k - 1).
// A wake costs what it costs in `join_all` (one node, O(1)); a drain looks
// at the head of every chunk, O(log n) atomic swaps (17 for a million
// entries). The parent's waker is given to every chunk, but only when it
// changes, and to a new chunk when it is made, so a poll with the same
// waker takes no lock.
//
// Rejected: a `Mutex<VecDeque<usize>>` with an `Arc` per entry (a lock per
// wake and an allocation per spawn; wake_list.rs measured both as slower).

use std::task::{Context, Waker};

use crate::future::wake_list::WakeList;

/// Nodes in chunk 0; chunk k has `FIRST << k`.
const FIRST: usize = 8;

pub(super) struct ReadyList {
    chunks: Vec<WakeList>,
    /// The waker every chunk wakes (the task awaiting `join_next`).
    parent: Option<Waker>,
}

/// Which chunk holds entry `i`, and where in it.
fn locate(i: usize) -> (usize, usize) {
    let k = (i / FIRST + 1).ilog2() as usize;
    (k, i - base(k))
}

/// The first entry of chunk `k`.
fn base(k: usize) -> usize {
    FIRST * ((1 << k) - 1)
}

impl ReadyList {
    pub(super) fn new() -> ReadyList {
        ReadyList {
            chunks: Vec::new(),
            parent: None,
        }
    }

    /// Makes room for entries `0..n`.
    pub(super) fn grow_to(&mut self, n: usize) {
        while base(self.chunks.len()) < n {
            let chunk = WakeList::new(FIRST << self.chunks.len());
            if let Some(parent) = &self.parent {
                chunk.set_parent_waker(parent);
            }
            self.chunks.push(chunk);
        }
    }

    /// The waker to wake when an entry is woken (skipped if unchanged).
    pub(super) fn register(&mut self, waker: &Waker) {
        if self.parent.as_ref().is_some_and(|p| p.will_wake(waker)) {
            return;
        }
        self.chunks
            .iter()
            .for_each(|chunk| chunk.set_parent_waker(waker));
        self.parent = Some(waker.clone());
    }

    /// Calls `f` with a context whose waker lists entry `i` when woken.
    pub(super) fn with_entry<R>(&self, i: usize, f: impl FnOnce(&mut Context<'_>) -> R) -> R {
        let (k, offset) = locate(i);
        self.chunks[k].with_child_waker(offset, f)
    }

    /// Takes every entry woken since the last call, and calls `f` with each.
    pub(super) fn drain(&self, mut f: impl FnMut(usize)) {
        for (k, chunk) in self.chunks.iter().enumerate() {
            let base = base(k);
            chunk.take_woken(|offset| f(base + offset));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_covers_every_index_once() {
        let mut expected = (0, 0);
        for i in 0..1000 {
            assert_eq!(locate(i), expected, "entry {i}");
            expected.1 += 1;
            if expected.1 == FIRST << expected.0 {
                expected = (expected.0 + 1, 0);
            }
        }
    }
}
