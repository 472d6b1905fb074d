/* sipreplyd: `registrations:` through the engine in simulated time — the REGISTERs on the
 * wire (Call-ID kept, CSeq growing, Expires), the digest challenge, 423, the refresh at half
 * the granted expiry, Retry-After, a timeout's back-off, the start rate, de-registration at
 * shutdown and the counters. The registrar is this test, answering what the engine sends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_harness.h"
#include "testutil.h"

#define MAXSENT 64

typedef struct wire {
    char *msg[MAXSENT];
    uint64_t at[MAXSENT];
    size_t n;
    uint64_t now;
    char notes[4096];
} wire;

static void on_send(const char *data, size_t len, const sr_addr *to, void *user)
{
    wire *w = user;
    assert_string_equal(to->host, "127.0.0.1");
    assert_int_equal(to->port, 5070);
    assert_true(w->n < MAXSENT);
    w->msg[w->n] = strndup(data, len);
    w->at[w->n++] = w->now;
}

static void on_note(void *user, int level, const char *msg)
{
    (void)level;
    wire *w = user;
    size_t n = strlen(w->notes);
    snprintf(w->notes + n, sizeof(w->notes) - n, "%s\n", msg);
}

static sd_engine *engine(wire *w, const char *yaml)
{
    sd_engine_opts o = {.send = on_send, .user = w, .seed = 7, .note = on_note, .reg_user = w};
    sd_engine *e = eh_engine_new(yaml, &o);
    assert_int_equal(sd_engine_reg_start(e, w->now), 0);
    return e;
}

static void wire_free(wire *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->msg[i]);
    w->n = 0;
}

/* Answer request @p req with @p code and @p extra header lines. */
static void answer(sd_engine *e, wire *w, const char *req, unsigned code, const char *extra)
{
    char via[256], from[256], to[256], cid[128], cseq[64], buf[2048];
    snprintf(buf, sizeof(buf),
             "SIP/2.0 %u X\r\nVia: %s\r\nFrom: %s\r\nTo: %s;tag=reg1\r\nCall-ID: %s\r\n"
             "CSeq: %s\r\n%sContent-Length: 0\r\n\r\n",
             code, eh_hdr(req, "Via", via, sizeof(via)), eh_hdr(req, "From", from, sizeof(from)),
             eh_hdr(req, "To", to, sizeof(to)), eh_hdr(req, "Call-ID", cid, sizeof(cid)),
             eh_hdr(req, "CSeq", cseq, sizeof(cseq)), extra);
    sr_addr src = eh_addr("127.0.0.1", 5070, SR_TP_UDP, 0);
    eh_receive(e, buf, &src, w->now);
}

/* Run the engine's timers up to @p until. */
static void run_until(sd_engine *e, wire *w, uint64_t until)
{
    for (;;) {
        uint64_t d = sd_engine_next_deadline(e);
        if (d > until)
            break;
        if (d > w->now)
            w->now = d;
        sd_engine_on_timer(e, w->now);
    }
    w->now = until;
}

static const char *last(const wire *w)
{
    assert_true(w->n > 0);
    return w->msg[w->n - 1];
}

static unsigned cseq_of(const char *m)
{
    char v[64];
    return (unsigned)atoi(eh_hdr(m, "CSeq", v, sizeof(v)));
}

static const char *metrics(sd_engine *e, char *out, size_t cap)
{
    sr_buf b;
    sr_buf_init(&b, NULL);
    assert_int_equal(sd_engine_metrics(e, &b), 0);
    snprintf(out, cap, "%s", b.p ? b.p : "");
    sr_buf_cleanup(&b);
    return out;
}

static const char *challenge = "WWW-Authenticate: Digest realm=\"pbx\", nonce=\"abc123\", "
                               "algorithm=MD5, qop=\"auth\"\r\n";

/* 401 → credentials → 423 → Expires raised → 200 granting 120 s → refresh at 60 s with the
 * same Call-ID, a higher CSeq and the raised Expires; SIGTERM → Expires: 0. */
