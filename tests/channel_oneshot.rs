//! oneshot: send/receive, closing from either side, waker replacement,
//! wake counts, drops. See src/channel/oneshot.rs.

mod common;
use common::{LIMIT, within};
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use async_primer::channel::{Closed, oneshot};

#[derive(Default)]
struct Counter(AtomicUsize);
impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
fn counting() -> (Arc<Counter>, Waker) {
    let c = Arc::new(Counter::default());
    (c.clone(), Waker::from(c))
}

#[test]
fn value_sent_before_the_first_poll_is_ready_at_once() {
    let (tx, rx) = oneshot();
    tx.send(5).unwrap();
    let (count, waker) = counting();
    let mut rx = pin!(rx);
    assert_eq!(
        rx.as_mut().poll(&mut Context::from_waker(&waker)),
        Poll::Ready(Ok(5))
    );
    assert_eq!(count.0.load(Ordering::SeqCst), 0);
}

#[test]
fn send_after_poll_wakes_the_receiver_exactly_once() {
    let (tx, rx) = oneshot();
    let (count, waker) = counting();
    let mut cx = Context::from_waker(&waker);
    let mut rx = pin!(rx);
    assert!(rx.as_mut().poll(&mut cx).is_pending());
    assert!(rx.as_mut().poll(&mut cx).is_pending()); // same waker: kept
    tx.send("v").unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    assert_eq!(rx.as_mut().poll(&mut cx), Poll::Ready(Ok("v")));
}

#[test]
fn a_new_waker_replaces_the_old_one() {
    let (tx, rx) = oneshot();
    let (first, w1) = counting();
    let (second, w2) = counting();
    let mut rx = pin!(rx);
    assert!(rx.as_mut().poll(&mut Context::from_waker(&w1)).is_pending());
    assert!(rx.as_mut().poll(&mut Context::from_waker(&w2)).is_pending());
    tx.send(1).unwrap();
    assert_eq!(
        first.0.load(Ordering::SeqCst),
        0,
        "the old waker is not woken"
    );
    assert_eq!(second.0.load(Ordering::SeqCst), 1);
    assert_eq!(
        rx.as_mut().poll(&mut Context::from_waker(&w2)),
        Poll::Ready(Ok(1))
    );
}

#[test]
fn dropped_sender_closes_and_wakes() {
    let (tx, rx) = oneshot::<u8>();
    let (count, waker) = counting();
    let mut rx = pin!(rx);
    assert!(
        rx.as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    drop(tx);
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    assert_eq!(
        rx.as_mut().poll(&mut Context::from_waker(&waker)),
        Poll::Ready(Err(Closed))
    );
}

#[test]
fn send_to_a_dropped_receiver_gives_the_value_back() {
    let (tx, rx) = oneshot();
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(String::from("back")), Err(String::from("back")));
}

