/* sipreply tests: per-transaction user data (sr_stack_txn_set_user): every event of a
 * transaction carries it, SR_EV_TERMINATED last; related events carry the INVITE's. */
#include "txn_harness.h"

#define BR "z9hG4bKuser1"

typedef struct u_rec {
    sr_event_kind kind;
    sr_txn_id txn, related;
    void *user, *related_user;
    char first[48];
} u_rec;

typedef struct u_log {
    u_rec r[128];
    size_t n;
} u_log;

static void u_drain(sr_stack *s, u_log *log)
{
    sr_event ev;
    while (sr_stack_poll(s, &ev) == 0) {
        assert_true(log->n < 128);
        u_rec *r = &log->r[log->n++];
        memset(r, 0, sizeof(*r));
        r->kind = ev.kind;
        r->txn = ev.txn;
        r->related = ev.related;
        r->user = ev.user;
        r->related_user = ev.related_user;
        if (ev.kind == SR_EV_SEND)
            h_first_line(ev.data, ev.len, r->first, sizeof(r->first));
        else if (ev.msg != NULL)
            snprintf(r->first, sizeof(r->first), "%.*s", (int)sr_msg_method_str(ev.msg).len,
                     sr_msg_method_str(ev.msg).p);
    }
}

static void u_run(sr_stack *s, u_log *log, uint64_t until)
{
    for (uint64_t d; (d = sr_stack_next_deadline(s)) <= until;) {
        assert_int_equal(sr_stack_on_timer(s, d), 0);
        u_drain(s, log);
    }
}

static sr_txn_id peek_request_id(sr_stack *s)
{
    /* The TU learns the id from the event; the test peeks at the queue to set the user
     * data before the first poll, as an embedder cannot: both orders must work. */
    for (size_t i = 0; i < s->q_len; i++) {
        const sr_event *ev = &s->q[(s->q_head + i) % s->q_cap].ev;
        if (ev->kind == SR_EV_REQUEST)
            return ev->txn;
    }
    return 0;
}

/* An INVITE server transaction: the user data set before the SR_EV_REQUEST is polled is in
 * it, in every SEND, and in the TERMINATED; then it is forgotten. */
static void test_server_user(void **state)
{
    (void)state;
    static u_log log;
    log.n = 0;
    int tag = 7;
    char req[2048];
    h_req_text(req, sizeof(req), "INVITE", BR, "UDP", NULL, 1, NULL, NULL, NULL);
    sr_stack *s = h_stack(true);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    assert_int_equal(sr_stack_receive(s, req, strlen(req), &src, 0), 0);
    sr_txn_id id = peek_request_id(s);
    assert_int_not_equal(id, 0);
    assert_null(sr_stack_txn_user(s, id));
    assert_int_equal(sr_stack_txn_set_user(s, id, &tag), 0);
    assert_ptr_equal(sr_stack_txn_user(s, id), &tag);
    u_drain(s, &log);
    sr_msg *r = h_build(req, 486, "t1", NULL);
    assert_int_equal(sr_stack_send_response(s, id, r, 0, 300), 0);
    u_drain(s, &log);
    u_run(s, &log, 100000);
    size_t sends = 0, terms = 0;
    for (size_t i = 0; i < log.n; i++) {
        assert_int_equal(log.r[i].txn, id);
        assert_ptr_equal(log.r[i].user, &tag);
        sends += log.r[i].kind == SR_EV_SEND;
        terms += log.r[i].kind == SR_EV_TERMINATED;
    }
    assert_int_equal(log.r[0].kind, SR_EV_REQUEST);
    assert_true(sends >= 3); /* 100, 486 and its Timer G retransmissions */
    assert_int_equal(terms, 1);
    assert_int_equal(log.r[log.n - 1].kind, SR_EV_TERMINATED);
    /* gone: the stack holds the pointer no more */
    assert_null(sr_stack_txn_user(s, id));
    assert_int_equal(sr_stack_txn_set_user(s, id, &tag), SR_ENOTFOUND);
    assert_int_equal(sr_stack_txn_set_user(NULL, id, &tag), SR_EINVAL);
    assert_null(sr_stack_txn_user(NULL, id));
    sr_stack_free(s);
}

