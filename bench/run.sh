#!/usr/bin/env bash
# sipreply bench: build the parse benchmark (Release, -O2) in build-bench/, verify the engines
# agree, time them (pinned, median of runs) and count instructions with callgrind.
# usage: bench/run.sh            (make bench calls it after scripts/deps.sh bench)
# env:   RUNS=11 MIN_MS=20 CPU=<last cpu> CG_ITERS=50 CORPUS=bench/corpus BUILD=build-bench
# Writes a Markdown report to stdout and bench/out/results.md (raw data in bench/out/).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-11}
MIN_MS=${MIN_MS:-20}
CPU=${CPU:-$(($(nproc) - 1))}
CG_ITERS=${CG_ITERS:-50}
CORPUS=${CORPUS:-bench/corpus}
BUILD=${BUILD:-build-bench}
CFLAGS_BENCH="-O2 -g -DNDEBUG"
OUT=bench/out
mkdir -p "$OUT"

echo "bench: building $BUILD (Release, $CFLAGS_BENCH)" >&2
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="$CFLAGS_BENCH" \
  -DSR_BENCH=ON -DSR_BUILD_TESTS=OFF >"$OUT/cmake.log" 2>&1 || { cat "$OUT/cmake.log" >&2; exit 1; }
cmake --build "$BUILD" --target parse_bench -j"$(nproc)" >"$OUT/build.log" 2>&1 ||
  { cat "$OUT/build.log" >&2; exit 1; }
BIN=$BUILD/parse_bench
[ -x "$BIN" ] || { echo "bench: $BIN was not built (see $OUT/cmake.log)" >&2; exit 1; }

echo "bench: verifying that every engine reads the same fields" >&2
expect=()
[ "$CORPUS" = bench/corpus ] && expect=(--expect bench/expected.tsv)
if ! "$BIN" --verify "${expect[@]}" "$CORPUS" >"$OUT/verify.txt" 2>&1; then
  cat "$OUT/verify.txt" >&2
  echo "bench: engines disagree; no figures" >&2
  exit 1
fi

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: timing (CPU $CPU, median of $RUNS runs of >= $MIN_MS ms, load average $load)" >&2
"$BIN" --cpu "$CPU" --runs "$RUNS" --min-ms "$MIN_MS" "$CORPUS" >"$OUT/timing.tsv"

command -v valgrind >/dev/null || { echo "bench: valgrind missing (scripts/deps.sh bench)" >&2; exit 1; }
echo "bench: callgrind ($CG_ITERS passes per message, collected in bench_measured_loop only)" >&2
: >"$OUT/instr.tsv"
engines=$("$BIN" --list | cut -f1)
msgs=$(cd "$CORPUS" && find . -maxdepth 1 -type f ! -name '.*' -printf '%f\n' | LC_ALL=C sort)
nmsgs=$(echo "$msgs" | wc -l)
for e in $engines; do
  for m in $msgs ALL; do
    cg="$OUT/callgrind.$e.$m.out"
    args=(--engine "$e" --cpu -1 --callgrind "$CG_ITERS")
    per=$CG_ITERS
    if [ "$m" = ALL ]; then per=$((CG_ITERS * nmsgs)); else args+=(--msg "$m"); fi
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=bench_measured_loop \
      --callgrind-out-file="$cg" "$BIN" "${args[@]}" "$CORPUS" >/dev/null 2>"$OUT/valgrind.log" ||
      { cat "$OUT/valgrind.log" >&2; exit 1; }
    ir=$(awk '/^totals:/ {print $2}' "$cg")
    printf '%s\t%s\t%s\n' "$e" "$m" "$(awk -v ir="$ir" -v n="$per" 'BEGIN {printf "%.0f", ir / n}')" \
      >>"$OUT/instr.tsv"
  done
done

cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
{
  echo "# sipreply parse benchmark"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, ${cpu_model:-unknown CPU}, $(uname -sr)," \
    "$("$cc" --version | head -1), flags \`$CFLAGS_BENCH\`, pinned to CPU $CPU," \
    "median of $RUNS runs of >= $MIN_MS ms, callgrind over $CG_ITERS passes," \
    "load average before timing $load (ns figures are only comparable on a quiet machine)."
  echo "Engines: $("$BIN" --list | awk -F'\t' '{printf "%s%s (%s)", (NR > 1 ? ", " : ""), $1, $2}')."
  echo "Corpus: $CORPUS ($nmsgs messages). Command: \`make bench\` (bench/run.sh)."
  echo
  echo "| engine | ns/message | MB/s | instructions/message | ns vs sofia | instr. vs sofia |"
  echo "|---|---:|---:|---:|---:|---:|"
  awk -F'\t' '
    FNR == NR { ir[$1 "/" $2] = $3; next }
    /^#/ || $2 != "ALL" { next }
    { e[++n] = $1; ns[$1] = $4; mb[$1] = $5 }
    END {
      for (i = 1; i <= n; i++) {
        x = e[i]
        rn = ("sofia" in ns) ? sprintf("%.2fx", ns["sofia"] / ns[x]) : "-"
        ri = (("sofia/ALL") in ir) ? sprintf("%.2fx", ir["sofia/ALL"] / ir[x "/ALL"]) : "-"
        printf "| %s | %.0f | %.0f | %d | %s | %s |\n", x, ns[x], mb[x], ir[x "/ALL"], rn, ri
      }
    }' "$OUT/instr.tsv" "$OUT/timing.tsv"
  echo
  echo "(\"vs sofia\": how many times fewer than Sofia-SIP; above 1 is faster.)"
  echo
  echo "| engine | message | bytes | ns/message | MB/s | instructions/message |"
  echo "|---|---|---:|---:|---:|---:|"
  awk -F'\t' '
    FNR == NR { ir[$1 "/" $2] = $3; next }
    /^#/ { next }
    { printf "| %s | %s | %d | %.0f | %.0f | %d |\n", $1, $2, $3, $4, $5, ir[$1 "/" $2] }
  ' "$OUT/instr.tsv" "$OUT/timing.tsv"
} >"$OUT/results.md"
cat "$OUT/results.md"

# the capture analysis row (issue #15): sipreply analyze against tshark on a generated capture
bash bench/analyze.sh
