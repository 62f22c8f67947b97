//! The listener list and the emit algorithm shared by
//! [`EventEmitter`](super::EventEmitter) (thread-safe listeners) and
//! [`LocalEventEmitter`](super::LocalEventEmitter) (`!Send` listeners).
//! Both are thin faces over [`Listeners`]; only the type of a listener
//! differs (`dyn Fn(&E) + Send + Sync` or `dyn Fn(&E)`), so the rules are
//! written, and tested, once.
//
// How it works
//
// The listener list is an immutable, shared snapshot, `Arc<Vec<Arc<Listener>>>`,
// behind a mutex. `emit` locks only long enough to clone the outer Arc (one
// reference-count increment), then calls the listeners with no lock held.
// That one decision gives most of Node's rules for free:
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
// deadlocks the first time a listener subscribes another listener. And for
// the local emitter, a second copy of this file on `Rc`/`RefCell`: it
// would save a few uncontended atomic operations per emit, and double the
// code that carries the rules.

use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::{Arc, Mutex};
use std::marker::PhantomData;

/// Identifies one registration; pass it to [`EventEmitter::off`](super::EventEmitter::off)
/// (or [`LocalEventEmitter::off`](super::LocalEventEmitter::off)).
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

struct Listener<L: ?Sized> {
    id: ListenerId,
    once: bool,
    /// Only for `once` listeners: set by the emit that runs it.
    fired: AtomicBool,
    call: Box<L>,
}

type Snapshot<L> = Arc<Vec<Arc<Listener<L>>>>;

struct Registry<L: ?Sized, H: ?Sized> {
    listeners: Snapshot<L>,
    next_id: u64,
    /// 0 means "no limit".
    max_listeners: usize,
    warned: bool,
    // `Arc<Box<..>>`, not `Arc<dyn ..>`: loom's Arc cannot be coerced to
    // a trait object.
    warning_hook: Option<Arc<Box<H>>>,
}

/// The shared core: listeners of type `L` (called with `&E`), and a leak
/// warning hook of type `H`.
pub(crate) struct Listeners<E, L: ?Sized, H: ?Sized> {
    registry: Mutex<Registry<L, H>>,
    _event: PhantomData<fn(&E)>,
}

impl<E, L: ?Sized + Fn(&E), H: ?Sized + Fn(&str)> Listeners<E, L, H> {
    pub(crate) fn new() -> Self {
        Listeners {
            registry: Mutex::new(Registry {
                listeners: Arc::new(Vec::new()),
                next_id: 0,
                max_listeners: DEFAULT_MAX_LISTENERS,
                warned: false,
                warning_hook: None,
            }),
            _event: PhantomData,
        }
    }

    pub(crate) fn add(&self, call: Box<L>, once: bool, prepend: bool) -> ListenerId {
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

    pub(crate) fn off(&self, id: ListenerId) -> bool {
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

    pub(crate) fn emit(&self, event: &E) -> usize {
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
            (listener.call)(event);
        }
        ran
    }

    pub(crate) fn len(&self) -> usize {
        self.registry.lock().listeners.len()
    }

    pub(crate) fn remove_all(&self) {
        let old = std::mem::replace(&mut self.registry.lock().listeners, Arc::new(Vec::new()));
        drop(old);
    }

    pub(crate) fn set_max(&self, max: usize) {
        self.registry.lock().max_listeners = max;
    }

    pub(crate) fn max(&self) -> usize {
        self.registry.lock().max_listeners
    }

    pub(crate) fn set_warning_hook(&self, hook: Box<H>) {
        let old = self.registry.lock().warning_hook.replace(Arc::new(hook));
        drop(old); // outside the lock: the old hook's drop is user code
    }
}
