//! `EventEmitter`, event-driven code with Node's rules (user docs on
//! [`EventEmitter`]).

// How it works: the listener list and the emit algorithm live in
// listeners.rs (shared with LocalEventEmitter); this file is the
// thread-safe face: listeners must be `Send + Sync`, so the emitter is too.

use super::listeners::{ListenerId, Listeners};
use std::fmt;

type SyncListener<E> = dyn Fn(&E) + Send + Sync + 'static;
type SyncHook = dyn Fn(&str) + Send + Sync + 'static;

/// An event emitter: event-driven code with Node's rules.
///
/// An emitter keeps a list of *listeners* (callbacks). [`emit`] calls each
/// of them, synchronously and in order, with a reference to the event. This
/// is how a forum tells its members about a new post, or a browser tells a
/// page that a button was clicked: whoever cares subscribes, and the
/// emitter does not need to know who they are.
///
/// ```
/// use async_primer::callback::EventEmitter;
/// use std::sync::{Arc, Mutex};
///
/// let forum = EventEmitter::<String>::new();
/// let inbox = Arc::new(Mutex::new(Vec::new()));
/// let i = inbox.clone();
/// let ada = forum.on(move |post| i.lock().unwrap().push(format!("ada saw {post}")));
/// let i = inbox.clone();
/// forum.once(move |post| i.lock().unwrap().push(format!("bob saw {post}")));
///
/// assert_eq!(forum.emit("hello".to_string()), 2); // both listeners ran
/// assert_eq!(forum.emit("again".to_string()), 1); // bob's `once` is gone
/// assert!(forum.off(ada));
/// assert_eq!(forum.emit("anyone?".to_string()), 0);
/// assert_eq!(*inbox.lock().unwrap(), ["ada saw hello", "bob saw hello", "ada saw again"]);
/// ```
///
/// The rules, as Node documents them:
///
/// * listeners run in registration order ([`prepend`] puts one in front);
/// * `emit` works on a **snapshot** taken when it starts: a listener added
///   during an emit is not called by it, one removed during it still is;
/// * a `once` listener is removed just before it runs, so it runs at most
///   once even when emits nest or race;
/// * a listener may call `on`, `off` and `emit` on the same emitter;
/// * a panicking listener's panic reaches `emit`'s caller; the emitter stays
///   usable, the listeners after it are not called in that emit, and a
///   `once` listener that panicked counts as consumed;
/// * past [`set_max_listeners`] (default 10) listeners, a one-time warning
///   is printed to stderr: usually a listener is added in a loop and never
///   removed (a leak). It is only a warning: the listener is still added.
///
/// Left out compared with Node: event *names* (one emitter carries one
/// event type: use an `enum` for several kinds), the `newListener` /
/// `removeListener` meta-events, and special treatment of `error` events.
///
/// [`emit`]: EventEmitter::emit
/// [`prepend`]: EventEmitter::prepend
/// [`set_max_listeners`]: EventEmitter::set_max_listeners
///
/// Guide: [`crate::guide::ch01_callbacks`]; loom models in `tests/loom_callback.rs`,
/// the model-based property test in `tests/emitter_prop.rs`.
///
/// `EventEmitter<E>` is `Send + Sync` whatever `E` is: put it in an
/// [`Arc`](std::sync::Arc) and emit from any thread. Listeners then run on
/// the emitting thread. That is why its listeners must be `Send + Sync`;
/// for single-threaded programs whose listeners share `Rc<RefCell<..>>`
/// state, use [`LocalEventEmitter`](super::LocalEventEmitter), which has
/// the same rules.
pub struct EventEmitter<E> {
    listeners: Listeners<E, SyncListener<E>, SyncHook>,
}

impl<E> EventEmitter<E> {
    /// An emitter with no listeners and the default limit of 10.
    ///
    /// ```
    /// let e = async_primer::callback::EventEmitter::<u8>::new();
    /// assert_eq!(e.listener_count(), 0);
    /// ```
    pub fn new() -> Self {
        EventEmitter {
            listeners: Listeners::new(),
        }
    }

    /// Adds a listener at the end of the list: it runs on every emit.
    ///
    /// ```
    /// use async_primer::callback::EventEmitter;
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::sync::Arc;
    ///
    /// let e = EventEmitter::<u32>::new();
    /// let total = Arc::new(AtomicU32::new(0));
    /// let t = total.clone();
    /// e.on(move |n| { t.fetch_add(*n, Ordering::Relaxed); });
    /// e.emit(2);
    /// e.emit(3);
    /// assert_eq!(total.load(Ordering::Relaxed), 5);
    /// ```
    pub fn on(&self, listener: impl Fn(&E) + Send + Sync + 'static) -> ListenerId {
        self.add(Box::new(listener), false, false)
    }

    /// Adds a listener that runs on the next emit only, then is removed.
    ///
    /// ```
    /// use async_primer::callback::EventEmitter;
    ///
    /// let e = EventEmitter::<()>::new();
    /// e.once(|_| {});
    /// assert_eq!(e.emit(()), 1);
    /// assert_eq!(e.emit(()), 0);
    /// ```
    pub fn once(&self, listener: impl Fn(&E) + Send + Sync + 'static) -> ListenerId {
        self.add(Box::new(listener), true, false)
    }

