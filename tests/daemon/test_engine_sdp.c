/* sipreplyd: the offer/answer model in the engine (engine_sdp.c) in simulated time — the
 * answer to an INVITE's offer (RFC 3264 §6), 488 + Warning 305 when nothing is in common
 * (RFC 3261 §21.4.26, §20.43), 400 for a malformed offer, our offer in the 2xx or the
 * reliable 183 when the INVITE had none (RFC 3261 §13.2.1, RFC 3262 §5) and the check of the
 * answer in the ACK or PRACK. No sockets: sends are captured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "engine.h"

#define MAX_SENT 64

typedef struct sent {
    char *data;
} sent;

typedef struct cap {
    sent s[MAX_SENT];
    size_t n;
    uint64_t now;
    unsigned last_code;
    char last_rule[64];
    char last_note[200];
    unsigned logs;
} cap;

static void on_send(const char *data, size_t len, const sr_addr *to, void *user)
{
    (void)to;
    cap *c = user;
    assert_true(c->n < MAX_SENT);
    c->s[c->n].data = malloc(len + 1);
    memcpy(c->s[c->n].data, data, len);
    c->s[c->n].data[len] = '\0';
    c->n++;
}

static void on_log(const sd_txlog *l, void *user)
{
    cap *c = user;
    c->last_code = l->code;
    snprintf(c->last_rule, sizeof(c->last_rule), "%s", l->rule ? l->rule : "");
    snprintf(c->last_note, sizeof(c->last_note), "%s", l->note ? l->note : "");
    c->logs++;
}

static void cap_clear(cap *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->s[i].data);
    c->n = 0;
}

static sd_engine *engine_from(const char *yaml, cap *c)
{
    sd_config *cf = NULL;
    sd_config_error err;
    int rc = sd_config_parse(&cf, yaml, strlen(yaml), &err);
    if (rc != 0)
        fail_msg("config: %u:%u: %s", err.line, err.column, err.msg);
    sd_engine_opts o = {.send = on_send, .user = c, .log = on_log, .log_user = c, .seed = 7};
    sd_engine *e = NULL;
    assert_int_equal(sd_engine_new(&e, cf, &o), 0);
    return e;
}

static const sd_local local = {"127.0.0.1", 5060};

/* A request; @p sdp (NULL: none) becomes its body. */
static char *request(const char *method, const char *uri, const char *branch, const char *callid,
                     unsigned cseq, const char *to_tag, const char *extra, const char *sdp)
{
    char *b = malloc(8192);
    snprintf(b, 8192,
             "%s %s SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=%s;rport\r\n"
             "Max-Forwards: 70\r\n"
             "From: <sip:alice@127.0.0.1>;tag=ft1\r\n"
             "To: <%s>%s%s\r\n"
             "Call-ID: %s\r\n"
             "CSeq: %u %s\r\n"
             "Contact: <sip:alice@127.0.0.1:5062>\r\n"
             "%s%s"
             "Content-Length: %zu\r\n\r\n%s",
             method, uri, branch, uri, to_tag ? ";tag=" : "", to_tag ? to_tag : "", callid, cseq,
             strcmp(method, "ACK") == 0 ? "INVITE" : method, extra ? extra : "",
             sdp ? "Content-Type: application/sdp\r\n" : "", sdp ? strlen(sdp) : 0, sdp ? sdp : "");
    return b;
}

static void feed(sd_engine *e, cap *c, const char *msg)
{
    sr_addr a;
    memset(&a, 0, sizeof(a));
    sr_addr_set(&a, "127.0.0.1", 5062, SR_TP_UDP);
    sd_engine_receive(e, msg, strlen(msg), &a, &local, c->now);
}

static void advance(sd_engine *e, cap *c, uint64_t to)
{
    while (sd_engine_next_deadline(e) <= to) {
        uint64_t d = sd_engine_next_deadline(e);
        if (d > c->now)
            c->now = d;
        sd_engine_on_timer(e, c->now);
    }
    c->now = to;
    sd_engine_on_timer(e, to);
}

static unsigned status_of(const sent *s)
{
    return strncmp(s->data, "SIP/2.0 ", 8) == 0 ? (unsigned)atoi(s->data + 8) : 0;
}

