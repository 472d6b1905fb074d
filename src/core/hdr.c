/* sipreply core: header names, compact forms and method names.
 * RFC 3261 §7.3.3 (compact forms), §20 (header fields), §7.1 and §27.4 (methods). */
#include <stdint.h>
#include <string.h>

#include "sipreply/msg.h"

#include "core_int.h"
#include "hdr_hash.h"

typedef struct hdr_info {
    const char *name;
    unsigned char len;
    char compact;
    unsigned char flags;
} hdr_info;

static const hdr_info hdr_table[SR_HDR__COUNT] = {[SR_HDR_NONE] = {NULL, 0, 0, 0},
                                                  [SR_HDR_OTHER] = {NULL, 0, 0, 0},
#define SR_HDR_INFO_(id, nm, c, fl) [SR_HDR_##id] = {nm, sizeof(nm) - 1, c, fl},
                                                  SR_HDR_MAP(SR_HDR_INFO_)
#undef SR_HDR_INFO_
};

const char *sr_hdr_name(enum sr_hdr_id id)
{
    if ((unsigned)id >= SR_HDR__COUNT)
        return NULL;
    return hdr_table[id].name;
}

char sr_hdr_compact(enum sr_hdr_id id)
{
    if ((unsigned)id >= SR_HDR__COUNT)
        return 0;
    return hdr_table[id].compact;
}

unsigned sr_hdr_flags(enum sr_hdr_id id)
{
    if ((unsigned)id >= SR_HDR__COUNT)
        return 0;
    return hdr_table[id].flags;
}

/* Compare @p n bytes of @p s case-insensitively with the lower-case name @p lc, eight bytes
 * at a time: OR-ing 0x20 lower-cases letters and leaves '-' and digits unchanged; the only
 * other byte that maps onto a name byte is CR ('\r' | 0x20 == '-'), so bytes outside
 * token chars are rejected on the slow path first. */
static int caseeq_lc(const char *s, const char *lc, size_t n)
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
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)(s[i] | 0x20) != (unsigned char)lc[i])
            return 0;
    }
    return 1;
}

/* The hash and compare shared by both lookups; @p tok: the name holds token chars only. */
static inline enum sr_hdr_id lookup(const char *p, size_t len, bool tok)
{
    if (len == 0 || len > 64)
        return SR_HDR_OTHER;
    /* A perfect hash over the length and the lower-cased first, middle and last bytes
     * (scripts/gen_hdr_hash.py), then one comparison. */
    unsigned first = sr__lower[(unsigned char)p[0]];
    unsigned last = sr__lower[(unsigned char)p[len - 1]];
    unsigned mid = sr__lower[(unsigned char)p[len / 2]];
    unsigned h = ((unsigned)len * SR__HDR_HASH_A + first * SR__HDR_HASH_B + last + (mid << 1)) &
                 (SR__HDR_HASH_SIZE - 1);
    enum sr_hdr_id id = (enum sr_hdr_id)sr__hdr_hash_slot[h];
    if (id == SR_HDR_NONE)
        return SR_HDR_OTHER;
    const hdr_info *hi = &hdr_table[id];
    if (len == 1)
        return hi->compact && (unsigned)sr__lower[(unsigned char)hi->compact] == first
                   ? id
                   : SR_HDR_OTHER;
    if (hi->len != len || !caseeq_lc(p, sr__hdr_lc_name[id], len))
        return SR_HDR_OTHER;
    /* OR-ing 0x20 maps CR onto '-': only a name that may hold non-token bytes needs this */
    if (!tok && memchr(p, '\r', len))
        return SR_HDR_OTHER;
    return id;
}

enum sr_hdr_id sr_hdr_lookup(sr_str name)
{
    return name.p ? lookup(name.p, name.len, false) : SR_HDR_OTHER;
}

int sr__hdr_lookup_token(const char *p, size_t len)
{
    return (int)lookup(p, len, true);
}

static const char *const method_names[SR_METHOD__COUNT] = {
    [SR_METHOD_OTHER] = NULL,
    [SR_METHOD_INVITE] = "INVITE",
    [SR_METHOD_ACK] = "ACK",
    [SR_METHOD_BYE] = "BYE",
    [SR_METHOD_CANCEL] = "CANCEL",
    [SR_METHOD_OPTIONS] = "OPTIONS",
    [SR_METHOD_REGISTER] = "REGISTER",
    [SR_METHOD_PRACK] = "PRACK",
    [SR_METHOD_SUBSCRIBE] = "SUBSCRIBE",
    [SR_METHOD_NOTIFY] = "NOTIFY",
    [SR_METHOD_PUBLISH] = "PUBLISH",
    [SR_METHOD_INFO] = "INFO",
    [SR_METHOD_REFER] = "REFER",
    [SR_METHOD_MESSAGE] = "MESSAGE",
    [SR_METHOD_UPDATE] = "UPDATE",
};

const char *sr_method_name(sr_method m)
{
    if ((unsigned)m >= SR_METHOD__COUNT)
        return NULL;
    return method_names[m];
}

static sr_method method_if(sr_str tok, sr_method m)
{
    const char *n = method_names[m];
    return memcmp(tok.p, n, tok.len) == 0 ? m : SR_METHOD_OTHER;
}

sr_method sr_method_from_str(sr_str tok)
{
    /* RFC 3261 §7.1: method names are case-sensitive. Switch on length then first byte. */
    if (tok.len < 3 || tok.len > 9 || !tok.p)
        return SR_METHOD_OTHER;
    switch (tok.len) {
    case 3:
        if (tok.p[0] == 'A')
            return method_if(tok, SR_METHOD_ACK);
        return method_if(tok, SR_METHOD_BYE);
    case 4: return method_if(tok, SR_METHOD_INFO);
    case 5:
        if (tok.p[0] == 'P')
            return method_if(tok, SR_METHOD_PRACK);
        return method_if(tok, SR_METHOD_REFER);
    case 6:
        switch (tok.p[0]) {
        case 'I': return method_if(tok, SR_METHOD_INVITE);
        case 'C': return method_if(tok, SR_METHOD_CANCEL);
        case 'N': return method_if(tok, SR_METHOD_NOTIFY);
        case 'U': return method_if(tok, SR_METHOD_UPDATE);
        default: return SR_METHOD_OTHER;
        }
    case 7:
        switch (tok.p[0]) {
        case 'O': return method_if(tok, SR_METHOD_OPTIONS);
        case 'P': return method_if(tok, SR_METHOD_PUBLISH);
        case 'M': return method_if(tok, SR_METHOD_MESSAGE);
        default: return SR_METHOD_OTHER;
        }
    case 8: return method_if(tok, SR_METHOD_REGISTER);
    case 9: return method_if(tok, SR_METHOD_SUBSCRIBE);
    default: return SR_METHOD_OTHER;
    }
}
