//! `EventEmitter::next`, the bridge from events to futures (user docs on
//! [`Next`]).

// How it works
//
// `next()` registers, at once, a `once` listener sharing a small slot with
// the returned future:
//
//     slot: Mutex<{ value: Option<E>, closed: bool, waker: Option<Waker> }>
//
//   listener (emitting thread): clone event; lock; value = Some; take waker;
//                               unlock; wake
//   poll (waiting thread):      lock; value? Ready(Some) : closed? Ready(None)
//                               : store waker, Pending
//
// The check and the waker store happen under the same lock the listener
// takes, so an event landing between them cannot be missed (the classic
// lost wake-up). The waker is replaced on every poll (a task may move
// between executors or wakers), and dropping the future removes the
// listener, so an abandoned `next()` leaves nothing behind.
//
// Registering in `next()` rather than on the first poll is deliberate: an
// event emitted between `next()` and the first poll is not lost.
// Rejected alternative: registering lazily on first poll, the usual rule
// for futures, which here would silently drop such events.
//
// If the listener is removed before any event (by `remove_all`), the guard
// it owns is dropped, which closes the slot: the future resolves to `None`
// instead of waiting forever.

use super::emitter::EventEmitter;
use super::listeners::ListenerId;
use crate::sync::{Arc, Mutex};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

pub(super) struct Slot<E> {
    value: Option<E>,
    /// The listener is gone without delivering (removed by `remove_all`).
    closed: bool,
    waker: Option<Waker>,
}

/// Owned by the listener closure; when the listener is dropped, the slot
/// closes and a waiting future wakes up to resolve with `None`.
struct CloseOnDrop<E>(Arc<Mutex<Slot<E>>>);

impl<E> Drop for CloseOnDrop<E> {
    fn drop(&mut self) {
        let waker = {
            let mut slot = self.0.lock();
            slot.closed = true;
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A fresh slot and the `once` listener that fills it (shared with
/// `LocalEventEmitter::next`). The closure is `Send + Sync` when `E` is.
pub(super) fn subscribe<E: Clone + 'static>() -> (Arc<Mutex<Slot<E>>>, impl Fn(&E) + 'static) {
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        closed: false,
        waker: None,
    }));
    let guard = CloseOnDrop(slot.clone());
    let listener = move |event: &E| {
        // Clone before locking: `clone` is user code.
        let value = event.clone();
        let waker = {
            let mut slot = guard.0.lock();
            slot.value = Some(value);
            slot.waker.take()
        };
        // Wake outside the lock: the waker may poll at once.
        if let Some(waker) = waker {
            waker.wake();
        }
    };
    (slot, listener)
}

/// One poll of a `next()` future: the event, `None` if its listener is
/// gone, or Pending with the current waker stored.
pub(super) fn poll_slot<E>(
    slot: &Mutex<Slot<E>>,
    done: &mut bool,
    cx: &mut Context<'_>,
) -> Poll<Option<E>> {
    assert!(
        !*done,
        "EventEmitter::next() future polled after it completed"
    );
    let mut slot = slot.lock();
    if let Some(value) = slot.value.take() {
        // The event arrived (before or since the last poll).
        drop(slot);
        *done = true;
        return Poll::Ready(Some(value));
    }
    if slot.closed {
        // Our listener was removed without an event: none will come.
        drop(slot);
        *done = true;
        return Poll::Ready(None);
    }
    // Still waiting: make sure the *current* waker is the one woken.
    match &slot.waker {
        Some(old) if old.will_wake(cx.waker()) => {}
        _ => slot.waker = Some(cx.waker().clone()),
    }
    Poll::Pending
}

/// The future returned by [`EventEmitter::next`]: resolves with a clone of
/// the next emitted event, or `None` if its listener was removed first
/// (by [`EventEmitter::remove_all`]). It is the bridge from events
/// (callbacks) to futures.
///
/// `emitter.next().await` waits for the next event: it is a `once` listener
/// that, instead of doing something, leaves a copy of the event where a
/// future can find it and wakes whoever is waiting. Node's `events.once` is
/// the same idea.
///
/// ```
/// use async_primer::callback::EventEmitter;
/// use std::sync::Arc;
///
/// let bell = Arc::new(EventEmitter::<&'static str>::new());
/// let next = bell.next(); // subscribed from here on
/// let b = bell.clone();
/// std::thread::spawn(move || b.emit("lunch"));
/// assert_eq!(futures::executor::block_on(next), Some("lunch"));
/// ```
///
/// Compared with a `tokio::sync::broadcast` receiver or a `Stream` of
/// events, this leaves out buffering: each `next()` sees one event, and
/// events emitted between one `next()` completing and the following
/// `next()` call are not seen by either. Use a listener (or a channel fed
/// by one) when every event matters.
///
/// Guide: [`crate::guide::ch01_callbacks`]; the loom model
/// `next_polled_while_emitting` in `tests/loom_callback.rs`.
#[must_use = "futures do nothing unless polled (the listener is already registered)"]
pub struct Next<'a, E> {
    emitter: &'a EventEmitter<E>,
    id: ListenerId,
    slot: Arc<Mutex<Slot<E>>>,
    done: bool,
}

impl<E: Clone + Send + 'static> EventEmitter<E> {
    /// A future resolving with the next event. The listener behind it is
    /// registered now (it counts in [`listener_count`](Self::listener_count)
    /// and in what `emit` returns, like Node's `events.once`) and removed
    /// when the future completes or is dropped.
    ///
    /// ```
    /// use async_primer::callback::EventEmitter;
    ///
    /// let e = EventEmitter::<u32>::new();
    /// let next = e.next();
    /// assert_eq!(e.listener_count(), 1);
    /// assert_eq!(e.emit(5), 1); // emitted before anyone polled: not lost
    /// assert_eq!(futures::executor::block_on(next), Some(5));
    /// assert_eq!(e.listener_count(), 0);
    /// ```
    pub fn next(&self) -> Next<'_, E> {
        let (slot, listener) = subscribe();
        let id = self.add(Box::new(listener), true, false);
        Next {
            emitter: self,
            id,
            slot,
            done: false,
        }
    }
}

impl<E> Future for Next<'_, E> {
    type Output = Option<E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        // `Next` is `Unpin`: a reference, an id, an Arc and a flag.
        let this = self.get_mut();
        poll_slot(&this.slot, &mut this.done, cx)
    }
}

impl<E> Drop for Next<'_, E> {
    fn drop(&mut self) {
        // Not delivered yet: unsubscribe. (A no-op if the listener already
        // fired; a once listener removes itself.)
        if !self.done {
            self.emitter.off(self.id);
        }
    }
}

impl<E> fmt::Debug for Next<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next")
            .field("id", &self.id)
            .field("done", &self.done)
            .finish()
    }
}
