/* sipreply tests: the 4xx the UAC context fixes and sends again — 420 without the option tags
 * in Unsupported (RFC 3261 §8.1.3.5), 421 with the Require'd extension we support (§21.4.16),
 * 422 with Session-Expires raised to Min-SE (RFC 4028 §7.3), 423 with Expires raised to
 * Min-Expires (§10.2.8), 415 with a body type/coding from Accept (§21.4.13). */
#include "uac_harness.h"

#define U_INVITE_EXT                                         \
    "INVITE sip:bob@192.0.2.10 SIP/2.0\n"                    \
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKcaller\n" \
    "From: <sip:alice@192.0.2.1>;tag=a1\n"                   \
    "To: <sip:bob@192.0.2.10>\n"                             \
    "Call-ID: c2@192.0.2.1\n"                                \
    "CSeq: 5 INVITE\n"                                       \
    "Contact: <sip:alice@192.0.2.1>\n"                       \
    "Require: 100rel, timer\n"                               \
    "Proxy-Require: sec-agree\n"                             \
    "Supported: path\n"                                      \
    "Session-Expires: 90;refresher=uac\n"                    \
    "Content-Type: application/sdp\n"                        \
    "Content-Length: 5\n"                                    \
    "\n"                                                     \
    "v=0\n"

#define U_REGISTER                                           \
    "REGISTER sip:192.0.2.10 SIP/2.0\n"                      \
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKcaller\n" \
    "From: <sip:alice@192.0.2.10>;tag=r1\n"                  \
    "To: <sip:alice@192.0.2.10>\n"                           \
    "Call-ID: r1@192.0.2.1\n"                                \
    "CSeq: 1 REGISTER\n"                                     \
    "Contact: <sip:alice@192.0.2.1>\n"                       \
    "Expires: 30\n"                                          \
    "Content-Length: 0\n"                                    \
    "\n"

static void t_420(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE_EXT, NULL);
    u_start(&h);
    u_answer(&h, "INVITE", 420, "Unsupported: timer");
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_DROP_OPTION);
    assert_true(a >= 0);
    assert_string_equal(h.ev[a].detail, "timer");
    assert_string_equal(h.ev[a].rfc, "RFC 3261 §8.1.3.5");
    int i = u_last(&h, "INVITE ");
    assert_true(u_has(&h, i, "Require: 100rel\r\n"));
    assert_true(u_has(&h, i, "Proxy-Require: sec-agree"));
    assert_true(u_has(&h, i, "CSeq: 6 INVITE"));
    u_answer(&h, "INVITE", 420, "Unsupported: sec-agree");
    i = u_last(&h, "INVITE ");
    assert_false(u_has(&h, i, "Proxy-Require"));
    assert_true(u_has(&h, i, "Require: 100rel\r\n"));
    /* nothing we asked for is named: nothing to leave out */
    u_answer(&h, "INVITE", 420, "Unsupported: foo");
    assert_int_equal(u_count(&h, "INVITE "), 3);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_REJECTED);
    assert_int_equal(u_done(&h)->status, 420);
    u_free(&h);
}

static const char *const sup[] = {"100rel", "gruu", NULL};

static void tweak_sup(u_h *h)
{
    h->cfg.supported = sup;
}

static void t_421(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE_EXT, tweak_sup);
    u_start(&h);
    u_answer(&h, "INVITE", 421, "Require: gruu");
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_ADD_OPTION);
    assert_true(a >= 0);
    assert_string_equal(h.ev[a].detail, "gruu");
    int i = u_last(&h, "INVITE ");
    assert_true(u_has(&h, i, "Supported: path, gruu"));
    /* an extension we do not support: stop */
    u_answer(&h, "INVITE", 421, "Require: foo");
    assert_int_equal(u_count(&h, "INVITE "), 2);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_REJECTED);
    u_free(&h);
    /* the same extension required again: no progress, stop */
    u_init(&h, U_INVITE_EXT, tweak_sup);
    u_start(&h);
    u_answer(&h, "INVITE", 421, "Require: gruu");
    u_answer(&h, "INVITE", 421, "Require: gruu");
    assert_int_equal(u_count(&h, "INVITE "), 2);
    assert_int_equal(u_done(&h)->status, 421);
    u_free(&h);
}

