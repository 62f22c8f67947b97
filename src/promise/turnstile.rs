//! The turnstile: a promise's reactions run in registration order.
//!
// How it works
// ------------
// Registering a reaction takes the next ticket (0, 1, 2, ...). Reaction k
// may run only when the turn is k; when it has run, or when its task is
// dropped unfinished, it passes the turn on (k + 1). An executor that
// shuffles ready tasks (`Builder::seed`) may poll k + 1 first: it finds the
// turn is not yet its own, parks its waker in the turnstile, and is woken
// when k passes the turn.
//
// ```text
//   ticket k:  WaitTurn ──turn == k──> Run ──> pass the turn: turn = k + 1
//                  │                            (wake k + 1 if it is parked)
//                  └── parked in the turnstile while turn != k
//   dropped before its turn: parked as FinishedEarly; the turn skips it
// ```
//
// `Inner::turn` holds the turn number shifted left by one, and in bit 0
// the PARKED flag: "the turnstile has entries, passing the turn must look
// at them (under the lock)". In the common case nobody is parked, and
// both checking and passing the turn are one atomic operation each, with
// no lock. Parking sets PARKED with the same atomic that it reads the turn
// from, so a concurrent "pass the turn" either sees the flag or has
// already moved the turn on (one atomic word: never both missed).

use std::task::Waker;

use super::inner::{Inner, SLOW, Turn};
use crate::sync::atomic::Ordering;

const PARKED: u32 = 1;
/// Tickets count modulo 2^31 (the turn word keeps one bit for PARKED).
const TICKETS: u32 = u32::MAX >> 1;

fn turn_of(word: u32) -> u32 {
    word >> 1
}

impl<T, E> Inner<T, E> {
    pub(crate) fn take_ticket(&self) -> u32 {
        self.mark_observed();
        // Relaxed: only uniqueness and order among registrations matter.
        self.next_ticket.fetch_add(1, Ordering::Relaxed) & TICKETS
    }

    /// Whether reaction `ticket` may run now; if not, wakes it later.
    pub(crate) fn poll_turn(&self, ticket: u32, waker: &Waker) -> bool {
        // Acquire: pairs with the Release that passed the turn, so whatever
        // the previous reaction did happens before this one runs.
        if turn_of(self.turn.load(Ordering::Acquire)) == ticket {
            return true;
        }
        let mut slow = self.slow.lock();
        // Raise PARKED and read the turn in one step (see the top).
        if turn_of(self.turn.fetch_or(PARKED, Ordering::Acquire)) == ticket {
            return true;
        }
        // SLOW: `slow` now owns something (see `Drop for Inner`).
        self.word.fetch_or(SLOW, Ordering::Relaxed);
        let turnstile = &mut slow.rare().turnstile;
        match turnstile.iter_mut().find(|(t, _)| *t == ticket) {
            Some((_, turn)) => *turn = Turn::Waiting(waker.clone()),
            None => turnstile.push((ticket, Turn::Waiting(waker.clone()))),
        }
        false
    }

    /// Reaction `ticket` ran or was dropped: pass the turn on.
    pub(crate) fn finish_ticket(&self, ticket: u32) {
        let word = self.turn.load(Ordering::Relaxed);
        if word == ticket << 1 {
            // Our turn, nobody parked: pass it on without the lock. Fails
            // if someone parks meanwhile; then the slow path handles it.
            // Release: see `poll_turn`.
            let next = ((ticket + 1) & TICKETS) << 1;
            let passed =
                self.turn
                    .compare_exchange(word, next, Ordering::Release, Ordering::Relaxed);
            if passed.is_ok() {
                return;
            }
        }
        self.finish_ticket_slow(ticket)
    }

    #[cold]
    fn finish_ticket_slow(&self, ticket: u32) {
        let mut slow = self.slow.lock();
        // Only the holder of the turn moves it, and parkers only raise
        // PARKED under this lock: the turn is stable while we hold it.
        let mut turn = turn_of(self.turn.fetch_or(PARKED, Ordering::Relaxed));
        // SLOW: `slow` may own something from here on.
        self.word.fetch_or(SLOW, Ordering::Relaxed);
        let turnstile = &mut slow.rare().turnstile;
        if turn != ticket {
            // Dropped before its turn: the turn will skip it.
            match turnstile.iter_mut().find(|(t, _)| *t == ticket) {
                Some((_, state)) => *state = Turn::FinishedEarly,
                None => turnstile.push((ticket, Turn::FinishedEarly)),
            }
            return;
        }
        let mut waker = None;
        loop {
            turn = (turn + 1) & TICKETS;
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
        let parked = if turnstile.is_empty() { 0 } else { PARKED };
        // Release: see `poll_turn`.
        self.turn.store((turn << 1) | parked, Ordering::Release);
        drop(slow);
        if let Some(w) = waker {
            w.wake();
        }
    }
}
