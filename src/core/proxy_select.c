/* sipreply core: the proxy's response context — branches, Timer C, CANCELs, and the choice of
 * the response sent upstream. RFC 3261 §16.7, §16.8, §16.9, §16.10, §9.1; RFC 3326; RFC 6228. */
#include <string.h>

#include "sipreply/build.h"
#include "sipreply/print.h"
#include "sipreply/proxy.h"
#include "sipreply/uri.h"

#include "build_int.h"
#include "core_int.h"
#include "proxy_ctx.h"
#include "proxy_int.h"

void sr_proxy_config_default(sr_proxy_config *c)
{
    if (!c)
        return;
    memset(c, 0, sizeof *c);
    c->size = sizeof *c;
    c->timer_c = 181000;    /* §16.6 step 11: greater than 3 minutes */
    c->cancel_wait = 32000; /* §9.1: 64·T1 with T1 = 500 ms */
    c->max_branches = 32;
}

static void pact_clear(sr_proxy *p, pact *a)
{
    sr_msg_free(a->msg);
    sr__free(p->alloc, a->targets);
    memset(a, 0, sizeof *a);
}

int sr_proxy_new(sr_proxy **out, const sr_msg *req, const sr_proxy_config *cfg)
{
    sr_proxy_config def;
    if (!cfg) {
        sr_proxy_config_default(&def);
        cfg = &def;
    }
    if (!out || !req || !sr_msg_is_request(req) || cfg->size == 0 ||
        cfg->size > sizeof(sr_proxy_config) || cfg->timer_c <= 180000 ||
        sr_msg_method(req) == SR_METHOD_ACK || sr_msg_method(req) == SR_METHOD_CANCEL)
        return SR_EINVAL;
    const sr_allocator *alloc = sr__alloc_or_default(cfg->alloc);
    sr_proxy *p = sr__malloc(alloc, sizeof *p);
    if (!p)
        return SR_ENOMEM;
    memset(p, 0, offsetof(sr_proxy, b_in)); /* the room after it is written before it is read */
    sr_proxy_config_default(&p->cfg);
    memcpy(&p->cfg, cfg, cfg->size);
    p->cfg.size = sizeof p->cfg;
    if (p->cfg.max_branches == 0)
        p->cfg.max_branches = 32;
    p->alloc = alloc;
    p->b = p->b_in;
    p->capb = sizeof p->b_in / sizeof p->b_in[0];
    p->q = p->q_in;
    p->qcap = sizeof p->q_in / sizeof p->q_in[0];
    if (p->cfg.flags & SR_PROXY_REQ_LENT) {
        p->req = req;
    } else {
        int rc = sr_msg_dup(&p->req_own, req);
        if (rc) {
            sr__free(alloc, p);
            return rc;
        }
        p->req = p->req_own;
    }
    p->invite = sr_msg_method(req) == SR_METHOD_INVITE;
    /* RFC 6228 §6: a 199 only to a caller that said it understands one. */
    p->sup199 = sr_msg_has_option(req, SR_HDR_SUPPORTED, "199") ||
                sr_msg_has_option(req, SR_HDR_REQUIRE, "199");
    sr_str ruri = sr_msg_request_uri(req);
    sr_uri u;
    /* a sips URI starts "sips:" (any case): only then is it parsed to be sure */
    p->sips = ruri.len > 5 && (ruri.p[0] | 0x20) == 's' && (ruri.p[1] | 0x20) == 'i' &&
              (ruri.p[2] | 0x20) == 'p' && (ruri.p[3] | 0x20) == 's' && ruri.p[4] == ':' &&
              sr_uri_parse(&u, ruri.p, ruri.len, NULL) == 0 && u.kind == SR_URI_SIPS;
    *out = p;
    return 0;
}

static void branch_clear(sr_proxy *p, pbranch *b)
{
    sr__proxy_keep_free(&b->req, p->alloc);
    sr_msg_free(b->resp);
    for (size_t i = 0; i < b->ned; i++)
        sr__free(p->alloc, b->ed[i].to);
    sr__free(p->alloc, b->ed);
}

