# Shared helpers of the tests that need a DNS server of their own (sourced, POSIX sh).
# Race-free by construction: the test re-runs itself in a new user and network namespace
# (unshare -rn), whose loopback is private, so port 53 there is free and nobody else can take
# it; dnsmasq starts in daemon mode, whose first process exits only once the server has bound
# its sockets (or with the error), so the server is answering when the test goes on.

# netns_enter NAME VAR COMMAND...: unless VAR is set, check the tools, then run COMMAND (the
# script again: bash "$0" "$@") in a new user and network namespace with VAR=1 (does not
# return); once in the namespace, bring its loopback up. NAME starts the error lines.
netns_enter() {
    _nn_name=$1 _nn_var=$2
    shift 2
    eval "_nn_in=\${$_nn_var:-}"
    if [ -z "$_nn_in" ]; then
        for t in unshare ip dnsmasq; do
            command -v $t >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
            command -v $t >/dev/null 2>&1 || { echo "$_nn_name: $t not installed (scripts/deps.sh test)"; exit 1; }
        done
        unshare -rn true 2>/dev/null || {
            echo "$_nn_name: cannot enter a new user and network namespace (unshare -rn): user"
            echo "$_nn_name: namespaces disabled? (kernel.unprivileged_userns_clone, or a container"
            echo "$_nn_name: without CAP_SYS_ADMIN)"; exit 1; }
        export "$_nn_var=1"
        exec unshare -rn "$@"
    fi
    ip link set lo up || exit 1
}

# dns_start DIR NAME RECORDS...: dnsmasq on 127.0.0.1:53, authoritative for *.test with the
# dnsmasq record options RECORDS (--srv-host=..., --host-record=...), its pid in DIR/dns.pid
# and its log (every query) in DIR/dns.log; on failure, NAME's error line and the log, exit 1.
dns_start() {
    _dns_dir=$1 _dns_name=$2
    shift 2
    # --user=root --group=: no privilege change (setgroups is refused in a user namespace)
    dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --no-negcache --port=53 \
        --listen-address=127.0.0.1 --bind-interfaces --local=/test/ \
        --pid-file="$_dns_dir/dns.pid" --user=root --group= --log-facility="$_dns_dir/dns.log" \
        --log-queries "$@" ||
        { echo "$_dns_name: dnsmasq did not start"; cat "$_dns_dir/dns.log" 2>/dev/null; exit 1; }
}

# dns_stop DIR: stop the dnsmasq dns_start started with DIR (if it did).
dns_stop() {
    [ -s "$1/dns.pid" ] && kill "$(cat "$1/dns.pid")" 2>/dev/null
}

# srv_failover NAME: (bash, after tests/daemon/lib.sh) two sipreplyd on UDP port 0 — the first
# answering 503 with Retry-After to everything (examples/failover-503.yaml), the second
# dial-a-code — and dnsmasq serving them as _sip._udp.fo.sr.test at priorities 10 and 20
# (RFC 3263 §4.3), both on 127.0.0.1. Sets pid1 P1 and pid2 P2; on failure, exit 1. The EXIT
# trap srv_failover_cleanup ends them with the dnsmasq and the rest of lib.sh's cleanup.
srv_failover() {
    start_daemon "$tmp/d1.log" -c "$src/examples/failover-503.yaml" -l udp:127.0.0.1:0 || exit 1
    pid1=$pid P1=$udp_port pid=
    start_daemon "$tmp/d2.log" -l udp:127.0.0.1:0 || exit 1
    pid2=$pid P2=$udp_port pid=
    dns_start "$tmp" "$1" \
        --srv-host=_sip._udp.fo.sr.test,one.fo.sr.test,"$P1",10,0 \
        --srv-host=_sip._udp.fo.sr.test,two.fo.sr.test,"$P2",20,0 \
        --host-record=one.fo.sr.test,127.0.0.1 \
        --host-record=two.fo.sr.test,127.0.0.1
}

srv_failover_cleanup() {
    [ -n "${pid1:-}" ] && kill -KILL "$pid1" 2>/dev/null
    [ -n "${pid2:-}" ] && kill -KILL "$pid2" 2>/dev/null
    dns_stop "$tmp"
    cleanup
}

# srv_failover_stop: stop both (their exit statuses are not checked).
srv_failover_stop() {
    pid=$pid1 pid1=
    stop_daemon
    pid=$pid2 pid2=
    stop_daemon
}
