/* sipreplyd: the `forward` action — a stateful forking proxy (RFC 3261 §16). The request
 * checks and the copies sent to each target come from the core (proxy.h, §16.3–§16.6); each
 * copy is a client transaction of the engine's stack (a branch); the branches' responses,
 * timeouts and transport errors go into the core's response context (§16.7–§16.10), and what
 * it decides goes out here: responses upstream on the server transaction (rewritten as the
 * rule says, engine_forward_rw.c), CANCELs with their Reason (RFC 3326) on the branches.
 * Serial forking by q-value groups, recursion on 3xx Contacts and a per-branch timeout are
 * this file's; the target set is engine_forward_set.c's. */
#include "engine_forward_int.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most responses one call holds back (a delay rewrite): a branch sending provisionals
 * without end cannot grow it; finals and 2xx always go in. */
#define FWD_QUEUE_MAX 32

static sd_fwd_call *as_call(void *u)
{
    return sd__kind_of(u) == CALL_MAGIC ? (sd_fwd_call *)u : NULL;
}

static fwd_branch *as_branch(void *u)
{
    return sd__kind_of(u) == BR_MAGIC ? (fwd_branch *)u : NULL;
}

/* ------------------------------------------------------------------ who we are */

/* A URI names us when its host and port are the address the request reached (§16.4). */
static bool is_self(sr_str uri, void *user)
{
    const sd_fwd_call *c = user;
    sr_uri u;
    if (sr_uri_parse(&u, uri.p, uri.len, NULL) != 0 || u.kind == SR_URI_OTHER)
        return false;
    uint16_t port = u.has_port ? u.port : 5060;
    return port == c->jb.local.port && sr_str_caseeq_cstr(u.host, c->jb.local.host);
}

static void fwd_opts(sd_engine *e, sd_fwd_call *c, sr_proxy_fwd_opts *o)
{
    sr_proxy_fwd_opts_init(o);
    o->alloc = e->alloc;
    o->via_host = sr_str_from_cstr(c->jb.local.host);
    o->via_port = c->jb.local.port;
    o->via_transport = SR_STR("UDP");
    o->via_rport = true; /* the reply comes to the UDP socket we sent from (RFC 3581) */
    if (c->f->record_route)
        o->record_route = sr_str_from_cstr(c->rr);
    o->key = e->tag_key;
    o->is_self = is_self;
    o->self_user = c;
    o->has_loop_key = c->has_loop_key; /* hashed once per call (§16.6 step 8) */
    o->loop_key = c->loop_key;
}

/* ------------------------------------------------------------------ the log */

static void call_log(sd_engine *e, sd_fwd_call *c)
{
    if (c->logged)
        return;
    c->logged = true;
    if (!e->o.log)
        return; /* no transaction log (sipreplyd -q): the line is not even written */
    char note[1024];
    size_t n = (size_t)snprintf(note, sizeof(note), "branches:");
    const char *sep = " "; /* the branches in the order they started, comma-separated */
    for (size_t i = 0; i < c->nt && n < sizeof(note); i++) {
        const fwd_branch *b = &c->b[c->order[i]];
        if (!b->added)
            continue;
        unsigned code = sr_proxy_branch_final(c->p, b->index);
        char cs[8];
        snprintf(cs, sizeof(cs), "%u", code);
        n += (size_t)snprintf(note + n, sizeof(note) - n, "%s%s %s%s%s", sep, code ? cs : "-",
                              c->t[b->target].uri, b->replaced ? " replaced" : "",
                              b->timed_out ? " timeout" : "");
        sep = ", ";
    }
    if (n < sizeof(note))
        snprintf(note + n, sizeof(note) - n, "; sent %u%s%s", c->sent, c->why ? ", " : "",
                 c->why ? c->why : "");
    sd__log_tx(e, c->req, &c->jb.src, c->sent, c->jb.rule->name, note);
}

/* ------------------------------------------------------------------ upstream */

