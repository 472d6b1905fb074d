#!/usr/bin/env bash
# A sipreplyd `forward` proxy overloaded, then asked whether it came back (docs/performance.md,
# "One window for both proxies; the event queue under a burst of timers"): a stateless
# responder (sipreplyd, 486) on 127.0.0.2 pinned to CPU 1, the proxy in front of it pinned to
# CPU 0 with bench/load.sh's sipreplyd-proxy options, loadgen (CPU 1) offering INVITE -> 486
# calls at each of RATES for 5 s (the search of bench/load.sh's proxy row went this high),
# then PROBES times: 5 s of quiet, the proxy's CPU ticks over them, and 100 calls at 100
# calls/s (answered within 500 ms or lost). Last, SIGTERM: does the proxy exit within 5 s?
# A proxy that came back answers the probes and its CPU falls to nothing as its transactions
# end (Timer B, D: 32 s); one caught in its backlog answers none, at full CPU.
#
#   bench/proxy_overload.sh SIPREPLYD     (env RATES="64000 64000 48000 48000 40000 40000"
#                                          PROBES=12)
#
# Needs build-bench/loadgen and build-bench/sipreplyd (bench/load.sh builds them). Run it as
# the other benchmarks, under chrt -f 20: the proxy then has its CPU to itself, as in the row.
set -u
SRD=$(realpath "$1")
RATES=${RATES:-64000 64000 48000 48000 40000 40000} PROBES=${PROBES:-12}
cd "$(dirname "$0")/.."
LG=build-bench/loadgen
T=$(mktemp -d /tmp/sipreply-overload.XXXXXX)
PX= BE=
# SIGKILL: a proxy caught in its backlog does not read SIGTERM
cleanup() {
  for p in $PX $BE; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
LOG=$T
. bench/proxy_setup.sh
proxy_responder
proxy_sipreplyd "$SRD"
"$LG" --target "127.0.0.1:$PP" -s options -n 1 --timeout 200 >/dev/null
ticks() { cut -d')' -f2- "/proc/$PX/stat" | awk '{print $12 + $13}'; }
for r in $RATES; do
  echo "overload $(taskset -c 1 "$LG" --target "127.0.0.1:$PP" -s invite-486 -u 486 -r "$r" -d 5 \
    --timeout 500 --rx-on-tick --gso | jq -c '{rate, answered, lost}')"
done
for i in $(seq "$PROBES"); do
  c0=$(ticks)
  sleep 5
  c1=$(ticks)
  echo "t+$((i * 5))s: proxy CPU $((c1 - c0)) ticks of $(($(getconf CLK_TCK) * 5))," \
    "RSS $(awk '/VmRSS/ {print $2}' "/proc/$PX/status") kB, probe" \
    "$("$LG" --target "127.0.0.1:$PP" -s invite-486 -u 486 -r 100 -d 1 --timeout 500 |
      jq -c '{answered, lost}')"
done
kill -TERM "$PX"
for _ in $(seq 50); do kill -0 "$PX" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$PX" 2>/dev/null; then echo "SIGTERM: still running after 5 s"; else
  echo "SIGTERM: exited"
  PX=
fi
