//! [`counting_waker`]: a [`Waker`] that counts what a future does with it.
//!
//! A hand-written future has two duties when it returns `Pending`: keep the
//! waker (a clone of it) somewhere, and wake it exactly once when it can
//! make progress. A counting waker makes both visible: poll the future with
//! it, then look at the counts.
//!
//! ```
//! use async_primer::testing::{counting_waker, poll_with};
//! use std::future::Future;
//! use std::pin::Pin;
//! use std::task::{Context, Poll, Waker};
//!
//! /// Ready on the second poll; wakes itself once in between (like yield_now).
//! struct YieldOnce(bool);
//! impl Future for YieldOnce {
//!     type Output = ();
//!     fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
//!         if std::mem::replace(&mut self.0, true) {
//!             return Poll::Ready(());
//!         }
//!         cx.waker().wake_by_ref();
//!         Poll::Pending
//!     }
//! }
//!
//! let (waker, counts) = counting_waker();
//! let mut fut = YieldOnce(false);
//! assert!(poll_with(&mut fut, &waker).is_pending());
//! assert_eq!(counts.wakes_by_ref(), 1);
//! assert_eq!(counts.clones(), 0); // it woke at once, so it kept nothing
//! assert!(poll_with(&mut fut, &waker).is_ready());
//! ```
//
// How it works: the waker's data pointer is an `Arc<Counters>` turned into a
// raw pointer; the four vtable functions are the four counters. The handle
// holds another `Arc` to the same counters, so counting goes on after
// every waker is gone. Atomics and `Arc` come from `crate::sync`, so under
// `--cfg async_primer_loom` the counts are loom-checked like the rest of the
// crate. Rejected alternative: `std::task::Wake` (shorter, but it cannot
// count clones or drops: those go through `Arc` itself).

use crate::sync::Arc;
use crate::sync::atomic::{AtomicUsize, Ordering};
use std::fmt;
use std::task::{RawWaker, RawWakerVTable, Waker};

// Every counter is only ever read after the fact ("how many so far"), never
// used to publish other data, so all accesses are `Relaxed`; a test that
// reads them from another thread joins that thread first, which orders them.
#[derive(Debug, Default)]
struct Counters {
    clones: AtomicUsize,
    wakes: AtomicUsize,
    wakes_by_ref: AtomicUsize,
    drops: AtomicUsize,
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_raw, wake_raw, wake_by_ref_raw, drop_raw);

/// Returns a waker and a handle to what happens to it: how many times it
/// was cloned, woken by value, woken by reference, and dropped. Both are
/// `Send + Sync`; wake it from any thread.
///
/// ```
/// use async_primer::testing::counting_waker;
///
/// let (waker, counts) = counting_waker();
/// let kept = waker.clone();
/// kept.wake(); // by value: consumes (drops) the clone
/// waker.wake_by_ref();
/// assert_eq!((counts.clones(), counts.wakes(), counts.wakes_by_ref()), (1, 1, 1));
/// assert_eq!(counts.woken(), 2);
/// assert_eq!(counts.alive(), 1); // only `waker` is left
/// drop(waker);
/// assert_eq!((counts.drops(), counts.alive()), (2, 0));
/// ```
pub fn counting_waker() -> (Waker, WakeCounts) {
    let counters = Arc::new(Counters::default());
    let data = Arc::into_raw(counters.clone()).cast::<()>();
    // SAFETY: `data` is an `Arc<Counters>` given up by `into_raw`; VTABLE's
    // functions treat it as exactly that, each one owning one strong count.
    let waker = unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) };
    (waker, WakeCounts(counters))
}

/// What happened to the wakers made by one [`counting_waker`] call (the
/// original and all its clones). Cheap to clone; all clones see the same
/// counts.
///
/// Its `Display` is the sentence the assertion macros print, for example
/// `woken 1 time (1 by value, 0 by reference); 1 clone made, 1 dropped, 1 alive`.
///
/// ```
/// let (waker, counts) = async_primer::testing::counting_waker();
/// waker.wake_by_ref();
/// assert_eq!(
///     counts.to_string(),
///     "woken 1 time (0 by value, 1 by reference); 0 clones made, 0 dropped, 1 alive"
/// );
/// ```
#[derive(Clone)]
pub struct WakeCounts(Arc<Counters>);

impl WakeCounts {
    /// The counts of `waker` if it came from [`counting_waker`] (or is a
    /// clone of one), else `None`.
    ///
    /// ```
    /// use async_primer::testing::{WakeCounts, counting_waker};
    ///
    /// let (waker, counts) = counting_waker();
    /// waker.wake_by_ref();
    /// assert_eq!(WakeCounts::of(&waker).unwrap().woken(), counts.woken());
    /// assert!(WakeCounts::of(std::task::Waker::noop()).is_none());
    /// ```
    pub fn of(waker: &Waker) -> Option<WakeCounts> {
        if !std::ptr::eq(waker.vtable(), &VTABLE) {
            return None;
        }
        let data = waker.data().cast::<Counters>();
        // SAFETY: a waker with our VTABLE holds one strong count of an
        // `Arc<Counters>` at `data`, alive for as long as `waker` is; we
        // add one for the handle we return.
        unsafe {
            Arc::increment_strong_count(data);
            Some(WakeCounts(Arc::from_raw(data)))
        }
    }

