#!/usr/bin/env python3
"""Fails on an import cycle among the files of one module folder, or among
the crate's top-level modules.

    python3 scripts/modcycles.py [src/executor src/promise ...]
    (default: every folder under src/, then the top-level modules)

A file depends on a sibling when it names it: `super::NAME`, `crate::<module>::NAME`
(and the same inside `use super::{a, b::C}` groups), where NAME is the sibling's
file name, or an item that mod.rs re-exports from that sibling (`pub use task::TaskRef`),
so a re-export cannot hide a cycle. mod.rs itself is the module's root and not a node.
Prints each folder's cycles and exits 1 if any folder has one.
"""
import os, re, sys

def reexports(folder, sibs):
    """NAME -> sibling file, for items mod.rs re-exports from a sibling."""
    path = os.path.join(folder, 'mod.rs')
    if not os.path.exists(path):
        return {}
    code = re.sub(r'//[^\n]*', '', open(path).read())
    out = {}
    for m in re.finditer(r'\buse\s+(?:self::)?(\w+)::(\{[^}]*\}|\w+)', code):
        src, items = m.group(1), m.group(2)
        if src not in sibs:
            continue
        for name in re.findall(r'(\w+)(?:\s+as\s+(\w+))?', items.strip('{}')):
            out[name[1] or name[0]] = src
    return out

def edges(folder):
    mod = os.path.basename(os.path.normpath(folder))
    files = {f[:-3]: os.path.join(folder, f) for f in os.listdir(folder) if f.endswith('.rs')}
    sibs = {n for n in files if n != 'mod'}
    alias = reexports(folder, sibs)
    g = {}
    for name, path in files.items():
        if name == 'mod':
            continue
        code = re.sub(r'//[^\n]*', '', open(path).read())
        refs = set(re.findall(r'\bsuper::(\w+)', code))
        refs |= set(re.findall(r'\bcrate::%s::(\w+)' % mod, code))
        groups = re.findall(r'\bsuper::\{([^}]*)\}', code)
        groups += re.findall(r'\bcrate::%s::\{([^}]*)\}' % mod, code)
        for grp in groups:
            refs |= set(re.findall(r'(?:^|,)\s*(\w+)', grp))
        deps = {r if r in sibs else alias.get(r) for r in refs}
        g[name] = sorted(d for d in deps if d and d != name)
    return g

def cycles(g):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in g.get(v, []):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))
    for v in sorted(g):
        if v not in index:
            visit(v)
    return out

def top_level():
    """Top-level module -> the top-level modules its code names (`crate::x`).
    lib.rs, the prelude and the guide re-export or include the rest, so
    they are the top of the graph, not nodes in it."""
    mods = {}
    for entry in os.listdir('src'):
        path = os.path.join('src', entry)
        if os.path.isdir(path):
            mods[entry] = [os.path.join(path, f) for f in os.listdir(path) if f.endswith('.rs')]
        elif entry.endswith('.rs') and entry[:-3] not in ('lib', 'prelude', 'guide'):
            mods[entry[:-3]] = [path]
    g = {}
    for name, files in mods.items():
        deps = set()
        for path in files:
            code = re.sub(r'//[^\n]*', '', open(path).read())
            deps |= set(re.findall(r'\bcrate::(\w+)', code))
        g[name] = sorted(d for d in deps if d in mods and d != name)
    return g

whole = not sys.argv[1:]
folders = sys.argv[1:] or sorted(
    os.path.join('src', d) for d in os.listdir('src') if os.path.isdir(os.path.join('src', d)))
bad = False
for folder in folders:
    found = cycles(edges(folder))
    if found:
        bad = True
        print(f"{folder}: import cycle: " + "; ".join(" <-> ".join(c) for c in found))
    else:
        print(f"{folder}: no import cycle")
if whole:
    found = cycles(top_level())
    if found:
        bad = True
        print("top-level modules: import cycle: " + "; ".join(" <-> ".join(c) for c in found))
    else:
        print("top-level modules: no import cycle")
sys.exit(1 if bad else 0)
