/* sipreply core: sr_msg — one arena per message, the header index, eager values, framing.
 * RFC 3261 §7 (messages), §18.3 (framing: Content-Length, datagrams), §20 (header fields). */
#include <string.h>

#include "sipreply/parse.h"

#include "msg_int.h"

#define STACK_HDRS    64
#define MAX_HDRS_HARD SR__HDRS_HARD

void sr_parse_opts_init(sr_parse_opts *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->framing = SR_FRAMING_DATAGRAM;
    o->max_size = 65535;
    o->max_headers = 256;
}

int sr__msg_push_header(sr_msg *m, enum sr_hdr_id id, sr_str name, sr_str value, sr_str raw)
{
    if (m->nhdrs >= MAX_HDRS_HARD)
        return SR_ETOOBIG;
    if (m->nhdrs == m->cap_hdrs) {
        size_t cap = m->cap_hdrs ? m->cap_hdrs * 2 : 16;
        sr_header *h = sr__arena_alloc(&m->arena, cap * sizeof *h);
        uint16_t *nx = sr__arena_alloc(&m->arena, cap * sizeof *nx);
        if (!h || !nx)
            return SR_ENOMEM;
        if (m->nhdrs) {
            memcpy(h, m->hdrs, m->nhdrs * sizeof *h);
            memcpy(nx, m->next, m->nhdrs * sizeof *nx);
        }
        m->hdrs = h;
        m->next = nx;
        m->cap_hdrs = cap;
    }
    size_t k = m->nhdrs++;
    m->hdrs[k].id = id;
    m->hdrs[k].name = name;
    m->hdrs[k].value = value;
    m->hdrs[k].raw = raw;
    m->next[k] = SR__NOIDX;
    /* link at the tail of the id's chain (wire order) */
    if (m->first[id] == SR__NOIDX) {
        m->first[id] = (uint16_t)k;
    } else {
        size_t j = m->first[id];
        while (m->next[j] != SR__NOIDX)
            j = m->next[j];
        m->next[j] = (uint16_t)k;
    }
    return 0;
}

static void note_eager(sr_msg *m, const sr_parse_error *e, const char *val, int hdr,
                       const char *phrase)
{
    if (m->eager.code)
        return;
    m->eager.code = SR_EBADMSG;
    m->eager.offset = (size_t)(val - m->bytes) + e->offset;
    m->eager.hdr = hdr;
    m->eager.phrase = phrase ? phrase : e->phrase;
}

/* Parse Via values from the saved position until @p max more are parsed, the list ends or a
 * value does not parse (then the list stops there, as sr_msg_via_count() reports). With
 * @p whole, the caller saw no comma in the field at the saved position (0), which holds a
 * value: that value is the field's whole (trimmed) value, as sr_value_next would give it. */
static void via_parse_more(sr_msg *m, size_t max, bool whole)
{
    while (m->via_k != SR__NOIDX && max) {
        sr_str item;
        if (whole) {
            item = m->hdrs[m->via_k].value;
            m->via_pos = item.len + 1; /* where sr_value_next leaves it after the last value */
            whole = false;
        } else if (!sr_value_next(m->hdrs[m->via_k].value, &m->via_pos, &item)) {
            m->via_k = m->next[m->via_k];
            m->via_pos = 0;
            continue;
        }
        sr_parse_error e;
        if (m->nvia >= m->via_cap || sr_via_parse(&m->vias[m->nvia], item, &e)) {
            if (m->nvia >= m->via_cap) /* cannot happen: via_cap bounds the values */
                e.offset = 0;
            m->via_err.code = SR_EBADMSG;
            /* a value added to a built message has no wire bytes to point into */
            m->via_err.offset = m->bytes && item.p >= m->bytes && item.p <= m->bytes + m->size
                                    ? (size_t)(item.p - m->bytes) + e.offset
                                    : e.offset;
            m->via_err.hdr = SR_HDR_VIA;
            m->via_err.phrase = "Bad Via header field";
            m->via_k = SR__NOIDX;
            return;
        }
        m->nvia++;
        max--;
    }
    /* done when no value can follow in this header or a later one */
    if (m->via_k != SR__NOIDX && m->via_pos > m->hdrs[m->via_k].value.len &&
        m->next[m->via_k] == SR__NOIDX)
        m->via_k = SR__NOIDX;
}

