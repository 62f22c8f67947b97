//! The listener list and the emit algorithm shared by
//! [`EventEmitter`](super::EventEmitter) (thread-safe listeners) and
//! [`LocalEventEmitter`](super::LocalEventEmitter) (`!Send` listeners).
//! Both are thin faces over [`Listeners`]; only the type of a listener
//! differs (`dyn Fn(&E) + Send + Sync` or `dyn Fn(&E)`), so the rules are
//! written, and tested, once.
//
// How it works
//
// The listener list is an immutable *snapshot*, a `Vec<Arc<Listener>>`.
// Every change (on, once, off, remove_all) builds a new one under a mutex
// (copy-on-write) and publishes it through one atomic pointer, `current`.
// `emit` takes no lock: it says "I am reading" (a reader count), loads
// `current`, calls the listeners, and says "done". That one decision gives
// most of Node's rules for free:
//
//   * the snapshot is what `emit` iterates, so later additions and
//     removals (which build a *new* Vec) cannot affect it;
//   * no lock is held while user code runs, so a listener can call back
//     into the emitter without deadlock, and a panic cannot poison it.
//
// A `once` listener carries a `fired` flag. The emit that swaps it from
// false to true owns the call: it removes the listener from the live list
// and runs it. Any other emit (nested or on another thread) whose snapshot
// still holds it sees `true` and skips it.
//
// The hard part is freeing a snapshot: an emit on another thread may have
// loaded it a moment before it was replaced. So a replaced snapshot is
// *retired* (kept in a list under the mutex), and freed only once the
// reader count has been seen at 0 after it was replaced:
//
//   new ──publish──> CURRENT ──replaced (lock held)──> RETIRED ──count 0 seen──> FREED
//                    emits load it              emits that loaded it     (lock held; dropped
//                                               may still be reading     after unlocking)
//
// Who frees: the writer that retires a snapshot, if it sees no emit
// running; otherwise the last emit to leave (its decrement returns 1),
// which locks and checks the count again, because a new emit may have
// started in between (it can only have loaded a snapshot that was current
// then, but that one may have been retired since). User code never runs
// under the lock, not even `Drop`: what is freed (perhaps the last
// reference to a removed listener) is dropped after unlocking.
//
// The weakness: retired snapshots wait for a moment when no emit is
// running. On one thread that is the end of every outermost emit; but if
// emits on several threads overlap without pause, removed listeners stay
// alive (and retired snapshots pile up) until the emits stop overlapping.
//
// Rejected alternatives: a `Mutex<Vec<Box<dyn Fn>>>` held during emit: it
// deadlocks the first time a listener subscribes another listener. The
// snapshot as an `Arc` cloned under the mutex (this file's first design):
// simple, but four atomic read-modify-writes per emit (lock, clone,
// unlock, drop) where this takes two; see "Speed" below. A flatter Vec,
// to chase one pointer less per listener: `Arc<dyn Fn>` entries measured
// slower (30.3 ns vs 27.8 ns per emit with the old design: the call finds
// the closure past the `Arc`'s counts through the vtable's alignment), and
// entries holding the closure's own fat pointer beside their `Arc` gained
// 2% (18.5 vs 18.9 ns), under the 5% a speed trick must pay. And
// for the local emitter, a second copy of this file on `Rc`/`RefCell`:
// it would save two uncontended atomic operations per emit, and double
// the code that carries the rules.
//
// Loom models: tests/loom_callback.rs (`emit_while_adding_and_removing`,
// `once_emitted_from_two_threads`, `emit_while_removing_frees_each_once`,
// `last_emit_out_reclaims_while_another_emit_starts`).

use crate::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use crate::sync::{Arc, FreeCheck, Mutex};
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

/// One version of the listener list; never changed once published.
struct Snapshot<L: ?Sized> {
    listeners: Vec<Arc<Listener<L>>>,
    /// Under loom: proves every read of this snapshot happens before its free.
    check: FreeCheck,
}

struct Registry<L: ?Sized, H: ?Sized> {
    /// Replaced snapshots that an emit may still be reading.
    retired: Vec<Retired<L>>,
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
    /// How many emits are running now (on any thread, nested or not).
    readers: AtomicUsize,
    /// The snapshot emits read: a `Box<Snapshot>` owned by this struct.
    current: AtomicPtr<Snapshot<L>>,
    /// `registry.retired` is not empty: the last emit out must free it.
    has_retired: AtomicBool,
    registry: Mutex<Registry<L, H>>,
    _owns: PhantomData<Box<Snapshot<L>>>,
    _event: PhantomData<fn(&E)>,
}

