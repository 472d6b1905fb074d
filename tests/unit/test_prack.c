/* sipreply tests: reliable provisional responses (RFC 3262) — UAS retransmission, RSeq,
 * held 2xx, 200/481 to PRACK, 420, give-up; UAC PRACK ordering, retransmissions, forks. */
#include <stdlib.h>

#include "txn_harness.h"

#define BR  "z9hG4bKprack1"
#define SDP "v=0\r\no=- 1 1 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\n"

static char g_inv[2048];

static sr_txn_id recv_invite(sr_stack *s, const char *extra, h_log *log)
{
    h_req_text(g_inv, sizeof(g_inv), "INVITE", BR, "UDP", NULL, 1, NULL, extra, NULL);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    h_recv(s, g_inv, &src, 0, log);
    const h_rec *r = h_find(log, SR_EV_REQUEST, 0);
    assert_non_null(r);
    return r->txn;
}

static int send_rel(sr_stack *s, sr_txn_id id, unsigned code, const char *body, uint64_t at,
                    h_log *log)
{
    sr_msg *r = h_build(g_inv, code, "t1", body);
    int rc = sr_stack_send_response(s, id, r, SR_SEND_100REL, at);
    if (rc != 0)
        sr_msg_free(r);
    h_drain(s, log, at);
    return rc;
}

/* The RSeq of the last reliable 1xx sent. */
static unsigned long last_rseq(const h_log *log)
{
    const char *p = NULL;
    for (size_t i = 0; i < log->n; i++)
        if (log->r[i].kind == SR_EV_SEND && strstr(log->r[i].text, "RSeq: ") != NULL)
            p = strstr(log->r[i].text, "RSeq: ");
    assert_non_null(p);
    return strtoul(p + 6, NULL, 10);
}

static void recv_prack(sr_stack *s, const char *br, unsigned long rseq, uint64_t at, h_log *log)
{
    char text[1024], extra[128];
    snprintf(extra, sizeof(extra), "RAck: %lu 1 INVITE\r\n", rseq);
    h_req_text(text, sizeof(text), "PRACK", br, "UDP", "t1", 2, NULL, extra, NULL);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    h_recv(s, text, &src, at, log);
}

/* 183 reliable → retransmitted at T1 doubling → PRACK → 200 (PRACK) → held 200 (INVITE). */
static void test_uas_prack_then_2xx(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = recv_invite(s, "Supported: 100rel\r\n", &log);
    assert_int_equal(send_rel(s, id, 183, SDP, 100, &log), 0);
    unsigned long rseq = last_rseq(&log);
    assert_true(rseq >= 1 && rseq < 0x80000000ul);
    const h_rec *first = h_find(&log, SR_EV_SEND, 0);
    assert_non_null(strstr(first->text, "Require: 100rel\r\n"));
    /* A second reliable 1xx before the PRACK is refused (§3). */
    assert_int_equal(send_rel(s, id, 180, NULL, 200, &log), SR_ESTATE);
    h_run(s, &log, 2000);
    /* The 2xx is held: the 183 carried SDP and is not acknowledged yet. */
    sr_msg *ok = h_build(g_inv, 200, "t1", NULL);
    assert_int_equal(sr_stack_send_response(s, id, ok, 0, 2000), 0);
    h_drain(s, &log, 2000);
    h_run(s, &log, 4000);
    recv_prack(s, "z9hG4bKpr1", rseq, 4000, &log);
    h_run(s, &log, 60000);
    uint64_t at[32];
    const uint64_t t183[] = {100, 600, 1600, 3600};
    h_assert_instants(at, h_sends(&log, "SIP/2.0 183", at, 32), t183, 4);
    const uint64_t t200[] = {4000, 4000};
    h_assert_instants(at, h_sends(&log, "SIP/2.0 200", at, 32), t200, 2);
    /* Order: the 200 to the PRACK, then the held 200 to the INVITE. */
    size_t k = 0;
    for (size_t i = 0; i < log.n; i++)
        if (log.r[i].kind == SR_EV_SEND && strncmp(log.r[i].first, "SIP/2.0 200", 11) == 0)
            assert_non_null(strstr(log.r[i].text, k++ == 0 ? "CSeq: 2 PRACK" : "CSeq: 1 INVITE"));
    /* The TU saw the INVITE and the PRACK (related to the INVITE). */
    const h_rec *pr = h_find(&log, SR_EV_REQUEST, 1);
    assert_non_null(pr);
    assert_int_equal(pr->related, id);
    assert_int_equal(h_count(&log, SR_EV_PRACK_TIMEOUT), 0);
    assert_int_equal(sr_stack_txn_count(s), 0);
    sr_stack_free(s);
}

