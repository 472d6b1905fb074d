/* sipreply core: the timers (lanes and a deadline min-heap) and seeded PRNG for the
 * transaction layer. Equal deadlines fire in start order; time is always passed in, never
 * read. A timer started with a delay that has a lane is appended to it (timer_int.h: one
 * delay, start order = deadline order), O(1) to start and to stop; the rest go to the heap,
 * 4-ary with each slot's key stored in the array, so that its sifts compare keys in
 * contiguous memory rather than reading a timer inside every transaction on the path. */
#include <string.h>

#include "sipreply/error.h"

#include "core_int.h"
#include "timer_int.h"

void sr__timer_init(sr__timer *t, int kind)
{
    t->deadline = SR__NEVER;
    t->heap_index = SR__TIMER_IDLE;
    t->kind = (int16_t)kind;
    t->lane = 0;
}

bool sr__timer_is_armed(const sr__timer *t)
{
    return t->heap_index != SR__TIMER_IDLE;
}

void sr__timer_heap_init(sr__timer_heap *h, const sr_allocator *alloc)
{
    h->items = NULL;
    h->len = 0;
    h->cap = 0;
    h->next_seq = 0;
    h->alloc = alloc;
    h->nodes = NULL;
    h->nodes_used = 0;
    h->free_node = SR__TIMER_IDLE;
    h->n_lane = 0;
    h->lax_kinds = 0;
    for (int l = 0; l < SR__TIMER_LANES; l++)
        h->lanes[l] = (sr__timer_lane){0, SR__TIMER_IDLE, SR__TIMER_IDLE};
    h->lanes_used = 0;
    h->lanes_lax = 0;
    memset(h->hint, 0, sizeof(h->hint));
    h->min = (sr__timer_slot){SR__NEVER, 0, NULL};
}

void sr__timer_heap_cleanup(sr__timer_heap *h)
{
    for (size_t i = 0; i < h->len; i++)
        h->items[i].t->heap_index = SR__TIMER_IDLE;
    for (int l = 0; l < SR__TIMER_LANES; l++)
        for (uint32_t n = h->lanes[l].head; n != SR__TIMER_IDLE; n = h->nodes[n].next)
            h->nodes[n].t->heap_index = SR__TIMER_IDLE;
    sr__free(h->alloc, h->items);
    sr__free(h->alloc, h->nodes);
    uint32_t lax = h->lax_kinds;
    sr__timer_heap_init(h, h->alloc);
    h->lax_kinds = lax;
}

size_t sr__timer_armed(const sr__timer_heap *h)
{
    return h->len + h->n_lane;
}

int sr__timer_heap_reserve(sr__timer_heap *h, size_t need)
{
    if (h->cap >= need)
        return 0;
    if (need >= SR__TIMER_LANE_BIT) /* a heap position or node index is 31 bits */
        return SR_ENOMEM;
    size_t cap = h->cap * 2 > need ? h->cap * 2 : need;
    if (cap < 16)
        cap = 16;
    if (cap >= SR__TIMER_LANE_BIT)
        cap = SR__TIMER_LANE_BIT - 1;
    sr__timer_slot *items = sr__realloc(h->alloc, h->items, cap * sizeof(*items));
    if (items == NULL)
        return SR_ENOMEM;
    h->items = items; /* larger than cap says until the nodes follow: harmless */
    sr__timer_node *nodes = sr__realloc(h->alloc, h->nodes, cap * sizeof(*nodes));
    if (nodes == NULL)
        return SR_ENOMEM;
    h->nodes = nodes;
    h->cap = cap;
    return 0;
}

static bool earlier(const sr__timer_slot *a, const sr__timer_slot *b)
{
    return a->deadline != b->deadline ? a->deadline < b->deadline : a->seq < b->seq;
}

static void place(sr__timer_heap *h, size_t i, const sr__timer_slot *e)
{
    h->items[i] = *e;
    e->t->heap_index = (uint32_t)i;
}

/* Move the slot @p e, whose place is the hole at @p i, up to where it belongs. */
static void sift_up(sr__timer_heap *h, size_t i, sr__timer_slot e)
{
    while (i > 0) {
        size_t parent = (i - 1) / 4;
        if (!earlier(&e, &h->items[parent]))
            break;
        place(h, i, &h->items[parent]);
        i = parent;
    }
    place(h, i, &e);
}

