/* sipreply core: semantic checks of a framed message, each with a 400-ready phrase.
 * RFC 3261 §8.1.1 (mandatory headers), §8.2.2-§8.2.3, §20 (single-valued fields), §21.5.6. */
#include <string.h>

#include "sipreply/uri.h"

#include "lint_int.h"
#include "msg_int.h"

static int verr(sr_parse_error *err, int code, const sr_msg *m, const sr_header *h, int hdr,
                const char *phrase)
{
    size_t off = h && m->bytes && h->raw.p ? (size_t)(h->raw.p - m->bytes) : 0;
    return sr__perr(err, code, off, hdr, phrase);
}

typedef struct single_rule {
    enum sr_hdr_id id;
    const char *missing;
    const char *dup;
} single_rule;

/* Mandatory in every request and response (RFC 3261 §8.1.1, §8.2.6.2, §20); Max-Forwards
 * is not required here: RFC 2543 peers omit it (RFC 4475 §3.4.1), see docs/parser.md. */
static const single_rule singles[] = {
    {SR_HDR_VIA, "Missing Via header field", NULL},
    {SR_HDR_TO, "Missing To header field", "Duplicate To header field"},
    {SR_HDR_FROM, "Missing From header field", "Duplicate From header field"},
    {SR_HDR_CALL_ID, "Missing Call-ID header field", "Duplicate Call-ID header field"},
    {SR_HDR_CSEQ, "Missing CSeq header field", "Duplicate CSeq header field"},
    {SR_HDR_MAX_FORWARDS, NULL, "Duplicate Max-Forwards header field"},
};

/* Call-ID = word [ "@" word ] (RFC 3261 §25.1): the words' bytes by the class table, the
 * one '@' found where the first run of them stops */
static bool call_id_ok(sr_str v)
{
    size_t i = sr__span(v.p, 0, v.len, SR__C_WORD);
    if (i == v.len)
        return v.len != 0;
    if (v.p[i] != '@' || i == 0 || i + 1 == v.len)
        return false;
    return sr__span(v.p, i + 1, v.len, SR__C_WORD) == v.len;
}

/* The CSeq method is the request's. A known method's id says it (sr_method_from_str matches
 * the exact, case-sensitive name, RFC 3261 §7.1); two extension methods go by their bytes. */
static bool cseq_method_is_request_method(const sr_msg *m)
{
    if (m->cseq.method_id != SR_METHOD_OTHER || m->sl.method_id != SR_METHOD_OTHER)
        return m->cseq.method_id == m->sl.method_id;
    return sr_str_eq(m->cseq.method, m->sl.method);
}

/* Full URI grammar (RFC 3261 §19.1, §25.1; RFC 3966) for a URI slice inside the message: the
 * head parser only checks what the request line alone needs, to stay fast. The outcome
 * depends on the URI's bytes alone, so @p c (when not NULL) remembers it by them. */
static int uri_check(const sr_msg *m, sr_lint_cache *c, sr_str uri, int hdr, const char *phrase,
                     sr_parse_error *err)
{
    sr__lc_val v = {0, 0};
    uint64_t h = 0;
    bool memo = c && sr__lc_fits(uri.len), found = false;
    if (memo) {
        h = sr__lc_hash(SR__LC_URI, uri.p, uri.len);
        found = sr__lc_get(c, h, SR__LC_URI, uri.p, uri.len, &v);
    }
    if (!found) {
        sr_uri u;
        sr_parse_error e;
        if (sr_uri_parse(&u, uri.p, uri.len, &e) != 0)
            v = (sr__lc_val){(uint32_t)e.offset, SR__LC_BAD};
        if (memo)
            sr__lc_put(c, h, SR__LC_URI, uri.p, uri.len, &v);
    }
    if (!(v.flags & SR__LC_BAD))
        return 0;
    size_t off = m->bytes && uri.p ? (size_t)(uri.p - m->bytes) + v.off : 0;
    return sr__perr(err, SR_EBADMSG, off, hdr, phrase);
}

