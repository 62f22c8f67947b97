//! Tests of the trace module (src/trace/): recording through the observer
//! seam, and the three renderings. The Chrome JSON is parsed with a real
//! JSON parser (serde_json) and checked for what Perfetto needs: named
//! tracks, a duration on every slice, flows whose ids pair up and whose
//! ends sit inside the woken task's next poll. The browser test of the
//! HTML page is tests/trace_browser.rs.

mod common;
use async_primer::executor::{Executor, spawn_named};
use async_primer::promise::{Promise, PromiseError};
use async_primer::time::sleep;
use async_primer::trace::{Ending, EventKind, Recording, Wake};
use common::{LIMIT, within};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

/// A small program that makes every kind of wake the seam reports.
fn program(seed: u64, threads: bool) -> Recording {
    within(LIMIT, move || {
        let ex = Executor::builder()
            .virtual_time()
            .seed(seed)
            .no_diagnostics()
            .record()
            .build();
        ex.block_on(async move {
            let (promise, resolver) = Promise::<u32, PromiseError>::with_resolvers();
            let waiter = spawn_named("waiter", async move { promise.await.unwrap() });
            let (micro_tx, micro_rx) = async_primer::channel::oneshot::<()>();
            let listener = spawn_named("listener", async move { micro_rx.await.unwrap() });
            let settler = spawn_named("settler", async move {
                sleep(Duration::from_millis(5)).await; // a timer wake
                async_primer::yield_now().await; // a self wake
                resolver.resolve(7);
                // The listener is woken from a microtask.
                async_primer::queue_microtask(move || {
                    let _ = micro_tx.send(());
                });
            });
            let (tx, rx) = async_primer::channel::oneshot();
            let receiver = spawn_named("receiver", async move { rx.await.unwrap() });
            let sender = spawn_named("sender", async move {
                let _ = tx.send(1); // a wake by another task
            });
            let doomed = spawn_named("doomed", async { sleep(Duration::from_secs(60)).await });
            let _oops = spawn_named("oops", async { panic!("on purpose") });
            if threads {
                let n = async_primer::spawn_blocking(|| {
                    std::thread::sleep(Duration::from_millis(20));
                    3
                })
                .await
                .unwrap(); // a thread's wake
                assert_eq!(n, 3);
            }
            assert_eq!(waiter.await.unwrap(), 7);
            settler.await.unwrap();
            listener.await.unwrap();
            assert_eq!(receiver.await.unwrap(), 1);
            sender.await.unwrap();
            doomed.abort();
            assert!(doomed.await.unwrap_err().is_aborted());
        });
        ex.recording()
    })
}

#[test]
fn records_every_kind_of_event() {
    let recording = program(1, !cfg!(miri));
    let events = recording.events();
    let woken_by = |wanted: Wake| {
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Woken { by, .. } if by == wanted))
    };
    assert!(woken_by(Wake::Timer), "{recording}");
    assert!(woken_by(Wake::Itself), "{recording}");
    assert!(woken_by(Wake::Microtask), "{recording}");
    assert!(events.iter().any(|e| matches!(
        e.kind,
        EventKind::Woken {
            by: Wake::Task(_),
            ..
        }
    )));
    if !cfg!(miri) {
        assert!(woken_by(Wake::Thread), "{recording}");
        assert!(
            events
                .iter()
                .any(|e| matches!(e.kind, EventKind::Parked { .. }))
        );
    }
    let ending = |name: &str| {
        let id = events.iter().find_map(|e| match &e.kind {
            EventKind::Spawned {
                task,
                name: Some(n),
                ..
            } if n == name => Some(*task),
            _ => None,
        });
        events.iter().find_map(|e| match &e.kind {
            EventKind::Finished { task, ending } if Some(*task) == id => Some(ending.clone()),
            _ => None,
        })
    };
    assert!(
        matches!(ending("oops"), Some(Ending::Panicked(m)) if m.contains("on purpose")),
        "{recording}"
    );
    assert_eq!(ending("doomed"), Some(Ending::Aborted));
    assert_eq!(ending("waiter"), Some(Ending::Returned));
    assert!(
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::MicrotasksRan { .. }))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::TimersFired { count: 1 }))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ClockMoved { .. }))
    );
    // Spawns name their parent (main) and their line in this file.
    for e in events {
        if let EventKind::Spawned {
            task,
            parent,
            location,
            ..
        } = &e.kind
        {
            if *task != 0 {
                assert_eq!(*parent, Some(0));
                assert!(location.starts_with("tests/trace.rs:"), "{location}");
            }
        }
    }
}

