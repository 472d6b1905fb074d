/* sipreply bench: the sipreply engines (built only when include/sipreply/parse.h declares
 * sr_msg_parse). sr_msg_parse() of one message (RFC 3261 §7, §18.3 datagram framing). */
#include <sipreply/msg.h>
#include <sipreply/parse.h>
#include <sipreply/str.h>
#include <sipreply/version.h>

#include "bench.h"

static void slice(sr_str s, const char **p, size_t *len)
{
    if (s.p != NULL) {
        *p = s.p;
        *len = s.len;
    }
}

static void read_fields(const sr_msg *m, bench_fields *out)
{
    const sr_via *via = sr_msg_via(m, 0);
    const sr_nameaddr *from = sr_msg_from(m);
    const sr_nameaddr *to = sr_msg_to(m);
    const sr_cseq *cseq = sr_msg_cseq(m);
    bench_view v = {0};

    if (via != NULL)
        slice(via->branch, &v.branch, &v.branch_len);
    if (from != NULL)
        slice(from->tag, &v.from_tag, &v.from_tag_len);
    if (to != NULL)
        slice(to->tag, &v.to_tag, &v.to_tag_len);
    slice(sr_msg_call_id(m), &v.call_id, &v.call_id_len);
    if (cseq != NULL) {
        v.cseq = cseq->num;
        slice(cseq->method, &v.method, &v.method_len);
    }
    bench_consume(&v, out);
}

/* "sipreply": what sr_msg_parse() does by default — frame the message, split and index every
 * header line, parse the Via list, To, From, CSeq, Call-ID, Max-Forwards and Content-Length
 * eagerly; other headers stay raw until asked for. */
static int parse_default(const char *buf, size_t len, bench_fields *out)
{
    sr_msg *m = NULL;

    if (sr_msg_parse(&m, buf, len, NULL, NULL) != 0)
        return -1;
    read_fields(m, out);
    sr_msg_free(m);
    return 0;
}

/* Parse every value of one header with the typed parser Sofia-SIP would use for it. */
static int parse_header_value(const sr_header *h)
{
    sr_str item;
    size_t pos = 0;
    uint32_t n;

    switch (h->id) {
    case SR_HDR_CONTACT:
        while (sr_value_next(h->value, &pos, &item)) {
            sr_contact c;
            if (sr_contact_parse(&c, item, NULL) != 0)
                return -1;
            bench_sink += c.addr.uri.len;
        }
        return 0;
    case SR_HDR_ROUTE:
    case SR_HDR_RECORD_ROUTE:
        while (sr_value_next(h->value, &pos, &item)) {
            sr_nameaddr a;
            if (sr_nameaddr_parse(&a, item, NULL) != 0)
                return -1;
            bench_sink += a.uri.len;
        }
        return 0;
    case SR_HDR_AUTHORIZATION:
    case SR_HDR_PROXY_AUTHORIZATION:
    case SR_HDR_WWW_AUTHENTICATE:
    case SR_HDR_PROXY_AUTHENTICATE: {
        sr_auth a;
        sr_str name, value;
        if (sr_auth_parse(&a, h->value, NULL) != 0)
            return -1;
        while (sr_auth_param_next(&a, &pos, &name, &value))
            bench_sink += name.len + value.len;
        return 0;
    }
    case SR_HDR_EXPIRES:
    case SR_HDR_MIN_SE:
    case SR_HDR_SESSION_EXPIRES: {
        /* delta-seconds, then ;params for Min-SE and Session-Expires (RFC 4028 §4-5) */
        sr_str delta = h->value;
        for (size_t i = 0; i < delta.len; i++)
            if (delta.p[i] == ';' || delta.p[i] == ' ' || delta.p[i] == '\t') {
                delta.len = i;
                break;
            }
        if (sr_uint32_parse(delta, &n) != 0)
            return -1;
        bench_sink += n;
        return 0;
    }
    default:
        if (sr_hdr_flags(h->id) & SR_HDRF_LIST)
            while (sr_value_next(h->value, &pos, &item))
                bench_sink += item.len;
        return 0;
    }
}

/* "sipreply-full": the same work Sofia-SIP's msg_extract() does — sr_msg_parse() with
 * SR_PARSE_VALIDATE (mandatory headers, duplicates, CSeq method, Contact/Route/Record-Route),
 * then every remaining header parsed into its typed value and every list split. */
static int parse_full(const char *buf, size_t len, bench_fields *out)
{
    sr_msg *m = NULL;
    sr_parse_opts opts;
    int rc = -1;

    sr_parse_opts_init(&opts);
    opts.flags |= SR_PARSE_VALIDATE;
    if (sr_msg_parse(&m, buf, len, &opts, NULL) != 0)
        return -1;
    for (size_t i = 0, n = sr_msg_header_count(m); i < n; i++)
        if (parse_header_value(sr_msg_header_at(m, i)) != 0)
            goto out;
    read_fields(m, out);
    rc = 0;
out:
    sr_msg_free(m);
    return rc;
}

const bench_engine bench_engine_sipreply = {"sipreply", "sipreply " SR_VERSION_STRING, NULL,
                                            parse_default};
const bench_engine bench_engine_sipreply_full = {"sipreply-full", "sipreply " SR_VERSION_STRING,
                                                 NULL, parse_full};
