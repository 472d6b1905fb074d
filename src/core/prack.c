/* sipreply core: reliable provisional responses (RFC 3262): the UAS side (RSeq, Require,
 * retransmission until PRACK, held 2xx, 200/481 to PRACK) and the UAC side (PRACK in order). */
#include <string.h>

#include "sipreply/error.h"
#include "sipreply/print.h"
#include "sipreply/uri.h"

#include "core_int.h"
#include "txn_int.h"

static bool has_sdp(const sr_msg *m)
{
    const sr_header *ct = sr_msg_header_find(m, SR_HDR_CONTENT_TYPE, NULL);
    if (sr_msg_body(m).len == 0 || ct == NULL)
        return false;
    sr_str v = ct->value;
    return v.len >= 15 && sr_str_caseeq((sr_str){v.p, 15}, SR_STR("application/sdp"));
}

/* Add "name: a[ b][ tail]" (@p nvals numbers, 1 or 2). */
static int add_u32_header(sr_msg *m, const char *name, int nvals, uint32_t a, uint32_t b,
                          const char *tail)
{
    char tmp[48];
    size_t n = 0;
    uint32_t vals[2] = {a, b};
    for (int i = 0; i < nvals && i < 2; i++) {
        char d[12];
        size_t k = 0;
        uint32_t v = vals[i];
        do {
            d[k++] = (char)('0' + v % 10);
            v /= 10;
        } while (v != 0);
        if (i > 0)
            tmp[n++] = ' ';
        while (k > 0)
            tmp[n++] = d[--k];
    }
    if (tail != NULL) {
        size_t tl = strlen(tail);
        tmp[n++] = ' ';
        memcpy(tmp + n, tail, tl);
        n += tl;
    }
    return sr_msg_add_header(m, SR_HDR_OTHER, sr_str_from_cstr(name), (sr_str){tmp, n});
}

/* RFC 3262 §3: send a 101-199 reliably. */
int sr__prack_uas_send(sr_stack *s, sr__txn *t, sr_msg *resp)
{
    unsigned code = sr_msg_status(resp);
    int err;
    if (code == 100 || !s->cfg.prack_enabled || !t->peer_100rel)
        return SR_EUNSUPPORTED; /* §3: 100 is never reliable; §3: only if the UAC offered it */
    if (t->rel_pending)
        return SR_ESTATE; /* §3: no second reliable 1xx before the first is PRACKed */
    /* §3: the first RSeq is random in 1 .. 2^31-1, then +1 per reliable provisional. */
    uint32_t rseq =
        t->rseq_started ? t->rseq + 1 : (uint32_t)(1 + sr__rng_below(&s->rng, SR_RSEQ_START_MAX));
    if (!sr__has_option(resp, SR_HDR_REQUIRE, "100rel") &&
        (err = sr_msg_add_header(resp, SR_HDR_REQUIRE, SR_STR_NULL, SR_STR("100rel"))) != 0)
        return err;
    if ((err = add_u32_header(resp, "RSeq", 1, rseq, 0, NULL)) != 0)
        return err;
    if ((err = sr__print_resp(s, t, resp, &t->rel_bytes)) != 0)
        return err;
    if ((err = sr__print_resp(s, t, resp, &t->resp)) != 0)
        return err;
    t->rseq = rseq;
    t->rseq_started = true;
    t->rel_pending = true;
    t->rel_sdp = has_sdp(resp);
    t->rel_interval = s->cfg.t1;
    sr__stop(s, t, SR__TK_TRYING);
    sr_msg_free(resp);
    /* §3: retransmit at T1 doubling until the PRACK, give up after 64·T1. A send that
     * cannot be queued is a lost datagram: the retransmission repairs it. */
    int rc = sr__emit_send(s, t, &t->rel_bytes, t->last_status);
    (void)rc;
    sr__start(s, t, SR__TK_REL, t->rel_interval);
    sr__start(s, t, SR__TK_REL_GIVEUP, 64 * (uint64_t)s->cfg.t1);
    return 0;
}

void sr__prack_uas_stop(sr_stack *s, sr__txn *t)
{
    sr__stop(s, t, SR__TK_REL);
    sr__stop(s, t, SR__TK_REL_GIVEUP);
    t->rel_pending = false;
}

bool sr__prack_uas_hold(const sr__txn *t, const sr_msg *resp)
{
    (void)resp; /* any 2xx is held: the offer/answer of the 1xx must complete first */
    return t->rel_pending && t->rel_sdp;
}

