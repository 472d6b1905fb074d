/* sipreply core: a UAS's dialog table (RFC 3261 §12.1.1, §12.2.2) — bounded in count and
 * bytes, hashed by Call-ID and tags, with a deadline heap; requests within a dialog (§12.2.1.1). */
#include <string.h>

#include "core_int.h"
#include "sipreply/build.h"
#include "sipreply/dialog.h"
#include "sipreply/print.h"

struct sr_dialog_table {
    const sr_allocator *a;
    sr_dialog_limits lim;
    sr_dialog **buckets;
    size_t n_buckets; /* a power of two */
    size_t count, bytes;
    sr_dialog **heap; /* by (deadline_ms, seq) */
    size_t heap_len, heap_cap;
    uint64_t seq;
    uint8_t key[16];
};

void sr_dialog_limits_init(sr_dialog_limits *l)
{
    if (!l)
        return;
    memset(l, 0, sizeof(*l));
    l->size = sizeof(*l);
    l->max_dialogs = 4096;
    l->max_memory = (size_t)8 << 20;
}

int sr_dialog_table_new(sr_dialog_table **out, const sr_dialog_limits *lim,
                        const sr_allocator *alloc)
{
    if (!out)
        return SR_EINVAL;
    sr_dialog_limits def;
    sr_dialog_limits_init(&def);
    if (lim) {
        if (lim->size == 0 || lim->size > sizeof(def))
            return SR_EINVAL;
        memcpy(&def, lim, lim->size);
        def.size = sizeof(def);
    }
    const sr_allocator *a = sr__alloc_or_default(alloc);
    sr_dialog_table *t = sr__malloc(a, sizeof(*t));
    if (!t)
        return SR_ENOMEM;
    memset(t, 0, sizeof(*t));
    t->a = a;
    t->lim = def;
    /* one bucket per dialog allowed, up to 64 Ki buckets */
    size_t nb = 16;
    while (nb < def.max_dialogs && nb < ((size_t)1 << 16))
        nb <<= 1;
    t->buckets = sr__malloc(a, nb * sizeof(*t->buckets));
    if (!t->buckets) {
        sr__free(a, t);
        return SR_ENOMEM;
    }
    memset(t->buckets, 0, nb * sizeof(*t->buckets));
    t->n_buckets = nb;
    for (size_t i = 0; i < 16; i++)
        t->key[i] = (uint8_t)(def.seed >> ((i % 8) * 8)) ^ (uint8_t)(0x5a + i);
    *out = t;
    return 0;
}

void sr_dialog_table_free(sr_dialog_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_buckets; i++) {
        sr_dialog *d = t->buckets[i];
        while (d) {
            sr_dialog *n = d->next;
            sr__free(t->a, d);
            d = n;
        }
    }
    sr__free(t->a, t->buckets);
    sr__free(t->a, t->heap);
    sr__free(t->a, t);
}

/* ------------------------------------------------------------------ hashing */

static size_t bucket_of(const sr_dialog_table *t, sr_str call_id, sr_str ltag, sr_str rtag)
{
    /* the three parts, each followed by its length, so that no two keys run together */
    uint64_t h = sr_siphash24(t->key, call_id.p, call_id.len);
    h ^= sr_siphash24(t->key, ltag.p, ltag.len) * 0x9e3779b97f4a7c15ULL;
    h ^= sr_siphash24(t->key, rtag.p, rtag.len) * 0xc2b2ae3d27d4eb4fULL;
    h ^= call_id.len * 31u + ltag.len * 7u + rtag.len;
    return (size_t)(h & (t->n_buckets - 1));
}

