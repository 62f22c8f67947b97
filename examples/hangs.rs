//! The hangs students write most often, and what the executor says about
//! each. Run it with `cargo run --example hangs` (about five seconds).
//!
//! Each scenario runs on its own thread, with the watchdog at 300 ms (the
//! default is one second in debug builds). Its reports are printed as they
//! come; then the scenario is let go (another thread holds a way out, which
//! is also why none of them ends in a false `deadlock:`).

use async_primer::channel::{mpsc, oneshot};
use async_primer::executor::{Executor, spawn_named};
use async_primer::future::select;
use std::sync::mpsc as std_mpsc;
use std::thread;
use std::time::Duration;

fn main() {
    println!("1. Two tasks, each waiting for the other's message first:");
    scenario("stall:", |escape| async move {
        let (to_alice, alice_rx) = oneshot::<()>();
        let (to_bob, bob_rx) = oneshot::<()>();
        let alice = spawn_named("alice", async move {
            let _ = alice_rx.await; // waits for bob...
            let _ = to_bob.send(());
        });
        let bob = spawn_named("bob", async move {
            let _ = bob_rx.await; // ...who waits for alice
            let _ = to_alice.send(());
        });
        let both = async_primer::future::join(alice, bob);
        let _ = select(Box::pin(both), escape).await;
    });

    println!("\n2. A ring of three tasks on full bounded channels:");
    scenario("stall:", |escape| async move {
        let (a_tx, mut a_rx) = mpsc::bounded::<u32>(1);
        let (b_tx, mut b_rx) = mpsc::bounded::<u32>(1);
        let (c_tx, mut c_rx) = mpsc::bounded::<u32>(1);
        a_tx.try_send(0).unwrap();
        async fn relay(rx: &mut mpsc::Receiver<u32>, tx: mpsc::Sender<u32>) {
            while let Some(token) = rx.recv().await {
                let _ = tx.send(token + 1).await; // two out for one in:
                let _ = tx.send(token + 1).await; // the ring fills up
            }
        }
        let ring = [
            spawn_named("first", async move { relay(&mut a_rx, b_tx).await }),
            spawn_named("second", async move { relay(&mut b_rx, c_tx).await }),
            spawn_named("third", async move { relay(&mut c_rx, a_tx).await }),
        ];
        let all = async_primer::future::join_all(ring);
        let _ = select(Box::pin(all), escape).await;
    });

    println!("\n3. A blocking call inside a task (std::thread::sleep):");
    scenario("held the thread", |_escape| async move {
        let sleeper = spawn_named("sleeper", async {
            std::thread::sleep(Duration::from_millis(900)); // the bug
        });
        let _ = sleeper.await;
    });

    println!("\n4. block_on's future that returns Pending without keeping its waker:");
    std::panic::set_hook(Box::new(|info| {
        if let Some(at) = info.location() {
            println!("   the panic points at the line that called block_on: {at}");
        }
    }));
    let ex = Executor::builder().on_diagnostic(|_| {}).build();
    let lost = std::future::poll_fn(|_| std::task::Poll::<()>::Pending);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ex.block_on(lost)));
    if let Err(payload) = caught {
        let message = payload.downcast::<String>().map(|s| *s).unwrap_or_default();
        println!("   panic: {message}");
    }
}

/// Runs `program` on a thread with a 300 ms watchdog, prints its reports
/// until one contains `until`, then lets it go.
fn scenario<F, Fut>(until: &'static str, program: F)
where
    F: FnOnce(oneshot::Receiver<()>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let (reports_tx, reports) = std_mpsc::channel::<String>();
    let (escape_tx, escape_rx) = oneshot::<()>();
    let blocked = reports_tx.clone();
    let runner = thread::spawn(move || {
        let ex = Executor::builder()
            .watchdog(Duration::from_millis(300))
            .on_diagnostic(move |d| {
                let _ = reports_tx.send(d.to_string());
            })
            .on_blocked_poll(move |d| {
                let _ = blocked.send(d.to_string());
            })
            .build();
        ex.block_on(program(escape_rx));
    });
    while let Ok(report) = reports.recv_timeout(Duration::from_secs(10)) {
        println!("   {}", report.replace('\n', "\n   "));
        if report.contains(until) {
            break;
        }
    }
    let _ = escape_tx.send(());
    runner.join().expect("the scenario ended cleanly");
}
