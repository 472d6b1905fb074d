/* sipreply core: the linter's memo of syntax checks keyed by exact bytes (sr_lint_cache).
 * A set-associative table of fixed size: SR__LC_WAYS entries per set, the set chosen by the
 * key's hash, the entry found by the hash and then a full comparison of kind and bytes; a
 * new entry takes an empty way or the least recently used one. No allocation after
 * sr_lint_cache_new(), so its memory is what was asked for, whatever the input. */
#include "lint_int.h"

#define SR__LC_WAYS 4

typedef struct lc_entry {
    uint32_t stamp; /* the cache's clock when last used */
    uint32_t off;
    uint8_t klen, kind, flags, pad_;
    char key[SR_LINT_CACHE_KEY_MAX];
} lc_entry;

typedef struct lc_set {
    uint64_t h[SR__LC_WAYS]; /* 0: an empty way */
} lc_set;

struct sr_lint_cache {
    const sr_allocator *alloc;
    lc_set *sets;
    lc_entry *e; /* nsets * SR__LC_WAYS */
    size_t mask; /* nsets - 1 */
    uint32_t clock;
    sr_lint_cache_stats st;
};

int sr_lint_cache_new(sr_lint_cache **out, size_t max_bytes, const sr_allocator *alloc)
{
    const size_t per = sizeof(lc_set) + SR__LC_WAYS * sizeof(lc_entry);
    if (!out || max_bytes < 4096)
        return SR_EINVAL;
    size_t nsets = 1;
    while (nsets <= SIZE_MAX / 2 / per && sizeof(sr_lint_cache) + 2 * nsets * per <= max_bytes)
        nsets *= 2;
    alloc = sr__alloc_or_default(alloc);
    sr_lint_cache *c = sr__malloc(alloc, sizeof *c);
    if (!c)
        return SR_ENOMEM;
    memset(c, 0, sizeof *c);
    c->alloc = alloc;
    c->mask = nsets - 1;
    c->sets = sr__malloc(alloc, nsets * sizeof *c->sets);
    c->e = sr__malloc(alloc, nsets * SR__LC_WAYS * sizeof *c->e);
    if (!c->sets || !c->e) {
        sr_lint_cache_free(c);
        return SR_ENOMEM;
    }
    memset(c->sets, 0, nsets * sizeof *c->sets); /* entries are written before they are read */
    c->st.entries = nsets * SR__LC_WAYS;
    c->st.bytes = sizeof *c + nsets * per;
    *out = c;
    return 0;
}

void sr_lint_cache_free(sr_lint_cache *c)
{
    if (!c)
        return;
    sr__free(c->alloc, c->sets);
    sr__free(c->alloc, c->e);
    sr__free(c->alloc, c);
}

void sr_lint_cache_stats_get(const sr_lint_cache *c, sr_lint_cache_stats *out)
{
    if (!out)
        return;
    if (!c) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = c->st;
}

/* A multiply-xorshift over 8-byte words; the cache is no hash table with chains, so a set
 * of keys chosen to collide only makes them miss, never makes a lookup slower. */
uint64_t sr__lc_hash(unsigned kind, const char *p, size_t n)
{
    uint64_t h = (0x9E3779B97F4A7C15ull * (kind + 1u)) ^ n;
    const char *end = p + n;
    bool long_key = n >= 8;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    if (n) {
        /* the last bytes: the 8 that end the key when there are as many (a fixed-size load,
         * some bytes hashed twice), else one by one */
        uint64_t w = 0;
        if (long_key)
            memcpy(&w, end - 8, 8);
        else
            for (size_t k = 0; k < n; k++)
                w |= (uint64_t)(unsigned char)p[k] << (8 * k);
        h = (h ^ w) * 0x94D049BB133111EBull;
        h ^= h >> 31;
    }
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 32;
    return h | 1;
}

static size_t set_of(const sr_lint_cache *c, uint64_t h)
{
    return (size_t)(h >> 24) & c->mask;
}

bool sr__lc_get(sr_lint_cache *c, uint64_t h, unsigned kind, const char *p, size_t n, sr__lc_val *v)
{
    size_t s = set_of(c, h);
    const lc_set *set = &c->sets[s];
    c->st.lookups++;
    for (size_t w = 0; w < SR__LC_WAYS; w++) {
        if (set->h[w] != h)
            continue;
        lc_entry *e = &c->e[s * SR__LC_WAYS + w];
        if (e->klen != n || e->kind != kind || memcmp(e->key, p, n) != 0)
            continue;
        e->stamp = ++c->clock;
        v->off = e->off;
        v->flags = e->flags;
        c->st.hits++;
        return true;
    }
    return false;
}

void sr__lc_put(sr_lint_cache *c, uint64_t h, unsigned kind, const char *p, size_t n,
                const sr__lc_val *v)
{
    if (!sr__lc_fits(n))
        return;
    size_t s = set_of(c, h);
    lc_set *set = &c->sets[s];
    lc_entry *base = &c->e[s * SR__LC_WAYS];
    size_t victim = 0;
    for (size_t w = 0; w < SR__LC_WAYS; w++) {
        if (set->h[w] == 0) {
            victim = w;
            break;
        }
        /* the oldest stamp, counted back from now (the clock may have wrapped) */
        if ((uint32_t)(c->clock - base[w].stamp) > (uint32_t)(c->clock - base[victim].stamp))
            victim = w;
    }
    if (set->h[victim])
        c->st.evictions++;
    lc_entry *e = &base[victim];
    set->h[victim] = h;
    e->stamp = ++c->clock;
    e->off = v->off;
    e->flags = v->flags;
    e->klen = (uint8_t)n;
    e->kind = (uint8_t)kind;
    memcpy(e->key, p, n);
}
