/* sipreply tests: the linter (lint.h) — every rule has a message that breaks it and one that
 * satisfies it. RFC 3261 §7, §8.1.1, §8.2.6, §9.2, §10.2.2, §11.2, §12.1.1, §21; RFC 4320. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define REQ                                                         \
    "OPTIONS sip:bob@example.com SIP/2.0\r\n"                       \
    "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds\r\n" \
    "Max-Forwards: 70\r\n"                                          \
    "To: <sip:bob@example.com>\r\n"                                 \
    "From: <sip:alice@example.net>;tag=1928301774\r\n"              \
    "Call-ID: a84b4c76e66710\r\n"                                   \
    "CSeq: 7 OPTIONS\r\n"                                           \
    "Content-Length: 0\r\n\r\n"

#define RESP                                                        \
    "SIP/2.0 200 OK\r\n"                                            \
    "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds\r\n" \
    "To: <sip:bob@example.com>;tag=abc\r\n"                         \
    "From: <sip:alice@example.net>;tag=1928301774\r\n"              \
    "Call-ID: a84b4c76e66710\r\n"                                   \
    "CSeq: 7 OPTIONS\r\n"                                           \
    "Allow: INVITE, OPTIONS\r\n"                                    \
    "Accept: application/sdp\r\n"                                   \
    "Supported: timer\r\n"                                          \
    "Content-Length: 0\r\n\r\n"

#define INV                                                         \
    "INVITE sip:bob@example.com SIP/2.0\r\n"                        \
    "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds\r\n" \
    "Max-Forwards: 70\r\n"                                          \
    "To: <sip:bob@example.com>\r\n"                                 \
    "From: <sip:alice@example.net>;tag=1928301774\r\n"              \
    "Call-ID: a84b4c76e66710\r\n"                                   \
    "CSeq: 7 INVITE\r\n"                                            \
    "Record-Route: <sip:p1.example.org;lr>\r\n"                     \
    "Timestamp: 54\r\n"                                             \
    "Contact: <sip:alice@pc33.example.net>\r\n"                     \
    "Content-Length: 0\r\n\r\n"

#define INV200                                                      \
    "SIP/2.0 200 OK\r\n"                                            \
    "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds\r\n" \
    "To: <sip:bob@example.com>;tag=abc\r\n"                         \
    "From: <sip:alice@example.net>;tag=1928301774\r\n"              \
    "Call-ID: a84b4c76e66710\r\n"                                   \
    "CSeq: 7 INVITE\r\n"                                            \
    "Record-Route: <sip:p1.example.org;lr>\r\n"                     \
    "Contact: <sip:bob@192.0.2.4>\r\n"                              \
    "Allow: INVITE, ACK, BYE\r\n"                                   \
    "Supported: timer\r\n"                                          \
    "Content-Length: 0\r\n\r\n"

#define INV100                                                      \
    "SIP/2.0 100 Trying\r\n"                                        \
    "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds\r\n" \
    "To: <sip:bob@example.com>\r\n"                                 \
    "From: <sip:alice@example.net>;tag=1928301774\r\n"              \
    "Call-ID: a84b4c76e66710\r\n"                                   \
    "CSeq: 7 INVITE\r\n"                                            \
    "Timestamp: 54\r\n"                                             \
    "Content-Length: 0\r\n\r\n"

#define REG                                                         \
    "REGISTER sip:example.com SIP/2.0\r\n"                          \
    "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds\r\n" \
    "Max-Forwards: 70\r\n"                                          \
    "To: <sip:bob@example.com>\r\n"                                 \
    "From: <sip:bob@example.com>;tag=1928301774\r\n"                \
    "Call-ID: a84b4c76e66710\r\n"                                   \
    "CSeq: 7 REGISTER\r\n"                                          \
    "Contact: *\r\n"                                                \
    "Expires: 0\r\n"                                                \
    "Content-Length: 0\r\n\r\n"

/*
 * One rule: @p base edited by replacing @p from with @p bad must break the rule; with
 * @p good (NULL: @p base unchanged) it must not. @p req, when set, is the request the
 * response is linted against.
 */
typedef struct lint_case {
    const char *rule;
    const char *base;
    const char *req;
    const char *from;
    const char *bad;
    const char *good;
} lint_case;

