#!/usr/bin/env bash
# Install the Debian packages a make target needs (as root), or say what to install.
# usage: scripts/deps.sh build|test|bench|fuzz ...
set -u
pkgs_build="cmake make gcc pkg-config libcmocka-dev"
pkgs_build="$pkgs_build libyaml-dev"   # sipreplyd: the YAML configuration
pkgs_build="$pkgs_build libpcap-dev"   # sipreply analyze: pcap/pcapng files and live capture
pkgs_build="$pkgs_build libc-ares-dev"   # src/net: asynchronous DNS (RFC 3263 server location)
pkgs_build="$pkgs_build libsndfile1-dev"   # sipreplyd: WAV files of the media `file` mode
pkgs_build="$pkgs_build liburing-dev"   # src/net: a loop turn's media sends in one system call (io_uring)
pkgs_test="$pkgs_build clang libclang-rt-14-dev clang-format jq libssl-dev"
pkgs_test="$pkgs_test python3"   # sipreplyd integration test client (tests/daemon)
pkgs_bench="$pkgs_build valgrind libosip2-dev libsofia-sip-ua-dev"
pkgs_bench="$pkgs_bench kamailio jq"   # load benchmark (bench/load.sh): the peer, JSON
pkgs_bench="$pkgs_bench tshark python3"   # analyze benchmark (bench/analyze.sh): the peer, the capture
pkgs_bench="$pkgs_bench linux-perf"   # bench/syscalls.sh: system calls and context switches per call (perf stat)
pkgs_bench="$pkgs_bench sip-tester time"   # bench/load.sh paced row: SIPp paces the calls, /usr/bin/time its own CPU
pkgs_fuzz="$pkgs_build clang libclang-rt-14-dev"
# Later suites append here (interop: sip-tester tshark ...; daemon: libyaml-dev ...).
pkgs_test="$pkgs_test sip-tester tshark sipsak"   # interop suite: SIPp peer, capture dissection; the README's sipsak example
pkgs_test="$pkgs_test kamailio"   # interop: the proxy rewriting the Request-URI (digest test)
pkgs_test="$pkgs_test dnsmasq-base iproute2"   # net.dns: a real DNS server (no system service), loopback up in a private namespace
pkgs_test="$pkgs_test chromium"   # sipreply analyze --html: the report checked in a headless browser
pkgs_test="$pkgs_test baresip-core"   # interop.baresip.tone: a softphone hears a media tone rule and records it
[ -f scripts/deps.extra ] && . scripts/deps.extra

want=""
for profile in "$@"; do
  var="pkgs_$profile"
  [ -n "${!var+x}" ] || { echo "deps: unknown profile '$profile'" >&2; exit 2; }
  want="$want ${!var}"
done
missing=""
for p in $want; do
  case " $missing " in *" $p "*) continue ;; esac
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing Debian packages:$missing" >&2
  echo "deps: run as root, or: sudo apt-get install$missing" >&2
  exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark's wireshark-common asks whether non-root users may capture: no (CI captures as root)
case " $missing " in *" tshark "*)
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections ;;
esac
# One update per machine per day is enough; install retries once after a fresh update.
stamp=/var/lib/apt/periodic/sipreply-update-stamp
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
  apt-get update -qq && mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
# several builds may install at once: wait for the dpkg lock rather than fail
lock="-o DPkg::Lock::Timeout=300"
if ! apt-get install $lock -y -qq --no-install-recommends $missing >/tmp/sipreply-deps.log 2>&1; then
  apt-get update -qq
  apt-get install $lock -y -qq --no-install-recommends $missing || {
    echo "deps: apt-get install failed" >&2; exit 1; }
fi
exit 0
