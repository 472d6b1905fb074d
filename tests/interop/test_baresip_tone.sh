#!/usr/bin/env bash
# sipreply interop: baresip (headless, Debian baresip-core) calls a sipreplyd rule in media
# `tone` mode (880 Hz) and records what it hears to a WAV file (its sndfile module dumps the
# decoded audio); the recording must hold the configured frequency (Goertzel) and nothing
# else loud. baresip's SIP port is the kernel's (sip_listen 127.0.0.1:0), its RTP port its own
# random pick; everything on 127.0.0.1 (-n 127.0.0.1), bounded by -t and `timeout`.
# usage: test_baresip_tone.sh SIPREPLYD SRCDIR
set -u
daemon=$1
src=$2
. "$src/tests/interop/lib.sh"

io_need baresip
mods=/usr/lib/baresip/modules
for m in g711 aufile sndfile account menu; do
    [ -f "$mods/$m.so" ] || io_skip "baresip module $m.so not found in $mods"
done
cat >"$IO_TMP/tone.yaml" <<'YAML'
media: {ports: 0, timeout: 30s}
rules:
  - name: tone
    match: {method: INVITE, user: tone}
    media: {mode: tone, frequency: 880}
    respond: [{code: 200}]
YAML
io_start_daemon "$daemon" "$IO_TMP/tone.yaml" --log-level info || io_done

bs=$IO_TMP/baresip
mkdir -p "$bs/rec"
python3 - "$bs/silence.wav" <<'PY'
import sys, wave
w = wave.open(sys.argv[1], "wb")
w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(b"\0\0" * 8000 * 10)
w.close()
PY
cat >"$bs/config" <<CFG
poll_method		epoll
sip_listen		127.0.0.1:0
audio_source		aufile,$bs/silence.wav
audio_alert		aufile,/dev/null
module_path		$mods
module			g711.so
module			aufile.so
module			sndfile.so
module_app		account.so
module_app		menu.so
snd_path		$bs/rec
CFG
echo '<sip:baresip@127.0.0.1>;regint=0' >"$bs/accounts"
timeout 30 baresip -f "$bs" -n 127.0.0.1 -e "/dial sip:tone@127.0.0.1:$IO_UDP_PORT" -t 4 \
    >"$IO_TMP/baresip.log" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q "Call established" "$IO_TMP/baresip.log"; then
    io_ok "baresip: call established"
else
    io_fail "baresip: exit $rc, no call"
    io_show "$IO_TMP/baresip.log" 20
fi
wav=$(ls "$bs"/rec/*-dec.wav 2>/dev/null | head -1)
if [ -z "$wav" ]; then
    io_fail "baresip recorded nothing"
elif out=$(python3 "$src/tests/daemon/media_check.py" wav "$wav" 880); then
    io_ok "baresip's recording: $out"
else
    io_fail "baresip's recording: $out"
fi
io_stop_daemon
grep -q "media end: .* rule=tone tone .*(BYE" "$IO_TMP/daemon.log" &&
    io_ok "sipreplyd: $(grep -o 'sent [0-9]* received [0-9]*' "$IO_TMP/daemon.log" | head -1), ended by baresip's BYE" ||
    { io_fail "sipreplyd's end line"; io_show "$IO_TMP/daemon.log" 10; }
io_done
