//! [`spawn_blocking`](super::spawn_blocking): run blocking code on a thread
//! without stalling the executor.
//!
//! An executor runs all its tasks on one thread, taking turns at `.await`
//! points. A call that blocks (reading a file, `thread::sleep`, a long
//! computation) never reaches an `.await`, so every other task waits for
//! it. `spawn_blocking` moves such a call to a helper thread and gives you
//! a [`JoinHandle`](super::JoinHandle) to `.await` instead.
//!
//! ```
//! let sum = async_primer::block_on(async {
//!     let handle = async_primer::spawn_blocking(|| (1..=100u64).sum::<u64>());
//!     handle.await.unwrap()
//! });
//! assert_eq!(sum, 5050);
//! ```
//!
//! The pool belongs to the executor: at most 4 threads, started on demand;
//! an idle thread waits up to 10 seconds for more work and then exits, and
//! all of them exit (after their current job) when the executor is dropped.
//! A job still running then finishes, and its result is dropped. tokio's
//! pool is global and larger (512 threads); this one is small on purpose.
//
// How it works
//
//   executor thread                        pool thread
//   spawn_blocking(f):
//     blocking += 1
//     spawn a small task that waits  --->  job: r = catch_unwind(f)
//     on a Slot (Mutex<result, waker>)          lock slot; store r; take waker
//                                               waker.wake()   (inbox, unpark)
//                                          worker: blocking -= 1  (Release)
//
// The count is decremented *after* the wake, so an executor that reads
// `blocking == 0` (Acquire) also sees the wake in its inbox: virtual time and
// the deadlock check never act while a job might still wake somebody.

use super::inbox::Shared;
use crate::sync::atomic::Ordering;
use crate::sync::{Arc, Condvar, Mutex, thread};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

const MAX_THREADS: usize = 4;
const KEEP_ALIVE: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send>;

/// The blocking pool of one executor.
pub(crate) struct Pool {
    state: Mutex<PoolState>,
    work: Condvar,
}

#[derive(Default)]
struct PoolState {
    jobs: VecDeque<Job>,
    idle: usize,
    threads: usize,
    closed: bool,
}

impl Pool {
    pub(crate) fn new() -> Pool {
        Pool {
            state: Mutex::new(PoolState::default()),
            work: Condvar::new(),
        }
    }

    /// Queues a job, starting a thread if none is idle and there is room.
    fn submit(shared: &Arc<Shared>, job: Job) {
        let pool = &shared.pool;
        let mut state = pool.state.lock();
        state.jobs.push_back(job);
        if state.idle > 0 {
            drop(state);
            pool.work.notify_one();
        } else if state.threads < MAX_THREADS {
            state.threads += 1;
            drop(state);
            let shared = shared.clone();
            thread::spawn(move || worker(shared));
        }
    }

    /// The executor is gone: idle threads exit, busy ones after their job.
    /// Jobs that have not started are dropped: their results have nowhere
    /// to go.
    pub(crate) fn close(&self) {
        let unstarted = {
            let mut state = self.state.lock();
            state.closed = true;
            std::mem::take(&mut state.jobs)
        };
        self.work.notify_all();
        drop(unstarted);
    }
}

fn worker(shared: Arc<Shared>) {
    let pool = &shared.pool;
    let mut state = pool.state.lock();
    loop {
        if let Some(job) = state.jobs.pop_front() {
            drop(state);
            job();
            // Release: pairs with the executor's Acquire load; the job's wake
            // (inside `job`) is already in the inbox.
            if shared.blocking.fetch_sub(1, Ordering::Release) == 1 {
                // The last job ended. If nobody was waiting for it (its task
                // was aborted), an executor parked only because a job was
                // running must look again: it may be a deadlock by now.
                shared.nudge();
            }
            state = pool.state.lock();
            continue;
        }
        if state.closed {
            break;
        }
        state.idle += 1;
        let since = Instant::now();
        state = pool.work.wait_timeout(state, KEEP_ALIVE);
        state.idle -= 1;
        if state.jobs.is_empty() && since.elapsed() >= KEEP_ALIVE {
            break; // idle long enough
        }
    }
    state.threads -= 1;
}

/// Where a job leaves its result for the waiting task.
struct Slot<R> {
    inner: Mutex<(Option<std::thread::Result<R>>, Option<Waker>)>,
}

/// The task side: waits for the job's result; re-raises its panic so the
/// JoinHandle reports it like any task's panic.
struct WaitForJob<R> {
    slot: Arc<Slot<R>>,
}

impl<R> Future for WaitForJob<R> {
    type Output = R;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let mut inner = self.slot.inner.lock();
        match inner.0.take() {
            Some(Ok(value)) => Poll::Ready(value),
            Some(Err(payload)) => {
                drop(inner);
                resume_unwind(payload)
            }
            None => {
                match &mut inner.1 {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

pub(crate) fn spawn_blocking<F, R>(core: &super::core::Core, f: F) -> super::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let slot = Arc::new(Slot {
        inner: Mutex::new((None, None)),
    });
    let job_slot = slot.clone();
    let job: Job = Box::new(move || {
        let result = catch_unwind(AssertUnwindSafe(f));
        let waker = {
            let mut inner = job_slot.inner.lock();
            inner.0 = Some(result);
            inner.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    });
    // Relaxed: the executor reads it on this same thread, or after the
    // pool's Release decrement.
    core.shared.blocking.fetch_add(1, Ordering::Relaxed);
    let handle = core.spawn(WaitForJob { slot }, Some("spawn_blocking".into()));
    Pool::submit(&core.shared, job);
    handle
}