/* A held response's room: the call's own when free, else allocated (NULL: out of memory). */
static fwd_out *out_new(sd_engine *e, sd_fwd_call *c)
{
    if (c->out0_used)
        return sd__calloc(e, sizeof(fwd_out));
    c->out0_used = true;
    memset(&c->out0, 0, sizeof c->out0);
    return &c->out0;
}

static void out_free(sd_engine *e, sd_fwd_call *c, fwd_out *o)
{
    if (o == &c->out0)
        c->out0_used = false;
    else
        sd__free(e, o);
}

static void out_flush(sd_engine *e, sd_fwd_call *c, uint64_t now)
{
    while (c->qh && c->qh->due <= now) {
        fwd_out *o = c->qh;
        c->qh = o->next;
        c->qn--;
        if (!c->qh)
            c->qt = NULL;
        int rc = c->stxn ? sr_stack_send_response(e->stack, c->stxn, o->msg, 0, now) : SR_ENOTFOUND;
        if (rc != 0)
            sr_msg_free(o->msg);
        else if (o->status >= 200 && !c->sent)
            c->sent = o->status;
        out_free(e, c, o);
    }
}

/* A response the context sends upstream: rewritten, dropped or delayed as the rule says. */
static void upstream(sd_engine *e, sd_fwd_call *c, const sr_proxy_action *a, sr_msg *m,
                     uint64_t now)
{
    unsigned bcode = a->branch != SR_PROXY_NO_BRANCH ? sr_proxy_branch_final(c->p, a->branch) : 0;
    const sd_rewrite *w = sd__fwd_rewrite_find(c->f, a->status, a->final ? bcode : a->status);
    unsigned status = a->status;
    if (w && w->drop && a->status < 200) {
        sr_msg_free(m);
        return;
    }
    if (w && (w->to || w->reason || w->n_add || w->remove)) {
        sr_msg *r = NULL;
        if (sd__fwd_rewrite(e, w, m, &r) == 0) {
            sr_msg_free(m);
            m = r;
            status = sr_msg_status(m);
        } else {
            e->cnt.failures++; /* sent as it came */
        }
    }
    fwd_out *o = status < 200 && c->qn >= FWD_QUEUE_MAX ? NULL : out_new(e, c);
    if (!o) {
        e->cnt.failures++; /* out of memory, or a provisional past the bound: not sent */
        sr_msg_free(m);
        return;
    }
    c->qn++;
    o->msg = m;
    o->status = status;
    o->due = now + (w ? w->delay_ms : 0);
    if (c->qt && c->qt->due > o->due)
        o->due = c->qt->due; /* never overtakes what is held */
    if (c->qt)
        c->qt->next = o;
    else
        c->qh = o;
    c->qt = o;
}

/* ------------------------------------------------------------------ branches */

/* Where a forwarded request goes: its next hop's host and port (§16.6 step 7), over UDP. The
 * address depends on the hop URI's bytes alone: the last one resolved is kept with them. */
static int next_hop(sd_engine *e, const sr_msg *fwd, sr_addr *dest)
{
    sr_str hop = sr_proxy_next_hop(fwd);
    if (hop.len != 0 && hop.len == e->hop_len && memcmp(hop.p, e->hop_uri, hop.len) == 0) {
        *dest = e->hop_dest;
        return 0;
    }
    sr_uri u;
    char host[SR_ADDR_HOST_MAX];
    if (sr_uri_parse(&u, hop.p, hop.len, NULL) != 0 || u.kind == SR_URI_OTHER || u.host.len == 0 ||
        u.host.len >= sizeof(host))
        return SR_EINVAL;
    memcpy(host, u.host.p, u.host.len);
    host[u.host.len] = '\0';
    int rc = sr_addr_set(dest, host, u.has_port ? u.port : 5060, SR_TP_UDP);
    if (rc == 0 && hop.len <= sizeof(e->hop_uri)) {
        memcpy(e->hop_uri, hop.p, hop.len);
        e->hop_len = hop.len;
        e->hop_dest = *dest;
    }
    return rc;
}

