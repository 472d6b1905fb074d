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
# SIPREPLYD: the proxy's binary, or `kamailio` for bench/load.sh's kamailio-proxy (tm
# t_relay(), its processes counted together) in front of the same responder.
# MODE: none; perf (perf record -F 2000 -g of each run, the last kept in
# bench/out/proxy_profile/perf.data); stat (perf stat of every system call, the UDP ones and
# memory ones by name, context switches (the proxy's wake-ups), page faults, user and
# system time). Needs build-bench/loadgen and build-bench/sipreplyd (bench/load.sh builds them).
# For figures, run it as the other benchmarks: under flock and chrt -f 20.
set -u
SRD=$1
[ "$SRD" = kamailio ] || SRD=$(realpath "$1")
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
LOG=$OUT
. bench/proxy_setup.sh
proxy_responder
if [ "$SRD" = kamailio ]; then
  # as bench/load.sh starts kamailio-proxy (its port given: Kamailio has no port file)
  PP=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$T/kam"
  taskset -c 0 kamailio -f bench/kamailio/kamailio.cfg -DD -E -m 1024 -l "udp:127.0.0.1:$PP" \
    -Y "$T/kam" -P "$T/kam/kamailio.pid" -A "PROXY=\"127.0.0.2:$BP\"" >"$OUT/proxy.log" 2>&1 &
  PX=$!
  for _ in $(seq 50); do
    "$LG" --target "127.0.0.1:$PP" -s options -n 1 --timeout 100 2>/dev/null |
      jq -e '.answered == 1' >/dev/null && break
    sleep 0.1
  done
else
  proxy_sipreplyd "$SRD"
fi
"$LG" --target "127.0.0.1:$PP" -s options -n 1 --timeout 200 >/dev/null
# the proxy's processes (Kamailio forks its workers)
PIDS=$(echo "$PX" $(ps -o pid= --ppid "$PX") | tr -s ' ' ',')
HZ=$(getconf CLK_TCK)
st() {
  local p f u=0 k=0 m=0
  for p in ${PIDS//,/ }; do
    read -r -a f <<<"$(cut -d')' -f2- "/proc/$p/stat")"
    u=$((u + f[11])) k=$((k + f[12])) m=$((m + f[7]))
  done
  echo "$((u + k)) $m $u $k"
}
for r in $(seq "$RUNS"); do
  read -r c0 m0 u0 k0 <<<"$(st)"
  PF=
  case $MODE in
  perf)
    perf record -F 2000 -g -p "$PIDS" -o "$OUT/perf.data" 2>/dev/null &
    PF=$!
    ;;
  stat)
    ev=raw_syscalls:sys_enter,context-switches,page-faults,task-clock
    for c in sendmmsg sendto sendmsg recvmmsg recvfrom recvmsg epoll_wait clock_nanosleep nanosleep \
      futex mmap munmap madvise brk; do ev+=,syscalls:sys_enter_$c; done
    perf stat -e "$ev" -p "$PIDS" -o "$OUT/stat.$r.txt" &
    PF=$!
    ;;
  esac
  sleep 0.2
  J=$(taskset -c 1 "$LG" --target "127.0.0.1:$PP" -s invite-486 -u 486 -r "$RATE" -d "$SECS" \
    --timeout 500 --rx-on-tick --gso)
  sleep "$SETTLE"
  read -r c1 m1 u1 k1 <<<"$(st)"
  if [ -n "$PF" ]; then
    kill -INT "$PF"
    wait "$PF"
    PF=
  fi
  n=$(jq .answered <<<"$J")
  echo "run $r: $(jq -c '{answered, lost, late, achieved_rate}' <<<"$J")" \
    "cpu_us_per_call $(((c1 - c0) * 1000000 / HZ / (n > 0 ? n : 1)))" \
    "user $(((u1 - u0) * 1000000 / HZ / (n > 0 ? n : 1))) sys $(((k1 - k0) * 1000000 / HZ / (n > 0 ? n : 1)))" \
    "minflt $((m1 - m0)) rss_kb $(awk '/VmRSS/ {print $2}' "/proc/$PX/status")"
  [ "$MODE" != stat ] || [ "$n" -le 0 ] ||
    awk -v n="$n" '$1 ~ /^[0-9,.]+$/ && $2 != "msec" {gsub(",", "", $1); printf "  %-40s %12d  %.2f per call\n", $2, $1, $1 / n}' "$OUT/stat.$r.txt"
done
