/* sipreplyd: the engine under bad input — every datagram counted once, no transaction left
 * behind by a request that cannot be answered normally. Simulated time, sends captured. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_harness.h"

typedef struct cap {
    size_t n;        /* datagrams sent */
    unsigned last;   /* status of the last one (0: not a response) */
    char text[2048]; /* the last one */
    unsigned logs;
    unsigned last_code; /* the code the last log record says went out */
    char last_note[128];
} cap;

static void on_send(const char *data, size_t len, const sr_addr *to, void *user)
{
    (void)to;
    cap *c = user;
    c->n++;
    c->last = strncmp(data, "SIP/2.0 ", 8) == 0 ? (unsigned)atoi(data + 8) : 0;
    size_t k = len < sizeof(c->text) - 1 ? len : sizeof(c->text) - 1;
    memcpy(c->text, data, k);
    c->text[k] = '\0';
}

static void on_log(const sd_txlog *l, void *user)
{
    cap *c = user;
    c->logs++;
    c->last_code = l->code;
    snprintf(c->last_note, sizeof(c->last_note), "%s", l->note ? l->note : "");
}

static sd_engine *engine_new_mem(cap *c, size_t max_txn, size_t max_mem)
{
    sd_engine_opts o = {.send = on_send,
                        .user = c,
                        .log = on_log,
                        .log_user = c,
                        .seed = 42,
                        .max_transactions = max_txn,
                        .max_memory = max_mem};
    return eh_engine_new(sd_default_config, &o);
}

static sd_engine *engine_new(cap *c, size_t max_txn)
{
    return engine_new_mem(c, max_txn, 0);
}

static const sd_local local = {"127.0.0.1", 5060};

static void feed(sd_engine *e, const char *msg, size_t len, uint64_t now)
{
    sr_addr a = eh_addr("127.0.0.1", 5062, SR_TP_UDP, 0);
    sd_engine_receive(e, msg, len, &a, &local, now);
}

/* The value of the metric line "@p name N" in the engine's /metrics text. */
static unsigned long long metric(const sd_engine *e, const char *name)
{
    sr_buf b;
    sr_buf_init(&b, NULL);
    assert_int_equal(sd_engine_metrics(e, &b), 0);
    char key[128];
    snprintf(key, sizeof(key), "\n%s ", name);
    const char *p = strstr(b.p, key);
    assert_non_null(p);
    unsigned long long v = strtoull(p + strlen(key), NULL, 10);
    sr_buf_cleanup(&b);
    return v;
}

/* A request with Call-ID @p cid (@p cid_len bytes, NUL allowed). */
static size_t request(char *out, size_t size, const char *method, const char *uri, unsigned n,
                      const char *cid, size_t cid_len)
{
    int k = snprintf(out, size,
                     "%s %s SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKlim%u;rport\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:alice@127.0.0.1>;tag=f%u\r\n"
                     "To: <%s>\r\n"
                     "Call-ID: ",
                     method, uri, n, n, uri);
    size_t len = (size_t)k;
    memcpy(out + len, cid, cid_len);
    len += cid_len;
    k = snprintf(out + len, size - len,
                 "\r\nCSeq: 1 %s\r\nContact: <sip:alice@127.0.0.1:5062>\r\n"
                 "Content-Length: 0\r\n\r\n",
                 method);
    return len + (size_t)k;
}

/* sipreplyd_dropped_total: one increment per datagram dropped without an answer; none for
 * a datagram answered (a 400 from its raw head) or handled. */
static void test_dropped_counted_once(void **state)
{
    (void)state;
    cap c = {0};
    sd_engine *e = engine_new(&c, 0);
    assert_int_equal(metric(e, "sipreplyd_dropped_total"), 0);
    /* garbage: not SIP at all */
    const char *junk = "\x01\x02garbage\r\n\r\n";
    feed(e, junk, strlen(junk), 0);
    assert_int_equal(c.n, 0);
    assert_int_equal(metric(e, "sipreplyd_dropped_total"), 1);
    feed(e, junk, strlen(junk), 0);
    assert_int_equal(metric(e, "sipreplyd_dropped_total"), 2);
    /* a response matching no transaction (RFC 3261 §17.1.3): dropped */
    const char *stray = "SIP/2.0 200 OK\r\n"
                        "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnone\r\n"
                        "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>;tag=2\r\n"
                        "Call-ID: stray\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    feed(e, stray, strlen(stray), 0);
    assert_int_equal(metric(e, "sipreplyd_dropped_total"), 3);
    /* unparseable but answerable from its raw head (a body shorter than its
     * Content-Length): a 400 went out, nothing dropped */
    const char *bad = eh_short_body_invite;
    feed(e, bad, strlen(bad), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.last, 400);
    assert_int_equal(metric(e, "sipreplyd_dropped_total"), 3);
    sd_engine_free(e);
}

/* Issue 7: a NUL in the Call-ID. The 400 goes out (without the Call-ID it cannot carry),
 * the log says so, and Timer J ends each transaction: a flood beyond --max-transactions
 * leaves the table empty afterwards and a good request gets its real answer. */
