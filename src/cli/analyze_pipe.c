/* sipreply CLI: `sipreply analyze` on several threads. The input goes through a ring of
 * batches of messages, each in three steps: read (the files read and decoded, the message
 * bytes copied into the batch), parsed (parsing and the lint of each message alone, which
 * depend on the message alone; a response's checks against its request come later) and accounted (everything that depends on what came before, in capture
 * order, as one thread would: az_message_parsed()). The main thread accounts, a second
 * reads: the tables and the decoder's state each stay in one core's cache. Both parse
 * (and any further threads): the reader when the ring is full, the accountant while the
 * next batch is not parsed yet; the accountant also reads when nothing else is ready. A thread with nothing to do sleeps on a condition variable.
 * A batch of 256 messages changes hands three times under one lock; the parsed messages
 * come from a pool each thread uses through blocks of its own, and the accountant
 * prefetches the messages parsed on the other core a few ahead. The report is the one of
 * one thread, byte for byte. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, CLOCK_THREAD_CPUTIME_ID */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze.h"

/* PIPE_MSGS: with 256 messages a batch instead of 512, two threads were faster in 28 of 35
 * runs in turn (docs/performance.md): a batch's parsed messages (each a block of a few KiB)
 * are likelier to be still in a cache when accounted */
#define PIPE_SLOTS       6            /* batches in flight: memory stays bounded */
#define PIPE_MSGS        256          /* messages per batch */
#define PIPE_BYTES       (128u << 10) /* message bytes per batch; larger messages get their own */
#define PIPE_LINTED      64           /* findings kept per message (as az_lint() keeps) */
#define PIPE_MAX_THREADS 16
#define PIPE_AHEAD       4    /* messages ahead of the one accounted whose memory is prefetched */
#define PIPE_PREFETCH    2048 /* bytes of it: the parsed message and the start of its copy */
#define PIPE_TAB_AHEAD   12   /* messages ahead whose table slots are prefetched */
#define PIPE_TAB_STEP    4    /* then their entries this many messages later, then values */

size_t az_lint_alone(const sr_cap_msg *cm, const sr_msg *m, sr_lint_finding *f, size_t cap)
{
    sr_lint_opts o;
    sr_lint_opts_init(&o);
    o.cache = az_lint_cache_mine();
    if (cm->transport == SR_CAP_UDP)
        o.input_len = cm->len;
    return sr_lint_msg(m, &o, f, cap);
}

typedef struct pipe_rec {
    sr_cap_msg cm; /* data: in the batch's bytes, or own */
    sr_msg *m;     /* NULL: did not parse (e says why) */
    sr_parse_error e;
    az_counts c; /* the packet counters when the message came */
    az_keys k;   /* the hashes of its keys (when it parsed) */
    uint32_t f0; /* its findings: f[f0 .. f0 + nf) of the batch */
    uint32_t nf;
    bool linted;
    char *own;
} pipe_rec;

enum { B_FREE, B_READING, B_READ, B_PARSING, B_PARSED, B_ACCOUNTING };

typedef struct pipe_batch {
    int state;
    uint64_t seq; /* its place in the input */
    size_t n, used;
    bool end; /* the last batch: c holds the final counters */
    az_counts c;
    sr_lint_finding *f; /* the messages' findings (sr_lint_msg(): the pair checks come later) */
    size_t nf, capf;
    pipe_rec rec[PIPE_MSGS];
    char bytes[PIPE_BYTES];
} pipe_batch;

typedef struct az_pipe {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned waiting; /* threads asleep on cv */
    pipe_batch *b[PIPE_SLOTS];
    uint64_t next_read; /* the seq of the next batch to read */
    uint64_t next_acct; /* the seq of the next batch to account */
    bool reading, eof, done;
    /* the reading step's own (one thread at a time): a message that did not fit its batch */
    bool carry;
    sr_cap_msg carry_cm;
    az_counts carry_c;
    az *a;
    az_input *in;
    bool lint;
    FILE *stats; /* --pipe-stats: where each thread says how it spent its time, or NULL */
    pthread_mutex_t pool_mu;
} az_pipe;

static void batch_clear(pipe_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        sr_msg_free(b->rec[i].m); /* those the accounting did not keep */
        free(b->rec[i].own);
    }
    b->n = b->used = b->nf = 0;
    b->end = false;
}

/* ------------------------------------------------------------------ the three steps */

