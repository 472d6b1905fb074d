/* When the shell skips its UDP hold (src/net/hold.c), in simulated time: the state machine on
 * its own, and a model of the loop's waits (a read after a hold, or after the next datagram
 * when the hold is skipped) fed with the arrival patterns of docs/performance.md's paced row:
 * SIPp's bursts, the grouped and the evenly spaced loadgen, and datagrams nobody answers. The
 * model counts wake-ups (a hold that finds nothing costs one more: its timer, then the
 * datagram), which is what the skip is for; no clock is read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hold.h"

#define HOLD_US 1000u

static void test_quiet_then_silence_learns_skip(void **state)
{
    (void)state;
    sn_hold h;
    sn_hold_init(&h, HOLD_US);
    /* a read that answered: the hold is kept */
    sn_hold_after(&h, 10000, 20, 20);
    assert_true(sn_hold_before(&h));
    /* a quiet read (ACKs only): no evidence yet, the hold is kept */
    sn_hold_after(&h, 11000, 20, 0);
    assert_true(sn_hold_before(&h));
    /* the next datagram 3 ms later: a hold there was empty; the next quiet read skips it */
    sn_hold_after(&h, 14000, 3, 3);
    assert_true(sn_hold_before(&h)); /* that read answered: hold */
    sn_hold_after(&h, 15000, 20, 0);
    assert_false(sn_hold_before(&h));
    assert_int_equal(h.skipped, 1);
}

static void test_quiet_then_busy_keeps_hold(void **state)
{
    (void)state;
    sn_hold h;
    sn_hold_init(&h, HOLD_US);
    sn_hold_after(&h, 0, 5, 0);
    /* 1.4 holds later: under a hold and a half, a hold would have gathered it */
    sn_hold_after(&h, 1400, 5, 0);
    assert_int_equal(h.score, -1);
    assert_true(sn_hold_before(&h));
    /* exactly a hold and a half counts as silence */
    sn_hold_after(&h, 2900, 5, 0);
    assert_int_equal(h.score, 0);
    assert_true(sn_hold_before(&h));
    /* a read that found nothing teaches nothing and keeps the last time */
    sn_hold_after(&h, 9000, 0, 0);
    assert_int_equal(h.score, 0);
    assert_int_equal(h.last_us, 2900);
}

static void test_score_bounded(void **state)
{
    (void)state;
    sn_hold h;
    sn_hold_init(&h, HOLD_US);
    uint64_t t = 0;
    for (int i = 0; i < 50; i++) {
        t += 10000;
        sn_hold_after(&h, t, 1, 0);
    }
    assert_int_equal(h.score, SN_HOLD_SCORE_MAX);
    /* the pattern changes: after at most MAX + 1 quiet reads followed by datagrams soon, the
     * hold is kept again */
    int kept_after = -1;
    for (int i = 0; i < 20; i++) {
        t += 500;
        sn_hold_after(&h, t, 1, 0);
        if (kept_after < 0 && sn_hold_before(&h))
            kept_after = i + 1;
    }
    assert_int_equal(h.score, SN_HOLD_SCORE_MIN);
    assert_int_equal(kept_after, SN_HOLD_SCORE_MAX);
    /* a clock that went backwards reads as no gap */
    sn_hold_after(&h, t - 100000, 1, 0);
    assert_int_equal(h.score, SN_HOLD_SCORE_MIN);
}

/* ------------------------------------------------------------------ the loop, modelled */

#define MAX_ARR 20000
#define WAKE_US 30 /* from a datagram's arrival to the read it woke (what gathers meanwhile) */

typedef struct model {
    /* requests (answered) and datagrams that get no answer (ACKs, or a flood), by time */
    uint64_t req[MAX_ARR];
    size_t n_req, next_req;
    uint64_t quiet[MAX_ARR * 2];
    size_t n_quiet, next_quiet;
    uint64_t ack_delay, ack_gap; /* each answer's ACK: this long after it, this far apart */
    bool acks;
} model;

static uint64_t next_arrival(const model *m)
{
    uint64_t a = m->next_req < m->n_req ? m->req[m->next_req] : UINT64_MAX;
    uint64_t b = m->next_quiet < m->n_quiet ? m->quiet[m->next_quiet] : UINT64_MAX;
    return a < b ? a : b;
}

