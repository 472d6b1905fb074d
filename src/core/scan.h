/* sipreply core: the head parser's byte scanners (line ends and header-name letters).
 * Two implementations of each: SSE2 (16 bytes per step, x86-64 always has it) and a portable
 * one (SWAR, 8 bytes per step on little-endian machines, else a byte loop). SR_SCAN_SCALAR
 * (CMake option of the same name) forces the portable one; test_scan checks that both agree
 * with a byte-by-byte reference on random inputs, including inputs that end at a guard page.
 * Neither reads outside [i, n): a vector load happens only when all its bytes are inside. */
#ifndef SIPREPLY_SCAN_H
#define SIPREPLY_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) && !defined(SR_SCAN_SCALAR)
#include <emmintrin.h>
#define SR__SCAN_SSE2 1
#endif

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SR__SCAN_SWAR 1
#endif

/* ------------------------------------------------------------ portable */

/* Index of the first CR or LF in p[i, n), or n. */
static inline size_t sr__scan_eol_scalar(const char *p, size_t i, size_t n)
{
#ifdef SR__SCAN_SWAR
    /* has-zero-byte on x ^ CR and x ^ LF: the lowest flagged byte is always a real match
     * (false positives only sit above a real one), so counting trailing zeros is exact */
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (n - i >= 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        uint64_t a = x ^ (ones * '\r'), b = x ^ (ones * '\n');
        uint64_t m = (((a - ones) & ~a) | ((b - ones) & ~b)) & highs;
        if (m)
            return i + ((size_t)__builtin_ctzll(m) >> 3);
        i += 8;
    }
#endif
    while (i < n && p[i] != '\r' && p[i] != '\n')
        i++;
    return i;
}

/* 1 when @p c is an ASCII letter or '-', the bytes of every known header name. */
static inline int sr__is_name_letter(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26 || c == '-';
}

/* Index of the first byte in p[i, n) that is not a letter or '-', or n. */
static inline size_t sr__scan_name_scalar(const char *p, size_t i, size_t n)
{
    while (i < n && sr__is_name_letter((unsigned char)p[i]))
        i++;
    return i;
}

/* 1 when @p c may appear in a URI: not a CTL, SP, HTAB, '<', '>', '"' or DEL (the
 * SR__C_URI class of chars.c; bytes 0x80-0xff are UTF-8 and allowed). */
static inline int sr__is_uri_byte(unsigned char c)
{
    return c > ' ' && c != '<' && c != '>' && c != '"' && c != 0x7f;
}

/* Index of the first byte of p[i, n) that cannot appear in a URI, or n. */
static inline size_t sr__scan_uri_scalar(const char *p, size_t i, size_t n)
{
    while (i < n && sr__is_uri_byte((unsigned char)p[i]))
        i++;
    return i;
}

/* 1 when @p c is a CTL a header value may not hold raw: 0x00-0x1f except HTAB, and DEL
 * (the SR__C_CTL class of chars.c). */
static inline int sr__is_ctl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* Index of the first CTL (sr__is_ctl) in p[i, n), or n. */
static inline size_t sr__scan_ctl_scalar(const char *p, size_t i, size_t n)
{
    while (i < n && !sr__is_ctl((unsigned char)p[i]))
        i++;
    return i;
}

/* Index of the first SP or CTL (sr__is_ctl) in p[i, n), or n: the end of a Request-URI
 * (the SR__C_NOSPCTL class of chars.c: HTAB does not stop it). */
static inline size_t sr__scan_spctl_scalar(const char *p, size_t i, size_t n)
{
    while (i < n && p[i] != ' ' && !sr__is_ctl((unsigned char)p[i]))
        i++;
    return i;
}

/* 1 when @p c is an ASCII letter, digit, '-' or '.': the bytes of most tokens, hosts and
 * parameter values (branches, tags, Call-IDs), in every class sr__span_an serves. */
static inline int sr__is_an(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26 || (unsigned char)(c - '0') < 10 || c == '-' ||
           c == '.';
}

/* Index of the first byte of p[i, n) that is not sr__is_an, or n. */
static inline size_t sr__scan_an_scalar(const char *p, size_t i, size_t n)
{
    while (i < n && sr__is_an((unsigned char)p[i]))
        i++;
    return i;
}

