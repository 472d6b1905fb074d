#!/usr/bin/env bash
# sipreply interop: the torture sender (sr_torture.c) against sipreplyd, once over UDP and
# once over TCP, each time on a daemon of its own (the same vector sent over both would be
# a merged request, RFC 3261 8.2.2.2). RFC 4475 vectors with the answers of torture.tsv,
# an oversized datagram, an oversized TCP message and header block, truncated messages and
# random garbage; after every input an OPTIONS must get its 200; the daemon must never die
# and must exit 0 on SIGTERM (under ASan in build-asan: no sanitizer report either).
# usage: test_torture.sh SIPREPLYD SR_TORTURE SRCDIR [ROUNDS]
set -u
daemon=$1
torture=$2
src=$3
rounds=${4:-100}
. "$src/tests/interop/lib.sh"
io_need "$daemon" "$torture"

for transport in udp tcp; do
    echo "interop: torture over $transport"
    io_start_daemon "$daemon" "" || io_done
    if [ "$transport" = udp ]; then IO_PORT=$IO_UDP_PORT; else IO_PORT=$IO_TCP_PORT; fi
    start=$(date +%s%N)
    "$torture" "$IO_PORT" "$src/tests/vectors/rfc4475" "$IO_DIR/torture.tsv" \
        --transport "$transport" --rounds "$rounds" --seed 24301 >"$IO_TMP/torture_$transport.log" 2>&1
    rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    grep -E '^(FAIL|XFAIL|torture):' "$IO_TMP/torture_$transport.log"
    if [ "$rc" -eq 0 ]; then
        io_ok "torture over $transport: every check passed ($ms ms)"
    else
        io_fail "torture over $transport: exit status $rc"
    fi
    io_stop_daemon
done
io_done
