#!/usr/bin/env bash
# sipreply CLI tests: the README's tour shows the real output of `sipreply explain 486` and
# of the `codes --json` example, so the documentation cannot drift from the program.
# usage: test_readme.sh <path-to-sipreply> <source-dir>
set -u
bin=$1 src=$2
fails=0
# block PROMPT: the lines after "$ PROMPT" up to the closing fence.
block() { awk -v p="\$ $1" '$0 == p {on=1; next} on && /^```/ {exit} on {print}' "$src/README.md"; }

want=$(block "sipreply explain 486")
got=$("$bin" explain 486)
if [ -n "$want" ] && [ "$want" = "$got" ]; then echo "ok: README explain 486"
else echo "FAIL: README's 'explain 486' differs from the program:"; diff <(echo "$want") <(echo "$got"); fails=1; fi

cmd="sipreply codes --json | jq -c '.[] | select(.code == 401 or .code == 415) | {code, phrase, class, rfc, must_carry}'"
want=$(block "$cmd")
got=$("$bin" codes --json | jq -c '.[] | select(.code == 401 or .code == 415) | {code, phrase, class, rfc, must_carry}')
if [ -n "$want" ] && [ "$want" = "$got" ]; then echo "ok: README codes --json"
else echo "FAIL: README's 'codes --json' example differs:"; diff <(echo "$want") <(echo "$got"); fails=1; fi
exit $fails
