/* sipreplyd tests: the engine's message pool (src/daemon/pool.c): blocks of every size come
 * back usable and distinct, freed blocks are reused up to the bound per class, realloc keeps
 * the bytes, and messages parsed and built through it are those of malloc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pool.h"
#include "sipreply/sipreply.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 7);
}

static void check(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(p[i], (unsigned char)(seed + i * 7));
}

static void test_sizes_and_reuse(void **state)
{
    (void)state;
    sd_pool *p = sd_pool_new(4);
    assert_non_null(p);
    const sr_allocator *a = sd_pool_allocator(p);
    static const size_t sizes[] = {1, 100, 1008, 1009, 2000, 4080, 4081, 9000, 16368, 16369, 70000};
    enum { N = sizeof sizes / sizeof sizes[0] };
    unsigned char *blocks[N];
    for (size_t i = 0; i < N; i++) {
        blocks[i] = a->alloc_fn(sizes[i], a->user);
        assert_non_null(blocks[i]);
        assert_int_equal((uintptr_t)blocks[i] % sizeof(void *), 0);
        fill(blocks[i], sizes[i], (unsigned)i);
    }
    for (size_t i = 0; i < N; i++) /* nothing overlaps */
        check(blocks[i], sizes[i], (unsigned)i);
    for (size_t i = 0; i < N; i++)
        a->free_fn(blocks[i], a->user);
    sd_pool_stats st;
    sd_pool_get_stats(p, &st);
    assert_int_equal(st.misses, N);
    assert_int_equal(st.hits, 0);
#ifndef UNDER_ASAN
    /* the blocks past 16 KiB (16369 and 70000 bytes) are not kept; the others are (one
     * per class: 64, 128, 1024, 1536, 2048, 4096, 6144, 12288 and 16384 bytes) */
    assert_int_equal(st.kept, N - 2);
    assert_int_equal(st.returned, 2);
    /* the same size again: the block freed last of its class comes back */
    unsigned char *again = a->alloc_fn(2000, a->user);
    assert_ptr_equal(again, blocks[4]);
    a->free_fn(again, a->user);
    sd_pool_get_stats(p, &st);
    assert_int_equal(st.hits, 1);
    /* the bound: six blocks of one class freed, four kept */
    unsigned char *six[6];
    for (size_t i = 0; i < 6; i++)
        six[i] = a->alloc_fn(10000, a->user);
    for (size_t i = 0; i < 6; i++)
        a->free_fn(six[i], a->user);
    sd_pool_stats st2;
    sd_pool_get_stats(p, &st2);
    /* the 12 KiB block kept (9000 bytes) is reused; of the six freed, four are kept */
    assert_int_equal(st2.returned - st.returned, 6 - 4);
    assert_int_equal(st2.hits - st.hits, 1);
#else
    assert_int_equal(st.kept, 0);
#endif
    a->free_fn(NULL, a->user);
    sd_pool_free(p);
}

/* Past the bound per class, blocks are kept up to the bound in bytes; a trim gives back
 * what is above the bound per class. */
static void test_keep_bytes_and_trim(void **state)
{
    (void)state;
    sd_pool *p = sd_pool_new(2);
    sd_pool_set_keep_bytes(p, 10 * 1024); /* ten blocks of 1 KiB, or five of 2 KiB */
    const sr_allocator *a = sd_pool_allocator(p);
    unsigned char *b[16];
    for (size_t i = 0; i < 16; i++)
        b[i] = a->alloc_fn(1000, a->user); /* the 1 KiB class */
    for (size_t i = 0; i < 16; i++)
        a->free_fn(b[i], a->user);
    sd_pool_stats st;
    sd_pool_get_stats(p, &st);
#ifndef UNDER_ASAN
    assert_int_equal(st.kept, 10); /* 10 KiB */
    assert_int_equal(st.returned, 6);
    /* a 2 KiB block no longer fits the bytes; the bound per class still keeps two */
    unsigned char *c[3];
    for (size_t i = 0; i < 3; i++)
        c[i] = a->alloc_fn(2000, a->user);
    for (size_t i = 0; i < 3; i++)
        a->free_fn(c[i], a->user);
    sd_pool_get_stats(p, &st);
    assert_int_equal(st.kept, 12);
    assert_int_equal(st.returned, 7);
    /* what a burst freed serves the next one */
    for (size_t i = 0; i < 10; i++)
        b[i] = a->alloc_fn(900, a->user);
    sd_pool_stats st2;
    sd_pool_get_stats(p, &st2);
    assert_int_equal(st2.hits - st.hits, 10);
    for (size_t i = 0; i < 10; i++) /* six kept: with class 1's 4 KiB, 10 KiB */
        a->free_fn(b[i], a->user);
    sd_pool_get_stats(p, &st);
    assert_int_equal(st.kept, 8);
    /* trimmed: two per class stay */
    assert_int_equal(sd_pool_trim(p), 4);
    sd_pool_get_stats(p, &st);
    assert_int_equal(st.kept, 4);
    assert_int_equal(sd_pool_trim(p), 0);
#else
    assert_int_equal(st.kept, 0);
    assert_int_equal(sd_pool_trim(p), 0);
#endif
    sd_pool_free(p);
}

