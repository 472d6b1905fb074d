/* sipreplyd: the registration scheduler (regsched.h) in simulated time — the start rate, the
 * bound on REGISTERs in flight, the refresh at half the granted time, the back-off and its
 * bounds, Retry-After, and de-registration at shutdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "regsched.h"
#include "sipreply/error.h"

static sd_regsched *mk(size_t n, uint32_t rate, uint32_t inflight)
{
    sd_regsched_opts o = {.n = n,
                          .rate = rate,
                          .max_inflight = inflight,
                          .retry_min_s = 30,
                          .retry_max_s = 1800,
                          .seed = 42};
    sd_regsched *s = NULL;
    assert_int_equal(sd_regsched_new(&s, &o), 0);
    return s;
}

static void t_bad_options(void **st)
{
    (void)st;
    sd_regsched *s = NULL;
    sd_regsched_opts o = {.n = 1, .rate = 0, .max_inflight = 1, .retry_min_s = 1, .retry_max_s = 1};
    assert_int_equal(sd_regsched_new(&s, &o), SR_EINVAL);
    o.rate = 1;
    o.retry_max_s = 0;
    assert_int_equal(sd_regsched_new(&s, &o), SR_EINVAL);
    o.retry_max_s = 1;
    o.n = 0;
    assert_int_equal(sd_regsched_new(&s, &o), SR_EINVAL);
    assert_null(s);
}

/* Parked until released; 1000 released at once start at the rate: 100/s = one per 10 ms. */
static void t_rate_spreads_the_start(void **st)
{
    (void)st;
    sd_regsched *s = mk(1000, 100, 1000);
    size_t idx;
    bool un;
    assert_false(sd_regsched_next(s, 0, &idx, &un));
    assert_int_equal(sd_regsched_next_deadline(s), UINT64_MAX);
    assert_int_equal(sd_regsched_count(s, SD_REG_PARKED), 1000);
    sd_regsched_release(s, 0, 1000, 5000);
    assert_int_equal(sd_regsched_count(s, SD_REG_IDLE), 1000);
    uint64_t now = 5000;
    size_t started = 0;
    while (started < 1000) {
        uint64_t d = sd_regsched_next_deadline(s);
        assert_true(d >= now);
        now = d;
        size_t n = 0;
        while (sd_regsched_next(s, now, &idx, &un)) {
            assert_false(un);
            assert_int_equal(idx, started); /* equal deadlines: in index order */
            assert_int_equal(now, 5000 + started * 10);
            started++;
            n++;
        }
        assert_int_equal(n, 1); /* never a burst */
    }
    assert_int_equal(sd_regsched_count(s, SD_REG_INFLIGHT), 1000);
    assert_int_equal(sd_regsched_next_deadline(s), UINT64_MAX);
    sd_regsched_free(s);
}

/* At most max_inflight REGISTERs in flight; an outcome lets the next one go. */
static void t_inflight_bound(void **st)
{
    (void)st;
    sd_regsched *s = mk(10, 100000, 3);
    sd_regsched_release(s, 0, 10, 0);
    size_t idx, got[3];
    bool un;
    for (int i = 0; i < 3; i++) {
        assert_true(sd_regsched_next(s, 1000, &idx, &un));
        got[i] = idx;
    }
    assert_false(sd_regsched_next(s, 1000, &idx, &un));
    assert_int_equal(sd_regsched_next_deadline(s), UINT64_MAX);
    sd_regsched_ok(s, got[1], 60, 1000);
    assert_true(sd_regsched_next(s, 1000, &idx, &un));
    assert_int_equal(idx, 3);
    sd_regsched_free(s);
}

