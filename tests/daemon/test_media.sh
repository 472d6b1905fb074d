#!/usr/bin/env bash
# sipreplyd media (RTP/RTCP, RFC 3550): a rule's `media:` gives each answered call a real RTP
# port (kernel-chosen pairs here: `ports: 0`) and a stream — echo (our SSRC, consecutive
# sequence numbers, timestamps spaced as received), a G.711 tone found by its frequency, early
# media on a 183 ended by the 486, our offer in the 200 with the answer in the ACK, symmetric
# RTP (RFC 4961), RTCP SR+SDES and a BYE, RFC 4733 events logged, the RTP timeout, the end
# line and /metrics. Caller: tests/daemon/rtpc.py; checks: tests/daemon/media_check.py.
# 127.0.0.1 only, port 0, bounded waits.
# usage: test_media.sh <sipreplyd> <source-dir>
set -u
bin=$1 src=$2
. "$src/tests/daemon/lib.sh"
RTPC="timeout 30 python3 $src/tests/daemon/rtpc.py"
CHECK="python3 $src/tests/daemon/media_check.py"
# a WAV file of 700 Hz at 16 kHz (the file mode takes it down to 8 kHz)
python3 - "$tmp/700.wav" <<'PY'
import math, struct, sys, wave
w = wave.open(sys.argv[1], "wb")
w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
w.writeframes(b"".join(struct.pack("<h", int(9000 * math.sin(2 * math.pi * 700 * i / 16000)))
                       for i in range(16000)))
w.close()
PY
cat >"$tmp/media.yaml" <<YAML
media:
  ports: 0
  timeout: 3s
  rtcp-interval: 500ms
rules:
  - name: echo
    match: {user: echo}
    media: echo
    respond: [{code: 200}]
  - name: tone
    match: {user: tone}
    media: {mode: tone, frequency: 440, level: -6}
    respond: [{code: 200}]
  - name: early
    match: {user: early}
    media: {mode: tone, frequency: 1000}
    respond: [{code: 183}, {code: 486, delay: 1500ms}]
  - name: file
    match: {user: file}
    media: {mode: file, file: $tmp/700.wav}
    respond: [{code: 200}]
  - name: plain
    match: {user: plain}
    respond: [{code: 200}]
YAML
start_daemon "$tmp/d.log" -c "$tmp/media.yaml" -l udp:127.0.0.1:0 --metrics 127.0.0.1:0 \
    --log-level info || exit 1
run() { $RTPC 127.0.0.1 "$udp_port" "$@"; }
check() { if out=$($CHECK "$@"); then ok "$1 ${2##*/}: $out"; else bad "$1 ${2##*/}: $out"; fi; }

# echo: 50 packets and the DTMF digits 1 and 2 (RFC 4733, three packets each)
run sip:echo@127.0.0.1 --send 50 --events 12 --listen 0.5 --json "$tmp/echo.json" ||
    bad "echo: call not answered"
check echo "$tmp/echo.json" 50
check rtcp "$tmp/echo.json"
grep -q "telephone-event 1 '1'" "$tmp/d.log" && grep -q "telephone-event 2 '2'" "$tmp/d.log" &&
    ok "telephone-events logged" || bad "telephone-events not logged"
# 50 audio packets + 6 event packets each way, none lost; the digits in the end line
grep -E "media end: .* rule=echo echo .* sent 56 received 56 lost 0 .* events 2 \"12\" \(BYE" \
    "$tmp/d.log" >/dev/null && ok "echo end line" || bad "echo end line: $(grep 'media end' "$tmp/d.log")"
# the SDP answer names the port the media came from, not the template's 49170
port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["media_port"])' "$tmp/echo.json")
[ "$port" != 49170 ] && grep -q "rule=echo echo on 127.0.0.1:$port," "$tmp/d.log" &&
    ok "answer names the media port ($port)" || bad "answer port $port"

# tone, PCMU and PCMA
run sip:tone@127.0.0.1 --listen 1 --json "$tmp/tone.json" || bad "tone: call not answered"
check tone "$tmp/tone.json" 440
run sip:tone@127.0.0.1 --listen 1 --codec pcma --json "$tmp/tone8.json" || bad "tone PCMA"
check tone "$tmp/tone8.json" 440
# our offer in the 200 (an INVITE without SDP), the answer in the ACK (RFC 3264, 3261 §13.2.1)
run sip:tone@127.0.0.1 --listen 1 --no-offer --json "$tmp/tone_ack.json" || bad "tone no offer"
check tone "$tmp/tone_ack.json" 440