static void t_register_refresh_unregister(void **st)
{
    (void)st;
    wire w = {.now = 1000};
    sd_engine *e = engine(&w, "registrations:\n"
                              "  - aor: sip:alice@127.0.0.1:5070\n"
                              "    password: secret\n"
                              "    expires: 60\n");
    run_until(e, &w, 1000);
    assert_int_equal(w.n, 1);
    char v[512], cid[128];
    assert_non_null(strstr(last(&w), "REGISTER sip:127.0.0.1:5070 SIP/2.0\r\n"));
    assert_string_equal(eh_hdr(last(&w), "To", v, sizeof(v)), "<sip:alice@127.0.0.1:5070>");
    assert_string_equal(eh_hdr(last(&w), "Contact", v, sizeof(v)), "<sip:alice@127.0.0.1:5060>");
    assert_string_equal(eh_hdr(last(&w), "Expires", v, sizeof(v)), "60");
    eh_hdr(last(&w), "Call-ID", cid, sizeof(cid));
    unsigned c1 = cseq_of(last(&w));
    answer(e, &w, last(&w), 401, challenge);
    assert_int_equal(w.n, 2);
    assert_non_null(strstr(last(&w), "Authorization: Digest username=\"alice\""));
    assert_true(cseq_of(last(&w)) > c1);
    answer(e, &w, last(&w), 423, "Min-Expires: 120\r\n");
    assert_int_equal(w.n, 3);
    assert_string_equal(eh_hdr(last(&w), "Expires", v, sizeof(v)), "120");
    answer(e, &w, last(&w), 200, "Contact: <sip:alice@127.0.0.1:5060>;expires=120\r\n");
    assert_non_null(strstr(w.notes, "register sip:alice@127.0.0.1:5070: registered as "
                                    "sip:alice@127.0.0.1:5060 at udp 127.0.0.1:5070 (401 AUTH "
                                    "423 EXPIRES 200; expires 120 s, refresh in 60 s)"));
    char m[4096];
    assert_non_null(
        strstr(metrics(e, m, sizeof(m)), "sipreplyd_registrations{state=\"registered\"} 1"));
    /* nothing more until half of 120 s */
    run_until(e, &w, 1000 + 59999);
    assert_int_equal(w.n, 3);
    unsigned c3 = cseq_of(last(&w));
    run_until(e, &w, 1000 + 60000 + 50);
    assert_int_equal(w.n, 4);
    assert_int_equal(w.at[3], 1000 + 60000);
    assert_string_equal(eh_hdr(last(&w), "Call-ID", v, sizeof(v)), cid); /* RFC 3261 §10.2.4 */
    assert_true(cseq_of(last(&w)) > c3);
    assert_string_equal(eh_hdr(last(&w), "Expires", v, sizeof(v)), "120"); /* kept raised */
    answer(e, &w, last(&w), 200, "Contact: <sip:alice@127.0.0.1:5060>;expires=100\r\n");
    /* SIGTERM: the binding ended with Expires: 0, the same Contact */
    sd_engine_drain(e);
    assert_int_equal(sd_engine_pending(e), 1);
    run_until(e, &w, w.now + 10);
    assert_int_equal(w.n, 5);
    assert_string_equal(eh_hdr(last(&w), "Expires", v, sizeof(v)), "0");
    assert_string_equal(eh_hdr(last(&w), "Contact", v, sizeof(v)), "<sip:alice@127.0.0.1:5060>");
    assert_string_equal(eh_hdr(last(&w), "Call-ID", v, sizeof(v)), cid);
    answer(e, &w, last(&w), 200, "");
    assert_int_equal(sd_engine_pending(e), 0);
    assert_non_null(
        strstr(w.notes, "de-registered (REGISTER Expires: 0 to udp 127.0.0.1:5070: 200)"));
    assert_non_null(strstr(metrics(e, m, sizeof(m)),
                           "sipreplyd_registration_results_total{result=\"unregistered\"} 1"));
    sd_engine_free(e);
    wire_free(&w);
}

/* 503 with Retry-After 120 (longer than the context waits): no REGISTER before 120 s; then a
 * timeout (no answer at all): the back-off of RFC 5626 §4.5 after two failures, 30-60 s. */