/* RFC 3261 §10.2.4: refreshed before expiry, at half the granted time; then again. */
static void t_refresh_at_half(void **st)
{
    (void)st;
    sd_regsched *s = mk(1, 10, 1);
    sd_regsched_release(s, 0, 1, 0);
    size_t idx;
    bool un;
    assert_true(sd_regsched_next(s, 0, &idx, &un));
    assert_int_equal(sd_regsched_ok(s, 0, 3600, 200), 200 + 1800000);
    assert_int_equal(sd_regsched_state(s, 0), SD_REG_OK);
    assert_int_equal(sd_regsched_bound(s, 200), 1);
    assert_int_equal(sd_regsched_next_deadline(s), 1800200);
    assert_false(sd_regsched_next(s, 1800199, &idx, &un));
    assert_true(sd_regsched_next(s, 1800200, &idx, &un));
    assert_false(un);
    /* a refresh in flight still counts as bound */
    assert_int_equal(sd_regsched_bound(s, 1800200), 1);
    /* a registrar granting less (or a 423's Min-Expires granted more): half of that */
    assert_int_equal(sd_regsched_ok(s, 0, 60, 1800300), 1800300 + 30000);
    /* a 1 s grant: not before 1 s */
    assert_true(sd_regsched_next(s, 1830300, &idx, &un));
    assert_int_equal(sd_regsched_ok(s, 0, 1, 1830300), 1831300);
    /* expired without a refresh: no longer bound */
    assert_int_equal(sd_regsched_bound(s, 1831300), 0);
    sd_regsched_free(s);
}

/* The back-off doubles from 30 s to 1800 s, each wait in the upper half of its bound; a
 * success starts again from 30 s. */
static void t_backoff_bounds(void **st)
{
    (void)st;
    sd_regsched *s = mk(1, 10, 1);
    sd_regsched_release(s, 0, 1, 0);
    size_t idx;
    bool un;
    uint64_t now = 0;
    static const uint64_t bound[] = {30, 60, 120, 240, 480, 960, 1800, 1800, 1800};
    for (size_t i = 0; i < sizeof(bound) / sizeof(bound[0]); i++) {
        assert_true(sd_regsched_next(s, now, &idx, &un));
        uint64_t at = sd_regsched_failed(s, 0, 0, now);
        assert_int_equal(sd_regsched_state(s, 0), SD_REG_FAILED);
        assert_int_equal(sd_regsched_failures(s, 0), i + 1);
        assert_true(at - now >= bound[i] * 500);
        assert_true(at - now <= bound[i] * 1000);
        assert_false(sd_regsched_next(s, at - 1, &idx, &un));
        now = at;
    }
    assert_true(sd_regsched_next(s, now, &idx, &un));
    sd_regsched_ok(s, 0, 600, now);
    assert_int_equal(sd_regsched_failures(s, 0), 0);
    now += 300000;
    assert_true(sd_regsched_next(s, now, &idx, &un));
    uint64_t at = sd_regsched_failed(s, 0, 0, now);
    assert_true(at - now >= 15000 && at - now <= 30000);
    sd_regsched_free(s);
}

/* RFC 3261 §20.33: never before a Retry-After, even one past the back-off's bound. */
static void t_retry_after(void **st)
{
    (void)st;
    sd_regsched *s = mk(2, 10, 2);
    sd_regsched_release(s, 0, 2, 0);
    size_t idx;
    bool un;
    assert_true(sd_regsched_next(s, 0, &idx, &un));
    assert_int_equal(sd_regsched_failed(s, 0, 120, 0), 120000);
    assert_true(sd_regsched_next(s, 100, &idx, &un));
    assert_int_equal(idx, 1);
    uint64_t at = sd_regsched_failed(s, 1, 5, 100); /* shorter than the back-off: the back-off */
    assert_true(at >= 100 + 15000 && at <= 100 + 30000);
    sd_regsched_free(s);
}

/* SIGTERM: what is registered is de-registered (at once, not held by the rate), a REGISTER in
 * flight is de-registered if it ends well, what never registered is done; then nothing. */
