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

# ---- auth: credentials and challenge values; "@N@" becomes a nonce the target's server issued
# (the responses below are right for that nonce, so the digest and nonce-count paths are reached)
while IFS= read -r v; do
  [ -n "$v" ] && printf '%s' "$v" | add auth
done <<'AUTH'
Digest username="alice", realm="example.com", nonce="@N@", uri="sip:example.com", response="1a4e490e4de3d09742b7374bbac5c4fe", algorithm=MD5
Digest username="alice", realm="example.com", nonce="@N@", uri="sip:example.com", response="eacfc326a4af5ad6ae56d38e4a24a789", algorithm=MD5, qop=auth, nc=00000001, cnonce="abc"
Digest username="alice", realm="example.com", nonce="@N@", uri="sip:example.com", response="6ddb11b08950a9d9b5d2d34d842ea1b6", algorithm=MD5, qop=auth-int, nc=00000001, cnonce="abc"
Digest username="alice", realm="example.com", nonce="@N@", uri="sip:example.com", response="2a64741cf609c3543506fa66b8db9a92840ce458dea60a95f3f12ed3ea636617", algorithm=SHA-256
Digest username="alice", realm="example.com", nonce="@N@", uri="sip:example.com", response="e0e26ee4dcb24e95ff67fbfd9140958d5513db46273c13feba71d18ec9b600cd", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="abc"
Digest username="alice", realm="example.com", nonce="@N@", uri="sip:example.com", response="799bc9707873bf49b01d05fbcbe9c81723d60d9293618371753e0d3ac4123180", algorithm=SHA-256, qop=auth-int, nc=00000001, cnonce="abc"
Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"
Digest username="J\"R", realm="example.com", nonce="@N@", uri="sip:example.com", response="00", userhash=true
Digest realm="example.com", nonce="@N@", opaque="x", algorithm=SHA-256, qop="auth,auth-int", stale=true
Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"
Digest realm="r", nonce="n", algorithm=SHA-512-256, domain="sip:a sip:b"
Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==
Digest username="a", username="b"
Digest username="alice" realm="x"
AUTH
printf 'REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:alice@example.com>\r\nFrom: <sip:alice@example.com>;tag=1\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\nAuthorization: Digest username="alice", realm="example.com", nonce="@N@", uri="sip:example.com", response="e0e26ee4dcb24e95ff67fbfd9140958d5513db46273c13feba71d18ec9b600cd", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="abc"\r\nProxy-Authorization: Digest username="bob", realm="other", nonce="1", uri="sip:x", response="2"\r\nContent-Length: 0\r\n\r\n' | add auth
printf 'SIP/2.0 407 Proxy Authentication Required\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a@b>;tag=2\r\nFrom: <sip:a@b>;tag=1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nProxy-Authenticate: Digest realm="example.com", nonce="@N@", algorithm=MD5, qop="auth-int"\r\nProxy-Authenticate: Digest realm="example.com", nonce="@N@", algorithm=SHA-256, qop="auth"\r\nContent-Length: 0\r\n\r\n' | add auth

