/* sipreply tests: client transactions (RFC 3261 §17.1, RFC 6026) in simulated time.
 * Asserts the exact instant of every retransmission, timeout, ACK and termination. */
#include "txn_harness.h"

#include "sipreply/proxy.h"

#include "msg_int.h"

#define BR "z9hG4bKclient1"

/* Start a client transaction for @p method over @p tp; returns its id. */
static sr_txn_id start(sr_stack *s, const char *method, sr_transport tp, h_log *log)
{
    char text[1024];
    h_req_text(text, sizeof(text), method, BR, tp == SR_TP_UDP ? "UDP" : "TCP", NULL, 1, NULL, NULL,
               NULL);
    sr_msg *req = h_parse(text);
    sr_addr dest = h_addr("192.0.2.2", 5060, tp);
    sr_txn_id id = 0;
    assert_int_equal(sr_stack_send_request(s, req, &dest, 0, &id), 0);
    assert_int_not_equal(id, 0);
    h_drain(s, log, 0);
    return id;
}

static void resp(sr_stack *s, unsigned code, const char *method, sr_transport tp, uint64_t at,
                 h_log *log, const char *extra)
{
    char text[1024];
    h_resp_text(text, sizeof(text), code, BR, tp == SR_TP_UDP ? "UDP" : "TCP",
                code > 100 ? "b1" : NULL, 1, method, extra);
    sr_addr src = h_addr("192.0.2.2", 5060, tp);
    h_recv(s, text, &src, at, log);
}

/* §17.1.1.2: INVITE over UDP at 0, 500, 1500, 3500, 7500, 15500, 31500; Timer B at 32000. */
static void test_invite_udp_timeout(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = start(s, "INVITE", SR_TP_UDP, &log);
    assert_int_equal(h_state(s, id), SR_TXN_CALLING);
    h_run(s, &log, 40000);
    uint64_t at[16];
    const uint64_t want[] = {0, 500, 1500, 3500, 7500, 15500, 31500};
    h_assert_instants(at, h_sends(&log, "INVITE ", at, 16), want, 7);
    const h_rec *to = h_find(&log, SR_EV_TIMEOUT, 0);
    assert_non_null(to);
    assert_int_equal(to->at, 32000);
    assert_int_equal(to->timer, 'B');
    assert_int_equal(to->txn, id);
    const h_rec *te = h_find(&log, SR_EV_TERMINATED, 0);
    assert_non_null(te);
    assert_int_equal(te->at, 32000);
    assert_int_equal(te->state, SR_TXN_CALLING);
    assert_int_equal(sr_stack_txn_count(s), 0);
    assert_int_equal(sr_stack_next_deadline(s), UINT64_MAX);
    sr_stack_free(s);
}

/* Reliable transport: no Timer A; Timer B still at 64·T1. */
static void test_invite_tcp_timeout(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    start(s, "INVITE", SR_TP_TCP, &log);
    h_run(s, &log, 40000);
    uint64_t at[16];
    const uint64_t want[] = {0};
    h_assert_instants(at, h_sends(&log, "INVITE ", at, 16), want, 1);
    assert_int_equal(h_find(&log, SR_EV_TIMEOUT, 0)->at, 32000);
    assert_true(h_find(&log, SR_EV_SEND, 0)->text[0] == 'I');
    sr_stack_free(s);
}

/* 1xx stops A; 486 → Completed, ACK sent for it and for its retransmission; D at +32 s. */
static void test_invite_udp_486(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = start(s, "INVITE", SR_TP_UDP, &log);
    h_run(s, &log, 700);
    resp(s, 180, "INVITE", SR_TP_UDP, 700, &log, NULL);
    assert_int_equal(h_state(s, id), SR_TXN_PROCEEDING);
    h_run(s, &log, 5000);
    resp(s, 486, "INVITE", SR_TP_UDP, 5000, &log, NULL);
    assert_int_equal(h_state(s, id), SR_TXN_COMPLETED);
    resp(s, 486, "INVITE", SR_TP_UDP, 6000, &log, NULL);
    h_run(s, &log, 60000);
    uint64_t at[16];
    const uint64_t inv[] = {0, 500};
    h_assert_instants(at, h_sends(&log, "INVITE ", at, 16), inv, 2);
    const uint64_t acks[] = {5000, 6000};
    h_assert_instants(at, h_sends(&log, "ACK ", at, 16), acks, 2);
    /* The TU saw 180 and one 486 (the retransmission is absorbed). */
    assert_int_equal(h_count(&log, SR_EV_RESPONSE), 2);
    assert_int_equal(h_find(&log, SR_EV_RESPONSE, 1)->status, 486);
    const h_rec *ack = h_last_send(&log, "ACK ");
    /* §17.1.1.3: same branch, To with the response's tag, CSeq 1 ACK. */
    assert_non_null(strstr(ack->text, "branch=" BR));
    assert_non_null(strstr(ack->text, "tag=b1"));
    assert_non_null(strstr(ack->text, "CSeq: 1 ACK"));
    assert_int_equal(h_find(&log, SR_EV_TERMINATED, 0)->at, 37000);
    assert_int_equal(h_count(&log, SR_EV_TIMEOUT), 0);
    sr_stack_free(s);
}

