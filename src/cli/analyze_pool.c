/* sipreply CLI: `sipreply analyze` pool of blocks for parsed messages: free lists by size
 * class, for one thread, or shared by the pipeline's threads through blocks of their own. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"

#define POOL_HDR 16 /* before each block: its class (byte 0) and size (bytes 8..15) */

static size_t pool_class(size_t n)
{
    size_t c = 0, sz = 1024;
    while (sz < n && c < AZ_POOL_CLASSES) {
        sz <<= 1;
        c++;
    }
    return c; /* AZ_POOL_CLASSES: too large for the pool */
}

/* A new block for @p n bytes of class @p k. */
static unsigned char *block_new(size_t n, size_t k)
{
    size_t sz = k < AZ_POOL_CLASSES ? (size_t)1024 << k : n;
    unsigned char *b = malloc(POOL_HDR + sz);
    if (!b)
        return NULL;
    b[0] = (unsigned char)k;
    memcpy(b + 8, &sz, sizeof sz);
    return b;
}

static void *pool_alloc(size_t n, void *user)
{
    az_pool *p = user;
    if (n > SIZE_MAX - POOL_HDR)
        return NULL;
    size_t c = pool_class(n);
    unsigned char *b;
    if (c < AZ_POOL_CLASSES && p->free[c]) {
        b = p->free[c];
        memcpy(&p->free[c], b + POOL_HDR, sizeof(void *));
        p->nfree[c]--;
    } else if (!(b = block_new(n, c))) {
        return NULL;
    }
    return b + POOL_HDR;
}

static void pool_free(void *ptr, void *user)
{
    if (!ptr)
        return;
    az_pool *p = user;
    unsigned char *b = (unsigned char *)ptr - POOL_HDR;
    size_t c = b[0];
    if (c >= AZ_POOL_CLASSES || p->nfree[c] >= p->keep) {
        free(b);
        return;
    }
    memcpy(b + POOL_HDR, &p->free[c], sizeof(void *));
    p->free[c] = b;
    p->nfree[c]++;
}

/* realloc through @p af and @p ff: a block that fits already is kept */
static void *pool_realloc_with(void *ptr, size_t n, void *user, void *(*af)(size_t, void *),
                               void (*ff)(void *, void *))
{
    if (!ptr)
        return af(n, user);
    unsigned char *b = (unsigned char *)ptr - POOL_HDR;
    size_t sz;
    memcpy(&sz, b + 8, sizeof sz);
    if (n <= sz)
        return ptr;
    void *q = af(n, user);
    if (!q)
        return NULL;
    memcpy(q, ptr, sz);
    ff(ptr, user);
    return q;
}

static void *pool_realloc(void *ptr, size_t n, void *user)
{
    return pool_realloc_with(ptr, n, user, pool_alloc, pool_free);
}

/* ------------------------------------------------------------------ shared */

/* The blocks of the calling thread (az_pool_attach()). */
static _Thread_local az_pool_cache *tl_cache;

/* Move up to @p count free blocks of class @p k from the pool to @p c (under the lock). */
static void take_run(az_pool *p, az_pool_cache *c, size_t k, unsigned count)
{
    void **s = p->shared + k * p->keep;
    while (count-- && p->nshared[k] && c->n[k] < 2 * AZ_POOL_RUN)
        c->b[k][c->n[k]++] = s[--p->nshared[k]];
}

/* Move up to @p count free blocks of class @p k from @p c to the pool (past keep: free()). */
static void give_run(az_pool *p, az_pool_cache *c, size_t k, unsigned count)
{
    void **s = p->shared + k * p->keep;
    while (count-- && c->n[k]) {
        void *b = c->b[k][--c->n[k]];
        if (p->nshared[k] < p->keep)
            s[p->nshared[k]++] = b;
        else
            free(b);
    }
}

static void *shared_alloc(size_t n, void *user)
{
    az_pool *p = user;
    if (n > SIZE_MAX - POOL_HDR)
        return NULL;
    size_t k = pool_class(n);
    az_pool_cache *c = tl_cache;
    unsigned char *b = NULL;
    if (k < AZ_POOL_CLASSES) {
        if (!c) { /* a thread without blocks of its own: one at a time */
            pthread_mutex_lock(p->lock);
            if (p->nshared[k])
                b = p->shared[k * p->keep + --p->nshared[k]];
            pthread_mutex_unlock(p->lock);
        } else {
            if (!c->n[k]) {
                pthread_mutex_lock(p->lock);
                take_run(p, c, k, AZ_POOL_RUN);
                pthread_mutex_unlock(p->lock);
            }
            if (c->n[k])
                b = c->b[k][--c->n[k]];
        }
    }
    if (!b && !(b = block_new(n, k)))
        return NULL;
    return b + POOL_HDR;
}

