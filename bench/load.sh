#!/usr/bin/env bash
# sipreply load benchmark: sipreplyd against Kamailio over UDP on this machine, in the same run
# (docs/performance.md "sipreplyd under load"). `make bench-load` calls it after
# `scripts/deps.sh bench`.
#
# For each server (pinned to SERVER_CPU, the load generator to LOADGEN_CPU) it finds the
# highest offered rate answered with no loss over a WINDOW-second run (a ladder that doubles,
# then bisection to PRECISION percent), the servers taking turns step by step; then, per
# pair (stateless, stateful), it measures the server CPU microseconds per call at a rate both
# sustain (COMMON_FRACTION of the lower of the two), from /proc/PID/stat.
#
# env: WINDOW=5 TIMEOUT_MS=500 START=4000 MAX_RATE=400000 PRECISION=5 RETRY=1 CPU_RUNS=3
#      COMMON_FRACTION=0.5 SETTLE=6 SERVER_CPU=0 LOADGEN_CPU=1 BUILD=build-bench
#      KAM_SHM_MB=1024 (Kamailio shared memory: its 64 MB default runs out of transactions)
#      SERVERS="null sipreplyd-stateless sipreplyd-stateless-gso kamailio-stateless null-stateful
#               sipreplyd-stateful kamailio-stateful sipreplyd-proxy kamailio-proxy
#               sipreplyd-stateless-hold" (null: the generator's own responder, its ceiling;
#               -gso: sipreplyd with --udp-gso; -hold: with --udp-hold HOLD_US, in the paced
#               row only; -proxy: a stateful proxy, sipreplyd's `forward` or Kamailio's tm
#               t_relay(), in front of one stateless responder both share)
#      BACKEND_CPU=LOADGEN_CPU BACKEND_ADDR=127.0.0.2 (the proxies' responder: a sipreplyd
#      answering 486 statelessly, on another loopback address than the caller's, as a
#      downstream host would be: sipreplyd's reflection budget counts per IP address)
#      BACKEND_ADDR2=127.0.0.3 (kamailio-proxy's responder: each proxy has its own, the same
#      binary and rules, so that the two can be measured at once)
#      CPU_TOGETHER=proxy (pairs whose CPU runs take both servers in the same window, each
#      with its own generator, started together; the pair's CPU ratio is then the median of
#      the windows' ratios. This machine's speed drifts between runs more than the
#      difference measured: a ratio of runs taken one after the other reads that drift.
#      "" for turns, one server after the other, in every pair) CPU_WARMUP=1 (such pairs'
#      runs before the counted ones, not counted: first touches of memory)
#      PROXY_SETTLE=34 (seconds of quiet after a proxy's CPU run: the client transaction's
#      Timer D, 32 s, ends inside the run that started it; Kamailio's tm keeps 5 s)
#      PROXY_MAX_TXN=8000000 (sipreplyd-proxy's --max-transactions: 32 s of client and 5 s of
#      server transactions at the rates searched)
#      HOLD_US=0 (sipreplyd-stateless-hold's --udp-hold: 0, the loop without the hold, to
#      compare with sipreplyd's default of 1000)
#      NICE=-10 (servers and generator run niced, as root, so other work on a shared machine
#      disturbs them less; NICE=0 to disable)
#      QUICK=1 (a short smoke run: WINDOW=1, PRECISION=25, CPU_RUNS=1, SETTLE=1)
#      PACED_RATES="5000 15000 40000" PACED_WINDOW=5 (the paced row: requests sent one by one
#      at each rate, against sipreplyd-stateless, sipreplyd-stateless-gso (its defaults and
#      --udp-gso: the answers a wake-up sends to one peer merged into GSO sends),
#      sipreplyd-stateless-hold and kamailio-stateless, those of SERVERS that run;
#      PACED_RATES="" skips it) PACED_ONLY=1 (only the paced row: no search, no common-rate CPU
#      runs; SERVERS defaults to those four) PACED_ROUNDS=1 (rounds of the paced row, servers
#      taking turns; the report gives medians)
#      PACED_GENS="sipp loadgen loadgen-grouped" (the paced row's generators: SIPp; loadgen
#      --paced, one request per send(2) at i / rate, evenly spaced, cheap enough to pace
#      40,000 calls/s on one CPU; loadgen-grouped: loadgen --paced --group PACED_GROUP=20, each
#      call in its own send(2) but PACED_GROUP back to back every PACED_GROUP / rate s: what
#      SIPp instances pacing 5,000 calls/s each were seen to send here, about 20 INVITEs at
#      once every 4 ms, docs/performance.md)
#      PACED_SIPP_MAX=15000 (SIPp only at rates up to this: it spends 30-40 µs of CPU per call,
#      so one CPU cannot pace 40,000 calls/s with it) PACED_SPIN=30 (loadgen --spin: µs on the
#      clock before each send instead of sleeping, for even gaps)
#      PACED_PER_SIPP=5000 (SIPp instances per paced run: as many as it takes for each to pace
#      at most this many calls/s, in parallel, each at RATE/N; give LOADGEN_CPU a list such as
#      1-3 on a larger machine) PACED_SIPP=1 (with PACED_PER_SIPP="": this many instances)
#      SIPREPLYD=PATH (run this sipreplyd binary instead of the one built here, such as
#      another commit's build-bench/sipreplyd for a before/after comparison taken in turns)
#      SIPREPLYD_HOLD=PATH (the binary sipreplyd-stateless-hold runs, SIPREPLYD's by default:
#      with HOLD_US=1000, another build at its defaults, A/B in the same rounds)
#      SIPREPLYD_GSO=PATH (the binary sipreplyd-stateless-gso runs, SIPREPLYD's by default)
#      CPU_RATE=N (no search: only the CPU runs, every pair at N calls/s; a run that fits
#      the benchmark lock's few minutes, such as the proxy pair's CPU_RUNS=2)
# Writes a Markdown report to stdout and bench/out/load.md; raw data in bench/out/load/.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${QUICK:-0}" = 1 ]; then
  : "${WINDOW:=1}" "${PRECISION:=25}" "${CPU_RUNS:=1}" "${SETTLE:=1}" "${RETRY:=0}"
  : "${PROXY_SETTLE:=1}"
