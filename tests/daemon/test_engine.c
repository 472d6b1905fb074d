/* sipreplyd: the rule engine in simulated time — matching, sequences with delays, repeats,
 * CANCEL, reliable provisionals and PRACK, weighted choice, stateless replies and ACK
 * absorption, the request checks, raw 400s, reloads. No sockets: sends are captured. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_harness.h"
#include "testutil.h"

static sd_engine *engine_from(const char *yaml, eh_cap *c)
{
    return eh_engine(yaml, c, 42);
}

static sr_addr peer(sr_transport tp)
{
    return eh_addr("127.0.0.1", 5062, tp, tp == SR_TP_TCP ? 77 : 0);
}

/* The Call-ID of the next requests (NULL: derived from the branch). */
static const char *g_callid;

/* A request with the given method, Request-URI, branch, extra header lines and body @p sdp. */
static char *request_sdp(const char *method, const char *uri, const char *branch, const char *extra,
                         const char *cseq_method, unsigned cseq, const char *to_tag,
                         const char *sdp)
{
    char callid[128];
    snprintf(callid, sizeof(callid), "call-%s", g_callid ? g_callid : branch);
    const eh_req r = {.method = method,
                      .uri = uri,
                      .branch = branch,
                      .callid = callid,
                      .cseq = cseq,
                      .cseq_method = cseq_method ? cseq_method : method,
                      .to_tag = to_tag,
                      .extra = extra,
                      .sdp = sdp};
    return eh_req_text(&r);
}

/* A request with the given method, Request-URI, branch and extra header lines. */
static char *request(const char *method, const char *uri, const char *branch, const char *extra,
                     const char *cseq_method, unsigned cseq, const char *to_tag)
{
    return request_sdp(method, uri, branch, extra, cseq_method, cseq, to_tag, NULL);
}

static void feed(sd_engine *e, eh_cap *c, const char *msg, sr_transport tp)
{
    sr_addr a = peer(tp);
    eh_receive(e, msg, &a, c->now);
}

/* The codes sent so far, "180,486". */
static const char *codes(const eh_cap *c)
{
    static char buf[512];
    buf[0] = '\0';
    for (size_t i = 0; i < c->n; i++) {
        char one[16];
        snprintf(one, sizeof(one), "%s%u", i ? "," : "", eh_status(c->s[i].data));
        strcat(buf, one);
    }
    return buf;
}

/* ------------------------------------------------------------------ dial a code */