/* Move the slot @p e, whose place is the hole at @p i, down to where it belongs. */
static void sift_down(sr__timer_heap *h, size_t i, sr__timer_slot e)
{
    for (;;) {
        size_t first = 4 * i + 1;
        if (first >= h->len)
            break;
        size_t last = first + 4 < h->len ? first + 4 : h->len;
        size_t c = first;
        for (size_t k = first + 1; k < last; k++)
            if (earlier(&h->items[k], &h->items[c]))
                c = k;
        if (!earlier(&h->items[c], &e))
            break;
        place(h, i, &h->items[c]);
        i = c;
    }
    place(h, i, &e);
}

/* Put @p e at @p i (a slot whose key changed, or the hole of a removal) where it belongs. */
static void settle(sr__timer_heap *h, size_t i, sr__timer_slot e)
{
    if (i > 0 && earlier(&e, &h->items[(i - 1) / 4]))
        sift_up(h, i, e);
    else
        sift_down(h, i, e);
}

static void remove_at(sr__timer_heap *h, size_t i)
{
    sr__timer *t = h->items[i].t;
    h->len--;
    if (i != h->len)
        settle(h, i, h->items[h->len]); /* the last slot fills the hole, either way */
    t->heap_index = SR__TIMER_IDLE;
}

/* The lane for a timer of @p kind and @p delay ending at @p deadline: the lane of that delay
 * (and of lax kinds if the kind is one, of others if not) if the timer goes last in it, else a
 * free lane (taken for that delay); -1: the heap. The lane of the kind's last start is tried
 * first (a kind mostly keeps its delay). */
static int lane_for(sr__timer_heap *h, int kind, uint64_t delay, uint64_t deadline)
{
    int l = -1;
    bool ok = kind >= 0 && kind < 32;
    uint32_t lax = ok && (h->lax_kinds >> kind & 1) ? ~0u : 0u; /* the lanes it may go to */
    uint32_t fit = h->lanes_used & ~(h->lanes_lax ^ lax);
    if (ok) {
        int k = h->hint[kind];
        if ((fit >> k & 1) && h->lanes[k].delay == delay)
            l = k;
    }
    for (uint32_t m = fit; l < 0 && m != 0; m &= m - 1) {
        int k = __builtin_ctz(m);
        if (h->lanes[k].delay == delay)
            l = k;
    }
    if (l >= 0) {
        if (h->nodes[h->lanes[l].tail].deadline > deadline)
            return -1;
    } else {
        uint32_t unused = ~h->lanes_used & ((1u << SR__TIMER_LANES) - 1);
        if (unused == 0)
            return -1;
        l = __builtin_ctz(unused);
        h->lanes[l].delay = delay;
        h->lanes_lax = (h->lanes_lax & ~(1u << l)) | (lax & 1u << l);
    }
    if (kind >= 0 && kind < 32)
        h->hint[kind] = (uint8_t)l;
    return l;
}

/* Append @p e to lane @p l; one node at least is unused, since sr__timer_armed() < cap. */
static void lane_push(sr__timer_heap *h, int l, const sr__timer_slot *e)
{
    uint32_t n;
    if (h->free_node != SR__TIMER_IDLE) {
        n = h->free_node;
        h->free_node = h->nodes[n].next;
    } else {
        n = (uint32_t)h->nodes_used++;
    }
    sr__timer_lane *ln = &h->lanes[l];
    h->nodes[n] = (sr__timer_node){e->deadline, e->seq, e->t, ln->tail, SR__TIMER_IDLE};
    if (ln->tail != SR__TIMER_IDLE) {
        h->nodes[ln->tail].next = n;
    } else {
        ln->head = n;
        h->lanes_used |= 1u << l;
    }
    ln->tail = n;
    h->n_lane++;
    e->t->heap_index = SR__TIMER_LANE_BIT | n;
    e->t->lane = (uint8_t)l;
}

