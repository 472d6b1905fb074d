/* sipreply tests: the proxy's response context in simulated time (proxy.h).
 * RFC 3261 §16.7 (choice, challenges, 503), §16.8 (Timer C), §16.10, §9.1; RFC 3326; RFC 6228. */
#include "proxy_harness.h"

#define WWW   "Digest realm=\"a.example\", nonce=\"n1\""
#define PAUTH "Digest realm=\"b.example\", nonce=\"n2\""

static const ph_rec *last(const ph_log *l)
{
    assert_true(l->n > 0);
    return &l->r[l->n - 1];
}

/* 486 and 404: the same (lowest) class and neither is in step 6's list: the proxy may pick
 * either; we pick the first received. Nothing goes up before both are final. */
static void t_486_404(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request(NULL, NULL), 2, 0, 0);
    assert_int_equal(sr_proxy_branch_final(h.p, 0), 0);
    assert_int_equal(ph_resp(&h, 0, 486, "a", NULL, NULL, 10), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 0);
    assert_false(sr_proxy_final_sent(h.p));
    assert_int_equal(sr_proxy_branch_final(h.p, 0), 486); /* serial forking reads it */
    assert_int_equal(sr_proxy_branch_final(h.p, 1), 0);
    assert_int_equal(sr_proxy_branch_final(h.p, 2), 0); /* no such branch */
    assert_int_equal(sr_proxy_branch_final(NULL, 0), 0);
    assert_int_equal(ph_resp(&h, 1, 404, "b", NULL, NULL, 20), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.r[0].kind, SR_PROXY_ACT_FORWARD);
    assert_true(l.r[0].final);
    assert_int_equal(l.r[0].status, 486);
    assert_int_equal(l.r[0].branch, 0);
    assert_int_equal(l.r[0].vias, 2); /* our Via removed (§16.7 step 3) */
    assert_string_equal(l.r[0].to_tag, "a");
    assert_true(sr_proxy_is_done(h.p));
    ph_end(&h);
}

/* A lower class wins: 3xx over 4xx over 5xx (§16.7 step 6). */
static void t_lowest_class(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request(NULL, NULL), 3, 0, 0);
    assert_int_equal(ph_resp(&h, 0, 500, "a", NULL, NULL, 1), 0);
    assert_int_equal(ph_resp(&h, 1, 480, "b", NULL, NULL, 2), 0);
    assert_int_equal(ph_resp(&h, 2, 302, "c", NULL, NULL, 3), 0);
    ph_one(&h, &l, 302);
    assert_int_equal(l.r[0].contacts, 1);
    ph_end(&h);
}

/* 404 then 407: among 4xx, 401/407/415/420/484 tell the caller how to retry (step 6). */
static void t_prefer_407(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request(NULL, NULL), 3, 0, 0);
    assert_int_equal(ph_resp(&h, 0, 404, "a", NULL, NULL, 1), 0);
    assert_int_equal(ph_resp(&h, 1, 484, "b", NULL, NULL, 2), 0);
    assert_int_equal(ph_resp(&h, 2, 407, "c", "Proxy-Authenticate", PAUTH, 3), 0);
    ph_one(&h, &l, 407);
    ph_end(&h);
}

/* 503 + 503: a 503 goes up as a 500 (step 6), keeping its To tag. */
static void t_503_503(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request(NULL, NULL), 2, 0, 0);
    assert_int_equal(ph_resp(&h, 0, 503, "a", NULL, NULL, 1), 0);
    assert_int_equal(ph_resp(&h, 1, 503, "b", NULL, NULL, 2), 0);
    ph_one(&h, &l, 500);
    assert_string_equal(l.r[0].phrase, "Server Internal Error");
    assert_string_equal(l.r[0].to_tag, "a");
    ph_end(&h);

    /* A real 500 beats a 503; SR_PROXY_KEEP_503 lets a 503 through. */
    memset(&l, 0, sizeof l);
    ph_start(&h, ph_request(NULL, NULL), 2, 0, 0);
    assert_int_equal(ph_resp(&h, 0, 503, "a", NULL, NULL, 1), 0);
    assert_int_equal(ph_resp(&h, 1, 502, "b", NULL, NULL, 2), 0);
    ph_drain(&h, &l);
    assert_int_equal(last(&l)->status, 502);
    ph_end(&h);
    memset(&l, 0, sizeof l);
    ph_start(&h, ph_request(NULL, NULL), 1, SR_PROXY_KEEP_503, 0);
    assert_int_equal(ph_resp(&h, 0, 503, "a", NULL, NULL, 1), 0);
    ph_drain(&h, &l);
    assert_int_equal(last(&l)->status, 503);
    ph_end(&h);
}

