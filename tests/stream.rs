//! Every part of `async_primer::stream` (src/stream/): the sources, each
//! combinator's output, who gets woken and how often (with counting wakers
//! written here), back-pressure in `buffered` / `buffer_unordered` (never
//! more than `n` futures in flight, counted), the `n = 0` panics, panics in
//! user code, cancellation by drop, the timed adapters under virtual time,
//! and the crate's types as streams. The second opinion from `futures` is
//! in tests/stream_prop.rs. Runs under Miri too (sizes reduced).

mod common;
use common::{LIMIT, within};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use async_primer::callback::EventEmitter;
use async_primer::channel::mpsc;
use async_primer::executor::Executor;
use async_primer::stream::{self, Stream, StreamExt};
use async_primer::time::{interval, now, sleep};

// ---------------------------------------------------------------------------
// Helpers: a counting waker, a hand-fed stream, hand-released futures.
// ---------------------------------------------------------------------------

/// A waker that counts its wakes.
#[derive(Default)]
struct Counter(AtomicUsize);
impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting_waker() -> (Arc<Counter>, Waker) {
    let c = Arc::new(Counter::default());
    (c.clone(), Waker::from(c))
}

fn wakes(c: &Counter) -> usize {
    c.0.load(SeqCst)
}

fn poll_next<S: Stream + Unpin>(s: &mut S, waker: &Waker) -> Poll<Option<S::Item>> {
    Pin::new(s).poll_next(&mut Context::from_waker(waker))
}

#[derive(Default)]
struct GateState<T> {
    queue: VecDeque<T>,
    closed: bool,
    waker: Option<Waker>,
    polls: usize,
}

/// A stream fed by hand: `push` an item (waking the stored waker), `close`.
struct Gate<T>(Rc<RefCell<GateState<T>>>);

impl<T> Clone for Gate<T> {
    fn clone(&self) -> Self {
        Gate(self.0.clone())
    }
}

impl<T> Gate<T> {
    fn new() -> Self {
        Gate(Rc::new(RefCell::new(GateState {
            queue: VecDeque::new(),
            closed: false,
            waker: None,
            polls: 0,
        })))
    }
    fn push(&self, x: T) {
        self.0.borrow_mut().queue.push_back(x);
        let w = self.0.borrow_mut().waker.take();
        if let Some(w) = w {
            w.wake();
        }
    }
    fn close(&self) {
        self.0.borrow_mut().closed = true;
        let w = self.0.borrow_mut().waker.take();
        if let Some(w) = w {
            w.wake();
        }
    }
    fn polls(&self) -> usize {
        self.0.borrow().polls
    }
    fn has_waker(&self) -> bool {
        self.0.borrow().waker.is_some()
    }
}

