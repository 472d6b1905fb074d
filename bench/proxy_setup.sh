# sipreply benchmarks: the proxy row's daemons for the scripts that run one proxy alone
# (bench/proxy_profile.sh, bench/proxy_overload.sh). Sourced, with T (a scratch folder) and
# LOG (a folder for the daemons' output) set and the working directory at the tree's root.
#
# proxy_responder: a stateless responder (sipreplyd, 486 to INVITE user 486, 200 to OPTIONS)
#   on 127.0.0.2, port 0, pinned to CPU 1; sets BE (its pid) and BP (its port), and writes
#   $T/px.yaml, a `forward` rule to it (the Request-URI's user kept).
# proxy_sipreplyd BINARY: that sipreplyd as the proxy on 127.0.0.1, port 0, pinned to CPU 0,
#   with bench/load.sh's sipreplyd-proxy options; sets PX and PP.

proxy_port() { # the UDP port a --port-file names, once written
  for _ in $(seq 50); do [ -s "$1" ] && break; sleep 0.1; done
  awk '$1 == "udp" {print $3}' "$1"
}

proxy_responder() {
  cat >"$T/be.yaml" <<'Y'
rules:
  - name: busy
    match: {method: INVITE, user: "486"}
    stateless: 486
  - name: options
    match: {method: OPTIONS}
    stateless: 200
Y
  taskset -c 1 build-bench/sipreplyd -q -l udp:127.0.0.2:0 --port-file "$T/be.ports" \
    -c "$T/be.yaml" >"$LOG/responder.log" 2>&1 &
  BE=$!
  BP=$(proxy_port "$T/be.ports")
  cat >"$T/px.yaml" <<Y
rules:
  - name: proxy
    match: {method: INVITE}
    forward: "sip:{{user}}@127.0.0.2:$BP"
  - name: options
    match: {method: OPTIONS}
    stateless: 200
Y
}

proxy_sipreplyd() {
  taskset -c 0 "$1" -q -l udp:127.0.0.1:0 --port-file "$T/px.ports" -c "$T/px.yaml" \
    --max-transactions 8000000 --max-memory 8589934592 --reflection-budget 0 \
    >"$LOG/proxy.log" 2>&1 &
  PX=$!
  PP=$(proxy_port "$T/px.ports")
}