/* sr_stack_next_deadline_slack: Timer A and B are on time; Timer D (it only ends the
 * transaction, §17.1.1.2 "at least 32 s") may wait the slack, and fired late it still ends
 * the transaction at its own deadline. */
static void test_deadline_slack(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    assert_int_equal(sr_stack_next_deadline_slack(s, 50), UINT64_MAX);
    assert_int_equal(sr_stack_next_deadline_slack(NULL, 50), UINT64_MAX);
    sr_txn_id id = start(s, "INVITE", SR_TP_UDP, &log);
    assert_int_equal(sr_stack_next_deadline(s), 500); /* Timer A */
    assert_int_equal(sr_stack_next_deadline_slack(s, 50), 500);
    resp(s, 486, "INVITE", SR_TP_UDP, 100, &log, NULL);
    assert_int_equal(h_state(s, id), SR_TXN_COMPLETED);
    assert_int_equal(sr_stack_next_deadline(s), 32100); /* Timer D alone */
    assert_int_equal(sr_stack_next_deadline_slack(s, 50), 32150);
    assert_int_equal(sr_stack_next_deadline_slack(s, 0), 32100);
    /* a second call's Timer A (at 32,080), strict, comes before D + slack */
    assert_int_equal(sr_stack_on_timer(s, 31580), 0);
    char text[1024];
    h_req_text(text, sizeof(text), "INVITE", "z9hG4bKslack2", "UDP", NULL, 1, NULL, NULL, NULL);
    sr_msg *req = h_parse(text);
    sr_addr dest = h_addr("192.0.2.2", 5060, SR_TP_UDP);
    sr_txn_id id2 = 0;
    assert_int_equal(sr_stack_send_request(s, req, &dest, 0, &id2), 0);
    h_drain(s, &log, 31580);
    assert_int_equal(sr_stack_next_deadline(s), 32080);
    assert_int_equal(sr_stack_next_deadline_slack(s, 50), 32080);
    assert_int_equal(sr_stack_next_deadline_slack(s, 10), 32080);
    assert_int_equal(sr_stack_next_deadline_slack(s, 0), 32080);
    /* its 486: its Timer D too, no strict timer left */
    h_resp_text(text, sizeof(text), 486, "z9hG4bKslack2", "UDP", "b2", 1, "INVITE", NULL);
    sr_addr src = h_addr("192.0.2.2", 5060, SR_TP_UDP);
    h_recv(s, text, &src, 31600, &log);
    assert_int_equal(h_state(s, id2), SR_TXN_COMPLETED);
    assert_int_equal(sr_stack_next_deadline_slack(s, 50), 32150);
    /* fired late, D still ends the transaction */
    assert_int_equal(h_count(&log, SR_EV_TERMINATED), 0);
    assert_int_equal(sr_stack_on_timer(s, 32150), 0);
    h_drain(s, &log, 32150);
    assert_int_equal(h_state(s, id), SR_TXN_TERMINATED);
    assert_int_equal(h_state(s, id2), SR_TXN_COMPLETED);
    assert_int_equal(h_count(&log, SR_EV_TERMINATED), 1);
    assert_int_equal(sr_stack_next_deadline_slack(s, 50), 31600 + 32000 + 50);
    sr_stack_free(s);
}

/* Reliable: Timer D is 0, the transaction ends with the ACK. */
static void test_invite_tcp_486(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    start(s, "INVITE", SR_TP_TCP, &log);
    resp(s, 486, "INVITE", SR_TP_TCP, 100, &log, NULL);
    assert_int_equal(h_find(&log, SR_EV_TERMINATED, 0)->at, 100);
    assert_int_equal(sr_stack_txn_count(s), 0);
    sr_stack_free(s);
}

/* RFC 6026: 2xx → Accepted, every 2xx to the TU, Timer M 64·T1 later; no ACK by us. */
static void test_invite_2xx_accepted(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = start(s, "INVITE", SR_TP_UDP, &log);
    h_run(s, &log, 1000);
    resp(s, 200, "INVITE", SR_TP_UDP, 1000, &log, "Contact: <sip:b@192.0.2.2>\r\n");
    assert_int_equal(h_state(s, id), SR_TXN_ACCEPTED);
    resp(s, 200, "INVITE", SR_TP_UDP, 2000, &log, "Contact: <sip:b@192.0.2.2>\r\n");
    h_run(s, &log, 60000);
    assert_int_equal(h_count(&log, SR_EV_RESPONSE), 2);
    uint64_t at[16];
    assert_int_equal(h_sends(&log, "ACK ", at, 16), 0);
    const uint64_t inv[] = {0, 500};
    h_assert_instants(at, h_sends(&log, "INVITE ", at, 16), inv, 2);
    const h_rec *te = h_find(&log, SR_EV_TERMINATED, 0);
    assert_int_equal(te->at, 33000);
    assert_int_equal(te->state, SR_TXN_ACCEPTED);
    /* After Timer M a 2xx is stray: it still reaches the TU, with no transaction. */
    h_clear(&log);
    resp(s, 200, "INVITE", SR_TP_UDP, 60000, &log, NULL);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.r[0].kind, SR_EV_RESPONSE);
    assert_int_equal(log.r[0].txn, 0);
    sr_stack_free(s);
}

