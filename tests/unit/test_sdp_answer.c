/* sipreply tests: the offer/answer model (sdp.h) — RFC 3264 §6 answers (codec intersection
 * in the offerer's order, payload types kept, telephone-event events, directions, rejected
 * streams, 488 warn-codes), our offers, o= versions (§8), the check of an answer to ours,
 * and an allocation failure sweep. Every answer made is parsed back and checked against its
 * offer by sr_sdp_check_answer(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "sipreply/sdp.h"

static char *dup_cstr(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    memcpy(d, s, n + 1);
    return d;
}

static sr_sdp *parse_ok(const char *txt)
{
    sr_sdp *sd = NULL;
    sr_parse_error pe = {0};
    int rc = sr_sdp_parse(&sd, txt, strlen(txt), tu_allocator(), &pe);
    if (rc != 0)
        fail_msg("parse failed: %s (%s) at %zu\n%s", sr_errname(rc), pe.phrase ? pe.phrase : "?",
                 pe.offset, txt);
    return sd;
}

static void local_default(sr_sdp_local *l)
{
    sr_sdp_local_init(l);
    l->addr = "192.0.2.5";
    l->port = 40000;
}

/* Answer @p offer_txt with @p l: the return code; the answer's text in *@p text (caller
 * frees) when 0, after checking it parses and answers the offer (RFC 3264 §6). */
static int answer(const char *offer_txt, const sr_sdp_local *l, sr_sdp_session *s,
                  sr_sdp_result *res, char **text)
{
    sr_sdp *offer = parse_ok(offer_txt);
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    int rc = sr_sdp_answer(offer, l, s, &b, res);
    if (rc == 0) {
        sr_sdp *ans = parse_ok(b.p);
        sr_sdp_result chk;
        int crc = sr_sdp_check_answer(offer, ans, &chk);
        if (crc != 0 && !(crc == SR_ENOCODEC && res->n_accepted == 0))
            fail_msg("our answer does not answer the offer: %s (%s)\n%s", sr_errname(crc),
                     chk.phrase ? chk.phrase : "", b.p);
        sr_sdp_free(ans);
        *text = dup_cstr(b.p);
    } else {
        assert_int_equal(b.len, 0); /* nothing appended */
        *text = NULL;
    }
    sr_buf_cleanup(&b);
    sr_sdp_free(offer);
    return rc;
}

static char *answer_ok(const char *offer_txt, const sr_sdp_local *l, sr_sdp_result *res)
{
    sr_sdp_session s;
    sr_sdp_session_init(&s, 7, 1);
    char *t = NULL;
    int rc = answer(offer_txt, l, &s, res, &t);
    if (rc)
        fail_msg("answer failed: %s\n%s", sr_errname(rc), offer_txt);
    return t;
}

