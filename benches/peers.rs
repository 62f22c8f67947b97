//! Side-by-side benchmarks against the executors people would pick instead
//! (issue 6): tokio's current-thread runtime with a `LocalSet`, futures'
//! `LocalPool` and `block_on`, async-executor's `LocalExecutor`, and the
//! oneshot channels of futures and tokio.
//!
//! ```text
//! cargo bench --bench peers            # full run, 21 rounds
//! BENCH_QUICK=1 cargo bench --bench peers   # smoke test, 3 rounds, indicative only
//! cargo bench --bench peers -- --quick      # the same
//! cargo bench --bench peers -- promise      # only the workloads named so
//! ```
//!
//! How it works: every workload has one closure per implementation. Each
//! closure builds what it needs (runtime, executor, listeners) *outside* the
//! timed region, times only the work itself and returns nanoseconds per
//! operation. The closures run interleaved (ours, peer 1, peer 2, ..., then
//! again), `rounds` times, so a burst of noise from the other users of the
//! machine hits every implementation alike; the table shows the median of
//! the rounds. `ratio_to_best_peer` divides each median by the fastest peer's
//! median, so a number below 1 for this crate means it is ahead of every peer.
//! Rows named `ladder step N` are the guide's teaching executors (chapter 4,
//! `peers/ladder.rs`): shown with their ratio, never counted as a peer.
//!
//! The table is printed and written as CSV to `$CARGO_TARGET_DIR/peers.csv`
//! (default `target/peers.csv`). The `memory` rows hold bytes (or
//! allocations) per task rather than nanoseconds; the column keeps the
//! issue's name so the CSV has one shape.
//!
//! Rejected alternative: criterion. It runs one benchmark to completion
//! before starting the next, so a noisy minute on a shared machine lands on
//! whichever implementation happened to run then; interleaving is fairer.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::executor::LocalPool;
use futures::future::Either;
use futures::task::LocalSpawnExt;

use async_primer::executor::Executor;
use async_primer::promise::Promise;

#[path = "peers/ladder.rs"]
mod ladder;
#[path = "peers/locks.rs"]
mod locks;
#[path = "peers/micro.rs"]
mod micro;
#[path = "peers/mpsc.rs"]
mod mpsc;
#[path = "peers/streams.rs"]
mod streams;
#[path = "peers/trace.rs"]
mod trace;

// ---------------------------------------------------------------------------
// A counting allocator, switched on only around the `memory` workload.
// ---------------------------------------------------------------------------

/// Counts bytes and allocations while `COUNTING` is set; otherwise it costs
/// one relaxed load per call, the same for every implementation measured.
struct CountingAlloc;

// All counters are plain statistics read after the measured region on the
// same thread: Relaxed is enough, nothing is published through them.
static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static FREED: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

fn count_alloc(size: usize) {
    if COUNTING.load(Relaxed) {
        ALLOCATED.fetch_add(size, Relaxed);
        ALLOCATIONS.fetch_add(1, Relaxed);
    }
}

