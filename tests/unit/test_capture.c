/* sipreply tests: the capture decoder's link, IP, fragment and UDP layers (capture.h).
 * Packets built byte by byte: every link type, IPv6 extension headers, reassembly, bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "capture_pkt.h"

static const char INVITE[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n"
                             "Max-Forwards: 70\r\n"
                             "To: <sip:bob@example.com>\r\n"
                             "From: <sip:alice@example.com>;tag=1928301774\r\n"
                             "Call-ID: a84b4c76e66710@192.0.2.1\r\n"
                             "CSeq: 314159 INVITE\r\n"
                             "Content-Length: 0\r\n\r\n";

static const char OK200[] = "SIP/2.0 200 OK\r\n"
                            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n"
                            "To: <sip:bob@example.com>;tag=a6c85cf\r\n"
                            "From: <sip:alice@example.com>;tag=1928301774\r\n"
                            "Call-ID: a84b4c76e66710@192.0.2.1\r\n"
                            "CSeq: 314159 INVITE\r\n"
                            "Content-Length: 0\r\n\r\n";

static sr_capture *new_cap(const sr_capture_opts *o)
{
    sr_capture *c = NULL;
    assert_int_equal(sr_capture_new(&c, o, tu_allocator()), 0);
    return c;
}

/* Feed one packet; return the number of messages polled, the last one in *m. */
static int feed(sr_capture *c, int link, uint64_t ts, const pk *p, sr_cap_msg *m)
{
    assert_int_equal(sr_capture_packet(c, link, ts, p->b, p->n), 0);
    int k = 0;
    sr_cap_msg tmp;
    while (sr_capture_poll(c, m ? m : &tmp) == 1)
        k++;
    return k;
}

/* An IPv4/UDP datagram 192.0.2.1:5060 -> 192.0.2.5:5062 carrying @p text. */
static void udp4(pk *ip, const char *text)
{
    pk u = {.n = 0};
    pk_udp(&u, 5060, 5062, text, strlen(text));
    ip->n = 0;
    pk_ip4(ip, PK_A4, PK_B4, 17, 1, 0, &u);
}

static void assert_msg(const sr_cap_msg *m, const char *text, uint8_t family)
{
    assert_int_equal(m->len, strlen(text));
    assert_memory_equal(m->data, text, m->len);
    assert_int_equal(m->src.family, family);
    assert_int_equal(m->dst.family, family);
    assert_int_equal(m->src.port, 5060);
    assert_int_equal(m->dst.port, 5062);
    assert_memory_equal(m->src.ip, family == 4 ? PK_A4 : PK_A6, family == 4 ? 4 : 16);
    assert_memory_equal(m->dst.ip, family == 4 ? PK_B4 : PK_B6, family == 4 ? 4 : 16);
}

/* ------------------------------------------------------------------ start line */

static void test_start_line(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int want;
    } v[] = {
        {"SIP/2.0 200 OK\r\n", 1},
        {"SIP/2.0 180 ", 1},
        {"SIP/2.0 18", SR_EAGAIN},
        {"SIP/2.", SR_EAGAIN},
        {"SIP/2.0 2x0 OK", 0},
        {"SIP/2.0 200OK", 0},
        {"INVITE sip:a@b SIP/2.0\r\n", 1},
        {"SUBSCRIBE sip:a@b SIP/2.0\r\n", 1},
        {"INVITE sip:a@b SIP/2.0", SR_EAGAIN},
        {"INVITE sip:a@b SIP/2.0\n", 0},
        {"INVITE sip:a@b HTTP/1.1\r\n", 0},
        {"GET / HTTP/1.1\r\n", 0},
        {"INVITE  sip:a@b SIP/2.0\r\n", 0},
        {"INVITE", SR_EAGAIN},
        {"", SR_EAGAIN},
        {"\x16\x03\x01\x02\x00", 0},
        {"HTTP/1.1 200 OK\r\n", 0},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t n = strlen(v[i].s);
        char *g = tu_guarded_copy(v[i].s, n);
        int got = sr_capture_is_sip_start(g, n);
        tu_guarded_free(g, n);
        if (got != v[i].want)
            fail_msg("start line %zu \"%s\": got %d want %d", i, v[i].s, got, v[i].want);
    }
    /* a request line longer than 4096 bytes is never a start line */
    static char big[5000];
    memset(big, 'a', sizeof big);
    memcpy(big, "INVITE sip:", 11);
    assert_int_equal(sr_capture_is_sip_start(big, sizeof big), 0);
    assert_int_equal(sr_capture_is_sip_start(big, 4000), SR_EAGAIN);
}

