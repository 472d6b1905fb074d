/* sipreply tests: the linter's memo of byte-keyed syntax checks (sr_lint_cache) — the same
 * findings and the same validation error (code, offset, header, phrase) with and without it,
 * on hand-made messages broken in each checked place, on the RFC 4475 and RFC 5118 vectors
 * and on thousands of mutations of them; memory fixed at creation; eviction. RFC 3261
 * §19.1, §20.10, §20.34, §20.30, §20.39, §25.1. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint_int.h"
#include "testutil.h"

#define HEAD(ruri, to, from, extra)                        \
    "INVITE " ruri " SIP/2.0\r\n"                          \
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa1\r\n" \
    "Max-Forwards: 70\r\n"                                 \
    "To: " to "\r\n"                                       \
    "From: " from ";tag=fa\r\n"                            \
    "Call-ID: c1@x\r\n"                                    \
    "CSeq: 1 INVITE\r\n" extra "Content-Length: 0\r\n\r\n"

/* Each broken in one place the validator checks by bytes (and some that are fine). */
static const char *const msgs[] = {
    HEAD("sip:bob@example.com", "<sip:bob@example.com>", "<sip:alice@example.com>",
         "Contact: <sip:alice@192.0.2.1:5060>\r\n"),
    HEAD("sip:bob@exa^mple.com", "<sip:bob@example.com>", "<sip:alice@example.com>", ""),
    HEAD("sip:bob@example.com:99999", "<sip:bob@example.com>", "<sip:alice@example.com>", ""),
    HEAD("sip:bob@example.com", "<sip:bob@[::1>", "<sip:alice@example.com>", ""),
    HEAD("sip:bob@example.com", "<sip:bob@example.com>", "<sip:alice@exa%mple.com>", ""),
    HEAD("sip:bob@example.com", "<sip:bob@example.com>", "<sip:alice@example.com>",
         "Contact: <sip:alice@192.0.2.1:5060>, <sip:x@-bad-.example..com>\r\n"),
    HEAD("sip:bob@example.com", "<sip:bob@example.com>", "<sip:alice@example.com>",
         "Contact: <sip:alice@192.0.2.1:5060\r\n"),
    HEAD("sip:bob@example.com", "<sip:bob@example.com>", "<sip:alice@example.com>",
         "Contact: *\r\n"),
    HEAD("sip:bob@example.com", "<sip:bob@example.com>", "<sip:alice@example.com>",
         "Contact: <sip:a@192.0.2.1>\r\nContact: <sip:b@192.0.2.1;lr>\r\n"
         "Contact: \"x\" <sip:c@192.0.2.1:70000>\r\n"),
    HEAD("sip:bob@example.com", "<sip:bob@example.com>", "<sip:alice@example.com>",
         "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
         "Record-Route: <sip:p3.example.com;lr>\r\nRecord-Route: <sip:p4@@example.com;lr>\r\n"),
    HEAD("sip:bob@example.com", "<sip:bob@example.com>", "<sip:alice@example.com>",
         "Route: sip:p1.example.com;lr\r\n"),
    HEAD("tel:+1-201-555-0123", "<tel:+1-201-555-0123>", "<sip:alice@example.com>",
         "Record-Route: <sip:proxy-with-a-very-long-name-so-that-the-value-is-longer-than-"
         "the-longest-key-kept.example.com;lr;ftag=abcdefabcdef;did=1234.5678>, <sip:x@@y>\r\n"),
    HEAD("sip:bob@example.com", "<sip:bob@example.com>",
         "<sip:a-user-with-a-very-long-name-so-that-the-uri-is-longer-than-the-longest-key-kept-"
         "by-the-cache@exa$mple.com>",
         ""),
    HEAD("sips:bob@example.com;transport=tcp", "\"B\" <sips:bob@example.com>",
         "Alice <sip:alice@[2001:db8::1]:5061;maddr=192.0.2.1>",
         "Contact: <sip:alice@192.0.2.1?subject=x&priority=urgent>;expires=60\r\n"),
};

/* One message against the cache @p c: validation and findings equal to the cache-less ones,
 * the first time (filling) and the second (from the cache). */