/* Every item of one Contact, Route or Record-Route header value @p value: its name-addr (or
 * contact) syntax and its URI's. 0, or SR__LC_BAD in v->flags with the offset of the first
 * error from the value's start (SR__LC_ABS0: the offset is 0 wherever the value is). */
static void addr_list_check(sr_str value, enum sr_hdr_id id, sr__lc_val *v)
{
    size_t pos = 0;
    sr_str item;
    sr_parse_error e;
    v->flags = 0;
    v->off = 0;
    while (sr_value_next(value, &pos, &item)) {
        int rc;
        sr_str u = SR_STR_NULL;
        bool c_star = false;
        if (id == SR_HDR_CONTACT) {
            sr_contact c;
            rc = sr_contact_parse(&c, item, &e);
            if (rc == 0) {
                u = c.addr.uri;
                c_star = c.star;
            }
        } else {
            sr_nameaddr na;
            rc = sr_nameaddr_parse(&na, item, &e);
            if (rc == 0)
                u = na.uri;
        }
        if (rc) {
            v->flags = SR__LC_BAD;
            v->off = (uint32_t)((size_t)(item.p - value.p) + e.offset);
            return;
        }
        if (c_star)
            continue;
        sr_uri pu;
        if (sr_uri_parse(&pu, u.p, u.len, &e) != 0) {
            v->flags = u.p ? SR__LC_BAD : SR__LC_BAD | SR__LC_ABS0;
            v->off = u.p ? (uint32_t)((size_t)(u.p - value.p) + e.offset) : 0;
            return;
        }
    }
}

int sr__msg_ruri_scheme(const sr_msg *m, int *scheme)
{
    sr_str u = m->sl.uri;
    if (!m->ruri_ok) {
        sr_uri pu;
        if (sr_uri_parse(&pu, u.p, u.len, NULL) != 0)
            return SR_EBADMSG;
        *scheme = (int)pu.kind;
        return 0;
    }
    /* it parsed: its scheme is the text before its first ':', as sr_uri_parse reads it,
     * compared without case (OR-ing 0x20 maps only 'S' onto 's', and so on for letters) */
    const char *q = u.p;
    size_t n = 0;
    while (n < u.len && q[n] != ':')
        n++;
    bool sip = n >= 3 && (q[0] | 0x20) == 's' && (q[1] | 0x20) == 'i' && (q[2] | 0x20) == 'p';
    if (n == 3 && sip)
        *scheme = SR_URI_SIP;
    else if (n == 4 && sip && (q[3] | 0x20) == 's')
        *scheme = SR_URI_SIPS;
    else if (n == 3 && (q[0] | 0x20) == 't' && (q[1] | 0x20) == 'e' && (q[2] | 0x20) == 'l')
        *scheme = SR_URI_TEL;
    else
        *scheme = SR_URI_OTHER;
    return 0;
}

int sr_msg_validate(const sr_msg *m, sr_parse_error *err)
{
    return sr__msg_validate_c(m, NULL, err);
}

