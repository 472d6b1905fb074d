/* sipreplyd: DTMF menus in the engine (engine_dtmf.c) in simulated time — RFC 4733 events on
 * a call's RTP matched against a rule's `dtmf: on:` (an event's retransmitted packets counted
 * once), the media switched (echo, tone), our BYE at once or after a delay, not before the
 * 2xx's ACK (RFC 3261 §15), the inter-digit timeout at its exact instant, no-match, keys of
 * SIP INFO (application/dtmf-relay); and shutdown: a BYE for every confirmed dialog, the
 * un-ACKed one once its ACK comes, shutdown waiting for the BYEs' finals. No sockets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_harness.h"
#include "sipreply/rtp.h"

#define MAX_SIP 64

typedef struct fake {
    eh_media m; /* first: the media callbacks get this struct */
    uint64_t now;
    char sip[MAX_SIP][2048];
    size_t n_sip;
    char dtmf_line[600]; /* the last "dtmf:" line */
    unsigned dtmf_lines;
    char note[300];
    char dialog_end[200]; /* the last dialog end's reason */
    bool dialog_bye;
} fake;

static void on_send(const char *data, size_t len, const sr_addr *to, void *user)
{
    (void)to;
    fake *f = user;
    assert_true(f->n_sip < MAX_SIP);
    size_t n = len < 2047 ? len : 2047;
    memcpy(f->sip[f->n_sip], data, n);
    f->sip[f->n_sip][n] = '\0';
    f->n_sip++;
}

static void m_log(int level, const char *line, void *user)
{
    (void)level;
    fake *f = user;
    if (strncmp(line, "dtmf:", 5) == 0) {
        snprintf(f->dtmf_line, sizeof(f->dtmf_line), "%s", line);
        f->dtmf_lines++;
    }
}

static void on_note(void *user, int level, const char *msg)
{
    (void)level;
    snprintf(((fake *)user)->note, sizeof(((fake *)user)->note), "%s", msg);
}

static void on_dialog(const sd_dialog_log *l, void *user)
{
    fake *f = user;
    snprintf(f->dialog_end, sizeof(f->dialog_end), "%s", l->reason);
    f->dialog_bye = l->bye_sent;
}

static sd_engine *engine_from(const char *yaml, fake *f)
{
    sd_engine_opts o = {.send = on_send,
                        .user = f,
                        .log_user = f,
                        .seed = 7,
                        .media_open = eh_m_open,
                        .media_send = eh_m_send,
                        .media_close = eh_m_close,
                        .media_log = m_log,
                        .note = on_note,
                        .reg_user = f,
                        .dialog_log = on_dialog};
    return eh_engine_new(yaml, &o);
}

static void sip_raw(sd_engine *e, fake *f, const char *b)
{
    sr_addr a = eh_addr("192.0.2.5", 5062, SR_TP_UDP, 0);
    eh_receive(e, b, &a, f->now);
}

static void sip_in(sd_engine *e, fake *f, const char *method, const char *user, const char *callid,
                   unsigned cseq, const char *ctype, const char *body, const char *tag)
{
    char b[4096];
    snprintf(
        b, sizeof(b),
        "%s sip:%s@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.5:5062;branch=z9hG4bK%s%s%u\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:a@192.0.2.5>;tag=ft\r\nTo: <sip:%s@127.0.0.1>%s%s\r\n"
        "Call-ID: %s\r\nCSeq: %u %s\r\nContact: <sip:a@192.0.2.5:5062>\r\n%s%s%s"
        "Content-Length: %zu\r\n\r\n%s",
        method, user, callid, method, cseq, user, tag ? ";tag=" : "", tag ? tag : "", callid, cseq,
        method, ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "",
        body ? strlen(body) : 0, body ? body : "");
    sip_raw(e, f, b);
}

#define OFFER                                                                   \
    "v=0\r\no=a 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\n" \
    "m=audio 7000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"                    \
    "a=rtpmap:101 telephone-event/8000\r\n"

/* the To tag of the last response sent */
static void to_tag(const fake *f, char *tag, size_t cap)
{
    snprintf(tag, cap, "%s", eh_to_tag(f->sip[f->n_sip - 1]));
}

/* an answered call to @p user with Call-ID @p cid (INVITE, 200, ACK unless @p no_ack) */
static void call(sd_engine *e, fake *f, const char *user, const char *cid, char *tag, bool ack)
{
    sip_in(e, f, "INVITE", user, cid, 1, "application/sdp", OFFER, NULL);
    assert_non_null(strstr(f->sip[f->n_sip - 1], "SIP/2.0 200"));
    to_tag(f, tag, 64);
    if (ack)
        sip_in(e, f, "ACK", user, cid, 1, NULL, NULL, tag);
}

