#!/usr/bin/env bash
# Mutation testing with cargo-mutants (crates.io: `cargo install cargo-mutants --locked`) over
# the library's core: src/lang, src/analysis and src/targets/compose. Not part of CI (hours on a
# small machine); the results are summarised in docs/testing.md.
#
#   scripts/mutants.sh                        every mutant of the three folders
#   scripts/mutants.sh src/analysis/validate/profiles.rs ...   only these files (a part)
#
# It runs on a copy of HEAD's tree (MUTANTS_COPY, default ../<tree>-mutants) with --in-place, so the
# working tree and its target/ are never touched, and niced so other work on the machine goes
# first. Each mutant runs the library's unit tests and the test binaries that check outputs and
# diagnostics (specs, shipped_outputs, cli, vocabulary, pin_rewrite); the slow no_panic sweep and
# the tool-driven suites (registry, pre-commit, compose-lint) are left out. The report lands in
# MUTANTS_OUT (default target/mutants/<timestamp> of the working tree); the script prints the
# wall-clock time it took.
set -euo pipefail
cd "$(dirname "$0")/.."
src="$PWD"
copy="${MUTANTS_COPY:-$src/../$(basename "$src")-mutants}"
out="${MUTANTS_OUT:-$src/target/mutants/$(date -u +%Y%m%dT%H%M%SZ)}"
timeout="${MUTANTS_TIMEOUT:-240}"
command -v cargo-mutants >/dev/null || { echo "install it: cargo install cargo-mutants --locked" >&2; exit 2; }

mkdir -p "$copy" "$out"
# The committed tree at HEAD (no target/, no .git, no uncommitted edits).
find "$copy" -mindepth 1 -maxdepth 1 ! -name target -exec rm -rf {} +
git archive --format=tar HEAD | tar -xf - -C "$copy"

export PMOVESC_SCHEMAS_DIR="${PMOVESC_SCHEMAS_DIR:-$(cd "$src/.." && pwd)/shared/schemas}"
[ -f "$PMOVESC_SCHEMAS_DIR/compose-spec.json" ] || export PMOVESC_SCHEMAS_DIR=/work/shared/schemas
export PMOVESC_REQUIRE_ORACLES=1

files=()
if [ "$#" -gt 0 ]; then
  for f in "$@"; do files+=(-f "$f"); done
else
  files=(-f 'src/lang/**' -f 'src/analysis/**' -f 'src/targets/compose/**')
fi

start=$(date +%s)
cd "$copy"
set +e
nice -n 19 cargo mutants --in-place --no-shuffle \
  "${files[@]}" \
  --timeout "$timeout" --build-timeout 900 \
  --output "$out" \
  -- --lib --test specs --test shipped_outputs --test cli --test vocabulary --test pin_rewrite
status=$?
set -e
took=$(( $(date +%s) - start ))
echo "cargo mutants took ${took}s (exit $status); report: $out/mutants.out"
for kind in caught missed timeout unviable; do
  printf "%-9s %s\n" "$kind" "$(cat "$out/mutants.out/$kind.txt" 2>/dev/null | wc -l)"
done
exit 0
