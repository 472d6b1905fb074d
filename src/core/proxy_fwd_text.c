/* sipreply core: the copy of a request a proxy forwards (RFC 3261 §16.6 steps 1-9), printed
 * straight from the received one and parsed once, instead of built field by field and printed
 * later: the same fields in the same order, the same bytes sr_msg_print() gives for the
 * message sr_proxy_forward() builds. Anything out of the plain case goes the builder's way. */
#include <string.h>

#include "sipreply/parse.h"
#include "sipreply/print.h"
#include "sipreply/proxy.h"

#include "build_int.h"
#include "core_int.h"
#include "hdr_int.h"
#include "msg_int.h"
#include "proxy_int.h"
#include "scan.h"

/* Fields indexed as they are written (then no parse of the copy); more go the parser's way. */
#define TX_HDRS 64

/* What is written, and whether the plain case still holds; the fields written, as offsets
 * into p (it may be the stack's or the heap's). */
typedef struct tx {
    char *p;
    size_t len, cap;
    bool ok;
    size_t nh; /* fields written; past TX_HDRS, hv stops (the copy is parsed) */
    sr_header hv[TX_HDRS];
} tx;

/* Note the field written at [@p start, t->len): its name @p nlen bytes, its value @p vlen
 * bytes after ": ", its line ending with CRLF (offsets, made pointers at the end). */
static void note(tx *t, enum sr_hdr_id id, size_t start, size_t nlen, size_t vlen)
{
    if (t->nh < TX_HDRS) {
        sr_header *h = &t->hv[t->nh];
        h->id = id;
        h->name = (sr_str){(const char *)(uintptr_t)start, nlen};
        h->value = (sr_str){(const char *)(uintptr_t)(start + nlen + 2), vlen};
        h->raw = (sr_str){(const char *)(uintptr_t)start, t->len - start};
    }
    t->nh++;
}

static void put(tx *t, const char *p, size_t n)
{
    if (!t->ok)
        return;
    if (n > t->cap - t->len) {
        t->ok = false; /* more than sized for: the builder's way */
        return;
    }
    if (n)
        memcpy(t->p + t->len, p, n);
    t->len += n;
}

static void put_str(tx *t, sr_str s)
{
    put(t, s.p, s.len);
}

/* One field "Name: value" as sr_msg_add_header() stores it and sr_msg_print() prints it: the
 * canonical name of a known id, the value trimmed of SP/HTAB. A value the builder would
 * unfold or refuse (CR, LF or another CTL in it) is not the plain case. */
static void field(tx *t, enum sr_hdr_id id, sr_str name, sr_str v)
{
    if (!t->ok)
        return;
    if (v.len && sr__scan_ctl(v.p, 0, v.len) != v.len) {
        t->ok = false;
        return;
    }
    while (v.len && (v.p[0] == ' ' || v.p[0] == '\t')) {
        v.p++;
        v.len--;
    }
    while (v.len && (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
        v.len--;
    if (id == SR_HDR_OTHER) {
        /* a name the builder takes: a token (an id of SR_HDR_OTHER, from the parser, the
         * builder or sr_hdr_lookup, already says it names no known header) */
        if (!name.len || sr__span(name.p, 0, name.len, SR__C_TOKEN) != name.len) {
            t->ok = false;
            return;
        }
    } else if ((unsigned)id >= SR_HDR__COUNT || !sr__hdr_table[id].name) {
        t->ok = false;
        return;
    } else {
        name = (sr_str){sr__hdr_table[id].name, sr__hdr_table[id].len};
    }
    /* one bound check, then the pieces */
    if (name.len + v.len + 4 > t->cap - t->len) {
        t->ok = false; /* more than sized for: the builder's way */
        return;
    }
    size_t start = t->len;
    char *w = t->p + t->len;
    memcpy(w, name.p, name.len);
    w += name.len;
    *w++ = ':';
    *w++ = ' ';
    if (v.len)
        memcpy(w, v.p, v.len);
    w += v.len;
    *w++ = '\r';
    *w++ = '\n';
    t->len = (size_t)(w - t->p);
    note(t, id, start, name.len, v.len);
}

/* @p n bytes at @p a and @p b equal, in overlapping words (no byte loop, no read outside). */
static inline bool same_bytes(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        uint64_t x, y;
        for (size_t i = 0; i + 8 <= n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y)
                return false;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t x, y, x2, y2;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        memcpy(&x2, a + n - 4, 4);
        memcpy(&y2, b + n - 4, 4);
        return x == y && x2 == y2;
    }
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i])
            return false;
    }
    return true;
}

