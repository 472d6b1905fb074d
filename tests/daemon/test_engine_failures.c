/* sipreplyd: the engine under allocation failure — a sweep fails each allocation in turn of
 * a run (INVITE answered 180 then 486, a challenge, a stateless 486, an unparseable request)
 * and checks that nothing crashes, leaks or stays pending, that every request is accounted
 * for by one log record, and that what the engine failed to send is logged or counted. (A
 * response the stack accepted but could not queue is lost as a datagram is, by the core's
 * contract, stack.h: the engine's log then names the code it handed over.) Under ASan this
 * also checks every path for use after free. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_harness.h"
#include "testutil.h"

/* ------------------------------------------------------------------ the run */

typedef struct run {
    char codes[128]; /* what went on the wire: "180,486,401,486,400" */
    unsigned unsent; /* log records saying nothing went out, or a drop */
    unsigned logs;   /* log records */
} run;

static void on_send(const char *data, size_t len, const sr_addr *to, void *user)
{
    (void)to;
    run *r = user;
    if (len > 12 && !strncmp(data, "SIP/2.0 ", 8)) {
        size_t n = strlen(r->codes);
        snprintf(r->codes + n, sizeof(r->codes) - n, "%s%.3s", n ? "," : "", data + 8);
    }
}

static void on_log(const sd_txlog *l, void *user)
{
    run *r = user;
    r->logs++;
    if (!l->rule || l->code == 0)
        r->unsent++;
}

static const char yaml[] = "rules:\n"
                           "  - name: ring-busy\n"
                           "    match: {user: ring}\n"
                           "    respond: [{code: 180}, {code: 486, delay: 100}]\n"
                           "  - name: auth\n"
                           "    match: {user: secret}\n"
                           "    challenge: {realm: test, users: {alice: pw}}\n"
                           "    respond: 200\n"
                           "  - name: sl\n"
                           "    match: {user: busy}\n"
                           "    stateless: 486\n";

static void invite(char *b, size_t cap, const char *user, const char *branch)
{
    snprintf(b, cap,
             "INVITE sip:%s@127.0.0.1 SIP/2.0\r\n"
             "Via: SIP/2.0/TCP 127.0.0.1:5062;branch=z9hG4bK%s\r\n"
             "Max-Forwards: 70\r\n"
             "From: <sip:alice@127.0.0.1>;tag=ft1\r\n"
             "To: <sip:%s@127.0.0.1>\r\n"
             "Call-ID: call-%s\r\n"
             "CSeq: 1 INVITE\r\n"
             "Contact: <sip:alice@127.0.0.1:5062;transport=tcp>\r\n"
             "Content-Length: 0\r\n\r\n",
             user, branch, user, branch);
}

/* A CSeq that does not parse: the stack refuses it, the engine answers 400 from its head. */
static const char bad[] = "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n"
                          "Via: SIP/2.0/TCP 127.0.0.1:5062;branch=z9hG4bKbad\r\n"
                          "Max-Forwards: 70\r\n"
                          "From: <sip:alice@127.0.0.1>;tag=ft1\r\n"
                          "To: <sip:x@127.0.0.1>\r\n"
                          "Call-ID: call-bad\r\n"
                          "CSeq: one OPTIONS\r\n"
                          "Content-Length: 0\r\n\r\n";

#define EXPECTED "180,486,401,486,400"

/* One run with allocation @p fail_at refused (0: none). Returns the allocations made. */
static long g_failures_seen; /* runs whose failure the engine counted */

static long run_once(long fail_at, bool *failed)
{
    tu_alloc f;
    tu_alloc_init(&f);
    f.fail_at = fail_at;
    run r = {{0}, 0, 0};
    sd_engine_opts o = {
        .send = on_send, .user = &r, .log = on_log, .log_user = &r, .seed = 7, .alloc = &f.a};
    sd_engine *e = eh_engine_try(yaml, &o);
    if (!e) {
        /* refused at creation: the caller still owns the configuration (eh_engine_try freed
         * it), nothing else lives */
        assert_int_equal(f.live, 0);
        assert_true(f.failed > 0);
        *failed = true;
        return f.total;
    }
    sr_addr src = eh_addr("127.0.0.1", 5062, SR_TP_TCP, 9);
    char m[1024];
    uint64_t now = 1000;
    invite(m, sizeof(m), "ring", "ring1");
    eh_receive(e, m, &src, now);
    for (now = 1000; now <= 1200; now += 10)
        sd_engine_on_timer(e, now);
    invite(m, sizeof(m), "secret", "auth1");
    eh_receive(e, m, &src, now);
    invite(m, sizeof(m), "busy", "sl1");
    eh_receive(e, m, &src, now);
    eh_receive(e, bad, &src, now);
    /* every transaction and sequence ends (Timer H, J, ...: 64*T1 at most) */
    for (int i = 0; i < 100 && sd_engine_next_deadline(e) != UINT64_MAX; i++) {
        now = sd_engine_next_deadline(e) > now ? sd_engine_next_deadline(e) : now + 1;
        sd_engine_on_timer(e, now);
    }
    assert_int_equal(sd_engine_pending(e), 0);
    assert_int_equal(sd_engine_transactions(e), 0);
    const sd_counters *cnt = sd_engine_counters(e);
    if (r.logs != 4)
        fail_msg("allocation %ld refused: %u log records for 4 requests", fail_at, r.logs);
    if (!f.failed) {
        assert_string_equal(r.codes, EXPECTED);
        assert_int_equal(r.unsent, 0);
        assert_int_equal(cnt->failures, 0);
    }
    g_failures_seen += cnt->failures > 0;
    sd_engine_free(e);
    if (f.live != 0)
        fail_msg("allocation %ld refused: %ld block(s) leaked", fail_at, f.live);
    *failed = f.failed > 0;
    return f.total;
}

static void test_failure_sweep(void **state)
{
    (void)state;
    bool failed = false;
    long total = run_once(0, &failed);
    assert_false(failed);
    assert_true(total > 10);
    for (long n = 1; n <= total + 1; n++) {
        run_once(n, &failed);
        if (!failed)
            break; /* past the last allocation of the run */
    }
    /* the sweep reached the engine's own failure paths, and they were counted */
    assert_true(g_failures_seen > 0);
}

/* The counter is on /metrics. */
static void test_failures_exported(void **state)
{
    (void)state;
    sd_config *cf = NULL;
    sd_config_error err;
    assert_int_equal(sd_config_parse(&cf, yaml, sizeof(yaml) - 1, &err), 0);
    run r = {{0}, 0, 0};
    sd_engine_opts o = {.send = on_send, .user = &r, .seed = 7};
    sd_engine *e = NULL;
    assert_int_equal(sd_engine_new(&e, cf, &o), 0);
    sr_buf b;
    sr_buf_init(&b, NULL);
    assert_int_equal(sd_engine_metrics(e, &b), 0);
    assert_int_equal(sr_buf_append(&b, "", 1), 0);
    assert_non_null(strstr(b.p, "\nsipreplyd_engine_failures_total 0\n"));
    sr_buf_cleanup(&b);
    sd_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failure_sweep),
        cmocka_unit_test(test_failures_exported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