void sr_proxy_free(sr_proxy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nb; i++)
        branch_clear(p, &p->b[i]);
    for (size_t i = p->qh; i < p->qn; i++)
        pact_clear(p, &p->q[i]);
    pact_clear(p, &p->cur);
    if (p->b != p->b_in)
        sr__free(p->alloc, p->b);
    if (p->q != p->q_in)
        sr__free(p->alloc, p->q);
    sr__free(p->alloc, p->reason);
    sr_msg_free(p->req_own);
    sr__free(p->alloc, p);
}

/* ------------------------------------------------------------------ the action queue */

/* Array @p a (@p used bytes) grown to @p bytes: out of the context's own room @p in into an
 * allocation, or reallocated. NULL (SR_ENOMEM): @p a unchanged. */
static void *grow(sr_proxy *p, void *a, void *in, size_t used, size_t bytes)
{
    if (a != in)
        return sr__realloc(p->alloc, a, bytes);
    void *n = sr__malloc(p->alloc, bytes);
    if (n && used)
        memcpy(n, in, used);
    return n;
}

/* Queue an action; it owns @p msg and @p targets from now on, even on failure. */
static int push(sr_proxy *p, const sr_proxy_action *a, sr_msg *msg, sr_str *targets)
{
    if (p->qh == p->qn)
        p->qh = p->qn = 0;
    if (p->qn == p->qcap) {
        size_t cap = p->qcap * 2;
        pact *q = grow(p, p->q, p->q_in, p->qn * sizeof *q, cap * sizeof *q);
        if (!q) {
            sr_msg_free(msg);
            sr__free(p->alloc, targets);
            return SR_ENOMEM;
        }
        p->q = q;
        p->qcap = cap;
    }
    pact *x = &p->q[p->qn++];
    x->a = *a;
    x->a.msg = msg;
    x->msg = msg;
    x->targets = targets;
    return 0;
}

static int forward(sr_proxy *p, unsigned bi, sr_msg *m, bool final)
{
    sr_proxy_action a = {.kind = SR_PROXY_ACT_FORWARD, .branch = bi, .final = final};
    a.status = sr_msg_status(m);
    if (final)
        p->final_sent = true; /* even if the queue cannot take it: never a second one */
    return push(p, &a, m, NULL);
}

int sr_proxy_poll(sr_proxy *p, sr_proxy_action *a)
{
    if (!p || !a)
        return SR_EINVAL;
    pact_clear(p, &p->cur);
    if (p->qh == p->qn) {
        memset(a, 0, sizeof *a);
        return SR_ENOTFOUND;
    }
    p->cur = p->q[p->qh++];
    *a = p->cur.a;
    return 0;
}

int sr_proxy_action_take_msg(sr_proxy *p, sr_msg **out)
{
    if (!p || !out)
        return SR_EINVAL;
    if (!p->cur.msg)
        return SR_ENOTFOUND;
    *out = p->cur.msg;
    p->cur.msg = NULL;
    return 0;
}

/* ------------------------------------------------------------------ branches */

int sr_proxy_branch_add(sr_proxy *p, const sr_msg *fwd, uint64_t now_ms, unsigned *index)
{
    if (!p || !fwd || !sr_msg_is_request(fwd))
        return SR_EINVAL;
    const sr_via *v = sr_msg_via(fwd, 0);
    if (!v || !v->branch.len)
        return SR_EINVAL;
    /* §16.7 step 5: no new branch after a 6xx; §16.10: nor after a CANCEL; nor once the
     * final went upstream. */
    if (p->final_sent || p->got_6xx || p->cancelled)
        return SR_ESTATE;
    if (p->nb >= p->cfg.max_branches)
        return SR_ETOOBIG;
    if (p->nb == p->capb) {
        size_t cap = p->capb * 2;
        pbranch *b = grow(p, p->b, p->b_in, p->nb * sizeof *b, cap * sizeof *b);
        if (!b)
            return SR_ENOMEM;
        p->b = b;
        p->capb = cap;
    }
    pbranch *b = &p->b[p->nb];
    memset(b, 0, sizeof *b);
    int rc = sr__proxy_keep(&b->req, fwd, p->alloc);
    if (rc)
        return rc;
    b->id = b->req.branch;
    /* §16.6 step 11: Timer C for an INVITE. */
    b->timer_c = p->invite ? now_ms + p->cfg.timer_c : UINT64_MAX;
    b->cancel_at = UINT64_MAX;
    if (index)
        *index = (unsigned)p->nb;
    p->nb++;
    return 0;
}

