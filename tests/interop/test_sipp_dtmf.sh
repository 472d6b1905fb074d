#!/usr/bin/env bash
# sipreply interop: DTMF menus and hangups with a real peer. sipreplyd runs examples/ivr.yaml
# (its RTP ports the kernel's: `ports: 0`).
# 1. SIPp calls ivr@, sends key 2 in a SIP INFO (application/dtmf-relay: sipreplyd must log
#    it matched, echo), then plays the RFC 4733 telephone-events Debian's sip-tester ships
#    (dtmf_2833_1.pcap, then dtmf_2833_9.pcap: each one event, its end packet sent three
#    times, RFC 4733 §2.5.1.4): sipreplyd must log key 1 once, matched, switching to the 1 kHz
#    tone, then key 9 matched and hang up: SIPp waits for that BYE (its scenario fails without
#    it), and /metrics must count 3 keys (1 of INFO), 3 matches, 1 hangup.
# 2. SIPp calls ivr@ and waits for a BYE; sipreplyd is stopped (SIGTERM) during the call and
#    must send that BYE before it exits (logged "shutdown", counted).
# usage: test_sipp_dtmf.sh SIPREPLYD SRCDIR
set -u
daemon=$1
src=$2
. "$src/tests/interop/lib.sh"

io_need sipp
pcapdir=$(dirname "$(dpkg -L sip-tester 2>/dev/null | grep '/dtmf_2833_1\.pcap$' | head -1)")
[ -r "$pcapdir/dtmf_2833_1.pcap" ] || pcapdir=/usr/share/sip-tester
[ -r "$pcapdir/dtmf_2833_9.pcap" ] || io_skip "SIPp's dtmf_2833_*.pcap not found (Debian package sip-tester)"
sed "s|@PCAPDIR@|$pcapdir|" "$IO_DIR/sipp/uac_dtmf.xml" >"$IO_TMP/uac_dtmf.xml"
sed 's/^  ports: .*/  ports: 0/' "$src/examples/ivr.yaml" >"$IO_TMP/ivr.yaml"
grep -q '^  ports: 0$' "$IO_TMP/ivr.yaml" || { io_fail "examples/ivr.yaml has no ports line"; io_done; }

metric() { # NAME: its value on /metrics
    curl -s --max-time 5 "http://127.0.0.1:$IO_METRICS_PORT/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}

# --- 1. keys 1 and 9
io_start_daemon "$daemon" "$IO_TMP/ivr.yaml" --log-level info --metrics 127.0.0.1:0 || io_done
IO_METRICS_PORT=$(awk '$1 == "metrics" { print $3; exit }' "$IO_TMP/ports")
io_sipp "127.0.0.1:$IO_UDP_PORT" -sf "$IO_TMP/uac_dtmf.xml" -t u1 -i 127.0.0.1 \
    -mi 127.0.0.1 -m 1 -l 1 -timeout 40s -timeout_error -nostdin \
    -trace_err -error_file "$IO_TMP/sipp_err.log"
rc=$?
if [ "$rc" -eq 0 ]; then io_ok "sipp uac_dtmf: exit 0 (sipreplyd's BYE received and answered)"; else
    io_fail "sipp uac_dtmf: exit status $rc"
    io_show "$IO_TMP/sipp_err.log" 20
    io_show "$IO_TMP/sipp.log" 20
fi
check_log() { # REGEX COUNT WHAT
    local n
    n=$(grep -cE "$1" "$IO_TMP/daemon.log")
    if [ "$n" -eq "$2" ]; then io_ok "$3 ($n line(s))"; else
        io_fail "$3: $n line(s) match '$1', want $2"
        io_show "$IO_TMP/daemon.log" 30
    fi
}
check_log "dtmf: call .* rule=ivr digits \"2\" \(info\) matched \"2\": media echo" 1 "key 2 of the INFO matched: echo"
check_log "media: call .* telephone-event 1 '1'" 1 "key 1: one event for its updates and its end packet sent 3 times"
check_log "dtmf: call .* rule=ivr digits \"1\" \(rtp\) matched \"1\": media tone 1000 Hz" 1 "key 1 matched: the 1 kHz tone"
check_log "dtmf: call .* rule=ivr digits \"9\" \(rtp\) matched \"9\": hangup" 1 "key 9 matched: hangup"
check_log "dialog confirmed ended after .*: dtmf hangup \(BYE sent\)" 1 "the dialog ended by our BYE"
check_log "media end: call .* events 2 \"219\" \(dtmf hangup\)" 1 "the media's end line: 2 RTP events, keys \"219\""
for m in "sipreplyd_dtmf_keys_total 3" "sipreplyd_dtmf_info_keys_total 1" "sipreplyd_dtmf_matches_total 3" \
         "sipreplyd_dtmf_hangups_total 1" "sipreplyd_byes_sent_total 1"; do
    v=$(metric "${m% *}")
    if [ "$v" = "${m#* }" ]; then io_ok "/metrics: $m"; else io_fail "/metrics: ${m% *} is '${v}', want ${m#* }"; fi
done
io_stop_daemon

# --- 2. SIGTERM during a call: our BYE
: >"$IO_TMP/daemon.log"
io_start_daemon "$daemon" "$IO_TMP/ivr.yaml" --log-level info || io_done
timeout 60 sipp "127.0.0.1:$IO_UDP_PORT" -sf "$IO_DIR/sipp/uac_wait_bye.xml" -t u1 -i 127.0.0.1 \
    -mi 127.0.0.1 -m 1 -l 1 -timeout 40s -timeout_error -nostdin -ci 127.0.0.1 \
    -trace_err -error_file "$IO_TMP/sipp_err2.log" >"$IO_TMP/sipp2.log" 2>&1 &
spid=$!
IO_PIDS="$IO_PIDS $spid"
# the call is up once sipreplyd's 200 named its RTP port (logged); bounded: 10 s
for _ in $(seq 100); do
    grep -q "media: call .* rule=ivr tone on" "$IO_TMP/daemon.log" && break
    kill -0 "$spid" 2>/dev/null || break
    sleep 0.1
done
grep -q "media: call .* rule=ivr tone on" "$IO_TMP/daemon.log" || io_fail "SIPp's call did not start"
sleep 0.3 # SIPp's ACK (a BYE sent before it would wait for it: RFC 3261 §15)
io_stop_daemon
wait "$spid"
rc=$?
if [ "$rc" -eq 0 ]; then io_ok "sipp uac_wait_bye: exit 0 (the shutdown's BYE received and answered)"; else
    io_fail "sipp uac_wait_bye: exit status $rc"
    io_show "$IO_TMP/sipp_err2.log" 20
    io_show "$IO_TMP/sipp2.log" 20
fi
check_log "shutdown: BYE sent for 1 dialogs still up, 0 more|shutdown: BYE sent for 0 dialogs still up, 1 more" 1 "shutdown: the BYE counted"
check_log "dialog confirmed ended after .*: shutdown \(BYE sent\)" 1 "the dialog ended by the shutdown's BYE"
check_log "media end: call .* \(shutdown\)" 1 "the media's end line"
io_done