static void t_422(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE_EXT, NULL);
    u_start(&h);
    u_answer(&h, "INVITE", 422, "Min-SE: 1800");
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_SESSION_EXPIRES);
    assert_true(a >= 0);
    assert_string_equal(h.ev[a].detail, "1800");
    assert_string_equal(h.ev[a].rfc, "RFC 4028 §7.3");
    int i = u_last(&h, "INVITE ");
    assert_true(u_has(&h, i, "Session-Expires: 1800\r\n"));
    assert_true(u_has(&h, i, "Min-SE: 1800\r\n"));
    assert_false(u_has(&h, i, "Session-Expires: 90"));
    u_answer(&h, "INVITE", 422, "Min-SE: 1800");
    assert_int_equal(u_count(&h, "INVITE "), 2);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_REJECTED);
    u_free(&h);
}

static void t_423(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_REGISTER, NULL);
    u_start(&h);
    u_answer(&h, "REGISTER", 423, "Min-Expires: 3600");
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_EXPIRES);
    assert_true(a >= 0);
    assert_string_equal(h.ev[a].detail, "3600");
    assert_string_equal(h.ev[a].rfc, "RFC 3261 §10.2.8");
    int i = u_last(&h, "REGISTER ");
    assert_int_equal(i, 1);
    assert_true(u_has(&h, i, "Expires: 3600\r\n"));
    assert_false(u_has(&h, i, "Expires: 30\r\n"));
    assert_true(u_has(&h, i, "CSeq: 2 REGISTER"));
    u_answer(&h, "REGISTER", 200, "Contact: <sip:alice@192.0.2.1>;expires=3600");
    assert_int_equal(u_done(&h)->outcome, SR_UAC_OK);
    u_free(&h);
}

static const sr_uac_body bodies[] = {
    {"application/x-old", NULL, {"old", 3}},
    {"application/sdp", "gzip", {"gz", 2}},
    {"text/plain", NULL, {"hello", 5}},
};

static void tweak_bodies(u_h *h)
{
    h->cfg.bodies = bodies;
    h->cfg.n_bodies = 3;
}

static void t_415(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE, tweak_bodies);
    u_start(&h);
    u_answer(&h, "INVITE", 415, "Accept: text/*");
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_BODY);
    assert_true(a >= 0);
    assert_string_equal(h.ev[a].detail, "text/plain");
    int i = u_last(&h, "INVITE ");
    assert_true(u_has(&h, i, "Content-Type: text/plain"));
    assert_true(u_has(&h, i, "\r\n\r\nhello"));
    /* nothing after text/plain is accepted */
    u_answer(&h, "INVITE", 415, "Accept: application/sdp");
    assert_int_equal(u_done(&h)->outcome, SR_UAC_REJECTED);
    u_free(&h);

    /* the coding: application/sdp with gzip when Accept-Encoding names it */
    u_init(&h, U_INVITE, tweak_bodies);
    u_start(&h);
    u_answer(&h, "INVITE", 415, "Accept: application/sdp\r\nAccept-Encoding: gzip");
    i = u_last(&h, "INVITE ");
    assert_true(u_has(&h, i, "Content-Encoding: gzip"));
    assert_true(u_has(&h, i, "Content-Type: application/sdp"));
    u_free(&h);
}

static void tweak_no_retry(u_h *h)
{
    h->cfg.follow = SR_UAC_FOLLOW_ALL & ~SR_UAC_FOLLOW_RETRY;
}

static void t_not_followed(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE_EXT, tweak_no_retry);
    u_start(&h);
    u_answer(&h, "INVITE", 420, "Unsupported: timer");
    assert_int_equal(u_count(&h, "INVITE "), 1);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_REJECTED);
    u_free(&h);
}

static void tweak_limit(u_h *h)
{
    h->cfg.max_requests = 2;
}

static void t_request_limit(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_INVITE_EXT, tweak_limit);
    u_start(&h);
    u_answer(&h, "INVITE", 420, "Unsupported: timer");
    u_answer(&h, "INVITE", 420, "Unsupported: 100rel");
    assert_int_equal(u_count(&h, "INVITE "), 2);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_LIMIT);
    u_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(t_420), TU_TEST(t_421),          TU_TEST(t_422),           TU_TEST(t_423),
        TU_TEST(t_415), TU_TEST(t_not_followed), TU_TEST(t_request_limit),
    };
    return cmocka_run_group_tests_name("uac_retry", tests, NULL, NULL);
}
