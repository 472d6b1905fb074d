/* sipreplyd: the lifetime of the engine's jobs on the stack's per-transaction user data — a
 * job is hung on its transaction while it waits, and freed at its final response, on a
 * CANCEL, at a timeout (Timer C's stand-in, no PRACK, no ACK for a 2xx), on an ACK and on a
 * transport error; no job outlives its transaction, and every allocated job is the user data
 * of a live transaction. Simulated time, no sockets; under ASan this also checks that no
 * event reaches a freed job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_harness.h"
#include "engine_int.h"

typedef struct cap {
    uint64_t now;
    unsigned codes[64];
    size_t n;
    unsigned logs;
    unsigned last_code;
    char last_note[96];
    char last_tag[64]; /* the To tag of the last response sent */
    unsigned rseq;     /* the RSeq of the last reliable provisional */
} cap;

static void on_send(const char *bytes, size_t len, const sr_addr *to, void *user)
{
    (void)to;
    cap *c = user;
    char data[4096]; /* the bytes are not NUL-terminated */
    if (len < 12 || len >= sizeof(data) || strncmp(bytes, "SIP/2.0 ", 8) != 0)
        return;
    memcpy(data, bytes, len);
    data[len] = '\0';
    assert_true(c->n < 64);
    c->codes[c->n++] = (unsigned)atoi(data + 8);
    const char *t = strstr(data, "\r\nTo: ");
    const char *p = t ? strstr(t, ";tag=") : NULL;
    if (p) {
        p += 5;
        snprintf(c->last_tag, sizeof(c->last_tag), "%.*s", (int)strcspn(p, ";\r\n"), p);
    }
    const char *r = strstr(data, "\r\nRSeq: ");
    if (r)
        c->rseq = (unsigned)strtoul(r + 8, NULL, 10);
}

static void on_log(const sd_txlog *l, void *user)
{
    cap *c = user;
    c->logs++;
    c->last_code = l->code;
    snprintf(c->last_note, sizeof(c->last_note), "%s", l->note ? l->note : "");
}

static const char yaml[] = "rules:\n"
                           "  - name: later\n"
                           "    match: {user: later}\n"
                           "    respond: [180, {code: 486, delay: 1s}]\n"
                           "  - name: ring\n"
                           "    match: {user: ring}\n"
                           "    respond: [180, {wait: cancel}]\n"
                           "  - name: ok\n"
                           "    match: {user: ok}\n"
                           "    respond: 200\n"
                           "  - name: ok-later\n"
                           "    match: {user: oklater}\n"
                           "    respond: [180, {code: 200, delay: 1s}]\n"
                           "  - name: early\n"
                           "    match: {user: early}\n"
                           "    respond: [183, {code: 200, delay: 1s}]\n";

static sd_engine *engine(cap *c)
{
    sd_engine_opts o = {.send = on_send, .user = c, .log = on_log, .log_user = c, .seed = 5};
    return eh_engine_new(yaml, &o);
}

/* Every allocated job is the user data of a live transaction, counted once; none is dead
 * once the events are drained; the configuration's references are the jobs'. */
static void check_jobs(const sd_engine *e)
{
    size_t n = 0, acks = 0;
    for (const job *j = e->jobs; j; j = j->next) {
        assert_true(j->owned);
        assert_false(j->dead);
        assert_ptr_equal(sr_stack_txn_user(e->stack, j->txn), j);
        n++;
        acks += j->wait_ack;
    }
    assert_int_equal(n, e->n_jobs);
    assert_int_equal(acks, e->n_wait_ack);
    assert_null(e->dead);
    assert_int_equal(e->cur->refs, n);
}

static sr_addr peer(sr_transport tp)
{
    return eh_addr("127.0.0.1", 5062, tp, tp == SR_TP_TCP ? 7 : 0);
}

static const char sdp[] = "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
                          "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

/* Send @p method to @p user in call @p call (Call-ID), with top Via branch @p branch, the
 * extra header lines @p extra and, with @p body, an SDP body. */
static void send_req(sd_engine *e, cap *c, sr_transport tp, const char *method, const char *user,
                     const char *call, const char *branch, unsigned cseq, const char *to_tag,
                     const char *extra, bool body)
{
    char br[64], cid[64];
    snprintf(br, sizeof(br), "z9hG4bK%s", branch);
    snprintf(cid, sizeof(cid), "jobs-%s", call);
    char uri[64];
    snprintf(uri, sizeof(uri), "sip:%s@127.0.0.1", user);
    const eh_req r = {.method = method,
                      .uri = uri,
                      .transport = tp == SR_TP_TCP ? "TCP" : "UDP",
                      .branch = br,
                      .no_rport = true,
                      .from_tag = "ft",
                      .to_tag = to_tag,
                      .callid = cid,
                      .cseq = cseq,
                      .cseq_method = method,
                      .extra = extra,
                      .sdp = body ? sdp : NULL};
    char *m = eh_req_text(&r);
    sr_addr a = peer(tp);
    eh_receive(e, m, &a, c->now);
    free(m);
    check_jobs(e);
}

