/* sipreply core: the stack's public API (stack.h) — inputs checked, time advanced, timers
 * fired, then handed down to the state machines (txn_*.c, prack.c) and the plumbing
 * (stack_txn.c, stack_events.c, txn_match.c, timer.c), which never call back up here. */
#include <stddef.h>
#include <string.h>

#include "sipreply/error.h"
#include "sipreply/parse.h"
#include "sipreply/print.h"

#include "core_int.h"
#include "txn_int.h"

bool sr_transport_is_reliable(sr_transport tp)
{
    return sr__reliable(tp);
}

int sr_addr_set(sr_addr *a, const char *host, uint16_t port, sr_transport tp)
{
    if (a == NULL || host == NULL)
        return SR_EINVAL;
    size_t n = strlen(host);
    if (n == 0 || n >= SR_ADDR_HOST_MAX)
        return SR_EINVAL;
    memset(a, 0, sizeof(*a));
    memcpy(a->host, host, n);
    a->port = port;
    a->transport = tp;
    return 0;
}

void sr_config_default(sr_config *c)
{
    if (c == NULL)
        return;
    memset(c, 0, sizeof(*c));
    c->size = sizeof(*c);
    c->t1 = 500;
    c->t2 = 4000;
    c->t4 = 5000;
    c->timer_c = 180000;
    c->trying_delay = 200;
    c->max_transactions = 4096;
    c->max_message = 65535;
    c->prack_enabled = true;
    c->seed = 0x5eed5eed5eedULL;
    c->max_memory = (size_t)64 << 20;
}

const char *sr_txn_state_name(sr_txn_state st)
{
    switch (st) {
    case SR_TXN_CALLING: return "Calling";
    case SR_TXN_TRYING: return "Trying";
    case SR_TXN_PROCEEDING: return "Proceeding";
    case SR_TXN_COMPLETED: return "Completed";
    case SR_TXN_CONFIRMED: return "Confirmed";
    case SR_TXN_ACCEPTED: return "Accepted";
    case SR_TXN_TERMINATED: return "Terminated";
    }
    return "?";
}

const char *sr_txn_kind_name(sr_txn_kind k)
{
    switch (k) {
    case SR_TXN_INVITE_CLIENT: return "INVITE client";
    case SR_TXN_NON_INVITE_CLIENT: return "non-INVITE client";
    case SR_TXN_INVITE_SERVER: return "INVITE server";
    case SR_TXN_NON_INVITE_SERVER: return "non-INVITE server";
    }
    return "?";
}

int sr_stack_new(sr_stack **out, const sr_config *cfg)
{
    sr_config c;
    if (out == NULL)
        return SR_EINVAL;
    sr_config_default(&c);
    if (cfg != NULL) {
        /* ABI growth (STYLE §3): a caller built against an older, shorter sr_config gets
         * the defaults for the fields it does not know. */
        if (cfg->size == 0 || cfg->size > sizeof(c))
            return SR_EINVAL;
        memcpy(&c, cfg, cfg->size);
    }
    if (c.t1 == 0 || c.t2 < c.t1)
        return SR_EINVAL;
    const sr_allocator *a = sr__alloc_or_default(c.alloc);
    sr_stack *s = sr__malloc(a, sizeof(*s));
    if (s == NULL)
        return SR_ENOMEM;
    memset(s, 0, sizeof(*s));
    s->q_seq = 1; /* an event's sequence number is never 0 (sr__qev chains: none) */
    s->cfg = c;
    s->alloc = a;
    sr__talloc_init(s);
    sr__timer_heap_init(&s->heap, a);
    /* the timers that only end a transaction's kept state, sending and reporting nothing:
     * they may fire late (sr_stack_next_deadline_slack) */
    s->heap.lax_kinds =
        1u << SR__TK_D | 1u << SR__TK_I | 1u << SR__TK_J | 1u << SR__TK_K | 1u << SR__TK_M;
    sr__rng_seed(&s->rng, c.seed);
    /* The index key comes from the seeded PRNG on a stream of its own, so the branches and
     * RSeq values a seed gives stay the same. It is as secret as the seed. */
    sr__rng kr;
    sr__rng_seed(&kr, c.seed ^ 0x7478692d6b657921ULL);
    for (int i = 0; i < 2; i++) {
        uint64_t r = sr__rng_next(&kr);
        for (int j = 0; j < 8; j++)
            s->hkey[8 * i + j] = (uint8_t)(r >> (8 * j));
    }
    if (sr__index_init(s) != 0) {
        sr__free(a, s);
        return SR_ENOMEM;
    }
    s->next_id = 1;
    *out = s;
    return 0;
}

