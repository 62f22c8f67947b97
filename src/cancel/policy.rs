//! [`Policy`]: what a [`scope`](super::scope()) does when one of its tasks
//! fails.

/// What a scope does when one of its tasks fails (returns `Err` or
/// panics). Either way the scope waits for every task before it returns,
/// and reports every failure.
///
/// ```
/// use async_primer::cancel::{Policy, scope_with};
///
/// let out = async_primer::block_on(scope_with(Policy::CancelOnError, |s| async move {
///     s.spawn(async { Err::<(), _>("broken") });
///     s.spawn(std::future::pending()); // would never finish: cancelled
/// }));
/// assert_eq!(out.unwrap_err().into_failures()[0].as_error(), Some(&"broken"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Policy {
    /// Let the other tasks (and the body) run to the end, then report the
    /// failures. Like `std::thread::scope`.
    #[default]
    WaitAll,
    /// At the first failure: cancel the scope's token, abort every other
    /// task, and drop the body (it stops at its current `.await`); then
    /// wait for the aborted tasks to stop and report. Like a Trio nursery
    /// or Kotlin's `coroutineScope`.
    CancelOnError,
}