/* A request that opens call @p id (branch @p id). */
static void invite(sd_engine *e, cap *c, sr_transport tp, const char *user, const char *id)
{
    send_req(e, c, tp, "INVITE", user, id, id, 1, NULL, NULL, false);
}

static void advance(sd_engine *e, cap *c, uint64_t to)
{
    while (sd_engine_next_deadline(e) <= to) {
        uint64_t d = sd_engine_next_deadline(e);
        c->now = d > c->now ? d : c->now;
        sd_engine_on_timer(e, c->now);
        check_jobs(e);
    }
    c->now = to;
    sd_engine_on_timer(e, to);
    check_jobs(e);
}

/* Until every transaction has ended: then no job is left either. */
static void settle(sd_engine *e, cap *c)
{
    advance(e, c, c->now + 600000);
    assert_int_equal(sd_engine_transactions(e), 0);
    assert_int_equal(e->n_jobs, 0);
    assert_null(e->jobs);
    assert_int_equal(sd_engine_pending(e), 0);
}

/* A delayed final: the job waits on its transaction and goes with the final, while the
 * transaction (Completed, Timer H) lives on. */
static void test_freed_at_final(void **state)
{
    (void)state;
    cap c = {.now = 1000};
    sd_engine *e = engine(&c);
    invite(e, &c, SR_TP_UDP, "later", "f1");
    assert_int_equal(e->n_jobs, 1);
    assert_int_equal(sd_engine_pending(e), 1);
    advance(e, &c, 2000);
    assert_int_equal(c.last_code, 486);
    assert_int_equal(e->n_jobs, 0);
    assert_int_equal(sd_engine_transactions(e), 1); /* the 486 waits for its ACK */
    settle(e, &c);
    sd_engine_free(e);
}

/* A CANCEL ends the job waiting for it (487), Timer C's stand-in the one nobody cancels. */
static void test_freed_on_cancel_and_timeout(void **state)
{
    (void)state;
    cap c = {.now = 1000};
    sd_engine *e = engine(&c);
    invite(e, &c, SR_TP_UDP, "ring", "c1");
    invite(e, &c, SR_TP_UDP, "ring", "c2");
    assert_int_equal(e->n_jobs, 2);
    send_req(e, &c, SR_TP_UDP, "CANCEL", "ring", "c1", "c1", 1, NULL, NULL, false);
    assert_int_equal(c.last_code, 487);
    assert_string_equal(c.last_note, "cancelled");
    assert_int_equal(e->n_jobs, 1);
    advance(e, &c, 1000 + SD_WAIT_CANCEL_MAX_MS);
    assert_int_equal(c.last_code, 408);
    assert_int_equal(e->n_jobs, 0);
    settle(e, &c);
    sd_engine_free(e);
}

/* A 2xx: the stack resends it (RFC 3261 §13.3.1.4) and the job waits, without its request,
 * for the ACK, which frees it; without an ACK the stack's SR_EV_2XX_TIMEOUT does. */
static void test_2xx_job_freed_by_ack_or_timeout(void **state)
{
    (void)state;
    cap c = {.now = 1000};
    sd_engine *e = engine(&c);
    invite(e, &c, SR_TP_UDP, "ok", "a1");
    assert_int_equal(c.last_code, 200);
    assert_int_equal(e->n_jobs, 1);
    assert_int_equal(e->n_wait_ack, 1);
    assert_null(e->jobs->req);
    assert_int_equal(sd_engine_pending(e), 0);
    char tag[64];
    snprintf(tag, sizeof(tag), "%s", c.last_tag);
    send_req(e, &c, SR_TP_UDP, "ACK", "ok", "a1", "a1ack", 1, tag, NULL, false);
    assert_int_equal(e->n_jobs, 0);
    assert_int_equal(sd_engine_transactions(e), 1); /* Accepted until Timer L */
    /* no ACK: freed when the stack gives up (64*T1), with the resending */
    invite(e, &c, SR_TP_UDP, "oklater", "a2");
    advance(e, &c, c.now + 1000);
    assert_int_equal(c.last_code, 200);
    assert_int_equal(e->n_wait_ack, 1);
    size_t sent = c.n;
    advance(e, &c, c.now + 500);
    assert_int_equal(c.n, sent + 1); /* resent at T1 */
    advance(e, &c, c.now + 64 * 500);
    assert_int_equal(e->n_jobs, 0);
    sent = c.n;
    advance(e, &c, c.now + 60000);
    assert_int_equal(c.n, sent);
    settle(e, &c);
    sd_engine_free(e);
}

