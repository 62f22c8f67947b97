//! A tiny slab: values in a `Vec`, addressed by the index they were given,
//! with freed indices reused. Internal; the token keeps its waiters and its
//! children in two of these so that removing one is O(1) and never moves
//! the others (their keys stay valid).
//
// Rejected: a `HashMap<u64, T>` with a counter (one hash per insert and
// remove, and the counter's key never comes back).

#[derive(Debug)]
pub(crate) struct Slab<T> {
    slots: Vec<Option<T>>,
    /// Indices of `None` slots, reused last-freed first.
    free: Vec<usize>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    /// The key the next `insert` will return.
    pub(crate) fn vacant_key(&self) -> usize {
        self.free.last().copied().unwrap_or(self.slots.len())
    }

    pub(crate) fn insert(&mut self, value: T) -> usize {
        self.len += 1;
        match self.free.pop() {
            Some(key) => {
                self.slots[key] = Some(value);
                key
            }
            None => {
                self.slots.push(Some(value));
                self.slots.len() - 1
            }
        }
    }

    pub(crate) fn get(&self, key: usize) -> Option<&T> {
        self.slots.get(key).and_then(Option::as_ref)
    }

    pub(crate) fn get_mut(&mut self, key: usize) -> Option<&mut T> {
        self.slots.get_mut(key).and_then(Option::as_mut)
    }

    pub(crate) fn remove(&mut self, key: usize) -> Option<T> {
        let value = self.slots.get_mut(key)?.take()?;
        self.free.push(key);
        self.len -= 1;
        Some(value)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every value, in key order (the slab is left empty).
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.free.clear();
        self.len = 0;
        self.slots.drain(..).flatten()
    }

    /// Every value with its key, in key order.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (usize, &mut T)> {
        self.slots
            .iter_mut()
            .enumerate()
            .filter_map(|(k, v)| v.as_mut().map(|v| (k, v)))
    }
}