/* Whether field @p h, as a plain head holds it (msg_int.h: no CR or LF inside a line), is
 * on the wire exactly as field() writes it: "Name: value" and CRLF, the name canonical (a
 * known id's, byte for byte; a name of SR_HDR_OTHER is the parser's token, taken as it is),
 * one SP after the colon, the value (trimmed by the parser) up to the CRLF. */
static inline bool as_written(const sr_header *h)
{
    size_t nl = h->name.len;
    if (h->raw.p != h->name.p || h->value.p != h->name.p + nl + 2 ||
        h->raw.len != nl + 2 + h->value.len + 2 || h->name.p[nl] != ':' || h->name.p[nl + 1] != ' ')
        return false;
    if (h->id == SR_HDR_OTHER)
        return nl != 0;
    if (!sr__hdr_table[h->id].name)
        return false; /* (an id below SR_HDR__COUNT: copy_run's check) */
    return sr__hdr_table[h->id].len == nl && same_bytes(h->name.p, sr__hdr_table[h->id].name, nl);
}

/* The CTL bytes (sr__is_ctl: CR and LF among them, HTAB not) in p[0, n). A run of lines
 * of a plain head holds two in each line, its CRLF, and no more when no value holds one. */
#ifdef SR__SCAN_SSE2
/* The CTL bytes of 16 at @p q as 0xff (-1), the others 0. */
static inline __m128i ctl_bytes(const char *q)
{
    const __m128i x1f = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8('\t'), del = _mm_set1_epi8(0x7f);
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
    __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, x1f), v); /* v <= 0x1f (unsigned) */
    return _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, tab), low), _mm_cmpeq_epi8(v, del));
}

static inline size_t lanes_sum(__m128i acc)
{
    __m128i sum = _mm_sad_epu8(acc, _mm_setzero_si128());
    return (size_t)_mm_cvtsi128_si32(sum) + (size_t)_mm_cvtsi128_si32(_mm_srli_si128(sum, 8));
}
#endif

