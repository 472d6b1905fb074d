/* sipreply: the injectable allocator.
 * Every allocation in libsipreply goes through an sr_allocator; NULL means malloc/free. */
#ifndef SIPREPLY_ALLOC_H
#define SIPREPLY_ALLOC_H

#include <stddef.h>

#include <sipreply/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * An allocator: three functions and a user pointer handed back to each. realloc_fn must
 * behave like realloc(3) (a NULL pointer allocates; on failure the old block is untouched),
 * free_fn must accept NULL. Sizes passed are never 0.
 */
typedef struct sr_allocator {
    void *(*alloc_fn)(size_t size, void *user);
    void *(*realloc_fn)(void *ptr, size_t size, void *user);
    void (*free_fn)(void *ptr, void *user);
    void *user;
} sr_allocator;

/** The default allocator (malloc, realloc, free). The object is static and immutable. */
SR_API const sr_allocator *sr_allocator_default(void);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_ALLOC_H */
