//! The state every handle of one promise shares: one allocation.
//!
// How it works
// ------------
//
// ```text
//            settle(Ok)            (final: the outcome never changes again)
//   Pending ────────────> Fulfilled
//      │
//      └───────────────> Rejected
//            settle(Err)
// ```
//
// One heap allocation, `Inner`, shared by every `Promise` clone, the
// `Resolver`, and the tasks that wait on it:
//
// * `word` packs the state (two bits), three flags, and the reference count
//   (the bits above), so that the common "resolve, nobody waits yet" is one
//   atomic instruction that both settles and drops the resolver's
//   reference. (`InnerRef`, at the end of this file, is therefore our own small
//   `Arc`; with std's `Arc` that case took four atomic instructions, and
//   tokio's oneshot, which we are measured against, takes four.)
// * `outcome` is written exactly once, by the one resolver, *before* the
//   state leaves Pending (Release). A reader that sees a settled state
//   (Acquire) may clone the outcome without locking: nobody writes it
//   again. Awaiting a settled promise costs one atomic load.
// * `slow` (a mutex) holds the slow-path bookkeeping: the wakers of whoever
//   waits (`.await`s and reaction tasks), the reaction turnstile, and the
//   adoption edge used to find cycles. The SLOW flag says that it holds
//   something, so that settling takes the lock only then.
// * `handles` counts user-visible `Promise` clones, so that "the last
//   handle was dropped" can be told apart from "an internal task still
//   holds the state" (unhandled-rejection tracking). The last one sets
//   NO_HANDLES in `word`, so that it and a concurrent rejection change the
//   same atomic and one of them always sees the other.
//
// The turnstile (turnstile.rs) makes reactions run in registration order
// even on an executor that shuffles ready tasks; adoption.rs finds cycles.
//
// Size matters for speed too: creating a promise writes the whole `Inner`,
// so the rare parts (turnstile, adoption edge) sit in a box allocated only
// when needed, and tickets are `u32` (they wrap after 4 billion reactions
// on one promise).
//
// Rejected alternative: `Arc<Mutex<State>>` for everything. Simplest, but
// every `.await` of a settled promise would lock, and resolving would cost
// three times the atomic operations.

use crate::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering, fence};
use std::fmt::Debug;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::panic::Location;
use std::ptr::NonNull;
use std::task::Waker;

use super::waiters::Waiters;
use crate::sync::{Mutex, UnsafeCell};

// The low bits of `word`: the outcome's kind, then flags.
pub(super) const KIND: usize = 0b0011;
pub(super) const PENDING: usize = 0;
pub(super) const FULFILLED: usize = 1;
pub(super) const REJECTED: usize = 2;
/// `slow` holds something `settle` must deal with (a waker to wake, an
/// adoption edge to drop). Without it, settling never takes the lock.
pub(super) const SLOW: usize = 0b0100;
/// The unhandled-rejection question is answered (reported, or nothing to
/// report): whoever sets this first reports.
pub(super) const REPORT_DONE: usize = 0b1000;
/// The last `Promise` handle is gone. It lives in `word`, next to the
/// state, so that "last handle dropped" and "rejected" are two changes of
/// one atomic: whichever comes second sees the first, and reports.
pub(super) const NO_HANDLES: usize = 0b1_0000;
/// One reference, in the count held by the bits above the flags.
pub(super) const REF: usize = 0b10_0000;

/// The state of a promise, as [`Promise::state`](super::Promise::state)
/// reports it.
///
/// ```
/// use async_primer::promise::{Promise, PromiseState};
///
/// assert_eq!(Promise::<u8>::resolved(1).state(), PromiseState::Fulfilled);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromiseState {
    /// Not settled yet.
    Pending,
    /// Settled with a value.
    Fulfilled,
    /// Settled with an error.
    Rejected,
}

pub(crate) struct Inner<T, E> {
    /// references << 5 | NO_HANDLES | REPORT_DONE | SLOW | kind (see the
    /// constants).
    pub(super) word: AtomicUsize,
    pub(super) observed: AtomicBool,
    pub(super) next_ticket: AtomicU32,
    pub(super) turn: AtomicU32,
    pub(super) handles: AtomicU32,
    pub(super) outcome: UnsafeCell<Option<Result<T, E>>>,
    /// Dropped only if SLOW was ever set (see `Drop for Inner`).
    pub(super) slow: ManuallyDrop<Mutex<Slow<T, E>>>,
    pub(crate) created_at: &'static Location<'static>,
    pub(super) describe: fn(&E) -> String,
}

