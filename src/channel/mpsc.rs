//! A multi-producer, single-consumer queue: many [`Sender`]s (clone them
//! freely, move them to other threads), one [`Receiver`].
//!
//! * [`bounded(n)`](bounded): at most `n` messages wait in the queue;
//!   `send(..).await` waits for room (back-pressure: a fast producer is
//!   slowed to the consumer's pace instead of filling memory).
//! * [`unbounded()`](unbounded): `send` never waits.
//!
//! ```
//! use async_primer::channel::mpsc;
//!
//! futures::executor::block_on(async {
//!     let (tx, mut rx) = mpsc::unbounded();
//!     let tx2 = tx.clone();
//!     tx.send("from one").await.unwrap();
//!     tx2.send("from two").await.unwrap();
//!     drop((tx, tx2)); // every sender gone: recv drains, then None
//!     assert_eq!(rx.recv().await, Some("from one"));
//!     assert_eq!(rx.recv().await, Some("from two"));
//!     assert_eq!(rx.recv().await, None);
//! });
//! ```
//!
//! Guarantees: messages from one sender arrive in the order they were sent;
//! no message is lost or duplicated; `recv` returns `None` only once every
//! sender is dropped (or the receiver [`close`](Receiver::close)d) *and* the
//! queue is empty.
//!
//! Cancellation: a `recv()` future dropped while it waits takes nothing out
//! of the queue, so nothing is lost; a `send()` future dropped while it
//! waits for room never enqueues its message (the message is dropped with
//! it), and if it had already been told "there is room now", it passes that
//! on to the next waiting sender so nobody is left asleep.
//!
//! ```
//! use async_primer::channel::mpsc;
//! use std::future::Future;
//! use std::task::{Context, Waker};
//!
//! let (tx, mut rx) = mpsc::bounded(1);
//! tx.try_send(1).unwrap();
//! let mut cx = Context::from_waker(Waker::noop());
//! let mut waiting = Box::pin(tx.send(2));
//! assert!(waiting.as_mut().poll(&mut cx).is_pending()); // full
//! drop(waiting); // cancelled: 2 is never sent
//! assert_eq!(rx.try_recv(), Ok(1));
//! assert!(rx.try_recv().is_err());
//! ```
//!
//! `bounded(0)` panics: a zero-capacity (rendezvous) channel, where `send`
//! waits for a receiver in person, is not provided; use a capacity of 1, or
//! a [`oneshot`](super::oneshot()) for a single hand-over.
//!
//! See [`crate::guide::ch05_async_await`] and `examples/email.rs`; checked by
//! `tests/loom_channel.rs`. Left out, compared with tokio's mpsc:
//! rendezvous channels, permits (`reserve`), `blocking_*` calls, weak
//! senders, `recv_many`.

// How it works
//
// One `Mutex<State>` in an `Arc` holds everything: the queue, how many
// senders exist, whether the receiver closed, the receiver's waker, and a
// FIFO of senders waiting for room (each with an id and a waker).
//
//   send:  closed? -> Err(SendError(msg))
//          room?   -> push, wake the receiver, Ready(Ok)
//          full    -> (re)register in `waiting`, Pending
//   recv:  message? -> pop it; bounded: wake the *first* waiting sender
//          no senders left, or closed -> None
//          else store the receiver's waker, Pending
//
// A sender woken for room is taken out of `waiting`. If its `send` future is
// dropped before it uses the room, its `Drop` wakes the next waiting sender
// (otherwise that one could sleep forever beside a free slot). A send that
// finds room without having been woken removes its own stale entry, for
// the same reason.
//
// Every waker is woken after the lock is released: a waker may run any code,
// and it must not run while we hold our lock.
//
// Rejected: a lock-free linked queue as tokio uses; much faster under
// contention, but several hundred lines of unsafe code that would not fit
// in one sitting. The lock is held only for a few pointer moves.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::{SendError, TryRecvError, TrySendError};
use crate::sync::{Arc, Mutex};

/// A channel holding at most `capacity` queued messages; `send(..).await`
/// waits while it is full.
///
/// # Panics
///
/// If `capacity` is 0 (rendezvous channels are not provided).
///
/// ```
/// let (tx, mut rx) = async_primer::channel::mpsc::bounded::<u8>(8);
/// tx.try_send(1).unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
#[track_caller]
pub fn bounded<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "mpsc::bounded(0): the capacity must be at least 1 (a rendezvous channel is not \
         provided; use bounded(1), or a oneshot for a single hand-over)"
    );
    channel(Some(capacity))
}