void sr_stack_free(sr_stack *s)
{
    if (s == NULL)
        return;
    while (s->txns != NULL) {
        sr__txn *t = s->txns;
        s->txns = t->next;
        sr__txn_destroy(s, t);
    }
    sr__index_cleanup(s);
    sr__queue_cleanup(s);
    sr__timer_heap_cleanup(&s->heap);
    sr__free(s->alloc, s);
}

/* STYLE.md §6: time never goes backwards; a smaller now is the last now. */
static uint64_t stack_now(sr_stack *s, uint64_t now_ms)
{
    if (now_ms > s->now)
        s->now = now_ms;
    return s->now;
}

static void fire_due(sr_stack *s);

/* An input at @p now_ms first lets every timer due by then fire, so it meets the state the
 * RFC has the transaction in at that instant even if the caller skipped sr_stack_on_timer. */
static void input_now(sr_stack *s, uint64_t now_ms)
{
    stack_now(s, now_ms);
    fire_due(s);
}

int sr_stack_poll(sr_stack *s, sr_event *ev)
{
    if (s == NULL || ev == NULL)
        return SR_EINVAL;
    if (sr__queue_pop(s, ev) != 0) {
        memset(ev, 0, sizeof(*ev));
        ev->kind = SR_EV_NONE;
        return SR_ENOTFOUND;
    }
    return 0;
}

int sr_stack_event_take_msg(sr_stack *s, sr_msg **out)
{
    if (s == NULL || out == NULL)
        return SR_EINVAL;
    sr_msg *m = sr__queue_take_msg(s);
    if (m == NULL)
        return SR_ENOTFOUND;
    *out = m;
    return 0;
}

/* A received message, parsed (@p err: how the parse went); takes @p m in every case. */
static int receive_parsed(sr_stack *s, sr_msg *m, int err, const sr_addr *src)
{
    if (err == SR_ENOMEM)
        goto out;
    /* A message without the fields transactions are keyed on cannot be matched (§17). A
     * top Via is all that takes (the list has one when its first value parses): the values
     * below it are parsed when something reads them, not for every message received. */
    if (err != 0 || sr_msg_via(m, 0) == NULL || sr_msg_cseq(m) == NULL) {
        s->dropped++;
        err = SR_EBADMSG;
        goto out;
    }
    if (sr_msg_is_request(m)) {
        err = sr__server_on_request(s, &m, src);
        if (err == SR_ETOOBIG && m != NULL && sr_msg_method(m) != SR_METHOD_ACK) {
            /* Table full: a stateless 503 (RFC 3261 §21.5.4, §8.2.7) rather than silence. */
            int rc = sr__reply_stateless(s, m, src, 503);
            if (rc != 0)
                err = rc;
        }
        goto out;
    }
    sr__txn *t = sr__match_client(s, m);
    if (t == NULL) {
        /* §17.1.3 / RFC 6026 §8.4: a response matching no transaction goes to the core
         * (a 2xx retransmission after Timer M, or a 2xx from another fork). */
        sr_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.kind = SR_EV_RESPONSE;
        ev.addr = *src;
        ev.reliable = sr_transport_is_reliable(src->transport);
        ev.status = sr_msg_status(m);
        err = sr__emit(s, &ev, NULL, 0, m);
        m = NULL;
        goto out;
    }
    err = sr__client_on_response(s, t, &m, src);
out:
    if (m != NULL)
        sr_msg_free(m);
    return err;
}

int sr_stack_receive(sr_stack *s, const char *buf, size_t len, const sr_addr *src, uint64_t now_ms)
{
    if (s == NULL || buf == NULL || src == NULL)
        return SR_EINVAL;
    input_now(s, now_ms);
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = s->alloc;
    o.max_size = s->cfg.max_message;
    /* the message, or the ACK for a non-2xx final absorbed from its head (stack_ack.c) */
    sr_msg *m = NULL;
    int ack_rc = 0;
    int err = sr__stack_parse_absorb(s, &m, buf, len, &o, NULL, &ack_rc);
    if (err == SR_STACK_ACK_ABSORBED)
        return ack_rc;
    return receive_parsed(s, m, err, src);
}

int sr_stack_receive_msg(sr_stack *s, sr_msg *msg, const sr_addr *src, uint64_t now_ms)
{
    if (s == NULL || msg == NULL || src == NULL) {
        sr_msg_free(msg);
        return SR_EINVAL;
    }
    input_now(s, now_ms);
    /* The limit sr_stack_receive's parse applies (max_message) applies here too. */
    int err = sr_msg_size(msg) > s->cfg.max_message ? SR_ETOOBIG : 0;
    return receive_parsed(s, msg, err, src);
}

