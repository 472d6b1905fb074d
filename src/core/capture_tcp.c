/* sipreply core: TCP stream reassembly per direction, framed into SIP messages.
 * RFC 9293 §3.4 (sequence numbers), §3.10.7.4 (out-of-order segments); RFC 3261 §18.3. */
#include "capture_int.h"

#define TCP_FIN     0x01
#define TCP_SYN     0x02
#define TCP_RST     0x04
#define MIN_BUF     4096u
#define MAX_BUCKETS ((size_t)1 << 20)

/* ------------------------------------------------------------------ the table */

static uint32_t hash_key(const cap_key *k)
{
    const uint8_t *p = (const uint8_t *)k;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < sizeof *k; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void lru_unlink(sr_capture *c, cap_stream *s)
{
    if (s->lprev)
        s->lprev->lnext = s->lnext;
    else
        c->lru_head = s->lnext;
    if (s->lnext)
        s->lnext->lprev = s->lprev;
    else
        c->lru_tail = s->lprev;
    s->lprev = s->lnext = NULL;
}

static void lru_append(sr_capture *c, cap_stream *s)
{
    s->lprev = c->lru_tail;
    s->lnext = NULL;
    if (c->lru_tail)
        c->lru_tail->lnext = s;
    else
        c->lru_head = s;
    c->lru_tail = s;
}

static void free_ooo(sr_capture *c, cap_stream *s)
{
    while (s->ooo) {
        cap_seg *g = s->ooo;
        s->ooo = g->next;
        c->tcp_bytes -= sizeof *g + g->len;
        sr__free(c->alloc, g);
    }
    s->ooo_bytes = 0;
}

static void destroy(sr_capture *c, cap_stream *s)
{
    cap_stream **pp = &c->buckets[s->hash & (c->nbuckets - 1)];
    while (*pp && *pp != s)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = s->hnext;
    lru_unlink(c, s);
    c->nstreams--;
    if (c->pstream == s) {
        c->pstream = NULL;
        c->pend = PEND_NONE;
    }
    free_ooo(c, s);
    c->tcp_bytes -= sizeof *s + s->cap;
    sr__free(c->alloc, s->buf);
    sr__free(c->alloc, s);
}

/* Drop least recently used directions other than @p keep until @p need bytes fit. */
static bool make_room(sr_capture *c, size_t need, const cap_stream *keep)
{
    while (c->tcp_bytes + need > c->o.tcp_budget) {
        cap_stream *old = c->lru_head;
        if (old == keep)
            old = old->lnext;
        if (!old)
            return false;
        c->st.tcp_evicted++;
        destroy(c, old);
    }
    return true;
}

static void rehash(sr_capture *c)
{
    size_t nb = c->nbuckets * 2;
    if (nb > MAX_BUCKETS)
        return;
    cap_stream **b = sr__malloc(c->alloc, nb * sizeof *b);
    if (!b)
        return; /* longer chains, still correct */
    memset(b, 0, nb * sizeof *b);
    for (size_t i = 0; i < c->nbuckets; i++) {
        cap_stream *s = c->buckets[i];
        while (s) {
            cap_stream *next = s->hnext;
            s->hnext = b[s->hash & (nb - 1)];
            b[s->hash & (nb - 1)] = s;
            s = next;
        }
    }
    sr__free(c->alloc, c->buckets);
    c->buckets = b;
    c->nbuckets = nb;
}

static cap_stream *lookup(sr_capture *c, const cap_key *k, uint32_t h)
{
    for (cap_stream *s = c->buckets[h & (c->nbuckets - 1)]; s; s = s->hnext)
        if (s->hash == h && memcmp(&s->key, k, sizeof *k) == 0)
            return s;
    return NULL;
}

static int create(sr_capture *c, const cap_key *k, uint32_t h, cap_stream **out)
{
    if (c->nstreams >= c->o.max_streams && c->lru_head) {
        c->st.tcp_evicted++;
        destroy(c, c->lru_head);
    }
    if (!make_room(c, sizeof(cap_stream), NULL)) {
        c->st.tcp_overflow++;
        return 1;
    }
    cap_stream *s = sr__malloc(c->alloc, sizeof *s);
    if (!s)
        return SR_ENOMEM;
    memset(s, 0, sizeof *s);
    s->key = *k;
    s->hash = h;
    s->hnext = c->buckets[h & (c->nbuckets - 1)];
    c->buckets[h & (c->nbuckets - 1)] = s;
    lru_append(c, s);
    c->nstreams++;
    c->tcp_bytes += sizeof *s;
    if (c->nstreams > c->nbuckets)
        rehash(c);
    *out = s;
    return 0;
}

/* ------------------------------------------------------------------ stream bytes */

/* Drop the message yielded last time from the front of the buffer. */
static void settle(cap_stream *s)
{
    s->off += s->consumed;
    s->consumed = 0;
    if (s->off == s->len)
        s->off = s->len = 0;
}

/* Forget buffered bytes (a hole, an overflow): the next message must be found again. */
static void lose_buffer(sr_capture *c, cap_stream *s, bool line_start)
{
    settle(s);
    c->st.tcp_skipped_bytes += s->len - s->off;
    s->off = s->len = 0;
    s->synced = false;
    s->line_start = line_start;
    memset(&s->fr, 0, sizeof s->fr);
}

static int append(sr_capture *c, cap_stream *s, const uint8_t *p, size_t n)
{
    settle(s);
    if (n == 0)
        return 0;
    size_t held = s->len - s->off;
    if (held + n > c->o.max_message) {
        c->st.tcp_overflow++;
        lose_buffer(c, s, false);
        held = 0;
        if (n > c->o.max_message) {
            c->st.tcp_skipped_bytes += n;
            return 0;
        }
    }
    if (s->off > 0) {
        memmove(s->buf, s->buf + s->off, held);
        s->len = held;
        s->off = 0;
    }
    if (s->len + n > s->cap) {
        size_t nc = s->cap ? s->cap : MIN_BUF;
        while (nc < s->len + n)
            nc *= 2;
        if (nc > c->o.max_message)
            nc = c->o.max_message;
        if (!make_room(c, nc - s->cap, s)) {
            c->st.tcp_overflow++;
            lose_buffer(c, s, false);
            c->st.tcp_skipped_bytes += n;
            return 0;
        }
        unsigned char *nb = sr__realloc(c->alloc, s->buf, nc);
        if (!nb)
            return SR_ENOMEM;
        c->tcp_bytes += nc - s->cap;
        s->buf = nb;
        s->cap = nc;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    c->pend = PEND_STREAM;
    c->pstream = s;
    return 0;
}

/* Append the in-order part of segment [seq, seq+n); advance next_seq. */
static int take_in_order(sr_capture *c, cap_stream *s, uint32_t seq, const uint8_t *p, size_t n)
{
    uint32_t skip = s->next_seq - seq; /* 0 .. n-1: bytes seen already */
    if (skip > 0)
        c->st.tcp_overlap++;
    s->next_seq = seq + (uint32_t)n;
    return append(c, s, p + skip, n - skip);
}

/* Take held segments that are now in order. */
static int drain(sr_capture *c, cap_stream *s)
{
    while (s->ooo && (int32_t)(s->ooo->seq - s->next_seq) <= 0) {
        cap_seg *g = s->ooo;
        s->ooo = g->next;
        s->ooo_bytes -= sizeof *g + g->len;
        c->tcp_bytes -= sizeof *g + g->len;
        int r = 0;
        if ((int32_t)(g->seq + g->len - s->next_seq) > 0)
            r = take_in_order(c, s, g->seq, g->data, g->len);
        sr__free(c->alloc, g);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Hold an out-of-order segment, sorted by its distance from next_seq. */
static int hold(sr_capture *c, cap_stream *s, uint32_t seq, const uint8_t *p, size_t n)
{
    cap_seg **pp = &s->ooo;
    int32_t d = (int32_t)(seq - s->next_seq);
    while (*pp && (int32_t)((*pp)->seq - s->next_seq) < d)
        pp = &(*pp)->next;
    if (*pp && (*pp)->seq == seq && (*pp)->len >= n) {
        c->st.tcp_retrans++; /* a retransmission of a held segment */
        return 0;
    }
    size_t need = sizeof(cap_seg) + n;
    if (!make_room(c, need, s)) {
        c->st.tcp_overflow++;
        return 0;
    }
    cap_seg *g = sr__malloc(c->alloc, need);
    if (!g)
        return SR_ENOMEM;
    g->seq = seq;
    g->len = (uint32_t)n;
    memcpy(g->data, p, n);
    g->next = *pp;
    *pp = g;
    s->ooo_bytes += need;
    c->tcp_bytes += need;
    c->st.tcp_ooo++;
    /* too much held: the bytes before the first held segment were never captured */
    while (s->ooo_bytes > c->o.tcp_max_ooo && s->ooo) {
        c->st.tcp_gaps++;
        c->st.tcp_gap_bytes += s->ooo->seq - s->next_seq;
        lose_buffer(c, s, true);
        s->next_seq = s->ooo->seq;
        int r = drain(c, s);
        if (r < 0)
            return r;
    }
    return 0;
}

int sr__cap_tcp_segment(sr_capture *c, const cap_ip *ip, const uint8_t *p, size_t n)
{
    if (n < 20 || (size_t)(p[12] >> 4) * 4 < 20 || (size_t)(p[12] >> 4) * 4 > n) {
        c->st.tcp_bad++;
        return 0;
    }
    c->st.tcp_segments++;
    size_t hl = (size_t)(p[12] >> 4) * 4;
    uint8_t flags = p[13];
    uint32_t seq = sr__be32(p + 4);
    const uint8_t *d = p + hl;
    size_t dn = n - hl;
    cap_key k;
    memset(&k, 0, sizeof k);
    k.family = ip->family;
    memcpy(k.src, ip->src, ip->family == 4 ? 4u : 16u);
    memcpy(k.dst, ip->dst, ip->family == 4 ? 4u : 16u);
    k.sport = sr__be16(p);
    k.dport = sr__be16(p + 2);
    uint32_t h = hash_key(&k);
    cap_stream *s = lookup(c, &k, h);
    if (flags & TCP_RST) {
        if (s)
            destroy(c, s);
        return 0;
    }
    if (!s) {
        if (dn == 0 && !(flags & TCP_SYN))
            return 0; /* an ACK or FIN of a connection we know nothing of */
        int r = create(c, &k, h, &s);
        if (r != 0)
            return r < 0 ? r : 0;
    }
    s->last_ns = c->now_ns;
    lru_unlink(c, s);
    lru_append(c, s);
    if (flags & TCP_SYN) {
        /* RFC 9293 §3.4: the SYN takes one sequence number; a different one is a new
         * connection on the same ports */
        if (!s->have_seq || s->next_seq != seq + 1) {
            if (s->have_seq)
                lose_buffer(c, s, true);
            free_ooo(c, s);
            s->have_seq = true;
            s->next_seq = seq + 1;
            s->line_start = true;
        }
        seq++;
    }
    if (dn == 0)
        return 0;
    if (!s->have_seq) { /* the capture began inside the connection */
        s->have_seq = true;
        s->next_seq = seq;
        s->line_start = true;
    }
    int32_t ahead = (int32_t)(seq - s->next_seq);
    if (ahead > 0)
        return hold(c, s, seq, d, dn);
    if ((int32_t)(seq + (uint32_t)dn - s->next_seq) <= 0) {
        c->st.tcp_retrans++;
        return 0;
    }
    int r = take_in_order(c, s, seq, d, dn);
    if (r < 0)
        return r;
    return drain(c, s);
}

/* ------------------------------------------------------------------ framing */

/* Find a SIP start line at a line start in the buffer; skip what comes before it.
 * Returns true when buf[off] starts one. */
static bool resync(sr_capture *c, cap_stream *s)
{
    const char *p = (const char *)s->buf + s->off;
    size_t n = s->len - s->off, i = 0;
    bool at_line = s->line_start;
    while (i < n) {
        if (at_line) {
            int v = sr_capture_is_sip_start(p + i, n - i);
            if (v != 0) {
                c->st.tcp_skipped_bytes += i;
                s->off += i;
                s->line_start = true;
                s->synced = v == 1;
                return s->synced;
            }
        }
        const char *nl = memchr(p + i, '\n', n - i);
        if (!nl)
            break;
        i = (size_t)(nl - p) + 1;
        at_line = true;
    }
    c->st.tcp_skipped_bytes += n;
    s->off = s->len = 0;
    s->line_start = at_line && i == n;
    return false;
}

int sr__cap_tcp_poll(sr_capture *c, cap_stream *s, sr_cap_msg *out)
{
    settle(s);
    while (s->off < s->len) {
        if (!s->synced && !resync(c, s))
            return 0;
        const char *p = (const char *)s->buf + s->off;
        size_t avail = s->len - s->off;
        if (s->fr.scanned == 0 && !s->fr.header_done && *p == '\r' && avail == 1)
            return 0; /* CR: a CRLF keep-alive, or not; the next byte tells */
        if (s->fr.scanned == 0 && !s->fr.header_done && !(*p == '\r' && p[1] == '\n')) {
            /* the bytes after a message start the next one (or CRLF keep-alives, framed on
             * their own): anything else means the stream is not what it seemed, so look for
             * a start line again */
            int v = sr_capture_is_sip_start(p, avail);
            if (v == SR_EAGAIN)
                return 0;
            if (v == 0) {
                s->synced = false;
                s->line_start = false;
                continue;
            }
        }
        ptrdiff_t r = sr_frame_stream(p, s->len - s->off, &c->fo, &s->fr, NULL);
        if (r == SR_EAGAIN)
            return 0;
        if (r < 0) { /* framing is lost: find the next start line after this one */
            c->st.tcp_framing_errors++;
            memset(&s->fr, 0, sizeof s->fr);
            s->synced = false;
            s->line_start = false;
            continue;
        }
        if (s->fr.kind != SR_FRAME_MESSAGE) { /* CRLF keep-alives (RFC 5626 §3.5.1) */
            s->off += (size_t)r;
            continue;
        }
        memset(out, 0, sizeof *out);
        out->transport = SR_CAP_TCP;
        out->data = p;
        out->len = (size_t)r;
        sr__cap_addr(&out->src, s->key.family, s->key.src, s->key.sport);
        sr__cap_addr(&out->dst, s->key.family, s->key.dst, s->key.dport);
        s->consumed = (size_t)r;
        return 1;
    }
    return 0;
}

void sr__cap_tcp_expire(sr_capture *c)
{
    while (c->lru_head && c->now_ns - c->lru_head->last_ns > c->o.tcp_idle_ns)
        destroy(c, c->lru_head);
}

void sr__cap_tcp_free_all(sr_capture *c)
{
    while (c->lru_head)
        destroy(c, c->lru_head);
}
