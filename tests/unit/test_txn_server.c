/* sipreply tests: server transactions (RFC 3261 §17.2, RFC 6026, RFC 4320), CANCEL (§9.2),
 * merged requests (§8.2.2.2), the RFC 2543 fallback and stray ACKs, in simulated time. */
#include "txn_harness.h"

#define BR "z9hG4bKserver1"

static char g_req[2048];

/* Receive @p method (branch @p br) at @p at over @p tp; returns the new transaction id. */
static sr_txn_id recv_req(sr_stack *s, const char *method, const char *br, sr_transport tp,
                          uint64_t at, h_log *log, const char *extra)
{
    h_req_text(g_req, sizeof(g_req), method, br, tp == SR_TP_UDP ? "UDP" : "TCP", NULL, 1, NULL,
               extra, NULL);
    sr_addr src = h_addr("192.0.2.1", 5060, tp);
    size_t before = log->n;
    h_recv(s, g_req, &src, at, log);
    for (size_t i = before; i < log->n; i++)
        if (log->r[i].kind == SR_EV_REQUEST)
            return log->r[i].txn;
    return 0;
}

static void retransmit(sr_stack *s, sr_transport tp, uint64_t at, h_log *log)
{
    sr_addr src = h_addr("192.0.2.1", 5060, tp);
    h_recv(s, g_req, &src, at, log);
}

static void ack(sr_stack *s, const char *br, sr_transport tp, uint64_t at, h_log *log)
{
    char text[1024];
    h_req_text(text, sizeof(text), "ACK", br, tp == SR_TP_UDP ? "UDP" : "TCP", "t1", 1, NULL, NULL,
               NULL);
    sr_addr src = h_addr("192.0.2.1", 5060, tp);
    h_recv(s, text, &src, at, log);
}

static void answer(sr_stack *s, sr_txn_id id, unsigned code, uint64_t at, h_log *log)
{
    sr_msg *r = h_build(g_req, code, "t1", NULL);
    assert_int_equal(sr_stack_send_response(s, id, r, 0, at), 0);
    h_drain(s, log, at);
}

/* §17.2.1: 100 after 200 ms; a retransmitted INVITE gets the last provisional; 486 is
 * retransmitted on G (500, 1000, 2000, 4000, 4000 ...) until the ACK; I = T4. */
static void test_invite_udp_486(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = recv_req(s, "INVITE", BR, SR_TP_UDP, 0, &log, NULL);
    assert_int_not_equal(id, 0);
    assert_int_equal(h_state(s, id), SR_TXN_PROCEEDING);
    h_run(s, &log, 300);
    answer(s, id, 180, 300, &log);
    retransmit(s, SR_TP_UDP, 500, &log);
    h_run(s, &log, 1000);
    answer(s, id, 486, 1000, &log);
    assert_int_equal(h_state(s, id), SR_TXN_COMPLETED);
    retransmit(s, SR_TP_UDP, 1200, &log);
    h_run(s, &log, 10000);
    ack(s, BR, SR_TP_UDP, 10000, &log);
    assert_int_equal(h_state(s, id), SR_TXN_CONFIRMED);
    assert_int_equal(sr__txn_find(s, id)->resp.len, 0); /* nothing more to send: released */
    ack(s, BR, SR_TP_UDP, 10100, &log);                 /* absorbed */
    retransmit(s, SR_TP_UDP, 10200, &log);              /* absorbed too (Confirmed) */
    h_run(s, &log, 100000);
    uint64_t at[32];
    const uint64_t t100[] = {200};
    h_assert_instants(at, h_sends(&log, "SIP/2.0 100", at, 32), t100, 1);
    const uint64_t t180[] = {300, 500};
    h_assert_instants(at, h_sends(&log, "SIP/2.0 180", at, 32), t180, 2);
    const uint64_t t486[] = {1000, 1200, 1500, 2500, 4500, 8500};
    h_assert_instants(at, h_sends(&log, "SIP/2.0 486", at, 32), t486, 6);
    assert_int_equal(h_count(&log, SR_EV_REQUEST), 1); /* ACKs are not passed up */
    const h_rec *te = h_find(&log, SR_EV_TERMINATED, 0);
    assert_int_equal(te->at, 15000);
    assert_int_equal(te->state, SR_TXN_CONFIRMED);
    sr_stack_free(s);
}

