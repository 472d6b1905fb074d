/* sipreply tests: the UAS core's 2xx retransmission offered by the stack (RFC 3261 §13.3.1.4,
 * SR_SEND_RETX_2XX) in simulated time: every instant, the ACK matched by dialog, the timeout. */
#include <stdlib.h>

#include "txn_harness.h"

#define BR "z9hG4bKretx1"

static char g_req[2048];

static sr_txn_id invite(sr_stack *s, sr_transport tp, uint64_t at, h_log *log, const char *extra)
{
    h_req_text(g_req, sizeof(g_req), "INVITE", BR, tp == SR_TP_UDP ? "UDP" : "TCP", NULL, 1, NULL,
               extra, NULL);
    sr_addr src = h_addr("192.0.2.1", 5060, tp);
    h_recv(s, g_req, &src, at, log);
    const h_rec *r = h_find(log, SR_EV_REQUEST, 0);
    assert_non_null(r);
    return r->txn;
}

/* An ACK to the 2xx: its own branch, To tag @p ttag, CSeq @p num, Call-ID @p cid. */
static void ack(sr_stack *s, sr_transport tp, const char *ttag, unsigned num, const char *cid,
                uint64_t at, h_log *log)
{
    char text[2048];
    h_req_text(text, sizeof(text), "ACK", "z9hG4bKack9", tp == SR_TP_UDP ? "UDP" : "TCP", ttag, num,
               NULL, NULL, NULL);
    if (cid != NULL) {
        char *p = strstr(text, "call-1@192.0.2.1");
        memcpy(p, cid, strlen(cid)); /* same length */
    }
    sr_addr src = h_addr("192.0.2.1", 5060, tp);
    h_recv(s, text, &src, at, log);
}

static const uint64_t want_udp[] = {100,   600,   1600,  3600,  7600, 11600,
                                    15600, 19600, 23600, 27600, 31600};

/* No ACK: the 2xx at 100 ms, then T1, 2·T1, 4·T1, T2 ... until 64·T1 after the first, then
 * SR_EV_2XX_TIMEOUT and the end of the transaction. */
static void test_retx_until_timeout(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = invite(s, SR_TP_UDP, 0, &log, NULL);
    int tag = 1;
    assert_int_equal(sr_stack_txn_set_user(s, id, &tag), 0);
    assert_int_equal(
        sr_stack_send_response(s, id, h_build(g_req, 200, "t1", NULL), SR_SEND_RETX_2XX, 100), 0);
    h_drain(s, &log, 100);
    assert_int_equal(sr_stack_next_deadline(s), 600); /* the service's timer is the stack's */
    h_run(s, &log, 100000);
    uint64_t at[32];
    size_t n = h_sends(&log, "SIP/2.0 200", at, 32);
    h_assert_instants(at, n, want_udp, sizeof(want_udp) / sizeof(want_udp[0]));
    /* every copy is the same bytes */
    const h_rec *first = NULL;
    for (size_t i = 0; i < log.n; i++) {
        if (log.r[i].kind != SR_EV_SEND || strncmp(log.r[i].first, "SIP/2.0 200", 11) != 0)
            continue;
        if (first == NULL)
            first = &log.r[i];
        assert_string_equal(log.r[i].text, first->text);
    }
    const h_rec *to = h_find(&log, SR_EV_2XX_TIMEOUT, 0);
    assert_non_null(to);
    assert_int_equal(to->at, 32100);
    assert_int_equal(to->txn, id);
    const h_rec *term = h_find(&log, SR_EV_TERMINATED, 0);
    assert_int_equal(term->at, 32100);
    assert_true(term > to); /* the timeout comes first */
    assert_int_equal(sr_stack_txn_count(s), 0);
    assert_int_equal(s->n_retx_2xx, 0);
    sr_stack_free(s);
}

/* The ACK (a branch of its own, matched by Call-ID, From tag, To tag and CSeq number) stops
 * it; the TU gets the ACK with related = the INVITE; no timeout. ACKs of other dialogs do
 * not stop it. */
static void test_ack_stops(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = invite(s, SR_TP_UDP, 0, &log, NULL);
    assert_int_equal(
        sr_stack_send_response(s, id, h_build(g_req, 200, "t1", NULL), SR_SEND_RETX_2XX, 100), 0);
    h_drain(s, &log, 100);
    h_run(s, &log, 1000);
    ack(s, SR_TP_UDP, "zz", 1, NULL, 1100, &log);               /* another To tag */
    ack(s, SR_TP_UDP, "t1", 2, NULL, 1200, &log);               /* another CSeq */
    ack(s, SR_TP_UDP, "t1", 1, "call-2@192.0.2.1", 1300, &log); /* another Call-ID */
    for (size_t i = 0; i < log.n; i++)
        if (log.r[i].kind == SR_EV_REQUEST && strncmp(log.r[i].first, "ACK", 3) == 0)
            assert_int_equal(log.r[i].related, 0);
    h_run(s, &log, 2000); /* still going: 1600 */
    ack(s, SR_TP_UDP, "t1", 1, NULL, 2000, &log);
    const h_rec *a = &log.r[log.n - 1];
    assert_int_equal(a->kind, SR_EV_REQUEST);
    assert_int_equal(a->related, id);
    h_run(s, &log, 100000);
    uint64_t at[32];
    const uint64_t want[] = {100, 600, 1600};
    h_assert_instants(at, h_sends(&log, "SIP/2.0 200", at, 32), want, 3);
    assert_null(h_find(&log, SR_EV_2XX_TIMEOUT, 0));
    assert_int_equal(h_find(&log, SR_EV_TERMINATED, 0)->at, 32100); /* Timer L */
    assert_int_equal(s->n_retx_2xx, 0);
    sr_stack_free(s);
}