size_t sr_proxy_branch_count(const sr_proxy *p)
{
    return p ? p->nb : 0;
}

int sr_proxy_branch_find(const sr_proxy *p, const sr_msg *resp, unsigned *index)
{
    if (!p || !resp || !index)
        return SR_EINVAL;
    const sr_via *v = sr_msg_via(resp, 0);
    if (!v)
        return SR_ENOTFOUND;
    for (size_t i = 0; i < p->nb; i++) {
        if (sr_str_eq(p->b[i].id, v->branch)) {
            *index = (unsigned)i;
            return 0;
        }
    }
    return SR_ENOTFOUND;
}

/* §9.1, §16.10: a CANCEL only for an INVITE, and only once the branch is Proceeding. */
static int send_cancel(sr_proxy *p, unsigned bi, uint64_t now)
{
    pbranch *b = &p->b[bi];
    sr_msg *m = NULL;
    b->cancel_sent = true;
    b->timer_c = UINT64_MAX;
    b->cancel_at = now + p->cfg.cancel_wait;
    sr_msg *fwd = NULL;
    int rc = sr__proxy_kept_msg(&b->req, &fwd, p->alloc);
    if (rc == 0)
        rc = sr_proxy_build_cancel(&m, fwd, b->cancel_reason, p->alloc);
    sr_msg_free(fwd);
    if (rc)
        return rc;
    sr_proxy_action a = {.kind = SR_PROXY_ACT_CANCEL, .branch = bi};
    return push(p, &a, m, NULL);
}

static int want_cancel(sr_proxy *p, unsigned bi, sr_str reason, uint64_t now)
{
    pbranch *b = &p->b[bi];
    if (!p->invite || b->state == B_DONE || b->cancel_wanted)
        return 0;
    b->cancel_wanted = true;
    b->cancel_reason = reason;
    return b->got_1xx ? send_cancel(p, bi, now) : 0;
}

static int cancel_others(sr_proxy *p, unsigned except, sr_str reason, uint64_t now)
{
    int rc = 0;
    for (size_t i = 0; i < p->nb; i++) {
        int r = i == except ? 0 : want_cancel(p, (unsigned)i, reason, now);
        if (r && !rc)
            rc = r;
    }
    return rc;
}

/* ------------------------------------------------------------------ the choice (§16.7 step 6) */

/* Smaller is better: the class (6xx first, then the lowest), then inside a class the
 * responses that help the caller resubmit, then received before made up. */
static unsigned rank(const pbranch *b)
{
    unsigned cls = b->final / 100, r0 = cls == 6 ? 0 : cls, r1 = 0;
    if (b->local)
        r1 = 9;
    else if (cls == 4)
        r1 = (b->final == 401 || b->final == 407)                      ? 0
             : (b->final == 415 || b->final == 420 || b->final == 484) ? 1
                                                                       : 2;
    else if (cls == 5)
        r1 = b->final == 503 ? 1 : 0; /* a 503 goes up as a 500: anything else first */
    return r0 * 16 + r1;
}

static long choose(const sr_proxy *p)
{
    long best = -1;
    for (size_t i = 0; i < p->nb; i++) {
        const pbranch *b = &p->b[i];
        if (b->state != B_DONE || b->final < 300 || b->recursed)
            continue;
        if (best < 0 || rank(b) < rank(&p->b[best]) ||
            (rank(b) == rank(&p->b[best]) && b->seq < p->b[best].seq))
            best = (long)i;
    }
    if (best >= 0)
        return best;
    /* Every final was a 3xx recursed on and no branch the embedder added answered better:
     * the last 3xx received goes back whole (its Contacts the newest learnt: those a bound on
     * recursion, or a target tried already, kept the embedder from following). */
    for (size_t i = 0; i < p->nb; i++) {
        if (p->b[i].recursed && (best < 0 || p->b[i].seq > p->b[best].seq))
            best = (long)i;
    }
    return best;
}