/* §17.1.2.2: non-INVITE over UDP doubles to T2: 0, 500, 1500, 3500, then every 4 s. */
static void test_non_invite_udp_timeout(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    start(s, "OPTIONS", SR_TP_UDP, &log);
    h_run(s, &log, 40000);
    uint64_t at[16];
    const uint64_t want[] = {0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500};
    h_assert_instants(at, h_sends(&log, "OPTIONS ", at, 16), want, 11);
    const h_rec *to = h_find(&log, SR_EV_TIMEOUT, 0);
    assert_int_equal(to->at, 32000);
    assert_int_equal(to->timer, 'F');
    assert_int_equal(h_find(&log, SR_EV_TERMINATED, 0)->state, SR_TXN_TRYING);
    sr_stack_free(s);
}

/* A provisional moves to Proceeding where E fires at T2; final → Completed, K = T4. */
static void test_non_invite_proceeding(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = start(s, "OPTIONS", SR_TP_UDP, &log);
    h_run(s, &log, 600);
    resp(s, 100, "OPTIONS", SR_TP_UDP, 600, &log, NULL);
    assert_int_equal(h_state(s, id), SR_TXN_PROCEEDING);
    h_run(s, &log, 10000);
    resp(s, 200, "OPTIONS", SR_TP_UDP, 10000, &log, NULL);
    assert_int_equal(h_state(s, id), SR_TXN_COMPLETED);
    resp(s, 200, "OPTIONS", SR_TP_UDP, 11000, &log, NULL); /* absorbed */
    h_run(s, &log, 60000);
    uint64_t at[16];
    const uint64_t want[] = {0, 500, 1500, 5500, 9500};
    h_assert_instants(at, h_sends(&log, "OPTIONS ", at, 16), want, 5);
    assert_int_equal(h_count(&log, SR_EV_RESPONSE), 2);
    const h_rec *te = h_find(&log, SR_EV_TERMINATED, 0);
    assert_int_equal(te->at, 15000);
    assert_int_equal(te->state, SR_TXN_COMPLETED);
    sr_stack_free(s);
}

/* Reliable non-INVITE: one send, K = 0. */
static void test_non_invite_tcp(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    start(s, "OPTIONS", SR_TP_TCP, &log);
    h_run(s, &log, 20000);
    resp(s, 200, "OPTIONS", SR_TP_TCP, 20000, &log, NULL);
    uint64_t at[16];
    const uint64_t want[] = {0};
    h_assert_instants(at, h_sends(&log, "OPTIONS ", at, 16), want, 1);
    assert_int_equal(h_find(&log, SR_EV_TERMINATED, 0)->at, 20000);
    assert_int_equal(sr_stack_next_deadline(s), UINT64_MAX);
    sr_stack_free(s);
}

/* §9.1: CANCEL waits for a provisional; it reuses the INVITE's branch with method CANCEL,
 * and a 200 to the CANCEL does not touch the INVITE transaction (§17.1.3 CSeq method). */
static void test_cancel(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id inv = start(s, "INVITE", SR_TP_UDP, &log);
    sr_txn_id c = 0;
    assert_int_equal(sr_stack_cancel(s, inv, 100, &c), 0);
    assert_int_equal(sr_stack_cancel(s, inv, 100, NULL), SR_ESTATE);
    h_drain(s, &log, 100);
    uint64_t at[16];
    assert_int_equal(h_sends(&log, "CANCEL ", at, 16), 0);
    resp(s, 180, "INVITE", SR_TP_UDP, 300, &log, NULL);
    assert_int_equal(h_sends(&log, "CANCEL ", at, 16), 1);
    assert_int_equal(at[0], 300);
    const h_rec *cr = h_last_send(&log, "CANCEL");
    assert_int_equal(cr->txn, c);
    assert_non_null(strstr(cr->text, "branch=" BR));
    assert_non_null(strstr(cr->text, "CSeq: 1 CANCEL"));
    resp(s, 200, "CANCEL", SR_TP_UDP, 400, &log, NULL);
    assert_int_equal(h_state(s, inv), SR_TXN_PROCEEDING);
    assert_int_equal(h_state(s, c), SR_TXN_COMPLETED);
    resp(s, 487, "INVITE", SR_TP_UDP, 500, &log, NULL);
    assert_int_equal(h_state(s, inv), SR_TXN_COMPLETED);
    assert_int_equal(h_sends(&log, "ACK ", at, 16), 1);
    h_run(s, &log, 100000);
    assert_int_equal(sr_stack_txn_count(s), 0);
    assert_int_equal(h_count(&log, SR_EV_TERMINATED), 2);
    /* Bad handles. */
    assert_int_equal(sr_stack_cancel(s, inv, 100000, NULL), SR_ENOTFOUND);
    sr_stack_free(s);
}

