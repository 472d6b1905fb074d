/* sipreply tests: the capture decoder's TCP reassembly and stream framing (capture.h).
 * RFC 9293 sequence space: out of order, retransmitted, overlapping, lost; RFC 3261 §18.3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "capture_pkt.h"

#define M1 "INVITE sip:bob@example.com SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 4\r\n\r\nv=0\n"
#define M2 "SIP/2.0 100 Trying\r\nCall-ID: 1\r\nContent-Length: 0\r\n\r\n"
#define M3 "SIP/2.0 200 OK\r\nCall-ID: 1\r\nl: 3\r\n\r\nabc"

typedef struct got {
    int n;
    char *msg[64];
    uint64_t ts[64];
} got;

static void got_free(got *g)
{
    for (int i = 0; i < g->n; i++)
        free(g->msg[i]);
    g->n = 0;
}

static sr_capture *new_cap(const sr_capture_opts *o)
{
    sr_capture *c = NULL;
    assert_int_equal(sr_capture_new(&c, o, tu_allocator()), 0);
    return c;
}

static void poll_all(sr_capture *c, got *g)
{
    sr_cap_msg m;
    while (sr_capture_poll(c, &m) == 1) {
        assert_true(g->n < 64);
        assert_int_equal(m.transport, SR_CAP_TCP);
        g->msg[g->n] = malloc(m.len + 1);
        assert_non_null(g->msg[g->n]);
        memcpy(g->msg[g->n], m.data, m.len);
        g->msg[g->n][m.len] = '\0';
        g->ts[g->n] = m.ts_ns;
        g->n++;
    }
}

/* One segment 192.0.2.1:@p sport -> 192.0.2.5:5062 with bytes d[0..n). */
static void seg_port(sr_capture *c, got *g, unsigned sport, uint32_t seq, unsigned flags,
                     const void *d, size_t n, uint64_t ts)
{
    pk t = {.n = 0}, ip = {.n = 0};
    pk_tcp(&t, sport, 5062, seq, flags, d, n);
    pk_ip4(&ip, PK_A4, PK_B4, 6, 1, 0x4000, &t);
    assert_int_equal(sr_capture_packet(c, SR_CAP_LINK_RAW, ts, ip.b, ip.n), 0);
    if (g)
        poll_all(c, g);
}

static void seg(sr_capture *c, got *g, uint32_t seq, unsigned flags, const char *s, uint64_t ts)
{
    seg_port(c, g, 5060, seq, flags, s, strlen(s), ts);
}

static void test_in_order(void **state)
{
    (void)state;
    sr_capture *c = new_cap(NULL);
    got g = {0};
    seg(c, &g, 1000, 0x02, "", 1); /* SYN: data starts at 1001 */
    seg(c, &g, 1001, 0, M1 M2, 2);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.msg[0], M1);
    assert_string_equal(g.msg[1], M2);
    assert_int_equal(g.ts[1], 2);
    /* M3 in three pieces; CRLF keep-alives before it */
    uint32_t s = 1001 + (uint32_t)strlen(M1 M2);
    static const char p1[] = "\r\n\r\nSIP/2.0 2", p2[] = "00 OK\r\nCall-ID: 1\r\nl: 3\r\n\r\na";
    seg(c, &g, s, 0, p1, 3);
    seg(c, &g, s + (uint32_t)strlen(p1), 0, p2, 4);
    assert_int_equal(g.n, 2);
    seg(c, &g, s + (uint32_t)strlen(p1) + (uint32_t)strlen(p2), 0x01, "bc", 5);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.msg[2], M3);
    assert_int_equal(g.ts[2], 5);
    const sr_capture_stats *st = sr_capture_get_stats(c);
    assert_int_equal(st->tcp_sip, 3);
    assert_int_equal(st->tcp_segments, 5);
    assert_int_equal(st->tcp_skipped_bytes, 0);
    got_free(&g);
    sr_capture_free(c);
}

static void test_out_of_order_retrans_overlap(void **state)
{
    (void)state;
    sr_capture *c = new_cap(NULL);
    got g = {0};
    const char *all = M1 M2 M3;
    size_t n = strlen(all);
    seg(c, &g, 99, 0x02, "", 1);
    /* pieces [60, n), [0, 30), [20, 70) overlapping both, then [0,30) again */
    seg_port(c, &g, 5060, 100 + 60, 0, all + 60, n - 60, 2);
    assert_int_equal(g.n, 0);
    seg_port(c, &g, 5060, 100, 0, all, 30, 3);
    assert_int_equal(g.n, 0);
    seg_port(c, &g, 5060, 100 + 20, 0, all + 20, 50, 4);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.msg[0], M1);
    assert_string_equal(g.msg[1], M2);
    assert_string_equal(g.msg[2], M3);
    seg_port(c, &g, 5060, 100, 0, all, 30, 5);
    assert_int_equal(g.n, 3);
    const sr_capture_stats *st = sr_capture_get_stats(c);
    assert_int_equal(st->tcp_ooo, 1);
    assert_int_equal(st->tcp_overlap, 2); /* [20,70) over [0,30); held [60,n) over 70 */
    assert_int_equal(st->tcp_retrans, 1);
    assert_int_equal(sr_capture_held_bytes(c) < 5000, 1);
    got_free(&g);
    sr_capture_free(c);
}

