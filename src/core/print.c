/* sipreply core: the printer and the minimal message builder.
 * RFC 3261 §7 wire format; §7.3.3 full names when building; §18.3/§20.14 Content-Length. */
#include <string.h>

#include "sipreply/print.h"

#include "hdr_int.h"
#include "msg_int.h"
#include "scan.h"

static int put(sr_buf *b, const char *p, size_t n)
{
    return sr_buf_append(b, p, n);
}

/* Copy @p s into the arena. Returns 0 or SR_ENOMEM. */
static int dup_str(sr_msg *m, sr_str s, sr_str *out)
{
    char *p = sr__arena_alloc(&m->arena, s.len ? s.len : 1);
    if (!p)
        return SR_ENOMEM;
    if (s.len)
        memcpy(p, s.p, s.len);
    out->p = p;
    out->len = s.len;
    return 0;
}

/* A cursor writing into room reserved beforehand (sr_msg_print sizes the message first). */
typedef struct {
    char *w;
} outp;

static void emit(outp *o, const char *p, size_t n)
{
    if (n)
        memcpy(o->w, p, n);
    o->w += n;
}

static void emit_str(outp *o, sr_str s)
{
    emit(o, s.p, s.len);
}

/* Decimal digits of @p v, right-aligned in tmp[24]: returns the first digit's index. */
static size_t dec(unsigned long long v, char tmp[24])
{
    size_t i = 24;
    do {
        tmp[--i] = (char)('0' + (v % 10));
        v /= 10;
    } while (v);
    return i;
}

/* The name a header prints with: the canonical one for a known id, else its own. */
static sr_str print_name(const sr_header *h)
{
    if ((unsigned)h->id < SR_HDR__COUNT && sr__hdr_table[h->id].name)
        return (sr_str){sr__hdr_table[h->id].name, sr__hdr_table[h->id].len};
    return h->name;
}

/* Where the received start line is, through its line end (leading CRLF keep-alives before it
 * are not part of the message). */
static sr_str raw_start_line(const sr_msg *m)
{
    const char *sl = m->sl.is_request ? m->sl.method.p : m->sl.version.p;
    size_t s = (size_t)(sl - m->bytes), i = s;
    while (i < m->head_len && m->bytes[i] != '\n')
        i++;
    return (sr_str){sl, i + 1 - s};
}

/* true when the printer writes Content-Length itself: a built message, a new body, or fields
 * added after a Content-Length that was last (clen_tail) */
static bool computes_clen(const sr_msg *m)
{
    return m->built || m->body_edited || (m->clen_tail && m->nhdrs != m->orig_nhdrs);
}

/* true when header @p k is left out: a Content-Length that is recomputed, or one added by
 * hand (never printed; the computed one is) */
static bool skip_header(const sr_msg *m, size_t k)
{
    return m->hdrs[k].id == SR_HDR_CONTENT_LENGTH && (computes_clen(m) || k >= m->orig_nhdrs);
}