int sr_stack_send_request(sr_stack *s, sr_msg *req, const sr_addr *dest, uint64_t now_ms,
                          sr_txn_id *id)
{
    if (s == NULL || req == NULL || dest == NULL || !sr_msg_is_request(req))
        return SR_EINVAL;
    input_now(s, now_ms);
    sr_method m = sr_msg_method(req);
    if (m == SR_METHOD_ACK || m == SR_METHOD_CANCEL)
        return SR_EINVAL;
    return sr__client_start(s, req, dest, 0, id);
}

int sr_stack_send_response(sr_stack *s, sr_txn_id id, sr_msg *resp, unsigned flags, uint64_t now_ms)
{
    if (s == NULL || resp == NULL || sr_msg_is_request(resp))
        return SR_EINVAL;
    input_now(s, now_ms);
    sr__txn *t = sr__txn_find(s, id);
    if (t == NULL || (t->kind != SR_TXN_INVITE_SERVER && t->kind != SR_TXN_NON_INVITE_SERVER))
        return SR_ENOTFOUND;
    if ((flags & SR_SEND_RETX_2XX) &&
        (t->kind != SR_TXN_INVITE_SERVER || sr_msg_status(resp) / 100 != 2))
        return SR_EINVAL; /* §13.3.1.4 is about the 2xx to an INVITE only */
    /* The stack takes the caller's message as it is (built or parsed, its accessors hold)
     * and releases it only on success. A reliable provisional gets Require and RSeq added
     * (RFC 3262 §3), so it works on a copy (sr_msg_dup: no print and parse): a refused
     * call leaves the caller's message as it was. */
    sr_msg *copy = NULL;
    int err;
    if (flags & SR_SEND_100REL) {
        if ((err = sr__msg_dup(&copy, resp, s->alloc, false)) != 0)
            return err;
    }
    err = sr__server_send(s, t, copy != NULL ? copy : resp, flags);
    if (err != 0) {
        sr_msg_free(copy);
        return err;
    }
    if (copy != NULL)
        sr_msg_free(resp);
    return 0;
}

int sr_stack_cancel(sr_stack *s, sr_txn_id invite, uint64_t now_ms, sr_txn_id *id)
{
    if (s == NULL)
        return SR_EINVAL;
    input_now(s, now_ms);
    sr__txn *t = sr__txn_find(s, invite);
    if (t == NULL || t->kind != SR_TXN_INVITE_CLIENT)
        return SR_ENOTFOUND;
    return sr__client_cancel(s, t, NULL, id);
}

int sr_stack_server_proxy(sr_stack *s, sr_txn_id id)
{
    if (s == NULL)
        return SR_EINVAL;
    sr__txn *t = sr__txn_find(s, id);
    if (t == NULL || t->kind != SR_TXN_INVITE_SERVER)
        return SR_ENOTFOUND;
    t->proxy = true;
    return 0;
}

int sr_stack_cancel_msg(sr_stack *s, sr_txn_id invite, sr_msg *cancel, uint64_t now_ms,
                        sr_txn_id *id)
{
    if (s == NULL || cancel == NULL)
        return SR_EINVAL;
    input_now(s, now_ms);
    sr__txn *t = sr__txn_find(s, invite);
    if (t == NULL || t->kind != SR_TXN_INVITE_CLIENT)
        return SR_ENOTFOUND;
    return sr__client_cancel(s, t, cancel, id);
}

int sr_stack_forget(sr_stack *s, sr_txn_id id, uint64_t now_ms)
{
    if (s == NULL)
        return SR_EINVAL;
    input_now(s, now_ms);
    sr__txn *t = sr__txn_find(s, id);
    if (t == NULL || (t->kind != SR_TXN_INVITE_CLIENT && t->kind != SR_TXN_NON_INVITE_CLIENT))
        return SR_ENOTFOUND;
    sr__client_forget(s, t);
    return 0;
}

int sr_stack_send_stateless(sr_stack *s, const sr_msg *msg, const sr_addr *dest, uint64_t now_ms)
{
    if (s == NULL || msg == NULL || dest == NULL)
        return SR_EINVAL;
    input_now(s, now_ms);
    sr_buf b;
    sr_buf_init(&b, s->alloc); /* the event takes it (sr__emit_give) */
    int err = sr_msg_print(msg, &b);
    if (err == 0) {
        sr_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.kind = SR_EV_SEND;
        ev.addr = *dest;
        ev.reliable = sr__reliable(dest->transport);
        ev.status = sr_msg_status(msg);
        err = sr__emit_give(s, &ev, &b);
    }
    sr_buf_cleanup(&b);
    return err;
}

