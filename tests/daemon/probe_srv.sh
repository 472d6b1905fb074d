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
if [ -z "${SR_PROBE_NETNS:-}" ]; then
    for t in unshare ip dnsmasq; do
        command -v $t >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
        command -v $t >/dev/null 2>&1 || { echo "probe_srv: $t not installed (scripts/deps.sh test)"; exit 1; }
    done
    unshare -rn true 2>/dev/null || { echo "probe_srv: cannot enter a user and network namespace (unshare -rn)"; exit 1; }
    SR_PROBE_NETNS=1 exec unshare -rn bash "$0" "$@"
fi
bin=$1 src=$2 cli=$3
. "$src/tests/daemon/lib.sh"
ip link set lo up || exit 1
pid1= dns=
cleanup2() {
    [ -n "$pid1" ] && kill -KILL "$pid1" 2>/dev/null
    [ -s "$tmp/dns.pid" ] && kill "$(cat "$tmp/dns.pid")" 2>/dev/null
    cleanup
}
trap cleanup2 EXIT

start_daemon "$tmp/d1.log" -c "$src/examples/failover-503.yaml" -l udp:127.0.0.1:0 || exit 1
pid1=$pid P1=$udp_port pid=
start_daemon "$tmp/d2.log" -l udp:127.0.0.1:0 || exit 1
P2=$udp_port
z=sr.test
# dnsmasq in daemon mode: its first process exits once the sockets are bound (or with the error)
dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --no-negcache --port=53 \
    --listen-address=127.0.0.1 --bind-interfaces --local=/test/ \
    --pid-file="$tmp/dns.pid" --user=root --group= --log-facility="$tmp/dns.log" --log-queries \
    --srv-host=_sip._udp.fo.$z,one.fo.$z,"$P1",10,0 \
    --srv-host=_sip._udp.fo.$z,two.fo.$z,"$P2",20,0 \
    --host-record=one.fo.$z,127.0.0.1 \
    --host-record=two.fo.$z,127.0.0.1 \
    || { echo "probe_srv: dnsmasq did not start"; cat "$tmp/dns.log" 2>/dev/null; exit 1; }

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
stop_daemon; pid=$pid1; pid1=; stop_daemon
exit $fails
