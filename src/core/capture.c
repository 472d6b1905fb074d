/* sipreply core: captured packets to SIP messages: link layers, IPv4/IPv6, UDP, the API.
 * RFC 791 (IPv4), RFC 8200 §4 (IPv6 extension headers), RFC 768 (UDP), RFC 3261 §7.1, §18.3. */
#include "capture_int.h"
#include "scan.h"

#define ETH_IPV4        0x0800
#define ETH_IPV6        0x86dd
#define MAX_VLAN_TAGS   8
#define MAX_EXT_HEADERS 16
#define MAX_START_LINE  4096

/* ------------------------------------------------------------------ SIP start line */

static bool is_token(unsigned char c)
{
    return sr__is(c, SR__C_TOKEN);
}

int sr_capture_is_sip_start(const char *p, size_t n)
{
    static const char ver[] = "SIP/2.0";
    if (!p)
        return 0;
    size_t lim = n < MAX_START_LINE ? n : MAX_START_LINE;
    /* a status line: "SIP/2.0 " 3DIGIT SP (RFC 3261 §7.2) */
    if (lim > 0 && p[0] == 'S') {
        size_t k = 0;
        static const char st[] = "SIP/2.0 ";
        if (lim >= 8 && memcmp(p, st, 8) == 0)
            k = 8; /* the usual status line in one comparison */
        while (k < 8 && k < lim && p[k] == st[k])
            k++;
        if (k == 8) {
            for (size_t i = 8; i < 12; i++) {
                if (i >= lim)
                    return SR_EAGAIN;
                bool ok = i < 11 ? sr__is((unsigned char)p[i], SR__C_DIGIT) : p[i] == ' ';
                if (!ok)
                    return 0;
            }
            return 1;
        }
        if (k == lim)
            return SR_EAGAIN;
        /* else perhaps a request whose method starts with S: fall through */
    }
    /* a request line: Method SP Request-URI SP SIP-Version CRLF (RFC 3261 §7.1) */
    size_t i = 0;
    while (i < lim && is_token((unsigned char)p[i]))
        i++;
    if (i == lim)
        return lim == n ? SR_EAGAIN : 0;
    if (i == 0 || p[i] != ' ')
        return 0;
    size_t u = ++i;
    i = sr__scan_spctl(p, i, lim); /* SR__C_NOSPCTL bytes, 16 per step (scan.h) */
    if (i == lim)
        return lim == n ? SR_EAGAIN : 0;
    if (i == u || p[i] != ' ')
        return 0;
    i++;
    if (lim - i >= 9 && memcmp(p + i, "SIP/2.0\r\n", 9) == 0)
        return 1; /* the usual version and line end in one comparison */
    for (size_t k = 0; k < 9; k++, i++) {
        if (i >= lim)
            return lim == n ? SR_EAGAIN : 0;
        char want = k < 7 ? ver[k] : (k == 7 ? '\r' : '\n');
        if (p[i] != want)
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ UDP */

static int udp(sr_capture *c, const cap_ip *ip, const uint8_t *p, size_t n, unsigned char *owned)
{
    if (n < 8) {
        c->st.udp_bad++;
        goto drop;
    }
    size_t ulen = sr__be16(p + 4);
    /* RFC 768: the length covers header and data. 0 is a jumbogram's (RFC 2675) or an
     * offloaded sender's: take the IP payload length then. */
    if (ulen == 0)
        ulen = n;
    if (ulen < 8 || ulen > n) {
        c->st.udp_bad++;
        goto drop;
    }
    const char *d = (const char *)p + 8;
    size_t dn = ulen - 8;
    /* RFC 5626 §4.4.1 keep-alives and §7.5 CRLFs before the start line */
    size_t lead = 0;
    while (lead < dn && (d[lead] == '\r' || d[lead] == '\n'))
        lead++;
    if (dn > 0 && lead == dn) {
        c->st.udp_keepalive++;
        goto drop;
    }
    if (sr_capture_is_sip_start(d + lead, dn - lead) != 1) {
        c->st.udp_not_sip++;
        goto drop;
    }
    sr_cap_msg *m = &c->dgram;
    memset(m, 0, sizeof *m);
    m->data = d + lead;
    m->len = dn - lead;
    if (!c->o.udp_unframed) {
        sr_frame f;
        ptrdiff_t r = sr_frame_datagram(d + lead, dn - lead, &c->fo, &f, NULL);
        if (r > 0)
            m->len = (size_t)r;
        else
            m->bad_framing = true;
    }
    m->ts_ns = c->pts_ns;
    m->transport = SR_CAP_UDP;
    m->reassembled = owned != NULL;
    sr__cap_addr(&m->src, ip->family, ip->src, sr__be16(p));
    sr__cap_addr(&m->dst, ip->family, ip->dst, sr__be16(p + 2));
    c->owned = owned;
    c->pend = PEND_DGRAM;
    c->st.udp_sip++;
    return 0;
drop:
    sr__free(c->alloc, owned);
    return 0;
}

int sr__cap_transport(sr_capture *c, const cap_ip *ip, const uint8_t *p, size_t n,
                      unsigned char *owned)
{
    if (ip->proto == 17)
        return udp(c, ip, p, n, owned);
    int rc = 0;
    if (ip->proto == 6)
        rc = sr__cap_tcp_segment(c, ip, p, n);
    else
        c->st.ip_other++;
    sr__free(c->alloc, owned); /* the stream copied what it keeps */
    return rc;
}

/* ------------------------------------------------------------------ IP */

/* A fragment or a whole datagram's payload, to reassembly or on to the transport. */
static int ip_payload(sr_capture *c, const cap_ip *ip, bool frag, uint32_t id, uint32_t off,
                      bool more, const uint8_t *p, size_t n)
{
    if (!frag)
        return sr__cap_transport(c, ip, p, n, NULL);
    unsigned char *whole = NULL;
    size_t wlen = 0;
    int r = sr__cap_frag_add(c, ip, id, off, more, p, n, &whole, &wlen);
    if (r < 0)
        return r;
    if (r == 0)
        return 0;
    c->st.frag_reassembled++;
    return sr__cap_transport(c, ip, whole, wlen, whole);
}

/* RFC 791 §3.1. */
static int ipv4(sr_capture *c, const uint8_t *p, size_t n)
{
    if (n < 20 || (p[0] >> 4) != 4) {
        c->st.ip_bad++;
        return 0;
    }
    size_t hl = (size_t)(p[0] & 0x0f) * 4;
    size_t tot = sr__be16(p + 2);
    /* a total length of 0 is what segmentation offload leaves in captures of big sends */
    if (tot == 0)
        tot = n;
    if (hl < 20 || tot < hl) {
        c->st.ip_bad++;
        return 0;
    }
    if (tot > n) {
        c->st.ip_truncated++;
        return 0;
    }
    cap_ip ip = {4, p + 12, p + 16, p[9]};
    uint16_t fl = sr__be16(p + 6);
    bool more = (fl & 0x2000) != 0;
    uint32_t off = (uint32_t)(fl & 0x1fff) * 8;
    if (!more && off == 0 && ip.proto == 17) /* the usual packet: straight to UDP */
        return udp(c, &ip, p + hl, tot - hl, NULL);
    return ip_payload(c, &ip, more || off > 0, sr__be16(p + 4), off, more, p + hl, tot - hl);
}

/* RFC 8200 §4: walk the extension headers to the upper layer, noting a Fragment header. */
static int ipv6(sr_capture *c, const uint8_t *p, size_t n)
{
    if (n < 40 || (p[0] >> 4) != 6) {
        c->st.ip_bad++;
        return 0;
    }
    size_t plen = sr__be16(p + 4);
    if (plen == 0) /* a jumbogram (RFC 2675) or offload: the captured rest */
        plen = n - 40;
    if (40 + plen > n) {
        c->st.ip_truncated++;
        return 0;
    }
    cap_ip ip = {6, p + 8, p + 24, p[6]};
    const uint8_t *q = p + 40;
    size_t qn = plen;
    bool frag = false, more = false;
    uint32_t id = 0, off = 0;
    for (int k = 0;; k++) {
        uint8_t nh = ip.proto;
        if (nh == 6 || nh == 17)
            break;
        if (nh != 0 && nh != 43 && nh != 44 && nh != 60 && nh != 51 && nh != 135) {
            c->st.ip_other++; /* ICMPv6, ESP, No Next Header (59), ... */
            return 0;
        }
        if (k == MAX_EXT_HEADERS || qn < 8 || (nh == 0 && k != 0)) {
            c->st.ip_ext_bad++; /* §4.3: Hop-by-Hop only first */
            return 0;
        }
        size_t el;
        if (nh == 44) {
            if (frag) {
                c->st.ip_ext_bad++; /* two Fragment headers */
                return 0;
            }
            frag = true;
            uint16_t fo = sr__be16(q + 2);
            off = (uint32_t)(fo >> 3) * 8;
            more = (fo & 1) != 0;
            id = sr__be32(q + 4);
            el = 8;
        } else if (nh == 51) {
            el = ((size_t)q[1] + 2) * 4; /* RFC 4302 §2.2 */
        } else {
            el = ((size_t)q[1] + 1) * 8;
        }
        if (el > qn) {
            c->st.ip_ext_bad++;
            return 0;
        }
        ip.proto = q[0];
        q += el;
        qn -= el;
        /* RFC 8200 §4.5: the headers after the Fragment header belong to the fragmentable
         * part: they are reassembled with the data, so the walk stops here */
        if (frag)
            break;
    }
    if (frag && !more && off == 0) /* an atomic fragment (RFC 6946): a whole datagram */
        frag = false;
    return ip_payload(c, &ip, frag, id, off, more, q, qn);
}

static int ip_by_version(sr_capture *c, const uint8_t *p, size_t n)
{
    if (n == 0) {
        c->st.ip_bad++;
        return 0;
    }
    if ((p[0] >> 4) == 4)
        return ipv4(c, p, n);
    if ((p[0] >> 4) == 6)
        return ipv6(c, p, n);
    c->st.ip_bad++;
    return 0;
}

static int by_ethertype(sr_capture *c, unsigned type, const uint8_t *p, size_t n)
{
    if (type == ETH_IPV4)
        return ipv4(c, p, n);
    if (type == ETH_IPV6)
        return ipv6(c, p, n);
    c->st.not_ip++;
    return 0;
}

/* VLAN tags after EtherType @p type (802.1Q 0x8100, 802.1ad 0x88a8, old QinQ 0x9100): each
 * is TCI(2) + the next EtherType(2); @p p is the byte after the first EtherType. */
static int vlan_chain(sr_capture *c, unsigned type, const uint8_t *p, size_t n)
{
    for (int k = 0; type == 0x8100 || type == 0x88a8 || type == 0x9100; k++) {
        if (n < 4 || k == MAX_VLAN_TAGS) {
            c->st.link_truncated++;
            return 0;
        }
        type = sr__be16(p + 2);
        p += 4;
        n -= 4;
    }
    return by_ethertype(c, type, p, n);
}

/* BSD loopback: AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD),
 * 30 (macOS) or 10 (Linux). */
static int loopback(sr_capture *c, uint32_t af, const uint8_t *p, size_t n)
{
    if (af == 2)
        return ipv4(c, p, n);
    if (af == 24 || af == 28 || af == 30 || af == 10)
        return ipv6(c, p, n);
    c->st.not_ip++;
    return 0;
}

static int link_layer(sr_capture *c, int link, const uint8_t *p, size_t n)
{
    switch (link) {
    case SR_CAP_LINK_ETHERNET:
        if (n < 14)
            break;
        if (sr__be16(p + 12) == ETH_IPV4) /* the usual frame: no tag */
            return ipv4(c, p + 14, n - 14);
        return vlan_chain(c, sr__be16(p + 12), p + 14, n - 14);
    case SR_CAP_LINK_LINUX_SLL: /* type(2) ARPHRD(2) addrlen(2) addr(8) protocol(2) */
        if (n < 16)
            break;
        return vlan_chain(c, sr__be16(p + 14), p + 16, n - 16);
    case SR_CAP_LINK_LINUX_SLL2: /* protocol(2) reserved(2) ifindex(4) ARPHRD(2) ... (20) */
        if (n < 20)
            break;
        return vlan_chain(c, sr__be16(p), p + 20, n - 20);
    case SR_CAP_LINK_NULL: {
        if (n < 4)
            break;
        /* the writer's byte order: a small value read the wrong way has its high half set */
        uint32_t af =
            (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        if (af & 0xffff0000u)
            af = sr__be32(p);
        return loopback(c, af, p + 4, n - 4);
    }
    case SR_CAP_LINK_LOOP:
        if (n < 4)
            break;
        return loopback(c, sr__be32(p), p + 4, n - 4);
    case SR_CAP_LINK_RAW: return ip_by_version(c, p, n);
    case SR_CAP_LINK_IPV4: return ipv4(c, p, n);
    case SR_CAP_LINK_IPV6: return ipv6(c, p, n);
    default: c->st.link_unsupported++; return 0;
    }
    c->st.link_truncated++;
    return 0;
}

/* ------------------------------------------------------------------ API */

int sr_capture_new(sr_capture **out, const sr_capture_opts *opts, const sr_allocator *alloc)
{
    if (!out)
        return SR_EINVAL;
    sr_capture *c = sr__malloc(alloc, sizeof *c);
    if (!c)
        return SR_ENOMEM;
    memset(c, 0, sizeof *c);
    c->alloc = alloc;
    if (opts)
        c->o = *opts;
    if (!c->o.frag_budget)
        c->o.frag_budget = (size_t)4 << 20;
    if (!c->o.frag_timeout_ns)
        c->o.frag_timeout_ns = 30000000000ull;
    if (!c->o.tcp_budget)
        c->o.tcp_budget = (size_t)64 << 20;
    if (!c->o.tcp_max_ooo)
        c->o.tcp_max_ooo = (size_t)256 << 10;
    if (!c->o.max_streams)
        c->o.max_streams = 65536;
    if (!c->o.tcp_idle_ns)
        c->o.tcp_idle_ns = 600000000000ull;
    if (!c->o.max_message)
        c->o.max_message = SR_FRAME_DEFAULT_MAX_HEADER + SR_FRAME_DEFAULT_MAX_BODY;
    c->fo.max_header_bytes = SR_FRAME_DEFAULT_MAX_HEADER < c->o.max_message
                                 ? SR_FRAME_DEFAULT_MAX_HEADER
                                 : c->o.max_message;
    c->fo.max_body_bytes = c->o.max_message;
    c->nbuckets = 1024;
    c->buckets = sr__malloc(alloc, c->nbuckets * sizeof *c->buckets);
    if (!c->buckets) {
        sr__free(alloc, c);
        return SR_ENOMEM;
    }
    memset(c->buckets, 0, c->nbuckets * sizeof *c->buckets);
    *out = c;
    return 0;
}

static void drop_pending(sr_capture *c)
{
    sr__free(c->alloc, c->owned);
    c->owned = NULL;
    c->pend = PEND_NONE;
    c->pstream = NULL;
}

void sr_capture_free(sr_capture *c)
{
    if (!c)
        return;
    drop_pending(c);
    sr__cap_frag_free_all(c);
    sr__cap_tcp_free_all(c);
    sr__free(c->alloc, c->buckets);
    sr__free(c->alloc, c);
}

int sr_capture_packet(sr_capture *c, int link, uint64_t ts_ns, const uint8_t *pkt, size_t len)
{
    if (!c || (!pkt && len > 0))
        return SR_EINVAL;
    drop_pending(c);
    if (ts_ns > c->now_ns)
        c->now_ns = ts_ns;
    c->pts_ns = ts_ns;
    c->st.packets++;
    c->st.bytes += len;
    sr__cap_frag_expire(c);
    sr__cap_tcp_expire(c);
    return link_layer(c, link, pkt, len);
}

int sr_capture_poll(sr_capture *c, sr_cap_msg *out)
{
    if (!c || !out)
        return SR_EINVAL;
    if (c->pend == PEND_DGRAM) {
        *out = c->dgram;
        c->pend = PEND_NONE; /* c->owned stays until the next packet */
        c->st.sip_messages++;
        return 1;
    }
    if (c->pend == PEND_STREAM && c->pstream) {
        int r = sr__cap_tcp_poll(c, c->pstream, out);
        if (r == 1) {
            out->ts_ns = c->pts_ns;
            c->st.sip_messages++;
            c->st.tcp_sip++;
            return 1;
        }
        c->pend = PEND_NONE;
        c->pstream = NULL;
    }
    return 0;
}

const sr_capture_stats *sr_capture_get_stats(const sr_capture *c)
{
    return c ? &c->st : NULL;
}

size_t sr_capture_held_bytes(const sr_capture *c)
{
    return c ? c->frag_bytes + c->tcp_bytes : 0;
}