fi
WINDOW=${WINDOW:-5}
TIMEOUT_MS=${TIMEOUT_MS:-500}
START=${START:-4000}
MAX_RATE=${MAX_RATE:-400000}
PRECISION=${PRECISION:-5}
RETRY=${RETRY:-1}
CPU_RUNS=${CPU_RUNS:-3}
COMMON_FRACTION=${COMMON_FRACTION:-0.5}
SETTLE=${SETTLE:-6}
KAM_SHM_MB=${KAM_SHM_MB:-1024}
NICE=${NICE:--10}
SERVER_CPU=${SERVER_CPU:-0}
LOADGEN_CPU=${LOADGEN_CPU:-1}
BUILD=${BUILD:-build-bench}
PACED_RATES=${PACED_RATES-5000 15000 40000}
PACED_WINDOW=${PACED_WINDOW:-5}
PACED_ONLY=${PACED_ONLY:-0}
PACED_ROUNDS=${PACED_ROUNDS:-1}
PACED_SIPP=${PACED_SIPP:-1}
PACED_PER_SIPP=${PACED_PER_SIPP-5000}
PACED_GENS=${PACED_GENS-sipp loadgen loadgen-grouped}
PACED_SIPP_MAX=${PACED_SIPP_MAX:-15000}
PACED_SPIN=${PACED_SPIN:-30}
PACED_GROUP=${PACED_GROUP:-20}
HOLD_US=${HOLD_US:-0}
BACKEND_CPU=${BACKEND_CPU:-$LOADGEN_CPU}
BACKEND_ADDR=${BACKEND_ADDR:-127.0.0.2}
BACKEND_ADDR2=${BACKEND_ADDR2:-127.0.0.3}
CPU_TOGETHER=${CPU_TOGETHER-proxy}
CPU_WARMUP=${CPU_WARMUP:-1}
PROXY_SETTLE=${PROXY_SETTLE:-34}
PROXY_MAX_TXN=${PROXY_MAX_TXN:-8000000}
CPU_RATE=${CPU_RATE:-}
if [ "$PACED_ONLY" = 1 ]; then : "${SERVERS:=sipreplyd-stateless sipreplyd-stateless-gso sipreplyd-stateless-hold kamailio-stateless}"; fi
SERVERS=${SERVERS:-null sipreplyd-stateless sipreplyd-stateless-gso kamailio-stateless null-stateful sipreplyd-stateful kamailio-stateful sipreplyd-proxy kamailio-proxy sipreplyd-stateless-hold}
OUT=bench/out/load
REPORT=bench/out/load.md
mkdir -p "$OUT"
rm -f "$OUT"/runs.jsonl
HZ=$(getconf CLK_TCK)
[ "$(id -u)" -eq 0 ] || NICE=0
PIN_SRV=(nice -n "$NICE" taskset -c "$SERVER_CPU")
PIN_LG=(nice -n "$NICE" taskset -c "$LOADGEN_CPU")
PIN_BE=(nice -n "$NICE" taskset -c "$BACKEND_CPU")

tools=(jq taskset kamailio)
[ -z "$PACED_RATES" ] || [[ " $PACED_GENS " != *" sipp "* ]] || tools+=(sipp /usr/bin/time)
for t in "${tools[@]}"; do
  command -v "$t" >/dev/null || { echo "load: $t missing (scripts/deps.sh bench)" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || echo "load: fewer than 2 CPUs: server and generator share one" >&2

echo "load: building $BUILD (Release, -O2)" >&2
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -g -DNDEBUG" \
  -DSR_BENCH=ON -DSR_BUILD_TESTS=OFF >"$OUT/cmake.log" 2>&1 || { cat "$OUT/cmake.log" >&2; exit 1; }
targets=(loadgen)
help=$(cmake --build "$BUILD" --target help 2>/dev/null || true)
grep -qw sipreplyd <<<"$help" && targets+=(sipreplyd)
cmake --build "$BUILD" -j"$(nproc)" --target "${targets[@]}" >"$OUT/build.log" 2>&1 ||
  { cat "$OUT/build.log" >&2; exit 1; }
LG=$BUILD/loadgen
SRD=${SIPREPLYD:-$BUILD/sipreplyd}

TMP=$(mktemp -d /tmp/sipreply-load.XXXXXX)
declare -A PID PORT SCEN RB USER
RMEM_OLD=
cleanup() {
  [ -z "$RMEM_OLD" ] || echo "$RMEM_OLD" >/proc/sys/net/core/rmem_max 2>/dev/null || true
  for s in "${!PID[@]}"; do
    kill "${PID[$s]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Both servers get the same UDP receive buffer: sipreplyd forces 32 MB (SO_RCVBUFFORCE), and
# Kamailio asks for up to 32 MB with SO_RCVBUF (maxbuffer in its configuration), which the
# kernel caps at net.core.rmem_max: the cap is raised for the run and put back at the end.
RMEM_WANT=33554432
rmem=$(cat /proc/sys/net/core/rmem_max 2>/dev/null || echo 0)
if [ "$rmem" -lt "$RMEM_WANT" ]; then
  if [ "$(id -u)" -eq 0 ] && echo "$RMEM_WANT" >/proc/sys/net/core/rmem_max 2>/dev/null; then
    RMEM_OLD=$rmem
  else
    echo "load: net.core.rmem_max is $rmem: Kamailio gets a smaller UDP buffer than sipreplyd" >&2
  fi
fi

# A free UDP port on 127.0.0.1 (bound by nobody at the time of asking), for the programs that
# cannot tell which port they bound (Kamailio, the null responder, SIPp); sipreplyd binds port
# 0 and names its port in --port-file (port_file below).
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    ss -Hlun "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
  done
  echo "load: no free port" >&2
  exit 1
}

# sipreplyd configurations: INVITE to user 486 answered with 486, statelessly (no
# transaction, no 1xx, ACK absorbed) or in a transaction with 180 first; OPTIONS 200.
cp bench/conf/stateless.yaml "$TMP/sipreplyd-stateless.yaml"
cp bench/conf/stateful.yaml "$TMP/sipreplyd-stateful.yaml"

# The UDP port sipreplyd wrote to its --port-file $1 (process $2), waiting for it; empty when
# it exited first.
port_file() {
  for _ in $(seq 100); do
    [ -s "$1" ] && break
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  awk '$1 == "udp" { print $3; exit }' "$1" 2>/dev/null || true
}

# The proxies' responders: sipreplyd answering 486 statelessly (the ACK absorbed), pinned to
# BACKEND_CPU, one per proxy (sipreplyd-proxy's on BACKEND_ADDR, kamailio-proxy's on
# BACKEND_ADDR2: the same binary and rules), so that two proxies measured in the same window
# (CPU_TOGETHER) do not share one; port of proxy $1's in BACKEND_PORT[$1].
declare -A BACKEND_PORT
start_backend() {
  local s=$1 addr=$BACKEND_ADDR
  [ -z "${BACKEND_PORT[$s]:-}" ] || return 0
  [ "$s" = kamailio-proxy ] && addr=$BACKEND_ADDR2
  local be=$BUILD/sipreplyd
  [ -x "$be" ] || be=$SRD
  [ -x "$be" ] || { echo "load: no sipreplyd for the proxies' responder" >&2; return 1; }
  "${PIN_BE[@]}" "$be" -q -l "udp:$addr:0" --port-file "$TMP/responder.$s.ports" \
    -c "$TMP/sipreplyd-stateless.yaml" >"$OUT/responder.$s.log" 2>&1 &
  PID[responder.$s]=$!
  BACKEND_PORT[$s]=$(port_file "$TMP/responder.$s.ports" "${PID[responder.$s]}")
  [ -n "${BACKEND_PORT[$s]}" ] || { echo "load: the responder of $s did not start" >&2; return 1; }
  [ "$s" = sipreplyd-proxy ] || return 0
  # sipreplyd-proxy: every INVITE forwarded to it, the Request-URI's user kept
  cat >"$TMP/sipreplyd-proxy.yaml" <<EOF
rules:
  - name: proxy
    match:
      method: INVITE
    forward: "sip:{{user}}@$addr:${BACKEND_PORT[$s]}"
  - name: options
    match:
      method: OPTIONS
    stateless: 200
EOF
}

server_scenario() {
  case $1 in
  *-stateful) echo invite-180-486 ;;
  *) echo invite-486 ;;
  esac
}

