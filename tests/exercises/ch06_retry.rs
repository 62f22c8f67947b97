//! Exercise 6.1 (docs/ch06-errors.md): `retry(attempts, backoff, op)`:
//! call `op` until it succeeds, at most `attempts` times, sleeping
//! `backoff`, then twice that, and so on, between tries; give back the
//! last error if every try fails.

use async_primer::say;
use async_primer::testing::run_recorded;
use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

/// What the exercise asks for (a trait only so the test can take any answer).
pub trait Retry {
    fn retry<T, E, Fut: Future<Output = Result<T, E>>>(
        attempts: usize,
        backoff: Duration,
        op: impl FnMut() -> Fut,
    ) -> impl Future<Output = Result<T, E>>;
}

/// The skeleton test from the guide, over any `retry`.
pub fn check<R: Retry>() {
    let t = run_recorded(0, || async {
        let tries = Cell::new(0);
        let flaky = || {
            tries.set(tries.get() + 1);
            let n = tries.get();
            async move {
                say!("try {n}");
                if n < 3 {
                    Err(format!("failure {n}"))
                } else {
                    Ok(n)
                }
            }
        };
        say!("{:?}", R::retry(5, Duration::from_millis(100), flaky).await);
        tries.set(0);
        say!("{:?}", R::retry(2, Duration::from_millis(100), flaky).await);
    });
    let lines: Vec<String> = t
        .lines()
        .iter()
        .map(|l| format!("{:?} {}", l.elapsed(), l.text()))
        .collect();
    assert_eq!(
        lines,
        [
            "0ns try 1",
            "100ms try 2",
            "300ms try 3",
            "300ms Ok(3)",
            "300ms try 1",
            "400ms try 2",
            "400ms Err(\"failure 2\")",
        ],
        "\n{t}"
    );
}

mod reference {
    use async_primer::time::sleep;
    use std::future::Future;
    use std::time::Duration;

    pub struct Answer;

    impl super::Retry for Answer {
        fn retry<T, E, Fut: Future<Output = Result<T, E>>>(
            attempts: usize,
            backoff: Duration,
            mut op: impl FnMut() -> Fut,
        ) -> impl Future<Output = Result<T, E>> {
            async move {
                let mut wait = backoff;
                let mut tries_left = attempts.max(1);
                loop {
                    tries_left -= 1;
                    match op().await {
                        Ok(value) => return Ok(value),
                        Err(e) if tries_left == 0 => return Err(e),
                        Err(_) => {
                            sleep(wait).await;
                            wait *= 2;
                        }
                    }
                }
            }
        }
    }
}

mod empty {
    use std::future::Future;
    use std::time::Duration;

    /// The empty answer: one try.
    pub struct Answer;

    impl super::Retry for Answer {
        fn retry<T, E, Fut: Future<Output = Result<T, E>>>(
            _attempts: usize,
            _backoff: Duration,
            mut op: impl FnMut() -> Fut,
        ) -> impl Future<Output = Result<T, E>> {
            async move { op().await }
        }
    }
}

#[test]
fn retry_reference_passes() {
    check::<reference::Answer>();
}

#[test]
fn retry_once_fails() {
    crate::assert_fails("6.1 retry", check::<empty::Answer>);
}
