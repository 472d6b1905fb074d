/* sipreply core: the SDP parser (RFC 4566 §5, §6) — one counting pass, one allocation, one
 * filling pass over a copy of the text. */
#include "sdp_int.h"

/* ------------------------------------------------------------------ lines */

typedef struct cursor {
    const char *b;
    size_t n, pos;
} cursor;

/* The next line of @p c in [*s, *e) (line end and a CR before it excluded). 1: a line, 0:
 * the end, SR_EBADMSG: a NUL or a CR not followed by LF (offset in *s). */
static int next_line(cursor *c, size_t *s, size_t *e)
{
    if (c->pos >= c->n)
        return 0;
    size_t i = c->pos;
    const char *nl = memchr(c->b + i, '\n', c->n - i);
    size_t end = nl ? (size_t)(nl - c->b) : c->n;
    c->pos = nl ? end + 1 : c->n;
    size_t le = end > i && c->b[end - 1] == '\r' ? end - 1 : end;
    for (size_t k = i; k < le; k++) {
        if (c->b[k] == '\0' || c->b[k] == '\r') {
            *s = k;
            return SR_EBADMSG;
        }
    }
    *s = i;
    *e = le;
    return 1;
}

/* true when nothing but empty lines follow position @p pos. */
static bool only_blank_after(const char *b, size_t n, size_t pos)
{
    for (size_t i = pos; i < n; i++)
        if (b[i] != '\r' && b[i] != '\n')
            return false;
    return true;
}

/* ------------------------------------------------------------------ fields */

bool sr__sdp_digits(sr_str s, uint64_t *v)
{
    if (!s.len)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c < '0' || c > '9')
            return false;
        unsigned d = (unsigned)(c - '0');
        x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
    }
    if (v)
        *v = x;
    return true;
}

/* Split off the next field of @p rest separated by one or more spaces. */
static sr_str field(sr_str *rest)
{
    size_t i = 0;
    while (i < rest->len && rest->p[i] == ' ')
        i++;
    size_t s = i;
    while (i < rest->len && rest->p[i] != ' ')
        i++;
    sr_str f = {rest->p + s, i - s};
    while (i < rest->len && rest->p[i] == ' ')
        i++;
    rest->p += i;
    rest->len -= i;
    return f;
}

static bool is_token(sr_str s)
{
    if (!s.len)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (!sr__is((unsigned char)s.p[i], SR__C_TOKEN))
            return false;
    return true;
}

/* proto: token *("/" token) (RFC 4566 §9) */
static bool is_proto(sr_str s)
{
    if (!s.len || s.p[0] == '/' || s.p[s.len - 1] == '/')
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] != '/' && !sr__is((unsigned char)s.p[i], SR__C_TOKEN))
            return false;
    return true;
}

/* An IPv4 dotted quad, each part 0-255. */
static bool is_ip4(sr_str s)
{
    size_t parts = 0, i = 0;
    while (i <= s.len) {
        size_t st = i;
        unsigned v = 0;
        while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9' && i - st < 3)
            v = v * 10 + (unsigned)(s.p[i++] - '0');
        if (i == st || v > 255)
            return false;
        parts++;
        if (i == s.len)
            break;
        if (s.p[i] != '.')
            return false;
        i++;
    }
    return parts == 4;
}

/* A host name (RFC 4566 §9 FQDN, leniently: alnum, '-', '.', '_'). */
static bool is_fqdn(sr_str s)
{
    if (!s.len)
        return false;
    bool alpha = false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            alpha = true;
        else if (!(c >= '0' && c <= '9') && c != '-' && c != '.' && c != '_')
            return false;
    }
    return alpha;
}

/* An IPv6 address as text: hex digits, ':' and the dots of an embedded IPv4 (loosely). */
static bool is_ip6(sr_str s)
{
    size_t colons = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (c == ':')
            colons++;
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                   c == '.'))
            return false;
    }
    return colons >= 2 && s.len <= 45;
}

