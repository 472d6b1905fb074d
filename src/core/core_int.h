/* sipreply core: declarations shared inside libsipreply only (never installed).
 * Internal symbols are prefixed sr__. */
#ifndef SIPREPLY_CORE_INT_H
#define SIPREPLY_CORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sipreply/alloc.h"
#include "sipreply/str.h"

/* Resolve NULL to the default allocator. */
const sr_allocator *sr__alloc_or_default(const sr_allocator *a);

/* Allocation entry points: the only way core code obtains memory. */
void *sr__malloc(const sr_allocator *a, size_t size);
void *sr__realloc(const sr_allocator *a, void *ptr, size_t size);
void sr__free(const sr_allocator *a, void *ptr);

/* SipHash-1-3 (siphash.c): sr_siphash24's function with 1 compression and 3 finalization
 * rounds; @p key is 16 bytes (NULL: zeros). For hash tables only (the transaction index),
 * never for a value sent on the wire. */
uint64_t sr__siphash13(const uint8_t *key, const void *data, size_t len);

/* ASCII helpers, locale-independent. */
static inline int sr__tolower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* ------------------------------------------------------------ character classes */
/* RFC 3261 §25.1 classes, one table lookup per byte (picohttpparser's trick). */
enum {
    SR__C_TOKEN = 1u << 0, /* token: alphanum / "-.!%*_+`'~" */
    SR__C_DIGIT = 1u << 1,
    SR__C_WS = 1u << 2,       /* SP / HTAB */
    SR__C_CTL = 1u << 3,      /* 0x00-0x1f except HTAB, and 0x7f: never inside a header value */
    SR__C_HOST = 1u << 4,     /* hostname / IPv4 characters: alphanum - . _ (IPv6 adds :) */
    SR__C_WORD = 1u << 5,     /* word (Call-ID): token plus ()<>:\"/[]?{} */
    SR__C_EOL = 1u << 6,      /* CR / LF */
    SR__C_NOURI = 1u << 7,    /* CTL, SP, <, >, " and DEL: never inside a URI */
    SR__C_PVAL = 1u << 8,     /* token / ":": a generic-param value that is not quoted or [] */
    SR__C_HOST6 = 1u << 9,    /* host / ":": inside an IPv6 reference */
    SR__C_URI = 1u << 10,     /* every byte but SR__C_NOURI ones */
    SR__C_SCHEME = 1u << 11,  /* token minus "!%*_`'~": what name-addr URIs start with */
    SR__C_NOSPCTL = 1u << 12, /* neither SP nor CTL: a Request-URI byte of the Request-Line */
    SR__C_QPLAIN = 1u << 13,  /* neither DQUOTE nor backslash: nothing to do inside quotes */
    SR__C_LPLAIN = 1u << 14,  /* none of " < > ( ) ,: nothing to do when splitting a list */
    SR__C_NOCTL = 1u << 15,   /* not a CTL (the complement of SR__C_CTL) */
};
extern const uint16_t sr__cc[256];
extern const unsigned char sr__lower[256];

static inline int sr__is(unsigned char c, unsigned cls)
{
    return (sr__cc[c] & cls) != 0;
}

/* The index of the first byte of p[i, n) outside class @p cls, or n: four bytes per step. */
static inline size_t sr__span(const char *p, size_t i, size_t n, unsigned cls)
{
    const unsigned char *u = (const unsigned char *)p;
    while (i + 4 <= n) {
        if (!(sr__cc[u[i]] & cls))
            return i;
        if (!(sr__cc[u[i + 1]] & cls))
            return i + 1;
        if (!(sr__cc[u[i + 2]] & cls))
            return i + 2;
        if (!(sr__cc[u[i + 3]] & cls))
            return i + 3;
        i += 4;
    }
    while (i < n && (sr__cc[u[i]] & cls))
        i++;
    return i;
}

#include "sipreply/error.h"

#include "scan.h"

/* sr__span for a class @p cls that holds every letter, digit, '-' and '.' (SR__C_TOKEN,
 * SR__C_PVAL, SR__C_HOST, SR__C_WORD...): the run of those bytes 16 at a time first
 * (scan.h), then the class table from where it stops. The same index as sr__span. */