/* Lost PRACK: retransmissions at 100 + 500·(2^n − 1) until 64·T1, then PRACK_TIMEOUT. */
static void test_uas_prack_timeout(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = recv_invite(s, "Require: 100rel\r\n", &log);
    assert_int_equal(send_rel(s, id, 180, NULL, 100, &log), 0);
    h_run(s, &log, 40000);
    uint64_t at[32];
    const uint64_t t180[] = {100, 600, 1600, 3600, 7600, 15600, 31600};
    h_assert_instants(at, h_sends(&log, "SIP/2.0 180", at, 32), t180, 7);
    const h_rec *pt = h_find(&log, SR_EV_PRACK_TIMEOUT, 0);
    assert_non_null(pt);
    assert_int_equal(pt->at, 32100);
    assert_int_equal(pt->txn, id);
    sr_msg *r = h_build(g_inv, 500, "t1", NULL);
    assert_int_equal(sr_stack_send_response(s, id, r, 0, 40000), 0);
    sr_stack_free(s);
}

/* Two reliable 1xx in order: RSeq +1; a PRACK for the old RSeq or a wrong one → 481. */
static void test_uas_two_in_order_and_481(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = recv_invite(s, "Supported: 100rel\r\n", &log);
    assert_int_equal(send_rel(s, id, 180, NULL, 100, &log), 0);
    unsigned long r1 = last_rseq(&log);
    recv_prack(s, "z9hG4bKbad", r1 + 10, 200, &log);
    uint64_t at[32];
    assert_int_equal(h_sends(&log, "SIP/2.0 481", at, 32), 1);
    recv_prack(s, "z9hG4bKpr1", r1, 300, &log);
    assert_int_equal(send_rel(s, id, 183, SDP, 400, &log), 0);
    unsigned long r2 = last_rseq(&log);
    assert_int_equal(r2, r1 + 1);
    recv_prack(s, "z9hG4bKpr2", r1, 500, &log); /* old RSeq: nothing pending for it */
    assert_int_equal(h_sends(&log, "SIP/2.0 481", at, 32), 2);
    recv_prack(s, "z9hG4bKpr3", r2, 600, &log);
    assert_int_equal(h_sends(&log, "SIP/2.0 200", at, 32), 2);
    /* The retransmitted PRACK matches its own transaction: the 200 again, no new event. */
    size_t reqs = h_count(&log, SR_EV_REQUEST);
    recv_prack(s, "z9hG4bKpr3", r2, 700, &log);
    assert_int_equal(h_sends(&log, "SIP/2.0 200", at, 32), 3);
    assert_int_equal(h_count(&log, SR_EV_REQUEST), reqs);
    sr_stack_free(s);
}

/* A non-2xx final before the PRACK stops the retransmissions (§3 allows it). */
static void test_uas_final_before_prack(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = recv_invite(s, "Supported: 100rel\r\n", &log);
    assert_int_equal(send_rel(s, id, 183, SDP, 100, &log), 0);
    sr_msg *r = h_build(g_inv, 486, "t1", NULL);
    assert_int_equal(sr_stack_send_response(s, id, r, 0, 300), 0);
    h_drain(s, &log, 300);
    h_run(s, &log, 40000);
    uint64_t at[32];
    const uint64_t t183[] = {100};
    h_assert_instants(at, h_sends(&log, "SIP/2.0 183", at, 32), t183, 1);
    assert_int_equal(h_count(&log, SR_EV_PRACK_TIMEOUT), 0);
    sr_stack_free(s);
}