impl<T> Stream for Gate<T> {
    type Item = T;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut st = self.0.borrow_mut();
        st.polls += 1;
        if let Some(x) = st.queue.pop_front() {
            return Poll::Ready(Some(x));
        }
        if st.closed {
            return Poll::Ready(None);
        }
        st.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Futures released by hand, counting how many exist at once.
#[derive(Default)]
struct Jobs {
    released: RefCell<Vec<bool>>,
    wakers: RefCell<Vec<Option<Waker>>>,
    alive: Cell<usize>,
    max_alive: Cell<usize>,
    polls: RefCell<Vec<usize>>,
}

impl Jobs {
    fn new(n: usize) -> Rc<Jobs> {
        Rc::new(Jobs {
            released: RefCell::new(vec![false; n]),
            wakers: RefCell::new(vec![None; n]),
            polls: RefCell::new(vec![0; n]),
            ..Jobs::default()
        })
    }
    fn release(&self, i: usize) {
        self.released.borrow_mut()[i] = true;
        let w = self.wakers.borrow_mut()[i].take();
        if let Some(w) = w {
            w.wake();
        }
    }
    fn polls(&self, i: usize) -> usize {
        self.polls.borrow()[i]
    }
}

/// Job `i`: counted alive from creation to drop; ready once released.
struct Job {
    jobs: Rc<Jobs>,
    i: usize,
}

fn job(jobs: &Rc<Jobs>, i: usize) -> Job {
    let alive = jobs.alive.get() + 1;
    jobs.alive.set(alive);
    jobs.max_alive.set(jobs.max_alive.get().max(alive));
    Job {
        jobs: jobs.clone(),
        i,
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        self.jobs.alive.set(self.jobs.alive.get() - 1);
    }
}

impl Future for Job {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        self.jobs.polls.borrow_mut()[self.i] += 1;
        if self.jobs.released.borrow()[self.i] {
            return Poll::Ready(self.i);
        }
        self.jobs.wakers.borrow_mut()[self.i] = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// A panic's message, whether it was a `&str` or a `String`.
fn message(payload: &(dyn std::any::Any + Send)) -> String {
    match payload.downcast_ref::<&str>() {
        Some(s) => s.to_string(),
        None => payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default(),
    }
}

fn virtual_ex() -> Executor {
    Executor::builder().virtual_time().seed(7).build()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

// ---------------------------------------------------------------------------
// Sources.
// ---------------------------------------------------------------------------

#[test]
fn sources_yield_their_items_and_end_for_good() {
    within(LIMIT, || {
        let w = Waker::noop();
        let mut s = stream::iter(0..2);
        assert_eq!(s.size_hint(), (2, Some(2)));
        assert_eq!(poll_next(&mut s, w), Poll::Ready(Some(0)));
        assert_eq!(poll_next(&mut s, w), Poll::Ready(Some(1)));
        assert_eq!(poll_next(&mut s, w), Poll::Ready(None));
        assert_eq!(poll_next(&mut s, w), Poll::Ready(None)); // fused

        let mut o = stream::once('a');
        assert_eq!(poll_next(&mut o, w), Poll::Ready(Some('a')));
        assert_eq!(poll_next(&mut o, w), Poll::Ready(None));
        assert_eq!(o.size_hint(), (0, Some(0)));

        let mut e = stream::empty::<u8>();
        assert_eq!(poll_next(&mut e, w), Poll::Ready(None));
        let mut p = stream::pending::<u8>();
        assert_eq!(poll_next(&mut p, w), Poll::Pending);

        let calls = Cell::new(0);
        let r = stream::repeat_with(|| {
            calls.set(calls.get() + 1);
            calls.get()
        });
        assert_eq!(calls.get(), 0, "lazy: nothing runs before a poll");
        let v: Vec<_> = futures::executor::block_on(r.take(3).collect());
        assert_eq!((v, calls.get()), (vec![1, 2, 3], 3));
    })
}

#[test]
fn unfold_runs_one_step_at_a_time_and_stops_on_none() {
    within(LIMIT, || {
        let (c, w) = counting_waker();
        let gate: Gate<u32> = Gate::new();
        let steps = Cell::new(0);
        let g = gate.clone();
        let mut s = Box::pin(stream::unfold(0u32, |total| {
            steps.set(steps.get() + 1);
            let mut g = g.clone();
            async move {
                let x = g.next().await?;
                Some((total + x, total + x))
            }
        }));
        assert_eq!(steps.get(), 0);
        assert_eq!(poll_next(&mut s, &w), Poll::Pending);
        assert_eq!(steps.get(), 1);
        gate.push(5);
        assert_eq!(wakes(&c), 1);
        assert_eq!(poll_next(&mut s, &w), Poll::Ready(Some(5)));
        gate.push(2);
        assert_eq!(poll_next(&mut s, &w), Poll::Ready(Some(7)));
        assert_eq!(steps.get(), 2, "one step per item, none ahead");
        gate.close();
        assert_eq!(poll_next(&mut s, &w), Poll::Ready(None));
        assert_eq!(poll_next(&mut s, &w), Poll::Ready(None));
        assert_eq!(steps.get(), 3);
    })
}

#[test]
fn poll_fn_and_the_forwarding_impls() {
    within(LIMIT, || {
        let mut n = 0;
        let mut s = stream::poll_fn(move |_| {
            n += 1;
            Poll::Ready((n <= 2).then_some(n))
        });
        let by_ref: Vec<_> = futures::executor::block_on((&mut s).take(1).collect());
        assert_eq!(by_ref, [1]);
        let boxed: Box<dyn Stream<Item = i32> + Unpin> = Box::new(s);
        assert_eq!(futures::executor::block_on(boxed.collect::<Vec<_>>()), [2]);
        let pinned = pin!(stream::iter([1, 2]).then(|x| async move { x }));
        assert_eq!(
            futures::executor::block_on(pinned.collect::<Vec<_>>()),
            [1, 2]
        );
    })
}

// ---------------------------------------------------------------------------
// One-stream adapters.
// ---------------------------------------------------------------------------

#[test]
fn map_filter_then_take_skip_outputs() {
    within(LIMIT, || {
        let out: Vec<_> = futures::executor::block_on(
            stream::iter(1..=20)
                .skip(2)
                .filter(|x| x % 3 == 0)
                .map(|x| x * 2)
                .then(|x| async move { x + 1 })
                .take(3)
                .collect(),
        );
        assert_eq!(out, [7, 13, 19]);
        assert_eq!(stream::iter(0..10).skip(3).size_hint(), (7, Some(7)));
        assert_eq!(stream::iter(0..10).take(3).size_hint(), (3, Some(3)));
        assert_eq!(
            stream::iter(0..10).filter(|_| true).size_hint(),
            (0, Some(10))
        );
        assert_eq!(stream::repeat_with(|| 1).take(4).size_hint(), (4, Some(4)));
    })
}

#[test]
fn take_never_polls_its_source_after_n_items() {
    let gate: Gate<u8> = Gate::new();
    gate.push(1);
    gate.push(2);
    let mut s = gate.clone().take(1);
    let w = Waker::noop();
    assert_eq!(poll_next(&mut s, w), Poll::Ready(Some(1)));
    assert_eq!(poll_next(&mut s, w), Poll::Ready(None));
    assert_eq!(poll_next(&mut s, w), Poll::Ready(None));
    assert_eq!(gate.polls(), 1);
    let mut zero = gate.clone().take(0);
    assert_eq!(poll_next(&mut zero, w), Poll::Ready(None));
    assert_eq!(gate.polls(), 1);
}

#[test]
fn adapters_pass_the_wake_through_exactly_once() {
    let gate: Gate<u32> = Gate::new();
    let (c, w) = counting_waker();
    let mut s = gate.clone().map(|x| x + 1).filter(|x| x % 2 == 0).skip(1);
    assert_eq!(poll_next(&mut s, &w), Poll::Pending);
    assert!(
        gate.has_waker(),
        "a Pending always comes with a stored waker"
    );
    gate.push(1); // 2: kept by filter, dropped by skip
    gate.push(2); // 3: rejected by filter
    assert_eq!(wakes(&c), 1, "the second push found no waker to wake");
    assert_eq!(poll_next(&mut s, &w), Poll::Pending);
    gate.push(3); // 4: out
    assert_eq!(wakes(&c), 2);
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(Some(4)));
    gate.close();
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(None));
}

#[test]
fn then_waits_for_each_future_in_turn() {
    let gate: Gate<usize> = Gate::new();
    let jobs = Jobs::new(3);
    let j = jobs.clone();
    let (c, w) = counting_waker();
    let mut s = gate.clone().then(move |i| job(&j, i));
    gate.push(0);
    gate.push(1);
    assert_eq!(poll_next(&mut s, &w), Poll::Pending);
    assert_eq!(jobs.alive.get(), 1, "then runs one future at a time");
    jobs.release(0);
    assert_eq!(wakes(&c), 1);
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(Some(0)));
    jobs.release(1);
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(Some(1)));
    assert_eq!(jobs.max_alive.get(), 1);
    drop(s);
    assert_eq!(jobs.alive.get(), 0);
}