static void same_with_cache(const sr_msg *m, sr_lint_cache *c)
{
    sr_parse_error e0, e1;
    memset(&e0, 0, sizeof e0);
    int r0 = sr_msg_validate(m, &e0);
    sr_lint_opts o0, o1;
    sr_lint_opts_init(&o0);
    sr_lint_opts_init(&o1);
    o1.cache = c;
    sr_lint_finding f0[64], f1[64];
    size_t n0 = sr_lint_msg(m, &o0, f0, 64);
    for (int pass = 0; pass < 2; pass++) {
        memset(&e1, 0, sizeof e1);
        int r1 = sr__msg_validate_c(m, c, &e1);
        assert_int_equal(r0, r1);
        assert_int_equal(e0.code, e1.code);
        assert_int_equal(e0.offset, e1.offset);
        assert_int_equal(e0.hdr, e1.hdr);
        assert_ptr_equal(e0.phrase, e1.phrase);
        size_t n1 = sr_lint_msg(m, &o1, f1, 64);
        assert_int_equal(n0, n1);
        for (size_t i = 0; i < n0 && i < 64; i++) {
            assert_ptr_equal(f0[i].rule, f1[i].rule);
            assert_ptr_equal(f0[i].arg, f1[i].arg);
        }
    }
}

static sr_msg *parse(const char *buf, size_t len)
{
    sr_parse_opts po;
    sr_parse_opts_init(&po);
    po.alloc = tu_allocator();
    sr_msg *m = NULL;
    if (sr_msg_parse(&m, buf, len, &po, NULL) != 0)
        return NULL;
    return m;
}

static void test_lint_cache_same_findings(void **state)
{
    (void)state;
    sr_lint_cache *big = NULL, *tiny = NULL;
    assert_int_equal(sr_lint_cache_new(&big, 1u << 20, tu_allocator()), 0);
    assert_int_equal(sr_lint_cache_new(&tiny, 4096, tu_allocator()), 0);
    size_t bad = 0;
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        sr_msg *m = parse(msgs[i], strlen(msgs[i]));
        assert_non_null(m);
        sr_parse_error e;
        bad += sr_msg_validate(m, &e) != 0;
        same_with_cache(m, big);
        same_with_cache(m, tiny);
        sr_msg_free(m);
    }
    assert_true(bad >= 9); /* the broken ones are broken */
    sr_lint_cache_stats st;
    sr_lint_cache_stats_get(big, &st);
    assert_true(st.hits > 0 && st.hits < st.lookups);
    assert_int_equal(st.evictions, 0);
    assert_true(st.bytes <= 1u << 20);
    sr_lint_cache_stats_get(tiny, &st);
    assert_true(st.bytes <= 4096);
    assert_true(st.entries >= 4);
    sr_lint_cache_free(big);
    sr_lint_cache_free(tiny);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* The vectors, then mutations of them and of msgs[] (bytes changed to characters that
 * matter to the URI and name-addr grammars), through one small cache that evicts all the
 * time and one large: never a difference. */
static void check_buf(const char *buf, size_t len, sr_lint_cache *a, sr_lint_cache *b)
{
    sr_msg *m = parse(buf, len);
    if (!m)
        return;
    same_with_cache(m, a);
    same_with_cache(m, b);
    sr_msg_free(m);
}

static void mutate_and_check(const char *src, size_t len, sr_lint_cache *a, sr_lint_cache *b)
{
    static const char alphabet[] = "<>\"@:;,=%[]?&* \t-._~!0aZ\x01\x80";
    char *buf = malloc(len);
    assert_non_null(buf);
    for (int round = 0; round < 40; round++) {
        memcpy(buf, src, len);
        int k = 1 + (int)(next_rand() % 3);
        for (int j = 0; j < k; j++)
            buf[next_rand() % len] = alphabet[next_rand() % (sizeof alphabet - 1)];
        check_buf(buf, len, a, b);
    }
    free(buf);
}

static void each_vector(const char *dir, sr_lint_cache *a, sr_lint_cache *b, size_t *n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SR_VECTORS_DIR, dir);
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *dot = strrchr(de->d_name, '.');
        if (!dot || (strcmp(dot, ".dat") != 0 && strcmp(dot, ".sip") != 0))
            continue;
        char rel[600];
        snprintf(rel, sizeof rel, "%s/%s", dir, de->d_name);
        size_t len;
        char *buf = tu_read_vector(rel, &len);
        check_buf(buf, len, a, b);
        mutate_and_check(buf, len, a, b);
        free(buf);
        (*n)++;
    }
    closedir(d);
}

