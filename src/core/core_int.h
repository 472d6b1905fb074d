/* sipreply core: declarations shared inside libsipreply only (never installed).
 * Internal symbols are prefixed sr__. */
#ifndef SIPREPLY_CORE_INT_H
#define SIPREPLY_CORE_INT_H

#include <stddef.h>

#include "sipreply/alloc.h"

/* Resolve NULL to the default allocator. */
const sr_allocator *sr__alloc_or_default(const sr_allocator *a);

/* Allocation entry points: the only way core code obtains memory. */
void *sr__malloc(const sr_allocator *a, size_t size);
void *sr__realloc(const sr_allocator *a, void *ptr, size_t size);
void sr__free(const sr_allocator *a, void *ptr);

/* ASCII helpers, locale-independent. */
static inline int sr__tolower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

#endif /* SIPREPLY_CORE_INT_H */
