/* sipreply CLI: `sipreply analyze` tables of state that expires (retransmission state per
 * path, requests kept for pair checks): open addressing over slots that hold each entry's
 * hash beside its pointer, so a lookup reads one run of slots and only the entry whose hash
 * matches (the chained map read every entry of a bucket, old ones included: a cache miss
 * each); entries recycled through free lists by size (no malloc per message); expiry by a
 * time wheel instead of sweeps. */
#include <stdlib.h>
#include <string.h>

#include "analyze.h"

#define ENTRY_ALIGN 64u /* entries are recycled by size in steps of this many bytes */

static size_t entry_size(size_t klen, size_t vsize, size_t *voff)
{
    *voff = (sizeof(az_entry) + klen + 15u) & ~(size_t)15u;
    return (*voff + vsize + ENTRY_ALIGN - 1) & ~(size_t)(ENTRY_ALIGN - 1);
}

static az_entry *entry_alloc(az_tab *t, size_t size)
{
    size_t c = size / ENTRY_ALIGN - 1;
    if (c < AZ_TAB_CLASSES && t->spare[c]) {
        az_entry *e = t->spare[c];
        t->spare[c] = e->next;
        return e;
    }
    return malloc(size);
}

static void entry_release(az_tab *t, az_entry *e, size_t size)
{
    size_t c = size / ENTRY_ALIGN - 1;
    if (c >= AZ_TAB_CLASSES) {
        free(e);
        return;
    }
    e->next = t->spare[c]; /* kept: at most as many as the table held at once */
    t->spare[c] = e;
}

void az_tab_init(az_tab *t, uint64_t ttl)
{
    memset(t, 0, sizeof *t);
    t->ttl = ttl;
    t->width = ttl / (AZ_WHEEL_SLOTS / 2) ? ttl / (AZ_WHEEL_SLOTS / 2) : 1;
}

static az_entry *find(const az_tab *t, uint64_t h, const void *key, size_t klen)
{
    if (!t->cap)
        return NULL;
    size_t mask = t->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const az_slot *s = &t->s[i];
        if (!s->e)
            return NULL;
        if (s->hash == h && s->e->klen == klen && memcmp(s->e->key, key, klen) == 0)
            return s->e;
    }
}

void *az_tab_get_h(const az_tab *t, uint64_t h, const void *key, size_t klen)
{
    az_entry *e = find(t, h, key, klen);
    return e ? e->val : NULL;
}

void *az_tab_get_touch_h(az_tab *t, uint64_t h, const void *key, size_t klen, uint64_t stamp)
{
    az_entry *e = find(t, h, key, klen);
    if (!e)
        return NULL;
    e->stamp = stamp; /* the wheel files it again by this when its slot comes */
    return e->val;
}

static void slot_put(az_slot *s, size_t cap, az_entry *e)
{
    size_t mask = cap - 1;
    size_t i = e->hash & mask;
    while (s[i].e)
        i = (i + 1) & mask;
    s[i].hash = e->hash;
    s[i].e = e;
}

/* Twice the slots when half are taken (probe runs stay short). */
static int grow(az_tab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    az_slot *s = calloc(cap, sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < t->cap; i++)
        if (t->s[i].e)
            slot_put(s, cap, t->s[i].e);
    free(t->s);
    t->s = s;
    t->cap = cap;
    return 0;
}

/* File @p e in the wheel's slot of its due time (stamp + ttl + 1: the first time it is too
 * old), or in the first slot not processed when that is past. */
static void wheel_put(az_tab *t, az_entry *e)
{
    uint64_t s = (e->stamp + t->ttl + 1) / t->width;
    if (s < t->cur)
        s = t->cur;
    az_entry **slot = &t->wheel[s % AZ_WHEEL_SLOTS];
    e->qnext = *slot;
    *slot = e;
}

