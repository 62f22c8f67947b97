//! Integration tests for the callback layer: the completion, error-first
//! callbacks, `promisify` and `callbackify`. (The emitter is in
//! `tests/emitter.rs`; interleavings are in `tests/loom_callback.rs`.)

mod common;
use async_primer::callback::{Callback, Outcome, callbackify, completion, promisify};
use async_primer::testing::{counting_waker, poll_with};
use common::{LIMIT, within};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::Poll;
use std::thread;

/// Counts its drops.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else {
        String::from("<non-string panic>")
    }
}

// ---- completion -------------------------------------------------------

#[test]
fn value_first_then_callback_runs_on_registering_thread() {
    let (completer, completion) = completion::<u32>();
    completer.complete(5).unwrap();
    let (tx, rx) = mpsc::channel();
    let registering = thread::current().id();
    completion.on_complete(move |o| tx.send((o, thread::current().id())).unwrap());
    let (outcome, ran_on) = rx.try_recv().expect("ran before on_complete returned");
    assert_eq!(outcome, Outcome::Value(5));
    assert_eq!(ran_on, registering);
}

#[test]
fn callback_first_then_value_runs_on_completing_thread() {
    within(LIMIT, || {
        let (completer, completion) = completion::<u32>();
        let (tx, rx) = mpsc::channel();
        completion.on_complete(move |o| tx.send((o, thread::current().id())).unwrap());
        assert!(rx.try_recv().is_err(), "nothing yet");
        let producer = thread::spawn(move || {
            completer.complete(8).unwrap();
            thread::current().id()
        });
        let producer_id = producer.join().unwrap();
        let (outcome, ran_on) = rx.recv().unwrap();
        assert_eq!(outcome, Outcome::Value(8));
        assert_eq!(ran_on, producer_id);
    })
}

#[test]
fn dropped_producer_reports_cancelled_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let (completer, completion) = completion::<u32>();
    let c = calls.clone();
    completion.on_complete(move |o| {
        assert_eq!(o, Outcome::Cancelled);
        c.fetch_add(1, Ordering::SeqCst);
    });
    drop(completer);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn dropped_producer_before_registration_reports_cancelled() {
    let (completer, completion) = completion::<u32>();
    drop(completer);
    let (tx, rx) = mpsc::channel();
    completion.on_complete(move |o| tx.send(o).unwrap());
    assert_eq!(rx.try_recv().unwrap(), Outcome::Cancelled);
}

#[test]
fn dropped_consumer_hands_value_back() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (completer, completion) = completion::<Tracked>();
    assert!(!completer.is_cancelled());
    drop(completion);
    assert!(completer.is_cancelled());
    let back = completer.complete(Tracked(drops.clone())).unwrap_err();
    assert_eq!(drops.load(Ordering::SeqCst), 0, "handed back alive");
    drop(back);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn consumer_dropped_after_value_drops_it_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (completer, completion) = completion::<Tracked>();
    completer.complete(Tracked(drops.clone())).ok().unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 0, "waiting for a callback");
    drop(completion);
    assert_eq!(drops.load(Ordering::SeqCst), 1, "dropped, not leaked");
}

#[test]
fn callback_and_value_are_dropped_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (completer, completion) = completion::<Tracked>();
    let captured = Tracked(drops.clone());
    completion.on_complete(move |o| {
        let _keep = &captured;
        drop(o);
    });
    completer.complete(Tracked(drops.clone())).ok().unwrap();
    assert_eq!(
        drops.load(Ordering::SeqCst),
        2,
        "value and callback's capture"
    );
}

#[test]
fn panicking_callback_reaches_the_completing_thread() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (completer, completion) = completion::<Tracked>();
    completion.on_complete(|_| panic!("callback bug"));
    let caught = catch_unwind(AssertUnwindSafe(move || {
        let _ = completer.complete(Tracked(drops.clone()));
    }));
    assert_eq!(panic_message(caught.unwrap_err()), "callback bug");
}

