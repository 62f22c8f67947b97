//! The async `Mutex`: its user docs are on the type; how it works is below.

// How it works
//
//   Unlocked (1 permit free) ──lock: take the permit──> Locked
//   Locked ──unlock, nobody waiting──> Unlocked
//   Locked ──unlock, a waiter in line──> Locked, now by that waiter (hand-over:
//             the permit never becomes free, so nobody can barge in)
//
// The data lives in an `UnsafeCell`; a `MutexGuard` exists only while its
// task holds the one permit, which is what makes `&mut T` through it sound.
//
// Rejected: a separate implementation with an atomic "locked" flag; the
// semaphore already has the FIFO line, the hand-over and cancel-safety, and
// is loom-checked; a second copy would be a second place to get them wrong.

use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::permits::{Permits, Ticket};
use crate::sync::UnsafeCell;

/// An async mutex: one task at a time gets the data, and the guard may be
/// held across `.await`. Tasks that find it locked wait in line (FIFO) and
/// the lock is handed straight to the first of them on unlock.
///
/// ```
/// use async_primer::locks::Mutex;
/// use std::sync::Arc;
///
/// async_primer::block_on(async {
///     let log = Arc::new(Mutex::new(Vec::new()));
///     let mut tasks = Vec::new();
///     for i in 0..3 {
///         let log = log.clone();
///         tasks.push(async_primer::spawn(async move {
///             let mut guard = log.lock().await;
///             guard.push(format!("{i} in"));
///             async_primer::yield_now().await; // others run, but cannot get in
///             guard.push(format!("{i} out"));
///         }));
///     }
///     for t in tasks {
///         t.await.unwrap();
///     }
///     // Each task's two lines are together: nobody got in between.
///     assert_eq!(*log.lock().await, ["0 in", "0 out", "1 in", "1 out", "2 in", "2 out"]);
/// });
/// ```
///
/// **Why not `std::sync::Mutex` across an `.await`?** A std guard held over
/// a suspension point keeps the lock while the task sleeps. Another task on
/// the same thread that calls `lock()` then *blocks the thread*, and on a
/// single-threaded executor that thread is the one the sleeping task needs
/// to finish and unlock: the program deadlocks, silently. (On a
/// multi-threaded runtime the std guard is also not `Send`, so the future
/// cannot even be spawned: the compiler catches it there.) This mutex
/// never blocks: a task that finds it locked returns `Pending` and leaves
/// its waker in the line; the unlock wakes it. A std mutex is still the
/// right tool when the guard is dropped before the next `.await` (it is
/// faster); this one is for critical sections that must wait inside.
///
/// **Fair and cancel-safe.** Waiters get the lock in the order they asked.
/// A `lock()` future dropped while waiting leaves the line; one dropped
/// after the lock was handed to it (woken but not yet polled) passes the
/// lock on to the next waiter, so the lock is never lost or stuck.
///
/// **No poisoning.** A task that panics while holding the guard unlocks on
/// the way out (the guard's `Drop` runs); the data may be half-updated, as
/// with tokio's mutex, so keep invariants simple in code that may panic.
///
/// How it works: a semaphore with one permit (`src/locks/permits.rs`) plus
/// the data in an `UnsafeCell`; holding the permit is holding the lock. The
/// guide is [`crate::guide::ch11_locks`]; the interleavings are checked by
/// `tests/loom_locks.rs` (`mutex_*`).
///
/// Left out, compared with tokio's `Mutex`: owned guards (`lock_owned`),
/// `MutexGuard::map`, `blocking_lock`, `const_new`, `?Sized` data, and
/// `TryLockError` (`try_lock` returns an `Option`).
pub struct Mutex<T> {
    permits: Permits,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through a guard, and one guard exists
// at a time (the single permit); moving the mutex moves the value, and
// sharing it hands `&mut T` to one thread at a time: `T: Send` suffices,
// as for `std::sync::Mutex`.
unsafe impl<T: Send> Send for Mutex<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// A new, unlocked mutex holding `value`.
    ///
    /// ```
    /// let m = async_primer::locks::Mutex::new("data");
    /// assert!(m.try_lock().is_some());
    /// ```
    pub fn new(value: T) -> Self {
        Mutex {
            permits: Permits::new(1),
            value: UnsafeCell::new(value),
        }
    }