/* The final kept for branch @p b: its copy, or the response being handed in (finish() lends
 * it for the length of that call and copies it only if the choice is still open then). */
static const sr_msg *resp_of(const sr_proxy *p, const pbranch *b)
{
    return b->resp ? b->resp : b == p->lent_b ? p->lent_resp : NULL;
}

/* §16.7 step 7: every challenge of every 401/407 in the context, unmodified. */
static int merge_challenges(sr_proxy *p, sr_msg *m, long chosen)
{
    sr_buf b;
    int rc = 0;
    sr_buf_init(&b, p->alloc);
    for (size_t i = 0; rc == 0 && i < p->nb; i++) {
        const pbranch *x = &p->b[i];
        const sr_msg *xr = resp_of(p, x);
        if ((long)i == chosen || !xr || (x->final != 401 && x->final != 407))
            continue;
        for (size_t k = 0; rc == 0 && k < sr_msg_header_count(xr); k++) {
            const sr_header *h = sr_msg_header_at(xr, k);
            if (h->id == SR_HDR_WWW_AUTHENTICATE || h->id == SR_HDR_PROXY_AUTHENTICATE)
                rc = sr__proxy_add(m, h, h->value, &b);
        }
    }
    sr_buf_cleanup(&b);
    return rc;
}

static int made_up(sr_proxy *p, unsigned code, sr_msg **m)
{
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = p->alloc;
    return sr_build_response(m, p->req, code, &o, NULL);
}

static int send_best(sr_proxy *p)
{
    long bi = choose(p);
    sr_msg *m = NULL;
    int rc;
    if (bi < 0) {
        rc = made_up(p, 408, &m); /* §16.7 step 6: no final at all */
    } else {
        pbranch *b = &p->b[bi];
        const sr_msg *br = resp_of(p, b);
        bool as500 = b->final == 503 && !(p->cfg.flags & SR_PROXY_KEEP_503);
        if (b->local || !br) {
            rc = made_up(p, as500 ? 500 : b->final, &m);
        } else {
            /* §16.7 step 6: a 503 goes upstream as a 500, keeping the rest (its To tag). */
            rc = sr__proxy_upstream(&m, br, as500 ? 500 : b->final,
                                    as500 ? SR_STR("Server Internal Error") : SR_STR_NULL,
                                    b->recursed ? SR__KEEP_CONTACTS : b->drop, p->alloc);
            if (rc == 0 && (b->final == 401 || b->final == 407))
                rc = merge_challenges(p, m, bi);
        }
    }
    if (rc) {
        sr_msg_free(m);
        /* Never leave the caller without a final: the plainest one we can build. */
        if (made_up(p, 500, &m) != 0) {
            p->final_sent = true;
            return rc;
        }
    }
    return forward(p, bi < 0 ? SR_PROXY_NO_BRANCH : (unsigned)bi, m, true);
}

static bool would_complete(const sr_proxy *p)
{
    if (p->final_sent || p->hold)
        return false;
    for (size_t i = 0; i < p->nb; i++) {
        if (p->b[i].state != B_DONE)
            return false;
    }
    return true;
}

static int check_complete(sr_proxy *p)
{
    return p->nb && would_complete(p) ? send_best(p) : 0;
}

/* ------------------------------------------------------------------ 199 (RFC 6228) */

/* RFC 6228 §6: when a final ends a branch's early dialogs and is not itself forwarded on
 * them now, each gets a 199 — if the caller supports it and no final went upstream. */