#[test]
fn many_completions_across_threads() {
    within(LIMIT, || {
        let n = if cfg!(miri) { 8 } else { 500 };
        let total = Arc::new(AtomicUsize::new(0));
        let mut producers = Vec::new();
        for i in 0..n {
            let (completer, completion) = completion::<usize>();
            let t = total.clone();
            completion.on_complete(move |o| {
                t.fetch_add(o.into_value().unwrap(), Ordering::SeqCst);
            });
            producers.push(thread::spawn(move || completer.complete(i).unwrap()));
        }
        for p in producers {
            p.join().unwrap();
        }
        assert_eq!(total.load(Ordering::SeqCst), n * (n - 1) / 2);
    })
}

#[test]
fn completion_handles_are_send_and_debug() {
    fn assert_send<T: Send>(_: &T) {}
    let (completer, completion) = completion::<u8>();
    assert_send(&completer);
    assert_send(&completion);
    assert_eq!(format!("{completer:?}"), "Completer { cancelled: false }");
    assert_eq!(format!("{completion:?}"), "Completion { .. }");
}

#[test]
fn outcome_helpers() {
    assert_eq!(Outcome::Value("x").into_value(), Some("x"));
    assert_eq!(Outcome::<u8>::Cancelled.into_value(), None);
    assert!(Outcome::<u8>::Cancelled.is_cancelled());
    assert!(!Outcome::Value(1).is_cancelled());
}

// ---- promisify --------------------------------------------------------

#[test]
fn promisify_is_lazy() {
    within(LIMIT, || {
        let started = Arc::new(AtomicUsize::new(0));
        let s = started.clone();
        let fut = promisify(move |cb: Callback<u8, ()>| {
            s.fetch_add(1, Ordering::SeqCst);
            cb(Ok(1));
        });
        assert_eq!(
            started.load(Ordering::SeqCst),
            0,
            "not started by promisify"
        );
        assert_eq!(futures::executor::block_on(fut), Ok(1));
        assert_eq!(started.load(Ordering::SeqCst), 1, "started exactly once");
    })
}

#[test]
fn promisify_synchronous_callback_is_ready_on_first_poll() {
    let (waker, counter) = counting_waker();
    let mut fut = promisify(|cb: Callback<&str, String>| cb(Err("nope".into())));
    assert_eq!(
        poll_with(&mut fut, &waker),
        Poll::Ready(Err("nope".to_string()))
    );
    assert_eq!(counter.woken(), 0, "no needless wake-up");
}

#[test]
fn promisify_callback_from_another_thread() {
    within(LIMIT, || {
        let fut = promisify(|cb: Callback<u32, String>| {
            thread::spawn(move || cb(Ok(40 + 2)));
        });
        assert_eq!(futures::executor::block_on(fut), Ok(42));
    })
}

#[test]
fn promisify_wakes_the_latest_waker_once() {
    let parked: Arc<Mutex<Option<Callback<u8, ()>>>> = Arc::default();
    let p = parked.clone();
    let mut fut = promisify(move |cb| *p.lock().unwrap() = Some(cb));
    let (waker_a, first) = counting_waker();
    let (waker_b, second) = counting_waker();
    assert_eq!(poll_with(&mut fut, &waker_a), Poll::Pending);
    assert_eq!(poll_with(&mut fut, &waker_b), Poll::Pending);
    let cb = parked
        .lock()
        .unwrap()
        .take()
        .expect("the op kept its callback");
    cb(Ok(3));
    assert_eq!(first.woken(), 0, "the old waker is not used");
    assert_eq!(second.woken(), 1, "the new one, once");
    assert_eq!(poll_with(&mut fut, &waker_b), Poll::Ready(Ok(3)));
}

#[test]
fn promisify_dropped_callback_panics_instead_of_hanging() {
    within(LIMIT, || {
        let fut = promisify(|cb: Callback<u8, ()>| drop(cb));
        let caught = catch_unwind(AssertUnwindSafe(|| futures::executor::block_on(fut)));
        let message = panic_message(caught.unwrap_err());
        assert!(message.contains("dropped its callback"), "{message}");
    })
}

