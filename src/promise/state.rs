//! The state every handle of one promise shares: one allocation.
//!
// How it works
// ------------
//
// ```text
//              settle(Ok)  ──> Fulfilled ─┐  waiters woken, each parked
//   Pending ──┤                           ├─ reaction dispatched as a
//              settle(Err) ──> Rejected  ─┘  microtask (home.rs); final
//      │
//      └─ while Pending: wakers (`.await`) and reactions park in `slow`;
//         `follow` records the adoption edge used to find cycles
// ```
//
// * `word` holds the [`PromiseState`] (two bits) and three flags. The
//   state leaves Pending once, with a Release that publishes `outcome`,
//   which was written just before by the one resolver; a reader that sees
//   it settled (Acquire) clones the outcome without a lock. Awaiting a
//   settled promise is one atomic load.
// * `slow` (a mutex) holds what waits: wakers, parked reactions, the
//   adoption edge. The SLOW flag says it holds something, so a settle that
//   nobody waits for never takes the lock.
// * `handles` counts user-visible `Promise` clones, so "the last handle
//   was dropped" can be told apart from "a reaction still holds the state"
//   (unhandled rejections). The last one sets NO_HANDLES in `word`, so it
//   and a concurrent rejection change one atomic: one of them sees the other.
//
// Rejected alternative: everything under one `Mutex<State>`: simplest, but
// every `.await` of a settled promise would lock. The reference count is
// our own; see the `// Speed:` section at the end for why.

use std::fmt::Debug;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::panic::Location;
use std::ptr::NonNull;
use std::task::Waker;

use super::home::{self, Parked};
use super::waiters::Waiters;
use crate::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use crate::sync::{FreeCheck, Mutex, UnsafeCell};

const KIND: usize = 0b0011;
const PENDING: usize = 0;
const FULFILLED: usize = 1;
const REJECTED: usize = 2;
/// `slow` holds something `settle` must deal with.
const SLOW: usize = 0b0100;
/// The unhandled-rejection question is answered; whoever sets it reports.
const REPORT_DONE: usize = 0b1000;
/// The last `Promise` handle is gone.
const NO_HANDLES: usize = 0b1_0000;
/// One reference, in the count held by the bits above the flags.
const REF: usize = 0b10_0000;

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
    /// references << 5 | NO_HANDLES | REPORT_DONE | SLOW | kind.
    word: AtomicUsize,
    observed: AtomicBool,
    handles: AtomicUsize,
    outcome: UnsafeCell<Option<Result<T, E>>>,
    /// Dropped only if SLOW was ever set (see `Drop for Inner`).
    slow: ManuallyDrop<Mutex<Slow<T, E>>>,
    pub(crate) created_at: &'static Location<'static>,
    describe: fn(&E) -> String,
    /// Zero-sized; under loom it checks that the free comes after every
    /// reference's last use (see `FreeCheck` in src/sync.rs).
    free_check: FreeCheck,
}

struct Slow<T, E> {
    waiters: Waiters,
    /// Parked reactions, in registration order: the first inline (most
    /// promises have one, and a `Vec` would cost an allocation each).
    first: Option<Parked>,
    more: Vec<Parked>,
    /// The promise this one follows, while it waits (cycle detection).
    following: Option<Ref<T, E>>,
}

