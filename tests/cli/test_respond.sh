#!/usr/bin/env bash
# sipreply CLI test: `sipreply respond` — builds lint-clean responses or refuses, naming
# what is missing; derived To tags are stable; -H, --reason, --body/--type, --defaults.
set -u
bin=$1
src=$2
vec=$src/tests/vectors/rfc4475
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() {
    if [ "$2" != "$3" ]; then echo "FAIL: $1 (exit $3, want $2)"; sed 's/^/  | /' "$tmp/o" | head -20; fails=$((fails + 1)); else echo "ok: $1"; fi
}
contains() {
    if grep -q -- "$3" "$2"; then echo "ok: $1"; else
        echo "FAIL: $1 (no '$3')"; sed 's/^/  | /' "$2" | head -30; fails=$((fails + 1)); fi
}
lacks() {
    if grep -q -- "$3" "$2"; then echo "FAIL: $1 ('$3' present)"; fails=$((fails + 1)); else echo "ok: $1"; fi
}

inv=$tmp/inv.sip
printf 'INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds\r\nVia: SIP/2.0/UDP p1.example.org;branch=z9hG4bKp1\r\nMax-Forwards: 70\r\nTo: Bob <sip:bob@example.com>\r\nFrom: Alice <sip:alice@example.net>;tag=1928301774\r\nCall-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\nRecord-Route: <sip:p1.example.org;lr>\r\nTimestamp: 54\r\nContact: <sip:alice@pc33.example.net>\r\nContent-Length: 0\r\n\r\n' >"$inv"

"$bin" respond 486 --to "$inv" >"$tmp/o" 2>&1; check "486 builds" 0 $?
contains "status line" "$tmp/o" "^SIP/2.0 486 Busy Here"
contains "both Vias copied in order" "$tmp/o" "^Via: SIP/2.0/UDP p1.example.org;branch=z9hG4bKp1"
contains "To tag added" "$tmp/o" "^To: Bob <sip:bob@example.com>;tag="
contains "Content-Length always" "$tmp/o" "^Content-Length: 0"
lacks "no Record-Route on a non-dialog response" "$tmp/o" "Record-Route"
cp "$tmp/o" "$tmp/486a"
"$bin" lint "$tmp/486a" --request "$inv" >"$tmp/o" 2>&1; check "486 is lint-clean against its request" 0 $?
"$bin" respond 486 --to "$inv" >"$tmp/486b" 2>&1
cmp -s "$tmp/486a" "$tmp/486b" && echo "ok: same request, same response (derived tag)" || { echo "FAIL: responses differ"; fails=$((fails+1)); }

"$bin" respond 100 --to "$inv" >"$tmp/o" 2>&1; check "100 builds" 0 $?
contains "100 echoes Timestamp" "$tmp/o" "^Timestamp: 54"
lacks "100 has no To tag" "$tmp/o" "tag=.*bob\|^To:.*;tag="

"$bin" respond 200 --to "$inv" >"$tmp/o" 2>&1; check "200 without Contact is refused" 1 $?
contains "refusal names Contact" "$tmp/o" "Contact"
"$bin" respond 200 --to "$inv" -H 'Contact: <sip:bob@192.0.2.4>' >"$tmp/o" 2>&1; check "200 with -H Contact builds" 0 $?
contains "Record-Route copied on 2xx" "$tmp/o" "^Record-Route: <sip:p1.example.org;lr>"
"$bin" respond 180 --to "$inv" --contact sip:bob@192.0.2.4 >"$tmp/o" 2>&1; check "180 with --contact builds" 0 $?
contains "--contact gives the Contact" "$tmp/o" "^Contact: <sip:bob@192.0.2.4>"

"$bin" respond 405 --to "$inv" >"$tmp/o" 2>&1; check "405 without Allow refused" 1 $?
contains "405 refusal names Allow" "$tmp/o" "Allow"
"$bin" respond 405 --to "$inv" --defaults >"$tmp/o" 2>&1; check "405 --defaults builds" 0 $?
contains "default Allow without the refused method" "$tmp/o" "^Allow: ACK, CANCEL, BYE, OPTIONS"
"$bin" respond 405 --to "$inv" -H 'Allow: INVITE, BYE' >"$tmp/o" 2>&1; check "405 allowing INVITE refused" 1 $?
"$bin" respond 401 --to "$inv" >"$tmp/o" 2>&1; check "401 without challenge refused" 1 $?
contains "401 refusal names WWW-Authenticate" "$tmp/o" "WWW-Authenticate"
"$bin" respond 401 --to "$inv" --defaults >"$tmp/o" 2>&1; check "401 --defaults builds" 0 $?
contains "digest challenge" "$tmp/o" '^WWW-Authenticate: Digest realm="sipreply", nonce="'
"$bin" respond 420 --to "$vec/bext01.dat" --defaults >"$tmp/o" 2>&1; check "420 to bext01 builds" 0 $?
contains "Unsupported lists the Require tags" "$tmp/o" "^Unsupported: nothingSupportsThis, nothingSupportsThisEither"
"$bin" respond 420 --to "$inv" --defaults >"$tmp/o" 2>&1; check "420 with nothing unsupported refused" 1 $?
"$bin" respond 423 --to "$inv" --defaults >"$tmp/o" 2>&1; check "423 --defaults" 0 $?
contains "Min-Expires default" "$tmp/o" "^Min-Expires: 60"

