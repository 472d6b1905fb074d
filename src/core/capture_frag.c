/* sipreply core: IPv4 and IPv6 fragment reassembly in bounded memory, in packet time.
 * RFC 791 §3.2 (reassembly), RFC 8200 §4.5 (IPv6 Fragment header), RFC 5722 (overlaps). */
#include "capture_int.h"

#define MAX_DATAGRAM     65535u
#define MAX_REASSEMBLIES 4096u

static size_t unit_bytes(uint32_t extent)
{
    return ((size_t)extent + 63) / 64; /* one bit per 8-byte unit */
}

static size_t cost(const cap_frag *f)
{
    return sizeof *f + f->extent + unit_bytes(f->extent);
}

static size_t count(const sr_capture *c)
{
    size_t k = 0;
    for (const cap_frag *f = c->fhead; f; f = f->next)
        k++;
    return k;
}

static void unlink_only(sr_capture *c, cap_frag *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        c->fhead = f->next;
    if (f->next)
        f->next->prev = f->prev;
    else
        c->ftail = f->prev;
    c->frag_bytes -= cost(f);
}

static void unlink_free(sr_capture *c, cap_frag *f)
{
    unlink_only(c, f);
    sr__free(c->alloc, f->buf);
    sr__free(c->alloc, f->units);
    sr__free(c->alloc, f);
}

static cap_frag *find(sr_capture *c, const cap_ip *ip, uint32_t id)
{
    size_t al = ip->family == 4 ? 4 : 16;
    for (cap_frag *f = c->fhead; f; f = f->next)
        if (f->id == id && f->family == ip->family && f->proto == ip->proto &&
            memcmp(f->src, ip->src, al) == 0 && memcmp(f->dst, ip->dst, al) == 0)
            return f;
    return NULL;
}

/* Drop the oldest reassemblies (never @p keep) until @p need more bytes fit the budget. */
static bool make_room(sr_capture *c, size_t need, const cap_frag *keep)
{
    while (c->frag_bytes + need > c->o.frag_budget) {
        cap_frag *old = c->fhead;
        if (old == keep)
            old = old->next;
        if (!old)
            return false;
        c->st.frag_evicted++;
        unlink_free(c, old);
    }
    return true;
}

static cap_frag *create(sr_capture *c, const cap_ip *ip, uint32_t id)
{
    if (!make_room(c, sizeof(cap_frag), NULL))
        return NULL;
    if (c->fhead && count(c) >= MAX_REASSEMBLIES) {
        c->st.frag_evicted++;
        unlink_free(c, c->fhead);
    }
    cap_frag *f = sr__malloc(c->alloc, sizeof *f);
    if (!f)
        return NULL;
    memset(f, 0, sizeof *f);
    f->family = ip->family;
    f->proto = ip->proto;
    f->id = id;
    memcpy(f->src, ip->src, ip->family == 4 ? 4u : 16u);
    memcpy(f->dst, ip->dst, ip->family == 4 ? 4u : 16u);
    f->first_ns = c->now_ns;
    f->prev = c->ftail;
    if (c->ftail)
        c->ftail->next = f;
    else
        c->fhead = f;
    c->ftail = f;
    c->frag_bytes += cost(f);
    return f;
}

/* Grow the buffer and unit map of @p f to @p end bytes. */
static int grow(sr_capture *c, cap_frag *f, uint32_t end)
{
    size_t old_ub = unit_bytes(f->extent), new_ub = unit_bytes(end);
    size_t need = (end - f->extent) + (new_ub - old_ub);
    if (!make_room(c, need, f))
        return 1; /* over budget even alone */
    unsigned char *nb = sr__realloc(c->alloc, f->buf, end);
    if (!nb)
        return SR_ENOMEM;
    f->buf = nb;
    uint8_t *nu = sr__realloc(c->alloc, f->units, new_ub);
    if (!nu)
        return SR_ENOMEM; /* the larger buffer is kept; extent stays */
    f->units = nu;
    memset(nu + old_ub, 0, new_ub - old_ub);
    c->frag_bytes -= cost(f);
    f->extent = end;
    c->frag_bytes += cost(f);
    return 0;
}

int sr__cap_frag_add(sr_capture *c, const cap_ip *ip, uint32_t id, uint32_t off, bool more,
                     const uint8_t *p, size_t n, unsigned char **out, size_t *out_len)
{
    /* RFC 8200 §4.5: a fragment that is not the last is a multiple of 8 bytes long; no
     * datagram exceeds 65535 bytes (RFC 791 total length; RFC 8200 payload length) */
    if ((size_t)off + n > MAX_DATAGRAM || (more && (n == 0 || n % 8 != 0))) {
        c->st.frag_bad++;
        return 0;
    }
    uint32_t end = off + (uint32_t)n;
    cap_frag *f = find(c, ip, id);
    if (!f) {
        f = create(c, ip, id);
        if (!f) {
            if (c->frag_bytes + sizeof(cap_frag) > c->o.frag_budget) {
                c->st.frag_evicted++;
                c->st.frag_held++;
                return 0;
            }
            return SR_ENOMEM;
        }
    }
    /* the last fragment fixes the length; nothing may lie beyond it (RFC 8200 §4.5) */
    if ((!more && ((f->total && f->total != end) || f->extent > end)) ||
        (more && f->total && end > f->total)) {
        c->st.frag_bad++;
        unlink_free(c, f);
        return 0;
    }
    if (!more)
        f->total = end;
    if (end > f->extent) {
        int r = grow(c, f, end);
        if (r != 0) {
            if (r > 0) {
                c->st.frag_evicted++;
                c->st.frag_held++;
            }
            unlink_free(c, f);
            return r > 0 ? 0 : r;
        }
    }
    /* offsets are multiples of 8 and only the last fragment ends inside a unit, so a unit
     * is received whole by whichever fragment covers it */
    bool overlap = false;
    for (uint32_t u = off / 8; u < (end + 7) / 8; u++) {
        uint8_t bit = (uint8_t)(1u << (u % 8));
        if (f->units[u / 8] & bit) {
            overlap = true;
        } else {
            f->units[u / 8] |= bit;
            f->covered++;
        }
    }
    if (overlap) /* RFC 5722 would drop the datagram; for analysis the later bytes win */
        c->st.frag_overlap++;
    if (n > 0)
        memcpy(f->buf + off, p, n);
    if (!f->total || f->covered < (f->total + 7) / 8) {
        c->st.frag_held++;
        return 0;
    }
    unlink_only(c, f); /* the buffer leaves the table with the datagram */
    *out = f->buf;
    *out_len = f->total;
    sr__free(c->alloc, f->units);
    sr__free(c->alloc, f);
    return 1;
}

void sr__cap_frag_expire(sr_capture *c)
{
    while (c->fhead && c->now_ns - c->fhead->first_ns > c->o.frag_timeout_ns) {
        c->st.frag_timeout++;
        unlink_free(c, c->fhead);
    }
}

void sr__cap_frag_free_all(sr_capture *c)
{
    while (c->fhead)
        unlink_free(c, c->fhead);
}