void sr__prack_uas_on_timer(sr_stack *s, sr__txn *t, int kind)
{
    int rc = 0;
    if (kind == SR__TK_REL) {
        rc = sr__emit_send(s, t, &t->rel_bytes, t->last_status);
        t->rel_interval *= 2;
        if (sr__start(s, t, SR__TK_REL, t->rel_interval) != 0)
            rc = SR_ENOMEM;
    } else {
        /* §3: no PRACK in 64·T1: stop; the TU should reject the INVITE with a 5xx. A 2xx
         * held for this 1xx can no longer be sent. */
        sr__prack_uas_stop(s, t);
        if (t->held_2xx != NULL) {
            sr_msg_free(t->held_2xx);
            t->held_2xx = NULL;
        }
        rc = sr__emit_simple(s, t, SR_EV_PRACK_TIMEOUT, 0);
    }
    (void)rc; /* SR_ENOMEM: a lost retransmission or report; the state is sound */
}

static sr_str tag_of(const sr_nameaddr *na)
{
    return na != NULL ? na->tag : SR_STR("");
}

int sr__prack_uas_on_prack(sr_stack *s, sr_msg **reqp, const sr_addr *src)
{
    const sr_msg *req = *reqp;
    sr__txn *p = NULL;
    int err = sr__new_server(s, req, src, SR_TXN_NON_INVITE_SERVER, &p);
    if (err != 0)
        return err;
    sr_rack ra;
    const sr_header *h = sr_msg_header_find(req, SR_HDR_RACK, NULL);
    sr__txn *inv = NULL;
    if (h != NULL && sr_rack_parse(&ra, h->value, NULL) == 0)
        inv = sr__find_prack_target(s, req, &ra);
    if (inv == NULL)
        return sr__server_reply_or_end(s, p, 481, NULL, 0); /* §3: no matching reliable 1xx */
    sr_txn_id pid = p->id, iid = inv->id;
    void *iuser = inv->user;
    sr__prack_uas_stop(s, inv);
    if ((err = sr__server_reply_or_end(s, p, 200, NULL, 0)) != 0)
        return err;
    /* The TU sees the PRACK (it may carry an SDP answer), already answered. */
    sr_event ev;
    memset(&ev, 0, sizeof(ev));
    sr_msg *copy = *reqp; /* the event takes the parsed PRACK */
    *reqp = NULL;
    sr__txn *pt = sr__txn_find(s, pid);
    ev.kind = SR_EV_REQUEST;
    ev.txn = pid;
    ev.related = iid;
    ev.txn_kind = SR_TXN_NON_INVITE_SERVER;
    ev.state = pt != NULL ? pt->state : SR_TXN_TERMINATED;
    ev.addr = *src;
    ev.reliable = sr__reliable(src->transport);
    ev.related_user = iuser;
    if ((err = sr__emit(s, &ev, NULL, 0, copy)) != 0)
        return err;
    if (inv->held_2xx != NULL) {
        /* §3: the held 2xx may go now that its 1xx is acknowledged. */
        sr_msg *r = inv->held_2xx;
        inv->held_2xx = NULL;
        err = sr__server_send(s, inv, r, 0);
        if (err != 0)
            sr_msg_free(r);
    }
    return err;
}

/* Copy a header value of @p m into @p out as header @p id. */
static int copy_header(sr_msg *out, const sr_msg *m, enum sr_hdr_id id)
{
    const sr_header *h = sr_msg_header_find(m, id, NULL);
    if (h == NULL)
        return SR_EMISSING;
    return sr_msg_add_header(out, id, SR_STR_NULL, h->value);
}

/* RFC 3261 §12.1.2: the route set of an early dialog is fixed by the response that creates
 * it: its Record-Route values, kept here joined by ", " in their order (line folding, which
 * is LWS, becomes spaces) into @p b. */
static int join_record_route(const sr_msg *resp, sr_buf *b)
{
    int err;
    b->len = 0;
    for (const sr_header *h = sr_msg_header_find(resp, SR_HDR_RECORD_ROUTE, NULL); h != NULL;
         h = sr_msg_header_find(resp, SR_HDR_RECORD_ROUTE, h)) {
        if (b->len > 0 && (err = sr_buf_append_cstr(b, ", ")) != 0)
            return err;
        size_t at = b->len;
        if ((err = sr_buf_append_str(b, h->value)) != 0)
            return err;
        for (size_t i = at; i < b->len; i++)
            if (b->p[i] == '\r' || b->p[i] == '\n')
                b->p[i] = ' ';
    }
    return 0;
}

