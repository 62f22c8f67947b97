//! Loom model for the ready list behind `join_all` / `try_join_all`
//! (src/future/wake_list.rs: a lock-free stack of woken children, a raw
//! waker per child sharing one `Arc`).
//!
//! | model | the bug it would catch |
//! |---|---|
//! | `children_woken_from_another_thread_while_the_parent_drains` | a wake lost between the parent draining the list and a child being pushed (the "wake the parent only on empty -> non-empty" rule), a child polled twice for one wake, a `next` pointer read before it was published, or a refcount slip in the hand-made waker (loom reports leaked or double-freed `Arc`s) |
//! | `one_child_woken_from_two_threads` | the `queued` swap split into a load and a store (both wakers push the node: a cycle in the list) |
//! | `a_wake_that_finds_the_child_listed_still_reaches_its_poll` | either side of the `queued` swap weakened to `Relaxed`: a wake that found the child listed does not publish its write to the child's next poll, so that poll returns Pending and nobody wakes it again. The parent polls while the wakers run, and nothing else (a joined thread, a loom mutex) orders them: `one_child_woken_from_two_threads` joins its threads first, which hid both bugs |
//! | `child_rewoken_while_the_parent_walks_the_list` | `queued` cleared before `next` is read: a re-wake overwrites `next` and the rest of the list is lost |
//! | `parent_repolled_with_a_new_waker` | the parent's new waker not registered on a later poll: the child's wake goes to the old one |

// The whole file exists only in loom builds (the docs come first so that
// missing_docs is satisfied in a normal build, where the file is empty).
#![cfg(async_primer_loom)]

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};