# the WAV file, looped
run sip:file@127.0.0.1 --listen 1 --json "$tmp/file.json" || bad "file: call not answered"
check tone "$tmp/file.json" 700

# early media: a tone on the 183, ended by the 486
run sip:early@127.0.0.1 --listen 0 --json "$tmp/early.json"
code=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["code"])' "$tmp/early.json")
[ "$code" = 486 ] && ok "early: 486" || bad "early: final $code"
check tone "$tmp/early.json" 1000 early
grep -q "rule=early tone .*(the INVITE failed)" "$tmp/d.log" && ok "early media ended by the 486" ||
    bad "early media not ended"

# symmetric RTP: the caller sends from another port than its SDP names (a NAT)
run sip:echo@127.0.0.1 --send 10 --listen 0.3 --rtp-from-other-port --json "$tmp/nat.json" ||
    bad "nat: not answered"
check nat "$tmp/nat.json"

# the RTP timeout (3 s): a call that sends nothing and never hangs up
run sip:echo@127.0.0.1 --listen 0 --no-bye --json "$tmp/silent.json" || bad "silent: not answered"
for _ in $(seq 100); do grep -q "received 0 .*(RTP timeout)" "$tmp/d.log" && break; sleep 0.1; done
grep -q "rule=echo echo .*received 0 .*(RTP timeout)" "$tmp/d.log" && ok "RTP timeout ends the media" ||
    bad "no RTP timeout"
# ... and the call: the dialog ends with our BYE
for _ in $(seq 50); do grep -q "ended after .*: media timeout (BYE sent)" "$tmp/d.log" && break; sleep 0.1; done
grep -q "dialog confirmed ended after .*: media timeout (BYE sent)" "$tmp/d.log" &&
    ok "RTP timeout: the dialog ends with our BYE" || bad "RTP timeout: no BYE"

# a rule without media: the template port, nothing opened
run sip:plain@127.0.0.1 --listen 0 --json "$tmp/plain.json" || bad "plain: not answered"
port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["media_port"])' "$tmp/plain.json")
[ "$port" = 49170 ] && ok "no media: the template port" || bad "plain port $port"

for m in media_calls_total:8 media_timeouts_total:1 media_calls_active:0 rtp_events_total:2; do
    v=$(metric "sipreplyd_${m%%:*}")
    [ "$v" = "${m##*:}" ] && ok "metric ${m%%:*} = $v" || bad "metric ${m%%:*} = $v, want ${m##*:}"
done
[ "$(metric sipreplyd_rtp_packets_received_total)" -ge 66 ] && ok "rtp received counted" ||
    bad "rtp received $(metric sipreplyd_rtp_packets_received_total)"
stop_daemon
[ "$rc" = 0 ] && ok "clean stop" || bad "stop: $rc"

# configuration errors, with their place
cfgerr() {
    printf '%s\n' "$1" >"$tmp/bad.yaml"
    if out=$("$bin" -t -c "$tmp/bad.yaml" 2>&1); then bad "accepted: $1"
    elif printf '%s' "$out" | grep -q "$2"; then ok "refused: $2"
    else bad "refused otherwise: $out"; fi
}
cfgerr 'rules: [{match: {user: x}, media: loud, respond: [{code: 200}]}]' "media mode is one of"
cfgerr 'rules: [{media: {mode: tone, frequency: 5000}, respond: [{code: 200}]}]' "frequency: expected a number from 0 to 3999"
cfgerr 'rules: [{media: {mode: file}, respond: [{code: 200}]}]' "media mode file needs a file"
cfgerr 'rules: [{media: {mode: file, file: /nonexistent.wav}, respond: [{code: 200}]}]' "media file /nonexistent.wav"
cfgerr 'media: {ports: 9-8}' "ports is MIN-MAX"
cfgerr 'media: {rtcp-interval: 100ms}' "rtcp-interval is 0"
[ $fails = 0 ] || { echo "--- daemon log"; cat "$tmp/d.log"; }
exit $fails
