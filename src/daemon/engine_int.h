/* sipreplyd: what the engine's files share — the engine and job structures, the deadline
 * heap, and the calls one concern makes into another (engine.c drives them all). */
#ifndef SIPREPLYD_ENGINE_INT_H
#define SIPREPLYD_ENGINE_INT_H

#include "engine.h"

#include <string.h>

#include "auth_glue.h"
#include "pool.h"

/* freed message blocks the engine keeps per size class (pool.h): a burst's worth */
#define SD_POOL_KEEP 256
/* and past that, what a burst freed, up to this many bytes in all (capped by --max-memory),
 * until memory_settle trims it after MEM_QUIET_MS */
#define SD_POOL_KEEP_BYTES ((size_t)256 << 20)

/* The longest "wait: cancel" (Timer C's 3 minutes): then 408. */
#define SD_WAIT_CANCEL_MAX_MS 180000u

/* The longest To tag of a 2xx whose ACK a job waits for (ours are SR_BUILD_TAG_LEN). */
#define SD_TAG_MAX 32

/* The request checks' memo (sr_lint_cache): 128 KiB, 256 URIs or address lists of up to
 * SR_LINT_CACHE_KEY_MAX bytes; a URI seen again (a caller's From and Contact, the
 * Request-URI in the To) is not parsed again. */
#define SD_LINT_CACHE_BYTES ((size_t)128 << 10)
/* ACKs not ours in a row after which their heads are no longer read first, and how often
 * one is then (sd_engine_receive) */
#define SD_ACK_HEAD_MISSES 8u
#define SD_ACK_HEAD_PROBE  64u

/*
 * A response sequence. It lives on the caller's stack while it runs within the event that
 * started it; one that must outlive the event (a delay, a wait for a PRACK, a CANCEL or the
 * ACK of its 2xx) is allocated and hung on its transaction's user data
 * (sr_stack_txn_set_user): the stack's events about the transaction carry it (sr_event.user,
 * related_user), so the engine needs no map from transactions to jobs. It ends at its final
 * response, or with its transaction (SR_EV_TERMINATED, SR_EV_TRANSPORT_ERROR), and is
 * detached then (sd__job_free).
 */
/* An entry of a deadline heap other than the jobs' (the forwarded calls', engine_forward.c):
 * embedded in what it schedules, found back from it by the owner. */
typedef struct sd_due {
    uint64_t due;  /* UINT64_MAX: not scheduled */
    uint64_t seq;  /* order of scheduling: equal deadlines run first come, first served */
    size_t heap_i; /* SIZE_MAX: not in the heap */
} sd_due;

typedef struct sd_due_heap {
    sd_due **a;
    size_t len, cap;
    uint64_t seq;
} sd_due_heap;

