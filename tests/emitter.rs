//! Integration tests for `EventEmitter` and `EventEmitter::next`, one per
//! rule in the emitter's docs. Random sequences against a model of Node's
//! rules are in `tests/emitter_prop.rs`; interleavings in
//! `tests/loom_callback.rs`.

mod common;
use async_primer::callback::{EventEmitter, ListenerId};
use common::{LIMIT, within};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::default()
}

/// A listener that appends `name:event` to the log.
fn say(log: &Log, name: &'static str) -> impl Fn(&u32) + Send + Sync + 'static {
    let log = log.clone();
    move |e| log.lock().unwrap().push(format!("{name}:{e}"))
}

fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    (counter.clone(), Waker::from(counter))
}

fn poll_once<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

#[test]
fn listeners_run_in_registration_order_and_prepend_goes_first() {
    let e = EventEmitter::<u32>::new();
    let l = log();
    e.on(say(&l, "a"));
    e.on(say(&l, "b"));
    e.prepend(say(&l, "p"));
    e.prepend_once(say(&l, "po"));
    assert_eq!(e.emit(1), 4);
    assert_eq!(take(&l), ["po:1", "p:1", "a:1", "b:1"]);
    assert_eq!(e.emit(2), 3);
    assert_eq!(take(&l), ["p:2", "a:2", "b:2"]);
}

#[test]
fn once_runs_once_and_then_off_reports_false() {
    let e = EventEmitter::<u32>::new();
    let l = log();
    let id = e.once(say(&l, "o"));
    assert_eq!(e.emit(1), 1);
    assert_eq!(e.emit(2), 0);
    assert_eq!(take(&l), ["o:1"]);
    assert!(!e.off(id), "a fired once listener is already removed");
}

#[test]
fn off_removes_only_its_own_registration() {
    let e = EventEmitter::<u32>::new();
    let l = log();
    let a = e.on(say(&l, "a"));
    e.on(say(&l, "b"));
    assert!(e.off(a));
    assert!(!e.off(a));
    assert_eq!(e.emit(1), 1);
    assert_eq!(take(&l), ["b:1"]);
    assert_eq!(e.listener_count(), 1);
}

#[test]
fn listener_added_during_emit_is_not_called_by_it() {
    let e = Arc::new(EventEmitter::<u32>::new());
    let l = log();
    let (weak, l2) = (Arc::downgrade(&e), l.clone());
    e.once(move |_| {
        weak.upgrade().unwrap().on(say(&l2, "late"));
    });
    assert_eq!(e.emit(1), 1);
    assert!(take(&l).is_empty());
    assert_eq!(e.emit(2), 1);
    assert_eq!(take(&l), ["late:2"]);
}

#[test]
fn listener_removed_during_emit_is_still_called_by_it() {
    let e = Arc::new(EventEmitter::<u32>::new());
    let l = log();
    let victim: Arc<Mutex<Option<ListenerId>>> = Arc::default();
    let (weak, v) = (Arc::downgrade(&e), victim.clone());
    e.on(move |_| {
        if let Some(id) = v.lock().unwrap().take() {
            assert!(weak.upgrade().unwrap().off(id));
        }
    });
    *victim.lock().unwrap() = Some(e.on(say(&l, "victim")));
    assert_eq!(e.emit(1), 2, "still called in this emit");
    assert_eq!(take(&l), ["victim:1"]);
    assert_eq!(e.emit(2), 1);
    assert!(take(&l).is_empty(), "gone from the next one");
}

#[test]
fn removed_once_listener_is_still_called_by_the_running_emit() {
    // Node: removing a once listener during an emit that already holds it
    // in its snapshot does not stop that emit from calling it.
    let e = Arc::new(EventEmitter::<u32>::new());
    let l = log();
    let victim: Arc<Mutex<Option<ListenerId>>> = Arc::default();
    let (weak, v) = (Arc::downgrade(&e), victim.clone());
    e.on(move |_| {
        if let Some(id) = v.lock().unwrap().take() {
            weak.upgrade().unwrap().off(id);
        }
    });
    *victim.lock().unwrap() = Some(e.once(say(&l, "o")));
    assert_eq!(e.emit(1), 2);
    assert_eq!(take(&l), ["o:1"]);
}

#[test]
fn remove_all_during_emit_still_finishes_the_emit() {
    let e = Arc::new(EventEmitter::<u32>::new());
    let l = log();
    let weak = Arc::downgrade(&e);
    e.on(move |_| weak.upgrade().unwrap().remove_all());
    e.on(say(&l, "b"));
    assert_eq!(e.emit(1), 2);
    assert_eq!(take(&l), ["b:1"]);
    assert_eq!(e.listener_count(), 0);
    assert_eq!(e.emit(2), 0);
}

