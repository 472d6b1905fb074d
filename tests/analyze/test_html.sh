#!/usr/bin/env bash
# sipreply analyze --html in a real headless browser (Debian's chromium): the page renders
# without script or console errors, refers to nothing outside itself, and its figures, call
# table and ladder diagram agree with --json; a screenshot is kept as a test artefact.
# usage: test_html.sh SIPREPLY SRCDIR ARTEFACT_DIR
set -u
cli=$1
src=$2
art=$3
for t in chromium python3; do
    command -v $t >/dev/null 2>&1 || { echo "SKIP: $t is not installed (make deps-test)"; exit 77; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sr-analyze-html.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
python3 "$src/tests/analyze/mkpcap.py" "$tmp/caps" || { echo "FAIL: mkpcap.py"; exit 1; }
mkdir -p "$art"
# chromium as root needs --no-sandbox; its own profile directory keeps parallel runs apart
chrome() {
    timeout 120 chromium --headless=new --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 \
        --virtual-time-budget=5000 "$@"
}
for cap in eth_udp.pcap tcp_ooo.pcap; do
    name=${cap%.pcap}
    "$cli" analyze --json --html "$tmp/$name.html" "$tmp/caps/$cap" >"$tmp/$name.json" ||
        { echo "FAIL: analyze --html $cap"; fails=$((fails + 1)); continue; }
    # call 5: the call whose INVITE was retransmitted (ordered by start time)
    chrome --dump-dom "file://$tmp/$name.html#call=5" >"$tmp/$name.dom" 2>"$tmp/$name.err" ||
        { echo "FAIL: chromium could not load the page"; tail -5 "$tmp/$name.err"; fails=$((fails + 1)); continue; }
    python3 "$src/tests/analyze/check_html.py" "$tmp/$name.json" "$tmp/$name.dom" \
        "$tmp/$name.err" "$tmp/$name.html" 5 || fails=$((fails + 1))
    chrome --screenshot="$art/analyze_$name.png" --window-size=1280,2400 \
        "file://$tmp/$name.html#call=5" >/dev/null 2>&1
    if [ -s "$art/analyze_$name.png" ]; then echo "ok: screenshot $art/analyze_$name.png"; else
        echo "FAIL: no screenshot"; fails=$((fails + 1)); fi
    cp "$tmp/$name.html" "$art/analyze_$name.html"
done
[ "$fails" -eq 0 ] && { echo "analyze html: all checks passed"; exit 0; }
echo "analyze html: $fails check(s) failed"
exit 1