/* A final before any provisional: the pending CANCEL is dropped and reported terminated. */
static void test_cancel_dropped(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id inv = start(s, "INVITE", SR_TP_UDP, &log);
    sr_txn_id c = 0;
    assert_int_equal(sr_stack_cancel(s, inv, 10, &c), 0);
    resp(s, 603, "INVITE", SR_TP_UDP, 20, &log, NULL);
    const h_rec *te = h_find(&log, SR_EV_TERMINATED, 0);
    assert_non_null(te);
    assert_int_equal(te->txn, c);
    uint64_t at[4];
    assert_int_equal(h_sends(&log, "CANCEL ", at, 4), 0);
    sr_stack_free(s);
}

/* The INVITE start() sends, parsed again: what a proxy keeps to build its CANCEL from. */
static sr_msg *invite_copy(const char *branch)
{
    char text[1024];
    h_req_text(text, sizeof(text), "INVITE", branch, "UDP", NULL, 1, NULL, NULL, NULL);
    return h_parse(text);
}

/* §17.1.1.2, §17.1.2.2: in Completed over UDP a client transaction keeps only its matching key
 * and (INVITE) its ACK: the request and its printed bytes go back at once, retransmitted
 * finals still get the same ACK until Timer D, a CANCEL is refused as in any Completed
 * transaction, and Timer D / K still end it with every byte returned. */
static void test_completed_releases_request(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = start(s, "INVITE", SR_TP_UDP, &log);
    size_t calling = sr_stack_memory(s);
    const sr__txn *t = sr__txn_find(s, id);
    assert_non_null(t->req);
    assert_true(t->req_bytes.len > 0);
    resp(s, 486, "INVITE", SR_TP_UDP, 100, &log, NULL);
    assert_int_equal(h_state(s, id), SR_TXN_COMPLETED);
    assert_null(t->req);
    assert_int_equal(t->req_bytes.len, 0);
    assert_true(t->resp.len > 0); /* the ACK */
    assert_true(sr_stack_memory(s) < calling);
    /* a retransmitted final is matched by the kept key and gets the same ACK again */
    resp(s, 486, "INVITE", SR_TP_UDP, 2000, &log, NULL);
    uint64_t at[8];
    const uint64_t acks[] = {100, 2000};
    h_assert_instants(at, h_sends(&log, "ACK ", at, 8), acks, 2);
    const h_rec *a1 = NULL, *a2 = NULL;
    for (size_t i = 0; i < log.n; i++)
        if (log.r[i].kind == SR_EV_SEND && strncmp(log.r[i].first, "ACK ", 4) == 0)
            *(a1 == NULL ? &a1 : &a2) = &log.r[i];
    assert_string_equal(a1->text, a2->text);
    /* a final for another branch or method does not match it */
    char text[1024];
    h_resp_text(text, sizeof(text), 486, "z9hG4bKother", "UDP", "b1", 1, "INVITE", NULL);
    sr_addr src = h_addr("192.0.2.2", 5060, SR_TP_UDP);
    h_recv(s, text, &src, 2100, &log);
    resp(s, 486, "CANCEL", SR_TP_UDP, 2200, &log, NULL);
    assert_int_equal(h_sends(&log, "ACK ", at, 8), 2);
    assert_int_equal(sr_stack_cancel(s, id, 2300, NULL), SR_ESTATE);
    sr_msg *c = invite_copy("z9hG4bKnotit"); /* any message: refused for the state */
    assert_int_equal(sr_stack_cancel_msg(s, id, c, 2300, NULL), SR_ESTATE);
    sr_msg_free(c);
    h_run(s, &log, 100000);
    assert_int_equal(h_find(&log, SR_EV_TERMINATED, 0)->at, 32100);
    size_t mine = 0; /* the two that did not match went to the core as strays (§18.1.2) */
    for (size_t i = 0; i < log.n; i++)
        mine += log.r[i].kind == SR_EV_RESPONSE && log.r[i].txn == id;
    assert_int_equal(mine, 1);
    assert_int_equal(sr_stack_memory(s), 0);
    sr_stack_free(s);
    /* non-INVITE: released in Completed, retransmissions absorbed, Timer K ends it */
    h_clear(&log);
    s = h_stack(true);
    id = start(s, "OPTIONS", SR_TP_UDP, &log);
    resp(s, 200, "OPTIONS", SR_TP_UDP, 100, &log, NULL);
    t = sr__txn_find(s, id);
    assert_null(t->req);
    resp(s, 200, "OPTIONS", SR_TP_UDP, 200, &log, NULL);
    assert_int_equal(h_count(&log, SR_EV_RESPONSE), 1);
    h_run(s, &log, 100000);
    assert_int_equal(h_find(&log, SR_EV_TERMINATED, 0)->at, 5100);
    assert_int_equal(sr_stack_memory(s), 0);
    sr_stack_free(s);
}

/* §9.1 with the TU's own CANCEL (sr_stack_cancel_msg): a proxy's CANCEL with Reason (RFC 3326)
 * waits for the 1xx and goes out as built; one for another INVITE is refused and stays the
 * caller's; once Proceeding, the next one is sent at once; a final first drops it. */
