/* sipreply tests: the UAC context and redirects — Contacts tried in q order (RFC 3261
 * §8.1.3.4), tried targets and loops skipped, the hop limit, 305 through the proxy named
 * (§21.3.4), 380 reported with its alternatives (§21.3.5), 6xx stops the target set. */
#include "uac_harness.h"

static void t_q_order(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, NULL);
    u_start(&h);
    u_answer(&h, "OPTIONS", 302,
             "Contact: <sip:low@192.0.2.20>;q=0.1, <sip:high@192.0.2.21:5080>;q=0.9\r\n"
             "Contact: <sip:mid@192.0.2.22;transport=tcp>;q=0.5");
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_REDIRECT);
    assert_true(a >= 0);
    assert_string_equal(h.ev[a].detail, "sip:high@192.0.2.21:5080");
    assert_string_equal(h.ev[a].rfc, "RFC 3261 §8.1.3.4");
    assert_int_equal(h.n_sent, 2);
    assert_string_equal(h.sent[1].first, "OPTIONS sip:high@192.0.2.21:5080 SIP/2.0");
    assert_string_equal(h.sent[1].to.host, "192.0.2.21");
    assert_int_equal(h.sent[1].to.port, 5080);
    assert_true(u_has(&h, 1, "CSeq: 11 OPTIONS")); /* a new request: CSeq grows */
    assert_true(u_has(&h, 1, "Call-ID: o1@192.0.2.1"));
    /* the first fails: the next by q, over TCP as its URI says */
    u_answer_to(&h, 1, 404, NULL, NULL);
    assert_int_equal(h.n_sent, 3);
    assert_string_equal(h.sent[2].first, "OPTIONS sip:mid@192.0.2.22;transport=tcp SIP/2.0");
    assert_int_equal(h.sent[2].to.transport, SR_TP_TCP);
    assert_true(u_has(&h, 2, "Via: SIP/2.0/TCP 192.0.2.1:5060"));
    u_answer_to(&h, 2, 486, NULL, NULL);
    assert_string_equal(h.sent[3].first, "OPTIONS sip:low@192.0.2.20 SIP/2.0");
    u_answer_to(&h, 3, 200, NULL, NULL);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_OK);
    u_free(&h);
}

static void t_tried_and_loops_skipped(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, NULL);
    u_start(&h);
    /* the Request-URI itself (a loop), written differently but equal (§19.1.4) */
    u_answer(&h, "OPTIONS", 301, "Contact: <sip:bob@192.0.2.10;lr>, <SIP:bob@192.0.2.10>");
    assert_true(u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_REDIRECT_SKIP) >= 0);
    assert_int_equal(h.n_sent, 1);
    const u_ev *d = u_done(&h);
    assert_int_equal(d->outcome, SR_UAC_REDIRECTED);
    assert_int_equal(d->status, 301);
    u_free(&h);

    u_init(&h, U_OPTIONS, NULL);
    u_start(&h);
    u_answer(&h, "OPTIONS", 302, "Contact: <sip:c1@192.0.2.20>");
    u_answer(&h, "OPTIONS", 302, "Contact: <sip:c1@192.0.2.20>, <sip:bob@192.0.2.10>");
    /* both already tried: no third request */
    assert_int_equal(h.n_sent, 2);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_REDIRECTED);
    u_free(&h);
}

static void tweak_hops(u_h *h)
{
    h->cfg.max_redirects = 2;
}

static void t_hop_limit(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, tweak_hops);
    u_start(&h);
    u_answer(&h, "OPTIONS", 302, "Contact: <sip:h1@192.0.2.20>");
    u_answer(&h, "OPTIONS", 302, "Contact: <sip:h2@192.0.2.20>");
    u_answer(&h, "OPTIONS", 302, "Contact: <sip:h3@192.0.2.20>");
    assert_int_equal(h.n_sent, 3);
    int s = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_REDIRECT_SKIP);
    assert_true(s >= 0);
    assert_string_equal(h.ev[s].detail, "sip:h3@192.0.2.20");
    assert_int_equal(u_done(&h)->outcome, SR_UAC_REDIRECTED);
    u_free(&h);
}

static void tweak_no_follow(u_h *h)
{
    h->cfg.follow = SR_UAC_FOLLOW_ALL & ~SR_UAC_FOLLOW_REDIRECT;
}

static void t_not_followed(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, tweak_no_follow);
    u_start(&h);
    u_answer(&h, "OPTIONS", 302, "Contact: <sip:h1@192.0.2.20>");
    assert_int_equal(h.n_sent, 1);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_REDIRECTED);
    u_free(&h);
}

static void t_305_use_proxy(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, NULL);
    u_start(&h);
    u_answer(&h, "OPTIONS", 305, "Contact: <sip:proxy.example:5090>");
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_USE_PROXY);
    assert_true(a >= 0);
    assert_string_equal(h.ev[a].detail, "sip:proxy.example:5090");
    assert_string_equal(h.ev[a].rfc, "RFC 3261 §21.3.4");
    /* same Request-URI, sent to the proxy, with it as a loose route */
    assert_string_equal(h.sent[1].first, "OPTIONS sip:bob@192.0.2.10 SIP/2.0");
    assert_string_equal(h.sent[1].to.host, "proxy.example");
    assert_int_equal(h.sent[1].to.port, 5090);
    assert_true(u_has(&h, 1, "Route: <sip:proxy.example:5090;lr>"));
    /* a second 305 through the proxy is not followed again */
    u_answer_to(&h, 1, 305, "Contact: <sip:other.example>", NULL);
    assert_int_equal(h.n_sent, 2);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_REDIRECTED);
    u_free(&h);
}