fn count_free(size: usize) {
    if COUNTING.load(Relaxed) {
        FREED.fetch_add(size, Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System` upholds the `GlobalAlloc` contract; the counting
// around it touches only atomics and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_alloc(layout.size());
        // SAFETY: forwarded unchanged; our caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_alloc(layout.size());
        // SAFETY: forwarded unchanged; our caller upholds the contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count_free(layout.size());
        // SAFETY: `ptr` came from `System` (every allocation goes through
        // us to `System`) with this `layout`, as our caller guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A realloc is a free of the old block and an allocation of the new.
        count_free(layout.size());
        count_alloc(new_size);
        // SAFETY: forwarded unchanged; our caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// What `f` left allocated: (live bytes, allocations made), counted while it
/// ran. Live bytes = allocated - freed, so buffers that grew and were
/// replaced are not counted twice.
fn count_memory(f: impl FnOnce()) -> (usize, usize) {
    ALLOCATED.store(0, Relaxed);
    FREED.store(0, Relaxed);
    ALLOCATIONS.store(0, Relaxed);
    COUNTING.store(true, Relaxed);
    f();
    COUNTING.store(false, Relaxed);
    let live = ALLOCATED.load(Relaxed).saturating_sub(FREED.load(Relaxed));
    (live, ALLOCATIONS.load(Relaxed))
}

// ---------------------------------------------------------------------------
// The harness: interleaved rounds, medians, the table and the CSV.
// ---------------------------------------------------------------------------

const OURS: &str = "async-primer";
const LADDER_1: &str = "ladder step 1: park/unpark";
const LADDER_2: &str = "ladder step 2: Arc<Task> queue";

/// One implementation of a workload: its name, whether it is this crate, and
/// a closure returning the measured value (ns per operation) of one round.
struct Contender<'a> {
    name: &'static str,
    ours: bool,
    /// One of the guide's small executors: never "the best peer".
    teaching: bool,
    run: Box<dyn FnMut() -> f64 + 'a>,
}

fn ours<'a>(run: impl FnMut() -> f64 + 'a) -> Contender<'a> {
    Contender {
        name: OURS,
        ours: true,
        teaching: false,
        run: Box::new(run),
    }
}

/// This crate's executor built with `no_diagnostics()`: the run loop with
/// no observer at all. Beside `ours` it shows what the observer seam and
/// the default diagnostics observer cost.
fn ours_bare<'a>(run: impl FnMut() -> f64 + 'a) -> Contender<'a> {
    Contender {
        name: "async-primer no observer",
        ours: true,
        teaching: false,
        run: Box::new(run),
    }
}

fn peer<'a>(name: &'static str, run: impl FnMut() -> f64 + 'a) -> Contender<'a> {
    Contender {
        name,
        ours: false,
        teaching: false,
        run: Box::new(run),
    }
}

/// The guide's ladder executors (`ladder.rs`): measured and shown, but left
/// out of the best-peer median, which stays tokio / futures / async-executor.
fn teaching<'a>(name: &'static str, run: impl FnMut() -> f64 + 'a) -> Contender<'a> {
    Contender {
        name,
        ours: false,
        teaching: true,
        run: Box::new(run),
    }
}

struct Row {
    workload: String,
    implementation: &'static str,
    median: f64,
    ratio: f64,
    /// Quartiles of the per-round ratio to the best peer's sample of the
    /// same round (printed only): how far one run's ratio can be trusted.
    spread: Option<(f64, f64)>,
}

struct Bench {
    rounds: usize,
    quick: bool,
    rows: Vec<Row>,
    notes: Vec<String>,
}

impl Bench {
    /// `full` in a normal run, `full / 10` in quick mode: for counts that
    /// only repeat an operation (the per-operation figure does not depend
    /// on them, only its noise does).
    fn scaled(&self, full: usize) -> usize {
        if self.quick { (full / 10).max(1) } else { full }
    }

    /// Runs the contenders interleaved, `rounds` times, and records medians.
    fn run(&mut self, workload: &str, mut contenders: Vec<Contender<'_>>) {
        eprint!("{workload:<28}");
        let mut samples: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
        for _ in 0..self.rounds {
            for (contender, samples) in contenders.iter_mut().zip(&mut samples) {
                let value = (contender.run)();
                print_sample_ops(value);
                samples.push(value);
            }
            eprint!(".");
        }
        eprintln!();
        let rounds = samples.clone(); // in round order, for the paired ratios
        let ladder_note = "ladder step N rows: the guide's teaching executors (ch. 4), not peers";
        if contenders.iter().any(|c| c.teaching) && !self.notes.iter().any(|n| n == ladder_note) {
            self.note(ladder_note);
        }
        let medians: Vec<f64> = samples.iter_mut().map(|s| median(s)).collect();
        let (best, best_peer) = contenders
            .iter()
            .zip(&medians)
            .enumerate()
            .filter(|(_, (c, _))| !c.ours && !c.teaching)
            .map(|(i, (_, m))| (i, *m))
            .fold((0, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
        for ((contender, median), own) in contenders.iter().zip(medians).zip(&rounds) {
            let mut paired: Vec<f64> = own.iter().zip(&rounds[best]).map(|(o, p)| o / p).collect();
            paired.sort_by(f64::total_cmp);
            let quartile = |q: usize| paired[(paired.len() - 1) * q / 4];
            self.rows.push(Row {
                workload: workload.to_string(),
                implementation: contender.name,
                median,
                ratio: median / best_peer,
                spread: Some((quartile(1), quartile(3))),
            });
        }
    }

    fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    fn print_and_save(&self) {
        println!();
        println!(
            "{:<28} {:<32} {:>18} {:>20}  paired ratio q1..q3",
            "workload", "implementation", "median_ns_per_op", "ratio_to_best_peer"
        );
        let mut csv = String::from("workload,implementation,median_ns_per_op,ratio_to_best_peer\n");
        for row in &self.rows {
            let spread = match row.spread {
                Some((q1, q3)) => format!("{q1:.3}..{q3:.3}"),
                None => String::new(),
            };
            println!(
                "{:<28} {:<32} {:>18.2} {:>20.3}  {spread}",
                row.workload, row.implementation, row.median, row.ratio
            );
            csv.push_str(&format!(
                "{},{},{:.2},{:.3}\n",
                row.workload, row.implementation, row.median, row.ratio
            ));
        }
        println!();
        println!("machine: {}", machine());
        let wall = std::env::var_os("BENCH_WALL").is_some_and(|v| v != "0");
        let clock = if wall || thread_cpu_ns().is_none() {
            "wall clock"
        } else {
            "thread CPU time"
        };
        println!(
            "clock: {clock}; {} interleaved rounds, median shown",
            self.rounds
        );
        if self.quick {
            println!(
                "QUICK MODE: {} rounds, reduced counts; numbers are indicative only.",
                self.rounds
            );
        }
        for note in &self.notes {
            println!("note: {note}");
        }
        let dir = std::env::var_os("CARGO_TARGET_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
        let path = dir.join("peers.csv");
        match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, csv)) {
            Ok(()) => println!("wrote {}", path.display()),
            Err(e) => println!("could not write {}: {e}", path.display()),
        }
    }
}

/// The CPU model and core count, for the README next to the table.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    format!("{model}, {cores} cores, {}", std::env::consts::OS)
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    let mid = samples.len() / 2;
    if samples.len() % 2 == 1 {
        samples[mid]
    } else {
        (samples[mid - 1] + samples[mid]) / 2.0
    }
}

/// Times `work` and returns nanoseconds per operation.
///
/// On Linux the clock is this thread's CPU time, not the wall clock: on a
/// shared machine the wall clock also counts the time other processes held
/// the CPU, which lands on whichever implementation happened to be running
/// and swamps differences of 10 or 20 percent. Nothing measured here sleeps
/// or parks (virtual time never waits), so CPU time is the work itself.
/// `BENCH_WALL=1` switches to the wall clock.
fn per_op(ops: usize, work: impl FnOnce()) -> f64 {
    let wall = std::env::var_os("BENCH_WALL").is_some_and(|v| v != "0");
    let (start, cpu_start) = (Instant::now(), thread_cpu_ns());
    work();
    let ns = match (cpu_start, thread_cpu_ns()) {
        (Some(a), Some(b)) if !wall => b - a,
        _ => start.elapsed().as_nanos(),
    };
    // Untimed: one large allocation makes glibc tidy up (consolidate) the
    // small blocks this sample just freed, *now*, instead of inside the
    // next sample, which belongs to another implementation. Without it, the
    // interleaving charged one implementation for the previous one's
    // garbage: after futures' join_all frees 1,000,000 small blocks, the
    // next large allocation (ours) paid 7 to 9 ns per future for it.
    drop(std::hint::black_box(Vec::<u8>::with_capacity(200_000)));
    LAST_SAMPLE_NS.set(ns as f64);
    ns as f64 / ops as f64
}

thread_local! {
    /// The nanoseconds `per_op` last measured, before any division.
    static LAST_SAMPLE_NS: Cell<f64> = const { Cell::new(0.0) };
}

/// For scripts/count_locked (atomic instructions per operation): how many of
/// the table's operations the sample that just ran timed. A workload may
/// rescale `per_op`'s result (ping_pong: tasks to round trips), so this is
/// the measured time over the value the table gets.
fn print_sample_ops(value: f64) {
    if std::env::var_os("BENCH_PRINT_OPS").is_some() {
        eprintln!("sample ops={}", LAST_SAMPLE_NS.get() / value);
    }
}

/// Keeps glibc from handing freed memory back to the kernel between
/// samples (`mallopt(M_TRIM_THRESHOLD, 1 GiB)`), so that no sample pays for
/// page faults caused by what an earlier sample freed. Applies to every
/// implementation alike; see README.md ("How the numbers are taken").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    const M_TRIM_THRESHOLD: i32 = -1;
    unsafe extern "C" {
        fn mallopt(param: i32, value: i32) -> i32;
    }
    // SAFETY: mallopt only changes an allocator tunable; it is called once,
    // before any benchmark thread exists.
    unsafe {
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}

/// This thread's CPU time in nanoseconds (Linux), read with
/// `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`; declared here rather than
/// adding the `libc` crate for one call.
#[cfg(target_os = "linux")]
fn thread_cpu_ns() -> Option<u128> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    unsafe extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `struct timespec` (two 64-bit
    // fields on 64-bit Linux) and the clock id is a constant the kernel
    // knows; the call writes only `ts`.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128)
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu_ns() -> Option<u128> {
    None
}

// ---------------------------------------------------------------------------
// Shared pieces: a neutral yield, and "spawn all, run all" per peer.
// ---------------------------------------------------------------------------

/// Returns `Pending` once after waking itself: the smallest future that
/// makes an executor go round its ready queue. Executor-neutral, so the
/// peers without a `yield_now` of their own (futures, async-executor) and
/// `join_all` all use the same one.
struct YieldOnce(bool);

fn yield_once() -> YieldOnce {
    YieldOnce(false)
}

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime")
}

/// tokio: spawn `n` futures onto a fresh `LocalSet` and run it until every
/// task has finished (a `LocalSet` is itself a future that completes then).
/// Only the spawning and the running are timed.
fn tokio_spawn_run<F: Future<Output = ()> + 'static>(
    n: usize,
    mut make: impl FnMut(usize) -> F,
) -> f64 {
    let rt = tokio_runtime();
    let local = tokio::task::LocalSet::new();
    per_op(n, || {
        for i in 0..n {
            drop(local.spawn_local(make(i)));
        }
        rt.block_on(local);
    })
}

/// async-primer: the same with our `Executor`; `run_until_stalled` polls
/// until no task is ready, which here means every task has finished.
fn ours_spawn_run<F: Future<Output = ()> + 'static>(n: usize, make: impl FnMut(usize) -> F) -> f64 {
    ours_spawn_run_on(Executor::new(), n, make)
}

/// The same on an executor with no observer (`ours_bare`).
fn bare_spawn_run<F: Future<Output = ()> + 'static>(n: usize, make: impl FnMut(usize) -> F) -> f64 {
    let ex = Executor::builder().no_diagnostics().build();
    ours_spawn_run_on(ex, n, make)
}

fn ours_spawn_run_on<F: Future<Output = ()> + 'static>(
    ex: Executor,
    n: usize,
    mut make: impl FnMut(usize) -> F,
) -> f64 {
    let ns = per_op(n, || {
        for i in 0..n {
            drop(ex.spawn(make(i)));
        }
        ex.run_until_stalled();
    });
    assert_eq!(ex.tasks(), 0, "a task did not finish");
    ns
}

/// futures: the same with `LocalPool`; `run` returns when all tasks are done.
fn pool_spawn_run<F: Future<Output = ()> + 'static>(
    n: usize,
    mut make: impl FnMut(usize) -> F,
) -> f64 {
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    per_op(n, || {
        for i in 0..n {
            spawner.spawn_local(make(i)).expect("spawn on LocalPool");
        }
        pool.run();
    })
}

/// async-executor: the same with `LocalExecutor`; `try_tick` runs one ready
/// task, so looping until it returns false runs everything that can run
/// (the tasks here never wait on anything outside the executor).
fn ae_spawn_run<F: Future<Output = ()> + 'static>(
    n: usize,
    mut make: impl FnMut(usize) -> F,
) -> f64 {
    let ex = async_executor::LocalExecutor::new();
    per_op(n, || {
        for i in 0..n {
            ex.spawn(make(i)).detach();
        }
        while ex.try_tick() {}
    })
}

// ---------------------------------------------------------------------------
// The workloads, one function each.
// ---------------------------------------------------------------------------

/// Workload 1, `spawn_many`: spawn 100,000 tasks that finish at once, then run them.
/// Measures the fixed cost of a task: allocating it, queueing it, polling it
/// once and freeing it. The peers are the single-threaded executors someone
/// would pick for `!Send` tasks; their join handles are dropped (detached)
/// like ours, so nobody pays for a result nobody reads.
fn spawn_many(b: &mut Bench) {
    let n = b.scaled(100_000);
    b.run(
        "spawn_many",
        vec![
            ours(move || ours_spawn_run(n, |_| async {})),
            ours_bare(move || bare_spawn_run(n, |_| async {})),
            peer("tokio LocalSet", move || tokio_spawn_run(n, |_| async {})),
            peer("futures LocalPool", move || pool_spawn_run(n, |_| async {})),
            peer("async-executor LocalExecutor", move || {
                ae_spawn_run(n, |_| async {})
            }),
            teaching(LADDER_2, move || ladder::step2_spawn_run(n, |_| async {})),
        ],
    );
}

/// Workload 2, `yield_many`: 1,000 tasks that each yield 200 times; ns per yield.
/// Measures the wake-requeue-poll cycle, the executor's hot loop. Every
/// implementation uses the same executor-neutral `YieldOnce` except ours,
/// which uses its own `yield_now` (the one its users call).
fn yield_many(b: &mut Bench) {
    const TASKS: usize = 1_000;
    const YIELDS: usize = 200;
    let task = || async {
        for _ in 0..YIELDS {
            yield_once().await;
        }
    };
    let per_yield = |ns_per_task: f64| ns_per_task / YIELDS as f64;
    let our_task = || async {
        for _ in 0..YIELDS {
            async_primer::yield_now().await;
        }
    };
    b.run(
        "yield_many",
        vec![
            ours(move || per_yield(ours_spawn_run(TASKS, |_| our_task()))),
            ours_bare(move || per_yield(bare_spawn_run(TASKS, |_| our_task()))),
            peer("tokio LocalSet", move || {
                per_yield(tokio_spawn_run(TASKS, |_| task()))
            }),
            peer("futures LocalPool", move || {
                per_yield(pool_spawn_run(TASKS, |_| task()))
            }),
            peer("async-executor LocalExecutor", move || {
                per_yield(ae_spawn_run(TASKS, |_| task()))
            }),
            teaching(LADDER_2, move || {
                per_yield(ladder::step2_spawn_run(TASKS, |_| task()))
            }),
        ],
    );
}

/// Builds the two tasks of one ping-pong pair for a given oneshot channel.
/// Each round uses two fresh oneshots: A sends a `Ping` carrying the sender
/// for B's reply; B answers with a `Pong` carrying the sender for A's next
/// ping. The result is an `Either` so both tasks of a pair are one type.
macro_rules! ping_pong_pair {
    ($channel:expr, $sender:ident, $rounds:expr) => {{
        struct Ping {
            reply: $sender<Pong>,
        }
        struct Pong {
            next: $sender<Ping>,
        }
        let rounds: usize = $rounds;
        let (first_tx, first_rx) = $channel();
        let a = async move {
            let mut next: $sender<Ping> = first_tx;
            for _ in 0..rounds {
                let (reply_tx, reply_rx) = $channel();
                if next.send(Ping { reply: reply_tx }).is_err() {
                    panic!("ping: the other side is gone");
                }
                let pong: Pong = reply_rx.await.expect("pong");
                next = pong.next;
            }
        };
        let b = async move {
            let mut incoming = first_rx;
            for _ in 0..rounds {
                let ping: Ping = incoming.await.expect("ping");
                let (next_tx, next_rx) = $channel();
                if ping.reply.send(Pong { next: next_tx }).is_err() {
                    panic!("pong: the other side is gone");
                }
                incoming = next_rx;
            }
        };
        (Either::Left(a), Either::Right(b))
    }};
}

/// Workload 3, `ping_pong`: 1,000 pairs of tasks, 100 round trips each, every message
/// through a fresh oneshot; ns per round trip (two messages, two wakes).
/// Measures the channel and the wake path together. Each executor uses the
/// oneshot its users would pair it with: tokio's for tokio, futures' for
/// LocalPool, and futures' for async-executor too (it has no channel of its
/// own; async-channel would be a further dependency for no extra insight).
fn ping_pong(b: &mut Bench) {
    const PAIRS: usize = 1_000;
    const ROUNDS: usize = 100;
    type FSender<T> = futures::channel::oneshot::Sender<T>;
    type TSender<T> = tokio::sync::oneshot::Sender<T>;
    let futures_pairs = || {
        let mut stash = None;
        move |i: usize| {
            if i % 2 == 0 {
                let (a, b) = ping_pong_pair!(futures::channel::oneshot::channel, FSender, ROUNDS);
                stash = Some(b);
                a
            } else {
                stash.take().expect("pair")
            }
        }
    };
    let tokio_pairs = || {
        let mut stash = None;
        move |i: usize| {
            if i % 2 == 0 {
                let (a, b) = ping_pong_pair!(tokio::sync::oneshot::channel, TSender, ROUNDS);
                stash = Some(b);
                a
            } else {
                stash.take().expect("pair")
            }
        }
    };
    type OSender<T> = async_primer::channel::oneshot::Sender<T>;
    let our_pairs = || {
        let mut stash = None;
        move |i: usize| {
            if i % 2 == 0 {
                let (a, b) = ping_pong_pair!(async_primer::channel::oneshot, OSender, ROUNDS);
                stash = Some(b);
                a
            } else {
                stash.take().expect("pair")
            }
        }
    };
    let per_trip = |ns_per_task: f64| ns_per_task * (2 * PAIRS) as f64 / (PAIRS * ROUNDS) as f64;
    b.run(
        "ping_pong",
        vec![
            ours(move || per_trip(ours_spawn_run(2 * PAIRS, our_pairs()))),
            ours_bare(move || per_trip(bare_spawn_run(2 * PAIRS, our_pairs()))),
            peer("tokio LocalSet", move || {
                per_trip(tokio_spawn_run(2 * PAIRS, tokio_pairs()))
            }),
            peer("futures LocalPool", move || {
                per_trip(pool_spawn_run(2 * PAIRS, futures_pairs()))
            }),
            peer("async-executor LocalExecutor", move || {
                per_trip(ae_spawn_run(2 * PAIRS, futures_pairs()))
            }),
            teaching(LADDER_2, move || {
                per_trip(ladder::step2_spawn_run(2 * PAIRS, futures_pairs()))
            }),
        ],
    );
}

/// Workload 4, `chained_spawn`: each task spawns the next, 1,000 deep; ns per task.
/// Measures spawning from inside a running task (the executor is busy, the
/// queue is nearly empty), the case a recursive or fan-out program hits.
/// One chain is short, so a round runs `reps` chains one after another.
fn chained_spawn(b: &mut Bench) {
    const DEPTH: usize = 1_000;
    let reps = b.scaled(100);

    fn our_chain(n: usize) {
        if n > 0 {
            drop(async_primer::spawn(async move { our_chain(n - 1) }));
        }
    }
    fn tokio_chain(n: usize) {
        if n > 0 {
            drop(tokio::task::spawn_local(async move { tokio_chain(n - 1) }));
        }
    }
    fn pool_chain(spawner: futures::executor::LocalSpawner, n: usize) {
        if n > 0 {
            let next = spawner.clone();
            spawner
                .spawn_local(async move { pool_chain(next, n - 1) })
                .expect("spawn");
        }
    }
    fn ae_chain(ex: Rc<async_executor::LocalExecutor<'static>>, n: usize) {
        if n > 0 {
            let next = ex.clone();
            ex.spawn(async move { ae_chain(next, n - 1) }).detach();
        }
    }

    b.run(
        "chained_spawn",
        vec![
            ours(move || {
                let ex = Executor::new();
                per_op(DEPTH * reps, || {
                    for _ in 0..reps {
                        drop(ex.spawn(async { our_chain(DEPTH - 1) }));
                        ex.run_until_stalled();
                    }
                })
            }),
            peer("tokio LocalSet", move || {
                let rt = tokio_runtime();
                let locals: Vec<_> = (0..reps).map(|_| tokio::task::LocalSet::new()).collect();
                per_op(DEPTH * reps, || {
                    for local in locals {
                        local.spawn_local(async { tokio_chain(DEPTH - 1) });
                        rt.block_on(local);
                    }
                })
            }),
            peer("futures LocalPool", move || {
                let mut pool = LocalPool::new();
                let spawner = pool.spawner();
                per_op(DEPTH * reps, || {
                    for _ in 0..reps {
                        pool_chain(spawner.clone(), DEPTH);
                        pool.run();
                    }
                })
            }),
            peer("async-executor LocalExecutor", move || {
                let ex = Rc::new(async_executor::LocalExecutor::new());
                per_op(DEPTH * reps, || {
                    for _ in 0..reps {
                        ae_chain(ex.clone(), DEPTH);
                        while ex.try_tick() {}
                    }
                })
            }),
        ],
    );
}

/// Workload 5, `block_on_ready`: `block_on` of a future that is ready at once,
/// 1,000,000 times. Measures the fixed cost of entering and leaving
/// `block_on` (thread-local setup, waker creation, parking machinery).
/// `futures::executor::block_on` is the target; tokio's `Runtime::block_on`
/// (on a runtime built once) is shown for context.
fn block_on_ready(b: &mut Bench) {
    let n = b.scaled(1_000_000);
    b.run(
        "block_on_ready",
        vec![
            ours(move || {
                per_op(n, || {
                    for i in 0..n {
                        black_box(async_primer::block_on(async { black_box(i) }));
                    }
                })
            }),
            Contender {
                name: "async-primer Executor::block_on",
                ours: true,
                teaching: false,
                run: Box::new(move || {
                    let ex = Executor::new();
                    per_op(n, || {
                        for i in 0..n {
                            black_box(ex.block_on(async { black_box(i) }));
                        }
                    })
                }),
            },
            // What the free `block_on`'s kept executor (its `// Speed:`
            // section) saves: a fresh executor for every call.
            Contender {
                name: "async-primer Executor::new per call",
                ours: true,
                teaching: false,
                run: Box::new(move || {
                    let n = n / 10;
                    per_op(n, || {
                        for i in 0..n {
                            black_box(Executor::new().block_on(async { black_box(i) }));
                        }
                    })
                }),
            },
            peer("futures block_on", move || {
                per_op(n, || {
                    for i in 0..n {
                        black_box(futures::executor::block_on(async { black_box(i) }));
                    }
                })
            }),
            peer("tokio Runtime::block_on", move || {
                let rt = tokio_runtime();
                per_op(n, || {
                    for i in 0..n {
                        black_box(rt.block_on(async { black_box(i) }));
                    }
                })
            }),
            teaching(LADDER_1, move || {
                per_op(n, || {
                    for i in 0..n {
                        black_box(ladder::step1::block_on(async { black_box(i) }));
                    }
                })
            }),
            teaching(LADDER_2, move || {
                let ex = ladder::step2::Executor::new();
                per_op(n, || {
                    for i in 0..n {
                        black_box(ex.block_on(async { black_box(i) }));
                    }
                })
            }),
        ],
    );
}

