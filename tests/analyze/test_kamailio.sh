#!/usr/bin/env bash
# sipreply analyze on proxied traffic: SIPp calls sipreplyd through Kamailio (stateful,
# record-routing) on 127.0.0.1; both hops are captured and `sipreply analyze` must count what
# tshark -z sip,stat counts, see each INVITE's two Via values at the proxy's far side, and
# report the calls of both legs.
# usage: test_kamailio.sh SIPREPLYD SIPREPLY SRCDIR
# sipreplyd's UDP port is read from its --port-file; Kamailio's is the one io_kamailio
# started it on (tests/interop/lib.sh).
set -u
daemon=$1
cli=$2
src=$3
. "$src/tests/interop/lib.sh"

io_need sipp tshark python3 kamailio
io_can_capture || io_skip "dumpcap cannot capture on lo as $(id -un)"
io_start_daemon "$daemon" "" || io_done
dport=$IO_UDP_PORT
sed "s/UPSTREAM_PORT/$dport/" "$src/tests/analyze/kamailio-proxy.cfg" >"$IO_TMP/kamailio.cfg"
io_kamailio "$IO_TMP/kamailio.cfg" || io_done
kport=$IO_KAM_PORT
kpid=$IO_KAM_PID
io_ok "kamailio (pid $kpid) on 127.0.0.1:$kport, forwarding to sipreplyd on udp:$dport"

# capture both ports: the filter takes "port A or port B" (io_capture_start's argument is
# spliced into "port $1 or ...")
io_capture_start "$kport or port $dport" || io_done
for scen in uac_180_200 uac_486; do
    io_sipp "127.0.0.1:$kport" -sf "$src/tests/interop/sipp/$scen.xml" -t u1 -i 127.0.0.1 \
        -m 10 -r 20 -l 10 -timeout 60s -timeout_error -nostdin
    rc=$?
    cp "$IO_TMP/sipp.log" "$IO_TMP/sipp_$scen.log"
    if [ "$rc" -eq 0 ]; then io_ok "sipp $scen through kamailio: 10 calls"; else
        io_fail "sipp $scen through kamailio: exit status $rc"; io_show "$IO_TMP/sipp_$scen.log" 15; fi
done
io_capture_stop
kill "$kpid" 2>/dev/null
io_stop_daemon

if timeout 120 python3 "$src/tests/analyze/compare.py" "$cli" "$IO_PCAP" \
    --tshark-opt "-d udp.port==$kport,sip" --tshark-opt "-d udp.port==$dport,sip"; then
    io_ok "analyze agrees with tshark on the proxied capture"
else
    io_fail "analyze and tshark disagree on the proxied capture"
fi
# each call is seen on both legs (the same Call-ID, the INVITE once per hop): the dialog is
# counted once, from the first INVITE seen; the proxy's far-side INVITE carries two Vias
"$cli" analyze --json "$IO_PCAP" >"$IO_TMP/kam.json"
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
calls = d["calls"]["total"]
codes = d["sip"]["responses"]
ok = calls == 20 and codes.get("486", 0) >= 20 and codes.get("180", 0) >= 20
print(("ok" if ok else "FAIL") + ": %d calls; 180 x%d, 486 x%d (both legs)" % (calls, codes.get("180", 0), codes.get("486", 0)))
sys.exit(0 if ok else 1)' "$IO_TMP/kam.json"; then io_ok "calls counted once across the proxy"; else
    io_fail "calls across the proxy"; fi
# the lint cache changes no finding on traffic of real peers; how often it hits is shown
"$cli" analyze --json --no-progress --lint-cache 0 "$IO_PCAP" >"$IO_TMP/lc0.json"
"$cli" analyze --json --no-progress --lint-cache-stats "$IO_PCAP" >"$IO_TMP/lc1.json" 2>"$IO_TMP/lc1.err"
if cmp -s "$IO_TMP/lc0.json" "$IO_TMP/lc1.json"; then
    io_ok "--lint-cache: the same report as without ($(cat "$IO_TMP/lc1.err"))"
else
    io_fail "--lint-cache changes the report on the proxied capture"
fi
io_done
