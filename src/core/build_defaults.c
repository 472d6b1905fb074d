/* sipreply core: the default values the response builder supplies for the header fields a
 * code must or should carry (Allow, a digest challenge, Unsupported, Require, Accept*,
 * Supported, Min-SE, Min-Expires, Retry-After, Contact, Security-Server, Recv-Info,
 * Permission-Missing). RFC 3261 §20, §21, §22.4; RFC 8760 §2.4; RFC 4028; RFC 3329;
 * RFC 6086; RFC 5360. */
#include <string.h>

#include "sipreply/build.h"

#include "build_int.h"
#include "build_sink.h"
#include "core_int.h"

/* Join a NULL-terminated list with ", " into @p b (reset first). */
static int join_list(sr_buf *b, const char *const *list)
{
    b->len = 0;
    int rc = sr_buf_reserve(b, 1);
    if (rc)
        return rc;
    b->p[0] = '\0';
    for (size_t i = 0; list && list[i]; i++) {
        if (i && (rc = sr_buf_append_cstr(b, ", ")) != 0)
            return rc;
        if ((rc = sr_buf_append_cstr(b, list[i])) != 0)
            return rc;
    }
    return 0;
}

static bool list_has(const char *const *list, sr_str tok)
{
    for (size_t i = 0; list && list[i]; i++) {
        if (sr_str_caseeq_cstr(tok, list[i]))
            return true;
    }
    return false;
}

/* A digest challenge (RFC 3261 §22.4, RFC 8760 §2.4: strongest algorithm first). */
static int add_challenge(sink *k, enum sr_hdr_id id, const sr_msg *req, const sr_build_opts *o,
                         const sr_build_policy *p, sr_buf *b)
{
    char nonce[128];
    size_t nlen;
    if (p->nonce) {
        ptrdiff_t n = p->nonce(nonce, sizeof nonce, p->nonce_user);
        if (n < 0)
            return (int)n;
        if (n == 0 || (size_t)n > sizeof nonce)
            return SR_EINVAL;
        nlen = (size_t)n;
        for (size_t i = 0; i < nlen; i++) {
            if (nonce[i] == '"' || nonce[i] == '\\' || (unsigned char)nonce[i] < 0x20)
                return SR_EINVAL;
        }
    } else {
        sr__hex64(sr__request_hash(req, o->tag_key, "nonce"), nonce);
        nlen = 16;
    }
    static const char *const algs[] = {"SHA-256", "MD5"};
    for (size_t i = 0; i < 2; i++) {
        int rc;
        b->len = 0;
        if ((rc = sr_buf_append_cstr(b, "Digest realm=\"")) != 0 ||
            (rc = sr_buf_append_cstr(b, p->realm ? p->realm : "sipreply")) != 0 ||
            (rc = sr_buf_append_cstr(b, "\", nonce=\"")) != 0 ||
            (rc = sr_buf_append(b, nonce, nlen)) != 0 ||
            (rc = sr_buf_append_cstr(b, "\", algorithm=")) != 0 ||
            (rc = sr_buf_append_cstr(b, algs[i])) != 0 ||
            (rc = sr_buf_append_cstr(b, ", qop=\"auth\"")) != 0 ||
            (rc = add(k, id, buf_str(b))) != 0)
            return rc;
    }
    return 0;
}

/* 420: the Require (or, for a proxy's view, Proxy-Require) tags we do not support
 * (RFC 3261 §8.2.2.3: "list only those option tags that the UAS does not understand"). */
static int unsupported_value(sr_buf *b, const sr_msg *req, const sr_build_policy *p)
{
    b->len = 0;
    int rc = sr_buf_reserve(b, 1);
    if (rc)
        return rc;
    b->p[0] = '\0';
    static const enum sr_hdr_id ids[] = {SR_HDR_REQUIRE, SR_HDR_PROXY_REQUIRE};
    for (size_t k = 0; k < 2; k++) {
        for (const sr_header *h = sr_msg_header_find(req, ids[k], NULL); h;
             h = sr_msg_header_find(req, ids[k], h)) {
            size_t pos = 0;
            sr_str tok;
            while (sr_value_next(h->value, &pos, &tok)) {
                if (tok.len == 0 || list_has(p->supported, tok))
                    continue;
                if (b->len && (rc = sr_buf_append_cstr(b, ", ")) != 0)
                    return rc;
                if ((rc = sr_buf_append_str(b, tok)) != 0)
                    return rc;
            }
        }
    }
    return 0;
}

