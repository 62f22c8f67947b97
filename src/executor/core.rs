//! The run loop: spawning, polling, completing, and waiting for work.
//!
// How it works
// ------------
//
// An executor is two halves:
//
//   Core (this file; this thread only)        Shared (inbox.rs; any thread)
//   +---------------------------------+       +--------------------------------+
//   | ready:  the ready queue; local  |       | inbox: Mutex<tasks, notified,  |
//   |         wakes push here, no lock| <-----|        parked, closed>         |
//   | tasks:  every live task (each   | drain |   <- wakes from other threads  |
//   |         owns the executor's ref)|       | wakeup: Condvar (parking)      |
//   | main:   block_on's header       |       | blocking: jobs in flight       |
//   | driver: clock + timers (time/)  |       | pool: spawn_blocking threads   |
//   +---------------------------------+       +--------------------------------+
//
// `block_on` loop:
//
//   loop {
//     main woken (or first time)? -> poll block_on's future; Ready -> return
//     mail in the inbox?          -> move it to the ready queue
//     timers due (real time)      -> wake them
//     poll up to BUDGET ready tasks (stop early if main was woken)
//     nothing ran?                -> virtual time: jump to the next deadline;
//                                    else deadlock check, then park until a
//                                    wake or the next deadline (inbox.rs)
//   }
//
// Who releases the executor's reference to a task: whoever sees it both
// COMPLETE and not SCHEDULED. At completion, if the task is not queued it is
// removed at once; if it is queued (it woke itself, or a remote wake raced),
// the pop that finds it COMPLETE removes it. Local queue entries borrow the
// executor's reference; inbox entries own one (the executor may be gone by
// the time a remote thread pushes).
//
// Rejected alternative: polling every unfinished task on every turn (no
// wakers needed at all, but each turn costs O(all tasks) even when one
// task has work, and the thread could never sleep).
//
// Around this file: context.rs (the thread-local "current executor"),
// inbox.rs (remote wakes and parking), shutdown.rs (Drop), diagnostics.rs
// (reached through the `diagnostics::*` calls below), schedule.rs (the
// ready queue's order), task_list.rs.

use super::JoinHandle;
use super::diagnostics::{self, Diagnostics};
use super::inbox::Shared;
use super::schedule::ReadyQueue;
use super::task::{CANCELLED, COMPLETE, MAIN, Outcome, REF_ONE, SCHEDULED, TaskRef, refs};
use super::task_list::TaskList;
use super::waker;
use crate::sync::Arc;
use crate::sync::atomic::Ordering;
use crate::time::Driver;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Instant;

/// How many tasks one turn polls before looking at the inbox and timers
/// again, so a busy set of tasks cannot starve remote wakes or timers.
const BUDGET: usize = 128;

/// What one turn did: tasks taken from the ready queue, and how many of
/// them were polled (a task that finished while queued is only removed).
struct Turn {
    popped: usize,
    polled: usize,
}

/// The half of an executor that lives on its thread.
pub(crate) struct Core {
    pub(crate) shared: Arc<Shared>,
    pub(crate) main: Cell<TaskRef>,
    pub(crate) ready: RefCell<ReadyQueue>,
    /// Every live task; each entry owns the executor's reference.
    pub(crate) tasks: RefCell<TaskList>,
    pub(crate) driver: Rc<Driver>,
    pub(crate) diag: Diagnostics,
    /// Names of named tasks, by task id: a side table, so that unnamed
    /// tasks (most of them) pay nothing for the feature.
    pub(super) names: RefCell<HashMap<u32, String>>,
    next_id: Cell<u32>,
    /// A spare buffer to swap with the inbox, so draining does not allocate.
    spare: RefCell<Vec<TaskRef>>,
}

impl Core {
    pub(crate) fn new(virtual_time: bool, seed: Option<u64>, diag: Diagnostics) -> Core {
        let shared = Arc::new(Shared::new());
        Core {
            main: Cell::new(TaskRef::new_main(shared.clone())),
            shared,
            ready: RefCell::new(ReadyQueue::new(seed)),
            tasks: RefCell::new(TaskList::default()),
            driver: Rc::new(Driver::new(virtual_time)),
            diag,
            names: RefCell::new(HashMap::new()),
            next_id: Cell::new(1),
            spare: RefCell::new(Vec::new()),
        }
    }

