#!/usr/bin/env bash
# make run: start sipreplyd on its embedded default ("dial a code") on 127.0.0.1:5060, UDP and
# TCP, after saying how to try it. usage: scripts/run.sh BUILD_DIR [extra sipreplyd options]
set -u
build=${1:-build}
shift || true
bin="$build/sipreplyd"
[ -x "$bin" ] || { echo "run: $bin is not built (make build)" >&2; exit 1; }
cat <<'MSG'
sipreplyd: dial a code on 127.0.0.1:5060 (UDP and TCP). The user part of the Request-URI
is the response code: sip:486@127.0.0.1 gets 486 Busy Here, sip:183@... a 183 (reliable
when you offer 100rel) then 200, sip:302@... a redirect, sip:401@... (and 407) a digest
challenge that any user name with the password "sipreply" answers to get 200; OPTIONS
gets 200, REGISTER is registered, other users get 404. Try it from another terminal:

  sipsak -s sip:486@127.0.0.1:5060                      # OPTIONS-style probe: 486 Busy Here
  sipsak -s sip:200@127.0.0.1:5060 -v                   # 200 OK with Allow/Accept/Supported
  sipp -sn uac -s 200 -m 1 -t t1 127.0.0.1:5060         # INVITE -> 200 -> ACK -> BYE (TCP)
  python3 tests/daemon/sipc.py udp 127.0.0.1 5060 INVITE sip:503@127.0.0.1 -v
  python3 tests/daemon/sipc.py udp 127.0.0.1 5060 INVITE sip:401@127.0.0.1 --auth me:sipreply

The configuration it runs: build/sipreplyd --print-default; rules of your own: -c FILE
(docs/sipreplyd.md, examples/). Ctrl-C stops it.

MSG
exec "$bin" "$@"
