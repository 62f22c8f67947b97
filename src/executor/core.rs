//! The run loop: the ready queue, the inbox, parking, and shutdown.
//!
// How it works
// ------------
//
// An executor is two halves:
//
//   Core (this thread only, !Send)              Shared (Arc, any thread)
//   +--------------------------------+          +-------------------------------+
//   | ready: ReadyQueue  <-- local   |          | inbox: Mutex<{ tasks, notified,|
//   |        wakes push here, no lock|          |        parked, closed }>      |
//   | tasks: every live task (owned  |  <-drain- |   <-- wakes from other threads |
//   |        by the executor's ref)  |          | wakeup: Condvar (parking)      |
//   | main:  block_on's header       |          | blocking: jobs in flight       |
//   | driver: clock + timers         |          | pool: spawn_blocking threads   |
//   +--------------------------------+          +-------------------------------+
//
// `block_on` loop:
//
//   loop {
//     main woken?            -> poll block_on's future; Ready -> return
//     mail in the inbox?     -> move it to the ready queue
//     timers due (real time) -> wake them
//     poll up to BUDGET ready tasks (stop early if main was woken)
//     nothing ran?           -> virtual time: jump to the next deadline
//                               otherwise: deadlock check, then park until
//                               a remote wake or the next deadline
//   }
//
// Parking cannot lose a wake-up: the executor checks the inbox and sets
// `parked` under the inbox mutex and waits on the condvar (which releases
// the mutex atomically); a remote waker pushes under the same mutex and
// notifies if `parked`. (Loom model: `wake_while_parking`.)
//
// Who releases the executor's reference to a task: whoever sees it both
// COMPLETE and not SCHEDULED. At completion, if the task is not queued it is
// removed at once; if it is queued (it woke itself, or a remote wake raced),
// the pop that finds it COMPLETE removes it. Local queue entries borrow the
// executor's reference; inbox entries own one (the executor may be gone by
// the time a remote thread pushes).

use super::JoinHandle;
use super::blocking::Pool;
use super::diagnostics::{self, Diagnostics};
use super::schedule::ReadyQueue;
use super::task::{CANCELLED, COMPLETE, MAIN, Outcome, REF_ONE, SCHEDULED, TaskRef, refs};
use super::task_list::TaskList;
use super::waker;
use crate::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::sync::{Arc, Condvar, Mutex};
use crate::time::{self, Driver};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// How many tasks one turn polls before looking at the inbox and timers
/// again, so a busy set of tasks cannot starve remote wakes or timers.
const BUDGET: usize = 128;

/// The half of an executor that other threads can reach.
pub(crate) struct Shared {
    inbox: Mutex<Inbox>,
    wakeup: Condvar,
    /// A hint that the inbox has something, read without the lock.
    has_mail: AtomicBool,
    /// `spawn_blocking` jobs submitted and not yet delivered.
    pub(crate) blocking: AtomicUsize,
    pub(crate) pool: Pool,
}

#[derive(Default)]
struct Inbox {
    tasks: Vec<TaskRef>,
    notified: bool,
    parked: bool,
    closed: bool,
}

impl Shared {
    /// A wake from another thread (or from this thread while the executor
    /// is not running): queue the task in the inbox and unpark the executor.
    pub(crate) fn push_remote(&self, task: TaskRef, is_main: bool) {
        if !is_main {
            task.add_ref(); // owned by the inbox entry
        }
        let mut inbox = self.inbox.lock();
        if inbox.closed {
            // The executor is gone: the wake does nothing, leaks nothing.
            drop(inbox);
            if !is_main {
                task.release(REF_ONE);
            }
            return;
        }
        if !is_main {
            inbox.tasks.push(task);
        }
        inbox.notified = true;
        // Release: pairs with the Acquire load in `turn`, which then takes
        // the lock and sees the entry.
        self.has_mail.store(true, Ordering::Release);
        let parked = inbox.parked;
        drop(inbox);
        if parked {
            self.wakeup.notify_one();
        }
    }

    /// Wakes the executor without queueing anything, so that it looks
    /// around again (a waker it was counting on is gone).
    pub(crate) fn nudge(&self) {
        let mut inbox = self.inbox.lock();
        if inbox.closed {
            return;
        }
        inbox.notified = true;
        // Release: as in `push_remote`.
        self.has_mail.store(true, Ordering::Release);
        let parked = inbox.parked;
        drop(inbox);
        if parked {
            self.wakeup.notify_one();
        }
    }

    #[inline]
    pub(crate) fn has_mail(&self) -> bool {
        // Acquire: pairs with the Release store in `push_remote`.
        self.has_mail.load(Ordering::Acquire)
    }
}

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
    names: RefCell<HashMap<u32, String>>,
    next_id: Cell<u32>,
    /// A spare buffer to swap with the inbox, so draining does not allocate.
    spare: RefCell<Vec<TaskRef>>,
}

