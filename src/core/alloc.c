/* sipreply core: the default allocator and the allocation entry points.
 * The only file in src/core that calls malloc, realloc or free. */
#include <stdlib.h>

#include "core_int.h"

static void *def_alloc(size_t size, void *user)
{
    (void)user; /* the default allocator has no state */
    return malloc(size);
}

static void *def_realloc(void *ptr, size_t size, void *user)
{
    (void)user; /* the default allocator has no state */
    return realloc(ptr, size);
}

static void def_free(void *ptr, void *user)
{
    (void)user; /* the default allocator has no state */
    free(ptr);
}

static const sr_allocator default_allocator = {def_alloc, def_realloc, def_free, NULL};

const sr_allocator *sr_allocator_default(void)
{
    return &default_allocator;
}

const sr_allocator *sr__alloc_or_default(const sr_allocator *a)
{
    return a ? a : &default_allocator;
}

void *sr__malloc(const sr_allocator *a, size_t size)
{
    if (!a)
        return malloc(size ? size : 1); /* the default allocator, without the indirection */
    a = sr__alloc_or_default(a);
    return a->alloc_fn(size ? size : 1, a->user);
}

void *sr__realloc(const sr_allocator *a, void *ptr, size_t size)
{
    a = sr__alloc_or_default(a);
    return a->realloc_fn(ptr, size ? size : 1, a->user);
}

void sr__free(const sr_allocator *a, void *ptr)
{
    if (!ptr)
        return;
    if (!a) {
        free(ptr);
        return;
    }
    a->free_fn(ptr, a->user);
}