/* Tiny PRNG for reproducible shuffles. */
static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

/* The stream in pieces of 1..9 bytes, each sent once or twice, shuffled within windows of
 * 8 pieces, across a sequence wrap: the same three messages come out. */
static void test_shuffled_pieces(void **state)
{
    (void)state;
    const char *all = M1 M2 M3 M1;
    size_t n = strlen(all);
    for (uint32_t seed = 1; seed <= 40; seed++) {
        sr_capture *c = new_cap(NULL);
        got g = {0};
        uint32_t s = seed, isn = 0xffffff00u + seed;
        size_t off[512], len[512], k = 0;
        for (size_t o = 0; o < n; k++) {
            size_t l = 1 + rnd(&s) % 9;
            off[k] = o;
            len[k] = o + l > n ? n - o : l;
            o += len[k];
        }
        seg_port(c, &g, 5060, isn, 0x02, "", 0, 1);
        for (size_t w = 0; w < k; w += 8) {
            size_t e = w + 8 < k ? w + 8 : k;
            for (size_t i = e - 1; i > w; i--) { /* Fisher-Yates in the window */
                size_t j = w + rnd(&s) % (i - w + 1);
                size_t t = off[i];
                off[i] = off[j];
                off[j] = t;
                t = len[i];
                len[i] = len[j];
                len[j] = t;
            }
            for (size_t i = w; i < e; i++) {
                int times = 1 + (rnd(&s) % 4 == 0);
                for (int r = 0; r < times; r++)
                    seg_port(c, &g, 5060, isn + 1 + (uint32_t)off[i], 0, all + off[i], len[i], 2);
            }
        }
        assert_int_equal(g.n, 4);
        assert_string_equal(g.msg[0], M1);
        assert_string_equal(g.msg[1], M2);
        assert_string_equal(g.msg[2], M3);
        assert_string_equal(g.msg[3], M1);
        assert_int_equal(sr_capture_get_stats(c)->tcp_skipped_bytes, 0);
        got_free(&g);
        sr_capture_free(c);
    }
}

static void test_gap(void **state)
{
    (void)state;
    sr_capture_opts o = {.tcp_max_ooo = 150};
    sr_capture *c = new_cap(&o);
    got g = {0};
    seg(c, &g, 0, 0x02, "", 1);
    /* M1's first 10 bytes arrive, the rest of M1 is never captured; M2, M3 follow */
    seg_port(c, &g, 5060, 1, 0, M1, 10, 2);
    uint32_t s2 = 1 + (uint32_t)strlen(M1);
    seg(c, &g, s2, 0, M2, 3);
    assert_int_equal(g.n, 0); /* held: the hole may still fill */
    seg(c, &g, s2 + (uint32_t)strlen(M2), 0, M3, 4);
    seg(c, &g, s2 + (uint32_t)strlen(M2 M3), 0, M2, 5);
    assert_true(g.n >= 2);
    assert_string_equal(g.msg[g.n - 1], M2);
    const sr_capture_stats *st = sr_capture_get_stats(c);
    assert_int_equal(st->tcp_gaps, 1);
    assert_int_equal(st->tcp_gap_bytes, strlen(M1) - 10);
    assert_int_equal(st->tcp_skipped_bytes, 10);
    got_free(&g);
    sr_capture_free(c);
}

