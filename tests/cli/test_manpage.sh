#!/usr/bin/env bash
# sipreply CLI tests: every option printed by `sipreply --help` and `sipreply <cmd> --help`,
# and every command, appears in docs/sipreply.1 (STYLE.md §7).
# usage: test_manpage.sh <path-to-sipreply> <source-dir>
set -u
bin=$1 src=$2
man=$src/docs/sipreply.1
fails=0
[ -f "$man" ] || { echo "FAIL: no $man"; exit 1; }
# The roff source with its escapes undone: \- is -, \fB...\fR is plain text.
text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$man")
in_man() { printf '%s\n' "$text" | grep -qe "$1"; }

cmds=$("$bin" --help | awk '/^commands:/{c=1; next} c && /^  [a-z]/{print $1}')
[ -n "$cmds" ] || { echo "FAIL: no commands in --help"; exit 1; }
"$bin" --version | grep -q '^sipreply ' || { echo "FAIL: --version"; fails=$((fails + 1)); }
for opt in $("$bin" --help | grep -oE '(^|[ |,])--?[a-zA-Z][a-zA-Z-]*' | tr -d ' |,' | sort -u); do
  if in_man "$opt"; then echo "ok: global $opt"; else echo "FAIL: global option $opt not in man page"; fails=$((fails + 1)); fi
done
for c in $cmds; do
  n=$(printf '%s\n' "$text" | grep -cE "^\.SS \"?$c( |\"|\$)")
  if [ "$n" = 1 ]; then echo "ok: one section for $c"; else echo "FAIL: $n .SS sections for $c"; fails=$((fails + 1)); fi
  help=$("$bin" "$c" --help) || { echo "FAIL: $c --help exits non-zero"; fails=$((fails + 1)); }
  for opt in $(printf '%s\n' "$help" | grep -oE '(^|[ |,\[])--?[a-zA-Z][a-zA-Z-]*' | tr -d ' |,[' | sort -u); do
    if in_man "$opt"; then echo "ok: $c $opt"; else echo "FAIL: $c option $opt not in man page"; fails=$((fails + 1)); fi
  done
done
# --help names a manual page one can open without installing
if "$bin" --help | grep -q "man -l docs/sipreply.1" && [ -f "$src/docs/sipreply.1" ]; then echo "ok: --help points to docs/sipreply.1"
else echo "FAIL: --help does not point to a manual page that is there"; fails=$((fails + 1)); fi
[ "$fails" -eq 0 ] && echo "manpage: all passed" || echo "manpage: $fails failure(s)"
[ "$fails" -eq 0 ]
