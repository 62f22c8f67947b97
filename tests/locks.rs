//! Behaviour tests for `async_primer::locks` (src/locks/): FIFO order,
//! guards across `.await`, cancellation, misuse messages, threads, and one
//! run under tokio. The interleavings are in `tests/loom_locks.rs`, the
//! sequential model in `tests/locks_prop.rs`.

mod common;
use common::{LIMIT, within};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};

use async_primer::locks::{Barrier, Mutex, Notify, Semaphore};
use async_primer::{block_on, spawn, yield_now};

/// Counts wakes.
#[derive(Default)]
struct Counter(AtomicUsize);
impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}
fn counting() -> (Arc<Counter>, Waker) {
    let c = Arc::new(Counter::default());
    (c.clone(), Waker::from(c))
}
fn wakes(c: &Counter) -> usize {
    c.0.load(SeqCst)
}
fn poll<F: Future + Unpin>(f: &mut F, w: &Waker) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(w))
}

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn the_types_are_send_and_sync() {
    assert_send_sync::<Mutex<Vec<u8>>>();
    assert_send_sync::<async_primer::locks::MutexGuard<'static, u8>>();
    assert_send_sync::<Semaphore>();
    assert_send_sync::<async_primer::locks::OwnedSemaphorePermit>();
    assert_send_sync::<Notify>();
    assert_send_sync::<Barrier>();
    // The futures too, so tasks holding them can move between threads.
    assert_send_sync::<async_primer::locks::Lock<'static, u8>>();
    assert_send_sync::<async_primer::locks::Acquire<'static>>();
    assert_send_sync::<async_primer::locks::AcquireOwned>();
    assert_send_sync::<async_primer::locks::Notified<'static>>();
    assert_send_sync::<async_primer::locks::BarrierWait<'static>>();
}

// ---------------------------------------------------------------- Mutex

#[test]
fn mutex_serves_waiters_in_arrival_order() {
    within(LIMIT, || {
        let order = block_on(async {
            let m = Arc::new(Mutex::new(Vec::new()));
            let held = m.lock().await;
            let mut tasks = Vec::new();
            for i in 0..5 {
                let m = m.clone();
                tasks.push(spawn(async move { m.lock().await.push(i) }));
                yield_now().await; // task i runs and joins the line
            }
            drop(held);
            for t in tasks {
                t.await.unwrap();
            }
            m.lock().await.clone()
        });
        assert_eq!(order, [0, 1, 2, 3, 4]);
    })
}