/* ------------------------------------------------------------------ link types */

static void test_ethernet_udp(void **state)
{
    (void)state;
    sr_capture *c = new_cap(NULL);
    pk ip, fr = {.n = 0};
    udp4(&ip, INVITE);
    pk_eth(&fr, 0x0800, &ip);
    sr_cap_msg m;
    assert_int_equal(feed(c, SR_CAP_LINK_ETHERNET, 1500000000123456789ull, &fr, &m), 1);
    assert_msg(&m, INVITE, 4);
    assert_int_equal(m.transport, SR_CAP_UDP);
    assert_int_equal(m.ts_ns, 1500000000123456789ull);
    assert_false(m.reassembled);
    assert_false(m.bad_framing);
    /* Ethernet padding after the IP datagram is ignored */
    fr.n = 0;
    pk_eth(&fr, 0x0800, &ip);
    memset(fr.b + fr.n, 0, 20);
    fr.n += 20;
    assert_int_equal(feed(c, SR_CAP_LINK_ETHERNET, 2, &fr, &m), 1);
    assert_msg(&m, INVITE, 4);
    const sr_capture_stats *st = sr_capture_get_stats(c);
    assert_int_equal(st->packets, 2);
    assert_int_equal(st->udp_sip, 2);
    assert_int_equal(st->sip_messages, 2);
    sr_capture_free(c);
}

static void test_vlan(void **state)
{
    (void)state;
    sr_capture *c = new_cap(NULL);
    pk ip, fr;
    udp4(&ip, OK200);
    static const unsigned tags[][3] = {
        {0x8100, 0, 0}, {0x88a8, 0x8100, 0}, {0x9100, 0x8100, 0x8100}};
    for (size_t t = 0; t < 3; t++) {
        fr.n = 0;
        static const uint8_t macs[12] = {0};
        pk_put(&fr, macs, 12);
        for (size_t k = 0; k < 3 && tags[t][k]; k++) {
            pk_u16(&fr, tags[t][k]);
            pk_u16(&fr, 100 + (unsigned)k); /* TCI: VLAN id */
        }
        pk_u16(&fr, 0x0800);
        pk_put(&fr, ip.b, ip.n);
        sr_cap_msg m;
        assert_int_equal(feed(c, SR_CAP_LINK_ETHERNET, 1, &fr, &m), 1);
        assert_msg(&m, OK200, 4);
    }
    /* a tag cut short */
    fr.n = 0;
    static const uint8_t macs[12] = {0};
    pk_put(&fr, macs, 12);
    pk_u16(&fr, 0x8100);
    pk_u16(&fr, 1);
    assert_int_equal(feed(c, SR_CAP_LINK_ETHERNET, 1, &fr, NULL), 0);
    assert_int_equal(sr_capture_get_stats(c)->link_truncated, 1);
    sr_capture_free(c);
}

