#!/usr/bin/env python3
"""A caller with media for sipreplyd's media tests (loopback only, bounded waits).

usage: rtpc.py HOST PORT URI [--codec pcmu|pcma] [--send N] [--events DIGITS] [--listen S]
               [--no-bye] [--json FILE] [--sendonly|--recvonly] [--no-offer]
Sends an INVITE with an SDP offer (our RTP socket's port; no offer with --no-offer: the
answer goes in the ACK), takes the 2xx's SDP, ACKs, sends N 20 ms G.711 packets (then RFC 4733
events for DIGITS), keeps receiving for S seconds, sends BYE (unless --no-bye) and writes what
it saw as JSON: packets received (seq, ts, ssrc, pt, payload hex), RTCP received (SR/RR, BYE),
where they came from, the answer. Exit 0 when the call was answered, 1 otherwise.
"""
import argparse, json, random, select, socket, struct, sys, time

def sip(method, uri, host, port, branch, callid, cseq, ftag, body=b"", to_tag=None, extra=()):
    lines = [f"{method} {uri} SIP/2.0",
             f"Via: SIP/2.0/UDP {host}:{port};branch={branch};rport",
             "Max-Forwards: 70",
             f"From: <sip:tester@{host}>;tag={ftag}",
             f"To: <{uri}>" + (f";tag={to_tag}" if to_tag else ""),
             f"Call-ID: {callid}",
             f"CSeq: {cseq} {method}",
             f"Contact: <sip:tester@{host}:{port}>"] + list(extra)
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

