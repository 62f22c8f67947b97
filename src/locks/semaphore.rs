//! The async `Semaphore`: its user docs are on the type; how it works is below.

// How it works: a thin shell around `Permits` (see permits.rs); the futures
// below wrap a `Ticket` and turn "the permits are ours" into a permit guard
// that gives them back on drop.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::permits::{MAX_PERMITS, Permits, Ticket};

/// A counting semaphore: a number of permits; [`acquire`](Semaphore::acquire)
/// waits (without blocking the thread) until one is free, and the permit
/// goes back when its guard is dropped. Use it to bound concurrency: at
/// most `n` downloads at once, at most `n` connections open.
///
/// ```
/// use async_primer::locks::Semaphore;
/// use std::sync::Arc;
/// use std::cell::Cell;
/// use std::rc::Rc;
///
/// async_primer::block_on(async {
///     let slots = Arc::new(Semaphore::new(2));
///     let (running, peak) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
///     let mut tasks = Vec::new();
///     for _ in 0..5 {
///         let (slots, running, peak) = (slots.clone(), running.clone(), peak.clone());
///         tasks.push(async_primer::spawn(async move {
///             let _permit = slots.acquire().await; // held until the end of the block
///             running.set(running.get() + 1);
///             peak.set(peak.get().max(running.get()));
///             async_primer::yield_now().await; // a suspension point, permit held
///             running.set(running.get() - 1);
///         }));
///     }
///     for t in tasks {
///         t.await.unwrap();
///     }
///     assert_eq!(peak.get(), 2); // never more than two at once
///     assert_eq!(slots.available_permits(), 2); // every permit came back
/// });
/// ```
///
/// **Fair (FIFO).** Waiters are served in the order they started waiting,
/// and a release hands its permits straight to the first in line. An
/// `acquire_many(5)` at the head of the line is not starved by a stream of
/// `acquire()`s behind it: they wait until it has been served.
///
/// **Cancel-safe.** Dropping an `acquire` future (a `select` that took the
/// other branch, a timeout, an aborted task) never loses or duplicates a
/// permit: if it was still waiting it just leaves the line; if permits had
/// already been handed to it, it passes them on to the next in line.
///
/// **Why not a `std::sync::Mutex<usize>` counter and a loop?** Waiting for a
/// std lock or a `Condvar` blocks the thread, and on a single-threaded
/// executor (this crate's, or tokio's current-thread runtime) the thread is
/// what every other task needs to run, including the one that would release
/// a permit: the program deadlocks. A std guard is also not `Send`, so a
/// future holding it across `.await` cannot be spawned on a multi-threaded
/// runtime. Here a task that must wait returns `Pending` and leaves its
/// waker in the line; the thread goes on with other tasks.
///
/// How it works is in `src/locks/permits.rs` (shared with
/// [`Mutex`](crate::locks::Mutex)); the guide is [`crate::guide::ch11_locks`]; the
/// interleavings are checked by `tests/loom_locks.rs` (`semaphore_*`).
///
/// Left out, compared with tokio's `Semaphore`: `close` (so `acquire`
/// cannot fail and returns the permit itself, not a `Result`), `forget_permits`,
/// `SemaphorePermit::merge` / `split`, `const_new`, and the
/// `TryAcquireError` enum (`try_acquire` returns an `Option`).
#[derive(Debug)]
pub struct Semaphore {
    permits: Permits,
}

impl Semaphore {
    /// The largest number of permits a semaphore can hold (one bit of the
    /// count word flags "somebody is waiting").
    pub const MAX_PERMITS: usize = MAX_PERMITS;

    /// A semaphore with `permits` free permits.
    ///
    /// # Panics
    ///
    /// If `permits` is more than [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// let sem = async_primer::locks::Semaphore::new(4);
    /// assert_eq!(sem.available_permits(), 4);
    /// ```
    #[track_caller]
    pub fn new(permits: usize) -> Self {
        Semaphore {
            permits: Permits::new(permits),
        }
    }