/* ------------------------------------------------------------ SSE2 */
#ifdef SR__SCAN_SSE2
static inline size_t sr__scan_eol_sse2(const char *p, size_t i, size_t n)
{
    const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
    /* 32 bytes per step while they last: one test for two blocks */
    while (n - i >= 32) {
        __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
        __m128i e0 = _mm_or_si128(_mm_cmpeq_epi8(v0, cr), _mm_cmpeq_epi8(v0, lf));
        __m128i e1 = _mm_or_si128(_mm_cmpeq_epi8(v1, cr), _mm_cmpeq_epi8(v1, lf));
        unsigned m = (unsigned)_mm_movemask_epi8(e0) | (unsigned)_mm_movemask_epi8(e1) << 16;
        if (m)
            return i + (size_t)__builtin_ctz(m);
        i += 32;
    }
    while (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        unsigned m =
            (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
        if (m)
            return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
    return sr__scan_eol_scalar(p, i, n);
}

static inline size_t sr__scan_name_sse2(const char *p, size_t i, size_t n)
{
    const __m128i x20 = _mm_set1_epi8(0x20), a = _mm_set1_epi8('a'), z = _mm_set1_epi8('z'),
                  dash = _mm_set1_epi8('-');
    while (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i lc = _mm_or_si128(v, x20);
        /* unsigned a <= lc <= z  <=>  clamp(lc, a, z) == lc */
        __m128i letter = _mm_cmpeq_epi8(_mm_min_epu8(_mm_max_epu8(lc, a), z), lc);
        __m128i ok = _mm_or_si128(letter, _mm_cmpeq_epi8(v, dash));
        unsigned m = ~(unsigned)_mm_movemask_epi8(ok) & 0xffffu;
        if (m)
            return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
    return sr__scan_name_scalar(p, i, n);
}

/* The bytes of 16 at @p q that cannot appear in a URI, as a bit mask. */
static inline unsigned sr__uri_bad_mask(const char *q)
{
    const __m128i sp = _mm_set1_epi8(' '), lt = _mm_set1_epi8('<'), gt = _mm_set1_epi8('>'),
                  dq = _mm_set1_epi8('"'), del = _mm_set1_epi8(0x7f);
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
    __m128i bad = _mm_cmpeq_epi8(_mm_min_epu8(v, sp), v); /* v <= ' ' (unsigned) */
    bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, gt)));
    bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi8(v, dq), _mm_cmpeq_epi8(v, del)));
    return (unsigned)_mm_movemask_epi8(bad);
}

/* The first byte of p[i, n) flagged by @p mask (16 bytes at a time), or n; fewer than 16 bytes
 * in all go to @p scalar. Both are constants at every call, so the compiler inlines them. */
static inline size_t sr__scan_masked(const char *p, size_t i, size_t n,
                                     unsigned (*mask)(const char *),
                                     size_t (*scalar)(const char *, size_t, size_t))
{
    if (n - i < 16)
        return scalar(p, i, n);
    while (n - i >= 16) {
        unsigned m = mask(p + i);
        if (m)
            return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
    if (i == n)
        return n;
    /* the last block overlaps bytes already checked: drop them from the mask */
    unsigned m = mask(p + n - 16) >> (16 - (n - i));
    return m ? i + (size_t)__builtin_ctz(m) : n;
}

static inline size_t sr__scan_uri_sse2(const char *p, size_t i, size_t n)
{
    return sr__scan_masked(p, i, n, sr__uri_bad_mask, sr__scan_uri_scalar);
}

/* The bytes of 16 at @p q that are not sr__is_an, as a bit mask. OR-ing 0x20 maps onto
 * 'a'..'z' the letters only; the subtractions wrap, so one unsigned compare takes a range. */
static inline unsigned sr__an_bad_mask(const char *q)
{
    const __m128i x20 = _mm_set1_epi8(0x20), a = _mm_set1_epi8('a'), z25 = _mm_set1_epi8(25),
                  d0 = _mm_set1_epi8('0'), d9 = _mm_set1_epi8(9), dash = _mm_set1_epi8('-'),
                  dot = _mm_set1_epi8('.');
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
    __m128i l = _mm_sub_epi8(_mm_or_si128(v, x20), a), d = _mm_sub_epi8(v, d0);
    __m128i ok = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(l, z25), l),
                              _mm_cmpeq_epi8(_mm_min_epu8(d, d9), d));
    ok = _mm_or_si128(ok, _mm_or_si128(_mm_cmpeq_epi8(v, dash), _mm_cmpeq_epi8(v, dot)));
    return ~(unsigned)_mm_movemask_epi8(ok) & 0xffffu;
}

