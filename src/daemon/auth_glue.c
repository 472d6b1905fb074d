/* sipreplyd: the challenge and register actions on the core's auth.h (digest: MD5, SHA-256,
 * qop auth, self-validating nonces with expiry, stale) and registrar.h (RFC 3261 §10.3).
 * Servers and registrars are kept by their settings, so nonces and bindings survive a
 * configuration reload that does not change them. */
#include "auth_glue.h"

#include <stdio.h>
#include <string.h>

#define MAX_SERVERS 16

typedef struct srv {
    char key[300];
    sr_auth_server *s;
} srv;

typedef struct reg {
    char key[600];
    sr_registrar *r;
} reg;

struct sd_auth_glue {
    uint8_t secret[SR_AUTH_SECRET_MAX];
    size_t secret_len;
    srv servers[MAX_SERVERS];
    size_t n_servers;
    reg regs[MAX_SERVERS];
    size_t n_regs;
    const sr_allocator *alloc;
};

int sd_auth_glue_new(sd_auth_glue **out, uint64_t seed, const uint8_t *secret, size_t secret_len,
                     const sr_allocator *alloc)
{
    if (secret && (secret_len == 0 || secret_len > sizeof(((sd_auth_glue *)0)->secret)))
        return -1;
    if (!alloc)
        alloc = sr_allocator_default();
    sd_auth_glue *g = alloc->alloc_fn(sizeof(*g), alloc->user);
    if (!g)
        return -1;
    memset(g, 0, sizeof(*g));
    g->alloc = alloc;
    if (secret) {
        /* the daemon's: from the kernel's CSPRNG */
        memcpy(g->secret, secret, secret_len);
        g->secret_len = secret_len;
    } else {
        /* tests: derived from the engine's seed, so runs replay */
        uint64_t x = seed ? seed : 0x243f6a8885a308d3ULL;
        for (size_t i = 0; i < 32; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            g->secret[i] = (uint8_t)(x >> 24);
        }
        g->secret_len = 32;
    }
    *out = g;
    return 0;
}

void sd_auth_glue_free(sd_auth_glue *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_servers; i++)
        sr_auth_server_free(g->servers[i].s);
    for (size_t i = 0; i < g->n_regs; i++)
        sr_registrar_free(g->regs[i].r);
    g->alloc->free_fn(g, g->alloc->user);
}

static sr_auth_server *server_for(sd_auth_glue *g, const sd_action *a)
{
    const char *realm = a->realm ? a->realm : "sipreply";
    unsigned algs = (a->md5 ? SR_DIGEST_BIT(SR_DIGEST_MD5) : 0) |
                    (a->sha256 ? SR_DIGEST_BIT(SR_DIGEST_SHA256) : 0);
    char key[300];
    snprintf(key, sizeof(key), "%u/%d/%u/%s", algs, a->md5_first, a->nonce_ttl_s, realm);
    for (size_t i = 0; i < g->n_servers; i++)
        if (!strcmp(g->servers[i].key, key))
            return g->servers[i].s;
    sr_auth_config c;
    sr_auth_config_init(&c);
    c.alloc = g->alloc;
    c.secret = g->secret;
    c.secret_len = g->secret_len;
    c.realm = realm;
    c.algs = algs;
    c.md5_first = a->md5_first;
    c.nonce_lifetime_ms = a->nonce_ttl_s * 1000u;
    sr_auth_server *s = NULL;
    if (sr_auth_server_new(&s, &c) != 0)
        return NULL;
    if (g->n_servers == MAX_SERVERS) {
        /* the oldest settings go (their nonces become unknown: the client is challenged
         * again) */
        sr_auth_server_free(g->servers[0].s);
        memmove(&g->servers[0], &g->servers[1], (MAX_SERVERS - 1) * sizeof(srv));
        g->n_servers--;
    }
    snprintf(g->servers[g->n_servers].key, sizeof(g->servers[0].key), "%s", key);
    g->servers[g->n_servers++].s = s;
    return s;
}

static int lookup(sr_str username, sr_str realm, sr_digest_alg alg, sr_auth_secret *out, void *user)
{
    (void)realm;
    (void)alg;
    const sd_action *a = user;
    for (size_t i = 0; i < a->n_users; i++)
        if (sr_str_eq(username, sr_str_from_cstr(a->users[i].name))) {
            out->kind = SR_AUTH_SECRET_PASSWORD;
            out->value = sr_str_from_cstr(a->users[i].password);
            return 0;
        }
    if (a->any_user_password) {
        /* "any-user": every other user name, with the one password (dial a code's 401/407) */
        out->kind = SR_AUTH_SECRET_PASSWORD;
        out->value = sr_str_from_cstr(a->any_user_password);
        return 0;
    }
    return SR_ENOTFOUND;
}

