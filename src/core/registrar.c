/* sipreply core: the registrar — a location table answering REGISTER (RFC 3261 §10.3).
 * Sans I/O: every instant is the caller's now_ms. Updates are atomic: every allocation a
 * request needs, and its response, are made before the table changes. */
#include <string.h>

#include "build_int.h"
#include "core_int.h"
#include "registrar_int.h"
#include "sipreply/registrar.h"
#include "sipreply/uri.h"

/* ------------------------------------------------------------------ REGISTER */

/* One Contact of the request. */
typedef struct rcontact {
    sr_contact c;
    uint32_t expires; /* effective, after default and cap */
} rcontact;

/* One binding being staged: an old one kept, replaced, removed, or a new one. */
typedef struct stage {
    rbind b;
    long old_idx; /* index in the AOR's array, -1 for a new binding */
    bool fresh;   /* b.blob was allocated for this request */
    bool removed;
} stage;

/* Everything a request allocates, freed on every path. */
typedef struct work {
    const sr_allocator *a;
    rcontact *cts;
    size_t n_cts;
    stage *st;
    size_t n_st;
    rbind *final;
    raor *new_aor;
    sr_buf key;
    sr_buf tmp;
    sr_build_header *hdrs;
} work;

static void work_cleanup(work *w, bool committed)
{
    if (!committed) {
        for (size_t i = 0; i < w->n_st; i++)
            if (w->st[i].fresh && w->st[i].b.blob)
                sr__free(w->a, w->st[i].b.blob);
        sr__free(w->a, w->final);
        if (w->new_aor) {
            sr__free(w->a, w->new_aor->key);
            sr__free(w->a, w->new_aor);
        }
    }
    sr__free(w->a, w->cts);
    sr__free(w->a, w->st);
    sr__free(w->a, w->hdrs);
    sr_buf_cleanup(&w->key);
    sr_buf_cleanup(&w->tmp);
    w->cts = NULL;
    w->st = NULL;
    w->hdrs = NULL;
    w->final = NULL;
    w->new_aor = NULL;
    w->n_st = w->n_cts = 0;
}

/* A binding's storage: uri, params (without q and expires) and Call-ID in one block. */
static int make_blob(const sr_allocator *a, const sr_contact *c, sr_str call_id, rbind *out)
{
    size_t plen = 0;
    size_t pos = 0;
    sr_str name, val;
    while (sr_param_next(c->addr.params, &pos, &name, &val)) {
        if (sr_str_caseeq_cstr(name, "q") || sr_str_caseeq_cstr(name, "expires"))
            continue;
        plen += 1 + name.len + (val.p ? 1 + val.len : 0);
    }
    size_t total = c->addr.uri.len + plen + call_id.len;
    char *blob = sr__malloc(a, total ? total : 1);
    if (!blob)
        return SR_ENOMEM;
    char *w = blob;
    memcpy(w, c->addr.uri.p, c->addr.uri.len);
    out->uri = (sr_str){w, c->addr.uri.len};
    w += c->addr.uri.len;
    char *ps = w;
    pos = 0;
    while (sr_param_next(c->addr.params, &pos, &name, &val)) {
        if (sr_str_caseeq_cstr(name, "q") || sr_str_caseeq_cstr(name, "expires"))
            continue;
        *w++ = ';';
        memcpy(w, name.p, name.len);
        w += name.len;
        if (val.p) {
            *w++ = '=';
            memcpy(w, val.p, val.len);
            w += val.len;
        }
    }
    out->params = (sr_str){ps, (size_t)(w - ps)};
    if (call_id.len)
        memcpy(w, call_id.p, call_id.len);
    out->call_id = (sr_str){w, call_id.len};
    out->blob = blob;
    return 0;
}

static bool uri_same(sr_str a, sr_str b)
{
    if (sr_str_eq(a, b))
        return true;
    sr_uri ua, ub;
    if (sr_uri_parse(&ua, a.p, a.len, NULL) != 0 || sr_uri_parse(&ub, b.p, b.len, NULL) != 0)
        return false;
    return sr_uri_eq(&ua, &ub);
}

