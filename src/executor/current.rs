//! Which executor runs on this thread.
//!
//! While a run loop runs (inside `block_on`, `run_until_stalled`, a poll
//! of a `Run`, or its shutdown), one thread-local says so. Three things
//! read it:
//!
//! * the free functions (`spawn`, `queue_microtask`, `current_task`) find
//!   the run loop through it (`with_run_loop` in mod.rs);
//! * a wake on this thread of one of that executor's tasks goes straight
//!   to its ready queue, with no lock (`wake` in waker.rs);
//! * a wake of block_on's future, or a waker dropped, on *another* thread
//!   nudges the executor awake (`is_local`, in main_header.rs and
//!   drop_waker.rs).
//!
//! Read after the four core files. The time driver has a thread-local of
//! its own (`crate::time`), set and restored together with this one.
//
// The entries are raw pointers, not reference counts: the guard that set
// them lives on the run loop's stack, inside the borrow of what they point
// at, and puts the previous entry back when it drops. Nested entries (a
// run loop's shutdown inside another's poll) restore in stack order.
// (Rejected alternative: an `Rc` per entry; a count update on every
// `block_on` for something the stack already guarantees.)

use super::queues::ReadyQueue;
use super::task::{TaskInbox, TaskRef};
use crate::time::{self, Driver};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The running executor, as the pointers its users need.
#[derive(Clone, Copy)]
pub(crate) struct Current {
    /// The `RunLoop` (untyped: `with_run_loop` in mod.rs casts it back;
    /// this file comes before run_loop.rs in reading order).
    pub(crate) run_loop: *const (),
    /// Its inbox: a task is local if its header points at this one.
    pub(crate) inbox: *const TaskInbox,
    /// Its ready queue, where local wakes go.
    pub(crate) ready: *const RefCell<ReadyQueue<TaskRef>>,
}

const NONE: Current = Current {
    run_loop: std::ptr::null(),
    inbox: std::ptr::null(),
    ready: std::ptr::null(),
};

crate::sync::const_thread_local! {
    static CURRENT: Cell<Current> = Cell::new(NONE);
}

/// The executor running on this thread, if any.
#[inline]
pub(crate) fn get() -> Option<Current> {
    // `try_with`: wakers may run while thread-locals are torn down.
    let current = CURRENT.try_with(Cell::get).ok()?;
    (!current.run_loop.is_null()).then_some(current)
}

/// True while an executor runs on this thread.
#[inline]
pub(crate) fn is_running() -> bool {
    CURRENT
        .try_with(|c| !c.get().run_loop.is_null())
        .unwrap_or(false)
}

/// True on the thread where `task`'s executor is running right now.
#[inline]
pub(crate) fn is_local(task: TaskRef) -> bool {
    ready_queue_for(&task.header().inbox).is_some()
}

/// The ready queue of the executor running on this thread if `inbox` is
/// its inbox (a task of that executor), else `None`.
#[inline]
pub(crate) fn ready_queue_for(inbox: &TaskInbox) -> Option<&RefCell<ReadyQueue<TaskRef>>> {
    let current = CURRENT.try_with(Cell::get).ok()?;
    // SAFETY: non-null while the run loop's `Guard` lives, and the run loop
    // keeps the queue alive and in place for that long.
    std::ptr::eq(current.inbox, inbox).then(|| unsafe { &*current.ready })
}

/// Makes `new` this thread's running executor, and `driver` its clock
/// (`crate::time`), until the guard drops.
#[inline]
pub(crate) fn enter(new: Current, driver: &Rc<Driver>) -> Guard {
    let previous = CURRENT.try_with(|c| c.replace(new)).unwrap_or(NONE);
    Guard {
        previous,
        _time: time::enter(driver),
    }
}

/// Puts the previous entries back when dropped.
pub(crate) struct Guard {
    previous: Current,
    _time: time::EnterGuard,
}

impl Drop for Guard {
    #[inline]
    fn drop(&mut self) {
        if crate::sync::skip_thread_local_cleanup() {
            return;
        }
        let _ = CURRENT.try_with(|c| c.set(self.previous));
    }
}

// --- Speed -------------------------------------------------------------------
//
// `block_on` and every poll of a `Run` enter only where no executor runs
// (they check `is_running` first), so what their guard puts back is known:
// "none". `Outermost` stores that constant, where `Guard` would keep the
// three saved pointers on the stack across the user's poll and reload
// them. Measured on AMD EPYC, 2 cores, the same build with `Guard` in its
// place, three interleaved runs of each binary (`cargo bench --bench
// peers -- block_on_ready`): `Executor::block_on` of a ready future 4.47
// -> 1.72 ns, the free `block_on` 4.47 -> 2.18 ns; callgrind 55 -> 51
// instructions per `Executor::block_on`.

/// `enter` for `block_on` and `Run`, which may not nest: `None` if an
/// executor runs here already. Its guard puts back "none" without reading
/// what was there.
#[inline]
pub(crate) fn enter_outermost(new: Current, driver: &Rc<Driver>) -> Option<Outermost> {
    if is_running() {
        return None;
    }
    let _ = CURRENT.try_with(|c| c.set(new));
    Some(Outermost {
        _time: time::enter_outermost(driver),
    })
}

/// Puts "none" back when dropped.
pub(crate) struct Outermost {
    _time: time::EnterGuard,
}

impl Drop for Outermost {
    #[inline]
    fn drop(&mut self) {
        if crate::sync::skip_thread_local_cleanup() {
            return;
        }
        let _ = CURRENT.try_with(|c| c.set(NONE));
    }
}
