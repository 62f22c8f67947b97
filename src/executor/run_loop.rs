//! The run loop: spawn, poll what is ready, park when nothing is.
//!
//! This is the heart of the executor, and the last of the four core files
//! (`task.rs`, `queues.rs`, `waker.rs`, `run_loop.rs`). Everything else
//! (the public [`Executor`](super::Executor), diagnostics, the blocking
//! pool) is built around it.
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
//   | observer:   the seam (optional)  |
//   +----------------------------------+
//
// `block_on(future)`:
//
//   loop {
//     poll the future; Ready -> drain microtasks, return
//     drain microtasks
//     until the future is woken again:
//       one turn: inbox -> ready queue, due timers, then up to BUDGET
//                 ready tasks (each poll followed by the microtasks)
//       nothing ready? -> virtual time: jump to the next deadline;
//                         else park until a wake or the next deadline
//   }
//
// `drive` (one poll of `Executor::run`'s future, run.rs) is the same loop
// body with two changes: after BUDGET polls it returns `Yield` (the outer
// runtime gets its thread back), and instead of parking it leaves the
// outer runtime's waker in the inbox and returns `Idle` with the next
// real-time deadline, which run.rs's alarm thread turns into a wake.
//
// Who releases the executor's reference to a task: whoever sees it both
// COMPLETE and not SCHEDULED. At completion, if the task is not queued it
// is removed at once; if it is queued (it woke itself, or a remote wake
// raced), the pop that finds it COMPLETE removes it. Local queue entries
// borrow the executor's reference; inbox entries own one (the executor may
// be gone by the time another thread posts).
//
// The observer seam (observer.rs): at each fixed point the loop checks
// `self.observer` and, if there is one, tells it what happened. The loop
// never looks at what the observer does, except for one answer: before
// parking, an observer may say that block_on's future can never be woken,
// and block_on then panics at its caller's line.
//
// Rejected alternative: polling every unfinished task on every turn (no
// wakers needed at all, but each turn costs O(all tasks) even when one
// task has work, and the thread could never sleep).

use super::blocking::{Job, Pool};
use super::observer::{Advice, Idle, Observer, PollEnd, TaskDesc, Wait, Waiting, WakeSource};
use super::queues::{ReadyQueue, TaskList};
use super::task::{
    CANCELLED, COMPLETE, Ending, JOIN, REF_ONE, Ran, SCHEDULED, TaskInbox, TaskRef, refs,
};
use super::waker;
use crate::sync::Arc;
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::time::{self, Driver};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// How many tasks one turn polls before looking at the inbox and timers
/// again, so a busy set of tasks cannot starve remote wakes or timers.
const BUDGET: usize = 128;

/// How a `Run` comes back to `drive`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resumed {
    /// Its first poll: the future is polled at once.
    First,
    /// After `Drive::Idle`: the observer hears that the nap ended.
    FromIdle,
    /// After `Drive::Yield`.
    Again,
}

/// What one `drive` came to.
pub(crate) enum Drive<T> {
    /// The future finished.
    Done(T),
    /// The budget is spent while work remains: wake the outer task and
    /// return Pending.
    Yield,
    /// Nothing to do: the outer waker is in the inbox; a real-time timer
    /// (or the watchdog) needs it woken at `wake_at`.
    Idle { wake_at: Option<Instant> },
}

/// What the task list keeps about each live task (names live in a side
/// table: most tasks have none, and a small slot keeps spawn cheap).
pub(crate) struct Spawned {
    at: &'static Location<'static>,
}

/// The half of an executor that lives on its thread.
pub(crate) struct RunLoop {
    inbox: Arc<TaskInbox>,
    ready: RefCell<ReadyQueue<TaskRef>>,
    microtasks: RefCell<VecDeque<Box<dyn FnOnce()>>>,
    /// Every live task; each entry owns the executor's reference.
    tasks: RefCell<TaskList<TaskRef, Spawned>>,
    /// Names of named tasks, by id.
    names: RefCell<HashMap<u32, String>>,
    driver: Rc<Driver>,
    /// `spawn_blocking` jobs submitted and not yet delivered: while one
    /// runs, a task may still be woken from its thread.
    jobs: Arc<AtomicUsize>,
    /// The threads that run those jobs (blocking.rs).
    pool: Pool,
    observer: Option<Box<dyn Observer>>,
    /// The observer wants every event, not only the notable ones (a lost
    /// waker, a panic, parking): see `Observer::wants_every_event`.
    every_event: bool,
    /// Tasks spawned during the current poll (only for an observer of
    /// every event, which must not mistake them for wakes).
    spawned_now: RefCell<Vec<TaskRef>>,
    /// The observer wants to know what each task waits on.
    explain: bool,
    /// What each task waits on, by task-list slot (only with `explain`).
    waits: RefCell<Vec<Option<Wait>>>,
    block_on_wait: Cell<Option<Wait>>,
    /// The header whose reference count counts block_on's wakers.
    block_on: Cell<TaskRef>,
    /// Where the running `block_on` was called.
    block_on_at: Cell<&'static Location<'static>>,
    /// The task being polled right now (block_on's header while its
    /// future is polled), if any.
    current: Cell<Option<TaskRef>>,
    next_id: Cell<u32>,
    /// An `Executor::run` future is in progress (at most one at a time).
    run_active: Cell<bool>,
    /// When the nap that the observer allowed an idle `Run` ends.
    nap_until: Cell<Option<Instant>>,
}