size_t sr__count_ctl(const char *p, size_t n)
{
    size_t c = 0, i = 0;
#ifdef SR__SCAN_SSE2
    if (n >= 16) {
        /* 32 bytes a step into per-byte counts, summed before any lane could pass 255 */
        while (n - i >= 32) {
            __m128i acc = _mm_setzero_si128();
            for (size_t k = 0; k < 127 && n - i >= 32; k++, i += 32) {
                acc = _mm_sub_epi8(acc, ctl_bytes(p + i)); /* a CTL byte is -1 */
                acc = _mm_sub_epi8(acc, ctl_bytes(p + i + 16));
            }
            c += lanes_sum(acc);
        }
        /* the rest (under 32 bytes): a block, then the last 16 bytes, those already counted
         * masked out (the mask: the last r of the 16 bytes from tail + r) */
        static const uint8_t tail[32] = {0,    0,    0,    0,    0,    0,    0,    0,
                                         0,    0,    0,    0,    0,    0,    0,    0,
                                         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        __m128i acc = _mm_setzero_si128();
        if (n - i >= 16) {
            acc = _mm_sub_epi8(acc, ctl_bytes(p + i));
            i += 16;
        }
        if (i < n) {
            __m128i keep = _mm_loadu_si128((const __m128i *)(const void *)(tail + (n - i)));
            acc = _mm_sub_epi8(acc, _mm_and_si128(ctl_bytes(p + n - 16), keep));
        }
        return c + lanes_sum(acc);
    }
#endif
    for (; i < n; i++)
        c += (size_t)sr__is_ctl((unsigned char)p[i]);
    return c;
}

/* The fields of @p m from hs[@p i] on that go out unchanged (of the wire, an id @p stop does
 * not flag, as_written, each line right after the one before), copied in one piece when no
 * value holds a CTL: field() would write the same bytes, one field at a time. Returns the
 * index of the first field not taken (@p i: none; the caller writes it with field()). */
static size_t copy_run(tx *t, const sr_msg *m, size_t i, size_t n, const uint8_t *stop)
{
    const sr_header *hs = m->hdrs;
    const char *from = hs[i].raw.p, *at = from;
    size_t base = t->len, nh0 = t->nh, end = i;
    for (; end < n; end++) {
        const sr_header *h = &hs[end];
        if ((unsigned)h->id >= SR_HDR__COUNT || stop[h->id] || h->raw.p != at || !as_written(h))
            break;
        at += h->raw.len;
        t->len = base + (size_t)(at - from); /* note() reads the end of the line from it */
        note(t, h->id, base + (size_t)(h->raw.p - from), h->name.len, h->value.len);
    }
    size_t len = (size_t)(at - from);
    if (end == i || !t->ok || len > t->cap - base || sr__count_ctl(from, len) != 2 * (end - i)) {
        t->len = base; /* field() decides (and says no to a CTL) */
        t->nh = nh0;
        return i;
    }
    memcpy(t->p + base, from, len);
    return end;
}

/* How many of @p m's first fields are the wire's lines of a plain head (copy_run's). */
static size_t wire_fields(const sr_msg *m)
{
    if (!m->plain_head || m->built || !m->bytes)
        return 0;
    return m->orig_nhdrs < m->nhdrs ? m->orig_nhdrs : m->nhdrs;
}

/* Room for the fields of @p m as field() writes them: each no longer than it was but for its
 * name (a compact form's canonical one is longer, by less than 40). The names and values of
 * the wire's fields (wire_fields) lie apart inside the head: its length bounds them all. */
static size_t fields_room(const sr_msg *m)
{
    size_t w = wire_fields(m), cap = 40 * m->nhdrs + (w ? m->head_len : 0);
    for (size_t i = w; i < m->nhdrs; i++)
        cap += m->hdrs[i].value.len + m->hdrs[i].name.len;
    return cap;
}

static void routes(tx *t, const sr_str *r, size_t *nr)
{
    for (size_t i = 0; i < *nr; i++)
        field(t, SR_HDR_ROUTE, SR_STR_NULL, r[i]);
    *nr = 0;
}

static bool plain_token(sr_str s)
{
    if (!s.len)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        if (!sr__is((unsigned char)s.p[i], SR__C_TOKEN))
            return false;
    }
    return true;
}

/* The start lines as written here, as sr__parse_start_line() finds them (the differential
 * test in test_proxy_fwd_direct.c holds them to it): "<method> <uri> SIP/2.0" at @p p, its
 * method a token and its URI bytes neither SP nor CTL (checked by the caller); false when the
 * parser would refuse it (HTAB in the URI, or a URI its check refuses: then it decides). */
static bool request_line(sr_start_line *sl, const char *p, size_t mlen, size_t ulen)
{
    if (!ulen || memchr(p + mlen + 1, '\t', ulen) || sr__check_request_uri(p + mlen + 1, ulen))
        return false;
    memset(sl, 0, sizeof *sl);
    sl->is_request = true;
    sl->method = (sr_str){p, mlen};
    sl->method_id = sr_method_from_str(sl->method);
    sl->uri = (sr_str){p + mlen + 1, ulen};
    sl->version = (sr_str){p + mlen + 1 + ulen + 1, 7};
    sl->version_major = 2;
    sl->version_minor = 0;
    return true;
}

/* "SIP/2.0 <status> <reason>" at @p p: a status of 100-699, a reason without CTL but HTAB
 * (checked by the caller). */
static void status_line(sr_start_line *sl, const char *p, unsigned status, size_t rlen)
{
    memset(sl, 0, sizeof *sl);
    sl->version = (sr_str){p, 7};
    sl->version_major = 2;
    sl->version_minor = 0;
    sl->status = status;
    sl->reason = (sr_str){p + 12, rlen};
}

/* The message of what @p t holds (a start line ending at @p line_end, the empty line at
 * @p head): made from the fields as written (sr__msg_from_head), or parsed when there were more
 * than were noted. */
