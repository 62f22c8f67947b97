//! The `trace_yield_many` workload (issue 12): what recording costs. The
//! same yield loop as `yield_many` (100 tasks x 200 yields, ns per yield)
//! on this crate's executor with and without `Builder::record()` (in real
//! time, where every event reads the clock, and under virtual time).
//!
//! ```text
//! cargo bench --bench peers -- trace
//! ```
//!
//! Each yield is one poll: with recording on it adds the events of that
//! poll (poll started, poll ended, woken by itself) to the recording.

use async_primer::executor::Executor;

use super::{Bench, Contender, ours, ours_spawn_run_on, peer, tokio_spawn_run, yield_once};

pub(crate) fn trace(b: &mut Bench) {
    const TASKS: usize = 100;
    const YIELDS: usize = 200;
    let per_yield = |ns_per_task: f64| ns_per_task / YIELDS as f64;
    let our_task = || async {
        for _ in 0..YIELDS {
            async_primer::yield_now().await;
        }
    };
    b.run(
        "trace_yield_many",
        vec![
            ours(move || per_yield(ours_spawn_run_on(Executor::new(), TASKS, |_| our_task()))),
            Contender {
                name: "async-primer record()",
                ours: true,
                teaching: false,
                run: Box::new(move || {
                    let ex = Executor::builder().record().build();
                    per_yield(ours_spawn_run_on(ex, TASKS, |_| our_task()))
                }),
            },
            Contender {
                name: "async-primer record() virtual",
                ours: true,
                teaching: false,
                run: Box::new(move || {
                    let ex = Executor::builder().virtual_time().record().build();
                    per_yield(ours_spawn_run_on(ex, TASKS, |_| our_task()))
                }),
            },
            peer("tokio LocalSet", move || {
                per_yield(tokio_spawn_run(TASKS, |_| async {
                    for _ in 0..YIELDS {
                        yield_once().await;
                    }
                }))
            }),
        ],
    );
}
