/* sipreply core: digest authentication — server nonces, challenges, verification of
 * credentials, and the client's answer. RFC 3261 §22, RFC 2617 §3, RFC 7616, RFC 8760.
 * No clock here: every time is the caller's now_ms. */
#include <stddef.h>
#include <string.h>

#include "core_int.h"
#include "digest_int.h"
#include "sipreply/auth.h"
#include "sipreply/uri.h"

typedef struct nc_slot {
    uint32_t serial;
    uint32_t nc;
    bool used;
} nc_slot;

struct sr_auth_server {
    const sr_allocator *alloc;
    uint8_t secret[SR_AUTH_SECRET_MAX];
    size_t secret_len;
    char *realm;
    size_t realm_len;
    char *opaque; /* NULL: none */
    size_t opaque_len;
    unsigned algs;
    unsigned qops;
    bool allow_no_qop;
    bool check_uri;
    bool md5_first;
    uint32_t lifetime_ms;
    uint32_t skew_ms;
    uint32_t serial;
    size_t nc_slots;
    nc_slot *nc;
    sr_sha256_ctx mac_inner; /* HMAC key schedule: ipad and opad blocks already absorbed */
    sr_sha256_ctx mac_outer;
};

/* ------------------------------------------------------------------ small helpers */

enum sr_hdr_id sr_auth_challenge_hdr(sr_auth_kind kind)
{
    return kind == SR_AUTH_PROXY ? SR_HDR_PROXY_AUTHENTICATE : SR_HDR_WWW_AUTHENTICATE;
}

enum sr_hdr_id sr_auth_credentials_hdr(sr_auth_kind kind)
{
    return kind == SR_AUTH_PROXY ? SR_HDR_PROXY_AUTHORIZATION : SR_HDR_AUTHORIZATION;
}

unsigned sr_auth_code(sr_auth_kind kind)
{
    return kind == SR_AUTH_PROXY ? 407 : 401;
}

const char *sr_auth_result_name(sr_auth_result r)
{
    switch (r) {
#define SR_AUTH_NAME_(name, text) \
    case SR_AUTH_##name: return #name;
        SR_AUTH_RESULT_MAP(SR_AUTH_NAME_)
#undef SR_AUTH_NAME_
    default: return NULL;
    }
}

const char *sr_auth_result_text(sr_auth_result r)
{
    switch (r) {
#define SR_AUTH_TEXT_(name, text) \
    case SR_AUTH_##name: return text;
        SR_AUTH_RESULT_MAP(SR_AUTH_TEXT_)
#undef SR_AUTH_TEXT_
    default: return "unknown verdict";
    }
}

unsigned sr_auth_result_code(sr_auth_result r, sr_auth_kind kind)
{
    switch (r) {
    case SR_AUTH_OK: return 0;
    case SR_AUTH_MALFORMED:
    case SR_AUTH_URI_MISMATCH: return 400;
    default: return sr_auth_code(kind);
    }
}

