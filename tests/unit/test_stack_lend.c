/* sipreply tests: messages lent with events — a received message is parsed once (the
 * allocations of each receive are counted), kept with sr_msg_dup or sr_stack_event_take_msg. */
#include "txn_harness.h"

#define BR "z9hG4bKlend1"

static void drain(sr_stack *s)
{
    sr_event ev;
    while (sr_stack_poll(s, &ev) == 0)
        ;
}

/* Events of @p kind waiting in the queue, drained. */
static size_t h_count_kind(sr_stack *s, sr_event_kind kind)
{
    size_t n = 0;
    sr_event ev;
    while (sr_stack_poll(s, &ev) == 0)
        n += ev.kind == kind;
    return n;
}

/* Allocations made by receiving @p text (the event queue already has room). */
static long recv_allocs(sr_stack *s, const char *text, const sr_addr *src, uint64_t now)
{
    tu_alloc *ta = tu_alloc_state();
    long before = ta->total;
    assert_int_equal(sr_stack_receive(s, text, strlen(text), src, now), 0);
    return ta->total - before;
}

/* One parse per message: a new INVITE costs its parse and the transaction, which shares the
 * parsed request with the TU (no copy while the TU holds it; a head-only arena copy, not a
 * parse, once the TU lets go of a request with a body); the ACK to a 2xx and a response to
 * a client transaction the parse only (they were parsed a second time for their event
 * before). */
static void test_parse_once(void **state)
{
    (void)state;
    char req[2048], text[2048], req1[2048];
    h_req_text(req, sizeof(req), "INVITE", BR, "UDP", NULL, 1, NULL, NULL, "v=0\r\n");
    memcpy(req1, req, sizeof(req1));
    sr_stack *s = h_stack(true);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    /* warm the event queue and the timer heap up */
    assert_int_equal(sr_stack_receive(s, req, strlen(req), &src, 0), 0);
    sr_event ev;
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    sr_txn_id first = ev.txn;
    drain(s);
    /* more live transactions first, so the timer heap and the index have grown already */
    for (unsigned i = 10; i < 20; i++) {
        char br[32];
        snprintf(br, sizeof br, "z9hG4bKwarm%u", i);
        h_req_text(text, sizeof(text), "INVITE", br, "UDP", NULL, i, NULL, NULL, NULL);
        assert_int_equal(sr_stack_receive(s, text, strlen(text), &src, 0), 0);
        drain(s);
    }
    h_req_text(req, sizeof(req), "INVITE", "z9hG4bKlend2", "UDP", NULL, 2, NULL, NULL, "v=0\r\n");
    assert_int_equal(recv_allocs(s, req, &src, 1), 2); /* parse, the transaction */
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    assert_int_equal(ev.kind, SR_EV_REQUEST);
    assert_sr_str_eq(sr_msg_body(ev.msg), "v=0\r\n"); /* the TU's has the body */
    /* the transaction shares the TU's request while the TU holds it */
    const sr__txn *t = sr__txn_find(s, ev.txn);
    assert_ptr_equal(t->req, ev.msg);
    sr_txn_id tid = ev.txn;
    drain(s);
    /* the event let go of it: the transaction keeps the head only (one arena copy) */
    t = sr__txn_find(s, tid);
    assert_ptr_not_equal(t->req, NULL);
    assert_int_equal(sr_msg_body(t->req).len, 0);
    assert_int_equal(sr_msg_cseq(t->req)->num, 2);
    h_req_text(text, sizeof(text), "CANCEL", "z9hG4bKlend2", "UDP", NULL, 2, NULL, NULL, NULL);
    assert_int_equal(sr_stack_receive(s, text, strlen(text), &src, 2), 0);
    assert_int_equal(h_count_kind(s, SR_EV_REQUEST), 1); /* the CANCEL, lent */
    /* the first INVITE answered 200, then its ACK: one allocation, the parse */
    assert_int_equal(sr_stack_send_response(s, first, h_build(req1, 200, "t1", NULL), 0, 3), 0);
    drain(s);
    h_req_text(text, sizeof(text), "ACK", BR, "UDP", "t1", 1, NULL, NULL, NULL);
    assert_int_equal(recv_allocs(s, text, &src, 4), 1);
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    assert_int_equal(ev.kind, SR_EV_REQUEST);
    assert_int_equal(ev.related, first);
    drain(s);
    /* a client transaction's response: the parse only */
    h_req_text(text, sizeof(text), "OPTIONS", "z9hG4bKlend3", "UDP", NULL, 1, NULL, NULL, NULL);
    assert_int_equal(sr_stack_send_request(s, h_parse(text), &src, 5, NULL), 0);
    drain(s);
    char resp[1024];
    h_resp_text(resp, sizeof(resp), 200, "z9hG4bKlend3", "UDP", "x", 1, "OPTIONS", NULL);
    assert_int_equal(recv_allocs(s, resp, &src, 6), 1);
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    assert_int_equal(ev.kind, SR_EV_RESPONSE);
    assert_int_equal(ev.status, 200);
    drain(s);
    sr_stack_free(s);
}

