/* sipreply core: the linter — the rule catalogue and the checks behind each rule.
 * RFC 3261 §7, §8.1.1, §8.2.6, §9.2, §10.2.2, §11.2, §12.1.1, §17, §20, §21; RFC 4320 §4.1. */
#include <string.h>

#include "sipreply/lint.h"
#include "sipreply/status.h"

#include "build_int.h"
#include "core_int.h"
#include "lint_int.h"
#include "msg_int.h"

static const sr_lint_rule rules[] = {
#define SR_LINT_ROW_(name, id, sev, scope, sec, msg) \
    {SR_LINT_##name, id, SR_LINT_##sev, SR_LINT_##scope, sec, msg},
    SR_LINT_RULES(SR_LINT_ROW_)
#undef SR_LINT_ROW_
};

size_t sr_lint_rule_count(void)
{
    return SR_LINT__COUNT;
}

const sr_lint_rule *sr_lint_rule_at(size_t i)
{
    return i < SR_LINT__COUNT ? &rules[i] : NULL;
}

const sr_lint_rule *sr_lint_rule_find(const char *id)
{
    if (!id)
        return NULL;
    for (size_t i = 0; i < SR_LINT__COUNT; i++) {
        if (strcmp(rules[i].id, id) == 0)
            return &rules[i];
    }
    return NULL;
}

const char *sr_lint_severity_name(sr_lint_severity s)
{
    return s == SR_LINT_MUST ? "MUST" : s == SR_LINT_SHOULD ? "SHOULD" : "?";
}

void sr_lint_opts_init(sr_lint_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

size_t sr_lint_must_count(const sr_lint_finding *f, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; f && i < n; i++) {
        if (f[i].rule && f[i].rule->severity == SR_LINT_MUST)
            c++;
    }
    return c;
}

/* The findings being collected. */
typedef struct sink {
    sr_lint_finding *out;
    size_t cap;
    size_t n;
    size_t must;
} sink;

static void report(sink *s, sr_lint_rule_id r, const char *arg)
{
    if (s->n < s->cap) {
        s->out[s->n].rule = &rules[r];
        s->out[s->n].arg = arg;
    }
    s->n++;
    if (rules[r].severity == SR_LINT_MUST)
        s->must++;
}

static bool has(const sr_msg *m, enum sr_hdr_id id)
{
    return m->first[id] != SR__NOIDX; /* sr_msg_header_find(m, id, NULL) != NULL */
}

static bool has_name(const sr_msg *m, const char *name)
{
    return sr_msg_header_find_name(m, sr_str_from_cstr(name), NULL) != NULL;
}

static sr_str trim(sr_str s)
{
    while (s.len && (s.p[0] == ' ' || s.p[0] == '\t' || s.p[0] == '\r' || s.p[0] == '\n')) {
        s.p++;
        s.len--;
    }
    while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t' || s.p[s.len - 1] == '\r' ||
                     s.p[s.len - 1] == '\n'))
        s.len--;
    return s;
}

/* The cache of @p o, when its struct is recent enough to have one. */
static sr_lint_cache *opts_cache(const sr_lint_opts *o)
{
    return o && o->size >= offsetof(sr_lint_opts, cache) + sizeof o->cache ? o->cache : NULL;
}

/* Header fields that take exactly one value (RFC 3261 §7.3.1, §20; extensions). */
static const enum sr_hdr_id single_hdrs[] = {
    SR_HDR_TO,           SR_HDR_FROM,           SR_HDR_CALL_ID,           SR_HDR_CSEQ,
    SR_HDR_MAX_FORWARDS, SR_HDR_CONTENT_LENGTH, SR_HDR_CONTENT_TYPE,      SR_HDR_EXPIRES,
    SR_HDR_MIN_EXPIRES,  SR_HDR_MIN_SE,         SR_HDR_SESSION_EXPIRES,   SR_HDR_RSEQ,
    SR_HDR_RACK,         SR_HDR_RETRY_AFTER,    SR_HDR_TIMESTAMP,         SR_HDR_DATE,
    SR_HDR_MIME_VERSION, SR_HDR_EVENT,          SR_HDR_SUBSCRIPTION_STATE};