use async_primer::future::{join_all, poll_fn};
use loom::sync::atomic::{AtomicBool, AtomicUsize as LoomUsize, Ordering::Relaxed};
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
    common::loom_model(|| {
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

/// Polls `all` until Ready after every waking thread has finished; a
/// Pending poll with no new wake of the parent is a lost wake-up.
fn finish<F: Future + Unpin>(all: &mut F, parent: &Counter, waker: &Waker) -> F::Output {
    let mut cx = Context::from_waker(waker);
    let mut seen = parent.0.load(SeqCst);
    loop {
        if let Poll::Ready(v) = std::pin::Pin::new(&mut *all).poll(&mut cx) {
            return v;
        }
        let now = parent.0.load(SeqCst);
        assert!(now > seen, "Pending with no wake pending: a lost wake-up");
        seen = now;
    }
}

#[test]
fn one_child_woken_from_two_threads() {
    common::loom_model(|| {
        // Each waking thread counts itself (Relaxed: the wake must carry
        // the count to the child's next poll), then wakes the same child.
        let count = Arc::new(LoomUsize::new(0));
        let slot: Arc<Mutex<Vec<Waker>>> = Arc::new(Mutex::new(Vec::new()));
        let polls = StdArc::new(AtomicUsize::new(0));
        let child = {
            let (count, slot, polls) = (count.clone(), slot.clone(), polls.clone());
            poll_fn(move |cx| {
                polls.fetch_add(1, SeqCst);
                if count.load(Relaxed) == 2 {
                    return Poll::Ready(7);
                }
                let mut slot = slot.lock().unwrap();
                if slot.is_empty() {
                    slot.push(cx.waker().clone());
                    slot.push(cx.waker().clone());
                }
                Poll::Pending
            })
        };
        let parent = StdArc::new(Counter::default());
        let waker = Waker::from(parent.clone());
        let mut all = Box::pin(join_all(vec![child]));
        assert!(
            all.as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (count, slot) = (count.clone(), slot.clone());
                thread::spawn(move || {
                    count.fetch_add(1, Relaxed);
                    let w = slot.lock().unwrap().pop().expect("two wakers");
                    w.wake();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(finish(&mut all, &parent, &waker), vec![7]);
        let p = polls.load(SeqCst);
        assert!((2..=3).contains(&p), "{p} polls for two wakes");
    });
}

#[test]
fn child_rewoken_while_the_parent_walks_the_list() {
    common::loom_model(|| {
        let go = StdArc::new([AtomicBool::new(false), AtomicBool::new(false)]);
        let wakers: Arc<Mutex<Vec<(usize, Waker)>>> = Arc::new(Mutex::new(Vec::new()));
        let polls = StdArc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let children = (0..2).map(|i| {
            let (go, wakers, polls) = (go.clone(), wakers.clone(), polls.clone());
            poll_fn(move |cx| {
                let n = polls[i].fetch_add(1, SeqCst);
                if go[i].load(SeqCst) {
                    return Poll::Ready(i);
                }
                if n == 0 {
                    // Child 1 gets two wakers: one to list it, one for the
                    // re-wake while the parent walks.
                    let copies = if i == 1 { 2 } else { 1 };
                    for _ in 0..copies {
                        wakers.lock().unwrap().push((i, cx.waker().clone()));
                    }
                }
                Poll::Pending
            })
        });
        let parent = StdArc::new(Counter::default());
        let waker = Waker::from(parent.clone());
        let mut all = Box::pin(join_all(children));
        assert!(
            all.as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        // List both (0 first, so the parent walks 1 then 0), then re-wake 1
        // from another thread while the parent walks the list.
        let mut ws = std::mem::take(&mut *wakers.lock().unwrap());
        let (_, again) = ws.pop().expect("child 1's second waker");
        go[0].store(true, SeqCst);
        go[1].store(true, SeqCst);
        for (_, w) in ws {
            w.wake();
        }
        let t = thread::spawn(move || again.wake());
        let first = all.as_mut().poll(&mut Context::from_waker(&waker));
        t.join().unwrap();
        // Both children were listed and ready: one walk finishes them.
        let out = match first {
            Poll::Ready(v) => v,
            Poll::Pending => finish(&mut all, &parent, &waker),
        };
        assert_eq!(out, vec![0, 1]);
        assert_eq!(
            polls[0].load(SeqCst),
            2,
            "child 0: its first poll and one wake"
        );
    });
}

#[test]
fn parent_repolled_with_a_new_waker() {
    common::loom_model(|| {
        let slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let go = Arc::new(AtomicBool::new(false));
        let child = {
            let (slot, go) = (slot.clone(), go.clone());
            poll_fn(move |cx| {
                if go.load(loom::sync::atomic::Ordering::SeqCst) {
                    return Poll::Ready(1);
                }
                *slot.lock().unwrap() = Some(cx.waker().clone());
                Poll::Pending
            })
        };
        let old = StdArc::new(Counter::default());
        let new = StdArc::new(Counter::default());
        let (old_w, new_w) = (Waker::from(old.clone()), Waker::from(new.clone()));
        let mut all = Box::pin(join_all(vec![child]));
        assert!(
            all.as_mut()
                .poll(&mut Context::from_waker(&old_w))
                .is_pending()
        );
        // The parent moved (e.g. to another task): polled with a new waker.
        assert!(
            all.as_mut()
                .poll(&mut Context::from_waker(&new_w))
                .is_pending()
        );
        let t = {
            let (slot, go) = (slot.clone(), go.clone());
            thread::spawn(move || {
                go.store(true, loom::sync::atomic::Ordering::SeqCst);
                let w = slot.lock().unwrap().take();
                if let Some(w) = w {
                    w.wake();
                }
            })
        };
        t.join().unwrap();
        assert_eq!(new.0.load(SeqCst), 1, "the wake reached the new waker");
        assert_eq!(old.0.load(SeqCst), 0, "and not the old one");
        assert_eq!(finish(&mut all, &new, &new_w), vec![1]);
    });
}

#[test]
fn a_wake_that_finds_the_child_listed_still_reaches_its_poll() {
    common::loom_model(|| {
        // Two threads each count themselves (Relaxed: only the wake can
        // carry the count to the child's poll) and wake the same child.
        // The parent polls *while* they run, and nothing else orders the
        // threads with it: the wakers are handed over through a std mutex
        // (invisible to loom), and the threads are never joined before the
        // check. So when the second wake finds the child already listed,
        // only the AcqRel on `queued` makes its count visible to the poll.
        let count = Arc::new(LoomUsize::new(0));
        let slot: StdArc<std::sync::Mutex<Vec<Waker>>> = StdArc::default();
        let polls = StdArc::new(AtomicUsize::new(0));
        let child = {
            let (count, slot, polls) = (count.clone(), slot.clone(), polls.clone());
            poll_fn(move |cx| {
                polls.fetch_add(1, SeqCst);
                if count.load(Relaxed) == 2 {
                    return Poll::Ready(7);
                }
                let mut slot = slot.lock().unwrap();
                if polls.load(SeqCst) == 1 {
                    slot.push(cx.waker().clone());
                    slot.push(cx.waker().clone());
                }
                Poll::Pending
            })
        };
        let parent = StdArc::new(Counter::default());
        let waker = Waker::from(parent.clone());
        let mut cx = Context::from_waker(&waker);
        let mut all = Box::pin(join_all(vec![child]));
        assert!(all.as_mut().poll(&mut cx).is_pending());
        let done = StdArc::new(AtomicUsize::new(0));
        for _ in 0..2 {
            let (count, slot, done) = (count.clone(), slot.clone(), done.clone());
            // Detached: joining would order the threads before the check.
            drop(thread::spawn(move || {
                count.fetch_add(1, Relaxed);
                let w = slot.lock().unwrap().pop().expect("two wakers");
                w.wake();
                done.fetch_add(1, SeqCst);
            }));
        }
        let mut seen = 0;
        let out = loop {
            let now = parent.0.load(SeqCst);
            if now > seen {
                // Woken: poll, as an executor would.
                seen = now;
                if let Poll::Ready(v) = all.as_mut().poll(&mut cx) {
                    break v;
                }
            } else if done.load(SeqCst) == 2 && parent.0.load(SeqCst) == seen {
                panic!("Pending after both wakes, with no wake pending: a lost wake-up");
            } else {
                thread::yield_now();
            }
        };
        assert_eq!(out, vec![7]);
        let p = polls.load(SeqCst);
        assert!((2..=3).contains(&p), "{p} polls for two wakes");
    });
}
