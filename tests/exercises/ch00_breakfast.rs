//! Exercise 0.1 (docs/ch00-asynchronous.md): make breakfast asynchronously.
//! Coffee takes 5 s, toast 3 s; start both at once and serve when both are
//! ready, saying each step with `say!`.

use async_primer::testing::{Transcript, run_recorded};
use std::time::Duration;

/// The skeleton test from the guide, over any `breakfast` program.
pub fn check(breakfast: impl AsyncFn()) {
    for seed in [0, 1, 2] {
        let t = run_recorded(seed, &breakfast);
        let at = |text: &str| at(&t, text);
        assert_eq!(at("coffee started"), Duration::ZERO, "{t}");
        assert_eq!(at("toast started"), Duration::ZERO, "{t}");
        assert_eq!(at("toast ready"), Duration::from_secs(3), "{t}");
        assert_eq!(at("coffee ready"), Duration::from_secs(5), "{t}");
        assert_eq!(at("breakfast served"), Duration::from_secs(5), "{t}");
        assert_eq!(t.texts().last(), Some(&"breakfast served"), "{t}");
    }
}

/// When `text` was said (panics, showing the transcript, if it never was).
fn at(t: &Transcript, text: &str) -> Duration {
    match t.lines().iter().find(|line| line.text() == text) {
        Some(line) => line.elapsed(),
        None => panic!("nobody said {text:?}; the transcript:\n{t}"),
    }
}

mod reference {
    use async_primer::future::join;
    use async_primer::say;
    use async_primer::time::sleep;
    use std::time::Duration;

    async fn coffee() {
        say!("coffee started");
        sleep(Duration::from_secs(5)).await;
        say!("coffee ready");
    }

    async fn toast() {
        say!("toast started");
        sleep(Duration::from_secs(3)).await;
        say!("toast ready");
    }

    pub async fn breakfast() {
        join(coffee(), toast()).await;
        say!("breakfast served");
    }
}

mod empty {
    use async_primer::say;
    use async_primer::time::sleep;
    use std::time::Duration;

    /// The naive answer: one thing after the other (8 s, not 5).
    pub async fn breakfast() {
        say!("coffee started");
        sleep(Duration::from_secs(5)).await;
        say!("coffee ready");
        say!("toast started");
        sleep(Duration::from_secs(3)).await;
        say!("toast ready");
        say!("breakfast served");
    }
}

#[test]
fn breakfast_reference_passes() {
    check(reference::breakfast);
}

#[test]
fn breakfast_sequential_fails() {
    crate::assert_fails("0.1 breakfast", || check(empty::breakfast));
}
