/* sipreply tests: no transaction outlives every way out (RFC 3261 §17.2): a request the TU or
 * the stack cannot answer (a NUL in its Call-ID) ends its transaction; the table drains. */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "sipreply/uas.h"

#include "txn_harness.h"

/* A request whose Call-ID holds a NUL byte ("bad\0cid<n>"); its length in *@p len. */
static char *nul_request(char *out, size_t cap, size_t *len, const char *method, unsigned n,
                         const char *extra, const char *cseq_method)
{
    int k = snprintf(out, cap,
                     "%s sip:bob@example.com SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnul%u\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:alice@example.com>;tag=f%u\r\n"
                     "To: <sip:bob@example.com>\r\n"
                     "Call-ID: bad#cid%u\r\n"
                     "CSeq: 1 %s\r\n"
                     "%s"
                     "Content-Length: 0\r\n\r\n",
                     method, n, n, n, cseq_method ? cseq_method : method, extra ? extra : "");
    assert_true(k > 0 && (size_t)k < cap);
    char *hash = strchr(out, '#');
    *hash = '\0';
    *len = (size_t)k;
    return out;
}

/* The TU of the daemon, in short: check the request (RFC 3261 §8.2), answer the verdict; if no
 * response can be built or sent, give the transaction up (sr_stack_abandon). */
static void tu_answer(sr_stack *s, const sr_event *ev, uint64_t now, unsigned *answered,
                      unsigned *abandoned)
{
    sr_uas_policy pol;
    sr_uas_policy_init(&pol);
    sr_uas_verdict v;
    assert_int_equal(sr_uas_check(ev->msg, &pol, &v), 0);
    assert_int_equal(v.code, 400);
    assert_string_equal(v.reason, "Bad Call-ID header field");
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = tu_allocator();
    sr_msg *r = NULL;
    if (sr_uas_respond(&r, ev->msg, &v, &pol, &o, NULL) == 0) {
        if (sr_stack_send_response(s, ev->txn, r, 0, now) == 0) {
            (*answered)++;
            return;
        }
        sr_msg_free(r);
    }
    assert_int_equal(sr_stack_abandon(s, ev->txn, now), 0);
    (*abandoned)++;
}

/* Issue 7: NUL-Call-ID requests used to leave their transaction in Trying for good (the 400
 * could not be built, nothing ended it), until max_transactions was full and everyone got 503.
 * Now the 400 goes out without the Call-ID it cannot carry, Timer J ends each transaction,
 * the table drains and a good request is served again. The invariant holds at every step. */
static void test_nul_callid_flood_drains(void **state)
{
    (void)state;
    sr_config c;
    sr_config_default(&c);
    c.alloc = tu_allocator();
    c.max_transactions = 100;
    sr_stack *s = NULL;
    assert_int_equal(sr_stack_new(&s, &c), 0);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    unsigned answered = 0, abandoned = 0, sent400 = 0, sent_other = 0;
    char text[1024];
    uint64_t now = 0;
    for (unsigned i = 0; i < 1000; i++, now += 1) {
        size_t len;
        nul_request(text, sizeof(text), &len, "OPTIONS", i, NULL, NULL);
        int rc = sr_stack_receive(s, text, len, &src, now);
        /* beyond max_transactions: the stateless 503 cannot carry the Call-ID either */
        assert_true(rc == 0 || rc == SR_EINVAL);
        sr_event ev;
        while (sr_stack_poll(s, &ev) == 0) {
            if (ev.kind == SR_EV_REQUEST)
                tu_answer(s, &ev, now, &answered, &abandoned);
            else if (ev.kind == SR_EV_SEND && ev.status == 400) {
                sent400++;
                /* the 400 carries what it can (RFC 4475 §3.3.1): no Call-ID, but the Via
                 * and CSeq the client matches it on (RFC 3261 §17.1.3) */
                assert_null(memmem(ev.data, ev.len, "\r\nCall-ID:", 10));
                assert_non_null(memmem(ev.data, ev.len, "CSeq: 1 OPTIONS\r\n", 17));
                assert_non_null(memmem(ev.data, ev.len, ";branch=z9hG4bKnul", 18));
            } else if (ev.kind == SR_EV_SEND)
                sent_other++;
        }
        assert_int_equal(h_stuck(s, NULL, NULL), 0);
    }
    assert_int_equal(answered, 100);
    assert_int_equal(abandoned, 0);
    assert_int_equal(sent400, 100);
    assert_int_equal(sent_other, 0);
    assert_int_equal(sr_stack_txn_count(s), 100);
    /* Timer J (64·T1 over UDP, §17.2.2) ends them all */
    static h_log log;
    h_clear(&log);
    for (uint64_t d; (d = sr_stack_next_deadline(s)) != UINT64_MAX;) {
        assert_int_equal(sr_stack_on_timer(s, d), 0);
        log.n = 0;
        h_drain(s, &log, d);
        assert_int_equal(h_stuck(s, NULL, NULL), 0);
    }
    assert_int_equal(sr_stack_txn_count(s), 0);
    /* and a good request gets a transaction again */
    char good[1024];
    h_req_text(good, sizeof(good), "OPTIONS", "z9hG4bKgood", "UDP", NULL, 1, NULL, NULL, NULL);
    h_clear(&log);
    h_recv(s, good, &src, now + 40000, &log);
    assert_int_equal(h_count(&log, SR_EV_REQUEST), 1);
    assert_int_equal(sr_stack_txn_count(s), 1);
    sr_stack_free(s);
}

