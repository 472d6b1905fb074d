#!/usr/bin/env bash
# sipreply probe against sipreplyd's dial-a-code (and a broken server): every registry code
# dialled, the final code and the UAC's steps read from --json, and no lint finding in its
# answers; OPTIONS and INVITE, UDP, TCP and IPv6; --count statistics; exit statuses; the
# --nagios line; lint findings reported.
# Usage: probe_test.sh SIPREPLYD SRC SIPREPLY
bin=$1 src=$2 cli=$3
. "$src/tests/daemon/lib.sh"
set -u

start_daemon "$tmp/d.log" -l udp:127.0.0.1:0 -l tcp:127.0.0.1:0 -l udp:[::1]:0 || exit 1
U=$udp_port T=$tcp_port U6=$(port_of udp '[::1]')

# probe_json NAME ARGS...: run probe --json, keep the object in $tmp/NAME.json, exit in $rc
probe_json() {
    local name=$1; shift
    timeout 60 "$cli" probe --json --timeout 5 "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"
    rc=$?
}

# check NAME 'PYTHON CONDITION on d (the object), p (its first probe), acts, codes': noted
# here, evaluated all at once by run_checks (one interpreter: python starts slowly on a
# busy machine)
check() { printf '%s\t%s\n' "$1" "$2" >>"$tmp/checks"; }
run_checks() {
    python3 - "$tmp" <<'PY' || fails=1
import json, sys
tmp, failed = sys.argv[1], False
for line in open(tmp + "/checks"):
    name, cond = line.rstrip("\n").split("\t", 1)
    try:
        d = json.load(open(f"{tmp}/{name}.json"))
        p = d["probes"][0]
        acts = p["actions"]
        codes = [e["status"] for e in p["exchanges"] if e["kind"] == "response"]
        good = eval(cond)
    except Exception as e:
        good, d = False, repr(e)
    if good:
        print(f"ok: {name}: {cond}")
    else:
        failed = True
        print(f"FAIL: {name}: {cond} - got: {json.dumps(d)[:3000]}")
sys.exit(1 if failed else 0)
PY
}