#[test]
fn mutex_guard_held_across_await_keeps_others_out() {
    within(LIMIT, || {
        const TASKS: usize = 8;
        let total = block_on(async {
            let m = Arc::new(Mutex::new(0usize));
            let inside = Rc::new(RefCell::new(0));
            let mut tasks = Vec::new();
            for _ in 0..TASKS {
                let (m, inside) = (m.clone(), inside.clone());
                tasks.push(spawn(async move {
                    for _ in 0..3 {
                        let mut g = m.lock().await;
                        *inside.borrow_mut() += 1;
                        assert_eq!(*inside.borrow(), 1, "two tasks inside at once");
                        let read = *g;
                        yield_now().await; // everybody else runs here
                        *g = read + 1; // a read-modify-write across the await
                        *inside.borrow_mut() -= 1;
                    }
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            m.try_lock().map(|g| *g)
        });
        assert_eq!(total, Some(TASKS * 3));
    })
}

#[test]
fn try_lock_does_not_jump_the_line() {
    let m = Mutex::new(());
    let (count, w) = counting();
    let held = m.try_lock().unwrap();
    let mut waiting = m.lock();
    assert!(poll(&mut waiting, &w).is_pending());
    drop(held); // handed to `waiting`, not freed
    assert_eq!(wakes(&count), 1);
    assert!(
        m.try_lock().is_none(),
        "try_lock took a lock handed to a waiter"
    );
    let g = match poll(&mut waiting, &w) {
        Poll::Ready(g) => g,
        Poll::Pending => panic!("the hand-over was lost"),
    };
    drop(g);
    assert!(m.try_lock().is_some());
}

#[test]
fn mutex_waiter_cancelled_while_handed_the_lock_passes_it_on() {
    let m = Mutex::new(0);
    let (c1, w1) = counting();
    let (c2, w2) = counting();
    let held = m.try_lock().unwrap();
    let mut first = m.lock();
    let mut second = m.lock();
    assert!(poll(&mut first, &w1).is_pending());
    assert!(poll(&mut second, &w2).is_pending());
    drop(held); // hands the lock to `first`
    assert_eq!((wakes(&c1), wakes(&c2)), (1, 0));
    drop(first); // cancelled before it ran: passes the lock to `second`
    assert_eq!((wakes(&c1), wakes(&c2)), (1, 1));
    let Poll::Ready(mut g) = poll(&mut second, &w2) else {
        panic!("second was woken but did not get the lock");
    };
    *g += 1;
    drop(g);
    assert_eq!(*m.try_lock().unwrap(), 1);
}

#[test]
fn mutex_waiter_cancelled_while_waiting_leaves_the_line() {
    let m = Mutex::new(());
    let (c1, w1) = counting();
    let (c2, w2) = counting();
    let held = m.try_lock().unwrap();
    let mut first = m.lock();
    let mut second = m.lock();
    assert!(poll(&mut first, &w1).is_pending());
    assert!(poll(&mut second, &w2).is_pending());
    drop(first); // still waiting: leaves, wakes nobody
    assert_eq!((wakes(&c1), wakes(&c2)), (0, 0));
    drop(held);
    assert_eq!((wakes(&c1), wakes(&c2)), (0, 1));
    assert!(poll(&mut second, &w2).is_ready());
}

#[test]
fn a_panic_while_holding_the_guard_unlocks_without_poisoning() {
    within(LIMIT, || {
        block_on(async {
            let m = Arc::new(Mutex::new(1));
            let task = spawn({
                let m = m.clone();
                async move {
                    let mut g = m.lock().await;
                    *g = 2;
                    yield_now().await;
                    panic!("boom inside the critical section");
                }
            });
            assert!(task.await.is_err());
            let mut g = m.lock().await; // not stuck, not poisoned
            assert_eq!(*g, 2);
            *g = 3;
        });
    })
}

#[test]
fn mutex_get_mut_into_inner_and_debug() {
    let mut m = Mutex::new(vec![1]);
    m.get_mut().push(2);
    assert_eq!(format!("{m:?}"), "Mutex { data: [1, 2] }");
    let g = m.try_lock().unwrap();
    assert_eq!(format!("{g:?}"), "[1, 2]");
    assert_eq!(format!("{m:?}"), "Mutex { data: <locked> }");
    drop(g);
    assert_eq!(m.into_inner(), [1, 2]);
}

#[test]
fn mutex_across_threads_counts_every_increment() {
    within(LIMIT, || {
        let threads = if cfg!(miri) { 2 } else { 4 };
        let rounds = if cfg!(miri) { 20 } else { 2_000 };
        let m = Arc::new(Mutex::new(0usize));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let m = m.clone();
                std::thread::spawn(move || {
                    futures::executor::block_on(async {
                        for _ in 0..rounds {
                            let mut g = m.lock().await;
                            *g += 1;
                        }
                    })
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(*m.try_lock().unwrap(), threads * rounds);
    })
}

// ------------------------------------------------------------ Semaphore

#[test]
fn a_big_acquire_at_the_head_is_not_starved() {
    let sem = Semaphore::new(0);
    let (cb, wb) = counting();
    let (cs, ws) = counting();
    let mut big = sem.acquire_many(3);
    let mut small = sem.acquire();
    assert!(poll(&mut big, &wb).is_pending());
    assert!(poll(&mut small, &ws).is_pending());
    sem.add_permits(1);
    // One would fit `small`, but it waits behind `big`.
    assert_eq!((wakes(&cb), wakes(&cs)), (0, 0));
    assert!(sem.try_acquire().is_none(), "try_acquire jumped the line");
    assert_eq!(sem.available_permits(), 1);
    sem.add_permits(2);
    assert_eq!((wakes(&cb), wakes(&cs)), (1, 0));
    let Poll::Ready(permit) = poll(&mut big, &wb) else {
        panic!("big was served")
    };
    assert_eq!(permit.num_permits(), 3);
    assert!(poll(&mut small, &ws).is_pending());
    drop(permit); // three back: `small` takes one, two stay free
    assert_eq!(wakes(&cs), 1);
    let Poll::Ready(_small) = poll(&mut small, &ws) else {
        panic!("small was served")
    };
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn cancelling_the_blocking_head_lets_the_next_ones_through() {
    let sem = Semaphore::new(1);
    let (cs, ws) = counting();
    let mut big = sem.acquire_many(2);
    let mut small = sem.acquire();
    assert!(poll(&mut big, Waker::noop()).is_pending());
    assert!(poll(&mut small, &ws).is_pending());
    drop(big); // the head leaves: one permit is free and fits `small`
    assert_eq!(wakes(&cs), 1);
    let Poll::Ready(_small) = poll(&mut small, &ws) else {
        panic!("small was served")
    };
    assert_eq!(sem.available_permits(), 0);
}

#[test]
fn a_served_acquire_that_is_dropped_gives_its_permits_on() {
    let sem = Semaphore::new(0);
    let (c2, w2) = counting();
    let mut first = sem.acquire_many(2);
    let mut second = sem.acquire_many(2);
    assert!(poll(&mut first, Waker::noop()).is_pending());
    assert!(poll(&mut second, &w2).is_pending());
    sem.add_permits(2); // served to `first`
    assert_eq!(sem.available_permits(), 0);
    drop(first); // never used: on to `second`
    assert_eq!(wakes(&c2), 1);
    let Poll::Ready(p) = poll(&mut second, &w2) else {
        panic!("second was served")
    };
    drop(p);
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn semaphore_bounds_concurrency_on_the_executor() {
    within(LIMIT, || {
        let peak = block_on(async {
            let sem = Arc::new(Semaphore::new(3));
            let running = Rc::new(RefCell::new((0, 0)));
            let tasks: Vec<_> = (0..10)
                .map(|i| {
                    let (sem, running) = (sem.clone(), running.clone());
                    spawn(async move {
                        let _p = sem.acquire_many(1 + i % 2).await;
                        running.borrow_mut().0 += 1 + i % 2;
                        {
                            let mut r = running.borrow_mut();
                            r.1 = r.1.max(r.0);
                        }
                        yield_now().await;
                        running.borrow_mut().0 -= 1 + i % 2;
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            assert_eq!(sem.available_permits(), 3);
            running.borrow().1
        });
        assert!(peak <= 3, "{peak} permits in use at once");
    })
}

#[test]
fn owned_permits_move_into_tasks_and_forget_shrinks() {
    within(LIMIT, || {
        block_on(async {
            let sem = Arc::new(Semaphore::new(2));
            let p = sem.clone().acquire_owned().await;
            let q = sem.clone().acquire_many_owned(1).await;
            assert!(sem.clone().try_acquire_owned().is_none());
            spawn(async move { drop(p) }).await.unwrap();
            assert_eq!(sem.available_permits(), 1);
            q.forget();
            assert_eq!(sem.available_permits(), 1);
            sem.try_acquire().unwrap().forget();
            assert_eq!(sem.available_permits(), 0);
        });
    })
}

#[test]
#[should_panic(expected = "at most Semaphore::MAX_PERMITS")]
fn too_many_permits_at_creation_panics() {
    let _ = Semaphore::new(Semaphore::MAX_PERMITS + 1);
}

#[test]
#[should_panic(expected = "would pass MAX_PERMITS")]
fn add_permits_overflow_panics() {
    let sem = Semaphore::new(Semaphore::MAX_PERMITS);
    sem.add_permits(1);
}

#[test]
#[should_panic(expected = "can never be free")]
fn acquiring_more_than_can_exist_panics() {
    let sem = Semaphore::new(0);
    drop(sem.acquire_many(usize::MAX));
}

#[test]
#[should_panic(expected = "`Mutex::lock` polled after completion")]
fn polling_a_lock_after_completion_panics() {
    let m = Mutex::new(());
    let mut lock = m.lock();
    let _g = poll(&mut lock, Waker::noop());
    let _ = poll(&mut lock, Waker::noop());
}

#[test]
#[should_panic(expected = "`Semaphore::acquire` polled after completion")]
fn polling_an_acquire_after_completion_panics() {
    let sem = Semaphore::new(1);
    let mut acq = sem.acquire();
    let _p = poll(&mut acq, Waker::noop());
    let _ = poll(&mut acq, Waker::noop());
}

// --------------------------------------------------------------- Notify

#[test]
fn notify_one_before_anybody_waits_is_stored_once() {
    let n = Notify::new();
    n.notify_one();
    n.notify_one(); // still one permit, not two
    let mut a = n.notified();
    let mut b = n.notified();
    assert!(poll(&mut a, Waker::noop()).is_ready());
    assert!(poll(&mut b, Waker::noop()).is_pending());
}

#[test]
fn notify_one_wakes_the_longest_waiter_first() {
    let n = Notify::new();
    let (ca, wa) = counting();
    let (cb, wb) = counting();
    let mut a = n.notified();
    let mut b = n.notified();
    assert!(poll(&mut a, &wa).is_pending());
    assert!(poll(&mut b, &wb).is_pending());
    n.notify_one();
    assert_eq!((wakes(&ca), wakes(&cb)), (1, 0));
    assert!(poll(&mut b, &wb).is_pending());
    assert!(poll(&mut a, &wa).is_ready());
    n.notify_one();
    assert_eq!(wakes(&cb), 1);
    assert!(poll(&mut b, &wb).is_ready());
}

#[test]
fn notify_waiters_reaches_futures_created_before_it_only() {
    let n = Notify::new();
    let (ca, wa) = counting();
    let mut polled = n.notified();
    assert!(poll(&mut polled, &wa).is_pending());
    let mut unpolled = n.notified(); // created, never polled yet
    n.notify_waiters();
    let mut later = n.notified();
    assert_eq!(wakes(&ca), 1);
    assert!(poll(&mut polled, &wa).is_ready());
    assert!(poll(&mut unpolled, Waker::noop()).is_ready());
    assert!(
        poll(&mut later, Waker::noop()).is_pending(),
        "nothing stored"
    );
}

#[test]
fn a_chosen_notified_that_is_dropped_passes_the_notification_on() {
    let n = Notify::new();
    let (cb, wb) = counting();
    let mut a = n.notified();
    let mut b = n.notified();
    assert!(poll(&mut a, Waker::noop()).is_pending());
    assert!(poll(&mut b, &wb).is_pending());
    n.notify_one(); // chooses `a`
    drop(a); // which never runs: `b` gets it
    assert_eq!(wakes(&cb), 1);
    assert!(poll(&mut b, &wb).is_ready());
    // And with nobody left, a dropped chosen one leaves the permit.
    let mut c = n.notified();
    assert!(poll(&mut c, Waker::noop()).is_pending());
    n.notify_one();
    drop(c);
    assert!(poll(&mut n.notified(), Waker::noop()).is_ready());
}

#[test]
fn notify_wakes_a_task_on_the_executor() {
    within(LIMIT, || {
        let got = block_on(async {
            let n = Arc::new(Notify::new());
            let flag = Arc::new(AtomicUsize::new(0));
            let waiter = spawn({
                let (n, flag) = (n.clone(), flag.clone());
                async move {
                    while flag.load(SeqCst) == 0 {
                        let notified = n.notified(); // create, check, then await
                        if flag.load(SeqCst) != 0 {
                            break;
                        }
                        notified.await;
                    }
                    flag.load(SeqCst)
                }
            });
            yield_now().await;
            flag.store(7, SeqCst);
            n.notify_waiters();
            waiter.await.unwrap()
        });
        assert_eq!(got, 7);
    })
}

// -------------------------------------------------------------- Barrier

#[test]
fn barrier_releases_all_with_one_leader_per_round() {
    within(LIMIT, || {
        const N: usize = 4;
        let leaders = block_on(async {
            let b = Arc::new(Barrier::new(N));
            let log = Rc::new(RefCell::new(Vec::new()));
            let tasks: Vec<_> = (0..N)
                .map(|i| {
                    let (b, log) = (b.clone(), log.clone());
                    spawn(async move {
                        let mut leaders = 0;
                        for round in 0..3 {
                            log.borrow_mut().push((round, i));
                            leaders += b.wait().await.is_leader() as usize;
                            // Nobody gets here before everybody logged this round.
                            assert_eq!(log.borrow().iter().filter(|(r, _)| *r == round).count(), N);
                        }
                        leaders
                    })
                })
                .collect();
            let mut leaders = 0;
            for t in tasks {
                leaders += t.await.unwrap();
            }
            leaders
        });
        assert_eq!(leaders, 3, "one leader per round");
    })
}

#[test]
fn a_dropped_barrier_wait_takes_its_arrival_back() {
    within(LIMIT, || {
        let b = Barrier::new(2);
        let (c, w) = counting();
        let mut early = b.wait();
        assert!(poll(&mut early, Waker::noop()).is_pending());
        drop(early);
        let mut one = b.wait();
        assert!(
            poll(&mut one, &w).is_pending(),
            "the dropped one still counted"
        );
        let mut two = b.wait();
        let Poll::Ready(r) = poll(&mut two, Waker::noop()) else {
            panic!("the second arrival completes the round")
        };
        assert!(r.is_leader());
        assert_eq!(wakes(&c), 1);
        let Poll::Ready(r) = poll(&mut one, &w) else {
            panic!("released")
        };
        assert!(!r.is_leader());
    })
}

#[test]
fn barrier_of_zero_is_a_barrier_of_one() {
    within(LIMIT, || {
        let b = Barrier::new(0);
        assert!(block_on(b.wait()).is_leader());
        assert!(block_on(b.wait()).is_leader());
    })
}

#[test]
#[should_panic(expected = "`Barrier::wait` polled after completion")]
fn polling_a_barrier_wait_after_completion_panics() {
    within(LIMIT, || {
        let b = Barrier::new(1);
        let mut w = b.wait();
        let _ = poll(&mut w, Waker::noop());
        let _ = poll(&mut w, Waker::noop());
    })
}

// ---------------------------------------------------------------- tokio

/// The locks only use the `Waker` they are polled with, so they work on
/// tokio's multi-threaded runtime too, guards held across tokio's own
/// `.await`s and moved between worker threads.
#[cfg(not(miri))] // tokio's multi-threaded runtime is slow under Miri
#[test]
fn the_locks_work_under_tokio_multi_thread() {
    within(LIMIT, || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        rt.block_on(async {
            let m = Arc::new(Mutex::new(0usize));
            let sem = Arc::new(Semaphore::new(2));
            let notify = Arc::new(Notify::new());
            let barrier = Arc::new(Barrier::new(8));
            let mut tasks = Vec::new();
            for _ in 0..8 {
                let (m, sem, barrier) = (m.clone(), sem.clone(), barrier.clone());
                tasks.push(tokio::spawn(async move {
                    let _permit = sem.clone().acquire_owned().await;
                    let mut g = m.lock().await;
                    let read = *g;
                    tokio::task::yield_now().await; // guard held across tokio's await
                    *g = read + 1;
                    drop(g);
                    drop(_permit);
                    barrier.wait().await.is_leader() as usize
                }));
            }
            let waiter = tokio::spawn({
                let notify = notify.clone();
                async move { notify.notified().await }
            });
            notify.notify_one(); // stored if the waiter has not started yet
            waiter.await.unwrap();
            let mut leaders = 0;
            for t in tasks {
                leaders += t.await.unwrap();
            }
            assert_eq!(leaders, 1);
            assert_eq!(*m.lock().await, 8);
            assert_eq!(sem.available_permits(), 2);
        });
    })
}