/* Start the branch to target @p t: add it to the context, then send it (or, when this call
 * replaces its answer, feed the context that answer instead). 0, SR_ESTATE (no new branch:
 * a 2xx, a 6xx or a CANCEL came), or another error (the branch counts as a 503). */
static int branch_start(sd_engine *e, sd_fwd_call *c, unsigned t, uint64_t now)
{
    fwd_branch *b = &c->b[t];
    sr_msg *fwd = NULL;
    sr_addr dest;
    int rc = sr_proxy_forward(&fwd, c->req, sr_str_from_cstr(c->t[t].uri), &c->route, t, &c->o);
    if (rc == 0 && (rc = next_hop(e, fwd, &dest)) != 0)
        rc = SR_EINVAL;
    if (rc != 0) {
        sr_msg_free(fwd);
        return rc;
    }
    if ((rc = sr_proxy_branch_add(c->p, fwd, now, &b->index)) != 0) {
        sr_msg_free(fwd);
        return rc;
    }
    b->added = true;
    if (c->repl[t]) {
        /* fault injection: the target is not asked; its answer is the replace code, built
         * for the copy we would have sent (our Via on top: the context strips it) */
        b->replaced = true;
        sr_msg *r = NULL;
        if (sd__build(e, &c->jb, fwd, NULL, c->repl[t], false, e->tag_key, &r) != 0 ||
            sr_proxy_on_response(c->p, b->index, r, now) != 0)
            sr_proxy_on_transport_error(c->p, b->index, now);
        sr_msg_free(r);
        sr_msg_free(fwd);
        return 0;
    }
    rc = sr_stack_send_request(e->stack, fwd, &dest, now, &b->txn);
    if (rc != 0) {
        sr_msg_free(fwd);
        sr_proxy_on_transport_error(c->p, b->index, now); /* §16.9: counts as a 503 */
        return 0;
    }
    b->live = true;
    int urc = sr_stack_txn_set_user(e->stack, b->txn, b);
    (void)urc; /* the transaction was just started: it is live */
    b->deadline = c->f->branch_ms ? now + c->f->branch_ms : UINT64_MAX;
    return 0;
}

/* Start the next group: every target of the next q-value (sequential; each 3xx Contact a
 * group of its own), or all (parallel). Holds the context while groups remain (§16.6: serial
 * forking), releases it when none does. */
static void group_start(sd_engine *e, sd_fwd_call *c, uint64_t now)
{
    size_t n = c->nt;
    unsigned g = c->started < n ? c->t[c->order[c->started]].group : 0;
    bool stop = false;
    while (c->started < n && !stop &&
           (!c->f->sequential || c->t[c->order[c->started]].group == g)) {
        unsigned t = c->order[c->started++];
        int rc = branch_start(e, c, t, now);
        if (rc == SR_ESTATE)
            stop = true; /* a 2xx, 6xx or CANCEL: no new branch (§16.7 step 5, §16.10) */
        else if (rc != 0)
            e->cnt.failures++;
    }
    if (stop)
        c->started = n;
    bool more = c->started < n;
    if (more != c->held) {
        c->held = more;
        int hrc = sr_proxy_hold(c->p, more, now);
        (void)hrc; /* SR_ENOMEM: the final is sent at the next event */
    }
}

/* Every branch started has its final: the group is over. */
static bool group_over(const sd_fwd_call *c)
{
    for (size_t i = 0; i < c->started; i++) {
        const fwd_branch *b = &c->b[c->order[i]];
        if (b->added && sr_proxy_branch_final(c->p, b->index) == 0)
            return false;
    }
    return true;
}

/* ------------------------------------------------------------------ the call */

/* The earliest of Timer C (the context's), a held response's and a branch-timeout. */
static uint64_t call_deadline(const sd_fwd_call *c)
{
    uint64_t d = sr_proxy_next_deadline(c->p);
    if (c->qh && c->qh->due < d)
        d = c->qh->due;
    for (size_t i = 0; i < c->nt; i++)
        if (c->b[i].live && c->b[i].deadline < d)
            d = c->b[i].deadline;
    return d;
}