/// Workload 6a, `promise`: create, resolve and await 1,000,000 promises, inside one
/// `block_on` each. A promise resolved before it is awaited is what a
/// oneshot sent before it is received is, so the peers are the oneshots of
/// futures and tokio, each driven by its own block_on.
fn promise_roundtrip(b: &mut Bench) {
    let n = b.scaled(1_000_000);
    b.run(
        "promise_resolve_await",
        vec![
            ours(move || {
                let ex = Executor::new();
                per_op(n, || {
                    ex.block_on(async {
                        for i in 0..n {
                            let (promise, resolver) = Promise::<usize>::with_resolvers();
                            resolver.resolve(i);
                            black_box(promise.await.expect("fulfilled"));
                        }
                    })
                })
            }),
            peer("futures oneshot", move || {
                per_op(n, || {
                    futures::executor::block_on(async {
                        for i in 0..n {
                            let (tx, rx) = futures::channel::oneshot::channel();
                            tx.send(i).expect("send");
                            black_box(rx.await.expect("recv"));
                        }
                    })
                })
            }),
            peer("tokio oneshot", move || {
                let rt = tokio_runtime();
                per_op(n, || {
                    rt.block_on(async {
                        for i in 0..n {
                            let (tx, rx) = tokio::sync::oneshot::channel();
                            tx.send(i).expect("send");
                            black_box(rx.await.expect("recv"));
                        }
                    })
                })
            }),
        ],
    );
}

