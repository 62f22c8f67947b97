//! A oneshot channel: one value, sent once, from one [`Sender`] to one
//! [`Receiver`]. The receiver is a future of `Result<T, Closed>`.
//!
//! ```
//! use async_primer::channel::{oneshot, Closed};
//!
//! let (tx, rx) = oneshot();
//! std::thread::spawn(move || {
//!     tx.send(6 * 7).unwrap(); // never waits
//! });
//! assert_eq!(futures::executor::block_on(rx), Ok(42));
//!
//! // A sender dropped without sending closes the channel:
//! let (tx, rx) = oneshot::<u8>();
//! drop(tx);
//! assert_eq!(futures::executor::block_on(rx), Err(Closed));
//!
//! // A send to a receiver that is gone gives the value back:
//! let (tx, rx) = oneshot();
//! drop(rx);
//! assert!(tx.is_closed());
//! assert_eq!(tx.send("lost"), Err("lost"));
//! ```
//!
//! Cancellation: dropping the `Receiver` (for example when the task awaiting
//! it is dropped) closes the channel; a value sent before that is dropped
//! together with the channel, a value sent after comes back from `send`.
//!
//! See [`crate::guide::ch05_async_await`]; the interleavings are checked by
//! `tests/loom_channel.rs` (`oneshot_*` models) and the unsafe code by Miri.
//!
//! Left out, compared with tokio's oneshot: `Sender::closed().await` (a
//! future for "the receiver went away"), `Receiver::close`, `try_recv` and
//! `blocking_recv`.

// How it works
//
// One allocation (`Inner`) holds a state word and two cells: the value
// and the receiver's waker. The state word is a set of flags:
//
//   RX_WAKER  the receiver's waker is in `waker`; the sender may read it
//   VALUE     the value is in `value`; the sender is done with it
//   TX_GONE   the sender was dropped without sending
//   RX_GONE   the receiver was dropped (and gave up its share)
//   TX_LEFT   the sender gave up its share (after sending, or dropped)
//   WAKER_TAKEN  the sender moved the waker out of `waker` to wake it by
//             value; the bytes left in the cell are a stale copy that must
//             never be dropped (set with TX_LEFT; see the Speed section)
//
// Each half owns a share of the allocation and gives it up with one
// fetch_or of its own bit (RX_GONE, TX_LEFT); whichever does so second
// sees the other's bit and frees it (see `Shared` in the Speed section).
//
//     (empty) --rx polls, stores waker--> RX_WAKER
//        |   \                               |
//        |    --send: fetch_or VALUE-------->+--> VALUE (+ wake if RX_WAKER)
//        |    --drop sender: TX_GONE-------->+--> TX_GONE (+ wake if RX_WAKER)
//        \--drop receiver: RX_GONE ---> a later send takes its value back
//
// Who may touch which cell, and when (the rules the SAFETY comments rely on):
// * `value`: the sender writes it before setting VALUE; the receiver reads
//   it only after seeing VALUE; a sender that sees RX_GONE in the same
//   fetch_or that set VALUE takes it back (the receiver is gone for good).
// * `waker`: the receiver writes it only while RX_WAKER is clear *and* no
//   VALUE / TX_GONE has been seen; the sender reads it only if RX_WAKER was
//   set in the state its own fetch_or replaced, and then moves it out with
//   `ptr::read` (a read: a receiver re-polled meanwhile may be reading it
//   too, for `will_wake`, which compares pointers and never follows them).
//   To swap wakers the receiver first clears RX_WAKER (fetch_and); if that
//   shows the sender already finished, the sender may be reading (or has
//   moved out) the waker, so the receiver leaves the cell alone and just
//   takes the result. The receiver never writes the cell after it has seen
//   VALUE / TX_GONE, so it never overwrites (drops) a moved-out waker.
// * Dropping the waker: whoever frees the allocation drops the cell's
//   waker, unless WAKER_TAKEN is set (the sender moved it out and woke it
//   by value, which used up that waker). The sender sets WAKER_TAKEN in the
//   same fetch_or as TX_LEFT, so the freer sees it: it is the sender
//   itself, or the receiver, whose `leave` fetch_or saw TX_LEFT.
//
// Rejected: a `Mutex<State>`; it is simpler, but every send and poll pays a
// lock, and the benchmark (issue 6) sends a million of these.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::Closed;
use crate::sync::atomic::{AtomicUsize, Ordering::*};
use crate::sync::{FreeCheck, UnsafeCell};
use std::ops::Deref;
use std::ptr::{self, NonNull};

