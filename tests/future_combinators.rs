//! Every combinator of `async_primer::future`: outputs, laziness, empty
//! inputs, cancellation by drop (with drop counters) and the panic on a
//! poll after completion. See src/future/.

mod common;
use common::{LIMIT, within};
use std::cell::Cell;
use std::future::Future;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use async_primer::future::{
    Either, FutureExt, join, join_all, join3, lazy, pending, poll_fn, race, race_ok, ready, select,
};
use futures::executor::block_on;

/// Ready after `k` pending polls (waking itself each time).
fn after<T>(k: usize, value: T) -> impl Future<Output = T> + Unpin {
    let mut left = k;
    let mut value = Some(value);
    poll_fn(move |cx| {
        if left == 0 {
            return Poll::Ready(value.take().expect("polled after completion"));
        }
        left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

/// Counts how many times it was dropped.
#[derive(Clone, Default)]
struct Drops(Rc<Cell<usize>>);
impl Drops {
    fn guard(&self) -> Guard {
        Guard(self.0.clone())
    }
    fn get(&self) -> usize {
        self.0.get()
    }
}
struct Guard(Rc<Cell<usize>>);
impl Drop for Guard {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// Never ready; holds a guard so its drop is visible.
fn pending_guarded<T>(drops: &Drops) -> impl Future<Output = T> + Unpin + use<T> {
    let g = drops.guard();
    poll_fn(move |_| {
        let _keep = &g;
        Poll::Pending
    })
}

fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn simple_futures() {
    within(LIMIT, || {
        assert_eq!(block_on(ready(1)), 1);
        assert_eq!(block_on(after(3, "x")), "x");
        let mut p = pending::<u8>();
        for _ in 0..5 {
            assert_eq!(poll_once(&mut p), Poll::Pending);
        }
        let ran = Cell::new(0);
        let l = lazy(|_| ran.set(ran.get() + 1));
        assert_eq!(ran.get(), 0, "lazy: nothing runs before the first poll");
        block_on(l);
        assert_eq!(ran.get(), 1);
    })
}

#[test]
fn map_then_inspect_are_lazy_and_compose() {
    within(LIMIT, || {
        let calls = Cell::new(0);
        let f = after(2, 10)
            .map(|x| {
                calls.set(calls.get() + 1);
                x + 1
            })
            .then(|x| after(1, x * 2))
            .inspect(|x| assert_eq!(*x, 22));
        assert_eq!(calls.get(), 0);
        assert_eq!(block_on(f), 22);
        assert_eq!(calls.get(), 1);
    })
}

#[test]
fn result_adapters() {
    within(LIMIT, || {
        let called = Cell::new(false);
        let ok = ready(Ok::<u8, String>(1)).and_then(|x| after(1, Ok(x + 1)));
        assert_eq!(block_on(ok), Ok(2));
        let err = ready(Err::<u8, String>("e".into())).and_then(|x| {
            called.set(true);
            ready(Ok(x))
        });
        assert_eq!(block_on(err), Err("e".to_string()));
        assert!(!called.get(), "and_then short-circuits on Err");
        let rec = after(1, Err::<u8, u8>(4)).or_else(|e| ready(Ok::<u8, ()>(e * 2)));
        assert_eq!(block_on(rec), Ok(8));
        let pass = ready(Ok::<u8, u8>(1)).or_else(|_| -> std::future::Ready<Result<u8, ()>> {
            unreachable!("or_else skips Ok")
        });
        assert_eq!(block_on(pass), Ok(1));
        assert_eq!(block_on(ready(Err::<(), u8>(1)).map_err(|e| e + 1)), Err(2));
        assert_eq!(block_on(ready(Ok::<u8, u8>(1)).map_err(|e| e + 1)), Ok(1));
    })
}

#[test]
fn then_dropped_during_the_first_future_never_builds_the_second() {
    let drops = Drops::default();
    let built = Cell::new(false);
    let g = drops.guard();
    let mut f = pending_guarded::<u8>(&drops).then(move |_| {
        let _g = g;
        built.set(true);
        ready(())
    });
    assert!(poll_once(&mut f).is_pending());
    drop(f);
    // The first future and the closure's capture: both dropped, once.
    assert_eq!(drops.get(), 2);
}

#[test]
fn fuse_is_pending_after_completion_and_drops_the_inner_future_early() {
    let drops = Drops::default();
    let g = drops.guard();
    let mut f = pin!(
        ready(5)
            .map(move |x| {
                let _keep = &g;
                x
            })
            .fuse()
    );
    let mut cx = Context::from_waker(Waker::noop());
    assert!(!f.is_terminated());
    assert_eq!(f.as_mut().poll(&mut cx), Poll::Ready(5));
    assert!(f.is_terminated());
    assert_eq!(
        drops.get(),
        1,
        "the finished inner future was dropped at once"
    );
    assert_eq!(f.as_mut().poll(&mut cx), Poll::Pending);
    assert_eq!(f.as_mut().poll(&mut cx), Poll::Pending);
}

#[test]
fn boxed_and_boxed_local() {
    within(LIMIT, || {
        let v: Vec<async_primer::future::BoxFuture<'static, u8>> = vec![
            ready(1).boxed(),
            async { 2 }.boxed(),
            after(2, 3).map(|x| x).boxed(),
        ];
        assert_eq!(block_on(join_all(v)), vec![1, 2, 3]);
        let rc = Rc::new(4);
        let f = async move { *rc }.boxed_local();
        assert_eq!(block_on(f), 4);
    })
}

#[test]
fn catch_unwind_turns_a_panic_into_err() {
    within(LIMIT, || {
        let ok = block_on(after(1, 1).catch_unwind());
        assert_eq!(ok.unwrap(), 1);
        let err = block_on(lazy(|_| -> u8 { panic!("inside") }).catch_unwind()).unwrap_err();
        assert_eq!(err.downcast_ref::<&str>(), Some(&"inside"));
    })
}

#[test]
fn join_join3_and_the_macro() {
    within(LIMIT, || {
        assert_eq!(block_on(join(after(3, 1), after(1, 'b'))), (1, 'b'));
        assert_eq!(
            block_on(join3(after(1, 1), ready(2), after(4, 3))),
            (1, 2, 3)
        );
        let out = block_on(async {
            async_primer::join!(
                after(2, 1u8),
                ready("two"),
                after(1, 3.5f32),
                async { 'd' },
                ready(())
            )
        });
        assert_eq!(out, (1, "two", 3.5, 'd', ()));
        let single = block_on(async { async_primer::join!(after(1, 9)) });
        assert_eq!(single, (9,));
    })
}

#[test]
fn join_drops_finished_futures_early_and_the_rest_on_cancel() {
    let drops = Drops::default();
    let g = drops.guard();
    let fast = ready(1).map(move |x| {
        let _keep = &g;
        x
    });
    let mut j = Box::pin(join(fast, pending_guarded::<u8>(&drops)));
    assert!(
        j.as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending()
    );
    assert_eq!(
        drops.get(),
        1,
        "the finished one is dropped when it finishes"
    );
    drop(j);
    assert_eq!(drops.get(), 2, "the running one is dropped with the join");
}

#[test]
fn select_first_wins_loser_can_be_resumed() {
    within(LIMIT, || {
        match block_on(select(after(3, "slow"), after(1, "fast"))) {
            Either::Right((winner, slow)) => {
                assert_eq!(winner, "fast");
                assert_eq!(block_on(slow), "slow", "the loser resumes where it stopped");
            }
            Either::Left(_) => panic!("the slow one won"),
        }
        // Ties go to the first argument.
        assert!(matches!(
            block_on(select(ready(1), ready(2))),
            Either::Left((1, _))
        ));
    })
}

#[test]
fn select_drops_nothing_itself_but_dropping_it_cancels_both() {
    within(LIMIT, || {
        let drops = Drops::default();
        let out = block_on(select(ready(1), pending_guarded::<u8>(&drops)));
        assert_eq!(drops.get(), 0, "the loser is handed back, not dropped");
        drop(out);
        assert_eq!(drops.get(), 1);
        let mut s = select(pending_guarded::<u8>(&drops), pending_guarded::<u8>(&drops));
        assert!(poll_once(&mut s).is_pending());
        drop(s);
        assert_eq!(drops.get(), 3);
    })
}

#[test]
fn race_first_finished_wins_losers_dropped() {
    within(LIMIT, || {
        let drops = Drops::default();
        let futs: Vec<async_primer::future::LocalBoxFuture<'static, u8>> = vec![
            Box::pin(pending_guarded(&drops)),
            Box::pin(after(2, 2)),
            Box::pin(after(1, 1)),
            Box::pin(pending_guarded(&drops)),
        ];
        assert_eq!(block_on(race(futs)), 1);
        assert_eq!(drops.get(), 2);
    })
}

#[test]
fn race_of_nothing_is_pending_forever() {
    let mut r = race(Vec::<std::future::Ready<u8>>::new());
    for _ in 0..10 {
        assert_eq!(poll_once(&mut r), Poll::Pending);
    }
}

#[test]
fn race_ok_first_ok_or_all_errors_in_order() {
    within(LIMIT, || {
        let oks = vec![
            after(1, Err("a")),
            after(3, Ok(3)),
            after(2, Ok(2)),
            after(0, Err("d")),
        ];
        assert_eq!(block_on(race_ok(oks)), Ok(2));
        let errs = vec![
            after(2, Err::<u8, _>("a")),
            after(0, Err("b")),
            after(1, Err("c")),
        ];
        assert_eq!(block_on(race_ok(errs)), Err(vec!["a", "b", "c"]));
    })
}

#[test]
fn race_ok_of_nothing_fails_at_once() {
    let mut r = race_ok(Vec::<std::future::Ready<Result<u8, ()>>>::new());
    assert_eq!(poll_once(&mut r), Poll::Ready(Err(vec![])));
}

#[test]
fn race_ok_drops_failed_futures_as_they_fail_and_losers_at_the_end() {
    let drops = Drops::default();
    let g = drops.guard();
    let failing = ready(Err::<u8, &str>("no")).map(move |r| {
        let _keep = &g;
        r
    });
    let mut futs: Vec<async_primer::future::LocalBoxFuture<'static, Result<u8, &str>>> =
        vec![Box::pin(failing), Box::pin(pending_guarded(&drops))];
    let mut r = race_ok(std::mem::take(&mut futs));
    assert!(poll_once(&mut r).is_pending());
    assert_eq!(drops.get(), 1, "the failed one is already dropped");
    drop(r);
    assert_eq!(drops.get(), 2);
}

#[test]
fn either_is_a_future() {
    within(LIMIT, || {
        let f: Either<_, std::future::Ready<u8>> = Either::Left(after(1, 3u8));
        assert_eq!(block_on(f), 3);
        assert_eq!(Either::<u8, u8>::Right(2).right(), Some(2));
    })
}

fn assert_panics_after_completion<F: Future + Unpin>(mut f: F, name: &str) {
    let mut cx = Context::from_waker(Waker::noop());
    while Pin::new(&mut f).poll(&mut cx).is_pending() {}
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = Pin::new(&mut f).poll(&mut cx);
    }))
    .expect_err("a second poll must panic");
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap();
    assert!(
        msg.contains(&format!("`{name}` polled after completion")),
        "{msg}"
    );
}