void sr__msg_vias_all(sr_msg *m)
{
    if (m->via_k != SR__NOIDX)
        via_parse_more(m, SIZE_MAX, false);
}

/* Parse the eagerly parsed values: the top Via, To, From, CSeq, Call-ID, Max-Forwards... */
/* Whether @p top (NULL: none) is the parse of the Via value @p item: given whole (its raw is the
 * value, at the same place), its parse is taken instead of done again. */
static bool top_is(const sr_via *top, sr_str item)
{
    return top && top->raw.p == item.p && top->raw.len == item.len;
}

SR__ALWAYS_INLINE int parse_eager(sr_msg *m, const sr_via *top)
{
    sr_parse_error e;
    /* Via: the top value now, the rest on first use (sr__msg_vias_all). When more values may
     * follow, reserve room for all of them here so that later step cannot fail: at most one
     * value per Via header plus one per comma in them. */
    m->via_k = m->first[SR_HDR_VIA];
    m->via_pos = 0;
    m->vias = &m->via0;
    m->via_cap = 1;
    if (m->via_k != SR__NOIDX) {
        const sr_header *h = &m->hdrs[m->via_k];
        /* the first field's first comma, if any (read once: it says both whether more values
         * follow and where the count of its values starts) */
        const char *comma = h->value.len ? memchr(h->value.p, ',', h->value.len) : NULL;
        bool more = m->next[m->via_k] != SR__NOIDX || comma;
        if (more) {
            size_t cap = 0;
            for (size_t k = m->via_k; k != SR__NOIDX; k = m->next[k]) {
                sr_str v = m->hdrs[k].value;
                const char *c = k == m->via_k ? comma : v.len ? memchr(v.p, ',', v.len) : NULL;
                cap++;
                for (; c != NULL; c = memchr(c + 1, ',', v.len - (size_t)(c + 1 - v.p)))
                    cap++;
            }
            m->vias = sr__arena_alloc(&m->arena, cap * sizeof *m->vias);
            if (!m->vias)
                return SR_ENOMEM;
            m->via_cap = cap;
        }
        if (!more) {
            /* one header, one value: the header value is already trimmed, as
             * sr_value_next would return it */
            m->via_k = SR__NOIDX;
            if (h->value.len && top_is(top, h->value)) {
                m->via0 = *top;
                m->nvia = 1;
            } else if (h->value.len && sr_via_parse(&m->via0, h->value, &e) == 0) {
                m->nvia = 1;
            } else if (h->value.len) {
                m->via_err.code = SR_EBADMSG;
                m->via_err.offset = (size_t)(h->value.p - m->bytes) + e.offset;
                m->via_err.hdr = SR_HDR_VIA;
                m->via_err.phrase = "Bad Via header field";
            }
        } else {
            /* the first value, as via_parse_more takes it: known, or parsed there (taken
             * whole when the first field has no comma: it holds one value, itself, trimmed
             * already, and sr_value_next would give it whole and end after it) */
            size_t pos = 0;
            sr_str item;
            bool single = h->value.len && !comma;
            bool whole = top && single && top_is(top, h->value);
            if (whole)
                pos = h->value.len + 1;
            if (whole || (top && sr_value_next(h->value, &pos, &item) && top_is(top, item))) {
                m->vias[0] = *top;
                m->nvia = 1;
                m->via_pos = pos;
                via_parse_more(m, 0, false);
            } else {
                via_parse_more(m, 1, single);
            }
        }
    }
    size_t k = m->first[SR_HDR_TO];
    if (k != SR__NOIDX) {
        if (sr_nameaddr_parse(&m->to, m->hdrs[k].value, &e) == 0)
            m->has_to = true;
        else
            note_eager(m, &e, m->hdrs[k].value.p, SR_HDR_TO, "Bad To header field");
    }
    k = m->first[SR_HDR_FROM];
    if (k != SR__NOIDX) {
        if (sr_nameaddr_parse(&m->from, m->hdrs[k].value, &e) == 0)
            m->has_from = true;
        else
            note_eager(m, &e, m->hdrs[k].value.p, SR_HDR_FROM, "Bad From header field");
    }
    k = m->first[SR_HDR_CSEQ];
    if (k != SR__NOIDX) {
        if (sr_cseq_parse(&m->cseq, m->hdrs[k].value, &e) == 0)
            m->has_cseq = true;
        else
            note_eager(m, &e, m->hdrs[k].value.p, SR_HDR_CSEQ, NULL);
    }
    k = m->first[SR_HDR_CALL_ID];
    if (k != SR__NOIDX)
        m->call_id = m->hdrs[k].value;
    k = m->first[SR_HDR_MAX_FORWARDS];
    if (k != SR__NOIDX) {
        uint32_t v;
        if (sr_uint32_parse(m->hdrs[k].value, &v) == 0) {
            m->max_fwd = v;
        } else {
            e.offset = 0;
            note_eager(m, &e, m->hdrs[k].value.p, SR_HDR_MAX_FORWARDS,
                       "Bad Max-Forwards header field");
        }
    }
    k = m->first[SR_HDR_RSEQ];
    if (k != SR__NOIDX) {
        uint32_t v;
        /* RFC 3262 §7.1: response-num = 1*DIGIT, 1 .. 2^31-1 */
        if (sr_uint32_parse(m->hdrs[k].value, &v) == 0 && v >= 1 && v <= 0x7fffffffu) {
            m->rseq = v;
        } else {
            e.offset = 0;
            note_eager(m, &e, m->hdrs[k].value.p, SR_HDR_RSEQ, "Bad RSeq header field");
        }
    }
    k = m->first[SR_HDR_RACK];
    if (k != SR__NOIDX) {
        if (sr_rack_parse(&m->rack, m->hdrs[k].value, &e) == 0)
            m->has_rack = true;
        else
            note_eager(m, &e, m->hdrs[k].value.p, SR_HDR_RACK, "Bad RAck header field");
    }
    return 0;
}