static int parse_conn(sr_str v, sr_sdp_conn *c)
{
    sr_str rest = v;
    c->nettype = field(&rest);
    c->addrtype = field(&rest);
    sr_str a = field(&rest);
    if (!is_token(c->nettype) || !is_token(c->addrtype) || !a.len || rest.len)
        return -1;
    const char *sl = memchr(a.p, '/', a.len);
    c->addr = (sr_str){a.p, sl ? (size_t)(sl - a.p) : a.len};
    c->suffix = sl ? (sr_str){sl, a.len - c->addr.len} : SR_STR_NULL;
    bool ok;
    if (sr_str_eq(c->addrtype, SR_STR("IP4"))) {
        ok = is_ip4(c->addr) || is_fqdn(c->addr);
        c->unspecified = sr_str_eq(c->addr, SR_STR("0.0.0.0"));
    } else if (sr_str_eq(c->addrtype, SR_STR("IP6"))) {
        ok = is_ip6(c->addr) || is_fqdn(c->addr);
        c->unspecified = sr_str_eq(c->addr, SR_STR("::"));
    } else {
        ok = c->addr.len > 0; /* another address type: kept as it is */
        c->unspecified = false;
    }
    for (size_t i = 1; ok && i < c->suffix.len; i++)
        ok = (c->suffix.p[i] >= '0' && c->suffix.p[i] <= '9') ||
             (c->suffix.p[i] == '/' && c->suffix.p[i - 1] != '/');
    return ok && (!sl || c->suffix.len > 1) ? 0 : -1;
}

static int parse_bw(sr_str v, sr_sdp_bw *b)
{
    const char *colon = memchr(v.p, ':', v.len);
    if (!colon)
        return -1;
    b->type = (sr_str){v.p, (size_t)(colon - v.p)};
    sr_str num = {colon + 1, v.len - b->type.len - 1};
    return is_token(b->type) && sr__sdp_digits(num, &b->value) ? 0 : -1;
}

static int parse_origin(sr_str v, sr_sdp_origin *o)
{
    sr_str rest = v;
    o->username = field(&rest);
    o->sess_id = field(&rest);
    o->sess_version = field(&rest);
    o->nettype = field(&rest);
    o->addrtype = field(&rest);
    o->addr = field(&rest);
    if (!o->username.len || !sr__sdp_digits(o->sess_id, NULL) ||
        !sr__sdp_digits(o->sess_version, NULL) || !is_token(o->nettype) || !is_token(o->addrtype) ||
        !o->addr.len || rest.len)
        return -1;
    return 0;
}

static int parse_time(sr_str v, uint64_t *start, uint64_t *stop)
{
    sr_str rest = v;
    sr_str a = field(&rest), b = field(&rest);
    return sr__sdp_digits(a, start) && sr__sdp_digits(b, stop) && !rest.len ? 0 : -1;
}

/* ------------------------------------------------------------------ the description */

typedef struct counts {
    size_t media, fmts, conns, bws, attrs, lines;
} counts;

#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

static const char *const type_letters = "vosiuepcbtrzkam";

/* First pass: the form of each line, and how many of each kind to allocate. */
static int count_pass(const char *buf, size_t len, counts *k, sr_parse_error *err)
{
    memset(k, 0, sizeof(*k));
    cursor c = {buf, len, 0};
    size_t s = 0, e = 0;
    int r;
    while ((r = next_line(&c, &s, &e)) == 1) {
        if (e == s) {
            if (only_blank_after(buf, len, c.pos))
                break;
            return sr__perr(err, SR_EBADMSG, s, 0, "Empty line in SDP");
        }
        if (e - s < 2 || buf[s + 1] != '=' || buf[s] < 'a' || buf[s] > 'z')
            return sr__perr(err, SR_EBADMSG, s, 0, "Bad SDP line");
        if (!strchr(type_letters, buf[s]))
            return sr__perr(err, SR_EBADMSG, s, 0, "Unknown SDP line type");
        switch (buf[s]) {
        case 'm': {
            k->media++;
            sr_str rest = {buf + s + 2, e - s - 2};
            for (size_t f = 0; field(&rest).len; f++)
                if (f >= 3)
                    k->fmts++;
            break;
        }
        case 'c': k->conns++; break;
        case 'b': k->bws++; break;
        case 'a': k->attrs++; break;
        default: k->lines++; break;
        }
    }
    if (r < 0)
        return sr__perr(err, SR_EBADMSG, s, 0, "Bad character in SDP");
    return 0;
}

static sr_sdp_dir dir_of(sr_str name, bool *is)
{
    static const char *const names[4] = {"inactive", "sendonly", "recvonly", "sendrecv"};
    for (int d = 0; d < 4; d++) {
        if (sr_str_eq(name, sr_str_from_cstr(names[d]))) {
            *is = true;
            return (sr_sdp_dir)d;
        }
    }
    *is = false;
    return SR_SDP_SENDRECV;
}

const char *sr_sdp_dir_name(sr_sdp_dir d)
{
    switch (d) {
    case SR_SDP_INACTIVE: return "inactive";
    case SR_SDP_SENDONLY: return "sendonly";
    case SR_SDP_RECVONLY: return "recvonly";
    default: return "sendrecv";
    }
}

