/* sipreply core: the transaction layer's internal types, shared by stack.c, txn_*.c and
 * prack.c (RFC 3261 §17, RFC 6026, RFC 3262). */
#ifndef SIPREPLY_TXN_INT_H
#define SIPREPLY_TXN_INT_H

#include "sipreply/error.h"
#include "sipreply/stack.h"
#include "sipreply/build.h"
#include "sipreply/str.h"

#include "timer_int.h"

/* Timer slots of a transaction, named as in RFC 3261 §17 and RFC 6026. */
enum sr__tk {
    SR__TK_A = 0,      /* INVITE client retransmit */
    SR__TK_B,          /* INVITE client give up */
    SR__TK_C,          /* INVITE client Proceeding too long (proxy Timer C) */
    SR__TK_D,          /* INVITE client absorb final retransmissions */
    SR__TK_E,          /* non-INVITE client retransmit */
    SR__TK_F,          /* non-INVITE client give up */
    SR__TK_G,          /* INVITE server retransmit non-2xx final */
    SR__TK_H,          /* INVITE server wait for ACK */
    SR__TK_I,          /* INVITE server absorb ACKs */
    SR__TK_J,          /* non-INVITE server absorb request retransmissions */
    SR__TK_K,          /* non-INVITE client absorb response retransmissions */
    SR__TK_L,          /* INVITE server Accepted (RFC 6026) */
    SR__TK_M,          /* INVITE client Accepted (RFC 6026) */
    SR__TK_TRYING,     /* automatic 100 Trying (§17.2.1; RFC 4320 for non-INVITE) */
    SR__TK_REL,        /* RFC 3262 reliable 1xx retransmission */
    SR__TK_REL_GIVEUP, /* RFC 3262 64·T1 without PRACK */
    SR__TK_2XX,        /* UAS core 2xx retransmission (§13.3.1.4, SR_SEND_RETX_2XX) */
    SR__TK_COUNT
};

/* A transaction holds a timer slot for each timer its kind can arm, and no more: INVITE
 * client A, B, C, D, M (5); non-INVITE client E, F, K (3); INVITE server 100 Trying, G, H,
 * I, L and the RFC 3262 and §13.3.1.4 ones (8); non-INVITE server 100 Trying, J (2).
 * sr__tk_slot[kind] is the kind's place in its transaction's tm[] (the kinds of one
 * transaction kind are numbered 0, 1, ... there), sr__tk_owners[kind] has bit k set when
 * transaction kind k arms it, and sr__txn_slots[k] is how many slots kind k holds
 * (stack_txn.c). Starting a kind on a transaction that does not own it is refused. */
#define SR__TXN_MAX_SLOTS 8
extern const uint8_t sr__tk_slot[SR__TK_COUNT];
extern const uint8_t sr__tk_owners[SR__TK_COUNT];
extern const uint8_t sr__txn_slots[4];
/* sr__slot_tk[k][i]: the timer kind in slot i of a transaction of kind k (the inverse of
 * sr__tk_slot over that kind's timers), for initialising the slots without a search. */
extern const uint8_t sr__slot_tk[4][SR__TXN_MAX_SLOTS];

static inline bool sr__txn_is_client(sr_txn_kind k)
{
    return k == SR_TXN_INVITE_CLIENT || k == SR_TXN_NON_INVITE_CLIENT;
}

static inline bool sr__tk_owned(sr_txn_kind k, int kind)
{
    return kind >= 0 && kind < SR__TK_COUNT && (sr__tk_owners[kind] >> k & 1u);
}

/* One early dialog PRACKed by the UAC side (RFC 3262 §4). */
typedef struct sr__early {
    char tag[64];
    size_t tag_len;
    uint32_t last_rseq;
    sr_buf routes; /* the Record-Route values of the 1xx that created it, joined (§12.1.2) */
} sr__early;

/* The keys a transaction is indexed under (txn_match.c): its handle; the §17.1.3 / §17.2.3
 * matching key (branch and method, plus sent-by for a server; the RFC 2543 fields without a
 * magic cookie); and, for servers, the dialog-ish key of §8.2.2.2 (Call-ID, From tag, CSeq)
 * that merged requests and PRACKs (RFC 3262 §3) are looked up by. */
