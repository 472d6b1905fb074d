#!/usr/bin/env bash
# sipreply: instructions per call inside sipreplyd (docs/performance.md, "Instructions per
# call"). `make bench-instr` calls it after `scripts/deps.sh bench`.
#
# For each mode, sipreplyd runs under `valgrind --tool=callgrind` (port 0, --port-file) and the
# load generator places calls at RATE per second; callgrind's total is read once after
# CALLS_LO calls and once, in a second daemon, after CALLS_HI calls. The difference divided by
# CALLS_HI - CALLS_LO is the cost of one call with start-up, shutdown and warm-up taken out.
# Stateful calls are followed by SETTLE_MS of quiet before SIGTERM so the timers that end the
# transactions (I, K, the ACK's) are paid for.
#
#   stateless  INVITE -> 486 (a stateless rule), ACK absorbed
#   stateful   INVITE -> 180 -> 486 in a transaction, ACK
#   proxy      INVITE forwarded (a `forward` rule, one target) to a second sipreplyd (not
#              under callgrind) answering 486 from a stateless rule; the 486 ACKed
#              downstream and forwarded up, the caller's ACK absorbed: the proxied call of
#              bench/load.sh's proxy row. It settles PROXY_SETTLE_MS (34 s: the client
#              transaction's Timer D, 32 s) so that every transaction ends inside the count.
#
# env: RATE=1000 CALLS_LO=1000 CALLS_HI=5000 SETTLE_MS=6000 PROXY_SETTLE_MS=34000
#      BUILD=build-bench MODES="stateless stateful proxy"
#      SIPREPLYD=PATH (measure this sipreplyd binary, such as another commit's build, instead
#      of the one built here; the responder of the proxy mode stays this tree's)
#      NICE=-10 (as root: the daemons run niced, so that other work on a shared machine
#      delays them less) TRIES=3 (a run is clean when every call was answered with no
#      retransmitted final and no 100 Trying, which a daemon late by 200 ms sends: work a
#      call does not do on time; an unclean run is done again, at most TRIES times)
# Prints a Markdown table to stdout; raw callgrind files in bench/out/instr/.
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-1000}
CALLS_LO=${CALLS_LO:-1000}
CALLS_HI=${CALLS_HI:-5000}
SETTLE_MS=${SETTLE_MS:-6000}
BUILD=${BUILD:-build-bench}
PROXY_SETTLE_MS=${PROXY_SETTLE_MS:-34000}
MODES=${MODES:-stateless stateful proxy}
NICE=${NICE:--10}
TRIES=${TRIES:-3}
[ "$(id -u)" -eq 0 ] || NICE=0
OUT=bench/out/instr
mkdir -p "$OUT"

for t in valgrind jq; do
  command -v "$t" >/dev/null || { echo "instr: $t missing (scripts/deps.sh bench)" >&2; exit 1; }
done

echo "instr: building $BUILD (Release, -O2 -g)" >&2
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -g -DNDEBUG" \
  -DSR_BENCH=ON -DSR_BUILD_TESTS=OFF >"$OUT/cmake.log" 2>&1 || { cat "$OUT/cmake.log" >&2; exit 1; }
cmake --build "$BUILD" -j"$(nproc)" --target loadgen sipreplyd >"$OUT/build.log" 2>&1 ||
  { cat "$OUT/build.log" >&2; exit 1; }
LG=$BUILD/loadgen
SRD=${SIPREPLYD:-$BUILD/sipreplyd}

