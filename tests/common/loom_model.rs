//! `loom_model`: `loom::model`, run in a child process of its own, so that
//! a model that fails (on a seeded bug, say) is reported as FAILED by name
//! while the other models of the file still run.
//!
//! Why a process: when loom finds a deadlock (every thread blocked: a lost
//! wake-up) or a data race, it panics from inside its scheduler, and the
//! panic unwinds through the model's code. Every loom object dropped on the
//! way (an `Arc`, an atomic the crate's `JoinHandle` reads in its `Drop`, a
//! `Mutex`) calls back into loom, whose execution is now dead, and loom
//! panics again (`Option::unwrap()` on the active thread). A panic during
//! unwinding aborts the process: the whole test binary dies with SIGABRT,
//! the models after it never run, and cargo names no failed test. This is
//! loom's known limitation (tokio-rs/loom#291, fix proposed in PR #297, not
//! released in 0.7), and the unwinding passes through the crate's own
//! drops, so no care in the model can avoid it in general.
//
// How it works:
//
//     parent (libtest thread named `model_x`)        child process
//     loom_model(f) ─ spawn current_exe ───────────> `model_x --exact`
//        │            ASYNC_PRIMER_LOOM_CHILD=1      loom_model(f): f runs
//        │                                           under loom::model here
//        └─ wait: exit 0       -> ok                 (a SIGABRT kills only
//                 otherwise    -> print its output,   this child)
//                                 panic "model `model_x` failed ..."
//
// A test that calls `loom_model` twice runs its child once: the child runs
// the whole test function, and a thread-local remembers that this test's
// child already ran. Code around the call runs in both processes, so keep
// it to setup (a panic hook); asserting on state gathered by the model
// belongs inside the model. Cost: one process start per model (~ms).

use std::cell::Cell;
use std::process::Command;

/// Set in the child: run the models here.
const CHILD: &str = "ASYNC_PRIMER_LOOM_CHILD";

thread_local! {
    /// The child of the test running on this (libtest) thread has run.
    static DONE: Cell<bool> = const { Cell::new(false) };
}

/// `loom::model(f)`, in a child process (see the module docs).
#[track_caller]
pub fn loom_model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    if std::env::var_os(CHILD).is_some() {
        return loom::model(f);
    }
    if DONE.with(|done| done.replace(true)) {
        return; // the child ran this test's other models too
    }
    let current = std::thread::current();
    let name = current
        .name()
        .filter(|name| *name != "main")
        .expect("loom_model needs libtest's thread named after the test");
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .expect("start the model's child process");
    let ran = String::from_utf8_lossy(&out.stdout);
    if out.status.success() && ran.contains("1 passed") {
        return;
    }
    // Its output (loom's report, the interleaving) where cargo shows ours.
    println!("{ran}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    panic!(
        "loom model `{name}` failed in its own process ({}); its report is above",
        out.status
    );
}