static bool same(sr_str a, sr_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

sr_dialog *sr_dialog_find(const sr_dialog_table *t, sr_str call_id, sr_str local_tag,
                          sr_str remote_tag)
{
    if (!t)
        return NULL;
    /* §12.2.2: Call-ID compared byte for byte (§20.8); tags are tokens compared likewise */
    for (sr_dialog *d = t->buckets[bucket_of(t, call_id, local_tag, remote_tag)]; d; d = d->next)
        if (same(d->call_id, call_id) && same(d->local_tag, local_tag) &&
            same(d->remote_tag, remote_tag))
            return d;
    return NULL;
}

sr_dialog *sr_dialog_match(const sr_dialog_table *t, const sr_msg *req)
{
    const sr_nameaddr *to = req ? sr_msg_to(req) : NULL;
    const sr_nameaddr *from = req ? sr_msg_from(req) : NULL;
    if (!t || !to || !from || !to->tag.p || !to->tag.len)
        return NULL;
    sr_str rtag = from->tag.p ? from->tag : (sr_str){"", 0};
    return sr_dialog_find(t, sr_msg_call_id(req), to->tag, rtag);
}

static void chain_del(sr_dialog_table *t, sr_dialog *d)
{
    size_t b = bucket_of(t, d->call_id, d->local_tag, d->remote_tag);
    for (sr_dialog **pp = &t->buckets[b]; *pp; pp = &(*pp)->next)
        if (*pp == d) {
            *pp = d->next;
            return;
        }
}

static void chain_add(sr_dialog_table *t, sr_dialog *d)
{
    size_t b = bucket_of(t, d->call_id, d->local_tag, d->remote_tag);
    d->next = t->buckets[b];
    t->buckets[b] = d;
}

/* ------------------------------------------------------------------ deadline heap */

static bool before(const sr_dialog *x, const sr_dialog *y)
{
    return x->deadline_ms < y->deadline_ms || (x->deadline_ms == y->deadline_ms && x->seq < y->seq);
}

static void heap_set(sr_dialog_table *t, size_t i, sr_dialog *d)
{
    t->heap[i] = d;
    d->heap_i = i;
}

static void sift_up(sr_dialog_table *t, size_t i)
{
    sr_dialog *d = t->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(d, t->heap[p]))
            break;
        heap_set(t, i, t->heap[p]);
        i = p;
    }
    heap_set(t, i, d);
}

static void sift_down(sr_dialog_table *t, size_t i)
{
    sr_dialog *d = t->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= t->heap_len)
            break;
        if (c + 1 < t->heap_len && before(t->heap[c + 1], t->heap[c]))
            c++;
        if (!before(t->heap[c], d))
            break;
        heap_set(t, i, t->heap[c]);
        i = c;
    }
    heap_set(t, i, d);
}

static void heap_del(sr_dialog_table *t, sr_dialog *d)
{
    size_t i = d->heap_i;
    if (i == SIZE_MAX || i >= t->heap_len || t->heap[i] != d)
        return;
    d->heap_i = SIZE_MAX;
    sr_dialog *last = t->heap[--t->heap_len];
    if (i == t->heap_len)
        return;
    heap_set(t, i, last);
    sift_down(t, i);
    sift_up(t, last->heap_i);
}

int sr_dialog_set_deadline(sr_dialog_table *t, sr_dialog *d, uint64_t deadline_ms)
{
    if (!t || !d)
        return SR_EINVAL;
    heap_del(t, d);
    d->deadline_ms = deadline_ms;
    if (deadline_ms == UINT64_MAX)
        return 0;
    /* room for every dialog was made when it was created: no allocation here */
    d->seq = t->seq++;
    t->heap[t->heap_len] = d;
    d->heap_i = t->heap_len++;
    sift_up(t, d->heap_i);
    return 0;
}

uint64_t sr_dialog_next_deadline(const sr_dialog_table *t)
{
    return t && t->heap_len ? t->heap[0]->deadline_ms : UINT64_MAX;
}

sr_dialog *sr_dialog_expired(sr_dialog_table *t, uint64_t now_ms)
{
    if (!t || !t->heap_len || t->heap[0]->deadline_ms > now_ms)
        return NULL;
    sr_dialog *d = t->heap[0];
    heap_del(t, d);
    d->deadline_ms = UINT64_MAX;
    return d;
}

/* ------------------------------------------------------------------ creation */

/* The parts of a dialog's storage, in the order they follow the struct. */
enum { P_CALL_ID, P_LTAG, P_RTAG, P_LURI, P_RURI, P_TARGET, P_ROUTES, P__N };

/* A dialog with copies of @p parts (the route set given as its values), counted in the table's
 * limits. NULL with *@p err set. */