static void test_cooked_and_loopback(void **state)
{
    (void)state;
    sr_capture *c = new_cap(NULL);
    pk ip, fr;
    udp4(&ip, INVITE);
    sr_cap_msg m;
    /* Linux cooked v1: packet type, ARPHRD, address length, address (8), protocol */
    fr.n = 0;
    pk_u16(&fr, 0);
    pk_u16(&fr, 772);
    pk_u16(&fr, 6);
    pk_u32(&fr, 0);
    pk_u32(&fr, 0);
    pk_u16(&fr, 0x0800);
    pk_put(&fr, ip.b, ip.n);
    assert_int_equal(feed(c, SR_CAP_LINK_LINUX_SLL, 1, &fr, &m), 1);
    assert_msg(&m, INVITE, 4);
    /* Linux cooked v2: protocol, reserved, ifindex, ARPHRD, type, address length, address */
    fr.n = 0;
    pk_u16(&fr, 0x0800);
    pk_u16(&fr, 0);
    pk_u32(&fr, 1);
    pk_u16(&fr, 772);
    pk_u8(&fr, 0);
    pk_u8(&fr, 6);
    pk_u32(&fr, 0);
    pk_u32(&fr, 0);
    pk_put(&fr, ip.b, ip.n);
    assert_int_equal(feed(c, SR_CAP_LINK_LINUX_SLL2, 1, &fr, &m), 1);
    assert_msg(&m, INVITE, 4);
    /* BSD null: AF_INET in either byte order */
    for (int le = 0; le < 2; le++) {
        fr.n = 0;
        if (le)
            pk_u32(&fr, 0x02000000u);
        else
            pk_u32(&fr, 2);
        pk_put(&fr, ip.b, ip.n);
        assert_int_equal(feed(c, SR_CAP_LINK_NULL, 1, &fr, &m), 1);
        assert_msg(&m, INVITE, 4);
    }
    /* OpenBSD loop: network byte order */
    fr.n = 0;
    pk_u32(&fr, 2);
    pk_put(&fr, ip.b, ip.n);
    assert_int_equal(feed(c, SR_CAP_LINK_LOOP, 1, &fr, &m), 1);
    /* raw IP */
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip, &m), 1);
    assert_int_equal(feed(c, SR_CAP_LINK_IPV4, 1, &ip, &m), 1);
    /* an IPv6 datagram under the null link with each BSD AF_INET6 value */
    pk u = {.n = 0}, ip6 = {.n = 0};
    pk_udp(&u, 5060, 5062, INVITE, strlen(INVITE));
    pk_ip6(&ip6, PK_A6, PK_B6, 17, &u);
    static const uint32_t af6[] = {24, 28, 30, 10};
    for (size_t i = 0; i < 4; i++) {
        fr.n = 0;
        pk_u32(&fr, af6[i]);
        pk_put(&fr, ip6.b, ip6.n);
        assert_int_equal(feed(c, SR_CAP_LINK_NULL, 1, &fr, &m), 1);
        assert_msg(&m, INVITE, 6);
    }
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip6, &m), 1);
    assert_int_equal(feed(c, SR_CAP_LINK_IPV6, 1, &ip6, &m), 1);
    /* unknown AF, unknown link type, short headers */
    fr.n = 0;
    pk_u32(&fr, 7);
    pk_put(&fr, ip.b, ip.n);
    assert_int_equal(feed(c, SR_CAP_LINK_NULL, 1, &fr, NULL), 0);
    assert_int_equal(feed(c, 147, 1, &ip, NULL), 0);
    static const int links[] = {SR_CAP_LINK_ETHERNET, SR_CAP_LINK_LINUX_SLL, SR_CAP_LINK_LINUX_SLL2,
                                SR_CAP_LINK_NULL, SR_CAP_LINK_LOOP};
    for (size_t i = 0; i < 5; i++) {
        fr.n = 3;
        memset(fr.b, 0, 3);
        assert_int_equal(feed(c, links[i], 1, &fr, NULL), 0);
    }
    const sr_capture_stats *st = sr_capture_get_stats(c);
    assert_int_equal(st->not_ip, 1);
    assert_int_equal(st->link_unsupported, 1);
    assert_int_equal(st->link_truncated, 5);
    assert_int_equal(st->udp_sip, 13);
    sr_capture_free(c);
}