/* 100rel not offered → refused; 100 never reliable; Require: 100rel with PRACK off → 420. */
static void test_uas_refusals(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    sr_txn_id id = recv_invite(s, NULL, &log);
    assert_int_equal(send_rel(s, id, 183, NULL, 100, &log), SR_EUNSUPPORTED);
    sr_stack_free(s);
    h_clear(&log);
    s = h_stack(true);
    id = recv_invite(s, "Supported: 100rel\r\n", &log);
    assert_int_equal(send_rel(s, id, 100, NULL, 100, &log), SR_EUNSUPPORTED);
    sr_stack_free(s);
    h_clear(&log);
    s = h_stack(false);
    h_req_text(g_inv, sizeof(g_inv), "INVITE", BR, "UDP", NULL, 1, NULL, "Require: 100rel\r\n",
               NULL);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    h_recv(s, g_inv, &src, 0, &log);
    assert_int_equal(h_count(&log, SR_EV_REQUEST), 0);
    const h_rec *r = h_find(&log, SR_EV_SEND, 0);
    assert_non_null(r);
    assert_string_equal(r->first, "SIP/2.0 420 Bad Extension");
    assert_non_null(strstr(r->text, "Unsupported: 100rel"));
    sr_stack_free(s);
}

/* UAC side: the INVITE client transaction under test. */
static sr_txn_id uac_start(sr_stack *s, h_log *log)
{
    char text[1024];
    h_req_text(text, sizeof(text), "INVITE", BR, "UDP", NULL, 1, NULL, "Supported: 100rel\r\n",
               NULL);
    sr_msg *req = h_parse(text);
    sr_addr dest = h_addr("192.0.2.2", 5060, SR_TP_UDP);
    sr_txn_id id = 0;
    assert_int_equal(sr_stack_send_request(s, req, &dest, 0, &id), 0);
    h_drain(s, log, 0);
    return id;
}

static void uac_1xx(sr_stack *s, const char *tag, unsigned rseq, uint64_t at, h_log *log)
{
    char text[1024], extra[160];
    snprintf(extra, sizeof(extra),
             "Require: 100rel\r\nRSeq: %u\r\nContact: <sip:bob@192.0.2.2:5070>\r\n", rseq);
    h_resp_text(text, sizeof(text), 183, BR, "UDP", tag, 1, "INVITE", extra);
    sr_addr src = h_addr("192.0.2.2", 5060, SR_TP_UDP);
    h_recv(s, text, &src, at, log);
}

static size_t pracks(const h_log *log, const h_rec **out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < log->n; i++)
        if (log->r[i].kind == SR_EV_SEND && strncmp(log->r[i].first, "PRACK ", 6) == 0) {
            if (k < cap)
                out[k] = &log->r[i];
            k++;
        }
    return k;
}

/* PRACK each new RSeq in order; ignore retransmissions and gaps; one series per To tag. */
static void test_uac_order_and_forks(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    uac_start(s, &log);
    uac_1xx(s, "b1", 5, 100, &log);
    const h_rec *p[8];
    assert_int_equal(pracks(&log, p, 8), 1);
    assert_string_equal(p[0]->first, "PRACK sip:bob@192.0.2.2:5070 SIP/2.0");
    assert_non_null(strstr(p[0]->text, "RAck: 5 1 INVITE"));
    assert_non_null(strstr(p[0]->text, "CSeq: 2 PRACK"));
    assert_non_null(strstr(p[0]->text, "tag=b1"));
    const h_rec *resp = h_find(&log, SR_EV_RESPONSE, 0);
    assert_int_equal(resp->related, p[0]->txn);
    uac_1xx(s, "b1", 5, 200, &log); /* retransmission */
    uac_1xx(s, "b1", 7, 300, &log); /* gap */
    assert_int_equal(pracks(&log, p, 8), 1);
    assert_int_equal(h_count(&log, SR_EV_RESPONSE), 1);
    uac_1xx(s, "b1", 6, 400, &log);
    uac_1xx(s, "b2", 1000, 500, &log); /* another fork */
    assert_int_equal(pracks(&log, p, 8), 3);
    assert_non_null(strstr(p[1]->text, "RAck: 6 1 INVITE"));
    assert_non_null(strstr(p[1]->text, "CSeq: 3 PRACK"));
    assert_non_null(strstr(p[2]->text, "RAck: 1000 1 INVITE"));
    assert_non_null(strstr(p[2]->text, "tag=b2"));
    assert_int_equal(h_count(&log, SR_EV_RESPONSE), 3);
    /* The PRACKs are non-INVITE client transactions: they retransmit on Timer E. */
    h_run(s, &log, 1000);
    assert_true(pracks(&log, p, 8) > 3);
    sr_stack_free(s);
}

