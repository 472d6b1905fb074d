#!/usr/bin/env bash
# sipreply interop: SDP offer/answer (RFC 3264) between SIPp and sipreplyd's embedded default.
#   uac_sdp_pcma   an offer of PCMA only: the 200 answers PCMA (payload type 8), our o=
#   uac_sdp_488    an offer of G.729 only: 488 with Warning 305 (RFC 3261 §21.4.26, §20.43)
#   uac_sdp_offer  no offer: the 200 carries ours, SIPp answers PCMA in the ACK, which
#                  sipreplyd checks and logs as accepted (RFC 3261 §13.2.1)
#   uac_hold       within the dialog: re-INVITE hold (sendonly -> recvonly), resume, UPDATE
#                  hold, BYE, then a BYE for the ended dialog: 481 (RFC 3261 §12.2.2)
# Each scenario's regular expressions fail a call whose message does not match. Asserts
# SIPp's exit status and statistics, sipreplyd's log, and a clean exit on SIGTERM.
# usage: test_sipp_sdp.sh SIPREPLYD SRCDIR
set -u
daemon=$1
src=$2
. "$src/tests/interop/lib.sh"

io_need sipp "$daemon"
calls=5
io_start_daemon "$daemon" "" --log-level debug || io_done

for scen in uac_sdp_pcma uac_sdp_488 uac_sdp_offer uac_hold; do
    rm -f "$IO_TMP/stat.csv"
    io_sipp "127.0.0.1:$IO_UDP_PORT" -sf "$IO_DIR/sipp/$scen.xml" -t u1 -i 127.0.0.1 \
        -m "$calls" -r 20 -l "$calls" -timeout 30s -timeout_error -nostdin \
        -trace_stat -stf "$IO_TMP/stat.csv" -trace_err -error_file "$IO_TMP/${scen}_err.log"
    rc=$?
    if [ "$rc" -eq 0 ]; then io_ok "sipp $scen: exit 0"; else
        io_fail "sipp $scen: exit status $rc"
        io_show "$IO_TMP/${scen}_err.log" 30
    fi
    io_sipp_calls "$calls" "sipp $scen" calls
done

# the log says what sipreplyd decided
n488=$(grep -c " INVITE sip:200@127\.0\.0\.1:$IO_UDP_PORT -> 488 rule=dial-a-code (SDP offer: Incompatible media format)$" "$IO_TMP/daemon.log")
nacc=$(grep -c " debug udp:127\.0\.0\.1:[0-9]* ACK: the answer to our offer is accepted (PCMA, answered sendrecv)$" "$IO_TMP/daemon.log")
if [ "$n488" -eq "$calls" ]; then io_ok "sipreplyd log: $n488 INVITEs -> 488 (no common codec)"
else io_fail "sipreplyd log: $n488 INVITEs -> 488 (want $calls)"; io_show "$IO_TMP/daemon.log" 20; fi
if [ "$nacc" -eq "$calls" ]; then io_ok "sipreplyd log: $nacc answers in the ACK accepted"
else io_fail "sipreplyd log: $nacc answers in the ACK accepted (want $calls)"; io_show "$IO_TMP/daemon.log" 20; fi
nhold=$(grep -c " INVITE sip:sipreplyd@127\.0\.0\.1:$IO_UDP_PORT -> 200 rule=dialog (re-INVITE in a dialog: answered recvonly)$" "$IO_TMP/daemon.log")
nend=$(grep -c " dialog confirmed ended after [0-9.]* s: BYE received; Call-ID " "$IO_TMP/daemon.log")
if [ "$nhold" -eq "$calls" ] && [ "$nend" -ge "$calls" ]; then io_ok "sipreplyd log: $nhold holds answered recvonly, dialogs ended by BYE"
else io_fail "sipreplyd log: $nhold holds, $nend dialog ends (want $calls)"; io_show "$IO_TMP/daemon.log" 20; fi
io_stop_daemon
io_done
