#!/usr/bin/env bash
# sipreplyd: every option of `sipreplyd --help` appears in docs/sipreplyd.8, --version and
# --print-default work, and the man page renders without warnings.
# usage: test_manpage.sh <sipreplyd> <source-dir>
set -u
bin=$1 src=$2
man=$src/docs/sipreplyd.8
fails=0
[ -f "$man" ] || { echo "FAIL: no $man"; exit 1; }
text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$man")
opts=$("$bin" --help | grep -oE '(^|[ ,\[])--?[a-zA-Z][a-zA-Z-]*' | tr -d ' ,[' | sort -u)
[ -n "$opts" ] || { echo "FAIL: no options in --help"; exit 1; }
for opt in $opts; do
    if printf '%s\n' "$text" | grep -qe "$opt"; then echo "ok: $opt"; else echo "FAIL: $opt not in the man page"; fails=1; fi
done
"$bin" --version | grep -q '^sipreplyd [0-9]' && echo "ok: --version" || { echo "FAIL: --version"; fails=1; }
"$bin" --print-default | grep -q 'dial-a-code' && echo "ok: --print-default" || { echo "FAIL: --print-default"; fails=1; }
"$bin" --bogus >/dev/null 2>&1; [ $? -eq 2 ] && echo "ok: bad usage exits 2" || { echo "FAIL: bad usage exit"; fails=1; }
# an example that starts sipreplyd (it runs in the foreground) cannot chain a command with &&
if grep -E '^sipreplyd .*&&' "$man"; then echo "FAIL: an example chains after sipreplyd with &&"; fails=1
else echo "ok: no example waits on sipreplyd with &&"; fi
if command -v man >/dev/null 2>&1; then
    w=$(MANWIDTH=80 man --warnings -l "$man" 2>&1 >/dev/null)
    [ -z "$w" ] && echo "ok: man renders cleanly" || { echo "FAIL: man warnings: $w"; fails=1; }
fi
exit $fails
