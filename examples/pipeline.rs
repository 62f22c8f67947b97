//! A stream pipeline with back-pressure you can see.
//!
//! A crawler's producer wants to queue 12 pages to fetch, all at once. They
//! go through a bounded channel (room for 2) into a pipeline:
//!
//! ```text
//!   producer --mpsc::bounded(2)--> rx.map(fetch).buffer_unordered(3).throttle(150 ms) --> report
//! ```
//!
//! * `buffer_unordered(3)` fetches at most 3 pages at a time; results come
//!   out in the order they finish;
//! * `throttle(150 ms)` hands at most one result per 150 ms to the report
//!   (a rate limit, say for a slow database);
//! * nothing reads ahead without bound, so the slowest stage sets the pace
//!   of every stage before it, all the way back to the producer, whose
//!   `send(..).await` waits for room. The timestamps show it: the producer
//!   is done queueing long after it started, and never more than
//!   2 (channel) + 3 (in flight) pages have left it and not been reported.
//!
//! Watch the "done" lines too: a fetch whose timer fired at 353 ms is only
//! *noticed* at 426 ms. A future inside `buffer_unordered` runs only while
//! the stream is polled, and `throttle` does not poll the stage before it
//! while it waits: back-pressure pauses the work in flight as well (the
//! surprise behind `futures` issue #2387). To keep fetches running while
//! the consumer is slow, make them tasks: `.map(|p| spawn(fetch(p)))`
//! gives a stream of `JoinHandle`s, which run whether polled or not.
//!
//! It runs under virtual time with a seeded schedule (the fetch times come
//! from the seed too): the output is the same on every run.
//!
//! ```text
//! cargo run --example pipeline          # seed 42
//! cargo run --example pipeline -- 7     # another seed, another (fixed) story
//! ```
//!
//! See guide chapter 10 (`async_primer::guide::ch10_streams`).

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use async_primer::channel::{TrySendError, mpsc};
use async_primer::executor::Executor;
use async_primer::stream::StreamExt;
use async_primer::time::{now, sleep};

const PAGES: u32 = 12;
const CHANNEL: usize = 2;
const IN_FLIGHT: usize = 3;
const RATE: Duration = Duration::from_millis(150);

/// A small deterministic generator (an LCG): fetch times from the seed.
fn fetch_times(seed: u64) -> Vec<u64> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..PAGES)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            50 + (x >> 33) % 400 // 50..450 ms
        })
        .collect()
}

fn main() {
    let seed: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(42);
    let times = fetch_times(seed);
    println!("seed {seed}: fetch times (ms) {times:?}");
    println!(
        "channel room {CHANNEL}, {IN_FLIGHT} fetches at a time, one report per {} ms\n",
        RATE.as_millis()
    );

    let ex = Executor::builder().virtual_time().seed(seed).build();
    ex.block_on(async move {
        let start = now();
        let t = move || format!("{:>5} ms", (now() - start).as_millis());
        let (tx, rx) = mpsc::bounded::<u32>(CHANNEL);

        // The producer: wants to queue every page right away.
        let producer = async_primer::spawn(async move {
            for page in 1..=PAGES {
                match tx.try_send(page) {
                    Ok(()) => println!("{}  producer: queued page {page}", t()),
                    Err(TrySendError::Full(page)) => {
                        println!(
                            "{}  producer: channel full, waiting to queue page {page}",
                            t()
                        );
                        tx.send(page).await.expect("the pipeline is listening");
                        println!("{}  producer: queued page {page} (after waiting)", t());
                    }
                    Err(TrySendError::Closed(_)) => unreachable!("the pipeline is listening"),
                }
            }
            println!("{}  producer: all {PAGES} pages queued", t());
        });

        // The pipeline: the receiver is a stream.
        let fetching = Rc::new(Cell::new(0usize));
        let most = Rc::new(Cell::new(0usize));
        let (f, m) = (fetching.clone(), most.clone());
        let mut results = rx
            .map(move |page| {
                let (f, m) = (f.clone(), m.clone());
                let ms = times[page as usize - 1];
                async move {
                    f.set(f.get() + 1);
                    m.set(m.get().max(f.get()));
                    println!(
                        "{}    fetch: page {page} started ({} in flight)",
                        t(),
                        f.get()
                    );
                    let due = (now() - start).as_millis() + u128::from(ms);
                    sleep(Duration::from_millis(ms)).await;
                    f.set(f.get() - 1);
                    println!(
                        "{}    fetch: page {page} done (took {ms} ms, due at {due} ms)",
                        t()
                    );
                    (page, ms)
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .throttle(RATE);

        let mut reported = 0;
        while let Some((page, ms)) = results.next().await {
            reported += 1;
            println!("{}      report #{reported}: page {page} ({ms} ms)", t());
        }
        producer.await.expect("the producer finished");
        println!(
            "\n{}  done: {reported} pages reported; at most {} fetches ran at once",
            t(),
            most.get()
        );
        assert_eq!(reported, PAGES as usize);
        assert!(most.get() <= IN_FLIGHT);
    });
}