/* The route set: the values of @p rr (a Record-Route list) in reverse order (§12.1.2).
 * Fills *@p out (allocated, NULL when empty). */
static int route_set(const sr_stack *s, sr_str rr, sr_str **out, size_t *n)
{
    size_t cnt = 0, pos = 0;
    sr_str item;
    *out = NULL;
    *n = 0;
    while (sr_value_next(rr, &pos, &item))
        cnt++;
    if (cnt == 0)
        return 0;
    sr_str *rs = sr__malloc(s->alloc, cnt * sizeof(*rs));
    if (rs == NULL)
        return SR_ENOMEM;
    size_t k = cnt;
    pos = 0;
    while (sr_value_next(rr, &pos, &item))
        rs[--k] = item;
    *out = rs;
    *n = cnt;
    return 0;
}

/* §4 / §7.1: the PRACK for reliable 1xx @p resp of INVITE @p inv, built as a request within
 * the early dialog (RFC 3261 §12.2.1.1): the remote target is the 1xx's Contact (else the
 * INVITE's Request-URI); with a route set whose first URI is a loose router (lr) the
 * Request-URI is the remote target and Route the route set; with a strict router the
 * Request-URI is that first URI (without URI headers) and Route the rest plus the remote
 * target. The PRACK goes to the INVITE's next hop (address resolution is the caller's).
 * The CSeq number is one above the INVITE's (or the last PRACK's) until a dialog layer owns
 * local CSeq numbering. SR_EBADMSG when a Record-Route value does not parse. */
static int build_prack(sr_stack *s, sr__txn *inv, const sr_msg *resp, uint32_t rseq, sr_str rr,
                       sr_msg **out)
{
    sr_msg *p = NULL;
    sr_buf b;
    sr_buf_init(&b, s->alloc);
    sr_str target = sr_msg_request_uri(inv->req);
    const sr_header *ch = sr_msg_header_find(resp, SR_HDR_CONTACT, NULL);
    sr_contact c;
    if (ch != NULL && sr_contact_parse(&c, ch->value, NULL) == 0 && !c.star && c.addr.uri.len)
        target = c.addr.uri;
    sr_str *rs = NULL;
    size_t nrs = 0, first = 0;
    int err = route_set(s, rr, &rs, &nrs);
    if (err != 0)
        return err;
    sr_str ruri = target;
    bool strict = false;
    for (size_t i = 0; i < nrs; i++) {
        sr_nameaddr na;
        sr_uri u;
        if (sr_nameaddr_parse(&na, rs[i], NULL) != 0 ||
            sr_uri_parse(&u, na.uri.p, na.uri.len, NULL) != 0) {
            err = SR_EBADMSG;
            goto out;
        }
        if (i == 0 && !sr_uri_param_find(&u, "lr", NULL)) {
            /* §12.2.1.1: a strict router takes the Request-URI. */
            strict = true;
            ruri = na.uri;
            const char *q = memchr(ruri.p, '?', ruri.len);
            if (q != NULL)
                ruri.len = (size_t)(q - ruri.p);
            first = 1;
        }
    }
    if ((err = sr_msg_new_request(&p, s->alloc, SR_STR("PRACK"), ruri)) != 0)
        goto out;
    const sr_via *v = sr_msg_via(inv->req, 0);
    char branch[SR_BRANCH_LEN + 1];
    sr__new_branch(s, branch);
    if ((err = sr_buf_append_cstr(&b, "SIP/2.0/")) || (err = sr_buf_append_str(&b, v->transport)) ||
        (err = sr_buf_append_cstr(&b, " ")) || (err = sr_buf_append_str(&b, v->host)))
        goto out;
    if (v->has_port &&
        ((err = sr_buf_append_cstr(&b, ":")) || (err = sr_buf_append_u64(&b, v->port))))
        goto out;
    if ((err = sr_buf_append_cstr(&b, ";branch=")) || (err = sr_buf_append_cstr(&b, branch)) ||
        (err = sr_msg_add_header(p, SR_HDR_VIA, SR_STR_NULL, (sr_str){b.p, b.len})))
        goto out;
    if ((err = sr_msg_add_header(p, SR_HDR_MAX_FORWARDS, SR_STR_NULL, SR_STR("70"))))
        goto out;
    for (size_t i = first; i < nrs; i++) {
        if ((err = sr_msg_add_header(p, SR_HDR_ROUTE, SR_STR_NULL, rs[i])))
            goto out;
    }
    if (strict) {
        b.len = 0;
        if ((err = sr_buf_append_cstr(&b, "<")) || (err = sr_buf_append_str(&b, target)) ||
            (err = sr_buf_append_cstr(&b, ">")) ||
            (err = sr_msg_add_header(p, SR_HDR_ROUTE, SR_STR_NULL, (sr_str){b.p, b.len})))
            goto out;
    }
    if ((err = copy_header(p, inv->req, SR_HDR_FROM)) || (err = copy_header(p, resp, SR_HDR_TO)) ||
        (err = copy_header(p, inv->req, SR_HDR_CALL_ID)))
        goto out;
    uint32_t icseq = sr_msg_cseq(inv->req)->num;
    uint32_t n = (inv->prack_cseq > icseq ? inv->prack_cseq : icseq) + 1;
    if ((err = add_u32_header(p, "CSeq", 1, n, 0, "PRACK")) ||
        (err = add_u32_header(p, "RAck", 2, rseq, icseq, "INVITE")))
        goto out;
    inv->prack_cseq = n;
    *out = p;
    p = NULL;
out:
    sr__free(s->alloc, rs);
    sr_buf_cleanup(&b);
    if (p != NULL)
        sr_msg_free(p);
    return err;
}