static sr_dialog *dialog_alloc(sr_dialog_table *t, const sr_str *parts, const sr_str *routes,
                               size_t n_routes, size_t replaced, int *err)
{
    size_t n = sizeof(sr_dialog);
    for (size_t i = 0; i < P__N; i++)
        n += i == P_ROUTES ? 0 : parts[i].len;
    for (size_t i = 0; i < n_routes; i++)
        n += routes[i].len + 2;
    if (t->bytes - replaced + n > t->lim.max_memory) {
        *err = SR_ETOOBIG;
        return NULL;
    }
    sr_dialog *d = sr__malloc(t->a, n);
    if (!d) {
        *err = SR_ENOMEM;
        return NULL;
    }
    memset(d, 0, sizeof(*d));
    d->bytes = n;
    d->heap_i = SIZE_MAX;
    d->deadline_ms = UINT64_MAX;
    char *p = (char *)(d + 1);
    sr_str *dst[P__N] = {&d->call_id,    &d->local_tag,     &d->remote_tag, &d->local_uri,
                         &d->remote_uri, &d->remote_target, &d->route_set};
    for (size_t i = 0; i < P__N; i++) {
        dst[i]->p = p;
        if (i == P_ROUTES) {
            for (size_t k = 0; k < n_routes; k++) {
                if (k) {
                    memcpy(p, ", ", 2);
                    p += 2;
                }
                if (routes[k].len)
                    memcpy(p, routes[k].p, routes[k].len);
                p += routes[k].len;
            }
        } else {
            if (parts[i].len)
                memcpy(p, parts[i].p, parts[i].len);
            p += parts[i].len;
        }
        dst[i]->len = (size_t)(p - dst[i]->p);
    }
    return d;
}

#define MAX_ROUTES 32

/* The Contact URI of @p m, or an empty slice. */
static sr_str contact_uri(const sr_msg *m)
{
    const sr_header *h = sr_msg_header_find(m, SR_HDR_CONTACT, NULL);
    size_t pos = 0;
    sr_str item;
    sr_contact c;
    if (h && sr_value_next(h->value, &pos, &item) && sr_contact_parse(&c, item, NULL) == 0 &&
        !c.star)
        return c.addr.uri;
    return (sr_str){"", 0};
}

int sr_dialog_create(sr_dialog_table *t, const sr_msg *req, const sr_msg *resp, const sr_addr *peer,
                     uint64_t now_ms, sr_dialog **out)
{
    if (!t || !req || !resp || !peer || sr_msg_method(req) != SR_METHOD_INVITE)
        return SR_EINVAL;
    unsigned code = sr_msg_status(resp);
    const sr_nameaddr *rto = sr_msg_to(resp);
    const sr_nameaddr *from = sr_msg_from(req);
    const sr_header *toh = sr_msg_header_find(req, SR_HDR_TO, NULL);
    const sr_header *fromh = sr_msg_header_find(req, SR_HDR_FROM, NULL);
    const sr_cseq *cs = sr_msg_cseq(req);
    sr_str call_id = sr_msg_call_id(req);
    if (code <= 100 || code >= 300 || !rto || !rto->tag.len || !from || !from->tag.len || !toh ||
        !fromh || !cs || !call_id.len)
        return SR_EINVAL;
    sr_dialog *d = sr_dialog_find(t, call_id, rto->tag, from->tag);
    if (d) {
        /* §13.3.1.4: the 2xx confirms the early dialog of the same tags */
        if (code >= 200)
            d->state = SR_DIALOG_CONFIRMED;
        if (out)
            *out = d;
        return 0;
    }
    if (t->count >= t->lim.max_dialogs)
        return SR_ETOOBIG;
    sr_str parts[P__N];
    memset(parts, 0, sizeof(parts));
    parts[P_CALL_ID] = call_id;
    parts[P_LTAG] = rto->tag;
    parts[P_RTAG] = from->tag;
    parts[P_LURI] = toh->value; /* an initial INVITE: its To has no tag */
    parts[P_RURI] = fromh->value;
    parts[P_TARGET] = contact_uri(req);
    if (!parts[P_TARGET].len)
        parts[P_TARGET] = from->uri; /* no Contact (a 400 of its own elsewhere): the From */
    /* §12.1.1: the UAS's route set is the request's Record-Route, in order */
    sr_str routes[MAX_ROUTES];
    size_t nr = 0;
    for (const sr_header *h = sr_msg_header_find(req, SR_HDR_RECORD_ROUTE, NULL); h;
         h = sr_msg_header_find(req, SR_HDR_RECORD_ROUTE, h)) {
        size_t pos = 0;
        sr_str item;
        while (nr < MAX_ROUTES && sr_value_next(h->value, &pos, &item))
            if (item.len)
                routes[nr++] = item;
    }
    if (t->count + 1 > t->heap_cap) {
        /* room in the heap for every dialog: setting a deadline never allocates */
        size_t cap = t->heap_cap ? t->heap_cap * 2 : 16;
        sr_dialog **nh = sr__realloc(t->a, t->heap, cap * sizeof(*nh));
        if (!nh)
            return SR_ENOMEM;
        t->heap = nh;
        t->heap_cap = cap;
    }
    int err = 0;
    d = dialog_alloc(t, parts, routes, nr, 0, &err);
    if (!d)
        return err;
    d->state = code >= 200 ? SR_DIALOG_CONFIRMED : SR_DIALOG_EARLY;
    d->has_remote_cseq = true;
    d->remote_cseq = cs->num; /* §12.1.1 */
    d->peer = *peer;
    d->created_ms = now_ms;
    chain_add(t, d);
    t->count++;
    t->bytes += d->bytes;
    if (out)
        *out = d;
    return 0;
}

