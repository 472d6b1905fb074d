#!/usr/bin/env python3
"""sipreply bench: what `tshark -q -z sip,stat` counts on a capture too large for one tshark run.

usage: tshark_pieces.py FILE.pcap [BODY_MB [WARM_S]]   (classic pcap; defaults 10 MB, 100 s)

tshark's time grows faster than the capture (docs/performance.md): one run over 1 GB takes
hours. This cuts the capture into pieces of BODY_MB of packets and runs tshark on each piece
together with the WARM_S seconds of capture before it: those packets are dissected (so the
SIP dissector's retransmission state is built from them) but not counted, because the tap's
filter counts only frames from the piece's first one on (`-z sip,stat,frame.number>=N`). The
counts add up to one run's as long as no retransmission comes more than WARM_S after the
message it repeats (bench/gen_sip_pcap.py's call flow lasts 71 s). Prints one JSON object:
the summed counts (messages, resent, each request method and response code), the pieces,
and tshark's CPU and wall seconds.
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time


def index(f):
    """(offset, time) of each whole packet, and the end of the last one."""
    hdr = f.read(24)
    magic = struct.unpack("<I", hdr[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        sys.exit("tshark_pieces: %s: not a little-endian classic pcap file" % f.name)
    div = 1e9 if magic == 0xA1B23C4D else 1e6
    size = os.fstat(f.fileno()).st_size
    idx, off = [], 24
    rec = struct.Struct("<IIII")
    while off + 16 <= size:
        f.seek(off)
        s, frac, incl, _ = rec.unpack(f.read(16))
        if off + 16 + incl > size:
            break
        idx.append((off, s + frac / div))
        off += 16 + incl
    return hdr, idx, off


def main():
    path = sys.argv[1]
    body = int(float(sys.argv[2] if len(sys.argv) > 2 else 10) * 1e6)
    warm = float(sys.argv[3] if len(sys.argv) > 3 else 100)
    tot = {"messages": 0, "resent": 0, "requests": {}, "responses": {}}
    cpu = wall = 0.0
    pieces = 0
    with open(path, "rb") as f, tempfile.TemporaryDirectory() as tmp:
        hdr, idx, end = index(f)
        piece = os.path.join(tmp, "piece.pcap")
        i = 0
        while i < len(idx):
            j = i
            while j < len(idx) and idx[j][0] - idx[i][0] < body:
                j += 1
            w = i
            while w > 0 and idx[w - 1][1] >= idx[i][1] - warm:
                w -= 1
            lo, hi = idx[w][0], idx[j][0] if j < len(idx) else end
            with open(piece, "wb") as o:
                o.write(hdr)
                f.seek(lo)
                o.write(f.read(hi - lo))
            t0, r0 = time.monotonic(), os.times()
            out = subprocess.run(
                ["tshark", "-n", "-q", "-o", "tcp.reassemble_out_of_order:TRUE",
                 "-z", "sip,stat,frame.number>=%d" % (i - w + 1), "-r", piece],
                capture_output=True, text=True, check=True).stdout
            r1 = os.times()
            wall += time.monotonic() - t0
            cpu += r1.children_user - r0.children_user + r1.children_system - r0.children_system
            for line in out.splitlines():
                m = re.match(r"Number of SIP messages: (\d+)", line)
                if m:
                    tot["messages"] += int(m.group(1))
                m = re.match(r"Number of resent SIP messages: (\d+)", line)
                if m:
                    tot["resent"] += int(m.group(1))
                m = re.match(r"\s+SIP (\d{3}) .*:\s+(\d+) Packets", line)
                if m:
                    tot["responses"][m.group(1)] = tot["responses"].get(m.group(1), 0) + int(m.group(2))
                m = re.match(r"\s+([A-Za-z]+)\s+:\s+(\d+) Packets", line)
                if m:
                    tot["requests"][m.group(1)] = tot["requests"].get(m.group(1), 0) + int(m.group(2))
            pieces += 1
            print("tshark_pieces: piece %d: packets %d to %d (warm-up from %d), %.0f s of CPU so far"
                  % (pieces, i, j, w, cpu), file=sys.stderr, flush=True)
            i = j
    print(json.dumps({"packets": len(idx), "pieces": pieces, "body_mb": body / 1e6, "warm_s": warm,
                      "tshark_cpu_s": round(cpu, 1), "tshark_wall_s": round(wall, 1), "sip": tot}))


if __name__ == "__main__":
    main()