#[test]
fn a_panicking_closure_leaves_the_stream_usable() {
    let mut s = stream::iter(1..=4).map(|x| {
        assert!(x != 2, "boom at 2");
        x
    });
    let w = Waker::noop();
    assert_eq!(poll_next(&mut s, w), Poll::Ready(Some(1)));
    let err = catch_unwind(AssertUnwindSafe(|| poll_next(&mut s, w))).unwrap_err();
    assert!(message(&*err).contains("boom at 2"));
    assert_eq!(poll_next(&mut s, w), Poll::Ready(Some(3)));
}

// ---------------------------------------------------------------------------
// Two-stream adapters.
// ---------------------------------------------------------------------------

#[test]
fn chain_zip_merge_outputs_and_ends() {
    within(LIMIT, || {
        let v: Vec<_> = futures::executor::block_on(
            stream::iter([1, 2])
                .chain(stream::empty())
                .chain(stream::once(3))
                .collect(),
        );
        assert_eq!(v, [1, 2, 3]);
        let z: Vec<_> = futures::executor::block_on(
            stream::iter(0..5)
                .zip(stream::iter("abc".chars()))
                .collect(),
        );
        assert_eq!(z, [(0, 'a'), (1, 'b'), (2, 'c')]);
        assert_eq!(
            stream::iter(0..5).zip(stream::iter(0..3)).size_hint(),
            (3, Some(3))
        );
        let m: Vec<_> =
            futures::executor::block_on(stream::iter([1, 1, 1]).merge(stream::iter([2])).collect());
        assert_eq!(m, [1, 2, 1, 1], "merge takes turns while both are ready");
        assert_eq!(
            stream::iter(0..2).chain(stream::iter(0..3)).size_hint(),
            (5, Some(5))
        );
    })
}

