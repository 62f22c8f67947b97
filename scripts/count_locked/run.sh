#!/usr/bin/env bash
# Atomic read-modify-writes (locked x86 instructions) per operation, for
# every contender of one workload of `cargo bench --bench peers`, counted
# under callgrind. See README.md beside this script.
#
#     scripts/count_locked/run.sh ping_pong     # one workload, quick mode
#     scripts/count_locked/run.sh --self-test   # checks the counter first
#
# Needs valgrind and objdump (Debian: valgrind, binutils). Takes a minute or
# two per workload; the callgrind dumps (up to a few hundred MB) go to a
# temporary directory that is removed afterwards (KEEP=1 keeps it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
for tool in valgrind objdump python3; do
  command -v "$tool" >/dev/null || { echo "count_locked: $tool is not installed" >&2; exit 2; }
done
[ $# -eq 1 ] || { echo "usage: $0 WORKLOAD | --self-test" >&2; exit 2; }
tmp=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] && echo "dumps kept in $tmp" || trap 'rm -rf "$tmp"' EXIT

if [ "$1" = --self-test ]; then
  # A program whose count is known: N fetch_add, N swap, N compare_exchange.
  cat > "$tmp/known.rs" <<'RS'
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
fn main() {
    let n: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let a = std::hint::black_box(AtomicUsize::new(0));
    for i in 0..n {
        a.fetch_add(1, SeqCst);
        a.swap(i, SeqCst);
        let _ = a.compare_exchange(i, i + 1, SeqCst, SeqCst);
    }
}
RS
  rustc -O -o "$tmp/known" "$tmp/known.rs"
  for n in 100000 200000; do
    valgrind --tool=callgrind --dump-instr=yes --dump-line=no \
      --callgrind-out-file="$tmp/known.$n" "$tmp/known" $n 2>/dev/null
  done
  python3 -c "
import sys; sys.path.insert(0, '$here')
import count_locked as c
a = c.count('$tmp/known.100000')[1]; b = c.count('$tmp/known.200000')[1]
print(f'locked: {a} for N=100000, {b} for N=200000; difference {b - a} (expected 300000)')
sys.exit(0 if b - a == 300000 else 1)"
  exit
fi

cd "$root"
bin=$(cargo bench --bench peers --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "peers" and m.get("executable"):
        print(m["executable"])')
[ -n "$bin" ] || { echo "count_locked: could not build the peers bench" >&2; exit 1; }
# The bench writes its CSV to $CARGO_TARGET_DIR/peers.csv: the run's own
# directory here, so that the real table in target/ is left alone.
CARGO_TARGET_DIR="$tmp" BENCH_PRINT_OPS=1 valgrind --tool=callgrind --dump-instr=yes \
  --dump-line=no --dump-after='*clock_gettime*' --callgrind-out-file="$tmp/cg.out" \
  "$bin" "$1" --quick > "$tmp/stdout.txt" 2> "$tmp/stderr.txt"
python3 "$here/count_locked.py" "$tmp" "$1"