static void advance(sd_engine *e, fake *f, uint64_t to)
{
    eh_advance(e, &f->now, to);
}

static uint16_t rseq = 1;

/* RFC 4733 key @p ev with timestamp @p ts: three updates and the end packet three times
 * (§2.5.1.4), 20 ms apart from f->now */
static void key(sd_engine *e, fake *f, void *sess, uint8_t ev, uint32_t ts)
{
    sr_addr src;
    sr_addr_set(&src, "192.0.2.5", 7000, SR_TP_UDP);
    size_t closed = f->m.closed;
    /* once the session is closed (a hangup), the shell delivers nothing more to it */
    for (int i = 1; i <= 6 && f->m.closed == closed; i++) {
        uint8_t b[32];
        size_t n = sr_rtp_write_hdr(b, sizeof(b), 101, i == 1, rseq++, ts, 0x4242);
        bool end = i > 3;
        uint16_t dur = (uint16_t)(160 * (end ? 3 : i));
        b[n] = ev;
        b[n + 1] = (uint8_t)((end ? 0x80 : 0) | 10);
        b[n + 2] = (uint8_t)(dur >> 8);
        b[n + 3] = (uint8_t)dur;
        sd_engine_media_receive(e, sess, false, b, n + 4, &src, f->now + 20u * (unsigned)i);
    }
    f->now += 120;
}

/* audio to the stream (what an echo would send back) */
static void audio(sd_engine *e, fake *f, void *sess)
{
    sr_addr src;
    sr_addr_set(&src, "192.0.2.5", 7000, SR_TP_UDP);
    uint8_t b[200];
    uint16_t sq = rseq++;
    size_t n = sr_rtp_write_hdr(b, sizeof(b), 0, false, sq, 100u * sq, 0x4242);
    memset(b + n, 0x7f, 160);
    sd_engine_media_receive(e, sess, false, b, n + 160, &src, f->now);
}

static size_t rtp_sent(const fake *f)
{
    size_t k = 0;
    for (size_t i = 0; i < f->m.n; i++)
        k += !f->m.p[i].rtcp;
    return k;
}

/* the last BYE sent for Call-ID @p cid */
static const char *last_bye(const fake *f, const char *cid)
{
    char h[80];
    snprintf(h, sizeof(h), "\r\nCall-ID: %s\r\n", cid);
    for (size_t i = f->n_sip; i-- > 0;)
        if (strncmp(f->sip[i], "BYE ", 4) == 0 && strstr(f->sip[i], h))
            return f->sip[i];
    return NULL;
}

static const char *yaml = "media: {ports: 30000-30099, timeout: 0, rtcp-interval: 0}\n"
                          "rules:\n"
                          "  - name: ivr\n"
                          "    match: {user: ivr}\n"
                          "    media: none\n"
                          "    dtmf:\n"
                          "      timeout: 2s\n"
                          "      on:\n"
                          "        - {digits: '1', media: {mode: tone, frequency: 1000}}\n"
                          "        - {digits: '2', media: echo}\n"
                          "        - {digits: '9', hangup: true}\n"
                          "        - {digits: '8', media: silence, hangup: 1s}\n"
                          "        - {digits: '12', media: silence}\n"
                          "        - {digits: '4xx#', media: {mode: tone, frequency: 400}}\n"
                          "      no-match: {media: {mode: tone, frequency: 480}}\n"
                          "    respond: 200\n";