/* Content-Length: every occurrence must parse and agree (RFC 4475 §3.3.9 mcl01, §3.1.2.3 ncl). */
static int read_content_length(const sr_header *h, size_t n, const char *base, int64_t *out,
                               sr_parse_error *err)
{
    int64_t cl = -1;
    for (size_t k = 0; k < n; k++) {
        if (h[k].id != SR_HDR_CONTENT_LENGTH)
            continue;
        uint32_t v;
        size_t off = (size_t)(h[k].value.p - base);
        if (sr_uint32_parse(h[k].value, &v))
            return sr__perr(err, SR_EBADMSG, off, SR_HDR_CONTENT_LENGTH, "Bad Content-Length");
        if (cl >= 0 && cl != (int64_t)v)
            return sr__perr(err, SR_EBADMSG, off, SR_HDR_CONTENT_LENGTH,
                            "Conflicting Content-Length header fields");
        cl = v;
    }
    *out = cl;
    return 0;
}

/* The message of a head parsed into @p sl and @p hv[@p nh] (slices into @p buf): the arena,
 * the copy of @p size bytes, every slice moved onto it, the id chains; the eager values are
 * the caller's (parse_eager). On failure *@p out is untouched and nothing is kept. */
SR__ALWAYS_INLINE int assemble(sr_msg **out, const char *buf, size_t size, size_t head,
                               const sr_start_line *sl, const sr_header *hv, size_t nh, bool plain,
                               int64_t cl, bool drop_body, const sr_allocator *alloc,
                               sr_parse_error *err)
{
    sr_msg *m = NULL;
    sr__arena arena = {NULL, NULL};
    size_t body_len = size - head;
    /* One arena chunk sized from the input: struct, bytes, header arrays, a few Vias. */
    size_t est = sizeof(sr_msg) + size + nh * (sizeof(sr_header) + sizeof(uint16_t)) +
                 4 * sizeof(sr_via) + 256;
    int rc = sr__arena_init(&arena, alloc, est);
    if (rc) {
        sr__perr(err, rc, 0, SR_HDR_NONE, "Out of memory");
        goto out;
    }
    m = sr__arena_alloc(&arena, sizeof *m);
    char *bytes = sr__arena_alloc(&arena, size ? size : 1);
    if (!m || !bytes) {
        rc = sr__perr(err, SR_ENOMEM, 0, SR_HDR_NONE, "Out of memory");
        goto out;
    }
    /* cleared, then written: a field added to sr_msg starts zero in a parsed message (two
     * fields added at once were missed when each was written here instead) */
    memset(m, 0, offsetof(sr_msg, first));
    memset(m->first, 0xff, sizeof m->first);
    memset(&m->body, 0, offsetof(sr_msg, via0) - offsetof(sr_msg, body));
    m->arena = arena;
    memcpy(bytes, buf, size);
    m->bytes = bytes;
    m->size = size;
    m->head_len = head;
    m->plain_head = plain;
    m->clen = cl;
    m->max_fwd = -1;
    m->rseq = -1;
    m->body.p = bytes + head;
    m->body.len = body_len;
    m->body_edited = drop_body; /* printed with the body it has: none, Content-Length 0 */

    /* Rebase every slice from the caller's buffer to the copy. */
#define REBASE(s)                          \
    do {                                   \
        if ((s).p)                         \
            (s).p = bytes + ((s).p - buf); \
    } while (0)
    m->sl = *sl;
    REBASE(m->sl.method);
    REBASE(m->sl.uri);
    REBASE(m->sl.version);
    REBASE(m->sl.reason);
    if (nh) {
        m->hdrs = sr__arena_alloc(&m->arena, nh * sizeof *m->hdrs);
        m->next = sr__arena_alloc(&m->arena, nh * sizeof *m->next);
        if (!m->hdrs || !m->next) {
            rc = sr__perr(err, SR_ENOMEM, 0, SR_HDR_NONE, "Out of memory");
            goto out_msg;
        }
        m->cap_hdrs = nh;
        /* Move every slice from the caller's buffer to the copy (header slices are never
         * NULL) and build the per-id chains, back to front: one pass, no tail walks. */
        memcpy(m->hdrs, hv, nh * sizeof *hv);
        uintptr_t delta = (uintptr_t)bytes - (uintptr_t)buf; /* modulo 2^N: adds back */
        for (size_t k = nh; k-- > 0;) {
            sr_header *d = &m->hdrs[k];
            d->name.p = (const char *)((uintptr_t)d->name.p + delta);
            d->value.p = (const char *)((uintptr_t)d->value.p + delta);
            d->raw.p = (const char *)((uintptr_t)d->raw.p + delta);
            m->next[k] = m->first[d->id];
            m->first[d->id] = (uint16_t)k;
        }
    }
#undef REBASE
    m->nhdrs = m->orig_nhdrs = nh;
    *out = m;
    return 0;
out_msg:
    arena = m->arena;
out:
    sr__arena_cleanup(&arena);
    return rc;
}

