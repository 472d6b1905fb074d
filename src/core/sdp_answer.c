/* sipreply core: the offer/answer model (RFC 3264) — answering an offer with our codecs,
 * making an offer, checking the answer to ours. */
#include "sdp_int.h"

/* RFC 3551 §6: PCMU and PCMA are static payload types 0 and 8; telephone-event (RFC 4733)
 * is dynamic: 101 in our offers, the offerer's number in our answers. */
static const sr_sdp_codec default_codecs[] = {
    {"PCMU", 8000, 1, 0, 0, NULL},
    {"PCMA", 8000, 1, 8, 8, NULL},
    {"telephone-event", 8000, 1, -1, 101, "0-16"},
};

const sr_sdp_codec *sr_sdp_codecs_default(size_t *n)
{
    if (n)
        *n = sizeof(default_codecs) / sizeof(default_codecs[0]);
    return default_codecs;
}

void sr_sdp_local_init(sr_sdp_local *l)
{
    if (!l)
        return;
    memset(l, 0, sizeof(*l));
    l->size = sizeof(*l);
    l->username = "-";
    l->session_name = "-";
    l->port = 49170;
    l->dir = SR_SDP_SENDRECV;
    l->max_streams = 2;
}

static const sr_sdp_codec *codecs_of(const sr_sdp_local *l, size_t *n)
{
    if (l->codecs) {
        *n = l->n_codecs;
        return l->codecs;
    }
    return sr_sdp_codecs_default(n);
}

static bool is_event(sr_str enc)
{
    return sr_str_caseeq(enc, SR_STR("telephone-event"));
}

/* Channels of an rtpmap's encoding parameters: empty is 1 (RFC 4566 §6); 0 when bad. */
static uint64_t channels_of(sr_str params)
{
    uint64_t v = 1;
    if (params.len && !sr__sdp_digits(params, &v))
        return 0;
    return v;
}