/* A reliable 183 with Record-Route @p rr (header lines) and the PRACK it produced. */
static const h_rec *uac_rr_prack(h_log *log, const char *rr)
{
    sr_stack *s = h_stack(true);
    h_clear(log);
    uac_start(s, log);
    char text[1536], extra[600];
    snprintf(extra, sizeof(extra),
             "Require: 100rel\r\nRSeq: 9\r\nContact: <sip:bob@192.0.2.2:5070>\r\n%s", rr);
    h_resp_text(text, sizeof(text), 183, BR, "UDP", "b1", 1, "INVITE", extra);
    sr_addr src = h_addr("192.0.2.2", 5060, SR_TP_UDP);
    h_recv(s, text, &src, 100, log);
    const h_rec *p[2];
    size_t n = pracks(log, p, 2);
    sr_stack_free(s); /* the log keeps copies */
    assert_int_equal(h_count(log, SR_EV_RESPONSE), 1);
    return n == 1 ? p[0] : NULL;
}

/* The Route header values of a logged request, in order, joined by '|'. */
static void routes_of(const h_rec *r, char *out, size_t cap)
{
    sr_msg *m = h_parse(r->text);
    out[0] = '\0';
    size_t len = 0;
    for (const sr_header *h = sr_msg_header_find(m, SR_HDR_ROUTE, NULL); h != NULL;
         h = sr_msg_header_find(m, SR_HDR_ROUTE, h)) {
        int k =
            snprintf(out + len, cap - len, "%s%.*s", len ? "|" : "", (int)h->value.len, h->value.p);
        assert_true(k > 0 && (size_t)k < cap - len);
        len += (size_t)k;
    }
    sr_msg_free(m);
}

/* RFC 3262 §7.2 / RFC 3261 §12.1.2, §12.2.1.1: the PRACK is a request within the early
 * dialog: its route set is the 1xx's Record-Route reversed; loose routing keeps the remote
 * target as Request-URI, a strict router takes the Request-URI and the target goes last. */