#[test]
fn zip_keeps_an_item_until_its_partner_comes() {
    let (left, right): (Gate<u8>, Gate<char>) = (Gate::new(), Gate::new());
    let (c, w) = counting_waker();
    let mut z = left.clone().zip(right.clone());
    left.push(1);
    assert_eq!(poll_next(&mut z, &w), Poll::Pending);
    assert_eq!((left.polls(), right.polls()), (1, 1));
    left.push(2); // the left slot is full: not polled, no waker there
    assert_eq!(wakes(&c), 0);
    right.push('a');
    assert_eq!(wakes(&c), 1);
    assert_eq!(poll_next(&mut z, &w), Poll::Ready(Some((1, 'a'))));
    right.close();
    assert_eq!(
        poll_next(&mut z, &w),
        Poll::Ready(None),
        "right ended: 2 has no partner"
    );
}

#[test]
fn merge_waits_on_both_and_is_woken_by_either() {
    let (a, b): (Gate<u8>, Gate<u8>) = (Gate::new(), Gate::new());
    let (c, w) = counting_waker();
    let mut m = a.clone().merge(b.clone());
    assert_eq!(poll_next(&mut m, &w), Poll::Pending);
    assert!(a.has_waker() && b.has_waker());
    b.push(9);
    assert_eq!(wakes(&c), 1);
    assert_eq!(poll_next(&mut m, &w), Poll::Ready(Some(9)));
    a.close();
    assert_eq!(wakes(&c), 2);
    assert_eq!(poll_next(&mut m, &w), Poll::Pending, "b is still open");
    b.close();
    assert_eq!(wakes(&c), 3);
    assert_eq!(poll_next(&mut m, &w), Poll::Ready(None));
}

// ---------------------------------------------------------------------------
// Consumers.
// ---------------------------------------------------------------------------

#[test]
fn next_fold_collect() {
    within(LIMIT, || {
        let gate: Gate<u32> = Gate::new();
        let (c, w) = counting_waker();
        let mut cx = Context::from_waker(&w);
        let mut fold = pin!(gate.clone().fold(0, |a, x| a + x));
        gate.push(1);
        gate.push(2);
        assert!(fold.as_mut().poll(&mut cx).is_pending());
        assert_eq!(gate.polls(), 3, "fold drains every ready item in one poll");
        gate.push(3);
        gate.close();
        assert_eq!(wakes(&c), 1);
        assert_eq!(fold.as_mut().poll(&mut cx), Poll::Ready(6));
        let again = catch_unwind(AssertUnwindSafe(|| fold.as_mut().poll(&mut cx))).unwrap_err();
        assert!(message(&*again).contains("polled after completion"));

        let mut s = stream::iter("abc".chars());
        let first = futures::executor::block_on(s.next());
        let rest: String = futures::executor::block_on(s.collect());
        assert_eq!((first, rest.as_str()), (Some('a'), "bc"));
    })
}

