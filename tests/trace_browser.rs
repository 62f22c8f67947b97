//! The step-through page (src/trace/html.rs) in a real browser: headless
//! Chromium loads it, runs its script, and dumps the DOM; the test checks
//! one lane per task and that stepping (`#step=N`) changes the highlighted
//! event, and saves a screenshot as `<target dir>/trace-page.png`.
//!
//! Without a Chromium (`chromium`, `chromium-browser`, `google-chrome`, or
//! the path in `CHROMIUM`) the test says plainly that it skipped. With
//! `ASYNC_PRIMER_REQUIRE_BROWSER=1` (CI sets it) a missing browser fails
//! the test instead. Debian: `apt-get install -y chromium`.

#![cfg(not(miri))] // Miri cannot start processes

mod common;
use async_primer::executor::{Executor, spawn_named};
use async_primer::time::sleep;
use async_primer::trace::Recording;
use common::{LIMIT, within};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Three tasks and a timer.
fn recording() -> Recording {
    let ex = Executor::builder().virtual_time().seed(1).record().build();
    ex.block_on(async {
        let mut handles = Vec::new();
        for (name, secs) in [("Ada", 1), ("Grace", 2), ("Linus", 3)] {
            handles.push(spawn_named(name, async move {
                sleep(Duration::from_secs(secs)).await;
                async_primer::yield_now().await;
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
    });
    ex.recording()
}

fn find_chromium() -> Option<String> {
    let mut candidates: Vec<String> = std::env::var("CHROMIUM").into_iter().collect();
    candidates.extend(
        [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ]
        .map(String::from),
    );
    candidates.into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Runs headless Chromium with `extra` arguments on `url`; returns stdout.
fn chromium(browser: &str, profile: &Path, extra: &[&str], url: &str) -> String {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    // Read stdout on a thread, so a full pipe cannot stall the browser.
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut out);
        out
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().expect("wait for chromium").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().expect("reader thread")
}

/// The text of the element with this id (no nested tags).
fn text_of<'a>(dom: &'a str, id: &str) -> &'a str {
    let open = format!("id=\"{id}\">");
    let start = dom.find(&open).unwrap_or_else(|| panic!("no #{id}")) + open.len();
    let end = start + dom[start..].find('<').unwrap();
    &dom[start..end]
}

#[test]
fn the_page_renders_and_steps_in_chromium() {
    within(LIMIT, || {
        let Some(browser) = find_chromium() else {
            if std::env::var("ASYNC_PRIMER_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
                panic!(
                    "ASYNC_PRIMER_REQUIRE_BROWSER=1 but no Chromium found (apt-get install -y chromium)"
                );
            }
            eprintln!(
                "SKIPPED trace_browser: no Chromium found (install `chromium`, or set CHROMIUM=/path)"
            );
            return;
        };
        let recording = recording();
        let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("trace_browser");
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).unwrap();
        let page = tmp.join("page.html");
        std::fs::write(&page, recording.html("three tasks and a timer")).unwrap();
        let url = format!("file://{}", page.display());
        let profile = tmp.join("profile");

        let dump = |step: usize| {
            let dom = chromium(
                &browser,
                &profile,
                &["--dump-dom"],
                &format!("{url}#step={step}"),
            );
            assert!(dom.contains("<svg"), "no page in the dump:\n{dom}");
            dom
        };
        let first = dump(3);
        let later = dump(9);

        // The script ran: it set the step it read from the URL.
        assert!(
            first.contains("data-step=\"3\""),
            "the script did not run:\n{first}"
        );
        assert!(later.contains("data-step=\"9\""));
        // One lane per task.
        assert_eq!(first.matches("class=\"lane\"").count(), recording.tasks());
        // The highlighted event moved: the list item, and the panel's text.
        assert!(
            first.contains("<li data-ev=\"3\" class=\"current\">"),
            "{first}"
        );
        assert!(later.contains("<li data-ev=\"9\" class=\"current\">"));
        assert!(!later.contains("<li data-ev=\"3\" class=\"current\">"));
        assert_ne!(text_of(&first, "now"), text_of(&later, "now"));
        assert_ne!(text_of(&first, "pos"), text_of(&later, "pos"));
        // At event 3 the ready queue is not empty (the spawns wait there).
        let ready = &first[first.find("id=\"ready\"").unwrap()..];
        assert!(
            !ready.starts_with("id=\"ready\"><li class=\"empty\""),
            "{ready}"
        );

        // A picture for humans.
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
        let shot = target.join("trace-page.png");
        let _ = std::fs::remove_file(&shot);
        chromium(
            &browser,
            &profile,
            &[
                &format!("--screenshot={}", shot.display()),
                "--window-size=1200,800",
            ],
            &format!("{url}#step=9"),
        );
        assert!(shot.exists(), "no screenshot at {}", shot.display());
        eprintln!("screenshot: {}", shot.display());
    })
}