static void t_retry_after_and_timeout(void **st)
{
    (void)st;
    wire w = {.now = 0};
    sd_engine *e = engine(&w, "registrations:\n"
                              "  - aor: sip:bob@127.0.0.1:5070\n");
    run_until(e, &w, 0);
    assert_int_equal(w.n, 1);
    answer(e, &w, last(&w), 503, "Retry-After: 120\r\n");
    assert_non_null(strstr(w.notes, "register sip:bob@127.0.0.1:5070: failed at udp "
                                    "127.0.0.1:5070 (503); retry in 120 s"));
    char m[4096];
    assert_non_null(
        strstr(metrics(e, m, sizeof(m)), "sipreplyd_registrations{state=\"failed\"} 1"));
    run_until(e, &w, 119999);
    assert_int_equal(w.n, 1);
    run_until(e, &w, 120000);
    assert_int_equal(w.n, 2);
    /* no answer: retransmissions (Timer E), then Timer F at 64·T1 */
    run_until(e, &w, 120000 + 32000);
    size_t sent = w.n;
    assert_true(sent > 3);
    assert_non_null(strstr(w.notes, "(timeout); retry in "));
    run_until(e, &w, 152000 + 29999);
    assert_int_equal(w.n, sent); /* not before half of 60 s */
    run_until(e, &w, 152000 + 60000);
    assert_true(w.n > sent);
    assert_true(w.at[sent] >= 152000 + 30000 && w.at[sent] <= 152000 + 60000);
    assert_true(cseq_of(w.msg[sent]) > cseq_of(w.msg[sent - 1])); /* a new REGISTER */
    sent = w.n;
    /* shutting down with the REGISTER in flight and no binding: nothing to end once it fails */
    sd_engine_drain(e);
    assert_int_equal(sd_engine_pending(e), 1);
    answer(e, &w, last(&w), 500, "");
    assert_int_equal(sd_engine_pending(e), 0);
    assert_int_equal(w.n, sent);
    sd_engine_free(e);
    wire_free(&w);
}

/* A range starts at the rate: 3 AORs at 2/s go out 500 ms apart, each its own Call-ID; the
 * wrong password fails (the same realm challenged again). */
static void t_range_rate_and_wrong_password(void **st)
{
    (void)st;
    wire w = {.now = 0};
    sd_engine *e = engine(&w, "timers: {t1: 5s, t2: 5s}\n" /* no retransmission meanwhile */
                              "registrations:\n"
                              "  rate: 2\n"
                              "  accounts:\n"
                              "    - aor: sip:{07..09}@127.0.0.1:5070\n"
                              "      user: \"u{n}\"\n"
                              "      password: \"pw{n}\"\n");
    run_until(e, &w, 2000);
    assert_int_equal(w.n, 3);
    char v[512], c0[128], c1[128];
    assert_int_equal(w.at[0], 0);
    assert_int_equal(w.at[1], 500);
    assert_int_equal(w.at[2], 1000);
    assert_string_equal(eh_hdr(w.msg[0], "To", v, sizeof(v)), "<sip:07@127.0.0.1:5070>");
    assert_string_equal(eh_hdr(w.msg[2], "Contact", v, sizeof(v)), "<sip:09@127.0.0.1:5060>");
    assert_string_not_equal(eh_hdr(w.msg[0], "Call-ID", c0, sizeof(c0)),
                            eh_hdr(w.msg[1], "Call-ID", c1, sizeof(c1)));
    answer(e, &w, w.msg[1], 401, challenge);
    assert_int_equal(w.n, 4);
    assert_non_null(strstr(last(&w), "username=\"u08\""));
    answer(e, &w, last(&w), 401, challenge);
    assert_int_equal(w.n, 4);
    assert_non_null(strstr(w.notes, "register sip:08@127.0.0.1:5070: failed at udp "
                                    "127.0.0.1:5070 (401 AUTH 401 AUTH_FAILED (the registrar "
                                    "refused the credentials: check user and password)); retry "
                                    "in "));
    char m[4096];
    metrics(e, m, sizeof(m));
    assert_non_null(strstr(m, "sipreplyd_registrations{state=\"failed\"} 1"));
    assert_non_null(strstr(m, "sipreplyd_registrations{state=\"pending\"} 2"));
    /* freed with REGISTERs in flight: nothing leaks (ASan), nothing more is sent */
    sd_engine_free(e);
    wire_free(&w);
}

/* A registrar that cannot be located: its AORs count as failed, and it is looked up again
 * after the back-off (30 s, then 60 s). */
