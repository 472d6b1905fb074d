# Shared helpers of the sipreplyd integration tests (sourced). Loopback only; every wait is
# bounded. Needs: $bin (sipreplyd), $src (source dir).
SIPC="python3 $src/tests/daemon/sipc.py"
fails=0
tmp=$(mktemp -d /tmp/sipreplyd-test.XXXXXX)
pid=

ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=1; }

# A port free for both UDP and TCP on 127.0.0.1.
free_port() {
    python3 - <<'PY'
import socket
for _ in range(50):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        u.close(); t.close()
PY
}

# start_daemon LOGFILE ARGS...: start sipreplyd and wait (at most 5 s) until it listens.
start_daemon() {
    local log=$1; shift
    "$bin" "$@" >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 50); do
        grep -q "running" "$log" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "sipreplyd did not start:"; cat "$log"
    return 1
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
