//! `InnerRef`: a counted reference to a promise's shared state.
//!
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

use std::fmt::Debug;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::panic::Location;
use std::ptr::NonNull;

use super::inner::{FULFILLED, Inner, PENDING, REF, REJECTED, Slow, describe};
use super::waiters::Waiters;
use crate::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering, fence};
use crate::sync::{Mutex, UnsafeCell};

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
