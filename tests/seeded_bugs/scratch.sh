# Sourced by run.sh and hang_audit.sh: brings the scratch copy "$2" of the
# repository "$1" up to date and enters it. Only the tracked and untracked
# (not ignored) files that differ are copied; a copied file gets a fresh
# mtime, so cargo rebuilds exactly what changed.
sync_scratch() {
  local root=$1 scratch=$2
  mkdir -p "$scratch"
  (cd "$root" && git ls-files -co --exclude-standard -z) |
    while IFS= read -r -d '' f; do
      [ -f "$root/$f" ] || continue
      if ! cmp -s "$root/$f" "$scratch/$f"; then
        mkdir -p "$scratch/$(dirname "$f")" && cp "$root/$f" "$scratch/$f"
      fi
    done
  [ -f "$scratch/Cargo.toml" ] || { echo "could not copy the tree to $scratch"; exit 2; }
  cd "$scratch" || exit 1
}
