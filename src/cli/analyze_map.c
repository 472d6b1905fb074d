/* sipreply CLI: `sipreply analyze` tables: a chained hash map from byte strings to pointers,
 * growing with its entries, with an incremental sweep for expiry (plain malloc, CLI side). */
#include <stdlib.h>
#include <string.h>

#include "analyze.h"

static uint64_t hash_bytes(const void *k, size_t n)
{
    const unsigned char *p = k;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

void *az_map_get(const az_map *m, const void *key, size_t klen)
{
    if (!m->nb)
        return NULL;
    uint64_t h = hash_bytes(key, klen);
    for (az_entry *e = m->b[h & (m->nb - 1)]; e; e = e->next)
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
            return e->val;
    return NULL;
}

static int grow(az_map *m)
{
    size_t nb = m->nb ? m->nb * 2 : 256;
    az_entry **b = calloc(nb, sizeof *b);
    if (!b)
        return -1;
    for (size_t i = 0; i < m->nb; i++) {
        az_entry *e = m->b[i];
        while (e) {
            az_entry *next = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = next;
        }
    }
    free(m->b);
    m->b = b;
    m->nb = nb;
    return 0;
}

void *az_map_get_touch(az_map *m, const void *key, size_t klen, uint64_t stamp)
{
    if (!m->nb)
        return NULL;
    uint64_t h = hash_bytes(key, klen);
    for (az_entry *e = m->b[h & (m->nb - 1)]; e; e = e->next)
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0) {
            e->stamp = stamp;
            return e->val;
        }
    return NULL;
}

int az_map_put(az_map *m, const void *key, size_t klen, void *val, uint64_t stamp)
{
    if (m->n >= m->nb && grow(m) != 0)
        return -1;
    az_entry *e = malloc(sizeof *e + klen);
    if (!e)
        return -1;
    e->hash = hash_bytes(key, klen);
    e->klen = klen;
    e->stamp = stamp;
    e->val = val;
    memcpy(e->key, key, klen);
    e->next = m->b[e->hash & (m->nb - 1)];
    m->b[e->hash & (m->nb - 1)] = e;
    m->n++;
    return 0;
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
    memset(m, 0, sizeof *m);
}

/* Visit the entries of @p count buckets from *@p cursor on (wrapping; count 0: all of them);
 * @p fn returns true to delete an entry (after freeing its value itself). */
void az_map_sweep(az_map *m, bool (*fn)(az *a, void *val), az *a, size_t *cursor, size_t count,
                  uint64_t before)
{
    if (!m->nb)
        return;
    if (count == 0 || count > m->nb)
        count = m->nb;
    for (size_t j = 0; j < count; j++) {
        size_t i = (*cursor + j) & (m->nb - 1);
        az_entry **pp = &m->b[i];
        while (*pp) {
            az_entry *e = *pp;
            if (e->stamp < before && fn(a, e->val)) {
                *pp = e->next;
                free(e);
                m->n--;
            } else {
                pp = &e->next;
            }
        }
    }
    *cursor = (*cursor + count) & (m->nb - 1);
}
