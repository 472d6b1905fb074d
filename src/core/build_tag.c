/* sipreply core: the derived To tag of stateless responses and the builder's small helpers.
 * RFC 3261 §8.2.7 (a stateless UAS answers retransmissions identically), §12.1.1. */
#include <string.h>

#include "sipreply/build.h"

#include "build_int.h"
#include "core_int.h"

void sr_build_opts_init(sr_build_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

/* ------------------------------------------------------------------ the derived tag */

/* The tag's input: the fields, each behind its length (4 bytes, big-endian), collected in a
 * bounded scratch buffer and hashed once; a field longer than the room left is folded in by
 * its own hash. The usual fields are short: they are copied by 8-byte moves (the last one
 * overlapping), not a memcpy call each. */
typedef struct taghash {
    uint8_t buf[1024];
    size_t len;
    const uint8_t *key;
} taghash;

static void th_fold(taghash *h, const void *p, size_t n)
{
    /* fold: replace an oversize field by its 64-bit hash */
    uint64_t d = sr_siphash24(h->key, p, n);
    uint8_t b[8];
    for (unsigned i = 0; i < 8; i++)
        b[i] = (uint8_t)(d >> (8u * i));
    if (sizeof h->buf - h->len < 8) {
        uint64_t all = sr_siphash24(h->key, h->buf, h->len);
        for (unsigned i = 0; i < 8; i++)
            h->buf[i] = (uint8_t)(all >> (8u * i));
        h->len = 8;
    }
    memcpy(h->buf + h->len, b, 8);
    h->len += 8;
}

/* @p n bytes from @p s to @p d, never reading or writing outside either */
static inline void copy_short(uint8_t *d, const uint8_t *s, size_t n)
{
    if (n >= 8) {
        size_t i = 0;
        do {
            memcpy(d + i, s + i, 8);
            i += 8;
        } while (i + 8 <= n);
        memcpy(d + n - 8, s + n - 8, 8);
        return;
    }
    size_t i = 0;
    if (n & 4) {
        memcpy(d, s, 4);
        i = 4;
    }
    if (n & 2) {
        memcpy(d + i, s + i, 2);
        i += 2;
    }
    if (n & 1)
        d[i] = s[i];
}

static inline void th_bytes(taghash *h, const void *p, size_t n)
{
    if (n > sizeof h->buf - h->len) {
        th_fold(h, p, n);
        return;
    }
    copy_short(h->buf + h->len, p, n);
    h->len += n;
}

/* a few bytes of a size known here (a length, a port, a number) */
static inline void th_fixed(taghash *h, const uint8_t *p, size_t n)
{
    if (n > sizeof h->buf - h->len) {
        th_fold(h, p, n);
        return;
    }
    memcpy(h->buf + h->len, p, n);
    h->len += n;
}

static inline void th_field(taghash *h, sr_str s)
{
    uint8_t l[4] = {(uint8_t)(s.len >> 24), (uint8_t)(s.len >> 16), (uint8_t)(s.len >> 8),
                    (uint8_t)s.len};
    th_fixed(h, l, sizeof l);
    if (s.len)
        th_bytes(h, s.p, s.len);
}

/* "00" ... "ff": two digits per byte of the value */
#define HX2(h)                                                                                    \
#h "0" #h "1" #h "2" #h "3" #h "4" #h "5" #h "6" #h "7" #h "8" #h "9" #h "a" #h "b" #h "c" #h \
       "d" #h "e" #h "f"
static const char hex_pairs[] = HX2(0) HX2(1) HX2(2) HX2(3) HX2(4) HX2(5) HX2(6) HX2(7) HX2(8)
    HX2(9) HX2(a) HX2(b) HX2(c) HX2(d) HX2(e) HX2(f);

void sr__hex64(uint64_t v, char *out)
{
    for (int i = 7; i >= 0; i--) {
        memcpy(out + 2 * i, hex_pairs + 2 * (v & 0xff), 2);
        v >>= 8;
    }
}

static inline uint64_t request_hash(const uint8_t *key, const char *purpose, const sr_via *v,
                                    sr_str call_id, sr_str from_tag, uint32_t cseq)
{
    taghash h;
    h.len = 0;
    h.key = key;
    th_field(&h, (sr_str){purpose, strlen(purpose)});
    if (v) {
        th_field(&h, v->branch);
        th_field(&h, v->host);
        uint8_t port[2] = {(uint8_t)(v->port >> 8), (uint8_t)v->port};
        th_fixed(&h, port, 2);
    } else {
        th_field(&h, SR_STR_NULL);
    }
    th_field(&h, call_id);
    th_field(&h, from_tag);
    uint8_t nb[4] = {(uint8_t)(cseq >> 24), (uint8_t)(cseq >> 16), (uint8_t)(cseq >> 8),
                     (uint8_t)cseq};
    th_fixed(&h, nb, 4);
    return sr_siphash24(key, h.buf, h.len);
}

uint64_t sr__request_hash_fields(const uint8_t *key, const char *purpose, const sr_via *v,
                                 sr_str call_id, sr_str from_tag, uint32_t cseq)
{
    return request_hash(key, purpose, v, call_id, from_tag, cseq);
}

uint64_t sr__request_hash(const sr_msg *req, const uint8_t *key, const char *purpose)
{
    const sr_nameaddr *from = sr_msg_from(req);
    const sr_cseq *cs = sr_msg_cseq(req);
    return request_hash(key, purpose, sr_msg_via(req, 0), sr_msg_call_id(req),
                        from ? from->tag : SR_STR_NULL, cs ? cs->num : 0);
}

int sr_build_to_tag(const sr_msg *req, const uint8_t *key, char *out)
{
    if (!req || !out)
        return SR_EINVAL;
    sr__hex64(sr__request_hash(req, key, "to-tag"), out);
    out[SR_BUILD_TAG_LEN] = '\0';
    return 0;
}

bool sr_build_ack_is_ours(const sr_msg *ack, const uint8_t *key)
{
    if (!ack || !sr_msg_is_request(ack) || sr_msg_method(ack) != SR_METHOD_ACK)
        return false;
    const sr_nameaddr *to = sr_msg_to(ack);
    if (!to || to->tag.len != SR_BUILD_TAG_LEN)
        return false;
    char tag[SR_BUILD_TAG_LEN + 1];
    if (sr_build_to_tag(ack, key, tag) != 0)
        return false;
    return memcmp(tag, to->tag.p, SR_BUILD_TAG_LEN) == 0;
}

size_t sr__u32_to_dec(uint32_t v, char *out)
{
    /* the length first (no reversal), then two digits a step from the end */
    static const char d2[200] =
        "00010203040506070809101112131415161718192021222324252627282930313233"
        "34353637383940414243444546474849505152535455565758596061626364656667"
        "6869707172737475767778798081828384858687888990919293949596979899";
    size_t n = v < 10           ? 1
               : v < 100        ? 2
               : v < 1000       ? 3
               : v < 10000      ? 4
               : v < 100000     ? 5
               : v < 1000000    ? 6
               : v < 10000000   ? 7
               : v < 100000000  ? 8
               : v < 1000000000 ? 9
                                : 10;
    out[n] = '\0';
    char *w = out + n;
    while (v >= 100) {
        uint32_t r = (v % 100) * 2;
        v /= 100;
        *--w = d2[r + 1];
        *--w = d2[r];
    }
    if (v >= 10) {
        *--w = d2[v * 2 + 1];
        *--w = d2[v * 2];
    } else {
        *--w = (char)('0' + v);
    }
    return n;
}

bool sr__is_dialog_creating(unsigned code, sr_method m)
{
    /* RFC 3261 §12.1.1: 2xx and 101-199 (with a To tag, which we always add) to INVITE. */
    return m == SR_METHOD_INVITE && code > 100 && code < 300;
}