static sr_sdp_fmt *find_fmt(sr_sdp_media *m, sr_str id)
{
    for (size_t i = 0; m && i < m->n_fmts; i++)
        if (sr_str_eq(m->fmts[i].id, id))
            return &m->fmts[i];
    return NULL;
}

/* a=rtpmap:<pt> <encoding>/<clock>[/<params>] */
static int rtpmap(sr_str v, sr_sdp_media *m, bool *used)
{
    sr_str rest = v;
    sr_str id = field(&rest);
    sr_str spec = field(&rest);
    *used = false;
    if (!id.len || !spec.len || rest.len)
        return -1;
    sr_sdp_fmt *f = find_fmt(m, id);
    if (!f)
        return 0; /* not listed: a generic attribute */
    const char *sl = memchr(spec.p, '/', spec.len);
    if (!sl || sl == spec.p)
        return -1;
    sr_str enc = {spec.p, (size_t)(sl - spec.p)};
    sr_str tail = {sl + 1, spec.len - enc.len - 1};
    const char *sl2 = memchr(tail.p, '/', tail.len);
    sr_str clock = {tail.p, sl2 ? (size_t)(sl2 - tail.p) : tail.len};
    sr_str params = sl2 ? (sr_str){sl2 + 1, tail.len - clock.len - 1} : SR_STR_NULL;
    uint64_t hz;
    if (!is_token(enc) || !sr__sdp_digits(clock, &hz) || hz > UINT32_MAX || (sl2 && !params.len) ||
        f->has_rtpmap)
        return -1;
    f->has_rtpmap = true;
    f->encoding = enc;
    f->clock = (uint32_t)hz;
    f->enc_params = params;
    *used = true;
    return 0;
}

/* a=fmtp:<fmt> <parameters> */
static int fmtp(sr_str v, sr_sdp_media *m, bool *used)
{
    const char *sp = memchr(v.p, ' ', v.len);
    sr_str id = {v.p, sp ? (size_t)(sp - v.p) : v.len};
    *used = false;
    if (!id.len)
        return -1;
    sr_sdp_fmt *f = find_fmt(m, id);
    if (!f || f->has_fmtp)
        return 0; /* unlisted or repeated: generic */
    sr_str p = sp ? (sr_str){sp + 1, v.len - id.len - 1} : SR_STR_NULL;
    while (p.len && p.p[0] == ' ') {
        p.p++;
        p.len--;
    }
    f->has_fmtp = true;
    f->fmtp = p;
    *used = true;
    return 0;
}

/* a=ptime:<ms>, tolerating a fraction ("20.0"). */
static int ptime(sr_str v, uint32_t *ms)
{
    const char *dot = memchr(v.p, '.', v.len);
    sr_str ip = {v.p, dot ? (size_t)(dot - v.p) : v.len};
    uint64_t x;
    if (!sr__sdp_digits(ip, &x) || x > 100000)
        return -1;
    if (dot && !sr__sdp_digits((sr_str){dot + 1, v.len - ip.len - 1}, NULL))
        return -1;
    *ms = (uint32_t)x;
    return 0;
}

typedef struct filler {
    sr_sdp *sd;
    sr_sdp_media *m; /* the media being filled, NULL at session level */
    sr_sdp_fmt *fmt_base;
    sr_sdp_conn *conn_base;
    counts used;
    bool seen_o, seen_s, seen_t;
} filler;

static void add_line(filler *f, char t, sr_str v)
{
    sr_sdp_line *l = f->sd->lines + f->used.lines++;
    l->type = t;
    l->value = v;
    if (f->m)
        f->m->n_lines++;
    else
        f->sd->n_lines++;
}