static void test_uac_prack_route_set(void **state)
{
    (void)state;
    static h_log log;
    char routes[600];
    /* no Record-Route: no Route (the dialog's route set is empty) */
    const h_rec *p = uac_rr_prack(&log, "");
    assert_non_null(p);
    assert_string_equal(p->first, "PRACK sip:bob@192.0.2.2:5070 SIP/2.0");
    routes_of(p, routes, sizeof routes);
    assert_string_equal(routes, "");
    /* loose routers over two headers, one holding two values: reversed, params kept */
    p = uac_rr_prack(&log, "Record-Route: <sip:p3.example.com;lr>, <sip:p2.example.com;lr>\r\n"
                           "Record-Route: <sip:p1.example.com;lr;ftag=x>;foo=bar\r\n");
    assert_non_null(p);
    assert_string_equal(p->first, "PRACK sip:bob@192.0.2.2:5070 SIP/2.0");
    routes_of(p, routes, sizeof routes);
    assert_string_equal(routes, "<sip:p1.example.com;lr;ftag=x>;foo=bar|<sip:p2.example.com;lr>|"
                                "<sip:p3.example.com;lr>");
    /* a strict router first: it becomes the Request-URI, the remote target the last Route */
    p = uac_rr_prack(&log, "Record-Route: <sip:p2.example.com;lr>\r\n"
                           "Record-Route: <sip:strict.example.com;transport=udp>\r\n");
    assert_non_null(p);
    assert_true(strncmp(p->text, "PRACK sip:strict.example.com;transport=udp SIP/2.0\r\n", 52) ==
                0);
    routes_of(p, routes, sizeof routes);
    assert_string_equal(routes, "<sip:p2.example.com;lr>|<sip:bob@192.0.2.2:5070>");
    /* §12.1.2: the route set is fixed by the 1xx that creates the early dialog: a later
     * reliable 1xx of that dialog with another Record-Route does not change it; a fork (its
     * own To tag) has its own */
    {
        sr_stack *s = h_stack(true);
        h_clear(&log);
        uac_start(s, &log);
        static const struct {
            const char *tag;
            unsigned rseq;
            const char *rr;
        } seq[] = {
            {"b1", 9, "Record-Route: <sip:first.example.com;lr>\r\n"},
            {"b1", 10, "Record-Route: <sip:changed.example.com;lr>\r\n"},
            {"b2", 40, "Record-Route: <sip:fork.example.com;lr>\r\n"},
        };
        for (size_t i = 0; i < 3; i++) {
            char text[1536], extra[600];
            snprintf(extra, sizeof(extra),
                     "Require: 100rel\r\nRSeq: %u\r\nContact: <sip:bob@192.0.2.2:5070>\r\n%s",
                     seq[i].rseq, seq[i].rr);
            h_resp_text(text, sizeof(text), 183, BR, "UDP", seq[i].tag, 1, "INVITE", extra);
            sr_addr src = h_addr("192.0.2.2", 5060, SR_TP_UDP);
            h_recv(s, text, &src, 100 + 10 * i, &log);
        }
        const h_rec *pr[4];
        assert_int_equal(pracks(&log, pr, 4), 3);
        routes_of(pr[0], routes, sizeof routes);
        assert_string_equal(routes, "<sip:first.example.com;lr>");
        routes_of(pr[1], routes, sizeof routes);
        assert_string_equal(routes, "<sip:first.example.com;lr>");
        assert_non_null(strstr(pr[1]->text, "RAck: 10 1 INVITE"));
        routes_of(pr[2], routes, sizeof routes);
        assert_string_equal(routes, "<sip:fork.example.com;lr>");
        sr_stack_free(s);
    }
    /* a reliable 1xx without a To tag creates no early dialog: passed up, not PRACKed */
    {
        sr_stack *s = h_stack(true);
        h_clear(&log);
        uac_start(s, &log);
        uac_1xx(s, NULL, 3, 100, &log);
        const h_rec *pr[2];
        assert_int_equal(pracks(&log, pr, 2), 0);
        assert_int_equal(h_count(&log, SR_EV_RESPONSE), 1);
        sr_stack_free(s);
    }
    /* a Record-Route that does not parse: the 1xx is passed up, not PRACKed */
    p = uac_rr_prack(&log, "Record-Route: <sip:p1.example.com;lr\r\n");
    assert_null(p);
}

/* Two stacks end to end over UDP: 183 reliable → PRACK → 200 (PRACK) → 200 (INVITE). */
static void pump(sr_stack *from, sr_stack *to, uint64_t at, h_log *log, const sr_addr *src)
{
    sr_event ev;
    while (sr_stack_poll(from, &ev) == 0) {
        assert_true(log->n < H_MAX_LOG);
        h_rec *r = &log->r[log->n++];
        memset(r, 0, sizeof(*r));
        r->at = at;
        r->kind = ev.kind;
        r->txn = ev.txn;
        r->status = ev.status;
        if (ev.kind == SR_EV_SEND) {
            h_first_line(ev.data, ev.len, r->first, sizeof(r->first));
            int rc = sr_stack_receive(to, ev.data, ev.len, src, at);
            assert_true(rc == 0);
        } else if (ev.msg != NULL) {
            snprintf(r->first, sizeof(r->first), "%s %u", ev.kind == SR_EV_REQUEST ? "req" : "resp",
                     ev.status);
        }
    }
}

