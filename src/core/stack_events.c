/* sipreply core: the stack's event queue — what the state machines emit and sr_stack_poll()
 * hands out, with the bytes and messages each event owns (STYLE.md §6: events, not callbacks). */
#include <string.h>

#include "sipreply/error.h"

#include "core_int.h"
#include "txn_int.h"

void sr__qev_release(sr_stack *s, sr__qev *e)
{
    if (e->bytes != NULL)
        sr__free(s->alloc, e->bytes);
    if (e->msg != NULL)
        sr_msg_free(e->msg);
    s->n_lent -= e->lent;
    /* what it owns cleared; its event is dead (every reader checks bytes, msg or lent) */
    e->bytes = NULL;
    e->msg = NULL;
    e->lent = false;
}

/* The queue is a ring of q_cap slots, a power of two (16, doubling). */
static size_t q_at(const sr_stack *s, size_t i)
{
    return (s->q_head + i) & (s->q_cap - 1);
}

/* The queue, full, grown. SR_ENOMEM. */
static int queue_grow(sr_stack *s)
{
    size_t ncap = s->q_cap ? s->q_cap * 2 : 16;
    sr__qev *nq = sr__malloc(s->alloc, ncap * sizeof(*nq));
    if (nq == NULL)
        return SR_ENOMEM;
    for (size_t i = 0; i < s->q_len; i++)
        nq[i] = s->q[q_at(s, i)];
    sr__free(s->alloc, s->q);
    s->q = nq;
    s->q_cap = ncap;
    s->q_head = 0;
    return 0;
}

/* The next free slot of the queue (grown when full), as a released event left it: the
 * caller writes its event, queue_put the rest, and counts it. NULL: SR_ENOMEM. */
static inline sr__qev *queue_slot(sr_stack *s)
{
    if (s->q_len == s->q_cap && queue_grow(s) != 0)
        return NULL;
    sr__qev *e = &s->q[q_at(s, s->q_len)];
    return e;
}

/* Queue slot @p e (from queue_slot), its event written: its data @p data / @p len; @p own
 * (freed with s->alloc) and @p msg owned by the event; @p lent when @p data is a
 * transaction's buffer. */
static inline void queue_put(sr_stack *s, sr__qev *e, const char *data, size_t len, char *own,
                             sr_msg *msg, bool lent, sr__txn *t)
{
    e->ev.data = data;
    e->ev.len = len;
    e->ev.msg = msg;
    e->bytes = own;
    e->msg = msg;
    e->lent = lent;
    s->n_lent += lent;
    /* the event joins the chains of the transactions it names (sr__queue_set_user walks
     * them): the one given, or the one ev.txn names if it is live; ev.related's, if live */
    uint64_t seq = s->q_seq + s->q_len;
    e->txn_prev = e->rel_prev = 0;
    if (t == NULL && e->ev.txn != 0)
        t = sr__txn_find(s, e->ev.txn);
    if (t != NULL) {
        e->txn_prev = t->q_last;
        t->q_last = seq;
    }
    if (e->ev.related != 0 && e->ev.related != e->ev.txn) {
        sr__txn *r = sr__txn_find(s, e->ev.related);
        if (r != NULL) {
            e->rel_prev = r->q_last;
            r->q_last = seq;
        }
    }
    s->q_len++;
}

/* Queue @p ev with a copy of @p bytes; the queue takes @p msg (freed on failure too). @p t:
 * the transaction ev.txn names, when the caller has it (NULL: found by its id). */
int sr__emit_t(sr_stack *s, sr__txn *t, const sr_event *ev, const char *bytes, size_t len,
               sr_msg *msg)
{
    char *copy = NULL;
    sr__qev *e = queue_slot(s);
    if (e != NULL && bytes != NULL && (copy = sr__malloc(s->alloc, len ? len : 1)) != NULL)
        memcpy(copy, bytes, len);
    if (e == NULL || (bytes != NULL && copy == NULL)) {
        if (msg != NULL)
            sr_msg_free(msg);
        return SR_ENOMEM;
    }
    e->ev = *ev;
    queue_put(s, e, copy, bytes != NULL ? len : 0, copy, msg, false, t);
    return 0;
}

/* Queue SR_EV_SEND @p ev with the bytes of @p b, taken without a copy: @p b (allocated with
 * s->alloc) is left empty. On failure (SR_ENOMEM) @p b keeps them. */
int sr__emit_give(sr_stack *s, const sr_event *ev, sr_buf *b)
{
    sr__qev *e = queue_slot(s);
    if (e == NULL)
        return SR_ENOMEM;
    e->ev = *ev;
    queue_put(s, e, b->p != NULL ? b->p : "", b->len, b->p, NULL, false, NULL);
    sr_buf_init(b, b->alloc);
    return 0;
}

/* Queue SR_EV_SEND of @p t, lending @p b, one of @p t's buffers: no copy. The transaction
 * keeps the buffer, and whatever would write to it or free it while an event lends it calls
 * sr__buf_unlend first (the event then owns the bytes): the data stays valid until the poll
 * after the event, whatever becomes of @p t in between (it may end in the same step: a
 * reliable INVITE client right after its ACK, a non-INVITE server after its final). The
 * event is written in its slot. */
