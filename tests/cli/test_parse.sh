#!/usr/bin/env bash
# sipreply CLI test: `sipreply parse` text and JSON output, exit codes, errors on stderr.
# usage: test_parse.sh <path-to-sipreply> <source-dir>
set -u
cli=$1
src=$2
vec=$src/tests/vectors/rfc4475
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; fi; }

# well-formed: exit 0 and the JSON structure
"$cli" parse --json "$vec/wsinv.dat" >"$tmp/out.json" 2>"$tmp/err"
check "wsinv exit 0" "[ $? -eq 0 ]"
check "wsinv method" "[ \"\$(jq -r .method $tmp/out.json)\" = INVITE ]"
check "wsinv header count" "[ \"\$(jq '.headers | length' $tmp/out.json)\" = 14 ]"
check "wsinv first header id" "[ \"\$(jq -r '.headers[0].id' $tmp/out.json)\" = To ]"
check "wsinv first header name as written" "[ \"\$(jq -r '.headers[0].name' $tmp/out.json)\" = TO ]"
check "wsinv unknown header" "[ \"\$(jq -r '.headers[8].id' $tmp/out.json)\" = other ]"
check "wsinv vias" "[ \"\$(jq '.via | length' $tmp/out.json)\" = 3 ]"
check "wsinv via branch" "[ \"\$(jq -r '.via[1].branch' $tmp/out.json)\" = z9hG4bK9ikj8 ]"
check "wsinv to tag" "[ \"\$(jq -r '.to.tag' $tmp/out.json)\" = 1918181833n ]"
check "wsinv cseq" "[ \"\$(jq -r '.cseq.num' $tmp/out.json)\" = 9 ]"
check "wsinv body" "[ \"\$(jq -r '.body_length' $tmp/out.json)\" = 150 ]"
check "no stderr on success" "[ ! -s $tmp/err ]"

# a response from standard input, text output
"$cli" parse - <"$vec/noreason.dat" >"$tmp/out.txt" 2>&1
check "noreason exit 0" "[ $? -eq 0 ]"
check "noreason text" "grep -q '^response 100' $tmp/out.txt"
"$cli" parse --json <"$vec/noreason.dat" >"$tmp/out.json"
check "noreason status" "[ \"\$(jq .status $tmp/out.json)\" = 100 ]"

# RFC 5118 §4.10: the third colon RFC 3261's ABNF let through before an IPv4 tail is tolerated
"$cli" parse --json "$src/tests/vectors/rfc5118/ipv6-bug-abnf-3-colons.sip" >"$tmp/out.json" 2>"$tmp/err"
check "ipv6-bug-abnf-3-colons exit 0" "[ $? -eq 0 ]"
check "ipv6-bug-abnf-3-colons Request-URI" "[ \"\$(jq -r .uri $tmp/out.json)\" = 'sip:[2001:db8:::192.0.2.1]' ]"

# malformed: exit 2, phrase and offset on stderr, nothing on stdout
"$cli" parse "$vec/bigcode.dat" >"$tmp/out" 2>"$tmp/err"
check "bigcode exit 2" "[ $? -eq 2 ]"
check "bigcode phrase" "grep -q 'Bad status code at offset 8' $tmp/err"
check "bigcode no stdout" "[ ! -s $tmp/out ]"
"$cli" parse "$vec/insuf.dat" >/dev/null 2>"$tmp/err"
check "insuf exit 2" "[ $? -eq 2 ]"
check "insuf phrase" "grep -q 'Missing To header field' $tmp/err"
"$cli" parse --no-validate "$vec/insuf.dat" >/dev/null 2>&1
check "insuf --no-validate exit 0" "[ $? -eq 0 ]"

# stream framing: Content-Length is mandatory
"$cli" parse --stream "$vec/inv2543.dat" >/dev/null 2>"$tmp/err"
check "stream without Content-Length exit 2" "[ $? -eq 2 ]"
check "stream phrase" "grep -q 'Missing Content-Length' $tmp/err"
"$cli" parse --stream "$vec/lwsdisp.dat" >/dev/null 2>&1
check "stream lwsdisp exit 0" "[ $? -eq 0 ]"

# every vector: exit 0 or 2, never a crash
for f in "$vec"/*.dat; do
  "$cli" parse "$f" >/dev/null 2>&1
  rc=$?
  check "$(basename "$f") exit 0/2 (got $rc)" "[ $rc -eq 0 ] || [ $rc -eq 2 ]"
done

# usage
"$cli" parse --bogus >/dev/null 2>&1
check "bad option exit 2" "[ $? -eq 2 ]"
"$cli" parse --help >"$tmp/out"
check "help exit 0" "[ $? -eq 0 ]"
check "help lists --json" "grep -q -- --json $tmp/out"
"$cli" parse /nonexistent/file >/dev/null 2>&1
check "missing file exit 2" "[ $? -eq 2 ]"

[ $fail -eq 0 ] && echo "cli parse: ok"
exit $fail