    /// How many permits are free right now.
    ///
    /// ```
    /// let sem = async_primer::locks::Semaphore::new(1);
    /// let _p = sem.try_acquire().unwrap();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.permits.available()
    }

    /// Adds `n` permits; they go to waiting tasks first, in line order.
    ///
    /// # Panics
    ///
    /// If the count would pass [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// let sem = async_primer::locks::Semaphore::new(0);
    /// sem.add_permits(2);
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        self.permits.release(n);
    }

    /// Waits for one permit.
    ///
    /// ```
    /// let sem = async_primer::locks::Semaphore::new(1);
    /// async_primer::block_on(async {
    ///     let permit = sem.acquire().await;
    ///     assert_eq!(permit.num_permits(), 1);
    /// });
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Waits until `n` permits are free and takes them all at once. While
    /// it waits at the head of the line, later acquires wait behind it.
    ///
    /// # Panics
    ///
    /// If `n` is more than [`Semaphore::MAX_PERMITS`] (it could never be
    /// served).
    ///
    /// ```
    /// let sem = async_primer::locks::Semaphore::new(3);
    /// async_primer::block_on(async {
    ///     let permit = sem.acquire_many(3).await;
    ///     assert_eq!(sem.available_permits(), 0);
    ///     drop(permit);
    ///     assert_eq!(sem.available_permits(), 3);
    /// });
    /// ```
    #[track_caller]
    pub fn acquire_many(&self, n: usize) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            ticket: Ticket::new(n),
        }
    }

    /// Takes one permit if one is free and nobody is waiting for one.
    ///
    /// ```
    /// let sem = async_primer::locks::Semaphore::new(1);
    /// let p = sem.try_acquire();
    /// assert!(p.is_some());
    /// assert!(sem.try_acquire().is_none());
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody is waiting (it never
    /// jumps the line).
    ///
    /// ```
    /// let sem = async_primer::locks::Semaphore::new(2);
    /// assert!(sem.try_acquire_many(3).is_none());
    /// assert_eq!(sem.try_acquire_many(2).unwrap().num_permits(), 2);
    /// ```
    pub fn try_acquire_many(&self, n: usize) -> Option<SemaphorePermit<'_>> {
        self.permits
            .try_take(n)
            .then(|| SemaphorePermit { semaphore: self, n })
    }

    /// [`acquire`](Self::acquire) for a shared semaphore: the permit keeps
    /// the `Arc` alive, so it can move into a spawned task (`'static`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(async_primer::locks::Semaphore::new(1));
    /// async_primer::block_on(async {
    ///     let permit = sem.clone().acquire_owned().await;
    ///     async_primer::spawn(async move {
    ///         drop(permit); // released by the task
    ///     })
    ///     .await
    ///     .unwrap();
    /// });
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn acquire_owned(self: Arc<Self>) -> AcquireOwned {
        self.acquire_many_owned(1)
    }

    /// [`acquire_many`](Self::acquire_many) for a shared semaphore.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(async_primer::locks::Semaphore::new(2));
    /// let p = async_primer::block_on(sem.clone().acquire_many_owned(2));
    /// assert_eq!((p.num_permits(), sem.available_permits()), (2, 0));
    /// ```
    #[track_caller]
    pub fn acquire_many_owned(self: Arc<Self>, n: usize) -> AcquireOwned {
        AcquireOwned {
            ticket: Ticket::new(n),
            semaphore: self,
        }
    }

    /// [`try_acquire`](Self::try_acquire) for a shared semaphore.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(async_primer::locks::Semaphore::new(1));
    /// let p = sem.clone().try_acquire_owned().unwrap();
    /// assert!(sem.clone().try_acquire_owned().is_none());
    /// drop(p);
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>) -> Option<OwnedSemaphorePermit> {
        self.permits.try_take(1).then(|| OwnedSemaphorePermit {
            semaphore: self,
            n: 1,
        })
    }
}

/// Future of [`Semaphore::acquire`] and [`Semaphore::acquire_many`]. Dropping
/// it is always safe: no permit is lost or kept (see [`Semaphore`]).
///
/// ```
/// use std::future::Future;
/// use std::task::{Context, Waker};
/// let sem = async_primer::locks::Semaphore::new(0);
/// let mut waiting = Box::pin(sem.acquire());
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(waiting.as_mut().poll(&mut cx).is_pending());
/// drop(waiting); // leaves the line
/// sem.add_permits(1);
/// assert_eq!(sem.available_permits(), 1);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    ticket: Ticket,
}

