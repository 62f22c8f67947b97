//! Every live task: a slab, so that shutdown can drop them all and a
//! `deadlock:` report can name them.
//!
//! Each task remembers its slot (the run loop stores the index `insert`
//! returns in the task's header), so insert and remove are O(1) and touch
//! no other task. Like `queues.rs`, it holds any `Copy` handle.
//
// (Rejected alternative: a Vec with swap_remove, which must rewrite the
// index of whichever task moved.)

/// Every live task, each with what diagnostics and traces say about it.
pub(crate) struct TaskList<T, I> {
    slots: Vec<Option<(T, I)>>,
    /// Empty slots, reused before the slab grows.
    free: Vec<usize>,
    len: usize,
}

impl<T: Copy + PartialEq, I> TaskList<T, I> {
    pub(crate) fn new() -> TaskList<T, I> {
        TaskList {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }

    /// Stores `task` and returns its slot, for `remove`.
    pub(crate) fn insert(&mut self, task: T, info: I) -> usize {
        self.len += 1;
        match self.free.pop() {
            Some(index) => {
                self.slots[index] = Some((task, info));
                index
            }
            None => {
                self.slots.push(Some((task, info)));
                self.slots.len() - 1
            }
        }
    }

    pub(crate) fn remove(&mut self, index: usize) {
        debug_assert!(self.slots[index].is_some());
        self.slots[index] = None;
        self.free.push(index);
        self.len -= 1;
    }

    pub(crate) fn get(&self, index: usize) -> Option<(T, &I)> {
        self.slots.get(index)?.as_ref().map(|(t, info)| (*t, info))
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (T, &I)> + '_ {
        self.slots.iter().flatten().map(|(t, i)| (*t, i))
    }

    /// Empties the list, handing back every task (for shutdown).
    pub(crate) fn take_all(&mut self) -> Vec<T> {
        self.free.clear();
        self.len = 0;
        self.slots.drain(..).flatten().map(|(t, _)| t).collect()
    }
}