int sr_stack_abandon(sr_stack *s, sr_txn_id id, uint64_t now_ms)
{
    if (s == NULL)
        return SR_EINVAL;
    input_now(s, now_ms);
    sr__txn *t = sr__txn_find(s, id);
    if (t == NULL || (t->kind != SR_TXN_INVITE_SERVER && t->kind != SR_TXN_NON_INVITE_SERVER))
        return SR_ENOTFOUND;
    /* Trying/Proceeding wait for the TU's final (§17.2.1, §17.2.2) with no timer of their
     * own to end them; every later state has one (G/H, I, J, L). */
    if (t->state != SR_TXN_TRYING && t->state != SR_TXN_PROCEEDING)
        return SR_ESTATE;
    sr__txn_terminate(s, t);
    return 0;
}

int sr_stack_on_transport_error(sr_stack *s, const sr_addr *peer, uint64_t now_ms)
{
    if (s == NULL || peer == NULL)
        return SR_EINVAL;
    input_now(s, now_ms);
    bool again = true;
    while (again) {
        again = false;
        for (sr__txn *t = s->txns; t != NULL; t = t->next) {
            if (strcmp(t->peer.host, peer->host) != 0 || t->peer.port != peer->port ||
                t->peer.transport != peer->transport ||
                (t->reliable && t->peer.conn_id != peer->conn_id))
                continue;
            /* §17.1.4 / §17.2.4: inform the TU and terminate. */
            int rc = sr__emit_simple(s, t, SR_EV_TRANSPORT_ERROR, 0);
            (void)rc; /* SR_ENOMEM: the TERMINATED event below still tells the TU */
            sr__txn_terminate(s, t);
            again = true;
            break;
        }
    }
    return 0;
}

uint64_t sr_stack_next_deadline(const sr_stack *s)
{
    return s == NULL ? UINT64_MAX : sr__timer_next(&s->heap);
}

uint64_t sr_stack_next_deadline_slack(const sr_stack *s, uint64_t slack_ms)
{
    if (s == NULL)
        return UINT64_MAX;
    uint64_t d = sr__timer_next(&s->heap), strict = sr__timer_next_strict(&s->heap);
    if (d == strict)
        return d;
    d = sr__deadline_add(d, slack_ms);
    return strict < d ? strict : d;
}

/* Fire every timer due at or before the stack's now, in deadline order. */
static void fire_due(sr_stack *s)
{
    uint64_t now = s->now;
    sr__timer *tm;
    while ((tm = sr__timer_pop_due(&s->heap, now)) != NULL) {
        /* the slot is its transaction's tm[sr__tk_slot[kind]] */
        sr__txn *t = sr__txn_of_timer(tm);
        /* Timers fire at their own deadline: durations computed inside the handlers then
         * count from the instant the RFC says, even when the caller is late. */
        s->now = tm->deadline;
        if (t->kind == SR_TXN_INVITE_CLIENT || t->kind == SR_TXN_NON_INVITE_CLIENT)
            sr__client_on_timer(s, t, tm->kind);
        else
            sr__server_on_timer(s, t, tm->kind);
        s->now = now;
    }
}

int sr_stack_on_timer(sr_stack *s, uint64_t now_ms)
{
    if (s == NULL)
        return SR_EINVAL;
    stack_now(s, now_ms);
    fire_due(s);
    return 0;
}

int sr_stack_new_branch(sr_stack *s, char *out)
{
    if (s == NULL || out == NULL)
        return SR_EINVAL;
    sr__new_branch(s, out);
    return 0;
}

int sr_stack_txn_state(const sr_stack *s, sr_txn_id id, sr_txn_state *state)
{
    if (s == NULL || state == NULL)
        return SR_EINVAL;
    const sr__txn *t = sr__txn_find(s, id);
    if (t == NULL)
        return SR_ENOTFOUND;
    *state = t->state;
    return 0;
}

int sr_stack_txn_set_user(sr_stack *s, sr_txn_id id, void *user)
{
    if (s == NULL)
        return SR_EINVAL;
    sr__txn *t = sr__txn_find(s, id);
    if (t == NULL)
        return SR_ENOTFOUND;
    t->user = user;
    /* Events queued before the TU knew the id (the request that announced it) carry it too. */
    sr__queue_set_user(s, t, user);
    return 0;
}

void *sr_stack_txn_user(const sr_stack *s, sr_txn_id id)
{
    const sr__txn *t = s != NULL ? sr__txn_find(s, id) : NULL;
    return t != NULL ? t->user : NULL;
}

size_t sr_stack_txn_count(const sr_stack *s)
{
    return s == NULL ? 0 : s->n_txns;
}

uint64_t sr_stack_dropped(const sr_stack *s)
{
    return s == NULL ? 0 : s->dropped;
}

size_t sr_stack_memory(const sr_stack *s)
{
    return s == NULL ? 0 : s->mem;
}

uint64_t sr_stack_refused(const sr_stack *s)
{
    return s == NULL ? 0 : s->refused;
}
