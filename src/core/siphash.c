/* sipreply core: SipHash-2-4 (Aumasson and Bernstein, 2012), the keyed hash behind derived
 * To tags and nonces (RFC 3261 §8.2.6.2, §8.2.7), and SipHash-1-3, the same function with one
 * compression round per word and three finalization rounds, for the transaction index's
 * bucket hashes (txn_match.c), which nothing outside the process ever sees. Written from the
 * paper's description. */
#include "sipreply/build.h"

#include "core_int.h"
#include "siphash_int.h"

#include <string.h>

#define load64   sr__load64le
#define SIPROUND SR__SIPROUND(v0, v1, v2, v3)

/* @p n (1 to 4, a constant where it is used) SipRounds, written out: a loop over them is
 * not unrolled at -O2 and costs its counter on every word. */
#define SIPROUNDS(n)  \
    do {              \
        SIPROUND;     \
        if ((n) > 1)  \
            SIPROUND; \
        if ((n) > 2)  \
            SIPROUND; \
        if ((n) > 3)  \
            SIPROUND; \
    } while (0)

/* SipHash-c-d: @p c rounds per 8-byte word, @p d to finalize (inlined with constants, so
 * each variant is compiled with its own rounds). */
SR__ALWAYS_INLINE uint64_t siphash_cd(const uint8_t *key, const void *data, size_t len, int c,
                                      int d)
{
    static const uint8_t zero_key[SR_BUILD_KEY_LEN] = {0};
    const uint8_t *k = key ? key : zero_key;
    const uint8_t *in = data;
    uint64_t k0 = load64(k), k1 = load64(k + 8);
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
    uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
    uint64_t v3 = 0x7465646279746573ULL ^ k1;
    size_t full = len - (len % 8);
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = load64(in + i);
        v3 ^= m;
        SIPROUNDS(c);
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    size_t tail = len % 8;
    if (tail) {
        uint8_t last[8] = {0};
        memcpy(last, in + full, tail);
        b |= load64(last);
    }
    v3 ^= b;
    SIPROUNDS(c);
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUNDS(d);
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t sr_siphash24(const uint8_t *key, const void *data, size_t len)
{
    return siphash_cd(key, data, len, 2, 4);
}

uint64_t sr__siphash13(const uint8_t *key, const void *data, size_t len)
{
    return siphash_cd(key, data, len, 1, 3);
}
