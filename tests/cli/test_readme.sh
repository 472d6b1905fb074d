#!/usr/bin/env bash
# sipreply CLI tests: the README's tour shows the real output of `sipreply explain 486` and
# of the `codes --json` example, so the documentation cannot drift from the program; and
# every command of its ```sh blocks runs as written (from the top of the source tree, a
# `cd` applying to the rest of its block), with the exit status its comment gives ("exit N",
# else 0). The sipreplyd tour's commands run against a sipreplyd of the same build started
# on port 0: 5060 in them is replaced by the port it got. `make`, `cmake` and `ctest`
# commands are the build and the suite itself: listed, not run here.
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

# --------------------------------------------------------------- the ```sh blocks
tmp=$(mktemp -d)
dpid=
trap '[ -n "$dpid" ] && kill "$dpid" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
ln -s "$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")" "$tmp/bin/sipreply"
daemon=$(dirname "$bin")/sipreplyd
# one line per command: BLOCK-NUMBER<TAB>COMMAND<TAB>COMMENT
awk '/^```sh$/ { on = 1; n++; next } on && /^```/ { on = 0; next }
     on && NF && $1 !~ /^#/ {
         c = $0; m = ""; i = index(c, " # ")
         if (i) { m = substr(c, i + 3); c = substr(c, 1, i - 1) }
         sub(/[ \t]+$/, "", c); print n "\t" c "\t" m }' "$src/README.md" >"$tmp/cmds"
[ "$(grep -c 'sipreply ' "$tmp/cmds")" -ge 12 ] || { echo "FAIL: too few README commands found"; fails=1; }
ran=0
block=0
while IFS=$'\t' read -r b cmd comment; do
    [ "$b" != "$block" ] && { block=$b; dir=$src; }
    case $cmd in
    make\ * | cmake\ * | ctest\ *) echo "not run here: $cmd"; continue ;;
    cd\ *) dir=$src/${cmd#cd }; [ -d "$dir" ] && echo "ok: README: $cmd" || { echo "FAIL: README: $cmd: no such directory"; fails=1; }; continue ;;
    esac
    want=0
    [[ $comment =~ exit\ ([0-9]) ]] && want=${BASH_REMATCH[1]}
    run=$cmd
    if [[ $cmd =~ 5060 ]]; then # the sipreplyd tour: a daemon of this build on port 0
        tool=${cmd%% *}
        [ -x "$daemon" ] || { echo "skip: no sipreplyd beside $bin: $cmd"; continue; }
        [ "$tool" = python3 ] || command -v "$tool" >/dev/null || { echo "skip: $tool is not installed: $cmd"; continue; }
        if [ -z "$dpid" ]; then
            "$daemon" -l udp:127.0.0.1:0 -l tcp:127.0.0.1:0 --port-file "$tmp/ports" >"$tmp/daemon.log" 2>&1 &
            dpid=$!
            for _ in $(seq 50); do [ -s "$tmp/ports" ] && break; sleep 0.1; done
            port=$(awk '$1 == "udp" { print $3; exit }' "$tmp/ports")
            [ -n "$port" ] || { echo "FAIL: sipreplyd did not start"; cat "$tmp/daemon.log"; exit 1; }
        fi
        run="timeout 30 ${cmd//5060/$port}"
        # SIPp without a terminal, its control socket on the loopback
        [ "$tool" = sipp ] && run="$run -nostdin -ci 127.0.0.1"
    fi
    out=$(cd "$dir" && PATH="$tmp/bin:$PATH" bash -c "$run" 2>&1 </dev/null)
    st=$?
    code=
    [[ $comment =~ ^(SIP/2.0\ )?([1-6][0-9][0-9])\  ]] && code=${BASH_REMATCH[2]}
    if [ "$st" != "$want" ]; then
        echo "FAIL: README: '$cmd' exit $st, want $want"; echo "$out" | head -15 | sed 's/^/  | /'; fails=1
    elif [ -n "$code" ] && ! echo "$out" | grep -q "^SIP/2.0 $code "; then
        echo "FAIL: README: '$cmd' shows no $code"; echo "$out" | head -15 | sed 's/^/  | /'; fails=1
    else
        echo "ok: README: $cmd (exit $st)"
    fi
    ran=$((ran + 1))
done <"$tmp/cmds"
[ $ran -ge 12 ] || { echo "FAIL: only $ran README commands ran"; fails=1; }
exit $fails
