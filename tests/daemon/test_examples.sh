#!/usr/bin/env bash
# sipreplyd integration: every examples/*.yaml is loaded by the daemon and each of its
# "# expect: ARGS => CODE | text | text" lines is sent over UDP (the first one also over
# TCP): the last final response of the exchange (after a digest retry, with --auth) must
# have CODE and the exchange must show each text.
# usage: test_examples.sh <sipreplyd> <source-dir>
set -u
bin=$1 src=$2
. "$src/tests/daemon/lib.sh"
n=0
for f in "$src"/examples/*.yaml; do
    name=$(basename "$f")
    # the calls left up get our BYE at the stop; their callers are gone: wait 1 s, not 5
    if ! start_daemon "$tmp/$name.log" -c "$f" -l "udp:127.0.0.1:0" -l "tcp:127.0.0.1:0" \
        --shutdown-timeout 1000; then
        bad "$name: did not start"; continue
    fi
    first=1
    while IFS= read -r line; do
        spec=${line#\# expect: }
        args=${spec%% => *}
        want=${spec#* => }
        code=${want%% |*}
        for tp in udp tcp; do
            [ "$tp" = tcp ] && [ $first -eq 0 ] && continue
            port=$(port_of "$tp")
            out=$(eval "$SIPC $tp 127.0.0.1 $port $args -v" 2>&1)
            finals=$(echo "$out" | grep -E '^SIP/2.0 [2-6][0-9][0-9] .*  \[[0-9]+ [A-Z]+\]$' | grep -v -E '\[[0-9]+ (PRACK|BYE|CANCEL)\]' | tail -1)
            if ! echo "$finals" | grep -q "^SIP/2.0 $code "; then
                bad "$name ($tp): '$args' final is '${finals:-none}', want $code"; echo "$out" | head -30
                continue
            fi
            rest=$want
            good=1
            while [ "$rest" != "${rest#* | }" ]; do
                rest=${rest#* | }
                piece=${rest%% | *}
                if ! echo "$out" | grep -qF -- "$piece"; then
                    bad "$name ($tp): '$args' shows no '$piece'"; echo "$out" | head -30; good=0
                fi
            done
            [ $good -eq 1 ] && ok "$name ($tp): $args => $code"
            n=$((n + 1))
        done
        first=0
    done < <(grep '^# expect: ' "$f")
    stop_daemon
    [ "$rc" = 0 ] || { bad "$name: exit status $rc after SIGTERM"; cat "$tmp/$name.log"; }
done
[ $n -ge 20 ] || bad "only $n expectations ran"
# docs/sipreplyd.md shows every example as it is
for f in "$src"/examples/*.yaml; do
    body=$(grep -v '^#' "$f" | sed '/./,$!d')
    if python3 -c 'import sys; sys.exit(0 if sys.argv[1] in open(sys.argv[2]).read() else 1)' "$body" "$src/docs/sipreplyd.md"
    then ok "docs show $(basename "$f")"; else bad "docs/sipreplyd.md does not show $(basename "$f") as it is"; fi
done
exit $fails
