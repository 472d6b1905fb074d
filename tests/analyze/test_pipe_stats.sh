#!/usr/bin/env bash
# sipreply analyze --pipe-stats: with two and three threads, one line per thread on standard
# error (the accountant's counts every message of the capture), and the report on standard
# output the one without it, byte for byte; with one thread (no pipeline) nothing is said.
# usage: test_pipe_stats.sh SIPREPLY SRCDIR
set -u
cli=$1
src=$2
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is not installed (make deps-test)"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sr-pipe-stats.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

python3 "$src/bench/gen_sip_pcap.py" 3 "$tmp/gen3.pcap" >/dev/null || { echo "FAIL: gen_sip_pcap.py"; exit 1; }
"$cli" analyze --json --no-progress --threads 1 "$tmp/gen3.pcap" >"$tmp/t1.out" 2>/dev/null
msgs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sip"]["messages"])' "$tmp/t1.out")
[ -n "$msgs" ] && [ "$msgs" -gt 0 ] || fail "no messages in the report"
for t in 2 3; do
    "$cli" analyze --json --no-progress --threads $t --pipe-stats "$tmp/gen3.pcap" >"$tmp/p.out" 2>"$tmp/p.err"
    lines=$(grep -c '^pipe-stats: thread ' "$tmp/p.err")
    if ! cmp -s "$tmp/t1.out" "$tmp/p.out"; then
        fail "--threads $t --pipe-stats: the report differs"
    elif [ "$lines" != "$t" ] || [ "$(wc -l <"$tmp/p.err")" != "$t" ]; then
        fail "--threads $t --pipe-stats: $lines thread lines: $(cat "$tmp/p.err")"
    elif ! grep -q "^pipe-stats: thread account: wall [0-9.]* s, cpu [0-9.]* s; account [0-9.]* s ([0-9]* batches, $msgs messages)" "$tmp/p.err"; then
        fail "--threads $t --pipe-stats: the accountant does not count the $msgs messages: $(cat "$tmp/p.err")"
    else
        echo "ok: --threads $t --pipe-stats: $lines lines, report unchanged"
    fi
done
"$cli" analyze --json --no-progress --threads 1 --pipe-stats "$tmp/gen3.pcap" >"$tmp/p.out" 2>"$tmp/p.err"
if cmp -s "$tmp/t1.out" "$tmp/p.out" && [ ! -s "$tmp/p.err" ]; then
    echo "ok: --threads 1 --pipe-stats: nothing said, report unchanged"
else
    fail "--threads 1 --pipe-stats: $(cat "$tmp/p.err")"
fi
[ "$fails" = 0 ] || exit 1
