/* sipreply tests: a burst of timers fired in one call — a caller late by tens of seconds (a
 * loop that spent them on a backlog) — queues an event per timer before the TU polls, and
 * what the stack does per event must not grow with the length of that queue. N client
 * INVITE transactions over UDP are never answered; one sr_stack_on_timer() 40 s later fires
 * each one's Timer A retransmissions (RFC 3261 §17.1.1.2: 500 ms doubling, seven sends) and
 * its Timer B (64·T1), which ends it: each end releases the printed request that queued
 * SR_EV_SEND events may be lending (stack.h: their bytes stay valid until the next poll).
 * Counted, not timed: the queued events those releases look at (unlend_steps) stay within a
 * constant per transaction, where a walk of the whole queue per release would make them
 * N × 8N / 2. Then every SEND must carry the request's bytes as first sent. */
#include <stdlib.h>

#include "txn_harness.h"

#define N_TXN 2000

/* Client INVITE @p i (its own branch) towards 192.0.2.2 over UDP at 0: its first SEND's
 * bytes, polled, in @p first (malloc'd). */
static sr_txn_id start(sr_stack *s, unsigned i, char **first)
{
    char text[1024], branch[32];
    snprintf(branch, sizeof(branch), "z9hG4bKburst%u", i);
    h_req_text(text, sizeof(text), "INVITE", branch, "UDP", NULL, i + 1, NULL, NULL, NULL);
    sr_addr dest = h_addr("192.0.2.2", 5060, SR_TP_UDP);
    sr_txn_id id = 0;
    assert_int_equal(sr_stack_send_request(s, h_parse(text), &dest, 0, &id), 0);
    sr_event ev;
    assert_int_equal(sr_stack_poll(s, &ev), 0);
    assert_int_equal(ev.kind, SR_EV_SEND);
    *first = malloc(ev.len + 1);
    assert_non_null(*first);
    memcpy(*first, ev.data, ev.len);
    (*first)[ev.len] = '\0';
    assert_int_equal(sr_stack_poll(s, &ev), SR_ENOTFOUND);
    return id;
}

static void test_timer_burst(void **state)
{
    (void)state;
    sr_stack *s = h_stack(false);
    sr_txn_id *ids = malloc(N_TXN * sizeof(*ids));
    char **first = malloc(N_TXN * sizeof(*first));
    assert_non_null(ids);
    assert_non_null(first);
    for (unsigned i = 0; i < N_TXN; i++)
        ids[i] = start(s, i, &first[i]);

    uint64_t steps0 = s->unlend_steps;
    assert_int_equal(sr_stack_on_timer(s, 40000), 0);
    /* every transaction ended by Timer B, its request released while its SENDs were queued */
    sr_txn_state st;
    for (unsigned i = 0; i < N_TXN; i++)
        assert_int_equal(sr_stack_txn_state(s, ids[i], &st), SR_ENOTFOUND);
    uint64_t steps = s->unlend_steps - steps0;
    print_message("queued events looked at by %u releases: %llu\n", N_TXN,
                  (unsigned long long)steps);
    /* at most 65 a release (the lending window, 32, and the event handed out); a walk of
     * the whole queue per release read 28,004,000 here */
    assert_true(steps <= (uint64_t)N_TXN * 65);

    /* seven retransmissions each (0.5, 1, 2, 4, 8, 16 and 32 s... as far as Timer B at 32 s
     * lets them), a timeout and the end: every SEND the request's bytes as first sent */
    size_t sends = 0, timeouts = 0, ended = 0;
    sr_event ev;
    while (sr_stack_poll(s, &ev) == 0) {
        size_t i = 0;
        while (i < N_TXN && ids[i] != ev.txn)
            i++;
        assert_true(i < N_TXN);
        if (ev.kind == SR_EV_SEND) {
            assert_int_equal(ev.len, strlen(first[i]));
            assert_memory_equal(ev.data, first[i], ev.len);
            sends++;
        } else if (ev.kind == SR_EV_TIMEOUT)
            timeouts++;
        else if (ev.kind == SR_EV_TERMINATED)
            ended++;
    }
    assert_true(sends >= (size_t)N_TXN * 6);
    assert_int_equal(timeouts, N_TXN);
    assert_int_equal(ended, N_TXN);

    for (unsigned i = 0; i < N_TXN; i++)
        free(first[i]);
    free(first);
    free(ids);
    sr_stack_free(s);
}