/* Supply a default for header @p name of response @p code, or return SR_EMISSING. */
int sr__build_default(sink *k, const char *name, unsigned code, const sr_msg *req,
                      const sr_build_opts *o, const sr_build_policy *p, sr_buf *b)
{
    enum sr_hdr_id id = sr_hdr_lookup(sr_str_from_cstr(name));
    int rc;
    char num[24];
    switch (id) {
    case SR_HDR_ALLOW:
        if ((rc = join_list(b, p->allow)) != 0)
            return rc;
        if (code == 405) {
            /* RFC 3261 §21.4.6: the 405's Allow lists what is allowed — never the method
             * being refused. */
            sr_str meth = sr_msg_method_str(req);
            b->len = 0;
            for (size_t i = 0; p->allow && p->allow[i]; i++) {
                if (sr_str_eq(sr_str_from_cstr(p->allow[i]), meth))
                    continue;
                if (b->len && (rc = sr_buf_append_cstr(b, ", ")) != 0)
                    return rc;
                if ((rc = sr_buf_append_cstr(b, p->allow[i])) != 0)
                    return rc;
            }
        }
        if (b->len == 0)
            return SR_EMISSING;
        return add(k, id, buf_str(b));
    case SR_HDR_WWW_AUTHENTICATE:
    case SR_HDR_PROXY_AUTHENTICATE: return add_challenge(k, id, req, o, p, b);
    case SR_HDR_UNSUPPORTED:
        if ((rc = unsupported_value(b, req, p)) != 0)
            return rc;
        if (b->len == 0)
            return SR_EMISSING; /* nothing unsupported: a 420 would be a lie */
        return add(k, id, buf_str(b));
    case SR_HDR_REQUIRE:
        if (!p->require || !p->require[0])
            return SR_EMISSING;
        if ((rc = join_list(b, p->require)) != 0)
            return rc;
        return add(k, id, buf_str(b));
    case SR_HDR_ACCEPT:
    case SR_HDR_ACCEPT_ENCODING:
    case SR_HDR_ACCEPT_LANGUAGE: {
        const char *const *l = id == SR_HDR_ACCEPT            ? p->accept
                               : id == SR_HDR_ACCEPT_ENCODING ? p->accept_encoding
                                                              : p->accept_language;
        if (!l || !l[0])
            return SR_EMISSING;
        if ((rc = join_list(b, l)) != 0)
            return rc;
        return add(k, id, buf_str(b));
    }
    case SR_HDR_SUPPORTED:
        if ((rc = join_list(b, p->supported)) != 0)
            return rc;
        return add(k, id, buf_str(b));
    case SR_HDR_MIN_SE:
    case SR_HDR_MIN_EXPIRES:
    case SR_HDR_RETRY_AFTER: {
        uint32_t v = id == SR_HDR_MIN_SE        ? p->min_se
                     : id == SR_HDR_MIN_EXPIRES ? p->min_expires
                                                : p->retry_after;
        if (v == 0 && id != SR_HDR_MIN_EXPIRES)
            return SR_EMISSING;
        size_t n = sr__u32_to_dec(v, num);
        return add(k, id, (sr_str){num, n});
    }
    case SR_HDR_CONTACT:
        if (!p->contacts || !p->contacts[0])
            return SR_EMISSING;
        for (size_t i = 0; p->contacts[i]; i++) {
            b->len = 0;
            if ((rc = sr_buf_append_cstr(b, "<")) != 0 ||
                (rc = sr_buf_append_cstr(b, p->contacts[i])) != 0 ||
                (rc = sr_buf_append_cstr(b, ">")) != 0 || (rc = add(k, id, buf_str(b))) != 0)
                return rc;
        }
        return 0;
    case SR_HDR_SECURITY_SERVER:
        if (!p->security_server || !p->security_server[0])
            return SR_EMISSING;
        return add(k, id, sr_str_from_cstr(p->security_server));
    case SR_HDR_RECV_INFO:
        /* RFC 6086 §5.2.3: an empty Recv-Info means "no info packages". */
        if ((rc = join_list(b, p->recv_info)) != 0)
            return rc;
        return add(k, id, buf_str(b));
    case SR_HDR_PERMISSION_MISSING: {
        /* RFC 5360 §5.9.1: the target URIs lacking permission — here the Request-URI. */
        b->len = 0;
        if ((rc = sr_buf_append_cstr(b, "<")) != 0 ||
            (rc = sr_buf_append_str(b, sr_msg_request_uri(req))) != 0 ||
            (rc = sr_buf_append_cstr(b, ">")) != 0)
            return rc;
        return add(k, id, buf_str(b));
    }
    default: return SR_EMISSING;
    }
}
