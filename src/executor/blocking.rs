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
//     jobs += 1
//     spawn a small task that waits  --->  job: r = catch_unwind(f)
//     on a Slot (Mutex<result, waker>)          lock slot; store r; take waker
//                                               waker.wake()   (inbox, unpark)
//                                          worker: jobs -= 1  (Release)
//
// The count is decremented *after* the wake, so an executor that reads
// `jobs == 0` (Acquire) also sees the wake in its inbox: virtual time and
// the deadlock check never act while a job might still wake somebody.
// This file knows nothing of tasks: the run loop owns a `Pool`, and
// `spawn_blocking` (mod.rs) spawns the `WaitForJob` half as a task.

use super::task::TaskInbox;
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::{Arc, Condvar, Mutex, thread};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

const MAX_THREADS: usize = 4;
const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// A blocking job, wrapped so that it hands its result to its waiter.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// The blocking pool of one executor.
pub(crate) struct Pool {
    shared: Arc<PoolShared>,
}

struct PoolShared {
    state: Mutex<PoolState>,
    work: Condvar,
    /// The executor's inbox, nudged when the last job ends.
    inbox: Arc<TaskInbox>,
    /// Jobs submitted and not yet run to the end (see `running`).
    jobs: AtomicUsize,
}

#[derive(Default)]
struct PoolState {
    queue: VecDeque<Job>,
    idle: usize,
    threads: usize,
    closed: bool,
}

impl Pool {
    pub(crate) fn new(inbox: Arc<TaskInbox>) -> Pool {
        Pool {
            shared: Arc::new(PoolShared {
                state: Mutex::new(PoolState::default()),
                work: Condvar::new(),
                inbox,
                jobs: AtomicUsize::new(0),
            }),
        }
    }

    /// Queues a job, starting a thread if none is idle and there is room.
    /// It counts as running until it has woken its waiter.
    pub(crate) fn submit(&self, job: Job) {
        // Relaxed: read on this thread, or after a worker's Release
        // decrement, which the pool's mutex orders after this increment.
        self.shared.jobs.fetch_add(1, Ordering::Relaxed);
        let mut state = self.shared.state.lock();
        state.queue.push_back(job);
        if state.idle > 0 {
            drop(state);
            self.shared.work.notify_one();
        } else if state.threads < MAX_THREADS {
            state.threads += 1;
            drop(state);
            let shared = self.shared.clone();
            thread::spawn(move || worker(shared));
        }
    }

    /// How many jobs are running (or queued): while one is, a task may
    /// still be woken from its thread, so virtual time must not jump and
    /// nobody is deadlocked yet.
    pub(crate) fn running(&self) -> usize {
        // Acquire: pairs with a worker's Release decrement, which happens
        // after that job's wake reached the inbox.
        self.shared.jobs.load(Ordering::Acquire)
    }

    /// The executor is gone: idle threads exit, busy ones after their job.
    /// Jobs that have not started are dropped: their results have nowhere
    /// to go.
    pub(crate) fn close(&self) {
        let unstarted = {
            let mut state = self.shared.state.lock();
            state.closed = true;
            std::mem::take(&mut state.queue)
        };
        self.shared.work.notify_all();
        drop(unstarted);
    }
}

fn worker(shared: Arc<PoolShared>) {
    let mut state = shared.state.lock();
    loop {
        if let Some(job) = state.queue.pop_front() {
            drop(state);
            job();
            // Release: pairs with the executor's Acquire load; the job's
            // wake (inside `job`) is already in the inbox.
            if shared.jobs.fetch_sub(1, Ordering::Release) == 1 {
                // The last job ended. If nobody was waiting for it (its task
                // was aborted), an executor parked only because a job was
                // running must look again: it may be a deadlock by now.
                shared.inbox.nudge();
            }
            state = shared.state.lock();
            continue;
        }
        if state.closed {
            break;
        }
        state.idle += 1;
        let since = Instant::now();
        state = shared.work.wait_timeout(state, KEEP_ALIVE);
        state.idle -= 1;
        if state.queue.is_empty() && since.elapsed() >= KEEP_ALIVE {
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
pub(crate) struct WaitForJob<R> {
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

/// Splits `f` into the job for a pool thread and the future that waits
/// for its result.
pub(crate) fn job<F, R>(f: F) -> (Job, WaitForJob<R>)
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
    (job, WaitForJob { slot })
}