/* The text of the m= section @p i (0-based) of @p sdp: from "m=" to the next "m=" or end. */
static char *section(const char *sdp, int i)
{
    const char *p = sdp;
    for (int k = 0; k <= i; k++) {
        p = strstr(p, "m=");
        assert_non_null(p);
        if (k < i)
            p += 2;
    }
    const char *e = strstr(p + 2, "\r\nm=");
    size_t n = e ? (size_t)(e - p) + 2 : strlen(p);
    char *s = malloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static void assert_section(const char *sdp, int i, const char *want)
{
    char *s = section(sdp, i);
    if (strcmp(s, want) != 0)
        fail_msg("m= section %d:\n%s\nwant:\n%s\nin:\n%s", i, s, want, sdp);
    free(s);
}

#define HEAD(dir) \
    "v=0\r\no=bob 1 1 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\n" dir

/* ------------------------------------------------------------------ codecs */

static void test_answer_pcma_only(void **state)
{
    (void)state;
    sr_sdp_local l;
    local_default(&l);
    sr_sdp_result r;
    char *a = answer_ok(HEAD("") "m=audio 5000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n", &l, &r);
    assert_string_equal(a, "v=0\r\n"
                           "o=- 7 1 IN IP4 192.0.2.5\r\n"
                           "s=-\r\n"
                           "c=IN IP4 192.0.2.5\r\n"
                           "t=0 0\r\n"
                           "m=audio 40000 RTP/AVP 8\r\n"
                           "a=rtpmap:8 PCMA/8000\r\n"
                           "a=sendrecv\r\n");
    assert_int_equal(r.n_accepted, 1);
    assert_true(r.streams[0].accepted);
    assert_int_equal(r.streams[0].pt, 8);
    assert_int_equal(r.streams[0].event_pt, -1);
    free(a);
}

static void test_answer_offerer_order(void **state)
{
    (void)state;
    sr_sdp_local l;
    local_default(&l);
    l.ptime = 20;
    sr_sdp_result r;
    /* the offerer's order (PCMA first), its dynamic number for telephone-event (96), static
     * types without rtpmap (RFC 3551 §6), case-insensitive names, unknown codecs dropped */
    char *a = answer_ok(HEAD("") "m=audio 5000 RTP/AVP 18 8 0 96\r\na=rtpmap:96 "
                                 "Telephone-Event/8000\r\na=fmtp:96 0-11,16,32-40\r\n",
                        &l, &r);
    assert_section(a, 0,
                   "m=audio 40000 RTP/AVP 8 0 96\r\n"
                   "a=rtpmap:8 PCMA/8000\r\n"
                   "a=rtpmap:0 PCMU/8000\r\n"
                   "a=rtpmap:96 Telephone-Event/8000\r\n"
                   "a=fmtp:96 0-11,16\r\n"
                   "a=ptime:20\r\n"
                   "a=sendrecv\r\n");
    assert_int_equal(r.streams[0].pt, 8);
    assert_int_equal(r.streams[0].event_pt, 96);
    free(a);
    /* telephone-event without fmtp: 0-15 (RFC 4733 §2.4.1); with no event in common: gone */
    a = answer_ok(HEAD("") "m=audio 5000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
                  &l, &r);
    assert_non_null(strstr(a, "a=fmtp:101 0-15\r\n"));
    free(a);
    a = answer_ok(HEAD("") "m=audio 5000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
                           "a=fmtp:101 32-40\r\n",
                  &l, &r);
    assert_section(a, 0,
                   "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n"
                   "a=sendrecv\r\n");
    assert_int_equal(r.streams[0].event_pt, -1);
    free(a);
    /* the same codec twice: the first number only; a clock or channel count we lack: no */
    a = answer_ok(HEAD("") "m=audio 5000 RTP/AVP 97 98 8 99\r\na=rtpmap:97 PCMU/16000\r\n"
                           "a=rtpmap:98 PCMU/8000/2\r\na=rtpmap:99 PCMA/8000\r\n",
                  &l, &r);
    assert_section(a, 0,
                   "m=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=ptime:20\r\n"
                   "a=sendrecv\r\n");
    free(a);
}

/* RFC 3261 §20.43 warn-codes for the 488 when nothing can be accepted */
static void test_answer_no_codec(void **state)
{
    (void)state;
    sr_sdp_local l;
    local_default(&l);
    sr_sdp_session s;
    sr_sdp_session_init(&s, 1, 1);
    sr_sdp_result r;
    char *t;
    assert_int_equal(
        answer(HEAD("") "m=audio 5000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n", &l, &s, &r, &t),
        SR_ENOCODEC);
    assert_int_equal(r.warning, 305);
    assert_string_equal(r.phrase, "Incompatible media format");
    assert_int_equal(r.n_accepted, 0);
    /* telephone-event alone is not a codec */
    assert_int_equal(answer(HEAD("") "m=audio 5000 RTP/AVP 101\r\na=rtpmap:101 "
                                     "telephone-event/8000\r\n",
                            &l, &s, &r, &t),
                     SR_ENOCODEC);
    assert_int_equal(r.warning, 305);
    assert_false(r.streams[0].accepted);
    assert_int_equal(answer(HEAD("") "m=video 5000 RTP/AVP 31\r\n", &l, &s, &r, &t), SR_ENOCODEC);
    assert_int_equal(r.warning, 304);
    assert_int_equal(answer(HEAD("") "m=audio 5000 RTP/SAVP 0\r\n", &l, &s, &r, &t), SR_ENOCODEC);
    assert_int_equal(r.warning, 302);
    assert_false(s.sent); /* no version was used up */
    /* every stream disabled (port 0): answered with port 0 all through, not an error */
    char *a = answer_ok(HEAD("") "m=audio 0 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n", &l, &r);
    assert_section(a, 0, "m=audio 0 RTP/AVP 0\r\n");
    assert_section(a, 1, "m=video 0 RTP/AVP 31\r\n");
    assert_int_equal(r.n_accepted, 0);
    free(a);
}

/* RFC 3264 §6: rejected streams keep their place with port 0 and the offered formats */
static void test_answer_streams(void **state)
{
    (void)state;
    sr_sdp_local l;
    local_default(&l);
    l.max_streams = 2;
    sr_sdp_result r;
    char *a = answer_ok(HEAD("") "m=video 5002 RTP/AVP 31 34\r\na=rtpmap:31 H261/90000\r\n"
                                 "m=audio 5000 RTP/AVP 0\r\n"
                                 "m=audio 5004 RTP/AVP 9\r\n"
                                 "m=audio 5006 RTP/AVP 8\r\n"
                                 "m=audio 5008 RTP/AVP 8\r\n",
                        &l, &r);
    assert_section(a, 0, "m=video 0 RTP/AVP 31 34\r\n");
    assert_section(a, 1, "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n");
    assert_section(a, 2, "m=audio 0 RTP/AVP 9\r\n");
    assert_section(a, 3, "m=audio 40002 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n");
    assert_section(a, 4, "m=audio 0 RTP/AVP 8\r\n"); /* max_streams */
    assert_int_equal(r.n_accepted, 2);
    assert_false(r.streams[0].accepted);
    assert_true(r.streams[3].accepted);
    free(a);
}

/* ------------------------------------------------------------------ directions */

static void dir_case(sr_sdp_dir ours, const char *offer_attr, const char *want, bool no_media)
{
    sr_sdp_local l;
    local_default(&l);
    l.dir = ours;
    char offer[512];
    snprintf(offer, sizeof offer,
             "v=0\r\no=bob 1 1 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n%s"
             "m=audio 5000 RTP/AVP 0\r\n",
             no_media ? "0.0.0.0" : "198.51.100.1", offer_attr);
    sr_sdp_result r;
    char *a = answer_ok(offer, &l, &r);
    char line[64];
    snprintf(line, sizeof line, "a=%s\r\n", want);
    if (!strstr(a, line))
        fail_msg("offer %s (ours %s): want %s in\n%s", offer_attr, sr_sdp_dir_name(ours), want, a);
    assert_int_equal(r.streams[0].peer_no_media, no_media);
    assert_string_equal(sr_sdp_dir_name(r.streams[0].dir), want);
    free(a);
}

/* RFC 3264 §6.1, hold per §8.4 and RFC 6337 §5 */
static void test_answer_directions(void **state)
{
    (void)state;
    dir_case(SR_SDP_SENDRECV, "", "sendrecv", false);
    dir_case(SR_SDP_SENDRECV, "a=sendrecv\r\n", "sendrecv", false);
    dir_case(SR_SDP_SENDRECV, "a=sendonly\r\n", "recvonly", false); /* held by the offerer */
    dir_case(SR_SDP_SENDRECV, "a=recvonly\r\n", "sendonly", false);
    dir_case(SR_SDP_SENDRECV, "a=inactive\r\n", "inactive", false);
    dir_case(SR_SDP_SENDONLY, "", "sendonly", false); /* we hold */
    dir_case(SR_SDP_SENDONLY, "a=sendonly\r\n", "inactive", false);
    dir_case(SR_SDP_RECVONLY, "a=recvonly\r\n", "inactive", false);
    dir_case(SR_SDP_INACTIVE, "", "inactive", false);
    /* RFC 3264 §8.4: c=0.0.0.0 means send nothing there; the answer stays as RFC 4317 §5.2 */
    dir_case(SR_SDP_SENDRECV, "", "sendrecv", true);
    /* media level beats session level */
    sr_sdp_local l;
    local_default(&l);
    sr_sdp_result r;
    char *a = answer_ok(HEAD("a=sendonly\r\n") "m=audio 5000 RTP/AVP 0\r\na=inactive\r\n"
                                               "m=audio 5002 RTP/AVP 0\r\n",
                        &l, &r);
    assert_int_equal(r.streams[0].dir, SR_SDP_INACTIVE);
    assert_int_equal(r.streams[1].dir, SR_SDP_RECVONLY);
    free(a);
}

/* ------------------------------------------------------------------ o= and our offers */

static void test_answer_versions(void **state)
{
    (void)state;
    sr_sdp_local l;
    local_default(&l);
    sr_sdp_session s;
    sr_sdp_session_init(&s, 4242, 10);
    sr_sdp_result r;
    char *a1, *a2, *a3;
    const char *offer = HEAD("") "m=audio 5000 RTP/AVP 0 8\r\n";
    assert_int_equal(answer(offer, &l, &s, &r, &a1), 0);
    assert_non_null(strstr(a1, "o=- 4242 10 IN IP4 192.0.2.5\r\n"));
    /* RFC 3264 §8: the same description again keeps its version */
    assert_int_equal(answer(offer, &l, &s, &r, &a2), 0);
    assert_string_equal(a1, a2);
    /* a change (we hold) takes the next one; sess-id stays */
    l.dir = SR_SDP_SENDONLY;
    assert_int_equal(answer(offer, &l, &s, &r, &a3), 0);
    assert_non_null(strstr(a3, "o=- 4242 11 IN IP4 192.0.2.5\r\n"));
    assert_int_equal(s.version, 11);
    free(a1);
    free(a2);
    free(a3);
    /* IPv6: IN IP6 in o= and c= */
    l.addr = "2001:db8::5";
    l.dir = SR_SDP_SENDRECV;
    a1 = answer_ok(offer, &l, &r);
    assert_non_null(strstr(a1, "o=- 7 1 IN IP6 2001:db8::5\r\n"));
    assert_non_null(strstr(a1, "c=IN IP6 2001:db8::5\r\n"));
    free(a1);
    assert_int_equal(sr_sdp_answer(NULL, &l, &s, NULL, NULL), SR_EINVAL);
}

static void test_offer(void **state)
{
    (void)state;
    sr_sdp_local l;
    local_default(&l);
    l.username = "sipreplyd";
    l.session_name = "call";
    l.ptime = 20;
    sr_sdp_session s;
    sr_sdp_session_init(&s, 99, 3);
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_sdp_offer(&l, &s, &b), 0);
    assert_string_equal(b.p, "v=0\r\n"
                             "o=sipreplyd 99 3 IN IP4 192.0.2.5\r\n"
                             "s=call\r\n"
                             "c=IN IP4 192.0.2.5\r\n"
                             "t=0 0\r\n"
                             "m=audio 40000 RTP/AVP 0 8 101\r\n"
                             "a=rtpmap:0 PCMU/8000\r\n"
                             "a=rtpmap:8 PCMA/8000\r\n"
                             "a=rtpmap:101 telephone-event/8000\r\n"
                             "a=fmtp:101 0-16\r\n"
                             "a=ptime:20\r\n"
                             "a=sendrecv\r\n");
    /* the offer parses, and a peer's answer to it checks out */
    sr_sdp *offer = parse_ok(b.p);
    sr_sdp *ans = parse_ok(HEAD("") "m=audio 6000 RTP/AVP 8 101\r\na=rtpmap:101 "
                                    "telephone-event/8000\r\na=fmtp:101 0-15\r\n");
    sr_sdp_result r;
    assert_int_equal(sr_sdp_check_answer(offer, ans, &r), 0);
    assert_int_equal(r.n_accepted, 1);
    assert_int_equal(r.streams[0].pt, 8);
    assert_int_equal(r.streams[0].event_pt, 101);
    sr_sdp_free(ans);
    /* our own answerer answers our offer */
    sr_buf b2;
    sr_buf_init(&b2, tu_allocator());
    sr_sdp_session s2;
    sr_sdp_session_init(&s2, 1, 1);
    assert_int_equal(sr_sdp_answer(offer, &l, &s2, &b2, &r), 0);
    ans = parse_ok(b2.p);
    assert_int_equal(sr_sdp_check_answer(offer, ans, &r), 0);
    assert_int_equal(r.streams[0].pt, 0);
    sr_sdp_free(ans);
    sr_sdp_free(offer);
    sr_buf_cleanup(&b2);
    /* a codec of our own making: stereo, dynamic, with fmtp */
    static const sr_sdp_codec mine[] = {{"opus", 48000, 2, -1, 111, "useinbandfec=1"}};
    l.codecs = mine;
    l.n_codecs = 1;
    b.len = 0;
    assert_int_equal(sr_sdp_offer(&l, &s, &b), 0);
    assert_non_null(strstr(b.p, "o=sipreplyd 99 4 "));
    assert_non_null(strstr(b.p, "m=audio 40000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n"
                                "a=fmtp:111 useinbandfec=1\r\n"));
    l.port = 0;
    assert_int_equal(sr_sdp_offer(&l, &s, &b), SR_EINVAL);
    sr_buf_cleanup(&b);
}

