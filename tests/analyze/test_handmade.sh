#!/usr/bin/env bash
# sipreply analyze: hand-made captures (tests/analyze/mkpcap.py) of one call flow under every
# encapsulation; counts must equal tshark -z sip,stat and the figures the known answers of
# tests/analyze/expected.json. Also stdin, --csv, the text report and bad input.
# usage: test_handmade.sh SIPREPLY SRCDIR
set -u
cli=$1
src=$2
for t in tshark python3; do
    command -v $t >/dev/null 2>&1 || { echo "SKIP: $t is not installed (make deps-test)"; exit 77; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sr-analyze.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

python3 "$src/tests/analyze/mkpcap.py" "$tmp/caps" || { echo "FAIL: mkpcap.py"; exit 1; }
for f in "$tmp"/caps/*; do
    expect=(--expect "$src/tests/analyze/expected.json")
    [ "${f##*/}" = long.pcap ] && expect=() # the flow twice: other totals
    timeout 120 python3 "$src/tests/analyze/compare.py" "$cli" "$f" "${expect[@]}" ||
        fails=$((fails + 1))
done

# the RFC 6076 metrics on calls ended by chosen codes at chosen times (tests/analyze/mkmetrics.py),
# against the values computed by hand in expected_metrics.json
python3 "$src/tests/analyze/mkmetrics.py" "$tmp/metrics.pcap" || fail "mkmetrics.py"
timeout 120 python3 "$src/tests/analyze/compare.py" "$cli" "$tmp/metrics.pcap" \
    --expect "$src/tests/analyze/expected_metrics.json" || fails=$((fails + 1))

# the long capture: twice the calls, and a timeline whose buckets widened without losing any
"$cli" analyze --json "$tmp/caps/long.pcap" | python3 -c '
import json, sys
d = json.load(sys.stdin)
t = d["timeline"]
total = sum(sum(v) for k, v in t.items() if k.endswith("xx"))
ok = d["calls"]["total"] == 12 and total == sum(d["sip"]["responses"].values()) and t["bucket_s"] >= 8 and len(t["1xx"]) <= 240
print(("ok" if ok else "FAIL") + ": long capture: %d calls, %d responses in %d buckets of %g s" % (d["calls"]["total"], total, len(t["1xx"]), t["bucket_s"]))
sys.exit(0 if ok else 1)' || fails=$((fails + 1))

# a Call-ID used again on the same addresses: 300 s later the retransmission state of each
# path is still there (12 resent, as tshark counts them); 1000 s later it is forgotten
# (after 10 minutes of capture time): each copy counts only its own resent INVITE
python3 - "$src/tests/analyze" "$tmp" <<'PY' || fail "reuse captures"
import os, sys
sys.path.insert(0, sys.argv[1])
import mkpcap as M
v4 = M.l3_udp()
for gap in (300, 1000):
    M.write_pcap(os.path.join(sys.argv[2], "reuse%d.pcap" % gap), 101, v4 + M.l3_udp(shift=float(gap)))
