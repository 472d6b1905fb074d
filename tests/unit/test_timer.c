/* sipreply tests: the timers (lanes and deadline heap) and the seeded PRNG (timer_int.h), in
 * simulated time. Checks ordering, stable ties, moves and removals against a brute-force
 * model, and where each timer sits (a lane of its delay, or the heap). */
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
    assert_int_equal(sr__timer_armed(&h), 1);
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

static bool in_lane(const sr__timer *t)
{
    return sr__timer_is_armed(t) && (t->heap_index & SR__TIMER_LANE_BIT);
}

/* Every structure agrees with the timers @p t[0..n) (start order @p seq): the heap's
 * positions and 4-ary order, each lane's links, its one delay and its (deadline, seq) order. */
static void check_structure(const sr__timer_heap *h, const sr__timer *t, const uint64_t *seq,
                            const uint64_t *delay, int n)
{
    size_t armed = 0;
    for (int k = 0; k < n; k++)
        armed += sr__timer_is_armed(&t[k]);
    assert_int_equal(armed, sr__timer_armed(h));
    assert_true(armed <= h->cap);
    for (size_t k = 0; k < h->len; k++) {
        assert_int_equal(h->items[k].t->heap_index, k);
        assert_int_equal(h->items[k].deadline, h->items[k].t->deadline);
        assert_int_equal(h->items[k].seq, seq[h->items[k].t - t]);
        if (k > 0) {
            const sr__timer_slot *p = &h->items[(k - 1) / 4];
            assert_true(p->deadline < h->items[k].deadline ||
                        (p->deadline == h->items[k].deadline && p->seq < h->items[k].seq));
        }
    }
    size_t in_lanes = 0;
    for (int l = 0; l < SR__TIMER_LANES; l++) {
        const sr__timer_lane *ln = &h->lanes[l];
        assert_true((ln->head == SR__TIMER_IDLE) == (ln->tail == SR__TIMER_IDLE));
        uint32_t prev = SR__TIMER_IDLE;
        for (uint32_t x = ln->head; x != SR__TIMER_IDLE; x = h->nodes[x].next) {
            const sr__timer_node *nd = &h->nodes[x];
            assert_int_equal(nd->prev, prev);
            assert_int_equal(nd->t->heap_index, SR__TIMER_LANE_BIT | x);
            assert_int_equal(nd->deadline, nd->t->deadline);
            assert_int_equal(nd->seq, seq[nd->t - t]);
            assert_int_equal(delay[nd->t - t], ln->delay);
            if (prev != SR__TIMER_IDLE) {
                assert_true(h->nodes[prev].deadline <= nd->deadline);
                assert_true(h->nodes[prev].seq < nd->seq);
            }
            /* a lane holds lax kinds (h->lax_kinds) or others, as its bit says */
            int kind = nd->t->kind;
            bool lax = kind >= 0 && kind < 32 && (h->lax_kinds >> kind & 1);
            assert_int_equal(lax, h->lanes_lax >> l & 1);
            for (int m = 0; m < l; m++) /* one lane per delay (and laxness) */
                assert_true(h->lanes[m].head == SR__TIMER_IDLE || h->lanes[m].delay != ln->delay ||
                            (h->lanes_lax >> m & 1) != (h->lanes_lax >> l & 1));
            prev = x;
            in_lanes++;
        }
        assert_int_equal(ln->tail, prev);
    }
    assert_int_equal(in_lanes, h->n_lane);
}

/* Random starts, stops and pops against a brute-force model of the same timers, with
 * @p n_delays distinct delays (more than there are lanes: some go to the heap), a clock
 * that goes back now and then when @p back, and the kinds in @p lax (timer i has kind i)
 * lax: sr__timer_next_strict() is the earliest of the others and of the heap's. */