/* Read the next messages into @p b (done by one thread at a time). */
static void step_read(az_pipe *p, pipe_batch *b)
{
    batch_clear(b); /* what the accounting left of its last messages */
    for (;;) {
        sr_cap_msg cm;
        az_counts c;
        if (p->carry) {
            cm = p->carry_cm; /* still valid: the input has not been called since */
            c = p->carry_c;
            p->carry = false;
        } else if (az_input_next(p->in, &cm, &c) != 1) {
            b->end = true;
            b->c = c;
            return;
        }
        bool big = cm.len > PIPE_BYTES / 4;
        if (b->n == PIPE_MSGS || (!big && b->used + cm.len > PIPE_BYTES)) {
            p->carry = true;
            p->carry_cm = cm;
            p->carry_c = c;
            return;
        }
        pipe_rec *r = &b->rec[b->n];
        r->cm = cm;
        r->c = c;
        r->m = NULL;
        r->own = NULL;
        r->nf = 0;
        r->linted = false;
        char *dst;
        if (big) {
            dst = r->own = malloc(cm.len);
            if (!dst)
                continue; /* out of memory: the message is lost (as a packet the decoder drops) */
        } else {
            dst = b->bytes + b->used;
            b->used += cm.len;
        }
        if (cm.len)
            memcpy(dst, cm.data, cm.len);
        r->cm.data = dst;
        b->n++;
    }
}

/* Parse the messages of @p b and lint each alone (any thread, several batches at once). */
static void step_parse(az_pipe *p, pipe_batch *b)
{
    sr_parse_opts po;
    sr_parse_opts_init(&po);
    po.alloc = &p->a->pool.alloc;
    for (size_t i = 0; i < b->n; i++) {
        pipe_rec *r = &b->rec[i];
        az_parse(&r->cm, &po, &r->m, &r->e);
        if (r->m)
            az_keys_of(&r->cm, r->m, &r->k, true);
        if (!p->lint || !r->m)
            continue;
        if (b->capf - b->nf < PIPE_LINTED) {
            size_t nc = b->capf ? b->capf * 2 : 4096;
            sr_lint_finding *nf = realloc(b->f, nc * sizeof *nf);
            if (!nf)
                continue; /* out of memory: the accounting lints it */
            b->f = nf;
            b->capf = nc;
        }
        size_t n = az_lint_alone(&r->cm, r->m, &b->f[b->nf], PIPE_LINTED);
        r->f0 = (uint32_t)b->nf;
        r->nf = (uint32_t)(n < PIPE_LINTED ? n : PIPE_LINTED);
        r->linted = true;
        b->nf += r->nf;
    }
}

/* The first PIPE_PREFETCH bytes of @p m, four lines a turn. */
static inline void prefetch_msg(const void *m)
{
    const char *q = m;
    for (size_t l = 0; l < PIPE_PREFETCH; l += 256) {
        __builtin_prefetch(q + l);
        __builtin_prefetch(q + l + 64);
        __builtin_prefetch(q + l + 128);
        __builtin_prefetch(q + l + 192);
    }
}

/* Step @p st (az_tab_prefetch()) of what the accounting of @p r will read in the tables. */
static inline void prefetch_keys(const az *a, const pipe_rec *r, int st)
{
    if (!r->m)
        return;
    if (r->k.resend)
        az_tab_prefetch(&a->resend, r->k.resend, st, 64);
    if (r->k.txn) {
        const void *v = az_tab_prefetch(&a->pending, r->k.txn, st, 16);
        if (v && st == 2 && !sr_msg_is_request(r->m))
            prefetch_msg(*(void *const *)v); /* the request (az_pending.req) */
    }
    az_map_prefetch(&a->calls, r->k.cid_h127, st, 0);
}

/* Account the messages of @p b in order (one thread at a time, batches in order). */
static void step_account(az_pipe *p, pipe_batch *b)
{
    az *a = p->a;
    for (size_t i = 0; i < b->n; i++) {
        pipe_rec *r = &b->rec[i];
        /* a message parsed on another core is read from its cache: ask for the first
         * PIPE_PREFETCH bytes of a message a few ahead while this one is accounted */
        if (i + PIPE_AHEAD < b->n && b->rec[i + PIPE_AHEAD].m)
            prefetch_msg(b->rec[i + PIPE_AHEAD].m);
        /* and what its lookups will read in the tables (most of it out of the cache: the
         * retransmission state of the last 10 minutes), in three steps, each a few
         * messages after the one before it has been asked for: the slots, the entries, the
         * values (a response's request: the one it is checked against) */
        if (i + PIPE_TAB_AHEAD < b->n)
            prefetch_keys(a, &b->rec[i + PIPE_TAB_AHEAD], 0);
        if (i + PIPE_TAB_AHEAD - PIPE_TAB_STEP < b->n)
            prefetch_keys(a, &b->rec[i + PIPE_TAB_AHEAD - PIPE_TAB_STEP], 1);
        if (i + PIPE_TAB_AHEAD - 2 * PIPE_TAB_STEP < b->n)
            prefetch_keys(a, &b->rec[i + PIPE_TAB_AHEAD - 2 * PIPE_TAB_STEP], 2);
        az_counts_apply(a, &r->c);
        if (az_message_parsed(a, &r->cm, r->m, &r->e, r->linted ? &b->f[r->f0] : NULL, r->nf,
                              r->m ? &r->k : NULL))
            r->m = NULL; /* kept by the accounting */
    }
    if (b->end)
        az_counts_apply(a, &b->c);
    /* the messages not kept are freed when the batch is read into again (batch_clear()):
     * by the reading thread, which parsed most of them, its pool's blocks back in its own
     * cache, and not by the accountant, which sets the pace */
}

