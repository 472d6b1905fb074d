#!/usr/bin/env bash
# sipreply interop: a reliable 183 with SDP that SIPp never PRACKs (RFC 3262 §3).
# sipreplyd's embedded default plans 200 a second after the 183: it must never
# send it (the stack holds it for the PRACK), and once the 183's retransmissions stop
# (64*T1) it must reject the INVITE with a 5xx (500). Asserts SIPp's exit status and
# statistics (a 200 is an unexpected message and fails the call), sipreplyd's log (each
# INVITE "-> 500 ... (no PRACK)", none "-> 200"), and a clean exit on SIGTERM.
# usage: test_sipp_no_prack.sh SIPREPLYD SRCDIR
set -u
daemon=$1
src=$2
. "$src/tests/interop/lib.sh"

io_need sipp "$daemon"
calls=3 # each lasts 64*T1 = 32 s; they run side by side

# A caller that never PRACKs shows sipreplyd no sign of life: with the default reflection
# budget the 183's retransmissions use up what 127.0.0.1 may be sent and the 500 would be
# dropped (docs/sipreplyd.md, "Reflection"). This test is about RFC 3262, so the budget is off.
io_start_daemon "$daemon" "" --reflection-budget 0 || io_done

io_sipp "127.0.0.1:$IO_UDP_PORT" -sf "$IO_DIR/sipp/uac_no_prack.xml" -t u1 -i 127.0.0.1 \
    -m "$calls" -r 10 -l "$calls" -timeout 80s -timeout_error -nostdin \
    -trace_stat -stf "$IO_TMP/stat.csv" -trace_err -error_file "$IO_TMP/sipp_err.log" \
    -trace_msg -message_file "$IO_TMP/sipp_msg.log"
rc=$?
if [ "$rc" -eq 0 ]; then io_ok "sipp: reliable 183 never PRACKed, exit 0"; else
    io_fail "sipp: exit status $rc"
    io_show "$IO_TMP/sipp_err.log" 30
fi
io_sipp_calls "$calls" "sipp statistics" "calls got the 500 and no 200"
# what SIPp received: no 200 at all (its message trace)
n200=$(grep -c "^SIP/2.0 200" "$IO_TMP/sipp_msg.log" 2>/dev/null)
if [ "${n200:-0}" -eq 0 ]; then io_ok "no 200 reached SIPp"; else io_fail "$n200 200s reached SIPp"; fi
# the log says what went on the wire
n500=$(grep -c " INVITE sip:183@127\.0\.0\.1:$IO_UDP_PORT -> 500 rule=dial-a-code (no PRACK)$" "$IO_TMP/daemon.log")
nlog200=$(grep -c " -> 200 " "$IO_TMP/daemon.log")
if [ "$n500" -eq "$calls" ] && [ "$nlog200" -eq 0 ]; then
    io_ok "sipreplyd log: $n500 INVITEs -> 500 (no PRACK), none -> 200"
else
    io_fail "sipreplyd log: $n500 -> 500 (no PRACK) (want $calls), $nlog200 -> 200 (want 0)"
    io_show "$IO_TMP/daemon.log" 20
fi
io_stop_daemon
io_done
