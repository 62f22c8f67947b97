//! Tests for the time layer (issue 3): virtual time, deadline order,
//! timeout, interval's missed-tick policy, and an exact `now()`.

mod common;
use async_primer::executor::{Builder, Executor};
use async_primer::time::{interval, now, sleep, sleep_until, timeout};
use common::{LIMIT, within};
use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::{Duration, Instant};

fn virtual_ex() -> Executor {
    Builder::new().virtual_time().build()
}

const SEC: Duration = Duration::from_secs(1);

#[test]
fn virtual_time_finishes_long_sleeps_instantly_and_exactly() {
    within(LIMIT, || {
        let ex = virtual_ex();
        let real_start = Instant::now();
        let start = ex.now();
        let elapsed = ex.block_on(async {
            let t0 = now();
            sleep(SEC * 86_400 * 365).await; // a year
            now() - t0
        });
        assert_eq!(elapsed, SEC * 86_400 * 365);
        assert_eq!(ex.now() - start, SEC * 86_400 * 365);
        // Not a timing assertion: a real year certainly has not passed.
        assert!(real_start.elapsed() < SEC * 86_400);
    })
}

#[test]
fn now_advances_by_exactly_the_sum_of_the_sleeps() {
    within(LIMIT, || {
        let ex = virtual_ex();
        ex.block_on(async {
            let t0 = now();
            assert_eq!(now(), t0, "virtual time stands still while a task runs");
            let steps = [3u64, 250, 1, 1000, 7];
            for (i, ms) in steps.iter().enumerate() {
                sleep(Duration::from_millis(*ms)).await;
                let expected: u64 = steps[..=i].iter().sum();
                assert_eq!(now() - t0, Duration::from_millis(expected));
            }
        });
    })
}

#[test]
fn timers_fire_in_deadline_order_ties_in_registration_order() {
    within(LIMIT, || {
        let ex = virtual_ex();
        let log = Rc::new(RefCell::new(Vec::new()));
        let start = ex.now();
        for (name, secs) in [("c", 3), ("a", 1), ("b1", 2), ("b2", 2), ("zero", 0)] {
            let log = log.clone();
            drop(ex.spawn(async move {
                sleep(SEC * secs).await;
                log.borrow_mut().push((name, (now() - start).as_secs()));
            }));
        }
        ex.block_on(sleep_until_all_done(log.clone(), 5));
        assert_eq!(
            *log.borrow(),
            [("zero", 0), ("a", 1), ("b1", 2), ("b2", 2), ("c", 3)]
        );
    })
}

/// Waits (by polling every virtual second) until `log` has `n` entries.
async fn sleep_until_all_done(log: Rc<RefCell<Vec<(&'static str, u64)>>>, n: usize) {
    while log.borrow().len() < n {
        sleep(SEC).await;
    }
}

#[test]
fn timeout_ok_err_and_the_loser_is_dropped() {
    within(LIMIT, || {
        struct Flag(Rc<Cell<bool>>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.set(true);
            }
        }
        let ex = virtual_ex();
        let dropped = Rc::new(Cell::new(false));
        let d = Flag(dropped.clone());
        ex.block_on(async move {
            let t0 = now();
            assert_eq!(timeout(SEC, async { 5 }).await, Ok(5));
            assert_eq!(now(), t0, "the disarmed timer did not move the clock");
            let slow = async move {
                let _d = d;
                sleep(SEC * 10).await;
            };
            let err = timeout(SEC * 2, slow).await.unwrap_err();
            assert_eq!(err.to_string(), "deadline has elapsed");
            assert_eq!(now() - t0, SEC * 2);
        });
        assert!(dropped.get(), "the timed-out future was dropped");
    })
}

#[test]
fn a_value_ready_exactly_at_the_deadline_wins() {
    within(LIMIT, || {
        let ex = virtual_ex();
        ex.block_on(async {
            let r = timeout(SEC, sleep(SEC)).await;
            assert_eq!(r, Ok(()));
        });
    })
}

#[test]
fn a_dropped_sleep_is_disarmed() {
    within(LIMIT, || {
        let ex = virtual_ex();
        ex.block_on(async {
            let t0 = now();
            {
                // Register a one-hour timer, then drop it.
                let mut long = pin!(sleep(SEC * 3600));
                poll_fn(|cx| {
                    assert!(long.as_mut().poll(cx).is_pending());
                    Poll::Ready(())
                })
                .await;
            }
            sleep(SEC).await;
            assert_eq!(
                now() - t0,
                SEC,
                "the clock did not jump to the dropped timer"
            );
        });
    })
}