# --- every code the registry has, dialled with OPTIONS over UDP (credentials given)
codes=$("$cli" codes | awk '$1 ~ /^[1-6][0-9][0-9]$/ { print $1 }')
n=$(echo "$codes" | wc -l)
[ "$n" -ge 75 ] && ok "$n registry codes" || bad "only $n registry codes"
for c in $codes; do
    probe_json "o$c" "sip:$c@127.0.0.1:$U" --user alice --password sipreply
    case $c in
    1??) # a provisional, then 200 a second later (the dial-a-code rule)
        check "o$c" "p['status'] == 200 and p['outcome'] == 'ok'" ;;
    2??) check "o$c" "p['status'] == $c and p['outcome'] == 'ok' and acts == []" ;;
    300 | 301 | 302) # the Contact (sipreplyd's) followed; it answers 200 (RFC 3261 §8.1.3.4)
        check "o$c" "codes == [$c, 200] and acts == ['REDIRECT'] and p['outcome'] == 'ok'" ;;
    305) # retried once through the proxy named; its 305 again is not followed (§21.3.4)
        check "o$c" "codes == [305, 305] and acts[0] == 'USE_PROXY' and p['outcome'] == 'redirected'" ;;
    380) check "o$c" "codes == [380] and acts == ['ALTERNATIVE'] and p['outcome'] == 'alternative'" ;;
    401 | 407) # the challenge answered (§22.2, §22.3); the same rule then answers 200
        check "o$c" "codes == [$c, 200] and acts == ['AUTH'] and p['outcome'] == 'ok'" ;;
    422) # Session-Expires raised to Min-SE and sent again (RFC 4028 §7.3), once
        check "o$c" "codes == [422, 422] and acts == ['SESSION_EXPIRES'] and p['status'] == 422" ;;
    423) # Expires raised to Min-Expires (RFC 3261 §10.2.8), once
        check "o$c" "codes == [423, 423] and acts == ['EXPIRES'] and p['status'] == 423" ;;
    482 | 483) check "o$c" "codes == [$c] and acts == ['LOOP'] and p['outcome'] == 'loop'" ;;
    491) # the §14.1 back-off (2.1-4 s as the Call-ID's owner), then again; --timeout 5 ends it
        check "o$c" "codes[:2] == [491, 491] and acts[:2] == ['GLARE_WAIT', 'GLARE_WAIT']" ;;
    408) # no other server to fail over to (RFC 3263 §4.3): the outcome is a timeout
        check "o$c" "codes == [408] and p['status'] == 408 and p['outcome'] == 'timeout'" ;;
    6??) check "o$c" "codes == [$c] and acts == ['STOP_6XX'] and p['status'] == $c" ;;
    421) # 100rel, which the probe may use (the stack PRACKs), added (§21.4.16), once
        check "o$c" "codes == [421, 421] and acts == ['ADD_OPTION'] and p['status'] == 421" ;;
    *) # 420 with nothing to drop, 415 with no other body, 500/503 with one
       # server and Retry-After 30 over --timeout: the code itself ends it
        check "o$c" "codes == [$c] and acts == [] and p['status'] == $c and p['outcome'] == 'rejected'" ;;
    esac
    # dial a code answers lint-clean, SHOULDs included (docs/sipreplyd.md "The embedded
    # default"); 489 alone lacks Allow-Events, by design: sipreplyd serves no event package,
    # and an Allow-Events names at least one (RFC 6665)
    if [ "$c" = 489 ]; then
        check "o$c" "[(l['rule'], l['arg']) for e in p['exchanges'] for l in e.get('lint', [])] == [('R-RESP-CODE-HEADER-SHOULD', 'Allow-Events')]"
    else
        check "o$c" "p['lint_findings'] == 0"
    fi
    case $c in
    491) want=2 ;; 1?? | 2?? | 30[012] | 401 | 407) want=0 ;; *) want=1 ;;
    esac
    [ "$rc" = "$want" ] && ok "o$c exit $rc" || bad "o$c exit $rc, wanted $want"
done

# --- 420 and 421 with something to fix (RFC 3261 §8.1.3.5, §21.4.16)
probe_json r420 "sip:420@127.0.0.1:$U" -H 'Require: x-probe-ext'
check r420 "codes == [420, 420] and acts == ['DROP_OPTION']"
probe_json r421 "sip:421@127.0.0.1:$U" --method INVITE
check r421 "codes[:2] == [421, 421] and acts[0] == 'ADD_OPTION'"
# 401 without credentials: not answered (§22.2)
probe_json noauth "sip:401@127.0.0.1:$U"
check noauth "codes == [401] and acts == ['AUTH_FAILED'] and p['outcome'] == 'auth-failed'"

# --- INVITE: 2xx ACKed then hung up (RFC 3261 §13.2.2.4, §15.1.1)
probe_json i200 "sip:200@127.0.0.1:$U" --method INVITE
check i200 "acts == ['ACK', 'BYE'] and [e['method'] for e in p['exchanges'] if e['kind'] == 'request'] == ['INVITE', 'BYE'] and codes == [200, 200]"
probe_json i180 "sip:180@127.0.0.1:$U" --method INVITE
check i180 "codes[0] == 180 and 200 in codes and 'ACK' in acts and 'BYE' in acts and p['status'] == 200"
probe_json i302 "sip:302@127.0.0.1:$U" --method INVITE
check i302 "acts == ['REDIRECT', 'ACK', 'BYE'] and p['status'] == 200"
probe_json i407 "sip:407@127.0.0.1:$U" --method INVITE --user bob --password sipreply
check i407 "acts == ['AUTH', 'ACK', 'BYE'] and p['status'] == 200"
probe_json i486 "sip:486@127.0.0.1:$U" --method INVITE
check i486 "codes == [486] and p['outcome'] == 'rejected'"
[ "$rc" = 1 ] && ok "486 exit 1" || bad "486 exit $rc"

