#!/usr/bin/env bash
# sipreplyd reflection budget: an address that never shows a sign of life (an ACK or PRACK
# naming our response) gets at most --reflection-budget bytes beyond --reflection-ratio
# times the bytes of its new requests (a spoofed INVITE's responses and their
# retransmissions stop there); a caller that ACKs gets every response; a proxy's listed forward
# targets are exempt. 127.0.0.1, port 0,
# bounded waits.
# usage: test_reflection.sh <sipreplyd> <source-dir>
set -u
bin=$1 src=$2
. "$src/tests/daemon/lib.sh"
DRV="python3 $src/tests/daemon/netdrv.py"
common=(-c "$tmp/ring.yaml" -l udp:127.0.0.1:0 --metrics 127.0.0.1:0)
# short timers: the 2xx retransmissions (T1, 2T1, ... up to 64*T1) end within 3.2 s
cat >"$tmp/ring.yaml" <<'YAML'
timers: {t1: 50ms, t2: 200ms, t4: 250ms}
rules:
  - name: ring
    match: {user: "180"}
    respond:
      - {code: 180}
      - {code: 200, delay: 200ms}
  - name: busy
    match: {user: "486"}
    respond:
      - {code: 180}
      - {code: 486}
YAML
val() { printf '%s\n' "$1" | sed -n "s/^$2=//p"; }
# the callers that ACK: the same rules with T1 = 1 s, so that a response is resent only when
# its ACK is a second late, and twice (what one call's owed bytes could not absorb) only
# when it is three seconds late — a loaded machine's slow ACK is no sign of a lost one
sed 's/^timers: .*/timers: {t1: 1s, t2: 4s, t4: 5s}/' "$tmp/ring.yaml" >"$tmp/ack.yaml"
acking=(-c "$tmp/ack.yaml" -l udp:127.0.0.1:0 --metrics 127.0.0.1:0 --shutdown-timeout 1000)

# without the budget: 5 unanswered INVITEs bring back far more than the bound
start_daemon "$tmp/off.log" "${common[@]}" --reflection-budget 0 || exit 1
port=$udp_port
out=$($DRV reflect 127.0.0.1 "$port" 5 --wait 4)
off=$(val "$out" received_bytes)
stop_daemon

# with it (default 2048 bytes, ratio 4): within 2048 + 4 x the INVITEs' bytes
start_daemon "$tmp/on.log" "${common[@]}" || exit 1
port=$udp_port
out=$($DRV reflect 127.0.0.1 "$port" 5 --wait 4)
got=$(val "$out" received_bytes) sent=$(val "$out" sent_bytes)
bound=$((2048 + 4 * sent))
[ "$got" -le "$bound" ] && ok "no ACK: $got bytes back for $sent sent (bound $bound; $off without the budget)" \
    || bad "no ACK: $got bytes back for $sent sent, over the bound $bound"
[ "$off" -gt "$bound" ] && ok "without the budget: $off bytes" || bad "the baseline $off is within the bound"
n=$(metric sipreplyd_reflection_dropped_total)
[ "$n" -gt 0 ] && ok "counted: $n datagrams dropped" || bad "reflection drops not counted"
c=$(grep -c 'reflection budget: 127.0.0.1' "$tmp/on.log")
[ "$c" = 1 ] && ok "logged once" || bad "logged $c times, want 1"
stop_daemon

# callers that ACK (2xx and non-2xx) get every response, on a fresh daemon: 20 calls at once
# with SDP offers (a load test's INVITEs)
start_daemon "$tmp/ack.log" "${acking[@]}" || exit 1
port=$udp_port
for user in 180 486; do
    out=$($DRV reflect 127.0.0.1 "$port" 20 --sdp --ack --user $user --wait 10)
    # every call's final (a slow machine may also see a retransmission before the ACK lands)
    [ "$(val "$out" calls_answered)" = 20 ] && [ "$(val "$out" received_datagrams)" -ge 40 ] \
        && ok "ACKing caller ($user, 20 at once): every response" || bad "ACKing caller ($user): $out"
done
n=$(metric sipreplyd_reflection_dropped_total)
[ "$n" = 0 ] && ok "nothing dropped for ACKing callers" || bad "$n dropped for ACKing callers"
stop_daemon

# the signs of life themselves: with --reflection-ratio 1 each of these small INVITEs costs
# 300 to 700 bytes beyond its credit, so 20 calls stay within 2048 bytes only because each
# ACK (for the 2xx: the engine matches its To tag; for the 486: the tag derived from the
# INVITE, RFC 3261 17.1.1.3) clears what the address owes
start_daemon "$tmp/life.log" "${acking[@]}" --reflection-ratio 1 || exit 1
port=$udp_port
for user in 180 486; do
    out=$($DRV reflect 127.0.0.1 "$port" 20 --ack --serial --user $user --wait 10)
    [ "$(val "$out" calls_answered)" = 20 ] && [ "$(val "$out" received_datagrams)" -ge 40 ] \
        && ok "ACKs are signs of life ($user, one call at a time)" || bad "ACKs as signs of life ($user): $out"
done
n=$(metric sipreplyd_reflection_dropped_total)
[ "$n" = 0 ] && ok "nothing dropped" || bad "$n dropped although every call was ACKed"
stop_daemon
[ "$rc" = 0 ] && ok "exit 0" || bad "exit status $rc"

# a proxy's forward target, listed in its configuration, is no reflection: 20 INVITEs
# forwarded at once, before the target's first answer, all reach it (with the budget
# counting them, the fourth or so would be dropped) and every caller gets its 486 (the target
# on 127.0.0.2: an address of its own, not the caller's, which earns credit by its requests)
"$bin" --port-file "$tmp/tports" -l udp:127.0.0.2:0 --reflection-budget 0 >"$tmp/target.log" 2>&1 &
tpid=$!
for _ in $(seq 300); do [ -s "$tmp/tports" ] && break; sleep 0.1; done
tport=$(awk '$1 == "udp" { print $3; exit }' "$tmp/tports")
cat >"$tmp/proxy.yaml" <<YAML
rules:
  - name: fwd
    forward: ["sip:486@127.0.0.2:$tport"]
YAML
start_daemon "$tmp/proxy.log" -c "$tmp/proxy.yaml" -l udp:127.0.0.1:0 --metrics 127.0.0.1:0 || exit 1
out=$($DRV reflect 127.0.0.1 "$udp_port" 20 --sdp --ack --user 486 --wait 10)
[ "$(val "$out" calls_answered)" = 20 ] && ok "proxy: 20 INVITEs forwarded at once, 20 answered" ||
    bad "proxy, 20 at once: $out"
n=$(metric sipreplyd_reflection_dropped_total)
[ "$n" = 0 ] && ok "proxy: nothing dropped on the way to its target" || bad "proxy dropped $n datagrams"
stop_daemon
kill -TERM $tpid 2>/dev/null; wait $tpid 2>/dev/null
exit $fails
