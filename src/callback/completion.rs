//! The one-shot completion where a value and a callback meet (user docs
//! on [`completion`]).

// How it works
//
// One allocation shared by both handles holds a state word and two slots,
// one per side. Each side writes *its own* slot (the value, or `None` if
// the producer gave up; the callback, or `None` if the consumer gave up)
// and then announces its arrival by setting its bit in the state with a
// single `fetch_or`. The side whose `fetch_or` sees the other bit already
// set arrived second: it owns both slots and finishes the job.
//
//                 producer arrives                consumer arrives
//     EMPTY  ───────────────────────>  VALUE  ──────────────────────┐
//    (0b00)                            (0b01)                        v
//       │                                                          DONE (0b11):
//       │         consumer arrives              producer arrives    the second
//       └────────────────────────>  CALLBACK ────────────────────>  arriver runs
//                                    (0b10)                         the callback
//
// In DONE the second arriver looks at the two slots:
//   value + callback  -> callback(Value(v))
//   none  + callback  -> callback(Cancelled)        (producer dropped)
//   value + none      -> the value goes back to `complete` as Err(v), or is
//                        dropped by the consumer's drop (consumer dropped)
//   none  + none      -> nothing to do              (both dropped)
//
// Rejected alternative: a Mutex around both slots. It is just as correct,
// but it takes a lock twice per completion for something one atomic
// read-modify-write decides, and it hides the "second one runs it" idea
// inside the lock's own state machine instead of showing it.

use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::{Arc, UnsafeCell};
use std::fmt;

/// What a completion callback receives.
///
/// ```
/// use async_primer::callback::Outcome;
///
/// assert_eq!(Outcome::Value(3).into_value(), Some(3));
/// assert!(Outcome::<u8>::Cancelled.is_cancelled());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T> {
    /// The producer completed with this value (see [`Outcome`]'s example).
    Value(T),
    /// The producer was dropped without a value.
    Cancelled,
}

impl<T> Outcome<T> {
    /// The value, or `None` if the producer gave up.
    ///
    /// ```
    /// use async_primer::callback::Outcome;
    /// assert_eq!(Outcome::<i32>::Cancelled.into_value(), None);
    /// ```
    pub fn into_value(self) -> Option<T> {
        match self {
            Outcome::Value(v) => Some(v),
            Outcome::Cancelled => None,
        }
    }

    /// Whether the producer gave up.
    ///
    /// ```
    /// use async_primer::callback::Outcome;
    /// assert!(!Outcome::Value(1).is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Outcome::Cancelled)
    }
}

type BoxedCallback<T> = Box<dyn FnOnce(Outcome<T>) + Send + 'static>;

/// Nobody has arrived yet.
const EMPTY: usize = 0b00;
/// The producer has arrived: the value slot is final (`Some` or `None`).
const VALUE: usize = 0b01;
/// The consumer has arrived: the callback slot is final (`Some` or `None`).
const CALLBACK: usize = 0b10;
/// Both have arrived; the second one took both slots.
const DONE: usize = VALUE | CALLBACK;

struct Shared<T> {
    state: AtomicUsize,
    /// Written only by the producer before it sets VALUE; read only by
    /// whoever sets DONE.
    value: UnsafeCell<Option<T>>,
    /// Written only by the consumer before it sets CALLBACK; read only by
    /// whoever sets DONE (or, shared, by `is_cancelled` once CALLBACK is set).
    callback: UnsafeCell<Option<BoxedCallback<T>>>,
}

// SAFETY: the slots are never accessed by two threads at once: each is
// written by its owner before the owner's `fetch_or`, and afterwards only
// read by the one thread whose `fetch_or` completed DONE (the AcqRel pair
// orders the write before that read). Values of `T` and the callback move
// between threads, so `T: Send` is required (the callback is `Send`).
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as above; `&Shared` only gives access through that protocol.
unsafe impl<T: Send> Sync for Shared<T> {}

impl<T> Shared<T> {
    /// Sets `side`'s bit. Returns whether this side arrived second.
    fn arrive(&self, side: usize) -> bool {
        // AcqRel: the Release half publishes the slot this side just wrote
        // to whoever arrives second; the Acquire half makes the other
        // side's slot visible to us if we are that second arriver.
        let previous = self.state.fetch_or(side, Ordering::AcqRel);
        debug_assert_eq!(previous & side, 0, "a side arrived twice");
        match previous | side {
            // Both bits are set now and we set the second: we own both slots.
            DONE => true,
            // Only our bit (VALUE or CALLBACK): the other side finishes.
            _ => false,
        }
    }