struct DropCount(Rc<Cell<usize>>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn a_value_nobody_receives_is_dropped_exactly_once() {
    let drops = Rc::new(Cell::new(0));
    // Rc is !Send, but a oneshot of it is fine on one thread.
    let (tx, rx) = oneshot();
    assert!(tx.send(DropCount(drops.clone())).is_ok());
    assert_eq!(drops.get(), 0);
    drop(rx);
    assert_eq!(drops.get(), 1);

    let (tx, rx) = oneshot();
    drop(rx);
    let back = tx.send(DropCount(drops.clone())).unwrap_err();
    assert_eq!(drops.get(), 1);
    drop(back);
    assert_eq!(drops.get(), 2);
}

#[test]
#[should_panic(expected = "`oneshot::Receiver` polled after completion")]
fn polling_after_completion_panics() {
    let (tx, rx) = oneshot();
    tx.send(()).unwrap();
    let mut rx = pin!(rx);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(rx.as_mut().poll(&mut cx).is_ready());
    let _ = rx.as_mut().poll(&mut cx);
}

#[test]
fn works_across_threads() {
    within(LIMIT, || {
        const ROUNDS: usize = if cfg!(miri) { 5 } else { 200 };
        for i in 0..ROUNDS {
            let (tx, rx) = oneshot();
            let t = std::thread::spawn(move || tx.send(i).unwrap());
            assert_eq!(futures::executor::block_on(rx), Ok(i));
            t.join().unwrap();
        }
    })
}

#[test]
fn ping_pong_through_oneshots() {
    within(LIMIT, || {
        const ROUNDS: u32 = if cfg!(miri) { 10 } else { 1000 };
        futures::executor::block_on(async {
            let mut total = 0;
            for i in 0..ROUNDS {
                let (ping_tx, ping_rx) = oneshot();
                let (pong_tx, pong_rx) = oneshot();
                let responder = async move {
                    let v = ping_rx.await.unwrap();
                    pong_tx.send(v + 1).unwrap();
                };
                let asker = async move {
                    ping_tx.send(i).unwrap();
                    pong_rx.await.unwrap()
                };
                let ((), got) = futures::join!(responder, asker);
                total += got;
            }
            assert_eq!(total, (1..=ROUNDS).sum::<u32>());
        });
    })
}

#[test]
fn the_function_and_the_module_share_a_name() {
    within(LIMIT, || {
        let (tx, rx): (
            async_primer::channel::oneshot::Sender<u8>,
            async_primer::channel::oneshot::Receiver<u8>,
        ) = async_primer::channel::oneshot();
        tx.send(3).unwrap();
        assert_eq!(futures::executor::block_on(rx), Ok(3));
        // And through the module path too.
        let (tx, rx) = async_primer::channel::oneshot::oneshot::<u8>();
        drop(tx);
        assert_eq!(futures::executor::block_on(rx), Err(Closed));
    })
}

/// The stored waker clone is used up exactly once on every path: woken by
/// value by `send` or by the sender's drop (`WAKER_TAKEN`, the Speed
/// section of oneshot.rs), or dropped with the channel when nobody woke it.
/// Under Miri a second drop of the moved-out waker is a use after free.
#[test]
fn the_stored_waker_is_used_up_exactly_once() {
    use async_primer::testing::counting_waker;
    // (polled first?, the sender's end, the receiver dropped before it?)
    for (poll_first, send, rx_first) in [
        (true, true, false),
        (true, false, false),
        (true, true, true),
        (true, false, true),
        (false, true, false),
    ] {
        let (waker, counts) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let (tx, mut rx) = oneshot::<u8>();
        if poll_first {
            assert!(std::pin::Pin::new(&mut rx).poll(&mut cx).is_pending());
        }
        if rx_first {
            drop(rx);
            match send {
                true => assert_eq!(tx.send(1), Err(1)),
                false => drop(tx),
            }
            assert_eq!(counts.woken(), 0, "{counts}");
        } else {
            match send {
                true => tx.send(1).unwrap(),
                false => drop(tx),
            }
            let woken = usize::from(poll_first);
            assert_eq!((counts.wakes(), counts.woken()), (woken, woken), "{counts}");
            let out = std::pin::Pin::new(&mut rx).poll(&mut cx);
            assert_eq!(out, Poll::Ready(if send { Ok(1) } else { Err(Closed) }));
            drop(rx);
        }
        let case = (poll_first, send, rx_first);
        assert_eq!(
            counts.clones(),
            usize::from(poll_first),
            "{case:?}: {counts}"
        );
        assert_eq!(counts.alive(), 1, "{case:?}: {counts}");
    }
}

/// A spurious re-poll with the same waker (it reads the stored waker)
/// while another thread sends (and moves that waker out to wake it).
#[test]
fn repoll_with_the_same_waker_while_another_thread_sends() {
    use async_primer::testing::counting_waker;
    within(LIMIT, || {
        const ROUNDS: usize = if cfg!(miri) { 5 } else { 200 };
        for i in 0..ROUNDS {
            let (waker, counts) = counting_waker();
            let mut cx = Context::from_waker(&waker);
            let (tx, mut rx) = oneshot();
            assert!(std::pin::Pin::new(&mut rx).poll(&mut cx).is_pending());
            let t = std::thread::spawn(move || tx.send(i).unwrap());
            let out = loop {
                if let Poll::Ready(out) = std::pin::Pin::new(&mut rx).poll(&mut cx) {
                    break out;
                }
                std::thread::yield_now();
            };
            t.join().unwrap();
            assert_eq!(out, Ok(i));
            drop(rx);
            assert_eq!(
                (counts.wakes(), counts.clones(), counts.alive()),
                (1, 1, 1),
                "{counts}"
            );
        }
    })
}
