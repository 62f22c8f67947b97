//! Loom models for `channel::oneshot` (src/channel/oneshot.rs: an atomic
//! state word and two `UnsafeCell`s) and `channel::mpsc`
//! (src/channel/mpsc.rs: one mutex, wakers woken after unlocking).
//!
//! Run: `RUSTFLAGS="--cfg async_primer_loom" LOOM_MAX_PREEMPTIONS=2
//! cargo test --release --test loom_channel`.
//!
//! Which bug each model would catch:
//! * `oneshot_send_racing_receiver_drop`: a value lost or dropped twice
//!   when `send` and the receiver's drop race (the "take it back" path).
//! * `oneshot_send_racing_await`: a lost wake-up between the receiver
//!   storing its waker and the sender setting VALUE, or a data race on the
//!   waker or value cell (loom checks every cell access).
//! * `oneshot_waker_swap_racing_send`: the receiver rewriting its waker
//!   while the sender reads it, or the wrong (old) waker being woken; a
//!   waker leaked or dropped twice (each waker's clones and drops).
//! * `oneshot_same_waker_repoll_racing_send`: a spurious re-poll with the
//!   same waker (`will_wake` reads the cell) racing the sender that moves
//!   the waker out and wakes it by value (`WAKER_TAKEN`, the Speed section
//!   of oneshot.rs): a write racing that read, a wake lost or doubled, or
//!   the moved-out waker dropped again when the channel is freed.
//!   Seeded: tests/seeded_bugs/oneshot-waker-double-drop.patch -> fails.
//! * `oneshot_sender_drop_racing_await`: a receiver left asleep when the
//!   sender is dropped without sending, or its waker leaked or dropped
//!   twice on that path.
//! * `send_racing_receiver_drop` (mpsc): a message lost or dropped twice.
//! * `recv_racing_last_sender_drop`: a `recv` that sleeps forever because
//!   the last sender left between its check and its registration.
//! * `full_bounded_queue_recv_wakes_sender`: back-pressure with a lost
//!   wake-up: the sender waits on a queue that has room.
//! * `close_racing_send`: a message accepted after `close` and never
//!   delivered, or a waiting sender not woken by `close`.
//!
//! Each model asserts what was delivered and how often each waker fired.

// Only loom builds compile the models; the docs above come first so that a
// normal build, where this file is empty, still has crate docs.
#![cfg(async_primer_loom)]

mod common;

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc as StdArc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};

use async_primer::channel::{Closed, SendError, TryRecvError, TrySendError, mpsc, oneshot};
use async_primer::testing::counting_waker;
use loom::thread;

/// Counts wakes. (Plain std atomics are fine: loom runs every thread of a
/// model on one OS thread, and we only read the counts after `join`.)
#[derive(Default)]
struct Counter(AtomicUsize);
impl Wake for Counter {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}
fn counting() -> (StdArc<Counter>, Waker) {
    let c = StdArc::new(Counter::default());
    (c.clone(), Waker::from(c))
}
fn wakes(c: &Counter) -> usize {
    c.0.load(SeqCst)
}