/* Set after the event was polled: later events carry it, the polled one did not. */
static void test_server_user_after_poll(void **state)
{
    (void)state;
    static u_log log;
    log.n = 0;
    int tag = 1;
    char req[2048];
    h_req_text(req, sizeof(req), "OPTIONS", BR, "TCP", NULL, 1, NULL, NULL, NULL);
    sr_stack *s = h_stack(true);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_TCP);
    assert_int_equal(sr_stack_receive(s, req, strlen(req), &src, 0), 0);
    u_drain(s, &log);
    assert_int_equal(log.n, 1);
    assert_null(log.r[0].user);
    sr_txn_id id = log.r[0].txn;
    assert_int_equal(sr_stack_txn_set_user(s, id, &tag), 0);
    sr_msg *r = h_build(req, 200, "t1", NULL);
    assert_int_equal(sr_stack_send_response(s, id, r, 0, 10), 0);
    u_drain(s, &log);
    /* SEND 200, then TERMINATED at once (reliable: Timer J is 0) */
    assert_int_equal(log.n, 3);
    assert_int_equal(log.r[1].kind, SR_EV_SEND);
    assert_ptr_equal(log.r[1].user, &tag);
    assert_int_equal(log.r[2].kind, SR_EV_TERMINATED);
    assert_ptr_equal(log.r[2].user, &tag);
    sr_stack_free(s);
}

/* A client transaction: the SEND queued by sr_stack_send_request gets it when set before the
 * poll; the response and the TERMINATED carry it. */
static void test_client_user(void **state)
{
    (void)state;
    static u_log log;
    log.n = 0;
    int tag = 3;
    char text[2048];
    h_req_text(text, sizeof(text), "OPTIONS", BR, "UDP", NULL, 1, NULL, NULL, NULL);
    sr_stack *s = h_stack(true);
    sr_addr dst = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    sr_txn_id id = 0;
    assert_int_equal(sr_stack_send_request(s, h_parse(text), &dst, 0, &id), 0);
    assert_int_equal(sr_stack_txn_set_user(s, id, &tag), 0);
    u_drain(s, &log);
    char resp[1024];
    h_resp_text(resp, sizeof(resp), 200, BR, "UDP", "x", 1, "OPTIONS", NULL);
    assert_int_equal(sr_stack_receive(s, resp, strlen(resp), &dst, 100), 0);
    u_drain(s, &log);
    u_run(s, &log, 100000);
    assert_int_equal(log.r[0].kind, SR_EV_SEND);
    size_t resps = 0;
    for (size_t i = 0; i < log.n; i++) {
        assert_ptr_equal(log.r[i].user, &tag);
        resps += log.r[i].kind == SR_EV_RESPONSE;
    }
    assert_int_equal(resps, 1);
    assert_int_equal(log.r[log.n - 1].kind, SR_EV_TERMINATED);
    sr_stack_free(s);
}

/* A CANCEL and the ACK to a 2xx name the INVITE in related: they carry its user data. */
static void test_related_user(void **state)
{
    (void)state;
    static u_log log;
    log.n = 0;
    int inv_tag = 5;
    char req[2048], text[2048];
    h_req_text(req, sizeof(req), "INVITE", BR, "UDP", NULL, 1, NULL, NULL, NULL);
    sr_stack *s = h_stack(true);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    assert_int_equal(sr_stack_receive(s, req, strlen(req), &src, 0), 0);
    u_drain(s, &log);
    sr_txn_id inv = log.r[0].txn;
    assert_int_equal(sr_stack_txn_set_user(s, inv, &inv_tag), 0);
    h_req_text(text, sizeof(text), "CANCEL", BR, "UDP", NULL, 1, NULL, NULL, NULL);
    assert_int_equal(sr_stack_receive(s, text, strlen(text), &src, 100), 0);
    u_drain(s, &log);
    bool seen = false;
    for (size_t i = 0; i < log.n; i++) {
        if (log.r[i].kind == SR_EV_REQUEST && strcmp(log.r[i].first, "CANCEL") == 0) {
            assert_int_equal(log.r[i].related, inv);
            assert_ptr_equal(log.r[i].related_user, &inv_tag);
            assert_null(log.r[i].user); /* the CANCEL's own transaction has none yet */
            seen = true;
        }
    }
    assert_true(seen);
    sr_stack_free(s);

    /* the ACK to a 2xx while the INVITE is Accepted */
    log.n = 0;
    s = h_stack(true);
    assert_int_equal(sr_stack_receive(s, req, strlen(req), &src, 0), 0);
    u_drain(s, &log);
    inv = log.r[0].txn;
    assert_int_equal(sr_stack_txn_set_user(s, inv, &inv_tag), 0);
    assert_int_equal(sr_stack_send_response(s, inv, h_build(req, 200, "t1", NULL), 0, 10), 0);
    h_req_text(text, sizeof(text), "ACK", BR, "UDP", "t1", 1, NULL, NULL, NULL);
    assert_int_equal(sr_stack_receive(s, text, strlen(text), &src, 20), 0);
    u_drain(s, &log);
    const u_rec *a = &log.r[log.n - 1];
    assert_int_equal(a->kind, SR_EV_REQUEST);
    assert_string_equal(a->first, "ACK");
    assert_int_equal(a->related, inv);
    assert_ptr_equal(a->related_user, &inv_tag);
    sr_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_server_user),
        TU_TEST(test_server_user_after_poll),
        TU_TEST(test_client_user),
        TU_TEST(test_related_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
