//! The executor's list of live tasks: a slab of task pointers.
//!
//! The executor needs every unfinished task for two things: dropping their
//! futures at shutdown, and naming them in a `deadlock:` report. Each task
//! remembers its slot (`Header::index`), so insert and remove are O(1) and
//! touch no other task. (Rejected alternative: a `Vec` with `swap_remove`,
//! which writes the new index into whichever task moved: a cache miss on a
//! cold task for every completion.)

use super::task::TaskRef;

#[derive(Default)]
pub(crate) struct TaskList {
    slots: Vec<Option<TaskRef>>,
    /// Empty slots, reused before the slab grows.
    free: Vec<usize>,
    len: usize,
}

impl TaskList {
    pub(crate) fn insert(&mut self, task: TaskRef) {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        self.slots[index] = Some(task);
        task.header().index.set(index as u32);
        self.len += 1;
    }

    /// Empties slot `index` (the task's `Header::index`, read by the
    /// caller while the task was certainly alive).
    pub(crate) fn remove_at(&mut self, index: usize) {
        debug_assert!(self.slots[index].is_some());
        self.slots[index] = None;
        self.free.push(index);
        self.len -= 1;
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = TaskRef> + '_ {
        self.slots.iter().flatten().copied()
    }

    /// Empties the list, handing back every task (for shutdown).
    pub(crate) fn take_all(&mut self) -> Vec<TaskRef> {
        self.free.clear();
        self.len = 0;
        self.slots.drain(..).flatten().collect()
    }
}
