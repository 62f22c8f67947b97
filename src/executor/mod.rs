//! The executor: tasks, wakers, the ready queue, timers, and diagnostics
//! that make async visible.
//!
//! A future does nothing until something polls it. An **executor** is that
//! something: it keeps a queue of tasks that are ready to make progress,
//! polls them one at a time on one thread, and parks the thread when none
//! is ready. A task that returns `Pending` has handed a [`Waker`] to whatever
//! it waits for (a timer, a channel, another task); calling that waker puts
//! the task back in the ready queue.
//!
//! ```
//! use async_primer::executor::Executor;
//! use async_primer::time::{now, sleep};
//! use std::time::Duration;
//!
//! let ex = Executor::builder().virtual_time().build();
//! let total = ex.block_on(async {
//!     let start = now();
//!     let slow = async_primer::spawn(async {
//!         sleep(Duration::from_secs(2)).await;
//!         2
//!     });
//!     let fast = async_primer::spawn(async {
//!         sleep(Duration::from_secs(1)).await;
//!         1
//!     });
//!     let sum = slow.await.unwrap() + fast.await.unwrap();
//!     // Both slept at the same time: 2 seconds in all, not 3.
//!     assert_eq!(now() - start, Duration::from_secs(2));
//!     sum
//! });
//! assert_eq!(total, 3);
//! ```
//!
//! # Reading order
//!
//! The core is four files, each importing only the ones before it:
//!
//! 1. `task.rs`: one allocation per task (header, state bits, reference
//!    count, the future then its output) and its states;
//! 2. `queues.rs`: where woken tasks wait: the ready queue (FIFO, or
//!    [seeded](Builder::seed)) and the inbox for wakes from other threads
//!    (and parking);
//! 3. `waker.rs`: what a waker is; wake = set SCHEDULED, push to the local
//!    or the remote queue;
//! 4. `run_loop.rs`: spawn, `block_on`, one turn, run a task, complete,
//!    timers, park.
//!
//! On a first reading, skip what later features plugged into them: the
//! waker's `// Speed:` section (wake by value), the inbox's outer waker
//! (the last section of `queues.rs`, for [`Executor::run`]), and the
//! observer's advice before parking (`advise`, for deadlock reports).
//!
//! One task's trail through them, spawn to wake to poll:
//!
//! 1. [`spawn`] finds the run loop running on this thread and calls
//!    `RunLoop::spawn`: `TaskRef::new` makes the allocation (SCHEDULED,
//!    two references: the executor's and the [`JoinHandle`]'s), and
//!    `ReadyQueue::push` queues it.
//! 2. `RunLoop::block_on` polls its own future, then runs `turn`: pop a
//!    task, and `run_task` clears SCHEDULED and calls the task's `poll`
//!    through its vtable, with a waker from `waker::borrowed`.
//! 3. The future returns `Pending` after storing a clone of that waker with
//!    whatever it waits for (a timer, a channel).
//! 4. Later, `wake` (waker.rs) sets SCHEDULED with one compare-and-swap,
//!    then pushes the task onto the ready queue (on the executor's thread:
//!    no lock) or posts it with `Inbox::push` (another thread: lock,
//!    unpark).
//! 5. With nothing ready, `wait_for_work` moves virtual time or parks in
//!    `Inbox::park`; the next `turn` drains the inbox and polls the task.
//! 6. `Ready`: `complete` sets COMPLETE, wakes whoever awaits the
//!    JoinHandle, and `TaskRef::release` drops the executor's reference;
//!    the last one frees the allocation.
//!
//! Around it, read after: `current.rs` (which executor runs on this
//! thread: how `spawn` finds the run loop and a local wake finds its ready
//! queue), `drop_waker.rs` (a waker's `drop`: a decrement, and the nudge
//! that keeps a lost waker from hanging silently), `main_header.rs`
//! (block_on's own future: not a task, but its wakers are counted;
//! everything that treats it differently is there),
//! `shutdown.rs` (what dropping an executor does to its unfinished
//! tasks), `microtasks.rs` (what runs right after each poll),
//! `seeded_order.rs` ([`Builder::seed`]), `task_list.rs` (the slab of live
//! tasks),
//! `seam.rs` (what the run loop tells an observer at each fixed point) and
//! `observer.rs` (the observer interface itself), `join_handle.rs` and
//! `join_error.rs` (waiting for a task's result), `ending.rs` (how a task
//! ended, and where its result goes when nobody waits for it),
//! `diagnostic.rs` ([`Diagnostic`] and the table of what is detected),
//! `diagnostics.rs` (the observer that makes those reports), `watchdog.rs`
//! (the monitor thread that catches a poll while it blocks), `recorder.rs`
//! (the observer behind [`Builder::record`]), `blocking.rs`
//! ([`spawn_blocking`]),
//! `set_timeout.rs`, `task_info.rs` ([`current_task`]),
//! `executor.rs` ([`Executor`] and [`Builder`]), `run.rs` ([`Run`]: the
//! same loop driven as a future inside tokio or `futures`), `yield_now.rs`,
//! and the free functions below. The [`time`](crate::time) module holds the
//! clock and timers. The guide chapter is [`crate::guide::ch04_executor`];
//! the loom models of every cross-thread interleaving are in
//! `tests/loom_executor.rs`.
//!
//! Left out compared with tokio: more than one thread, I/O (there is no
//! reactor: only timers and wakers), cooperative budgeting inside tasks,
//! task-local storage, and a global blocking pool. The nearest thing to
//! tokio's `LocalSet` is [`Executor::run`]: this executor as a future that
//! another runtime polls.
//!
//! [`Waker`]: std::task::Waker