#[test]
fn ticks_never_repeat_and_follow_the_clock() {
    let recording = program(2, false);
    let events = recording.events();
    for pair in events.windows(2) {
        assert!(pair[0].tick < pair[1].tick, "{:?}", pair);
        assert!(pair[0].at <= pair[1].at);
        assert!(u128::from(pair[1].tick) >= pair[1].at.as_nanos());
    }
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i);
    }
    // Virtual time: the clock jumped to 5 ms for the settler's timer.
    assert!(events.iter().any(|e| e.at == Duration::from_millis(5)));
}

#[test]
fn same_seed_same_bytes() {
    let a = program(3, false);
    let b = program(3, false);
    assert_eq!(a, b);
    assert_eq!(a.timeline(), b.timeline());
    assert_eq!(a.chrome_json(), b.chrome_json());
    assert_eq!(a.html("x"), b.html("x"));
}

#[test]
fn timeline_has_a_lane_per_task_and_fits_80_columns() {
    let recording = program(4, false);
    let text = recording.timeline();
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "too wide: {line:?}");
    }
    for name in [
        "main", "listener", "waiter", "settler", "receiver", "sender", "doomed", "oops",
    ] {
        assert_eq!(
            text.lines().filter(|l| l.contains(name)).count(),
            1,
            "{name}:\n{text}"
        );
    }
    assert!(text.contains("woken by:"), "no legend:\n{text}");
    assert!(text.contains('!'), "the panic is not marked:\n{text}");
    assert!(text.contains('x'), "the abort is not marked:\n{text}");
}

#[test]
fn a_long_run_wraps_at_80_columns() {
    within(LIMIT, || {
        let ex = Executor::builder().virtual_time().record().build();
        ex.block_on(async {
            for _ in 0..100 {
                async_primer::yield_now().await;
            }
        });
        let text = ex.recording().timeline();
        assert!(text.lines().all(|l| l.chars().count() <= 80));
        assert!(text.lines().filter(|l| l.starts_with("main")).count() >= 2);
    })
}

#[test]
#[should_panic(expected = "does not record: build it with Executor::builder().record()")]
fn recording_off_says_how_to_turn_it_on() {
    within(LIMIT, || {
        let ex = Executor::new();
        ex.block_on(async {});
        let _ = ex.recording();
    })
}

fn ts(event: &Value) -> f64 {
    event["ts"]
        .as_f64()
        .expect("every timed event has a numeric ts")
}

