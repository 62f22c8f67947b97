#!/usr/bin/env bash
# Rewrites seeded-bug patches that still apply, but with an offset or fuzz,
# against the current source, so that each stays exact after the code
# around it moves. Header lines (# bug/kind/caught-by) are kept.
#
#     tests/seeded_bugs/reanchor.sh            # every patch (and open/)
#     tests/seeded_bugs/reanchor.sh FILE...    # some
#
# Read each rewritten patch afterwards (`git diff tests/seeded_bugs`): a
# fuzzy match may have landed on the wrong line.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
shopt -s nullglob
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(tests/seeded_bugs/*.patch tests/seeded_bugs/open/*.patch)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for p in "${files[@]}"; do
  out=$(patch -p1 --dry-run < "$p" 2>&1) || { echo "BROKEN  $p"; continue; }
  grep -qiE "fuzz|offset" <<<"$out" || continue
  src=$(sed -n 's/^+++ b\///p' "$p" | head -n1)
  mkdir -p "$tmp/a/$(dirname "$src")" "$tmp/b/$(dirname "$src")"
  cp "$src" "$tmp/a/$src"; cp "$src" "$tmp/b/$src"
  (cd "$tmp/b" && patch -s -p1 < "$root/$p")
  { grep '^#' "$p"; (cd "$tmp" && diff -u "a/$src" "b/$src" | sed -e "1s|^--- a/.*|--- a/$src|" -e "2s|^+++ b/.*|+++ b/$src|") || true; } > "$p.new"
  mv "$p.new" "$p"
  echo "REANCHORED $p"
done
