//! The run loop's side of the observer seam: what it knows about tasks
//! only in order to tell an [`Observer`](super::observer::Observer), or to
//! answer [`current_task`](super::current_task).
//!
//! The run loop (`run_loop.rs`) owns one [`Seam`] and calls it at every
//! fixed point: a task spawned, a poll started and ended, tasks woken, a
//! task finished, timers fired, the clock moved, before and after parking.
//! Each call is one branch when nobody listens. This file turns those
//! calls into [`TaskDesc`]s and [`WakeSource`]s, keeps task names and
//! what each task waits on, and walks the waiting tasks for a `deadlock:`
//! or stall report. None of it is needed to run a task: read it after the
//! four core files.
//
// How it works
// ------------
//
// Two kinds of observer: one that wants every event (a trace recorder),
// and one that wants only the notable ones (the default diagnostics: a
// lost waker, a panic, parking). `chatty()` is the observer of the first
// kind; the notable events go to either. So with the default diagnostics a
// poll costs one `bool` test more than with no observer at all.
//
// Which tasks a poll woke is not tracked on the wake path (that would cost
// every wake): the ready queue's length is noted before the poll, and the
// entries pushed since are the tasks it woke (`ReadyQueue::pushed_since`),
// minus the ones it spawned. block_on's future is woken by a flag, not a
// push, so its flag is compared before and after.
//
// Waker counts come from the task's state word (task.rs): every reference
// but the executor's and the JoinHandle's is a waker. A Pending poll that
// leaves no waker and no wake behind is a lost waker: nobody can ever
// poll that task again.

use super::ending::Ending;
use super::main_header::{self, woken};
use super::observer::{Advice, Idle, Observer, PollEnd, TaskDesc, Wait, Waiting, WakeSource};
use super::queues::ReadyQueue;
use super::task::{COMPLETE, JOIN, SCHEDULED, TaskInbox, TaskRef, refs};
use super::task_list::TaskList;
use super::waker;
use crate::sync::atomic::Ordering;
use crate::time::Driver;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::Location;
use std::task::Waker;
use std::time::Duration;

/// What the task list keeps about each live task (names live in a side
/// table: most tasks have none, and a small slot keeps spawn cheap).
pub(crate) struct Spawned {
    pub(crate) at: &'static Location<'static>,
}

/// The run loop's task list.
pub(crate) type Tasks = RefCell<TaskList<TaskRef, Spawned>>;

/// The seam's state, owned by the run loop.
pub(crate) struct Seam {
    observer: Option<Box<dyn Observer>>,
    /// The observer wants every event (see `Observer::wants_every_event`).
    every_event: bool,
    /// Tasks spawned during the current poll (only for an observer of
    /// every event, which must not mistake them for wakes).
    spawned_now: RefCell<Vec<TaskRef>>,
    /// The observer wants to know what each task waits on.
    explain: bool,
    /// What each task waits on, by task-list slot (only with `explain`).
    waits: RefCell<Vec<Option<Wait>>>,
    block_on_wait: Cell<Option<Wait>>,
    /// Names of named tasks, by id.
    names: RefCell<HashMap<u32, String>>,
    /// Where the running `block_on` (or `Executor::run`) was called.
    block_on_at: Cell<&'static Location<'static>>,
    /// The task being polled right now (block_on's header while its
    /// future is polled), if any.
    current: Cell<Option<TaskRef>>,
}

impl Seam {
    pub(crate) fn new(observer: Option<Box<dyn Observer>>, driver: &Driver) -> Seam {
        let every_event = observer.as_ref().is_some_and(|o| o.wants_every_event());
        if every_event {
            driver.log_arming(); // for `timer_armed` events
        }
        Seam {
            every_event,
            explain: observer.as_ref().is_some_and(|o| o.wants_waits()),
            observer,
            spawned_now: RefCell::new(Vec::new()),
            waits: RefCell::new(Vec::new()),
            block_on_wait: Cell::new(None),
            names: RefCell::new(HashMap::new()),
            block_on_at: Cell::new(Location::caller()),
            current: Cell::new(None),
        }
    }

    /// The observer, if there is one.
    #[inline]
    pub(crate) fn observer(&self) -> Option<&dyn Observer> {
        self.observer.as_deref()
    }

    /// The observer, if it wants every event (polls, wakes, spawns).
    #[inline]
    fn chatty(&self) -> Option<&dyn Observer> {
        // `every_event` first: false on the common path, and only ever true
        // with an observer (`Executor::block_on` 1.90 -> 1.65 ns measured).
        match self.every_event {
            true => self.observer.as_deref(),
            false => None,
        }
    }

