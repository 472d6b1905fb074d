/* sipreply tests: the UAC context (uac.h) in simulated time — the request sent, 1xx reported,
 * reliable ones PRACKed, 199, 2xx with its ACK and every retransmission ACKed again, BYE on
 * hang-up and on a further 2xx dialog, unknown codes as their class's x00, the stack's
 * sr_stack_forget / sr_stack_send_stateless. */
#include "uac_harness.h"

#define CT "Contact: <sip:bob@192.0.2.10:5070>"

static void t_options_200(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, NULL);
    u_start(&h);
    assert_int_equal(h.n_sent, 1);
    assert_string_equal(h.sent[0].first, "OPTIONS sip:bob@192.0.2.10 SIP/2.0");
    assert_true(u_has(&h, 0, "CSeq: 10 OPTIONS"));
    assert_true(u_has(&h, 0, "Max-Forwards: 70"));
    assert_true(u_has(&h, 0, "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK"));
    assert_true(u_has(&h, 0, ";rport"));
    assert_false(u_has(&h, 0, "z9hG4bKcaller")); /* our Via replaces the caller's */
    assert_int_equal(h.ev[0].kind, SR_UAC_EV_SENT);
    assert_true(sr_uac_is_active(h.u));
    u_answer(&h, "OPTIONS", 200, NULL);
    const u_ev *d = u_done(&h);
    assert_int_equal(d->outcome, SR_UAC_OK);
    assert_int_equal(d->status, 200);
    assert_true(u_find(&h, 0, SR_UAC_EV_RESPONSE, 0) < u_find(&h, 0, SR_UAC_EV_DONE, 0));
    assert_int_equal(sr_uac_start(h.u, h.now), SR_ESTATE);
    /* the non-INVITE transaction ends after Timer K: nothing left to do */
    u_advance(&h, 10000);
    assert_false(sr_uac_is_active(h.u));
    u_free(&h);
}

static void t_invite_ack_and_retransmissions(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    u_answer_to(&h, 0, 180, CT, "b1");
    assert_true(u_find(&h, 0, SR_UAC_EV_RESPONSE, 0) >= 0);
    assert_int_equal(h.n_done, 0);
    u_answer_to(&h, 0, 200, CT "\r\nRecord-Route: <sip:p1.example;lr>, <sip:p2.example;lr>", "b1");
    const u_ev *d = u_done(&h);
    assert_int_equal(d->outcome, SR_UAC_OK);
    int ack = u_last(&h, "ACK ");
    assert_true(ack >= 0);
    /* §13.2.2.4: the remote target, the route set reversed, the 2xx's To, the INVITE's CSeq */
    assert_string_equal(h.sent[ack].first, "ACK sip:bob@192.0.2.10:5070 SIP/2.0");
    const char *r2 = strstr(h.sent[ack].text, "Route: <sip:p2.example;lr>");
    const char *r1 = strstr(h.sent[ack].text, "Route: <sip:p1.example;lr>");
    assert_non_null(r1);
    assert_non_null(r2);
    assert_true(r2 < r1);
    assert_true(u_has(&h, ack, "tag=b1"));
    assert_true(u_has(&h, ack, "CSeq: 1 ACK"));
    assert_int_equal(h.sent[ack].txn, 0);
    /* §12.2.1.1: to the first hop of the route set, resolved from its URI */
    assert_string_equal(h.sent[ack].to.host, "p2.example");
    assert_int_equal(h.sent[ack].to.port, 5060);
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_ACK);
    assert_true(a >= 0);
    assert_string_equal(h.ev[a].rfc, "RFC 3261 §13.2.2.4");
    /* every retransmission of the 2xx gets the ACK again; still one DONE */
    u_answer_to(&h, 0, 200, CT "\r\nRecord-Route: <sip:p1.example;lr>, <sip:p2.example;lr>", "b1");
    u_answer_to(&h, 0, 200, CT "\r\nRecord-Route: <sip:p1.example;lr>, <sip:p2.example;lr>", "b1");
    assert_int_equal(u_count(&h, "ACK "), 3);
    int again = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_ACK_AGAIN);
    assert_true(again >= 0);
    int rr = u_find(&h, (size_t)a, SR_UAC_EV_RESPONSE, 0);
    assert_true(rr >= 0 && h.ev[rr].retx);
    assert_int_equal(h.n_done, 1);
    assert_int_equal(u_count(&h, "BYE "), 0);
    /* Timer M ends the INVITE transaction; then hang up: the BYE still goes to the remote
     * target through the route set (§12.2.1.1) */
    u_advance(&h, 40000);
    assert_int_equal(sr_uac_hangup(h.u, h.now), 0);
    u_pump(&h);
    int bye = u_last(&h, "BYE ");
    assert_true(bye >= 0);
    assert_string_equal(h.sent[bye].first, "BYE sip:bob@192.0.2.10:5070 SIP/2.0");
    assert_true(u_has(&h, bye, "Route: <sip:p2.example;lr>"));
    assert_true(u_has(&h, bye, "CSeq: 2 BYE"));
    assert_true(u_has(&h, bye, ";tag=b1"));
    assert_int_equal(sr_uac_hangup(h.u, h.now), SR_ESTATE);
    size_t before = h.n_ev;
    u_answer(&h, "BYE ", 200, NULL);
    int br = u_find(&h, before, SR_UAC_EV_RESPONSE, 0);
    assert_true(br >= 0); /* the BYE's answer is reported */
    assert_int_equal(h.ev[br].status, 200);
    assert_int_equal(h.n_done, 1);
    u_advance(&h, 80000);
    assert_false(sr_uac_is_active(h.u));
    u_free(&h);
}

