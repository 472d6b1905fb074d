/* sipreplyd: media sessions in the engine (engine_media.c) in simulated time — the port of
 * our SDP answer, echo to where packets come from (RFC 4961) with our SSRC, tone packets
 * every 20 ms with the negotiated payload type, RTCP BYE at the end, the end on BYE, on a
 * failed INVITE and on the RTP timeout, no media without `media:`, nothing left after a
 * refused offer or a failed open. No sockets: the media callbacks are fakes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_harness.h"
#include "sipreply/rtp.h"

typedef struct fake {
    eh_media m; /* first: the media callbacks get this struct */
    uint64_t now;
    char sip[16][4096];
    size_t n_sip;
    unsigned ends; /* "media end" lines */
    char last_line[600];
} fake;

static void on_send(const char *data, size_t len, const sr_addr *to, void *user)
{
    (void)to;
    fake *f = user;
    if (f->n_sip < 16) {
        size_t n = len < 4095 ? len : 4095;
        memcpy(f->sip[f->n_sip], data, n);
        f->sip[f->n_sip][n] = '\0';
        f->n_sip++;
    }
}

static void m_log(int level, const char *line, void *user)
{
    (void)level;
    fake *f = user;
    if (strncmp(line, "media end:", 10) == 0)
        f->ends++;
    snprintf(f->last_line, sizeof(f->last_line), "%s", line);
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
                        .media_log = m_log};
    return eh_engine_new(yaml, &o);
}

/* the To tag of the last response sent (the dialog's, RFC 3261 §12.1.1) */
static const char *to_tag(const fake *f)
{
    return eh_to_tag(f->sip[f->n_sip - 1]);
}

static void sip_in_tag(sd_engine *e, fake *f, const char *method, const char *user,
                       const char *callid, unsigned cseq, const char *sdp, const char *tag);

static void sip_in(sd_engine *e, fake *f, const char *method, const char *user, const char *callid,
                   unsigned cseq, const char *sdp)
{
    sip_in_tag(e, f, method, user, callid, cseq, sdp, NULL);
}

static void sip_in_tag(sd_engine *e, fake *f, const char *method, const char *user,
                       const char *callid, unsigned cseq, const char *sdp, const char *tag)
{
    char b[4096];
    snprintf(
        b, sizeof(b),
        "%s sip:%s@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.5:5062;branch=z9hG4bK%s%s%u\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:a@192.0.2.5>;tag=ft\r\nTo: <sip:%s@127.0.0.1>%s%s\r\n"
        "Call-ID: %s\r\nCSeq: %u %s\r\nContact: <sip:a@192.0.2.5:5062>\r\n%s"
        "Content-Length: %zu\r\n\r\n%s",
        method, user, callid, method, cseq, user, tag ? ";tag=" : "", tag ? tag : "", callid, cseq,
        method, sdp ? "Content-Type: application/sdp\r\n" : "", sdp ? strlen(sdp) : 0,
        sdp ? sdp : "");
    sr_addr a = eh_addr("192.0.2.5", 5062, SR_TP_UDP, 0);
    eh_receive(e, b, &a, f->now);
}

static void advance(sd_engine *e, fake *f, uint64_t to)
{
    eh_advance(e, &f->now, to);
}

#define OFFER(pt, map)                                                          \
    "v=0\r\no=a 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\n" \
    "m=audio 7000 RTP/AVP " pt " 101\r\na=rtpmap:" pt " " map "\r\n"            \
    "a=rtpmap:101 telephone-event/8000\r\n"

static const char *yaml = "media: {ports: 30000-30099, timeout: 1s, rtcp-interval: 0}\n"
                          "rules:\n"
                          "  - {name: echo, match: {user: echo}, media: echo, respond: 200}\n"
                          "  - name: tone\n"
                          "    match: {user: tone}\n"
                          "    media: {mode: tone, frequency: 1000}\n"
                          "    respond: [{code: 183, sdp: true}, {code: 486, delay: 100ms}]\n"
                          "  - {name: plain, match: {user: plain}, respond: 200}\n"
                          "  - name: hold\n"
                          "    match: {user: hold}\n"
                          "    media: {mode: tone, frequency: 500}\n"
                          "    respond: 200\n";