/* @p c in the heap at its deadline; out of memory, every call is looked at next timer. */
static void call_schedule(sd_engine *e, sd_fwd_call *c)
{
    if (sd__due_set(e, &e->fwd_heap, &c->due, call_deadline(c)) != 0) {
        e->cnt.failures++;
        e->fwd_rescan = true;
    }
}

static void call_free(sd_engine *e, sd_fwd_call *c)
{
    sd__due_remove(&e->fwd_heap, &c->due);
    if (c->prev)
        c->prev->next = c->next;
    else
        e->fwds = c->next;
    if (c->next)
        c->next->prev = c->prev;
    for (size_t i = 0; c->b && i < c->nt; i++) {
        if (c->b[i].live) /* settled, or shutdown: the transaction forgets us */
            sr_stack_txn_set_user(e->stack, c->b[i].txn, NULL);
    }
    if (c->stxn)
        sr_stack_txn_set_user(e->stack, c->stxn, NULL);
    while (c->qh) {
        fwd_out *o = c->qh;
        c->qh = o->next;
        sr_msg_free(o->msg);
        out_free(e, c, o);
    }
    sr_proxy_free(c->p);
    sr_msg_free(c->req);
    sd__fwd_targets_free(e, c);
    sd__cfg_release(e, c->jb.cfg);
    sd__forward_free(c->own);
    c->magic = 0;
    sd__free(e, c);
}

/* After anything happened to @p c: carry out the context's decisions, go on with serial
 * forking, send what is due, log once done, free once nothing can reach it any more. */
static void call_run(sd_engine *e, sd_fwd_call *c, uint64_t now)
{
    for (int round = 0; round < 64; round++) {
        sr_proxy_action a;
        while (sr_proxy_poll(c->p, &a) == 0) {
            if (a.kind == SR_PROXY_ACT_RECURSE) {
                /* §16.7 step 4: the 3xx's Contacts join the target set; the context holds
                 * its final until we release it (group_start) */
                sd__fwd_recurse(e, c, a.branch, a.targets, a.n_targets, c->resp3xx);
                c->held = true;
                if (!c->f->sequential)
                    group_start(e, c, now); /* parallel: at once */
                continue;
            }
            sr_msg *m = NULL;
            if (sr_proxy_action_take_msg(c->p, &m) != 0)
                continue;
            if (a.kind == SR_PROXY_ACT_FORWARD) {
                upstream(e, c, &a, m, now);
            } else if (a.kind == SR_PROXY_ACT_CANCEL && a.branch < sr_proxy_branch_count(c->p)) {
                fwd_branch *b = NULL;
                for (size_t i = 0; i < c->nt && !b; i++)
                    if (c->b[i].added && c->b[i].index == a.branch)
                        b = &c->b[i];
                /* §9.1: the stack holds it until the branch is Proceeding */
                if (!b || !b->live || sr_stack_cancel_msg(e->stack, b->txn, m, now, NULL) != 0)
                    sr_msg_free(m);
            } else {
                sr_msg_free(m);
            }
        }
        if (!c->held || !group_over(c))
            break;
        group_start(e, c, now); /* serial forking: the next q group (or release the hold) */
    }
    c->resp3xx = NULL; /* polled: its RECURSE, if any, is done */
    out_flush(e, c, now);
    if (sr_proxy_is_done(c->p) && !c->qh && !c->logged) {
        call_log(e, c);
        if (!c->sent && c->stxn) {
            /* no final could go up (out of memory): end the server transaction, which
             * only a final would end otherwise (§17.2.1), as the engine does for its own */
            int arc = sr_stack_abandon(e->stack, c->stxn, now);
            (void)arc; /* SR_ESTATE: a final went after all */
        }
    }
    bool live = c->qh != NULL || !c->logged || c->slive;
    /* settled: a 300-699 went up and every branch has its own 300-699: the rest is the
     * transactions' (§17.1.1.2, §17.2.1; a late CANCEL changes nothing, §16.10), so the call
     * goes now, not after Timer D. A 2xx keeps it (its retransmissions are forwarded). */
    bool settled = live && !c->qh && c->logged && c->sent >= 300 && (c->stxn || !c->slive);
    for (size_t i = 0; i < c->nt && (!live || settled); i++) {
        live = live || c->b[i].live;
        settled = settled && (!c->b[i].live || c->b[i].final_rx >= 300);
    }
    if (!live || settled)
        call_free(e, c);
    else
        call_schedule(e, c);
}

