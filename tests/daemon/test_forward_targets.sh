#!/usr/bin/env bash
# sipreplyd's `forward` with targets of its own finding (RFC 3261 §16.5): the registrar's
# bindings (`location: true`) and the Contacts of a 3xx (`recurse: N`, §16.7 step 4).
# A UA (tests/daemon/sipuas.py) registers to a sipreplyd that is registrar and proxy at once,
# then a call to its address-of-record is forked to its contacts; contacts registered with
# q-values (dial-a-code daemons, registered by a third party) are tried in q order in
# sequential mode (§16.6); an AOR without a binding gets 480 (§16.5), a domain no register
# rule serves 404 (§21.4.4). A redirecting sipreplyd's 302 is followed to another branch (200, 486),
# as deep as `recurse` says and never twice to one URI. All on 127.0.0.1, ports from
# --port-file.
# usage: test_forward_targets.sh <sipreplyd> <source-dir>
set -u
bin=$1 src=$2
. "$src/tests/daemon/lib.sh"
. "$src/tests/daemon/fwd_lib.sh"
A=127.0.0.1

# the dial-a-code branches (no reflection budget: see test_forward.sh)
spawn b1 --reflection-budget 0
spawn b2 --reflection-budget 0

# register LOG ARGS...: a REGISTER through sipc.py to the registrar-proxy; its final in $final.
register() {
    out=$(python3 "$src/tests/daemon/sipc.py" udp $A "$port_pl" REGISTER "sip:$A" "$@" -v 2>&1)
    final=$(echo "$out" | grep -E '^SIP/2.0 [2-6][0-9][0-9] .*  \[1 REGISTER\]$' | tail -1 |
            awk '{ print $2 }')
}

# --- the registrar's bindings as targets
# examples/forward-location.yaml as shipped: registrar and proxy of 127.0.0.1
cp "$src/examples/forward-location.yaml" "$tmp/pl.yaml"
spawn pl -c "$tmp/pl.yaml"

# 1. Two UAs register for alice (sipuas.py writes its port file once its REGISTER got 200):
# a call to the AOR goes to both at once (parallel), to each contact as registered; the one
# that rings is CANCELled once the other answered 200 (§16.7 step 10, RFC 3326 Reason).
uas ua1 --code 200 --register "$A:$port_pl" --aor "sip:alice@$A"
uas ua2 --register "$A:$port_pl" --aor "sip:alice@$A"
call "$port_pl" INVITE "sip:alice@$A"
expect "alice: two bindings, parallel" "$final" 200
grep -q "^INVITE sip:uas@$A:$port_ua1 " "$tmp/ua1.req" && ok "ua1 got the INVITE at its contact" ||
    bad "ua1: $(cat "$tmp/ua1.req")"
for _ in $(seq 50); do grep -q '^CANCEL' "$tmp/ua2.req" && break; sleep 0.1; done
grep -q "^INVITE sip:uas@$A:$port_ua2 " "$tmp/ua2.req" && ok "ua2 got the INVITE at its contact" ||
    bad "ua2: $(cat "$tmp/ua2.req")"
grep -q '^CANCEL .*cause=200' "$tmp/ua2.req" && ok "ua2 (ringing) CANCELled after the 200" ||
    bad "ua2 not CANCELled: $(cat "$tmp/ua2.req")"
logline pl "INVITE sip:alice@$A -> 200 rule=ring-all" && ok "log: $line" || bad "no log line for alice"
echo "$line" | grep -q "sip:uas@$A:$port_ua1" && echo "$line" | grep -q "sip:uas@$A:$port_ua2" &&
    ok "log names both contacts" || bad "log: '$line'"

# 2. Sequential by q (§16.6, q-values of §10.2.1.2): carol's contacts are dial-a-code's 486
# (q=1.0) and 200 (q=0.5): the 486 first, then the 200.
register --to "sip:s-carol@$A" -H 'Expires: 600' \
    --contact "<sip:486@$A:$port_b1>;q=1.0, <sip:200@$A:$port_b2>;q=0.5"
expect "third-party REGISTER of carol's two contacts" "$final" 200
call "$port_pl" INVITE "sip:s-carol@$A"
expect "carol: 486 (q=1.0), then 200 (q=0.5)" "$final" 200
logline pl "INVITE sip:s-carol@$A" || true
echo "$line" | grep -q -- "-> 200 rule=hunt (branches: 486 sip:486@$A:$port_b1, 200 sip:200@$A:$port_b2; sent 200)" &&
    ok "log: $line" || bad "carol log: '$line'"

