/* sipreply core: sr_msg_dup — a deep copy of a message as one copy of its arena, every slice
 * moved onto the copy (STYLE.md §5: lend or copy, never print and parse again). */
#include <string.h>

#include "msg_int.h"

/* A message's arena is a short chain (chunks double): more would take terabytes. */
#define MAX_SEGS 48

/* One run of old arena bytes [lo, hi] and where it starts in the copy (off; dst once the
 * copy's bytes are known). @p hi is inclusive: a slice may end (or an empty one start)
 * exactly at the end of what was allocated. */
typedef struct seg {
    uintptr_t lo, hi;
    size_t off;
    char *dst;
} seg;

typedef struct reloc {
    uintptr_t lo0, span0; /* s[0], as move_ptr reads it */
    char *dst0;
    seg s[MAX_SEGS];
    size_t n;
    char *base; /* the copy's bytes */
} reloc;

/* Where @p p lands in the copy (move_ptr, the runs after the first). Pointers outside the
 * old arena (static text: canonical header names, "SIP/2.0") and NULL stay as they are. */
static const void *move_ptr_rest(const reloc *r, const void *p)
{
    uintptr_t u = (uintptr_t)p;
    for (size_t i = 1; i < r->n; i++) {
        if (u >= r->s[i].lo && u <= r->s[i].hi)
            return r->s[i].dst + (u - r->s[i].lo);
    }
    return p;
}

static inline const void *move_ptr(const reloc *r, const void *p)
{
    /* The first run holds the struct and the head's bytes, where nearly every slice
     * points: one unsigned compare (below lo wraps above the span; NULL too, lo is not 0). */
    uintptr_t d = (uintptr_t)p - r->lo0;
    if (d <= r->span0)
        return r->dst0 + d;
    return move_ptr_rest(r, p);
}

static void move_str(const reloc *r, sr_str *s)
{
    s->p = move_ptr(r, s->p);
}

static void move_nameaddr(const reloc *r, sr_nameaddr *a)
{
    move_str(r, &a->display);
    move_str(r, &a->uri);
    move_str(r, &a->tag);
    move_str(r, &a->params);
}

static void move_via(const reloc *r, sr_via *v)
{
    move_str(r, &v->protocol);
    move_str(r, &v->version);
    move_str(r, &v->transport);
    move_str(r, &v->host);
    move_str(r, &v->branch);
    move_str(r, &v->received);
    move_str(r, &v->maddr);
    move_str(r, &v->params);
    move_str(r, &v->raw);
}

static size_t align16(size_t n)
{
    return (n + 15u) & ~(size_t)15u;
}

/* Lay the old chunks (and, with @p gap_lo < @p gap_hi, the old chunk space without that
 * range) out one after the other: r->s and the total size. */
static int plan(reloc *r, const sr_msg *m, uintptr_t gap_lo, uintptr_t gap_hi, size_t *total)
{
    size_t off = 0;
    r->n = 0;
    r->lo0 = UINTPTR_MAX; /* (a message always has a chunk: set below) */
    r->span0 = 0;
    for (const sr__chunk *c = m->arena.head; c != NULL; c = c->next) {
        uintptr_t lo = (uintptr_t)c + SR__CHUNK_HDR, hi = lo + c->used;
        uintptr_t cut[2][2] = {{lo, hi}, {0, 0}};
        size_t k = 1;
        if (gap_lo < gap_hi && gap_lo >= lo && gap_hi <= hi) {
            cut[0][1] = gap_lo;
            cut[1][0] = gap_hi;
            cut[1][1] = hi;
            k = 2;
        }
        for (size_t i = 0; i < k; i++) {
            if (r->n == MAX_SEGS)
                return SR_ENOMEM;
            off = align16(off); /* keeps every allocation's 16-byte alignment */
            if (r->n == 0) {    /* the run move_ptr checks first (at offset 0) */
                r->lo0 = cut[i][0];
                r->span0 = cut[i][1] - cut[i][0];
            }
            r->s[r->n].lo = cut[i][0];
            r->s[r->n].hi = cut[i][1];
            r->s[r->n].off = off;
            off += (size_t)(cut[i][1] - cut[i][0]);
            r->n++;
        }
    }
    *total = align16(off);
    return 0;
}