/// Workload 6b, `promise_chain`: a chain of 100,000 continuations; ns per link.
/// A `then` makes a new promise and runs its reaction later as a job on the
/// executor; the peers' equivalent is one task per link that awaits the
/// previous oneshot and sends the next value on to the next one.
fn promise_chain(b: &mut Bench) {
    let links = b.scaled(100_000);
    fn check(v: usize, links: usize) {
        assert_eq!(v, links, "the chain lost a link");
    }
    b.run(
        "promise_chain",
        vec![
            ours(move || {
                let ex = Executor::new();
                per_op(links, || {
                    let last = ex.block_on(async {
                        let (first, resolver) = Promise::<usize>::with_resolvers();
                        let mut last = first;
                        for _ in 0..links {
                            last = last.then(|v| v + 1);
                        }
                        resolver.resolve(0);
                        last.await.expect("fulfilled")
                    });
                    check(last, links);
                })
            }),
            peer("futures oneshot + LocalPool", move || {
                let mut pool = LocalPool::new();
                let spawner = pool.spawner();
                per_op(links, || {
                    let (first_tx, mut rx) = futures::channel::oneshot::channel::<usize>();
                    for _ in 0..links {
                        let (tx, next_rx) = futures::channel::oneshot::channel();
                        let prev = std::mem::replace(&mut rx, next_rx);
                        spawner
                            .spawn_local(async move {
                                let _ = tx.send(prev.await.expect("link") + 1);
                            })
                            .expect("spawn");
                    }
                    first_tx.send(0).expect("start");
                    let last = pool.run_until(rx).expect("end");
                    check(last, links);
                })
            }),
            peer("tokio oneshot + LocalSet", move || {
                let rt = tokio_runtime();
                let local = tokio::task::LocalSet::new();
                per_op(links, || {
                    let (first_tx, mut rx) = tokio::sync::oneshot::channel::<usize>();
                    for _ in 0..links {
                        let (tx, next_rx) = tokio::sync::oneshot::channel();
                        let prev = std::mem::replace(&mut rx, next_rx);
                        local.spawn_local(async move {
                            let _ = tx.send(prev.await.expect("link") + 1);
                        });
                    }
                    first_tx.send(0).expect("start");
                    let last = local.block_on(&rt, rx).expect("end");
                    check(last, links);
                })
            }),
        ],
    );
}

