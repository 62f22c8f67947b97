//! A task: one heap allocation holding a header, the future, and later its
//! output.
//!
// How it works
// ------------
//
// Layout (one allocation per spawned task; `#[repr(C)]` so that a pointer to
// the `Task<F>` is also a pointer to its `Header`):
//
//   +--------------------------------------------------------------+
//   | Header (48 bytes)  state+refcount (one atomic) | vtable |     |
//   |                    shared | index, id | join_waker           |
//   +--------------------------------------------------------------+
//   | stage:  Running(future) -> Done(T) or Failed(JoinError)      |
//   |                         -> Consumed (the JoinHandle took it) |
//   +--------------------------------------------------------------+
//
// Everything that knows the future's type `F` is behind the `Vtable` of
// plain function pointers, so the executor, wakers and `JoinHandle<T>` all
// hold the same untyped `TaskRef`. (Rejected alternative: `Arc<dyn Task>`.
// It needs a second allocation for the output or a `Mutex` around it, and
// loom's `Arc` cannot be coerced to a trait object.)
//
// The state word (an `AtomicUsize`):
//
//   bit 0  SCHEDULED  in a ready queue or the inbox (at most once)
//   bit 1  COMPLETE   finished, aborted or shut down; wakes are no-ops
//   bit 2  CANCELLED  `abort()` asked; the next turn drops the future
//   bit 3  JOIN       a JoinHandle exists (and holds one reference)
//   bit 4  MAIN       this header is `block_on`'s own future (no stage)
//   bits 6..          reference count: the executor (while the task is in
//                     its task list), the JoinHandle, every Waker clone, and
//                     every inbox entry
//
// Task states, as the executor sees them:
//
//              spawn                 poll -> Pending, nobody woke it
//   [Scheduled] ----> poll ----> [Waiting] --- wake (sets SCHEDULED) ---+
//        ^                |                                             |
//        +----------------|---------------------------------------------+
//                         | poll -> Ready / panic / cancelled / shutdown
//                         v
//                     [Complete]  (output in the stage until the
//                                  JoinHandle takes it; freed when the
//                                  last reference is released)
//
// THE invariant: the stage (the future and its output) and the header's
// `index` and `join_waker` are only touched on the executor's own
// thread. The executor is `!Send`, `spawn` runs on its thread and so does
// every poll, and `JoinHandle` is `!Send`. Other threads only ever touch
// the atomic state word and `shared` (through a waker). That is why a
// `!Send` future is fine inside a `Send + Sync` waker.

use super::JoinError;
use super::inbox::Shared;
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::{Arc, UnsafeCell};
use std::any::Any;
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
pub(crate) const MAIN: usize = 1 << 4;
pub(crate) const REF_ONE: usize = 1 << 6;

/// The number of references in a state word.
#[inline]
pub(crate) fn refs(state: usize) -> usize {
    state / REF_ONE
}

/// What one poll of a task came to.
pub(crate) enum Outcome {
    /// The future is waiting.
    Pending,
    /// The task completed (value, aborted, or a panic the JoinHandle holds).
    Done,
    /// The task panicked and nobody holds its JoinHandle: the payload goes
    /// to the panic report.
    DetachedPanic(Box<dyn Any + Send>),
}