mod blocking;
mod current;
mod diagnostic;
mod diagnostics;
mod drop_waker;
mod ending;
#[allow(clippy::module_inception)] // the file is named after its type
mod executor;
mod join_error;
mod join_handle;
mod main_header;
mod microtasks;
mod observer;
mod queues;
mod recorder;
mod run;
mod run_loop;
mod seam;
mod seeded_order;
mod set_timeout;
mod shutdown;
mod task;
mod task_info;
mod task_list;
mod waker;
mod watchdog;
mod yield_now;

pub use diagnostic::Diagnostic;
pub use executor::{Builder, Executor};
pub use join_error::JoinError;
pub use join_handle::JoinHandle;
pub use run::Run;
pub use set_timeout::set_timeout;
pub use task_info::TaskInfo;
pub use yield_now::{YieldNow, yield_now};

use crate::sync::NoDestructor;
use std::cell::Cell;
use std::future::IntoFuture;
use std::panic::Location;

/// Runs `future` to completion on a fresh executor and returns its output:
/// the one-liner entry point. Tasks it spawns and leaves unfinished are
/// dropped when it returns. A [`Promise`](crate::promise::Promise) can be
/// passed straight in (anything that is [`IntoFuture`]).
///
/// ```
/// let answer = async_primer::block_on(async { 6 * 7 });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
#[inline]
pub fn block_on<F: IntoFuture>(future: F) -> F::Output {
    // Speed: the executor is kept between calls; see the `// Speed:`
    // section at the end of this file.
    let (ex, keep) = match SPARE.try_with(Cell::take).ok().flatten() {
        Some(kept) => (kept.into_inner(), true),
        None => new_executor(),
    };
    let output = ex.block_on(future);
    if keep && is_idle(ex.run_loop()) {
        // (Under loom the thread-local may be gone: then `ex` drops here.)
        let _ = SPARE.try_with(move |spare| spare.set(Some(NoDestructor::new(ex))));
    } else {
        drop_executor(ex);
    }
    output
}

/// Spawns `future` onto the executor running on this thread.
///
/// Panics (at your line) if no executor is running here: call it inside
/// `block_on` or a task, or use [`Executor::spawn`]; inside tokio or
/// `futures`, wrap the code in [`Executor::run`].
///
/// ```
/// let out = async_primer::block_on(async {
///     let h = async_primer::spawn(async { "from a task" });
///     h.await.unwrap()
/// });
/// assert_eq!(out, "from a task");
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: IntoFuture + 'static,
    F::IntoFuture: 'static,
    F::Output: 'static,
{
    spawn_inner(None, future, "spawn")
}

/// Like [`spawn`], with a name that every diagnostic about the task shows.
///
/// ```
/// let out = async_primer::block_on(async {
///     async_primer::executor::spawn_named("worker", async { 1 }).await.unwrap()
/// });
/// assert_eq!(out, 1);
/// ```
#[track_caller]
pub fn spawn_named<F>(name: impl Into<String>, future: F) -> JoinHandle<F::Output>
where
    F: IntoFuture + 'static,
    F::IntoFuture: 'static,
    F::Output: 'static,
{
    spawn_inner(Some(name.into()), future, "spawn_named")
}