impl<'a> Future for Acquire<'a> {
    type Output = SemaphorePermit<'a>;

    #[track_caller]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let this = &mut *self;
        let semaphore = this.semaphore;
        let n = this.ticket.permits();
        this.ticket
            .poll(&semaphore.permits, cx, "Semaphore::acquire")
            .map(|()| SemaphorePermit { semaphore, n })
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        self.ticket.cancel(&self.semaphore.permits);
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("ticket", &self.ticket)
            .finish()
    }
}

/// Future of [`Semaphore::acquire_owned`] and
/// [`Semaphore::acquire_many_owned`]; cancel-safe like [`Acquire`].
///
/// ```
/// use std::sync::Arc;
/// let sem = Arc::new(async_primer::locks::Semaphore::new(1));
/// let permit = async_primer::block_on(sem.clone().acquire_owned());
/// assert_eq!(permit.num_permits(), 1);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct AcquireOwned {
    semaphore: Arc<Semaphore>,
    ticket: Ticket,
}

impl Future for AcquireOwned {
    type Output = OwnedSemaphorePermit;

    #[track_caller]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedSemaphorePermit> {
        let this = &mut *self;
        let n = this.ticket.permits();
        match this
            .ticket
            .poll(&this.semaphore.permits, cx, "Semaphore::acquire_owned")
        {
            Poll::Ready(()) => Poll::Ready(OwnedSemaphorePermit {
                semaphore: this.semaphore.clone(),
                n,
            }),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for AcquireOwned {
    fn drop(&mut self) {
        self.ticket.cancel(&self.semaphore.permits);
    }
}

impl fmt::Debug for AcquireOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireOwned")
            .field("ticket", &self.ticket)
            .finish()
    }
}

/// Permits borrowed from a [`Semaphore`]; dropping it gives them back (to
/// the first waiting task, if any).
///
/// ```
/// let sem = async_primer::locks::Semaphore::new(1);
/// let permit = sem.try_acquire().unwrap();
/// assert_eq!(sem.available_permits(), 0);
/// drop(permit);
/// assert_eq!(sem.available_permits(), 1);
/// ```
#[must_use = "the permit is given back as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    n: usize,
}

impl SemaphorePermit<'_> {
    /// How many permits this guard holds.
    ///
    /// ```
    /// let sem = async_primer::locks::Semaphore::new(5);
    /// assert_eq!(sem.try_acquire_many(3).unwrap().num_permits(), 3);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.n
    }

    /// Keeps the permits out of the semaphore for good (they are not given
    /// back on drop): the semaphore shrinks by this many.
    ///
    /// ```
    /// let sem = async_primer::locks::Semaphore::new(2);
    /// sem.try_acquire().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.n = 0;
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.permits.release(self.n);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.n)
            .finish()
    }
}

/// Permits from an `Arc<Semaphore>`: `'static`, so they can move into a
/// spawned task; dropping them gives them back.
///
/// ```
/// use std::sync::Arc;
/// let sem = Arc::new(async_primer::locks::Semaphore::new(1));
/// let permit = sem.clone().try_acquire_owned().unwrap();
/// std::thread::spawn(move || drop(permit)).join().unwrap();
/// assert_eq!(sem.available_permits(), 1);
/// ```
#[must_use = "the permit is given back as soon as it is dropped"]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    n: usize,
}

impl OwnedSemaphorePermit {
    /// How many permits this guard holds.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(async_primer::locks::Semaphore::new(1));
    /// assert_eq!(sem.try_acquire_owned().unwrap().num_permits(), 1);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.n
    }

    /// The semaphore these permits belong to.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(async_primer::locks::Semaphore::new(1));
    /// let p = sem.clone().try_acquire_owned().unwrap();
    /// assert!(Arc::ptr_eq(p.semaphore(), &sem));
    /// ```
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.semaphore
    }

    /// Keeps the permits out of the semaphore for good.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(async_primer::locks::Semaphore::new(1));
    /// sem.clone().try_acquire_owned().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.n = 0;
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.semaphore.permits.release(self.n);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.n)
            .finish()
    }
}
