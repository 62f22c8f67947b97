//! [`TaskInfo`]: which task is running, for logs and traces.

use std::fmt;
use std::panic::Location;

/// Who the running task is: its number, its name (if it was spawned with
/// [`spawn_named`](super::spawn_named)) and where it was spawned. Returned
/// by [`current_task`](super::current_task).
///
/// It prints as `'name' (task #3)`, `task #3`, or `block_on's future`
/// (which is task 0).
///
/// ```
/// use async_primer::executor::{current_task, spawn_named};
///
/// async_primer::block_on(async {
///     assert_eq!(current_task().unwrap().to_string(), "block_on's future");
///     let h = spawn_named("worker", async { current_task().unwrap() });
///     let info = h.await.unwrap();
///     assert_eq!(info.name(), Some("worker"));
///     assert_eq!(info.to_string(), format!("'worker' (task #{})", info.id()));
/// });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskInfo {
    pub(crate) id: u64,
    pub(crate) name: Option<String>,
    pub(crate) spawned_at: &'static Location<'static>,
}

impl TaskInfo {
    /// The task's number: 0 for `block_on`'s future, then 1, 2, ... in
    /// spawn order on each executor.
    ///
    /// ```
    /// async_primer::block_on(async {
    ///     assert_eq!(async_primer::executor::current_task().unwrap().id(), 0);
    /// });
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

    /// Where the task was spawned (for block_on's future: where `block_on`
    /// was called).
    ///
    /// ```
    /// async_primer::block_on(async {
    ///     let at = async_primer::executor::current_task().unwrap().spawned_at();
    ///     assert!(at.file().ends_with(".rs"));
    /// });
    /// ```
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }
}

impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.id, &self.name) {
            (0, _) => f.write_str("block_on's future"),
            (id, Some(name)) => write!(f, "'{name}' (task #{id})"),
            (id, None) => write!(f, "task #{id}"),
        }
    }
}