static void test_cancel_msg(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id inv = start(s, "INVITE", SR_TP_UDP, &log);
    size_t mem0 = sr_stack_memory(s);
    sr_msg *orig = invite_copy(BR), *other = invite_copy("z9hG4bKother");
    sr_msg *c = NULL, *bad = NULL;
    assert_int_equal(sr_proxy_build_cancel(&c, orig, SR_STR(SR_PROXY_REASON_ELSEWHERE), NULL), 0);
    assert_int_equal(sr_proxy_build_cancel(&bad, other, SR_STR(""), NULL), 0);
    assert_int_equal(sr_stack_cancel_msg(s, inv, bad, 10, NULL), SR_EINVAL);
    assert_int_equal(sr_stack_cancel_msg(s, inv, orig, 10, NULL), SR_EINVAL); /* not a CANCEL */
    assert_int_equal(sr_stack_cancel_msg(s, 999, bad, 10, NULL), SR_ENOTFOUND);
    assert_int_equal(sr_stack_cancel_msg(NULL, inv, bad, 10, NULL), SR_EINVAL);
    sr_msg_free(bad);
    sr_txn_id cid = 0;
    assert_int_equal(sr_stack_cancel_msg(s, inv, c, 10, &cid), 0);
    assert_true(sr_stack_memory(s) > mem0); /* the waiting CANCEL is counted */
    sr_msg *c2 = NULL;
    assert_int_equal(sr_proxy_build_cancel(&c2, orig, SR_STR(""), NULL), 0);
    assert_int_equal(sr_stack_cancel_msg(s, inv, c2, 20, NULL), SR_ESTATE);
    sr_msg_free(c2);
    h_drain(s, &log, 20);
    uint64_t at[16];
    assert_int_equal(h_sends(&log, "CANCEL ", at, 16), 0);
    resp(s, 180, "INVITE", SR_TP_UDP, 300, &log, NULL);
    assert_int_equal(h_sends(&log, "CANCEL ", at, 16), 1);
    assert_int_equal(at[0], 300);
    const h_rec *cr = h_last_send(&log, "CANCEL");
    assert_int_equal(cr->txn, cid);
    assert_non_null(strstr(cr->text, "branch=" BR));
    assert_non_null(strstr(cr->text, "CSeq: 1 CANCEL"));
    assert_non_null(strstr(cr->text, "Reason: " SR_PROXY_REASON_ELSEWHERE "\r\n"));
    resp(s, 200, "CANCEL", SR_TP_UDP, 400, &log, NULL);
    assert_int_equal(h_state(s, cid), SR_TXN_COMPLETED);
    resp(s, 487, "INVITE", SR_TP_UDP, 500, &log, NULL);
    h_run(s, &log, 100000);
    assert_int_equal(sr_stack_txn_count(s), 0);
    assert_int_equal(sr_stack_memory(s), 0);

    /* Proceeding already: sent at once. */
    h_clear(&log);
    inv = start(s, "INVITE", SR_TP_UDP, &log);
    resp(s, 183, "INVITE", SR_TP_UDP, 100100, &log, NULL);
    assert_int_equal(sr_proxy_build_cancel(&c, orig, SR_STR("SIP;cause=480"), NULL), 0);
    assert_int_equal(sr_stack_cancel_msg(s, inv, c, 100200, &cid), 0);
    h_drain(s, &log, 100200);
    assert_int_equal(h_sends(&log, "CANCEL ", at, 16), 1);
    assert_int_equal(at[0], 100200);
    resp(s, 487, "INVITE", SR_TP_UDP, 100300, &log, NULL);
    h_run(s, &log, 200000);

    /* A final before any provisional: the CANCEL is freed unsent, its handle terminated. */
    h_clear(&log);
    inv = start(s, "INVITE", SR_TP_UDP, &log);
    assert_int_equal(sr_proxy_build_cancel(&c, orig, SR_STR(SR_PROXY_REASON_ELSEWHERE), NULL), 0);
    assert_int_equal(sr_stack_cancel_msg(s, inv, c, 200010, &cid), 0);
    resp(s, 603, "INVITE", SR_TP_UDP, 200020, &log, NULL);
    assert_int_equal(h_find(&log, SR_EV_TERMINATED, 0)->txn, cid);
    assert_int_equal(h_sends(&log, "CANCEL ", at, 16), 0);
    /* ... and one still waiting when the stack is freed is freed with it (no leak). */
    sr_msg_free(other);
    sr_stack_free(s);
    h_clear(&log);
    s = h_stack(true);
    inv = start(s, "INVITE", SR_TP_UDP, &log);
    assert_int_equal(sr_proxy_build_cancel(&c, orig, SR_STR(""), NULL), 0);
    assert_int_equal(sr_stack_cancel_msg(s, inv, c, 10, NULL), 0);
    sr_msg_free(orig);
    sr_stack_free(s);
}