static int send_199s(sr_proxy *p, unsigned bi, sr_str final_tag)
{
    pbranch *b = &p->b[bi];
    if (!p->invite || !p->sup199 || (p->cfg.flags & SR_PROXY_NO_199) || p->final_sent)
        return 0;
    bool now = would_complete(p);
    long best = now ? choose(p) : -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < b->ned; i++) {
        if (best == (long)bi && final_tag.p && sr_str_eq(b->ed[i].tag, final_tag))
            continue; /* the final itself goes up on this dialog */
        sr_msg *m = NULL;
        rc = sr__proxy_build_199(p, &b->ed[i], b->final, &m);
        if (rc == 0)
            rc = forward(p, bi, m, false);
    }
    for (size_t i = 0; i < b->ned; i++)
        sr__free(p->alloc, b->ed[i].to);
    b->ned = 0;
    return rc;
}

/* ------------------------------------------------------------------ responses (§16.7) */

/* A branch's final (3xx–6xx), received (@p resp) or made up (@p resp NULL). */
static int finish(sr_proxy *p, unsigned bi, unsigned code, const sr_msg *resp, uint64_t now)
{
    pbranch *b = &p->b[bi];
    int rc = 0;
    b->state = B_DONE;
    b->final = code;
    b->local = resp == NULL;
    b->seq = ++p->seq;
    b->timer_c = b->cancel_at = UINT64_MAX;
    if (p->final_sent)
        return 0; /* §16.7 step 5: absorbed */
    /* The response is lent for this call; it is copied below only if the choice is still
     * open when the call returns (the common single branch sends its final at once). */
    p->lent_b = resp ? b : NULL;
    p->lent_resp = resp;
    if (code >= 600) {
        p->got_6xx = true;
        rc = cancel_others(p, bi, SR_STR_NULL, now); /* §16.7 step 5 */
    }
    const sr_nameaddr *to = resp ? sr_msg_to(resp) : NULL;
    int r = send_199s(p, bi, to ? to->tag : SR_STR_NULL);
    if (r && !rc)
        rc = r;
    r = check_complete(p);
    p->lent_b = NULL;
    p->lent_resp = NULL;
    if (resp && !p->final_sent && sr_msg_dup(&b->resp, resp) != 0)
        b->local = true; /* kept as a made-up answer of the same code */
    return rc ? rc : r;
}

/* §16.7 step 4 with SR_PROXY_RECURSE: the sip/sips Contacts of a 3xx become targets. */
static int recurse(sr_proxy *p, unsigned bi, const sr_msg *resp)
{
    size_t n = 0, bytes = 0, kept = 0;
    for (const sr_header *h = sr_msg_header_find(resp, SR_HDR_CONTACT, NULL); h;
         h = sr_msg_header_find(resp, SR_HDR_CONTACT, h)) {
        size_t pos = 0;
        sr_str v, uri;
        while (sr_value_next(h->value, &pos, &v)) {
            if (sr__proxy_recursable(v, p->sips, &uri, NULL)) {
                n++;
                bytes += uri.len;
            } else if (v.len) {
                kept++;
            }
        }
    }
    if (n == 0)
        return 0;
    /* One block: the targets, their q values, then the URI bytes. */
    sr_str *t = sr__malloc(p->alloc, n * (sizeof *t + sizeof(int)) + bytes);
    if (!t)
        return SR_ENOMEM;
    int *qs = (int *)(t + n);
    char *s = (char *)(qs + n);
    size_t k = 0;
    for (const sr_header *h = sr_msg_header_find(resp, SR_HDR_CONTACT, NULL); h;
         h = sr_msg_header_find(resp, SR_HDR_CONTACT, h)) {
        size_t pos = 0;
        sr_str v, uri;
        int q;
        while (k < n && sr_value_next(h->value, &pos, &v)) {
            if (!sr__proxy_recursable(v, p->sips, &uri, &q))
                continue;
            memcpy(s, uri.p, uri.len);
            /* Highest q first, in received order among equals (RFC 3261 §16.6, §8.1.3.4). */
            size_t j = k++;
            for (; j > 0 && qs[j - 1] < q; j--) {
                t[j] = t[j - 1];
                qs[j] = qs[j - 1];
            }
            t[j] = (sr_str){s, uri.len};
            qs[j] = q;
            s += uri.len;
        }
    }
    sr_proxy_action a = {.kind = SR_PROXY_ACT_RECURSE, .branch = bi};
    a.targets = t;
    a.n_targets = k;
    int rc = push(p, &a, NULL, t);
    if (rc)
        return rc; /* nothing changed: the 3xx is lost as if the network had dropped it */
    p->b[bi].drop = p->sips ? SR__DROP_SIPS : SR__DROP_SIP;
    p->b[bi].recursed = kept == 0;
    p->hold = true; /* the embedder adds its branches, then releases */
    return 0;
}

