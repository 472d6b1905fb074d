#!/usr/bin/env bash
# sipreply resolve: the ordered targets of a URI from a real DNS server (dnsmasq, started by
# tests/net/dns_test.sh in a private network namespace with the zone of the net.dns test).
# usage: test_resolve.sh <path-to-sipreply> <source-dir>
set -u
case ${1:-} in
127.0.0.1:*) server=$1 bin=$2 src=$3 ;;
*) exec bash "$2/tests/net/dns_test.sh" "$0" "$1" "$2" ;;
esac
fails=0
check() { # name, expected exit, expected stdout, command...
  local name=$1 want_rc=$2 want=$3; shift 3
  local out rc
  out=$("$@" 2>/dev/null); rc=$?
  if [ "$rc" = "$want_rc" ] && [ "$out" = "$want" ]; then echo "ok: $name"
  else echo "FAIL: $name (exit $rc, want $want_rc)"; echo "$out" | sed 's/^/  got: /'; fails=$((fails + 1)); fi
}
check "NAPTR order, TLS marked" 0 "1 tls 127.0.1.1 5061 tls.naptr.sr.test (unsupported transport)
2 tcp 127.0.1.2 5070 tcp.naptr.sr.test
3 tcp [fd00::12] 5070 tcp.naptr.sr.test
4 udp 127.0.1.3 5080 udp.naptr.sr.test" "$bin" resolve sip:naptr.sr.test --server "$server"
check "explicit port" 0 "1 udp 127.0.3.1 5099 naptr.sr.test" \
  "$bin" resolve sip:naptr.sr.test:5099 --server "$server"
check "numeric" 0 "1 tcp 192.0.2.1 5060 -" "$bin" resolve 'sip:192.0.2.1;transport=tcp'
check "not found" 1 "" "$bin" resolve sip:nx.sr.test --server "$server"
check "not a SIP URI" 2 "" "$bin" resolve tel:+12015550123 --server "$server"
check "no URI" 2 "" "$bin" resolve
# --json: the same list, field by field
json=$("$bin" resolve sip:plain.sr.test --server "$server" --json)
if [ "$(printf '%s' "$json" | jq -r '[.status, (.targets | length), .targets[1].address, .targets[1].port, .targets[0].supported] | join(" ")')" = "ok 2 [fd00::21] 5060 true" ]; then
  echo "ok: --json"
else echo "FAIL: --json"; echo "$json"; fails=$((fails + 1)); fi
# the README's example is the program's real output
want=$(awk -v p="\$ sipreply resolve 'sip:192.0.2.1;transport=tcp'" '$0 == p {on=1; next} on && /^```/ {exit} on {print}' "$src/README.md")
got=$("$bin" resolve 'sip:192.0.2.1;transport=tcp')
if [ -n "$want" ] && [ "$want" = "$got" ]; then echo "ok: README example"
else echo "FAIL: README's resolve example differs: '$want' vs '$got'"; fails=$((fails + 1)); fi
[ "$fails" -eq 0 ] && echo "resolve: all passed" || echo "resolve: $fails failure(s)"
[ "$fails" -eq 0 ]
