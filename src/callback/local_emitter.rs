//! [`LocalEventEmitter`]: an event emitter for one thread, whose listeners
//! may hold `Rc<RefCell<..>>` state.
//!
//! ```
//! use async_primer::callback::LocalEventEmitter;
//! use std::cell::RefCell;
//! use std::rc::Rc;
//!
//! let clicks = LocalEventEmitter::<u32>::new();
//! let seen = Rc::new(RefCell::new(Vec::new())); // !Send state: fine here
//! let s = seen.clone();
//! clicks.on(move |n| s.borrow_mut().push(*n));
//! clicks.emit(1);
//! clicks.emit(2);
//! assert_eq!(*seen.borrow(), [1, 2]);
//! ```
//
// How it works: the same listener list and emit algorithm as EventEmitter
// (listeners.rs), with listeners of type `dyn Fn(&E)` (no `Send + Sync`).
// A `PhantomData<*const ()>` makes the emitter itself `!Send + !Sync`, so
// those listeners can never be called from another thread: the compiler
// enforces what `Rc` needs. Left out compared with EventEmitter: emitting
// from other threads (use EventEmitter, or send the events to this thread
// over a channel).

use super::listeners::{ListenerId, Listeners};
use super::next::{Slot, poll_slot, subscribe};
use crate::sync::{Arc, Mutex};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

type LocalListener<E> = dyn Fn(&E) + 'static;
type LocalHook = dyn Fn(&str) + 'static;

/// An event emitter with Node's rules, for one thread: listeners need not
/// be `Send` or `Sync`, so they may share `Rc<RefCell<..>>` state, which is
/// what a single-threaded program (and most coursework) reaches for first.
///
/// The rules are exactly [`EventEmitter`](super::EventEmitter)'s (the two
/// share their code): registration order, [`prepend`](Self::prepend),
/// a snapshot per emit, re-entrant `on`/`off`/`emit` from listeners,
/// `once` at most once, a panicking listener leaves the emitter usable,
/// a one-time leak warning past [`set_max_listeners`](Self::set_max_listeners),
/// and [`next`](Self::next) to await the next event.
///
/// ```
/// use async_primer::callback::LocalEventEmitter;
/// use std::cell::Cell;
/// use std::rc::Rc;
///
/// let e = Rc::new(LocalEventEmitter::<&str>::new());
/// let count = Rc::new(Cell::new(0));
/// let c = count.clone();
/// let inner = e.clone();
/// e.once(move |_| {
///     c.set(c.get() + 1);
///     inner.emit("nested"); // re-entrant: the once listener is already gone
/// });
/// assert_eq!(e.emit("first"), 1);
/// assert_eq!(count.get(), 1);
/// ```
///
/// It is `!Send` and `!Sync`: it stays on the thread that made it.
///
/// ```compile_fail
/// let e = async_primer::callback::LocalEventEmitter::<u8>::new();
/// std::thread::spawn(move || e.emit(1)); // error: cannot be sent between threads
/// ```
pub struct LocalEventEmitter<E> {
    listeners: Listeners<E, LocalListener<E>, LocalHook>,
    _one_thread: PhantomData<*const ()>,
}

impl<E> LocalEventEmitter<E> {
    /// An emitter with no listeners and the default limit of 10.
    ///
    /// ```
    /// let e = async_primer::callback::LocalEventEmitter::<u8>::new();
    /// assert_eq!(e.listener_count(), 0);
    /// ```
    pub fn new() -> Self {
        LocalEventEmitter {
            listeners: Listeners::new(),
            _one_thread: PhantomData,
        }
    }

    /// Adds a listener at the end of the list: it runs on every emit.
    ///
    /// ```
    /// use async_primer::callback::LocalEventEmitter;
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    ///
    /// let e = LocalEventEmitter::<u32>::new();
    /// let total = Rc::new(Cell::new(0));
    /// let t = total.clone();
    /// e.on(move |n| t.set(t.get() + n));
    /// e.emit(2);
    /// e.emit(3);
    /// assert_eq!(total.get(), 5);
    /// ```
    pub fn on(&self, listener: impl Fn(&E) + 'static) -> ListenerId {
        self.listeners.add(Box::new(listener), false, false)
    }

