#!/usr/bin/env bash
# sipreply interop: digest authentication through a proxy that rewrites the Request-URI
# (RFC 3261 §22.4 item 6). SIPp (the UAC, answering the challenge) ->
# Kamailio (tests/interop/kamailio/rewrite.cfg.in: rewritehostport to sipreplyd, stateless
# forward) -> sipreplyd's embedded default, rule dial-401. The client computes its digest
# over the Request-URI it sent (Kamailio's address); sipreplyd receives its own: correct
# credentials must get 200, not "400 Digest URI ...".
# usage: test_kamailio_auth.sh SIPREPLYD SRCDIR
# Asserts SIPp's exit status 0 and statistics, sipreplyd's log (every authenticated INVITE
# logged "-> 200" with the rewritten Request-URI, no 400), both processes still running, and
# sipreplyd exiting 0 on SIGTERM. Skipped (77) when kamailio or sipp is not installed.
set -u
daemon=$1
src=$2
. "$src/tests/interop/lib.sh"

io_need_kamailio "the digest-through-a-rewriting-proxy check (RFC 3261 §22.4 item 6)"
io_need sipp "$daemon"
calls=5

# ------------------------------------------------------------------ sipreplyd on port 0
io_start_daemon "$daemon" || io_done

# ------------------------------------------------------------------ Kamailio in front
sed "s/@TARGET@/127.0.0.1:$IO_UDP_PORT/" "$IO_DIR/kamailio/rewrite.cfg.in" >"$IO_TMP/kamailio.cfg"
io_kamailio "$IO_TMP/kamailio.cfg" || io_done
kport=$IO_KAM_PORT
echo "interop: kamailio (pid $IO_KAM_PID) on 127.0.0.1:$kport udp, rewriting to 127.0.0.1:$IO_UDP_PORT"

# ------------------------------------------------------------------ the SIPp client
io_sipp "127.0.0.1:$kport" -sf "$IO_DIR/sipp/uac_auth_proxy.xml" -t u1 -i 127.0.0.1 \
    -m "$calls" -r 10 -l "$calls" -au alice -ap sipreply -timeout 60s -timeout_error -nostdin \
    -trace_stat -stf "$IO_TMP/stat.csv" -trace_err -error_file "$IO_TMP/sipp_err.log" \
    -trace_msg -message_file "$IO_TMP/sipp_msg.log"
rc=$?
if [ "$rc" -eq 0 ]; then io_ok "sipp through kamailio: exit 0"; else
    io_fail "sipp through kamailio: exit status $rc"
    io_show "$IO_TMP/sipp_err.log" 30
    grep -m3 -B2 -A12 "SIP/2.0 400" "$IO_TMP/sipp_msg.log" | sed 's/^/  | /'
fi
io_sipp_calls "$calls" "sipp statistics" "calls successful"

# ------------------------------------------------------------------ what sipreplyd saw
# The Request-URI sipreplyd logs is the rewritten one (its own port): the proxy did rewrite.
n200=$(grep -c " INVITE sip:401@127\.0\.0\.1:$IO_UDP_PORT -> 200 rule=dial-401" "$IO_TMP/daemon.log")
n400=$(grep -c " -> 400 " "$IO_TMP/daemon.log")
if [ "$n200" -eq "$calls" ] && [ "$n400" -eq 0 ]; then
    io_ok "sipreplyd: $n200 INVITEs with the rewritten Request-URI authenticated (-> 200), no 400"
else
    io_fail "sipreplyd: $n200 INVITEs -> 200 (want $calls), $n400 -> 400 (want 0)"
    io_show "$IO_TMP/daemon.log" 20
fi
if kill -0 "$IO_KAM_PID" 2>/dev/null; then io_ok "kamailio still running"; else
    io_fail "kamailio died"
    io_show "$IO_TMP/kamailio.log"
fi
io_stop_daemon
io_done