/* Answer @p code ourselves (the request checks, a forward that could not start). */
static void reply(sd_engine *e, const job *j, const sr_msg *req, unsigned code, const char *why,
                  uint64_t now)
{
    sr_msg *r = NULL;
    job tmp = *j;
    bool sent = sd__build(e, &tmp, req, NULL, code, false, e->tag_key, &r) == 0 &&
                sd__send_resp(e, &tmp, r, 0, now) == 0;
    sd__log_tx(e, req, &j->src, sent ? code : 0, j->rule->name, why);
}

/* Forward @p req as @p f says (@p own: f, made for this call, freed with it). */
static void fwd_begin(sd_engine *e, const job *j, const sd_forward *f, sd_forward *own,
                      const sr_msg *req, bool lent, uint64_t now)
{
    sd_fwd_call *c = sd__calloc(e, sizeof(*c));
    if (!c) {
        sd__forward_free(own);
        e->cnt.failures++;
        reply(e, j, req, 500, "out of memory: not forwarded", now);
        return;
    }
    c->own = own;
    c->magic = CALL_MAGIC;
    c->due = (sd_due){.due = UINT64_MAX, .heap_i = SIZE_MAX};
    c->jb = *j;
    c->jb.req = NULL;
    c->f = f;
    if (f->record_route)
        snprintf(c->rr, sizeof(c->rr), "sip:%s:%u;lr", j->local.host, (unsigned)j->local.port);
    sr_proxy_fwd_opts o;
    fwd_opts(e, c, &o);
    /* the loop part of every branch, for the loop check and each copy: the request is not
     * changed after this (c->req is it, or its copy) */
    c->loop_key = o.loop_key = sr_proxy_loop_key(req, &o);
    c->has_loop_key = o.has_loop_key = true;
    c->o = o; /* every branch's (c, and so self_user, stays where it is) */
    unsigned code = 0;
    /* §16.3: the request checks (400, 416, 483, 482, 420) */
    if (sr_proxy_check_request(req, &o, sd__supported_tags, &code) != 0 || code != 0) {
        sd__forward_free(own);
        sd__free(e, c);
        reply(e, j, req, code ? code : 400, "not forwarded (RFC 3261 §16.3)", now);
        return;
    }
    sr_msg *taken = NULL; /* the request the stack lent with the event: taken, not copied */
    if (lent && sr_stack_event_take_msg(e->stack, &taken) == 0 && taken == req)
        c->req = taken;
    else if ((sr_msg_free(taken), sr_msg_dup(&c->req, req)) != 0)
        c->req = NULL;
    int rc = c->req ? 0 : SR_ENOMEM;
    const char *why = "not forwarded";
    if (rc == 0)
        rc = sr_proxy_route_preprocess(c->req, &o, &c->route); /* §16.4 */
    if (rc == 0)
        rc = sd__fwd_targets(e, c, now, &code, &why); /* §16.5 */
    sr_proxy_config pc;
    sr_proxy_config_default(&pc);
    pc.alloc = e->alloc;
    pc.timer_c = f->timer_c_ms;
    /* c->req outlives c->p and is not changed after this (call_free frees c->p first) */
    pc.flags = (f->keep_503 ? SR_PROXY_KEEP_503 : 0) | (f->recurse ? SR_PROXY_RECURSE : 0) |
               SR_PROXY_REQ_LENT;
    pc.max_branches = c->cap;
    if (rc == 0)
        rc = sr_proxy_new(&c->p, c->req, &pc);
    if (rc == 0)
        rc = sr_stack_txn_set_user(e->stack, j->txn, c);
    if (rc != 0) {
        /* answered first: req may be c->req */
        reply(e, j, req, rc == SR_ENOTFOUND ? code : rc == SR_EBADMSG ? 400 : 500, why, now);
        sr_proxy_free(c->p);
        sr_msg_free(c->req);
        sd__fwd_targets_free(e, c);
        sd__forward_free(own);
        sd__free(e, c);
        if (rc == SR_ENOMEM)
            e->cnt.failures++;
        return;
    }
    c->stxn = j->txn;
    c->slive = true;
    /* §16.10: a CANCEL gets its 200 from the stack; the INVITE's final is the branches' */
    int prc = sr_stack_server_proxy(e->stack, j->txn);
    (void)prc;      /* SR_ENOTFOUND: not an INVITE, nothing to cancel */
    e->cur->refs++; /* the configuration (and so f) lives as long as the call */
    c->jb.cfg = e->cur->cfg;
    c->next = e->fwds;
    if (e->fwds)
        e->fwds->prev = c;
    e->fwds = c;
    group_start(e, c, now);
    if (sr_proxy_branch_count(c->p) == 0) {
        /* no branch could be started: the context sends nothing (proxy.md), we answer */
        c->why = "no target could be reached";
        sr_msg *r = NULL;
        if (sd__build(e, &c->jb, req, NULL, 500, false, e->tag_key, &r) == 0 &&
            sd__send_resp(e, &c->jb, r, 0, now) == 0)
            c->sent = 500;
        call_log(e, c);
        call_free(e, c);
        return;
    }
    call_run(e, c, now);
}