/* ------------------------------------------------------------------ IP */

static void test_ipv6_ext_headers(void **state)
{
    (void)state;
    sr_capture *c = new_cap(NULL);
    pk u = {.n = 0}, rest = {.n = 0}, ip6 = {.n = 0};
    sr_cap_msg m;
    pk_udp(&u, 5060, 5062, OK200, strlen(OK200));
    /* Hop-by-Hop (8 bytes) -> Destination Options (16 bytes) -> Routing (8) -> UDP */
    pk_u8(&rest, 60);
    pk_u8(&rest, 0);
    pk_u16(&rest, 0x0100); /* PadN */
    pk_u32(&rest, 0);
    pk_u8(&rest, 43);
    pk_u8(&rest, 1);
    for (int i = 0; i < 14; i++)
        pk_u8(&rest, 0);
    pk_u8(&rest, 17);
    pk_u8(&rest, 0);
    pk_u16(&rest, 0);
    pk_u32(&rest, 0);
    pk_put(&rest, u.b, u.n);
    pk_ip6(&ip6, PK_A6, PK_B6, 0, &rest);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip6, &m), 1);
    assert_msg(&m, OK200, 6);
    /* Hop-by-Hop not first: malformed */
    ip6.n = 0;
    rest.b[0] = 0; /* the HbH's next header: HbH again */
    pk_ip6(&ip6, PK_A6, PK_B6, 0, &rest);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip6, NULL), 0);
    /* an extension header longer than the payload */
    rest.n = 0;
    pk_u8(&rest, 17);
    pk_u8(&rest, 200);
    pk_u16(&rest, 0);
    pk_u32(&rest, 0);
    ip6.n = 0;
    pk_ip6(&ip6, PK_A6, PK_B6, 60, &rest);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip6, NULL), 0);
    /* ICMPv6 and No Next Header */
    ip6.n = 0;
    pk_ip6(&ip6, PK_A6, PK_B6, 58, &u);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip6, NULL), 0);
    ip6.n = 0;
    pk_ip6(&ip6, PK_A6, PK_B6, 59, &u);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip6, NULL), 0);
    /* an atomic fragment (RFC 6946): offset 0, M=0 */
    rest.n = 0;
    pk_u8(&rest, 17);
    pk_u8(&rest, 0);
    pk_u16(&rest, 0);
    pk_u32(&rest, 77);
    pk_put(&rest, u.b, u.n);
    ip6.n = 0;
    pk_ip6(&ip6, PK_A6, PK_B6, 44, &rest);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip6, &m), 1);
    assert_false(m.reassembled);
    const sr_capture_stats *st = sr_capture_get_stats(c);
    assert_int_equal(st->ip_ext_bad, 2);
    assert_int_equal(st->ip_other, 2);
    assert_int_equal(st->frag_held, 0);
    sr_capture_free(c);
}