/* 401 + 407: one goes up carrying both challenges (step 7). */
static void t_401_407_merged(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request(NULL, NULL), 3, 0, 0);
    assert_int_equal(ph_resp(&h, 0, 401, "a", "WWW-Authenticate", WWW, 1), 0);
    assert_int_equal(ph_resp(&h, 1, 404, "b", NULL, NULL, 2), 0);
    assert_int_equal(ph_resp(&h, 2, 407, "c", "Proxy-Authenticate", PAUTH, 3), 0);
    ph_one(&h, &l, 401);
    assert_int_equal(l.r[0].www, 1);
    assert_int_equal(l.r[0].pauth, 1);
    assert_int_equal(l.r[0].vias, 2);
    ph_end(&h);
}

/* 600 cancels the others and waits; a 200 racing in still goes up at once, alone. */
static void t_600_then_late_200(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request(NULL, NULL), 2, 0, 0);
    assert_int_equal(ph_resp(&h, 1, 180, "b", NULL, NULL, 1), 0);
    assert_int_equal(ph_resp(&h, 0, 600, "a", NULL, NULL, 2), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.r[0].status, 180);
    assert_int_equal(l.r[1].kind, SR_PROXY_ACT_CANCEL);
    assert_int_equal(l.r[1].branch, 1);
    assert_string_equal(l.r[1].reason, ""); /* a 6xx gives no "completed elsewhere" */
    assert_string_equal(l.r[1].ruri, "sip:t1@example.com");
    assert_int_equal(l.r[1].vias, 1);
    /* §16.7 step 5: no new branch after a 6xx. */
    assert_int_equal(sr_proxy_branch_add(h.p, h.fwd[0], 3, NULL), SR_ESTATE);
    assert_int_equal(ph_resp(&h, 1, 200, "b", NULL, NULL, 4), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.r[2].status, 200);
    assert_true(l.r[2].final);
    assert_int_equal(ph_resp(&h, 1, 487, "b", NULL, NULL, 5), 0);
    ph_drain(&h, &l);
    size_t bad;
    assert_int_equal(ph_finals(&l, &bad), 1);
    assert_int_equal(bad, 0);
    ph_end(&h);

    /* Without the race: the 6xx goes up over the 487 of the cancelled branch. */
    memset(&l, 0, sizeof l);
    ph_start(&h, ph_request(NULL, NULL), 2, 0, 0);
    assert_int_equal(ph_resp(&h, 1, 100, NULL, NULL, NULL, 1), 0);
    assert_int_equal(ph_resp(&h, 0, 603, "a", NULL, NULL, 2), 0);
    assert_int_equal(ph_resp(&h, 1, 487, "b", NULL, NULL, 3), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.r[0].kind, SR_PROXY_ACT_CANCEL);
    assert_int_equal(l.r[1].status, 603);
    ph_end(&h);
}

/* 180 then 486 on another branch then 200: the 180 and the 200 go up, the 486 is absorbed;
 * the third branch (Proceeding) is cancelled with RFC 3326's Reason. */
static void t_180_486_200(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request(NULL, NULL), 3, 0, 0);
    assert_int_equal(ph_resp(&h, 0, 180, "a", NULL, NULL, 1), 0);
    assert_int_equal(ph_resp(&h, 2, 100, NULL, NULL, NULL, 1), 0);
    assert_int_equal(ph_resp(&h, 1, 486, "b", NULL, NULL, 2), 0);
    assert_int_equal(ph_resp(&h, 0, 200, "a", NULL, NULL, 3), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.r[0].status, 180);
    assert_false(l.r[0].final);
    assert_int_equal(l.r[1].status, 200);
    assert_true(l.r[1].final);
    assert_int_equal(l.r[2].kind, SR_PROXY_ACT_CANCEL);
    assert_int_equal(l.r[2].branch, 2);
    assert_string_equal(l.r[2].reason, SR_PROXY_REASON_ELSEWHERE);
    /* The CANCEL has the branch of the INVITE it cancels (§9.1). */
    char want[SR_PROXY_BRANCH_MAX];
    sr_str b2 = sr_msg_via(h.fwd[2], 0)->branch;
    memcpy(want, b2.p, b2.len);
    want[b2.len] = '\0';
    assert_string_equal(l.r[2].branch_id, want);
    /* Its 487 is absorbed; a second 2xx (another UAS, or a retransmission) goes up too. */
    assert_int_equal(ph_resp(&h, 2, 487, "c", NULL, NULL, 4), 0);
    assert_int_equal(ph_resp(&h, 0, 200, "a", NULL, NULL, 5), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 4);
    assert_int_equal(l.r[3].status, 200);
    size_t bad;
    assert_int_equal(ph_finals(&l, &bad), 2);
    assert_int_equal(bad, 0);
    assert_true(sr_proxy_is_done(h.p));
    ph_end(&h);
}