/* single_hdrs by id: index + 1 (0: not one of them); keep in step with single_hdrs */
static const uint8_t single_bit[SR_HDR__COUNT] = {[SR_HDR_TO] = 1,
                                                  [SR_HDR_FROM] = 2,
                                                  [SR_HDR_CALL_ID] = 3,
                                                  [SR_HDR_CSEQ] = 4,
                                                  [SR_HDR_MAX_FORWARDS] = 5,
                                                  [SR_HDR_CONTENT_LENGTH] = 6,
                                                  [SR_HDR_CONTENT_TYPE] = 7,
                                                  [SR_HDR_EXPIRES] = 8,
                                                  [SR_HDR_MIN_EXPIRES] = 9,
                                                  [SR_HDR_MIN_SE] = 10,
                                                  [SR_HDR_SESSION_EXPIRES] = 11,
                                                  [SR_HDR_RSEQ] = 12,
                                                  [SR_HDR_RACK] = 13,
                                                  [SR_HDR_RETRY_AFTER] = 14,
                                                  [SR_HDR_TIMESTAMP] = 15,
                                                  [SR_HDR_DATE] = 16,
                                                  [SR_HDR_MIME_VERSION] = 17,
                                                  [SR_HDR_EVENT] = 18,
                                                  [SR_HDR_SUBSCRIPTION_STATE] = 19};

/* ------------------------------------------------------------------ any message */

static void lint_common(const sr_msg *m, const sr_lint_opts *o, sink *s)
{
    const sr_start_line *sl = sr_msg_start_line(m);
    size_t must_before = s->must;
    if (sl->version_major != 2 || sl->version_minor != 0)
        report(s, SR_LINT_MSG_VERSION, NULL);
    if (sr_msg_via_count(m) == 0)
        report(s, SR_LINT_MSG_VIA, NULL);
    if (!has(m, SR_HDR_FROM))
        report(s, SR_LINT_MSG_FROM, NULL);
    if (!has(m, SR_HDR_TO))
        report(s, SR_LINT_MSG_TO, NULL);
    if (!has(m, SR_HDR_CALL_ID))
        report(s, SR_LINT_MSG_CALL_ID, NULL);
    if (!has(m, SR_HDR_CSEQ) || !sr_msg_cseq(m))
        report(s, SR_LINT_MSG_CSEQ, NULL);
    /* one pass over the headers: which of single_hdrs came twice (reported in its order) */
    uint32_t seen = 0, twice = 0;
    for (size_t k = 0, nh = m->nhdrs; k < nh; k++) {
        unsigned bit = single_bit[m->hdrs[k].id];
        if (bit) {
            uint32_t b = 1u << (bit - 1);
            twice |= seen & b;
            seen |= b;
        }
    }
    for (size_t i = 0; twice && i < sizeof single_hdrs / sizeof single_hdrs[0]; i++) {
        if (twice & (1u << i))
            report(s, SR_LINT_MSG_SINGLE, sr_hdr_name(single_hdrs[i]));
    }
    sr_str body = sr_msg_body(m);
    if (body.len && !has(m, SR_HDR_CONTENT_TYPE))
        report(s, SR_LINT_MSG_CONTENT_TYPE, NULL);
    int64_t cl = sr_msg_content_length(m);
    if (!has(m, SR_HDR_CONTENT_LENGTH)) {
        report(s, SR_LINT_MSG_CONTENT_LENGTH_ABSENT, NULL);
    } else if (cl < 0 || (uint64_t)cl != body.len) {
        report(s, SR_LINT_MSG_CONTENT_LENGTH, NULL);
    } else if (o && o->input_len && o->input_len > sr_msg_size(m)) {
        /* §18.3: bytes after the declared body in a datagram are discarded: the sender
         * declared fewer bytes than it sent. */
        report(s, SR_LINT_MSG_CONTENT_LENGTH, "bytes after the declared body");
    }
    /* Anything else the validator rejects (a Via or CSeq that does not parse...). */
    sr_parse_error pe;
    memset(&pe, 0, sizeof pe);
    bool structural = s->must != must_before;
    if (!structural && sr__msg_validate_c(m, opts_cache(o), &pe) != 0 && pe.code != SR_EVERSION) {
        bool covered = sr_msg_is_request(m) && (pe.hdr == SR_HDR_MAX_FORWARDS ||
                                                (pe.hdr == SR_HDR_CSEQ && pe.code != SR_EMISSING));
        if (!covered)
            report(s, SR_LINT_MSG_SYNTAX, pe.phrase);
    }
}

