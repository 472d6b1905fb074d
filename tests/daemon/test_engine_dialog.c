/* sipreplyd: dialogs in the engine (engine_dialog.c) in simulated time — 481 for a request
 * whose To tag matches no dialog and 500 for a CSeq out of order (RFC 3261 §12.2.2), BYE
 * (§15.1.2), re-INVITE and UPDATE offer/answer with hold and resume (RFC 3264 §8, RFC 3311),
 * 491 on glare (§14.1), session timers (RFC 4028: 422, refresh, the BYE at expiry), the BYE
 * for a 2xx never ACKed (§13.3.1.4), early dialogs, the table's bound, the dialog log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_harness.h"

#define OFFER_HEAD                                                                           \
    "v=0\r\no=alice 2890844526 2890844526 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n" \
    "t=0 0\r\n"

typedef struct dlog {
    unsigned n;
    char reason[96];
    bool bye_sent, confirmed;
    uint64_t duration_ms;
} dlog;

static dlog g_dlog;

static void on_dialog_log(const sd_dialog_log *l, void *user)
{
    (void)user;
    g_dlog.n++;
    snprintf(g_dlog.reason, sizeof(g_dlog.reason), "%s", l->reason);
    g_dlog.bye_sent = l->bye_sent;
    g_dlog.confirmed = l->confirmed;
    g_dlog.duration_ms = l->duration_ms;
}

static sd_engine *engine_opts(const char *yaml, eh_cap *c, size_t max_dialogs)
{
    sd_engine_opts o = eh_opts(c, 7);
    o.dialog_log = on_dialog_log;
    o.max_dialogs = max_dialogs;
    sd_engine *e = eh_engine_new(yaml, &o);
    memset(&g_dlog, 0, sizeof(g_dlog));
    return e;
}

/* The o= sess-version of the SDP in @p s. */
static unsigned long long o_version(const eh_sent *s)
{
    const char *o = strstr(eh_body(s->data), "o=sipreplyd ");
    assert_non_null(o);
    unsigned long long id = 0, ver = 0;
    assert_int_equal(sscanf(o, "o=sipreplyd %llu %llu", &id, &ver), 2);
    return ver;
}

static const char sdp_sendrecv[] = OFFER_HEAD "m=audio 4000 RTP/AVP 0\r\n";
static const char sdp_sendonly[] = OFFER_HEAD "m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n";
static const char sdp_inactive[] = OFFER_HEAD "m=audio 4000 RTP/AVP 0\r\na=inactive\r\n";

/* The ACK (to our Contact) of the INVITE with CSeq @p cseq in call @p callid, with @p sdp. */
static void ack(sd_engine *e, eh_cap *c, const char *branch, const char *callid, unsigned cseq,
                const char *tag, const char *sdp)
{
    char *r =
        eh_request("ACK", "sip:sipreplyd@127.0.0.1:5060", branch, callid, cseq, tag, NULL, sdp);
    eh_feed(e, c, r);
    free(r);
}

/* INVITE sip:183@ with Supported: 100rel in call @p callid: a reliable 183 (RFC 3262), its To
 * tag into @p tag, the RAck naming it into @p rack. */
static void reliable_183(sd_engine *e, eh_cap *c, const char *branch, const char *callid,
                         char tag[64], char rack[64])
{
    char *r = eh_request("INVITE", "sip:183@127.0.0.1", branch, callid, 1, NULL,
                         "Supported: 100rel\r\n", sdp_sendrecv);
    eh_feed(e, c, r);
    free(r);
    assert_int_equal(eh_status(c->s[0].data), 183);
    snprintf(tag, 64, "%s", eh_to_tag(c->s[0].data));
    const char *rs = strstr(c->s[0].data, "\r\nRSeq: ");
    assert_non_null(rs);
    snprintf(rack, 64, "RAck: %lu 1 INVITE\r\n", strtoul(rs + 8, NULL, 10));
}