static const lint_case cases[] = {
    {"R-MSG-VERSION", RESP, NULL, "SIP/2.0 200", "SIP/3.0 200", NULL},
    {"R-MSG-VIA", RESP, NULL, "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds\r\n", "",
     NULL},
    {"R-MSG-FROM", RESP, NULL, "From: <sip:alice@example.net>;tag=1928301774\r\n", "", NULL},
    {"R-MSG-TO", RESP, NULL, "To: <sip:bob@example.com>;tag=abc\r\n", "", NULL},
    {"R-MSG-CALL-ID", RESP, NULL, "Call-ID: a84b4c76e66710\r\n", "", NULL},
    {"R-MSG-CSEQ", RESP, NULL, "CSeq: 7 OPTIONS", "CSeq: x OPTIONS", NULL},
    {"R-MSG-SINGLE", RESP, NULL, "Call-ID: a84b4c76e66710\r\n",
     "Call-ID: a84b4c76e66710\r\nCall-ID: a84b4c76e66710\r\n", NULL},
    {"R-MSG-SYNTAX", RESP, NULL, "Supported: timer\r\n",
     "Supported: timer\r\nContact: <sip:bob@x\r\n", "Supported: timer\r\nContact: <sip:bob@x>\r\n"},
    {"R-MSG-CONTENT-TYPE", RESP, NULL, "Content-Length: 0\r\n\r\n", "Content-Length: 2\r\n\r\nhi",
     "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"},
    {"R-MSG-CONTENT-LENGTH", RESP, NULL, "Content-Length: 0\r\n\r\n",
     "Content-Length: 0\r\n\r\nEXTRA", NULL},
    {"R-MSG-CONTENT-LENGTH-ABSENT", RESP, NULL, "Content-Length: 0\r\n", "", NULL},
    {"R-REQ-MAX-FORWARDS", REQ, NULL, "Max-Forwards: 70\r\n", "", NULL},
    {"R-REQ-CSEQ-METHOD", REQ, NULL, "CSeq: 7 OPTIONS", "CSeq: 7 INVITE", NULL},
    {"R-REQ-CSEQ-RANGE", REQ, NULL, "CSeq: 7 OPTIONS", "CSeq: 2147483648 OPTIONS",
     "CSeq: 2147483647 OPTIONS"},
    {"R-REQ-VIA-BRANCH", REQ, NULL, "branch=z9hG4bK776asdhds", "branch=776asdhds", NULL},
    {"R-REQ-FROM-TAG", REQ, NULL, ";tag=1928301774", "", NULL},
    {"R-REQ-CONTACT", INV, NULL, "Contact: <sip:alice@pc33.example.net>\r\n", "", NULL},
    {"R-REQ-CONTACT-STAR", REG, NULL, "Expires: 0", "Expires: 3600", NULL},
    {"R-RESP-CODE-UNREGISTERED", RESP, NULL, "200 OK", "299 OK", NULL},
    {"R-RESP-REASON-STALE", RESP, NULL, "Supported: timer\r\n", "Supported: timer\r\n",
     NULL}, /* edited below: 500 phrases */
    {"R-RESP-REASON", RESP, NULL, "200 OK", "200 Okay", NULL},
    {"R-RESP-TO-TAG", RESP, NULL, ";tag=abc", "", NULL},
    {"R-RESP-CODE-HEADER", RESP, NULL, "200 OK\r\n", "423 Interval Too Brief\r\n",
     "423 Interval Too Brief\r\nMin-Expires: 60\r\n"},
    {"R-RESP-CODE-HEADER-SHOULD", RESP, NULL, "200 OK\r\n", "302 Moved Temporarily\r\n",
     "302 Moved Temporarily\r\nContact: <sip:bob@192.0.2.4>\r\n"},
    {"R-RESP-DIALOG-CONTACT", INV200, NULL, "Contact: <sip:bob@192.0.2.4>\r\n", "", NULL},
    {"R-RESP-487-CANCEL", RESP, NULL, "200 OK\r\n", "487 Request Terminated\r\n", NULL},
    {"R-RESP-TO-ACK", RESP, NULL, "CSeq: 7 OPTIONS", "CSeq: 7 ACK", NULL},
    {"R-RESP-PROVISIONAL-NON-INVITE", RESP, NULL, "200 OK", "180 Ringing", "100 Trying"},
    {"R-RESP-503-RETRY-AFTER", RESP, NULL, "200 OK\r\n", "503 Service Unavailable\r\n",
     "503 Service Unavailable\r\nRetry-After: 30\r\n"},
    {"R-PAIR-CALL-ID", RESP, REQ, "Call-ID: a84b4c76e66710", "Call-ID: other", NULL},
    {"R-PAIR-FROM", RESP, REQ, "tag=1928301774", "tag=1928301775", NULL},
    {"R-PAIR-TO", RESP, REQ, "To: <sip:bob@example.com>", "To: <sip:carol@example.com>", NULL},
    {"R-PAIR-CSEQ", RESP, REQ, "CSeq: 7 OPTIONS", "CSeq: 8 OPTIONS", NULL},
    {"R-PAIR-VIA", RESP, REQ,
     "Call-ID:", "Via: SIP/2.0/UDP extra.example.org;branch=z9hG4bKx\r\nCall-ID:", NULL},
    {"R-PAIR-RECORD-ROUTE", INV200, INV, "Record-Route: <sip:p1.example.org;lr>\r\n", "", NULL},
    {"R-PAIR-TIMESTAMP", INV100, INV, "Timestamp: 54\r\n", "", NULL},
    {"R-PAIR-405-ALLOW", RESP, REQ, "200 OK", "405 Method Not Allowed", NULL},
    {"R-PAIR-OPTIONS", RESP, REQ, "Supported: timer\r\n", "", NULL},
    {"R-RESP-INVITE-2XX-CAPS", INV200, NULL, "Allow: INVITE, ACK, BYE\r\nSupported: timer\r\n",
     "Supported: timer\r\n", NULL},
};