static void t_380_alternative(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    u_answer(&h, "INVITE", 380, "Contact: <sip:voicemail@192.0.2.30>");
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_ALTERNATIVE);
    assert_true(a >= 0);
    assert_string_equal(h.ev[a].detail, "<sip:voicemail@192.0.2.30>");
    assert_int_equal(u_done(&h)->outcome, SR_UAC_ALTERNATIVE);
    assert_int_equal(u_count(&h, "INVITE "), 1); /* not tried */
    u_free(&h);
}

static void t_6xx_stops_the_set(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, NULL);
    u_start(&h);
    u_answer(&h, "INVITE", 300, "Contact: <sip:a@192.0.2.20>, <sip:b@192.0.2.21>");
    assert_int_equal(u_count(&h, "INVITE "), 2);
    u_answer(&h, "INVITE", 603, NULL);
    assert_true(u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_STOP_6XX) >= 0);
    assert_int_equal(u_count(&h, "INVITE "), 2); /* b is not tried */
    const u_ev *d = u_done(&h);
    assert_int_equal(d->outcome, SR_UAC_REJECTED);
    assert_int_equal(d->status, 603);
    u_free(&h);
}

static int resolve_two(sr_str uri, sr_addr *out, size_t cap, void *user)
{
    (void)uri;
    (void)user;
    assert_true(cap >= 2);
    sr_addr_set(&out[0], "198.51.100.1", 5060, SR_TP_UDP);
    sr_addr_set(&out[1], "198.51.100.2", 5060, SR_TP_UDP);
    return 2;
}

static void tweak_resolve(u_h *h)
{
    h->cfg.resolve = resolve_two;
}

static void t_resolver_and_next_server(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, tweak_resolve);
    u_start(&h);
    u_answer(&h, "OPTIONS", 302, "Contact: <sip:x@example.com>");
    assert_string_equal(h.sent[1].to.host, "198.51.100.1");
    u_answer_to(&h, 1, 503, NULL, NULL);
    assert_string_equal(h.sent[2].to.host, "198.51.100.2");
    assert_string_equal(h.sent[2].first, "OPTIONS sip:x@example.com SIP/2.0");
    u_answer_to(&h, 2, 200, NULL, NULL);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_OK);
    u_free(&h);
}

static int resolve_later(sr_str uri, sr_addr *out, size_t cap, void *user)
{
    (void)uri;
    (void)out;
    (void)cap;
    (void)user;
    return SR_EAGAIN;
}

static void tweak_async(u_h *h)
{
    h->cfg.resolve = resolve_later;
}

/* An asynchronous resolver: the context waits for sr_uac_resolved(), then walks its servers. */
static void t_async_resolve(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, tweak_async);
    u_start(&h);
    u_answer(&h, "OPTIONS", 302, "Contact: <sip:x@example.com>, <sip:y@example.org>;q=0.5");
    assert_true(u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_REDIRECT) >= 0);
    assert_int_equal(h.n_sent, 1); /* waiting for the lookup */
    assert_true(sr_uac_is_active(h.u));
    sr_addr two[2];
    sr_addr_set(&two[0], "198.51.100.1", 5060, SR_TP_UDP);
    sr_addr_set(&two[1], "198.51.100.2", 5060, SR_TP_TCP);
    assert_int_equal(sr_uac_resolved(h.u, SR_STR("sip:nobody@example.net"), two, 2, h.now),
                     SR_ENOTFOUND);
    /* the second target's answer first: still waiting for the first */
    assert_int_equal(sr_uac_resolved(h.u, SR_STR("sip:y@example.org"), NULL, 0, h.now), 0);
    u_pump(&h);
    assert_int_equal(h.n_sent, 1);
    assert_int_equal(sr_uac_resolved(h.u, SR_STR("sip:x@example.com"), two, 2, h.now), 0);
    u_pump(&h);
    assert_int_equal(h.n_sent, 2);
    assert_string_equal(h.sent[1].first, "OPTIONS sip:x@example.com SIP/2.0");
    assert_string_equal(h.sent[1].to.host, "198.51.100.1");
    u_answer_to(&h, 1, 503, NULL, NULL);
    assert_string_equal(h.sent[2].to.host, "198.51.100.2"); /* RFC 3263 §4.3 */
    assert_true(u_has(&h, 2, "Via: SIP/2.0/TCP"));
    /* the last server fails: y resolved to nothing, so the set is spent */
    u_answer_to(&h, 2, 503, NULL, NULL);
    assert_int_equal(h.n_sent, 3);
    assert_int_equal(u_done(&h)->status, 503);
    u_free(&h);

    /* a target that resolves to nothing is skipped while waited for */
    u_init(&h, U_OPTIONS, tweak_async);
    u_start(&h);
    u_answer(&h, "OPTIONS", 302, "Contact: <sip:x@example.com>");
    assert_int_equal(sr_uac_resolved(h.u, SR_STR("sip:x@example.com"), NULL, 0, h.now), 0);
    u_pump(&h);
    assert_true(u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_REDIRECT_SKIP) >= 0);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_REDIRECTED);
    u_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(t_q_order),           TU_TEST(t_tried_and_loops_skipped),
        TU_TEST(t_hop_limit),         TU_TEST(t_not_followed),
        TU_TEST(t_305_use_proxy),     TU_TEST(t_380_alternative),
        TU_TEST(t_6xx_stops_the_set), TU_TEST(t_resolver_and_next_server),
        TU_TEST(t_async_resolve),
    };
    return cmocka_run_group_tests_name("uac_redirect", tests, NULL, NULL);
}