impl RunLoop {
    pub(crate) fn new(
        virtual_time: bool,
        seed: Option<u64>,
        observer: Option<Box<dyn Observer>>,
    ) -> RunLoop {
        let inbox = Arc::new(TaskInbox::new());
        let jobs = Arc::new(AtomicUsize::new(0));
        let every_event = observer.as_ref().is_some_and(|o| o.wants_every_event());
        let driver = Rc::new(Driver::new(virtual_time));
        if every_event {
            driver.log_arming(); // for `timer_armed` events
        }
        RunLoop {
            pool: Pool::new(inbox.clone(), jobs.clone()),
            jobs,
            block_on: Cell::new(TaskRef::new_block_on(inbox.clone())),
            inbox,
            ready: RefCell::new(ReadyQueue::new(seed)),
            microtasks: RefCell::new(VecDeque::new()),
            tasks: RefCell::new(TaskList::new()),
            names: RefCell::new(HashMap::new()),
            driver,
            every_event,
            explain: observer.as_ref().is_some_and(|o| o.wants_waits()),
            waits: RefCell::new(Vec::new()),
            spawned_now: RefCell::new(Vec::new()),
            block_on_wait: Cell::new(None),
            observer,
            block_on_at: Cell::new(Location::caller()),
            current: Cell::new(None),
            next_id: Cell::new(1),
            run_active: Cell::new(false),
            nap_until: Cell::new(None),
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
        if let Some(observer) = self.chatty() {
            // The parent is told here only, not kept: one word less per task.
            observer.spawned(&TaskDesc {
                id,
                name: name.as_deref(),
                spawned_at: at,
                parent: self.current.get().map(|t| t.header().id),
            });
            self.spawned_now.borrow_mut().push(task);
        }
        if let Some(name) = name {
            self.names.borrow_mut().insert(id, name);
        }
        let index = self.tasks.borrow_mut().insert(task, Spawned { at });
        task.header().index.set(index as u32);
        self.ready.borrow_mut().push(task);
        task
    }

    /// The task being polled waits on `wait` (see `observer::Wait`).
    #[inline]
    pub(crate) fn note_wait(&self, wait: Wait) {
        if let (true, Some(task)) = (self.explain, self.current.get()) {
            match task.header().id {
                0 => self.block_on_wait.set(Some(wait)),
                _ => self.set_wait(task, Some(wait)),
            }
        }
    }

    /// The id of the task being polled (0: block_on's future).
    #[inline]
    pub(crate) fn current_id(&self) -> Option<u32> {
        self.current.get().map(|t| t.header().id)
    }

    #[cold]
    fn set_wait(&self, task: TaskRef, wait: Option<Wait>) {
        let index = task.header().index.get() as usize;
        let mut waits = self.waits.borrow_mut();
        if waits.len() <= index {
            waits.resize(index + 1, None);
        }
        waits[index] = wait;
    }

    /// Queues `f` to run after the current poll, before any other task.
    pub(crate) fn queue_microtask(&self, f: Box<dyn FnOnce()>) {
        self.microtasks.borrow_mut().push_back(f);
    }

    /// Drives `future` to completion, running tasks while it waits.
    #[track_caller]
    #[inline]
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.block_on_at.set(Location::caller());
        let mut future = pin!(future);
        let Some(_enter) = self.enter_outermost() else {
            panic!(
                "block_on called while an executor is already running on this thread (inside \
                 block_on or a task): blocking here would stall every task; `.await` the \
                 future instead, or `spawn` it"
            );
        };
        let header = self.fresh_block_on_header();
        let waker = waker::borrowed_block_on(header);
        let mut cx = Context::from_waker(&waker);
        if let Some(observer) = self.chatty() {
            observer.spawned(&self.block_on_info());
        }
        loop {
            if let Poll::Ready(output) = self.poll_main(header, future.as_mut(), &mut cx) {
                return output;
            }
            // At least one turn before the next poll, so that a future
            // that wakes itself (`yield_now`) lets the tasks run.
            loop {
                self.turn(Some(header));
                if take_wake(header) {
                    break;
                }
                if self.ready.borrow().len() == 0 {
                    self.wait_for_work(Some(header));
                }
            }
        }
    }

