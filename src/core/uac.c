/* sipreply core: the UAC context — its API, its event queue and the dispatch of the stack's
 * events (RFC 3261 §8.1, §13.2.2, §9.1; RFC 3262 §4; RFC 6228). Decisions on final responses
 * are in uac_resp.c, requests are built in uac_req.c. */
#include <string.h>

#include "sipreply/auth.h"
#include "sipreply/error.h"
#include "sipreply/status.h"

#include "core_int.h"
#include "uac_int.h"

void sr_uac_config_init(sr_uac_config *c)
{
    if (c == NULL)
        return;
    memset(c, 0, sizeof(*c));
    c->size = sizeof(*c);
    c->follow = SR_UAC_FOLLOW_ALL;
    c->digest_algs = SR_DIGEST_ALL;
    c->max_redirects = 5;
    c->max_requests = 16;
    c->max_retry_after = 32;
    c->call_id_owner = true;
    c->t1 = 500;
}

/* ------------------------------------------------------------------ names */

static const struct {
    const char *name, *rfc;
} actions[] = {
    [SR_UAC_ACT_NONE] = {"NONE", ""},
    [SR_UAC_ACT_PRACK] = {"PRACK", "RFC 3262 §4"},
    [SR_UAC_ACT_EARLY_END] = {"EARLY_END", "RFC 6228"},
    [SR_UAC_ACT_ACK] = {"ACK", "RFC 3261 §13.2.2.4"},
    [SR_UAC_ACT_ACK_AGAIN] = {"ACK_AGAIN", "RFC 3261 §13.2.2.4"},
    [SR_UAC_ACT_BYE] = {"BYE", "RFC 3261 §15"},
    [SR_UAC_ACT_REDIRECT] = {"REDIRECT", "RFC 3261 §8.1.3.4"},
    [SR_UAC_ACT_REDIRECT_SKIP] = {"REDIRECT_SKIP", "RFC 3261 §8.1.3.4"},
    [SR_UAC_ACT_USE_PROXY] = {"USE_PROXY", "RFC 3261 §21.3.4"},
    [SR_UAC_ACT_ALTERNATIVE] = {"ALTERNATIVE", "RFC 3261 §21.3.5"},
    [SR_UAC_ACT_AUTH] = {"AUTH", "RFC 3261 §22.2, RFC 8760 §2.4"},
    [SR_UAC_ACT_AUTH_FAILED] = {"AUTH_FAILED", "RFC 3261 §22.2"},
    [SR_UAC_ACT_DROP_OPTION] = {"DROP_OPTION", "RFC 3261 §8.1.3.5"},
    [SR_UAC_ACT_ADD_OPTION] = {"ADD_OPTION", "RFC 3261 §21.4.16"},
    [SR_UAC_ACT_SESSION_EXPIRES] = {"SESSION_EXPIRES", "RFC 4028 §7.3"},
    [SR_UAC_ACT_EXPIRES] = {"EXPIRES", "RFC 3261 §10.2.8"},
    [SR_UAC_ACT_BODY] = {"BODY", "RFC 3261 §21.4.13"},
    [SR_UAC_ACT_GLARE_WAIT] = {"GLARE_WAIT", "RFC 3261 §14.1"},
    [SR_UAC_ACT_NEXT_SERVER] = {"NEXT_SERVER", "RFC 3263 §4.3"},
    [SR_UAC_ACT_RETRY_AFTER] = {"RETRY_AFTER", "RFC 3261 §21.5.4"},
    [SR_UAC_ACT_STOP_6XX] = {"STOP_6XX", "RFC 3261 §21.6"},
    [SR_UAC_ACT_LOOP] = {"LOOP", "RFC 3261 §21.4.20"},
    [SR_UAC_ACT_UNKNOWN_CODE] = {"UNKNOWN_CODE", "RFC 3261 §8.1.3.2"},
    [SR_UAC_ACT_CANCEL] = {"CANCEL", "RFC 3261 §9.1"},
    [SR_UAC_ACT_TIMER_C] = {"TIMER_C", "RFC 3261 §9.1"},
};

