//! A slow web request that does not freeze the interface, and one that does.
//!
//! Part 1: a "page" loads data from a slow server. Each attempt gets a
//! `timeout`; a timed-out attempt is retried. Meanwhile a ticker task
//! redraws a spinner every 50 ms. The timestamps show the spinner turning
//! *while* the request waits: waiting with `.await` gives the thread back.
//!
//! Part 2: the same page, but the request is written with a blocking call
//! (`std::thread::sleep` standing in for a synchronous HTTP client). The
//! spinner stops, the timeout cannot even fire, and the executor's watchdog
//! names the task that held the thread.
//!
//! Part 3: the fix, `spawn_blocking`: the blocking call moves to a helper
//! thread and the spinner turns again.
//!
//! ```text
//! cargo run --example web_request
//! ```
//!
//! Real time, short durations: it runs in about two seconds. (The timings
//! printed vary a little from run to run; what they show does not.)

use async_primer::executor::{Diagnostic, Executor};
use async_primer::time::{interval, sleep, timeout};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

const TICK: Duration = Duration::from_millis(50);
const ATTEMPT_LIMIT: Duration = Duration::from_millis(200);

/// The simulated server: slow for the first two attempts, then quick.
fn server_delay(attempt: u32) -> Duration {
    match attempt {
        1 | 2 => Duration::from_millis(400),
        _ => Duration::from_millis(120),
    }
}

fn ms(start: Instant) -> String {
    // Rounded to 10 ms so the output reads easily.
    format!("{:>5} ms", start.elapsed().as_millis() / 10 * 10)
}

/// Starts the spinner; returns how many times it turned.
fn spinner(start: Instant, log: bool) -> Rc<Cell<u32>> {
    let turns = Rc::new(Cell::new(0));
    let counter = turns.clone();
    drop(async_primer::executor::spawn_named("spinner", async move {
        let mut ticks = interval(TICK);
        loop {
            ticks.tick().await;
            counter.set(counter.get() + 1);
            if log && counter.get() % 4 == 0 {
                println!(
                    "{} spinner: still responsive ({} turns)",
                    ms(start),
                    counter.get()
                );
            }
        }
    }));
    turns
}

async fn fetch_async(attempt: u32) -> String {
    sleep(server_delay(attempt)).await; // waiting gives the thread back
    format!("profile data (attempt {attempt})")
}

fn part1() {
    println!("== Part 1: an async request with timeout and retry ==");
    let start = Instant::now();
    let ex = Executor::new();
    ex.block_on(async {
        let turns = spinner(start, true);
        let mut attempt = 1;
        let data = loop {
            println!("{} request: attempt {attempt}", ms(start));
            let before = turns.get();
            match timeout(ATTEMPT_LIMIT, fetch_async(attempt)).await {
                Ok(data) => break data,
                Err(elapsed) => {
                    let during = turns.get() - before;
                    println!(
                        "{} request: {elapsed}; the spinner turned {during} times meanwhile",
                        ms(start)
                    );
                    assert!(during > 0, "the spinner ran while the request waited");
                    attempt += 1;
                }
            }
        };
        println!("{} request: got {data}", ms(start));
        assert_eq!(attempt, 3);
    });
}

fn part2() {
    println!("\n== Part 2: the same request written with a blocking call ==");
    let start = Instant::now();
    let culprits = Rc::new(RefCell::new(Vec::new()));
    let seen = culprits.clone();
    let ex = Executor::builder()
        .watchdog(Duration::from_millis(100))
        .on_diagnostic(move |d| {
            println!("{} {d}", ms(start));
            if let Diagnostic::SlowPoll { task, .. } = d {
                seen.borrow_mut().push(task.to_string());
            }
        })
        .build();
    ex.block_on(async {
        let turns = spinner(start, true);
        sleep(TICK * 2).await; // let the spinner start
        let before = turns.get();
        println!("{} request: attempt 1 (blocking)", ms(start));
        let request = async_primer::executor::spawn_named("request", async {
            std::thread::sleep(server_delay(1)); // blocks the whole thread
            "profile data (blocking)".to_string()
        });
        // The timeout cannot fire: its timer needs the thread the request holds.
        let data = timeout(ATTEMPT_LIMIT, request).await;
        let during = turns.get() - before;
        // The blocking call finished before the timeout could even run.
        let data = data.expect("the timer never got a turn").unwrap();
        println!(
            "{} request: got {data}; the spinner turned {during} times meanwhile",
            ms(start)
        );
    });
    assert!(
        culprits.borrow().iter().any(|t| t.contains("'request'")),
        "the watchdog named the blocking task"
    );
}

fn part3() {
    println!("\n== Part 3: the fix: spawn_blocking ==");
    let start = Instant::now();
    let ex = Executor::new();
    ex.block_on(async {
        let turns = spinner(start, false);
        let before = turns.get();
        println!("{} request: attempt 1 (on a helper thread)", ms(start));
        let request = async_primer::spawn_blocking(|| {
            std::thread::sleep(server_delay(3)); // blocks only the helper thread
            "profile data (via spawn_blocking)".to_string()
        });
        let data = request.await.unwrap();
        let during = turns.get() - before;
        println!(
            "{} request: got {data}; the spinner turned {during} times meanwhile",
            ms(start)
        );
        assert!(during > 0, "the spinner kept turning");
    });
}

fn main() {
    part1();
    part2();
    part3();
}