static void run_model(uint64_t seed, uint64_t n_delays, bool back, uint32_t lax)
{
    enum { N = 64 };
    sr__timer_heap h;
    sr__timer_heap_init(&h, tu_allocator());
    h.lax_kinds = lax;
    sr__timer t[N];
    uint64_t seq[N], delay[N], next_seq = 0; /* the model's start order */
    for (int i = 0; i < N; i++)
        sr__timer_init(&t[i], i);
    sr__rng rng;
    sr__rng_seed(&rng, seed);
    uint64_t now = 1000;
    for (int step = 0; step < 20000; step++) {
        int i = (int)sr__rng_below(&rng, N);
        switch (sr__rng_below(&rng, 5)) {
        case 0:
        case 1:
            delay[i] = 7 * sr__rng_below(&rng, n_delays);
            assert_int_equal(sr__timer_start(&h, &t[i], now, delay[i]), 0);
            seq[i] = next_seq++;
            break;
        case 2: sr__timer_stop(&h, &t[i]); break;
        case 3:
            if (back && sr__rng_below(&rng, 50) == 0)
                now -= sr__rng_below(&rng, 30); /* pops below are still checked */
            break;
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
            assert_int_equal(sr__timer_next(&h), best < 0 ? SR__NEVER : t[best].deadline);
            uint64_t strict = SR__NEVER;
            for (int k = 0; k < N; k++)
                if (sr__timer_is_armed(&t[k]) && (!in_lane(&t[k]) || k >= 32 || !(lax >> k & 1)) &&
                    t[k].deadline < strict)
                    strict = t[k].deadline;
            assert_int_equal(sr__timer_next_strict(&h), strict);
            sr__timer *x = sr__timer_pop_due(&h, now);
            if (best < 0 || t[best].deadline > now) {
                assert_null(x);
            } else {
                assert_ptr_equal(x, &t[best]);
                assert_false(sr__timer_is_armed(x));
            }
        }
        }
        check_structure(&h, t, seq, delay, N);
    }
    /* At most as many nodes were ever handed out as timers armed at once. */
    assert_true(h.nodes_used <= N);
    sr__timer_heap_cleanup(&h);
    for (int k = 0; k < N; k++)
        assert_false(sr__timer_is_armed(&t[k]));
}

static void test_against_model(void **state)
{
    (void)state;
    run_model(42, 15, false, 0); /* 8 lanes, 15 delays: lanes and heap mixed */
    run_model(43, 4, false, 0);  /* every delay has a lane */
    run_model(44, 4, true, 0);   /* a clock going back sends timers to the heap */
    run_model(45, 100, true, 0);
    /* lax kinds: two lanes of a delay (lax and not), the rest as above */
    run_model(46, 4, false, 0x55555555u);
    run_model(47, 3, false, 0x0000ffffu);
    run_model(48, 15, false, 0x55555555u);
    run_model(49, 4, true, 0xaaaaaaaau);
}

/* The transactions' case: a few fixed delays, timers in lanes; ties between a lane and the
 * heap, and between lanes, go by start order; removal at the head, middle and tail. */