static void t_hangup_with_route_set(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    u_answer_to(&h, 0, 200, CT "\r\nRecord-Route: <sip:p1.example;lr>", "b1");
    /* hang up while the 2xx is at hand: the BYE goes to the remote target via the route */
    assert_int_equal(sr_uac_hangup(h.u, h.now), 0);
    u_pump(&h);
    int bye = u_last(&h, "BYE ");
    assert_true(bye >= 0);
    assert_true(u_has(&h, bye, "To: <sip:bob@192.0.2.10>;tag=b1"));
    assert_string_equal(h.sent[bye].first, "BYE sip:bob@192.0.2.10:5070 SIP/2.0");
    assert_true(u_has(&h, bye, "Route: <sip:p1.example;lr>"));
    assert_true(u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_BYE) >= 0);
    u_free(&h);
}

static void t_forked_2xx_gets_bye(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    u_answer_to(&h, 0, 200, CT, "b1");
    u_answer_to(&h, 0, 200, CT, "b2");
    assert_int_equal(u_count(&h, "ACK "), 2);
    /* no route set: to the remote target (the Contact's host and port) */
    int ack = u_last(&h, "ACK ");
    assert_string_equal(h.sent[ack].to.host, "192.0.2.10");
    assert_int_equal(h.sent[ack].to.port, 5070);
    int bye = u_last(&h, "BYE ");
    assert_true(bye >= 0);
    assert_true(u_has(&h, bye, "tag=b2"));
    assert_int_equal(u_count(&h, "BYE "), 1);
    assert_int_equal(u_done(&h)->status, 200);
    u_free(&h);
}

static void tweak_via_server(u_h *h)
{
    h->cfg.dialog_via_server = true;
}

/* An outbound-proxy setup: ACK and BYE go where the INVITE went. */
static void t_dialog_via_server(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, tweak_via_server);
    u_start(&h);
    u_answer_to(&h, 0, 200, CT "\r\nRecord-Route: <sip:p1.example;lr>", "b1");
    int ack = u_last(&h, "ACK ");
    assert_string_equal(h.sent[ack].to.host, "192.0.2.10");
    assert_int_equal(h.sent[ack].to.port, 5060);
    assert_int_equal(sr_uac_hangup(h.u, h.now), 0);
    u_pump(&h);
    int bye = u_last(&h, "BYE ");
    assert_string_equal(h.sent[bye].to.host, "192.0.2.10");
    assert_int_equal(h.sent[bye].to.port, 5060);
    assert_true(u_has(&h, bye, "Route: <sip:p1.example;lr>"));
    u_free(&h);
}

