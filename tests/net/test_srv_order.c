/* The RFC 3263 orderings that need no I/O, in isolation: SRV priority and weighted selection
 * (RFC 2782 "Usage rules") with injected draws, and NAPTR selection (RFC 3263 §4.1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "net.h"

/* draws handed out in order; running out fails the test */
typedef struct draws {
    const uint32_t *v;
    size_t n, used;
} draws;

static uint32_t next_draw(void *user)
{
    draws *d = user;
    assert_true(d->used < d->n);
    return d->v[d->used++];
}

static void order(sn_srv *r, size_t n, const uint32_t *v, size_t nv, size_t want_draws)
{
    draws d = {v, nv, 0};
    sn_srv_order(r, n, next_draw, &d);
    assert_int_equal(d.used, want_draws);
}

static void assert_targets(const sn_srv *r, size_t n, const char *const *want)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].target, want[i]) != 0)
            fail_msg("position %zu: %s, expected %s", i, r[i].target, want[i]);
}

/* priorities first, whatever the weights; one record per priority needs no draw */
static void test_priority(void **state)
{
    (void)state;
    sn_srv r[] = {{20, 100, 5060, "c"}, {10, 0, 5060, "a"}, {30, 5, 5060, "d"}, {15, 1, 5060, "b"}};
    order(r, 4, NULL, 0, 0);
    assert_targets(r, 4, (const char *const[]){"a", "b", "c", "d"});
}

/* weights 60 and 40 (sum 100): a draw r % 101 in 0..60 picks the first, 61..100 the second;
 * the last record of a priority is placed without a draw */
static void test_weights(void **state)
{
    (void)state;
    sn_srv r1[] = {{10, 60, 1, "x"}, {10, 40, 2, "y"}};
    order(r1, 2, (const uint32_t[]){60}, 1, 1);
    assert_targets(r1, 2, (const char *const[]){"x", "y"});
    sn_srv r2[] = {{10, 60, 1, "x"}, {10, 40, 2, "y"}};
    order(r2, 2, (const uint32_t[]){61}, 1, 1);
    assert_targets(r2, 2, (const char *const[]){"y", "x"});
    /* the draw is reduced modulo sum + 1: 101 + 61 is 61 */
    sn_srv r3[] = {{10, 60, 1, "x"}, {10, 40, 2, "y"}};
    order(r3, 2, (const uint32_t[]){162}, 1, 1);
    assert_targets(r3, 2, (const char *const[]){"y", "x"});
}

/* weight 0 goes first in the running sum: only a draw of 0 picks it (RFC 2782) */
static void test_weight_zero(void **state)
{
    (void)state;
    sn_srv r1[] = {{1, 10, 1, "w10"}, {1, 0, 1, "w0"}, {1, 20, 1, "w20"}};
    /* sum 30: draw 0 → w0; then w10, w20 (sum 30): draw 11 → w20 */
    order(r1, 3, (const uint32_t[]){0, 11}, 2, 2);
    assert_targets(r1, 3, (const char *const[]){"w0", "w20", "w10"});
    sn_srv r2[] = {{1, 10, 1, "w10"}, {1, 0, 1, "w0"}, {1, 20, 1, "w20"}};
    /* draw 1 → w10 (running sums w0:0, w10:10, w20:30); then w0, w20: draw 0 → w0 */
    order(r2, 3, (const uint32_t[]){1, 0}, 2, 2);
    assert_targets(r2, 3, (const char *const[]){"w10", "w0", "w20"});
    /* all weights 0: sum 0, every draw picks the first left */
    sn_srv r3[] = {{1, 0, 1, "a"}, {1, 0, 1, "b"}, {1, 0, 1, "c"}};
    order(r3, 3, (const uint32_t[]){7, 9}, 2, 2);
    assert_targets(r3, 3, (const char *const[]){"a", "b", "c"});
}

/* two priority groups, each drawn on its own; ports travel with their records */
static void test_groups(void **state)
{
    (void)state;
    sn_srv r[] = {
        {2, 1, 5001, "p2a"}, {1, 50, 5002, "p1a"}, {2, 3, 5003, "p2b"}, {1, 50, 5004, "p1b"}};
    /* priority 1 (sum 100): 51 → p1b; priority 2 (sum 4): 0 → p2a */
    order(r, 4, (const uint32_t[]){51, 0}, 2, 2);
    assert_targets(r, 4, (const char *const[]){"p1b", "p1a", "p2a", "p2b"});
    assert_int_equal(r[0].port, 5004);
    assert_int_equal(r[3].port, 5003);
}

/* the distribution: over every draw 0..sum, each record comes first weight times (plus the
 * draw 0 for the first in the running sum) */
static void test_distribution(void **state)
{
    (void)state;
    unsigned first[3] = {0};
    for (uint32_t d = 0; d <= 60; d++) {
        sn_srv r[] = {{1, 10, 0, "a"}, {1, 20, 1, "b"}, {1, 30, 2, "c"}};
        order(r, 3, (const uint32_t[]){d, 0}, 2, 2);
        first[r[0].port]++;
    }
    assert_int_equal(first[0], 11); /* 0..10 */
    assert_int_equal(first[1], 20); /* 11..30 */
    assert_int_equal(first[2], 30); /* 31..60 */
}