/* The lent message is valid until the next poll; a copy or a taken message lives on. */
static void test_keep_lent(void **state)
{
    (void)state;
    char req[2048];
    h_req_text(req, sizeof(req), "INVITE", BR, "UDP", NULL, 1, NULL, NULL, "v=0\r\n");
    sr_stack *s = h_stack(true);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    assert_int_equal(sr_stack_receive(s, req, strlen(req), &src, 0), 0);
    assert_int_equal(sr_stack_receive(s, req, strlen(req), &src, 1), 0); /* retransmission */
    h_run(s, &(h_log){0}, 300);                                          /* the 100 */
    sr_stack_free(s);

    s = h_stack(true);
    assert_int_equal(sr_stack_receive(s, req, strlen(req), &src, 0), 0);
    sr_msg *taken = NULL, *copy = NULL;
    assert_int_equal(sr_stack_event_take_msg(s, &taken), SR_ENOTFOUND); /* nothing polled */
    sr_event ev;
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    assert_int_equal(ev.kind, SR_EV_REQUEST);
    assert_int_equal(sr_msg_dup(&copy, ev.msg), 0);
    assert_int_equal(sr_stack_event_take_msg(s, &taken), 0);
    assert_ptr_equal(taken, ev.msg);
    assert_int_equal(sr_stack_event_take_msg(s, &taken), SR_ENOTFOUND);
    assert_int_equal(sr_stack_event_take_msg(NULL, &taken), SR_EINVAL);
    assert_int_equal(sr_stack_event_take_msg(s, NULL), SR_EINVAL);
    sr_txn_id id = ev.txn;
    drain(s);
    assert_int_equal(sr_stack_send_response(s, id, h_build(req, 486, "t1", NULL), 0, 50), 0);
    drain(s);
    sr_stack_free(s); /* both outlive the stack */
    assert_sr_str_eq(sr_msg_call_id(taken), "call-1@192.0.2.1");
    assert_sr_str_eq(sr_msg_body(copy), "v=0\r\n");
    assert_string_equal(sr_msg_via(copy, 0)->branch.p == NULL ? "" : BR, BR);
    sr_msg_free(taken);
    sr_msg_free(copy);
}

/* A message the shell parsed itself goes in as it is: the event lends that very message, and
 * the stack parses nothing. */
