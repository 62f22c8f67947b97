//! Property tests: the stream combinators of `async_primer::stream`
//! (src/stream/) against `futures::StreamExt` as a second opinion, and
//! against plain models, on random inputs with random readiness.
//!
//! Our side is driven by `drive`, which fails on a lost wake-up (a
//! `Pending` that nobody woke) instead of hanging.
//!
//! Readiness: the source `Jitter` is `Pending` (waking itself) for a random
//! number of polls before each item, and the futures fed to `then`,
//! `buffered` and `buffer_unordered` are `Pending` for a random number of
//! polls before they finish. `Jitter` implements both `Stream` traits, so
//! the very same source feeds both implementations.
//!
//! Compared: map / filter / take / skip / then / chain / zip / fold /
//! collect exactly; buffered exactly (input order); buffer_unordered and
//! merge as multisets (their order depends on timing, which the two crates
//! are free to handle differently), with merge also keeping each side's
//! order, and buffer_unordered never running more than `n` futures.

use std::cell::Cell;
use std::future::Future;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};

use async_primer::future::poll_fn;
use async_primer::stream::{self, StreamExt};
use proptest::prelude::*;

/// `futures`' side runs on its own `block_on`.
use futures::executor::block_on;

/// Our side runs on a strict driver: every source of `Pending` here wakes
/// itself, so a `Pending` with no wake since the poll began is a lost
/// wake-up, reported as a failure instead of a hang.
fn drive<F: Future>(fut: F) -> F::Output {
    #[derive(Default)]
    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    let count = Arc::new(Count::default());
    let waker = Waker::from(count.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        let before = count.0.load(SeqCst);
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        assert!(
            count.0.load(SeqCst) > before,
            "lost wake-up: Pending and nobody woke the task"
        );
    }
}

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 })
}

/// A source yielding `items[i].1` after `items[i].0` pending polls.
#[derive(Clone)]
struct Jitter {
    items: Vec<(usize, u32)>,
    at: usize,
    waited: usize,
}

fn jitter(items: &[(usize, u32)]) -> Jitter {
    Jitter {
        items: items.to_vec(),
        at: 0,
        waited: 0,
    }
}

impl Jitter {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<u32>> {
        let Some(&(delay, item)) = self.items.get(self.at) else {
            return Poll::Ready(None);
        };
        if self.waited < delay {
            self.waited += 1;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.at += 1;
        self.waited = 0;
        Poll::Ready(Some(item))
    }
}

impl stream::Stream for Jitter {
    type Item = u32;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
        self.get_mut().poll(cx)
    }
}

impl futures::Stream for Jitter {
    type Item = u32;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
        self.get_mut().poll(cx)
    }
}

