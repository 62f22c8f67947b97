//! Exercise 5.1 (docs/ch05-async-await.md): a countdown latch: `wait()`
//! finishes once `count_down()` has been called `n` times.

use async_primer::say;
use async_primer::testing::run_recorded;
use async_primer::time::sleep;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

/// What the exercise asks for.
pub trait Latch: 'static {
    fn new(n: usize) -> Self;
    fn count_down(&self);
    fn wait(&self) -> impl Future<Output = ()>;
}

/// The skeleton test from the guide, over any latch.
pub fn check<L: Latch>() {
    for seed in [0, 1, 2] {
        let t = run_recorded(seed, || async {
            let latch = Rc::new(L::new(3));
            let mut tasks = Vec::new();
            for secs in 1..=3 {
                let latch = latch.clone();
                tasks.push(async_primer::spawn(async move {
                    sleep(Duration::from_secs(secs)).await;
                    latch.count_down();
                }));
            }
            for waiter in 0..2 {
                let latch = latch.clone();
                tasks.push(async_primer::spawn(async move {
                    latch.wait().await;
                    say!("waiter {waiter} done");
                }));
            }
            for task in tasks {
                task.await.unwrap();
            }
            latch.wait().await; // already open: at once
            say!("open");
        });
        let mut lines: Vec<String> = t
            .lines()
            .iter()
            .map(|l| format!("{:?} {}", l.elapsed(), l.text()))
            .collect();
        lines.sort();
        assert_eq!(
            lines,
            ["3s open", "3s waiter 0 done", "3s waiter 1 done"],
            "seed {seed}:\n{t}"
        );
    }
}

mod reference {
    use std::cell::{Cell, RefCell};
    use std::future::Future;
    use std::task::{Poll, Waker};

    pub struct Latch {
        left: Cell<usize>,
        waiters: RefCell<Vec<Waker>>,
    }

    impl super::Latch for Latch {
        fn new(n: usize) -> Latch {
            Latch {
                left: Cell::new(n),
                waiters: RefCell::new(Vec::new()),
            }
        }

        fn count_down(&self) {
            match self.left.get() {
                0 => {}
                1 => {
                    self.left.set(0);
                    // Take the list first: a waker may run code that waits again.
                    let waiters = self.waiters.take();
                    waiters.into_iter().for_each(Waker::wake);
                }
                n => self.left.set(n - 1),
            }
        }

        fn wait(&self) -> impl Future<Output = ()> {
            std::future::poll_fn(|cx| {
                if self.left.get() == 0 {
                    return Poll::Ready(());
                }
                let mut waiters = self.waiters.borrow_mut();
                if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                    waiters.push(cx.waker().clone());
                }
                Poll::Pending
            })
        }
    }
}

mod empty {
    use std::future::Future;

    /// The empty answer: never waits.
    pub struct Latch;

    impl super::Latch for Latch {
        fn new(_n: usize) -> Latch {
            Latch
        }
        fn count_down(&self) {}
        fn wait(&self) -> impl Future<Output = ()> {
            async {}
        }
    }
}

#[test]
fn latch_reference_passes() {
    check::<reference::Latch>();
}

#[test]
fn latch_that_never_waits_fails() {
    crate::assert_fails("5.1 latch", check::<empty::Latch>);
}
