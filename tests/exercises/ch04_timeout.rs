//! Exercise 4.1 (docs/ch04-executor.md): `timeout(d, fut)`: the output of
//! `fut`, or `Err(TimedOut)` once `d` has passed, whichever comes first.

use async_primer::say;
use async_primer::testing::run_recorded;
use async_primer::time::sleep;
use std::future::Future;
use std::time::Duration;

#[derive(Debug, PartialEq)]
pub struct TimedOut;

/// What the exercise asks for (a trait only so the test can take any answer).
pub trait Timeout {
    fn timeout<F: Future>(d: Duration, fut: F)
    -> impl Future<Output = Result<F::Output, TimedOut>>;
}

/// The skeleton test from the guide, over any `timeout`.
pub fn check<T: Timeout>() {
    let t = run_recorded(0, || async {
        let slow = T::timeout(Duration::from_secs(1), async {
            sleep(Duration::from_secs(2)).await;
            "slow"
        });
        say!("{:?}", slow.await);
        let fast = T::timeout(Duration::from_secs(1), async {
            sleep(Duration::from_millis(500)).await;
            "fast"
        });
        say!("{:?}", fast.await);
    });
    let lines: Vec<String> = t.lines().iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "[1s] block_on's future: Err(TimedOut)",
            "[1.5s] block_on's future: Ok(\"fast\")",
        ],
        "\n{t}"
    );
}

mod reference {
    use super::TimedOut;
    use async_primer::future::{Either, select};
    use async_primer::time::sleep;
    use std::future::Future;
    use std::pin::pin;
    use std::time::Duration;

    pub struct Answer;

    impl super::Timeout for Answer {
        fn timeout<F: Future>(
            d: Duration,
            fut: F,
        ) -> impl Future<Output = Result<F::Output, TimedOut>> {
            async move {
                match select(pin!(fut), pin!(sleep(d))).await {
                    Either::Left((output, _)) => Ok(output),
                    Either::Right(((), _)) => Err(TimedOut),
                }
            }
        }
    }
}

mod empty {
    use super::TimedOut;
    use std::future::Future;
    use std::time::Duration;

    /// The naive answer: never times out.
    pub struct Answer;

    impl super::Timeout for Answer {
        fn timeout<F: Future>(
            _d: Duration,
            fut: F,
        ) -> impl Future<Output = Result<F::Output, TimedOut>> {
            async move { Ok(fut.await) }
        }
    }
}

#[test]
fn timeout_reference_passes() {
    check::<reference::Answer>();
}

#[test]
fn timeout_that_never_fires_fails() {
    crate::assert_fails("4.1 timeout", check::<empty::Answer>);
}