    /// Adds a listener that runs on the next emit only, then is removed.
    ///
    /// ```
    /// let e = async_primer::callback::LocalEventEmitter::<()>::new();
    /// e.once(|_| {});
    /// assert_eq!(e.emit(()), 1);
    /// assert_eq!(e.emit(()), 0);
    /// ```
    pub fn once(&self, listener: impl Fn(&E) + 'static) -> ListenerId {
        self.listeners.add(Box::new(listener), true, false)
    }

    /// Adds a listener at the *front* of the list (Node's `prependListener`).
    ///
    /// ```
    /// use async_primer::callback::LocalEventEmitter;
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    ///
    /// let e = LocalEventEmitter::<()>::new();
    /// let order = Rc::new(RefCell::new(String::new()));
    /// let o = order.clone();
    /// e.on(move |_| o.borrow_mut().push('b'));
    /// let o = order.clone();
    /// e.prepend(move |_| o.borrow_mut().push('a'));
    /// e.emit(());
    /// assert_eq!(*order.borrow(), "ab");
    /// ```
    pub fn prepend(&self, listener: impl Fn(&E) + 'static) -> ListenerId {
        self.listeners.add(Box::new(listener), false, true)
    }

    /// A `once` listener at the front of the list (Node's `prependOnceListener`).
    ///
    /// ```
    /// let e = async_primer::callback::LocalEventEmitter::<()>::new();
    /// e.on(|_| {});
    /// e.prepend_once(|_| {});
    /// assert_eq!(e.emit(()), 2);
    /// assert_eq!(e.listener_count(), 1);
    /// ```
    pub fn prepend_once(&self, listener: impl Fn(&E) + 'static) -> ListenerId {
        self.listeners.add(Box::new(listener), true, true)
    }

    /// Removes the listener registered as `id`. Returns whether it was
    /// still registered. An emit already running still calls it.
    ///
    /// ```
    /// let e = async_primer::callback::LocalEventEmitter::<()>::new();
    /// let id = e.on(|_| {});
    /// assert!(e.off(id));
    /// assert!(!e.off(id));
    /// ```
    pub fn off(&self, id: ListenerId) -> bool {
        self.listeners.off(id)
    }

    /// Calls every listener registered when the emit starts, in order, with
    /// `&event`. Returns how many listeners ran. A listener's panic reaches
    /// the caller; the emitter stays usable.
    ///
    /// ```
    /// let e = async_primer::callback::LocalEventEmitter::<&str>::new();
    /// e.on(|_| panic!("listener bug"));
    /// let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| e.emit("x")));
    /// assert!(r.is_err());
    /// assert_eq!(e.listener_count(), 1);
    /// ```
    pub fn emit(&self, event: E) -> usize {
        self.listeners.emit(&event)
    }

    /// How many listeners are registered now.
    ///
    /// ```
    /// let e = async_primer::callback::LocalEventEmitter::<()>::new();
    /// e.on(|_| {});
    /// assert_eq!(e.listener_count(), 1);
    /// ```
    pub fn listener_count(&self) -> usize {
        self.listeners.len()
    }

    /// Removes every listener (an emit already running still calls them).
    ///
    /// ```
    /// let e = async_primer::callback::LocalEventEmitter::<()>::new();
    /// e.on(|_| {});
    /// e.remove_all();
    /// assert_eq!(e.emit(()), 0);
    /// ```
    pub fn remove_all(&self) {
        self.listeners.remove_all();
    }

