//! The guide's ladder (chapter 4, `docs/ch04-executor.md`): the two small
//! executors a student writes before reading this crate's, measured beside
//! it so the table shows what each idea of the real executor buys.
//!
//! They are *teaching* contenders: shown with their own ratio, but never
//! counted as "the best peer" (see `teaching` in peers.rs).
//!
//! The code between `// ladder: step N` and `// ladder: end` is a copy of
//! the chapter's code block of the same name, byte for byte once the
//! module's four spaces of indentation are removed; `tests/guide_ladder.rs`
//! fails if the two drift apart. Edit the chapter first, then paste here.

use std::future::Future;

/// Step 1: `block_on` with `thread::park` / `unpark` and `std::task::Wake`.
pub mod step1 {
    // ladder: step 1
    use std::future::Future;
    use std::pin::pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Poll, Wake, Waker};
    use std::thread::{self, Thread};

    /// What every waker of `block_on` points to: the thread to wake up.
    struct Signal {
        thread: Thread,
        /// Set by a wake, cleared by `block_on` before it polls again: it
        /// tells a real wake from `park` returning for no reason.
        notified: AtomicBool,
    }

    impl Wake for Signal {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            // Release: pairs with the Acquire swap in `block_on`, so what
            // the waking thread wrote before waking is seen by the poll.
            if !self.notified.swap(true, Ordering::Release) {
                // A wake that comes before the thread parks is not lost:
                // `unpark` leaves a token that the next `park` consumes.
                self.thread.unpark();
            }
        }
    }

    /// Runs `future` to completion on this thread, asleep while it waits.
    pub fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        let signal = Arc::new(Signal {
            thread: thread::current(),
            notified: AtomicBool::new(false),
        });
        let waker = Waker::from(signal.clone());
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            // `park` may return spuriously: only the flag means "woken".
            while !signal.notified.swap(false, Ordering::Acquire) {
                thread::park();
            }
        }
    }
    // ladder: end
}

/// Step 2: many tasks, each an `Arc<Task>` that is its own waker, one
/// shared queue and a condition variable to sleep on.
pub mod step2 {
    // ladder: step 2
    use std::collections::VecDeque;
    use std::future::Future;
    use std::pin::{Pin, pin};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Condvar, Mutex};
    use std::task::{Context, Poll, Wake, Waker};

    /// Any task's future, boxed so that tasks of every type fit one queue.
    type BoxedFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

    /// A task: its future (`None` once finished) and the way back to the
    /// queue. The `Arc<Task>` is also the task's waker.
    struct Task {
        future: Mutex<Option<BoxedFuture>>,
        /// True while the task is in the queue: it is queued at most once.
        queued: AtomicBool,
        shared: Arc<Shared>,
    }

    /// What the executor and every waker share.
    #[derive(Default)]
    struct Shared {
        ready: Mutex<Ready>,
        /// Signalled whenever `ready` gains something; the executor sleeps
        /// on it while there is nothing to do.
        wakeup: Condvar,
    }

    #[derive(Default)]
    struct Ready {
        tasks: VecDeque<Arc<Task>>,
        /// `block_on`'s own future was woken (it is not a task).
        main_woken: bool,
    }

    impl Wake for Task {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            // AcqRel: pairs with the swap in `run`; only the first wake
            // since the task was last taken from the queue queues it.
            if !self.queued.swap(true, Ordering::AcqRel) {
                let shared = &self.shared;
                shared.ready.lock().unwrap().tasks.push_back(self.clone());
                shared.wakeup.notify_one();
            }
        }
    }

    impl Task {
        /// Polls the task once (on the executor's thread).
        fn run(self: Arc<Self>) {
            // Cleared *before* the poll: a wake during the poll queues the
            // task again instead of being lost.
            self.queued.swap(false, Ordering::AcqRel);
            let waker = Waker::from(self.clone());
            let mut cx = Context::from_waker(&waker);
            let mut slot = self.future.lock().unwrap();
            if let Some(future) = slot.as_mut() {
                if future.as_mut().poll(&mut cx).is_ready() {
                    *slot = None; // finished: drop the future now
                }
            }
        }
    }

    /// The waker of `block_on`'s future: it raises a flag, not a task.
    struct MainWaker(Arc<Shared>);

    impl Wake for MainWaker {
        fn wake(self: Arc<Self>) {
            self.0.ready.lock().unwrap().main_woken = true;
            self.0.wakeup.notify_one();
        }
    }

    /// Runs many tasks on the thread that calls `block_on`.
    #[derive(Default)]
    pub struct Executor {
        shared: Arc<Shared>,
    }

    impl Executor {
        /// An executor with no tasks.
        pub fn new() -> Executor {
            Executor::default()
        }

        /// Makes `future` a task and queues it for its first poll.
        pub fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
            let task = Arc::new(Task {
                future: Mutex::new(Some(Box::pin(future))),
                queued: AtomicBool::new(false),
                shared: self.shared.clone(),
            });
            task.wake();
        }

        /// Polls queued tasks until none is left; returns how many polls.
        pub fn run_until_stalled(&self) -> usize {
            let mut polls = 0;
            loop {
                let next = self.shared.ready.lock().unwrap().tasks.pop_front();
                let Some(task) = next else { return polls };
                task.run();
                polls += 1;
            }
        }

        /// Runs tasks until `main` (which is not a task) is finished.
        pub fn block_on<F: Future>(&self, main: F) -> F::Output {
            let mut main = pin!(main);
            let waker = Waker::from(Arc::new(MainWaker(self.shared.clone())));
            let mut cx = Context::from_waker(&waker);
            loop {
                if let Poll::Ready(output) = main.as_mut().poll(&mut cx) {
                    return output;
                }
                // Run tasks until `main` is woken; sleep while none is
                // ready. Checking and sleeping under one lock means no
                // wake can slip in between (`wait` releases the lock).
                let mut ready = self.shared.ready.lock().unwrap();
                while !std::mem::take(&mut ready.main_woken) {
                    match ready.tasks.pop_front() {
                        Some(task) => {
                            drop(ready);
                            task.run();
                            ready = self.shared.ready.lock().unwrap();
                        }
                        None => ready = self.shared.wakeup.wait(ready).unwrap(),
                    }
                }
            }
        }
    }
    // ladder: end
}

/// Step 2's "spawn `n` futures, run until none is ready", timed like the
/// other executors' helpers in peers.rs.
pub fn step2_spawn_run<F: Future<Output = ()> + Send + 'static>(
    n: usize,
    mut make: impl FnMut(usize) -> F,
) -> f64 {
    let ex = step2::Executor::new();
    super::per_op(n, || {
        for i in 0..n {
            ex.spawn(make(i));
        }
        assert!(ex.run_until_stalled() >= n, "a task was not polled");
    })
}