PY
for want in "300 12" "1000 2"; do
    set -- $want
    n=$("$cli" analyze --json "$tmp/reuse$1.pcap" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sip"]["resent"])')
    [ "$n" = "$2" ] && echo "ok: Call-IDs again after $1 s: $n resent" || fail "Call-IDs again after $1 s: $n resent, want $2"
done

# standard input, several files at once (counts add up)
n=$("$cli" analyze --json - <"$tmp/caps/eth_udp.pcap" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sip"]["messages"])')
[ "$n" = 41 ] && echo "ok: stdin: 41 messages" || fail "stdin: $n messages, want 41"
n=$("$cli" analyze --json "$tmp/caps/eth_udp.pcap" "$tmp/caps/vlan.pcap" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sip"]["messages"])')
[ "$n" = 82 ] && echo "ok: two files: 82 messages" || fail "two files: $n messages, want 82"

# --csv: a header and one row per call, the busy one with its code and sender
"$cli" analyze --csv "$tmp/caps/eth_udp.pcap" >"$tmp/calls.csv"
rows=$(($(wc -l <"$tmp/calls.csv") - 1))
[ "$rows" = 6 ] && echo "ok: csv: 6 calls" || fail "csv: $rows rows, want 6"
grep -q '^"callB@x",.*,486,192.0.2.5:5060,' "$tmp/calls.csv" && echo "ok: csv: call B 486 from 192.0.2.5:5060" ||
    fail "csv: no 486 row for callB@x"

# the text report names the figures, the 405 finding with its RFC section, the hang-ups
"$cli" analyze "$tmp/caps/eth_udp.pcap" >"$tmp/report.txt" 2>&1
for want in "SIP messages: 41 (1 resent)" "Session Establishment Ratio (SER)            40.00 %" \
    "R-RESP-CODE-HEADER, 1 time, RFC 3261 §21" "405 Method Not Allowed" "callee" "caller"; do
    grep -qF -- "$want" "$tmp/report.txt" && echo "ok: text: $want" || fail "text report lacks: $want"
done

# messages that do not parse are counted (as tshark counts them) and reported per sender
"$cli" analyze "$tmp/caps/garbage.pcap" >"$tmp/garbage.txt" 2>&1
for want in "SIP messages: 50 (1 resent), 9 that did not parse" \
    "192.0.2.7:5060: MUST R-MSG-SYNTAX, 9 times"; do
    grep -qF -- "$want" "$tmp/garbage.txt" && echo "ok: garbage: $want" || fail "garbage report lacks: $want"
done

# --no-lint: the same counts and figures, no conformance findings but the parse errors
"$cli" analyze --json --no-progress "$tmp/caps/garbage.pcap" >"$tmp/lint.json"
"$cli" analyze --json --no-progress --no-lint "$tmp/caps/garbage.pcap" >"$tmp/nolint.json"
python3 -c '
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
rules = lambda d: sorted({f["rule"] for f in d["conformance"]})
ok = (a["sip"] == b["sip"] and a["metrics"] == b["metrics"] and a["calls"] == b["calls"]
      and "conformance_checked" not in a and b["conformance_checked"] is False
      and len(rules(a)) > 1 and rules(b) == ["R-MSG-SYNTAX"])
print(("ok" if ok else "FAIL") + ": --no-lint: same counts and figures; rules %s instead of %s" % (rules(b), rules(a)))
sys.exit(0 if ok else 1)' "$tmp/lint.json" "$tmp/nolint.json" || fails=$((fails + 1))

# --threads 2 (reading, decoding, parsing and linting requests on a second thread) gives the
# report of --threads 1 byte for byte: every capture, every output, with and without lint;
# also a generated capture of 3 MB (about 8,000 messages: many batches, the ring of batches
# wrapping around) and two files read one after the other
python3 "$src/bench/gen_sip_pcap.py" 3 "$tmp/gen3.pcap" >/dev/null || fail "gen_sip_pcap.py"
same=0
for f in "$tmp"/caps/* "$tmp/metrics.pcap" "$tmp/gen3.pcap" "$tmp/gen3.pcap $tmp/caps/vlan.pcap"; do
    for mode in --json --csv --text "--json --no-lint"; do
        m=$mode
        [ "$m" = --text ] && m=
        # shellcheck disable=SC2086 # $f: one or two files, $m: options
        "$cli" analyze $m --no-progress --threads 1 $f >"$tmp/t1.out" 2>"$tmp/t1.err"
        r1=$?
        # shellcheck disable=SC2086
        "$cli" analyze $m --no-progress --threads 2 $f >"$tmp/t2.out" 2>"$tmp/t2.err"
        r2=$?
        if [ "$r1" = "$r2" ] && [ -s "$tmp/t1.out" ] && cmp -s "$tmp/t1.out" "$tmp/t2.out" &&
            cmp -s "$tmp/t1.err" "$tmp/t2.err"; then
            same=$((same + 1))
        else
            fail "--threads 2 differs from --threads 1: $mode ${f##*/} (exit $r1/$r2)"
        fi
    done
done
[ "$same" -gt 0 ] && echo "ok: --threads 2: $same reports identical to --threads 1"
# the lint cache (a memo of syntax checks by exact bytes) changes no finding: every capture,
# every output, without it, with a 4 KiB one (16 entries: evicting all the time) and with
# the default, on one thread and two; its statistics go to standard error only when asked
same=0
for f in "$tmp"/caps/* "$tmp/metrics.pcap" "$tmp/gen3.pcap" "$tmp/gen3.pcap $tmp/caps/vlan.pcap"; do
    for mode in --json --csv --text; do
        m=$mode
        [ "$m" = --text ] && m=
        # shellcheck disable=SC2086 # $f: one or two files, $m: options
        "$cli" analyze $m --no-progress --lint-cache 0 $f >"$tmp/c0.out" 2>"$tmp/c0.err"
        r0=$?
        for lc in "--lint-cache 4" "--lint-cache 1024 --threads 2" ""; do
            # shellcheck disable=SC2086
            "$cli" analyze $m --no-progress $lc $f >"$tmp/c1.out" 2>"$tmp/c1.err"
            r1=$?
            if [ "$r0" = "$r1" ] && [ -s "$tmp/c0.out" ] && cmp -s "$tmp/c0.out" "$tmp/c1.out" &&
                cmp -s "$tmp/c0.err" "$tmp/c1.err"; then
                same=$((same + 1))
            else
                fail "--lint-cache: $lc differs from --lint-cache 0: $mode ${f##*/} (exit $r0/$r1)"
            fi
        done
    done
done
[ "$same" -gt 0 ] && echo "ok: --lint-cache: $same reports identical to --lint-cache 0"
st=$("$cli" analyze --json --no-progress --lint-cache 4 --lint-cache-stats "$tmp/gen3.pcap" 2>&1 >/dev/null)
case $st in
*"lookups"*"hits"*"evictions"*) echo "ok: --lint-cache-stats: $st" ;;
*) fail "--lint-cache-stats: '$st'" ;;
esac
"$cli" analyze --lint-cache 2 "$tmp/gen3.pcap" >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && echo "ok: --lint-cache 2: exit 2" || fail "--lint-cache 2: exit $rc"
# three threads (two parse at once), and the default, on the many-batch capture and two files
same=0
for f in "$tmp/gen3.pcap" "$tmp/gen3.pcap $tmp/caps/vlan.pcap"; do
    for mode in --json --csv "--json --no-lint"; do
        # shellcheck disable=SC2086
        "$cli" analyze $mode --no-progress --threads 1 $f >"$tmp/t1.out" 2>&1
        for t in "--threads 3" ""; do
            # shellcheck disable=SC2086
            "$cli" analyze $mode --no-progress $t $f >"$tmp/t3.out" 2>&1
            if [ -s "$tmp/t1.out" ] && cmp -s "$tmp/t1.out" "$tmp/t3.out"; then
                same=$((same + 1))
            else
                fail "${t:-the default} differs from --threads 1: $mode ${f##*/}"
            fi
        done
    done