static void shared_free(void *ptr, void *user)
{
    if (!ptr)
        return;
    az_pool *p = user;
    unsigned char *b = (unsigned char *)ptr - POOL_HDR;
    size_t k = b[0];
    if (k >= AZ_POOL_CLASSES) {
        free(b);
        return;
    }
    az_pool_cache *c = tl_cache;
    if (!c) {
        pthread_mutex_lock(p->lock);
        if (p->nshared[k] < p->keep) {
            p->shared[k * p->keep + p->nshared[k]++] = b;
            b = NULL;
        }
        pthread_mutex_unlock(p->lock);
        free(b);
        return;
    }
    if (c->n[k] == 2 * AZ_POOL_RUN) {
        pthread_mutex_lock(p->lock);
        give_run(p, c, k, AZ_POOL_RUN);
        pthread_mutex_unlock(p->lock);
    }
    c->b[k][c->n[k]++] = b;
}

static void *shared_realloc(void *ptr, size_t n, void *user)
{
    return pool_realloc_with(ptr, n, user, shared_alloc, shared_free);
}

void az_pool_attach(az_pool *p, az_pool_cache *c)
{
    az_pool_cache *old = tl_cache;
    if (!p->lock) { /* not shared: the pool's own lists are used */
        tl_cache = NULL;
        return;
    }
    if (old && old != c) {
        pthread_mutex_lock(p->lock);
        for (size_t k = 0; k < AZ_POOL_CLASSES; k++)
            give_run(p, old, k, 2 * AZ_POOL_RUN);
        pthread_mutex_unlock(p->lock);
    }
    if (c && c != old)
        memset(c->n, 0, sizeof c->n);
    tl_cache = c;
}

/* ------------------------------------------------------------------ the pool */

void az_pool_init(az_pool *p)
{
    memset(p, 0, sizeof *p);
    p->keep = AZ_POOL_KEEP;
    p->alloc.alloc_fn = pool_alloc;
    p->alloc.realloc_fn = pool_realloc;
    p->alloc.free_fn = pool_free;
    p->alloc.user = p;
}

int az_pool_share(az_pool *p, void *mutex, unsigned keep)
{
    if (mutex) { /* the free lists become arrays */
        void **s = malloc((size_t)keep * AZ_POOL_CLASSES * sizeof *s);
        if (!s)
            return -1;
        p->shared = s;
        p->keep = keep;
        for (size_t k = 0; k < AZ_POOL_CLASSES; k++) {
            p->nshared[k] = 0;
            while (p->free[k]) {
                unsigned char *b = p->free[k];
                memcpy(&p->free[k], b + POOL_HDR, sizeof(void *));
                p->nfree[k]--;
                if (p->nshared[k] < keep)
                    s[k * keep + p->nshared[k]++] = b;
                else
                    free(b);
            }
        }
    } else if (p->shared) { /* and lists again */
        for (size_t k = 0; k < AZ_POOL_CLASSES; k++) {
            for (unsigned i = 0; i < p->nshared[k]; i++) {
                unsigned char *b = p->shared[k * p->keep + i];
                if (p->nfree[k] >= keep) {
                    free(b);
                    continue;
                }
                memcpy(b + POOL_HDR, &p->free[k], sizeof(void *));
                p->free[k] = b;
                p->nfree[k]++;
            }
            p->nshared[k] = 0;
        }
        free(p->shared);
        p->shared = NULL;
        p->keep = keep;
    }
    p->lock = mutex;
    p->alloc.alloc_fn = mutex ? shared_alloc : pool_alloc;
    p->alloc.realloc_fn = mutex ? shared_realloc : pool_realloc;
    p->alloc.free_fn = mutex ? shared_free : pool_free;
    return 0;
}

void az_pool_cleanup(az_pool *p)
{
    az_pool_share(p, NULL, 0);
    for (size_t c = 0; c < AZ_POOL_CLASSES; c++) {
        unsigned char *b = p->free[c];
        while (b) {
            unsigned char *next;
            memcpy(&next, b + POOL_HDR, sizeof next);
            free(b);
            b = next;
        }
    }
    memset(p, 0, sizeof *p);
}
