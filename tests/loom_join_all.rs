//! Loom model for the ready list behind `join_all` / `try_join_all`
//! (src/future/wake_list.rs: a lock-free stack of woken children, a raw
//! waker per child sharing one `Arc`).
//!
//! Which bug it would catch: a wake lost between the parent draining the
//! list and a child being pushed (the "wake the parent only on empty ->
//! non-empty" rule), a child polled twice for one wake, a `next` pointer
//! read before it was published, or a refcount slip in the hand-made
//! waker (loom reports leaked or double-freed `Arc`s).

// The whole file exists only in loom builds (the docs come first so that
// missing_docs is satisfied in a normal build, where the file is empty).
#![cfg(async_primer_loom)]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};

use async_primer::future::{join_all, poll_fn};
use loom::sync::atomic::AtomicBool;
use loom::sync::{Arc, Mutex};
use loom::thread;

#[derive(Default)]
struct Counter(AtomicUsize);
impl Wake for Counter {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn children_woken_from_another_thread_while_the_parent_drains() {
    loom::model(|| {
        let released: Arc<[AtomicBool; 2]> =
            Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
        let wakers: Arc<Mutex<[Option<Waker>; 2]>> = Arc::new(Mutex::new([None, None]));
        let polls = StdArc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let children = (0..2).map(|i| {
            let (released, wakers, polls) = (released.clone(), wakers.clone(), polls.clone());
            poll_fn(move |cx| {
                polls[i].fetch_add(1, SeqCst);
                if released[i].load(SeqCst) {
                    return Poll::Ready(i * 10);
                }
                wakers.lock().unwrap()[i] = Some(cx.waker().clone());
                // Re-check after storing the waker: a release in between
                // would otherwise find no waker.
                if released[i].load(SeqCst) {
                    cx.waker().wake_by_ref();
                }
                Poll::Pending
            })
        });
        let parent = StdArc::new(Counter::default());
        let waker = Waker::from(parent.clone());
        let mut cx = Context::from_waker(&waker);
        let mut all = pin!(join_all(children));
        assert!(all.as_mut().poll(&mut cx).is_pending());

        let waker_thread = {
            let (released, wakers) = (released.clone(), wakers.clone());
            thread::spawn(move || {
                for i in 0..2 {
                    released[i].store(true, SeqCst);
                    let w = wakers.lock().unwrap()[i].take();
                    if let Some(w) = w {
                        w.wake();
                    }
                }
            })
        };
        // The parent polls while the children are being woken.
        let mut seen = parent.0.load(SeqCst);
        let mut out = match all.as_mut().poll(&mut cx) {
            Poll::Ready(v) => Some(v),
            Poll::Pending => None,
        };
        waker_thread.join().unwrap();
        while out.is_none() {
            let now = parent.0.load(SeqCst);
            assert!(now > seen, "Pending with no wake pending: a lost wake-up");
            seen = now;
            if let Poll::Ready(v) = all.as_mut().poll(&mut cx) {
                out = Some(v);
            }
        }
        assert_eq!(out.unwrap(), vec![0, 10]);
        // One first poll plus one per wake, at most (a wake racing the
        // child's own re-check may add one more poll, never more).
        for p in polls.iter() {
            let p = p.load(SeqCst);
            assert!((2..=3).contains(&p), "{p} polls");
        }
    });
}