/* sr_stack_abandon: the TU gives up without a final; only Trying/Proceeding server ones. */
static void test_abandon(void **state)
{
    (void)state;
    sr_stack *s = h_stack(true);
    static h_log log;
    h_clear(&log);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    char inv[1024];
    h_req_text(inv, sizeof(inv), "INVITE", "z9hG4bKab1", "UDP", NULL, 1, NULL, NULL, NULL);
    h_recv(s, inv, &src, 0, &log);
    const h_rec *rq = h_find(&log, SR_EV_REQUEST, 0);
    assert_non_null(rq);
    sr_txn_id id = rq->txn;
    h_run(s, &log, 300); /* the 100 Trying at 200 ms: then no timer, the TU owes the final */
    assert_int_equal(h_stuck(s, NULL, NULL), 1);
    size_t sends = h_count(&log, SR_EV_SEND);
    assert_int_equal(sr_stack_abandon(s, id, 400), 0);
    h_drain(s, &log, 400);
    assert_int_equal(h_count(&log, SR_EV_SEND), sends); /* nothing sent */
    const h_rec *tm = h_find(&log, SR_EV_TERMINATED, 0);
    assert_non_null(tm);
    assert_int_equal(tm->txn, id);
    assert_int_equal(tm->state, SR_TXN_PROCEEDING);
    assert_int_equal(sr_stack_txn_count(s), 0);
    assert_int_equal(sr_stack_abandon(s, id, 400), SR_ENOTFOUND);
    assert_int_equal(sr_stack_abandon(NULL, id, 400), SR_EINVAL);
    /* answered: its own timers end it */
    char opt[1024];
    h_req_text(opt, sizeof(opt), "OPTIONS", "z9hG4bKab2", "UDP", NULL, 1, NULL, NULL, NULL);
    h_clear(&log);
    h_recv(s, opt, &src, 500, &log);
    sr_txn_id oid = h_find(&log, SR_EV_REQUEST, 0)->txn;
    assert_int_equal(sr_stack_send_response(s, oid, h_build(opt, 200, "t1", NULL), 0, 500), 0);
    assert_int_equal(sr_stack_abandon(s, oid, 500), SR_ESTATE);
    /* a client transaction is not the TU's to abandon */
    sr_txn_id cid = 0;
    assert_int_equal(sr_stack_send_request(s, h_parse(inv), &src, 500, &cid), 0);
    assert_int_equal(sr_stack_abandon(s, cid, 500), SR_ENOTFOUND);
    h_run(s, &log, 100000);
    assert_int_equal(sr_stack_txn_count(s), 0);
    sr_stack_free(s);
}

static bool owed_one(void *user, sr_txn_id id)
{
    return id == *(const sr_txn_id *)user;
}

/* The stack's own answers (482 to a merged request, 481 to a CANCEL or PRACK matching
 * nothing, 420 when 100rel is required but disabled) to a request whose Call-ID no response
 * can carry: the transaction ends at once instead of waiting for a final nobody will send. */