static void test_rtp_menu(void **state)
{
    (void)state;
    fake *f = calloc(1, sizeof(*f));
    sd_engine *e = engine_from(yaml, f);
    char tag[64];
    call(e, f, "ivr", "d1", tag, true);
    assert_int_equal(f->m.opened, 1);
    void *s = f->m.sess[0];
    /* none: nothing sent; '2' (six packets, one event): echo */
    advance(e, f, 100);
    assert_int_equal(rtp_sent(f), 0);
    key(e, f, s, 2, 1000);
    assert_int_equal(f->dtmf_lines, 1);
    assert_non_null(strstr(f->dtmf_line, "rule=ivr digits \"2\" (rtp) matched \"2\": media echo"));
    assert_int_equal(sd_engine_counters(e)->dtmf_keys, 1);
    assert_int_equal(sd_engine_counters(e)->dtmf_matches, 1);
    size_t echoed = rtp_sent(f); /* the event's packets after the first, echoed */
    assert_int_equal(echoed, 5);
    audio(e, f, s);
    assert_int_equal(rtp_sent(f), echoed + 1);
    /* '1' begins "12": the 2 s timeout, exactly, then a 1000 Hz tone */
    key(e, f, s, 1, 3000);
    uint64_t t1 = f->now - 100; /* the event's first packet */
    advance(e, f, t1 + 1999);
    assert_int_equal(f->dtmf_lines, 1);
    size_t before = rtp_sent(f);
    advance(e, f, t1 + 2000);
    assert_int_equal(f->dtmf_lines, 2);
    assert_non_null(strstr(f->dtmf_line, "digits \"1\" (inter-digit timeout) matched \"1\": "
                                         "media tone 1000 Hz"));
    advance(e, f, t1 + 2000 + 99); /* 0, 20, 40, 60, 80 ms */
    assert_int_equal(rtp_sent(f), before + 5);
    /* '7': no pattern can match: at once, the no-match action */
    key(e, f, s, 7, 9000);
    assert_non_null(strstr(f->dtmf_line, "digits \"7\" (rtp) matched nothing: no-match, "
                                         "media tone 480 Hz"));
    assert_int_equal(sd_engine_counters(e)->dtmf_no_match, 1);
    /* "4", "5", "6", "#" */
    key(e, f, s, 4, 10000);
    key(e, f, s, 5, 11000);
    key(e, f, s, 6, 12000);
    key(e, f, s, 11, 13000);
    assert_non_null(strstr(f->dtmf_line, "digits \"456#\" (rtp) matched \"4xx#\""));
    /* '9': our BYE to the remote target, the dialog and the media end */
    key(e, f, s, 9, 14000);
    assert_non_null(strstr(f->dtmf_line, "matched \"9\": hangup"));
    const char *bye = last_bye(f, "d1");
    assert_non_null(bye);
    assert_non_null(strstr(bye, "BYE sip:a@192.0.2.5:5062 SIP/2.0"));
    assert_string_equal(f->dialog_end, "dtmf hangup");
    assert_true(f->dialog_bye);
    assert_int_equal(f->m.closed, 1);
    assert_int_equal(sd_engine_counters(e)->dtmf_hangups, 1);
    assert_int_equal(sd_engine_counters(e)->rtp_events, 8);
    assert_int_equal(sd_engine_dialogs(e), 0);
    sd_engine_free(e);
    free(f);
}

static void test_delayed_hangup_and_ack(void **state)
{
    (void)state;
    fake *f = calloc(1, sizeof(*f));
    sd_engine *e = engine_from(yaml, f);
    char tag[64];
    /* '8': silence, the BYE 1 s later to the millisecond */
    call(e, f, "ivr", "d2", tag, true);
    key(e, f, f->m.sess[0], 8, 500);
    uint64_t t = f->now - 100;
    advance(e, f, t + 999);
    assert_null(last_bye(f, "d2"));
    advance(e, f, t + 1000);
    assert_non_null(last_bye(f, "d2"));
    assert_int_equal(f->m.closed, 1);
    /* '9' before the ACK: no BYE (RFC 3261 §15) until the ACK comes */
    f->n_sip = 0;
    call(e, f, "ivr", "d3", tag, false);
    key(e, f, f->m.sess[1], 9, 700);
    assert_null(last_bye(f, "d3"));
    advance(e, f, f->now + 1000);
    assert_null(last_bye(f, "d3"));
    assert_int_equal(f->m.closed, 1);
    sip_in(e, f, "ACK", "ivr", "d3", 1, NULL, NULL, tag);
    advance(e, f, f->now + 200);
    assert_non_null(last_bye(f, "d3"));
    assert_int_equal(f->m.closed, 2);
    assert_int_equal(sd_engine_counters(e)->dtmf_hangups, 2);
    sd_engine_free(e);
    free(f);
}

static void test_info_keys(void **state)
{
    (void)state;
    fake *f = calloc(1, sizeof(*f));
    sd_engine *e = engine_from(yaml, f);
    char tag[64];
    call(e, f, "ivr", "d4", tag, true);
    sip_in(e, f, "INFO", "ivr", "d4", 2, "application/dtmf-relay", "Signal=2\r\nDuration=160\r\n",
           tag);
    assert_non_null(strstr(f->sip[f->n_sip - 1], "SIP/2.0 200"));
    assert_non_null(strstr(f->dtmf_line, "digits \"2\" (info) matched \"2\": media echo"));
    assert_int_equal(sd_engine_counters(e)->dtmf_info, 1);
    /* an INFO without a key: 200, nothing else */
    sip_in(e, f, "INFO", "ivr", "d4", 3, "application/dtmf-relay", "Duration=160\r\n", tag);
    assert_non_null(strstr(f->sip[f->n_sip - 1], "SIP/2.0 200"));
    assert_int_equal(f->dtmf_lines, 1);
    sip_in(e, f, "INFO", "ivr", "d4", 4, "application/dtmf-relay", "Signal=9\r\n", tag);
    assert_non_null(strstr(f->sip[f->n_sip - 2], "SIP/2.0 200") ? f->sip[f->n_sip - 2]
                                                                : f->sip[f->n_sip - 1]);
    assert_non_null(last_bye(f, "d4"));
    assert_int_equal(f->m.closed, 1);
    sd_engine_free(e);
    free(f);
}

