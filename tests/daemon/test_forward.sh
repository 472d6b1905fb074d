#!/usr/bin/env bash
# sipreplyd as a forking proxy (the `forward` action, RFC 3261 §16): a sipreplyd proxy forks
# to sipreplyd dial-a-code branches (and to tests/daemon/sipuas.py, a UAS that rings until
# cancelled and logs what it receives), all on 127.0.0.1 with kernel-picked ports read from
# --port-file; the caller is tests/daemon/sipc.py. Checks the final the caller gets (§16.7),
# merged challenges, CANCELs with their Reason (RFC 3326), serial forking, branch timeouts,
# response rewriting and the proxy's log line.
# usage: test_forward.sh <sipreplyd> <source-dir>
set -u
bin=$1 src=$2
. "$src/tests/daemon/lib.sh"
. "$src/tests/daemon/fwd_lib.sh"

# The branches run without the reflection budget: sipc.py sends the ACK for a 2xx to the
# proxy (not to the callee's Contact, as a UAC should without Record-Route), so no branch
# ever sees it and each resends its 2xx ten times to 127.0.0.1, the one address everything
# here comes from; over many calls that debt would make a branch drop a later 2xx
# (docs/sipreplyd.md "Reflection budget").
spawn b1 --reflection-budget 0
spawn b2 --reflection-budget 0
spawn b3 --reflection-budget 0
A=127.0.0.1

# 1. 486 + 404: both 4xx; §16.7 step 6 lets the proxy pick any inside the class (sipreply
# takes the first received): the final is one of them and the log names both.
proxy p1 "rules:
  - name: fork
    match: {user: busy}
    forward: [\"sip:486@$A:$port_b1\", \"sip:404@$A:$port_b2\"]"
call "$port_p1" INVITE "sip:busy@$A"
case $final in 486|404) ok "486+404 -> $final" ;; *) bad "486+404 -> '$final'"; echo "$out" ;; esac
logline p1 "INVITE sip:busy@" || bad "no log line for 486+404"
echo "$line" | grep -qE -- "-> $final rule=fork \(branches: 486 sip:486@$A:$port_b1, 404 sip:404@$A:$port_b2; sent $final\)" &&
    ok "log: $line" || bad "log line: '$line'"
echo "$out" | grep -q "branch=z9hG4bKsr" && bad "our Via went upstream" || ok "no proxy Via upstream"

# 2. 503 + 503 -> 500 (§16.7 step 6), and OPTIONS forked: 486 + 200 -> 200.
proxy p2 "rules:
  - name: fork
    forward: [\"sip:503@$A:$port_b1\", \"sip:503@$A:$port_b2\"]"
call "$port_p2" INVITE "sip:x@$A"
expect "503+503" "$final" 500
logline p2 "INVITE sip:x@" && echo "$line" | grep -q "(branches: 503 .*, 503 .*; sent 500)" &&
    ok "log names 503, 503, sent 500" || bad "log: '$line'"

# 3. 401 + 407: the chosen challenge carries every WWW- and Proxy-Authenticate (§16.7 step 7).
proxy p3 "rules:
  - name: fork
    forward: [\"sip:401@$A:$port_b1\", \"sip:407@$A:$port_b2\"]"
call "$port_p3" INVITE "sip:x@$A"
case $final in 401|407) ok "401+407 -> $final" ;; *) bad "401+407 -> '$final'" ;; esac
www=$(echo "$out" | grep -c '^WWW-Authenticate: Digest')
prx=$(echo "$out" | grep -c '^Proxy-Authenticate: Digest')
[ "$www" -ge 2 ] && [ "$prx" -ge 2 ] && ok "merged challenges: $www WWW-Authenticate, $prx Proxy-Authenticate" ||
    { bad "merged challenges: $www WWW-, $prx Proxy-Authenticate"; echo "$out"; }