/// Workload 7, `join_all` at 1k / 10k / 100k / 1M futures that each yield once; ns per
/// future. Measures the combinator alone: both sides are driven by the same
/// `futures::executor::block_on` with the same `YieldOnce` futures, so the
/// only difference is how `join_all` finds the futures that were woken.
/// Small sizes repeat so every round does about a million futures.
fn join_all(b: &mut Bench) {
    for size in [1_000, 10_000, 100_000, 1_000_000] {
        let total = b.scaled(1_000_000).max(size);
        let reps = total / size;
        b.run(
            &format!("join_all_{size}"),
            vec![
                ours(move || {
                    per_op(size * reps, || {
                        for _ in 0..reps {
                            let all =
                                async_primer::future::join_all((0..size).map(|_| yield_once()));
                            assert_eq!(futures::executor::block_on(all).len(), size);
                        }
                    })
                }),
                peer("futures join_all", move || {
                    per_op(size * reps, || {
                        for _ in 0..reps {
                            let all = futures::future::join_all((0..size).map(|_| yield_once()));
                            assert_eq!(futures::executor::block_on(all).len(), size);
                        }
                    })
                }),
            ],
        );
    }
}

/// Pseudo-random but fixed sleep lengths (1 ms ..= 10 s), so deadlines are
/// scattered and both timer implementations sort the same set.
fn scattered_millis(n: usize) -> Vec<u64> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            1 + x % 10_000
        })
        .collect()
}