// The executor running on this thread (set for the length of `block_on`,
// `run_until_stalled` and shutdown).
crate::sync::const_thread_local! {
    static CURRENT: Cell<*const Core> = Cell::new(std::ptr::null());
}

/// Runs `f` with the executor running on this thread, if any.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(&Core) -> R) -> Option<R> {
    let core = CURRENT.try_with(|c| c.get()).ok()?;
    // SAFETY: CURRENT is non-null only while an `Enter` guard for a live
    // Core exists further up this thread's stack.
    (!core.is_null()).then(|| f(unsafe { &*core }))
}

/// Describes `task` using the running executor's name table if it is the
/// task's executor, else by number only.
pub(crate) fn describe(task: TaskRef) -> String {
    with_current(
        |core| match Arc::ptr_eq(&core.shared, &task.header().shared) {
            true => core.describe(task),
            false => task.describe_unnamed(),
        },
    )
    .unwrap_or_else(|| task.describe_unnamed())
}

/// The wake fast path: if `task` belongs to the executor running on this
/// thread, queue it locally (no lock) and return true.
#[inline]
pub(crate) fn push_local_if_current(task: TaskRef) -> bool {
    with_current(|core| {
        if !Arc::ptr_eq(&core.shared, &task.header().shared) {
            return false;
        }
        // MAIN: the run loop polls block_on's future when its bit is set.
        if task.header().state.load(Ordering::Relaxed) & MAIN == 0 {
            core.ready.borrow_mut().push(task);
        }
        true
    })
    .unwrap_or(false)
}

/// Marks a core as this thread's current executor until dropped.
pub(crate) struct Enter {
    previous: *const Core,
    _time: time::EnterGuard,
}

impl Drop for Enter {
    #[inline]
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.previous));
    }
}

impl Core {
    pub(crate) fn new(virtual_time: bool, seed: Option<u64>, diag: Diagnostics) -> Core {
        let shared = Arc::new(Shared {
            inbox: Mutex::new(Inbox::default()),
            wakeup: Condvar::new(),
            has_mail: AtomicBool::new(false),
            blocking: AtomicUsize::new(0),
            pool: Pool::new(),
        });
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

    #[inline]
    pub(crate) fn enter(&self) -> Enter {
        let time = time::enter(&self.driver);
        // `try_with`: shutdown may run while thread-locals are torn down.
        let previous = CURRENT
            .try_with(|c| c.replace(self))
            .unwrap_or(std::ptr::null());
        Enter {
            previous,
            _time: time,
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
        {
            let mut inbox = self.shared.inbox.lock();
            std::mem::swap(&mut inbox.tasks, &mut mail);
            inbox.notified = false;
            self.shared.has_mail.store(false, Ordering::Relaxed); // under the lock
        }
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
        self.park(timeout);
    }

    fn park(&self, timeout: Option<Duration>) {
        let (timeout, stall_check) = diagnostics::park_timeout(self, timeout);
        let mut inbox = self.shared.inbox.lock();
        if inbox.tasks.is_empty() && !inbox.notified {
            inbox.parked = true;
            inbox = match timeout {
                Some(timeout) => self.shared.wakeup.wait_timeout(inbox, timeout),
                None => self.shared.wakeup.wait(inbox),
            };
            inbox.parked = false;
            let nothing_came = inbox.tasks.is_empty() && !inbox.notified;
            drop(inbox);
            if stall_check && nothing_came {
                diagnostics::report_stall(self);
            }
        }
    }
}

impl Drop for Core {
    /// Shutdown: drop every pending future (on this thread), answer every
    /// JoinHandle with "aborted", and close the inbox so late wakes are no-ops.
    fn drop(&mut self) {
        let _enter = self.enter();
        let main = self.main.get();
        main.header().state.fetch_or(COMPLETE, Ordering::AcqRel);
        main.release(REF_ONE);
        // Batches: a future's destructor may spawn another task.
        loop {
            let batch = self.tasks.borrow_mut().take_all();
            if batch.is_empty() {
                break;
            }
            for task in batch {
                // COMPLETE first, so wakes from the destructors are no-ops.
                let prev = task.header().state.fetch_or(COMPLETE, Ordering::AcqRel);
                if prev & COMPLETE == 0 {
                    // SAFETY: executor thread; the executor's reference is held.
                    let outcome = unsafe { (task.header().vtable.cancel)(task) };
                    drop(outcome); // a detached task's result has nowhere to go
                    // SAFETY: executor thread only.
                    let waiter = task
                        .header()
                        .join_waker
                        .with_mut(|w| unsafe { (*w).take() });
                    if let Some(waiter) = waiter {
                        waiter.wake();
                    }
                }
                task.release(REF_ONE);
            }
        }
        // Entries borrowed the executor's references, all released above.
        self.ready.borrow_mut().clear();
        let mail = {
            let mut inbox = self.shared.inbox.lock();
            inbox.closed = true;
            std::mem::take(&mut inbox.tasks)
        };
        for task in mail {
            task.release(REF_ONE);
        }
        self.shared.pool.close();
    }
}
