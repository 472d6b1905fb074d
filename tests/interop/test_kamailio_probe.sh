#!/usr/bin/env bash
# sipreply interop: `sipreply probe` through Kamailio (tests/interop/kamailio/probe.cfg.in).
# An OPTIONS answered by Kamailio itself; a REGISTER challenged by Kamailio's auth module
# (RFC 3261 §22.4) and answered with digest credentials, then 200; INVITEs record-routed by
# Kamailio (tm) to sipreplyd's dial-a-code: 486 (ACKed hop by hop) and 200 (ACK and BYE
# along the Record-Route, RFC 3261 §16.12). Codes, actions and exit statuses from --json.
# usage: test_kamailio_probe.sh SIPREPLYD SRCDIR SIPREPLY
# Skipped (77) when kamailio is not installed.
set -u
daemon=$1
src=$2
cli=$3
. "$src/tests/interop/lib.sh"

io_need_kamailio "sipreply probe through Kamailio"

io_start_daemon "$daemon" || io_done
sed "s/@TARGET@/127.0.0.1:$IO_UDP_PORT/" "$IO_DIR/kamailio/probe.cfg.in" >"$IO_TMP/kamailio.cfg"
io_kamailio "$IO_TMP/kamailio.cfg" || io_done
K=$IO_KAM_PORT D=$IO_UDP_PORT
echo "interop: kamailio (pid $IO_KAM_PID) on 127.0.0.1:$K udp, relaying to 127.0.0.1:$D"

# check NAME WANT_EXIT PYTHON_CONDITION PROBE_ARGS...: run the probe with --json; the
# condition sees d (the document), p (its first probe), codes, acts, reqs (the requests'
# "to"), methods (the requests' methods), K and D (the ports).
check() {
    local name=$1 want=$2 cond=$3 out rc
    shift 3
    out=$(timeout 60 "$cli" probe --json --timeout 10 "$@")
    rc=$?
    if [ "$rc" = "$want" ] && echo "$out" | K=$K D=$D python3 -c '
import json, os, sys
K, D = os.environ["K"], os.environ["D"]
d = json.load(sys.stdin); p = d["probes"][0]; ex = p["exchanges"]
codes = [e["status"] for e in ex if e["kind"] == "response"]
acts = p["actions"]
reqs = [e["to"] for e in ex if e["kind"] == "request"]
methods = [e["method"] for e in ex if e["kind"] == "request"]
froms = [e["from"] for e in ex if e["kind"] == "response"]
sys.exit(0 if eval(sys.argv[1]) else 1)
' "$cond"; then
        io_ok "$name: exit $rc, $cond"
    else
        io_fail "$name: exit $rc (want $want), $cond"
        echo "$out" | sed 's/^/  | /' | head -60
    fi
}

check "OPTIONS answered by Kamailio" 0 \
    "codes == [200] and p['reason'] == 'Kamailio' and froms == ['udp 127.0.0.1:' + K] and acts == []" \
    "sip:127.0.0.1:$K"
check "REGISTER with digest through Kamailio's auth" 0 \
    "codes == [401, 200] and acts == ['AUTH'] and methods == ['REGISTER', 'REGISTER'] and set(reqs) == {'udp 127.0.0.1:' + K}" \
    --method REGISTER --user alice --password sipreply "sip:alice@127.0.0.1:$K"
check "REGISTER with a wrong password" 1 \
    "codes == [401, 401] and acts == ['AUTH', 'AUTH_FAILED'] and p['outcome'] == 'auth-failed' and p['status'] == 401 and methods == ['REGISTER', 'REGISTER']" \
    --method REGISTER --user alice --password wrong "sip:alice@127.0.0.1:$K"
check "INVITE through Kamailio to dial-a-code 486" 1 \
    "codes[-1] == 486 and p['status'] == 486 and methods == ['INVITE'] and reqs == ['udp 127.0.0.1:' + K]" \
    --method INVITE "sip:486@127.0.0.1:$K"
check "INVITE through Kamailio to dial-a-code 200, ACK and BYE record-routed" 0 \
    "acts == ['ACK', 'BYE'] and methods == ['INVITE', 'BYE'] and codes[-2:] == [200, 200] and set(reqs) == {'udp 127.0.0.1:' + K} and p['status'] == 200" \
    --method INVITE "sip:200@127.0.0.1:$K"

# sipreplyd saw the relayed requests, Kamailio's ACK and the BYE
for want in " INVITE sip:486@127\.0\.0\.1:$D -> 486" " INVITE sip:200@127\.0\.0\.1:$D -> 200" " BYE .* -> 200"; do
    if grep -q "$want" "$IO_TMP/daemon.log"; then io_ok "sipreplyd log: $want"; else
        io_fail "sipreplyd log has no '$want'"
        io_show "$IO_TMP/daemon.log" 20
    fi
done
if kill -0 "$IO_KAM_PID" 2>/dev/null; then io_ok "kamailio still running"; else
    io_fail "kamailio died"
    io_show "$IO_TMP/kamailio.log"
fi
io_stop_daemon
io_done