/// A channel without a limit: `send` never waits.
///
/// ```
/// let (tx, mut rx) = async_primer::channel::mpsc::unbounded();
/// for i in 0..1000 { tx.try_send(i).unwrap(); }
/// assert_eq!(rx.try_recv(), Ok(0));
/// ```
#[track_caller]
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    channel(None)
}

#[track_caller]
fn channel<T>(capacity: Option<usize>) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Mutex::new(State {
        queue: VecDeque::new(),
        capacity,
        senders: 1,
        closed: false,
        receiver: None,
        waiting: VecDeque::new(),
        next_id: 0,
        created_at: Location::caller(),
        last_sender: None,
        last_receiver: None,
    }));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

struct State<T> {
    queue: VecDeque<T>,
    /// `None`: unbounded.
    capacity: Option<usize>,
    /// Live `Sender`s; at 0 the receiver drains and then sees `None`.
    senders: usize,
    /// The receiver closed or was dropped: every send fails from now on.
    closed: bool,
    /// The waker of a `recv` that found the queue empty.
    receiver: Option<Waker>,
    /// Senders waiting for room, oldest first.
    waiting: VecDeque<(u64, Waker)>,
    next_id: u64,
    /// For the executor's stall report: where the channel was made, and
    /// the tasks that last used each end (the likely holders).
    created_at: &'static Location<'static>,
    last_sender: Option<u32>,
    last_receiver: Option<u32>,
}

impl<T> State<T> {
    fn has_room(&self) -> bool {
        self.capacity.is_none_or(|cap| self.queue.len() < cap)
    }

    /// Pops the oldest message, with the waker of the sender that may now
    /// use the freed slot (bounded channels only), to wake after unlocking.
    fn pop(&mut self) -> Option<(T, Option<Waker>)> {
        let msg = self.queue.pop_front()?;
        let sender = match self.capacity {
            Some(_) => self.waiting.pop_front().map(|(_, w)| w),
            None => None,
        };
        Some((msg, sender))
    }

    /// Removes the waiting entry `id`; `false` if it was not there (it was
    /// woken, or the channel closed).
    fn forget_waiter(&mut self, id: u64) -> bool {
        match self.waiting.iter().position(|(i, _)| *i == id) {
            Some(pos) => {
                self.waiting.remove(pos);
                true
            }
            None => false,
        }
    }
}

/// The sending half; clone it for more producers. The channel closes for
/// the receiver when the last clone is dropped.
///
/// ```
/// let (tx, mut rx) = async_primer::channel::mpsc::unbounded();
/// let tx2 = tx.clone();
/// std::thread::spawn(move || tx2.try_send("from a thread").unwrap()).join().unwrap();
/// drop(tx);
/// assert_eq!(rx.try_recv(), Ok("from a thread"));
/// ```
pub struct Sender<T> {
    chan: Arc<Mutex<State<T>>>,
}

impl<T> Sender<T> {
    /// Sends `msg`, waiting for room if the bounded queue is full. Fails,
    /// handing the message back, if the receiver is gone or closed.
    ///
    /// Cancel safety: **not** cancel-safe. The message waits inside the
    /// `Send` future until there is room; dropping the future before it is
    /// ready (the losing branch of a `select`, an elapsed `timeout`) drops
    /// the message with it. To keep it, use [`try_send`](Self::try_send)
    /// (which hands it back on `Full`), or keep one `Send` future pinned
    /// across the loop and poll that same future again.
    ///
    /// ```
    /// let (tx, mut rx) = async_primer::channel::mpsc::bounded(1);
    /// futures::executor::block_on(async {
    ///     tx.send("hi").await.unwrap();
    ///     assert_eq!(rx.recv().await, Some("hi"));
    /// });
    /// ```
    #[track_caller]
    pub fn send(&self, msg: T) -> Send<'_, T> {
        Send {
            sender: self,
            msg: Some(msg),
            waiting: None,
            awaited_at: Location::caller(),
        }
    }

    /// Sends `msg` now if there is room; otherwise says why not
    /// ([`TrySendError::Full`] or [`TrySendError::Closed`]).
    ///
    /// ```
    /// use async_primer::channel::{mpsc, TrySendError};
    /// let (tx, rx) = mpsc::bounded(1);
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// drop(rx);
    /// assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
    /// ```
    pub fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        let mut state = self.chan.lock();
        if state.closed {
            return Err(TrySendError::Closed(msg));
        }
        if !state.has_room() {
            return Err(TrySendError::Full(msg));
        }
        state.last_sender = crate::executor::current_task_id();
        state.queue.push_back(msg);
        let receiver = state.receiver.take();
        drop(state);
        if let Some(w) = receiver {
            w.wake();
        }
        Ok(())
    }

    /// `true` if the receiver is gone or closed: every send would fail.
    ///
    /// ```
    /// let (tx, mut rx) = async_primer::channel::mpsc::unbounded::<u8>();
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.lock().closed
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.lock().senders += 1;
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut state = self.chan.lock();
        state.senders -= 1;
        // The last sender: wake a waiting `recv` so it can return `None`.
        let receiver = if state.senders == 0 {
            state.receiver.take()
        } else {
            None
        };
        drop(state);
        if let Some(w) = receiver {
            w.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Sender").finish_non_exhaustive()
    }
}