static char *edit(const char *base, const char *from, const char *to)
{
    const char *at = strstr(base, from);
    if (!at)
        fail_msg("'%s' not in the template", from);
    size_t n = strlen(base) - strlen(from) + strlen(to);
    char *s = malloc(n + 1);
    assert_non_null(s);
    size_t pre = (size_t)(at - base);
    memcpy(s, base, pre);
    memcpy(s + pre, to, strlen(to));
    strcpy(s + pre + strlen(to), at + strlen(from));
    return s;
}

/* sr_lint_msg() then sr_lint_pair_add() gives what sr_lint_pair() gives: the same count and
 * the same findings in the same order, with every array size up to one past the count (the
 * message's findings filling the array before the pair's, or not) */
static void assert_pair_split_same(const sr_msg *m, const sr_msg *req, const sr_lint_opts *o)
{
    size_t total = sr_lint_pair(m, req, o, NULL, 0);
    for (size_t cap = 0; cap <= total + 1 && cap <= 64; cap++) {
        sr_lint_finding a[64], b[64];
        memset(a, 0, sizeof a);
        memset(b, 0, sizeof b);
        size_t na = sr_lint_pair(m, req, o, a, cap);
        size_t nb = sr_lint_pair_add(m, req, b, cap, sr_lint_msg(m, o, b, cap));
        assert_int_equal(na, total);
        assert_int_equal(nb, na);
        for (size_t i = 0; i < 64; i++) {
            assert_ptr_equal(a[i].rule, b[i].rule);
            assert_ptr_equal(a[i].arg, b[i].arg);
        }
    }
}

/* true when linting @p txt (against @p req) reports @p rule. */
static bool breaks(const char *txt, const char *req_txt, const char *rule)
{
    sr_msg *m = tu_parse(txt, tu_allocator());
    sr_msg *req = req_txt ? tu_parse(req_txt, tu_allocator()) : NULL;
    sr_lint_opts o;
    sr_lint_opts_init(&o);
    o.input_len = strlen(txt);
    sr_lint_finding f[64];
    size_t n = req ? sr_lint_pair(m, req, &o, f, 64) : sr_lint_msg(m, &o, f, 64);
    assert_true(n <= 64);
    if (req)
        assert_pair_split_same(m, req, &o);
    bool hit = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(f[i].rule->id, rule) == 0)
            hit = true;
    }
    sr_msg_free(req);
    sr_msg_free(m);
    return hit;
}

static void test_lint_every_rule(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const lint_case *c = &cases[i];
        char *bad, *good;
        if (strcmp(c->rule, "R-RESP-REASON-STALE") == 0) {
            bad = edit(c->base, "200 OK", "500 Internal Server Error");
            good = edit(c->base, "200 OK", "500 Server Internal Error");
        } else if (strcmp(c->rule, "R-RESP-487-CANCEL") == 0) {
            char *tmp = edit(c->base, "CSeq: 7 OPTIONS", "CSeq: 7 CANCEL");
            bad = edit(tmp, c->from, c->bad);
            good = edit(tmp, "", ""); /* 200 to the CANCEL */
            free(tmp);
        } else {
            bad = edit(c->base, c->from, c->bad);
            good = c->good ? edit(c->base, c->from, c->good) : edit(c->base, "", "");
        }
        if (!breaks(bad, c->req, c->rule))
            fail_msg("%s: the breaking message does not break it:\n%s", c->rule, bad);
        if (breaks(good, c->req, c->rule))
            fail_msg("%s: the satisfying message breaks it:\n%s", c->rule, good);
        free(bad);
        free(good);
    }
}

