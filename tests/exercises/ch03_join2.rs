//! Exercise 3.2 (docs/ch03-futures.md): `join2(a, b)`, a future that polls
//! both futures and is ready with both outputs; each polled only until done.

use async_primer::testing::{counting_waker, poll_with};
use async_primer::{assert_pending, assert_ready_eq};
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::task::Poll;

/// What the exercise asks for (a trait only so the test can take any answer).
pub trait Join2 {
    fn join2<A: Future, B: Future>(a: A, b: B) -> impl Future<Output = (A::Output, B::Output)>;
}

/// The skeleton test from the guide, over any `join2`.
pub fn check<J: Join2>() {
    let (tx_a, rx_a) = async_primer::channel::oneshot::<u8>();
    let b_polls = Cell::new(0);
    let b = std::future::poll_fn(|_| {
        b_polls.set(b_polls.get() + 1);
        Poll::Ready("b")
    });
    let mut joined = pin!(J::join2(rx_a, b));
    let (waker, counts) = counting_waker();
    assert_pending!(joined, &waker);
    assert_eq!(b_polls.get(), 1, "b is polled even while a waits");
    tx_a.send(1).unwrap();
    assert_eq!(
        counts.woken(),
        1,
        "a's wake-up reaches join2's waker: {counts}"
    );
    assert_ready_eq!(joined, &waker, (Ok(1), "b"));
    assert_eq!(b_polls.get(), 1, "a finished future is not polled again");

    // std's `Ready` panics if polled again after it is done.
    let (tx, rx) = async_primer::channel::oneshot::<u8>();
    let mut joined = pin!(J::join2(std::future::ready(5), rx));
    assert!(poll_with(&mut joined, &waker).is_pending());
    tx.send(6).unwrap();
    assert_ready_eq!(joined, &waker, (5, Ok(6)));
}

mod reference {
    use std::future::Future;
    use std::pin::pin;
    use std::task::Poll;

    pub struct Answer;

    impl super::Join2 for Answer {
        fn join2<A: Future, B: Future>(a: A, b: B) -> impl Future<Output = (A::Output, B::Output)> {
            async move {
                let (mut a, mut b) = (pin!(a), pin!(b));
                let (mut out_a, mut out_b) = (None, None);
                std::future::poll_fn(|cx| {
                    if out_a.is_none() {
                        if let Poll::Ready(v) = a.as_mut().poll(cx) {
                            out_a = Some(v);
                        }
                    }
                    if out_b.is_none() {
                        if let Poll::Ready(v) = b.as_mut().poll(cx) {
                            out_b = Some(v);
                        }
                    }
                    match (out_a.is_some(), out_b.is_some()) {
                        (true, true) => Poll::Ready((out_a.take().unwrap(), out_b.take().unwrap())),
                        _ => Poll::Pending,
                    }
                })
                .await
            }
        }
    }
}

mod empty {
    use std::future::Future;

    /// The naive answer: one after the other (b waits for a).
    pub struct Answer;

    impl super::Join2 for Answer {
        fn join2<A: Future, B: Future>(a: A, b: B) -> impl Future<Output = (A::Output, B::Output)> {
            async move { (a.await, b.await) }
        }
    }
}

#[test]
fn join2_reference_passes() {
    check::<reference::Answer>();
}

#[test]
fn join2_sequential_fails() {
    crate::assert_fails("3.2 join2", check::<empty::Answer>);
}
