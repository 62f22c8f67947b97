//! The tour: one small program written four ways.
//!
//! The program loads a page made of three parts, `/home`, `/news` and
//! `/weather`, from a simulated server, combines them, and copes with one
//! failure (the weather service is down). It is written
//!
//! 0. as a timeline, to show what "asynchronous" means,
//! 1. with callbacks (first nested, "callback hell", then concurrent),
//! 2. with promises (a chain, then `Promise::all_settled`),
//! 3. with async/await (awaits in a row, then `join3`),
//!
//! and each style is timed twice: one request after another (sequential)
//! and all three at once (concurrent). The executor runs on virtual time, so
//! the timings are exact and the output is the same on every run.
//!
//! Run it with `cargo run --example tour`.

use async_primer::channel::oneshot;
use async_primer::executor::Executor;
use async_primer::future::join3;
use async_primer::promise::{Promise, PromiseError};
use async_primer::time::{now, sleep};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// The simulated server: each part takes its time; the weather service fails.
// ---------------------------------------------------------------------------

/// A loaded part of the page.
#[derive(Clone, Debug)]
struct Part(String);

/// Why a part could not be loaded.
#[derive(Clone, Debug)]
struct FetchError(String);

// Promises need a way to report their own faults (a dropped resolver, a
// panicking continuation) in our error type.
impl From<PromiseError> for FetchError {
    fn from(e: PromiseError) -> Self {
        FetchError(e.to_string())
    }
}

fn latency(url: &str) -> Duration {
    match url {
        "/home" => Duration::from_millis(300),
        "/news" => Duration::from_millis(200),
        _ => Duration::from_millis(100),
    }
}

fn respond(url: &str) -> Result<Part, FetchError> {
    match url {
        "/weather" => Err(FetchError("503 weather service unavailable".into())),
        _ => Ok(Part(format!("<{} content>", &url[1..]))),
    }
}

/// The one failure, handled the same way in every style: show a placeholder.
fn or_placeholder(part: Result<Part, FetchError>) -> Part {
    part.unwrap_or_else(|FetchError(why)| Part(format!("<weather: {why}>")))
}

fn combine(home: Part, news: Part, weather: Part) -> String {
    format!("{} {} {}", home.0, news.0, weather.0)
}

/// Milliseconds since `start` on the executor's clock.
fn ms(start: Instant) -> u128 {
    (now() - start).as_millis()
}

// ---------------------------------------------------------------------------
// 1. Callbacks: "call me back with the result". Error-first: the callback
//    receives a Result, like Node's `(err, value) => ..`.
// ---------------------------------------------------------------------------

fn fetch_cb(url: &'static str, callback: impl FnOnce(Result<Part, FetchError>) + 'static) {
    // The request runs as a task; when its time is up it calls us back.
    // Nobody awaits the task: its result travels through the callback, so
    // the JoinHandle is dropped, which detaches the task (it still runs).
    drop(async_primer::spawn(async move {
        sleep(latency(url)).await;
        callback(respond(url));
    }));
}

/// One request after another: each callback starts the next request. The
/// nesting grows with every step: this is "callback hell".
fn page_with_nested_callbacks(done: impl FnOnce(String) + 'static) {
    fetch_cb("/home", move |home| {
        fetch_cb("/news", move |news| {
            fetch_cb("/weather", move |weather| {
                // Errors must be handled at every level by hand; here two
                // levels just unwrap (they cannot fail in this simulation).
                done(combine(
                    home.unwrap(),
                    news.unwrap(),
                    or_placeholder(weather),
                ));
            })
        })
    });
}

/// All three at once: start every request, count the answers, and combine
/// when the last one arrives. The shared slots are the bookkeeping that
/// promises and futures will do for us later.
fn page_with_concurrent_callbacks(done: impl FnOnce(String) + 'static) {
    type Slots = [Option<Result<Part, FetchError>>; 3];
    let slots: Rc<RefCell<Slots>> = Rc::new(RefCell::new([None, None, None]));
    let done = Rc::new(RefCell::new(Some(done)));
    for (i, url) in ["/home", "/news", "/weather"].into_iter().enumerate() {
        let (slots, done) = (slots.clone(), done.clone());
        fetch_cb(url, move |result| {
            let mut s = slots.borrow_mut();
            s[i] = Some(result);
            if s.iter().all(Option::is_some) {
                let [home, news, weather] = std::mem::take(&mut *s).map(Option::unwrap);
                let done = done.borrow_mut().take().expect("called once");
                done(combine(
                    home.unwrap(),
                    news.unwrap(),
                    or_placeholder(weather),
                ));
            }
        });
    }
}

// ---------------------------------------------------------------------------
// 2. Promises: an eventual value you can pass around and chain.
// ---------------------------------------------------------------------------

fn fetch_promise(url: &'static str) -> Promise<Part, FetchError> {
    // `Promise::new` runs its closure at once, like JavaScript's: the request
    // starts now, whether or not anyone ever looks at the promise.
    Promise::new(move |resolver| {
        fetch_cb(url, move |result| resolver.settle(result));
    })
}

