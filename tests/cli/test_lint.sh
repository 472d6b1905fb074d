#!/usr/bin/env bash
# sipreply CLI test: `sipreply lint` — exit codes, human and JSON output, --request, --stream,
# and docs/lint-rules.md equal to `sipreply lint --list-rules --markdown` (so it cannot drift).
set -u
bin=$1
src=$2
vec=$src/tests/vectors/rfc4475
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # description, expected exit, actual exit
    if [ "$2" != "$3" ]; then
        echo "FAIL: $1 (exit $3, want $2)"
        fails=$((fails + 1))
    else
        echo "ok: $1"
    fi
}
contains() { # description, file, pattern
    if grep -q -- "$3" "$2"; then echo "ok: $1"; else
        echo "FAIL: $1 (no '$3' in output)"; sed 's/^/  | /' "$2"; fails=$((fails + 1)); fi
}
lacks() {
    if grep -q -- "$3" "$2"; then echo "FAIL: $1 ('$3' present)"; fails=$((fails + 1)); else
        echo "ok: $1"; fi
}

req=$tmp/req.sip
printf 'OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds\r\nMax-Forwards: 70\r\nTo: <sip:bob@example.com>\r\nFrom: <sip:alice@example.net>;tag=1928301774\r\nCall-ID: a84b4c76e66710\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n' >"$req"
good=$tmp/good.sip
printf 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds\r\nTo: <sip:bob@example.com>;tag=abc\r\nFrom: <sip:alice@example.net>;tag=1928301774\r\nCall-ID: a84b4c76e66710\r\nCSeq: 7 OPTIONS\r\nAllow: INVITE, OPTIONS\r\nAccept: application/sdp\r\nSupported: timer\r\nContent-Length: 0\r\n\r\n' >"$good"
notag=$tmp/notag.sip
sed 's/;tag=abc//' "$good" >"$notag"
warn=$tmp/warn.sip
sed 's/200 OK/200 Okay/' "$good" >"$warn"
other=$tmp/other.sip
sed 's/CSeq: 7 OPTIONS/CSeq: 8 OPTIONS/' "$good" >"$other"

"$bin" lint "$good" >"$tmp/o" 2>&1; check "clean response exits 0" 0 $?
contains "clean response says 0 findings" "$tmp/o" "0 findings"
"$bin" lint "$notag" >"$tmp/o" 2>&1; check "missing To tag exits 1" 1 $?
contains "human output names severity, rule and section" "$tmp/o" "MUST   R-RESP-TO-TAG \[RFC 3261 §8.2.6.2\]"
{ printf '\r\n'; cat "$good"; printf '\n'; } >"$tmp/nl.sip"
"$bin" lint "$tmp/nl.sip" >"$tmp/o" 2>&1; check "leading CRLF and a trailing newline are not extra body" 0 $?
{ cat "$good"; printf 'EXTRA'; } >"$tmp/extra.sip"
"$bin" lint "$tmp/extra.sip" >"$tmp/o" 2>&1; check "bytes after the declared body exit 1" 1 $?
contains "extra bytes break Content-Length" "$tmp/o" "R-MSG-CONTENT-LENGTH"
"$bin" lint "$warn" >"$tmp/o" 2>&1; check "a SHOULD finding alone exits 0" 0 $?
contains "non-canonical phrase is a warning" "$tmp/o" "SHOULD R-RESP-REASON"
"$bin" lint - <"$notag" >"$tmp/o" 2>&1; check "reads standard input" 1 $?
"$bin" lint --json "$notag" >"$tmp/o" 2>&1; check "--json exit 1" 1 $?
contains "--json prints the rule" "$tmp/o" '"rule": "R-RESP-TO-TAG"'
contains "--json prints the severity" "$tmp/o" '"severity": "MUST"'
head -c1 "$tmp/o" | grep -q '\[' && echo "ok: --json is an array" || { echo "FAIL: --json not an array"; fails=$((fails+1)); }
"$bin" lint --json "$good" >"$tmp/o" 2>&1; check "--json clean exit 0" 0 $?
contains "--json clean prints an empty array" "$tmp/o" '^\[\]'

# against the request
"$bin" lint "$good" --request "$req" >"$tmp/o" 2>&1; check "pair clean exits 0" 0 $?
"$bin" lint "$other" --request "$req" >"$tmp/o" 2>&1; check "CSeq mismatch exits 1" 1 $?
contains "pair finding" "$tmp/o" "R-PAIR-CSEQ"
printf 'SIP/2.0 405 Method Not Allowed\r\nVia: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds\r\nTo: <sip:bob@example.com>;tag=abc\r\nFrom: <sip:alice@example.net>;tag=1928301774\r\nCall-ID: a84b4c76e66710\r\nCSeq: 7 OPTIONS\r\nAllow: INVITE, OPTIONS\r\nContent-Length: 0\r\n\r\n' >"$tmp/405.sip"
"$bin" lint "$tmp/405.sip" --request "$req" >"$tmp/o" 2>&1; check "405 allowing the method exits 1" 1 $?
contains "405 Allow rule" "$tmp/o" "R-PAIR-405-ALLOW"
# The top Via of a response as a server sends it: received and rport's value filled in
# (RFC 3261 §18.2.1, RFC 3581 §4) is still the request's Via.
sed 's/pc33.example.net;branch/pc33.example.net;rport;branch/' "$req" >"$tmp/req-rport.sip"
sed 's/pc33.example.net;branch=z9hG4bK776asdhds/pc33.example.net;rport=5062;branch=z9hG4bK776asdhds;received=127.0.0.1/' \
    "$good" >"$tmp/stamped.sip"