int sr_dialog_refresh_target(sr_dialog_table *t, sr_dialog **dp, const sr_msg *req)
{
    if (!t || !dp || !*dp || !req)
        return SR_EINVAL;
    sr_dialog *d = *dp;
    sr_str target = contact_uri(req);
    if (!target.len || same(target, d->remote_target))
        return 0;
    sr_str parts[P__N] = {d->call_id,    d->local_tag, d->remote_tag, d->local_uri,
                          d->remote_uri, target,       {"", 0}};
    sr_str routes[1] = {d->route_set};
    int err = 0;
    sr_dialog *n = dialog_alloc(t, parts, routes, d->route_set.len ? 1 : 0, d->bytes, &err);
    if (!n)
        return err;
    /* everything but the strings and the bookkeeping carries over */
    sr_dialog keep = *n;
    *n = *d;
    n->call_id = keep.call_id;
    n->local_tag = keep.local_tag;
    n->remote_tag = keep.remote_tag;
    n->local_uri = keep.local_uri;
    n->remote_uri = keep.remote_uri;
    n->remote_target = keep.remote_target;
    n->route_set = keep.route_set;
    n->bytes = keep.bytes;
    chain_del(t, d);
    chain_add(t, n);
    if (d->heap_i != SIZE_MAX && d->heap_i < t->heap_len && t->heap[d->heap_i] == d)
        t->heap[d->heap_i] = n;
    t->bytes = t->bytes - d->bytes + n->bytes;
    sr__free(t->a, d);
    *dp = n;
    return 0;
}

void sr_dialog_remove(sr_dialog_table *t, sr_dialog *d)
{
    if (!t || !d)
        return;
    heap_del(t, d);
    chain_del(t, d);
    t->count--;
    t->bytes -= d->bytes;
    sr__free(t->a, d);
}

size_t sr_dialog_count(const sr_dialog_table *t)
{
    return t ? t->count : 0;
}

size_t sr_dialog_memory(const sr_dialog_table *t)
{
    return t ? t->bytes : 0;
}

sr_dialog *sr_dialog_first(const sr_dialog_table *t)
{
    for (size_t i = 0; t && i < t->n_buckets; i++)
        if (t->buckets[i])
            return t->buckets[i];
    return NULL;
}

sr_dialog *sr_dialog_next(const sr_dialog_table *t, const sr_dialog *d)
{
    if (!t || !d)
        return NULL;
    if (d->next)
        return d->next;
    for (size_t i = bucket_of(t, d->call_id, d->local_tag, d->remote_tag) + 1; i < t->n_buckets;
         i++)
        if (t->buckets[i])
            return t->buckets[i];
    return NULL;
}

/* ------------------------------------------------------------------ requests */

