//! The errors a promise can be rejected with by the crate itself (user
//! docs on [`PromiseError`]), and `any`'s [`AggregateError`].

use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// Why the crate itself rejected a promise, or a message you rejected with.
///
/// ```
/// use async_primer::promise::PromiseError;
///
/// let e = PromiseError::Broken;
/// assert!(e.to_string().contains("resolver was dropped"));
/// ```
// The messages are `Arc<str>`: cloning an error (each consumer of a
// promise gets a copy) is then cheap, and the type stays 16 bytes, which
// keeps `Result<T, PromiseError>` small.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PromiseError {
    /// The [`Resolver`](super::Resolver) was dropped before it settled the
    /// promise (a "broken promise"), for example because the task holding
    /// it was cancelled or the executor was dropped.
    Broken,
    /// A continuation (or the closure given to
    /// [`Promise::new`](super::Promise::new)) panicked; the panic message.
    Panicked(Arc<str>),
    /// The promise was resolved with itself, or with a chain of promises
    /// that leads back to it, so it could never settle (Promises/A+ 2.3.1).
    Cycle,
    /// [`Promise::race`](super::Promise::race) of no promises at all: with
    /// nobody to win, it rejects at once rather than wait forever.
    EmptyRace,
    /// A rejection with a message of your own, like JavaScript's
    /// `reject(new Error("..."))`.
    Rejected(Arc<str>),
}

impl PromiseError {
    /// Turns a panic payload (from `catch_unwind`) into `Panicked`.
    pub(crate) fn panicked(payload: Box<dyn Any + Send>) -> Self {
        let message: &str = if let Some(s) = payload.downcast_ref::<&str>() {
            s
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s
        } else {
            "a panic with a non-string payload"
        };
        PromiseError::Panicked(message.into())
    }
}

impl fmt::Display for PromiseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PromiseError::Broken => {
                f.write_str("broken promise: its resolver was dropped without settling it")
            }
            PromiseError::Panicked(msg) => write!(f, "a continuation panicked: {msg}"),
            PromiseError::Cycle => {
                f.write_str("promise cycle: a promise was resolved with itself (A+ 2.3.1)")
            }
            PromiseError::EmptyRace => f.write_str("race of no promises: nothing can win"),
            PromiseError::Rejected(msg) => write!(f, "rejected: {msg}"),
        }
    }
}

impl std::error::Error for PromiseError {}

impl From<&str> for PromiseError {
    fn from(message: &str) -> Self {
        PromiseError::Rejected(message.into())
    }
}

impl From<String> for PromiseError {
    fn from(message: String) -> Self {
        PromiseError::Rejected(message.into())
    }
}

/// Every error of a [`Promise::any`](super::Promise::any) whose inputs all
/// rejected, in input order (JavaScript's `AggregateError`).
///
/// `any` of no promises rejects with an empty list.
///
/// ```
/// use async_primer::promise::{AggregateError, PromiseError};
///
/// let all_failed = AggregateError { errors: vec![PromiseError::from("a"), PromiseError::from("b")] };
/// assert_eq!(all_failed.errors.len(), 2);
/// assert!(all_failed.to_string().starts_with("all 2 promises rejected"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateError<E> {
    /// One error per input promise, in the order the inputs were given.
    pub errors: Vec<E>,
}

impl<E: fmt::Display> fmt::Display for AggregateError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "all {} promises rejected", self.errors.len())?;
        for (i, e) in self.errors.iter().enumerate() {
            write!(f, "{} {e}", if i == 0 { ":" } else { ";" })?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for AggregateError<E> {}

/// A fault further down a chain that started with `any` becomes a list
/// holding that one fault, so `AggregateError<E>` works with continuations.
impl<E: From<PromiseError>> From<PromiseError> for AggregateError<E> {
    fn from(fault: PromiseError) -> Self {
        AggregateError {
            errors: vec![E::from(fault)],
        }
    }
}
