#!/usr/bin/env python3
"""sipreply analyze tests: the --html page as rendered by headless chromium agrees with --json.

usage: check_html.py REPORT.json DOM.html CHROME_STDERR PAGE.html CALL_INDEX
DOM.html is chromium's --dump-dom of PAGE.html#call=CALL_INDEX. Exit 0 when all agree.
"""
import json
import re
import sys
from html.parser import HTMLParser


class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elems = []  # (tag, attrs dict, text)
        self.stack = []

    def handle_starttag(self, tag, attrs):
        e = [tag, dict(attrs), ""]
        self.elems.append(e)
        if tag not in ("br", "meta", "path", "rect", "line", "img", "input"):
            self.stack.append(e)

    def handle_endtag(self, tag):
        while self.stack:
            e = self.stack.pop()
            if e[0] == tag:
                break

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2] += data

    def find(self, **kw):
        return [e for e in self.elems if all(e[1].get(k.replace("_", "-")) == v for k, v in kw.items())]


def main():
    rep_path, dom_path, err_path, page_path, call = sys.argv[1:6]
    call = int(call)
    with open(rep_path) as f:
        R = json.load(f)
    d = Dom()
    with open(dom_path, encoding="utf-8") as f:
        d.feed(f.read())
    fails = []

    def check(what, got, want):
        if str(got) != str(want):
            fails.append("%s: page %r, JSON %r" % (what, got, want))

    body = [e for e in d.elems if e[0] == "body"]
    check("rendered", body and body[0][1].get("data-rendered"), "1")
    check("script errors", body and body[0][1].get("data-errors"), "0")
    with open(err_path, errors="replace") as f:
        console = [l for l in f if "CONSOLE" in l or "Uncaught" in l]
    if console:
        fails.append("console messages: " + " | ".join(l.strip() for l in console[:5]))
    # self-contained: no external script, style sheet, image or fetch target
    with open(page_path, encoding="utf-8") as f:
        page = f.read()
    ext = [u for u in re.findall(r"https?://[^\s\"'<>]+", page) if u != "http://www.w3.org/2000/svg"]
    if ext or re.search(r"<(script|link|img)[^>]+(src|href)=", page):
        fails.append("the page refers to outside resources: %r" % ext[:3])

    fmt = lambda v: "-" if v is None else "%.2f" % v
    figs = {"fig-messages": R["sip"]["messages"], "fig-resent": R["sip"]["resent"],
            "fig-calls": R["calls"]["total"], "fig-packets": R["capture"]["packets"],
            "fig-ser": fmt(R["metrics"]["ser"]["percent"]),
            "fig-asr": fmt(R["metrics"]["asr"]["percent"]),
            "fig-ner": fmt(R["metrics"]["ner"]["percent"])}
    for fid, want in figs.items():
        e = d.find(id=fid)
        check(fid, e[0][2].strip() if e else None, want)
    for c in R["classes"]:
        e = d.find(data_class=c["class"])
        check("class " + c["class"], e[0][2] if e else None, c["count"])
    tl = sum(sum(v) for k, v in R["timeline"].items() if k.endswith("xx"))
    svgs = [e for e in d.elems if e[0] == "svg"]
    tls = [e for e in svgs if "data-total" in e[1]]
    check("responses over time", tls[0][1]["data-total"] if tls else None, tl)
    check("post-dial delay histogram", tls[1][1]["data-total"] if len(tls) > 1 else None,
          sum(R["metrics"]["post_dial_delay_histogram"]))
    rows = [e for e in d.elems if e[0] == "tr" and "data-index" in e[1]]
    check("calls listed", len(rows), R["calls"]["listed"])
    for k in ("ser", "seer", "isa", "scr", "asr", "ner"):
        e = d.find(data_metric=k)
        check("metric " + k, e[0][1].get("data-percent") if e else None, fmt(R["metrics"][k]["percent"]))
    lad = [e for e in svgs if "data-call" in e[1]]
    c = R["calls"]["list"][call]
    check("ladder call", lad[0][1]["data-call"] if lad else None, c["call_id"])
    check("ladder arrows", lad[0][1]["data-events"] if lad else None, len(c["ladder"]["events"]))
    arrows = [e for e in d.elems if e[0] == "g" and "arrow" in e[1].get("class", "")]
    check("ladder arrows drawn", len(arrows), len(c["ladder"]["events"]))
    if fails:
        for f in fails:
            print("FAIL: html: " + f)
        return 1
    print("ok: html: rendered without script or console error, self-contained; figures, "
          "%d classes, %d calls and the ladder of call %d (%d arrows) agree with the JSON"
          % (len(R["classes"]), len(rows), call, len(arrows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