    /// Polls block_on's (or a `Run`'s) future once, then the microtasks
    /// it queued. Shared by `block_on` and `drive`.
    #[track_caller]
    #[inline(always)]
    fn poll_main<F: Future>(
        &self,
        header: TaskRef,
        future: Pin<&mut F>,
        cx: &mut Context<'_>,
    ) -> Poll<F::Output> {
        let before = self.wakes_before();
        if let Some(observer) = self.chatty() {
            observer.poll_started(&self.block_on_info());
        }
        self.current.set(Some(header));
        if self.explain {
            self.block_on_wait.set(None);
        }
        let polled = future.poll(cx);
        self.current.set(None);
        if let Some(observer) = self.chatty() {
            let end = match polled {
                Poll::Ready(_) => PollEnd::Finished,
                Poll::Pending => pending_end(header),
            };
            observer.poll_ended(&self.block_on_info(), end);
        }
        if self.every_event {
            self.report_wakes_by(before, 0);
        }
        self.run_microtasks();
        if polled.is_pending() && self.observer.is_some() && pending_end(header) == lost() {
            // Its waker is gone and nobody woke it: ask the observer now,
            // not when the loop next parks (tasks may run for a long time).
            self.before_park(Some(header));
        }
        polled
    }

    /// Starts an `Executor::run`: a header of its own for its future's
    /// wakers (it may live alongside `block_on`s of the same executor).
    #[track_caller]
    pub(crate) fn start_run(&self) -> TaskRef {
        if self.run_active.replace(true) {
            panic!(
                "Executor::run: this executor is already driven by another `run` future; \
                 spawn the second future onto it (Executor::spawn) instead"
            );
        }
        TaskRef::new_block_on(self.inbox.clone())
    }

    /// Ends an `Executor::run` (finished or dropped): its header goes, and
    /// the outer waker it may have left in the inbox.
    pub(crate) fn end_run(&self, header: TaskRef) {
        // AcqRel: a late waker on another thread must see COMPLETE.
        header.header().state.fetch_or(COMPLETE, Ordering::AcqRel);
        header.release(REF_ONE);
        self.run_active.set(false);
        drop(self.inbox.take_outer());
    }

    /// One `Run::poll`: polls the future if it was woken (or `poll_now`),
    /// runs turns until nothing is ready or the budget is spent, moves
    /// virtual time; when idle, leaves `outer` in the inbox instead of
    /// parking and says when a real-time timer is due.
    #[track_caller]
    pub(crate) fn drive<F: Future>(
        &self,
        header: TaskRef,
        resumed: Resumed,
        mut future: Pin<&mut F>,
        outer: &Waker,
        at: &'static Location<'static>,
    ) -> Drive<F::Output> {
        self.block_on_at.set(at);
        let Some(_enter) = self.enter_outermost() else {
            panic!(
                "Executor::run polled while an executor of this crate is already running on \
                 this thread (inside block_on or a task): `.await` the inner future there \
                 instead, or drive the `run` future from the outer runtime"
            );
        };
        let mut poll_now = match resumed {
            Resumed::First => true,
            Resumed::FromIdle => {
                // Like waking from `park`: "nothing came" only once the
                // nap the observer allowed is over (the outer runtime may
                // poll us early, for reasons of its own).
                let nap_over = self.nap_until.take().is_none_or(|t| Instant::now() >= t);
                if let Some(observer) = &self.observer {
                    observer.unparked(nap_over && !self.inbox.has_mail() && !woken(header));
                }
                false
            }
            Resumed::Again => false,
        };
        let waker = waker::borrowed_block_on(header);
        let mut cx = Context::from_waker(&waker);
        let mut polled = 0;
        loop {
            if poll_now || take_wake(header) {
                polled += 1;
                if let Poll::Ready(out) = self.poll_main(header, future.as_mut(), &mut cx) {
                    return Drive::Done(out);
                }
            }
            poll_now = false;
            polled += self.turn(Some(header));
            if polled >= BUDGET {
                // Let the outer runtime breathe; it polls us again soon
                // (a wake of our future stays set for that poll).
                return Drive::Yield;
            }
            if woken(header) {
                continue;
            }
            if self.ready.borrow().len() > 0 || self.move_time() {
                continue;
            }
            // Nothing to do: instead of parking, hand the outer waker to
            // the inbox (a remote wake, or block_on-header wake from another
            // thread, wakes it) and say when the next real timer is due.
            let mut wake_at = match self.driver.is_virtual() {
                true => None,
                false => self.driver.next_deadline(),
            };
            match self.advise(Some(header)) {
                Ok(None) => {}
                Ok(Some(limit)) => {
                    let limit = Instant::now() + limit;
                    self.nap_until.set(Some(limit));
                    wake_at = Some(wake_at.map_or(limit, |t| t.min(limit)));
                }
                Err(why) => panic!("{why} (the future of Executor::run at {at})"),
            }
            if self.inbox.register_outer(outer) {
                return Drive::Idle { wake_at };
            }
            // Something came while we looked: go round again.
        }
    }