static void test_ip_bad(void **state)
{
    (void)state;
    sr_capture *c = new_cap(NULL);
    pk ip, fr;
    udp4(&ip, INVITE);
    /* truncated capture: the IP total length is larger than what was captured */
    fr = ip;
    fr.n -= 10;
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &fr, NULL), 0);
    /* version 5, IHL 4, total length below IHL, an empty packet */
    fr = ip;
    fr.b[0] = 0x55;
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &fr, NULL), 0);
    assert_int_equal(feed(c, SR_CAP_LINK_IPV4, 1, &fr, NULL), 0);
    fr = ip;
    fr.b[0] = 0x44;
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &fr, NULL), 0);
    fr = ip;
    fr.b[2] = 0;
    fr.b[3] = 10;
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &fr, NULL), 0);
    fr.n = 0;
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &fr, NULL), 0);
    /* an IPv6 header cut short, and one whose payload length is larger than captured */
    pk u = {.n = 0}, ip6 = {.n = 0};
    pk_udp(&u, 5060, 5062, INVITE, strlen(INVITE));
    pk_ip6(&ip6, PK_A6, PK_B6, 17, &u);
    fr = ip6;
    fr.n = 39;
    assert_int_equal(feed(c, SR_CAP_LINK_IPV6, 1, &fr, NULL), 0);
    fr.n = ip6.n - 1;
    assert_int_equal(feed(c, SR_CAP_LINK_IPV6, 1, &fr, NULL), 0);
    /* ARP over Ethernet; ICMP over IPv4 */
    fr.n = 0;
    pk_eth(&fr, 0x0806, &ip);
    assert_int_equal(feed(c, SR_CAP_LINK_ETHERNET, 1, &fr, NULL), 0);
    fr.n = 0;
    pk u2 = {.n = 8};
    memset(u2.b, 0, 8);
    pk_ip4(&fr, PK_A4, PK_B4, 1, 1, 0, &u2);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &fr, NULL), 0);
    /* a total length of 0 (segmentation offload) means: what was captured */
    fr = ip;
    fr.b[2] = fr.b[3] = 0;
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &fr, NULL), 1);
    const sr_capture_stats *st = sr_capture_get_stats(c);
    assert_int_equal(st->ip_truncated, 2);
    assert_int_equal(st->ip_bad, 6);
    assert_int_equal(st->not_ip, 1);
    assert_int_equal(st->ip_other, 1);
    assert_int_equal(st->udp_sip, 1);
    assert_int_equal(sr_capture_packet(NULL, 1, 0, ip.b, ip.n), SR_EINVAL);
    assert_int_equal(sr_capture_packet(c, 1, 0, NULL, 1), SR_EINVAL);
    assert_int_equal(sr_capture_poll(c, NULL), SR_EINVAL);
    sr_capture_free(c);
    sr_capture_free(NULL);
    assert_int_equal(sr_capture_new(NULL, NULL, NULL), SR_EINVAL);
}

/* ------------------------------------------------------------------ UDP */

static void test_udp(void **state)
{
    (void)state;
    sr_capture *c = new_cap(NULL);
    pk ip;
    sr_cap_msg m;
    udp4(&ip, "\r\n\r\n");
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip, NULL), 0);
    udp4(&ip, "GET / HTTP/1.1\r\n\r\n");
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip, NULL), 0);
    udp4(&ip, "");
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip, NULL), 0);
    /* CRLF before the start line (RFC 3261 §7.5) is skipped */
    char buf[1024];
    snprintf(buf, sizeof buf, "\r\n%s", INVITE);
    udp4(&ip, buf);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip, &m), 1);
    assert_int_equal(m.len, strlen(INVITE));
    /* bytes after the Content-Length body are not part of the message (§18.3) */
    snprintf(buf, sizeof buf, "%sjunk", INVITE);
    udp4(&ip, buf);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip, &m), 1);
    assert_int_equal(m.len, strlen(INVITE));
    /* a Content-Length larger than the datagram: yielded whole, marked */
    snprintf(buf, sizeof buf, "SIP/2.0 200 OK\r\nContent-Length: 50\r\n\r\nabc");
    udp4(&ip, buf);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip, &m), 1);
    assert_true(m.bad_framing);
    assert_int_equal(m.len, strlen(buf));
    /* UDP length larger than the IP payload, smaller than 8, no UDP header at all */
    udp4(&ip, INVITE);
    ip.b[20 + 4] = 0xff;
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip, NULL), 0);
    ip.b[20 + 4] = 0;
    ip.b[20 + 5] = 4;
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip, NULL), 0);
    pk none = {.n = 4}, ip2 = {.n = 0};
    memset(none.b, 0, 4);
    pk_ip4(&ip2, PK_A4, PK_B4, 17, 1, 0, &none);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip2, NULL), 0);
    /* a UDP length of 0 (offload): the IP payload */
    udp4(&ip, INVITE);
    ip.b[20 + 4] = ip.b[20 + 5] = 0;
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip, &m), 1);
    const sr_capture_stats *st = sr_capture_get_stats(c);
    assert_int_equal(st->udp_keepalive, 1);
    assert_int_equal(st->udp_not_sip, 2);
    assert_int_equal(st->udp_bad, 3);
    assert_int_equal(st->udp_sip, 4);
    sr_capture_free(c);
}