# Start server $1 on a free port (sipreplyd: port 0, learnt from --port-file), pinned to
# SERVER_CPU; wait until it answers OPTIONS.
start_server() {
  local s=$1 port=0 log
  case $s in
  sipreplyd-*) ;;
  *) port=$(free_port) ;;
  esac
  log="$OUT/$s.log"
  case $s in *-proxy) start_backend "$s" || return 1 ;; esac
  case $s in
  null | null-stateful)
    "${PIN_SRV[@]}" "$LG" --serve "127.0.0.1:$port" >"$log" 2>&1 &
    ;;
  kamailio-stateless | kamailio-stateful | kamailio-proxy)
    mkdir -p "$TMP/$s"
    local def=()
    [ "$s" = kamailio-stateful ] && def=(-A STATEFUL)
    [ "$s" = kamailio-proxy ] && def=(-A "PROXY=\"$BACKEND_ADDR2:${BACKEND_PORT[$s]}\"")
    "${PIN_SRV[@]}" kamailio -f bench/kamailio/kamailio.cfg -DD -E \
      -m "$KAM_SHM_MB" -l "udp:127.0.0.1:$port" -Y "$TMP/$s" -P "$TMP/$s/kamailio.pid" "${def[@]}" \
      >"$log" 2>&1 &
    ;;
  sipreplyd-stateless | sipreplyd-stateful | sipreplyd-stateless-gso | sipreplyd-stateless-hold | \
    sipreplyd-proxy)
    if [ ! -x "$SRD" ]; then
      echo "load: skipping $s: $SRD was not built (no sipreplyd in this tree)" >&2
      return 1
    fi
    local extra=()
    [ "$s" = sipreplyd-stateless-gso ] && extra=(--udp-gso)
    [ "$s" = sipreplyd-stateless-hold ] && extra=(--udp-hold "$HOLD_US")
    local conf=${s%-gso}
    # the reflection budget off: it counts the INVITEs forwarded to the responder, which
    # sends no requests to earn credit, so a burst of more than four in flight is dropped
    # (docs/performance.md, "Proxy row")
    [ "$s" = sipreplyd-proxy ] && extra=(--max-transactions "$PROXY_MAX_TXN" --max-memory 8589934592
      --reflection-budget 0)
    rm -f "$TMP/$s.ports"
    local bin=$SRD
    [ "$s" = sipreplyd-stateless-hold ] && bin=${SIPREPLYD_HOLD:-$SRD}
    [ "$s" = sipreplyd-stateless-gso ] && bin=${SIPREPLYD_GSO:-$SRD}
    "${PIN_SRV[@]}" "$bin" -q -l "udp:127.0.0.1:0" --port-file "$TMP/$s.ports" \
      -c "$TMP/${conf%-hold}.yaml" "${extra[@]}" >"$log" 2>&1 &
    ;;
  *)
    echo "load: unknown server '$s'" >&2
    exit 2
    ;;
  esac
  PID[$s]=$!
  if [ "$port" = 0 ]; then
    port=$(port_file "$TMP/$s.ports" "${PID[$s]}")
    [ -n "$port" ] || port=0
  fi
  PORT[$s]=$port
  SCEN[$s]=$(server_scenario "$s")
  USER[$s]=486
  # the null responder sends 180 before 486 when the Request-URI user starts with 180
  if [ "$s" = null-stateful ]; then USER[$s]=180486; fi
  for _ in $(seq 50); do
    if "$LG" --target "127.0.0.1:$port" -s options -n 1 --timeout 100 2>/dev/null |
      jq -e '.answered == 1' >/dev/null; then
      # the socket receive buffer the server ended up with (bytes, as the kernel counts them)
      RB[$s]=$(ss -Huanm "sport = :$port" 2>/dev/null | grep -o 'rb[0-9]*' | head -1 | tr -d rb)
      return 0
    fi
    kill -0 "${PID[$s]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "load: $s did not answer OPTIONS on 127.0.0.1:$port (log: $log)" >&2
  tail -5 "$log" >&2
  kill "${PID[$s]}" 2>/dev/null || true
  unset "PID[$s]"
  return 1
}

# Process $1 and all its descendants (Kamailio forks its workers).
tree_pids() {
  local c
  echo "$1"
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    tree_pids "$c"
  done
}

# utime+stime clock ticks of process $1 and all its descendants (/proc/PID/stat fields 14
# and 15; a process that exits in between is skipped).
cpu_ticks() {
  local sum=0 p st f
  for p in $(tree_pids "$1"); do
    st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    read -r -a f <<<"${st##*) }"
    sum=$((sum + f[11] + f[12]))
  done
  echo "$sum"
}

# Minor page faults of process $1 and all its descendants (/proc/PID/stat field 10): memory
# touched for the first time, or again after it went back to the kernel.
minflt() {
  local sum=0 p st f
  for p in $(tree_pids "$1"); do
    st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    read -r -a f <<<"${st##*) }"
    sum=$((sum + f[7]))
  done
  echo "$sum"
}

# Nanoseconds process $1 and its descendants spent waiting on a run queue, runnable but not
# running (/proc/PID/schedstat, second field): how much the machine kept the server waiting.
sched_wait_ns() {
  local sum=0 p a b c
  for p in $(tree_pids "$1"); do
    read -r a b c 2>/dev/null <"/proc/$p/schedstat" || continue
    sum=$((sum + b))
  done
  echo "$sum"
}

# Nanoseconds process $1 and its descendants spent on a CPU (/proc/PID/schedstat, first field).
sched_run_ns() {
  local sum=0 p a b c
  for p in $(tree_pids "$1"); do
    read -r a b c 2>/dev/null <"/proc/$p/schedstat" || continue
    sum=$((sum + a))
  done
  echo "$sum"
}

