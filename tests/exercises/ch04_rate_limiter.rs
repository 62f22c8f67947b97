//! Exercise 4.2 (docs/ch04-executor.md): a rate limiter: at most `per`
//! acquisitions in any `period`; the others wait their turn.

use async_primer::say;
use async_primer::testing::run_recorded;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

/// What the exercise asks for.
pub trait RateLimiter: 'static {
    fn new(per: usize, period: Duration) -> Self;
    fn acquire(&self) -> impl Future<Output = ()>;
}

/// The skeleton test from the guide, over any rate limiter.
pub fn check<L: RateLimiter>() {
    for seed in [0, 1, 2, 3] {
        let t = run_recorded(seed, || async {
            let limiter = Rc::new(L::new(2, Duration::from_secs(1)));
            let mut requests = Vec::new();
            for i in 0..5 {
                let limiter = limiter.clone();
                requests.push(async_primer::spawn(async move {
                    limiter.acquire().await;
                    say!("request {i}");
                }));
            }
            for r in requests {
                r.await.unwrap();
            }
        });
        let mut times: Vec<Duration> = t.lines().iter().map(|l| l.elapsed()).collect();
        times.sort();
        let s = Duration::from_secs;
        assert_eq!(times, [s(0), s(0), s(1), s(1), s(2)], "seed {seed}:\n{t}");
    }
}

mod reference {
    use async_primer::time::{now, sleep_until};
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::future::Future;
    use std::time::{Duration, Instant};

    /// Remembers when the last `per` acquisitions happened.
    pub struct Limiter {
        per: usize,
        period: Duration,
        recent: RefCell<VecDeque<Instant>>,
    }

    impl super::RateLimiter for Limiter {
        fn new(per: usize, period: Duration) -> Limiter {
            Limiter {
                per,
                period,
                recent: RefCell::new(VecDeque::new()),
            }
        }

        fn acquire(&self) -> impl Future<Output = ()> {
            async move {
                loop {
                    let wait_until = {
                        let mut recent = self.recent.borrow_mut();
                        while recent.front().is_some_and(|&t| now() - t >= self.period) {
                            recent.pop_front();
                        }
                        if recent.len() < self.per {
                            recent.push_back(now());
                            return;
                        }
                        recent[0] + self.period
                    };
                    sleep_until(wait_until).await;
                }
            }
        }
    }
}

mod empty {
    use std::future::Future;
    use std::time::Duration;

    /// The empty answer: never waits.
    pub struct Limiter;

    impl super::RateLimiter for Limiter {
        fn new(_per: usize, _period: Duration) -> Limiter {
            Limiter
        }

        fn acquire(&self) -> impl Future<Output = ()> {
            async {}
        }
    }
}

#[test]
fn rate_limiter_reference_passes() {
    check::<reference::Limiter>();
}

#[test]
fn rate_limiter_that_never_waits_fails() {
    crate::assert_fails("4.2 rate limiter", check::<empty::Limiter>);
}
