//! The timer driver: one clock and one heap of deadlines per executor.
//!
//! A [`Sleep`](super::Sleep) registers its deadline and its task's waker
//! here; the executor asks the driver, between polls, which deadline comes
//! next ([`Driver::next_deadline`]) and tells it when time has moved on
//! ([`Driver::fire_due`]). Nothing here blocks or parks: parking is the
//! executor's job (see [`crate::guide::ch04_executor`]).
//!
// How it works
// ------------
//
//   heap  (min-heap by deadline, then sequence number)     slots (a slab)
//   +------------------+                                   +------------------------+
//   | (t=5ms, #7, s=2) | -- slot 2, seq 7 --------------->  | Armed { seq 7, waker } |
//   | (t=9ms, #3, s=0) | -- slot 0, seq 3 (stale) ---x      | Free                   |
//   +------------------+                                   +------------------------+
//
// A slot's life:   Free --insert--> Armed --deadline passes--> Fired --Sleep dropped--> Free
//                                     \--------------Sleep dropped---------------------^
//
// A dropped `Sleep` frees its slot at once (so it no longer counts as "a timer
// is armed" for deadlock detection) but leaves its heap entry behind; the
// entry is recognised as stale by its sequence number and skipped when it
// reaches the top. Rejected alternative: removing from the middle of the heap
// on every drop (O(n) search, or an indexed heap twice the code).
//
// The virtual clock is `base + offset`, where `base` is a real `Instant` taken
// when the executor was built, so users subtract instants as usual.

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::task::Waker;
use std::time::{Duration, Instant};

/// Where a registered timer lives: its slot and the sequence number that
/// proves the slot has not been reused since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerKey {
    slot: usize,
    seq: u64,
}

#[derive(Debug)]
enum Slot {
    /// Unused, on the free list.
    Free,
    /// Waiting for its deadline; the waker is woken when it passes.
    Armed { seq: u64, waker: Waker },
    /// The deadline passed and the waker was woken; the `Sleep` has not
    /// looked yet.
    Fired { seq: u64 },
}

/// A heap entry: (deadline in nanoseconds since the driver's epoch,
/// registration number, slot index). Plain integers rather than
/// `(Instant, u64, usize)`: 24 bytes instead of 32, and comparing them is
/// two integer compares, which is most of what a heap does.
type Entry = (u64, u64, u32);

#[derive(Debug, Default)]
struct Timers {
    heap: BinaryHeap<Reverse<Entry>>,
    slots: Vec<Slot>,
    free: Vec<usize>,
    next_seq: u64,
}

/// The clock and timers of one executor.
#[derive(Debug)]
pub(crate) struct Driver {
    /// `Some(base)` under virtual time; `None` for the real clock.
    virtual_base: Option<Instant>,
    /// How far virtual time has advanced past `virtual_base`.
    offset: Cell<Duration>,
    timers: RefCell<Timers>,
    /// Armed timers, kept outside the RefCell: the run loop asks often.
    armed: Cell<usize>,
    /// The instant heap deadlines are measured from (see [`Entry`]).
    epoch: Instant,
    /// Scratch space for `fire_due`, kept between calls so that firing
    /// timers does not allocate a fresh vector every turn.
    due: RefCell<Vec<Waker>>,
    /// Deadlines armed since the run loop last asked, when an observer of
    /// every event (a trace) wants them; `None` otherwise.
    arming_log: RefCell<Option<Vec<Instant>>>,
}

impl Driver {
    pub(crate) fn new(virtual_time: bool) -> Driver {
        // One reading for both: timers are kept as nanoseconds since
        // `epoch`, and a virtual deadline just after `virtual_base` but
        // before a later-read `epoch` would round to the epoch (a jump
        // of however long the two reads were apart: 150 us under Miri).
        let start = Instant::now();
        Driver {
            virtual_base: virtual_time.then_some(start),
            epoch: start,
            due: RefCell::new(Vec::new()),
            arming_log: RefCell::new(None),
            offset: Cell::new(Duration::ZERO),
            timers: RefCell::new(Timers::default()),
            armed: Cell::new(0),
        }
    }