static int media_line(filler *f, sr_str v)
{
    sr_sdp *sd = f->sd;
    sr_sdp_media *m = &sd->media[f->used.media++];
    memset(m, 0, sizeof(*m));
    f->m = m;
    sr_str rest = v;
    m->type = field(&rest);
    sr_str port = field(&rest);
    m->proto = field(&rest);
    if (!is_token(m->type) || !is_proto(m->proto))
        return -1;
    const char *sl = memchr(port.p, '/', port.len);
    sr_str pn = {port.p, sl ? (size_t)(sl - port.p) : port.len};
    uint64_t p, np = 0;
    if (!sr__sdp_digits(pn, &p) || p > 65535 ||
        (sl &&
         (!sr__sdp_digits((sr_str){sl + 1, port.len - pn.len - 1}, &np) || np == 0 || np > 65535)))
        return -1;
    m->port = (uint16_t)p;
    m->n_ports = (uint32_t)np;
    /* this media's arrays start where the previous ones ended */
    m->fmts = f->fmt_base + f->used.fmts;
    m->conns = f->conn_base + f->used.conns;
    m->bws = sd->bws + f->used.bws;
    m->attrs = sd->attrs + f->used.attrs;
    m->lines = sd->lines + f->used.lines;
    while (rest.len) {
        sr_sdp_fmt *fm = &m->fmts[m->n_fmts++];
        f->used.fmts++;
        fm->id = field(&rest);
        if (!is_token(fm->id))
            return -1;
        uint64_t pt;
        fm->pt = sr__sdp_digits(fm->id, &pt) && pt <= 127 ? (int)pt : -1;
    }
    return m->n_fmts ? 0 : -1;
}

static int attr_line(filler *f, sr_str v)
{
    sr_sdp *sd = f->sd;
    const char *colon = memchr(v.p, ':', v.len);
    sr_str name = {v.p, colon ? (size_t)(colon - v.p) : v.len};
    sr_str val = colon ? (sr_str){colon + 1, v.len - name.len - 1} : SR_STR_NULL;
    if (!is_token(name))
        return -1;
    bool is_dir;
    sr_sdp_dir d = dir_of(name, &is_dir);
    if (is_dir) {
        if (f->m) {
            f->m->dir_set = true;
            f->m->dir = d;
        } else {
            sd->dir_set = true;
            sd->dir = d;
        }
        return 0;
    }
    if (f->m && colon) {
        bool used = false;
        int rc = 0;
        if (sr_str_eq(name, SR_STR("rtpmap")))
            rc = rtpmap(val, f->m, &used);
        else if (sr_str_eq(name, SR_STR("fmtp")))
            rc = fmtp(val, f->m, &used);
        else if (sr_str_eq(name, SR_STR("ptime"))) {
            rc = ptime(val, &f->m->ptime);
            used = rc == 0;
        }
        if (rc)
            return rc;
        if (used)
            return 0;
    }
    sr_sdp_attr *a = &sd->attrs[f->used.attrs++];
    a->name = name;
    a->value = val;
    a->has_value = colon != NULL;
    if (f->m)
        f->m->n_attrs++;
    else
        sd->n_attrs++;
    return 0;
}

/* Second pass over the copy: fill @p sd. */
static int fill_pass(sr_sdp *sd, sr_sdp_fmt *fmts, sr_sdp_conn *conns, const char *buf, size_t len,
                     sr_parse_error *err)
{
    filler f = {.sd = sd, .fmt_base = fmts, .conn_base = conns};
    cursor c = {buf, len, 0};
    size_t s = 0, e = 0;
    size_t nline = 0;
    while (next_line(&c, &s, &e) == 1) {
        if (e == s)
            break; /* only blank lines remain (count_pass) */
        char t = buf[s];
        sr_str v = {buf + s + 2, e - s - 2};
        const char *bad = NULL;
        if (nline++ == 0 && t != 'v')
            return sr__perr(err, SR_EBADMSG, s, 0, "SDP must start with v=");
        if (f.m && strchr("vosuepztr", t))
            return sr__perr(err, SR_EBADMSG, s, 0, "Session-level SDP line after m=");
        switch (t) {
        case 'v':
            if (nline != 1)
                bad = "Repeated v= line";
            else if (!sr_str_eq(v, SR_STR("0")))
                bad = "Unsupported SDP version";
            break;
        case 'o':
            if (f.seen_o)
                bad = "Repeated o= line";
            else if (parse_origin(v, &sd->origin))
                bad = "Bad o= line";
            f.seen_o = true;
            break;
        case 's':
            if (f.seen_s)
                bad = "Repeated s= line";
            sd->name = v;
            f.seen_s = true;
            break;
        case 'c':
            if (f.m) {
                if (parse_conn(v, f.conn_base + f.used.conns))
                    bad = "Bad c= line";
                f.m->n_conns++;
                f.used.conns++;
            } else if (sd->has_conn) {
                bad = "Repeated c= line";
            } else if (parse_conn(v, &sd->conn)) {
                bad = "Bad c= line";
            } else {
                sd->has_conn = true;
            }
            break;
        case 'b': {
            sr_sdp_bw *b = sd->bws + f.used.bws++;
            if (parse_bw(v, b))
                bad = "Bad b= line";
            if (f.m)
                f.m->n_bws++;
            else
                sd->n_bws++;
            break;
        }
        case 't':
            if (parse_time(v, f.seen_t ? &(uint64_t){0} : &sd->start,
                           f.seen_t ? &(uint64_t){0} : &sd->stop))
                bad = "Bad t= line";
            f.seen_t = true;
            add_line(&f, t, v);
            break;
        case 'i':
        case 'u':
        case 'e':
        case 'p':
        case 'r':
        case 'z':
        case 'k': add_line(&f, t, v); break;
        case 'a':
            if (attr_line(&f, v))
                bad = "Bad a= line";
            break;
        case 'm': {
            if (!f.seen_o || !f.seen_s || !f.seen_t) {
                bad = "Missing o=, s= or t= line";
                break;
            }
            if (media_line(&f, v))
                bad = "Bad m= line";
            break;
        }
        default: bad = "Unknown SDP line type"; break;
        }
        if (bad)
            return sr__perr(err, SR_EBADMSG, s, 0, bad);
    }
    if (!f.seen_o || !f.seen_s || !f.seen_t)
        return sr__perr(err, SR_EBADMSG, len, 0, "Missing o=, s= or t= line");
    if (!sd->dir_set)
        sd->dir = SR_SDP_SENDRECV;
    for (size_t i = 0; i < sd->n_media; i++) {
        sr_sdp_media *m = &sd->media[i];
        if (!m->dir_set)
            m->dir = sd->dir;
        if (m->port && !m->n_conns && !sd->has_conn)
            return sr__perr(err, SR_EBADMSG, len, 0, "Missing c= line");
    }
    return 0;
}

