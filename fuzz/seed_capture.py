#!/usr/bin/env python3
"""sipreply fuzzing: seeds for the capture targets (fuzz/corpus/capture_{packet,frag,tcp}/).

Writes hand-built packets of every link type and fragment / segment scripts in the input
formats the targets document, each file named by the SHA-256 of its content (idempotent).
usage: fuzz/seed_capture.py   (from anywhere)
"""
import hashlib
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

INVITE = (b"INVITE sip:bob@example.com SIP/2.0\r\n"
          b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n"
          b"Call-ID: a84b4c76e66710@192.0.2.1\r\nCSeq: 1 INVITE\r\n"
          b"Content-Length: 4\r\n\r\nv=0\n")
OK = (b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n"
      b"Call-ID: a84b4c76e66710@192.0.2.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
A4, B4 = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 5])
A6, B6 = bytes.fromhex("20010db8" + "0" * 23 + "1"), bytes.fromhex("20010db8" + "0" * 23 + "5")


def add(target, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha256(data).hexdigest()), "wb") as f:
        f.write(data)


def udp(payload, sport=5060, dport=5062):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(payload, seq, flags=0x18, sport=5060, dport=5062):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 1, 5 << 4, flags, 65535, 0, 0) + payload


def ip4(l4, proto=17, ident=1, frag=0):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident, frag, 64, proto, 0,
                       A4, B4) + l4


def ip6(rest, nh=17):
    return struct.pack("!IHBB16s16s", 0x60000000, len(rest), nh, 64, A6, B6) + rest


def packets(link_index, pkts, small=False):
    out = bytes([link_index | (0x10 if small else 0)])
    for p in pkts:
        out += struct.pack("!H", len(p)) + p
    return out


def main():
    # ---- capture_packet: link index as the target's table orders them
    eth = lambda et, l3: b"\x02\0\0\0\0\1\x02\0\0\0\0\2" + struct.pack("!H", et) + l3
    u4, u6 = ip4(udp(INVITE)), ip6(udp(OK))
    t4 = ip4(tcp(INVITE + OK, 1000), proto=6)
    add("capture_packet", packets(0, [eth(0x0800, u4), eth(0x86dd, u6), eth(0x0800, t4)]))
    add("capture_packet", packets(0, [b"\x02" * 12 + b"\x81\x00\x00\x64\x88\xa8\x00\x65\x08\x00" + u4]))
    add("capture_packet", packets(0, [eth(0x0806, b"\0" * 28), eth(0x0800, u4[:30])]))
    sll = struct.pack("!HHH8sH", 0, 772, 6, b"\0" * 8, 0x0800)
    add("capture_packet", packets(1, [sll + u4, sll + t4]))
    sll2 = struct.pack("!HHIHBB8s", 0x86dd, 0, 1, 772, 0, 6, b"\0" * 8)
    add("capture_packet", packets(2, [sll2 + u6]))
    add("capture_packet", packets(3, [struct.pack("<I", 2) + u4, struct.pack("<I", 30) + u6]))
    add("capture_packet", packets(4, [struct.pack("!I", 2) + u4, struct.pack("!I", 24) + u6]))
    add("capture_packet", packets(5, [u4, u6, t4], small=True))
    add("capture_packet", packets(6, [u4, ip4(udp(b"\r\n\r\n")), ip4(udp(b"GET / HTTP/1.1\r\n\r\n"))]))
    hbh = bytes([60, 0, 1, 4, 0, 0, 0, 0]) + bytes([17, 0, 1, 4, 0, 0, 0, 0])
    add("capture_packet", packets(7, [ip6(hbh + udp(INVITE), nh=0), u6]))
    frag_udp = udp(INVITE * 4)
    f1 = ip4(frag_udp[:160], ident=9, frag=0x2000)
    f2 = ip4(frag_udp[160:], ident=9, frag=160 // 8)
    add("capture_packet", packets(5, [f2, f1]))
    fh = lambda off, more, data: ip6(bytes([17, 0]) + struct.pack("!HI", (off // 8) << 3 | more, 7) + data, nh=44)
    add("capture_packet", packets(5, [fh(0, 1, frag_udp[:160]), fh(160, 0, frag_udp[160:])]))
    msgs = INVITE + OK + b"\r\n\r\n" + OK
    add("capture_packet", packets(5, [ip4(tcp(b"", 999, 0x02), proto=6),
                                      ip4(tcp(msgs[40:], 1040), proto=6),
                                      ip4(tcp(msgs[:60], 1000), proto=6),
                                      ip4(tcp(msgs[:60], 1000), proto=6),
                                      ip4(tcp(b"", 1000 + len(msgs), 0x04), proto=6)]))

    # ---- capture_frag: flags, offset (8-byte units), length, data
    def frec(flags, off, data):
        return bytes([flags]) + struct.pack("!H", off // 8) + bytes([len(data)]) + data
    d = udp(INVITE + b"x" * 100)
    parts = [(0, d[:96]), (96, d[96:192]), (192, d[192:])]
    for v6 in (0, 2):
        add("capture_frag", b"\0" + frec(1 | v6, *parts[0]) + frec(1 | v6, *parts[1]) + frec(v6, *parts[2]))
        add("capture_frag", b"\1" + frec(v6, *parts[2]) + frec(1 | v6 | 4, *parts[0]) +
            frec(1 | v6, *parts[0]) + frec(1 | v6 | 0x30, *parts[1]) + frec(1 | v6, *parts[1]))
    add("capture_frag", b"\1" + frec(1, 0, d[:90]) + frec(0, 8184 * 8, b"y" * 40))

    # ---- capture_tcp: flags, sequence offset, length, data
    def trec(flags, off, data):
        return bytes([flags]) + struct.pack("!H", off) + bytes([len(data)]) + data
    s = INVITE + OK
    add("capture_tcp", b"\x00" + trec(2, 0, b"") + trec(0, 1, s[:120]) + trec(0, 121, s[120:]))
    add("capture_tcp", b"\x02" + trec(2, 0, b"") + trec(0, 101, s[100:]) + trec(0, 1, s[:100]) +
        trec(0, 50, s[49:150]) + trec(1, 1 + len(s), b""))
    add("capture_tcp", b"\x05" + trec(0, 0, b"junk\r\n" + OK[:50]) + trec(0x28, 56, OK[50:]) +
        trec(4, 0, b"") + trec(0x10, 0, OK))
    add("capture_tcp", b"\x01" + trec(2, 0, b"") + trec(0, 3000, OK) + trec(0, 6000, OK) +
        trec(0xe0, 1, b"SIP/2.0 180 Ringing\r\nCall-ID: x\r\n\r\n" + OK[:100]))


if __name__ == "__main__":
    main()