def sdp(host, port, pts, direction):
    maps = {0: "PCMU/8000", 8: "PCMA/8000", 101: "telephone-event/8000"}
    s = (f"v=0\r\no=tester 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
         f"m=audio {port} RTP/AVP {' '.join(str(p) for p in pts)}\r\n")
    for p in pts:
        s += f"a=rtpmap:{p} {maps[p]}\r\n"
    s += "a=fmtp:101 0-16\r\na=ptime:20\r\n" + f"a={direction}\r\n"
    return s.encode()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host"); ap.add_argument("port", type=int); ap.add_argument("uri")
    ap.add_argument("--codec", default="pcmu")
    ap.add_argument("--send", type=int, default=0)
    ap.add_argument("--events", default="")
    ap.add_argument("--listen", type=float, default=1.0)
    ap.add_argument("--no-bye", action="store_true")
    ap.add_argument("--no-offer", action="store_true")
    ap.add_argument("--direction", default="sendrecv")
    ap.add_argument("--json", default="-")
    ap.add_argument("--rtp-from-other-port", action="store_true",
                    help="send RTP from another socket than the one the SDP names (NAT)")
    a = ap.parse_args()
    h = a.host
    sig = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sig.bind((h, 0))
    lport = sig.getsockname()[1]
    # an RTP/RTCP pair of ours (kernel ports: RTCP need not be RTP+1 for this test's use)
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); rtp.bind((h, 0))
    rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rtcp.bind((h, rtp.getsockname()[1] + 1))
    except OSError:
        rtcp.bind((h, 0))
    tx = rtp
    if a.rtp_from_other_port:
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); tx.bind((h, 0))
    rport = rtp.getsockname()[1]
    pt = 8 if a.codec == "pcma" else 0
    offer = sdp(h, rport, [pt, 101], a.direction)
    callid = "%016x@rtpc" % random.getrandbits(64)
    ftag = "%08x" % random.getrandbits(32)
    dest = (h, a.port)
    body = b"" if a.no_offer else offer
    sig.sendto(sip("INVITE", a.uri, h, lport, "z9hG4bK%08x" % random.getrandbits(32), callid, 1,
                   ftag, body), dest)
    out = {"answered": False, "code": 0, "rtp": [], "rtcp": [], "rtp_src": [], "answer": ""}
    deadline = time.time() + 5
    resp = None
    early = []
    while time.time() < deadline:
        r, _, _ = select.select([sig, rtp], [], [], 0.2)
        if rtp in r:
            data = rtp.recv(2048)  # early media (a 183's stream)
            if len(data) >= 12:
                early.append(data[12:].hex())
            continue
        if not r:
            continue
        data = sig.recv(65535)
        head, _, b = data.partition(b"\r\n\r\n")
        code = int(head.split(b" ", 2)[1])
        out["code"] = code
        if code >= 200:
            resp = (head.decode(), b.decode())
            break
    if not resp:
        json.dump(out, sys.stdout if a.json == "-" else open(a.json, "w")); return 1
    head, ans = resp
    out["answer"] = ans
    hd = {}
    for l in head.split("\r\n")[1:]:
        n, _, v = l.partition(":")
        hd.setdefault(n.strip().lower(), v.strip())
    to = hd.get("to", "")
    to_tag = to.split("tag=")[1].split(";")[0] if "tag=" in to else None
    via_branch = hd.get("via", "").split("branch=")[1].split(";")[0]
    if out["code"] >= 300:
        out["early"] = early
        sig.sendto(sip("ACK", a.uri, h, lport, via_branch, callid, 1, ftag, to_tag=to_tag), dest)
        json.dump(out, sys.stdout if a.json == "-" else open(a.json, "w")); return 1
    out["answered"] = True
    out["early"] = early
    mport, mhost = 0, h
    for l in ans.split("\r\n"):
        if l.startswith("m=audio"):
            mport = int(l.split()[1])
            fmts = [int(x) for x in l.split()[3:]]
            if a.no_offer:
                pt = fmts[0]
        if l.startswith("c=IN IP4"):
            mhost = l.split()[2]
    out["media_port"] = mport
    ack_body = sdp(h, rport, [pt, 101], a.direction) if a.no_offer else b""
    sig.sendto(sip("ACK", a.uri, h, lport, "z9hG4bK%08x" % random.getrandbits(32), callid, 1,
                   ftag, ack_body, to_tag=to_tag), dest)
    ssrc = random.getrandbits(32)
    seq = random.getrandbits(16)
    ts = random.getrandbits(32)
    t0 = time.time()
    sent = 0
    ev_queue = []
    for i, d in enumerate(a.events):
        code = "0123456789*#ABCD".index(d)
        # one event: three packets, the last with E set (RFC 4733 §2.5.1), one timestamp
        for k, dur in enumerate((160, 320, 480)):
            ev_queue.append((code, k == 2, dur))
    total = a.send + len(ev_queue)
    end = t0 + total * 0.02 + a.listen
    ev_ts = None
    while time.time() < end:
        now = time.time()
        if sent < total and now >= t0 + sent * 0.02:
            if sent < a.send:
                payload = bytes([(sent * 7 + j) & 0xFF for j in range(160)])
                pkt = struct.pack("!BBHII", 0x80, pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload
                ts += 160
            else:
                code, e, dur = ev_queue[sent - a.send]
                if ev_ts is None or dur == 160:
                    ev_ts = ts
                pkt = struct.pack("!BBHII", 0x80, 101 | (0x80 if dur == 160 else 0),
                                  seq & 0xFFFF, ev_ts & 0xFFFFFFFF, ssrc) + \
                      struct.pack("!BBH", code, (0x80 if e else 0) | 10, dur)
                if e:
                    ts += 480
            tx.sendto(pkt, (mhost, mport))
            seq += 1
            sent += 1
            continue
        wait = min(0.005, max(0, end - now))
        r, _, _ = select.select(list({rtp, rtcp, tx}), [], [], wait)
        for s in r:
            data, src = s.recvfrom(2048)
            if s is rtcp or (s is not rtcp and len(data) >= 2 and 200 <= data[1] <= 204):
                kinds = []
                off = 0
                while off + 4 <= len(data):
                    kinds.append(data[off + 1])
                    off += (struct.unpack("!H", data[off + 2:off + 4])[0] + 1) * 4
                out["rtcp"].append({"types": kinds, "src": list(src), "len": len(data)})
                continue
            b0, b1, sq, t, ss = struct.unpack("!BBHII", data[:12])
            out["rtp"].append({"seq": sq, "ts": t, "ssrc": ss, "pt": b1 & 0x7F,
                               "marker": b1 >> 7, "payload": data[12:].hex(),
                               "to": "tx" if s is tx and tx is not rtp else "rtp"})
            if list(src) not in out["rtp_src"]:
                out["rtp_src"].append(list(src))
    out["sent"] = sent
    out["sent_payloads"] = [bytes([(i * 7 + j) & 0xFF for j in range(160)]).hex()
                            for i in range(a.send)]
    if not a.no_bye:
        sig.sendto(sip("BYE", a.uri, h, lport, "z9hG4bK%08x" % random.getrandbits(32), callid, 2,
                       ftag, to_tag=to_tag), dest)
        bye_deadline = time.time() + 3
        while time.time() < bye_deadline:
            r, _, _ = select.select([sig, rtcp], [], [], 0.2)
            got = False
            for s in r:
                data = s.recv(65535)
                if s is rtcp:
                    kinds, off = [], 0
                    while off + 4 <= len(data):
                        kinds.append(data[off + 1])
                        off += (struct.unpack("!H", data[off + 2:off + 4])[0] + 1) * 4
                    out["rtcp"].append({"types": kinds, "src": [], "len": len(data),
                                        "after_bye": True})
                elif b"BYE" in data.split(b"\r\n\r\n")[0]:
                    out["bye_code"] = int(data.split(b" ", 2)[1])
                    got = True
            if got:
                time.sleep(0.2)  # the RTCP BYE that follows
                while select.select([rtcp], [], [], 0)[0]:
                    data = rtcp.recv(2048)
                    kinds, off = [], 0
                    while off + 4 <= len(data):
                        kinds.append(data[off + 1])
                        off += (struct.unpack("!H", data[off + 2:off + 4])[0] + 1) * 4
                    out["rtcp"].append({"types": kinds, "src": [], "len": len(data),
                                        "after_bye": True})
                break
    json.dump(out, sys.stdout if a.json == "-" else open(a.json, "w"))
    return 0

sys.exit(main())
