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
. "$2/tests/daemon/netns.sh"
netns_enter register_srv SR_PROBE_NETNS bash "$0" "$@"
bin=$1 src=$2
. "$src/tests/daemon/lib.sh"
trap srv_failover_cleanup EXIT
srv_failover register_srv
z=sr.test

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
srv_failover_stop
exit $fails
