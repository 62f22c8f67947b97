//! `LocalEventEmitter` (listeners may be `!Send`): the semantics tests of
//! `tests/emitter.rs`, one per rule, on the local emitter (the two share
//! their core, callback/listeners.rs), with `Rc<RefCell<..>>` state where
//! the thread-safe tests use `Arc<Mutex<..>>`; the cross-thread tests are
//! left out (the local emitter is `!Send`), and `Rc` state is tested.

mod common;
use async_primer::callback::{ListenerId, LocalEventEmitter};
use common::{LIMIT, within};
use std::cell::RefCell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

type Log = Rc<RefCell<Vec<String>>>;

fn log() -> Log {
    Rc::default()
}

/// A listener that appends `name:event` to the log.
fn say(log: &Log, name: &'static str) -> impl Fn(&u32) + 'static {
    let log = log.clone();
    move |e| log.borrow_mut().push(format!("{name}:{e}"))
}

fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.borrow_mut())
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
    let e = LocalEventEmitter::<u32>::new();
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
    let e = LocalEventEmitter::<u32>::new();
    let l = log();
    let id = e.once(say(&l, "o"));
    assert_eq!(e.emit(1), 1);
    assert_eq!(e.emit(2), 0);
    assert_eq!(take(&l), ["o:1"]);
    assert!(!e.off(id), "a fired once listener is already removed");
}

#[test]
fn off_removes_only_its_own_registration() {
    let e = LocalEventEmitter::<u32>::new();
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
    let e = Rc::new(LocalEventEmitter::<u32>::new());
    let l = log();
    let (weak, l2) = (Rc::downgrade(&e), l.clone());
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
    let e = Rc::new(LocalEventEmitter::<u32>::new());
    let l = log();
    let victim: Rc<RefCell<Option<ListenerId>>> = Rc::default();
    let (weak, v) = (Rc::downgrade(&e), victim.clone());
    e.on(move |_| {
        if let Some(id) = v.borrow_mut().take() {
            assert!(weak.upgrade().unwrap().off(id));
        }
    });
    *victim.borrow_mut() = Some(e.on(say(&l, "victim")));
    assert_eq!(e.emit(1), 2, "still called in this emit");
    assert_eq!(take(&l), ["victim:1"]);
    assert_eq!(e.emit(2), 1);
    assert!(take(&l).is_empty(), "gone from the next one");
}

#[test]
fn removed_once_listener_is_still_called_by_the_running_emit() {
    // Node: removing a once listener during an emit that already holds it
    // in its snapshot does not stop that emit from calling it.
    let e = Rc::new(LocalEventEmitter::<u32>::new());
    let l = log();
    let victim: Rc<RefCell<Option<ListenerId>>> = Rc::default();
    let (weak, v) = (Rc::downgrade(&e), victim.clone());
    e.on(move |_| {
        if let Some(id) = v.borrow_mut().take() {
            weak.upgrade().unwrap().off(id);
        }
    });
    *victim.borrow_mut() = Some(e.once(say(&l, "o")));
    assert_eq!(e.emit(1), 2);
    assert_eq!(take(&l), ["o:1"]);
}

#[test]
fn remove_all_during_emit_still_finishes_the_emit() {
    let e = Rc::new(LocalEventEmitter::<u32>::new());
    let l = log();
    let weak = Rc::downgrade(&e);
    e.on(move |_| weak.upgrade().unwrap().remove_all());
    e.on(say(&l, "b"));
    assert_eq!(e.emit(1), 2);
    assert_eq!(take(&l), ["b:1"]);
    assert_eq!(e.listener_count(), 0);
    assert_eq!(e.emit(2), 0);
}