static bool has(const sent *s, const char *text)
{
    return strstr(s->data, text) != NULL;
}

static const char *body_of(const sent *s)
{
    const char *b = strstr(s->data, "\r\n\r\n");
    return b ? b + 4 : "";
}

static const char *to_tag_of(const sent *s)
{
    static char tag[64];
    const char *t = strstr(s->data, "\r\nTo: ");
    const char *p = t ? strstr(t, ";tag=") : NULL;
    assert_non_null(p);
    snprintf(tag, sizeof(tag), "%.*s", (int)strcspn(p + 5, "\r;>"), p + 5);
    return tag;
}

#define OFFER_HEAD                                                                           \
    "v=0\r\no=alice 2890844526 2890844526 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n" \
    "t=0 0\r\n"

/* The answer to a PCMA-only offer carries PCMA, with the offer's number, on our address */
static void test_answer_pcma_only(void **state)
{
    (void)state;
    cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    char *r = request("INVITE", "sip:200@127.0.0.1", "z9hG4bKp1", "c-p1", 1, NULL, NULL,
                      OFFER_HEAD "m=audio 4000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n");
    feed(e, &c, r);
    assert_int_equal(c.n, 1);
    assert_int_equal(status_of(&c.s[0]), 200);
    assert_true(has(&c.s[0], "Content-Type: application/sdp\r\n"));
    const char *b = body_of(&c.s[0]);
    assert_non_null(strstr(b, "o=sipreplyd "));
    assert_non_null(strstr(b, "c=IN IP4 127.0.0.1\r\n"));
    assert_non_null(strstr(b, "m=audio " SD_SDP_MEDIA_PORT " RTP/AVP 8\r\n"
                              "a=rtpmap:8 PCMA/8000\r\n"
                              "a=ptime:20\r\n"
                              "a=sendrecv\r\n"));
    assert_null(strstr(b, "PCMU"));
    assert_null(strstr(b, "telephone-event"));
    /* the offerer's dynamic number for telephone-event, and its order */
    cap_clear(&c);
    char *r2 = request("INVITE", "sip:200@127.0.0.1", "z9hG4bKp2", "c-p2", 1, NULL, NULL,
                       OFFER_HEAD "m=audio 4000 RTP/AVP 8 0 96\r\n"
                                  "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n"
                                  "a=sendonly\r\n");
    feed(e, &c, r2);
    assert_int_equal(status_of(&c.s[0]), 200);
    b = body_of(&c.s[0]);
    assert_non_null(strstr(b, "m=audio " SD_SDP_MEDIA_PORT " RTP/AVP 8 0 96\r\n"));
    assert_non_null(strstr(b, "a=fmtp:96 0-15\r\n"));
    assert_non_null(strstr(b, "a=recvonly\r\n")); /* RFC 3264 §6.1: held by the offerer */
    free(r);
    free(r2);
    cap_clear(&c);
    sd_engine_free(e);
}

