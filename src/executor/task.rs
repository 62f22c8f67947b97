//! A task: one heap allocation holding a header, the future, and later its
//! output.
//!
//! `spawn` turns a future into a task. The executor, every [`Waker`] of the
//! task and its [`JoinHandle`](super::JoinHandle) all point at the same
//! allocation, and a reference count in the header says when the last of
//! them is gone. This is the first file of the executor to read; then
//! `queues.rs`, `waker.rs` and `run_loop.rs`.
//
// How it works
// ------------
//
// Layout (one allocation per task; `#[repr(C)]` so that a pointer to the
// `Task<F>` is also a pointer to its `Header`):
//
//   +--------------------------------------------------------------+
//   | Header (48 bytes)  state (bits + reference count) | vtable   |
//   |                    inbox | index, id | join_waker            |
//   +--------------------------------------------------------------+
//   | stage:  Running(future) -> Done(T) or Failed(JoinError)      |
//   |                         -> Consumed (the JoinHandle took it) |
//   +--------------------------------------------------------------+
//
// Everything that knows the future's type `F` is behind the `Vtable` of
// plain function pointers, so the run loop, wakers and `JoinHandle<T>` all
// hold the same untyped `TaskRef`. (Rejected alternative: `Arc<dyn Task>`;
// it needs a second allocation for the output or a `Mutex` around it, and
// loom's `Arc` cannot be coerced to a trait object.)
//
// The state word, one `AtomicUsize`, so that "is it queued?", "is it
// finished?" and "how many wakers are alive?" are read in one load:
//
//   bit 0  SCHEDULED  in a ready queue or the inbox (at most once)
//   bit 1  COMPLETE   finished, aborted or shut down; wakes are no-ops
//   bit 2  CANCELLED  `abort()` asked; the next run drops the future
//   bit 3  JOIN       a JoinHandle exists (and holds one reference)
//   bits 6..          reference count: the executor (while the task is
//                     live), the JoinHandle, every Waker clone, every inbox
//                     entry
//
// A task's life:
//
//              spawn                 poll -> Pending, nobody woke it
//   [Scheduled] ----> poll ----> [Waiting] --- wake (sets SCHEDULED) ---+
//        ^                |                                             |
//        +----------------|---------------------------------------------+
//                         | poll -> Ready / panic; abort; shutdown
//                         v
//                     [Complete]  (output in the stage until the
//                                  JoinHandle takes it; freed when the
//                                  last reference is released)
//
// THE invariant: the stage (the future and its output) and the header's
// `index` and `join_waker` are only touched on the executor's own thread.
// The executor is `!Send`, `spawn` runs on its thread and so does every
// poll, and `JoinHandle` is `!Send`. Other threads only ever touch the
// atomic state word and `inbox` (through a waker). That is why a `!Send`
// future is fine inside a `Send + Sync` waker.
//
// `block_on`'s own future is not a task, but its wakers are counted in a
// header of the same shape with no stage: see main_header.rs.

use super::ending::Ending;
use super::join_error::JoinError;
use super::queues::Inbox;
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::{Arc, FreeCheck, UnsafeCell};
use std::cell::Cell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

pub(crate) const SCHEDULED: usize = 1 << 0;
pub(crate) const COMPLETE: usize = 1 << 1;
pub(crate) const CANCELLED: usize = 1 << 2;
pub(crate) const JOIN: usize = 1 << 3;
pub(crate) const REF_ONE: usize = 1 << 6;

/// The number of references in a state word.
#[inline]
pub(crate) fn refs(state: usize) -> usize {
    state / REF_ONE
}

/// The inbox type every task header points at.
pub(crate) type TaskInbox = Inbox<TaskRef>;

/// What one run of a task came to.
pub(crate) enum Ran {
    /// The future returned `Pending`: it waits for a wake.
    Pending,
    /// The task is over.
    Finished(Ending),
}