#[test]
fn reentrant_emit_inside_a_listener_sees_the_current_list() {
    let e = Rc::new(LocalEventEmitter::<u32>::new());
    let l = log();
    let (weak, l2) = (Rc::downgrade(&e), l.clone());
    e.on(move |n| {
        l2.borrow_mut().push(format!("outer:{n}"));
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
    let e = LocalEventEmitter::<u32>::new();
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
    let e = LocalEventEmitter::<u32>::new();
    e.once(|_| panic!("once bug"));
    assert!(catch_unwind(AssertUnwindSafe(|| e.emit(1))).is_err());
    assert_eq!(e.listener_count(), 0);
    assert_eq!(e.emit(2), 0);
}

#[test]
fn leak_warning_is_given_once_past_the_limit() {
    let e = LocalEventEmitter::<u32>::new();
    let warnings = log();
    let w = warnings.clone();
    e.set_leak_warning_hook(move |m| w.borrow_mut().push(m.to_string()));
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
    let e = LocalEventEmitter::<u32>::new();
    let warnings = log();
    let w = warnings.clone();
    e.set_leak_warning_hook(move |m| w.borrow_mut().push(m.to_string()));
    e.set_max_listeners(0);
    for _ in 0..20 {
        e.on(|_| {});
    }
    assert!(take(&warnings).is_empty());
}

#[test]
fn warning_hook_may_use_the_emitter() {
    let e = Rc::new(LocalEventEmitter::<u32>::new());
    e.set_max_listeners(1);
    let seen = Arc::new(AtomicUsize::new(0));
    let (weak, s) = (Rc::downgrade(&e), seen.clone());
    e.set_leak_warning_hook(move |_| {
        // No lock is held while the hook runs.
        s.store(weak.upgrade().unwrap().listener_count(), Ordering::SeqCst);
    });
    e.on(|_| {});
    e.on(|_| {});
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}

/// Calls into the emitter from its `Drop`: deadlocks if dropped under the lock.
struct TouchOnDrop(std::rc::Weak<LocalEventEmitter<u32>>, Arc<AtomicUsize>);

impl Drop for TouchOnDrop {
    fn drop(&mut self) {
        if let Some(e) = self.0.upgrade() {
            self.1.store(e.listener_count() + 100, Ordering::SeqCst);
        }
    }
}

#[test]
fn removed_listeners_are_dropped_outside_the_lock() {
    let e = Rc::new(LocalEventEmitter::<u32>::new());
    let probe = Arc::new(AtomicUsize::new(0));
    let touch = TouchOnDrop(Rc::downgrade(&e), probe.clone());
    let id = e.on(move |_| {
        let _keep = &touch;
    });
    assert!(e.off(id));
    assert_eq!(probe.load(Ordering::SeqCst), 100, "dropped, and could lock");
    let touch = TouchOnDrop(Rc::downgrade(&e), probe.clone());
    e.once(move |_| {
        let _keep = &touch;
    });
    e.emit(1);
    assert_eq!(probe.load(Ordering::SeqCst), 100);
}

#[test]
fn remove_all_and_debug() {
    let e = LocalEventEmitter::<u32>::default();
    e.on(|_| {});
    e.once(|_| {});
    assert_eq!(
        format!("{e:?}"),
        "LocalEventEmitter { listeners: 2, max_listeners: 10 }"
    );
    e.remove_all();
    assert_eq!(e.listener_count(), 0);
    assert_eq!(e.emit(1), 0);
}

// ---- next() -----------------------------------------------------------

#[test]
fn next_resolves_with_the_next_event() {
    let e = Rc::new(LocalEventEmitter::<u32>::new());
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
    let e = LocalEventEmitter::<u32>::new();
    let mut next = e.next();
    e.emit(9);
    e.emit(10);
    let (counter, waker) = counting_waker();
    assert_eq!(poll_once(&mut next, &waker), Poll::Ready(Some(9)));
    assert_eq!(counter.0.load(Ordering::SeqCst), 0);
}

#[test]
fn next_wakes_the_latest_waker() {
    let e = LocalEventEmitter::<u32>::new();
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
    let e = LocalEventEmitter::<u32>::new();
    let next = e.next();
    assert_eq!(e.listener_count(), 1);
    drop(next);
    assert_eq!(e.listener_count(), 0);
    assert_eq!(e.emit(1), 0);
}

#[test]
fn next_resolves_to_none_when_its_listener_is_removed() {
    let e = LocalEventEmitter::<u32>::new();
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
    let e = LocalEventEmitter::<u32>::new();
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
fn several_next_futures_each_get_the_event_in_order() {
    within(LIMIT, || {
        let e = LocalEventEmitter::<u32>::new();
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

#[test]
fn rc_refcell_state_is_accepted() {
    // The point of the local emitter: `!Send` state in listeners and hooks.
    let e = LocalEventEmitter::<Rc<str>>::new();
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();
    let s = seen.clone();
    e.on(move |name| s.borrow_mut().push(format!("hello {name}")));
    let s = seen.clone();
    e.once(move |name| s.borrow_mut().push(format!("first {name}")));
    let warned = Rc::new(std::cell::Cell::new(0));
    let w = warned.clone();
    e.set_leak_warning_hook(move |_| w.set(w.get() + 1));
    assert_eq!(e.emit(Rc::from("ada")), 2);
    assert_eq!(e.emit(Rc::from("bob")), 1);
    assert_eq!(*seen.borrow(), ["hello ada", "first ada", "hello bob"]);
    assert_eq!(warned.get(), 0);
}

#[test]
fn next_works_inside_the_crate_executor_with_rc_state() {
    within(LIMIT, || {
        let e = Rc::new(LocalEventEmitter::<u32>::new());
        let got = async_primer::block_on({
            let e = e.clone();
            async move {
                let emitter = e.clone();
                let _t = async_primer::spawn(async move {
                    async_primer::yield_now().await;
                    emitter.emit(9);
                });
                e.next().await
            }
        });
        assert_eq!(got, Some(9));
        assert_eq!(e.listener_count(), 0);
    })
}
