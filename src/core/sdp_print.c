/* sipreply core: the SDP printer (RFC 4566 §5 order) and our o= line's versions (RFC 3264 §8). */
#include "sdp_int.h"

typedef struct pr {
    sr_buf *b;
    int rc;
} pr;

static void put(pr *p, const char *s, size_t n)
{
    if (!p->rc && n)
        p->rc = sr_buf_append(p->b, s, n);
}

static void puts_(pr *p, const char *s)
{
    put(p, s, strlen(s));
}

static void putstr(pr *p, sr_str s)
{
    put(p, s.p, s.len);
}

static void putu(pr *p, uint64_t v)
{
    if (!p->rc)
        p->rc = sr_buf_append_u64(p->b, v);
}

static void line(pr *p, const char *type, sr_str v)
{
    puts_(p, type);
    putstr(p, v);
    puts_(p, "\r\n");
}

/* The kept lines of types in @p types, in their order. */
static void lines_of(pr *p, const sr_sdp_line *l, size_t n, const char *types)
{
    for (size_t i = 0; i < n; i++) {
        if (!strchr(types, l[i].type))
            continue;
        char t[3] = {l[i].type, '=', '\0'};
        line(p, t, l[i].value);
    }
}

static void conn(pr *p, const sr_sdp_conn *c)
{
    puts_(p, "c=");
    putstr(p, c->nettype);
    puts_(p, " ");
    putstr(p, c->addrtype);
    puts_(p, " ");
    putstr(p, c->addr);
    putstr(p, c->suffix);
    puts_(p, "\r\n");
}

static void bws(pr *p, const sr_sdp_bw *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        puts_(p, "b=");
        putstr(p, b[i].type);
        puts_(p, ":");
        putu(p, b[i].value);
        puts_(p, "\r\n");
    }
}

static void attrs(pr *p, const sr_sdp_attr *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        puts_(p, "a=");
        putstr(p, a[i].name);
        if (a[i].has_value) {
            puts_(p, ":");
            putstr(p, a[i].value);
        }
        puts_(p, "\r\n");
    }
}

static void media(pr *p, const sr_sdp_media *m)
{
    puts_(p, "m=");
    putstr(p, m->type);
    puts_(p, " ");
    putu(p, m->port);
    if (m->n_ports) {
        puts_(p, "/");
        putu(p, m->n_ports);
    }
    puts_(p, " ");
    putstr(p, m->proto);
    for (size_t i = 0; i < m->n_fmts; i++) {
        puts_(p, " ");
        putstr(p, m->fmts[i].id);
    }
    puts_(p, "\r\n");
    lines_of(p, m->lines, m->n_lines, "i");
    for (size_t i = 0; i < m->n_conns; i++)
        conn(p, &m->conns[i]);
    bws(p, m->bws, m->n_bws);
    lines_of(p, m->lines, m->n_lines, "k");
    for (size_t i = 0; i < m->n_fmts; i++) {
        const sr_sdp_fmt *f = &m->fmts[i];
        if (f->has_rtpmap) {
            puts_(p, "a=rtpmap:");
            putstr(p, f->id);
            puts_(p, " ");
            putstr(p, f->encoding);
            puts_(p, "/");
            putu(p, f->clock);
            if (f->enc_params.len) {
                puts_(p, "/");
                putstr(p, f->enc_params);
            }
            puts_(p, "\r\n");
        }
        if (f->has_fmtp) {
            puts_(p, "a=fmtp:");
            putstr(p, f->id);
            puts_(p, " ");
            putstr(p, f->fmtp);
            puts_(p, "\r\n");
        }
    }
    if (m->ptime) {
        puts_(p, "a=ptime:");
        putu(p, m->ptime);
        puts_(p, "\r\n");
    }
    attrs(p, m->attrs, m->n_attrs);
    if (m->dir_set) {
        puts_(p, "a=");
        puts_(p, sr_sdp_dir_name(m->dir));
        puts_(p, "\r\n");
    }
}

int sr_sdp_print(const sr_sdp *sd, sr_buf *out)
{
    if (!sd || !out)
        return SR_EINVAL;
    pr p = {out, 0};
    const sr_sdp_origin *o = &sd->origin;
    puts_(&p, "v=0\r\no=");
    putstr(&p, o->username);
    puts_(&p, " ");
    putstr(&p, o->sess_id);
    puts_(&p, " ");
    putstr(&p, o->sess_version);
    puts_(&p, " ");
    putstr(&p, o->nettype);
    puts_(&p, " ");
    putstr(&p, o->addrtype);
    puts_(&p, " ");
    putstr(&p, o->addr);
    puts_(&p, "\r\n");
    line(&p, "s=", sd->name);
    lines_of(&p, sd->lines, sd->n_lines, "iuep");
    if (sd->has_conn)
        conn(&p, &sd->conn);
    bws(&p, sd->bws, sd->n_bws);
    lines_of(&p, sd->lines, sd->n_lines, "trzk");
    attrs(&p, sd->attrs, sd->n_attrs);
    if (sd->dir_set) {
        puts_(&p, "a=");
        puts_(&p, sr_sdp_dir_name(sd->dir));
        puts_(&p, "\r\n");
    }
    for (size_t i = 0; i < sd->n_media; i++)
        media(&p, &sd->media[i]);
    return p.rc;
}

/* ------------------------------------------------------------------ our sessions */

void sr_sdp_session_init(sr_sdp_session *s, uint64_t sess_id, uint64_t version)
{
    if (!s)
        return;
    memset(s, 0, sizeof(*s));
    s->sess_id = sess_id;
    s->version = version;
}

/* FNV-1a, 64 bits: tells one description of ours from the previous one. */
static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Decimal text of @p v in @p buf (at least 21 bytes). */
static sr_str dec(char *buf, uint64_t v)
{
    char *e = buf + 21, *d = e;
    do
        *--d = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return (sr_str){d, (size_t)(e - d)};
}

int sr__sdp_emit(sr_sdp *sd, sr_sdp_session *sess, sr_buf *out)
{
    char idb[24], verb[24];
    size_t start = out->len;
    sd->origin.sess_id = dec(idb, sess->sess_id);
    for (int pass = 0; pass < 2; pass++) {
        sd->origin.sess_version = dec(verb, sess->version);
        out->len = start;
        int rc = sr_sdp_print(sd, out);
        if (rc) {
            sess->version -= (uint64_t)pass; /* nothing went out: the bump is undone */
            out->len = start;
            if (out->p)
                out->p[start] = '\0';
            return rc;
        }
        /* the digest skips v= and o= (the first two lines) */
        const char *t = out->p + start;
        size_t n = out->len - start;
        const char *o_end = memchr(t, '\n', n);
        o_end = o_end ? memchr(o_end + 1, '\n', n - (size_t)(o_end + 1 - t)) : NULL;
        size_t skip = o_end ? (size_t)(o_end + 1 - t) : 0;
        uint64_t d = fnv(0xcbf29ce484222325ULL, t + skip, n - skip);
        if (!sess->sent || d == sess->digest || pass == 1) {
            sess->digest = d;
            sess->sent = true;
            return 0;
        }
        /* RFC 3264 §8: a changed description carries the next version */
        sess->version++;
    }
    return 0;
}