static int make(sr_msg **out, tx *t, size_t line_end, size_t head, const sr_msg *like,
                bool lazy_via, const sr__head_known *known, const sr_allocator *alloc)
{
    int rc = SR_EINVAL;
    if (t->nh <= TX_HDRS) {
        /* the fields as sr_parse_head() would find them: no second parse (msg_int.h) */
        for (size_t i = 0; i < t->nh; i++) {
            sr_header *h = &t->hv[i];
            h->name.p = t->p + (uintptr_t)h->name.p;
            h->value.p = t->p + (uintptr_t)h->value.p;
            h->raw.p = t->p + (uintptr_t)h->raw.p;
        }
        rc = sr__msg_from_head_k(out, t->p, t->len, line_end, head, t->hv, t->nh, like, lazy_via,
                                 known, alloc);
    }
    if (rc == SR_EINVAL) {
        sr_parse_opts po;
        sr_parse_opts_init(&po);
        po.alloc = alloc;
        po.max_size = t->len;
        po.max_headers = SR__HDRS_HARD;
        rc = sr_msg_parse(out, t->p, t->len, &po, NULL);
    }
    if (rc == 0)
        (*out)->values_clean = true; /* field() and copy_run checked every value */
    return rc;
}

/* Content-Length as the printer computes it, the empty line, then the body; *@p head. */
static void end_head(tx *t, sr_str body, size_t *head)
{
    size_t cl_at = t->len;
    /* "Content-Length: " and up to 10 digits, CRLF CRLF: one bound check for the lot */
    if (!t->ok || 16 + 10 + 4 > t->cap - t->len) {
        t->ok = false;
        return;
    }
    char *w = t->p + t->len;
    memcpy(w, "Content-Length: ", 16);
    size_t cl = sr__u32_to_dec((uint32_t)body.len, w + 16);
    memcpy(w + 16 + cl, "\r\n\r\n", 4);
    t->len += 16 + cl + 2;
    note(t, SR_HDR_CONTENT_LENGTH, cl_at, 14, cl);
    t->len += 2;
    *head = t->len;
    put_str(t, body);
}

/* A field whose value this file wrote (digits: no CTL, nothing to trim), with a known id. */
static void field_ours(tx *t, enum sr_hdr_id id, sr_str v)
{
    const sr__hdr_info *hi = &sr__hdr_table[id];
    if (!t->ok || (size_t)hi->len + v.len + 4 > t->cap - t->len) {
        t->ok = false;
        return;
    }
    size_t start = t->len;
    char *w = t->p + t->len;
    memcpy(w, hi->name, hi->len);
    w += hi->len;
    *w++ = ':';
    *w++ = ' ';
    memcpy(w, v.p, v.len);
    w += v.len;
    *w++ = '\r';
    *w++ = '\n';
    t->len = (size_t)(w - t->p);
    note(t, id, start, hi->len, v.len);
}

static void tx_init(tx *t, char *stackbuf, size_t n)
{
    t->p = stackbuf;
    t->len = 0;
    t->cap = n;
    t->ok = true;
    t->nh = 0;
}

