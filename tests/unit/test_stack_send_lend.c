/* sipreply tests: the bytes of SR_EV_SEND lent from the transaction that keeps them (its
 * printed request, last response, ACK, reliable 1xx) instead of copied, and valid until the
 * poll after the event whatever becomes of the transaction in between (stack.h). Run under
 * ASan in `make test`: a read of freed or rewritten bytes fails there, and every comparison
 * below against the bytes as first seen fails anywhere. */
#include <stdlib.h>

#include "txn_harness.h"

#define BR "z9hG4bKsendlend1"

static void drain(sr_stack *s)
{
    sr_event ev;
    while (sr_stack_poll(s, &ev) == 0)
        ;
}

/* Start a client transaction for @p method towards 192.0.2.2 over @p tp at 0, its SEND left
 * in the queue. */
static sr_txn_id start(sr_stack *s, const char *method, sr_transport tp)
{
    char text[1024];
    h_req_text(text, sizeof(text), method, BR, tp == SR_TP_UDP ? "UDP" : "TCP", NULL, 1, NULL, NULL,
               NULL);
    sr_addr dest = h_addr("192.0.2.2", 5060, tp);
    sr_txn_id id = 0;
    assert_int_equal(sr_stack_send_request(s, h_parse(text), &dest, 0, &id), 0);
    return id;
}

/* The response @p code to the client transaction of start(), received at @p at. */
static void recv_resp(sr_stack *s, unsigned code, const char *method, sr_transport tp, uint64_t at)
{
    char text[1024];
    h_resp_text(text, sizeof(text), code, BR, tp == SR_TP_UDP ? "UDP" : "TCP",
                code > 100 ? "b1" : NULL, 1, method, NULL);
    sr_addr src = h_addr("192.0.2.2", 5060, tp);
    assert_int_equal(sr_stack_receive(s, text, strlen(text), &src, at), 0);
}

/* Poll the next event, which must be an SR_EV_SEND whose bytes start with @p prefix. */
static sr_event poll_send(sr_stack *s, const char *prefix)
{
    sr_event ev;
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    assert_int_equal(ev.kind, SR_EV_SEND);
    assert_true(ev.len >= strlen(prefix));
    assert_memory_equal(ev.data, prefix, strlen(prefix));
    return ev;
}

/* Poll events until an SR_EV_SEND; the others must not be sends. */
static sr_event next_send(sr_stack *s)
{
    sr_event ev;
    while (sr_stack_poll(s, &ev) == 0) {
        if (ev.kind == SR_EV_SEND)
            return ev;
    }
    fail_msg("no SR_EV_SEND queued");
    return ev;
}

static char *dup_bytes(const sr_event *ev)
{
    char *p = malloc(ev->len + 1);
    assert_non_null(p);
    memcpy(p, ev->data, ev->len);
    p[ev->len] = '\0';
    return p;
}

/* No copy: a retransmission (Timer A) and the ACK resent for a retransmitted final lend the
 * transaction's bytes, allocating nothing; every SEND of the request is the same buffer. */
static void test_send_lends(void **state)
{
    (void)state;
    sr_stack *s = h_stack(true);
    tu_alloc *ta = tu_alloc_state();
    start(s, "INVITE", SR_TP_UDP);
    sr_event ev = poll_send(s, "INVITE ");
    const char *first = ev.data;
    char *want = dup_bytes(&ev);
    drain(s);
    long before = ta->total;
    assert_int_equal(sr_stack_on_timer(s, 500), 0); /* Timer A: the INVITE again */
    assert_int_equal(ta->total - before, 0);
    ev = poll_send(s, "INVITE ");
    assert_ptr_equal(ev.data, first);
    assert_int_equal(ev.len, strlen(want));
    assert_memory_equal(ev.data, want, ev.len);
    drain(s);
    recv_resp(s, 486, "INVITE", SR_TP_UDP, 600); /* Completed: the ACK */
    ev = next_send(s);
    assert_memory_equal(ev.data, "ACK ", 4);
    const char *ack = ev.data;
    drain(s);
    char text[1024];
    h_resp_text(text, sizeof(text), 486, BR, "UDP", "b1", 1, "INVITE", NULL);
    sr_addr src = h_addr("192.0.2.2", 5060, SR_TP_UDP);
    before = ta->total;
    assert_int_equal(sr_stack_receive(s, text, strlen(text), &src, 700), 0);
    assert_int_equal(ta->total - before, 1); /* its parse; the ACK again is lent */
    ev = poll_send(s, "ACK ");
    assert_ptr_equal(ev.data, ack);
    drain(s);
    free(want);
    sr_stack_free(s);
}

/* A transaction that ends in the step that sent: over TCP an INVITE client ends right after
 * its ACK (Timer D is 0), a non-INVITE server right after its final (Timer J is 0). The
 * queued SEND keeps the bytes; they are no longer counted as the transactions' memory. */
