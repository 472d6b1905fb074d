/* sipreply tests: the deadline heap and the seeded PRNG (timer_int.h).
 * Checks ordering, stable ties, moves and removals against a brute-force model. */
#include <string.h>

#include "testutil.h"

#include "timer_int.h"

static void test_order_and_ties(void **state)
{
    (void)state;
    sr__timer_heap h;
    sr__timer_heap_init(&h, tu_allocator());
    sr__timer t[5];
    for (int i = 0; i < 5; i++)
        sr__timer_init(&t[i], i);
    assert_int_equal(sr__timer_next(&h), SR__NEVER);
    /* Equal deadlines (1000) must fire in start order: 1, 3, 4; then 2 (1500), 0 (4000). */
    assert_int_equal(sr__timer_start(&h, &t[0], 0, 4000), 0);
    assert_int_equal(sr__timer_start(&h, &t[1], 0, 1000), 0);
    assert_int_equal(sr__timer_start(&h, &t[2], 500, 1000), 0);
    assert_int_equal(sr__timer_start(&h, &t[3], 500, 500), 0);
    assert_int_equal(sr__timer_start(&h, &t[4], 1000, 0), 0);
    assert_int_equal(sr__timer_next(&h), 1000);
    assert_null(sr__timer_pop_due(&h, 999));
    int want[] = {1, 3, 4};
    for (int i = 0; i < 3; i++) {
        sr__timer *x = sr__timer_pop_due(&h, 1000);
        assert_non_null(x);
        assert_int_equal(x->kind, want[i]);
        assert_false(sr__timer_is_armed(x));
    }
    assert_null(sr__timer_pop_due(&h, 1000));
    assert_int_equal(sr__timer_next(&h), 1500);
    sr__timer_stop(&h, &t[2]);
    sr__timer_stop(&h, &t[2]); /* stopping twice is harmless */
    assert_int_equal(sr__timer_next(&h), 4000);
    /* Re-arming moves the timer. */
    assert_int_equal(sr__timer_start(&h, &t[0], 0, 10), 0);
    assert_int_equal(sr__timer_next(&h), 10);
    assert_int_equal(h.len, 1);
    sr__timer_heap_cleanup(&h);
    assert_false(sr__timer_is_armed(&t[0]));
}

static void test_saturation(void **state)
{
    (void)state;
    assert_int_equal(sr__deadline_add(5, 10), 15);
    assert_int_equal(sr__deadline_add(SR__NEVER - 10, 100), SR__NEVER - 1);
    assert_int_equal(sr__deadline_add(0, SR__NEVER), SR__NEVER - 1);
    sr__timer_heap h;
    sr__timer_heap_init(&h, tu_allocator());
    sr__timer t;
    sr__timer_init(&t, 3);
    assert_int_equal(sr__timer_start(&h, &t, SR__NEVER - 2, 50), 0);
    assert_int_equal(sr__timer_next(&h), SR__NEVER - 1);
    assert_ptr_equal(sr__timer_pop_due(&h, SR__NEVER - 1), &t);
    assert_int_equal(t.kind, 3);
    sr__timer_heap_cleanup(&h);
}

/* Random starts, stops and pops against a brute-force model of the same timers. */
static void test_against_model(void **state)
{
    (void)state;
    enum { N = 64 };
    sr__timer_heap h;
    sr__timer_heap_init(&h, tu_allocator());
    sr__timer t[N];
    uint64_t seq[N], next_seq = 0; /* the model's start order */
    for (int i = 0; i < N; i++)
        sr__timer_init(&t[i], i);
    sr__rng rng;
    sr__rng_seed(&rng, 42);
    uint64_t now = 0;
    for (int step = 0; step < 20000; step++) {
        int i = (int)sr__rng_below(&rng, N);
        switch (sr__rng_below(&rng, 4)) {
        case 0:
        case 1:
            assert_int_equal(sr__timer_start(&h, &t[i], now, sr__rng_below(&rng, 100)), 0);
            seq[i] = next_seq++;
            break;
        case 2: sr__timer_stop(&h, &t[i]); break;
        default: {
            now += sr__rng_below(&rng, 20);
            /* The model: the armed timer with the least (deadline, seq). */
            int best = -1;
            for (int k = 0; k < N; k++) {
                if (!sr__timer_is_armed(&t[k]))
                    continue;
                if (best < 0 || t[k].deadline < t[best].deadline ||
                    (t[k].deadline == t[best].deadline && seq[k] < seq[best]))
                    best = k;
            }
            sr__timer *x = sr__timer_pop_due(&h, now);
            if (best < 0 || t[best].deadline > now) {
                assert_null(x);
            } else {
                assert_ptr_equal(x, &t[best]);
            }
        }
        }
        size_t armed = 0;
        for (int k = 0; k < N; k++)
            armed += sr__timer_is_armed(&t[k]);
        assert_int_equal(armed, h.len);
        for (size_t k = 0; k < h.len; k++) {
            assert_int_equal(h.items[k].t->heap_index, k);
            assert_int_equal(h.items[k].deadline, h.items[k].t->deadline);
            assert_int_equal(h.items[k].seq, seq[h.items[k].t - t]);
            /* the 4-ary heap property */
            if (k > 0) {
                const sr__timer_slot *p = &h.items[(k - 1) / 4];
                assert_true(p->deadline < h.items[k].deadline ||
                            (p->deadline == h.items[k].deadline && p->seq < h.items[k].seq));
            }
        }
    }
    sr__timer_heap_cleanup(&h);
}

static int heap_scenario(const sr_allocator *a, void *ctx)
{
    (void)ctx;
    sr__timer_heap h;
    sr__timer_heap_init(&h, a);
    sr__timer t[40];
    int err = 0;
    for (int i = 0; i < 40 && !err; i++) {
        sr__timer_init(&t[i], i);
        err = sr__timer_start(&h, &t[i], 0, (uint64_t)(40 - i));
    }
    if (!err && sr__timer_next(&h) != 1)
        err = SR_EINVAL;
    sr__timer_heap_cleanup(&h);
    return err;
}

static void test_failure_sweep(void **state)
{
    (void)state;
    assert_true(tu_failure_sweep(heap_scenario, NULL) >= 2);
}

static void test_rng(void **state)
{
    (void)state;
    sr__rng a, b;
    sr__rng_seed(&a, 7);
    sr__rng_seed(&b, 7);
    for (int i = 0; i < 100; i++)
        assert_true(sr__rng_next(&a) == sr__rng_next(&b));
    sr__rng_seed(&b, 8);
    assert_true(sr__rng_next(&a) != sr__rng_next(&b));
    /* Bounded draws stay in range and cover it. */
    int seen[10];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < 10000; i++) {
        uint64_t v = sr__rng_below(&a, 10);
        assert_true(v < 10);
        seen[v]++;
    }
    for (int i = 0; i < 10; i++)
        assert_true(seen[i] > 800 && seen[i] < 1200);
    assert_int_equal(sr__rng_below(&a, 0), 0);
    assert_int_equal(sr__rng_below(&a, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_order_and_ties), TU_TEST(test_saturation), TU_TEST(test_against_model),
        TU_TEST(test_failure_sweep),  TU_TEST(test_rng),
    };
    return cmocka_run_group_tests_name("timer", tests, NULL, NULL);
}
