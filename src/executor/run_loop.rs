//! The run loop: spawn, poll what is ready, park when nothing is.
//!
//! The last of the four core files (`task.rs`, `queues.rs`, `waker.rs`,
//! `run_loop.rs`): everything else (the public [`Executor`](super::Executor),
//! diagnostics, the blocking pool) is built around it.
//
// How it works
// ------------
//
//   RunLoop (executor thread only)           Inbox (shared, queues.rs)
//   +----------------------------------+     +----------------------------+
//   | ready:      woken tasks (local)  |<----| wakes from other threads   |
//   | microtasks: closures, FIFO       |drain| and the condvar it parks on|
//   | tasks:      every live task      |     +----------------------------+
//   | driver:     clock and timers     |
//   | seam:       observer (seam.rs)   |
//   +----------------------------------+
//
// `block_on(future)`:
//
//   loop {
//     poll the future, then run the microtasks it queued; Ready -> return
//     until the future is woken again:
//       one turn: inbox -> ready queue, due timers, then up to BUDGET
//                 ready tasks (each poll followed by the microtasks)
//       nothing ready? -> virtual time: jump to the next deadline;
//                         else park until a wake or the next deadline
//   }
//
// `Executor::run` (run.rs) drives the same loop from another runtime's
// poll (`poll_main`, `turn`, `move_time`), but never parks.
//
// Whoever sees a task both COMPLETE and not SCHEDULED releases the
// executor's reference: `complete` if the task is not queued, else the pop
// that finds it COMPLETE. Local queue entries borrow that reference; inbox
// entries own one (the executor may be gone when another thread posts).
//
// The seam (seam.rs) is told what happens at each fixed point; the loop
// never looks at what it does with that, but for one answer: before
// parking, an observer may say block_on's future can never be woken, and
// block_on then panics at its caller's line.
//
// Rejected alternative: polling every unfinished task on every turn (no
// wakers needed, but a turn costs O(all tasks) and the thread never sleeps).

use super::blocking::{Job, Pool};
use super::current::{self, Current};
use super::ending::Ending;
use super::main_header;
use super::microtasks::Microtasks;
use super::observer::{Observer, WakeSource};
use super::queues::ReadyQueue;
use super::seam::{self, Seam, Spawned, Tasks};
use super::shutdown;
use super::task::{CANCELLED, COMPLETE, REF_ONE, Ran, SCHEDULED, TaskInbox, TaskRef};
use super::task_list::TaskList;
use super::waker;
use crate::sync::Arc;
use crate::sync::atomic::Ordering;
use crate::time::Driver;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// How many tasks one turn polls before looking at the inbox and timers
/// again, so a busy set of tasks cannot starve remote wakes or timers.
pub(crate) const BUDGET: usize = 128;

/// The half of an executor that lives on its thread.
pub(crate) struct RunLoop {
    inbox: Arc<TaskInbox>,
    ready: RefCell<ReadyQueue<TaskRef>>,
    microtasks: Microtasks,
    /// Every live task; each entry owns the executor's reference.
    tasks: Tasks,
    driver: Rc<Driver>,
    /// The threads that run `spawn_blocking` jobs (blocking.rs).
    pool: Pool,
    seam: Seam,
    /// The header that counts block_on's wakers (main_header.rs).
    block_on: Cell<TaskRef>,
    next_id: Cell<u32>,
}

impl RunLoop {
    pub(crate) fn new(
        virtual_time: bool,
        seed: Option<u64>,
        observer: Option<Box<dyn Observer>>,
    ) -> RunLoop {
        let inbox = Arc::new(TaskInbox::new());
        let driver = Rc::new(Driver::new(virtual_time));
        RunLoop {
            pool: Pool::new(inbox.clone()),
            block_on: Cell::new(main_header::new(inbox.clone())),
            inbox,
            ready: RefCell::new(ReadyQueue::new(seed)),
            microtasks: Microtasks::new(),
            tasks: RefCell::new(TaskList::new()),
            seam: Seam::new(observer, &driver),
            driver,
            next_id: Cell::new(1),
        }
    }

