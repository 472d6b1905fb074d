/* sipreply tests: the offer/answer examples of RFC 4317, each exchange checked against
 * RFC 3264 by sr_sdp_check_answer(), and each offer answered by sr_sdp_answer(). RFC 4317
 * §3.2's second answer breaks RFC 3264 §6.1 (a sendonly stream answered sendrecv): the
 * check must refuse it (docs/sdp.md). The SDP is RFC 4317's, with CRLF line ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "sipreply/sdp.h"

#define SESS(user, id, ver, host, chost) \
    "v=0\r\no=" user " " id " " ver " IN IP4 " host "\r\ns=\r\nc=IN IP4 " chost "\r\nt=0 0\r\n"
#define ALICE_AT(ver, chost) SESS("alice", "2890844526", ver, "host.atlanta.example.com", chost)
#define ALICE(ver)           ALICE_AT(ver, "host.atlanta.example.com")
#define BOB_AT(ver, chost)   SESS("bob", "2808844564", ver, "host.biloxi.example.com", chost)
#define BOB(ver)             BOB_AT(ver, "host.biloxi.example.com")

#define PCMU     "a=rtpmap:0 PCMU/8000\r\n"
#define PCMA     "a=rtpmap:8 PCMA/8000\r\n"
#define ILBC(pt) "a=rtpmap:" pt " iLBC/8000\r\n"
#define TE(pt)   "a=rtpmap:" pt " telephone-event/8000\r\n"
#define H261     "a=rtpmap:31 H261/90000\r\n"
#define MPV      "a=rtpmap:32 MPV/90000\r\n"

/* the offer of §2.1, §2.2, §2.3 and §2.8 */
#define AV1                                            \
    ALICE("2890844526")                                \
    "m=audio 49170 RTP/AVP 0 8 97\r\n" PCMU PCMA ILBC( \
        "97") "m=video 51372 RTP/AVP 31 32\r\n" H261 MPV

typedef struct exchange {
    const char *where; /* RFC 4317 section and step */
    const char *offer, *answer;
    int want; /* what sr_sdp_check_answer() must say */
} exchange;