"$bin" respond 400 --to "$inv" --reason 'Missing Call-ID header field' >"$tmp/o" 2>&1; check "--reason" 0 $?
contains "reason text used" "$tmp/o" "^SIP/2.0 400 Missing Call-ID header field"
"$bin" respond 400 --to "$vec/insuf.dat" >"$tmp/o" 2>&1; check "400 to insuf.dat (missing headers) builds" 0 $?
contains "400 gets the validator's phrase" "$tmp/o" "^SIP/2.0 400 Missing"
"$bin" respond 400 --to "$vec/mismatch01.dat" >"$tmp/o" 2>&1; check "400 to mismatch01" 0 $?
contains "mismatch01 phrase" "$tmp/o" "^SIP/2.0 400 CSeq method does not match request method"
printf 'v=0\r\n' >"$tmp/body"
"$bin" respond 488 --to "$inv" --body "$tmp/body" --type application/sdp >"$tmp/o" 2>&1; check "body" 0 $?
contains "Content-Type with the body" "$tmp/o" "^Content-Type: application/sdp"
contains "Content-Length of the body" "$tmp/o" "^Content-Length: 5"
"$bin" respond 488 --to "$inv" --body "$tmp/body" >"$tmp/o" 2>&1; check "--body without --type" 2 $?
"$bin" respond 180 --to "$vec/bext01.dat" >"$tmp/o" 2>&1; check "180 to OPTIONS refused (RFC 4320)" 1 $?
"$bin" respond 499 --to "$inv" >"$tmp/o" 2>&1; check "unregistered code refused" 1 $?
contains "the refusal names the option" "$tmp/o" "add --unregistered to send it"
contains "and what receivers make of it" "$tmp/o" "treat it as 400 Bad Request"
if grep -q "SR_BUILD" "$tmp/o"; then echo "FAIL: the refusal names a C macro"; fails=$((fails + 1)); fi
"$bin" respond 499 --to "$inv" --unregistered >"$tmp/o" 2>&1; check "--unregistered allows it" 0 $?
"$bin" respond 477 --to "$inv" --unregistered >"$tmp/o" 2>&1; check "vendor code never" 1 $?
"$bin" respond 200 --to "$inv" -H 'Contact: <sip:b@x>' -H 'X-Evil: a' --tag mytag >"$tmp/o" 2>&1; check "--tag" 0 $?
contains "given tag" "$tmp/o" ";tag=mytag"
contains "-H header kept" "$tmp/o" "^X-Evil: a"
"$bin" respond 700 --to "$inv" >"$tmp/o" 2>&1; check "code 700 is usage" 2 $?
"$bin" respond 486 >"$tmp/o" 2>&1; check "no --to is usage" 2 $?
"$bin" respond 486 --to "$vec/mcl01.dat" >"$tmp/o" 2>&1; check "unparseable request is 2" 2 $?
"$bin" respond 486 --to "$tmp/486a" >"$tmp/o" 2>&1; check "a response as --to is 2" 2 $?
"$bin" respond 200 --to "$vec/wsinv.dat" --contact sip:b@192.0.2.1 >"$tmp/o" 2>&1; check "folded request (wsinv) answered" 0 $?
cp "$tmp/o" "$tmp/ws"
"$bin" lint "$tmp/ws" --request "$vec/wsinv.dat" >"$tmp/o" 2>&1; check "wsinv answer lint-clean" 0 $?
"$bin" respond 503 --to "$inv" --retry-after 120 >"$tmp/o" 2>&1; check "--retry-after" 0 $?
contains "Retry-After added" "$tmp/o" "^Retry-After: 120"
cp "$tmp/o" "$tmp/503"
"$bin" lint "$tmp/503" >"$tmp/o" 2>&1; check "503 with Retry-After is clean" 0 $?
lacks "no 503 note" "$tmp/o" "R-RESP-503-RETRY-AFTER"
"$bin" respond 503 --to "$inv" --retry-after soon >"$tmp/o" 2>&1; check "--retry-after soon is usage" 2 $?
"$bin" respond --help >"$tmp/o" 2>&1; check "--help" 0 $?
for opt in --to -H --reason --body --type --defaults --contact --retry-after --tag; do
    contains "--help documents $opt" "$tmp/o" -- "$opt"
done

# RFC 4475 §3.1.1.2: quoted-pair escaped NUL/BEL/DEL in the To display name are copied as
# they are (RFC 3261 §25.1), and the response lints clean against its request.
"$bin" respond 501 --to "$vec/intmeth.dat" >"$tmp/o" 2>&1; check "501 to intmeth builds" 0 $?
hexline() { LC_ALL=C grep -a -m1 '^To:' "$1" | LC_ALL=C tr -d '\r\n' | od -An -tx1 | tr -d ' \n'; }
req_to=$(hexline "$vec/intmeth.dat")
resp_to=$(hexline "$tmp/o")
case "$req_to" in *5c00*) ;; *) echo "FAIL: the vector's To lost its escaped NUL"; fails=$((fails + 1)) ;; esac
if [ -n "$req_to" ] && [ "${resp_to#"$req_to"3b7461673d}" != "$resp_to" ]; then
    echo "ok: intmeth To copied byte for byte, then ;tag="
else
    echo "FAIL: intmeth To not copied"; fails=$((fails + 1))
fi
cp "$tmp/o" "$tmp/501"
"$bin" lint "$tmp/501" --request "$vec/intmeth.dat" >"$tmp/o" 2>&1; check "501 to intmeth is lint-clean" 0 $?

[ $fails -eq 0 ] && echo "all respond CLI checks passed" || echo "$fails respond CLI check(s) failed"
exit $((fails > 0))
