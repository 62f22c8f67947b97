//! [`Run`]: this crate's executor driven as a future by another runtime
//! (tokio, `futures`), without blocking that runtime's thread.
//!
//! [`Executor::block_on`] owns the thread until its future is done: inside
//! a tokio task it would stall every other tokio task on that thread.
//! [`Executor::run`] is the non-blocking form: a future that, each time the
//! outer runtime polls it, runs this executor's ready tasks, microtasks and
//! timers, and then returns `Pending` with the outer waker left where a
//! wake of one of our tasks (from any thread) or a due timer will call it.
//! Inside it, everything that needs "an executor running on this thread"
//! works: `spawn`, `sleep`, `yield_now`, every promise continuation and
//! combinator, and the diagnostics (a `deadlock:` panics here too).
//!
//! ```
//! use async_primer::executor::Executor;
//! use async_primer::promise::Promise;
//! use async_primer::time::sleep;
//! use std::time::Duration;
//!
//! let ex = Executor::new();
//! // Any outer runtime that polls futures will do; here, `futures`.
//! let out = futures::executor::block_on(ex.run(async {
//!     let doubled = Promise::<u32>::resolved(21).then(|x| x * 2);
//!     let task = async_primer::spawn(async {
//!         sleep(Duration::from_millis(5)).await;
//!         "slept"
//!     });
//!     (doubled.await.unwrap(), task.await.unwrap())
//! }));
//! assert_eq!(out, (42, "slept"));
//! ```
//!
//! # Where it can run
//!
//! `Run` is `!Send`, like the executor and its `!Send` tasks, so the outer
//! runtime must poll it on one thread: `futures::executor::block_on` or
//! `LocalPool`, tokio's current-thread runtime (`Runtime::block_on`, or
//! `spawn_local` inside a `LocalSet`), and in a multi-thread tokio runtime
//! `Runtime::block_on` / `Handle::block_on` or a `LocalSet`; not
//! `tokio::spawn`, which needs `Send`. `tests/anywhere.rs` tests each.
//!
//! Rules: one `Run` per executor at a time (a second panics: spawn onto
//! the first instead); polling a `Run` inside `block_on` or a task of this
//! crate panics (`.await` the inner future there instead). Dropping a
//! `Run` drops its future; tasks it spawned stay in the executor.
//
// How it works
// ------------
//
//   Run::poll(cx)                                 Run's states
//     drive (below):                              [NotStarted] --first poll--> [Running]
//       enter the executor on this thread          [Running]  --Done--------> [Finished]
//       poll the future if woken (first: always)   [Running]  --drop--------> header released
//       turns until nothing is ready / BUDGET
//       nothing ready: move virtual time, or
//         fire due timers, or go idle:
//         inbox.register_outer(cx.waker())
//     Done(v)          -> Ready(v)
//     Yield            -> cx.waker().wake_by_ref(); Pending
//     Idle { wake_at } -> alarm thread wakes cx.waker() at wake_at; Pending
//
// Who wakes the outer task: a wake of one of our tasks from a thread that
// is not inside `drive` goes to the inbox, whose `notify` wakes the waker
// left there (queues.rs); a wake of the Run's own future (its header's
// waker) does the same through `nudge`. A real-time timer has nobody to
// wake it, so an alarm thread sleeps until the deadline and wakes the
// outer waker: one thread per `Run`, started at its first timed wait and
// joined when the `Run` is dropped. (Rejected alternative: the outer
// runtime's clock, as tokio's LocalSet uses tokio's; it would tie this
// crate to one runtime.) Virtual time needs no alarm: it jumps.
//
// Left out compared with tokio's LocalSet: no cooperative budget inside
// tasks (only between them), and the alarm thread is a thread, not the
// outer runtime's timer wheel.

use super::executor::Executor;
use super::main_header::{self, take_wake, woken};
use super::run_loop::{BUDGET, RunLoop};
use super::task::TaskRef;
use crate::sync::{Arc, Condvar, Mutex, thread};
use pin_project_lite::pin_project;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

pin_project! {
    /// The future returned by [`Executor::run`]: drives the executor's tasks,
    /// microtasks and timers while an outer runtime polls it, and finishes
    /// with the output of the future it was given.
    ///
    /// ```
    /// use async_primer::executor::{Executor, Run};
    ///
    /// let ex = Executor::new();
    /// let run: Run<'_, _> = ex.run(async { async_primer::spawn(async { 7 }).await.unwrap() });
    /// assert_eq!(futures::executor::block_on(run), 7);
    /// ```
    #[must_use = "a Run does nothing unless an outer runtime `.await`s or polls it"]
    pub struct Run<'a, F> {
        executor: &'a Executor,
        #[pin]
        future: F,
        state: State,
        alarm: Option<Alarm>,
        at: &'static Location<'static>,
    }

    impl<'a, F> PinnedDrop for Run<'a, F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let State::Running { header, .. } = *this.state {
                end_run(this.executor, header);
            }
            *this.state = State::Finished;
            // Dropping the alarm joins its thread (it wakes promptly).
            this.alarm.take();
        }
    }
}

