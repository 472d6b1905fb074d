/* sipreply core: the registrar's location table — lifecycle, canonical AORs, lookups,
 * iteration and expiry (RFC 3261 §10.3 steps 5 and 7). REGISTER handling is in registrar.c. */
#include <string.h>

#include "core_int.h"
#include "registrar_int.h"
#include "sipreply/uri.h"

static const uint8_t hash_key[16] = {0x73, 0x69, 0x70, 0x72, 0x65, 0x70, 0x6c, 0x79,
                                     0x2d, 0x72, 0x65, 0x67, 0x69, 0x73, 0x74, 0x72};

/* ------------------------------------------------------------------ lifecycle */

void sr_registrar_config_init(sr_registrar_config *c)
{
    if (!c)
        return;
    memset(c, 0, sizeof *c);
    c->size = sizeof *c;
    c->max_aors = 10000;
    c->max_bindings = 16;
    c->default_expires = 3600;
    c->min_expires = 60;
    c->max_expires = 86400;
}

void sr_registrar_opts_init(sr_registrar_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

void sr_registrar_free(sr_registrar *r)
{
    if (!r)
        return;
    const sr_allocator *a = r->alloc;
    for (size_t i = 0; r->buckets && i < r->n_buckets; i++) {
        raor *x = r->buckets[i];
        while (x) {
            raor *nx = x->next;
            for (size_t k = 0; k < x->n; k++)
                sr__free(a, x->b[k].blob);
            sr__free(a, x->b);
            sr__free(a, x->key);
            sr__free(a, x);
            x = nx;
        }
    }
    sr__free(a, r->buckets);
    for (size_t i = 0; i < r->n_domains; i++)
        sr__free(a, r->domains[i]);
    sr__free(a, r->domains);
    sr__free(a, r);
}

int sr_registrar_new(sr_registrar **out, const sr_registrar_config *c)
{
    if (!out || !c || c->max_aors == 0 || c->max_bindings == 0 || c->max_bindings > 100000 ||
        c->max_aors > ((size_t)1 << 28) || (c->min_expires > c->max_expires) ||
        c->max_expires == 0 || c->default_expires == 0)
        return SR_EINVAL;
    const sr_allocator *a = sr__alloc_or_default(c->alloc);
    sr_registrar *r = sr__malloc(a, sizeof *r);
    if (!r)
        return SR_ENOMEM;
    memset(r, 0, sizeof *r);
    r->alloc = a;
    r->max_aors = c->max_aors;
    r->max_bindings = c->max_bindings;
    r->default_expires = c->default_expires;
    r->min_expires = c->min_expires;
    r->max_expires = c->max_expires;
    r->min_deadline = UINT64_MAX;
    size_t nb = 16;
    while (nb < c->max_aors && nb < ((size_t)1 << 20))
        nb <<= 1;
    r->n_buckets = nb;
    r->buckets = sr__malloc(a, nb * sizeof *r->buckets);
    if (!r->buckets)
        goto nomem;
    memset(r->buckets, 0, nb * sizeof *r->buckets);
    if (c->domains) {
        size_t n = 0;
        while (c->domains[n])
            n++;
        r->domains = sr__malloc(a, (n ? n : 1) * sizeof *r->domains);
        if (!r->domains)
            goto nomem;
        for (size_t i = 0; i < n; i++) {
            size_t l = strlen(c->domains[i]);
            r->domains[i] = sr__malloc(a, l + 1);
            if (!r->domains[i])
                goto nomem;
            memcpy(r->domains[i], c->domains[i], l + 1);
            r->n_domains = i + 1;
        }
        if (n == 0) /* an empty list registers nothing: keep a non-NULL marker */
            r->n_domains = 0;
    }
    *out = r;
    return 0;
nomem:
    sr_registrar_free(r);
    return SR_ENOMEM;
}

/* ------------------------------------------------------------------ AORs */

bool sr__reg_domain_ok(const sr_registrar *r, sr_str host)
{
    if (!r->domains)
        return true;
    for (size_t i = 0; i < r->n_domains; i++) {
        if (sr_str_caseeq_cstr(host, r->domains[i]))
            return true;
    }
    return false;
}

int sr_registrar_aor(sr_str uri, sr_buf *out)
{
    if (!out || (!uri.p && uri.len))
        return SR_EINVAL;
    sr_uri u;
    if (sr_uri_parse(&u, uri.p, uri.len, NULL) != 0 ||
        (u.kind != SR_URI_SIP && u.kind != SR_URI_SIPS) || u.host.len == 0)
        return SR_EBADMSG;
    size_t mark = out->len;
    int rc = sr_buf_append_cstr(out, u.kind == SR_URI_SIPS ? "sips:" : "sip:");
    if (!rc && u.has_user && u.user.len) {
        rc = sr_buf_reserve(out, u.user.len + 1);
        size_t got = 0;
        if (!rc) {
            int e = sr_uri_unescape(out->p + out->len, u.user.len, u.user, &got);
            if (e) {
                rc = SR_EBADMSG;
            } else {
                out->len += got;
                rc = sr_buf_append(out, "@", 1);
            }
        }
    }
    for (size_t i = 0; !rc && i < u.host.len; i++) {
        char ch = (char)sr__tolower((unsigned char)u.host.p[i]);
        rc = sr_buf_append(out, &ch, 1);
    }
    if (!rc && u.has_port) {
        rc = sr_buf_append(out, ":", 1);
        if (!rc)
            rc = sr_buf_append_u64(out, u.port);
    }
    if (rc) {
        out->len = mark;
        if (out->p)
            out->p[mark] = '\0';
    }
    return rc;
}

uint64_t sr__reg_key_hash(sr_str k)
{
    return sr_siphash24(hash_key, k.p, k.len);
}

raor *sr__reg_aor_find(const sr_registrar *r, sr_str key, uint64_t h)
{
    for (raor *x = r->buckets[h & (r->n_buckets - 1)]; x; x = x->next) {
        if (x->hash == h && x->key_len == key.len && memcmp(x->key, key.p, key.len) == 0)
            return x;
    }
    return NULL;
}

void sr__reg_aor_unlink(sr_registrar *r, raor *x)
{
    raor **pp = &r->buckets[x->hash & (r->n_buckets - 1)];
    while (*pp != x)
        pp = &(*pp)->next;
    *pp = x->next;
    r->n_aors--;
}

void sr__reg_aor_destroy(sr_registrar *r, raor *x)
{
    for (size_t k = 0; k < x->n; k++)
        sr__free(r->alloc, x->b[k].blob);
    r->n_bindings -= x->n;
    sr__free(r->alloc, x->b);
    sr__free(r->alloc, x->key);
    sr__free(r->alloc, x);
}

/* ------------------------------------------------------------------ queries */

uint32_t sr__reg_remaining_s(uint64_t at, uint64_t now)
{
    uint64_t ms = at > now ? at - now : 0;
    uint64_t s = (ms + 999) / 1000;
    if (s == 0)
        s = 1;
    return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

static void to_binding(const raor *x, const rbind *b, uint64_t now, sr_binding *out)
{
    out->aor = (sr_str){x->key, x->key_len};
    out->uri = b->uri;
    out->params = b->params;
    out->q = b->q;
    out->expires = sr__reg_remaining_s(b->expires_at, now);
    out->expires_at = b->expires_at;
    out->call_id = b->call_id;
    out->cseq = b->cseq;
}

static int qkey(int q)
{
    return q < 0 ? 1000 : q;
}

ptrdiff_t sr_registrar_lookup(const sr_registrar *r, sr_str aor, uint64_t now_ms, sr_binding *out,
                              size_t cap)
{
    if (!r || (!out && cap))
        return SR_EINVAL;
    sr_buf k;
    sr_buf_init(&k, r->alloc);
    int rc = sr_registrar_aor(aor, &k);
    if (rc) {
        sr_buf_cleanup(&k);
        return rc;
    }
    sr_str key = {k.p, k.len};
    raor *x = sr__reg_aor_find(r, key, sr__reg_key_hash(key));
    sr_buf_cleanup(&k);
    if (!x)
        return 0;
    size_t total = 0, m = 0;
    for (size_t i = 0; i < x->n; i++) {
        const rbind *b = &x->b[i];
        if (b->expires_at <= now_ms)
            continue;
        total++;
        /* Insertion by q, stable: keep the cap best. */
        size_t pos = m;
        while (pos > 0 && qkey(out[pos - 1].q) < qkey(b->q))
            pos--;
        if (pos >= cap)
            continue;
        size_t last = m < cap ? m : cap - 1;
        for (size_t j = last; j > pos; j--)
            out[j] = out[j - 1];
        to_binding(x, b, now_ms, &out[pos]);
        if (m < cap)
            m++;
    }
    return (ptrdiff_t)total;
}

size_t sr_registrar_aor_count(const sr_registrar *r)
{
    return r ? r->n_aors : 0;
}

size_t sr_registrar_binding_count(const sr_registrar *r)
{
    return r ? r->n_bindings : 0;
}

uint64_t sr_registrar_next_deadline(const sr_registrar *r)
{
    if (!r)
        return UINT64_MAX;
    if (r->deadline_dirty) {
        sr_registrar *w = (sr_registrar *)(uintptr_t)r; /* a cache, not observable state */
        uint64_t m = UINT64_MAX;
        for (size_t i = 0; i < r->n_buckets; i++)
            for (raor *x = r->buckets[i]; x; x = x->next)
                for (size_t k = 0; k < x->n; k++)
                    if (x->b[k].expires_at < m)
                        m = x->b[k].expires_at;
        w->min_deadline = m;
        w->deadline_dirty = false;
    }
    return r->min_deadline;
}

size_t sr_registrar_purge(sr_registrar *r, uint64_t now_ms)
{
    if (!r)
        return 0;
    size_t removed = 0;
    for (size_t i = 0; i < r->n_buckets; i++) {
        raor *x = r->buckets[i];
        while (x) {
            raor *nx = x->next;
            size_t w = 0;
            for (size_t k = 0; k < x->n; k++) {
                if (x->b[k].expires_at <= now_ms) {
                    sr__free(r->alloc, x->b[k].blob);
                    removed++;
                } else {
                    x->b[w++] = x->b[k];
                }
            }
            r->n_bindings -= x->n - w;
            x->n = w;
            if (w == 0) {
                sr__reg_aor_unlink(r, x);
                sr__reg_aor_destroy(r, x);
            }
            x = nx;
        }
    }
    if (removed)
        r->deadline_dirty = true;
    return removed;
}

int sr_registrar_foreach(const sr_registrar *r, uint64_t now_ms, sr_registrar_visit_cb cb,
                         void *user)
{
    if (!r || !cb)
        return SR_EINVAL;
    for (size_t i = 0; i < r->n_buckets; i++) {
        for (const raor *x = r->buckets[i]; x; x = x->next) {
            for (size_t k = 0; k < x->n; k++) {
                if (x->b[k].expires_at <= now_ms)
                    continue;
                sr_binding b;
                to_binding(x, &x->b[k], now_ms, &b);
                int rc = cb(&b, user);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

ptrdiff_t sr_registrar_remove_aor(sr_registrar *r, sr_str aor)
{
    if (!r)
        return SR_EINVAL;
    sr_buf k;
    sr_buf_init(&k, r->alloc);
    int rc = sr_registrar_aor(aor, &k);
    if (rc) {
        sr_buf_cleanup(&k);
        return rc;
    }
    sr_str key = {k.p, k.len};
    raor *x = sr__reg_aor_find(r, key, sr__reg_key_hash(key));
    sr_buf_cleanup(&k);
    if (!x)
        return 0;
    size_t n = x->n;
    sr__reg_aor_unlink(r, x);
    sr__reg_aor_destroy(r, x);
    r->deadline_dirty = true;
    return (ptrdiff_t)n;
}