int sr_msg_print(const sr_msg *m, sr_buf *out)
{
    if (!m || !out)
        return SR_EINVAL;
    if (!m->built && !m->body_edited && m->nhdrs == m->orig_nhdrs)
        return put(out, m->bytes, m->size); /* unedited: byte for byte */

    /* size first, reserve once, then copy: a transaction prints each response it sends */
    char status[24], clen[24];
    size_t st = 0, cl = 0;
    size_t total = 0;
    sr_str raw_sl = SR_STR_NULL;
    if (m->built) {
        if (m->sl.is_request) {
            total += m->sl.method.len + 1 + m->sl.uri.len + 1 + m->sl.version.len + 2;
        } else {
            st = dec(m->sl.status, status);
            total += m->sl.version.len + 1 + (24 - st) + 1 + m->sl.reason.len + 2;
        }
    } else {
        raw_sl = raw_start_line(m);
        total += raw_sl.len;
    }
    for (size_t k = 0; k < m->nhdrs; k++) {
        const sr_header *h = &m->hdrs[k];
        if (skip_header(m, k))
            continue;
        if (k < m->orig_nhdrs)
            total += h->raw.len;
        else
            total += print_name(h).len + 2 + h->value.len + 2;
    }
    bool computed_clen = computes_clen(m);
    if (computed_clen) {
        cl = dec(m->body.len, clen);
        total += sizeof "Content-Length: " - 1 + (24 - cl) + 2;
    }
    total += 2 + m->body.len;
    int rc = sr_buf_reserve(out, total);
    if (rc)
        return rc;

    outp o = {out->p + out->len};
    if (m->built) {
        if (m->sl.is_request) {
            emit_str(&o, m->sl.method);
            emit(&o, " ", 1);
            emit_str(&o, m->sl.uri);
            emit(&o, " ", 1);
            emit_str(&o, m->sl.version);
        } else {
            emit_str(&o, m->sl.version);
            emit(&o, " ", 1);
            emit(&o, status + st, 24 - st);
            emit(&o, " ", 1);
            emit_str(&o, m->sl.reason);
        }
        emit(&o, "\r\n", 2);
    } else {
        emit_str(&o, raw_sl);
    }
    for (size_t k = 0; k < m->nhdrs; k++) {
        const sr_header *h = &m->hdrs[k];
        if (skip_header(m, k))
            continue;
        if (k < m->orig_nhdrs) {
            emit_str(&o, h->raw);
        } else {
            emit_str(&o, print_name(h));
            emit(&o, ": ", 2);
            emit_str(&o, h->value);
            emit(&o, "\r\n", 2);
        }
    }
    if (computed_clen) {
        emit(&o, "Content-Length: ", sizeof "Content-Length: " - 1);
        emit(&o, clen + cl, 24 - cl);
        emit(&o, "\r\n", 2);
    }
    emit(&o, "\r\n", 2);
    emit_str(&o, m->body);
    out->len = (size_t)(o.w - out->p);
    out->p[out->len] = '\0';
    return 0;
}

static int new_msg(sr_msg **out, const sr_allocator *alloc)
{
    sr__arena a;
    int rc = sr__arena_init(&a, alloc, 1024);
    if (rc)
        return rc;
    sr_msg *m = sr__arena_alloc(&a, sizeof *m);
    if (!m) {
        sr__arena_cleanup(&a);
        return SR_ENOMEM;
    }
    memset(m, 0, sizeof *m);
    memset(m->first, 0xff, sizeof m->first);
    m->arena = a;
    m->built = true;
    m->vias = &m->via0;
    m->via_k = SR__NOIDX;
    m->clen = -1;
    m->max_fwd = -1;
    m->rseq = -1;
    m->sl.version = SR_STR("SIP/2.0");
    m->sl.version_major = 2;
    *out = m;
    return 0;
}

static bool clean_token(sr_str s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        if (!sr__is((unsigned char)s.p[i], SR__C_TOKEN))
            return false;
    }
    return true;
}

static bool no_ctl_or_space(sr_str s, bool allow_space)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if ((c == ' ' && !allow_space) || (c != '\t' && sr__is(c, SR__C_CTL)))
            return false;
    }
    return true;
}

/* A header value as RFC 3261 §25.1 allows it on the wire: any octet but the CTLs (HTAB is
 * LWS), except that a quoted-pair inside a quoted-string may escape any of %x00-09, %x0B-0C
 * and %x0E-7F — so a request's To or From with "\\<NUL>" (RFC 4475 §3.1.1.2, intmeth) can be
 * copied into its response verbatim. CR and LF never pass: a built message is one line per
 * field. */
static bool value_ok(sr_str s)
{
    /* every way to fail involves a CTL byte: without one (the common case) the value is good */
    if (sr__scan_ctl(s.p, 0, s.len) == s.len)
        return true;
    bool quoted = false;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (quoted && c == '\\' && i + 1 < s.len) {
            unsigned char e = (unsigned char)s.p[i + 1];
            if (e == '\r' || e == '\n')
                return false;
            i++;
            continue;
        }
        if (c != '\t' && sr__is(c, SR__C_CTL))
            return false;
        if (c == '"')
            quoted = !quoted;
    }
    return true;
}

