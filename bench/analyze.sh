#!/usr/bin/env bash
# sipreply bench: `sipreply analyze` against `tshark -q -z sip,stat` on the same generated
# capture of SIP traffic (bench/gen_sip_pcap.py, SIZE_MB, default 1000 = 1 GB). Both must count
# the same messages; reports wall time, throughput and peak memory of each, and sipreply's
# peak memory on a quarter of the capture too (memory must not grow with the capture).
# usage: bench/analyze.sh   (the end of `make bench`; ANALYZE_TSHARK=0 skips tshark)
# env:   SIZE_MB=1000 BUILD=build-bench RUNS=3 TSHARK_TIMEOUT=1800
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

# run LIMIT_S CMD...: "seconds peak_rss_kB" of one run (its standard output in $OUT/run.out),
# or "-1 0" when it did not finish within LIMIT_S seconds
run() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
with open("bench/out/run.out", "wb") as f:
    try:
        subprocess.run(sys.argv[2:], stdout=f, stderr=subprocess.DEVNULL, check=True,
                       timeout=float(sys.argv[1]))
    except subprocess.TimeoutExpired:
        print("-1 0")
        sys.exit(0)
print("%.3f %d" % (time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
}
bytes=$(stat -c %s "$cap")
best=""
for _ in $(seq "$RUNS"); do
  r=$(run 3600 "$bin" analyze --json --no-progress "$cap")
  if [ -z "$best" ] || awk -v a="${r%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then best=$r; fi
done
ours_msgs=$(python3 -c 'import json; d = json.load(open("bench/out/run.out")); print(d["sip"]["messages"], d["sip"]["resent"])')
q=$(run 3600 "$bin" analyze --json --no-progress "$quarter")
tshark_line="| tshark -q -z sip,stat | not run (ANALYZE_TSHARK=0) | | | |"
agree="not checked"
if [ "${ANALYZE_TSHARK:-1}" != 0 ]; then
  # tshark's time grows faster than the capture (docs/performance.md): bounded by
  # TSHARK_TIMEOUT seconds (default 1800), after which its row says so
  lim=${TSHARK_TIMEOUT:-1800}
  t=$(run "$lim" tshark -n -q -o tcp.reassemble_out_of_order:TRUE -z sip,stat -r "$cap")
  if [ "${t%% *}" = -1 ]; then
    agree="not checked (tshark did not finish)"
    tshark_line="| tshark -q -z sip,stat | > $lim (stopped) | < $((bytes / lim / 1000000)) | | sipreply is more than $(awk -v l="$lim" -v o="${best%% *}" 'BEGIN { printf "%.0f", l / o }')x faster |"
  else
    theirs=$(awk '/Number of SIP messages:/ {m = $5} /Number of resent SIP messages:/ {r = $6} END {print m, r}' "$OUT/run.out")
    if [ "$theirs" = "$ours_msgs" ]; then agree="equal ($ours_msgs messages, resent)"; else
      agree="DIFFERENT: sipreply $ours_msgs, tshark $theirs"; fi
    tshark_line=$(awk -v s="${t%% *}" -v k="${t##* }" -v b="$bytes" -v o="${best%% *}" 'BEGIN {
      printf "| tshark -q -z sip,stat | %.1f | %.0f | %.0f | sipreply is %.1fx faster |", s, b / s / 1e6, k / 1024, s / o }')
  fi
fi
{
  echo "## sipreply analyze vs tshark"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Capture: bench/gen_sip_pcap.py, $bytes bytes of SIP over UDP/Ethernet. Counts: $agree."
  echo "sipreply: best of $RUNS runs of \`sipreply analyze --json\`; tshark: one run."
  echo
  echo "| program | seconds | MB/s | peak RSS MB | |"
  echo "|---|---:|---:|---:|---|"
  awk -v s="${best%% *}" -v k="${best##* }" -v b="$bytes" -v qk="${q##* }" 'BEGIN {
    printf "| sipreply analyze | %.2f | %.0f | %.0f | %.0f MB RSS on a quarter of the capture |\n", s, b / s / 1e6, k / 1024, qk / 1024 }'
  echo "$tshark_line"
} | tee "$OUT/analyze.md"
[ "${agree#DIFFERENT}" = "$agree" ]