/* ------------------------------------------------------------------ the threads */

static void wake(az_pipe *p)
{
    if (p->waiting)
        pthread_cond_broadcast(&p->cv);
}

/* What a thread may do besides parsing: its tables and the decoder's state stay in the cache
 * of one core when one thread accounts and another reads. */
enum { ROLE_ALL, ROLE_ACCOUNT, ROLE_READ, ROLE_PARSE };

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* --pipe-stats: what a thread did, in wall time (CLOCK_MONOTONIC) per step */
enum { T_ACCOUNT, T_PARSE, T_READ, T_WAIT, T_STEPS };
typedef struct pipe_stats {
    uint64_t ns[T_STEPS], n[T_STEPS], msgs[T_STEPS];
    uint64_t t0, cpu0;
} pipe_stats;

static void stats_add(pipe_stats *st, int k, uint64_t t0, size_t msgs)
{
    st->ns[k] += clock_ns(CLOCK_MONOTONIC) - t0;
    st->n[k]++;
    st->msgs[k] += msgs;
}

static void stats_print(az_pipe *p, const pipe_stats *st, int role)
{
    static const char *const roles[] = {"all", "account", "read", "parse"};
    static const char *const steps[] = {"account", "parse", "read", "wait"};
    uint64_t wall = clock_ns(CLOCK_MONOTONIC) - st->t0;
    uint64_t cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID) - st->cpu0;
    fprintf(p->stats, "pipe-stats: thread %s: wall %.3f s, cpu %.3f s", roles[role],
            (double)wall / 1e9, (double)cpu / 1e9);
    for (int k = 0; k < T_STEPS; k++)
        fprintf(p->stats, "; %s %.3f s (%llu batches, %llu messages)", steps[k],
                (double)st->ns[k] / 1e9, (unsigned long long)st->n[k],
                (unsigned long long)st->msgs[k]);
    fputc('\n', p->stats);
}

/* Take steps until the last batch is accounted. */
static void work(az_pipe *p, int role)
{
    az_pool_cache cache;
    pipe_stats st;
    memset(&st, 0, sizeof st);
    if (p->stats) {
        st.t0 = clock_ns(CLOCK_MONOTONIC);
        st.cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    }
    uint64_t t0 = 0;
    az_pool_attach(&p->a->pool, &cache);
    pthread_mutex_lock(&p->mu);
    while (!p->done) {
        /* what can be done: the next batch to account, the oldest to parse, one to read */
        pipe_batch *acct = p->b[p->next_acct % PIPE_SLOTS];
        if (!(acct->state == B_PARSED && acct->seq == p->next_acct) ||
            (role != ROLE_ALL && role != ROLE_ACCOUNT))
            acct = NULL;
        pipe_batch *parse = NULL;
        for (size_t i = 0; i < PIPE_SLOTS; i++)
            if (p->b[i]->state == B_READ && (!parse || p->b[i]->seq < parse->seq))
                parse = p->b[i];
        pipe_batch *rd = p->b[p->next_read % PIPE_SLOTS];
        if (p->eof || p->reading || rd->state != B_FREE || role == ROLE_PARSE)
            rd = NULL;
        /* the reader reads ahead while it can, and parses when the ring is full; the
         * accountant accounts, parses while the next batch is not ready, and reads when
         * there is nothing else (the reading thread is not running: on a busy machine it
         * may wait for a CPU, and one thread then goes on alone) */
        if (role == ROLE_READ && rd)
            parse = NULL;
        if (acct) {
            acct->state = B_ACCOUNTING;
            bool end = acct->end;
            size_t n = acct->n;
            pthread_mutex_unlock(&p->mu);
            if (p->stats)
                t0 = clock_ns(CLOCK_MONOTONIC);
            step_account(p, acct);
            if (p->stats)
                stats_add(&st, T_ACCOUNT, t0, n);
            pthread_mutex_lock(&p->mu);
            if (end)
                p->done = true;
            acct->state = B_FREE;
            p->next_acct++;
            wake(p);
            continue;
        }
        if (parse) {
            parse->state = B_PARSING;
            pthread_mutex_unlock(&p->mu);
            if (p->stats)
                t0 = clock_ns(CLOCK_MONOTONIC);
            step_parse(p, parse);
            if (p->stats)
                stats_add(&st, T_PARSE, t0, parse->n);
            pthread_mutex_lock(&p->mu);
            parse->state = B_PARSED;
            wake(p);
            continue;
        }
        if (rd) {
            p->reading = true;
            rd->state = B_READING;
            rd->seq = p->next_read++;
            pthread_mutex_unlock(&p->mu);
            if (p->stats)
                t0 = clock_ns(CLOCK_MONOTONIC);
            step_read(p, rd);
            if (p->stats)
                stats_add(&st, T_READ, t0, rd->n);
            pthread_mutex_lock(&p->mu);
            p->reading = false;
            if (rd->end)
                p->eof = true;
            rd->state = B_READ;
            wake(p);
            continue;
        }
        p->waiting++;
        if (p->stats)
            t0 = clock_ns(CLOCK_MONOTONIC);
        pthread_cond_wait(&p->cv, &p->mu);
        if (p->stats)
            stats_add(&st, T_WAIT, t0, 0);
        p->waiting--;
    }
    if (p->stats)
        stats_print(p, &st, role);
    pthread_mutex_unlock(&p->mu);
    az_pool_attach(&p->a->pool, NULL);
}