enum sr__hrole { SR__HR_ID = 0, SR__HR_MATCH, SR__HR_DIALOG, SR__HR_COUNT };

/* One entry of the stack's hash table, embedded in its transaction: linking never
 * allocates, so indexing cannot fail. The entry is its transaction's hn[role], and the role
 * is kept in the top two bits of hash (the rest are the key's), so the transaction is found
 * from the entry without a pointer (sr__hnode_txn in txn_match.c): 24 bytes an entry. */
typedef struct sr__hnode {
    struct sr__hnode *next;
    struct sr__hnode **pprev; /* the link that points here (NULL: not linked): unlinking
                                 walks no chain */
    uint64_t hash;
} sr__hnode;

/* INVITE server in Confirmed over UDP (RFC 3261 §17.2.1, Timer I): its request is released
 * and what the lookups that can still reach it read is kept here (talloc): the §17.2.3 key
 * (top-Via branch and sent-by; the method is INVITE) and the §8.2.2.2 one (Call-ID, From
 * tag, CSeq number; method INVITE). Only for a magic-cookie branch: an RFC 2543 server keeps
 * its request. b holds the branch, the sent-by host, the Call-ID and the From tag. */
typedef struct sr__skey {
    uint32_t cseq;
    uint16_t port;
    uint16_t blen, hlen, clen, flen;
    char b[];
} sr__skey;

typedef struct sr__txn {
    struct sr__txn *next, *prev; /* every live transaction (teardown, transport errors) */
    sr__hnode hn[SR__HR_DIALOG]; /* handle and match (a server's dialog entry: hn_dialog) */
    sr_txn_id id;
    sr_txn_kind kind;
    sr_txn_state state;
    sr_addr peer;
    bool reliable;
    unsigned last_status;
    sr_msg *req;       /* the request sent (client, owned) or received (server: shared with the
                    TU, or a head-only copy, req_shared says); NULL for a client in Completed
                    over UDP (ckey) and an INVITE server in Confirmed (skey) */
    sr_buf resp;       /* server: the last response sent; INVITE client: the ACK */
    uint64_t interval; /* current A/E/G interval */
    /* Server: the response To tag (RFC 2543 ACK matching, §17.2.3). Client in Completed
     * over UDP: the §17.1.3 key, below; one storage for both (a kind uses one of them). */
    union {
        char to_tag[64];
        char ckey[64];
    };
    size_t ext_bytes; /* client: the caller's request message, counted in mem at start */
    void *user;       /* sr_stack_txn_set_user(): copied into each event of this txn */
    uint64_t q_last;  /* the newest queued event naming it (sr__qev chains; 0: none) */
    /* INVITE client: a CANCEL asked for before any provisional (§9.1). */
    bool cancel_asked;
    bool got_provisional;
    /* RFC 3262 UAS side. */
    bool peer_100rel; /* the INVITE offered 100rel (Supported or Require) */
    bool rel_pending; /* a reliable 1xx is waiting for its PRACK */
    bool rel_sdp;     /* ... and it carried SDP */
    bool rseq_started;
    /* INVITE server, SR_SEND_RETX_2XX (§13.3.1.4): the 2xx asked to be retransmitted (held
     * for a PRACK until retx_2xx_want turns into retx_2xx), and whether it still is. */
    bool retx_2xx_want;
    bool retx_2xx;
    /* INVITE server of a proxy (sr_stack_server_proxy): no automatic 487 on CANCEL. */
    bool proxy;
    /* Server: req is the received request itself, shared with the TU (sr__msg_share) and
     * counted in ext_bytes; false: a head-only copy of it (talloc), or none. */
    bool req_shared;
    /* Client in Completed over UDP (§17.1.1.2 Timer D, §17.1.2.2 Timer K): the request and
     * its printed bytes are released, nothing but matching needs them any more (the ACK a
     * retransmitted final gets is kept in resp); the §17.1.3 key is kept in ckey (above):
     * the top-Via branch (ckey_blen bytes), then the CSeq method (ckey_mlen). */
    uint8_t ckey_blen, ckey_mlen;
    uint32_t rseq; /* RFC 3262 UAS: RSeq of the last reliable 1xx */
    /* What only a client or only a server uses, in the same bytes (the kind says which:
     * sr__txn_alloc and sr__txn_destroy initialise and release the kind's own). */
    union {
        struct {              /* client */
            sr_buf req_bytes; /* the printed request */
            sr_txn_id cancel_id;
            sr_msg *cancel_msg; /* the TU's own CANCEL (sr_stack_cancel_msg) waiting for a 1xx */
            /* RFC 3262 UAC side: SR_PRACK_MAX_DIALOGS entries (talloc), from the first
             * reliable 1xx on; NULL until then (most transactions never see one). */
            sr__early *early;
            size_t n_early;
            size_t req_ext;      /* of ext_bytes, the request itself (sr__msg_footprint) */
            uint32_t prack_cseq; /* CSeq number of the last PRACK sent for this INVITE */
        };
        struct {                 /* server */
            sr__hnode hn_dialog; /* the index entry of role SR__HR_DIALOG */
            size_t to_tag_len;
            sr_buf rel_bytes; /* RFC 3262 UAS: the reliable 1xx, for retransmission */
            /* rel_interval: the RFC 3262 retransmission interval, read while a reliable 1xx
             * is retransmitted (Proceeding); skey: an INVITE server in Confirmed without its
             * request (above), where no 1xx is sent any more. Which one: req == NULL. */
            union {
                uint64_t rel_interval;
                sr__skey *skey;
            };
            sr_msg *held_2xx; /* a 2xx waiting for the PRACK of an SDP 1xx */
        };
    };
    /* The timer slots, sr__txn_slots[kind] of them (allocated with the transaction). */
    sr__timer tm[];
} sr__txn;