/* A branch that has had nothing but a 100 when a 2xx comes: cancelled. One with nothing at all:
 * the CANCEL waits for its first provisional (§9.1), and is never sent if a final comes. */
static void t_cancel_waits_for_provisional(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request(NULL, NULL), 3, 0, 0);
    assert_int_equal(ph_resp(&h, 0, 200, "a", NULL, NULL, 1), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 1);
    assert_int_equal(ph_resp(&h, 1, 183, "b", NULL, NULL, 2), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 2); /* not forwarded (final sent), but the CANCEL goes */
    assert_int_equal(l.r[1].kind, SR_PROXY_ACT_CANCEL);
    assert_int_equal(l.r[1].branch, 1);
    assert_int_equal(ph_resp(&h, 2, 486, "c", NULL, NULL, 3), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 2);
    ph_end(&h);
}

/* Timer C: reset by 101–199 (not 100); when it fires on a branch with a provisional, a CANCEL;
 * 64·T1 later without a final, that branch counts as 408 (§16.8, §9.1). */
static void t_timer_c_cancel(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request(NULL, NULL), 1, 0, 0);
    assert_int_equal(sr_proxy_next_deadline(h.p), 181000);
    assert_int_equal(ph_resp(&h, 0, 100, NULL, NULL, NULL, 50000), 0);
    assert_int_equal(sr_proxy_next_deadline(h.p), 181000);
    assert_int_equal(ph_resp(&h, 0, 180, "a", NULL, NULL, 100000), 0);
    assert_int_equal(sr_proxy_next_deadline(h.p), 281000);
    assert_int_equal(sr_proxy_on_timer(h.p, 280999), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 1); /* the 180 */
    assert_int_equal(sr_proxy_on_timer(h.p, 281000), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.r[1].kind, SR_PROXY_ACT_CANCEL);
    assert_int_equal(sr_proxy_next_deadline(h.p), 313000);
    assert_int_equal(sr_proxy_on_timer(h.p, 313000), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.r[2].status, 408);
    assert_true(l.r[2].final);
    assert_int_equal(l.r[2].vias, 2);
    assert_int_equal(sr_proxy_next_deadline(h.p), UINT64_MAX);
    /* The 487 arriving after: absorbed. */
    assert_int_equal(ph_resp(&h, 0, 487, "a", NULL, NULL, 313001), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 3);
    ph_end(&h);
}

/* Timer C on an INVITE branch without a provisional: a 408 at once, no CANCEL (§16.8); a
 * received response of the class ranks above it. */
static void t_timer_c_silent(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request(NULL, NULL), 2, 0, 0);
    assert_int_equal(ph_resp(&h, 1, 404, "b", NULL, NULL, 10), 0);
    assert_int_equal(sr_proxy_on_timer(h.p, sr_proxy_next_deadline(h.p)), 0);
    ph_one(&h, &l, 404);
    ph_end(&h);

    memset(&l, 0, sizeof l);
    ph_start(&h, ph_request(NULL, NULL), 1, 0, 0);
    assert_int_equal(sr_proxy_on_timer(h.p, 181000), 0);
    assert_int_equal(sr_proxy_branch_final(h.p, 0), 408); /* made up here */
    ph_one(&h, &l, 408);
    assert_int_equal(l.r[0].branch, 0);
    ph_end(&h);
}