/* "0.5", "1", "0.125" from thousandths. */
static int append_q(sr_buf *b, int q)
{
    if (q >= 1000)
        return sr_buf_append_cstr(b, "1");
    char s[6] = {'0', '.', (char)('0' + q / 100), (char)('0' + q / 10 % 10), (char)('0' + q % 10),
                 0};
    size_t n = 5;
    while (n > 2 && s[n - 1] == '0')
        n--;
    if (n == 2)
        n = 1;
    return sr_buf_append(b, s, n);
}

/* The response: @p code with the Contacts of @p list (200), Min-Expires (423), Retry-After
 * (503) and Date (200). */
static int respond(sr_registrar *r, work *w, const sr_msg *req, unsigned code, const rbind *list,
                   size_t n, uint64_t now, const sr_registrar_opts *o, sr_msg **resp,
                   sr_build_error *berr)
{
    sr_build_opts bo;
    if (o && o->build)
        bo = *o->build;
    else
        sr_build_opts_init(&bo);
    size_t extra = n + 2;
    size_t nh = bo.n_headers + extra;
    w->hdrs = sr__malloc(w->a, nh * sizeof *w->hdrs);
    if (!w->hdrs)
        return SR_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < bo.n_headers; i++)
        w->hdrs[k++] = bo.headers[i];
    /* All values go into tmp first; slices are taken once it no longer moves. */
    sr_buf *t = &w->tmp;
    int rc = 0;
    size_t *ends = sr__malloc(w->a, (extra ? extra : 1) * sizeof *ends);
    if (!ends)
        return SR_ENOMEM;
    const char *names[3] = {NULL, NULL, NULL};
    size_t nv = 0;
    if (code == 200) {
        for (size_t i = 0; i < n && !rc; i++) {
            const rbind *b = &list[i];
            rc = sr_buf_append_cstr(t, "<");
            if (!rc)
                rc = sr_buf_append_str(t, b->uri);
            if (!rc)
                rc = sr_buf_append_cstr(t, ">;expires=");
            if (!rc)
                rc = sr_buf_append_u64(t, sr__reg_remaining_s(b->expires_at, now));
            if (!rc && b->q >= 0) {
                rc = sr_buf_append_cstr(t, ";q=");
                if (!rc)
                    rc = append_q(t, b->q);
            }
            if (!rc)
                rc = sr_buf_append_str(t, b->params);
            ends[nv++] = t->len;
        }
        if (!rc && o && o->date.len) {
            rc = sr_buf_append_str(t, o->date);
            ends[nv++] = t->len;
            names[0] = "Date";
        }
    } else if (code == 423) {
        rc = sr_buf_append_u64(t, r->min_expires);
        ends[nv++] = t->len;
        names[0] = "Min-Expires";
    } else if (code == 503) {
        uint64_t d = sr_registrar_next_deadline(r);
        uint64_t s = d == UINT64_MAX || d <= now ? 60 : (d - now + 999) / 1000;
        if (s < 1)
            s = 1;
        if (s > 3600)
            s = 3600;
        rc = sr_buf_append_u64(t, s);
        ends[nv++] = t->len;
        names[0] = "Retry-After";
    }
    if (!rc) {
        size_t start = 0;
        for (size_t i = 0; i < nv; i++) {
            bool contact = code == 200 && i < n;
            w->hdrs[k].name = sr_str_from_cstr(contact ? "Contact" : names[0]);
            w->hdrs[k].value = (sr_str){t->p + start, ends[i] - start};
            start = ends[i];
            k++;
        }
        bo.headers = w->hdrs;
        bo.n_headers = k;
        rc = sr_build_response(resp, req, code, &bo, berr);
    }
    sr__free(w->a, ends);
    return rc;
}

static int finish(sr_registrar *r, work *w, const sr_msg *req, unsigned code, const char *why,
                  uint64_t now, const sr_registrar_opts *o, sr_msg **resp,
                  sr_registrar_outcome *out)
{
    sr_build_error be;
    int rc = respond(r, w, req, code, NULL, 0, now, o, resp, &be);
    work_cleanup(w, false);
    if (rc == 0 && out) {
        out->code = code;
        out->why = why;
    }
    return rc;
}