int sr_sdp_parse(sr_sdp **out, const char *buf, size_t len, const sr_allocator *alloc,
                 sr_parse_error *err)
{
    if (!out || (!buf && len))
        return sr__perr(err, SR_EINVAL, 0, 0, "Bad argument");
    if (len > SR_SDP_MAX_LEN)
        return sr__perr(err, SR_ETOOBIG, SR_SDP_MAX_LEN, 0, "SDP too large");
    counts k;
    int rc = count_pass(buf, len, &k, err);
    if (rc)
        return rc;
    /* one block: the structure, its arrays, the text */
    size_t off_media = ALIGN8(sizeof(sr_sdp));
    size_t off_fmts = ALIGN8(off_media + k.media * sizeof(sr_sdp_media));
    size_t off_conns = ALIGN8(off_fmts + k.fmts * sizeof(sr_sdp_fmt));
    size_t off_bws = ALIGN8(off_conns + k.conns * sizeof(sr_sdp_conn));
    size_t off_attrs = ALIGN8(off_bws + k.bws * sizeof(sr_sdp_bw));
    size_t off_lines = ALIGN8(off_attrs + k.attrs * sizeof(sr_sdp_attr));
    size_t off_text = off_lines + k.lines * sizeof(sr_sdp_line);
    size_t total = off_text + len + 1;
    char *blk = sr__malloc(alloc, total);
    if (!blk)
        return sr__perr(err, SR_ENOMEM, 0, 0, "Out of memory");
    memset(blk, 0, off_text);
    sr_sdp *sd = (void *)blk;
    sd->alloc = sr__alloc_or_default(alloc);
    sd->n_media = k.media;
    sd->media = k.media ? (void *)(blk + off_media) : NULL;
    sd->bws = (void *)(blk + off_bws);
    sd->attrs = (void *)(blk + off_attrs);
    sd->lines = (void *)(blk + off_lines);
    char *text = blk + off_text;
    if (len)
        memcpy(text, buf, len);
    text[len] = '\0';
    rc = fill_pass(sd, (void *)(blk + off_fmts), (void *)(blk + off_conns), text, len, err);
    if (rc) {
        sr__free(alloc, blk);
        return rc;
    }
    *out = sd;
    return 0;
}

void sr_sdp_free(sr_sdp *sd)
{
    if (sd)
        sr__free(sd->alloc, sd);
}

const sr_sdp_attr *sr_sdp_attr_find(const sr_sdp *sd, const sr_sdp_media *m, const char *name)
{
    if (!sd || !name)
        return NULL;
    const sr_sdp_attr *a = m ? m->attrs : sd->attrs;
    size_t n = m ? m->n_attrs : sd->n_attrs;
    for (size_t i = 0; i < n; i++)
        if (sr_str_eq(a[i].name, sr_str_from_cstr(name)))
            return &a[i];
    return NULL;
}
