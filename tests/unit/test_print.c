/* sipreply tests: the printer and the minimal builder (print.h).
 * Byte-exact reprint, canonical built messages, recorded edits, failure sweeps. */
#include <string.h>

#include "testutil.h"

static const char req[] = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
                          "v: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
                          "Max-Forwards: 70\r\n"
                          "t: Bob <sip:bob@biloxi.example.com>\r\n"
                          "f: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
                          "i: a84b4c76e66710@pc33.atlanta.example.com\r\n"
                          "CSeq: 314159 INVITE\r\n"
                          "X-Odd :   kept  as\r\n is\r\n"
                          "l: 4\r\n"
                          "\r\n"
                          "v=0\r\n";

static void test_reprint_exact(void **state)
{
    (void)state;
    sr_msg *m = tu_parse_len(req, strlen(req), tu_allocator());
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_msg_print(m, &b), 0);
    /* the body is 4 bytes ("v=0\r"), the final "\n" lies beyond Content-Length */
    assert_mem_eq(b.p, b.len, req, strlen(req) - 1);
    sr_buf_cleanup(&b);
    sr_msg_free(m);
}

static void test_edits_recorded(void **state)
{
    (void)state;
    sr_msg *m = tu_parse_len(req, strlen(req), tu_allocator());
    size_t before = sr_msg_header_count(m);
    assert_int_equal(
        sr_msg_add_header(m, SR_HDR_RECORD_ROUTE, SR_STR_NULL, SR_STR("<sip:p1.example.com;lr>")),
        0);
    assert_int_equal(sr_msg_add_header(m, SR_HDR_OTHER, SR_STR("X-Trace"), SR_STR(" 42 ")), 0);
    /* a hand-added Content-Length is never printed (the received one stays) */
    assert_int_equal(sr_msg_add_header(m, SR_HDR_CONTENT_LENGTH, SR_STR_NULL, SR_STR("999")), 0);
    before++;
    assert_int_equal(sr_msg_header_count(m), before + 2);
    const sr_header *h = sr_msg_header_find_name(m, SR_STR("x-trace"), NULL);
    assert_non_null(h);
    assert_sr_str_eq(h->value, "42");
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_msg_print(m, &b), 0);
    /* received headers byte for byte, then the added ones canonically */
    const char *cut = strstr(req, "\r\n\r\n");
    size_t head_wo_blank = (size_t)(cut - req) + 2;
    assert_true(b.len > head_wo_blank);
    assert_memory_equal(b.p, req, head_wo_blank);
    const char *tail = "Record-Route: <sip:p1.example.com;lr>\r\nX-Trace: 42\r\n\r\nv=0\r";
    assert_mem_eq(b.p + head_wo_blank, b.len - head_wo_blank, tail, strlen(tail));
    sr_buf_cleanup(&b);

    /* replacing the body rewrites Content-Length */
    assert_int_equal(sr_msg_set_body(m, SR_STR_NULL, SR_STR("hello world")), 0);
    assert_int_equal(sr_msg_content_length(m), 11);
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_msg_print(m, &b), 0);
    assert_null(strstr(b.p, "l: 4"));
    assert_non_null(strstr(b.p, "Content-Length: 11\r\n\r\nhello world"));
    sr_msg *m2 = tu_parse_len(b.p, b.len, tu_allocator());
    assert_sr_str_eq(sr_msg_body(m2), "hello world");
    assert_int_equal(sr_msg_header_count_id(m2, SR_HDR_CONTENT_LENGTH), 1);
    sr_msg_free(m2);
    sr_buf_cleanup(&b);
    sr_msg_free(m);
}

