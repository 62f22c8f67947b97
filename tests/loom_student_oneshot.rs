//! The worked loom example of guide chapter 7 (docs/ch07-testing.md,
//! "Check your own primitive with loom"): a hand-written oneshot channel as
//! a student would write it, once with a lost-wake-up bug and once fixed,
//! and the loom models that tell them apart.
//!
//! Run: `RUSTFLAGS="--cfg async_primer_loom" LOOM_MAX_PREEMPTIONS=2
//! cargo test --release --test loom_student_oneshot`.
//!
//! | model | checks | the bug it catches |
//! |---|---|---|
//! | `buggy_oneshot_loses_a_wake_up` | that loom *finds* the bug in `buggy::Receiver::poll` | the receiver checks "is the value there?" and *then* stores its waker: a send in between sees no waker, wakes nobody, and the receiver sleeps forever |
//! | `fixed_oneshot_never_loses_a_wake_up` | the fix: store the waker first, then check | the same lost wake-up, or a double wake, or a value delivered twice; it counts, over all interleavings, how many saw the value at once and how many were woken exactly once |
//!
//! A student's crate does the same with its own cfg (say `--cfg loom`, and
//! `loom` as a `[target.'cfg(loom)'.dev-dependencies]` entry) and a small
//! `sync` module choosing `loom::sync` or `std::sync`, like this crate's
//! `src/sync.rs`. Here the crate's `async_primer_loom` cfg plays that part,
//! and the kit's `counting_waker` is loom-checked too (it uses the crate's
//! sync facade).

// Only loom builds compile the models; the docs above come first so that a
// normal build, where this file is empty, still has crate docs.
#![cfg(async_primer_loom)]

use async_primer::testing::{counting_waker, poll_with};
use loom::thread;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc as StdArc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::Poll;

/// The student's first try. (It passes every ordinary test: the race needs
/// a send to land between two lines of `poll`.)
mod buggy {
    use loom::sync::atomic::{AtomicBool, Ordering};
    use loom::sync::{Arc, Mutex};
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    struct Shared<T> {
        ready: AtomicBool,
        value: Mutex<Option<T>>,
        waker: Mutex<Option<Waker>>,
    }

    pub struct Sender<T>(Arc<Shared<T>>);
    pub struct Receiver<T>(Arc<Shared<T>>);

    pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
        let shared = Arc::new(Shared {
            ready: AtomicBool::new(false),
            value: Mutex::new(None),
            waker: Mutex::new(None),
        });
        (Sender(shared.clone()), Receiver(shared))
    }

    impl<T> Sender<T> {
        pub fn send(self, value: T) {
            *self.0.value.lock().unwrap() = Some(value);
            self.0.ready.store(true, Ordering::SeqCst);
            if let Some(waker) = self.0.waker.lock().unwrap().take() {
                waker.wake();
            }
        }
    }

    impl<T> Future for Receiver<T> {
        type Output = T;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
            if self.0.ready.load(Ordering::SeqCst) {
                return Poll::Ready(self.0.value.lock().unwrap().take().unwrap());
            }
            // BUG: a `send` that runs right here sees no waker and wakes
            // nobody; the waker stored below is never woken.
            *self.0.waker.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// The fix: store the waker *first*, then check. Whichever of `send` and
/// `poll` takes the waker lock second sees the other's write.
mod fixed {
    use loom::sync::atomic::{AtomicBool, Ordering};
    use loom::sync::{Arc, Mutex};
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    struct Shared<T> {
        ready: AtomicBool,
        value: Mutex<Option<T>>,
        waker: Mutex<Option<Waker>>,
    }

    pub struct Sender<T>(Arc<Shared<T>>);
    pub struct Receiver<T>(Arc<Shared<T>>);

    pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
        let shared = Arc::new(Shared {
            ready: AtomicBool::new(false),
            value: Mutex::new(None),
            waker: Mutex::new(None),
        });
        (Sender(shared.clone()), Receiver(shared))
    }

    impl<T> Sender<T> {
        pub fn send(self, value: T) {
            *self.0.value.lock().unwrap() = Some(value);
            self.0.ready.store(true, Ordering::SeqCst);
            if let Some(waker) = self.0.waker.lock().unwrap().take() {
                waker.wake();
            }
        }
    }

    impl<T> Future for Receiver<T> {
        type Output = T;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
            // FIX: register first...
            *self.0.waker.lock().unwrap() = Some(cx.waker().clone());
            // ...then check: a send before this line is seen here, a send
            // after it finds the waker.
            if self.0.ready.load(Ordering::SeqCst) {
                return Poll::Ready(self.0.value.lock().unwrap().take().unwrap());
            }
            Poll::Pending
        }
    }
}

/// The model both versions run through, as a macro so that it can name
/// either module: a sender on another thread, one poll racing with it,
/// then the property "either that poll saw the value, or we were woken
/// exactly once", then a second poll that must see the value.
/// `(ready_at_once, woken)` counts which interleavings loom explored.
macro_rules! race_send_with_poll {
    ($module:ident, $ready_at_once:expr, $woken:expr) => {{
        let (ready_at_once, woken) = ($ready_at_once.clone(), $woken.clone());
        loom::model(move || {
            let (tx, mut rx) = $module::channel::<u32>();
            let (waker, counts) = counting_waker();
            let sender = thread::spawn(move || tx.send(7));
            let first = poll_with(&mut rx, &waker);
            sender.join().unwrap();
            match first {
                Poll::Ready(value) => {
                    assert_eq!(value, 7);
                    ready_at_once.fetch_add(1, SeqCst);
                }
                Poll::Pending => {
                    assert_eq!(
                        counts.woken(),
                        1,
                        "lost wake-up: poll returned Pending and the send woke nobody ({counts})"
                    );
                    assert_eq!(poll_with(&mut rx, &waker), Poll::Ready(7));
                    woken.fetch_add(1, SeqCst);
                }
            }
        })
    }};
}

#[test]
fn buggy_oneshot_loses_a_wake_up() {
    let (ready, woken) = (
        StdArc::new(AtomicUsize::new(0)),
        StdArc::new(AtomicUsize::new(0)),
    );
    let found = catch_unwind(AssertUnwindSafe(|| {
        race_send_with_poll!(buggy, ready, woken)
    }));
    let payload = found.expect_err("loom must find the lost wake-up");
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    assert!(
        message.contains("lost wake-up"),
        "loom failed for another reason: {message}"
    );
}

#[test]
fn fixed_oneshot_never_loses_a_wake_up() {
    let (ready, woken) = (
        StdArc::new(AtomicUsize::new(0)),
        StdArc::new(AtomicUsize::new(0)),
    );
    race_send_with_poll!(fixed, ready, woken);
    let (ready, woken) = (ready.load(SeqCst), woken.load(SeqCst));
    // Both outcomes were explored, and every Pending one was woken once.
    assert!(ready > 0, "no interleaving had the value at the first poll");
    assert!(woken > 0, "no interleaving had the first poll wait");
    println!("fixed oneshot: {ready} interleavings ready at once, {woken} woken once");
}