/* An offer with only a codec we lack: 488 + Warning 305, no SDP, logged */
static void test_no_common_codec(void **state)
{
    (void)state;
    cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    const char *g729 = OFFER_HEAD "m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
    char *r = request("INVITE", "sip:200@127.0.0.1", "z9hG4bKn1", "c-n1", 1, NULL, NULL, g729);
    feed(e, &c, r);
    assert_int_equal(c.n, 1);
    assert_int_equal(status_of(&c.s[0]), 488);
    assert_true(has(&c.s[0], "\r\nWarning: 305 sipreplyd \"Incompatible media format\"\r\n"));
    assert_false(has(&c.s[0], "application/sdp\r\n"));
    assert_int_equal(c.last_code, 488);
    assert_string_equal(c.last_rule, "dial-a-code");
    assert_string_equal(c.last_note, "SDP offer: Incompatible media format");
    /* after a 180: the 180 goes, then the 488 in place of the 200 */
    cap_clear(&c);
    char *r2 = request("INVITE", "sip:180@127.0.0.1", "z9hG4bKn2", "c-n2", 1, NULL, NULL, g729);
    feed(e, &c, r2);
    advance(e, &c, 2000);
    assert_int_equal(status_of(&c.s[0]), 180);
    assert_int_equal(status_of(&c.s[c.n - 1]), 488);
    /* a rule's own answer wins: 486 is sent as asked, with no SDP */
    cap_clear(&c);
    char *r3 = request("INVITE", "sip:486@127.0.0.1", "z9hG4bKn3", "c-n3", 1, NULL, NULL, g729);
    feed(e, &c, r3);
    assert_int_equal(status_of(&c.s[0]), 486);
    /* only video: 488 + 304; a secure profile only: 488 + 302 */
    cap_clear(&c);
    char *r4 = request("INVITE", "sip:200@127.0.0.1", "z9hG4bKn4", "c-n4", 1, NULL, NULL,
                       OFFER_HEAD "m=video 4000 RTP/AVP 31\r\n");
    feed(e, &c, r4);
    assert_int_equal(status_of(&c.s[0]), 488);
    assert_true(has(&c.s[0], "\r\nWarning: 304 sipreplyd \"Media type not available\"\r\n"));
    cap_clear(&c);
    char *r5 = request("INVITE", "sip:200@127.0.0.1", "z9hG4bKn5", "c-n5", 1, NULL, NULL,
                       OFFER_HEAD "m=audio 4000 RTP/SAVP 0\r\n");
    feed(e, &c, r5);
    assert_true(has(&c.s[0], "\r\nWarning: 302 sipreplyd \"Incompatible transport protocol\""));
    /* a malformed offer: 400 with a 399 warning naming the problem */
    cap_clear(&c);
    char *r6 = request("INVITE", "sip:200@127.0.0.1", "z9hG4bKn6", "c-n6", 1, NULL, NULL,
                       OFFER_HEAD "m=audio 99999 RTP/AVP 0\r\n");
    feed(e, &c, r6);
    assert_int_equal(status_of(&c.s[0]), 400);
    assert_true(has(&c.s[0], "SIP/2.0 400 Malformed SDP\r\n"));
    assert_true(has(&c.s[0], "Warning: 399 sipreplyd \"Malformed session description: Bad m= "
                             "line\"\r\n"));
    assert_string_equal(c.last_note, "SDP offer: Bad m= line");
    free(r);
    free(r2);
    free(r3);
    free(r4);
    free(r5);
    free(r6);
    cap_clear(&c);
    sd_engine_free(e);
}

/* "sdp: false" and a body of the rule's own: the rule says otherwise */
static void test_rule_says_otherwise(void **state)
{
    (void)state;
    cap c = {0};
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
    char *r1 = request("INVITE", "sip:bare@127.0.0.1", "z9hG4bKo1", "c-o1", 1, NULL, NULL, g729);
    char *r2 = request("INVITE", "sip:own@127.0.0.1", "z9hG4bKo2", "c-o2", 1, NULL, NULL, g729);
    char *r3 = request("INVITE", "sip:auto@127.0.0.1", "z9hG4bKo3", "c-o3", 1, NULL, NULL,
                       OFFER_HEAD "m=audio 4000 RTP/AVP 0\r\n");
    feed(e, &c, r1);
    feed(e, &c, r2);
    feed(e, &c, r3);
    assert_int_equal(c.n, 3);
    assert_int_equal(status_of(&c.s[0]), 200);
    assert_true(has(&c.s[0], "Content-Length: 0\r\n"));
    assert_int_equal(status_of(&c.s[1]), 200);
    assert_string_equal(body_of(&c.s[1]), "v=0\r\n");
    /* "sdp: true" is our SDP by RFC 3264, not the old fixed template */
    assert_non_null(strstr(body_of(&c.s[2]), "m=audio " SD_SDP_MEDIA_PORT " RTP/AVP 0\r\n"));
    free(r1);
    free(r2);
    free(r3);
    cap_clear(&c);
    sd_engine_free(e);
}