// ---------------------------------------------------------------------------
// buffered / buffer_unordered: order, wakes, back-pressure, panics, drops.
// ---------------------------------------------------------------------------

/// Drives `buffer(n)` over `count` jobs, releasing them in a scrambled
/// order; checks after every step that at most `n` jobs are alive and that
/// the source was read at most `n` items ahead of the consumer.
fn back_pressure(n: usize, count: usize, ordered: bool) -> Vec<usize> {
    let jobs = Jobs::new(count);
    let pulled = Rc::new(Cell::new(0));
    let (j, p) = (jobs.clone(), pulled.clone());
    let source = stream::iter(0..count).map(move |i| {
        p.set(p.get() + 1);
        job(&j, i)
    });
    let mut s: Pin<Box<dyn Stream<Item = usize>>> = if ordered {
        Box::pin(source.buffered(n))
    } else {
        Box::pin(source.buffer_unordered(n))
    };
    let (_, w) = counting_waker();
    let mut out = Vec::new();
    let mut order: Vec<usize> = (0..count).collect();
    // A fixed scramble (multiplicative hash), the same on every run.
    order.sort_by_key(|&i| (i * 7919) % 101);
    let mut next_release = 0;
    loop {
        match poll_next(&mut s, &w) {
            Poll::Ready(Some(i)) => out.push(i),
            Poll::Ready(None) => break,
            Poll::Pending => {
                // Release jobs until one that is running is released.
                loop {
                    let i = order[next_release];
                    next_release += 1;
                    jobs.release(i);
                    if jobs.polls(i) > 0 {
                        break;
                    }
                }
            }
        }
        assert!(
            jobs.alive.get() <= n,
            "{} jobs alive, n = {n}",
            jobs.alive.get()
        );
        assert!(pulled.get() - out.len() <= n, "read more than n ahead");
    }
    assert_eq!(jobs.max_alive.get(), n.min(count));
    assert_eq!(jobs.alive.get(), 0);
    for i in 0..count {
        assert!(jobs.polls(i) <= 2, "job {i} polled {} times", jobs.polls(i));
    }
    out
}

#[test]
fn buffer_unordered_never_has_more_than_n_in_flight() {
    let count = if cfg!(miri) { 20 } else { 200 };
    for n in [1, 2, 3, 16] {
        let mut out = back_pressure(n, count, false);
        out.sort();
        assert_eq!(out, (0..count).collect::<Vec<_>>());
    }
}

#[test]
fn buffered_never_has_more_than_n_in_flight_and_keeps_order() {
    let count = if cfg!(miri) { 20 } else { 200 };
    for n in [1, 2, 3, 16] {
        assert_eq!(
            back_pressure(n, count, true),
            (0..count).collect::<Vec<_>>()
        );
    }
}

#[test]
fn buffer_unordered_yields_in_finish_order_and_polls_only_the_woken() {
    let jobs = Jobs::new(4);
    let j = jobs.clone();
    let (c, w) = counting_waker();
    let mut s = stream::iter(0..4)
        .map(move |i| job(&j, i))
        .buffer_unordered(3);
    assert_eq!(poll_next(&mut s, &w), Poll::Pending);
    assert_eq!(
        (jobs.polls(0), jobs.polls(1), jobs.polls(2), jobs.polls(3)),
        (1, 1, 1, 0)
    );
    jobs.release(2);
    jobs.release(0);
    assert_eq!(wakes(&c), 1, "one wake of the task for two finished jobs");
    assert_eq!(
        poll_next(&mut s, &w),
        Poll::Ready(Some(2)),
        "woken first, out first"
    );
    assert_eq!(jobs.polls(1), 1, "job 1 was not woken, so not polled");
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(Some(0)));
    assert_eq!(poll_next(&mut s, &w), Poll::Pending); // job 3 started now
    assert_eq!(jobs.polls(3), 1);
    jobs.release(3);
    jobs.release(1);
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(Some(3)));
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(Some(1)));
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(None));
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(None));
}