    /// Clones made (each one a waker a future kept, or passed on).
    ///
    /// ```
    /// let (waker, counts) = async_primer::testing::counting_waker();
    /// let _kept = waker.clone();
    /// assert_eq!(counts.clones(), 1);
    /// ```
    pub fn clones(&self) -> usize {
        self.0.clones.load(Ordering::Relaxed)
    }

    /// Calls of [`Waker::wake`] (by value: it also drops that waker).
    ///
    /// ```
    /// let (waker, counts) = async_primer::testing::counting_waker();
    /// waker.wake();
    /// assert_eq!((counts.wakes(), counts.drops()), (1, 1));
    /// ```
    pub fn wakes(&self) -> usize {
        self.0.wakes.load(Ordering::Relaxed)
    }

    /// Calls of [`Waker::wake_by_ref`].
    ///
    /// ```
    /// let (waker, counts) = async_primer::testing::counting_waker();
    /// waker.wake_by_ref();
    /// assert_eq!((counts.wakes_by_ref(), counts.drops()), (1, 0));
    /// ```
    pub fn wakes_by_ref(&self) -> usize {
        self.0.wakes_by_ref.load(Ordering::Relaxed)
    }

    /// All wake-ups: [`wakes`](Self::wakes) + [`wakes_by_ref`](Self::wakes_by_ref).
    ///
    /// ```
    /// let (waker, counts) = async_primer::testing::counting_waker();
    /// waker.wake_by_ref();
    /// waker.wake();
    /// assert_eq!(counts.woken(), 2);
    /// ```
    pub fn woken(&self) -> usize {
        self.wakes() + self.wakes_by_ref()
    }

    /// Wakers dropped, including those consumed by [`Waker::wake`].
    ///
    /// ```
    /// let (waker, counts) = async_primer::testing::counting_waker();
    /// drop(waker.clone());
    /// assert_eq!(counts.drops(), 1);
    /// ```
    pub fn drops(&self) -> usize {
        self.0.drops.load(Ordering::Relaxed)
    }

    /// Wakers alive right now: the original plus clones, minus drops. A
    /// future that returned `Pending` and still holds a waker shows up here.
    ///
    /// ```
    /// let (waker, counts) = async_primer::testing::counting_waker();
    /// let kept = waker.clone();
    /// drop(waker);
    /// assert_eq!(counts.alive(), 1);
    /// drop(kept);
    /// assert_eq!(counts.alive(), 0);
    /// ```
    pub fn alive(&self) -> usize {
        (1 + self.clones()).saturating_sub(self.drops())
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl fmt::Display for WakeCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "woken {} ({} by value, {} by reference); {} made, {} dropped, {} alive",
            plural(self.woken(), "time", "times"),
            self.wakes(),
            self.wakes_by_ref(),
            plural(self.clones(), "clone", "clones"),
            self.drops(),
            self.alive(),
        )
    }
}

impl fmt::Debug for WakeCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WakeCounts")
            .field("clones", &self.clones())
            .field("wakes", &self.wakes())
            .field("wakes_by_ref", &self.wakes_by_ref())
            .field("drops", &self.drops())
            .finish()
    }
}

// --- the vtable: each function counts, then does what a waker must ------

/// Borrows the counters behind `data` without taking its strong count.
///
/// # Safety
/// `data` came from `Arc::<Counters>::into_raw` and that count is still held.
unsafe fn counters<'a>(data: *const ()) -> &'a Counters {
    // SAFETY: the caller's strong count keeps the allocation alive.
    unsafe { &*data.cast::<Counters>() }
}

unsafe fn clone_raw(data: *const ()) -> RawWaker {
    // SAFETY: called by `Waker::clone` on a live waker of ours.
    unsafe {
        counters(data).clones.fetch_add(1, Ordering::Relaxed);
        Arc::increment_strong_count(data.cast::<Counters>());
    }
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake_raw(data: *const ()) {
    // SAFETY: `wake` consumes the waker: count, then release its strong
    // count exactly as `drop_raw` would.
    unsafe {
        counters(data).wakes.fetch_add(1, Ordering::Relaxed);
        drop_raw(data);
    }
}

unsafe fn wake_by_ref_raw(data: *const ()) {
    // SAFETY: called on a live waker of ours, which keeps its count.
    unsafe { counters(data) }
        .wakes_by_ref
        .fetch_add(1, Ordering::Relaxed);
}

unsafe fn drop_raw(data: *const ()) {
    // SAFETY: the waker being dropped owns one strong count; count the drop
    // while it still keeps the counters alive, then give the count back.
    unsafe {
        counters(data).drops.fetch_add(1, Ordering::Relaxed);
        drop(Arc::from_raw(data.cast::<Counters>()));
    }
}