TMP=$(mktemp -d /tmp/sipreply-instr.XXXXXX)
DPID=
BPID=
cleanup() {
  [ -z "$DPID" ] || kill -KILL "$DPID" 2>/dev/null || true
  [ -z "$BPID" ] || kill "$BPID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

cat >"$TMP/stateless.yaml" <<'EOF'
rules:
  - name: busy-stateless
    match: {method: INVITE, user: "486"}
    stateless: 486
EOF
cat >"$TMP/stateful.yaml" <<'EOF'
rules:
  - name: ring-then-busy
    match: {method: INVITE, user: "486"}
    respond:
      - code: 180
      - code: 486
EOF

# port_of FILE PID: the UDP port a daemon wrote to its --port-file (waits for it)
port_of() {
  for _ in $(seq 600); do
    [ -s "$1" ] && break
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  awk '$1 == "udp" { print $3; exit }' "$1" 2>/dev/null || true
}

# the proxy mode's responder: this tree's sipreplyd, stateless 486 (started once)
if [[ " $MODES " == *" proxy "* ]]; then
  nice -n "$NICE" "$BUILD/sipreplyd" -q -l udp:127.0.0.1:0 --port-file "$TMP/backend.ports" \
    -c "$TMP/stateless.yaml" >"$OUT/backend.log" 2>&1 &
  BPID=$!
  bport=$(port_of "$TMP/backend.ports" "$BPID")
  [ -n "$bport" ] || { echo "instr: the proxy's responder did not start" >&2; cat "$OUT/backend.log" >&2; exit 1; }
  cat >"$TMP/proxy.yaml" <<EOF
rules:
  - name: proxy
    match: {method: INVITE, user: "486"}
    forward: "sip:{{user}}@127.0.0.1:$bport"
EOF
fi

# measure_once MODE CALLS: callgrind's instruction total for a daemon that answered CALLS
# calls, and whether the run was clean (see TRIES)
measure_once() {
  local mode=$1 calls=$2 cg="$OUT/callgrind.$1.$2.out" pf="$TMP/ports" scen=invite-486 port
  local settle=$SETTLE_MS
  [ "$mode" = stateful ] && scen=invite-180-486
  [ "$mode" = proxy ] && settle=$PROXY_SETTLE_MS
  rm -f "$pf" "$cg"
  nice -n "$NICE" valgrind --tool=callgrind --callgrind-out-file="$cg" "$SRD" -q -l udp:127.0.0.1:0 \
    --port-file "$pf" -c "$TMP/$mode.yaml" --max-transactions 1000000 >"$OUT/$mode.$calls.log" 2>&1 &
  DPID=$!
  port=$(port_of "$pf" "$DPID")
  [ -n "$port" ] || { echo "instr: sipreplyd did not start under valgrind" >&2; cat "$OUT/$mode.$calls.log" >&2; exit 1; }
  "$LG" --target "127.0.0.1:$port" -s "$scen" -u 486 -r "$RATE" -n "$calls" --timeout 2000 \
    --linger 1000 >"$OUT/$mode.$calls.json"
  local clean
  clean=$(jq --argjson n "$calls" '.answered == $n and .final_retrans == 0 and .prov_100 == 0' \
    "$OUT/$mode.$calls.json")
  [ "$clean" = true ] || echo "instr: $mode: $(jq -c '{answered, final_retrans, prov_100}' \
    "$OUT/$mode.$calls.json") of $calls calls: not clean" >&2
  [ "$mode" = stateless ] || sleep "$(awk -v m="$settle" 'BEGIN { print m / 1000 }')"
  kill -TERM "$DPID"
  wait "$DPID" || true
  DPID=
  echo "$(awk '/^(summary|totals):/ { print $2; exit }' "$cg") $clean"
}

# measure MODE CALLS: the total of the first clean run of at most TRIES
measure() {
  local r
  for _ in $(seq "$TRIES"); do
    r=$(measure_once "$1" "$2")
    [ "${r#* }" = true ] && break
  done
  [ "${r#* }" = true ] || echo "instr: $1, $2 calls: no clean run in $TRIES" >&2
  echo "${r% *}"
}

printf '| mode | instructions, %s calls | instructions, %s calls | per call |\n' "$CALLS_LO" "$CALLS_HI"
printf '|---|---:|---:|---:|\n'
for mode in $MODES; do
  lo=$(measure "$mode" "$CALLS_LO")
  hi=$(measure "$mode" "$CALLS_HI")
  per=$(( (hi - lo) / (CALLS_HI - CALLS_LO) ))
  printf '| %s | %s | %s | %s |\n' "$mode" "$lo" "$hi" "$per"
done
echo "instr: $(git rev-parse --short HEAD 2>/dev/null || echo '?'), rate $RATE/s, callgrind out in $OUT" >&2
