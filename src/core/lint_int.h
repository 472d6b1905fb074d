/* sipreply core: the linter's memo of byte-keyed syntax checks (lint_cache.c), shared with
 * the validator (validate.c). */
#ifndef SIPREPLY_LINT_INT_H
#define SIPREPLY_LINT_INT_H

#include "sipreply/lint.h"

#include "core_int.h"

/* What is memoised: the URI grammar of a URI (Request-URI, To, From, and the URIs inside the
 * address lists), and each address-list header value whole (every item's name-addr and URI). */
enum { SR__LC_URI = 1, SR__LC_CONTACT, SR__LC_ROUTE, SR__LC_RECORD_ROUTE };

enum {
    SR__LC_BAD = 1u << 0,  /* the check failed */
    SR__LC_ABS0 = 1u << 1, /* ... and its offset was 0 whatever the value's place */
};

/* The outcome of one check: its flags and, when it failed, the offset of the error from the
 * start of the key's bytes. */
typedef struct sr__lc_val {
    uint32_t off;
    uint8_t flags;
} sr__lc_val;

/* The hash of @p kind and the @p n bytes at @p p (never 0). */
uint64_t sr__lc_hash(unsigned kind, const char *p, size_t n);

/* Whether @p n bytes can be a key (1 .. SR_LINT_CACHE_KEY_MAX). */
static inline bool sr__lc_fits(size_t n)
{
    return n > 0 && n <= SR_LINT_CACHE_KEY_MAX;
}

/* The outcome kept for (kind, bytes) of hash @p h, into *@p v: true when found. */
bool sr__lc_get(sr_lint_cache *c, uint64_t h, unsigned kind, const char *p, size_t n,
                sr__lc_val *v);

/* Keep @p v for (kind, bytes) of hash @p h (in place of the least recently used entry of its
 * set when the set is full). */
void sr__lc_put(sr_lint_cache *c, uint64_t h, unsigned kind, const char *p, size_t n,
                const sr__lc_val *v);

/* sr_msg_validate() consulting and filling @p c (NULL: none); the same result. */
int sr__msg_validate_c(const sr_msg *m, sr_lint_cache *c, sr_parse_error *err);

#endif /* SIPREPLY_LINT_INT_H */