/* the answer's order does not matter: the same draws give the same order */
static void test_answer_order(void **state)
{
    (void)state;
    sn_srv r1[] = {{1, 50, 2, "b"}, {1, 50, 1, "a"}, {1, 0, 3, "z"}, {1, 50, 0, "a"}};
    sn_srv r2[] = {{1, 0, 3, "z"}, {1, 50, 0, "a"}, {1, 50, 1, "a"}, {1, 50, 2, "b"}};
    const uint32_t d[] = {0, 75, 60};
    order(r1, 4, d, 3, 3);
    order(r2, 4, d, 3, 3);
    /* laid out z(0) a:0 a:1 b: draw 0 → z; then sums 50/100/150, 75 → a:1; then 60 → b */
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(r1[i].target, r2[i].target);
        assert_int_equal(r1[i].port, r2[i].port);
    }
    assert_int_equal(r1[0].port, 3);
    assert_int_equal(r1[1].port, 1);
    assert_int_equal(r1[2].port, 2);
    assert_int_equal(r1[3].port, 0);
}

static void test_naptr(void **state)
{
    (void)state;
    sn_naptr r[] = {
        {50, 10, "S", "SIP+D2T", "", "_sip._tcp.x", 0},
        {50, 5, "s", "SIP+D2U", "", "_sip._udp.x", 0},
        {10, 90, "S", "SIPS+D2T", "", "_sips._tcp.x", 0},
        {10, 1, "S", "SIP+D2S", "", "_sip._sctp.x", 0}, /* SCTP: not ours */
        {10, 1, "A", "SIP+D2U", "", "a.x", 0},          /* flag A: not a SIP rewrite */
        {10, 1, "S", "SIP+D2U", "!^.*$!x!", "", 0},     /* a regexp */
        {60, 1, "S", "SIP+D2U", "", "_sip._udp.x", 0},  /* a replacement listed before */
        {70, 1, "S", "E2U+sip", "", "_sip._udp.y", 0},  /* ENUM: not a SIP service */
    };
    size_t n = sn_naptr_select(r, 8, false);
    assert_int_equal(n, 3);
    assert_string_equal(r[0].replacement, "_sips._tcp.x");
    assert_int_equal(r[0].transport, SR_TP_TLS);
    assert_string_equal(r[1].replacement, "_sip._udp.x");
    assert_int_equal(r[1].transport, SR_TP_UDP);
    assert_string_equal(r[2].replacement, "_sip._tcp.x");
    assert_int_equal(r[2].transport, SR_TP_TCP);
    /* a SIPS URI keeps SIPS+ only */
    sn_naptr s[] = {{50, 10, "S", "SIP+D2T", "", "_sip._tcp.x", 0},
                    {60, 10, "S", "SIPS+D2T", "", "_sips._tcp.x", 0}};
    assert_int_equal(sn_naptr_select(s, 2, true), 1);
    assert_string_equal(s[0].replacement, "_sips._tcp.x");
    /* equal order and preference keep the answer's order */
    sn_naptr e[] = {{1, 1, "S", "SIP+D2T", "", "t", 0}, {1, 1, "S", "SIP+D2U", "", "u", 0}};
    assert_int_equal(sn_naptr_select(e, 2, false), 2);
    assert_string_equal(e[0].replacement, "t");
    assert_int_equal(sn_naptr_select(e, 0, false), 0);
}

/* the servers a UAC gets: the supported targets, in order, up to the cap */
static void test_usable(void **state)
{
    (void)state;
    static sn_targets t;
    const sr_transport tp[] = {SR_TP_TLS, SR_TP_TCP, SR_TP_SCTP, SR_TP_UDP, SR_TP_UDP};
    for (size_t i = 0; i < 5; i++) {
        char host[16];
        snprintf(host, sizeof(host), "192.0.2.%zu", i);
        assert_int_equal(sr_addr_set(&t.t[i].addr, host, (uint16_t)(5060 + i), tp[i]), 0);
        t.t[i].supported = tp[i] == SR_TP_UDP || tp[i] == SR_TP_TCP;
    }
    t.n = 5;
    sr_addr out[4];
    assert_int_equal(sn_targets_usable(&t, out, 4), 3);
    assert_string_equal(out[0].host, "192.0.2.1");
    assert_int_equal(out[0].transport, SR_TP_TCP);
    assert_string_equal(out[1].host, "192.0.2.3");
    assert_int_equal(out[2].port, 5064);
    assert_int_equal(sn_targets_usable(&t, out, 1), 1);
    assert_string_equal(out[0].host, "192.0.2.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priority),     cmocka_unit_test(test_weights),
        cmocka_unit_test(test_weight_zero),  cmocka_unit_test(test_groups),
        cmocka_unit_test(test_distribution), cmocka_unit_test(test_answer_order),
        cmocka_unit_test(test_naptr),        cmocka_unit_test(test_usable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