static void test_receive_msg(void **state)
{
    (void)state;
    char req[2048], text[2048];
    h_req_text(req, sizeof(req), "INVITE", BR, "UDP", NULL, 1, NULL, NULL, "v=0\r\n");
    sr_stack *s = h_stack(true);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    /* warm the queue, the timer heap and the index up */
    for (unsigned i = 10; i < 20; i++) {
        char br[32];
        snprintf(br, sizeof br, "z9hG4bKwarm%u", i);
        h_req_text(text, sizeof(text), "OPTIONS", br, "UDP", NULL, i, NULL, NULL, NULL);
        assert_int_equal(sr_stack_receive_msg(s, h_parse(text), &src, 0), 0);
        drain(s);
    }
    sr_msg *m = h_parse(req);
    tu_alloc *ta = tu_alloc_state();
    long before = ta->total;
    assert_int_equal(sr_stack_receive_msg(s, m, &src, 1), 0);
    assert_int_equal(ta->total - before, 1); /* the transaction: no parse, no copy */
    sr_event ev;
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    assert_int_equal(ev.kind, SR_EV_REQUEST);
    assert_ptr_equal(ev.msg, m); /* the very message, lent back */
    sr_txn_id id = ev.txn;
    drain(s);
    assert_int_equal(sr_stack_send_response(s, id, h_build(req, 200, "t1", NULL), 0, 2), 0);
    drain(s);
    h_req_text(text, sizeof(text), "ACK", "z9hG4bKack", "UDP", "t1", 1, NULL, NULL, NULL);
    sr_msg *a = h_parse(text);
    before = ta->total;
    assert_int_equal(sr_stack_receive_msg(s, a, &src, 3), 0);
    assert_int_equal(ta->total - before, 0);
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    assert_ptr_equal(ev.msg, a);
    drain(s);
    /* dropped, refused: the stack frees what it was given */
    assert_int_equal(sr_stack_receive_msg(s, h_parse("OPTIONS sip:a SIP/2.0\r\n\r\n"), &src, 4),
                     SR_EBADMSG);
    assert_int_equal(sr_stack_receive_msg(NULL, h_parse(text), &src, 4), SR_EINVAL);
    assert_int_equal(sr_stack_receive_msg(s, NULL, &src, 4), SR_EINVAL);
    assert_int_equal(sr_stack_dropped(s), 1);
    sr_stack_free(s);
}

/* A server transaction shares the request the TU takes: a change the TU makes to it (a Via
 * added, a body set) is its own, the transaction answering from a head-only copy of the
 * request as it came (RFC 3261 §8.2.6.2: the 100 copies the request's Vias); a request the
 * TU lets go of is kept by the transaction alone (head only when it had a body), and the
 * memory counted goes back to 0 when the transactions end. */
