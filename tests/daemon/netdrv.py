#!/usr/bin/env python3
"""Drivers of sipreplyd's transport tests (loopback only, bounded counts and waits).

usage: netdrv.py slow HOST PORT           a trickling connection is closed (message deadline)
       netdrv.py persource HOST PORT N     open N idle connections, print how many stay open
       netdrv.py full HOST PORT N          N trickling connections fill the table; a new
                                           client must still get its answer
       netdrv.py reflect HOST PORT N [--ack] [--sdp] [--serial] [--wait S] [--user U]
                                           N INVITEs from one UDP socket; print the bytes and
                                           datagrams that came back
       netdrv.py reuse HOST PORT [--wait S] a TCP caller leaves after the 200; count the
                                           connections its Via address receives
Each prints "key=value" lines; exit 0 when the run itself worked (the script judges).
"""
import os, random, select, socket, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipc import SDP, build, parse  # noqa: E402


def rnd(n=16):
    return "%0*x" % (n, random.getrandbits(4 * n))


def closed(s):
    """True when the peer closed @p s (EOF or reset), without waiting."""
    try:
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            return False
        return s.recv(4096) == b""
    except OSError:
        return True


def wait_closed(s, bound):
    end = time.time() + bound
    while time.time() < end:
        if closed(s):
            return True
        time.sleep(0.05)
    return False


def connect(host, port):
    return socket.create_connection((host, port), timeout=5)


def options(uri, lh, lp, tp):
    return build("OPTIONS", uri, lh, lp, tp, "z9hG4bK" + rnd(), rnd() + "@netdrv", 1, rnd(8), [])


def cmd_slow(host, port):
    # a message trickled a byte every 100 ms never completes: closed by the message deadline
    # although each byte arrives well within any idle timeout
    s = connect(host, port)
    msg = options(f"sip:x@{host}", "127.0.0.1", s.getsockname()[1], "tcp")
    start = time.time()
    for i in range(len(msg) - 1):  # never the last byte
        try:
            s.sendall(msg[i:i + 1])
        except OSError:
            break
        if closed(s) or time.time() - start > 8:
            break
        time.sleep(0.1)
    gone = wait_closed(s, 0.5) or closed(s)
    print(f"closed={int(gone)}")
    print(f"seconds={time.time() - start:.1f}")
    s.close()
    return 0


def cmd_persource(host, port, n):
    socks = [connect(host, port) for _ in range(n)]
    time.sleep(0.5)
    open_ = sum(1 for s in socks if not closed(s))
    print(f"open={open_}")
    for s in socks:
        s.close()
    return 0


def cmd_full(host, port, n):
    # n connections, each with the start of a message and a byte now and then
    socks = []
    for _ in range(n):
        s = connect(host, port)
        s.sendall(b"OPT")
        socks.append(s)
        time.sleep(0.02)
    time.sleep(0.3)
    c = connect(host, port)
    lp = c.getsockname()[1]
    c.sendall(options(f"sip:x@{host}", "127.0.0.1", lp, "tcp"))
    c.settimeout(3)
    data = b""
    end = time.time() + 3
    while b"\r\n\r\n" not in data and time.time() < end:
        try:
            d = c.recv(65535)
        except OSError:  # a timeout, or the connection refused
            break
        if not d:
            break
        data += d
    answered = data.startswith(b"SIP/2.0 ")
    print(f"answered={int(answered)}")
    print(f"status={parse(data)[0] if answered else '-'}")
    print(f"first_closed={int(wait_closed(socks[0], 2))}")
    print(f"closed={sum(1 for s in socks if closed(s))}")
    for s in socks + [c]:
        s.close()
    return 0