/* the BYE @p bye answered 200 (its Via, From, To, Call-ID, CSeq copied) */
static void answer_bye(sd_engine *e, fake *f, const char *bye)
{
    char r[2048];
    const char *h = strstr(bye, "\r\n");
    snprintf(r, sizeof(r), "SIP/2.0 200 OK%s", h);
    sip_raw(e, f, r);
}

static void test_shutdown(void **state)
{
    (void)state;
    fake *f = calloc(1, sizeof(*f));
    sd_engine *e = engine_from(yaml, f);
    char t1[64], t2[64], t3[64];
    call(e, f, "ivr", "s1", t1, true);
    call(e, f, "ivr", "s2", t2, true);
    call(e, f, "ivr", "s3", t3, false);
    advance(e, f, 1000);
    assert_int_equal(sd_engine_pending(e), 0);
    size_t was = f->n_sip;
    sd_engine_drain(e);
    assert_int_equal(sd_engine_next_deadline(e), 0); /* the BYEs are due now */
    advance(e, f, 1000);
    assert_int_equal(f->n_sip, was + 2);
    assert_non_null(strstr(f->note, "BYE sent for 2 dialogs still up, 1 more once"));
    assert_string_equal(f->dialog_end, "shutdown");
    assert_int_equal(sd_engine_counters(e)->shutdown_byes, 2);
    assert_int_equal(f->m.closed, 2);
    /* shutdown waits for: two BYEs without a final, one dialog not ACKed */
    assert_int_equal(sd_engine_pending(e), 3);
    answer_bye(e, f, f->sip[was]);
    assert_int_equal(sd_engine_pending(e), 2);
    answer_bye(e, f, f->sip[was]); /* a retransmitted 200: counted once */
    assert_int_equal(sd_engine_pending(e), 2);
    /* the third call's ACK: its BYE at once */
    sip_in(e, f, "ACK", "ivr", "s3", 1, NULL, NULL, t3);
    assert_int_equal(f->n_sip, was + 3);
    assert_non_null(strstr(f->sip[was + 2], "BYE "));
    assert_int_equal(sd_engine_counters(e)->shutdown_byes, 3);
    answer_bye(e, f, f->sip[was + 1]);
    assert_int_equal(sd_engine_pending(e), 1);
    /* the last BYE unanswered: Timer F ends it (32 s), then nothing is pending */
    advance(e, f, f->now + 40000);
    assert_int_equal(sd_engine_pending(e), 0);
    assert_int_equal(sd_engine_dialogs(e), 0);
    assert_int_equal(f->m.closed, 3);
    sd_engine_free(e);
    free(f);
}

static void test_config_errors(void **state)
{
    (void)state;
    static const struct {
        const char *yaml, *msg;
    } bad[] = {
        {"rules:\n  - {respond: 200, dtmf: {on: [{digits: '1', hangup: true}]}}\n",
         "dtmf needs media"},
        {"rules:\n  - {respond: 200, media: echo, dtmf: {on: [{digits: '1e', hangup: true}]}}\n",
         "digits is 1 to 32"},
        {"rules:\n  - {respond: 200, media: echo, dtmf: {on: [{digits: '1'}]}}\n",
         "needs media (switch to it) or hangup"},
        {"rules:\n  - {respond: 200, media: echo, dtmf: {timeout: 10ms, on: [{digits: '1', "
         "hangup: true}]}}\n",
         "timeout is 100ms to 60s"},
        {"rules:\n  - {respond: 200, media: echo, dtmf: {max-digits: 2, on: [{digits: '123', "
         "hangup: true}]}}\n",
         "longer than max-digits"},
        {"rules:\n  - {respond: 200, media: echo, dtmf: {on: [{digits: '1', hangup: soon}]}}\n",
         "hangup is true, false or a duration"},
        {"rules:\n  - {respond: 200, media: echo, dtmf: {}}\n", "dtmf needs on"},
        {"rules:\n  - {respond: 200, media: echo, dtmf: {on: [{digits: '1', hangup: true, x: 1}]}}"
         "\n",
         "unknown key 'x'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sd_config *cf = NULL;
        sd_config_error err;
        assert_int_not_equal(sd_config_parse(&cf, bad[i].yaml, strlen(bad[i].yaml), &err), 0);
        if (!strstr(err.msg, bad[i].msg))
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtp_menu),      cmocka_unit_test(test_delayed_hangup_and_ack),
        cmocka_unit_test(test_info_keys),     cmocka_unit_test(test_shutdown),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests_name("engine_dtmf", tests, NULL, NULL);
}
