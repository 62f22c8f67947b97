#!/usr/bin/env bash
# The full check: everything CI runs, in one command. Run it from the repo
# root on a fresh clone:
#
#     ./check.sh            # everything
#     ./check.sh quick      # fmt, clippy, cargo test (the everyday loop)
#
# It installs what it needs (rustfmt, clippy, and Miri with rust-src on the
# nightly toolchain) and stops at the first failure, saying which step
# failed. Steps, in order:
#   1. cargo fmt --check, and no import cycle among the files of a module
#      (scripts/modcycles.py)
#   2. clippy, all targets, warnings are errors
#   3. cargo test: unit, integration, doc tests and the guide chapters
#   4. the loom models (tests/loom_*.rs), in release, under --cfg async_primer_loom,
#      then a fixed sample of the seeded-bug catalogue (tests/seeded_bugs/: each
#      bug must make its named model fail; run.sh without --sample runs all),
#      and a fixed sample of the hang audit (tests/seeded_bugs/hang_audit.sh:
#      with a seeded bug no ordinary test binary may hang; about 1-2.5 min)
#   5. cargo doc, warnings are errors
#   6. every example, each must exit 0
#   7. the self-test of scripts/count_locked (needs valgrind; skipped without)
#   8. Miri on the unit and integration tests
set -euo pipefail
cd "$(dirname "$0")"

mode="${1:-full}"
step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)
elapsed() { echo "$(( $(date +%s) - started ))s"; }
trap 'rc=$?; if [ $rc -ne 0 ]; then echo; echo "check.sh: FAILED at step: ${current:-setup} (after $(elapsed))"; fi' EXIT

current="install tools"
step "$current"
have_component() { rustup component list --toolchain "$1" --installed 2>/dev/null | grep -q "^$2"; }
for c in rustfmt clippy; do
  have_component stable "$c" || rustup component add --toolchain stable "$c"
done
if [ "$mode" = full ]; then
  rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
  for c in miri rust-src; do
    have_component nightly "$c" || rustup component add --toolchain nightly "$c"
  done
fi

current="cargo fmt --check"; step "$current"
cargo +stable fmt --all -- --check

current="import cycles"; step "$current"
python3 scripts/modcycles.py

current="clippy"; step "$current"
cargo +stable clippy --all-targets --locked -- -D warnings

current="cargo test"; step "$current"
# Not --all-targets: that would also run benches/peers.rs (harness = false)
# as a test, i.e. the whole benchmark in debug mode. Clippy compiles it.
cargo +stable test --locked --lib --bins --tests --examples
cargo +stable test --locked --doc

[ "$mode" = quick ] && { echo; echo "check.sh quick: OK ($(elapsed))"; exit 0; }

current="loom models"; step "$current"
# A separate target dir: the cfg changes every crate's build, and sharing
# target/ would throw away the normal build each time.
loom_tests=$(ls tests/loom_*.rs 2>/dev/null | xargs -rn1 basename | sed 's/\.rs$//')
if [ -z "$loom_tests" ]; then echo "no loom models found"; exit 1; fi
for t in $loom_tests; do
  echo "-- $t"
  RUSTFLAGS="--cfg async_primer_loom" LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}" \
    CARGO_TARGET_DIR=target/loom cargo +stable test --locked --release --test "$t" -- --test-threads=2
done

current="seeded bugs (sample)"; step "$current"
SEEDED_TARGET=target/seeded tests/seeded_bugs/run.sh --sample

current="hang audit (sample)"; step "$current"
tests/seeded_bugs/hang_audit.sh --sample  # builds in target/hangs

current="cargo doc"; step "$current"
RUSTDOCFLAGS="-D warnings" cargo +stable doc --locked --no-deps

current="examples"; step "$current"
cargo +stable build --locked --examples
for ex in examples/*.rs; do
  name=$(basename "$ex" .rs)
  echo "-- example $name"
  cargo +stable run --locked --quiet --example "$name" > "target/example-$name.out" 2>&1 || {
    cat "target/example-$name.out"; echo "example $name failed"; exit 1; }
  tail -n 3 "target/example-$name.out"
done

current="locked-instruction counter"; step "$current"
# scripts/count_locked counts atomic read-modify-writes under callgrind; its
# self-test checks the count on a program whose answer is known. CI installs
# valgrind (.ci/run) and requires the test; elsewhere it is skipped without.
if command -v valgrind >/dev/null 2>&1; then
  scripts/count_locked/run.sh --self-test
elif [ "${ASYNC_PRIMER_REQUIRE_VALGRIND:-0}" = 1 ]; then
  echo "valgrind is not installed"; exit 1
else
  echo "skipped: valgrind is not installed (Debian: apt-get install valgrind)"
fi

current="miri"; step "$current"
# Sizes are reduced under cfg(miri) in the tests themselves. Isolation is off
# so that proptest can read its configuration and the clock is available.
MIRIFLAGS="${MIRIFLAGS:--Zmiri-disable-isolation}" PROPTEST_CASES="${PROPTEST_CASES:-4}" \
  CARGO_TARGET_DIR=target/miri cargo +nightly miri test --locked --lib --tests

current="done"
echo
echo "check.sh: all steps passed ($(elapsed))"