/* Inputs the API refuses, and time that goes backwards. */
static void test_api_errors(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    char text[1024];
    sr_addr d = h_addr("192.0.2.2", 5060, SR_TP_UDP);
    h_req_text(text, sizeof(text), "OPTIONS", "oldbranch", "UDP", NULL, 1, NULL, NULL, NULL);
    sr_msg *m = h_parse(text);
    assert_int_equal(sr_stack_send_request(s, m, &d, 0, NULL), SR_EINVAL);
    sr_msg_free(m);
    h_req_text(text, sizeof(text), "ACK", BR, "UDP", NULL, 1, NULL, NULL, NULL);
    m = h_parse(text);
    assert_int_equal(sr_stack_send_request(s, m, &d, 0, NULL), SR_EINVAL);
    sr_msg_free(m);
    start(s, "OPTIONS", SR_TP_UDP, &log);
    h_req_text(text, sizeof(text), "OPTIONS", BR, "UDP", NULL, 1, NULL, NULL, NULL);
    m = h_parse(text);
    assert_int_equal(sr_stack_send_request(s, m, &d, 0, NULL), SR_EEXIST);
    sr_msg_free(m);
    assert_int_equal(sr_stack_send_response(s, 999, NULL, 0, 0), SR_EINVAL);
    assert_int_equal(sr_stack_receive(s, "garbage", 7, &d, 0), SR_EBADMSG);
    assert_int_equal(sr_stack_dropped(s), 1);
    /* Time going backwards is the last time: the 500 ms retransmission still fires at 500. */
    assert_int_equal(sr_stack_on_timer(s, 400), 0);
    assert_int_equal(sr_stack_on_timer(s, 100), 0);
    assert_int_equal(sr_stack_next_deadline(s), 500);
    assert_string_equal(sr_txn_state_name(SR_TXN_ACCEPTED), "Accepted");
    sr_config bad;
    sr_config_default(&bad);
    sr_stack *s2 = NULL;
    bad.size = 0;
    assert_int_equal(sr_stack_new(&s2, &bad), SR_EINVAL);
    sr_config_default(&bad);
    bad.t2 = 100; /* below T1 */
    assert_int_equal(sr_stack_new(&s2, &bad), SR_EINVAL);
    assert_null(s2);
    assert_string_equal(sr_txn_kind_name(SR_TXN_NON_INVITE_SERVER), "non-INVITE server");
    sr_stack_free(s);
}

/* A request built with print.h is used as it is (its accessors are kept in step by
 * sr_msg_add_header): matched on, and the source of the ACK for a non-2xx final. A built
 * request whose top Via does not parse is refused and stays the caller's. */
static sr_msg *built_invite(const char *top_via)
{
    sr_msg *m = NULL;
    assert_int_equal(
        sr_msg_new_request(&m, tu_allocator(), SR_STR("INVITE"), SR_STR("sip:bob@example.com")), 0);
    assert_int_equal(sr_msg_add_header(m, SR_HDR_VIA, SR_STR_NULL, sr_str_from_cstr(top_via)), 0);
    assert_int_equal(sr_msg_add_header(m, SR_HDR_MAX_FORWARDS, SR_STR_NULL, SR_STR("70")), 0);
    assert_int_equal(
        sr_msg_add_header(m, SR_HDR_FROM, SR_STR_NULL, SR_STR("<sip:alice@example.com>;tag=a1")),
        0);
    assert_int_equal(sr_msg_add_header(m, SR_HDR_TO, SR_STR_NULL, SR_STR("<sip:bob@example.com>")),
                     0);
    assert_int_equal(sr_msg_add_header(m, SR_HDR_CALL_ID, SR_STR_NULL, SR_STR("call-1@192.0.2.1")),
                     0);
    assert_int_equal(sr_msg_add_header(m, SR_HDR_CSEQ, SR_STR_NULL, SR_STR("1 INVITE")), 0);
    return m;
}

static void test_built_request_used_directly(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_addr d = h_addr("192.0.2.2", 5060, SR_TP_UDP);
    /* the top value does not parse: the second must not be taken for the top one */
    sr_msg *bad =
        built_invite("SIP/2.0/UDP [bad;branch=z9hG4bKx, SIP/2.0/UDP 192.0.2.1;branch=" BR);
    /* as in a parsed message, the Via list stops at the first value that does not parse */
    assert_int_equal(sr_msg_via_count(bad), 0);
    assert_null(sr_msg_via(bad, 0));
    assert_int_equal(sr_stack_send_request(s, bad, &d, 0, NULL), SR_EINVAL);
    assert_int_equal(sr_stack_txn_count(s), 0);
    sr_msg_free(bad); /* still ours */
    sr_msg *m = built_invite("SIP/2.0/UDP 192.0.2.1:5060;branch=" BR);
    sr_txn_id id = 0;
    assert_int_equal(sr_stack_send_request(s, m, &d, 0, &id), 0);
    h_drain(s, &log, 0);
    resp(s, 486, "INVITE", SR_TP_UDP, 100, &log, NULL);
    const h_rec *r = h_find(&log, SR_EV_RESPONSE, 0);
    assert_non_null(r);
    assert_int_equal(r->txn, id);
    uint64_t at[4];
    assert_int_equal(h_sends(&log, "ACK sip:bob@example.com SIP/2.0", at, 4), 1);
    const h_rec *ack = h_find(&log, SR_EV_SEND, 1);
    assert_non_null(strstr(ack->text, "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" BR "\r\n"));
    assert_non_null(strstr(ack->text, "CSeq: 1 ACK\r\n"));
    assert_non_null(strstr(ack->text, "tag=b1"));
    assert_int_equal(h_state(s, id), SR_TXN_COMPLETED);
    sr_stack_free(s);
}

