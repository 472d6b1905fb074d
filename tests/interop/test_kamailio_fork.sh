#!/usr/bin/env bash
# sipreply interop: the same forks through Kamailio's tm module (tests/interop/kamailio/
# fork.cfg.in) and through sipreplyd's `forward` action, to the same branches (two sipreplyd
# dial-a-code daemons and, per proxy, a ringing UAS, tests/daemon/sipuas.py), driven by
# tests/daemon/sipc.py. Compares the final each caller gets, the merged challenges and the
# CANCELs (with their Reason) the ringing branch receives. Where they differ, RFC 3261 §16.7
# decides and docs/proxy.md says so: 486 + 404 (tm: the lowest code, 404; sipreplyd: the first
# received; §16.7 step 6 lets a proxy pick any inside the class), and the challenge merged
# (tm builds a new reply; sipreplyd keeps the chosen one and appends the other challenges).
# usage: test_kamailio_fork.sh SIPREPLYD SRCDIR
set -u
daemon=$1
src=$2
. "$src/tests/interop/lib.sh"

io_need_kamailio "the forking comparison"
A=127.0.0.1

# wait_file FILE: until FILE exists and is not empty (at most 5 s).
wait_file() {
    for _ in $(seq 50); do [ -s "$1" ] && return 0; sleep 0.1; done
    return 1
}

# branch NAME [ARGS]: a sipreplyd on udp:127.0.0.1:0 (the embedded default unless ARGS say
# otherwise); sets port_NAME.
branch() {
    local name=$1; shift
    "$daemon" --port-file "$IO_TMP/$name.ports" -l udp:127.0.0.1:0 "$@" >"$IO_TMP/$name.log" 2>&1 &
    IO_PIDS="$IO_PIDS $!"
    wait_file "$IO_TMP/$name.ports" || { io_fail "$name did not start"; io_show "$IO_TMP/$name.log"; io_done; }
    eval "port_$name=$(awk '$1 == "udp" { print $3; exit }' "$IO_TMP/$name.ports")"
}

uas() {
    local name=$1
    python3 "$src/tests/daemon/sipuas.py" --port-file "$IO_TMP/$name.ports" --log "$IO_TMP/$name.req" \
        --life 110 &
    IO_PIDS="$IO_PIDS $!"
    wait_file "$IO_TMP/$name.ports" || { io_fail "$name did not start"; io_done; }
    eval "port_$name=$(awk '{ print $3 }' "$IO_TMP/$name.ports")"
}

# no reflection budget on the branches: the caller's ACK for a 2xx goes to the proxy, never
# to them, and everything here comes from 127.0.0.1 (see tests/daemon/test_forward.sh)
branch b1 --reflection-budget 0
branch b2 --reflection-budget 0
uas uk
uas us

# ------------------------------------------------------------------ the two proxies
sed -e "s/@B1@/$A:$port_b1/g" -e "s/@B2@/$A:$port_b2/g" -e "s/@U@/$A:$port_uk/g" \
    "$IO_DIR/kamailio/fork.cfg.in" >"$IO_TMP/kamailio.cfg"
io_kamailio "$IO_TMP/kamailio.cfg" || io_done
kport=$IO_KAM_PORT
cat >"$IO_TMP/proxy.yaml" <<EOF
rules:
  - {name: busy, match: {user: busy}, forward: ["sip:486@$A:$port_b1", "sip:404@$A:$port_b2"]}
  - {name: five, match: {user: five}, forward: ["sip:503@$A:$port_b1", "sip:503@$A:$port_b2"]}
  - {name: auth, match: {user: auth}, forward: ["sip:401@$A:$port_b1", "sip:407@$A:$port_b2"]}
  - {name: six, match: {user: six}, forward: ["sip:600@$A:$port_b1", "sip:180@$A:$port_b2"]}
  - name: ring
    match: {user: ring}
    forward: ["sip:ring@$A:$port_us", "sip:486@$A:$port_b1", "sip:180@$A:$port_b2"]
EOF
branch sp -c "$IO_TMP/proxy.yaml"
sport=$port_sp
echo "interop: kamailio on $A:$kport, sipreplyd proxy on $A:$sport; branches $port_b1, $port_b2"