/* Timer B (a client transaction timeout) and transport errors (§16.9). */
static void t_timeout_and_transport(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request(NULL, NULL), 2, 0, 0);
    assert_int_equal(sr_proxy_on_timeout(h.p, 0, 32000), 0);
    assert_int_equal(sr_proxy_on_transport_error(h.p, 1, 32001), 0);
    ph_one(&h, &l, 408); /* lowest class: 4xx */
    ph_end(&h);

    memset(&l, 0, sizeof l);
    ph_start(&h, ph_request(NULL, NULL), 1, 0, 0);
    assert_int_equal(sr_proxy_on_transport_error(h.p, 0, 1), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.r[0].status, 500);
    assert_int_equal(sr_proxy_on_timeout(h.p, 5, 1), SR_EINVAL);
    ph_end(&h);
}

/* RFC 6228: early dialogs ended by a final that is not forwarded on them get a 199, only when
 * the caller supports it. */
static void t_199(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request(NULL, "Supported: 199\r\n"), 2, 0, 0);
    assert_int_equal(ph_resp(&h, 0, 180, "a", NULL, NULL, 1), 0);
    assert_int_equal(ph_resp(&h, 1, 180, "b", NULL, NULL, 2), 0);
    assert_int_equal(ph_resp(&h, 0, 486, "a", NULL, NULL, 3), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.r[2].status, 199);
    assert_false(l.r[2].final);
    assert_string_equal(l.r[2].to_tag, "a");
    assert_string_equal(l.r[2].reason, "SIP;cause=486");
    assert_int_equal(l.r[2].vias, 2);
    /* The last branch's 486 is the one sent? No: the first 486 (branch 0) is chosen, so
     * branch 1's early dialog gets its 199 before the final. */
    assert_int_equal(ph_resp(&h, 1, 486, "b", NULL, NULL, 4), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 5);
    assert_int_equal(l.r[3].status, 199);
    assert_string_equal(l.r[3].to_tag, "b");
    assert_int_equal(l.r[4].status, 486);
    assert_string_equal(l.r[4].to_tag, "a");
    ph_end(&h);

    /* The final goes up on the dialog it ends: no 199 for that one. No Supported: none. */
    memset(&l, 0, sizeof l);
    ph_start(&h, ph_request(NULL, "Supported: 199\r\n"), 1, 0, 0);
    assert_int_equal(ph_resp(&h, 0, 183, "a", NULL, NULL, 1), 0);
    assert_int_equal(ph_resp(&h, 0, 480, "a", NULL, NULL, 2), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.r[1].status, 480);
    ph_end(&h);
    memset(&l, 0, sizeof l);
    ph_start(&h, ph_request(NULL, NULL), 2, 0, 0);
    assert_int_equal(ph_resp(&h, 0, 180, "a", NULL, NULL, 1), 0);
    assert_int_equal(ph_resp(&h, 0, 486, "a", NULL, NULL, 2), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 1);
    ph_end(&h);
}

/* A non-INVITE: exactly one final, the first 2xx; no CANCEL (§9.1), no Timer C. */
static void t_non_invite(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request("OPTIONS", NULL), 2, 0, 0);
    assert_int_equal(sr_proxy_next_deadline(h.p), UINT64_MAX);
    assert_int_equal(ph_resp(&h, 1, 200, "b", NULL, NULL, 1), 0);
    assert_int_equal(ph_resp(&h, 0, 200, "a", NULL, NULL, 2), 0);
    ph_one(&h, &l, 200);
    assert_int_equal(l.r[0].branch, 1);
    assert_true(sr_proxy_is_done(h.p));
    ph_end(&h);
}

/* A CANCEL from upstream cancels every branch without a final (§16.10); the 487s choose. */
static void t_upstream_cancel(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request(NULL, NULL), 2, 0, 0);
    assert_int_equal(ph_resp(&h, 0, 180, "a", NULL, NULL, 1), 0);
    assert_int_equal(sr_proxy_cancel(h.p, SR_STR("SIP;cause=487"), 2), 0);
    assert_int_equal(sr_proxy_branch_add(h.p, h.fwd[0], 3, NULL), SR_ESTATE);
    assert_int_equal(ph_resp(&h, 1, 100, NULL, NULL, NULL, 4), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.r[1].kind, SR_PROXY_ACT_CANCEL);
    assert_int_equal(l.r[1].branch, 0);
    assert_string_equal(l.r[1].reason, "SIP;cause=487");
    assert_int_equal(l.r[2].kind, SR_PROXY_ACT_CANCEL);
    assert_int_equal(l.r[2].branch, 1);
    assert_int_equal(ph_resp(&h, 0, 487, "a", NULL, NULL, 5), 0);
    assert_int_equal(ph_resp(&h, 1, 487, "b", NULL, NULL, 6), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 4);
    assert_int_equal(l.r[3].status, 487);
    ph_end(&h);
}