/* No offer in the INVITE: our offer in the 200, the answer in the ACK (RFC 3261 §13.2.1) */
static void test_offer_in_200_answer_in_ack(void **state)
{
    (void)state;
    cap c = {0};
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
        cap_clear(&c);
        char *r = request("INVITE", "sip:200@127.0.0.1", br, cid, 1, NULL, NULL, NULL);
        feed(e, &c, r);
        assert_int_equal(c.n, 1);
        assert_int_equal(status_of(&c.s[0]), 200);
        const char *b = body_of(&c.s[0]);
        assert_non_null(strstr(b, "m=audio " SD_SDP_MEDIA_PORT " RTP/AVP 0 8 101\r\n"
                                  "a=rtpmap:0 PCMU/8000\r\n"
                                  "a=rtpmap:8 PCMA/8000\r\n"
                                  "a=rtpmap:101 telephone-event/8000\r\n"
                                  "a=fmtp:101 0-16\r\n"
                                  "a=ptime:20\r\n"
                                  "a=sendrecv\r\n"));
        char tag[64];
        snprintf(tag, sizeof tag, "%s", to_tag_of(&c.s[0]));
        snprintf(br, sizeof br, "z9hG4bKack%zu", i);
        char *ack =
            request("ACK", "sip:sipreplyd@127.0.0.1", br, cid, 1, tag, NULL, cases[i].answer);
        unsigned logs = c.logs;
        feed(e, &c, ack);
        assert_int_equal(c.logs, logs + 1);
        assert_string_equal(c.last_rule, ""); /* a debug record */
        assert_string_equal(c.last_note, cases[i].note);
        /* the ACK ended the 200's resending */
        advance(e, &c, c.now + 40000);
        assert_int_equal(c.n, 1);
        free(r);
        free(ack);
    }
    cap_clear(&c);
    sd_engine_free(e);
}

/* No offer, a reliable 183 (RFC 3262 §5): our offer in it, the answer in the PRACK, the
 * 200 without SDP */
static void test_offer_in_reliable_183(void **state)
{
    (void)state;
    cap c = {0};
    sd_engine *e = engine_from(sd_default_config, &c);
    char *r = request("INVITE", "sip:183@127.0.0.1", "z9hG4bKr1", "c-r1", 1, NULL,
                      "Supported: 100rel\r\n", NULL);
    feed(e, &c, r);
    assert_int_equal(c.n, 1);
    assert_int_equal(status_of(&c.s[0]), 183);
    assert_true(has(&c.s[0], "\r\nRSeq: "));
    assert_non_null(strstr(body_of(&c.s[0]), "m=audio " SD_SDP_MEDIA_PORT " RTP/AVP 0 8 101\r\n"));
    unsigned rseq = (unsigned)strtoul(strstr(c.s[0].data, "RSeq: ") + 6, NULL, 10);
    char rack[64], tag[64];
    snprintf(rack, sizeof rack, "RAck: %u 1 INVITE\r\n", rseq);
    snprintf(tag, sizeof tag, "%s", to_tag_of(&c.s[0]));
    char *pr = request("PRACK", "sip:sipreplyd@127.0.0.1", "z9hG4bKr2", "c-r1", 2, tag, rack,
                       OFFER_HEAD "m=audio 4000 RTP/AVP 8\r\n");
    feed(e, &c, pr);
    assert_string_equal(c.last_note,
                        "PRACK: the answer to our offer is accepted (8, answered sendrecv)");
    advance(e, &c, 1500);
    unsigned n200 = 0;
    for (size_t i = 1; i < c.n; i++) {
        if (status_of(&c.s[i]) == 200 && has(&c.s[i], "CSeq: 1 INVITE")) {
            n200++;
            assert_false(has(&c.s[i], "application/sdp")); /* the offer/answer is done */
        }
    }
    assert_true(n200 >= 1);
    free(r);
    free(pr);
    cap_clear(&c);
    sd_engine_free(e);
}

/* RFC 3264 §8: one o= per call, the same in the 183 and the 200 answering one offer */
static void test_origin_stable_in_a_call(void **state)
{
    (void)state;
    cap c = {0};
    sd_engine *e = engine_from("rules:\n"
                               "  - respond: [183, {code: 200, delay: 100ms}]\n",
                               &c);
    char *r = request("INVITE", "sip:x@127.0.0.1", "z9hG4bKs1", "c-s1", 1, NULL, NULL,
                      OFFER_HEAD "m=audio 4000 RTP/AVP 0 8\r\n");
    feed(e, &c, r);
    advance(e, &c, 500);
    assert_int_equal(status_of(&c.s[0]), 183);
    assert_int_equal(status_of(&c.s[1]), 200);
    assert_string_equal(body_of(&c.s[0]), body_of(&c.s[1]));
    free(r);
    cap_clear(&c);
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