    /// Polls ready tasks until none is left; timers only fire if due.
    /// Returns how many polls that took.
    pub(crate) fn run_until_stalled(&self) -> usize {
        let _enter = self.enter();
        let mut polls = 0;
        loop {
            polls += self.turn(None);
            if self.ready.borrow().len() == 0 && !self.inbox.has_mail() {
                return polls;
            }
        }
    }

    /// Makes this loop the thread's running executor until dropped: the
    /// free functions (`spawn`, `sleep`) find it, and local wakes skip the
    /// inbox.
    #[inline]
    fn enter(&self) -> Enter {
        // `try_with`: shutdown may run while thread-locals are torn down.
        let previous = CURRENT
            .try_with(|c| c.replace(self))
            .unwrap_or(std::ptr::null());
        Enter {
            previous,
            _local: waker::enter(&self.inbox, &self.ready),
            _time: time::enter(&self.driver),
        }
    }

    /// `enter` for `block_on` and `drive`, which may not nest inside a
    /// running executor: `None` if one runs here already. Otherwise the
    /// other two thread-locals (`waker.rs`, `time`) are empty too (`Enter`
    /// sets and restores all three together), so nothing is read to be put
    /// back. Speed: `Executor::block_on` 2.27 -> 1.90 ns per call, 73 -> 63
    /// instructions (`cargo bench --bench peers -- block_on_ready`, AMD EPYC).
    #[inline]
    fn enter_outermost(&self) -> Option<Enter> {
        let current = CURRENT.try_with(Cell::get).unwrap_or(std::ptr::null());
        if !current.is_null() {
            return None;
        }
        let _ = CURRENT.try_with(|c| c.set(self));
        Some(Enter {
            previous: std::ptr::null(),
            _local: waker::enter_outermost(&self.inbox, &self.ready),
            _time: time::enter_outermost(&self.driver),
        })
    }