/* The same burst with the other half of a proxied call: N server INVITE transactions (their
 * requests received, no answer yet) beside the N clients. The TU names its data on each
 * server transaction after the burst (sr_stack_txn_set_user: the events already queued for
 * it carry it too), and clears it as it handles each client's timeout (a proxy's call
 * ending: RFC 3261 §16.7, 408 for a branch that never answered). Each of those calls walks
 * only the events naming that transaction, not the queue the burst made. */
static void test_set_user_burst(void **state)
{
    (void)state;
    sr_stack *s = h_stack(false);
    sr_txn_id *srv = malloc(N_TXN * sizeof(*srv));
    sr_txn_id *cli = malloc(N_TXN * sizeof(*cli));
    char **first = malloc(N_TXN * sizeof(*first));
    int *tag = malloc(N_TXN * sizeof(*tag));
    assert_non_null(srv);
    assert_non_null(cli);
    assert_non_null(first);
    assert_non_null(tag);
    sr_addr caller = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    for (unsigned i = 0; i < N_TXN; i++) {
        char text[1024], branch[32];
        snprintf(branch, sizeof(branch), "z9hG4bKsrv%u", i);
        h_req_text(text, sizeof(text), "INVITE", branch, "UDP", NULL, i + 1, NULL, NULL, NULL);
        assert_int_equal(sr_stack_receive(s, text, strlen(text), &caller, 0), 0);
        sr_event ev;
        assert_int_equal(sr_stack_poll(s, &ev), 0);
        assert_int_equal(ev.kind, SR_EV_REQUEST);
        srv[i] = ev.txn;
        cli[i] = start(s, i, &first[i]);
    }
    assert_int_equal(sr_stack_on_timer(s, 40000), 0);

    uint64_t steps0 = s->user_steps;
    for (unsigned i = 0; i < N_TXN; i++)
        assert_int_equal(sr_stack_txn_set_user(s, srv[i], &tag[i]), 0);
    size_t srv_events = 0, timeouts = 0;
    sr_event ev;
    while (sr_stack_poll(s, &ev) == 0) {
        size_t i = 0;
        while (i < N_TXN && srv[i] != ev.txn && cli[i] != ev.txn)
            i++;
        assert_true(i < N_TXN);
        if (ev.txn == srv[i]) {
            assert_ptr_equal(ev.user, &tag[i]); /* queued before the TU named it */
            srv_events++;
        } else if (ev.kind == SR_EV_TIMEOUT) {
            timeouts++;
            assert_int_equal(sr_stack_txn_set_user(s, srv[i], NULL), 0);
        }
    }
    assert_true(srv_events >= N_TXN); /* each one's 100 Trying (§17.2.1), at least */
    assert_int_equal(timeouts, N_TXN);
    uint64_t steps = s->user_steps - steps0;
    print_message("queued events looked at by %u x 2 sr_stack_txn_set_user: %llu\n", N_TXN,
                  (unsigned long long)steps);
    /* each server transaction's own events, a few; a walk of the queue per call: N x 8N */
    assert_true(steps <= (uint64_t)N_TXN * 8);

    for (unsigned i = 0; i < N_TXN; i++)
        free(first[i]);
    free(tag);
    free(first);
    free(cli);
    free(srv);
    sr_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_timer_burst),
        TU_TEST(test_set_user_burst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
