/* sipreply tests: an INVITE server transaction in Confirmed (RFC 3261 §17.2.1) over UDP
 * releases its request and keeps its §17.2.3 / §8.2.2.2 key; every lookup that can still
 * reach it gives what the RFC says, the same as with its request (RFC 2543 branches keep it). */
#include "txn_harness.h"

static char g_inv[2048];

/* A request from 192.0.2.1:@p port (Via sent-by host @p host, top Via @p br). */
static void req_text(char *out, size_t cap, const char *method, const char *br, const char *host,
                     unsigned port, const char *to_tag, unsigned cseq)
{
    snprintf(out, cap,
             "%s sip:bob@example.com SIP/2.0\r\n"
             "Via: SIP/2.0/UDP %s:%u;branch=%s\r\n"
             "Max-Forwards: 70\r\n"
             "From: <sip:alice@example.com>;tag=a1\r\n"
             "To: <sip:bob@example.com>%s%s\r\n"
             "Call-ID: call-1@192.0.2.1\r\n"
             "CSeq: %u %s\r\n"
             "Content-Length: 0\r\n\r\n",
             method, host, port, br, to_tag ? ";tag=" : "", to_tag ? to_tag : "", cseq, method);
}

static void recv_text(sr_stack *s, const char *text, uint64_t at, h_log *log)
{
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    h_recv(s, text, &src, at, log);
}

/* INVITE (branch @p br) at 0, 486 (To tag t1) at 100, its ACK at 300: Confirmed. */
static sr_txn_id confirmed(sr_stack *s, const char *br, h_log *log, size_t *mem_completed)
{
    req_text(g_inv, sizeof(g_inv), "INVITE", br, "host.example.com", 5060, NULL, 1);
    recv_text(s, g_inv, 0, log);
    const h_rec *r = h_find(log, SR_EV_REQUEST, 0);
    assert_non_null(r);
    sr_txn_id id = r->txn;
    sr_msg *resp = h_build(g_inv, 486, "t1", NULL);
    assert_int_equal(sr_stack_send_response(s, id, resp, 0, 100), 0);
    h_drain(s, log, 100);
    assert_int_equal(h_state(s, id), SR_TXN_COMPLETED);
    *mem_completed = sr_stack_memory(s);
    char ack[1024];
    req_text(ack, sizeof(ack), "ACK", br, "host.example.com", 5060, "t1", 1);
    recv_text(s, ack, 300, log);
    assert_int_equal(h_state(s, id), SR_TXN_CONFIRMED);
    return id;
}

/* What each request received in Confirmed gives, as RFC 3261 says, for a server whose
 * top Via is @p br; @p compact: whether it released its request (white box). */