#[test]
fn every_combinator_panics_clearly_when_polled_after_completion() {
    assert_panics_after_completion(ready(1), "ready");
    assert_panics_after_completion(lazy(|_| 1), "lazy");
    assert_panics_after_completion(ready(1).map(|x| x), "map");
    assert_panics_after_completion(Box::pin(ready(1).then(ready)), "then");
    assert_panics_after_completion(
        Box::pin(ready(Ok::<u8, u8>(1)).and_then(|x| ready(Ok(x)))),
        "and_then",
    );
    assert_panics_after_completion(
        Box::pin(ready(Err::<u8, u8>(1)).or_else(|x| ready(Ok::<u8, u8>(x)))),
        "or_else",
    );
    assert_panics_after_completion(ready(Err::<u8, u8>(1)).map_err(|x| x), "map_err");
    assert_panics_after_completion(ready(1).inspect(|_| {}), "inspect");
    assert_panics_after_completion(Box::pin(ready(1).catch_unwind()), "catch_unwind");
    assert_panics_after_completion(Box::pin(join(ready(1), ready(2))), "join");
    assert_panics_after_completion(Box::pin(join3(ready(1), ready(2), ready(3))), "join");
    assert_panics_after_completion(select(ready(1), ready(2)), "select");
    assert_panics_after_completion(race(vec![ready(1)]), "race");
    assert_panics_after_completion(race_ok(vec![ready(Ok::<u8, u8>(1))]), "race_ok");
    assert_panics_after_completion(join_all(vec![ready(1)]), "join_all");
    assert_panics_after_completion(
        async_primer::future::try_join_all(vec![ready(Ok::<u8, u8>(1))]),
        "try_join_all",
    );
}

#[test]
fn timeout_reaches_the_executor_clock_and_drops_the_late_future() {
    within(LIMIT, || {
        use async_primer::executor::Executor;
        use std::time::Duration;
        let drops = Drops::default();
        let ex = Executor::builder().virtual_time().build();
        let (late, quick) = ex.block_on(async {
            let late = pending_guarded::<u8>(&drops)
                .timeout(Duration::from_secs(3))
                .await;
            let quick = after(2, 5u8).timeout(Duration::from_secs(3)).await;
            (late, quick)
        });
        assert!(late.is_err());
        assert_eq!(drops.get(), 1, "the timed-out future was dropped");
        assert_eq!(quick, Ok(5));
    })
}
