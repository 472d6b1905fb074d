/* sipreplyd: the message pool (pool.h). */
#include "pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define SD_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SD_POOL_ASAN 1
#endif
#endif

/* Block sizes, header included: 64 bytes, then each power of two from 128 to 16 KiB and
 * one and a half times the one before it (96, 128, 192, 256, 384, ... 12288, 16384), so that
 * a block wastes at most a third of itself: most of what a call allocates is far below 1 KiB
 * (a Via, a key, the ACK's bytes), and what a transaction keeps for Timer D is the memory a
 * burst touches. */
#define NCLASS 17
#define BIG    ((size_t)-1)

/* In front of every block: its class (or BIG) and the bytes usable after the header. Two
 * size_t keep the payload aligned as malloc's is on the platforms we build for. */
typedef struct blk {
    size_t cls;
    size_t cap;
} blk;

typedef struct freeblk {
    struct freeblk *next;
} freeblk;

struct sd_pool {
    sr_allocator a;
    freeblk *lists[NCLASS];
    size_t nkept[NCLASS];
    size_t keep;
    size_t keep_bytes; /* past keep per class: the most bytes kept in all */
    size_t kept_bytes; /* bytes on the free lists now */
    sd_pool_stats st;
    const sr_allocator *up; /* where blocks come from and go back to (NULL: malloc, called
                               directly: a miss costs no indirect call) */
};

static const uint32_t class_size[NCLASS] = {64,   96,   128,  192,  256,  384,  512,   768,  1024,
                                            1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384};

static size_t class_bytes(size_t cls)
{
    return class_size[cls];
}

/* The smallest class whose blocks hold @p n bytes after the header, or BIG. */
static size_t class_of(size_t n)
{
    if (n > class_bytes(NCLASS - 1) - sizeof(blk))
        return BIG;
    size_t need = n + sizeof(blk);
    if (need <= 64)
        return 0;
    size_t x = need - 1; /* 2^b <= x < 2^(b+1), b >= 6 */
    unsigned b = 63u - (unsigned)__builtin_clzll((unsigned long long)x);
    return (x >> (b - 1)) == 2 ? 2 * ((size_t)b - 6) + 1 : 2 * ((size_t)b - 6) + 2;
}

static void up_free(const sd_pool *p, void *b)
{
    if (p->up)
        p->up->free_fn(b, p->up->user);
    else
        free(b);
}

static void *pool_alloc(size_t n, void *user)
{
    sd_pool *p = user;
    size_t cls = class_of(n);
    blk *b;
    if (cls != BIG && p->lists[cls]) {
        freeblk *f = p->lists[cls];
        p->lists[cls] = f->next;
        p->nkept[cls]--;
        p->kept_bytes -= class_bytes(cls);
        p->st.kept--;
        p->st.hits++;
        b = (blk *)(void *)f;
        b->cls = cls; /* the link overwrote the header */
        b->cap = class_bytes(cls) - sizeof(blk);
    } else {
        size_t total = cls == BIG ? n + sizeof(blk) : class_bytes(cls);
        if (total < n) /* overflow */
            return NULL;
        b = p->up ? p->up->alloc_fn(total, p->up->user) : malloc(total);
        if (!b)
            return NULL;
        p->st.misses++;
        b->cls = cls;
        b->cap = total - sizeof(blk);
    }
    return b + 1;
}

static void pool_release(void *ptr, void *user)
{
    if (!ptr)
        return;
    sd_pool *p = user;
    blk *b = (blk *)ptr - 1;
    size_t cls = b->cls;
    if (cls == BIG ||
        (p->nkept[cls] >= p->keep && p->kept_bytes + class_bytes(cls) > p->keep_bytes)) {
        p->st.returned++;
        up_free(p, b);
        return;
    }
    freeblk *f = (freeblk *)(void *)b;
    /* the link overwrites the header; pool_alloc writes it again */
    f->next = p->lists[cls];
    p->lists[cls] = f;
    p->nkept[cls]++;
    p->kept_bytes += class_bytes(cls);
    p->st.kept++;
}

static void *pool_realloc(void *ptr, size_t n, void *user)
{
    if (!ptr)
        return pool_alloc(n, user);
    blk *b = (blk *)ptr - 1;
    if (n <= b->cap)
        return ptr;
    if (b->cls == BIG && class_of(n) == BIG) {
        /* A large array growing (the timers' room, the transaction index): the C library
         * moves it, by remapping its pages when it has its own mapping, instead of the copy
         * below, which would touch every page of the old block and of the new. */
        sd_pool *p = user;
        size_t total = n + sizeof(blk);
        if (total < n) /* overflow */
            return NULL;
        blk *nb = p->up ? p->up->realloc_fn(b, total, p->up->user) : realloc(b, total);
        if (!nb)
            return NULL;
        nb->cap = n;
        return nb + 1;
    }
    void *np = pool_alloc(n, user);
    if (!np)
        return NULL;
    memcpy(np, ptr, b->cap);
    pool_release(ptr, user);
    return np;
}

sd_pool *sd_pool_new(size_t keep)
{
    return sd_pool_new_with(keep, NULL);
}

sd_pool *sd_pool_new_with(size_t keep, const sr_allocator *up)
{
    if (up == sr_allocator_default())
        up = NULL;
    sd_pool *p = up ? up->alloc_fn(sizeof(*p), up->user) : malloc(sizeof(*p));
    if (!p)
        return NULL;
    memset(p, 0, sizeof(*p));
    p->up = up;
#ifdef SD_POOL_ASAN
    keep = 0;
#endif
    p->keep = keep;
    p->a.alloc_fn = pool_alloc;
    p->a.realloc_fn = pool_realloc;
    p->a.free_fn = pool_release;
    p->a.user = p;
    return p;
}

void sd_pool_set_keep_bytes(sd_pool *p, size_t bytes)
{
#ifdef SD_POOL_ASAN
    bytes = 0;
#endif
    p->keep_bytes = bytes;
}

size_t sd_pool_trim(sd_pool *p)
{
    size_t n = 0;
    for (size_t c = 0; c < NCLASS; c++) {
        while (p->nkept[c] > p->keep) {
            freeblk *f = p->lists[c];
            p->lists[c] = f->next;
            p->nkept[c]--;
            p->kept_bytes -= class_bytes(c);
            p->st.kept--;
            p->st.returned++;
            up_free(p, f);
            n++;
        }
    }
    return n;
}

void sd_pool_free(sd_pool *p)
{
    if (!p)
        return;
    for (size_t c = 0; c < NCLASS; c++) {
        freeblk *f = p->lists[c];
        while (f) {
            freeblk *next = f->next;
            up_free(p, f);
            f = next;
        }
    }
    up_free(p, p);
}

const sr_allocator *sd_pool_allocator(sd_pool *p)
{
    return &p->a;
}

void sd_pool_get_stats(const sd_pool *p, sd_pool_stats *out)
{
    *out = p->st;
}