/* §17.1.1.3: the ACK a client INVITE transaction prints for a non-2xx final (straight into
 * its buffer) is byte for byte the one sr_build_ack() builds and sr_msg_print() prints: with
 * Route headers, compact names, values with spaces to trim, and a folded value (which takes
 * the builder's way). */
static void ack_same_as_built(const char *inv_text, const char *resp_text)
{
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_addr d = h_addr("192.0.2.2", 5060, SR_TP_UDP);
    sr_msg *inv = h_parse(inv_text);
    sr_msg *copy = h_parse(inv_text);
    sr_msg *r = h_parse(resp_text);
    assert_int_equal(sr_stack_send_request(s, inv, &d, 0, NULL), 0);
    h_drain(s, &log, 0);
    h_recv(s, resp_text, &d, 100, &log);
    const h_rec *ack = h_last_send(&log, "ACK ");
    assert_non_null(ack);
    sr_msg *built = NULL;
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_build_ack(&built, copy, r, tu_allocator()), 0);
    assert_int_equal(sr_msg_print(built, &b), 0);
    assert_string_equal(ack->text, b.p);
    sr_buf_cleanup(&b);
    sr_msg_free(built);
    sr_msg_free(copy);
    sr_msg_free(r);
    sr_stack_free(s);
}

static void test_ack_printed_as_built(void **state)
{
    (void)state;
    ack_same_as_built("INVITE sip:bob@192.0.2.2 SIP/2.0\r\n"
                      "v: SIP/2.0/UDP 192.0.2.1:5060;branch=" BR ";rport\r\n"
                      "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKup\r\n"
                      "Route: <sip:r1.example.com;lr>  \r\n"
                      "Route:   <sip:r2.example.com;lr>, <sip:r3.example.com;lr>\r\n"
                      "Max-Forwards: 69\r\n"
                      "f: \"A\" <sip:alice@example.com>;tag=a1\r\n"
                      "t: <sip:bob@example.com>\r\n"
                      "i: call-ack@192.0.2.1\r\n"
                      "CSeq: 7 INVITE\r\n"
                      "Content-Length: 0\r\n\r\n",
                      "SIP/2.0 486 Busy Here\r\n"
                      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" BR ";rport\r\n"
                      "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKup\r\n"
                      "From: \"A\" <sip:alice@example.com>;tag=a1\r\n"
                      "To:  <sip:bob@example.com>;tag=b9 \r\n"
                      "Call-ID: call-ack@192.0.2.1\r\n"
                      "CSeq: 7 INVITE\r\n"
                      "Content-Length: 0\r\n\r\n");
    /* a folded From: the builder's way, the same bytes */
    ack_same_as_built("INVITE sip:bob@192.0.2.2 SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" BR "\r\n"
                      "Max-Forwards: 70\r\n"
                      "From: <sip:alice@example.com>\r\n ;tag=a1\r\n"
                      "To: <sip:bob@example.com>\r\n"
                      "Call-ID: call-fold@192.0.2.1\r\n"
                      "CSeq: 1 INVITE\r\n"
                      "Content-Length: 0\r\n\r\n",
                      "SIP/2.0 603 Decline\r\n"
                      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" BR "\r\n"
                      "From: <sip:alice@example.com>;tag=a1\r\n"
                      "To: <sip:bob@example.com>;tag=b2\r\n"
                      "Call-ID: call-fold@192.0.2.1\r\n"
                      "CSeq: 1 INVITE\r\n"
                      "Content-Length: 0\r\n\r\n");
}

/* Timer C: a Proceeding INVITE with no final reports SR_EV_TIMEOUT 'C' and waits for the TU. */
static void test_timer_c(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = start(s, "INVITE", SR_TP_UDP, &log);
    resp(s, 180, "INVITE", SR_TP_UDP, 100, &log, NULL);
    h_run(s, &log, 200000);
    const h_rec *to = h_find(&log, SR_EV_TIMEOUT, 0);
    assert_non_null(to);
    assert_int_equal(to->timer, 'C');
    assert_int_equal(to->at, 180100);
    assert_int_equal(h_state(s, id), SR_TXN_PROCEEDING);
    /* The TU cancels; the 487 and the ACK end both transactions. */
    sr_txn_id c = 0;
    assert_int_equal(sr_stack_cancel(s, id, 200000, &c), 0);
    h_drain(s, &log, 200000);
    resp(s, 487, "INVITE", SR_TP_UDP, 200100, &log, NULL);
    resp(s, 200, "CANCEL", SR_TP_UDP, 200100, &log, NULL);
    h_run(s, &log, 300000);
    assert_int_equal(sr_stack_txn_count(s), 0);
    sr_stack_free(s);
}

