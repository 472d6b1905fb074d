# Shared helpers of the sipreplyd integration tests (sourced). Loopback only; every wait is
# bounded. Needs: $bin (sipreplyd), $src (source dir).
SIPC="python3 $src/tests/daemon/sipc.py"
fails=0
tmp=$(mktemp -d /tmp/sipreplyd-test.XXXXXX)
pid=

ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=1; }

# start_daemon LOGFILE ARGS...: start sipreplyd with ARGS and --port-file, and wait (at most
# 5 s) until it listens. Listen on port 0 (-l udp:127.0.0.1:0): the kernel picks each port,
# and the daemon's port file says which; never a port picked here and hoped free. Sets
# udp_port, tcp_port and metrics_port (the first of each kind, or empty).
start_daemon() {
    local log=$1; shift
    portfile=$tmp/ports
    rm -f "$portfile"
    udp_port= tcp_port= metrics_port=
    "$bin" --port-file "$portfile" "$@" >"$log" 2>&1 &
    pid=$!
    # a bound, not a measure: on a loaded machine the start may take seconds
    for _ in $(seq 300); do
        if [ -s "$portfile" ]; then
            udp_port=$(port_of udp) tcp_port=$(port_of tcp) metrics_port=$(port_of metrics)
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "sipreplyd did not start:"; cat "$log"
    return 1
}

# port_of KIND [HOST]: the port of the first KIND (udp, tcp, metrics) listener in the running
# daemon's port file, on HOST if given.
port_of() {
    awk -v k="$1" -v h="${2:-}" '$1 == k && (h == "" || $2 == h) { print $3; exit }' "$portfile"
}

# metric NAME: the value of NAME ('sipreplyd_transactions', 'x_total{code="400"}') at the
# running daemon's /metrics (started with --metrics 127.0.0.1:0), 0 when absent.
metric() {
    python3 - "$metrics_port" "$1" <<'PY'
import sys, urllib.request
port, name = sys.argv[1], sys.argv[2]
body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
for line in body.splitlines():
    if line.startswith(name + " "):
        print(line.split()[-1]); break
else:
    print(0)
PY
}

# stop_daemon: SIGTERM and wait (at most 10 s); the exit status in $rc.
stop_daemon() {
    rc=
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"; rc=$?; break
        fi
        sleep 0.1
    done
    if [ -z "$rc" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rc=killed; fi
    pid=
}

cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