/* ------------------------------------------------------------------ requests */

static void lint_request(const sr_msg *m, sink *s)
{
    sr_method meth = sr_msg_method(m);
    if (sr_msg_max_forwards(m) < 0)
        report(s, SR_LINT_REQ_MAX_FORWARDS, NULL);
    const sr_cseq *cs = sr_msg_cseq(m);
    if (cs) {
        if (!sr_str_eq(cs->method, sr_msg_method_str(m)))
            report(s, SR_LINT_REQ_CSEQ_METHOD, NULL);
        if (cs->num >= 0x80000000u)
            report(s, SR_LINT_REQ_CSEQ_RANGE, NULL);
    }
    const sr_via *v = sr_msg_via(m, 0);
    if (v && (v->branch.len <= 7 || memcmp(v->branch.p, "z9hG4bK", 7) != 0))
        report(s, SR_LINT_REQ_VIA_BRANCH, NULL);
    const sr_nameaddr *from = sr_msg_from(m);
    if (from && (!from->tag.p || from->tag.len == 0))
        report(s, SR_LINT_REQ_FROM_TAG, NULL);
    size_t ncontact = 0;
    bool star = false;
    for (const sr_header *h = sr_msg_header_find(m, SR_HDR_CONTACT, NULL); h;
         h = sr_msg_header_find(m, SR_HDR_CONTACT, h)) {
        size_t pos = 0;
        sr_str item;
        while (sr_value_next(h->value, &pos, &item)) {
            ncontact++;
            if (sr_str_eq(trim(item), SR_STR("*")))
                star = true;
        }
    }
    if (meth == SR_METHOD_INVITE && ncontact != 1)
        report(s, SR_LINT_REQ_CONTACT, NULL);
    if (star && (meth != SR_METHOD_REGISTER || ncontact != 1 || sr_msg_expires(m) != 0))
        report(s, SR_LINT_REQ_CONTACT_STAR, NULL);
}

/* ------------------------------------------------------------------ responses */

static size_t contact_count(const sr_msg *m)
{
    size_t n = 0;
    for (const sr_header *h = sr_msg_header_find(m, SR_HDR_CONTACT, NULL); h;
         h = sr_msg_header_find(m, SR_HDR_CONTACT, h)) {
        size_t pos = 0;
        sr_str item;
        while (sr_value_next(h->value, &pos, &item))
            n++;
    }
    return n;
}