# ... and OPTIONS: 486 + 200 -> 200
proxy p3o "rules:
  - name: fork
    forward: [\"sip:486@$A:$port_b1\", \"sip:200@$A:$port_b2\"]"
call "$port_p3o" OPTIONS "sip:x@$A"
expect "OPTIONS 486+200" "$final" 200

# 4. 600 vs a 180 then 200 one second later: the 600 wins, the other branch is CANCELled
# (§16.7 steps 5-6) and never answers 200.
proxy p4 "rules:
  - name: fork
    forward: [\"sip:600@$A:$port_b1\", \"sip:180@$A:$port_b2\"]"
call "$port_p4" INVITE "sip:x@$A" --wait 4
expect "600 vs 180/200" "$final" 600
echo "$out" | grep -q '^SIP/2.0 200 ' && bad "a 200 went up after the 600" || ok "no 200 upstream"
logline b2 "INVITE sip:180@.* -> 487 .*cancelled" && ok "the 180 branch was cancelled: 487" ||
    { bad "branch b2 not cancelled"; cat "$tmp/b2.log"; }
logline p4 "INVITE sip:x@.*sent 600" && echo "$line" | grep -q "branches: 600 .*, 487 " &&
    ok "log: 600, 487, sent 600" || bad "log: '$line'"

# 5. 180 (a UAS that rings), 486, and 180 then 200: a 180 goes up, then the 200; the ringing
# branch gets a CANCEL with Reason: SIP;cause=200;text="Call completed elsewhere" (RFC 3326).
uas u5
proxy p5 "rules:
  - name: fork
    forward: [\"sip:ring@$A:$port_u5\", \"sip:486@$A:$port_b1\", \"sip:180@$A:$port_b2\"]"
call "$port_p5" INVITE "sip:x@$A" --wait 4 --ack
expect "180, 486, 180+200" "$final" 200
first=$(echo "$out" | grep -E '^SIP/2.0 [1-6][0-9][0-9] .*\[1 INVITE\]$' | head -1 | awk '{ print $2 }')
expect "first response upstream" "$first" 180
wait_file "$tmp/u5.req"
for _ in $(seq 50); do grep -q '^CANCEL' "$tmp/u5.req" && break; sleep 0.1; done
expect "CANCEL to the ringing branch" \
    "$(grep '^CANCEL' "$tmp/u5.req" | head -1)" \
    "CANCEL sip:ring@$A:$port_u5 | Reason: SIP;cause=200;text=\"Call completed elsewhere\""
logline p5 "INVITE sip:x@.*sent 200" && echo "$line" | grep -q "branches: 487 sip:ring.*, 486 .*, 200 " &&
    ok "log: 487, 486, 200, sent 200" || bad "log: '$line'"

# 6. The caller CANCELs: every branch is cancelled (§16.10), with the caller's Reason passed on.
uas u6a
uas u6b
proxy p6 "rules:
  - name: fork
    forward: [\"sip:a@$A:$port_u6a\", \"sip:b@$A:$port_u6b\"]"
call "$port_p6" INVITE "sip:x@$A" --wait 3 --cancel-after 0.5
expect "caller CANCEL" "$final" 487
for u in u6a u6b; do
    for _ in $(seq 50); do grep -q '^CANCEL' "$tmp/$u.req" 2>/dev/null && break; sleep 0.1; done
    grep -q '^CANCEL' "$tmp/$u.req" && ok "$u got a CANCEL" || bad "$u got no CANCEL"
done
logline p6 "INVITE sip:x@.*sent" && echo "$line" | grep -q "branches: 487 sip:a@.*, 487 sip:b@.*; sent 487, cancelled" &&
    ok "log: the branches' 487s, sent 487" || bad "log: '$line'"

# 7. Serial forking by q (mode: sequential): a ringing UAS (q=1) that no final comes from in
# branch-timeout, then 486 and 200 together (q=0.5): the UAS is cancelled, the 200 wins.
uas u7
proxy p7 "rules:
  - name: serial
    forward:
      mode: sequential
      branch-timeout: 1s
      targets:
        - {uri: \"sip:ring@$A:$port_u7\", q: 1.0}
        - {uri: \"sip:486@$A:$port_b1\", q: 0.5}
        - {uri: \"sip:200@$A:$port_b2\", q: 0.5}"
call "$port_p7" INVITE "sip:x@$A" --wait 5 --ack
expect "serial" "$final" 200
grep -q '^CANCEL sip:ring' "$tmp/u7.req" && ok "the timed-out branch was cancelled" || bad "no CANCEL to u7"
logline p7 "INVITE sip:x@.*sent 200" &&
    echo "$line" | grep -q "branches: 408 sip:ring@$A:$port_u7 timeout, 486 .*, 200 " &&
    ok "log: 408 timeout, 486, 200" || bad "log: '$line'"
# sequential, first group enough: 200 at q=1 never asks the q=0.5 target
proxy p7b "rules:
  - name: serial
    forward:
      mode: sequential
      targets: [{uri: \"sip:200@$A:$port_b1\", q: 0.9}, {uri: \"sip:486@$A:$port_b3\", q: 0.1}]"
call "$port_p7b" INVITE "sip:x@$A" --ack
expect "serial, first group 200" "$final" 200
sleep 0.2
grep -q 'INVITE sip:486' "$tmp/b3.log" && bad "the second group was asked" || ok "second group not asked"

# 8. Rewriting on the way back: 503 -> 480 with a header added and Retry-After removed; a 180
# dropped; a 183 held 1.5 s (the 200 that comes meanwhile waits behind it, keeping order).
proxy p8 "rules:
  - name: rw
    match: {user: rw}
    forward:
      targets: [\"sip:503@$A:$port_b1\"]
      rewrite:
        - {code: 503, to: 480, reason: Gone Fishing, headers: {X-Rewritten: 503}, remove: [Retry-After]}
  - name: drop
    match: {user: drop}
    forward:
      targets: [\"sip:180@$A:$port_b1\"]
      rewrite: [{code: 180, drop: true}]
  - name: hold
    match: {user: hold}
    forward:
      targets: [\"sip:183@$A:$port_b1\"]
      rewrite: [{code: 1xx, delay: 1500ms, headers: {X-Held: yes}}]"
call "$port_p8" INVITE "sip:rw@$A"
expect "503 -> 480" "$final" 480
echo "$out" | grep -q '^SIP/2.0 480 Gone Fishing' && ok "reason phrase" || bad "no 'Gone Fishing'"
echo "$out" | grep -q '^X-Rewritten: 503' && ok "header added" || bad "no X-Rewritten"
echo "$out" | grep -qi '^Retry-After' && bad "Retry-After kept" || ok "Retry-After removed"
logline p8 "INVITE sip:rw@" && echo "$line" | grep -q "branches: 503 .*; sent 480" && ok "log: 503, sent 480" ||
    bad "log: '$line'"
call "$port_p8" INVITE "sip:drop@$A" --wait 4 --ack
expect "drop 180" "$final" 200
echo "$out" | grep -q '^SIP/2.0 180' && bad "the 180 went up" || ok "180 dropped"
call "$port_p8" INVITE "sip:hold@$A" --wait 5 --ack
codes=$(echo "$out" | grep -E '^SIP/2.0 1[0-9][1-9]|^SIP/2.0 [2-6][0-9][0-9]' | grep '\[1 INVITE\]$' |
        awk '{ print $2 }' | uniq | tr '\n' ' ')
expect "held 183 before the 200" "$codes" "183 200 "
echo "$out" | grep -q '^X-Held: yes' && ok "held 183 rewritten" || bad "no X-Held"

# 9. replace: a seeded share of calls (percent 50) gets 486 instead of asking the target; the
# calls replaced follow from the seed (splitmix64, one draw per call and replace entry).
proxy p9 "seed: 12345
rules:
  - name: chaos
    forward:
      targets: [\"sip:200@$A:$port_b3\"]
      replace: [{target: 0, code: 486, percent: 50}]"
want=$(python3 - <<'PY'
M = (1 << 64) - 1
s = 12345
out = []
for _ in range(8):
    s = (s + 0x9e3779b97f4a7c15) & M
    z = s
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
    z ^= z >> 31
    out.append("486" if z % 100 < 50 else "200")
print(" ".join(out))
PY
)
got=
for i in 1 2 3 4 5 6 7 8; do
    call "$port_p9" INVITE "sip:c$i@$A" --ack
    got="$got${got:+ }$final"
done
expect "replace pattern (seed 12345)" "$got" "$want"
case $want in *486*200*|*200*486*) ok "both outcomes drawn" ;; *) bad "seed gives one outcome only" ;; esac
logline p9 "replaced" && ok "log marks the replaced branch: ${line##*rule=}" || bad "no 'replaced' in the log"

# 10. Not forwarded: Max-Forwards 0 -> 483 (§16.3 item 3). Then IPv6 end to end: a caller on
# [::1], the proxy on [::1], targets on [::1]; and an IPv4 caller with the same targets.
printf 'INVITE sip:busy@%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKmf0;rport\r\nMax-Forwards: 0\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:busy@x>\r\nCall-ID: mf0@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n' "$A" >"$tmp/mf0.sip"
mf=$(python3 "$src/tests/daemon/sipc.py" udp 127.0.0.1 "$port_p1" INVITE "sip:busy@$A" --raw "$tmp/mf0.sip")
expect "Max-Forwards 0" "$(echo "$mf" | awk '{ print $2 }')" 483
"$bin" --port-file "$tmp/b6.ports" -l "udp:[::1]:0" >"$tmp/b6.log" 2>&1 &
pids+=($!)
if wait_file "$tmp/b6.ports"; then
    port_b6=$(awk '$1 == "udp" { print $3; exit }' "$tmp/b6.ports")
    printf '%s\n' "rules:
  - name: v6
    forward: [\"sip:486@[::1]:$port_b6\", \"sip:404@[::1]:$port_b6\"]" >"$tmp/p10.yaml"
    "$bin" --port-file "$tmp/p10.ports" -l "udp:[::1]:0" -c "$tmp/p10.yaml" >"$tmp/p10.log" 2>&1 &
    pids+=($!)
    wait_file "$tmp/p10.ports"
    port_p10=$(awk '$1 == "udp" { print $3; exit }' "$tmp/p10.ports")
    out=$(python3 "$src/tests/daemon/sipc.py" udp ::1 "$port_p10" INVITE "sip:x@[::1]" -v 2>&1)
    final=$(echo "$out" | grep -E '^SIP/2.0 [2-6][0-9][0-9] .*  \[1 INVITE\]$' | tail -1 | awk '{ print $2 }')
    case $final in 486|404) ok "IPv6 486+404 -> $final" ;; *) bad "IPv6: '$final'"; echo "$out"; cat "$tmp/p10.log" ;; esac
    # a caller over IPv4 to a proxy on both families, the targets on [::1]: our Via names
    # 127.0.0.1, and its rport brings the answers back to the IPv6 socket we sent from
    "$bin" --port-file "$tmp/p12.ports" -l udp:127.0.0.1:0 -l "udp:[::1]:0" -c "$tmp/p10.yaml" \
        >"$tmp/p12.log" 2>&1 &
    pids+=($!)
    dpid[p12]=$!
    wait_file "$tmp/p12.ports"
    port_p12=$(awk '$1 == "udp" && $2 == "127.0.0.1" { print $3; exit }' "$tmp/p12.ports")
    call "$port_p12" INVITE "sip:x@$A"
    case $final in 486|404) ok "IPv4 caller, IPv6 targets -> $final" ;; *) bad "IPv4 to IPv6: '$final'"; cat "$tmp/p12.log" ;; esac
else
    bad "no [::1] listener"
fi

# 11. record-route: the 2xx carries our Record-Route; the caller's ACK and BYE come back
# through us with Route (§16.4, §16.12): the ACK is forwarded without state, the BYE as a
# one-target transaction, each to the Request-URI (the UAS's Contact), our Route removed.
uas u11 --code 200
proxy p11 "rules:
  - name: rr
    forward: {targets: [\"sip:x@$A:$port_u11\"], record-route: true}"
call "$port_p11" INVITE "sip:x@$A" --ack --bye --wait 4
expect "record-route call" "$final" 200
echo "$out" | grep -q "^Record-Route: <sip:127.0.0.1:$port_p11;lr>" && ok "Record-Route in the 2xx" ||
    bad "no Record-Route in the 2xx"
echo "$out" | grep -q '^SIP/2.0 200 .*\[10 BYE\]' && ok "BYE answered 200 through the proxy" ||
    bad "no 200 to the BYE"
for _ in $(seq 50); do grep -q '^BYE' "$tmp/u11.req" && break; sleep 0.1; done
expect "UAS requests" "$(cut -d' ' -f1,2 "$tmp/u11.req" | tr '\n' ' ')" \
    "INVITE sip:x@$A:$port_u11 ACK sip:uas@$A:$port_u11 ACK routes: BYE sip:uas@$A:$port_u11 "
grep -q '^ACK routes: 0' "$tmp/u11.req" && ok "our Route removed from the ACK" || bad "ACK kept a Route"
logline p11 "BYE sip:uas@.* -> 200 rule=route" && ok "log: $line" || bad "no BYE log line"

# 13. A caller over TCP: the proxy forwards over UDP from another port than the one the
# request reached; our Via asks for rport (RFC 3581), so the branches' answers find us.
"$bin" --port-file "$tmp/pt.ports" -l udp:127.0.0.1:0 -l tcp:127.0.0.1:0 -c "$tmp/p2.yaml" \
    >"$tmp/pt.log" 2>&1 &
pids+=($!)
dpid[pt]=$!
wait_file "$tmp/pt.ports"
port_pt=$(awk '$1 == "tcp" { print $3; exit }' "$tmp/pt.ports")
out=$(python3 "$src/tests/daemon/sipc.py" tcp 127.0.0.1 "$port_pt" INVITE "sip:x@$A" -v 2>&1)
final=$(echo "$out" | grep -E '^SIP/2.0 [2-6][0-9][0-9] .*  \[1 INVITE\]$' | tail -1 | awk '{ print $2 }')
expect "TCP caller, UDP branches (503+503)" "$final" 500

# 12. examples/forward-fork.yaml as shipped, its ports replaced by our branches'.
sed -e "s/127.0.0.1:5071/$A:$port_b1/g" -e "s/127.0.0.1:5072/$A:$port_b2/g" \
    "$src/examples/forward-fork.yaml" >"$tmp/ex.yaml"
spawn ex -c "$tmp/ex.yaml"
call "$port_ex" INVITE "sip:fork@$A"
case $final in 486|404) ok "forward-fork.yaml: fork -> $final" ;; *) bad "forward-fork.yaml: fork -> '$final'" ;; esac
call "$port_ex" INVITE "sip:auth@$A"
[ "$(echo "$out" | grep -c '^WWW-Authenticate')" -ge 1 ] && [ "$(echo "$out" | grep -c '^Proxy-Authenticate')" -ge 1 ] &&
    ok "forward-fork.yaml: auth -> $final, both challenges" || bad "forward-fork.yaml: auth"
call "$port_ex" INVITE "sip:180@$A" --ack --wait 4
expect "forward-fork.yaml: pass {{user}}" "$final" 200
echo "$out" | grep -q "^Record-Route: <sip:$A:$port_ex;lr>" && ok "forward-fork.yaml: record-routed" ||
    bad "forward-fork.yaml: no Record-Route"

# every daemon stops cleanly on SIGTERM (exit 0: nothing left pending, no sanitizer report)
stop_all p1 p2 p3 p4 p5 p6 p7 p8 p9 p11 ex
exit $fails