/// The typed operations on a task, as plain function pointers.
pub(crate) struct Vtable {
    /// Polls the future once; stores the output when it completes.
    pub(crate) poll: unsafe fn(TaskRef, &mut Context<'_>) -> Outcome,
    /// Drops the future without finishing it (abort, shutdown).
    pub(crate) cancel: unsafe fn(TaskRef) -> Outcome,
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
    /// The executor's thread-safe half: its inbox for wakes from other
    /// threads. Kept alive by every task so that a late waker has somewhere
    /// harmless to go.
    pub(crate) shared: Arc<Shared>,
    // --- executor thread only (see THE invariant above) ---
    /// Position in the executor's task list, for O(1) removal. (Two u32s,
    /// and names kept in a side table of the executor, keep the header at
    /// 48 bytes: memory per task is one of the benchmarked numbers.)
    pub(crate) index: Cell<u32>,
    pub(crate) id: u32,
    /// Who is awaiting the JoinHandle.
    pub(crate) join_waker: UnsafeCell<Option<Waker>>,
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
// entries, which touch nothing but the atomic state and `shared` (both
// `Sync`); see THE invariant above.
unsafe impl Send for TaskRef {}

impl TaskRef {
    /// Allocates a task running `future`, holding two references: the
    /// executor's and the JoinHandle's. It starts SCHEDULED.
    pub(crate) fn new<F: Future + 'static>(future: F, shared: Arc<Shared>, id: u32) -> TaskRef {
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
                shared,
                index: Cell::new(u32::MAX),
                id,
                join_waker: UnsafeCell::new(None),
            },
            stage: UnsafeCell::new(Stage::Running(future)),
        });
        TaskRef(NonNull::from(Box::leak(task)).cast())
    }

    /// Allocates the header that stands for `block_on`'s future: no stage,
    /// one reference (the executor's), not scheduled.
    pub(crate) fn new_main(shared: Arc<Shared>) -> TaskRef {
        static MAIN_VTABLE: Vtable = Vtable {
            poll: |_, _| unreachable!("the main header has no future"),
            cancel: |_| Outcome::Done,
            take_output: |_, _| unreachable!("the main header has no output"),
            drop_stage: |_| {},
            dealloc: dealloc_main,
        };
        let header = Box::new(Header {
            state: AtomicUsize::new(MAIN | REF_ONE),
            vtable: &MAIN_VTABLE,
            shared,
            index: Cell::new(u32::MAX),
            id: 0,
            join_waker: UnsafeCell::new(None),
        });
        TaskRef(NonNull::from(Box::leak(header)))
    }

    #[inline]
    pub(crate) fn from_raw(ptr: *const ()) -> TaskRef {
        // SAFETY (of later derefs): `ptr` came from `as_raw` of a live task.
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
        // AcqRel: the release half publishes this holder's last uses; the
        // acquire half (for whoever hits zero) sees everyone else's before
        // the free.
        let prev = self.header().state.fetch_sub(amount, Ordering::AcqRel);
        if refs(prev) == 1 {
            // SAFETY: that was the last reference; nobody can reach the task.
            unsafe { (self.header().vtable.dealloc)(self) }
        }
    }

    /// How diagnostics name an unnamed task: `task #3`.
    pub(crate) fn describe_unnamed(&self) -> String {
        let h = self.header();
        match h.state.load(Ordering::Relaxed) & MAIN {
            MAIN => "block_on's future".to_string(),
            _ => format!("task #{}", h.id),
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
    // SAFETY: see the block comment above; `f` is never given a way back to
    // the stage, so there is one `&mut` at a time.
    let task = unsafe { task.0.cast::<Task<F>>().as_ref() };
    // SAFETY: as above: executor thread, one borrow at a time.
    task.stage.with_mut(|s| f(unsafe { &mut *s }))
}

fn replace_stage<F: Future>(task: TaskRef, new: Stage<F>) -> Stage<F> {
    with_stage::<F, _>(task, |s| std::mem::replace(s, new))
}

unsafe fn poll<F: Future>(task: TaskRef, cx: &mut Context<'_>) -> Outcome {
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
        Ok(Poll::Pending) => Outcome::Pending,
        Ok(Poll::Ready(value)) => finish::<F>(task, Ok(value)),
        Err(payload) => finish::<F>(task, Err(JoinError::panicked(payload))),
    }
}

unsafe fn cancel<F: Future>(task: TaskRef) -> Outcome {
    finish::<F>(task, Err(JoinError::aborted()))
}

/// Drops the future, then stores the result for the JoinHandle, or drops it
/// (a value) or hands it back for reporting (a panic) when detached.
fn finish<F: Future>(task: TaskRef, result: Result<F::Output, JoinError>) -> Outcome {
    // The future's destructor is user code: it may panic, and it may drop
    // this task's own JoinHandle, so the stage is `Consumed` while it runs.
    let old = replace_stage::<F>(task, Stage::Consumed);
    let _ = catch_unwind(AssertUnwindSafe(move || drop(old)));
    // Acquire: pairs with nothing cross-thread (JOIN only changes on this
    // thread); any ordering would do.
    if task.header().state.load(Ordering::Acquire) & JOIN != 0 {
        let stage = match result {
            Ok(value) => Stage::Done(value),
            Err(error) => Stage::Failed(error),
        };
        replace_stage::<F>(task, stage);
        return Outcome::Done;
    }
    match result {
        // Detached: nobody wants the value; its destructor may panic too.
        Ok(value) => {
            let _ = catch_unwind(AssertUnwindSafe(move || drop(value)));
            Outcome::Done
        }
        Err(error) => match error.try_into_panic() {
            Ok(payload) => Outcome::DetachedPanic(payload),
            Err(_aborted) => Outcome::Done,
        },
    }
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
    // SAFETY: the last reference is gone; the pointer came from Box::leak
    // of a `Task<F>`. The stage is `Consumed` (THE invariant: the future and
    // output were dropped on the executor's thread), so this frees memory
    // and drops only `Send` parts, wherever it runs.
    drop(unsafe { Box::from_raw(task.0.cast::<Task<F>>().as_ptr()) });
}

unsafe fn dealloc_main(task: TaskRef) {
    // SAFETY: the main header was leaked from a Box<Header>.
    drop(unsafe { Box::from_raw(task.0.as_ptr()) });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn the_header_stays_small() {
        // state, vtable, shared, index+id, join_waker (two words).
        let atomic = std::mem::size_of::<AtomicUsize>();
        assert_eq!(std::mem::size_of::<Header>(), atomic + 5 * 8);
    }
}