static int build_response(const sr_allocator *alloc, sr_msg **out)
{
    sr_msg *m = NULL;
    int rc = sr_msg_new_response(&m, alloc, 486, SR_STR("Busy Here"));
    if (rc)
        return rc;
    if ((rc = sr_msg_add_header(m, SR_HDR_VIA, SR_STR_NULL,
                                SR_STR("SIP/2.0/UDP h;branch=z9hG4bK1, SIP/2.0/TCP g"))) ||
        (rc = sr_msg_add_header(m, SR_HDR_TO, SR_STR_NULL, SR_STR("<sip:b@h>;tag=x"))) ||
        (rc = sr_msg_add_header(m, SR_HDR_FROM, SR_STR_NULL, SR_STR("<sip:a@h>;tag=y"))) ||
        (rc = sr_msg_add_header(m, SR_HDR_CALL_ID, SR_STR_NULL, SR_STR("c@h"))) ||
        (rc = sr_msg_add_header(m, SR_HDR_CSEQ, SR_STR_NULL, SR_STR("7 INVITE"))) ||
        (rc = sr_msg_add_header(m, SR_HDR_OTHER, SR_STR("retry-after"), SR_STR("60"))) ||
        (rc = sr_msg_add_header(m, SR_HDR_CONTENT_LENGTH, SR_STR_NULL, SR_STR("999"))) ||
        (rc = sr_msg_set_body(m, SR_STR("text/plain"), SR_STR("busy")))) {
        sr_msg_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* Every eagerly parsed accessor of a built message equals that of its printed form parsed
 * back: the transaction layer relies on it to match built requests without re-parsing. */
static void test_built_accessors_match_parsed(void **state)
{
    (void)state;
    sr_msg *m = NULL;
    assert_int_equal(sr_msg_new_request(&m, tu_allocator(), SR_STR("PRACK"), SR_STR("sip:b@h")), 0);
    static const struct {
        enum sr_hdr_id id;
        const char *v;
    } h[] = {
        {SR_HDR_VIA, "SIP/2.0/UDP h:5070;branch=z9hG4bK1;rport, SIP/2.0/TCP g;received=192.0.2.9"},
        {SR_HDR_VIA, "SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bK3"},
        {SR_HDR_TO, "\"B\" <sip:b@h>;tag=x"},
        {SR_HDR_FROM, "<sip:a@h>;tag=y"},
        {SR_HDR_CALL_ID, "c@h"},
        {SR_HDR_CSEQ, "8 PRACK"},
        {SR_HDR_MAX_FORWARDS, "69"},
        {SR_HDR_RSEQ, "7"},
        {SR_HDR_RACK, "7 7 INVITE"},
    };
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++)
        assert_int_equal(sr_msg_add_header(m, h[i].id, SR_STR_NULL, sr_str_from_cstr(h[i].v)), 0);
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_msg_print(m, &b), 0);
    sr_msg *p = NULL;
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = tu_allocator();
    assert_int_equal(sr_msg_parse(&p, b.p, b.len, &o, NULL), 0);
    assert_int_equal(sr_msg_via_count(m), 3);
    assert_int_equal(sr_msg_via_count(p), 3);
    for (size_t i = 0; i < 3; i++) {
        const sr_via *x = sr_msg_via(m, i), *y = sr_msg_via(p, i);
        assert_true(sr_str_eq(x->raw, y->raw) && sr_str_eq(x->host, y->host) &&
                    sr_str_eq(x->branch, y->branch) && sr_str_eq(x->transport, y->transport) &&
                    sr_str_eq(x->received, y->received));
        assert_int_equal(x->port, y->port);
        assert_int_equal(x->rport, y->rport);
    }
    assert_true(sr_str_eq(sr_msg_to(m)->tag, sr_msg_to(p)->tag));
    assert_true(sr_str_eq(sr_msg_to(m)->display, sr_msg_to(p)->display));
    assert_true(sr_str_eq(sr_msg_from(m)->uri, sr_msg_from(p)->uri));
    assert_true(sr_str_eq(sr_msg_from(m)->tag, sr_msg_from(p)->tag));
    assert_true(sr_str_eq(sr_msg_call_id(m), sr_msg_call_id(p)));
    assert_int_equal(sr_msg_cseq(m)->num, sr_msg_cseq(p)->num);
    assert_int_equal(sr_msg_cseq(m)->method_id, SR_METHOD_PRACK);
    assert_true(sr_str_eq(sr_msg_cseq(m)->method, sr_msg_cseq(p)->method));
    assert_int_equal(sr_msg_max_forwards(m), 69);
    assert_int_equal(sr_msg_max_forwards(p), 69);
    assert_int_equal(sr_msg_rseq(m), sr_msg_rseq(p));
    assert_int_equal(sr_msg_rack(m)->rseq, sr_msg_rack(p)->rseq);
    assert_int_equal(sr_msg_rack(m)->cseq, sr_msg_rack(p)->cseq);
    assert_true(sr_str_eq(sr_msg_request_uri(m), sr_msg_request_uri(p)));
    sr_msg_free(p);
    sr_buf_cleanup(&b);
    sr_msg_free(m);
}

