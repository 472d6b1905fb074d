#!/usr/bin/env bash
# sipreplyd integration: the embedded default over UDP and TCP (IPv4, and IPv6 when the
# machine has ::1), CRLF keep-alive, garbage and truncated datagrams, SIGUSR1 and /metrics
# counters, SIGHUP reload of a good and a bad file, SIGTERM finishing a call in flight and
# exiting 0. Loopback only, every wait bounded.
# usage: test_daemon.sh <sipreplyd> <source-dir>
set -u
bin=$1 src=$2
. "$src/tests/daemon/lib.sh"

expect_final() { # NAME WANT-CODE SIPC-ARGS...
    local name=$1 want=$2; shift 2
    local out
    out=$($SIPC "$@" 2>&1)
    if echo "$out" | grep -q "^SIP/2.0 $want "; then ok "$name"; else bad "$name: want $want, got: $out"; fi
}

# port 0 everywhere: the kernel picks the ports (UDP and TCP get one each), the port file
# (lib.sh start_daemon) names them
log=$tmp/default.log
start_daemon "$log" -l "udp:127.0.0.1:0" -l "tcp:127.0.0.1:0" --metrics "127.0.0.1:0" || exit 1
port=$udp_port tport=$tcp_port mport=$metrics_port
if [ "$(awk '$3 > 0' "$portfile" | cut -d' ' -f1,2 | tr '\n' ' ')" = "udp 127.0.0.1 tcp 127.0.0.1 metrics 127.0.0.1 " ] &&
    grep -q "notice listening on udp:127.0.0.1:$port\$" "$log" && grep -q "notice listening on tcp:127.0.0.1:$tport\$" "$log" &&
    grep -q "notice metrics at http://127.0.0.1:$mport/metrics" "$log"
then ok "--port-file: the ports port 0 got, as logged"; else bad "--port-file: $(cat "$portfile") / $(cat "$log")"; fi
# a healthy start is no warning: start-up lines are notices
if grep -q ' notice sipreplyd [0-9.]* running ' "$log" && ! grep -q ' warn ' "$log"; then ok "start-up logged as notice"
else bad "start-up log: $(cat "$log")"; fi

expect_final "udp INVITE sip:486 -> 486" 486 udp 127.0.0.1 "$port" INVITE sip:486@127.0.0.1
expect_final "tcp INVITE sip:486 -> 486" 486 tcp 127.0.0.1 "$tport" INVITE sip:486@127.0.0.1
expect_final "udp OPTIONS -> 200" 200 udp 127.0.0.1 "$port" OPTIONS sip:127.0.0.1
expect_final "tcp INVITE sip:bob -> 404" 404 tcp 127.0.0.1 "$tport" INVITE sip:bob@127.0.0.1
expect_final "udp REGISTER -> 200" 200 udp 127.0.0.1 "$port" REGISTER sip:127.0.0.1 -H "Expires: 600"
expect_final "udp REGISTER Expires 5 -> 423" 423 udp 127.0.0.1 "$port" REGISTER sip:127.0.0.1 -H "Expires: 5"
# dial a code's 401/407: real digest challenges; any user name with the password "sipreply"
# gets 200, a wrong password is challenged again
for code in 401 407; do
    for tp in udp tcp; do
        out=$($SIPC $tp 127.0.0.1 "$(port_of $tp)" INVITE sip:$code@127.0.0.1 --auth "someone:sipreply" 2>&1)
        if echo "$out" | grep -q "^SIP/2.0 $code " && echo "$out" | grep -q "^SIP/2.0 200 "; then
            ok "$tp INVITE sip:$code -> $code, answered -> 200"
        else bad "$tp sip:$code with credentials: $out"; fi
    done
    out=$($SIPC udp 127.0.0.1 "$port" INVITE sip:$code@127.0.0.1 --auth "other:wrong" 2>&1)
    if [ "$(echo "$out" | grep -c "^SIP/2.0 $code ")" = 2 ] && ! echo "$out" | grep -q "^SIP/2.0 200 "; then
        ok "INVITE sip:$code, wrong password -> $code again"
    else bad "sip:$code with a wrong password: $out"; fi