    /// True when the clock only moves when the executor moves it.
    #[inline]
    pub(crate) fn is_virtual(&self) -> bool {
        self.virtual_base.is_some()
    }

    /// The executor's idea of "now".
    #[inline]
    pub(crate) fn now(&self) -> Instant {
        match self.virtual_base {
            Some(base) => base + self.offset.get(),
            None => Instant::now(),
        }
    }

    /// How long this clock has run since the driver (the executor) was
    /// built: the virtual offset, or real time since `epoch`.
    #[inline]
    pub(crate) fn elapsed(&self) -> Duration {
        match self.virtual_base {
            Some(_) => self.offset.get(),
            None => self.epoch.elapsed(),
        }
    }

    /// From now on, remember each deadline armed, for `take_armed`.
    pub(crate) fn log_arming(&self) {
        *self.arming_log.borrow_mut() = Some(Vec::new());
    }

    /// The deadlines armed since the last call, as offsets from the
    /// clock's start.
    pub(crate) fn take_armed(&self, mut each: impl FnMut(Duration)) {
        let start = self.virtual_base.unwrap_or(self.epoch);
        let armed = match self.arming_log.borrow_mut().as_mut() {
            Some(log) => std::mem::take(log),
            None => return,
        };
        for deadline in armed {
            each(deadline.saturating_duration_since(start));
        }
    }

    /// Under virtual time, moves the clock forward to `to` (never back).
    pub(crate) fn advance_to(&self, to: Instant) {
        if let Some(base) = self.virtual_base {
            let offset = to.saturating_duration_since(base);
            if offset > self.offset.get() {
                self.offset.set(offset);
            }
        }
    }

    /// How many timers are armed (registered, not yet fired, not dropped).
    #[inline]
    /// Nanoseconds from the epoch to `t`: 0 for an instant before the epoch
    /// (it is due at once anyway), saturating after about 584 years.
    fn since_epoch(&self, t: Instant) -> u64 {
        let ns = t.saturating_duration_since(self.epoch).as_nanos();
        u64::try_from(ns).unwrap_or(u64::MAX)
    }

    pub(crate) fn armed(&self) -> usize {
        self.armed.get()
    }

    /// Registers `waker` to be woken at `deadline`.
    pub(crate) fn insert(&self, deadline: Instant, waker: Waker) -> TimerKey {
        if let Some(log) = self.arming_log.borrow_mut().as_mut() {
            log.push(deadline);
        }
        let mut t = self.timers.borrow_mut();
        let seq = t.next_seq;
        t.next_seq += 1;
        let slot = match t.free.pop() {
            Some(slot) => slot,
            None => {
                t.slots.push(Slot::Free);
                t.slots.len() - 1
            }
        };
        t.slots[slot] = Slot::Armed { seq, waker };
        self.armed.set(self.armed.get() + 1);
        let slot_index = u32::try_from(slot).expect("more than u32::MAX timers armed at once");
        t.heap
            .push(Reverse((self.since_epoch(deadline), seq, slot_index)));
        TimerKey { slot, seq }
    }

    /// Replaces the waker of an armed timer (the task may have moved, or the
    /// future may be polled with a different waker this time).
    pub(crate) fn update_waker(&self, key: TimerKey, new: &Waker) {
        let mut t = self.timers.borrow_mut();
        if let Some(Slot::Armed { seq, waker }) = t.slots.get_mut(key.slot) {
            if *seq == key.seq && !waker.will_wake(new) {
                waker.clone_from(new);
            }
        }
    }

    /// Forgets a timer (its `Sleep` completed or was dropped). The waker is
    /// dropped after the borrow ends, in case its drop re-enters the driver.
    pub(crate) fn remove(&self, key: TimerKey) {
        let removed = {
            let mut t = self.timers.borrow_mut();
            let slot = match t.slots.get_mut(key.slot) {
                Some(slot) => slot,
                None => return,
            };
            match slot {
                // Still waiting: disarm it; its heap entry becomes stale.
                Slot::Armed { seq, .. } if *seq == key.seq => {
                    let old = std::mem::replace(slot, Slot::Free);
                    self.armed.set(self.armed.get() - 1);
                    t.free.push(key.slot);
                    Some(old)
                }
                // Already fired: just give the slot back.
                Slot::Fired { seq } if *seq == key.seq => {
                    *slot = Slot::Free;
                    t.free.push(key.slot);
                    None
                }
                // Reused by someone else, or already free: not ours.
                _ => None,
            }
        };
        drop(removed);
    }