#[test]
fn promisify_callback_dropped_later_on_another_thread_panics() {
    within(LIMIT, || {
        let fut = promisify(|cb: Callback<u8, ()>| {
            thread::spawn(move || drop(cb));
        });
        let caught = catch_unwind(AssertUnwindSafe(|| futures::executor::block_on(fut)));
        assert!(panic_message(caught.unwrap_err()).contains("dropped its callback"));
    })
}

#[test]
fn promisify_future_dropped_before_the_callback() {
    let drops = Arc::new(AtomicUsize::new(0));
    let parked: Arc<Mutex<Option<Callback<Tracked, ()>>>> = Arc::default();
    let p = parked.clone();
    let mut fut = promisify(move |cb| *p.lock().unwrap() = Some(cb));
    let (waker, _) = counting_waker();
    assert!(poll_with(&mut fut, &waker).is_pending());
    drop(fut);
    let cb = parked.lock().unwrap().take().unwrap();
    cb(Ok(Tracked(drops.clone()))); // nobody is waiting: no panic
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the result is dropped, not leaked"
    );
}

#[test]
fn promisify_polled_after_completion_panics() {
    let (waker, _) = counting_waker();
    let mut fut = promisify(|cb: Callback<u8, ()>| cb(Ok(1)));
    assert_eq!(poll_with(&mut fut, &waker), Poll::Ready(Ok(1)));
    let caught = catch_unwind(AssertUnwindSafe(|| poll_with(&mut fut, &waker)));
    assert!(panic_message(caught.unwrap_err()).contains("polled after it completed"));
}

#[test]
fn promisify_debug_shows_progress() {
    let (waker, _) = counting_waker();
    let mut fut = promisify(|cb: Callback<u8, ()>| cb(Ok(1)));
    assert_eq!(
        format!("{fut:?}"),
        "Promisified { started: false, finished: false }"
    );
    let _ = poll_with(&mut fut, &waker);
    assert_eq!(
        format!("{fut:?}"),
        "Promisified { started: true, finished: true }"
    );
}

// ---- callbackify ------------------------------------------------------

#[test]
fn callbackify_delivers_ok_and_err() {
    within(LIMIT, || {
        let (tx, rx) = mpsc::channel();
        let t = tx.clone();
        futures::executor::block_on(callbackify(async { Ok::<u8, String>(1) }, move |r| {
            t.send(r).unwrap()
        }));
        futures::executor::block_on(callbackify(
            async { Err::<u8, _>("bad".to_string()) },
            move |r| tx.send(r).unwrap(),
        ));
        assert_eq!(rx.recv().unwrap(), Ok(1));
        assert_eq!(rx.recv().unwrap(), Err("bad".to_string()));
    })
}

#[test]
fn callbackify_does_nothing_until_driven() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let delivery = callbackify(async { Ok::<_, ()>(()) }, move |_| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    drop(delivery);
    assert_eq!(calls.load(Ordering::SeqCst), 0, "dropped uncalled");
}

#[test]
fn callbackify_driven_on_another_thread() {
    within(LIMIT, || {
        let (tx, rx) = mpsc::channel();
        let delivery = callbackify(async { "7".parse::<u8>() }, move |r| {
            tx.send((r, thread::current().id())).unwrap()
        });
        let driver = thread::spawn(move || {
            futures::executor::block_on(delivery);
            thread::current().id()
        });
        let driver_id = driver.join().unwrap();
        let (result, ran_on) = rx.recv().unwrap();
        assert_eq!(result, Ok(7));
        assert_eq!(ran_on, driver_id, "called on the driving thread");
    })
}

#[test]
fn promisify_then_callbackify_round_trip() {
    within(LIMIT, || {
        let (tx, rx) = mpsc::channel();
        let op = |cb: Callback<u32, String>| {
            thread::spawn(move || cb(Ok(10)));
        };
        futures::executor::block_on(callbackify(promisify(op), move |r| tx.send(r).unwrap()));
        assert_eq!(rx.recv().unwrap(), Ok(10));
    })
}
