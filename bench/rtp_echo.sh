#!/usr/bin/env bash
# RTP echo benchmark (docs/performance.md, "RTP echo"): N concurrent G.711 streams (20 ms,
# 160-byte payloads) from bench/rtp_load against sipreplyd (N calls to a rule in media
# `echo` mode, one RTP/RTCP port pair each) and against SIPp's -rtp_echo (one media port for
# all streams); the figure is the echo's CPU time per packet echoed (utime+stime from
# /proc/PID/stat over the RTP phase), with the loss. 127.0.0.1 only.
# usage: bench/rtp_echo.sh SIPREPLYD RTP_LOAD [STREAMS] [SECONDS]
set -u
bin=$1 load=$2 n=${3:-500} secs=${4:-10}
tmp=$(mktemp -d /tmp/rtp-echo-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/echo.yaml" <<'YAML'
media: {ports: 0, timeout: 120s, max-calls: 10000}
rules:
  - name: echo
    match: {method: INVITE, user: echo}
    media: echo
    respond: [{code: 200}]
  - name: in-dialog
    match: {method: [BYE, ACK]}
    respond: 200
YAML
"$bin" -q --reflection-budget 0 -c "$tmp/echo.yaml" -l udp:127.0.0.1:0 --port-file "$tmp/ports" \
    >"$tmp/d.log" 2>&1 &
dp=$!
for _ in $(seq 50); do [ -s "$tmp/ports" ] && break; sleep 0.1; done
port=$(awk '$1 == "udp" { print $3; exit }' "$tmp/ports")
echo "sipreplyd: $(timeout $((secs + 90)) "$load" --sip "127.0.0.1:$port" --calls "$n" --seconds "$secs" --pid "$dp")"
kill "$dp"; wait "$dp"
if command -v sipp >/dev/null; then
    # SIPp's echo thread: a UAS scenario with -rtp_echo; its PID from its background banner
    (cd "$tmp" && timeout $((secs + 60)) sipp -sn uas -rtp_echo -mi 127.0.0.1 -i 127.0.0.1 \
        -nostdin -bg >"$tmp/sipp.log" 2>&1)
    sp=$(sed -n 's/.*PID=\[\([0-9]*\)\].*/\1/p' "$tmp/sipp.log")
    mp=
    for _ in $(seq 50); do
        mp=$(ss -Hlunp 2>/dev/null | grep "pid=$sp," | awk '{ sub(/.*:/, "", $4); print $4 }' |
            sort -n | awk '$1 >= 6000 && $1 < 7000' | head -1)
        [ -n "$mp" ] && break; sleep 0.1
    done
    echo "sipp -rtp_echo: $(timeout $((secs + 30)) "$load" --rtp "127.0.0.1:$mp" --calls "$n" --seconds "$secs" --pid "$sp")"
    kill "$sp"
fi