fn page_with_promise_chain() -> Promise<String, FetchError> {
    fetch_promise("/home").then_promise(|home| {
        fetch_promise("/news").then_promise(move |news| {
            fetch_promise("/weather")
                .handle(move |weather| Ok(combine(home, news, or_placeholder(weather))))
        })
    })
}

fn page_with_promise_all() -> Promise<String, FetchError> {
    let parts = ["/home", "/news", "/weather"].map(fetch_promise);
    Promise::all_settled(parts).and_then(|outcomes| {
        let [home, news, weather]: [Result<Part, FetchError>; 3] =
            outcomes.try_into().expect("three outcomes");
        Ok(combine(home?, news?, or_placeholder(weather)))
    })
}

// ---------------------------------------------------------------------------
// 3. async/await: the same steps, written as if they were sequential code.
// ---------------------------------------------------------------------------

async fn fetch(url: &'static str) -> Result<Part, FetchError> {
    sleep(latency(url)).await;
    respond(url)
}

async fn page_sequential() -> Result<String, FetchError> {
    let home = fetch("/home").await?; // `?` is the error handling
    let news = fetch("/news").await?;
    let weather = or_placeholder(fetch("/weather").await);
    Ok(combine(home, news, weather))
}

async fn page_concurrent() -> Result<String, FetchError> {
    // Futures are lazy: these three start only when `join3` polls them,
    // and then they wait at the same time.
    let (home, news, weather) = join3(fetch("/home"), fetch("/news"), fetch("/weather")).await;
    Ok(combine(home?, news?, or_placeholder(weather)))
}

// ---------------------------------------------------------------------------

fn main() {
    let ex = Executor::builder().virtual_time().build();
    let mut timings: Vec<(&str, u128, u128)> = Vec::new();

    println!("== 0. What asynchronous means ==");
    println!("Three requests start together; each finishes when it is ready.");
    ex.block_on(async {
        let start = now();
        let handles = ["/home", "/news", "/weather"].map(|url| {
            println!("  t={:>3}ms  {url:<9} starts", ms(start));
            async_primer::spawn(async move {
                let result = fetch(url).await;
                let how = if result.is_ok() { "arrives" } else { "fails" };
                println!("  t={:>3}ms  {url:<9} {how}", ms(start));
            })
        });
        for h in handles {
            h.await.expect("the request task does not panic");
        }
        println!("  Nobody waited in line: the total is the slowest request, not the sum.");
    });

    println!("\n== 1. Callbacks ==");
    let (seq, conc) = ex.block_on(async {
        let start = now();
        let (tx, rx) = oneshot();
        page_with_nested_callbacks(move |page| {
            let _ = tx.send(page);
        });
        let page = rx.await.expect("the callback delivers the page");
        let seq = ms(start);
        println!("  nested (one after another): {page}  [{seq} ms]");

        let start = now();
        let (tx, rx) = oneshot();
        page_with_concurrent_callbacks(move |page| {
            let _ = tx.send(page);
        });
        let page = rx.await.expect("the callback delivers the page");
        let conc = ms(start);
        println!("  concurrent (count answers): {page}  [{conc} ms]");
        (seq, conc)
    });
    timings.push(("callbacks", seq, conc));

    println!("\n== 2. Promises ==");
    let (seq, conc) = ex.block_on(async {
        let start = now();
        let page = page_with_promise_chain().await.expect("the page loads");
        let seq = ms(start);
        println!("  then_promise chain:         {page}  [{seq} ms]");

        let start = now();
        let page = page_with_promise_all().await.expect("the page loads");
        let conc = ms(start);
        println!("  Promise::all_settled:       {page}  [{conc} ms]");
        (seq, conc)
    });
    timings.push(("promises", seq, conc));

    println!("\n== 3. async/await ==");
    let (seq, conc) = ex.block_on(async {
        let start = now();
        let page = page_sequential().await.expect("the page loads");
        let seq = ms(start);
        println!("  .await in a row:            {page}  [{seq} ms]");

        let start = now();
        let page = page_concurrent().await.expect("the page loads");
        let conc = ms(start);
        println!("  join3:                      {page}  [{conc} ms]");
        (seq, conc)
    });
    timings.push(("async/await", seq, conc));

    println!("\n== Summary (virtual time, exact) ==");
    println!(
        "  {:<12} {:>10} {:>11}",
        "style", "sequential", "concurrent"
    );
    for (style, seq, conc) in &timings {
        println!("  {style:<12} {:>8}ms {:>9}ms", seq, conc);
        // The point of the whole tour, checked: waiting together costs the
        // slowest request (300 ms); waiting in line costs the sum (600 ms).
        assert_eq!((*seq, *conc), (600, 300), "{style}");
    }
    println!("\nNext: the guide (`cargo doc --open`, module `guide`) and the other examples.");
}