/// Workload 8, `timers`: 100,000 tasks each sleeping a scattered duration, under
/// virtual time; ns per sleep. Measures timer registration, ordering and
/// firing without real waiting. tokio with `start_paused(true)` is the one
/// peer with virtual time (it advances the clock whenever it is idle).
fn timers(b: &mut Bench) {
    let n = b.scaled(100_000);
    let millis = Rc::new(scattered_millis(n));
    let ours_millis = millis.clone();
    let ours_side = move || {
        let ex = Executor::builder().virtual_time().build();
        // The last sleeper to wake sends on `all_done`, which `block_on`
        // waits for (tokio's LocalSet keeps that count itself).
        let fired = Rc::new(Cell::new(0usize));
        let (all_done, done) = async_primer::channel::oneshot::<()>();
        let all_done = Rc::new(Cell::new(Some(all_done)));
        let ns = per_op(n, || {
            for &ms in ours_millis.iter() {
                let (fired, all_done) = (fired.clone(), all_done.clone());
                drop(ex.spawn(async move {
                    async_primer::time::sleep(Duration::from_millis(ms)).await;
                    fired.set(fired.get() + 1);
                    if fired.get() == n {
                        let _ = all_done.take().expect("sent once").send(());
                    }
                }));
            }
            ex.block_on(done).expect("every sleeper woke");
        });
        assert_eq!(fired.get(), n);
        ns
    };
    let tokio_side = move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("tokio runtime");
        let local = tokio::task::LocalSet::new();
        let fired = Rc::new(Cell::new(0usize));
        let ns = per_op(n, || {
            let _guard = rt.enter();
            for &ms in millis.iter() {
                let fired = fired.clone();
                local.spawn_local(async move {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    fired.set(fired.get() + 1);
                });
            }
            rt.block_on(local);
        });
        assert_eq!(fired.get(), n);
        ns
    };
    b.run(
        "timers",
        vec![
            ours(ours_side),
            peer("tokio paused time + LocalSet", tokio_side),
        ],
    );
}