int sr__proxy_forward_text(sr_msg **out, const sr_msg *req, sr_str ruri, sr_str via,
                           const sr_via *via_parsed, const sr_str *route_vals, size_t nr, sr_str rr,
                           int64_t mf, const sr_proxy_fwd_opts *o)
{
    sr_str method = sr_msg_method_str(req), body = sr_msg_body(req);
    if (!plain_token(method) || ruri.len == 0 || body.len > UINT32_MAX)
        return SR_EINVAL;
    if (sr__scan_spctl(ruri.p, 0, ruri.len) != ruri.len)
        return SR_EINVAL; /* SP or CTL (SR__C_NOSPCTL): the builder decides */
    /* Room: everything the request has (each field no longer than it was but for its name:
     * a compact form's canonical name is longer), and what is added. Past it: the builder. */
    size_t cap = method.len + ruri.len + 16 + via.len + 8 + rr.len + 32 + 48 + body.len + 32;
    for (size_t i = 0; i < nr; i++)
        cap += route_vals[i].len + 9;
    const sr_header *hs = req->hdrs; /* the index itself (msg_int.h): no call per field */
    size_t nhs = req->nhdrs;
    cap += fields_room(req);
    for (size_t i = 0; i < o->n_headers; i++)
        cap += o->headers[i].name.len + o->headers[i].value.len + 4;
    char stackbuf[4096];
    tx t;
    tx_init(&t, stackbuf, sizeof stackbuf);
    if (cap > sizeof stackbuf) {
        t.p = sr__malloc(o->alloc, cap);
        if (!t.p)
            return SR_ENOMEM;
        t.cap = cap;
    }
    /* the routes go out once, where the first Route was or after the rest (as copy_headers
     * in proxy_fwd.c): nrl is what is left to write */
    size_t nrl = nr;
    const sr_str *r = route_vals;
    put_str(&t, method);
    put(&t, " ", 1);
    put_str(&t, ruri);
    put(&t, " SIP/2.0\r\n", 10);
    size_t line_end = t.len - 2;
    /* the start line and our Via (one value alone in its field) as written: not parsed */
    sr_start_line sl;
    sr_via top;
    /* the client transaction reads the CSeq (RFC 3261 §17.1); To and From: on first use */
    sr__head_known known = {NULL, NULL, SR__STALE_CSEQ};
    if (t.ok && request_line(&sl, t.p, method.len, ruri.len))
        known.sl = &sl;
    size_t via_at = t.len + 5; /* after "Via: " */
    field(&t, SR_HDR_VIA, SR_STR_NULL, via);
    if (t.ok && via_parsed && t.len == via_at + via.len + 2 &&
        memcmp(t.p + via_at, via.p, via.len) == 0 &&
        sr__via_move(&top, via_parsed, via.p, via.len, t.p + via_at))
        known.top_via = &top;
    bool mf_done = false, route_done = false, rr_done = !rr.len;
    char num[24];
    /* the fields of the wire that go out as they came: copied in runs (copy_run) */
    static const uint8_t fstop[SR_HDR__COUNT] = {[SR_HDR_CONTENT_LENGTH] = 1,
                                                 [SR_HDR_MAX_FORWARDS] = 1,
                                                 [SR_HDR_ROUTE] = 1,
                                                 [SR_HDR_RECORD_ROUTE] = 1};
    size_t wire = wire_fields(req);
    for (size_t i = 0; t.ok && i < nhs; i++) {
        if (i < wire && (unsigned)hs[i].id < SR_HDR__COUNT && !fstop[hs[i].id]) {
            size_t j = copy_run(&t, req, i, wire, fstop);
            if (j > i) {
                i = j - 1;
                continue;
            }
        }
        const sr_header *h = &hs[i];
        switch (h->id) {
        case SR_HDR_CONTENT_LENGTH: break; /* recomputed below */
        case SR_HDR_MAX_FORWARDS:
            if (!mf_done) { /* step 3 */
                size_t n = sr__u32_to_dec((uint32_t)(mf > 0 ? mf - 1 : 70), num);
                field_ours(&t, SR_HDR_MAX_FORWARDS, (sr_str){num, n});
                mf_done = true;
            }
            break;
        case SR_HDR_ROUTE:
            if (!route_done)
                routes(&t, r, &nrl);
            route_done = true;
            break;
        case SR_HDR_RECORD_ROUTE:
            if (!rr_done) /* step 4: ours before the existing values */
                field(&t, SR_HDR_RECORD_ROUTE, SR_STR_NULL, rr);
            rr_done = true;
            field(&t, h->id, h->name, h->value);
            break;
        default: field(&t, h->id, h->name, h->value); break;
        }
    }
    if (!mf_done)
        field_ours(&t, SR_HDR_MAX_FORWARDS, SR_STR("70"));
    routes(&t, r, &nrl);
    if (!rr_done)
        field(&t, SR_HDR_RECORD_ROUTE, SR_STR_NULL, rr);
    for (size_t i = 0; t.ok && i < o->n_headers; i++) {
        enum sr_hdr_id id = sr_hdr_lookup(o->headers[i].name);
        if (id != SR_HDR_CONTENT_LENGTH)
            field(&t, id, o->headers[i].name, o->headers[i].value);
    }
    /* step 9: Content-Length as the printer computes it, then the body */
    size_t head = 0;
    end_head(&t, body, &head);
    int rc = t.ok ? make(out, &t, line_end, head, req, false, &known, o->alloc) : SR_EINVAL;
    if (t.p != stackbuf)
        sr__free(o->alloc, t.p);
    return rc;
}

