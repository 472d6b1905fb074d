#!/usr/bin/env bash
# A bounded sanity run of the load benchmark's pieces (no timing asserted): bench/loadgen
# against sipreplyd on 127.0.0.1, stateless 486 and stateful 180 + 486, 200 calls each; every
# call must be answered with the expected code, every INVITE ACKed, no final retransmitted
# after its ACK (the stateful 486 is absorbed by the transaction), and the counters must say so.
# usage: smoke.sh SIPREPLYD LOADGEN
set -euo pipefail
SRD=$1
LG=$2
command -v jq >/dev/null || { echo "smoke: jq missing (scripts/deps.sh test)"; exit 1; }
TMP=$(mktemp -d /tmp/sipreply-smoke.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

CONF=$(cd "$(dirname "$0")/../../bench/conf" && pwd)
cp "$CONF/stateless.yaml" "$CONF/stateful.yaml" "$TMP/"

fails=0
# run MODE SCENARIO EXPECTED-JQ [CALLS RATE [SIPREPLYD-OPTION...]]: start sipreplyd on a free
# port, place CALLS (200) calls at RATE (1000) per second
run() {
  local mode=$1 scen=$2 expect=$3 calls=${4:-200} rate=${5:-1000} port j
  shift 3; shift $(($# < 2 ? $# : 2))
  : >"$TMP/$mode.log"
  "$SRD" -q -l udp:127.0.0.1:0 -c "$TMP/$mode.yaml" "$@" 2>"$TMP/$mode.log" &
  pid=$!
  port=
  for _ in $(seq 200); do
    port=$(sed -n 's/.*listening on udp:127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/$mode.log" |
      head -1 || true)
    [ -n "$port" ] && break
    sleep 0.05
  done
  if [ -z "$port" ]; then
    echo "smoke: $mode: sipreplyd did not say where it listens"; cat "$TMP/$mode.log"
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
    fails=$((fails + 1)); return
  fi
  if [ -n "${CAPTURE:-}" ]; then
    dumpcap -q -i lo -f "udp src port $port" -w "$CAPTURE" 2>/dev/null &
    cap=$!
    sleep 1
  fi
  j=$(timeout 60 "$LG" --target "127.0.0.1:$port" -s "$scen" -n "$calls" -r "$rate" \
    --timeout 5000 --linger 1500)
  if [ -n "${CAPTURE:-}" ]; then
    sleep 0.5
    kill "$cap" 2>/dev/null; wait "$cap" 2>/dev/null || true
  fi
  if jq -e "$expect" >/dev/null <<<"$j"; then
    echo "smoke: $mode $scen: ok"
  else
    echo "smoke: $mode $scen: FAILED: $j"
    fails=$((fails + 1))
  fi
  kill "$pid"
  wait "$pid" || { echo "smoke: $mode: sipreplyd did not exit 0 on SIGTERM"; fails=$((fails + 1)); }
  pid=
}
common='.sent == 200 and .answered == 200 and .lost == 0 and .late == 0 and .unexpected == 0
        and .bad == 0 and .stray == 0 and .send_errors == 0 and .missing_prov == 0'
run stateless invite-486 "$common and .finals == {\"486\": 200} and .acks == 200
                          and .final_retrans == 0 and .prov_180 == 0 and .prov_100 == 0"
run stateful invite-180-486 "$common and .finals == {\"486\": 200} and .acks == 200
                             and .final_retrans == 0 and .prov_180 == 200 and .missing_prov == 0"
run stateful options "$common and .finals == {\"200\": 200} and .acks == 0"

# --udp-gso: 4000 calls at 40,000/s come in bursts of 40 per millisecond, so the 486s leave in
# runs of equal-size datagrams merged into UDP GSO sends; the generator must still see each
# one as its own datagram (every call answered once, nothing malformed). A capture on lo shows
# the merged sends as datagrams larger than any one response: the proof GSO was used.
gso='.sent == 4000 and .answered == 4000 and .lost == 0 and .late == 0 and .unexpected == 0
     and .bad == 0 and .stray == 0 and .send_errors == 0 and .finals == {"486": 4000}
     and .acks == 4000 and .final_retrans == 0'
if command -v dumpcap >/dev/null && command -v tshark >/dev/null && [ "$(id -u)" -eq 0 ]; then
  CAPTURE=$TMP/gso.pcapng run stateless invite-486 "$gso" 4000 40000 --udp-gso
  big=$(tshark -r "$TMP/gso.pcapng" -T fields -e udp.length 2>/dev/null | awk '$1 > 1500' | wc -l)
  if [ "$big" -gt 0 ]; then
    echo "smoke: --udp-gso: $big merged sends seen on lo"
  else
    echo "smoke: --udp-gso: FAILED: no datagram larger than one response was sent"
    fails=$((fails + 1))
  fi
else
  echo "smoke: --udp-gso capture skipped (dumpcap missing or not root); correctness only"
  run stateless invite-486 "$gso" 4000 40000 --udp-gso
fi
[ $fails -eq 0 ] && echo "smoke: passed" || { echo "smoke: $fails failed"; exit 1; }