/// Where a `Run` is in its life.
#[derive(Clone, Copy)]
enum State {
    /// Not polled yet: no header, the executor does not know about it.
    NotStarted,
    /// Polled at least once: `header` counts its future's wakers, and
    /// `resumed` says how the last poll ended.
    Running { header: TaskRef, resumed: Resumed },
    /// Returned Ready (or dropped).
    Finished,
}

impl Executor {
    /// A future that runs `future` on this executor, together with the
    /// executor's other tasks, microtasks and timers, while **another**
    /// runtime polls it (tokio, `futures`), without blocking that
    /// runtime's thread. See [`Run`] for where it can run.
    ///
    /// ```
    /// use async_primer::executor::Executor;
    /// use async_primer::promise::Promise;
    ///
    /// let ex = Executor::new();
    /// let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// let out = rt.block_on(ex.run(async {
    ///     let p = Promise::<u32>::resolved(1).then(|x| x + 1).finally(|| ());
    ///     p.await.unwrap()
    /// }));
    /// assert_eq!(out, 2);
    /// ```
    #[track_caller]
    pub fn run<F: std::future::IntoFuture>(&self, future: F) -> Run<'_, F::IntoFuture> {
        Run {
            executor: self,
            future: future.into_future(),
            state: State::NotStarted,
            alarm: None,
            at: Location::caller(),
        }
    }
}

impl<F: Future> Future for Run<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let (header, resumed) = match *this.state {
            // First poll: the executor hands out a header for our wakers.
            State::NotStarted => (start_run(this.executor), Resumed::First),
            // Woken (or polled spuriously): carry on.
            State::Running { header, resumed } => (header, resumed),
            State::Finished => panic!("`Executor::run` future polled after it finished"),
        };
        *this.state = State::Running { header, resumed };
        let drive = drive(
            this.executor.run_loop(),
            header,
            resumed,
            this.future,
            cx.waker(),
            this.at,
        );
        let next = match drive {
            // Done: release the header now, not at drop.
            Drive::Done(output) => {
                end_run(this.executor, header);
                *this.state = State::Finished;
                if let Some(alarm) = this.alarm {
                    alarm.set(None);
                }
                return Poll::Ready(output);
            }
            // Work is left: be polled again after the outer runtime's
            // other tasks had a turn.
            Drive::Yield => {
                cx.waker().wake_by_ref();
                Resumed::Again
            }
            // Idle: the inbox has the waker; the alarm covers the clock.
            Drive::Idle { wake_at, nap_until } => {
                match (wake_at, this.alarm.as_ref()) {
                    (None, None) => {}
                    (None, Some(alarm)) => alarm.set(None),
                    (Some(at), _) => this
                        .alarm
                        .get_or_insert_with(Alarm::start)
                        .set(Some((at, cx.waker().clone()))),
                }
                Resumed::FromIdle { nap_until }
            }
        };
        *this.state = State::Running {
            header,
            resumed: next,
        };
        Poll::Pending
    }
}

impl<F> fmt::Debug for Run<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::NotStarted => "not started",
            State::Running { .. } => "running",
            State::Finished => "finished",
        };
        f.debug_struct("Run")
            .field("state", &state)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// How a `Run` comes back to `drive`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resumed {
    /// Its first poll: the future is polled at once.
    First,
    /// After `Drive::Idle`: the observer hears that the nap (which it
    /// allowed to last until `nap_until`) ended.
    FromIdle { nap_until: Option<Instant> },
    /// After `Drive::Yield`.
    Again,
}

/// What one `drive` came to.
enum Drive<T> {
    /// The future finished.
    Done(T),
    /// The budget is spent while work remains: wake the outer task and
    /// return Pending.
    Yield,
    /// Nothing to do: the outer waker is in the inbox; a real-time timer
    /// (or the watchdog) needs it woken at `wake_at`.
    Idle {
        wake_at: Option<Instant>,
        nap_until: Option<Instant>,
    },
}

/// Starts an `Executor::run`: a header of its own for its future's
/// wakers (it may live alongside `block_on`s of the same executor).
fn start_run(executor: &Executor) -> TaskRef {
    if executor.run_active().replace(true) {
        panic!(
            "Executor::run: this executor is already driven by another `run` future; \
             spawn the second future onto it (Executor::spawn) instead"
        );
    }
    main_header::new(executor.run_loop().inbox().clone())
}

/// Ends an `Executor::run` (finished or dropped): its header goes, and
/// the outer waker it may have left in the inbox.
fn end_run(executor: &Executor, header: TaskRef) {
    main_header::close(header);
    executor.run_active().set(false);
    drop(executor.run_loop().inbox().take_outer());
}

