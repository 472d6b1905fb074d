/* sipreplyd: the engine's allocated jobs (a list for the sweeps; each is found from its
 * transaction's events through the stack's user data) and their deadlines (a binary
 * min-heap). */
#include "engine_int.h"

/* ------------------------------------------------------------------ the jobs */

void sd__jobs_link(sd_engine *e, job *j)
{
    j->prev = NULL;
    j->next = e->jobs;
    if (e->jobs)
        e->jobs->prev = j;
    e->jobs = j;
    e->n_jobs++;
}

void sd__jobs_unlink(sd_engine *e, job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        e->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    j->prev = j->next = NULL;
    e->n_jobs--;
}

void sd__jobs_reap(sd_engine *e)
{
    while (e->dead) {
        job *j = e->dead;
        e->dead = j->next;
        sd__free(e, j);
    }
}

/* ------------------------------------------------------------------ the deadline heap */

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

/* ------------------------------------------------------------------ other deadline heaps */

static bool due_less(const sd_due *a, const sd_due *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void due_place(sd_due_heap *h, size_t i, sd_due *d)
{
    h->a[i] = d;
    d->heap_i = i;
}

static void due_up(sd_due_heap *h, size_t i)
{
    sd_due *d = h->a[i];
    while (i > 0 && due_less(d, h->a[(i - 1) / 2])) {
        due_place(h, i, h->a[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    due_place(h, i, d);
}

static void due_down(sd_due_heap *h, size_t i)
{
    sd_due *d = h->a[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = l;
        if (l >= h->len)
            break;
        if (r < h->len && due_less(h->a[r], h->a[l]))
            m = r;
        if (!due_less(h->a[m], d))
            break;
        due_place(h, i, h->a[m]);
        i = m;
    }
    due_place(h, i, d);
}

void sd__due_remove(sd_due_heap *h, sd_due *d)
{
    if (d->heap_i == SIZE_MAX)
        return;
    size_t i = d->heap_i;
    sd_due *last = h->a[--h->len];
    if (i != h->len) {
        due_place(h, i, last);
        due_up(h, i);
        due_down(h, last->heap_i);
    }
    d->heap_i = SIZE_MAX;
    d->due = UINT64_MAX;
}

int sd__due_set(sd_engine *e, sd_due_heap *h, sd_due *d, uint64_t due)
{
    if (d->heap_i != SIZE_MAX && d->due == due)
        return 0; /* unchanged: keeps its place among equals */
    sd__due_remove(h, d);
    if (due == UINT64_MAX)
        return 0;
    if (h->len == h->cap) {
        size_t ncap = h->cap ? h->cap * 2 : 64;
        sd_due **na = sd__realloc(e, h->a, ncap * sizeof(*na));
        if (!na)
            return SR_ENOMEM;
        h->a = na;
        h->cap = ncap;
    }
    d->due = due;
    d->seq = h->seq++;
    h->a[h->len++] = d;
    due_up(h, h->len - 1);
    return 0;
}