static void lint_response(const sr_msg *m, sink *s)
{
    unsigned code = sr_msg_status(m);
    const sr_status_info *info = sr_status_lookup((int)code);
    const sr_cseq *cs = sr_msg_cseq(m);
    sr_method cm = cs ? cs->method_id : SR_METHOD_OTHER;
    if (!info) {
        const sr_status_info *legacy = sr_status_legacy_lookup((int)code);
        report(s, SR_LINT_RESP_CODE_UNREGISTERED,
               legacy ? "a legacy or vendor-internal code" : sr_status_phrase((int)code));
    } else {
        sr_str reason = sr_msg_reason(m);
        /* 400 is meant to carry a precise phrase (RFC 3261 §21.4.1), so it is exempt. */
        if (code != 400 && !sr_str_eq(reason, sr_str_from_cstr(info->phrase))) {
            if (reason.len && sr_status_phrase_matches(info, reason))
                report(s, SR_LINT_RESP_REASON_STALE, info->phrase);
            else
                report(s, SR_LINT_RESP_REASON, info->phrase);
        }
        bool one_of = (info->flags & SR_STATUS_F_MUST_ONE_OF) != 0;
        bool any = false;
        for (size_t i = 0; info->must_carry[i]; i++) {
            bool h = has_name(m, info->must_carry[i]);
            any = any || h;
            if (!one_of && !h)
                report(s, SR_LINT_RESP_CODE_HEADER, info->must_carry[i]);
        }
        if (one_of && !any && info->must_carry[0])
            report(s, SR_LINT_RESP_CODE_HEADER, info->must_carry[0]);
        for (size_t i = 0; info->should_carry[i]; i++) {
            if (!has_name(m, info->should_carry[i]))
                report(s, SR_LINT_RESP_CODE_HEADER_SHOULD, info->should_carry[i]);
        }
    }
    const sr_nameaddr *to = sr_msg_to(m);
    bool tagged = to && to->tag.p && to->tag.len;
    if (code != 100 && to && !tagged)
        report(s, SR_LINT_RESP_TO_TAG, NULL);
    if (cm == SR_METHOD_INVITE &&
        ((code >= 200 && code < 300) || (code > 100 && code < 200 && tagged)) &&
        contact_count(m) != 1)
        report(s, SR_LINT_RESP_DIALOG_CONTACT, NULL);
    if (code == 487 && cm == SR_METHOD_CANCEL)
        report(s, SR_LINT_RESP_487_CANCEL, NULL);
    if (cs && cm == SR_METHOD_ACK)
        report(s, SR_LINT_RESP_TO_ACK, NULL);
    if (cs && cm != SR_METHOD_INVITE && code > 100 && code < 200)
        report(s, SR_LINT_RESP_PROVISIONAL_NON_INVITE, NULL);
    if (code == 503 && !has(m, SR_HDR_RETRY_AFTER))
        report(s, SR_LINT_RESP_503_RETRY_AFTER, NULL);
    if (cm == SR_METHOD_INVITE && code >= 200 && code < 300) {
        if (!has(m, SR_HDR_ALLOW))
            report(s, SR_LINT_RESP_INVITE_2XX_CAPS, "Allow");
        if (!has(m, SR_HDR_SUPPORTED))
            report(s, SR_LINT_RESP_INVITE_2XX_CAPS, "Supported");
    }
}

size_t sr_lint_msg(const sr_msg *msg, const sr_lint_opts *o, sr_lint_finding *out, size_t cap)
{
    sink s = {out, out ? cap : 0, 0, 0};
    if (!msg)
        return 0;
    lint_common(msg, o, &s);
    if (sr_msg_is_request(msg))
        lint_request(msg, &s);
    else
        lint_response(msg, &s);
    return s.n;
}

/* ------------------------------------------------------------------ response vs request */

static bool list_has_token(const sr_msg *m, enum sr_hdr_id id, sr_str tok)
{
    for (const sr_header *h = sr_msg_header_find(m, id, NULL); h;
         h = sr_msg_header_find(m, id, h)) {
        size_t pos = 0;
        sr_str item;
        while (sr_value_next(h->value, &pos, &item)) {
            if (sr_str_eq(trim(item), tok))
                return true;
        }
    }
    return false;
}

/* Equal up to linear whitespace outside quoted strings (RFC 3261 §7.3.1: folding and LWS
 * around separators are equivalent), so an unfolded copy equals a folded original. */
