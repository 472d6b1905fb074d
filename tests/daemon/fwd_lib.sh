# Helpers of the forwarding tests (test_forward.sh, test_forward_targets.sh), sourced after
# lib.sh: sipreplyd proxies and branches, the ringing UAS (sipuas.py) and the caller
# (sipc.py), all on 127.0.0.1 with kernel-picked ports read from --port-file; every wait is
# bounded. Needs: $bin (sipreplyd), $src (source dir), $tmp.
pids=()
declare -A dpid # sipreplyd processes by name: each must exit 0 on SIGTERM
UAS="python3 $src/tests/daemon/sipuas.py"

cleanup_all() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup_all EXIT

# stop_all NAMES...: SIGTERM to every process started; each sipreplyd must exit 0 (nothing left
# pending, no sanitizer report in any log), and the sipreplyd NAMES must log no error or
# warning.
stop_all() {
    local n p rc
    for n in "${!dpid[@]}"; do kill -TERM "${dpid[$n]}" 2>/dev/null; done
    for n in "${!dpid[@]}"; do
        wait "${dpid[$n]}"; rc=$?
        [ "$rc" = 0 ] || { bad "$n exited $rc"; tail -20 "$tmp/$n.log"; }
    done
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    if grep -l -E 'Sanitizer|runtime error' "$tmp"/*.log; then bad "a sanitizer report (above)"; else ok "no sanitizer report"; fi
    for n in "$@"; do
        grep -qE ' (error|warn) ' "$tmp/$n.log" && { bad "$n logged a problem"; grep -E ' (error|warn) ' "$tmp/$n.log"; }
    done
    pids=()
}

# wait_file FILE: until FILE exists and is not empty (at most 5 s).
wait_file() {
    for _ in $(seq 50); do [ -s "$1" ] && return 0; sleep 0.1; done
    return 1
}

# spawn NAME ARGS...: sipreplyd with ARGS on udp:127.0.0.1:0; sets port_NAME.
spawn() {
    local name=$1; shift
    "$bin" --port-file "$tmp/$name.ports" -l udp:127.0.0.1:0 "$@" >"$tmp/$name.log" 2>&1 &
    pids+=($!)
    dpid[$name]=$!
    wait_file "$tmp/$name.ports" || { echo "$name did not start"; cat "$tmp/$name.log"; exit 1; }
    eval "port_$name=$(awk '$1 == "udp" { print $3; exit }' "$tmp/$name.ports")"
}

# uas NAME [ARGS]: the ringing UAS; sets port_NAME; it logs requests to $tmp/NAME.req.
uas() {
    local name=$1; shift
    $UAS --port-file "$tmp/$name.ports" --log "$tmp/$name.req" --life 120 "$@" &
    pids+=($!)
    wait_file "$tmp/$name.ports" || { echo "$name did not start"; exit 1; }
    eval "port_$name=$(awk '{ print $3 }' "$tmp/$name.ports")"
}

# proxy NAME YAML: a sipreplyd proxy running YAML (written to $tmp/NAME.yaml).
proxy() {
    local name=$1
    printf '%s\n' "$2" >"$tmp/$name.yaml"
    spawn "$name" -c "$tmp/$name.yaml"
}

# call PORT ARGS...: sipc.py over UDP to the proxy at PORT; output in $out, the last final
# (of the INVITE/OPTIONS) in $final.
call() {
    local port=$1; shift
    out=$(python3 "$src/tests/daemon/sipc.py" udp 127.0.0.1 "$port" "$@" -v 2>&1)
    final=$(echo "$out" | grep -E '^SIP/2.0 [2-6][0-9][0-9] .*  \[[0-9]+ (INVITE|OPTIONS)\]$' |
            tail -1 | awk '{ print $2 }')
}

# logline NAME PATTERN: wait (at most 5 s) for a log line of NAME matching PATTERN; in $line.
logline() {
    for _ in $(seq 50); do
        line=$(grep -E -- "$2" "$tmp/$1.log" | tail -1)
        [ -n "$line" ] && return 0
        sleep 0.1
    done
    line=
    return 1
}

expect() { # expect WHAT GOT WANT
    if [ "$2" = "$3" ]; then ok "$1: $2"; else bad "$1: got '$2', want '$3'"; echo "$out" | head -40; fi
}

