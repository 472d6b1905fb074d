#!/usr/bin/env bash
# sipreplyd: SIGHUP applies a changed `listen` of the configuration file: new listeners are
# opened, removed ones closed, kept ones untouched; a listener that cannot be opened makes the
# reload fail as a whole (the previous rules and listeners stay); with -l on the command line
# the file's listen is not used. Loopback only, every wait bounded.
# usage: test_reload_listen.sh <sipreplyd> <source-dir>
set -u
bin=$1 src=$2
. "$src/tests/daemon/lib.sh"

answers() { # TP PORT: the final response code of INVITE sip:486, or "none"
    local out
    out=$($SIPC "$1" 127.0.0.1 "$2" INVITE sip:486@127.0.0.1 --wait 1 2>&1 | grep -m1 -o '^SIP/2.0 [0-9]*')
    echo "${out#SIP/2.0 }" | sed 's/^$/none/'
}
reloaded() { # LOG COUNT: wait until the log has COUNT reload lines (ok or failed)
    for _ in $(seq 50); do
        [ "$(grep -c -E 'reloaded|reload failed' "$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

p1=$(free_port) p2=$(free_port)
cfg=$tmp/listen.yaml
log=$tmp/listen.log
printf 'listen: [udp:127.0.0.1:%s]\nrules:\n  - {respond: 486}\n' "$p1" >"$cfg"
start_daemon "$log" -c "$cfg" || exit 1
[ "$(answers udp "$p1")" = 486 ] && ok "udp:$p1 answers" || bad "udp:$p1 does not answer"

# move: udp to p2 and tcp on p2; p1 closed
printf 'listen: [udp:127.0.0.1:%s, tcp:127.0.0.1:%s]\nrules:\n  - {respond: 486}\n' "$p2" "$p2" >"$cfg"
kill -HUP "$pid"
reloaded "$log" 1 || bad "no reload logged"
grep -q "listeners: opened udp:127.0.0.1:$p2, opened tcp:127.0.0.1:$p2, closed udp:127.0.0.1:$p1" "$log" &&
    ok "reload logs the listeners opened and closed" || bad "reload log: $(grep reload "$log")"
[ "$(answers udp "$p2")" = 486 ] && ok "after SIGHUP: udp:$p2 answers" || bad "udp:$p2 does not answer"
[ "$(answers tcp "$p2")" = 486 ] && ok "after SIGHUP: tcp:$p2 answers" || bad "tcp:$p2 does not answer"
[ "$(answers udp "$p1")" = none ] && ok "after SIGHUP: udp:$p1 is closed" || bad "udp:$p1 still answers"

# a port that cannot be bound: the reload fails, rules and listeners stay
busy=$(free_port)
python3 - "$busy" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
time.sleep(4)
PY
holder=$!
sleep 0.5
printf 'listen: [udp:127.0.0.1:%s]\nrules:\n  - {respond: 603}\n' "$busy" >"$cfg"
kill -HUP "$pid"
reloaded "$log" 2 || bad "no second reload logged"
grep -q "reload failed" "$log" && ok "a listener that cannot be opened fails the reload" || bad "reload did not fail: $(tail -3 "$log")"
[ "$(answers udp "$p2")" = 486 ] && ok "failed reload: udp:$p2 still answers 486" || bad "failed reload changed udp:$p2"
[ "$(answers tcp "$p2")" = 486 ] && ok "failed reload: tcp:$p2 still answers" || bad "failed reload changed tcp:$p2"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
stop_daemon
[ "$rc" = 0 ] && ok "exit 0" || bad "exit status $rc"

# -l on the command line: a reload does not touch the listeners
p3=$(free_port)
printf 'listen: [udp:127.0.0.1:%s]\nrules:\n  - {respond: 486}\n' "$p1" >"$cfg"
start_daemon "$tmp/cli.log" -c "$cfg" -l "udp:127.0.0.1:$p3" || exit 1
printf 'listen: [udp:127.0.0.1:%s]\nrules:\n  - {respond: 486}\n' "$p2" >"$cfg"
kill -HUP "$pid"
reloaded "$tmp/cli.log" 1 || bad "no reload logged (-l)"
[ "$(answers udp "$p3")" = 486 ] && [ "$(answers udp "$p2")" = none ] &&
    ok "-l given: the file's listen is ignored on reload" || bad "-l: listeners changed on reload"
stop_daemon
exit $fails
