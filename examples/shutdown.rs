//! Shutdown: a server-like program that stops cleanly on a signal.
//!
//! A listener accepts pretend connections as they arrive and gives each one
//! a handler task in a `JoinSet` and a child of the server's
//! `CancellationToken`. At 2.6 s a "signal" (a timer standing in for
//! Ctrl-C) cancels the token:
//!
//! 1. the listener stops accepting;
//! 2. every handler finishes the request it is serving, says goodbye and
//!    returns (they check the token between requests);
//! 3. the server waits for them, but only for a grace period of 1 s; a
//!    handler still busy then (connection 4, stuck in a long upload that
//!    never looks at the token) is aborted: its future is dropped, which
//!    still runs its destructor, so its socket is closed too.
//!
//! It runs under virtual time with a fixed seed, so the output, with its
//! timestamps, is the same on every run (run it twice and compare).
//!
//!     cargo run --example shutdown
//!
//! See guide chapter 9 (`async_primer::guide::ch09_cancellation`).

use std::pin::pin;
use std::time::{Duration, Instant};

use async_primer::cancel::{CancellationToken, JoinSet};
use async_primer::executor::Executor;
use async_primer::future::{Either, select};
use async_primer::time::{now, sleep, sleep_until, timeout};

const MS: Duration = Duration::from_millis(1);

/// Connections as they arrive: (at, id, requests). A request takes
/// `300 + 50 * id` ms; connection 4 instead uploads for 10 s, deaf to the
/// token. Connection 6 comes after the signal and is never accepted.
const ARRIVALS: [(u32, u32, u32); 6] = [
    (200, 1, 3),
    (500, 2, 10),
    (900, 3, 2),
    (1400, 4, 1),
    (2000, 5, 5),
    (3000, 6, 2),
];
const SIGNAL_AT: Duration = Duration::from_millis(2600);
const GRACE: Duration = Duration::from_secs(1);

/// `[  1.250s]`: virtual time since the start.
fn stamp(start: Instant) -> String {
    format!("[{:>7.3}s]", (now() - start).as_secs_f64())
}

/// Stands for the connection's socket: closed when dropped, however the
/// handler ends (returning, or aborted).
struct Socket {
    id: u32,
    start: Instant,
}

impl Drop for Socket {
    fn drop(&mut self) {
        println!("{} conn {}: socket closed", stamp(self.start), self.id);
    }
}

/// Serves one connection; returns its id and how many requests it served.
async fn handle(id: u32, requests: u32, token: CancellationToken, start: Instant) -> (u32, u32) {
    let _socket = Socket { id, start };
    if id == 4 {
        println!("{} conn 4: uploading a large file (10 s)", stamp(start));
        sleep(Duration::from_secs(10)).await; // never checks the token
        return (id, 1);
    }
    for served in 0..requests {
        // The safe point: between two requests, never inside one.
        if token.is_cancelled() {
            println!(
                "{} conn {id}: server shutting down, goodbye after {served} requests",
                stamp(start)
            );
            return (id, served);
        }
        sleep(MS * (300 + 50 * id)).await;
        println!("{} conn {id}: served request {}", stamp(start), served + 1);
    }
    println!("{} conn {id}: client hung up", stamp(start));
    (id, requests)
}

/// What woke the listener.
enum Event {
    Arrival,
    Signal,
    Finished(String),
}

fn main() {
    let ex = Executor::builder().virtual_time().seed(7).build();
    ex.block_on(async {
        let start = now();
        println!("{} server: listening", stamp(start));
        let shutdown = CancellationToken::new();

        // The "signal": in a real server, a Ctrl-C handler.
        let signal = shutdown.clone();
        let signal_task = async_primer::spawn(async move {
            sleep_until(start + SIGNAL_AT).await;
            println!("{} signal: SIGTERM received", stamp(start));
            signal.cancel();
        });
        drop(signal_task); // detached: it runs on its own

        let mut conns = JoinSet::new();
        let mut arrivals = ARRIVALS.iter();
        let mut next = arrivals.next();
        while let Some(&(at, id, requests)) = next {
            // Wait for whichever comes first. Every loser is dropped at the
            // end of this block and made anew next turn, which is fine:
            // each is cancel-safe (`sleep_until` has an absolute deadline,
            // `cancelled` and `join_next` lose nothing).
            let event = {
                let arrival = pin!(sleep_until(start + MS * at));
                let stop = pin!(shutdown.cancelled());
                let reap = pin!(async {
                    match conns.join_next().await {
                        Some(result) => result,
                        None => std::future::pending().await, // none to reap
                    }
                });
                match select(select(arrival, stop), reap).await {
                    Either::Left((Either::Left(_), _)) => Event::Arrival,
                    Either::Left((Either::Right(_), _)) => Event::Signal,
                    Either::Right((result, _)) => Event::Finished(report(result)),
                }
            };
            match event {
                Event::Arrival => {
                    println!("{} server: accepted conn {id}", stamp(start));
                    let token = shutdown.child_token();
                    conns.spawn(handle(id, requests, token, start));
                    next = arrivals.next();
                }
                Event::Signal => break,
                Event::Finished(line) => println!("{} server: {line}", stamp(start)),
            }
        }
        println!(
            "{} server: no longer accepting; waiting up to {} s for {} connections",
            stamp(start),
            GRACE.as_secs(),
            conns.len()
        );
        let drained = timeout(GRACE, async {
            while let Some(result) = conns.join_next().await {
                println!("{} server: {}", stamp(start), report(result));
            }
        })
        .await;
        if drained.is_err() {
            println!(
                "{} server: grace period over, aborting {} connection(s)",
                stamp(start),
                conns.len()
            );
            conns.abort_all();
            while let Some(result) = conns.join_next().await {
                println!("{} server: {}", stamp(start), report(result));
            }
        }
        println!("{} server: stopped", stamp(start));
    });
}

fn report(result: Result<(u32, u32), async_primer::executor::JoinError>) -> String {
    match result {
        Ok((id, served)) => format!("conn {id} finished after {served} request(s)"),
        Err(e) if e.is_aborted() => "a connection was aborted".to_string(),
        Err(e) => format!("a connection failed: {e}"),
    }
}