static inline size_t sr__span_an(const char *p, size_t i, size_t n, unsigned cls)
{
    return sr__span(p, sr__scan_an_fast(p, i, n), n, cls);
}

/* Fill @p err (may be NULL) and return @p code. */
int sr__perr(sr_parse_error *err, int code, size_t offset, int hdr, const char *phrase);

/* Skip LWS (SP, HTAB and the CRLF of folded lines, RFC 3261 §25.1) from @p i. */
static inline size_t sr__skip_lws(const char *p, size_t i, size_t n)
{
    /* nothing to skip, the usual case, in one compare: LWS bytes are all below '!' */
    if (i < n && (unsigned char)p[i] > ' ')
        return i;
    while (i < n && sr__is((unsigned char)p[i], SR__C_WS | SR__C_EOL))
        i++;
    return i;
}

/* true when @p s equals the lower-case literal @p lc of length @p n, ignoring ASCII case. */
static inline bool sr__lc_eq(sr_str s, const char *lc, size_t n)
{
    if (s.len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (sr__lower[(unsigned char)s.p[i]] != (unsigned char)lc[i])
            return false;
    }
    return true;
}

/* sr__lc_eq for a token (RFC 3261 §25.1) and a literal of letters only, a word at a time:
 * OR-ing 0x20 maps no token byte but the upper-case letter onto a lower-case one. */
static inline bool sr__tok_eq_letters(sr_str s, const char *lc, size_t n)
{
    if (s.len != n)
        return false;
    uint64_t a = 0, b = 0, m = 0;
    if (n > 8)
        return sr__lc_eq(s, lc, n);
    memcpy(&a, s.p, n);
    memcpy(&b, lc, n);
    memset(&m, 0x20, n);
    return (a | m) == b;
}
/* A static helper shared by two callers, one of them a hot path that inlined it when it was
 * the only one (parse_eager in msg.c: sr_msg_parse and sr__msg_from_head): kept inlined into
 * both, so that sharing the code costs the hot path nothing (callgrind: the same instructions
 * for sr_msg_parse as with one caller). */
#if defined(__GNUC__)
#define SR__ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define SR__ALWAYS_INLINE static inline
#endif

#define SR__TOK_EQ(s, lit) sr__tok_eq_letters((s), (lit), sizeof(lit) - 1)
#define SR__LC_EQ(s, lit)  sr__lc_eq((s), (lit), sizeof(lit) - 1)

/* Scan a quoted-string starting at p[i] == '"'. Returns the index after the closing quote,
 * or 0 when it is not closed. */
size_t sr__scan_quoted(const char *p, size_t i, size_t n);

/* Parse one generic-param (RFC 3261 §25.1) at p[*i] == ';': SEMI token [EQUAL gen-value],
 * gen-value = token / host / quoted-string. Advances *i past it. Returns 0 or -1.
 * Inline: Via and name-addr parameters are on every message's eager path. */
static inline int sr__param_one(const char *p, size_t n, size_t *ip, sr_str *name, sr_str *value)
{
    size_t i = *ip;
    if (i >= n || p[i] != ';')
        return -1;
    i = sr__skip_lws(p, i + 1, n);
    size_t ns = i;
    i = sr__span(p, i, n, SR__C_TOKEN);
    if (i == ns)
        return -1; /* ";;" or ";=" : empty parameter name */
    name->p = p + ns;
    name->len = i - ns;
    value->p = NULL;
    value->len = 0;
    size_t j = sr__skip_lws(p, i, n);
    if (j < n && p[j] == '=') {
        j = sr__skip_lws(p, j + 1, n);
        size_t vs = j;
        if (j < n && p[j] == '"') {
            j = sr__scan_quoted(p, j, n);
            if (!j)
                return -1;
        } else if (j < n && p[j] == '[') {
            j++;
            j = sr__span(p, j, n, SR__C_HOST6);
            if (j >= n || p[j] != ']')
                return -1;
            j++;
        } else {
            j = sr__span_an(p, j, n, SR__C_PVAL);
            if (j == vs)
                return -1; /* "name=" with no value */
        }
        value->p = p + vs;
        value->len = j - vs;
        i = j;
    }
    *ip = i;
    return 0;
}