static int provisional(sr_proxy *p, unsigned bi, const sr_msg *resp, uint64_t now)
{
    pbranch *b = &p->b[bi];
    unsigned st = sr_msg_status(resp);
    int rc = 0;
    if (b->state == B_DONE)
        return 0; /* a provisional after the final: nothing to do */
    b->got_1xx = true;
    b->state = B_PROCEEDING;
    if (p->invite && st > 100 && !b->cancel_sent)
        b->timer_c = now + p->cfg.timer_c; /* §16.7 step 2 */
    if (b->cancel_wanted && !b->cancel_sent)
        rc = send_cancel(p, bi, now); /* §9.1: held until the branch is Proceeding */
    /* §16.7 step 5: 100 never goes on; other provisionals until the final went up. */
    if (st == 100 || p->final_sent)
        return rc;
    if (p->invite) {
        int r = sr__proxy_note_early(p, b, resp);
        if (r && !rc)
            rc = r;
    }
    sr_msg *m = NULL;
    int r = sr__proxy_upstream(&m, resp, st, SR_STR_NULL, SR__KEEP_CONTACTS, p->alloc);
    if (r == 0)
        r = forward(p, bi, m, false);
    return rc ? rc : r;
}

static int success(sr_proxy *p, unsigned bi, const sr_msg *resp, uint64_t now)
{
    pbranch *b = &p->b[bi];
    unsigned st = sr_msg_status(resp);
    if (b->state != B_DONE) {
        b->state = B_DONE;
        b->final = st;
        b->seq = ++p->seq;
        b->timer_c = b->cancel_at = UINT64_MAX;
    }
    /* §16.7 step 5: every 2xx to an INVITE goes upstream, even after the final; a non-INVITE
     * gets exactly one final. */
    if (p->final_sent && !p->invite)
        return 0;
    sr_msg *m = NULL;
    int rc = sr__proxy_upstream(&m, resp, st, SR_STR_NULL, SR__KEEP_CONTACTS, p->alloc);
    if (rc == 0)
        rc = forward(p, bi, m, true);
    else
        p->final_sent = true;
    /* §16.7 step 10: CANCEL the pending branches, saying why (RFC 3326). */
    int r = cancel_others(p, bi, SR_STR(SR_PROXY_REASON_ELSEWHERE), now);
    return rc ? rc : r;
}

int sr_proxy_on_response(sr_proxy *p, unsigned branch, const sr_msg *resp, uint64_t now_ms)
{
    if (!p || !resp || sr_msg_is_request(resp) || branch >= p->nb)
        return SR_EINVAL;
    unsigned st = sr_msg_status(resp);
    if (st < 100 || st > 699)
        return SR_EINVAL;
    if (st < 200)
        return provisional(p, branch, resp, now_ms);
    if (st < 300)
        return success(p, branch, resp, now_ms);
    pbranch *b = &p->b[branch];
    if (b->state == B_DONE)
        return 0; /* a late final after one made up here: absorbed */
    if (st < 400 && (p->cfg.flags & SR_PROXY_RECURSE) && !p->final_sent && !p->got_6xx &&
        !p->cancelled) {
        int rc = recurse(p, branch, resp);
        if (rc)
            return rc;
    }
    return finish(p, branch, st, resp, now_ms);
}

int sr_proxy_on_timeout(sr_proxy *p, unsigned branch, uint64_t now_ms)
{
    if (!p || branch >= p->nb)
        return SR_EINVAL;
    if (p->b[branch].state == B_DONE)
        return 0;
    return finish(p, branch, 408, NULL, now_ms);
}

