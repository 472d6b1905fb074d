#!/usr/bin/env python3
"""sipreply fuzzing: seeds for fuzz_rtp (fuzz/corpus/rtp/): a mode byte, then datagrams each
preceded by a 2-byte length — RTP (PCMU, PCMA, a sequence wrap, RFC 4733 events, CSRC,
extension and padding), compound RTCP (SR+SDES, RR, RR+BYE) and garbage. Files are named by
the SHA-256 of their content (idempotent). usage: fuzz/seed_rtp.py   (from anywhere)
"""
import hashlib
import os
import struct

DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "rtp")


def rtp(pt, seq, ts, ssrc, pl, m=0, pad=0, x=b"", cc=b""):
    b0 = 0x80 | (0x20 if pad else 0) | (0x10 if x else 0) | (len(cc) // 4)
    h = struct.pack("!BBHII", b0, (m << 7) | pt, seq & 0xFFFF, ts, ssrc) + cc + x + pl
    if pad:
        h += b"\0" * (pad - 1) + bytes([pad])
    return h


def frame(ps):
    return b"".join(struct.pack("!H", len(p)) + p for p in ps)


def rr(ssrc, blocks=()):
    body = struct.pack("!I", ssrc) + b"".join(blocks)
    return struct.pack("!BBH", 0x80 | len(blocks), 201, len(body) // 4) + body


def sr(ssrc):
    body = struct.pack("!IIIIII", ssrc, 1, 2, 3, 4, 5) + struct.pack("!IBBHIIII", 7, 1, 0, 1, 100, 3, 4, 5)
    return struct.pack("!BBH", 0x81, 200, len(body) // 4) + body


SDES = struct.pack("!BBHI", 0x81, 202, 2, 9) + bytes([1, 2]) + b"ab"
SEEDS = [
    bytes([1]) + frame([rtp(0, i, i * 160, 77, b"\xff" * 160) for i in range(5)]),
    bytes([0]) + frame([rtp(8, 65534 + i, i * 160, 5, b"\xd5" * 160) for i in range(4)]),
    bytes([1]) + frame([rtp(101, 1, 800, 9, bytes([5, 10, 0, 160])),
                        rtp(101, 2, 800, 9, bytes([5, 0x8A, 1, 64]))]),
    bytes([3]) + frame([rtp(0, 1, 1, 1, b"ab", m=1, pad=3, x=b"\xbe\xde\x00\x01abcd",
                            cc=b"\0\0\0\1")]),
    bytes([1]) + frame([sr(4) + SDES, rr(4),
                        rr(4, [struct.pack("!IBBHIIII", 1, 2, 0, 3, 4, 5, 6, 7)])
                        + struct.pack("!BBHI", 0x81, 203, 1, 4)]),
    bytes([0]) + b"garbage that is not rtp",
]

os.makedirs(DIR, exist_ok=True)
for s in SEEDS:
    with open(os.path.join(DIR, hashlib.sha256(s).hexdigest()), "wb") as f:
        f.write(s)