/* On TCP too (§13.3.1.4 is end to end: a proxy on the way may use UDP); without the flag
 * nothing is resent (the TU's own business, as before). */
static void test_tcp_and_opt_in(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = invite(s, SR_TP_TCP, 0, &log, NULL);
    assert_int_equal(
        sr_stack_send_response(s, id, h_build(g_req, 200, "t1", NULL), SR_SEND_RETX_2XX, 100), 0);
    h_drain(s, &log, 100);
    h_run(s, &log, 100000);
    uint64_t at[32];
    h_assert_instants(at, h_sends(&log, "SIP/2.0 200", at, 32), want_udp,
                      sizeof(want_udp) / sizeof(want_udp[0]));
    assert_non_null(h_find(&log, SR_EV_2XX_TIMEOUT, 0));
    sr_stack_free(s);

    h_clear(&log);
    s = h_stack(true);
    id = invite(s, SR_TP_UDP, 0, &log, NULL);
    assert_int_equal(sr_stack_send_response(s, id, h_build(g_req, 200, "t1", NULL), 0, 100), 0);
    h_drain(s, &log, 100);
    h_run(s, &log, 100000);
    assert_int_equal(h_sends(&log, "SIP/2.0 200", at, 32), 1);
    assert_null(h_find(&log, SR_EV_2XX_TIMEOUT, 0));
    sr_stack_free(s);
}

/* The flag is for a 2xx to an INVITE only. */
static void test_flag_refused(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = invite(s, SR_TP_UDP, 0, &log, NULL);
    sr_msg *r = h_build(g_req, 486, "t1", NULL);
    assert_int_equal(sr_stack_send_response(s, id, r, SR_SEND_RETX_2XX, 10), SR_EINVAL);
    sr_msg_free(r);
    sr_stack_free(s);

    h_clear(&log);
    s = h_stack(true);
    h_req_text(g_req, sizeof(g_req), "OPTIONS", BR, "UDP", NULL, 1, NULL, NULL, NULL);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    h_recv(s, g_req, &src, 0, &log);
    id = h_find(&log, SR_EV_REQUEST, 0)->txn;
    r = h_build(g_req, 200, "t1", NULL);
    assert_int_equal(sr_stack_send_response(s, id, r, SR_SEND_RETX_2XX, 10), SR_EINVAL);
    assert_int_equal(sr_stack_send_response(s, id, r, 0, 10), 0);
    sr_stack_free(s);
}

/* A 2xx held for the PRACK of a reliable 1xx with SDP (RFC 3262 §3) is resent from the
 * moment it goes out, not from when the TU handed it over. */
static void test_held_2xx(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = invite(s, SR_TP_UDP, 0, &log, "Supported: 100rel\r\n");
    sr_msg *p = h_build(g_req, 183, "t1", "v=0\r\n");
    assert_int_equal(sr_stack_send_response(s, id, p, SR_SEND_100REL, 10), 0);
    h_drain(s, &log, 10);
    const h_rec *rel = h_last_send(&log, "SIP/2.0 183");
    assert_non_null(rel);
    const char *rs = strstr(rel->text, "RSeq: ");
    assert_non_null(rs);
    unsigned long rseq = strtoul(rs + 6, NULL, 10);
    assert_int_equal(
        sr_stack_send_response(s, id, h_build(g_req, 200, "t1", NULL), SR_SEND_RETX_2XX, 20), 0);
    h_drain(s, &log, 20);
    uint64_t at[32];
    assert_int_equal(h_sends(&log, "SIP/2.0 200", at, 32), 0); /* held */
    char extra[128], prack[2048];
    snprintf(extra, sizeof extra, "RAck: %lu 1 INVITE\r\n", rseq);
    h_req_text(prack, sizeof(prack), "PRACK", "z9hG4bKprack1", "UDP", "t1", 2, NULL, extra, NULL);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    h_clear(&log);
    h_recv(s, prack, &src, 300, &log);
    h_run(s, &log, 100000);
    const uint64_t want[] = {300, 800, 1800, 3800, 7800, 11800, 15800, 19800, 23800, 27800, 31800};
    size_t n = 0;
    for (size_t i = 0; i < log.n; i++)
        if (log.r[i].kind == SR_EV_SEND && strncmp(log.r[i].first, "SIP/2.0 200", 11) == 0 &&
            strstr(log.r[i].text, "CSeq: 1 INVITE") != NULL && n < 32)
            at[n++] = log.r[i].at;
    h_assert_instants(at, n, want, sizeof(want) / sizeof(want[0]));
    assert_int_equal(h_find(&log, SR_EV_2XX_TIMEOUT, 0)->at, 32300);
    sr_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_retx_until_timeout), TU_TEST(test_ack_stops), TU_TEST(test_tcp_and_opt_in),
        TU_TEST(test_flag_refused),       TU_TEST(test_held_2xx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