# 3. The other way round: the q=1.0 contact answers 200, so the q=0.5 one is never asked
# (§16.7 step 5: no new branch after a 2xx) — a parallel fork would have asked both.
register --to "sip:s-dave@$A" -H 'Expires: 600' \
    --contact "<sip:486@$A:$port_b1>;q=0.5, <sip:200@$A:$port_b2>;q=0.9"
call "$port_pl" INVITE "sip:s-dave@$A"
expect "dave: the 200 (q=0.9) first" "$final" 200
logline pl "INVITE sip:s-dave@$A" || true
echo "$line" | grep -q -- "-> 200 rule=hunt (branches: 200 sip:200@$A:$port_b2; sent 200)" &&
    ok "log: only the q=0.9 contact asked: $line" || bad "dave log: '$line'"

# 4. No binding: 480 Temporarily Unavailable (§16.5: "the target set remains empty ... SHOULD
# be 480"); after dave removes his bindings (Contact: *, Expires: 0; §10.2.2), the same.
call "$port_pl" INVITE "sip:nobody@$A"
expect "no binding" "$final" 480
logline pl "INVITE sip:nobody@$A -> 480 rule=ring-all \(no binding for the address-of-record\)" &&
    ok "log: $line" || bad "no 480 log line"
register --to "sip:s-dave@$A" -H 'Expires: 0' --contact '*'
expect "dave unregisters" "$final" 200
call "$port_pl" INVITE "sip:s-dave@$A"
expect "dave after Contact: *" "$final" 480
call "$port_pl" OPTIONS "sip:nobody@$A"
expect "OPTIONS, no binding" "$final" 480

# 5. A domain no register rule serves: 404 (§21.4.4: a domain not handled here).
call "$port_pl" INVITE "sip:x@192.0.2.1"
expect "a domain we do not serve" "$final" 404

# 6. `location` needs a register rule: refused when the configuration loads (and by -t).
printf 'rules:\n  - forward: {location: true}\n' >"$tmp/noreg.yaml"
msg=$("$bin" -t -c "$tmp/noreg.yaml" 2>&1); rc=$?
[ "$rc" = 1 ] && echo "$msg" | grep -q "location reads the bindings of a register action" &&
    ok "no register rule: $msg" || bad "no register rule ($rc): $msg"
printf 'rules:\n  - forward: {location: true, targets: "sip:a@%s"}\n' $A >"$tmp/both.yaml"
msg=$("$bin" -t -c "$tmp/both.yaml" 2>&1); rc=$?
[ "$rc" = 1 ] && echo "$msg" | grep -q "targets or location" && ok "targets and location: $msg" ||
    bad "targets and location ($rc): $msg"