static void test_shared_request(void **state)
{
    (void)state;
    char req[2048], req2[2048];
    h_req_text(req, sizeof(req), "INVITE", BR, "UDP", NULL, 1, NULL, NULL, "v=0\r\n");
    h_req_text(req2, sizeof(req2), "INVITE", "z9hG4bKlend9", "UDP", NULL, 9, NULL, NULL, NULL);
    sr_stack *s = h_stack(true);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    h_log *log = test_calloc(1, sizeof(*log));
    assert_int_equal(sr_stack_receive(s, req, strlen(req), &src, 0), 0);
    sr_event ev;
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    assert_int_equal(ev.kind, SR_EV_REQUEST);
    sr_txn_id id = ev.txn;
    sr_msg *taken = NULL;
    assert_int_equal(sr_stack_event_take_msg(s, &taken), 0);
    const sr__txn *t = sr__txn_find(s, id);
    assert_ptr_equal(t->req, taken);
    size_t shared_mem = sr_stack_memory(s);
    /* the TU changes its request: the transaction copies the head first */
    assert_int_equal(sr_msg_add_header(taken, SR_HDR_VIA, SR_STR_NULL,
                                       SR_STR("SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKtu")),
                     0);
    assert_int_equal(sr_msg_set_body(taken, SR_STR("text/plain"), SR_STR("changed")), 0);
    t = sr__txn_find(s, id);
    assert_ptr_not_equal(t->req, taken);
    assert_int_equal(sr_msg_via_count(t->req), 1);
    assert_int_equal(sr_msg_body(t->req).len, 0);
    assert_int_equal(sr_msg_via_count(taken), 2);
    assert_true(sr_stack_memory(s) > 0);
    (void)shared_mem;
    h_drain(s, log, 0);
    h_run(s, log, 300); /* the automatic 100 (§17.2.1), from the request as it came */
    const h_rec *r = h_last_send(log, "SIP/2.0 100");
    assert_non_null(r);
    assert_null(strstr(r->text, "198.51.100.7"));
    assert_non_null(strstr(r->text, BR));
    assert_sr_str_eq(sr_msg_body(taken), "changed");
    sr_msg_free(taken);
    /* a request without a body the TU lets go of once it answered 486 (Completed): the
     * transaction keeps it as it is until the ACK leaves it a key */
    assert_int_equal(sr_stack_receive(s, req2, strlen(req2), &src, 301), 0);
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    sr_txn_id id2 = ev.txn;
    assert_int_equal(sr_stack_event_take_msg(s, &taken), 0);
    h_drain(s, log, 301);
    assert_int_equal(sr_stack_send_response(s, id, h_build(req, 486, "t1", NULL), 0, 302), 0);
    assert_int_equal(sr_stack_send_response(s, id2, h_build(req2, 486, "t2", NULL), 0, 302), 0);
    sr_msg_free(taken);
    t = sr__txn_find(s, id2);
    assert_ptr_equal(t->req, taken);
    assert_int_equal(sr_msg_cseq(t->req)->num, 9);
    /* in Proceeding, the same request let go of is copied (its head, to the byte), as the
     * transaction kept it before it shared */
    h_drain(s, log, 302);
    char req3[2048];
    h_req_text(req3, sizeof(req3), "INVITE", "z9hG4bKlend8", "UDP", NULL, 8, NULL, NULL, NULL);
    assert_int_equal(sr_stack_receive(s, req3, strlen(req3), &src, 302), 0);
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    sr_txn_id id3 = ev.txn;
    assert_int_equal(sr_stack_event_take_msg(s, &taken), 0);
    size_t whole = sr_stack_memory(s);
    sr_msg_free(taken);
    t = sr__txn_find(s, id3);
    assert_ptr_not_equal(t->req, taken);
    assert_int_equal(sr_msg_cseq(t->req)->num, 8);
    assert_true(sr_stack_memory(s) < whole); /* the copy is smaller than the parse */
    assert_int_equal(sr_stack_send_response(s, id3, h_build(req3, 486, "t3", NULL), 0, 302), 0);
    h_drain(s, log, 302);
    char ack[2048];
    h_req_text(ack, sizeof(ack), "ACK", BR, "UDP", "t1", 1, NULL, NULL, NULL);
    assert_int_equal(sr_stack_receive(s, ack, strlen(ack), &src, 303), 0);
    h_req_text(ack, sizeof(ack), "ACK", "z9hG4bKlend9", "UDP", "t2", 9, NULL, NULL, NULL);
    assert_int_equal(sr_stack_receive(s, ack, strlen(ack), &src, 303), 0);
    h_req_text(ack, sizeof(ack), "ACK", "z9hG4bKlend8", "UDP", "t3", 8, NULL, NULL, NULL);
    assert_int_equal(sr_stack_receive(s, ack, strlen(ack), &src, 303), 0);
    assert_int_equal(h_state(s, id), SR_TXN_CONFIRMED);
    assert_int_equal(h_state(s, id2), SR_TXN_CONFIRMED);
    assert_int_equal(h_state(s, id3), SR_TXN_CONFIRMED);
    h_run(s, log, 60000);
    assert_int_equal(sr_stack_txn_count(s), 0);
    assert_int_equal(sr_stack_memory(s), 0);
    /* one sharer at a time: a second transaction made from a shared request copies it */
    sr_msg *m = h_parse(req2);
    sr__txn *t1 = NULL, *t2 = NULL;
    assert_int_equal(sr__new_server(s, m, &src, SR_TXN_NON_INVITE_SERVER, &t1), 0);
    assert_int_equal(sr__new_server(s, m, &src, SR_TXN_NON_INVITE_SERVER, &t2), 0);
    assert_ptr_equal(t1->req, m);
    assert_ptr_not_equal(t2->req, m);
    assert_int_equal(sr_msg_cseq(t2->req)->num, 9);
    sr_msg_free(m); /* t1 alone: a head copy of its own */
    assert_int_equal(sr_msg_cseq(t1->req)->num, 9);
    sr__txn_discard(s, t1);
    sr__txn_discard(s, t2);
    assert_int_equal(sr_stack_memory(s), 0);
    test_free(log);
    sr_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_parse_once),
        TU_TEST(test_keep_lent),
        TU_TEST(test_receive_msg),
        TU_TEST(test_shared_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
