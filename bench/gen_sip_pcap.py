#!/usr/bin/env python3
"""sipreply bench: a large capture of SIP traffic for `sipreply analyze` vs tshark.

usage: gen_sip_pcap.py SIZE_MB OUT.pcap
Repeats the known-answer call flow of tests/analyze/mkpcap.py (six calls, a REGISTER with a
challenge, OPTIONS, MESSAGE; 41 UDP messages over Ethernet) with a new Call-ID each time,
one copy starting every 0.25 s (so about 280 calls are open at once), until SIZE_MB.
Each copy also gets tags, Via branches and users of its own (the template's with 8 hex
digits of a seeded random number appended), as user agents draw tags and branches at random
per call and per transaction (RFC 3261 §19.3, §8.1.1.7) and as a trunk carries calls
between many users: a copy repeats no From, To, Via or Contact line and no URI with a user
part of another copy, so a memo of checks keyed by bytes hits here only within a call or
transaction, and on what every copy shares (the domain's URI, sip:example.com, of REGISTER
and OPTIONS). SAME_TAGS=1 writes the capture of the earlier rounds (only the Call-ID
differs between copies).
"""
import os
import random
import re
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "analyze"))
import mkpcap as M  # noqa: E402


def relength(p):
    """Ethernet + IPv4 (20 bytes) + UDP packet @p whose payload changed length: the IPv4 total
    length and the UDP length set again (checksums are 0 in the template)."""
    n = len(p) - 14
    return p[:16] + struct.pack("!H", n) + p[18:38] + struct.pack("!H", n - 20) + p[40:]


USER = rb"(?<=sip:)[A-Za-z0-9]+(?=@)|(?<=;tag=)[A-Za-z0-9]+|(?<=;branch=z9hG4bK)[A-Za-z0-9]+"


def own(p, tok):
    """Packet @p with the tags, branches and user names of its SIP head followed by @tok (the
    body, whose length Content-Length gives, is left as it is)."""
    head, sep, body = p[42:].partition(b"\r\n\r\n")
    head = re.sub(USER, lambda g: g.group(0) + tok, head)
    return p[:42] + head + sep + body


def main():
    size = int(sys.argv[1]) * 1000000
    out = sys.argv[2]
    tmpl = [(t - M.T0, M.eth(p, 0x0800)) for t, p in M.l3_udp(suffix="-00000000")]
    same_tags = os.environ.get("SAME_TAGS") == "1"
    rng = random.Random(1)
    ph = struct.Struct("<IIII")
    written = 24
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 262144, 1))
        k = 0
        window = []  # packets of the copies in flight, merged in time order
        import heapq
        while written < size:
            base = k * 0.25
            tag = b"-%08d@x" % k
            tok = b"%08x" % rng.getrandbits(32)
            for t, p in tmpl:
                p = p.replace(b"-00000000@x", tag)
                if not same_tags:
                    p = relength(own(p, tok))
                heapq.heappush(window, (base + t, k, p))
            k += 1
            # everything earlier than the next copy's start can go out
            while window and window[0][0] < k * 0.25 and written < size:
                t, _, p = heapq.heappop(window)
                ns = int(round((M.T0 + t) * 1e9))
                f.write(ph.pack(ns // 10**9, ns % 10**9, len(p), len(p)))
                f.write(p)
                written += 16 + len(p)
        print("gen_sip_pcap: %s: %d bytes, %d copies of the flow" % (out, written, k))


if __name__ == "__main__":
    main()
