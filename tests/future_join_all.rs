//! `join_all` / `try_join_all`: the poll-count test (O(1) work per wake-up),
//! input order, empty inputs and cancellation by drop.
//! See src/future/join_all.rs and src/future/wake_list.rs.

mod common;
use common::{LIMIT, within};
use std::cell::Cell;
use std::future::Future;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use async_primer::future::{join_all, try_join_all};

const N: usize = if cfg!(miri) { 1_000 } else { 100_000 };

/// Pending on the first poll (after waking itself), ready on the second.
/// Counts every poll in `polls`.
struct YieldOnce<T> {
    value: Option<T>,
    yielded: bool,
    polls: Rc<Cell<usize>>,
}

impl<T: Unpin> Future for YieldOnce<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.polls.set(self.polls.get() + 1);
        if !self.yielded {
            self.yielded = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(self.value.take().expect("polled after completion"))
    }
}

fn yield_once<T>(value: T, polls: &Rc<Cell<usize>>) -> YieldOnce<T> {
    YieldOnce {
        value: Some(value),
        yielded: false,
        polls: polls.clone(),
    }
}

/// A waker that counts its wakes.
#[derive(Default)]
struct CountingWaker(AtomicUsize);
impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls `fut` until ready with a counting waker, insisting that every
/// `Pending` was preceded by a wake (so a lost wake-up fails the test
/// instead of hanging). Returns the output and the number of parent polls.
fn run<F: Future>(fut: F) -> (F::Output, usize) {
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    let mut parent_polls = 0;
    loop {
        let before = counter.0.load(Ordering::SeqCst);
        parent_polls += 1;
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return (out, parent_polls);
        }
        assert!(
            counter.0.load(Ordering::SeqCst) > before,
            "Pending without a wake: this would hang"
        );
    }
}

#[test]
fn join_all_polls_each_child_a_constant_number_of_times() {
    let polls = Rc::new(Cell::new(0));
    let (out, parent_polls) = run(join_all((0..N).map(|i| yield_once(i, &polls))));
    assert_eq!(out, (0..N).collect::<Vec<_>>());
    // Two polls per child is the minimum (first poll, poll after the wake).
    assert!(
        polls.get() <= 3 * N,
        "{} child polls for {N} children",
        polls.get()
    );
    assert_eq!(polls.get(), 2 * N);
    assert!(parent_polls <= 3, "{parent_polls} parent polls");
}

#[test]
fn try_join_all_polls_each_child_a_constant_number_of_times() {
    let polls = Rc::new(Cell::new(0));
    let futs = (0..N).map(|i| yield_once(Ok::<usize, String>(i), &polls));
    let (out, _) = run(try_join_all(futs));
    assert_eq!(out.unwrap(), (0..N).collect::<Vec<_>>());
    assert!(
        polls.get() <= 3 * N,
        "{} child polls for {N} children",
        polls.get()
    );
}

/// Children woken one at a time, from outside, in reverse order: each wake
/// must lead to exactly one more poll of exactly that child.
#[test]
fn join_all_repolls_only_the_woken_child() {
    const M: usize = if cfg!(miri) { 50 } else { 2_000 };
    let wakers: Rc<std::cell::RefCell<Vec<Option<Waker>>>> = Rc::new(Default::default());
    let released: Rc<Vec<Cell<bool>>> = Rc::new((0..M).map(|_| Cell::new(false)).collect());
    let polls: Rc<Vec<Cell<usize>>> = Rc::new((0..M).map(|_| Cell::new(0)).collect());
    wakers.borrow_mut().resize(M, None);
    let futs = (0..M).map(|i| {
        let (wakers, released, polls) = (wakers.clone(), released.clone(), polls.clone());
        async_primer::future::poll_fn(move |cx| {
            polls[i].set(polls[i].get() + 1);
            if released[i].get() {
                Poll::Ready(i * 2)
            } else {
                wakers.borrow_mut()[i] = Some(cx.waker().clone());
                Poll::Pending
            }
        })
    });
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    let mut all = pin!(join_all(futs));
    assert!(all.as_mut().poll(&mut cx).is_pending());
    assert!(polls.iter().all(|p| p.get() == 1));
    for i in (0..M).rev() {
        released[i].set(true);
        wakers.borrow_mut()[i].take().unwrap().wake();
        let result = all.as_mut().poll(&mut cx);
        assert_eq!(polls[i].get(), 2, "child {i} polled once more");
        if i > 0 {
            assert!(result.is_pending());
            assert_eq!(polls[i - 1].get(), 1, "an unwoken child was polled");
        } else {
            assert_eq!(result, Poll::Ready((0..M).map(|i| i * 2).collect()));
        }
    }
    let total: usize = polls.iter().map(Cell::get).sum();
    assert_eq!(total, 2 * M);
    // The parent was woken once per released child (empty -> non-empty).
    assert_eq!(counter.0.load(Ordering::SeqCst), M);
}

