/* sipreply core: the stack's event queue — what the state machines emit and sr_stack_poll()
 * hands out, with the bytes and messages each event owns (STYLE.md §6: events, not callbacks). */
#include <string.h>

#include "sipreply/error.h"

#include "core_int.h"
#include "txn_int.h"

void sr__qev_release(sr_stack *s, sr__qev *e)
{
    sr__free(s->alloc, e->bytes);
    if (e->msg != NULL)
        sr_msg_free(e->msg);
    memset(e, 0, sizeof(*e));
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

/* Release the event handed out last and move the oldest queued one into its place: *@p ev.
 * Returns 0 or SR_ENOTFOUND (empty). */
int sr__queue_pop(sr_stack *s, sr_event *ev)
{
    sr__qev_release(s, &s->cur);
    if (s->q_len == 0)
        return SR_ENOTFOUND;
    s->cur = s->q[s->q_head];
    s->q_head = (s->q_head + 1) % s->q_cap;
    s->q_len--;
    *ev = s->cur.ev;
    return 0;
}

/* Hand the message of the event handed out last to the caller (NULL when none). */
sr_msg *sr__queue_take_msg(sr_stack *s)
{
    sr_msg *m = s->cur.msg;
    s->cur.msg = NULL; /* sr__qev_release at the next pop frees it no more */
    return m;
}

/* Give the user data of transaction @p id to its queued events (and to those it is related
 * to): a walk over the few events waiting, once per transaction, not a lookup per event. */
void sr__queue_set_user(sr_stack *s, sr_txn_id id, void *user)
{
    for (size_t i = 0; i < s->q_len; i++) {
        sr_event *ev = &s->q[(s->q_head + i) % s->q_cap].ev;
        if (ev->txn == id)
            ev->user = user;
        if (ev->related == id)
            ev->related_user = user;
    }
}

/* Free every queued event and the queue. */
void sr__queue_cleanup(sr_stack *s)
{
    for (size_t i = 0; i < s->q_len; i++)
        sr__qev_release(s, &s->q[(s->q_head + i) % s->q_cap]);
    sr__qev_release(s, &s->cur);
    sr__free(s->alloc, s->q);
    s->q = NULL;
    s->q_len = s->q_cap = s->q_head = 0;
}
