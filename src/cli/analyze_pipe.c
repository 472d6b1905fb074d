/* sipreply CLI: `sipreply analyze` on two threads: a reader (libpcap, the capture decoder,
 * the parser and the request linter, which are pure per message) hands batches of parsed
 * messages to the accounting thread, which takes them in capture order and accounts them
 * as one thread would (az_message_parsed()): the report is the same byte for byte. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"

#define PIPE_BATCHES  8            /* batches in flight: memory stays bounded */
#define PIPE_MSGS     128          /* messages per batch */
#define PIPE_FINDINGS 2048         /* request findings per batch (64 at most per message) */
#define PIPE_BYTES    (256u << 10) /* message bytes per batch; larger messages get their own */

size_t az_lint_request(const sr_cap_msg *cm, const sr_msg *m, sr_lint_finding *f, size_t cap)
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
    uint32_t f0; /* its findings: f[f0 .. f0 + min(nf, 64)) of the batch */
    size_t nf;
    bool linted;
    char *own;
} pipe_rec;

typedef struct pipe_batch {
    size_t n, used, nf;
    bool end; /* the last batch: c holds the final counters */
    az_counts c;
    pipe_rec rec[PIPE_MSGS];
    sr_lint_finding f[PIPE_FINDINGS];
    char bytes[PIPE_BYTES];
} pipe_batch;

struct az_pipe {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pipe_batch *b[PIPE_BATCHES];
    size_t nfull; /* batches handed over and not yet taken back */
    size_t pi;    /* the batch the reader fills */
    bool lint;
    az_pool *pool;
    pthread_mutex_t pool_mu;
};

az_pipe *az_pipe_new(bool lint, az_pool *pool)
{
    az_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    for (size_t i = 0; i < PIPE_BATCHES; i++) {
        p->b[i] = malloc(sizeof *p->b[i]);
        if (!p->b[i]) {
            az_pipe_free(p);
            return NULL;
        }
        p->b[i]->n = p->b[i]->used = p->b[i]->nf = 0;
        p->b[i]->end = false;
    }
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        for (size_t i = 0; i < PIPE_BATCHES; i++)
            free(p->b[i]);
        free(p);
        return NULL;
    }
    if (pthread_cond_init(&p->cv, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        for (size_t i = 0; i < PIPE_BATCHES; i++)
            free(p->b[i]);
        free(p);
        return NULL;
    }
    if (pthread_mutex_init(&p->pool_mu, NULL) != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        for (size_t i = 0; i < PIPE_BATCHES; i++)
            free(p->b[i]);
        free(p);
        return NULL;
    }
    p->lint = lint;
    p->pool = pool;
    /* the messages in flight and the requests kept come back to the pool */
    az_pool_share(pool, &p->pool_mu, PIPE_BATCHES * PIPE_MSGS + AZ_MAX_PENDING / 16);
    return p;
}

static void batch_clear(pipe_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        sr_msg_free(b->rec[i].m); /* only those not taken (an early end) */
        free(b->rec[i].own);
    }
    b->n = b->used = b->nf = 0;
    b->end = false;
}

void az_pipe_free(az_pipe *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < PIPE_BATCHES; i++)
        if (p->b[i]) {
            batch_clear(p->b[i]);
            free(p->b[i]);
        }
    if (p->pool) { /* it was made whole */
        az_pool_share(p->pool, NULL, AZ_POOL_KEEP);
        pthread_mutex_destroy(&p->pool_mu);
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
    }
    free(p);
}

/* Hand the reader's batch over and wait for a free one. */
static void hand_over(az_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    p->nfull++;
    pthread_cond_broadcast(&p->cv);
    while (p->nfull == PIPE_BATCHES)
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    p->pi = (p->pi + 1) % PIPE_BATCHES;
}

void az_pipe_push(az_pipe *p, const az_counts *c, const sr_cap_msg *cm)
{
    pipe_batch *b = p->b[p->pi];
    bool big = cm->len > PIPE_BYTES;
    if (b->n == PIPE_MSGS || b->nf + 64 > PIPE_FINDINGS ||
        (!big && b->used + cm->len > PIPE_BYTES)) {
        hand_over(p);
        b = p->b[p->pi];
    }
    pipe_rec *r = &b->rec[b->n];
    memset(r, 0, sizeof *r);
    r->cm = *cm;
    r->c = *c;
    char *dst;
    if (big) {
        dst = r->own = malloc(cm->len);
        if (!dst)
            return; /* out of memory: the message is lost (as a packet the decoder drops) */
    } else {
        dst = b->bytes + b->used;
        b->used += cm->len;
    }
    if (cm->len)
        memcpy(dst, cm->data, cm->len);
    r->cm.data = dst;
    sr_parse_opts po;
    sr_parse_opts_init(&po);
    po.alloc = &p->pool->alloc;
    if (sr_msg_parse(&r->m, dst, cm->len, &po, &r->e) != 0)
        r->m = NULL;
    if (p->lint && r->m && sr_msg_is_request(r->m)) {
        r->f0 = (uint32_t)b->nf;
        r->nf = az_lint_request(&r->cm, r->m, &b->f[b->nf], 64);
        b->nf += r->nf < 64 ? r->nf : 64;
        r->linted = true;
    }
    b->n++;
}

void az_pipe_close(az_pipe *p, const az_counts *c)
{
    pipe_batch *b = p->b[p->pi];
    b->end = true;
    b->c = *c;
    pthread_mutex_lock(&p->mu);
    p->nfull++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void az_pipe_drain(az_pipe *p, az *a)
{
    size_t ci = 0;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->nfull == 0)
            pthread_cond_wait(&p->cv, &p->mu);
        pthread_mutex_unlock(&p->mu);
        pipe_batch *b = p->b[ci];
        for (size_t i = 0; i < b->n; i++) {
            pipe_rec *r = &b->rec[i];
            az_counts_apply(a, &r->c);
            if (r->cm.data)
                az_message_parsed(a, &r->cm, r->m, &r->e, r->linted ? &b->f[r->f0] : NULL, r->nf);
            r->m = NULL; /* freed or kept by the accounting */
        }
        bool end = b->end;
        if (end)
            az_counts_apply(a, &b->c);
        batch_clear(b);
        pthread_mutex_lock(&p->mu);
        p->nfull--;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (end)
            return;
        ci = (ci + 1) % PIPE_BATCHES;
    }
}
