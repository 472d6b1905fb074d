#!/usr/bin/env python3
"""A tiny SIP client for sipreplyd's integration tests (loopback only, bounded waits).

usage: sipc.py udp|tcp HOST PORT METHOD URI [--header 'N: v']... [--wait S] [--count N]
               [--cancel-after S] [--prack] [--ack] [--body-sdp] [--raw FILE]
               [--contact VALUE] [--to URI]
--contact replaces our Contact (a REGISTER naming other contacts: third-party registration,
RFC 3261 §10.2); --to puts another URI than the Request-URI in To (the AOR of a REGISTER).
Prints each response's status line (and with -v the whole message), one per line.
Exit 0 when at least one final response arrived, 1 otherwise.
"""
import argparse, hashlib, random, re, socket, sys, time

def build(method, uri, host, port, tp, branch, callid, cseq, ftag, headers, body=b"", to_tag=None,
          cseq_method=None, contact=None, to=None):
    lines = [f"{method} {uri} SIP/2.0",
             f"Via: SIP/2.0/{tp.upper()} {host}:{port};branch={branch};rport",
             "Max-Forwards: 70",
             f"From: <sip:tester@{host}>;tag={ftag}",
             f"To: <{to or uri}>" + (f";tag={to_tag}" if to_tag else ""),
             f"Call-ID: {callid}",
             f"CSeq: {cseq} {cseq_method or method}",
             f"Contact: {contact}" if contact else f"Contact: <sip:tester@{host}:{port}>"]
    lines += headers
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