static void test_lanes(void **state)
{
    (void)state;
    sr__timer_heap h;
    sr__timer_heap_init(&h, tu_allocator());
    sr__timer t[16];
    for (int i = 0; i < 16; i++)
        sr__timer_init(&t[i], i);
    /* Eight delays take the eight lanes; a ninth goes to the heap. */
    for (int i = 0; i < SR__TIMER_LANES; i++)
        assert_int_equal(sr__timer_start(&h, &t[i], 0, 1000 + (uint64_t)i), 0);
    for (int i = 0; i < SR__TIMER_LANES; i++)
        assert_true(in_lane(&t[i]));
    assert_int_equal(sr__timer_start(&h, &t[8], 8, 999), 0); /* 1007, with t[7] */
    assert_false(in_lane(&t[8]));
    assert_int_equal(h.len, 1);
    /* Same delay, later start: same lane, after. Ties at 1003 across lanes and the heap go
     * by start order. */
    assert_int_equal(sr__timer_start(&h, &t[9], 3, 1000), 0);
    assert_true(in_lane(&t[9]));
    assert_int_equal(h.n_lane, 9);
    sr__timer_stop(&h, &t[1]); /* lane 1001 emptied: free for another delay */
    assert_int_equal(sr__timer_start(&h, &t[10], 0, 1003), 0); /* lane 1003's tail */
    assert_int_equal(sr__timer_start(&h, &t[11], 3, 1000), 0); /* lane 1000's tail */
    assert_int_equal(sr__timer_start(&h, &t[12], 1, 1002), 0); /* lane 1002: 1003 */
    assert_int_equal(sr__timer_start(&h, &t[13], 0, 7), 0);    /* takes the free lane */
    assert_true(in_lane(&t[13]));
    assert_int_equal(sr__timer_start(&h, &t[14], 0, 1003), 0); /* 1003, in lane 1003 */
    /* Every lane taken (1001's by 7 now): a heap timer due at 1003, started last. */
    assert_int_equal(sr__timer_start(&h, &t[15], 2, 1001), 0);
    assert_false(in_lane(&t[15]));
    /* Removal in the middle of lane 1000 (t0, t9, t11) and at a tail (t14). */
    sr__timer_stop(&h, &t[11]);
    sr__timer_stop(&h, &t[14]);
    assert_int_equal(sr__timer_next(&h), 7);
    /* Due at 1003: t3 (lane 1003), t9 (lane 1000), t10 (lane 1003), t12 (lane 1002), t15
     * (heap), by start; at 1007 t7 (lane) before t8 (heap), started after it. */
    int want[] = {13, 0, 2, 3, 9, 10, 12, 15, 4, 5, 6, 7, 8};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        sr__timer *x = sr__timer_pop_due(&h, 5000);
        assert_non_null(x);
        assert_int_equal(x->kind, want[i]);
    }
    assert_null(sr__timer_pop_due(&h, UINT64_MAX));
    assert_int_equal(sr__timer_armed(&h), 0);
    assert_int_equal(sr__timer_next(&h), SR__NEVER);
    for (int l = 0; l < SR__TIMER_LANES; l++)
        assert_int_equal(h.lanes[l].head, SR__TIMER_IDLE);
    sr__timer_heap_cleanup(&h);
}

/* Lax kinds (the transactions' D, I, J, K, M) ride in lanes of their own: the earliest other
 * timer is found without them, and order across all lanes is still (deadline, start). */
static void test_lax_lanes(void **state)
{
    (void)state;
    sr__timer_heap h;
    sr__timer_heap_init(&h, tu_allocator());
    h.lax_kinds = 1u << 3 | 1u << 4;
    sr__timer t[6];
    for (int i = 0; i < 6; i++)
        sr__timer_init(&t[i], i);
    assert_int_equal(sr__timer_next_strict(&h), SR__NEVER);
    assert_int_equal(sr__timer_start(&h, &t[3], 0, 100), 0); /* lax, 100 */
    assert_int_equal(sr__timer_next(&h), 100);
    assert_int_equal(sr__timer_next_strict(&h), SR__NEVER);
    assert_int_equal(sr__timer_start(&h, &t[1], 10, 100), 0); /* same delay, not lax: 110 */
    assert_true(in_lane(&t[1]) && in_lane(&t[3]));
    assert_true((t[1].heap_index & ~SR__TIMER_LANE_BIT) != (t[3].heap_index & ~SR__TIMER_LANE_BIT));
    assert_int_equal(h.lanes_used & h.lanes_lax, 1u << 0);
    assert_int_equal(sr__timer_start(&h, &t[4], 20, 100), 0); /* lax, 120, after t3 */
    assert_int_equal(sr__timer_start(&h, &t[0], 20, 90), 0);  /* not lax, 110, after t1 */
    assert_int_equal(sr__timer_next(&h), 100);
    assert_int_equal(sr__timer_next_strict(&h), 110);
    sr__timer_stop(&h, &t[1]);
    assert_int_equal(sr__timer_next_strict(&h), 110); /* t0 */
    int want[] = {3, 0, 4};
    uint64_t strict_after[] = {110, SR__NEVER, SR__NEVER};
    for (int i = 0; i < 3; i++) {
        sr__timer *x = sr__timer_pop_due(&h, 1000);
        assert_non_null(x);
        assert_int_equal(x->kind, want[i]);
        assert_int_equal(sr__timer_next_strict(&h), strict_after[i]);
    }
    assert_null(sr__timer_pop_due(&h, 1000));
    /* the mask outlives a cleanup */
    sr__timer_heap_cleanup(&h);
    assert_int_equal(h.lax_kinds, 1u << 3 | 1u << 4);
    sr__timer_heap_cleanup(&h);
}