    /// One turn: inbox, due timers, then up to BUDGET ready tasks. Returns
    /// how many tasks it polled. With `block_on`, stops as soon as
    /// block_on's future is woken.
    fn turn(&self, block_on: Option<TaskRef>) -> usize {
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
            self.report_wakes(before, WakeSource::Thread);
        }
        if !self.driver.is_virtual() && self.driver.armed() > 0 {
            self.fire_timers();
        }
        let mut polled = 0;
        for _ in 0..BUDGET {
            let next = self.ready.borrow_mut().pop();
            let Some(task) = next else { break };
            polled += usize::from(self.run_task(task));
            if block_on.is_some_and(woken) {
                break;
            }
        }
        polled
    }

    /// Runs one task popped from the ready queue; false if it had already
    /// finished (nothing was polled).
    fn run_task(&self, task: TaskRef) -> bool {
        let before = self.wakes_before();
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
            if let Some(observer) = self.chatty() {
                self.with_info(task, |info| observer.poll_started(info));
            }
            self.current.set(Some(task));
            if self.explain {
                self.set_wait(task, None);
            }
            // SAFETY: as above.
            let ran = unsafe { (vtable.poll)(task, &mut cx) };
            self.current.set(None);
            if let Some(observer) = &self.observer {
                let end = match ran {
                    Ran::Pending => pending_end(task),
                    Ran::Finished(_) => PollEnd::Finished,
                };
                // A lost waker is always worth telling; the rest only to
                // an observer that wants every event.
                if self.every_event || end == lost() {
                    self.with_info(task, |info| observer.poll_ended(info, end));
                }
            }
            ran
        };
        // Read before `complete`, which may free the task.
        let id = task.header().id;
        if let Ran::Finished(ending) = ran {
            self.complete(task, ending);
        }
        // Everything this task woke, including whoever awaited its end.
        if self.every_event {
            self.report_wakes_by(before, id);
        }
        self.run_microtasks();
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
        if let Some(observer) = &self.observer {
            if self.every_event || matches!(ending, Ending::Panicked(_)) {
                self.with_info(task, |info| observer.finished(info, &ending));
            }
        }
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
        let index = task.header().index.get() as usize;
        if self.explain {
            self.set_wait(task, None);
        }
        self.tasks.borrow_mut().remove(index);
        let mut names = self.names.borrow_mut();
        if !names.is_empty() {
            names.remove(&task.header().id);
        }
        drop(names);
        task.release(REF_ONE);
    }

    /// Runs queued microtasks in FIFO order, including the ones they queue.
    #[inline]
    fn run_microtasks(&self) {
        if self.microtasks.borrow().is_empty() {
            return;
        }
        self.drain_microtasks();
    }

    fn drain_microtasks(&self) {
        let mut ran = 0;
        let before = self.ready.borrow().len();
        loop {
            let next = self.microtasks.borrow_mut().pop_front();
            let Some(job) = next else { break };
            ran += 1;
            if let Err(payload) = catch_unwind(AssertUnwindSafe(job)) {
                if let Some(observer) = &self.observer {
                    observer.microtask_panicked(super::join_error::panic_message(&*payload));
                }
                let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            }
        }
        if ran > 0 {
            if let Some(observer) = self.chatty() {
                observer.microtasks_ran(ran);
            }
            self.report_wakes(before, WakeSource::Microtask);
        }
    }

    fn fire_timers(&self) -> usize {
        let before = self.ready.borrow().len();
        let fired = self.driver.fire_due();
        if fired > 0 {
            if let Some(observer) = self.chatty() {
                observer.timers_fired(fired);
            }
            self.report_wakes(before, WakeSource::Timer);
        }
        fired
    }

    /// Nothing is ready: under virtual time, jump to the next deadline
    /// (unless a blocking job or a remote wake could come first); under
    /// real time, fire the timers that are due. True if any fired.
    fn move_time(&self) -> bool {
        if !self.driver.is_virtual() {
            return self.fire_timers() > 0;
        }
        // Acquire: pairs with the Release decrement by a pool thread, which
        // happens after that job's wake reached the inbox.
        let jobs = self.jobs.load(Ordering::Acquire);
        // Jump only when no blocking job could still wake someone first.
        if jobs == 0 && !self.inbox.has_mail() {
            if let Some(deadline) = self.driver.next_deadline() {
                self.driver.advance_to(deadline);
                if let Some(observer) = self.chatty() {
                    observer.clock_moved(self.driver.elapsed());
                }
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
        let mut timeout = match self.driver.is_virtual() {
            true => None,
            false => self
                .driver
                .next_deadline()
                .map(|d| d.saturating_duration_since(Instant::now())),
        };
        if let Some(limit) = self.before_park(block_on) {
            timeout = Some(timeout.map_or(limit, |t| t.min(limit)));
        }
        let nothing_came = self.inbox.park(timeout);
        if let Some(observer) = &self.observer {
            observer.unparked(nothing_came);
        }
    }

    /// Asks the observer before parking. Panics (at block_on's caller) if
    /// it finds a deadlock; returns the longest nap it allows.
    #[track_caller]
    fn before_park(&self, block_on: Option<TaskRef>) -> Option<std::time::Duration> {
        match self.advise(block_on) {
            Ok(limit) => limit,
            Err(why) => panic!("{why}"),
        }
    }

    /// The observer's advice before parking: the longest nap it allows, or
    /// (`Err`) why block_on's future can never be woken.
    fn advise(&self, block_on: Option<TaskRef>) -> Result<Option<std::time::Duration>, String> {
        let Some(observer) = self.observer.as_ref() else {
            return Ok(None);
        };
        let waiting = |visit: &mut dyn FnMut(Waiting<'_>)| self.visit_waiting(block_on, visit);
        let idle = Idle {
            block_on: block_on.is_some(),
            timers: self.driver.armed(),
            // Acquire: as in `wait_for_work`.
            blocking_jobs: self.jobs.load(Ordering::Acquire),
            waiting: &waiting,
        };
        match observer.before_park(&idle) {
            Advice::Park => Ok(None),
            Advice::ParkAtMost(limit) => Ok(Some(limit)),
            Advice::Deadlock(why) => Err(why),
        }
    }

    /// Visits block_on's future and every waiting task with its waker count
    /// outside the executor; then says whether a wake is in flight.
    fn visit_waiting(&self, block_on: Option<TaskRef>, visit: &mut dyn FnMut(Waiting<'_>)) -> bool {
        let tasks = self.tasks.borrow();
        let names = self.names.borrow();
        // Acquire on every load below: pairs with the AcqRel of a waker's
        // drop or wake on another thread, so a count of zero means those
        // are done, and their wakes are visible in the inbox.
        let live = |t: &TaskRef| t.header().state.load(Ordering::Acquire) & COMPLETE == 0;
        // Wakers held inside the executor: a waiting task's JoinHandle slot
        // holding the waker of whoever awaits it.
        let mut inside: HashMap<TaskRef, usize> = HashMap::new();
        for (task, _) in tasks.iter().filter(|(t, _)| live(t)) {
            task.header().join_waker.with(|w| {
                // SAFETY: executor thread only (THE invariant in task.rs).
                if let Some(owner) = unsafe { &*w }.as_ref().and_then(waker::task_of) {
                    *inside.entry(owner).or_default() += 1;
                }
            });
        }
        fn waiting<'a>(
            task: TaskRef,
            info: TaskDesc<'a>,
            inside: &HashMap<TaskRef, usize>,
            waits_on: Option<Wait>,
        ) -> Waiting<'a> {
            let state = task.header().state.load(Ordering::Acquire);
            Waiting {
                task: info,
                waits_on,
                wakers: wakers_in(state),
                wakers_outside: wakers_in(state) - inside.get(&task).copied().unwrap_or(0),
                scheduled: state & SCHEDULED != 0,
            }
        }
        let mut in_flight = false;
        if let Some(header) = block_on {
            let w = waiting(
                header,
                self.block_on_info(),
                &inside,
                self.block_on_wait.get(),
            );
            in_flight |= w.scheduled;
            visit(w);
        }
        for (task, spawned) in tasks.iter().filter(|(t, _)| live(t)) {
            let index = task.header().index.get() as usize;
            let waits_on = self.waits.borrow().get(index).copied().flatten();
            let w = waiting(task, info_of(task, spawned, &names), &inside, waits_on);
            in_flight |= w.scheduled;
            visit(w);
        }
        // Only now look at the inbox. The order matters: a remote wake sets
        // SCHEDULED and posts *before* it drops its waker, so once the
        // counts above read zero (Acquire), that wake is visible here.
        in_flight || self.inbox.has_mail()
    }

    /// Tells the observer which tasks were pushed since the ready queue
    /// was `before` long, and by whom.
    fn report_wakes(&self, before: usize, by: WakeSource) {
        if let Some(observer) = self.chatty() {
            let spawned = std::mem::take(&mut *self.spawned_now.borrow_mut());
            for task in self.ready.borrow().pushed_since(before) {
                if !spawned.contains(&task) {
                    observer.woken(task.header().id, by);
                }
            }
        }
    }

    /// The same after `poller`'s poll: it woke itself or another task.
    fn report_wakes_by(&self, before: (usize, bool), poller: u32) {
        let Some(observer) = self.chatty() else {
            return;
        };
        // The timers this poll armed.
        self.driver
            .take_armed(|deadline| observer.timer_armed(poller, deadline));
        let by = |id| match id == poller {
            true => WakeSource::Itself,
            false => WakeSource::Task(poller),
        };
        let spawned = std::mem::take(&mut *self.spawned_now.borrow_mut());
        for task in self.ready.borrow().pushed_since(before.0) {
            // A task spawned during this poll was not woken: it is new.
            if !spawned.contains(&task) {
                observer.woken(task.header().id, by(task.header().id));
            }
        }
        // block_on's future is woken by a flag, not a push.
        if !before.1 && woken(self.block_on.get()) {
            observer.woken(0, by(0));
        }
    }

    /// What `report_wakes_by` compares with: the ready queue's length and
    /// block_on's flag before a poll (only for an observer of every event).
    #[inline]
    fn wakes_before(&self) -> (usize, bool) {
        match self.every_event {
            true => (self.ready.borrow().len(), woken(self.block_on.get())),
            false => (0, false),
        }
    }

    /// Returns block_on's header, replacing it if wakers of an earlier
    /// `block_on` are still alive (they would hide a lost waker).
    #[inline]
    fn fresh_block_on_header(&self) -> TaskRef {
        let header = self.block_on.get();
        // Acquire: pairs with the AcqRel release of a waker on another thread.
        let state = header.header().state.load(Ordering::Acquire);
        if state == REF_ONE {
            // The common case, in one comparison: no waker left from an
            // earlier `block_on`, and no stale wake. (Speed: the free
            // `block_on` 2.92 -> 2.45 ns per call, measured.)
            return header;
        }
        if refs(state) > 1 {
            // AcqRel: a stale waker on another thread sees COMPLETE and does
            // nothing.
            header.header().state.fetch_or(COMPLETE, Ordering::AcqRel);
            header.release(REF_ONE);
            self.block_on.set(TaskRef::new_block_on(self.inbox.clone()));
        } else if woken(header) {
            // Relaxed: nothing was published through a stale wake; only
            // its flag is cleared so the first poll is not a "wake".
            header
                .header()
                .state
                .fetch_and(!SCHEDULED, Ordering::Relaxed);
        }
        self.block_on.get()
    }

    /// The observer, if it wants every event (polls, wakes, spawns).
    #[inline]
    fn chatty(&self) -> Option<&dyn Observer> {
        // `every_event` first: it is false on the common path, and only
        // ever true with an observer. (Speed: `Executor::block_on` 1.90 ->
        // 1.65 ns per call, 63 -> 55 instructions, measured.)
        match self.every_event {
            true => self.observer.as_deref(),
            false => None,
        }
    }

    /// Calls `f` with what the task list knows about `task` (the list
    /// stays borrowed meanwhile: observers must not spawn).
    fn with_info<R>(&self, task: TaskRef, f: impl FnOnce(&TaskDesc<'_>) -> R) -> R {
        let tasks = self.tasks.borrow();
        let names = self.names.borrow();
        let index = task.header().index.get() as usize;
        match tasks.get(index).filter(|(t, _)| *t == task) {
            Some((_, spawned)) => f(&info_of(task, spawned, &names)),
            None => f(&self.block_on_info()),
        }
    }

    fn block_on_info(&self) -> TaskDesc<'static> {
        TaskDesc {
            id: 0,
            name: None,
            spawned_at: self.block_on_at.get(),
            parent: None,
        }
    }
}

// --- what the rest of the executor asks -----------------------------------

impl RunLoop {
    pub(crate) fn now(&self) -> Instant {
        self.driver.now()
    }

    /// How many tasks are alive (spawned and not yet finished).
    #[inline]
    pub(crate) fn live_tasks(&self) -> usize {
        self.tasks.borrow().len()
    }

    /// Nothing left that a fresh run loop would not have, right after a
    /// `block_on` returned: no task, no armed timer. (No microtask either:
    /// `block_on` drains them after every poll, the last one included; not
    /// checking saves the free `block_on` 3.29 -> 2.91 ns per call.)
    #[inline]
    pub(crate) fn is_idle_after_block_on(&self) -> bool {
        debug_assert!(self.microtasks.borrow().is_empty());
        self.live_tasks() == 0 && self.driver.armed() == 0
    }

    /// Runs `job` on the blocking pool. `job` wakes the task that waits
    /// for it; the run loop counts it as running until then (blocking.rs).
    pub(crate) fn submit_blocking(&self, job: Job) {
        // Relaxed: read on this thread, or after the pool's Release
        // decrement, which is ordered after this increment by the pool's
        // own mutex.
        self.jobs.fetch_add(1, Ordering::Relaxed);
        self.pool.submit(job);
    }

    /// Calls `f` with the task being polled right now.
    pub(crate) fn with_current_task<R>(&self, f: impl FnOnce(&TaskDesc<'_>) -> R) -> Option<R> {
        let task = self.current.get()?;
        Some(self.with_info(task, f))
    }

    /// Calls `f` with `task`, if it belongs to this run loop.
    pub(crate) fn with_task<R>(
        &self,
        task: TaskRef,
        f: impl FnOnce(&TaskDesc<'_>) -> R,
    ) -> Option<R> {
        Arc::ptr_eq(&task.header().inbox, &self.inbox).then(|| self.with_info(task, f))
    }
}

/// Shutdown: every unfinished task's future is dropped, on this thread,
/// running its destructors; every JoinHandle still held resolves to an
/// aborted `JoinError`; the inbox is closed so that wakes arriving later
/// (wakers may outlive the executor) do nothing and leak nothing.
//
// Each task is marked COMPLETE *before* its future is dropped, so wakes
// from inside destructors are no-ops. A destructor may also spawn a new
// task, so the task list is emptied in batches until it stays empty. Loom
// model: `executor_dropped_while_waking`. (Rejected alternative: leaving
// unfinished tasks alive until their last waker goes; their futures could
// then be dropped on another thread, which `!Send` futures forbid.)
impl Drop for RunLoop {
    fn drop(&mut self) {
        let _enter = self.enter();
        let header = self.block_on.get();
        // AcqRel: a late waker on another thread must see COMPLETE.
        header.header().state.fetch_or(COMPLETE, Ordering::AcqRel);
        header.release(REF_ONE);
        loop {
            let batch = self.tasks.borrow_mut().take_all();
            let jobs = std::mem::take(&mut *self.microtasks.borrow_mut());
            if batch.is_empty() && jobs.is_empty() {
                break;
            }
            // Microtasks that never ran are dropped (their closures' destructors may be user code).
            let _ = catch_unwind(AssertUnwindSafe(move || drop(jobs)));
            for task in batch {
                // AcqRel: as in `complete`.
                let prev = task.header().state.fetch_or(COMPLETE, Ordering::AcqRel);
                if prev & COMPLETE == 0 {
                    // SAFETY: executor thread; the executor's reference is held.
                    drop(unsafe { (task.header().vtable.cancel)(task) });
                    // SAFETY: executor thread only (THE invariant in task.rs).
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
        // Ready-queue entries borrowed the references released above.
        self.ready.borrow_mut().clear();
        for task in self.inbox.close() {
            task.release(REF_ONE);
        }
        self.pool.close();
    }
}

// --- which executor runs on this thread ------------------------------------

crate::sync::const_thread_local! {
    static CURRENT: Cell<*const RunLoop> = Cell::new(std::ptr::null());
}

/// Runs `f` with the run loop running on this thread, if any.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(&RunLoop) -> R) -> Option<R> {
    let current = CURRENT.try_with(|c| c.get()).ok()?;
    // SAFETY: CURRENT is non-null only while an `Enter` guard for a live
    // run loop exists further up this thread's stack.
    (!current.is_null()).then(|| f(unsafe { &*current }))
}

/// Marks a run loop as this thread's running executor until dropped.
struct Enter {
    /// The run loop that was running before (null if none).
    previous: *const RunLoop,
    _local: waker::LocalGuard,
    _time: time::EnterGuard,
}

impl Drop for Enter {
    #[inline]
    fn drop(&mut self) {
        if crate::sync::skip_thread_local_cleanup() {
            return;
        }
        let _ = CURRENT.try_with(|c| c.set(self.previous));
    }
}

fn info_of<'a>(task: TaskRef, spawned: &Spawned, names: &'a HashMap<u32, String>) -> TaskDesc<'a> {
    let id = task.header().id;
    TaskDesc {
        id,
        name: match names.is_empty() {
            true => None,
            false => names.get(&id).map(String::as_str),
        },
        spawned_at: spawned.at,
        parent: None,
    }
}

/// How a Pending poll of `task` ended, from one load of its state word: a
/// wake sets SCHEDULED before it drops its waker, so two loads could see
/// "not yet scheduled" and then "waker gone" and miss that wake.
fn pending_end(task: TaskRef) -> PollEnd {
    // Acquire: pairs with the AcqRel of a waker's drop on another thread.
    let state = task.header().state.load(Ordering::Acquire);
    PollEnd::Pending {
        wakers: wakers_in(state),
        scheduled: state & SCHEDULED != 0,
    }
}

fn lost() -> PollEnd {
    PollEnd::Pending {
        wakers: 0,
        scheduled: false,
    }
}

/// Wakers alive anywhere, in one state word: all references but the
/// executor's and the JoinHandle's.
fn wakers_in(state: usize) -> usize {
    refs(state) - 1 - usize::from(state & JOIN != 0)
}

/// True if block_on's future was woken (a hint: `take_wake` decides).
#[inline]
fn woken(header: TaskRef) -> bool {
    // Relaxed: only a hint to stop a turn early; `take_wake` does the
    // AcqRel step that orders the wake before the poll.
    header.header().state.load(Ordering::Relaxed) & SCHEDULED != 0
}

/// Clears block_on's wake, if there was one.
#[inline]
fn take_wake(header: TaskRef) -> bool {
    // AcqRel: the acquire half sees what the waker published before
    // waking; the release half orders the next poll after the clear.
    woken(header)
        && header
            .header()
            .state
            .fetch_and(!SCHEDULED, Ordering::AcqRel)
            & SCHEDULED
            != 0
}
