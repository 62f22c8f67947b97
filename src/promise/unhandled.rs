//! Unhandled rejections: errors nobody will ever see get reported through
//! a process-wide hook (user docs on [`set_unhandled_rejection_hook`]),
//! like Node's `unhandledRejection` event.

use std::panic::Location;
use std::sync::RwLock;

/// What the hook is told about one unhandled rejection.
///
/// ```
/// use async_primer::promise::{Promise, set_unhandled_rejection_hook};
///
/// set_unhandled_rejection_hook(|r| {
///     eprintln!("lost error {} from {}:{}", r.error(), r.location().file(), r.location().line())
/// });
/// # let _ = async_primer::promise::take_unhandled_rejection_hook();
/// ```
#[derive(Debug)]
pub struct UnhandledRejection<'a> {
    location: &'static Location<'static>,
    error: &'a str,
}

impl UnhandledRejection<'_> {
    /// Where the promise was created (`with_resolvers`, `new`, `then`, ...).
    ///
    /// ```
    /// # use async_primer::promise::set_unhandled_rejection_hook;
    /// set_unhandled_rejection_hook(|r| assert!(r.location().line() > 0));
    /// # let _ = async_primer::promise::take_unhandled_rejection_hook();
    /// ```
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// The error, formatted with `{:?}`.
    ///
    /// ```
    /// # use async_primer::promise::set_unhandled_rejection_hook;
    /// set_unhandled_rejection_hook(|r| println!("{}", r.error()));
    /// # let _ = async_primer::promise::take_unhandled_rejection_hook();
    /// ```
    pub fn error(&self) -> &str {
        self.error
    }
}

/// A boxed unhandled-rejection hook, as [`take_unhandled_rejection_hook`]
/// returns it.
///
/// ```
/// use async_primer::promise::UnhandledRejectionHook;
///
/// let hook: UnhandledRejectionHook = Box::new(|r| eprintln!("{}", r.error()));
/// drop(hook); // or keep it, to set it again later
/// ```
pub type UnhandledRejectionHook = Box<dyn Fn(&UnhandledRejection<'_>) + Send + Sync>;

// A plain std lock: the hook is process-wide configuration, not state that
// the loom models explore.
static HOOK: RwLock<Option<UnhandledRejectionHook>> = RwLock::new(None);

/// Replaces the process-wide unhandled-rejection hook (all threads).
///
/// A rejected promise whose last handle is dropped, when nothing ever
/// looked at it (no `.await`, no continuation or combinator, no `peek`),
/// is reported once, like Node's `unhandledRejection`. Without a hook the
/// report is a warning on stderr naming the error and where the promise
/// was created:
///
/// ```text
/// warning: unhandled promise rejection: Rejected("disk full") (promise created at src/main.rs:7:13)
/// ```
///
/// A handler attached before the last drop means no report: the rejection
/// travels on to the derived promise, which is reported instead if *it* is
/// dropped unhandled. A broken promise ([`PromiseError::Broken`]: its
/// resolver was dropped) is never reported: it means nobody is left to
/// settle it, not that something failed.
///
/// The hook runs on the thread that drops the last handle (or settles the
/// promise after that), possibly inside a `Drop`: it must not panic.
///
/// [`PromiseError::Broken`]: super::PromiseError::Broken
///
/// ```
/// use async_primer::promise::set_unhandled_rejection_hook;
///
/// set_unhandled_rejection_hook(|r| eprintln!("lost: {}", r.error()));
/// # let _ = async_primer::promise::take_unhandled_rejection_hook();
/// ```
pub fn set_unhandled_rejection_hook(
    hook: impl Fn(&UnhandledRejection<'_>) + Send + Sync + 'static,
) {
    *HOOK.write().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(hook));
}

/// Removes the hook set by [`set_unhandled_rejection_hook`], returning it;
/// reports go to stderr again.
///
/// ```
/// use async_primer::promise::{set_unhandled_rejection_hook, take_unhandled_rejection_hook};
///
/// set_unhandled_rejection_hook(|_| {});
/// assert!(take_unhandled_rejection_hook().is_some());
/// assert!(take_unhandled_rejection_hook().is_none());
/// ```
pub fn take_unhandled_rejection_hook() -> Option<UnhandledRejectionHook> {
    HOOK.write().unwrap_or_else(|p| p.into_inner()).take()
}

pub(crate) fn report(location: &'static Location<'static>, error: &str) {
    let rejection = UnhandledRejection { location, error };
    match &*HOOK.read().unwrap_or_else(|p| p.into_inner()) {
        Some(hook) => hook(&rejection),
        None => eprintln!(
            "warning: unhandled promise rejection: {error} (promise created at {location})"
        ),
    }
}
