//! The tour: one small program written five ways.
//!
//! The program loads a page made of three parts, `/home`, `/news` and
//! `/weather`, from a simulated server, combines them, and copes with one
//! failure (the weather service is down). It is written
//!
//! 0. as three tasks, to show what "asynchronous" means (guide chapter 0),
//! 1. with callbacks (first nested, "callback hell", then concurrent; ch. 1),
//! 2. with promises (a chain, then `Promise::all_settled`; ch. 2),
//! 3. with futures and combinators (`and_then`, `join3`, `select`; lazy,
//!    and cancelled by dropping; ch. 3),
//! 5. with async/await (awaits in a row, then `join3`; ch. 5),
//!
//! and each style loads the page twice: one request after another
//! (sequential) and all three at once (concurrent). Every section runs on
//! its own executor with virtual time, a seed and recording on, and prints
//! the executor's timeline of both runs (one lane per task; the legend is
//! under the first one), so the output is the same on every run and the
//! timings are exact.
//!
//! Run it with `cargo run --example tour`.

use async_primer::channel::oneshot;
use async_primer::executor::{Executor, spawn_named};
use async_primer::future::{Either, FutureExt, join3, lazy, ready, select};
use async_primer::promise::{Promise, PromiseError};
use async_primer::time::{now, sleep};
use std::cell::{Cell, RefCell};
use std::future::Future;
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
    drop(spawn_named(url, async move {
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
// 3. Futures: lazy values, built with combinators, run only when polled.
// ---------------------------------------------------------------------------

/// How many requests the futures of section 3 started, and how many got
/// their answer.
#[derive(Default)]
struct Requests {
    started: Cell<u32>,
    answered: Cell<u32>,
}

/// `fetch` as combinators instead of an `async fn`: count the start, sleep,
/// respond. Making it runs none of this; the first poll starts the request.
fn fetch_future(
    url: &'static str,
    requests: &Rc<Requests>,
) -> impl Future<Output = Result<Part, FetchError>> + use<> {
    let (started, answered) = (requests.clone(), requests.clone());
    lazy(move |_| started.started.set(started.started.get() + 1))
        .then(move |()| sleep(latency(url)))
        .map(move |()| {
            answered.answered.set(answered.answered.get() + 1);
            respond(url)
        })
}

/// One after another: `and_then` makes the next future only once the
/// previous one succeeded (an error would skip the rest).
fn page_future_chain(requests: &Rc<Requests>) -> impl Future<Output = Result<String, FetchError>> {
    let requests = requests.clone();
    fetch_future("/home", &requests).and_then(move |home| {
        fetch_future("/news", &requests).and_then(move |news| {
            fetch_future("/weather", &requests)
                .then(move |weather| ready(Ok(combine(home, news, or_placeholder(weather)))))
        })
    })
}

/// All at once: `join3` polls the three futures inside one task.
fn page_future_join(requests: &Rc<Requests>) -> impl Future<Output = Result<String, FetchError>> {
    let [home, news, weather] = ["/home", "/news", "/weather"].map(|u| fetch_future(u, requests));
    join3(home, news, weather)
        .map(|(home, news, weather)| Ok(combine(home?, news?, or_placeholder(weather))))
}

/// `select` waits for the first of two and hands the other one back,
/// unfinished; dropping it cancels it. Returns when the winner arrived.
async fn first_of_home_and_news(requests: &Rc<Requests>) -> u128 {
    let start = now();
    let home = fetch_future("/home", requests).boxed_local();
    let news = fetch_future("/news", requests).boxed_local();
    let Either::Right((Ok(_news), home)) = select(home, news).await else {
        unreachable!("/news (200 ms) beats /home (300 ms)")
    };
    let won = ms(start);
    drop(home); // cancelled: its timer is gone and it will never respond
    won
}

// ---------------------------------------------------------------------------
// 5. async/await: the same steps, written as if they were sequential code.
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
// Running the sections: each on its own recording executor.
// ---------------------------------------------------------------------------

/// The page every style must produce.
const PAGE: &str = "<home content> <news content> <weather: 503 weather service unavailable>";

/// Runs one section on a fresh executor (virtual time, seed 1, recording
/// on) and returns its result and the executor's timeline of it.
fn section<T>(program: impl Future<Output = T>) -> (T, String) {
    let ex = Executor::builder().virtual_time().seed(1).record().build();
    let out = ex.block_on(program);
    (out, ex.recording().timeline())
}

/// Prints a timeline: the legend (its last lines, after the blank one)
/// only the first time, to keep the tour short.
fn show(timeline: &str, legend: &mut bool) {
    let lanes = timeline.split("\n\n").next().unwrap_or(timeline);
    println!("{lanes}");
    if !*legend {
        *legend = true;
        if let Some((_, key)) = timeline.split_once("\n\n") {
            print!("{key}");
        }
    }
}

/// Loads the page with `sequential` and then with `concurrent`, checks it,
/// and returns how long each took.
async fn both<S, C>(sequential: S, concurrent: C) -> (u128, u128)
where
    S: Future<Output = Result<String, FetchError>>,
    C: Future<Output = Result<String, FetchError>>,
{
    let start = now();
    assert_eq!(sequential.await.expect("the page loads"), PAGE);
    let seq = ms(start);
    let start = now();
    assert_eq!(concurrent.await.expect("the page loads"), PAGE);
    (seq, ms(start))
}

/// A callback-style page loader, turned into a future by a oneshot channel.
async fn via_callback(load: fn(Box<dyn FnOnce(String)>)) -> Result<String, FetchError> {
    let (tx, rx) = oneshot();
    load(Box::new(move |page| {
        let _ = tx.send(page);
    }));
    Ok(rx.await.expect("the callback delivers the page"))
}

/// Section 0: three requests at once. Its recording is also the guide's
/// picture of the tour (`--svg FILE`, chapter 4).
fn section_zero() -> async_primer::trace::Recording {
    let ex = Executor::builder().virtual_time().seed(1).record().build();
    ex.block_on(async {
        let start = now();
        let handles = ["/home", "/news", "/weather"]
            .map(|url| spawn_named(url, async move { drop(fetch(url).await) }));
        for h in handles {
            h.await.expect("the request task does not panic");
        }
        assert_eq!(ms(start), 300, "the slowest request, not the sum");
    });
    ex.recording()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, path] = args.as_slice() {
        if flag == "--svg" {
            std::fs::write(path, section_zero().svg()).expect("could not write the SVG");
            println!("wrote {path}");
            return;
        }
    }
    let mut timings: Vec<(&str, u128, u128)> = Vec::new();
    let mut legend = false;

    println!("The page, in every style:\n  {PAGE}");

    println!("\n== 0. What asynchronous means ==");
    println!("Three requests start together; each finishes when it is ready:");
    show(&section_zero().timeline(), &mut legend);
    println!("Nobody waited in line: it took 300 ms, the slowest request, not the sum.");

    println!("\n== 1. Callbacks: nested (in a row), then counting answers (at once) ==");
    let ((seq, conc), timeline) = section(both(
        via_callback(page_with_nested_callbacks),
        via_callback(page_with_concurrent_callbacks),
    ));
    show(&timeline, &mut legend);
    timings.push(("callbacks", seq, conc));

    println!("\n== 2. Promises: a then_promise chain, then Promise::all_settled ==");
    // Each promise is made inside an async block: a promise starts its work
    // the moment it is made, and the second must not start with the first.
    let ((seq, conc), timeline) = section(both(async { page_with_promise_chain().await }, async {
        page_with_promise_all().await
    }));
    show(&timeline, &mut legend);
    println!("(lane 2 is the promises' courier task: it brings reactions settled");
    println!(" elsewhere back to this thread, and lives as long as the executor)");
    timings.push(("promises", seq, conc));

    println!("\n== 3. Futures: an and_then chain, then join3, then select ==");
    let requests = &Rc::new(Requests::default());
    let ((seq, conc, won), timeline) = section(async {
        let chain = page_future_chain(requests);
        let joined = page_future_join(requests);
        println!(
            "  made two futures: {} requests started (futures are lazy)",
            requests.started.get()
        );
        let (seq, conc) = both(chain, joined).await;
        println!(
            "  polled them:      {} requests started",
            requests.started.get()
        );
        let won = first_of_home_and_news(requests).await;
        let answered = requests.answered.get();
        sleep(Duration::from_millis(200)).await; // past when /home would have answered
        assert_eq!(
            requests.answered.get(),
            answered,
            "the dropped /home never answers"
        );
        assert_eq!((requests.started.get(), answered), (8, 7));
        (seq, conc, won)
    });
    println!("  select(/home, /news): /news won after {won} ms; /home, handed back");
    println!("  unfinished, was dropped, which cancelled it: it never answered");
    show(&timeline, &mut legend);
    println!("(one lane: combinators poll their futures inside one task, no spawn;");
    println!(" each # is a poll after a timer, all in main)");
    timings.push(("futures", seq, conc));

    println!("\n== 5. async/await: .await in a row, then join3 ==");
    let ((seq, conc), timeline) = section(both(page_sequential(), page_concurrent()));
    show(&timeline, &mut legend);
    println!("(the same picture as futures: the compiler wrote the combinators)");
    timings.push(("async/await", seq, conc));

    println!("\n== Summary (virtual time, exact) ==");
    println!(
        "  {:<12} {:>10} {:>11}",
        "style", "sequential", "concurrent"
    );
    for (style, seq, conc) in &timings {
        println!("  {style:<12} {seq:>8}ms {conc:>9}ms");
        // The point of the whole tour, checked: waiting together costs the
        // slowest request (300 ms); waiting in line costs the sum (600 ms).
        assert_eq!((*seq, *conc), (600, 300), "{style}");
    }
    println!("\nNext: the guide (`cargo doc --open`, module `guide`) and the other examples.");
}

#[cfg(test)]
mod tests {
    /// The guide's picture of the tour (docs/img/tour.svg, chapter 4) is
    /// section 0's recording. If this fails, regenerate it:
    /// `cargo run --example tour -- --svg docs/img/tour.svg`
    #[test]
    fn guide_picture_is_up_to_date() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/img/tour.svg");
        let checked_in = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            checked_in == super::section_zero().svg(),
            "docs/img/tour.svg is stale: run `cargo run --example tour -- --svg docs/img/tour.svg`"
        );
    }
}