/* The branch keeps only what its CANCEL (§9.1) and ACK (§17.1.1.3) need of the request it
 * forwarded: what it builds from that is byte for byte what sr_proxy_build_cancel() and
 * sr_build_ack() build from the forwarded request itself (Routes on two lines, a folded
 * From, the CSeq, the branch). */
static void printed(const sr_msg *m, sr_buf *b)
{
    sr_buf_init(b, tu_allocator());
    assert_int_equal(sr_msg_print(m, b), 0);
}

static void t_kept_cancel_ack(void **state)
{
    (void)state;
    static const char *txt = "INVITE sip:bob@example.com SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP pc33.example.net:5062;branch=z9hG4bKkept1\r\n"
                             "Max-Forwards: 70\r\n"
                             "Route: <sip:r1.example.net;lr>\r\n"
                             "Route: <sip:r2.example.net;lr>, <sip:r3.example.net;lr>\r\n"
                             "To: Bob <sip:bob@example.com>\r\n"
                             "From: Alice <sip:alice@example.net>\r\n ;tag=17\r\n"
                             "Call-ID: kept@pc33.example.net\r\n"
                             "CSeq: 27 INVITE\r\n"
                             "Content-Length: 0\r\n\r\n";
    sr_msg *req = ph_parse(txt), *fwd = ph_parse(txt); /* a request given as it came */
    sr_proxy *p = NULL;
    sr_proxy_config c;
    sr_proxy_config_default(&c);
    c.alloc = tu_allocator();
    assert_int_equal(sr_proxy_new(&p, req, &c), 0);
    unsigned i = 9;
    assert_int_equal(sr_proxy_branch_add(p, fwd, 0, &i), 0);
    sr_msg *r180 = ph_resp_on(fwd, 180, "k", NULL, NULL),
           *r487 = ph_resp_on(fwd, 487, "k", NULL, NULL);
    unsigned found = 9;
    assert_int_equal(sr_proxy_branch_find(p, r487, &found), 0);
    assert_int_equal(found, 0);
    assert_int_equal(sr_proxy_on_response(p, 0, r180, 1), 0);
    assert_int_equal(sr_proxy_cancel(p, SR_STR("SIP;cause=487"), 2), 0);
    sr_proxy_action a;
    sr_msg *cancel = NULL;
    while (sr_proxy_poll(p, &a) == 0) {
        if (a.kind == SR_PROXY_ACT_CANCEL)
            assert_int_equal(sr_proxy_action_take_msg(p, &cancel), 0);
    }
    assert_non_null(cancel);
    sr_msg *want = NULL, *ack = NULL, *want_ack = NULL;
    assert_int_equal(sr_proxy_build_cancel(&want, fwd, SR_STR("SIP;cause=487"), tu_allocator()), 0);
    sr_buf x, y;
    printed(cancel, &x);
    printed(want, &y);
    assert_string_equal(x.p, y.p);
    assert_non_null(strstr(x.p, "Route: <sip:r2.example.net;lr>, <sip:r3.example.net;lr>\r\n"));
    assert_non_null(strstr(x.p, "From: Alice <sip:alice@example.net> ;tag=17\r\n"));
    sr_buf_cleanup(&x);
    sr_buf_cleanup(&y);
    assert_int_equal(sr_proxy_branch_ack(&ack, p, 0, r487), 0);
    assert_int_equal(sr_build_ack(&want_ack, fwd, r487, tu_allocator()), 0);
    printed(ack, &x);
    printed(want_ack, &y);
    assert_string_equal(x.p, y.p);
    assert_non_null(strstr(x.p, "CSeq: 27 ACK\r\n"));
    sr_buf_cleanup(&x);
    sr_buf_cleanup(&y);
    sr_msg_free(ack);
    sr_msg_free(want_ack);
    sr_msg_free(cancel);
    sr_msg_free(want);
    sr_msg_free(r180);
    sr_msg_free(r487);
    sr_proxy_free(p);
    sr_msg_free(fwd);
    sr_msg_free(req);
}

