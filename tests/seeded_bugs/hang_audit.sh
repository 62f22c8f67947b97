#!/usr/bin/env bash
# The hang audit: no test in the suite may hang on a seeded bug.
#
#     tests/seeded_bugs/hang_audit.sh            # every bug of the catalogue
#     tests/seeded_bugs/hang_audit.sh --sample   # the fixed sample (see SAMPLE)
#     tests/seeded_bugs/hang_audit.sh --clean    # no bug: the suite as it is
#     tests/seeded_bugs/hang_audit.sh ID...      # some, by file name (no .patch)
#
# run.sh asks "does the named model catch the bug?". This asks the other
# question: with the bug in place, does every ordinary test binary finish?
# A test that waits on the executor under a lost wake-up must fail with a
# message (tests/common/mod.rs: `within`), not hang CI until its time limit.
#
# For each bug it applies the patch in a scratch copy of the working tree
# (kept between runs, so builds are incremental, as in run.sh, but in its
# own directory), builds the ordinary test binaries once
# (`cargo test --tests --no-run`), runs every binary with a timeout, reverts
# the patch, and prints one row per bug: the binaries that HANG (ran past
# the timeout; with the tests still running, from libtest's "has been
# running for over 60 seconds" lines) and those that FAIL. Binaries that
# pass are counted, not named. The loom files (tests/loom_*.rs) compile to
# nothing without the loom cfg and are skipped.
#
# It exits non-zero if any binary hung (or a patch is BROKEN). A failing
# binary is fine here: that is a bug caught. Environment:
#   HANG_SCRATCH   scratch copy (default: target/hangs-scratch, per clone, so
#                  two clones running at once do not patch each other)
#   HANG_TARGET    cargo target dir (default: target/hangs)
#   HANG_TIMEOUT   seconds per test binary (default 180: past libtest's
#                  60 s "has been running" notice, which names the test)
#   ASYNC_PRIMER_TEST_LIMIT_SECS  the bound of a guarded test body (default
#                  here 10, instead of the tests' 30)
#   HANG_LOGS      where the per-bug logs go (default: $HANG_SCRATCH/.hang-logs)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/tests/seeded_bugs"
scratch="${HANG_SCRATCH:-$root/target/hangs-scratch}"
target="${HANG_TARGET:-$root/target/hangs}"
limit="${HANG_TIMEOUT:-180}"
# A guarded test body (tests/common: `within`) gives up after this many
# seconds instead of 30, so that a binary with many stuck tests finishes.
export ASYNC_PRIMER_TEST_LIMIT_SECS="${ASYNC_PRIMER_TEST_LIMIT_SECS:-10}"
logs="${HANG_LOGS:-$scratch/.hang-logs}"

# The fixed sample: two bugs that made ordinary tests hang before the tests
# ran their bodies under `within` (see README.md, "No test hangs"): a lost
# wake in the locks (tests/locks.rs hung) and in the executor's blocking
# pool (tests/trace.rs hung). About 40-50 s each here.
SAMPLE=(
  barrier-no-wake
  exec-blocking-no-wake
)

case "${1:-}" in
  --sample) bugs=("${SAMPLE[@]}") ;;
  --clean) bugs=(none) ;;
  -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
  "") bugs=(); for p in "$here"/*.patch; do bugs+=("$(basename "$p" .patch)"); done ;;
  *) bugs=("$@") ;;
esac

started=$(date +%s)
mkdir -p "$logs"
source "$here/scratch.sh"
sync_scratch "$root" "$scratch"

# The test executables of the last build, as "name path" lines.
binaries() {
  sed -n 's/.*"target":{[^}]*"name":"\([^"]*\)".*"executable":"\([^"]*\)".*/\1 \2/p' "$1" |
    grep -v '^loom_' | sort -u
}

# Interrupted? Take the seeded bug out again, so the next run starts clean.
applied=""
trap '[ -n "$applied" ] && patch -s -R -p1 < "$applied"; exit 130' INT TERM

hung_total=0; broken=0
printf '%-34s %5s  %s\n' BUG SECS "RESULT (binaries that hang or fail)"
for bug in "${bugs[@]}"; do
  t0=$(date +%s)
  log="$logs/$bug.log"; : > "$log"
  patch_file="$here/$bug.patch"
  if [ "$bug" != none ]; then
    [ -f "$patch_file" ] || [ -f "$here/open/$bug.patch" ] || { echo "no such bug: $bug"; exit 2; }
    [ -f "$patch_file" ] || patch_file="$here/open/$bug.patch"
    if ! patch -s -p1 --dry-run < "$patch_file" >> "$log" 2>&1; then
      printf '%-34s %5s  %s\n' "$bug" - "BROKEN (patch does not apply; $log)"
      broken=$((broken + 1)); continue
    fi
    patch -s -p1 < "$patch_file"; applied=$patch_file
  fi
  hangs=(); fails=(); passed=0; result=""
  if ! CARGO_TARGET_DIR="$target" cargo test --tests --no-run --message-format=json \
      > "$log.json" 2>> "$log"; then
    result="BROKEN (does not build; $log)"; broken=$((broken + 1))
  else
    while read -r name exe; do
      echo "=== $name ($exe)" >> "$log"
      timeout -k 10 "$limit" "$exe" >> "$log.$name" 2>&1 < /dev/null
      rc=$?
      cat "$log.$name" >> "$log"
      if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        slow=$(sed -n 's/^test \(.*\) has been running for over 60 seconds$/\1/p' "$log.$name" | paste -sd, -)
        hangs+=("$name${slow:+($slow)}")
      elif [ $rc -ne 0 ]; then
        fails+=("$name")
      else
        passed=$((passed + 1))
      fi
      rm -f "$log.$name"
    done < <(binaries "$log.json")
    result=""
    [ ${#hangs[@]} -gt 0 ] && result+="HANG: ${hangs[*]}  "
    [ ${#fails[@]} -gt 0 ] && result+="FAIL: ${fails[*]}  "
    result+="($passed passed)"
    hung_total=$((hung_total + ${#hangs[@]}))
  fi
  rm -f "$log.json"
  if [ "$bug" != none ]; then
    patch -s -R -p1 < "$patch_file"; applied=""
    # Make sure the next build sees the reverted files as changed.
    sed -n 's/^+++ b\///p' "$patch_file" | xargs -r touch
  fi
  printf '%-34s %5s  %s\n' "$bug" "$(( $(date +%s) - t0 ))" "$result"
done

echo
echo "${#bugs[@]} bugs, $hung_total hanging binaries, $broken broken; $(( $(date +%s) - started ))s (logs: $logs)"
[ "$hung_total" -eq 0 ] && [ "$broken" -eq 0 ]