#[test]
fn reentrant_emit_inside_a_listener_sees_the_current_list() {
    let e = Arc::new(EventEmitter::<u32>::new());
    let l = log();
    let (weak, l2) = (Arc::downgrade(&e), l.clone());
    e.on(move |n| {
        l2.lock().unwrap().push(format!("outer:{n}"));
        if *n == 0 {
            let e = weak.upgrade().unwrap();
            e.on(say(&l2, "new"));
            assert_eq!(e.emit(1), 3, "the nested emit sees the new listener");
        }
    });
    e.once(say(&l, "once"));
    // The outer emit's snapshot holds the once listener too, but the nested
    // emit claimed it first: once means once, and the outer emit counts 1.
    assert_eq!(e.emit(0), 1);
    assert_eq!(take(&l), ["outer:0", "outer:1", "once:1", "new:1"]);
}

#[test]
fn panicking_listener_propagates_and_leaves_the_emitter_usable() {
    let e = EventEmitter::<u32>::new();
    let l = log();
    e.on(say(&l, "a"));
    e.on(|n| {
        if *n == 1 {
            panic!("listener bug");
        }
    });
    e.on(say(&l, "c"));
    let caught = catch_unwind(AssertUnwindSafe(|| e.emit(1)));
    assert_eq!(
        *caught.unwrap_err().downcast::<&str>().unwrap(),
        "listener bug"
    );
    assert_eq!(take(&l), ["a:1"], "the ones after the panic did not run");
    assert_eq!(e.listener_count(), 3, "no listener lost");
    assert_eq!(e.emit(2), 3, "usable, not poisoned");
    assert_eq!(take(&l), ["a:2", "c:2"]);
    e.on(say(&l, "d"));
    assert_eq!(e.listener_count(), 4);
}

#[test]
fn panicking_once_listener_counts_as_consumed() {
    let e = EventEmitter::<u32>::new();
    e.once(|_| panic!("once bug"));
    assert!(catch_unwind(AssertUnwindSafe(|| e.emit(1))).is_err());
    assert_eq!(e.listener_count(), 0);
    assert_eq!(e.emit(2), 0);
}

#[test]
fn emits_from_many_threads() {
    within(LIMIT, || {
        let threads = if cfg!(miri) { 2 } else { 8 };
        let per_thread = if cfg!(miri) { 5 } else { 200 };
        let e = Arc::new(EventEmitter::<u32>::new());
        let total = Arc::new(AtomicUsize::new(0));
        let once = Arc::new(AtomicUsize::new(0));
        let t = total.clone();
        e.on(move |n| {
            t.fetch_add(*n as usize, Ordering::SeqCst);
        });
        let o = once.clone();
        e.once(move |_| {
            o.fetch_add(1, Ordering::SeqCst);
        });
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let e = e.clone();
                thread::spawn(move || (0..per_thread).map(|_| e.emit(1)).sum::<usize>())
            })
            .collect();
        let ran: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(total.load(Ordering::SeqCst), threads * per_thread);
        assert_eq!(once.load(Ordering::SeqCst), 1);
        assert_eq!(ran, threads * per_thread + 1);
    })
}

#[test]
fn emitter_is_send_and_sync_for_any_event_type() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<EventEmitter<u32>>();
    assert_send_sync::<EventEmitter<std::rc::Rc<u32>>>();
}

#[test]
fn leak_warning_is_given_once_past_the_limit() {
    let e = EventEmitter::<u32>::new();
    let warnings = log();
    let w = warnings.clone();
    e.set_leak_warning_hook(move |m| w.lock().unwrap().push(m.to_string()));
    assert_eq!(e.max_listeners(), 10);
    for _ in 0..10 {
        e.on(|_| {});
    }
    assert!(take(&warnings).is_empty(), "10 is within the limit");
    e.on(|_| {});
    e.on(|_| {});
    let got = take(&warnings);
    assert_eq!(got.len(), 1, "one warning, however many more");
    assert!(
        got[0].contains("11 listeners added, the limit is 10"),
        "{}",
        got[0]
    );
    assert_eq!(e.listener_count(), 12, "a warning, not a refusal");
}

#[test]
fn zero_means_no_listener_limit() {
    let e = EventEmitter::<u32>::new();
    let warnings = log();
    let w = warnings.clone();
    e.set_leak_warning_hook(move |m| w.lock().unwrap().push(m.to_string()));
    e.set_max_listeners(0);
    for _ in 0..20 {
        e.on(|_| {});
    }
    assert!(take(&warnings).is_empty());
}

#[test]
fn warning_hook_may_use_the_emitter() {
    let e = Arc::new(EventEmitter::<u32>::new());
    e.set_max_listeners(1);
    let seen = Arc::new(AtomicUsize::new(0));
    let (weak, s) = (Arc::downgrade(&e), seen.clone());
    e.set_leak_warning_hook(move |_| {
        // No lock is held while the hook runs.
        s.store(weak.upgrade().unwrap().listener_count(), Ordering::SeqCst);
    });
    e.on(|_| {});
    e.on(|_| {});
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}

/// Calls into the emitter from its `Drop`: deadlocks if dropped under the lock.
struct TouchOnDrop(Weak<EventEmitter<u32>>, Arc<AtomicUsize>);