/* INVITE sip:200@ (dial a code) with @p extra headers and @p sdp, ACKed: the To tag. */
static const char *call(sd_engine *e, eh_cap *c, const char *callid, const char *extra,
                        const char *sdp)
{
    static char tag[64];
    eh_cap_clear(c);
    char *r = eh_request("INVITE", "sip:200@127.0.0.1", "z9hG4bKi1", callid, 1, NULL, extra, sdp);
    eh_feed(e, c, r);
    free(r);
    assert_int_equal(eh_status(c->s[0].data), 200);
    snprintf(tag, sizeof(tag), "%s", eh_to_tag(c->s[0].data));
    ack(e, c, "z9hG4bKa1", callid, 1, tag, NULL);
    eh_cap_clear(c);
    return tag;
}

/* A request in the dialog: the first response sent to it. */
static unsigned in_dialog(sd_engine *e, eh_cap *c, const char *method, const char *callid,
                          unsigned cseq, const char *tag, const char *extra, const char *sdp)
{
    eh_cap_clear(c);
    char br[32];
    snprintf(br, sizeof(br), "z9hG4bK%s%u", method, cseq);
    char *r = eh_request(method, "sip:sipreplyd@127.0.0.1:5060", br, callid, cseq, tag, extra, sdp);
    eh_feed(e, c, r);
    free(r);
    assert_true(c->n >= 1);
    return eh_status(c->s[0].data);
}