const char *sr_uac_action_name(sr_uac_action a)
{
    return (unsigned)a < sizeof(actions) / sizeof(actions[0]) ? actions[a].name : "?";
}

const char *sr_uac_action_rfc(sr_uac_action a)
{
    return (unsigned)a < sizeof(actions) / sizeof(actions[0]) ? actions[a].rfc : "";
}

const char *sr_uac_outcome_name(sr_uac_outcome o)
{
    static const char *const n[] = {"ok",        "rejected",    "redirected", "alternative",
                                    "loop",      "auth-failed", "timeout",    "transport-error",
                                    "cancelled", "limit",       "error"};
    return (unsigned)o < sizeof(n) / sizeof(n[0]) ? n[o] : "?";
}

/* ------------------------------------------------------------------ events */

static void qev_release(sr_uac *u, sr__uac_qev *e)
{
    sr_msg_free(e->msg);
    sr__free(u->alloc, e->text);
    memset(e, 0, sizeof(*e));
}

/* Queue @p ev with a copy of @p msg and of @p text (ev->uri or ev->detail points at it).
 * One slot stays free for DONE; an event that finds no room is counted, never blocks. */
void sr__uac_emit(sr_uac *u, const sr_uac_event *ev, const sr_msg *msg, sr_str text)
{
    size_t room = ev->kind == SR_UAC_EV_DONE ? SR__UAC_QCAP : SR__UAC_QCAP - 1;
    if (u->q_len >= room) {
        u->dropped++;
        return;
    }
    sr__uac_qev *e = &u->q[(u->q_head + u->q_len) % SR__UAC_QCAP];
    memset(e, 0, sizeof(*e));
    e->ev = *ev;
    e->ev.msg = NULL;
    e->ev.uri = (sr_str){NULL, 0};
    e->ev.detail = (sr_str){NULL, 0};
    /* A copy that cannot be made (no memory) leaves the event without it. */
    if (msg != NULL && sr__msg_dup(&e->msg, msg, u->alloc, false) == 0)
        e->ev.msg = e->msg;
    if (text.len > 0 && (e->text = sr__malloc(u->alloc, text.len + 1)) != NULL) {
        memcpy(e->text, text.p, text.len);
        e->text[text.len] = '\0';
        sr_str t = {e->text, text.len};
        if (ev->kind == SR_UAC_EV_SENT)
            e->ev.uri = t;
        else
            e->ev.detail = t;
    }
    u->q_len++;
}

void sr__uac_action(sr_uac *u, sr_uac_action a, unsigned status, sr_str detail, uint64_t delay)
{
    sr_uac_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = SR_UAC_EV_ACTION;
    ev.attempt = u->attempts;
    ev.txn = u->txn;
    ev.action = a;
    ev.rfc = sr_uac_action_rfc(a);
    ev.status = status;
    ev.delay_ms = delay;
    sr__uac_emit(u, &ev, NULL, detail);
}

void sr__uac_finish(sr_uac *u, sr_uac_outcome o, unsigned status, const sr_msg *resp, int error)
{
    if (u->done)
        return;
    u->done = true;
    u->wait_until = UINT64_MAX;
    u->cancel_until = UINT64_MAX;
    sr_uac_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = SR_UAC_EV_DONE;
    ev.attempt = u->attempts;
    ev.txn = u->txn;
    ev.status = status;
    ev.outcome = o;
    ev.error = error;
    sr__uac_emit(u, &ev, resp, (sr_str){NULL, 0});
}

int sr_uac_poll(sr_uac *u, sr_uac_event *ev)
{
    if (u == NULL || ev == NULL)
        return SR_EINVAL;
    qev_release(u, &u->cur_ev);
    if (u->q_len == 0) {
        memset(ev, 0, sizeof(*ev));
        return SR_ENOTFOUND;
    }
    u->cur_ev = u->q[u->q_head];
    memset(&u->q[u->q_head], 0, sizeof(u->q[0]));
    u->q_head = (u->q_head + 1) % SR__UAC_QCAP;
    u->q_len--;
    *ev = u->cur_ev.ev;
    return 0;
}