typedef struct job {
    uint32_t kind; /* SD_KIND_JOB once hung on a transaction: every object the engine hangs
                      there (a job, engine_forward.c's calls and branches) starts with its
                      kind, so sr_event.user is told apart without reading another type */
    sr_txn_id txn;
    sr_msg *req; /* the request, taken from the stack's event once the job outlives it */
    sd_config *cfg;
    const sd_rule *rule;
    size_t act;
    const sd_choice *ch;
    size_t step;
    uint32_t sent; /* sends done of the current step (repeat) */
    bool waited;   /* the current step's delay has passed */
    uint64_t due;  /* UINT64_MAX: not scheduled */
    uint64_t seq;  /* when it was scheduled: the tie-break among equal deadlines */
    size_t heap_i;
    struct job *prev, *next; /* the engine's allocated jobs (e->jobs), or its dead ones */
    bool owned;              /* allocated and hung on its transaction, not on a caller's stack */
    bool dead; /* ended after its transaction: freed once the events that name it are polled */
    sr_addr src;
    sd_local local;
    unsigned codes[SD_MAX_CAPTURES];
    bool is_invite;
    bool final_sent;
    bool wait_prack;
    bool sdp_reliable;  /* a reliable 1xx carried our SDP */
    bool sdp_offer_1xx; /* ... and it was our offer: the PRACK brings the answer (RFC 3262 §5) */
    bool sdp_offer_2xx; /* our 2xx carried our offer: the ACK brings the answer (§13.2.1) */
    uint64_t session;   /* {{session}}: our SDP's o= sess-id and sess-version, per call */
    /* our side of the call's SDP (o= id and version, RFC 3264 §8): sdp_own for a new call,
     * or a dialog's (engine_dialog.c) for a request answered within it; NULL: made afresh
     * from @p session for each response */
    sr_sdp_session *sdp_sess;
    sr_sdp_session sdp_own;
    /* the dialog the job's INVITE made (early or confirmed), NULL when none; the dialog's
     * user pointer names the job back while both live (engine_dialog.c) */
    sr_dialog *dlg;
    /* RFC 3262 §3: the stack holds our 2xx until the reliable 1xx with SDP is PRACKed;
     * until it goes out it is not logged */
    bool held;
    unsigned held_code;
    /* RFC 3261 §13.3.1.4: the stack resends the 2xx until the ACK (SR_SEND_RETX_2XX); the
     * job stays, without its request, to know the ACK that names the 2xx by its To tag */
    bool wait_ack;
    uint8_t tag_len;
    char tag[SD_TAG_MAX];
    /* the To tag every response of the job adds (RFC 3261 §8.2.6.2), derived once under
     * totag_key (NULL: not yet) rather than once per response */
    const uint8_t *totag_key;
    char totag[SR_BUILD_TAG_LEN];
} job;

/* Configurations are reference-counted: jobs keep the one they started with. */
typedef struct cfg_ref {
    sd_config *cfg;
    size_t refs;
    struct cfg_ref *next;
} cfg_ref;