/* The bytes of a transaction of kind @p k (its record and its timer slots). */
static inline size_t sr__txn_size(sr_txn_kind k)
{
    return offsetof(sr__txn, tm) + sr__txn_slots[k] * sizeof(sr__timer);
}

/* The transaction whose slot @p tm is (fire_due: a popped timer back to its owner). */
static inline sr__txn *sr__txn_of_timer(sr__timer *tm)
{
    return (sr__txn *)(void *)((char *)(tm - sr__tk_slot[tm->kind]) - offsetof(sr__txn, tm));
}

/* A queued event and what it owns: @c bytes (freed with the stack's allocator) and @c msg.
 * An SR_EV_SEND of a transaction lends that transaction's buffer instead (@c lent: ev.data
 * is its p, @c bytes NULL) until the buffer would change or go: sr__buf_unlend then hands the
 * buffer itself to the newest event lending it (stack_events.c). */
typedef struct sr__qev {
    sr_event ev;
    char *bytes;
    sr_msg *msg;
    bool lent;
    /* the previous queued event naming the same transaction as ev.txn / as ev.related (its
     * sequence number, sr_stack.q_seq; 0: none): chains sr__queue_set_user walks */
    uint64_t txn_prev, rel_prev;
} sr__qev;

struct sr_stack {
    sr_config cfg;
    const sr_allocator *alloc;
    /* What transactions retain is allocated through talloc: alloc with a size header, so
     * mem is the bytes they hold (sr_config.max_memory, sr_stack_memory). */
    sr_allocator talloc;
    size_t mem;
    uint64_t refused; /* new transactions refused: max_transactions or max_memory */
    sr__timer_heap heap;
    size_t tm_slots; /* the timer slots of the live transactions: what heap has room for */
    sr__rng rng;
    sr__txn *txns;
    size_t n_txns;
    /* The transaction index: chained buckets (a power of two), keyed SipHash-1-3. */
    sr__hnode **tbl;
    size_t tbl_size, tbl_n;
    uint8_t hkey[16];
    sr_txn_id next_id;
    uint64_t now;
    uint64_t dropped;
    size_t n_retx_2xx; /* transactions resending a 2xx (SR_SEND_RETX_2XX): ACKs look them up */
    sr__qev *q;
    size_t q_head, q_len, q_cap;
    /* what the event handed out by the last poll owns (bytes, msg, lent) and its ev.data
     * (sr__buf_unlend compares it); its other fields are not kept */
    sr__qev cur;
    size_t n_lent;         /* events (queued and cur) lending a transaction's buffer */
    uint64_t unlend_steps; /* queued events sr__buf_unlend_slow looked at (for tests) */
    uint64_t q_seq;        /* sequence number of the event at q_head (from 1) */
    uint64_t user_steps;   /* queued events sr__queue_set_user looked at (for tests) */
};