/// Future for [`Sender::send`]: `Ok(())` once queued, or the message back
/// in a [`SendError`] if the receiver is gone.
///
/// Cancel safety: not cancel-safe; dropping it before it is ready drops
/// the message (see [`Sender::send`]).
///
/// ```
/// let (tx, rx) = async_primer::channel::mpsc::bounded::<u8>(1);
/// drop(rx);
/// assert!(futures::executor::block_on(tx.send(1)).is_err());
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Send<'a, T> {
    sender: &'a Sender<T>,
    /// `None` once finished.
    msg: Option<T>,
    /// Our id in `State::waiting`, once we had to wait.
    waiting: Option<u64>,
    /// Where `send` was called, for the executor's stall report.
    awaited_at: &'static Location<'static>,
}

impl<T> Unpin for Send<'_, T> {}

impl<T> Future for Send<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(msg) = self.msg.take() else {
            crate::future::polled_after_completion("mpsc::Send");
        };
        let mut state = self.sender.chan.lock();
        // Closed: fail, handing the message back.
        if state.closed {
            return Poll::Ready(Err(SendError(msg)));
        }
        state.last_sender = crate::executor::current_task_id();
        // Room: enqueue, forget any stale waiting entry, wake the receiver.
        if state.has_room() {
            if let Some(id) = self.waiting.take() {
                state.forget_waiter(id);
            }
            state.queue.push_back(msg);
            let receiver = state.receiver.take();
            drop(state);
            if let Some(w) = receiver {
                w.wake();
            }
            return Poll::Ready(Ok(()));
        }
        // Full: wait in line (again, if we were woken but lost the slot).
        let (created_at, holder) = (state.created_at, state.last_receiver);
        match self.waiting {
            Some(id) if state.waiting.iter().any(|(i, _)| *i == id) => {
                let entry = state
                    .waiting
                    .iter_mut()
                    .find(|(i, _)| *i == id)
                    .expect("found above");
                if !entry.1.will_wake(cx.waker()) {
                    entry.1 = cx.waker().clone();
                }
            }
            _ => {
                let id = state.next_id;
                state.next_id += 1;
                state.waiting.push_back((id, cx.waker().clone()));
                drop(state);
                self.waiting = Some(id);
            }
        }
        self.msg = Some(msg);
        crate::executor::note_wait(
            "room in a bounded mpsc channel",
            Some(created_at),
            Some(self.awaited_at),
            holder,
        );
        Poll::Pending
    }
}

impl<T> Drop for Send<'_, T> {
    fn drop(&mut self) {
        let Some(id) = self.waiting else { return };
        if self.msg.is_none() {
            return; // finished; nothing is owed to anybody
        }
        let mut state = self.sender.chan.lock();
        if state.forget_waiter(id) || state.closed || !state.has_room() {
            return; // still in line (now removed), or nothing to pass on
        }
        // We were woken for room we will not use: pass it to the next one.
        let next = state.waiting.pop_front();
        drop(state);
        if let Some((_, w)) = next {
            w.wake();
        }
    }
}

/// The receiving half. Dropping it closes the channel and drops every
/// message still queued.
///
/// ```
/// let (tx, mut rx) = async_primer::channel::mpsc::bounded(4);
/// tx.try_send(1).unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub struct Receiver<T> {
    chan: Arc<Mutex<State<T>>>,
}

