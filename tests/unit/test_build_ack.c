/* sipreply tests: sr_build_parse_absorb_ack, the ACK of a stateless non-2xx final recognised
 * from its head (RFC 3261 §8.2.7, §17.1.1.3, §17.2.1). It must absorb exactly the datagrams
 * that sr_msg_parse accepts and sr_build_ack_is_ours finds ours, and answer every other one
 * as sr_msg_parse does (code, error, the same message); ACKs of ours in every shape the head
 * may take, ACKs whose head or fields do not parse, and the RFC 4475 torture messages. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const uint8_t key[SR_BUILD_KEY_LEN] = {7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

#define SENTINEL ((sr_msg *)(uintptr_t)1)

/* The two ways compared under @p o and @p k; returns whether the ACK was absorbed. */
static bool agree_opts(const char *buf, size_t len, const sr_parse_opts *o, const uint8_t *k)
{
    sr_msg *ref = NULL;
    sr_parse_error re = {0, 0, 0, NULL};
    int rrc = sr_msg_parse(&ref, buf, len, o, &re);
    bool ours = rrc == 0 && sr_build_ack_is_ours(ref, k);
    sr_msg *got = SENTINEL;
    sr_parse_error ge = {0, 0, 0, NULL};
    int grc = sr_build_parse_absorb_ack(&got, buf, len, o, k, &ge);
    if (ours) {
        assert_int_equal(grc, SR_BUILD_ACK_ABSORBED);
        assert_ptr_equal(got, SENTINEL);
    } else {
        assert_int_equal(grc, rrc);
        if (grc == 0) {
            assert_true(got != SENTINEL && got != NULL);
            assert_false(sr_build_ack_is_ours(got, k));
            sr_buf a, b;
            sr_buf_init(&a, tu_allocator());
            sr_buf_init(&b, tu_allocator());
            assert_int_equal(sr_msg_print(ref, &a), 0);
            assert_int_equal(sr_msg_print(got, &b), 0);
            assert_mem_eq(b.p, b.len, a.p, a.len);
            assert_int_equal(sr_msg_size(got), sr_msg_size(ref));
            sr_buf_cleanup(&a);
            sr_buf_cleanup(&b);
            sr_msg_free(got);
        } else {
            assert_ptr_equal(got, SENTINEL);
            assert_int_equal(ge.code, re.code);
            assert_int_equal(ge.offset, re.offset);
            assert_int_equal(ge.hdr, re.hdr);
            assert_string_equal(ge.phrase, re.phrase);
        }
    }
    sr_msg_free(ref);
    return ours;
}

/* agree_opts with the defaults and @p k, and under other options and keys too */
static bool agree(const char *buf, size_t len)
{
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = tu_allocator();
    bool ours = agree_opts(buf, len, &o, key);
    uint8_t other[SR_BUILD_KEY_LEN] = {9};
    assert_false(agree_opts(buf, len, &o, other) && ours);
    (void)agree_opts(buf, len, NULL, NULL);
    o.flags = SR_PARSE_VALIDATE;
    (void)agree_opts(buf, len, &o, key);
    sr_parse_opts_init(&o);
    o.alloc = tu_allocator();
    o.framing = SR_FRAMING_STREAM;
    (void)agree_opts(buf, len, &o, key);
    o.framing = SR_FRAMING_DATAGRAM;
    o.max_headers = 4;
    (void)agree_opts(buf, len, &o, key);
    return ours;
}

/* @p txt with its To tag "0123456789abcdef" replaced by the tag sr_build_to_tag derives from
 * it under the key (when it parses): an ACK of ours. To free(). */
static char *with_our_tag(const char *txt)
{
    size_t n = strlen(txt) + 1;
    char *s = malloc(n);
    assert_non_null(s);
    memcpy(s, txt, n);
    sr_msg *m = NULL;
    if (sr_msg_parse(&m, s, strlen(s), NULL, NULL) != 0)
        return s;
    char tag[SR_BUILD_TAG_LEN + 1];
    assert_int_equal(sr_build_to_tag(m, key, tag), 0);
    char *t = strstr(s, "0123456789abcdef");
    if (t)
        memcpy(t, tag, SR_BUILD_TAG_LEN);
    sr_msg_free(m);
    return s;
}