# --- recursion on 3xx (§16.7 step 4)
# Three redirecting sipreplyd, each asked at most once per call: a UAS that sees the same
# From tag, Call-ID and CSeq again in another transaction answers 482 (§8.2.2.2, a merged
# request), so a Contact pointing back at the server that sent it gets 482 (shown below with
# dial a code's own 302). r3 and r2 start first, so that r1 can name them; r1 names itself
# too (loop), so its rules are loaded again (SIGHUP) once its port is known.
proxy r3 "rules:
  - name: hop3
    match: {user: hop3}
    redirect: {contacts: [{uri: \"sip:hop4@$A:9\"}]}"
proxy r2 "rules:
  - name: hop2
    match: {user: hop2}
    redirect: {contacts: [{uri: \"sip:hop3@$A:$port_r3\"}]}"
redir() {
    printf '%s\n' "rules:
  - name: to-ok
    match: {user: took}
    redirect: {contacts: [{uri: \"sip:200@$A:$port_b2\"}]}
  - name: to-busy
    match: {user: tobusy}
    redirect: {contacts: [{uri: \"sip:486@$A:$port_b1\", q: 0.5}, {uri: \"sip:486@$A:$port_b2\", q: 0.9}]}
  - name: s-two
    match: {user: s-two}
    redirect: {contacts: [{uri: \"sip:200@$A:$port_b2\", q: 0.5}, {uri: \"sip:486@$A:$port_b1\", q: 0.9}]}
  - name: hop1
    match: {user: hop1}
    redirect: {contacts: [{uri: \"sip:hop2@$A:$port_r2\"}]}
  - name: loop
    match: {user: loop}
    redirect: {contacts: [{uri: \"sip:loop@$A:${port_r1:-9}\"}]}" >"$tmp/r1.yaml"
}
port_r1=
redir
spawn r1 -c "$tmp/r1.yaml" --reflection-budget 0
redir
kill -HUP "${dpid[r1]}"
logline r1 "configuration reloaded" || bad "r1 did not reload"
# examples/forward-recurse.yaml, its redirect server's address replaced by r1's
sed -e "s/127.0.0.1:5071/$A:$port_r1/g" "$src/examples/forward-recurse.yaml" >"$tmp/pr.yaml"
spawn pr -c "$tmp/pr.yaml"
call "$port_pr" INVITE "sip:took@$A"
expect "302 to a branch answering 200" "$final" 200
logline pr "INVITE sip:took@$A" || true
echo "$line" | grep -q -- "rule=follow (branches: 302 sip:took@$A:$port_r1, 200 sip:200@$A:$port_b2; sent 200)" &&
    ok "log: $line" || bad "took log: '$line'"
echo "$out" | grep -q '^SIP/2.0 302' && bad "the 302 went upstream" || ok "the 302 stayed here"

# both Contacts at once (parallel), each 486: the caller gets a 486, not the 302
call "$port_pr" INVITE "sip:tobusy@$A"
expect "302 to two branches answering 486" "$final" 486
logline pr "INVITE sip:tobusy@$A" || true
echo "$line" | grep -q -- "(branches: 302 sip:tobusy@$A:$port_r1, 486 sip:486@$A:$port_b2, 486 sip:486@$A:$port_b1; sent 486)" &&
    ok "log: $line" || bad "tobusy log: '$line'"

# sequential: the Contacts by q-value (§16.6): 486 (q=0.9), then 200
call "$port_pr" INVITE "sip:s-two@$A"
expect "sequential: 302, then 486 (q=0.9), then 200 (q=0.5)" "$final" 200
logline pr "INVITE sip:s-two@$A" || true
echo "$line" | grep -q -- "rule=in-turn (branches: 302 sip:s-two@$A:$port_r1, 486 sip:486@$A:$port_b1, 200 sip:200@$A:$port_b2; sent 200)" &&
    ok "log: $line" || bad "s-two log: '$line'"
# dial a code's own 302 names its own Contact: followed, the same daemon sees the call's
# From tag, Call-ID and CSeq a second time and answers 482 (§8.2.2.2), which goes up
spawn b3 --reflection-budget 0
proxy pd "rules:
  - name: d302
    forward: {targets: \"sip:302@$A:$port_b3\", recurse: 1}"
call "$port_pd" INVITE "sip:302@$A"
expect "dial a code's 302, followed back to the same daemon" "$final" 482
logline pd "INVITE sip:302@$A" || true
echo "$line" | grep -q -- "(branches: 302 sip:302@$A:$port_b3, 482 sip:sipreplyd@$A:$port_b3; sent 482)" &&
    ok "log: $line" || bad "d302 log: '$line'"

# the bound: hop1 (r1) -> hop2 (r2) -> hop3 (r3) is two redirections; hop3's 302 (to hop4) is
# not followed
# and goes upstream as it came, with its Contact (§16.7 step 6: the only final)
call "$port_pr" INVITE "sip:hop1@$A"
expect "recurse: 2 stops at the third 302" "$final" 302
echo "$out" | grep -q "^Contact: <sip:hop4@$A:9>" && ok "hop3's 302 with its Contact" ||
    bad "hop3's Contact missing: $(echo "$out" | grep -i '^contact')"
logline pr "INVITE sip:hop1@$A" || true
echo "$line" | grep -q -- "(branches: 302 sip:hop1@$A:$port_r1, 302 sip:hop2@$A:$port_r2, 302 sip:hop3@$A:$port_r3; sent 302)" &&
    ok "log: $line" || bad "hop log: '$line'"

# a 302 naming the URI just tried: never added twice to the target set (§16.5), 302 up
call "$port_pr" INVITE "sip:loop@$A"
expect "a 302 to itself" "$final" 302
logline pr "INVITE sip:loop@$A" || true
echo "$line" | grep -q -- "(branches: 302 sip:loop@$A:$port_r1; sent 302)" && ok "log: $line" ||
    bad "loop log: '$line'"

# without recurse: the 302 goes upstream (a final like any other)
call "$port_pr" INVITE "sip:direct@$A"
expect "no recurse: the 302 goes up" "$final" 302

# every daemon stops cleanly on SIGTERM (exit 0: nothing left pending, no sanitizer report)
stop_all pl pr pd
exit $fails
