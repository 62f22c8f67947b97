//! Stream workloads (issue 15): a `buffer_unordered(16)` pipeline, ours
//! against `futures::StreamExt::buffer_unordered(16)`, each on a comparable
//! single-threaded executor: ours on this crate's `Executor::block_on`,
//! futures' on `futures::executor::block_on`.
//!
//! `stream_buffer_unordered`: 100,000 items -> `map` to a future that
//! yields once (so each needs a wake and a second poll) ->
//! `buffer_unordered(16)` -> `fold` into a sum. ns per item.
//! `stream_buffer_unordered_ready`: the same with futures that are ready
//! at once (the per-item overhead of the adapter itself).
//!
//! Both sides use the same executor-neutral `YieldOnce` future and the same
//! source (`iter` of a range), so what differs is the adapter, the stream
//! plumbing, and the executor's wake path.

use std::hint::black_box;

use super::{Bench, ours, peer, per_op, yield_once};
use async_primer::executor::Executor;
use async_primer::stream::{self, StreamExt};

const WIDTH: usize = 16;

fn ours_pipeline(ex: &Executor, n: usize, yielding: bool) -> usize {
    ex.block_on(
        stream::iter(0..n)
            .map(move |i| async move {
                if yielding {
                    yield_once().await;
                }
                i
            })
            .buffer_unordered(WIDTH)
            .fold(0usize, |a, i| a.wrapping_add(i)),
    )
}

fn futures_pipeline(n: usize, yielding: bool) -> usize {
    use futures::StreamExt as _;
    futures::executor::block_on(
        futures::stream::iter(0..n)
            .map(move |i| async move {
                if yielding {
                    yield_once().await;
                }
                i
            })
            .buffer_unordered(WIDTH)
            .fold(0usize, |a, i| async move { a.wrapping_add(i) }),
    )
}

pub(super) fn streams(b: &mut Bench) {
    let n = b.scaled(100_000);
    let expected = (0..n).fold(0usize, |a, i| a.wrapping_add(i));
    for (workload, yielding) in [
        ("stream_buffer_unordered", true),
        ("stream_buffer_unordered_ready", false),
    ] {
        b.run(
            workload,
            vec![
                ours(move || {
                    let ex = Executor::new();
                    per_op(n, || {
                        assert_eq!(black_box(ours_pipeline(&ex, n, yielding)), expected);
                    })
                }),
                peer("futures block_on", move || {
                    per_op(n, || {
                        assert_eq!(black_box(futures_pipeline(n, yielding)), expected);
                    })
                }),
            ],
        );
    }
}