#[track_caller]
fn spawn_inner<F>(name: Option<String>, future: F, what: &str) -> JoinHandle<F::Output>
where
    F: IntoFuture + 'static,
    F::IntoFuture: 'static,
    F::Output: 'static,
{
    let at = Location::caller();
    let mut parts = Some((name, future));
    let spawned = with_run_loop(|rl| {
        let (name, future) = parts.take().expect("once");
        rl.spawn(future.into_future(), name, at)
    });
    match spawned {
        Some(task) => JoinHandle::new(task),
        None => panic!(
            "{what} called with no executor running on this thread: call it inside \
             block_on or a task, or use Executor::{what}; inside tokio or another runtime, \
             wrap the calling code in `Executor::new().run(..)` (a future that drives this \
             crate's executor without blocking)"
        ),
    }
}

/// Runs the blocking function `f` on a helper thread of the current
/// executor's small pool, and returns a [`JoinHandle`] to `.await` for its
/// result. Awaiting it does not block the executor; a panic in `f` comes
/// back as a [`JoinError`]. See `blocking.rs` for the pool's rules.
///
/// Panics (at your line) if no executor is running on this thread.
///
/// ```
/// let n = async_primer::block_on(async {
///     async_primer::spawn_blocking(|| {
///         std::thread::sleep(std::time::Duration::from_millis(5));
///         7
///     })
///     .await
///     .unwrap()
/// });
/// assert_eq!(n, 7);
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let at = Location::caller();
    let mut f = Some(f);
    let spawned = with_run_loop(|rl| {
        let (job, wait) = blocking::job(f.take().expect("once"));
        let task = rl.spawn(wait, Some("spawn_blocking".into()), at);
        rl.submit_blocking(job);
        task
    });
    match spawned {
        Some(task) => JoinHandle::new(task),
        None => panic!(
            "spawn_blocking called with no executor running on this thread: call it inside \
             block_on or a task; inside tokio or another runtime, wrap the calling code in \
             `Executor::new().run(..)`, or use that runtime's own spawn_blocking"
        ),
    }
}

/// Queues `f` as a **microtask**: it runs right after the current poll
/// ends, before any other task, timer or parking, in the order queued (a
/// microtask that queues another runs it in the same drain). This is
/// JavaScript's `queueMicrotask`, and what promise reactions use.
///
/// Panics (at your line) if no executor is running on this thread.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let l = log.clone();
/// async_primer::block_on(async move {
///     let task_log = l.clone();
///     let _task = async_primer::spawn(async move { task_log.borrow_mut().push("task") });
///     let micro_log = l.clone();
///     async_primer::queue_microtask(move || micro_log.borrow_mut().push("microtask"));
///     l.borrow_mut().push("sync");
/// });
/// // The microtask ran before the spawned task; the task never ran at all,
/// // because block_on's future finished first.
/// assert_eq!(*log.borrow(), ["sync", "microtask"]);
/// ```
#[track_caller]
pub fn queue_microtask(f: impl FnOnce() + 'static) {
    let mut f = Some(f);
    let queued = with_run_loop(|rl| rl.queue_microtask(Box::new(f.take().expect("once"))));
    if queued.is_none() {
        panic!(
            "queue_microtask called with no executor running on this thread: call it inside \
             block_on or a task; inside tokio or another runtime, wrap the calling code in \
             `Executor::new().run(..)`"
        );
    }
}

/// The task being polled right now on this thread: its number, name and
/// spawn location. `None` outside a task (and outside `block_on`).
///
/// ```
/// assert!(async_primer::executor::current_task().is_none());
/// async_primer::block_on(async {
///     let h = async_primer::spawn(async { async_primer::executor::current_task().unwrap().id() });
///     assert_eq!(h.await.unwrap(), 1);
/// });
/// ```
pub fn current_task() -> Option<TaskInfo> {
    with_run_loop(|rl| {
        rl.seam().with_current(rl.tasks(), |t| TaskInfo {
            id: u64::from(t.id),
            name: t.name.map(str::to_string),
            spawned_at: t.spawned_at,
        })
    })
    .flatten()
}

/// Notes what the task being polled waits on, for the stall report: called
/// by the crate's primitives when their poll returns `Pending`. Costs one
/// thread-local read when nobody asked (release builds by default).
#[inline]
pub(crate) fn note_wait(
    what: &'static str,
    created_at: Option<&'static Location<'static>>,
    awaited_at: Option<&'static Location<'static>>,
    holder: Option<u32>,
) {
    with_run_loop(|rl| {
        rl.seam().note_wait(observer::Wait {
            what,
            created_at,
            awaited_at,
            holder,
        })
    });
}

/// Runs `f` with the run loop running on this thread, if any: how the
/// free functions find their executor (current.rs).
#[inline]
fn with_run_loop<R>(f: impl FnOnce(&run_loop::RunLoop) -> R) -> Option<R> {
    let current = current::get()?;
    // SAFETY: the entry is set only while the guard of a live run loop
    // exists further up this thread's stack (current.rs).
    Some(f(unsafe { &*current.run_loop.cast::<run_loop::RunLoop>() }))
}

