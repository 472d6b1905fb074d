#!/usr/bin/env bash
# sipreplyd integration: dialogs with real processes (tests/daemon/dialogc.py) over UDP and
# TCP — 481 for a To tag matching no dialog, INVITE/200/ACK then hold and resume by
# re-INVITE (recvonly, o= version +1), UPDATE, a CSeq out of order (500), BYE (200) and the
# dialog gone from /metrics, 491 on glare, and a session timer (Session-Expires: 90, the
# least Min-SE allows) ending the call with a BYE from sipreplyd 60 s later, logged.
# Loopback only, port 0, every wait bounded.
# usage: test_dialogs.sh <sipreplyd> <source-dir>
set -u
bin=$1 src=$2
. "$src/tests/daemon/lib.sh"
DC="python3 $src/tests/daemon/dialogc.py"

log=$tmp/dialogs.log
start_daemon "$log" -l "udp:127.0.0.1:0" -l "tcp:127.0.0.1:0" --metrics "127.0.0.1:0" || exit 1

# the session timer runs its 60 s meanwhile
$DC udp 127.0.0.1 "$udp_port" timer >"$tmp/timer.out" 2>&1 &
timer_pid=$!
# its dialog exists before the others start (the counts below include it); bounded wait
for _ in $(seq 600); do
    grep -q '^acked' "$tmp/timer.out" 2>/dev/null && break
    kill -0 $timer_pid 2>/dev/null || break
    sleep 0.1
done
grep -q '^acked' "$tmp/timer.out" && ok "session timer call: confirmed" || bad "session timer call: $(cat "$tmp/timer.out")"

for tp in udp tcp; do
    p=$(port_of $tp)
    for scen in unknown call glare; do
        if out=$($DC $tp 127.0.0.1 "$p" $scen 2>&1); then ok "$tp $scen: $(echo "$out" | grep -c '^ok:') checks"
        else bad "$tp $scen: $out"; fi
    done
done
# one dialog left: the timer's
n=$(metric sipreplyd_dialogs)
[ "$n" = 1 ] && ok "/metrics: the ended dialogs are gone (sipreplyd_dialogs 1: the timer's call)" || bad "sipreplyd_dialogs $n"
n=$(metric sipreplyd_dialog_481_total)
# per transport: 3 (unknown) + 1 (call's second BYE)
[ "$n" = 8 ] && ok "/metrics: sipreplyd_dialog_481_total 8" || bad "sipreplyd_dialog_481_total $n"
n=$(metric sipreplyd_dialogs_created_total)
[ "$n" = 5 ] && ok "/metrics: sipreplyd_dialogs_created_total 5" || bad "sipreplyd_dialogs_created_total $n"

if wait $timer_pid; then ok "session timer: $(grep -c '^ok:' "$tmp/timer.out") checks"
else bad "session timer: $(cat "$tmp/timer.out")"; fi
n=$(metric sipreplyd_dialogs)
[ "$n" = 0 ] && ok "/metrics: no dialog left" || bad "sipreplyd_dialogs $n at the end"
n=$(metric sipreplyd_byes_sent_total)
[ "$n" = 1 ] && ok "/metrics: sipreplyd_byes_sent_total 1" || bad "sipreplyd_byes_sent_total $n"
# one log line per dialog end, with its duration and reason
if grep -qE ' info udp:127\.0\.0\.1:[0-9]+ dialog confirmed ended after [0-9]+\.[0-9]{3} s: BYE received; Call-ID ' "$log" &&
    grep -qE ' dialog confirmed ended after ([6-9][0-9]|[0-9]{3,})\.[0-9]{3} s: session timer expired \(BYE sent\); Call-ID ' "$log"; then
    ok "dialog ends logged with duration and reason"
else bad "dialog end log: $(grep dialog "$log")"; fi
[ "$(grep -c ' dialog confirmed ended after ' "$log")" = 5 ] && ok "one line per dialog end" ||
    bad "dialog end lines: $(grep -c ' dialog confirmed ended after ' "$log")"

stop_daemon
[ "$rc" = 0 ] && ok "exit 0" || bad "exit $rc: $(tail -5 "$log")"

# examples/hold.yaml: the same call, hold and resume, against a rule for every INVITE
start_daemon "$tmp/hold.log" -c "$src/examples/hold.yaml" -l "udp:127.0.0.1:0" || exit 1
if out=$($DC udp 127.0.0.1 "$udp_port" call 2>&1); then ok "examples/hold.yaml: $(echo "$out" | grep -c '^ok:') checks"
else bad "examples/hold.yaml: $out"; fi
stop_daemon
exit $fails