int sr__msg_dup(sr_msg **out, const sr_msg *m, const sr_allocator *alloc, bool drop_body)
{
    reloc r;
    size_t total = 0;
    uintptr_t gap_lo = 0, gap_hi = 0;
    /* Without its body, a received message's bytes end with its head: the body is the tail
     * of the bytes' allocation, which is left out (SR__PARSE_NO_BODY gives the same). */
    bool cut_body = drop_body && !m->built && !m->body_edited && m->body.len > 0 &&
                    m->bytes != NULL && m->body.p == m->bytes + m->head_len;
    if (cut_body) {
        gap_lo = (uintptr_t)m->body.p;
        gap_hi = (uintptr_t)m->bytes + align16(m->size ? m->size : 1);
    }
    int rc = plan(&r, m, gap_lo, gap_hi, &total);
    if (rc != 0)
        return rc;
    sr__arena a;
    if ((rc = sr__arena_init(&a, alloc, total)) != 0)
        return rc;
    r.base = (char *)a.head + SR__CHUNK_HDR;
    a.head->used = total;
    for (size_t i = 0; i < r.n; i++) {
        r.s[i].dst = r.base + r.s[i].off;
        memcpy(r.s[i].dst, (const void *)r.s[i].lo, (size_t)(r.s[i].hi - r.s[i].lo));
    }
    r.dst0 = r.base; /* the first run is copied at offset 0 */

    sr_msg *d = (sr_msg *)(uintptr_t)move_ptr(&r, m);
    d->arena = a;
    d->bytes = move_ptr(&r, m->bytes);
    move_str(&r, &d->sl.method);
    move_str(&r, &d->sl.uri);
    move_str(&r, &d->sl.version);
    move_str(&r, &d->sl.reason);
    d->hdrs = (sr_header *)(uintptr_t)move_ptr(&r, m->hdrs);
    d->next = (uint16_t *)(uintptr_t)move_ptr(&r, m->next);
    for (size_t k = 0; k < d->nhdrs; k++) {
        move_str(&r, &d->hdrs[k].name);
        move_str(&r, &d->hdrs[k].value);
        move_str(&r, &d->hdrs[k].raw);
    }
    move_str(&r, &d->body);
    /* The Via list: the values parsed so far; the rest parse later from the moved headers
     * into the moved room (via_k and via_pos are indices). */
    d->vias = m->vias == &m->via0 ? &d->via0 : (sr_via *)(uintptr_t)move_ptr(&r, m->vias);
    for (size_t i = 0; i < d->nvia; i++)
        move_via(&r, &d->vias[i]);
    /* The typed values hold a value only where their flags say (the rest were never set). */
    if (d->has_to)
        move_nameaddr(&r, &d->to);
    if (d->has_from)
        move_nameaddr(&r, &d->from);
    move_str(&r, &d->cseq.method);
    move_str(&r, &d->call_id);
    if (d->has_rack)
        move_str(&r, &d->rack.method);
    d->refs = 0; /* the copy is not shared */
    d->share_cb = NULL;
    d->share_u1 = d->share_u2 = NULL;
    if (cut_body) {
        d->size = d->head_len;
        d->body.p = d->bytes + d->head_len;
        d->body.len = 0;
        d->body_edited = true; /* printed as it now is: no body, Content-Length 0 */
    }
    *out = d;
    return 0;
}

int sr_msg_dup(sr_msg **out, const sr_msg *msg)
{
    if (out == NULL || msg == NULL)
        return SR_EINVAL;
    return sr__msg_dup(out, msg, msg->arena.alloc, false);
}

void sr__msg_share(sr_msg *m, sr__msg_share_cb cb, void *u1, void *u2)
{
    m->refs++;
    m->share_cb = cb;
    m->share_u1 = u1;
    m->share_u2 = u2;
}

void sr__msg_unshare(sr_msg *m)
{
    m->share_cb = NULL;
    m->share_u1 = m->share_u2 = NULL;
    sr_msg_free(m);
}

bool sr__msg_is_shared(const sr_msg *m)
{
    return m->share_cb != NULL;
}

int sr__msg_before_write(sr_msg *m)
{
    if (m->share_cb == NULL || m->refs == 0)
        return 0; /* nobody else holds it (a sharer left alone keeps what it has) */
    return m->share_cb(m, SR__SHARE_WRITE, m->share_u1, m->share_u2);
}
