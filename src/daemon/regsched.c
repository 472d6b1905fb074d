/* sipreplyd: the registration scheduler (regsched.h) — a deadline heap of registrations, a
 * start rate in microseconds, a bound on REGISTERs in flight, the refresh at half the granted
 * time (RFC 3261 §10.2.4 leaves the moment to the client), the back-off of RFC 5626 §4.5 and
 * Retry-After (RFC 3261 §20.33), and de-registration at shutdown. */
#include "regsched.h"

#include <string.h>

#include "sipreply/error.h"

#define NEVER UINT64_MAX

typedef struct entry {
    uint64_t due;         /* NEVER: not in the heap */
    uint64_t bound_until; /* the registrar holds us until then, as far as we know (0: not) */
    uint32_t heap_i;
    uint8_t state;
    uint8_t failures;
    bool unreg_after; /* shutting down while its REGISTER was in flight */
} entry;

struct sd_regsched {
    sd_regsched_opts o;
    const sr_allocator *a;
    entry *e;
    uint32_t *heap; /* indices, by (due, index) */
    size_t heap_len;
    size_t inflight;
    size_t counts[SD_REG_DONE + 1];
    uint64_t next_slot_us; /* the rate: the earliest start of the next REGISTER */
    uint64_t interval_us;
    uint64_t rng;
    bool draining;
};

/* ------------------------------------------------------------------ the heap */

static bool before(const sd_regsched *s, uint32_t a, uint32_t b)
{
    return s->e[a].due < s->e[b].due || (s->e[a].due == s->e[b].due && a < b);
}

static void heap_set(sd_regsched *s, size_t i, uint32_t v)
{
    s->heap[i] = v;
    s->e[v].heap_i = (uint32_t)i;
}

static void sift_up(sd_regsched *s, size_t i)
{
    uint32_t v = s->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(s, v, s->heap[p]))
            break;
        heap_set(s, i, s->heap[p]);
        i = p;
    }
    heap_set(s, i, v);
}

static void sift_down(sd_regsched *s, size_t i)
{
    uint32_t v = s->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->heap_len)
            break;
        if (c + 1 < s->heap_len && before(s, s->heap[c + 1], s->heap[c]))
            c++;
        if (!before(s, s->heap[c], v))
            break;
        heap_set(s, i, s->heap[c]);
        i = c;
    }
    heap_set(s, i, v);
}

static void heap_remove(sd_regsched *s, uint32_t idx)
{
    entry *x = &s->e[idx];
    if (x->due == NEVER)
        return;
    size_t i = x->heap_i;
    x->due = NEVER;
    uint32_t last = s->heap[--s->heap_len];
    if (i < s->heap_len) {
        heap_set(s, i, last);
        sift_up(s, i);
        sift_down(s, s->e[last].heap_i);
    }
}

/* (Re)schedule @p idx at @p due. */
static void schedule(sd_regsched *s, uint32_t idx, uint64_t due)
{
    heap_remove(s, idx);
    if (due == NEVER)
        return;
    s->e[idx].due = due;
    heap_set(s, s->heap_len++, idx);
    sift_up(s, s->heap_len - 1);
}

static void set_state(sd_regsched *s, size_t idx, sd_reg_state st)
{
    s->counts[s->e[idx].state]--;
    s->e[idx].state = (uint8_t)st;
    s->counts[st]++;
}

/* ------------------------------------------------------------------ API */

int sd_regsched_new(sd_regsched **out, const sd_regsched_opts *o)
{
    if (!out || !o || o->n == 0 || o->n > UINT32_MAX / 2 || o->rate == 0 || o->rate > 100000 ||
        o->max_inflight == 0 || o->retry_min_s == 0 || o->retry_max_s < o->retry_min_s)
        return SR_EINVAL;
    const sr_allocator *a = o->alloc ? o->alloc : sr_allocator_default();
    sd_regsched *s = a->alloc_fn(sizeof(*s), a->user);
    if (!s)
        return SR_ENOMEM;
    memset(s, 0, sizeof(*s));
    s->o = *o;
    s->a = a;
    s->e = a->alloc_fn(o->n * sizeof(*s->e), a->user);
    s->heap = a->alloc_fn(o->n * sizeof(*s->heap), a->user);
    if (!s->e || !s->heap) {
        sd_regsched_free(s);
        return SR_ENOMEM;
    }
    for (size_t i = 0; i < o->n; i++)
        s->e[i] = (entry){.due = NEVER, .state = SD_REG_PARKED};
    s->counts[SD_REG_PARKED] = o->n;
    s->interval_us = 1000000u / o->rate;
    s->rng = o->seed ^ 0x5265675363686564ULL; /* "RegSched" */
    *out = s;
    return 0;
}

