#!/usr/bin/env bash
# Proves that each mutation that once survived the whole suite (issue 19) is now caught by a
# named test: applies one mutation at a time to a copy of the tree, runs the test meant to catch
# it, expects it to FAIL, and restores the copy. The working tree is never touched.
#
#   scripts/survivors.sh [COPY_DIR]      (default: ../$(basename "$PWD")-survivors)
#   scripts/survivors.sh --here          in this tree, with its warm target/ (each file is
#                                        restored after its run, and on interrupt)
#
# Runs niced; reuses COPY_DIR/target between runs. Exit status 1 if any mutation survives.
set -euo pipefail
cd "$(dirname "$0")/.."
src="$PWD"
if [ "${1:-}" = "--here" ]; then
  copy="$src"
else
  copy="${1:-$src/../$(basename "$src")-survivors}"
  mkdir -p "$copy"
  # Files deleted since the last run must not linger in the copy (its target/ is kept).
  find "$copy" -mindepth 1 -maxdepth 1 ! -name target -exec rm -rf {} +
  # The tracked files as they are in the working tree (no target/, no .git).
  (cd "$src" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) \
    | tar -xf - -C "$copy"
fi
cd "$copy"
# Put back any file left mutated by an interrupted run.
restore() { for f in $(find src -name '*.rs.orig'); do mv "$f" "${f%.orig}"; done; }
restore
trap restore EXIT
export PMOVESC_SCHEMAS_DIR="${PMOVESC_SCHEMAS_DIR:-$src/../shared/schemas}"
[ -d "$PMOVESC_SCHEMAS_DIR" ] || export PMOVESC_SCHEMAS_DIR="$src/../../shared/schemas"

survived=0
# name | file | python expression (old, new) | test command
mutate() {
  local name="$1" file="$2" old="$3" new="$4"
  shift 4
  cp "$file" "$file.orig"
  python3 - "$file" "$old" "$new" <<'EOF'
import sys
path, old, new = sys.argv[1:]
text = open(path).read()
if old not in text:
    sys.exit(f"mutation anchor not found in {path}: {old!r}")
open(path, "w").write(text.replace(old, new, 1))
EOF
  echo "== $name: $*"
  if nice -n 19 "$@" >"target/survivor-$name.log" 2>&1; then
    echo "   SURVIVED (the test passed with the mutation; see target/survivor-$name.log)"
    survived=1
  elif grep -q "FAILED" "target/survivor-$name.log"; then
    echo "   caught"
  else
    echo "   NOT A TEST FAILURE (the mutant did not build? see target/survivor-$name.log)"
    survived=1
  fi
  mv "$file.orig" "$file"
}

mkdir -p target
nice -n 19 cargo build --tests -q

mutate check-ignores-trailing-whitespace src/output/check.rs \
  'Some(have) if have != want =>' \
  'Some(have) if have.lines().map(str::trim_end).ne(want.lines().map(str::trim_end)) =>' \
  cargo test -q --test cli check_fails_on_drift_that_is_only_whitespace

mutate ipv6-wildcard-not-wild src/analysis/validate/profiles.rs \
  'a == "0.0.0.0" || a == "::"' 'a == "0.0.0.0"' \
  cargo test -q --test specs ports/invalid-ipv6-wildcard-clashes

mutate columns-in-bytes src/lang/source.rs \
  'let column = before[line_start..].chars().count() + 1;' \
  'let column = before[line_start..].len() + 1;' \
  cargo test -q --test specs values/invalid-column-counts-characters

mutate pin-rewrite-tabs-to-spaces src/registry/mod.rs \
  'out.push_str(&text[at..e.start]);' \
  'out.push_str(&text[at..e.start].replace('"'"'\t'"'"', "    "));' \
  cargo test -q --test pin_rewrite

mutate gpu-in-every-profile src/targets/compose/lower/deploy.rs \
  'if profile.gpu
        && let Some(gpu) = &body.gpu' \
  'if let Some(gpu) = &body.gpu' \
  cargo test -q --test specs gpu/valid-reservations-only-in-gpu-profiles

mutate yaml-1-1-quoting-off src/targets/mod.rs \
  'options.yaml_12 = false;' 'options.yaml_12 = true;' \
  cargo test -q --test shipped_outputs yaml_1_1_ambiguous_strings_are_quoted_without_any_oracle

mutate panic-on-port-70000 src/lang/decode/value.rs \
  'let msg = format!("{i} is outside 1..65535");' \
  'assert!(*i != 70000, "planted"); let msg = format!("{i} is outside 1..65535");' \
  cargo test -q --test no_panic every_value_takes_every_hostile_value

exit "$survived"
