/* sipreply tests: sr_parse_head, the allocation-free head parser (parse.h).
 * Start lines, header lines, folding, errors with offsets, incremental feeding, guard pages. */
#include <string.h>

#include "testutil.h"

#define MAXH 32

typedef struct head {
    sr_start_line sl;
    sr_header h[MAXH];
    size_t n;
    sr_parse_error e;
    ptrdiff_t r;
} head;

/* Parse @p s three ways (whole, at a guard page, one byte at a time) and check they agree. */
static void parse3(const char *s, head *out)
{
    size_t len = strlen(s);
    out->n = MAXH;
    memset(&out->e, 0, sizeof out->e);
    out->r = sr_parse_head(s, len, 0, &out->sl, out->h, &out->n, &out->e);

    char *g = tu_guarded_copy(s, len);
    head t;
    t.n = MAXH;
    t.r = sr_parse_head(g, len, 0, &t.sl, t.h, &t.n, &t.e);
    assert_int_equal(t.r, out->r);
    assert_int_equal(t.n, out->n);
    for (size_t k = 1; k < len; k++) {
        char *q = g + len - k;
        memmove(q, s, k);
        t.n = MAXH;
        t.r = sr_parse_head(q, k, 0, &t.sl, t.h, &t.n, NULL);
        if (out->r > 0) {
            assert_int_equal(t.r, k < (size_t)out->r ? SR_EAGAIN : out->r);
        } else if (t.r != SR_EAGAIN) {
            assert_int_equal(t.r, out->r);
        }
    }
    tu_guarded_free(g, len);
}

static void test_request_line(void **state)
{
    (void)state;
    head p;
    parse3("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nv: x\r\n\r\nbody", &p);
    assert_int_equal(p.r, 64);
    assert_true(p.sl.is_request);
    assert_int_equal(p.sl.method_id, SR_METHOD_INVITE);
    assert_sr_str_eq(p.sl.method, "INVITE");
    assert_sr_str_eq(p.sl.uri, "sip:bob@example.com");
    assert_sr_str_eq(p.sl.version, "SIP/2.0");
    assert_int_equal(p.sl.version_major, 2);
    assert_int_equal(p.sl.version_minor, 0);
    assert_int_equal(p.n, 2);
    assert_int_equal(p.h[0].id, SR_HDR_VIA);
    assert_int_equal(p.h[1].id, SR_HDR_VIA);
    assert_sr_str_eq(p.h[1].name, "v");
    assert_sr_str_eq(p.h[0].value, "SIP/2.0/UDP h");
    assert_sr_str_eq(p.h[0].raw, "Via: SIP/2.0/UDP h\r\n");

    parse3("FOO.bar! tel:+1-555 SIP/3.14\r\n\r\n", &p);
    assert_true(p.r > 0);
    assert_int_equal(p.sl.method_id, SR_METHOD_OTHER);
    assert_int_equal(p.sl.version_major, 3);
    assert_int_equal(p.sl.version_minor, 14);
    /* version numbers saturate instead of overflowing */
    parse3("OPTIONS sip:a SIP/99999999999999999999.1\r\n\r\n", &p);
    assert_true(p.r > 0);
    assert_int_equal(p.sl.version_major, 999);
    /* method names are case-sensitive (RFC 3261 §7.1) */
    parse3("invite sip:a SIP/2.0\r\n\r\n", &p);
    assert_int_equal(p.sl.method_id, SR_METHOD_OTHER);
}

static void test_status_line(void **state)
{
    (void)state;
    head p;
    parse3("SIP/2.0 486 Busy Here\r\nCSeq: 1 INVITE\r\n\r\n", &p);
    assert_true(p.r > 0);
    assert_false(p.sl.is_request);
    assert_int_equal(p.sl.status, 486);
    assert_sr_str_eq(p.sl.reason, "Busy Here");
    assert_int_equal(p.h[0].id, SR_HDR_CSEQ);
    parse3("SIP/2.0 180 \r\n\r\n", &p); /* empty phrase */
    assert_int_equal(p.sl.status, 180);
    assert_int_equal(p.sl.reason.len, 0);
    parse3("SIP/2.0 200\r\n\r\n", &p); /* no SP at all: tolerated */
    assert_int_equal(p.sl.status, 200);
    parse3("SIP/2.0 200 [OK] \xc3\xa9t\xc3\xa9\r\n\r\n", &p); /* UTF-8, brackets */
    assert_sr_str_eq(p.sl.reason, "[OK] \xc3\xa9t\xc3\xa9");
}

typedef struct bad_case {
    const char *msg;
    int rc;
    size_t offset;
    const char *phrase;
} bad_case;

