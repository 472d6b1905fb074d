/* sipreply core: transaction plumbing — allocation under the stack's limits, the counting
 * allocator, the list, termination and timer slots (RFC 3261 §17; STYLE.md §6). */
#include <string.h>

#include "sipreply/error.h"

#include "core_int.h"
#include "txn_int.h"

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

/* A block of the counting allocator that leaves the count (a transaction's buffer handed
 * to the SR_EV_SEND events lending it, sr__buf_unlend): the raw block, for sr__free(s->alloc). */
void *sr__talloc_disown(sr_stack *s, void *p)
{
    char *raw = (char *)p - TA_HDR;
    size_t n;
    memcpy(&n, raw, sizeof(n));
    s->mem -= n + TA_HDR;
    return raw;
}

/* Route what transactions retain through the counting allocator above. */
void sr__talloc_init(sr_stack *s)
{
    s->talloc = (sr_allocator){ta_alloc, ta_realloc, ta_free, s};
}

/* The timer slots by transaction kind (txn_int.h). */
#define IC (1u << SR_TXN_INVITE_CLIENT)
#define NC (1u << SR_TXN_NON_INVITE_CLIENT)
#define IS (1u << SR_TXN_INVITE_SERVER)
#define NS (1u << SR_TXN_NON_INVITE_SERVER)
const uint8_t sr__tk_owners[SR__TK_COUNT] = {
    [SR__TK_A] = IC,           [SR__TK_B] = IC, [SR__TK_C] = IC,   [SR__TK_D] = IC,
    [SR__TK_M] = IC,           [SR__TK_E] = NC, [SR__TK_F] = NC,   [SR__TK_K] = NC,
    [SR__TK_TRYING] = IS | NS, [SR__TK_J] = NS, [SR__TK_G] = IS,   [SR__TK_H] = IS,
    [SR__TK_I] = IS,           [SR__TK_L] = IS, [SR__TK_REL] = IS, [SR__TK_REL_GIVEUP] = IS,
    [SR__TK_2XX] = IS,
};
#undef IC
#undef NC
#undef IS
#undef NS
const uint8_t sr__tk_slot[SR__TK_COUNT] = {
    [SR__TK_A] = 0,      [SR__TK_B] = 1, [SR__TK_C] = 2,   [SR__TK_D] = 3,
    [SR__TK_M] = 4,      [SR__TK_E] = 0, [SR__TK_F] = 1,   [SR__TK_K] = 2,
    [SR__TK_TRYING] = 0, [SR__TK_J] = 1, [SR__TK_G] = 1,   [SR__TK_H] = 2,
    [SR__TK_I] = 3,      [SR__TK_L] = 4, [SR__TK_REL] = 5, [SR__TK_REL_GIVEUP] = 6,
    [SR__TK_2XX] = 7,
};
const uint8_t sr__slot_tk[4][SR__TXN_MAX_SLOTS] = {
    [SR_TXN_INVITE_CLIENT] = {SR__TK_A, SR__TK_B, SR__TK_C, SR__TK_D, SR__TK_M},
    [SR_TXN_NON_INVITE_CLIENT] = {SR__TK_E, SR__TK_F, SR__TK_K},
    [SR_TXN_INVITE_SERVER] = {SR__TK_TRYING, SR__TK_G, SR__TK_H, SR__TK_I, SR__TK_L, SR__TK_REL,
                              SR__TK_REL_GIVEUP, SR__TK_2XX},
    [SR_TXN_NON_INVITE_SERVER] = {SR__TK_TRYING, SR__TK_J},
};
const uint8_t sr__txn_slots[4] = {
    [SR_TXN_INVITE_CLIENT] = 5,
    [SR_TXN_NON_INVITE_CLIENT] = 3,
    [SR_TXN_INVITE_SERVER] = 8,
    [SR_TXN_NON_INVITE_SERVER] = 2,
};