int sr_msg_new_request(sr_msg **out, const sr_allocator *alloc, sr_str method, sr_str uri)
{
    if (!out || !clean_token(method) || uri.len == 0 || !no_ctl_or_space(uri, false))
        return SR_EINVAL;
    sr_msg *m;
    int rc = new_msg(&m, alloc);
    if (rc)
        return rc;
    m->sl.is_request = true;
    if ((rc = dup_str(m, method, &m->sl.method)) || (rc = dup_str(m, uri, &m->sl.uri))) {
        sr_msg_free(m);
        return rc;
    }
    m->sl.method_id = sr_method_from_str(m->sl.method);
    *out = m;
    return 0;
}

int sr_msg_new_response(sr_msg **out, const sr_allocator *alloc, unsigned status, sr_str reason)
{
    if (!out || status < 100 || status > 699 || !no_ctl_or_space(reason, true))
        return SR_EINVAL;
    sr_msg *m;
    int rc = new_msg(&m, alloc);
    if (rc)
        return rc;
    m->sl.status = status;
    if ((rc = dup_str(m, reason, &m->sl.reason))) {
        sr_msg_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* Refresh the eager values a builder's header may change (To/From/CSeq/Call-ID/...). */
static void refresh_eager(sr_msg *m, const sr_header *h)
{
    if (m->first[h->id] != (uint16_t)(h - m->hdrs))
        return; /* only the first occurrence is eagerly parsed */
    switch (h->id) {
    /* the name-addr, CSeq and RAck values on first use (sr__msg_fresh) */
    case SR_HDR_TO: m->stale |= SR__STALE_TO; break;
    case SR_HDR_FROM: m->stale |= SR__STALE_FROM; break;
    case SR_HDR_CSEQ: m->stale |= SR__STALE_CSEQ; break;
    case SR_HDR_CALL_ID: m->call_id = h->value; break;
    case SR_HDR_MAX_FORWARDS: {
        uint32_t v;
        m->max_fwd = sr_uint32_parse(h->value, &v) ? -1 : (int64_t)v;
        break;
    }
    case SR_HDR_RSEQ: {
        uint32_t v;
        m->rseq = sr_uint32_parse(h->value, &v) || v < 1 || v > 0x7fffffffu ? -1 : (int64_t)v;
        break;
    }
    case SR_HDR_RACK: m->stale |= SR__STALE_RACK; break;
    default: break;
    }
}

/* A header field given by id (or by name for SR_HDR_OTHER, looked up in the table) and
 * value: the id it is known by, or SR_HDR_NONE when the name or value cannot be sent. */
static enum sr_hdr_id field_id(enum sr_hdr_id id, sr_str name, sr_str value)
{
    if ((unsigned)id >= SR_HDR__COUNT || id == SR_HDR_NONE)
        return SR_HDR_NONE;
    if (id == SR_HDR_OTHER) {
        if (!clean_token(name))
            return SR_HDR_NONE;
        id = sr_hdr_lookup(name);
    }
    return value_ok(value) ? id : SR_HDR_NONE;
}

int sr_msg_add_header(sr_msg *m, enum sr_hdr_id id, sr_str name, sr_str value)
{
    if (!m || (id = field_id(id, name, value)) == SR_HDR_NONE)
        return SR_EINVAL;
    int wrc = sr__msg_before_write(m); /* a server transaction sharing it copies first */
    if (wrc != 0)
        return wrc;
    /* all or nothing: copy first, then link */
    sr_str n = SR_STR_NULL, v;
    int rc = 0;
    if (id == SR_HDR_OTHER)
        rc = dup_str(m, name, &n);
    else
        n = sr_str_from_cstr(sr_hdr_name(id));
    if (rc || (rc = dup_str(m, value, &v)))
        return rc;
    /* Trim the value as the parser would. */
    while (v.len && (v.p[0] == ' ' || v.p[0] == '\t')) {
        v.p++;
        v.len--;
    }
    while (v.len && (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
        v.len--;
    sr_via *nv = NULL;
    size_t nv_cap = 0;
    if (id == SR_HDR_VIA) {
        /* keep the Via list in step: the values already there parsed first, room reserved
         * for the new ones (one per comma at most) before linking (all or nothing); the new
         * values are parsed on first use, as the parser leaves the Vias after the top one */
        sr__msg_vias_all(m);
        size_t cnt = 1;
        for (const char *c = v.p; v.len && (c = memchr(c, ',', v.len - (size_t)(c - v.p))) != NULL;
             c++)
            cnt++;
        nv_cap = m->nvia + cnt;
        if (nv_cap > m->via_cap) {
            nv = sr__arena_alloc(&m->arena, nv_cap * sizeof *nv);
            if (!nv)
                return SR_ENOMEM;
        }
    }
    rc = sr__msg_push_header(m, id, n, v, SR_STR_NULL);
    if (rc)
        return rc;
    if (nv) {
        if (m->nvia)
            memcpy(nv, m->vias, m->nvia * sizeof *nv);
        m->vias = nv;
        m->via_cap = nv_cap;
    }
    if (id == SR_HDR_VIA && !m->via_err.code) {
        /* a list stopped at a value that does not parse stays stopped there */
        m->via_k = m->nhdrs - 1;
        m->via_pos = 0;
    }
    refresh_eager(m, &m->hdrs[m->nhdrs - 1]);
    return 0;
}

int sr_msg_set_body(sr_msg *m, sr_str type, sr_str body)
{
    if (!m || !no_ctl_or_space(type, true))
        return SR_EINVAL;
    int wrc = sr__msg_before_write(m);
    if (wrc != 0)
        return wrc;
    sr_str b = SR_STR_NULL;
    int rc = body.len ? dup_str(m, body, &b) : 0;
    if (rc)
        return rc;
    if (type.len && (rc = sr_msg_add_header(m, SR_HDR_CONTENT_TYPE, SR_STR_NULL, type)))
        return rc;
    m->body = b;
    m->body_edited = !m->built;
    return 0;
}

/* ------------------------------------------------------------------ printing while building */

int sr__print_status(sr_buf *out, unsigned status, sr_str reason)
{
    if (status < 100 || status > 699 || !no_ctl_or_space(reason, true))
        return SR_EINVAL;
    int rc = sr_buf_reserve(out, 8 + 3 + 1 + reason.len + 2);
    if (rc)
        return rc;
    outp o = {out->p + out->len};
    char st[4] = {(char)('0' + status / 100), (char)('0' + status / 10 % 10),
                  (char)('0' + status % 10), ' '}; /* three digits: 100-699 */
    emit(&o, "SIP/2.0 ", 8);
    emit(&o, st, 4);
    emit_str(&o, reason);
    emit(&o, "\r\n", 2);
    out->len = (size_t)(o.w - out->p);
    out->p[out->len] = '\0';
    return 0;
}

/* The field's line, @p value already checked (value_ok) */
static int put_field(sr_buf *out, size_t *count, enum sr_hdr_id id, sr_str name, sr_str value)
{
    if (*count >= SR__HDRS_HARD)
        return SR_ETOOBIG;
    (*count)++;
    if (id == SR_HDR_CONTENT_LENGTH)
        return 0; /* sr_msg_print computes it (skip_header) */
    /* trimmed as sr_msg_add_header trims */
    while (value.len && (value.p[0] == ' ' || value.p[0] == '\t')) {
        value.p++;
        value.len--;
    }
    while (value.len && (value.p[value.len - 1] == ' ' || value.p[value.len - 1] == '\t'))
        value.len--;
    /* the name a header prints with (print_name): the canonical one for a known id */
    sr_str n = sr__hdr_table[id].name ? (sr_str){sr__hdr_table[id].name, sr__hdr_table[id].len}
               : id == SR_HDR_OTHER   ? name
                                      : SR_STR_NULL;
    int rc = sr_buf_reserve(out, n.len + value.len + 4);
    if (rc)
        return rc;
    outp o = {out->p + out->len};
    emit_str(&o, n);
    emit(&o, ": ", 2);
    emit_str(&o, value);
    emit(&o, "\r\n", 2);
    out->len = (size_t)(o.w - out->p);
    out->p[out->len] = '\0';
    return 0;
}

int sr__print_field(sr_buf *out, size_t *count, enum sr_hdr_id id, sr_str name, sr_str value)
{
    if ((id = field_id(id, name, value)) == SR_HDR_NONE)
        return SR_EINVAL;
    return put_field(out, count, id, name, value);
}

int sr__print_field_clean(sr_buf *out, size_t *count, enum sr_hdr_id id, sr_str value)
{
    if ((unsigned)id >= SR_HDR__COUNT || id == SR_HDR_NONE || id == SR_HDR_OTHER)
        return SR_EINVAL;
    return put_field(out, count, id, SR_STR_NULL, value);
}

int sr__print_field_open(sr_buf *out, enum sr_hdr_id id, size_t *mark)
{
    if ((unsigned)id >= SR_HDR__COUNT || id == SR_HDR_NONE || id == SR_HDR_OTHER ||
        id == SR_HDR_CONTENT_LENGTH || !sr__hdr_table[id].name)
        return SR_EINVAL;
    *mark = out->len;
    int rc = sr_buf_reserve(out, sr__hdr_table[id].len + 2);
    if (rc)
        return rc;
    outp o = {out->p + out->len};
    emit(&o, sr__hdr_table[id].name, sr__hdr_table[id].len);
    emit(&o, ": ", 2);
    out->len = (size_t)(o.w - out->p);
    out->p[out->len] = '\0';
    return 0;
}

int sr__print_field_close(sr_buf *out, size_t *count, enum sr_hdr_id id, size_t mark, int rc)
{
    size_t v = mark + sr__hdr_table[id].len + 2;
    if (rc == 0 && !value_ok((sr_str){out->p + v, out->len - v}))
        rc = SR_EINVAL;
    if (rc == 0 && *count >= SR__HDRS_HARD)
        rc = SR_ETOOBIG;
    if (rc == 0) {
        /* trimmed as sr_msg_add_header trims */
        size_t a = v, z = out->len;
        while (a < z && (out->p[a] == ' ' || out->p[a] == '\t'))
            a++;
        while (z > a && (out->p[z - 1] == ' ' || out->p[z - 1] == '\t'))
            z--;
        if (a > v)
            memmove(out->p + v, out->p + a, z - a);
        out->len = v + (z - a);
        rc = sr_buf_reserve(out, 2);
    }
    if (rc) {
        out->len = mark; /* the field taken back */
        if (out->p)
            out->p[mark] = '\0';
        return rc;
    }
    (*count)++;
    memcpy(out->p + out->len, "\r\n", 2);
    out->len += 2;
    out->p[out->len] = '\0';
    return 0;
}

bool sr__print_type_ok(sr_str type)
{
    return no_ctl_or_space(type, true);
}

int sr__print_end(sr_buf *out, sr_str body)
{
    char clen[24];
    size_t cl = dec(body.len, clen);
    int rc = sr_buf_reserve(out, sizeof "Content-Length: " - 1 + (24 - cl) + 4 + body.len);
    if (rc)
        return rc;
    outp o = {out->p + out->len};
    emit(&o, "Content-Length: ", sizeof "Content-Length: " - 1);
    emit(&o, clen + cl, 24 - cl);
    emit(&o, "\r\n\r\n", 4);
    emit_str(&o, body);
    out->len = (size_t)(o.w - out->p);
    out->p[out->len] = '\0';
    return 0;
}