static const bad_case bad_cases[] = {
    {"SIP/2.0 4294967301 Huge\r\n\r\n", SR_EBADMSG, 8, "Bad status code"},
    {"SIP/2.0 099 Low\r\n\r\n", SR_EBADMSG, 8, "Bad status code"},
    {"SIP/2.0 700 High\r\n\r\n", SR_EBADMSG, 8, "Bad status code"},
    {"SIP/2.0 20 Short\r\n\r\n", SR_EBADMSG, 8, "Bad status code"},
    {"SIP/2.0 200 A\x01"
     "B\r\n\r\n",
     SR_EBADMSG, 13, "Bad reason phrase"},
    {"SIP/x.0 200 OK\r\n\r\n", SR_EBADMSG, 0, "Bad SIP version"},
    {"INVITE  sip:a SIP/2.0\r\n\r\n", SR_EBADMSG, 7, "Extra whitespace in Request-Line"},
    {"INVITE sip:a b SIP/2.0\r\n\r\n", SR_EBADMSG, 7, "Whitespace in Request-URI"},
    {"INVITE sip:a SIP/2.0 \r\n\r\n", SR_EBADMSG, 20, "Trailing whitespace in Request-Line"},
    {"INVITE <sip:a> SIP/2.0\r\n\r\n", SR_EBADMSG, 7, "Request-URI in angle brackets"},
    {"INVITE sip:a@b?Route=x SIP/2.0\r\n\r\n", SR_EBADMSG, 14,
     "Headers not allowed in Request-URI"},
    {"INVITE nocolon SIP/2.0\r\n\r\n", SR_EBADMSG, 14, "Bad Request-URI scheme"},
    {"INVITE sip:a HTTP/1.1\r\n\r\n", SR_EBADMSG, 13, "Bad SIP version"},
    {"INV(TE sip:a SIP/2.0\r\n\r\n", SR_EBADMSG, 3, "Bad Request-Line"},
    {" INVITE sip:a SIP/2.0\r\n\r\n", SR_EBADMSG, 0, "Bad request method"},
    {"INVITE sip:a SIP/2.0\r\nVia SIP/2.0/UDP h\r\n\r\n", SR_EBADMSG, 26,
     "Missing colon in header field"},
    {"INVITE sip:a SIP/2.0\r\n: x\r\n\r\n", SR_EBADMSG, 22, "Bad header field name"},
    {"INVITE sip:a SIP/2.0\r\n folded\r\n\r\n", SR_EBADMSG, 22, "Bad folded line"},
    {"INVITE sip:a SIP/2.0\r\nTo: a\rb\r\n\r\n", SR_EBADMSG, 27, "Bad line ending"},
    {"INVITE sip:a SIP/2.0\r\nTo: a\r\n\rX", SR_EBADMSG, 29, "Bad line ending"},
    {"\x01garbage", SR_EBADMSG, 0, "Bad start line"},
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        head p;
        parse3(bad_cases[i].msg, &p);
        if (p.r != bad_cases[i].rc || p.e.offset != bad_cases[i].offset ||
            strcmp(p.e.phrase, bad_cases[i].phrase) != 0)
            fail_msg("case %zu: got %d at %zu \"%s\", want %d at %zu \"%s\"", i, (int)p.r,
                     p.e.offset, p.e.phrase, bad_cases[i].rc, bad_cases[i].offset,
                     bad_cases[i].phrase);
        assert_int_equal(p.e.code, bad_cases[i].rc);
    }
}

/* The Request-URI's scheme (RFC 3261 §19.1.1, RFC 4475 §3.1.2.11): "sip:" in any case is
 * taken at once, every other scheme by the scan; both give the same outcome and offset. */