static const exchange ex[] = {
    {"2.1", AV1,
     BOB("2808844564") "m=audio 49174 RTP/AVP 0\r\n" PCMU "m=video 49170 RTP/AVP 32\r\n" MPV, 0},
    {"2.2", AV1,
     BOB("2808844564") "m=audio 49172 RTP/AVP 0 8\r\n" PCMU PCMA "m=video 0 RTP/AVP 31\r\n" H261,
     0},
    {"2.2 second",
     ALICE("2890844527") "m=audio 51372 RTP/AVP 0\r\n" PCMU "m=video 0 RTP/AVP 31\r\n" H261,
     BOB("2808844565") "m=audio 49172 RTP/AVP 0\r\n" PCMU "m=video 0 RTP/AVP 31\r\n" H261, 0},
    {"2.3", AV1,
     BOB("2808844564") "m=audio 49172 RTP/AVP 99\r\n" ILBC(
         "99") "m=video 51374 RTP/AVP 31\r\n" H261,
     0},
    {"2.4",
     ALICE("2890844526") "m=audio 49170 RTP/AVP 0 97\r\n" PCMU ILBC(
         "97") "m=audio 49172 RTP/AVP 98\r\n" TE("98") "a=sendonly\r\n",
     BOB("2808844564") "m=audio 49172 RTP/AVP 97\r\n" ILBC("97") "m=audio 49174 RTP/AVP 98\r\n" TE(
         "98") "a=recvonly\r\n",
     0},
    {"2.5",
     ALICE("2890844526") "m=audio 49170 RTP/AVP 97\r\n" ILBC(
         "97") "m=video 51372 RTP/AVP 31\r\n" H261,
     BOB("2808844564") "m=audio 49174 RTP/AVP 97\r\n" ILBC(
         "97") "m=video 49170 RTP/AVP 31\r\n" H261,
     0},
    {"2.5 second",
     BOB_AT("2808844565", "newhost.biloxi.example.com") "m=audio 49178 RTP/AVP 97\r\n" ILBC(
         "97") "m=video 49188 RTP/AVP 31\r\n" H261,
     ALICE("2890844526") "m=audio 49170 RTP/AVP 97\r\n" ILBC(
         "97") "m=video 51372 RTP/AVP 31\r\n" H261,
     0},
    {"2.6",
     ALICE("2890844526") "m=audio 49170 RTP/AVP 0\r\n" PCMU
                         "m=audio 51372 RTP/AVP 97 101\r\n" ILBC("97") TE("101"),
     BOB("2808844564") "m=audio 0 RTP/AVP 0\r\n" PCMU "m=audio 49170 RTP/AVP 97 101\r\n" ILBC("97")
         TE("101"),
     0},
    {"2.7",
     ALICE("2890844526") "m=audio 49170 RTP/AVP 99\r\n" ILBC(
         "99") "m=video 51372 RTP/AVP 31\r\n" H261,
     BOB("2808844564") "m=audio 49172 RTP/AVP 99\r\n" ILBC(
         "99") "m=video 51374 RTP/AVP 31\r\n" H261,
     0},
    {"2.7 second",
     ALICE("2890844527") "m=audio 49170 RTP/AVP 99\r\n" ILBC(
         "99") "m=video 51372 RTP/AVP 31 32\r\n" H261 MPV,
     BOB("2808844565") "m=audio 49172 RTP/AVP 99\r\n" ILBC(
         "99") "m=video 51374 RTP/AVP 31 32\r\n" H261 MPV,
     0},
    {"2.8", AV1,
     BOB("2808844564") "m=audio 49174 RTP/AVP 0\r\n" PCMU
                       "m=video 49172 RTP/AVP 32\r\nc=IN IP4 otherhost.biloxi.example.com\r\n" MPV,
     0},
    {"3.1", ALICE("2890844526") "m=audio 49170 RTP/AVP 0 97\r\n" PCMU ILBC("97"),
     BOB_AT("2808844564", "placeholder.biloxi.example.com") "m=audio 49172 RTP/AVP 97\r\n" ILBC(
         "97") "a=sendonly\r\n",
     0},
    {"3.1 second", BOB("2808844565") "m=audio 49170 RTP/AVP 97\r\n" ILBC("97"),
     ALICE("2890844527") "m=audio 49178 RTP/AVP 97\r\n" ILBC("97"), 0},
    {"3.2",
     ALICE("2890844526") "m=audio 49170 RTP/AVP 0 97\r\n" PCMU ILBC(
         "97") "m=audio 49172 RTP/AVP 98\r\n" TE("98") "a=sendonly\r\n",
     BOB("2808844564") "m=audio 49172 RTP/AVP 97\r\n" ILBC("97") "m=audio 49174 RTP/AVP 98\r\n" TE(
         "98") "a=recvonly\r\n",
     0},
    /* RFC 4317 answers Bob's sendonly (hold) with no direction, i.e. sendrecv: RFC 3264
     * §6.1 wants recvonly or inactive */
    {"3.2 second",
     BOB("2808844565") "m=audio 49172 RTP/AVP 97\r\n" ILBC("97") "a=sendonly\r\n"
                                                                 "m=audio 49174 RTP/AVP 98\r\n" TE(
                                                                     "98") "a=recvonly\r\n",
     ALICE("2890844527") "m=audio 49170 RTP/AVP 0 97\r\n" PCMU ILBC(
         "97") "m=audio 49172 RTP/AVP 98\r\n" TE("98") "a=sendonly\r\n",
     SR_EBADMSG},
    {"4.1", ALICE("2890844526") "m=audio 49170 RTP/AVP 0 97\r\n" PCMU ILBC("97"),
     BOB("2808844564") "m=audio 49170 RTP/AVP 97\r\n" ILBC("97"), 0},
    {"4.1 second",
     BOB("2808844565") "m=audio 49170 RTP/AVP 97\r\n" ILBC("97") "m=audio 48282 RTP/AVP 98\r\nc=IN "
                                                                 "IP4 "
                                                                 "mediaserver.biloxi.example."
                                                                 "com\r\n" TE(
                                                                     "98") "a=recvonly\r\n",
     ALICE("2890844527") "m=audio 49170 RTP/AVP 97\r\n" ILBC(
         "97") "m=audio 49172 RTP/AVP 98\r\nc=IN IP4 host.atlanta.example.com\r\n" TE("98") "a="
                                                                                            "sendon"
                                                                                            "ly\r"
                                                                                            "\n",
     0},
    {"4.2", ALICE("2890844526") "m=audio 49170 RTP/AVP 0\r\n" PCMU,
     BOB("2808844564") "m=audio 49172 RTP/AVP 0\r\n" PCMU, 0},
    {"4.2 second",
     ALICE("2890844527") "m=audio 49170 RTP/AVP 0\r\n" PCMU "m=video 49172 RTP/AVP 31\r\n" H261,
     BOB("2808844565") "m=audio 49172 RTP/AVP 0\r\n" PCMU "m=video 49168 RTP/AVP 31\r\n" H261, 0},
    {"4.3",
     ALICE("2890844526") "m=audio 49170 RTP/AVP 97\r\n" ILBC(
         "97") "m=video 51372 RTP/AVP 31\r\n" H261,
     BOB("2808844564") "m=audio 49174 RTP/AVP 97\r\n" ILBC(
         "97") "m=video 49170 RTP/AVP 31\r\n" H261,
     0},
    {"4.3 second",
     BOB("2808844565") "m=audio 49174 RTP/AVP 97\r\n" ILBC("97") "m=video 0 RTP/AVP 31\r\n" H261,
     ALICE("2890844527") "m=audio 49170 RTP/AVP 97\r\n" ILBC("97") "m=video 0 RTP/AVP 31\r\n" H261,
     0},
    {"5.1", ALICE("2890844526"), BOB("2808844564"), 0},
    {"5.1 second", ALICE("2890844527") "m=audio 49170 RTP/AVP 97\r\n" ILBC("97"),
     BOB("2808844565") "m=audio 49172 RTP/AVP 97\r\n" ILBC("97"), 0},
    {"5.2", ALICE_AT("2890844526", "0.0.0.0") "m=audio 23442 RTP/AVP 97\r\n" ILBC("97"),
     BOB("2808844564") "m=audio 49170 RTP/AVP 97\r\n" ILBC("97"), 0},
    {"5.2 second", ALICE("2890844527") "m=audio 49170 RTP/AVP 97\r\n" ILBC("97"),
     BOB("2808844564") "m=audio 49170 RTP/AVP 97\r\n" ILBC("97"), 0},
    {"5.3", ALICE("2890844526") "m=audio 49170 RTP/AVP 97\r\n" ILBC("97"),
     BOB_AT("2808844564", "0.0.0.0") "m=audio 9322 RTP/AVP 97\r\n" ILBC("97"), 0},
    {"5.3 second", BOB("2808844565") "m=audio 49172 RTP/AVP 97\r\n" ILBC("97"),
     ALICE("2890844526") "m=audio 49170 RTP/AVP 97\r\n" ILBC("97"), 0},
};
#define N_EX (sizeof(ex) / sizeof(ex[0]))

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