    pub(crate) fn spawn<F>(&self, future: F, name: Option<String>) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        let task = TaskRef::new(future, self.shared.clone(), id);
        if let Some(name) = name {
            self.names.borrow_mut().insert(id, name);
        }
        self.tasks.borrow_mut().insert(task);
        self.ready.borrow_mut().push(task);
        JoinHandle::new(task)
    }

    /// Drives `future` to completion, running tasks while it waits.
    #[track_caller]
    #[inline]
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        let enter = self.enter();
        if !enter.previous.is_null() {
            panic!(
                "block_on called while an executor is already running on this thread (inside \
                 block_on or a task): blocking here would stall every task; `.await` the \
                 future instead, or `spawn` it"
            );
        }
        let main = self.fresh_main();
        let waker = waker::borrowed(main);
        let mut cx = Context::from_waker(&waker);
        // The first poll is due without a wake (and without an atomic write:
        // a future that is ready at once costs little more than its poll).
        let mut first = true;
        loop {
            if std::mem::take(&mut first) || self.take_main_wake(main) {
                let polled = diagnostics::timed(self, main, || future.as_mut().poll(&mut cx));
                if let Poll::Ready(output) = polled {
                    return output;
                }
                diagnostics::check_main_after_pending(self, main);
            }
            if self.turn(true).popped == 0 && !self.main_woken(main) {
                self.wait_for_work();
            }
        }
    }

    /// Polls ready tasks until none is left; timers only fire if due.
    pub(crate) fn run_until_stalled(&self) -> usize {
        let _enter = self.enter();
        let mut total = 0;
        loop {
            let turn = self.turn(false);
            total += turn.polled;
            if turn.popped == 0 && !self.shared.has_mail() {
                return total;
            }
        }
    }

    /// Nothing left that a fresh executor would not have: no task and no
    /// armed timer. (Mail can then only be stale wakes of finished tasks,
    /// which are no-ops; a blocking job whose waiting task is gone nudges
    /// the executor when it ends, see blocking.rs.)
    #[inline]
    pub(crate) fn is_idle(&self) -> bool {
        self.tasks.borrow().len() == 0 && self.driver.armed() == 0
    }

    /// Returns the main header, replacing it if wakers of an earlier
    /// `block_on` are still alive (they would hide a lost waker).
    #[inline]
    fn fresh_main(&self) -> TaskRef {
        let main = self.main.get();
        // Acquire: pairs with the AcqRel release of a waker on another thread.
        if refs(main.header().state.load(Ordering::Acquire)) > 1 {
            main.header().state.fetch_or(COMPLETE, Ordering::AcqRel); // stale wakes: no-ops
            main.release(REF_ONE);
            self.main.set(TaskRef::new_main(self.shared.clone()));
        }
        self.main.get()
    }

    #[inline]
    fn main_woken(&self, main: TaskRef) -> bool {
        // Relaxed: only a hint to stop the turn early; `take_main_wake`
        // does the AcqRel step that orders the wake before the poll.
        main.header().state.load(Ordering::Relaxed) & SCHEDULED != 0
    }

    #[inline]
    fn take_main_wake(&self, main: TaskRef) -> bool {
        // AcqRel: the acquire half sees what the waker published before
        // waking; the release half orders this poll after the clear.
        self.main_woken(main)
            && main.header().state.fetch_and(!SCHEDULED, Ordering::AcqRel) & SCHEDULED != 0
    }

    /// One turn: inbox, due timers, then up to BUDGET ready tasks.
    fn turn(&self, stop_for_main: bool) -> Turn {
        if self.shared.has_mail() {
            self.drain_inbox();
        }
        if !self.driver.is_virtual() && self.driver.armed() > 0 {
            self.driver.fire_due();
        }
        let main = self.main.get();
        let mut turn = Turn {
            popped: 0,
            polled: 0,
        };
        while turn.popped < BUDGET {
            let next = self.ready.borrow_mut().pop();
            let Some(task) = next else { break };
            turn.popped += 1;
            turn.polled += usize::from(self.run_task(task));
            if stop_for_main && self.main_woken(main) {
                break;
            }
        }
        turn
    }

    fn drain_inbox(&self) {
        let mut mail = self.spare.take();
        self.shared.take_mail(&mut mail);
        let mut ready = self.ready.borrow_mut();
        for task in mail.drain(..) {
            ready.push(task);
            // The inbox entry's reference goes; the executor's keeps the
            // task alive (it is SCHEDULED, so it has not been removed).
            task.release(REF_ONE);
        }
        drop(ready);
        *self.spare.borrow_mut() = mail;
    }

    /// Runs one task popped from the ready queue; false if it had already
    /// finished (nothing was polled).
    fn run_task(&self, task: TaskRef) -> bool {
        // AcqRel: clearing SCHEDULED *before* polling means a wake that
        // arrives during the poll queues the task again (no lost wake-up).
        let prev = task.header().state.fetch_and(!SCHEDULED, Ordering::AcqRel);
        let vtable = task.header().vtable;
        let outcome = if prev & COMPLETE != 0 {
            // Finished while queued: only the executor's reference is left.
            self.remove(task);
            return false;
        } else if prev & CANCELLED != 0 {
            // SAFETY: executor thread; the task is live (executor's ref).
            unsafe { (vtable.cancel)(task) }
        } else {
            let waker = waker::borrowed(task);
            let mut cx = Context::from_waker(&waker);
            // SAFETY: as above.
            diagnostics::timed(self, task, || unsafe { (vtable.poll)(task, &mut cx) })
        };
        match outcome {
            // Waiting: check somebody can still wake it.
            Outcome::Pending => diagnostics::check_task_after_pending(self, task),
            Outcome::Done => self.complete(task),
            Outcome::DetachedPanic(payload) => {
                // Report first: completing may free the task (and its name).
                diagnostics::report_detached_panic(self, task, payload);
                self.complete(task);
            }
        }
        true
    }

    /// The task finished: mark it COMPLETE, wake whoever awaits its
    /// JoinHandle, and drop the executor's reference unless it is queued.
    fn complete(&self, task: TaskRef) {
        // SAFETY: executor thread only (THE invariant in task.rs).
        let waiter = task
            .header()
            .join_waker
            .with_mut(|w| unsafe { (*w).take() });
        // Read before the reference goes: after that the task may be freed.
        let index = task.header().index.get() as usize;
        let id = task.header().id;
        let state = &task.header().state;
        let mut current = state.load(Ordering::Acquire);
        loop {
            if current & SCHEDULED != 0 {
                // Queued (it woke itself, or a remote wake raced): the pop
                // that finds it COMPLETE removes it.
                state.fetch_or(COMPLETE, Ordering::AcqRel);
                break;
            }
            // Not queued: set COMPLETE and release the executor's reference
            // in one atomic step (AcqRel, as in `TaskRef::release`).
            let new = (current | COMPLETE) - REF_ONE;
            match state.compare_exchange_weak(current, new, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => {
                    self.tasks.borrow_mut().remove_at(index);
                    self.forget_name(id);
                    if refs(current) == 1 {
                        // SAFETY: that was the last reference.
                        unsafe { (task.header().vtable.dealloc)(task) };
                    }
                    break;
                }
                Err(actual) => current = actual,
            }
        }
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }

    /// Drops the executor's reference to `task`.
    fn remove(&self, task: TaskRef) {
        let index = task.header().index.get() as usize;
        self.tasks.borrow_mut().remove_at(index);
        self.forget_name(task.header().id);
        task.release(REF_ONE);
    }

    fn forget_name(&self, id: u32) {
        let mut names = self.names.borrow_mut();
        if !names.is_empty() {
            names.remove(&id);
        }
    }

    /// How diagnostics name a task: `'download' (task #3)` or `task #3`.
    pub(crate) fn describe(&self, task: TaskRef) -> String {
        match self.names.borrow().get(&task.header().id) {
            Some(name) if task.header().state.load(Ordering::Relaxed) & MAIN == 0 => {
                format!("'{name}' (task #{})", task.header().id)
            }
            _ => task.describe_unnamed(),
        }
    }

    /// Nothing is ready: move time, or check for deadlock and park.
    fn wait_for_work(&self) {
        diagnostics::check_main_after_pending(self, self.main.get());
        let driver = &self.driver;
        // Acquire: pairs with the Release decrement by a pool thread, which
        // happens after that job's wake reached the inbox.
        let blocking = self.shared.blocking.load(Ordering::Acquire);
        if driver.is_virtual() {
            // Jump only when no blocking job could still wake someone first.
            if blocking == 0 && !self.shared.has_mail() {
                if let Some(deadline) = driver.next_deadline() {
                    driver.advance_to(deadline);
                    driver.fire_due();
                    return;
                }
            }
        } else if driver.fire_due() > 0 {
            return;
        }
        if blocking == 0 && driver.armed() == 0 {
            diagnostics::check_deadlock(self);
        }
        let timeout = match driver.is_virtual() {
            true => None,
            false => driver
                .next_deadline()
                .map(|d| d.saturating_duration_since(Instant::now())),
        };
        let (timeout, stall_check) = diagnostics::park_timeout(self, timeout);
        let nothing_came = self.shared.park(timeout);
        if stall_check && nothing_came {
            diagnostics::report_stall(self);
        }
    }
}
