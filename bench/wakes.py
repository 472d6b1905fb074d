#!/usr/bin/env python3
"""What woke a server and what each wake-up found (docs/performance.md, "Paced rows: the
hold that finds nothing"): reads `perf script` of a recording made by bench/wakes.sh
(tracepoints: the server's switches out, its recvmmsg/epoll_wait/nanosleep/send calls) and
classifies every wake-up by the call it slept in (ns: the hold's nanosleep, rw: a blocking
recvmmsg, ep: epoll_wait) and by what its reads found (empty, quiet: datagrams but nothing
sent, answered)."""
import re
import sys
from collections import Counter

counts = Counter()
wakes = 0
reads = sends = 0
slept_in = None
last_call = None
for line in sys.stdin:
    m = re.match(r"\s*[\d.]+:\s+(\S+):\s*(.*)", line)
    if not m:
        continue
    ev, args = m.group(1), m.group(2)
    if ev == "sched:sched_switch":
        if "prev_pid=" in args and args.split("prev_pid=")[1].split()[0] in sys.argv[1:]:
            if slept_in is not None:
                kind = "empty" if reads == 0 else ("quiet" if sends == 0 else "answered")
                counts[(slept_in, kind)] += 1
                wakes += 1
            slept_in, reads, sends = last_call, 0, 0
        continue
    if ev.endswith("enter_recvmmsg"):
        last_call = "rw" if "flags: 0x00010000" in args else "r"
    elif ev.endswith("exit_recvmmsg"):
        v = int(args.strip(), 16)
        if v < 1 << 63:
            reads += v
    elif "nanosleep" in ev:
        last_call = "ns"
    elif ev.endswith("enter_epoll_wait"):
        last_call = "ep"
    elif "enter_send" in ev:
        sends += 1
print(f"{wakes} wake-ups")
for (slept, kind), n in counts.most_common():
    print(f"  woken from {slept:2} found {kind:8} {n:7d}  {n / max(wakes, 1):5.2f}")