static void test_two_stacks(void **state)
{
    (void)state;
    static h_log la, lb;
    h_clear(&la);
    h_clear(&lb);
    sr_stack *a = h_stack(true), *b = h_stack(true);
    sr_addr aa = h_addr("192.0.2.1", 5060, SR_TP_UDP), ba = h_addr("192.0.2.2", 5060, SR_TP_UDP);
    char text[1024];
    h_req_text(text, sizeof(text), "INVITE", BR, "UDP", NULL, 1, NULL, "Supported: 100rel\r\n",
               NULL);
    memcpy(g_inv, text, sizeof(text));
    sr_txn_id ia = 0;
    assert_int_equal(sr_stack_send_request(a, h_parse(text), &ba, 0, &ia), 0);
    pump(a, b, 0, &la, &aa);
    sr_event ev;
    assert_int_equal(sr_stack_poll(b, &ev), 0);
    assert_int_equal(ev.kind, SR_EV_REQUEST);
    sr_txn_id ib = ev.txn;
    sr_msg *r = h_build(g_inv, 183, "t1", SDP);
    assert_int_equal(sr_stack_send_response(b, ib, r, SR_SEND_100REL, 50), 0);
    pump(b, a, 50, &lb, &ba); /* 183 → A, which PRACKs */
    pump(a, b, 60, &la, &aa); /* PRACK → B, which answers 200 */
    r = h_build(g_inv, 200, "t1", NULL);
    assert_int_equal(sr_stack_send_response(b, ib, r, 0, 70), 0);
    pump(b, a, 70, &lb, &ba);
    pump(a, b, 80, &la, &aa);
    /* B sent: 183, 200 (PRACK), 200 (INVITE); A got the 183 and the 200 for the INVITE. */
    size_t k = 0;
    const char *want[] = {"SIP/2.0 183", "SIP/2.0 200", "SIP/2.0 200"};
    for (size_t i = 0; i < lb.n; i++)
        if (lb.r[i].kind == SR_EV_SEND) {
            assert_true(k < 3);
            assert_memory_equal(lb.r[i].first, want[k], strlen(want[k]));
            k++;
        }
    assert_int_equal(k, 3);
    sr_txn_state st;
    assert_int_equal(sr_stack_txn_state(a, ia, &st), 0);
    assert_int_equal(st, SR_TXN_ACCEPTED);
    sr_stack_free(a);
    sr_stack_free(b);
}

/* Deliver every SEND of @p from to @p to at once; return codes are only checked for shape. */
static void sweep_pump(sr_stack *from, sr_stack *to, const sr_addr *src, uint64_t at,
                       sr_txn_id *last_req, char *req_text, size_t cap)
{
    sr_event ev;
    while (sr_stack_poll(from, &ev) == 0) {
        if (ev.kind == SR_EV_SEND) {
            int rc = sr_stack_receive(to, ev.data, ev.len, src, at);
            assert_true(rc == 0 || rc == SR_ENOMEM);
        } else if (ev.kind == SR_EV_REQUEST && ev.txn != 0 && last_req != NULL &&
                   sr_msg_method(ev.msg) == SR_METHOD_INVITE) {
            sr_buf b;
            sr_buf_init(&b, NULL);
            if (sr_msg_print(ev.msg, &b) == 0 && b.len < cap) {
                memcpy(req_text, b.p, b.len);
                req_text[b.len] = '\0';
                *last_req = ev.txn;
            }
            sr_buf_cleanup(&b);
        }
    }
}

/* One full exchange between two stacks that share a failing allocator: INVITE with 100rel,
 * reliable 183 + PRACK, CANCEL, 487 + ACK, an OPTIONS, and every timer run out. */