/* SR_PROXY_RECURSE: a 3xx's sip Contacts become targets (highest q first) and leave the
 * response; the rest stays in it (§16.7 step 4). */
static void t_recurse(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request(NULL, NULL), 1, SR_PROXY_RECURSE, 0);
    assert_int_equal(ph_resp(&h, 0, 302, "a", "Contact",
                             "<sip:c1@example.com>;q=0.5, <sip:c2@example.com>;q=0.9, "
                             "<mailto:bob@example.com>",
                             1),
                     0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.r[0].kind, SR_PROXY_ACT_RECURSE);
    assert_int_equal(l.r[0].n_targets, 2);
    assert_string_equal(l.r[0].targets[0], "sip:c2@example.com");
    assert_string_equal(l.r[0].targets[1], "sip:c1@example.com");
    /* Held: the embedder adds a branch for c2, then releases. */
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    sr_msg *f = NULL;
    assert_int_equal(sr_proxy_forward(&f, h.req, SR_STR("sip:c2@example.com"), NULL, 1, &o), 0);
    h.fwd[h.n++] = f;
    assert_int_equal(sr_proxy_branch_add(h.p, f, 2, NULL), 0);
    assert_int_equal(sr_proxy_hold(h.p, false, 2), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 1);
    assert_int_equal(ph_resp(&h, 1, 486, "b", NULL, NULL, 3), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 2);
    /* 3xx is the lowest class; it goes up with only the Contact not recursed on. */
    assert_int_equal(l.r[1].status, 302);
    assert_int_equal(l.r[1].contacts, 1);
    ph_end(&h);

    /* Every Contact recursed on: the 3xx is no candidate; the new branch's answer goes up. */
    memset(&l, 0, sizeof l);
    ph_start(&h, ph_request(NULL, NULL), 1, SR_PROXY_RECURSE, 0);
    assert_int_equal(ph_resp(&h, 0, 302, "a", "Contact", "<sip:c1@example.com>", 1), 0);
    f = NULL;
    assert_int_equal(sr_proxy_forward(&f, h.req, SR_STR("sip:c1@example.com"), NULL, 1, &o), 0);
    h.fwd[h.n++] = f;
    assert_int_equal(sr_proxy_branch_add(h.p, f, 2, NULL), 0);
    assert_int_equal(sr_proxy_hold(h.p, false, 2), 0);
    assert_int_equal(ph_resp(&h, 1, 486, "b", NULL, NULL, 3), 0);
    ph_drain(&h, &l);
    assert_int_equal(last(&l)->status, 486);
    ph_end(&h);

    /* Recursed on, then a 3xx whose Contacts the embedder does not follow (a bound): the
     * last 3xx goes up whole, with its Contact. */
    memset(&l, 0, sizeof l);
    ph_start(&h, ph_request(NULL, NULL), 1, SR_PROXY_RECURSE, 0);
    assert_int_equal(ph_resp(&h, 0, 302, "a", "Contact", "<sip:c1@example.com>", 1), 0);
    f = NULL;
    assert_int_equal(sr_proxy_forward(&f, h.req, SR_STR("sip:c1@example.com"), NULL, 1, &o), 0);
    h.fwd[h.n++] = f;
    assert_int_equal(sr_proxy_branch_add(h.p, f, 2, NULL), 0);
    assert_int_equal(sr_proxy_hold(h.p, false, 2), 0);
    assert_int_equal(ph_resp(&h, 1, 301, "b", "Contact", "<sip:c2@example.com>", 3), 0);
    assert_int_equal(sr_proxy_hold(h.p, false, 4), 0);
    ph_drain(&h, &l);
    assert_int_equal(last(&l)->status, 301);
    assert_int_equal(last(&l)->contacts, 1);
    ph_end(&h);

    /* The embedder follows none of a 302's Contacts (sr_proxy_recurse_none): the 302 is a
     * final like any other and, the lowest class, beats the other branch's 486 (§16.7 step
     * 6), its Contact kept. */
    memset(&l, 0, sizeof l);
    ph_start(&h, ph_request(NULL, NULL), 2, SR_PROXY_RECURSE, 0);
    assert_int_equal(ph_resp(&h, 0, 302, "a", "Contact", "<sip:c1@example.com>", 1), 0);
    assert_int_equal(ph_resp(&h, 1, 486, "b", NULL, NULL, 2), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.r[0].kind, SR_PROXY_ACT_RECURSE);
    assert_int_equal(sr_proxy_recurse_none(h.p, 0), 0);
    assert_int_equal(sr_proxy_recurse_none(h.p, 7), SR_EINVAL);
    assert_int_equal(sr_proxy_recurse_none(NULL, 0), SR_EINVAL);
    assert_int_equal(sr_proxy_hold(h.p, false, 3), 0);
    ph_drain(&h, &l);
    assert_int_equal(last(&l)->status, 302);
    assert_int_equal(last(&l)->contacts, 1);
    ph_end(&h);
}

