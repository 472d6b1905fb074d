#!/usr/bin/env bash
# sipreply bench: `sipreply analyze` against `tshark -q -z sip,stat` on the same generated
# capture of SIP traffic (bench/gen_sip_pcap.py, SIZE_MB, default 1000 = 1 GB).
# sipreply runs four ways (one thread and two, with and without lint), RUNS times each;
# tshark runs once over the whole capture, stopped after TSHARK_TIMEOUT seconds (its time
# grows faster than the capture: over 1 GB it needs hours), and its counts are taken in
# pieces (bench/tshark_pieces.py: pieces of 10 MB, each with the 100 s of capture before it
# dissected first). Every count (messages, resent, each method and code) must be equal.
# Reports wall and CPU time, throughput and peak memory of each, sipreply's peak memory on a
# quarter of the capture too (memory must not grow with the capture), and the load average.
# usage: bench/analyze.sh   (the end of `make bench`; ANALYZE_TSHARK=0 skips tshark)
# env:   SIZE_MB=1000 BUILD=build-bench RUNS=3 TSHARK_TIMEOUT=1800 TSHARK_PIECES=1
# Writes a Markdown section to stdout and bench/out/analyze.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-1000}
BUILD=${BUILD:-build-bench}
RUNS=${RUNS:-3}
OUT=bench/out
mkdir -p "$OUT"
cap=$OUT/analyze_${SIZE_MB}MB.pcap
quarter=$OUT/analyze_$((SIZE_MB / 4))MB.pcap

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSR_BUILD_TESTS=OFF >"$OUT/cmake.log" 2>&1
fi
cmake --build "$BUILD" --target sipreply_cli -j"$(nproc)" >"$OUT/build_analyze.log" 2>&1 ||
  { cat "$OUT/build_analyze.log" >&2; exit 1; }
bin=$BUILD/sipreply
[ -f "$cap" ] || python3 bench/gen_sip_pcap.py "$SIZE_MB" "$cap" >&2
[ -f "$quarter" ] || python3 bench/gen_sip_pcap.py "$((SIZE_MB / 4))" "$quarter" >&2

# run LIMIT_S OUTFILE CMD...: "wall_s cpu_s peak_rss_kB" of one run (its standard output in
# OUTFILE), or "-1 CPU_S PEAK" when it did not finish within LIMIT_S seconds
run() {
  python3 - "$@" <<'PY'
import os, signal, subprocess, sys, threading, time
t = time.monotonic()
with open(sys.argv[2], "wb") as f:
    p = subprocess.Popen(sys.argv[3:], stdout=f, stderr=subprocess.DEVNULL)
    # the rusage of this child alone (RUSAGE_CHILDREN would add whatever ran before in this
    # process, e.g. a python version manager's shims)
    timer = threading.Timer(float(sys.argv[1]), p.send_signal, (signal.SIGTERM,))
    timer.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t
    stopped = not timer.is_alive()
    timer.cancel()
if stopped:
    wall = -1
elif status != 0:
    sys.exit("%s exited with status %d" % (sys.argv[3], status))
print("%.3f %.3f %d" % (wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss))
PY
}
bytes=$(stat -c %s "$cap")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# best of RUNS (by CPU time; its wall time, and the best wall time apart) of one way
rows=""
for mode in "--threads 1" "--threads 1 --no-lint" "--threads 2" "--threads 2 --no-lint"; do
  bestc="" bestw=""
  for _ in $(seq "$RUNS"); do
    # shellcheck disable=SC2086 # $mode: options
    r=$(run 3600 "$OUT/run.out" "$bin" analyze --json --no-progress $mode "$cap")
    read -r w c k <<<"$r"
    if [ -z "$bestc" ] || awk -v a="$c" -v b="${bestc%% *}" 'BEGIN { exit !(a < b) }'; then bestc="$c $w $k"; fi
    if [ -z "$bestw" ] || awk -v a="$w" -v b="$bestw" 'BEGIN { exit !(a < b) }'; then bestw=$w; fi
  done
  [ "$mode" = "--threads 1" ] && cp "$OUT/run.out" "$OUT/analyze_ours.json"
  [ "$mode" = "--threads 2" ] && cp "$OUT/run.out" "$OUT/analyze_ours_t2.json"
  read -r c w k <<<"$bestc"
  rows+=$(awk -v m="$mode" -v c="$c" -v w="$w" -v bw="$bestw" -v k="$k" -v b="$bytes" 'BEGIN {
    printf "| sipreply analyze %s | %.2f | %.0f | %.2f | %.0f | %.0f |\n", m, bw, b / bw / 1e6, c, b / c / 1e6, k / 1024 }')$'\n'