#[test]
fn buffered_holds_finished_outputs_until_their_turn() {
    let jobs = Jobs::new(3);
    let j = jobs.clone();
    let (_, w) = counting_waker();
    let mut s = stream::iter(0..3).map(move |i| job(&j, i)).buffered(2);
    assert_eq!(poll_next(&mut s, &w), Poll::Pending);
    jobs.release(1);
    assert_eq!(
        poll_next(&mut s, &w),
        Poll::Pending,
        "0 is first, still running"
    );
    assert_eq!(jobs.polls(2), 0, "1 holds its slot: nothing new starts");
    jobs.release(0);
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(Some(0)));
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(Some(1)));
    jobs.release(2);
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(Some(2)));
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(None));
}

#[test]
fn buffer_of_zero_panics_at_the_callers_line() {
    for ordered in [false, true] {
        let err = catch_unwind(|| {
            let s = stream::iter([async {}]);
            if ordered {
                drop(s.buffered(0))
            } else {
                drop(s.buffer_unordered(0))
            }
        })
        .unwrap_err();
        let msg = message(&*err);
        let what = if ordered {
            "buffered(0)"
        } else {
            "buffer_unordered(0)"
        };
        assert!(msg.starts_with(what), "{msg}");
        assert!(msg.contains("never yield"), "{msg}");
    }
}

#[test]
#[should_panic(expected = "chunks_timeout(0, _)")]
fn chunks_of_zero_panics() {
    let _ = stream::iter([1]).chunks_timeout(0, ms(1));
}

#[test]
fn the_zero_panic_points_at_the_caller() {
    let location = Rc::new(RefCell::new(None));
    let l = location.clone();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let loc = info.location().unwrap();
        LOCATION.with(|c| c.replace(Some((loc.file().to_string(), loc.line()))));
    }));
    let expected = line!() + 1;
    let _ = catch_unwind(|| stream::iter([async {}]).buffer_unordered(0));
    std::panic::set_hook(hook);
    *l.borrow_mut() = LOCATION.with(|c| c.take());
    assert_eq!(
        *location.borrow(),
        Some(("tests/stream.rs".to_string(), expected))
    );
}

thread_local! {
    static LOCATION: RefCell<Option<(String, u32)>> = const { RefCell::new(None) };
}

#[test]
fn a_panicking_future_is_dropped_and_the_stream_goes_on() {
    for ordered in [false, true] {
        let make = |i: u32| async move {
            assert!(i != 1, "job 1 fails");
            i
        };
        let source = stream::iter(0..4).map(make);
        let mut s: Pin<Box<dyn Stream<Item = u32>>> = if ordered {
            Box::pin(source.buffered(2))
        } else {
            Box::pin(source.buffer_unordered(2))
        };
        let mut out = Vec::new();
        let mut panics = 0;
        loop {
            match catch_unwind(AssertUnwindSafe(|| poll_next(&mut s, Waker::noop()))) {
                Ok(Poll::Ready(Some(x))) => out.push(x),
                Ok(Poll::Ready(None)) => break,
                Ok(Poll::Pending) => panic!("nothing here waits"),
                Err(_) => panics += 1,
            }
        }
        out.sort();
        assert_eq!((out, panics), (vec![0, 2, 3], 1), "ordered: {ordered}");
    }
}

#[test]
fn dropping_a_buffer_drops_every_future_in_it() {
    let jobs = Jobs::new(5);
    let j = jobs.clone();
    let mut s = stream::iter(0..5)
        .map(move |i| job(&j, i))
        .buffer_unordered(3);
    assert_eq!(poll_next(&mut s, Waker::noop()), Poll::Pending);
    jobs.release(1);
    assert_eq!(jobs.alive.get(), 3);
    drop(s);
    assert_eq!(jobs.alive.get(), 0);
}