int sr_proxy_on_transport_error(sr_proxy *p, unsigned branch, uint64_t now_ms)
{
    if (!p || branch >= p->nb)
        return SR_EINVAL;
    if (p->b[branch].state == B_DONE)
        return 0;
    return finish(p, branch, 503, NULL, now_ms); /* §16.9 */
}

int sr_proxy_cancel(sr_proxy *p, sr_str reason, uint64_t now_ms)
{
    if (!p)
        return SR_EINVAL;
    if (!p->invite || p->cancelled)
        return 0;
    p->cancelled = true;
    if (reason.len) {
        p->reason = sr__malloc(p->alloc, reason.len);
        if (!p->reason)
            return SR_ENOMEM;
        memcpy(p->reason, reason.p, reason.len);
        p->reason_len = reason.len;
    }
    return cancel_others(p, SR_PROXY_NO_BRANCH, (sr_str){p->reason, p->reason_len}, now_ms);
}

int sr_proxy_recurse_none(sr_proxy *p, unsigned branch)
{
    if (!p || branch >= p->nb)
        return SR_EINVAL;
    p->b[branch].recursed = false; /* a final like any other, its Contacts all kept */
    p->b[branch].drop = SR__KEEP_CONTACTS;
    return 0;
}

int sr_proxy_hold(sr_proxy *p, bool hold, uint64_t now_ms)
{
    (void)now_ms; /* the same signature as every input; nothing is timed here yet */
    if (!p)
        return SR_EINVAL;
    p->hold = hold;
    return hold ? 0 : check_complete(p);
}

uint64_t sr_proxy_next_deadline(const sr_proxy *p)
{
    uint64_t d = UINT64_MAX;
    for (size_t i = 0; p && i < p->nb; i++) {
        const pbranch *b = &p->b[i];
        if (b->state == B_DONE)
            continue;
        if (b->timer_c < d)
            d = b->timer_c;
        if (b->cancel_at < d)
            d = b->cancel_at;
    }
    return d;
}

int sr_proxy_on_timer(sr_proxy *p, uint64_t now_ms)
{
    if (!p)
        return SR_EINVAL;
    int rc = 0;
    for (size_t i = 0; i < p->nb; i++) {
        pbranch *b = &p->b[i];
        int r = 0;
        if (b->state == B_DONE)
            continue;
        if (b->timer_c <= now_ms) {
            b->timer_c = UINT64_MAX;
            /* §16.8: Timer C cancels a branch that had a provisional; one that had none
             * counts as a 408. */
            if (b->got_1xx) {
                r = want_cancel(p, (unsigned)i, SR_STR_NULL, now_ms);
                if (r == 0 && b->cancel_wanted && !b->cancel_sent)
                    r = send_cancel(p, (unsigned)i, now_ms);
            } else {
                r = finish(p, (unsigned)i, 408, NULL, now_ms);
            }
        } else if (b->cancel_at <= now_ms) {
            /* §9.1: no final 64·T1 after the CANCEL: the branch is over (a 408). */
            r = finish(p, (unsigned)i, 408, NULL, now_ms);
        }
        if (r && !rc)
            rc = r;
    }
    return rc;
}

bool sr_proxy_final_sent(const sr_proxy *p)
{
    return p && p->final_sent;
}

bool sr_proxy_is_done(const sr_proxy *p)
{
    if (!p || !p->final_sent)
        return false;
    for (size_t i = 0; i < p->nb; i++) {
        if (p->b[i].state != B_DONE)
            return false;
    }
    return true;
}

unsigned sr_proxy_branch_final(const sr_proxy *p, unsigned branch)
{
    return p && branch < p->nb && p->b[branch].state == B_DONE ? p->b[branch].final : 0;
}

int sr_proxy_branch_ack(sr_msg **out, const sr_proxy *p, unsigned branch, const sr_msg *resp)
{
    if (!out || !p || branch >= p->nb)
        return SR_EINVAL;
    sr_msg *fwd = NULL;
    int rc = sr__proxy_kept_msg(&p->b[branch].req, &fwd, p->alloc);
    if (rc == 0)
        rc = sr_build_ack(out, fwd, resp, p->alloc);
    sr_msg_free(fwd);
    return rc;
}
