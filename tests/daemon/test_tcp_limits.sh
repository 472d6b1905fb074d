#!/usr/bin/env bash
# sipreplyd TCP limits against slowloris: a message must be complete within --message-timeout
# of its first byte (bytes trickled in do not keep a connection), at most
# --max-connections-per-source connections from one address, and when all
# --max-connections are open a new client still gets its answer (the connection idle the
# longest is closed). Each closure is counted in /metrics. 127.0.0.1, port 0, bounded waits.
# usage: test_tcp_limits.sh <sipreplyd> <source-dir>
set -u
bin=$1 src=$2
. "$src/tests/daemon/lib.sh"
DRV="python3 $src/tests/daemon/netdrv.py"
common=(-l udp:127.0.0.1:0 -l tcp:127.0.0.1:0 --metrics 127.0.0.1:0)

# (a) a message trickled a byte every 100 ms is closed by the 300 ms deadline
start_daemon "$tmp/a.log" "${common[@]}" --message-timeout 300 || exit 1
port=$tcp_port
out=$($DRV slow 127.0.0.1 "$port")
echo "$out" | grep -q '^closed=1' && ok "a trickled message is closed ($(echo "$out" | tr '\n' ' '))" \
    || bad "a trickled message kept its connection: $out"
n=$(metric 'sipreplyd_tcp_closed_total{reason="message_timeout"}')
[ "$n" -ge 1 ] && ok "counted: message_timeout $n" || bad "message_timeout not counted ($n)"
# a complete message still gets its answer on such a daemon
$SIPC tcp 127.0.0.1 "$port" OPTIONS sip:x@127.0.0.1 --wait 3 | grep -q '^SIP/2.0 200' \
    && ok "a complete message is answered" || bad "OPTIONS over TCP not answered"
stop_daemon

# (b) 6 connections from 127.0.0.1 with a cap of 4 per source: 2 are refused
start_daemon "$tmp/b.log" "${common[@]}" --max-connections 8 --max-connections-per-source 4 \
    --message-timeout 60000 || exit 1
port=$tcp_port
out=$($DRV persource 127.0.0.1 "$port" 6)
[ "$out" = "open=4" ] && ok "per-source cap: $out of 6" || bad "per-source cap 4: $out of 6"
n=$(metric 'sipreplyd_tcp_closed_total{reason="per_source"}')
[ "$n" = 2 ] && ok "counted: per_source $n" || bad "per_source counted $n, want 2"
stop_daemon

# (c) 8 trickling connections fill the table; a new client gets its answer, the oldest
# idle one is closed
start_daemon "$tmp/c.log" "${common[@]}" --max-connections 8 --max-connections-per-source 16 \
    --message-timeout 60000 || exit 1
port=$tcp_port
out=$($DRV full 127.0.0.1 "$port" 8)
echo "$out" | grep -q '^answered=1' && ok "table full: a new client is answered" \
    || bad "table full: the new client got no answer: $out"
echo "$out" | grep -q '^first_closed=1' && ok "table full: the oldest idle connection closed" \
    || bad "table full: the oldest connection still open: $out"
n=$(metric 'sipreplyd_tcp_closed_total{reason="evicted"}')
[ "$n" -ge 1 ] && ok "counted: evicted $n" || bad "evicted not counted ($n)"
stop_daemon
[ "$rc" = 0 ] && ok "exit 0" || bad "exit status $rc"
exit $fails
