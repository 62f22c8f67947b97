//! Where a reaction waits while its promise is pending, and how a settle
//! on another thread sends it back to the thread that registered it.
//!
// How it works
// ------------
// A reaction is a closure that is not `Send`, but a promise may be settled
// on any thread. So the closure never enters the promise: it is *parked*
// in this thread's `Home` (a slab, thread-local), and the promise keeps
// only a `Parked` ticket (a number and the home's `Mail`, both `Send`).
//
// ```text
//   register (pending)  -> closure parked in the home; ticket in the promise
//   settle, same thread, executor running
//                       -> take the closure, queue_microtask(closure)
//   settle, other thread (or no executor running)
//                       -> post the number to Mail, wake the courier
//   courier task polled -> take each posted closure, queue_microtask(it)
//   courier dropped (its executor is dropped)
//                       -> Mail closed, parked closures dropped (their
//                          resolvers reject as broken: never a silent hang)
// ```
//
// The courier is one task per executor, spawned with the first parked
// reaction; its waker is the only thing other threads need. Rejected
// alternative: a task per reaction (the previous design): a task
// allocation per `then` on a pending promise, and reactions ordered by the
// task queue instead of the FIFO microtask queue.
//
// Left out: two executors alive on one thread share the home of whichever
// spawned the courier; a reaction settled from another thread then runs
// when that executor next runs.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce()>;

/// A parked reaction, as the promise keeps it (`Send`, unlike the closure).
pub(crate) struct Parked {
    mail: Arc<Mail>,
    id: usize,
}

/// The part of a home that other threads may touch.
struct Mail(Mutex<Posted>);

#[derive(Default)]
struct Posted {
    ids: Vec<usize>,
    courier: Option<Waker>,
    closed: bool,
}

/// One thread's parked closures.
struct Home {
    mail: Arc<Mail>,
    slab: RefCell<Slab>,
}

#[derive(Default)]
struct Slab {
    jobs: Vec<Option<Job>>,
    free: Vec<usize>,
}

crate::sync::const_thread_local! {
    static HOME: RefCell<Option<Rc<Home>>> = RefCell::new(None);
}

/// Parks `job` in this thread's home (spawning its courier on the running
/// executor if there is none yet) and returns its ticket.
pub(crate) fn park(job: Job) -> Parked {
    let home = HOME.with(|h| h.borrow().clone()).unwrap_or_else(|| {
        let home = Rc::new(Home {
            mail: Arc::new(Mail(Mutex::new(Posted::default()))),
            slab: RefCell::default(),
        });
        HOME.with(|h| *h.borrow_mut() = Some(home.clone()));
        let courier = Courier { home: home.clone() };
        let _detached = crate::executor::spawn_named("promise reactions", courier);
        home
    });
    let mut slab = home.slab.borrow_mut();
    let id = match slab.free.pop() {
        Some(id) => {
            slab.jobs[id] = Some(job);
            id
        }
        None => {
            slab.jobs.push(Some(job));
            slab.jobs.len() - 1
        }
    };
    Parked {
        mail: home.mail.clone(),
        id,
    }
}

impl Home {
    fn take(&self, id: usize) -> Option<Job> {
        let mut slab = self.slab.borrow_mut();
        let job = slab.jobs.get_mut(id)?.take()?;
        slab.free.push(id);
        Some(job)
    }
}

/// The promise settled: run the parked reaction as a microtask, here if
/// this is its thread and an executor runs, else through its courier.
pub(crate) fn dispatch(parked: Parked) {
    let here = HOME
        .try_with(|h| {
            h.borrow()
                .as_ref()
                .filter(|home| Arc::ptr_eq(&home.mail, &parked.mail))
                .cloned()
        })
        .ok()
        .flatten();
    if let Some(home) = here.filter(|_| crate::executor::is_running()) {
        if let Some(job) = home.take(parked.id) {
            crate::executor::queue_microtask(job);
        }
        return;
    }
    let mut posted = parked.mail.0.lock();
    if posted.closed {
        return; // the home is gone, and the closure was dropped with it
    }
    posted.ids.push(parked.id);
    let courier = posted.courier.take();
    drop(posted);
    if let Some(waker) = courier {
        waker.wake();
    }
}

/// The task that turns posted tickets into microtasks on its executor.
struct Courier {
    home: Rc<Home>,
}

impl Future for Courier {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut posted = self.home.mail.0.lock();
        let ids = std::mem::take(&mut posted.ids);
        // Stored under the same lock that `dispatch` posts under: a post
        // after this finds the waker; one before it is in `ids`.
        posted.courier = Some(cx.waker().clone());
        drop(posted);
        for id in ids {
            if let Some(job) = self.home.take(id) {
                crate::executor::queue_microtask(job);
            }
        }
        // For the stall report: this one waits by design.
        crate::executor::note_wait(
            "promises settled on other threads (it brings their reactions here; waiting is its job)",
            None,
            None,
            None,
        );
        Poll::Pending
    }
}

impl Drop for Courier {
    fn drop(&mut self) {
        let mut posted = self.home.mail.0.lock();
        posted.closed = true;
        let waker = posted.courier.take();
        drop(posted);
        drop(waker);
        let _ = HOME.try_with(|h| {
            let mut h = h.borrow_mut();
            if h.as_ref().is_some_and(|home| Rc::ptr_eq(home, &self.home)) {
                *h = None;
            }
        });
        // Dropped one by one, outside the borrow: a closure's destructor
        // may settle promises (a dropped resolver), which calls `dispatch`.
        let jobs = std::mem::take(&mut self.home.slab.borrow_mut().jobs);
        for job in jobs {
            drop(job);
        }
    }
}