static void test_stack_replies_end_their_txn(void **state)
{
    (void)state;
    for (int prack = 0; prack < 2; prack++) {
        sr_stack *s = h_stack(prack != 0);
        sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
        char a[1024], b[1024];
        size_t la, lb;
        sr_txn_id owed = 0;
        sr_event ev;
        /* a request the TU holds (it owes the final), then the same From tag, Call-ID and
         * CSeq on another branch: merged (§8.2.2.2), 482 */
        nul_request(a, sizeof(a), &la, "OPTIONS", 1, NULL, NULL);
        nul_request(b, sizeof(b), &lb, "OPTIONS", 1, NULL, NULL);
        memcpy(strstr(b, "z9hG4bKnul1"), "z9hG4bKnux", 10);
        assert_int_equal(sr_stack_receive(s, a, la, &src, 0), 0);
        while (sr_stack_poll(s, &ev) == 0)
            if (ev.kind == SR_EV_REQUEST)
                owed = ev.txn;
        assert_true(owed != 0);
        assert_int_equal(sr_stack_receive(s, b, lb, &src, 1), SR_EINVAL);
        while (sr_stack_poll(s, &ev) == 0)
            assert_true(ev.kind == SR_EV_TERMINATED);
        assert_int_equal(h_stuck(s, owed_one, &owed), 0);
        assert_int_equal(sr_stack_txn_count(s), 1);
        /* CANCEL and PRACK matching nothing: 481 */
        nul_request(a, sizeof(a), &la, "CANCEL", 2, NULL, NULL);
        assert_int_equal(sr_stack_receive(s, a, la, &src, 2), SR_EINVAL);
        if (prack) {
            nul_request(a, sizeof(a), &la, "PRACK", 3, "RAck: 1 1 INVITE\r\n", NULL);
            assert_int_equal(sr_stack_receive(s, a, la, &src, 3), SR_EINVAL);
        } else {
            /* 100rel required, PRACK disabled: 420 (RFC 3262 §4) */
            nul_request(a, sizeof(a), &la, "INVITE", 4, "Require: 100rel\r\n", NULL);
            assert_int_equal(sr_stack_receive(s, a, la, &src, 4), SR_EINVAL);
        }
        while (sr_stack_poll(s, &ev) == 0)
            assert_true(ev.kind == SR_EV_TERMINATED);
        assert_int_equal(h_stuck(s, owed_one, &owed), 0);
        assert_int_equal(sr_stack_txn_count(s), 1);
        assert_int_equal(sr_stack_abandon(s, owed, 5), 0);
        assert_int_equal(sr_stack_txn_count(s), 0);
        sr_stack_free(s);
    }
}

