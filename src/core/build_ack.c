/* sipreply core: the ACK of a stateless element's non-2xx final recognised from the head of
 * its datagram, before any message is built. RFC 3261 §17.1.1.3 (that ACK keeps the INVITE's
 * top Via branch, Call-ID, From tag and CSeq number, and carries the To tag of the response),
 * §8.2.7 and §17.2.1 (a stateless element has no transaction to absorb it: it recognises the
 * To tag it derived, sr_build_to_tag, and sends nothing). */
#include <stddef.h>
#include <string.h>

#include "sipreply/build.h"

#include "build_int.h"
#include "msg_int.h"

#define HEAD_FIELDS 64 /* header fields of an ACK looked at without an allocation */

/* the next field with @p id at or after @p k, or @p nh */
static size_t next_of(const sr_header *hv, size_t nh, enum sr_hdr_id id, size_t k)
{
    while (k < nh && hv[k].id != id)
        k++;
    return k;
}

void sr__head_ack_fields(const sr_header *hv, size_t nh, sr__ack_idx *f)
{
    /* each id's place in at[] plus one (0: not looked for): a load, not a switch, per field */
    static const unsigned char slot[SR_HDR__COUNT] = {[SR_HDR_VIA] = 1,
                                                      [SR_HDR_TO] = 2,
                                                      [SR_HDR_FROM] = 3,
                                                      [SR_HDR_CSEQ] = 4,
                                                      [SR_HDR_CALL_ID] = 5};
    size_t at[6] = {nh, nh, nh, nh, nh, nh}; /* [0]: the second Via field */
    for (size_t k = 0; k < nh; k++) {
        unsigned s = (unsigned)hv[k].id < SR_HDR__COUNT ? slot[hv[k].id] : 0;
        if (s == 0)
            continue;
        if (at[s] == nh)
            at[s] = k; /* the first of each, as the message's accessors take them */
        else if (s == 1 && at[0] == nh)
            at[0] = k;
    }
    f->via = at[1];
    f->to = at[2];
    f->from = at[3];
    f->cseq = at[4];
    f->cid = at[5];
    f->via2 = at[0];
}

/* The top Via value as sr_msg_via(m, 0) gives it for the message sr_msg_parse() builds from
 * this head (msg.c, parse_eager and via_parse_more): the first value of the first Via field
 * (of a later one when the first holds none), NULL when none parses. */
const sr_via *sr__head_top_via(const sr_header *hv, size_t nh, size_t k, size_t k2, sr_via *v)
{
    if (k >= nh)
        return NULL;
    sr_parse_error e;
    sr_str val = hv[k].value;
    bool more = k2 < nh || memchr(val.p, ',', val.len) != NULL;
    if (!more) /* one field, one value, trimmed already */
        return val.len && sr_via_parse(v, val, &e) == 0 ? v : NULL;
    size_t pos = 0;
    while (k < nh) {
        sr_str item;
        if (!sr_value_next(hv[k].value, &pos, &item)) {
            k = next_of(hv, nh, SR_HDR_VIA, k + 1);
            pos = 0;
            continue;
        }
        return sr_via_parse(v, item, &e) == 0 ? v : NULL;
    }
    return NULL;
}

/* sr_build_ack_is_ours() for the message this head makes, from the fields it reads: the
 * first To, From, CSeq and Call-ID (their eager values) and the top Via; @p ctx is the key
 * (sr__msg_parse_hook, msg_int.h). */
static bool head_ack_ours(const sr_start_line *sl, const sr_header *hv, size_t nh, const void *ctx)
{
    const uint8_t *key = ctx;
    if (!sl->is_request || sl->method_id != SR_METHOD_ACK)
        return false;
    sr__ack_idx f;
    sr__head_ack_fields(hv, nh, &f);
    size_t to = f.to, from = f.from, cseq = f.cseq, cid = f.cid;
    sr_parse_error e;
    sr_nameaddr tna;
    if (to == nh || sr_nameaddr_parse(&tna, hv[to].value, &e) != 0 ||
        tna.tag.len != SR_BUILD_TAG_LEN)
        return false;
    sr_via v;
    const sr_via *tv = sr__head_top_via(hv, nh, f.via, f.via2, &v);
    sr_nameaddr fna;
    sr_str ftag =
        from < nh && sr_nameaddr_parse(&fna, hv[from].value, &e) == 0 ? fna.tag : SR_STR_NULL;
    sr_cseq cs;
    uint32_t num = cseq < nh && sr_cseq_parse(&cs, hv[cseq].value, &e) == 0 ? cs.num : 0;
    sr_str call_id = cid < nh ? hv[cid].value : SR_STR_NULL;
    char tag[SR_BUILD_TAG_LEN];
    sr__hex64(sr__request_hash_fields(key, "to-tag", tv, call_id, ftag, num), tag);
    return memcmp(tag, tna.tag.p, SR_BUILD_TAG_LEN) == 0;
}