"$bin" lint "$tmp/stamped.sip" --request "$tmp/req-rport.sip" >"$tmp/o" 2>&1
check "received/rport filled in by the server exits 0" 0 $?
lacks "no R-PAIR-VIA for received/rport" "$tmp/o" "R-PAIR-VIA"
"$bin" lint "$tmp/stamped.sip" --request "$req" >"$tmp/o" 2>&1
check "rport the request never asked for exits 1" 1 $?
contains "R-PAIR-VIA for an unasked rport" "$tmp/o" "R-PAIR-VIA"

# requests are linted too; unparseable input exits 2 with the parse error
"$bin" lint "$req" >"$tmp/o" 2>&1; check "clean request exits 0" 0 $?
"$bin" lint "$vec/insuf.dat" >"$tmp/o" 2>&1; check "insuf.dat exits 1" 1 $?
contains "insuf.dat lacks From" "$tmp/o" "R-MSG-FROM"
"$bin" lint "$vec/mcl01.dat" >"$tmp/o" 2>&1; check "mcl01.dat does not parse: exit 2" 2 $?
contains "parse error printed" "$tmp/o" "Content-Length"
printf 'garbage\r\n\r\n' | "$bin" lint >"$tmp/o" 2>&1; check "garbage exits 2" 2 $?
"$bin" lint --bogus >"$tmp/o" 2>&1; check "unknown option exits 2" 2 $?
"$bin" lint "$tmp/nonexistent" >"$tmp/o" 2>&1; check "missing file exits 2" 2 $?

# a stream of messages (keep-alive CRLFs between them); responses paired with their request
{ cat "$req"; printf '\r\n\r\n'; cat "$good"; cat "$notag"; } >"$tmp/trace.sip"
"$bin" lint --stream "$tmp/trace.sip" >"$tmp/o" 2>&1; check "stream with a bad message exits 1" 1 $?
contains "stream lints 3 messages" "$tmp/o" "^3 messages"
contains "stream pairs responses" "$tmp/o" "checked against its request"
contains "third message breaks the tag rule" "$tmp/o" "R-RESP-TO-TAG"
{ cat "$req"; cat "$good"; } >"$tmp/trace2.sip"
"$bin" lint --stream "$tmp/trace2.sip" >"$tmp/o" 2>&1; check "clean stream exits 0" 0 $?
{ cat "$req"; printf 'SIP/2.0 200 OK\r\nContent-Length: 50\r\n\r\nshort'; } >"$tmp/trace3.sip"
"$bin" lint --stream "$tmp/trace3.sip" >"$tmp/o" 2>&1; check "truncated stream exits 2" 2 $?
"$bin" lint --stream --json "$tmp/trace.sip" >"$tmp/o" 2>&1; check "stream --json exits 1" 1 $?
contains "stream --json has indexes" "$tmp/o" '"index": 3'

# the catalogue, and the committed doc generated from it
"$bin" lint --list-rules >"$tmp/o" 2>&1; check "--list-rules exits 0" 0 $?
contains "--list-rules lists a rule" "$tmp/o" "R-RESP-DIALOG-CONTACT"
"$bin" lint --list-rules --json >"$tmp/o" 2>&1; check "--list-rules --json exits 0" 0 $?
"$bin" lint --list-rules --markdown >"$tmp/rules.md" 2>&1; check "--markdown exits 0" 0 $?
if diff -u "$src/docs/lint-rules.md" "$tmp/rules.md" >"$tmp/d"; then
    echo "ok: docs/lint-rules.md equals the generated catalogue"
else
    echo "FAIL: docs/lint-rules.md differs from 'sipreply lint --list-rules --markdown':"
    head -20 "$tmp/d"
    fails=$((fails + 1))
fi
n_rules=$(grep -c '^| `R-' "$tmp/rules.md")
n_json=$(grep -c '"id":' "$tmp/o" 2>/dev/null || true)
[ "$n_rules" -ge 30 ] && echo "ok: $n_rules rules documented" || { echo "FAIL: only $n_rules rules"; fails=$((fails+1)); }

"$bin" lint --help >"$tmp/o" 2>&1; check "--help exits 0" 0 $?
for opt in --request --json --stream --list-rules --markdown; do
    contains "--help documents $opt" "$tmp/o" "$opt"
done

[ $fails -eq 0 ] && echo "all lint CLI checks passed" || echo "$fails lint CLI check(s) failed"
exit $((fails > 0))
