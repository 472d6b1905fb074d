/* sipreplyd: what the forwarder's files share — a forwarded call, its branches and its
 * target set (engine_forward.c drives the call, engine_forward_set.c builds the target set:
 * the rule's targets, the registrar's bindings, the Contacts of a 3xx). */
#ifndef SIPREPLYD_ENGINE_FORWARD_INT_H
#define SIPREPLYD_ENGINE_FORWARD_INT_H

#include "engine_forward.h"

#define CALL_MAGIC 0x73644643u /* "sdFC" */
#define BR_MAGIC   0x73644642u /* "sdFB" */

typedef struct fwd_branch {
    uint32_t magic;
    struct sd_fwd_call *call;
    unsigned target;   /* index in the call's target set */
    unsigned index;    /* the response context's branch index */
    sr_txn_id txn;     /* its client transaction, 0 once ended (or never started) */
    bool added;        /* a branch of the context */
    bool live;         /* its client transaction lives (its events carry this branch) */
    bool replaced;     /* not asked: counted as the replace code (fault injection) */
    bool timed_out;    /* branch-timeout fired */
    unsigned final_rx; /* the first final its transaction received, 0: none */
    uint64_t deadline;
} fwd_branch;

/* A response waiting to go upstream (rewrite delays keep the order). */
typedef struct fwd_out {
    sr_msg *msg;
    uint64_t due;
    unsigned status;
    struct fwd_out *next;
} fwd_out;

/* One target of a call (RFC 3261 §16.5): its URI ({{user}} replaced), and the group it
 * starts with in sequential mode (targets of one group start together). */
typedef struct fwd_target {
    char *uri;      /* the engine's allocation */
    unsigned q;     /* thousandths */
    unsigned group; /* sequential mode: lower groups first */
    unsigned depth; /* 3xx redirections that led to it (0: the rule's or a binding) */
} fwd_target;

typedef struct sd_fwd_call {
    uint32_t magic;
    struct sd_fwd_call *next, *prev;
    sd_due due;                   /* the call's earliest deadline, in e->fwd_heap */
    struct sd_fwd_call *due_next; /* sd__fwd_on_timer's list of calls due */
    sr_proxy *p;
    job jb; /* cfg (a reference held), rule, src, local, txn: what builds and logs need */
    const sd_forward *f;
    sd_forward *own;   /* f when made for this call (a request routed in a dialog) */
    sr_txn_id stxn;    /* the server transaction, 0 once it ended or its transport failed */
    bool slive;        /* it lives: its events (user data: this call) may still come */
    sr_msg *req;       /* the request as received (the route slices point into it) */
    uint64_t loop_key; /* sr_proxy_loop_key() of req, when has_loop_key */
    bool has_loop_key;
    sr_proxy_fwd_opts o; /* the copies' options, made once (fwd_begin) for every branch */
    sr_proxy_route route;
    fwd_target *t;  /* the target set */
    size_t nt, cap; /* targets, and the room of t, b, order and repl */
    unsigned next_group;
    fwd_branch *b;   /* one per target (never moved: the transactions point at them) */
    unsigned *order; /* target indices in starting order: highest q first, 3xx Contacts next */
    size_t started;  /* targets of order[] started */
    unsigned *repl;  /* per target: the replace code drawn for this call, 0: none */
    const sr_msg *resp3xx; /* the 3xx being handed to the context (during that event only):
                              the q-values of the Contacts it makes targets */
    fwd_out *qh, *qt;
    fwd_out out0;   /* the room of one held response (the final of most calls): no allocation */
    bool out0_used; /* out0 is in the queue */
    size_t qn;      /* responses held (a rewrite's delay): bounded, FWD_QUEUE_MAX provisionals */
    unsigned sent;  /* the final that went upstream (after rewriting), 0: none yet */
    const char *why;
    bool held;
    bool logged;
    char rr[SR_ADDR_HOST_MAX + 32]; /* our Record-Route URI */
} sd_fwd_call;

/* ------------------------------------------------------------------ engine_forward_set.c */

/* The target set of @p c (its f, req and jb set): the rule's targets, or the bindings of the
 * Request-URI's AOR (location), ordered, with room for the 3xx Contacts `recurse` may add;
 * the replace shares drawn. 0; or SR_ENOTFOUND with *@p code (404: not an AOR of our
 * registrar, 480: no binding) and *@p why; or SR_ENOMEM. */
int sd__fwd_targets(sd_engine *e, sd_fwd_call *c, uint64_t now, unsigned *code, const char **why);

/* The Contacts of a 3xx on branch @p branch (SR_PROXY_ACT_RECURSE: @p targets, highest q
 * first; @p resp, the 3xx, gives their q-values, NULL: all 1.0) added to the target set, next
 * in starting order, when `recurse` allows (its depth, the room, a URI not in the set yet,
 * reachable over UDP); in sequential mode those of equal q form one group. The number added. */
size_t sd__fwd_recurse(sd_engine *e, sd_fwd_call *c, unsigned branch, const sr_str *targets,
                       size_t n, const sr_msg *resp);

/* Free the target set's URIs and arrays. */
void sd__fwd_targets_free(sd_engine *e, sd_fwd_call *c);

#endif /* SIPREPLYD_ENGINE_FORWARD_INT_H */