/* what a read at @p t finds: requests answered (their ACKs queued), quiet datagrams */
static unsigned take(model *m, uint64_t t, unsigned *sent)
{
    unsigned got = 0;
    *sent = 0;
    while (m->next_req < m->n_req && m->req[m->next_req] <= t) {
        m->next_req++;
        got++;
        (*sent)++;
        if (m->acks) {
            /* ACKs are queued in time order: each later than the ones before */
            uint64_t at = t + m->ack_delay + *sent * m->ack_gap;
            assert_true(m->n_quiet < MAX_ARR * 2);
            assert_true(m->n_quiet == 0 || at >= m->quiet[m->n_quiet - 1]);
            m->quiet[m->n_quiet++] = at;
        }
    }
    while (m->next_quiet < m->n_quiet && m->quiet[m->next_quiet] <= t) {
        m->next_quiet++;
        got++;
    }
    return got;
}

/* Run the loop's waits over the model's arrivals, the hold always wanted (the rate is over
 * two datagrams per hold in every pattern here): after each read, sleep the hold unless
 * sn_hold_before says skip (or @p learn is false: the loop before the skip), then read what
 * is there; a read that finds nothing blocks until the next datagram. Wake-ups counted. */
static unsigned run(model *m, bool learn, uint64_t *skipped)
{
    sn_hold h;
    sn_hold_init(&h, HOLD_US);
    unsigned wakes = 0;
    uint64_t t = next_arrival(m) + WAKE_US;
    for (;;) {
        unsigned sent, got = take(m, t, &sent);
        wakes++;
        if (got)
            sn_hold_after(&h, t, got, sent);
        uint64_t next = next_arrival(m);
        if (next == UINT64_MAX)
            break;
        bool hold = learn ? sn_hold_before(&h) : true;
        if (!hold) {
            t = next + WAKE_US; /* epoll wakes on the next datagram */
        } else if (next <= t + HOLD_US) {
            t += HOLD_US; /* the hold's timer; the read takes what gathered */
        } else {
            wakes++; /* the hold's timer found nothing; the read blocks until the next one */
            t = next + WAKE_US;
        }
    }
    *skipped = h.skipped;
    return wakes;
}

/* @p bursts bursts of @p per requests @p gap µs apart every @p period µs */
static void bursts(model *m, unsigned n_bursts, unsigned per, uint64_t gap, uint64_t period)
{
    memset(m, 0, sizeof(*m));
    m->acks = true;
    m->ack_delay = 60;
    m->ack_gap = 8;
    for (unsigned b = 0; b < n_bursts; b++)
        for (unsigned i = 0; i < per; i++)
            m->req[m->n_req++] = 1000 + b * period + i * gap;
}

static void test_model_grouped(void **state)
{
    (void)state;
    /* loadgen --group 20 at 5,000 calls/s: 20 requests at once every 4 ms */
    static model m;
    uint64_t skipped;
    bursts(&m, 200, 20, 1, 4000);
    unsigned before = run(&m, false, &skipped);
    bursts(&m, 200, 20, 1, 4000);
    unsigned after = run(&m, true, &skipped);
    print_message("wakes %u before, %u after, %llu skipped\n", before, after,
                  (unsigned long long)skipped);
    /* before: the burst, the ACKs' hold, an empty hold; after: the burst and the ACKs' hold,
     * the empty one skipped in every burst but the first two (learning) */
    assert_int_equal(before, 3 * 200 - 1); /* the last burst has no hold after it */
    assert_int_equal(after, 2 * 200 + 1);
    assert_int_equal(skipped, 198);
}

static void test_model_sipp(void **state)
{
    (void)state;
    /* SIPp at 5,000 calls/s: about 20 requests 10.7 µs apart every 4 ms */
    static model m;
    uint64_t skipped;
    bursts(&m, 200, 20, 11, 4000);
    unsigned before = run(&m, false, &skipped);
    bursts(&m, 200, 20, 11, 4000);
    unsigned after = run(&m, true, &skipped);
    print_message("wakes %u before, %u after, %llu skipped\n", before, after,
                  (unsigned long long)skipped);
    /* before: the first request, the hold for the rest and their ACKs, the hold for the last
     * ACKs, an empty hold; after: the empty hold skipped */
    assert_int_equal(before, 4 * 200 - 1);
    assert_int_equal(after, 3 * 200 + 1);
    assert_int_equal(skipped, 198);
}