#define ACK_HEAD "ACK sip:486@127.0.0.1:5060 SIP/2.0\r\n"
#define VIA      "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-7-1-3\r\n"
#define FROM     "From: sipp <sip:sipp@127.0.0.1:5061>;tag=7SIPpTag001\r\n"
#define TO       "To: <sip:486@127.0.0.1:5060>;tag=0123456789abcdef\r\n"
#define CALLID   "Call-ID: 1-7@127.0.0.1\r\n"
#define CSEQ     "CSeq: 1 ACK\r\n"
#define TAIL                               \
    "Contact: sip:sipp@127.0.0.1:5061\r\n" \
    "Max-Forwards: 70\r\n"                 \
    "Subject: Performance Test\r\n"        \
    "Content-Length: 0\r\n\r\n"

/* An ACK of ours in the shapes a head may take: absorbed, every one. */
static void test_absorbed_shapes(void **state)
{
    (void)state;
    static const char *const shapes[] = {
        (ACK_HEAD VIA FROM TO CALLID CSEQ TAIL),
        /* compact forms (RFC 3261 §7.3.3), another order */
        (ACK_HEAD "t: <sip:486@127.0.0.1:5060>;tag=0123456789abcdef\r\n"
                  "i: 1-7@127.0.0.1\r\nf: <sip:sipp@127.0.0.1:5061>;tag=x\r\n"
                  "v: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK1\r\n" CSEQ "l: 0\r\n\r\n"),
        /* two Via fields, two values in one, an empty first field (the top value is the
         * first one there is) */
        (ACK_HEAD VIA "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK2\r\n" FROM TO CALLID CSEQ TAIL),
        (ACK_HEAD
         "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK1, SIP/2.0/TCP h;branch=z9hG4bK2\r\n" FROM
             TO CALLID CSEQ TAIL),
        (ACK_HEAD "Via: \r\nVia: SIP/2.0/UDP h;branch=z9hG4bK3\r\n" FROM TO CALLID CSEQ TAIL),
        (ACK_HEAD "Via: ,SIP/2.0/UDP h;branch=z9hG4bK3\r\n" FROM TO CALLID CSEQ TAIL),
        /* fields whose values do not parse hash as missing, as in the message's accessors:
         * a bad top Via, a bad From, a bad CSeq, none of them, two of each (the first counts) */
        (ACK_HEAD "Via: SIP/2.0/UDP 127.0.0.1:99999;branch=z9hG4bK1\r\n" FROM TO CALLID CSEQ TAIL),
        (ACK_HEAD VIA "From: <sip:a b>;tag=1\r\n" TO CALLID "CSeq: one ACK\r\n" TAIL),
        (ACK_HEAD TO CSEQ "Content-Length: 0\r\n\r\n"),
        (ACK_HEAD VIA VIA FROM "From: <sip:other@h>;tag=2\r\n" TO CALLID "Call-ID: second\r\n" CSEQ
                               "CSeq: 2 ACK\r\n" TAIL),
        /* LWS and folding in the fields, IPv6, rport, CRLFs before the start line */
        (ACK_HEAD
         "Via  :  SIP / 2.0 / UDP [2001:db8::1]:5061 ;\r\n branch=z9hG4bK1 ; rport\r\n" FROM TO
             CALLID CSEQ TAIL),
        ("\r\n\r\n" ACK_HEAD VIA FROM TO CALLID CSEQ TAIL),
        /* a body, Content-Length shorter than the datagram, an eager value that fails */
        (ACK_HEAD VIA FROM TO CALLID CSEQ "Max-Forwards: lots\r\nContent-Length: 2\r\n\r\nab--"),
        /* a bare LF ends the lines */
        ("ACK sip:486@h SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@h>;tag=1\n"
         "To: <sip:b@h>;tag=0123456789abcdef\nCall-ID: c\nCSeq: 1 ACK\n\n"),
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        char *s = with_our_tag(shapes[i]);
        if (!agree(s, strlen(s)))
            fail_msg("shape %zu not absorbed:\n%s", i, s);
        free(s);
    }
}

/* More header fields than the head parser holds without an allocation (sr_msg_parse's
 * retry): absorbed too, and nothing leaks. */
static void test_absorbed_many_fields(void **state)
{
    (void)state;
    size_t cap = 100 * 32 + 1024, n = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    n += (size_t)snprintf(t + n, cap - n, "%s", ACK_HEAD VIA FROM TO CALLID CSEQ);
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(t + n, cap - n, "Subject: line %d\r\n", i);
    snprintf(t + n, cap - n, "%s", TAIL);
    char *s = with_our_tag(t);
    assert_true(agree(s, strlen(s)));
    free(s);
    free(t);
}