/* A timer that would end before its lane's last (a clock passed in going back) goes to the
 * heap, and still fires first; re-arming moves a timer between a lane and the heap. */
static void test_lane_clock_back(void **state)
{
    (void)state;
    sr__timer_heap h;
    sr__timer_heap_init(&h, tu_allocator());
    sr__timer a, b, c;
    sr__timer_init(&a, 0);
    sr__timer_init(&b, 1);
    sr__timer_init(&c, 2);
    assert_int_equal(sr__timer_start(&h, &a, 100, 10), 0);
    assert_int_equal(sr__timer_start(&h, &b, 50, 10), 0);
    assert_true(in_lane(&a));
    assert_false(in_lane(&b));
    assert_int_equal(sr__timer_start(&h, &c, 100, 10), 0); /* 110 after a's 110: lane */
    assert_true(in_lane(&c));
    assert_int_equal(sr__timer_next(&h), 60);
    /* Re-arm the heap timer in place; re-arm a lane timer (it goes last). */
    assert_int_equal(sr__timer_start(&h, &b, 100, 10), 0);
    assert_false(in_lane(&b));
    assert_int_equal(sr__timer_start(&h, &a, 100, 10), 0);
    assert_true(in_lane(&a));
    assert_ptr_equal(sr__timer_pop_due(&h, 110), &c);
    assert_ptr_equal(sr__timer_pop_due(&h, 110), &b);
    assert_ptr_equal(sr__timer_pop_due(&h, 110), &a);
    assert_null(sr__timer_pop_due(&h, 110));
    sr__timer_heap_cleanup(&h);
}

/* Nodes are reused: many timers started and stopped never need more nodes than armed. */
static void test_lane_nodes_reused(void **state)
{
    (void)state;
    enum { N = 1000 };
    sr__timer_heap h;
    sr__timer_heap_init(&h, tu_allocator());
    static sr__timer t[N];
    for (int i = 0; i < N; i++)
        sr__timer_init(&t[i], i);
    for (uint64_t now = 0; now < 50; now++) {
        for (int i = 0; i < N; i++)
            if (!sr__timer_is_armed(&t[i]) && (i + (int)now) % 3 == 0)
                assert_int_equal(sr__timer_start(&h, &t[i], now, 32000), 0);
        for (int i = 0; i < N; i += 2)
            sr__timer_stop(&h, &t[i]);
    }
    assert_true(h.nodes_used <= N);
    assert_int_equal(h.len, 0);
    /* Every one left fires in start order. */
    uint64_t last = 0;
    size_t n = 0;
    for (sr__timer *x; (x = sr__timer_pop_due(&h, UINT64_MAX)) != NULL; n++) {
        assert_true(x->deadline >= last);
        last = x->deadline;
    }
    assert_true(n > 0);
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
        TU_TEST(test_order_and_ties),
        TU_TEST(test_saturation),
        TU_TEST(test_against_model),
        TU_TEST(test_failure_sweep),
        TU_TEST(test_rng),
        TU_TEST(test_lanes),
        TU_TEST(test_lane_clock_back),
        TU_TEST(test_lane_nodes_reused),
        TU_TEST(test_lax_lanes),
    };
    return cmocka_run_group_tests_name("timer", tests, NULL, NULL);
}