/// Workload 9, `emit`: one emit to 10 listeners; ns per emit. The floor is a plain loop
/// over a `Vec<Box<dyn Fn(&E)>>`: what an emitter does when it has nothing
/// else to care about (ids, `once`, removal during emit, panics).
fn emit(b: &mut Bench) {
    type Listener = Box<dyn Fn(&u64)>;
    const LISTENERS: usize = 10;
    let emits = b.scaled(1_000_000);
    // Every listener does the same trivial thing, so what is left is the
    // cost of getting the event to it.
    let ours_side = move || {
        let emitter = async_primer::callback::EventEmitter::<u64>::new();
        for _ in 0..LISTENERS {
            emitter.on(|e: &u64| {
                black_box(e);
            });
        }
        per_op(emits, || {
            for i in 0..emits as u64 {
                assert_eq!(emitter.emit(i), LISTENERS);
            }
        })
    };
    let floor = move || {
        let listeners: Vec<Listener> = (0..LISTENERS)
            .map(|_| {
                Box::new(|e: &u64| {
                    black_box(e);
                }) as Listener
            })
            .collect();
        per_op(emits, || {
            for i in 0..emits as u64 {
                let listeners = black_box(&listeners);
                for listener in listeners {
                    listener(&i);
                }
                assert_eq!(black_box(listeners.len()), LISTENERS);
            }
        })
    };
    b.run(
        "emit_10_listeners",
        vec![
            ours(ours_side),
            peer("Vec<Box<dyn Fn>> loop (floor)", floor),
        ],
    );
}

/// Workload 10, `memory`: bytes (and allocations) per spawned task that is
/// pending, counted with the global allocator above. Each implementation
/// spawns `MEMORY_TASKS` tasks that wait forever. `at_spawn` is what is live
/// right after spawning, before any task ran; `pending` is what is live once
/// every task has been polled once and is waiting (futures' `LocalPool`, for
/// one, builds its task only when it first runs it, so `at_spawn` alone
/// would flatter it). Every implementation spawns the same future type.
const MEMORY_TASKS: usize = 10_000;