static void t_reliable_1xx_and_199(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    u_answer_to(&h, 0, 183, CT "\r\nRequire: 100rel\r\nRSeq: 7", "e1");
    int pr = u_last(&h, "PRACK ");
    assert_true(pr >= 0);
    assert_true(u_has(&h, pr, "RAck: 7 1 INVITE"));
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_PRACK);
    assert_true(a >= 0);
    assert_int_equal(h.ev[a].status, 183);
    assert_string_equal(h.ev[a].rfc, "RFC 3262 §4");
    u_answer_to(&h, 0, 180, CT, "e2");
    assert_int_equal(u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_PRACK), a); /* unreliable */
    u_answer_to(&h, 0, 199, CT, "e2");
    int e = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_EARLY_END);
    assert_true(e >= 0);
    assert_string_equal(h.ev[e].detail, "e2");
    assert_int_equal(h.n_done, 0);
    u_answer_to(&h, 0, 486, NULL, "e1");
    assert_int_equal(u_done(&h)->outcome, SR_UAC_REJECTED);
    assert_int_equal(u_done(&h)->status, 486);
    /* the stack ACKs the non-2xx final itself (§17.1.1.3) */
    assert_int_equal(u_count(&h, "ACK "), 1);
    u_free(&h);
}

static void t_unknown_codes(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, NULL);
    u_start(&h);
    u_answer(&h, "OPTIONS", 299, NULL);
    int r = u_find(&h, 0, SR_UAC_EV_RESPONSE, 0);
    assert_true(h.ev[r].unknown);
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_UNKNOWN_CODE);
    assert_true(a >= 0);
    assert_string_equal(h.ev[a].detail, "as 200");
    assert_string_equal(h.ev[a].rfc, "RFC 3261 §8.1.3.2");
    assert_int_equal(u_done(&h)->outcome, SR_UAC_OK);
    u_free(&h);

    /* an unknown 2xx to INVITE is still a 2xx: ACKed */
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    u_answer_to(&h, 0, 290, CT, "b1");
    assert_true(u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_UNKNOWN_CODE) >= 0);
    assert_int_equal(u_count(&h, "ACK "), 1);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_OK);
    u_free(&h);

    u_init(&h, U_OPTIONS, NULL);
    u_start(&h);
    u_answer(&h, "OPTIONS", 499, NULL);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_REJECTED);
    assert_int_equal(u_done(&h)->status, 499);
    u_free(&h);

    /* 699 acts as 600: stop */
    u_init(&h, U_OPTIONS, NULL);
    u_start(&h);
    u_answer(&h, "OPTIONS", 699, NULL);
    assert_true(u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_STOP_6XX) >= 0);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_REJECTED);
    u_free(&h);
}

static void t_loops_and_6xx(void **state)
{
    (void)state;
    static const unsigned codes[] = {482, 483};
    for (size_t i = 0; i < 2; i++) {
        u_h h;
        u_init(&h, U_OPTIONS, NULL);
        u_start(&h);
        u_answer(&h, "OPTIONS", codes[i], NULL);
        assert_true(u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_LOOP) >= 0);
        assert_int_equal(u_done(&h)->outcome, SR_UAC_LOOP);
        u_free(&h);
    }
}