void sd_regsched_free(sd_regsched *s)
{
    if (!s)
        return;
    s->a->free_fn(s->e, s->a->user);
    s->a->free_fn(s->heap, s->a->user);
    s->a->free_fn(s, s->a->user);
}

void sd_regsched_release(sd_regsched *s, size_t first, size_t n, uint64_t now)
{
    for (size_t i = first; i < first + n && i < s->o.n; i++) {
        if (s->e[i].state != SD_REG_PARKED || s->draining)
            continue;
        set_state(s, i, SD_REG_IDLE);
        schedule(s, (uint32_t)i, now);
    }
}

bool sd_regsched_next(sd_regsched *s, uint64_t now, size_t *idx, bool *unreg)
{
    if (s->heap_len == 0 || s->inflight >= s->o.max_inflight)
        return false;
    uint32_t top = s->heap[0];
    entry *x = &s->e[top];
    if (x->due > now)
        return false;
    bool u = x->state == SD_REG_UNREG_WAIT;
    /* the rate spreads the starts (thousands released at once go out one per interval);
     * de-registrations at shutdown are bounded by the REGISTERs in flight alone */
    if (!u && now * 1000 + 999 < s->next_slot_us)
        return false; /* time is in ms: a slot within this millisecond may go now */
    heap_remove(s, top);
    if (!u) {
        uint64_t base = s->next_slot_us > now * 1000 ? s->next_slot_us : now * 1000;
        s->next_slot_us = base + s->interval_us;
    }
    set_state(s, top, u ? SD_REG_UNREG : SD_REG_INFLIGHT);
    s->inflight++;
    *idx = top;
    *unreg = u;
    return true;
}

uint64_t sd_regsched_next_deadline(const sd_regsched *s)
{
    if (s->heap_len == 0 || s->inflight >= s->o.max_inflight)
        return NEVER;
    const entry *x = &s->e[s->heap[0]];
    if (x->state == SD_REG_UNREG_WAIT)
        return x->due;
    uint64_t slot = s->next_slot_us / 1000;
    return x->due > slot ? x->due : slot;
}

static void end_flight(sd_regsched *s)
{
    if (s->inflight)
        s->inflight--;
}

uint64_t sd_regsched_ok(sd_regsched *s, size_t idx, uint32_t granted_s, uint64_t now)
{
    entry *x = &s->e[idx];
    if (x->state != SD_REG_INFLIGHT)
        return NEVER;
    end_flight(s);
    x->failures = 0;
    x->bound_until = now + (uint64_t)granted_s * 1000;
    if (s->draining) {
        x->unreg_after = false;
        set_state(s, idx, SD_REG_UNREG_WAIT);
        schedule(s, (uint32_t)idx, now);
        return NEVER;
    }
    set_state(s, idx, SD_REG_OK);
    uint64_t half = (uint64_t)granted_s * 500;
    uint64_t due = now + (half < 1000 ? 1000 : half);
    schedule(s, (uint32_t)idx, due);
    return due;
}

