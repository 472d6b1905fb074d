/* sipreply core: the Digest computation (RFC 2617 §3.2.2, RFC 7616 §3.4) and the parsing of
 * challenges and credentials (RFC 3261 §25.1, RFC 7616 §3.3-§3.4). Never allocates. */
#include <string.h>

#include "core_int.h"
#include "digest_int.h"
#include "sipreply/auth.h"

const char *sr_digest_alg_name(sr_digest_alg alg)
{
    switch (alg) {
    case SR_DIGEST_MD5: return "MD5";
    case SR_DIGEST_SHA256: return "SHA-256";
    default: return NULL;
    }
}

sr_digest_alg sr_digest_alg_from_str(sr_str tok)
{
    if (tok.len >= 2 && tok.p[0] == '"' && tok.p[tok.len - 1] == '"') {
        tok.p++;
        tok.len -= 2;
    }
    if (tok.len == 0)
        return SR_DIGEST_MD5;
    if (SR__LC_EQ(tok, "md5"))
        return SR_DIGEST_MD5;
    if (SR__LC_EQ(tok, "sha-256"))
        return SR_DIGEST_SHA256;
    return SR_DIGEST_ALG_NONE;
}

size_t sr_digest_hex_len(sr_digest_alg alg)
{
    switch (alg) {
    case SR_DIGEST_MD5: return 2 * SR_MD5_LEN;
    case SR_DIGEST_SHA256: return 2 * SR_SHA256_LEN;
    default: return 0;
    }
}

/* ------------------------------------------------------------------ hashing helpers */

void sr__dh_init(sr__dh *h, sr_digest_alg alg)
{
    h->alg = alg;
    if (alg == SR_DIGEST_SHA256)
        sr_sha256_init(&h->u.sha256);
    else
        sr_md5_init(&h->u.md5);
}

void sr__dh_update(sr__dh *h, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (h->alg == SR_DIGEST_SHA256)
        sr_sha256_update(&h->u.sha256, p, n);
    else
        sr_md5_update(&h->u.md5, p, n);
}

void sr__dh_str(sr__dh *h, sr_str s)
{
    sr__dh_update(h, s.p, s.len);
}

void sr__dh_colon(sr__dh *h)
{
    sr__dh_update(h, ":", 1);
}

size_t sr__dh_final_hex(sr__dh *h, char *hex)
{
    uint8_t d[SR_SHA256_LEN];
    size_t n;
    if (h->alg == SR_DIGEST_SHA256) {
        sr_sha256_final(&h->u.sha256, d);
        n = SR_SHA256_LEN;
    } else {
        sr_md5_final(&h->u.md5, d);
        n = SR_MD5_LEN;
    }
    sr__hex(d, n, hex);
    return 2 * n;
}

void sr__hex(const uint8_t *d, size_t n, char *hex)
{
    static const char xd[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = xd[d[i] >> 4];
        hex[2 * i + 1] = xd[d[i] & 15];
    }
}