# A run of server $1 in three parts, so that two servers' runs can share one window
# (CPU_TOGETHER): step_begin reads its counters, step_gen runs the generator against it
# (the loadgen JSON to stdout), step_end reads the counters again after $3 s of quiet and
# prints the JSON with the server's fields added (cpu_us_per_call when phase $2 is cpu),
# appending it to runs.jsonl; $4, when given, names the server measured in the same window.
declare -A C0 W0 M0
step_begin() {
  C0[$1]=$(cpu_ticks "${PID[$1]}")
  W0[$1]=$(sched_wait_ns "${PID[$1]}")
  M0[$1]=$(minflt "${PID[$1]}")
}
step_gen() {
  "${PIN_LG[@]}" "$LG" --target "127.0.0.1:${PORT[$1]}" -s "${SCEN[$1]}" \
    -u "${USER[$1]}" -r "$2" -d "$WINDOW" --timeout "$TIMEOUT_MS" --rx-on-tick --gso
}
step_end() {
  local s=$1 phase=$2 settle=$3 with=${4:-} j c1 w1 m1
  c1=$(cpu_ticks "${PID[$s]}")
  w1=$(sched_wait_ns "${PID[$s]}")
  m1=$(minflt "${PID[$s]}")
  j=$(jq -c --arg s "$s" --arg p "$phase" --argjson t $((c1 - C0[$s])) --argjson hz "$HZ" \
    --argjson minflt $((m1 - M0[$s])) \
    --argjson wait $(((w1 - W0[$s]) / 1000000)) \
    --argjson settle "$settle" --arg load "$(cut -d' ' -f1 /proc/loadavg)" --arg with "$with" \
    '. + {server: $s, phase: $p, cpu_ticks: $t, hz: $hz, settle_s: $settle,
          server_runqueue_wait_ms: $wait, server_minflt: $minflt,
          load1: ($load | tonumber),
          cpu_us_per_call: (if .answered > 0 then $t * 1e6 / $hz / .answered else null end),
          generator_bound: (.achieved_rate < 0.97 * .rate or .gen_cpu_s > 0.9 * .wall_s),
          lossless: (.lost == 0 and .late == 0 and .unexpected == 0 and .missing_prov == 0
                     and .send_errors == 0 and .bad == 0 and .sent == .calls)}
     + (if $with != "" then {same_window_as: $with} else {} end)' <"$TMP/gen.$s.json")
  echo "$j" >>"$OUT/runs.jsonl"
  echo "$j"
}
quiet_of() {
  case $1 in *-proxy) echo "$PROXY_SETTLE" ;; *) echo "$SETTLE" ;; esac
}

# One run of server $1 at rate $2 (phase $3); prints the loadgen JSON with server fields
# added (cpu_us_per_call when $3 is cpu) and appends it to runs.jsonl.
run_step() {
  local s=$1 rate=$2 phase=$3 settle=0
  step_begin "$s"
  step_gen "$s" "$rate" >"$TMP/gen.$s.json"
  if [ "$phase" = cpu ]; then
    settle=$(quiet_of "$s")
    sleep "$settle"
  fi
  step_end "$s" "$phase" "$settle"
}

# Runs of servers $1 and $2 at rate $3 (phase $4) in the same window: both generators
# started together, each against its own server, both servers' counters read before and
# after the same window and quiet; prints the two JSON lines (the first server's first).
run_together() {
  local a=$1 b=$2 rate=$3 phase=$4 settle=0 ga gb qa qb
  step_begin "$a"
  step_begin "$b"
  step_gen "$a" "$rate" >"$TMP/gen.$a.json" &
  ga=$!
  step_gen "$b" "$rate" >"$TMP/gen.$b.json" &
  gb=$!
  wait "$ga" "$gb"
  if [ "$phase" = cpu ]; then
    qa=$(quiet_of "$a") qb=$(quiet_of "$b")
    settle=$((qa > qb ? qa : qb))
    sleep "$settle"
  fi
  step_end "$a" "$phase" "$settle" "$b"
  step_end "$b" "$phase" "$settle" "$a"
}

# Verdict of a step: pass; fail (calls lost, late or wrong: a server failure at the rate the
# generator achieved, even if that fell short of the offered one); or gen (no loss, but the
# generator could not offer the rate: nothing learnt about the server).
verdict() {
  jq -r 'if .lossless then (if .generator_bound then "gen" else "pass" end) else "fail" end' <<<"$1"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
active=()
for s in $SERVERS; do
  start_server "$s" && active+=("$s")
done
[ ${#active[@]} -gt 0 ] || { echo "load: no server started" >&2; exit 1; }

# ---- search: every server takes one step per round until its bracket is narrow enough
declare -A LO HI NOTE
for s in "${active[@]}"; do
  LO[$s]=0
  HI[$s]=0
  NOTE[$s]=""
done
next_rate() {
  local s=$1
  if [ "${HI[$s]}" -eq 0 ]; then
    [ "${LO[$s]}" -eq 0 ] && echo "$START" || echo $((LO[$s] * 2))
  else
    echo $(((LO[$s] + HI[$s]) / 2 / 100 * 100))
  fi
}
done_search() {
  local s=$1
  [ -n "${NOTE[$s]}" ] && return 0
  [ "${HI[$s]}" -eq 0 ] && return 1
  [ "${LO[$s]}" -eq 0 ] && [ "${HI[$s]}" -le "$START" ] && return 0
  [ $(((HI[$s] - LO[$s]) * 100)) -le $((PRECISION * (LO[$s] > 0 ? LO[$s] : 1))) ] ||
    [ $((HI[$s] - LO[$s])) -le 100 ]
}
round=0
[ "$PACED_ONLY" = 1 ] && for s in "${active[@]}"; do NOTE[$s]="not searched (PACED_ONLY)"; done
[ -z "$CPU_RATE" ] || for s in "${active[@]}"; do NOTE[$s]="not searched (CPU_RATE)"; done
[ -z "${PID[sipreplyd-stateless-hold]:-}" ] || NOTE[sipreplyd-stateless-hold]="paced row only"

while :; do
  pending=0
  round=$((round + 1))
  for s in "${active[@]}"; do
    done_search "$s" && continue
    pending=1
    rate=$(next_rate "$s")
    if [ "$rate" -gt "$MAX_RATE" ]; then
      NOTE[$s]="at least $MAX_RATE (MAX_RATE)"
      continue
    fi
    [ "${HI[$s]}" -eq 0 ] || [ "$rate" -gt "${LO[$s]}" ] || { NOTE[$s]="bracket closed"; continue; }
    v=fail
    fail_at=
    for attempt in $(seq 0 "$RETRY"); do
      j=$(run_step "$s" "$rate" search)
      v=$(verdict "$j")
      if [ "$v" = fail ]; then
        # the rate actually offered, when the generator fell behind
        fail_at=$(jq -r --argjson lo "${LO[$s]}" '[(if .achieved_rate < 0.97 * .rate
          then (.achieved_rate / 100 | floor) * 100 else .rate end), $lo + 100] | max' <<<"$j")
      fi
      printf 'load: round %d %-20s %7d calls/s  %s  (lost %s, late %s, unexpected %s, p99 %s us, server waited %s ms for a CPU, load %s)\n' \
        "$round" "$s" "$rate" "$v" "$(jq .lost <<<"$j")" "$(jq .late <<<"$j")" \
        "$(jq .unexpected <<<"$j")" "$(jq .lat_p99_us <<<"$j")" \
        "$(jq .server_runqueue_wait_ms <<<"$j")" "$(jq .load1 <<<"$j")" >&2
      [ "$v" != pass ] || break
    done
    # a failed attempt outweighs a later inconclusive one
    if [ "$v" = gen ] && [ -n "$fail_at" ]; then v=fail; fi
    case $v in
    pass) LO[$s]=$rate ;;
    fail) HI[$s]=$fail_at ;;
    gen)
      # no loss at what the generator managed to offer: a lower bound for this server
      got=$(jq -r '(.achieved_rate / 100 | floor) * 100' <<<"$j")
      if [ "$got" -gt "${LO[$s]}" ]; then LO[$s]=$got; fi
      NOTE[$s]="no loss at $got offered (of $rate asked; the generator fell short: its CPU or the machine): a lower bound, search stopped"
      ;;
    esac
  done
  [ $pending -eq 1 ] || break