/* Unlink node @p n from its lane @p l and free it. */
static void lane_remove(sr__timer_heap *h, uint32_t n, unsigned l)
{
    sr__timer_node *x = &h->nodes[n];
    sr__timer_lane *ln = &h->lanes[l];
    if (x->prev != SR__TIMER_IDLE)
        h->nodes[x->prev].next = x->next;
    else if ((ln->head = x->next) == SR__TIMER_IDLE)
        h->lanes_used &= ~(1u << l); /* it was the only one */
    if (x->next != SR__TIMER_IDLE)
        h->nodes[x->next].prev = x->prev;
    else
        ln->tail = x->prev;
    x->t->heap_index = SR__TIMER_IDLE;
    x->t = NULL;
    x->next = h->free_node;
    h->free_node = n;
    h->n_lane--;
}

/* Find the earliest armed timer again (the one known went): the heap's top or a lane's
 * head, at most SR__TIMER_LANES + 1 to compare. */
static void find_min(sr__timer_heap *h)
{
    sr__timer_slot best = {SR__NEVER, 0, NULL};
    if (h->len)
        best = h->items[0];
    for (uint32_t m = h->lanes_used; m != 0; m &= m - 1) {
        const sr__timer_node *x = &h->nodes[h->lanes[__builtin_ctz(m)].head];
        sr__timer_slot e = {x->deadline, x->seq, x->t};
        if (best.t == NULL || earlier(&e, &best))
            best = e;
    }
    h->min = best;
}

static void unarm(sr__timer_heap *h, sr__timer *t)
{
    if (t->heap_index & SR__TIMER_LANE_BIT)
        lane_remove(h, t->heap_index & ~SR__TIMER_LANE_BIT, t->lane);
    else
        remove_at(h, t->heap_index);
    if (h->min.t == t)
        find_min(h);
}

/* The earliest timer stays so unless @p e, just (re)started, is earlier; a re-armed earliest
 * timer is looked for again. */
static void note_start(sr__timer_heap *h, const sr__timer_slot *e)
{
    if (h->min.t == e->t)
        find_min(h);
    else if (h->min.t == NULL || earlier(e, &h->min))
        h->min = *e;
}

int sr__timer_start(sr__timer_heap *h, sr__timer *t, uint64_t now, uint64_t delay)
{
    uint64_t deadline = sr__deadline_add(now, delay);
    if (sr__timer_is_armed(t)) {
        if (!(t->heap_index & SR__TIMER_LANE_BIT)) {
            /* re-arming in the heap: one sift from where it is */
            sr__timer_slot e = {deadline, h->next_seq++, t};
            t->deadline = deadline;
            settle(h, t->heap_index, e);
            note_start(h, &e);
            return 0;
        }
        unarm(h, t); /* its room stays reserved */
    } else if (sr__timer_armed(h) >= h->cap &&
               sr__timer_heap_reserve(h, sr__timer_armed(h) + 1) != 0) {
        return SR_ENOMEM;
    }
    t->deadline = deadline;
    sr__timer_slot e = {deadline, h->next_seq++, t};
    int l = lane_for(h, t->kind, delay, deadline);
    if (l >= 0) {
        lane_push(h, l, &e);
    } else {
        h->len++;
        sift_up(h, h->len - 1, e);
    }
    note_start(h, &e);
    return 0;
}

void sr__timer_unarm(sr__timer_heap *h, sr__timer *t)
{
    unarm(h, t);
}

uint64_t sr__timer_next(const sr__timer_heap *h)
{
    return h->min.t != NULL ? h->min.deadline : SR__NEVER;
}

uint64_t sr__timer_next_strict(const sr__timer_heap *h)
{
    uint64_t d = h->len ? h->items[0].deadline : SR__NEVER;
    for (uint32_t m = h->lanes_used & ~h->lanes_lax; m != 0; m &= m - 1) {
        uint64_t x = h->nodes[h->lanes[__builtin_ctz(m)].head].deadline;
        if (x < d)
            d = x;
    }
    return d;
}

sr__timer *sr__timer_pop_due(sr__timer_heap *h, uint64_t now)
{
    sr__timer *t = h->min.t;
    if (t == NULL || h->min.deadline > now)
        return NULL;
    unarm(h, t);
    return t;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

void sr__rng_seed(sr__rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sr__rng_next(sr__rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t sr__rng_below(sr__rng *r, uint64_t bound)
{
    if (bound == 0)
        return 0;
    /* Rejection sampling: discard the top partial range so every value is equally likely. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
    uint64_t v;
    do {
        v = sr__rng_next(r);
    } while (v >= limit);
    return v % bound;
}