static void test_send_outlives_txn_same_step(void **state)
{
    (void)state;
    sr_stack *s = h_stack(true);
    start(s, "INVITE", SR_TP_TCP);
    drain(s);
    recv_resp(s, 486, "INVITE", SR_TP_TCP, 10);
    assert_int_equal(sr_stack_txn_count(s), 0);
    assert_int_equal(sr_stack_memory(s), 0);
    sr_event ev;
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    assert_int_equal(ev.kind, SR_EV_RESPONSE);
    ev = poll_send(s, "ACK sip:bob@example.com SIP/2.0\r\n");
    char *bytes = dup_bytes(&ev);
    assert_non_null(strstr(bytes, "CSeq: 1 ACK\r\n"));
    assert_non_null(strstr(bytes, ";tag=b1\r\n"));
    free(bytes);
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    assert_int_equal(ev.kind, SR_EV_TERMINATED);
    drain(s);

    char req[1024];
    h_req_text(req, sizeof(req), "OPTIONS", "z9hG4bKsrv1", "TCP", NULL, 7, NULL, NULL, NULL);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_TCP);
    assert_int_equal(sr_stack_receive(s, req, strlen(req), &src, 20), 0);
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    assert_int_equal(ev.kind, SR_EV_REQUEST);
    sr_txn_id id = ev.txn;
    drain(s);
    assert_int_equal(sr_stack_send_response(s, id, h_build(req, 200, "t1", NULL), 0, 30), 0);
    assert_int_equal(sr_stack_txn_count(s), 0);
    assert_int_equal(sr_stack_memory(s), 0);
    ev = poll_send(s, "SIP/2.0 200 OK\r\n");
    bytes = dup_bytes(&ev);
    assert_non_null(strstr(bytes, "CSeq: 7 OPTIONS\r\n"));
    assert_non_null(strstr(bytes, ";tag=t1"));
    free(bytes);
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    assert_int_equal(ev.kind, SR_EV_TERMINATED);
    sr_stack_free(s);
}

/* Lent bytes handed out by a poll stay valid until the next poll, even when the next stack
 * call ends the transaction (sr_stack_forget) or replaces the response they are (a 486
 * after the 180 polled). */
static void test_send_valid_until_next_poll(void **state)
{
    (void)state;
    sr_stack *s = h_stack(true);
    sr_txn_id id = start(s, "INVITE", SR_TP_UDP);
    sr_event ev = poll_send(s, "INVITE ");
    char *want = dup_bytes(&ev);
    assert_int_equal(sr_stack_forget(s, id, 5), 0);
    assert_int_equal(sr_stack_txn_count(s), 0);
    assert_int_equal(ev.len, strlen(want));
    assert_memory_equal(ev.data, want, ev.len);
    free(want);
    drain(s);

    char req[1024];
    h_req_text(req, sizeof(req), "INVITE", "z9hG4bKsrv2", "UDP", NULL, 3, NULL, NULL, NULL);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    assert_int_equal(sr_stack_receive(s, req, strlen(req), &src, 10), 0);
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    sr_txn_id srv = ev.txn;
    drain(s);
    assert_int_equal(sr_stack_send_response(s, srv, h_build(req, 180, "t2", NULL), 0, 20), 0);
    ev = poll_send(s, "SIP/2.0 180 Ringing\r\n");
    want = dup_bytes(&ev);
    assert_int_equal(sr_stack_send_response(s, srv, h_build(req, 486, "t2", NULL), 0, 30), 0);
    assert_int_equal(ev.len, strlen(want));
    assert_memory_equal(ev.data, want, ev.len); /* still the 180 */
    free(want);
    poll_send(s, "SIP/2.0 486 Busy Here\r\n");
    drain(s);
    sr_stack_free(s);
}

/* Several queued SENDs lending one buffer when it is replaced or freed before any of them is
 * polled: a 180 and a 486 sent without a poll between; Timer G's retransmissions of the 486
 * and the ACK that frees it (Confirmed) before they are polled; Timer E's retransmissions
 * and the final that frees the request's bytes (Completed over UDP). */