impl<E, L: ?Sized + Fn(&E), H: ?Sized + Fn(&str)> Listeners<E, L, H> {
    pub(crate) fn new() -> Self {
        Listeners {
            readers: AtomicUsize::new(0),
            current: AtomicPtr::new(Snapshot::boxed(Vec::new())),
            has_retired: AtomicBool::new(false),
            registry: Mutex::new(Registry {
                retired: Vec::new(),
                next_id: 0,
                max_listeners: DEFAULT_MAX_LISTENERS,
                warned: false,
                warning_hook: None,
            }),
            _owns: PhantomData,
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
        let old = &self.current(&registry).listeners;
        let mut list = Vec::with_capacity(old.len() + 1);
        if prepend {
            list.push(listener);
            list.extend(old.iter().cloned());
        } else {
            list.extend(old.iter().cloned());
            list.push(listener);
        }
        let count = list.len();
        let garbage = self.publish(&mut registry, list);
        let over_limit = registry.max_listeners != 0 && count > registry.max_listeners;
        let warning = if over_limit && !registry.warned {
            registry.warned = true;
            Some((registry.max_listeners, registry.warning_hook.clone()))
        } else {
            None
        };
        drop(registry);
        drop(garbage);
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
        let old = &self.current(&registry).listeners;
        let Some(position) = old.iter().position(|l| l.id == id) else {
            return false;
        };
        let mut list = old.clone();
        list.remove(position);
        let garbage = self.publish(&mut registry, list);
        drop(registry);
        // The removed listener may be dropped here: outside the lock.
        drop(garbage);
        true
    }

    pub(crate) fn emit(&self, event: &E) -> usize {
        // No lock: `reading` keeps the snapshot alive until it is dropped,
        // at the end of this function or while a listener's panic unwinds.
        let reading = self.enter();
        let mut ran = 0;
        for listener in reading.snapshot.listeners.iter() {
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
        self.current(&self.registry.lock()).listeners.len()
    }

    pub(crate) fn remove_all(&self) {
        let garbage = self.publish(&mut self.registry.lock(), Vec::new());
        drop(garbage); // outside the lock: the listeners' drops are user code
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

// Speed: the reader count that lets `emit` run without the mutex.
//
// Gain (`cargo bench --bench peers -- emit`, row `emit_10_listeners`,
// median of 5 runs of each build, interleaved, on an AMD EPYC): 27.7 ns
// -> 18.5 ns per emit, 1.96x -> 1.31x the floor (a plain loop over
// `Vec<Box<dyn Fn>>`). The point is 2 atomic read-modify-writes per emit
// instead of 4 (mutex lock, `Arc` clone, unlock, `Arc` drop): those cost
// about twice as much on Intel, where the old design measured 2.48x.
//
// Ordering. The danger is an emit that loads `current` (R2 below) just
// before a writer replaces it, and a writer that then sees the count at 0
// and frees the snapshot under the emit's feet:
//
//   emit:   R1 readers += 1 (Acquire)    R2 load current   ..read..   R3 readers -= 1 (AcqRel)
//   writer: W1 swap current (Release)    W2 readers += 0 (AcqRel): 0? free the retired
//
// W2 is a read-modify-write that changes nothing, not a load, and that is
// the point. All of R1, R3 and W2 modify the same location, so they fall
// in one total order (its modification order), and each reads the value
// just before it there. If W2 reads 0, every emit is in one of two cases:
//   * its R3 came before W2: W2 reads from R3's release sequence, so R3
//     synchronises with W2, and every read of the emit happens before the
//     free;
//   * its R1 came after W2: R1 reads from W2's release sequence, so W2
//     synchronises with R1; then W1 happens before R2, which therefore
//     loads the new pointer (or a newer one), never the retired one.
// (An emit with R1 before W2 and R3 after would make the count at least
// 1.) With a plain load at W2 this is the store-buffering pattern: it
// would need SeqCst on both sides *and* a SeqCst fence, an `mfence` on
// x86 in every emit; loom also treats SeqCst accesses as only AcqRel, so
// it could not check that version. Retiring needs W1 before W2, and both
// happen under the lock, so a later writer's (or the last emit's) check
// orders every earlier retirement too.
//
// `has_retired` tells the last emit out whether to lock at all. Its store
// and load are Relaxed: the store (true) comes before W2 in the writer,
// and a decrement R3 that comes after W2 acquires W2's release, so it sees
// `true` (or `false` from whoever freed the list since). An R3 before W2
// needs no reminder: W2 then sees its decrement and frees the list itself
// (or counts an emit still running, whose own R3 comes later). It is only
// written under the lock, so it always matches `retired` at unlock.

/// A snapshot owned through a raw pointer, freed when this is dropped.
/// Not a `Box`: a `Box` claims unique access, while the emits that loaded
/// the snapshot may still be reading it.
struct Retired<L: ?Sized>(*mut Snapshot<L>);

// SAFETY: a `Retired` owns its snapshot exactly as a `Box` would (it is
// the only owner, and frees it once), so it may move between threads
// whenever the `Box` could.
unsafe impl<L: ?Sized> Send for Retired<L> where Box<Snapshot<L>>: Send {}

impl<L: ?Sized> Drop for Retired<L> {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `Box::into_raw` (`Snapshot::boxed`)
        // and is owned by this `Retired` alone. It is dropped only after
        // `collect` handed it out (no emit can reach it any more, see
        // "Ordering") or by the emitter's own drop (no emit runs during
        // `&mut self`).
        let snapshot = unsafe { Box::from_raw(self.0) };
        snapshot.check.freed();
    }
}

impl<L: ?Sized> Snapshot<L> {
    fn boxed(listeners: Vec<Arc<Listener<L>>>) -> *mut Snapshot<L> {
        let check = FreeCheck::new();
        Box::into_raw(Box::new(Snapshot { listeners, check }))
    }
}

/// An emit in progress: holds the reader count, and so its snapshot.
struct Reading<'a, E, L: ?Sized, H: ?Sized> {
    listeners: &'a Listeners<E, L, H>,
    snapshot: &'a Snapshot<L>,
}

impl<E, L: ?Sized, H: ?Sized> Drop for Reading<'_, E, L, H> {
    fn drop(&mut self) {
        self.snapshot.check.last_use();
        // AcqRel: Release so that this emit's reads happen before a free
        // that sees the count this leaves; Acquire so that a writer's
        // `has_retired = true` before its check is seen (see "Ordering").
        let before = self.listeners.readers.fetch_sub(1, Ordering::AcqRel);
        if before == 1 && self.listeners.has_retired.load(Ordering::Relaxed) {
            self.listeners.free_retired();
        }
    }
}

impl<E, L: ?Sized, H: ?Sized> Listeners<E, L, H> {
    fn enter(&self) -> Reading<'_, E, L, H> {
        // Acquire: synchronises with a writer's check (W2) that came
        // before, so that the load below sees that writer's snapshot.
        self.readers.fetch_add(1, Ordering::Acquire);
        // Acquire: pairs with the Release swap in `publish`, so the Vec
        // behind the pointer is seen fully built.
        let current = self.current.load(Ordering::Acquire);
        // SAFETY: the pointer is a live `Box<Snapshot>` (made by `boxed`),
        // and our count keeps it from being freed until `Reading` drops:
        // it can only be retired now, and nothing retired after a count
        // that includes us is freed (see "Ordering").
        let snapshot = unsafe { &*current };
        // Under loom: a free that is not ordered after this read fails.
        snapshot.check.last_use();
        Reading {
            listeners: self,
            snapshot,
        }
    }

