#!/usr/bin/env bash
# sipreply probe: what fails says what failed, on one line (-q), with the documented exit
# status (docs/uac.md). In a private user and network namespace (unshare -rn): its loopback
# is ours alone, so a port there with no socket is unused by construction, not by a guess.
#   a name that does not exist (dnsmasq on 127.0.0.1:53 answers NXDOMAIN for sr.test): exit 3
#   TCP to a port with no listener: connection refused, exit 2
#   UDP to a port with no socket: ICMP port unreachable (RFC 3261 §18.4), exit 2
#   UDP to a socket the test holds and never answers: timeout naming the target, exit 2
# Usage: probe_errors.sh SIPREPLYD SRC SIPREPLY
set -u
. "$2/tests/daemon/netns.sh"
netns_enter probe_errors SR_PROBE_NETNS bash "$0" "$@"
bin=$1 src=$2 cli=$3
. "$src/tests/daemon/lib.sh"
trap 'dns_stop "$tmp"; cleanup' EXIT
dns_start "$tmp" probe_errors --host-record=there.sr.test,127.0.0.1

# expect NAME STATUS LINE PROBE_ARGS...: stdout and stderr together are exactly LINE
expect() {
    local name=$1 want=$2 line=$3 out rc
    shift 3
    out=$(timeout 60 "$cli" probe "$@" 2>&1)
    rc=$?
    if [ "$rc" = "$want" ] && [ "$out" = "$line" ]; then ok "$name: exit $rc, '$out'"
    else bad "$name: exit $rc (want $want), got '$out', want '$line'"; fi
}
expect "NXDOMAIN" 3 "sipreply probe: sip:a@nothere.sr.test: not found" \
    sip:a@nothere.sr.test --dns-server 127.0.0.1:53 -q
expect "TCP refused" 2 "outcome: transport-error (tcp 127.0.0.1:5060: Connection refused)" \
    "sip:a@127.0.0.1:5060;transport=tcp" -q
expect "UDP port unreachable" 2 "outcome: transport-error (udp 127.0.0.1:5060: Connection refused)" \
    sip:a@127.0.0.1:5060 -q
# the same through a name: the line names the address that failed
expect "UDP port unreachable, by name" 2 "outcome: transport-error (udp 127.0.0.1:5062: Connection refused)" \
    sip:a@there.sr.test:5062 --dns-server 127.0.0.1:53 -q

# A UDP socket held by the test (port 0: the kernel picks) that reads the OPTIONS and never
# answers: the probe's --timeout ends it.
python3 - "$cli" <<'PY' && ok "timeout: exit 2, one line naming the target" || bad "timeout"
import socket, subprocess, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
r = subprocess.run([sys.argv[1], "probe", f"sip:a@127.0.0.1:{port}", "--timeout", "1", "-q"],
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60, text=True)
s.settimeout(0)
data = s.recv(65536)  # the OPTIONS came (and its retransmissions): raises if nothing did
want = f"outcome: timeout (no final response from udp 127.0.0.1:{port} within --timeout)\n"
print(f"exit {r.returncode}, {r.stdout!r}")
assert data.startswith(b"OPTIONS sip:a@127.0.0.1:"), data[:60]
assert r.returncode == 2 and r.stdout == want, (r.returncode, r.stdout, want)
PY
exit $fails