/* No ACK: G until H at 64·T1 after the final, then SR_EV_TIMEOUT 'H'. */
static void test_invite_udp_no_ack(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = recv_req(s, "INVITE", BR, SR_TP_UDP, 0, &log, NULL);
    answer(s, id, 404, 100, &log); /* before the 100 Trying: none is sent */
    h_run(s, &log, 100000);
    uint64_t at[32];
    assert_int_equal(h_sends(&log, "SIP/2.0 100", at, 32), 0);
    const uint64_t t404[] = {100, 600, 1600, 3600, 7600, 11600, 15600, 19600, 23600, 27600, 31600};
    h_assert_instants(at, h_sends(&log, "SIP/2.0 404", at, 32), t404, 11);
    const h_rec *to = h_find(&log, SR_EV_TIMEOUT, 0);
    assert_int_equal(to->at, 32100);
    assert_int_equal(to->timer, 'H');
    assert_int_equal(h_find(&log, SR_EV_TERMINATED, 0)->state, SR_TXN_COMPLETED);
    sr_stack_free(s);
}

/* Reliable: no G; ACK ends it at once (I = 0). */
static void test_invite_tcp_486(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = recv_req(s, "INVITE", BR, SR_TP_TCP, 0, &log, NULL);
    h_run(s, &log, 1000);
    answer(s, id, 486, 1000, &log);
    h_run(s, &log, 9000);
    ack(s, BR, SR_TP_TCP, 9000, &log);
    uint64_t at[32];
    const uint64_t t486[] = {1000};
    h_assert_instants(at, h_sends(&log, "SIP/2.0 486", at, 32), t486, 1);
    assert_int_equal(h_find(&log, SR_EV_TERMINATED, 0)->at, 9000);
    assert_int_equal(sr_stack_txn_count(s), 0);
    sr_stack_free(s);
}

/* RFC 6026: 2xx → Accepted; INVITE retransmissions absorbed; the TU's 2xx retransmissions
 * pass; an ACK to the 2xx goes to the TU; L at 64·T1. */
static void test_invite_2xx(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = recv_req(s, "INVITE", BR, SR_TP_UDP, 0, &log, NULL);
    answer(s, id, 200, 50, &log);
    assert_int_equal(h_state(s, id), SR_TXN_ACCEPTED);
    answer(s, id, 200, 550, &log);
    retransmit(s, SR_TP_UDP, 600, &log);
    sr_msg *r = h_build(g_req, 486, "t1", NULL);
    assert_int_equal(sr_stack_send_response(s, id, r, 0, 700), SR_ESTATE);
    sr_msg_free(r);
    ack(s, "z9hG4bKack2xx", SR_TP_UDP, 800, &log);
    h_run(s, &log, 100000);
    uint64_t at[32];
    const uint64_t t200[] = {50, 550};
    h_assert_instants(at, h_sends(&log, "SIP/2.0 200", at, 32), t200, 2);
    assert_int_equal(h_sends(&log, "SIP/2.0 100", at, 32), 0);
    const h_rec *a = h_find(&log, SR_EV_REQUEST, 1);
    assert_non_null(a);
    assert_int_equal(a->txn, 0);
    assert_non_null(strstr(a->first, "ACK"));
    assert_int_equal(h_find(&log, SR_EV_TERMINATED, 0)->at, 32050);
    sr_stack_free(s);
}