/* Nothing but made-up finals and none at all both give a 408 built from the request. */
static void t_hold(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request(NULL, NULL), 1, 0, 0);
    assert_int_equal(sr_proxy_hold(h.p, true, 0), 0);
    assert_int_equal(ph_resp(&h, 0, 486, "a", NULL, NULL, 1), 0);
    ph_drain(&h, &l);
    assert_int_equal(l.n, 0);
    assert_int_equal(sr_proxy_hold(h.p, false, 2), 0);
    ph_one(&h, &l, 486);
    ph_end(&h);
}

/* The take/ownership contract and argument checks. */
static void t_api(void **state)
{
    (void)state;
    ph h;
    ph_start(&h, ph_request(NULL, NULL), 1, 0, 0);
    sr_proxy_action a;
    sr_msg *m = NULL;
    assert_int_equal(sr_proxy_poll(h.p, &a), SR_ENOTFOUND);
    assert_int_equal(sr_proxy_action_take_msg(h.p, &m), SR_ENOTFOUND);
    assert_int_equal(ph_resp(&h, 0, 180, "a", NULL, NULL, 1), 0);
    assert_int_equal(sr_proxy_poll(h.p, &a), 0);
    assert_int_equal(sr_proxy_action_take_msg(h.p, &m), 0);
    assert_ptr_equal(m, a.msg);
    assert_int_equal(sr_proxy_action_take_msg(h.p, &m), SR_ENOTFOUND);
    sr_msg_free(m);
    sr_msg *ack = NULL;
    sr_msg *r486 = ph_resp_on(h.fwd[0], 486, "a", NULL, NULL);
    assert_int_equal(sr_proxy_branch_ack(&ack, h.p, 0, r486), 0);
    assert_int_equal(sr_msg_via_count(ack), 1);
    assert_true(sr_str_eq(sr_msg_via(ack, 0)->branch, sr_msg_via(h.fwd[0], 0)->branch));
    assert_true(sr_str_eq(sr_msg_to(ack)->tag, SR_STR("a")));
    sr_msg_free(ack);
    sr_msg_free(r486);
    sr_proxy_config c;
    sr_proxy_config_default(&c);
    c.timer_c = 180000; /* §16.6 step 11: greater than 3 minutes */
    sr_proxy *p = NULL;
    assert_int_equal(sr_proxy_new(&p, h.req, &c), SR_EINVAL);
    sr_msg *ackreq = ph_request("ACK", NULL);
    assert_int_equal(sr_proxy_new(&p, ackreq, NULL), SR_EINVAL);
    sr_msg_free(ackreq);
    ph_end(&h);
}

/* SR_PROXY_REQ_LENT: the context reads the caller's request instead of a copy of it; what it
 * builds from that request (a 199, RFC 6228 §7; a made-up 408 at Timer C, §16.8) is the same,
 * and sr_proxy_free() leaves the request to its owner (ph_end frees it after the context). */
static void t_req_lent(void **state)
{
    (void)state;
    ph h;
    ph_log l = {0};
    ph_start(&h, ph_request(NULL, "Supported: 199\r\n"), 2, SR_PROXY_REQ_LENT, 0);
    assert_int_equal(ph_resp(&h, 0, 180, "a", NULL, NULL, 1), 0);
    assert_int_equal(ph_resp(&h, 0, 486, "a", NULL, NULL, 2), 0); /* 199 for "a" */
    assert_int_equal(ph_resp(&h, 1, 404, "b", NULL, NULL, 3), 0); /* the 486 goes up */
    sr_proxy_action a;
    unsigned seen = 0;
    while (sr_proxy_poll(h.p, &a) == 0) {
        if (a.kind != SR_PROXY_ACT_FORWARD || a.status != 199)
            continue;
        seen++;
        assert_true(sr_str_eq(sr_msg_call_id(a.msg), sr_msg_call_id(h.req)));
        assert_true(sr_str_eq(sr_msg_from(a.msg)->tag, sr_msg_from(h.req)->tag));
        assert_true(sr_str_eq(sr_msg_to(a.msg)->tag, SR_STR("a")));
    }
    assert_int_equal(seen, 1);
    assert_true(sr_proxy_is_done(h.p));
    ph_end(&h);

    memset(&l, 0, sizeof l);
    ph_start(&h, ph_request(NULL, NULL), 1, SR_PROXY_REQ_LENT, 0);
    assert_int_equal(sr_proxy_on_timer(h.p, 181000), 0);
    const ph_rec *r = ph_one(&h, &l, 408); /* made up from the lent request */
    assert_int_equal(r->vias, 2);
    ph_end(&h);
}

