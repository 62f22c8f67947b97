//! [`Ending`]: how a task ended, as the run loop and its observer hear it.
//!
//! A finished task's result goes one of two ways. If a
//! [`JoinHandle`](super::JoinHandle) exists, the result waits in the task
//! (task.rs) for it: a value, or a [`JoinError`]. If the task was
//! detached, nobody will ever read it: a value is dropped at once, and a
//! panic's payload travels to the observer instead, which reports it
//! (diagnostics.rs: "a detached task panicked"). `Ending::sort` makes that
//! choice, so task.rs only stores what it is given.

use super::join_error::{JoinError, panic_message};
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// How a task ended.
pub(crate) enum Ending {
    /// Its future returned a value.
    Returned,
    /// It was aborted before it finished.
    Aborted,
    /// It panicked. Boxed: panics are rare, and this enum travels with
    /// every poll's result, which should stay two words.
    Panicked(Box<Panic>),
}

/// What is known of a task's panic.
pub(crate) struct Panic {
    pub(crate) message: String,
    /// The payload, when no JoinHandle wants it (it is reported instead).
    pub(crate) detached: Option<Box<dyn Any + Send>>,
}

impl Ending {
    /// Sorts a finished task's `result`: what to keep for its JoinHandle
    /// (`None` when it has none: `joined` is false), and how it ended.
    pub(crate) fn sort<T>(
        result: Result<T, JoinError>,
        joined: bool,
    ) -> (Option<Result<T, JoinError>>, Ending) {
        if joined {
            let ending = match &result {
                Ok(_) => Ending::Returned,
                Err(error) if error.is_aborted() => Ending::Aborted,
                Err(error) => Ending::panicked(error.to_string(), None),
            };
            return (Some(result), ending);
        }
        let ending = match result {
            Ok(value) => {
                // A value's destructor is user code too.
                let _ = catch_unwind(AssertUnwindSafe(move || drop(value)));
                Ending::Returned
            }
            Err(error) => match error.try_into_panic() {
                Ok(payload) => Ending::panicked(panic_message(&*payload).into(), Some(payload)),
                Err(_aborted) => Ending::Aborted,
            },
        };
        (None, ending)
    }

    fn panicked(message: String, detached: Option<Box<dyn Any + Send>>) -> Ending {
        Ending::Panicked(Box::new(Panic { message, detached }))
    }
}