const sr_parse_opts *sr__parse_opts_full(const sr_parse_opts *opts, sr_parse_opts *def)
{
    if (opts && opts->size >= sizeof *opts)
        return opts;
    sr_parse_opts_init(def);
    if (opts) /* an older, shorter struct: take the fields it has */
        memcpy(def, opts, opts->size < sizeof *def ? opts->size : sizeof *def);
    def->size = sizeof *def;
    return def;
}

int sr_msg_parse(sr_msg **out, const char *buf, size_t len, const sr_parse_opts *opts,
                 sr_parse_error *err)
{
    sr_parse_opts def;
    opts = sr__parse_opts_full(opts, &def);
    if (!out || (!buf && len))
        return sr__perr(err, SR_EINVAL, 0, SR_HDR_NONE, "Invalid argument");
    bool stream = opts->framing == SR_FRAMING_STREAM;
    size_t max_hdrs =
        opts->max_headers && opts->max_headers < MAX_HDRS_HARD ? opts->max_headers : MAX_HDRS_HARD;
    sr_header stack[STACK_HDRS];
    sr_header *hv = stack;
    size_t nh = STACK_HDRS < max_hdrs ? STACK_HDRS : max_hdrs;
    sr_start_line sl;
    sr_msg *m = NULL;
    sr__arena arena = {NULL, NULL};
    int rc;
    bool plain = false;
    ptrdiff_t hl = sr__parse_head_plain(buf, len, 0, &sl, hv, &nh, err, &plain);
    if (hl == SR_ENOSPC && max_hdrs > STACK_HDRS) {
        /* More headers than the stack array: count lines for an upper bound and retry. */
        size_t lines = 0;
        for (const char *q = buf; (q = memchr(q, '\n', len - (size_t)(q - buf))) != NULL; q++)
            lines++;
        nh = lines < max_hdrs ? lines : max_hdrs;
        hv = sr__malloc(opts->alloc, nh * sizeof *hv);
        if (!hv) {
            rc = sr__perr(err, SR_ENOMEM, 0, SR_HDR_NONE, "Out of memory");
            goto out;
        }
        hl = sr__parse_head_plain(buf, len, 0, &sl, hv, &nh, err, &plain);
    }
    if (hl < 0) {
        rc = (int)hl;
        if (rc == SR_ENOSPC)
            rc = sr__perr(err, SR_ETOOBIG, err ? err->offset : 0, SR_HDR_NONE,
                          "Too many header fields");
        else if (rc == SR_EAGAIN && !stream)
            rc = sr__perr(err, SR_EBADMSG, len, SR_HDR_NONE, "Incomplete message header");
        else if (rc == SR_EAGAIN)
            sr__perr(err, SR_EAGAIN, len, SR_HDR_NONE, "Incomplete message");
        goto out;
    }
    size_t head = (size_t)hl;
    int64_t cl = -1;
    rc = read_content_length(hv, nh, buf, &cl, err);
    if (rc)
        goto out;
    size_t avail = len - head, body_len;
    if (cl >= 0) {
        if ((uint64_t)cl > avail) {
            if (stream && head + (uint64_t)cl <= opts->max_size)
                rc = sr__perr(err, SR_EAGAIN, len, SR_HDR_NONE, "Incomplete message body");
            else if (stream)
                rc = sr__perr(err, SR_ETOOBIG, head, SR_HDR_CONTENT_LENGTH, "Message Too Large");
            else /* RFC 3261 §18.3, RFC 4475 §3.1.2.2 clerr */
                rc = sr__perr(err, SR_EBADMSG, head, SR_HDR_CONTENT_LENGTH,
                              "Content-Length larger than message body");
            goto out;
        }
        body_len = (size_t)cl;
    } else if (stream) {
        rc = sr__perr(err, SR_EBADMSG, head, SR_HDR_CONTENT_LENGTH,
                      "Missing Content-Length header field");
        goto out;
    } else {
        body_len = avail;
    }
    size_t size = head + body_len;
    if (size > opts->max_size) {
        rc = sr__perr(err, SR_ETOOBIG, 0, SR_HDR_NONE, "Message Too Large");
        goto out;
    }

    /* SR__PARSE_NO_BODY: the copy ends with the head (core_int.h) */
    bool drop_body = (opts->flags & SR__PARSE_NO_BODY) && body_len > 0;
    if (drop_body)
        size = head;
    rc = assemble(&m, buf, size, head, &sl, hv, nh, plain, cl, drop_body, opts->alloc, err);
    if (rc)
        goto out;
    rc = parse_eager(m, NULL);
    if (rc) {
        sr__perr(err, rc, 0, SR_HDR_NONE, "Out of memory");
        goto out_msg;
    }
    if (opts->flags & SR_PARSE_VALIDATE) {
        rc = sr_msg_validate(m, err);
        if (rc)
            goto out_msg;
    }
    *out = m;
    rc = 0;
    goto out;
out_msg:
    arena = m->arena;
out:
    if (rc)
        sr__arena_cleanup(&arena);
    if (hv != stack)
        sr__free(opts->alloc, hv);
    return rc;
}

