//! [`Transcript`]: the lines a program said, each stamped with the time and
//! the task, and [`Difference`]: where two transcripts first part.
//!
//! ```
//! use async_primer::say;
//! use async_primer::testing::run_recorded;
//! use async_primer::time::sleep;
//! use std::time::Duration;
//!
//! let program = || async {
//!     say!("start");
//!     sleep(Duration::from_millis(250)).await;
//!     say!("done");
//! };
//! let a = run_recorded(1, program);
//! assert_eq!(a.to_string(), "[0s] block_on's future: start\n[250ms] block_on's future: done\n");
//! let b = run_recorded(1, program);
//! assert_eq!(a.diff(&b), None); // same seed, same transcript
//! ```
//
// How it works: a transcript is a plain list of `Line`s; comparing two is
// comparing lists, and the first index where they disagree (or where one
// ends) is the difference. Lines keep their parts (time, task, text) so a
// grader can compare only the text when the task numbers do not matter.

use std::fmt;
use std::time::Duration;

/// One line of a [`Transcript`]: when it was said, by which task, and what.
/// Displays as `[250ms] 'worker' (task #1): text`.
///
/// ```
/// let t = async_primer::testing::run_recorded(0, || async { async_primer::say!("hi {}", 1) });
/// let line = &t.lines()[0];
/// assert_eq!((line.text(), line.task(), line.elapsed()), ("hi 1", "block_on's future", std::time::Duration::ZERO));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub(super) elapsed: Duration,
    pub(super) task: String,
    pub(super) text: String,
}

impl Line {
    /// Time since the executor started ([`crate::time::elapsed`]).
    ///
    /// ```
    /// let t = async_primer::testing::run_recorded(0, || async { async_primer::say!("x") });
    /// assert_eq!(t.lines()[0].elapsed(), std::time::Duration::ZERO);
    /// ```
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Who said it: a [`TaskInfo`](crate::executor::TaskInfo) as text, or
    /// `no task` outside any poll.
    ///
    /// ```
    /// let t = async_primer::testing::run_recorded(0, || async { async_primer::say!("x") });
    /// assert_eq!(t.lines()[0].task(), "block_on's future");
    /// ```
    pub fn task(&self) -> &str {
        &self.task
    }

    /// What was said.
    ///
    /// ```
    /// let t = async_primer::testing::run_recorded(0, || async { async_primer::say!("{}+{}", 1, 2) });
    /// assert_eq!(t.lines()[0].text(), "1+2");
    /// ```
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Formats a duration for a stamp: `0s` rather than `0ns`, else `Debug`
/// (`250ms`, `1.5s`), which is exact for the round numbers virtual time gives.
pub(super) struct Stamp(pub(super) Duration);

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.is_zero() {
            true => f.write_str("0s"),
            false => write!(f, "{:?}", self.0),
        }
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}: {}", Stamp(self.elapsed), self.task, self.text)
    }
}

/// The lines one run said through [`say!`](crate::say), in order. Made by
/// [`run_recorded`](super::run_recorded); displays one line per line.
///
/// ```
/// let t = async_primer::testing::run_recorded(0, || async {});
/// assert!(t.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    pub(super) lines: Vec<Line>,
}

impl Transcript {
    /// The lines, in the order they were said.
    ///
    /// ```
    /// let t = async_primer::testing::run_recorded(0, || async { async_primer::say!("a") });
    /// assert_eq!(t.lines().len(), 1);
    /// ```
    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// Only the texts, without stamps: for graders that do not care about
    /// times or task numbers.
    ///
    /// ```
    /// let t = async_primer::testing::run_recorded(0, || async { async_primer::say!("a") });
    /// assert_eq!(t.texts(), ["a"]);
    /// ```
    pub fn texts(&self) -> Vec<&str> {
        self.lines.iter().map(Line::text).collect()
    }

    /// True if nothing was said.
    ///
    /// ```
    /// assert!(async_primer::testing::Transcript::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Where `self` and `other` first differ, or `None` if they are equal.
    ///
    /// ```
    /// use async_primer::{say, testing::run_recorded};
    /// let a = run_recorded(0, || async { say!("one"); say!("two") });
    /// let b = run_recorded(0, || async { say!("one"); say!("three") });
    /// let d = a.diff(&b).unwrap();
    /// assert_eq!(d.line(), 2);
    /// assert!(d.to_string().contains("two"));
    /// ```
    pub fn diff(&self, other: &Transcript) -> Option<Difference> {
        let at = (0..self.lines.len().max(other.lines.len()))
            .find(|&i| self.lines.get(i) != other.lines.get(i))?;
        Some(Difference {
            index: at,
            left: self.lines.get(at).cloned(),
            right: other.lines.get(at).cloned(),
        })
    }

    /// Panics, showing the first differing line, unless `self == other`.
    ///
    /// ```
    /// use async_primer::{say, testing::run_recorded};
    /// let program = || async { say!("same every time") };
    /// run_recorded(3, program).assert_same(&run_recorded(3, program));
    /// ```
    #[track_caller]
    pub fn assert_same(&self, other: &Transcript) {
        if let Some(difference) = self.diff(other) {
            panic!("the transcripts differ: {difference}\nleft transcript:\n{self}");
        }
    }
}

impl fmt::Display for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.lines.iter().try_for_each(|line| writeln!(f, "{line}"))
    }
}

/// The first line where two transcripts differ (see [`Transcript::diff`]).
/// A side is `None` when that transcript had already ended.
///
/// ```
/// use async_primer::{say, testing::run_recorded};
/// let a = run_recorded(0, || async { say!("x") });
/// let d = a.diff(&Default::default()).unwrap();
/// assert_eq!((d.line(), d.right()), (1, None));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    index: usize,
    left: Option<Line>,
    right: Option<Line>,
}

impl Difference {
    /// The line number, counting from 1.
    ///
    /// ```
    /// let a = async_primer::testing::run_recorded(0, || async { async_primer::say!("x") });
    /// assert_eq!(a.diff(&Default::default()).unwrap().line(), 1);
    /// ```
    pub fn line(&self) -> usize {
        self.index + 1
    }

    /// That line in the transcript `diff` was called on.
    ///
    /// ```
    /// let a = async_primer::testing::run_recorded(0, || async { async_primer::say!("x") });
    /// assert_eq!(a.diff(&Default::default()).unwrap().left().unwrap().text(), "x");
    /// ```
    pub fn left(&self) -> Option<&Line> {
        self.left.as_ref()
    }

    /// That line in the other transcript.
    ///
    /// ```
    /// let a = async_primer::testing::run_recorded(0, || async { async_primer::say!("x") });
    /// assert!(a.diff(&Default::default()).unwrap().right().is_none());
    /// ```
    pub fn right(&self) -> Option<&Line> {
        self.right.as_ref()
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |line: &Option<Line>| match line {
            Some(line) => line.to_string(),
            None => "(the transcript ended)".to_string(),
        };
        write!(
            f,
            "first difference at line {}:\n  left:  {}\n  right: {}",
            self.line(),
            side(&self.left),
            side(&self.right)
        )
    }
}
