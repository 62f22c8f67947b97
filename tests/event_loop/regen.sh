#!/bin/sh
# Regenerates tests/event_loop/<name>.expected from <name>.js: the order in
# which Node printed, one line per console.log. tests/event_loop.rs runs the
# same puzzles on this crate and compares. Run after adding a puzzle:
#   sh tests/event_loop/regen.sh
set -eu
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "regen.sh: node is not on PATH" >&2; exit 1; }
for js in *.js; do
  node "$js" > "${js%.js}.expected"
  echo "${js%.js}: $(tr '\n' ' ' < "${js%.js}.expected")"
done