    /// Adds a listener at the *front* of the list (Node's `prependListener`).
    ///
    /// ```
    /// use async_primer::callback::EventEmitter;
    /// use std::sync::{Arc, Mutex};
    ///
    /// let e = EventEmitter::<()>::new();
    /// let order = Arc::new(Mutex::new(String::new()));
    /// let o = order.clone();
    /// e.on(move |_| o.lock().unwrap().push('b'));
    /// let o = order.clone();
    /// e.prepend(move |_| o.lock().unwrap().push('a'));
    /// e.emit(());
    /// assert_eq!(*order.lock().unwrap(), "ab");
    /// ```
    pub fn prepend(&self, listener: impl Fn(&E) + Send + Sync + 'static) -> ListenerId {
        self.add(Box::new(listener), false, true)
    }

    /// A `once` listener at the front of the list (Node's `prependOnceListener`).
    ///
    /// ```
    /// use async_primer::callback::EventEmitter;
    ///
    /// let e = EventEmitter::<()>::new();
    /// e.on(|_| {});
    /// e.prepend_once(|_| {});
    /// assert_eq!(e.emit(()), 2);
    /// assert_eq!(e.listener_count(), 1);
    /// ```
    pub fn prepend_once(&self, listener: impl Fn(&E) + Send + Sync + 'static) -> ListenerId {
        self.add(Box::new(listener), true, true)
    }

    pub(crate) fn add(&self, call: Box<SyncListener<E>>, once: bool, prepend: bool) -> ListenerId {
        self.listeners.add(call, once, prepend)
    }

    /// Removes the listener registered as `id`. Returns whether it was
    /// still registered. An emit already running still calls it.
    ///
    /// ```
    /// use async_primer::callback::EventEmitter;
    ///
    /// let e = EventEmitter::<()>::new();
    /// let id = e.on(|_| {});
    /// assert!(e.off(id));
    /// assert!(!e.off(id)); // already gone
    /// ```
    pub fn off(&self, id: ListenerId) -> bool {
        self.listeners.off(id)
    }

    /// Calls every listener registered when the emit starts, in order, with
    /// `&event`. Returns how many listeners ran.
    ///
    /// # Panics
    ///
    /// A listener's panic propagates to the caller; the listeners after it
    /// do not run in this emit, and the emitter stays fully usable.
    ///
    /// ```
    /// use async_primer::callback::EventEmitter;
    ///
    /// let e = EventEmitter::<&str>::new();
    /// e.on(|_| panic!("listener bug"));
    /// let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| e.emit("x")));
    /// assert!(result.is_err());
    /// assert_eq!(e.listener_count(), 1); // nothing lost, nothing poisoned
    /// ```
    pub fn emit(&self, event: E) -> usize {
        self.listeners.emit(&event)
    }

    /// How many listeners are registered now.
    ///
    /// ```
    /// use async_primer::callback::EventEmitter;
    ///
    /// let e = EventEmitter::<()>::new();
    /// e.on(|_| {});
    /// e.once(|_| {});
    /// assert_eq!(e.listener_count(), 2);
    /// ```
    pub fn listener_count(&self) -> usize {
        self.listeners.len()
    }

    /// Removes every listener (an emit already running still calls them).
    ///
    /// ```
    /// use async_primer::callback::EventEmitter;
    ///
    /// let e = EventEmitter::<()>::new();
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
    /// use async_primer::callback::EventEmitter;
    ///
    /// let e = EventEmitter::<()>::new();
    /// e.set_max_listeners(100);
    /// assert_eq!(e.max_listeners(), 100);
    /// ```
    pub fn set_max_listeners(&self, max: usize) {
        self.listeners.set_max(max);
    }

    /// The current soft limit (`0` = no limit).
    ///
    /// ```
    /// assert_eq!(async_primer::callback::EventEmitter::<()>::new().max_listeners(), 10);
    /// ```
    pub fn max_listeners(&self) -> usize {
        self.listeners.max()
    }

    /// Sends the leak warning to `hook` instead of stderr (for tests, or
    /// for a program's own log). The warning is still given only once.
    ///
    /// ```
    /// use async_primer::callback::EventEmitter;
    /// use std::sync::{Arc, Mutex};
    ///
    /// let e = EventEmitter::<()>::new();
    /// let warnings = Arc::new(Mutex::new(Vec::new()));
    /// let w = warnings.clone();
    /// e.set_leak_warning_hook(move |msg| w.lock().unwrap().push(msg.to_string()));
    /// e.set_max_listeners(2);
    /// for _ in 0..4 {
    ///     e.on(|_| {});
    /// }
    /// let warnings = warnings.lock().unwrap();
    /// assert_eq!(warnings.len(), 1);
    /// assert!(warnings[0].contains("3 listeners added"));
    /// ```
    pub fn set_leak_warning_hook(&self, hook: impl Fn(&str) + Send + Sync + 'static) {
        self.listeners.set_warning_hook(Box::new(hook));
    }
}

impl<E> Default for EventEmitter<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> fmt::Debug for EventEmitter<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventEmitter")
            .field("listeners", &self.listener_count())
            .field("max_listeners", &self.max_listeners())
            .finish()
    }
}
