//! Which executor is running on this thread: the thread-local that makes
//! the free functions (`spawn`, `sleep`, `yield_now`) and the waker's fast
//! path work.
//!
// How it works: `CURRENT` points at the running executor's `Core` while an
// `Enter` guard lives (`block_on`, `run_until_stalled`, shutdown), and is
// null otherwise. The guard also installs the executor's timer driver for
// the `time` module, and puts back whatever was there before when dropped,
// even during a panic. Rejected alternative: passing an executor handle to
// every `spawn` and `sleep` (explicit, but every async fn would need it as
// a parameter; tokio offers both, and so does this crate: `Executor::spawn`).

use super::core::Core;
use super::task::{MAIN, TaskRef};
use crate::sync::Arc;
use crate::sync::atomic::Ordering;
use crate::time;
use std::cell::Cell;

crate::sync::const_thread_local! {
    static CURRENT: Cell<*const Core> = Cell::new(std::ptr::null());
}

/// Runs `f` with the executor running on this thread, if any.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(&Core) -> R) -> Option<R> {
    let core = CURRENT.try_with(|c| c.get()).ok()?;
    // SAFETY: CURRENT is non-null only while an `Enter` guard for a live
    // Core exists further up this thread's stack.
    (!core.is_null()).then(|| f(unsafe { &*core }))
}

/// The wake fast path: if `task` belongs to the executor running on this
/// thread, queue it locally (no lock) and return true.
#[inline]
pub(crate) fn push_local_if_current(task: TaskRef) -> bool {
    with_current(|core| {
        if !Arc::ptr_eq(&core.shared, &task.header().shared) {
            return false;
        }
        // MAIN: the run loop polls block_on's future when its bit is set.
        if task.header().state.load(Ordering::Relaxed) & MAIN == 0 {
            core.ready.borrow_mut().push(task);
        }
        true
    })
    .unwrap_or(false)
}

/// True on the thread where `task`'s executor is running right now.
#[inline]
pub(crate) fn is_running_executor_of(task: TaskRef) -> bool {
    with_current(|core| Arc::ptr_eq(&core.shared, &task.header().shared)).unwrap_or(false)
}

/// Describes `task` with the running executor's name table if it is the
/// task's executor, else by number only.
pub(crate) fn describe(task: TaskRef) -> String {
    let of_current = |core: &Core| match Arc::ptr_eq(&core.shared, &task.header().shared) {
        true => core.describe(task),
        false => task.describe_unnamed(),
    };
    with_current(of_current).unwrap_or_else(|| task.describe_unnamed())
}

/// Marks a core as this thread's current executor until dropped.
pub(crate) struct Enter {
    /// The executor that was current before (null if none): non-null means
    /// an executor was already running here, which `block_on` refuses.
    pub(crate) previous: *const Core,
    _time: time::EnterGuard,
}

impl Drop for Enter {
    #[inline]
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.previous));
    }
}

impl Core {
    /// Makes this core the thread's current executor until the guard drops.
    #[inline]
    pub(crate) fn enter(&self) -> Enter {
        let time = time::enter(&self.driver);
        // `try_with`: shutdown may run while thread-locals are torn down.
        let previous = CURRENT
            .try_with(|c| c.replace(self))
            .unwrap_or(std::ptr::null());
        Enter {
            previous,
            _time: time,
        }
    }
}
