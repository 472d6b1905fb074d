/* sipreply core: the sans-I/O stack — configuration, transaction table, timer dispatch and
 * the event queue (RFC 3261 §17; STYLE.md §6: time and bytes in, events out). */
#include <string.h>

#include "sipreply/error.h"
#include "sipreply/parse.h"
#include "sipreply/print.h"

#include "core_int.h"
#include "txn_int.h"

bool sr_transport_is_reliable(sr_transport tp)
{
    return tp == SR_TP_TCP || tp == SR_TP_TLS || tp == SR_TP_SCTP;
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

/* The transactions' allocator (talloc): the stack's allocator with a 16-byte header holding
 * the block's size, so that s->mem is exactly what transactions retain, in bytes. */
#define TA_HDR ((size_t)16)

static void *ta_alloc(size_t n, void *user)
{
    sr_stack *s = user;
    if (n > SIZE_MAX - TA_HDR)
        return NULL;
    char *p = sr__malloc(s->alloc, n + TA_HDR);
    if (p == NULL)
        return NULL;
    memcpy(p, &n, sizeof(n));
    s->mem += n + TA_HDR;
    return p + TA_HDR;
}

static void *ta_realloc(void *ptr, size_t n, void *user)
{
    if (ptr == NULL)
        return ta_alloc(n, user);
    sr_stack *s = user;
    char *p = (char *)ptr - TA_HDR;
    size_t old;
    memcpy(&old, p, sizeof(old));
    if (n > SIZE_MAX - TA_HDR)
        return NULL;
    char *q = sr__realloc(s->alloc, p, n + TA_HDR);
    if (q == NULL)
        return NULL;
    memcpy(q, &n, sizeof(n));
    s->mem = s->mem - old + n;
    return q + TA_HDR;
}

static void ta_free(void *ptr, void *user)
{
    sr_stack *s = user;
    char *p = (char *)ptr - TA_HDR;
    size_t old;
    memcpy(&old, p, sizeof(old));
    s->mem -= old + TA_HDR;
    sr__free(s->alloc, p);
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
    s->cfg = c;
    s->alloc = a;
    s->talloc = (sr_allocator){ta_alloc, ta_realloc, ta_free, s};
    sr__timer_heap_init(&s->heap, a);
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

static void qev_release(sr_stack *s, sr__qev *e)
{
    sr__free(s->alloc, e->bytes);
    if (e->msg != NULL)
        sr_msg_free(e->msg);
    memset(e, 0, sizeof(*e));
}

static void txn_destroy(sr_stack *s, sr__txn *t)
{
    sr__stop_2xx(s, t);
    for (int k = 0; k < SR__TK_COUNT; k++)
        sr__timer_stop(&s->heap, &t->tm[k]);
    if (t->req != NULL)
        sr_msg_free(t->req);
    if (t->held_2xx != NULL)
        sr_msg_free(t->held_2xx);
    sr_buf_cleanup(&t->req_bytes);
    sr_buf_cleanup(&t->resp);
    sr_buf_cleanup(&t->rel_bytes);
    for (size_t i = 0; i < t->n_early; i++)
        sr_buf_cleanup(&t->early[i].routes);
    s->mem -= t->ext_bytes;
    sr__free(&s->talloc, t);
    /* The last one gone after a burst: give back the timer room reserved for them (each
     * live transaction reserves SR__TK_COUNT slots of 24 bytes); a small table keeps it. */
    if (s->n_txns == 0 && s->heap.len == 0 && s->heap.cap > 256 * SR__TK_COUNT)
        sr__timer_heap_cleanup(&s->heap);
}

void sr_stack_free(sr_stack *s)
{
    if (s == NULL)
        return;
    while (s->txns != NULL) {
        sr__txn *t = s->txns;
        s->txns = t->next;
        txn_destroy(s, t);
    }
    sr__index_cleanup(s);
    for (size_t i = 0; i < s->q_len; i++)
        qev_release(s, &s->q[(s->q_head + i) % s->q_cap]);
    qev_release(s, &s->cur);
    sr__free(s->alloc, s->q);
    sr__timer_heap_cleanup(&s->heap);
    sr__free(s->alloc, s);
}

/* STYLE.md §6: time never goes backwards; a smaller now is the last now. */
uint64_t sr__stack_now(sr_stack *s, uint64_t now_ms)
{
    if (now_ms > s->now)
        s->now = now_ms;
    return s->now;
}

/* An input at @p now_ms first lets every timer due by then fire, so it meets the state the
 * RFC has the transaction in at that instant even if the caller skipped sr_stack_on_timer. */
void sr__input_now(sr_stack *s, uint64_t now_ms)
{
    sr__stack_now(s, now_ms);
    sr__fire_due(s);
}

/* Queue @p ev with a copy of @p bytes; the queue takes @p msg (freed on failure too). */
int sr__emit(sr_stack *s, const sr_event *ev, const char *bytes, size_t len, sr_msg *msg)
{
    int err = 0;
    char *copy = NULL;
    if (s->q_len == s->q_cap) {
        size_t ncap = s->q_cap ? s->q_cap * 2 : 16;
        sr__qev *nq = sr__malloc(s->alloc, ncap * sizeof(*nq));
        if (nq == NULL) {
            err = SR_ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < s->q_len; i++)
            nq[i] = s->q[(s->q_head + i) % s->q_cap];
        sr__free(s->alloc, s->q);
        s->q = nq;
        s->q_cap = ncap;
        s->q_head = 0;
    }
    if (bytes != NULL) {
        copy = sr__malloc(s->alloc, len ? len : 1);
        if (copy == NULL) {
            err = SR_ENOMEM;
            goto out;
        }
        memcpy(copy, bytes, len);
    }
    sr__qev *e = &s->q[(s->q_head + s->q_len) % s->q_cap];
    e->ev = *ev;
    e->ev.data = copy;
    e->ev.len = bytes != NULL ? len : 0;
    e->ev.msg = msg;
    e->bytes = copy;
    e->msg = msg;
    s->q_len++;
    return 0;
out:
    if (msg != NULL)
        sr_msg_free(msg);
    return err;
}

int sr__emit_send(sr_stack *s, const sr__txn *t, const sr_buf *b, unsigned status)
{
    sr_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = SR_EV_SEND;
    ev.txn = t->id;
    ev.txn_kind = t->kind;
    ev.state = t->state;
    ev.addr = t->peer;
    ev.reliable = t->reliable;
    ev.status = status;
    ev.user = t->user;
    return sr__emit(s, &ev, b->p != NULL ? b->p : "", b->len, NULL);
}

int sr__emit_simple(sr_stack *s, sr__txn *t, sr_event_kind kind, char timer)
{
    sr_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    ev.txn = t->id;
    ev.txn_kind = t->kind;
    ev.state = t->state;
    ev.addr = t->peer;
    ev.reliable = t->reliable;
    ev.timer = timer;
    ev.user = t->user;
    return sr__emit(s, &ev, NULL, 0, NULL);
}

int sr_stack_poll(sr_stack *s, sr_event *ev)
{
    if (s == NULL || ev == NULL)
        return SR_EINVAL;
    qev_release(s, &s->cur);
    if (s->q_len == 0) {
        memset(ev, 0, sizeof(*ev));
        ev->kind = SR_EV_NONE;
        return SR_ENOTFOUND;
    }
    s->cur = s->q[s->q_head];
    s->q_head = (s->q_head + 1) % s->q_cap;
    s->q_len--;
    *ev = s->cur.ev;
    return 0;
}

int sr_stack_event_take_msg(sr_stack *s, sr_msg **out)
{
    if (s == NULL || out == NULL)
        return SR_EINVAL;
    if (s->cur.msg == NULL)
        return SR_ENOTFOUND;
    *out = s->cur.msg;
    s->cur.msg = NULL; /* qev_release at the next poll frees it no more */
    return 0;
}

/* The heap has room for every timer slot of every transaction (sr__timer_heap_reserve), so
 * that arming a timer later can never fail: a transaction never loses its way out (B, D, F,
 * H, J, K, L, M). */
int sr__txn_alloc(sr_stack *s, sr_txn_kind kind, const sr_addr *peer, sr__txn **out)
{
    /* The byte budget: what live transactions retain (s->mem, the new one's request copy
     * included) plus the new transaction itself. */
    if (s->n_txns >= s->cfg.max_transactions ||
        (s->cfg.max_memory != 0 && s->mem + sizeof(sr__txn) + TA_HDR > s->cfg.max_memory)) {
        s->refused++;
        return SR_ETOOBIG;
    }
    if (sr__timer_heap_reserve(&s->heap, (s->n_txns + 1) * SR__TK_COUNT) != 0)
        return SR_ENOMEM;
    sr__txn *t = sr__malloc(&s->talloc, sizeof(*t));
    if (t == NULL)
        return SR_ENOMEM;
    memset(t, 0, sizeof(*t));
    t->id = s->next_id++;
    t->kind = kind;
    t->state = kind == SR_TXN_INVITE_CLIENT   ? SR_TXN_CALLING
               : kind == SR_TXN_INVITE_SERVER ? SR_TXN_PROCEEDING
                                              : SR_TXN_TRYING;
    t->peer = *peer;
    t->reliable = sr_transport_is_reliable(peer->transport);
    for (int k = 0; k < SR__TK_COUNT; k++)
        sr__timer_init(&t->tm[k], t, k);
    sr_buf_init(&t->req_bytes, &s->talloc);
    sr_buf_init(&t->resp, &s->talloc);
    sr_buf_init(&t->rel_bytes, &s->talloc);
    t->next = s->txns;
    if (s->txns != NULL)
        s->txns->prev = t;
    s->txns = t;
    s->n_txns++;
    *out = t;
    return 0;
}

/* Take @p t out of the list and the index: O(1), whatever the number of transactions. */
static void txn_unlink(sr_stack *s, sr__txn *t)
{
    if (t->prev != NULL)
        t->prev->next = t->next;
    else
        s->txns = t->next;
    if (t->next != NULL)
        t->next->prev = t->prev;
    t->next = t->prev = NULL;
    s->n_txns--;
    sr__txn_unindex(s, t);
}

/* Unlink, report SR_EV_TERMINATED with the state left, and free. @p t is gone afterwards. */
void sr__txn_terminate(sr_stack *s, sr__txn *t)
{
    txn_unlink(s, t);
    sr_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = SR_EV_TERMINATED;
    ev.txn = t->id;
    ev.txn_kind = t->kind;
    ev.state = t->state;
    ev.addr = t->peer;
    ev.reliable = t->reliable;
    ev.user = t->user; /* the last time the TU sees it: it may free it now */
    /* An event that cannot be queued is lost; the transaction must still go (no leak). */
    int rc = sr__emit(s, &ev, NULL, 0, NULL);
    (void)rc; /* only SR_ENOMEM, and there is nothing left to undo */
    txn_destroy(s, t);
}

/* Free a transaction that never became visible (construction failed). */
static void txn_discard(sr_stack *s, sr__txn *t)
{
    txn_unlink(s, t);
    txn_destroy(s, t);
}

int sr__start(sr_stack *s, sr__txn *t, int kind, uint64_t delay)
{
    return sr__timer_start(&s->heap, &t->tm[kind], s->now, delay);
}

void sr__stop(sr_stack *s, sr__txn *t, int kind)
{
    sr__timer_stop(&s->heap, &t->tm[kind]);
}

int sr__reparse(const sr_stack *s, const char *p, size_t len, sr_msg **out)
{
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = s->alloc;
    o.max_size = s->cfg.max_message;
    return sr_msg_parse(out, p, len, &o, NULL);
}

int sr_stack_receive(sr_stack *s, const char *buf, size_t len, const sr_addr *src, uint64_t now_ms)
{
    if (s == NULL || buf == NULL || src == NULL)
        return SR_EINVAL;
    sr__input_now(s, now_ms);
    sr_msg *m = NULL;
    int err = sr__reparse(s, buf, len, &m);
    if (err == SR_ENOMEM)
        return err;
    /* A message without the fields transactions are keyed on cannot be matched (§17). */
    if (err != 0 || sr_msg_via_count(m) == 0 || sr_msg_cseq(m) == NULL) {
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

int sr_stack_send_request(sr_stack *s, sr_msg *req, const sr_addr *dest, uint64_t now_ms,
                          sr_txn_id *id)
{
    if (s == NULL || req == NULL || dest == NULL || !sr_msg_is_request(req))
        return SR_EINVAL;
    sr__input_now(s, now_ms);
    sr_method m = sr_msg_method(req);
    if (m == SR_METHOD_ACK || m == SR_METHOD_CANCEL)
        return SR_EINVAL;
    return sr__client_start(s, req, dest, 0, id);
}

/* true when every Via value of @p m was parsed into its typed list: the top Via the stack
 * matches on is then the one on the wire (a value that did not parse is left out of the
 * list by sr_msg_add_header, which would make the second value look like the top one). */
static bool vias_complete(const sr_msg *m)
{
    size_t n = 0;
    for (const sr_header *h = sr_msg_header_find(m, SR_HDR_VIA, NULL); h != NULL;
         h = sr_msg_header_find(m, SR_HDR_VIA, h)) {
        size_t pos = 0;
        sr_str item;
        while (sr_value_next(h->value, &pos, &item))
            n++;
    }
    return n == sr_msg_via_count(m);
}

/* Start a client transaction (handle @p fixed_id when not 0); see sr_stack_send_request.
 * The transaction keeps the caller's message as it is: a built message's accessors (Via,
 * CSeq, To, From, Call-ID...) are kept in step by sr_msg_add_header(), so it is matched on
 * directly, without printing and parsing it again; the printed bytes are what is sent. */
int sr__client_start(sr_stack *s, sr_msg *req, const sr_addr *dest, sr_txn_id fixed_id,
                     sr_txn_id *id)
{
    int err;
    sr__txn *t = NULL;
    sr_buf b;
    sr_buf_init(&b, &s->talloc); /* kept as t->req_bytes: counted in s->mem */
    sr_method m = sr_msg_method(req);
    size_t ext = sr__msg_footprint(req);
    const sr_via *via = sr_msg_via(req, 0);
    if (via == NULL || !vias_complete(req) || !sr__branch_is_3261(via->branch) ||
        sr_msg_cseq(req) == NULL) {
        err = SR_EINVAL;
        goto out;
    }
    if (sr__find_client(s, via->branch, sr_msg_cseq(req)->method) != NULL) {
        err = SR_EEXIST;
        goto out;
    }
    if ((err = sr_msg_print(req, &b)) != 0)
        goto out;
    s->mem += ext; /* the caller's message, for the budget check and while the txn lives */
    err = sr__txn_alloc(s, m == SR_METHOD_INVITE ? SR_TXN_INVITE_CLIENT : SR_TXN_NON_INVITE_CLIENT,
                        dest, &t);
    if (err != 0) {
        s->mem -= ext;
        goto out;
    }
    t->ext_bytes = ext;
    if (fixed_id != 0)
        t->id = fixed_id;
    t->req = req;
    sr__txn_index(s, t);
    t->req_bytes = b;
    sr_buf_init(&b, s->alloc);
    uint64_t t1 = s->cfg.t1;
    t->interval = t1;
    if (t->kind == SR_TXN_INVITE_CLIENT) {
        /* §17.1.1.2: Timer A only on unreliable transports, Timer B always. */
        if (!t->reliable && (err = sr__start(s, t, SR__TK_A, t1)) != 0)
            goto fail;
        if ((err = sr__start(s, t, SR__TK_B, 64 * t1)) != 0)
            goto fail;
    } else {
        /* §17.1.2.2: Timer E only on unreliable transports, Timer F always. */
        if (!t->reliable && (err = sr__start(s, t, SR__TK_E, t1)) != 0)
            goto fail;
        if ((err = sr__start(s, t, SR__TK_F, 64 * t1)) != 0)
            goto fail;
    }
    if ((err = sr__emit_send(s, t, &t->req_bytes, 0)) != 0)
        goto fail;
    if (id != NULL)
        *id = t->id;
    goto out;
fail:
    t->req = NULL; /* on failure the caller still owns its message */
    txn_discard(s, t);
out:
    sr_buf_cleanup(&b);
    return err;
}

int sr_stack_send_response(sr_stack *s, sr_txn_id id, sr_msg *resp, unsigned flags, uint64_t now_ms)
{
    if (s == NULL || resp == NULL || sr_msg_is_request(resp))
        return SR_EINVAL;
    sr__input_now(s, now_ms);
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

int sr_stack_abandon(sr_stack *s, sr_txn_id id, uint64_t now_ms)
{
    if (s == NULL)
        return SR_EINVAL;
    sr__input_now(s, now_ms);
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
    sr__input_now(s, now_ms);
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

/* Fire every timer due at or before the stack's now, in deadline order. */
void sr__fire_due(sr_stack *s)
{
    uint64_t now = s->now;
    sr__timer *tm;
    while ((tm = sr__timer_pop_due(&s->heap, now)) != NULL) {
        sr__txn *t = tm->owner;
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
    sr__stack_now(s, now_ms);
    sr__fire_due(s);
    return 0;
}

int sr_stack_new_branch(sr_stack *s, char *out)
{
    if (s == NULL || out == NULL)
        return SR_EINVAL;
    static const char hex[] = "0123456789abcdef";
    uint64_t r = sr__rng_next(&s->rng);
    memcpy(out, "z9hG4bK", 7);
    for (int i = 0; i < 16; i++)
        out[7 + i] = hex[(r >> (60 - 4 * i)) & 0xf];
    out[SR_BRANCH_LEN] = '\0';
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
    /* Events queued before the TU knew the id (the request that announced it) carry it too:
     * a walk over the few events waiting, once per transaction, not a lookup per event. */
    for (size_t i = 0; i < s->q_len; i++) {
        sr_event *ev = &s->q[(s->q_head + i) % s->q_cap].ev;
        if (ev->txn == id)
            ev->user = user;
        if (ev->related == id)
            ev->related_user = user;
    }
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
