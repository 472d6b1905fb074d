#!/usr/bin/env bash
# Wake-ups of a running server and what each found, while something else sends it calls
# (docs/performance.md, "Paced rows: the hold that finds nothing"):
#
#   bench/wakes.sh PID SECONDS     # then run the generator within those seconds
#
# Records the server's context switches and its recvmmsg, epoll_wait, nanosleep and send
# calls (perf tracepoints: root or kernel.perf_event_paranoid <= 1) and prints, by bench/wakes.py,
# how many wake-ups there were, what each slept in and whether its reads found nothing,
# datagrams it did not answer (ACKs), or requests it answered.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { sed -n 2,10p "$0" >&2; exit 2; }
pid=$1 secs=$2
tmp=$(mktemp -d /tmp/sipreply-wakes.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
ev=sched:sched_switch
for s in recvmmsg epoll_wait; do ev+=,syscalls:sys_enter_$s,syscalls:sys_exit_$s; done
ev+=,syscalls:sys_enter_nanosleep,syscalls:sys_enter_clock_nanosleep
ev+=,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmmsg
tids=$(ls /proc/"$pid"/task | paste -sd,)
perf record -q -o "$tmp/perf.data" -e "$ev" -p "$pid" -- sleep "$secs" 2>/dev/null
perf script -i "$tmp/perf.data" -F time,event,trace 2>/dev/null | python3 bench/wakes.py ${tids//,/ }