    // --- the fixed points -----------------------------------------------

    /// A task was spawned (by the task being polled, if any).
    #[inline]
    pub(crate) fn spawned(
        &self,
        task: TaskRef,
        name: Option<String>,
        at: &'static Location<'static>,
    ) {
        let id = task.header().id;
        if let Some(observer) = self.chatty() {
            // The parent is told here only, not kept: one word less per task.
            observer.spawned(&TaskDesc {
                id,
                name: name.as_deref(),
                spawned_at: at,
                parent: self.current_id(),
            });
            self.spawned_now.borrow_mut().push(task);
        }
        if let Some(name) = name {
            self.names.borrow_mut().insert(id, name);
        }
    }

    /// `block_on` (or `Executor::run`) started, called at `at`.
    #[inline]
    pub(crate) fn block_on_started(&self, at: &'static Location<'static>, new: bool) {
        self.block_on_at.set(at);
        if new && self.every_event {
            self.tell_block_on_started();
        }
    }

    /// A poll of `task` (block_on's header: block_on's future) starts.
    #[inline]
    pub(crate) fn poll_started(&self, tasks: &Tasks, task: TaskRef) {
        self.current.set(Some(task));
        if let Some(observer) = self.chatty() {
            self.with_info(tasks, task, |info| observer.poll_started(info));
        }
        if self.explain {
            self.set_wait(task, None);
        }
    }

    /// The same for block_on's (or a `Run`'s) future.
    #[inline]
    pub(crate) fn main_poll_started(&self, tasks: &Tasks, header: TaskRef) {
        if self.every_event {
            self.tell_main_poll_started(tasks, header);
        }
        self.current.set(Some(header));
        if self.explain {
            self.clear_block_on_wait();
        }
    }

    /// The poll ended (`pending`: it returned Pending). A poll that lost its
    /// waker (Pending, no waker left anywhere, no wake on its way) is told
    /// to any observer.
    #[inline]
    pub(crate) fn poll_ended(&self, tasks: &Tasks, task: TaskRef, pending: bool) {
        self.current.set(None);
        // A lost waker is always worth telling; the rest only to an
        // observer that wants every event.
        if !pending && !self.every_event {
            return;
        }
        let Some(observer) = self.observer() else {
            return;
        };
        let end = match pending {
            true => pending_end(task),
            false => PollEnd::Finished,
        };
        if self.every_event || end == LOST {
            self.with_info(tasks, task, |info| observer.poll_ended(info, end));
        }
    }

    /// The poll of block_on's (or a `Run`'s) future ended. Only an observer
    /// of every event hears it: a lost waker there is not a report but a
    /// question for `before_park`, which the run loop asks right after.
    #[inline]
    pub(crate) fn main_poll_ended(&self, tasks: &Tasks, header: TaskRef, pending: bool) {
        self.current.set(None);
        if self.every_event {
            self.tell_main_poll_ended(tasks, header, pending);
        }
    }

    /// `task` finished (returned, panicked or was aborted).
    #[inline]
    pub(crate) fn finished(&self, tasks: &Tasks, task: TaskRef, ending: &Ending) {
        if let Some(observer) = self.observer() {
            if self.every_event || matches!(ending, Ending::Panicked(_)) {
                self.with_info(tasks, task, |info| observer.finished(info, ending));
            }
        }
    }

    /// `task` left the task list: forget its name and wait.
    #[inline]
    pub(crate) fn removed(&self, task: TaskRef) {
        if self.explain {
            self.set_wait(task, None);
        }
        let mut names = self.names.borrow_mut();
        if !names.is_empty() {
            names.remove(&task.header().id);
        }
    }

    /// The task being polled waits on `wait` (see `observer::Wait`).
    #[inline]
    pub(crate) fn note_wait(&self, wait: Wait) {
        if let (true, Some(task)) = (self.explain, self.current.get()) {
            self.set_wait(task, Some(wait));
        }
    }

    /// The id of the task being polled (0: block_on's future).
    #[inline]
    pub(crate) fn current_id(&self) -> Option<u32> {
        self.current.get().map(|t| t.header().id)
    }

