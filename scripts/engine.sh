#!/usr/bin/env bash
# The Docker Engine the engine tests (tests/engine*.rs) and `pmovesc smoke` run against; CI
# (.ci/run) and developers start it the same way.
#
#   scripts/engine.sh [up]     install docker.io when no engine answers and none is installed,
#                              start dockerd in the background (log: target/dockerd.log), and
#                              wait until `docker info` answers (the default)
#   scripts/engine.sh install  apt-get install docker.io (Debian's Docker Engine 20.10)
#   scripts/engine.sh start    start dockerd in the background unless an engine answers
#   scripts/engine.sh wait     wait until `docker info` answers (PMOVESC_ENGINE_TIMEOUT, 60 s)
#   scripts/engine.sh host     raise the kernel's neighbour (ARP) table to what the engine tests'
#                              75 containers need (part of `up`; see below)
#   scripts/engine.sh status   exit 0 when an engine answers, 1 otherwise
#   scripts/engine.sh stop     stop the dockerd this script started (its pid file), nothing else
#
# Starting and installing need root (dockerd runs as root). An engine that already answers (a
# developer's own, or one DOCKER_HOST points at) is used as it is: nothing is installed or started.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p target
log="$PWD/target/dockerd.log"
# dockerd's own pid file (its default place); `stop` only signals the process it names, and only
# when that process is the dockerd this script started (recorded in target/dockerd.started).
pidfile=/var/run/docker.pid
started="$PWD/target/dockerd.started"
timeout="${PMOVESC_ENGINE_TIMEOUT:-60}"

answers() { docker info >/dev/null 2>&1; }

# The kernel's neighbour table is shared by every container's network namespace and holds
# net.ipv4.neigh.default.gc_thresh3 entries (1024 by default). The PMOVES hardened file puts 75
# containers on bridges of up to ~50 members each; when every container reaches every peer (the
# engine tests' reachability matrix) they need ~6,000 entries, and past the limit the kernel drops
# the packets of new neighbours ("neighbor table overflow" in dmesg). Raise it, as a host for
# that many containers needs; never lower it.
neigh_min=16384
host_tune() {
  local f=/proc/sys/net/ipv4/neigh/default/gc_thresh3
  [ -r "$f" ] || return 0
  local cur
  cur="$(cat "$f")"
  if [ "$cur" -ge "$neigh_min" ]; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "engine.sh: the kernel's neighbour table holds $cur entries; the engine tests need $neigh_min (run as root to raise net.ipv4.neigh.default.gc_thresh3)" >&2
    return 0
  fi
  echo "engine.sh: raising the kernel's neighbour table from $cur to $neigh_min entries (net.ipv4.neigh.default.gc_thresh1/2/3)" >&2
  sysctl -q -w net.ipv4.neigh.default.gc_thresh1=1024 \
    net.ipv4.neigh.default.gc_thresh2=$((neigh_min / 2)) \
    net.ipv4.neigh.default.gc_thresh3=$neigh_min
}

need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "engine.sh: $1 needs root (run it with sudo, or start your own engine and set DOCKER_HOST)" >&2
    exit 1
  fi
}

install() {
  if command -v dockerd >/dev/null && command -v docker >/dev/null; then
    return 0
  fi
  need_root "installing docker.io"
  echo "engine.sh: installing docker.io (Debian) ..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
}

start() {
  if answers; then
    return 0
  fi
  need_root "starting dockerd"
  command -v dockerd >/dev/null || { echo "engine.sh: dockerd is not installed (run: scripts/engine.sh install)" >&2; exit 1; }
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    # A dockerd is running but does not answer yet (still starting): wait for it.
    return 0
  fi
  echo "engine.sh: starting dockerd (log: $log)" >&2
  # setsid: the daemon outlives this shell and the CI step; its output goes to the log only.
  setsid dockerd --pidfile "$pidfile" >>"$log" 2>&1 </dev/null &
  echo $! >"$started"
}

wait_engine() {
  local i=0
  while ! answers; do
    i=$((i + 1))
    if [ "$i" -gt "$timeout" ]; then
      echo "engine.sh: no engine answered \`docker info\` within ${timeout}s; last lines of $log:" >&2
      tail -n 30 "$log" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 1
  done
  docker version --format 'engine.sh: Docker Engine {{.Server.Version}} (API {{.Server.APIVersion}}) answers' >&2
}

stop() {
  if [ ! -f "$started" ]; then
    echo "engine.sh: this script started no dockerd; nothing to stop" >&2
    return 0
  fi
  local pid
  pid="$(cat "$started")"
  if kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    kill -TERM "$pid"
    local i=0
    while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 30 ]; do
      sleep 1
      i=$((i + 1))
    done
  fi
  rm -f "$started"
}

case "${1:-up}" in
  up)
    answers || { install; start; }
    wait_engine
    host_tune
    ;;
  host) host_tune ;;
  install) install ;;
  start) start ;;
  wait) wait_engine ;;
  status) answers ;;
  stop) stop ;;
  *)
    echo "usage: scripts/engine.sh [up|install|start|wait|host|status|stop]" >&2
    exit 2
    ;;
esac