    /// Sets the soft limit past which a one-time leak warning is printed;
    /// `0` means no limit. The default is 10.
    ///
    /// ```
    /// let e = async_primer::callback::LocalEventEmitter::<()>::new();
    /// e.set_max_listeners(100);
    /// assert_eq!(e.max_listeners(), 100);
    /// ```
    pub fn set_max_listeners(&self, max: usize) {
        self.listeners.set_max(max);
    }

    /// The current soft limit (`0` = no limit).
    ///
    /// ```
    /// assert_eq!(async_primer::callback::LocalEventEmitter::<()>::new().max_listeners(), 10);
    /// ```
    pub fn max_listeners(&self) -> usize {
        self.listeners.max()
    }

    /// Sends the leak warning to `hook` instead of stderr; the hook may be
    /// `!Send` too. The warning is still given only once.
    ///
    /// ```
    /// use async_primer::callback::LocalEventEmitter;
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    ///
    /// let e = LocalEventEmitter::<()>::new();
    /// let warnings = Rc::new(RefCell::new(Vec::new()));
    /// let w = warnings.clone();
    /// e.set_leak_warning_hook(move |msg| w.borrow_mut().push(msg.to_string()));
    /// e.set_max_listeners(1);
    /// e.on(|_| {});
    /// e.on(|_| {});
    /// assert_eq!(warnings.borrow().len(), 1);
    /// ```
    pub fn set_leak_warning_hook(&self, hook: impl Fn(&str) + 'static) {
        self.listeners.set_warning_hook(Box::new(hook));
    }
}

impl<E: Clone + 'static> LocalEventEmitter<E> {
    /// A future resolving with the next event (or `None` if its listener
    /// is removed first), as [`EventEmitter::next`](super::EventEmitter::next):
    /// registered now, removed when the future completes or is dropped.
    ///
    /// ```
    /// use async_primer::callback::LocalEventEmitter;
    /// use std::rc::Rc;
    ///
    /// let e = LocalEventEmitter::<Rc<str>>::new(); // a !Send event is fine
    /// let next = e.next();
    /// e.emit(Rc::from("ding"));
    /// assert_eq!(futures::executor::block_on(next).as_deref(), Some("ding"));
    /// ```
    pub fn next(&self) -> LocalNext<'_, E> {
        let (slot, listener) = subscribe();
        let id = self.listeners.add(Box::new(listener), true, false);
        LocalNext {
            emitter: self,
            id,
            slot,
            done: false,
        }
    }
}

impl<E> Default for LocalEventEmitter<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> fmt::Debug for LocalEventEmitter<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalEventEmitter")
            .field("listeners", &self.listener_count())
            .field("max_listeners", &self.max_listeners())
            .finish()
    }
}

/// The future returned by [`LocalEventEmitter::next`]; the same as
/// [`Next`](super::Next), for the local emitter.
///
/// ```
/// use async_primer::callback::{LocalEventEmitter, LocalNext};
/// let e = LocalEventEmitter::<u8>::new();
/// let next: LocalNext<'_, u8> = e.next();
/// e.emit(3);
/// assert_eq!(futures::executor::block_on(next), Some(3));
/// ```
#[must_use = "futures do nothing unless polled (the listener is already registered)"]
pub struct LocalNext<'a, E> {
    emitter: &'a LocalEventEmitter<E>,
    id: ListenerId,
    slot: Arc<Mutex<Slot<E>>>,
    done: bool,
}

impl<E> Future for LocalNext<'_, E> {
    type Output = Option<E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        // `LocalNext` is `Unpin`: a reference, an id, an Arc and a flag.
        let this = self.get_mut();
        poll_slot(&this.slot, &mut this.done, cx)
    }
}

impl<E> Drop for LocalNext<'_, E> {
    fn drop(&mut self) {
        // Not delivered yet: unsubscribe (a fired once listener is gone).
        if !self.done {
            self.emitter.off(self.id);
        }
    }
}

impl<E> fmt::Debug for LocalNext<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalNext")
            .field("id", &self.id)
            .field("done", &self.done)
            .finish()
    }
}
