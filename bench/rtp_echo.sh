#!/usr/bin/env bash
# RTP echo benchmark (docs/performance.md, "RTP echo"): N concurrent G.711 streams (20 ms,
# 160-byte payloads) from bench/rtp_load against sipreplyd (N calls to a rule in media
# `echo` mode, one RTP/RTCP port pair each) and against SIPp's -rtp_echo (one media port for
# all streams); the figure is the echo's CPU time per packet echoed (utime+stime from
# /proc/PID/stat over the RTP phase), with the loss counted per stream at the generator.
# 127.0.0.1 only.
# usage: bench/rtp_echo.sh SIPREPLYD RTP_LOAD [STREAMS] [SECONDS]
# env:   ECHOS="sipreplyd sipp"  which echoes to measure, in that order
#        ECHO_CPU=1 GEN_CPU=0    the CPUs the echo and the generator are pinned to (taskset;
#                                empty: not pinned)
#        RT=20                   both under SCHED_FIFO at that priority (chrt -f; empty: not)
#        LOCK=FILE               each echo's run holds flock FILE (one benchmark at a time on a
#                                shared machine)
#        CPS=400                 call set-up rate
set -u
bin=$1 load=$2 n=${3:-500} secs=${4:-10}
echos=${ECHOS-sipreplyd sipp}
tmp=$(mktemp -d /tmp/rtp-echo-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# how the echo and the generator run: pinned, real-time
run_echo=() run_gen=()
[ -n "${ECHO_CPU-1}" ] && run_echo+=(taskset -c "${ECHO_CPU-1}")
[ -n "${GEN_CPU-0}" ] && run_gen+=(taskset -c "${GEN_CPU-0}")
if [ -n "${RT-20}" ] && ! chrt -f "${RT-20}" true 2>/dev/null; then
    echo "rtp_echo: chrt -f ${RT-20} is not allowed here (root or CAP_SYS_NICE): not real-time" >&2
    RT=
fi
if [ -n "${RT-20}" ]; then
    run_echo+=(chrt -f "${RT-20}")
    run_gen+=(chrt -f "${RT-20}")
fi
lock() { [ -n "${LOCK-}" ] && { exec 9>"$LOCK"; flock 9; }; }
unlock() { [ -n "${LOCK-}" ] && { flock -u 9; exec 9>&-; }; }
info() { echo "  conditions: echo [${run_echo[*]}] generator [${run_gen[*]}] load average" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"; }
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
for which in $echos; do
    case $which in
    sipreplyd)
        lock
        info
        "${run_echo[@]}" "$bin" -q --reflection-budget 0 -c "$tmp/echo.yaml" -l udp:127.0.0.1:0 \
            --port-file "$tmp/ports" >"$tmp/d.log" 2>&1 &
        dp=$!
        for _ in $(seq 50); do [ -s "$tmp/ports" ] && break; sleep 0.1; done
        port=$(awk '$1 == "udp" { print $3; exit }' "$tmp/ports")
        echo "sipreplyd: $(timeout $((secs + 90)) "${run_gen[@]}" "$load" --sip "127.0.0.1:$port" \
            --calls "$n" --seconds "$secs" --cps "${CPS:-400}" --pid "$dp")"
        sleep 1 # the BYEs: the calls' end lines
        kill "$dp"; wait "$dp"
        echo "  sipreplyd's end lines: $(grep -c 'media end' "$tmp/d.log") calls," \
            "lost (its count) $(awk '/media end/ { for (i = 1; i < NF; i++) if ($i == "lost") s += $(i + 1) } END { print s + 0 }' "$tmp/d.log")"
        unlock
        ;;
    sipp)
        command -v sipp >/dev/null || { echo "sipp: not installed"; continue; }
        lock
        info
        # SIPp's echo thread: a UAS scenario with -rtp_echo; its PID from its background banner
        (cd "$tmp" && timeout $((secs + 60)) "${run_echo[@]}" sipp -sn uas -rtp_echo \
            -mi 127.0.0.1 -i 127.0.0.1 -nostdin -bg >"$tmp/sipp.log" 2>&1)
        sp=$(sed -n 's/.*PID=\[\([0-9]*\)\].*/\1/p' "$tmp/sipp.log")
        mp=
        for _ in $(seq 50); do
            mp=$(ss -Hlunp 2>/dev/null | grep "pid=$sp," | awk '{ sub(/.*:/, "", $4); print $4 }' |
                sort -n | awk '$1 >= 6000 && $1 < 7000' | head -1)
            [ -n "$mp" ] && break; sleep 0.1
        done
        echo "sipp -rtp_echo: $(timeout $((secs + 30)) "${run_gen[@]}" "$load" --rtp "127.0.0.1:$mp" \
            --calls "$n" --seconds "$secs" --pid "$sp")"
        kill "$sp"
        for _ in $(seq 50); do kill -0 "$sp" 2>/dev/null || break; sleep 0.1; done
        unlock
        ;;
    esac
done
