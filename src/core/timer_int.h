/* sipreply core: the timers (fixed-delay lanes and a deadline min-heap) of the transaction layer.
 * Ordered by (deadline, sequence) so equal deadlines fire in start order (STYLE.md §6). */
#ifndef SIPREPLY_TIMER_INT_H
#define SIPREPLY_TIMER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipreply/alloc.h"

/* "Nothing pending". */
#define SR__NEVER UINT64_MAX

/*
 * A timer slot embedded in its owner (a transaction's tm[kind]). A slot is armed while
 * heap_index != SR__TIMER_IDLE. The owner is found from the slot by the caller (container
 * pattern: the slot is its owner's tm[kind]); 16 bytes, since every transaction has one per
 * RFC 3261 timer. lane: the lane it is armed in (when heap_index says a lane), so that
 * stopping it finds its lane without looking.
 */
#define SR__TIMER_IDLE UINT32_MAX
typedef struct sr__timer {
    uint64_t deadline;
    uint32_t heap_index;
    int16_t kind;
    uint8_t lane;
} sr__timer;

/* A heap slot: the timer's key is kept beside its pointer, so that sifting compares keys in
 * the array (one cache line holds a node's four children) instead of reading every timer. */
typedef struct sr__timer_slot {
    uint64_t deadline;
    uint64_t seq;
    sr__timer *t;
} sr__timer_slot;

/* A node of a lane (below): a slot in a doubly linked list, by index into the nodes array. */
typedef struct sr__timer_node {
    uint64_t deadline;
    uint64_t seq;
    sr__timer *t;
    uint32_t prev, next; /* SR__TIMER_IDLE at either end */
} sr__timer_node;

/*
 * A lane holds timers started with one and the same delay, in start order. With the clock
 * never going back, start order is deadline order, so a lane is a FIFO already sorted by
 * (deadline, seq): starting a timer appends it, stopping one unlinks it, both O(1), and the
 * earliest is the head. The transactions' timers are a handful of fixed delays (B, D, F, H, J
 * at 64·T1; I, K at T4; the 100 Trying at 200 ms; A, E, G at T1 times a power of two), so
 * nearly all of them ride in lanes; a timer whose delay has no lane (every lane taken by
 * another delay) or that would end before the lane's last one (a clock passed in going back)
 * goes to the heap.
 */
#define SR__TIMER_LANES 8
typedef struct sr__timer_lane {
    uint64_t delay;
    uint32_t head, tail; /* node indexes, SR__TIMER_IDLE when the lane is empty (then free) */
} sr__timer_lane;

/*
 * The timers: a 4-ary min-heap of slots ordered by (deadline, seq), and the lanes. Both draw
 * on room reserved together (cap: as many heap slots and lane nodes as timers may be armed),
 * so that arming a timer allocates nothing once sr__timer_heap_reserve() succeeded. Every
 * armed timer's heap_index says where it is: a heap position, or SR__TIMER_LANE_BIT | its
 * node's index.
 */
#define SR__TIMER_LANE_BIT 0x80000000u
typedef struct sr__timer_heap {
    sr__timer_slot *items;
    size_t len;
    size_t cap;
    uint64_t next_seq;
    const sr_allocator *alloc;
    sr__timer_node *nodes; /* cap of them; [0, nodes_used) handed out at least once */
    size_t nodes_used;
    uint32_t free_node; /* a free list through next, SR__TIMER_IDLE when empty */
    size_t n_lane;      /* timers armed in lanes */
    sr__timer_lane lanes[SR__TIMER_LANES];
    uint32_t lanes_used; /* bit l: lane l holds timers */
    uint32_t lanes_lax;  /* bit l: lane l holds timers of lax kinds (set while it is used) */
    uint32_t lax_kinds;  /* bit k: timers of kind k may fire late (sr__timer_next_strict) */
    uint8_t hint[32];    /* by timer kind (0-31): the lane its last start went to */
    sr__timer_slot min;  /* the earliest armed timer (t NULL: none) */
} sr__timer_heap;

void sr__timer_init(sr__timer *t, int kind);
bool sr__timer_is_armed(const sr__timer *t);

void sr__timer_heap_init(sr__timer_heap *h, const sr_allocator *alloc);
void sr__timer_heap_cleanup(sr__timer_heap *h);

/* Make room for @p need timers, so that arming one later cannot fail. 0 or SR_ENOMEM. */
int sr__timer_heap_reserve(sr__timer_heap *h, size_t need);

/*
 * Arm @p t to fire at now + delay (saturating at SR__NEVER - 1). Re-arming an armed timer
 * moves it in place (it then fires after every timer already armed for the same instant, as
 * a fresh start would). Returns 0 or SR_ENOMEM (only when @p t was not armed; it stays so).
 */
int sr__timer_start(sr__timer_heap *h, sr__timer *t, uint64_t now, uint64_t delay);
/* Disarm @p t (no-op when not armed). */
void sr__timer_unarm(sr__timer_heap *h, sr__timer *t); /* @p t armed */
static inline void sr__timer_stop(sr__timer_heap *h, sr__timer *t)
{
    if (t->heap_index != SR__TIMER_IDLE)
        sr__timer_unarm(h, t);
}
/* How many timers are armed (in the heap and the lanes). */
size_t sr__timer_armed(const sr__timer_heap *h);
/* The earliest deadline, SR__NEVER when empty. */
uint64_t sr__timer_next(const sr__timer_heap *h);
/* The earliest deadline of a timer whose kind is not in h->lax_kinds (the heap's top counts
 * as one whatever its kind), SR__NEVER when none. A lane holds lax kinds or others, never
 * both, so this is one look at each lane's head. */
uint64_t sr__timer_next_strict(const sr__timer_heap *h);
/* Remove and return the earliest timer due at or before @p now, or NULL. */
sr__timer *sr__timer_pop_due(sr__timer_heap *h, uint64_t now);

/* Saturating now + delay. */
static inline uint64_t sr__deadline_add(uint64_t now, uint64_t delay)
{
    return delay >= SR__NEVER - 1 - now ? SR__NEVER - 1 : now + delay;
}

/*
 * A small seeded PRNG (xoshiro256** seeded through splitmix64): deterministic for a seed, so
 * tests replay exactly; the daemon seeds it from getrandom(). Not for cryptography.
 */
typedef struct sr__rng {
    uint64_t s[4];
} sr__rng;

void sr__rng_seed(sr__rng *r, uint64_t seed);
uint64_t sr__rng_next(sr__rng *r);
/* Uniform in [0, bound) without modulo bias; bound 0 gives 0. */
uint64_t sr__rng_below(sr__rng *r, uint64_t bound);

#endif /* SIPREPLY_TIMER_INT_H */