    /// The current snapshot; the borrow of the locked registry proves the
    /// caller holds the lock, and only lock holders retire or free it.
    fn current<'r>(&self, _locked: &'r Registry<L, H>) -> &'r Snapshot<L> {
        // Relaxed: `current` is only written under the lock we hold, so
        // the mutex already orders the last write (and its Vec) before us.
        let current = self.current.load(Ordering::Relaxed);
        // SAFETY: a live `Box<Snapshot>`; only a lock holder can retire or
        // free it, and `'r` ends before our lock is released.
        unsafe { &*current }
    }

    /// Makes `list` the current snapshot (the caller holds the lock) and
    /// returns the retired snapshots that can be freed now, for the caller
    /// to drop after unlocking.
    fn publish(
        &self,
        registry: &mut Registry<L, H>,
        list: Vec<Arc<Listener<L>>>,
    ) -> Vec<Retired<L>> {
        // Release: an emit that loads the new pointer sees its Vec (W1).
        let old = self.current.swap(Snapshot::boxed(list), Ordering::Release);
        registry.retired.push(Retired(old));
        // Relaxed: ordered by the check in `collect` (see "Ordering").
        self.has_retired.store(true, Ordering::Relaxed);
        self.collect(registry)
    }

    /// The retired snapshots no emit can still reach: all of them if no
    /// emit is running now, else none. The caller holds the lock.
    fn collect(&self, registry: &mut Registry<L, H>) -> Vec<Retired<L>> {
        // A read-modify-write, not a load (W2): see "Ordering".
        if registry.retired.is_empty() || self.readers.fetch_add(0, Ordering::AcqRel) != 0 {
            return Vec::new();
        }
        // Relaxed: only lock holders write it (see "Ordering").
        self.has_retired.store(false, Ordering::Relaxed);
        std::mem::take(&mut registry.retired)
    }

    /// The last emit out found retired snapshots: free them, unless a new
    /// emit has started since (`collect` checks the count again).
    #[cold]
    fn free_retired(&self) {
        let garbage = self.collect(&mut self.registry.lock());
        drop(garbage); // after unlocking: a listener's drop is user code
    }
}

impl<E, L: ?Sized, H: ?Sized> Drop for Listeners<E, L, H> {
    fn drop(&mut self) {
        // `&mut self`: no emit is running, so the current snapshot goes
        // now (Relaxed: no other thread can touch it); the retired ones go
        // with the registry.
        drop(Retired(self.current.load(Ordering::Relaxed)));
    }
}
