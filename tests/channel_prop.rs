//! Property tests: channels against a `VecDeque` model for random
//! sequences of send / recv / clone / drop / close, including send and
//! recv futures cancelled mid-wait. See src/channel/.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use async_primer::channel::{Closed, TryRecvError, TrySendError, mpsc, oneshot};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 })
}

#[derive(Debug, Clone)]
enum Op {
    /// `try_send` from sender `i % live`.
    TrySend(usize),
    /// `send(..)` polled once, then dropped if still pending (cancelled).
    SendOnceThenCancel(usize),
    TryRecv,
    /// `recv()` polled once, then dropped if still pending.
    RecvOnceThenCancel,
    Clone(usize),
    DropSender(usize),
    Close,
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        4 => any::<usize>().prop_map(Op::TrySend),
        2 => any::<usize>().prop_map(Op::SendOnceThenCancel),
        4 => Just(Op::TryRecv),
        2 => Just(Op::RecvOnceThenCancel),
        1 => any::<usize>().prop_map(Op::Clone),
        1 => any::<usize>().prop_map(Op::DropSender),
        1 => Just(Op::Close),
    ];
    // Miri runs this slowly: shorter sequences there.
    prop::collection::vec(op, 0..if cfg!(miri) { 16 } else { 80 })
}

/// The model: a queue, a capacity, live senders, a closed flag.
struct Model {
    queue: VecDeque<u32>,
    cap: Option<usize>,
    senders: usize,
    closed: bool,
}

impl Model {
    fn try_send(&mut self, v: u32) -> Result<(), TrySendError<u32>> {
        if self.closed {
            Err(TrySendError::Closed(v))
        } else if self.cap.is_some_and(|c| self.queue.len() >= c) {
            Err(TrySendError::Full(v))
        } else {
            self.queue.push_back(v);
            Ok(())
        }
    }
    fn try_recv(&mut self) -> Result<u32, TryRecvError> {
        match self.queue.pop_front() {
            Some(v) => Ok(v),
            None if self.closed || self.senders == 0 => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }
}

fn run(cap: Option<usize>, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let (tx, mut rx) = match cap {
        Some(c) => mpsc::bounded(c),
        None => mpsc::unbounded(),
    };
    let mut senders = vec![tx];
    let mut model = Model {
        queue: VecDeque::new(),
        cap,
        senders: 1,
        closed: false,
    };
    let mut next = 0u32;
    let mut cx = Context::from_waker(Waker::noop());
    for op in ops {
        match op {
            Op::TrySend(i) if !senders.is_empty() => {
                next += 1;
                let i = i % senders.len();
                prop_assert_eq!(senders[i].try_send(next), model.try_send(next));
            }
            Op::SendOnceThenCancel(i) if !senders.is_empty() => {
                next += 1;
                let i = i % senders.len();
                let got = pin!(senders[i].send(next)).poll(&mut cx);
                // Model: sent if there is room; refused if closed; if full,
                // pending, and the cancelled send never enqueues anything.
                match model.try_send(next) {
                    Ok(()) => prop_assert_eq!(got, Poll::Ready(Ok(()))),
                    Err(TrySendError::Closed(v)) => {
                        prop_assert_eq!(got, Poll::Ready(Err(async_primer::channel::SendError(v))))
                    }
                    Err(TrySendError::Full(_)) => prop_assert!(got.is_pending()),
                }
            }
            Op::TryRecv => prop_assert_eq!(rx.try_recv(), model.try_recv()),
            Op::RecvOnceThenCancel => {
                let got = pin!(rx.recv()).poll(&mut cx);
                match model.try_recv() {
                    Ok(v) => prop_assert_eq!(got, Poll::Ready(Some(v))),
                    Err(TryRecvError::Disconnected) => prop_assert_eq!(got, Poll::Ready(None)),
                    Err(TryRecvError::Empty) => prop_assert!(got.is_pending()),
                }
            }
            Op::Clone(i) if !senders.is_empty() => {
                let s = senders[i % senders.len()].clone();
                senders.push(s);
                model.senders += 1;
            }
            Op::DropSender(i) if !senders.is_empty() => {
                let i = i % senders.len();
                senders.remove(i);
                model.senders -= 1;
            }
            Op::Close => {
                rx.close();
                model.closed = true;
            }
            _ => {} // an op on a sender when none is left
        }
        for s in &senders {
            prop_assert_eq!(s.is_closed(), model.closed);
        }
    }
    // Drain: exactly the model's queue, in order, then the end (if no
    // sender is left or the channel was closed).
    drop(senders);
    model.senders = 0;
    let mut rest = vec![];
    while let Ok(v) = rx.try_recv() {
        rest.push(v);
    }
    prop_assert_eq!(rest, Vec::from(model.queue.clone()));
    prop_assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    Ok(())
}

#[derive(Debug, Clone, Copy)]
enum OneshotOp {
    Send,
    DropSender,
    DropReceiver,
    Poll,
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn bounded_matches_the_model(cap in 1usize..5, ops in ops()) {
        run(Some(cap), ops)?;
    }

    #[test]
    fn unbounded_matches_the_model(ops in ops()) {
        run(None, ops)?;
    }

    #[test]
    fn oneshot_matches_the_model(ops in prop::collection::vec(
        prop_oneof![Just(OneshotOp::Send), Just(OneshotOp::DropSender),
                    Just(OneshotOp::DropReceiver), Just(OneshotOp::Poll)], 0..8)
    ) {
        let (tx, rx) = oneshot::<u8>();
        let (mut tx, mut rx) = (Some(tx), Some(Box::pin(rx)));
        // Model: what the receiver will see, once it is decided.
        let mut outcome: Option<Result<u8, Closed>> = None;
        let mut received = false;
        let mut cx = Context::from_waker(Waker::noop());
        for op in ops {
            match op {
                OneshotOp::Send => if let Some(tx) = tx.take() {
                    let result = tx.send(7);
                    if rx.is_some() {
                        prop_assert_eq!(result, Ok(()));
                        outcome = Some(Ok(7));
                    } else {
                        prop_assert_eq!(result, Err(7));
                    }
                },
                OneshotOp::DropSender => if tx.take().is_some() {
                    outcome = Some(Err(Closed));
                },
                OneshotOp::DropReceiver => {
                    rx = None;
                    if let Some(tx) = &tx { prop_assert!(tx.is_closed()); }
                }
                OneshotOp::Poll => if let (Some(r), false) = (rx.as_mut(), received) {
                    match (r.as_mut().poll(&mut cx), outcome) {
                        (Poll::Pending, None) => {}
                        (Poll::Ready(got), Some(want)) => {
                            prop_assert_eq!(got, want);
                            received = true;
                        }
                        (got, want) => prop_assert!(false, "got {:?}, model {:?}", got, want),
                    }
                },
            }
        }
    }
}