int sr__msg_validate_c(const sr_msg *m, sr_lint_cache *c, sr_parse_error *err)
{
    if (!m)
        return sr__perr(err, SR_EINVAL, 0, SR_HDR_NONE, "Invalid argument");
    /* RFC 3261 §7.1, §21.5.6: a version other than 2.0 gets 505 */
    if (m->sl.version_major != 2 || m->sl.version_minor != 0)
        return sr__perr(err, SR_EVERSION, m->bytes ? (size_t)(m->sl.version.p - m->bytes) : 0,
                        SR_HDR_NONE, "Version Not Supported");
    /* An unknown scheme parses (as an opaque absolute URI) so that a UAS can answer 416. */
    if (m->sl.is_request) {
        int rc = uri_check(m, c, m->sl.uri, SR_HDR_NONE, "Bad Request-URI", err);
        if (rc)
            return rc;
        ((sr_msg *)(uintptr_t)m)->ruri_ok = true; /* a memo, as the lazy Vias (msg.c) */
    }
    for (size_t r = 0; r < sizeof singles / sizeof singles[0]; r++) {
        /* sr_msg_header_find() on the index itself: the first and the second of the id */
        size_t k = m->first[singles[r].id];
        if (k == SR__NOIDX) {
            if (singles[r].missing)
                return sr__perr(err, SR_EMISSING, m->head_len, (int)singles[r].id,
                                singles[r].missing);
            continue;
        }
        size_t k2 = m->next[k];
        if (k2 != SR__NOIDX && singles[r].dup)
            return verr(err, SR_EBADMSG, m, &m->hdrs[k2], (int)singles[r].id, singles[r].dup);
    }
    /* Via values come first: they were parsed first before the Via list became lazy */
    sr__msg_vias_all((sr_msg *)(uintptr_t)m);
    if (m->via_err.code) {
        if (err)
            *err = m->via_err;
        return m->via_err.code;
    }
    if (m->eager.code) {
        if (err)
            *err = m->eager;
        return m->eager.code;
    }
    sr__msg_fresh((sr_msg *)(uintptr_t)m, SR__STALE_TO | SR__STALE_FROM | SR__STALE_CSEQ);
    /* a To URI written as the Request-URI (an initial request's usual To) passed with it:
     * uri_check's outcome depends on the bytes alone */
    bool to_is_ruri = m->sl.is_request && m->to.uri.len == m->sl.uri.len && m->to.uri.p &&
                      m->sl.uri.p && memcmp(m->to.uri.p, m->sl.uri.p, m->sl.uri.len) == 0;
    if (m->has_to && m->to.uri.p && !to_is_ruri) {
        int rc = uri_check(m, c, m->to.uri, SR_HDR_TO, "Bad To header field", err);
        if (rc)
            return rc;
    }
    if (m->has_from && m->from.uri.p) {
        int rc = uri_check(m, c, m->from.uri, SR_HDR_FROM, "Bad From header field", err);
        if (rc)
            return rc;
    }
    if (!call_id_ok(m->call_id))
        return verr(err, SR_EBADMSG, m, sr_msg_header_find(m, SR_HDR_CALL_ID, NULL), SR_HDR_CALL_ID,
                    "Bad Call-ID header field");
    /* RFC 3261 §8.1.1.5, §20.16 : the CSeq method matches the request method */
    if (m->sl.is_request && !cseq_method_is_request_method(m))
        return verr(err, SR_EBADMSG, m, sr_msg_header_find(m, SR_HDR_CSEQ, NULL), SR_HDR_CSEQ,
                    "CSeq method does not match request method");
    /* On-demand values a UAS/registrar relies on: Contact, Route, Record-Route. */
    static const enum sr_hdr_id addr_lists[] = {SR_HDR_CONTACT, SR_HDR_ROUTE, SR_HDR_RECORD_ROUTE};
    static const char *const addr_phrase[] = {"Bad Contact header field", "Bad Route header field",
                                              "Bad Record-Route header field"};
    static const unsigned addr_kind[] = {SR__LC_CONTACT, SR__LC_ROUTE, SR__LC_RECORD_ROUTE};
    for (size_t r = 0; r < 3; r++) {
        /* sr_msg_header_find() on the index itself, as for the single fields above */
        for (size_t k = m->first[addr_lists[r]]; k != SR__NOIDX; k = m->next[k]) {
            const sr_header *h = &m->hdrs[k];
            sr__lc_val v;
            sr_str val = h->value;
            bool memo = c && sr__lc_fits(val.len);
            uint64_t hash = memo ? sr__lc_hash(addr_kind[r], val.p, val.len) : 0;
            if (!memo || !sr__lc_get(c, hash, addr_kind[r], val.p, val.len, &v)) {
                addr_list_check(val, addr_lists[r], &v);
                if (memo)
                    sr__lc_put(c, hash, addr_kind[r], val.p, val.len, &v);
            }
            if (v.flags & SR__LC_BAD)
                return sr__perr(
                    err, SR_EBADMSG,
                    m->bytes && !(v.flags & SR__LC_ABS0) ? (size_t)(val.p - m->bytes) + v.off : 0,
                    (int)addr_lists[r], addr_phrase[r]);
        }
    }
    return 0;
}