/* Not absorbed: another tag or key, not an ACK, a To tag that is not ours or does not
 * parse, and heads sr_msg_parse refuses although the tag is ours. */
static void test_not_absorbed(void **state)
{
    (void)state;
    /* ours, then the same with one thing changed */
    char *ours = with_our_tag(ACK_HEAD VIA FROM TO CALLID CSEQ TAIL);
    assert_true(agree(ours, strlen(ours)));
    const char *t = strstr(ours, ";tag=") + 5;
    t = strstr(t, ";tag=") + 5; /* the To tag: From comes first */
    char tag[SR_BUILD_TAG_LEN + 1];
    memcpy(tag, t, SR_BUILD_TAG_LEN);
    tag[SR_BUILD_TAG_LEN] = '\0';
    char buf[1024];
    static const char *const variants[] = {
        /* our tag, but the head does not parse: a line without a colon, two Content-Length
         * that disagree, one larger than the body, a bad start line */
        (ACK_HEAD VIA FROM "To: <sip:486@127.0.0.1:5060>;tag=@T@\r\n" CALLID CSEQ
                           "No colon\r\n" TAIL),
        (ACK_HEAD VIA FROM "To: <sip:486@127.0.0.1:5060>;tag=@T@\r\n" CALLID CSEQ
                           "Content-Length: 4\r\n" TAIL),
        (ACK_HEAD VIA FROM "To: <sip:486@127.0.0.1:5060>;tag=@T@\r\n" CALLID CSEQ
                           "Content-Length: 40\r\n\r\n"),
        ("ACK  sip:486@127.0.0.1:5060 SIP/2.0\r\n" VIA FROM
         "To: <sip:486@127.0.0.1:5060>;tag=@T@\r\n" CALLID CSEQ TAIL),
        /* our tag in a To that does not parse (then the message has no To) */
        (ACK_HEAD VIA FROM "To: <sip:486@127.0.0.1:5060>;tag=@T@ junk\r\n" CALLID CSEQ TAIL),
        (ACK_HEAD VIA FROM "To: sip:486@127.0.0.1:5060>;tag=@T@\r\n" CALLID CSEQ TAIL),
        /* another method, a method in lower case, a response */
        ("INVITE sip:486@127.0.0.1:5060 SIP/2.0\r\n" VIA FROM
         "To: <sip:486@127.0.0.1:5060>;tag=@T@\r\n" CALLID "CSeq: 1 INVITE\r\n" TAIL),
        ("ack sip:486@127.0.0.1:5060 SIP/2.0\r\n" VIA FROM
         "To: <sip:486@127.0.0.1:5060>;tag=@T@\r\n" CALLID CSEQ TAIL),
        ("SIP/2.0 486 Busy Here\r\n" VIA FROM "To: <sip:486@127.0.0.1:5060>;tag=@T@\r\n" CALLID
         "CSeq: 1 INVITE\r\n" TAIL),
        /* a field the tag is derived from changed: branch, sent-by, port, Call-ID, From
         * tag, CSeq number; a second To before ours */
        (ACK_HEAD "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-7-1-4\r\n" FROM
                  "To: <sip:486@127.0.0.1:5060>;tag=@T@\r\n" CALLID CSEQ TAIL),
        (ACK_HEAD "Via: SIP/2.0/UDP 127.0.0.2:5061;branch=z9hG4bK-7-1-3\r\n" FROM
                  "To: <sip:486@127.0.0.1:5060>;tag=@T@\r\n" CALLID CSEQ TAIL),
        (ACK_HEAD "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-7-1-3\r\n" FROM
                  "To: <sip:486@127.0.0.1:5060>;tag=@T@\r\n" CALLID CSEQ TAIL),
        (ACK_HEAD VIA FROM "To: <sip:486@127.0.0.1:5060>;tag=@T@\r\n"
                           "Call-ID: 1-8@127.0.0.1\r\n" CSEQ TAIL),
        (ACK_HEAD VIA "From: sipp <sip:sipp@127.0.0.1:5061>;tag=8SIPpTag001\r\n"
                      "To: <sip:486@127.0.0.1:5060>;tag=@T@\r\n" CALLID CSEQ TAIL),
        (ACK_HEAD VIA FROM "To: <sip:486@127.0.0.1:5060>;tag=@T@\r\n" CALLID
                           "CSeq: 2 ACK\r\n" TAIL),
        (ACK_HEAD VIA FROM "To: <sip:486@127.0.0.1:5060>;tag=x\r\n"
                           "To: <sip:486@127.0.0.1:5060>;tag=@T@\r\n" CALLID CSEQ TAIL),
        /* a top Via that now fails, or a Via field before the one that made the tag */
        (ACK_HEAD "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-7-1-3;rport=x\r\n" FROM
                  "To: <sip:486@127.0.0.1:5060>;tag=@T@\r\n" CALLID CSEQ TAIL),
        (ACK_HEAD "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK0\r\n" VIA FROM
                  "To: <sip:486@127.0.0.1:5060>;tag=@T@\r\n" CALLID CSEQ TAIL),
    };
    for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
        const char *at = strstr(variants[i], "@T@");
        assert_non_null(at);
        int n = snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - variants[i]), variants[i], tag,
                         at + 3);
        assert_true(n > 0 && (size_t)n < sizeof buf);
        if (agree(buf, (size_t)n))
            fail_msg("variant %zu absorbed:\n%s", i, buf);
    }
    /* the first one's tag shortened and lengthened by a digit */
    snprintf(buf, sizeof buf, ACK_HEAD VIA FROM "To: <sip:486@h>;tag=%.15s\r\n" CALLID CSEQ TAIL,
             tag);
    assert_false(agree(buf, strlen(buf)));
    snprintf(buf, sizeof buf, ACK_HEAD VIA FROM "To: <sip:486@h>;tag=%s0\r\n" CALLID CSEQ TAIL,
             tag);
    assert_false(agree(buf, strlen(buf)));
    /* nothing at all, and arguments refused as sr_msg_parse refuses them */
    assert_false(agree("", 0));
    sr_msg *m = SENTINEL;
    assert_int_equal(sr_build_parse_absorb_ack(NULL, ours, strlen(ours), NULL, key, NULL),
                     SR_EINVAL);
    assert_int_equal(sr_build_parse_absorb_ack(&m, NULL, 3, NULL, key, NULL), SR_EINVAL);
    assert_ptr_equal(m, SENTINEL);
    free(ours);
}