static void test_model_grouped_fast(void **state)
{
    (void)state;
    /* loadgen --group 20 at 15,000 calls/s (every 1.33 ms): the next group comes before a
     * hold and a half has passed, so skipping would cost a wake-up; it is not done */
    static model m;
    uint64_t skipped;
    bursts(&m, 300, 20, 1, 1333);
    unsigned before = run(&m, false, &skipped);
    bursts(&m, 300, 20, 1, 1333);
    unsigned after = run(&m, true, &skipped);
    print_message("wakes %u before, %u after, %llu skipped\n", before, after,
                  (unsigned long long)skipped);
    assert_int_equal(skipped, 0);
    assert_int_equal(after, before);
}

static void test_model_even(void **state)
{
    (void)state;
    /* evenly spaced at 5,000 calls/s: every hold finds requests; nothing to skip */
    static model m;
    uint64_t skipped;
    bursts(&m, 2000, 1, 0, 200);
    unsigned before = run(&m, false, &skipped);
    bursts(&m, 2000, 1, 0, 200);
    unsigned after = run(&m, true, &skipped);
    print_message("wakes %u before, %u after, %llu skipped\n", before, after,
                  (unsigned long long)skipped);
    assert_int_equal(skipped, 0);
    assert_int_equal(after, before);
    assert_true(after <= 2000 * 200 / HOLD_US + 2);
}

static void test_model_unanswered(void **state)
{
    (void)state;
    /* a flood of datagrams that get no answer (every 50 µs): every read is quiet, but what
     * follows comes within the hold, so the hold stays (one wake-up per hold, not one per
     * datagram) */
    static model m;
    uint64_t skipped;
    memset(&m, 0, sizeof(m));
    for (unsigned i = 0; i < 10000; i++)
        m.quiet[m.n_quiet++] = 1000 + i * 50;
    unsigned wakes = run(&m, true, &skipped);
    print_message("wakes %u, %llu skipped\n", wakes, (unsigned long long)skipped);
    assert_int_equal(skipped, 0);
    assert_true(wakes <= 10000 * 50 / HOLD_US + 2);
}

static void test_model_pattern_change(void **state)
{
    (void)state;
    /* SIPp-like bursts, then the same requests alone and unanswered datagrams between them
     * every 100 µs: the skips stop within a few reads */
    static model m;
    uint64_t skipped;
    bursts(&m, 50, 20, 1, 4000);
    uint64_t end = m.req[m.n_req - 1] + 4000;
    m.acks = false; /* the bursts' ACKs as quiet datagrams, then the flood, in order */
    for (size_t i = 0; i < m.n_req; i++)
        if (i % 20 == 19)
            for (unsigned k = 1; k <= 20; k++)
                m.quiet[m.n_quiet++] = m.req[i] + 500 + k;
    for (unsigned i = 0; i < 5000; i++)
        m.quiet[m.n_quiet++] = end + i * 100;
    unsigned wakes = run(&m, true, &skipped);
    print_message("wakes %u, %llu skipped\n", wakes, (unsigned long long)skipped);
    assert_true(skipped >= 40 && skipped <= 50 + SN_HOLD_SCORE_MAX);
    /* the flood: one wake-up per hold, as without the skip */
    assert_true(wakes <= 3 * 50 + 5000 * 100 / HOLD_US + 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quiet_then_silence_learns_skip),
        cmocka_unit_test(test_quiet_then_busy_keeps_hold),
        cmocka_unit_test(test_score_bounded),
        cmocka_unit_test(test_model_grouped),
        cmocka_unit_test(test_model_sipp),
        cmocka_unit_test(test_model_grouped_fast),
        cmocka_unit_test(test_model_even),
        cmocka_unit_test(test_model_unanswered),
        cmocka_unit_test(test_model_pattern_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