/* Every offer and answer of RFC 4317 parses, prints and parses back the same. */
static void test_rfc4317_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_EX; i++) {
        const char *t[2] = {ex[i].offer, ex[i].answer};
        for (int k = 0; k < 2; k++) {
            sr_sdp *sd = parse_ok(t[k]);
            sr_buf b;
            sr_buf_init(&b, tu_allocator());
            assert_int_equal(sr_sdp_print(sd, &b), 0);
            assert_string_equal(b.p, t[k]); /* RFC 4317 writes in our print order */
            sr_buf_cleanup(&b);
            sr_sdp_free(sd);
        }
    }
}

/* Each RFC 4317 answer answers its offer by RFC 3264 §6 (but for §3.2's second). */
static void test_rfc4317_check(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_EX; i++) {
        sr_sdp *o = parse_ok(ex[i].offer), *a = parse_ok(ex[i].answer);
        sr_sdp_result r;
        int rc = sr_sdp_check_answer(o, a, &r);
        if (rc != ex[i].want)
            fail_msg("RFC 4317 §%s: check gives %s (%s), want %s", ex[i].where, sr_errname(rc),
                     r.phrase ? r.phrase : "", sr_errname(ex[i].want));
        if (!strcmp(ex[i].where, "2.3"))
            assert_int_equal(r.streams[0].pt, 99); /* the answer's number: RFC 3264 §5.1 */
        if (!strcmp(ex[i].where, "2.4")) {
            assert_int_equal(r.streams[0].pt, 97);
            assert_int_equal(r.streams[1].pt, -1);
            assert_int_equal(r.streams[1].event_pt, 98);
            assert_int_equal(r.streams[1].dir, SR_SDP_RECVONLY);
        }
        if (!strcmp(ex[i].where, "2.6")) {
            assert_false(r.streams[0].accepted);
            assert_true(r.streams[1].accepted);
        }
        if (!strcmp(ex[i].where, "5.3"))
            assert_true(r.streams[0].peer_no_media);
        if (!strcmp(ex[i].where, "3.2 second"))
            assert_string_equal(r.phrase, "The answer's direction does not answer the offer's");
        sr_sdp_free(o);
        sr_sdp_free(a);
    }
}