int sr_registrar_handle(sr_registrar *r, const sr_msg *req, uint64_t now_ms,
                        const sr_registrar_opts *o, sr_msg **resp, sr_registrar_outcome *outcome)
{
    if (!r || !req || !resp || !sr_msg_is_request(req) || sr_msg_method(req) != SR_METHOD_REGISTER)
        return SR_EINVAL;
    sr_registrar_outcome dummy;
    sr_registrar_outcome *out = outcome ? outcome : &dummy;
    memset(out, 0, sizeof *out);
    work w;
    memset(&w, 0, sizeof w);
    w.a = r->alloc;
    sr_buf_init(&w.key, r->alloc);
    sr_buf_init(&w.tmp, (o && o->build) ? o->build->alloc : NULL);

    /* Step 1: the Request-URI names a domain we serve. */
    sr_str ruri = sr_msg_request_uri(req);
    sr_uri u;
    if (sr_uri_parse(&u, ruri.p, ruri.len, NULL) != 0)
        return finish(r, &w, req, 400, "bad Request-URI", now_ms, o, resp, out);
    if ((u.kind != SR_URI_SIP && u.kind != SR_URI_SIPS) || !sr__reg_domain_ok(r, u.host))
        return finish(r, &w, req, 404, "Request-URI domain not served", now_ms, o, resp, out);

    /* Steps 3, 5: the AOR from To, canonical. */
    const sr_nameaddr *to = sr_msg_to(req);
    const sr_cseq *cseq = sr_msg_cseq(req);
    sr_str call_id = sr_msg_call_id(req);
    if (!to || !cseq || !call_id.p)
        return finish(r, &w, req, 400, "missing To, CSeq or Call-ID", now_ms, o, resp, out);
    int rc = sr_registrar_aor(to->uri, &w.key);
    if (rc == SR_ENOMEM) {
        work_cleanup(&w, false);
        return rc;
    }
    sr_uri tu;
    if (rc || sr_uri_parse(&tu, to->uri.p, to->uri.len, NULL) != 0 ||
        !sr__reg_domain_ok(r, tu.host))
        return finish(r, &w, req, 404, "To is not an address-of-record we serve", now_ms, o, resp,
                      out);
    sr_str key = {w.key.p, w.key.len};
    uint64_t kh = sr__reg_key_hash(key);
    raor *x = sr__reg_aor_find(r, key, kh);

    /* Expires header (RFC 3261 §20.19). */
    int64_t hexp = -1;
    if (sr_msg_header_find(req, SR_HDR_EXPIRES, NULL)) {
        hexp = sr_msg_expires(req);
        if (hexp < 0)
            return finish(r, &w, req, 400, "bad Expires", now_ms, o, resp, out);
    }

    /* Contacts. */
    size_t n_values = 0;
    for (const sr_header *h = sr_msg_header_find(req, SR_HDR_CONTACT, NULL); h;
         h = sr_msg_header_find(req, SR_HDR_CONTACT, h)) {
        size_t pos = 0;
        sr_str item;
        while (sr_value_next(h->value, &pos, &item))
            n_values++;
    }
    bool star = false;
    if (n_values) {
        w.cts = sr__malloc(w.a, n_values * sizeof *w.cts);
        if (!w.cts) {
            work_cleanup(&w, false);
            return SR_ENOMEM;
        }
        for (const sr_header *h = sr_msg_header_find(req, SR_HDR_CONTACT, NULL); h;
             h = sr_msg_header_find(req, SR_HDR_CONTACT, h)) {
            size_t pos = 0;
            sr_str item;
            while (sr_value_next(h->value, &pos, &item)) {
                rcontact *c = &w.cts[w.n_cts];
                sr_uri cu;
                if (sr_contact_parse(&c->c, item, NULL) != 0 ||
                    (!c->c.star && sr_uri_parse(&cu, c->c.addr.uri.p, c->c.addr.uri.len, NULL)))
                    return finish(r, &w, req, 400, "bad Contact", now_ms, o, resp, out);
                if (c->c.star)
                    star = true;
                w.n_cts++;
            }
        }
    }
    /* Step 6: "*" only alone and with Expires: 0 (RFC 3261 §10.2.2, §10.3). */
    if (star && (w.n_cts != 1 || hexp != 0))
        return finish(r, &w, req, 400,
                      w.n_cts != 1 ? "Contact * with other Contacts" : "Contact * needs Expires: 0",
                      now_ms, o, resp, out);

    /* Effective expiry per Contact; 423 for a non-zero value under the minimum (RFC 3261
     * §10.3 step 7: only when it is also under one hour). */
    for (size_t i = 0; !star && i < w.n_cts; i++) {
        rcontact *c = &w.cts[i];
        int64_t e = c->c.expires >= 0 ? c->c.expires : hexp >= 0 ? hexp : r->default_expires;
        if (e > 0 && e < r->min_expires && e < 3600)
            return finish(r, &w, req, 423, "expiry below Min-Expires", now_ms, o, resp, out);
        if (e > r->max_expires)
            e = r->max_expires;
        c->expires = (uint32_t)e;
    }

    /* Stage the AOR's bindings. A request naming more Contacts than it could possibly
     * remove (every current binding) plus keep (max_bindings) cannot succeed: refuse it
     * before the pairwise URI comparisons, which would otherwise grow with the square of a
     * hostile Contact list. */
    size_t old_n = x ? x->n : 0;
    if (!star && w.n_cts > old_n + r->max_bindings)
        return finish(r, &w, req, 503, "too many bindings for this AOR", now_ms, o, resp, out);
    size_t cap = old_n + (star ? 0 : w.n_cts);
    if (cap) {
        w.st = sr__malloc(w.a, cap * sizeof *w.st);
        if (!w.st)
            return finish(r, &w, req, 500, "out of memory", now_ms, o, resp, out);
    }
    for (size_t i = 0; i < old_n; i++) {
        if (x->b[i].expires_at <= now_ms)
            continue; /* expired: treated as absent, freed at commit */
        stage *s = &w.st[w.n_st++];
        s->b = x->b[i];
        s->old_idx = (long)i;
        s->fresh = false;
        s->removed = false;
    }
    bool ordering_failed = false;
    if (star) {
        for (size_t i = 0; i < w.n_st; i++) {
            stage *s = &w.st[i];
            if (sr_str_eq(s->b.call_id, call_id) && cseq->num <= s->b.cseq)
                ordering_failed = true;
            s->removed = true;
        }
    } else {
        for (size_t i = 0; i < w.n_cts && !ordering_failed; i++) {
            rcontact *c = &w.cts[i];
            stage *s = NULL;
            for (size_t j = 0; j < w.n_st; j++) {
                if (uri_same(w.st[j].b.uri, c->c.addr.uri)) {
                    s = &w.st[j];
                    break;
                }
            }
            /* Step 7: same Call-ID and a CSeq not higher → the request fails. */
            if (s && !s->fresh && !s->removed && sr_str_eq(s->b.call_id, call_id) &&
                cseq->num <= s->b.cseq) {
                ordering_failed = true;
                break;
            }
            if (c->expires == 0) {
                if (s && !s->removed) {
                    /* A fresh entry keeps its block until the end of the request: later
                     * Contacts still compare against its URI. */
                    s->removed = true;
                }
                continue;
            }
            rbind nb;
            if (make_blob(w.a, &c->c, call_id, &nb) != 0) {
                out->removed = out->added = out->refreshed = 0;
                return finish(r, &w, req, 500, "out of memory", now_ms, o, resp, out);
            }
            nb.cseq = cseq->num;
            nb.q = c->c.q;
            uint64_t life = (uint64_t)c->expires * 1000u;
            nb.expires_at = now_ms < UINT64_MAX - 1 - life ? now_ms + life : UINT64_MAX - 1;
            if (s) {
                if (s->fresh)
                    sr__free(w.a, s->b.blob);
                s->b = nb;
                s->fresh = true;
                s->removed = false;
            } else {
                stage *ns = &w.st[w.n_st++];
                ns->b = nb;
                ns->old_idx = -1;
                ns->fresh = true;
                ns->removed = false;
            }
        }
    }
    if (ordering_failed) {
        out->removed = out->added = out->refreshed = 0;
        return finish(r, &w, req, 500, "CSeq not higher than the binding's (same Call-ID)", now_ms,
                      o, resp, out);
    }
    size_t final_n = 0;
    for (size_t i = 0; i < w.n_st; i++)
        if (!w.st[i].removed)
            final_n++;
    if (final_n > r->max_bindings) {
        out->removed = out->added = out->refreshed = 0;
        return finish(r, &w, req, 503, "too many bindings for this AOR", now_ms, o, resp, out);
    }
    if (!x && final_n > 0 && r->n_aors >= r->max_aors) {
        out->removed = out->added = out->refreshed = 0;
        return finish(r, &w, req, 503, "too many addresses-of-record", now_ms, o, resp, out);
    }
    /* Allocate what the commit needs, then the response, then commit (no failure after). */
    if (final_n) {
        w.final = sr__malloc(w.a, final_n * sizeof *w.final);
        if (!w.final)
            goto nomem500;
        size_t k = 0;
        for (size_t i = 0; i < w.n_st; i++)
            if (!w.st[i].removed)
                w.final[k++] = w.st[i].b;
    }
    if (!x && final_n) {
        w.new_aor = sr__malloc(w.a, sizeof *w.new_aor);
        if (!w.new_aor)
            goto nomem500;
        memset(w.new_aor, 0, sizeof *w.new_aor);
        w.new_aor->key = sr__malloc(w.a, key.len ? key.len : 1);
        if (!w.new_aor->key)
            goto nomem500;
        memcpy(w.new_aor->key, key.p, key.len);
        w.new_aor->key_len = key.len;
        w.new_aor->hash = kh;
    }
    sr_build_error be;
    rc = respond(r, &w, req, 200, w.final, final_n, now_ms, o, resp, &be);
    if (rc) {
        work_cleanup(&w, false);
        return rc;
    }
    /* Commit. */
    if (x) {
        for (size_t i = 0; i < x->n; i++) {
            bool kept = false;
            for (size_t j = 0; j < w.n_st; j++) {
                if (w.st[j].old_idx == (long)i && !w.st[j].fresh && !w.st[j].removed) {
                    kept = true;
                    break;
                }
            }
            if (!kept)
                sr__free(r->alloc, x->b[i].blob);
        }
        r->n_bindings -= x->n;
        sr__free(r->alloc, x->b);
        x->b = NULL;
        x->n = 0;
        if (final_n == 0) {
            sr__reg_aor_unlink(r, x);
            sr__reg_aor_destroy(r, x);
        } else {
            x->b = w.final;
            x->n = final_n;
            r->n_bindings += final_n;
        }
    } else if (final_n) {
        raor *nx = w.new_aor;
        nx->b = w.final;
        nx->n = final_n;
        size_t bi = kh & (r->n_buckets - 1);
        nx->next = r->buckets[bi];
        r->buckets[bi] = nx;
        r->n_aors++;
        r->n_bindings += final_n;
    }
    for (size_t i = 0; i < w.n_st; i++) {
        const stage *st = &w.st[i];
        if (st->fresh && st->removed)
            sr__free(r->alloc, st->b.blob); /* added then removed by this request */
        if (st->old_idx >= 0 && st->removed)
            out->removed++;
        else if (st->old_idx >= 0 && st->fresh)
            out->refreshed++;
        else if (st->old_idx < 0 && !st->removed)
            out->added++;
    }
    r->deadline_dirty = true;
    w.new_aor = NULL;
    w.final = NULL;
    out->code = 200;
    out->why = w.n_cts ? "bindings updated" : "query";
    out->bindings = final_n;
    work_cleanup(&w, true);
    return 0;
nomem500:
    out->removed = out->added = out->refreshed = 0;
    return finish(r, &w, req, 500, "out of memory", now_ms, o, resp, out);
}
