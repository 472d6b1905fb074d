#!/usr/bin/env bash
# sipreplyd seeding: without a configured seed, two daemons answer the very same request with
# different To tags (the seed is drawn from the kernel's random generator at each start);
# with `seed:` in the configuration they answer it alike (replayable runs). Loopback only,
# every wait bounded.
# usage: test_seed.sh <sipreplyd> <source-dir>
set -u
bin=$1 src=$2
. "$src/tests/daemon/lib.sh"

req=$tmp/invite.sip
printf 'INVITE sip:486@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKseed1;rport\r\nMax-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=seedfrom\r\nTo: <sip:486@127.0.0.1>\r\nCall-ID: seed-call-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n' >"$req"

# to_tag ARGS...: start sipreplyd with ARGS, send the request, print the response's To tag
to_tag() {
    start_daemon "$tmp/seed.log" -l "udp:127.0.0.1:0" "$@" || return 1
    $SIPC udp 127.0.0.1 "$udp_port" INVITE x --raw "$req" -v 2>&1 |
        sed -n 's/^To: .*;tag=\([^;[:space:]]*\).*/\1/p' | head -1
    stop_daemon
}

a=$(to_tag) b=$(to_tag)
if [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]; then ok "no seed: To tags differ between runs ($a, $b)"
else bad "no seed: To tags '$a' and '$b'"; fi

cfg=$tmp/seeded.yaml
printf 'seed: 12345\nrules:\n  - {match: {user: "486"}, respond: 486}\n' >"$cfg"
a=$(to_tag -c "$cfg") b=$(to_tag -c "$cfg")
if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "seed 12345: the same To tag in both runs ($a)"
else bad "seed 12345: To tags '$a' and '$b'"; fi
exit $fails