static void test_lint_cache_vectors_and_mutations(void **state)
{
    (void)state;
    sr_lint_cache *small = NULL, *large = NULL;
    assert_int_equal(sr_lint_cache_new(&small, 4096, tu_allocator()), 0);
    assert_int_equal(sr_lint_cache_new(&large, 1u << 20, tu_allocator()), 0);
    size_t n = 0;
    each_vector("rfc4475", small, large, &n);
    each_vector("rfc5118", small, large, &n);
    assert_true(n >= 50);
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
        mutate_and_check(msgs[i], strlen(msgs[i]), small, large);
    sr_lint_cache_stats st;
    sr_lint_cache_stats_get(small, &st);
    assert_true(st.evictions > 0);
    assert_true(st.hits > 0);
    sr_lint_cache_free(small);
    sr_lint_cache_free(large);
}

/* Pairs: a response checked against its request with the cache gives the same findings. */
static void test_lint_cache_pairs(void **state)
{
    (void)state;
    static const char req[] =
        HEAD("sip:bob@example.com", "<sip:bob@example.com>", "<sip:alice@example.com>",
             "Record-Route: <sip:p1.example.com;lr>\r\n"
             "Contact: <sip:alice@192.0.2.1>\r\n");
    static const char resp[] = "SIP/2.0 200 OK\r\n"
                               "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa1\r\n"
                               "To: <sip:bob@example.com>;tag=tb\r\n"
                               "From: <sip:alice@example.com>;tag=fa\r\n"
                               "Call-ID: c1@x\r\n"
                               "CSeq: 1 INVITE\r\n"
                               "Record-Route: <sip:p1.example.com;lr>\r\n"
                               "Contact: <sip:bob@192.0.2.5:bad>\r\n"
                               "Content-Length: 0\r\n\r\n";
    sr_msg *q = parse(req, strlen(req)), *r = parse(resp, strlen(resp));
    assert_non_null(q);
    assert_non_null(r);
    sr_lint_cache *c = NULL;
    assert_int_equal(sr_lint_cache_new(&c, 65536, tu_allocator()), 0);
    sr_lint_opts o;
    sr_lint_opts_init(&o);
    sr_lint_finding f0[64], f1[64];
    size_t n0 = sr_lint_pair(r, q, &o, f0, 64);
    o.cache = c;
    for (int pass = 0; pass < 2; pass++) {
        size_t n1 = sr_lint_pair(r, q, &o, f1, 64);
        assert_int_equal(n0, n1);
        for (size_t i = 0; i < n0 && i < 64; i++) {
            assert_ptr_equal(f0[i].rule, f1[i].rule);
            assert_ptr_equal(f0[i].arg, f1[i].arg);
        }
    }
    assert_true(n0 >= 1); /* the bad Contact URI */
    /* an older, shorter sr_lint_opts has no cache field: it is not read */
    o.size = offsetof(sr_lint_opts, cache);
    o.cache = (sr_lint_cache *)(uintptr_t)1; /* would crash if read */
    assert_int_equal(sr_lint_pair(r, q, &o, f1, 64), n0);
    sr_lint_cache_free(c);
    sr_msg_free(q);
    sr_msg_free(r);
}

