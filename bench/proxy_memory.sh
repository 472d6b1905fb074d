#!/usr/bin/env bash
# What a proxied call's transactions hold (docs/performance.md, "The transaction layer's
# hashes and footprint"): sipreplyd_transaction_bytes (sr_stack_memory, what --max-memory
# counts) and the transaction count of a sipreplyd `forward` proxy configured as
# bench/proxy_profile.sh's, in front of a stateless 486 responder: CALLS calls at RATE, read
# at the end of the calls (server transactions in Confirmed for Timer I, client ones in
# Completed for Timer D) and 7 s later (the client ones alone), with the proxy's VmRSS.
# Counts bytes, not time: it needs no benchmark lock at the default rate.
#
#   bench/proxy_memory.sh SIPREPLYD [CALLS] [RATE]      (defaults 2000, 400)
#
# Needs build-bench/loadgen and build-bench/sipreplyd (the responder), curl and jq.
set -u
SRD=$1 CALLS=${2:-2000} RATE=${3:-400}
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/sipreply-pmem.XXXXXX)
PX= BE=
cleanup() {
  for p in $PX $BE; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
printf 'rules:\n  - name: busy\n    match: {method: INVITE, user: "486"}\n    stateless: 486\n' >"$T/be.yaml"
build-bench/sipreplyd -q -l udp:127.0.0.2:0 --port-file "$T/be.ports" -c "$T/be.yaml" >/dev/null 2>&1 &
BE=$!
for _ in $(seq 50); do [ -s "$T/be.ports" ] && break; sleep 0.1; done
BP=$(awk '$1 == "udp" {print $3}' "$T/be.ports")
printf 'rules:\n  - name: proxy\n    match: {method: INVITE}\n    forward: "sip:{{user}}@127.0.0.2:%s"\n' "$BP" >"$T/px.yaml"
"$SRD" -q -l udp:127.0.0.1:0 --metrics 127.0.0.1:0 --port-file "$T/px.ports" -c "$T/px.yaml" \
  --max-transactions 8000000 --max-memory 8589934592 --reflection-budget 0 >/dev/null 2>&1 &
PX=$!
for _ in $(seq 50); do grep -q metrics "$T/px.ports" 2>/dev/null && break; sleep 0.1; done
PP=$(awk '$1 == "udp" {print $3}' "$T/px.ports")
MP=$(awk '$1 == "metrics" {print $3}' "$T/px.ports")
show() {
  echo "$1: $(curl -s "http://127.0.0.1:$MP/metrics" |
    awk '/^sipreplyd_transactions |^sipreplyd_transaction_bytes / {printf "%s %s, ", $1, $2}')rss_kb $(awk '/VmRSS/ {print $2}' "/proc/$PX/status")"
}
show idle
build-bench/loadgen --target "127.0.0.1:$PP" -s invite-486 -u 486 -r "$RATE" -n "$CALLS" --timeout 2000 |
  jq -c '{answered, lost}'
show "after the calls"
sleep 7
show "7 s later"
