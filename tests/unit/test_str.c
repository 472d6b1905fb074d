/* sipreply tests: slices, buffers and the allocator (str.h, alloc.h). */
#include <limits.h>
#include <string.h>

#include "testutil.h"

#include "core_int.h"

static void test_str_compare(void **state)
{
    (void)state;
    sr_str a = SR_STR("INVITE");
    assert_true(sr_str_eq(a, sr_str_from_cstr("INVITE")));
    assert_false(sr_str_eq(a, SR_STR("invite")));
    assert_true(sr_str_caseeq(a, SR_STR("invite")));
    assert_true(sr_str_caseeq_cstr(a, "InViTe"));
    assert_false(sr_str_caseeq_cstr(a, "INVITES"));
    assert_false(sr_str_caseeq_cstr(SR_STR("["), "{")); /* ASCII-only folding */
    assert_true(sr_str_eq(SR_STR_NULL, sr_str_from_cstr(NULL)));
    assert_true(sr_str_eq(SR_STR_NULL, SR_STR("")));
    assert_sr_str_eq(SR_STR("abc"), "abc");
}

static void test_buf_append(void **state)
{
    (void)state;
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(b.len, 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(sr_buf_append_cstr(&b, "ab"), 0);
    assert_int_equal(b.len, 2000);
    assert_int_equal(b.p[b.len], '\0');
    assert_int_equal(sr_buf_append_u64(&b, 0), 0);
    assert_int_equal(sr_buf_append_u64(&b, 18446744073709551615ULL), 0);
    assert_string_equal(b.p + 2000, "018446744073709551615");
    assert_int_equal(sr_buf_append_str(&b, SR_STR("!")), 0);
    assert_int_equal(b.p[b.len - 1], '!');
    sr_buf_cleanup(&b);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
}

static void test_buf_overflow(void **state)
{
    (void)state;
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_buf_append_cstr(&b, "x"), 0);
    assert_int_equal(sr_buf_reserve(&b, SIZE_MAX), SR_ETOOBIG);
    assert_int_equal(b.len, 1);
    sr_buf_cleanup(&b);
}

static int buf_scenario(const sr_allocator *a, void *ctx)
{
    (void)ctx;
    sr_buf b;
    sr_buf_init(&b, a);
    int err = 0;
    for (int i = 0; i < 100 && !err; i++)
        err = sr_buf_append_cstr(&b, "0123456789");
    if (!err && b.len != 1000)
        err = SR_EINVAL;
    sr_buf_cleanup(&b);
    return err;
}

static void test_buf_failure_sweep(void **state)
{
    (void)state;
    long n = tu_failure_sweep(buf_scenario, NULL);
    assert_true(n >= 2); /* 1000 bytes from a 64-byte start grows several times */
}

static void test_allocator_counts(void **state)
{
    (void)state;
    const sr_allocator *a = tu_allocator();
    void *p = sr__malloc(a, 10);
    assert_non_null(p);
    assert_int_equal(tu_alloc_state()->live, 1);
    p = sr__realloc(a, p, 100);
    assert_non_null(p);
    assert_int_equal(tu_alloc_state()->bytes, 100);
    sr__free(a, p);
    sr__free(a, NULL);
    assert_int_equal(tu_alloc_state()->live, 0);
    /* The default allocator works and is what NULL means. */
    assert_ptr_equal(sr__alloc_or_default(NULL), sr_allocator_default());
    void *q = sr__malloc(NULL, 0);
    assert_non_null(q);
    sr__free(NULL, q);
}

static void test_guarded_copy(void **state)
{
    (void)state;
    char *p = tu_guarded_copy("hello", 5);
    assert_memory_equal(p, "hello", 5);
    tu_guarded_free(p, 5);
    p = tu_guarded_copy("", 0);
    tu_guarded_free(p, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_str_compare),       TU_TEST(test_buf_append),       TU_TEST(test_buf_overflow),
        TU_TEST(test_buf_failure_sweep), TU_TEST(test_allocator_counts), TU_TEST(test_guarded_copy),
    };
    return cmocka_run_group_tests_name("str", tests, NULL, NULL);
}