    /// Calls `f` with the task being polled right now.
    pub(crate) fn with_current<R>(
        &self,
        tasks: &Tasks,
        f: impl FnOnce(&TaskDesc<'_>) -> R,
    ) -> Option<R> {
        let task = self.current.get()?;
        Some(self.with_info(tasks, task, f))
    }

    #[cold]
    fn set_wait(&self, task: TaskRef, wait: Option<Wait>) {
        if task.header().id == 0 {
            return self.block_on_wait.set(wait);
        }
        let index = task.header().index.get() as usize;
        let mut waits = self.waits.borrow_mut();
        if waits.len() <= index {
            waits.resize(index + 1, None);
        }
        waits[index] = wait;
    }

    pub(crate) fn microtasks_ran(&self, count: usize) {
        if let Some(observer) = self.chatty() {
            observer.microtasks_ran(count);
        }
    }

    pub(crate) fn microtask_panicked(&self, message: &str) {
        if let Some(observer) = self.observer() {
            observer.microtask_panicked(message);
        }
    }

    pub(crate) fn timers_fired(&self, count: usize) {
        if let Some(observer) = self.chatty() {
            observer.timers_fired(count);
        }
    }

    pub(crate) fn clock_moved(&self, to: Duration) {
        if let Some(observer) = self.chatty() {
            observer.clock_moved(to);
        }
    }

    pub(crate) fn unparked(&self, nothing_came: bool) {
        if let Some(observer) = self.observer() {
            observer.unparked(nothing_came);
        }
    }

    // --- who woke whom ----------------------------------------------------

    /// What `report_wakes_by` compares with: the ready queue's length and
    /// block_on's flag before a poll (only for an observer of every event).
    #[inline]
    pub(crate) fn wakes_before(
        &self,
        ready: &RefCell<ReadyQueue<TaskRef>>,
        block_on: TaskRef,
    ) -> (usize, bool) {
        match self.every_event {
            true => wakes_now(ready, block_on),
            false => (0, false),
        }
    }

    /// Tells the observer which tasks were pushed since the ready queue
    /// was `before` long, and by whom (a timer, a microtask, a thread).
    #[inline]
    pub(crate) fn report_wakes(
        &self,
        ready: &RefCell<ReadyQueue<TaskRef>>,
        before: usize,
        by: WakeSource,
    ) {
        if self.every_event {
            self.tell_wakes(ready, before, |_| by);
        }
    }

    /// The same after `poller`'s poll: it woke itself or other tasks (or
    /// block_on's future), and maybe armed timers.
    #[inline]
    pub(crate) fn report_wakes_by(
        &self,
        ready: &RefCell<ReadyQueue<TaskRef>>,
        driver: &Driver,
        block_on: TaskRef,
        before: (usize, bool),
        poller: u32,
    ) {
        if self.every_event {
            self.tell_wakes_by(ready, driver, block_on, before, poller);
        }
    }

    /// Tells the observer of every task pushed since the ready queue was
    /// `before` long (minus the ones just spawned: they are new, not woken).
    #[inline(never)]
    fn tell_wakes(
        &self,
        ready: &RefCell<ReadyQueue<TaskRef>>,
        before: usize,
        by: impl Fn(u32) -> WakeSource,
    ) {
        let Some(observer) = self.chatty() else {
            return;
        };
        let spawned = std::mem::take(&mut *self.spawned_now.borrow_mut());
        for task in ready.borrow().pushed_since(before) {
            if !spawned.contains(&task) {
                let id = task.header().id;
                observer.woken(id, by(id));
            }
        }
    }

    // --- before parking ---------------------------------------------------

    /// The observer's advice before parking: the longest nap it allows, or
    /// (`Err`) why block_on's future can never be woken.
    pub(crate) fn advise(
        &self,
        tasks: &Tasks,
        inbox: &TaskInbox,
        block_on: Option<TaskRef>,
        timers: usize,
        blocking_jobs: usize,
    ) -> Result<Option<Duration>, String> {
        let Some(observer) = self.observer() else {
            return Ok(None);
        };
        let waiting =
            |visit: &mut dyn FnMut(Waiting<'_>)| self.visit_waiting(tasks, inbox, block_on, visit);
        let idle = Idle {
            block_on: block_on.is_some(),
            timers,
            blocking_jobs,
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
    fn visit_waiting(
        &self,
        tasks: &Tasks,
        inbox: &TaskInbox,
        block_on: Option<TaskRef>,
        visit: &mut dyn FnMut(Waiting<'_>),
    ) -> bool {
        let tasks = tasks.borrow();
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
                if let Some(owner) = unsafe { &*w }.as_ref().and_then(owner_of) {
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
            let inside = inside.get(&task).copied().unwrap_or(0);
            Waiting {
                task: info,
                waits_on,
                wakers: wakers_in(state),
                wakers_outside: wakers_in(state) - inside,
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
        in_flight || inbox.has_mail()
    }

    // --- what a task is ---------------------------------------------------

    /// Calls `f` with what the task list knows about `task` (the list
    /// stays borrowed meanwhile: observers must not spawn).
    pub(crate) fn with_info<R>(
        &self,
        tasks: &Tasks,
        task: TaskRef,
        f: impl FnOnce(&TaskDesc<'_>) -> R,
    ) -> R {
        let tasks = tasks.borrow();
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

/// True if `task`'s poll left no waker anywhere and no wake on its way.
pub(crate) fn is_lost(task: TaskRef) -> bool {
    pending_end(task) == LOST
}

/// A Pending poll that left no waker and no wake: nobody can poll it again.
const LOST: PollEnd = PollEnd::Pending {
    wakers: 0,
    scheduled: false,
};

/// Wakers alive anywhere, in one state word: all references but the
/// executor's and the JoinHandle's.
fn wakers_in(state: usize) -> usize {
    refs(state) - 1 - usize::from(state & JOIN != 0)
}

/// The task (or main future) a waker belongs to, if it is one of ours.
fn owner_of(waker: &Waker) -> Option<TaskRef> {
    waker::task_of(waker).or_else(|| main_header::header_of(waker))
}

// --- Speed -------------------------------------------------------------------
//
// Every `block_on` passes through `block_on_started`, `wakes_before`,
// `main_poll_started`, `main_poll_ended` and `report_wakes_by` (the last
// one after every task's poll too), almost always with no observer of
// every event. Their observer halves are the `#[cold]` functions below, so
// each check is
// one flag test that falls through on the common path: no taken branch
// around inlined observer code, and no registers kept for it. Measured
// with `cargo bench --bench peers -- block_on_ready` (AMD EPYC, 2 cores;
// medians of 6 runs, the same build without them, free `block_on`'s
// `// Speed:` item 3 in mod.rs in both): the free `block_on` 2.29 ->
// 2.18 ns; `Executor::block_on` 2.11 -> 1.71 ns in that pair of builds
// (the two rows move with code layout: see the note in mod.rs).

impl Seam {
    /// `report_wakes_by` for an observer of every event.
    #[cold]
    #[inline(never)]
    fn tell_wakes_by(
        &self,
        ready: &RefCell<ReadyQueue<TaskRef>>,
        driver: &Driver,
        block_on: TaskRef,
        before: (usize, bool),
        poller: u32,
    ) {
        let Some(observer) = self.chatty() else {
            return;
        };
        let by = |id| match id == poller {
            true => WakeSource::Itself,
            false => WakeSource::Task(poller),
        };
        driver.take_armed(|deadline| observer.timer_armed(poller, deadline));
        self.tell_wakes(ready, before.0, by);
        if !before.1 && woken(block_on) {
            observer.woken(0, by(0));
        }
    }

    /// `block_on_started` for an observer of every event.
    #[cold]
    #[inline(never)]
    fn tell_block_on_started(&self) {
        if let Some(observer) = self.chatty() {
            observer.spawned(&self.block_on_info());
        }
    }

    /// `main_poll_started` for an observer of every event.
    #[cold]
    #[inline(never)]
    fn tell_main_poll_started(&self, tasks: &Tasks, header: TaskRef) {
        if let Some(observer) = self.chatty() {
            self.with_info(tasks, header, |info| observer.poll_started(info));
        }
    }

    /// `main_poll_started` for an observer of waits.
    #[cold]
    #[inline(never)]
    fn clear_block_on_wait(&self) {
        self.block_on_wait.set(None);
    }

    /// `main_poll_ended` for an observer of every event.
    #[cold]
    #[inline(never)]
    fn tell_main_poll_ended(&self, tasks: &Tasks, header: TaskRef, pending: bool) {
        if let Some(observer) = self.chatty() {
            let end = match pending {
                true => pending_end(header),
                false => PollEnd::Finished,
            };
            self.with_info(tasks, header, |info| observer.poll_ended(info, end));
        }
    }
}

/// `wakes_before` for an observer of every event.
#[cold]
#[inline(never)]
fn wakes_now(ready: &RefCell<ReadyQueue<TaskRef>>, block_on: TaskRef) -> (usize, bool) {
    (ready.borrow().len(), woken(block_on))
}
