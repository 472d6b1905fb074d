#!/usr/bin/env python3
"""sipreply analyze tests: compare `sipreply analyze --json` with `tshark -q -z sip,stat`.

usage: compare.py SIPREPLY CAPTURE [--expect EXPECTED.json] [--tshark-opt OPT]...

Checks that the number of SIP messages, of resent messages, of each request method and of
each response code are exactly tshark's. With --expect, also that the report's figures
(RFC 6076 metrics, calls, registrations) equal the known answers in that file, where a
number given as [value, tolerance] may differ by the tolerance. Exit 0 when all agree.
"""
import json
import re
import subprocess
import sys


def tshark_stat(capture, opts):
    cmd = ["tshark", "-n", "-q", "-o", "tcp.reassemble_out_of_order:TRUE"]
    for o in opts:
        cmd += o.split(" ", 1) if o.startswith("-d ") else ["-o", o]
    cmd += ["-z", "sip,stat", "-r", capture]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    st = {"messages": None, "resent": None, "codes": {}, "methods": {}}
    section = None
    for line in out.splitlines():
        m = re.match(r"Number of SIP messages: (\d+)", line)
        if m:
            st["messages"] = int(m.group(1))
        m = re.match(r"Number of resent SIP messages: (\d+)", line)
        if m:
            st["resent"] = int(m.group(1))
        if "SIP Status Codes" in line:
            section = "codes"
        elif "List of SIP Request methods" in line:
            section = "methods"
        elif line.startswith("*"):
            section = None
        m = re.match(r"\s+SIP (\d{3}) .*:\s+(\d+) Packets", line)
        if m and section == "codes":
            st["codes"][m.group(1)] = st["codes"].get(m.group(1), 0) + int(m.group(2))
        m = re.match(r"\s+(\S+)\s+:\s+(\d+) Packets", line)
        if m and section == "methods":
            st["methods"][m.group(1)] = int(m.group(2))
    return st, out


def get(d, path):
    for k in path.split("."):
        d = d[k] if isinstance(d, dict) else d[int(k)]
    return d


def flatten(prefix, v, out):
    if isinstance(v, dict):
        for k, x in v.items():
            flatten(prefix + "." + k if prefix else k, x, out)
    else:
        out[prefix] = v


def main():
    args = sys.argv[1:]
    sipreply, capture = args[0], args[1]
    expect, opts = None, []
    i = 2
    while i < len(args):
        if args[i] == "--expect":
            expect = args[i + 1]
        elif args[i] == "--tshark-opt":
            opts.append(args[i + 1])
        i += 2
    fails = []
    r = subprocess.run([sipreply, "analyze", "--json", "--no-progress", capture],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        print("FAIL: sipreply analyze exit %d: %s" % (r.returncode, r.stderr.strip()))
        return 1
    rep = json.loads(r.stdout)
    ts, raw = tshark_stat(capture, opts)
    if ts["messages"] is None:
        print("FAIL: no sip,stat output from tshark:\n" + raw)
        return 1
    mine = {"messages": rep["sip"]["messages"], "resent": rep["sip"]["resent"],
            "codes": rep["sip"]["responses"], "methods": rep["sip"]["requests"]}
    for k in ("messages", "resent"):
        if mine[k] != ts[k]:
            fails.append("%s: sipreply %s, tshark %s" % (k, mine[k], ts[k]))
    for k in ("codes", "methods"):
        for name in sorted(set(mine[k]) | set(ts[k])):
            a, b = mine[k].get(name, 0), ts[k].get(name, 0)
            if a != b:
                fails.append("%s %s: sipreply %d, tshark %d" % (k, name, a, b))
    if expect:
        with open(expect) as f:
            want = {}
            flatten("", json.load(f), want)
        for path, w in sorted(want.items()):
            try:
                got = get(rep, path)
            except (KeyError, IndexError, TypeError):
                fails.append("%s: missing from the report" % path)
                continue
            if isinstance(w, list):
                ok = got is not None and abs(got - w[0]) <= w[1]
            else:
                ok = got == w
            if not ok:
                fails.append("%s: got %r, want %r" % (path, got, w))
    name = capture.rsplit("/", 1)[-1]
    if fails:
        for f in fails:
            print("FAIL: %s: %s" % (name, f))
        return 1
    print("ok: %s: %d messages, %d resent, %d codes, %d methods agree with tshark%s" % (
        name, ts["messages"], ts["resent"], len(ts["codes"]), len(ts["methods"]),
        " and the known answers" if expect else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