/* Only an SR_EV_SEND queued among the first this many events lends its transaction's buffer
 * (sr__emit_send); one queued behind them has a copy. */
#define SR__LEND_WINDOW 32

/* The layers: stack.c (the public API) checks inputs, advances time, fires due timers and
 * calls the state machines (txn_client.c, txn_server.c, prack.c), which call the plumbing
 * below; nothing calls back up into stack.c. */

/* RFC 3261 §17: "reliable transport" (sr_transport_is_reliable() for the state machines). */
static inline bool sr__reliable(sr_transport tp)
{
    return tp == SR_TP_TCP || tp == SR_TP_TLS || tp == SR_TP_SCTP;
}

/* stack_events.c: the event queue. sr__emit queues @p ev with a copy of @p bytes and takes
 * @p msg (freed on failure too). sr__emit_give queues SR_EV_SEND @p ev with the bytes of
 * @p b (allocated with s->alloc), which it takes without a copy (@p b is left empty; on
 * failure the caller still owns them). sr__emit_send queues an SR_EV_SEND of @p t that lends
 * @p b, one of @p t's buffers (req_bytes, resp, rel_bytes: talloc), without a copy (a copy
 * behind the first SR__LEND_WINDOW queued events). */
int sr__emit_t(sr_stack *s, sr__txn *t, const sr_event *ev, const char *bytes, size_t len,
               sr_msg *msg);
static inline int sr__emit(sr_stack *s, const sr_event *ev, const char *bytes, size_t len,
                           sr_msg *msg)
{
    return sr__emit_t(s, NULL, ev, bytes, len, msg);
}
int sr__emit_give(sr_stack *s, const sr_event *ev, sr_buf *b);
int sr__emit_send(sr_stack *s, sr__txn *t, const sr_buf *b, unsigned status);
/* Before a transaction's buffer @p b is written to or freed: the events lending it get its
 * bytes (the buffer itself, no copy; @p b is left empty, its allocator kept), so that the
 * data of an event stays valid until the poll after it, as stack.h promises. */
void sr__buf_unlend_slow(sr_stack *s, sr_buf *b);
static inline void sr__buf_unlend(sr_stack *s, sr_buf *b)
{
    if (s->n_lent != 0 && b->p != NULL)
        sr__buf_unlend_slow(s, b);
}
/* sr__buf_unlend, then sr_buf_cleanup. */
static inline void sr__buf_release(sr_stack *s, sr_buf *b)
{
    if (b->p == NULL)
        return;
    sr__buf_unlend(s, b);
    sr_buf_cleanup(b);
}
int sr__emit_simple(sr_stack *s, sr__txn *t, sr_event_kind kind, char timer);
void sr__qev_release(sr_stack *s, sr__qev *e);
int sr__queue_pop(sr_stack *s, sr_event *ev);
sr_msg *sr__queue_take_msg(sr_stack *s);
void sr__queue_set_user(sr_stack *s, sr__txn *t, void *user);
void sr__queue_cleanup(sr_stack *s);

/* stack_txn.c: transaction allocation, the counting allocator, termination, timer slots. */
void sr__talloc_init(sr_stack *s);
/* Take talloc block @p p out of s->mem: the returned block is freed with s->alloc. */
void *sr__talloc_disown(sr_stack *s, void *p);
int sr__txn_alloc(sr_stack *s, sr_txn_kind kind, const sr_addr *peer, size_t reserve,
                  sr__txn **out);
void sr__txn_terminate(sr_stack *s, sr__txn *t); /* SR_EV_TERMINATED, then freed */
void sr__txn_discard(sr_stack *s, sr__txn *t);   /* never visible: unlinked and freed */
void sr__txn_destroy(sr_stack *s, sr__txn *t);   /* already unlinked: freed */
/* A timer kind another kind of transaction arms is never armed here: starting it is refused
 * (a bug in a state machine: the slot is not there), stopping it does nothing. */
