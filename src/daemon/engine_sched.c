/* sipreplyd: the engine's jobs by transaction (open addressing) and by deadline (a binary
 * min-heap). */
#include "engine_int.h"

/* ------------------------------------------------------------------ job map and heap */

static int map_grow(sd_engine *e)
{
    size_t ncap = e->map_cap ? e->map_cap * 2 : 64;
    job **nm = sd__calloc(e, ncap * sizeof(*nm));
    if (!nm)
        return -1;
    for (size_t i = 0; i < e->map_cap; i++) {
        job *j = e->map[i];
        if (!j)
            continue;
        size_t s = sd__slot_of(j->txn, ncap);
        while (nm[s])
            s = (s + 1) & (ncap - 1);
        nm[s] = j;
    }
    sd__free(e, e->map);
    e->map = nm;
    e->map_cap = ncap;
    return 0;
}

job *sd__jobs_any(const sd_engine *e)
{
    for (size_t i = 0; e->n_jobs && i < e->map_cap; i++)
        if (e->map[i])
            return e->map[i];
    return NULL;
}

int sd__map_put(sd_engine *e, job *j)
{
    if ((e->n_jobs + 1) * 2 > e->map_cap && map_grow(e) != 0)
        return -1;
    size_t s = sd__slot_of(j->txn, e->map_cap);
    while (e->map[s])
        s = (s + 1) & (e->map_cap - 1);
    e->map[s] = j;
    e->n_jobs++;
    return 0;
}

void sd__map_del(sd_engine *e, sr_txn_id id)
{
    size_t mask = e->map_cap - 1, s = sd__slot_of(id, e->map_cap);
    while (e->map[s] && e->map[s]->txn != id)
        s = (s + 1) & mask;
    if (!e->map[s])
        return;
    e->map[s] = NULL;
    e->n_jobs--;
    /* backward-shift deletion keeps probe chains whole */
    for (size_t n = (s + 1) & mask; e->map[n]; n = (n + 1) & mask) {
        size_t home = sd__slot_of(e->map[n]->txn, e->map_cap);
        bool between = s <= n ? (home > s && home <= n) : (home > s || home <= n);
        if (!between) {
            e->map[s] = e->map[n];
            e->map[n] = NULL;
            s = n;
        }
    }
}

/* (deadline, then the order of scheduling): jobs due at the same millisecond run in the
 * order they were scheduled, whatever the heap's shape (libuv's timer_less_than). */
static bool heap_less(const job *a, const job *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_swap(sd_engine *e, size_t a, size_t b)
{
    job *t = e->heap[a];
    e->heap[a] = e->heap[b];
    e->heap[b] = t;
    e->heap[a]->heap_i = a;
    e->heap[b]->heap_i = b;
}

static void heap_up(sd_engine *e, size_t i)
{
    while (i > 0 && heap_less(e->heap[i], e->heap[(i - 1) / 2])) {
        heap_swap(e, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(sd_engine *e, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < e->heap_len && heap_less(e->heap[l], e->heap[m]))
            m = l;
        if (r < e->heap_len && heap_less(e->heap[r], e->heap[m]))
            m = r;
        if (m == i)
            return;
        heap_swap(e, i, m);
        i = m;
    }
}

void sd__heap_remove(sd_engine *e, job *j)
{
    if (j->heap_i == SIZE_MAX)
        return;
    size_t i = j->heap_i;
    e->heap_len--;
    if (i != e->heap_len) {
        e->heap[i] = e->heap[e->heap_len];
        e->heap[i]->heap_i = i;
        heap_up(e, i);
        heap_down(e, e->heap[i]->heap_i);
    }
    j->heap_i = SIZE_MAX;
    j->due = UINT64_MAX;
}

/* Schedule @p j at @p due (again, if it was). 0, or SR_ENOMEM with the job as it was. */
int sd__heap_push(sd_engine *e, job *j, uint64_t due)
{
    if (j->heap_i == SIZE_MAX && e->heap_len == e->heap_cap) {
        size_t ncap = e->heap_cap ? e->heap_cap * 2 : 64;
        job **nh = sd__realloc(e, e->heap, ncap * sizeof(*nh));
        if (!nh)
            return SR_ENOMEM;
        e->heap = nh;
        e->heap_cap = ncap;
    }
    sd__heap_remove(e, j);
    j->due = due;
    j->seq = e->heap_seq++;
    j->heap_i = e->heap_len;
    e->heap[e->heap_len++] = j;
    heap_up(e, j->heap_i);
    return 0;
}