void sd__fwd_start(sd_engine *e, const job *j, const sd_action *a, const sr_msg *req, bool lent,
                   uint64_t now)
{
    fwd_begin(e, j, a->forward, NULL, req, lent, now);
}

/* ------------------------------------------------------------------ inside a dialog */

/* Whether the first Route of @p req names us (the address it reached, §16.4): a request
 * inside a dialog we record-routed (§16.6 step 4, §12.2.1.1). */
static bool routed_to_us(const sr_msg *req, const sd_local *local)
{
    const sr_header *h = sr_msg_header_find(req, SR_HDR_ROUTE, NULL);
    size_t pos = 0;
    sr_str item;
    sr_nameaddr na;
    if (!h || !sr_value_next(h->value, &pos, &item) || sr_nameaddr_parse(&na, item, NULL) != 0)
        return false;
    sd_fwd_call tmp;
    memset(&tmp, 0, sizeof(tmp));
    tmp.jb.local = *local;
    return is_self(na.uri, &tmp);
}

bool sd__fwd_routed(sd_engine *e, const sr_event *ev, const sd_local *local, uint64_t now)
{
    const sr_msg *req = ev->msg;
    sr_method m = sr_msg_method(req);
    const sr_nameaddr *to = sr_msg_to(req);
    if (m == SR_METHOD_CANCEL || !to || to->tag.len == 0 || !routed_to_us(req, local))
        return false;
    static const sd_rule route_rule = {.name = "route"};
    job j;
    memset(&j, 0, sizeof(j));
    j.txn = ev->txn;
    j.cfg = sd__cfg_of(e);
    j.rule = &route_rule;
    j.src = ev->addr;
    j.local = *local;
    sd_forward none;
    memset(&none, 0, sizeof(none));
    sd_fwd_call tmp;
    memset(&tmp, 0, sizeof(tmp));
    tmp.jb = j;
    tmp.f = &none;
    sr_proxy_fwd_opts o;
    fwd_opts(e, &tmp, &o);
    sr_proxy_route r;
    if (sr_proxy_route_preprocess(req, &o, &r) != 0)
        return false; /* a Route that does not parse: the rules answer it */
    if (m == SR_METHOD_ACK) {
        /* the ACK for a 2xx is a transaction of its own, end to end (§13.2.2.4, §17.1.1.3):
         * forwarded without state to the next hop, never answered */
        sr_msg *fwd = NULL;
        sr_addr dest;
        sr_buf b;
        sr_buf_init(&b, e->alloc);
        if (sr_proxy_forward(&fwd, req, r.request_uri, &r, 0, &o) == 0 &&
            next_hop(e, fwd, &dest) == 0 && sr_msg_print(fwd, &b) == 0)
            e->o.send(b.p, b.len, &dest, e->o.user);
        else
            e->cnt.failures++;
        sr_buf_cleanup(&b);
        sr_msg_free(fwd);
        return true;
    }
    if (ev->txn == 0)
        return false;
    /* BYE, re-INVITE, UPDATE...: forwarded statefully to the Request-URI, the one target */
    sd_forward *f = calloc(1, sizeof(*f));
    sd_fwd_target *t = calloc(1, sizeof(*t));
    char *uri = malloc(r.request_uri.len + 1);
    if (!f || !t || !uri) {
        free(f);
        free(t);
        free(uri);
        e->cnt.failures++;
        reply(e, &j, req, 500, "out of memory: not forwarded", now);
        return true;
    }
    memcpy(uri, r.request_uri.p, r.request_uri.len);
    uri[r.request_uri.len] = '\0';
    t->uri = uri;
    t->q = 1000;
    f->targets = t;
    f->n_targets = 1;
    f->timer_c_ms = 181000;
    fwd_begin(e, &j, f, f, req, true, now);
    return true;
}