static void test_resync(void **state)
{
    (void)state;
    sr_capture *c = new_cap(NULL);
    got g = {0};
    /* the capture starts inside a body: junk, then M2 */
    seg(c, &g, 5000, 0, "o=- 1 1 IN IP4 x\r\nSIP/2.0 junk\r\n" M2, 1);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.msg[0], M2);
    assert_int_equal(sr_capture_get_stats(c)->tcp_skipped_bytes, 32);
    /* a start line split across segments while unsynchronised */
    seg(c, &g, 7000, 0x02, "", 2);
    seg(c, &g, 7001, 0, "garbage\r\nSIP/2.", 3);
    seg(c, &g, 7016, 0, "0 100 Trying\r\nCall-ID: 1\r\nContent-Length: 0\r\n\r\n", 4);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.msg[1], M2);
    /* no Content-Length: framing is lost, the next start line is found */
    seg(c, &g, 9000, 0x02, "", 5);
    seg(c, &g, 9001, 0, "SIP/2.0 180 Ringing\r\nCall-ID: 2\r\n\r\n" M3, 6);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.msg[2], M3);
    assert_int_equal(sr_capture_get_stats(c)->tcp_framing_errors, 1);
    /* after a message: a bare LF, or CR and a control byte, is not a start line (found by
     * fuzz_capture_tcp): the next message is found after the line end */
    seg(c, &g, 11000, 0x02, "", 7);
    seg(c, &g, 11001, 0, M2 "\n" M3 "\r\x0eSIP/2.0 200 OK\r\n" M2, 8);
    assert_int_equal(g.n, 6);
    assert_string_equal(g.msg[3], M2);
    assert_string_equal(g.msg[4], M3);
    assert_string_equal(g.msg[5], M2);
    got_free(&g);
    sr_capture_free(c);
}

static void test_not_sip(void **state)
{
    (void)state;
    sr_capture *c = new_cap(NULL);
    got g = {0};
    seg(c, &g, 0, 0x02, "", 1);
    uint32_t s = 1;
    char junk[1000];
    memset(junk, 'x', sizeof junk);
    for (int i = 0; i < 200; i++, s += sizeof junk) {
        seg_port(c, &g, 5060, s, 0, junk, sizeof junk, 2);
        assert_true(sr_capture_held_bytes(c) < 20000);
    }
    assert_int_equal(g.n, 0);
    assert_int_equal(sr_capture_get_stats(c)->tcp_skipped_bytes, 200000);
    /* a TLS-looking record stream: the same */
    seg(c, &g, s, 0, "\x16\x03\x01\x02\x00\x01", 3);
    assert_int_equal(g.n, 0);
    got_free(&g);
    sr_capture_free(c);
}

static void test_rst_syn_overflow(void **state)
{
    (void)state;
    sr_capture_opts o = {.max_message = 100};
    sr_capture *c = new_cap(&o);
    got g = {0};
    seg(c, &g, 10, 0x02, "", 1);
    seg(c, &g, 11, 0, "SIP/2.0 200 OK\r\n", 2); /* a partial message */
    seg(c, &g, 27, 0x04, "", 3);                /* RST: the direction is forgotten */
    assert_int_equal(sr_capture_held_bytes(c), 0);
    seg(c, &g, 500, 0x02, "", 4);
    seg(c, &g, 501, 0, M2, 5);
    assert_int_equal(g.n, 1);
    /* a retransmitted SYN changes nothing; a new ISN starts afresh */
    seg(c, &g, 500, 0x02, "", 6);
    seg(c, &g, 501 + (uint32_t)strlen(M2), 0, "SIP/2.0 1", 7);
    seg(c, &g, 900, 0x02, "", 8);
    seg(c, &g, 901, 0, M2, 9);
    assert_int_equal(g.n, 2);
    /* a message over max_message is dropped; where it ended is unknown, so the next message
     * found is the first one after a line end */
    char big[300];
    snprintf(big, sizeof big, "SIP/2.0 200 OK\r\nContent-Length: 150\r\n\r\n%150s", "b");
    uint32_t sb = 901 + (uint32_t)strlen(M2);
    seg(c, &g, sb, 0, big, 10);
    seg(c, &g, sb + (uint32_t)strlen(big), 0, M2, 11);
    seg(c, &g, sb + (uint32_t)(strlen(big) + strlen(M2)), 0, M2, 11);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.msg[2], M2);
    assert_true(
        sr_capture_get_stats(c)->tcp_overflow + sr_capture_get_stats(c)->tcp_framing_errors >= 1);
    /* an ACK of an unknown connection creates nothing */
    seg_port(c, &g, 6000, 1, 0, "", 0, 12);
    got_free(&g);
    sr_capture_free(c);
}

static void test_streams_bounded(void **state)
{
    (void)state;
    sr_capture_opts o = {.max_streams = 4, .tcp_budget = 40000, .tcp_idle_ns = 1000};
    sr_capture *c = new_cap(&o);
    got g = {0};
    /* 20 connections each leave a partial message behind */
    for (unsigned p = 0; p < 20; p++) {
        seg_port(c, &g, 7000 + p, 1, 0, "SIP/2.0 200 OK\r\n", 16, 10);
        assert_true(sr_capture_held_bytes(c) <= o.tcp_budget);
    }
    assert_int_equal(sr_capture_get_stats(c)->tcp_evicted, 16);
    /* idle directions go after tcp_idle_ns of packet time */
    seg_port(c, &g, 9000, 1, 0, M2, strlen(M2), 2000);
    assert_int_equal(g.n, 1);
    assert_true(sr_capture_held_bytes(c) < 10000);
    /* a message not polled before the next packet comes out with the stream's next bytes */
    seg_port(c, NULL, 9100, 1, 0, M2, strlen(M2), 2001);
    seg_port(c, &g, 9100, 1 + (uint32_t)strlen(M2), 0, M3, strlen(M3), 2002);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.msg[1], M2);
    assert_string_equal(g.msg[2], M3);
    got_free(&g);
    sr_capture_free(c);
}