static inline int sr__start(sr_stack *s, sr__txn *t, int kind, uint64_t delay)
{
    if (!sr__tk_owned(t->kind, kind))
        return SR_EINVAL;
    return sr__timer_start(&s->heap, &t->tm[sr__tk_slot[kind]], s->now, delay);
}

static inline void sr__stop(sr_stack *s, sr__txn *t, int kind)
{
    if (sr__tk_owned(t->kind, kind))
        sr__timer_stop(&s->heap, &t->tm[sr__tk_slot[kind]]);
}
void sr__new_branch(sr_stack *s, char *out); /* SR_BRANCH_LEN + 1 bytes */

/* txn_match.c: RFC 3261 §17.1.3, §17.2.3 (with the RFC 2543 fallback), §8.2.2.2, §9.2. */
int sr__index_init(sr_stack *s);
void sr__index_cleanup(sr_stack *s);
/* Index keys computed while matching a message (sr__find_client, sr__match_server,
 * sr__is_merged), reused when the transaction it starts is indexed at once: the same fields,
 * the same hashes, one SipHash each instead of two. */
typedef struct sr__keys {
    uint64_t match, dialog;
    bool has_match, has_dialog;
} sr__keys;
void sr__txn_index(sr_stack *s, sr__txn *t); /* once t->id and t->req are final */
/* The same, with the keys @p k (may be NULL) computed for t->req (or the request it copies). */
void sr__txn_index_k(sr_stack *s, sr__txn *t, const sr__keys *k);
void sr__txn_unindex(sr_stack *s, sr__txn *t); /* a no-op for what is not linked */
sr__txn *sr__txn_find(const sr_stack *s, sr_txn_id id);
/* @p mid: the sr_method of @p method (sr_method_from_str's, as the parser gives it). */
sr__txn *sr__find_client(const sr_stack *s, sr_str branch, sr_str method, sr_method mid);
/* The same, the matching key left in *@p k (k->match) for sr__txn_index_k. */
sr__txn *sr__find_client_k(const sr_stack *s, sr_str branch, sr_str method, sr_method mid,
                           sr__keys *k);
sr__txn *sr__find_prack_target(const sr_stack *s, const sr_msg *prack, const sr_rack *ra);
bool sr__branch_is_3261(sr_str branch);
sr__txn *sr__match_client(const sr_stack *s, const sr_msg *resp);
sr__txn *sr__match_server(const sr_stack *s, const sr_msg *req);
/* The same; for a request other than ACK, its matching key in *@p k (may be NULL). */
sr__txn *sr__match_server_k(const sr_stack *s, const sr_msg *req, sr__keys *k);
sr__txn *sr__match_cancel(const sr_stack *s, const sr_msg *cancel);
bool sr__is_merged(const sr_stack *s, const sr_msg *req);
/* The same; the §8.2.2.2 key in *@p k when computed (may be NULL). */
bool sr__is_merged_k(const sr_stack *s, const sr_msg *req, sr__keys *k);
sr__txn *sr__find_2xx_target(const sr_stack *s, const sr_msg *ack);
/* The fields of an ACK read from its head that §17.2.3 matches it on (the RFC 2543 fallback
 * reads all of them, a magic cookie only the top Via): what sr_msg_via(m, 0), Request-URI,
 * Call-ID, the tags of To and From ("" when absent or unparsed) and CSeq give for it. */
typedef struct sr__ack_fields {
    const sr_via *via;
    sr_str ruri, call_id, from_tag, to_tag;
    uint32_t cseq;
} sr__ack_fields;
/* The INVITE server transaction sr__match_server_k gives for that ACK; NULL: none. */
sr__txn *sr__match_ack(const sr_stack *s, const sr__ack_fields *a);
/* the public sr_msg_has_option (msg.h), under the name the state machines use */
#define sr__has_option sr_msg_has_option

/* txn_client.c */
int sr__client_start(sr_stack *s, sr_msg *req, const sr_addr *dest, sr_txn_id fixed_id,
                     sr_txn_id *id);
