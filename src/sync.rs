//! The one place that chooses between `std` and `loom`.
//!
//! Everything in the crate that is shared between threads imports its
//! atomics, `Arc`, `Mutex`, `Condvar`, `thread` and `UnsafeCell` from here.
//! A normal build gets the `std` types. A build with
//! `RUSTFLAGS="--cfg async_primer_loom"` gets [loom]'s instrumented copies,
//! which let the loom model tests in `tests/loom_*.rs` explore every
//! interleaving of the threads they start.
//!
//! Why a crate-specific cfg and not the customary `--cfg loom`: that flag is
//! global, so it would also switch `futures`, `tokio` and every other crate
//! in the build into *their* loom modes, which we neither need nor want to
//! compile. `async_primer_loom` touches only this crate.
//!
//! Two small differences from `std`, made on purpose:
//!
//! * [`Mutex::lock`] never returns a poison error. A panicking callback
//!   must leave an emitter or a promise usable (see DESIGN.md: "no poisoned
//!   state"), so every lock in the crate takes the data back from a poisoned
//!   mutex. Our critical sections never run user code, so the data inside
//!   is always consistent when a panic unwinds past a lock.
//! * [`UnsafeCell`] has loom's closure-based `with` / `with_mut` API in both
//!   builds, so that loom can check every access for data races.
//!
//! [loom]: https://docs.rs/loom

#![allow(dead_code, unused_imports)]

#[cfg(not(async_primer_loom))]
mod imp {
    pub(crate) use std::sync::Arc;
    pub(crate) use std::sync::atomic;
    pub(crate) use std::thread;
    pub(crate) use std::thread_local;

    pub(crate) type StdMutex<T> = std::sync::Mutex<T>;
    pub(crate) type StdCondvar = std::sync::Condvar;
    /// The guard returned by [`super::Mutex::lock`].
    pub(crate) type MutexGuard<'a, T> = std::sync::MutexGuard<'a, T>;

    /// `std::cell::UnsafeCell` with loom's `with` / `with_mut` API.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }

