/* sipreply core: deadline min-heap and seeded PRNG for the transaction layer.
 * Equal deadlines fire in start order; time is always passed in, never read. The heap is
 * 4-ary with each slot's key stored in the array: a transaction arms and cancels several
 * timers (100 Trying, G, H, I...), and the sifts of those cancellations then compare keys in
 * contiguous memory rather than reading a timer inside every transaction on the path. */
#include "sipreply/error.h"

#include "core_int.h"
#include "timer_int.h"

void sr__timer_init(sr__timer *t, int kind)
{
    t->deadline = SR__NEVER;
    t->heap_index = SR__TIMER_IDLE;
    t->kind = kind;
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
}

void sr__timer_heap_cleanup(sr__timer_heap *h)
{
    for (size_t i = 0; i < h->len; i++)
        h->items[i].t->heap_index = SR__TIMER_IDLE;
    sr__free(h->alloc, h->items);
    h->items = NULL;
    h->len = h->cap = 0;
}

int sr__timer_heap_reserve(sr__timer_heap *h, size_t need)
{
    if (h->cap >= need)
        return 0;
    if (need >= SR__TIMER_IDLE) /* a slot's index is 32 bits */
        return SR_ENOMEM;
    size_t cap = h->cap * 2 > need ? h->cap * 2 : need;
    if (cap < 16)
        cap = 16;
    if (cap >= SR__TIMER_IDLE)
        cap = SR__TIMER_IDLE - 1;
    sr__timer_slot *items = sr__realloc(h->alloc, h->items, cap * sizeof(*items));
    if (items == NULL)
        return SR_ENOMEM;
    h->items = items;
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

int sr__timer_start(sr__timer_heap *h, sr__timer *t, uint64_t now, uint64_t delay)
{
    t->deadline = sr__deadline_add(now, delay);
    sr__timer_slot e = {t->deadline, h->next_seq++, t};
    if (sr__timer_is_armed(t)) {
        /* re-arming: one sift from where it is, no removal and insertion */
        settle(h, t->heap_index, e);
        return 0;
    }
    if (h->len == h->cap && sr__timer_heap_reserve(h, h->len + 1) != 0)
        return SR_ENOMEM;
    h->len++;
    sift_up(h, h->len - 1, e);
    return 0;
}

void sr__timer_stop(sr__timer_heap *h, sr__timer *t)
{
    if (sr__timer_is_armed(t))
        remove_at(h, t->heap_index);
}

uint64_t sr__timer_next(const sr__timer_heap *h)
{
    return h->len ? h->items[0].deadline : SR__NEVER;
}

sr__timer *sr__timer_pop_due(sr__timer_heap *h, uint64_t now)
{
    if (h->len == 0 || h->items[0].deadline > now)
        return NULL;
    sr__timer *t = h->items[0].t;
    remove_at(h, 0);
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
