/* sipreply tests: sr_msg_dup — the copy reads and prints as the original, after the original
 * is freed, for every RFC 4475 vector that frames and for built and edited messages. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg_int.h"
#include "testutil.h"

/* Everything the accessors say about @p m, as text owned by the caller (free()). */
static char *dump(const sr_msg *m)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
#define S(s) (int)(s).len, (s).p != NULL ? (s).p : ""
    const sr_start_line *sl = sr_msg_start_line(m);
    fprintf(f, "req=%d method=%d [%.*s] uri=[%.*s] ver=[%.*s] %u.%u status=%u [%.*s]\n",
            sr_msg_is_request(m), (int)sr_msg_method(m), S(sl->method), S(sl->uri), S(sl->version),
            sl->version_major, sl->version_minor, sr_msg_status(m), S(sl->reason));
    for (size_t i = 0; i < sr_msg_header_count(m); i++) {
        const sr_header *h = sr_msg_header_at(m, i);
        fprintf(f, "h%zu id=%d [%.*s] [%.*s] raw=[%.*s]\n", i, (int)h->id, S(h->name), S(h->value),
                S(h->raw));
    }
    for (int id = 0; id < SR_HDR__COUNT; id++) {
        size_t n = sr_msg_header_count_id(m, (enum sr_hdr_id)id);
        if (n)
            fprintf(f, "count %d=%zu first=[%.*s]\n", id, n,
                    S(sr_msg_header_find(m, (enum sr_hdr_id)id, NULL)->value));
    }
    size_t nv = sr_msg_via_count(m);
    for (size_t i = 0; i < nv; i++) {
        const sr_via *v = sr_msg_via(m, i);
        fprintf(f,
                "via%zu [%.*s/%.*s/%.*s] host=[%.*s]:%u br=[%.*s] rec=[%.*s] maddr=[%.*s] "
                "rport=%d ttl=%d params=[%.*s] raw=[%.*s]\n",
                i, S(v->protocol), S(v->version), S(v->transport), S(v->host), v->port,
                S(v->branch), S(v->received), S(v->maddr), (int)v->rport, v->ttl, S(v->params),
                S(v->raw));
    }
    const sr_nameaddr *na[2] = {sr_msg_to(m), sr_msg_from(m)};
    for (int i = 0; i < 2; i++) {
        if (na[i] != NULL)
            fprintf(f, "na%d [%.*s] %d %d uri=[%.*s] tag=%d[%.*s] params=[%.*s]\n", i,
                    S(na[i]->display), na[i]->display_quoted, na[i]->angle, S(na[i]->uri),
                    na[i]->tag.p != NULL, S(na[i]->tag), S(na[i]->params));
    }
    const sr_cseq *cs = sr_msg_cseq(m);
    if (cs != NULL)
        fprintf(f, "cseq %u %d [%.*s]\n", cs->num, (int)cs->method_id, S(cs->method));
    const sr_rack *ra = sr_msg_rack(m);
    if (ra != NULL)
        fprintf(f, "rack %u %u %d [%.*s]\n", ra->rseq, ra->cseq, (int)ra->method_id, S(ra->method));
    sr_parse_error e;
    memset(&e, 0, sizeof e);
    int vrc = sr_msg_validate(m, &e);
    fprintf(f,
            "callid=[%.*s] mf=%lld rseq=%lld exp=%lld clen=%lld size=%zu body=[%.*s]\n"
            "validate=%d off=%zu hdr=%d phrase=%s\n",
            S(sr_msg_call_id(m)), (long long)sr_msg_max_forwards(m), (long long)sr_msg_rseq(m),
            (long long)sr_msg_expires(m), (long long)sr_msg_content_length(m), sr_msg_size(m),
            S(sr_msg_body(m)), vrc, e.offset, e.hdr, e.phrase != NULL ? e.phrase : "-");
#undef S
    sr_buf b;
    sr_buf_init(&b, NULL);
    int prc = sr_msg_print(m, &b);
    fprintf(f, "print=%d\n", prc);
    if (prc == 0)
        fwrite(b.p, 1, b.len, f);
    sr_buf_cleanup(&b);
    fclose(f);
    return out;
}

/* Every slice the copy's headers and start line hold lies in the copy's arena, or is static
 * text (the canonical name of an added header, the builder's "SIP/2.0"). */