static void t_new_rejects(void **state)
{
    (void)state;
    sr_stack *s = NULL;
    assert_int_equal(sr_stack_new(&s, NULL), 0);
    sr_uac_config c;
    sr_uac_config_init(&c);
    sr_msg *req = NULL;
    const char *ack = "ACK sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\nFrom: "
                      "<sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 ACK\r\n\r\n";
    assert_int_equal(sr_msg_parse(&req, ack, strlen(ack), NULL, NULL), 0);
    sr_uac *u = NULL;
    assert_int_equal(sr_uac_new(&u, s, req, &c), SR_EINVAL); /* no server, no Via host */
    sr_addr a;
    sr_addr_set(&a, "192.0.2.10", 5060, SR_TP_UDP);
    c.servers = &a;
    c.n_servers = 1;
    c.via_host = "h";
    assert_int_equal(sr_uac_new(&u, s, req, &c), SR_EINVAL); /* ACK */
    assert_null(u);
    sr_msg_free(req);
    sr_stack_free(s);
    assert_string_equal(sr_uac_action_name(SR_UAC_ACT_REDIRECT), "REDIRECT");
    assert_string_equal(sr_uac_outcome_name(SR_UAC_CANCELLED), "cancelled");
    assert_string_equal(sr_uac_action_name((sr_uac_action)999), "?");
}

/* The stack additions: forgetting a client transaction, a stateless send. */
static void t_stack_forget_and_stateless(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    sr_txn_id id = h.sent[0].txn;
    sr_txn_id cid = 0;
    assert_int_equal(sr_stack_cancel(h.s, id, h.now, &cid), 0); /* held: no 1xx yet */
    assert_int_equal(sr_stack_forget(h.s, id, h.now), 0);
    sr_event ev;
    int terminated = 0;
    while (sr_stack_poll(h.s, &ev) == 0)
        if (ev.kind == SR_EV_TERMINATED && (ev.txn == id || ev.txn == cid))
            terminated++;
    assert_int_equal(terminated, 2);
    assert_int_equal(sr_stack_forget(h.s, id, h.now), SR_ENOTFOUND);
    assert_int_equal(sr_stack_next_deadline(h.s), UINT64_MAX); /* no retransmission left */
    assert_int_equal(sr_stack_send_stateless(h.s, NULL, &h.servers[0], 0), SR_EINVAL);
    u_free(&h);
}

/* ------------------------------------------------------------------ allocation failures */

typedef struct sweep {
    sr_stack *s;
    sr_uac *u;
    char last[2048];
    sr_addr to;
    size_t done;
    uint64_t now;
} sweep;

static void sw_pump(sweep *w)
{
    sr_event ev;
    while (sr_stack_poll(w->s, &ev) == 0) {
        if (ev.kind == SR_EV_SEND && ev.len < sizeof(w->last) && memcmp(ev.data, "SIP/", 4) != 0 &&
            memcmp(ev.data, "ACK ", 4) != 0 && memcmp(ev.data, "PRACK ", 6) != 0) {
            memcpy(w->last, ev.data, ev.len);
            w->last[ev.len] = '\0';
            w->to = ev.addr;
        }
        (void)sr_uac_handle(w->u, &ev, w->now); /* an error ends the context: checked below */
    }
    sr_uac_event e;
    while (sr_uac_poll(w->u, &e) == 0) {
        if (e.kind == SR_UAC_EV_DONE) {
            w->done++;
            if (e.outcome == SR_UAC_ERROR)
                assert_int_equal(e.error, SR_ENOMEM);
        }
    }
    assert_true(w->done <= 1);
}

static void sw_answer(sweep *w, unsigned code, const char *hdr, const char *val)
{
    if (w->last[0] == '\0')
        return;
    sr_msg *req = NULL;
    assert_int_equal(sr_msg_parse(&req, w->last, strlen(w->last), NULL, NULL), 0);
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.to_tag = sr_str_from_cstr("t1");
    sr_build_header bh[2] = {{SR_STR("Contact"), SR_STR("<sip:bob@192.0.2.10>")}, {{0}, {0}}};
    size_t n = 1;
    if (hdr != NULL && strcmp(hdr, "Contact") == 0) {
        bh[0].value = sr_str_from_cstr(val);
    } else if (hdr != NULL) {
        bh[1] = (sr_build_header){sr_str_from_cstr(hdr), sr_str_from_cstr(val)};
        n = 2;
    }
    o.headers = bh;
    o.n_headers = n;
    sr_msg *resp = NULL;
    assert_int_equal(sr_build_response(&resp, req, code, &o, NULL), 0);
    sr_buf b;
    sr_buf_init(&b, NULL);
    assert_int_equal(sr_msg_print(resp, &b), 0);
    int rc = sr_stack_receive(w->s, b.p, b.len, &w->to, w->now);
    assert_true(rc == 0 || rc == SR_ENOMEM);
    sr_buf_cleanup(&b);
    sr_msg_free(resp);
    sr_msg_free(req);
    sw_pump(w);
}