#[test]
fn a_wake_from_another_thread_reaches_the_task() {
    within(LIMIT, || {
        let ex = Executor::new();
        let out = ex.block_on(async {
            let (tx, rx) = std::sync::mpsc::channel::<Waker>();
            let releaser = std::thread::spawn(move || {
                for w in rx.iter().take(2) {
                    w.wake();
                }
            });
            let tx = std::sync::Mutex::new(tx);
            let outs = stream::iter(0..2)
                .map(|i| {
                    let mut sent = false;
                    let tx = &tx;
                    async_primer::future::poll_fn(move |cx| {
                        if sent {
                            return Poll::Ready(i);
                        }
                        sent = true;
                        tx.lock().unwrap().send(cx.waker().clone()).unwrap();
                        Poll::Pending
                    })
                })
                .buffer_unordered(2)
                .collect::<Vec<_>>()
                .await;
            releaser.join().unwrap();
            outs
        });
        let mut out = out;
        out.sort();
        assert_eq!(out, [0, 1]);
    })
}

// ---------------------------------------------------------------------------
// Timed adapters, under virtual time.
// ---------------------------------------------------------------------------

/// Items with the virtual milliseconds at which they come out.
async fn timed<S: Stream + Unpin>(mut s: S) -> Vec<(S::Item, u128)> {
    let start = now();
    let mut out = Vec::new();
    while let Some(x) = s.next().await {
        out.push((x, (now() - start).as_millis()));
    }
    out
}

/// A stream yielding `items[i].1` after waiting `items[i].0` ms.
fn arriving(items: Vec<(u64, u32)>) -> Pin<Box<dyn Stream<Item = u32>>> {
    Box::pin(stream::iter(items).then(|(wait, x)| async move {
        sleep(ms(wait)).await;
        x
    }))
}

#[test]
fn throttle_spaces_items_and_drops_none() {
    within(LIMIT, || {
        let out = virtual_ex().block_on(timed(
            arriving(vec![(0, 1), (0, 2), (250, 3), (0, 4)]).throttle(ms(100)),
        ));
        // The source is not even polled during a gap: 3's 250 ms start at 200.
        assert_eq!(out, [(1, 0), (2, 100), (3, 450), (4, 550)]);
    })
}

#[test]
fn debounce_keeps_the_last_of_each_burst() {
    within(LIMIT, || {
        let out = virtual_ex().block_on(timed(
            arriving(vec![(0, 1), (10, 2), (200, 3), (10, 4), (10, 5)]).debounce(ms(50)),
        ));
        // 2 after a quiet 50 ms (at 60); 5 when the source ends (at 230).
        assert_eq!(out, [(2, 60), (5, 230)]);
    })
}

#[test]
fn chunks_timeout_fills_or_times_out() {
    within(LIMIT, || {
        let out = virtual_ex().block_on(timed(
            arriving(vec![(0, 1), (0, 2), (0, 3), (10, 4), (500, 5)]).chunks_timeout(2, ms(100)),
        ));
        assert_eq!(out, [(vec![1, 2], 0), (vec![3, 4], 10), (vec![5], 510)]);
        let lone = virtual_ex().block_on(timed(
            arriving(vec![(0, 1), (500, 2)]).chunks_timeout(5, ms(100)),
        ));
        assert_eq!(lone, [(vec![1], 100), (vec![2], 500)]);
    })
}

// ---------------------------------------------------------------------------
// The crate's types as streams.
// ---------------------------------------------------------------------------