/* udp_unframed: the datagram after its leading CRLFs, whole; framed by the caller. */
static void test_udp_unframed(void **state)
{
    (void)state;
    sr_capture_opts o;
    memset(&o, 0, sizeof o);
    o.udp_unframed = true;
    sr_capture *c = new_cap(&o);
    pk ip;
    sr_cap_msg m;
    char buf[1024];
    snprintf(buf, sizeof buf, "\r\n%sjunk", INVITE);
    udp4(&ip, buf);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip, &m), 1);
    assert_int_equal(m.len, strlen(INVITE) + 4);
    assert_memory_equal(m.data, INVITE, strlen(INVITE));
    assert_false(m.bad_framing);
    /* the caller's framing gives what the decoder's own gives */
    sr_msg *msg = NULL;
    assert_int_equal(sr_msg_parse(&msg, m.data, m.len, NULL, NULL), 0);
    sr_frame f;
    assert_int_equal(sr_frame_datagram_msg(m.data, m.len, msg, NULL, &f, NULL),
                     (ptrdiff_t)strlen(INVITE));
    assert_int_equal(f.trailing, 4);
    sr_msg_free(msg);
    /* not framed, so not marked: a Content-Length larger than the datagram */
    snprintf(buf, sizeof buf, "SIP/2.0 200 OK\r\nContent-Length: 50\r\n\r\nabc");
    udp4(&ip, buf);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip, &m), 1);
    assert_false(m.bad_framing);
    assert_int_equal(m.len, strlen(buf));
    /* keep-alives and other payloads are still told apart */
    udp4(&ip, "\r\n\r\n");
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip, NULL), 0);
    udp4(&ip, "GET / HTTP/1.1\r\n\r\n");
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1, &ip, NULL), 0);
    const sr_capture_stats *st = sr_capture_get_stats(c);
    assert_int_equal(st->udp_keepalive, 1);
    assert_int_equal(st->udp_not_sip, 1);
    assert_int_equal(st->udp_sip, 2);
    sr_capture_free(c);
}

/* ------------------------------------------------------------------ fragments */

/* A UDP datagram carrying a large INVITE, as IPv4 fragments of at most @p mtu bytes of
 * payload each, in @p order. Returns the fragment count. */
static size_t frags4(pk *out, size_t max, const char *text, size_t mtu, unsigned id)
{
    pk u = {.n = 0};
    pk_udp(&u, 5060, 5062, text, strlen(text));
    size_t k = 0;
    for (size_t off = 0; off < u.n && k < max; off += mtu, k++) {
        pk part = {.n = 0};
        size_t n = u.n - off < mtu ? u.n - off : mtu;
        pk_put(&part, u.b + off, n);
        unsigned more = off + n < u.n ? 0x2000 : 0;
        out[k].n = 0;
        pk_ip4(&out[k], PK_A4, PK_B4, 17, id, more | (unsigned)(off / 8), &part);
    }
    return k;
}

static char *big_invite(size_t body)
{
    char *s = malloc(body + 512);
    assert_non_null(s);
    int h = snprintf(s, 512,
                     "INVITE sip:bob@example.com SIP/2.0\r\nCall-ID: frag@x\r\nCSeq: 1 INVITE\r\n"
                     "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n",
                     body);
    memset(s + h, 'v', body);
    s[(size_t)h + body] = '\0';
    return s;
}