/* No PRACK for the reliable 183 with SDP (RFC 3262 §3): the job ends with the 500; with the
 * PRACK the 2xx the stack held goes (logged then), and the job waits for its ACK. */
static void test_prack_timeout_and_held_2xx(void **state)
{
    (void)state;
    cap c = {.now = 1000};
    sd_engine *e = engine(&c);
    static const char req100[] = "Require: 100rel\r\n";
    send_req(e, &c, SR_TP_UDP, "INVITE", "early", "p1", "p1", 1, NULL, req100, true);
    assert_int_equal(c.codes[0], 183);
    assert_int_equal(e->n_jobs, 1);
    advance(e, &c, c.now + 64 * 500 + 1000);
    assert_int_equal(c.last_code, 500);
    assert_string_equal(c.last_note, "no PRACK");
    assert_int_equal(e->n_jobs, 0);
    c.n = 0;
    c.logs = 0;
    send_req(e, &c, SR_TP_UDP, "INVITE", "early", "p2", "p2", 1, NULL, req100, true);
    advance(e, &c, c.now + 2000); /* the 200 is due: held by the stack, not logged */
    assert_int_equal(c.logs, 0);
    assert_int_equal(e->n_jobs, 1);
    assert_int_equal(sd_engine_pending(e), 1);
    char rack[64], tag[64];
    snprintf(rack, sizeof(rack), "RAck: %u 1 INVITE\r\n", c.rseq);
    snprintf(tag, sizeof(tag), "%s", c.last_tag);
    send_req(e, &c, SR_TP_UDP, "PRACK", "early", "p2", "p2pr", 2, tag, rack, false);
    assert_int_equal(c.last_code, 200);
    assert_int_equal(c.logs, 1);
    assert_int_equal(e->n_wait_ack, 1);
    assert_int_equal(sd_engine_pending(e), 0);
    send_req(e, &c, SR_TP_UDP, "ACK", "early", "p2", "p2ack", 1, tag, NULL, false);
    assert_int_equal(e->n_jobs, 0);
    settle(e, &c);
    sd_engine_free(e);
}

/* A transport error ends the transactions of the peer and their jobs with them. */
static void test_freed_on_transport_error(void **state)
{
    (void)state;
    cap c = {.now = 1000};
    sd_engine *e = engine(&c);
    invite(e, &c, SR_TP_TCP, "later", "t1");
    invite(e, &c, SR_TP_TCP, "ring", "t2");
    assert_int_equal(e->n_jobs, 2);
    sr_addr a = peer(SR_TP_TCP);
    sd_engine_transport_error(e, &a, c.now);
    check_jobs(e);
    assert_int_equal(e->n_jobs, 0);
    assert_int_equal(sd_engine_transactions(e), 0);
    assert_int_equal(c.last_code, 0);
    assert_string_equal(c.last_note, "transaction ended");
    settle(e, &c);
    sd_engine_free(e);
}

/* A non-INVITE over TCP ends with its final (RFC 3261 §17.2.2, Timer J 0): the job goes
 * after its transaction, once the events naming it are polled. */
static void test_freed_after_transaction(void **state)
{
    (void)state;
    cap c = {.now = 1000};
    sd_engine *e = engine(&c);
    send_req(e, &c, SR_TP_TCP, "MESSAGE", "later", "m1", "m1", 1, NULL, NULL, false);
    assert_int_equal(e->n_jobs, 1);
    advance(e, &c, c.now + 1000);
    assert_int_equal(c.last_code, 486);
    assert_int_equal(sd_engine_transactions(e), 0);
    assert_int_equal(e->n_jobs, 0);
    settle(e, &c);
    sd_engine_free(e);
}

/* The loop's wake-up: a non-INVITE's Timer J over UDP (RFC 3261 §17.2.2, it only ends the
 * transaction) may wait SD_TIMER_SLACK_MS; fired then, it ends the transaction. */
static void test_wake_deadline_slack(void **state)
{
    (void)state;
    cap c = {.now = 1000};
    sd_engine *e = engine(&c);
    send_req(e, &c, SR_TP_UDP, "MESSAGE", "later", "m1", "m1", 1, NULL, NULL, false);
    assert_int_equal(sd_engine_wake_deadline(e), sd_engine_next_deadline(e)); /* the 486's */
    advance(e, &c, c.now + 1000);
    assert_int_equal(c.last_code, 486);
    assert_int_equal(sd_engine_transactions(e), 1);
    uint64_t d = sd_engine_next_deadline(e);
    assert_int_equal(d, 2000 + 32000); /* Timer J, 64*T1 */
    assert_int_equal(sd_engine_wake_deadline(e), d + SD_TIMER_SLACK_MS);
    c.now = d + SD_TIMER_SLACK_MS;
    sd_engine_on_timer(e, c.now);
    assert_int_equal(sd_engine_transactions(e), 0);
    settle(e, &c);
    sd_engine_free(e);
}