# ---- registrar: steps separated by NUL; each step's first byte advances the clock (seconds,
# 0xff also purges), the rest is a message
regmsg() { # regmsg <cseq> <call-id> <to-user> <extra header lines>
  printf 'REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK%s\r\nMax-Forwards: 70\r\nTo: <sip:%s@example.com>\r\nFrom: <sip:%s@example.com>;tag=1\r\nCall-ID: %s\r\nCSeq: %s REGISTER\r\n%sContent-Length: 0\r\n\r\n' "$1" "$3" "$3" "$2" "$1" "$4"
}
{ printf '\001'; regmsg 1 c1 alice 'Contact: <sip:a@192.0.2.1>;expires=60, <sip:b@192.0.2.2>;q=0.5\r\n'
  printf '\000\036'; regmsg 2 c1 alice ''
  printf '\000\377'; regmsg 3 c1 alice 'Contact: *\r\nExpires: 0\r\n'; } | add registrar
{ printf '\001'; regmsg 5 c1 alice 'Contact: <sip:a@192.0.2.1>\r\nExpires: 30\r\n'
  printf '\000\001'; regmsg 5 c1 alice 'Contact: <sip:a@192.0.2.1>\r\n'
  printf '\000\001'; regmsg 4 c2 alice 'Contact: <sip:a@192.0.2.1>;expires=0\r\n'; } | add registrar
{ printf '\001'; regmsg 1 c1 a 'Contact: <sip:1@h>, <sip:2@h>, <sip:3@h>, <sip:4@h>\r\n'
  printf '\000\001'; regmsg 1 c1 b 'Contact: <sip:1@h>\r\n'
  printf '\000\001'; regmsg 1 c1 c 'Contact: <sip:1@h>\r\n'
  printf '\000\001'; regmsg 1 c1 d 'Contact: <sip:1@h>\r\n'
  printf '\000\001'; regmsg 1 c1 e 'Contact: <sip:1@h>\r\n'
  printf '\000\377'; regmsg 2 c1 a 'Contact: *, <sip:1@h>\r\nExpires: 0\r\n'; } | add registrar
{ printf '\000'; regmsg 1 c1 '%41lice' 'Contact: "A" <sip:a@[2001:db8::1]:5070;transport=tcp>;+sip.instance="<urn:uuid:1>";reg-id=1;expires=4294967296\r\n'
  printf '\000\000'; regmsg 2 c1 'Alice' 'Contact: <sip:a@[2001:db8::1]:5070;transport=TCP>;expires=0\r\n'; } | add registrar
{ printf '\001'; regmsg 1 c1 alice 'Contact: <sip:a@h>;expires=abc\r\n'
  printf '\000\001'; regmsg 1 c1 alice 'Expires: -1\r\nContact: <sip:a@h>\r\n'
  printf '\000\001'; printf 'REGISTER tel:+1555 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK9\r\nTo: <tel:+1555>\r\nFrom: <tel:+1555>;tag=1\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n'; } | add registrar

