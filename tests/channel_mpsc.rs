//! mpsc: order, closing, back-pressure, cancellation of waiting send and
//! recv futures, wake counts, threads. See src/channel/mpsc.rs.

mod common;
use common::{LIMIT, within};
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use async_primer::channel::{SendError, TryRecvError, TrySendError, mpsc};
use async_primer::testing::counting_waker;

#[test]
fn fifo_then_none_after_last_sender() {
    within(LIMIT, || {
        let (tx, mut rx) = mpsc::unbounded();
        let tx2 = tx.clone();
        for i in 0..10 {
            tx.try_send(i).unwrap();
        }
        drop(tx);
        assert_eq!(rx.try_recv(), Ok(0));
        drop(tx2);
        let rest: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        assert_eq!(rest, (1..10).collect::<Vec<_>>());
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        assert_eq!(futures::executor::block_on(rx.recv()), None);
    })
}

#[test]
fn recv_waits_and_is_woken_once_by_send() {
    within(LIMIT, || {
        let (tx, mut rx) = mpsc::unbounded();
        let (waker, count) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        {
            let mut recv = pin!(rx.recv());
            assert!(recv.as_mut().poll(&mut cx).is_pending());
            tx.try_send(9).unwrap();
            assert_eq!(count.woken(), 1);
            assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(Some(9)));
        }
        // The last sender's drop wakes a waiting recv, which then sees None.
        let mut recv = pin!(rx.recv());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        drop(tx);
        assert_eq!(count.woken(), 2);
        assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(None));
    })
}