/* An sr_msg_parse() flag of the core's own (not in parse.h): keep the head only. The body is
 * checked as usual (Content-Length) but not copied, and the message reads as one without a
 * body. For the request a server transaction keeps: it answers and matches on the head. */
#define SR__PARSE_NO_BODY (1u << 30)

struct sr_msg;
/* Bytes @p m occupies (its arena chunks), 0 for NULL. */
size_t sr__msg_footprint(const struct sr_msg *m);
/* sr_msg_dup() with the copy's allocator chosen (msg_dup.c). With @p drop_body, a received
 * message's body is left out as SR__PARSE_NO_BODY leaves it out. 0 or SR_ENOMEM. */
int sr__msg_dup(struct sr_msg **out, const struct sr_msg *m, const sr_allocator *alloc,
                bool drop_body);

/* A message shared instead of copied (msg_dup.c): a server transaction holds the request
 * sr_stack_receive parsed, which the TU is lent (and may take) too, rather than a copy of its
 * head. sr__msg_share adds a holder: sr_msg_free then drops one holder, the last one frees.
 * The sharer's @p cb is called (@p u1, @p u2 its own) before a holder changes the message
 * (sr_msg_add_header, sr_msg_set_body: why SR__SHARE_WRITE; it makes a copy of its own and
 * lets go with sr__msg_unshare; a non-zero return refuses the change with that code), and
 * when a sr_msg_free leaves it the only holder (SR__SHARE_ALONE; the return is ignored).
 * sr__msg_unshare: the sharer lets go (the callback is forgotten, then sr_msg_free). */
enum { SR__SHARE_WRITE = 1, SR__SHARE_ALONE = 2 };
typedef int (*sr__msg_share_cb)(struct sr_msg *m, int why, void *u1, void *u2);
void sr__msg_share(struct sr_msg *m, sr__msg_share_cb cb, void *u1, void *u2);
void sr__msg_unshare(struct sr_msg *m);
/* Whether @p m has a sharer already (one sharer at a time: a second one copies). */
bool sr__msg_is_shared(const struct sr_msg *m);
/* The sharer's callback for a change about to be made to @p m (print.c): 0 when the change
 * may go ahead. */
int sr__msg_before_write(struct sr_msg *m);

/* ------------------------------------------------------------ arena */
/* A chain of chunks; allocations are bump-allocated, freed all at once (STYLE §5). */
typedef struct sr__chunk {
    struct sr__chunk *next;
    size_t used;
    size_t cap;
} sr__chunk;

typedef struct sr__arena {
    const sr_allocator *alloc;
    sr__chunk *head;
} sr__arena;

/* Allocate the first chunk with @p cap usable bytes. Returns 0 or SR_ENOMEM. */
int sr__arena_init(sr__arena *a, const sr_allocator *alloc, size_t cap);
#define SR__CHUNK_HDR ((sizeof(sr__chunk) + 15u) & ~(size_t)15u)
/* The slow path of sr__arena_alloc: a new chunk. */
void *sr__arena_alloc_slow(sr__arena *a, size_t n);
/* Bump-allocate @p n bytes (16-aligned); grows the chain. NULL on allocation failure.
 * Inline: the common case is a bump in the current chunk. */
static inline void *sr__arena_alloc(sr__arena *a, size_t n)
{
    sr__chunk *c = a->head;
    if (n <= SIZE_MAX / 2) {
        n = (n + 15u) & ~(size_t)15u;
        if (c && c->cap - c->used >= n) {
            void *p = (char *)c + SR__CHUNK_HDR + c->used;
            c->used += n;
            return p;
        }
    }
    return sr__arena_alloc_slow(a, n);
}
void sr__arena_cleanup(sr__arena *a);

/* Add our Via to request @p m: "SIP/2.0/TRANSPORT host[:port];branch=BRANCH;rport" (RFC 3261
 * §8.1.1.7, RFC 3581; @p port 0: none written). 0 or an error code. */
int sr__via_add(struct sr_msg *m, const char *transport, const char *host, uint16_t port,
                const char *branch, const sr_allocator *alloc);

#endif /* SIPREPLY_CORE_INT_H */