/* 16 bytes at a time while 16 remain; the rest is the caller's (sr__span_an). */
static inline size_t sr__scan_an_sse2(const char *p, size_t i, size_t n)
{
    while (n - i >= 16) {
        unsigned m = sr__an_bad_mask(p + i);
        if (m)
            return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
    return sr__scan_an_scalar(p, i, n);
}

/* The CTL bytes (sr__is_ctl) of 16 at @p q, as a bit mask. */
static inline unsigned sr__ctl_mask(const char *q)
{
    const __m128i x1f = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8('\t'), del = _mm_set1_epi8(0x7f);
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
    __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, x1f), v); /* v <= 0x1f (unsigned) */
    __m128i bad =
        _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, tab), low), _mm_cmpeq_epi8(v, del));
    return (unsigned)_mm_movemask_epi8(bad);
}

static inline size_t sr__scan_ctl_sse2(const char *p, size_t i, size_t n)
{
    return sr__scan_masked(p, i, n, sr__ctl_mask, sr__scan_ctl_scalar);
}

/* The SP and CTL bytes of 16 at @p q, as a bit mask. */
static inline unsigned sr__spctl_mask(const char *q)
{
    const __m128i x1f = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8('\t'), del = _mm_set1_epi8(0x7f),
                  sp = _mm_set1_epi8(' ');
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
    __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, x1f), v); /* v <= 0x1f (unsigned) */
    __m128i bad =
        _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, tab), low), _mm_cmpeq_epi8(v, del));
    bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, sp));
    return (unsigned)_mm_movemask_epi8(bad);
}

static inline size_t sr__scan_spctl_sse2(const char *p, size_t i, size_t n)
{
    return sr__scan_masked(p, i, n, sr__spctl_mask, sr__scan_spctl_scalar);
}
#endif

/* ------------------------------------------------------------ the ones the parser uses */
static inline size_t sr__scan_eol(const char *p, size_t i, size_t n)
{
#ifdef SR__SCAN_SSE2
    return sr__scan_eol_sse2(p, i, n);
#else
    return sr__scan_eol_scalar(p, i, n);
#endif
}

static inline size_t sr__scan_name(const char *p, size_t i, size_t n)
{
#ifdef SR__SCAN_SSE2
    return sr__scan_name_sse2(p, i, n);
#else
    return sr__scan_name_scalar(p, i, n);
#endif
}

static inline size_t sr__scan_uri(const char *p, size_t i, size_t n)
{
#ifdef SR__SCAN_SSE2
    return sr__scan_uri_sse2(p, i, n);
#else
    return sr__scan_uri_scalar(p, i, n);
#endif
}

static inline size_t sr__scan_ctl(const char *p, size_t i, size_t n)
{
#ifdef SR__SCAN_SSE2
    return sr__scan_ctl_sse2(p, i, n);
#else
    return sr__scan_ctl_scalar(p, i, n);
#endif
}

static inline size_t sr__scan_spctl(const char *p, size_t i, size_t n)
{
#ifdef SR__SCAN_SSE2
    return sr__scan_spctl_sse2(p, i, n);
#else
    return sr__scan_spctl_scalar(p, i, n);
#endif
}

/* The letters, digits, '-' and '.' at the start of p[i, n): 16 at a time where 16 remain (the
 * tail is left to the caller's class table: fewer than 16 bytes gain nothing from a vector). */
static inline size_t sr__scan_an_fast(const char *p, size_t i, size_t n)
{
#ifdef SR__SCAN_SSE2
    while (n - i >= 16) {
        unsigned m = sr__an_bad_mask(p + i);
        if (m)
            return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
#else
    (void)p;
    (void)n;
#endif
    return i;
}

static inline size_t sr__scan_an(const char *p, size_t i, size_t n)
{
#ifdef SR__SCAN_SSE2
    return sr__scan_an_sse2(p, i, n);
#else
    return sr__scan_an_scalar(p, i, n);
#endif
}

#endif /* SIPREPLY_SCAN_H */
