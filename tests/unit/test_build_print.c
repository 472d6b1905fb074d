/* sipreply tests: sr_build_response_print gives, byte for byte, what sr_build_response and
 * sr_msg_print give (the same result and error too), for every RFC 4475 torture message and
 * every message of the benchmark corpus that parses as a request, answered with every
 * registered code and a few others, with and without defaults, a source to stamp on the top
 * Via (RFC 3261 §18.2.1, RFC 3581 §4), a fixed To tag, caller headers and a body; and its
 * allocation failures leave the buffer as it was. RFC 3261 §8.2.6, §8.2.7. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "sipreply/status.h"

static size_t compared, refused;

/* One request, one code, one set of options: both ways, compared. */
static void same(const sr_msg *req, unsigned code, const sr_build_opts *o, const char *what)
{
    sr_msg *m = NULL;
    sr_build_error e1, e2;
    int rc1 = sr_build_response(&m, req, code, o, &e1);
    sr_buf a, b;
    sr_buf_init(&a, tu_allocator());
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_buf_append_cstr(&b, "kept"), 0);
    int rc2 = sr_build_response_print(&b, req, code, o, &e2);
    if (rc1 != rc2)
        fail_msg("%s, %u: sr_build_response %s, sr_build_response_print %s", what, code,
                 sr_errname(rc1), sr_errname(rc2));
    assert_int_equal(e1.code, e2.code);
    assert_ptr_equal(e1.header, e2.header);
    assert_ptr_equal(e1.what, e2.what);
    assert_memory_equal(b.p, "kept", 4);
    if (rc1 == 0) {
        assert_int_equal(sr_msg_print(m, &a), 0);
        if (a.len + 4 != b.len || memcmp(a.p, b.p + 4, a.len) != 0)
            fail_msg("%s, %u: printed\n%s\nbut sr_build_response_print gave\n%s", what, code, a.p,
                     b.p + 4);
        assert_int_equal(b.p[b.len], '\0');
        compared++;
    } else {
        assert_int_equal(b.len, 4);
        refused++;
    }
    sr_msg_free(m);
    sr_buf_cleanup(&a);
    sr_buf_cleanup(&b);
}

static void all_codes(const sr_msg *req, const char *what)
{
    sr_build_policy p;
    sr_build_policy_init(&p);
    static const char *const contacts[] = {"sip:bob@192.0.2.4", NULL};
    static const char *const req_tags[] = {"timer", NULL};
    p.contacts = contacts;
    p.require = req_tags;
    p.retry_after = 30;
    p.security_server = "digest";
    static const sr_build_header extra[] = {
        {{"Server", sizeof("Server") - 1}, {"sipreply", sizeof("sipreply") - 1}},
        {{"X-Note", sizeof("X-Note") - 1}, {"  padded  ", sizeof("  padded  ") - 1}},
        {{"l", sizeof("l") - 1}, {"99", sizeof("99") - 1}},
        {{"Allow", sizeof("Allow") - 1}, {"INVITE, ACK", sizeof("INVITE, ACK") - 1}}};
    static const unsigned others[] = {199, 299, 399, 499, 599, 699, 700, 99, 0};
    for (size_t variant = 0; variant < 6; variant++) {
        sr_build_opts o;
        sr_build_opts_init(&o);
        o.alloc = tu_allocator();
        o.policy = &p;
        o.flags = variant % 2 ? SR_BUILD_DEFAULTS : 0;
        if (variant >= 2) {
            o.source_host = sr_str_from_cstr(variant == 2 ? "192.0.2.77" : "[2001:db8::5]");
            o.source_port = 5077;
            o.flags |= SR_BUILD_UNREGISTERED | SR_BUILD_LEGACY;
        }
        if (variant >= 4) {
            o.to_tag = SR_STR("fixedtag");
            o.headers = extra;
            o.n_headers = sizeof extra / sizeof extra[0];
            o.reason = variant == 5 ? SR_STR("Custom Reason") : SR_STR_NULL;
            o.body = SR_STR("v=0\r\n");
            o.body_type = SR_STR("application/sdp");
        }
        for (size_t i = 0; i < sr_status_count(); i++)
            same(req, (unsigned)sr_status_at(i)->code, &o, what);
        for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
            same(req, others[i], &o, what);
    }
}

/* Every file of @p dir ending in @p ext that parses as a request. */
static size_t each_request(const char *dir, const char *ext)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        size_t l = strlen(de->d_name), el = strlen(ext);
        if (l <= el || strcmp(de->d_name + l - el, ext) != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t len;
        char *txt = tu_read_file(path, &len);
        assert_non_null(txt);
        sr_msg *req = NULL;
        if (sr_msg_parse(&req, txt, len, NULL, NULL) == 0 && sr_msg_is_request(req)) {
            all_codes(req, de->d_name);
            n++;
        }
        sr_msg_free(req);
        free(txt);
    }
    closedir(d);
    return n;
}

static void test_print_equals_build_then_print(void **state)
{
    (void)state;
    size_t torture = each_request(SR_VECTORS_DIR "/rfc4475", ".dat");
    size_t corpus = each_request(SR_BENCH_CORPUS_DIR, ".sip");
    print_message("%zu torture and %zu corpus requests: %zu responses compared, %zu refused "
                  "alike\n",
                  torture, corpus, compared, refused);
    assert_true(torture >= 20);
    assert_true(corpus >= 5);
    assert_true(compared > 10000);
    assert_true(refused > 100);
}

static const char invite_txt[] = "INVITE sip:486@192.0.2.1 SIP/2.0\r\n"
                                 "Via: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bK1;rport\r\n"
                                 "From: <sip:a@192.0.2.2>;tag=f1\r\n"
                                 "To: <sip:486@192.0.2.1>\r\n"
                                 "Call-ID: c1@192.0.2.2\r\n"
                                 "CSeq: 1 INVITE\r\n"
                                 "Max-Forwards: 70\r\n"
                                 "Content-Length: 0\r\n\r\n";

typedef struct {
    const sr_msg *req;
} sweep_ctx;

/* Under every allocation failure: an error, the buffer as it was, nothing leaked. */
static int sweep_scenario(const sr_allocator *alloc, void *ctx)
{
    const sweep_ctx *c = ctx;
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = alloc;
    o.flags = SR_BUILD_DEFAULTS;
    o.source_host = SR_STR("192.0.2.99");
    o.source_port = 5099;
    sr_buf b;
    sr_buf_init(&b, alloc);
    int rc = sr_build_response_print(&b, c->req, 486, &o, NULL);
    if (rc != 0 && b.len != 0)
        fail_msg("a failed build left %zu bytes", b.len);
    sr_buf_cleanup(&b);
    return rc;
}

static void test_print_failure_sweep(void **state)
{
    (void)state;
    sr_msg *req = NULL;
    assert_int_equal(sr_msg_parse(&req, invite_txt, strlen(invite_txt), NULL, NULL), 0);
    sweep_ctx c = {req};
    assert_true(tu_failure_sweep(sweep_scenario, &c) > 0);
    sr_msg_free(req);
}

static void test_print_null_arguments(void **state)
{
    (void)state;
    sr_build_error e;
    assert_int_equal(sr_build_response_print(NULL, NULL, 486, NULL, &e), SR_EINVAL);
    assert_string_equal(e.what, "NULL argument");
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_build_response_print(&b, NULL, 486, NULL, &e), SR_EINVAL);
    assert_int_equal(b.len, 0);
    sr_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_print_equals_build_then_print),
        TU_TEST(test_print_failure_sweep),
        TU_TEST(test_print_null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