int sr__client_cancel(sr_stack *s, sr__txn *t, sr_msg *cancel, sr_txn_id *id);
void sr__client_forget(sr_stack *s, sr__txn *t);
/* *@p own is the parsed response; the SR_EV_RESPONSE that passes it to the TU takes it (and
 * sets it to NULL); otherwise the caller still frees it. */
int sr__client_on_response(sr_stack *s, sr__txn *t, sr_msg **own, const sr_addr *src);
void sr__client_on_timer(sr_stack *s, sr__txn *t, int kind);

/* txn_server.c */
/* *@p reqp is the request sr_stack_receive parsed; the SR_EV_REQUEST that lends it to the TU
 * takes it (*@p reqp is then NULL; the queue frees it, on failure too), and a new server
 * transaction shares it (sr__msg_share: no copy while the TU holds it too; a head-only
 * sr__msg_dup when the TU is about to change it or lets go of it, txn_server.c share_cb):
 * one parse per received request. */
int sr__server_on_request(sr_stack *s, sr_msg **reqp, const sr_addr *src);
/* Let go of server @p t's request (shared or its own copy): t->req is NULL afterwards. */
void sr__server_release_req(sr_stack *s, sr__txn *t);
void sr__server_on_timer(sr_stack *s, sr__txn *t, int kind);
int sr__server_send(sr_stack *s, sr__txn *t, sr_msg *resp, unsigned flags);
int sr__server_reply(sr_stack *s, sr__txn *t, unsigned code, const sr_build_header *hdrs, size_t n);
int sr__server_reply_or_end(sr_stack *s, sr__txn *t, unsigned code, const sr_build_header *hdrs,
                            size_t n);
int sr__reply_stateless(sr_stack *s, const sr_msg *req, const sr_addr *src, unsigned code);
int sr__new_server(sr_stack *s, const sr_msg *req, const sr_addr *src, sr_txn_kind kind,
                   sr__txn **out);
/* The same, indexed with the keys @p k computed for @p req (may be NULL). */
int sr__new_server_k(sr_stack *s, const sr_msg *req, const sr_addr *src, sr_txn_kind kind,
                     const sr__keys *k, sr__txn **out);
int sr__emit_request(sr_stack *s, sr__txn *t, sr_msg **reqp, const sr_addr *src,
                     const sr__txn *rel);
int sr__print_resp(sr_stack *s, sr__txn *t, const sr_msg *resp, sr_buf *b);
void sr__stop_2xx(sr_stack *s, sr__txn *t); /* §13.3.1.4 retransmission off (idempotent) */
/* §17.2.1: the ACK for the non-2xx final of INVITE server @p t, in any state but Accepted
 * (Proceeding and Confirmed absorb it as it is; Completed goes to Confirmed). */
int sr__server_ack(sr_stack *s, sr__txn *t);
/* txn_match.c: INVITE server @p t (Confirmed) keeps its key in skey and releases its request
 * (a no-op for an RFC 2543 branch, and when the key cannot be allocated). */
void sr__server_compact(sr_stack *s, sr__txn *t);

/* stack_ack.c: sr_stack_parse_absorb_ack() with complete @p o, once the timers due have
 * fired; SR_STACK_ACK_ABSORBED with *@p ack_rc what the transaction's ACK gave (0). */
int sr__stack_parse_absorb(sr_stack *s, sr_msg **out, const char *buf, size_t len,
                           const sr_parse_opts *o, sr_parse_error *err, int *ack_rc);

/* prack.c: RFC 3262. */
int sr__prack_uas_send(sr_stack *s, sr__txn *t, sr_msg *resp);
int sr__prack_uas_on_prack(sr_stack *s, sr_msg **reqp, const sr_addr *src);
void sr__prack_uas_on_timer(sr_stack *s, sr__txn *t, int kind);
void sr__prack_uas_stop(sr_stack *s, sr__txn *t);
bool sr__prack_uas_hold(const sr__txn *t, const sr_msg *resp);
int sr__prack_uac_on_1xx(sr_stack *s, sr__txn *t, const sr_msg *resp, sr_txn_id *prack,
                         bool *deliver);

#endif /* SIPREPLY_TXN_INT_H */