static void test_lint_catalogue(void **state)
{
    (void)state;
    size_t n = sr_lint_rule_count();
    assert_int_equal(n, SR_LINT__COUNT);
    for (size_t i = 0; i < n; i++) {
        const sr_lint_rule *r = sr_lint_rule_at(i);
        assert_non_null(r);
        assert_int_equal(r->num, i);
        assert_ptr_equal(sr_lint_rule_find(r->id), r);
        assert_true(strncmp(r->id, "R-", 2) == 0);
        assert_true(strstr(r->section, "RFC") != NULL || strstr(r->section, "registry"));
        assert_true(strlen(r->message) > 20);
        assert_true(r->severity == SR_LINT_MUST || r->severity == SR_LINT_SHOULD);
        /* every rule has its breaks/satisfies case */
        bool tested = false;
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            if (strcmp(cases[k].rule, r->id) == 0)
                tested = true;
        }
        if (!tested)
            fail_msg("rule %s has no test case", r->id);
        for (size_t k = 0; k < i; k++)
            assert_true(strcmp(sr_lint_rule_at(k)->id, r->id) != 0);
    }
    assert_null(sr_lint_rule_at(n));
    assert_null(sr_lint_rule_find("R-NOPE"));
    assert_null(sr_lint_rule_find(NULL));
    assert_string_equal(sr_lint_severity_name(SR_LINT_MUST), "MUST");
    assert_string_equal(sr_lint_severity_name(SR_LINT_SHOULD), "SHOULD");
}

static void test_lint_clean_messages(void **state)
{
    (void)state;
    /* the templates themselves are clean: no finding at all */
    static const char *const msgs[] = {REQ, RESP, INV, INV200, REG};
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        sr_msg *m = tu_parse(msgs[i], tu_allocator());
        sr_lint_finding f[16];
        size_t n = sr_lint_msg(m, NULL, f, 16);
        if (n)
            fail_msg("template %zu: %s", i, f[0].rule->id);
        sr_msg_free(m);
    }
    sr_msg *a = tu_parse(INV200, tu_allocator()), *b = tu_parse(INV, tu_allocator()),
           *c = tu_parse(INV100, tu_allocator());
    assert_int_equal(sr_lint_pair(a, b, NULL, NULL, 0), 0);
    assert_int_equal(sr_lint_pair(c, b, NULL, NULL, 0), 0);
    /* counting beyond the array, NULL arguments */
    sr_msg *bad = tu_parse("SIP/2.0 503 Busy\r\n\r\n", tu_allocator());
    sr_lint_finding f[2];
    size_t n = sr_lint_msg(bad, NULL, f, 2);
    assert_true(n > 2);
    assert_int_equal(sr_lint_msg(bad, NULL, NULL, 0), n);
    assert_true(sr_lint_must_count(f, 2) >= 1);
    assert_int_equal(sr_lint_msg(NULL, NULL, f, 2), 0);
    assert_int_equal(sr_lint_pair(NULL, b, NULL, f, 2), 0);
    assert_int_equal(sr_lint_pair_add(NULL, b, f, 2, 5), 0);
    /* nothing added without a request to pair with, or with the roles the wrong way */
    assert_int_equal(sr_lint_pair_add(bad, NULL, f, 2, 3), 3);
    assert_int_equal(sr_lint_pair_add(b, a, f, 2, 3), 3);
    sr_msg_free(bad);
    sr_msg_free(a);
    sr_msg_free(b);
    sr_msg_free(c);
}