#[test]
fn wakes_from_other_threads_are_not_lost() {
    within(LIMIT, || {
        const M: usize = if cfg!(miri) { 8 } else { 200 };
        let (tx, rx) = std::sync::mpsc::channel::<Waker>();
        let started = Arc::new(AtomicUsize::new(0));
        let futs = (0..M).map(|i| {
            let tx = tx.clone();
            let mut sent = false;
            async_primer::future::poll_fn(move |cx| {
                if sent {
                    return Poll::Ready(i);
                }
                sent = true;
                tx.send(cx.waker().clone()).unwrap();
                Poll::Pending
            })
        });
        let waker_thread = std::thread::spawn({
            let started = started.clone();
            move || {
                for w in rx.iter().take(M) {
                    started.fetch_add(1, Ordering::SeqCst);
                    w.wake();
                }
            }
        });
        let out = futures::executor::block_on(join_all(futs));
        waker_thread.join().unwrap();
        assert_eq!(out, (0..M).collect::<Vec<_>>());
        assert_eq!(started.load(Ordering::SeqCst), M);
    })
}

#[test]
fn empty_inputs_are_ready_at_once() {
    let (out, polls) = run(join_all(Vec::<std::future::Ready<u8>>::new()));
    assert!(out.is_empty());
    assert_eq!(polls, 1);
    let (out, polls) = run(try_join_all(
        Vec::<std::future::Ready<Result<u8, ()>>>::new(),
    ));
    assert_eq!(out, Ok(vec![]));
    assert_eq!(polls, 1);
}

/// Counts drops, to see cancellation happen.
struct DropCounter(Rc<Cell<usize>>);
impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn dropping_join_all_drops_every_running_child_and_finished_output() {
    let drops = Rc::new(Cell::new(0));
    let futs: Vec<_> = (0..10)
        .map(|i| {
            let guard = DropCounter(drops.clone());
            async_primer::future::poll_fn(move |_cx| {
                let _keep = &guard;
                // Even children finish at once (their output holds a guard).
                if i % 2 == 0 {
                    Poll::Ready(Some(DropCounter(guard.0.clone())))
                } else {
                    Poll::Pending
                }
            })
        })
        .collect();
    let mut all = Box::pin(join_all(futs));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(all.as_mut().poll(&mut cx).is_pending());
    assert_eq!(
        drops.get(),
        5,
        "the five finished futures were dropped when they finished"
    );
    drop(all);
    // 5 running futures + 5 stored outputs.
    assert_eq!(drops.get(), 15);
}

#[test]
fn try_join_all_first_error_drops_the_rest() {
    let drops = Rc::new(Cell::new(0));
    let polls = Rc::new(Cell::new(0));
    let mut futs: Vec<async_primer::future::LocalBoxFuture<'static, Result<u32, &str>>> =
        Vec::new();
    for _ in 0..3 {
        let guard = DropCounter(drops.clone());
        let polls = polls.clone();
        futs.push(Box::pin(async_primer::future::poll_fn(move |_| {
            let _keep = &guard;
            polls.set(polls.get() + 1);
            Poll::Pending
        })));
    }
    futs.push(Box::pin(async { Err("boom") }));
    futs.push(Box::pin(async {
        unreachable!("after the error, nobody is polled")
    }));
    let (out, _) = run(try_join_all(futs));
    assert_eq!(out, Err("boom"));
    assert_eq!(drops.get(), 3);
    assert_eq!(polls.get(), 3);
}

#[test]
#[should_panic(expected = "`join_all` polled after completion")]
fn join_all_polled_after_completion_panics() {
    let mut all = pin!(join_all(vec![std::future::ready(1)]));
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(all.as_mut().poll(&mut cx), Poll::Ready(vec![1]));
    let _ = all.as_mut().poll(&mut cx);
}

#[test]
fn agrees_with_futures_join_all() {
    within(LIMIT, || {
        let futs = || (0..100).map(|i| async move { i * 3 });
        let ours = futures::executor::block_on(join_all(futs()));
        let theirs = futures::executor::block_on(futures::future::join_all(futs()));
        assert_eq!(ours, theirs);
    })
}

#[test]
fn joins_and_channels_are_send_when_their_contents_are() {
    within(LIMIT, || {
        fn assert_send<T: Send>(_: &T) {}
        fn assert_sync<T: Sync>(_: &T) {}
        let all = join_all(vec![std::future::ready(1u8)]);
        assert_send(&all);
        assert_send(&try_join_all(vec![std::future::ready(Ok::<u8, ()>(1))]));
        let (tx, rx) = async_primer::channel::oneshot::<String>();
        assert_send(&tx);
        assert_send(&rx);
        let (tx, rx) = async_primer::channel::mpsc::unbounded::<String>();
        assert_send(&tx);
        assert_sync(&tx);
        assert_send(&rx);
        // And the thing actually crosses a thread.
        let out = std::thread::spawn(move || futures::executor::block_on(all))
            .join()
            .unwrap();
        assert_eq!(out, vec![1]);
    })
}