#[test]
fn a_bounded_receiver_is_a_stream_with_back_pressure() {
    within(LIMIT, || {
        let log = virtual_ex().block_on(async {
            let (tx, rx) = mpsc::bounded::<u32>(2);
            let log = Rc::new(RefCell::new(Vec::new()));
            let l = log.clone();
            let start = now();
            let producer = async_primer::spawn(async move {
                for i in 0..5 {
                    tx.send(i).await.unwrap();
                    let at = (now() - start).as_millis();
                    l.borrow_mut().push(format!("sent {i} at {at}"));
                }
            });
            // A consumer that takes 100 ms per message.
            let got: Vec<u32> = rx
                .then(|x| async move {
                    sleep(ms(100)).await;
                    x
                })
                .collect()
                .await;
            producer.await.unwrap();
            assert_eq!(got, [0, 1, 2, 3, 4]);
            Rc::try_unwrap(log).unwrap().into_inner()
        });
        // Two fit at once (and the consumer takes one at 0); then one per 100 ms.
        assert_eq!(
            log,
            [
                "sent 0 at 0",
                "sent 1 at 0",
                "sent 2 at 0",
                "sent 3 at 100",
                "sent 4 at 200"
            ]
        );
    })
}

#[test]
fn an_unbounded_receiver_ends_when_the_senders_are_gone() {
    let (tx, mut rx) = mpsc::unbounded::<u8>();
    let (c, w) = counting_waker();
    assert_eq!(poll_next(&mut rx, &w), Poll::Pending);
    tx.try_send(1).unwrap();
    assert_eq!(wakes(&c), 1);
    assert_eq!(poll_next(&mut rx, &w), Poll::Ready(Some(1)));
    assert_eq!(poll_next(&mut rx, &w), Poll::Pending);
    drop(tx);
    assert_eq!(wakes(&c), 2);
    assert_eq!(poll_next(&mut rx, &w), Poll::Ready(None));
    assert_eq!(poll_next(&mut rx, &w), Poll::Ready(None));
}

#[test]
fn an_interval_is_a_stream_of_its_ticks() {
    within(LIMIT, || {
        let out = virtual_ex().block_on(async {
            let start = now();
            let mut ticks = interval(ms(100));
            let first: Vec<_> = (&mut ticks).take(3).collect().await;
            // A slow consumer: missed ticks are skipped, the grid is kept.
            sleep(ms(250)).await;
            let later = ticks.next().await.unwrap();
            let after = ticks.next().await.unwrap();
            let mut all: Vec<u128> = first.iter().map(|t| (*t - start).as_millis()).collect();
            all.extend([(later - start).as_millis(), (after - start).as_millis()]);
            all
        });
        assert_eq!(out, [0, 100, 200, 300, 500]);
    })
}

#[test]
fn an_emitter_stream_subscribes_ends_and_unsubscribes() {
    let e = EventEmitter::<u32>::new();
    let (c, w) = counting_waker();
    let mut s = e.stream();
    assert_eq!(e.listener_count(), 1);
    assert_eq!(poll_next(&mut s, &w), Poll::Pending);
    assert_eq!(e.emit(1), 1);
    assert_eq!(wakes(&c), 1);
    assert_eq!(e.emit(2), 0, "between delivery and the next poll: missed");
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(Some(1)));
    assert_eq!(e.listener_count(), 1, "subscribed again at once");
    assert_eq!(e.emit(3), 1);
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(Some(3)));
    e.remove_all();
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(None));
    assert_eq!(poll_next(&mut s, &w), Poll::Ready(None));
    assert_eq!(e.listener_count(), 0);
    let s2 = e.stream();
    assert_eq!(e.listener_count(), 1);
    drop(s2);
    assert_eq!(e.listener_count(), 0);
}

#[test]
fn the_futures_bridge_works_both_ways() {
    within(LIMIT, || {
        use futures::StreamExt as _;
        let mut ours = stream::iter(1..=3).map(|x| x * 2);
        let theirs = futures::stream::poll_fn(move |cx| Pin::new(&mut ours).poll_next(cx));
        let v: Vec<i32> = futures::executor::block_on(futures::StreamExt::collect(theirs));
        assert_eq!(v, [2, 4, 6]);
        let mut theirs = Box::pin(futures::stream::iter([1, 2]).then(|x| async move { x + 1 }));
        let back = stream::poll_fn(move |cx| theirs.poll_next_unpin(cx));
        let v: Vec<i32> = futures::executor::block_on(StreamExt::collect(back));
        assert_eq!(v, [2, 3]);
    })
}