static void test_build_canonical(void **state)
{
    (void)state;
    sr_msg *m = NULL;
    assert_int_equal(build_response(tu_allocator(), &m), 0);
    assert_int_equal(sr_msg_status(m), 486);
    assert_int_equal(sr_msg_via_count(m), 2);
    assert_sr_str_eq(sr_msg_to(m)->tag, "x");
    assert_int_equal(sr_msg_cseq(m)->num, 7);
    assert_sr_str_eq(sr_msg_call_id(m), "c@h");
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_msg_print(m, &b), 0);
    const char *want = "SIP/2.0 486 Busy Here\r\n"
                       "Via: SIP/2.0/UDP h;branch=z9hG4bK1, SIP/2.0/TCP g\r\n"
                       "To: <sip:b@h>;tag=x\r\n"
                       "From: <sip:a@h>;tag=y\r\n"
                       "Call-ID: c@h\r\n"
                       "CSeq: 7 INVITE\r\n"
                       "Retry-After: 60\r\n"
                       "Content-Type: text/plain\r\n"
                       "Content-Length: 4\r\n"
                       "\r\n"
                       "busy";
    assert_mem_eq(b.p, b.len, want, strlen(want));
    /* the printed message parses and validates, and prints identically again */
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = tu_allocator();
    o.flags = SR_PARSE_VALIDATE;
    sr_msg *m2 = NULL;
    assert_int_equal(sr_msg_parse(&m2, b.p, b.len, &o, NULL), 0);
    sr_buf b2;
    sr_buf_init(&b2, tu_allocator());
    assert_int_equal(sr_msg_print(m2, &b2), 0);
    assert_mem_eq(b2.p, b2.len, b.p, b.len);
    sr_buf_cleanup(&b2);
    sr_msg_free(m2);
    sr_buf_cleanup(&b);
    sr_msg_free(m);

    assert_int_equal(sr_msg_new_request(&m, tu_allocator(), SR_STR("OPTIONS"), SR_STR("sip:a@b")),
                     0);
    assert_int_equal(sr_msg_method(m), SR_METHOD_OPTIONS);
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_msg_print(m, &b), 0);
    assert_string_equal(b.p, "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n");
    sr_buf_cleanup(&b);
    /* bad arguments */
    assert_int_equal(sr_msg_add_header(m, SR_HDR_OTHER, SR_STR("Bad Name"), SR_STR("x")),
                     SR_EINVAL);
    assert_int_equal(sr_msg_add_header(m, SR_HDR_TO, SR_STR_NULL, SR_STR("a\r\nb")), SR_EINVAL);
    assert_int_equal(sr_msg_add_header(m, SR_HDR_NONE, SR_STR_NULL, SR_STR("x")), SR_EINVAL);
    /* control characters: only as a quoted-pair inside a quoted-string (RFC 3261 §25.1),
     * never CR or LF, never bare; HTAB is LWS */
    static const char ok1[] = "\"BEL:\\\a NUL:\\\0 DEL:\\\x7f\" <sip:a@b>";
    assert_int_equal(sr_msg_add_header(m, SR_HDR_TO, SR_STR_NULL, (sr_str){ok1, sizeof ok1 - 1}),
                     0);
    assert_int_equal(sr_msg_add_header(m, SR_HDR_SUBJECT, SR_STR_NULL, SR_STR("a\tb")), 0);
    static const char bad1[] = "a\0b", bad2[] = "\"x\\\r\" <sip:a@b>", bad3[] = "\\\a <sip:a@b>";
    static const char bad4[] = "\"x\" \\\a";
    assert_int_equal(sr_msg_add_header(m, SR_HDR_SUBJECT, SR_STR_NULL, (sr_str){bad1, 3}),
                     SR_EINVAL);
    assert_int_equal(sr_msg_add_header(m, SR_HDR_TO, SR_STR_NULL, (sr_str){bad2, sizeof bad2 - 1}),
                     SR_EINVAL);
    assert_int_equal(sr_msg_add_header(m, SR_HDR_TO, SR_STR_NULL, (sr_str){bad3, sizeof bad3 - 1}),
                     SR_EINVAL);
    assert_int_equal(sr_msg_add_header(m, SR_HDR_TO, SR_STR_NULL, (sr_str){bad4, sizeof bad4 - 1}),
                     SR_EINVAL);
    assert_int_equal(sr_msg_header_count_id(m, SR_HDR_TO), 1);
    assert_int_equal(sr_msg_header_find(m, SR_HDR_TO, NULL)->value.len, sizeof ok1 - 1);
    sr_msg_free(m);
    sr_msg *none = NULL;
    assert_int_equal(sr_msg_new_request(&none, NULL, SR_STR("IN VITE"), SR_STR("sip:a")),
                     SR_EINVAL);
    assert_int_equal(sr_msg_new_request(&none, NULL, SR_STR("INVITE"), SR_STR("sip:a b")),
                     SR_EINVAL);
    assert_int_equal(sr_msg_new_response(&none, NULL, 99, SR_STR("x")), SR_EINVAL);
    assert_int_equal(sr_msg_new_response(&none, NULL, 700, SR_STR("x")), SR_EINVAL);
    assert_int_equal(sr_msg_new_response(&none, NULL, 200, SR_STR("a\nb")), SR_EINVAL);
    assert_null(none);
}

static int sweep_build(const sr_allocator *alloc, void *ctx)
{
    (void)ctx;
    sr_msg *m = NULL;
    int rc = build_response(alloc, &m);
    if (rc)
        return rc;
    /* many headers force arena growth */
    for (int i = 0; i < 40 && !rc; i++)
        rc = sr_msg_add_header(m, SR_HDR_OTHER, SR_STR("X-Pad"),
                               SR_STR("padding padding padding padding padding padding"));
    sr_buf b;
    sr_buf_init(&b, alloc);
    if (!rc)
        rc = sr_msg_print(m, &b);
    sr_buf_cleanup(&b);
    sr_msg_free(m);
    return rc;
}

static void test_build_failure_sweep(void **state)
{
    (void)state;
    long n = tu_failure_sweep(sweep_build, NULL);
    assert_true(n >= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_reprint_exact),       TU_TEST(test_edits_recorded),
        TU_TEST(test_build_canonical),     TU_TEST(test_built_accessors_match_parsed),
        TU_TEST(test_build_failure_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