# call PORT USER [ARGS]: the caller's exchange in $out, the final in $final.
call() {
    local port=$1 user=$2; shift 2
    out=$(python3 "$src/tests/daemon/sipc.py" udp $A "$port" INVITE "sip:$user@$A" -v "$@" 2>&1)
    final=$(echo "$out" | grep -E '^SIP/2.0 [2-6][0-9][0-9] .*  \[1 INVITE\]$' | tail -1 | awk '{ print $2 }')
}

# both USER [ARGS]: the same call through each proxy: $kfinal/$kout and $sfinal/$sout.
both() {
    call "$kport" "$@"; kfinal=$final kout=$out
    call "$sport" "$@"; sfinal=$final sout=$out
    echo "interop: $1: kamailio $kfinal, sipreplyd $sfinal"
}

# 486 + 404: the class is 4xx for both; tm takes the lowest code (404), sipreplyd the first
# received; §16.7 step 6 allows either.
both busy
[ "$kfinal" = 404 ] && io_ok "busy: kamailio 404 (lowest code)" || io_fail "busy: kamailio '$kfinal'"
case $sfinal in 486|404) io_ok "busy: sipreplyd $sfinal (first received)" ;; *) io_fail "busy: sipreplyd '$sfinal'" ;; esac

# 503 + 503: both send 500 (§16.7 step 6; tm's remap_503_500).
both five
[ "$kfinal" = 500 ] && [ "$sfinal" = 500 ] && io_ok "five: both 500" ||
    io_fail "five: kamailio '$kfinal', sipreplyd '$sfinal' (want 500, 500)"

# 401 + 407: one challenge response carrying every WWW- and Proxy-Authenticate (§16.7 step 7).
both auth
for who in k s; do
    o=$([ $who = k ] && echo "$kout" || echo "$sout")
    f=$([ $who = k ] && echo "$kfinal" || echo "$sfinal")
    w=$(echo "$o" | grep -ci '^WWW-Authenticate:')
    p=$(echo "$o" | grep -ci '^Proxy-Authenticate:')
    name=$([ $who = k ] && echo kamailio || echo sipreplyd)
    if { [ "$f" = 401 ] || [ "$f" = 407 ]; } && [ "$w" -ge 1 ] && [ "$p" -ge 1 ]; then
        io_ok "auth: $name $f with $w WWW-Authenticate and $p Proxy-Authenticate"
    else
        io_fail "auth: $name '$f' with $w WWW-, $p Proxy-Authenticate"
    fi
done

# 600 against 180 then 200: the 600 goes up, the other branch is CANCELled (§16.7 steps 5-6).
both six --wait 4
[ "$kfinal" = 600 ] && [ "$sfinal" = 600 ] && io_ok "six: both 600" ||
    io_fail "six: kamailio '$kfinal', sipreplyd '$sfinal' (want 600, 600)"
n487=$(grep -c 'INVITE sip:180@.* -> 487 .*cancelled' "$IO_TMP/b2.log")
[ "$n487" -eq 2 ] && io_ok "six: the 180 branch cancelled by each proxy (487 twice)" ||
    { io_fail "six: $n487 cancelled INVITEs at b2 (want 2)"; io_show "$IO_TMP/b2.log"; }

# 180 (ringing UAS), 486, 180 then 200: 180 then 200 up; the ringing UAS gets a CANCEL with
# Reason: SIP;cause=200;text="Call completed elsewhere" (§16.7 step 10, RFC 3326).
both ring --wait 4 --ack
[ "$kfinal" = 200 ] && [ "$sfinal" = 200 ] && io_ok "ring: both 200" ||
    io_fail "ring: kamailio '$kfinal', sipreplyd '$sfinal' (want 200, 200)"
for u in uk us; do
    for _ in $(seq 50); do grep -q '^CANCEL' "$IO_TMP/$u.req" 2>/dev/null && break; sleep 0.1; done
    r=$(grep '^CANCEL' "$IO_TMP/$u.req" | head -1 | sed 's/.*| //')
    name=$([ $u = uk ] && echo kamailio || echo sipreplyd)
    [ "$r" = 'Reason: SIP;cause=200;text="Call completed elsewhere"' ] &&
        io_ok "ring: $name's CANCEL carries $r" || io_fail "ring: $name's CANCEL: '$r'"
done

if kill -0 "$IO_KAM_PID" 2>/dev/null; then io_ok "kamailio still running"; else
    io_fail "kamailio died"
    io_show "$IO_TMP/kamailio.log"
fi
io_done