/* ------------------------------------------------------------------ checking answers */

static int check(const char *offer_txt, const char *answer_txt, sr_sdp_result *r)
{
    sr_sdp *o = parse_ok(offer_txt), *a = parse_ok(answer_txt);
    int rc = sr_sdp_check_answer(o, a, r);
    sr_sdp_free(o);
    sr_sdp_free(a);
    return rc;
}

static void test_check_answer(void **state)
{
    (void)state;
    const char *offer = HEAD("") "m=audio 5000 RTP/AVP 0 8\r\na=sendonly\r\n"
                                 "m=video 5002 RTP/AVP 31\r\n";
    sr_sdp_result r;
    assert_int_equal(check(offer, HEAD("") "m=audio 6000 RTP/AVP 8\r\na=recvonly\r\n", &r),
                     SR_EBADMSG);
    assert_string_equal(r.phrase, "The answer has another number of m= lines");
    assert_int_equal(
        check(offer, HEAD("") "m=video 6000 RTP/AVP 31\r\nm=audio 0 RTP/AVP 0\r\n", &r),
        SR_EBADMSG);
    assert_int_equal(
        check(offer, HEAD("") "m=audio 6000 RTP/AVP 8\r\nm=video 0 RTP/AVP 31\r\n", &r),
        SR_EBADMSG); /* sendrecv answering sendonly: RFC 3264 §6.1 */
    assert_string_equal(r.phrase, "The answer's direction does not answer the offer's");
    assert_int_equal(check(offer,
                           HEAD("") "m=audio 6000 RTP/AVP 18\r\na=recvonly\r\n"
                                    "m=video 0 RTP/AVP 31\r\n",
                           &r),
                     SR_EBADMSG);
    assert_int_equal(check(offer, HEAD("") "m=audio 0 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n", &r),
                     SR_ENOCODEC);
    assert_int_equal(r.warning, 305);
    assert_int_equal(check(offer,
                           HEAD("") "m=audio 6000 RTP/AVP 8 18\r\na=inactive\r\n"
                                    "m=video 0 RTP/AVP 31\r\n",
                           &r),
                     0); /* an extra format is not used; inactive answers sendonly */
    assert_int_equal(r.streams[0].pt, 8);
    assert_int_equal(r.n_accepted, 1);
    assert_int_equal(
        check(HEAD("") "m=audio 0 RTP/AVP 0\r\n", HEAD("") "m=audio 6000 RTP/AVP 0\r\n", &r),
        SR_EBADMSG); /* a stream we disabled */
    assert_int_equal(sr_sdp_check_answer(NULL, NULL, NULL), SR_EINVAL);
}