static void t_drain(void **st)
{
    (void)st;
    sd_regsched *s = mk(5, 1, 5);
    sd_regsched_release(s, 0, 5, 0);
    size_t idx;
    bool un;
    uint64_t now = 0;
    for (int i = 0; i < 4; i++) {
        now = sd_regsched_next_deadline(s);
        assert_true(sd_regsched_next(s, now, &idx, &un));
        assert_int_equal(idx, (size_t)i);
    }
    /* 0, 1 registered; 2 failed; 3 in flight; 4 never started */
    sd_regsched_ok(s, 0, 3600, now);
    sd_regsched_ok(s, 1, 3600, now);
    sd_regsched_failed(s, 2, 0, now);
    sd_regsched_drain(s, now);
    assert_int_equal(sd_regsched_state(s, 2), SD_REG_DONE);
    assert_int_equal(sd_regsched_state(s, 4), SD_REG_DONE);
    assert_int_equal(sd_regsched_pending(s), 3); /* 0, 1 to end, 3 in flight */
    size_t seen = 0;
    while (sd_regsched_next(s, now, &idx, &un)) {
        assert_true(un);
        assert_true(idx == 0 || idx == 1);
        seen++;
    }
    assert_int_equal(seen, 2);
    sd_regsched_unregistered(s, 0);
    sd_regsched_unregistered(s, 1);
    assert_int_equal(sd_regsched_pending(s), 1);
    /* the one in flight succeeds: its de-registration is due now */
    assert_int_equal(sd_regsched_ok(s, 3, 3600, now + 10), UINT64_MAX);
    assert_int_equal(sd_regsched_next_deadline(s), now + 10);
    assert_true(sd_regsched_next(s, now + 10, &idx, &un));
    assert_int_equal(idx, 3);
    assert_true(un);
    sd_regsched_unregistered(s, 3);
    assert_int_equal(sd_regsched_pending(s), 0);
    assert_int_equal(sd_regsched_count(s, SD_REG_DONE), 5);
    assert_false(sd_regsched_next(s, now + 1000000, &idx, &un));
    sd_regsched_free(s);
}

/* A REGISTER in flight at shutdown that fails: done unless an earlier binding still lives. */
static void t_drain_failures_and_abort(void **st)
{
    (void)st;
    sd_regsched *s = mk(3, 1000, 3);
    sd_regsched_release(s, 0, 3, 0);
    size_t idx;
    bool un;
    uint64_t now = 0;
    for (int i = 0; i < 3; i++) {
        now = sd_regsched_next_deadline(s);
        assert_true(sd_regsched_next(s, now, &idx, &un));
    }
    sd_regsched_ok(s, 0, 3600, now);
    now += 1800000;
    assert_true(sd_regsched_next(s, now, &idx, &un)); /* 0's refresh in flight */
    assert_int_equal(idx, 0);
    sd_regsched_drain(s, now);
    sd_regsched_failed(s, 0, 0, now); /* the refresh failed, its binding lives */
    assert_int_equal(sd_regsched_state(s, 0), SD_REG_UNREG_WAIT);
    sd_regsched_failed(s, 1, 0, now); /* never bound */
    assert_int_equal(sd_regsched_state(s, 1), SD_REG_DONE);
    assert_int_equal(sd_regsched_pending(s), 2);
    sd_regsched_abort(s);
    assert_int_equal(sd_regsched_pending(s), 0);
    assert_int_equal(sd_regsched_count(s, SD_REG_DONE), 3);
    assert_false(sd_regsched_next(s, now, &idx, &un));
    /* late outcomes after the abort change nothing */
    sd_regsched_ok(s, 2, 60, now);
    sd_regsched_unregistered(s, 0);
    assert_int_equal(sd_regsched_count(s, SD_REG_DONE), 3);
    sd_regsched_free(s);
}

/* Thousands of registrations keep their spread: refreshes come back one interval apart. */
static void t_refreshes_stay_spread(void **st)
{
    (void)st;
    sd_regsched *s = mk(2000, 200, 2000);
    sd_regsched_release(s, 0, 2000, 0);
    size_t idx;
    bool un;
    uint64_t now = 0;
    for (size_t n = 0; n < 2000; n++) {
        now = sd_regsched_next_deadline(s);
        assert_true(sd_regsched_next(s, now, &idx, &un));
        sd_regsched_ok(s, idx, 600, now + 20);
    }
    assert_int_equal(sd_regsched_count(s, SD_REG_OK), 2000);
    uint64_t prev = 0;
    for (size_t n = 0; n < 2000; n++) {
        now = sd_regsched_next_deadline(s);
        assert_true(sd_regsched_next(s, now, &idx, &un));
        assert_int_equal(idx, n);
        assert_int_equal(now, 300020 + n * 5);
        assert_true(now > prev);
        prev = now;
        sd_regsched_ok(s, idx, 600, now);
    }
    sd_regsched_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_bad_options),
        cmocka_unit_test(t_rate_spreads_the_start),
        cmocka_unit_test(t_inflight_bound),
        cmocka_unit_test(t_refresh_at_half),
        cmocka_unit_test(t_backoff_bounds),
        cmocka_unit_test(t_retry_after),
        cmocka_unit_test(t_drain),
        cmocka_unit_test(t_drain_failures_and_abort),
        cmocka_unit_test(t_refreshes_stay_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
