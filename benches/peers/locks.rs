//! The `locks_*` workloads (issue 15): this crate's `locks::Mutex` and
//! `locks::Semaphore` on its own executor, against tokio's `sync::Mutex`
//! and `sync::Semaphore` on a current-thread runtime with a `LocalSet`, as
//! the other rows run them. Every task yields with the same
//! executor-neutral `yield_once`, so the rows differ only in the lock.
//!
//! ```text
//! cargo bench --bench peers -- locks
//! ```

use std::hint::black_box;
use std::rc::Rc;

use async_primer::executor::Executor;

use super::{
    Bench, ours, ours_spawn_run, peer, per_op, tokio_runtime, tokio_spawn_run, yield_once,
};

/// Tasks sharing one lock in the contended rows.
const TASKS: usize = 16;

pub(crate) fn locks(b: &mut Bench) {
    mutex_uncontended(b);
    mutex_contended(b, true);
    mutex_contended(b, false);
    semaphore_acquire_release(b);
    semaphore_contended(b);
}

/// `locks_mutex_uncontended`: one task locks and unlocks 1,000,000 times;
/// ns per lock + unlock. The fast path: nobody else ever waits.
fn mutex_uncontended(b: &mut Bench) {
    let n = b.scaled(1_000_000);
    b.run(
        "locks_mutex_uncontended",
        vec![
            ours(move || {
                let ex = Executor::new();
                let m = async_primer::locks::Mutex::new(0u64);
                let ns = per_op(n, || {
                    ex.block_on(async {
                        for _ in 0..n {
                            *m.lock().await += 1;
                        }
                    })
                });
                assert_eq!(m.into_inner(), n as u64);
                ns
            }),
            peer("tokio Mutex + LocalSet", move || {
                let rt = tokio_runtime();
                let local = tokio::task::LocalSet::new();
                let m = tokio::sync::Mutex::new(0u64);
                let ns = per_op(n, || {
                    local.block_on(&rt, async {
                        for _ in 0..n {
                            *m.lock().await += 1;
                        }
                    })
                });
                assert_eq!(m.into_inner(), n as u64);
                ns
            }),
        ],
    );
}

/// `locks_mutex_yield_holding` / `locks_mutex_yield_unlocked`: 16 tasks on one executor,
/// each 2,000 times: lock, yield (holding the guard, or after unlocking),
/// unlock; ns per lock + unlock. Holding it, every other task that runs
/// finds the mutex locked and joins the line: the hand-over path.
fn mutex_contended(b: &mut Bench, hold: bool) {
    let rounds = b.scaled(2_000);
    let ops = TASKS * rounds;
    let name = if hold {
        "locks_mutex_yield_holding"
    } else {
        "locks_mutex_yield_unlocked"
    };
    b.run(
        name,
        vec![
            ours(move || {
                let m = Rc::new(async_primer::locks::Mutex::new(0usize));
                let ns = ours_spawn_run(TASKS, |_| {
                    let m = m.clone();
                    async move {
                        for _ in 0..rounds {
                            let mut g = m.lock().await;
                            if hold {
                                yield_once().await;
                            }
                            *g += 1;
                            drop(g);
                            if !hold {
                                yield_once().await;
                            }
                        }
                    }
                });
                assert_eq!(*m.try_lock().unwrap(), ops);
                ns / rounds as f64
            }),
            peer("tokio Mutex + LocalSet", move || {
                let m = Rc::new(tokio::sync::Mutex::new(0usize));
                let ns = tokio_spawn_run(TASKS, |_| {
                    let m = m.clone();
                    async move {
                        for _ in 0..rounds {
                            let mut g = m.lock().await;
                            if hold {
                                yield_once().await;
                            }
                            *g += 1;
                            drop(g);
                            if !hold {
                                yield_once().await;
                            }
                        }
                    }
                });
                assert_eq!(*m.try_lock().unwrap(), ops);
                ns / rounds as f64
            }),
        ],
    );
}

/// `locks_semaphore_uncontended`: one task acquires and releases one
/// permit 1,000,000 times; ns per acquire + release.
fn semaphore_acquire_release(b: &mut Bench) {
    let n = b.scaled(1_000_000);
    b.run(
        "locks_semaphore_uncontended",
        vec![
            ours(move || {
                let ex = Executor::new();
                let sem = async_primer::locks::Semaphore::new(4);
                let ns = per_op(n, || {
                    ex.block_on(async {
                        for _ in 0..n {
                            drop(black_box(sem.acquire().await));
                        }
                    })
                });
                assert_eq!(sem.available_permits(), 4);
                ns
            }),
            peer("tokio Semaphore + LocalSet", move || {
                let rt = tokio_runtime();
                let local = tokio::task::LocalSet::new();
                let sem = tokio::sync::Semaphore::new(4);
                let ns = per_op(n, || {
                    local.block_on(&rt, async {
                        for _ in 0..n {
                            drop(black_box(sem.acquire().await.expect("open")));
                        }
                    })
                });
                assert_eq!(sem.available_permits(), 4);
                ns
            }),
        ],
    );
}

/// `locks_semaphore_contended`: 16 tasks share 4 permits, each 2,000
/// times: acquire, yield holding the permit, release; ns per acquire +
/// release.
fn semaphore_contended(b: &mut Bench) {
    let rounds = b.scaled(2_000);
    b.run(
        "locks_semaphore_contended",
        vec![
            ours(move || {
                let sem = Rc::new(async_primer::locks::Semaphore::new(4));
                let ns = ours_spawn_run(TASKS, |_| {
                    let sem = sem.clone();
                    async move {
                        for _ in 0..rounds {
                            let _p = sem.acquire().await;
                            yield_once().await;
                        }
                    }
                });
                assert_eq!(sem.available_permits(), 4);
                ns / rounds as f64
            }),
            peer("tokio Semaphore + LocalSet", move || {
                let sem = Rc::new(tokio::sync::Semaphore::new(4));
                let ns = tokio_spawn_run(TASKS, |_| {
                    let sem = sem.clone();
                    async move {
                        for _ in 0..rounds {
                            let _p = sem.acquire().await.expect("open");
                            yield_once().await;
                        }
                    }
                });
                assert_eq!(sem.available_permits(), 4);
                ns / rounds as f64
            }),
        ],
    );
}