static void sweep_run(const sr_allocator *alloc)
{
    sr_stack *a = NULL, *b = NULL;
    sr_config c;
    sr_config_default(&c);
    c.alloc = alloc;
    if (sr_stack_new(&a, &c) != 0)
        return;
    if (sr_stack_new(&b, &c) != 0) {
        sr_stack_free(a);
        return;
    }
    sr_addr aa, ba;
    sr_addr_set(&aa, "192.0.2.1", 5060, SR_TP_UDP);
    sr_addr_set(&ba, "192.0.2.2", 5060, SR_TP_UDP);
    static char req[2048];
    req[0] = '\0';
    sr_txn_id ib = 0, ia = 0;
    const char *methods[] = {"INVITE", "OPTIONS"};
    for (int k = 0; k < 2; k++) {
        char text[1024], br[32];
        snprintf(br, sizeof(br), "z9hG4bKsw%d", k);
        h_req_text(text, sizeof(text), methods[k], br, "UDP", NULL, (unsigned)k + 1, NULL,
                   "Supported: 100rel\r\n", NULL);
        sr_parse_opts o;
        sr_parse_opts_init(&o);
        o.alloc = alloc;
        sr_msg *m = NULL;
        if (sr_msg_parse(&m, text, strlen(text), &o, NULL) != 0)
            continue;
        sr_txn_id id = 0;
        if (sr_stack_send_request(a, m, &ba, 0, &id) != 0)
            sr_msg_free(m);
        else if (k == 0)
            ia = id;
    }
    for (uint64_t t = 0; t < 120000; t += 100) {
        sweep_pump(a, b, &aa, t, &ib, req, sizeof(req));
        sweep_pump(b, a, &ba, t, NULL, NULL, 0);
        if (t == 300 && ib != 0) {
            sr_msg *r = NULL;
            sr_build_opts o;
            sr_build_opts_init(&o);
            o.alloc = alloc;
            o.to_tag = SR_STR("t9");
            o.body = SR_STR(SDP);
            o.body_type = SR_STR("application/sdp");
            sr_build_header h = {SR_STR("Contact"), SR_STR("<sip:b@192.0.2.2>")};
            o.headers = &h;
            o.n_headers = 1;
            sr_msg *req_msg = NULL;
            sr_parse_opts po;
            sr_parse_opts_init(&po);
            po.alloc = alloc;
            if (sr_msg_parse(&req_msg, req, strlen(req), &po, NULL) == 0) {
                if (sr_build_response(&r, req_msg, 183, &o, NULL) == 0 &&
                    sr_stack_send_response(b, ib, r, SR_SEND_100REL, t) != 0)
                    sr_msg_free(r);
                sr_msg_free(req_msg);
            }
        }
        if (t == 1000 && ia != 0) {
            int rc = sr_stack_cancel(a, ia, t, NULL);
            assert_true(rc == 0 || rc == SR_ENOMEM || rc == SR_ESTATE || rc == SR_ENOTFOUND);
        }
        int rc = sr_stack_on_timer(a, t);
        assert_true(rc == 0 || rc == SR_ENOMEM);
        rc = sr_stack_on_timer(b, t);
        assert_true(rc == 0 || rc == SR_ENOMEM);
    }
    sr_stack_free(a);
    sr_stack_free(b);
}

/* Move SENDs from @p from to @p to at @p at, dropping the @p drop-th message whose first line
 * starts with @p prefix (counted in *@p seen), logging what was moved. */
static void lossy(sr_stack *from, sr_stack *to, const sr_addr *src, uint64_t at, const char *prefix,
                  int drop, int *seen, h_log *log)
{
    sr_event ev;
    while (sr_stack_poll(from, &ev) == 0) {
        if (ev.kind != SR_EV_SEND)
            continue;
        assert_true(log->n < H_MAX_LOG);
        h_rec *r = &log->r[log->n++];
        memset(r, 0, sizeof(*r));
        r->at = at;
        r->kind = ev.kind;
        h_first_line(ev.data, ev.len, r->first, sizeof(r->first));
        if (strncmp(r->first, prefix, strlen(prefix)) == 0 && (*seen)++ == drop) {
            r->kind = SR_EV_NONE; /* lost in the network */
            continue;
        }
        assert_int_equal(sr_stack_receive(to, ev.data, ev.len, src, at), 0);
    }
}

/* Lost reliable 1xx and lost PRACK, end to end over UDP: the UAS retransmits the 183 (T1
 * doubling), the UAC PRACKs the first copy it gets and ignores later copies; the PRACK's own
 * transaction retransmits it (Timer E) until the UAS answers 200. */
