#!/usr/bin/env bash
# sipreply interop: RTP echo (RFC 3550) checked by SIPp and tshark. SIPp calls a sipreplyd rule
# in media `echo` mode and plays the G.711 A-law RTP of the pcap it ships (g711a.pcap, 236
# packets); the loopback is captured (filtered on sipreplyd's RTP port, bounded) and tshark's
# `-z rtp,streams` must show the echoed stream with every packet, no loss and no sequence or
# timestamp problem; tshark's fields then show our own SSRC, consecutive sequence numbers and
# the timestamps spaced as SIPp's were (RFC 3550 §5.1). sipreplyd's end line must agree.
# sipreplyd's RTP port is pinned to one pair the kernel gave (then released): when another
# process takes it meanwhile the call gets no media and the run is tried again (5 times).
# usage: test_sipp_rtp.sh SIPREPLYD SRCDIR
set -u
daemon=$1
src=$2
. "$src/tests/interop/lib.sh"

io_need sipp tshark dumpcap
pcap=$(dpkg -L sip-tester 2>/dev/null | grep '/g711a\.pcap$' | head -1)
[ -n "$pcap" ] || pcap=/usr/share/sip-tester/g711a.pcap
[ -r "$pcap" ] || io_skip "SIPp's g711a.pcap not found (Debian package sip-tester)"
io_can_capture || io_skip "cannot capture on lo as $(id -un)"
sed "s|@PCAP@|$pcap|" "$IO_DIR/sipp/uac_pcap_echo.xml" >"$IO_TMP/uac_pcap_echo.xml"
npk=$(tshark -n -r "$pcap" -Y rtp -d udp.port==0,rtp -o rtp.heuristic_rtp:TRUE 2>/dev/null | wc -l)
[ "$npk" -gt 100 ] || { io_fail "the pcap holds $npk RTP packets"; io_done; }

# an even port whose neighbour is free too, both released for sipreplyd to bind
pick_pair() {
    python3 - <<'PY'
import socket
for _ in range(100):
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", 0))
    p = a.getsockname()[1]
    if p % 2 or p >= 65535:
        continue
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        b.bind(("127.0.0.1", p + 1))
    except OSError:
        continue
    print(p); break
PY
}

for try in 1 2 3 4 5; do
    P=$(pick_pair)
    cat >"$IO_TMP/echo.yaml" <<YAML
media: {ports: $P-$((P + 1)), timeout: 30s}
rules:
  - name: echo
    match: {user: echo}
    media: echo
    respond: [{code: 200}]
  # the BYE goes to our Contact (no user part): answered here
  - name: bye
    match: {method: BYE}
    respond: [{code: 200}]
YAML
    : >"$IO_TMP/daemon.log"
    io_start_daemon "$daemon" "$IO_TMP/echo.yaml" --log-level info || io_done
    io_capture_start "$P" || io_done
    io_sipp "127.0.0.1:$IO_UDP_PORT" -sf "$IO_TMP/uac_pcap_echo.xml" -t u1 -i 127.0.0.1 \
        -mi 127.0.0.1 -m 1 -l 1 -timeout 40s -timeout_error -nostdin \
        -trace_err -error_file "$IO_TMP/sipp_err.log"
    rc=$?
    io_capture_stop
    io_stop_daemon
    grep -q "rule=echo echo on 127.0.0.1:$P," "$IO_TMP/daemon.log" && break
    echo "interop: port pair $P taken before sipreplyd bound it (try $try)"
    grep -E "media" "$IO_TMP/daemon.log" | head -3
    rc=99
done
if [ "$rc" -eq 0 ]; then io_ok "sipp uac_pcap_echo: exit 0"; else
    io_fail "sipp uac_pcap_echo: exit status $rc"
    io_show "$IO_TMP/sipp_err.log" 20
    io_show "$IO_TMP/sipp.log" 20
fi

