#!/usr/bin/env bash
# sipreplyd: SIGHUP applies a changed `listen` of the configuration file: new listeners are
# opened, removed ones closed, kept ones untouched; a listener that cannot be opened makes the
# reload fail as a whole (the previous rules and listeners stay); with -l on the command line
# the file's listen is not used. Loopback only, every wait bounded.
# usage: test_reload_listen.sh <sipreplyd> <source-dir>
set -u
bin=$1 src=$2
. "$src/tests/daemon/lib.sh"

answers() { # TP HOST PORT: the final response code of INVITE sip:486, or "none"
    local out
    out=$($SIPC "$1" "$2" "$3" INVITE sip:486@127.0.0.1 --wait 1 2>&1 | grep -m1 -o '^SIP/2.0 [0-9]*')
    echo "${out#SIP/2.0 }" | sed 's/^$/none/'
}
reloaded() { # LOG COUNT: wait until the log has COUNT reload lines (ok or failed)
    for _ in $(seq 50); do
        [ "$(grep -c -E 'reloaded|reload failed' "$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
# hold_port: a UDP port on 127.0.0.1 the kernel picked, held open by a helper (killed by
# release_port, at most 20 s) so sipreplyd genuinely cannot bind it; sets held, holder.
hold_port() {
    python3 - "$tmp/held" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f: f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(20)
PY
    holder=$!
    for _ in $(seq 50); do [ -s "$tmp/held" ] && break; sleep 0.1; done
    held=$(cat "$tmp/held")
    rm -f "$tmp/held"
}
release_port() { kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; }

# Every listener is on port 0 (the kernel picks; the port file says which): the specs differ
# by address (127.0.0.1, 127.0.0.2: both loopback) so that a reload opens and closes some.
cfg=$tmp/listen.yaml
log=$tmp/listen.log
printf 'listen: [udp:127.0.0.1:0]\nrules:\n  - {respond: 486}\n' >"$cfg"
start_daemon "$log" -c "$cfg" || exit 1
p1=$udp_port
[ "$(answers udp 127.0.0.1 "$p1")" = 486 ] && ok "udp:$p1 answers" || bad "udp:$p1 does not answer"

# move: udp and tcp on 127.0.0.2; udp on 127.0.0.1 closed
printf 'listen: [udp:127.0.0.2:0, tcp:127.0.0.2:0]\nrules:\n  - {respond: 486}\n' >"$cfg"
kill -HUP "$pid"
reloaded "$log" 1 || bad "no reload logged"
u2=$(port_of udp 127.0.0.2) t2=$(port_of tcp 127.0.0.2)
[ -n "$u2" ] && [ -n "$t2" ] && [ -z "$(port_of udp 127.0.0.1)" ] &&
    ok "the port file follows the reload ($(tr '\n' ' ' <"$portfile"))" || bad "port file after reload: $(cat "$portfile")"
grep -q "listeners: opened udp:127.0.0.2:$u2, opened tcp:127.0.0.2:$t2, closed udp:127.0.0.1:0\$" "$log" &&
    ok "reload logs the listeners opened and closed" || bad "reload log: $(grep reload "$log")"
[ "$(answers udp 127.0.0.2 "$u2")" = 486 ] && ok "after SIGHUP: udp:$u2 answers" || bad "udp:$u2 does not answer"
[ "$(answers tcp 127.0.0.2 "$t2")" = 486 ] && ok "after SIGHUP: tcp:$t2 answers" || bad "tcp:$t2 does not answer"
[ "$(answers udp 127.0.0.1 "$p1")" = none ] && ok "after SIGHUP: udp:$p1 is closed" || bad "udp:$p1 still answers"

# a port that cannot be bound (held by a helper): the reload fails, rules and listeners stay
hold_port
printf 'listen: [udp:127.0.0.1:%s]\nrules:\n  - {respond: 603}\n' "$held" >"$cfg"
kill -HUP "$pid"
reloaded "$log" 2 || bad "no second reload logged"
grep -q "listen: udp 127.0.0.1:$held: Address already in use" "$log" && grep -q "reload failed" "$log" &&
    ok "a listener that cannot be opened fails the reload" || bad "reload did not fail: $(tail -3 "$log")"
[ "$(answers udp 127.0.0.2 "$u2")" = 486 ] && ok "failed reload: udp:$u2 still answers 486" || bad "failed reload changed udp:$u2"
[ "$(answers tcp 127.0.0.2 "$t2")" = 486 ] && ok "failed reload: tcp:$t2 still answers" || bad "failed reload changed tcp:$t2"
release_port
stop_daemon
[ "$rc" = 0 ] && ok "exit 0" || bad "exit status $rc"

# -l on the command line: a reload does not touch the listeners (the file's listen names a
# held port: had it been applied, the reload would fail)
printf 'listen: [udp:127.0.0.2:0]\nrules:\n  - {respond: 486}\n' >"$cfg"
start_daemon "$tmp/cli.log" -c "$cfg" -l "udp:127.0.0.1:0" || exit 1
p3=$udp_port
[ "$(cat "$portfile")" = "udp 127.0.0.1 $p3" ] && ok "-l given: the file's listen is not used" || bad "-l: port file $(cat "$portfile")"
hold_port
printf 'listen: [udp:127.0.0.1:%s]\nrules:\n  - {respond: 486}\n' "$held" >"$cfg"
kill -HUP "$pid"
reloaded "$tmp/cli.log" 1 || bad "no reload logged (-l)"
grep -q "reloaded" "$tmp/cli.log" && [ "$(answers udp 127.0.0.1 "$p3")" = 486 ] &&
    [ "$(cat "$portfile")" = "udp 127.0.0.1 $p3" ] &&
    ok "-l given: the file's listen is ignored on reload" || bad "-l: listeners changed on reload: $(cat "$tmp/cli.log")"
release_port
stop_daemon
exit $fails