int sr_dialog_check_cseq(sr_dialog *d, const sr_msg *req)
{
    if (!d || !req)
        return SR_EINVAL;
    sr_method m = sr_msg_method(req);
    if (m == SR_METHOD_ACK || m == SR_METHOD_CANCEL)
        return 0;
    const sr_cseq *cs = sr_msg_cseq(req);
    if (!cs)
        return SR_EINVAL;
    /* §12.2.2: lower than the remote sequence number: out of order, 500 */
    if (d->has_remote_cseq && cs->num < d->remote_cseq)
        return SR_ERANGE;
    d->has_remote_cseq = true;
    d->remote_cseq = cs->num;
    return 0;
}

static int add(sr_msg *m, enum sr_hdr_id id, const char *name, sr_str v)
{
    return sr_msg_add_header(m, id, sr_str_from_cstr(name), v);
}

int sr_dialog_request(sr_dialog *d, const char *method, const char *transport, const char *host,
                      uint16_t port, const char *branch, const sr_allocator *alloc, sr_msg **out)
{
    if (!d || !method || !transport || !host || !branch || !out)
        return SR_EINVAL;
    sr_msg *m = NULL;
    sr_buf b;
    sr_buf_init(&b, alloc);
    int err = sr_msg_new_request(&m, alloc, sr_str_from_cstr(method), d->remote_target);
    /* Via: SIP/2.0/<transport> host:port;branch=...;rport (RFC 3581) */
    if (!err)
        err = sr__via_add(m, transport, host, port, branch, alloc);
    if (!err)
        err = add(m, SR_HDR_MAX_FORWARDS, "Max-Forwards", SR_STR("70"));
    /* §12.2.1.1: the route set as Route (loose routing; strict routers are not handled) */
    if (!err && d->route_set.len)
        err = add(m, SR_HDR_ROUTE, "Route", d->route_set);
    b.len = 0;
    if (!err)
        err = sr_buf_append_str(&b, d->local_uri);
    if (!err)
        err = sr_buf_append_cstr(&b, ";tag=");
    if (!err)
        err = sr_buf_append_str(&b, d->local_tag);
    if (!err)
        err = add(m, SR_HDR_FROM, "From", (sr_str){b.p, b.len});
    if (!err)
        err = add(m, SR_HDR_TO, "To", d->remote_uri);
    if (!err)
        err = add(m, SR_HDR_CALL_ID, "Call-ID", d->call_id);
    b.len = 0;
    uint32_t num = d->local_cseq + 1;
    if (num == 0 || num > 0x7fffffffu)
        num = 1; /* §8.1.1.5: below 2^31 */
    if (!err)
        err = sr_buf_append_u64(&b, num);
    if (!err)
        err = sr_buf_append_cstr(&b, " ");
    if (!err)
        err = sr_buf_append_cstr(&b, method);
    if (!err)
        err = add(m, SR_HDR_CSEQ, "CSeq", (sr_str){b.p, b.len});
    if (!err)
        err = add(m, SR_HDR_CONTENT_LENGTH, "Content-Length", SR_STR("0"));
    sr_buf_cleanup(&b);
    if (err) {
        sr_msg_free(m);
        return err;
    }
    d->local_cseq = num;
    *out = m;
    return 0;
}

int sr_dialog_session_expires(const sr_msg *m, uint32_t *secs, char *refresher)
{
    const sr_header *h = m ? sr_msg_header_find(m, SR_HDR_SESSION_EXPIRES, NULL) : NULL;
    if (!h)
        return SR_ENOTFOUND;
    /* RFC 4028 §4: Session-Expires = delta-seconds *(SEMI se-params) */
    sr_str v = h->value;
    size_t n = 0;
    while (n < v.len && v.p[n] != ';')
        n++;
    sr_str num = {v.p, n};
    while (num.len && (num.p[num.len - 1] == ' ' || num.p[num.len - 1] == '\t'))
        num.len--;
    uint32_t s = 0;
    if (!num.len || sr_uint32_parse(num, &s) != 0)
        return SR_EBADMSG;
    char r = 0;
    sr_str val;
    if (n < v.len && sr_param_find((sr_str){v.p + n, v.len - n}, "refresher", &val) && val.p) {
        if (sr_str_caseeq(val, SR_STR("uac")))
            r = 'c';
        else if (sr_str_caseeq(val, SR_STR("uas")))
            r = 's';
        else
            return SR_EBADMSG;
    }
    if (secs)
        *secs = s;
    if (refresher)
        *refresher = r;
    return 0;
}
