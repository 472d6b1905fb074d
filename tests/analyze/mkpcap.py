#!/usr/bin/env python3
"""sipreply analyze tests: hand-made captures with answers known by construction.

usage: mkpcap.py OUTDIR   writes the captures listed in CAPTURES into OUTDIR.

One call flow (scenario()) is encapsulated many ways: Ethernet, 802.1Q and QinQ VLAN tags,
Linux cooked v1 and v2, BSD null loopback, raw IPv4 and IPv6, SIP on a port other than 5060,
IPv4 and IPv6 fragments, TCP with segments out of order, retransmitted and overlapping,
pcapng instead of pcap, and one with garbage packets mixed in. The figures the scenario
must give (RFC 6076 metrics, codes, calls) are in tests/analyze/expected.json.
"""
import os
import struct
import sys

CALLER, CALLEE = ("192.0.2.1", 5060), ("192.0.2.5", 5060)
CALLER6, CALLEE6 = ("2001:db8::1", 5060), ("2001:db8::5", 5060)
T0 = 1700000000.0


def sdp(n=0):
    body = ("v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.1\r\ns=-\r\n"
            "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 97\r\n"
            "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:97 iLBC/8000\r\n")
    return body + "".join("a=x-pad%d:%s\r\n" % (i, "p" * 60) for i in range(n))


def req(method, ruri, callid, cseq, branch, ftag, ttag=None, body="", extra="", cseq_method=None):
    to = "<sip:bob@example.com>" + (";tag=" + ttag if ttag else "")
    h = ("%s %s SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK%s\r\n"
         "Max-Forwards: 70\r\n"
         "From: \"Alice\" <sip:alice@example.com>;tag=%s\r\n"
         "To: %s\r\n"
         "Call-ID: %s\r\n"
         "CSeq: %d %s\r\n"
         "Contact: <sip:alice@192.0.2.1:5060>\r\n%s"
         % (method, ruri, branch, ftag, to, callid, cseq, cseq_method or method, extra))
    if body:
        h += "Content-Type: application/sdp\r\n"
    return (h + "Content-Length: %d\r\n\r\n" % len(body) + body).encode()


def resp(code, phrase, r, ttag=None, extra="", body=""):
    """A response to request bytes @r: its Via, From, To (+tag), Call-ID, CSeq."""
    lines = r.split(b"\r\n")
    keep = [l for l in lines if l.split(b":")[0] in (b"Via", b"From", b"To", b"Call-ID", b"CSeq")]
    out = []
    for l in keep:
        if l.startswith(b"To") and ttag and b"tag=" not in l:
            l += b";tag=" + ttag.encode()
        out.append(l)
    h = b"SIP/2.0 %d %s\r\n" % (code, phrase.encode()) + b"\r\n".join(out) + b"\r\n"
    if code >= 200 and code < 300 or code in (180, 183):
        h += b"Contact: <sip:bob@192.0.2.5:5060>\r\n"
    h += extra.encode()
    if body:
        h += b"Content-Type: application/sdp\r\n"
    return h + b"Content-Length: %d\r\n\r\n" % len(body) + body.encode()


