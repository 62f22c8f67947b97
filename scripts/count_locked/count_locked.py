#!/usr/bin/env python3
"""Atomic read-modify-writes per operation, for each contender of a
`cargo bench --bench peers` workload, counted under callgrind.

Why: an atomic read-modify-write (RMW: `fetch_add`, `compare_exchange`,
`swap`, a mutex's lock and unlock) is a `lock`-prefixed instruction on x86
(or an `xchg` with memory, locked implicitly), and what it costs differs
from one processor to another more than most instructions do. A count of
executed locked instructions does not depend on the machine, so it tells
how a ratio measured on one machine would move on another where they cost
more: with time = a + c * locked, a larger `c` moves ours/peer towards
locked(ours)/locked(peer).

Usage (run.sh does all of it):

    count_locked.py DIR FILTER

DIR holds a callgrind run of the bench made with `--dump-instr=yes
--dump-line=no --dump-after='*clock_gettime*'` (files cg.out.N), the
bench's stderr with BENCH_PRINT_OPS=1 (stderr.txt: one `sample ops=N` per
timed sample, in order: how many of the table's operations it timed) and its CSV (peers.csv: the contenders of each
workload, in the order they run). FILTER is the name given to the bench;
it must have picked one workload.

How a timed sample is found: `per_op` (benches/peers.rs) reads the thread
CPU clock right before and right after the work, calling `clock_gettime`
itself. Each `clock_gettime` ends a dump, so the dumps after such a
"start" dump, up to the next dump that ends on a `clock_gettime` called
from a `peers::` function, hold exactly the timed work (plus one clock
read, about 30 instructions). Other `clock_gettime` calls (tokio reads
`Instant::now` inside its work) only split a sample into more dumps.

Callgrind's format (https://valgrind.org/docs/manual/cl-format.html): with
`positions: instr`, a cost line starts with an instruction address, absolute
(0x...), relative to the previous one (+N, -N) or the same (*). The line
after `calls=` is the inclusive cost of a call, not the call instruction's
own cost: it is skipped, but its address still counts as "previous". Names
may be compressed: `(id) name` defines an id, `(id)` refers to it.
"""
import collections
import csv
import os
import re
import statistics
import subprocess
import sys

_locked_cache = {}


def locked_addresses(obj):
    """The addresses in `obj` (an ELF file) of lock-prefixed instructions and
    of `xchg` with a memory operand."""
    if obj not in _locked_cache:
        if not os.path.isfile(obj):  # `???`, or the vDSO: no file to read
            _locked_cache[obj] = set()
            return _locked_cache[obj]
        out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-w", obj],
                             capture_output=True, text=True, check=True).stdout
        found = set()
        for line in out.splitlines():
            m = re.match(r"^\s*([0-9a-f]+):\s+(.*)$", line)
            if not m:
                continue
            words = m.group(2).split("#")[0].split()
            if "lock" in words[:3]:
                found.add(int(m.group(1), 16))
            elif words and words[0].startswith("xchg") and "(" in " ".join(words[1:]):
                found.add(int(m.group(1), 16))
        _locked_cache[obj] = found
    return _locked_cache[obj]


def read_dump(path):
    """One dump: its self cost per (object, address), the summary line, and
    the functions that called `clock_gettime` in it."""
    names = {"ob": {}, "fn": {}}
    cost = collections.Counter()
    clock_callers = []
    summary = None
    ob = fn = cfn = None
    prev = 0
    skip_next = False

    def name(kind, text):
        m = re.match(r"^\((\d+)\)\s*(.*)$", text.strip())
        if not m:
            return text.strip()
        if m.group(2):
            names[kind][m.group(1)] = m.group(2)
        return names[kind].get(m.group(1), "?")

    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            if line[0] in "0123456789+-*":
                words = line.split()
                p = words[0]
                if p.startswith("0x"):
                    prev = int(p, 16)
                elif p[0] in "+-":
                    prev += int(p)
                elif p != "*":
                    prev = int(p)
                if skip_next:
                    skip_next = False
                elif len(words) > 1:
                    cost[(ob, prev)] += int(words[1])
                continue
            key, _, value = line.partition("=")
            if key in ("ob", "cob"):
                current = name("ob", value)
                if key == "ob":
                    ob = current
            elif key in ("fn", "cfn"):
                current = name("fn", value)
                if key == "fn":
                    fn = current
                else:
                    cfn = current
            elif key == "calls":
                skip_next = True
                if cfn and "clock_gettime" in cfn:
                    clock_callers.append(fn)
            elif line.startswith("summary:"):
                summary = int(line.split()[1])
    return cost, summary, clock_callers


def count(path):
    """(instructions, locked instructions) executed in one dump."""
    return count_cost(*read_dump(path)[:2], path)


def count_cost(cost, summary, path):
    """`count`, for a dump already read."""
    total = sum(cost.values())
    assert summary is None or summary == total, f"{path}: {total} != summary {summary}"
    locked = 0
    for (obj, address), ir in cost.items():
        # Callgrind 3.19 writes addresses relative to each object's load
        # address, so they match objdump's for the bench and shared libraries.
        if obj and ir and address in locked_addresses(obj):
            locked += ir
    return total, locked


def samples(run_dir):
    """(instructions, locked) of each timed sample, in the order they ran."""
    dumps = sorted((p for p in os.listdir(run_dir) if re.fullmatch(r"cg\.out\.\d+", p)),
                   key=lambda p: int(p.rsplit(".", 1)[1]))
    found, open_sample = [], None
    for dump in dumps:
        path = os.path.join(run_dir, dump)
        cost, summary, callers = read_dump(path)
        per_op_clock = any(c and c.startswith("peers::") and c != "peers::main" for c in callers)
        if open_sample is None:
            if per_op_clock:
                open_sample = [0, 0]  # the start marker: the next dump is timed work
            continue
        ir, locked = count_cost(cost, summary, path)
        open_sample[0] += ir
        open_sample[1] += locked
        if per_op_clock:
            found.append(tuple(open_sample))
            open_sample = None
    assert open_sample is None, "a timed sample has no end"
    return found


def main():
    run_dir, wanted = sys.argv[1], sys.argv[2]
    ops = [float(m.group(1)) for m in re.finditer(r"sample ops=([0-9.e+-]+)",
                                                open(os.path.join(run_dir, "stderr.txt")).read())]
    with open(os.path.join(run_dir, "peers.csv")) as f:
        rows = list(csv.DictReader(f))
    workloads = list(dict.fromkeys(r["workload"] for r in rows))
    assert len(workloads) == 1, f"{wanted!r} ran {workloads}: name one workload"
    workload = workloads[0]
    contenders = [r["implementation"] for r in rows]
    timed = samples(run_dir)
    assert len(timed) == len(ops), f"{len(timed)} timed samples, {len(ops)} op counts"
    assert len(timed) % len(contenders) == 0, "samples do not divide into rounds"
    print(f"{workload}: {len(timed) // len(contenders)} rounds, median per operation")
    print(f"{'implementation':<36} {'instructions':>12} {'locked':>8}")
    for k, name in enumerate(contenders):
        mine = list(zip(timed, ops))[k::len(contenders)]
        ir = statistics.median(s[0] / n for s, n in mine)
        locked = statistics.median(s[1] / n for s, n in mine)
        print(f"{name:<36} {ir:>12.1f} {locked:>8.2f}")


if __name__ == "__main__":
    main()
