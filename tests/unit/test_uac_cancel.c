/* sipreply tests: cancelling and hanging up through the UAC context (RFC 3261 §9.1, §15):
 * CANCEL after a provisional and held until one, a 2xx crossing the CANCEL (ACK, BYE), a
 * retry wait cancelled, Timer C, non-INVITE refused, a context freed mid-request. */
#include "uac_harness.h"

#define CT "Contact: <sip:bob@192.0.2.10>"

static void t_cancel_after_180(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    u_answer_to(&h, 0, 180, CT, "b1");
    assert_int_equal(sr_uac_cancel(h.u, h.now), 0);
    u_pump(&h);
    int c = u_last(&h, "CANCEL ");
    assert_true(c >= 0);
    assert_true(u_has(&h, c, "CSeq: 1 CANCEL"));
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_CANCEL);
    assert_true(a >= 0);
    assert_string_equal(h.ev[a].rfc, "RFC 3261 §9.1");
    assert_int_equal(sr_uac_cancel(h.u, h.now), SR_ESTATE);
    u_answer_to(&h, c, 200, NULL, NULL);
    assert_int_equal(h.n_done, 0);
    u_answer_to(&h, 0, 487, NULL, "b1");
    const u_ev *d = u_done(&h);
    assert_int_equal(d->outcome, SR_UAC_CANCELLED);
    assert_int_equal(d->status, 487);
    assert_int_equal(u_count(&h, "ACK "), 1); /* by the stack */
    u_free(&h);
}

static void t_cancel_before_1xx(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    assert_int_equal(sr_uac_cancel(h.u, h.now), 0);
    u_pump(&h);
    assert_int_equal(u_count(&h, "CANCEL "), 0); /* §9.1: not before a provisional */
    u_answer_to(&h, 0, 100, NULL, NULL);
    assert_int_equal(u_count(&h, "CANCEL "), 1);
    u_answer_to(&h, 0, 487, NULL, "b1");
    assert_int_equal(u_done(&h)->outcome, SR_UAC_CANCELLED);
    u_free(&h);
}

static void t_2xx_crossing_cancel(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    u_answer_to(&h, 0, 180, CT, "b1");
    assert_int_equal(sr_uac_cancel(h.u, h.now), 0);
    u_pump(&h);
    u_answer_to(&h, 0, 200, CT, "b1");
    assert_int_equal(u_count(&h, "ACK "), 1);
    int bye = u_last(&h, "BYE ");
    assert_true(bye >= 0);
    assert_true(u_has(&h, bye, "tag=b1"));
    assert_int_equal(u_done(&h)->outcome, SR_UAC_OK);
    u_free(&h);
}

static void t_hangup_before_answer(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    u_answer_to(&h, 0, 183, CT, "b1");
    assert_int_equal(sr_uac_hangup(h.u, h.now), 0);
    u_pump(&h);
    assert_int_equal(u_count(&h, "CANCEL "), 1);
    u_answer_to(&h, 0, 200, CT, "b1");
    assert_int_equal(u_count(&h, "BYE "), 1);
    u_free(&h);
}

static void t_cancel_while_waiting(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    u_answer(&h, "INVITE", 491, NULL);
    assert_true(sr_uac_next_deadline(h.u) != UINT64_MAX);
    assert_int_equal(sr_uac_cancel(h.u, h.now), 0);
    u_pump(&h);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_CANCELLED);
    assert_int_equal(sr_uac_next_deadline(h.u), UINT64_MAX);
    u_advance(&h, h.now + 10000);
    assert_int_equal(u_count(&h, "INVITE "), 1);
    assert_int_equal(u_count(&h, "CANCEL "), 0);
    u_free(&h);
}

static void t_cancel_refused(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, NULL);
    u_start(&h);
    assert_int_equal(sr_uac_cancel(h.u, h.now), SR_ESTATE); /* §9.1: INVITE only */
    assert_int_equal(sr_uac_hangup(h.u, h.now), SR_ESTATE);
    u_answer(&h, "OPTIONS", 200, NULL);
    assert_int_equal(sr_uac_cancel(h.u, h.now), SR_ESTATE); /* done */
    u_free(&h);
    /* not started: it ends at once */
    u_init(&h, U_INVITE, NULL);
    assert_int_equal(sr_uac_cancel(h.u, 0), 0);
    u_pump(&h);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_CANCELLED);
    assert_int_equal(h.n_sent, 0);
    u_free(&h);
}

static void t_timer_c(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    u_answer_to(&h, 0, 180, CT, "b1");
    u_advance(&h, 180000); /* the stack's Timer C */
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_TIMER_C);
    assert_true(a >= 0);
    assert_int_equal(u_count(&h, "CANCEL "), 1);
    u_answer_to(&h, 0, 487, NULL, "b1");
    const u_ev *d = u_done(&h);
    assert_int_equal(d->outcome, SR_UAC_TIMEOUT);
    assert_int_equal(d->status, 487);
    u_free(&h);
}

static void t_cancel_unanswered(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    u_answer_to(&h, 0, 180, CT, "b1");
    assert_int_equal(sr_uac_cancel(h.u, h.now), 0);
    u_pump(&h);
    assert_int_equal(sr_uac_next_deadline(h.u), h.now + 32000);
    u_advance(&h, h.now + 31999);
    assert_int_equal(h.n_done, 0);
    /* §9.1: no final 64·T1 after the CANCEL: the INVITE is given up */
    u_advance(&h, h.now + 1);
    const u_ev *d = u_done(&h);
    assert_int_equal(d->outcome, SR_UAC_CANCELLED);
    assert_int_equal(d->status, 0);
    u_advance(&h, h.now + 100000);
    assert_int_equal(sr_stack_txn_count(h.s), 0);
    assert_false(sr_uac_is_active(h.u));
    u_free(&h);
}

static void t_free_midway(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    sr_uac_free(h.u);
    h.u = NULL;
    u_pump(&h);
    /* forgotten: no retransmission of the INVITE is left to fire */
    assert_int_equal(sr_stack_next_deadline(h.s), UINT64_MAX);
    assert_int_equal(sr_stack_txn_count(h.s), 0);
    sr_stack_free(h.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(t_cancel_after_180),
        TU_TEST(t_cancel_before_1xx),
        TU_TEST(t_2xx_crossing_cancel),
        TU_TEST(t_hangup_before_answer),
        TU_TEST(t_cancel_while_waiting),
        TU_TEST(t_cancel_refused),
        TU_TEST(t_timer_c),
        TU_TEST(t_cancel_unanswered),
        TU_TEST(t_free_midway),
    };
    return cmocka_run_group_tests_name("uac_cancel", tests, NULL, NULL);
}
