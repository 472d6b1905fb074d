/* sipreply core: the header-name lookup, inline so the head parser pays no call per header
 * field. The tables live in hdr.c (generated perfect hash: scripts/gen_hdr_hash.py). */
#ifndef SIPREPLY_HDR_INT_H
#define SIPREPLY_HDR_INT_H

#include <stdint.h>
#include <string.h>

#include "sipreply/msg.h"

#include "core_int.h"
#include "hdr_hash.h"

typedef struct sr__hdr_info {
    const char *name;
    unsigned char len;
    char compact;
    unsigned char flags;
} sr__hdr_info;

extern const sr__hdr_info sr__hdr_table[SR_HDR__COUNT];
extern const unsigned char sr__hdr_hash_slot[SR__HDR_HASH_SIZE];
extern const char *const sr__hdr_lc_name[];

/* Compare @p n bytes of @p s case-insensitively with the lower-case name @p lc, eight bytes
 * at a time: OR-ing 0x20 lower-cases letters and leaves '-' unchanged; the only other byte
 * that maps onto a name byte is CR ('\r' | 0x20 == '-') (no known name has a digit), so
 * a caller whose name may hold bytes outside token chars checks for CR itself. */
static inline int sr__caseeq_lc(const char *s, const char *lc, size_t n)
{
    uint64_t a, b;
    if (n >= 8) {
        /* whole words, then one overlapping word for the tail: no byte loop */
        for (size_t i = 0; i + 8 <= n; i += 8) {
            memcpy(&a, s + i, 8);
            memcpy(&b, lc + i, 8);
            if ((a | 0x2020202020202020ull) != b)
                return 0;
        }
        memcpy(&a, s + n - 8, 8);
        memcpy(&b, lc + n - 8, 8);
        return (a | 0x2020202020202020ull) == b;
    }
    if (n >= 4) {
        uint32_t x, y, x2, y2;
        memcpy(&x, s, 4);
        memcpy(&y, lc, 4);
        memcpy(&x2, s + n - 4, 4);
        memcpy(&y2, lc + n - 4, 4);
        return (x | 0x20202020u) == y && (x2 | 0x20202020u) == y2;
    }
    if (n >= 2) { /* the first two and the last two bytes (the same ones when n == 2) */
        uint16_t x, y, x2, y2;
        memcpy(&x, s, 2);
        memcpy(&y, lc, 2);
        memcpy(&x2, s + n - 2, 2);
        memcpy(&y2, lc + n - 2, 2);
        return (uint16_t)(x | 0x2020u) == y && (uint16_t)(x2 | 0x2020u) == y2;
    }
    return n == 0 || (unsigned char)(s[0] | 0x20) == (unsigned char)lc[0];
}

/* The id of the header name p[0, len), SR_HDR_OTHER when unknown; @p tok: the caller knows
 * the name holds token characters only (the head parser), so no CR can hide in it. */
static inline enum sr_hdr_id sr__hdr_lookup_inline(const char *p, size_t len, bool tok)
{
    if (len == 0 || (!tok && len > 64)) /* longer names are unknown: the compare fails */
        return SR_HDR_OTHER;
    /* A perfect hash over the length and the lower-cased first, middle and last bytes
     * (scripts/gen_hdr_hash.py), then one comparison. */
    /* A token name: OR-ing 0x20 lower-cases the letters and leaves '-' as it is, which is
     * all a known name holds; any other byte makes the name unknown whatever slot it hashes
     * to, since the comparison below then fails. */
    unsigned first, last, mid;
    if (tok) {
        first = (unsigned char)p[0] | 0x20u;
        last = (unsigned char)p[len - 1] | 0x20u;
        mid = (unsigned char)p[len / 2] | 0x20u;
    } else {
        first = sr__lower[(unsigned char)p[0]];
        last = sr__lower[(unsigned char)p[len - 1]];
        mid = sr__lower[(unsigned char)p[len / 2]];
    }
    unsigned h = ((unsigned)len * SR__HDR_HASH_A + first * SR__HDR_HASH_B + last + (mid << 1)) &
                 (SR__HDR_HASH_SIZE - 1);
    enum sr_hdr_id id = (enum sr_hdr_id)sr__hdr_hash_slot[h];
    if (id == SR_HDR_NONE)
        return SR_HDR_OTHER;
    const sr__hdr_info *hi = &sr__hdr_table[id];
    if (len == 1)
        return hi->compact && (unsigned)sr__lower[(unsigned char)hi->compact] == first
                   ? id
                   : SR_HDR_OTHER;
    if (hi->len != len || !sr__caseeq_lc(p, sr__hdr_lc_name[id], len))
        return SR_HDR_OTHER;
    if (!tok && memchr(p, '\r', len))
        return SR_HDR_OTHER;
    return id;
}

#endif /* SIPREPLY_HDR_INT_H */