        pub(crate) fn into_inner(self) -> T {
            self.0.into_inner()
        }
    }

    impl<T: ?Sized> UnsafeCell<T> {
        /// Gives `f` a shared raw pointer; the caller promises no `&mut`
        /// to the value exists while `f` runs.
        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Gives `f` a unique raw pointer; the caller promises no other
        /// reference to the value exists while `f` runs.
        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

#[cfg(async_primer_loom)]
mod imp {
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::Arc;
    pub(crate) use loom::sync::atomic;
    pub(crate) use loom::thread;
    pub(crate) use loom::thread_local;

    pub(crate) type StdMutex<T> = loom::sync::Mutex<T>;
    pub(crate) type StdCondvar = loom::sync::Condvar;
    /// The guard returned by [`super::Mutex::lock`].
    pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;
}

pub(crate) use imp::{Arc, MutexGuard, UnsafeCell, atomic, thread, thread_local};

/// A mutex whose `lock` cannot fail: poisoning is ignored (see the module
/// docs for why that is sound here).
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(imp::StdMutex<T>);

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Mutex(imp::StdMutex::new(value))
    }

    /// Locks, taking the data back even if an earlier holder panicked.
    #[inline]
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Locks only if nobody holds the lock right now.
    pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        match self.0.try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    pub(crate) fn into_inner(self) -> T {
        self.0
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A condition variable paired with [`Mutex`]; like it, it ignores poison.
#[derive(Debug, Default)]
pub(crate) struct Condvar(imp::StdCondvar);

impl Condvar {
    pub(crate) fn new() -> Self {
        Condvar(imp::StdCondvar::new())
    }

    pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.0
            .wait(guard)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for a notification or until `timeout` passes. (Under loom the
    /// timeout is ignored: loom has no clock, so it behaves like `wait`.)
    pub(crate) fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: std::time::Duration,
    ) -> MutexGuard<'a, T> {
        match self.0.wait_timeout(guard, timeout) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    pub(crate) fn notify_one(&self) {
        self.0.notify_one()
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify_all()
    }
}

/// `thread_local!` with a constant initializer. With `std` it is the fast
/// `const { .. }` form (no lazy-initialisation check on every access); loom's
/// `thread_local!` has no const form, so there it is an ordinary one.
///
/// ```ignore
/// crate::sync::const_thread_local! {
///     static CURRENT: Cell<*const Core> = Cell::new(std::ptr::null());
/// }
/// ```
#[cfg(not(async_primer_loom))]
macro_rules! const_thread_local {
    ($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;) => {
        std::thread_local! { $(#[$attr])* static $name: $t = const { $init }; }
    };
}

#[cfg(async_primer_loom)]
macro_rules! const_thread_local {
    ($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;) => {
        loom::thread_local! { $(#[$attr])* static $name: $t = $init; }
    };
}

pub(crate) use const_thread_local;

/// A value kept in a thread-local that has no destructor of its own, so
/// that reading the thread-local skips the "is it still alive?" check
/// (std checks that on every access to a thread-local with a destructor).
/// The value is then dropped by hand, from another thread-local's
/// destructor. With std it is [`std::mem::ManuallyDrop`]. Under loom it
/// drops normally: loom takes every thread-local of a thread away before it
/// drops any of them, so that other destructor could not reach it.
pub(crate) struct NoDestructor<T>(
    #[cfg(not(async_primer_loom))] std::mem::ManuallyDrop<T>,
    #[cfg(async_primer_loom)] T,
);

impl<T> NoDestructor<T> {
    #[inline(always)]
    pub(crate) fn new(value: T) -> NoDestructor<T> {
        #[cfg(not(async_primer_loom))]
        let value = std::mem::ManuallyDrop::new(value);
        NoDestructor(value)
    }

    #[inline(always)]
    pub(crate) fn into_inner(self) -> T {
        #[cfg(not(async_primer_loom))]
        return std::mem::ManuallyDrop::into_inner(self.0);
        #[cfg(async_primer_loom)]
        self.0
    }
}

/// A loom-only witness for the free of a counted allocation.
///
/// Loom checks every access to its `UnsafeCell`s for data races, but not
/// the free of a plain allocation: a `Relaxed` decrement in a hand-made
/// reference count (the task header, the promise state) passes every model,
/// although "Release on decrement, Acquire before free" is exactly what
/// such a count must get right. So every counted allocation that frees
/// itself holds one of these: each holder calls [`FreeCheck::last_use`]
/// just before it gives up its reference, and the free calls
/// [`FreeCheck::freed`], a write. Under loom that write races with any
/// `last_use` that does not happen-before it, and the model fails with a
/// causality violation. In a normal build it is zero-sized and both calls
/// are no-ops. (Seeded bugs `exec-release-relaxed`, `exec-waker-drop-relaxed`,
/// `promise-ref-drop-relaxed` in tests/seeded_bugs/ are caught through it.)
#[derive(Debug, Default)]
pub(crate) struct FreeCheck {
    #[cfg(async_primer_loom)]
    cell: loom::cell::UnsafeCell<()>,
}

impl FreeCheck {
    pub(crate) fn new() -> FreeCheck {
        FreeCheck::default()
    }

    /// This holder is about to give up its reference: its uses so far
    /// must happen before the free.
    #[inline(always)]
    pub(crate) fn last_use(&self) {
        #[cfg(async_primer_loom)]
        self.cell.with(|_| ());
    }

    /// The allocation is being freed (after the last reference was given
    /// up): a write that must come after every holder's `last_use`.
    #[inline(always)]
    pub(crate) fn freed(&self) {
        #[cfg(async_primer_loom)]
        self.cell.with_mut(|_| ());
    }
}

/// True when a guard that restores a thread-local on drop should leave it
/// alone: under loom, while a panic unwinds. Loom reports a deadlock by
/// panicking from inside its scheduler, and touching one of its
/// thread-locals during that unwinding aborts the whole test binary, which
/// hides every other model's result. The model is over at that point, so
/// the stale pointer is never read. Always false in a normal build.
#[inline(always)]
pub(crate) fn skip_thread_local_cleanup() -> bool {
    cfg!(async_primer_loom) && std::thread::panicking()
}
