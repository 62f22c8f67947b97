//! [`current_task`]: which task is being polled on this thread right now,
//! for log lines ([`say!`](crate::say)) and reports.
//!
//! ```
//! use async_primer::executor::{current_task, spawn_named};
//!
//! assert!(current_task().is_none()); // no executor running here
//! async_primer::block_on(async {
//!     assert_eq!(current_task().unwrap().to_string(), "block_on's future");
//!     let who = spawn_named("worker", async { current_task().unwrap() });
//!     let who = who.await.unwrap();
//!     assert_eq!(who.name(), Some("worker"));
//!     assert_eq!(who.to_string(), format!("'worker' (task #{})", who.id()));
//! });
//! ```
//
// How it works: `diagnostics::timed`, which wraps every poll (tasks and
// block_on's own future), enters a `Polling` guard; the guard puts the
// task in a thread-local and restores the previous value when the poll
// ends, even by a panic. `current_task` copies out the id and looks the name
// up in the running executor's name table, so a `TaskInfo` owns its data
// and stays valid after the task is gone. Rejected alternative: handing out
// the `TaskRef` itself (it would dangle once the task is freed).

use super::task::{MAIN, TaskRef};
use super::{context, core::Core};
use crate::sync::Arc;
use crate::sync::atomic::Ordering;
use std::cell::Cell;
use std::fmt;

crate::sync::const_thread_local! {
    static POLLING: Cell<Option<TaskRef>> = Cell::new(None);
}

/// Marks `task` as the one being polled on this thread until dropped.
pub(crate) struct Polling {
    previous: Option<TaskRef>,
}

impl Polling {
    #[inline]
    pub(crate) fn enter(task: TaskRef) -> Polling {
        let previous = POLLING.try_with(|c| c.replace(Some(task))).ok().flatten();
        Polling { previous }
    }
}

impl Drop for Polling {
    #[inline]
    fn drop(&mut self) {
        let _ = POLLING.try_with(|c| c.set(self.previous));
    }
}

/// Who a task is: its number and, if it was spawned with a name, the name.
/// Made by [`current_task`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskInfo {
    id: u64,
    name: Option<String>,
    main: bool,
}

impl TaskInfo {
    /// The task's number, unique among the live tasks of its executor
    /// (block_on's own future is number 0).
    ///
    /// ```
    /// let id = async_primer::block_on(async {
    ///     async_primer::spawn(async { async_primer::executor::current_task().unwrap().id() })
    ///         .await
    ///         .unwrap()
    /// });
    /// assert!(id > 0);
    /// ```
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The name given to [`spawn_named`](super::spawn_named), if any.
    ///
    /// ```
    /// async_primer::block_on(async {
    ///     assert_eq!(async_primer::executor::current_task().unwrap().name(), None);
    /// });
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl fmt::Display for TaskInfo {
    /// `'name' (task #3)`, `task #3`, or `block_on's future`: the same words
    /// the executor's diagnostics use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.name, self.main) {
            (_, true) => f.write_str("block_on's future"),
            (Some(name), false) => write!(f, "'{name}' (task #{})", self.id),
            (None, false) => write!(f, "task #{}", self.id),
        }
    }
}

/// The task being polled on this thread, or `None` outside any poll (no
/// executor running, or code running between polls such as a timer).
///
/// ```
/// async_primer::block_on(async {
///     let me = async_primer::executor::current_task().expect("inside block_on");
///     assert_eq!(me.id(), 0);
/// });
/// ```
pub fn current_task() -> Option<TaskInfo> {
    let task = POLLING.try_with(Cell::get).ok().flatten()?;
    let header = task.header();
    // Relaxed: MAIN is set when the header is made and never changes.
    let main = header.state.load(Ordering::Relaxed) & MAIN != 0;
    let name = match main {
        true => None,
        false => context::with_current(|core: &Core| {
            // Only the task's own executor knows its name.
            Arc::ptr_eq(&core.shared, &header.shared)
                .then(|| core.names.borrow().get(&header.id).cloned())
                .flatten()
        })
        .flatten(),
    };
    Some(TaskInfo {
        id: u64::from(header.id),
        name,
        main,
    })
}
