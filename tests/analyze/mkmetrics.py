#!/usr/bin/env python3
"""sipreply analyze tests: a capture for the RFC 6076 metrics, with answers known by construction.

usage: mkmetrics.py OUT.pcap

Sixteen session attempts, each ended by a chosen response at a chosen time, and three
registrations, over UDP/IPv4/Ethernet. The figures they must give were computed by hand
from the definitions of RFC 6076 section 4 (docs/analyze.md) and are written out in
tests/analyze/expected_metrics.json; each call below says what it adds.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkpcap as M  # noqa: E402

A, B = 0, 1  # caller -> callee, callee -> caller


def flow():
    m = []

    def at(t, d, b):
        m.append((t, d, b))

    def invite(cid, t, cseq=1, extra=""):
        r = M.req("INVITE", "sip:%s@example.com" % cid, cid + "@m", cseq, cid + "i%d" % cseq,
                  "f" + cid, body=M.sdp(), extra=extra)
        at(t, A, r)
        return r

    def ack(cid, t, ttag, cseq=1):
        at(t, A, M.req("ACK", "sip:%s@example.com" % cid, cid + "@m", cseq, cid + "a%d" % cseq,
                       "f" + cid, ttag))

    def bye(cid, t, t_ok, ttag, cseq=2):
        r = M.req("BYE", "sip:%s@192.0.2.5" % cid, cid + "@m", cseq, cid + "b", "f" + cid, ttag)
        at(t, A, r)
        at(t_ok, B, M.resp(200, "OK", r))

    # 1. answered: INVITE resent at 0.5, 180 at 0.7, 200 at 2; BYE at 32, its 200 at 32.02.
    #    SRD successful 0.7 (from the first INVITE), SDT 30, SDD 0.02, completed.
    i = invite("c200a", 0.0)
    at(0.5, A, i)
    at(0.1, B, M.resp(100, "Trying", i))
    at(0.7, B, M.resp(180, "Ringing", i, "t1"))
    at(2.0, B, M.resp(200, "OK", i, "t1", body=M.sdp()))
    ack("c200a", 2.01, "t1")
    bye("c200a", 32.0, 32.02, "t1")
    # 2. answered without a provisional response other than 100; two Vias (a proxy before
    #    the capture point). SRD successful 1.5 (to the 200), SDT 10, SDD 0.04, completed.
    i = invite("c200b", 100.0, extra="Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKp2\r\n")
    at(100.05, B, M.resp(100, "Trying", i))
    at(101.5, B, M.resp(200, "OK", i, "t2", body=M.sdp()))
    ack("c200b", 101.51, "t2")
    bye("c200b", 111.5, 111.54, "t2")
    # 3. answered after 183, never hung up within the capture: SRD successful 0.3, no SDT,
    #    no SDD, not completed.
    i = invite("c200c", 200.0)
    at(200.3, B, M.resp(183, "Session Progress", i, "t3", body=M.sdp()))
    at(204.0, B, M.resp(200, "OK", i, "t3", body=M.sdp()))
    ack("c200c", 204.01, "t3")
    # 4.-12. failed setups: SRD failed up to the first provisional response other than 100,
    #    else the failure response (a 100 does not end it)
    for cid, t, prov, code, phrase, t_final in (
            ("c486", 300.0, 300.4, 486, "Busy Here", 305.0),            # 0.4, SEER
            ("c408", 400.0, None, 408, "Request Timeout", 432.0),       # 32 (after a 100), ISA
            ("c500", 500.0, None, 500, "Server Internal Error", 500.25),  # 0.25, ISA
            ("c503", 600.0, None, 503, "Service Unavailable", 600.2),   # 0.2, ISA
            ("c504", 700.0, None, 504, "Server Time-out", 701.0),       # 1.0, ISA
            ("c480", 800.0, None, 480, "Temporarily Unavailable", 800.6),  # 0.6, SEER
            ("c600", 900.0, None, 600, "Busy Everywhere", 900.7),       # 0.7, SEER
            ("c603", 1000.0, 1000.5, 603, "Decline", 1003.0),           # 0.5, SEER
            ("c404", 1100.0, None, 404, "Not Found", 1100.3)):          # 0.3, neither
        i = invite(cid, t)
        tag = "t" + cid
        if cid == "c408":
            at(t + 0.1, B, M.resp(100, "Trying", i))
        if prov:
            at(prov, B, M.resp(180, "Ringing", i, tag))
        at(t_final, B, M.resp(code, phrase, i, tag))
        ack(cid, t_final + 0.01, tag)
    # 13. redirected: out of SER's and SEER's denominators, no SRD
    i = invite("c302", 1200.0)
    at(1200.1, B, M.resp(302, "Moved Temporarily", i, "t13", "Contact: <sip:x@192.0.2.9>\r\n"))
    ack("c302", 1200.11, "t13")
    # 14. challenged (407, not a failure), the INVITE with credentials rings at 1301 and is
    #    answered; one attempt: SRD successful 1.0 (from the first INVITE), SDT 10, SDD 0.03
    i = invite("c407", 1300.0)
    at(1300.05, B, M.resp(407, "Proxy Authentication Required", i, "t14",
                          'Proxy-Authenticate: Digest realm="example.com", nonce="n1"\r\n'))
    ack("c407", 1300.06, "t14")
    i = invite("c407", 1300.2, cseq=2, extra=(
        'Proxy-Authorization: Digest username="alice", realm="example.com", nonce="n1", '
        'uri="sip:c407@example.com", response="0123456789abcdef0123456789abcdef"\r\n'))
    at(1300.25, B, M.resp(100, "Trying", i))
    at(1301.0, B, M.resp(180, "Ringing", i, "t14b"))
    at(1302.0, B, M.resp(200, "OK", i, "t14b", body=M.sdp()))
    ack("c407", 1302.01, "t14b", cseq=2)
    bye("c407", 1312.0, 1312.03, "t14b", cseq=3)
    # 15. no final response at all: an attempt in every denominator, no numerator, no SRD
    i = invite("cnone", 1400.0)
    at(1400.1, B, M.resp(100, "Trying", i))
    # 16. cancelled while ringing: 487 is a 4xx failure; SRD failed 0.2 (to the 180)
    i = invite("c487", 1500.0)
    at(1500.2, B, M.resp(180, "Ringing", i, "t16"))
    c = M.req("CANCEL", "sip:c487@example.com", "c487@m", 1, "c487i1", "fc487")
    at(1504.0, A, c)
    at(1504.01, B, M.resp(200, "OK", c, "t16"))
    at(1504.02, B, M.resp(487, "Request Terminated", i, "t16"))
    ack("c487", 1504.03, "t16")
    # registrations (RFC 6076 §4.1): challenged then accepted, RRD 0.16 from the first
    # REGISTER; accepted at once, RRD 0.04; refused (403), no RRD
    r = M.req("REGISTER", "sip:example.com", "r1@m", 1, "r11", "fr1", extra="Expires: 3600\r\n")
    at(2000.0, A, r)
    at(2000.01, B, M.resp(401, "Unauthorized", r, "tr1",
                          'WWW-Authenticate: Digest realm="example.com", nonce="n2"\r\n'))
    r = M.req("REGISTER", "sip:example.com", "r1@m", 2, "r12", "fr1", extra=(
        'Expires: 3600\r\nAuthorization: Digest username="alice", realm="example.com", '
        'nonce="n2", uri="sip:example.com", response="0123456789abcdef0123456789abcdef"\r\n'))
    at(2000.1, A, r)
    at(2000.16, B, M.resp(200, "OK", r, "tr1", "Expires: 3600\r\n"))
    r = M.req("REGISTER", "sip:example.com", "r2@m", 1, "r21", "fr2", extra="Expires: 3600\r\n")
    at(2100.0, A, r)
    at(2100.04, B, M.resp(200, "OK", r, "tr2", "Expires: 3600\r\n"))
    r = M.req("REGISTER", "sip:example.com", "r3@m", 1, "r31", "fr3", extra="Expires: 3600\r\n")
    at(2200.0, A, r)
    at(2200.02, B, M.resp(403, "Forbidden", r, "tr3"))
    return sorted(m, key=lambda x: x[0])


def main():
    pkts = []
    for t, d, data in flow():
        s, r = (M.CALLER, M.CALLEE) if d == A else (M.CALLEE, M.CALLER)
        pkts.append((M.T0 + t, M.eth(M.ip4(s[0], r[0], 17, M.udp(s[1], r[1], data)), 0x0800)))
    M.write_pcap(sys.argv[1], 1, pkts)


if __name__ == "__main__":
    main()