static void test_request_uri_schemes(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"INVITE sip:a@b SIP/2.0\r\n\r\n", 0, 0, NULL},
        {"INVITE SiP:a@b SIP/2.0\r\n\r\n", 0, 0, NULL},
        {"INVITE sips:a@b SIP/2.0\r\n\r\n", 0, 0, NULL},
        {"INVITE sipx:a?b SIP/2.0\r\n\r\n", 0, 0, NULL},
        {"INVITE si:p SIP/2.0\r\n\r\n", 0, 0, NULL},
        {"INVITE sip:a?b SIP/2.0\r\n\r\n", SR_EBADMSG, 12, "Headers not allowed in Request-URI"},
        {"INVITE SIP:a@b?x SIP/2.0\r\n\r\n", SR_EBADMSG, 14, "Headers not allowed in Request-URI"},
        {"INVITE sIpS:a@b?x SIP/2.0\r\n\r\n", SR_EBADMSG, 15, "Headers not allowed in Request-URI"},
        {"INVITE sip: SIP/2.0\r\n\r\n", SR_EBADMSG, 10, "Bad Request-URI scheme"},
        {"INVITE s%p:a SIP/2.0\r\n\r\n", SR_EBADMSG, 8, "Bad Request-URI scheme"},
        {"INVITE sip:a<b SIP/2.0\r\n\r\n", SR_EBADMSG, 12, "Bad Request-URI"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        head p;
        parse3(cases[i].msg, &p);
        /* rc 0: the whole head parses */
        ptrdiff_t want = cases[i].rc ? cases[i].rc : (ptrdiff_t)strlen(cases[i].msg);
        if (p.r != want || (cases[i].phrase && (p.e.offset != cases[i].offset ||
                                                strcmp(p.e.phrase, cases[i].phrase) != 0)))
            fail_msg("case %zu: got %d at %zu \"%s\"", i, (int)p.r, p.e.offset,
                     p.e.phrase ? p.e.phrase : "");
    }
}

static void test_folding_and_trim(void **state)
{
    (void)state;
    head p;
    parse3("OPTIONS sip:a SIP/2.0\r\nSubject :  \t hello\r\n  world \t\r\n"
           "Route:\r\n <sip:x>\r\nEmpty:\r\nX-Tab:\tv\r\n\r\n",
           &p);
    assert_true(p.r > 0);
    assert_int_equal(p.n, 4);
    assert_sr_str_eq(p.h[0].name, "Subject");
    assert_sr_str_eq(p.h[0].value, "hello\r\n  world");
    assert_sr_str_eq(p.h[1].value, "<sip:x>");
    assert_int_equal(p.h[2].id, SR_HDR_OTHER);
    assert_int_equal(p.h[2].value.len, 0);
    assert_sr_str_eq(p.h[3].value, "v");
    /* a line end at the end of the buffer cannot be judged: the next byte may fold it */
    size_t n = MAXH;
    sr_start_line sl;
    sr_header h[MAXH];
    const char *s = "OPTIONS sip:a SIP/2.0\r\nTo: a\r\n";
    assert_int_equal(sr_parse_head(s, strlen(s), 0, &sl, h, &n, NULL), SR_EAGAIN);
    /* bare LF line ends are accepted (lenient), quoted-pair CTLs inside values too */
    parse3("OPTIONS sip:a SIP/2.0\nTo: \"a\\\x07\" <sip:a>\n\n", &p);
    assert_true(p.r > 0);
    assert_int_equal(p.n, 1);
    assert_sr_str_eq(p.h[0].value, "\"a\\\x07\" <sip:a>");
    /* leading CRLFs (keep-alives) are skipped */
    parse3("\r\n\r\nBYE sip:a SIP/2.0\r\n\r\n", &p);
    assert_int_equal(p.r, 25);
    assert_sr_str_eq(p.sl.method, "BYE");
}

static void test_limits_and_args(void **state)
{
    (void)state;
    const char *s = "BYE sip:a SIP/2.0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    sr_start_line sl;
    sr_header h[3];
    size_t n = 2;
    sr_parse_error e;
    assert_int_equal(sr_parse_head(s, strlen(s), 0, &sl, h, &n, &e), SR_ENOSPC);
    assert_int_equal(e.code, SR_ENOSPC);
    n = 3;
    assert_int_equal(sr_parse_head(s, strlen(s), 0, &sl, h, &n, &e), (ptrdiff_t)strlen(s));
    assert_int_equal(n, 3);
    n = 3;
    assert_int_equal(sr_parse_head(NULL, 5, 0, &sl, h, &n, &e), SR_EINVAL);
    assert_int_equal(sr_parse_head(s, 5, 0, NULL, h, &n, &e), SR_EINVAL);
    n = 0;
    assert_int_equal(sr_parse_head("", 0, 0, &sl, NULL, &n, NULL), SR_EAGAIN);
    /* prev_len: no new end of head → EAGAIN without a full parse; then the answer */
    n = 3;
    assert_int_equal(sr_parse_head(s, 20, 0, &sl, h, &n, NULL), SR_EAGAIN);
    n = 3;
    assert_int_equal(sr_parse_head(s, 30, 20, &sl, h, &n, NULL), SR_EAGAIN);
    n = 3;
    assert_int_equal(sr_parse_head(s, strlen(s), 30, &sl, h, &n, NULL), (ptrdiff_t)strlen(s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_request_line),    TU_TEST(test_status_line),
        TU_TEST(test_errors),          TU_TEST(test_folding_and_trim),
        TU_TEST(test_limits_and_args), TU_TEST(test_request_uri_schemes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
