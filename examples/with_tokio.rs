//! The crate's promises and emitter inside a tokio program, next to tokio's
//! own tasks, without blocking tokio.
//!
//! A small "order desk": tokio runs a heartbeat task (its own timer) and
//! an order feed (a tokio task sending orders over a tokio channel). The
//! order desk itself is written with this crate: a `LocalEventEmitter`
//! announces each order to listeners sharing `Rc<RefCell<..>>` state, and
//! each order is priced through a promise chain (`then`, `catch`,
//! `finally`, `Promise::all`) with a `sleep` standing in for a slow
//! lookup. All of that needs this crate's executor; `ex.run(..)` drives it
//! as a future inside tokio's `LocalSet`, so the heartbeat keeps beating
//! while the desk waits.
//!
//! ```text
//! cargo run --example with_tokio
//! ```
//!
//! Real time, short durations: it runs in about a tenth of a second.

use async_primer::callback::LocalEventEmitter;
use async_primer::executor::Executor;
use async_primer::promise::{Promise, PromiseError};
use async_primer::time::sleep;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
struct Order {
    id: u32,
    item: &'static str,
    quantity: u32,
}

/// A slow price lookup, as a promise: resolves after a (this crate's) sleep.
fn price_of(item: &'static str) -> Promise<u32> {
    let (price, resolver) = Promise::with_resolvers();
    // Detached (the JoinHandle is dropped): the promise is the result.
    drop(async_primer::spawn(async move {
        sleep(Duration::from_millis(30)).await;
        match item {
            "tea" => resolver.resolve(3),
            "cake" => resolver.resolve(5),
            _ => resolver.reject(PromiseError::from("unknown item")),
        }
    }));
    price
}

fn main() {
    let start = Instant::now();
    let ms = move || start.elapsed().as_millis();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let local = tokio::task::LocalSet::new();
    let beats = Rc::new(Cell::new(0u32));

    let total = local.block_on(&rt, async {
        // tokio's own task: a heartbeat every 20 ms, on tokio's timer.
        let b = beats.clone();
        let heartbeat = tokio::task::spawn_local(async move {
            let mut every = tokio::time::interval(Duration::from_millis(20));
            loop {
                every.tick().await;
                b.set(b.get() + 1);
            }
        });

        // tokio's own task: the order feed, over a tokio channel.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Order>(8);
        tokio::spawn(async move {
            let orders = [("tea", 2), ("cake", 1), ("scones", 4), ("tea", 1)];
            for (id, (item, quantity)) in (1..).zip(orders) {
                tokio::time::sleep(Duration::from_millis(15)).await;
                let _ = tx.send(Order { id, item, quantity }).await;
            }
        });

        // The order desk: this crate's emitter and promises, driven by
        // `ex.run(..)`; tokio's receiver is awaited inside it too.
        let ex = Executor::new();
        let total = ex
            .run(async {
                let desk = LocalEventEmitter::<Order>::new();
                let log = Rc::new(RefCell::new(Vec::new())); // !Send state
                let l = log.clone();
                desk.on(move |order| l.borrow_mut().push(format!("#{} {}", order.id, order.item)));

                let mut bills = Vec::new();
                while let Some(order) = rx.recv().await {
                    println!(
                        "{:>4} ms  order #{}: {} x{}",
                        ms(),
                        order.id,
                        order.item,
                        order.quantity
                    );
                    desk.emit(order.clone());
                    let bill = price_of(order.item)
                        .then(move |price| price * order.quantity)
                        .catch(move |err| {
                            println!("{:>4} ms  order #{} refused: {err}", ms(), order.id);
                            Ok::<_, PromiseError>(0)
                        })
                        .finally(move || println!("{:>4} ms  order #{} priced", ms(), order.id));
                    bills.push(bill);
                }
                let total: u32 = Promise::all(bills)
                    .await
                    .expect("every bill settles")
                    .iter()
                    .sum();
                println!("{:>4} ms  desk log: {}", ms(), log.borrow().join(", "));
                total
            })
            .await;
        heartbeat.abort();
        total
    });

    println!(
        "{:>4} ms  total {total}; tokio's heartbeat beat {} times meanwhile",
        ms(),
        beats.get()
    );
    assert_eq!(total, 2 * 3 + 5 + 3, "tea x2 + cake + tea, scones refused");
    assert!(beats.get() >= 3, "tokio kept running while the desk waited");
}