pub(super) struct Slow<T, E> {
    pub(super) waiters: Waiters,
    /// Rarely needed, so boxed only when needed.
    pub(super) rare: Option<Box<Rare<T, E>>>,
}

pub(super) struct Rare<T, E> {
    /// Reactions that wait for their turn, or finished before it came.
    pub(super) turnstile: Vec<(u32, Turn)>,
    /// The promise this one adopted (is waiting for), while it waits.
    pub(super) following: Option<InnerRef<T, E>>,
}

pub(super) enum Turn {
    Waiting(Waker),
    FinishedEarly,
}

impl<T, E> Slow<T, E> {
    pub(super) fn rare(&mut self) -> &mut Rare<T, E> {
        self.rare.get_or_insert_with(|| {
            Box::new(Rare {
                turnstile: Vec::new(),
                following: None,
            })
        })
    }

    pub(super) fn following(&self) -> Option<InnerRef<T, E>> {
        self.rare.as_ref().and_then(|r| r.following.clone())
    }
}

pub(super) fn describe<E: Debug>(e: &E) -> String {
    format!("{e:?}")
}

impl<T, E> Drop for Inner<T, E> {
    fn drop(&mut self) {
        // Every path that stores something in `slow` (a waker, a turnstile
        // entry, an adoption edge) sets SLOW first, and nothing clears it.
        // Without it, `slow` is empty and owns nothing: skipping its drop
        // saves a call at the end of every promise (measurable in the
        // create-resolve-await benchmark).
        // Relaxed: we own the `Inner` exclusively (`&mut self`).
        if self.word.load(Ordering::Relaxed) & SLOW != 0 {
            // SAFETY: dropped exactly once, here, and never used again.
            unsafe { ManuallyDrop::drop(&mut self.slow) }
        }
    }
}
impl<T, E> Inner<T, E> {
    pub(crate) fn state(&self) -> PromiseState {
        // Acquire: pairs with the Release in `settle`, so a reader that
        // sees a settled state also sees the outcome written before it.
        match self.word.load(Ordering::Acquire) & KIND {
            PENDING => PromiseState::Pending,
            FULFILLED => PromiseState::Fulfilled,
            _ => PromiseState::Rejected,
        }
    }

    pub(crate) fn is_pending(&self) -> bool {
        self.state() == PromiseState::Pending
    }

    /// A copy of the outcome, if settled.
    pub(crate) fn outcome(&self) -> Option<Result<T, E>>
    where
        T: Clone,
        E: Clone,
    {
        (!self.is_pending()).then(|| self.settled_outcome())
    }

    /// A copy of the outcome; the caller saw the state settled.
    // Cloning field by field (not the whole `Option`) builds the result
    // straight in the caller's slot: fewer copies through the stack.
    #[inline]
    pub(crate) fn settled_outcome(&self) -> Result<T, E>
    where
        T: Clone,
        E: Clone,
    {
        // SAFETY: the state is settled (seen with Acquire, after the
        // Release in `settle`), so the outcome was written and is never
        // written again: shared reads are fine.
        self.outcome.with(|p| match unsafe { &*p } {
            Some(Ok(value)) => Ok(value.clone()),
            Some(Err(error)) => Err(error.clone()),
            None => unreachable!("a settled promise has an outcome"),
        })
    }

    /// Settles the promise and gives up the resolver's reference, `this`.
    /// Only the (unique) resolver calls this, once. Wakes every waiter, in
    /// registration order, after releasing the lock (a waker may run
    /// code). `reportable`: whether an unobserved rejection should be
    /// reported as unhandled.
    #[inline]
    pub(crate) fn settle(this: InnerRef<T, E>, outcome: Result<T, E>, reportable: bool) {
        match outcome {
            Ok(value) => Self::fulfil(this, value),
            Err(error) => Self::settle_with(this, REJECTED, reportable, |p| {
                // SAFETY: see `settle_with`.
                unsafe { p.write(Some(Err(error))) }
            }),
        }
    }

