/* sipreply tests: the error table (error.h).
 * Walks SR_ERRNO_MAP: every code has a unique name and description. */
#include <string.h>

#include "testutil.h"

static void test_walk_table(void **state)
{
    (void)state;
    int count = 0;
#define CHECK_(name, value, text)                      \
    do {                                               \
        assert_true((value) < 0);                      \
        assert_true((value) >= SR_ERR_MIN);            \
        assert_int_equal(SR_##name, (value));          \
        assert_string_equal(sr_errname(value), #name); \
        assert_string_equal(sr_strerror(value), text); \
        assert_true(sr_error_is_known(value));         \
        count++;                                       \
    } while (0);
    SR_ERRNO_MAP(CHECK_)
#undef CHECK_
    /* Values are dense from -1 to SR_ERR_MIN, so each is listed once. */
    assert_int_equal(count, -SR_ERR_MIN);
    for (int v = -1; v >= SR_ERR_MIN; v--) {
        for (int w = v - 1; w >= SR_ERR_MIN; w--)
            assert_true(strcmp(sr_errname(v), sr_errname(w)) != 0);
    }
}

static void test_success_and_unknown(void **state)
{
    (void)state;
    assert_string_equal(sr_errname(0), "OK");
    assert_string_equal(sr_strerror(0), "success");
    assert_true(sr_error_is_known(0));
    assert_null(sr_errname(SR_ERR_MIN - 1));
    assert_null(sr_errname(1));
    assert_string_equal(sr_strerror(SR_ERR_MIN - 1), "unknown error");
    assert_string_equal(sr_strerror(42), "unknown error");
    assert_false(sr_error_is_known(-1000));
}

static void test_incomplete_distinct_from_malformed(void **state)
{
    (void)state;
    assert_int_not_equal(SR_EAGAIN, SR_EBADMSG);
    assert_string_equal(sr_errname(SR_EAGAIN), "EAGAIN");
    assert_string_equal(sr_errname(SR_EBADMSG), "EBADMSG");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_table),
        cmocka_unit_test(test_success_and_unknown),
        cmocka_unit_test(test_incomplete_distinct_from_malformed),
    };
    return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