const RX_WAKER: usize = 0b0001;
const VALUE: usize = 0b0010;
const TX_GONE: usize = 0b0100;
const RX_GONE: usize = 0b1000;
const TX_LEFT: usize = 0b1_0000;
const WAKER_TAKEN: usize = 0b10_0000;
/// The sender is finished, one way or the other.
const DONE: usize = VALUE | TX_GONE;

/// Makes a oneshot channel. A function and a module of the same name live
/// side by side: `channel::oneshot()` makes one, and the types are
/// `channel::oneshot::{Sender, Receiver}`.
///
/// ```
/// let (tx, rx) = async_primer::channel::oneshot();
/// tx.send(1).unwrap();
/// assert_eq!(futures::executor::block_on(rx), Ok(1));
/// ```
#[track_caller]
pub fn oneshot<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Shared::new(Inner {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        waker: UnsafeCell::new(None),
        free_check: FreeCheck::new(),
    });
    (
        Sender {
            inner: Some(Shared(inner.0)),
        },
        Receiver {
            inner,
            done: false,
            created_at: Location::caller(),
        },
    )
}

struct Inner<T> {
    state: AtomicUsize,
    value: UnsafeCell<Option<T>>,
    waker: UnsafeCell<Option<Waker>>,
    /// Zero-sized; under loom it checks that the free comes after both
    /// halves' last use (`FreeCheck` in src/sync.rs).
    free_check: FreeCheck,
}

// SAFETY: the cells are only touched under the protocol in "How it works",
// which hands each access to one side at a time (or two readers of the
// waker); the value crosses threads, so `T: Send` is required.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above; `&Inner` never gives out `&T`.
unsafe impl<T: Send> Sync for Inner<T> {}

impl<T> Inner<T> {
    /// Moves the receiver's waker out of its cell (the caller saw RX_WAKER
    /// set in the state its own fetch_or replaced, and must then leave with
    /// WAKER_TAKEN so that the copy left in the cell is never dropped).
    fn take_waker(&self) -> Option<Waker> {
        self.waker.with(|waker| {
            // SAFETY: RX_WAKER was set when we finished, so the receiver
            // wrote the waker before that (our AcqRel fetch_or acquired its
            // Release) and will not write it again: it only writes while
            // RX_WAKER is clear and it has not seen VALUE / TX_GONE, which
            // it now will. `ptr::read` only reads, so a receiver reading
            // the cell meanwhile (`stored_waker_wakes`) is a second reader,
            // not a race. The bitwise copy left behind is never dropped or
            // used as a waker: the free skips it (WAKER_TAKEN, see `leave`).
            unsafe { ptr::read(waker) }
        })
    }

    /// True if the stored waker would wake the same task as `waker`.
    /// Only called while RX_WAKER is set.
    fn stored_waker_wakes(&self, waker: &Waker) -> bool {
        self.waker.with(|w| {
            // SAFETY: reading our own waker; the sender may be reading it
            // too (shared reads), but nobody writes it while RX_WAKER is set.
            // The sender may even have moved it out and woken it (its wake
            // may have freed what the data pointer points to): `will_wake`
            // only compares the data and vtable pointers and never follows
            // them, and a stale `Waker`'s bytes are still valid pointers.
            unsafe { &*w }.as_ref().is_some_and(|w| w.will_wake(waker))
        })
    }

