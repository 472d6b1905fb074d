/* sipreply core: the response builder and the ACK and CANCEL builders (build_tag.c: the
 * derived To tag and small helpers).
 * RFC 3261 §8.2.6, §8.2.7, §9.1, §12.1.1, §17.1.1.3, §21; RFC 4320 §4.1; RFC 4028; RFC 3329. */
#include <string.h>

#include "sipreply/build.h"
#include "sipreply/print.h"
#include "sipreply/status.h"

#include "build_int.h"
#include "build_sink.h"
#include "scan.h"
#include "core_int.h"

static const char *const default_allow[] = {"INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", NULL};
static const char *const default_accept[] = {"application/sdp", NULL};
static const char *const default_encoding[] = {"identity", NULL};
static const char *const default_language[] = {"en", NULL};
static const char *const empty_list[] = {NULL};

void sr_build_policy_init(sr_build_policy *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->size = sizeof *p;
    p->allow = default_allow;
    p->supported = empty_list;
    p->require = empty_list;
    p->accept = default_accept;
    p->accept_encoding = default_encoding;
    p->accept_language = default_language;
    p->realm = "sipreply";
    p->min_expires = 60;
    p->min_se = 90;
    p->contacts = empty_list;
    p->recv_info = empty_list;
}

/* ------------------------------------------------------------------ helpers */

/* The canonical name a registry header name maps to, compared through the header ids so
 * compact forms and case do not matter. */
static bool name_eq(sr_str a, const char *b)
{
    sr_str bs = sr_str_from_cstr(b);
    enum sr_hdr_id ia = sr_hdr_lookup(a), ib = sr_hdr_lookup(bs);
    if (ia != SR_HDR_OTHER || ib != SR_HDR_OTHER)
        return ia == ib;
    return sr_str_caseeq(a, bs);
}

static bool caller_has(const sr_build_opts *o, const char *name)
{
    for (size_t i = 0; i < o->n_headers; i++) {
        if (name_eq(o->headers[i].name, name))
            return true;
    }
    return false;
}

/* Append @p value to @p b with any line folding (CRLF followed by whitespace, RFC 3261
 * §7.3.1) replaced by one space: folding is LWS, equivalent to SP, and builders print one
 * line per field. */
static int append_unfolded(sr_buf *b, sr_str value)
{
    int rc = sr_buf_reserve(b, value.len + 1);
    if (rc)
        return rc;
    size_t n = b->len;
    /* up to the first CR or LF (all of it, in the common case) the bytes are copied as is */
    size_t i = value.len ? sr__scan_eol(value.p, 0, value.len) : 0;
    if (i) {
        memcpy(b->p + n, value.p, i);
        n += i;
    }
    for (; i < value.len; i++) {
        char c = value.p[i];
        if (c == '\r' || c == '\n') {
            while (n > b->len && (b->p[n - 1] == ' ' || b->p[n - 1] == '\t'))
                n--;
            while (i + 1 < value.len && (value.p[i + 1] == '\r' || value.p[i + 1] == '\n' ||
                                         value.p[i + 1] == ' ' || value.p[i + 1] == '\t'))
                i++;
            b->p[n++] = ' ';
            continue;
        }
        b->p[n++] = c;
    }
    b->len = n;
    b->p[n] = '\0';
    return 0;
}

/* Add @p value unfolded (append_unfolded), using @p scratch (reset) when it is folded. */
static int add_unfolded(sink *k, enum sr_hdr_id id, sr_str value, sr_buf *scratch)
{
    /* printed: no CTL at all (the common case) says in one scan that the value is not
     * folded and that sr__print_field would take it as it is */
    if (!k->m && id != SR_HDR_OTHER && sr__scan_ctl(value.p, 0, value.len) == value.len)
        return sr__print_field_clean(k->out, &k->n, id, value);
    if (sr__scan_eol(value.p, 0, value.len) == value.len) /* no CR or LF: not folded */
        return add(k, id, value);
    scratch->len = 0;
    int rc = append_unfolded(scratch, value);
    if (rc)
        return rc;
    return add(k, id, (sr_str){scratch->p, scratch->len});
}