static int sweep_scenario(const sr_allocator *a, void *ctx)
{
    (void)ctx;
    sweep w;
    memset(&w, 0, sizeof(w));
    sr_config c;
    sr_config_default(&c);
    c.alloc = a;
    int rc = sr_stack_new(&w.s, &c);
    if (rc != 0)
        return rc;
    static const sr_uac_credential cr[] = {{NULL, "alice", "pw"}};
    sr_addr srv;
    sr_addr_set(&srv, "192.0.2.10", 5060, SR_TP_UDP);
    sr_uac_config uc;
    sr_uac_config_init(&uc);
    uc.alloc = a;
    uc.servers = &srv;
    uc.n_servers = 1;
    uc.via_host = "192.0.2.1";
    uc.creds = cr;
    uc.n_creds = 1;
    uc.random = u_random;
    u_h rnd_state;
    memset(&rnd_state, 0, sizeof(rnd_state));
    uc.random_user = &rnd_state;
    char buf[1024];
    size_t n = 0;
    for (const char *p = U_INVITE; *p; p++) {
        if (*p == '\n')
            buf[n++] = '\r';
        buf[n++] = *p;
    }
    sr_msg *req = NULL;
    assert_int_equal(sr_msg_parse(&req, buf, n, NULL, NULL), 0);
    rc = sr_uac_new(&w.u, w.s, req, &uc);
    sr_msg_free(req);
    if (rc != 0) {
        sr_stack_free(w.s);
        return rc;
    }
    (void)sr_uac_start(w.u, 0); /* a failure is a DONE with SR_UAC_ERROR */
    sw_pump(&w);
    sw_answer(&w, 302, "Contact", "<sip:bob2@192.0.2.10>");
    sw_answer(&w, 401, "WWW-Authenticate", "Digest realm=\"r\", nonce=\"n\", qop=\"auth\"");
    sw_answer(&w, 183, "Require", "100rel");
    sw_answer(&w, 200, "Record-Route", "<sip:p.example;lr>");
    sw_answer(&w, 200, "Record-Route", "<sip:p.example;lr>");
    (void)sr_uac_hangup(w.u, w.now);
    sw_pump(&w);
    for (int k = 0; k < 8 && sr_uac_is_active(w.u); k++) {
        w.now += 60000;
        (void)sr_stack_on_timer(w.s, w.now);
        (void)sr_uac_on_timer(w.u, w.now);
        sw_pump(&w);
    }
    assert_int_equal(w.done, 1);
    sr_uac_free(w.u);
    sr_stack_free(w.s);
    return ((const tu_alloc *)(const void *)a)->failed ? SR_ENOMEM : 0;
}

/* Every allocation failing in turn: exactly one DONE, nothing leaked. */
static void t_allocation_failures(void **state)
{
    (void)state;
    long n = tu_failure_sweep(sweep_scenario, NULL);
    assert_true(n > 50); /* the run got through redirect, challenge, 2xx, ACKs and BYE */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(t_options_200),           TU_TEST(t_invite_ack_and_retransmissions),
        TU_TEST(t_hangup_with_route_set), TU_TEST(t_forked_2xx_gets_bye),
        TU_TEST(t_dialog_via_server),     TU_TEST(t_reliable_1xx_and_199),
        TU_TEST(t_unknown_codes),         TU_TEST(t_loops_and_6xx),
        TU_TEST(t_new_rejects),           TU_TEST(t_stack_forget_and_stateless),
        TU_TEST(t_allocation_failures),
    };
    return cmocka_run_group_tests_name("uac", tests, NULL, NULL);
}