/// The id of the task being polled on this thread, if any (for the
/// primitives' "who used this end last" notes).
#[inline]
pub(crate) fn current_task_id() -> Option<u32> {
    with_run_loop(|rl| rl.seam().current_id()).flatten()
}

/// True while an executor is running on this thread (inside `block_on`,
/// `run_until_stalled`, a poll of [`Executor::run`], or one of its tasks).
///
/// ```
/// assert!(!async_primer::executor::is_running());
/// async_primer::block_on(async {
///     assert!(async_primer::executor::is_running());
/// });
/// ```
#[inline]
pub fn is_running() -> bool {
    current::is_running()
}

// Speed: ---------------------------------------------------------------------
//
// 1. The free `block_on` keeps its executor for this thread's next call
//    when it is left with nothing at all (no task, no armed timer),
//    instead of building a new one: 2.2 ns per call against 380 ns (rows
//    "async-primer" and "Executor::new per call" of `cargo bench --bench
//    peers -- block_on_ready`, AMD EPYC, 2 cores). The behaviour is that of
//    a fresh executor every time: one with anything left is dropped when
//    the call returns (or unwinds).
// 2. The kept executor sits in a thread-local without a destructor
//    (`NoDestructor`, src/sync.rs), so taking it out and putting it back
//    skip the "is this thread-local still alive?" check that std makes at
//    every access to a thread-local with a destructor. `OWNER`, a
//    thread-local with a destructor, drops it when the thread exits (Miri
//    checks it: `tests::kept_executor_is_dropped_with_its_thread`). A
//    `block_on` that runs after `OWNER` is gone (from another
//    thread-local's destructor) does not keep its executor. Measured on
//    the same code with and without it (a plain `Cell<Option<Executor>>`):
//    2.61 -> 2.12 ns per call (median of three runs each), 78 -> 72
//    instructions (callgrind). Code layout alone moves this row by up to
//    10% from one build to the next.
// 3. Making a new executor and dropping one with something left are
//    `#[cold]` functions out of line (`new_executor`, `drop_executor`), so
//    the kept executor's path is straight-line code with no taken branch
//    around inlined construction or destruction code. Callgrind counts
//    barely move (73 -> 69 instructions per call with item 3 and the
//    seam's `// Speed:` section together) but the time does: 2.40 ->
//    2.18 ns per call (medians of 3 and 6 runs of `cargo bench --bench
//    peers -- block_on_ready`, AMD EPYC, 2 cores, the same build with and
//    without it). On this machine this row is bound by taken branches and
//    code layout more than by instruction count: a build that changed
//    only code elsewhere moved `Executor::block_on` from 1.7 to 2.1 ns.

crate::sync::const_thread_local! {
    static SPARE: Cell<Option<NoDestructor<Executor>>> = Cell::new(None);
}

crate::sync::const_thread_local! {
    static OWNER: Owner = Owner;
}

/// The free `block_on` on a thread with no kept executor: a new one, and
/// whether it may be kept.
#[cold]
#[inline(never)]
fn new_executor() -> (Executor, bool) {
    (Executor::new(), Owner::register())
}

/// True if `run_loop` has nothing a fresh one would not have, right after
/// a `block_on` returned: no task, no armed timer. (No microtask either:
/// `block_on` drains them after every poll, the last one included.)
#[inline]
fn is_idle(run_loop: &run_loop::RunLoop) -> bool {
    run_loop.tasks().borrow().len() == 0 && run_loop.driver().armed() == 0
}

/// The free `block_on` drops its executor (tasks or timers were left).
#[cold]
#[inline(never)]
fn drop_executor(ex: Executor) {
    drop(ex);
}

/// Drops the kept executor when its thread exits.
struct Owner;

impl Owner {
    /// Makes sure this thread's `OWNER` is set up; false if it is gone
    /// already (the thread is exiting): then nothing may be kept.
    #[cold]
    fn register() -> bool {
        OWNER.try_with(|_| ()).is_ok()
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let Ok(Some(kept)) = SPARE.try_with(Cell::take) {
            drop(kept.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    /// The executor kept by the free `block_on` is dropped when its thread
    /// exits (`Owner`). Under Miri a leak here fails the run; loom cannot
    /// check it (see `NoDestructor`).
    #[test]
    fn kept_executor_is_dropped_with_its_thread() {
        std::thread::spawn(|| {
            assert_eq!(super::block_on(async { 1 }), 1);
            assert_eq!(super::block_on(async { 2 }), 2); // the kept one
        })
        .join()
        .unwrap();
    }
}