static void test_nul_callid_flood(void **state)
{
    (void)state;
    cap c = {0};
    sd_engine *e = engine_new(&c, 100);
    char buf[2048];
    uint64_t now = 0;
    for (unsigned i = 0; i < 2000; i++, now++) {
        size_t len = request(buf, sizeof(buf), "OPTIONS", "sip:200@127.0.0.1", i, "bad\0cid", 7);
        feed(e, buf, len, now);
        if (i < 100) {
            assert_int_equal(c.n, i + 1);
            assert_int_equal(c.last, 400);
            assert_null(strstr(c.text, "\r\nCall-ID:"));
            assert_int_equal(c.last_code, 400);
            assert_string_equal(c.last_note, "Bad Call-ID header field");
        }
    }
    /* past 100: the stack's stateless 503 cannot carry the Call-ID either; nothing sent */
    assert_int_equal(c.n, 100);
    assert_int_equal(sd_engine_transactions(e), 100);
    assert_int_equal(metric(e, "sipreplyd_transactions"), 100);
    for (uint64_t d; (d = sd_engine_next_deadline(e)) != UINT64_MAX;)
        sd_engine_on_timer(e, now = d);
    assert_int_equal(sd_engine_transactions(e), 0);
    assert_int_equal(metric(e, "sipreplyd_transactions"), 0);
    size_t len = request(buf, sizeof(buf), "OPTIONS", "sip:200@127.0.0.1", 5000, "good", 4);
    feed(e, buf, len, now);
    assert_int_equal(c.n, 101);
    assert_int_equal(c.last, 200);
    for (uint64_t d; (d = sd_engine_next_deadline(e)) != UINT64_MAX;)
        sd_engine_on_timer(e, now = d);
    sd_engine_free(e);
}

/* A request no response can be built for (a NUL in a Via after the top one, which every
 * response copies, RFC 3261 §8.2.6.2): nothing is sent, the log says so rather than "-> 400",
 * and the transaction ends at once (it used to wait for a final forever). */
static void test_unanswerable_ends_txn(void **state)
{
    (void)state;
    cap c = {0};
    sd_engine *e = engine_new(&c, 100);
    static const char *const methods[] = {"OPTIONS", "INVITE", "BYE"};
    static const char *const uris[] = {"sip:200@127.0.0.1", "sip:486@127.0.0.1",
                                       "sip:500@127.0.0.1"};
    for (unsigned m = 0; m < 3; m++)
        for (unsigned u = 0; u < 3; u++) {
            char buf[2048];
            size_t len = request(buf, sizeof(buf), methods[m], uris[u], 10 * m + u, "cid", 3);
            char *via = strstr(buf, "Max-Forwards");
            static const char v2[] = "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKv2\0x\r\n";
            memmove(via + sizeof(v2) - 1, via, len - (size_t)(via - buf));
            memcpy(via, v2, sizeof(v2) - 1);
            len += sizeof(v2) - 1;
            unsigned logs = c.logs;
            feed(e, buf, len, m * 10 + u);
            assert_int_equal(c.n, 0);
            assert_int_equal(sd_engine_transactions(e), 0);
            assert_true(c.logs > logs);
            assert_int_equal(c.last_code, 0);
            assert_non_null(strstr(c.last_note, "nothing sent"));
        }
    assert_int_equal(sd_engine_next_deadline(e), UINT64_MAX);
    sd_engine_free(e);
}

/* Issue 8: --max-memory bounds what transactions retain; past it a new request gets 503 with
 * Retry-After, counted in sipreplyd_refused_total; the gauge shows the bytes. */
static void test_memory_budget_metrics(void **state)
{
    (void)state;
    cap c = {0};
    sd_engine *e = engine_new_mem(&c, 0, 65536);
    size_t blen = 60000;
    char *buf = malloc(blen + 2048);
    assert_non_null(buf);
    unsigned n200 = 0, n503 = 0;
    for (unsigned i = 0; i < 40; i++) {
        size_t len = request(buf, blen + 2048, "OPTIONS", "sip:127.0.0.1", i, "big", 3);
        /* a 60 KB body: Content-Length 0 becomes the body's length */
        char *cl = strstr(buf, "Content-Length: 0\r\n\r\n");
        len = (size_t)(cl - buf);
        len += (size_t)sprintf(cl, "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", blen);
        memset(buf + len, 'x', blen);
        feed(e, buf, len + blen, i);
        n200 += c.last == 200;
        n503 += c.last == 503;
        assert_true(metric(e, "sipreplyd_transaction_bytes") <= 65536);
    }
    assert_true(n200 >= 5);
    assert_true(n503 > 0);
    assert_non_null(strstr(c.text, "\r\nRetry-After: 5\r\n"));
    assert_int_equal(metric(e, "sipreplyd_refused_total"), n503);
    for (uint64_t d; (d = sd_engine_next_deadline(e)) != UINT64_MAX;)
        sd_engine_on_timer(e, d);
    assert_int_equal(metric(e, "sipreplyd_transaction_bytes"), 0);
    free(buf);
    sd_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dropped_counted_once),
        cmocka_unit_test(test_nul_callid_flood),
        cmocka_unit_test(test_unanswerable_ends_txn),
        cmocka_unit_test(test_memory_budget_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
