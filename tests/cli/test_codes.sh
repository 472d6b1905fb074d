#!/usr/bin/env bash
# sipreply CLI tests: `sipreply codes` — every registered code, --class, --legacy, --json (jq).
# usage: test_codes.sh <path-to-sipreply> <source-dir>
set -u
bin=$1 src=$2
fails=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi; }

out=$("$bin" codes); rc=$?
check "codes exits 0" "$rc" 0
check "75 lines" "$(printf '%s\n' "$out" | wc -l)" 75
check "486 row" "$(printf '%s\n' "$out" | grep -c '^486  Busy Here ')" 1
check "401 must carry" "$(printf '%s\n' "$out" | grep '^401 ' | grep -c 'must carry: WWW-Authenticate')" 1
# The text listing has the same codes, in the same order, as data/status-codes.tsv.
check "codes = TSV" "$(printf '%s\n' "$out" | cut -c1-3 | tr '\n' ' ')" \
      "$(tail -n +2 "$src/data/status-codes.tsv" | cut -f1 | tr '\n' ' ')"

json=$("$bin" codes --json); rc=$?
check "codes --json exits 0" "$rc" 0
check "json array of 75" "$(printf '%s' "$json" | jq 'length')" 75
check "json fields" "$(printf '%s' "$json" | jq -c '[.[] | (.code|type), (.phrase|type), (.class|type), (.rfc|type), (.must_carry|type)] | unique')" \
      '["array","number","string"]'
check "json 486" "$(printf '%s' "$json" | jq -c '.[] | select(.code == 486) | [.phrase, .class, .rfc, .must_carry]')" \
      '["Busy Here","request-failure","RFC3261",[]]'
check "json 405 must carry" "$(printf '%s' "$json" | jq -c '.[] | select(.code == 405) | .must_carry')" '["Allow"]'
check "json 494 must carry" "$(printf '%s' "$json" | jq -c '.[] | select(.code == 494) | .must_carry')" '["Security-Server"]'
check "json sorted" "$(printf '%s' "$json" | jq '[.[].code] == ([.[].code] | sort)')" true
check "json all registered" "$(printf '%s' "$json" | jq '[.[] | select(.registered | not)] | length')" 0
# JSON phrases equal the TSV phrases, code by code.
check "json phrases = TSV" "$(printf '%s' "$json" | jq -r '.[] | "\(.code)\t\(.phrase)"')" \
      "$(tail -n +2 "$src/data/status-codes.tsv" | cut -f1,2)"

c4=$("$bin" codes --class 4 --json)
check "--class 4 count" "$(printf '%s' "$c4" | jq 'length')" 46
check "--class 4 only 4xx" "$(printf '%s' "$c4" | jq '[.[] | select(.class != "request-failure")] | length')" 0
check "--class 6xx" "$("$bin" codes --class 6xx | wc -l)" 6
check "--class=1" "$("$bin" codes --class=1 | cut -c1-3 | tr '\n' ' ')" "100 180 181 182 183 199 "
check "--class 2" "$("$bin" codes --class 2 | cut -c1-3 | tr '\n' ' ')" "200 202 204 "

leg=$("$bin" codes --legacy --json)
check "--legacy has 409 and 411" "$(printf '%s' "$leg" | jq -c '[.[] | select(.code == 409 or .code == 411) | .rfc]')" '["RFC2543","RFC2543"]'
check "--legacy all legacy" "$(printf '%s' "$leg" | jq '[.[] | select(.legacy | not)] | length')" 0

"$bin" codes --class 7 >/dev/null 2>&1; check "--class 7 exits 2" "$?" 2
"$bin" codes --class >/dev/null 2>&1; check "--class without value exits 2" "$?" 2
"$bin" codes --class x >/dev/null 2>&1; check "--class x exits 2" "$?" 2
"$bin" codes extra >/dev/null 2>&1; check "extra argument exits 2" "$?" 2
"$bin" codes --help | grep -q -- '--class N'; check "--help" "$?" 0

[ "$fails" -eq 0 ] && echo "codes: all passed" || echo "codes: $fails failure(s)"
[ "$fails" -eq 0 ]