/* A value that may go inside a quoted-string without escaping. */
static bool plain_qtext(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\' || c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

static char *dup_cstr(const sr_allocator *a, const char *s, size_t *len)
{
    size_t n = strlen(s);
    char *p = sr__malloc(a, n + 1);
    if (p) {
        memcpy(p, s, n + 1);
        *len = n;
    }
    return p;
}

/* ------------------------------------------------------------------ server object */

void sr_auth_config_init(sr_auth_config *c)
{
    if (!c)
        return;
    memset(c, 0, sizeof *c);
    c->size = sizeof *c;
    c->realm = "sipreply";
    c->algs = SR_DIGEST_ALL;
    c->qops = SR_QOP_BIT(SR_QOP_AUTH);
    c->allow_no_qop = true;
    c->check_uri = true;
    c->nonce_lifetime_ms = 300000;
    c->nonce_skew_ms = 5000;
    c->nc_slots = 1024;
}

/* HMAC-SHA-256 under the server's secret, from the precomputed pads (RFC 2104 §4). */
static void server_mac(const sr_auth_server *s, const uint8_t *msg, size_t n, uint8_t *out)
{
    uint8_t inner[SR_SHA256_LEN];
    sr_sha256_ctx c = s->mac_inner;
    sr_sha256_update(&c, msg, n);
    sr_sha256_final(&c, inner);
    c = s->mac_outer;
    sr_sha256_update(&c, inner, sizeof inner);
    sr_sha256_final(&c, out);
}

static void mac_setup(sr_auth_server *s)
{
    uint8_t k[64] = {0}, pad[64];
    memcpy(k, s->secret, s->secret_len); /* secret_len <= 64: never hashed first */
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    sr_sha256_init(&s->mac_inner);
    sr_sha256_update(&s->mac_inner, pad, 64);
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    sr_sha256_init(&s->mac_outer);
    sr_sha256_update(&s->mac_outer, pad, 64);
}

/* Derived opaque: 16 hex digits of HMAC(secret, "opaque:" realm). */
static void derive_opaque(const sr_auth_server *s, char *out)
{
    uint8_t mac[SR_SHA256_LEN];
    uint8_t msg[7 + 256];
    size_t n = s->realm_len < 256 ? s->realm_len : 256;
    memcpy(msg, "opaque:", 7);
    memcpy(msg + 7, s->realm, n);
    server_mac(s, msg, 7 + n, mac);
    sr__hex(mac, 8, out);
    out[16] = '\0';
}

int sr_auth_server_new(sr_auth_server **out, const sr_auth_config *c)
{
    if (!out || !c || !c->secret || c->secret_len == 0 || c->secret_len > SR_AUTH_SECRET_MAX)
        return SR_EINVAL;
    if ((c->algs & SR_DIGEST_ALL) == 0 || (c->algs & ~SR_DIGEST_ALL))
        return SR_EINVAL;
    unsigned qmask = SR_QOP_BIT(SR_QOP_AUTH) | SR_QOP_BIT(SR_QOP_AUTH_INT);
    if (c->qops & ~qmask)
        return SR_EINVAL;
    const char *realm = c->realm ? c->realm : "sipreply";
    if (!plain_qtext(realm) || (c->opaque && !plain_qtext(c->opaque)))
        return SR_EINVAL;
    if (c->nc_slots > ((size_t)1 << 24))
        return SR_EINVAL;
    const sr_allocator *a = sr__alloc_or_default(c->alloc);
    sr_auth_server *s = sr__malloc(a, sizeof *s);
    if (!s)
        return SR_ENOMEM;
    memset(s, 0, sizeof *s);
    s->alloc = a;
    memcpy(s->secret, c->secret, c->secret_len);
    s->secret_len = c->secret_len;
    s->algs = c->algs;
    s->qops = c->qops;
    s->allow_no_qop = c->allow_no_qop;
    s->check_uri = c->check_uri;
    /* ABI growth (STYLE §3): a caller's older, shorter sr_auth_config has no md5_first */
    s->md5_first =
        c->size >= offsetof(sr_auth_config, md5_first) + sizeof c->md5_first && c->md5_first;
    s->lifetime_ms = c->nonce_lifetime_ms;
    s->skew_ms = c->nonce_skew_ms;
    s->nc_slots = c->nc_slots;
    mac_setup(s);
    if (!(s->realm = dup_cstr(a, realm, &s->realm_len)))
        goto nomem;
    if (c->opaque) {
        if (c->opaque[0] && !(s->opaque = dup_cstr(a, c->opaque, &s->opaque_len)))
            goto nomem;
    } else {
        char o[17];
        derive_opaque(s, o);
        if (!(s->opaque = dup_cstr(a, o, &s->opaque_len)))
            goto nomem;
    }
    if (s->nc_slots) {
        s->nc = sr__malloc(a, s->nc_slots * sizeof *s->nc);
        if (!s->nc)
            goto nomem;
        memset(s->nc, 0, s->nc_slots * sizeof *s->nc);
    }
    *out = s;
    return 0;
nomem:
    sr_auth_server_free(s);
    return SR_ENOMEM;
}

void sr_auth_server_free(sr_auth_server *s)
{
    if (!s)
        return;
    const sr_allocator *a = s->alloc;
    sr__free(a, s->realm);
    sr__free(a, s->opaque);
    sr__free(a, s->nc);
    sr__free(a, s);
}

const char *sr_auth_server_realm(const sr_auth_server *s)
{
    return s ? s->realm : NULL;
}

/* ------------------------------------------------------------------ nonces */

#define TS_HEX     12
#define SERIAL_HEX 8
#define MAC_BYTES  16

static void nonce_mac(const sr_auth_server *s, uint64_t ts, uint32_t serial, uint8_t *mac)
{
    /* HMAC-SHA-256(secret, "nonce" 0 realm 0 ts(6 bytes) serial(4 bytes)), truncated. */
    uint8_t msg[6 + 1 + 256 + 1 + 10];
    size_t n = 0, rl = s->realm_len < 256 ? s->realm_len : 256;
    memcpy(msg, "nonce", 5);
    n = 5;
    msg[n++] = 0;
    memcpy(msg + n, s->realm, rl);
    n += rl;
    msg[n++] = 0;
    for (int i = 5; i >= 0; i--)
        msg[n++] = (uint8_t)(ts >> (8 * i));
    for (int i = 3; i >= 0; i--)
        msg[n++] = (uint8_t)(serial >> (8 * i));
    uint8_t full[SR_SHA256_LEN];
    server_mac(s, msg, n, full);
    memcpy(mac, full, MAC_BYTES);
}

void sr__put_hex_be(uint64_t v, size_t digits, char *out)
{
    static const char xd[] = "0123456789abcdef";
    for (size_t i = 0; i < digits; i++)
        out[digits - 1 - i] = xd[(v >> (4 * i)) & 15];
}

static bool get_hex_be(const char *p, size_t digits, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < digits; i++) {
        unsigned char c = (unsigned char)p[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return false;
        x = x << 4 | d;
    }
    *v = x;
    return true;
}

ptrdiff_t sr_auth_nonce_make(sr_auth_server *s, uint64_t now_ms, char *out, size_t cap)
{
    if (!s || !out)
        return SR_EINVAL;
    if (cap < SR_AUTH_NONCE_LEN)
        return SR_ENOSPC;
    uint64_t ts = now_ms & 0xffffffffffffull;
    uint32_t serial = ++s->serial;
    uint8_t mac[MAC_BYTES];
    nonce_mac(s, ts, serial, mac);
    sr__put_hex_be(ts, TS_HEX, out);
    sr__put_hex_be(serial, SERIAL_HEX, out + TS_HEX);
    sr__hex(mac, MAC_BYTES, out + TS_HEX + SERIAL_HEX);
    if (cap > SR_AUTH_NONCE_LEN)
        out[SR_AUTH_NONCE_LEN] = '\0';
    return SR_AUTH_NONCE_LEN;
}

/* Decode and authenticate a nonce: OK with ts and serial, or BAD_NONCE. */
static sr_auth_result nonce_open(const sr_auth_server *s, sr_str nonce, uint64_t *ts,
                                 uint32_t *serial)
{
    if (nonce.len != SR_AUTH_NONCE_LEN || !nonce.p)
        return SR_AUTH_BAD_NONCE;
    uint64_t t, ser, dummy;
    if (!get_hex_be(nonce.p, TS_HEX, &t) || !get_hex_be(nonce.p + TS_HEX, SERIAL_HEX, &ser))
        return SR_AUTH_BAD_NONCE;
    for (size_t i = TS_HEX + SERIAL_HEX; i < SR_AUTH_NONCE_LEN; i += 8) {
        if (!get_hex_be(nonce.p + i, 8, &dummy))
            return SR_AUTH_BAD_NONCE;
    }
    uint8_t mac[MAC_BYTES];
    char hex[2 * MAC_BYTES];
    nonce_mac(s, t, (uint32_t)ser, mac);
    sr__hex(mac, MAC_BYTES, hex);
    if (!sr_mem_eq_ct(hex, nonce.p + TS_HEX + SERIAL_HEX, sizeof hex))
        return SR_AUTH_BAD_NONCE;
    *ts = t;
    *serial = (uint32_t)ser;
    return SR_AUTH_OK;
}

static sr_auth_result nonce_age(const sr_auth_server *s, uint64_t ts, uint64_t now_ms)
{
    uint64_t now = now_ms & 0xffffffffffffull;
    if (ts > now) {
        if (ts - now > s->skew_ms)
            return SR_AUTH_BAD_NONCE;
        return SR_AUTH_OK;
    }
    if (now - ts > s->lifetime_ms)
        return SR_AUTH_STALE_NONCE;
    return SR_AUTH_OK;
}

sr_auth_result sr_auth_nonce_check(const sr_auth_server *s, sr_str nonce, uint64_t now_ms)
{
    if (!s)
        return SR_AUTH_BAD_NONCE;
    uint64_t ts;
    uint32_t serial;
    sr_auth_result r = nonce_open(s, nonce, &ts, &serial);
    if (r != SR_AUTH_OK)
        return r;
    return nonce_age(s, ts, now_ms);
}

ptrdiff_t sr_auth_build_nonce(char *out, size_t cap, void *user)
{
    sr_auth_nonce_ctx *ctx = user;
    if (!ctx || !ctx->server)
        return SR_EINVAL;
    return sr_auth_nonce_make(ctx->server, ctx->now_ms, out, cap);
}

/* ------------------------------------------------------------------ challenges */

int sr__append_quoted(sr_buf *b, sr_str v)
{
    int rc = sr_buf_append(b, "\"", 1);
    for (size_t i = 0; !rc && i < v.len; i++) {
        if (v.p[i] == '"' || v.p[i] == '\\')
            rc = sr_buf_append(b, "\\", 1);
        if (!rc)
            rc = sr_buf_append(b, v.p + i, 1);
    }
    if (!rc)
        rc = sr_buf_append(b, "\"", 1);
    return rc;
}

int sr_auth_challenge_value(const sr_auth_server *s, sr_digest_alg alg, sr_str nonce, bool stale,
                            sr_buf *out)
{
    if (!s || !out || !nonce.p || nonce.len == 0)
        return SR_EINVAL;
    if (alg != SR_DIGEST_MD5 && alg != SR_DIGEST_SHA256)
        return SR_EINVAL;
    if (!(s->algs & SR_DIGEST_BIT(alg)))
        return SR_EINVAL;
    for (size_t i = 0; i < nonce.len; i++) {
        unsigned char c = (unsigned char)nonce.p[i];
        if (c == '"' || c == '\\' || c < 0x20 || c == 0x7f)
            return SR_EINVAL;
    }
    size_t mark = out->len;
    int rc = sr_buf_append_cstr(out, "Digest realm=");
    if (!rc)
        rc = sr__append_quoted(out, (sr_str){s->realm, s->realm_len});
    if (!rc)
        rc = sr_buf_append_cstr(out, ", nonce=");
    if (!rc)
        rc = sr__append_quoted(out, nonce);
    if (!rc && s->opaque) {
        rc = sr_buf_append_cstr(out, ", opaque=");
        if (!rc)
            rc = sr__append_quoted(out, (sr_str){s->opaque, s->opaque_len});
    }
    if (!rc)
        rc = sr_buf_append_cstr(out, ", algorithm=");
    if (!rc)
        rc = sr_buf_append_cstr(out, sr_digest_alg_name(alg));
    if (!rc && s->qops) {
        bool a = s->qops & SR_QOP_BIT(SR_QOP_AUTH), ai = s->qops & SR_QOP_BIT(SR_QOP_AUTH_INT);
        rc = sr_buf_append_cstr(out, a && ai ? ", qop=\"auth,auth-int\""
                                     : a     ? ", qop=\"auth\""
                                             : ", qop=\"auth-int\"");
    }
    if (!rc && stale)
        rc = sr_buf_append_cstr(out, ", stale=true");
    if (rc) {
        out->len = mark;
        if (out->p)
            out->p[mark] = '\0';
    }
    return rc;
}

int sr_auth_challenge_build(sr_msg **out, sr_auth_server *s, const sr_msg *req, sr_auth_kind kind,
                            uint64_t now_ms, bool stale, const sr_build_opts *o,
                            sr_build_error *err)
{
    if (!out || !s || !req || (kind != SR_AUTH_WWW && kind != SR_AUTH_PROXY))
        return SR_EINVAL;
    sr_build_opts bo;
    if (o)
        bo = *o;
    else
        sr_build_opts_init(&bo);
    char nonce[SR_AUTH_NONCE_LEN + 1];
    ptrdiff_t nl = sr_auth_nonce_make(s, now_ms, nonce, sizeof nonce);
    if (nl < 0)
        return (int)nl;
    /* RFC 8760 §2.4: most preferred first (SHA-256), unless md5_first */
    static const sr_digest_alg pref[] = {SR_DIGEST_SHA256, SR_DIGEST_MD5};
    static const sr_digest_alg md5_first[] = {SR_DIGEST_MD5, SR_DIGEST_SHA256};
    const sr_digest_alg *order = s->md5_first ? md5_first : pref;
    sr_buf b;
    sr_buf_init(&b, bo.alloc);
    size_t ends[2], nch = 0;
    int rc = 0;
    for (size_t i = 0; i < 2 && !rc; i++) {
        if (!(s->algs & SR_DIGEST_BIT(order[i])))
            continue;
        rc = sr_auth_challenge_value(s, order[i], (sr_str){nonce, (size_t)nl}, stale, &b);
        ends[nch++] = b.len;
    }
    size_t nh = bo.n_headers + nch;
    sr_build_header *hs = NULL;
    if (!rc) {
        hs = sr__malloc(sr__alloc_or_default(bo.alloc), nh * sizeof *hs);
        if (!hs)
            rc = SR_ENOMEM;
    }
    if (!rc) {
        for (size_t i = 0; i < bo.n_headers; i++)
            hs[i] = bo.headers[i];
        const char *name = sr_hdr_name(sr_auth_challenge_hdr(kind));
        size_t start = 0;
        for (size_t i = 0; i < nch; i++) {
            hs[bo.n_headers + i].name = sr_str_from_cstr(name);
            hs[bo.n_headers + i].value = (sr_str){b.p + start, ends[i] - start};
            start = ends[i];
        }
        bo.headers = hs;
        bo.n_headers = nh;
        rc = sr_build_response(out, req, sr_auth_code(kind), &bo, err);
    }
    sr__free(sr__alloc_or_default(bo.alloc), hs);
    sr_buf_cleanup(&b);
    return rc;
}

/* ------------------------------------------------------------------ verification */

/* RFC 3261 §22.4 item 6: RFC 2617 has the digest-uri and the Request-URI point to the same
 * resource, but in SIP "these two URIs may refer to different users, due to forwarding at
 * some proxy", and "it is not necessarily a failure if the two fields are not equivalent".
 * A proxy that rewrote host, port or parameters (Kamailio's rewritehostport, $ru) is
 * accepted; the check the UAS MAY make is on the user: a SIP or SIPS digest-uri naming a
 * user must name the Request-URI's (compared as §19.1.4 compares userinfo); one naming no
 * user (SIPp's default, sip:host:port of the next hop) passes. The response digest is over
 * the digest-uri (A2), so integrity does not rest on this check. */
static bool uri_matches(sr_str cred_uri, sr_str req_uri)
{
    if (sr_str_eq(cred_uri, req_uri))
        return true;
    sr_uri a, b;
    if (sr_uri_parse(&a, cred_uri.p, cred_uri.len, NULL) != 0 ||
        sr_uri_parse(&b, req_uri.p, req_uri.len, NULL) != 0)
        return false;
    if (sr_uri_eq(&a, &b))
        return true;
    bool sip_a = a.kind == SR_URI_SIP || a.kind == SR_URI_SIPS;
    bool sip_b = b.kind == SR_URI_SIP || b.kind == SR_URI_SIPS;
    if (!sip_a || !sip_b)
        return false;
    if (!a.has_user)
        return true;
    /* a with b's user: equal to a exactly when the users are */
    sr_uri u = a;
    u.user = b.user;
    u.has_user = b.has_user;
    return sr_uri_eq(&a, &u);
}

/* The verdict for one parsed credentials value. */
static int verify_creds(sr_auth_server *s, const sr_digest_credentials *cr, sr_str method,
                        sr_str request_uri, sr_str body, uint64_t now_ms, sr_auth_lookup_cb lookup,
                        void *user, sr_auth_verdict *v)
{
    v->alg = cr->alg;
    v->qop = cr->qop_id;
    v->username = cr->username;
    /* Algorithm, qop, userhash (RFC 7616 §3.4; RFC 8760 §2.1-§2.3). */
    if (cr->alg == SR_DIGEST_ALG_NONE || !(s->algs & SR_DIGEST_BIT(cr->alg)) || cr->userhash) {
        v->result = SR_AUTH_UNSUPPORTED_ALG;
        return 0;
    }
    if (cr->qop.len && cr->qop_id == SR_QOP_NONE) {
        v->result = SR_AUTH_UNSUPPORTED_ALG;
        return 0;
    }
    if (cr->qop_id == SR_QOP_NONE && !s->allow_no_qop) {
        v->result = SR_AUTH_UNSUPPORTED_ALG;
        return 0;
    }
    if (cr->qop_id != SR_QOP_NONE && !(s->qops & SR_QOP_BIT(cr->qop_id))) {
        v->result = SR_AUTH_UNSUPPORTED_ALG;
        return 0;
    }
    /* Our nonce, untampered. */
    uint64_t ts;
    uint32_t serial;
    if (nonce_open(s, cr->nonce, &ts, &serial) != SR_AUTH_OK) {
        v->result = SR_AUTH_BAD_NONCE;
        return 0;
    }
    sr_auth_result age = nonce_age(s, ts, now_ms);
    if (age == SR_AUTH_BAD_NONCE) {
        v->result = SR_AUTH_BAD_NONCE;
        return 0;
    }
    /* opaque: returned unchanged when we sent one (absent is tolerated). */
    if (cr->opaque.p &&
        !sr_str_eq(cr->opaque, s->opaque ? (sr_str){s->opaque, s->opaque_len} : (sr_str){"", 0})) {
        v->result = SR_AUTH_BAD_NONCE;
        return 0;
    }
    /* The digest-uri names the Request-URI's user (RFC 3261 §22.4 item 6, above). */
    if (s->check_uri && !uri_matches(cr->uri, request_uri)) {
        v->result = SR_AUTH_URI_MISMATCH;
        return 0;
    }
    sr_auth_secret sec = {SR_AUTH_SECRET_PASSWORD, SR_STR_NULL};
    int rc = lookup(cr->username, cr->realm, cr->alg, &sec, user);
    if (rc == SR_ENOTFOUND) {
        v->result = SR_AUTH_WRONG_USERNAME;
        return 0;
    }
    if (rc)
        return rc < 0 ? rc : SR_EINVAL;
    sr_digest_input in = {0};
    in.alg = cr->alg;
    in.username = cr->username;
    in.realm = cr->realm;
    if (sec.kind == SR_AUTH_SECRET_HA1)
        in.ha1 = sec.value;
    else
        in.password = sec.value;
    if (sec.kind == SR_AUTH_SECRET_HA1 && sec.value.len == 0)
        return SR_EINVAL;
    in.method = method;
    in.uri = cr->uri;
    in.nonce = cr->nonce;
    in.qop = cr->qop_id;
    in.nc = cr->nc;
    in.cnonce = cr->cnonce;
    in.body = body;
    char want[SR_DIGEST_HEX_MAX], got[SR_DIGEST_HEX_MAX];
    ptrdiff_t hl = sr_digest_response(&in, want, sizeof want);
    if (hl < 0)
        return (int)hl;
    bool ok = cr->response.len == (size_t)hl;
    if (ok) {
        for (size_t i = 0; i < (size_t)hl; i++)
            got[i] = (char)sr__tolower((unsigned char)cr->response.p[i]);
        ok = sr_mem_eq_ct(got, want, (size_t)hl);
    }
    if (!ok) {
        v->result = SR_AUTH_BAD_RESPONSE;
        return 0;
    }
    if (age == SR_AUTH_STALE_NONCE) {
        v->result = SR_AUTH_STALE_NONCE;
        v->stale = true;
        return 0;
    }
    /* Nonce-count: must grow per nonce (RFC 7616 §3.4; RFC 2617 §3.2.2). Without a qop the
     * nonce is single-use (counted as nc 1). */
    if (s->nc_slots) {
        uint32_t nc = cr->qop_id == SR_QOP_NONE ? 1 : cr->nc_value;
        nc_slot *sl = &s->nc[serial % s->nc_slots];
        if (sl->used && sl->serial == serial) {
            if (nc <= sl->nc) {
                v->result = SR_AUTH_NC_REPLAY;
                return 0;
            }
        } else if (sl->used && (int32_t)(sl->serial - serial) > 0) {
            /* Evicted by a newer nonce: we can no longer tell a replay; ask for a new one. */
            v->result = SR_AUTH_STALE_NONCE;
            v->stale = true;
            return 0;
        }
        if (nc == 0) {
            v->result = SR_AUTH_NC_REPLAY;
            return 0;
        }
        sl->used = true;
        sl->serial = serial;
        sl->nc = nc;
    }
    v->result = SR_AUTH_OK;
    return 0;
}

static void verdict_init(sr_auth_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->result = SR_AUTH_NO_CREDENTIALS;
}

int sr_auth_verify_value(sr_auth_server *s, sr_str value, sr_str method, sr_str request_uri,
                         sr_str body, uint64_t now_ms, sr_auth_lookup_cb lookup, void *user,
                         sr_auth_verdict *v)
{
    if (!s || !lookup || !v || (!value.p && value.len))
        return SR_EINVAL;
    verdict_init(v);
    sr_digest_credentials cr;
    int rc = sr_digest_credentials_parse(&cr, value);
    if (rc == SR_EUNSUPPORTED) {
        v->result = SR_AUTH_NO_CREDENTIALS;
        return 0;
    }
    if (rc) {
        v->result = SR_AUTH_MALFORMED;
        return 0;
    }
    if (!sr_str_eq(cr.realm, (sr_str){s->realm, s->realm_len})) {
        v->result = SR_AUTH_REALM_MISMATCH;
        v->username = SR_STR_NULL;
        return 0;
    }
    /* cr lives on this stack frame: do not hand out slices into its store. */
    rc = verify_creds(s, &cr, method, request_uri, body, now_ms, lookup, user, v);
    if (v->username.p >= cr.store && v->username.p < cr.store + sizeof cr.store)
        v->username = SR_STR_NULL;
    return rc;
}

int sr_auth_verify(sr_auth_server *s, const sr_msg *req, sr_auth_kind kind, uint64_t now_ms,
                   sr_auth_lookup_cb lookup, void *user, sr_auth_verdict *v)
{
    if (!s || !req || !lookup || !v || !sr_msg_is_request(req) ||
        (kind != SR_AUTH_WWW && kind != SR_AUTH_PROXY))
        return SR_EINVAL;
    verdict_init(v);
    enum sr_hdr_id id = sr_auth_credentials_hdr(kind);
    bool malformed = false, other_realm = false;
    const sr_header *bad = NULL, *other = NULL;
    sr_digest_credentials cr;
    for (const sr_header *h = sr_msg_header_find(req, id, NULL); h;
         h = sr_msg_header_find(req, id, h)) {
        int rc = sr_digest_credentials_parse(&cr, h->value);
        if (rc == SR_EUNSUPPORTED)
            continue;
        if (rc) {
            if (!malformed)
                bad = h;
            malformed = true;
            continue;
        }
        if (!sr_str_eq(cr.realm, (sr_str){s->realm, s->realm_len})) {
            if (!other_realm)
                other = h;
            other_realm = true;
            continue;
        }
        v->hdr = h;
        rc = verify_creds(s, &cr, sr_msg_method_str(req), sr_msg_request_uri(req), sr_msg_body(req),
                          now_ms, lookup, user, v);
        if (v->username.p >= cr.store && v->username.p < cr.store + sizeof cr.store)
            v->username = SR_STR_NULL; /* unescaped copy: not valid after return */
        return rc;
    }
    if (malformed) {
        v->result = SR_AUTH_MALFORMED;
        v->hdr = bad;
    } else if (other_realm) {
        v->result = SR_AUTH_REALM_MISMATCH;
        v->hdr = other;
    }
    return 0;
}
