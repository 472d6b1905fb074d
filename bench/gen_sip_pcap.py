#!/usr/bin/env python3
"""sipreply bench: a large capture of SIP traffic for `sipreply analyze` vs tshark.

usage: gen_sip_pcap.py SIZE_MB OUT.pcap
Repeats the known-answer call flow of tests/analyze/mkpcap.py (six calls, a REGISTER with a
challenge, OPTIONS, MESSAGE; 41 UDP messages over Ethernet) with a new Call-ID each time,
one copy starting every 0.25 s (so about 280 calls are open at once), until SIZE_MB.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "analyze"))
import mkpcap as M  # noqa: E402


def main():
    size = int(sys.argv[1]) * 1000000
    out = sys.argv[2]
    tmpl = [(t - M.T0, M.eth(p, 0x0800)) for t, p in M.l3_udp(suffix="-00000000")]
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
            for t, p in tmpl:
                heapq.heappush(window, (base + t, k, p.replace(b"-00000000@x", tag)))
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