static void test_ipv6_and_bad_header(void **state)
{
    (void)state;
    sr_capture *c = new_cap(NULL);
    got g = {0};
    pk t = {.n = 0}, ip = {.n = 0};
    pk_tcp(&t, 5060, 5062, 77, 0, M3, strlen(M3));
    pk_ip6(&ip, PK_A6, PK_B6, 6, &t);
    assert_int_equal(sr_capture_packet(c, SR_CAP_LINK_IPV6, 1, ip.b, ip.n), 0);
    sr_cap_msg m;
    assert_int_equal(sr_capture_poll(c, &m), 1);
    assert_int_equal(m.src.family, 6);
    assert_int_equal(m.src.port, 5060);
    assert_int_equal(m.dst.port, 5062);
    assert_memory_equal(m.src.ip, PK_A6, 16);
    assert_int_equal(sr_capture_poll(c, &m), 0);
    /* data offset below 5 words, beyond the segment; a segment under 20 bytes */
    t.b[12] = 0x40;
    ip.n = 0;
    pk_ip6(&ip, PK_A6, PK_B6, 6, &t);
    assert_int_equal(sr_capture_packet(c, SR_CAP_LINK_IPV6, 1, ip.b, ip.n), 0);
    t.b[12] = 0xf0;
    t.n = 40;
    ip.n = 0;
    pk_ip6(&ip, PK_A6, PK_B6, 6, &t);
    assert_int_equal(sr_capture_packet(c, SR_CAP_LINK_IPV6, 1, ip.b, ip.n), 0);
    t.n = 12;
    ip.n = 0;
    pk_ip6(&ip, PK_A6, PK_B6, 6, &t);
    assert_int_equal(sr_capture_packet(c, SR_CAP_LINK_IPV6, 1, ip.b, ip.n), 0);
    assert_int_equal(sr_capture_get_stats(c)->tcp_bad, 3);
    got_free(&g);
    sr_capture_free(c);
}

static int tcp_scenario(const sr_allocator *a, void *ctx)
{
    (void)ctx;
    const char *all = M1 M2 M3;
    size_t n = strlen(all);
    sr_capture *c = NULL;
    int rc = sr_capture_new(&c, NULL, a);
    if (rc)
        return rc;
    pk syn = {.n = 0}, sip = {.n = 0};
    pk_tcp(&syn, 5060, 5062, 0, 0x02, "", 0);
    pk_ip4(&sip, PK_A4, PK_B4, 6, 1, 0, &syn);
    rc = sr_capture_packet(c, SR_CAP_LINK_RAW, 1, sip.b, sip.n);
    static const size_t cuts[][2] = {{40, 200}, {0, 40}, {90, 30}};
    int yielded = 0;
    for (size_t i = 0; i < 3 && rc == 0; i++) {
        size_t o = cuts[i][0], l = o + cuts[i][1] > n ? n - o : cuts[i][1];
        pk t = {.n = 0}, ip = {.n = 0};
        pk_tcp(&t, 5060, 5062, 1 + (uint32_t)o, 0, all + o, l);
        pk_ip4(&ip, PK_A4, PK_B4, 6, 1, 0, &t);
        rc = sr_capture_packet(c, SR_CAP_LINK_RAW, 1, ip.b, ip.n);
        sr_cap_msg m;
        while (rc == 0 && sr_capture_poll(c, &m) == 1)
            yielded++;
    }
    sr_capture_free(c);
    if (rc == 0 && yielded != 3)
        rc = SR_EBADMSG;
    return rc;
}

static void test_tcp_failure_sweep(void **state)
{
    (void)state;
    assert_true(tu_failure_sweep(tcp_scenario, NULL) >= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_in_order),
        TU_TEST(test_out_of_order_retrans_overlap),
        TU_TEST(test_shuffled_pieces),
        TU_TEST(test_gap),
        TU_TEST(test_resync),
        TU_TEST(test_not_sip),
        TU_TEST(test_rst_syn_overflow),
        TU_TEST(test_streams_bounded),
        TU_TEST(test_ipv6_and_bad_header),
        TU_TEST(test_tcp_failure_sweep),
    };
    return cmocka_run_group_tests_name("capture_tcp", tests, NULL, NULL);
}