/* Our answer to each RFC 4317 offer, with iLBC added to our codecs: it answers the offer
 * (RFC 3264 §6), audio accepted in the offerer's order, video rejected with port 0. */
static void test_rfc4317_our_answers(void **state)
{
    (void)state;
    static const sr_sdp_codec cs[] = {
        {"PCMU", 8000, 1, 0, 0, NULL},
        {"PCMA", 8000, 1, 8, 8, NULL},
        {"iLBC", 8000, 1, -1, 97, NULL},
        {"telephone-event", 8000, 1, -1, 101, "0-16"},
    };
    sr_sdp_local l;
    sr_sdp_local_init(&l);
    l.addr = "host.biloxi.example.com";
    l.codecs = cs;
    l.n_codecs = 4;
    for (size_t i = 0; i < N_EX; i++) {
        sr_sdp *o = parse_ok(ex[i].offer);
        sr_sdp_session s;
        sr_sdp_session_init(&s, 2808844564u, 2808844564u);
        sr_buf b;
        sr_buf_init(&b, tu_allocator());
        sr_sdp_result r;
        assert_int_equal(sr_sdp_answer(o, &l, &s, &b, &r), 0);
        sr_sdp *a = parse_ok(b.p);
        sr_sdp_result c;
        int rc = sr_sdp_check_answer(o, a, &c);
        if (rc != 0)
            fail_msg("§%s: %s (%s)\n%s", ex[i].where, sr_errname(rc), c.phrase, b.p);
        assert_int_equal(a->n_media, o->n_media);
        for (size_t m = 0; m < o->n_media; m++) {
            const sr_sdp_media *om = &o->media[m], *am = &a->media[m];
            if (sr_str_eq(om->type, SR_STR("video")) || !om->port) {
                assert_int_equal(am->port, 0);
                continue;
            }
            /* every offered format we know, in the offer's order and numbers */
            size_t k = 0;
            for (size_t j = 0; j < om->n_fmts; j++) {
                if (k < am->n_fmts && sr_str_eq(om->fmts[j].id, am->fmts[k].id))
                    k++;
            }
            assert_int_equal(k, am->n_fmts);
        }
        if (!strcmp(ex[i].where, "2.1"))
            assert_non_null(strstr(b.p, "m=audio 49170 RTP/AVP 0 8 97\r\n"));
        if (!strcmp(ex[i].where, "2.4")) {
            assert_non_null(strstr(b.p, "m=audio 49170 RTP/AVP 0 97\r\n"));
            assert_non_null(strstr(b.p, "m=audio 49172 RTP/AVP 98\r\n"));
            assert_int_equal(r.streams[1].dir, SR_SDP_RECVONLY);
        }
        if (!strcmp(ex[i].where, "5.1"))
            assert_int_equal(a->n_media, 0);
        if (!strcmp(ex[i].where, "5.2"))
            assert_true(r.streams[0].peer_no_media);
        if (!strcmp(ex[i].where, "3.2 second")) {
            /* ours does what RFC 3264 §6.1 asks: recvonly to the held stream */
            assert_int_equal(r.streams[0].dir, SR_SDP_RECVONLY);
            assert_int_equal(r.streams[1].dir, SR_SDP_SENDONLY);
        }
        sr_sdp_free(a);
        sr_sdp_free(o);
        sr_buf_cleanup(&b);
    }
    /* with our default codecs (no iLBC) the iLBC-only offers get nothing: 488 + 305 */
    sr_sdp *o = parse_ok(ex[5].offer); /* §2.5 */
    sr_sdp_session s;
    sr_sdp_session_init(&s, 1, 1);
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    sr_sdp_result r;
    l.codecs = NULL;
    assert_int_equal(sr_sdp_answer(o, &l, &s, &b, &r), SR_ENOCODEC);
    assert_int_equal(r.warning, 305);
    sr_buf_cleanup(&b);
    sr_sdp_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_rfc4317_parse),
        TU_TEST(test_rfc4317_check),
        TU_TEST(test_rfc4317_our_answers),
    };
    return cmocka_run_group_tests_name("sdp_rfc4317", tests, NULL, NULL);
}