/* §17.2.2 + RFC 4320: no 100 before 3500 ms on UDP; finals answer retransmissions; J. */
static void test_non_invite_udp(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = recv_req(s, "OPTIONS", BR, SR_TP_UDP, 0, &log, NULL);
    assert_int_equal(h_state(s, id), SR_TXN_TRYING);
    retransmit(s, SR_TP_UDP, 500, &log); /* Trying: absorbed */
    h_run(s, &log, 3600);
    assert_int_equal(h_state(s, id), SR_TXN_PROCEEDING);
    retransmit(s, SR_TP_UDP, 3600, &log); /* Proceeding: the 100 again */
    char text[1024];
    h_resp_text(text, sizeof(text), 180, BR, "UDP", "t1", 1, "OPTIONS", NULL);
    sr_msg *r = h_parse(text);
    assert_int_equal(sr_stack_send_response(s, id, r, 0, 3700), SR_EINVAL); /* RFC 4320 */
    sr_msg_free(r);
    answer(s, id, 200, 4000, &log);
    assert_int_equal(h_state(s, id), SR_TXN_COMPLETED);
    retransmit(s, SR_TP_UDP, 7500, &log);
    h_run(s, &log, 100000);
    uint64_t at[32];
    const uint64_t t100[] = {3500, 3600};
    h_assert_instants(at, h_sends(&log, "SIP/2.0 100", at, 32), t100, 2);
    const uint64_t t200[] = {4000, 7500};
    h_assert_instants(at, h_sends(&log, "SIP/2.0 200", at, 32), t200, 2);
    const h_rec *te = h_find(&log, SR_EV_TERMINATED, 0);
    assert_int_equal(te->at, 36000);
    assert_int_equal(te->state, SR_TXN_COMPLETED);
    sr_stack_free(s);
}

/* Reliable non-INVITE: no automatic 100, J = 0. */
static void test_non_invite_tcp(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = recv_req(s, "OPTIONS", BR, SR_TP_TCP, 0, &log, NULL);
    h_run(s, &log, 10000);
    answer(s, id, 200, 10000, &log);
    uint64_t at[32];
    assert_int_equal(h_sends(&log, "SIP/2.0 100", at, 32), 0);
    assert_int_equal(h_find(&log, SR_EV_TERMINATED, 0)->at, 10000);
    assert_int_equal(sr_stack_next_deadline(s), UINT64_MAX);
    sr_stack_free(s);
}

/* §9.2: CANCEL → 200 to it and 487 to the INVITE (its ACK is absorbed); no match → 481. */
static void test_cancel(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id inv = recv_req(s, "INVITE", BR, SR_TP_UDP, 0, &log, NULL);
    h_run(s, &log, 1000);
    sr_txn_id c = recv_req(s, "CANCEL", BR, SR_TP_UDP, 1000, &log, NULL);
    assert_int_not_equal(c, 0);
    const h_rec *cr = h_find(&log, SR_EV_REQUEST, 1);
    assert_int_equal(cr->related, inv);
    assert_int_equal(h_state(s, inv), SR_TXN_COMPLETED);
    uint64_t at[32];
    assert_int_equal(h_sends(&log, "SIP/2.0 487", at, 32), 1);
    assert_int_equal(h_sends(&log, "SIP/2.0 200", at, 32), 1);
    for (size_t i = 0; i < log.n; i++)
        if (log.r[i].kind == SR_EV_SEND && strstr(log.r[i].first, "487") != NULL)
            assert_non_null(strstr(log.r[i].text, "CSeq: 1 INVITE"));
        else if (log.r[i].kind == SR_EV_SEND && strstr(log.r[i].first, " 200") != NULL)
            assert_non_null(strstr(log.r[i].text, "CSeq: 1 CANCEL"));
    /* The TU is too late now. */
    sr_msg *r = h_build(g_req, 200, "t1", NULL);
    assert_int_equal(sr_stack_send_response(s, c, r, 0, 1100), SR_ESTATE);
    sr_msg_free(r);
    ack(s, BR, SR_TP_UDP, 1200, &log);
    assert_int_equal(h_state(s, inv), SR_TXN_CONFIRMED);
    /* A second CANCEL for an answered INVITE: 200, no second 487. */
    h_clear(&log);
    recv_req(s, "CANCEL", "z9hG4bKother", SR_TP_UDP, 1300, &log, NULL);
    assert_int_equal(h_sends(&log, "SIP/2.0 481", at, 32), 1);
    assert_int_equal(h_sends(&log, "SIP/2.0 487", at, 32), 0);
    h_run(s, &log, 100000);
    assert_int_equal(sr_stack_txn_count(s), 0);
    sr_stack_free(s);
}

/* A proxy's INVITE (sr_stack_server_proxy, RFC 3261 §16.10): the CANCEL gets its 200, the
 * INVITE no automatic 487; the final the TU then sends goes out (a 487 from its branches,
 * or a 2xx that crossed the CANCEL: §16.7 step 5). */