/* Free @p t and what it holds; it must be out of the list and the index already. */
void sr__txn_destroy(sr_stack *s, sr__txn *t)
{
    if (t->retx_2xx)
        s->n_retx_2xx--; /* it resends its 2xx no more */
    unsigned n = sr__txn_slots[t->kind];
    for (unsigned i = 0; i < n; i++)
        sr__timer_stop(&s->heap, &t->tm[i]);
    s->tm_slots -= n;
    /* a server without its request is in Confirmed and holds its skey instead */
    bool compacted = !sr__txn_is_client(t->kind) && t->req == NULL;
    if (!sr__txn_is_client(t->kind))
        sr__server_release_req(s, t); /* ext_bytes, the shared request's, is 0 after */
    else if (t->req != NULL)
        sr_msg_free(t->req);
    sr__buf_release(s, &t->resp); /* a queued SR_EV_SEND lending one keeps it */
    if (sr__txn_is_client(t->kind)) {
        if (t->cancel_msg != NULL)
            sr_msg_free(t->cancel_msg); /* counted in ext_bytes while it waited */
        sr__buf_release(s, &t->req_bytes);
        for (size_t i = 0; i < t->n_early; i++)
            sr_buf_cleanup(&t->early[i].routes);
        if (t->early != NULL)
            sr__free(&s->talloc, t->early);
    } else {
        if (t->held_2xx != NULL)
            sr_msg_free(t->held_2xx);
        sr__buf_release(s, &t->rel_bytes);
        if (compacted && t->skey != NULL) /* Confirmed (sr__server_compact) */
            sr__free(&s->talloc, t->skey);
    }
    s->mem -= t->ext_bytes;
    sr__free(&s->talloc, t);
    /* The last one gone after a burst: give back the timer room reserved for them (each
     * live transaction reserves a heap slot of 24 bytes and a lane node of 32 per timer
     * slot it holds); a small table keeps it. */
    if (s->n_txns == 0 && sr__timer_armed(&s->heap) == 0 && s->heap.cap > 256 * SR__TXN_MAX_SLOTS)
        sr__timer_heap_cleanup(&s->heap);
}

/* The heap has room for every timer slot of every transaction (sr__timer_heap_reserve: the
 * slots their kinds hold, s->tm_slots), so that arming a timer later can never fail: a
 * transaction never loses its way out (B, D, F, H, J, K, L, M). */
int sr__txn_alloc(sr_stack *s, sr_txn_kind kind, const sr_addr *peer, size_t reserve, sr__txn **out)
{
    /* The byte budget: what live transactions retain (s->mem, the new one's request copy
     * included), the new transaction itself, and @p reserve for what it will keep later (a
     * server's response), so that what is admitted stays within max_memory. */
    if (s->n_txns >= s->cfg.max_transactions ||
        (s->cfg.max_memory != 0 &&
         s->mem + sr__txn_size(kind) + TA_HDR + reserve > s->cfg.max_memory)) {
        s->refused++;
        return SR_ETOOBIG;
    }
    unsigned n = sr__txn_slots[kind];
    if (sr__timer_heap_reserve(&s->heap, s->tm_slots + n) != 0)
        return SR_ENOMEM;
    sr__txn *t = sr__malloc(&s->talloc, sr__txn_size(kind));
    if (t == NULL)
        return SR_ENOMEM;
    memset(t, 0, offsetof(sr__txn, tm));
    s->tm_slots += n;
    t->id = s->next_id++;
    t->kind = kind;
    t->state = kind == SR_TXN_INVITE_CLIENT   ? SR_TXN_CALLING
               : kind == SR_TXN_INVITE_SERVER ? SR_TXN_PROCEEDING
                                              : SR_TXN_TRYING;
    t->peer = *peer;
    t->reliable = sr__reliable(peer->transport);
    for (unsigned i = 0; i < n; i++)
        t->tm[i] = (sr__timer){SR__NEVER, SR__TIMER_IDLE, (int16_t)sr__slot_tk[kind][i], 0};
    sr_buf_init(&t->resp, &s->talloc);
    if (sr__txn_is_client(kind))
        sr_buf_init(&t->req_bytes, &s->talloc);
    else
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
    int rc = sr__emit_t(s, t, &ev, NULL, 0, NULL); /* t's chain: gone with it */
    (void)rc; /* only SR_ENOMEM, and there is nothing left to undo */
    sr__txn_destroy(s, t);
}

/* Free a transaction that never became visible (construction failed). */
void sr__txn_discard(sr_stack *s, sr__txn *t)
{
    txn_unlink(s, t);
    sr__txn_destroy(s, t);
}

/* "z9hG4bK" + 16 hex digits from the stack's PRNG, NUL-terminated (sr_stack_new_branch). */
void sr__new_branch(sr_stack *s, char *out)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t r = sr__rng_next(&s->rng);
    memcpy(out, "z9hG4bK", 7);
    for (int i = 0; i < 16; i++)
        out[7 + i] = hex[(r >> (60 - 4 * i)) & 0xf];
    out[SR_BRANCH_LEN] = '\0';
}
