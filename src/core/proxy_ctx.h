/* sipreply core: the proxy's response context as its files share it — branches, the early
 * dialogs of RFC 6228 and the queue of actions. RFC 3261 §16.7. */
#ifndef SIPREPLY_PROXY_CTX_H
#define SIPREPLY_PROXY_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipreply/proxy.h"

#include "proxy_int.h"

enum { B_CALLING = 0, B_PROCEEDING, B_DONE };

/* An early dialog seen on a branch (a 101–199 with a To tag): its To value, for a 199. */
typedef struct edlg {
    char *to;
    size_t to_len;
    sr_str tag; /* inside to */
} edlg;

typedef struct pbranch {
    sr__proxy_kept req; /* what its CANCEL and ACK need of the request forwarded on it */
    sr_str id;          /* its top Via branch (inside req) */
    int state;
    bool got_1xx;   /* any provisional, 100 included: the client transaction is Proceeding */
    unsigned final; /* final code received or made up, 0 while none */
    bool local;     /* the final was made up here (408 timeout, 503 transport error) */
    int drop;       /* SR__DROP_*: the 3xx Contacts recursed on */
    bool recursed;  /* every Contact of its 3xx was recursed on: not a candidate */
    sr_msg *resp;   /* the final kept for the choice */
    uint64_t seq;   /* order of finals */
    bool cancel_wanted, cancel_sent;
    sr_str cancel_reason; /* static text or the context's copy */
    uint64_t timer_c, cancel_at;
    edlg *ed;
    size_t ned;
} pbranch;

typedef struct pact {
    sr_proxy_action a;
    sr_msg *msg;
    sr_str *targets; /* one block: the array, then the bytes */
} pact;

struct sr_proxy {
    const sr_allocator *alloc;
    sr_proxy_config cfg;
    const sr_msg *req; /* req_own, or the caller's (SR_PROXY_REQ_LENT) */
    sr_msg *req_own;
    bool invite, sup199, sips;
    pbranch *b;
    size_t nb, capb;
    bool final_sent, got_6xx, cancelled, hold;
    uint64_t seq;
    char *reason; /* the upstream CANCEL's Reason */
    size_t reason_len;
    pact *q;
    size_t qh, qn, qcap;
    pact cur;
    /* finish(): the final branch lent_b received, lent for that call only (no copy when the
     * final goes upstream within it). */
    const pbranch *lent_b;
    const sr_msg *lent_resp;
    /* room for the first branch and the first actions, inside the context: a call with one
     * target and its final allocates neither array (b and q point here until they grow) */
    pbranch b_in[1];
    pact q_in[2];
};

/* RFC 6228 (proxy_early.c): a 199 for early dialog @p e, ended by final @p cause. */
int sr__proxy_build_199(sr_proxy *p, const edlg *e, unsigned cause, sr_msg **out);

/* Note the early dialog a 101–199 with a To tag opens on branch @p b (a 199 forwarded
 * downstream ends it). */
int sr__proxy_note_early(sr_proxy *p, pbranch *b, const sr_msg *resp);

#endif /* SIPREPLY_PROXY_CTX_H */