/// The typed operations on a task, as plain function pointers.
pub(crate) struct Vtable {
    /// Polls the future once; stores the output when it completes.
    pub(crate) poll: unsafe fn(TaskRef, &mut Context<'_>) -> Ran,
    /// Drops the future without finishing it (abort, shutdown).
    pub(crate) cancel: unsafe fn(TaskRef) -> Ran,
    /// Moves the output into `*mut Option<Result<T, JoinError>>`.
    pub(crate) take_output: unsafe fn(TaskRef, *mut ()),
    /// Drops whatever the stage still holds.
    pub(crate) drop_stage: unsafe fn(TaskRef),
    /// Frees the allocation (the stage is already `Consumed`).
    pub(crate) dealloc: unsafe fn(TaskRef),
}

/// The untyped part of every task, first in its allocation.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: AtomicUsize,
    pub(crate) vtable: &'static Vtable,
    /// Where wakes from other threads go. Kept alive by every task, so a
    /// waker that outlives the executor has somewhere harmless to go.
    pub(crate) inbox: Arc<TaskInbox>,
    // --- executor thread only (THE invariant) ---
    /// Slot in the executor's task list, for O(1) removal.
    pub(crate) index: Cell<u32>,
    /// 0 for block_on's future, 1, 2, ... for spawned tasks.
    pub(crate) id: u32,
    /// Who is awaiting the JoinHandle.
    pub(crate) join_waker: UnsafeCell<Option<Waker>>,
    /// Zero-sized; under loom it checks that the free comes after every
    /// holder's last use (see `FreeCheck` in src/sync.rs).
    pub(crate) free_check: FreeCheck,
}

// Done and Failed are separate variants rather than one
// `Finished(Result<T, JoinError>)`: that saves a tag word per task.
enum Stage<F: Future> {
    Running(F),
    Done(F::Output),
    Failed(JoinError),
    Consumed,
}

#[repr(C)]
struct Task<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
}

/// An untyped pointer to a task's header. Copying it does not count a
/// reference; whoever holds one knows which reference keeps it alive.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct TaskRef(NonNull<Header>);

// SAFETY: a TaskRef is moved to other threads only inside wakers and inbox
// entries, which touch nothing but the atomic state and `inbox` (both
// `Sync`); see THE invariant above.
unsafe impl Send for TaskRef {}

impl TaskRef {
    /// Allocates a task running `future`, holding two references: the
    /// executor's and the JoinHandle's. It starts SCHEDULED.
    pub(crate) fn new<F: Future + 'static>(future: F, inbox: Arc<TaskInbox>, id: u32) -> TaskRef {
        let task = Box::new(Task {
            header: Header {
                state: AtomicUsize::new(SCHEDULED | JOIN | (2 * REF_ONE)),
                vtable: &Vtable {
                    poll: poll::<F>,
                    cancel: cancel::<F>,
                    take_output: take_output::<F>,
                    drop_stage: drop_stage::<F>,
                    dealloc: dealloc::<F>,
                },
                inbox,
                index: Cell::new(u32::MAX),
                id,
                join_waker: UnsafeCell::new(None),
                free_check: FreeCheck::new(),
            },
            stage: UnsafeCell::new(Stage::Running(future)),
        });
        TaskRef(NonNull::from(Box::leak(task)).cast())
    }

    #[inline]
    pub(crate) fn from_raw(ptr: *const ()) -> TaskRef {
        TaskRef(NonNull::new(ptr as *mut Header).expect("null task pointer"))
    }

    #[inline]
    pub(crate) fn as_raw(self) -> *const () {
        self.0.as_ptr() as *const ()
    }

    #[inline]
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: whoever holds a TaskRef holds (or borrows) a counted
        // reference, so the allocation is live for the borrow.
        unsafe { self.0.as_ref() }
    }

    /// Counts one more reference (a waker clone, an inbox entry).
    #[inline]
    pub(crate) fn add_ref(self) {
        // Relaxed: taking a new reference needs an existing one, which
        // already keeps the allocation alive (the same argument as Arc).
        self.header().state.fetch_add(REF_ONE, Ordering::Relaxed);
    }

    /// Releases `amount` (REF_ONE, or REF_ONE | JOIN for the JoinHandle)
    /// and frees the task if that was the last reference.
    #[inline]
    pub(crate) fn release(self, amount: usize) {
        // AcqRel: the release half publishes this holder's last uses of the
        // task; the acquire half (for whoever hits zero) sees everyone
        // else's before the free.
        self.header().free_check.last_use();
        let prev = self.header().state.fetch_sub(amount, Ordering::AcqRel);
        if refs(prev) == 1 {
            // SAFETY: that was the last reference; nobody can reach the task.
            unsafe { (self.header().vtable.dealloc)(self) }
        }
    }
}

// --- the typed vtable functions ------------------------------------------
//
// SAFETY (for all of them): `task` points at a live `Task<F>` of exactly
// this `F` (the vtable was built for it in `TaskRef::new`), and they run
// on the executor's thread (THE invariant), so nobody else touches the stage.

