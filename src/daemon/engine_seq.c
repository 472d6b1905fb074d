/* sipreplyd: response sequences — a job runs a rule's actions and steps (delays, repeats,
 * reliable 1xx, challenges, registrations) until its final response. */
#include "engine_forward.h"
#include "engine_int.h"
#include "engine_media.h"

#include <stdio.h>
#include <string.h>

/* End an allocated job: off the heap and the list, detached from its transaction. While the
 * transaction lives, detaching (sr_stack_txn_set_user) also clears the job from the events
 * queued for it, and the job goes now; once the transaction is gone, its last events
 * (SR_EV_TERMINATED) may still name the job: it is kept, dead, until the queue is empty. */
void sd__job_free(sd_engine *e, job *j)
{
    sd__dialog_job_gone(e, j, 200, e->now); /* an early dialog ends with it */
    sd__heap_remove(e, j);
    sd__jobs_unlink(e, j);
    if (j->wait_ack)
        e->n_wait_ack--;
    sr_msg_free(j->req);
    j->req = NULL;
    sd__cfg_release(e, j->cfg);
    if (!sd__fwd_owns(e, j->txn) && sr_stack_txn_set_user(e->stack, j->txn, NULL) == 0) {
        sd__free(e, j);
        return;
    }
    j->dead = true;
    j->next = e->dead;
    e->dead = j;
}

static bool has_sdp_body(const sr_msg *req)
{
    const sr_header *ct = sr_msg_header_find(req, SR_HDR_CONTENT_TYPE, NULL);
    return sr_msg_body(req).len > 0 && ct && ct->value.len >= 15 &&
           sr_str_caseeq((sr_str){ct->value.p, 15}, SR_STR("application/sdp"));
}

/* ------------------------------------------------------------------ jobs */

/* Send @p resp on the job's transaction. 0, or the stack's error (resp freed either way). */
int sd__send_resp(sd_engine *e, job *j, sr_msg *resp, unsigned flags, uint64_t now)
{
    int rc = sr_stack_send_response(e->stack, j->txn, resp, flags, now);
    if (rc != 0)
        sr_msg_free(resp);
    return rc;
}

static bool send_simple(sd_engine *e, job *j, const sr_msg *req, unsigned code, uint64_t now)
{
    sr_msg *resp = NULL;
    if (sd__build(e, j, req, NULL, code, false, e->tag_key, &resp) != 0)
        return false;
    return sd__send_resp(e, j, resp, 0, now) == 0;
}

/* The engine is done with @p txn: if no final went out on it (none could be built or sent),
 * end it (sr_stack_abandon) instead of leaving it in Trying/Proceeding, where only the TU's
 * final ends a server transaction (RFC 3261 §17.2.1, §17.2.2), holding its place in
 * --max-transactions for good. A transaction with its final, or gone, is left alone. */
void sd__txn_settle(sd_engine *e, sr_txn_id txn, uint64_t now)
{
    if (sd__fwd_owns(e, txn))
        return; /* a forwarded request: the proxy sends its final (engine_forward.c) */
    int rc = sr_stack_abandon(e->stack, txn, now);
    (void)rc; /* SR_ENOTFOUND (ended already), SR_ESTATE (answered): nothing to do */
}

/* Make the job outlive the event that started it: allocate it and hang it on its
 * transaction (sr_stack_txn_set_user). With @p req, the job owns the request: the message the
 * stack lent with the event being handled, taken (sr_stack_event_take_msg), not copied.
 * 0, or -1 when out of memory (*@p jp as it was). */