static void t_lookup_fails(void **st)
{
    (void)st;
    wire w = {.now = 0};
    sd_engine *e = engine(&w, "registrations:\n"
                              "  - aor: sip:{1..3}@pbx.invalid\n");
    run_until(e, &w, 1000);
    assert_int_equal(w.n, 0);
    assert_non_null(strstr(w.notes, "registrations[0]: registrar sip:pbx.invalid: not an address "
                                    "(no resolver); its 3 AOR(s) stay unregistered; lookup again "
                                    "in 30 s"));
    char m[4096];
    assert_non_null(
        strstr(metrics(e, m, sizeof(m)), "sipreplyd_registrations{state=\"failed\"} 3"));
    assert_int_equal(sd_engine_next_deadline(e), 30000);
    run_until(e, &w, 30000);
    assert_non_null(strstr(w.notes, "lookup again in 60 s"));
    assert_int_equal(sd_engine_next_deadline(e), 90000);
    sd_engine_drain(e);
    assert_int_equal(sd_engine_pending(e), 0);
    sd_engine_free(e);
}

/* ------------------------------------------------------------------ allocation failures */

/* One run: two AORs, 401 then 200 for the first, 503 for the second, a refresh, SIGTERM and
 * the de-registration answered; returns the allocations made. */
static long sweep_run(long fail_at, bool *completed)
{
    tu_alloc fa;
    tu_alloc_init(&fa);
    fa.fail_at = fail_at;
    wire w = {.now = 0};
    const char *yaml = "timers: {t1: 5s, t2: 5s}\n"
                       "registrations:\n"
                       "  rate: 1000\n"
                       "  accounts:\n"
                       "    - aor: sip:{1..2}@127.0.0.1:5070\n"
                       "      password: pw\n"
                       "      expires: 60\n";
    sd_engine_opts o = {.send = on_send, .user = &w, .seed = 7, .alloc = &fa.a};
    sd_engine *e = eh_engine_try(yaml, &o);
    *completed = false;
    if (!e) {
        assert_int_equal(fa.live, 0);
        return fa.total;
    }
    if (sd_engine_reg_start(e, 0) == 0) {
        run_until(e, &w, 10);
        /* answer what was sent; a REGISTER the failure cut short is simply not there */
        for (size_t i = 0; i < w.n && i < 8; i++) {
            if (strncmp(w.msg[i], "REGISTER ", 9) != 0)
                continue;
            char v[64];
            bool auth = strstr(w.msg[i], "Authorization:") != NULL;
            bool first = strstr(eh_hdr(w.msg[i], "To", v, sizeof(v)), "sip:1@") != NULL;
            answer(e, &w, w.msg[i],
                   first && !auth ? 401
                   : first        ? 200
                                  : 503,
                   first && !auth ? challenge
                   : first        ? "Contact: <sip:1@127.0.0.1:5060>;expires=60\r\n"
                                  : "");
        }
        size_t seen = w.n; /* answered so far */
        run_until(e, &w, 31000);
        sd_engine_drain(e);
        /* what is in flight (the refresh, the retry after the 503), then the
         * de-registrations: each answered 200 */
        for (int round = 0; round < 3; round++) {
            run_until(e, &w, w.now + 10);
            size_t end = w.n;
            for (size_t i = seen; i < end; i++)
                answer(e, &w, w.msg[i], 200,
                       strstr(w.msg[i], "\r\nExpires: 0\r\n")
                           ? ""
                           : "Contact: <sip:1@127.0.0.1:5060>;expires=60\r\n");
            seen = end;
        }
        *completed = sd_engine_pending(e) == 0;
        sd_engine_abort_pending(e, w.now + 5000);
        assert_int_equal(sd_engine_pending(e), 0);
    }
    sd_engine_free(e);
    wire_free(&w);
    assert_int_equal(fa.live, 0); /* nothing leaked, whatever failed */
    return fa.total;
}

/* Each allocation of the run refused in turn: no crash, no leak (ASan: no use after free),
 * nothing left pending once the shutdown is aborted. */
static void t_allocation_failures(void **st)
{
    (void)st;
    bool completed;
    long total = sweep_run(0, &completed);
    assert_true(completed); /* the run itself ends with nothing pending */
    assert_true(total > 20);
    for (long k = 1; k <= total; k++)
        sweep_run(k, &completed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_register_refresh_unregister),
        cmocka_unit_test(t_retry_after_and_timeout),
        cmocka_unit_test(t_range_rate_and_wrong_password),
        cmocka_unit_test(t_lookup_fails),
        cmocka_unit_test(t_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