static void test_frag_ipv4(void **state)
{
    (void)state;
    sr_capture *c = new_cap(NULL);
    char *text = big_invite(3000);
    pk *f = malloc(8 * sizeof *f);
    assert_non_null(f);
    size_t k = frags4(f, 8, text, 1480, 0x1234);
    assert_int_equal(k, 3);
    sr_cap_msg m;
    /* last, first, middle; a duplicate of the first on the way */
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 10, &f[2], NULL), 0);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 11, &f[0], NULL), 0);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 12, &f[0], NULL), 0);
    assert_true(sr_capture_held_bytes(c) > 3000);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 13, &f[1], &m), 1);
    assert_true(m.reassembled);
    assert_int_equal(m.ts_ns, 13);
    assert_int_equal(m.len, strlen(text));
    assert_memory_equal(m.data, text, m.len);
    assert_int_equal(sr_capture_held_bytes(c), 0);
    const sr_capture_stats *st = sr_capture_get_stats(c);
    assert_int_equal(st->frag_held, 3);
    assert_int_equal(st->frag_reassembled, 1);
    assert_int_equal(st->frag_overlap, 1);
    assert_int_equal(st->udp_sip, 1);
    free(f);
    free(text);
    sr_capture_free(c);
}

static void test_frag_ipv6(void **state)
{
    (void)state;
    sr_capture *c = new_cap(NULL);
    char *text = big_invite(2000);
    pk u = {.n = 0};
    pk_udp(&u, 5060, 5062, text, strlen(text));
    sr_cap_msg m;
    int got = 0;
    /* two fragments, second first */
    size_t cut = 1232;
    for (int pass = 1; pass >= 0; pass--) {
        pk rest = {.n = 0}, ip6 = {.n = 0};
        size_t off = pass ? cut : 0, n = pass ? u.n - cut : cut;
        pk_u8(&rest, 17);
        pk_u8(&rest, 0);
        pk_u16(&rest, (unsigned)(off / 8) << 3 | (pass ? 0u : 1u));
        pk_u32(&rest, 0xdeadbeef);
        pk_put(&rest, u.b + off, n);
        pk_ip6(&ip6, PK_A6, PK_B6, 44, &rest);
        got += feed(c, SR_CAP_LINK_IPV6, 5, &ip6, &m);
    }
    assert_int_equal(got, 1);
    assert_true(m.reassembled);
    assert_int_equal(m.len, strlen(text));
    assert_memory_equal(m.data, text, m.len);
    assert_int_equal(m.src.family, 6);
    free(text);
    sr_capture_free(c);
}

static void test_frag_limits(void **state)
{
    (void)state;
    sr_capture_opts o = {.frag_budget = 6000, .frag_timeout_ns = 1000};
    sr_capture *c = new_cap(&o);
    char *text = big_invite(3000);
    pk *f = malloc(8 * sizeof *f);
    assert_non_null(f);
    assert_int_equal(frags4(f, 8, text, 1480, 1), 3);
    /* timeout: the first fragment is dropped 1001 ns later */
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 0, &f[0], NULL), 0);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1001, &f[1], NULL), 0);
    assert_int_equal(sr_capture_get_stats(c)->frag_timeout, 1);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1002, &f[2], NULL), 0); /* no first fragment */
    /* budget: datagrams 2..5 each hold ~1.5 KB and more; the oldest go */
    for (unsigned id = 2; id < 8; id++) {
        assert_int_equal(frags4(f, 1, text, 1480, id), 1);
        assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1003, &f[0], NULL), 0);
        assert_true(sr_capture_held_bytes(c) <= o.frag_budget);
    }
    assert_true(sr_capture_get_stats(c)->frag_evicted >= 3);
    /* a time going backwards is the latest time */
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 5, &f[0], NULL), 0);
    /* bad fragments: beyond 65535, a non-last one not a multiple of 8, two different ends,
     * data beyond the end */
    pk part = {.n = 16}, ip = {.n = 0};
    memset(part.b, 'x', 16);
    pk_ip4(&ip, PK_A4, PK_B4, 17, 99, 8190, &part);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1003, &ip, NULL), 0);
    part.n = 12;
    ip.n = 0;
    pk_ip4(&ip, PK_A4, PK_B4, 17, 99, 0x2000 | 4, &part);
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1003, &ip, NULL), 0);
    part.n = 16;
    ip.n = 0;
    pk_ip4(&ip, PK_A4, PK_B4, 17, 100, 4, &part); /* last: ends at 48 */
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1003, &ip, NULL), 0);
    ip.n = 0;
    pk_ip4(&ip, PK_A4, PK_B4, 17, 100, 5, &part); /* last again: ends at 56 */
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1003, &ip, NULL), 0);
    ip.n = 0;
    pk_ip4(&ip, PK_A4, PK_B4, 17, 101, 4, &part); /* last: ends at 48 */
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1003, &ip, NULL), 0);
    ip.n = 0;
    pk_ip4(&ip, PK_A4, PK_B4, 17, 101, 0x2000 | 6, &part); /* more data at 48..64 */
    assert_int_equal(feed(c, SR_CAP_LINK_RAW, 1003, &ip, NULL), 0);
    assert_int_equal(sr_capture_get_stats(c)->frag_bad, 4);
    free(f);
    free(text);
    sr_capture_free(c);
}