    /// The earliest deadline of an armed timer, dropping stale heap entries
    /// on the way.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let mut t = self.timers.borrow_mut();
        while let Some(&Reverse((deadline, seq, slot))) = t.heap.peek() {
            match t.slots[slot as usize] {
                Slot::Armed { seq: s, .. } if s == seq => {
                    return Some(self.epoch + Duration::from_nanos(deadline));
                }
                _ => {
                    t.heap.pop();
                }
            }
        }
        None
    }

    /// The next deadline to wake the thread for: none under virtual time,
    /// where the clock jumps instead of waiting.
    pub(crate) fn next_real_deadline(&self) -> Option<Instant> {
        match self.is_virtual() {
            true => None,
            false => self.next_deadline(),
        }
    }

    /// Wakes every timer whose deadline is at or before `now()`, in deadline
    /// order (ties in the order they were registered). Returns how many fired.
    pub(crate) fn fire_due(&self) -> usize {
        let now = self.since_epoch(self.now());
        let mut due = self.due.take();
        {
            let mut t = self.timers.borrow_mut();
            while let Some(&Reverse((deadline, seq, slot))) = t.heap.peek() {
                if deadline > now {
                    break;
                }
                t.heap.pop();
                let slot = slot as usize;
                if let Slot::Armed { seq: s, .. } = t.slots[slot] {
                    if s == seq {
                        if let Slot::Armed { waker, .. } =
                            std::mem::replace(&mut t.slots[slot], Slot::Fired { seq })
                        {
                            self.armed.set(self.armed.get() - 1);
                            due.push(waker);
                        }
                    }
                }
            }
        }
        let fired = due.len();
        // Woken outside the borrow: a wake may push onto the ready queue,
        // and a waker's drop may reach back into this driver.
        for waker in due.drain(..) {
            waker.wake();
        }
        *self.due.borrow_mut() = due;
        fired
    }
}

// The driver of the executor running on this thread, if any: a pointer to
// the executor's own `Rc<Driver>` field, installed for the length of
// `block_on` / `run_until_stalled` (no reference counting on entry, and no
// destructor, so it can be read even while thread-locals are torn down).
crate::sync::const_thread_local! {
    static CURRENT: Cell<*const Rc<Driver>> = Cell::new(std::ptr::null());
}

/// Installs `driver` as this thread's current driver until the guard drops.
/// The caller keeps `driver` alive and in place for as long as the guard.
#[inline]
pub(crate) fn enter(driver: &Rc<Driver>) -> EnterGuard {
    let previous = CURRENT
        .try_with(|c| c.replace(driver))
        .unwrap_or(std::ptr::null());
    EnterGuard { previous }
}

/// `enter` for a thread where no executor runs (no driver installed).
#[inline]
pub(crate) fn enter_outermost(driver: &Rc<Driver>) -> EnterGuard {
    let _ = CURRENT.try_with(|c| c.set(driver));
    EnterGuard {
        previous: std::ptr::null(),
    }
}

/// Restores the previous current driver on drop.
pub(crate) struct EnterGuard {
    previous: *const Rc<Driver>,
}

impl Drop for EnterGuard {
    #[inline]
    fn drop(&mut self) {
        if crate::sync::skip_thread_local_cleanup() {
            return;
        }
        let _ = CURRENT.try_with(|c| c.set(self.previous));
    }
}

/// Runs `f` with the current driver, or `None` outside an executor.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Rc<Driver>>) -> R) -> R {
    let driver = CURRENT.try_with(|c| c.get()).unwrap_or(std::ptr::null());
    // SAFETY: non-null only while an `EnterGuard` is alive, whose creator
    // keeps the `Rc<Driver>` it points at alive and unmoved (see `enter`).
    f(unsafe { driver.as_ref() })
}