/* A request with a @p body_len-byte body (Content-Type text/plain). */
static char *big_request(const char *method, unsigned n, size_t body_len, size_t *len)
{
    size_t cap = body_len + 1024;
    char *out = test_malloc(cap);
    int k = snprintf(out, cap,
                     "%s sip:bob@example.com SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbig%u\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:alice@example.com>;tag=f%u\r\n"
                     "To: <sip:bob@example.com>\r\n"
                     "Call-ID: big%u\r\n"
                     "CSeq: 1 %s\r\n"
                     "Content-Type: text/plain\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     method, n, n, n, method, body_len);
    assert_true(k > 0);
    memset(out + k, 'x', body_len);
    *len = (size_t)k + body_len;
    return out;
}

/* Issue 8: max_memory bounds what live transactions retain, in bytes. A server transaction
 * keeps the request's head, not its 60 KB body; past the budget a new request gets a
 * stateless 503 with Retry-After (RFC 3261 §21.5.4) and is counted; once Timer J has ended
 * the transactions, the memory is back to 0 and new requests are taken again. */
static void test_memory_budget(void **state)
{
    (void)state;
    sr_config c;
    sr_config_default(&c);
    assert_int_equal(c.max_memory, (size_t)64 << 20);
    c.alloc = tu_allocator();
    c.max_memory = 1024 * 1024;
    c.max_transactions = 100000;
    sr_stack *s = NULL;
    assert_int_equal(sr_stack_new(&s, &c), 0);
    assert_int_equal(sr_stack_memory(s), 0);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    unsigned taken = 0, refused = 0;
    uint64_t now = 0;
    for (unsigned i = 0; refused < 3; i++, now++) {
        assert_true(i < 10000);
        size_t len;
        char *req = big_request("OPTIONS", i, 60000, &len);
        size_t before = sr_stack_memory(s);
        int rc = sr_stack_receive(s, req, len, &src, now);
        test_free(req);
        sr_event ev;
        if (rc == SR_ETOOBIG) {
            refused++;
            assert_int_equal(sr_stack_memory(s), before);
            assert_int_equal(sr_stack_poll(s, &ev), 0);
            assert_int_equal(ev.kind, SR_EV_SEND);
            assert_int_equal(ev.status, 503);
            assert_non_null(memmem(ev.data, ev.len, "\r\nRetry-After: 5\r\n", 18));
            assert_int_equal(sr_stack_poll(s, &ev), SR_ENOTFOUND);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(refused, 0); /* refused once full, until transactions end */
        taken++;
        /* what the transaction keeps: well under the 60 KB body */
        if (sr_stack_memory(s) - before >= 8192)
            print_message("txn %u keeps %zu bytes\n", i, sr_stack_memory(s) - before);
        assert_true(sr_stack_memory(s) - before < 8192);
        while (sr_stack_poll(s, &ev) == 0) {
            if (ev.kind != SR_EV_REQUEST)
                continue;
            assert_int_equal(sr_msg_body(ev.msg).len, 60000); /* the TU gets it whole */
            sr_build_opts o;
            sr_build_opts_init(&o);
            o.alloc = tu_allocator();
            sr_msg *r = NULL;
            assert_int_equal(sr_build_response(&r, ev.msg, 200, &o, NULL), 0);
            assert_int_equal(sr_stack_send_response(s, ev.txn, r, 0, now), 0);
        }
        assert_true(sr_stack_memory(s) <= c.max_memory);
        assert_int_equal(h_stuck(s, NULL, NULL), 0);
    }
    assert_true(taken > 100);
    assert_int_equal(sr_stack_refused(s), 3);
    assert_int_equal(sr_stack_txn_count(s), taken);
    /* a client transaction is refused too: it counts its whole message and printed copy (a
     * 60 KB body each), more than any room the refused server transactions left (a small
     * request could still fit in it) */
    size_t clen;
    char *ctext = big_request("OPTIONS", 77777, 60000, &clen);
    ctext[clen] = '\0';
    sr_msg *creq = h_parse(ctext);
    test_free(ctext);
    assert_int_equal(sr_stack_send_request(s, creq, &src, now, NULL), SR_ETOOBIG);
    assert_int_equal(sr_stack_refused(s), 4);
    /* Timer J ends them: every byte comes back */
    static h_log log;
    for (uint64_t d; (d = sr_stack_next_deadline(s)) != UINT64_MAX;) {
        assert_int_equal(sr_stack_on_timer(s, d), 0);
        h_clear(&log);
        h_drain(s, &log, d);
        now = d;
    }
    assert_int_equal(sr_stack_txn_count(s), 0);
    assert_int_equal(sr_stack_memory(s), 0);
    size_t len;
    char *req = big_request("OPTIONS", 99999, 60000, &len);
    assert_int_equal(sr_stack_receive(s, req, len, &src, now), 0);
    test_free(req);
    assert_int_equal(sr_stack_txn_count(s), 1);
    h_clear(&log);
    h_drain(s, &log, now);
    assert_int_equal(sr_stack_abandon(s, h_find(&log, SR_EV_REQUEST, 0)->txn, now), 0);
    assert_int_equal(sr_stack_memory(s), 0);
    /* the client transaction counts its message and printed copy, and gives them back */
    assert_int_equal(sr_stack_send_request(s, creq, &src, now, NULL), 0);
    assert_true(sr_stack_memory(s) > 0);
    h_clear(&log);
    h_run(s, &log, now + 100000);
    assert_int_equal(sr_stack_txn_count(s), 0);
    assert_int_equal(sr_stack_memory(s), 0);
    sr_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_nul_callid_flood_drains),
        TU_TEST(test_abandon),
        TU_TEST(test_stack_replies_end_their_txn),
        TU_TEST(test_memory_budget),
    };
    return cmocka_run_group_tests_name("txn_limits", tests, NULL, NULL);
}
