//! Exercise 2.1 (docs/ch02-promises.md): `delay(d)`, a promise that
//! fulfils after `d`, and `Promise::all` over two of them.

use async_primer::promise::Promise;
use async_primer::say;
use async_primer::testing::run_recorded;
use std::time::Duration;

/// The skeleton test from the guide, over any `delay`.
pub fn check(delay: fn(Duration) -> Promise<()>) {
    let t = run_recorded(0, || async move {
        let p = delay(Duration::from_secs(1));
        say!("made");
        p.await.unwrap();
        say!("one second later");
        let both = Promise::all([delay(Duration::from_secs(2)), delay(Duration::from_secs(3))]);
        both.await.unwrap();
        say!("both");
    });
    let lines: Vec<String> = t.lines().iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "[0s] block_on's future: made",
            "[1s] block_on's future: one second later",
            "[4s] block_on's future: both",
        ],
        "\n{t}"
    );
}

mod reference {
    use async_primer::promise::Promise;
    use async_primer::time::sleep;
    use std::time::Duration;

    pub fn delay(d: Duration) -> Promise<()> {
        let (promise, resolver) = Promise::with_resolvers();
        let _task = async_primer::spawn(async move {
            sleep(d).await;
            resolver.resolve(());
        });
        promise
    }
}

mod empty {
    use async_primer::promise::Promise;
    use std::time::Duration;

    /// The empty answer: already fulfilled.
    pub fn delay(_d: Duration) -> Promise<()> {
        Promise::resolved(())
    }
}

#[test]
fn delay_promise_reference_passes() {
    check(reference::delay);
}

#[test]
fn delay_promise_already_resolved_fails() {
    crate::assert_fails("2.1 delay promise", || check(empty::delay));
}