fn describe<E: Debug>(e: &E) -> String {
    format!("{e:?}")
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
    pub(crate) fn settled_outcome(&self) -> Result<T, E>
    where
        T: Clone,
        E: Clone,
    {
        // SAFETY: settled (seen with Acquire), so written and never again.
        self.outcome.with(|p| match unsafe { &*p } {
            Some(Ok(value)) => Ok(value.clone()),
            Some(Err(error)) => Err(error.clone()),
            None => unreachable!("a settled promise has an outcome"),
        })
    }

    /// Settles and gives up the resolver's reference, `this`. Only the
    /// (unique) resolver calls this, once. `reportable`: whether an
    /// unobserved rejection should be reported as unhandled.
    #[inline]
    pub(crate) fn settle(this: Ref<T, E>, outcome: Result<T, E>, reportable: bool) {
        match outcome {
            Ok(value) => Self::fulfil(this, value, reportable),
            // SAFETY: see `settle_with`.
            Err(e) => Self::settle_with(this, REJECTED, reportable, |p| unsafe {
                p.write(Some(Err(e)))
            }),
        }
    }

    /// `settle(Ok(value))`, with the value written straight into the cell
    /// (building the `Result` on the stack first and copying it made the
    /// CPU stall on a store-forwarding miss: part of the Speed section).
    #[inline]
    pub(crate) fn fulfil(this: Ref<T, E>, value: T, reportable: bool) {
        // SAFETY: see `settle_with`.
        Self::settle_with(this, FULFILLED, reportable, |p| unsafe {
            p.write(Some(Ok(value)))
        })
    }

    /// Stores the outcome with `write`, then publishes it as `kind`.
    /// `write` gets the cell, which holds `None` (nothing to drop), and
    /// must fill it: we are the only writer, and nobody reads before the
    /// state leaves Pending (below).
    #[inline(always)]
    fn settle_with(
        this: Ref<T, E>,
        kind: usize,
        reportable: bool,
        write: impl FnOnce(*mut Option<Result<T, E>>),
    ) {
        debug_assert!(this.is_pending(), "settled twice");
        this.outcome.with_mut(write);
        if kind == FULFILLED && Ref::settle_fast(&this) {
            std::mem::forget(this); // its reference was given up
            return;
        }
        this.settle_slow(kind, reportable);
        // `this` drops here, giving up the reference the usual way.
    }

    /// The rest of `settle`, out of line so the common case stays small.
    #[cold]
    fn settle_slow(&self, kind: usize, reportable: bool) {
        let this = self;
        let flags = if reportable { kind } else { kind | REPORT_DONE };
        // Release: publishes the outcome (see `state`). Acquire: if the last
        // handle is gone, see its owners' `observed` stores. (`fetch_add`
        // = `fetch_or` here: the kind bits and REPORT_DONE are still 0.)
        let before = this.word.fetch_add(flags, Ordering::AcqRel);
        if before & SLOW != 0 {
            // Registrations finished before we got the lock, and later
            // ones see the state settled: take everything.
            let mut slow = this.slow.lock();
            let waiters = std::mem::take(&mut slow.waiters);
            let (first, more) = (slow.first.take(), std::mem::take(&mut slow.more));
            let following = slow.following.take();
            drop(slow);
            waiters.wake_all();
            // In registration order (A+ 2.2.6).
            first.into_iter().chain(more).for_each(home::dispatch);
            drop(following);
        }
        if kind == REJECTED && before & NO_HANDLES != 0 && !this.observed.load(Ordering::Relaxed) {
            this.report_once();
        }
    }

    /// Raises SLOW and locks, unless settled (then `None`).
    fn lock_pending(&self) -> Option<crate::sync::MutexGuard<'_, Slow<T, E>>> {
        if !self.is_pending() {
            return None;
        }
        let slow = self.slow.lock();
        // SLOW first: a settle not yet done will see it and take the lock
        // (after us). Acquire: as in `state`.
        (self.word.fetch_or(SLOW, Ordering::Acquire) & KIND == PENDING).then_some(slow)
    }

    /// Registers `waker` unless settled; returns whether settled.
    pub(crate) fn poll_settled(&self, key: &mut Option<u32>, waker: &Waker) -> bool {
        match self.lock_pending() {
            Some(mut slow) => {
                slow.waiters.register(key, waker);
                false
            }
            None => true,
        }
    }

    /// A waiter goes away before the promise settled: free its slot.
    pub(crate) fn forget_waiter(&self, key: u32) {
        if let Some(mut slow) = self.lock_pending() {
            slow.waiters.remove(key);
        }
    }

    /// Parks `job` until the promise settles; gives it back if settled.
    pub(crate) fn park(&self, job: Box<dyn FnOnce()>) -> Option<Box<dyn FnOnce()>> {
        match self.lock_pending() {
            Some(mut slow) => {
                let parked = home::park(job);
                match slow.first {
                    None => slow.first = Some(parked),
                    Some(_) => slow.more.push(parked),
                }
                None
            }
            None => Some(job),
        }
    }

    /// Records that `this` now follows `target`; false if that would be a
    /// cycle (A+ 2.3.1; then nothing is recorded). The edge is written
    /// *before* walking, so two promises adopting each other at once on
    /// two threads cannot both miss the cycle. Each walk ends at a promise
    /// that follows nobody, and the edge is pointed straight there (path
    /// compression), so chains stay short to walk and to drop.
    pub(crate) fn follow(this: &Ref<T, E>, target: &Ref<T, E>) -> bool {
        match this.lock_pending() {
            Some(mut slow) => slow.following = Some(target.clone()),
            None => return true,
        }
        let mut current = target.clone();
        loop {
            if Ref::ptr_eq(&current, this) {
                this.slow.lock().following = None;
                return false;
            }
            let next = current.slow.lock().following.clone();
            match next {
                Some(next) => current = next,
                None => break,
            }
        }
        let mut slow = this.slow.lock();
        if slow.following.is_some() {
            slow.following = Some(current);
        }
        true
    }

    // ---- unhandled rejections ----

    /// Someone looked at (or will look at) the outcome.
    pub(crate) fn mark_observed(&self) {
        // Relaxed: made visible to the last handle's owner by the Release
        // decrement of `handles` that follows it on this thread.
        self.observed.store(true, Ordering::Relaxed);
    }

    pub(crate) fn handle_cloned(&self) {
        // Relaxed: made from an existing handle (as in `Arc::clone`). Once
        // observed, the count is never looked at again: skipped.
        if !self.observed.load(Ordering::Relaxed) {
            self.handles.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn handle_dropped(&self) {
        if self.observed.load(Ordering::Relaxed) {
            return; // nothing will be reported: the count no longer matters
        }
        // AcqRel: publishes this handle's `observed` store to whoever drops
        // the last handle, and (for the last one) sees all of theirs.
        if self.handles.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        // AcqRel: as in `settle`.
        let before = self.word.fetch_or(NO_HANDLES, Ordering::AcqRel);
        if before & KIND == REJECTED && !self.observed.load(Ordering::Relaxed) {
            self.report_once();
        }
    }

    fn report_once(&self) {
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

impl<T, E> Drop for Inner<T, E> {
    fn drop(&mut self) {
        // Every path that stores something in `slow` sets SLOW first
        // (`lock_pending`), and nothing clears it; without it `slow` owns
        // nothing, and skipping its drop is part of the Speed section.
        // Relaxed: we own the `Inner` exclusively (`&mut self`).
        if self.word.load(Ordering::Relaxed) & SLOW != 0 {
            // SAFETY: dropped exactly once, here, and never used again.
            unsafe { ManuallyDrop::drop(&mut self.slow) }
        }
    }
}

// Speed: ---------------------------------------------------------------------
// `Ref` is a small `Arc` of our own, with the count in `word`, next to the
// state, so that the common "resolve, nobody waits yet" is one
// compare-and-swap that both settles the promise and drops the resolver's
// reference, and a new promise starts with two references without an
// atomic read-modify-write; `slow` is dropped only if it was used, and the
// value is written straight into its cell. Measured with
// `cargo bench --bench peers -- promise_resolve_await` (2-core EPYC, 21
// rounds, median): with std's `Arc` (and without the other two) 42.7 ns
// per create+resolve+await; with this section 22.3 ns (tokio's oneshot:
// 38 ns; before issue 10: 20.1 ns). The `then` chain was not slower with
// `Arc`. A loss far above 10%, so the count stays, here and only here.

/// A counted reference to an [`Inner`]; see the Speed section above.
pub(crate) struct Ref<T, E> {
    ptr: NonNull<Inner<T, E>>,
    _owns: PhantomData<Inner<T, E>>,
}

// SAFETY: a `Ref` gives `&Inner` to whichever thread holds it, and the last
// one drops the `Inner` (a `T` and an `E`) there. The outcome is written
// once, by the one resolver, while Pending, and only read after a reader
// saw the state settled with Acquire. So this shares `&T`/`&E` across
// threads (needs Sync) and moves them (needs Send). The rest of `Inner` is
// atomics or behind a mutex.
unsafe impl<T: Send + Sync, E: Send + Sync> Send for Ref<T, E> {}
// SAFETY: see above.
unsafe impl<T: Send + Sync, E: Send + Sync> Sync for Ref<T, E> {}
// A pointer: moving it never moves the `Inner`.
impl<T, E> Unpin for Ref<T, E> {}

impl<T, E> Ref<T, E> {
    /// A new state holding `refs` references (1 or 2), built in place.
    pub(crate) fn new(
        outcome: Option<Result<T, E>>,
        refs: usize,
        at: &'static Location<'static>,
    ) -> Self
    where
        E: Debug,
    {
        let kind = match &outcome {
            None => PENDING,
            Some(Ok(_)) => FULFILLED,
            Some(Err(_)) => REJECTED,
        };
        let mut slot = Box::<Inner<T, E>>::new_uninit();
        slot.write(Inner {
            word: AtomicUsize::new((refs * REF) | kind),
            observed: AtomicBool::new(false),
            handles: AtomicUsize::new(1),
            outcome: UnsafeCell::new(outcome),
            slow: ManuallyDrop::new(Mutex::new(Slow {
                waiters: Waiters::Empty,
                first: None,
                more: Vec::new(),
                following: None,
            })),
            created_at: at,
            describe: describe::<E>,
            free_check: FreeCheck::new(),
        });
        // SAFETY: written just above.
        let inner = unsafe { slot.assume_init() };
        Ref {
            ptr: NonNull::from(Box::leak(inner)),
            _owns: PhantomData,
        }
    }

    /// A second `Ref` to a state made with two references.
    pub(crate) fn second(&self) -> Self {
        Ref {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }

    pub(crate) fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.ptr == b.ptr
    }

    /// Frees the `Inner`.
    ///
    /// # Safety
    /// The caller held the last reference and has given it up.
    unsafe fn free(ptr: NonNull<Inner<T, E>>) {
        // Acquire: pairs with the Release decrements of every other
        // reference, so all their uses happen before the drop.
        fence(Ordering::Acquire);
        // SAFETY: no reference remains; this one ends before the free.
        unsafe { ptr.as_ref() }.free_check.freed();
        // SAFETY: made by `Box::leak` in `new`; no reference remains.
        drop(unsafe { Box::from_raw(ptr.as_ptr()) });
    }
}

impl<T, E> Ref<T, E> {
    /// Fulfilled with nobody waiting (no SLOW): set the kind and drop the
    /// caller's reference, `this`, in one step. False if SLOW is set; then
    /// nothing changed. On true the caller must forget `this`. (Not a
    /// method of `Inner`: a `&self` argument would still be live when the
    /// `Inner` is freed, which Miri rightly reports.)
    #[inline]
    fn settle_fast(this: &Self) -> bool {
        this.free_check.last_use();
        let mut word = this.word.load(Ordering::Relaxed);
        while word & SLOW == 0 {
            // Release: publishes the outcome (see `state`). The kind bits
            // are 0 while Pending, so adding FULFILLED sets them.
            let new = word - REF + FULFILLED;
            match this
                .word
                .compare_exchange_weak(word, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => {
                    if word & !(REF - 1) == REF {
                        // SAFETY: we held the last reference, given up above.
                        unsafe { Ref::free(this.ptr) }
                    }
                    return true;
                }
                Err(now) => word = now,
            }
        }
        false
    }
}

impl<T, E> Deref for Ref<T, E> {
    type Target = Inner<T, E>;
    fn deref(&self) -> &Inner<T, E> {
        // SAFETY: we hold a counted reference; the `Inner` is freed only
        // when the count reaches zero.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T, E> Clone for Ref<T, E> {
    fn clone(&self) -> Self {
        // Relaxed: a new reference is made from one we hold (as in Arc).
        if self.word.fetch_add(REF, Ordering::Relaxed) > usize::MAX / 2 {
            std::process::abort(); // billions of leaked references (as Arc)
        }
        self.second()
    }
}

impl<T, E> Drop for Ref<T, E> {
    fn drop(&mut self) {
        self.free_check.last_use();
        // Release: our uses of the `Inner` happen before whoever frees it.
        if self.word.fetch_sub(REF, Ordering::Release) & !(REF - 1) == REF {
            // SAFETY: that was the last reference, and we gave it up.
            unsafe { Ref::free(self.ptr) }
        }
    }
}
