//! The ready queue, and the seeded order among ready tasks.
//!
//! By default the ready queue is first in, first out: tasks run in the order
//! they were woken. With [`Builder::seed`](super::Builder::seed) the
//! executor instead picks a pseudo-random ready task each time, from a small
//! xorshift generator seeded with your number: the same seed gives the same
//! order (and so the same output) on every run, and trying a few seeds
//! exposes code that silently assumes one order.
//!
//! ```
//! use async_primer::executor::Executor;
//! use std::cell::RefCell;
//! use std::rc::Rc;
//!
//! let order_for = |seed| {
//!     let ex = Executor::builder().seed(seed).build();
//!     let log = Rc::new(RefCell::new(Vec::new()));
//!     for i in 0..5 {
//!         let log = log.clone();
//!         ex.spawn(async move { log.borrow_mut().push(i) });
//!     }
//!     ex.run_until_stalled();
//!     log.take()
//! };
//! assert_eq!(order_for(7), order_for(7));
//! ```
//
// How it works: a VecDeque of task pointers. FIFO pops the front. Seeded
// picks index `r % len` and swap-removes it (O(1); the back element takes
// its place, which is as deterministic as anything else here). Rejected
// alternative: shuffling on every push (the order would depend on when
// tasks were pushed *and* popped, twice the state to reason about).

use super::task::TaskRef;
use std::collections::VecDeque;

pub(crate) struct ReadyQueue {
    queue: VecDeque<TaskRef>,
    /// xorshift64* state; `None` means FIFO.
    rng: Option<u64>,
}

impl ReadyQueue {
    pub(crate) fn new(seed: Option<u64>) -> ReadyQueue {
        // splitmix64 of the seed, so that 0 and small seeds are fine too.
        let rng = seed.map(|s| {
            let mut z = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) | 1
        });
        ReadyQueue {
            queue: VecDeque::new(),
            rng,
        }
    }

    pub(crate) fn push(&mut self, task: TaskRef) {
        self.queue.push_back(task);
    }

    pub(crate) fn pop(&mut self) -> Option<TaskRef> {
        match &mut self.rng {
            None => self.queue.pop_front(),
            Some(_) if self.queue.is_empty() => None,
            Some(state) => {
                *state ^= *state >> 12;
                *state ^= *state << 25;
                *state ^= *state >> 27;
                let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
                let index = (r % self.queue.len() as u64) as usize;
                self.queue.swap_remove_back(index)
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
    }
}