#[test]
fn chrome_json_is_valid_and_flows_pair_up() {
    let recording = program(5, !cfg!(miri));
    let json: Value = serde_json::from_str(&recording.chrome_json()).expect("valid JSON");
    let events = json["traceEvents"].as_array().expect("traceEvents");
    let phase = |p: &'static str| events.iter().filter(move |e| e["ph"] == p);

    // One named track per task.
    let names: Vec<&str> = phase("M")
        .filter(|e| e["name"] == "thread_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), recording.tasks() + 1, "{names:?}"); // + the executor's
    assert!(names.iter().any(|n| n.contains("waiter")));

    // Every slice has a duration.
    let slices: Vec<&Value> = phase("X").collect();
    assert!(slices.len() > 10);
    for x in &slices {
        let dur = x["dur"]
            .as_f64()
            .unwrap_or_else(|| panic!("X without dur: {x}"));
        assert!(dur > 0.0, "{x}");
        ts(x);
    }
    let inside = |e: &Value| {
        slices.iter().copied().find(|x| {
            x["tid"] == e["tid"] && ts(x) < ts(e) && ts(e) < ts(x) + x["dur"].as_f64().unwrap()
        })
    };

    // Flows: ids pair up, `s` before `f`, both inside a slice, the `f`
    // inside a poll of the woken task and bound to it (`bp: "e"`).
    let mut starts: HashMap<u64, &Value> = HashMap::new();
    for s in phase("s") {
        assert!(
            starts.insert(s["id"].as_u64().unwrap(), s).is_none(),
            "duplicate s id"
        );
    }
    let mut ends = 0;
    for f in phase("f") {
        let id = f["id"].as_u64().unwrap();
        let s = starts
            .remove(&id)
            .unwrap_or_else(|| panic!("f without s: {f}"));
        assert_eq!(f["bp"], "e");
        assert!(ts(s) < ts(f), "s {s} after f {f}");
        assert!(inside(s).is_some(), "s outside any slice: {s}");
        let poll = inside(f).unwrap_or_else(|| panic!("f outside any slice: {f}"));
        assert_eq!(poll["cat"], "poll", "{f} not in a poll");
        ends += 1;
    }
    assert!(starts.is_empty(), "s without f: {starts:?}");
    assert!(ends >= 4, "too few flows: {ends}");

    // The ready-queue counter.
    let counters: Vec<&Value> = phase("C").collect();
    assert!(counters.iter().all(|c| c["name"] == "ready queue"));
    assert!(
        counters
            .iter()
            .any(|c| c["args"]["tasks"].as_u64().unwrap() >= 3)
    );
}

#[test]
fn html_page_is_self_contained() {
    let recording = program(6, false);
    let page = recording.html("test <page>");
    assert!(page.contains("<title>test &lt;page&gt;</title>"));
    assert!(!page.contains("http://") || !page.contains("src=\"http"));
    assert!(!page.contains("<link"));
    assert_eq!(page.matches("<script").count(), 2); // the data, the code
    assert_eq!(
        page.matches("<g class=\"lane\"").count(),
        recording.tasks(),
        "one lane per task"
    );
    // The page's data is valid JSON, one step per event.
    let start = page.find("id=\"trace-data\">").unwrap() + "id=\"trace-data\">".len();
    let end = start + page[start..].find("</script>").unwrap();
    let data: Value = serde_json::from_str(&page[start..end]).unwrap();
    assert_eq!(
        data["steps"].as_array().unwrap().len(),
        recording.events().len()
    );
}

#[test]
fn a_sleep_records_the_timer_it_armed_and_when_it_fired() {
    within(LIMIT, || {
        use async_primer::executor::Executor;
        use async_primer::trace::{EventKind, Wake};
        let ex = Executor::builder().virtual_time().seed(1).record().build();
        ex.block_on(async {
            let napper = async_primer::spawn(async {
                async_primer::time::sleep(Duration::from_millis(250)).await;
            });
            napper.await.unwrap();
        });
        let recording = ex.recording();
        let events = recording.events();
        let armed: Vec<(u64, Duration)> = events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::TimerArmed { task, deadline } => Some((task, deadline)),
                _ => None,
            })
            .collect();
        assert_eq!(armed, [(1, Duration::from_millis(250))]);
        let armed_at = events
            .iter()
            .position(|e| matches!(e.kind, EventKind::TimerArmed { .. }))
            .unwrap();
        let fired_at = events
            .iter()
            .position(|e| {
                matches!(
                    e.kind,
                    EventKind::Woken {
                        task: 1,
                        by: Wake::Timer
                    }
                )
            })
            .unwrap();
        assert!(armed_at < fired_at);
        assert_eq!(events[fired_at].at, Duration::from_millis(250));
    })
}
