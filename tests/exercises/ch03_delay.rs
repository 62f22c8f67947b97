//! Exercise 3.1 (docs/ch03-futures.md): a hand-written `Delay` future,
//! ready after a duration, timed by a thread that wakes the stored waker.

use async_primer::testing::{WakeCounts, counting_waker};
use async_primer::{assert_pending, assert_ready};
use std::future::Future;
use std::time::Duration;

/// What the exercise asks for: `Delay::new(duration)`, a future of `()`.
pub trait DelayFuture: Future<Output = ()> + Unpin {
    fn new(duration: Duration) -> Self;
}

/// The skeleton test from the guide, over any `Delay`.
pub fn check<Delay: DelayFuture>() {
    let (waker, counts) = counting_waker();
    let mut delay = Delay::new(Duration::from_millis(20));
    assert_pending!(delay, &waker);
    assert!(
        counts.alive() >= 2,
        "Pending without keeping the waker: {counts}"
    );
    wait_until_woken(&counts);
    assert_ready!(delay, &waker);
    assert_eq!(counts.woken(), 1, "woken exactly once: {counts}");
}

/// Waits (at most 5 s of real time) for the first wake-up.
fn wait_until_woken(counts: &WakeCounts) {
    for _ in 0..500 {
        if counts.woken() > 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("never woken: {counts}");
}

mod reference {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};
    use std::time::Duration;

    #[derive(Default)]
    struct State {
        done: bool,
        waker: Option<Waker>,
    }

    pub struct Delay {
        duration: Duration,
        state: Option<Arc<Mutex<State>>>,
    }

    impl super::DelayFuture for Delay {
        fn new(duration: Duration) -> Delay {
            Delay {
                duration,
                state: None,
            }
        }
    }

    impl Future for Delay {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            let duration = self.duration;
            // Lazy: the timer thread starts at the first poll, not in `new`.
            let state = self.state.get_or_insert_with(|| {
                let state = Arc::new(Mutex::new(State::default()));
                let timer = state.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(duration);
                    let waker = {
                        let mut s = timer.lock().unwrap();
                        s.done = true;
                        s.waker.take()
                    };
                    if let Some(waker) = waker {
                        waker.wake(); // outside the lock
                    }
                });
                state
            });
            let mut s = state.lock().unwrap();
            if s.done {
                return Poll::Ready(());
            }
            // Store the waker under the same lock the timer takes: no lost wake-up.
            match &s.waker {
                Some(old) if old.will_wake(cx.waker()) => {}
                _ => s.waker = Some(cx.waker().clone()),
            }
            Poll::Pending
        }
    }
}

mod empty {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::{Duration, Instant};

    /// The naive answer: checks the clock when polled, keeps no waker.
    pub struct Delay(Instant);

    impl super::DelayFuture for Delay {
        fn new(duration: Duration) -> Delay {
            Delay(Instant::now() + duration)
        }
    }

    impl Future for Delay {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
            match Instant::now() >= self.0 {
                true => Poll::Ready(()),
                false => Poll::Pending,
            }
        }
    }
}

#[test]
fn delay_reference_passes() {
    check::<reference::Delay>();
}

#[test]
fn delay_without_a_waker_fails() {
    crate::assert_fails("3.1 Delay", check::<empty::Delay>);
}