static void test_echo(void **state)
{
    (void)state;
    fake *f = calloc(1, sizeof(*f));
    sd_engine *e = engine_from(yaml, f);
    sip_in(e, f, "INVITE", "echo", "c1", 1, OFFER("8", "PCMA/8000"));
    assert_int_equal(f->m.opened, 1);
    assert_non_null(strstr(f->sip[f->n_sip - 1], "m=audio 30000 RTP/AVP 8 101\r\n"));
    char tag[64];
    snprintf(tag, sizeof(tag), "%s", to_tag(f));
    sip_in_tag(e, f, "ACK", "echo", "c1", 1, NULL, tag);
    assert_int_equal(sd_engine_media_calls(e), 1);
    /* from another address than the SDP's: the echo goes back there (RFC 4961) */
    uint8_t in[200];
    size_t n = sr_rtp_write_hdr(in, sizeof(in), 8, false, 500, 9000, 0x1234);
    memset(in + n, 0x55, 160);
    sr_addr src;
    sr_addr_set(&src, "198.51.100.7", 40000, SR_TP_UDP);
    sd_engine_media_receive(e, f->m.sess[0], false, in, n + 160, &src, f->now + 5);
    assert_int_equal(f->m.n, 1);
    assert_false(f->m.p[0].rtcp);
    assert_string_equal(f->m.p[0].host, "198.51.100.7");
    assert_int_equal(f->m.p[0].port, 40000);
    sr_rtp_hdr h;
    assert_int_equal(sr_rtp_parse(f->m.p[0].data, f->m.p[0].len, &h), 0);
    assert_int_not_equal(h.ssrc, 0x1234);
    assert_int_equal(h.pt, 8);
    assert_int_equal(h.payload_len, 160);
    /* not RTP: counted, nothing sent */
    sd_engine_media_receive(e, f->m.sess[0], false, (const uint8_t *)"junk", 4, &src, f->now + 6);
    assert_int_equal(f->m.n, 1);
    assert_int_equal(sd_engine_counters(e)->rtp_bad, 1);
    /* BYE: an RTCP BYE to RTP's source port + 1, the end line, the pair closed */
    sip_in_tag(e, f, "BYE", "echo", "c1", 2, NULL, tag);
    assert_non_null(strstr(f->sip[f->n_sip - 1], "SIP/2.0 200"));
    assert_int_equal(f->m.n, 2);
    assert_true(f->m.p[1].rtcp);
    assert_int_equal(f->m.p[1].port, 40001);
    sr_rtcp_info info;
    assert_int_equal(sr_rtcp_parse(f->m.p[1].data, f->m.p[1].len, &info), 0);
    assert_true(info.bye && info.is_sr);
    assert_int_equal(f->m.closed, 1);
    assert_int_equal(f->ends, 1);
    assert_non_null(strstr(f->last_line, "sent 1 received 1 lost 0"));
    assert_non_null(strstr(f->last_line, "(BYE"));
    assert_int_equal(sd_engine_media_calls(e), 0);
    /* a BYE for a call without media: nothing */
    sip_in(e, f, "BYE", "echo", "c-none", 2, NULL);
    assert_int_equal(f->m.closed, 1);
    sd_engine_free(e);
    free(f);
}

static void test_tone_early_media(void **state)
{
    (void)state;
    fake *f = calloc(1, sizeof(*f));
    sd_engine *e = engine_from(yaml, f);
    sip_in(e, f, "INVITE", "tone", "c2", 1, OFFER("0", "PCMU/8000"));
    assert_non_null(strstr(f->sip[f->n_sip - 1], "SIP/2.0 183"));
    assert_non_null(strstr(f->sip[f->n_sip - 1], "m=audio 30000 RTP/AVP 0 101\r\n"));
    advance(e, f, 99);
    /* 0, 20, 40, 60, 80 ms: five packets of PCMU to the SDP's address */
    assert_int_equal(f->m.n, 5);
    for (size_t i = 0; i < 5; i++) {
        sr_rtp_hdr h;
        assert_int_equal(sr_rtp_parse(f->m.p[i].data, f->m.p[i].len, &h), 0);
        assert_int_equal(h.pt, 0);
        assert_int_equal(h.payload_len, 160);
        assert_string_equal(f->m.p[i].host, "192.0.2.5");
        assert_int_equal(f->m.p[i].port, 7000);
    }
    /* the 486 ends it (an RTCP BYE to 7001 first) */
    advance(e, f, 100);
    assert_non_null(strstr(f->sip[f->n_sip - 1], "SIP/2.0 486"));
    assert_int_equal(f->m.closed, 1);
    assert_true(f->m.p[f->m.n - 1].rtcp);
    assert_int_equal(f->m.p[f->m.n - 1].port, 7001);
    assert_non_null(strstr(f->last_line, "(the INVITE failed)"));
    size_t was = f->m.n;
    advance(e, f, 1000);
    assert_int_equal(f->m.n, was);
    sd_engine_free(e);
    free(f);
}