/// The same small future for everyone, pending forever. It keeps a clone
/// of its waker, like a task waiting on a channel would, so it stays
/// wakeable (an executor that checks for tasks nobody can wake, as ours
/// does, has nothing to report) and no implementation is spared the cost
/// of a waker clone. Waker clones here only bump reference counts.
struct PendingTask {
    waker: Option<std::task::Waker>,
    _payload: u64,
}

fn pending_task(x: u64) -> PendingTask {
    PendingTask {
        waker: None,
        _payload: x,
    }
}

impl Future for PendingTask {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// What one implementation left allocated: (live bytes, allocations).
struct Footprint {
    name: &'static str,
    ours: bool,
    at_spawn: (usize, usize),
    pending: (usize, usize),
}

impl Footprint {
    /// `spawn` spawns the tasks; `poll_all` polls each of them once.
    fn measure(
        name: &'static str,
        ours: bool,
        spawn: impl FnOnce(),
        poll_all: impl FnOnce(),
    ) -> Self {
        let at_spawn = count_memory(spawn);
        let polled = count_memory(poll_all);
        let pending = (at_spawn.0 + polled.0, at_spawn.1 + polled.1);
        Footprint {
            name,
            ours,
            at_spawn,
            pending,
        }
    }
}

fn memory(b: &mut Bench) {
    const N: usize = MEMORY_TASKS;
    let mut results = Vec::new();

    let ex = Executor::new();
    results.push(Footprint::measure(
        OURS,
        true,
        || {
            for i in 0..N {
                drop(ex.spawn(pending_task(i as u64)));
            }
        },
        || {
            ex.run_until_stalled();
        },
    ));
    drop(ex);

    let rt = tokio_runtime();
    let local = tokio::task::LocalSet::new();
    let done = Rc::new(Cell::new(false));
    results.push(Footprint::measure(
        "tokio LocalSet",
        false,
        || {
            for i in 0..N {
                drop(local.spawn_local(pending_task(i as u64)));
            }
        },
        || {
            // FIFO: once this last task has run, every earlier one has too.
            let flag = done.clone();
            local.spawn_local(async move { flag.set(true) });
            local.block_on(&rt, async {
                while !done.get() {
                    yield_once().await;
                }
            });
        },
    ));
    drop((local, rt));

    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    results.push(Footprint::measure(
        "futures LocalPool",
        false,
        || {
            for i in 0..N {
                spawner.spawn_local(pending_task(i as u64)).expect("spawn");
            }
        },
        || pool.run_until_stalled(),
    ));
    drop(pool);

    let ex = async_executor::LocalExecutor::new();
    results.push(Footprint::measure(
        "async-executor LocalExecutor",
        false,
        || {
            for i in 0..N {
                ex.spawn(pending_task(i as u64)).detach();
            }
        },
        || while ex.try_tick() {},
    ));
    drop(ex);

    // Memory is deterministic: one measurement each, recorded as rows.
    let per_task = |v: usize| v as f64 / N as f64;
    type Pick = fn(&Footprint) -> usize;
    let columns: [(&str, Pick); 3] = [
        ("memory_at_spawn_bytes", |f| f.at_spawn.0),
        ("memory_pending_bytes", |f| f.pending.0),
        ("memory_pending_allocs", |f| f.pending.1),
    ];
    for (workload, pick) in columns {
        let best = results
            .iter()
            .filter(|f| !f.ours)
            .map(|f| per_task(pick(f)))
            .fold(f64::INFINITY, f64::min);
        for f in &results {
            let value = per_task(pick(f));
            b.rows.push(Row {
                workload: workload.to_string(),
                implementation: f.name,
                median: value,
                ratio: value / best,
                spread: None,
            });
        }
    }
    b.note(
        "memory_* rows are bytes or allocations per task (not ns), measured once (deterministic)",
    );
}

fn main() {
    keep_freed_memory();
    let quick = std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0")
        || std::env::args().any(|a| a == "--quick");
    // Words that are not flags pick workloads by name (for profiling one):
    // `cargo bench --bench peers -- promise`.
    let picked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mut b = Bench {
        rounds: if quick { 3 } else { 21 },
        quick,
        rows: Vec::new(),
        notes: Vec::new(),
    };

    type Workload = fn(&mut Bench);
    let workloads: &[(&str, Workload)] = &[
        ("spawn_many", spawn_many),
        ("yield_many", yield_many),
        ("ping_pong", ping_pong),
        ("chained_spawn", chained_spawn),
        ("block_on_ready", block_on_ready),
        ("promise_resolve_await", promise_roundtrip),
        ("promise_chain", promise_chain),
        ("promise_vs_node", micro::workloads),
        ("join_all", join_all),
        ("timers", timers),
        ("emit", emit),
        ("memory", memory),
        ("locks", locks::locks),
        ("mpsc", mpsc::mpsc),
        ("stream", streams::streams),
        ("trace", trace::trace),
    ];
    for &(name, workload) in workloads {
        if picked.is_empty() || picked.iter().any(|p| name.contains(p.as_str())) {
            workload(&mut b);
        }
    }
    if !picked.is_empty() {
        b.note(format!("only the workloads matching {picked:?} ran"));
    }

    b.print_and_save();
}
