#!/usr/bin/env bash
# sipreplyd registrations: the registrar located by DNS SRV, and failover (RFC 3263 §4.3). In a
# private user and network namespace (unshare -rn: its loopback is ours alone), two sipreplyd
# listen on UDP port 0 as registrars: the first answers 503 with Retry-After to everything
# (examples/failover-503.yaml), the second is dial-a-code (its registrar takes any REGISTER).
# dnsmasq on 127.0.0.1:53 serves _sip._udp.fo.sr.test with the first at priority 10 and the
# second at priority 20. A third sipreplyd registers sip:alice@fo.sr.test (registrations: with
# `dns: 127.0.0.1:53`): its REGISTER must go to the first, take NEXT_SERVER on the 503 and be
# registered by the second; on SIGTERM its de-registration takes the same way.
# Usage: register_srv.sh SIPREPLYD SRC SIPREPLY
set -u
if [ -z "${SR_PROBE_NETNS:-}" ]; then
    for t in unshare ip dnsmasq; do
        command -v $t >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
        command -v $t >/dev/null 2>&1 || { echo "register_srv: $t not installed (scripts/deps.sh test)"; exit 1; }
    done
    unshare -rn true 2>/dev/null || { echo "register_srv: cannot enter a user and network namespace (unshare -rn)"; exit 1; }
    SR_PROBE_NETNS=1 exec unshare -rn bash "$0" "$@"
fi
bin=$1 src=$2
. "$src/tests/daemon/lib.sh"
ip link set lo up || exit 1
pid1= pid2= dns=
cleanup2() {
    [ -n "$pid1" ] && kill -KILL "$pid1" 2>/dev/null
    [ -n "$pid2" ] && kill -KILL "$pid2" 2>/dev/null
    [ -s "$tmp/dns.pid" ] && kill "$(cat "$tmp/dns.pid")" 2>/dev/null
    cleanup
}
trap cleanup2 EXIT

start_daemon "$tmp/d1.log" -c "$src/examples/failover-503.yaml" -l udp:127.0.0.1:0 || exit 1
pid1=$pid P1=$udp_port pid=
start_daemon "$tmp/d2.log" -l udp:127.0.0.1:0 || exit 1
pid2=$pid P2=$udp_port pid=
z=sr.test
# dnsmasq in daemon mode: its first process exits once the sockets are bound (or with the error)
dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --no-negcache --port=53 \
    --listen-address=127.0.0.1 --bind-interfaces --local=/test/ \
    --pid-file="$tmp/dns.pid" --user=root --group= --log-facility="$tmp/dns.log" --log-queries \
    --srv-host=_sip._udp.fo.$z,one.fo.$z,"$P1",10,0 \
    --srv-host=_sip._udp.fo.$z,two.fo.$z,"$P2",20,0 \
    --host-record=one.fo.$z,127.0.0.1 \
    --host-record=two.fo.$z,127.0.0.1 \
    || { echo "register_srv: dnsmasq did not start"; cat "$tmp/dns.log" 2>/dev/null; exit 1; }

cat >"$tmp/reg.yaml" <<EOF2
registrations:
  dns: 127.0.0.1:53
  accounts:
    - aor: sip:alice@fo.$z
rules:
  - match: {user: alice}
    respond: 486
EOF2
start_daemon "$tmp/d3.log" -c "$tmp/reg.yaml" -l udp:127.0.0.1:0 || exit 1
P3=$udp_port
want="info register sip:alice@fo\.sr\.test: registered as sip:alice@127\.0\.0\.1:$P3 at udp 127\.0\.0\.1:$P2 \(503 NEXT_SERVER 200; expires 3600 s, refresh in 1800 s\)"
for _ in $(seq 100); do grep -qE "$want" "$tmp/d3.log" && break; sleep 0.1; done
if grep -qE "$want" "$tmp/d3.log"; then
    ok "SRV: 503 at priority 10 (port $P1), NEXT_SERVER, registered at priority 20 (port $P2)"
else
    bad "no line '$want'"; cat "$tmp/d3.log" "$tmp/dns.log"
fi
grep -q "notice registrations\[0\]: registrar sip:fo\.sr\.test at 127\.0\.0\.1:$P1 (2 server(s))" "$tmp/d3.log" &&
    ok "the registrar's two servers, in SRV order" || { bad "no located line"; cat "$tmp/d3.log"; }
grep -qE "REGISTER sip:fo\.sr\.test -> 503 rule=" "$tmp/d1.log" && ok "the first registrar answered 503" ||
    { bad "the first registrar saw no REGISTER"; cat "$tmp/d1.log"; }
grep -qE "REGISTER sip:fo\.sr\.test -> 200 rule=" "$tmp/d2.log" && ok "the second registrar answered 200" ||
    { bad "the second registrar saw no REGISTER"; cat "$tmp/d2.log"; }
stop_daemon
[ "$rc" = 0 ] && ok "exit 0 on SIGTERM" || bad "exit status $rc on SIGTERM"
want="info register sip:alice@fo\.sr\.test: de-registered \(REGISTER Expires: 0 to udp 127\.0\.0\.1:$P2: 503 NEXT_SERVER 200\)"
grep -qE "$want" "$tmp/d3.log" && ok "de-registered through the same failover" ||
    { bad "no line '$want'"; cat "$tmp/d3.log"; }
pid=$pid1; pid1=; stop_daemon; pid=$pid2; pid2=; stop_daemon
exit $fails
