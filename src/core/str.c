/* sipreply core: slices and growable buffers.
 * Case-insensitive comparison is ASCII-only, as SIP tokens are (RFC 3261 §7.3.1). */
#include <stdint.h>
#include <string.h>

#include "sipreply/error.h"
#include "sipreply/str.h"

#include "core_int.h"

sr_str sr_str_from_cstr(const char *s)
{
    sr_str r = {s, s ? strlen(s) : 0};
    return r;
}

bool sr_str_eq(sr_str a, sr_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool sr_str_caseeq(sr_str a, sr_str b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++) {
        if (sr__lower[(unsigned char)a.p[i]] != sr__lower[(unsigned char)b.p[i]])
            return false;
    }
    return true;
}

bool sr_str_caseeq_cstr(sr_str a, const char *s)
{
    /* as sr_str_caseeq(a, sr_str_from_cstr(s)), without the strlen: a mismatch (often at
     * the first byte) ends it */
    size_t i = 0;
    for (; i < a.len; i++) {
        if (s[i] == '\0' || sr__lower[(unsigned char)a.p[i]] != sr__lower[(unsigned char)s[i]])
            return false;
    }
    return s[i] == '\0';
}

void sr_buf_init(sr_buf *b, const sr_allocator *alloc)
{
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->alloc = alloc;
}

void sr_buf_cleanup(sr_buf *b)
{
    sr__free(b->alloc, b->p);
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
}

int sr_buf_reserve(sr_buf *b, size_t extra)
{
    /* +1 keeps room for the terminating NUL that is not counted in len. */
    if (extra > SIZE_MAX - b->len - 1)
        return SR_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = sr__realloc(b->alloc, b->p, cap);
    if (!p)
        return SR_ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

int sr_buf_append(sr_buf *b, const void *data, size_t n)
{
    int err = sr_buf_reserve(b, n);
    if (err)
        return err;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int sr_buf_append_str(sr_buf *b, sr_str s)
{
    return sr_buf_append(b, s.p, s.len);
}

int sr_buf_append_cstr(sr_buf *b, const char *s)
{
    return sr_buf_append(b, s, strlen(s));
}

int sr_buf_append_u64(sr_buf *b, unsigned long long v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + (v % 10));
        v /= 10;
    } while (v);
    return sr_buf_append(b, tmp + i, sizeof tmp - i);
}