bool sd__fwd_owns(const sd_engine *e, sr_txn_id txn)
{
    return as_call(sr_stack_txn_user(e->stack, txn)) != NULL;
}

/* The Reason of a CANCEL from upstream, passed on to the branches (RFC 3326). */
static sr_str reason_of(const sr_msg *m)
{
    const sr_header *h = sr_msg_header_find_name(m, SR_STR("Reason"), NULL);
    return h ? h->value : SR_STR_NULL;
}

bool sd__fwd_event(sd_engine *e, const sr_event *ev, uint64_t now)
{
    fwd_branch *b = as_branch(ev->user);
    sd_fwd_call *c = b ? b->call : as_call(ev->user);
    switch (ev->kind) {
    case SR_EV_RESPONSE:
        if (!b)
            /* the answer to one of our CANCELs (its transaction has no user data): done */
            return ev->txn != 0 && sr_msg_cseq(ev->msg) &&
                   sr_msg_cseq(ev->msg)->method_id == SR_METHOD_CANCEL;
        /* a response matched to our client transaction (its branch is ours, unguessable):
         * the address receives what we send */
        sd__sign(e, &ev->addr, SD_SIGN_ALIVE);
        if (!b->final_rx && sr_msg_status(ev->msg) >= 200)
            b->final_rx = sr_msg_status(ev->msg);
        c->resp3xx = ev->msg; /* until call_run below has polled its RECURSE */
        if (sr_proxy_on_response(c->p, b->index, ev->msg, now) != 0)
            e->cnt.failures++;
        break;
    case SR_EV_TIMEOUT:
        if (!b)
            return c != NULL;
        if (ev->timer == 'B' || ev->timer == 'F') /* §16.7 step 6 via §17.1.1.2: a 408 */
            sr_proxy_on_timeout(c->p, b->index, now);
        break;
    case SR_EV_TRANSPORT_ERROR:
        if (b)
            sr_proxy_on_transport_error(c->p, b->index, now); /* §16.9 */
        else if (c)
            c->stxn = 0; /* upstream is gone: nothing more can be sent there */
        else
            return false;
        break;
    case SR_EV_TERMINATED:
        if (b) {
            b->live = false;
            b->txn = 0;
            if (sr_proxy_branch_final(c->p, b->index) == 0)
                sr_proxy_on_timeout(c->p, b->index, now);
        } else if (c) {
            c->stxn = 0;
            c->slive = false;
        } else {
            return false;
        }
        break;
    case SR_EV_REQUEST: {
        sd_fwd_call *inv = as_call(ev->related_user);
        if (!inv)
            return false;
        if (sr_msg_method(ev->msg) != SR_METHOD_CANCEL) {
            /* a PRACK or ACK the stack tied to a forwarded INVITE: not ours to answer (it
             * never sends a reliable 1xx or resends a 2xx itself); the engine's handlers
             * would take the call for a job */
            e->cnt.dropped++;
            int arc = ev->txn ? sr_stack_abandon(e->stack, ev->txn, now) : 0;
            (void)arc;
            return true;
        }
        /* §16.10: the stack answered the CANCEL (200); every branch without a final is
         * cancelled, with the Reason the caller gave, and their answers decide the final */
        sd__count_request(e, ev->msg);
        sd__sign(e, &ev->addr, SD_SIGN_REQUEST);
        c = inv;
        if (!c->sent)
            c->why = "cancelled";
        sr_proxy_cancel(c->p, reason_of(ev->msg), now);
        break;
    }
    case SR_EV_SEND: return false;          /* the engine sends */
    default: return b != NULL || c != NULL; /* ours (PRACK or 2xx timeouts never are): absorbed */
    }
    if (c)
        call_run(e, c, now);
    return true;
}