static void test_bye_unknown_dialog_481(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_opts(sd_default_config, &c, 0);
    assert_int_equal(in_dialog(e, &c, "BYE", "c-none", 2, "nosuchtag", NULL, NULL), 481);
    assert_int_equal(c.last_code, 481);
    assert_string_equal(c.last_rule, "dialog");
    assert_string_equal(c.last_note, "no such dialog");
    /* INFO, UPDATE and a re-INVITE likewise; NOTIFY is the default's "notify" rule's */
    assert_int_equal(in_dialog(e, &c, "INFO", "c-none", 3, "x", NULL, NULL), 481);
    assert_int_equal(in_dialog(e, &c, "UPDATE", "c-none", 4, "x", NULL, NULL), 481);
    assert_int_equal(in_dialog(e, &c, "INVITE", "c-none", 5, "x", NULL, NULL), 481);
    assert_int_equal(in_dialog(e, &c, "NOTIFY", "c-none", 6, "x", "Event: dialog\r\n", NULL), 200);
    assert_int_equal(sd_engine_counters(e)->dialog_481, 4);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_call_then_bye(void **state)
{
    (void)state;
    eh_cap c = {.now = 1000};
    sd_engine *e = engine_opts(sd_default_config, &c, 0);
    const char *tag = call(e, &c, "c-bye", NULL, sdp_sendrecv);
    assert_int_equal(sd_engine_dialogs(e), 1);
    assert_int_equal(sd_engine_counters(e)->dialogs_created, 1);
    /* INFO: 200, the dialog stays */
    assert_int_equal(in_dialog(e, &c, "INFO", "c-bye", 2, tag, NULL, NULL), 200);
    assert_int_equal(sd_engine_dialogs(e), 1);
    eh_advance(e, &c.now, 4500);
    assert_int_equal(in_dialog(e, &c, "BYE", "c-bye", 3, tag, NULL, NULL), 200);
    assert_string_equal(c.last_note, "BYE in a dialog");
    assert_int_equal(sd_engine_dialogs(e), 0);
    assert_int_equal(sd_engine_counters(e)->dialogs_ended, 1);
    assert_int_equal(g_dlog.n, 1);
    assert_string_equal(g_dlog.reason, "BYE received");
    assert_true(g_dlog.confirmed);
    assert_false(g_dlog.bye_sent);
    assert_int_equal(g_dlog.duration_ms, 3500);
    /* the same BYE again (a new transaction): the dialog is gone */
    assert_int_equal(in_dialog(e, &c, "BYE", "c-bye", 4, tag, NULL, NULL), 481);
    /* /metrics says so */
    sr_buf m;
    sr_buf_init(&m, NULL);
    assert_int_equal(sd_engine_metrics(e, &m), 0);
    assert_non_null(strstr(m.p, "\nsipreplyd_dialogs 0\n"));
    assert_non_null(strstr(m.p, "\nsipreplyd_dialogs_created_total 1\n"));
    assert_non_null(strstr(m.p, "\nsipreplyd_dialogs_ended_total 1\n"));
    assert_non_null(strstr(m.p, "\nsipreplyd_dialog_481_total 1\n"));
    sr_buf_cleanup(&m);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

static void test_cseq_out_of_order_500(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_opts(sd_default_config, &c, 0);
    const char *tag = call(e, &c, "c-cseq", NULL, sdp_sendrecv);
    assert_int_equal(in_dialog(e, &c, "INFO", "c-cseq", 5, tag, NULL, NULL), 200);
    /* §12.2.2: lower than the remote sequence number (5) */
    assert_int_equal(in_dialog(e, &c, "INFO", "c-cseq", 4, tag, NULL, NULL), 500);
    assert_string_equal(c.last_note, "CSeq lower than the dialog's");
    assert_int_equal(in_dialog(e, &c, "BYE", "c-cseq", 3, tag, NULL, NULL), 500);
    assert_int_equal(sd_engine_dialogs(e), 1);
    assert_int_equal(in_dialog(e, &c, "BYE", "c-cseq", 6, tag, NULL, NULL), 200);
    assert_int_equal(sd_engine_dialogs(e), 0);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* Hold and resume by re-INVITE (RFC 3264 §8.4): recvonly to a sendonly offer, inactive to an
 * inactive one, sendrecv again; the o= version one more each time the answer changes. */
static void test_reinvite_hold_resume(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_opts(sd_default_config, &c, 0);
    eh_cap_clear(&c);
    char *r = eh_request("INVITE", "sip:200@127.0.0.1", "z9hG4bKh1", "c-hold", 1, NULL, NULL,
                         sdp_sendrecv);
    eh_feed(e, &c, r);
    free(r);
    assert_int_equal(eh_status(c.s[0].data), 200);
    unsigned long long v0 = o_version(&c.s[0]);
    char tag[64];
    snprintf(tag, sizeof(tag), "%s", eh_to_tag(c.s[0].data));
    ack(e, &c, "z9hG4bKa1", "c-hold", 1, tag, NULL);

    assert_int_equal(in_dialog(e, &c, "INVITE", "c-hold", 2, tag, NULL, sdp_sendonly), 200);
    assert_non_null(strstr(eh_body(c.s[0].data), "a=recvonly\r\n"));
    assert_int_equal(o_version(&c.s[0]), v0 + 1);
    assert_string_equal(c.last_note, "re-INVITE in a dialog: answered recvonly");
    /* the 2xx is resent until its ACK, as any 2xx to an INVITE */
    eh_advance(e, &c.now, c.now + 600);
    assert_int_equal(c.n, 2);
    ack(e, &c, "z9hG4bKa2", "c-hold", 2, tag, NULL);
    /* the same offer again: the same answer, the same version (§8) */
    assert_int_equal(in_dialog(e, &c, "INVITE", "c-hold", 3, tag, NULL, sdp_sendonly), 200);
    assert_int_equal(o_version(&c.s[0]), v0 + 1);
    assert_int_equal(in_dialog(e, &c, "INVITE", "c-hold", 4, tag, NULL, sdp_inactive), 200);
    assert_non_null(strstr(eh_body(c.s[0].data), "a=inactive\r\n"));
    assert_int_equal(o_version(&c.s[0]), v0 + 2);
    /* resume */
    assert_int_equal(in_dialog(e, &c, "INVITE", "c-hold", 5, tag, NULL, sdp_sendrecv), 200);
    assert_non_null(strstr(eh_body(c.s[0].data), "a=sendrecv\r\n"));
    assert_int_equal(o_version(&c.s[0]), v0 + 3);
    /* a re-INVITE with nothing in common: 488, the session as it was */
    assert_int_equal(in_dialog(e, &c, "INVITE", "c-hold", 6, tag, NULL,
                               OFFER_HEAD "m=audio 4000 RTP/AVP 18\r\n"),
                     488);
    assert_int_equal(sd_engine_dialogs(e), 1);
    assert_int_equal(in_dialog(e, &c, "UPDATE", "c-hold", 7, tag, NULL, sdp_sendrecv), 200);
    assert_int_equal(o_version(&c.s[0]), v0 + 3);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* UPDATE (RFC 3311): an offer answered in its 2xx; without one, a 2xx without SDP. A
 * re-INVITE without an offer gets ours; until the ACK answers it an offer is pending: an
 * UPDATE with an offer gets 491 (§5.2), so does a re-INVITE (RFC 3261 §14.1). */
static void test_update_and_glare(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_opts(sd_default_config, &c, 0);
    const char *t = call(e, &c, "c-upd", NULL, sdp_sendrecv);
    char tag[64];
    snprintf(tag, sizeof(tag), "%s", t);
    assert_int_equal(in_dialog(e, &c, "UPDATE", "c-upd", 2, tag, NULL, sdp_sendonly), 200);
    assert_non_null(strstr(eh_body(c.s[0].data), "a=recvonly\r\n"));
    assert_int_equal(in_dialog(e, &c, "UPDATE", "c-upd", 3, tag, NULL, NULL), 200);
    assert_false(eh_has(&c.s[0], "application/sdp"));
    /* a re-INVITE without an offer: our offer in the 2xx */
    assert_int_equal(in_dialog(e, &c, "INVITE", "c-upd", 4, tag, NULL, NULL), 200);
    assert_non_null(strstr(eh_body(c.s[0].data), "m=audio " SD_SDP_MEDIA_PORT " RTP/AVP 0 8 101"));
    assert_int_equal(in_dialog(e, &c, "UPDATE", "c-upd", 5, tag, NULL, sdp_sendrecv), 491);
    assert_int_equal(in_dialog(e, &c, "INVITE", "c-upd", 6, tag, NULL, sdp_sendrecv), 491);
    /* the ACK with the answer ends the exchange */
    ack(e, &c, "z9hG4bKa4", "c-upd", 4, tag, sdp_sendrecv);
    assert_int_equal(in_dialog(e, &c, "UPDATE", "c-upd", 7, tag, NULL, sdp_sendrecv), 200);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* RFC 4028: Session-Expires below Min-SE gets 422; honoured, the 2xx carries it with the
 * refresher and Require: timer; a refresh restarts it; at expiry minus min(32, SE/3) s, we
 * send the BYE and the dialog ends (logged). */
static void test_session_timer(void **state)
{
    (void)state;
    eh_cap c = {.now = 0};
    sd_engine *e = engine_opts(sd_default_config, &c, 0);
    char *r = eh_request("INVITE", "sip:200@127.0.0.1", "z9hG4bKs0", "c-se0", 1, NULL,
                         "Supported: timer\r\nSession-Expires: 60\r\n", sdp_sendrecv);
    eh_feed(e, &c, r);
    free(r);
    assert_int_equal(eh_status(c.s[0].data), 422);
    assert_true(eh_has(&c.s[0], "\r\nMin-SE: 90\r\n"));
    assert_int_equal(sd_engine_dialogs(e), 0);
    char *ack0 = eh_request("ACK", "sip:200@127.0.0.1", "z9hG4bKs0", "c-se0", 1,
                            eh_to_tag(c.s[0].data), NULL, NULL);
    eh_feed(e, &c, ack0); /* the 422's: no more retransmissions of it */
    free(ack0);

    /* Require: timer is supported (no 420); refresher=uas is kept as asked (§9) */
    char *rq = eh_request("INVITE", "sip:200@127.0.0.1", "z9hG4bKs9", "c-se9", 1, NULL,
                          "Require: timer\r\nSession-Expires: 90;refresher=uas\r\n", sdp_sendrecv);
    eh_cap_clear(&c);
    eh_feed(e, &c, rq);
    free(rq);
    assert_int_equal(eh_status(c.s[0].data), 200);
    assert_true(eh_has(&c.s[0], "\r\nSession-Expires: 90;refresher=uas\r\n"));
    assert_true(eh_has(&c.s[0], "\r\nSupported: 100rel, timer\r\n"));
    char tag9[64];
    snprintf(tag9, sizeof(tag9), "%s", eh_to_tag(c.s[0].data));
    ack(e, &c, "z9hG4bKa9", "c-se9", 1, tag9, NULL);
    assert_int_equal(in_dialog(e, &c, "BYE", "c-se9", 2, tag9, NULL, NULL), 200);
    const char *t =
        call(e, &c, "c-se", "Supported: timer\r\nSession-Expires: 120\r\n", sdp_sendrecv);
    char tag[64];
    snprintf(tag, sizeof(tag), "%s", t);
    /* refreshed at 50 s by an UPDATE: the interval starts again */
    eh_advance(e, &c.now, 50000);
    assert_int_equal(c.n, 0);
    assert_int_equal(in_dialog(e, &c, "UPDATE", "c-se", 2, tag,
                               "Supported: timer\r\nSession-Expires: 120;refresher=uac\r\n", NULL),
                     200);
    assert_true(eh_has(&c.s[0], "\r\nSession-Expires: 120;refresher=uac\r\n"));
    assert_true(eh_has(&c.s[0], "\r\nRequire: timer\r\n"));
    eh_cap_clear(&c);
    /* 120 - min(32, 40) = 88 s after the refresh: the BYE */
    eh_advance(e, &c.now, 50000 + 87999);
    assert_int_equal(c.n, 0);
    assert_int_equal(sd_engine_dialogs(e), 1);
    eh_advance(e, &c.now, 50000 + 88000);
    assert_true(c.n >= 1);
    assert_true(strncmp(c.s[0].data, "BYE sip:alice@127.0.0.1:5062 SIP/2.0\r\n", 38) == 0);
    assert_true(eh_has(&c.s[0], "\r\nCall-ID: c-se\r\n"));
    assert_true(eh_has(&c.s[0], "\r\nTo: <sip:alice@127.0.0.1>;tag=ft1\r\n"));
    assert_int_equal(sd_engine_dialogs(e), 0);
    assert_string_equal(g_dlog.reason, "session timer expired");
    assert_true(g_dlog.bye_sent);
    assert_int_equal(sd_engine_counters(e)->byes_sent, 1);
    /* the peer's 200 to our BYE ends its transaction quietly */
    char *ok = malloc(4096);
    const char *via = strstr(c.s[0].data, "\r\nVia: ") + 7;
    snprintf(ok, 4096,
             "SIP/2.0 200 OK\r\nVia: %.*s\r\nFrom: <sip:200@127.0.0.1>;tag=%s\r\n"
             "To: <sip:alice@127.0.0.1>;tag=ft1\r\nCall-ID: c-se\r\nCSeq: 1 BYE\r\n"
             "Content-Length: 0\r\n\r\n",
             (int)strcspn(via, "\r"), via, tag);
    uint64_t dropped = sd_engine_counters(e)->dropped;
    eh_feed(e, &c, ok);
    free(ok);
    assert_int_equal(sd_engine_counters(e)->dropped, dropped);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* Without a session timer the dialog lives until a BYE; its ACK never coming ends it with a
 * BYE (RFC 3261 §13.3.1.4). An early dialog ends with the call's non-2xx final. */
static void test_early_and_no_ack(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_opts("rules:\n"
                               "  - {name: ring, match: {user: ring},\n"
                               "     respond: [180, {code: 486, delay: 1s}]}\n",
                               &c, 0);
    char *r = eh_request("INVITE", "sip:ring@127.0.0.1", "z9hG4bKe1", "c-early", 1, NULL, NULL,
                         sdp_sendrecv);
    eh_feed(e, &c, r);
    free(r);
    assert_int_equal(eh_status(c.s[0].data), 180);
    assert_int_equal(sd_engine_dialogs(e), 1); /* early */
    eh_advance(e, &c.now, 1000);
    assert_int_equal(sd_engine_dialogs(e), 0);
    assert_string_equal(g_dlog.reason, "early dialog ended by a 486");
    assert_false(g_dlog.confirmed);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* A PRACK in the early dialog (RFC 3262) advances its remote CSeq (§12.2.2): after it, a
 * request with the INVITE's number is out of order. */
static void test_prack_cseq(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_opts(sd_default_config, &c, 0);
    char tag[64], rack[64];
    reliable_183(e, &c, "z9hG4bKq1", "c-pr", tag, rack);
    assert_int_equal(in_dialog(e, &c, "PRACK", "c-pr", 2, tag, rack, NULL), 200);
    eh_cap_clear(&c);
    eh_advance(e, &c.now, 1000);
    assert_int_equal(eh_status(c.s[0].data), 200);
    ack(e, &c, "z9hG4bKa1", "c-pr", 1, tag, NULL);
    assert_int_equal(in_dialog(e, &c, "INFO", "c-pr", 1, tag, NULL, NULL), 500);
    assert_int_equal(in_dialog(e, &c, "INFO", "c-pr", 3, tag, NULL, NULL), 200);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* A 2xx the stack held for the PRACK (RFC 3262 §3) goes out late: its dialog waits for the
 * ACK from then (64*T1 of retransmissions), not from when the 2xx was planned. */
static void test_held_2xx_late_prack(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_opts(sd_default_config, &c, 0);
    char tag[64], rack[64];
    reliable_183(e, &c, "z9hG4bKl1", "c-late", tag, rack);
    eh_advance(e, &c.now, 30000); /* the 200 is planned at 1 s, held until the PRACK */
    assert_int_equal(in_dialog(e, &c, "PRACK", "c-late", 2, tag, rack, NULL), 200);
    bool sent200 = false;
    for (size_t i = 0; i < c.n; i++)
        sent200 = sent200 || (eh_status(c.s[i].data) == 200 && eh_has(&c.s[i], "CSeq: 1 INVITE"));
    assert_true(sent200);
    eh_cap_clear(&c);
    eh_advance(e, &c.now, 59500);
    for (size_t i = 0; i < c.n; i++)
        assert_true(strncmp(c.s[i].data, "BYE ", 4) != 0);
    assert_int_equal(sd_engine_dialogs(e), 1);
    ack(e, &c, "z9hG4bKa1", "c-late", 1, tag, NULL);
    eh_cap_clear(&c);
    eh_advance(e, &c.now, 200000);
    assert_int_equal(sd_engine_dialogs(e), 1); /* confirmed and ACKed: it stays */
    assert_int_equal(in_dialog(e, &c, "BYE", "c-late", 3, tag, NULL, NULL), 200);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* UPDATE in the early dialog (RFC 3311 §5.2): with an offer while the INVITE's offer has no
 * reliable answer, 500 with Retry-After; after a reliable 183 with the answer and its PRACK,
 * answered with the next o= version. */
static void test_early_update(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_opts(sd_default_config, &c, 0);
    char *r =
        eh_request("INVITE", "sip:183@127.0.0.1", "z9hG4bKu1", "c-eu", 1, NULL, NULL, sdp_sendrecv);
    eh_feed(e, &c, r);
    free(r);
    assert_int_equal(eh_status(c.s[0].data), 183);
    char tag[64];
    snprintf(tag, sizeof(tag), "%s", eh_to_tag(c.s[0].data));
    assert_int_equal(in_dialog(e, &c, "UPDATE", "c-eu", 2, tag, NULL, sdp_sendonly), 500);
    assert_true(eh_has(&c.s[0], "\r\nRetry-After: 1\r\n"));
    eh_cap_clear(&c);
    eh_advance(e, &c.now, 1000);
    assert_int_equal(eh_status(c.s[0].data), 200);
    eh_cap_clear(&c);

    char rack[64];
    reliable_183(e, &c, "z9hG4bKu2", "c-eu2", tag, rack);
    unsigned long long v0 = o_version(&c.s[0]);
    assert_int_equal(in_dialog(e, &c, "PRACK", "c-eu2", 2, tag, rack, NULL), 200);
    assert_int_equal(in_dialog(e, &c, "UPDATE", "c-eu2", 3, tag, NULL, sdp_sendonly), 200);
    assert_non_null(strstr(eh_body(c.s[0].data), "a=recvonly\r\n"));
    assert_int_equal(o_version(&c.s[0]), v0 + 1);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* The table's bound: beyond it a call that would make a dialog gets 503, not a 2xx. */
static void test_max_dialogs(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_opts(sd_default_config, &c, 1);
    call(e, &c, "c-m1", NULL, sdp_sendrecv);
    char *r =
        eh_request("INVITE", "sip:200@127.0.0.1", "z9hG4bKm2", "c-m2", 1, NULL, NULL, sdp_sendrecv);
    eh_feed(e, &c, r);
    free(r);
    assert_int_equal(eh_status(c.s[0].data), 503);
    assert_string_equal(c.last_note, "too many dialogs");
    assert_int_equal(sd_engine_dialogs(e), 1);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* A rule that names the method answers in place of the dialog layer; its 2xx to a BYE still
 * ends the dialog. A rule for INVITE never takes a re-INVITE. */
static void test_rule_wins(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_opts("rules:\n"
                               "  - {name: info, match: {method: INFO}, respond: 415}\n"
                               "  - {name: bye, match: {method: BYE}, respond: 200}\n"
                               "  - {name: inv, match: {method: INVITE}, respond: 200}\n",
                               &c, 0);
    const char *t = call(e, &c, "c-rule", NULL, sdp_sendrecv);
    char tag[64];
    snprintf(tag, sizeof(tag), "%s", t);
    assert_int_equal(in_dialog(e, &c, "INFO", "c-rule", 2, tag, NULL, NULL), 415);
    assert_string_equal(c.last_rule, "info");
    assert_int_equal(in_dialog(e, &c, "INVITE", "c-rule", 3, tag, NULL, sdp_sendonly), 200);
    assert_string_equal(c.last_rule, "dialog");
    assert_int_equal(in_dialog(e, &c, "BYE", "c-rule", 4, tag, NULL, NULL), 200);
    assert_string_equal(c.last_rule, "bye");
    assert_int_equal(sd_engine_dialogs(e), 0);
    assert_string_equal(g_dlog.reason, "BYE received (answered by a rule)");
    /* for no dialog the rule answers too */
    assert_int_equal(in_dialog(e, &c, "BYE", "c-rule", 5, tag, NULL, NULL), 200);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bye_unknown_dialog_481),
        cmocka_unit_test(test_call_then_bye),
        cmocka_unit_test(test_cseq_out_of_order_500),
        cmocka_unit_test(test_reinvite_hold_resume),
        cmocka_unit_test(test_update_and_glare),
        cmocka_unit_test(test_session_timer),
        cmocka_unit_test(test_early_and_no_ack),
        cmocka_unit_test(test_prack_cseq),
        cmocka_unit_test(test_early_update),
        cmocka_unit_test(test_held_2xx_late_prack),
        cmocka_unit_test(test_max_dialogs),
        cmocka_unit_test(test_rule_wins),
    };
    return cmocka_run_group_tests_name("engine_dialog", tests, NULL, NULL);
}