void *az_tab_put_inline_h(az_tab *t, uint64_t h, const void *key, size_t klen, size_t vsize,
                          uint64_t stamp)
{
    if ((t->n + 1) * 2 > t->cap && grow(t) != 0)
        return NULL;
    if (!t->wheel) {
        t->wheel = calloc(AZ_WHEEL_SLOTS, sizeof *t->wheel);
        if (!t->wheel)
            return NULL;
        t->cur = stamp / t->width;
    }
    size_t voff, size = entry_size(klen, vsize, &voff);
    az_entry *e = entry_alloc(t, size);
    if (!e)
        return NULL;
    e->next = NULL;
    e->hash = h;
    e->klen = klen;
    e->stamp = stamp;
    e->val = (char *)e + voff;
    memset(e->val, 0, vsize);
    t->vsize = vsize;
    memcpy(e->key, key, klen);
    slot_put(t->s, t->cap, e);
    wheel_put(t, e);
    t->n++;
    return e->val;
}

/* Take @p e out of the slots (backward shift: the entries after it in its run move up
 * into the gap when their home slot allows, so no run is broken). */
static void slot_del(az_tab *t, az_entry *e)
{
    size_t mask = t->cap - 1;
    size_t i = e->hash & mask;
    while (t->s[i].e != e)
        i = (i + 1) & mask;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!t->s[j].e)
            break;
        size_t home = t->s[j].hash & mask;
        /* s[j] may move to i when its home is not in (i, j] (cyclically) */
        if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
            t->s[i] = t->s[j];
            i = j;
        }
    }
    t->s[i].e = NULL;
    t->s[i].hash = 0;
}

/* Delete @p e, due and let go by its owner, or file it again. */
static void expire_one(az_tab *t, az_entry *e, bool (*fn)(az *a, void *val), az *a, uint64_t now)
{
    if (now - e->stamp <= t->ttl || !fn(a, e->val)) {
        wheel_put(t, e); /* used since it was filed */
        return;
    }
    slot_del(t, e);
    size_t voff;
    entry_release(t, e, entry_size(e->klen, t->vsize, &voff));
    t->n--;
}

void az_tab_expire(az_tab *t, bool (*fn)(az *a, void *val), az *a, uint64_t now)
{
    if (!t->wheel)
        return;
    uint64_t target = now / t->width; /* slots before it hold only entries due by now */
    if (target > t->cur && target - t->cur > AZ_WHEEL_SLOTS) {
        /* a gap in the capture longer than the wheel: every entry looked at once */
        az_entry *all = NULL;
        for (size_t i = 0; i < AZ_WHEEL_SLOTS; i++) {
            while (t->wheel[i]) {
                az_entry *e = t->wheel[i];
                t->wheel[i] = e->qnext;
                e->qnext = all;
                all = e;
            }
        }
        t->cur = target;
        while (all) {
            az_entry *e = all;
            all = e->qnext;
            expire_one(t, e, fn, a, now);
        }
        return;
    }
    while (t->cur < target) {
        az_entry **slot = &t->wheel[t->cur % AZ_WHEEL_SLOTS];
        az_entry *e = *slot;
        *slot = NULL;
        t->cur++;
        while (e) {
            az_entry *next = e->qnext;
            /* the list's entries were filed a ttl ago, out of the cache by now: ask for the
             * next one while this one is looked at */
            if (next)
                __builtin_prefetch(next);
            expire_one(t, e, fn, a, now);
            e = next;
        }
    }
}

void az_tab_free(az_tab *t, void (*free_val)(void *))
{
    for (size_t i = 0; i < t->cap; i++) {
        az_entry *e = t->s[i].e;
        if (e && free_val)
            free_val(e->val);
        free(e);
    }
    for (size_t c = 0; c < AZ_TAB_CLASSES; c++) {
        while (t->spare[c]) {
            az_entry *e = t->spare[c];
            t->spare[c] = e->next;
            free(e);
        }
    }
    free(t->s);
    free(t->wheel);
    memset(t, 0, sizeof *t);
}