static int job_own(sd_engine *e, job **jp, const sr_msg *req)
{
    job *j = *jp;
    if (j->owned)
        return 0;
    job *h = sd__alloc(e, sizeof(*h));
    if (!h)
        return -1;
    *h = *j;
    h->kind = SD_KIND_JOB;
    h->heap_i = SIZE_MAX;
    h->due = UINT64_MAX;
    h->owned = true;
    h->req = NULL;
    if (j->sdp_sess == &j->sdp_own)
        h->sdp_sess = &h->sdp_own;
    if (sr_stack_txn_set_user(e->stack, h->txn, h) != 0) {
        /* no such transaction: nothing would ever wake the job but its deadline */
        sd__free(e, h);
        return -1;
    }
    if (req) {
        /* the request of the event being handled (on_request): the stack's own parse,
         * taken last, so that a failure leaves the caller's lent request as it was */
        sr_msg *own = NULL;
        if (sr_stack_event_take_msg(e->stack, &own) != 0 || own != req) {
            sr_msg_free(own);
            own = NULL;
            if (sr_msg_dup(&own, req) != 0) {
                sr_stack_txn_set_user(e->stack, h->txn, NULL);
                sd__free(e, h);
                return -1;
            }
        }
        h->req = own;
    }
    sd__jobs_link(e, h);
    if (h->dlg)
        h->dlg->user = h; /* the dialog names the job where it lives now */
    *jp = h;
    return 0;
}

/* Make the job own its request (before it waits). */
int sd__job_keep(sd_engine *e, job **jp, const sr_msg *req)
{
    return job_own(e, jp, req);
}

/* After its 2xx went out (the stack resends it until the ACK, RFC 3261 §13.3.1.4): keep the
 * job, without its request, for the ACK that names the 2xx (the reflection budget's sign of
 * life). true when it stays; false when memory failed (counted; the 2xx is resent all the
 * same, but its ACK proves nothing to the shell). */
bool sd__job_wait_ack(sd_engine *e, job **jp)
{
    if (job_own(e, jp, NULL) != 0) {
        e->cnt.failures++;
        return false;
    }
    job *j = *jp;
    sr_msg_free(j->req);
    j->req = NULL;
    j->wait_ack = true;
    e->n_wait_ack++;
    return true;
}

/* The final (or "no final") of a job: log it. */
void sd__job_done(sd_engine *e, job *j, const sr_msg *req, unsigned code, const char *note)
{
    j->final_sent = true;
    if (j->is_invite && code >= 300 && req)
        sd__media_end(e, sr_msg_call_id(req), "the INVITE failed", e->now); /* early media */
    sd__log_tx(e, req, &j->src, code, j->rule->name, note);
    if (j->dlg && (code == 0 || code >= 300))
        sd__dialog_job_gone(e, j, code, e->now); /* the early dialog ends (§12.1) */
    sd__dialog_after_final(e, req, code, e->now);
}

/* End the job with the simple final @p code, and log it; or, when it could not be built or
 * sent, log that nothing went out (the caller's txn_settle then ends the transaction). */
void sd__job_final(sd_engine *e, job *j, const sr_msg *req, unsigned code, const char *note,
                   uint64_t now)
{
    if (send_simple(e, j, req, code, now)) {
        sd__job_done(e, j, req, code, note);
        return;
    }
    char why[160];
    snprintf(why, sizeof(why), "%s%snothing sent: the %u could not be built or sent",
             note ? note : "", note ? "; " : "", code);
    sd__job_done(e, j, req, 0, why);
}

/* A job that cannot go on for want of memory (its request not kept, its deadline not
 * scheduled): end it now with a 500 when one can be sent (a job never woken would hold its
 * transaction until shutdown), log what went on the wire, count it
 * (sipreplyd_engine_failures_total). Returns false: the job is finished. */
static bool job_fail(sd_engine *e, job *j, const sr_msg *req, const char *what, uint64_t now)
{
    e->cnt.failures++;
    sd__job_final(e, j, req, 500, what, now);
    return false;
}

/* Pick the choice of the current respond action. */
static void start_action(sd_engine *e, job *j)
{
    const sd_action *a = &j->rule->actions[j->act];
    j->ch = a->choices; /* NULL for challenge and register */
    if (a->n_choices > 1) {
        uint64_t r = sd__rng_next(e) % a->total_weight;
        for (size_t i = 0; i < a->n_choices; i++) {
            if (r < a->choices[i].weight) {
                j->ch = &a->choices[i];
                break;
            }
            r -= a->choices[i].weight;
        }
    }
    j->step = 0;
    j->sent = 0;
    j->waited = false;
}

