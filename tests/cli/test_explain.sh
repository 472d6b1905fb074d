#!/usr/bin/env bash
# sipreply CLI tests: `sipreply explain` — exit codes 0/1/2, text output, JSON content (jq).
# usage: test_explain.sh <path-to-sipreply> <source-dir>
set -u
bin=$1
fails=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }

# expect_rc RC ARGS... : run explain, check the exit status, keep stdout in $out, stderr in $err
expect_rc() {
  local want=$1; shift
  out=$("$bin" explain "$@" 2>/tmp/sr_explain_err.$$); rc=$?
  err=$(cat /tmp/sr_explain_err.$$)
  if [ "$rc" -eq "$want" ]; then ok "explain $* -> $rc"; else bad "explain $* -> $rc, want $want"; fi
}
has() { case "$out" in *"$1"*) ok "output has '$1'" ;; *) bad "output lacks '$1'"; echo "$out" | head -5 ;; esac; }
err_has() { case "$err" in *"$1"*) ok "stderr has '$1'" ;; *) bad "stderr lacks '$1' (got: $err)" ;; esac; }
jq_is() { # jq_is FILTER EXPECTED
  local got; got=$(printf '%s' "$out" | jq -c "$1" 2>&1)
  if [ "$got" = "$2" ]; then ok "jq $1 = $2"; else bad "jq $1 = $got, want $2"; fi
}

# Registered code: exit 0 with everything the issue asks for.
expect_rc 0 486
has "486 Busy Here"; has "4xx request failure, final"; has "RFC 3261"; has "sent by"
has "may carry     Retry-After"; has "Meaning"; has "What the client does next"
expect_rc 0 401
has "must carry    WWW-Authenticate"
expect_rc 0 415
has "Accept or Accept-Encoding or Accept-Language"
expect_rc 0 " 180 "
has "180 Ringing"; has "provisional"
expect_rc 0 202
has "202 Accepted  (deprecated)"

# Unregistered code in 100-699: exit 1, explained through its class.
expect_rc 1 499
has "not a registered SIP status code"; has "treated as    400 Bad Request"
expect_rc 1 150
has "treated as    183 Session Progress"
expect_rc 1 699
has "600 Busy Everywhere"
# Legacy codes: exit 1, marked as legacy, with their source.
expect_rc 1 409
has "409 Conflict"; has "legacy"; has "RFC 2543"; has "treated as    400 Bad Request"
expect_rc 1 411
has "Length Required"
expect_rc 1 478
has "Kamailio/SER"

# Classes.
expect_rc 0 4xx
has "4xx Request Failure (final)"; has "486 Busy Here"; has "400 Bad Request"
expect_rc 0 1XX
has "183 Session Progress"; has "(provisional)"
expect_rc 0 6xx
has "608 Rejected"

# Phrases: one argument or several words, variants, ambiguous.
expect_rc 0 "Busy Here"
has "486 Busy Here"
expect_rc 0 busy here
has "486 Busy Here"
expect_rc 0 "Gateway time-out"
has "504 Server Time-out"
expect_rc 0 Request canceled
has "487 Request Terminated"
expect_rc 0 "Call leg/transaction does not exist"
has "481 Call/Transaction Does Not Exist"
expect_rc 0 "Not Acceptable"
has "406 Not Acceptable"; has "606 Not Acceptable"; has "2 codes"
expect_rc 1 Conflict
has "legacy"
# Words of longer phrases: "Busy" is 600's field phrase and in 486 Busy Here too.
expect_rc 0 Busy
has "600 Busy Everywhere"; has "Also containing 'Busy': 486 Busy Here"; has "What the client does next"
expect_rc 0 "Not Acceptable"
has "Also containing 'Not Acceptable': 488 Not Acceptable Here"
expect_rc 0 here
has "Phrases containing 'here' (no phrase is exactly that): 486 Busy Here, 488 Not Acceptable Here"
expect_rc 0 gateway time
has "504 Server Time-out"
expect_rc 2 bus

# Anything else: exit 2 with a clear message.
expect_rc 2 700
err_has "not a SIP status code"
expect_rc 2 99
err_has "not a SIP status code"
expect_rc 2 0486
err_has "not a SIP status code"
expect_rc 2 99999999999999999999
err_has "not a SIP status code"
expect_rc 2 abc
err_has "no SIP status code has the reason phrase 'abc'"
expect_rc 2 7xx
err_has "not a SIP response class"
expect_rc 2
err_has "needs a code"
expect_rc 2 "   "
expect_rc 2 --bogus
err_has "unknown option"
expect_rc 2 --json
expect_rc 0 --help
has "usage: "; has "--json"
expect_rc 0 -- 486
has "486 Busy Here"

# JSON: valid, and its content.
expect_rc 0 486 --json
jq_is '.code' '486'; jq_is '.phrase' '"Busy Here"'; jq_is '.class' '"request-failure"'
jq_is '.final' 'true'; jq_is '.rfc' '"RFC3261"'; jq_is '.registered' 'true'
jq_is '.must_carry' '[]'; jq_is '.may_carry' '["Retry-After"]'; jq_is '.sent_by' '["UAS"]'
jq_is '.treated_as' '486'; jq_is '.meaning | length > 20' 'true'; jq_is '.advice | length > 20' 'true'
expect_rc 0 --json 407
jq_is '.must_carry' '["Proxy-Authenticate"]'; jq_is '.sent_by' '["proxy"]'
expect_rc 0 415 --json
jq_is '.must_carry_one_of' 'true'; jq_is '.must_carry | length' '3'
expect_rc 0 202 --json
jq_is '.deprecated' 'true'; jq_is '.phrase' '"Accepted"'; jq_is '.other_phrases' '["Accepted (Deprecated)"]'
expect_rc 1 499 --json
jq_is '.registered' 'false'; jq_is '.phrase' 'null'; jq_is '.treated_as' '400'
jq_is '.treated_as_phrase' '"Bad Request"'; jq_is '.class' '"request-failure"'
expect_rc 1 150 --json
jq_is '.treated_as' '183'
expect_rc 1 409 --json
jq_is '.legacy' 'true'; jq_is '.registered' 'false'; jq_is '.rfc' '"RFC2543"'; jq_is '.treated_as' '400'
expect_rc 0 4xx --json
jq_is '.range' '"4xx"'; jq_is '.fallback' '400'; jq_is '[.codes[].code] | length' '46'
jq_is '.codes[0]' '{"code":400,"phrase":"Bad Request"}'
expect_rc 0 1xx --json
jq_is '.fallback' '183'; jq_is '.final' 'false'
expect_rc 0 --json not acceptable
jq_is '.query' '"not acceptable"'; jq_is '[.matches[].code]' '[406,606]'
jq_is '[.containing[].code]' '[488]'
expect_rc 0 --json busy
jq_is '[.matches[].code]' '[600]'; jq_is '[.containing[].code]' '[486]'
expect_rc 0 --json "Uknown Resource-Priority"
jq_is '[.matches[].code]' '[417]'
expect_rc 2 --json 700
[ -z "$out" ] && ok "no JSON on stdout for a usage error" || bad "stdout not empty on error"

rm -f /tmp/sr_explain_err.$$
[ "$fails" -eq 0 ] && echo "explain: all passed" || echo "explain: $fails failure(s)"
[ "$fails" -eq 0 ]
