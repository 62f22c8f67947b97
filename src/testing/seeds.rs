//! [`find_failing_seed`]: run a program under many seeds and report the
//! first one whose run differs from seed 0's, or panics.
//!
//! A correct concurrent program says the same thing whatever order its
//! ready tasks run in (or, if the order may show, it says so on purpose).
//! One that *assumes* an order (that the task spawned first runs first, or
//! that a value is there because "it always is") passes under one seed and
//! fails under another. Searching the seeds finds such an order, and the
//! seed makes it reproducible: `run_recorded(seed, program)` replays it.
//!
//! ```
//! use async_primer::{say, spawn, testing::find_failing_seed};
//! use std::{cell::Cell, rc::Rc};
//!
//! // Order-dependent: assumes the first task spawned runs first.
//! let racy = || async {
//!     let balance = Rc::new(Cell::new(0));
//!     let deposit = spawn({ let b = balance.clone(); async move { b.set(b.get() + 100) } });
//!     let withdraw = spawn({
//!         let b = balance.clone();
//!         async move { say!("{}", if b.get() >= 50 { "paid" } else { "declined" }) }
//!     });
//!     let _ = (deposit.await, withdraw.await);
//! };
//! let failure = find_failing_seed(1..100, racy).expect("some seed runs withdraw first");
//! assert!(failure.seed() > 0);
//! assert!(failure.to_string().contains("declined"));
//! ```
//
// How it works: record seed 0 as the expected transcript; then record each
// seed in turn and stop at the first that panicked or whose transcript is
// different. Panics are caught per run (the default panic hook still prints
// each one as it happens). Rejected alternative: comparing every seed with
// the majority transcript (it would need all runs first; the first
// difference from a fixed reference is enough to find and replay a bug).

use super::recorder::record;
use super::transcript::{Difference, Transcript};
use std::any::Any;
use std::fmt;

/// Runs `program` under seed 0, then under each seed in `seeds`, each time
/// on a fresh executor with virtual time (see
/// [`run_recorded`](super::run_recorded)). Returns the first seed whose
/// run panicked or whose transcript differs from seed 0's, or `None` if
/// every run said the same. If seed 0 itself panics, that is the answer.
///
/// ```
/// use async_primer::{say, testing::find_failing_seed};
/// let steady = || async { say!("always the same") };
/// assert!(find_failing_seed(0..20, steady).is_none());
/// ```
#[track_caller]
pub fn find_failing_seed<P: AsyncFn()>(
    seeds: impl IntoIterator<Item = u64>,
    program: P,
) -> Option<SeedFailure> {
    let (expected, panic) = record(0, &program);
    if let Some(payload) = panic {
        return Some(SeedFailure::new(
            0,
            expected.clone(),
            expected,
            Some(payload),
        ));
    }
    for seed in seeds.into_iter().filter(|&seed| seed != 0) {
        let (transcript, panic) = record(seed, &program);
        if panic.is_some() || transcript != expected {
            return Some(SeedFailure::new(seed, transcript, expected, panic));
        }
    }
    None
}

/// The seed [`find_failing_seed`] found, with what that run said, what
/// seed 0 said, and the panic message if it panicked. Its `Display` shows
/// all of it, starting with the first differing line.
///
/// ```
/// use async_primer::testing::find_failing_seed;
/// let failure = find_failing_seed(0..1, || async { panic!("boom") }).unwrap();
/// assert_eq!((failure.seed(), failure.panic()), (0, Some("boom")));
/// ```
#[derive(Debug, Clone)]
pub struct SeedFailure {
    seed: u64,
    transcript: Transcript,
    expected: Transcript,
    panic: Option<String>,
}

impl SeedFailure {
    fn new(
        seed: u64,
        transcript: Transcript,
        expected: Transcript,
        panic: Option<Box<dyn Any + Send>>,
    ) -> SeedFailure {
        let panic = panic.map(|payload| match payload.downcast::<String>() {
            Ok(message) => *message,
            Err(payload) => match payload.downcast_ref::<&'static str>() {
                Some(message) => message.to_string(),
                None => "(a panic whose payload is not a string)".to_string(),
            },
        });
        SeedFailure {
            seed,
            transcript,
            expected,
            panic,
        }
    }

    /// The seed: replay it with `run_recorded(seed, program)`.
    ///
    /// ```
    /// let f = async_primer::testing::find_failing_seed(0..1, || async { panic!() }).unwrap();
    /// assert_eq!(f.seed(), 0);
    /// ```
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// What the run under [`seed`](Self::seed) said (up to its panic, if
    /// it panicked).
    ///
    /// ```
    /// use async_primer::say;
    /// let f = async_primer::testing::find_failing_seed(0..1, || async {
    ///     say!("before");
    ///     panic!("boom");
    /// })
    /// .unwrap();
    /// assert_eq!(f.transcript().texts(), ["before"]);
    /// ```
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// What the run under seed 0 said: the reference.
    ///
    /// ```
    /// let f = async_primer::testing::find_failing_seed(0..1, || async { panic!() }).unwrap();
    /// assert!(f.expected().is_empty());
    /// ```
    pub fn expected(&self) -> &Transcript {
        &self.expected
    }

    /// The panic message, if the run panicked.
    ///
    /// ```
    /// let f = async_primer::testing::find_failing_seed(0..1, || async { panic!("why") }).unwrap();
    /// assert_eq!(f.panic(), Some("why"));
    /// ```
    pub fn panic(&self) -> Option<&str> {
        self.panic.as_deref()
    }

    /// The first line where this run differs from seed 0's (`None` when it
    /// only panicked, having said the same so far).
    ///
    /// ```
    /// let f = async_primer::testing::find_failing_seed(0..1, || async { panic!() }).unwrap();
    /// assert!(f.difference().is_none());
    /// ```
    pub fn difference(&self) -> Option<Difference> {
        self.expected.diff(&self.transcript)
    }
}

impl fmt::Display for SeedFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.panic {
            Some(message) => writeln!(f, "seed {} panicked: {message}", self.seed)?,
            None => writeln!(f, "seed {} changes what the program says", self.seed)?,
        }
        if let Some(difference) = self.difference() {
            writeln!(f, "{difference} (left: seed 0, right: seed {})", self.seed)?;
        }
        write!(f, "transcript of seed {}:\n{}", self.seed, self.transcript)
    }
}