/* §4: PRACK each new reliable 1xx in RSeq order, per early dialog (To tag); a retransmission
 * or an out-of-order RSeq is neither PRACKed nor passed to the TU. */
int sr__prack_uac_on_1xx(sr_stack *s, sr__txn *t, const sr_msg *resp, sr_txn_id *prack,
                         bool *deliver)
{
    const sr_header *h = sr_msg_header_find(resp, SR_HDR_RSEQ, NULL);
    uint32_t rseq;
    *deliver = true;
    *prack = 0;
    if (h == NULL || sr_uint32_parse(h->value, &rseq) != 0)
        return 0; /* not a valid reliable 1xx: handled as an ordinary provisional */
    sr_str tag = tag_of(sr_msg_to(resp));
    if (tag.p == NULL || tag.len == 0)
        return 0; /* §4: no To tag, no early dialog to PRACK in: an ordinary provisional */
    sr__early *e = NULL;
    for (size_t i = 0; i < t->n_early; i++)
        if (t->early[i].tag_len == tag.len && memcmp(t->early[i].tag, tag.p, tag.len) == 0)
            e = &t->early[i];
    if (e != NULL && rseq != e->last_rseq + 1) {
        *deliver = false; /* §4: retransmission (≤ last) or out of order (> last + 1) */
        return 0;
    }
    if (e == NULL) {
        if (t->n_early == SR_PRACK_MAX_DIALOGS || tag.len > sizeof(e->tag))
            return 0; /* documented cap: passed up, not PRACKed */
        if (t->early == NULL) {
            t->early = sr__malloc(&s->talloc, SR_PRACK_MAX_DIALOGS * sizeof(*t->early));
            if (t->early == NULL)
                return SR_ENOMEM; /* a retransmission of the 1xx tries again */
        }
        e = &t->early[t->n_early];
        memcpy(e->tag, tag.p, tag.len);
        e->tag_len = tag.len;
    }
    /* §12.1.2: a new early dialog takes the route set of this 1xx; a known one keeps its own. */
    bool fresh = e == &t->early[t->n_early];
    sr_buf rr;
    sr_buf_init(&rr, &s->talloc); /* kept as e->routes: counted in s->mem */
    int err = fresh ? join_record_route(resp, &rr) : 0;
    sr_str routes = fresh ? (sr_str){rr.p, rr.len} : (sr_str){e->routes.p, e->routes.len};
    sr_msg *p = NULL;
    if (err == 0)
        err = build_prack(s, t, resp, rseq, routes, &p);
    if (err == SR_EBADMSG) {
        err = 0; /* an unusable Record-Route: passed up, not PRACKed (documented) */
        goto out;
    }
    if (err != 0)
        goto out;
    err = sr__client_start(s, p, &t->peer, 0, prack);
    if (err != 0) {
        sr_msg_free(p);
        goto out;
    }
    /* Only now is the RSeq taken: a failure above lets a retransmission try again. */
    if (fresh) {
        e->routes = rr;
        sr_buf_init(&rr, s->alloc);
        t->n_early++;
    }
    e->last_rseq = rseq;
out:
    sr_buf_cleanup(&rr);
    return err;
}