/// Counts drops of a message.
#[derive(Debug)]
struct Msg(StdArc<AtomicUsize>);
impl Drop for Msg {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn oneshot_send_racing_receiver_drop() {
    common::loom_model(|| {
        let drops = StdArc::new(AtomicUsize::new(0));
        let (tx, rx) = oneshot();
        let msg = Msg(drops.clone());
        let sender = thread::spawn(move || match tx.send(msg) {
            Ok(()) => true,
            Err(back) => {
                assert_eq!(back.0.load(SeqCst), 0, "handed back intact");
                false
            }
        });
        drop(rx);
        let delivered = sender.join().unwrap();
        // Ok: the channel dropped it; Err: the sender got it back and
        // dropped it. Either way exactly once, never twice.
        assert_eq!(drops.load(SeqCst), 1, "delivered: {delivered}");
    });
}

#[test]
fn oneshot_send_racing_await() {
    common::loom_model(|| {
        let (tx, rx) = oneshot();
        let (count, waker) = counting();
        let sender = thread::spawn(move || tx.send(7u32).unwrap());
        let mut rx = pin!(rx);
        let first = rx.as_mut().poll(&mut Context::from_waker(&waker));
        sender.join().unwrap();
        match first {
            // Sent before we looked: no wake needed, none happened.
            Poll::Ready(out) => {
                assert_eq!(out, Ok(7));
                assert_eq!(wakes(&count), 0);
            }
            // We registered first: exactly one wake, then the value.
            Poll::Pending => {
                assert_eq!(wakes(&count), 1);
                let second = rx.as_mut().poll(&mut Context::from_waker(&waker));
                assert_eq!(second, Poll::Ready(Ok(7)));
            }
        }
    });
}

#[test]
fn oneshot_waker_swap_racing_send() {
    common::loom_model(|| {
        let (tx, mut rx) = oneshot();
        let (w1, c1) = counting_waker();
        let (w2, c2) = counting_waker();
        assert!(
            Pin::new(&mut rx)
                .poll(&mut Context::from_waker(&w1))
                .is_pending()
        );
        let sender = thread::spawn(move || tx.send(1u8).unwrap());
        // The task moved: poll with a different waker while the send runs.
        let second = Pin::new(&mut rx).poll(&mut Context::from_waker(&w2));
        sender.join().unwrap();
        let (a, b) = (c1.woken(), c2.woken());
        assert!(a + b <= 1, "woken {a} + {b} times");
        match second {
            Poll::Ready(out) => assert_eq!(out, Ok(1)),
            // Still waiting after the swap: only the new waker may fire.
            Poll::Pending => {
                assert_eq!((a, b), (0, 1));
                assert_eq!(
                    Pin::new(&mut rx).poll(&mut Context::from_waker(&w2)),
                    Poll::Ready(Ok(1))
                );
            }
        }
        drop(rx);
        // The first poll stored a clone of w1; the second may have swapped
        // in a clone of w2. Every clone is gone now (woken by value or
        // dropped), once: only the two originals are alive.
        assert_eq!(c1.clones(), 1, "w1: {c1}");
        assert!(c2.clones() <= 1, "w2: {c2}");
        assert_eq!((c1.alive(), c2.alive()), (1, 1), "w1: {c1}; w2: {c2}");
        assert_eq!(c1.wakes_by_ref() + c2.wakes_by_ref(), 0, "woken by value");
    });
}

#[test]
fn oneshot_same_waker_repoll_racing_send() {
    common::loom_model(|| {
        let drops = StdArc::new(AtomicUsize::new(0));
        let (tx, mut rx) = oneshot();
        let (waker, counts) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut rx).poll(&mut cx).is_pending());
        let msg = Msg(drops.clone());
        let sender = thread::spawn(move || tx.send(msg).unwrap());
        // A spurious re-poll with the same waker while RX_WAKER is set: it
        // reads the stored waker (`will_wake`) while the sender may be
        // moving it out and waking it.
        let second = Pin::new(&mut rx).poll(&mut cx);
        sender.join().unwrap();
        // The sender always found our waker stored: exactly one wake, by
        // value (the clone is used up), whichever poll saw the value.
        assert_eq!((counts.wakes(), counts.wakes_by_ref()), (1, 0), "{counts}");
        let out = match second {
            Poll::Ready(out) => out,
            Poll::Pending => match Pin::new(&mut rx).poll(&mut cx) {
                Poll::Ready(out) => out,
                Poll::Pending => panic!("woken, but the value is not there"),
            },
        };
        let msg = out.expect("sent");
        assert_eq!(drops.load(SeqCst), 0, "delivered intact");
        drop(msg);
        drop(rx);
        assert_eq!(drops.load(SeqCst), 1);
        // One clone stored, used up by the wake; not dropped again by the
        // free: only the original is alive.
        assert_eq!((counts.clones(), counts.alive()), (1, 1), "{counts}");
    });
}

#[test]
fn oneshot_sender_drop_racing_await() {
    common::loom_model(|| {
        let (tx, mut rx) = oneshot::<u8>();
        let (waker, counts) = counting_waker();
        let sender = thread::spawn(move || drop(tx));
        let first = Pin::new(&mut rx).poll(&mut Context::from_waker(&waker));
        sender.join().unwrap();
        match first {
            Poll::Ready(out) => {
                assert_eq!(out, Err(Closed));
                assert_eq!(counts.woken(), 0);
            }
            Poll::Pending => {
                assert_eq!(counts.woken(), 1);
                assert_eq!(
                    Pin::new(&mut rx).poll(&mut Context::from_waker(&waker)),
                    Poll::Ready(Err(Closed))
                );
            }
        }
        drop(rx);
        // The poll stores a clone (unless it saw TX_GONE first); the
        // drop wakes it by value if it was there in time, else the free
        // drops it. Either way it is gone, once.
        assert!(
            counts.clones() <= 1 && counts.wakes_by_ref() == 0,
            "{counts}"
        );
        assert_eq!(counts.alive(), 1, "{counts}");
    });
}