def scenario(sdp_pad=0, suffix=""):
    """(time, direction, bytes): direction 0 caller->callee, 1 callee->caller. @suffix is
    appended to every Call-ID (a second copy of the flow with calls of its own)."""
    m = []
    A, B = 0, 1

    def at(t, d, b):
        m.append((t, d, b.replace(b"@x", suffix.encode() + b"@x")))

    # call A: answered, caller hangs up after 60 s
    inv = req("INVITE", "sip:bob@example.com", "callA@x", 1, "a1", "fa", body=sdp(sdp_pad))
    at(0.000, A, inv)
    at(0.050, B, resp(100, "Trying", inv))
    at(1.000, B, resp(180, "Ringing", inv, "ta"))
    at(3.000, B, resp(200, "OK", inv, "ta", body=sdp()))
    at(3.010, A, req("ACK", "sip:bob@192.0.2.5", "callA@x", 1, "a2", "fa", "ta"))
    bye = req("BYE", "sip:bob@192.0.2.5", "callA@x", 2, "a3", "fa", "ta")
    at(63.000, A, bye)
    at(63.040, B, resp(200, "OK", bye))
    # a REGISTER challenged, then accepted
    r1 = req("REGISTER", "sip:example.com", "reg1@x", 1, "r1", "fr", extra="Expires: 3600\r\n")
    at(5.000, A, r1)
    at(5.010, B, resp(401, "Unauthorized", r1, "tr",
                      'WWW-Authenticate: Digest realm="example.com", nonce="abc"\r\n'))
    r2 = req("REGISTER", "sip:example.com", "reg1@x", 2, "r2", "fr", extra=(
        'Expires: 3600\r\nAuthorization: Digest username="alice", realm="example.com", '
        'nonce="abc", uri="sip:example.com", response="0123456789abcdef0123456789abcdef"\r\n'))
    at(5.100, A, r2)
    at(5.150, B, resp(200, "OK", r2, "tr", "Expires: 3600\r\n"))
    # call B: busy
    inv = req("INVITE", "sip:carol@example.com", "callB@x", 1, "b1", "fb", body=sdp())
    at(10.000, A, inv)
    at(10.050, B, resp(100, "Trying", inv))
    at(11.000, B, resp(180, "Ringing", inv, "tb"))
    at(12.000, B, resp(486, "Busy Here", inv, "tb"))
    at(12.010, A, req("ACK", "sip:carol@example.com", "callB@x", 1, "b1", "fb", "tb"))
    # call C: service unavailable
    inv = req("INVITE", "sip:dave@example.com", "callC@x", 1, "c1", "fc", body=sdp())
    at(20.000, A, inv)
    at(20.500, B, resp(503, "Service Unavailable", inv, "tc", "Retry-After: 30\r\n"))
    at(20.510, A, req("ACK", "sip:dave@example.com", "callC@x", 1, "c1", "fc", "tc"))
    # call D: the caller cancels while it rings
    inv = req("INVITE", "sip:erin@example.com", "callD@x", 1, "d1", "fd", body=sdp())
    at(30.000, A, inv)
    at(30.050, B, resp(100, "Trying", inv))
    at(31.000, B, resp(183, "Session Progress", inv, "td", body=sdp()))
    can = req("CANCEL", "sip:erin@example.com", "callD@x", 1, "d1", "fd")
    at(35.000, A, can)
    at(35.020, B, resp(200, "OK", can, "td"))
    at(35.030, B, resp(487, "Request Terminated", inv, "td"))
    at(35.040, A, req("ACK", "sip:erin@example.com", "callD@x", 1, "d1", "fd", "td"))
    # call E: redirected
    inv = req("INVITE", "sip:frank@example.com", "callE@x", 1, "e1", "fe", body=sdp())
    at(40.000, A, inv)
    at(40.100, B, resp(302, "Moved Temporarily", inv, "te",
                       "Contact: <sip:frank@192.0.2.9>\r\n"))
    at(40.110, A, req("ACK", "sip:frank@example.com", "callE@x", 1, "e1", "fe", "te"))
    # call F: INVITE retransmitted once, answered, the callee hangs up after 10 s
    inv = req("INVITE", "sip:gina@example.com", "callF@x", 1, "f1", "ff", body=sdp())
    at(50.000, A, inv)
    at(50.500, A, inv)
    at(50.600, B, resp(100, "Trying", inv))
    at(51.000, B, resp(180, "Ringing", inv, "tf"))
    ok = resp(200, "OK", inv, "tf", body=sdp())
    at(52.000, B, ok)
    at(52.100, A, req("ACK", "sip:bob@192.0.2.5", "callF@x", 1, "f2", "ff", "tf"))
    # the callee's BYE: a request in the other direction
    bye = (b"BYE sip:alice@192.0.2.1:5060 SIP/2.0\r\n"
           b"Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKf3\r\nMax-Forwards: 70\r\n"
           b"From: <sip:gina@example.com>;tag=tf\r\nTo: \"Alice\" <sip:alice@example.com>;tag=ff\r\n"
           b"Call-ID: callF@x\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n")
    at(62.000, B, bye)
    at(62.020, A, resp(200, "OK", bye))
    # OPTIONS, and a 405 without Allow (a conformance finding)
    o = req("OPTIONS", "sip:example.com", "opt1@x", 1, "o1", "fo")
    at(70.000, A, o)
    at(70.010, B, resp(200, "OK", o, "to", "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"))
    msg = req("MESSAGE", "sip:bob@example.com", "msg1@x", 1, "m1", "fm")
    at(71.000, A, msg)
    at(71.010, B, resp(405, "Method Not Allowed", msg, "tm"))
    m.sort(key=lambda x: x[0])
    return m


# ------------------------------------------------------------------ packet layers

