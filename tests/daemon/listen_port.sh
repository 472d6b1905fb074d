# Helpers of the sipreplyd transport tests (sourced after lib.sh): the ports a daemon started
# with port 0 reports, and one counter of its /metrics. Read from the log line "listening on
# PROTO:HOST:PORT" (main.c) for now; one place to change for --port-file.

# listen_port LOG udp|tcp
listen_port() {
    sed -n "s/.* listening on $2:127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p" "$1" | head -n 1
}

# metric LOG 'NAME{LABELS}': its value on the daemon's --metrics 127.0.0.1:0 endpoint (0 if
# absent)
metric() {
    local mp
    mp=$(sed -n 's/.* metrics at http:\/\/127\.0\.0\.1:\([0-9][0-9]*\)\/metrics.*/\1/p' "$1" | head -n 1)
    python3 - "$mp" "$2" <<'PY'
import sys, urllib.request
port, name = sys.argv[1], sys.argv[2]
body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
for line in body.splitlines():
    if line.startswith(name + " "):
        print(line.split()[-1]); break
else:
    print(0)
PY
}