/*
 * Run the job as far as it goes at @p now. Returns true when it must stay (waiting for a
 * deadline, a PRACK or a CANCEL), false when finished (the caller frees it if heap-owned).
 */
static bool job_run(sd_engine *e, job **jp, const sr_msg *req, uint64_t now)
{
    job *j = *jp;
    while (!j->final_sent) {
        const sd_action *a = &j->rule->actions[j->act];
        if (a->kind == SD_ACT_CHALLENGE) {
            unsigned code = 0;
            sr_msg *resp = NULL;
            const char *why = NULL;
            int ok = sd_auth_glue_challenge(e->auth, a, req, &j->src, &code, &resp, e->tag_key, now,
                                            &why);
            if (ok > 0) {
                j->act++;
                start_action(e, j);
                continue;
            }
            if (!resp || sd__send_resp(e, j, resp, 0, now) != 0) {
                sd__job_final(e, j, req, 500, "challenge could not be built", now);
                return false;
            }
            sd__job_done(e, j, req, code, why);
            return false;
        }
        if (a->kind == SD_ACT_FORWARD) {
            j->final_sent = true; /* the forwarder answers and logs from now on */
            sd__fwd_start(e, j, a, req, !j->owned, now); /* unowned: req is lent */
            return false;
        }
        if (a->kind == SD_ACT_REGISTER) {
            unsigned code = 500;
            sr_msg *resp = NULL;
            sd_auth_glue_register(e->auth, a, req, &j->src, &code, &resp, e->tag_key, now);
            if (!resp || sd__send_resp(e, j, resp, 0, now) != 0) {
                sd__job_final(e, j, req, 500, NULL, now);
                return false;
            }
            sd__job_done(e, j, req, code, NULL);
            return false;
        }
        if (j->step >= j->ch->n_steps) {
            /* the sequence ended without a final: a non-INVITE cannot wait */
            if (j->is_invite && j->ch->n_steps && j->ch->steps[j->ch->n_steps - 1].wait_cancel &&
                j->ch->steps[j->ch->n_steps - 1].delay_ms == 0)
                return sd__job_keep(e, jp, req) == 0 ||
                       job_fail(e, *jp, req, "out of memory: the call could not be kept", now);
            sd__job_final(e, j, req, 500, "no final response in the rule", now);
            return false;
        }
        const sd_step *st = &j->ch->steps[j->step];
        uint32_t wait = j->sent == 0 ? st->delay_ms : st->interval_ms;
        if (st->wait_cancel && st->delay_ms == 0) {
            if (!j->is_invite) {
                j->step++;
                continue;
            }
            if (j->waited) {
                /* nobody cancelled within the bound: end it as Timer C would (RFC 3261
                 * §16.6 item 11), so abandoned calls do not pile up */
                j->waited = false;
                sd__job_final(e, j, req, 408, "no CANCEL within 3 minutes", now);
                return false;
            }
            if (sd__job_keep(e, jp, req) != 0)
                return job_fail(e, *jp, req, "out of memory: the call could not be kept", now);
            j = *jp;
            j->waited = true;
            if (sd__heap_push(e, j, now + SD_WAIT_CANCEL_MAX_MS) != 0)
                return job_fail(e, j, req, "out of memory: the wait could not be scheduled", now);
            return true; /* wait for a CANCEL */
        }
        if (wait && !j->waited) {
            if (sd__job_keep(e, jp, req) != 0)
                return job_fail(e, *jp, req, "out of memory: the call could not be kept", now);
            j = *jp;
            j->waited = true;
            if (sd__heap_push(e, j, now + wait) != 0)
                return job_fail(e, j, req, "out of memory: the delay could not be scheduled", now);
            return true;
        }
        j->waited = false;
        if (st->wait_cancel) {
            j->step++;
            j->sent = 0;
            continue;
        }
        unsigned code = sd__step_code(j, st);
        if (code < 100 || code > 699) {
            j->step++;
            continue;
        }
        if (code < 200 && !j->is_invite) {
            /* RFC 4320 §4.1: no provisional but 100 to a non-INVITE; skip it */
            j->step++;
            continue;
        }
        bool reliable = false;
        if (code > 100 && code < 200) {
            bool req100 = sr_msg_has_option(req, SR_HDR_REQUIRE, "100rel");
            bool sup100 = req100 || sr_msg_has_option(req, SR_HDR_SUPPORTED, "100rel");
            reliable =
                st->reliable == SD_REL_AUTO ? sup100 : (st->reliable == SD_REL_REQUIRED && req100);
        }
        bool sdp = false;
        if (j->is_invite && !st->no_sdp && !st->body) {
            if (code >= 200 && code < 300)
                sdp = !j->sdp_reliable;
            else if (code == 183) /* an answer, or our offer in a reliable one */
                sdp = (has_sdp_body(req) || reliable) && !j->sdp_reliable;
        }
        if (j->dlg && j->sdp_sess == &j->sdp_own)
            j->sdp_own = j->dlg->sdp; /* the early dialog's SDP (an UPDATE may have moved it on) */
        sr_msg *resp = NULL;
        int rc = sd__build(e, j, req, st, code, sdp, e->tag_key, &resp);
        if (rc == SR_ENOCODEC)
            return sd__sdp_refuse(e, j, req, now); /* 488 (or 400) instead */
        if (rc != 0) {
            /* a code the builder refuses (unregistered, missing header): 500 instead */
            sd__job_final(e, j, req, 500, "response could not be built", now);
            return false;
        }
        bool has_body = sr_msg_body(resp).len > 0;
        bool is2xx = j->is_invite && code >= 200 && code < 300;
        if (j->is_invite && code > 100 && code < 300) {
            /* RFC 3261 §12.1.1: the dialog this response makes (early) or confirms */
            rc = sd__dialog_on_response(e, j, req, resp, now);
            if (rc != 0) {
                sr_msg_free(resp);
                if (rc == SR_ERANGE) /* RFC 4028 §9: Session-Expires below our Min-SE */
                    sd__job_final(e, j, req, 422, "Session-Expires below our Min-SE", now);
                else if (rc == SR_ETOOBIG) /* bounded: no dialog, no 2xx */
                    sd__job_final(e, j, req, 503, "too many dialogs", now);
                else
                    job_fail(e, j, req, "out of memory: the dialog could not be recorded", now);
                return false;
            }
        }
        if (is2xx) {
            /* the To tag its ACK names (RFC 3261 §13.3.1.4, §17.1.1.3) */
            const sr_nameaddr *rt = sr_msg_to(resp);
            j->tag_len = rt && rt->tag.len <= SD_TAG_MAX ? (uint8_t)rt->tag.len : 0;
            if (j->tag_len)
                memcpy(j->tag, rt->tag.p, j->tag_len);
        }
        rc = sd__send_resp(e, j, resp,
                           reliable ? SR_SEND_100REL
                           : is2xx  ? SR_SEND_RETX_2XX
                                    : 0,
                           now);
        if (rc == SR_ESTATE && reliable) {
            /* the previous reliable 1xx is not PRACKed yet: wait for the PRACK */
            if (sd__job_keep(e, jp, req) != 0)
                return job_fail(e, *jp, req, "out of memory: the call could not be kept", now);
            (*jp)->wait_prack = true;
            return true;
        }
        if (rc == SR_EUNSUPPORTED && reliable) {
            if (sd__build(e, j, req, st, code, sdp, e->tag_key, &resp) == 0)
                rc = sd__send_resp(e, j, resp, 0, now);
        }
        if (rc != 0) {
            sd__job_done(e, j, req, 0, "nothing sent: send failed");
            return false;
        }
        if (reliable && has_body) {
            j->sdp_reliable = true;
            j->sdp_offer_1xx = (sdp || st->sdp_auto) && !has_sdp_body(req);
        }
        if (is2xx && has_body)
            j->sdp_offer_2xx = (sdp || st->sdp_auto) && !has_sdp_body(req);
        sr_txn_state ts;
        if (is2xx && sr_stack_txn_state(e->stack, j->txn, &ts) == 0 && ts == SR_TXN_PROCEEDING) {
            /* RFC 3262 §3: held by the stack until the reliable 1xx with SDP is PRACKed.
             * Nothing went on the wire: logged once it does (held_release), then the stack
             * resends it; a CANCEL (487), no PRACK within 64*T1 (500) or a shutdown (503)
             * end it instead */
            if (sd__job_keep(e, jp, req) != 0) {
                /* the stack sends the 2xx on the PRACK, unlogged; no final can replace it */
                e->cnt.failures++;
                sd__job_done(e, *jp, req, 0,
                             "out of memory: the call could not be kept; its 2xx waits for the "
                             "PRACK");
                return false;
            }
            (*jp)->held = true;
            (*jp)->held_code = code;
            return true;
        }
        if (code >= 200) {
            sd__job_done(e, j, req, code, NULL);
            return is2xx && sd__job_wait_ack(e, jp);
        }
        if (++j->sent >= st->repeat) {
            j->step++;
            j->sent = 0;
        }
    }
    return false;
}