/* Copy every header with @p id from @p src, each value as written (unfolded), in order. */
static int copy_all(sink *k, const sr_msg *src, enum sr_hdr_id id, sr_buf *scratch)
{
    for (const sr_header *h = sr_msg_header_find(src, id, NULL); h;
         h = sr_msg_header_find(src, id, h)) {
        int rc = add_unfolded(k, id, h->value, scratch);
        if (rc)
            return rc;
    }
    return 0;
}

/* Strip the brackets of an IPv6 reference. */
static sr_str unbracket(sr_str h)
{
    if (h.len >= 2 && h.p[0] == '[' && h.p[h.len - 1] == ']')
        return (sr_str){h.p + 1, h.len - 2};
    return h;
}

/* true when p[0, n) has a byte of at most 0x20 (SP, HTAB, CR, LF, any CTL) or a '"': eight
 * bytes per step (has-less-than and has-zero on the word, exact per byte) */
static bool any_space_or_quote(const char *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        uint64_t q = x ^ (ones * '"');
        /* bytes below 0x21 (the high bit excluded: 0x80-0xff are neither) or equal to '"' */
        if ((((x - ones * 0x21) & ~x) | ((q - ones) & ~q)) & highs)
            return true;
    }
    for (; i < n; i++)
        if ((unsigned char)p[i] <= 0x20 || p[i] == '"')
            return true;
    return false;
}

/* @p p's @p n bytes are @p lit's (lower-case letters), in any case */
static inline bool lower_is(const char *p, const char *lit, size_t n)
{
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(((unsigned char)p[i] | 0x20) ^ (unsigned char)lit[i]);
    return d == 0;
}

/* The parameters @p ps (from their first ';') of a top Via appended to @p b, room for
 * 2 * ps.len + 16 bytes reserved, as stamp_via's walk appends them, when they are plain:
 * each ";name" or ";name=value" with a name, and no byte of at most 0x20 (LWS, CTLs) or
 * quote anywhere. Then sr_param_next yields each one as it is written, so that the walk's
 * copy is the bytes themselves, but for a received (left out) and an rport (given @p num,
 * "=PORT"). false, with nothing appended, when they are not plain: the walk copies them. */
static bool stamp_params_plain(sr_buf *b, sr_str ps, const char *num, size_t numlen)
{
    const char *p = ps.p, *e = ps.p + ps.len;
    if (p == e || *p != ';' || any_space_or_quote(p, ps.len))
        return false;
    char *w = b->p + b->len;
    while (p < e) {
        const char *ns = p + 1;
        const char *ve = ns < e ? memchr(ns, ';', (size_t)(e - ns)) : NULL;
        if (!ve)
            ve = e;
        const char *q = ns < ve ? memchr(ns, '=', (size_t)(ve - ns)) : NULL;
        size_t nl = (size_t)((q ? q : ve) - ns);
        if (nl == 0)
            return false;
        if (nl == 8 && lower_is(ns, "received", 8)) {
            /* left out: a new one follows when due */
        } else if (nl == 5 && lower_is(ns, "rport", 5)) {
            memcpy(w, p, 6); /* ";rport" as written */
            memcpy(w + 6, num, numlen);
            w += 6 + numlen; /* at most 12 bytes for a segment of 6 or more */
        } else {
            memcpy(w, p, (size_t)(ve - p));
            w += ve - p;
        }
        p = ve;
    }
    b->len = (size_t)(w - b->p);
    b->p[b->len] = '\0';
    return true;
}

/* The top Via as the server transport leaves it (RFC 3261 §18.2.1, RFC 3581 §4): the request's
 * text with `received=` added when the sent-by host is not the source address or rport was
 * asked for, and a valueless rport given the source port. Other parameters keep their order;
 * an old received is replaced. Appended to @p b (the caller empties a scratch buffer first). */
