#!/usr/bin/env python3
"""Scripted dialogs against sipreplyd for its integration tests (loopback only, bounded waits).

usage: dialogc.py udp|tcp HOST PORT SCENARIO
  unknown   BYE, INFO and a re-INVITE with a To tag no dialog has: 481 each (RFC 3261 §12.2.2)
  call      INVITE/200/ACK, re-INVITE hold (sendonly -> recvonly, o= version +1), resume,
            UPDATE, a CSeq out of order (500), BYE (200), the same dialog again (481)
  glare     INVITE without SDP (our offer in the 200), UPDATE with an offer before the ACK
            answers ours: 491 (RFC 3311 §5.2); after the ACK: 200; BYE
  timer     INVITE with Session-Expires: 90 (Supported: timer): the 200 carries it with
            refresher=uac; no refresh: sipreplyd sends the BYE 60 s later (RFC 4028 §10),
            answered 200 here
Prints one "ok: ..." or "FAIL: ..." line per check; exit 0 when every check passed.
"""
import os, random, re, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipc import Conn, build, parse  # noqa: E402

SDP_HEAD = (b"v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            b"m=audio 4000 RTP/AVP 0 8\r\n")
SENDRECV = SDP_HEAD
SENDONLY = SDP_HEAD + b"a=sendonly\r\n"

fails = 0


def check(cond, what, detail=""):
    global fails
    if cond:
        print(f"ok: {what}")
    else:
        fails += 1
        print(f"FAIL: {what} {detail}")


class Dialog:
    def __init__(self, tp, host, port, user="200"):
        self.c = Conn(tp, host, port)
        self.tp, self.host = tp, host
        self.lhost, self.lport = self.c.local[0], self.c.local[1]
        self.uri = f"sip:{user}@{host}:{port}"
        self.callid = "%016x@dialogc" % random.getrandbits(64)
        self.ftag = "%08x" % random.getrandbits(32)
        self.cseq = 0
        self.to_tag = None
        self.target = self.uri

    def send(self, method, body=b"", headers=(), cseq=None, ack_of=None):
        if ack_of is None and cseq is None:
            self.cseq += 1
        num = ack_of if ack_of is not None else cseq if cseq is not None else self.cseq
        branch = "z9hG4bK%012x" % random.getrandbits(48)
        uri = self.target if self.to_tag else self.uri
        m = build(method, uri, self.lhost, self.lport, self.tp, branch, self.callid, num, self.ftag,
                  list(headers), body, self.to_tag)
        self.c.send(m)
        return num

    def final(self, num, method, wait=5.0):
        """The final response to request CSeq NUM METHOD (provisionals skipped)."""
        end = time.time() + wait
        while time.time() < end:
            d = self.c.recv(end - time.time())
            if d is None:
                break
            first, hdrs, body = parse(d)
            if not first.startswith("SIP/2.0 "):
                continue
            cs = hdrs.get("cseq", [""])[0].split()
            if len(cs) != 2 or int(cs[0]) != num or cs[1] != method:
                continue
            code = int(first.split()[1])
            if code >= 200:
                return code, hdrs, body
        return 0, {}, b""

    def invite(self, body=b"", headers=()):
        num = self.send("INVITE", body, headers)
        code, hdrs, sdp = self.final(num, "INVITE")
        if 200 <= code < 300:
            to = hdrs["to"][0]
            self.to_tag = re.search(r";tag=([^;>\s]+)", to).group(1)
            ct = re.search(r"<([^>]+)>", hdrs.get("contact", [""])[0])
            if ct:
                self.target = ct.group(1)
        return num, code, hdrs, sdp

    def ack(self, num, body=b""):
        self.send("ACK", body, ack_of=num)

    def request(self, method, body=b"", headers=(), cseq=None):
        num = self.send(method, body, headers, cseq)
        return self.final(num, method)


def o_version(sdp):
    m = re.search(rb"^o=\S+ \d+ (\d+) ", sdp, re.M)
    return int(m.group(1)) if m else -1


def unknown(tp, host, port):
    d = Dialog(tp, host, port)
    d.to_tag = "nosuchtag"
    for method in ("BYE", "INFO", "INVITE"):
        code, _, _ = d.request(method, SENDRECV if method == "INVITE" else b"")
        check(code == 481, f"{method} for no dialog -> 481", f"(got {code})")


def call(tp, host, port):
    d = Dialog(tp, host, port)
    num, code, _, sdp = d.invite(SENDRECV)
    check(code == 200 and b"a=sendrecv" in sdp, "INVITE -> 200 sendrecv", f"(got {code})")
    v0 = o_version(sdp)
    d.ack(num)
    num, code, _, sdp = d.invite(SENDONLY)
    check(code == 200 and b"a=recvonly" in sdp and o_version(sdp) == v0 + 1,
          "re-INVITE sendonly (hold) -> 200 recvonly, o= version +1", f"(got {code} {sdp!r})")
    d.ack(num)
    num, code, _, sdp = d.invite(SENDRECV)
    check(code == 200 and b"a=sendrecv" in sdp and o_version(sdp) == v0 + 2,
          "re-INVITE sendrecv (resume) -> 200 sendrecv, o= version +2", f"(got {code})")
    d.ack(num)
    code, _, sdp = d.request("UPDATE", SENDONLY)
    check(code == 200 and b"a=recvonly" in sdp and o_version(sdp) == v0 + 3,
          "UPDATE sendonly -> 200 recvonly, o= version +3", f"(got {code})")
    code, _, _ = d.request("INFO", cseq=d.cseq - 2)
    check(code == 500, "INFO with a CSeq lower than the dialog's -> 500", f"(got {code})")
    code, _, _ = d.request("INFO")
    check(code == 200, "INFO in the dialog -> 200", f"(got {code})")
    code, _, _ = d.request("BYE")
    check(code == 200, "BYE -> 200", f"(got {code})")
    code, _, _ = d.request("BYE")
    check(code == 481, "BYE again: the dialog is gone -> 481", f"(got {code})")


def glare(tp, host, port):
    d = Dialog(tp, host, port)
    num, code, _, sdp = d.invite()
    check(code == 200 and b"m=audio" in sdp, "INVITE without SDP -> 200 with our offer",
          f"(got {code})")
    code2, _, _ = d.request("UPDATE", SENDRECV)
    check(code2 == 491, "UPDATE with an offer while ours is unanswered -> 491", f"(got {code2})")
    d.ack(num, SENDRECV)
    code3, _, _ = d.request("UPDATE", SENDRECV)
    check(code3 == 200, "after the ACK answers: UPDATE -> 200", f"(got {code3})")
    code4, _, _ = d.request("BYE")
    check(code4 == 200, "BYE -> 200", f"(got {code4})")


def timer(tp, host, port):
    d = Dialog(tp, host, port)
    # taken before the INVITE leaves: sipreplyd's session clock starts later, so however
    # slowly this process runs, a correct BYE is never seen "early" by it
    t0 = time.time()
    num, code, hdrs, _ = d.invite(SENDRECV, ["Supported: timer", "Session-Expires: 90"])
    se = (hdrs.get("session-expires") or hdrs.get("x") or [""])[0]
    check(code == 200 and se.replace(" ", "") == "90;refresher=uac",
          "INVITE Session-Expires: 90 -> 200 with Session-Expires: 90;refresher=uac",
          f"(got {code} {se!r})")
    check("timer" in ",".join(hdrs.get("require", [])), "the 200 carries Require: timer")
    d.ack(num)
    print("acked", flush=True)  # the test waits for this before it counts dialogs
    # RFC 4028 §10: the BYE min(32, 90/3) = 30 s before the session expires: at 60 s
    end = t0 + 120
    got = None
    while time.time() < end:
        m = d.c.recv(end - time.time())
        if m is None:
            break
        first, hdrs, _ = parse(m)
        if first.startswith("BYE "):
            got = (first, hdrs, time.time() - t0)
            break
    check(got is not None and got[1]["call-id"][0] == d.callid,
          "no refresh: sipreplyd sends the BYE", f"(got {got!r})")
    if got:
        check(got[2] >= 55, f"... not before the session's 60 s ({got[2]:.1f} s)")
        first, hdrs, _ = got
        resp = ["SIP/2.0 200 OK"] + [f"Via: {v}" for v in hdrs["via"]] + [
            f"From: {hdrs['from'][0]}", f"To: {hdrs['to'][0]}", f"Call-ID: {hdrs['call-id'][0]}",
            f"CSeq: {hdrs['cseq'][0]}", "Content-Length: 0"]
        d.c.send(("\r\n".join(resp) + "\r\n\r\n").encode())
        code, _, _ = d.request("BYE")
        check(code == 481, "the dialog ended: our BYE now -> 481", f"(got {code})")


def main():
    tp, host, port, scen = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    {"unknown": unknown, "call": call, "glare": glare, "timer": timer}[scen](tp, host, port)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
