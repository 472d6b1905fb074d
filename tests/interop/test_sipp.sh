#!/usr/bin/env bash
# sipreply interop: one SIPp UAC scenario against sipreplyd, captured on the loopback and
# checked with tshark.
# usage: test_sipp.sh SIPREPLYD SRCDIR SCENARIO udp|tcp [LOSS_PERCENT]
#   SCENARIO is tests/interop/sipp/<SCENARIO>.xml. Asserts SIPp's exit status 0 and its
#   statistics (successful calls = calls placed, failed = 0), that sipreplyd exits 0 on
#   SIGTERM afterwards, and (when capturing is possible) that tshark dissects every response
#   sipreplyd sent, the expected count of each code, with no malformed or expert-error frame.
#   With LOSS_PERCENT, SIPp drops that share of the messages it sends and receives
#   (-lost): every call must still complete, through retransmissions.
set -u
daemon=$1
src=$2
scen=$3
proto=$4
loss=${5:-0}
. "$src/tests/interop/lib.sh"

io_need sipp
case $proto in
udp) sipp_t=u1 ;;
tcp) sipp_t=t1 ;;
*) echo "bad transport $proto"; exit 2 ;;
esac

# Calls per run, and what the server sends per call: "CODE:N" per call (multiplied by the
# number of calls below). Exact without loss; a lower bound with loss (retransmissions).
calls=20
rate=40
cfg=""
sipp_args=()
case $scen in
uac_486) per_call="486:1" ;;
uac_180_200) per_call="180:1 200:2" ;;             # 200 to the INVITE and to the BYE
uac_prack) per_call="183:1 200:3" ;;               # 200 to the PRACK, the INVITE and the BYE
uac_cancel) per_call="180:1 200:1 487:1"           # 200 to the CANCEL, 487 to the INVITE
    cfg=$IO_DIR/conf/cancel.yaml ;;
uac_register) per_call="401:1 423:1 200:1"
    cfg=$IO_DIR/conf/register.yaml
    sipp_args=(-au alice -ap secret) ;;
uac_options) per_call="200:1" ;;
*) echo "unknown scenario $scen"; exit 2 ;;
esac
if [ "$loss" -gt 0 ]; then
    [ "$proto" = udp ] || { echo "loss is simulated on UDP only"; exit 2; }
    sipp_args+=(-lost "$loss")
fi

# ------------------------------------------------------------------ the server under test
capture=0
if io_can_capture; then capture=1; else
    echo "note: no capture (dumpcap cannot open lo as $(id -un)): tshark checks skipped"
fi
if [ "$IO_TARGET" = mock ]; then
    # a SIPp UAS playing sipreplyd's part, to check the scenario and the checks themselves
    # its ports are SIPp's own choice (see io_sipp); the SIP one is read back (io_sipp_port),
    # and a start lost to a media port collision is retried, 5 times at most
    for try in 1 2 3 4 5; do
        timeout 120 sipp -sf "$IO_DIR/sipp/mock/$scen.xml" -t "$sipp_t" -i 127.0.0.1 -ci 127.0.0.1 \
            -nostdin -trace_err -error_file "$IO_TMP/mock_err.log" >"$IO_TMP/mock.log" 2>&1 &
        IO_DPID=$!
        IO_PIDS="$IO_PIDS $IO_DPID"
        IO_PORT=$(io_sipp_port "$IO_DPID" "$proto") && break
        grep -q 'Unable to bind .*RTP socket' "$IO_TMP/mock.log" || break
    done
    [ -n "$IO_PORT" ] || { io_fail "mock UAS did not start"; io_show "$IO_TMP/mock.log"; io_done; }
else
    io_need "$daemon"
    io_start_daemon "$daemon" "$cfg" || io_done
    if [ "$proto" = udp ]; then IO_PORT=$IO_UDP_PORT; else IO_PORT=$IO_TCP_PORT; fi
fi
[ "$capture" = 1 ] && { io_capture_start "$IO_PORT" || capture=0; }

# ------------------------------------------------------------------ the SIPp client
start=$(date +%s%N)
io_sipp "127.0.0.1:$IO_PORT" -sf "$IO_DIR/sipp/$scen.xml" -t "$sipp_t" -i 127.0.0.1 \
    -m "$calls" -r "$rate" -l "$calls" -timeout 60s -timeout_error -nostdin \
    -trace_stat -stf "$IO_TMP/stat.csv" -trace_err -error_file "$IO_TMP/sipp_err.log" \
    -trace_msg -message_file "$IO_TMP/sipp_msg.log" "${sipp_args[@]}"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$rc" -eq 0 ]; then io_ok "sipp $scen over $proto (loss $loss%) exit 0 in $ms ms"; else
    io_fail "sipp $scen over $proto (loss $loss%) exit status $rc"
    io_show "$IO_TMP/sipp.log" 15
    io_show "$IO_TMP/sipp_err.log" 30
fi

# SIPp's own statistics: the last line of the CSV, columns by name
if [ -f "$IO_TMP/stat.csv" ]; then
    ok=$(io_sipp_stat 'SuccessfulCall(C)')
    failed=$(io_sipp_stat 'FailedCall(C)')
    created=$(io_sipp_stat 'OutgoingCall(C)')
    retrans=$(io_sipp_stat 'Retransmissions(C)')
    if [ "$ok" = "$calls" ] && [ "$failed" = 0 ] && [ "$created" = "$calls" ]; then
        io_ok "sipp statistics: $ok/$calls calls successful, 0 failed ($retrans retransmissions)"
    else
        io_fail "sipp statistics: successful $ok, failed $failed, placed $created (want $calls, 0, $calls)"
    fi
else
    io_fail "sipp wrote no statistics"
fi

# ------------------------------------------------------------------ the server's end
if [ "$IO_TARGET" = mock ]; then
    # the mock has no call limit (closing its TCP connection would fail the client's last
    # calls): it must still be there, and is stopped here
    if kill -0 "$IO_DPID" 2>/dev/null; then io_ok "mock UAS still running"; else
        io_fail "mock UAS died"; io_show "$IO_TMP/mock.log" 15; fi
    kill "$IO_DPID"; wait "$IO_DPID" 2>/dev/null
else
    io_stop_daemon
fi

if [ "$capture" = 1 ]; then
    io_capture_stop
    want=""
    for item in $per_call; do want="$want ${item%%:*}:$((${item#*:} * calls))"; done
    if [ "$loss" -gt 0 ]; then io_tshark_check "$IO_PORT" "$proto" "$want" atleast
    else io_tshark_check "$IO_PORT" "$proto" "$want" exact; fi
fi
io_done