static bool is_hex(sr_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

ptrdiff_t sr_digest_ha1(sr_digest_alg alg, sr_str username, sr_str realm, sr_str password,
                        char *out, size_t cap)
{
    size_t hl = sr_digest_hex_len(alg);
    if (!out || hl == 0)
        return SR_EINVAL;
    if (cap < hl)
        return SR_ENOSPC;
    sr__dh h;
    sr__dh_init(&h, alg);
    sr__dh_str(&h, username);
    sr__dh_colon(&h);
    sr__dh_str(&h, realm);
    sr__dh_colon(&h);
    sr__dh_str(&h, password);
    char hex[SR_DIGEST_HEX_MAX];
    sr__dh_final_hex(&h, hex);
    memcpy(out, hex, hl);
    if (cap > hl)
        out[hl] = '\0';
    return (ptrdiff_t)hl;
}

static const char *qop_token(sr_digest_qop q)
{
    return q == SR_QOP_AUTH_INT ? "auth-int" : "auth";
}

ptrdiff_t sr_digest_response(const sr_digest_input *in, char *out, size_t cap)
{
    if (!in || !out)
        return SR_EINVAL;
    size_t hl = sr_digest_hex_len(in->alg);
    if (hl == 0)
        return SR_EINVAL;
    if (in->qop != SR_QOP_NONE && in->qop != SR_QOP_AUTH && in->qop != SR_QOP_AUTH_INT)
        return SR_EINVAL;
    if (in->qop != SR_QOP_NONE && (in->nc.len == 0 || in->cnonce.len == 0))
        return SR_EINVAL;
    if (cap < hl)
        return SR_ENOSPC;

    char ha1[SR_DIGEST_HEX_MAX], ha2[SR_DIGEST_HEX_MAX], hb[SR_DIGEST_HEX_MAX];
    if (in->ha1.len) {
        if (in->ha1.len != hl || !is_hex(in->ha1))
            return SR_EINVAL;
        for (size_t i = 0; i < hl; i++)
            ha1[i] = (char)sr__tolower((unsigned char)in->ha1.p[i]);
    } else {
        sr__dh h;
        sr__dh_init(&h, in->alg);
        sr__dh_str(&h, in->username);
        sr__dh_colon(&h);
        sr__dh_str(&h, in->realm);
        sr__dh_colon(&h);
        sr__dh_str(&h, in->password);
        sr__dh_final_hex(&h, ha1);
    }
    if (in->sess) {
        /* RFC 7616 §3.4.2: A1 of a -sess algorithm adds the nonce and the cnonce. */
        if (in->cnonce.len == 0)
            return SR_EINVAL;
        sr__dh hs;
        sr__dh_init(&hs, in->alg);
        sr__dh_update(&hs, ha1, hl);
        sr__dh_colon(&hs);
        sr__dh_str(&hs, in->nonce);
        sr__dh_colon(&hs);
        sr__dh_str(&hs, in->cnonce);
        sr__dh_final_hex(&hs, ha1);
    }

    sr__dh h;
    if (in->qop == SR_QOP_AUTH_INT) {
        sr__dh_init(&h, in->alg);
        sr__dh_str(&h, in->body);
        sr__dh_final_hex(&h, hb);
    }
    sr__dh_init(&h, in->alg);
    sr__dh_str(&h, in->method);
    sr__dh_colon(&h);
    sr__dh_str(&h, in->uri);
    if (in->qop == SR_QOP_AUTH_INT) {
        sr__dh_colon(&h);
        sr__dh_update(&h, hb, hl);
    }
    sr__dh_final_hex(&h, ha2);

    sr__dh_init(&h, in->alg);
    sr__dh_update(&h, ha1, hl);
    sr__dh_colon(&h);
    sr__dh_str(&h, in->nonce);
    sr__dh_colon(&h);
    if (in->qop != SR_QOP_NONE) {
        sr__dh_str(&h, in->nc);
        sr__dh_colon(&h);
        sr__dh_str(&h, in->cnonce);
        sr__dh_colon(&h);
        sr__dh_str(&h, sr_str_from_cstr(qop_token(in->qop)));
        sr__dh_colon(&h);
    }
    sr__dh_update(&h, ha2, hl);
    char res[SR_DIGEST_HEX_MAX];
    sr__dh_final_hex(&h, res);
    memcpy(out, res, hl);
    if (cap > hl)
        out[hl] = '\0';
    return (ptrdiff_t)hl;
}

/* ------------------------------------------------------------------ parsing */

/* Where unquoted values go. */
typedef struct store {
    char *p;
    size_t cap, used;
} store;

/* The unquoted content of @p v (token or quoted-string) into *out: a slice of the input when
 * there is no escape, else a copy in @p st. Returns 0, SR_EBADMSG, SR_ETOOBIG. */
static int unq(sr_str v, store *st, sr_str *out)
{
    if (!v.p)
        return SR_EBADMSG;
    if (v.len == 0 || v.p[0] != '"') {
        *out = v;
        return 0;
    }
    if (v.len < 2 || v.p[v.len - 1] != '"')
        return SR_EBADMSG;
    if (!memchr(v.p + 1, '\\', v.len - 2)) {
        out->p = v.p + 1;
        out->len = v.len - 2;
        return 0;
    }
    ptrdiff_t n = sr_str_unquote(v, st->p + st->used, st->cap - st->used);
    if (n == SR_ENOSPC)
        return SR_ETOOBIG;
    if (n < 0)
        return SR_EBADMSG;
    out->p = st->p + st->used;
    out->len = (size_t)n;
    st->used += (size_t)n;
    return 0;
}

/* Set a parameter once: a repeated one is malformed (RFC 7616 §3.3 lists each once). */
static int set_once(sr_str v, store *st, sr_str *dst, unsigned *seen, unsigned bit)
{
    if (*seen & bit)
        return SR_EBADMSG;
    *seen |= bit;
    return unq(v, st, dst);
}

static int parse_scheme(sr_auth *a, sr_str value)
{
    /* Another scheme (Basic's token68, RFC 7235 §2.1) is not ours to judge. */
    size_t i = sr__skip_lws(value.p, 0, value.len), s = i;
    while (i < value.len && sr__is((unsigned char)value.p[i], SR__C_TOKEN))
        i++;
    if (!SR__LC_EQ(((sr_str){value.p + s, i - s}), "digest"))
        return i > s ? SR_EUNSUPPORTED : SR_EBADMSG;
    if (sr_auth_parse(a, value, NULL) != 0)
        return SR_EBADMSG;
    return 0;
}

static sr_digest_qop qop_from(sr_str t)
{
    if (SR__LC_EQ(t, "auth"))
        return SR_QOP_AUTH;
    if (SR__LC_EQ(t, "auth-int"))
        return SR_QOP_AUTH_INT;
    return SR_QOP_NONE;
}

enum {
    P_REALM = 1u << 0,
    P_NONCE = 1u << 1,
    P_OPAQUE = 1u << 2,
    P_DOMAIN = 1u << 3,
    P_ALG = 1u << 4,
    P_QOP = 1u << 5,
    P_STALE = 1u << 6,
    P_USER = 1u << 7,
    P_URI = 1u << 8,
    P_RESP = 1u << 9,
    P_CNONCE = 1u << 10,
    P_NC = 1u << 11,
    P_USERHASH = 1u << 12,
};

int sr_digest_challenge_parse(sr_digest_challenge *out, sr_str value)
{
    if (!out || (!value.p && value.len))
        return SR_EINVAL;
    memset(out, 0, offsetof(sr_digest_challenge, store));
    sr_auth a;
    int rc = parse_scheme(&a, value);
    if (rc)
        return rc;
    store st = {out->store, sizeof out->store, 0};
    unsigned seen = 0;
    size_t pos = 0;
    sr_str name, v, qop = SR_STR_NULL, stale = SR_STR_NULL, userhash = SR_STR_NULL;
    while (sr_auth_param_next(&a, &pos, &name, &v)) {
        if (!v.p)
            return SR_EBADMSG;
        if (SR__LC_EQ(name, "realm"))
            rc = set_once(v, &st, &out->realm, &seen, P_REALM);
        else if (SR__LC_EQ(name, "nonce"))
            rc = set_once(v, &st, &out->nonce, &seen, P_NONCE);
        else if (SR__LC_EQ(name, "opaque"))
            rc = set_once(v, &st, &out->opaque, &seen, P_OPAQUE);
        else if (SR__LC_EQ(name, "domain"))
            rc = set_once(v, &st, &out->domain, &seen, P_DOMAIN);
        else if (SR__LC_EQ(name, "algorithm"))
            rc = set_once(v, &st, &out->algorithm, &seen, P_ALG);
        else if (SR__LC_EQ(name, "qop"))
            rc = set_once(v, &st, &qop, &seen, P_QOP);
        else if (SR__LC_EQ(name, "stale"))
            rc = set_once(v, &st, &stale, &seen, P_STALE);
        else if (SR__LC_EQ(name, "userhash"))
            rc = set_once(v, &st, &userhash, &seen, P_USERHASH);
        else
            rc = 0; /* auth-param extensions are ignored (RFC 7616 §3.3) */
        if (rc)
            return rc;
    }
    if (!(seen & P_REALM) || !(seen & P_NONCE))
        return SR_EBADMSG;
    if (!out->opaque.p && (seen & P_OPAQUE))
        out->opaque.p = "";
    if (!out->domain.p && (seen & P_DOMAIN))
        out->domain.p = "";
    out->alg = sr_digest_alg_from_str(out->algorithm);
    if (out->alg == SR_DIGEST_ALG_NONE && out->algorithm.len > 5 &&
        SR__LC_EQ(((sr_str){out->algorithm.p + out->algorithm.len - 5, 5}), "-sess")) {
        out->alg = sr_digest_alg_from_str((sr_str){out->algorithm.p, out->algorithm.len - 5});
        out->sess = out->alg != SR_DIGEST_ALG_NONE;
    }
    out->stale = SR__LC_EQ(stale, "true");
    out->userhash = SR__LC_EQ(userhash, "true");
    /* qop-options: a quoted, comma-separated list of qop-value. */
    size_t i = 0;
    while (i < qop.len) {
        while (i < qop.len && (qop.p[i] == ',' || qop.p[i] == ' ' || qop.p[i] == '\t'))
            i++;
        size_t s = i;
        while (i < qop.len && qop.p[i] != ',' && qop.p[i] != ' ' && qop.p[i] != '\t')
            i++;
        sr_digest_qop q = qop_from((sr_str){qop.p + s, i - s});
        if (q != SR_QOP_NONE)
            out->qops |= SR_QOP_BIT(q);
    }
    return 0;
}

int sr_digest_credentials_parse(sr_digest_credentials *out, sr_str value)
{
    if (!out || (!value.p && value.len))
        return SR_EINVAL;
    memset(out, 0, offsetof(sr_digest_credentials, store));
    sr_auth a;
    int rc = parse_scheme(&a, value);
    if (rc)
        return rc;
    store st = {out->store, sizeof out->store, 0};
    unsigned seen = 0;
    size_t pos = 0;
    sr_str name, v, userhash = SR_STR_NULL;
    while (sr_auth_param_next(&a, &pos, &name, &v)) {
        if (!v.p)
            return SR_EBADMSG;
        if (SR__LC_EQ(name, "username"))
            rc = set_once(v, &st, &out->username, &seen, P_USER);
        else if (SR__LC_EQ(name, "realm"))
            rc = set_once(v, &st, &out->realm, &seen, P_REALM);
        else if (SR__LC_EQ(name, "nonce"))
            rc = set_once(v, &st, &out->nonce, &seen, P_NONCE);
        else if (SR__LC_EQ(name, "uri"))
            rc = set_once(v, &st, &out->uri, &seen, P_URI);
        else if (SR__LC_EQ(name, "response"))
            rc = set_once(v, &st, &out->response, &seen, P_RESP);
        else if (SR__LC_EQ(name, "algorithm"))
            rc = set_once(v, &st, &out->algorithm, &seen, P_ALG);
        else if (SR__LC_EQ(name, "cnonce"))
            rc = set_once(v, &st, &out->cnonce, &seen, P_CNONCE);
        else if (SR__LC_EQ(name, "opaque"))
            rc = set_once(v, &st, &out->opaque, &seen, P_OPAQUE);
        else if (SR__LC_EQ(name, "qop"))
            rc = set_once(v, &st, &out->qop, &seen, P_QOP);
        else if (SR__LC_EQ(name, "nc"))
            rc = set_once(v, &st, &out->nc, &seen, P_NC);
        else if (SR__LC_EQ(name, "userhash"))
            rc = set_once(v, &st, &userhash, &seen, P_USERHASH);
        else
            rc = 0;
        if (rc)
            return rc;
    }
    const unsigned need = P_USER | P_REALM | P_NONCE | P_URI | P_RESP;
    if ((seen & need) != need)
        return SR_EBADMSG;
    if (!out->opaque.p && (seen & P_OPAQUE))
        out->opaque.p = "";
    out->alg = sr_digest_alg_from_str(out->algorithm);
    out->userhash = SR__LC_EQ(userhash, "true");
    if (seen & P_QOP) {
        out->qop_id = qop_from(out->qop);
        /* RFC 7616 §3.4: with a qop, cnonce and nc (8LHEX) must be present. */
        if (!(seen & P_CNONCE) || out->cnonce.len == 0 || !(seen & P_NC) || out->nc.len != 8 ||
            !is_hex(out->nc))
            return SR_EBADMSG;
        uint32_t nc = 0;
        for (size_t i = 0; i < 8; i++) {
            unsigned char c = (unsigned char)out->nc.p[i];
            unsigned d = c <= '9' ? (unsigned)(c - '0') : (unsigned)(sr__tolower(c) - 'a' + 10);
            nc = nc << 4 | d;
        }
        out->nc_value = nc;
    }
    return 0;
}
