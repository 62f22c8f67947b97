//! The errors channels return; each one says why.

use std::fmt;

/// The other half of the channel is gone: a oneshot receiver whose sender
/// was dropped without sending.
///
/// ```
/// use async_primer::channel::{oneshot, Closed};
/// let (tx, rx) = oneshot::<u8>();
/// drop(tx);
/// assert_eq!(futures::executor::block_on(rx), Err(Closed));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed: the sender was dropped without sending")
    }
}

impl std::error::Error for Closed {}

/// `send` failed because the receiver is gone (dropped or closed); the
/// message is handed back.
///
/// ```
/// use async_primer::channel::{mpsc, SendError};
/// let (tx, rx) = mpsc::unbounded::<u8>();
/// drop(rx);
/// assert_eq!(futures::executor::block_on(tx.send(7)), Err(SendError(7)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("send failed: the receiver is gone")
    }
}

impl<T: fmt::Debug> std::error::Error for SendError<T> {}

/// Why [`try_send`](crate::channel::mpsc::Sender::try_send) did not send;
/// the message is handed back either way.
///
/// ```
/// use async_primer::channel::{mpsc, TrySendError};
/// let (tx, _rx) = mpsc::bounded(1);
/// tx.try_send(1).unwrap();
/// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// The bounded queue has no room right now; try later or `send().await`.
    Full(T),
    /// The receiver is gone (dropped or closed); no send will ever succeed.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The message that was not sent.
    ///
    /// ```
    /// use async_primer::channel::TrySendError;
    /// assert_eq!(TrySendError::Full(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Closed(v) => v,
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("try_send failed: the queue is full"),
            TrySendError::Closed(_) => f.write_str("try_send failed: the receiver is gone"),
        }
    }
}

impl<T: fmt::Debug> std::error::Error for TrySendError<T> {}

/// Why [`try_recv`](crate::channel::mpsc::Receiver::try_recv) returned no
/// message.
///
/// ```
/// use async_primer::channel::{mpsc, TryRecvError};
/// let (tx, mut rx) = mpsc::unbounded::<u8>();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing queued right now, but a sender still exists.
    Empty,
    /// Nothing queued, and nothing ever will be: every sender is gone (or
    /// the receiver closed the channel).
    Disconnected,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("try_recv: the queue is empty"),
            TryRecvError::Disconnected => f.write_str("try_recv: every sender is gone"),
        }
    }
}

impl std::error::Error for TryRecvError {}
