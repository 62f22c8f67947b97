//! The turnstile: a promise's reactions run in registration order.
//!
// How it works
// ------------
// Registering a reaction takes the next ticket (0, 1, 2, ...). Reaction k
// may run only when `turn == k`; when it has run, or when its task is
// dropped unfinished, it passes the turn on (k + 1). An executor that
// shuffles ready tasks (`Builder::seed`) may poll k + 1 first: it finds the
// turn is not yet its own, leaves its waker in the turnstile, and is woken
// when k passes the turn.
//
// ```text
//   ticket k:  WaitTurn ──turn == k──> Run ──> finish_ticket(k): turn = k + 1,
//                                                  wake the waiter for k + 1
//   dropped before its turn: parked as FinishedEarly; the turn skips it
// ```
//
// The common case (no shuffling) never touches the lock in `poll_turn`:
// the turn is already ours, one atomic load says so.

use std::task::Waker;

use super::inner::{Inner, Turn};
use crate::sync::atomic::Ordering;

impl<T, E> Inner<T, E> {
    pub(crate) fn take_ticket(&self) -> u32 {
        self.mark_observed();
        // Relaxed: only uniqueness and order among registrations matter.
        self.next_ticket.fetch_add(1, Ordering::Relaxed)
    }

    /// Whether reaction `ticket` may run now; if not, wakes it later.
    pub(crate) fn poll_turn(&self, ticket: u32, waker: &Waker) -> bool {
        // Acquire: pairs with the Release in `finish_ticket`, so whatever
        // the previous reaction did happens before this one runs.
        if self.turn.load(Ordering::Acquire) == ticket {
            return true;
        }
        let mut slow = self.slow.lock();
        if self.turn.load(Ordering::Acquire) == ticket {
            return true;
        }
        let turnstile = &mut slow.rare().turnstile;
        match turnstile.iter_mut().find(|(t, _)| *t == ticket) {
            Some((_, turn)) => *turn = Turn::Waiting(waker.clone()),
            None => turnstile.push((ticket, Turn::Waiting(waker.clone()))),
        }
        false
    }

    /// Reaction `ticket` ran or was dropped: pass the turn on.
    pub(crate) fn finish_ticket(&self, ticket: u32) {
        let mut slow = self.slow.lock();
        let mut turn = self.turn.load(Ordering::Relaxed);
        if turn != ticket {
            // Dropped before its turn: the turn will skip it.
            let turnstile = &mut slow.rare().turnstile;
            match turnstile.iter_mut().find(|(t, _)| *t == ticket) {
                Some((_, state)) => *state = Turn::FinishedEarly,
                None => turnstile.push((ticket, Turn::FinishedEarly)),
            }
            return;
        }
        let mut waker = None;
        let turnstile = slow.rare.as_mut().map(|r| &mut r.turnstile);
        let mut empty = Vec::new();
        let turnstile = turnstile.unwrap_or(&mut empty);
        loop {
            turn = turn.wrapping_add(1);
            let Some(i) = turnstile.iter().position(|(t, _)| *t == turn) else {
                break; // the next reaction has not asked yet: it will see the turn
            };
            match turnstile.swap_remove(i).1 {
                // The next one waits: wake it (after unlocking).
                Turn::Waiting(w) => {
                    waker = Some(w);
                    break;
                }
                // The next one is gone already: skip it too.
                Turn::FinishedEarly => {}
            }
        }
        // Release: see `poll_turn`. Written under the lock so the re-check
        // there cannot miss it.
        self.turn.store(turn, Ordering::Release);
        drop(slow);
        if let Some(w) = waker {
            w.wake();
        }
    }
}