    /// Run by the second arriver only. Returns the value if nobody wants it.
    fn finish(&self) -> Option<T> {
        // SAFETY: we set the last bit (DONE), so both owners have finished
        // writing (their `fetch_or` happened-before ours) and will never
        // touch the slots again; no other thread can reach DONE twice.
        let value = self.value.with_mut(|slot| unsafe { (*slot).take() });
        // SAFETY: as above.
        let callback = self.callback.with_mut(|slot| unsafe { (*slot).take() });
        match (value, callback) {
            // The normal meeting: value and callback.
            (Some(v), Some(cb)) => {
                cb(Outcome::Value(v));
                None
            }
            // The producer was dropped without a value.
            (None, Some(cb)) => {
                cb(Outcome::Cancelled);
                None
            }
            // The consumer was dropped: give the value back (or nothing).
            (value, None) => value,
        }
    }
}

/// Creates a one-shot completion: the place where a value and a callback meet.
///
/// A producer will have a value *some time*; a consumer wants to be called
/// back with it. Neither knows who comes first. [`completion`] gives each
/// side a handle: the producer calls [`Completer::complete`], the consumer
/// calls [`Completion::on_complete`], and **whichever arrives second runs
/// the callback**, exactly once, on its own thread. If the producer goes
/// away without a value, the callback hears [`Outcome::Cancelled`]; if the
/// consumer goes away first, the producer can tell
/// ([`Completer::is_cancelled`], or `complete` handing the value back) and
/// the value is dropped, never leaked.
///
/// ```
/// use async_primer::callback::{completion, Outcome};
/// use std::sync::mpsc;
///
/// let (completer, completion) = completion::<String>();
/// let (tx, rx) = mpsc::channel();
/// completion.on_complete(move |outcome| tx.send(outcome).unwrap());
///
/// // The value arrives later, from another thread, which then runs the callback.
/// std::thread::spawn(move || completer.complete("report.pdf".to_string()).unwrap());
/// assert_eq!(rx.recv().unwrap(), Outcome::Value("report.pdf".to_string()));
/// ```
///
/// Compared with `futures::channel::oneshot` or `tokio::sync::oneshot`, this
/// leaves out waiting (there is no `Future` here: that is what
/// [`promisify`](super::promisify) builds on top) and any way to learn that
/// the consumer left other than asking.
///
/// Guide: [`crate::guide::ch01_callbacks`]. Every interleaving is checked by
/// the loom models in `tests/loom_callback.rs`.
///
/// It returns a [`Completer`] for the side that will have the value, and a
/// [`Completion`] for the side that wants a callback.
///
/// ```
/// use async_primer::callback::{completion, Outcome};
/// use std::sync::{Arc, Mutex};
///
/// let seen = Arc::new(Mutex::new(None));
/// let (completer, completion) = completion::<u32>();
/// completer.complete(7).unwrap(); // the value arrives first...
/// let s = seen.clone();
/// completion.on_complete(move |o| *s.lock().unwrap() = Some(o)); // ...the callback runs here
/// assert_eq!(*seen.lock().unwrap(), Some(Outcome::Value(7)));
/// ```
pub fn completion<T: Send + 'static>() -> (Completer<T>, Completion<T>) {
    let shared = Arc::new(Shared {
        state: AtomicUsize::new(EMPTY),
        value: UnsafeCell::new(None),
        callback: UnsafeCell::new(None),
    });
    (
        Completer {
            shared: Some(shared.clone()),
        },
        Completion {
            shared: Some(shared),
        },
    )
}

/// The producer's half of a [`completion`]. Dropping it without calling
/// [`complete`](Completer::complete) tells the callback [`Outcome::Cancelled`].
///
/// It is `Send`: hand it to the thread (or task) that will have the value.
///
/// ```
/// use async_primer::callback::{completion, Completer};
///
/// fn produce(completer: Completer<u64>) {
///     std::thread::spawn(move || completer.complete(6 * 7).unwrap());
/// }
/// let (completer, completion) = completion();
/// let (tx, rx) = std::sync::mpsc::channel();
/// completion.on_complete(move |o| tx.send(o.into_value()).unwrap());
/// produce(completer);
/// assert_eq!(rx.recv().unwrap(), Some(42));
/// ```
pub struct Completer<T> {
    /// `None` only after `complete` (so `Drop` does not arrive again).
    shared: Option<Arc<Shared<T>>>,
}

