#!/usr/bin/env bash
# Runs the catalogue of seeded concurrency bugs (tests/seeded_bugs/*.patch):
# every bug must be caught by the test or loom model its header names.
#
#     tests/seeded_bugs/run.sh              # all of them
#     tests/seeded_bugs/run.sh --sample     # the fixed sample check.sh runs
#     tests/seeded_bugs/run.sh ID...        # some, by file name without .patch
#
# For each bug it applies the patch in a scratch copy of the repository
# (a copy of the working tree, kept between runs so builds are incremental),
# builds and runs the named test, reverts the patch, and prints one row:
#
#     CAUGHT    the named test failed (panic, loom's report, a failed assert)
#     SURVIVED  the named test passed: the bug is not caught
#     HANG      the named test ran past the timeout (a hang is not a catch)
#     BROKEN    the patch does not apply or the crate does not build
#     NO-TEST   the named test does not exist (it ran 0 tests)
#
# It exits non-zero unless every row is CAUGHT. Environment:
#   SEEDED_SCRATCH   scratch copy (default: target/seeded-scratch, per clone, so
#                    two clones running at once do not patch each other)
#   SEEDED_TARGET    cargo target dir for std tests (default: target/seeded);
#                    loom builds use "$SEEDED_TARGET-loom"
#   SEEDED_TIMEOUT   seconds per test run (default 300)
#   LOOM_MAX_PREEMPTIONS (default 2), as in check.sh
#
# A patch file starts with comment lines, then a unified diff:
#   # bug: <the real bug it stands for>
#   # kind: removed wake | weakened ordering | split read-modify-write |
#   #       removed re-check | swapped statements
#   # caught-by: loom_<file>::<model>  or  <test file>::<test name>
#
# tests/seeded_bugs/open/ holds bugs no model catches yet (not run here;
# see README.md here): run one with `run.sh` after moving it up.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/tests/seeded_bugs"
scratch="${SEEDED_SCRATCH:-$root/target/seeded-scratch}"
target="${SEEDED_TARGET:-$root/target/seeded}"
limit="${SEEDED_TIMEOUT:-300}"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}"

# The fixed sample: executor, promise, channel, join_all, locks, cancel, emitter,
# one of each kind of bug. About 12-20 s each (an incremental loom build).
SAMPLE=(
  exec-park-no-recheck
  exec-release-relaxed
  exec-blocking-count-early
  promise-lock-pending-no-recheck
  promise-ref-drop-relaxed
  oneshot-send-split
  wakelist-queued-cleared-early
  permits-release-no-wake
  token-cancel-no-wake
  emitter-free-no-recheck
)

case "${1:-}" in
  --sample) bugs=("${SAMPLE[@]}") ;;
  -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
  "") bugs=(); for p in "$here"/*.patch; do b=$(basename "$p" .patch); bugs+=("$b"); done ;;
  *) bugs=("$@") ;;
esac

started=$(date +%s)
source "$here/scratch.sh"
sync_scratch "$root" "$scratch"

field() { sed -n "s/^# $1: //p" "$2" | head -n1; }

caught=0; survived=0; loom_caught=0; rows=()
printf '%-34s %-62s %s\n' BUG "CAUGHT-BY" RESULT
for bug in "${bugs[@]}"; do
  patch_file="$here/$bug.patch"
  [ -f "$patch_file" ] || { echo "no such bug: $bug"; exit 2; }
  named=$(field caught-by "$patch_file")
  file=${named%%::*}; test_name=${named#*::}
  log="$scratch/.seeded-$bug.log"
  result=""
  if ! patch -s -p1 --dry-run < "$patch_file" > "$log" 2>&1; then
    result=BROKEN
  else
    patch -s -p1 < "$patch_file"
    if [[ $file == loom_* ]]; then
      run=(env RUSTFLAGS="--cfg async_primer_loom" CARGO_TARGET_DIR="$target-loom"
           cargo test --release --test "$file")
    else
      run=(env CARGO_TARGET_DIR="$target" cargo test --test "$file")
    fi
    if ! "${run[@]}" --no-run > "$log" 2>&1; then
      result=BROKEN
    else
      timeout "$limit" "${run[@]}" -- --exact "$test_name" >> "$log" 2>&1
      rc=$?
      if [ $rc -eq 124 ]; then result=HANG
      elif grep -q "running 0 tests" "$log"; then result=NO-TEST
      elif [ $rc -eq 0 ]; then result=SURVIVED
      else result=CAUGHT
      fi
    fi
    patch -s -R -p1 < "$patch_file"
  fi
  # Make sure the next build sees the reverted files as changed.
  sed -n 's/^+++ b\///p' "$patch_file" | xargs -r touch
  if [ "$result" = CAUGHT ]; then
    caught=$((caught + 1))
    [[ $file == loom_* ]] && loom_caught=$((loom_caught + 1))
  else
    survived=$((survived + 1))
    rows+=("$bug: $result (log: $log)")
  fi
  printf '%-34s %-62s %s\n' "$bug" "$named" "$result"
done

total=${#bugs[@]}
echo
echo "$caught caught, $survived survived (of $total); caught by loom: $loom_caught/$total ($(( 100 * loom_caught / (total > 0 ? total : 1) ))%); $(( $(date +%s) - started ))s"
for r in "${rows[@]}"; do echo "  $r"; done
[ "$survived" -eq 0 ]