done
[ "$same" = 12 ] && echo "ok: --threads 3 and the default: $same reports identical to --threads 1"
# 60 captures mutated at random (a fixed seed: bytes changed, a record's length or the snap
# length set to edge values, files cut short) read as files and from standard input: the
# same report, error and exit status (the direct reading is libpcap's wherever it matters)
python3 - "$cli" "$tmp/caps" "$tmp" <<'PY' || fail "mutated captures: the file and standard input differ"
import random, struct, subprocess, sys
cli, caps, tmp = sys.argv[1:4]
random.seed(7)
bases = [open(caps + "/" + n, "rb").read() for n in ("eth_udp.pcap", "tcp.pcap", "frag_ipv4.pcap")]
bad = 0
for it in range(60):
    base = bases[it % 3]
    b = bytearray(base)
    k = it % 4
    if k == 0:
        for _ in range(random.randint(1, 6)):
            b[random.randrange(len(b))] = random.randrange(256)
    elif k == 1:
        off, recs = 24, []
        while off + 16 <= len(base):
            recs.append(off)
            off += 16 + struct.unpack_from("<I", base, off + 8)[0]
        struct.pack_into("<I", b, random.choice(recs) + 8,
                         random.choice([0, 15, 16, 262144, 262145, 0xFFFFFFFF, random.randrange(2000)]))
    elif k == 2:
        b = b[:random.randrange(24, len(b))]
    else:
        struct.pack_into("<I", b, 16, random.choice([0, 1, 100, 65535, 262144, 262145, 0xFFFFFFFF]))
    path = tmp + "/mut.pcap"
    open(path, "wb").write(b)
    r1 = subprocess.run([cli, "analyze", "--json", "--no-progress", path], capture_output=True)
    with open(path, "rb") as f:
        r2 = subprocess.run([cli, "analyze", "--json", "--no-progress", "-"], stdin=f, capture_output=True)
    if (r1.returncode, r1.stdout, r1.stderr.replace(path.encode(), b"-")) != (r2.returncode, r2.stdout, r2.stderr):
        bad += 1
        print("mutation %d differs" % it)
print(("ok" if bad == 0 else "FAIL") + ": 60 mutated captures: file and standard input alike")
sys.exit(1 if bad else 0)
PY

# messages larger than a batch's share (they are copied on their own): 300 KB MESSAGEs over
# TCP between small ones, in 1400-byte segments; the same report with 1 and 2 threads
python3 - "$src/tests/analyze" "$tmp/bigtcp.pcap" <<'PY' || fail "bigtcp capture"
import sys
sys.path.insert(0, sys.argv[1])
import mkpcap as M
a, b = M.CALLER, M.CALLEE
pk, seq, t = [(M.T0, M.ip4(a[0], b[0], 6, M.tcp(40000, 5060, 999, b"", 0x02)))], 1000, M.T0
for i in range(6):
    body = "x" * (300000 if i % 2 else 100)
    data = M.req("MESSAGE", "sip:b@x", "big%d@x" % i, 1, "big%d" % i, "ft", body=body)
    for o in range(0, len(data), 1400):
        t += 0.001
        pk.append((t, M.ip4(a[0], b[0], 6, M.tcp(40000, 5060, seq + o, data[o:o + 1400]))))
    seq += len(data)