    /// Stores `waker` and sets RX_WAKER. Returns the state if the sender
    /// had finished by then (the waker will not be used), else `None`.
    /// Only called while RX_WAKER is clear.
    fn register(&self, waker: &Waker) -> Option<usize> {
        // SAFETY: RX_WAKER is clear and the sender had not finished when we
        // last looked, so it will not read the cell (it reads only if its
        // fetch_or sees RX_WAKER, which we set below, after this write).
        self.waker.with_mut(|w| unsafe { *w = Some(waker.clone()) });
        // Release: publishes the waker to the sender's Acquire.
        // Acquire: if the sender finished first, we see its value.
        let state = self.state.fetch_or(RX_WAKER, AcqRel);
        (state & DONE != 0).then_some(state)
    }
}

/// The sending half of a oneshot channel.
///
/// ```
/// let (tx, rx): (async_primer::channel::oneshot::Sender<u8>, _) = async_primer::channel::oneshot();
/// tx.send(1).unwrap();
/// assert_eq!(futures::executor::block_on(rx), Ok(1));
/// ```
pub struct Sender<T> {
    /// `None` once `send` has run (so `Drop` knows there is nothing to do).
    inner: Option<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, consuming the sender; never waits. If the receiver is
    /// already gone the value comes back as `Err(value)`.
    ///
    /// ```
    /// let (tx, rx) = async_primer::channel::oneshot();
    /// assert_eq!(tx.send('x'), Ok(()));
    /// assert_eq!(futures::executor::block_on(rx), Ok('x'));
    /// ```
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self
            .inner
            .take()
            .expect("a Sender holds its channel until it sends");
        // SAFETY: only the sender writes `value`, and the receiver reads it
        // only after it sees VALUE, which we have not set yet.
        inner.value.with_mut(|slot| unsafe { *slot = Some(value) });
        // Release: publishes the value to the receiver's Acquire of VALUE.
        // Acquire: makes the receiver's waker (published with its Release
        // fetch_or of RX_WAKER) visible before `take_waker` reads it.
        let prev = inner.state.fetch_or(VALUE, AcqRel);
        if prev & RX_GONE != 0 {
            // SAFETY: the receiver is gone and never read `value`; nobody
            // else touches it, so we may take our value back.
            let value = inner.value.with_mut(|slot| unsafe { (*slot).take() });
            inner.leave(TX_LEFT, RX_GONE);
            return Err(value.expect("we just stored it"));
        }
        if prev & RX_WAKER == 0 {
            // The receiver has not polled yet: it will find the value.
            inner.leave(TX_LEFT, RX_GONE);
            return Ok(());
        }
        inner.leave_waking_receiver();
        Ok(())
    }

    /// `true` once the receiver has been dropped: a `send` would fail.
    ///
    /// ```
    /// let (tx, rx) = async_primer::channel::oneshot::<u8>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        let inner = self
            .inner
            .as_ref()
            .expect("a Sender holds its channel until it sends");
        // Relaxed: a hint only; `send` itself re-checks with an AcqRel RMW.
        inner.state.load(Relaxed) & RX_GONE != 0
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // `None`: `send` ran and did everything already.
        let Some(inner) = self.inner.take() else {
            return;
        };
        // Acquire: as in `send`, to read the receiver's waker.
        let prev = inner.state.fetch_or(TX_GONE, AcqRel);
        if prev & RX_WAKER == 0 || prev & RX_GONE != 0 {
            // Nobody to wake: not polled yet, or gone.
            inner.leave(TX_LEFT, RX_GONE);
            return;
        }
        inner.leave_waking_receiver();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender").finish_non_exhaustive()
    }
}