static void confirmed_sequences(const char *br, bool compact)
{
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    size_t mem_completed = 0;
    sr_txn_id id = confirmed(s, br, &log, &mem_completed);
    sr__txn *t = sr__txn_find(s, id);
    assert_non_null(t);
    if (compact) {
        assert_null(t->req);
        assert_non_null(t->skey);
        /* the request's head copy (and the 486's bytes) are out of the accounting, the key in */
        assert_true(sr_stack_memory(s) + 500 < mem_completed);
    } else {
        assert_non_null(t->req); /* and no skey */
    }
    uint64_t at[16];
    char text[1024];
    size_t base = log.n;

    /* §17.2.1: ACK retransmissions (§17.2.3: sent-by host compared case-insensitively) and
     * the INVITE's retransmission are absorbed: nothing sent, nothing to the TU. */
    req_text(text, sizeof(text), "ACK", br, compact ? "HOST.example.COM" : "host.example.com", 5060,
             "t1", 1); /* RFC 2543 compares the top Via as it is */
    recv_text(s, text, 400, &log);
    recv_text(s, g_inv, 500, &log);
    assert_int_equal(log.n, base);
    assert_int_equal(h_state(s, id), SR_TXN_CONFIRMED);

    /* An ACK with another sent-by port is not this transaction's: a stray ACK, to the TU. */
    req_text(text, sizeof(text), "ACK", br, "host.example.com", 5070, "t1", 1);
    recv_text(s, text, 600, &log);
    assert_int_equal(h_count(&log, SR_EV_REQUEST), 2);
    assert_int_equal(h_find(&log, SR_EV_REQUEST, 1)->txn, 0);

    /* §9.2: a CANCEL of it still matches: 200 to the CANCEL (To tag of the INVITE's
     * responses), related to the INVITE; no 487, the final was sent. */
    h_clear(&log);
    req_text(text, sizeof(text), "CANCEL", br, "host.example.com", 5060, NULL, 1);
    recv_text(s, text, 700, &log);
    const h_rec *cr = h_find(&log, SR_EV_REQUEST, 0);
    assert_non_null(cr);
    assert_int_equal(cr->related, id);
    assert_int_equal(h_sends(&log, "SIP/2.0 200", at, 16), 1);
    assert_non_null(strstr(h_last_send(&log, "SIP/2.0 200")->text, ";tag=t1"));
    assert_non_null(strstr(h_last_send(&log, "SIP/2.0 200")->text, "CSeq: 1 CANCEL"));
    assert_int_equal(h_sends(&log, "SIP/2.0 487", at, 16), 0);
    assert_int_equal(h_state(s, id), SR_TXN_CONFIRMED);

    /* §8.2.2.2: the same INVITE by another path (other branch, no To tag): 482, TU unaware. */
    h_clear(&log);
    req_text(text, sizeof(text), "INVITE", "z9hG4bKfork2", "host.example.com", 5060, NULL, 1);
    recv_text(s, text, 800, &log);
    assert_int_equal(h_sends(&log, "SIP/2.0 482", at, 16), 1);
    assert_int_equal(h_count(&log, SR_EV_REQUEST), 0);
    /* ... but with another CSeq number it is a new request. */
    req_text(text, sizeof(text), "INVITE", "z9hG4bKnext", "host.example.com", 5060, NULL, 2);
    recv_text(s, text, 900, &log);
    assert_int_equal(h_count(&log, SR_EV_REQUEST), 1);
    assert_int_not_equal(h_find(&log, SR_EV_REQUEST, 0)->txn, id);

    /* The TU is too late: the final was sent (SR_ESTATE, as before Confirmed kept it). */
    sr_msg *r = h_build(g_inv, 200, "t1", NULL);
    assert_int_equal(sr_stack_send_response(s, id, r, 0, 1000), SR_ESTATE);
    sr_msg_free(r);

    /* Timer I = T4 after the ACK: terminated in Confirmed, at 5300. */
    h_clear(&log);
    h_run(s, &log, 5300);
    bool ended = false;
    for (size_t i = 0; i < log.n; i++)
        if (log.r[i].kind == SR_EV_TERMINATED && log.r[i].txn == id) {
            assert_int_equal(log.r[i].at, 5300);
            assert_int_equal(log.r[i].state, SR_TXN_CONFIRMED);
            ended = true;
        }
    assert_true(ended);
    assert_int_equal(h_state(s, id), SR_TXN_TERMINATED);
    sr_stack_free(s);
}

static void test_confirmed_3261(void **state)
{
    (void)state;
    confirmed_sequences("z9hG4bKconf1", true);
}

/* RFC 2543 (no magic cookie): matching compares most of the request, which is kept. */
static void test_confirmed_2543(void **state)
{
    (void)state;
    confirmed_sequences("oldstyle1", false);
}

/* Over TCP Timer I is 0: Confirmed ends at once (nothing to compact). */
static void test_confirmed_tcp(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    char text[1024];
    h_req_text(text, sizeof(text), "INVITE", "z9hG4bKtcp", "TCP", NULL, 1, NULL, NULL, NULL);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_TCP);
    h_recv(s, text, &src, 0, &log);
    sr_txn_id id = h_find(&log, SR_EV_REQUEST, 0)->txn;
    sr_msg *r = h_build(text, 486, "t1", NULL);
    assert_int_equal(sr_stack_send_response(s, id, r, 0, 10), 0);
    h_drain(s, &log, 10);
    h_req_text(text, sizeof(text), "ACK", "z9hG4bKtcp", "TCP", "t1", 1, NULL, NULL, NULL);
    h_recv(s, text, &src, 20, &log);
    assert_int_equal(h_state(s, id), SR_TXN_TERMINATED);
    assert_int_equal(sr_stack_txn_count(s), 0);
    sr_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_confirmed_3261),
        TU_TEST(test_confirmed_2543),
        TU_TEST(test_confirmed_tcp),
    };
    return cmocka_run_group_tests_name("txn_confirmed", tests, NULL, NULL);
}
