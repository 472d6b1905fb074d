#!/usr/bin/env bash
# sipreply interop: sipreplyd registers to Kamailio (tests/interop/kamailio/register.cfg.in) and
# answers the calls Kamailio routes to it. Twenty AORs from one range (sip:{1000..1019}@...)
# register through Kamailio's digest challenge (401, RFC 3261 §22.4) and its 423 Interval Too
# Brief (asked 60 s, Min-Expires 120, RFC 3261 §10.2.8); one more with a wrong password fails
# with a clear log line and counter. `sipreply probe` INVITEs each AOR through Kamailio: its
# location lookup routes each to sipreplyd, whose rules answer (486; 1001: 200, ACKed and BYE'd
# along the Record-Route). /metrics counts 20 registered and 1 failed. SIGTERM de-registers
# (Expires: 0) before sipreplyd exits 0; a call afterwards gets Kamailio's 404.
# usage: test_kamailio_register.sh SIPREPLYD SRCDIR SIPREPLY
# Skipped (77) when kamailio is not installed.
set -u
daemon=$1
src=$2
cli=$3
. "$src/tests/interop/lib.sh"

io_need_kamailio "sipreplyd registering to Kamailio"

cp "$IO_DIR/kamailio/register.cfg.in" "$IO_TMP/kamailio.cfg"
io_kamailio "$IO_TMP/kamailio.cfg" || io_done
K=$IO_KAM_PORT
echo "interop: kamailio (pid $IO_KAM_PID) on 127.0.0.1:$K udp, registrar and proxy"

cat >"$IO_TMP/register.yaml" <<EOF
registrations:
  rate: 10000
  accounts:
    - aor: sip:{1000..1019}@127.0.0.1
      registrar: 127.0.0.1:$K
      password: sipreply
      expires: 60
    - aor: sip:wrong@127.0.0.1
      registrar: 127.0.0.1:$K
      password: not-the-password
rules:
  - name: hangup
    match: {method: BYE}
    respond: {code: 200}
  - name: answer
    match: {user: "1001"}
    respond: {code: 200}
  - name: busy
    match: {user-regex: "^10[01][0-9]\$"}
    respond: {code: 486}
default:
  code: 404
EOF
io_start_daemon "$daemon" "$IO_TMP/register.yaml" --metrics 127.0.0.1:0 || io_done
M=$(awk '$1 == "metrics" { print $3; exit }' "$IO_TMP/ports")
log=$IO_TMP/daemon.log

# wait_log PATTERN COUNT: at most 30 s for COUNT lines of the log matching PATTERN
wait_log() {
    for _ in $(seq 300); do
        [ "$(grep -cE "$1" "$log")" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

if wait_log 'info register sip:10[01][0-9]@127\.0\.0\.1: registered as ' 20; then
    io_ok "20 AORs of the range registered"
else
    io_fail "not every AOR registered"
    io_show "$log" 40
fi
want="register sip:1000@127\.0\.0\.1: registered as sip:1000@127\.0\.0\.1:$IO_UDP_PORT at udp 127\.0\.0\.1:$K \(401 AUTH 423 EXPIRES 200; expires 120 s, refresh in 60 s\)"
if grep -qE "$want" "$log"; then
    io_ok "one line says what went on the wire: 401 answered, 423 raised to Min-Expires, 200"
else
    io_fail "no line '$want'"
    io_show "$log" 30
fi
if wait_log 'warn register sip:wrong@127\.0\.0\.1: failed at udp 127\.0\.0\.1:[0-9]+ \(401 AUTH 401 AUTH_FAILED \(the registrar refused the credentials: check user and password\)\); retry in [0-9]+ s' 1; then
    io_ok "a wrong password: one clear failure line"
else
    io_fail "no failure line for the wrong password"
    io_show "$log" 30
fi
metrics=$(curl -s --max-time 10 "http://127.0.0.1:$M/metrics")
for m in 'sipreplyd_registrations{state="registered"} 20' 'sipreplyd_registrations{state="failed"} 1' \
    'sipreplyd_registrations{state="pending"} 0' 'sipreplyd_registration_results_total{result="failed"} 1' \
    'sipreplyd_reflection_dropped_total 0'; do
    if echo "$metrics" | grep -qF "$m"; then io_ok "metrics: $m"; else
        io_fail "metrics: no '$m'"
        echo "$metrics" | grep regist | sed 's/^/  | /'
    fi
done

# probe NAME WANT_EXIT PYTHON_CONDITION URI [ARGS...]: an INVITE through Kamailio, --json
probe() {
    local name=$1 want=$2 cond=$3 out rc
    shift 3
    out=$(timeout 60 "$cli" probe --json --timeout 10 --method INVITE "$@")
    rc=$?
    if [ "$rc" = "$want" ] && echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin); p = d["probes"][0]
codes = [e["status"] for e in p["exchanges"] if e["kind"] == "response"]
acts = p["actions"]; reason = p["reason"]
methods = [e["method"] for e in p["exchanges"] if e["kind"] == "request"]
sys.exit(0 if eval(sys.argv[1]) else 1)
' "$cond"; then
        io_ok "$name: exit $rc, $cond"
    else
        io_fail "$name: exit $rc (want $want), $cond"
        echo "$out" | sed 's/^/  | /' | head -40
    fi
}

# every AOR of the range is in Kamailio's location table: each call reaches sipreplyd
bad=0
for n in $(seq 1000 1019); do
    [ "$n" = 1001 ] && continue
    line=$(timeout 30 "$cli" probe -q --timeout 10 --method INVITE "sip:$n@127.0.0.1:$K")
    case $line in
    "outcome: rejected, 486 Busy Here"*) ;;
    *) bad=$((bad + 1)); echo "  | sip:$n: $line" ;;
    esac
