#!/usr/bin/env bash
# sipreplyd registrations over TCP: one sipreplyd (dial-a-code, whose registrar takes any
# REGISTER) is the registrar on a TCP port 0; a second registers two AORs to it with
# `transport: tcp`. The REGISTERs go over a TCP connection the second opens (RFC 3261 §18.1.1),
# the Contact names its TCP listener with ;transport=tcp, and SIGTERM de-registers both over
# TCP before it exits 0. Loopback only, every wait bounded.
# usage: test_register_tcp.sh <sipreplyd> <source-dir>
set -u
bin=$1 src=$2
. "$src/tests/daemon/lib.sh"
pid1=
cleanup2() {
    [ -n "$pid1" ] && kill -KILL "$pid1" 2>/dev/null
    cleanup
}
trap cleanup2 EXIT

start_daemon "$tmp/registrar.log" -l udp:127.0.0.1:0 -l tcp:127.0.0.1:0 || exit 1
pid1=$pid R=$tcp_port pid=
cat >"$tmp/reg.yaml" <<EOF2
registrations:
  - aor: sip:{1..2}@127.0.0.1
    registrar: 127.0.0.1:$R
    transport: tcp
    expires: 300
EOF2
start_daemon "$tmp/ua.log" -c "$tmp/reg.yaml" -l udp:127.0.0.1:0 -l tcp:127.0.0.1:0 || exit 1
T=$tcp_port
for n in 1 2; do
    want="info register sip:$n@127\.0\.0\.1: registered as sip:$n@127\.0\.0\.1:$T;transport=tcp at tcp 127\.0\.0\.1:$R \(200; expires 300 s, refresh in 150 s\)"
    for _ in $(seq 100); do grep -qE "$want" "$tmp/ua.log" && break; sleep 0.1; done
    grep -qE "$want" "$tmp/ua.log" && ok "sip:$n registered over TCP, Contact ;transport=tcp" ||
        { bad "no line '$want'"; cat "$tmp/ua.log"; }
done
n=$(grep -cE "^.* info tcp:127\.0\.0\.1:[0-9]+ REGISTER sip:127\.0\.0\.1:$R;transport=tcp -> 200 rule=" "$tmp/registrar.log")
[ "$n" = 2 ] && ok "the registrar answered 2 REGISTERs received over TCP" ||
    { bad "the registrar logged $n REGISTERs over TCP"; cat "$tmp/registrar.log"; }
stop_daemon
[ "$rc" = 0 ] && ok "exit 0 on SIGTERM" || bad "exit status $rc on SIGTERM"
n=$(grep -cE "info register sip:[12]@127\.0\.0\.1: de-registered \(REGISTER Expires: 0 to tcp 127\.0\.0\.1:$R: 200\)" "$tmp/ua.log")
[ "$n" = 2 ] && ok "both de-registered over TCP" || { bad "$n de-registrations"; cat "$tmp/ua.log"; }
n=$(grep -cE " info tcp:127\.0\.0\.1:[0-9]+ REGISTER sip:127\.0\.0\.1:$R;transport=tcp -> 200 rule=" "$tmp/registrar.log")
[ "$n" = 4 ] && ok "the registrar saw the 2 de-registrations" || { bad "the registrar saw $n REGISTERs"; cat "$tmp/registrar.log"; }
pid=$pid1; pid1=; stop_daemon
exit $fails
