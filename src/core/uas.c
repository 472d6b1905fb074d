/* sipreply core: UAS and proxy request checks — which error response a request gets.
 * RFC 3261 §8.2.1 (405/501), §8.2.2 (416, 482, 420), §8.2.3 (415), §16.3 (483), §21. */
#include <string.h>

#include "sipreply/status.h"
#include "sipreply/uas.h"

#include "core_int.h"
#include "lint_int.h"

static const char *const def_methods[] = {"INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", NULL};
static const char *const def_schemes[] = {"sip", "sips", "tel", NULL};
static const char *const def_accept[] = {"application/sdp", NULL};
static const char *const def_encoding[] = {"identity", NULL};
static const char *const def_none[] = {NULL};

void sr_uas_policy_init(sr_uas_policy *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->size = sizeof *p;
    p->methods = def_methods;
    p->schemes = def_schemes;
    p->supported = def_none;
    p->accept = def_accept;
    p->accept_encoding = def_encoding;
    p->produce = def_accept;
}

static bool in_list(const char *const *list, sr_str tok)
{
    for (size_t i = 0; list && list[i]; i++) {
        if (sr_str_caseeq_cstr(tok, list[i]))
            return true;
    }
    return false;
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

/* The media type of a Content-Type or Accept item: "type/subtype" without parameters. */
static sr_str media_type(sr_str v)
{
    const char *semi = v.len ? memchr(v.p, ';', v.len) : NULL;
    if (semi)
        v.len = (size_t)(semi - v.p);
    return trim(v);
}

static sr_str mt_part(sr_str mt, bool sub)
{
    const char *slash = mt.len ? memchr(mt.p, '/', mt.len) : NULL;
    if (!slash)
        return sub ? SR_STR_NULL : trim(mt);
    if (sub)
        return trim((sr_str){slash + 1, mt.len - (size_t)(slash + 1 - mt.p)});
    return trim((sr_str){mt.p, (size_t)(slash - mt.p)});
}

/* Does media range @p range (any, "application/any" or "application/sdp"; "*" as a wildcard)
 * cover @p type? */
static bool mt_match(sr_str range, sr_str type)
{
    sr_str rt = mt_part(range, false), rs = mt_part(range, true);
    sr_str tt = mt_part(type, false), ts = mt_part(type, true);
    if (sr_str_caseeq_cstr(rt, "*"))
        return true;
    if (!sr_str_caseeq(rt, tt))
        return false;
    return sr_str_caseeq_cstr(rs, "*") || sr_str_caseeq(rs, ts);
}

static bool type_in(const char *const *list, sr_str type)
{
    for (size_t i = 0; list && list[i]; i++) {
        if (mt_match(sr_str_from_cstr(list[i]), type))
            return true;
    }
    return false;
}

static void verdict(sr_uas_verdict *v, unsigned code, const char *reason, enum sr_hdr_id hdr)
{
    v->code = code;
    v->reason = reason ? reason : sr_status_phrase((int)code);
    v->hdr = hdr;
}

/* 420: collect the option tags of @p id we do not support. true when any. */
static bool unsupported_tags(const sr_msg *req, enum sr_hdr_id id, const sr_uas_policy *p,
                             sr_uas_verdict *v)
{
    for (const sr_header *h = sr_msg_header_find(req, id, NULL); h;
         h = sr_msg_header_find(req, id, h)) {
        size_t pos = 0;
        sr_str tok;
        while (sr_value_next(h->value, &pos, &tok)) {
            if (tok.len == 0 || in_list(p->supported, tok))
                continue;
            if (v->n_unsupported < SR_UAS_MAX_TAGS)
                v->unsupported[v->n_unsupported++] = tok;
        }
    }
    return v->n_unsupported > 0;
}

/* §8.2.3: body type, encoding and language. Sets the verdict and returns true on a 415 (or a
 * 400 for a body without Content-Type). */
static bool check_content(const sr_msg *req, const sr_uas_policy *p, sr_uas_verdict *v)
{
    if (sr_msg_body(req).len == 0)
        return false;
    const sr_header *ct = sr_msg_header_find(req, SR_HDR_CONTENT_TYPE, NULL);
    if (!ct) {
        /* §20.15: a non-empty body MUST come with its Content-Type. */
        verdict(v, 400, "Missing Content-Type header field", SR_HDR_CONTENT_TYPE);
        return true;
    }
    if (!type_in(p->accept, media_type(ct->value))) {
        verdict(v, 415, NULL, SR_HDR_CONTENT_TYPE);
        v->add = SR_UAS_ADD_ACCEPT | SR_UAS_ADD_ACCEPT_ENCODING |
                 (p->accept_language ? SR_UAS_ADD_ACCEPT_LANGUAGE : 0u);
        return true;
    }
    for (const sr_header *h = sr_msg_header_find(req, SR_HDR_CONTENT_ENCODING, NULL); h;
         h = sr_msg_header_find(req, SR_HDR_CONTENT_ENCODING, h)) {
        size_t pos = 0;
        sr_str tok;
        while (sr_value_next(h->value, &pos, &tok)) {
            if (tok.len && !sr_str_caseeq_cstr(tok, "identity") &&
                !in_list(p->accept_encoding, tok)) {
                verdict(v, 415, NULL, SR_HDR_CONTENT_ENCODING);
                v->add = SR_UAS_ADD_ACCEPT | SR_UAS_ADD_ACCEPT_ENCODING;
                return true;
            }
        }
    }
    if (p->accept_language) {
        for (const sr_header *h = sr_msg_header_find(req, SR_HDR_CONTENT_LANGUAGE, NULL); h;
             h = sr_msg_header_find(req, SR_HDR_CONTENT_LANGUAGE, h)) {
            size_t pos = 0;
            sr_str tok;
            while (sr_value_next(h->value, &pos, &tok)) {
                if (tok.len && !in_list(p->accept_language, tok)) {
                    verdict(v, 415, NULL, SR_HDR_CONTENT_LANGUAGE);
                    v->add = SR_UAS_ADD_ACCEPT_LANGUAGE;
                    return true;
                }
            }
        }
    }
    return false;
}

/* §21.4.7: 406 when the request's Accept admits none of the types our answer would carry. */
static bool accept_excludes(const sr_msg *req, const sr_uas_policy *p)
{
    const sr_header *first = sr_msg_header_find(req, SR_HDR_ACCEPT, NULL);
    if (!first || !p->produce || !p->produce[0])
        return false;
    bool any = false;
    for (const sr_header *h = first; h; h = sr_msg_header_find(req, SR_HDR_ACCEPT, h)) {
        size_t pos = 0;
        sr_str item;
        while (sr_value_next(h->value, &pos, &item)) {
            sr_str range = media_type(item);
            if (range.len == 0)
                continue;
            any = true;
            for (size_t i = 0; p->produce[i]; i++) {
                if (mt_match(range, sr_str_from_cstr(p->produce[i])))
                    return false;
            }
        }
    }
    /* An empty Accept (§20.1: no body acceptable) is not treated as exclusion here: a
     * response without a body still satisfies it. */
    return any;
}

static sr_str uri_scheme(sr_str uri)
{
    const char *colon = uri.len ? memchr(uri.p, ':', uri.len) : NULL;
    if (!colon)
        return SR_STR_NULL;
    return (sr_str){uri.p, (size_t)(colon - uri.p)};
}

/* §10.3 steps 3 and 6 (RFC 4475 §3.3.4): the address-of-record in To must be a SIP or SIPS
 * URI, and 'Contact: *' is allowed only alone with 'Expires: 0'. true with a 400 verdict. */
static bool register_bad(const sr_msg *req, sr_uas_verdict *v)
{
    const sr_nameaddr *to = sr_msg_to(req);
    sr_str scheme = to ? uri_scheme(to->uri) : SR_STR_NULL;
    if (!sr_str_caseeq_cstr(scheme, "sip") && !sr_str_caseeq_cstr(scheme, "sips")) {
        verdict(v, 400, "To is not a SIP or SIPS address-of-record", SR_HDR_TO);
        return true;
    }
    size_t n = 0;
    bool star = false;
    for (const sr_header *h = sr_msg_header_find(req, SR_HDR_CONTACT, NULL); h;
         h = sr_msg_header_find(req, SR_HDR_CONTACT, h)) {
        size_t pos = 0;
        sr_str item;
        while (sr_value_next(h->value, &pos, &item)) {
            n++;
            if (trim(item).len == 1 && trim(item).p[0] == '*')
                star = true;
        }
    }
    if (star && (n != 1 || sr_msg_expires(req) != 0)) {
        verdict(v, 400, "Contact * requires Expires: 0 and no other Contact", SR_HDR_CONTACT);
        return true;
    }
    return false;
}

int sr_uas_check(const sr_msg *req, const sr_uas_policy *policy, sr_uas_verdict *v)
{
    sr_uas_policy defp;
    if (!req || !v || !sr_msg_is_request(req))
        return SR_EINVAL;
    memset(v, 0, sizeof *v);
    if (!policy) {
        sr_uas_policy_init(&defp);
        policy = &defp;
    }
    const sr_uas_policy *p = policy;
    sr_method m = sr_msg_method(req);
    sr_str mstr = sr_msg_method_str(req);

    /* §17.1.1.3 / §8.2.7: an ACK is never answered. */
    if (m == SR_METHOD_ACK)
        return 0;

    /* §8.2.1: an unknown method gets 501, a known one not allowed here 405 with Allow.
     * A proxy forwards methods it does not know (§16.1), so it skips this. */
    if (!p->proxy && !in_list(p->methods, mstr)) {
        bool known = p->known_methods ? in_list(p->known_methods, mstr) : m != SR_METHOD_OTHER;
        if (known) {
            verdict(v, 405, NULL, SR_HDR_NONE);
            v->add = SR_UAS_ADD_ALLOW;
        } else {
            /* Allow is optional in a 501 (§20.5), and tells the client what it may send
             * instead (RFC 4475 §3.1.1.2, §3.1.1.5). */
            verdict(v, 501, NULL, SR_HDR_NONE);
            v->add = SR_UAS_ADD_ALLOW;
        }
        return 0;
    }

    /* §8.2 / §21.5.6: another SIP version cannot be understood further. */
    const sr_start_line *sl = sr_msg_start_line(req);
    if (sl->version_major != 2 || sl->version_minor != 0) {
        verdict(v, 505, NULL, SR_HDR_NONE);
        return 0;
    }

    /* Malformed or incomplete (RFC 3261 §8.2, last paragraph): 400 with the precise
     * phrase (missing mandatory header, duplicate single-value header, CSeq mismatch). */
    sr_parse_error pe;
    memset(&pe, 0, sizeof pe);
    /* the memo (when given) only skips checks whose outcome those bytes already had */
    sr_lint_cache *memo =
        p->size >= offsetof(sr_uas_policy, cache) + sizeof p->cache ? p->cache : NULL;
    int vr = sr__msg_validate_c(req, memo, &pe);
    if (vr == SR_EVERSION) {
        verdict(v, 505, NULL, SR_HDR_NONE);
        return 0;
    }
    if (vr != 0) {
        verdict(v, 400, pe.phrase ? pe.phrase : "Bad Request", (enum sr_hdr_id)pe.hdr);
        return 0;
    }

    /* §8.1.1: Max-Forwards is mandatory in a request. The validator tolerates its absence
     * for RFC 2543 peers (RFC 4475 §3.4.1); we do too, but only for requests whose top Via
     * branch lacks the RFC 3261 magic cookie — a RFC 3261 client has no excuse. */
    const sr_via *top = sr_msg_via(req, 0);
    bool rfc3261 = top && top->branch.len > 7 && memcmp(top->branch.p, "z9hG4bK", 7) == 0;
    if (rfc3261 && !sr_msg_header_find(req, SR_HDR_MAX_FORWARDS, NULL)) {
        verdict(v, 400, "Missing Max-Forwards header field", SR_HDR_MAX_FORWARDS);
        return 0;
    }

    /* §21.5.9: larger than we accept. */
    if (p->max_size && sr_msg_size(req) > p->max_size) {
        verdict(v, 513, NULL, SR_HDR_NONE);
        return 0;
    }

    /* §8.2.2.1 (UAS) and §16.3 item 2 (proxy): Request-URI scheme not served → 416. */
    sr_str scheme = uri_scheme(sr_msg_request_uri(req));
    if (!in_list(p->schemes, scheme)) {
        verdict(v, 416, NULL, SR_HDR_NONE);
        return 0;
    }

    /* §8.2.2.2: merged request — no To tag, and the caller's lookup says so. */
    const sr_nameaddr *to = sr_msg_to(req);
    if (p->merged && to && !to->tag.p && p->merged(req, p->merged_user)) {
        verdict(v, 482, NULL, SR_HDR_NONE);
        return 0;
    }

    /* §8.2.2.3 (UAS: Require; CANCEL and ACK excepted) and §16.3 item 6 (proxy:
     * Proxy-Require) → 420 listing the tags in Unsupported. */
    if (m != SR_METHOD_CANCEL &&
        unsupported_tags(req, p->proxy ? SR_HDR_PROXY_REQUIRE : SR_HDR_REQUIRE, p, v)) {
        verdict(v, 420, NULL, p->proxy ? SR_HDR_PROXY_REQUIRE : SR_HDR_REQUIRE);
        v->add = SR_UAS_ADD_UNSUPPORTED;
        return 0;
    }

    if (p->registrar && m == SR_METHOD_REGISTER && register_bad(req, v))
        return 0;

    if (!p->proxy) {
        /* §8.2.3: content the UAS does not understand → 415 with Accept*. */
        if (check_content(req, p, v))
            return 0;
        /* §21.4.7: our answer's body would not be acceptable → 406. */
        if (m == SR_METHOD_INVITE && accept_excludes(req, p)) {
            verdict(v, 406, NULL, SR_HDR_ACCEPT);
            v->add = SR_UAS_ADD_WARNING;
            return 0;
        }
        return 0;
    }

    /* §16.3 item 3: Max-Forwards 0 at a proxy → 483; an OPTIONS may be answered by the
     * proxy itself (§11) when the policy says so (RFC 4475 §3.3.11 expects 483). */
    if (sr_msg_max_forwards(req) == 0 && !(m == SR_METHOD_OPTIONS && p->answer_options)) {
        verdict(v, 483, NULL, SR_HDR_MAX_FORWARDS);
        return 0;
    }
    return 0;
}

int sr_uas_respond(sr_msg **out, const sr_msg *req, const sr_uas_verdict *v,
                   const sr_uas_policy *policy, const sr_build_opts *opts, sr_build_error *err)
{
    sr_uas_policy defp;
    sr_build_opts o;
    sr_build_policy bp;
    sr_build_header hdrs[1 + SR_UAS_MAX_EXTRA];
    sr_buf tags;
    int rc;
    if (!out || !req || !v || v->code == 0)
        return SR_EINVAL;
    if (!policy) {
        sr_uas_policy_init(&defp);
        policy = &defp;
    }
    if (opts) {
        o = *opts;
    } else {
        sr_build_opts_init(&o);
    }
    if (o.policy) {
        bp = *o.policy;
    } else {
        sr_build_policy_init(&bp);
    }
    bp.allow = policy->methods;
    bp.supported = policy->supported;
    bp.accept = policy->accept;
    bp.accept_encoding = policy->accept_encoding;
    if (policy->accept_language)
        bp.accept_language = policy->accept_language;
    o.policy = &bp;
    o.reason = sr_str_from_cstr(v->reason);

    sr_buf_init(&tags, o.alloc);
    size_t n = 0;
    if (v->add & SR_UAS_ADD_UNSUPPORTED) {
        for (size_t i = 0; i < v->n_unsupported; i++) {
            if ((i && (rc = sr_buf_append_cstr(&tags, ", ")) != 0) ||
                (rc = sr_buf_append_str(&tags, v->unsupported[i])) != 0)
                goto out;
        }
        hdrs[n++] = (sr_build_header){SR_STR("Unsupported"), {tags.p, tags.len}};
    } else if ((v->add & SR_UAS_ADD_ALLOW) && v->code != 405) {
        /* A 405 gets Allow from the builder (must-carry); any other verdict asking for it
         * (501) gets the policy's methods here, unless the caller gives its own. */
        bool given = false;
        for (size_t i = 0; i < o.n_headers; i++)
            given = given || sr_hdr_lookup(o.headers[i].name) == SR_HDR_ALLOW;
        for (size_t i = 0; !given && policy->methods && policy->methods[i]; i++) {
            if ((i && (rc = sr_buf_append_cstr(&tags, ", ")) != 0) ||
                (rc = sr_buf_append_cstr(&tags, policy->methods[i])) != 0)
                goto out;
        }
        if (tags.len)
            hdrs[n++] = (sr_build_header){SR_STR("Allow"), {tags.p, tags.len}};
    } else if (v->add & SR_UAS_ADD_WARNING) {
        /* RFC 3261 §20.43: warn-code 399 (miscellaneous), our pseudonym as warn-agent. */
        hdrs[n++] = (sr_build_header){
            SR_STR("Warning"),
            SR_STR("399 sipreply \"Accept allows none of the body types of our answer\"")};
    }
    if (o.n_headers > SR_UAS_MAX_EXTRA) {
        rc = SR_EINVAL;
        goto out;
    }
    for (size_t i = 0; i < o.n_headers; i++)
        hdrs[n++] = o.headers[i];
    o.headers = hdrs;
    o.n_headers = n;
    /* The verdict's other headers come from the policy: ask the builder for them. */
    o.flags |= SR_BUILD_DEFAULTS;
    rc = sr_build_response(out, req, v->code, &o, err);
out:
    sr_buf_cleanup(&tags);
    return rc;
}

int sr_uas_parse_check(sr_msg **req, const char *buf, size_t len, const sr_parse_opts *popts,
                       const sr_uas_policy *policy, sr_uas_verdict *v)
{
    sr_parse_error pe;
    sr_msg *m = NULL;
    if (!req || !buf || !v)
        return SR_EINVAL;
    *req = NULL;
    memset(v, 0, sizeof *v);
    memset(&pe, 0, sizeof pe);
    int rc = sr_msg_parse(&m, buf, len, popts, &pe);
    switch (rc) {
    case 0: break;
    case SR_ENOMEM:
    case SR_EAGAIN:
    case SR_EINVAL: return rc;
    case SR_ETOOBIG: verdict(v, 513, NULL, (enum sr_hdr_id)pe.hdr); return 0;
    case SR_EVERSION: verdict(v, 505, NULL, SR_HDR_NONE); return 0;
    default:
        verdict(v, 400, pe.phrase ? pe.phrase : "Bad Request", (enum sr_hdr_id)pe.hdr);
        return 0;
    }
    if (!sr_msg_is_request(m)) {
        sr_msg_free(m);
        return SR_EINVAL;
    }
    rc = sr_uas_check(m, policy, v);
    if (rc) {
        sr_msg_free(m);
        return rc;
    }
    *req = m;
    return 0;
}
