/* sipreplyd: a caching allocator for the messages the engine parses and builds.
 *
 * Every datagram becomes a parsed message (one arena of a few kilobytes) and most get a built
 * response (another): sizes past the C library's per-thread cache, so each went through its
 * general allocator and back. The pool keeps freed blocks of 17 size classes (64 bytes, then
 * powers of two from 128 bytes to 16 KiB and one and a half times each, header included) on
 * free lists, up to a bound per class (and past it up to a bound in bytes, until trimmed),
 * and hands them out again; larger blocks go to malloc directly. One pool belongs to one
 * engine (no locking; sipreplyd has one thread).
 * Under AddressSanitizer nothing is kept, so that use after free is still caught. */
#ifndef SIPREPLYD_POOL_H
#define SIPREPLYD_POOL_H

#include <stddef.h>

#include "sipreply/alloc.h"

typedef struct sd_pool sd_pool;

/* Counters, for tests and the curious. */
typedef struct sd_pool_stats {
    size_t hits;     /* allocations served from a free list */
    size_t misses;   /* allocations that called malloc */
    size_t kept;     /* blocks on the free lists now */
    size_t returned; /* frees that went back to the C library (list full, or too large) */
} sd_pool_stats;

/* A pool keeping up to @p keep blocks per class (0: a plain malloc wrapper). NULL on ENOMEM. */
sd_pool *sd_pool_new(size_t keep);
/* The same, its blocks (and itself) taken from @p up (NULL: malloc): a failing allocator
 * there reaches every allocation made through the pool. */
sd_pool *sd_pool_new_with(size_t keep, const sr_allocator *up);
/* Frees the pool and the blocks it keeps. Every block handed out must have been freed through
 * the allocator before. */
void sd_pool_free(sd_pool *p);
/* Past @p keep blocks per class, keep freed blocks as long as those kept weigh at most
 * @p bytes in all (0, the default: keep no more than @p keep), so that the memory of a burst
 * serves the next one instead of going back to the C library and out of it again. */
void sd_pool_set_keep_bytes(sd_pool *p, size_t bytes);
/* Give back to the C library every kept block past @p keep per class; returns how many. */
size_t sd_pool_trim(sd_pool *p);
/* The allocator to hand to the core (sr_config.alloc, sr_parse_opts.alloc, ...). */
const sr_allocator *sd_pool_allocator(sd_pool *p);
void sd_pool_get_stats(const sd_pool *p, sd_pool_stats *out);

#endif /* SIPREPLYD_POOL_H */