/* Every RFC 4475 torture message (none is an ACK of ours: the agreement is what is checked). */
static void test_vectors_agree(void **state)
{
    (void)state;
    DIR *d = opendir(SR_VECTORS_DIR "/rfc4475");
    assert_non_null(d);
    size_t seen = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".dat") != 0)
            continue;
        char rel[300];
        snprintf(rel, sizeof rel, "rfc4475/%s", de->d_name);
        size_t len;
        char *b = tu_read_vector(rel, &len);
        (void)agree(b, len);
        seen++;
        free(b);
    }
    closedir(d);
    assert_true(seen >= 49);
}

/* Allocation failures: an ACK of ours allocates nothing (so none can fail); one that is not
 * ours fails as sr_msg_parse does, leaking nothing. */
typedef struct sweep_ctx {
    const char *buf;
} sweep_ctx;

static int sweep_scenario(const sr_allocator *a, void *ctx)
{
    const sweep_ctx *c = ctx;
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = a;
    sr_msg *m = NULL;
    int rc = sr_build_parse_absorb_ack(&m, c->buf, strlen(c->buf), &o, key, NULL);
    if (rc == 0)
        sr_msg_free(m);
    return rc == SR_BUILD_ACK_ABSORBED ? 0 : rc;
}

static void test_allocation_failures(void **state)
{
    (void)state;
    char *ours = with_our_tag(ACK_HEAD VIA FROM TO CALLID CSEQ TAIL);
    sweep_ctx c = {ours};
    assert_int_equal(tu_failure_sweep(sweep_scenario, &c), 0);
    c.buf = ACK_HEAD VIA FROM TO CALLID CSEQ TAIL; /* the placeholder tag: not ours */
    assert_true(tu_failure_sweep(sweep_scenario, &c) > 0);
    free(ours);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_absorbed_shapes),     TU_TEST(test_absorbed_many_fields),
        TU_TEST(test_not_absorbed),        TU_TEST(test_vectors_agree),
        TU_TEST(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
