//! [`Scope`]: the handle a [`scope`](super::scope())'s body uses to spawn
//! tasks that belong to the scope.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::task::Waker;

use super::join_set::JoinSet;
use super::token::CancellationToken;

/// What the scope future and every `Scope` handle share.
pub(super) struct Shared<E> {
    pub(super) tasks: RefCell<JoinSet<Result<(), E>>>,
    /// The scope future's waker, to wake it when a task (not the body)
    /// spawns a sibling it has not seen yet.
    pub(super) waker: RefCell<Option<Waker>>,
    /// Set when the scope returned: spawning then is a bug.
    pub(super) closed: Cell<bool>,
    pub(super) token: CancellationToken,
}

/// A handle to a running [`scope`](super::scope()): spawn its tasks with
/// it, and watch its [`token`](Self::token). Cheap to clone; move clones
/// into tasks to spawn siblings from inside them.
///
/// ```
/// use async_primer::cancel::{scope, Scope};
/// use std::cell::Cell;
/// use std::rc::Rc;
///
/// let count = Rc::new(Cell::new(0));
/// let c = count.clone();
/// async_primer::block_on(scope::<(), _, _>(|s: Scope<()>| async move {
///     let inner = s.clone();
///     s.spawn(async move {
///         let c2 = c.clone();
///         inner.spawn(async move { c2.set(c2.get() + 1); Ok(()) }); // a sibling
///         c.set(c.get() + 1);
///         Ok(())
///     });
/// }))
/// .unwrap();
/// assert_eq!(count.get(), 2); // the scope waited for both
/// ```
pub struct Scope<E> {
    shared: Rc<Shared<E>>,
}

impl<E: 'static> Scope<E> {
    pub(super) fn new(shared: Rc<Shared<E>>) -> Scope<E> {
        Scope { shared }
    }

    /// Spawns a task that belongs to the scope: the scope does not return
    /// before the task has finished (or been aborted by the scope). `Err`
    /// or a panic is a failure of the scope (see
    /// [`Policy`](super::Policy)).
    ///
    /// The future must be `'static` (own its data, or share it by `Rc`):
    /// see [`scope`](super::scope()) for why. Panics if the scope has
    /// already returned.
    ///
    /// ```
    /// let out = async_primer::block_on(async_primer::cancel::scope(|s| async move {
    ///     s.spawn(async { Ok::<(), String>(()) });
    ///     "body done"
    /// }));
    /// assert_eq!(out.unwrap(), "body done");
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F)
    where
        F: Future<Output = Result<(), E>> + 'static,
    {
        if self.shared.closed.get() {
            panic!(
                "Scope::spawn after the scope returned: a scope's tasks cannot outlive it \
                 (spawn with async_primer::spawn for a task that may)"
            );
        }
        self.shared.tasks.borrow_mut().spawn(future);
        // `None` while the scope future polls the body: it looks at its
        // tasks right after, so it needs no wake.
        if let Some(waker) = self.shared.waker.borrow().as_ref() {
            waker.wake_by_ref();
        }
    }

    /// The scope's token: cancelled when the scope cancels its tasks (a
    /// failure under [`Policy::CancelOnError`](super::Policy::CancelOnError),
    /// or the scope future dropped before it finished). Tasks can watch it
    /// to stop cleanly before the abort reaches them.
    ///
    /// ```
    /// let out = async_primer::block_on(async_primer::cancel::scope::<(), _, _>(|s| async move {
    ///     s.token().is_cancelled()
    /// }));
    /// assert_eq!(out.unwrap(), false);
    /// ```
    pub fn token(&self) -> CancellationToken {
        self.shared.token.clone()
    }
}

impl<E> Clone for Scope<E> {
    fn clone(&self) -> Self {
        Scope {
            shared: self.shared.clone(),
        }
    }
}

impl<E> fmt::Debug for Scope<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field(
                "tasks",
                &self.shared.tasks.try_borrow().map(|t| t.len()).ok(),
            )
            .field("closed", &self.shared.closed.get())
            .finish()
    }
}