static void test_cancel_proxy(void **state)
{
    (void)state;
    static h_log log;
    for (int two = 0; two < 2; two++) {
        h_clear(&log);
        sr_stack *s = h_stack(true);
        sr_txn_id inv = recv_req(s, "INVITE", BR, SR_TP_UDP, 0, &log, NULL);
        char invite[sizeof(g_req)];
        memcpy(invite, g_req, sizeof(invite));
        assert_int_equal(sr_stack_server_proxy(s, inv), 0);
        assert_int_equal(sr_stack_server_proxy(NULL, inv), SR_EINVAL);
        assert_int_equal(sr_stack_server_proxy(s, inv + 1000), SR_ENOTFOUND);
        h_run(s, &log, 1000);
        sr_txn_id c = recv_req(s, "CANCEL", BR, SR_TP_UDP, 1000, &log, NULL);
        assert_int_equal(h_find(&log, SR_EV_REQUEST, 1)->related, inv);
        assert_int_equal(sr_stack_server_proxy(s, c), SR_ENOTFOUND); /* not an INVITE */
        uint64_t at[32];
        assert_int_equal(h_sends(&log, "SIP/2.0 200", at, 32), 1); /* to the CANCEL */
        assert_int_equal(h_sends(&log, "SIP/2.0 487", at, 32), 0);
        assert_int_equal(h_state(s, inv), SR_TXN_PROCEEDING);
        sr_msg *r = h_build(invite, two ? 200 : 487, "t1", NULL);
        assert_int_equal(sr_stack_send_response(s, inv, r, 0, 1500), 0);
        h_drain(s, &log, 1500);
        assert_int_equal(h_sends(&log, two ? "SIP/2.0 200" : "SIP/2.0 487", at, 32), two ? 2 : 1);
        assert_int_equal(h_state(s, inv), two ? SR_TXN_ACCEPTED : SR_TXN_COMPLETED);
        h_run(s, &log, 100000);
        assert_int_equal(sr_stack_txn_count(s), 0);
        sr_stack_free(s);
    }
}

/* The To tag of a sent response whose first line starts with @p first ("" when none). */
static const char *sent_to_tag(const h_log *log, const char *first, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < log->n; i++) {
        if (log->r[i].kind != SR_EV_SEND || strncmp(log->r[i].first, first, strlen(first)) != 0)
            continue;
        const char *to = strstr(log->r[i].text, "\r\nTo: ");
        const char *t = to ? strstr(to, ";tag=") : NULL;
        if (t)
            snprintf(out, cap, "%.*s", (int)strcspn(t + 5, ";\r\n"), t + 5);
    }
    return out;
}

/* §9.2: the 200 to the CANCEL carries the To tag of the INVITE's responses: the TU's (from
 * its 180) when it answered, else the one the 487 carries. */
static void test_cancel_same_to_tag(void **state)
{
    (void)state;
    static h_log log;
    char t200[64], t487[64], t180[64];
    for (int with_180 = 0; with_180 < 2; with_180++) {
        h_clear(&log);
        sr_stack *s = h_stack(true);
        sr_txn_id inv = recv_req(s, "INVITE", BR, SR_TP_UDP, 0, &log, NULL);
        if (with_180)
            answer(s, inv, 180, 10, &log);
        recv_req(s, "CANCEL", BR, SR_TP_UDP, 1000, &log, NULL);
        sent_to_tag(&log, "SIP/2.0 200", t200, sizeof(t200));
        sent_to_tag(&log, "SIP/2.0 487", t487, sizeof(t487));
        assert_true(t200[0] != '\0');
        assert_string_equal(t200, t487);
        if (with_180) {
            sent_to_tag(&log, "SIP/2.0 180", t180, sizeof(t180));
            assert_string_equal(t180, "t1");
            assert_string_equal(t200, "t1");
        }
        sr_stack_free(s);
    }
}

/* §8.2.2.2: the same request by another path (other branch, no To tag) → 482, TU unaware. */
static void test_merged_482(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    recv_req(s, "INVITE", BR, SR_TP_UDP, 0, &log, NULL);
    assert_int_equal(recv_req(s, "INVITE", "z9hG4bKfork2", SR_TP_UDP, 10, &log, NULL), 0);
    uint64_t at[8];
    assert_int_equal(h_sends(&log, "SIP/2.0 482", at, 8), 1);
    assert_int_equal(h_count(&log, SR_EV_REQUEST), 1);
    sr_stack_free(s);
}