struct sd_engine {
    sr_stack *stack;
    sd_engine_opts o;
    cfg_ref *cur;  /* the live configuration */
    cfg_ref *olds; /* replaced ones still used by jobs */
    uint8_t tag_key[SR_BUILD_KEY_LEN];
    uint8_t sl_key[SR_BUILD_KEY_LEN]; /* stateless replies' To tags (ACK absorption) */
    /* ACKs read from their head (sd__parse_absorb) that were not ours, in a row: past
     * SD_ACK_HEAD_MISSES the engine parses ACKs whole again (an ACK not ours would pay for
     * the check of its head), and tries the head once every SD_ACK_HEAD_PROBE of them
     * (engine.c) */
    unsigned ack_head_misses;
    unsigned ack_head_skipped;
    /* the same for a configuration without a stateless rule: ACKs the stack did not absorb
     * from their head (sr_stack_parse_absorb_ack: the ACKs for 2xx, the TU's), in a row */
    unsigned ack_txn_misses;
    unsigned ack_txn_skipped;
    uint64_t rng;
    uint64_t session; /* the last call's {{session}}: a random start, +1 per call */
    /* the allocated jobs (each also on its transaction's user data): for the sweeps at
     * shutdown and abort; n_jobs of them, n_wait_ack only waiting for the ACK of a 2xx */
    job *jobs;
    size_t n_jobs, n_wait_ack;
    job *dead; /* ended jobs events may still name: freed when the stack's queue is empty */
    /* jobs by deadline: binary heap */
    job **heap;
    size_t heap_len, heap_cap;
    uint64_t heap_seq; /* the next job scheduled gets it */
    sd_counters cnt;
    bool draining;
    sd_auth_glue *auth;
    sr_buf scratch;
    sr_buf wire; /* a stateless answer, printed as it is built (sd__build_print) */
    /* the request checks' memo of URI and address-list syntax by their bytes
     * (sr_uas_policy.cache; SD_LINT_CACHE_BYTES, NULL if it could not be allocated) */
    sr_lint_cache *lint;
    sd_pool *pool; /* the messages of the stack and of stateless replies (pool.h) */
    /* the pool's allocator: every allocation of the engine and of the core on its behalf
     * (jobs, heap, messages, buffers) goes through it, and through it to the
     * embedder's (sd_engine_opts.alloc), so that a failure sweep reaches them all */
    const sr_allocator *alloc;
    /* the most the transactions retained since memory last went back, and when it goes back
     * if they stay 32 MiB below that (0: not due) (memory_settle) */
    size_t mem_peak;
    uint64_t mem_trim_at;
    struct sd_fwd_call *fwds; /* forwarded requests (engine_forward.c) */
    struct sd_reg *reg;       /* registrations to a registrar (engine_register.c), or NULL */
    /* dialogs (engine_dialog.c): the table, its bound on a dialog's life without a session
     * timer, the kind the transactions of our BYEs carry as user data, and the hook media
     * hangs on a dialog's end (NULL: none) */
    sr_dialog_table *dialogs;
    uint64_t dialog_max_ms;
    uint32_t bye_kind;
    uint32_t bye_done_kind; /* a BYE of ours that got its final (or timed out) */
    size_t byes_in_flight;  /* our BYEs without a final yet (shutdown waits for them) */
    bool drain_byes;        /* shutting down: the dialogs' BYEs are due (sd__dialogs_drain) */
    void (*dialog_end_hook)(sd_engine *e, sr_str call_id, const char *why, uint64_t now);
    uint64_t now;         /* the time of the call into the engine being run */
    uint64_t fwd_rng;     /* their PRNG (replace shares), from the seed */
    sd_due_heap fwd_heap; /* the forwarded calls' earliest deadlines */
    bool fwd_rescan;      /* the heap could not take a call: look at all on the next timer */
    /* the last next hop resolved (engine_forward.c next_hop): its URI's bytes and address,
     * so that a rule's one target is not parsed again for every call */
    char hop_uri[96];
    size_t hop_len; /* 0: none */
    sr_addr hop_dest;
    struct sd_media_tab *media; /* media sessions by Call-ID (engine_media.c), NULL: none yet */
    /* the RTP timeout ended the media of @p call_id: end the call (dialogs: a BYE). NULL:
     * the media ends alone */
    void (*media_timeout)(struct sd_engine *e, sr_str call_id, uint64_t now);
};

/* ------------------------------------------------------------------ small helpers */