static void test_timeout(void **state)
{
    (void)state;
    fake *f = calloc(1, sizeof(*f));
    sd_engine *e = engine_from(yaml, f);
    sip_in(e, f, "INVITE", "echo", "c3", 1, OFFER("0", "PCMU/8000"));
    advance(e, f, 999);
    assert_int_equal(f->m.closed, 0);
    advance(e, f, 1000);
    assert_int_equal(f->m.closed, 1);
    assert_non_null(strstr(f->last_line, "(RTP timeout)"));
    assert_int_equal(sd_engine_counters(e)->media_timeouts, 1);
    sd_engine_free(e);
    free(f);
}

static void test_no_media(void **state)
{
    (void)state;
    fake *f = calloc(1, sizeof(*f));
    sd_engine *e = engine_from(yaml, f);
    /* a rule without media: the template port, nothing opened */
    sip_in(e, f, "INVITE", "plain", "c4", 1, OFFER("0", "PCMU/8000"));
    assert_int_equal(f->m.opened, 0);
    assert_non_null(strstr(f->sip[f->n_sip - 1], "m=audio " SD_SDP_MEDIA_PORT " "));
    /* an offer we refuse (no codec in common): 488, the pair opened for it closed again */
    sip_in(e, f, "INVITE", "echo", "c5", 1, OFFER("18", "G729/8000"));
    assert_non_null(strstr(f->sip[f->n_sip - 1], "SIP/2.0 488"));
    assert_int_equal(f->m.opened, f->m.closed);
    assert_int_equal(sd_engine_media_calls(e), 0);
    assert_int_equal(f->ends, 0);
    /* no port pair: answered without media (the template port), counted */
    f->m.refuse_open = true;
    sip_in(e, f, "INVITE", "echo", "c6", 1, OFFER("0", "PCMU/8000"));
    assert_non_null(strstr(f->sip[f->n_sip - 1], "SIP/2.0 200"));
    assert_non_null(strstr(f->sip[f->n_sip - 1], "m=audio " SD_SDP_MEDIA_PORT " "));
    assert_int_equal(sd_engine_counters(e)->media_failures, 1);
    /* the engine freed with a session open: closed, no end line */
    f->m.refuse_open = false;
    sip_in(e, f, "INVITE", "echo", "c7", 1, OFFER("0", "PCMU/8000"));
    assert_int_equal(sd_engine_media_calls(e), 1);
    sd_engine_free(e);
    assert_int_equal(f->m.opened, f->m.closed);
    free(f);
}

/* a re-INVITE (same Call-ID) that holds us (RFC 3264 §8.4: sendonly) stops the tone, one
 * that resumes starts it again; the port stays */
static void test_hold_resume(void **state)
{
    (void)state;
    fake *f = calloc(1, sizeof(*f));
    sd_engine *e = engine_from(yaml, f);
    sip_in(e, f, "INVITE", "hold", "c8", 1, OFFER("0", "PCMU/8000"));
    advance(e, f, 50); /* 0, 20, 40 */
    assert_int_equal(f->m.n, 3);
    sip_in(e, f, "INVITE", "hold", "c8", 2, OFFER("0", "PCMU/8000") "a=sendonly\r\n");
    assert_non_null(strstr(f->sip[f->n_sip - 1], "m=audio 30000 RTP/AVP 0 101\r\n"));
    assert_non_null(strstr(f->sip[f->n_sip - 1], "a=recvonly\r\n"));
    advance(e, f, 500);
    assert_int_equal(f->m.n, 3);
    assert_int_equal(f->m.opened, 1);
    /* the resuming re-INVITE matches a rule without media: the call's session is kept */
    sip_in(e, f, "INVITE", "plain", "c8", 3, OFFER("0", "PCMU/8000"));
    assert_non_null(strstr(f->sip[f->n_sip - 1], "m=audio 30000 RTP/AVP 0 101\r\n"));
    advance(e, f, 510);
    assert_int_equal(f->m.n, 4);
    sr_rtp_hdr h;
    assert_int_equal(sr_rtp_parse(f->m.p[3].data, f->m.p[3].len, &h), 0);
    assert_true(h.marker); /* a new talkspurt after the gap */
    sd_engine_free(e);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo),        cmocka_unit_test(test_tone_early_media),
        cmocka_unit_test(test_timeout),     cmocka_unit_test(test_no_media),
        cmocka_unit_test(test_hold_resume),
    };
    return cmocka_run_group_tests_name("engine_media", tests, NULL, NULL);
}