static void test_lint_rfc4475_never_crashes(void **state)
{
    (void)state;
    /* every torture message that parses lints without crashing; the valid ones that are
     * complete RFC 3261 requests have no MUST finding on the basics */
    static const char *const files[] = {
        "wsinv.dat",     "intmeth.dat",  "esc01.dat",    "escnull.dat", "esc02.dat",
        "lwsdisp.dat",   "longreq.dat",  "dblreq.dat",   "semiuri.dat", "transports.dat",
        "mpart01.dat",   "unreason.dat", "noreason.dat", "insuf.dat",   "multi01.dat",
        "badbranch.dat", "inv2543.dat",  "bcast.dat",    "zeromf.dat",  "regaut01.dat"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char rel[128];
        size_t len;
        snprintf(rel, sizeof rel, "rfc4475/%s", files[i]);
        char *buf = tu_read_vector(rel, &len);
        sr_parse_opts po;
        sr_parse_opts_init(&po);
        po.alloc = tu_allocator();
        sr_msg *m = NULL;
        if (sr_msg_parse(&m, buf, len, &po, NULL) == 0) {
            sr_lint_finding f[64];
            size_t n = sr_lint_msg(m, NULL, f, 64);
            if (strcmp(files[i], "insuf.dat") == 0)
                assert_true(sr_lint_must_count(f, n < 64 ? n : 64) >= 1);
            if (strcmp(files[i], "inv2543.dat") == 0) {
                bool branch = false;
                for (size_t k = 0; k < n && k < 64; k++)
                    branch = branch || f[k].rule->num == SR_LINT_REQ_VIA_BRANCH;
                assert_true(branch);
            }
            sr_msg_free(m);
        }
        free(buf);
    }
}

/* A server fills in the top Via's received and rport (RFC 3261 §18.2.1, RFC 3581 §4): the
 * response still copies the request's Via. Anything else changed is still a difference. */
static void test_lint_pair_via_received_rport(void **state)
{
    (void)state;
    static const char via[] = "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds\r\n";
    static const char rport[] =
        "Via: SIP/2.0/UDP pc33.example.net;rport;branch=z9hG4bK776asdhds\r\n";
    char *req_rport = edit(REQ, via, rport);
    static const struct {
        const char *req_via, *resp_via;
        bool breaks;
    } c[] = {
        {via, "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds;received=192.0.2.7\r\n",
         false},
        {via, "Via: SIP/2.0/UDP pc33.example.net;received=192.0.2.7;branch=z9hG4bK776asdhds\r\n",
         false},
        {rport,
         "Via: SIP/2.0/UDP "
         "pc33.example.net;rport=5062;branch=z9hG4bK776asdhds;received=192.0.2.7\r\n",
         false},
        {rport, "Via: SIP/2.0/UDP pc33.example.net;rport;branch=z9hG4bK776asdhds\r\n", false},
        /* rport the request never asked for, a changed branch, a lost rport, a new param */
        {via, "Via: SIP/2.0/UDP pc33.example.net;rport=5062;branch=z9hG4bK776asdhds\r\n", true},
        {via, "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhdX;received=192.0.2.7\r\n",
         true},
        {rport, "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds;received=192.0.2.7\r\n",
         true},
        {via, "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds;ttl=3\r\n", true},
        {via, "Via: SIP/2.0/TCP pc33.example.net;branch=z9hG4bK776asdhds;received=192.0.2.7\r\n",
         true},
        {via, "Via: SIP/2.0/UDP pc34.example.net;branch=z9hG4bK776asdhds\r\n", true},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char *resp = edit(RESP, via, c[i].resp_via);
        const char *req = c[i].req_via == via ? REQ : req_rport;
        if (breaks(resp, req, "R-PAIR-VIA") != c[i].breaks)
            fail_msg("case %zu: R-PAIR-VIA %s expected:\n%s", i, c[i].breaks ? "" : "not", resp);
        free(resp);
    }
    /* received on a Via below the top one was not added by this server */
    static const char two[] = "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds\r\n"
                              "Via: SIP/2.0/UDP p1.example.org;branch=z9hG4bKp1\r\n";
    char *req2 = edit(REQ, via, two);
    char *resp2 = edit(RESP, via, two);
    assert_false(breaks(resp2, req2, "R-PAIR-VIA"));
    free(resp2);
    resp2 = edit(RESP, via,
                 "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds\r\n"
                 "Via: SIP/2.0/UDP p1.example.org;branch=z9hG4bKp1;received=192.0.2.9\r\n");
    assert_true(breaks(resp2, req2, "R-PAIR-VIA"));
    free(resp2);
    free(req2);
    free(req_rport);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_lint_every_rule),
        TU_TEST(test_lint_catalogue),
        TU_TEST(test_lint_clean_messages),
        TU_TEST(test_lint_pair_via_received_rport),
        TU_TEST(test_lint_rfc4475_never_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