# tshark's RTP stream analysis: two streams, SIPp's and the echo, each of every packet
tshark -n -r "$IO_PCAP" -d "udp.port==$P,rtp" -q -z rtp,streams >"$IO_TMP/streams.txt" 2>&1
sed 's/^/  | /' "$IO_TMP/streams.txt" | grep -vE '^  \| *$' | tail -8
python3 - "$IO_TMP/streams.txt" "$P" "$npk" <<'PY'
import re, sys
text, port, npk = open(sys.argv[1]).read(), sys.argv[2], int(sys.argv[3])
rows = []
for line in text.splitlines():
    f = line.split()
    # Start, End, Src IP, port, Dst IP, port, SSRC, Payload, Pkts, Lost (pct), deltas...
    i = next((k for k, x in enumerate(f) if re.fullmatch(r"0x[0-9A-Fa-f]+", x)), None)
    if i is not None and i >= 3:
        m = re.search(r"\s(\d+)\s+(-?\d+)\s+\((-?[\d.]+)%\)", line)
        rows.append({"src": f[i - 3], "dst": f[i - 1], "ssrc": f[i], "pkts": int(m.group(1)),
                     "lost": int(m.group(2)), "problem": line.rstrip().endswith("X"), "line": line})
echo = [r for r in rows if r["src"] == port]
sent = [r for r in rows if r["dst"] == port]
ok = True
def check(cond, msg):
    global ok
    print(("ok: " if cond else "FAIL: ") + msg)
    ok = ok and cond
check(len(sent) == 1 and sent[0]["pkts"] == npk, f"tshark: SIPp's stream to port {port}: {sent[0]['pkts'] if sent else 0} packets (the pcap's {npk})")
check(len(echo) == 1, f"tshark: {len(echo)} stream(s) from sipreplyd's port {port}")
if echo:
    e = echo[0]
    check(e["pkts"] == npk, f"tshark: the echo has {e['pkts']} packets, want {npk}")
    check(e["lost"] == 0, f"tshark: the echo lost {e['lost']} packets")
    check(not e["problem"], "tshark: no sequence or timestamp problem flagged in the echo")
    check(not sent or e["ssrc"] != sent[0]["ssrc"], f"the echo has its own SSRC ({e['ssrc']}, SIPp's {sent[0]['ssrc'] if sent else '-'})")
sys.exit(0 if ok else 1)
PY
[ $? -eq 0 ] || IO_FAILS=$((IO_FAILS + 1))

# field by field: the echo's sequence numbers are consecutive, its timestamps spaced as SIPp's
tshark -n -r "$IO_PCAP" -d "udp.port==$P,rtp" -Y rtp -T fields -e udp.srcport -e rtp.seq \
    -e rtp.timestamp -e rtp.ssrc >"$IO_TMP/rtp.tsv" 2>/dev/null
python3 - "$IO_TMP/rtp.tsv" "$P" <<'PY'
import sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines() if l.strip()]
port = sys.argv[2]
echo = [(int(s), int(t)) for p, s, t, _ in rows if p == port]
orig = [(int(s), int(t)) for p, s, t, _ in rows if p != port]
bad = [i for i in range(1, len(echo)) if (echo[i][0] - echo[i - 1][0]) & 0xFFFF != 1]
print(("ok: " if echo and not bad else "FAIL: ") +
      f"the echo's {len(echo)} sequence numbers are consecutive ({len(bad)} breaks)")
d_e = [(echo[i][1] - echo[0][1]) & 0xFFFFFFFF for i in range(len(echo))]
d_o = [(orig[i][1] - orig[0][1]) & 0xFFFFFFFF for i in range(len(orig))]
same = d_e == d_o
print(("ok: " if same else "FAIL: ") + "the echo's timestamps are spaced as SIPp's " +
      f"(last offset {d_e[-1] if d_e else '-'} / {d_o[-1] if d_o else '-'})")
sys.exit(0 if echo and not bad and same else 1)
PY
[ $? -eq 0 ] || IO_FAILS=$((IO_FAILS + 1))

# sipreplyd's own account of the call
if grep -qE "media end: .* rule=echo echo port $P .* sent $npk received $npk lost 0 .*\(BYE" "$IO_TMP/daemon.log"; then
    io_ok "sipreplyd: $(grep -o 'sent [0-9]* received [0-9]* lost [0-9]* jitter [0-9.]*ms' "$IO_TMP/daemon.log")"
else
    io_fail "sipreplyd's end line: $(grep 'media end' "$IO_TMP/daemon.log")"
fi
io_done
