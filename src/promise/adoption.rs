//! Adoption edges, and finding cycles (Promises/A+ 2.3.1).
//!
// How it works
// ------------
// A promise that follows (adopts) another records an edge to it in its
// `Rare` part. Before it waits, it walks the edges from its target: if the
// walk comes back to itself, following would wait forever, so it is
// rejected with `PromiseError::Cycle` instead. Each walk ends at a promise
// that follows nobody (a settled promise has no edge: settling drops it),
// and the edge is then pointed straight at that end (path compression), so
// later walks through here are short.
//
// Edges are strong references, but never a long chain of them to drop: an
// edge lives only while its promise is pending, and settling (which always
// happens, if only as "broken" when the resolver goes) removes it.
//
// Rejected alternative: a global lock around every adoption. Writing the
// edge before walking gives the same guarantee without one (see below).

use super::inner::{Inner, InnerRef, SLOW};
use crate::sync::atomic::Ordering;

impl<T, E> Inner<T, E> {
    /// Records that `self` now waits for `target`; false if that would be
    /// a cycle (then nothing is recorded).
    ///
    /// The edge is written *before* walking, so two promises adopting each
    /// other at the same moment on two threads cannot both miss the cycle:
    /// whichever walks second sees the other's edge.
    pub(crate) fn follow(this: &InnerRef<T, E>, target: &InnerRef<T, E>) -> bool {
        {
            let mut slow = this.slow.lock();
            // SLOW: `settle` must take the lock to drop the edge. Relaxed:
            // only our caller, the one resolver, can settle this promise,
            // so no settle runs meanwhile; the lock publishes the edge.
            this.word.fetch_or(SLOW, Ordering::Relaxed);
            slow.rare().following = Some(target.clone());
        }
        let mut current = target.clone();
        loop {
            if InnerRef::ptr_eq(&current, this) {
                this.slow.lock().rare().following = None;
                return false;
            }
            let next = current.slow.lock().following();
            match next {
                Some(next) => current = next,
                None => break,
            }
        }
        // Path compression: point straight at the end of the chain, so the
        // next walk through here is short.
        let mut slow = this.slow.lock();
        if slow.following().is_some() {
            slow.rare().following = Some(current);
        }
        true
    }
}