/// One `Run::poll`: `block_on`'s loop, except that it polls the future
/// only if it was woken (or on the first poll), gives the thread back
/// after BUDGET polls, and, when nothing is ready, leaves `outer` in the
/// inbox instead of parking and says when a real-time timer is due.
fn drive<F: Future>(
    run_loop: &RunLoop,
    header: TaskRef,
    resumed: Resumed,
    mut future: Pin<&mut F>,
    outer: &Waker,
    at: &'static Location<'static>,
) -> Drive<F::Output> {
    let Some(_enter) = run_loop.enter_outermost() else {
        panic!(
            "Executor::run polled while an executor of this crate is already running on \
             this thread (inside block_on or a task): `.await` the inner future there \
             instead, or drive the `run` future from the outer runtime"
        );
    };
    run_loop.seam().block_on_started(at, false);
    let mut poll_now = match resumed {
        Resumed::First => true,
        Resumed::FromIdle { nap_until } => {
            // Like waking from `park`: "nothing came" only once the nap
            // the observer allowed is over (the outer runtime may poll us
            // early, for reasons of its own).
            let nap_over = nap_until.is_none_or(|t| Instant::now() >= t);
            let nothing_came = nap_over && !run_loop.inbox().has_mail() && !woken(header);
            run_loop.seam().unparked(nothing_came);
            false
        }
        Resumed::Again => false,
    };
    let waker = main_header::borrowed(header);
    let mut cx = Context::from_waker(&waker);
    let mut polled = 0;
    loop {
        if poll_now || take_wake(header) {
            polled += 1;
            if let Poll::Ready(out) = run_loop.poll_main(header, future.as_mut(), &mut cx) {
                return Drive::Done(out);
            }
        }
        poll_now = false;
        polled += run_loop.turn(Some(header));
        if polled >= BUDGET {
            // Let the outer runtime breathe; it polls us again soon (a
            // wake of our future stays set for that poll).
            return Drive::Yield;
        }
        if woken(header) || run_loop.has_ready() || run_loop.move_time() {
            continue;
        }
        // Nothing to do: instead of parking, hand the outer waker to the
        // inbox (a remote wake, or a wake of our future from another
        // thread, wakes it) and say when the next real timer is due.
        let mut wake_at = run_loop.driver().next_real_deadline();
        let mut nap_until = None;
        match run_loop.advise(Some(header)) {
            Ok(None) => {}
            Ok(Some(limit)) => {
                let limit = Instant::now() + limit;
                nap_until = Some(limit);
                wake_at = Some(wake_at.map_or(limit, |t| t.min(limit)));
            }
            Err(why) => panic!("{why} (the future of Executor::run at {at})"),
        }
        if run_loop.inbox().register_outer(outer) {
            return Drive::Idle { wake_at, nap_until };
        }
        // Something came while we looked: go round again.
    }
}

/// A thread that wakes a waker at a deadline (real-time timers of a
/// `Run`, whose outer runtime knows nothing of them).
//
//   set(Some((t, w)))  -> the thread waits until t, then takes w and wakes it
//   set(None)          -> it waits for the next set
//   drop               -> closed = true; the thread wakes, sees it, returns
struct Alarm {
    shared: Arc<(Mutex<AlarmState>, Condvar)>,
    thread: Option<thread::JoinHandle<()>>,
}

struct AlarmState {
    at: Option<(Instant, Waker)>,
    closed: bool,
}

impl Alarm {
    fn start() -> Alarm {
        let shared = Arc::new((
            Mutex::new(AlarmState {
                at: None,
                closed: false,
            }),
            Condvar::new(),
        ));
        let theirs = shared.clone();
        let thread = thread::spawn(move || {
            let (state, bell) = &*theirs;
            let mut s = state.lock();
            while !s.closed {
                // How long until the deadline, if one is set.
                let due =
                    s.at.as_ref()
                        .map(|(at, _)| at.saturating_duration_since(Instant::now()));
                s = match due {
                    // Nothing to wait for: sleep until the next `set`.
                    None => bell.wait(s),
                    // Due: wake outside the lock (the waker is user code).
                    Some(d) if d.is_zero() => {
                        let (_, waker) = s.at.take().expect("checked above");
                        drop(s);
                        waker.wake();
                        state.lock()
                    }
                    Some(d) => bell.wait_timeout(s, d),
                };
            }
        });
        Alarm {
            shared,
            thread: Some(thread),
        }
    }

    fn set(&self, at: Option<(Instant, Waker)>) {
        let (state, bell) = &*self.shared;
        let old = std::mem::replace(&mut state.lock().at, at);
        bell.notify_one();
        drop(old); // outside the lock: a waker's drop is user code
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        let (state, bell) = &*self.shared;
        let old = {
            let mut s = state.lock();
            s.closed = true;
            s.at.take()
        };
        bell.notify_one();
        drop(old);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