/// The receiving half of a oneshot channel: a future of `Ok(value)`, or
/// `Err(Closed)` if the sender was dropped without sending. Polling it
/// again after that panics.
///
/// Cancel safety: dropping the `Receiver` is final: it closes the channel,
/// and a value already sent is dropped with it. It is `Unpin`, so in a
/// `select` loop pass `&mut rx` instead of `rx`: the branch that loses
/// then drops only the reference, and nothing is lost.
///
/// ```
/// use async_primer::channel::{oneshot, Closed};
/// let (tx, rx) = oneshot::<u8>();
/// drop(tx);
/// assert_eq!(futures::executor::block_on(rx), Err(Closed));
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Receiver<T> {
    inner: Shared<T>,
    /// Set once we returned `Ready`.
    done: bool,
    /// Where `oneshot()` was called, for the executor's stall report.
    created_at: &'static Location<'static>,
}

impl<T> Receiver<T> {
    /// Returns `Pending`, telling the executor what this task waits on.
    fn waiting(&self) -> Poll<Result<T, Closed>> {
        crate::executor::note_wait("a oneshot message", Some(self.created_at), None, None);
        Poll::Pending
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, Closed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, Closed>> {
        if self.done {
            crate::future::polled_after_completion("oneshot::Receiver");
        }
        let inner = &*self.inner;
        // Acquire: pairs with the sender's Release, so the value is visible.
        let state = inner.state.load(Acquire);
        let state = match RxState::of(state) {
            // The sender finished first: nothing to wait for.
            RxState::Finished => state,
            // Our waker is stored and would wake this same task: keep it.
            RxState::Registered if inner.stored_waker_wakes(cx.waker()) => return self.waiting(),
            // Stored, but for another task (the receiver moved): take the
            // cell back before rewriting it. AcqRel: Acquire sees a value
            // sent meanwhile; then store ours below, unless that happened.
            RxState::Registered => match inner.state.fetch_and(!RX_WAKER, AcqRel) {
                taken if taken & DONE != 0 => taken,
                _ => match inner.register(cx.waker()) {
                    Some(finished) => finished,
                    None => return self.waiting(),
                },
            },
            // Nothing stored yet: store our waker, unless the sender
            // finishes first.
            RxState::Empty => match inner.register(cx.waker()) {
                Some(finished) => finished,
                None => return self.waiting(),
            },
        };
        // The sender finished: a value (VALUE) or nothing (TX_GONE).
        self.done = true;
        if state & VALUE != 0 {
            // SAFETY: VALUE is set, so the sender wrote the value and will
            // never touch it again (it takes it back only if it saw
            // RX_GONE, and we are still here).
            let value = self.inner.value.with_mut(|slot| unsafe { (*slot).take() });
            Poll::Ready(Ok(value.expect("VALUE means the slot is full")))
        } else {
            Poll::Ready(Err(Closed))
        }
    }
}

/// What the receiver finds in one load of the state word.
enum RxState {
    /// No waker stored, nothing sent.
    Empty,
    /// Our waker is stored (RX_WAKER), nothing sent yet.
    Registered,
    /// The sender sent a value or left (DONE).
    Finished,
}

impl RxState {
    fn of(state: usize) -> RxState {
        match (state & DONE != 0, state & RX_WAKER != 0) {
            (true, _) => RxState::Finished,
            (false, true) => RxState::Registered,
            (false, false) => RxState::Empty,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // Tells a later `send` to take its value back, and gives up our
        // share (a value sent and never received is dropped with it).
        self.inner.leave(RX_GONE, TX_LEFT);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

// Speed: ---------------------------------------------------------------------
// `Shared` is a two-owner `Arc` of our own, with "who has left" kept as
// two flags in the state word: a new channel starts with both shares
// without an atomic read-modify-write (`Arc::clone` is one), and each half
// gives its share up with one fetch_or (the receiver needed that one anyway,
// for RX_GONE) instead of `Arc`'s strong and weak decrements. A message
// now costs 8 atomic read-modify-writes in all (channel, waker, executor)
// instead of 11; on this machine each costs far more than its one
// instruction. Measured with `cargo bench --bench peers -- ping_pong` (AMD
// EPYC, 2 cores): 149.8 -> 122 ns per round trip (0.835 -> 0.68 of tokio);
// 1,201 -> 1,190 instructions per round trip (callgrind). Loom:
// weakening `leave`'s AcqRel to Relaxed fails
// `oneshot_send_racing_receiver_drop` (through `FreeCheck`).
//
// Wake by value (`WAKER_TAKEN`): the sender moves the receiver's waker out
// of its cell with `ptr::read` and calls `wake()`, which the executor does
// in one compare-and-swap that also gives up the waker's reference
// (src/executor/waker.rs, `// Speed:`), instead of `wake_by_ref` now and
// a drop (one more fetch_sub) when the allocation is freed: 7 atomic
// read-modify-writes per message instead of 8. The flag that tells the
// freer not to drop the copy left in the cell rides on the sender's
// `leave` fetch_or, so it costs none; the sender wakes after leaving, so
// a waker that panics no longer leaks the channel. A `ptr::read` and not
// `Option::take` because a receiver re-polled meanwhile may be reading
// the cell (`will_wake`), and a write would race with it. Measured with
// `cargo bench --bench peers -- ping_pong` (AMD EPYC, 2 cores), the two
// binaries run interleaved, medians of 9 runs each: 120.2 -> 108.1 ns per
// round trip (-10%; 0.68 -> 0.62 of tokio); 1,205 -> 1,165 instructions
// per round trip (callgrind). Loom: dropping the moved-out waker at the
// free anyway fails `oneshot_same_waker_repoll_racing_send`
// (tests/seeded_bugs/oneshot-waker-double-drop.patch), and so does
// `Option::take` in place of `ptr::read` (a read and a write at once).

/// One half's share of the channel's allocation.
struct Shared<T>(NonNull<Inner<T>>);

// SAFETY: a `Shared` is a pointer to an `Inner`, which is `Send + Sync`
// for `T: Send`; it frees it at most once (`leave`).
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as above; `&Shared` only gives out `&Inner`.
unsafe impl<T: Send> Sync for Shared<T> {}

impl<T> Shared<T> {
    fn new(inner: Inner<T>) -> Shared<T> {
        Shared(NonNull::from(Box::leak(Box::new(inner))))
    }

    /// Gives up this half's share: sets `mine`, and frees the allocation
    /// if the other half had set `theirs` (it left first). Called once per
    /// half, as its last use.
    fn leave(&self, mine: usize, theirs: usize) {
        self.free_check.last_use();
        // AcqRel: the Release half hands our uses of the cells to whoever
        // frees; the Acquire half (when we free) sees the other half's.
        let prev = self.state.fetch_or(mine, AcqRel);
        if prev & theirs != 0 {
            self.free_check.freed();
            if (prev | mine) & WAKER_TAKEN != 0 {
                // SAFETY: both halves have left (nobody else touches the
                // cell). The sender moved the waker out and woke it by
                // value: overwrite the stale copy without dropping it.
                self.waker.with_mut(|w| unsafe { ptr::write(w, None) });
            }
            // SAFETY: both halves have left, so nobody else will touch the
            // allocation; it came from `Box::leak` in `new`.
            drop(unsafe { Box::from_raw(self.0.as_ptr()) });
        }
    }

    /// The sender's `leave` when it saw RX_WAKER set (after sending, or
    /// dropped unsent): takes the receiver's waker, leaves (the waker is
    /// ours now, not the channel's), then wakes by value, touching nothing
    /// of the channel after leaving (see the Speed section).
    fn leave_waking_receiver(&self) {
        let waker = self.take_waker();
        self.leave(TX_LEFT | WAKER_TAKEN, RX_GONE);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Deref for Shared<T> {
    type Target = Inner<T>;

    fn deref(&self) -> &Inner<T> {
        // SAFETY: the allocation lives until both halves have left, and a
        // half never uses its `Shared` after leaving.
        unsafe { self.0.as_ref() }
    }
}