/* §17.1.4: a transport error ends the transactions towards that peer and connection only. */
static void test_transport_error(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = start(s, "INVITE", SR_TP_TCP, &log);
    sr_addr other = h_addr("192.0.2.99", 5060, SR_TP_TCP);
    assert_int_equal(sr_stack_on_transport_error(s, &other, 10), 0);
    assert_int_equal(h_state(s, id), SR_TXN_CALLING);
    sr_addr peer = h_addr("192.0.2.2", 5060, SR_TP_TCP);
    assert_int_equal(sr_stack_on_transport_error(s, &peer, 20), 0);
    h_drain(s, &log, 20);
    const h_rec *te = h_find(&log, SR_EV_TRANSPORT_ERROR, 0);
    assert_non_null(te);
    assert_int_equal(te->txn, id);
    assert_int_equal(h_find(&log, SR_EV_TERMINATED, 0)->txn, id);
    assert_int_equal(sr_stack_txn_count(s), 0);
    assert_int_equal(sr_stack_next_deadline(s), UINT64_MAX);
    sr_stack_free(s);
}

/* An input at t first fires the timers due by t: the 1xx at 1000 comes after Timer A's
 * retransmission at 500, which carries its own instant's interval (next at 1500, stopped). */
static void test_input_fires_due_timers(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    start(s, "INVITE", SR_TP_UDP, &log);
    resp(s, 180, "INVITE", SR_TP_UDP, 1000, &log, NULL);
    uint64_t at[8];
    assert_int_equal(h_sends(&log, "INVITE ", at, 8), 2);
    assert_int_equal(log.r[1].kind, SR_EV_SEND);
    assert_int_equal(log.r[2].kind, SR_EV_RESPONSE);
    assert_int_equal(sr_stack_next_deadline(s), 1000 + 180000); /* only Timer C is left */
    sr_stack_free(s);
}

/* The same for a copy sr_proxy_forward() wrote (its values known without a CTL, so the
 * ACK takes the INVITE's Via, From and Call-ID unscanned): byte for byte the builder's ACK. */
static void test_ack_of_forwarded_copy(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_addr d = h_addr("192.0.2.2", 5060, SR_TP_UDP);
    sr_msg *req = h_parse("INVITE sip:bob@example.com SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKup;rport\r\n"
                          "Max-Forwards: 70\r\n"
                          "From: \"A\tB\" <sip:alice@example.com>;tag=a1\r\n"
                          "To: <sip:bob@example.com>\r\n"
                          "Call-ID: call-fwd@192.0.2.9\r\n"
                          "CSeq: 7 INVITE\r\n"
                          "Content-Length: 0\r\n\r\n");
    sr_proxy_fwd_opts o;
    sr_proxy_fwd_opts_init(&o);
    o.alloc = tu_allocator();
    o.via_host = SR_STR("192.0.2.1");
    o.via_port = 5060;
    sr_msg *fwd = NULL, *copy = NULL, *resp = NULL, *built = NULL;
    assert_int_equal(sr_proxy_forward(&fwd, req, SR_STR("sip:bob@192.0.2.2"), NULL, 0, &o), 0);
    assert_true(fwd->values_clean); /* what print_ack reads */
    assert_int_equal(sr_msg_dup(&copy, fwd), 0);
    sr_build_opts bo;
    sr_build_opts_init(&bo);
    bo.alloc = tu_allocator();
    bo.to_tag = SR_STR("b7");
    assert_int_equal(sr_build_response(&resp, copy, 486, &bo, NULL), 0);
    sr_buf rb;
    sr_buf_init(&rb, tu_allocator());
    assert_int_equal(sr_msg_print(resp, &rb), 0);
    assert_int_equal(sr_stack_send_request(s, fwd, &d, 0, NULL), 0);
    h_drain(s, &log, 0);
    h_recv(s, rb.p, &d, 100, &log);
    const h_rec *ack = h_last_send(&log, "ACK ");
    assert_non_null(ack);
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_build_ack(&built, copy, resp, tu_allocator()), 0);
    assert_int_equal(sr_msg_print(built, &b), 0);
    assert_string_equal(ack->text, b.p);
    sr_buf_cleanup(&b);
    sr_buf_cleanup(&rb);
    sr_msg_free(built);
    sr_msg_free(resp);
    sr_msg_free(copy);
    sr_msg_free(req);
    sr_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_invite_udp_timeout),
        TU_TEST(test_invite_tcp_timeout),
        TU_TEST(test_invite_udp_486),
        TU_TEST(test_invite_tcp_486),
        TU_TEST(test_invite_2xx_accepted),
        TU_TEST(test_non_invite_udp_timeout),
        TU_TEST(test_non_invite_proceeding),
        TU_TEST(test_non_invite_tcp),
        TU_TEST(test_cancel),
        TU_TEST(test_cancel_dropped),
        TU_TEST(test_cancel_msg),
        TU_TEST(test_api_errors),
        TU_TEST(test_built_request_used_directly),
        TU_TEST(test_ack_printed_as_built),
        TU_TEST(test_ack_of_forwarded_copy),
        TU_TEST(test_timer_c),
        TU_TEST(test_transport_error),
        TU_TEST(test_input_fires_due_timers),
        TU_TEST(test_completed_releases_request),
        TU_TEST(test_deadline_slack),
    };
    return cmocka_run_group_tests_name("txn_client", tests, NULL, NULL);
}