done

out=$($SIPC udp 127.0.0.1 "$port" INVITE sip:183@127.0.0.1 -H "Supported: 100rel" --sdp --prack --ack --bye --wait 4 2>&1)
if echo "$out" | grep -q "^SIP/2.0 183 " && echo "$out" | grep -q "200 OK  \[3 PRACK\]" &&
   echo "$out" | grep -q "200 OK  \[10 BYE\]"; then ok "reliable 183 -> PRACK -> 200 -> ACK -> BYE"
else bad "reliable 183 flow: $out"; fi
out=$($SIPC tcp 127.0.0.1 "$tport" INVITE sip:180@127.0.0.1 --cancel-after 0.3 --wait 3 2>&1)
if echo "$out" | grep -q "^SIP/2.0 487 "; then ok "tcp CANCEL -> 487"; else bad "tcp CANCEL: $out"; fi

# RFC 3261 §18.2.2: the TCP connection is gone when the 200 is due: a new one is opened to
# the top Via's sent-by port
reconn=$(python3 - "$tport" <<'PY'
import socket, sys, time
p = int(sys.argv[1])
lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen(1); lst.settimeout(4)
sp = lst.getsockname()[1]
c = socket.create_connection(("127.0.0.1", p), timeout=3)
req = ("INVITE sip:180@127.0.0.1 SIP/2.0\r\n"
       f"Via: SIP/2.0/TCP 127.0.0.1:{sp};branch=z9hG4bKreconn1\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:180@127.0.0.1>\r\n"
       "Call-ID: reconn1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
c.sendall(req.encode())
first = c.recv(4096).decode(errors="replace").split("\r\n")[0]
c.close()
try:
    n, _ = lst.accept(); n.settimeout(3)
    print(first, "|", n.recv(4096).decode(errors="replace").split("\r\n")[0])
except socket.timeout:
    print(first, "| no connection")
PY
)
[ "$reconn" = "SIP/2.0 180 Ringing | SIP/2.0 200 OK" ] && ok "tcp: new connection to the Via sent-by for the 200" || bad "tcp reconnect: $reconn"

# TCP framing: two requests in one write, and one request written a few bytes at a time
framed=$(python3 - "$tport" <<'PY'
import socket, sys, time
p = int(sys.argv[1])
def req(n):
    return ("INVITE sip:486@127.0.0.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKfr{n}\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:486@127.0.0.1>\r\n"
            f"Call-ID: framed{n}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n").encode()
s = socket.create_connection(("127.0.0.1", p), timeout=3)
s.sendall(req(1) + req(2))
b = req(3)
for i in range(0, len(b), 7):
    s.sendall(b[i:i + 7]); time.sleep(0.005)
data, end = b"", time.time() + 3
while data.count(b"SIP/2.0 486") < 3 and time.time() < end:
    s.settimeout(max(0.1, end - time.time()))
    try:
        d = s.recv(65536)
    except socket.timeout:
        break
    if not d: break
    data += d
print(data.count(b"SIP/2.0 486"), data.count(b"Call-ID: framed3"))
PY
)
[ "$framed" = "3 1" ] && ok "tcp framing: pipelined and split requests" || bad "tcp framing: $framed"

# CRLF keep-alive ping on TCP is answered with CRLF (RFC 5626 §3.5.1)
pong=$(python3 - "$tport" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(b"\r\n\r\n")
print(repr(s.recv(16)))
PY
)
[ "$pong" = "b'\\r\\n'" ] && ok "tcp CRLFCRLF ping -> CRLF" || bad "tcp ping: got $pong"

# garbage, a truncated request and an oversized datagram never stop it answering
python3 - "$port" "$tport" <<'PY'
import socket, sys, os
p, tp = int(sys.argv[1]), int(sys.argv[2])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for d in [b"\x00\xff garbage", b"INVITE sip:486@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP", os.urandom(1400), b"x" * 60000, b"\r\n\r\n"]:
    u.sendto(d, ("127.0.0.1", p))
t = socket.create_connection(("127.0.0.1", tp), timeout=3)
t.sendall(b"INVITE sip:486@127.0.0.1 SIP/2.0\r\nContent-Length: -5\r\n\r\n")
t.close()
PY
raw=$tmp/bad-cl.sip
printf 'INVITE sip:486@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbadcl;rport\r\nMax-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:486@127.0.0.1>\r\nCall-ID: badcl\r\nCSeq: 1 INVITE\r\nContent-Length: 900\r\n\r\nv=0\r\n' >"$raw"
expect_final "Content-Length larger than the datagram -> 400" 400 udp 127.0.0.1 "$port" INVITE x --raw "$raw"
expect_final "still answering after garbage" 486 udp 127.0.0.1 "$port" INVITE sip:486@127.0.0.1

# counters: /metrics and SIGUSR1
metrics=$(python3 - "$mport" <<'PY'
import socket, sys
def get(path):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    d = b""
    while True:
        c = s.recv(65536)
        if not c: break
        d += c
    return d.decode()
print(get("/metrics"))
print("=====")
print(get("/other").split("\r\n")[0])
PY
)
echo "$metrics" | grep -q '^HTTP/1.0 200 OK' && ok "/metrics 200" || bad "/metrics: $metrics"
echo "$metrics" | grep -q '^sipreplyd_requests_total{method="INVITE"} [1-9]' && ok "/metrics counts INVITE" || bad "/metrics INVITE count: $metrics"
echo "$metrics" | grep -q '^sipreplyd_responses_total{code="486"} [1-9]' && ok "/metrics counts 486" || bad "/metrics 486 count"
echo "$metrics" | grep -q '^sipreplyd_bindings 1$' && ok "/metrics bindings" || bad "/metrics bindings: $metrics"
echo "$metrics" | grep -q '^HTTP/1.0 404' && ok "/other -> 404" || bad "/other: $metrics"
kill -USR1 "$pid"
for _ in $(seq 30); do grep -q '^sipreplyd_requests_total{method="OPTIONS"} 1' "$log" && break; sleep 0.1; done
grep -q '^sipreplyd_requests_total{method="OPTIONS"} 1' "$log" && ok "SIGUSR1 prints the counters" || bad "SIGUSR1: no counters in the log"
grep -q 'info udp:127.0.0.1:[0-9]* INVITE sip:486@127.0.0.1 -> 486 rule=dial-a-code' "$log" && ok "one log line per transaction" || bad "log line missing"

# SIGTERM with a call in flight: the 200 still comes, then exit 0
: >"$tmp/inflight.out"
$SIPC udp 127.0.0.1 "$port" INVITE sip:180@127.0.0.1 --wait 4 >"$tmp/inflight.out" 2>&1 &
cpid=$!
for _ in $(seq 30); do grep -q "^SIP/2.0 180 " "$tmp/inflight.out" && break; sleep 0.1; done
stop_daemon
wait $cpid
[ "$rc" = 0 ] && ok "SIGTERM: exit 0" || bad "SIGTERM: exit status $rc"
grep -q "^SIP/2.0 200 " "$tmp/inflight.out" && ok "SIGTERM: the call in flight got its 200" || bad "in-flight call: $(cat "$tmp/inflight.out")"

# SIGTERM when a call would ring on past --shutdown-timeout: it is answered 503, exit 0
cfg=$tmp/ring.yaml
printf 'rules:\n  - {name: ring, respond: [180, {wait: cancel}]}\n' >"$cfg"
start_daemon "$tmp/ring.log" -c "$cfg" -l "udp:127.0.0.1:0" --shutdown-timeout 300 || exit 1
port=$udp_port
: >"$tmp/ring.out"
$SIPC udp 127.0.0.1 "$port" INVITE sip:x@127.0.0.1 --wait 4 >"$tmp/ring.out" 2>&1 &
cpid=$!
for _ in $(seq 30); do grep -q "^SIP/2.0 180 " "$tmp/ring.out" && break; sleep 0.1; done
stop_daemon
wait $cpid
[ "$rc" = 0 ] && grep -q "^SIP/2.0 503 " "$tmp/ring.out" && ok "SIGTERM past the timeout: 503, exit 0" ||
    bad "SIGTERM past the timeout: exit $rc, $(cat "$tmp/ring.out")"

# SIGHUP: a good file replaces the rules; a bad one keeps them
cfg=$tmp/rules.yaml
printf 'rules:\n  - {name: first, respond: 486}\n' >"$cfg"
log=$tmp/reload.log
start_daemon "$log" -c "$cfg" -l "udp:127.0.0.1:0" || exit 1
port=$udp_port
expect_final "before reload: 486" 486 udp 127.0.0.1 "$port" INVITE sip:x@127.0.0.1
printf 'rules:\n  - {name: second, respond: 603}\n' >"$cfg"
kill -HUP "$pid"
for _ in $(seq 30); do grep -q "reloaded" "$log" && break; sleep 0.1; done
expect_final "after SIGHUP (good file): 603" 603 udp 127.0.0.1 "$port" INVITE sip:x@127.0.0.1
printf 'rules:\n  - {name: third, respond: 9999}\n' >"$cfg"
kill -HUP "$pid"
for _ in $(seq 30); do grep -q "reload failed" "$log" && break; sleep 0.1; done
grep -q "rules.yaml:2:.*expected a status code" "$log" && ok "bad file: the error names the line" || bad "bad reload not logged: $(cat "$log")"
expect_final "after SIGHUP (bad file): still 603" 603 udp 127.0.0.1 "$port" INVITE sip:x@127.0.0.1
stop_daemon
[ "$rc" = 0 ] && ok "exit 0" || bad "exit status $rc"

# TCP caps: at most 2 connections (a third is closed at once), idle ones closed after 1 s
start_daemon "$tmp/caps.log" -l "tcp:127.0.0.1:0" --max-connections 2 --idle-timeout 1000 || exit 1
caps=$(python3 - "$tcp_port" <<'PY'
import socket, sys, time
p = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", p), timeout=3)
b = socket.create_connection(("127.0.0.1", p), timeout=3)
time.sleep(0.3)
c = socket.create_connection(("127.0.0.1", p), timeout=3)
third = c.recv(16)               # closed by the daemon: b''
time.sleep(2.5)                  # idle timeout 1 s, swept every second
a.settimeout(3)
first = a.recv(16)               # closed as idle: b''
print(repr(third), repr(first))
PY
)
[ "$caps" = "b'' b''" ] && ok "tcp: connection cap and idle timeout" || bad "tcp caps: $caps"
stop_daemon

# a bad file at start: exit 1 with the place; --check; --print-default round-trips
"$bin" -c "$cfg" -t >"$tmp/check.out" 2>&1; st=$?
[ $st -eq 1 ] && grep -q "rules.yaml:2:" "$tmp/check.out" && ok "--check of a bad file: exit 1" || bad "--check: $st $(cat "$tmp/check.out")"
"$bin" --print-default >"$tmp/default.yaml"
"$bin" -t -c "$tmp/default.yaml" >/dev/null 2>&1 && ok "--print-default output loads" || bad "--print-default output does not load"

# IPv6 loopback, when the machine has it
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 0))' 2>/dev/null; then
    start_daemon "$tmp/v6.log" -l "udp:[::1]:0" -l "tcp:[::1]:0" || exit 1
    expect_final "udp [::1] -> 486" 486 udp ::1 "$udp_port" INVITE "sip:486@[::1]"
    expect_final "tcp [::1] -> 302" 302 tcp ::1 "$tcp_port" INVITE "sip:302@[::1]"
    stop_daemon
else
    echo "skip: IPv6 loopback not available"
fi
exit $fails