/// A future pending for `k` polls (waking itself), then ready with `value`;
/// `alive` counts how many exist at once, `max` the most ever.
fn after(
    k: usize,
    value: u32,
    counts: &Rc<(Cell<usize>, Cell<usize>)>,
) -> impl Future<Output = u32> + use<> {
    let counts = counts.clone();
    let alive = counts.0.get() + 1;
    counts.0.set(alive);
    counts.1.set(counts.1.get().max(alive));
    let guard = Alive(counts);
    let mut left = k;
    poll_fn(move |cx| {
        let _keep = &guard;
        if left == 0 {
            return Poll::Ready(value);
        }
        left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

struct Alive(Rc<(Cell<usize>, Cell<usize>)>);
impl Drop for Alive {
    fn drop(&mut self) {
        self.0.0.set(self.0.0.get() - 1);
    }
}

fn counts() -> Rc<(Cell<usize>, Cell<usize>)> {
    Rc::new((Cell::new(0), Cell::new(0)))
}

fn items() -> impl Strategy<Value = Vec<(usize, u32)>> {
    let len = if cfg!(miri) { 0..8 } else { 0..40 };
    prop::collection::vec((0usize..4, 0u32..100), len)
}

fn sorted(mut v: Vec<u32>) -> Vec<u32> {
    v.sort_unstable();
    v
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn map_filter_take_skip_match_futures(xs in items(), t in 0usize..50, s in 0usize..50) {
        let ours: Vec<u32> = drive(
            jitter(&xs).map(|x| x * 3).filter(|x| x % 2 == 0).skip(s).take(t).collect(),
        );
        let theirs: Vec<u32> = block_on(futures::StreamExt::collect(futures::StreamExt::take(
            futures::StreamExt::skip(
                futures::StreamExt::filter(futures::StreamExt::map(jitter(&xs), |x| x * 3), |x| {
                    futures::future::ready(x % 2 == 0)
                }),
                s,
            ),
            t,
        )));
        let model: Vec<u32> =
            xs.iter().map(|p| p.1 * 3).filter(|x| x % 2 == 0).skip(s).take(t).collect();
        prop_assert_eq!(&ours, &theirs);
        prop_assert_eq!(ours, model);
    }

    #[test]
    fn then_matches_futures(xs in items(), ks in prop::collection::vec(0usize..4, 40)) {
        let c = counts();
        let ours: Vec<u32> = drive(jitter(&xs).then(|x| after(ks[x as usize % 40], x + 1, &c)).collect());
        let theirs: Vec<u32> = block_on(futures::StreamExt::collect(futures::StreamExt::then(
            jitter(&xs),
            |x| after(ks[x as usize % 40], x + 1, &c),
        )));
        prop_assert_eq!(&ours, &theirs);
        prop_assert_eq!(ours, xs.iter().map(|p| p.1 + 1).collect::<Vec<_>>());
    }

    #[test]
    fn chain_and_zip_match_futures(a in items(), b in items()) {
        let ours: Vec<u32> = drive(jitter(&a).chain(jitter(&b)).collect());
        let theirs: Vec<u32> =
            block_on(futures::StreamExt::collect(futures::StreamExt::chain(jitter(&a), jitter(&b))));
        prop_assert_eq!(ours, theirs);
        let ours: Vec<(u32, u32)> = drive(jitter(&a).zip(jitter(&b)).collect());
        let theirs: Vec<(u32, u32)> =
            block_on(futures::StreamExt::collect(futures::StreamExt::zip(jitter(&a), jitter(&b))));
        prop_assert_eq!(&ours, &theirs);
        prop_assert_eq!(ours.len(), a.len().min(b.len()));
    }

    #[test]
    fn fold_and_collect_match_futures(xs in items()) {
        let ours = drive(jitter(&xs).fold(0u64, |acc, x| acc.wrapping_mul(31).wrapping_add(u64::from(x))));
        let theirs = block_on(futures::StreamExt::fold(jitter(&xs), 0u64, |acc, x| {
            futures::future::ready(acc.wrapping_mul(31).wrapping_add(u64::from(x)))
        }));
        prop_assert_eq!(ours, theirs);
        let ours: Vec<u32> = drive(jitter(&xs).collect());
        prop_assert_eq!(ours, xs.iter().map(|p| p.1).collect::<Vec<_>>());
    }

    #[test]
    fn merge_has_everything_from_both_in_each_sides_order(a in items(), b in items()) {
        // Tag the sides: 0..100 from a, 100..200 from b.
        let ours: Vec<u32> = drive(jitter(&a).merge(jitter(&b).map(|x| x + 100)).collect());
        let theirs: Vec<u32> = block_on(futures::StreamExt::collect(futures::stream::select(
            jitter(&a),
            futures::StreamExt::map(jitter(&b), |x| x + 100),
        )));
        prop_assert_eq!(sorted(ours.clone()), sorted(theirs));
        let left: Vec<u32> = ours.iter().copied().filter(|x| *x < 100).collect();
        let right: Vec<u32> = ours.iter().copied().filter(|x| *x >= 100).map(|x| x - 100).collect();
        prop_assert_eq!(left, a.iter().map(|p| p.1).collect::<Vec<_>>());
        prop_assert_eq!(right, b.iter().map(|p| p.1).collect::<Vec<_>>());
    }

    #[test]
    fn buffered_matches_futures_and_keeps_input_order(
        xs in items(),
        ks in prop::collection::vec(0usize..6, 40),
        n in 1usize..8,
    ) {
        let c = counts();
        let ours: Vec<u32> = drive(
            jitter(&xs).map(|x| after(ks[x as usize % 40], x, &c)).buffered(n).collect(),
        );
        prop_assert!(c.1.get() <= n, "{} in flight, n = {}", c.1.get(), n);
        let theirs: Vec<u32> = block_on(futures::StreamExt::collect(futures::StreamExt::buffered(
            futures::StreamExt::map(jitter(&xs), |x| after(ks[x as usize % 40], x, &c)),
            n,
        )));
        prop_assert_eq!(&ours, &theirs);
        prop_assert_eq!(ours, xs.iter().map(|p| p.1).collect::<Vec<_>>());
    }

    #[test]
    fn buffer_unordered_matches_futures_as_a_multiset(
        xs in items(),
        ks in prop::collection::vec(0usize..6, 40),
        n in 1usize..8,
    ) {
        let c = counts();
        let ours: Vec<u32> = drive(
            jitter(&xs).map(|x| after(ks[x as usize % 40], x, &c)).buffer_unordered(n).collect(),
        );
        prop_assert!(c.1.get() <= n, "{} in flight, n = {}", c.1.get(), n);
        prop_assert_eq!(c.0.get(), 0, "every future dropped");
        let theirs: Vec<u32> = block_on(futures::StreamExt::collect(
            futures::StreamExt::buffer_unordered(
                futures::StreamExt::map(jitter(&xs), |x| after(ks[x as usize % 40], x, &c)),
                n,
            ),
        ));
        prop_assert_eq!(sorted(ours.clone()), sorted(theirs));
        prop_assert_eq!(sorted(ours), sorted(xs.iter().map(|p| p.1).collect()));
    }
}