static void test_send_queued_lenders(void **state)
{
    (void)state;
    sr_stack *s = h_stack(true);
    char req[1024], ack[1024];
    h_req_text(req, sizeof(req), "INVITE", "z9hG4bKsrv3", "UDP", NULL, 4, NULL, NULL, NULL);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    assert_int_equal(sr_stack_receive(s, req, strlen(req), &src, 0), 0);
    sr_event ev;
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    sr_txn_id srv = ev.txn;
    drain(s);
    assert_int_equal(sr_stack_send_response(s, srv, h_build(req, 180, "t3", NULL), 0, 10), 0);
    assert_int_equal(sr_stack_send_response(s, srv, h_build(req, 486, "t3", NULL), 0, 10), 0);
    assert_int_equal(sr_stack_on_timer(s, 4000), 0); /* Timer G at 510, 1510, 3510 */
    h_req_text(ack, sizeof(ack), "ACK", "z9hG4bKsrv3", "UDP", "t3", 4, NULL, NULL, NULL);
    assert_int_equal(sr_stack_receive(s, ack, strlen(ack), &src, 4100), 0); /* Confirmed */
    poll_send(s, "SIP/2.0 180 Ringing\r\n");
    sr_event first = poll_send(s, "SIP/2.0 486 Busy Here\r\n");
    char *want = dup_bytes(&first);
    for (int i = 0; i < 3; i++) {
        ev = poll_send(s, "SIP/2.0 486 Busy Here\r\n");
        assert_int_equal(ev.len, strlen(want));
        assert_memory_equal(ev.data, want, ev.len);
    }
    assert_int_equal(sr_stack_poll(s, &ev), SR_ENOTFOUND); /* the ACK absorbed */
    free(want);
    sr_stack_free(s);

    s = h_stack(true);
    start(s, "OPTIONS", SR_TP_UDP);
    ev = poll_send(s, "OPTIONS ");
    want = dup_bytes(&ev);
    drain(s);
    assert_int_equal(sr_stack_on_timer(s, 8000), 0); /* Timer E: 500, 1500, 3500, 7500 */
    recv_resp(s, 200, "OPTIONS", SR_TP_UDP, 8000);   /* Completed: the request is let go */
    size_t sends = 0;
    while (sr_stack_poll(s, &ev) == 0) {
        if (ev.kind != SR_EV_SEND)
            continue;
        sends++;
        assert_int_equal(ev.len, strlen(want));
        assert_memory_equal(ev.data, want, ev.len);
    }
    assert_int_equal(sends, 4);
    free(want);
    sr_stack_free(s);
}

/* The stack freed with lent SENDs queued and one handed out: nothing leaks, nothing is freed
 * twice (the teardown checks the allocator's blocks). */
static void test_free_with_lent(void **state)
{
    (void)state;
    sr_stack *s = h_stack(true);
    start(s, "INVITE", SR_TP_UDP);
    assert_int_equal(sr_stack_on_timer(s, 1600), 0); /* two retransmissions queued */
    poll_send(s, "INVITE ");
    sr_stack_free(s);

    s = h_stack(true);
    start(s, "INVITE", SR_TP_TCP);
    drain(s);
    recv_resp(s, 486, "INVITE", SR_TP_TCP, 10); /* the ACK's buffer given to its event */
    sr_stack_free(s);
}

/* Sends without a transaction (sr_stack_send_stateless, the stateless 503) give their
 * printed bytes to the event: one allocation, no copy. */
static void test_stateless_given(void **state)
{
    (void)state;
    sr_stack *s = h_stack(true);
    char req[1024];
    h_req_text(req, sizeof(req), "ACK", "z9hG4bKsl1", "UDP", "t9", 1, NULL, NULL, NULL);
    sr_msg *m = h_parse(req);
    sr_addr dest = h_addr("192.0.2.2", 5060, SR_TP_UDP);
    tu_alloc *ta = tu_alloc_state();
    assert_int_equal(sr_stack_send_stateless(s, m, &dest, 0), 0); /* the queue grows */
    drain(s);
    long before = ta->total;
    assert_int_equal(sr_stack_send_stateless(s, m, &dest, 1), 0);
    assert_int_equal(ta->total - before, 1); /* the print */
    sr_event ev = poll_send(s, "ACK sip:bob@example.com SIP/2.0\r\n");
    assert_int_equal(ev.txn, 0);
    assert_int_equal(ev.len, strlen(req));
    assert_memory_equal(ev.data, req, ev.len); /* printed as parsed */
    assert_int_equal(sr_stack_send_stateless(s, m, &dest, 2), 0);
    sr_msg_free(m);
    sr_stack_free(s); /* with one queued */

    sr_config c;
    sr_config_default(&c);
    c.alloc = tu_allocator();
    c.max_transactions = 1;
    assert_int_equal(sr_stack_new(&s, &c), 0);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    h_req_text(req, sizeof(req), "OPTIONS", "z9hG4bKsl2", "UDP", NULL, 1, NULL, NULL, NULL);
    assert_int_equal(sr_stack_receive(s, req, strlen(req), &src, 0), 0);
    h_req_text(req, sizeof(req), "OPTIONS", "z9hG4bKsl3", "UDP", NULL, 2, NULL, NULL, NULL);
    assert_int_equal(sr_stack_receive(s, req, strlen(req), &src, 0), SR_ETOOBIG);
    ev = next_send(s);
    assert_int_equal(ev.status, 503);
    char *bytes = dup_bytes(&ev);
    assert_memory_equal(bytes, "SIP/2.0 503 ", 12);
    assert_non_null(strstr(bytes, "Retry-After: 5\r\n"));
    free(bytes);
    sr_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_send_lends),
        TU_TEST(test_send_outlives_txn_same_step),
        TU_TEST(test_send_valid_until_next_poll),
        TU_TEST(test_send_queued_lenders),
        TU_TEST(test_free_with_lent),
        TU_TEST(test_stateless_given),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