done
if [ $bad = 0 ]; then io_ok "19 calls through Kamailio's location reached sipreplyd's rule: 486"; else
    io_fail "$bad calls did not get sipreplyd's 486"
fi
probe "a call to sip:1001 answered 200, ACK and BYE along the Record-Route" 0 \
    "codes[-2:] == [200, 200] and acts == ['ACK', 'BYE'] and methods == ['INVITE', 'BYE']" \
    "sip:1001@127.0.0.1:$K"
probe "the AOR whose REGISTER failed is not registered: Kamailio's 404" 1 \
    "codes == [404] and reason == 'Not registered'" "sip:wrong@127.0.0.1:$K"
n=$(grep -cE " INVITE sip:10[01][0-9]@127\.0\.0\.1:$IO_UDP_PORT -> (486|200) rule=(busy|answer)| BYE sip:.* -> 200 rule=hangup" "$log")
if [ "$n" -ge 21 ]; then io_ok "sipreplyd's log shows the 20 INVITEs and the BYE"; else
    io_fail "sipreplyd's log shows $n of the 20 INVITEs and the BYE"
    io_show "$log" 30
fi

# SIGTERM: every binding ended (Expires: 0) before the exit; then Kamailio has none
io_stop_daemon
n=$(grep -cE "info register sip:10[01][0-9]@127\.0\.0\.1: de-registered \(REGISTER Expires: 0 to udp 127\.0\.0\.1:$K: (401 AUTH )?200\)" "$log")
if [ "$n" = 20 ]; then io_ok "SIGTERM: 20 de-registrations, each answered 200"; else
    io_fail "SIGTERM: $n de-registrations answered 200 (want 20)"
    io_show "$log" 30
fi
# the 21 REGISTERs leave within 3 ms (rate 10000), the 20 de-registrations at once: Kamailio's
# address is exempt from the reflection budget (sn_trust), or most would be dropped before
# its first answer
if grep -q "reflection budget" "$log"; then
    io_fail "our own REGISTERs were held by the reflection budget"
    grep "reflection budget" "$log" | head -3 | sed 's/^/  | /'
else
    io_ok "no REGISTER of ours dropped by the reflection budget"
fi
if grep -q "de-registered.*sip:wrong\|register sip:wrong@127.0.0.1: de-registered" "$log"; then
    io_fail "the AOR that never registered was de-registered"
fi
probe "after SIGTERM, a call to a de-registered AOR: Kamailio's 404" 1 \
    "codes == [404] and reason == 'Not registered'" "sip:1000@127.0.0.1:$K"
if kill -0 "$IO_KAM_PID" 2>/dev/null; then io_ok "kamailio still running"; else
    io_fail "kamailio died"
    io_show "$IO_TMP/kamailio.log"
fi
io_done