def digest_answer(challenge, method, uri, user, password):
    """The Authorization value for a Digest challenge (RFC 7616: MD5 or SHA-256, qop=auth)."""
    p = dict((k.lower(), v1 or v2) for k, v1, v2 in
             re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', challenge))
    alg = p.get("algorithm", "MD5")
    h = (lambda x: hashlib.sha256(x.encode()).hexdigest()) if alg.upper() == "SHA-256" else \
        (lambda x: hashlib.md5(x.encode()).hexdigest())
    ha1 = h(f"{user}:{p['realm']}:{password}")
    ha2 = h(f"{method}:{uri}")
    cnonce, nc = "%08x" % random.getrandbits(32), "00000001"
    resp = h(f"{ha1}:{p['nonce']}:{nc}:{cnonce}:auth:{ha2}")
    v = (f'Digest username="{user}", realm="{p["realm"]}", nonce="{p["nonce"]}", uri="{uri}", '
         f'response="{resp}", algorithm={alg}, cnonce="{cnonce}", nc={nc}, qop=auth')
    if "opaque" in p:
        v += f', opaque="{p["opaque"]}"'
    return v

def parse(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    hdrs = {}
    for l in lines[1:]:
        n, _, v = l.partition(":")
        hdrs.setdefault(n.strip().lower(), []).append(v.strip())
    return lines[0], hdrs, body

class Conn:
    def __init__(self, tp, host, port):
        self.tp = tp
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.dest = (host, port)
        if tp == "udp":
            self.s = socket.socket(fam, socket.SOCK_DGRAM)
            self.s.bind((host, 0))
        else:
            self.s = socket.create_connection(self.dest, timeout=5)
        self.local = self.s.getsockname()
        self.buf = b""

    def send(self, data):
        if self.tp == "udp":
            self.s.sendto(data, self.dest)
        else:
            self.s.sendall(data)

    def recv(self, timeout):
        self.s.settimeout(timeout)
        if self.tp == "udp":
            try:
                return self.s.recv(65535)
            except socket.timeout:
                return None
        end = time.time() + timeout
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                head = self.buf[:i].decode(errors="replace").lower()
                cl = 0
                for l in head.split("\r\n"):
                    if l.startswith("content-length:") or l.startswith("l:"):
                        cl = int(l.split(":", 1)[1])
                if len(self.buf) >= i + 4 + cl:
                    m = self.buf[:i + 4 + cl]
                    self.buf = self.buf[i + 4 + cl:]
                    return m
            left = end - time.time()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                d = self.s.recv(65535)
            except socket.timeout:
                return None
            if not d:
                return None
            self.buf += d

SDP = (b"v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       b"m=audio 4000 RTP/AVP 0\r\n")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tp"); ap.add_argument("host"); ap.add_argument("port", type=int)
    ap.add_argument("method"); ap.add_argument("uri")
    ap.add_argument("--header", "-H", action="append", default=[])
    ap.add_argument("--wait", type=float, default=3.0)
    ap.add_argument("--cancel-after", type=float)
    ap.add_argument("--prack", action="store_true")
    ap.add_argument("--ack", action="store_true")
    ap.add_argument("--bye", action="store_true")
    ap.add_argument("--sdp", action="store_true")
    ap.add_argument("--raw")
    ap.add_argument("--auth", help="USER:PASSWORD: answer a 401/407 once")
    ap.add_argument("--contact")
    ap.add_argument("--to")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    c = Conn(a.tp, a.host, a.port)
    lh = c.local[0] if ":" not in c.local[0] else f"[{c.local[0]}]"
    lp = c.local[1]
    if a.raw:
        c.send(open(a.raw, "rb").read())
        d = c.recv(a.wait)
        if d:
            print(parse(d)[0]); 
            if a.v: print(d.decode(errors="replace"))
            return 0
        print("no response")
        return 1
    branch = "z9hG4bK" + "%016x" % random.getrandbits(64)
    callid = "%016x@sipc" % random.getrandbits(64)
    ftag = "%08x" % random.getrandbits(32)
    body = SDP if a.sdp else b""
    req = build(a.method, a.uri, lh, lp, a.tp, branch, callid, 1, ftag, a.header, body,
                contact=a.contact, to=a.to)
    c.send(req)
    start = time.time()
    final = None
    cancelled = False
    rseq_done = set()
    cancel_final = None
    while time.time() - start < a.wait:
        if a.cancel_after is not None and not cancelled and time.time() - start >= a.cancel_after:
            cancelled = True
            c.send(build("CANCEL", a.uri, lh, lp, a.tp, branch, callid, 1, ftag, []))
        d = c.recv(0.1)
        if not d:
            continue
        sl, hdrs, rbody = parse(d)
        cseq = hdrs.get("cseq", [""])[0]
        print(sl + ("  [" + cseq + "]" if a.v or "INVITE" not in cseq else ""), flush=True)
        if a.v:
            print(d.decode(errors="replace"), flush=True)
        code = int(sl.split()[1])
        if "PRACK" in cseq or "CANCEL" in cseq or "BYE" in cseq:
            if "BYE" in cseq:
                return 0
            continue
        totag = None
        for t in hdrs.get("to", [""])[0].split(";"):
            if t.strip().startswith("tag="):
                totag = t.strip()[4:]
        if 100 < code < 200 and a.prack and "rseq" in hdrs:
            rseq = hdrs["rseq"][0]
            if rseq not in rseq_done:
                rseq_done.add(rseq)
                pb = "z9hG4bK" + "%016x" % random.getrandbits(64)
                c.send(build("PRACK", a.uri, lh, lp, a.tp, pb, callid, 2 + len(rseq_done), ftag,
                             [f"RAck: {rseq} 1 INVITE"], to_tag=totag))
        if code in (401, 407) and a.auth and not getattr(a, "answered", False):
            a.answered = True
            if a.method == "INVITE":
                c.send(build("ACK", a.uri, lh, lp, a.tp, branch, callid, 1, ftag, [], to_tag=totag))
            hname = "www-authenticate" if code == 401 else "proxy-authenticate"
            user, _, pw = a.auth.partition(":")
            auth = digest_answer(hdrs[hname][0], a.method, a.uri, user, pw)
            branch = "z9hG4bK" + "%016x" % random.getrandbits(64)
            hdr = "Authorization" if code == 401 else "Proxy-Authorization"
            c.send(build(a.method, a.uri, lh, lp, a.tp, branch, callid, 2, ftag,
                         a.header + [f"{hdr}: {auth}"], body))
            continue
        if code >= 200:
            final = code
            if a.method == "INVITE" and code >= 300:
                # the ACK for a non-2xx: same branch
                c.send(build("ACK", a.uri, lh, lp, a.tp, branch, callid, 1, ftag, [], to_tag=totag))
            elif a.method == "INVITE" and a.ack:
                ab = "z9hG4bK" + "%016x" % random.getrandbits(64)
                contact = hdrs.get("contact", ["<" + a.uri + ">"])[0]
                target = contact[contact.find("<") + 1:contact.find(">")]
                # a Record-Route set (RFC 3261 §12.1.2): the route set, reversed, and the
                # remote target as Request-URI; sent to the first hop (the proxy here)
                routes = [r.strip() for v in hdrs.get("record-route", []) for r in v.split(",")]
                routes.reverse()
                rh = [f"Route: {r}" for r in routes]
                c.send(build("ACK", target if routes else a.uri, lh, lp, a.tp, ab, callid, 1, ftag,
                             rh, to_tag=totag))
                if a.bye:
                    bb = "z9hG4bK" + "%016x" % random.getrandbits(64)
                    c.send(build("BYE", target, lh, lp, a.tp, bb, callid, 10, ftag, rh, to_tag=totag))
                    continue
            if not a.bye:
                # linger briefly for retransmissions/extra finals, then stop
                if a.wait > 0.5:
                    end = time.time() + 0.3
                    while time.time() < end:
                        d = c.recv(0.1)
                        if d:
                            print(parse(d)[0], flush=True)
                return 0
    return 0 if final else 1

if __name__ == "__main__":
    sys.exit(main())