/* Shutting down: every job still running gets its 503 and goes; the 2xx's wait goes too. */
static void test_freed_on_abort(void **state)
{
    (void)state;
    cap c = {.now = 1000};
    sd_engine *e = engine(&c);
    invite(e, &c, SR_TP_UDP, "ring", "x1");
    invite(e, &c, SR_TP_UDP, "later", "x2");
    invite(e, &c, SR_TP_UDP, "ok", "x3");
    assert_int_equal(e->n_jobs, 3);
    assert_int_equal(sd_engine_abort_pending(e, c.now), 2);
    check_jobs(e);
    assert_int_equal(e->n_jobs, 0);
    assert_int_equal(c.last_code, 503);
    settle(e, &c);
    sd_engine_free(e);
}

/* Freed with the engine while waiting (nothing leaks: cmocka's and ASan's checks). */
static void test_freed_with_engine(void **state)
{
    (void)state;
    cap c = {.now = 1000};
    sd_engine *e = engine(&c);
    invite(e, &c, SR_TP_UDP, "ring", "w1");
    invite(e, &c, SR_TP_UDP, "ok", "w2");
    assert_int_equal(e->n_jobs, 2);
    sd_engine_free(e);
}

/* A rule on the Request-URI's user reads it without a second parse of the URI once the
 * request checks passed: the same rule as a full parse finds, for every form of userinfo. */
static void test_rule_user_without_parse(void **state)
{
    (void)state;
    static const char rules[] = "rules:\n"
                                "  - name: u486\n"
                                "    match: {user: \"486\"}\n"
                                "    respond: 486\n"
                                "  - name: re\n"
                                "    match: {user: \"^6([0-9][0-9])$\"}\n"
                                "    respond: 600\n";
    static const char *const uris[] = {
        "sip:486@127.0.0.1",
        "SIP:486@h.example",
        "sips:486@h;transport=tcp",
        "sip:486:secret@h",
        "sip:4861@h",
        "sip:486;x=y@h",
        "sip:h.example",
        "sip:48%36@h",
        "sip:486@h?subject=x",
        "sip:603@h",
        "sips:699:pw@h",
        "tel:486",
        "sip:a?b@h;maddr=x@y",
        "sip:%34%38%36@[::1]:5060",
    };
    sd_config *cf = NULL;
    sd_config_error err;
    assert_int_equal(sd_config_parse(&cf, rules, sizeof(rules) - 1, &err), 0);
    sr_addr a = peer(SR_TP_UDP);
    size_t parsed = 0, checked_n = 0;
    for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
        char m[512];
        int n = snprintf(m, sizeof(m),
                         "OPTIONS %s SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKu\r\n"
                         "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: u\r\n"
                         "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\r\n",
                         uris[i]);
        sr_msg *req = NULL;
        if (sr_msg_parse(&req, m, (size_t)n, NULL, NULL) != 0)
            continue; /* (the stack would not take it either) */
        parsed++;
        sr_uas_verdict v;
        assert_int_equal(sr_uas_check(req, NULL, &v), 0);
        unsigned c1[SD_MAX_CAPTURES] = {0}, c2[SD_MAX_CAPTURES] = {0};
        const sd_rule *full = sd_rule_find(cf, req, &a, c1);
        const sd_rule *checked = sd__rule_find_checked(cf, req, &a, c2);
        if (v.code == 0) {
            checked_n++;
            /* what the checked path is for: the same rule and the same captures */
            if (full != checked)
                fail_msg("%s: %s, not %s", uris[i], checked->name, full->name);
            assert_memory_equal(c1, c2, sizeof(c1));
        }
        sr_msg_free(req);
    }
    assert_true(parsed >= 12);
    assert_true(checked_n >= 10);
    sd_config_free(cf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_freed_at_final),
        cmocka_unit_test(test_freed_on_cancel_and_timeout),
        cmocka_unit_test(test_2xx_job_freed_by_ack_or_timeout),
        cmocka_unit_test(test_prack_timeout_and_held_2xx),
        cmocka_unit_test(test_freed_on_transport_error),
        cmocka_unit_test(test_freed_after_transaction),
        cmocka_unit_test(test_wake_deadline_slack),
        cmocka_unit_test(test_freed_on_abort),
        cmocka_unit_test(test_freed_with_engine),
        cmocka_unit_test(test_rule_user_without_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
