#!/usr/bin/env bash
# sipreplyd over TCP: when the caller's connection is gone, the 2xx retransmissions (RFC 3261
# §13.3.1.4) go to its Via address (§18.2.2) on one connection, not one per retransmission.
# 127.0.0.1, port 0, bounded waits.
# usage: test_tcp_reuse.sh <sipreplyd> <source-dir>
set -u
bin=$1 src=$2
. "$src/tests/daemon/lib.sh"
DRV="python3 $src/tests/daemon/netdrv.py"
# T1 50 ms: retransmissions at 50, 150, 350, 750, 1550 ms, ...
cat >"$tmp/ok.yaml" <<'YAML'
timers: {t1: 50ms, t2: 200ms, t4: 250ms}
rules:
  - name: ok
    match: {user: "200"}
    respond: 200
YAML
start_daemon "$tmp/d.log" -c "$tmp/ok.yaml" -l tcp:127.0.0.1:0 --metrics 127.0.0.1:0 || exit 1
port=$tcp_port
out=$($DRV reuse 127.0.0.1 "$port" --wait 2)
echo "$out" | grep -q '^got200=1' && ok "the caller got its 200" || bad "no 200: $out"
echo "$out" | grep -q '^accepted=1$' && ok "one connection to the Via address ($(echo "$out" | tr '\n' ' '))" \
    || bad "want 1 connection to the Via address: $out"
r=$(printf '%s\n' "$out" | sed -n 's/^retransmissions=//p')
[ "${r:-0}" -ge 3 ] && ok "$r retransmissions on it" || bad "only ${r:-0} retransmissions arrived"
n=$(metric sipreplyd_tcp_reconnect_reused_total)
[ "$n" -ge 2 ] && ok "counted: $n sends on the reused connection" || bad "reuses counted: $n"
stop_daemon
[ "$rc" = 0 ] && ok "exit 0" || bad "exit status $rc"
exit $fails