# --- REGISTER to the registrar: Expires 30 under its Min-Expires 60 gets 423, raised (RFC
# 3261 §10.2.8), then 200; MESSAGE dialled like any method
probe_json reg "sip:alice@127.0.0.1:$U" --method REGISTER -H 'Expires: 30'
check reg "codes == [423, 200] and acts == ['EXPIRES'] and p['status'] == 200 and p['exchanges'][0]['method'] == 'REGISTER'"
probe_json msg "sip:486@127.0.0.1:$U" --method MESSAGE
check msg "p['exchanges'][0]['method'] == 'MESSAGE' and codes == [486]"

# --- TCP and IPv6
probe_json tcp "sip:200@127.0.0.1:$T" --transport tcp --method INVITE
check tcp "p['exchanges'][0]['to'].startswith('tcp ') and acts == ['ACK', 'BYE'] and p['status'] == 200"
probe_json v6 "sip:486@[::1]:$U6"
check v6 "p['exchanges'][0]['to'] == 'udp [::1]:$U6' and p['status'] == 486"
# --proxy: the request goes to the proxy's address, the Request-URI unchanged
probe_json px "sip:603@example.invalid" --proxy "sip:127.0.0.1:$U"
check px "p['exchanges'][0]['uri'] == 'sip:603@example.invalid' and p['exchanges'][0]['to'] == 'udp 127.0.0.1:$U' and p['status'] == 603"

# --- --count statistics
probe_json cnt "sip:200@127.0.0.1:$U" --count 4 --interval 0.2
check cnt "d['stats']['sent'] == 4 and d['stats']['answered'] == 4 and d['stats']['loss_pct'] == 0 and d['stats']['codes'] == {'200': 4} and d['stats']['min_ms'] <= d['stats']['avg_ms'] <= d['stats']['max_ms'] and len(d['probes']) == 4"
out=$(timeout 60 "$cli" probe "sip:486@127.0.0.1:$U" --count 3 --interval 0.1)
echo "$out" | grep -q '^3 sent, 3 answered, 0.0% loss$' && ok "text statistics" || bad "text statistics: $out"
echo "$out" | grep -q '^codes: 486 x3$' && ok "per-code counts" || bad "per-code counts: $out"
echo "$out" | grep -Eq '^rtt min/avg/max/mdev = [0-9]+/[0-9.]+/[0-9]+/[0-9.]+ ms$' && ok "rtt line" || bad "rtt line: $out"

# --- the ladder
out=$(timeout 60 "$cli" probe "sip:302@127.0.0.1:$U")
echo "$out" | grep -Eq '^ +[0-9]+ ms --> OPTIONS sip:302@127.0.0.1' && ok "ladder request" || bad "ladder: $out"
echo "$out" | grep -Eq '^ +[0-9]+ ms <-- 302 Moved Temporarily' && ok "ladder response" || bad "ladder: $out"
echo "$out" | grep -q 'temporarily reachable' && ok "ladder explains the code" || bad "ladder: $out"
echo "$out" | grep -q 'REDIRECT on 302 .*(RFC 3261 §8.1.3.4)' && ok "ladder action with its section" || bad "ladder: $out"
echo "$out" | grep -q '^outcome: ok, 200 OK in [0-9]* ms$' && ok "ladder outcome" || bad "ladder: $out"

