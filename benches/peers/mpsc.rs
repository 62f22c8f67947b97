//! The `mpsc_*` workloads (issue 15): throughput of a bounded(128)
//! channel carrying 100,000 `u64` from one producer task, or from 4
//! producer tasks, to one consumer task, all on one thread. This crate's
//! `channel::mpsc::bounded` on its own executor, against
//! `tokio::sync::mpsc::channel` on a current-thread runtime with a
//! `LocalSet`, and `async_channel::bounded` on async-executor's
//! `LocalExecutor`. ns per message, sending and receiving included; the
//! consumer checks the sum, so no message can go missing unnoticed.
//!
//! ```text
//! cargo bench --bench peers -- mpsc
//! ```

use std::cell::Cell;
use std::rc::Rc;

use async_primer::executor::Executor;

use super::{Bench, ours, peer, per_op, tokio_runtime};

/// Queue capacity of every channel measured.
const CAPACITY: usize = 128;

pub(crate) fn mpsc(b: &mut Bench) {
    throughput(b, "mpsc_1_producer", 1);
    throughput(b, "mpsc_4_producers", 4);
}

/// The sum the consumer must see: every producer `p` sends `p*per + i` for
/// `i` in `0..per`, so the values are `0..producers*per`, each once.
fn expected(total: u64) -> u64 {
    total * (total - 1) / 2
}

fn throughput(b: &mut Bench, name: &str, producers: usize) {
    let n = b.scaled(100_000);
    let per = n / producers;
    let total = (per * producers) as u64;
    b.run(
        name,
        vec![
            ours(move || {
                let ex = Executor::new();
                let sum = Rc::new(Cell::new(0u64));
                let ns = per_op(n, || {
                    let (tx, mut rx) = async_primer::channel::mpsc::bounded::<u64>(CAPACITY);
                    let seen = sum.clone();
                    drop(ex.spawn(async move {
                        let mut s = 0;
                        while let Some(v) = rx.recv().await {
                            s += v;
                        }
                        seen.set(s);
                    }));
                    for p in 0..producers {
                        let tx = tx.clone();
                        drop(ex.spawn(async move {
                            for i in 0..per {
                                tx.send((p * per + i) as u64).await.expect("receiver alive");
                            }
                        }));
                    }
                    drop(tx);
                    ex.run_until_stalled();
                });
                assert_eq!(ex.tasks(), 0, "a task did not finish");
                assert_eq!(sum.get(), expected(total));
                ns
            }),
            peer("tokio mpsc + LocalSet", move || {
                let rt = tokio_runtime();
                let local = tokio::task::LocalSet::new();
                let sum = Rc::new(Cell::new(0u64));
                let ns = per_op(n, || {
                    let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(CAPACITY);
                    let seen = sum.clone();
                    drop(local.spawn_local(async move {
                        let mut s = 0;
                        while let Some(v) = rx.recv().await {
                            s += v;
                        }
                        seen.set(s);
                    }));
                    for p in 0..producers {
                        let tx = tx.clone();
                        drop(local.spawn_local(async move {
                            for i in 0..per {
                                tx.send((p * per + i) as u64).await.expect("receiver alive");
                            }
                        }));
                    }
                    drop(tx);
                    rt.block_on(local);
                });
                assert_eq!(sum.get(), expected(total));
                ns
            }),
            peer("async-channel + LocalExecutor", move || {
                let ex = async_executor::LocalExecutor::new();
                let sum = Rc::new(Cell::new(0u64));
                let ns = per_op(n, || {
                    let (tx, rx) = async_channel::bounded::<u64>(CAPACITY);
                    let seen = sum.clone();
                    ex.spawn(async move {
                        let mut s = 0;
                        while let Ok(v) = rx.recv().await {
                            s += v;
                        }
                        seen.set(s);
                    })
                    .detach();
                    for p in 0..producers {
                        let tx = tx.clone();
                        ex.spawn(async move {
                            for i in 0..per {
                                tx.send((p * per + i) as u64).await.expect("receiver alive");
                            }
                        })
                        .detach();
                    }
                    drop(tx);
                    // Every task waits only on the others, so running until
                    // nothing is ready runs them all to the end.
                    while ex.try_tick() {}
                });
                assert_eq!(sum.get(), expected(total));
                ns
            }),
        ],
    );
}
