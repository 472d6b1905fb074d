/* sipreply tests: the UAC context moving on — 408, 500, 503, timeouts and transport errors
 * to the next server (RFC 3263 §4.3), Retry-After honoured (RFC 3261 §21.5.4, §20.33), and
 * the 491 back-off of §14.1 (2.1-4 s as the Call-ID's owner, else 0-2 s, 10 ms steps). */
#include "uac_harness.h"

static void tweak_two(u_h *h)
{
    h->cfg.n_servers = 2;
}

static void t_503_next_server(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, tweak_two);
    u_start(&h);
    assert_string_equal(h.sent[0].to.host, "192.0.2.10");
    u_answer(&h, "OPTIONS", 503, "Retry-After: 30");
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_NEXT_SERVER);
    assert_true(a >= 0);
    assert_string_equal(h.ev[a].rfc, "RFC 3263 §4.3");
    assert_int_equal(h.ev[a].status, 503);
    assert_int_equal(h.n_sent, 2);
    assert_string_equal(h.sent[1].to.host, "192.0.2.11"); /* at once, not after 30 s */
    assert_string_equal(h.sent[1].first, "OPTIONS sip:bob@192.0.2.10 SIP/2.0");
    assert_true(u_has(&h, 1, "CSeq: 11 OPTIONS"));
    u_answer_to(&h, 1, 200, NULL, NULL);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_OK);
    u_free(&h);
}

static void t_408_then_500(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, tweak_two);
    u_start(&h);
    u_answer(&h, "OPTIONS", 408, NULL);
    assert_int_equal(h.n_sent, 2);
    u_answer_to(&h, 1, 500, NULL, NULL);
    assert_int_equal(h.n_sent, 2); /* no server left */
    const u_ev *d = u_done(&h);
    assert_int_equal(d->outcome, SR_UAC_REJECTED);
    assert_int_equal(d->status, 500);
    u_free(&h);
}

static void t_timeouts(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, tweak_two);
    u_start(&h);
    /* Timer F (64·T1) on the first server, then on the second */
    u_advance(&h, 32000);
    assert_true(u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_NEXT_SERVER) >= 0);
    int second = -1;
    for (size_t i = 0; i < h.n_sent; i++)
        if (strcmp(h.sent[i].to.host, "192.0.2.11") == 0 && second < 0)
            second = (int)i;
    assert_true(second > 0);
    assert_int_equal(h.n_done, 0);
    u_advance(&h, 64000);
    const u_ev *d = u_done(&h);
    assert_int_equal(d->outcome, SR_UAC_TIMEOUT);
    assert_int_equal(d->status, 0);
    u_free(&h);
}

static void t_transport_error(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, tweak_two);
    u_start(&h);
    assert_int_equal(sr_stack_on_transport_error(h.s, &h.servers[0], h.now), 0);
    u_pump(&h);
    assert_int_equal(u_count(&h, "INVITE "), 2);
    assert_string_equal(h.sent[u_last(&h, "INVITE ")].to.host, "192.0.2.11");
    assert_int_equal(sr_stack_on_transport_error(h.s, &h.servers[1], h.now), 0);
    u_pump(&h);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_TRANSPORT_ERROR);
    u_free(&h);
}

static void t_retry_after(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, NULL);
    u_start(&h);
    u_answer(&h, "OPTIONS", 503, "Retry-After: 5 (maintenance)");
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_RETRY_AFTER);
    assert_true(a >= 0);
    assert_int_equal(h.ev[a].delay, 5000);
    assert_int_equal(sr_uac_next_deadline(h.u), 5000);
    assert_true(sr_uac_is_active(h.u));
    u_advance(&h, 4999);
    assert_int_equal(u_count(&h, "OPTIONS "), 1);
    u_advance(&h, 5000);
    assert_int_equal(u_count(&h, "OPTIONS "), 2);
    /* asked again: once is enough */
    u_answer(&h, "OPTIONS", 503, "Retry-After: 5");
    assert_int_equal(u_done(&h)->outcome, SR_UAC_REJECTED);
    assert_int_equal(u_count(&h, "OPTIONS "), 2);
    u_free(&h);

    /* longer than max_retry_after: not waited for */
    u_init(&h, U_OPTIONS, NULL);
    u_start(&h);
    u_answer(&h, "OPTIONS", 503, "Retry-After: 3600");
    assert_int_equal(u_done(&h)->status, 503);
    assert_int_equal(sr_uac_next_deadline(h.u), UINT64_MAX);
    u_free(&h);
}

static void t_491_owner(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    h.rnd = 0; /* the next two random bytes are 0, 1: v = 1 */
    u_answer(&h, "INVITE", 491, NULL);
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_GLARE_WAIT);
    assert_true(a >= 0);
    assert_int_equal(h.ev[a].delay, 2110);
    assert_string_equal(h.ev[a].rfc, "RFC 3261 §14.1");
    uint64_t at = h.now + 2110;
    u_advance(&h, at - 1);
    assert_int_equal(u_count(&h, "INVITE "), 1);
    u_advance(&h, at);
    int i = u_last(&h, "INVITE ");
    assert_int_equal(u_count(&h, "INVITE "), 2);
    assert_true(u_has(&h, i, "CSeq: 2 INVITE"));
    u_answer_to(&h, i, 200, "Contact: <sip:bob@192.0.2.10>", NULL);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_OK);
    u_free(&h);
}

static void tweak_not_owner(u_h *h)
{
    h->cfg.call_id_owner = false;
}

/* The waits stay in their ranges, in 10 ms steps, whatever the random bytes. */
static void t_491_ranges(void **state)
{
    (void)state;
    for (int owner = 0; owner < 2; owner++) {
        for (unsigned start = 0; start < 256; start += 17) {
            u_h h;
            u_init(&h, U_INVITE, owner ? NULL : tweak_not_owner);
            u_start(&h);
            h.rnd = start;
            u_answer(&h, "INVITE", 491, NULL);
            int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_GLARE_WAIT);
            assert_true(a >= 0);
            uint64_t d = h.ev[a].delay;
            assert_int_equal(d % 10, 0);
            if (owner) {
                assert_true(d >= 2100 && d <= 4000);
            } else {
                assert_true(d <= 2000);
            }
            u_free(&h);
        }
    }
}

static void tweak_no_failover(u_h *h)
{
    h->cfg.n_servers = 2;
    h->cfg.follow = SR_UAC_FOLLOW_ALL & ~(SR_UAC_FOLLOW_FAILOVER | SR_UAC_FOLLOW_GLARE);
}

static void t_not_followed(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, tweak_no_failover);
    u_start(&h);
    u_answer(&h, "INVITE", 503, NULL);
    assert_int_equal(u_count(&h, "INVITE "), 1);
    assert_int_equal(u_done(&h)->status, 503);
    u_free(&h);
    u_init(&h, U_INVITE, tweak_no_failover);
    u_start(&h);
    u_answer(&h, "INVITE", 491, NULL);
    assert_int_equal(u_count(&h, "INVITE "), 1);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_REJECTED);
    u_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(t_503_next_server), TU_TEST(t_408_then_500), TU_TEST(t_timeouts),
        TU_TEST(t_transport_error), TU_TEST(t_retry_after),  TU_TEST(t_491_owner),
        TU_TEST(t_491_ranges),      TU_TEST(t_not_followed),
    };
    return cmocka_run_group_tests_name("uac_failover", tests, NULL, NULL);
}
