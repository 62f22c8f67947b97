//! The guide's ladder executors (chapter 4) exist twice: as code blocks in
//! `docs/ch04-executor.md`, which `cargo test --doc` compiles and runs, and
//! as the modules `step1` and `step2` of `benches/peers/ladder.rs`, which
//! the benchmark measures. This test keeps the two copies identical.
//!
//! In both files the code runs from a line `// ladder: step N` to the next
//! line `// ladder: end`. The bench's copy is indented by four spaces (it
//! sits in `pub mod stepN { .. }`); with those removed, the two must be
//! equal byte for byte. The chapter is the source of truth: edit it, then
//! paste the block into the bench module.

use std::path::Path;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("reading {}: {e}", full.display()))
}

/// The lines from `// ladder: step {step}` to the next `// ladder: end`,
/// both included, with `indent` leading spaces removed from each.
#[track_caller]
fn region(text: &str, file: &str, step: u32, indent: usize) -> String {
    let start_marker = format!("// ladder: step {step}");
    let lines: Vec<&str> = text.lines().collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim() == start_marker)
        .collect();
    assert_eq!(
        starts.len(),
        1,
        "{file}: expected exactly one line `{start_marker}`, found {}",
        starts.len()
    );
    let start = starts[0];
    let end = (start..lines.len())
        .find(|&i| lines[i].trim() == "// ladder: end")
        .unwrap_or_else(|| panic!("{file}: no `// ladder: end` after `{start_marker}`"));
    let pad = " ".repeat(indent);
    lines[start..=end]
        .iter()
        .enumerate()
        .map(|(k, line)| {
            if line.is_empty() {
                return String::new();
            }
            match line.strip_prefix(&pad) {
                Some(rest) => rest.to_string(),
                None => panic!(
                    "{file}:{}: expected {indent} spaces of indentation: {line:?}",
                    start + k + 1
                ),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[track_caller]
fn check_step(step: u32) {
    let guide = region(
        &read("docs/ch04-executor.md"),
        "docs/ch04-executor.md",
        step,
        0,
    );
    let bench = region(
        &read("benches/peers/ladder.rs"),
        "benches/peers/ladder.rs",
        step,
        4,
    );
    if guide != bench {
        let first = guide
            .lines()
            .zip(bench.lines())
            .position(|(g, b)| g != b)
            .unwrap_or_else(|| guide.lines().count().min(bench.lines().count()));
        panic!(
            "ladder step {step} drifted: line {} of the block differs\n  guide: {:?}\n  bench: {:?}\n\
             (the guide is the source of truth: paste its block into benches/peers/ladder.rs)",
            first + 1,
            guide.lines().nth(first),
            bench.lines().nth(first),
        );
    }
    // The block is real code, not a stub.
    assert!(
        guide.lines().count() > 20,
        "step {step} is suspiciously short"
    );
}

#[test]
fn step_1_in_the_guide_is_the_benchmarked_block_on() {
    check_step(1);
}

#[test]
fn step_2_in_the_guide_is_the_benchmarked_executor() {
    check_step(2);
}

#[test]
fn each_step_sits_in_a_rust_block_of_the_chapter() {
    // A marker inside a ```text block would be checked here but never
    // compiled by rustdoc: make sure each opens a ```rust block.
    let chapter = read("docs/ch04-executor.md");
    let lines: Vec<&str> = chapter.lines().collect();
    for step in [1, 2] {
        let marker = format!("// ladder: step {step}");
        let at = lines
            .iter()
            .position(|l| l.trim() == marker)
            .expect("marker present");
        assert!(
            at > 0 && lines[at - 1] == "```rust",
            "step {step}: the marker must open a ```rust block"
        );
    }
}