/* sr_msg_parse once sr__head_accepted has read the head of @p buf and checked its framing:
 * its steps after that, the same code (sr_msg_parse keeps its own copy: made one function,
 * the parse of every message cost more instructions, docs/performance.md). On failure
 * *@p out is untouched and nothing is kept. */
int sr__msg_parse_rest(sr_msg **out, const char *buf, size_t len, const sr_parse_opts *opts,
                       size_t head, const sr_start_line *sl, const sr_header *hv, size_t nh,
                       bool plain, sr_parse_error *err)
{
    sr_msg *m = NULL;
    int64_t cl = -1; /* every Content-Length parses and agrees (sr__head_accepted) */
    for (size_t k = 0; k < nh && cl < 0; k++) {
        uint32_t v;
        if (hv[k].id == SR_HDR_CONTENT_LENGTH && sr_uint32_parse(hv[k].value, &v) == 0)
            cl = v;
    }
    size_t body_len = cl >= 0 ? (size_t)cl : len - head, size = head + body_len;
    /* SR__PARSE_NO_BODY: the copy ends with the head (core_int.h) */
    bool drop_body = (opts->flags & SR__PARSE_NO_BODY) && body_len > 0;
    if (drop_body)
        size = head;
    int rc = assemble(&m, buf, size, head, sl, hv, nh, plain, cl, drop_body, opts->alloc, err);
    if (rc)
        return rc;
    rc = parse_eager(m, NULL);
    if (rc) {
        sr__perr(err, rc, 0, SR_HDR_NONE, "Out of memory");
        sr_msg_free(m);
        return rc;
    }
    if (opts->flags & SR_PARSE_VALIDATE) {
        rc = sr_msg_validate(m, err);
        if (rc) {
            sr_msg_free(m);
            return rc;
        }
    }
    *out = m;
    return 0;
}

