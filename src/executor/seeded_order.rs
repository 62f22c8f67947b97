//! The ready queue's seeded order ([`Builder::seed`](super::Builder::seed)):
//! which ready task runs next, picked by a seeded generator instead of
//! first in, first out, so that a test can try many interleavings and
//! replay any one of them.
//!
//! The same seed gives the same order on every run: the generator is
//! xorshift64*, seeded through splitmix64 so that 0 and small seeds start
//! from a well-mixed state. The ready queue asks it for an index and
//! swap-removes that entry. (Rejected alternative: shuffling on push; the
//! order would depend on when tasks were pushed *and* popped, twice the
//! state to reason about.) Not a source of randomness for anything else.

/// A reproducible sequence of picks.
pub(crate) struct SeededOrder {
    /// xorshift64* state, never 0.
    state: u64,
}

impl SeededOrder {
    pub(crate) fn new(seed: u64) -> SeededOrder {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        SeededOrder {
            state: (z ^ (z >> 31)) | 1,
        }
    }

    /// The index, below `len` (not 0), of the next task to run.
    pub(crate) fn pick(&mut self, len: usize) -> usize {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let r = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (r % len as u64) as usize
    }
}