done

# ---- CPU per call at a common rate, per pair, interleaved
declare -A CPU_MED CPU_LOSSY COMMON LOSSLESS_OK RATIO_MED RATIO_ALL
median() {
  sort -g "$1" | awk '{v[NR] = $1}
    END {if (NR) printf "%.2f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'
}
# let the stateful servers finish the transactions of the search (RFC 3261 Timer I/J, T4)
[ "$PACED_ONLY" = 1 ] || [ -n "$CPU_RATE" ] || sleep "$SETTLE"
pairs=("sipreplyd-stateless kamailio-stateless" "sipreplyd-stateful kamailio-stateful"
  "sipreplyd-stateless-gso kamailio-stateless" "sipreplyd-proxy kamailio-proxy")
for pair in "${pairs[@]}"; do
  read -r a b <<<"$pair"
  members=()
  for s in $a $b; do
    [ -n "${PID[$s]:-}" ] && { [ -n "$CPU_RATE" ] || [ "${LO[$s]:-0}" -gt 0 ]; } && members+=("$s")
  done
  [ ${#members[@]} -gt 0 ] || continue
  if [ -n "$CPU_RATE" ]; then
    rate=$CPU_RATE
  else
    low=0
    for s in "${members[@]}"; do
      [ "$low" -eq 0 ] || [ "${LO[$s]}" -lt "$low" ] && low=${LO[$s]}
    done
    [ "$low" -gt 0 ] || continue
    rate=$(awk -v l="$low" -v f="$COMMON_FRACTION" 'BEGIN {r = int(l * f / 100) * 100; print (r < 100 ? 100 : r)}')
  fi
  # a server measured at this rate for an earlier pair (Kamailio for both stateless pairs)
  # keeps its figures
  torun=()
  for s in "${members[@]}"; do
    [ "${COMMON[$s]:-}" = "$rate" ] && continue
    torun+=("$s")
    COMMON[$s]=$rate
    : >"$TMP/cpu.$s"
    : >"$TMP/cpuall.$s"
  done
  [ ${#torun[@]} -gt 0 ] || continue
  # a pair named in CPU_TOGETHER with both servers running: each run takes both in the same
  # window (this machine's speed drifts between runs by more than the difference measured:
  # a ratio of runs taken one after the other reads the drift), after CPU_WARMUP runs not
  # counted (first touches of memory, Kamailio's shared memory among them)
  together=0
  if [ ${#torun[@]} -eq 2 ] && [[ " $CPU_TOGETHER " == *" ${a#sipreplyd-} "* ]]; then
    together=1
    : >"$TMP/ratio.$a"
    RATIO_ALL[$a]=
    for i in $(seq "$CPU_WARMUP"); do
      while read -r j; do
        printf 'load: cpu %-20s %7d calls/s  %.2f us/call  warm-up, not counted (load %s)\n' \
          "$(jq -r .server <<<"$j")" "$rate" "$(jq '.cpu_us_per_call // 0' <<<"$j")" \
          "$(jq .load1 <<<"$j")" >&2
      done < <(run_together "${torun[0]}" "${torun[1]}" "$rate" cpu-warmup)
    done
  fi
  for i in $(seq "$CPU_RUNS"); do
    if [ "$together" = 1 ]; then
      mapfile -t js < <(run_together "${torun[0]}" "${torun[1]}" "$rate" cpu)
    else
      js=()
      for s in "${torun[@]}"; do js+=("$(run_step "$s" "$rate" cpu)"); done
    fi
    for j in "${js[@]}"; do
      s=$(jq -r .server <<<"$j")
      printf 'load: cpu %-20s %7d calls/s  %.2f us/call  lossless %s (lost %s, minor faults %s, load %s)\n' "$s" \
        "$rate" "$(jq '.cpu_us_per_call // 0' <<<"$j")" "$(jq .lossless <<<"$j")" \
        "$(jq .lost <<<"$j")" "$(jq .server_minflt <<<"$j")" "$(jq .load1 <<<"$j")" >&2
      # only lossless runs count: a server that drops calls also retransmits and times out
      jq '.cpu_us_per_call // empty' <<<"$j" >>"$TMP/cpuall.$s"
      if [ "$(jq .lossless <<<"$j")" = true ]; then
        LOSSLESS_OK[$s]=$((${LOSSLESS_OK[$s]:-0} + 1))
        jq '.cpu_us_per_call // empty' <<<"$j" >>"$TMP/cpu.$s"
      fi
    done
    # the ratio of one window, when both runs in it were lossless
    if [ "$together" = 1 ] && [ "$(jq -s 'all(.lossless and .cpu_us_per_call != null)' <<<"${js[*]}")" = true ]; then
      r=$(jq -s '.[0].cpu_us_per_call / .[1].cpu_us_per_call' <<<"${js[*]}")
      echo "$r" >>"$TMP/ratio.$a"
      RATIO_ALL[$a]+="${RATIO_ALL[$a]:+, }$(printf '%.2f' "$r")"
      printf 'load: cpu %s/%s in the same window: %.3f\n' "${torun[0]}" "${torun[1]}" "$r" >&2
    fi
  done
  [ "$together" = 0 ] || RATIO_MED[$a]=$(median "$TMP/ratio.$a")
  for s in "${torun[@]}"; do
    CPU_MED[$s]=$(median "$TMP/cpu.$s")
    # no lossless run: the median of all, marked (not used for the target verdict)
    [ -n "${CPU_MED[$s]}" ] || CPU_LOSSY[$s]=$(median "$TMP/cpuall.$s")
  done
done

# ---- paced: the calls sent one by one at each rate (as most real traffic arrives, where the
# burst rows' batches let recvmmsg amortise every wake-up), by SIPp and by loadgen --paced
# (one request per send(2) at i / rate, ACKs one per send(2): cheap enough to pace 40,000
# calls/s on one CPU, where SIPp is not), the stateless servers taking turns at each rate;
# server CPU per call from /proc/PID/schedstat (nanoseconds on a CPU, finer than the clock
# ticks of /proc/PID/stat at these short runs), divided by the calls completed (INVITE, 486,
# ACK).
declare -A PACED_US PACED_OK PACED_ALL PACED_GEN
# One paced run of server $1 at rate $2 with SIPp: PACED_SIPP SIPp instances in parallel,
# each at rate/N (SIPp's own CPU per call limits what one instance paces; several spread that
# over the CPUs in LOADGEN_CPU), each pinned and niced like the generator; SIPp's CPU (user +
# system, from /usr/bin/time) is recorded per call completed so a rate SIPp could not keep is
# explained.
paced_sipp_step() {
  local s=$1 rate=$2 r0 r1 calls ok=0 failed=0 t0 t1 k n=$PACED_SIPP per gen_cpu=0 sp stat f
  [ -z "$PACED_PER_SIPP" ] || n=$(((rate + PACED_PER_SIPP - 1) / PACED_PER_SIPP))
  calls=$((rate * PACED_WINDOW))
  per=$((rate / n))
  local pids=() ports=()
  for k in $(seq "$n"); do ports+=("$(free_port)"); done
  r0=$(sched_run_ns "${PID[$s]}")
  t0=$(date +%s%N)
  for k in $(seq "$n"); do
    stat="$TMP/paced.$s.$rate.$k.csv"
    rm -f "$stat"
    /usr/bin/time -f '%U %S' -o "$TMP/paced.$s.$rate.$k.time" "${PIN_LG[@]}" \
      sipp "127.0.0.1:${PORT[$s]}" -sf bench/sipp/invite-486.xml -i 127.0.0.1 \
      -p "${ports[$((k - 1))]}" -r "$per" -rp 1000 -m $((calls / n)) -l $((per * 4)) -nostdin \
      -trace_stat -stf "$stat" -fd 3600 -timeout $((PACED_WINDOW * 4 + 10))s \
      >"$OUT/sipp.$s.$rate.$k.log" 2>&1 &
    pids+=($!)
  done
  for k in "${pids[@]}"; do wait "$k" || true; done
  t1=$(date +%s%N)
  r1=$(sched_run_ns "${PID[$s]}")
  calls=$((calls / n * n))
  for k in $(seq "$n"); do
    stat="$TMP/paced.$s.$rate.$k.csv"
    # the last line of SIPp's statistics: cumulative successful and failed calls
    f=$(awk -F';' 'NR == 1 {for (i = 1; i <= NF; i++) h[$i] = i}
      END {print $h["SuccessfulCall(C)"] + 0, $h["FailedCall(C)"] + 0}' "$stat" 2>/dev/null ||
      echo 0 0)
    ok=$((ok + ${f% *}))
    failed=$((failed + ${f#* }))
    # the last line: "USER SYSTEM" (a line before it says when SIPp exited non-zero)
    gen_cpu=$(tail -1 "$TMP/paced.$s.$rate.$k.time" 2>/dev/null |
      awk -v a="$gen_cpu" '{a += $1 + $2} END {printf "%.3f", a}')
  done
  jq -nc --arg s "$s" --argjson rate "$rate" --argjson calls "$calls" --argjson ok "${ok:-0}" \
    --argjson failed "${failed:-0}" --argjson ns $((r1 - r0)) --argjson wall $(((t1 - t0) / 1000000)) \
    --arg load "$(cut -d' ' -f1 /proc/loadavg)" --argjson sipps "$n" --argjson gen "$gen_cpu" \
    '{phase: "paced", generator: "sipp", server: $s, rate: $rate, calls: $calls,
      successful: $ok, failed: $failed,
      wall_ms: $wall, achieved_rate: (if $wall > 0 then ($ok * 1000 / $wall | floor) else 0 end),
      cpu_ns: $ns, load1: ($load | tonumber), sipp_instances: $sipps, gen_cpu_s: $gen,
      gen_cpu_us_per_call: (if $ok > 0 then $gen * 1e6 / $ok else null end),
      cpu_us_per_call: (if $ok > 0 then $ns / 1000 / $ok else null end)}' | tee -a "$OUT/runs.jsonl"
}
# One paced run of server $1 at rate $2 with loadgen --paced --group $3 (SIPp's SDP offer in
# the INVITE, --spin PACED_SPIN µs on the clock before each send): the calls answered within
# TIMEOUT_MS count; the rate loadgen achieved and the gaps between its sends are kept with
# the run.
paced_loadgen_step() {
  local s=$1 rate=$2 group=$3 r0 r1 j
  r0=$(sched_run_ns "${PID[$s]}")
  j=$("${PIN_LG[@]}" "$LG" --target "127.0.0.1:${PORT[$s]}" -s invite-486 -u 486 -r "$rate" \
    -d "$PACED_WINDOW" --timeout "$TIMEOUT_MS" --paced --group "$group" --sdp --spin "$PACED_SPIN")
  r1=$(sched_run_ns "${PID[$s]}")
  jq -c --arg s "$s" --argjson ns $((r1 - r0)) --arg load "$(cut -d' ' -f1 /proc/loadavg)" \
    --arg gen "$4" \
    '{phase: "paced", generator: $gen, server: $s, rate: .rate, calls: .calls,
      successful: .answered, failed: (.lost + .late + .unexpected + .send_errors),
      wall_ms: (.wall_s * 1000 | round), achieved_rate: .achieved_rate, cpu_ns: $ns,
      load1: ($load | tonumber), gen_cpu_s: .gen_cpu_s,
      gen_cpu_us_per_call: (if .answered > 0 then .gen_cpu_s * 1e6 / .answered else null end),
      cpu_us_per_call: (if .answered > 0 then $ns / 1000 / .answered else null end),
      gap_p1_us, gap_p50_us, gap_p99_us, slipped, max_lag_ms, lat_p50_us, lat_p99_us,
      lost, late, rx_drops}' <<<"$j" | tee -a "$OUT/runs.jsonl"
}
# The generators' rows: "sipp" at the rates up to PACED_SIPP_MAX, "loadgen" at every rate.
paced_rows() {
  local g rate
  for g in $PACED_GENS; do
    for rate in $PACED_RATES; do
      [ "$g" = sipp ] && [ "$rate" -gt "$PACED_SIPP_MAX" ] && continue
      echo "$g $rate"
    done
  done
}
# in the order SERVERS gives them (the first of a round was seen to read a few percent more:
# swap the order between runs to see it)
PACED_SERVERS=
for s in $SERVERS; do
  case $s in
  sipreplyd-stateless | sipreplyd-stateless-gso | sipreplyd-stateless-hold | kamailio-stateless)
    PACED_SERVERS+="$s " ;;
  esac
done
# PACED_ROUNDS rounds, the servers taking turns within each; the report gives the median of
# the rounds (every round's figure in runs.jsonl and in the log).
while read -r gen rate; do
  [ -n "$gen" ] || continue
  for s in $PACED_SERVERS; do
    [ -n "${PID[$s]:-}" ] && : >"$TMP/pacedall.$gen.$s.$rate" && : >"$TMP/pacedok.$gen.$s.$rate"
  done
  for round in $(seq "$PACED_ROUNDS"); do
    for s in $PACED_SERVERS; do
      [ -n "${PID[$s]:-}" ] || continue
      case $gen in
      sipp) j=$(paced_sipp_step "$s" "$rate") ;;
      loadgen) j=$(paced_loadgen_step "$s" "$rate" 1 "$gen") ;;
      loadgen-grouped) j=$(paced_loadgen_step "$s" "$rate" "$PACED_GROUP" "$gen") ;;
      *) echo "load: unknown paced generator '$gen'" >&2; exit 2 ;;
      esac
      us=$(jq -r '.cpu_us_per_call // "-" | if type == "number" then (. * 100 | round / 100) else . end' <<<"$j")
      # only runs where every call completed count: a server that falls behind answers late,
      # and its CPU per completed call then measures its overload (marked * in the report)
      if [ "$us" != - ]; then
        if [ "$(jq '.successful == .calls' <<<"$j")" = true ]; then
          echo "$us" >>"$TMP/pacedok.$gen.$s.$rate"
          echo "$us" >>"$TMP/pacedall.$gen.$s.$rate"
        else
          echo "$us*" >>"$TMP/pacedall.$gen.$s.$rate"
        fi
      fi
      done_s=$(jq -r '"\(.successful)/\(.calls) in \(.wall_ms) ms" +
        (if .generator != "sipp" then ", sent at \(.achieved_rate)/s, gaps \(.gap_p1_us)/\(.gap_p50_us)/\(.gap_p99_us) µs"
         else "" end)' <<<"$j")
      k=$gen.$s.$rate
      PACED_OK[$k]="${PACED_OK[$k]:+${PACED_OK[$k]}, }$done_s"
      PACED_GEN[$k]="${PACED_GEN[$k]:+${PACED_GEN[$k]}, }$(jq -r '.gen_cpu_us_per_call // "-" | if type == "number" then round else . end' <<<"$j")"
      printf 'load: paced %-8s %-24s %7d calls/s  round %d  %s us/call  (%s, generator %s us/call, load %s)\n' \
        "$gen" "$s" "$rate" "$round" "$us" "$done_s" \
        "$(jq -r '.gen_cpu_us_per_call // "-" | if type == "number" then round else . end' <<<"$j")" "$(jq .load1 <<<"$j")" >&2
    done
  done
  for s in $PACED_SERVERS; do
    [ -n "${PID[$s]:-}" ] || continue
    k=$gen.$s.$rate
    PACED_US[$k]=$(median "$TMP/pacedok.$k")
    [ -n "${PACED_US[$k]}" ] || PACED_US[$k]=-
    PACED_ALL[$k]=$(paste -sd' ' "$TMP/pacedall.$k")
  done
done < <(paced_rows)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
kam_version=$(kamailio -v 2>/dev/null | sed -n 's/^version: //p' | head -1)
srd_version="-"
[ -x "$SRD" ] && srd_version=$("$SRD" --version 2>/dev/null | head -1 || echo "?")
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
label() {
  case $1 in
  null | null-stateful) echo "loadgen --serve (null responder)" ;;
  *) echo "$1" ;;
  esac
}
{
  echo "# sipreplyd under load"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs (${cpu_model:-unknown CPU}), $(uname -sr);" \
    "servers pinned to CPU $SERVER_CPU, loadgen to CPU $LOADGEN_CPU; UDP over 127.0.0.1;" \
    "sipreplyd: $srd_version ($("$cc" --version | head -1), -O2); Kamailio: ${kam_version:-?}" \
    "(Debian package, children=1). Window $WINDOW s per step, a final later than $TIMEOUT_MS ms" \
    "counts as lost, bisection to $PRECISION %, a failing step retried $RETRY time(s)." \
    "Load average before $load_before, after $load_after."
  echo
  echo "| server | scenario | highest lossless rate (calls/s) | lowest failing rate | UDP receive buffer | note |"
  echo "|---|---|---:|---:|---:|---|"
  for s in "${active[@]}"; do
    hi=${HI[$s]}
    [ "$hi" -eq 0 ] && hi="-"
    echo "| $(label "$s") | ${SCEN[$s]} | ${LO[$s]} | $hi | ${RB[$s]:-?} | ${NOTE[$s]} |"
  done
  echo
  echo "| server | scenario | common rate (calls/s) | CPU µs per call (median) | lossless runs |"
  echo "|---|---|---:|---:|---:|"
  for s in "${active[@]}"; do
    [ -n "${COMMON[$s]:-}" ] || continue
    echo "| $(label "$s") | ${SCEN[$s]} | ${COMMON[$s]} | ${CPU_MED[$s]:-${CPU_LOSSY[$s]:+(${CPU_LOSSY[$s]} with losses)}} | ${LOSSLESS_OK[$s]:-0}/$CPU_RUNS |"
  done
  echo
  echo "Target (issue #6): sipreplyd at least 2x Kamailio's highest lossless rate with at most"
  echo "half its CPU per call, stateless and stateful. Proxy (sipreplyd \`forward\` against"
  echo "Kamailio tm \`t_relay()\`, each in front of a stateless responder of its own, the same"
  echo "sipreplyd on CPU $BACKEND_CPU; CPU of the proxy's processes only, $PROXY_SETTLE s of quiet after"
  echo "each CPU run): at most half Kamailio's CPU per proxied call; the rates are reported, with"
  echo "no target."
  if [ -n "$CPU_TOGETHER" ]; then
    echo "Pairs measured in the same window ($CPU_TOGETHER): both servers' runs at once, each with"
    echo "its own generator, after $CPU_WARMUP warm-up run(s) not counted; their CPU ratio is the median"
    echo "of the windows' ratios (lossless windows only)."
  fi
  echo
  echo "| mode | highest lossless rate, sipreplyd/Kamailio | rate target (≥ 2) | CPU per call, sipreplyd/Kamailio | CPU target (≤ 0.5) |"
  echo "|---|---:|---|---:|---|"
  for pair in "${pairs[@]}"; do
    read -r a b <<<"$pair"
    [ -n "${LO[$a]:-}" ] && [ -n "${LO[$b]:-}" ] || continue
    mode=${a#sipreplyd-}
    [ "$mode" = stateless-gso ] && mode="stateless, sipreplyd --udp-gso"
    rr=$(awk -v x="${LO[$a]}" -v y="${LO[$b]}" 'BEGIN {if (y > 0) printf "%.2f", x / y; else print "-"}')
    cr=$(awk -v x="${CPU_MED[$a]:-}" -v y="${CPU_MED[$b]:-}" 'BEGIN {if (x != "" && y > 0) printf "%.2f", x / y; else print "-"}')
    # measured in the same windows: the median of the windows' ratios, each listed
    if [ -n "${RATIO_MED[$a]:-}" ]; then
      cr=$(printf '%.2f' "${RATIO_MED[$a]}")
      crs="$cr (same window: ${RATIO_ALL[$a]})"
    else
      crs=$cr
    fi
    # not met when sipreplyd failed (for its own reasons) below twice Kamailio's lossless rate;
    # inconclusive when the generator stopped the search before that could be known
    rv=$(awk -v rr="$rr" -v ha="${HI[$a]}" -v lb="${LO[$b]}" -v na="${NOTE[$a]}" -v nb="${NOTE[$b]}" 'BEGIN {
      if (rr == "-") { print "-"; exit }
      if (rr >= 2 && nb ~ /generator/) { print "inconclusive: Kamailio'"'"'s rate is a lower bound"; exit }
      if (rr >= 2) { print "met"; exit }
      if (ha > 0 && ha <= 2 * lb) { print "not met"; exit }
      if (na ~ /generator/) print "inconclusive: the generator could not offer more"
      else print "not met" }')
    [ "$mode" = proxy ] && rv="(no rate target)"
    cv=$(awk -v cr="$cr" 'BEGIN {if (cr == "-") print "-"; else print (cr <= 0.5 ? "met" : "not met")}')
    echo "| $mode | $rr | $rv | $crs | $cv |"
  done
  if [ -n "$PACED_RATES" ] && [ -n "${PID[sipreplyd-stateless]:-}" ] && [ -n "${PID[kamailio-stateless]:-}" ]; then
    echo
    echo "Paced: INVITE, 486, ACK, calls sent one by one at each rate for $PACED_WINDOW s, by"
    echo "SIPp $(sipp -v 2>/dev/null | grep -o 'v[0-9][0-9.]*' | head -1) (x${PACED_PER_SIPP:+⌈rate / }${PACED_PER_SIPP:-$PACED_SIPP}${PACED_PER_SIPP:+⌉} in parallel, bench/sipp/invite-486.xml; at rates up to"
    echo "$PACED_SIPP_MAX calls/s) and by \`loadgen --paced --sdp --spin $PACED_SPIN\` (one request per send at"
    echo "i / rate, ACKs one per send; the same INVITE with SDP), evenly spaced (loadgen) or"
    echo "$PACED_GROUP back to back every $PACED_GROUP / rate s as a SIPp instance sends (loadgen-grouped,"
    echo "\`--group $PACED_GROUP\`); server CPU from /proc/PID/schedstat"
    echo "over the calls completed; median of $PACED_ROUNDS round(s), servers taking turns, every"
    echo "round's figure in brackets; only rounds where every call completed count (a run with calls"
    echo "lost or late is marked *: its CPU per completed call measures an overloaded server), \"-\""
    echo "when none did. Target: at most 0.5x Kamailio's CPU per call at each rate."
    echo
    echo "sipreplyd: its defaults (\`--udp-hold 1000\`: answers up to 1 ms later while datagrams"
    echo "come fast, docs/architecture.md); sipreplyd --udp-gso: its defaults and \`--udp-gso\` (the"
    echo "answers of a wake-up to one peer merged into UDP GSO sends; off by default: a capture on"
    echo "the sending host shows a merged run as one datagram)${SIPREPLYD_GSO:+ (binary: $SIPREPLYD_GSO)};"
    echo "sipreplyd --udp-hold: started with \`--udp-hold $HOLD_US\`${SIPREPLYD_HOLD:+ (binary: $SIPREPLYD_HOLD)}."
    echo "Generator CPU: its own user + system time per call completed (SIPp: all its instances)."
    echo "loadgen's runs also give the rate it sent at and the gaps between its sends (p1/p50/p99)."
    echo
    echo "| generator | rate (calls/s) | sipreplyd µs/call | sipreplyd --udp-gso µs/call | sipreplyd --udp-hold µs/call | Kamailio µs/call | sipreplyd/Kamailio | --udp-gso/Kamailio | --udp-hold/Kamailio | target (≤ 0.5) | calls completed (sipreplyd; --udp-gso; --udp-hold; Kamailio) | generator CPU µs/call (same order) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|"
    while read -r gen rate; do
      [ -n "$gen" ] || continue
      ka=$gen.sipreplyd-stateless.$rate
      kg=$gen.sipreplyd-stateless-gso.$rate
      kh=$gen.sipreplyd-stateless-hold.$rate
      kb=$gen.kamailio-stateless.$rate
      a=${PACED_US[$ka]:--}
      g=${PACED_US[$kg]:--}
      h=${PACED_US[$kh]:--}
      b=${PACED_US[$kb]:--}
      ratio() { awk -v x="$1" -v y="$b" 'BEGIN {if (x != "-" && y != "-" && y > 0) printf "%.2f", x / y; else print "-"}'; }
      pr=$(ratio "$a")
      gr=$(ratio "$g")
      hr=$(ratio "$h")
      pv=$(awk -v r="$pr" -v p="$gr" -v q="$hr" 'function v(x) {return (x == "-") ? "-" : (x <= 0.5 ? "met" : "not met")}
        BEGIN {print v(r) "; --udp-gso " v(p) "; --udp-hold " v(q)}')
      if [ "$PACED_ROUNDS" -gt 1 ]; then
        a="$a (${PACED_ALL[$ka]:-})"
        g="$g (${PACED_ALL[$kg]:-})"
        h="$h (${PACED_ALL[$kh]:-})"
        b="$b (${PACED_ALL[$kb]:-})"
      fi
      echo "| $gen | $rate | $a | $g | $h | $b | $pr | $gr | $hr | $pv | ${PACED_OK[$ka]:-}; ${PACED_OK[$kg]:-}; ${PACED_OK[$kh]:-}; ${PACED_OK[$kb]:-} | ${PACED_GEN[$ka]:-}; ${PACED_GEN[$kg]:-}; ${PACED_GEN[$kh]:-}; ${PACED_GEN[$kb]:-} |"
    done < <(paced_rows)
  fi
  echo
  echo "Command: \`make bench-load\` (bench/load.sh); raw runs: bench/out/load/runs.jsonl."
} >"$REPORT"
cat "$REPORT"