static inline uint64_t sd__rng_next(sd_engine *e)
{
    /* splitmix64 */
    uint64_t z = (e->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void *sd__alloc(const sd_engine *e, size_t n)
{
    return e->alloc->alloc_fn(n, e->alloc->user);
}

static inline void *sd__calloc(const sd_engine *e, size_t n)
{
    void *p = e->alloc->alloc_fn(n, e->alloc->user);
    if (p)
        memset(p, 0, n);
    return p;
}

static inline void *sd__realloc(const sd_engine *e, void *p, size_t n)
{
    return e->alloc->realloc_fn(p, n, e->alloc->user);
}

static inline void sd__free(const sd_engine *e, void *p)
{
    e->alloc->free_fn(p, e->alloc->user);
}

/* Parse @p len bytes at @p buf into *@p out through the engine's allocator. 0 or an SR_E*. */
static inline int sd__parse(const sd_engine *e, const char *buf, size_t len, sr_msg **out)
{
    sr_parse_opts po;
    sr_parse_opts_init(&po);
    po.alloc = e->alloc;
    return sr_msg_parse(out, buf, len, &po, NULL);
}

/* sd__parse, but an ACK for a stateless rule's non-2xx final (its To tag derived under
 * e->sl_key) is recognised from the head and not built: SR_BUILD_ACK_ABSORBED (build.h). A
 * message it gives back is never such an ACK. */
static inline int sd__parse_absorb(const sd_engine *e, const char *buf, size_t len, sr_msg **out)
{
    sr_parse_opts po;
    sr_parse_opts_init(&po);
    po.alloc = e->alloc;
    return sr_build_parse_absorb_ack(out, buf, len, &po, e->sl_key, NULL);
}

static inline sd_config *sd__cfg_of(const sd_engine *e)
{
    return e->cur->cfg;
}

static inline void sd__count_request(sd_engine *e, const sr_msg *m)
{
    sr_method id = sr_msg_method(m);
    e->cnt.requests[(size_t)id < SD_METHOD_SLOTS ? (size_t)id : 0]++;
}

static inline void sd__sign(sd_engine *e, const sr_addr *src, int what)
{
    if (e->o.sign)
        e->o.sign(src, what, e->o.user);
}

static inline unsigned sd__step_code(const job *j, const sd_step *st)
{
    return st->capture ? j->codes[st->capture] : st->code;
}

/* engine.c: a job is done with @p cf (a replaced configuration goes with its last job) */
void sd__cfg_release_old(sd_engine *e, sd_config *cf);

static inline void sd__cfg_release(sd_engine *e, sd_config *cf)
{
    if (e->cur->cfg == cf) {
        /* the live configuration: never freed here */
        if (e->cur->refs > 0)
            e->cur->refs--;
        return;
    }
    sd__cfg_release_old(e, cf);
}
/* engine.c: the stack's events (@p local NULL: none is a new request) */
void sd__drain_events(sd_engine *e, const sd_local *local, uint64_t now);

/* ------------------------------------------------------------------ engine_sched.c */

/* The job an event names (sr_event.user or related_user): NULL when none, or when it ended
 * already and only waits for its transaction's last events to be freed. */
#define SD_KIND_JOB 0x73644a42u /* "sdJB" */

/* The kind of a transaction's user data: its first member (a uint32_t, see job). */
static inline uint32_t sd__kind_of(const void *user)
{
    return user ? *(const uint32_t *)user : 0;
}

static inline job *sd__job_of(void *user)
{
    job *j = user;
    return sd__kind_of(user) == SD_KIND_JOB && !j->dead ? j : NULL;
}

void sd__jobs_link(sd_engine *e, job *j);
void sd__jobs_unlink(sd_engine *e, job *j);
/* Free the dead jobs: once the stack's queue is empty, no event names them any more. */
void sd__jobs_reap(sd_engine *e);
void sd__heap_remove(sd_engine *e, job *j);
int sd__heap_push(sd_engine *e, job *j, uint64_t due);
/* Schedule @p d at @p due (again, if it was; UINT64_MAX: take it out). 0, or SR_ENOMEM with
 * @p d taken out (the caller's deadline is then missed until it sets it again). */
int sd__due_set(sd_engine *e, sd_due_heap *h, sd_due *d, uint64_t due);
/* Take @p d out of the heap (a no-op when it is not in). */
void sd__due_remove(sd_due_heap *h, sd_due *d);
/* The entry due first, NULL when none; its due. */
static inline sd_due *sd__due_top(const sd_due_heap *h)
{
    return h->len ? h->a[0] : NULL;
}

/* ------------------------------------------------------------------ engine_rules.c */

/* As sd_rule_find(), with the method taken as @p method (NULL: the request's). */
const sd_rule *sd__rule_find_as(const sd_config *cf, const sr_msg *req, const sr_addr *src,
                                unsigned codes[SD_MAX_CAPTURES], const char *method);
/* As sd_rule_find() for a request whose checks (sr_uas_check: its Request-URI parses) passed,
 * or must pass before the rule is used: a rule on the Request-URI's user alone reads it
 * without parsing the URI again (the checks parsed it). */
const sd_rule *sd__rule_find_checked(const sd_config *cf, const sr_msg *req, const sr_addr *src,
                                     unsigned codes[SD_MAX_CAPTURES]);
/* The user of @p ru, a sip: or sips: URI that sr_uri_parse() accepts, as it would give it
 * (p NULL: none), without parsing the rest; false for another scheme (then parse it). */
bool sd__valid_sip_user(sr_str ru, sr_str *user);

/* ------------------------------------------------------------------ engine_respond.c */

/* What we allow, support and accept (Allow, Supported, Accept; the request checks). */
extern const char *const sd__methods_allowed[];
extern const char *const sd__supported_tags[];
extern const char *const sd__accept_types[];

/* The request checks' policy (inline: once per request). */
static inline void sd__uas_policy(const sd_engine *e, sr_uas_policy *p)
{
    sr_uas_policy_init(p);
    p->cache = e->lint; /* NULL when it could not be made: every check made afresh */
    p->methods = sd__methods_allowed;
    p->supported = sd__supported_tags;
    p->accept = sd__accept_types;
    p->registrar = true;
}
int sd__build(sd_engine *e, job *j, const sr_msg *req, const sd_step *st, unsigned code, bool sdp,
              const uint8_t *key, sr_msg **out);
/* sd__build's response printed straight into @p wire (appended: sr_build_response_print),
 * for one that is only sent. */
int sd__build_print(sd_engine *e, job *j, const sr_msg *req, const sd_step *st, unsigned code,
                    const uint8_t *key, sr_buf *wire);
void sd__log_tx(sd_engine *e, const sr_msg *req, const sr_addr *src, unsigned code,
                const char *rule, const char *note);

/* ------------------------------------------------------------------ engine_sdp.c */

/* Our SDP for a response to @p req into @p out: the RFC 3264 answer to its offer, or our
 * offer when it has none. 0, SR_ENOCODEC (no answer can be made: sd__sdp_refuse), SR_ENOMEM. */
int sd__sdp_body(sd_engine *e, const job *j, const sr_msg *req, sr_buf *out);
/* Instead of a response whose SDP could not be made: 488 with a Warning (no codec in common,
 * RFC 3261 §21.4.26, §20.43) or 400 (malformed offer); logged. Returns false: job done. */
bool sd__sdp_refuse(sd_engine *e, job *j, const sr_msg *req, uint64_t now);
/* The answer to our offer (made again: the same call gives the same text) in the ACK or PRACK
 * @p m: checked (RFC 3264 §6) and logged (a debug record). */
void sd__sdp_check_answer(sd_engine *e, const job *j, const sr_msg *m, const sr_addr *src);

/* ------------------------------------------------------------------ engine_seq.c */

void sd__job_free(sd_engine *e, job *j);
int sd__send_resp(sd_engine *e, job *j, sr_msg *resp, unsigned flags, uint64_t now);
void sd__txn_settle(sd_engine *e, sr_txn_id txn, uint64_t now);
int sd__job_keep(sd_engine *e, job **jp, const sr_msg *req);
bool sd__job_wait_ack(sd_engine *e, job **jp);
void sd__job_done(sd_engine *e, job *j, const sr_msg *req, unsigned code, const char *note);
void sd__job_final(sd_engine *e, job *j, const sr_msg *req, unsigned code, const char *note,
                   uint64_t now);
void sd__job_start(sd_engine *e, const sr_event *ev, const sd_rule *rule, const unsigned *codes,
                   const sd_local *local, uint64_t now);
void sd__held_release(sd_engine *e, job *j, uint64_t now);
void sd__job_resume(sd_engine *e, job *j, uint64_t now);

/* ------------------------------------------------------------------ engine_dialog.c */

/* The kind of our BYEs' transactions' user data (sd_engine.bye_kind). */
#define SD_KIND_BYE 0x73644259u /* "sdBY" */

int sd__dialogs_new(sd_engine *e);
void sd__dialogs_free(sd_engine *e);
/* Before response @p resp (ours, 101-299) to the job's INVITE goes out: record the dialog
 * it makes or confirms. 0, or SR_ETOOBIG (a 2xx beyond the table's limits: the caller sends
 * 503 instead), SR_ENOMEM. A 1xx whose dialog cannot be recorded goes out all the same. */
int sd__dialog_on_response(sd_engine *e, job *j, const sr_msg *req, sr_msg *resp, uint64_t now);
/* A job ends (@p code 2xx: no final to tell; 0 or 300-699: its final was not a 2xx): the
 * dialog of its INVITE ends if that final was not a 2xx, or if it is still early. */
void sd__dialog_job_gone(sd_engine *e, job *j, unsigned code, uint64_t now);
/* The 2xx the stack held for a PRACK (RFC 3262 §3) went out now: its ACK is awaited from now. */
void sd__dialog_2xx_released(sd_engine *e, job *j, uint64_t now);
/* The ACK of the job's 2xx, or an ACK of a re-INVITE's (@p j NULL). */
void sd__dialog_on_ack(sd_engine *e, job *j, const sr_msg *ack, uint64_t now);
/* The 2xx of the job's INVITE was never ACKed (RFC 3261 §13.3.1.4): BYE, dialog ended. */
void sd__dialog_no_ack(sd_engine *e, job *j, uint64_t now);
/* A request with a To tag (not ACK, CANCEL): true when the dialog layer answered it (481,
 * 500, BYE, re-INVITE, UPDATE, INFO); false when the rules answer it. */
bool sd__dialog_request(sd_engine *e, const sr_event *ev, const sd_local *local, uint64_t now);
/* A final @p code the rules sent for in-dialog request @p req: a 2xx to BYE ends the dialog. */
void sd__dialog_after_final(sd_engine *e, const sr_msg *req, unsigned code, uint64_t now);
/* Our BYE's transaction's events (user data of kind SD_KIND_BYE): true when it was one. */
bool sd__dialog_event(sd_engine *e, const sr_event *ev);
void sd__dialogs_on_timer(sd_engine *e, uint64_t now);
uint64_t sd__dialogs_next_deadline(const sd_engine *e);
/* Shutting down: BYE every confirmed dialog whose 2xx was ACKed (the others get theirs when
 * the ACK comes, sd__dialog_on_ack); counted and logged. Returns the BYEs sent. */
size_t sd__dialogs_drain(sd_engine *e, uint64_t now);
/* While draining: what shutdown waits for (confirmed dialogs, our BYEs without a final). */
size_t sd__dialogs_pending(const sd_engine *e);

/* ------------------------------------------------------------------ engine_stateless.c */

/* @p ack_read: the message came from sd__parse_absorb, so an ACK in it is not ours */
bool sd__try_stateless(sd_engine *e, const sr_msg *req, const sr_addr *src, const sd_local *local,
                       bool ack_read);
/* engine_stateless.c: an ACK sd__parse_absorb absorbed (RFC 3261 §17.2.1): counted, and a
 * sign that @p src receives our answers */
void sd__stateless_ack_absorbed(sd_engine *e, const sr_addr *src);

/* ------------------------------------------------------------------ engine_register.c */

/* A stack event about one of our REGISTERs: handled, true (a SEND is left to the caller:
 * false); else false. */
bool sd__reg_event(sd_engine *e, const sr_event *ev, uint64_t now);
/* The stack's queue is empty: free the ended REGISTERs' contexts. */
void sd__reg_reap(sd_engine *e);
uint64_t sd__reg_next_deadline(const sd_engine *e);
void sd__reg_on_timer(sd_engine *e, uint64_t now);
/* SIGTERM: de-register what is registered (Expires: 0). */
void sd__reg_drain(sd_engine *e);
/* De-registrations (and REGISTERs) still in flight while shutting down. */
size_t sd__reg_pending(const sd_engine *e);
/* Out of time: every REGISTER still in flight is given up. */
void sd__reg_abort(sd_engine *e);
void sd__reg_free(sd_engine *e);
int sd__reg_metrics(const sd_engine *e, sr_buf *out);

/* ------------------------------------------------------------------ engine_badreq.c */

bool sd__reply_raw(sd_engine *e, const char *buf, size_t len, const sr_addr *src);

#endif /* SIPREPLYD_ENGINE_INT_H */