/* ------------------------------------------------------------------ our transactions */

void sr__uac_live_add(sr_uac *u, sr_txn_id id)
{
    if (u->n_live < SR__UAC_LIVE)
        u->live[u->n_live++] = id;
}

static bool live_del(sr_uac *u, sr_txn_id id)
{
    for (size_t i = 0; i < u->n_live; i++) {
        if (u->live[i] == id) {
            u->live[i] = u->live[--u->n_live];
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------ lifecycle */

int sr_uac_new(sr_uac **out, sr_stack *stack, const sr_msg *req, const sr_uac_config *cfg)
{
    if (out == NULL || stack == NULL || req == NULL || cfg == NULL || cfg->size == 0 ||
        cfg->size > sizeof(sr_uac_config) || !sr_msg_is_request(req) || cfg->servers == NULL ||
        cfg->n_servers == 0 || cfg->via_host == NULL || cfg->via_host[0] == '\0')
        return SR_EINVAL;
    sr_method m = sr_msg_method(req);
    const sr_cseq *cs = sr_msg_cseq(req);
    if (m == SR_METHOD_ACK || m == SR_METHOD_CANCEL || cs == NULL ||
        sr_msg_call_id(req).p == NULL || sr_msg_from(req) == NULL || sr_msg_to(req) == NULL)
        return SR_EINVAL;
    const sr_allocator *a = sr__alloc_or_default(cfg->alloc);
    sr_uac *u = sr__malloc(a, sizeof(*u));
    if (u == NULL)
        return SR_ENOMEM;
    memset(u, 0, sizeof(*u));
    u->alloc = a;
    u->stack = stack;
    memcpy(&u->cfg, cfg, cfg->size);
    u->cfg.size = sizeof(u->cfg);
    u->method = m;
    u->cseq = cs->num - 1; /* the first request keeps the caller's number */
    u->session_expires = -1;
    u->expires = -1;
    u->body = -1;
    u->wait_until = UINT64_MAX;
    u->cancel_until = UINT64_MAX;
    if (u->cfg.t1 == 0)
        u->cfg.t1 = 500;
    int err = sr__msg_dup(&u->tmpl, req, a, false);
    if (err == 0)
        err = sr__uac_target_add(u, 0, sr_msg_request_uri(req), (sr_str){NULL, 0});
    if (err != 0) {
        sr_uac_free(u);
        return err;
    }
    sr__uac_target *t = &u->targets[0];
    t->n_servers = cfg->n_servers < SR__UAC_SERVERS ? cfg->n_servers : SR__UAC_SERVERS;
    memcpy(t->servers, cfg->servers, t->n_servers * sizeof(sr_addr));
    *out = u;
    return 0;
}

void sr_uac_free(sr_uac *u)
{
    if (u == NULL)
        return;
    for (size_t i = 0; i < u->n_live; i++) {
        sr_txn_state st;
        int rc = sr_stack_txn_set_user(u->stack, u->live[i], NULL);
        (void)rc; /* SR_ENOTFOUND: it ended already */
        if (sr_stack_txn_state(u->stack, u->live[i], &st) == 0 &&
            (st == SR_TXN_CALLING || st == SR_TXN_TRYING || st == SR_TXN_PROCEEDING)) {
            rc = sr_stack_forget(u->stack, u->live[i], 0);
            (void)rc; /* it was found just above */
        }
    }
    qev_release(u, &u->cur_ev);
    while (u->q_len > 0) {
        qev_release(u, &u->q[u->q_head]);
        u->q_head = (u->q_head + 1) % SR__UAC_QCAP;
        u->q_len--;
    }
    for (size_t i = 0; i < u->n_targets; i++) {
        sr__free(u->alloc, u->targets[i].uri);
        sr__free(u->alloc, u->targets[i].route);
    }
    for (size_t i = 0; i < u->n_dialogs; i++)
        sr_msg_free(u->dialogs[i].ok);
    for (size_t i = 0; i < u->n_realms; i++) {
        sr__free(u->alloc, u->realms[i].realm);
        sr__free(u->alloc, u->realms[i].chal);
    }
    for (size_t i = 0; i < u->n_drop; i++)
        sr__free(u->alloc, u->drop[i]);
    for (size_t i = 0; i < u->n_add; i++)
        sr__free(u->alloc, u->add[i]);
    sr_msg_free(u->tmpl);
    sr_msg_free(u->req);
    sr__free(u->alloc, u);
}

int sr_uac_start(sr_uac *u, uint64_t now_ms)
{
    if (u == NULL)
        return SR_EINVAL;
    if (u->started)
        return SR_ESTATE;
    u->started = true;
    return sr__uac_attempt(u, now_ms);
}

bool sr_uac_is_done(const sr_uac *u)
{
    return u != NULL && u->done;
}

bool sr_uac_is_active(const sr_uac *u)
{
    return u != NULL && (!u->done || u->n_live > 0);
}

uint64_t sr_uac_dropped(const sr_uac *u)
{
    return u == NULL ? 0 : u->dropped;
}

uint64_t sr_uac_next_deadline(const sr_uac *u)
{
    if (u == NULL)
        return UINT64_MAX;
    return u->wait_until < u->cancel_until ? u->wait_until : u->cancel_until;
}

void sr__uac_cancel_sent(sr_uac *u, uint64_t now)
{
    u->cancel_until = now + 64 * (uint64_t)u->cfg.t1;
}

int sr_uac_on_timer(sr_uac *u, uint64_t now_ms)
{
    if (u == NULL)
        return SR_EINVAL;
    if (u->done)
        return 0;
    if (now_ms >= u->cancel_until) {
        /* §9.1: no final 64·T1 after the CANCEL: the INVITE is given up. */
        u->cancel_until = UINT64_MAX;
        if (!u->final_seen && u->txn != 0) {
            int rc = sr_stack_forget(u->stack, u->txn, now_ms);
            (void)rc; /* SR_ENOTFOUND: it ended already */
            sr__uac_finish(u, u->timer_c ? SR_UAC_TIMEOUT : SR_UAC_CANCELLED, 0, NULL, 0);
            return 0;
        }
    }
    if (u->wait_until == UINT64_MAX || now_ms < u->wait_until)
        return 0;
    u->wait_until = UINT64_MAX;
    int rc = sr__uac_attempt(u, now_ms);
    (void)rc; /* a failed attempt has ended the context with SR_UAC_ERROR already */
    return 0;
}

int sr_uac_resolved(sr_uac *u, sr_str uri, const sr_addr *servers, size_t n, uint64_t now_ms)
{
    if (u == NULL || uri.p == NULL || (servers == NULL && n > 0))
        return SR_EINVAL;
    bool found = false;
    for (size_t i = 0; i < u->n_targets; i++) {
        sr__uac_target *t = &u->targets[i];
        sr_str key = sr_str_from_cstr(t->route != NULL ? t->route : t->uri);
        if (!t->pending || !sr__uac_uri_same(key, uri))
            continue;
        found = true;
        t->pending = false;
        t->n_servers = n < SR__UAC_SERVERS ? n : SR__UAC_SERVERS;
        if (t->n_servers)
            memcpy(t->servers, servers, t->n_servers * sizeof(sr_addr));
    }
    if (!found)
        return SR_ENOTFOUND;
    if (u->done || !u->resolving || u->targets[u->cur].pending)
        return 0;
    u->resolving = false;
    int rc = sr__uac_attempt(u, now_ms); /* with no server: the next target of the set */
    return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------ CANCEL, BYE */

int sr_uac_cancel(sr_uac *u, uint64_t now_ms)
{
    if (u == NULL)
        return SR_EINVAL;
    if (u->done || u->cancelled)
        return SR_ESTATE;
    if (!u->started || u->wait_until != UINT64_MAX || u->txn == 0 || u->final_seen) {
        /* Nothing in flight (not started, or waiting to retry): it ends here. */
        u->cancelled = true;
        sr__uac_action(u, SR_UAC_ACT_CANCEL, 0, (sr_str){NULL, 0}, 0);
        sr__uac_finish(u, SR_UAC_CANCELLED, 0, NULL, 0);
        return 0;
    }
    if (u->method != SR_METHOD_INVITE)
        return SR_ESTATE; /* §9.1: CANCEL is for INVITE; a non-INVITE runs to its end */
    int err = sr_stack_cancel(u->stack, u->txn, now_ms, NULL);
    if (err != 0)
        return err;
    u->cancelled = true;
    sr__uac_cancel_sent(u, now_ms);
    sr__uac_action(u, SR_UAC_ACT_CANCEL, 0, (sr_str){NULL, 0}, 0);
    return 0;
}

int sr_uac_hangup(sr_uac *u, uint64_t now_ms)
{
    if (u == NULL)
        return SR_EINVAL;
    if (u->method != SR_METHOD_INVITE || u->hangup)
        return SR_ESTATE;
    u->hangup = true;
    if (u->n_dialogs == 0) {
        int rc = sr_uac_cancel(u, now_ms);
        return rc == SR_ESTATE ? 0 : rc;
    }
    /* BYE each confirmed dialog that has none yet, with the 2xx's route set (kept in u->req's
     * place: the dialog's To tag is what tells them apart). */
    return sr__uac_send_bye(u, NULL, now_ms);
}

/* ------------------------------------------------------------------ the stack's events */

static bool tag_eq(const sr__uac_tag *t, sr_str tag)
{
    return t->len == tag.len && (tag.len == 0 || memcmp(t->v, tag.p, tag.len) == 0);
}

static void on_1xx(sr_uac *u, const sr_event *ev)
{
    const sr_msg *r = ev->msg;
    unsigned code = ev->status;
    if (ev->related != 0)
        sr__uac_action(u, SR_UAC_ACT_PRACK, code, (sr_str){NULL, 0}, 0);
    const sr_nameaddr *to = sr_msg_to(r);
    if (to == NULL || to->tag.p == NULL || to->tag.len == 0 || to->tag.len >= SR__UAC_TAG_MAX ||
        code == 100)
        return;
    size_t i = 0;
    while (i < u->n_early && !tag_eq(&u->early[i], to->tag))
        i++;
    if (code == 199) {
        /* RFC 6228: the early dialog this To tag names is over. */
        if (i < u->n_early)
            u->early[i] = u->early[--u->n_early];
        sr__uac_action(u, SR_UAC_ACT_EARLY_END, code, to->tag, 0);
        return;
    }
    if (i == u->n_early && u->n_early < SR__UAC_DIALOGS) {
        memcpy(u->early[i].v, to->tag.p, to->tag.len);
        u->early[i].len = to->tag.len;
        u->n_early++;
    }
}

static void report_response(sr_uac *u, const sr_event *ev, bool retx)
{
    sr_uac_event e;
    memset(&e, 0, sizeof(e));
    e.kind = SR_UAC_EV_RESPONSE;
    e.attempt = u->attempts;
    e.txn = ev->txn;
    e.addr = ev->addr;
    e.status = ev->status;
    e.unknown = !sr_status_is_registered((int)ev->status);
    e.retransmission = retx;
    sr__uac_emit(u, &e, ev->msg, (sr_str){NULL, 0});
}

/* A 2xx of a dialog already ACKed: its To tag is known. */
static bool known_2xx(const sr_uac *u, const sr_msg *r)
{
    const sr_nameaddr *to = sr_msg_to(r);
    sr_str tag = to != NULL && to->tag.p != NULL ? to->tag : (sr_str){"", 0};
    for (size_t i = 0; i < u->n_dialogs; i++)
        if (tag_eq(&u->dialogs[i], tag))
            return true;
    return false;
}

/* A stray 2xx (its transaction is gone, Timer M passed): ours when it answers our INVITE. */
static bool stray_is_ours(const sr_uac *u, const sr_event *ev)
{
    if (ev->kind != SR_EV_RESPONSE || ev->txn != 0 || ev->msg == NULL ||
        u->method != SR_METHOD_INVITE || ev->status / 100 != 2 || u->invite_cseq == 0)
        return false;
    const sr_cseq *cs = sr_msg_cseq(ev->msg);
    return cs != NULL && cs->method_id == SR_METHOD_INVITE && cs->num == u->invite_cseq &&
           sr_str_eq(sr_msg_call_id(ev->msg), sr_msg_call_id(u->tmpl));
}

static int on_response(sr_uac *u, const sr_event *ev, uint64_t now)
{
    const sr_msg *r = ev->msg;
    unsigned code = ev->status;
    bool current = ev->txn == u->txn && ev->txn != 0;
    const sr_cseq *cs = sr_msg_cseq(r);
    if (code / 100 == 2 && cs != NULL && cs->method_id == SR_METHOD_INVITE &&
        u->method == SR_METHOD_INVITE) {
        bool retx = known_2xx(u, r);
        report_response(u, ev, retx);
        if (!retx && !sr_status_is_registered((int)code))
            sr__uac_action(u, SR_UAC_ACT_UNKNOWN_CODE, code, sr_str_from_cstr("as 200"), 0);
        if (current)
            u->final_seen = true;
        return sr__uac_on_2xx(u, r, current && !retx, now);
    }
    report_response(u, ev, false);
    if (!current)
        return 0; /* a BYE's answer, or a late one to an attempt given up: reported only */
    if (code < 200) {
        on_1xx(u, ev);
        return 0;
    }
    if (u->final_seen)
        return 0;
    u->final_seen = true;
    u->last_status = code;
    return sr__uac_on_final(u, r, now);
}

int sr_uac_handle(sr_uac *u, const sr_event *ev, uint64_t now_ms)
{
    if (u == NULL || ev == NULL)
        return SR_EINVAL;
    if (ev->user != u && !stray_is_ours(u, ev))
        return 0;
    int err = 0;
    switch (ev->kind) {
    case SR_EV_RESPONSE:
        if (ev->msg != NULL)
            err = on_response(u, ev, now_ms);
        break;
    case SR_EV_TIMEOUT:
        if (ev->txn != u->txn || u->final_seen || u->done)
            break;
        if (ev->timer == 'C') {
            /* The stack's Timer C: a provisional came but no final. Cancel (§9.1); the 487
             * ends the context as a timeout. */
            if (!u->cancelled && sr_stack_cancel(u->stack, u->txn, now_ms, NULL) == 0) {
                u->timer_c = true;
                sr__uac_cancel_sent(u, now_ms);
                sr__uac_action(u, SR_UAC_ACT_TIMER_C, 0, (sr_str){NULL, 0}, 0);
            }
            break;
        }
        /* Timers B and F: no final, which counts as 408 (§8.1.3.1). */
        u->final_seen = true;
        err = sr__uac_failover(u, SR_UAC_TIMEOUT, 0, NULL, now_ms);
        break;
    case SR_EV_TRANSPORT_ERROR:
        if (ev->txn != u->txn || u->final_seen || u->done)
            break;
        u->final_seen = true;
        err = sr__uac_failover(u, SR_UAC_TRANSPORT_ERROR, 0, NULL, now_ms);
        break;
    case SR_EV_TERMINATED:
        live_del(u, ev->txn);
        if (ev->txn == u->txn && !u->final_seen && !u->done) {
            /* Ended with nothing for us (forgotten elsewhere): as a timeout. */
            u->final_seen = true;
            err = sr__uac_failover(u, SR_UAC_TIMEOUT, 0, NULL, now_ms);
        }
        break;
    default: break; /* SR_EV_SEND: the embedder's to send */
    }
    if (err < 0)
        sr__uac_finish(u, SR_UAC_ERROR, u->last_status, NULL, err);
    return err < 0 ? err : 1;
}
