#!/bin/sh
# net.dns: the RFC 3263 resolver against a real DNS server (dnsmasq) on 127.0.0.1.
# usage: dns_test.sh PROGRAM [ARG...]   (runs PROGRAM 127.0.0.1:53 ARG...)
#
# Race-free by construction (tests/daemon/netns.sh): a private user and network namespace,
# dnsmasq answering before PROGRAM starts.
set -u
prog=$1
. "$(dirname "$0")/../daemon/netns.sh"
netns_enter dns_test SN_DNS_NETNS "$0" "$@"
dir=$(mktemp -d) || exit 1
trap 'dns_stop "$dir"; rm -rf "$dir"' EXIT
z=sr.test
dns_start "$dir" dns_test \
    --naptr-record=naptr.$z,20,10,S,SIP+D2U,,_sip._udp.naptr.$z \
    --naptr-record=naptr.$z,10,50,S,SIP+D2T,,_sip._tcp.naptr.$z \
    --naptr-record=naptr.$z,10,20,S,SIPS+D2T,,_sips._tcp.naptr.$z \
    --naptr-record=naptr.$z,5,1,S,SIP+D2S,,_sip._sctp.naptr.$z \
    --srv-host=_sips._tcp.naptr.$z,tls.naptr.$z,5061,0,0 \
    --srv-host=_sip._tcp.naptr.$z,tcp.naptr.$z,5070,0,0 \
    --srv-host=_sip._udp.naptr.$z,udp.naptr.$z,5080,0,0 \
    --srv-host=_sip._sctp.naptr.$z,sctp.naptr.$z,5090,0,0 \
    --host-record=tls.naptr.$z,127.0.1.1 \
    --host-record=tcp.naptr.$z,127.0.1.2,fd00::12 \
    --host-record=udp.naptr.$z,127.0.1.3 \
    --host-record=sctp.naptr.$z,127.0.1.4 \
    --host-record=naptr.$z,127.0.3.1 \
    \
    --naptr-record=tlsonly.$z,10,10,S,SIPS+D2T,,_sips._tcp.tlsonly.$z \
    --srv-host=_sips._tcp.tlsonly.$z,t.tlsonly.$z,5061,0,0 \
    --srv-host=_sip._udp.tlsonly.$z,u.tlsonly.$z,5060,0,0 \
    --host-record=t.tlsonly.$z,127.0.6.1 \
    --host-record=u.tlsonly.$z,127.0.6.2 \
    \
    --naptr-record=nosrv.$z,10,10,S,SIP+D2T,,_sip._tcp.nosrv.$z \
    --host-record=nosrv.$z,127.0.4.1 \
    \
    --srv-host=_sip._udp.srv.$z,b.srv.$z,5060,10,40 \
    --srv-host=_sip._udp.srv.$z,a.srv.$z,5060,10,60 \
    --srv-host=_sip._udp.srv.$z,c.srv.$z,5064,5,0 \
    --srv-host=_sip._tcp.srv.$z,d.srv.$z,5062,1,0 \
    --srv-host=_sip._tcp.srv.$z,gone.srv.$z,5063,2,0 \
    --host-record=a.srv.$z,127.0.5.1 \
    --host-record=b.srv.$z,127.0.5.2 \
    --host-record=c.srv.$z,127.0.5.3 \
    --host-record=d.srv.$z,127.0.5.4 \
    \
    --host-record=plain.$z,127.0.2.1,fd00::21 \
    --host-record=peer.$z,127.0.0.1
shift
"$prog" 127.0.0.1:53 "$@"
rc=$?
[ $rc -ne 0 ] && tail -50 "$dir/dns.log"
exit $rc