def cmd_reflect(host, port, n, ack, wait, user, sdp, serial):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    lp = u.getsockname()[1]
    st = {"sent": 0, "got_bytes": 0, "got": 0, "finals": 0}
    answered = set()  # Call-IDs that got a final
    calls = {}

    def pump(until, callid_final=None):
        """Read (and ACK) until @p until, or until a final for @p callid_final arrives."""
        while time.time() < until:
            r, _, _ = select.select([u], [], [], max(0.0, until - time.time()))
            if not r:
                return
            d = u.recv(65535)
            st["got_bytes"] += len(d)
            st["got"] += 1
            sl, hdrs, _ = parse(d)
            if not sl.startswith("SIP/2.0 "):
                # a request from the daemon: the BYE that ends a dialog whose 2xx was never
                # ACKed (RFC 3261 13.3.1.4); its bytes count, as everything sent to us
                continue
            code = int(sl.split()[1])
            if code < 200 or not ack:
                continue
            st["finals"] += 1
            callid = hdrs.get("call-id", hdrs.get("i", [""]))[0]
            to = hdrs.get("to", hdrs.get("t", [""]))[0]
            if callid not in calls:
                continue
            answered.add(callid)
            # RFC 3261 17.1.1.3: the ACK for a non-2xx has the INVITE's Via; for a 2xx, a
            # new branch (13.2.2.4)
            branch, req = calls[callid]
            via = req.split(b"\r\n")[1].decode()
            if code < 300:
                via = via.replace(branch, "z9hG4bK" + rnd(8))
            a = (f"ACK sip:{user}@x SIP/2.0\r\n{via}\r\nf: <sip:a@b>;tag=1\r\nt: {to}\r\n"
                 f"i: {callid}\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\n\r\n").encode()
            u.sendto(a, (host, port))
            st["sent"] += len(a)
            if callid == callid_final:
                return
            # every call answered (and ACKed): the wait is a bound, not a measure
            if callid_final is None and len(answered) == len(calls):
                return

    for i in range(n):
        branch = "z9hG4bK" + rnd(8)
        callid = rnd(8)
        # a minimal INVITE (compact headers, no body): what a spoofer sends
        req = (f"INVITE sip:{user}@x SIP/2.0\r\nv: SIP/2.0/UDP x;rport;branch={branch}\r\n"
               f"f: <sip:a@b>;tag=1\r\nt: <sip:b@c>\r\ni: {callid}\r\nCSeq: 1 INVITE\r\n"
               f"Max-Forwards: 70\r\n\r\n").encode()
        if sdp:  # a caller's INVITE: with Contact and an SDP offer (what SIPp sends)
            req = build("INVITE", f"sip:{user}@x", "127.0.0.1", lp, "udp", branch, callid, 1,
                        "1", [], SDP)
        calls[callid] = (branch, req)
        u.sendto(req, (host, port))
        st["sent"] += len(req)
        if serial:  # one call at a time: its final (and ACK) before the next INVITE
            pump(time.time() + 2, callid)
    pump(time.time() + wait)  # with --ack: until every call is answered, at most @p wait
    print(f"request_bytes={len(calls[next(iter(calls))][1])}")
    print(f"sent_bytes={st['sent']}")
    print(f"received_bytes={st['got_bytes']}")
    print(f"received_datagrams={st['got']}")
    print(f"finals={st['finals']}")
    print(f"calls_answered={len(answered)}")
    return 0


def cmd_reuse(host, port, wait):
    # our Via address: a listener the daemon must connect to once the caller's connection
    # is gone (RFC 3261 18.2.2), and then reuse for every 2xx retransmission (13.3.1.4)
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(16)
    lp = lsn.getsockname()[1]
    c = connect(host, port)
    uri = f"sip:200@{host}"
    req = build("INVITE", uri, "127.0.0.1", lp, "tcp", "z9hG4bK" + rnd(), rnd() + "@netdrv",
                1, rnd(8), [])
    c.sendall(req)
    c.settimeout(3)
    data = b""
    end = time.time() + 3
    while b" 200 " not in data.split(b"\r\n", 1)[0] and time.time() < end:
        try:
            d = c.recv(65535)
        except OSError:
            break
        if not d:
            break
        data += d
        while b"\r\n\r\n" in data and not data.startswith(b"SIP/2.0 200"):
            data = data[data.find(b"\r\n\r\n") + 4:]  # a provisional: skip it
    got200 = data.startswith(b"SIP/2.0 200")
    c.close()  # no ACK: the 2xx is retransmitted
    accepted = []
    n_accepted = received = 0
    end = time.time() + wait
    while time.time() < end:
        r, _, _ = select.select([lsn] + accepted, [], [], max(0.0, end - time.time()))
        for s in r:
            if s is lsn:
                a, _ = lsn.accept()
                accepted.append(a)
                n_accepted += 1
                continue
            try:
                d = s.recv(65535)
            except OSError:
                d = b""
            if not d:
                accepted.remove(s)
                s.close()
                continue
            received += d.count(b"SIP/2.0 200")
        if not r:
            break
    print(f"got200={int(got200)}")
    for s in accepted:
        s.close()
    lsn.close()
    print(f"accepted={n_accepted}")
    print(f"retransmissions={received}")
    return 0


def main():
    a = sys.argv[1:]
    if len(a) < 3:
        print(__doc__)
        return 2
    cmd, host, port = a[0], a[1], int(a[2])
    opts = a[3:]

    def opt(name, default):
        return type(default)(opts[opts.index(name) + 1]) if name in opts else default
    if cmd == "slow":
        return cmd_slow(host, port)
    if cmd == "persource":
        return cmd_persource(host, port, int(opts[0]))
    if cmd == "full":
        return cmd_full(host, port, int(opts[0]))
    if cmd == "reflect":
        return cmd_reflect(host, port, int(opts[0]), "--ack" in opts, opt("--wait", 5.0),
                           opt("--user", "180"), "--sdp" in opts, "--serial" in opts)
    if cmd == "reuse":
        return cmd_reuse(host, port, opt("--wait", 4.0))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
