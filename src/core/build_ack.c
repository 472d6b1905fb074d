/* sipreply core: the ACK of a stateless element's non-2xx final recognised from the head of
 * its datagram, before any message is built. RFC 3261 §17.1.1.3 (that ACK keeps the INVITE's
 * top Via branch, Call-ID, From tag and CSeq number, and carries the To tag of the response),
 * §8.2.7 and §17.2.1 (a stateless element has no transaction to absorb it: it recognises the
 * To tag it derived, sr_build_to_tag, and sends nothing). */
#include <string.h>

#include "sipreply/build.h"

#include "build_int.h"
#include "msg_int.h"

/* the next field with @p id at or after @p k, or h->nh */
static size_t next_of(const sr__head *h, enum sr_hdr_id id, size_t k)
{
    while (k < h->nh && h->hv[k].id != id)
        k++;
    return k;
}

/* The top Via value as sr_msg_via(m, 0) gives it for the message sr_msg_parse() builds from
 * this head (msg.c, parse_eager and via_parse_more): the first value of the first Via field
 * (of a later one when the first holds none), NULL when none parses. */
static const sr_via *top_via(const sr__head *h, size_t k, sr_via *v)
{
    if (k >= h->nh)
        return NULL;
    sr_parse_error e;
    sr_str val = h->hv[k].value;
    bool more = next_of(h, SR_HDR_VIA, k + 1) < h->nh || memchr(val.p, ',', val.len) != NULL;
    if (!more) /* one field, one value, trimmed already */
        return val.len && sr_via_parse(v, val, &e) == 0 ? v : NULL;
    size_t pos = 0;
    while (k < h->nh) {
        sr_str item;
        if (!sr_value_next(h->hv[k].value, &pos, &item)) {
            k = next_of(h, SR_HDR_VIA, k + 1);
            pos = 0;
            continue;
        }
        return sr_via_parse(v, item, &e) == 0 ? v : NULL;
    }
    return NULL;
}

/* sr_build_ack_is_ours() for the message this head makes, from the fields it reads: the
 * first To, From, CSeq and Call-ID (their eager values) and the top Via. */
static bool head_ack_ours(const sr__head *h, const uint8_t *key)
{
    if (!h->sl.is_request || h->sl.method_id != SR_METHOD_ACK)
        return false;
    size_t nh = h->nh, via = nh, to = nh, from = nh, cseq = nh, cid = nh;
    for (size_t k = 0; k < nh; k++) {
        switch (h->hv[k].id) {
        case SR_HDR_VIA: via = via < nh ? via : k; break;
        case SR_HDR_TO: to = to < nh ? to : k; break;
        case SR_HDR_FROM: from = from < nh ? from : k; break;
        case SR_HDR_CSEQ: cseq = cseq < nh ? cseq : k; break;
        case SR_HDR_CALL_ID: cid = cid < nh ? cid : k; break;
        default: break;
        }
    }
    sr_parse_error e;
    sr_nameaddr tna;
    if (to == nh || sr_nameaddr_parse(&tna, h->hv[to].value, &e) != 0 ||
        tna.tag.len != SR_BUILD_TAG_LEN)
        return false;
    sr_via v;
    const sr_via *tv = top_via(h, via, &v);
    sr_nameaddr fna;
    sr_str ftag =
        from < nh && sr_nameaddr_parse(&fna, h->hv[from].value, &e) == 0 ? fna.tag : SR_STR_NULL;
    sr_cseq cs;
    uint32_t num = cseq < nh && sr_cseq_parse(&cs, h->hv[cseq].value, &e) == 0 ? cs.num : 0;
    sr_str call_id = cid < nh ? h->hv[cid].value : SR_STR_NULL;
    char tag[SR_BUILD_TAG_LEN];
    sr__hex64(sr__request_hash_fields(key, "to-tag", tv, call_id, ftag, num), tag);
    return memcmp(tag, tna.tag.p, SR_BUILD_TAG_LEN) == 0;
}

int sr_build_parse_absorb_ack(sr_msg **out, const char *buf, size_t len, const sr_parse_opts *opts,
                              const uint8_t *key, sr_parse_error *err)
{
    sr_parse_opts def;
    opts = sr__parse_opts_or_default(opts, &def);
    if (!out || (!buf && len))
        return sr__perr(err, SR_EINVAL, 0, SR_HDR_NONE, "Invalid argument");
    sr__head h;
    int rc = sr__msg_frame(&h, buf, len, opts, err);
    bool validate = (opts->flags & SR_PARSE_VALIDATE) != 0;
    if (rc == 0 && !validate && head_ack_ours(&h, key)) {
        rc = SR_BUILD_ACK_ABSORBED;
    } else if (rc == 0) {
        sr_msg *m = NULL;
        rc = sr__msg_from_head(&m, &h, buf, opts, err);
        if (rc == 0 && validate && sr_build_ack_is_ours(m, key)) {
            /* validated first, as sr_msg_parse() would */
            sr_msg_free(m);
            rc = SR_BUILD_ACK_ABSORBED;
        } else if (rc == 0) {
            *out = m;
        }
    }
    sr__head_done(&h, opts);
    return rc;
}
