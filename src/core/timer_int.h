/* sipreply core: the deadline min-heap used by the transaction layer.
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
 * RFC 3261 timer.
 */
#define SR__TIMER_IDLE UINT32_MAX
typedef struct sr__timer {
    uint64_t deadline;
    uint32_t heap_index;
    int32_t kind;
} sr__timer;

/* A heap slot: the timer's key is kept beside its pointer, so that sifting compares keys in
 * the array (one cache line holds a node's four children) instead of reading every timer. */
typedef struct sr__timer_slot {
    uint64_t deadline;
    uint64_t seq;
    sr__timer *t;
} sr__timer_slot;

/* A 4-ary min-heap of slots ordered by (deadline, seq). */
typedef struct sr__timer_heap {
    sr__timer_slot *items;
    size_t len;
    size_t cap;
    uint64_t next_seq;
    const sr_allocator *alloc;
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
void sr__timer_stop(sr__timer_heap *h, sr__timer *t);
/* The earliest deadline, SR__NEVER when empty. */
uint64_t sr__timer_next(const sr__timer_heap *h);
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