void sd__job_start(sd_engine *e, const sr_event *ev, const sd_rule *rule, const unsigned *codes,
                   const sd_local *local, uint64_t now)
{
    job tmp;
    memset(&tmp, 0, sizeof(tmp));
    tmp.txn = ev->txn;
    tmp.cfg = sd__cfg_of(e);
    tmp.rule = rule;
    tmp.src = ev->addr;
    tmp.local = *local;
    tmp.heap_i = SIZE_MAX;
    tmp.due = UINT64_MAX;
    tmp.is_invite = sr_msg_method(ev->msg) == SR_METHOD_INVITE;
    /* RFC 4566 §5.2: the o= sess-id is unique per session: one per call, the same in every
     * SDP of the call (unchanged, so the sess-version stays too) */
    tmp.session = ++e->session;
    sr_sdp_session_init(&tmp.sdp_own, tmp.session, tmp.session);
    tmp.sdp_sess = &tmp.sdp_own;
    memcpy(tmp.codes, codes, sizeof(tmp.codes));
    e->cur->refs++;
    start_action(e, &tmp);
    job *j = &tmp;
    bool stays = job_run(e, &j, ev->msg, now);
    if (j != &tmp) {
        if (!stays) {
            sd__job_free(e, j);
            sd__txn_settle(e, ev->txn, now);
        }
        return;
    }
    /* never left the stack frame (nor took the request) */
    sd__dialog_job_gone(e, &tmp, 200, now);
    sd__cfg_release(e, tmp.cfg);
    sd__txn_settle(e, ev->txn, now);
}

