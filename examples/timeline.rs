//! See it run: an e-learning class, recorded and drawn as a timeline.
//!
//! Three students work through an assignment at their own pace and submit
//! it to the teacher, who collects submissions until the deadline (a
//! timer: `timeout`). Every student is a task; the teacher is a task too.
//! The executor records everything it does, and prints it as a timeline:
//! one lane per task, one column per scheduler step.
//!
//! ```text
//! cargo run --example timeline                          # the terminal timeline
//! cargo run --example timeline -- --chrome class.json   # open in ui.perfetto.dev
//! cargo run --example timeline -- --html class.html     # step through it in a browser
//! cargo run --example timeline -- --svg docs/img/timeline.svg   # the guide's picture
//! ```
//!
//! It runs under virtual time with a seed, so every run writes the same
//! bytes (the tests at the bottom run it twice and compare, and check that
//! the guide's picture is up to date).

use async_primer::channel::mpsc;
use async_primer::executor::{Executor, spawn_named};
use async_primer::time::{sleep, timeout};
use async_primer::trace::Recording;
use std::time::Duration;

/// name, seconds of reading, seconds of writing
const STUDENTS: [(&str, u64, u64); 3] = [("Ada", 2, 3), ("Grace", 4, 1), ("Linus", 6, 6)];
/// The teacher stops collecting after this long.
const DEADLINE: Duration = Duration::from_secs(10);

/// Runs the class once and returns what the executor recorded, and the
/// teacher's list of submissions.
fn run_class(seed: u64) -> (Recording, Vec<String>) {
    let ex = Executor::builder()
        .virtual_time()
        .seed(seed)
        .record()
        .build();
    let submitted = ex.block_on(async {
        let (tx, mut rx) = mpsc::unbounded::<&'static str>();
        let teacher = spawn_named("teacher", async move {
            let mut got = Vec::new();
            let collect = async {
                while let Some(name) = rx.recv().await {
                    got.push(name.to_string());
                }
            };
            // The deadline is a timer: whoever has not submitted by then is late.
            let _ = timeout(DEADLINE, collect).await;
            got
        });
        for (name, read, write) in STUDENTS {
            let tx = tx.clone();
            let _student = spawn_named(name, async move {
                sleep(Duration::from_secs(read)).await; // reading the task
                async_primer::yield_now().await; // let the others have a turn
                sleep(Duration::from_secs(write)).await; // writing the answer
                let _ = tx.send(name).await; // late: the teacher has gone
            });
        }
        drop(tx);
        teacher.await.unwrap()
    });
    (ex.recording(), submitted)
}

fn main() {
    let (recording, submitted) = run_class(7);
    let mut args = std::env::args().skip(1);
    let mut wrote = false;
    while let Some(flag) = args.next() {
        let Some(path) = args.next() else {
            eprintln!("usage: timeline [--chrome FILE] [--html FILE] [--svg FILE]");
            std::process::exit(2);
        };
        let contents = match flag.as_str() {
            "--chrome" => recording.chrome_json(),
            "--html" => recording.html("An e-learning class, step by step"),
            "--svg" => recording.svg(),
            other => {
                eprintln!("unknown option {other}: use --chrome, --html or --svg");
                std::process::exit(2);
            }
        };
        std::fs::write(&path, contents).expect("cannot write the file");
        println!("wrote {path}");
        wrote = true;
    }
    if !wrote {
        print!("{recording}");
        println!();
        println!("submitted before the deadline: {}", submitted.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes() {
        let (a, _) = run_class(7);
        let (b, _) = run_class(7);
        assert_eq!(a.timeline(), b.timeline());
        assert_eq!(a.chrome_json(), b.chrome_json());
        assert_eq!(a.html("t"), b.html("t"));
        assert_eq!(a.svg(), b.svg());
    }

    #[test]
    fn fits_80_columns() {
        let (recording, submitted) = run_class(7);
        assert_eq!(submitted, ["Ada", "Grace"]);
        let timeline = recording.timeline();
        for line in timeline.lines() {
            assert!(line.chars().count() <= 80, "too wide: {line}");
        }
    }

    /// The guide's picture (docs/img/timeline.svg) is this example's SVG.
    /// If this fails, regenerate it:
    /// `cargo run --example timeline -- --svg docs/img/timeline.svg`
    #[test]
    fn guide_picture_is_up_to_date() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/img/timeline.svg");
        let checked_in = std::fs::read_to_string(path).unwrap_or_default();
        let (recording, _) = run_class(7);
        assert!(
            checked_in == recording.svg(),
            "docs/img/timeline.svg is stale: run \
             `cargo run --example timeline -- --svg docs/img/timeline.svg`"
        );
    }
}