/* Eviction: a full set gives way to the newest key, and a key evicted is checked again. */
static void test_lint_cache_eviction(void **state)
{
    (void)state;
    sr_lint_cache *c = NULL;
    assert_int_equal(sr_lint_cache_new(&c, 4096, tu_allocator()), 0);
    sr_lint_cache_stats st;
    sr_lint_cache_stats_get(c, &st);
    size_t entries = st.entries;
    char key[32];
    sr__lc_val v = {0, 0};
    for (unsigned i = 0; i < 4 * entries; i++) {
        int n = snprintf(key, sizeof key, "sip:u%u@example.com", i);
        uint64_t h = sr__lc_hash(SR__LC_URI, key, (size_t)n);
        assert_false(sr__lc_get(c, h, SR__LC_URI, key, (size_t)n, &v));
        sr__lc_val put = {i, (uint8_t)(i & 1)};
        sr__lc_put(c, h, SR__LC_URI, key, (size_t)n, &put);
        assert_true(sr__lc_get(c, h, SR__LC_URI, key, (size_t)n, &v));
        assert_int_equal(v.off, i);
        assert_int_equal(v.flags, i & 1);
        /* the same bytes under another kind are another key */
        uint64_t h2 = sr__lc_hash(SR__LC_CONTACT, key, (size_t)n);
        assert_false(sr__lc_get(c, h2, SR__LC_CONTACT, key, (size_t)n, &v));
    }
    sr_lint_cache_stats_get(c, &st);
    assert_true(st.evictions >= 3 * entries);
    /* the first keys are long gone */
    int n = snprintf(key, sizeof key, "sip:u%u@example.com", 0u);
    assert_false(
        sr__lc_get(c, sr__lc_hash(SR__LC_URI, key, (size_t)n), SR__LC_URI, key, (size_t)n, &v));
    /* a key too long is never kept */
    char longkey[SR_LINT_CACHE_KEY_MAX + 1];
    memset(longkey, 'a', sizeof longkey);
    uint64_t h = sr__lc_hash(SR__LC_URI, longkey, sizeof longkey);
    sr__lc_put(c, h, SR__LC_URI, longkey, sizeof longkey, &v);
    assert_false(sr__lc_get(c, h, SR__LC_URI, longkey, sizeof longkey, &v));
    sr_lint_cache_free(c);
}

/* An allocator that gives small blocks and refuses large ones (noting the largest asked). */
static size_t big_asked;
static void *refuse_alloc(size_t n, void *user)
{
    (void)user;
    if (n > big_asked)
        big_asked = n;
    return n > ((size_t)1 << 20) ? NULL : malloc(n);
}
static void *refuse_realloc(void *p, size_t n, void *user)
{
    (void)user;
    return n > ((size_t)1 << 20) ? NULL : realloc(p, n);
}
static void refuse_free(void *p, void *user)
{
    (void)user;
    free(p);
}
static const sr_allocator refusing = {refuse_alloc, refuse_realloc, refuse_free, NULL};

static void test_lint_cache_new_args(void **state)
{
    (void)state;
    sr_lint_cache *c = (sr_lint_cache *)(uintptr_t)1;
    assert_int_equal(sr_lint_cache_new(&c, 4095, tu_allocator()), SR_EINVAL);
    assert_ptr_equal(c, (sr_lint_cache *)(uintptr_t)1); /* untouched */
    assert_int_equal(sr_lint_cache_new(NULL, 1u << 20, tu_allocator()), SR_EINVAL);
    sr_lint_cache_free(NULL);
    sr_lint_cache_stats st;
    sr_lint_cache_stats_get(NULL, &st);
    assert_int_equal(st.lookups, 0);
    /* a huge size: no overflow in the sizing, and what is asked of the allocator is what
     * the cache says it uses (refused here: SR_ENOMEM, nothing left allocated) */
    c = NULL;
    big_asked = 0;
    int rc = sr_lint_cache_new(&c, SIZE_MAX, &refusing);
    assert_int_equal(rc, SR_ENOMEM);
    assert_null(c);
    assert_true(big_asked > ((size_t)1 << 40));
}

static int sweep_new(const sr_allocator *alloc, void *ctx)
{
    (void)ctx;
    sr_lint_cache *c = NULL;
    int rc = sr_lint_cache_new(&c, 65536, alloc);
    if (rc == 0) {
        sr_lint_cache_stats st;
        sr_lint_cache_stats_get(c, &st);
        if (st.bytes > 65536)
            rc = SR_EINVAL;
        sr_lint_cache_free(c);
    }
    return rc;
}

static void test_lint_cache_failure_sweep(void **state)
{
    (void)state;
    assert_true(tu_failure_sweep(sweep_new, NULL) >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_lint_cache_same_findings), TU_TEST(test_lint_cache_vectors_and_mutations),
        TU_TEST(test_lint_cache_pairs),         TU_TEST(test_lint_cache_eviction),
        TU_TEST(test_lint_cache_new_args),      TU_TEST(test_lint_cache_failure_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