static int stamp_via(sr_buf *b, const sr_via *v, sr_str src, uint16_t port)
{
    sr_str host = unbracket(src);
    bool add_received = v->rport != SR_RPORT_NONE || !sr_str_caseeq(unbracket(v->host), host);
    size_t head = v->raw.len;
    if (v->params.p && v->params.p >= v->raw.p && v->params.p <= v->raw.p + v->raw.len)
        head = (size_t)(v->params.p - v->raw.p);
    while (head > 0 && (v->raw.p[head - 1] == ' ' || v->raw.p[head - 1] == '\t'))
        head--;
    int rc = append_unfolded(b, (sr_str){v->raw.p, head}); /* sent-by may be folded */
    char num[8];
    size_t k = sizeof num;
    unsigned x = port;
    do {
        num[--k] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    num[--k] = '=';
    size_t params = v->params.p ? v->params.len : 0;
    if (rc == 0 && params > SIZE_MAX / 4)
        rc = SR_ETOOBIG;
    if (rc == 0)
        rc = sr_buf_reserve(b, 2 * params + 16 + sizeof ";received=" + host.len);
    if (rc == 0 && params && !stamp_params_plain(b, v->params, num + k, sizeof num - k)) {
        size_t pos = 0;
        sr_str n, val;
        while (rc == 0 && sr_param_next(v->params, &pos, &n, &val)) {
            if (sr_str_caseeq_cstr(n, "received"))
                continue;
            if ((rc = sr_buf_append(b, ";", 1)) != 0 || (rc = sr_buf_append(b, n.p, n.len)) != 0)
                break;
            if (sr_str_caseeq_cstr(n, "rport")) {
                rc = sr_buf_append(b, num + k, sizeof num - k);
            } else if (val.p) {
                if ((rc = sr_buf_append(b, "=", 1)) == 0)
                    rc = sr_buf_append(b, val.p, val.len);
            }
        }
    }
    if (rc == 0 && add_received) {
        if ((rc = sr_buf_reserve(b, sizeof ";received=" - 1 + host.len)) != 0)
            return rc;
        memcpy(b->p + b->len, ";received=", sizeof ";received=" - 1);
        memcpy(b->p + b->len + sizeof ";received=" - 1, host.p, host.len);
        b->len += sizeof ";received=" - 1 + host.len;
        b->p[b->len] = '\0';
    }
    return rc;
}

/* Copy every Via of @p req, the top one stamped with the source address when it is known. */
static int copy_vias(sink *k, const sr_msg *req, const sr_build_opts *o, sr_buf *scratch)
{
    const sr_header *h = sr_msg_header_find(req, SR_HDR_VIA, NULL);
    const sr_via *v = h ? sr_msg_via(req, 0) : NULL;
    if (!v || !o->source_host.p || !o->source_host.len || o->size < sizeof *o ||
        v->raw.p < h->value.p || v->raw.p + v->raw.len > h->value.p + h->value.len)
        return copy_all(k, req, SR_HDR_VIA, scratch);
    int rc;
    if (!k->m) {
        /* printed: stamped straight into the output, no scratch copy */
        size_t mark;
        if ((rc = sr__print_field_open(k->out, SR_HDR_VIA, &mark)) != 0)
            return rc;
        rc = stamp_via(k->out, v, o->source_host, o->source_port);
        rc = sr__print_field_close(k->out, &k->n, SR_HDR_VIA, mark, rc);
    } else {
        scratch->len = 0;
        rc = stamp_via(scratch, v, o->source_host, o->source_port);
        if (rc == 0)
            rc = add(k, SR_HDR_VIA, (sr_str){scratch->p, scratch->len});
    }
    if (rc)
        return rc;
    /* the rest of the first Via header field (values after a comma), then the others */
    sr_str rest = {v->raw.p + v->raw.len,
                   (size_t)(h->value.p + h->value.len - (v->raw.p + v->raw.len))};
    while (rest.len && (rest.p[0] == ' ' || rest.p[0] == '\t' || rest.p[0] == ',' ||
                        rest.p[0] == '\r' || rest.p[0] == '\n')) {
        rest.p++;
        rest.len--;
    }
    if (rest.len && (rc = add_unfolded(k, SR_HDR_VIA, rest, scratch)) != 0)
        return rc;
    for (h = sr_msg_header_find(req, SR_HDR_VIA, h); h; h = sr_msg_header_find(req, SR_HDR_VIA, h))
        if ((rc = add_unfolded(k, SR_HDR_VIA, h->value, scratch)) != 0)
            return rc;
    return 0;
}

/* Copy the first header with @p id: From, Call-ID and CSeq take one value (§7.3.1), and a
 * request that repeats them only gets a 400, which carries the first. */
static int copy_first(sink *k, const sr_msg *src, enum sr_hdr_id id, sr_buf *scratch)
{
    const sr_header *h = sr_msg_header_find(src, id, NULL);
    return h ? add_unfolded(k, id, h->value, scratch) : 0;
}

static int fail(sr_build_error *err, int code, const char *header, const char *what)
{
    if (err) {
        err->code = code;
        err->header = header;
        err->what = what;
    }
    return code;
}

/* ------------------------------------------------------------------ the response builder */

/* true when the start line or the CSeq of @p req names method @p m. */
static bool is_method(const sr_msg *req, sr_method m)
{
    const sr_cseq *cs = sr_msg_cseq(req);
    return sr_msg_method(req) == m || (cs && cs->method_id == m);
}

/* true when both the start line and the CSeq (if any) say INVITE. */
static bool only_invite(const sr_msg *req)
{
    const sr_cseq *cs = sr_msg_cseq(req);
    return sr_msg_method(req) == SR_METHOD_INVITE && (!cs || cs->method_id == SR_METHOD_INVITE);
}

/* Validate the request/code combination before allocating anything. */
/* @p info: the registry's entry for @p code (NULL: not registered). */
static int check_combo(const sr_msg *req, unsigned code, const sr_build_opts *o,
                       const sr_status_info *info, sr_build_error *err)
{
    if (code < 100 || code > 699)
        return fail(err, SR_EINVAL, NULL, "status code outside 100-699 (RFC 3261 §7.2)");
    if (!info) {
        if (sr_status_legacy_lookup((int)code) &&
            (o->flags & (SR_BUILD_UNREGISTERED | SR_BUILD_LEGACY)) !=
                (SR_BUILD_UNREGISTERED | SR_BUILD_LEGACY))
            return fail(err, SR_EUNSUPPORTED, NULL,
                        "legacy or vendor-internal code, not in the IANA registry (RFC 3261 "
                        "§27.4; receivers treat it as the x00 of its class, §8.1.3.2); set "
                        "SR_BUILD_UNREGISTERED | SR_BUILD_LEGACY to send it");
        if (!(o->flags & SR_BUILD_UNREGISTERED))
            return fail(err, SR_EUNSUPPORTED, NULL,
                        "code not in the IANA registry (receivers treat it as the x00 of its "
                        "class, RFC 3261 §8.1.3.2); set SR_BUILD_UNREGISTERED to send it");
    }
    /* A malformed request may name another method in its CSeq than in its start line; the
     * response carries the CSeq, so both must pass these checks. */
    if (is_method(req, SR_METHOD_ACK))
        return fail(err, SR_EUNSUPPORTED, NULL, "an ACK is never answered (RFC 3261 §17.1.1.3)");
    if (is_method(req, SR_METHOD_CANCEL) && code == 487)
        return fail(err, SR_EUNSUPPORTED, NULL,
                    "487 answers the INVITE, never the CANCEL (RFC 3261 §9.2)");
    if (!only_invite(req) && code > 100 && code < 200)
        return fail(err, SR_EUNSUPPORTED, NULL,
                    "no provisional response other than 100 to a non-INVITE (RFC 4320 §4.1)");
    const sr_nameaddr *to = sr_msg_to(req);
    if (to && to->tag.p && to->tag.len == 0)
        return fail(err, SR_EINVAL, "To", "the request's To has an empty tag parameter");
    for (size_t i = 0; code == 405 && i < o->n_headers; i++) {
        if (sr_hdr_lookup(o->headers[i].name) != SR_HDR_ALLOW)
            continue;
        size_t pos = 0;
        sr_str tok;
        while (sr_value_next(o->headers[i].value, &pos, &tok)) {
            if (sr_str_eq(tok, sr_msg_method_str(req)))
                return fail(err, SR_EINVAL, "Allow",
                            "a 405's Allow must not list the refused method (RFC 3261 "
                            "§21.4.6)");
        }
    }
    if (o->body.len && !o->body_type.len)
        return fail(err, SR_EINVAL, "Content-Type",
                    "a body needs a Content-Type (RFC 3261 §20.15)");
    const sr_via *v = sr_msg_via(req, 0);
    if (!v && !(code == 400 && sr_msg_header_find(req, SR_HDR_VIA, NULL)))
        return fail(err, SR_EMISSING, "Via",
                    "the request has no Via: there is nowhere to send a response (RFC 3261 "
                    "§18.2.2)");
    /* RFC 4475 §3.3.1: a request missing From, To, Call-ID or CSeq still gets its 400,
     * carrying what can be copied. Every other code needs them all. */
    if (code != 400 &&
        (!sr_msg_from(req) || !sr_msg_to(req) || !sr_msg_cseq(req) || !sr_msg_call_id(req).p))
        return fail(err, SR_EMISSING,
                    !sr_msg_from(req)   ? "From"
                    : !sr_msg_to(req)   ? "To"
                    : !sr_msg_cseq(req) ? "CSeq"
                                        : "Call-ID",
                    "the request lacks a header every response copies (RFC 3261 §8.2.6.2)");
    return 0;
}

/* Why each must-carry header is needed, for the error message. */
static const char *must_what(unsigned code)
{
    switch (code) {
    case 401: return "a 401 must carry WWW-Authenticate (RFC 3261 §21.4.2)";
    case 405: return "a 405 must carry Allow (RFC 3261 §21.4.6)";
    case 407: return "a 407 must carry Proxy-Authenticate (RFC 3261 §21.4.8)";
    case 415:
        return "a 415 must carry Accept, Accept-Encoding or Accept-Language (RFC 3261 "
               "§21.4.13)";
    case 420: return "a 420 must list the option tags in Unsupported (RFC 3261 §21.4.15)";
    case 421: return "a 421 must list the needed option tags in Require (RFC 3261 §21.4.16)";
    case 422: return "a 422 must carry Min-SE (RFC 4028 §6)";
    case 423: return "a 423 must carry Min-Expires (RFC 3261 §21.4.17)";
    case 469: return "a 469 must carry Recv-Info (RFC 6086 §5.2.3)";
    case 470: return "a 470 must carry Permission-Missing (RFC 5360 §5.9.1)";
    case 494: return "a 494 must carry Security-Server (RFC 3329 §2.3)";
    default: return "this code requires the header (status registry must_carry)";
    }
}

static int add_required(sink *k, const sr_msg *req, unsigned code, const sr_status_info *info,
                        const sr_build_opts *o, const sr_build_policy *p, sr_buf *b,
                        sr_build_error *err)
{
    if (!info)
        return 0;
    const char *const *must = info->must_carry;
    bool defaults = (o->flags & SR_BUILD_DEFAULTS) != 0;
    int rc;
    if (info->flags & SR_STATUS_F_MUST_ONE_OF) {
        /* One of the alternatives suffices (415: Accept, Accept-Encoding or -Language). */
        for (size_t i = 0; must[i]; i++) {
            if (caller_has(o, must[i]))
                return 0;
        }
        if (!defaults || !must[0])
            return fail(err, SR_EMISSING, must[0], must_what(code));
        rc = SR_EMISSING;
        for (size_t i = 0; must[i]; i++) {
            int r = sr__build_default(k, must[i], code, req, o, p, b);
            if (r == 0)
                rc = 0;
            else if (r != SR_EMISSING)
                return r;
        }
        return rc == 0 ? 0 : fail(err, SR_EMISSING, must[0], must_what(code));
    }
    for (size_t i = 0; must[i]; i++) {
        if (caller_has(o, must[i]))
            continue;
        if (!defaults)
            return fail(err, SR_EMISSING, must[i], must_what(code));
        rc = sr__build_default(k, must[i], code, req, o, p, b);
        if (rc == SR_EMISSING)
            return fail(err, SR_EMISSING, must[i],
                        "the policy has no value for this required header");
        if (rc)
            return rc;
    }
    if (!defaults)
        return 0;
    /* Should-carry and may-carry headers the policy can give (3xx Contact, Retry-After...). */
    for (size_t i = 0; info->should_carry[i]; i++) {
        if (caller_has(o, info->should_carry[i]))
            continue;
        rc = sr__build_default(k, info->should_carry[i], code, req, o, p, b);
        if (rc && rc != SR_EMISSING)
            return rc;
    }
    if (p->retry_after && !caller_has(o, "Retry-After")) {
        for (size_t i = 0; info->may_carry[i]; i++) {
            if (strcmp(info->may_carry[i], "Retry-After") == 0) {
                rc = sr__build_default(k, "Retry-After", code, req, o, p, b);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

/* To with our tag (§8.2.6.2), unless it has one or this is a 100. */
static int add_to(sink *k, const sr_msg *req, unsigned code, const sr_build_opts *o, sr_buf *b)
{
    const sr_header *h = sr_msg_header_find(req, SR_HDR_TO, NULL);
    const sr_nameaddr *to = sr_msg_to(req);
    if (!h || !to)
        return h ? add_unfolded(k, SR_HDR_TO, h->value, b)
                 : 0; /* a 400 to a request without a To */
    if (code == 100 || (to && to->tag.p))
        return add_unfolded(k, SR_HDR_TO, h->value, b);
    char tag[SR_BUILD_TAG_LEN + 1];
    sr_str t = o->to_tag;
    if (!t.p) {
        int rc = sr_build_to_tag(req, o->tag_key, tag);
        if (rc)
            return rc;
        t = (sr_str){tag, SR_BUILD_TAG_LEN};
    }
    int rc;
    if (!k->m) {
        /* printed: written straight into the output, no scratch copy */
        size_t mark;
        if ((rc = sr__print_field_open(k->out, SR_HDR_TO, &mark)) != 0)
            return rc;
        if ((rc = append_unfolded(k->out, h->value)) == 0 &&
            (rc = sr_buf_append(k->out, ";tag=", 5)) == 0)
            rc = sr_buf_append(k->out, t.p, t.len);
        return sr__print_field_close(k->out, &k->n, SR_HDR_TO, mark, rc);
    }
    b->len = 0;
    if ((rc = append_unfolded(b, h->value)) != 0 || (rc = sr_buf_append_cstr(b, ";tag=")) != 0 ||
        (rc = sr_buf_append_str(b, t)) != 0)
        return rc;
    return add(k, SR_HDR_TO, buf_str(b));
}

/*
 * As for a missing From, To, Call-ID or CSeq (RFC 4475 §3.3.1, check_combo), a 400 leaves out
 * one whose value no header field can carry (SR_EINVAL from sr_msg_add_header: a CTL byte
 * such as NUL, outside every grammar of RFC 3261 §25.1) instead of not going out at all: the
 * request was refused for that very value, and the client still matches the 400 on its top
 * Via branch and CSeq method (§17.1.3). Every other code copies them all (§8.2.6.2).
 */
static int lenient_400(unsigned code, int rc)
{
    return code == 400 && rc == SR_EINVAL ? 0 : rc;
}

/* The response to @p req into @p k (its start line first); err set on failure. */
static int build(sink *k, const sr_msg *req, unsigned code, const sr_build_opts *o,
                 sr_build_error *err)
{
    sr_build_opts defopts;
    sr_build_policy defpol;
    sr_buf b;
    int rc;

    if (err) {
        err->code = 0;
        err->header = NULL;
        err->what = NULL;
    }
    if (!req)
        return fail(err, SR_EINVAL, NULL, "NULL argument");
    if (!sr_msg_is_request(req))
        return fail(err, SR_EINVAL, NULL, "responses answer requests only");
    if (!o) {
        sr_build_opts_init(&defopts);
        o = &defopts;
    }
    const sr_build_policy *p = o->policy;
    if (!p) {
        sr_build_policy_init(&defpol);
        p = &defpol;
    }
    /* the registry's entry, looked up once (the checks, the phrase, what it must carry) */
    const sr_status_info *info = sr_status_lookup((int)code);
    if ((rc = check_combo(req, code, o, info, err)) != 0)
        return rc;
    if (o->to_tag.p && o->to_tag.len == 0)
        return fail(err, SR_EINVAL, "To", "an empty To tag");

    sr_buf_init(&b, o->alloc);
    /* no code is both registered and legacy (test_build checks the two tables) */
    const sr_status_info *legacy = info ? NULL : sr_status_legacy_lookup((int)code);
    sr_str reason = o->reason.p ? o->reason
                    : legacy    ? sr_str_from_cstr(legacy->phrase)
                    : info      ? sr_str_from_cstr(info->phrase)
                                : sr_str_from_cstr(sr_status_phrase((int)code));
    rc = k->out ? sr__print_status(k->out, code, reason)
                : sr_msg_new_response(&k->m, o->alloc, code, reason);
    if (rc) {
        fail(err, rc, NULL, rc == SR_EINVAL ? "reason phrase holds CR or LF" : NULL);
        goto out;
    }
    /* RFC 3261 §8.2.6.2: Via (all, in order), From, To (+tag), Call-ID, CSeq copied. */
    if ((rc = copy_vias(k, req, o, &b)) != 0 ||
        (rc = lenient_400(code, copy_first(k, req, SR_HDR_FROM, &b))) != 0 ||
        (rc = lenient_400(code, add_to(k, req, code, o, &b))) != 0 ||
        (rc = lenient_400(code, copy_first(k, req, SR_HDR_CALL_ID, &b))) != 0 ||
        (rc = lenient_400(code, copy_first(k, req, SR_HDR_CSEQ, &b))) != 0)
        goto out;
    /* §8.2.6.1: the Timestamp of the request goes back in the 100. */
    if (code == 100 && (rc = copy_all(k, req, SR_HDR_TIMESTAMP, &b)) != 0)
        goto out;
    sr_method meth = sr_msg_method(req);
    if (sr__is_dialog_creating(code, is_method(req, SR_METHOD_INVITE) ? SR_METHOD_INVITE : meth)) {
        /* §12.1.1: copy every Record-Route; a Contact is required. */
        if ((rc = copy_all(k, req, SR_HDR_RECORD_ROUTE, &b)) != 0)
            goto out;
        if (!caller_has(o, "Contact")) {
            rc = SR_EMISSING;
            if (o->flags & SR_BUILD_DEFAULTS)
                rc = sr__build_default(k, "Contact", code, req, o, p, &b);
            if (rc == SR_EMISSING)
                fail(err, rc, "Contact",
                     "a dialog-creating response to INVITE must carry Contact (RFC 3261 "
                     "§12.1.1)");
            if (rc)
                goto out;
        }
    }
    if ((rc = add_required(k, req, code, info, o, p, &b, err)) != 0)
        goto out;
    if ((meth == SR_METHOD_OPTIONS || meth == SR_METHOD_INVITE) && code >= 200 && code < 300 &&
        (o->flags & SR_BUILD_DEFAULTS)) {
        /* §11.2: a 2xx to OPTIONS should list Allow, Accept and Supported; §13.3.1.4: a 2xx
         * to INVITE should carry Allow and Supported. */
        static const char *const opt_hdrs[] = {"Allow", "Supported", "Accept"};
        size_t nopt = meth == SR_METHOD_OPTIONS ? 3 : 2;
        for (size_t i = 0; i < nopt; i++) {
            if (caller_has(o, opt_hdrs[i]))
                continue;
            rc = sr__build_default(k, opt_hdrs[i], code, req, o, p, &b);
            if (rc && rc != SR_EMISSING)
                goto out;
        }
        rc = 0;
    }
    for (size_t i = 0; i < o->n_headers; i++) {
        enum sr_hdr_id id = sr_hdr_lookup(o->headers[i].name);
        if (id == SR_HDR_CONTENT_LENGTH)
            continue; /* always computed */
        rc = sink_add(k, id == SR_HDR_OTHER ? SR_HDR_OTHER : id,
                      id == SR_HDR_OTHER ? o->headers[i].name : SR_STR_NULL, o->headers[i].value);
        if (rc) {
            fail(err, rc, NULL, rc == SR_EINVAL ? "a caller header has a bad name or value" : NULL);
            goto out;
        }
    }
    if (o->body.len) {
        if (k->m)
            rc = sr_msg_set_body(k->m, o->body_type, o->body);
        else if (!sr__print_type_ok(o->body_type))
            rc = SR_EINVAL;
        else if (o->body_type.len)
            rc = sink_add(k, SR_HDR_CONTENT_TYPE, SR_STR_NULL, o->body_type);
        if (rc)
            goto out;
        k->body = o->body;
    }
    if (k->out)
        rc = sr__print_end(k->out, k->body);
out:
    if (rc && err && err->code == 0)
        fail(err, rc, NULL, sr_strerror(rc));
    sr_buf_cleanup(&b);
    return rc;
}

int sr_build_response(sr_msg **out, const sr_msg *req, unsigned code, const sr_build_opts *o,
                      sr_build_error *err)
{
    if (!out)
        return build(&(sink){0}, NULL, code, o, err); /* the NULL-argument error */
    sink k = {0};
    int rc = build(&k, req, code, o, err);
    if (rc)
        sr_msg_free(k.m);
    else
        *out = k.m;
    return rc;
}

int sr_build_response_print(sr_buf *out, const sr_msg *req, unsigned code, const sr_build_opts *o,
                            sr_build_error *err)
{
    if (!out)
        return build(&(sink){0}, NULL, code, o, err);
    size_t len0 = out->len;
    sink k = {.out = out};
    int rc = build(&k, req, code, o, err);
    if (rc && out->p) {
        out->len = len0; /* nothing of a response that could not be built */
        out->p[len0] = '\0';
    }
    return rc;
}

/* ------------------------------------------------------------------ ACK and CANCEL */

/* The common part of ACK (§17.1.1.3) and CANCEL (§9.1): a request with @p method and the
 * INVITE's Request-URI, one Via (its top one), Route headers, Call-ID, From, CSeq. */
static int build_from_invite(sr_msg **out, const sr_msg *inv, const sr_msg *resp,
                             const char *method, const sr_allocator *alloc)
{
    sr_msg *m = NULL;
    sink k = {0};
    sr_buf b;
    int rc;
    const sr_via *v = sr_msg_via(inv, 0);
    const sr_cseq *cs = sr_msg_cseq(inv);
    const sr_header *to = sr_msg_header_find(resp ? resp : inv, SR_HDR_TO, NULL);
    const sr_header *from = sr_msg_header_find(inv, SR_HDR_FROM, NULL);
    sr_str callid = sr_msg_call_id(inv);
    if (!v || !cs || !to || !from || !callid.p)
        return SR_EMISSING;
    sr_buf_init(&b, alloc);
    char num[12];
    size_t n = sr__u32_to_dec(cs->num, num);
    if ((rc = sr_msg_new_request(&m, alloc, sr_str_from_cstr(method), sr_msg_request_uri(inv))) !=
        0)
        goto out;
    k.m = m;
    if ((rc = add_unfolded(&k, SR_HDR_VIA, v->raw, &b)) != 0 ||
        (rc = copy_all(&k, inv, SR_HDR_ROUTE, &b)) != 0 ||
        (rc = add(&k, SR_HDR_MAX_FORWARDS, SR_STR("70"))) != 0 ||
        (rc = add_unfolded(&k, SR_HDR_FROM, from->value, &b)) != 0 ||
        (rc = add_unfolded(&k, SR_HDR_TO, to->value, &b)) != 0 ||
        (rc = add(&k, SR_HDR_CALL_ID, callid)) != 0)
        goto out;
    b.len = 0;
    if ((rc = sr_buf_append(&b, num, n)) != 0 || (rc = sr_buf_append_cstr(&b, " ")) != 0 ||
        (rc = sr_buf_append_cstr(&b, method)) != 0 || (rc = add(&k, SR_HDR_CSEQ, buf_str(&b))) != 0)
        goto out;
    *out = m;
    m = NULL;
out:
    sr_msg_free(m);
    sr_buf_cleanup(&b);
    return rc;
}

int sr_build_ack(sr_msg **out, const sr_msg *invite, const sr_msg *resp, const sr_allocator *alloc)
{
    if (!out || !invite || !resp || !sr_msg_is_request(invite) ||
        sr_msg_method(invite) != SR_METHOD_INVITE || sr_msg_is_request(resp))
        return SR_EINVAL;
    unsigned st = sr_msg_status(resp);
    if (st < 300 || st > 699)
        return SR_EINVAL; /* a 2xx is ACKed end to end by the UAC core (§13.2.2.4) */
    const sr_cseq *a = sr_msg_cseq(invite), *b = sr_msg_cseq(resp);
    if (!a || !b)
        return SR_EMISSING;
    if (a->num != b->num || b->method_id != SR_METHOD_INVITE)
        return SR_EINVAL;
    return build_from_invite(out, invite, resp, "ACK", alloc);
}

int sr_build_cancel(sr_msg **out, const sr_msg *invite, const sr_allocator *alloc)
{
    if (!out || !invite || !sr_msg_is_request(invite) || sr_msg_method(invite) != SR_METHOD_INVITE)
        return SR_EINVAL;
    return build_from_invite(out, invite, NULL, "CANCEL", alloc);
}
