/* sipreply tests: shared helpers for cmocka unit tests.
 * Counting/failing allocator, guard-page buffers, slice assertions, file loading. */
#ifndef SIPREPLY_TESTUTIL_H
#define SIPREPLY_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sipreply/sipreply.h"

/* A counting allocator that can fail the Nth allocation (1-based; 0 = never). */
typedef struct tu_alloc {
    sr_allocator a;
    long live;    /* blocks currently allocated */
    long total;   /* allocations made (alloc + realloc of NULL or growth) */
    long fail_at; /* fail the allocation with this ordinal (0: never) */
    long failed;  /* allocations refused */
    size_t bytes; /* bytes currently allocated */
} tu_alloc;

void tu_alloc_init(tu_alloc *t);

/* The per-test allocator: reset by tu_setup, checked for leaks by tu_teardown. */
const sr_allocator *tu_allocator(void);
tu_alloc *tu_alloc_state(void);

int tu_setup(void **state);
int tu_teardown(void **state);

/* A unit test wrapped with the leak check. */
#define TU_TEST(f) cmocka_unit_test_setup_teardown(f, tu_setup, tu_teardown)

/*
 * Failure sweep (STYLE.md §9): run @p scenario with allocation 1, 2, ... N failing until
 * a run completes with no failure injected. Each failing run must return SR_ENOMEM and
 * leak nothing; the final run must return 0 and leak nothing. Returns the number of
 * allocations the successful run made.
 */
typedef int (*tu_scenario_fn)(const sr_allocator *alloc, void *ctx);
long tu_failure_sweep(tu_scenario_fn scenario, void *ctx);

/*
 * A copy of @p len bytes placed so its last byte sits just before a PROT_NONE page: any
 * read past the end crashes. Free with tu_guarded_free().
 */
char *tu_guarded_copy(const void *data, size_t len);
void tu_guarded_free(char *p, size_t len);

/* Read a whole file (test-only, aborts the test on error). Free with free(). */
char *tu_read_file(const char *path, size_t *len);

/* @p txt parsed with allocator @p a (NULL: malloc); a parse error fails the test, naming its
 * phrase, offset and code, and the text. The caller frees the message. */
sr_msg *tu_parse(const char *txt, const sr_allocator *a);

/* tu_parse of the @p len bytes at @p txt. */
sr_msg *tu_parse_len(const char *txt, size_t len, const sr_allocator *a);
/* Read tests/vectors/<rel>. */
char *tu_read_vector(const char *rel, size_t *len);

/* The RFC 4475 messages one by one, in the order of tests/vectors/rfc4475/MANIFEST.tsv: each
 * call returns the next .dat file's bytes (malloc'd, the caller frees them), its name in
 * @p file and its length in *@p len; NULL after the last, when the iterator has freed what it
 * held. @p it starts zeroed: tu_rfc4475_iter it = {0}. */
typedef struct {
    char *man, *save;
    bool started;
} tu_rfc4475_iter;
char *tu_rfc4475_next(tu_rfc4475_iter *it, char file[128], size_t *len);

/* Slice assertions with both values printed on failure. */
void tu_assert_str_eq(sr_str got, const char *want, const char *file, int line);
#define assert_sr_str_eq(got, want) tu_assert_str_eq((got), (want), __FILE__, __LINE__)

/* Byte comparison with a hexdump of the first difference on failure. */
void tu_assert_mem_eq(const void *got, size_t got_len, const void *want, size_t want_len,
                      const char *file, int line);
#define assert_mem_eq(g, gl, w, wl) tu_assert_mem_eq((g), (gl), (w), (wl), __FILE__, __LINE__)

#endif /* SIPREPLY_TESTUTIL_H */