#[test]
fn interval_ticks_on_a_grid_and_skips_missed_ticks() {
    within(LIMIT, || {
        let ex = virtual_ex();
        ex.block_on(async {
            let t0 = now();
            let mut ticks = interval(SEC);
            let at = |i: Instant| i - t0;
            assert_eq!(at(ticks.tick().await), Duration::ZERO, "first tick at once");
            assert_eq!(at(ticks.tick().await), SEC);
            // The consumer is slow: 3.5 periods pass.
            sleep(Duration::from_millis(3500)).await;
            // The late tick (due at 2s) completes at once...
            assert_eq!(at(ticks.tick().await), SEC * 2);
            assert_eq!(now() - t0, Duration::from_millis(4500));
            // ...and 3s and 4s are skipped: the next is the grid point after now.
            assert_eq!(at(ticks.tick().await), SEC * 5);
            assert_eq!(now() - t0, SEC * 5);
            assert_eq!(at(ticks.tick().await), SEC * 6);
        });
    })
}

#[test]
fn sleep_until_a_past_instant_is_ready_at_once() {
    within(LIMIT, || {
        let ex = virtual_ex();
        ex.block_on(async {
            let t0 = now();
            sleep(SEC).await;
            let s = sleep_until(t0);
            assert!(s.is_elapsed());
            s.await;
            assert_eq!(now() - t0, SEC);
        });
    })
}

#[test]
fn real_time_sleep_waits_at_least_its_duration() {
    within(LIMIT, || {
        let ex = Executor::new();
        let start = Instant::now();
        ex.block_on(async { sleep(Duration::from_millis(5)).await });
        assert!(start.elapsed() >= Duration::from_millis(5));
        let late = async_primer::block_on(async {
            timeout(Duration::from_millis(1), std::future::pending::<()>()).await
        });
        assert!(late.is_err());
    })
}

#[test]
fn now_outside_an_executor_is_the_real_clock() {
    let before = Instant::now();
    let t = now();
    assert!(t >= before && t <= Instant::now());
}

#[test]
fn virtual_time_with_a_seed_prints_the_same_every_run() {
    within(LIMIT, || {
        let run = |seed| {
            let ex = Builder::new().virtual_time().seed(seed).build();
            let log = Rc::new(RefCell::new(Vec::new()));
            let start = ex.now();
            let n = if cfg!(miri) { 5 } else { 50 };
            for i in 0..n {
                let log = log.clone();
                drop(ex.spawn(async move {
                    for step in 0..3 {
                        sleep(Duration::from_millis((i * 7 + step * 13) % 20)).await;
                        log.borrow_mut()
                            .push(format!("{i}.{step}@{:?}", now() - start));
                    }
                }));
            }
            ex.block_on(async {
                while ex_tasks_pending(&log, n as usize * 3) {
                    sleep(SEC).await;
                }
            });
            log.take()
        };
        assert_eq!(run(3), run(3));
        assert_eq!(run(3).len(), if cfg!(miri) { 15 } else { 150 });
    })
}

fn ex_tasks_pending(log: &Rc<RefCell<Vec<String>>>, n: usize) -> bool {
    log.borrow().len() < n
}

#[test]
fn timers_wake_tasks_while_block_on_waits_on_a_join_handle() {
    within(LIMIT, || {
        let ex = virtual_ex();
        let out = ex.block_on(async {
            let t0 = now();
            let h = async_primer::spawn(async move {
                sleep(SEC * 5).await;
                now() - t0
            });
            h.await.unwrap()
        });
        assert_eq!(out, SEC * 5);
    })
}

#[test]
fn virtual_time_waits_for_a_running_blocking_job_before_jumping() {
    within(LIMIT, || {
        let ex = virtual_ex();
        let log = Rc::new(RefCell::new(Vec::new()));
        let (l1, l2) = (log.clone(), log.clone());
        ex.block_on(async move {
            let t0 = now();
            let sleeper = async_primer::spawn(async move {
                sleep(SEC * 3600).await;
                l1.borrow_mut().push("an hour passed");
            });
            let job = async_primer::spawn_blocking(|| {
                std::thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 10 }));
                "job done"
            });
            let done = job.await.unwrap();
            l2.borrow_mut().push(done);
            assert_eq!(now(), t0, "the clock did not jump while the job ran");
            sleeper.await.unwrap();
            assert_eq!(now() - t0, SEC * 3600);
        });
        assert_eq!(*log.borrow(), ["job done", "an hour passed"]);
    })
}
