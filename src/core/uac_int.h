/* sipreply core: the UAC context's state, shared by uac.c (API, events, dispatch),
 * uac_req.c (building and sending requests) and uac_resp.c (what each response leads to). */
#ifndef SIPREPLY_UAC_INT_H
#define SIPREPLY_UAC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipreply/msg.h"
#include "sipreply/stack.h"
#include "sipreply/uac.h"

#define SR__UAC_QCAP      64 /* events queued at most (one slot kept for DONE) */
#define SR__UAC_TARGETS   32 /* targets ever known: the original and redirects' */
#define SR__UAC_SERVERS   8  /* servers per target */
#define SR__UAC_REALMS    4  /* realms answered */
#define SR__UAC_TAGS      8  /* option tags dropped / added */
#define SR__UAC_DIALOGS   8  /* 2xx dialogs (To tags) of an INVITE; early dialogs alike */
#define SR__UAC_LIVE      48 /* transactions of ours alive at once */
#define SR__UAC_TAG_MAX   64 /* longest To tag kept */
#define SR__UAC_STALE_MAX 3  /* stale=true answered per realm at most */

typedef struct sr__uac_qev {
    sr_uac_event ev;
    sr_msg *msg; /* owned */
    char *text;  /* owned: uri / detail */
} sr__uac_qev;

typedef struct sr__uac_target {
    char *uri;   /* owned: the Request-URI */
    char *route; /* owned: a 305 proxy to go through (Route), NULL if none */
    sr_addr servers[SR__UAC_SERVERS];
    size_t n_servers;
    size_t next;        /* the server the next attempt uses */
    bool retried_after; /* a Retry-After was waited out for this target already */
    bool pending;       /* its servers are being looked up (the resolver said SR_EAGAIN) */
} sr__uac_target;

typedef struct sr__uac_realm {
    bool proxy;  /* 407 / Proxy-Authorization */
    char *realm; /* owned, unquoted */
    char *chal;  /* owned: the challenge value answered (parsed again per request) */
    const sr_uac_credential *cred;
    uint32_t nc;
    unsigned stale;
} sr__uac_realm;

typedef struct sr__uac_tag {
    char v[SR__UAC_TAG_MAX];
    size_t len;
    bool bye;   /* 2xx dialogs: a BYE was sent */
    sr_msg *ok; /* 2xx dialogs: the first 2xx (owned), for the BYE's route set */
} sr__uac_tag;

struct sr_uac {
    sr_stack *stack;
    const sr_allocator *alloc;
    sr_uac_config cfg;
    sr_msg *tmpl; /* the caller's request (a copy) */
    sr_method method;
    uint32_t cseq;        /* CSeq number of the last request made */
    uint32_t invite_cseq; /* CSeq number of the last INVITE sent (ACK, stray 2xx) */
    sr__uac_target targets[SR__UAC_TARGETS];
    size_t n_targets;
    size_t cur; /* the target being tried */
    unsigned redirects;
    unsigned attempts;
    /* The request in flight. */
    sr_txn_id txn;
    sr_msg *req; /* our copy of the last request sent */
    sr_addr dest;
    bool final_seen;
    unsigned last_status;
    /* What later requests change. */
    char *drop[SR__UAC_TAGS];
    size_t n_drop;
    char *add[SR__UAC_TAGS];
    size_t n_add;
    int64_t session_expires; /* -1: as the caller wrote it */
    int64_t expires;         /* -1: as the caller wrote it */
    int body;                /* -1: the caller's body; else cfg.bodies[body] */
    sr__uac_realm realms[SR__UAC_REALMS];
    size_t n_realms;
    /* Dialogs. */
    sr__uac_tag early[SR__UAC_DIALOGS];
    size_t n_early;
    sr__uac_tag dialogs[SR__UAC_DIALOGS];
    size_t n_dialogs;
    bool started, done, cancelled, hangup, timer_c;
    bool resolving;        /* the current target waits for sr_uac_resolved() */
    uint64_t wait_until;   /* UINT64_MAX: no retry pending */
    uint64_t cancel_until; /* 64·T1 after our CANCEL (§9.1); UINT64_MAX: none */
    sr_txn_id live[SR__UAC_LIVE];
    size_t n_live;
    sr__uac_qev q[SR__UAC_QCAP];
    size_t q_head, q_len;
    sr__uac_qev cur_ev; /* the event handed out by the last poll */
    uint64_t dropped;
};

/* uac.c: events. */
void sr__uac_emit(sr_uac *u, const sr_uac_event *ev, const sr_msg *msg, sr_str text);
void sr__uac_action(sr_uac *u, sr_uac_action a, unsigned status, sr_str detail, uint64_t delay);
void sr__uac_finish(sr_uac *u, sr_uac_outcome o, unsigned status, const sr_msg *resp, int error);
void sr__uac_live_add(sr_uac *u, sr_txn_id id);
void sr__uac_cancel_sent(sr_uac *u, uint64_t now);

/* uac_req.c: requests. */
int sr__uac_attempt(sr_uac *u, uint64_t now);
int sr__uac_send_ack(sr_uac *u, const sr_msg *resp, uint64_t now);
int sr__uac_send_bye(sr_uac *u, const sr_msg *resp, uint64_t now);
int sr__uac_target_add(sr_uac *u, size_t at, sr_str uri, sr_str route);
char *sr__uac_strdup(sr_uac *u, sr_str s);
/* The first Contact URI of @p m (p == NULL when none). */
sr_str sr__uac_contact_uri(const sr_msg *m);

/* uac_resp.c: decisions. */
int sr__uac_on_final(sr_uac *u, const sr_msg *resp, uint64_t now);
int sr__uac_failover(sr_uac *u, sr_uac_outcome why, unsigned status, const sr_msg *resp,
                     uint64_t now);
int sr__uac_resolve(sr_uac *u, sr_str uri, sr_addr *out, size_t cap);
bool sr__uac_uri_same(sr_str a, sr_str b);
int sr__uac_next_target(sr_uac *u, sr_uac_outcome o, unsigned code, const sr_msg *resp,
                        uint64_t now);
int sr__uac_on_2xx(sr_uac *u, const sr_msg *resp, bool current, uint64_t now);

#endif /* SIPREPLY_UAC_INT_H */
