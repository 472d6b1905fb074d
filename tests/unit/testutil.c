/* sipreply tests: shared helpers for cmocka unit tests.
 * The counting allocator here is what fails any test that leaks. */
#define _DEFAULT_SOURCE
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Each block carries its size in a header so live bytes can be counted. */
typedef union tu_hdr {
    size_t size;
    max_align_t align;
} tu_hdr;

static bool tu_should_fail(tu_alloc *t)
{
    t->total++;
    if (t->fail_at > 0 && t->total == t->fail_at) {
        t->failed++;
        return true;
    }
    return false;
}

static void *tu_alloc_fn(size_t size, void *user)
{
    tu_alloc *t = user;
    if (tu_should_fail(t))
        return NULL;
    tu_hdr *h = malloc(sizeof *h + size);
    if (!h)
        return NULL;
    h->size = size;
    t->live++;
    t->bytes += size;
    return h + 1;
}

static void *tu_realloc_fn(void *ptr, size_t size, void *user)
{
    tu_alloc *t = user;
    if (!ptr)
        return tu_alloc_fn(size, user);
    if (tu_should_fail(t))
        return NULL;
    tu_hdr *old = (tu_hdr *)ptr - 1;
    size_t old_size = old->size;
    tu_hdr *h = realloc(old, sizeof *h + size);
    if (!h)
        return NULL;
    h->size = size;
    t->bytes = t->bytes - old_size + size;
    return h + 1;
}

static void tu_free_fn(void *ptr, void *user)
{
    tu_alloc *t = user;
    if (!ptr)
        return;
    tu_hdr *h = (tu_hdr *)ptr - 1;
    t->live--;
    t->bytes -= h->size;
    free(h);
}

void tu_alloc_init(tu_alloc *t)
{
    memset(t, 0, sizeof *t);
    t->a.alloc_fn = tu_alloc_fn;
    t->a.realloc_fn = tu_realloc_fn;
    t->a.free_fn = tu_free_fn;
    t->a.user = t;
}

static tu_alloc the_alloc;

const sr_allocator *tu_allocator(void)
{
    return &the_alloc.a;
}

tu_alloc *tu_alloc_state(void)
{
    return &the_alloc;
}

int tu_setup(void **state)
{
    (void)state; /* cmocka state unused: the allocator is per-process */
    tu_alloc_init(&the_alloc);
    return 0;
}

int tu_teardown(void **state)
{
    (void)state; /* cmocka state unused */
    if (the_alloc.live != 0) {
        print_error("leak: %ld block(s), %zu byte(s) still allocated\n", the_alloc.live,
                    the_alloc.bytes);
        return -1; /* cmocka reports a failed teardown as a test failure */
    }
    return 0;
}

long tu_failure_sweep(tu_scenario_fn scenario, void *ctx)
{
    for (long n = 1;; n++) {
        tu_alloc t;
        tu_alloc_init(&t);
        t.fail_at = n;
        int rc = scenario(&t.a, ctx);
        if (t.live != 0)
            fail_msg("failure sweep: failing allocation %ld leaked %ld block(s)", n, t.live);
        if (t.failed == 0) {
            if (rc != 0)
                fail_msg("failure sweep: run with no injected failure returned %s",
                         sr_errname(rc) ? sr_errname(rc) : "?");
            return t.total;
        }
        if (rc != SR_ENOMEM)
            fail_msg("failure sweep: failing allocation %ld returned %d (%s), want ENOMEM", n, rc,
                     sr_errname(rc) ? sr_errname(rc) : "?");
        if (n > 1000000)
            fail_msg("failure sweep: scenario never completes");
    }
}

char *tu_guarded_copy(const void *data, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t span = (len + page - 1) / page * page;
    if (span == 0)
        span = page;
    /* [span bytes of data pages][one PROT_NONE guard page] */
    char *base =
        mmap(NULL, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(base != MAP_FAILED);
    assert_int_equal(mprotect(base + span, page, PROT_NONE), 0);
    char *p = base + span - len;
    if (len)
        memcpy(p, data, len);
    return p;
}

void tu_guarded_free(char *p, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t span = (len + page - 1) / page * page;
    if (span == 0)
        span = page;
    char *base = p + len - span;
    munmap(base, span + page);
}

sr_msg *tu_parse_len(const char *txt, size_t len, const sr_allocator *a)
{
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = a;
    sr_msg *m = NULL;
    sr_parse_error pe;
    int rc = sr_msg_parse(&m, txt, len, &o, &pe);
    if (rc != 0)
        fail_msg("parse failed: %s at %zu (%s) in:\n%.*s", pe.phrase ? pe.phrase : "?", pe.offset,
                 sr_errname(rc), (int)len, txt);
    return m;
}

sr_msg *tu_parse(const char *txt, const sr_allocator *a)
{
    return tu_parse_len(txt, strlen(txt), a);
}

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

char *tu_read_vector(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", SR_VECTORS_DIR, rel);
    return tu_read_file(path, len);
}

char *tu_rfc4475_next(tu_rfc4475_iter *it, char file[128], size_t *len)
{
    char *from = NULL;
    if (!it->started) {
        size_t mlen;
        it->started = true;
        it->man = from = tu_read_vector("rfc4475/MANIFEST.tsv", &mlen);
    }
    if (!it->man)
        return NULL;
    for (char *line = strtok_r(from, "\n", &it->save); line;
         line = strtok_r(NULL, "\n", &it->save)) {
        if (sscanf(line, "%127[^\t]", file) != 1 || strstr(file, ".dat") == NULL)
            continue;
        char rel[160];
        snprintf(rel, sizeof rel, "rfc4475/%s", file);
        return tu_read_vector(rel, len);
    }
    free(it->man);
    it->man = NULL;
    return NULL;
}

void tu_assert_str_eq(sr_str got, const char *want, const char *file, int line)
{
    if (want == NULL) {
        if (got.p == NULL && got.len == 0)
            return;
        _fail(file, line); /* cmocka's own failure entry point */
    }
    if (got.len == strlen(want) && (got.len == 0 || memcmp(got.p, want, got.len) == 0))
        return;
    print_error("%s:%d: slice mismatch\n  got:  \"%.*s\" (%zu bytes)\n  want: \"%s\"\n", file, line,
                (int)got.len, got.p ? got.p : "", got.len, want);
    _fail(file, line);
}

void tu_assert_mem_eq(const void *got, size_t got_len, const void *want, size_t want_len,
                      const char *file, int line)
{
    if (got_len == want_len && memcmp(got, want, got_len) == 0)
        return;
    const unsigned char *g = got, *w = want;
    size_t i = 0;
    while (i < got_len && i < want_len && g[i] == w[i])
        i++;
    print_error("%s:%d: bytes differ at offset %zu (got %zu bytes, want %zu)\n", file, line, i,
                got_len, want_len);
    size_t from = i > 16 ? i - 16 : 0;
    print_error("  got:  ");
    for (size_t k = from; k < got_len && k < i + 16; k++)
        print_error("%02x ", g[k]);
    print_error("\n  want: ");
    for (size_t k = from; k < want_len && k < i + 16; k++)
        print_error("%02x ", w[k]);
    print_error("\n");
    _fail(file, line);
}