impl<T> Completer<T> {
    /// Delivers `value`. If the callback is already registered, it runs
    /// now, on this thread, before `complete` returns. If the consumer was
    /// dropped without registering one, the value comes back as `Err`.
    ///
    /// ```
    /// use async_primer::callback::completion;
    ///
    /// let (completer, completion) = completion::<&str>();
    /// drop(completion); // nobody is listening any more
    /// assert_eq!(completer.complete("late"), Err("late"));
    /// ```
    pub fn complete(mut self, value: T) -> Result<(), T> {
        let shared = self
            .shared
            .take()
            .expect("a Completer always has its state until it arrives");
        producer_arrives(&shared, Some(value)).map_or(Ok(()), Err)
    }

    /// Whether the consumer was dropped without registering a callback, so
    /// that producing the value is wasted work.
    ///
    /// ```
    /// use async_primer::callback::completion;
    ///
    /// let (completer, completion) = completion::<u8>();
    /// assert!(!completer.is_cancelled());
    /// drop(completion);
    /// assert!(completer.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        let Some(shared) = &self.shared else {
            return false;
        };
        // Acquire: pairs with the consumer's AcqRel `fetch_or`, so the
        // callback slot it wrote is visible before we look at it.
        if shared.state.load(Ordering::Acquire) & CALLBACK == 0 {
            return false;
        }
        // SAFETY: the consumer has arrived and never touches its slot again;
        // only the second arriver takes it, and that would be this producer,
        // which cannot arrive while we hold `&self`.
        shared.callback.with(|slot| unsafe { (*slot).is_none() })
    }
}

impl<T> Drop for Completer<T> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            // Arriving without a value; `finish` never returns one here.
            drop(producer_arrives(&shared, None));
        }
    }
}

fn producer_arrives<T>(shared: &Shared<T>, value: Option<T>) -> Option<T> {
    // SAFETY: before the producer sets VALUE its slot is its own: nobody
    // else reads it until they have seen VALUE.
    shared.value.with_mut(|slot| unsafe { *slot = value });
    if shared.arrive(VALUE) {
        shared.finish()
    } else {
        None
    }
}

impl<T> fmt::Debug for Completer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Completer")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// The consumer's half of a [`completion`]. Dropping it without calling
/// [`on_complete`](Completion::on_complete) lets the producer know and
/// drops the value.
///
/// ```
/// use async_primer::callback::completion;
/// use std::sync::Arc;
///
/// let value = Arc::new("big result");
/// let (completer, completion) = completion::<Arc<&str>>();
/// completer.complete(value.clone()).unwrap(); // kept until a callback comes...
/// assert_eq!(Arc::strong_count(&value), 2);
/// drop(completion); // ...or until the consumer leaves: then it is dropped
/// assert_eq!(Arc::strong_count(&value), 1);
/// ```
pub struct Completion<T> {
    /// `None` only after `on_complete` (so `Drop` does not arrive again).
    shared: Option<Arc<Shared<T>>>,
}

impl<T> Completion<T> {
    /// Registers the callback. If the value (or the producer's departure)
    /// is already there, the callback runs now, on this thread, before
    /// `on_complete` returns; otherwise it runs later on the producer's
    /// thread. Either way, exactly once.
    ///
    /// ```
    /// use async_primer::callback::{completion, Outcome};
    /// use std::sync::mpsc;
    ///
    /// let (completer, completion) = completion::<i32>();
    /// let (tx, rx) = mpsc::channel();
    /// completion.on_complete(move |o| tx.send(o).unwrap());
    /// drop(completer); // the producer gives up
    /// assert_eq!(rx.recv().unwrap(), Outcome::Cancelled);
    /// ```
    pub fn on_complete(mut self, callback: impl FnOnce(Outcome<T>) + Send + 'static) {
        let shared = self
            .shared
            .take()
            .expect("a Completion always has its state until it arrives");
        consumer_arrives(&shared, Some(Box::new(callback)));
    }
}

impl<T> Drop for Completion<T> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            consumer_arrives(&shared, None);
        }
    }
}

fn consumer_arrives<T>(shared: &Shared<T>, callback: Option<BoxedCallback<T>>) {
    // SAFETY: before the consumer sets CALLBACK its slot is its own.
    shared.callback.with_mut(|slot| unsafe { *slot = callback });
    if shared.arrive(CALLBACK) {
        // A value nobody wants any more is dropped here, on this thread.
        drop(shared.finish());
    }
}

impl<T> fmt::Debug for Completion<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Completion").finish_non_exhaustive()
    }
}