static uint64_t rng_next(sd_regsched *s)
{
    uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t sd_regsched_failed(sd_regsched *s, size_t idx, uint32_t retry_after_s, uint64_t now)
{
    entry *x = &s->e[idx];
    if (x->state != SD_REG_INFLIGHT)
        return NEVER;
    end_flight(s);
    if (x->failures < 255)
        x->failures++;
    if (x->bound_until <= now)
        x->bound_until = 0;
    if (s->draining) {
        /* shutting down: a binding that may still live is ended; else nothing more */
        bool held = x->bound_until > now;
        set_state(s, idx, held ? SD_REG_UNREG_WAIT : SD_REG_DONE);
        schedule(s, (uint32_t)idx, held ? now : NEVER);
        return NEVER;
    }
    /* RFC 5626 §4.5: min(max, base · 2^(failures-1)), then a random point of its upper half */
    uint64_t w = s->o.retry_min_s;
    for (unsigned i = 1; i < x->failures && w < s->o.retry_max_s; i++)
        w *= 2;
    if (w > s->o.retry_max_s)
        w = s->o.retry_max_s;
    uint64_t wait_ms = w * 500 + rng_next(s) % (w * 500 + 1);
    if ((uint64_t)retry_after_s * 1000 > wait_ms)
        wait_ms = (uint64_t)retry_after_s * 1000; /* RFC 3261 §20.33: not before */
    set_state(s, idx, SD_REG_FAILED);
    schedule(s, (uint32_t)idx, now + wait_ms);
    return now + wait_ms;
}

void sd_regsched_unregistered(sd_regsched *s, size_t idx)
{
    entry *x = &s->e[idx];
    if (x->state != SD_REG_UNREG)
        return;
    end_flight(s);
    x->bound_until = 0;
    set_state(s, idx, SD_REG_DONE);
}

void sd_regsched_drain(sd_regsched *s, uint64_t now)
{
    if (s->draining)
        return;
    s->draining = true;
    for (size_t i = 0; i < s->o.n; i++) {
        entry *x = &s->e[i];
        switch ((sd_reg_state)x->state) {
        case SD_REG_INFLIGHT: x->unreg_after = true; break; /* sd_regsched_ok() decides */
        case SD_REG_UNREG:
        case SD_REG_UNREG_WAIT:
        case SD_REG_DONE: break;
        default:
            if (x->bound_until > now) {
                set_state(s, i, SD_REG_UNREG_WAIT);
                schedule(s, (uint32_t)i, now);
            } else {
                set_state(s, i, SD_REG_DONE);
                schedule(s, (uint32_t)i, NEVER);
            }
        }
    }
}

void sd_regsched_abort(sd_regsched *s)
{
    for (size_t i = 0; i < s->o.n; i++) {
        schedule(s, (uint32_t)i, NEVER);
        if (s->e[i].state != SD_REG_DONE)
            set_state(s, i, SD_REG_DONE);
    }
    s->inflight = 0;
}

size_t sd_regsched_pending(const sd_regsched *s)
{
    return s->counts[SD_REG_INFLIGHT] + s->counts[SD_REG_UNREG] + s->counts[SD_REG_UNREG_WAIT];
}

sd_reg_state sd_regsched_state(const sd_regsched *s, size_t idx)
{
    return idx < s->o.n ? (sd_reg_state)s->e[idx].state : SD_REG_DONE;
}

uint64_t sd_regsched_due(const sd_regsched *s, size_t idx)
{
    return idx < s->o.n ? s->e[idx].due : NEVER;
}

unsigned sd_regsched_failures(const sd_regsched *s, size_t idx)
{
    return idx < s->o.n ? s->e[idx].failures : 0;
}

size_t sd_regsched_count(const sd_regsched *s, sd_reg_state st)
{
    return st <= SD_REG_DONE ? s->counts[st] : 0;
}

size_t sd_regsched_bound(const sd_regsched *s, uint64_t now)
{
    size_t n = 0;
    for (size_t i = 0; i < s->o.n; i++)
        n += s->e[i].bound_until > now;
    return n;
}

void sd_regsched_tally(const sd_regsched *s, uint64_t now, size_t *registered, size_t *failed,
                       size_t *pending)
{
    size_t r = 0, f = 0, p = 0;
    for (size_t i = 0; i < s->o.n; i++) {
        const entry *x = &s->e[i];
        if (x->bound_until > now)
            r++;
        else if (x->state == SD_REG_FAILED)
            f++;
        else if (x->state <= SD_REG_OK)
            p++;
    }
    *registered = r;
    *failed = f;
    *pending = p;
}

const char *sd_reg_state_name(sd_reg_state st)
{
    static const char *const names[] = {"parked", "idle",       "in-flight",     "registered",
                                        "failed", "unreg-wait", "unregistering", "done"};
    return st <= SD_REG_DONE ? names[st] : "?";
}
