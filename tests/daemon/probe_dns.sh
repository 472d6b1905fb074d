#!/usr/bin/env bash
# sipreply probe through the RFC 3263 resolver: run by tests/net/dns_test.sh inside its
# private network namespace, with dnsmasq serving sr.test on DNS (the first argument).
# plain.sr.test has A 127.0.2.1 (and AAAA fd00::21) and no NAPTR or SRV: a URI without a
# port goes to 127.0.2.1:5060 over UDP (RFC 3263 §4.1, §4.2); peer.sr.test is 127.0.0.1.
# Port 5060 is free here: the namespace's loopback is private.
# Usage: dns_test.sh probe_dns.sh SIPREPLYD SRC SIPREPLY  (dns_test.sh puts DNS first)
dns=$1 bin=$2 src=$3 cli=$4
. "$src/tests/daemon/lib.sh"
set -u
start_daemon "$tmp/d.log" -l udp:127.0.2.1:5060 -l udp:127.0.0.1:0 || exit 1
U=$(port_of udp 127.0.0.1)
out=$(timeout 60 "$cli" probe sip:486@plain.sr.test --dns-server "$dns" --json)
rc=$?
echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin); p = d["probes"][0]
assert d["targets"][0] == "udp 127.0.2.1:5060", d["targets"]
assert p["exchanges"][0]["to"] == "udp 127.0.2.1:5060" and p["status"] == 486, p
' && [ "$rc" = 1 ] && ok "plain.sr.test: A record, port 5060, 486" || bad "plain.sr.test ($rc): $out"
out=$(timeout 60 "$cli" probe "sip:200@peer.sr.test:$U" --dns-server "$dns" --method INVITE -q)
rc=$?
[ "$out" != "${out#outcome: ok, 200 OK}" ] && [ "$rc" = 0 ] && ok "peer.sr.test:PORT INVITE: $out" \
    || bad "peer.sr.test ($rc): $out"
out=$(timeout 60 "$cli" probe sip:200@nothere.sr.test --dns-server "$dns" 2>&1)
rc=$?
[ "$rc" = 3 ] && ok "a name that does not exist: exit 3 ($out)" || bad "nothere ($rc): $out"
stop_daemon
exit $fails