/* A PRACK reached a job whose 2xx the stack held: if the stack sent it (the transaction is
 * Accepted, RFC 6026 §7.1), log it; the stack resends it until the ACK (RFC 3261
 * §13.3.1.4, SR_SEND_RETX_2XX from when it went), and the job waits for that ACK. */
void sd__held_release(sd_engine *e, job *j, uint64_t now)
{
    sr_txn_state ts;
    if (sr_stack_txn_state(e->stack, j->txn, &ts) != 0 || ts != SR_TXN_ACCEPTED)
        return; /* still held (or the transaction ended: SR_EV_TERMINATED says so) */
    j->held = false;
    sd__dialog_2xx_released(e, j, now); /* its dialog waits for the ACK from now */
    sd__job_done(e, j, j->req, j->held_code, NULL);
    if (!sd__job_wait_ack(e, &j))
        sd__job_free(e, j);
}

void sd__job_resume(sd_engine *e, job *j, uint64_t now)
{
    if (j->held || j->wait_ack)
        return; /* the stack sends (and resends) the 2xx; nothing to run meanwhile */
    job *jj = j;
    if (!job_run(e, &jj, j->req, now)) {
        sr_txn_id txn = jj->txn;
        sd__job_free(e, jj);
        sd__txn_settle(e, txn, now);
    }
}