int sd_auth_glue_challenge(sd_auth_glue *g, const sd_action *a, const sr_msg *req,
                           const sr_addr *src, unsigned *code, sr_msg **resp,
                           const uint8_t *tag_key, uint64_t now_ms, const char **why)
{
    *resp = NULL;
    *why = NULL;
    sr_auth_server *s = server_for(g, a);
    if (!s)
        return -1;
    sr_auth_kind kind = a->proxy ? SR_AUTH_PROXY : SR_AUTH_WWW;
    sr_auth_verdict v;
    if (sr_auth_verify(s, req, kind, now_ms, lookup, (void *)a, &v) != 0)
        return -1;
    if (v.result == SR_AUTH_OK)
        return 1;
    *why = sr_auth_result_text(v.result);
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.flags = SR_BUILD_DEFAULTS;
    o.alloc = g->alloc;
    o.tag_key = tag_key;
    o.source_host = sr_str_from_cstr(src->host);
    o.source_port = src->port;
    *code = sr_auth_result_code(v.result, kind);
    int rc;
    if (*code == 400) {
        o.reason =
            sr_str_from_cstr(v.result == SR_AUTH_URI_MISMATCH ? "Digest URI names another user"
                                                              : "Malformed credentials");
        rc = sr_build_response(resp, req, 400, &o, NULL);
    } else {
        rc = sr_auth_challenge_build(resp, s, req, kind, now_ms, v.stale, &o, NULL);
    }
    if (v.result == SR_AUTH_NO_CREDENTIALS)
        *why = NULL;
    return rc == 0 ? 0 : -1;
}

static sr_registrar *registrar_for(sd_auth_glue *g, const sd_action *a)
{
    char key[600];
    int n =
        snprintf(key, sizeof(key), "%u/%u/%u", a->min_expires, a->max_expires, a->default_expires);
    for (char **d = a->domains; d && *d && n > 0 && (size_t)n < sizeof(key); d++)
        n += snprintf(key + n, sizeof(key) - (size_t)n, "/%s", *d);
    for (size_t i = 0; i < g->n_regs; i++)
        if (!strcmp(g->regs[i].key, key))
            return g->regs[i].r;
    sr_registrar_config c;
    sr_registrar_config_init(&c);
    c.alloc = g->alloc;
    c.min_expires = a->min_expires;
    c.max_expires = a->max_expires;
    c.default_expires = a->default_expires;
    c.domains = (const char *const *)a->domains;
    sr_registrar *r = NULL;
    if (sr_registrar_new(&r, &c) != 0)
        return NULL;
    if (g->n_regs == MAX_SERVERS) {
        sr_registrar_free(g->regs[0].r);
        memmove(&g->regs[0], &g->regs[1], (MAX_SERVERS - 1) * sizeof(reg));
        g->n_regs--;
    }
    snprintf(g->regs[g->n_regs].key, sizeof(g->regs[0].key), "%s", key);
    g->regs[g->n_regs++].r = r;
    return r;
}

void sd_auth_glue_register(sd_auth_glue *g, const sd_action *a, const sr_msg *req,
                           const sr_addr *src, unsigned *code, sr_msg **resp,
                           const uint8_t *tag_key, uint64_t now_ms)
{
    *resp = NULL;
    *code = 500;
    sr_registrar *r = registrar_for(g, a);
    if (!r)
        return;
    if (sr_registrar_next_deadline(r) <= now_ms)
        sr_registrar_purge(r, now_ms);
    sr_build_opts bo;
    sr_build_opts_init(&bo);
    bo.flags = SR_BUILD_DEFAULTS;
    bo.alloc = g->alloc;
    bo.tag_key = tag_key;
    bo.source_host = sr_str_from_cstr(src->host);
    bo.source_port = src->port;
    sr_registrar_opts o;
    sr_registrar_opts_init(&o);
    o.build = &bo;
    sr_registrar_outcome out;
    if (sr_registrar_handle(r, req, now_ms, &o, resp, &out) != 0) {
        *resp = NULL;
        return;
    }
    *code = out.code;
}

ptrdiff_t sd_auth_glue_lookup(sd_auth_glue *g, const sd_action *a, sr_str aor, uint64_t now_ms,
                              sr_binding *out, size_t cap)
{
    sr_registrar *r = registrar_for(g, a);
    if (!r)
        return SR_ENOMEM;
    return sr_registrar_lookup(r, aor, now_ms, out, cap);
}

size_t sd_auth_glue_bindings(const sd_auth_glue *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n_regs; i++)
        n += sr_registrar_binding_count(g->regs[i].r);
    return n;
}
