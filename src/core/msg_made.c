/* sipreply core: what a message made from a head its caller wrote (sr__msg_from_head, msg.c)
 * takes from the message it was written from, or leaves to be parsed on first use, instead of
 * parsing it now: the accessors read what they read of the parsed message (msg_int.h). */
#include <string.h>

#include "msg_int.h"

/* Whether slice @p s is NULL or lies in [@p from, @p from + @p len]; in integers, one compare
 * and no branch per bound (the slices may point anywhere: static text, another buffer). */
static inline bool inside(sr_str s, const char *from, size_t len)
{
    uintptr_t o = (uintptr_t)s.p - (uintptr_t)from;
    return !s.p || (o <= len && s.len <= len - o);
}

/* Move slice @p s (NULL stays NULL) by @p delta bytes (modulo 2^N: it adds back). */
static inline void move_str(sr_str *s, uintptr_t delta)
{
    if (s->p)
        s->p = (const char *)((uintptr_t)s->p + delta);
}

/* true when the first value of header @p id in @p like holds the bytes of @p v and parsed
 * (@p has, not @p stale): parsing @p v succeeds as well, with the same value. */
bool sr__msg_like_parsed(const sr_msg *like, enum sr_hdr_id id, unsigned stale, bool has, sr_str v)
{
    if (!like || !has || (like->stale & stale) || like->first[id] == SR__NOIDX)
        return false;
    sr_str lv = like->hdrs[like->first[id]].value;
    return lv.len == v.len && (!v.len || memcmp(lv.p, v.p, v.len) == 0);
}

static void move_via(sr_via *v, uintptr_t delta)
{
    move_str(&v->protocol, delta);
    move_str(&v->version, delta);
    move_str(&v->transport, delta);
    move_str(&v->host, delta);
    move_str(&v->branch, delta);
    move_str(&v->received, delta);
    move_str(&v->maddr, delta);
    move_str(&v->params, delta);
    move_str(&v->raw, delta);
}

/* Whether Via value @p v lies in [@p from, @p from + @p len]: its raw does, and a parsed
 * value's every slice lies inside its raw (sr_via_parse, and the values made from their pieces
 * as it would give them, sr__head_known). */
static bool via_inside(const sr_via *v, const char *from, size_t len)
{
    return v->raw.p && inside(v->raw, from, len);
}

/* @p in, moved onto @p to (a parsed value, its slices inside its raw; false when that raw is
 * not in [@p from, @p from + @p len]: nothing to tell where it goes). */
bool sr__via_move(sr_via *out, const sr_via *in, const char *from, size_t len, const char *to)
{
    if (!via_inside(in, from, len))
        return false;
    *out = *in;
    move_via(out, (uintptr_t)to - (uintptr_t)from);
    return true;
}

static bool na_inside(const sr_nameaddr *a, const char *from, size_t len)
{
    return inside(a->display, from, len) && inside(a->uri, from, len) &&
           inside(a->tag, from, len) && inside(a->params, from, len);
}

/* The value of header @p id (To, From or CSeq) in @p like, which sr__msg_like_parsed() said
 * holds the bytes of @p m's first one and parsed: moved onto @p m's bytes, what parsing them
 * gives (a parse reads the bytes alone: the same slices at the same offsets in the value). */
bool sr__msg_take_like(sr_msg *m, const sr_msg *like, enum sr_hdr_id id)
{
    sr_str from = like->hdrs[like->first[id]].value;
    uintptr_t delta = (uintptr_t)m->hdrs[m->first[id]].value.p - (uintptr_t)from.p;
    switch (id) {
    case SR_HDR_TO:
    case SR_HDR_FROM: {
        const sr_nameaddr *a = id == SR_HDR_TO ? &like->to : &like->from;
        if (!na_inside(a, from.p, from.len))
            return false;
        sr_nameaddr *d = id == SR_HDR_TO ? &m->to : &m->from;
        *d = *a;
        move_str(&d->display, delta);
        move_str(&d->uri, delta);
        move_str(&d->tag, delta);
        move_str(&d->params, delta);
        if (id == SR_HDR_TO)
            m->has_to = true;
        else
            m->has_from = true;
        return true;
    }
    case SR_HDR_CSEQ:
        if (!inside(like->cseq.method, from.p, from.len))
            return false;
        m->cseq = like->cseq;
        move_str(&m->cseq.method, delta);
        m->has_cseq = true;
        return true;
    default: return false;
    }
}

/* After the top Via value of @p m (one alone in its field): when the Via fields that follow are
 * those of @p like byte for byte and @p like parsed every value of them without a fault, the
 * values after the top one are @p like's, moved (what sr__msg_vias_all would parse, parsed
 * now: the list reads the same; a proxy's copy, RFC 3261 §16.6 step 8, whose client
 * transaction reads every value, §17.1). Otherwise they stay to be parsed on first use. */
void sr__msg_take_lower_vias(sr_msg *m, const sr_msg *like)
{
    if (m->nvia != 1 || m->via_err.code || m->via_k == SR__NOIDX || like->via_k != SR__NOIDX ||
        like->via_err.code || like->nvia == 0 || like->nvia > m->via_cap - 1 ||
        m->via_pos <= m->hdrs[m->via_k].value.len)
        return; /* the top field may hold more values; or nothing complete to take */
    size_t mk = m->next[m->via_k], lk = like->first[SR_HDR_VIA], n = 0;
    for (; mk != SR__NOIDX && lk != SR__NOIDX; mk = m->next[mk], lk = like->next[lk]) {
        sr_str a = m->hdrs[mk].value, b = like->hdrs[lk].value;
        if (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len) != 0))
            return;
        /* like's values in this field, in order */
        while (n < like->nvia && b.p && via_inside(&like->vias[n], b.p, b.len)) {
            m->vias[1 + n] = like->vias[n];
            move_via(&m->vias[1 + n], (uintptr_t)a.p - (uintptr_t)b.p);
            n++;
        }
    }
    if (mk != SR__NOIDX || lk != SR__NOIDX || n != like->nvia)
        return; /* not the same fields, or a value not found in them: parse them later */
    m->nvia = 1 + n;
    m->via_k = SR__NOIDX;
    m->via_pos = 0;
}

/* The Via values of @p m, every one parsed on first use (sr__msg_vias_all) into room reserved
 * now as parse_eager reserves it: none is parsed yet, the list reads the same. */
int sr__msg_lazy_vias(sr_msg *m)
{
    m->via_k = m->first[SR_HDR_VIA];
    m->via_pos = 0;
    m->nvia = 0;
    m->vias = &m->via0;
    m->via_cap = 1;
    size_t cap = 0;
    for (size_t k = m->via_k; k != SR__NOIDX; k = m->next[k]) {
        sr_str v = m->hdrs[k].value;
        cap++;
        for (const char *c = v.p; (c = memchr(c, ',', v.len - (size_t)(c - v.p))) != NULL; c++)
            cap++;
    }
    if (cap > 1) {
        m->vias = sr__arena_alloc(&m->arena, cap * sizeof *m->vias);
        if (!m->vias)
            return SR_ENOMEM;
        m->via_cap = cap;
    }
    return 0;
}