uint64_t sd__fwd_next_deadline(const sd_engine *e)
{
    if (e->fwd_rescan)
        return 0;
    const sd_due *d = sd__due_top(&e->fwd_heap);
    return d ? d->due : UINT64_MAX;
}

/* What is due in call @p c by @p now: branch timeouts, the context's timers, held responses. */
static void call_on_timer(sd_engine *e, sd_fwd_call *c, uint64_t now)
{
    for (size_t i = 0; i < c->nt; i++) {
        fwd_branch *b = &c->b[i];
        if (!b->live || b->deadline > now)
            continue;
        b->deadline = UINT64_MAX;
        if (sr_proxy_branch_final(c->p, b->index) != 0)
            continue;
        /* branch-timeout: the branch counts as a 408 and is cancelled (§9.1: the stack
         * waits for its provisional) */
        b->timed_out = true;
        sr_proxy_on_timeout(c->p, b->index, now);
        if (c->req && sr_msg_method(c->req) == SR_METHOD_INVITE) {
            int rc = sr_stack_cancel(e->stack, b->txn, now, NULL);
            (void)rc; /* SR_ESTATE: a final is arriving anyway */
        }
    }
    if (sr_proxy_next_deadline(c->p) <= now)
        sr_proxy_on_timer(c->p, now);
    call_run(e, c, now); /* schedules c again, or frees it */
}

void sd__fwd_on_timer(sd_engine *e, uint64_t now)
{
    if (e->fwd_rescan) { /* the heap lost a call (out of memory): look at every call */
        e->fwd_rescan = false;
        for (sd_fwd_call *c = e->fwds, *next; c; c = next) {
            next = c->next; /* call_run may free c */
            call_on_timer(e, c, now);
        }
        return;
    }
    sd_fwd_call *due = NULL, **tail = &due; /* out first: a call run may be due again */
    for (sd_due *d; (d = sd__due_top(&e->fwd_heap)) != NULL && d->due <= now;) {
        sd_fwd_call *c = (sd_fwd_call *)(void *)((char *)d - offsetof(sd_fwd_call, due));
        sd__due_remove(&e->fwd_heap, d);
        c->due_next = NULL;
        *tail = c;
        tail = &c->due_next;
    }
    for (sd_fwd_call *c = due, *next; c; c = next) {
        next = c->due_next;
        call_on_timer(e, c, now);
    }
}

size_t sd__fwd_pending(const sd_engine *e)
{
    size_t n = 0;
    for (const sd_fwd_call *c = e->fwds; c; c = c->next)
        n += c->sent == 0;
    return n;
}

void sd__fwd_free_all(sd_engine *e)
{
    while (e->fwds)
        call_free(e, e->fwds);
    sd__free(e, e->fwd_heap.a);
    e->fwd_heap = (sd_due_heap){0};
}