static bool in_arena(const sr_msg *m, const char *p)
{
    for (const sr__chunk *c = m->arena.head; c != NULL; c = c->next) {
        const char *lo = (const char *)c + SR__CHUNK_HDR;
        if (p >= lo && p <= lo + c->used)
            return true;
    }
    return false;
}

static void check_owned(const sr_msg *d)
{
    for (size_t i = 0; i < d->nhdrs; i++) {
        const sr_header *h = &d->hdrs[i];
        assert_true(in_arena(d, h->value.p));
        assert_true(in_arena(d, h->name.p) || h->name.p == sr_hdr_name(h->id));
        assert_true(h->raw.p == NULL || in_arena(d, h->raw.p));
    }
    assert_true(in_arena(d, (const char *)d->hdrs) || d->hdrs == NULL);
    assert_true(d->body.p == NULL || in_arena(d, d->body.p));
    assert_true(d->sl.uri.p == NULL || in_arena(d, d->sl.uri.p));
    assert_true(d->arena.head != NULL && d->arena.head->next == NULL); /* one chunk */
}

/* Dump @p m, copy it, free it, and compare the copy's dump. Takes @p m. */
static void dup_and_compare(sr_msg *m, const char *what)
{
    tu_alloc *ta = tu_alloc_state();
    long before = ta->total;
    sr_msg *d = NULL;
    assert_int_equal(sr_msg_dup(&d, m), 0);
    assert_int_equal(ta->total - before, 1); /* one allocation */
    char *want = dump(m);
    sr_msg_free(m); /* the copy must not lean on it (ASan would see the use after free) */
    check_owned(d);
    char *got = dump(d);
    if (strcmp(want, got) != 0)
        fail_msg("%s: copy differs\n--- original\n%s\n--- copy\n%s", what, want, got);
    free(want);
    free(got);
    sr_msg_free(d);
}

static sr_msg *parse(const char *buf, size_t len)
{
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = tu_allocator();
    sr_msg *m = NULL;
    return sr_msg_parse(&m, buf, len, &o, NULL) == 0 ? m : NULL;
}

static void test_dup_rfc4475(void **state)
{
    (void)state;
    int copied = 0;
    size_t len;
    tu_rfc4475_iter it = {0};
    char file[128], *buf;
    while ((buf = tu_rfc4475_next(&it, file, &len)) != NULL) {
        /* twice: with the Vias after the top one still unparsed, then all parsed */
        for (int lazy = 0; lazy < 2; lazy++) {
            sr_msg *m = parse(buf, len);
            if (m == NULL)
                break;
            if (!lazy)
                (void)sr_msg_via_count(m);
            dup_and_compare(m, file);
            copied++;
        }
        free(buf);
    }
    assert_true(copied >= 2 * 35);
}

