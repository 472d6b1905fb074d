/* sipreplyd: the engine's deadline heap — sequences due at the same millisecond run in the
 * order they were scheduled, and a heap of many jobs wakes each at its own deadline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_harness.h"

#define CALLS 40

typedef struct order {
    int call[CALLS * 2]; /* the call numbers of the 486s, in the order sent */
    size_t n;
    uint64_t now;
    uint64_t at[CALLS * 2]; /* when each went */
} order;

static void on_send(const char *data, size_t len, const sr_addr *to, void *user)
{
    (void)to;
    order *o = user;
    if (len < 12 || strncmp(data, "SIP/2.0 486", 11) != 0)
        return;
    const char *c = strstr(data, "\r\nCall-ID: call-");
    assert_non_null(c);
    assert_true(o->n < CALLS * 2);
    o->at[o->n] = o->now;
    o->call[o->n++] = atoi(c + 16);
}

static sd_engine *engine(order *o, const char *yaml)
{
    sd_engine_opts eo = {.send = on_send, .user = o, .seed = 3};
    return eh_engine_new(yaml, &eo);
}

static void invite(sd_engine *e, int i, uint64_t now)
{
    char m[1024];
    int n = snprintf(m, sizeof(m),
                     "INVITE sip:busy@127.0.0.1 SIP/2.0\r\n"
                     "Via: SIP/2.0/TCP 127.0.0.1:5062;branch=z9hG4bKs%d\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:a@127.0.0.1>;tag=f%d\r\n"
                     "To: <sip:busy@127.0.0.1>\r\n"
                     "Call-ID: call-%d\r\n"
                     "CSeq: 1 INVITE\r\n"
                     "Contact: <sip:a@127.0.0.1:5062;transport=tcp>\r\n"
                     "Content-Length: 0\r\n\r\n",
                     i, i, i);
    assert_true(n > 0 && (size_t)n < sizeof(m));
    sr_addr a = eh_addr("127.0.0.1", 5062, SR_TP_TCP, 1);
    eh_receive(e, m, &a, now);
}

static void run_until(sd_engine *e, order *o, uint64_t end)
{
    while (sd_engine_next_deadline(e) <= end) {
        uint64_t d = sd_engine_next_deadline(e);
        o->now = d > o->now ? d : o->now;
        sd_engine_on_timer(e, o->now);
    }
}

/* Every call due at the same millisecond: answered in the order the calls came. */
static void test_equal_deadlines_in_order(void **state)
{
    (void)state;
    order o = {.now = 1000};
    sd_engine *e = engine(&o, "default: [{code: 486, delay: 100}]\n");
    for (int i = 0; i < CALLS; i++)
        invite(e, i, o.now);
    assert_int_equal(sd_engine_pending(e), CALLS);
    run_until(e, &o, 1100);
    assert_int_equal(o.n, CALLS);
    for (int i = 0; i < CALLS; i++) {
        assert_int_equal(o.call[i], i);
        assert_int_equal(o.at[i], 1100);
    }
    sd_engine_free(e);
}

/* Deadlines set in reverse: each call wakes at its own, earliest first. */
static void test_deadlines_in_time_order(void **state)
{
    (void)state;
    order o = {.now = 1000};
    sd_engine *e = engine(&o, "default: [{code: 486, delay: 400}]\n");
    for (int i = 0; i < CALLS; i++) {
        o.now = 1000 + (uint64_t)i * 5; /* call i due at 1400 + 5i */
        invite(e, i, o.now);
    }
    run_until(e, &o, 5000);
    assert_int_equal(o.n, CALLS);
    for (int i = 0; i < CALLS; i++) {
        assert_int_equal(o.call[i], i);
        assert_int_equal(o.at[i], 1400 + (uint64_t)i * 5);
    }
    assert_int_equal(sd_engine_pending(e), 0);
    sd_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_deadlines_in_order),
        cmocka_unit_test(test_deadlines_in_time_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
