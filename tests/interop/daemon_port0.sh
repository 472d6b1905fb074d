# sipreply interop: start sipreplyd on a port the kernel picks (sourced after lib.sh).
# io_start_daemon_port0 BIN [args...]: sipreplyd on udp:127.0.0.1:0, bounded by `timeout`
# (120 s), its log in $IO_TMP/daemon.log; the port is read from its "listening on
# udp:127.0.0.1:PORT" line (5 s at most). Sets IO_PORT and IO_DPID (io_stop_daemon stops
# it). Until sipreplyd --port-file is there to say it, the log line is the source.
io_start_daemon_port0() {
    local bin=$1
    shift
    timeout --foreground -s TERM 120 "$bin" -l udp:127.0.0.1:0 "$@" >>"$IO_TMP/daemon.log" 2>&1 &
    IO_DPID=$!
    IO_PIDS="$IO_PIDS $IO_DPID"
    IO_PORT=""
    for _ in $(seq 100); do
        IO_PORT=$(sed -n 's/.* listening on udp:127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$IO_TMP/daemon.log" | head -1)
        [ -n "$IO_PORT" ] && break
        kill -0 "$IO_DPID" 2>/dev/null || break
        sleep 0.05
    done
    if [ -z "$IO_PORT" ]; then
        io_fail "sipreplyd did not say where it listens"
        io_show "$IO_TMP/daemon.log"
        return 1
    fi
    echo "interop: sipreplyd (pid $IO_DPID) on 127.0.0.1:$IO_PORT udp"
}
