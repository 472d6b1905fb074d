/* sipreply core: the message arena, a short chain of bump-allocated chunks.
 * One allocation per message in the common case; one free per chunk (STYLE.md §5). */
#include <stdint.h>

#include "core_int.h"

#define CHUNK_HDR SR__CHUNK_HDR

static sr__chunk *chunk_new(const sr_allocator *alloc, size_t cap)
{
    if (cap > SIZE_MAX - CHUNK_HDR)
        return NULL;
    sr__chunk *c = sr__malloc(alloc, CHUNK_HDR + cap);
    if (!c)
        return NULL;
    c->next = NULL;
    c->used = 0;
    c->cap = cap;
    return c;
}

int sr__arena_init(sr__arena *a, const sr_allocator *alloc, size_t cap)
{
    a->alloc = alloc;
    a->head = chunk_new(alloc, cap < 256 ? 256 : cap);
    return a->head ? 0 : SR_ENOMEM;
}

void *sr__arena_alloc_slow(sr__arena *a, size_t n)
{
    if (n > SIZE_MAX / 2)
        return NULL;
    n = (n + 15u) & ~(size_t)15u;
    sr__chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = c ? c->cap * 2 : 1024;
        if (cap < n)
            cap = n;
        sr__chunk *nc = chunk_new(a->alloc, cap);
        if (!nc)
            return NULL;
        nc->next = c;
        a->head = nc;
        c = nc;
    }
    void *p = (char *)c + CHUNK_HDR + c->used;
    c->used += n;
    return p;
}

void sr__arena_cleanup(sr__arena *a)
{
    sr__chunk *c = a->head;
    while (c) {
        sr__chunk *next = c->next;
        sr__free(a->alloc, c);
        c = next;
    }
    a->head = NULL;
}
