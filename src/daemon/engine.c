/* sipreplyd: the rule engine. A request the stack hands over is checked (uas.h), matched to
 * a rule and answered by the rule's actions; a response sequence with delays becomes a job
 * kept until its final response, woken by its deadline, a PRACK or a CANCEL. */
#include "engine_dialog.h"
#include "engine_forward.h"
#include "engine_int.h"
#include "engine_media.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* ------------------------------------------------------------------ configurations */

static cfg_ref *ref_find(sd_engine *e, const sd_config *cf)
{
    if (e->cur->cfg == cf)
        return e->cur;
    for (cfg_ref *r = e->olds; r; r = r->next)
        if (r->cfg == cf)
            return r;
    return NULL;
}

void sd__cfg_release_old(sd_engine *e, sd_config *cf)
{
    cfg_ref *r = ref_find(e, cf);
    if (!r || r->refs == 0 || --r->refs > 0 || r == e->cur)
        return;
    for (cfg_ref **pp = &e->olds; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    sd_config_free(r->cfg);
    sd__free(e, r);
}

/* ------------------------------------------------------------------ requests */

static void on_request(sd_engine *e, const sr_event *ev, const sd_local *local, uint64_t now)
{
    const sr_msg *req = ev->msg;
    sr_method m = sr_msg_method(req);
    sd__count_request(e, req);
    if (sd__fwd_routed(e, ev, local, now))
        return; /* inside a dialog through our Record-Route (engine_forward.c) */
    if (m == SR_METHOD_ACK) {
        /* the ACK of a 2xx the stack resent for us (RFC 3261 §13.3.1.4; it stopped it and names
         * the INVITE): when it names that 2xx by its To tag, its sender received the 2xx (the
         * reflection budget's sign of life) */
        job *j = sd__job_of(ev->related_user);
        if (j && j->wait_ack) {
            const sr_nameaddr *at = sr_msg_to(req);
            bool ours = at && j->tag_len && at->tag.len == j->tag_len &&
                        memcmp(at->tag.p, j->tag, j->tag_len) == 0;
            if (j->sdp_offer_2xx)
                sd__sdp_check_answer(e, j, req, &ev->addr); /* RFC 3261 §13.2.1 */
            sd__dialog_on_ack(e, j, req, now);
            sd__job_free(e, j);
            if (ours)
                sd__sign(e, &ev->addr, SD_SIGN_ALIVE);
        } else {
            sd__dialog_on_ack(e, NULL, req, now); /* a re-INVITE's, or one no job waits for */
        }
        return;
    }
    /* a PRACK the stack matched to our reliable 1xx (RAck names its RSeq) proves receipt */
    sd__sign(e, &ev->addr, m == SR_METHOD_PRACK && ev->related ? SD_SIGN_ALIVE : SD_SIGN_REQUEST);
    if (m == SR_METHOD_CANCEL && ev->related) {
        job *j = sd__job_of(ev->related_user);
        if (j && !j->final_sent) {
            sd__job_done(e, j, j->req, 487, "cancelled");
            sd__job_free(e, j);
        }
        return;
    }
    if (m == SR_METHOD_PRACK && ev->related) {
        /* §12.2.2: the PRACK's CSeq is the early dialog's remote sequence number now */
        sr_dialog *d = sr_dialog_match(e->dialogs, req);
        if (d) {
            int rc = sr_dialog_check_cseq(d, req);
            (void)rc; /* out of order: the stack has answered it already; nothing to undo */
        }
        job *j = sd__job_of(ev->related_user);
        if (j && j->sdp_offer_1xx) {
            sd__sdp_check_answer(e, j, req, &ev->addr); /* RFC 3262 §5 */
            j->sdp_offer_1xx = false;
        }
        if (j && j->held) {
            sd__held_release(e, j, now);
            return;
        }
        if (j && j->wait_prack) {
            j->wait_prack = false;
            sd__job_resume(e, j, now);
        }
        return;
    }
    if (ev->txn == 0)
        return;
    job tmp;
    memset(&tmp, 0, sizeof(tmp));
    tmp.txn = ev->txn;
    tmp.cfg = sd__cfg_of(e);
    tmp.src = ev->addr;
    tmp.local = *local;
    /* RFC 3261 §8.2: the automatic answers come before any rule */
    sr_uas_policy pol;
    sd__uas_policy(e, &pol);
    sr_uas_verdict v;
    if (sr_uas_check(req, &pol, &v) == 0 && v.code != 0) {
        sr_msg *resp = NULL;
        sr_build_opts bo;
        sr_build_opts_init(&bo);
        bo.source_host = sr_str_from_cstr(ev->addr.host);
        bo.source_port = ev->addr.port;
        bo.alloc = e->alloc;
        bool sent = sr_uas_respond(&resp, req, &v, &pol, &bo, NULL) == 0 &&
                    sd__send_resp(e, &tmp, resp, 0, now) == 0;
        /* the log says what went on the wire */
        sd__log_tx(e, req, &ev->addr, sent ? v.code : 0, "-",
                   sent ? v.reason : "nothing sent: the response could not be built");
        sd__txn_settle(e, ev->txn, now);
        return;
    }
    /* RFC 3261 §12.2.2: a request with a To tag belongs to a dialog (answered while
     * draining too: a BYE ends a call) */
    const sr_nameaddr *rto = sr_msg_to(req);
    if (rto && rto->tag.len && sd__dialog_request(e, ev, local, now))
        return;
    if (e->draining) {
        sd_rule r = {.name = "shutdown"};
        tmp.rule = &r;
        sd_step st = {.code = 503, .retry_after = 5, .reason = NULL, .repeat = 1};
        sr_msg *resp = NULL;
        bool sent = sd__build(e, &tmp, req, &st, 503, false, e->tag_key, &resp) == 0 &&
                    sd__send_resp(e, &tmp, resp, 0, now) == 0;
        sd__log_tx(e, req, &ev->addr, sent ? 503 : 0, "shutdown",
                   sent ? "shutting down"
                        : "shutting down; nothing sent: the 503 could not be built");
        sd__txn_settle(e, ev->txn, now);
        return;
    }
    unsigned codes[SD_MAX_CAPTURES] = {0};
    /* the checks passed (or said nothing, sr_uas_check: the Request-URI parsed) */
    const sd_rule *rule = sd__rule_find_checked(sd__cfg_of(e), req, &ev->addr, codes);
    sd__job_start(e, ev, rule, codes, local, now);
}

void sd__drain_events(sd_engine *e, const sd_local *local, uint64_t now)
{
    sr_event ev;
    while (sr_stack_poll(e->stack, &ev) == 0) {
        /* first: a REGISTER's user data is a UAC context, not one of ours with a kind */
        if (e->reg && sd__reg_event(e, &ev, now))
            continue;
        if (sd__fwd_event(e, &ev, now))
            continue; /* a forwarded request's (engine_forward.c) */
        if (sd__dialog_event(e, &ev))
            continue; /* one of our BYEs' (engine_dialog.c) */
        switch (ev.kind) {
        case SR_EV_REQUEST:
            if (local)
                on_request(e, &ev, local, now);
            break;
        case SR_EV_SEND:
            if (ev.status >= 100 && ev.status < 700)
                e->cnt.responses[ev.status]++;
            e->o.send(ev.data, ev.len, &ev.addr, e->o.user);
            break;
        case SR_EV_TERMINATED:
        case SR_EV_TRANSPORT_ERROR: {
            job *j = sd__job_of(ev.user);
            if (j) {
                if (!j->final_sent)
                    sd__job_done(e, j, j->req, 0, "transaction ended");
                sd__job_free(e, j);
            }
            break;
        }
        case SR_EV_PRACK_TIMEOUT: {
            job *j = sd__job_of(ev.user);
            if (j && !j->final_sent) {
                /* RFC 3262 §3: no PRACK for a reliable 1xx within 64*T1: the UAS SHOULD reject
                 * the INVITE with a 5xx (a 2xx the stack held is dropped: it never went) */
                sd__job_final(e, j, j->req, 500, "no PRACK", now);
                sd__job_free(e, j);
                sd__txn_settle(e, ev.txn, now);
            }
            break;
        }
        case SR_EV_2XX_TIMEOUT: {
            /* no ACK for the 2xx within 64*T1: the stack stopped resending it */
            job *j = sd__job_of(ev.user);
            if (j) {
                sd__dialog_no_ack(e, j, now); /* RFC 3261 §13.3.1.4: BYE */
                sd__job_free(e, j);
            }
            break;
        }
        case SR_EV_RESPONSE: e->cnt.dropped++; break;
        default: break;
        }
    }
    if (e->dead)
        sd__jobs_reap(e); /* the queue is empty: no event names them any more */
    if (e->reg)
        sd__reg_reap(e);
}

/* ------------------------------------------------------------------ public API */

void sd_engine_receive(sd_engine *e, const char *buf, size_t len, const sr_addr *src,
                       const sd_local *local, uint64_t now)
{
    /* parsed once (as sr_stack_receive would: the stack's allocator, its max_message): the
     * stateless path reads this message, the stack takes it and lends it with its event */
    e->now = now;
    sr_msg *msg = NULL;
    bool sl = sd__cfg_of(e)->has_stateless;
    /* with a stateless rule, an ACK's head is read first (sd__parse_absorb) while that finds
     * ours: after SD_ACK_HEAD_MISSES ACKs in a row that were not, they are parsed whole (and
     * checked in sd__try_stateless, which goes back to heads when one is ours) but for one
     * in SD_ACK_HEAD_PROBE. The same ACKs are absorbed either way; only the cost differs. */
    bool head = sl;
    bool ack = len > 4 && memcmp(buf, "ACK ", 4) == 0;
    if (sl && e->ack_head_misses >= SD_ACK_HEAD_MISSES && ack)
        head = ++e->ack_head_skipped % SD_ACK_HEAD_PROBE == 0;
    /* without one, the ACK for a non-2xx final (a proxied call's caller's, RFC 3261 §17.2.1)
     * is absorbed by its server transaction from its head (sr_stack_parse_absorb_ack), no
     * message built; one it does not absorb (the ACKs for 2xx go to the TU, §13.2.2.4,
     * §16.7) is parsed from the head read, and after SD_ACK_HEAD_MISSES of those in a row
     * only one in SD_ACK_HEAD_PROBE is read so: the others are parsed whole at once */
    int rc;
    if (!sl && ack &&
        (e->ack_txn_misses < SD_ACK_HEAD_MISSES || ++e->ack_txn_skipped % SD_ACK_HEAD_PROBE == 0)) {
        sr_parse_opts po;
        sr_parse_opts_init(&po);
        po.alloc = e->alloc; /* as sd__parse */
        rc = sr_stack_parse_absorb_ack(e->stack, &msg, buf, len, &po, now, NULL);
        if (rc == SR_STACK_ACK_ABSORBED) {
            e->ack_txn_misses = 0;
            sd__drain_events(e, local, now);
            return;
        }
        if (e->ack_txn_misses < UINT_MAX)
            e->ack_txn_misses++;
    } else {
        rc = head ? sd__parse_absorb(e, buf, len, &msg) : sd__parse(e, buf, len, &msg);
    }
    if (rc == SR_BUILD_ACK_ABSORBED) {
        /* the ACK of a stateless rule's non-2xx final (RFC 3261 §17.2.1, §8.2.7), known
         * from its head: nothing to answer, no message built */
        e->ack_head_misses = 0;
        sd__stateless_ack_absorbed(e, src);
        return;
    }
    if (rc == 0) {
        if (head && sr_msg_method(msg) == SR_METHOD_ACK && e->ack_head_misses < UINT_MAX)
            e->ack_head_misses++;
        if (sl && sd__try_stateless(e, msg, src, local, head)) {
            sr_msg_free(msg);
            return;
        }
        rc = sr_stack_receive_msg(e->stack, msg, src, now);
    } else {
        /* what sr_stack_receive does first with any input: the timers due by now */
        sr_stack_on_timer(e->stack, now);
        if (rc != SR_ENOMEM)
            rc = SR_EBADMSG;
    }
    if (rc == SR_EBADMSG && !sd__reply_raw(e, buf, len, src)) {
        /* counted here once (sipreplyd_dropped_total); a 400 from the raw head is an answer */
        e->cnt.dropped++;
        if (e->o.log) {
            /* rule NULL: a drop, logged at the debug level */
            sd_txlog l = {.src = src, .note = "dropped: not a SIP message that can be answered"};
            e->o.log(&l, e->o.log_user);
        }
    } else if (rc == SR_ENOMEM) {
        /* not answered for want of memory: counted, and logged at the debug level */
        e->cnt.failures++;
        if (e->o.log) {
            sd_txlog l = {.src = src, .note = "dropped: out of memory"};
            e->o.log(&l, e->o.log_user);
        }
    }
    sd__drain_events(e, local, now);
}

/* After a flood: once the transactions have let go of 32 MiB since their peak and stayed
 * below that for MEM_QUIET_MS, give the free memory back to the kernel. main.c keeps freed
 * memory for reuse (M_TRIM_THRESHOLD 256 MB), the pool its freed blocks (up to
 * SD_POOL_KEEP_BYTES), and so does this while the load may come back:
 * memory given back is page-faulted in again, zeroed, by the next burst, which under a load
 * that comes and goes costs more than the calls themselves (docs/performance.md, "Proxy
 * row"; docs/sipreplyd.md "Memory"). Timers end transactions, so this runs after them; the
 * engine's next deadline includes e->mem_trim_at. */
#define MEM_QUIET_MS ((uint64_t)120000)

static void memory_settle(sd_engine *e, uint64_t now)
{
    size_t mem = sr_stack_memory(e->stack);
    if (mem > e->mem_peak)
        e->mem_peak = mem;
    if (e->mem_peak - mem < ((size_t)32 << 20)) {
        e->mem_trim_at = 0; /* the load is back (or never left): keep what it uses */
        return;
    }
    if (e->mem_trim_at == 0) {
        e->mem_trim_at = now + MEM_QUIET_MS;
        return;
    }
    if (now < e->mem_trim_at)
        return;
    e->mem_trim_at = 0;
    e->mem_peak = mem;
    sd_pool_trim(e->pool); /* the blocks kept past SD_POOL_KEEP per class go first */
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

bool sd_engine_ack_is_ours(sd_engine *e, const char *buf, size_t len)
{
    if (len < 4 || memcmp(buf, "ACK ", 4) != 0)
        return false;
    sr_msg *ack = NULL;
    int rc = sd__parse_absorb(e, buf, len, &ack); /* ours under sl_key: no message built */
    if (rc == SR_BUILD_ACK_ABSORBED)
        return true;
    if (rc != 0)
        return false;
    bool ours = sr_build_ack_is_ours(ack, e->tag_key);
    sr_msg_free(ack);
    return ours;
}

void sd_engine_on_timer(sd_engine *e, uint64_t now)
{
    e->now = now;
    sd__media_timer(e, now);
    sr_stack_on_timer(e->stack, now);
    sd__drain_events(e, NULL, now);
    sd__dialogs_on_timer(e, now);
    sd__drain_events(e, NULL, now);
    sd__fwd_on_timer(e, now);
    sd__drain_events(e, NULL, now);
    while (e->heap_len && e->heap[0]->due <= now) {
        job *j = e->heap[0];
        sd__heap_remove(e, j);
        sd__job_resume(e, j, now);
        sd__drain_events(e, NULL, now);
    }
    sd__drain_events(e, NULL, now);
    if (e->reg) {
        sd__reg_on_timer(e, now);
        sd__drain_events(e, NULL, now);
    }
    memory_settle(e, now);
}

/* The earliest deadline, the stack's being @p d. */
static uint64_t next_deadline(const sd_engine *e, uint64_t d)
{
    if (e->heap_len && e->heap[0]->due < d)
        d = e->heap[0]->due;
    uint64_t f = sd__fwd_next_deadline(e);
    if (f < d)
        d = f;
    uint64_t r = sd__reg_next_deadline(e);
    if (r < d)
        d = r;
    f = sd__dialogs_next_deadline(e);
    if (f < d)
        d = f;
    f = sd__media_next_deadline(e);
    if (f < d)
        d = f;
    return e->mem_trim_at != 0 && e->mem_trim_at < d ? e->mem_trim_at : d;
}

uint64_t sd_engine_next_deadline(const sd_engine *e)
{
    return next_deadline(e, sr_stack_next_deadline(e->stack));
}

uint64_t sd_engine_wake_deadline(const sd_engine *e)
{
    return next_deadline(e, sr_stack_next_deadline_slack(e->stack, SD_TIMER_SLACK_MS));
}

void sd_engine_transport_error(sd_engine *e, const sr_addr *peer, uint64_t now)
{
    e->now = now;
    sr_stack_on_transport_error(e->stack, peer, now);
    if (peer->transport != SR_TP_UDP && peer->conn_id != 0) {
        /* our own requests (a REGISTER) went out with no connection named (conn_id 0): the
         * shell opened this one for them, and its failure (refused, reset) is theirs too */
        sr_addr p0 = *peer;
        p0.conn_id = 0;
        sr_stack_on_transport_error(e->stack, &p0, now);
    }
    sd__drain_events(e, NULL, now);
}

void sd_engine_drain(sd_engine *e)
{
    e->draining = true;
    sd__reg_drain(e);     /* de-register (Expires: 0) what is registered */
    e->drain_byes = true; /* a BYE for every call still up, at the next timer (its time) */
}

size_t sd_engine_abort_pending(sd_engine *e, uint64_t now)
{
    size_t n = 0;
    for (job *j; (j = e->jobs) != NULL;) {
        if (!j->final_sent) {
            sd_step st = {.code = 503, .retry_after = 5, .repeat = 1};
            sr_msg *resp = NULL;
            bool sent = sd__build(e, j, j->req, &st, 503, false, e->tag_key, &resp) == 0 &&
                        sd__send_resp(e, j, resp, 0, now) == 0;
            sd__job_done(e, j, j->req, sent ? 503 : 0,
                         sent ? "shutting down" : "shutting down; nothing sent: the 503 failed");
            n++;
        }
        sr_txn_id txn = j->txn;
        sd__job_free(e, j);
        sd__txn_settle(e, txn, now);
    }
    sd__drain_events(e, NULL, now);
    n += sd__reg_pending(e);
    sd__reg_abort(e);
    return n;
}

size_t sd_engine_pending(const sd_engine *e)
{
    /* a 2xx waiting for its ACK is no longer in flight; a forwarded request until its final */
    return e->n_jobs - e->n_wait_ack + sd__fwd_pending(e) + sd__reg_pending(e) +
           (e->draining ? sd__dialogs_pending(e) : 0);
}

size_t sd_engine_dialogs(const sd_engine *e)
{
    return sr_dialog_count(e->dialogs);
}

size_t sd_engine_transactions(const sd_engine *e)
{
    return sr_stack_txn_count(e->stack);
}

const sd_config *sd_engine_config(const sd_engine *e)
{
    return sd__cfg_of(e);
}

void sd_engine_set_config(sd_engine *e, sd_config *cfg)
{
    cfg_ref *r = sd__calloc(e, sizeof(*r));
    if (!r) {
        /* the running configuration stays: counted (and main.c's reload said it loaded) */
        e->cnt.failures++;
        sd_config_free(cfg);
        return;
    }
    r->cfg = cfg;
    cfg_ref *old = e->cur;
    e->cur = r;
    if (old->refs == 0) {
        sd_config_free(old->cfg);
        sd__free(e, old);
    } else {
        old->next = e->olds;
        e->olds = old;
    }
}

int sd_engine_new(sd_engine **out, sd_config *cfg, const sd_engine_opts *o)
{
    const sr_allocator *up = o->alloc ? o->alloc : sr_allocator_default();
    sd_engine *e = up->alloc_fn(sizeof(*e), up->user);
    if (!e)
        return -1;
    memset(e, 0, sizeof(*e));
    e->o = *o;
    /* every allocation after this one goes through the pool, and through it to @p up */
    e->pool = sd_pool_new_with(SD_POOL_KEEP, up);
    if (!e->pool) {
        up->free_fn(e, up->user);
        return -1;
    }
    e->alloc = sd_pool_allocator(e->pool);
    e->cur = sd__calloc(e, sizeof(*e->cur));
    if (!e->cur) {
        sd_pool_free(e->pool);
        up->free_fn(e, up->user);
        return -1;
    }
    e->cur->cfg = cfg;
    e->rng = cfg->seed ? cfg->seed : o->seed;
    e->fwd_rng = e->rng; /* the forwarder's own sequence (engine_forward.c) */
    for (size_t i = 0; i < SR_BUILD_KEY_LEN; i++) {
        e->tag_key[i] = (uint8_t)sd__rng_next(e);
        e->sl_key[i] = (uint8_t)sd__rng_next(e);
    }
    e->session = sd__rng_next(e) % 1000000000u + 1;
    sr_buf_init(&e->scratch, e->alloc);
    sr_buf_init(&e->wire, e->alloc);
    /* optional: without it (out of memory) the checks are made afresh each time */
    if (sr_lint_cache_new(&e->lint, SD_LINT_CACHE_BYTES, e->alloc) != 0)
        e->lint = NULL;
    sr_config sc;
    sr_config_default(&sc);
    sc.t1 = cfg->t1;
    sc.t2 = cfg->t2;
    sc.t4 = cfg->t4;
    sc.seed = sd__rng_next(e);
    sc.timer_c = 0; /* a forwarded request's response context runs Timer C (proxy.h) */
    if (o->max_transactions)
        sc.max_transactions = o->max_transactions;
    if (o->max_memory)
        sc.max_memory = o->max_memory;
    sc.alloc = e->alloc;
    /* The pool keeps what a burst freed for the next one, as main.c keeps freed memory
     * (M_TRIM_THRESHOLD), up to what transactions may hold; memory_settle trims it. */
    sd_pool_set_keep_bytes(e->pool, sc.max_memory && sc.max_memory < SD_POOL_KEEP_BYTES
                                        ? sc.max_memory
                                        : SD_POOL_KEEP_BYTES);
    if (sr_stack_new(&e->stack, &sc) != 0 ||
        sd_auth_glue_new(&e->auth, sd__rng_next(e), o->nonce_secret, o->nonce_secret_len,
                         e->alloc) != 0 ||
        sd__dialogs_new(e) != 0) {
        sd_auth_glue_free(e->auth);
        sr_stack_free(e->stack);
        sr_lint_cache_free(e->lint);
        sd__free(e, e->cur);
        sd_pool_free(e->pool);
        up->free_fn(e, up->user);
        return -1;
    }
    /* media and dialogs: a dialog's end ends its call's media, the RTP timeout ends the
     * dialog (a BYE) */
    e->dialog_end_hook = sd__media_end;
    e->media_timeout = sd__dialog_media_timeout;
    *out = e;
    return 0;
}

void sd_engine_free(sd_engine *e)
{
    if (!e)
        return;
    sd__reg_free(e); /* first: its contexts forget their transactions in the stack */
    sd__media_free_all(e);
    /* the stack goes too: no need to detach the jobs from its transactions */
    while (e->jobs) {
        job *j = e->jobs;
        e->jobs = j->next;
        sr_msg_free(j->req);
        sd__free(e, j);
    }
    sd__jobs_reap(e);
    sd__fwd_free_all(e);
    sd__dialogs_free(e);
    sd__free(e, e->heap);
    sr_stack_free(e->stack);
    sd_config_free(e->cur->cfg);
    sd__free(e, e->cur);
    while (e->olds) {
        cfg_ref *n = e->olds->next;
        sd_config_free(e->olds->cfg);
        sd__free(e, e->olds);
        e->olds = n;
    }
    sd_auth_glue_free(e->auth);
    sr_buf_cleanup(&e->scratch);
    sr_buf_cleanup(&e->wire);
    sr_lint_cache_free(e->lint);
    const sr_allocator *up = e->o.alloc ? e->o.alloc : sr_allocator_default();
    sd_pool_free(e->pool); /* last: the stack's and the jobs' messages came from it */
    up->free_fn(e, up->user);
}