#[test]
fn send_racing_receiver_drop() {
    common::loom_model(|| {
        let drops = StdArc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::bounded(2);
        tx.try_send(Msg(drops.clone())).unwrap();
        let receiver = thread::spawn(move || drop(rx));
        let second = tx.try_send(Msg(drops.clone()));
        let accepted = match second {
            Ok(()) => true,
            Err(TrySendError::Closed(m)) => {
                drop(m);
                false
            }
            Err(TrySendError::Full(_)) => panic!("capacity 2 cannot be full"),
        };
        receiver.join().unwrap();
        // Both messages dropped exactly once: by the receiver's drop, or
        // (the rejected one) by us.
        assert_eq!(drops.load(SeqCst), 2, "accepted: {accepted}");
        assert!(tx.is_closed());
    });
}

#[test]
fn recv_racing_last_sender_drop() {
    common::loom_model(|| {
        let (tx, mut rx) = mpsc::unbounded();
        tx.try_send(1u8).unwrap();
        let (count, waker) = counting();
        let sender = thread::spawn(move || drop(tx));
        let mut cx = Context::from_waker(&waker);
        // The queued message is delivered whatever the sender does.
        assert_eq!(pin!(rx.recv()).poll(&mut cx), Poll::Ready(Some(1)));
        let mut recv = pin!(rx.recv());
        let first = recv.as_mut().poll(&mut cx);
        sender.join().unwrap();
        match first {
            Poll::Ready(out) => {
                assert_eq!(out, None);
                assert_eq!(wakes(&count), 0);
            }
            // Registered before the drop: the drop must wake us, once.
            Poll::Pending => {
                assert_eq!(wakes(&count), 1);
                assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(None));
            }
        }
    });
}

#[test]
fn full_bounded_queue_recv_wakes_sender() {
    common::loom_model(|| {
        let (tx, mut rx) = mpsc::bounded(1);
        tx.try_send(1u8).unwrap();
        let (count, waker) = counting();
        let receiver = thread::spawn(move || {
            let got = rx.try_recv();
            (rx, got)
        });
        let mut send = pin!(tx.send(2));
        let first = send.as_mut().poll(&mut Context::from_waker(&waker));
        let (mut rx, got) = receiver.join().unwrap();
        assert_eq!(got, Ok(1));
        match first {
            // The slot was already free.
            Poll::Ready(out) => {
                assert_eq!(out, Ok(()));
                assert_eq!(wakes(&count), 0);
            }
            // We waited: the recv must have woken us, exactly once.
            Poll::Pending => {
                assert_eq!(wakes(&count), 1);
                assert_eq!(
                    send.as_mut().poll(&mut Context::from_waker(&waker)),
                    Poll::Ready(Ok(()))
                );
            }
        }
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    });
}

#[test]
fn close_racing_send() {
    common::loom_model(|| {
        let (tx, mut rx) = mpsc::bounded(1);
        tx.try_send(1u8).unwrap();
        let (count, waker) = counting();
        let closer = thread::spawn(move || {
            rx.close();
            rx
        });
        // The queue is full, so this send waits, or fails if the close won.
        let mut send = pin!(tx.send(2));
        let first = send.as_mut().poll(&mut Context::from_waker(&waker));
        let mut rx = closer.join().unwrap();
        match first {
            Poll::Ready(out) => {
                assert_eq!(out, Err(SendError(2)));
                assert_eq!(wakes(&count), 0);
            }
            // Waiting when the close came: woken once, then refused.
            Poll::Pending => {
                assert_eq!(wakes(&count), 1);
                let again = send.as_mut().poll(&mut Context::from_waker(&waker));
                assert_eq!(again, Poll::Ready(Err(SendError(2))));
            }
        }
        // What was queued before the close is still delivered; nothing else.
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
    });
}