int sr__proxy_upstream_text(sr_msg **out, const sr_msg *resp, unsigned status, sr_str reason,
                            const sr_allocator *alloc)
{
    sr_str body = sr_msg_body(resp);
    if (status < 100 || status > 699 || body.len > UINT32_MAX)
        return SR_EINVAL;
    if (sr__scan_ctl(reason.p, 0, reason.len) != reason.len)
        return SR_EINVAL; /* a CTL but HTAB: sr_msg_new_response() refuses it */
    size_t cap = 16 + reason.len + 32 + body.len + 32;
    const sr_header *hs = resp->hdrs; /* the index itself (msg_int.h): no call per field */
    size_t nhs = resp->nhdrs;
    cap += fields_room(resp);
    char stackbuf[4096];
    tx t;
    tx_init(&t, stackbuf, sizeof stackbuf);
    if (cap > sizeof stackbuf) {
        t.p = sr__malloc(alloc, cap);
        if (!t.p)
            return SR_ENOMEM;
        t.cap = cap;
    }
    char st[4] = {(char)('0' + status / 100), (char)('0' + status / 10 % 10),
                  (char)('0' + status % 10), ' '};
    put(&t, "SIP/2.0 ", 8);
    put(&t, st, 4);
    put_str(&t, reason);
    put(&t, "\r\n", 2);
    size_t line_end = t.len - 2;
    sr_start_line sl;
    status_line(&sl, t.p, status, reason.len);
    /* the server transaction reads the To (its tag) and the CSeq (§17.2); From: on first use */
    sr__head_known known = {t.ok ? &sl : NULL, NULL, SR__STALE_TO | SR__STALE_CSEQ};
    bool top_done = false;
    /* the fields of the wire that go out as they came: copied in runs (copy_run), up to
     * the top Via (§16.7 step 3) until it is done */
    static const uint8_t ustop[2][SR_HDR__COUNT] = {{[SR_HDR_CONTENT_LENGTH] = 1, [SR_HDR_VIA] = 1},
                                                    {[SR_HDR_CONTENT_LENGTH] = 1}};
    size_t wire = wire_fields(resp);
    for (size_t i = 0; t.ok && i < nhs; i++) {
        if (i < wire && (unsigned)hs[i].id < SR_HDR__COUNT && !ustop[top_done][hs[i].id]) {
            size_t j = copy_run(&t, resp, i, wire, ustop[top_done]);
            if (j > i) {
                i = j - 1;
                continue;
            }
        }
        const sr_header *h = &hs[i];
        if (h->id == SR_HDR_CONTENT_LENGTH)
            continue; /* the printer computes it */
        if (h->id != SR_HDR_VIA || top_done) {
            field(&t, h->id, h->name, h->value);
            continue;
        }
        /* §16.7 step 3: the topmost Via value is ours; a line "Via: a, b" keeps b. A line
         * without a comma holds one value (sr_value_next's own shortcut): ours, nothing kept. */
        top_done = true;
        size_t pos = 0, k = 0;
        sr_str v;
        bool one = !h->value.len || !memchr(h->value.p, ',', h->value.len);
        while (!one && sr_value_next(h->value, &pos, &v)) {
            if (k++ > 0 && v.len)
                field(&t, SR_HDR_VIA, SR_STR_NULL, v);
        }
    }
    size_t head = 0;
    end_head(&t, body, &head);
    int rc = t.ok ? make(out, &t, line_end, head, resp, true, &known, alloc) : SR_EINVAL;
    if (rc == 0)
        (*out)->clen_tail = true; /* fields added later print as a built message's would */
    if (t.p != stackbuf)
        sr__free(alloc, t.p);
    return rc;
}
