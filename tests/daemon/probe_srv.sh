#!/usr/bin/env bash
# sipreply probe: DNS SRV failover (RFC 3263 §4.3). In a private user and network namespace
# (unshare -rn: its loopback is ours alone), two sipreplyd listen on UDP port 0; their ports,
# read from --port-file, go into SRV records of _sip._udp.fo.sr.test served by dnsmasq on
# 127.0.0.1:53, the first (priority 10) answering 503 to everything
# (examples/failover-503.yaml, Retry-After: 120), the second (priority 20) dial-a-code.
# `sipreply probe sip:200@fo.sr.test` must try the first, take NEXT_SERVER on its 503 and end
# with the 200 of the second: exit 0.
# Usage: probe_srv.sh SIPREPLYD SRC SIPREPLY
set -u
. "$2/tests/daemon/netns.sh"
netns_enter probe_srv SR_PROBE_NETNS bash "$0" "$@"
bin=$1 src=$2 cli=$3
. "$src/tests/daemon/lib.sh"
trap srv_failover_cleanup EXIT
srv_failover probe_srv
z=sr.test

out=$(timeout 60 "$cli" probe sip:200@fo.$z --dns-server 127.0.0.1:53 --json)
rc=$?
echo "$out" | python3 -c '
import json, sys
p1, p2 = sys.argv[1], sys.argv[2]
d = json.load(sys.stdin); p = d["probes"][0]
assert d["targets"] == ["udp 127.0.0.1:" + p1, "udp 127.0.0.1:" + p2], d["targets"]
ex = p["exchanges"]
reqs = [e for e in ex if e["kind"] == "request"]
resps = [e for e in ex if e["kind"] == "response"]
nxt = [e for e in ex if e["kind"] == "action" and e["action"] == "NEXT_SERVER"]
assert reqs[0]["to"] == "udp 127.0.0.1:" + p1, reqs
assert resps[0]["status"] == 503 and resps[0]["from"] == "udp 127.0.0.1:" + p1, resps
assert len(nxt) == 1 and nxt[0]["status"] == 503 and nxt[0]["rfc"] == "RFC 3263 §4.3", ex
assert p["actions"] == ["NEXT_SERVER"], p["actions"]
assert [e["to"] for e in reqs] == ["udp 127.0.0.1:" + p1, "udp 127.0.0.1:" + p2], reqs
assert [e["status"] for e in resps] == [503, 200], resps
assert p["status"] == 200 and d["exit"] == 0, p
' "$P1" "$P2" && [ "$rc" = 0 ] && ok "SRV 503 at priority 10 (port $P1), NEXT_SERVER, 200 at priority 20 (port $P2)" \
    || { bad "SRV failover ($rc): $out"; cat "$tmp/dns.log"; }
srv_failover_stop
exit $fails