/* A flood of first fragments that never complete: at most 4096 reassemblies are held, the
 * oldest go first, memory stays within the budget. */
static void test_frag_flood(void **state)
{
    (void)state;
    sr_capture *c = new_cap(NULL);
    pk part = {.n = 64}, ip;
    memset(part.b, 'f', 64);
    for (unsigned id = 0; id < 5000; id++) {
        ip.n = 0;
        pk_ip4(&ip, PK_A4, PK_B4, 17, id, 0x2000, &part);
        assert_int_equal(feed(c, SR_CAP_LINK_RAW, id, &ip, NULL), 0);
    }
    const sr_capture_stats *st = sr_capture_get_stats(c);
    assert_int_equal(st->frag_held, 5000);
    assert_int_equal(st->frag_evicted, 5000 - 4096);
    assert_true(sr_capture_held_bytes(c) <= (size_t)4 << 20);
    sr_capture_free(c);
}

/* Every allocation of a reassembly failing in turn: SR_ENOMEM, no leak, then success. */
static int frag_scenario(const sr_allocator *a, void *ctx)
{
    const pk *f = ctx;
    sr_capture *c = NULL;
    int rc = sr_capture_new(&c, NULL, a);
    if (rc)
        return rc;
    int got = 0;
    for (int i = 2; i >= 0 && rc == 0; i--) {
        rc = sr_capture_packet(c, SR_CAP_LINK_RAW, 1, f[i].b, f[i].n);
        sr_cap_msg m;
        while (rc == 0 && sr_capture_poll(c, &m) == 1)
            got++;
    }
    sr_capture_free(c);
    if (rc == 0 && got != 1)
        rc = SR_EBADMSG;
    return rc;
}

static void test_frag_failure_sweep(void **state)
{
    (void)state;
    char *text = big_invite(3000);
    pk *f = malloc(8 * sizeof *f);
    assert_non_null(f);
    assert_int_equal(frags4(f, 8, text, 1480, 7), 3);
    assert_true(tu_failure_sweep(frag_scenario, f) > 3);
    free(f);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_start_line),
        TU_TEST(test_ethernet_udp),
        TU_TEST(test_vlan),
        TU_TEST(test_cooked_and_loopback),
        TU_TEST(test_ipv6_ext_headers),
        TU_TEST(test_ip_bad),
        TU_TEST(test_udp),
        TU_TEST(test_udp_unframed),
        TU_TEST(test_frag_ipv4),
        TU_TEST(test_frag_ipv6),
        TU_TEST(test_frag_limits),
        TU_TEST(test_frag_flood),
        TU_TEST(test_frag_failure_sweep),
    };
    return cmocka_run_group_tests_name("capture", tests, NULL, NULL);
}
