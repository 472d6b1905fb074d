/* sipreplyd: the offer/answer model in the engine (engine_sdp.c) in simulated time — the
 * answer to an INVITE's offer (RFC 3264 §6), 488 + Warning 305 when nothing is in common
 * (RFC 3261 §21.4.26, §20.43), 400 for a malformed offer, our offer in the 2xx or the
 * reliable 183 when the INVITE had none (RFC 3261 §13.2.1, RFC 3262 §5) and the check of the
 * answer in the ACK or PRACK. No sockets: sends are captured. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_harness.h"

static sd_engine *engine_from(const char *yaml, eh_cap *c)
{
    return eh_engine(yaml, c, 7);
}

#define OFFER_HEAD                                                                           \
    "v=0\r\no=alice 2890844526 2890844526 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n" \
    "t=0 0\r\n"

/* The answer to a PCMA-only offer carries PCMA, with the offer's number, on our address */
static void test_answer_pcma_only(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    char *r = eh_request("INVITE", "sip:200@127.0.0.1", "z9hG4bKp1", "c-p1", 1, NULL, NULL,
                         OFFER_HEAD "m=audio 4000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n");
    eh_feed(e, &c, r);
    assert_int_equal(c.n, 1);
    assert_int_equal(eh_status(c.s[0].data), 200);
    assert_true(eh_has(&c.s[0], "Content-Type: application/sdp\r\n"));
    const char *b = eh_body(c.s[0].data);
    assert_non_null(strstr(b, "o=sipreplyd "));
    assert_non_null(strstr(b, "c=IN IP4 127.0.0.1\r\n"));
    assert_non_null(strstr(b, "m=audio " SD_SDP_MEDIA_PORT " RTP/AVP 8\r\n"
                              "a=rtpmap:8 PCMA/8000\r\n"
                              "a=ptime:20\r\n"
                              "a=sendrecv\r\n"));
    assert_null(strstr(b, "PCMU"));
    assert_null(strstr(b, "telephone-event"));
    /* the offerer's dynamic number for telephone-event, and its order */
    eh_cap_clear(&c);
    char *r2 = eh_request("INVITE", "sip:200@127.0.0.1", "z9hG4bKp2", "c-p2", 1, NULL, NULL,
                          OFFER_HEAD "m=audio 4000 RTP/AVP 8 0 96\r\n"
                                     "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n"
                                     "a=sendonly\r\n");
    eh_feed(e, &c, r2);
    assert_int_equal(eh_status(c.s[0].data), 200);
    b = eh_body(c.s[0].data);
    assert_non_null(strstr(b, "m=audio " SD_SDP_MEDIA_PORT " RTP/AVP 8 0 96\r\n"));
    assert_non_null(strstr(b, "a=fmtp:96 0-15\r\n"));
    assert_non_null(strstr(b, "a=recvonly\r\n")); /* RFC 3264 §6.1: held by the offerer */
    free(r);
    free(r2);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* An offer with only a codec we lack: 488 + Warning 305, no SDP, logged */
static void test_no_common_codec(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    const char *g729 = OFFER_HEAD "m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
    char *r = eh_request("INVITE", "sip:200@127.0.0.1", "z9hG4bKn1", "c-n1", 1, NULL, NULL, g729);
    eh_feed(e, &c, r);
    assert_int_equal(c.n, 1);
    assert_int_equal(eh_status(c.s[0].data), 488);
    assert_true(eh_has(&c.s[0], "\r\nWarning: 305 sipreplyd \"Incompatible media format\"\r\n"));
    assert_false(eh_has(&c.s[0], "application/sdp\r\n"));
    assert_int_equal(c.last_code, 488);
    assert_string_equal(c.last_rule, "dial-a-code");
    assert_string_equal(c.last_note, "SDP offer: Incompatible media format");
    /* after a 180: the 180 goes, then the 488 in place of the 200 */
    eh_cap_clear(&c);
    char *r2 = eh_request("INVITE", "sip:180@127.0.0.1", "z9hG4bKn2", "c-n2", 1, NULL, NULL, g729);
    eh_feed(e, &c, r2);
    eh_advance(e, &c.now, 2000);
    assert_int_equal(eh_status(c.s[0].data), 180);
    assert_int_equal(eh_status(c.s[c.n - 1].data), 488);
    /* a rule's own answer wins: 486 is sent as asked, with no SDP */
    eh_cap_clear(&c);
    char *r3 = eh_request("INVITE", "sip:486@127.0.0.1", "z9hG4bKn3", "c-n3", 1, NULL, NULL, g729);
    eh_feed(e, &c, r3);
    assert_int_equal(eh_status(c.s[0].data), 486);
    /* offers nothing can answer: the code, the lines it carries, the log's note */
    static const struct {
        const char *sdp;
        unsigned code;
        const char *lines[2];
        const char *note; /* NULL: not checked */
    } none[] = {
        /* only video: 488 + 304 */
        {OFFER_HEAD "m=video 4000 RTP/AVP 31\r\n",
         488,
         {"\r\nWarning: 304 sipreplyd \"Media type not available\"\r\n", NULL},
         NULL},
        /* a secure profile only: 488 + 302 */
        {OFFER_HEAD "m=audio 4000 RTP/SAVP 0\r\n",
         488,
         {"\r\nWarning: 302 sipreplyd \"Incompatible transport protocol\"", NULL},
         NULL},
        /* a malformed offer: 400 with a 399 warning naming the problem */
        {OFFER_HEAD "m=audio 99999 RTP/AVP 0\r\n",
         400,
         {"SIP/2.0 400 Malformed SDP\r\n",
          "Warning: 399 sipreplyd \"Malformed session description: Bad m= line\"\r\n"},
         "SDP offer: Bad m= line"},
    };
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        eh_cap_clear(&c);
        char br[32], cid[32];
        snprintf(br, sizeof(br), "z9hG4bKn%zu", i + 4);
        snprintf(cid, sizeof(cid), "c-n%zu", i + 4);
        char *rq = eh_request("INVITE", "sip:200@127.0.0.1", br, cid, 1, NULL, NULL, none[i].sdp);
        eh_feed(e, &c, rq);
        free(rq);
        assert_int_equal(eh_status(c.s[0].data), none[i].code);
        for (size_t k = 0; k < 2; k++)
            if (none[i].lines[k] && !eh_has(&c.s[0], none[i].lines[k]))
                fail_msg("offer %zu: no '%s' in\n%s", i, none[i].lines[k], c.s[0].data);
        if (none[i].note)
            assert_string_equal(c.last_note, none[i].note);
    }
    free(r);
    free(r2);
    free(r3);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* "sdp: false" and a body of the rule's own: the rule says otherwise */
static void test_rule_says_otherwise(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from("rules:\n"
                               "  - match: {user: bare}\n"
                               "    respond: {code: 200, sdp: false}\n"
                               "  - match: {user: own}\n"
                               "    respond: {code: 200, body: \"v=0\\r\\n\","
                               " content-type: application/sdp}\n"
                               "  - match: {user: auto}\n"
                               "    respond: {code: 200, sdp: true}\n",
                               &c);
    const char *g729 = OFFER_HEAD "m=audio 4000 RTP/AVP 18\r\n";
    char *r1 = eh_request("INVITE", "sip:bare@127.0.0.1", "z9hG4bKo1", "c-o1", 1, NULL, NULL, g729);
    char *r2 = eh_request("INVITE", "sip:own@127.0.0.1", "z9hG4bKo2", "c-o2", 1, NULL, NULL, g729);
    char *r3 = eh_request("INVITE", "sip:auto@127.0.0.1", "z9hG4bKo3", "c-o3", 1, NULL, NULL,
                          OFFER_HEAD "m=audio 4000 RTP/AVP 0\r\n");
    eh_feed(e, &c, r1);
    eh_feed(e, &c, r2);
    eh_feed(e, &c, r3);
    assert_int_equal(c.n, 3);
    assert_int_equal(eh_status(c.s[0].data), 200);
    assert_true(eh_has(&c.s[0], "Content-Length: 0\r\n"));
    assert_int_equal(eh_status(c.s[1].data), 200);
    assert_string_equal(eh_body(c.s[1].data), "v=0\r\n");
    /* "sdp: true" is our SDP by RFC 3264, not the old fixed template */
    assert_non_null(strstr(eh_body(c.s[2].data), "m=audio " SD_SDP_MEDIA_PORT " RTP/AVP 0\r\n"));
    free(r1);
    free(r2);
    free(r3);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* No offer in the INVITE: our offer in the 200, the answer in the ACK (RFC 3261 §13.2.1) */
static void test_offer_in_200_answer_in_ack(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    static const struct {
        const char *answer;
        const char *note;
    } cases[] = {
        {OFFER_HEAD "m=audio 4000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n",
         "ACK: the answer to our offer is accepted (PCMA, answered sendrecv)"},
        {OFFER_HEAD "m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
                    "a=recvonly\r\n",
         "ACK: the answer to our offer is accepted (0, answered recvonly)"},
        {OFFER_HEAD "m=audio 4000 RTP/AVP 18\r\n",
         "ACK: the answer to our offer is refused: An accepted stream of the answer lists no "
         "format we offered"},
        {OFFER_HEAD "m=audio 0 RTP/AVP 0\r\n",
         "ACK: the answer to our offer is refused: no codec accepted"},
        {NULL, "ACK without the answer to our offer"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char br[32], cid[32];
        snprintf(br, sizeof br, "z9hG4bKa%zu", i);
        snprintf(cid, sizeof cid, "c-a%zu", i);
        eh_cap_clear(&c);
        char *r = eh_request("INVITE", "sip:200@127.0.0.1", br, cid, 1, NULL, NULL, NULL);
        eh_feed(e, &c, r);
        assert_int_equal(c.n, 1);
        assert_int_equal(eh_status(c.s[0].data), 200);
        const char *b = eh_body(c.s[0].data);
        assert_non_null(strstr(b, "m=audio " SD_SDP_MEDIA_PORT " RTP/AVP 0 8 101\r\n"
                                  "a=rtpmap:0 PCMU/8000\r\n"
                                  "a=rtpmap:8 PCMA/8000\r\n"
                                  "a=rtpmap:101 telephone-event/8000\r\n"
                                  "a=fmtp:101 0-16\r\n"
                                  "a=ptime:20\r\n"
                                  "a=sendrecv\r\n"));
        char tag[64];
        snprintf(tag, sizeof tag, "%s", eh_to_tag(c.s[0].data));
        snprintf(br, sizeof br, "z9hG4bKack%zu", i);
        char *ack =
            eh_request("ACK", "sip:sipreplyd@127.0.0.1", br, cid, 1, tag, NULL, cases[i].answer);
        unsigned logs = c.logs;
        eh_feed(e, &c, ack);
        assert_int_equal(c.logs, logs + 1);
        assert_string_equal(c.last_rule, ""); /* a debug record */
        assert_string_equal(c.last_note, cases[i].note);
        /* the ACK ended the 200's resending */
        eh_advance(e, &c.now, c.now + 40000);
        assert_int_equal(c.n, 1);
        free(r);
        free(ack);
    }
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* No offer, a reliable 183 (RFC 3262 §5): our offer in it, the answer in the PRACK, the
 * 200 without SDP */
static void test_offer_in_reliable_183(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    char *r = eh_request("INVITE", "sip:183@127.0.0.1", "z9hG4bKr1", "c-r1", 1, NULL,
                         "Supported: 100rel\r\n", NULL);
    eh_feed(e, &c, r);
    assert_int_equal(c.n, 1);
    assert_int_equal(eh_status(c.s[0].data), 183);
    assert_true(eh_has(&c.s[0], "\r\nRSeq: "));
    assert_non_null(
        strstr(eh_body(c.s[0].data), "m=audio " SD_SDP_MEDIA_PORT " RTP/AVP 0 8 101\r\n"));
    unsigned rseq = (unsigned)strtoul(strstr(c.s[0].data, "RSeq: ") + 6, NULL, 10);
    char rack[64], tag[64];
    snprintf(rack, sizeof rack, "RAck: %u 1 INVITE\r\n", rseq);
    snprintf(tag, sizeof tag, "%s", eh_to_tag(c.s[0].data));
    char *pr = eh_request("PRACK", "sip:sipreplyd@127.0.0.1", "z9hG4bKr2", "c-r1", 2, tag, rack,
                          OFFER_HEAD "m=audio 4000 RTP/AVP 8\r\n");
    eh_feed(e, &c, pr);
    assert_string_equal(c.last_note,
                        "PRACK: the answer to our offer is accepted (8, answered sendrecv)");
    eh_advance(e, &c.now, 1500);
    unsigned n200 = 0;
    for (size_t i = 1; i < c.n; i++) {
        if (eh_status(c.s[i].data) == 200 && eh_has(&c.s[i], "CSeq: 1 INVITE")) {
            n200++;
            assert_false(eh_has(&c.s[i], "application/sdp")); /* the offer/answer is done */
        }
    }
    assert_true(n200 >= 1);
    free(r);
    free(pr);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

/* RFC 3264 §8: one o= per call, the same in the 183 and the 200 answering one offer */
static void test_origin_stable_in_a_call(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from("rules:\n"
                               "  - respond: [183, {code: 200, delay: 100ms}]\n",
                               &c);
    char *r = eh_request("INVITE", "sip:x@127.0.0.1", "z9hG4bKs1", "c-s1", 1, NULL, NULL,
                         OFFER_HEAD "m=audio 4000 RTP/AVP 0 8\r\n");
    eh_feed(e, &c, r);
    eh_advance(e, &c.now, 500);
    assert_int_equal(eh_status(c.s[0].data), 183);
    assert_int_equal(eh_status(c.s[1].data), 200);
    assert_string_equal(eh_body(c.s[0].data), eh_body(c.s[1].data));
    free(r);
    eh_cap_clear(&c);
    sd_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answer_pcma_only),
        cmocka_unit_test(test_no_common_codec),
        cmocka_unit_test(test_rule_says_otherwise),
        cmocka_unit_test(test_offer_in_200_answer_in_ack),
        cmocka_unit_test(test_offer_in_reliable_183),
        cmocka_unit_test(test_origin_stable_in_a_call),
    };
    return cmocka_run_group_tests_name("engine_sdp", tests, NULL, NULL);
}
