/* sipreply core: SipHash's round and loads (siphash.c), and SipHash-1-3 fed word by word for
 * the transaction index's keys (txn_match.c), which hash their fields where they lie. */
#ifndef SIPREPLY_SIPHASH_INT_H
#define SIPREPLY_SIPHASH_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core_int.h"

static inline uint64_t sr__rotl64(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64u - b));
}

/* Little-endian loads: one unaligned load on little-endian machines (memcpy is how C says
 * it; the compiler emits a single move), byte by byte elsewhere. */
static inline uint64_t sr__load64le(const void *q)
{
    const uint8_t *p = q;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
#else
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8u * i);
    return v;
#endif
}

static inline uint64_t sr__load32le(const void *q)
{
    const uint8_t *p = q;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
#else
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
#endif
}

#define SR__SIPROUND(v0, v1, v2, v3) \
    do {                             \
        v0 += v1;                    \
        v1 = sr__rotl64(v1, 13);     \
        v1 ^= v0;                    \
        v0 = sr__rotl64(v0, 32);     \
        v2 += v3;                    \
        v3 = sr__rotl64(v3, 16);     \
        v3 ^= v2;                    \
        v0 += v3;                    \
        v3 = sr__rotl64(v3, 21);     \
        v3 ^= v0;                    \
        v2 += v1;                    \
        v1 = sr__rotl64(v1, 17);     \
        v1 ^= v2;                    \
        v2 = sr__rotl64(v2, 32);     \
    } while (0)

/* SipHash-1-3 of a message given as whole 8-byte words (little-endian), one at a time:
 * sr__sip13_init, sr__sip13_word for each word, sr__sip13_end. The result is SipHash-1-3
 * of those 8·n bytes (the final block is the length alone). */
typedef struct sr__sip13 {
    uint64_t v0, v1, v2, v3;
    uint64_t n; /* words so far */
} sr__sip13;

SR__ALWAYS_INLINE void sr__sip13_init(sr__sip13 *h, const uint8_t *key)
{
    uint64_t k0 = sr__load64le(key), k1 = sr__load64le(key + 8);
    h->v0 = 0x736f6d6570736575ULL ^ k0;
    h->v1 = 0x646f72616e646f6dULL ^ k1;
    h->v2 = 0x6c7967656e657261ULL ^ k0;
    h->v3 = 0x7465646279746573ULL ^ k1;
    h->n = 0;
}

SR__ALWAYS_INLINE void sr__sip13_word(sr__sip13 *h, uint64_t m)
{
    h->v3 ^= m;
    SR__SIPROUND(h->v0, h->v1, h->v2, h->v3);
    h->v0 ^= m;
    h->n++;
}

SR__ALWAYS_INLINE uint64_t sr__sip13_end(sr__sip13 *h)
{
    uint64_t b = (h->n * 8) << 56;
    h->v3 ^= b;
    SR__SIPROUND(h->v0, h->v1, h->v2, h->v3);
    h->v0 ^= b;
    h->v2 ^= 0xff;
    SR__SIPROUND(h->v0, h->v1, h->v2, h->v3);
    SR__SIPROUND(h->v0, h->v1, h->v2, h->v3);
    SR__SIPROUND(h->v0, h->v1, h->v2, h->v3);
    return h->v0 ^ h->v1 ^ h->v2 ^ h->v3;
}

/* The last 1 to 7 bytes of a field of @p n bytes at @p p (read inside it only), in the
 * word's low bytes, the rest zero. */
SR__ALWAYS_INLINE uint64_t sr__load_tail(const char *p, size_t n, size_t r)
{
    if (n >= 8) /* the field's last 8 bytes, shifted down to its last r */
        return sr__load64le(p + n - 8) >> (8u * (8u - r));
    const char *q = p + n - r;
    if (r >= 4) /* two overlapping 4-byte loads: the overlap has the same bytes */
        return sr__load32le(q) | sr__load32le(q + r - 4) << (8u * (r - 4));
    return (uint64_t)(uint8_t)q[0] | (uint64_t)(uint8_t)q[r / 2] << (8u * (r / 2)) |
           (uint64_t)(uint8_t)q[r - 1] << (8u * (r - 1));
}

/* ASCII upper case to lower case in the 8 bytes of @p w (other bytes as they are). */
SR__ALWAYS_INLINE uint64_t sr__lower8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL;
    uint64_t low7 = w & (0x7f * ones);
    uint64_t ge_a = low7 + (0x80 - 'A') * ones;     /* top bit: byte >= 'A' */
    uint64_t gt_z = low7 + (0x80 - 'Z' - 1) * ones; /* top bit: byte > 'Z' */
    uint64_t upper = (ge_a ^ gt_z) & ~w & (0x80 * ones);
    return w | (upper >> 2);
}

/* Feed the @p n bytes at @p p as ceil(n/8) words, the last one zero-padded (the caller
 * hashes n elsewhere, so that the padding is unambiguous); @p lower: ASCII lower case. */
SR__ALWAYS_INLINE void sr__sip13_field(sr__sip13 *h, const char *p, size_t n, bool lower)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = sr__load64le(p + i);
        sr__sip13_word(h, lower ? sr__lower8(w) : w);
    }
    size_t r = n - i;
    if (r != 0) {
        uint64_t w = sr__load_tail(p, n, r);
        sr__sip13_word(h, lower ? sr__lower8(w) : w);
    }
}

#endif /* SIPREPLY_SIPHASH_INT_H */
