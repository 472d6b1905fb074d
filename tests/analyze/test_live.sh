#!/usr/bin/env bash
# sipreply analyze on live loopback traffic: SIPp calls sipreplyd over UDP (with 5 % loss,
# so retransmissions happen) and TCP, dumpcap captures it, and `sipreply analyze` must count
# exactly what tshark -z sip,stat counts. The daemon binds UDP and TCP on port 0 and the
# ports it got (one each) are read from its --port-file; SIPp's own ports are its choice.
# usage: test_live.sh SIPREPLYD SIPREPLY SRCDIR
set -u
daemon=$1
cli=$2
src=$3
. "$src/tests/interop/lib.sh"

io_need sipp tshark python3
io_can_capture || io_skip "dumpcap cannot capture on lo as $(id -un)"
io_start_daemon "$daemon" "" || io_done
uport=$IO_UDP_PORT
tport=$IO_TCP_PORT
# io_capture_start splices its argument into "port $1 or ...": both of the daemon's ports
io_capture_start "$uport or port $tport" || io_done
# sipreply analyze -i captures the same traffic live; it says when it has started
"$cli" analyze --json -i lo -f "port $uport or port $tport" >"$IO_TMP/live.json" 2>"$IO_TMP/live.err" &
live_pid=$!
IO_PIDS="$IO_PIDS $live_pid"
for _ in $(seq 100); do grep -q "capturing on lo" "$IO_TMP/live.err" && break; sleep 0.05; done
grep -q "capturing on lo" "$IO_TMP/live.err" || io_fail "sipreply analyze -i lo did not start"

# SIPp to the daemon's UDP port (u1) or TCP port (t1); io_sipp leaves its ports to SIPp
run_sipp() { # SCENARIO u1|t1 CALLS [extra args]
    local scen=$1 t=$2 calls=$3 port=$uport
    shift 3
    [ "$t" = t1 ] && port=$tport
    io_sipp "127.0.0.1:$port" -sf "$src/tests/interop/sipp/$scen.xml" -t "$t" -i 127.0.0.1 \
        -m "$calls" -r 20 -l "$calls" -timeout 60s -timeout_error -nostdin "$@"
    local rc=$?
    cp "$IO_TMP/sipp.log" "$IO_TMP/sipp_${scen}_$t.log"
    if [ "$rc" -eq 0 ]; then io_ok "sipp $scen $t to port $port: $calls calls"; else
        io_fail "sipp $scen $t exit status $rc"; io_show "$IO_TMP/sipp_${scen}_$t.log" 15; fi
}
run_sipp uac_180_200 u1 10
run_sipp uac_486 u1 10
run_sipp uac_options u1 5
run_sipp uac_180_200 u1 10 -lost 5
run_sipp uac_180_200 t1 10
io_capture_stop
io_stop_daemon
# the live analysis: stopped by SIGINT once dumpcap has everything, it reports what it saw
sleep 1
kill -INT "$live_pid"
for _ in $(seq 100); do kill -0 "$live_pid" 2>/dev/null || break; sleep 0.05; done
wait "$live_pid"
rc=$?
[ "$rc" = 0 ] && io_ok "sipreply analyze -i lo: exit 0 on SIGINT" || io_fail "sipreply analyze -i lo: exit $rc"

# tshark dissects the daemon's ports as SIP (SIP on TCP is recognised by its heuristics only
# on 5060); sipreply recognises SIP by content on any port
if timeout 120 python3 "$src/tests/analyze/compare.py" "$cli" "$IO_PCAP" \
    --tshark-opt "-d udp.port==$uport,sip" --tshark-opt "-d tcp.port==$tport,sip"; then
    io_ok "analyze agrees with tshark on the live capture"
else
    io_fail "analyze and tshark disagree on the live capture"
    cp "$IO_PCAP" "$IO_TMP/kept.pcapng"
fi
n=$("$cli" analyze --json "$IO_PCAP" | python3 -c 'import json,sys; print(json.load(sys.stdin)["calls"]["total"])')
[ "$n" = 40 ] && io_ok "analyze: 40 calls" || io_fail "analyze: $n calls, want 40"
# the live report counts what the file report counts (both saw the same packets on lo)
"$cli" analyze --json "$IO_PCAP" >"$IO_TMP/file.json"
if python3 -c '
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
keys = ("messages", "resent", "requests", "responses")
sys.exit(0 if all(a["sip"][k] == b["sip"][k] for k in keys) and a["calls"]["total"] == b["calls"]["total"] else 1)
' "$IO_TMP/live.json" "$IO_TMP/file.json"; then
    io_ok "analyze -i lo counts what the captured file counts"
else
    io_fail "analyze -i lo and the file disagree"
    io_show "$IO_TMP/live.err"
fi
# the lint cache changes no finding on traffic of real peers; how often it hits is shown
"$cli" analyze --json --no-progress --lint-cache 0 "$IO_PCAP" >"$IO_TMP/lc0.json"
"$cli" analyze --json --no-progress --lint-cache-stats "$IO_PCAP" >"$IO_TMP/lc1.json" 2>"$IO_TMP/lc1.err"
if cmp -s "$IO_TMP/lc0.json" "$IO_TMP/lc1.json"; then
    io_ok "--lint-cache: the same report as without ($(cat "$IO_TMP/lc1.err"))"
else
    io_fail "--lint-cache changes the report on the live capture"
fi
io_done