static bool lws_eq(sr_str a, sr_str b)
{
    /* the same bytes compare equal below too: the common case, without the walk */
    if (a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0))
        return true;
    size_t i = 0, j = 0;
    bool qa = false, qb = false;
    for (;;) {
        while (!qa && i < a.len &&
               (a.p[i] == ' ' || a.p[i] == '\t' || a.p[i] == '\r' || a.p[i] == '\n'))
            i++;
        while (!qb && j < b.len &&
               (b.p[j] == ' ' || b.p[j] == '\t' || b.p[j] == '\r' || b.p[j] == '\n'))
            j++;
        if (i == a.len || j == b.len)
            return i == a.len && j == b.len;
        if (a.p[i] != b.p[j])
            return false;
        if (a.p[i] == '"') {
            qa = !qa;
            qb = !qb;
        }
        i++;
        j++;
    }
}

/* Compare the values of every header @p id of both messages, in order. */
static bool same_values(const sr_msg *a, const sr_msg *b, enum sr_hdr_id id)
{
    const sr_header *x = sr_msg_header_find(a, id, NULL), *y = sr_msg_header_find(b, id, NULL);
    for (; x && y; x = sr_msg_header_find(a, id, x), y = sr_msg_header_find(b, id, y)) {
        size_t px = 0, py = 0;
        sr_str ix, iy;
        bool mx, my;
        for (;;) {
            mx = sr_value_next(x->value, &px, &ix);
            my = sr_value_next(y->value, &py, &iy);
            if (!mx || !my)
                break;
            if (!lws_eq(ix, iy))
                return false;
        }
        if (mx != my)
            return false;
    }
    return !x && !y;
}

/* The next parameter of @p params at *pos that the server that received the request may
 * have added to its top Via (@p req): received when the request had none (RFC 3261
 * §18.2.1), and the value of an rport the request left empty (RFC 3581 §4) is read as the
 * bare ";rport" it answers. */
static bool next_copied_param(sr_str params, size_t *pos, const sr_via *req, sr_str *name,
                              sr_str *value)
{
    while (sr_param_next(params, pos, name, value)) {
        if (req && !req->received.p && sr_str_caseeq_cstr(*name, "received"))
            continue;
        if (req && req->rport == SR_RPORT_EMPTY && sr_str_caseeq_cstr(*name, "rport"))
            value->p = NULL, value->len = 0;
        return true;
    }
    return false;
}

/* The response's top Via @p resp against the request's @p req: the same sent-protocol and
 * sent-by, and the same parameters in the same order once received/rport filled in by the
 * server are set aside. */
static bool same_top_via(const sr_via *resp, const sr_via *req)
{
    /* a copy byte for byte (the common case) is the same: each has a received parameter
     * when the other has (a parsed received always has a value) and a bare rport in both
     * reads the same; only rport is left to the walk below */
    if (req->rport != SR_RPORT_EMPTY && resp->raw.len == req->raw.len &&
        memcmp(resp->raw.p, req->raw.p, req->raw.len) == 0)
        return true;
    sr_str hx = {resp->raw.p,
                 resp->params.p ? (size_t)(resp->params.p - resp->raw.p) : resp->raw.len};
    sr_str hy = {req->raw.p, req->params.p ? (size_t)(req->params.p - req->raw.p) : req->raw.len};
    if (!lws_eq(hx, hy))
        return false;
    size_t px = 0, py = 0;
    sr_str nx, vx, ny, vy;
    for (;;) {
        bool mx = next_copied_param(resp->params, &px, req, &nx, &vx);
        bool my = next_copied_param(req->params, &py, NULL, &ny, &vy);
        if (!mx || !my)
            return mx == my;
        if (!sr_str_caseeq(nx, ny) || !vx.p != !vy.p || (vx.p && !lws_eq(vx, vy)))
            return false;
    }
}