/* §17.2.3 RFC 2543 fallback: no magic cookie; retransmission and ACK still match. */
static void test_rfc2543(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = recv_req(s, "INVITE", "oldstyle1", SR_TP_UDP, 0, &log, NULL);
    assert_int_not_equal(id, 0);
    answer(s, id, 486, 100, &log);
    retransmit(s, SR_TP_UDP, 200, &log);
    assert_int_equal(h_count(&log, SR_EV_REQUEST), 1);
    uint64_t at[8];
    assert_int_equal(h_sends(&log, "SIP/2.0 486", at, 8), 2);
    ack(s, "oldstyle1", SR_TP_UDP, 300, &log);
    assert_int_equal(h_state(s, id), SR_TXN_CONFIRMED);
    /* An ACK whose To tag is not ours does not match: the TU gets it. */
    char text[1024];
    h_req_text(text, sizeof(text), "ACK", "oldstyle1", "UDP", "other", 1, NULL, NULL, NULL);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    h_recv(s, text, &src, 400, &log);
    assert_int_equal(h_count(&log, SR_EV_REQUEST), 2);
    sr_stack_free(s);
}

/* §18.2.2: UDP responses go to the source address and the Via port (rport: source port). */
static void test_response_destination(void **state)
{
    (void)state;
    sr_stack *s = h_stack(true);
    char text[1024];
    h_req_text(text, sizeof(text), "OPTIONS", BR, "UDP", NULL, 1, NULL, NULL, NULL);
    sr_addr src = h_addr("198.51.100.7", 40000, SR_TP_UDP);
    assert_int_equal(sr_stack_receive(s, text, strlen(text), &src, 0), 0);
    sr_event ev;
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    sr_msg *r = h_build(text, 200, "t1", NULL);
    assert_int_equal(sr_stack_send_response(s, ev.txn, r, 0, 0), 0);
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    assert_int_equal(ev.kind, SR_EV_SEND);
    assert_string_equal(ev.addr.host, "198.51.100.7");
    assert_int_equal(ev.addr.port, 5060);
    sr_stack_free(s);
}

/* A full transaction table: a new request gets a stateless 503, retransmissions still match. */
static void test_table_full_503(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_config c;
    sr_config_default(&c);
    c.alloc = tu_allocator();
    c.max_transactions = 1;
    sr_stack *s = NULL;
    assert_int_equal(sr_stack_new(&s, &c), 0);
    sr_txn_id id = recv_req(s, "OPTIONS", BR, SR_TP_UDP, 0, &log, NULL);
    assert_int_not_equal(id, 0);
    char text[1024];
    h_req_text(text, sizeof(text), "INVITE", "z9hG4bKsecond", "UDP", NULL, 7, NULL, NULL, NULL);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    assert_int_equal(sr_stack_receive(s, text, strlen(text), &src, 10), SR_ETOOBIG);
    h_drain(s, &log, 10);
    const h_rec *r = h_find(&log, SR_EV_SEND, 0);
    assert_non_null(r);
    assert_int_equal(r->txn, 0);
    assert_string_equal(r->first, "SIP/2.0 503 Service Unavailable");
    assert_int_equal(h_count(&log, SR_EV_REQUEST), 1);
    assert_int_equal(sr_stack_txn_count(s), 1);
    sr_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_invite_udp_486),
        TU_TEST(test_invite_udp_no_ack),
        TU_TEST(test_invite_tcp_486),
        TU_TEST(test_invite_2xx),
        TU_TEST(test_non_invite_udp),
        TU_TEST(test_non_invite_tcp),
        TU_TEST(test_cancel),
        TU_TEST(test_cancel_proxy),
        TU_TEST(test_merged_482),
        TU_TEST(test_rfc2543),
        TU_TEST(test_response_destination),
        TU_TEST(test_table_full_503),
        TU_TEST(test_cancel_same_to_tag),
    };
    return cmocka_run_group_tests_name("txn_server", tests, NULL, NULL);
}