static const char invite[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b\r\n"
                             "v: SIP/2.0/UDP c:5070;rport;received=192.0.2.1\r\n"
                             "Max-Forwards: 70\r\n"
                             "To: Bob <sip:bob@example.com>\r\n"
                             "From: \"Alice\" <sip:alice@example.com>;tag=88\r\n"
                             "Call-ID: c1@a\r\n"
                             "CSeq: 1 INVITE\r\n"
                             "Supported: 100rel\r\n"
                             "Content-Type: application/sdp\r\n"
                             "Content-Length: 4\r\n"
                             "\r\n"
                             "v=0\n";

static void test_dup_built(void **state)
{
    (void)state;
    /* a response built from a request */
    sr_msg *req = parse(invite, sizeof invite - 1);
    assert_non_null(req);
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = tu_allocator();
    o.flags = SR_BUILD_DEFAULTS;
    sr_msg *resp = NULL;
    assert_int_equal(sr_build_response(&resp, req, 486, &o, NULL), 0);
    assert_int_equal(sr_msg_add_header(resp, SR_HDR_RSEQ, SR_STR_NULL, SR_STR("7")), 0);
    assert_int_equal(sr_msg_set_body(resp, SR_STR("application/sdp"), SR_STR("v=0\r\n")), 0);
    dup_and_compare(resp, "built 486");
    /* a parsed message with headers added and its body replaced (pending edits) */
    assert_int_equal(sr_msg_add_header(req, SR_HDR_OTHER, SR_STR("X-Extra"), SR_STR("1")), 0);
    assert_int_equal(
        sr_msg_add_header(req, SR_HDR_VIA, SR_STR_NULL, SR_STR("SIP/2.0/UDP d;branch=z9hG4bK2")),
        0);
    assert_int_equal(sr_msg_add_header(req, SR_HDR_RACK, SR_STR_NULL, SR_STR("1 1 INVITE")), 0);
    assert_int_equal(sr_msg_set_body(req, SR_STR_NULL, SR_STR("v=1\r\n")), 0);
    dup_and_compare(req, "edited request");
    /* a request built from scratch, many headers: its arena has several chunks */
    sr_msg *m = NULL;
    assert_int_equal(
        sr_msg_new_request(&m, tu_allocator(), SR_STR("OPTIONS"), SR_STR("sip:x@example.com")), 0);
    for (int i = 0; i < 200; i++) {
        char v[64];
        snprintf(v, sizeof v, "SIP/2.0/UDP h%d;branch=z9hG4bK%d", i, i);
        assert_int_equal(sr_msg_add_header(m, SR_HDR_VIA, SR_STR_NULL, sr_str_from_cstr(v)), 0);
    }
    assert_int_equal(sr_msg_add_header(m, SR_HDR_CSEQ, SR_STR_NULL, SR_STR("9 OPTIONS")), 0);
    assert_non_null(m->arena.head->next);
    dup_and_compare(m, "built request");
}

/* The copy is a message like any: it can be edited and copied again. */
static void test_dup_then_edit(void **state)
{
    (void)state;
    sr_msg *m = parse(invite, sizeof invite - 1);
    assert_non_null(m);
    sr_msg *d = NULL;
    assert_int_equal(sr_msg_dup(&d, m), 0);
    sr_msg_free(m);
    assert_int_equal(sr_msg_add_header(d, SR_HDR_TO, SR_STR_NULL, SR_STR("<sip:c@d>;tag=x")), 0);
    assert_int_equal(sr_msg_header_count_id(d, SR_HDR_TO), 2);
    assert_sr_str_eq(sr_msg_to(d)->uri, "sip:bob@example.com");
    dup_and_compare(d, "copy edited");
    assert_int_equal(sr_msg_dup(NULL, m), SR_EINVAL);
    assert_int_equal(sr_msg_dup(&d, NULL), SR_EINVAL);
}

/* The internal head-only copy reads as the head-only parse. */
static void test_dup_no_body(void **state)
{
    (void)state;
    sr_msg *m = parse(invite, sizeof invite - 1);
    assert_non_null(m);
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = tu_allocator();
    o.flags = SR__PARSE_NO_BODY;
    sr_msg *h = NULL;
    assert_int_equal(sr_msg_parse(&h, invite, sizeof invite - 1, &o, NULL), 0);
    sr_msg *d = NULL;
    assert_int_equal(sr__msg_dup(&d, m, tu_allocator(), true), 0);
    sr_msg_free(m);
    assert_true(sr__msg_footprint(d) < sr__msg_footprint(h) + 64);
    char *want = dump(h), *got = dump(d);
    assert_string_equal(want, got);
    free(want);
    free(got);
    sr_msg_free(h);
    sr_msg_free(d);
}

static int sweep_dup(const sr_allocator *alloc, void *ctx)
{
    (void)ctx;
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = alloc;
    sr_msg *m = NULL, *d = NULL;
    int rc = sr_msg_parse(&m, invite, sizeof invite - 1, &o, NULL);
    if (rc != 0)
        return rc;
    rc = sr_msg_add_header(m, SR_HDR_OTHER, SR_STR("X-A"), SR_STR("b"));
    if (rc == 0)
        rc = sr_msg_dup(&d, m);
    sr_msg_free(m);
    if (rc == 0 && sr_msg_via_count(d) != 3)
        rc = SR_EINVAL;
    sr_msg_free(d);
    return rc;
}

static void test_dup_failure_sweep(void **state)
{
    (void)state;
    assert_true(tu_failure_sweep(sweep_dup, NULL) >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_dup_rfc4475), TU_TEST(test_dup_built),         TU_TEST(test_dup_then_edit),
        TU_TEST(test_dup_no_body), TU_TEST(test_dup_failure_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