ptrdiff_t sr__head_accepted(const char *buf, size_t len, const sr_parse_opts *opts,
                            sr_start_line *sl, sr_header *hv, size_t *nh, bool *plain)
{
    bool stream = opts->framing == SR_FRAMING_STREAM;
    if (opts->max_headers && opts->max_headers < *nh)
        *nh = opts->max_headers;
    ptrdiff_t hl = sr__parse_head_plain(buf, len, 0, sl, hv, nh, NULL, plain);
    if (hl < 0)
        return -1; /* sr_msg_parse's error, or more fields than hv holds */
    /* the framing as sr_msg_parse checks it: every Content-Length parses and agrees, the
     * body is all there (RFC 3261 §18.3), the whole fits max_size */
    int64_t cl = -1;
    for (size_t k = 0; k < *nh; k++) {
        uint32_t v;
        if (hv[k].id != SR_HDR_CONTENT_LENGTH)
            continue;
        if (sr_uint32_parse(hv[k].value, &v) || (cl >= 0 && cl != (int64_t)v))
            return -1;
        cl = v;
    }
    size_t head = (size_t)hl, avail = len - head;
    if ((cl >= 0 && (uint64_t)cl > avail) || (cl < 0 && stream))
        return -1;
    if (head + (cl >= 0 ? (size_t)cl : avail) > opts->max_size)
        return -1;
    return hl;
}

/* What the head of @p buf says, when sr_msg_parse() with @p opts would accept it: OURS, an
 * ACK of ours under @p key; NOT_OURS, anything else that parses (its head left in @p h for
 * the message); UNSURE, not decided here (a head sr_msg_parse refuses, more fields than the
 * stack array, an ACK after CRLFs): the message decides then. */
enum head_verdict { UNSURE, OURS, NOT_OURS };

typedef struct head_read {
    sr_header hv[HEAD_FIELDS];
    size_t nh;
    sr_start_line sl;
    ptrdiff_t len;
    bool plain;
} head_read;

static enum head_verdict head_says(const char *buf, size_t len, const sr_parse_opts *opts,
                                   const uint8_t *key, head_read *h)
{
    h->nh = HEAD_FIELDS;
    h->len = sr__head_accepted(buf, len, opts, &h->sl, h->hv, &h->nh, &h->plain);
    if (h->len < 0)
        return UNSURE;
    return head_ack_ours(&h->sl, h->hv, h->nh, key) ? OURS : NOT_OURS;
}

int sr_build_parse_absorb_ack(sr_msg **out, const char *buf, size_t len, const sr_parse_opts *opts,
                              const uint8_t *key, sr_parse_error *err)
{
    if (!out || (!buf && len))
        return sr_msg_parse(out, buf, len, opts, err); /* its SR_EINVAL */
    sr_parse_opts def;
    const sr_parse_opts *o = sr__parse_opts_full(opts, &def); /* as sr_msg_parse takes them */
    /* an ACK's head first: the one of ours is absorbed with no message built, another one's
     * message is made from the head read (sr__msg_parse_rest); anything else goes to
     * sr_msg_parse (with validation, the message is needed first) */
    enum head_verdict v = UNSURE;
    head_read h;
    if (len > 4 && memcmp(buf, "ACK ", 4) == 0 && !(o->flags & SR_PARSE_VALIDATE))
        v = head_says(buf, len, o, key, &h);
    if (v == OURS)
        return SR_BUILD_ACK_ABSORBED;
    if (v == NOT_OURS)
        return sr__msg_parse_rest(out, buf, len, o, (size_t)h.len, &h.sl, h.hv, h.nh, h.plain, err);
    sr_msg *m = NULL;
    int rc = sr_msg_parse(&m, buf, len, opts, err);
    if (rc == 0 && sr_msg_method(m) == SR_METHOD_ACK && sr_build_ack_is_ours(m, key)) {
        sr_msg_free(m);
        return SR_BUILD_ACK_ABSORBED;
    }
    if (rc == 0)
        *out = m;
    return rc;
}