/// Runs `f` with the task's stage.
fn with_stage<F: Future, R>(task: TaskRef, f: impl FnOnce(&mut Stage<F>) -> R) -> R {
    // SAFETY: see the block comment above.
    let task = unsafe { task.0.cast::<Task<F>>().as_ref() };
    // SAFETY: executor thread, and `f` is never given a way back to the
    // stage, so there is one `&mut` at a time.
    task.stage.with_mut(|s| f(unsafe { &mut *s }))
}

fn replace_stage<F: Future>(task: TaskRef, new: Stage<F>) -> Stage<F> {
    with_stage::<F, _>(task, |s| std::mem::replace(s, new))
}

unsafe fn poll<F: Future>(task: TaskRef, cx: &mut Context<'_>) -> Ran {
    let polled = with_stage::<F, _>(task, |stage| match stage {
        Stage::Running(future) => {
            // SAFETY: the future never moves again while it is in the
            // stage (the allocation stays put until it is freed).
            let future = unsafe { Pin::new_unchecked(future) };
            catch_unwind(AssertUnwindSafe(|| future.poll(cx)))
        }
        _ => unreachable!("a completed task is never polled"),
    });
    match polled {
        Ok(Poll::Pending) => Ran::Pending,
        Ok(Poll::Ready(value)) => finish::<F>(task, Ok(value)),
        Err(payload) => finish::<F>(task, Err(JoinError::panicked(payload))),
    }
}

unsafe fn cancel<F: Future>(task: TaskRef) -> Ran {
    finish::<F>(task, Err(JoinError::aborted()))
}

/// Drops the future, then keeps the result for the JoinHandle, if there
/// is one (ending.rs decides).
fn finish<F: Future>(task: TaskRef, result: Result<F::Output, JoinError>) -> Ran {
    drop_future_in_place::<F>(task);
    // Relaxed: JOIN only ever changes on this thread (the JoinHandle is
    // `!Send`), so there is nothing to synchronise with.
    let joined = task.header().state.load(Ordering::Relaxed) & JOIN != 0;
    let (kept, ending) = Ending::sort(result, joined);
    match kept {
        Some(Ok(value)) => drop(replace_stage::<F>(task, Stage::Done(value))),
        Some(Err(error)) => drop(replace_stage::<F>(task, Stage::Failed(error))),
        None => {}
    }
    Ran::Finished(ending)
}

/// Drops the running future where it stands, then marks the stage
/// `Consumed`. In place, not moved out first: the future is pinned, and an
/// `async` block may hold pointers into itself (Miri reports moving it out
/// as a use-after-free). Its destructor is user code: a panic there is
/// contained, and it may drop this task's own JoinHandle, which does not
/// touch the stage before COMPLETE is set.
fn drop_future_in_place<F: Future>(task: TaskRef) {
    with_stage::<F, _>(task, |stage| {
        let stage: *mut Stage<F> = stage;
        // SAFETY: the stage holds `Running(future)`, dropped exactly once
        // here; a panic in its destructor still drops the rest of it.
        let _ = catch_unwind(AssertUnwindSafe(|| unsafe {
            std::ptr::drop_in_place(stage)
        }));
        // SAFETY: the old value was dropped above, so it is overwritten
        // without dropping it again.
        unsafe { std::ptr::write(stage, Stage::Consumed) };
    });
}

unsafe fn take_output<F: Future>(task: TaskRef, out: *mut ()) {
    let result = match replace_stage::<F>(task, Stage::Consumed) {
        Stage::Done(value) => Ok(value),
        Stage::Failed(error) => Err(error),
        _ => panic!("JoinHandle: the task's output was already taken"),
    };
    // SAFETY: the JoinHandle<F::Output> passed a pointer to its
    // `Option<Result<F::Output, JoinError>>`.
    unsafe { *(out as *mut Option<Result<F::Output, JoinError>>) = Some(result) }
}

unsafe fn drop_stage<F: Future>(task: TaskRef) {
    let old = replace_stage::<F>(task, Stage::Consumed);
    let _ = catch_unwind(AssertUnwindSafe(move || drop(old)));
}

unsafe fn dealloc<F: Future>(task: TaskRef) {
    task.header().free_check.freed();
    // SAFETY: the last reference is gone; the pointer came from Box::leak
    // of a `Task<F>`. The stage is `Consumed` (THE invariant: the future
    // and output were dropped on the executor's thread), so this frees
    // memory and drops only `Send` parts, wherever it runs.
    drop(unsafe { Box::from_raw(task.0.cast::<Task<F>>().as_ptr()) });
}