M.write_pcap(sys.argv[2], 1, [(tt, M.eth(p, 0x0800)) for tt, p in pk])
PY
"$cli" analyze --json --no-progress --threads 1 "$tmp/bigtcp.pcap" >"$tmp/b1.out" 2>&1
"$cli" analyze --json --no-progress --threads 2 "$tmp/bigtcp.pcap" >"$tmp/b2.out" 2>&1
n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sip"]["messages"])' "$tmp/b1.out" 2>/dev/null)
[ "$n" = 6 ] && cmp -s "$tmp/b1.out" "$tmp/b2.out" && echo "ok: 300 KB messages over TCP: 6 messages, --threads 2 identical" ||
    fail "300 KB messages over TCP: $n messages, or --threads 2 differs"
for t in 0 17 x; do
    "$cli" analyze --threads $t "$tmp/gen3.pcap" >/dev/null 2>&1; rc=$?
    [ "$rc" = 2 ] && echo "ok: --threads $t: exit 2" || fail "--threads $t: exit $rc"
done

# classic pcap files are read without libpcap's stdio (analyze_input.c) unless they are in
# the other byte order or a record is odd: microsecond and big-endian files, a snap length
# shorter than a record (libpcap cuts it), a file cut inside a record (libpcap's error) and
# a record longer than 262144 bytes give what libpcap gives reading standard input
python3 - "$tmp/gen3.pcap" "$tmp" <<'PY' || fail "pcap variants"
import struct, sys
src, out = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
magic, ma, mi, tz, sf, snap, lt = struct.unpack("<IHHiIII", data[:24])
recs, off = [], 24
while off + 16 <= len(data):
    s, f, cl, ol = struct.unpack("<IIII", data[off:off + 16])
    recs.append((s, f, data[off + 16:off + 16 + cl], ol))
    off += 16 + cl
nsec = magic == 0xa1b23c4d
def write(name, end, usec, snaplen, cut=None, huge=False):
    b = bytearray(struct.pack(end + "IHHiIII", 0xa1b2c3d4 if usec else 0xa1b23c4d, 2, 4, 0, 0, snaplen, lt))
    for i, (s, f, p, ol) in enumerate(recs):
        frac = (f // 1000 if nsec else f) if usec else (f if nsec else f * 1000)
        if huge and i == len(recs) // 2:
            b += struct.pack(end + "IIII", s, frac, 300000, 300000) + b"\0" * 300000
        b += struct.pack(end + "IIII", s, frac, len(p), ol) + p
    if cut:
        b = b[:cut]
    open(out + "/" + name, "wb").write(bytes(b))
write("usec.pcap", "<", True, 262144)
write("big.pcap", ">", False, 262144)
write("snap.pcap", "<", False, 300)
write("cut.pcap", "<", False, 262144, cut=len(data) // 2 + 7)
write("huge.pcap", "<", False, 262144, huge=True)
PY
for v in usec big snap cut huge; do
    "$cli" analyze --json --no-progress "$tmp/$v.pcap" >"$tmp/v_file.out" 2>"$tmp/v_file.err"
    "$cli" analyze --json --no-progress - <"$tmp/$v.pcap" >"$tmp/v_stdin.out" 2>"$tmp/v_stdin.err"
    sed -i "s|$tmp/$v.pcap|-|" "$tmp/v_file.err"
    if [ -s "$tmp/v_file.out" ] && cmp -s "$tmp/v_file.out" "$tmp/v_stdin.out" &&
        cmp -s "$tmp/v_file.err" "$tmp/v_stdin.err"; then
        echo "ok: $v.pcap: read directly as libpcap reads it ($(wc -c <"$tmp/v_file.err") bytes on stderr)"
    else
        fail "$v.pcap: the file and standard input differ"
    fi
done
n=$("$cli" analyze --json --threads 2 "$tmp/gen3.pcap" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sip"]["messages"])')
[ "$n" -gt 4096 ] && echo "ok: --threads 2: $n messages (more than 4 batches)" || fail "--threads 2: $n messages"

# bad input: a missing file, a file that is not a capture, no input, --json with --csv
"$cli" analyze "$tmp/none.pcap" >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && echo "ok: missing file: exit 2" || fail "missing file: exit $rc"
printf 'not a capture' >"$tmp/junk"
"$cli" analyze "$tmp/junk" >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && echo "ok: not a capture: exit 2" || fail "not a capture: exit $rc"
"$cli" analyze >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && echo "ok: no input: exit 2" || fail "no input: exit $rc"
"$cli" analyze --json --csv "$tmp/junk" >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && echo "ok: --json --csv: exit 2" || fail "--json --csv: exit $rc"
"$cli" analyze --help | grep -q -- "--csv" && echo "ok: --help" || fail "--help"

[ "$fails" -eq 0 ] && { echo "analyze: all checks passed"; exit 0; }
echo "analyze: $fails check(s) failed"
exit 1