#[test]
fn bounded_send_waits_for_room_and_recv_wakes_it() {
    let (tx, mut rx) = mpsc::bounded(2);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    let (waker, count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut send = pin!(tx.send(3));
    assert!(send.as_mut().poll(&mut cx).is_pending());
    assert!(send.as_mut().poll(&mut cx).is_pending()); // still full, not re-queued twice
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(count.woken(), 1);
    assert_eq!(send.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(count.woken(), 1, "no stray wakes");
}

#[test]
fn waiting_senders_are_woken_one_per_freed_slot_in_order() {
    let (tx, mut rx) = mpsc::bounded(1);
    tx.try_send(0).unwrap();
    let (w1, c1) = counting_waker();
    let (w2, c2) = counting_waker();
    let mut s1 = pin!(tx.send(1));
    let mut s2 = pin!(tx.send(2));
    assert!(s1.as_mut().poll(&mut Context::from_waker(&w1)).is_pending());
    assert!(s2.as_mut().poll(&mut Context::from_waker(&w2)).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!((c1.woken(), c2.woken()), (1, 0));
    assert!(s1.as_mut().poll(&mut Context::from_waker(&w1)).is_ready());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!((c1.woken(), c2.woken()), (1, 1));
    assert!(s2.as_mut().poll(&mut Context::from_waker(&w2)).is_ready());
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn a_woken_send_dropped_before_using_its_slot_passes_the_wake_on() {
    let (tx, mut rx) = mpsc::bounded(1);
    tx.try_send(0).unwrap();
    let (w1, c1) = counting_waker();
    let (w2, c2) = counting_waker();
    let mut s1 = Box::pin(tx.send(1));
    let mut s2 = pin!(tx.send(2));
    assert!(s1.as_mut().poll(&mut Context::from_waker(&w1)).is_pending());
    assert!(s2.as_mut().poll(&mut Context::from_waker(&w2)).is_pending());
    assert_eq!(rx.try_recv(), Ok(0)); // wakes s1
    assert_eq!((c1.woken(), c2.woken()), (1, 0));
    drop(s1); // cancelled without sending: s2 must hear about the room
    assert_eq!(c2.woken(), 1);
    assert!(s2.as_mut().poll(&mut Context::from_waker(&w2)).is_ready());
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn a_waiting_send_dropped_in_line_leaves_the_others_alone() {
    let (tx, mut rx) = mpsc::bounded(1);
    tx.try_send(0).unwrap();
    let (w2, c2) = counting_waker();
    let mut s1 = Box::pin(tx.send(1));
    let mut s2 = pin!(tx.send(2));
    assert!(
        s1.as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending()
    );
    assert!(s2.as_mut().poll(&mut Context::from_waker(&w2)).is_pending());
    drop(s1); // still in line: just leaves it
    assert_eq!(c2.woken(), 0);
    assert_eq!(rx.try_recv(), Ok(0)); // the slot goes to s2
    assert_eq!(c2.woken(), 1);
    assert!(s2.as_mut().poll(&mut Context::from_waker(&w2)).is_ready());
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn a_send_that_finds_room_without_a_wake_does_not_steal_a_later_wake() {
    let (tx, mut rx) = mpsc::bounded(1);
    tx.try_send(0).unwrap();
    let (w1, c1) = counting_waker();
    let (w2, c2) = counting_waker();
    let mut s1 = pin!(tx.send(1));
    let mut s2 = pin!(tx.send(2));
    assert!(s1.as_mut().poll(&mut Context::from_waker(&w1)).is_pending());
    assert!(s2.as_mut().poll(&mut Context::from_waker(&w2)).is_pending());
    assert_eq!(rx.try_recv(), Ok(0)); // wakes s1 ...
    // ... but s2 happens to be polled first and takes the slot.
    assert!(s2.as_mut().poll(&mut Context::from_waker(&w2)).is_ready());
    assert!(s1.as_mut().poll(&mut Context::from_waker(&w1)).is_pending()); // back in line
    assert_eq!(rx.try_recv(), Ok(2)); // must wake s1, not s2's stale entry
    assert_eq!(c1.woken(), 2);
    assert_eq!(c2.woken(), 0);
    assert!(s1.as_mut().poll(&mut Context::from_waker(&w1)).is_ready());
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn a_recv_dropped_mid_wait_loses_nothing() {
    within(LIMIT, || {
        let (tx, mut rx) = mpsc::unbounded();
        let (waker, count) = counting_waker();
        {
            let mut recv = Box::pin(rx.recv());
            assert!(
                recv.as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_pending()
            );
        } // cancelled
        tx.try_send("kept").unwrap();
        assert_eq!(count.woken(), 0, "the cancelled recv's waker was removed");
        assert_eq!(rx.try_recv(), Ok("kept"));
    })
}

#[test]
fn close_fails_senders_and_keeps_queued_messages() {
    let (tx, mut rx) = mpsc::bounded(1);
    tx.try_send(1).unwrap();
    let (waker, count) = counting_waker();
    let mut waiting = pin!(tx.send(2));
    assert!(
        waiting
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    rx.close();
    assert_eq!(count.woken(), 1);
    assert_eq!(
        waiting.as_mut().poll(&mut Context::from_waker(&waker)),
        Poll::Ready(Err(SendError(2)))
    );
    assert!(tx.is_closed());
    assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn dropping_the_receiver_drops_queued_messages_and_fails_sends() {
    within(LIMIT, || {
        let msg = Arc::new(());
        let (tx, rx) = mpsc::unbounded();
        tx.try_send(msg.clone()).unwrap();
        tx.try_send(msg.clone()).unwrap();
        assert_eq!(Arc::strong_count(&msg), 3);
        drop(rx);
        assert_eq!(Arc::strong_count(&msg), 1);
        assert!(futures::executor::block_on(tx.send(msg.clone())).is_err());
        assert_eq!(Arc::strong_count(&msg), 1);
    })
}

#[test]
#[should_panic(expected = "mpsc::bounded(0)")]
fn bounded_zero_panics_clearly() {
    let _ = mpsc::bounded::<u8>(0);
}

#[test]
fn senders_on_other_threads_fifo_per_sender_nothing_lost() {
    within(LIMIT, || {
        const PER: usize = if cfg!(miri) { 20 } else { 2_000 };
        const SENDERS: usize = 4;
        let (tx, mut rx) = mpsc::bounded(3);
        let threads: Vec<_> = (0..SENDERS)
            .map(|s| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    futures::executor::block_on(async {
                        for i in 0..PER {
                            tx.send((s, i)).await.unwrap();
                        }
                    })
                })
            })
            .collect();
        drop(tx);
        let mut next = [0usize; SENDERS];
        let mut total = 0;
        futures::executor::block_on(async {
            while let Some((s, i)) = rx.recv().await {
                assert_eq!(i, next[s], "FIFO per sender");
                next[s] += 1;
                total += 1;
            }
        });
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(total, SENDERS * PER);
        assert!(next.iter().all(|&n| n == PER));
    })
}