static void test_lost_1xx_and_prack(void **state)
{
    (void)state;
    static h_log la, lb;
    h_clear(&la);
    h_clear(&lb);
    sr_stack *a = h_stack(true), *b = h_stack(true);
    sr_addr aa = h_addr("192.0.2.1", 5060, SR_TP_UDP), ba = h_addr("192.0.2.2", 5060, SR_TP_UDP);
    h_req_text(g_inv, sizeof(g_inv), "INVITE", BR, "UDP", NULL, 1, NULL, "Supported: 100rel\r\n",
               NULL);
    sr_txn_id ia = 0;
    assert_int_equal(sr_stack_send_request(a, h_parse(g_inv), &ba, 0, &ia), 0);
    int n183 = 0, nprack = 0;
    lossy(a, b, &aa, 0, "PRACK", 0, &nprack, &la);
    sr_event ev;
    assert_int_equal(sr_stack_poll(b, &ev), 0);
    sr_txn_id ib = ev.txn;
    sr_msg *r = h_build(g_inv, 183, "t1", NULL);
    assert_int_equal(sr_stack_send_response(b, ib, r, SR_SEND_100REL, 10), 0);
    for (uint64_t t = 10; t <= 5000; t += 10) {
        assert_int_equal(sr_stack_on_timer(a, t), 0);
        assert_int_equal(sr_stack_on_timer(b, t), 0);
        for (int round = 0; round < 3; round++) { /* replies leave at the same instant */
            lossy(b, a, &ba, t, "SIP/2.0 183", 0, &n183, &lb); /* the first 183 is lost */
            lossy(a, b, &aa, t, "PRACK", 0, &nprack, &la);     /* the first PRACK is lost */
        }
    }
    /* 183 at 10 (lost); at 500 as the reply to the INVITE retransmitted on Timer A (§17.2.1:
     * the last provisional again), which the UAC PRACKs at once (that PRACK is lost); at 510
     * the RFC 3262 retransmission (10 + T1), a copy the UAC ignores. Timer E re-sends the
     * PRACK at 1000; the UAS answers 200 and stops before its next retransmission (1510). */
    uint64_t at[16];
    const uint64_t t183[] = {10, 500, 510};
    size_t k = 0;
    for (size_t i = 0; i < lb.n; i++)
        if (strncmp(lb.r[i].first, "SIP/2.0 183", 11) == 0)
            at[k++] = lb.r[i].at;
    h_assert_instants(at, k, t183, 3);
    k = 0;
    const uint64_t tprack[] = {500, 1000};
    for (size_t i = 0; i < la.n; i++)
        if (strncmp(la.r[i].first, "PRACK", 5) == 0)
            at[k++] = la.r[i].at;
    h_assert_instants(at, k, tprack, 2);
    k = 0;
    for (size_t i = 0; i < lb.n; i++)
        if (strncmp(lb.r[i].first, "SIP/2.0 200", 11) == 0)
            at[k++] = lb.r[i].at;
    assert_int_equal(k, 1);
    assert_int_equal(at[0], 1000);
    sr_txn_state st;
    assert_int_equal(sr_stack_txn_state(a, ia, &st), 0);
    assert_int_equal(st, SR_TXN_PROCEEDING);
    sr_stack_free(a);
    sr_stack_free(b);
}

/* Every allocation in turn fails: nothing crashes, nothing leaks (RFC-independent hygiene). */
static void test_failure_sweep(void **state)
{
    (void)state;
    for (long n = 1;; n++) {
        tu_alloc t;
        tu_alloc_init(&t);
        t.fail_at = n;
        sweep_run(&t.a);
        if (t.live != 0)
            fail_msg("failing allocation %ld leaked %ld block(s)", n, t.live);
        if (t.failed == 0) {
            assert_true(n > 50);
            break;
        }
        assert_true(n < 200000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_uas_prack_then_2xx),
        TU_TEST(test_uas_prack_timeout),
        TU_TEST(test_uas_two_in_order_and_481),
        TU_TEST(test_uas_final_before_prack),
        TU_TEST(test_uas_refusals),
        TU_TEST(test_uac_order_and_forks),
        TU_TEST(test_uac_prack_route_set),
        TU_TEST(test_two_stacks),
        TU_TEST(test_failure_sweep),
        TU_TEST(test_lost_1xx_and_prack),
    };
    return cmocka_run_group_tests_name("prack", tests, NULL, NULL);
}
