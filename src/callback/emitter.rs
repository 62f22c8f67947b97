//! `EventEmitter`, event-driven code with Node's rules (user docs on
//! [`EventEmitter`]).

// How it works
//
// The listener list is an immutable, shared snapshot, `Arc<Vec<Arc<Listener>>>`,
// behind a mutex. `emit` locks only long enough to clone the outer Arc (one
// reference-count increment), then calls the listeners with no lock held.
// That one decision gives most of the rules above for free:
//
//   * the snapshot is what `emit` iterates, so later additions and
//     removals (which build a *new* Vec: copy-on-write) cannot affect it;
//   * no lock is held while user code runs, so a listener can call back
//     into the emitter without deadlock, and a panic cannot poison it.
//
// A `once` listener carries a `fired` flag. The emit that swaps it from
// false to true owns the call: it removes the listener from the live list
// and runs it. Any other emit (nested or on another thread) whose snapshot
// still holds it sees `true` and skips it.
//
// User code never runs under the lock, not even `Drop`: a replaced
// snapshot, which may hold the last reference to a removed listener, is
// dropped only after the lock is released.
//
// Rejected alternative: a `Mutex<Vec<Box<dyn Fn>>>` held during emit: it
// deadlocks the first time a listener subscribes another listener.

use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::{Arc, Mutex};
use std::fmt;

/// Identifies one registration; pass it to [`EventEmitter::off`].
///
/// ```
/// use async_primer::callback::EventEmitter;
///
/// let e = EventEmitter::<()>::new();
/// let a = e.on(|_| {});
/// let b = e.on(|_| {});
/// assert_ne!(a, b); // every registration gets its own id
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListenerId(u64);

/// The default soft limit on listeners, as in Node.
const DEFAULT_MAX_LISTENERS: usize = 10;

pub(crate) type ListenerFn<E> = Box<dyn Fn(&E) + Send + Sync + 'static>;
type WarningHook = Arc<Box<dyn Fn(&str) + Send + Sync + 'static>>;

struct Listener<E> {
    id: ListenerId,
    once: bool,
    /// Only for `once` listeners: set by the emit that runs it.
    fired: AtomicBool,
    call: ListenerFn<E>,
}

type Snapshot<E> = Arc<Vec<Arc<Listener<E>>>>;

struct Registry<E> {
    listeners: Snapshot<E>,
    next_id: u64,
    /// 0 means "no limit".
    max_listeners: usize,
    warned: bool,
    warning_hook: Option<WarningHook>,
}

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
/// the emitting thread.
pub struct EventEmitter<E> {
    registry: Mutex<Registry<E>>,
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
            registry: Mutex::new(Registry {
                listeners: Arc::new(Vec::new()),
                next_id: 0,
                max_listeners: DEFAULT_MAX_LISTENERS,
                warned: false,
                warning_hook: None,
            }),
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

    pub(crate) fn add(&self, call: ListenerFn<E>, once: bool, prepend: bool) -> ListenerId {
        let mut registry = self.registry.lock();
        let id = ListenerId(registry.next_id);
        registry.next_id += 1;
        let listener = Arc::new(Listener {
            id,
            once,
            fired: AtomicBool::new(false),
            call,
        });
        // Copy-on-write: emits already running keep their old snapshot.
        let mut list = Vec::with_capacity(registry.listeners.len() + 1);
        if prepend {
            list.push(listener);
            list.extend(registry.listeners.iter().cloned());
        } else {
            list.extend(registry.listeners.iter().cloned());
            list.push(listener);
        }
        let count = list.len();
        let old = std::mem::replace(&mut registry.listeners, Arc::new(list));
        let over_limit = registry.max_listeners != 0 && count > registry.max_listeners;
        let warning = if over_limit && !registry.warned {
            registry.warned = true;
            Some((registry.max_listeners, registry.warning_hook.clone()))
        } else {
            None
        };
        drop(registry);
        drop(old);
        if let Some((max, hook)) = warning {
            let message = format!(
                "warning: possible EventEmitter memory leak detected: {count} listeners \
                 added, the limit is {max}. Use set_max_listeners() to raise it (0 = no limit)."
            );
            match hook {
                Some(hook) => hook(&message),
                None => eprintln!("{message}"),
            }
        }
        id
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
        let mut registry = self.registry.lock();
        let Some(position) = registry.listeners.iter().position(|l| l.id == id) else {
            return false;
        };
        let mut list: Vec<_> = registry.listeners.iter().cloned().collect();
        list.remove(position);
        let old = std::mem::replace(&mut registry.listeners, Arc::new(list));
        drop(registry);
        // The removed listener may be dropped here: outside the lock.
        drop(old);
        true
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
        // One lock, one reference-count increment; the guard is a temporary
        // and is released at the end of this statement.
        let snapshot = self.registry.lock().listeners.clone();
        let mut ran = 0;
        for listener in snapshot.iter() {
            if listener.once {
                // Relaxed is enough: the flag guards no other data, and a
                // read-modify-write always sees the latest value, so exactly
                // one emit gets `false` back.
                if listener.fired.swap(true, Ordering::Relaxed) {
                    continue;
                }
                self.off(listener.id);
            }
            ran += 1;
            (listener.call)(&event);
        }
        ran
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
        self.registry.lock().listeners.len()
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
        let old = std::mem::replace(&mut self.registry.lock().listeners, Arc::new(Vec::new()));
        drop(old);
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
        self.registry.lock().max_listeners = max;
    }

    /// The current soft limit (`0` = no limit).
    ///
    /// ```
    /// assert_eq!(async_primer::callback::EventEmitter::<()>::new().max_listeners(), 10);
    /// ```
    pub fn max_listeners(&self) -> usize {
        self.registry.lock().max_listeners
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
        self.registry.lock().warning_hook = Some(Arc::new(Box::new(hook)));
    }
}

impl<E> Default for EventEmitter<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> fmt::Debug for EventEmitter<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let registry = self.registry.lock();
        f.debug_struct("EventEmitter")
            .field("listeners", &registry.listeners.len())
            .field("max_listeners", &registry.max_listeners)
            .finish()
    }
}
