//! The async `Barrier`: its user docs are on the type; how it works is below.

// How it works
//
// One `crate::sync::Mutex<State>`: `arrived` (tasks in this round), `line`
// (their wakers) and `round` (completed rounds).
//
//   wait() ──first poll──> arrived += 1
//      │ arrived == n: round += 1, arrived = 0, wake the line ──> Done (leader)
//      └ otherwise: join the line, remember the round ──> Waiting(round, id)
//   Waiting(r, id) ──round moved past r──> Done (not leader)
//   Waiting(r, id) ──dropped while round == r──> arrived -= 1, leave the line
//
// Rejected: counting down an atomic with the leader spinning or parking;
// the waiters still need a line of wakers, so a lock is needed anyway.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::waiter_queue::{WaiterQueue, WakeList};
use crate::sync::Mutex;

/// A meeting point for `n` tasks: each calls [`wait().await`](Barrier::wait)
/// and nobody goes on until all `n` have arrived. Then they all go, one of
/// them marked as the leader (to do the "once per round" job), and the
/// barrier is ready for the next round.
///
/// ```
/// use async_primer::locks::Barrier;
/// use std::sync::Arc;
///
/// async_primer::block_on(async {
///     let barrier = Arc::new(Barrier::new(3));
///     let mut tasks = Vec::new();
///     for _ in 0..3 {
///         let barrier = barrier.clone();
///         tasks.push(async_primer::spawn(async move {
///             // ... phase one ...
///             let result = barrier.wait().await; // all three finished phase one
///             // ... phase two ...
///             result.is_leader()
///         }));
///     }
///     let mut leaders = 0;
///     for t in tasks {
///         leaders += t.await.unwrap() as usize;
///     }
///     assert_eq!(leaders, 1); // exactly one leader per round
/// });
/// ```
///
/// **Cancel-safe, unlike tokio's.** A `wait()` future dropped before the
/// round is complete takes its arrival back: the barrier then waits for
/// one more task, rather than letting the round go with a task that is no
/// longer there. (tokio's `Barrier::wait` is documented as not cancel-safe:
/// a dropped waiter still counts.) Once the round is complete, the
/// departure stands.
///
/// **Why not `std::sync::Barrier`?** Its `wait` blocks the thread. On a
/// single-threaded executor the first task to arrive blocks the only
/// thread, the other `n - 1` never run to arrive, and the program hangs.
/// Here an early arrival returns `Pending` and leaves its waker; the last
/// arrival wakes them all.
///
/// `Barrier::new(0)` behaves like `Barrier::new(1)`, as `std`'s and tokio's
/// do: every `wait` returns at once, as leader. The guide is
/// [`crate::guide::ch11_locks`]; checked by `tests/loom_locks.rs`
/// (`barrier_*`). Left out, compared with tokio: nothing else of note.
pub struct Barrier {
    n: usize,
    state: Mutex<State>,
}

struct State {
    arrived: usize,
    line: WaiterQueue<()>,
    round: u64,
}

impl Barrier {
    /// A barrier for `n` tasks (0 counts as 1).
    ///
    /// ```
    /// let b = async_primer::locks::Barrier::new(2);
    /// # let _ = b;
    /// ```
    pub fn new(n: usize) -> Self {
        Barrier {
            n: n.max(1),
            state: Mutex::new(State {
                arrived: 0,
                line: WaiterQueue::new(),
                round: 0,
            }),
        }
    }

    /// Arrives and waits until all `n` tasks of this round have arrived.
    ///
    /// ```
    /// use async_primer::locks::Barrier;
    /// let b = Barrier::new(2);
    /// async_primer::block_on(async {
    ///     let (x, y) = async_primer::future::join(b.wait(), b.wait()).await;
    ///     assert!(x.is_leader() != y.is_leader());
    /// });
    /// ```
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            state: WaitState::New,
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &state.arrived)
            .finish()
    }
}

/// What [`Barrier::wait`] returns: whether this task was the leader of its
/// round (exactly one per round is: the last to arrive).
///
/// ```
/// let b = async_primer::locks::Barrier::new(1);
/// let r: async_primer::locks::BarrierWaitResult = async_primer::block_on(b.wait());
/// assert!(r.is_leader());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// `true` for exactly one task per round.
    ///
    /// ```
    /// let b = async_primer::locks::Barrier::new(1);
    /// assert!(async_primer::block_on(b.wait()).is_leader());
    /// ```
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WaitState {
    New,
    Waiting { round: u64, id: u64 },
    Done,
}

/// Future of [`Barrier::wait`]; dropping it before its round completes
/// takes the arrival back.
///
/// ```
/// use std::future::Future;
/// use std::task::{Context, Waker};
/// let b = async_primer::locks::Barrier::new(2);
/// let mut early = Box::pin(b.wait());
/// assert!(early.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
/// drop(early); // no longer counts
/// let mut again = Box::pin(b.wait());
/// assert!(again.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    state: WaitState,
}

impl Future for BarrierWait<'_> {
    type Output = BarrierWaitResult;

    #[track_caller]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let n = self.barrier.n;
        let mut state = self.barrier.state.lock();
        match self.state {
            // Arriving: the last one completes the round and leads.
            WaitState::New => {
                state.arrived += 1;
                if state.arrived == n {
                    state.arrived = 0;
                    state.round += 1;
                    let mut wake = WakeList::new();
                    for waiter in state.line.drain_from(0) {
                        wake.push(waiter.waker);
                    }
                    drop(state);
                    wake.wake_all();
                    self.state = WaitState::Done;
                    return Poll::Ready(BarrierWaitResult { leader: true });
                }
                let round = state.round;
                let id = state.line.push((), cx.waker());
                drop(state);
                self.state = WaitState::Waiting { round, id };
                Poll::Pending
            }
            // Waiting: done once our round has completed.
            WaitState::Waiting { round, id } => {
                if state.round == round {
                    state.line.update_waker(id, cx.waker());
                    return Poll::Pending;
                }
                drop(state);
                self.state = WaitState::Done;
                Poll::Ready(BarrierWaitResult { leader: false })
            }
            // Misuse: it already completed.
            WaitState::Done => {
                drop(state);
                crate::future::polled_after_completion("Barrier::wait")
            }
        }
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        let WaitState::Waiting { round, id } = self.state else {
            return; // never arrived, or went through
        };
        let mut state = self.barrier.state.lock();
        // Our round still open: take our arrival back. (If it completed,
        // we were released with the others; nothing to undo.)
        if state.round == round {
            state.arrived -= 1;
            let left = state.line.remove(id);
            drop(state);
            drop(left); // its waker, outside the lock
        }
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("state", &self.state)
            .finish()
    }
}