impl<T> Receiver<T> {
    /// Waits for the next message; `None` once every sender is gone (or the
    /// channel was closed) and the queue is empty.
    ///
    /// Cancel safety: cancel-safe. A message leaves the queue only in the
    /// poll that returns it, so a `recv()` dropped while waiting (say, the
    /// losing branch of a `select` in a loop) loses nothing: the next
    /// `recv()` gets the message.
    ///
    /// ```
    /// let (tx, mut rx) = async_primer::channel::mpsc::unbounded();
    /// tx.try_send(5).unwrap();
    /// drop(tx);
    /// futures::executor::block_on(async {
    ///     assert_eq!(rx.recv().await, Some(5));
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    #[track_caller]
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv {
            receiver: self,
            registered: false,
            done: false,
            awaited_at: Location::caller(),
        }
    }

    /// Takes the next message if one is queued; otherwise says why not
    /// ([`TryRecvError::Empty`] or [`TryRecvError::Disconnected`]).
    ///
    /// ```
    /// use async_primer::channel::{mpsc, TryRecvError};
    /// let (tx, mut rx) = mpsc::unbounded::<u8>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = self.chan.lock();
        if let Some((msg, sender)) = state.pop() {
            drop(state);
            if let Some(w) = sender {
                w.wake();
            }
            return Ok(msg);
        }
        if state.senders == 0 || state.closed {
            Err(TryRecvError::Disconnected)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// The poll behind [`recv`](Self::recv) (and behind this receiver's
    /// [`Stream`](crate::stream::Stream) implementation): `Ready(Some(msg))`,
    /// `Ready(None)` once every sender is gone (or the channel closed) and
    /// the queue is empty, or `Pending` with `cx`'s waker stored, to be woken
    /// by the next send (or the last sender's drop).
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (tx, mut rx) = async_primer::channel::mpsc::unbounded();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Pending);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(1)));
    /// drop(tx);
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(None));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.poll_recv_at(cx, None)
    }

    /// `poll_recv`, telling the stall report where the task awaits.
    fn poll_recv_at(
        &mut self,
        cx: &mut Context<'_>,
        awaited_at: Option<&'static Location<'static>>,
    ) -> Poll<Option<T>> {
        let mut state = self.chan.lock();
        state.last_receiver = crate::executor::current_task_id();
        // A message: ours (and maybe a slot for a waiting sender).
        if let Some((msg, sender)) = state.pop() {
            drop(state);
            if let Some(w) = sender {
                w.wake();
            }
            return Poll::Ready(Some(msg));
        }
        // Nothing, and nothing ever will come.
        if state.senders == 0 || state.closed {
            return Poll::Ready(None);
        }
        // Empty for now: leave our waker (checked under the same lock as
        // the queue, so no send can slip in between).
        let old = match &state.receiver {
            Some(w) if w.will_wake(cx.waker()) => None,
            _ => state.receiver.replace(cx.waker().clone()),
        };
        let (created_at, holder) = (state.created_at, state.last_sender);
        drop(state);
        drop(old); // outside the lock
        crate::executor::note_wait(
            "a message on an mpsc channel",
            Some(created_at),
            awaited_at,
            holder,
        );
        Poll::Pending
    }

    /// Closes the channel from the receiving side: every send from now on
    /// fails (waiting senders are woken and fail), while the messages
    /// already queued can still be received; then `recv` returns `None`.
    ///
    /// ```
    /// let (tx, mut rx) = async_primer::channel::mpsc::unbounded();
    /// tx.try_send(1).unwrap();
    /// rx.close();
    /// assert!(tx.try_send(2).is_err());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert!(rx.try_recv().is_err());
    /// ```
    pub fn close(&mut self) {
        let mut state = self.chan.lock();
        state.closed = true;
        let waiting = std::mem::take(&mut state.waiting);
        drop(state);
        for (_, w) in waiting {
            w.wake();
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut state = self.chan.lock();
        state.closed = true;
        let queued = std::mem::take(&mut state.queue);
        let waiting = std::mem::take(&mut state.waiting);
        let stale = state.receiver.take();
        drop(state);
        // Outside the lock: message destructors and wakers may run any code.
        drop((queued, stale));
        for (_, w) in waiting {
            w.wake();
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Receiver").finish_non_exhaustive()
    }
}

/// Future for [`Receiver::recv`].
///
/// Cancel safety: cancel-safe (see [`Receiver::recv`]).
///
/// ```
/// let (tx, mut rx) = async_primer::channel::mpsc::unbounded();
/// tx.try_send('m').unwrap();
/// assert_eq!(futures::executor::block_on(rx.recv()), Some('m'));
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
    /// We left our waker in the channel (so `Drop` should take it out).
    registered: bool,
    done: bool,
    /// Where `recv` was called, for the executor's stall report.
    awaited_at: &'static Location<'static>,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if self.done {
            crate::future::polled_after_completion("mpsc::Recv");
        }
        let awaited_at = self.awaited_at;
        let answer = self.receiver.poll_recv_at(cx, Some(awaited_at));
        self.done = answer.is_ready();
        self.registered = answer.is_pending();
        answer
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        // A cancelled recv takes nothing from the queue; it only removes
        // its now useless waker.
        if self.registered && !self.done {
            let stale = self.receiver.chan.lock().receiver.take();
            drop(stale);
        }
    }
}