# --- exit statuses and --nagios
timeout 60 "$cli" probe "sip:200@127.0.0.1:$U" -q >/dev/null; rc=$?
[ "$rc" = 0 ] && ok "2xx exit 0" || bad "2xx exit $rc"
for args in "--bogus" "" "http://x" "sip:a@b --method ACK" "sip:a@b --expect 7xx" \
    "sip:a@b --warn 10" "sip:a@b --user u" "sip:a@b -H NoColon" "sip:a@b --count 0" \
    "sip:a@b --timeout -1" "sip:a@b --transport tls" "sip:a@b c"; do
    # shellcheck disable=SC2086
    timeout 60 "$cli" probe $args >/dev/null 2>&1; rc=$?
    [ "$rc" = 3 ] && ok "usage exit 3: '$args'" || bad "usage exit $rc: '$args'"
done
out=$(timeout 60 "$cli" probe "sip:486@127.0.0.1:$U" --nagios --expect 486,2xx); rc=$?
echo "$out" | grep -Eq '^SIP OK - 486 Busy Here in [0-9]+ ms \| time=[0-9.]+s;;;0; loss=0%;;;0;100 code=486$' \
    && [ "$rc" = 0 ] && ok "nagios OK: $out" || bad "nagios OK ($rc): $out"
out=$(timeout 60 "$cli" probe "sip:486@127.0.0.1:$U" --nagios); rc=$?
echo "$out" | grep -q '^SIP CRITICAL - 486 Busy Here in [0-9]* ms (unexpected 486) |' && [ "$rc" = 2 ] \
    && ok "nagios CRITICAL: $out" || bad "nagios CRITICAL ($rc): $out"
out=$(timeout 60 "$cli" probe "sip:180@127.0.0.1:$U" --nagios --warn 100 --crit 60000); rc=$?
# 180 then 200 one second later (the rule's delay): over --warn 100 ms
echo "$out" | grep -q '^SIP WARNING - 200 OK in [0-9]* ms (slower than 100 ms) | time=[0-9.]*s;0.100000;60.000000;0;' \
    && [ "$rc" = 1 ] && ok "nagios WARNING: $out" || bad "nagios WARNING ($rc): $out"

# --- a server breaking the rules: 405 without Allow (RFC 3261 §21.4.6), and no answer
python3 - "$tmp/bad.port" >"$tmp/bad.log" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(30)
for _ in range(4):
    try:
        data, src = s.recvfrom(65535)
    except socket.timeout:
        break
    head = data.decode(errors="replace").split("\r\n\r\n")[0].split("\r\n")
    keep = [h for h in head[1:] if h.split(":")[0].strip().lower() in ("via", "from", "to", "call-id", "cseq")]
    resp = "SIP/2.0 405 Method Not Allowed\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"
    s.sendto(resp.encode(), src)
PY
bpid=$!
for _ in $(seq 50); do [ -s "$tmp/bad.port" ] && break; sleep 0.1; done
B=$(cat "$tmp/bad.port")
probe_json bad "sip:x@127.0.0.1:$B"
check bad "codes == [405] and any(l['rule'] == 'R-RESP-CODE-HEADER' and l['arg'] == 'Allow' and l['section'].startswith('RFC 3261') for l in p['exchanges'][1]['lint']) and p['lint_findings'] >= 1"
out=$(timeout 60 "$cli" probe "sip:x@127.0.0.1:$B")
echo "$out" | grep -q 'lint R-RESP-CODE-HEADER MUST RFC 3261.*(Allow)' && ok "ladder lint line" || bad "ladder lint: $out"
kill "$bpid" 2>/dev/null; wait "$bpid" 2>/dev/null
# nobody there any more: no answer within --timeout (exit 2; CRITICAL with --nagios)
timeout 60 "$cli" probe "sip:x@127.0.0.1:$B" --timeout 1 -q >/dev/null; rc=$?
[ "$rc" = 2 ] && ok "no answer exit 2" || bad "no answer exit $rc"
out=$(timeout 60 "$cli" probe "sip:x@127.0.0.1:$B" --timeout 1 --nagios); rc=$?
echo "$out" | grep -q '^SIP CRITICAL - no answer |' && [ "$rc" = 2 ] && ok "nagios no answer" || bad "nagios no answer ($rc): $out"

stop_daemon
run_checks
exit $fails
