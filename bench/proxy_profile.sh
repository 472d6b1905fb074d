#!/usr/bin/env bash
# The proxy row's daemon alone, for profiling (docs/performance.md, "Proxy row"): a stateless
# responder (sipreplyd, 486) on 127.0.0.2 pinned to CPU 1, a sipreplyd `forward` proxy in
# front of it pinned to CPU 0 with bench/load.sh's sipreplyd-proxy options, and loadgen
# (CPU 1) placing INVITE -> 486 calls through the proxy at RATE for SECS, then SETTLE seconds
# of quiet (Timer D); RUNS such runs against the same daemons. Per run: the proxy's CPU µs per
# call (/proc/PID/stat, clock ticks), its minor page faults and VmRSS.
#
#   bench/proxy_profile.sh SIPREPLYD MODE [RATE] [SECS] [SETTLE]     (env RUNS=1)
#
# MODE: none; perf (perf record -F 2000 -g of each run, the last kept in
# bench/out/proxy_profile/perf.data); stat (perf stat of memory and UDP system calls, page
# faults). Needs build-bench/loadgen and build-bench/sipreplyd (bench/load.sh builds them).
# For figures, run it as the other benchmarks: under flock and chrt -f 20.
set -u
SRD=$(realpath "$1")
MODE=$2 RATE=${3:-3300} SECS=${4:-5} SETTLE=${5:-34} RUNS=${RUNS:-1}
cd "$(dirname "$0")/.."
LG=build-bench/loadgen
OUT=bench/out/proxy_profile
mkdir -p "$OUT"
T=$(mktemp -d /tmp/sipreply-pprof.XXXXXX)
PX= BE= PF=
cleanup() {
  for p in $PF $PX $BE; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
cat >"$T/be.yaml" <<'Y'
rules:
  - name: busy
    match: {method: INVITE, user: "486"}
    stateless: 486
  - name: options
    match: {method: OPTIONS}
    stateless: 200
Y
taskset -c 1 build-bench/sipreplyd -q -l udp:127.0.0.2:0 --port-file "$T/be.ports" \
  -c "$T/be.yaml" >"$OUT/responder.log" 2>&1 &
BE=$!
for _ in $(seq 50); do [ -s "$T/be.ports" ] && break; sleep 0.1; done
BP=$(awk '$1 == "udp" {print $3}' "$T/be.ports")
cat >"$T/px.yaml" <<Y
rules:
  - name: proxy
    match: {method: INVITE}
    forward: "sip:{{user}}@127.0.0.2:$BP"
  - name: options
    match: {method: OPTIONS}
    stateless: 200
Y
taskset -c 0 "$SRD" -q -l udp:127.0.0.1:0 --port-file "$T/px.ports" -c "$T/px.yaml" \
  --max-transactions 8000000 --max-memory 8589934592 --reflection-budget 0 >"$OUT/proxy.log" 2>&1 &
PX=$!
for _ in $(seq 50); do [ -s "$T/px.ports" ] && break; sleep 0.1; done
PP=$(awk '$1 == "udp" {print $3}' "$T/px.ports")
"$LG" --target "127.0.0.1:$PP" -s options -n 1 --timeout 200 >/dev/null
HZ=$(getconf CLK_TCK)
st() {
  local f
  read -r -a f <<<"$(cut -d')' -f2- "/proc/$PX/stat")"
  echo "$((f[11] + f[12])) ${f[7]}"
}
for r in $(seq "$RUNS"); do
  read -r c0 m0 <<<"$(st)"
  PF=
  case $MODE in
  perf)
    perf record -F 2000 -g -p "$PX" -o "$OUT/perf.data" 2>/dev/null &
    PF=$!
    ;;
  stat)
    perf stat -e 'syscalls:sys_enter_mmap,syscalls:sys_enter_munmap,syscalls:sys_enter_madvise,syscalls:sys_enter_brk,syscalls:sys_enter_sendmmsg,syscalls:sys_enter_recvmmsg,syscalls:sys_enter_epoll_wait,page-faults,task-clock' \
      -p "$PX" -o "$OUT/stat.$r.txt" &
    PF=$!
    ;;
  esac
  sleep 0.2
  J=$(taskset -c 1 "$LG" --target "127.0.0.1:$PP" -s invite-486 -u 486 -r "$RATE" -d "$SECS" \
    --timeout 500 --rx-on-tick --gso)
  sleep "$SETTLE"
  read -r c1 m1 <<<"$(st)"
  if [ -n "$PF" ]; then
    kill -INT "$PF"
    wait "$PF"
    PF=
  fi
  n=$(jq .answered <<<"$J")
  echo "run $r: $(jq -c '{answered, lost, late, achieved_rate}' <<<"$J")" \
    "cpu_us_per_call $(((c1 - c0) * 1000000 / HZ / (n > 0 ? n : 1)))" \
    "minflt $((m1 - m0)) rss_kb $(awk '/VmRSS/ {print $2}' "/proc/$PX/status")"
  [ "$MODE" != stat ] || cat "$OUT/stat.$r.txt"
done
