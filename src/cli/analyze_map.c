/* sipreply CLI: `sipreply analyze` tables: a chained hash map from byte strings to pointers,
 * growing with its entries, with an incremental sweep for expiry (plain malloc, CLI side). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"

/* FNV-1a. The sweep visits buckets in order, so the hash decides when a finished call is
 * accounted and thus which calls fill the report's list: changing it changes that list. */
uint64_t az_hash_more(uint64_t h, const void *k, size_t n)
{
    const unsigned char *p = k;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) { /* four bytes a turn: the same values, less loop */
        h = (h ^ p[i]) * 1099511628211ull;
        h = (h ^ p[i + 1]) * 1099511628211ull;
        h = (h ^ p[i + 2]) * 1099511628211ull;
        h = (h ^ p[i + 3]) * 1099511628211ull;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

uint64_t az_hash(const void *k, size_t n)
{
    return az_hash_more(1469598103934665603ull, k, n);
}

#define hash_bytes az_hash

void *az_map_get(const az_map *m, const void *key, size_t klen)
{
    return m->nb ? az_map_get_h(m, hash_bytes(key, klen), key, klen) : NULL;
}

void *az_map_get_h(const az_map *m, uint64_t h, const void *key, size_t klen)
{
    if (!m->nb)
        return NULL;
    for (az_entry *e = m->b[h & (m->nb - 1)]; e; e = e->next)
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
            return e->val;
    return NULL;
}

static int grow(az_map *m)
{
    size_t nb = m->nb ? m->nb * 2 : 256;
    az_entry **b = calloc(nb, sizeof *b);
    uint64_t *lo = malloc(nb * sizeof *lo);
    if (!b || !lo) {
        free(b);
        free(lo);
        return -1;
    }
    for (size_t i = 0; i < nb; i++)
        lo[i] = UINT64_MAX;
    for (size_t i = 0; i < m->nb; i++) {
        az_entry *e = m->b[i];
        while (e) {
            az_entry *next = e->next;
            size_t k = e->hash & (nb - 1);
            e->next = b[k];
            b[k] = e;
            if (e->stamp < lo[k])
                lo[k] = e->stamp;
            e = next;
        }
    }
    free(m->b);
    free(m->lo);
    m->b = b;
    m->lo = lo;
    m->nb = nb;
    return 0;
}

void *az_map_get_touch(az_map *m, const void *key, size_t klen, uint64_t stamp)
{
    return m->nb ? az_map_get_touch_h(m, hash_bytes(key, klen), key, klen, stamp) : NULL;
}

void *az_map_get_touch_h(az_map *m, uint64_t h, const void *key, size_t klen, uint64_t stamp)
{
    az_entry *e = az_map_find_touch_h(m, h, key, klen, stamp);
    return e ? e->val : NULL;
}

az_entry *az_map_find_touch_h(az_map *m, uint64_t h, const void *key, size_t klen, uint64_t stamp)
{
    if (!m->nb)
        return NULL;
    size_t k = h & (m->nb - 1);
    for (az_entry *e = m->b[k]; e; e = e->next)
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0) {
            e->stamp = stamp;
            if (stamp < m->lo[k]) /* out-of-order capture times can go back */
                m->lo[k] = stamp;
            return e;
        }
    return NULL;
}

int az_map_put(az_map *m, const void *key, size_t klen, void *val, uint64_t stamp)
{
    return az_map_put_h(m, hash_bytes(key, klen), key, klen, val, stamp);
}

int az_map_put_h(az_map *m, uint64_t h, const void *key, size_t klen, void *val, uint64_t stamp)
{
    return az_map_put_entry_h(m, h, key, klen, val, stamp) ? 0 : -1;
}

az_entry *az_map_put_entry_h(az_map *m, uint64_t h, const void *key, size_t klen, void *val,
                             uint64_t stamp)
{
    if (m->n >= m->nb && grow(m) != 0)
        return NULL;
    az_entry *e = malloc(sizeof *e + klen);
    if (!e)
        return NULL;
    e->due = 0;
    e->hash = h;
    e->klen = klen;
    e->stamp = stamp;
    e->val = val;
    memcpy(e->key, key, klen);
    size_t k = e->hash & (m->nb - 1);
    e->next = m->b[k];
    m->b[k] = e;
    if (stamp < m->lo[k])
        m->lo[k] = stamp;
    m->n++;
    return e;
}

void *az_map_put_inline(az_map *m, const void *key, size_t klen, size_t vsize, uint64_t stamp)
{
    return az_map_put_inline_h(m, hash_bytes(key, klen), key, klen, vsize, stamp);
}

void *az_map_put_inline_h(az_map *m, uint64_t h, const void *key, size_t klen, size_t vsize,
                          uint64_t stamp)
{
    if (m->n >= m->nb && grow(m) != 0)
        return NULL;
    size_t voff = (sizeof(az_entry) + klen + 15u) & ~(size_t)15u;
    az_entry *e = calloc(1, voff + vsize);
    if (!e)
        return NULL;
    e->due = 0;
    e->hash = h;
    e->klen = klen;
    e->stamp = stamp;
    e->val = (char *)e + voff;
    memcpy(e->key, key, klen);
    size_t k = e->hash & (m->nb - 1);
    e->next = m->b[k];
    m->b[k] = e;
    if (stamp < m->lo[k])
        m->lo[k] = stamp;
    m->n++;
    return e->val;
}

void *az_map_del(az_map *m, const void *key, size_t klen)
{
    if (!m->nb)
        return NULL;
    uint64_t h = hash_bytes(key, klen);
    for (az_entry **pp = &m->b[h & (m->nb - 1)]; *pp; pp = &(*pp)->next) {
        az_entry *e = *pp;
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0) {
            void *v = e->val;
            *pp = e->next;
            free(e);
            m->n--;
            return v;
        }
    }
    return NULL;
}

void az_map_free(az_map *m, void (*free_val)(void *))
{
    for (size_t i = 0; i < m->nb; i++) {
        az_entry *e = m->b[i];
        while (e) {
            az_entry *next = e->next;
            if (free_val)
                free_val(e->val);
            free(e);
            e = next;
        }
    }
    free(m->b);
    free(m->lo);
    memset(m, 0, sizeof *m);
}

/* Visit the entries of @p count buckets from *@p cursor on (wrapping; count 0: all of them);
 * @p fn returns true to delete an entry (after freeing its value itself). */
void az_map_sweep(az_map *m, bool (*fn)(az *a, void *val), az *a, size_t *cursor, size_t count,
                  uint64_t before, uint64_t now)
{
    if (!m->nb)
        return;
    if (count == 0 || count > m->nb)
        count = m->nb;
    for (size_t j = 0; j < count; j++) {
        size_t i = (*cursor + j) & (m->nb - 1);
        if (m->lo[i] >= before)
            continue; /* no entry here is old enough: not even read */
        uint64_t lo = UINT64_MAX;
        az_entry **pp = &m->b[i];
        while (*pp) {
            az_entry *e = *pp;
            if (e->stamp < before && (e->due < now || now == UINT64_MAX) && fn(a, e->val)) {
                *pp = e->next;
                free(e);
                m->n--;
            } else {
                if (e->stamp < lo)
                    lo = e->stamp;
                pp = &e->next;
            }
        }
        m->lo[i] = lo;
    }
    *cursor = (*cursor + count) & (m->nb - 1);
}
