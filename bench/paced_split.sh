#!/usr/bin/env bash
# Where a paced call's CPU goes, server by server (docs/performance.md, "Paced traffic"):
# sipreplyd at its defaults, sipreplyd --udp-gso and Kamailio (bench/load.sh's paced row's
# servers, pinned to SERVER_CPU and niced as there), each driven in turn by SIPp at RATE calls/s
# for SECONDS through bench/syscalls.sh, ROUNDS rounds: with SPLIT=1 (the default here) its CPU
# per call split into user space and kernel by perf's cpu-clock samples, with SPLIT=0 its
# system calls and context switches per call. Run it under the benchmark lock.
#
#   bench/paced_split.sh [RATE [SECONDS [ROUNDS]]]     # 5000 3 3
#
# env: SIPREPLYD=PATH (build-bench/sipreplyd) SIPREPLYD_GSO=PATH (the --udp-gso server's
#      binary, SIPREPLYD's by default) SERVER_CPU=0 LOADGEN_CPU=1 NICE=-10 SPLIT=1
#      SERVERS="sipreplyd sipreplyd-gso kamailio"
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-5000} secs=${2:-3} rounds=${3:-3}
SRD=${SIPREPLYD:-build-bench/sipreplyd}
SERVER_CPU=${SERVER_CPU:-0}
NICE=${NICE:--10}
[ "$(id -u)" -eq 0 ] || NICE=0
export SPLIT=${SPLIT:-1} LOADGEN_CPU=${LOADGEN_CPU:-1}
SERVERS=${SERVERS:-sipreplyd sipreplyd-gso kamailio}
tmp=$(mktemp -d /tmp/sipreply-split.XXXXXX)
declare -A PID PORT
cleanup() {
  for s in "${!PID[@]}"; do kill "${PID[$s]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
pin=(nice -n "$NICE" taskset -c "$SERVER_CPU")
for s in $SERVERS; do
  case $s in
  sipreplyd | sipreplyd-gso)
    extra=()
    bin=$SRD
    [ "$s" = sipreplyd-gso ] && extra=(--udp-gso) && bin=${SIPREPLYD_GSO:-$SRD}
    "${pin[@]}" "$bin" -q -l udp:127.0.0.1:0 --port-file "$tmp/$s.ports" -c bench/conf/stateless.yaml \
      "${extra[@]}" >"$tmp/$s.log" 2>&1 &
    PID[$s]=$!
    for _ in $(seq 100); do [ -s "$tmp/$s.ports" ] && break; sleep 0.1; done
    PORT[$s]=$(awk '$1 == "udp" { print $3; exit }' "$tmp/$s.ports")
    ;;
  kamailio)
    # a port nobody had bound when asked (Kamailio cannot name the port it bound)
    for _ in $(seq 50); do
      p=$((20000 + RANDOM % 40000))
      ss -Hlun "sport = :$p" | grep -q . || break
    done
    mkdir -p "$tmp/kam"
    "${pin[@]}" kamailio -f bench/kamailio/kamailio.cfg -DD -E -m 1024 -l "udp:127.0.0.1:$p" \
      -Y "$tmp/kam" -P "$tmp/kam/kamailio.pid" >"$tmp/kam.log" 2>&1 &
    PID[$s]=$!
    PORT[$s]=$p
    sleep 2
    ;;
  *) echo "paced_split: unknown server $s" >&2; exit 2 ;;
  esac
done
# every process of server $1 (Kamailio's children too)
pids_of() { { echo "${PID[$1]}"; pgrep -P "${PID[$1]}" || true; } | paste -sd,; }
for r in $(seq "$rounds"); do
  for s in $SERVERS; do
    echo "== round $r, $s (port ${PORT[$s]}, pids $(pids_of "$s")), $(date -u +%H:%M:%S) UTC"
    bash bench/syscalls.sh "$(pids_of "$s")" "${PORT[$s]}" "$rate" "$secs" sipp || true
  done
done