/* The classes: a block holds its class's bytes less the 16-byte header, and growing within
 * that keeps the block; one byte more moves it to the next class. */
static void test_class_bounds(void **state)
{
    (void)state;
    static const size_t cls[] = {64,   96,   128,  192,  256,  384,  512,   768,  1024,
                                 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384};
    sd_pool *p = sd_pool_new(4);
    const sr_allocator *a = sd_pool_allocator(p);
    size_t lo = 1;
    for (size_t i = 0; i < sizeof cls / sizeof cls[0]; i++) {
        size_t cap = cls[i] - 16;
        unsigned char *b = a->alloc_fn(lo, a->user);
        assert_non_null(b);
        assert_ptr_equal(a->realloc_fn(b, cap, a->user), b); /* the same block holds it */
        fill(b, cap, (unsigned)i);
        unsigned char *c = a->realloc_fn(b, cap + 1, a->user);
        assert_non_null(c);
#ifndef UNDER_ASAN
        assert_ptr_not_equal(c, b);
#endif
        check(c, cap, (unsigned)i);
        a->free_fn(c, a->user);
        lo = cap + 1;
    }
    sd_pool_free(p);
}

static void test_realloc_keeps_bytes(void **state)
{
    (void)state;
    sd_pool *p = sd_pool_new(8);
    const sr_allocator *a = sd_pool_allocator(p);
    unsigned char *b = a->realloc_fn(NULL, 10, a->user);
    assert_non_null(b);
    fill(b, 10, 3);
    size_t n = 10;
    /* through every class and past them: large blocks grow by realloc, keeping their bytes */
    for (size_t to = 500; to <= 1000000; to = to * 3) {
        b = a->realloc_fn(b, to, a->user);
        assert_non_null(b);
        check(b, n, 3);
        fill(b, to, 3);
        n = to;
    }
    b = a->realloc_fn(b, 20, a->user); /* shrinking keeps the block */
    check(b, 20, 3);
    a->free_fn(b, a->user);
    sd_pool_free(p);
}

/* Parse, build and print through the pool, many times over: the bytes are those of the
 * default allocator, and the pool serves most allocations once warm. */
static void test_messages_through_pool(void **state)
{
    (void)state;
    static const char inv[] = "INVITE sip:486@127.0.0.1 SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-pool-1\r\n"
                              "Max-Forwards: 70\r\n"
                              "From: <sip:a@127.0.0.1>;tag=f1\r\n"
                              "To: <sip:486@127.0.0.1>\r\n"
                              "Call-ID: pool-1@127.0.0.1\r\n"
                              "CSeq: 1 INVITE\r\n"
                              "Contact: <sip:a@127.0.0.1:5070>\r\n"
                              "Content-Length: 0\r\n\r\n";
    sd_pool *p = sd_pool_new(16);
    const sr_allocator *a = sd_pool_allocator(p);
    uint8_t key[SR_BUILD_KEY_LEN] = {1, 2, 3};
    char *want = NULL;
    for (int round = 0; round < 50; round++) {
        sr_parse_opts po;
        sr_parse_opts_init(&po);
        po.alloc = round % 2 ? a : NULL;
        sr_msg *req = NULL;
        assert_int_equal(sr_msg_parse(&req, inv, sizeof inv - 1, &po, NULL), 0);
        sr_build_opts bo;
        sr_build_opts_init(&bo);
        bo.alloc = po.alloc;
        bo.tag_key = key;
        sr_msg *resp = NULL;
        assert_int_equal(sr_build_response(&resp, req, 486, &bo, NULL), 0);
        sr_buf b;
        sr_buf_init(&b, po.alloc);
        assert_int_equal(sr_msg_print(resp, &b), 0);
        if (!want)
            want = strdup(b.p);
        else
            assert_string_equal(b.p, want);
        sr_buf_cleanup(&b);
        sr_msg_free(resp);
        sr_msg_free(req);
    }
    sd_pool_stats st;
    sd_pool_get_stats(p, &st);
#ifndef UNDER_ASAN
    assert_true(st.hits > st.misses * 5);
#endif
    free(want);
    sd_pool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes_and_reuse),       cmocka_unit_test(test_realloc_keeps_bytes),
        cmocka_unit_test(test_keep_bytes_and_trim),   cmocka_unit_test(test_class_bounds),
        cmocka_unit_test(test_messages_through_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