/* Allocation failures anywhere leave nothing leaked and never two non-2xx finals. */
static void t_failures(void **state)
{
    (void)state;
    tu_alloc *ta = tu_alloc_state();
    for (long k = 2; k < 800; k++) { /* each failure point with the request copied, then lent */
        long fail = k / 2;
        sr_msg *req = ph_request(NULL, "Supported: 199\r\n");
        ta->fail_at = ta->total + fail;
        sr_proxy *p = NULL;
        sr_proxy_config c;
        sr_proxy_config_default(&c);
        c.alloc = tu_allocator();
        c.flags = k % 2 ? SR_PROXY_REQ_LENT : 0;
        sr_proxy_fwd_opts o;
        ph_opts(&o);
        sr_msg *f[3] = {0};
        size_t finals = 0;
        if (sr_proxy_new(&p, req, &c) == 0) {
            for (unsigned i = 0; i < 3; i++) {
                if (sr_proxy_forward(&f[i], req, SR_STR("sip:x@example.com"), NULL, i, &o) == 0)
                    (void)sr_proxy_branch_add(p, f[i], 0, NULL); /* may fail: tested below */
            }
            unsigned codes[] = {180, 401, 407, 183, 503};
            for (unsigned i = 0; i < 5; i++) {
                unsigned b = i % 3;
                if (!f[b] || b >= sr_proxy_branch_count(p))
                    continue;
                ta->fail_at = 0;
                sr_msg *r = ph_resp_on(f[b], codes[i], i < 3 ? "x" : "y",
                                       codes[i] == 401   ? "WWW-Authenticate"
                                       : codes[i] == 407 ? "Proxy-Authenticate"
                                                         : NULL,
                                       codes[i] == 401 ? WWW : PAUTH);
                ta->fail_at = ta->total + fail / 4 + 1;
                (void)sr_proxy_on_response(p, b, r, i); /* SR_ENOMEM is allowed here */
                sr_msg_free(r);
            }
            (void)sr_proxy_on_timer(p, 1000000); /* likewise */
            (void)sr_proxy_on_timer(p, 2000000);
            sr_proxy_action a;
            while (sr_proxy_poll(p, &a) == 0) {
                if (a.kind == SR_PROXY_ACT_FORWARD && a.final && a.status >= 300)
                    finals++;
            }
            assert_true(finals <= 1);
        }
        ta->fail_at = 0;
        sr_proxy_free(p);
        for (unsigned i = 0; i < 3; i++)
            sr_msg_free(f[i]);
        sr_msg_free(req);
        assert_int_equal(ta->live, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(t_486_404),
        TU_TEST(t_lowest_class),
        TU_TEST(t_prefer_407),
        TU_TEST(t_503_503),
        TU_TEST(t_401_407_merged),
        TU_TEST(t_600_then_late_200),
        TU_TEST(t_180_486_200),
        TU_TEST(t_cancel_waits_for_provisional),
        TU_TEST(t_timer_c_cancel),
        TU_TEST(t_timer_c_silent),
        TU_TEST(t_timeout_and_transport),
        TU_TEST(t_199),
        TU_TEST(t_non_invite),
        TU_TEST(t_upstream_cancel),
        TU_TEST(t_kept_cancel_ack),
        TU_TEST(t_recurse),
        TU_TEST(t_hold),
        TU_TEST(t_api),
        TU_TEST(t_req_lent),
        TU_TEST(t_failures),
    };
    return cmocka_run_group_tests_name("proxy", tests, NULL, NULL);
}