impl Drop for TouchOnDrop {
    fn drop(&mut self) {
        if let Some(e) = self.0.upgrade() {
            self.1.store(e.listener_count() + 100, Ordering::SeqCst);
        }
    }
}

#[test]
fn removed_listeners_are_dropped_outside_the_lock() {
    let e = Arc::new(EventEmitter::<u32>::new());
    let probe = Arc::new(AtomicUsize::new(0));
    let touch = TouchOnDrop(Arc::downgrade(&e), probe.clone());
    let id = e.on(move |_| {
        let _keep = &touch;
    });
    assert!(e.off(id));
    assert_eq!(probe.load(Ordering::SeqCst), 100, "dropped, and could lock");
    let touch = TouchOnDrop(Arc::downgrade(&e), probe.clone());
    e.once(move |_| {
        let _keep = &touch;
    });
    e.emit(1);
    assert_eq!(probe.load(Ordering::SeqCst), 100);
}

#[test]
fn remove_all_and_debug() {
    let e = EventEmitter::<u32>::default();
    e.on(|_| {});
    e.once(|_| {});
    assert_eq!(
        format!("{e:?}"),
        "EventEmitter { listeners: 2, max_listeners: 10 }"
    );
    e.remove_all();
    assert_eq!(e.listener_count(), 0);
    assert_eq!(e.emit(1), 0);
}

// ---- next() -----------------------------------------------------------

#[test]
fn next_resolves_with_the_next_event() {
    let e = Arc::new(EventEmitter::<u32>::new());
    let (counter, waker) = counting_waker();
    let mut next = e.next();
    assert_eq!(poll_once(&mut next, &waker), Poll::Pending);
    assert_eq!(e.emit(3), 1);
    assert_eq!(counter.0.load(Ordering::SeqCst), 1, "woken once");
    assert_eq!(poll_once(&mut next, &waker), Poll::Ready(Some(3)));
    assert_eq!(e.emit(4), 0, "only the next event");
}

#[test]
fn next_keeps_an_event_emitted_before_the_first_poll() {
    let e = EventEmitter::<u32>::new();
    let mut next = e.next();
    e.emit(9);
    e.emit(10);
    let (counter, waker) = counting_waker();
    assert_eq!(poll_once(&mut next, &waker), Poll::Ready(Some(9)));
    assert_eq!(counter.0.load(Ordering::SeqCst), 0);
}

#[test]
fn next_wakes_the_latest_waker() {
    let e = EventEmitter::<u32>::new();
    let mut next = e.next();
    let (a, waker_a) = counting_waker();
    let (b, waker_b) = counting_waker();
    assert!(poll_once(&mut next, &waker_a).is_pending());
    assert!(poll_once(&mut next, &waker_b).is_pending());
    e.emit(1);
    assert_eq!(a.0.load(Ordering::SeqCst), 0);
    assert_eq!(b.0.load(Ordering::SeqCst), 1);
}

#[test]
fn dropping_next_unsubscribes() {
    let e = EventEmitter::<u32>::new();
    let next = e.next();
    assert_eq!(e.listener_count(), 1);
    drop(next);
    assert_eq!(e.listener_count(), 0);
    assert_eq!(e.emit(1), 0);
}

#[test]
fn next_resolves_to_none_when_its_listener_is_removed() {
    let e = EventEmitter::<u32>::new();
    let (counter, waker) = counting_waker();
    let mut next = e.next();
    assert!(poll_once(&mut next, &waker).is_pending());
    e.remove_all();
    assert_eq!(
        counter.0.load(Ordering::SeqCst),
        1,
        "woken, not left hanging"
    );
    assert_eq!(poll_once(&mut next, &waker), Poll::Ready(None));
}

#[test]
fn next_polled_after_completion_panics() {
    let e = EventEmitter::<u32>::new();
    let (_, waker) = counting_waker();
    let mut next = e.next();
    e.emit(1);
    assert_eq!(poll_once(&mut next, &waker), Poll::Ready(Some(1)));
    let caught = catch_unwind(AssertUnwindSafe(|| poll_once(&mut next, &waker)));
    let payload = caught.unwrap_err();
    let message = payload.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(message.contains("polled after it completed"), "{message}");
}

#[test]
fn next_across_threads_with_block_on() {
    within(LIMIT, || {
        let e = Arc::new(EventEmitter::<String>::new());
        let next = e.next();
        let e2 = e.clone();
        let emitter_thread = thread::spawn(move || e2.emit("posted".to_string()));
        assert_eq!(
            futures::executor::block_on(next),
            Some("posted".to_string())
        );
        assert_eq!(emitter_thread.join().unwrap(), 1);
    })
}

#[test]
fn several_next_futures_each_get_the_event_in_order() {
    within(LIMIT, || {
        let e = EventEmitter::<u32>::new();
        let l = log();
        e.on(say(&l, "a"));
        let first = e.next();
        let second = e.next();
        assert_eq!(e.emit(5), 3);
        assert_eq!(futures::executor::block_on(first), Some(5));
        assert_eq!(futures::executor::block_on(second), Some(5));
        assert_eq!(take(&l), ["a:5"]);
    })
}