static bool same_vias(const sr_msg *a, const sr_msg *b)
{
    size_t n = sr_msg_via_count(a);
    if (n != sr_msg_via_count(b))
        return false;
    for (size_t i = 0; i < n; i++) {
        const sr_via *x = sr_msg_via(a, i), *y = sr_msg_via(b, i);
        if (!x || !y)
            return false;
        if (i == 0 ? !same_top_via(x, y) : !lws_eq(x->raw, y->raw))
            return false;
    }
    return true;
}

static void lint_pair(const sr_msg *resp, const sr_msg *req, sink *s)
{
    unsigned code = sr_msg_status(resp);
    sr_method meth = sr_msg_method(req);
    if (!sr_str_eq(sr_msg_call_id(resp), sr_msg_call_id(req)))
        report(s, SR_LINT_PAIR_CALL_ID, NULL);
    const sr_nameaddr *fa = sr_msg_from(resp), *fb = sr_msg_from(req);
    if (fa && fb && (!sr_str_eq(fa->tag, fb->tag) || !sr_str_eq(fa->uri, fb->uri)))
        report(s, SR_LINT_PAIR_FROM, NULL);
    const sr_nameaddr *ta = sr_msg_to(resp), *tb = sr_msg_to(req);
    if (ta && tb && (!sr_str_eq(ta->uri, tb->uri) || (tb->tag.p && !sr_str_eq(ta->tag, tb->tag))))
        report(s, SR_LINT_PAIR_TO, NULL);
    const sr_cseq *ca = sr_msg_cseq(resp), *cb = sr_msg_cseq(req);
    if (ca && cb && (ca->num != cb->num || !sr_str_eq(ca->method, cb->method)))
        report(s, SR_LINT_PAIR_CSEQ, NULL);
    if (!same_vias(resp, req))
        report(s, SR_LINT_PAIR_VIA, NULL);
    bool tagged = ta && ta->tag.p && ta->tag.len;
    if (meth == SR_METHOD_INVITE &&
        ((code >= 200 && code < 300) || (code > 100 && code < 200 && tagged)) &&
        !same_values(resp, req, SR_HDR_RECORD_ROUTE))
        report(s, SR_LINT_PAIR_RECORD_ROUTE, NULL);
    if (code == 100) {
        const sr_header *t = sr_msg_header_find(req, SR_HDR_TIMESTAMP, NULL);
        const sr_header *u = sr_msg_header_find(resp, SR_HDR_TIMESTAMP, NULL);
        if (t && !u)
            report(s, SR_LINT_PAIR_TIMESTAMP, NULL);
    }
    if (code == 405 && list_has_token(resp, SR_HDR_ALLOW, sr_msg_method_str(req)))
        report(s, SR_LINT_PAIR_405_ALLOW, NULL);
    if (meth == SR_METHOD_OPTIONS && code >= 200 && code < 300) {
        static const enum sr_hdr_id caps[] = {SR_HDR_ALLOW, SR_HDR_ACCEPT, SR_HDR_SUPPORTED};
        for (size_t i = 0; i < 3; i++) {
            if (!has(resp, caps[i]))
                report(s, SR_LINT_PAIR_OPTIONS, sr_hdr_name(caps[i]));
        }
    }
}

size_t sr_lint_pair_add(const sr_msg *resp, const sr_msg *req, sr_lint_finding *out, size_t cap,
                        size_t n)
{
    sink s = {out, out ? cap : 0, n, 0};
    if (!resp)
        return 0;
    if (req && sr_msg_is_request(req) && !sr_msg_is_request(resp))
        lint_pair(resp, req, &s);
    return s.n;
}

size_t sr_lint_pair(const sr_msg *resp, const sr_msg *req, const sr_lint_opts *o,
                    sr_lint_finding *out, size_t cap)
{
    if (!resp)
        return 0;
    return sr_lint_pair_add(resp, req, out, cap, sr_lint_msg(resp, o, out, cap));
}
