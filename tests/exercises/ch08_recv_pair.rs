//! Exercise 8.1 (docs/ch08-next-steps.md): a cancel-safe `recv_pair`: the
//! next two messages of a channel as a pair, usable in a `select` loop
//! (where it is dropped whenever the other branch wins) without losing a
//! message.

use async_primer::channel::mpsc;
use async_primer::future::{Either, select};
use async_primer::testing::run_recorded;
use async_primer::time::sleep;
use async_primer::{assert_pending, assert_ready_eq, say};
use std::future::Future;
use std::pin::pin;
use std::time::Duration;

/// What the exercise asks for.
pub trait PairReceiver {
    fn new(rx: mpsc::Receiver<u32>) -> Self;
    fn recv_pair(&mut self) -> impl Future<Output = Option<(u32, u32)>>;
}

/// The skeleton test from the guide, over any `PairReceiver`.
pub fn check<P: PairReceiver>() {
    // By hand: cancel a recv_pair that already took one message.
    let (tx, rx) = mpsc::unbounded();
    let mut pairs = P::new(rx);
    tx.try_send(1).unwrap();
    {
        let mut first_try = pin!(pairs.recv_pair());
        assert_pending!(first_try); // has 1, waits for a second message
    } // dropped here: cancelled
    tx.try_send(2).unwrap();
    tx.try_send(3).unwrap();
    let mut second_try = pin!(pairs.recv_pair());
    assert_ready_eq!(second_try, Some((1, 2)));

    // In a select loop against a ticking timer.
    let t = run_recorded(0, || async {
        let (tx, rx) = mpsc::unbounded();
        let _producer = async_primer::spawn(async move {
            for n in 1..=4 {
                sleep(Duration::from_millis(150)).await;
                tx.try_send(n).unwrap();
            }
        });
        let mut pairs = P::new(rx);
        loop {
            match select(
                pin!(pairs.recv_pair()),
                pin!(sleep(Duration::from_millis(100))),
            )
            .await
            {
                Either::Left((Some(pair), _)) => say!("pair {pair:?}"),
                Either::Left((None, _)) => break,
                Either::Right(_) => {} // a tick: the recv_pair future is dropped
            }
        }
    });
    assert_eq!(t.texts(), ["pair (1, 2)", "pair (3, 4)"], "\n{t}");
}

mod reference {
    use async_primer::channel::mpsc;
    use std::future::Future;

    /// Keeps the first message of a pair in `self`, not in the future, so
    /// dropping the future loses nothing.
    pub struct Pairs {
        rx: mpsc::Receiver<u32>,
        first: Option<u32>,
    }

    impl super::PairReceiver for Pairs {
        fn new(rx: mpsc::Receiver<u32>) -> Pairs {
            Pairs { rx, first: None }
        }

        fn recv_pair(&mut self) -> impl Future<Output = Option<(u32, u32)>> {
            async move {
                if self.first.is_none() {
                    self.first = Some(self.rx.recv().await?);
                }
                let second = self.rx.recv().await?;
                Some((self.first.take()?, second))
            }
        }
    }
}

mod empty {
    use async_primer::channel::mpsc;
    use std::future::Future;

    /// The naive answer: the first message lives in the future and is lost
    /// when the future is dropped.
    pub struct Pairs(mpsc::Receiver<u32>);

    impl super::PairReceiver for Pairs {
        fn new(rx: mpsc::Receiver<u32>) -> Pairs {
            Pairs(rx)
        }

        fn recv_pair(&mut self) -> impl Future<Output = Option<(u32, u32)>> {
            async move {
                let first = self.0.recv().await?;
                let second = self.0.recv().await?;
                Some((first, second))
            }
        }
    }
}

#[test]
fn recv_pair_reference_passes() {
    check::<reference::Pairs>();
}

#[test]
fn recv_pair_that_loses_a_message_fails() {
    crate::assert_fails("8.1 recv_pair", check::<empty::Pairs>);
}
