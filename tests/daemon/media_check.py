#!/usr/bin/env python3
"""Checks of what tests/daemon/rtpc.py saw (sipreplyd's media tests).

usage: media_check.py echo FILE N      N packets echoed: our payloads back, one SSRC not the
                                       caller's, consecutive sequence numbers, timestamps
                                       spaced as sent (RFC 3550 §5.1)
       media_check.py tone FILE HZ [early]  the G.711 audio received (or the early media of a
                                       183) has its energy at HZ (Goertzel), none at others
       media_check.py rtcp FILE        an RTCP SR+SDES during the call and a BYE at its end
       media_check.py nat FILE         every packet went to the socket RTP came from (RFC 4961)
       media_check.py wav WAVFILE HZ   a recording (16-bit PCM, any rate, first channel) has its
                                       energy at HZ, none at others
Prints one line; exit 0 when the check holds, 1 otherwise.
"""
import json, math, sys

def ulaw(u):
    u = ~u & 0xFF
    e = (u >> 4) & 7
    v = ((((u & 15) << 3) + 0x84) << e) - 0x84
    return -v if u & 0x80 else v

def alaw(a):
    a ^= 0x55
    t, s = (a & 15) << 4, (a & 0x70) >> 4
    t = t + 8 if s == 0 else (t + 0x108) << (s - 1)
    return t if a & 0x80 else -t

def goertzel(x, hz):
    w = 2 * math.pi * hz / 8000
    c, s1, s2 = 2 * math.cos(w), 0.0, 0.0
    for v in x:
        s1, s2 = v + c * s1 - s2, s1
    return s1 * s1 + s2 * s2 - c * s1 * s2

def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)

kind, f = sys.argv[1], sys.argv[2]
if kind == "wav":
    import struct, wave
    hz = int(sys.argv[3])
    w = wave.open(f, "rb")
    rate, ch, n = w.getframerate(), w.getnchannels(), w.getnframes()
    raw = w.readframes(n)
    x = list(struct.unpack("<%dh" % (len(raw) // 2), raw))[::ch]
    # leave out the silence before the first sound (the call's set-up)
    first = next((i for i, v in enumerate(x) if abs(v) > 500), len(x))
    x = x[first:]
    if len(x) < rate // 2:
        fail(f"{len(x)} samples of sound in {f} (half a second at least wanted)")
    def g(h):
        w_ = 2 * math.pi * h / rate
        c, s1, s2 = 2 * math.cos(w_), 0.0, 0.0
        for v in x:
            s1, s2 = v + c * s1 - s2, s1
        return s1 * s1 + s2 * s2 - c * s1 * s2
    p0 = g(hz)
    for other in (hz * 0.8, hz * 1.25, hz * 2, 300):
        if p0 < 100 * g(other):
            fail(f"{hz} Hz not dominant in {f}: {p0:.3g} against {g(other):.3g} at {other} Hz")
    print(f"ok: {len(x) / rate:.2f} s recorded at {rate} Hz, {hz} Hz found")
    sys.exit(0)
d = json.load(open(f))
if kind == "echo":
    n = int(sys.argv[3])
    audio = [p for p in d["rtp"] if p["pt"] in (0, 8)]
    if len(audio) != n:
        fail(f"{len(audio)} audio packets echoed, {n} sent")
    if [p["payload"] for p in audio] != d["sent_payloads"][:n]:
        fail("the payloads echoed differ from those sent")
    ssrcs = {p["ssrc"] for p in d["rtp"]}
    if len(ssrcs) != 1:
        fail(f"{len(ssrcs)} SSRCs")
    seqs = [p["seq"] for p in d["rtp"]]
    if any((b - a) & 0xFFFF != 1 for a, b in zip(seqs, seqs[1:])):
        fail(f"sequence numbers not consecutive: {seqs}")
    tss = [p["ts"] for p in audio]
    if any((b - a) & 0xFFFFFFFF != 160 for a, b in zip(tss, tss[1:])):
        fail(f"timestamps not 160 apart: {tss}")
    print(f"ok: {n} packets echoed, SSRC {ssrcs.pop():08x}, sequence {seqs[0]}..{seqs[-1]}")
elif kind == "tone":
    hz = int(sys.argv[3])
    if len(sys.argv) > 4:
        pkts = [{"pt": int(sys.argv[5]) if len(sys.argv) > 5 else 0, "payload": p}
                for p in d.get("early", [])]
    else:
        pkts = [p for p in d["rtp"] if p["pt"] in (0, 8)]
    if len(pkts) < 25:
        fail(f"{len(pkts)} packets of audio (half a second at least wanted)")
    dec = alaw if pkts[0]["pt"] == 8 else ulaw
    x = [dec(b) for p in pkts for b in bytes.fromhex(p["payload"])]
    p0 = goertzel(x, hz)
    for other in (hz * 0.8, hz * 1.25, hz * 2, 300):
        if p0 < 100 * goertzel(x, other):
            fail(f"{hz} Hz not dominant: {p0:.3g} against {goertzel(x, other):.3g} at {other} Hz")
    print(f"ok: {len(pkts)} packets, {hz} Hz found (pt {pkts[0]['pt']})")
elif kind == "rtcp":
    during = [r for r in d["rtcp"] if not r.get("after_bye")]
    if not any(200 in r["types"] and 202 in r["types"] for r in during):
        fail(f"no SR+SDES during the call: {during}")
    if not any(203 in r["types"] for r in d["rtcp"]):
        fail(f"no RTCP BYE: {d['rtcp']}")
    print(f"ok: {len(during)} RTCP reports, a BYE at the end")
elif kind == "nat":
    if not d["rtp"] or any(p["to"] != "tx" for p in d["rtp"]):
        fail(f"packets not sent back to their source: {[p['to'] for p in d['rtp']]}")
    print(f"ok: {len(d['rtp'])} packets went back to the source port")
