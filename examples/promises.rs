//! Loading a web page with promises, then the four combinators with their
//! timing made visible.
//!
//! Every "network request" is a promise settled by a task after a delay.
//! It runs under virtual time: the delays are real-looking milliseconds,
//! the program finishes at once, and the output is the same on every run.
//!
//! ```text
//! cargo run --example promises
//! ```
//!
//! The JavaScript this mirrors:
//!
//! ```text
//! fetch("/index.html")
//!   .then(html => parse(html))
//!   .then(page => Promise.all(page.assets.map(fetch)))
//!   .then(assets => render(assets))
//!   .catch(err => showError(err))
//!   .finally(() => hideSpinner());
//! ```

use std::time::{Duration, Instant};

use async_primer::executor::Executor;
use async_primer::promise::{Promise, PromiseError};
use async_primer::time::{now, sleep};

/// A pretend network request: fulfils with `body` (or rejects, if `body`
/// starts with "!") after `ms` milliseconds.
fn fetch(url: &'static str, ms: u64, body: &'static str) -> Promise<String> {
    let (response, resolver) = Promise::with_resolvers();
    // Detached: the task settles the promise; nobody needs its JoinHandle.
    let _detached = async_primer::spawn(async move {
        sleep(Duration::from_millis(ms)).await;
        match body.strip_prefix('!') {
            Some(error) => resolver.reject(PromiseError::from(format!("{url}: {error}"))),
            None => resolver.resolve(body.to_string()),
        }
    });
    response
}

fn log(start: Instant, what: impl std::fmt::Display) {
    println!("[{:>4} ms] {what}", (now() - start).as_millis());
}

fn main() {
    let ex = Executor::builder().virtual_time().build();
    let start = ex.now();
    ex.block_on(async move {
        println!("== a page load as a promise chain");
        log(start, "spinner on; GET /index.html");
        let page = fetch("/index.html", 120, "<link style.css><img logo.png>")
            .then(move |html| {
                log(start, format!("parsed {} bytes of HTML", html.len()));
                vec!["style.css", "logo.png"]
            })
            .then_promise(move |assets| {
                log(start, format!("GET {} assets at once", assets.len()));
                Promise::all([
                    fetch("/style.css", 80, "body { }"),
                    fetch("/logo.png", 200, "PNG..."),
                ])
            })
            .then(move |assets| {
                log(start, format!("rendered with {} assets", assets.len()));
                "page shown"
            })
            .catch(move |e| {
                log(start, format!("error page: {e}"));
                Ok::<_, PromiseError>("error shown")
            })
            .finally(move || log(start, "spinner off"));
        assert_eq!(page.await, Ok("page shown"));

        println!("\n== all: every value, in input order, when the slowest arrives");
        let t = now();
        let all = Promise::all([
            fetch("a", 30, "A"),
            fetch("b", 10, "B"),
            fetch("c", 20, "C"),
        ]);
        let values = all.await.unwrap();
        log(
            start,
            format!("all -> {values:?} after {} ms", (now() - t).as_millis()),
        );
        assert_eq!(values, ["A", "B", "C"]);

        println!("\n== any: the first success; failures only matter if all fail");
        let t = now();
        let mirror = Promise::any([
            fetch("mirror-1", 10, "!down"),
            fetch("mirror-2", 40, "data from mirror-2"),
            fetch("mirror-3", 60, "data from mirror-3"),
        ]);
        let data = mirror.await.unwrap();
        log(
            start,
            format!("any -> {data:?} after {} ms", (now() - t).as_millis()),
        );

        println!("\n== race: the first to settle wins, success or not");
        let t = now();
        let timeout = Promise::new(|resolver| {
            let _detached = async_primer::spawn(async move {
                sleep(Duration::from_millis(50)).await;
                resolver.reject(PromiseError::from("timed out after 50 ms"));
            });
        });
        let slow = Promise::race([fetch("/slow", 300, "finally!"), timeout]);
        let outcome = slow.await;
        log(
            start,
            format!("race -> {outcome:?} after {} ms", (now() - t).as_millis()),
        );
        assert!(outcome.is_err());

        println!("\n== all_settled: every outcome, never rejects");
        let t = now();
        let report = Promise::all_settled([
            fetch("/grades", 25, "A, B+"),
            fetch("/forum", 15, "!500 internal error"),
            fetch("/inbox", 35, "3 new messages"),
        ]);
        for (i, outcome) in report.await.unwrap().iter().enumerate() {
            log(start, format!("  #{i}: {outcome:?}"));
        }
        log(
            start,
            format!("all_settled done after {} ms", (now() - t).as_millis()),
        );
    });
}