def ip_bytes(a):
    import ipaddress
    return ipaddress.ip_address(a).packed


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def tcp(sport, dport, seq, data, flags=0x18):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 1, 5 << 4, flags, 65535, 0, 0) + data


def ip4(src, dst, proto, l4, ident=0, frag=0x4000):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident, frag, 64, proto, 0,
                       ip_bytes(src), ip_bytes(dst)) + l4


def ip6(src, dst, nh, rest):
    return struct.pack("!IHBB16s16s", 0x60000000, len(rest), nh, 64, ip_bytes(src),
                       ip_bytes(dst)) + rest


def eth(l3, et, tags=()):
    h = b"\x02\0\0\0\0\x05\x02\0\0\0\0\x01"
    for tpid, vid in tags:
        h += struct.pack("!HH", tpid, vid)
    return h + struct.pack("!H", et) + l3


def frag4(src, dst, l4, ident, mtu=576):
    out, per = [], (mtu - 20) // 8 * 8
    for off in range(0, len(l4), per):
        part = l4[off:off + per]
        more = 0x2000 if off + per < len(l4) else 0
        out.append(ip4(src, dst, 17, part, ident, more | off // 8))
    return out


def frag6(src, dst, l4, ident, mtu=1280):
    out, per = [], (mtu - 48) // 8 * 8
    for off in range(0, len(l4), per):
        part = l4[off:off + per]
        more = 1 if off + per < len(l4) else 0
        fh = struct.pack("!BBHI", 17, 0, off << 0 & 0xfff8 | more, ident)
        out.append(ip6(src, dst, 44, fh + part))
    return out


# ------------------------------------------------------------------ file writers

def write_pcap(path, linktype, pkts):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 262144, linktype))
        for t, b in pkts:
            ns = int(round(t * 1e9))
            f.write(struct.pack("<IIII", ns // 10**9, ns % 10**9, len(b), len(b)) + b)


def write_pcapng(path, linktype, pkts):
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
    with open(path, "wb") as f:
        f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        # if_tsresol = 9 (nanoseconds)
        opt = struct.pack("<HHB", 9, 1, 9) + b"\0\0\0" + struct.pack("<HH", 0, 0)
        f.write(block(1, struct.pack("<HHI", linktype, 0, 262144) + opt))
        for t, b in pkts:
            ns = int(round(t * 1e9))
            f.write(block(6, struct.pack("<IIIII", 0, ns >> 32, ns & 0xffffffff, len(b), len(b)) + b))


# ------------------------------------------------------------------ captures

def udp_datagrams(v6=False, port=None, sdp_pad=0, suffix="", shift=0.0):
    """(time, src, dst, udp bytes) of the scenario."""
    a, b = (CALLER6, CALLEE6) if v6 else (CALLER, CALLEE)
    out = []
    for t, d, data in scenario(sdp_pad, suffix):
        t += shift
        s, r = (a, b) if d == 0 else (b, a)
        sp, dp = (port or s[1]), (port or r[1])
        out.append((T0 + t, s[0], r[0], udp(sp, dp, data)))
    return out


def l3_udp(v6=False, port=None, suffix="", shift=0.0):
    return [(t, (ip6(s, d, 17, u) if v6 else ip4(s, d, 17, u)))
            for t, s, d, u in udp_datagrams(v6, port, suffix=suffix, shift=shift)]


def tcp_stream(mode):
    """The scenario over one TCP connection (one per direction), cut into segments; mode
    'ooo': each message in 3 pieces sent 2, 1, 3 with piece 1 again and an overlap."""
    a, b = CALLER, CALLEE
    seq = {0: 1000, 1: 5000}
    pk = []
    t0 = T0
    # handshake
    pk.append((t0 - 1, ip4(a[0], b[0], 6, tcp(40000, 5060, 999, b"", 0x02))))
    pk.append((t0 - 1, ip4(b[0], a[0], 6, tcp(5060, 40000, 4999, b"", 0x12))))
    for t, d, data in scenario():
        s, r = (a, b) if d == 0 else (b, a)
        sp, dp = (40000, 5060) if d == 0 else (5060, 40000)
        base = seq[d]
        seq[d] += len(data)
        seg = lambda o, n: (T0 + t, ip4(s[0], r[0], 6, tcp(sp, dp, base + o, data[o:o + n])))
        if mode == "ooo" and len(data) > 90:
            k = len(data) // 3
            pk += [seg(k, k), seg(0, k), seg(0, k), seg(k // 2, 2 * k - k // 2), seg(2 * k, len(data))]
        else:
            pk.append(seg(0, len(data)))
    return pk


def garbage(pkts):
    """Interleave bad packets: truncated, non-SIP UDP, ARP, a bad IP version, random."""
    # SIP messages that do not parse still count (tshark counts them by start line): a
    # header line without a colon, and a response cut short by a small snap length
    broken = b"SIP/2.0 404 Not Found\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKq\r\nCall-ID q@x\r\n\r\n"
    cut = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 300\r\n\r\nshort"
    bad = [eth(ip4("192.0.2.7", "192.0.2.8", 17, udp(5060, 5060, broken)), 0x0800),
           eth(ip4("192.0.2.7", "192.0.2.8", 17, udp(5060, 5060, cut)), 0x0800),
           eth(b"\0" * 28, 0x0806), eth(b"\x55" + b"\0" * 30, 0x0800), b"\x01\x02\x03",
           eth(ip4("192.0.2.7", "192.0.2.8", 17, udp(9999, 9999, b"hello, not sip")), 0x0800),
           eth(ip4("192.0.2.7", "192.0.2.8", 17, udp(5060, 5060, b"\r\n\r\n")), 0x0800),
           eth(ip4("192.0.2.7", "192.0.2.8", 17, udp(5060, 5060, b"x" * 40))[:30], 0x0800),
           eth(ip4("192.0.2.7", "192.0.2.8", 1, b"\x08\0\0\0\0\0\0\0"), 0x0800),
           bytes(range(256)) * 2]
    out = []
    for i, (t, p) in enumerate(pkts):
        out.append((t, p))
        out.append((t, bad[i % len(bad)]))
    return out


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    v4, v6 = l3_udp(), l3_udp(v6=True)
    E = lambda pkts, tags=(): [(t, eth(p, 0x0800 if p[0] >> 4 == 4 else 0x86dd, tags)) for t, p in pkts]
    write_pcap(os.path.join(out, "eth_udp.pcap"), 1, E(v4))
    write_pcap(os.path.join(out, "vlan.pcap"), 1, E(v4, [(0x8100, 100)]))
    write_pcap(os.path.join(out, "qinq.pcap"), 1, E(v4, [(0x88a8, 10), (0x8100, 100)]))
    sll = struct.pack("!HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x01\0\0", 0x0800)
    write_pcap(os.path.join(out, "sll.pcap"), 113, [(t, sll + p) for t, p in v4])
    sll2 = struct.pack("!HHIHBB8s", 0x86dd, 0, 1, 1, 0, 6, b"\x02\0\0\0\0\x01\0\0")
    write_pcap(os.path.join(out, "sll2_ipv6.pcap"), 276, [(t, sll2 + p) for t, p in v6])
    write_pcap(os.path.join(out, "null.pcap"), 0, [(t, struct.pack("<I", 2) + p) for t, p in v4])
    write_pcap(os.path.join(out, "raw_ipv6.pcap"), 101, v6)
    write_pcap(os.path.join(out, "port5080.pcap"), 101, l3_udp(port=5080))
    fr = []
    for t, s, d, u in udp_datagrams(sdp_pad=20):
        if len(u) > 556:
            fr += [(t, p) for p in frag4(s, d, u, len(fr) + 1)]
        else:
            fr.append((t, ip4(s, d, 17, u)))
    write_pcap(os.path.join(out, "frag_ipv4.pcap"), 1, E(fr))
    fr6 = []
    for t, s, d, u in udp_datagrams(v6=True, sdp_pad=25):
        if len(u) > 1232:
            ps = frag6(s, d, u, len(fr6) + 1)
            fr6 += [(t, p) for p in reversed(ps)]  # last fragment first
        else:
            fr6.append((t, ip6(s, d, 17, u)))
    write_pcap(os.path.join(out, "frag_ipv6.pcap"), 101, fr6)
    write_pcap(os.path.join(out, "tcp.pcap"), 1, E(tcp_stream("plain")))
    write_pcap(os.path.join(out, "tcp_ooo.pcap"), 1, E(tcp_stream("ooo")))
    write_pcapng(os.path.join(out, "eth_udp.pcapng"), 1, E(v4))
    write_pcap(os.path.join(out, "garbage.pcap"), 1, garbage(E(v4)))
    # the flow twice, 1000 s apart, with other Call-IDs the second time: the report's
    # timeline must widen its buckets (more than 240 s) and keep every response
    write_pcap(os.path.join(out, "long.pcap"), 101, v4 + l3_udp(suffix="-2", shift=1000.0))


if __name__ == "__main__":
    main()
