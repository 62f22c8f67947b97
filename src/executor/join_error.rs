//! [`JoinError`]: why a task did not produce its output.
//!
//! A task ends in one of three ways: its future returned (the
//! [`JoinHandle`](super::JoinHandle) gives `Ok(value)`), it panicked, or it
//! was aborted (by [`JoinHandle::abort`](super::JoinHandle::abort), or by
//! dropping its executor). The last two are a `JoinError`; the panic's
//! payload travels inside it, so `std::panic::resume_unwind` can re-raise
//! it in the awaiting task.

use std::any::Any;
use std::fmt;

/// Why a task did not produce its output: it panicked, or it was aborted
/// (or its executor was dropped first).
///
/// ```
/// use async_primer::executor::Executor;
///
/// let ex = Executor::new();
/// let handle = ex.spawn(async { panic!("boom") });
/// let err = ex.block_on(handle).unwrap_err();
/// assert!(err.is_panic());
/// assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
/// ```
pub struct JoinError {
    // Boxed twice so a JoinError is one word: it sits in every task's
    // allocation (task.rs), and panics are rare.
    panic: Option<Box<Box<dyn Any + Send>>>,
}

impl JoinError {
    pub(crate) fn panicked(payload: Box<dyn Any + Send>) -> JoinError {
        JoinError {
            panic: Some(Box::new(payload)),
        }
    }

    pub(crate) fn aborted() -> JoinError {
        JoinError { panic: None }
    }

    /// True if the task panicked.
    ///
    /// ```
    /// # use async_primer::executor::Executor;
    /// let ex = Executor::new();
    /// assert!(ex.block_on(ex.spawn(async { panic!() })).unwrap_err().is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        self.panic.is_some()
    }

    /// True if the task was aborted (or its executor dropped) first.
    ///
    /// ```
    /// # use async_primer::executor::Executor;
    /// let ex = Executor::new();
    /// let h = ex.spawn(std::future::pending::<()>());
    /// h.abort();
    /// assert!(ex.block_on(h).unwrap_err().is_aborted());
    /// ```
    pub fn is_aborted(&self) -> bool {
        self.panic.is_none()
    }

    /// The panic payload; panics if the task was aborted instead.
    /// (`std::panic::resume_unwind(err.into_panic())` re-raises it.)
    ///
    /// ```
    /// # use async_primer::executor::Executor;
    /// let ex = Executor::new();
    /// let err = ex.block_on(ex.spawn(async { panic!("{}", 7) })).unwrap_err();
    /// assert_eq!(*err.into_panic().downcast::<String>().unwrap(), "7");
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send> {
        self.try_into_panic()
            .expect("JoinError::into_panic on an aborted task")
    }

    /// The panic payload, or the error back if the task was aborted.
    ///
    /// ```
    /// # use async_primer::executor::Executor;
    /// let ex = Executor::new();
    /// let h = ex.spawn(std::future::pending::<()>());
    /// h.abort();
    /// assert!(ex.block_on(h).unwrap_err().try_into_panic().is_err());
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send>, JoinError> {
        match self.panic {
            Some(payload) => Ok(*payload),
            None => Err(self),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.panic {
            Some(p) => write!(f, "task panicked: {}", panic_message(&***p)),
            None => f.write_str("task was aborted"),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.panic {
            Some(p) => write!(f, "JoinError::Panic({:?})", panic_message(&***p)),
            None => f.write_str("JoinError::Aborted"),
        }
    }
}

impl std::error::Error for JoinError {}

/// The text of a panic payload (`panic!("..")` gives a `&str` or `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    match payload.downcast_ref::<&'static str>() {
        Some(s) => s,
        None => payload
            .downcast_ref::<String>()
            .map_or("(not a string)", String::as_str),
    }
}