typedef struct worker {
    az_pipe *p;
    int role;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    work(w->p, w->role);
    return NULL;
}

static void pipe_free(az_pipe *p)
{
    for (size_t i = 0; i < PIPE_SLOTS; i++)
        if (p->b[i]) {
            batch_clear(p->b[i]);
            free(p->b[i]->f);
            free(p->b[i]);
        }
    free(p);
}

void az_pipe_run(az *a, az_input *in, unsigned threads, bool lint, FILE *stats)
{
    az_pipe *p = calloc(1, sizeof *p);
    bool ok = p != NULL;
    for (size_t i = 0; ok && i < PIPE_SLOTS; i++) {
        p->b[i] = calloc(1, sizeof *p->b[i]);
        ok = p->b[i] != NULL;
    }
    if (ok && pthread_mutex_init(&p->mu, NULL) != 0) {
        ok = false;
    } else if (ok && pthread_cond_init(&p->cv, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        ok = false;
    } else if (ok && pthread_mutex_init(&p->pool_mu, NULL) != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        ok = false;
    }
    if (!ok) { /* no memory for the ring: one thread, as without it */
        if (p)
            pipe_free(p);
        sr_cap_msg cm;
        az_counts c;
        while (az_input_next(in, &cm, &c) == 1) {
            az_counts_apply(a, &c);
            az_message(a, &cm);
        }
        az_counts_apply(a, &c);
        return;
    }
    p->a = a;
    p->in = in;
    p->lint = lint;
    p->stats = stats;
    /* the pool keeps as many blocks as can be in use at once (the messages in flight, the
     * requests kept and the threads' own): no malloc or free once it has them */
    if (az_pool_share(&a->pool, &p->pool_mu,
                      PIPE_SLOTS * PIPE_MSGS + AZ_MAX_PENDING +
                          PIPE_MAX_THREADS * 2 * AZ_POOL_RUN) != 0)
        threads = 1; /* no memory for the arrays: the pool stays one thread's */
    if (threads > PIPE_MAX_THREADS)
        threads = PIPE_MAX_THREADS;
    pthread_t t[PIPE_MAX_THREADS];
    worker w[PIPE_MAX_THREADS];
    unsigned started = 0;
    for (; started + 1 < threads; started++) {
        w[started].p = p;
        w[started].role = started == 0 ? ROLE_READ : ROLE_PARSE;
        if (pthread_create(&t[started], NULL, worker_main, &w[started]) != 0)
            break; /* a thread that cannot start leaves the work to the others */
    }
    /* this thread accounts; it also reads when no other thread does */
    work(p, started ? ROLE_ACCOUNT : ROLE_ALL);
    for (unsigned i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    az_pool_share(&a->pool, NULL, AZ_POOL_KEEP);
    pthread_mutex_destroy(&p->pool_mu);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    pipe_free(p);
}
