#!/usr/bin/env bash
# System calls, context switches and CPU per call of a running server under paced calls
# (docs/performance.md, "Paced traffic"): perf stat's syscall tracepoints count exactly, where
# the CPU time of a shared machine does not.
#
#   bench/syscalls.sh PIDS PORT RATE SECONDS [sipp|loadgen]
#
# PIDS: the server's processes, comma-separated (Kamailio: its children, `pgrep -P PID | paste
# -sd,`); PORT: its UDP port on 127.0.0.1; calls INVITE → 486, ACK at RATE per second for
# SECONDS, one by one: SIPp (bench/sipp/invite-486.xml, as bench/load.sh's paced row) or
# loadgen with one call per tick (--tick 1e6/RATE). The generator runs on LOADGEN_CPU (1).
# Prints the calls completed, the server's CPU µs per call (/proc/PID/schedstat, all PIDS),
# then each counter in total and per call (net:net_dev_xmit: the packets its sends put on the
# device, a GSO send of several datagrams one). Needs perf with tracepoints (root or
# kernel.perf_event_paranoid ≤ 1), and build-bench/loadgen for the loadgen generator.
# EXTRA_SYSCALLS="clock_nanosleep ...": more system calls to count.
# SPLIT=1: instead of the counters (their tracepoints cost CPU in the kernel), sample the
# server's CPU with `perf record -e cpu-clock -F SPLIT_HZ` (10000) and split its CPU per call
# into user space and kernel by where the samples fell (the kernel's own symbols or a
# program's); the ten kernel symbols with most samples follow.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 4 ] || { sed -n 2,20p "$0" >&2; exit 2; }
pids=$1 port=$2 rate=$3 secs=$4 gen=${5:-sipp}
LOADGEN_CPU=${LOADGEN_CPU:-1}
ev=raw_syscalls:sys_enter
for s in epoll_wait recvmmsg recvfrom sendmmsg sendto ${EXTRA_SYSCALLS:-}; do ev+=,syscalls:sys_enter_$s; done
ev+=,net:net_dev_xmit,context-switches,task-clock
tmp=$(mktemp -d /tmp/sipreply-syscalls.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

run_ns() {
  local sum=0 p a b c
  for p in ${pids//,/ }; do
    read -r a b c <"/proc/$p/schedstat" && sum=$((sum + a))
  done
  echo "$sum"
}

if [ "${SPLIT:-0}" = 1 ]; then
  perf record -q -e cpu-clock -F "${SPLIT_HZ:-10000}" -p "$pids" -o "$tmp/rec" 2>/dev/null &
else
  perf stat -x, -e "$ev" -p "$pids" -o "$tmp/perf" &
fi
perf_pid=$!
sleep 0.3
r0=$(run_ns)
if [ "$gen" = sipp ]; then
  taskset -c "$LOADGEN_CPU" sipp "127.0.0.1:$port" -sf bench/sipp/invite-486.xml -i 127.0.0.1 \
    -r "$rate" -rp 1000 -m $((rate * secs)) -l $((rate * 4)) -nostdin -trace_stat \
    -stf "$tmp/stat.csv" -fd 3600 -timeout $((secs * 4 + 10))s >"$tmp/sipp.log" 2>&1 || true
  calls=$(awk -F';' 'NR == 1 {for (i = 1; i <= NF; i++) h[$i] = i}
    END {print $h["SuccessfulCall(C)"] + 0}' "$tmp/stat.csv")
else
  calls=$(build-bench/loadgen --target "127.0.0.1:$port" -s invite-486 -r "$rate" -d "$secs" \
    --tick $((1000000 / rate)) --cpu "$LOADGEN_CPU" | jq .answered)
fi
r1=$(run_ns)
sleep 0.3
kill -INT "$perf_pid"
wait "$perf_pid" || true
[ "${calls:-0}" -gt 0 ] || { echo "syscalls: no call completed" >&2; exit 1; }
printf 'calls %d, server CPU %.2f us per call (schedstat), load %s\n' "$calls" \
  "$(awk -v n=$((r1 - r0)) -v c="$calls" 'BEGIN {print n / 1000 / c}')" \
  "$(cut -d' ' -f1 /proc/loadavg)"
if [ "${SPLIT:-0}" = 1 ]; then
  # samples by privilege level: "k" (the kernel) or "." (user space)
  perf report -i "$tmp/rec" --stdio --sort dso 2>/dev/null |
    awk -v us="$(awk -v n=$((r1 - r0)) -v c="$calls" 'BEGIN {print n / 1000 / c}')" '
      /^# Samples: / {n = $3}
      /^ *[0-9.]+%/ {p = $1 + 0; if ($2 ~ /^\[kernel/ || $2 ~ /^\[guest/) k += p; else u += p}
      END {printf "samples %s: user %.1f%%, kernel %.1f%%: user %.2f us, kernel %.2f us per call\n",
        n, u, k, us * u / (u + k), us * k / (u + k)}'
  perf report -i "$tmp/rec" --stdio --sort sym 2>/dev/null | grep '\[k\]' | head -10
else
  awk -F, -v c="$calls" '$3 != "" && $1 ~ /^[0-9.]+$/ {printf "%-36s %12s %8.2f per call\n", $3, $1, $1 / c}' \
    "$tmp/perf"
fi
