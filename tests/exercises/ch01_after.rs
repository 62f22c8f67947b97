//! Exercise 1.1 (docs/ch01-callbacks.md): `after(delay, callback)`, a timer
//! that calls back, like JavaScript's `setTimeout`; then three nested calls
//! of it (a small callback hell).

use async_primer::say;
use async_primer::testing::run_recorded;
use async_primer::time::sleep;
use std::time::Duration;

pub type After = fn(Duration, Box<dyn FnOnce()>);

/// The skeleton test from the guide, over any `after`.
pub fn check(after: After) {
    let t = run_recorded(0, || async move {
        after(Duration::from_millis(300), Box::new(|| say!("slow")));
        after(Duration::from_millis(100), Box::new(|| say!("fast")));
        after(
            Duration::from_millis(100),
            Box::new(move || after(Duration::from_millis(100), Box::new(|| say!("nested")))),
        );
        say!("registered");
        sleep(Duration::from_secs(1)).await; // keep the program alive
    });
    let lines: Vec<String> = t
        .lines()
        .iter()
        .map(|l| format!("{:?} {}", l.elapsed(), l.text()))
        .collect();
    assert_eq!(
        lines,
        ["0ns registered", "100ms fast", "200ms nested", "300ms slow"],
        "\n{t}"
    );
}

mod reference {
    use async_primer::time::sleep;
    use std::time::Duration;

    pub fn after(delay: Duration, callback: Box<dyn FnOnce()>) {
        // `Option::take` rather than calling `callback` directly: the
        // executor (src/executor/task.rs, `finish`) moves a finished future
        // out of its task, and Miri rejects that move when an upvar of the
        // future is a Box already consumed (freed). Reported to the lead;
        // once the executor drops finished futures in place, `callback()`
        // will do.
        let mut callback = Some(callback);
        let _task = async_primer::spawn(async move {
            sleep(delay).await;
            if let Some(callback) = callback.take() {
                callback();
            }
        });
    }
}

mod empty {
    use std::time::Duration;

    /// The naive answer: call back at once.
    pub fn after(_delay: Duration, callback: Box<dyn FnOnce()>) {
        callback();
    }
}

#[test]
fn after_reference_passes() {
    check(reference::after);
}

#[test]
fn after_immediate_fails() {
    crate::assert_fails("1.1 after", || check(empty::after));
}
