//! [`ScopeError`] and [`TaskFailure`]: why a [`scope`](super::scope())
//! did not produce its body's output.

use std::fmt;

use crate::executor::JoinError;

/// How one task of a scope failed.
///
/// ```
/// use async_primer::cancel::{scope, TaskFailure};
///
/// let err = async_primer::block_on(scope(|s| async move {
///     s.spawn(async { Err::<(), _>(7) });
/// }))
/// .unwrap_err();
/// assert!(matches!(err.failures(), [TaskFailure::Error(7)]));
/// ```
pub enum TaskFailure<E> {
    /// The task returned `Err(e)`.
    Error(E),
    /// The task panicked; the payload is inside
    /// ([`JoinError::into_panic`], then `std::panic::resume_unwind` to
    /// re-raise it).
    Panic(JoinError),
}

impl<E> TaskFailure<E> {
    /// The error, if the task returned one (not a panic).
    ///
    /// ```
    /// let f = async_primer::cancel::TaskFailure::Error("late");
    /// assert_eq!(f.as_error(), Some(&"late"));
    /// ```
    pub fn as_error(&self) -> Option<&E> {
        match self {
            TaskFailure::Error(e) => Some(e),
            TaskFailure::Panic(_) => None,
        }
    }

    /// `true` if the task panicked.
    ///
    /// ```
    /// let f = async_primer::cancel::TaskFailure::Error(());
    /// assert!(!f.is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, TaskFailure::Panic(_))
    }
}

impl<E: fmt::Debug> fmt::Debug for TaskFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskFailure::Error(e) => f.debug_tuple("Error").field(e).finish(),
            TaskFailure::Panic(p) => f.debug_tuple("Panic").field(p).finish(),
        }
    }
}

impl<E: fmt::Display> fmt::Display for TaskFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskFailure::Error(e) => write!(f, "task failed: {e}"),
            TaskFailure::Panic(p) => fmt::Display::fmt(p, f),
        }
    }
}

/// The failures of a scope's tasks, in the order they happened (never
/// empty). Tasks the scope aborted itself (under
/// [`Policy::CancelOnError`](super::Policy::CancelOnError)) are not
/// failures and are not listed.
///
/// ```
/// use async_primer::cancel::scope;
///
/// let err = async_primer::block_on(scope(|s| async move {
///     s.spawn(async { Err::<(), _>("one") });
///     s.spawn(async { panic!("two") });
/// }))
/// .unwrap_err();
/// assert_eq!(err.failures().len(), 2);
/// assert!(err.to_string().starts_with("2 tasks of the scope failed"));
/// ```
pub struct ScopeError<E> {
    failures: Vec<TaskFailure<E>>,
}

impl<E> ScopeError<E> {
    pub(super) fn new(failures: Vec<TaskFailure<E>>) -> ScopeError<E> {
        debug_assert!(!failures.is_empty());
        ScopeError { failures }
    }

    /// Every failure, first one first.
    ///
    /// ```
    /// let err = async_primer::block_on(async_primer::cancel::scope(|s| async move {
    ///     s.spawn(async { Err::<(), _>(1) });
    /// }))
    /// .unwrap_err();
    /// assert_eq!(err.failures()[0].as_error(), Some(&1));
    /// ```
    pub fn failures(&self) -> &[TaskFailure<E>] {
        &self.failures
    }

    /// Every failure, by value.
    ///
    /// ```
    /// let err = async_primer::block_on(async_primer::cancel::scope(|s| async move {
    ///     s.spawn(async { Err::<(), _>(String::from("owned")) });
    /// }))
    /// .unwrap_err();
    /// let failures = err.into_failures();
    /// assert!(matches!(&failures[..], [async_primer::cancel::TaskFailure::Error(s)] if s == "owned"));
    /// ```
    pub fn into_failures(self) -> Vec<TaskFailure<E>> {
        self.failures
    }

    /// `true` if any task panicked.
    ///
    /// ```
    /// let err = async_primer::block_on(async_primer::cancel::scope::<(), _, _>(|s| async move {
    ///     s.spawn(async { panic!("lost? never") });
    /// }))
    /// .unwrap_err();
    /// assert!(err.has_panic());
    /// ```
    pub fn has_panic(&self) -> bool {
        self.failures.iter().any(TaskFailure::is_panic)
    }
}

impl<E: fmt::Debug> fmt::Debug for ScopeError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeError")
            .field("failures", &self.failures)
            .finish()
    }
}

impl<E: fmt::Display> fmt::Display for ScopeError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.failures.len() {
            1 => write!(f, "a task of the scope failed: {}", self.failures[0]),
            n => write!(
                f,
                "{n} tasks of the scope failed; the first: {}",
                self.failures[0]
            ),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for ScopeError<E> {}