/* Our codec that offered format @p f names, or NULL. */
static const sr_sdp_codec *match(const sr_sdp_fmt *f, const sr_sdp_codec *cs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const sr_sdp_codec *c = &cs[i];
        if (!c->encoding)
            continue;
        if (f->has_rtpmap) {
            if (sr_str_caseeq_cstr(f->encoding, c->encoding) && f->clock == c->clock &&
                channels_of(f->enc_params) == (c->channels ? c->channels : 1))
                return c;
        } else if (f->pt >= 0 && f->pt < 96 && f->pt == c->static_pt) {
            return c; /* RFC 3551 §6: a static type needs no rtpmap */
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ telephone-event */

/* A set of RFC 4733 events 0-255. */
typedef struct evset {
    uint32_t w[8];
} evset;

/* "0-15,66,70" (RFC 4733 §2.4.1); false when malformed. */
static bool ev_parse(sr_str s, evset *e)
{
    memset(e, 0, sizeof(*e));
    size_t i = 0;
    bool any = false;
    while (i < s.len) {
        unsigned a = 0, b;
        size_t st = i;
        while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9' && a <= 255)
            a = a * 10 + (unsigned)(s.p[i++] - '0');
        if (i == st || a > 255)
            return false;
        b = a;
        if (i < s.len && s.p[i] == '-') {
            st = ++i;
            b = 0;
            while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9' && b <= 255)
                b = b * 10 + (unsigned)(s.p[i++] - '0');
            if (i == st || b > 255 || b < a)
                return false;
        }
        for (unsigned v = a; v <= b; v++)
            e->w[v / 32] |= 1u << (v % 32);
        any = true;
        if (i < s.len && s.p[i] != ',')
            return false;
        if (i < s.len)
            i++;
    }
    return any;
}

/* The events of an fmtp (absent or unreadable: 0-15, RFC 4733 §2.4.1's default). */
static void ev_of(bool has, sr_str fmtp, evset *e)
{
    if (!has || !ev_parse(fmtp, e))
        ev_parse(SR_STR("0-15"), e);
}

static bool ev_has(const evset *e, unsigned v)
{
    return (e->w[v / 32] >> (v % 32)) & 1u;
}

#define EV_TEXT_MAX 640 /* "0,2,4,...,254": 128 numbers of up to 3 digits and commas */

/* The ranges of @p e as text in @p buf (EV_TEXT_MAX bytes); its length, 0 when empty. */
static size_t ev_print(const evset *e, char *buf)
{
    size_t n = 0;
    for (unsigned v = 0; v < 256; v++) {
        if (!ev_has(e, v))
            continue;
        unsigned w = v;
        while (w + 1 < 256 && ev_has(e, w + 1))
            w++;
        char tmp[24], *d;
        unsigned vals[2] = {v, w};
        if (n)
            buf[n++] = ',';
        for (int k = 0; k < (v == w ? 1 : 2); k++) {
            if (k)
                buf[n++] = '-';
            d = tmp + sizeof(tmp);
            unsigned x = vals[k];
            do
                *--d = (char)('0' + x % 10);
            while ((x /= 10) != 0);
            size_t l = (size_t)(tmp + sizeof(tmp) - d);
            memcpy(buf + n, d, l);
            n += l;
        }
        v = w;
    }
    return n;
}

/* ------------------------------------------------------------------ the answer */

static sr_sdp_dir reverse(sr_sdp_dir d)
{
    unsigned u = (unsigned)d;
    return (sr_sdp_dir)(((u & 1u) << 1) | ((u & 2u) >> 1));
}

static const sr_sdp_conn *conn_of(const sr_sdp *sd, const sr_sdp_media *m)
{
    return m->n_conns ? &m->conns[0] : sd->has_conn ? &sd->conn : NULL;
}

/* The session part of a description of ours (o=, s=, c=) around @p sd's media. */
static void our_session(sr_sdp *sd, const sr_sdp_local *l)
{
    sd->origin.username = sr_str_from_cstr(l->username ? l->username : "-");
    sd->origin.nettype = SR_STR("IN");
    sd->origin.addrtype = sr__sdp_addrtype(l->addr);
    sd->origin.addr = sr_str_from_cstr(l->addr);
    sd->name = sr_str_from_cstr(l->session_name && *l->session_name ? l->session_name : "-");
    sd->has_conn = true;
    sd->conn.nettype = SR_STR("IN");
    sd->conn.addrtype = sd->origin.addrtype;
    sd->conn.addr = sd->origin.addr;
}

typedef struct answer_ctx {
    const sr_sdp *offer;
    const sr_sdp_local *l;
    const sr_sdp_codec *cs;
    size_t ncs;
    bool *used;     /* per codec of ours: in the stream's answer already */
    char *evtext;   /* EV_TEXT_MAX per accepted stream */
    size_t n_audio; /* audio streams accepted so far */
    bool have_codec, saw_nocodec, saw_proto, saw_type;
} answer_ctx;

/* Our format for offered @p of, matched to our codec @p c, into @p af; false to leave it
 * out (telephone-event with no event in common). */
static bool answer_fmt(answer_ctx *x, const sr_sdp_fmt *of, const sr_sdp_codec *c, sr_sdp_fmt *af,
                       sr_sdp_stream *rep)
{
    memset(af, 0, sizeof(*af));
    af->id = of->id;
    af->pt = of->pt; /* RFC 3264 §6.1: the offer's payload type numbers */
    af->has_rtpmap = true;
    af->encoding = of->has_rtpmap ? of->encoding : sr_str_from_cstr(c->encoding);
    af->clock = c->clock;
    af->enc_params = of->has_rtpmap ? of->enc_params : SR_STR_NULL;
    if (is_event(sr_str_from_cstr(c->encoding))) {
        evset ours, theirs;
        ev_of(c->fmtp != NULL, sr_str_from_cstr(c->fmtp), &ours);
        ev_of(of->has_fmtp, of->fmtp, &theirs);
        for (int k = 0; k < 8; k++)
            ours.w[k] &= theirs.w[k];
        char *t = x->evtext + x->n_audio * EV_TEXT_MAX;
        size_t n = ev_print(&ours, t);
        if (!n)
            return false;
        af->has_fmtp = true;
        af->fmtp = (sr_str){t, n};
        if (rep->event_pt < 0)
            rep->event_pt = of->pt;
        return true;
    }
    if (c->fmtp) {
        af->has_fmtp = true;
        af->fmtp = sr_str_from_cstr(c->fmtp);
    }
    if (rep->pt < 0)
        rep->pt = of->pt;
    return true;
}

/* Try to accept offered stream @p om into @p am (its formats array ready): true when
 * accepted. */
static bool accept_stream(answer_ctx *x, const sr_sdp_media *om, sr_sdp_media *am,
                          sr_sdp_stream *rep)
{
    const sr_sdp_local *l = x->l;
    if (!sr_str_caseeq(om->type, SR_STR("audio"))) {
        x->saw_type = true;
        return false;
    }
    if (!sr_str_caseeq(om->proto, SR_STR("RTP/AVP"))) {
        x->saw_proto = true;
        return false;
    }
    uint32_t port = (uint32_t)l->port + 2u * (uint32_t)x->n_audio;
    if (x->n_audio >= l->max_streams || port > 65535 || port == 0)
        return false;
    memset(x->used, 0, x->ncs * sizeof(bool));
    bool codec = false;
    for (size_t i = 0; i < om->n_fmts; i++) {
        const sr_sdp_codec *c = match(&om->fmts[i], x->cs, x->ncs);
        if (!c || x->used[c - x->cs])
            continue; /* not ours, or ours under another number already */
        if (!answer_fmt(x, &om->fmts[i], c, &am->fmts[am->n_fmts], rep))
            continue;
        x->used[c - x->cs] = true;
        am->n_fmts++;
        codec = codec || !is_event(sr_str_from_cstr(c->encoding));
    }
    if (!am->n_fmts) {
        x->saw_nocodec = true;
        rep->pt = rep->event_pt = -1;
        return false;
    }
    am->port = (uint16_t)port;
    am->dir_set = true;
    /* RFC 3264 §6.1: sendonly → recvonly, recvonly → sendonly, inactive → inactive; what
     * we want (local->dir, e.g. sendonly to hold, RFC 6337 §5) narrows it further */
    am->dir = (sr_sdp_dir)((unsigned)reverse(om->dir) & (unsigned)l->dir);
    am->ptime = l->ptime;
    x->n_audio++;
    x->have_codec = x->have_codec || codec;
    return true;
}

int sr_sdp_answer(const sr_sdp *offer, const sr_sdp_local *local, sr_sdp_session *sess, sr_buf *out,
                  sr_sdp_result *res)
{
    sr_sdp_result tmp;
    if (!res)
        res = &tmp;
    memset(res, 0, sizeof(*res));
    if (!offer || !local || !local->addr || !*local->addr || !sess || !out)
        return SR_EINVAL;
    answer_ctx x;
    memset(&x, 0, sizeof(x));
    x.offer = offer;
    x.l = local;
    x.cs = codecs_of(local, &x.ncs);
    size_t nm = offer->n_media, nf = 0;
    for (size_t i = 0; i < nm; i++)
        nf += offer->media[i].n_fmts;
    size_t nev = local->max_streams < nm ? local->max_streams : nm;
    size_t off_fmts = nm * sizeof(sr_sdp_media);
    size_t off_lines = off_fmts + nf * sizeof(sr_sdp_fmt);
    size_t off_used = off_lines + offer->n_lines * sizeof(sr_sdp_line);
    size_t off_ev = off_used + x.ncs * sizeof(bool);
    size_t total = off_ev + nev * EV_TEXT_MAX + 1;
    char *blk = sr__malloc(out->alloc, total);
    if (!blk)
        return SR_ENOMEM;
    memset(blk, 0, off_ev);
    sr_sdp ans;
    memset(&ans, 0, sizeof(ans));
    ans.media = nm ? (void *)blk : NULL;
    ans.n_media = nm;
    sr_sdp_fmt *fmts = (void *)(blk + off_fmts);
    ans.lines = (void *)(blk + off_lines);
    x.used = (void *)(blk + off_used);
    x.evtext = blk + off_ev;
    our_session(&ans, local);
    /* RFC 3264 §6: the answer's t= is the offer's */
    for (size_t i = 0; i < offer->n_lines; i++)
        if (offer->lines[i].type == 't' || offer->lines[i].type == 'r')
            ans.lines[ans.n_lines++] = offer->lines[i];
    bool live = false;
    for (size_t i = 0; i < nm; i++) {
        const sr_sdp_media *om = &offer->media[i];
        sr_sdp_media *am = &ans.media[i];
        sr_sdp_stream rs = {.pt = -1, .event_pt = -1};
        am->type = om->type;
        am->proto = om->proto;
        am->fmts = fmts;
        fmts += om->n_fmts;
        live = live || om->port != 0;
        const sr_sdp_conn *oc = conn_of(offer, om);
        rs.peer_no_media = oc && oc->unspecified;
        if (om->port && accept_stream(&x, om, am, &rs)) {
            rs.accepted = true;
            rs.dir = am->dir;
            res->n_accepted++;
        } else {
            /* RFC 3264 §6: rejected with port 0, the offered formats, nothing else */
            am->port = 0;
            am->n_fmts = om->n_fmts;
            for (size_t k = 0; k < om->n_fmts; k++) {
                am->fmts[k] = (sr_sdp_fmt){.id = om->fmts[k].id, .pt = om->fmts[k].pt};
            }
            rs.dir = SR_SDP_INACTIVE;
        }
        if (i < SR_SDP_MAX_REPORT)
            res->streams[i] = rs;
    }
    int rc = 0;
    if (live && !x.have_codec) {
        rc = SR_ENOCODEC;
        if (x.saw_nocodec || res->n_accepted) {
            res->warning = 305;
            res->phrase = "Incompatible media format";
        } else if (x.saw_proto) {
            res->warning = 302;
            res->phrase = "Incompatible transport protocol";
        } else {
            res->warning = 304;
            res->phrase = "Media type not available";
        }
        res->n_accepted = 0; /* nothing is answered: no stream was accepted */
        for (size_t i = 0; i < nm && i < SR_SDP_MAX_REPORT; i++)
            res->streams[i].accepted = false;
    } else {
        rc = sr__sdp_emit(&ans, sess, out);
    }
    sr__free(out->alloc, blk);
    return rc;
}

/* ------------------------------------------------------------------ our offer */

int sr_sdp_offer(const sr_sdp_local *local, sr_sdp_session *sess, sr_buf *out)
{
    if (!local || !local->addr || !*local->addr || !sess || !out || !local->port)
        return SR_EINVAL;
    size_t ncs;
    const sr_sdp_codec *cs = codecs_of(local, &ncs);
    if (!ncs)
        return SR_EINVAL;
    /* per codec: its format and the text of its number and channels */
    size_t per = sizeof(sr_sdp_fmt) + 48;
    char *blk = sr__malloc(out->alloc, ncs * per);
    if (!blk)
        return SR_ENOMEM;
    sr_sdp_fmt *fmts = (void *)blk;
    char *text = blk + ncs * sizeof(sr_sdp_fmt);
    sr_sdp sd;
    sr_sdp_media m;
    memset(&sd, 0, sizeof(sd));
    memset(&m, 0, sizeof(m));
    our_session(&sd, local);
    sr_sdp_line t = {'t', SR_STR("0 0")};
    sd.lines = &t;
    sd.n_lines = 1;
    sd.media = &m;
    sd.n_media = 1;
    m.type = SR_STR("audio");
    m.port = local->port;
    m.proto = SR_STR("RTP/AVP");
    m.fmts = fmts;
    m.dir_set = true;
    m.dir = local->dir;
    m.ptime = local->ptime;
    int rc = 0;
    for (size_t i = 0; i < ncs; i++) {
        const sr_sdp_codec *c = &cs[i];
        if (!c->encoding || c->offer_pt < 0 || c->offer_pt > 127) {
            rc = SR_EINVAL;
            break;
        }
        sr_sdp_fmt *f = &fmts[m.n_fmts++];
        memset(f, 0, sizeof(*f));
        char *tb = text + i * 48;
        int n = 0;
        unsigned v = (unsigned)c->offer_pt;
        char digits[4] = {(char)('0' + v / 100), (char)('0' + v / 10 % 10), (char)('0' + v % 10)};
        size_t skip = v >= 100 ? 0 : v >= 10 ? 1 : 2;
        memcpy(tb, digits + skip, 3 - skip);
        n = (int)(3 - skip);
        f->id = (sr_str){tb, (size_t)n};
        f->pt = c->offer_pt;
        f->has_rtpmap = true;
        f->encoding = sr_str_from_cstr(c->encoding);
        f->clock = c->clock;
        if (c->channels > 1 && c->channels < 10) {
            tb[8] = (char)('0' + c->channels);
            f->enc_params = (sr_str){tb + 8, 1};
        }
        if (c->fmtp) {
            f->has_fmtp = true;
            f->fmtp = sr_str_from_cstr(c->fmtp);
        }
    }
    if (!rc)
        rc = sr__sdp_emit(&sd, sess, out);
    sr__free(out->alloc, blk);
    return rc;
}

/* ------------------------------------------------------------------ the answer to ours */

/* true when formats @p a and @p b name the same codec. */
static bool same_codec(const sr_sdp_fmt *a, const sr_sdp_fmt *b)
{
    if (a->has_rtpmap && b->has_rtpmap)
        return sr_str_caseeq(a->encoding, b->encoding) && a->clock == b->clock &&
               channels_of(a->enc_params) == channels_of(b->enc_params);
    return a->pt >= 0 && a->pt < 96 && a->pt == b->pt;
}

static int bad(sr_sdp_result *res, const char *phrase)
{
    res->phrase = phrase;
    return SR_EBADMSG;
}

int sr_sdp_check_answer(const sr_sdp *offer, const sr_sdp *answer, sr_sdp_result *res)
{
    sr_sdp_result tmp;
    if (!res)
        res = &tmp;
    memset(res, 0, sizeof(*res));
    if (!offer || !answer)
        return SR_EINVAL;
    /* RFC 3264 §6: as many m= lines as the offer, in the same order */
    if (answer->n_media != offer->n_media)
        return bad(res, "The answer has another number of m= lines");
    bool live = false, have_codec = false;
    for (size_t i = 0; i < offer->n_media; i++) {
        const sr_sdp_media *om = &offer->media[i], *am = &answer->media[i];
        sr_sdp_stream rs = {.pt = -1, .event_pt = -1, .dir = am->dir};
        if (!sr_str_caseeq(om->type, am->type))
            return bad(res, "An m= line of the answer has another media type");
        live = live || om->port != 0;
        if (!om->port && am->port)
            return bad(res, "The answer accepts a stream we disabled");
        const sr_sdp_conn *ac = conn_of(answer, am);
        rs.peer_no_media = ac && ac->unspecified;
        if (am->port) {
            bool known = false, codec = false;
            for (size_t k = 0; k < am->n_fmts; k++) {
                const sr_sdp_fmt *af = &am->fmts[k], *of = NULL;
                for (size_t j = 0; j < om->n_fmts && !of; j++) {
                    const sr_sdp_fmt *c = &om->fmts[j];
                    /* RFC 3264 §6.1 keeps the numbers; RFC 4317 §2.3 shows a change */
                    if (sr_str_eq(c->id, af->id) ? (!af->has_rtpmap || same_codec(c, af))
                                                 : (af->has_rtpmap && same_codec(c, af)))
                        of = c;
                }
                if (!of)
                    continue; /* a format we did not offer: not used (RFC 3264 §6.1) */
                known = true;
                sr_str enc = af->has_rtpmap ? af->encoding : of->encoding;
                if (is_event(enc)) {
                    if (rs.event_pt < 0)
                        rs.event_pt = af->pt;
                } else {
                    codec = true;
                    if (rs.pt < 0)
                        rs.pt = af->pt; /* RFC 3264 §5.1: we send with the answer's numbers */
                }
            }
            if (!known)
                return bad(res, "An accepted stream of the answer lists no format we offered");
            /* RFC 3264 §6.1: the answer's direction answers ours */
            if ((unsigned)am->dir & ~(unsigned)reverse(om->dir))
                return bad(res, "The answer's direction does not answer the offer's");
            rs.accepted = true;
            res->n_accepted++;
            have_codec = have_codec || codec;
        } else {
            rs.dir = SR_SDP_INACTIVE;
        }
        if (i < SR_SDP_MAX_REPORT)
            res->streams[i] = rs;
    }
    if (live && !have_codec) {
        res->warning = 305;
        res->phrase = "Incompatible media format";
        return SR_ENOCODEC;
    }
    return 0;
}