int sr__emit_send(sr_stack *s, sr__txn *t, const sr_buf *b, unsigned status)
{
    /* Only the first SR__LEND_WINDOW places of the queue lend (an event only moves towards
     * the head), so that sr__buf_unlend_slow looks at those alone: a queue grown long (a
     * burst of timers fired at once) copies instead, where a walk of the whole queue per
     * buffer released would cost its length squared. */
    bool lend = s->q_len < SR__LEND_WINDOW && b->p != NULL;
    char *copy = NULL;
    if (!lend && b->p != NULL && (copy = sr__malloc(s->alloc, b->len ? b->len : 1)) == NULL)
        return SR_ENOMEM;
    sr__qev *e = queue_slot(s);
    if (e == NULL) {
        if (copy != NULL)
            sr__free(s->alloc, copy);
        return SR_ENOMEM;
    }
    sr_event *ev = &e->ev;
    memset(ev, 0, sizeof(*ev));
    ev->kind = SR_EV_SEND;
    ev->txn = t->id;
    ev->txn_kind = t->kind;
    ev->state = t->state;
    ev->addr = t->peer;
    ev->reliable = t->reliable;
    ev->status = status;
    ev->user = t->user;
    if (copy != NULL) {
        memcpy(copy, b->p, b->len);
        queue_put(s, e, copy, b->len, copy, NULL, false, t);
    } else
        queue_put(s, e, b->p != NULL ? b->p : "", b->len, NULL, NULL, lend, t);
    return 0;
}

/* One event lending @p p: it lends no more (the caller gives it the bytes, or it is older
 * than the event that gets them); *@p owner is the newest such event so far. */
static void unlend_one(sr_stack *s, sr__qev *e, const char *p, sr__qev **owner)
{
    if (!e->lent || e->ev.data != p)
        return;
    e->lent = false;
    s->n_lent--;
    *owner = e;
}

void sr__buf_unlend_slow(sr_stack *s, sr_buf *b)
{
    /* Events are released in queue order (cur first): the newest event lending the buffer
     * is released last, so it takes the buffer, and the older ones read it until then. */
    sr__qev *owner = NULL;
    unlend_one(s, &s->cur, b->p, &owner);
    size_t n = s->q_len < SR__LEND_WINDOW ? s->q_len : SR__LEND_WINDOW;
    for (size_t i = 0; i < n; i++)
        unlend_one(s, &s->q[q_at(s, i)], b->p, &owner);
    s->unlend_steps += 1 + n;
    if (owner == NULL)
        return;
    /* The buffer leaves the transaction: out of s->mem (sr_stack_memory counts what
     * transactions retain) and freed with the stack's allocator when its event goes. A
     * transaction's buffers are all talloc's (sr__txn_alloc). */
    owner->bytes = sr__talloc_disown(s, b->p);
    sr_buf_init(b, b->alloc);
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
    return sr__emit_t(s, t, &ev, NULL, 0, NULL);
}

/* Release the event handed out last and move the oldest queued one into its place: *@p ev.
 * Returns 0 or SR_ENOTFOUND (empty). */
int sr__queue_pop(sr_stack *s, sr_event *ev)
{
    sr__qev_release(s, &s->cur);
    if (s->q_len == 0)
        return SR_ENOTFOUND;
    /* cur takes what the event owns, and the pointer sr__buf_unlend compares: its other
     * fields are read from the caller's copy, never from cur */
    const sr__qev *e = &s->q[s->q_head];
    s->cur.bytes = e->bytes;
    s->cur.msg = e->msg;
    s->cur.lent = e->lent;
    s->cur.ev.data = e->ev.data;
    *ev = e->ev;
    s->q_head = q_at(s, 1);
    s->q_len--;
    s->q_seq++;
    return 0;
}

/* Hand the message of the event handed out last to the caller (NULL when none). */
sr_msg *sr__queue_take_msg(sr_stack *s)
{
    sr_msg *m = s->cur.msg;
    s->cur.msg = NULL; /* sr__qev_release at the next pop frees it no more */
    return m;
}

/* Give the user data of transaction @p t to its queued events (and to those it is related
 * to): a walk of its own chain, newest first, through the events still queued (a queue made
 * long by a burst of timers is not walked whole for each transaction). */
void sr__queue_set_user(sr_stack *s, sr__txn *t, void *user)
{
    sr_txn_id id = t->id;
    uint64_t seq = t->q_last;
    while (seq != 0 && seq >= s->q_seq) {
        sr__qev *e = &s->q[q_at(s, (size_t)(seq - s->q_seq))];
        s->user_steps++;
        uint64_t next = e->txn_prev;
        if (e->ev.txn == id)
            e->ev.user = user;
        else
            next = e->rel_prev;
        if (e->ev.related == id)
            e->ev.related_user = user;
        seq = next;
    }
}

/* Free every queued event and the queue. */
void sr__queue_cleanup(sr_stack *s)
{
    for (size_t i = 0; i < s->q_len; i++)
        sr__qev_release(s, &s->q[q_at(s, i)]);
    sr__qev_release(s, &s->cur);
    sr__free(s->alloc, s->q);
    s->q = NULL;
    s->q_len = s->q_cap = s->q_head = 0;
}
