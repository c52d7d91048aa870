#!/usr/bin/env bash
# Regenerates the PMOVES parts of docs/hardening.md from stacks/: the graph of the hardened
# profile (docs/hardening/pmoves-hardened.dot, rendered to .svg with Graphviz) and the list of
# accepted exceptions between the `exceptions` markers of docs/hardening.md.
#
#   scripts/hardening-docs.sh          rewrite them
#   scripts/hardening-docs.sh --check  exit 1 when any is stale (CI runs this)
#
# PMOVESC names the binary (default: `cargo run --release --quiet --`). Needs `dot` (Debian
# graphviz) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
[ "${1:-}" = "--check" ] && check=1
command -v dot >/dev/null || { echo "FATAL: dot (Debian graphviz) is not installed" >&2; exit 2; }
read -r -a pmovesc <<<"${PMOVESC:-cargo run --release --quiet --}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"${pmovesc[@]}" graph stacks --profile hardened >"$tmp/pmoves-hardened.dot"
dot -Tsvg "$tmp/pmoves-hardened.dot" >"$tmp/pmoves-hardened.svg"
"${pmovesc[@]}" audit stacks --profile hardened --format json --deny none 2>/dev/null >"$tmp/audit.json" || true

python3 - "$tmp/audit.json" docs/hardening.md >"$tmp/hardening.md" <<'PY'
import json, sys
audit = json.load(open(sys.argv[1]))
page = open(sys.argv[2]).read()
begin, end = "<!-- exceptions:begin -->\n", "<!-- exceptions:end -->"
rows = ["| rule | level | service | what | reason | written at |", "|---|---|---|---|---|---|"]
order = {"high": 0, "medium": 1, "low": 2, "info": 3}
accepted = [f for f in audit["findings"] if f["accepted"]]
accepted.sort(key=lambda f: (order[f["level"]], f["rule"], f["service"], f["location"]["line"]))
def cell(s):
    return s.replace("|", "\\|").replace("\n", " ")
for f in accepted:
    r = f["accepted"]
    at = f'{r["location"]["file"]}:{r["location"]["line"]}'
    rows.append(f'| {f["rule"]} {f["name"]} | {f["level"]} | {f["service"]} | {cell(f["message"])} | {cell(r["reason"])} | `{at}` |')
counts = {}
for f in accepted:
    counts[f["level"]] = counts.get(f["level"], 0) + 1
summary = ", ".join(f"{counts[l]} {l}" for l in ["high", "medium", "low", "info"] if l in counts)
block = (f"{len(accepted)} accepted findings in the hardened profile ({summary}), generated from "
         "`pmovesc audit stacks --profile hardened --format json`:\n\n" + "\n".join(rows) + "\n")
i, j = page.index(begin) + len(begin), page.index(end)
sys.stdout.write(page[:i] + block + page[j:])
PY

stale=0
for f in docs/hardening/pmoves-hardened.dot docs/hardening/pmoves-hardened.svg docs/hardening.md; do
  new="$tmp/$(basename "$f")"
  if [ "$check" = 1 ]; then
    if ! cmp -s "$new" "$f"; then
      echo "$f is stale: run scripts/hardening-docs.sh" >&2
      stale=1
    fi
  else
    cp "$new" "$f"
  fi
done
exit "$stale"
