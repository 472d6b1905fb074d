#!/usr/bin/env python3
"""A scripted UDP UAS for sipreplyd's forwarding tests (loopback only, bounded life).

usage: sipuas.py --port-file FILE --log FILE [--host 127.0.0.1] [--life S] [--code N]
                 [--register HOST:PORT --aor URI [--q Q]]
Binds port 0 and writes "udp HOST PORT" to FILE; with --register, only once a REGISTER of
its Contact (;q=Q when given) for the address-of-record URI got its 200 from the registrar
at HOST:PORT (RFC 3261 §10.2; resent every 0.5 s, at most 10 times; exit 1 without a 200). To an INVITE it sends 180 Ringing (with a
To tag) and then, with --code, that final; without, it rings until a CANCEL comes (200 to
the CANCEL, 487 to the INVITE). Every request received is logged to FILE as one line:
"METHOD URI | Reason: value" (the Reason header, or "-"). A final is resent (T1 doubling) until
its ACK. Exits after --life seconds.
"""
import argparse, socket, sys, time

def parse(data):
    head = data.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
    lines = head.split("\r\n")
    hdrs = []
    for l in lines[1:]:
        n, _, v = l.partition(":")
        hdrs.append((n.strip(), v.strip()))
    return lines[0], hdrs

def hget(hdrs, *names):
    names = [n.lower() for n in names]
    return [v for n, v in hdrs if n.lower() in names]

CONTACT = "<sip:uas@127.0.0.1>"

def response(code, phrase, hdrs, tag):
    out = [f"SIP/2.0 {code} {phrase}"]
    for v in hget(hdrs, "via", "v"):
        out.append(f"Via: {v}")
    frm = hget(hdrs, "from", "f")[0]
    to = hget(hdrs, "to", "t")[0]
    if tag and ";tag=" not in to:
        to += f";tag={tag}"
    out += [f"From: {frm}", f"To: {to}", f"Call-ID: {hget(hdrs, 'call-id', 'i')[0]}",
            f"CSeq: {hget(hdrs, 'cseq')[0]}"]
    if 100 < code < 300:
        out += [f"Record-Route: {v}" for v in hget(hdrs, "record-route")]  # §12.1.1
        out.append(f"Contact: {CONTACT}")
    out.append("Content-Length: 0")
    return ("\r\n".join(out) + "\r\n\r\n").encode()

def register(s, a, h):
    """REGISTER our Contact for --aor at --register; True once a 200 came."""
    rhost, _, rport = a.register.rpartition(":")
    dest = (rhost.strip("[]"), int(rport))
    lport = s.getsockname()[1]
    contact = CONTACT + (f";q={a.q}" if a.q else "")
    domain = a.aor.split("@", 1)[1]
    req = (f"REGISTER sip:{domain} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP {h}:{lport};branch=z9hG4bKreg{lport};rport\r\n"
           "Max-Forwards: 70\r\n"
           f"From: <{a.aor}>;tag=r{lport}\r\nTo: <{a.aor}>\r\n"
           f"Call-ID: reg{lport}@sipuas\r\nCSeq: 1 REGISTER\r\n"
           f"Contact: {contact}\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n").encode()
    s.settimeout(0.5)
    for _ in range(10):
        s.sendto(req, dest)
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            continue
        if data.startswith(b"SIP/2.0 200"):
            return True
        if not data.startswith(b"SIP/2.0 1"):
            sys.stderr.write(data.decode(errors="replace"))
            return False
    return False

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--life", type=float, default=60)
    ap.add_argument("--code", type=int)
    ap.add_argument("--register")
    ap.add_argument("--aor")
    ap.add_argument("--q")
    a = ap.parse_args()
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((a.host, 0))
    global CONTACT
    h = a.host if ":" not in a.host else f"[{a.host}]"
    CONTACT = f"<sip:uas@{h}:{s.getsockname()[1]}>"
    if a.register and not register(s, a, h):
        return 1
    with open(a.port_file + ".tmp", "w") as f:
        f.write(f"udp {a.host} {s.getsockname()[1]}\n")
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    log = open(a.log, "a", buffering=1)
    end = time.time() + a.life
    calls = {}  # Call-ID -> (invite headers, peer, final bytes or None)
    pending = []  # [due, interval, bytes, peer, call-id]
    n = 0
    while time.time() < end:
        now = time.time()
        for p in pending:
            if p[0] <= now and p[4] in calls:
                s.sendto(p[2], p[3])
                p[1] = min(p[1] * 2, 4.0)
                p[0] = now + p[1]
        s.settimeout(0.05)
        try:
            data, peer = s.recvfrom(65535)
        except socket.timeout:
            continue
        if data.startswith(b"SIP/2.0"):
            continue
        sl, hdrs = parse(data)
        method, uri = sl.split()[0], sl.split()[1]
        reason = hget(hdrs, "reason")
        log.write(f"{method} {uri} | Reason: {reason[0] if reason else '-'}\n")
        cid = hget(hdrs, "call-id", "i")[0]
        if method == "INVITE":
            if cid in calls:
                continue  # a retransmission
            n += 1
            tag = f"uas{n}"
            calls[cid] = (hdrs, peer, tag)
            s.sendto(response(180, "Ringing", hdrs, tag), peer)
            if a.code:
                fin = response(a.code, "Final", hdrs, tag)
                s.sendto(fin, peer)
                pending.append([time.time() + 0.5, 0.5, fin, peer, cid])
        elif method == "CANCEL":
            s.sendto(response(200, "OK", hdrs, None), peer)
            if cid in calls:
                ih, ipeer, tag = calls[cid]
                fin = response(487, "Request Terminated", ih, tag)
                s.sendto(fin, ipeer)
                pending.append([time.time() + 0.5, 0.5, fin, ipeer, cid])
        elif method == "ACK":
            pending = [p for p in pending if p[4] != cid]
            routes = hget(hdrs, "route")
            log.write(f"ACK routes: {len(routes)}\n")
        else:
            s.sendto(response(200, "OK", hdrs, "uas0"), peer)
    return 0

if __name__ == "__main__":
    sys.exit(main())