int sr__msg_from_head(sr_msg **out, const char *buf, size_t len, size_t line_end, size_t head,
                      const sr_header *hv, size_t nh, const sr_msg *like, bool lazy_via,
                      const sr_allocator *alloc)
{
    return sr__msg_from_head_k(out, buf, len, line_end, head, hv, nh, like, lazy_via, NULL, alloc);
}

int sr__msg_from_head_k(sr_msg **out, const char *buf, size_t len, size_t line_end, size_t head,
                        const sr_header *hv, size_t nh, const sr_msg *like, bool lazy_via,
                        const sr__head_known *known, const sr_allocator *alloc)
{
    sr_start_line sl;
    int64_t cl = -1;
    sr_msg *m = NULL;
    if (!out || !buf || line_end + 2 > head || head > len || nh > SR__HDRS_HARD)
        return SR_EINVAL;
    if (known && known->sl)
        sl = *known->sl; /* as the parser gives it (the caller's word, msg_int.h) */
    else if (sr__parse_start_line(buf, line_end, &sl, NULL) != 0)
        return SR_EINVAL;
    /* every Content-Length says the body's length, as read_content_length would take it */
    for (size_t k = 0; k < nh; k++) {
        uint32_t v;
        if (hv[k].id == SR_HDR_CONTENT_LENGTH &&
            (sr_uint32_parse(hv[k].value, &v) != 0 || v != len - head))
            return SR_EINVAL;
        if (hv[k].id == SR_HDR_CONTENT_LENGTH)
            cl = v;
    }
    if (cl < 0)
        return SR_EINVAL;
    int rc = assemble(&m, buf, len, head, &sl, hv, nh, true, cl, false, alloc, NULL);
    if (rc)
        return rc;
    /* what parse_eager need not parse is hidden from it, then put back: a To, From or CSeq
     * with the bytes of @p like's, which parsed, is @p like's value moved onto this copy when
     * @p known says to take it, else parsed on first use (sr__msg_fresh, as a built message's:
     * it parses, so no eager fault is missed); with @p lazy_via, every Via */
    static const struct {
        enum sr_hdr_id id;
        uint8_t bit;
    } later[] = {
        {SR_HDR_TO, SR__STALE_TO}, {SR_HDR_FROM, SR__STALE_FROM}, {SR_HDR_CSEQ, SR__STALE_CSEQ}};
    uint16_t hidden[3];
    uint8_t stale = 0;
    bool has[3] = {like && like->has_to, like && like->has_from, like && like->has_cseq};
    for (size_t i = 0; i < 3; i++) {
        hidden[i] = m->first[later[i].id];
        if (hidden[i] != SR__NOIDX && sr__msg_like_parsed(like, later[i].id, later[i].bit, has[i],
                                                          m->hdrs[hidden[i]].value)) {
            if (!(known && (known->take & later[i].bit)) ||
                !sr__msg_take_like(m, like, later[i].id))
                stale |= later[i].bit;
            m->first[later[i].id] = SR__NOIDX;
        }
    }
    uint16_t via = m->first[SR_HDR_VIA];
    if (lazy_via)
        m->first[SR_HDR_VIA] = SR__NOIDX;
    /* the top Via value as the caller wrote it, moved onto the copy with the fields */
    sr_via top;
    bool have_top = !lazy_via && known && known->top_via &&
                    sr__via_move(&top, known->top_via, buf, len, m->bytes);
    rc = parse_eager(m, have_top ? &top : NULL);
    for (size_t i = 0; i < 3; i++)
        m->first[later[i].id] = hidden[i];
    m->first[SR_HDR_VIA] = via;
    m->stale |= stale;
    if (rc == 0 && lazy_via)
        rc = sr__msg_lazy_vias(m);
    else if (rc == 0 && like)
        sr__msg_take_lower_vias(m, like);
    if (rc) {
        sr_msg_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

size_t sr__msg_footprint(const sr_msg *m)
{
    size_t n = 0;
    for (const sr__chunk *c = m != NULL ? m->arena.head : NULL; c != NULL; c = c->next)
        n += SR__CHUNK_HDR + c->cap;
    return n;
}

void sr_msg_free(sr_msg *msg)
{
    if (!msg)
        return;
    if (msg->refs != 0) { /* shared (sr__msg_share): another holder keeps it */
        if (--msg->refs == 0 && msg->share_cb != NULL)
            msg->share_cb(msg, SR__SHARE_ALONE, msg->share_u1, msg->share_u2);
        return;
    }
    sr__arena a = msg->arena; /* the struct lives in the arena it frees */
    sr__arena_cleanup(&a);
}

const sr_start_line *sr_msg_start_line(const sr_msg *msg)
{
    return &msg->sl;
}

bool sr_msg_is_request(const sr_msg *msg)
{
    return msg->sl.is_request;
}

sr_method sr_msg_method(const sr_msg *msg)
{
    return msg->sl.is_request ? msg->sl.method_id : SR_METHOD_OTHER;
}

sr_str sr_msg_method_str(const sr_msg *msg)
{
    return msg->sl.method;
}

sr_str sr_msg_request_uri(const sr_msg *msg)
{
    return msg->sl.uri;
}

unsigned sr_msg_status(const sr_msg *msg)
{
    return msg->sl.status;
}

sr_str sr_msg_reason(const sr_msg *msg)
{
    return msg->sl.reason;
}

size_t sr_msg_header_count(const sr_msg *msg)
{
    return msg->nhdrs;
}

const sr_header *sr_msg_header_at(const sr_msg *msg, size_t i)
{
    return i < msg->nhdrs ? &msg->hdrs[i] : NULL;
}

const sr_header *sr_msg_header_find(const sr_msg *msg, enum sr_hdr_id id, const sr_header *prev)
{
    if ((unsigned)id >= SR_HDR__COUNT)
        return NULL;
    size_t k;
    if (!prev) {
        k = msg->first[id];
    } else {
        size_t pi = (size_t)(prev - msg->hdrs);
        if (pi >= msg->nhdrs)
            return NULL;
        k = msg->next[pi];
    }
    return k == SR__NOIDX ? NULL : &msg->hdrs[k];
}

const sr_header *sr_msg_header_find_name(const sr_msg *msg, sr_str name, const sr_header *prev)
{
    enum sr_hdr_id id = sr_hdr_lookup(name);
    if (id != SR_HDR_OTHER)
        return sr_msg_header_find(msg, id, prev);
    const sr_header *h = prev ? sr_msg_header_find(msg, SR_HDR_OTHER, prev)
                              : sr_msg_header_find(msg, SR_HDR_OTHER, NULL);
    for (; h; h = sr_msg_header_find(msg, SR_HDR_OTHER, h)) {
        if (sr_str_caseeq(h->name, name))
            return h;
    }
    return NULL;
}

size_t sr_msg_header_count_id(const sr_msg *msg, enum sr_hdr_id id)
{
    size_t n = 0;
    for (const sr_header *h = sr_msg_header_find(msg, id, NULL); h;
         h = sr_msg_header_find(msg, id, h))
        n++;
    return n;
}

sr_str sr_msg_body(const sr_msg *msg)
{
    return msg->body;
}

int64_t sr_msg_content_length(const sr_msg *msg)
{
    if (msg->built || msg->body_edited)
        return (int64_t)msg->body.len;
    return msg->clen;
}

size_t sr_msg_size(const sr_msg *msg)
{
    return msg->size;
}

void sr__msg_fresh(sr_msg *m, unsigned which)
{
    uint8_t st = (uint8_t)(m->stale & which);
    if (!st)
        return;
    m->stale = (uint8_t)(m->stale & ~st);
    size_t k;
    if ((st & SR__STALE_TO) && (k = m->first[SR_HDR_TO]) != SR__NOIDX)
        m->has_to = sr_nameaddr_parse(&m->to, m->hdrs[k].value, NULL) == 0;
    if ((st & SR__STALE_FROM) && (k = m->first[SR_HDR_FROM]) != SR__NOIDX)
        m->has_from = sr_nameaddr_parse(&m->from, m->hdrs[k].value, NULL) == 0;
    if ((st & SR__STALE_CSEQ) && (k = m->first[SR_HDR_CSEQ]) != SR__NOIDX)
        m->has_cseq = sr_cseq_parse(&m->cseq, m->hdrs[k].value, NULL) == 0;
    if ((st & SR__STALE_RACK) && (k = m->first[SR_HDR_RACK]) != SR__NOIDX)
        m->has_rack = sr_rack_parse(&m->rack, m->hdrs[k].value, NULL) == 0;
}

/* A header added to a message has its typed value parsed on first use (sr__msg_fresh). */
static void fresh(const sr_msg *msg, unsigned which)
{
    sr__msg_fresh((sr_msg *)(uintptr_t)msg, which);
}

/* The Via values after the top one are parsed on the first call that asks for them: the
 * message is logically const (the same values, parsed later, into room reserved by
 * sr_msg_parse; nothing can fail), but it is written to, see docs/parser.md. */
size_t sr_msg_via_count(const sr_msg *msg)
{
    sr__msg_vias_all((sr_msg *)(uintptr_t)msg);
    return msg->nvia;
}

const sr_via *sr_msg_via(const sr_msg *msg, size_t i)
{
    if (i >= msg->nvia)
        sr__msg_vias_all((sr_msg *)(uintptr_t)msg);
    return i < msg->nvia ? &msg->vias[i] : NULL;
}

const sr_nameaddr *sr_msg_to(const sr_msg *msg)
{
    if (msg->stale & SR__STALE_TO)
        fresh(msg, SR__STALE_TO);
    return msg->has_to ? &msg->to : NULL;
}

const sr_nameaddr *sr_msg_from(const sr_msg *msg)
{
    if (msg->stale & SR__STALE_FROM)
        fresh(msg, SR__STALE_FROM);
    return msg->has_from ? &msg->from : NULL;
}

const sr_cseq *sr_msg_cseq(const sr_msg *msg)
{
    if (msg->stale & SR__STALE_CSEQ)
        fresh(msg, SR__STALE_CSEQ);
    return msg->has_cseq ? &msg->cseq : NULL;
}

sr_str sr_msg_call_id(const sr_msg *msg)
{
    return msg->call_id;
}

int64_t sr_msg_max_forwards(const sr_msg *msg)
{
    return msg->max_fwd;
}

int64_t sr_msg_rseq(const sr_msg *msg)
{
    return msg->rseq;
}

const sr_rack *sr_msg_rack(const sr_msg *msg)
{
    if (msg->stale & SR__STALE_RACK)
        fresh(msg, SR__STALE_RACK);
    return msg->has_rack ? &msg->rack : NULL;
}