    /// Waits until the lock is free (and every earlier waiter has had its
    /// turn), then locks it. The guard unlocks on drop.
    ///
    /// ```
    /// let m = async_primer::locks::Mutex::new(0);
    /// async_primer::block_on(async {
    ///     let mut g = m.lock().await;
    ///     *g = 5;
    /// });
    /// assert_eq!(*m.try_lock().unwrap(), 5);
    /// ```
    pub fn lock(&self) -> Lock<'_, T> {
        Lock {
            mutex: self,
            ticket: Ticket::new(1),
        }
    }

    /// Locks now if the mutex is free and nobody is waiting for it.
    ///
    /// ```
    /// let m = async_primer::locks::Mutex::new(0);
    /// let g = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_none()); // held
    /// drop(g);
    /// assert!(m.try_lock().is_some());
    /// ```
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.permits.try_take(1).then(|| MutexGuard { mutex: self })
    }

    /// The data, without locking: `&mut self` proves nobody else can lock.
    ///
    /// ```
    /// let mut m = async_primer::locks::Mutex::new(1);
    /// *m.get_mut() = 2;
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` means no guard borrows the mutex, so no other
        // reference to the value exists.
        self.value.with_mut(|v| unsafe { &mut *v })
    }

    /// Consumes the mutex and returns the data.
    ///
    /// ```
    /// let m = async_primer::locks::Mutex::new(vec![1]);
    /// assert_eq!(m.into_inner(), [1]);
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Future of [`Mutex::lock`]. Dropping it is always safe: it leaves the
/// line, or passes on a lock that was already handed to it.
///
/// ```
/// use std::future::Future;
/// use std::task::{Context, Waker};
/// let m = async_primer::locks::Mutex::new(());
/// let held = m.try_lock().unwrap();
/// let mut waiting = Box::pin(m.lock());
/// assert!(waiting.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
/// drop(held); // hands the lock to `waiting`...
/// drop(waiting); // ...which passes it on: the mutex is free again
/// assert!(m.try_lock().is_some());
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Lock<'a, T> {
    mutex: &'a Mutex<T>,
    ticket: Ticket,
}

impl<'a, T> Future for Lock<'a, T> {
    type Output = MutexGuard<'a, T>;

    #[track_caller]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let this = &mut *self;
        let mutex = this.mutex;
        this.ticket
            .poll(&mutex.permits, cx, "Mutex::lock")
            .map(|()| MutexGuard { mutex })
    }
}

impl<T> Drop for Lock<'_, T> {
    fn drop(&mut self) {
        self.ticket.cancel(&self.mutex.permits);
    }
}

impl<T> fmt::Debug for Lock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("ticket", &self.ticket)
            .finish()
    }
}

/// Access to the data of a locked [`Mutex`]; unlocks when dropped (handing
/// the lock to the first waiting task, if any). May be held across `.await`.
///
/// ```
/// let m = async_primer::locks::Mutex::new(String::new());
/// async_primer::block_on(async {
///     let mut g = m.lock().await;
///     g.push_str("held");
///     async_primer::yield_now().await; // still held here
///     g.push_str(" across await");
/// });
/// assert_eq!(m.into_inner(), "held across await");
/// ```
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
}

// SAFETY: the guard hands out `&T` (shared across threads if the guard
// is) and `&mut T`; `T: Sync` covers the first, and the second needs `&mut`
// to the guard. Sending the guard moves access to another thread: `T: Send`
// for that is covered by `Mutex<T>: Sync` needing it.
unsafe impl<T: Sync> Sync for MutexGuard<'_, T> {}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: we hold the mutex's only permit, so no other guard exists
        // and no `&mut T` can be made except through `&mut self`.
        self.mutex.value.with(|v| unsafe { &*v })
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` excludes our own `&T`s.
        self.mutex.value.with_mut(|v| unsafe { &mut *v })
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        // Release ordering inside: what we wrote is visible to the next
        // holder (see permits.rs).
        self.mutex.permits.release(1);
    }
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