static void test_default_dial_486(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    char *r = request("INVITE", "sip:486@127.0.0.1", "z9hG4bKa1", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "486");
    assert_true(eh_has(&c.s[0], "Retry-After: 30"));
    assert_string_equal(c.last_rule, "dial-a-code");
    assert_int_equal(c.last_code, 486);
    /* rport: back to the source port */
    assert_int_equal(c.s[0].to.port, 5062);
    free(r);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_default_codes_carry_what_they_need(void **state)
{
    (void)state;
    static const struct {
        const char *user;
        const char *line;
    } cases[] = {
        {"401", "WWW-Authenticate: Digest "},
        {"407", "Proxy-Authenticate: Digest "},
        {"302", "Contact: <sip:sipreplyd@127.0.0.1:5060>"},
        {"405", "Allow: ACK, CANCEL"},
        {"421", "Require: "},
        {"422", "Min-SE: 90"},
        {"423", "Min-Expires: 60"},
        {"503", "Retry-After: 30"},
        {"200", "Content-Type: application/sdp"},
        {"200", "Contact: <sip:sipreplyd@"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        eh_cap c = {0};
        sd_engine *e = engine_from(sd_default_config, &c);
        char uri[64], br[32];
        snprintf(uri, sizeof(uri), "sip:%s@127.0.0.1", cases[i].user);
        snprintf(br, sizeof(br), "z9hG4bKc%zu", i);
        char *r = request("INVITE", uri, br, NULL, NULL, 1, NULL);
        feed(e, &c, r, SR_TP_UDP);
        assert_int_equal(c.n, 1);
        assert_int_equal(eh_status(c.s[0].data), atoi(cases[i].user));
        if (!eh_has(&c.s[0], cases[i].line))
            fail_msg("%s: no '%s' in\n%s", cases[i].user, cases[i].line, c.s[0].data);
        free(r);
        eh_cap_clear(&c);
        sd_engine_free(e);
    }
}

/* Every registered final code can be dialled and is answered with that code (the builder
 * supplies what each requires); a provisional code is sent then followed by 200. */
static void test_default_every_registered_code(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    unsigned n = 0;
    for (int code = 100; code < 700; code++) {
        if (!sr_status_is_registered(code))
            continue;
        char uri[64], br[32];
        snprintf(uri, sizeof(uri), "sip:%d@127.0.0.1", code);
        snprintf(br, sizeof(br), "z9hG4bKall%d", code);
        char *r = request("INVITE", uri, br, NULL, NULL, 1, NULL);
        eh_cap_clear(&c);
        feed(e, &c, r, SR_TP_UDP);
        free(r);
        if (code == 100) {
            /* 100 Trying, then the 200 */
            eh_advance(e, &c.now, c.now + 1000);
            assert_int_equal(eh_status(c.s[0].data), 100);
            assert_int_equal(eh_status(c.s[c.n - 1].data), 200);
        } else if (code < 200) {
            assert_int_equal(eh_status(c.s[0].data), (unsigned)code);
            eh_advance(e, &c.now, c.now + 1000);
            assert_int_equal(eh_status(c.s[c.n - 1].data), 200);
        } else {
            if (c.n < 1 || eh_status(c.s[0].data) != (unsigned)code)
                fail_msg("dialled %d, got %s", code, codes(&c));
        }
        n++;
    }
    assert_int_equal(n, 75);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* Dial a code sends what was dialled, registered or not: every code 100-699, a legacy one
 * (409) with its legacy phrase, an unregistered one with its class's; never the 500 of a
 * response that could not be built. */
static void test_default_every_code_100_699(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    for (int code = 100; code < 700; code++) {
        if (code == 401 || code == 407)
            continue; /* the challenge rules */
        char uri[64], br[32];
        snprintf(uri, sizeof(uri), "sip:%d@127.0.0.1", code);
        snprintf(br, sizeof(br), "z9hG4bKany%d", code);
        char *r = request("INVITE", uri, br, NULL, NULL, 1, NULL);
        eh_cap_clear(&c);
        c.logs = 0;
        feed(e, &c, r, SR_TP_UDP);
        free(r);
        if (code == 100)
            eh_advance(e, &c.now, c.now + 1000);
        if (c.n < 1 || eh_status(c.s[0].data) != (unsigned)code)
            fail_msg("dialled %d, got %s", code, codes(&c));
        if (code >= 200 && (c.logs != 1 || c.last_code != (unsigned)code))
            fail_msg("dialled %d, logged %u (%s)", code, c.last_code, c.last_note);
        if (code == 409)
            assert_true(eh_has(&c.s[0], "SIP/2.0 409 Conflict\r\n"));
        if (code == 450)
            assert_true(eh_has(&c.s[0], "SIP/2.0 450 Bad Request\r\n"));
        eh_advance(e, &c.now, c.now + 1000); /* a provisional's 200 */
    }
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* Every response dial a code sends for a registered code, to an INVITE and to an OPTIONS,
 * passes the linter (lint.h) without a finding, SHOULDs included: the builder supplies what
 * each code MUST carry, the default configuration what it SHOULD (417
 * Accept-Resource-Priority, 488 and 606 Warning). One exception, by design
 * (docs/sipreplyd.md "The embedded default"): 489 carries no Allow-Events, since sipreplyd
 * serves no event package and an Allow-Events lists at least one (RFC 6665 §8.3.2, and its
 * grammar). */
static void test_default_lint_clean(void **state)
{
    (void)state;
    static const char *const methods[] = {"INVITE", "OPTIONS"};
    char report[4096] = "";
    size_t rn = 0, checked = 0;
    for (size_t mi = 0; mi < 2; mi++) {
        eh_cap c = {0};
        sd_engine *e = engine_from(sd_default_config, &c);
        for (int code = 100; code < 700; code++) {
            if (!sr_status_is_registered(code))
                continue;
            char uri[64], br[32];
            snprintf(uri, sizeof(uri), "sip:%d@127.0.0.1", code);
            snprintf(br, sizeof(br), "z9hG4bKl%zu%d", mi, code);
            char *r = request(methods[mi], uri, br, NULL, NULL, 1, NULL);
            sr_msg *req = NULL;
            assert_int_equal(sr_msg_parse(&req, r, strlen(r), NULL, NULL), 0);
            eh_cap_clear(&c);
            feed(e, &c, r, SR_TP_UDP);
            eh_advance(e, &c.now, c.now + 1000); /* a provisional's 200 */
            free(r);
            for (size_t i = 0; i < c.n; i++) {
                sr_msg *m = NULL;
                assert_int_equal(sr_msg_parse(&m, c.s[i].data, c.s[i].len, NULL, NULL), 0);
                sr_lint_finding f[8];
                size_t nf = sr_lint_pair(m, req, NULL, f, 8);
                checked++;
                for (size_t k = 0; k < nf && k < 8; k++) {
                    if (code == 489 && !strcmp(f[k].rule->id, "R-RESP-CODE-HEADER-SHOULD") &&
                        f[k].arg && !strcmp(f[k].arg, "Allow-Events"))
                        continue; /* by design: see above */
                    if (rn < sizeof(report))
                        rn += (size_t)snprintf(
                            report + rn, sizeof(report) - rn, "%s %d -> %u: %s (%s)\n", methods[mi],
                            code, sr_msg_status(m), f[k].rule->id, f[k].arg ? f[k].arg : "");
                }
                sr_msg_free(m);
            }
            sr_msg_free(req);
            eh_advance(e, &c.now, c.now + 64000); /* every transaction over */
        }
        eh_cap_clear(&c);
        sd_engine_free(e);
    }
    assert_true(checked >= 150);
    if (rn)
        fail_msg("lint findings in dial a code's responses:\n%s", report);
}

/* A UAC following sip:302@'s redirect (baresip, linphone, twinkle do) reaches something
 * that answers: the Contact's INVITE gets 200. */
static void test_default_302_followed(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    char *r = request("INVITE", "sip:302@127.0.0.1", "z9hG4bKf1", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "302");
    const char *ct = strstr(c.s[0].data, "\r\nContact: <");
    assert_non_null(ct);
    char target[128];
    snprintf(target, sizeof(target), "%.*s", (int)strcspn(ct + 12, ">"), ct + 12);
    char *r2 = request("INVITE", target, "z9hG4bKf2", NULL, NULL, 1, NULL);
    eh_cap_clear(&c);
    feed(e, &c, r2, SR_TP_UDP);
    if (c.n < 1 || eh_status(c.s[0].data) != 200)
        fail_msg("INVITE %s after the 302: %s", target, codes(&c));
    assert_string_equal(c.last_rule, "contact");
    free(r);
    free(r2);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_default_provisional_then_200(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    char *r = request("INVITE", "sip:180@127.0.0.1", "z9hG4bKp1", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "180");
    assert_int_equal(sd_engine_pending(e), 1);
    eh_advance(e, &c.now, 999);
    assert_string_equal(codes(&c), "180");
    eh_advance(e, &c.now, 1000);
    assert_string_equal(codes(&c), "180,200");
    assert_int_equal(c.s[1].at, 1000);
    assert_int_equal(sd_engine_pending(e), 0);
    /* same To tag on both */
    char t1[64];
    snprintf(t1, sizeof(t1), "%s", eh_to_tag(c.s[0].data));
    assert_string_equal(t1, eh_to_tag(c.s[1].data));
    free(r);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* RFC 3261 13.3.1.4: the 2xx to an INVITE is resent at T1, 2*T1, ... capped at T2 until the
 * ACK (a transaction of its own, matched by Call-ID, CSeq number and To tag), and for 64*T1
 * at most. */
static void test_2xx_resent_until_ack(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    g_callid = "dlg-2xx";
    char *r = request("INVITE", "sip:200@127.0.0.1", "z9hG4bKr1", NULL, NULL, 1, NULL);
    char *other = request("ACK", "sip:sipreplyd@127.0.0.1", "z9hG4bKa9", NULL, NULL, 1, "x");
    g_callid = NULL;
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "200");
    assert_int_equal(sd_engine_pending(e), 0); /* sent: nothing in flight any more */
    eh_advance(e, &c.now, 499);
    assert_int_equal(c.n, 1);
    eh_advance(e, &c.now, 3500);
    assert_string_equal(codes(&c), "200,200,200,200");
    assert_int_equal(c.s[1].at, 500);
    assert_int_equal(c.s[2].at, 1500);
    assert_int_equal(c.s[3].at, 3500);
    assert_string_equal(c.s[3].data, c.s[0].data); /* the same bytes */
    /* an ACK of another dialog changes nothing; the right one stops the resending */
    char tag[64];
    snprintf(tag, sizeof(tag), "%s", eh_to_tag(c.s[0].data));
    feed(e, &c, other, SR_TP_UDP);
    eh_advance(e, &c.now, 7500);
    assert_int_equal(c.n, 5);
    g_callid = "dlg-2xx";
    char *ack = request("ACK", "sip:sipreplyd@127.0.0.1", "z9hG4bKa1", NULL, NULL, 1, tag);
    g_callid = NULL;
    feed(e, &c, ack, SR_TP_UDP);
    eh_advance(e, &c.now, 40000);
    assert_int_equal(c.n, 5);
    free(r);
    free(other);
    free(ack);
    eh_cap_clear(&c);
    sd_engine_free(e);

    /* no ACK: T2 caps the interval, and after 64*T1 it stops */
    e = engine_from(sd_default_config, &c);
    c.now = 0;
    r = request("INVITE", "sip:200@127.0.0.1", "z9hG4bKr2", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    eh_advance(e, &c.now, 60000);
    /* 0, 500, 1500, 3500, then every 4000 ms up to 31500; at 64*T1 with no ACK, the dialog
     * ends with a BYE (RFC 3261 §13.3.1.4), resent as a non-INVITE request is (nobody answers
     * it here: 500, 1500, 3500, ... ms after, until Timer F) */
    assert_int_equal(c.n, 21);
    assert_string_equal(c.s[12].data, c.s[11].data);
    assert_int_equal(c.s[12].at, 32500);
    assert_int_equal(c.s[4].at, 7500);
    assert_int_equal(c.s[10].at, 31500);
    assert_int_equal(c.s[11].at, 32000);
    assert_true(strncmp(c.s[11].data, "BYE ", 4) == 0);
    assert_int_equal(sd_engine_dialogs(e), 0);
    free(r);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_default_options_and_404(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    char *r = request("OPTIONS", "sip:127.0.0.1", "z9hG4bKo1", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "200");
    assert_true(eh_has(&c.s[0], "Allow: INVITE"));
    assert_true(eh_has(&c.s[0], "Accept: application/sdp"));
    assert_true(eh_has(&c.s[0], "Supported: 100rel"));
    free(r);
    r = request("INVITE", "sip:bob@127.0.0.1", "z9hG4bKo2", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "200,404");
    assert_string_equal(c.last_rule, "default");
    free(r);
    /* OPTIONS to a code gets what an INVITE would (RFC 3261 §11.2) */
    r = request("OPTIONS", "sip:486@127.0.0.1", "z9hG4bKo3", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "200,404,486");
    free(r);
    /* a provisional code to a non-INVITE: the provisional is skipped, 200 after the delay */
    r = request("MESSAGE", "sip:180@127.0.0.1", "z9hG4bKo4", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "200,404,486");
    eh_advance(e, &c.now, 1000);
    /* the 404 to the INVITE is retransmitted at T1 (Timer G), then the MESSAGE gets 200 */
    assert_string_equal(codes(&c), "200,404,486,404,200");
    free(r);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* ------------------------------------------------------------------ sequences */

static void test_sequence_with_delays(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from("rules:\n"
                               "  - name: busy-later\n"
                               "    match: {user: bob}\n"
                               "    respond: [180, {code: 486, delay: 2s, retry-after: 120}]\n",
                               &c);
    char *r = request("INVITE", "sip:bob@127.0.0.1", "z9hG4bKs1", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "180");
    eh_advance(e, &c.now, 1999);
    assert_string_equal(codes(&c), "180");
    eh_advance(e, &c.now, 2000);
    assert_string_equal(codes(&c), "180,486");
    assert_true(eh_has(&c.s[1], "Retry-After: 120"));
    free(r);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_queued_182_repeated(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(
        "rules:\n"
        "  - match: {user: queue}\n"
        "    respond:\n"
        "      - {code: 182, reason: \"5 calls queued; expected waiting time is 15 minutes\",\n"
        "         repeat: 3, interval: 10s}\n"
        "      - {code: 200, delay: 10s}\n",
        &c);
    char *r = request("INVITE", "sip:queue@127.0.0.1", "z9hG4bKq1", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    eh_advance(e, &c.now, 30000); /* (no ACK comes: from 30500 the 200 is resent) */
    assert_string_equal(codes(&c), "182,182,182,200");
    assert_int_equal(c.s[1].at, 10000);
    assert_int_equal(c.s[2].at, 20000);
    assert_int_equal(c.s[3].at, 30000);
    assert_true(
        eh_has(&c.s[0], "SIP/2.0 182 5 calls queued; expected waiting time is 15 minutes\r\n"));
    free(r);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_wait_for_cancel(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from("rules:\n"
                               "  - name: ring-forever\n"
                               "    respond: [180, {wait: cancel}]\n",
                               &c);
    char *r = request("INVITE", "sip:x@127.0.0.1", "z9hG4bKw1", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    eh_advance(e, &c.now, 60000);
    assert_string_equal(codes(&c), "180");
    assert_int_equal(sd_engine_pending(e), 1);
    char *cn = request("CANCEL", "sip:x@127.0.0.1", "z9hG4bKw1", NULL, NULL, 1, NULL);
    feed(e, &c, cn, SR_TP_UDP);
    /* 200 to the CANCEL, 487 to the INVITE (RFC 3261 §9.2) */
    assert_string_equal(codes(&c), "180,200,487");
    /* RFC 3261 §9.2: the 200 to the CANCEL has the To tag of the 180 and the 487 */
    char t180[64];
    snprintf(t180, sizeof(t180), "%s", eh_to_tag(c.s[0].data));
    assert_string_equal(eh_to_tag(c.s[1].data), t180);
    assert_string_equal(eh_to_tag(c.s[2].data), t180);
    assert_int_equal(sd_engine_pending(e), 0);
    assert_int_equal(c.last_code, 487);
    assert_string_equal(c.last_rule, "ring-forever");
    /* a caller that never cancels: 408 after three minutes */
    char *r2 = request("INVITE", "sip:x@127.0.0.1", "z9hG4bKw2", NULL, NULL, 1, NULL);
    feed(e, &c, r2, SR_TP_UDP);
    uint64_t t0 = c.now;
    eh_cap_clear(&c); /* (the first call's 487 is retransmitted meanwhile: it was not ACKed) */
    eh_advance(e, &c.now, t0 + 179999);
    for (size_t i = 0; i < c.n; i++)
        assert_false(eh_has(&c.s[i], "CSeq: 1 INVITE") && eh_has(&c.s[i], "z9hG4bKw2;"));
    eh_advance(e, &c.now, t0 + 180000);
    assert_int_equal(eh_status(c.s[c.n - 1].data), 408);
    assert_true(eh_has(&c.s[c.n - 1], "branch=z9hG4bKw2;"));
    assert_int_equal(sd_engine_pending(e), 0);
    free(r2);
    free(r);
    free(cn);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_no_answer_then_408_cancel_race(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from("rules:\n"
                               "  - respond: [180, {code: 408, delay: 30s}]\n",
                               &c);
    char *r = request("INVITE", "sip:x@127.0.0.1", "z9hG4bKn1", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    eh_advance(e, &c.now, 30000);
    assert_string_equal(codes(&c), "180,408");
    /* a CANCEL after the final: 200 to the CANCEL, no 487 */
    char *cn = request("CANCEL", "sip:x@127.0.0.1", "z9hG4bKn1", NULL, NULL, 1, NULL);
    feed(e, &c, cn, SR_TP_UDP);
    assert_string_equal(codes(&c), "180,408,200");
    free(r);
    free(cn);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_reliable_183_prack(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from("rules:\n"
                               "  - respond:\n"
                               "      - {code: 183, reliable: auto, sdp: true}\n"
                               "      - {code: 180, reliable: auto}\n"
                               "      - {code: 200, delay: 1s}\n",
                               &c);
    char *r =
        request("INVITE", "sip:x@127.0.0.1", "z9hG4bKr1", "Supported: 100rel\r\n", NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "183");
    assert_true(eh_has(&c.s[0], "Require: 100rel"));
    assert_true(eh_has(&c.s[0], "RSeq: "));
    assert_true(eh_has(&c.s[0], "c=IN IP4 127.0.0.1"));
    /* the 180 waits for the PRACK of the 183 (RFC 3262 §3) */
    eh_advance(e, &c.now, 100);
    assert_string_equal(codes(&c), "183");
    unsigned rseq = (unsigned)strtoul(strstr(c.s[0].data, "RSeq: ") + 6, NULL, 10);
    char rack[64];
    snprintf(rack, sizeof(rack), "RAck: %u 1 INVITE\r\n", rseq);
    char tag[64];
    snprintf(tag, sizeof(tag), "%s", eh_to_tag(c.s[0].data));
    g_callid = "z9hG4bKr1";
    char *pr = request("PRACK", "sip:x@127.0.0.1", "z9hG4bKr2", rack, NULL, 2, tag);
    g_callid = NULL;
    feed(e, &c, pr, SR_TP_UDP);
    assert_string_equal(codes(&c), "183,200,180");
    assert_true(eh_has(&c.s[1], "CSeq: 2 PRACK"));
    assert_true(eh_has(&c.s[2], "Require: 100rel"));
    /* the final 200 is not held: the 180 carried no SDP */
    eh_advance(e, &c.now, 2000);
    assert_int_equal(eh_status(c.s[c.n - 1].data), 200);
    assert_true(eh_has(&c.s[c.n - 1], "CSeq: 1 INVITE"));
    /* the SDP went reliably in the 183: not again in the 200 */
    assert_false(eh_has(&c.s[c.n - 1], "application/sdp"));
    free(r);
    free(pr);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* An INVITE with an SDP offer and Require: 100rel. */
static char *invite_sdp_100rel(const char *uri, const char *branch)
{
    static const char sdp[] = "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
                              "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    return request_sdp("INVITE", uri, branch, "Require: 100rel\r\n", NULL, 1, NULL, sdp);
}

static size_t count_code(const eh_cap *c, unsigned code)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        n += eh_status(c->s[i].data) == code;
    return n;
}

/* RFC 3262 §3: a reliable 183 with SDP never PRACKed: no 2xx ever (the UAS MUST NOT send
 * one before the PRACK), and once its retransmissions stop (64*T1) the INVITE is rejected
 * with a 5xx; the log says what went on the wire, not the 200 the rule planned. */
static void test_reliable_183_never_pracked(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    char *r = invite_sdp_100rel("sip:183@127.0.0.1", "z9hG4bKnp1");
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "183");
    assert_true(eh_has(&c.s[0], "RSeq: "));
    eh_advance(e, &c.now, 1000); /* the rule's 200 is due: held by the stack, not logged */
    assert_int_equal(count_code(&c, 200), 0);
    assert_int_equal(c.logs, 0);
    assert_int_equal(sd_engine_pending(e), 1);
    eh_advance(e, &c.now, 60000);
    assert_int_equal(count_code(&c, 200), 0);
    assert_true(count_code(&c, 500) >= 1); /* (resent by Timer G: nobody ACKs it) */
    assert_true(count_code(&c, 183) > 1);  /* retransmitted until 64*T1 */
    assert_int_equal(c.logs, 1);
    assert_int_equal(c.last_code, 500);
    assert_string_equal(c.last_note, "no PRACK");
    assert_int_equal(sd_engine_pending(e), 0);
    assert_int_equal(sd_engine_counters(e)->responses[200], 0);
    free(r);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* The held 200 is logged when the PRACK lets it go, and resent until the ACK from then. */
static void test_held_200_logged_when_sent(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    char *r = invite_sdp_100rel("sip:183@127.0.0.1", "z9hG4bKhp1");
    feed(e, &c, r, SR_TP_UDP);
    eh_advance(e, &c.now, 2000);
    assert_int_equal(count_code(&c, 200), 0);
    assert_int_equal(c.logs, 0);
    unsigned rseq = (unsigned)strtoul(strstr(c.s[0].data, "RSeq: ") + 6, NULL, 10);
    char rack[64], tag[64];
    snprintf(rack, sizeof(rack), "RAck: %u 1 INVITE\r\n", rseq);
    snprintf(tag, sizeof(tag), "%s", eh_to_tag(c.s[0].data));
    g_callid = "z9hG4bKhp1";
    char *pr = request("PRACK", "sip:183@127.0.0.1", "z9hG4bKhp2", rack, NULL, 2, tag);
    g_callid = NULL;
    eh_cap_clear(&c);
    feed(e, &c, pr, SR_TP_UDP);
    assert_string_equal(codes(&c), "200,200"); /* the PRACK's, then the INVITE's */
    assert_true(eh_has(&c.s[1], "CSeq: 1 INVITE"));
    assert_int_equal(c.logs, 1);
    assert_int_equal(c.last_code, 200);
    assert_string_equal(c.last_note, "");
    /* resent from the PRACK on (RFC 3261 13.3.1.4) */
    eh_advance(e, &c.now, c.now + 500);
    assert_int_equal(eh_status(c.s[c.n - 1].data), 200);
    assert_true(eh_has(&c.s[c.n - 1], "CSeq: 1 INVITE"));
    free(r);
    free(pr);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* A CANCEL while the 200 is held: 487 on the wire, and in the log (cancelled). */
static void test_held_200_cancelled_logs_487(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    char *r = invite_sdp_100rel("sip:183@127.0.0.1", "z9hG4bKhc1");
    feed(e, &c, r, SR_TP_UDP);
    eh_advance(e, &c.now, 1500);
    char *cn = request("CANCEL", "sip:183@127.0.0.1", "z9hG4bKhc1", NULL, NULL, 1, NULL);
    eh_cap_clear(&c);
    feed(e, &c, cn, SR_TP_UDP);
    assert_string_equal(codes(&c), "200,487");
    assert_int_equal(c.logs, 1);
    assert_int_equal(c.last_code, 487);
    assert_string_equal(c.last_note, "cancelled");
    assert_int_equal(sd_engine_pending(e), 0);
    eh_advance(e, &c.now, 60000);
    assert_int_equal(count_code(&c, 500), 0);
    for (size_t i = 0; i < c.n; i++)
        assert_false(eh_status(c.s[i].data) == 200 && eh_has(&c.s[i], "CSeq: 1 INVITE"));
    free(r);
    free(cn);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* The o= line of a sent SDP ("" when none), into @p out. */
static const char *o_line(const eh_sent *s, char *out, size_t outlen)
{
    const char *o = strstr(s->data, "\r\no=");
    out[0] = '\0';
    if (o)
        snprintf(out, outlen, "%.*s", (int)strcspn(o + 2, "\r"), o + 2);
    return out;
}

/* RFC 4566 §5.2: the o= sess-id identifies the session: another per call, the same (with
 * the same sess-version) in every SDP of one call whose description did not change. */
static void test_sdp_origin_per_call(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    char o1[128], o2[128], o3[128];
    char *r1 = request("INVITE", "sip:200@127.0.0.1", "z9hG4bKo1", NULL, NULL, 1, NULL);
    char *r2 = request("INVITE", "sip:200@127.0.0.1", "z9hG4bKo2", NULL, NULL, 1, NULL);
    feed(e, &c, r1, SR_TP_UDP);
    feed(e, &c, r2, SR_TP_UDP);
    assert_string_equal(codes(&c), "200,200");
    o_line(&c.s[0], o1, sizeof(o1));
    o_line(&c.s[1], o2, sizeof(o2));
    assert_true(strncmp(o1, "o=sipreplyd ", 12) == 0);
    assert_string_not_equal(o1, o2);
    /* one call, two SDPs (an unreliable 183 to an offer, then the 200): one o= line */
    char *r3 = invite_sdp_100rel("sip:183@127.0.0.1", "z9hG4bKo3");
    char *req = strstr(r3, "Require: 100rel\r\n");
    memcpy(req, "X-Other: 100rel\r\n", 17); /* no 100rel: the 183 is not reliable */
    eh_cap_clear(&c);
    feed(e, &c, r3, SR_TP_UDP);
    eh_advance(e, &c.now, c.now + 1000);
    /* (the first calls' 200s are resent meanwhile, not being ACKed: skipped) */
    size_t n183 = 0, n200 = 0;
    o3[0] = '\0';
    for (size_t i = 0; i < c.n; i++) {
        if (!eh_has(&c.s[i], "branch=z9hG4bKo3;"))
            continue;
        unsigned st = eh_status(c.s[i].data);
        assert_true(st == (n183 ? 200u : 183u));
        if (st == 183)
            o_line(&c.s[i], o3, sizeof(o3));
        else
            assert_string_equal(o_line(&c.s[i], o2, sizeof(o2)), o3);
        n183 += st == 183;
        n200 += st == 200;
    }
    if (n183 != 1 || n200 != 1)
        fail_msg("%s; first:\n%s", codes(&c), c.n ? c.s[0].data : "");
    assert_true(strncmp(o3, "o=sipreplyd ", 12) == 0);
    assert_string_not_equal(o3, o1);
    free(r1);
    free(r2);
    free(r3);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_unreliable_without_100rel(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from("rules:\n"
                               "  - respond: [{code: 183, reliable: auto}, 200]\n",
                               &c);
    char *r = request("INVITE", "sip:x@127.0.0.1", "z9hG4bKu1", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "183,200");
    assert_false(eh_has(&c.s[0], "RSeq"));
    free(r);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_weighted_choice(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from("seed: 7\n"
                               "rules:\n"
                               "  - respond:\n"
                               "      choose:\n"
                               "        - {weight: 3, respond: 486}\n"
                               "        - {weight: 1, respond: 503}\n",
                               &c);
    unsigned n486 = 0, n503 = 0;
    for (int i = 0; i < 400; i++) {
        char br[32];
        snprintf(br, sizeof(br), "z9hG4bKwc%d", i);
        char *r = request("INVITE", "sip:x@127.0.0.1", br, NULL, NULL, 1, NULL);
        feed(e, &c, r, SR_TP_UDP);
        free(r);
        unsigned s = eh_status(c.s[0].data);
        n486 += s == 486;
        n503 += s == 503;
        eh_cap_clear(&c);
    }
    assert_int_equal(n486 + n503, 400);
    /* 3:1 within a wide margin */
    assert_in_range(n486, 250, 350);
    sd_engine_free(e);
}

/* ------------------------------------------------------------------ stateless */

/* An engine with one rule: INVITE to user 486 answered 486 statelessly. */
static sd_engine *stateless_engine(eh_cap *c)
{
    return engine_from("rules:\n"
                       "  - name: sl\n"
                       "    match: {user: \"486\"}\n"
                       "    stateless: 486\n",
                       c);
}

/* An INVITE on @p branch fed to @p e, answered 486; the To tag of that 486 in @p tag. Returns
 * the INVITE (free it). */
static char *stateless_invite(sd_engine *e, eh_cap *c, const char *branch, char tag[64])
{
    char *r = request("INVITE", "sip:486@127.0.0.1", branch, NULL, NULL, 1, NULL);
    feed(e, c, r, SR_TP_UDP);
    assert_int_equal(eh_status(c->s[c->n - 1].data), 486);
    snprintf(tag, 64, "%s", eh_to_tag(c->s[c->n - 1].data));
    return r;
}

static void test_stateless_and_ack_absorbed(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = stateless_engine(&c);
    char *r = request("INVITE", "sip:486@127.0.0.1", "z9hG4bKsl1", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    feed(e, &c, r, SR_TP_UDP); /* a retransmission: same answer, same tag */
    assert_string_equal(codes(&c), "486,486");
    assert_string_equal(c.s[0].data, c.s[1].data);
    assert_int_equal(sd_engine_transactions(e), 0);
    /* no 100 Trying even later */
    eh_advance(e, &c.now, 5000);
    assert_int_equal(c.n, 2);
    char tag[64];
    snprintf(tag, sizeof(tag), "%s", eh_to_tag(c.s[0].data));
    char *ack = request("ACK", "sip:486@127.0.0.1", "z9hG4bKsl1", NULL, NULL, 1, tag);
    feed(e, &c, ack, SR_TP_UDP);
    assert_int_equal(c.n, 2);
    assert_int_equal(sd_engine_counters(e)->acks_absorbed, 1);
    assert_int_equal(sd_engine_transactions(e), 0);
    /* RFC 3261 §8.2.7: a stateless UAS ignores CANCEL (no 481, no transaction) */
    char *cn = request("CANCEL", "sip:486@127.0.0.1", "z9hG4bKsl1", NULL, NULL, 1, NULL);
    feed(e, &c, cn, SR_TP_UDP);
    assert_int_equal(c.n, 2);
    assert_int_equal(sd_engine_transactions(e), 0);
    free(cn);
    free(r);
    free(ack);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* Without a stateless rule, the ACK for a transaction's non-2xx final is absorbed by the
 * transaction (RFC 3261 §17.2.1; the engine reads it with sr_stack_parse_absorb_ack): no answer,
 * no drop, Timer G stops (the 486 is not sent again), Timer I ends it (UDP) or it ends at once
 * (TCP). ACKs for 2xx in between (more than SD_ACK_HEAD_MISSES of them, the TU's, §13.2.2.4)
 * stop their 2xx; the next 486's ACK, parsed whole then, is absorbed the same. */
static void test_stateful_ack_absorbed(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    char *r = request("INVITE", "sip:486@127.0.0.1", "z9hG4bKst1", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "486");
    eh_advance(e, &c.now, 600); /* Timer G: the 486 again at 500 ms */
    assert_string_equal(codes(&c), "486,486");
    char tag[64];
    snprintf(tag, sizeof(tag), "%s", eh_to_tag(c.s[0].data));
    char *ack = request("ACK", "sip:486@127.0.0.1", "z9hG4bKst1", NULL, NULL, 1, tag);
    feed(e, &c, ack, SR_TP_UDP);
    assert_int_equal(c.n, 2);
    assert_int_equal(sd_engine_transactions(e), 1); /* Confirmed until Timer I */
    feed(e, &c, ack, SR_TP_UDP);                    /* a retransmission: absorbed too */
    eh_advance(e, &c.now, 20000);
    assert_int_equal(c.n, 2); /* no 486 after the ACK */
    assert_int_equal(sd_engine_transactions(e), 0);
    free(r);
    free(ack);

    /* TCP: the ACK ends the transaction at once */
    r = request("INVITE", "sip:486@127.0.0.1", "z9hG4bKst2", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_TCP);
    assert_int_equal(c.n, 3);
    snprintf(tag, sizeof(tag), "%s", eh_to_tag(c.s[2].data));
    ack = request("ACK", "sip:486@127.0.0.1", "z9hG4bKst2", NULL, NULL, 1, tag);
    feed(e, &c, ack, SR_TP_TCP);
    assert_int_equal(sd_engine_transactions(e), 0);
    free(r);
    free(ack);

    /* ACKs for 2xx, each stopping its 2xx, then a 486 ACKed */
    char br[32];
    for (int i = 0; i < 12; i++) {
        char abr[32];
        snprintf(br, sizeof br, "z9hG4bKok%d", i);
        snprintf(abr, sizeof abr, "z9hG4bKokack%d", i);
        g_callid = br; /* the ACK in the INVITE's dialog, on a branch of its own */
        r = request("INVITE", "sip:200@127.0.0.1", br, NULL, NULL, 1, NULL);
        feed(e, &c, r, SR_TP_UDP);
        assert_int_equal(eh_status(c.s[c.n - 1].data), 200);
        snprintf(tag, sizeof(tag), "%s", eh_to_tag(c.s[c.n - 1].data));
        char *a2 = request("ACK", "sip:sipreplyd@127.0.0.1", abr, NULL, NULL, 1, tag);
        g_callid = NULL;
        feed(e, &c, a2, SR_TP_UDP);
        free(r);
        free(a2);
    }
    size_t sent = c.n;
    eh_advance(e, &c.now, c.now + 40000);
    assert_int_equal(c.n, sent); /* every 2xx stopped by its ACK */
    r = request("INVITE", "sip:486@127.0.0.1", "z9hG4bKst3", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_int_equal(c.n, sent + 1);
    snprintf(tag, sizeof(tag), "%s", eh_to_tag(c.s[c.n - 1].data));
    ack = request("ACK", "sip:486@127.0.0.1", "z9hG4bKst3", NULL, NULL, 1, tag);
    feed(e, &c, ack, SR_TP_UDP);
    eh_advance(e, &c.now, c.now + 40000);
    assert_int_equal(c.n, sent + 1); /* no 486 after the ACK */
    assert_int_equal(sd_engine_transactions(e), 0);
    assert_int_equal(sd_engine_counters(e)->dropped, 0);
    free(r);
    free(ack);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* The ACK of a stateless 486 is recognised from its head (sr_build_parse_absorb_ack): counted
 * as before (a request, absorbed, nothing sent, nothing logged), while an ACK of ours whose
 * head does not parse is dropped and logged as any unparseable datagram, and an ACK with
 * another To tag goes on to the stack as before (RFC 3261 §17.2.1, §8.2.7). */
static void test_stateless_ack_from_head(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = stateless_engine(&c);
    char tag[64];
    char *r = stateless_invite(e, &c, "z9hG4bKah1", tag);
    assert_string_equal(codes(&c), "486");
    const sd_counters *k = sd_engine_counters(e);
    uint64_t acks = k->requests[SR_METHOD_ACK];
    unsigned logs = c.logs;

    /* ours: absorbed, counted, no answer and no log record */
    char *ack = request("ACK", "sip:486@127.0.0.1", "z9hG4bKah1", NULL, NULL, 1, tag);
    feed(e, &c, ack, SR_TP_UDP);
    assert_int_equal(k->acks_absorbed, 1);
    assert_int_equal(k->requests[SR_METHOD_ACK], acks + 1);
    assert_int_equal(k->dropped, 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.logs, logs);

    /* ours with a second, bad Max-Forwards (an eager value that does not parse; the message
     * does): absorbed as well */
    char *ack_mf =
        request("ACK", "sip:486@127.0.0.1", "z9hG4bKah1", "Max-Forwards: many\r\n", NULL, 1, tag);
    feed(e, &c, ack_mf, SR_TP_UDP);
    assert_int_equal(k->acks_absorbed, 2);
    assert_int_equal(k->requests[SR_METHOD_ACK], acks + 2);

    /* the same tag in a head that does not parse (a line without a colon; a second
     * Content-Length that disagrees): dropped and logged, not absorbed */
    char *bad_line =
        request("ACK", "sip:486@127.0.0.1", "z9hG4bKah1", "No colon here\r\n", NULL, 1, tag);
    feed(e, &c, bad_line, SR_TP_UDP);
    assert_int_equal(k->dropped, 1);
    assert_int_equal(c.logs, logs + 1);
    assert_true(c.last_dropped);
    assert_string_equal(c.last_note, "dropped: not a SIP message that can be answered");
    char *bad_cl =
        request("ACK", "sip:486@127.0.0.1", "z9hG4bKah1", "Content-Length: 7\r\n", NULL, 1, tag);
    feed(e, &c, bad_cl, SR_TP_UDP);
    assert_int_equal(k->dropped, 2);
    assert_int_equal(c.logs, logs + 2);
    assert_true(c.last_dropped);
    assert_int_equal(k->acks_absorbed, 2);
    assert_int_equal(k->requests[SR_METHOD_ACK], acks + 2);
    assert_int_equal(c.n, 1);

    /* another To tag: not ours, so the stack has it (a stray ACK: counted as a request,
     * nothing sent) */
    char *other =
        request("ACK", "sip:486@127.0.0.1", "z9hG4bKah1", NULL, NULL, 1, "0123456789abcdef");
    feed(e, &c, other, SR_TP_UDP);
    assert_int_equal(k->acks_absorbed, 2);
    assert_int_equal(k->requests[SR_METHOD_ACK], acks + 3);
    assert_int_equal(k->dropped, 2);
    assert_int_equal(c.n, 1);
    assert_int_equal(sd_engine_transactions(e), 0);

    /* ours in compact form (RFC 3261 §7.3.3: v, f, t, i), the Via split over two fields:
     * the top value is the first field's */
    size_t n = strlen(ack) + 64;
    char *compact = malloc(n);
    assert_non_null(compact);
    const char *via = strstr(ack, "Via: ");
    const char *eol = strstr(via, "\r\n");
    snprintf(compact, n, "%.*sv:%.*s\r\nVia: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bKx%s",
             (int)(via - ack), ack, (int)(eol - via - 4), via + 4, eol + 2);
    for (char *q; (q = strstr(compact, "\r\nFrom: ")) != NULL;)
        memmove(q + 3, q + 7, strlen(q + 7) + 1), q[2] = 'f', q[3] = ':';
    for (char *q; (q = strstr(compact, "\r\nCall-ID: ")) != NULL;)
        memmove(q + 3, q + 10, strlen(q + 10) + 1), q[2] = 'i', q[3] = ':';
    for (char *q; (q = strstr(compact, "\r\nTo: ")) != NULL;)
        q[2] = 't', q[3] = ':', q[4] = ' ';
    feed(e, &c, compact, SR_TP_UDP);
    assert_int_equal(k->acks_absorbed, 3);
    assert_int_equal(k->requests[SR_METHOD_ACK], acks + 4);
    assert_int_equal(c.n, 1);

    free(r);
    free(ack);
    free(ack_mf);
    free(bad_line);
    free(bad_cl);
    free(other);
    free(compact);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* After many ACKs that are not ours (a mixed configuration's), the engine stops reading ACK
 * heads first (engine.c, SD_ACK_HEAD_MISSES) and parses them whole: the same ACKs are still
 * absorbed, counted and dropped as with the heads, and one of ours brings the heads back. */
static void test_stateless_ack_after_strays(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = stateless_engine(&c);
    const sd_counters *k = sd_engine_counters(e);
    char *stray =
        request("ACK", "sip:486@127.0.0.1", "z9hG4bKst0", NULL, NULL, 1, "0123456789abcdef");
    for (int i = 0; i < 40; i++)
        feed(e, &c, stray, SR_TP_UDP);
    assert_int_equal(k->requests[SR_METHOD_ACK], 40);
    assert_int_equal(k->acks_absorbed, 0);
    assert_int_equal(c.n, 0);
    for (int call = 0; call < 3; call++) {
        char br[32];
        snprintf(br, sizeof br, "z9hG4bKst%d", call + 1);
        char tag[64];
        char *r = stateless_invite(e, &c, br, tag);
        /* ours with a line that does not parse: dropped and logged, whichever way it is read */
        char *bad = request("ACK", "sip:486@127.0.0.1", br, "No colon here\r\n", NULL, 1, tag);
        uint64_t dropped = k->dropped;
        feed(e, &c, bad, SR_TP_UDP);
        assert_int_equal(k->dropped, dropped + 1);
        assert_true(c.last_dropped);
        char *ack = request("ACK", "sip:486@127.0.0.1", br, NULL, NULL, 1, tag);
        feed(e, &c, ack, SR_TP_UDP);
        assert_int_equal(k->acks_absorbed, (uint64_t)call + 1);
        assert_int_equal(k->requests[SR_METHOD_ACK], 40 + (uint64_t)call * 11 + 1);
        /* strays between the calls: counted as requests, never absorbed */
        for (int i = 0; i < 10; i++)
            feed(e, &c, stray, SR_TP_UDP);
        assert_int_equal(k->requests[SR_METHOD_ACK], 40 + (uint64_t)call + 1 + 10 * (call + 1));
        assert_int_equal(k->acks_absorbed, (uint64_t)call + 1);
        assert_int_equal(c.n, (size_t)call + 1); /* the 486s only */
        free(r);
        free(bad);
        free(ack);
    }
    free(stray);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* ------------------------------------------------------------------ checks and matching */

static void test_uas_checks_first(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from("rules:\n  - respond: 200\n", &c);
    char *r = request("INVITE", "sip:x@127.0.0.1", "z9hG4bKk1", "Require: foo\r\n", NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "420");
    assert_true(eh_has(&c.s[0], "Unsupported: foo"));
    free(r);
    r = request("INVITE", "mailto:x@example.com", "z9hG4bKk2", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "420,416");
    free(r);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_unparseable_gets_400_from_raw_head(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    const char *bad = eh_short_body_invite;
    feed(e, &c, bad, SR_TP_UDP);
    assert_int_equal(c.n, 1);
    assert_int_equal(eh_status(c.s[0].data), 400);
    assert_true(eh_has(&c.s[0], "Call-ID: bad1\r\n"));
    assert_true(eh_has(&c.s[0], "CSeq: 1 INVITE\r\n"));
    /* garbage: dropped, and the next valid request is answered */
    unsigned logs = c.logs;
    feed(e, &c, "\x01\x02garbage\r\n\r\n", SR_TP_UDP);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.logs, logs + 1); /* a debug record of the drop */
    assert_true(c.last_dropped);
    char *r = request("INVITE", "sip:486@127.0.0.1", "z9hG4bKbad2", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "400,486");
    /* parses, but the stack cannot take it (CSeq over 2^32-1, RFC 4475 scalar02): the
     * checks' 400 naming the header */
    const char *big = "OPTIONS sip:486@127.0.0.1 SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKbad3\r\n"
                      "Max-Forwards: 70\r\n"
                      "From: <sip:a@127.0.0.1>;tag=1\r\n"
                      "To: <sip:486@127.0.0.1>\r\n"
                      "Call-ID: bad3\r\n"
                      "CSeq: 36893488147419103232 OPTIONS\r\n"
                      "Content-Length: 0\r\n\r\n";
    feed(e, &c, big, SR_TP_UDP);
    assert_string_equal(codes(&c), "400,486,400");
    assert_true(eh_has(&c.s[2], "SIP/2.0 400 Bad CSeq number\r\n"));
    /* a Request-Line that does not parse (RFC 4475 ltgtruri): 400 with the parser's phrase,
     * the response built from the header fields after it */
    const char *lt = "INVITE <sip:486@127.0.0.1> SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKbad4\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:a@127.0.0.1>;tag=1\r\n"
                     "To: <sip:486@127.0.0.1>\r\n"
                     "Call-ID: bad4\r\n"
                     "CSeq: 1 INVITE\r\n"
                     "Content-Length: 0\r\n\r\n";
    feed(e, &c, lt, SR_TP_UDP);
    assert_string_equal(codes(&c), "400,486,400,400");
    assert_true(eh_has(&c.s[3], "SIP/2.0 400 Request-URI in angle brackets\r\n"));
    assert_true(eh_has(&c.s[3], "Call-ID: bad4\r\n"));
    assert_true(eh_has(&c.s[3], "To: <sip:486@127.0.0.1>;tag="));
    /* not for an ACK */
    feed(e, &c, "ACK <sip:x@h> SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\n\r\n", SR_TP_UDP);
    assert_int_equal(c.n, 4);
    free(r);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_rule_matching(void **state)
{
    (void)state;
    sd_config *cf = NULL;
    sd_config_error err;
    const char *y = "rules:\n"
                    "  - {name: m-method, match: {method: [BYE, INFO]}, respond: 200}\n"
                    "  - {name: m-user, match: {user: alice}, respond: 200}\n"
                    "  - {name: m-re, match: {user-regex: \"^9([0-9]{3})$\"}, respond: 200}\n"
                    "  - {name: m-host, match: {host: EXAMPLE.com}, respond: 200}\n"
                    "  - {name: m-hre, match: {host-regex: \"^10\\\\.\"}, respond: 200}\n"
                    "  - {name: m-hdr, match: {headers: {Subject: \"^urgent\"}}, respond: 200}\n"
                    "  - {name: m-src, match: {source: 192.0.2.0/24}, respond: 200}\n"
                    "  - {name: m-tcp, match: {transport: tcp}, respond: 200}\n";
    if (sd_config_parse(&cf, y, strlen(y), &err) != 0)
        fail_msg("%u:%u %s", err.line, err.column, err.msg);
    sr_addr udp = peer(SR_TP_UDP), tcp = peer(SR_TP_TCP), net;
    sr_addr_set(&net, "192.0.2.9", 5060, SR_TP_UDP);
    const struct {
        const char *method, *uri, *extra;
        const sr_addr *src;
        const char *want;
    } cases[] = {
        {"BYE", "sip:z@h", NULL, &udp, "m-method"},
        {"INVITE", "sip:alice@h", NULL, &udp, "m-user"},
        {"INVITE", "sip:Alice@h", NULL, &udp, "default"},
        {"INVITE", "sip:9123@h", NULL, &udp, "m-re"},
        {"INVITE", "sip:91234@h", NULL, &udp, "default"},
        {"INVITE", "sip:z@example.COM", NULL, &udp, "m-host"},
        {"INVITE", "sip:z@10.1.2.3", NULL, &udp, "m-hre"},
        {"INVITE", "sip:z@h", "Subject: urgent call\r\n", &udp, "m-hdr"},
        {"INVITE", "sip:z@h", "s: urgent\r\n", &udp, "m-hdr"},
        {"INVITE", "sip:z@h", "Subject: not urgent\r\n", &udp, "default"},
        {"INVITE", "sip:z@h", NULL, &net, "m-src"},
        {"INVITE", "sip:z@h", NULL, &tcp, "m-tcp"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *r = request(cases[i].method, cases[i].uri, "z9hG4bKm", cases[i].extra, NULL, 1, NULL);
        sr_msg *m = tu_parse(r, NULL);
        unsigned codes_[SD_MAX_CAPTURES] = {0};
        const sd_rule *rule = sd_rule_find(cf, m, cases[i].src, codes_);
        if (strcmp(rule->name, cases[i].want) != 0)
            fail_msg("case %zu (%s %s): got %s, want %s", i, cases[i].method, cases[i].uri,
                     rule->name, cases[i].want);
        if (!strcmp(cases[i].want, "m-re"))
            assert_int_equal(codes_[1], 123);
        sr_msg_free(m);
        free(r);
    }
    sd_config_free(cf);
}

static void test_redirect_contacts(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from("rules:\n"
                               "  - redirect:\n"
                               "      contacts: [{uri: \"sip:a@192.0.2.1\", q: 1},\n"
                               "                 {uri: \"sip:b@192.0.2.2\", q: 0.5}]\n",
                               &c);
    char *r = request("INVITE", "sip:x@127.0.0.1", "z9hG4bKrd", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "302");
    assert_true(eh_has(&c.s[0], "Contact: <sip:a@192.0.2.1>;q=1\r\n"));
    assert_true(eh_has(&c.s[0], "Contact: <sip:b@192.0.2.2>;q=0.5\r\n"));
    free(r);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_reload_keeps_running_sequence(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e =
        engine_from("rules:\n  - {name: old, respond: [180, {code: 486, delay: 1s}]}\n", &c);
    char *r = request("INVITE", "sip:x@127.0.0.1", "z9hG4bKrl1", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    sd_config *cf = NULL;
    const char *y = "rules:\n  - {name: new, respond: 603}\n";
    assert_int_equal(sd_config_parse(&cf, y, strlen(y), NULL), 0);
    sd_engine_set_config(e, cf);
    char *r2 = request("INVITE", "sip:x@127.0.0.1", "z9hG4bKrl2", NULL, NULL, 1, NULL);
    feed(e, &c, r2, SR_TP_UDP);
    assert_string_equal(codes(&c), "180,603");
    assert_string_equal(c.last_rule, "new");
    eh_advance(e, &c.now, 1000);
    /* the 603 was retransmitted at T1 (Timer G, UDP) */
    assert_string_equal(codes(&c), "180,603,603,486");
    assert_string_equal(c.last_rule, "old");
    free(r);
    free(r2);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

#define NORPORT_FMT                                       \
    "INVITE sip:486@127.0.0.1 SIP/2.0\r\n"                \
    "Via: SIP/2.0/UDP 192.0.2.7%s;branch=z9hG4bKnr%d\r\n" \
    "Max-Forwards: 70\r\n"                                \
    "From: <sip:a@127.0.0.1>;tag=1\r\n"                   \
    "To: <sip:486@127.0.0.1>\r\n"                         \
    "Call-ID: norport%d\r\n"                              \
    "CSeq: 1 INVITE\r\n"                                  \
    "Content-Length: 0\r\n\r\n"

/* RFC 3261 §18.2.2: without rport, a UDP response goes to the Via sent-by port (5060 when
 * none) at the source address. */
static void test_udp_response_without_rport(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    char m[512];
    snprintf(m, sizeof(m), NORPORT_FMT, ":5099", 1, 1);
    feed(e, &c, m, SR_TP_UDP);
    snprintf(m, sizeof(m), NORPORT_FMT, "", 2, 2);
    feed(e, &c, m, SR_TP_UDP);
    assert_string_equal(codes(&c), "486,486");
    assert_string_equal(c.s[0].to.host, "127.0.0.1"); /* the source, not the sent-by host */
    assert_int_equal(c.s[0].to.port, 5099);
    assert_int_equal(c.s[1].to.port, 5060);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_advertise_server_and_templates(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e =
        engine_from("advertise: 192.0.2.1\n"
                    "server: sipreplyd-test\n"
                    "rules:\n"
                    "  - respond:\n"
                    "      - {code: 183, sdp: true}\n"
                    "      - {code: 200, body: \"user {{user}} at {{ip}}:{{port}}\",\n"
                    "         content-type: text/plain, headers: {X-A: [\"1\", \"2\"]}}\n",
                    &c);
    char *r = request("INVITE", "sip:bob@127.0.0.1", "z9hG4bKadv", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "183,200");
    assert_true(eh_has(&c.s[0], "c=IN IP4 192.0.2.1\r\n"));
    assert_true(eh_has(&c.s[0], "Server: sipreplyd-test\r\n"));
    assert_true(eh_has(&c.s[1], "Contact: <sip:sipreplyd@192.0.2.1:5060>\r\n"));
    assert_true(eh_has(&c.s[1], "\r\n\r\nuser bob at 192.0.2.1:5060"));
    assert_true(eh_has(&c.s[1], "X-A: 1\r\nX-A: 2\r\n"));
    free(r);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_tcp_response_on_connection(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    char *r = request("INVITE", "sip:486@127.0.0.1", "z9hG4bKt1", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_TCP);
    assert_string_equal(codes(&c), "486");
    assert_int_equal(c.s[0].to.transport, SR_TP_TCP);
    assert_int_equal(c.s[0].to.conn_id, 77);
    free(r);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_metrics_text(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    char *r = request("INVITE", "sip:486@127.0.0.1", "z9hG4bKmt", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    sr_buf b;
    sr_buf_init(&b, NULL);
    assert_int_equal(sd_engine_metrics(e, &b), 0);
    assert_non_null(strstr(b.p, "sipreplyd_requests_total{method=\"INVITE\"} 1\n"));
    assert_non_null(strstr(b.p, "sipreplyd_responses_total{code=\"486\"} 1\n"));
    assert_non_null(strstr(b.p, "# TYPE sipreplyd_requests_total counter\n"));
    sr_buf_cleanup(&b);
    free(r);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_drain_answers_503(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    /* a call in flight when time runs out gets 503 */
    char *r0 = request("INVITE", "sip:180@127.0.0.1", "z9hG4bKdr0", NULL, NULL, 1, NULL);
    feed(e, &c, r0, SR_TP_UDP);
    assert_int_equal(sd_engine_pending(e), 1);
    sd_engine_drain(e);
    assert_int_equal(sd_engine_abort_pending(e, c.now), 1);
    assert_int_equal(sd_engine_pending(e), 0);
    assert_string_equal(codes(&c), "180,503");
    free(r0);
    eh_cap_clear(&c);
    char *r = request("INVITE", "sip:486@127.0.0.1", "z9hG4bKdr", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "503");
    assert_true(eh_has(&c.s[0], "Retry-After: 5"));
    free(r);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static int rnd(uint8_t *out, size_t n, void *user)
{
    (void)user;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(i * 37 + 11);
    return 0;
}

/* The last response sent, parsed. */
static sr_msg *last_resp(const eh_cap *c)
{
    sr_msg *m = NULL;
    assert_int_equal(sr_msg_parse(&m, c->s[c->n - 1].data, c->s[c->n - 1].len, NULL, NULL), 0);
    return m;
}

/* A request carrying @p user's answer to the challenge in the last response. */
static char *answer_as(const eh_cap *c, const char *user, const char *method, const char *uri,
                       const char *branch, unsigned cseq, const char *password, const char *extra)
{
    sr_msg *ch = last_resp(c);
    sr_auth_client_opts o;
    sr_auth_client_opts_init(&o);
    o.username = sr_str_from_cstr(user);
    o.password = sr_str_from_cstr(password);
    o.method = sr_str_from_cstr(method);
    o.uri = sr_str_from_cstr(uri);
    o.random = rnd;
    sr_buf b;
    sr_buf_init(&b, NULL);
    enum sr_hdr_id hdr;
    assert_int_equal(sr_auth_client_answer(ch, &o, &b, &hdr), 0);
    char head[2048];
    snprintf(head, sizeof(head), "%s: %s\r\n%s", sr_hdr_name(hdr), b.p, extra ? extra : "");
    sr_buf_cleanup(&b);
    sr_msg_free(ch);
    return request(method, uri, branch, head, NULL, cseq, NULL);
}

/* alice's answer to the challenge in the last response. */
static char *answer(const eh_cap *c, const char *method, const char *uri, const char *branch,
                    unsigned cseq, const char *password, const char *extra)
{
    return answer_as(c, "alice", method, uri, branch, cseq, password, extra);
}

/* Dial a code's 401 and 407 are real challenges of the digest server: any user name with
 * the documented password "sipreply" gets 200, a wrong password or a nonce the server never
 * issued is challenged again. */
static void test_default_401_407_challenge(void **state)
{
    (void)state;
    static const struct {
        const char *user;
        const char *challenge;
        const char *ok_rule;
    } cases[] = {
        {"401", "WWW-Authenticate: Digest realm=\"sipreply\"", "dial-401"},
        {"407", "Proxy-Authenticate: Digest realm=\"sipreply\"", "dial-407"},
    };
    for (size_t i = 0; i < 2; i++) {
        eh_cap c = {0};
        sd_engine *e = engine_from(sd_default_config, &c);
        char uri[64], br[4][32];
        snprintf(uri, sizeof(uri), "sip:%s@127.0.0.1", cases[i].user);
        for (int k = 0; k < 4; k++)
            snprintf(br[k], sizeof(br[k]), "z9hG4bKd%s%d", cases[i].user, k);
        g_callid = cases[i].user;
        char *r = request("INVITE", uri, br[0], NULL, NULL, 1, NULL);
        feed(e, &c, r, SR_TP_UDP);
        assert_string_equal(codes(&c), cases[i].user);
        assert_true(eh_has(&c.s[0], cases[i].challenge));
        assert_true(eh_has(&c.s[0], "algorithm=SHA-256"));
        assert_true(eh_has(&c.s[0], "qop=\"auth\""));
        /* MD5 first: UACs that read only the first challenge (sipsak, baresip, SIPp) */
        const char *first = strstr(c.s[0].data, "Authenticate: Digest ");
        assert_non_null(first);
        const char *eol = strstr(first, "\r\n");
        const char *md5 = strstr(first, "algorithm=MD5");
        assert_true(md5 && md5 < eol);
        /* a nonce the server never issued (one digit changed): challenged again */
        char *forged = answer_as(&c, "bob", "INVITE", uri, br[1], 2, "sipreply", NULL);
        char *n = strstr(forged, "nonce=\"");
        assert_non_null(n);
        n[7] = n[7] == '0' ? '1' : '0';
        feed(e, &c, forged, SR_TP_UDP);
        assert_int_equal(c.n, 2);
        assert_int_equal(eh_status(c.s[1].data), (unsigned)atoi(cases[i].user));
        /* wrong password: challenged again */
        char *bad = answer_as(&c, "bob", "INVITE", uri, br[2], 3, "wrong", NULL);
        feed(e, &c, bad, SR_TP_UDP);
        assert_int_equal(c.n, 3);
        assert_int_equal(eh_status(c.s[2].data), (unsigned)atoi(cases[i].user));
        assert_string_equal(c.last_rule, cases[i].ok_rule);
        /* any user name with the password "sipreply": 200 with our SDP */
        char *good = answer_as(&c, "anyone", "INVITE", uri, br[3], 4, "sipreply", NULL);
        feed(e, &c, good, SR_TP_UDP);
        assert_int_equal(c.n, 4);
        assert_int_equal(eh_status(c.s[3].data), 200);
        assert_true(eh_has(&c.s[3], "Content-Type: application/sdp"));
        assert_string_equal(c.last_rule, cases[i].ok_rule);
        assert_int_equal(c.last_code, 200);
        g_callid = NULL;
        free(r);
        free(forged);
        free(bad);
        free(good);
        eh_cap_clear(&c);
        sd_engine_free(e);
    }
}

static void test_challenge_then_respond(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from("rules:\n"
                               "  - name: call\n"
                               "    challenge: {realm: test, users: {alice: secret}}\n"
                               "    respond: 200\n",
                               &c);
    g_callid = "auth-call";
    char *r = request("INVITE", "sip:bob@127.0.0.1", "z9hG4bKau1", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "401");
    assert_true(eh_has(&c.s[0], "WWW-Authenticate: Digest realm=\"test\""));
    assert_true(eh_has(&c.s[0], "algorithm=SHA-256"));
    assert_true(eh_has(&c.s[0], "algorithm=MD5"));
    /* wrong password: challenged again */
    char *bad = answer(&c, "INVITE", "sip:bob@127.0.0.1", "z9hG4bKau2", 2, "wrong", NULL);
    feed(e, &c, bad, SR_TP_UDP);
    assert_string_equal(codes(&c), "401,401");
    /* right password: the next action answers */
    char *good = answer(&c, "INVITE", "sip:bob@127.0.0.1", "z9hG4bKau3", 3, "secret", NULL);
    feed(e, &c, good, SR_TP_UDP);
    assert_string_equal(codes(&c), "401,401,200");
    assert_string_equal(c.last_rule, "call");
    g_callid = NULL;
    free(r);
    free(bad);
    free(good);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_stale_nonce(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from("rules:\n"
                               "  - challenge: {users: {alice: secret}, nonce-ttl: 10s}\n"
                               "    respond: 200\n",
                               &c);
    g_callid = "auth-stale";
    char *r = request("OPTIONS", "sip:bob@127.0.0.1", "z9hG4bKst1", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "401");
    eh_advance(e, &c.now, 11000);
    char *late = answer(&c, "OPTIONS", "sip:bob@127.0.0.1", "z9hG4bKst2", 2, "secret", NULL);
    feed(e, &c, late, SR_TP_UDP);
    assert_int_equal(eh_status(c.s[c.n - 1].data), 401);
    assert_true(eh_has(&c.s[c.n - 1], "stale=true"));
    g_callid = NULL;
    free(r);
    free(late);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_register_default(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    g_callid = "reg-1";
    char *r =
        request("REGISTER", "sip:127.0.0.1", "z9hG4bKrg1", "Expires: 3600\r\n", NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    assert_string_equal(codes(&c), "200");
    assert_true(eh_has(&c.s[0], "Contact: <sip:alice@127.0.0.1:5062>;expires=3600"));
    assert_string_equal(c.last_rule, "register");
    /* too short: 423 with Min-Expires */
    char *r2 = request("REGISTER", "sip:127.0.0.1", "z9hG4bKrg2", "Expires: 10\r\n", NULL, 2, NULL);
    feed(e, &c, r2, SR_TP_UDP);
    assert_string_equal(codes(&c), "200,423");
    assert_true(eh_has(&c.s[1], "Min-Expires: 60"));
    sr_buf b;
    sr_buf_init(&b, NULL);
    assert_int_equal(sd_engine_metrics(e, &b), 0);
    assert_non_null(strstr(b.p, "sipreplyd_bindings 1\n"));
    sr_buf_cleanup(&b);
    g_callid = NULL;
    free(r);
    free(r2);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* ------------------------------------------------------------------ reflection budget signs */

static unsigned g_signs[3];

static void on_sign(const sr_addr *src, int sign, void *user)
{
    (void)src;
    (void)user;
    assert_true(sign == SD_SIGN_REQUEST || sign == SD_SIGN_ALIVE);
    g_signs[sign]++;
}

/* What the shell's reflection budget hears: a new request (a retransmission is not one), an
 * ACK naming our 2xx (not another tag), and the non-2xx ACK recognised by its derived tag. */
static void test_signs_for_reflection_budget(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine_opts o = {.send = eh_on_send, .user = &c, .seed = 42, .sign = on_sign};
    sd_engine *e = eh_engine_new(sd_default_config, &o);
    memset(g_signs, 0, sizeof(g_signs));
    g_callid = "sig-2xx";
    char *r = request("INVITE", "sip:200@127.0.0.1", "z9hG4bKs1", NULL, NULL, 1, NULL);
    feed(e, &c, r, SR_TP_UDP);
    feed(e, &c, r, SR_TP_UDP); /* a retransmission (RFC 6026 Accepted absorbs it): no credit */
    assert_int_equal(g_signs[SD_SIGN_REQUEST], 1);
    assert_string_equal(codes(&c), "200");
    char tag[64];
    snprintf(tag, sizeof(tag), "%s", eh_to_tag(c.s[0].data));
    char *bad = request("ACK", "sip:sipreplyd@127.0.0.1", "z9hG4bKs2", NULL, NULL, 1, "nottag");
    feed(e, &c, bad, SR_TP_UDP);
    assert_int_equal(g_signs[SD_SIGN_ALIVE], 0);
    char *ack = request("ACK", "sip:sipreplyd@127.0.0.1", "z9hG4bKs3", NULL, NULL, 1, tag);
    feed(e, &c, ack, SR_TP_UDP);
    assert_int_equal(g_signs[SD_SIGN_ALIVE], 1);
    assert_int_equal(g_signs[SD_SIGN_REQUEST], 1);
    g_callid = NULL;
    /* a 486: its ACK (same branch) carries the tag derived from the INVITE */
    char *busy = request("INVITE", "sip:486@127.0.0.1", "z9hG4bKs4", NULL, NULL, 1, NULL);
    feed(e, &c, busy, SR_TP_UDP);
    assert_int_equal(g_signs[SD_SIGN_REQUEST], 2);
    assert_int_equal(eh_status(c.s[c.n - 1].data), 486);
    size_t before = c.n;
    feed(e, &c, busy, SR_TP_UDP); /* retransmitted: the 486 again (§17.2.1), no credit */
    assert_int_equal(c.n, before + 1);
    assert_int_equal(eh_status(c.s[c.n - 1].data), 486);
    assert_int_equal(g_signs[SD_SIGN_REQUEST], 2);
    snprintf(tag, sizeof(tag), "%s", eh_to_tag(c.s[c.n - 1].data));
    char *ack486 = request("ACK", "sip:486@127.0.0.1", "z9hG4bKs4", NULL, "ACK", 1, tag);
    char *forged =
        request("ACK", "sip:486@127.0.0.1", "z9hG4bKs4", NULL, "ACK", 1, "0123456789abcdef");
    assert_true(sd_engine_ack_is_ours(e, ack486, strlen(ack486)));
    assert_false(sd_engine_ack_is_ours(e, forged, strlen(forged)));
    assert_false(sd_engine_ack_is_ours(e, busy, strlen(busy)));
    assert_false(sd_engine_ack_is_ours(e, "ACK x", 5));
    free(r);
    free(bad);
    free(ack);
    free(busy);
    free(ack486);
    free(forged);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_dial_486),
        cmocka_unit_test(test_default_codes_carry_what_they_need),
        cmocka_unit_test(test_default_every_registered_code),
        cmocka_unit_test(test_default_every_code_100_699),
        cmocka_unit_test(test_default_lint_clean),
        cmocka_unit_test(test_default_302_followed),
        cmocka_unit_test(test_default_provisional_then_200),
        cmocka_unit_test(test_2xx_resent_until_ack),
        cmocka_unit_test(test_default_options_and_404),
        cmocka_unit_test(test_sequence_with_delays),
        cmocka_unit_test(test_queued_182_repeated),
        cmocka_unit_test(test_wait_for_cancel),
        cmocka_unit_test(test_no_answer_then_408_cancel_race),
        cmocka_unit_test(test_reliable_183_prack),
        cmocka_unit_test(test_reliable_183_never_pracked),
        cmocka_unit_test(test_held_200_logged_when_sent),
        cmocka_unit_test(test_held_200_cancelled_logs_487),
        cmocka_unit_test(test_sdp_origin_per_call),
        cmocka_unit_test(test_unreliable_without_100rel),
        cmocka_unit_test(test_weighted_choice),
        cmocka_unit_test(test_stateless_and_ack_absorbed),
        cmocka_unit_test(test_stateless_ack_from_head),
        cmocka_unit_test(test_stateless_ack_after_strays),
        cmocka_unit_test(test_uas_checks_first),
        cmocka_unit_test(test_unparseable_gets_400_from_raw_head),
        cmocka_unit_test(test_rule_matching),
        cmocka_unit_test(test_redirect_contacts),
        cmocka_unit_test(test_reload_keeps_running_sequence),
        cmocka_unit_test(test_udp_response_without_rport),
        cmocka_unit_test(test_advertise_server_and_templates),
        cmocka_unit_test(test_tcp_response_on_connection),
        cmocka_unit_test(test_metrics_text),
        cmocka_unit_test(test_drain_answers_503),
        cmocka_unit_test(test_challenge_then_respond),
        cmocka_unit_test(test_default_401_407_challenge),
        cmocka_unit_test(test_stale_nonce),
        cmocka_unit_test(test_register_default),
        cmocka_unit_test(test_signs_for_reflection_budget),
        cmocka_unit_test(test_stateful_ack_absorbed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