    /// Allocates a task for `future` and queues it for its first poll.
    /// Returns the task holding two references, the run loop's and one
    /// for the caller's `JoinHandle`.
    pub(crate) fn spawn<F>(
        &self,
        future: F,
        name: Option<String>,
        at: &'static Location<'static>,
    ) -> TaskRef
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1).max(1));
        let task = TaskRef::new(future, self.inbox.clone(), id);
        self.seam.spawned(task, name, at);
        let index = self.tasks.borrow_mut().insert(task, Spawned { at });
        task.header().index.set(index as u32);
        self.ready.borrow_mut().push(task);
        task
    }

    /// Queues `f` to run after the current poll, before any other task.
    pub(crate) fn queue_microtask(&self, f: Box<dyn FnOnce()>) {
        self.microtasks.push(f);
    }

    /// Drives `future` to completion, running tasks while it waits.
    #[track_caller]
    #[inline]
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        let Some(_enter) = self.enter_outermost() else {
            panic!(
                "block_on called while an executor is already running on this thread (inside \
                 block_on or a task): blocking here would stall every task; `.await` the \
                 future instead, or `spawn` it"
            );
        };
        self.seam.block_on_started(Location::caller(), true);
        let header = main_header::fresh(&self.block_on);
        let waker = main_header::borrowed(header);
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(output) = self.poll_main(header, future.as_mut(), &mut cx) {
                return output;
            }
            // At least one turn before the next poll, so that a future
            // that wakes itself (`yield_now`) lets the tasks run.
            loop {
                self.turn(Some(header));
                if main_header::take_wake(header) {
                    break;
                }
                if !self.has_ready() {
                    self.wait_for_work(Some(header));
                }
            }
        }
    }

    /// Polls block_on's (or a `Run`'s) future once, then the microtasks
    /// it queued.
    #[track_caller]
    #[inline(always)]
    pub(crate) fn poll_main<F: Future>(
        &self,
        header: TaskRef,
        future: Pin<&mut F>,
        cx: &mut Context<'_>,
    ) -> Poll<F::Output> {
        let before = self.seam.wakes_before(&self.ready, header);
        self.seam.main_poll_started(&self.tasks, header);
        let polled = future.poll(cx);
        self.seam
            .main_poll_ended(&self.tasks, header, polled.is_pending());
        self.seam
            .report_wakes_by(&self.ready, &self.driver, header, before, 0);
        self.microtasks.run(&self.seam, &self.ready);
        if polled.is_pending() && self.seam.observer().is_some() && seam::is_lost(header) {
            // Its waker is gone and nobody woke it: ask the observer now,
            // not when the loop next parks (tasks may run for a long time).
            if let Err(why) = self.advise(Some(header)) {
                panic!("{why}");
            }
        }
        polled
    }

    /// Makes this loop the thread's running executor until the guard
    /// drops: the free functions (`spawn`, `sleep`) find it, and local
    /// wakes skip the inbox (current.rs).
    #[inline]
    pub(crate) fn enter(&self) -> current::Guard {
        current::enter(self.as_current(), &self.driver)
    }

    /// `enter` for `block_on` and `Executor::run`, which may not nest
    /// inside a running executor: `None` if one runs here already.
    #[inline]
    pub(crate) fn enter_outermost(&self) -> Option<current::Outermost> {
        current::enter_outermost(self.as_current(), &self.driver)
    }

    #[inline]
    fn as_current(&self) -> Current {
        Current {
            run_loop: (self as *const RunLoop).cast(),
            inbox: &*self.inbox,
            ready: &self.ready,
        }
    }

    /// One turn: inbox, due timers, then up to BUDGET ready tasks. Returns
    /// how many tasks it polled. With `block_on`, stops as soon as
    /// block_on's future is woken.
    pub(crate) fn turn(&self, block_on: Option<TaskRef>) -> usize {
        if self.inbox.has_mail() {
            let before = self.ready.borrow().len();
            let mut ready = self.ready.borrow_mut();
            self.inbox.drain(|task| {
                ready.push(task);
                // The inbox entry's reference goes; the executor's keeps
                // the task alive (it is SCHEDULED, so it was not removed).
                task.release(REF_ONE);
            });
            drop(ready);
            self.seam
                .report_wakes(&self.ready, before, WakeSource::Thread);
        }
        if !self.driver.is_virtual() && self.driver.armed() > 0 {
            self.fire_timers();
        }
        let mut polled = 0;
        for _ in 0..BUDGET {
            let next = self.ready.borrow_mut().pop();
            let Some(task) = next else { break };
            polled += usize::from(self.run_task(task));
            if block_on.is_some_and(main_header::woken) {
                break;
            }
        }
        polled
    }

    /// Runs one task popped from the ready queue; false if it had already
    /// finished (nothing was polled).
    fn run_task(&self, task: TaskRef) -> bool {
        let before = self.seam.wakes_before(&self.ready, self.block_on.get());
        // AcqRel: clearing SCHEDULED *before* polling means a wake that
        // arrives during the poll queues the task again (no lost wake-up).
        let prev = task.header().state.fetch_and(!SCHEDULED, Ordering::AcqRel);
        let vtable = task.header().vtable;
        let ran = if prev & COMPLETE != 0 {
            // Finished while queued: only the executor's reference is left.
            self.remove(task);
            return false;
        } else if prev & CANCELLED != 0 {
            // SAFETY: executor thread; the executor's reference is held.
            unsafe { (vtable.cancel)(task) }
        } else {
            let waker = waker::borrowed(task);
            let mut cx = Context::from_waker(&waker);
            self.seam.poll_started(&self.tasks, task);
            // SAFETY: as above.
            let ran = unsafe { (vtable.poll)(task, &mut cx) };
            self.seam
                .poll_ended(&self.tasks, task, matches!(ran, Ran::Pending));
            ran
        };
        // Read before `complete`, which may free the task.
        let id = task.header().id;
        if let Ran::Finished(ending) = ran {
            self.complete(task, ending);
        }
        // Everything this task woke, including whoever awaited its end.
        self.seam
            .report_wakes_by(&self.ready, &self.driver, self.block_on.get(), before, id);
        self.microtasks.run(&self.seam, &self.ready);
        true
    }

    /// The task finished: mark it COMPLETE, wake whoever awaits its
    /// JoinHandle, and drop the executor's reference unless it is queued.
    fn complete(&self, task: TaskRef, ending: Ending) {
        // SAFETY: executor thread only (THE invariant in task.rs).
        let waiter = task
            .header()
            .join_waker
            .with_mut(|w| unsafe { (*w).take() });
        self.seam.finished(&self.tasks, task, &ending);
        // AcqRel: a late waker on another thread must see COMPLETE; the
        // JoinHandle's Acquire load pairs with it to see the output.
        let prev = task.header().state.fetch_or(COMPLETE, Ordering::AcqRel);
        if prev & SCHEDULED == 0 {
            self.remove(task);
        } // else: queued; the pop that finds it COMPLETE removes it.
        if let Ending::Panicked(panic) = ending {
            // The payload's destructor is user code too.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(panic)));
        }
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }

    /// Drops the executor's reference to `task`.
    fn remove(&self, task: TaskRef) {
        self.seam.removed(task);
        let index = task.header().index.get() as usize;
        self.tasks.borrow_mut().remove(index);
        task.release(REF_ONE);
    }

    fn fire_timers(&self) -> usize {
        let before = self.ready.borrow().len();
        let fired = self.driver.fire_due();
        if fired > 0 {
            self.seam.timers_fired(fired);
            self.seam
                .report_wakes(&self.ready, before, WakeSource::Timer);
        }
        fired
    }

    /// Nothing is ready: under virtual time, jump to the next deadline
    /// (unless a blocking job or a remote wake could come first); under
    /// real time, fire the timers that are due. True if any fired.
    pub(crate) fn move_time(&self) -> bool {
        if !self.driver.is_virtual() {
            return self.fire_timers() > 0;
        }
        // Jump only when no blocking job could still wake someone first.
        if self.pool.running() == 0 && !self.inbox.has_mail() {
            if let Some(deadline) = self.driver.next_deadline() {
                self.driver.advance_to(deadline);
                self.seam.clock_moved(self.driver.elapsed());
                self.fire_timers();
                return true;
            }
        }
        false
    }

    /// Nothing is ready: move time, or park.
    #[track_caller]
    fn wait_for_work(&self, block_on: Option<TaskRef>) {
        if self.move_time() {
            return;
        }
        let mut timeout = self
            .driver
            .next_real_deadline()
            .map(|d| d.saturating_duration_since(Instant::now()));
        // The observer may shorten the nap, or find a deadlock: then panic
        // at block_on's caller.
        match self.advise(block_on) {
            Ok(Some(limit)) => timeout = Some(timeout.map_or(limit, |t| t.min(limit))),
            Ok(None) => {}
            Err(why) => panic!("{why}"),
        }
        let nothing_came = self.inbox.park(timeout);
        self.seam.unparked(nothing_came);
    }

    /// The observer's advice before parking: the longest nap it allows, or
    /// (`Err`) why block_on's future can never be woken.
    pub(crate) fn advise(&self, block_on: Option<TaskRef>) -> Result<Option<Duration>, String> {
        let (timers, jobs) = (self.driver.armed(), self.pool.running());
        self.seam
            .advise(&self.tasks, &self.inbox, block_on, timers, jobs)
    }

    // --- what the rest of the executor asks ------------------------------

    /// The clock and the timers.
    pub(crate) fn driver(&self) -> &Driver {
        &self.driver
    }

    #[inline]
    pub(crate) fn has_ready(&self) -> bool {
        self.ready.borrow().len() > 0
    }

    pub(crate) fn inbox(&self) -> &Arc<TaskInbox> {
        &self.inbox
    }

    pub(crate) fn seam(&self) -> &Seam {
        &self.seam
    }

    /// Runs `job` on the blocking pool (blocking.rs).
    pub(crate) fn submit_blocking(&self, job: Job) {
        self.pool.submit(job);
    }

    pub(crate) fn tasks(&self) -> &Tasks {
        &self.tasks
    }
}

/// Shutdown: every unfinished task ends (shutdown.rs); then the inbox
/// closes, so that wakes arriving later (wakers may outlive the executor)
/// do nothing and leak nothing.
impl Drop for RunLoop {
    fn drop(&mut self) {
        let _enter = self.enter();
        main_header::close(self.block_on.get());
        shutdown::drop_all(&self.tasks, &self.microtasks);
        // Ready-queue entries borrowed the references released there.
        self.ready.borrow_mut().clear();
        for task in self.inbox.close() {
            task.release(REF_ONE);
        }
        self.pool.close();
    }
}
