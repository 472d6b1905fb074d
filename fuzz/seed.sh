#!/usr/bin/env bash
# sipreply fuzzing: (re)build the seed corpora fuzz/corpus/<target>/ from tests/vectors and
# hand-written cases. Files are named by the SHA-256 of their content (as nghttp2 does), so
# re-running adds nothing twice. usage: fuzz/seed.sh   (from anywhere)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
vec="$root/tests/vectors/rfc4475"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# add <target>: store stdin as one corpus file named by its hash
add() {
  cat >"$tmp"
  local h
  h=$(sha256sum "$tmp" | cut -d' ' -f1)
  mkdir -p "$root/fuzz/corpus/$1"
  cp "$tmp" "$root/fuzz/corpus/$1/$h"
}

# ---- uri: Request-URIs and <...> URIs of every vector, plus hand-written cases
for f in "$vec"/*.dat; do
  first=$(head -n1 "$f" | tr -d '\r')
  case "$first" in SIP/*) ;; *)
    ruri=${first#* }; ruri=${ruri% SIP/*}
    printf '%s' "$ruri" | add uri ;;
  esac
  # URIs in angle brackets in the header block
  sed -n '1,/^\r\{0,1\}$/p' "$f" | grep -ao '<[^<>]*>' | while IFS= read -r u; do
    u=${u#<}; u=${u%>}
    printf '%s' "$u" | add uri
  done
done
while IFS= read -r u; do
  [ -n "$u" ] && printf '%s' "$u" | add uri
done <<'URIS'
sips:alice:secret@Atlanta.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent
sip:%61lice@atlanta.com;transport=TCP
sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com
sip:[2001:db8::10]:5070
sip:[2001:db8::10:5070]
sip:user@[::ffff:192.0.2.1]
sip:user@[2001:db8::192.0.2.1];maddr=[2001:db8::1]
sip:user@2001:db8::10
sip:[1:2:3:4:5:6:7::]
sip:a@192.0.2.1:65535
sip:a@b.com:65536
sip:a@h.com;%6C%72;n%61me=v%61lue%25%34%31
tel:+1-201-555-0123
tel:7042;phone-context=example.com
tel:863-1234;phone-context=+1-914-555
TEL:+1(201)555.0123;ext=1234;isub=%41b
tel:*21#;phone-context=+1
mailto:alice@example.com
urn:service:sos
sip:user@example.com; lr
<sip:user@example.com>
URIS

# ---- stream_framer: first byte = mode (bit 0 small caps, bit 1 eager pong), then bytes
for f in "$vec"/*.dat; do
  { printf '\000'; cat "$f"; } | add stream_framer
  { printf '\001'; cat "$f"; } | add stream_framer
done
{ printf '\000\r\n\r\n'; cat "$vec/esc01.dat"; printf '\r\n'; cat "$vec/dblreq.dat";
  printf '\r\n\r\n'; cat "$vec/mpart01.dat"; } | add stream_framer
printf '\002\r\n' | add stream_framer
printf '\000\r\n\r' | add stream_framer
printf '\000OPTIONS sip:a SIP/2.0\r\nl:\r\n 3\r\n\r\nabcOPTIONS sip:b SIP/2.0\r\nContent-Length : 0\r\n\r\n' | add stream_framer
printf '\000INVITE sip:a SIP/2.0\r\nContent-Length: 4\r\nl: 5\r\n\r\nabcde' | add stream_framer
printf '\000INVITE sip:a SIP/2.0\r\nContent-Length: 99999999999999999999999\r\n\r\n' | add stream_framer
printf '\001INVITE sip:a SIP/2.0\r\nContent-Length: 513\r\n\r\n' | add stream_framer

for t in uri stream_framer; do
  echo "seed: fuzz/corpus/$t: $(ls "$root/fuzz/corpus/$t" | wc -l) files"
done