# ---- config (sipreplyd): every example, the embedded default, and a few broken files
for f in "$root"/examples/*.yaml; do add config <"$f"; done
printf 'rules:\n  - respond: [180, {code: 486, delay: soon}]\n' | add config
printf 'rules: [\n' | add config
printf 'rules:\n  - {match: {user-regex: "(["}, respond: 200}\n' | add config

# ---- engine (sipreplyd): records [op][len hi][len lo][bytes] (fuzz/fuzz_engine.c): each
# RFC 4475 vector as a UDP datagram and as a TCP message, and a few call flows with time steps
python3 - "$vec" "$root/fuzz/corpus/engine" <<'PY'
import hashlib, os, sys
vec, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
def rec(op, b): return bytes([op, len(b) >> 8, len(b) & 255]) + b
def req(m, uri, br, extra=b"", cseq=1, cm=None):
    return (f"{m} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch={br};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:a@h>;tag=1\r\nTo: <{uri}>\r\nCall-ID: c1\r\n"
            f"CSeq: {cseq} {cm or m}\r\n").encode() + extra + b"Content-Length: 0\r\n\r\n"
def store(b):
    open(os.path.join(out, hashlib.sha256(b).hexdigest()), "wb").write(b)
for f in sorted(os.listdir(vec)):
    if f.endswith(".dat"):
        d = open(os.path.join(vec, f), "rb").read()[:60000]
        store(rec(0, d) + rec(1, d))
T = lambda ms: rec(2, bytes([ms >> 8, ms & 255]))
store(rec(0, req("INVITE", "sip:486@h", "z9hG4bK1")) + T(600) + rec(0, req("ACK", "sip:486@h", "z9hG4bK1")))
store(rec(0, req("INVITE", "sip:180@h", "z9hG4bK2", b"Supported: 100rel\r\n")) + T(500)
      + rec(0, req("CANCEL", "sip:180@h", "z9hG4bK2")) + T(5000))
store(rec(3, b"") + rec(0, req("INVITE", "sip:sl@h", "z9hG4bK3")) + rec(0, req("ACK", "sip:sl@h", "z9hG4bK3"))
      + rec(0, req("INVITE", "sip:qx@h", "z9hG4bK4")) + T(3000) + rec(1, req("CANCEL", "sip:qx@h", "z9hG4bK4")))
store(rec(0, req("REGISTER", "sip:h", "z9hG4bK5", b"Contact: <sip:a@h>\r\nExpires: 60\r\n")) + rec(3, b"")
      + rec(0, req("REGISTER", "sip:h", "z9hG4bK6", b"Contact: <sip:a@h>\r\n")))
# SDP offer/answer (engine_sdp.c): an answer, no codec in common (488), a malformed offer
# (400), and no offer: ours in the 200, the answer in the ACK
def sdpreq(m, uri, br, sdp, extra=b"", cseq=1, tag=b""):
    return (f"{m} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch={br};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:a@h>;tag=1\r\nTo: <{uri}>").encode() + tag + (
            f"\r\nCall-ID: s{br}\r\nCSeq: {cseq} {'INVITE' if m == 'ACK' else m}\r\n").encode() + extra + (
            b"Content-Type: application/sdp\r\n" if sdp else b"") + (
            f"Content-Length: {len(sdp)}\r\n\r\n").encode() + sdp
O = b"v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
store(rec(0, sdpreq("INVITE", "sip:200@h", "z9hG4bKs1", O + b"m=audio 4000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n")))
store(rec(0, sdpreq("INVITE", "sip:180@h", "z9hG4bKs2", O + b"m=audio 4000 RTP/AVP 18\r\n")) + T(1500))
store(rec(0, sdpreq("INVITE", "sip:200@h", "z9hG4bKs3", O + b"m=audio 99999 RTP/AVP 0\r\n")))
store(rec(0, sdpreq("INVITE", "sip:200@h", "z9hG4bKs4", b"")) + T(10)
      + rec(0, sdpreq("ACK", "sip:200@h", "z9hG4bKs5", O + b"m=audio 4000 RTP/AVP 8\r\n")))
# dialogs (engine_dialog.c): a session timer below Min-SE (422) and one honoured, then time
# passing; in-dialog requests that match no dialog (481), a PRACK matching nothing
store(rec(0, sdpreq("INVITE", "sip:200@h", "z9hG4bKd1", O + b"m=audio 4000 RTP/AVP 0\r\n",
                    b"Supported: timer\r\nSession-Expires: 60\r\n")))
store(rec(0, sdpreq("INVITE", "sip:200@h", "z9hG4bKd2", O + b"m=audio 4000 RTP/AVP 0\r\n",
                    b"Supported: timer\r\nSession-Expires: 90;refresher=uac\r\n")) + T(10)
      + rec(0, sdpreq("ACK", "sip:200@h", "z9hG4bKd3", b"")) + T(65000) + T(65000))
store(rec(0, sdpreq("BYE", "sip:sipreplyd@h", "z9hG4bKd4", b"", cseq=2, tag=b";tag=x"))
      + rec(0, sdpreq("UPDATE", "sip:sipreplyd@h", "z9hG4bKd5", O + b"m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n", cseq=3, tag=b";tag=x"))
      + rec(1, sdpreq("INVITE", "sip:sipreplyd@h", "z9hG4bKd6", O + b"m=audio 4000 RTP/AVP 0\r\n", cseq=4, tag=b";tag=x"))
      + rec(0, sdpreq("PRACK", "sip:sipreplyd@h", "z9hG4bKd7", b"", b"RAck: 9 1 INVITE\r\n", cseq=5, tag=b";tag=x")))
store(rec(0, sdpreq("INVITE", "sip:180@h", "z9hG4bKs6", b"", b"Supported: 100rel\r\n")) + T(10)
      + rec(0, sdpreq("PRACK", "sip:183@h", "z9hG4bKs7", O + b"m=audio 4000 RTP/AVP 0\r\n", b"RAck: 1 1 INVITE\r\n", 2)))
PY

# ---- sdp_parse / sdp_answer: offers and answers of the shapes RFC 4317 shows, IPv6, hold,
# telephone-event, bandwidth and multicast lines, and broken ones; sdp_answer's first byte is
# what we are (fuzz/fuzz_sdp_answer.c)
python3 - "$root/fuzz/corpus" <<'PY'
import hashlib, os, sys
out = sys.argv[1]
def store(t, b):
    os.makedirs(os.path.join(out, t), exist_ok=True)
    open(os.path.join(out, t, hashlib.sha256(b).hexdigest()), "wb").write(b)
H = ("v=0\r\no=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\r\ns=\r\n"
     "c=IN IP4 host.atlanta.example.com\r\nt=0 0\r\n")
seeds = [
  H + "m=audio 49170 RTP/AVP 0 8 97\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
      "a=rtpmap:97 iLBC/8000\r\nm=video 51372 RTP/AVP 31 32\r\na=rtpmap:31 H261/90000\r\n"
      "a=rtpmap:32 MPV/90000\r\n",
  H + "m=audio 49170 RTP/AVP 0 97\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:97 iLBC/8000\r\n"
      "m=audio 49172 RTP/AVP 98\r\na=rtpmap:98 telephone-event/8000\r\na=sendonly\r\n",
  H + "m=audio 5000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n",
  H + "m=audio 5000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n",
  H + "m=audio 5000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-11,16\r\n"
      "a=ptime:20\r\na=maxptime:40\r\na=recvonly\r\n",
  H + "a=sendonly\r\nm=audio 5000 RTP/AVP 0\r\nm=audio 0 RTP/AVP 8\r\nm=audio 5004 RTP/SAVP 0\r\n",
  "v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 ::\r\nb=AS:64\r\nt=0 0\r\n"
      "m=audio 5000/2 RTP/AVP 96 0\r\nc=IN IP6 2001:db8::2\r\na=rtpmap:96 opus/48000/2\r\n"
      "a=fmtp:96 useinbandfec=1\r\na=inactive\r\n",
  "v=0\no=- 1 1 IN IP4 224.2.17.12\ns=x\ni=y\nu=http://e\ne=a@b\np=+1\nc=IN IP4 224.2.17.12/127/3\n"
      "t=2873397496 2873404696\nr=7d 1h 0 25h\nz=2882844526 -1h\nk=prompt\na=tool:t\n"
      "m=video 51372 RTP/AVP 99\ni=v\nk=clear:x\na=rtpmap:99 h263-1998/90000\n",
  H,
  H + "m=audio 23442 RTP/AVP 97 0 8\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:97 iLBC/8000\r\n",
  "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n",
  "v=1\r\n", H + "x=1\r\n", H + "m=audio 70000 RTP/AVP 0\r\n",
]
for sd in seeds:
    b = sd.encode()
    store("sdp_parse", b)
    for cfg in (0x03, 0x01, 0x97, 0x2e, 0x43):
        store("sdp_answer", bytes([cfg]) + b)
PY

# ---- dns_answer: NAPTR and SRV answers (RFC 3403, RFC 2782) as a server sends them
python3 - "$root/fuzz/corpus/dns_answer" <<'PY'
import hashlib, os, struct, sys
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".") if l) + b"\0"
def msg(qname, qtype, rdatas):
    h = struct.pack("!HHHHHH", 1, 0x8580, 1, len(rdatas), 0, 0)
    q = name(qname) + struct.pack("!HH", qtype, 1)
    a = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 60, len(r)) + r for r in rdatas)
    return h + q + a
def cs(s):
    return bytes([len(s)]) + s.encode()
def naptr(o, p, f, svc, rx, rep):
    return struct.pack("!HH", o, p) + cs(f) + cs(svc) + cs(rx) + name(rep)
def srv(pr, w, port, t):
    return struct.pack("!HHH", pr, w, port) + name(t)
def store(mode, draws, m):
    d = bytes([mode]) + draws + m
    open(os.path.join(out, hashlib.sha256(d).hexdigest()), "wb").write(d)
z = bytes(16)
store(2, z, msg("x.test", 35, [naptr(20, 10, "S", "SIP+D2U", "", "_sip._udp.x.test"),
                             naptr(10, 50, "S", "SIP+D2T", "", "_sip._tcp.x.test"),
                             naptr(10, 20, "S", "SIPS+D2T", "", "_sips._tcp.x.test"),
                             naptr(5, 1, "S", "SIP+D2S", "", "_sip._sctp.x.test"),
                             naptr(1, 1, "U", "E2U+sip", "!^.*$!sip:a@x.test!", "")]))
store(3, z, msg("x.test", 35, [naptr(1, 1, "s", "SIPS+D2T", "", "_sips._tcp.x.test")]))
store(0, bytes(range(16)), msg("_sip._udp.x.test", 33, [srv(10, 60, 5060, "a.x.test"),
                                                      srv(10, 40, 5060, "b.x.test"),
                                                      srv(5, 0, 5064, "c.x.test"),
                                                      srv(10, 0, 5070, "z.x.test")]))
store(0, b"\xff" * 16, msg("_sip._tcp.x.test", 33, [srv(0, 0, 0, ".")]))
PY

# ---- dialog: every RFC 4475 vector, and INVITEs with a route set, Session-Expires and a
# Contact to refresh the target (fuzz/fuzz_dialog.c)
for f in "$vec"/*.dat; do add dialog <"$f"; done
dinv() { printf 'INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: "A" <sip:a@h>;tag=f1\r\nTo: <sip:b@h>\r\nCall-ID: d1@h\r\nCSeq: 7 INVITE\r\nMax-Forwards: 70\r\n%bContent-Length: 0\r\n\r\n' "$1"; }
dinv 'Contact: <sip:a@192.0.2.9:5070;transport=tcp>\r\nRecord-Route: <sip:p1;lr>, <sip:p2;lr>\r\nRecord-Route: <sip:p3;lr>\r\nSession-Expires: 1800;refresher=uac\r\n' | add dialog
dinv 'Contact: *\r\nx: 90;refresher=uas\r\n' | add dialog
dinv 'Contact: "x" <sip:a@[2001:db8::1]>;expires=0\r\nSession-Expires: 4294967296\r\n' | add dialog
dinv 'Session-Expires: 90;refresher\r\nRecord-Route: <sip:p1;lr>,,<sip:p2>\r\n' | add dialog

# ---- rtp: RTP, RTCP and garbage datagrams (fuzz/seed_rtp.py)
# ---- build_ack: every RFC 4475 vector, and ACKs of a stateless 486 (To tag of 16 hex digits,
# which fuzz/fuzz_build_ack.c also replaces by the derived one) in the shapes the head may take
for f in "$vec"/*.dat; do add build_ack <"$f"; done
sack() { printf 'ACK sip:486@127.0.0.1:5060 SIP/2.0\r\n%bFrom: sipp <sip:sipp@127.0.0.1:5061>;tag=1SIPpTag001\r\nTo: <sip:486@127.0.0.1:5060>;tag=0123456789abcdef\r\nCall-ID: 1-2@127.0.0.1\r\nCSeq: 1 ACK\r\nContact: sip:sipp@127.0.0.1:5061\r\nMax-Forwards: 70\r\n%bContent-Length: 0\r\n\r\n' "$1" "$2"; }
sack 'Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1-1-3\r\n' 'Subject: Performance Test\r\n' | add build_ack
sack 'v: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1-1-3, SIP/2.0/TCP p.example.org;branch=z9hG4bKp\r\n' '' | add build_ack
sack 'Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK2\r\n' '' | add build_ack
sack 'Via: ,SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\n' '' | add build_ack
sack 'Via: SIP/2.0/UDP 127.0.0.1:99999;branch=z9hG4bK1\r\n' 'CSeq: x ACK\r\n' | add build_ack
sack 'Via: SIP/2.0/UDP [2001:db8::1]:5061 ; branch = z9hG4bK1 ; rport\r\n' 'No colon\r\n' | add build_ack
sack 'Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n' 'Content-Length: 3\r\n' | add build_ack
printf '\r\nACK sip:a@h SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:a@h>;tag=1\r\nt: <sip:b@h>;tag=0123456789abcdef\r\ni: c\r\nCSeq: 1 ACK\r\nl: 0\r\n\r\n' | add build_ack

# ---- stack_ack: calls of fuzz/fuzz_stack_ack.c's records ([op][len hi][len lo][bytes]): an
# INVITE (magic cookie, RFC 2543 branch, no branch; UDP, TCP), the TU's final (486, 603, 200),
# the ACK made from the INVITE (op 4; 0x80: read from its head first), time, malformed ACKs
srec() { # op; the record's bytes from stdin
  local f n
  f=$(mktemp); cat >"$f"; n=$(wc -c <"$f")
  printf "\\$(printf '%03o' "$1")\\$(printf '%03o' $((n >> 8)))\\$(printf '%03o' $((n & 255)))"
  cat "$f"; rm -f "$f"
}
sinv() { printf 'INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/%s 192.0.2.1:5060%s\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1@192.0.2.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n' "$1" "$2"; }
scall() { # transport op (0 UDP, 1 TCP); Via parameters; code bytes; ACK ops
  sinv "$([ "$1" = 0 ] && echo UDP || echo TCP)" "$2" | srec "$1"
  printf "$3" | srec 3
  printf '\000\062' | srec 2
  for o in $4; do : | srec "$o"; done
  printf '\001\364' | srec 2
}
{ scall 0 ';branch=z9hG4bKs1' '\001\202' '4 132'; } | add stack_ack
{ scall 0 ';branch=z9hG4bKs1' '\001\202' '132 132'; printf '\014\000' | srec 2; } | add stack_ack
{ scall 1 ';branch=z9hG4bKt1' '\001\367' '140 12'; } | add stack_ack
{ scall 0 ';branch=old1' '\001\202' '132 4'; } | add stack_ack
{ scall 0 '' '\001\174' '132'; } | add stack_ack
{ scall 0 ';branch=z9hG4bKs2' '\000\144' '132 4'; printf '\014\000' | srec 2; } | add stack_ack
{ scall 0 ';branch=z9hG4bKs3;rport' '\001\202' ''
  printf '\000\141' | srec 132; printf '\100\040\120\054' | srec 132
  printf '\200\101' | srec 132; printf '\370\061' | srec 132; : | srec 132; } | add stack_ack
sbad() { printf 'ACK sip:bob@example.com SIP/2.0\r\n%bFrom: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.com>;tag=t1\r\nCall-ID: c1@192.0.2.1\r\n%b\r\n' "$1" "$2"; }
{ scall 0 ';branch=z9hG4bKb1' '\001\202' ''
  sbad 'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKb1\r\n' 'CSeq: 1 ACK\r\nContent-Length: 10\r\n' | srec 128
  sbad 'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKb1\r\n' 'CSeq: x ACK\r\n' | srec 128
  sbad 'Via: SIP/2.0/UDP ;branch=z9hG4bKb1\r\n' 'CSeq: 1 ACK\r\n' | srec 128
  sbad '' 'CSeq: 1 ACK\r\n' | srec 128
  sbad 'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKb1\r\n' 'CSeq: 1 ACK\r\nl: 0\r\nl: 1\r\n' | srec 128
  sbad 'v: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKb1, x\r\n' 'CSeq: 1 ACK\r\n' | srec 128
  sbad 'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKb1\r\n' 'CSeq: 1 ACK\r\n' | srec 128; } | add stack_ack

python3 "$root/fuzz/seed_rtp.py"

for t in uri stream_framer auth registrar config engine dns_answer sdp_parse sdp_answer dialog build_ack stack_ack rtp; do
  echo "seed: fuzz/corpus/$t: $(ls "$root/fuzz/corpus/$t" | wc -l) files"
done