/* ------------------------------------------------------------------ memory */

static int sweep_answer(const sr_allocator *a, void *ctx)
{
    (void)ctx;
    const char *txt = HEAD("") "m=audio 5000 RTP/AVP 0 8 101\r\na=rtpmap:101 "
                               "telephone-event/8000\r\nm=video 5002 RTP/AVP 31\r\n";
    sr_sdp *o = NULL;
    int rc = sr_sdp_parse(&o, txt, strlen(txt), a, NULL);
    if (rc)
        return rc;
    sr_sdp_local l;
    local_default(&l);
    sr_sdp_session s;
    sr_sdp_session_init(&s, 1, 1);
    sr_buf b;
    sr_buf_init(&b, a);
    rc = sr_sdp_answer(o, &l, &s, &b, NULL);
    if (!rc)
        rc = sr_sdp_offer(&l, &s, &b);
    sr_buf_cleanup(&b);
    sr_sdp_free(o);
    return rc;
}

static void test_answer_sweep(void **state)
{
    (void)state;
    assert_true(tu_failure_sweep(sweep_answer, NULL) >= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_answer_pcma_only),
        TU_TEST(test_answer_offerer_order),
        TU_TEST(test_answer_no_codec),
        TU_TEST(test_answer_streams),
        TU_TEST(test_answer_directions),
        TU_TEST(test_answer_versions),
        TU_TEST(test_offer),
        TU_TEST(test_check_answer),
        TU_TEST(test_answer_sweep),
    };
    return cmocka_run_group_tests_name("sdp_answer", tests, NULL, NULL);
}