    /// `settle(Ok(value))`, written so that the value goes straight into
    /// the cell (no `Result` built on the stack first and copied: that
    /// copy made the CPU stall on a store-forwarding miss).
    #[inline]
    pub(crate) fn fulfil(this: InnerRef<T, E>, value: T) {
        Self::settle_with(this, FULFILLED, true, |p| {
            // SAFETY: see `settle_with`.
            unsafe { p.write(Some(Ok(value))) }
        })
    }

    /// Stores the outcome with `write`, then publishes it as `kind`.
    /// `write` is given the cell, which holds `None` (nothing to drop), and
    /// must fill it; nobody else touches it meanwhile: we are the one
    /// resolver, the only writer, and nobody reads before the state leaves
    /// Pending (below).
    #[inline(always)]
    fn settle_with(
        this: InnerRef<T, E>,
        kind: usize,
        reportable: bool,
        write: impl FnOnce(*mut Option<Result<T, E>>),
    ) {
        debug_assert!(this.is_pending(), "settled twice");
        this.outcome.with_mut(write);
        if kind == FULFILLED {
            // Fast path: nobody waits (no SLOW), so set the kind and drop
            // our reference in one step. The kind bits are 0 while
            // Pending, so adding FULFILLED sets them.
            let mut word = this.word.load(Ordering::Relaxed);
            while word & SLOW == 0 {
                // Release: publishes the outcome (see `state`).
                let new = word - REF + FULFILLED;
                match this.word.compare_exchange_weak(
                    word,
                    new,
                    Ordering::Release,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        let ptr = this.ptr;
                        std::mem::forget(this); // its reference is given up
                        if word & !(REF - 1) == REF {
                            // SAFETY: we held the last reference.
                            unsafe { InnerRef::free(ptr) }
                        }
                        return;
                    }
                    Err(now) => word = now,
                }
            }
        }
        this.settle_slow(kind, reportable);
        // `this` drops here, giving up the reference the usual way.
    }

    /// The rest of `settle`, out of line so the common case stays small.
    #[cold]
    fn settle_slow(&self, kind: usize, reportable: bool) {
        let flags = if reportable { kind } else { kind | REPORT_DONE };
        // Release: publishes the outcome (see `state`). Acquire: if the last
        // handle is gone (NO_HANDLES), see its owners' `observed` stores.
        // `fetch_add` does what `fetch_or` would, because the kind bits and
        // REPORT_DONE are all still 0 while Pending, and it is one
        // instruction on x86 (`fetch_or` that returns the old value is a
        // compare-and-swap loop).
        let before = self.word.fetch_add(flags, Ordering::AcqRel);
        debug_assert_eq!(before & (KIND | REPORT_DONE), 0, "settled twice");
        if before & SLOW != 0 {
            // Someone registered a waker or an adoption edge: take them
            // under the lock (the registration finished before we got it).
            let mut slow = self.slow.lock();
            let waiters = std::mem::take(&mut slow.waiters);
            let following = slow.rare.as_mut().and_then(|r| r.following.take());
            drop(slow);
            waiters.wake_all();
            drop(following);
        }
        // Nobody can observe this rejection any more: report it.
        if kind == REJECTED && before & NO_HANDLES != 0 && !self.observed.load(Ordering::Relaxed) {
            self.report_once();
        }
    }

    /// Registers `waker` unless settled; returns whether settled.
    #[inline]
    pub(crate) fn poll_settled(&self, key: &mut Option<u32>, waker: &Waker) -> bool {
        !self.is_pending() || self.register_waiter(key, waker)
    }

    /// The rest of `poll_settled`, out of line (the settled case, the
    /// common one, is a single load).
    #[cold]
    fn register_waiter(&self, key: &mut Option<u32>, waker: &Waker) -> bool {
        let mut slow = self.slow.lock();
        // Set SLOW first: if `settle` has not settled yet, it will see the
        // flag and take the lock (after us). If it has, we see it settled.
        // Acquire: as in `state`.
        if self.word.fetch_or(SLOW, Ordering::Acquire) & KIND != PENDING {
            return true;
        }
        slow.waiters.register(key, waker);
        false
    }

    /// A waiter goes away before the promise settled: free its slot.
    pub(crate) fn forget_waiter(&self, key: u32) {
        let mut slow = self.slow.lock();
        if self.is_pending() {
            slow.waiters.remove(key);
        }
    }

    // ---- unhandled rejections ----

    /// Someone looked at (or will look at) the outcome.
    pub(crate) fn mark_observed(&self) {
        // Relaxed: made visible to the last handle's owner by the Release
        // decrement of `handles` that follows it on this thread.
        self.observed.store(true, Ordering::Relaxed);
    }

    pub(crate) fn handle_cloned(&self) {
        // Once observed, the count is never looked at again (see
        // `handle_dropped`): skip it. (So it cannot overflow in practice:
        // 4 billion live, unobserved handles would not fit in memory.)
        // Relaxed: a new handle is made from an existing one, which keeps
        // the count above zero meanwhile (as in `Arc::clone`).
        if !self.observed.load(Ordering::Relaxed) {
            self.handles.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[inline]
    pub(crate) fn handle_dropped(&self) {
        // Fast path: once observed, the count no longer matters (nothing
        // will be reported), so it is not even kept up to date.
        if !self.observed.load(Ordering::Relaxed) {
            self.unobserved_handle_dropped();
        }
    }

    #[cold]
    fn unobserved_handle_dropped(&self) {
        // AcqRel: publishes this handle's `observed` store to whoever drops
        // the last handle, and (for the last one) sees all of theirs.
        if self.handles.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        // The last handle: say so in `word`. If the promise is already
        // rejected, we report; if not, `settle_slow` will see the flag.
        // (Two separate atomics here, one for each side, would let both
        // sides miss each other.) AcqRel: as in `settle_slow`.
        let before = self.word.fetch_or(NO_HANDLES, Ordering::AcqRel);
        if before & KIND == REJECTED && !self.observed.load(Ordering::Relaxed) {
            self.report_once();
        }
    }

    fn report_once(&self) {
        // Whoever sets the flag first reports; the other finds it set.
        // Relaxed: only the flag itself is decided here.
        if self.word.fetch_or(REPORT_DONE, Ordering::Relaxed) & REPORT_DONE != 0 {
            return;
        }
        // SAFETY: only called when Rejected: the outcome is written for good.
        let text = self.outcome.with(|p| match unsafe { &*p } {
            Some(Err(e)) => (self.describe)(e),
            _ => String::new(),
        });
        super::unhandled::report(self.created_at, &text);
    }
}

// --- InnerRef: the counted reference (was inner_ref.rs) ----------------------
// `InnerRef`: a counted reference to a promise's shared state.
//
// How it works
// ------------
// A small `Arc` of our own: the count lives in the high bits of
// `Inner::word`, next to the state, so that the common "resolve, nobody is
// waiting yet" is one compare-and-swap that both settles the promise and
// drops the resolver's reference (see `Inner::settle_with`). Cloning adds
// `REF`, dropping subtracts it, and whoever takes the count to zero frees
// the allocation, after an Acquire fence (as `std::sync::Arc` does).
//
// Rejected alternative: `std::sync::Arc<Inner>` plus a separate state
// word: resolve-and-await then took four atomic read-modify-writes instead
// of two, and lost to tokio's oneshot in the benchmark.

/// A counted reference to an [`Inner`]: a small `Arc` whose count lives in
/// `Inner::word`, next to the state, so one atomic operation can change
/// both (see `settle`).
pub(crate) struct InnerRef<T, E> {
    pub(super) ptr: NonNull<Inner<T, E>>,
    _owns: PhantomData<Inner<T, E>>,
}

// SAFETY: an `InnerRef` gives `&Inner` to whichever thread holds it, and
// the last one to drop it drops the `Inner` (a `T` and an `E`) there. The
// outcome cell is written once, by the one resolver, while Pending, and
// only read after a reader saw the state settled with Acquire (ordering
// the write before every read). So this shares `&T`/`&E` across threads
// (needs Sync) and moves `T`/`E` between them (needs Send). Everything
// else in `Inner` is atomics or behind a mutex.
unsafe impl<T: Send + Sync, E: Send + Sync> Send for InnerRef<T, E> {}
// SAFETY: see above.
unsafe impl<T: Send + Sync, E: Send + Sync> Sync for InnerRef<T, E> {}
// A pointer: moving it never moves the `Inner`.
impl<T, E> Unpin for InnerRef<T, E> {}

impl<T, E> InnerRef<T, E> {
    /// A new state with no outcome yet, and `refs` references to it (1 or
    /// 2), made without an atomic read-modify-write. (Passing the outcome
    /// in here instead would copy it through the stack, which made the CPU
    /// stall on a store-forwarding miss: the caller writes it afterwards.)
    #[inline]
    fn alloc(kind: usize, refs: usize, at: &'static Location<'static>) -> NonNull<Inner<T, E>>
    where
        E: Debug,
    {
        // Allocate first, then write: this lets the compiler build the
        // `Inner` in place instead of on the stack and then copying it
        // (a measurable part of creating a promise).
        let mut slot = Box::<Inner<T, E>>::new_uninit();
        slot.write(Inner {
            word: AtomicUsize::new((refs * REF) | kind),
            observed: AtomicBool::new(false),
            next_ticket: AtomicU32::new(0),
            turn: AtomicU32::new(0),
            handles: AtomicU32::new(1),
            outcome: UnsafeCell::new(None),
            slow: ManuallyDrop::new(Mutex::new(Slow {
                waiters: Waiters::Empty,
                rare: None,
            })),
            created_at: at,
            describe: describe::<E>,
        });
        // SAFETY: written just above.
        let inner = unsafe { slot.assume_init() };
        NonNull::from(Box::leak(inner))
    }

    /// A pending state and two references: the promise's and the resolver's.
    #[inline]
    pub(crate) fn new_pending(at: &'static Location<'static>) -> (Self, Self)
    where
        E: Debug,
    {
        let ptr = Self::alloc(PENDING, 2, at);
        let one = || InnerRef {
            ptr,
            _owns: PhantomData,
        };
        (one(), one())
    }

    /// A settled state and its one reference.
    #[inline]
    pub(crate) fn new_settled(outcome: Result<T, E>, at: &'static Location<'static>) -> Self
    where
        E: Debug,
    {
        let kind = if outcome.is_ok() { FULFILLED } else { REJECTED };
        let this = InnerRef {
            ptr: Self::alloc(kind, 1, at),
            _owns: PhantomData,
        };
        // SAFETY: nobody else has a reference yet.
        this.outcome.with_mut(|p| unsafe { p.write(Some(outcome)) });
        this
    }

    pub(crate) fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.ptr == b.ptr
    }

    /// Frees the `Inner`; `word` said we held the last reference.
    ///
    /// # Safety
    /// The caller held the last reference and has given it up.
    pub(super) unsafe fn free(ptr: NonNull<Inner<T, E>>) {
        // Acquire: pairs with the Release decrements of every other
        // reference, so all their uses happen before the drop.
        fence(Ordering::Acquire);
        // SAFETY: made by `Box::leak` in `new`; the count reached zero, so
        // no reference remains (the caller's promise).
        drop(unsafe { Box::from_raw(ptr.as_ptr()) });
    }
}

impl<T, E> Deref for InnerRef<T, E> {
    type Target = Inner<T, E>;
    fn deref(&self) -> &Inner<T, E> {
        // SAFETY: we hold a counted reference, and the `Inner` is freed
        // only when the count reaches zero.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T, E> Clone for InnerRef<T, E> {
    fn clone(&self) -> Self {
        // Relaxed: a new reference is made from one we hold (as in Arc).
        let before = self.word.fetch_add(REF, Ordering::Relaxed);
        if before > usize::MAX / 2 {
            // Billions of references: something leaks them; stop before
            // the count could wrap around (std's Arc does the same).
            std::process::abort();
        }
        InnerRef {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T, E> Drop for InnerRef<T, E> {
    fn drop(&mut self) {
        // Release: our uses of the `Inner` happen before whoever frees it.
        if self.word.fetch_sub(REF, Ordering::Release) & !(REF - 1) == REF {
            // SAFETY: that was the last reference, and we gave it up.
            unsafe { Self::free(self.ptr) }
        }
    }
}