done
# the two-thread report must be the one-thread report, byte for byte
same_t2="identical to"
cmp -s "$OUT/analyze_ours.json" "$OUT/analyze_ours_t2.json" || same_t2="DIFFERENT from"
q=$(run 3600 "$OUT/run.out" "$bin" analyze --json --no-progress "$quarter")
read -r _ _ qk <<<"$q"

tshark_row="| tshark -q -z sip,stat | not run (ANALYZE_TSHARK=0) | | | | |"
agree="not checked"
if [ "${ANALYZE_TSHARK:-1}" != 0 ]; then
  lim=${TSHARK_TIMEOUT:-1800}
  t=$(run "$lim" "$OUT/tshark.out" tshark -n -q -o tcp.reassemble_out_of_order:TRUE -z sip,stat -r "$cap")
  read -r w c k <<<"$t"
  if [ "$w" = -1 ]; then
    tshark_row=$(awk -v l="$lim" -v c="$c" -v k="$k" 'BEGIN {
      printf "| tshark -q -z sip,stat | stopped after %d | | %.0f | | %.0f (growing) |", l, c, k / 1024 }')
  else
    tshark_row=$(awk -v w="$w" -v c="$c" -v k="$k" -v b="$bytes" 'BEGIN {
      printf "| tshark -q -z sip,stat | %.1f | %.1f | %.1f | %.1f | %.0f |", w, b / w / 1e6, c, b / c / 1e6, k / 1024 }')
  fi
  if [ "${TSHARK_PIECES:-1}" != 0 ]; then
    python3 bench/tshark_pieces.py "$cap" >"$OUT/tshark_pieces.json" 2>"$OUT/tshark_pieces.log"
    agree=$(python3 - "$OUT/analyze_ours.json" "$OUT/tshark_pieces.json" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))["sip"]
p = json.load(open(sys.argv[2]))
theirs = p["sip"]
keys = ("messages", "resent", "requests", "responses")
a = {k: ours[k] for k in keys}
b = {k: theirs[k] for k in keys}
if a == b:
    print("equal to tshark's in %d pieces (%d messages, %d resent, %d methods, %d codes; tshark: %.0f s of CPU)"
          % (p["pieces"], a["messages"], a["resent"], len(a["requests"]), len(a["responses"]), p["tshark_cpu_s"]))
else:
    print("DIFFERENT: sipreply %s, tshark %s" % (json.dumps(a), json.dumps(b)))
PY
)
  fi
fi
{
  echo "## sipreply analyze vs tshark"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after."
  echo "Capture: bench/gen_sip_pcap.py, $bytes bytes of SIP over UDP/Ethernet. Counts: $agree."
  echo "sipreply: best of $RUNS runs of \`sipreply analyze --json\` (wall: the best wall time; CPU: user + system of the run with the least); tshark: one run."
  echo
  echo "| program | wall s | MB/s (wall) | CPU s | MB/s (CPU) | peak RSS MB |"
  echo "|---|---:|---:|---:|---:|---:|"
  printf "%s" "$rows"
  echo "$tshark_row"
  echo
  echo "sipreply's peak RSS on a quarter of the capture: $((qk / 1024)) MB. The \`--threads 2\` report is $same_t2 the \`--threads 1\` report."
} | tee "$OUT/analyze.md"
[ "${agree#DIFFERENT}" = "$agree" ] && [ "$same_t2" = "identical to" ]
