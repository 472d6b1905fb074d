/* sipreply core: the proxy's request side — checks, loop detection, Route processing and the
 * copy forwarded to each target. RFC 3261 §16.3, §16.4, §16.6, §16.12, §9.1; RFC 3326. */
#include <string.h>

#include "sipreply/build.h"
#include "sipreply/print.h"
#include "sipreply/proxy.h"
#include "sipreply/uri.h"

#include "build_int.h"
#include "core_int.h"
#include "msg_int.h"
#include "proxy_int.h"
#include "scan.h"

#define COOKIE     "z9hG4bKsr" /* RFC 3261 §8.1.1.7 magic cookie, then our mark */
#define COOKIE_LEN (sizeof(COOKIE) - 1)

void sr_proxy_fwd_opts_init(sr_proxy_fwd_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->via_transport = SR_STR("UDP");
}

/* ------------------------------------------------------------------ shared helpers */

/* Folding (CRLF + whitespace, RFC 3261 §7.3.1) is LWS: one space in the copy. */
static int unfold(sr_buf *b, sr_str v)
{
    b->len = 0;
    int rc = sr_buf_reserve(b, v.len + 1);
    if (rc)
        return rc;
    size_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        char c = v.p[i];
        if (c == '\r' || c == '\n') {
            while (n > 0 && (b->p[n - 1] == ' ' || b->p[n - 1] == '\t'))
                n--;
            while (i + 1 < v.len && (v.p[i + 1] == '\r' || v.p[i + 1] == '\n' ||
                                     v.p[i + 1] == ' ' || v.p[i + 1] == '\t'))
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

int sr__proxy_add(sr_msg *m, const sr_header *h, sr_str value, sr_buf *scratch)
{
    if (value.len && sr__scan_eol(value.p, 0, value.len) != value.len) {
        int rc = unfold(scratch, value);
        if (rc)
            return rc;
        value = (sr_str){scratch->p, scratch->len};
    }
    if (h->id == SR_HDR_OTHER || h->id == SR_HDR_NONE)
        return sr_msg_add_header(m, SR_HDR_OTHER, h->name, value);
    return sr_msg_add_header(m, h->id, SR_STR_NULL, value);
}

bool sr__proxy_recursable(sr_str v, bool sips_only, sr_str *uri, int *q)
{
    sr_contact c;
    sr_uri u;
    if (sr_contact_parse(&c, v, NULL) != 0 || c.star ||
        sr_uri_parse(&u, c.addr.uri.p, c.addr.uri.len, NULL) != 0)
        return false;
    if (u.kind != SR_URI_SIPS && (sips_only || u.kind != SR_URI_SIP))
        return false;
    if (uri)
        *uri = c.addr.uri;
    if (q)
        *q = c.q < 0 ? 1000 : c.q;
    return true;
}

/* Copy the Contact values of @p h the proxy did not recurse on. */
static int add_contacts(sr_msg *m, const sr_header *h, int drop, sr_buf *b)
{
    size_t pos = 0;
    sr_str v;
    int rc = 0;
    while (rc == 0 && sr_value_next(h->value, &pos, &v)) {
        if (v.len && !sr__proxy_recursable(v, drop == SR__DROP_SIPS, NULL, NULL))
            rc = sr__proxy_add(m, h, v, b);
    }
    return rc;
}

int sr__proxy_upstream(sr_msg **out, const sr_msg *resp, unsigned status, sr_str reason, int drop,
                       const sr_allocator *alloc)
{
    sr_msg *m = NULL;
    if (drop == SR__KEEP_CONTACTS) { /* the plain case: printed, made once (proxy_fwd_text.c) */
        int r = sr__proxy_upstream_text(out, resp, status, reason.p ? reason : sr_msg_reason(resp),
                                        alloc);
        if (r == 0 || r == SR_ENOMEM)
            return r;
    }
    sr_buf b;
    sr_buf_init(&b, alloc);
    int rc = sr_msg_new_response(&m, alloc, status, reason.p ? reason : sr_msg_reason(resp));
    bool top_done = false;
    for (size_t i = 0; rc == 0 && i < sr_msg_header_count(resp); i++) {
        const sr_header *h = sr_msg_header_at(resp, i);
        if (h->id == SR_HDR_CONTENT_LENGTH)
            continue; /* the printer computes it */
        if (h->id == SR_HDR_CONTACT && drop != SR__KEEP_CONTACTS) {
            rc = add_contacts(m, h, drop, &b);
            continue;
        }
        if (h->id != SR_HDR_VIA || top_done) {
            rc = sr__proxy_add(m, h, h->value, &b);
            continue;
        }
        /* §16.7 step 3: the topmost Via value is ours; a line "Via: a, b" keeps b. */
        top_done = true;
        size_t pos = 0, k = 0;
        sr_str v;
        while (rc == 0 && sr_value_next(h->value, &pos, &v)) {
            if (k++ > 0 && v.len)
                rc = sr__proxy_add(m, h, v, &b);
        }
    }
    sr_str body = sr_msg_body(resp);
    if (rc == 0 && body.len)
        rc = sr_msg_set_body(m, SR_STR_NULL, body);
    if (rc == 0) {
        *out = m;
        m = NULL;
    }
    sr_msg_free(m);
    sr_buf_cleanup(&b);
    return rc;
}

/* Route values in order across every Route line. */
typedef struct rit {
    const sr_msg *m;
    const sr_header *h;
    size_t pos;
} rit;

static void rit_init(rit *it, const sr_msg *m)
{
    it->m = m;
    it->h = sr_msg_header_find(m, SR_HDR_ROUTE, NULL);
    it->pos = 0;
}

static bool rit_next(rit *it, sr_str *v)
{
    while (it->h) {
        if (sr_value_next(it->h->value, &it->pos, v)) {
            if (v->len)
                return true;
            continue;
        }
        it->h = sr_msg_header_find(it->m, SR_HDR_ROUTE, it->h);
        it->pos = 0;
    }
    return false;
}

static size_t route_count(const sr_msg *m)
{
    rit it;
    sr_str v;
    size_t n = 0;
    rit_init(&it, m);
    while (rit_next(&it, &v))
        n++;
    return n;
}

/* The URI of a name-addr or addr-spec value (Route, Record-Route). */
static int value_uri(sr_str v, sr_str *uri)
{
    sr_nameaddr na;
    if (sr_nameaddr_parse(&na, v, NULL) != 0 || na.uri.len == 0)
        return SR_EBADMSG;
    *uri = na.uri;
    return 0;
}

static bool uri_has_lr(sr_str uri)
{
    sr_uri u;
    return sr_uri_parse(&u, uri.p, uri.len, NULL) == 0 && sr_uri_param_find(&u, "lr", NULL);
}

static bool is_self(const sr_proxy_fwd_opts *o, sr_str uri)
{
    return o && o->is_self && o->is_self(uri, o->self_user);
}

/* ------------------------------------------------------------------ branch and loops */

/* The fields are written, each after its length, into a buffer of LH_CAP bytes hashed once
 * (SipHash over a stream of fields). A request whose fields do not fit (long Route sets or
 * credentials) is hashed field by field, each hash chained with its length, with nothing
 * copied; a request always takes the same way, so its branch and its loop check agree. */
#define LH_CAP 768

typedef struct lhash {
    const uint8_t *key;
    uint64_t acc;
    size_t n; /* bytes in buf, or SIZE_MAX once chaining */
    uint8_t buf[LH_CAP];
} lhash;

static void lh_chain(lhash *h, sr_str s)
{
    uint8_t b[24];
    uint64_t f = sr_siphash24(h->key, s.p ? s.p : "", s.len);
    uint64_t len = s.len;
    memcpy(b, &h->acc, 8);
    memcpy(b + 8, &f, 8);
    memcpy(b + 16, &len, 8);
    h->acc = sr_siphash24(h->key, b, sizeof b);
}

SR__ALWAYS_INLINE void lh_field(lhash *h, sr_str s)
{
    if (h->n != SIZE_MAX && h->n + 4 <= LH_CAP && s.len <= LH_CAP - 4 - h->n) {
        uint32_t len = (uint32_t)s.len;
        memcpy(h->buf + h->n, &len, 4);
        if (s.len)
            memcpy(h->buf + h->n + 4, s.p, s.len);
        h->n += 4 + s.len;
    } else {
        h->n = SIZE_MAX;
    }
}

typedef void (*lh_fn)(lhash *h, sr_str s);

SR__ALWAYS_INLINE void lh_all(lhash *h, const sr_msg *m, enum sr_hdr_id id, lh_fn add)
{
    for (const sr_header *x = sr_msg_header_find(m, id, NULL); x; x = sr_msg_header_find(m, id, x))
        add(h, x->value);
}

/* inlined with each @p add, called directly (the buffered way is every call's) */
SR__ALWAYS_INLINE void lh_fields(lhash *h, const sr_msg *req, lh_fn add)
{
    const sr_nameaddr *to = sr_msg_to(req), *from = sr_msg_from(req);
    const sr_cseq *cs = sr_msg_cseq(req);
    char num[12];
    size_t n = sr__u32_to_dec(cs ? cs->num : 0, num);
    add(h, to ? to->tag : SR_STR_NULL);
    add(h, from ? from->tag : SR_STR_NULL);
    add(h, sr_msg_call_id(req));
    add(h, (sr_str){num, n});
    add(h, sr_msg_request_uri(req));
    lh_all(h, req, SR_HDR_ROUTE, add);
    lh_all(h, req, SR_HDR_PROXY_REQUIRE, add);
    lh_all(h, req, SR_HDR_PROXY_AUTHORIZATION, add);
}

/* §16.6 step 8: the part of the branch that depends on everything deciding how this proxy
 * handles the request. The received top Via is left out on purpose: a request that loops
 * comes back under another hop's Via, and counting it would make every loop a spiral. */
static uint64_t loop_hash(const sr_msg *req, const uint8_t *key)
{
    static const uint8_t zero[SR_BUILD_KEY_LEN] = {0};
    lhash h;
    h.key = key ? key : zero;
    h.acc = 0;
    h.n = 0;
    lh_fields(&h, req, lh_field);
    if (h.n != SIZE_MAX)
        return sr_siphash24(h.key, h.buf, h.n);
    lh_fields(&h, req, lh_chain); /* too long for the buffer: chained */
    return h.acc;
}

/* The loop part for @p req: the caller's when it gave it (o->loop_key), else hashed now. */
static uint64_t loop_part(const sr_msg *req, const sr_proxy_fwd_opts *o)
{
    bool given = o->size >= offsetof(sr_proxy_fwd_opts, loop_key) + sizeof(o->loop_key) &&
                 o->has_loop_key; /* a caller built with an older, shorter struct: none */
    return given ? o->loop_key : loop_hash(req, o->key);
}

uint64_t sr_proxy_loop_key(const sr_msg *req, const sr_proxy_fwd_opts *o)
{
    return req && o ? loop_hash(req, o->key) : 0;
}

static void hex32(uint32_t v, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 7; i >= 0; i--) {
        out[i] = hx[v & 15];
        v >>= 4;
    }
}

ptrdiff_t sr_proxy_branch_id(const sr_msg *req, const sr_proxy_fwd_opts *o, unsigned index,
                             char *out)
{
    if (!req || !o || !out)
        return SR_EINVAL;
    size_t n = 0;
    memcpy(out, COOKIE, COOKIE_LEN);
    n += COOKIE_LEN;
    sr__hex64(loop_part(req, o), out + n);
    n += 16;
    out[n++] = '.';
    static const uint8_t zero[SR_BUILD_KEY_LEN] = {0};
    const sr_via *top = sr_msg_via(req, 0);
    sr_str raw = top ? top->raw : SR_STR_NULL;
    uint64_t u = sr_siphash24(o->key ? o->key : zero, raw.p ? raw.p : "", raw.len);
    hex32((uint32_t)(u ^ (u >> 32)), out + n);
    n += 8;
    out[n++] = '.';
    n += sr__u32_to_dec(index, out + n);
    out[n] = '\0';
    return (ptrdiff_t)n;
}

static uint16_t via_port_of(const sr_via *v)
{
    if (v->has_port)
        return v->port;
    return sr_str_caseeq_cstr(v->transport, "TLS") ? 5061 : 5060;
}

bool sr_proxy_is_loop(const sr_msg *req, const sr_proxy_fwd_opts *o)
{
    if (!req || !o || !o->via_host.len)
        return false;
    char want[COOKIE_LEN + 17];
    bool have_want = false; /* the branch's start we would compute now: once a Via may hold it */
    uint16_t port = o->via_port ? o->via_port : 5060;
    size_t nv = sr_msg_via_count(req);
    for (size_t i = 0; i < nv; i++) {
        const sr_via *v = sr_msg_via(req, i);
        if (!v || v->branch.len <= sizeof want || memcmp(v->branch.p, COOKIE, COOKIE_LEN) != 0 ||
            !sr_str_caseeq(v->host, o->via_host) || via_port_of(v) != port)
            continue;
        if (!have_want) {
            memcpy(want, COOKIE, COOKIE_LEN);
            sr__hex64(loop_part(req, o), want + COOKIE_LEN);
            want[COOKIE_LEN + 16] = '.';
            have_want = true;
        }
        /* §16.3 item 4: a Via of ours with the branch we would compute now: a loop. */
        if (memcmp(v->branch.p, want, sizeof want) == 0)
            return true;
    }
    return false;
}

/* ------------------------------------------------------------------ checks and routes */

static bool listed(const char *const *list, sr_str tok)
{
    for (; list && *list; list++) {
        if (sr_str_caseeq_cstr(tok, *list))
            return true;
    }
    return false;
}

int sr_proxy_check_request(const sr_msg *req, const sr_proxy_fwd_opts *o,
                           const char *const *supported, unsigned *code)
{
    if (!req || !code || !sr_msg_is_request(req))
        return SR_EINVAL;
    *code = 0;
    int scheme; /* the parse sr_msg_validate() made, when it ran, is not made again */
    if (sr__msg_ruri_scheme(req, &scheme) != 0) {
        *code = 400; /* §16.3 item 1: reasonable syntax */
        return 0;
    }
    if (scheme == SR_URI_OTHER) {
        *code = 416; /* item 2: a scheme the proxy does not understand */
        return 0;
    }
    if (sr_msg_max_forwards(req) == 0) {
        *code = 483; /* item 3 */
        return 0;
    }
    if (o && sr_proxy_is_loop(req, o)) {
        *code = 482; /* item 4 */
        return 0;
    }
    for (const sr_header *h = sr_msg_header_find(req, SR_HDR_PROXY_REQUIRE, NULL); h;
         h = sr_msg_header_find(req, SR_HDR_PROXY_REQUIRE, h)) {
        size_t pos = 0;
        sr_str tok;
        while (sr_value_next(h->value, &pos, &tok)) {
            if (tok.len && !listed(supported, tok)) {
                *code = 420; /* item 5 */
                return 0;
            }
        }
    }
    return 0;
}

int sr_proxy_route_preprocess(const sr_msg *req, const sr_proxy_fwd_opts *o, sr_proxy_route *out)
{
    if (!req || !out || !sr_msg_is_request(req))
        return SR_EINVAL;
    memset(out, 0, sizeof *out);
    out->request_uri = sr_msg_request_uri(req);
    size_t n = route_count(req);
    rit it;
    sr_str v, first = SR_STR_NULL, last = SR_STR_NULL;
    rit_init(&it, req);
    for (size_t i = 0; rit_next(&it, &v); i++) {
        if (value_uri(v, i == 0 ? &first : &last) != 0)
            return SR_EBADMSG;
        if (i == 0)
            last = first;
    }
    /* §16.4: a Request-URI we placed in a Record-Route means the previous hop was a strict
     * router (§16.12): the last Route value is the real Request-URI. */
    if (n > 0 && is_self(o, out->request_uri)) {
        out->request_uri = last;
        out->pop_last = true;
        n--;
    }
    if (n > 0 && is_self(o, first))
        out->pop_first = true;
    return 0;
}

sr_str sr_proxy_next_hop(const sr_msg *fwd)
{
    if (!fwd)
        return SR_STR_NULL;
    rit it;
    sr_str v, uri;
    rit_init(&it, fwd);
    if (rit_next(&it, &v) && value_uri(v, &uri) == 0)
        return uri;
    return sr_msg_request_uri(fwd);
}

int sr_proxy_build_cancel(sr_msg **out, const sr_msg *fwd_invite, sr_str reason,
                          const sr_allocator *alloc)
{
    sr_msg *m = NULL;
    int rc = sr_build_cancel(&m, fwd_invite, alloc);
    if (rc == 0 && reason.len)
        rc = sr_msg_add_header(m, SR_HDR_REASON, SR_STR_NULL, reason);
    if (rc) {
        sr_msg_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* ------------------------------------------------------------------ the copy (§16.6) */

typedef struct fwd {
    sr_msg *m;
    sr_buf b;  /* scratch for values */
    sr_str *r; /* the Route values of the copy, in order */
    size_t nr;
    size_t nr_cap; /* room in r when it is the caller's array (r_own false) */
    bool r_own;
    sr_str rr; /* our Record-Route value, empty: none */
} fwd;

static int add_id(fwd *f, enum sr_hdr_id id, sr_str v)
{
    sr_header h = {.id = id};
    return sr__proxy_add(f->m, &h, v, &f->b);
}

static int emit_routes(fwd *f)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < f->nr; i++)
        rc = add_id(f, SR_HDR_ROUTE, f->r[i]);
    f->nr = 0;
    return rc;
}

/* Step 6: the route set, then the request's Route values less what §16.4 dropped. */
static int collect_routes(fwd *f, const sr_msg *req, const sr_proxy_route *route,
                          const sr_proxy_fwd_opts *o, const sr_allocator *alloc)
{
    size_t n = route_count(req);
    size_t cap = n + o->n_route_set + 1;
    /* room for a few in the caller's array (f->r set), else allocated */
    if (cap > f->nr_cap) {
        f->r = sr__malloc(alloc, cap * sizeof *f->r);
        if (!f->r)
            return SR_ENOMEM;
        f->r_own = true;
    }
    for (size_t i = 0; i < o->n_route_set; i++) {
        if (o->route_set[i].len)
            f->r[f->nr++] = o->route_set[i];
    }
    rit it;
    sr_str v;
    rit_init(&it, req);
    for (size_t i = 0; rit_next(&it, &v); i++) {
        if (route && route->pop_last && i + 1 == n)
            continue;
        if (route && route->pop_first && i == 0)
            continue;
        f->r[f->nr++] = v;
    }
    return 0;
}

/* Step 8: our Via value, "SIP/2.0/<transport> <host>[:<port>];branch=<branch>[;rport]", written
 * once into @p stack (@p cap bytes) or, when longer, into @p b; *@p via. *@p parsed is what
 * sr_via_parse() gives for it, made from the pieces, when its shape is the plain one (a token
 * transport, a host of hostname or IPv4 bytes, a branch of token bytes: the parser then finds
 * exactly these pieces); else *@p known is false (it is parsed). */
static int make_via(sr_buf *b, char *stack, size_t cap, const sr_proxy_fwd_opts *o,
                    const char *branch, size_t blen, sr_str *via, sr_via *parsed, bool *known)
{
    sr_str tp = o->via_transport.len ? o->via_transport : SR_STR("UDP");
    bool rport = o->size >= offsetof(sr_proxy_fwd_opts, via_rport) + sizeof(o->via_rport) &&
                 o->via_rport; /* a caller built with an older, shorter struct: none */
    char port[24];
    size_t np = o->via_port ? sr__u32_to_dec((uint32_t)o->via_port, port) : 0;
    size_t need = 8 + tp.len + 1 + o->via_host.len + (np ? 1 + np : 0) + 8 + blen + (rport ? 6 : 0);
    char *w = stack;
    if (need > cap) {
        b->len = 0;
        int rc = sr_buf_reserve(b, need);
        if (rc)
            return rc;
        w = b->p;
        b->len = need;
    }
    char *p = w;
    memcpy(p, "SIP/2.0/", 8);
    p += 8;
    memcpy(p, tp.p, tp.len);
    sr_via *v = parsed;
    v->protocol = (sr_str){w, 3};
    v->version = (sr_str){w + 4, 3};
    v->transport = (sr_str){p, tp.len};
    p += tp.len;
    *p++ = ' ';
    memcpy(p, o->via_host.p, o->via_host.len);
    v->host = (sr_str){p, o->via_host.len};
    p += o->via_host.len;
    v->port = o->via_port;
    v->has_port = np != 0;
    if (np) {
        *p++ = ':';
        memcpy(p, port, np);
        p += np;
    }
    v->params.p = p;
    memcpy(p, ";branch=", 8);
    p += 8;
    memcpy(p, branch, blen);
    v->branch = (sr_str){p, blen};
    p += blen;
    if (rport) {
        memcpy(p, ";rport", 6);
        p += 6;
    }
    v->received = v->maddr = SR_STR_NULL;
    v->rport = rport ? SR_RPORT_EMPTY : SR_RPORT_NONE;
    v->rport_value = 0;
    v->ttl = -1;
    v->params.len = (size_t)(p - v->params.p);
    v->raw = *via = (sr_str){w, (size_t)(p - w)};
    /* the branch is sr_proxy_branch_id's: the cookie, hex digits, dots and a number, a token */
    *known = tp.len && sr__span(tp.p, 0, tp.len, SR__C_TOKEN) == tp.len && o->via_host.len &&
             sr__span(o->via_host.p, 0, o->via_host.len, SR__C_HOST) == o->via_host.len && blen;
    return 0;
}

/* Step 4: "<uri;lr>"; a name-addr given whole is used as is. */
static int make_rr(sr_buf *b, sr_str uri)
{
    int rc;
    b->len = 0;
    if (uri.p[0] == '<')
        return sr_buf_append_str(b, uri);
    if ((rc = sr_buf_append_cstr(b, "<")) || (rc = sr_buf_append_str(b, uri)))
        return rc;
    if (!uri_has_lr(uri) && (rc = sr_buf_append_cstr(b, ";lr")))
        return rc;
    return sr_buf_append_cstr(b, ">");
}

static int copy_headers(fwd *f, const sr_msg *req, const sr_proxy_fwd_opts *o, int64_t mf)
{
    int rc = 0;
    bool mf_done = false, route_done = false, rr_done = !f->rr.len;
    char num[24];
    for (size_t i = 0; rc == 0 && i < sr_msg_header_count(req); i++) {
        const sr_header *h = sr_msg_header_at(req, i);
        switch (h->id) {
        case SR_HDR_CONTENT_LENGTH: break; /* recomputed when printed */
        case SR_HDR_MAX_FORWARDS:
            if (!mf_done) { /* step 3 */
                size_t n = sr__u32_to_dec((uint32_t)(mf > 0 ? mf - 1 : 70), num);
                rc = add_id(f, SR_HDR_MAX_FORWARDS, (sr_str){num, n});
                mf_done = true;
            }
            break;
        case SR_HDR_ROUTE:
            if (!route_done)
                rc = emit_routes(f);
            route_done = true;
            break;
        case SR_HDR_RECORD_ROUTE:
            if (!rr_done) /* step 4: ours before the existing values */
                rc = add_id(f, SR_HDR_RECORD_ROUTE, f->rr);
            rr_done = true;
            if (rc == 0)
                rc = sr__proxy_add(f->m, h, h->value, &f->b);
            break;
        default: rc = sr__proxy_add(f->m, h, h->value, &f->b); break;
        }
    }
    if (rc == 0 && !mf_done)
        rc = add_id(f, SR_HDR_MAX_FORWARDS, SR_STR("70"));
    if (rc == 0)
        rc = emit_routes(f);
    if (rc == 0 && !rr_done)
        rc = add_id(f, SR_HDR_RECORD_ROUTE, f->rr);
    for (size_t i = 0; rc == 0 && i < o->n_headers; i++) {
        sr_header h = {.id = sr_hdr_lookup(o->headers[i].name), .name = o->headers[i].name};
        if (h.id != SR_HDR_CONTENT_LENGTH)
            rc = sr__proxy_add(f->m, &h, o->headers[i].value, &f->b);
    }
    return rc;
}

int sr_proxy_forward(sr_msg **out, const sr_msg *req, sr_str target, const sr_proxy_route *route,
                     unsigned index, const sr_proxy_fwd_opts *o)
{
    if (!out || !req || !o || !sr_msg_is_request(req) || !target.len || !o->via_host.len)
        return SR_EINVAL;
    int64_t mf = sr_msg_max_forwards(req);
    if (mf == 0)
        return SR_ERANGE; /* §16.3 item 3: never forwarded, 483 */
    const sr_allocator *alloc = o->alloc;
    fwd f = {0};
    sr_str few[4]; /* the Route values of most requests: none, or a few */
    f.r = few;
    f.nr_cap = sizeof few / sizeof few[0];
    sr_buf rrb, tb;
    sr_buf_init(&f.b, alloc);
    sr_buf_init(&rrb, alloc);
    sr_buf_init(&tb, alloc);
    char branch[SR_PROXY_BRANCH_MAX];
    int rc = collect_routes(&f, req, route, o, alloc);
    if (rc)
        goto out;
    sr_str ruri = target;
    if (f.nr > 0) {
        sr_str first;
        if ((rc = value_uri(f.r[0], &first)) != 0)
            goto out;
        if (!uri_has_lr(first)) {
            /* Step 6 / §16.12: the next hop is a strict router: it gets the target in its
             * Request-URI position's stead, and the target goes last in Route. */
            if ((rc = sr_buf_append_cstr(&tb, "<")) || (rc = sr_buf_append_str(&tb, target)) ||
                (rc = sr_buf_append_cstr(&tb, ">")))
                goto out;
            ruri = first;
            memmove(f.r, f.r + 1, (f.nr - 1) * sizeof *f.r);
            f.r[f.nr - 1] = (sr_str){tb.p, tb.len};
        }
    }
    if (o->record_route.len) {
        if ((rc = make_rr(&rrb, o->record_route)) != 0)
            goto out;
        f.rr = (sr_str){rrb.p, rrb.len};
    }
    ptrdiff_t blen = sr_proxy_branch_id(req, o, index, branch);
    if (blen < 0) {
        rc = (int)blen;
        goto out;
    }
    char viab[192];
    sr_str via;
    sr_via vp;
    bool vp_known = false;
    if ((rc = make_via(&f.b, viab, sizeof viab, o, branch, (size_t)blen, &via, &vp, &vp_known)) !=
        0)
        goto out;
    /* the plain case: printed and made once (proxy_fwd_text.c), the same message */
    rc = sr__proxy_forward_text(out, req, ruri, via, vp_known ? &vp : NULL, f.r, f.nr, f.rr, mf, o);
    if (rc == 0 || rc == SR_ENOMEM)
        goto out;
    if ((rc = sr_msg_new_request(&f.m, alloc, sr_msg_method_str(req), ruri)) != 0 ||
        (rc = sr_msg_add_header(f.m, SR_HDR_VIA, SR_STR_NULL, via)) != 0)
        goto out;
    if ((rc = copy_headers(&f, req, o, mf)) != 0)
        goto out;
    sr_str body = sr_msg_body(req);
    if (body.len && (rc = sr_msg_set_body(f.m, SR_STR_NULL, body)) != 0)
        goto out;
    *out = f.m;
    f.m = NULL;
out:
    sr_msg_free(f.m);
    if (f.r_own)
        sr__free(alloc, f.r);
    /* most copies used none of the three (a short Via, no Record-Route, no strict router) */
    if (f.b.p)
        sr_buf_cleanup(&f.b);
    if (rrb.p)
        sr_buf_cleanup(&rrb);
    if (tb.p)
        sr_buf_cleanup(&tb);
    return rc;
}
