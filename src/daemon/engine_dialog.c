/* sipreplyd: dialogs (RFC 3261 §12, core dialog.h) — recorded from our 1xx/2xx to INVITE,
 * in-dialog requests answered (481, 500, BYE, re-INVITE and UPDATE offer/answer, INFO),
 * session timers (RFC 4028) and the BYE we send when a dialog must end. */
#include "engine_dialog.h"
#include "engine_int.h"
#include "engine_media.h"

#include <stdio.h>
#include <string.h>

static const sd_rule dialog_rule = {.name = "dialog"};

/* The longest a dialog stays without its 2xx's ACK: Timer H's 64*T1 (the stack says so
 * first with SR_EV_2XX_TIMEOUT) plus a margin; an early one: the longest a call rings. */
static uint64_t no_ack_ms(const sd_engine *e)
{
    return 64ull * sd__cfg_of(e)->t1 + 4000;
}

static bool has_sdp(const sr_msg *m)
{
    const sr_header *ct = sr_msg_header_find(m, SR_HDR_CONTENT_TYPE, NULL);
    return sr_msg_body(m).len > 0 && ct && ct->value.len >= 15 &&
           sr_str_caseeq((sr_str){ct->value.p, 15}, SR_STR("application/sdp"));
}

int sd__dialogs_new(sd_engine *e)
{
    sr_dialog_limits l;
    sr_dialog_limits_init(&l);
    if (e->o.max_dialogs)
        l.max_dialogs = e->o.max_dialogs;
    if (e->o.dialog_memory)
        l.max_memory = e->o.dialog_memory;
    l.seed = sd__rng_next(e);
    e->dialog_max_ms = 1000ull * (e->o.dialog_max_s ? e->o.dialog_max_s : 7200u);
    e->bye_kind = SD_KIND_BYE;
    e->bye_done_kind = SD_KIND_BYE;
    return sr_dialog_table_new(&e->dialogs, &l, e->alloc);
}

void sd__dialogs_free(sd_engine *e)
{
    sr_dialog_table_free(e->dialogs);
    e->dialogs = NULL;
}

/* ------------------------------------------------------------------ ending */

/* Send a BYE within @p d (§15.1.1) on a client transaction of its own, to where the
 * dialog's requests came from. Its responses and timeout are absorbed (sd__dialog_event). */
static void send_bye(sd_engine *e, sr_dialog *d, uint64_t now)
{
    char branch[SR_BRANCH_LEN + 1];
    const sd_config *cf = sd__cfg_of(e);
    const char *host = cf->advertise ? cf->advertise : d->local.host;
    const char *tp = d->peer.transport == SR_TP_TCP ? "TCP" : "UDP";
    sr_msg *bye = NULL;
    sr_txn_id id = 0;
    if (sr_stack_new_branch(e->stack, branch) != 0 ||
        sr_dialog_request(d, "BYE", tp, host, d->local.port, branch, e->alloc, &bye) != 0 ||
        sr_stack_send_request(e->stack, bye, &d->peer, now, &id) != 0) {
        sr_msg_free(bye);
        e->cnt.failures++;
        return;
    }
    e->cnt.byes_sent++;
    e->byes_in_flight++;
    sr_stack_txn_set_user(e->stack, id, &e->bye_kind);
}

/* End @p d: a BYE first when @p bye, the log line (duration and why), media told, gone. */
static void end_dialog(sd_engine *e, sr_dialog *d, const char *why, bool bye, uint64_t now)
{
    if (bye)
        send_bye(e, d, now);
    if (e->o.dialog_log) {
        sd_dialog_log l = {.peer = &d->peer,
                           .call_id = d->call_id,
                           .remote_target = d->remote_target,
                           .confirmed = d->state == SR_DIALOG_CONFIRMED,
                           .duration_ms = now > d->created_ms ? now - d->created_ms : 0,
                           .reason = why,
                           .bye_sent = bye};
        e->o.dialog_log(&l, e->o.log_user);
    }
    if (e->dialog_end_hook)
        e->dialog_end_hook(e, d->call_id, why, now);
    e->cnt.dialogs_ended++;
    job *j = d->user;
    if (j)
        j->dlg = NULL;
    sr_dialog_remove(e->dialogs, d);
}

static bool same_call(const sr_dialog *d, sr_str call_id)
{
    return d->call_id.len == call_id.len && memcmp(d->call_id.p, call_id.p, call_id.len) == 0;
}

void sd__dialog_media_timeout(sd_engine *e, sr_str call_id, uint64_t now)
{
    for (sr_dialog *d = sr_dialog_first(e->dialogs), *n; d; d = n) {
        n = sr_dialog_next(e->dialogs, d);
        if (same_call(d, call_id))
            end_dialog(e, d, "media timeout", d->state == SR_DIALOG_CONFIRMED, now);
    }
}

int sd__dialog_hangup(sd_engine *e, sr_str call_id, const char *why, uint64_t now)
{
    int r = 0;
    for (sr_dialog *d = sr_dialog_first(e->dialogs); d; d = sr_dialog_next(e->dialogs, d)) {
        if (!same_call(d, call_id) || d->state != SR_DIALOG_CONFIRMED)
            continue;
        if (!d->acked) {
            r = -1; /* §15: no BYE before the 2xx's ACK */
            continue;
        }
        end_dialog(e, d, why, true, now);
        return 1;
    }
    return r;
}

size_t sd__dialogs_drain(sd_engine *e, uint64_t now)
{
    size_t sent = 0, waiting = 0;
    for (sr_dialog *d = sr_dialog_first(e->dialogs), *n; d; d = n) {
        n = sr_dialog_next(e->dialogs, d);
        if (d->state != SR_DIALOG_CONFIRMED)
            continue;
        if (!d->acked) {
            waiting++;
            continue;
        }
        end_dialog(e, d, "shutdown", true, now);
        e->cnt.shutdown_byes++;
        sent++;
    }
    if (e->o.note && (sent || waiting)) {
        char line[160];
        snprintf(line, sizeof(line),
                 "shutdown: BYE sent for %zu dialogs still up, %zu more once their 2xx is ACKed",
                 sent, waiting);
        e->o.note(e->o.reg_user, SD_NOTE_NOTICE, line);
    }
    return sent;
}

size_t sd__dialogs_pending(const sd_engine *e)
{
    size_t n = e->byes_in_flight;
    for (sr_dialog *d = sr_dialog_first(e->dialogs); d; d = sr_dialog_next(e->dialogs, d))
        if (d->state == SR_DIALOG_CONFIRMED)
            n++;
    return n;
}

/* The deadline of a confirmed, acknowledged dialog: RFC 4028 §10, the side that does not
 * refresh sends a BYE before the session expires, min(32, SE/3) seconds before; without a
 * session timer, the longest a dialog lives (--dialog-max-duration). */
static void arm(sd_engine *e, sr_dialog *d, uint64_t now)
{
    uint64_t at;
    if (d->session_expires) {
        uint32_t se = d->session_expires;
        uint32_t early = se / 3 < 32 ? se / 3 : 32;
        at = now + 1000ull * (se - early);
    } else {
        at = now + e->dialog_max_ms;
    }
    sr_dialog_set_deadline(e->dialogs, d, at);
}

/* ------------------------------------------------------------------ session timers */

/* RFC 4028 §9 for a 2xx @p resp to session refresh @p req (INVITE, UPDATE): with a
 * Session-Expires the UAC supports, the 2xx carries it with the refresher (the UAC's choice,
 * else the UAC), and Require: timer; the dialog's interval follows. SR_ERANGE: below our
 * Min-SE (the caller answers 422, §8.1); SR_ENOMEM. */
static int session_timer(sd_engine *e, sr_dialog *d, const sr_msg *req, sr_msg *resp)
{
    uint32_t se = 0;
    char r = 0;
    if (sr_dialog_session_expires(req, &se, &r) != 0) {
        d->session_expires = 0; /* §9: a refresh without it turns the timer off */
        d->refresher = 0;
        return 0;
    }
    if (se < sd__cfg_of(e)->min_se)
        return SR_ERANGE;
    bool sup = sr_msg_has_option(req, SR_HDR_SUPPORTED, "timer") ||
               sr_msg_has_option(req, SR_HDR_REQUIRE, "timer");
    if (!sup) {
        /* §9: without the UAC's support only the UAS could refresh; we send no refreshes,
         * so no session timer (the dialog keeps its other bounds) */
        d->session_expires = 0;
        d->refresher = 0;
        return 0;
    }
    if (!r)
        r = 'c';
    char v[48];
    snprintf(v, sizeof(v), "%u;refresher=%s", (unsigned)se, r == 'c' ? "uac" : "uas");
    int rc = sr_msg_add_header(resp, SR_HDR_SESSION_EXPIRES, SR_STR("Session-Expires"),
                               sr_str_from_cstr(v));
    if (!rc && !sr_msg_has_option(resp, SR_HDR_REQUIRE, "timer"))
        rc = sr_msg_add_header(resp, SR_HDR_REQUIRE, SR_STR("Require"), SR_STR("timer"));
    if (rc)
        return rc;
    d->session_expires = se;
    d->refresher = r;
    return 0;
}

/* ------------------------------------------------------------------ the INVITE's dialog */

int sd__dialog_on_response(sd_engine *e, job *j, const sr_msg *req, sr_msg *resp, uint64_t now)
{
    unsigned code = sr_msg_status(resp);
    sr_dialog *d = NULL;
    bool had = j->dlg != NULL;
    int rc = sr_dialog_create(e->dialogs, req, resp, &j->src, now, &d);
    if (rc == SR_EINVAL)
        return 0; /* no dialog to make (no From tag): the response goes as it is */
    if (rc != 0)
        return code >= 200 ? rc : 0;
    if (!had && !d->user) {
        e->cnt.dialogs_created++;
        sr_addr_set(&d->local, j->local.host, j->local.port, j->src.transport);
        d->user = j;
        j->dlg = d;
    }
    if (j->sdp_sess)
        d->sdp = *j->sdp_sess; /* what the response carries (sd__build made it) */
    if (code < 200) {
        if (d->deadline_ms == UINT64_MAX)
            sr_dialog_set_deadline(e->dialogs, d, now + SD_WAIT_CANCEL_MAX_MS + no_ack_ms(e));
        return 0;
    }
    rc = session_timer(e, d, req, resp);
    if (rc != 0) {
        /* the 2xx does not go (422 instead): a dialog it made is forgotten, an early one it
         * confirmed is early again and ends with the job's final (sd__dialog_job_gone) */
        if (!had) {
            j->dlg = NULL;
            e->cnt.dialogs_created--;
            sr_dialog_remove(e->dialogs, d);
        } else {
            d->state = SR_DIALOG_EARLY;
        }
        return rc;
    }
    d->offer_pending = !has_sdp(req); /* our offer in the 2xx: the ACK answers (§13.2.1) */
    sr_dialog_set_deadline(e->dialogs, d, now + no_ack_ms(e));
    return 0;
}

void sd__dialog_job_gone(sd_engine *e, job *j, unsigned code, uint64_t now)
{
    sr_dialog *d = j->dlg;
    if (!d)
        return;
    j->dlg = NULL;
    d->user = NULL;
    if (code == 0 || code >= 300 || d->state == SR_DIALOG_EARLY) {
        /* §12.1: a non-2xx final ends the early dialog (or a 2xx never sent: held, then a
         * 500 for no PRACK, a 487 for a CANCEL) */
        char why[64];
        if (code)
            snprintf(why, sizeof(why), "early dialog ended by a %u", code);
        else
            snprintf(why, sizeof(why), "early dialog ended without a final");
        end_dialog(e, d, why, false, now);
    }
}

void sd__dialog_on_ack(sd_engine *e, job *j, const sr_msg *ack, uint64_t now)
{
    sr_dialog *d = j ? j->dlg : sr_dialog_match(e->dialogs, ack);
    if (!d || d->state != SR_DIALOG_CONFIRMED)
        return;
    d->offer_pending = false; /* the ACK carries the answer to an offer in our 2xx */
    if (!d->acked) {
        d->acked = true;
        arm(e, d, now);
        if (e->draining) { /* shutting down: its BYE was waiting for this ACK */
            end_dialog(e, d, "shutdown", true, now);
            e->cnt.shutdown_byes++;
        }
    }
}

void sd__dialog_2xx_released(sd_engine *e, job *j, uint64_t now)
{
    if (j->dlg && !j->dlg->acked)
        sr_dialog_set_deadline(e->dialogs, j->dlg, now + no_ack_ms(e));
}

void sd__dialog_no_ack(sd_engine *e, job *j, uint64_t now)
{
    sr_dialog *d = j->dlg;
    if (d && !d->acked)
        end_dialog(e, d, "no ACK for the 2xx", true, now); /* RFC 3261 §13.3.1.4 */
}

/* ------------------------------------------------------------------ in-dialog requests */

/* Answer @p req with @p code (a bare response; @p st for extra headers) and log it. */
static void answer(sd_engine *e, job *t, const sr_msg *req, unsigned code, const sd_step *st,
                   const char *note, uint64_t now)
{
    sr_msg *resp = NULL;
    bool sent = sd__build(e, t, req, st, code, false, e->tag_key, &resp) == 0 &&
                sd__send_resp(e, t, resp, 0, now) == 0;
    sd__log_tx(e, req, &t->src, sent ? code : 0, dialog_rule.name,
               sent ? note : "nothing sent: the response could not be built");
    sd__txn_settle(e, t->txn, now);
}

/* A rule claims an in-dialog request when the first rule that matches it names its method in
 * `match: method` and the method is not INVITE (rules for INVITE were written for new calls:
 * a re-INVITE is the dialog's). */
static bool rule_claims(const sd_engine *e, const sr_msg *req, const sr_addr *src)
{
    unsigned codes[SD_MAX_CAPTURES] = {0};
    const sd_rule *r = sd__rule_find_checked(sd__cfg_of(e), req, src, codes);
    if (!r->match.methods || sr_msg_method(req) == SR_METHOD_INVITE)
        return false;
    sr_str m = sr_msg_method_str(req);
    for (char **x = r->match.methods; *x; x++)
        if (sr_str_eq(m, sr_str_from_cstr(*x)))
            return true;
    return false;
}

/* The direction our answer in @p resp gives the first stream, for the log. */
static const char *answered_dir(const sr_msg *resp)
{
    sr_str b = sr_msg_body(resp);
    static const char *const dirs[] = {"a=recvonly", "a=sendonly", "a=inactive"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(dirs[i]);
        for (size_t k = 0; b.len >= n && k <= b.len - n; k++)
            if (memcmp(b.p + k, dirs[i], n) == 0)
                return dirs[i] + 2;
    }
    return "sendrecv";
}

/* A re-INVITE or an UPDATE within @p d (RFC 3261 §14, RFC 3311, RFC 3264 §8): target
 * refresh, session refresh, and our answer to its offer in the 2xx (or our offer in the 2xx
 * to a re-INVITE without one: the ACK answers). */
static void offer_answer(sd_engine *e, job *t, sr_dialog *d, const sr_msg *req, uint64_t now)
{
    sr_method m = sr_msg_method(req);
    bool offer = has_sdp(req);
    job *call = d->state == SR_DIALOG_EARLY ? d->user : NULL;
    if (call && offer && call->sdp_offer_1xx) {
        /* RFC 3311 §5.2: our offer in the reliable 1xx awaits its answer (the PRACK) */
        answer(e, t, req, 491, NULL, "an offer of ours is pending", now);
        return;
    }
    if (call && offer && call->req && has_sdp(call->req) && !call->sdp_reliable) {
        /* RFC 3311 §5.2: the INVITE's offer has no answer yet (none went reliably): 500 with
         * Retry-After */
        char name[] = "Retry-After", value[] = "1";
        sd_header h = {.name = name, .value = value};
        sd_step st = {.code = 500, .repeat = 1, .headers = &h, .n_headers = 1};
        answer(e, t, req, 500, &st, "the INVITE's offer is not answered yet", now);
        return;
    }
    if (d->offer_pending && (offer || m == SR_METHOD_INVITE)) {
        /* RFC 3261 §14.1, RFC 3311 §5.2: our offer is not answered yet (glare) */
        answer(e, t, req, 491, NULL, "an offer of ours is pending", now);
        return;
    }
    if (sr_dialog_refresh_target(e->dialogs, &d, req) == 0 && d->user)
        ((job *)d->user)->dlg = d; /* the dialog may have moved */
    t->sdp_sess = &d->sdp;
    bool sdp = offer || m == SR_METHOD_INVITE;
    sr_msg *resp = NULL;
    int rc = sd__build(e, t, req, NULL, 200, sdp, e->tag_key, &resp);
    if (rc == SR_ENOCODEC) {
        /* 488 (or 400): the session stays as it was (RFC 3261 §14.2) */
        sd__sdp_refuse(e, t, req, now);
        sd__txn_settle(e, t->txn, now);
        return;
    }
    if (rc != 0) {
        answer(e, t, req, 500, NULL, "the answer could not be built", now);
        return;
    }
    uint32_t old_se = d->session_expires;
    rc = session_timer(e, d, req, resp);
    if (rc == SR_ERANGE) {
        sr_msg_free(resp);
        d->session_expires = old_se;
        answer(e, t, req, 422, NULL, "Session-Expires below our Min-SE", now);
        return;
    }
    char note[120];
    snprintf(
        note, sizeof(note), "%s in a dialog%s%s", m == SR_METHOD_INVITE ? "re-INVITE" : "UPDATE",
        sdp ? (offer ? ": answered " : ": our offer") : "", sdp && offer ? answered_dir(resp) : "");
    if (rc != 0 ||
        sd__send_resp(e, t, resp, m == SR_METHOD_INVITE ? SR_SEND_RETX_2XX : 0, now) != 0) {
        if (rc != 0)
            sr_msg_free(resp);
        sd__log_tx(e, req, &t->src, 0, dialog_rule.name, "nothing sent: send failed");
        sd__txn_settle(e, t->txn, now);
        return;
    }
    sd__log_tx(e, req, &t->src, 200, dialog_rule.name, note);
    if (m == SR_METHOD_INVITE && !offer)
        d->offer_pending = true;
    if (d->acked)
        arm(e, d, now); /* RFC 4028 §10: a refresh starts the interval again */
}

bool sd__dialog_request(sd_engine *e, const sr_event *ev, const sd_local *local, uint64_t now)
{
    const sr_msg *req = ev->msg;
    sr_method m = sr_msg_method(req);
    if (m == SR_METHOD_ACK || m == SR_METHOD_CANCEL || ev->txn == 0)
        return false;
    sr_dialog *d = sr_dialog_match(e->dialogs, req);
    job t;
    memset(&t, 0, sizeof(t));
    t.txn = ev->txn;
    t.cfg = sd__cfg_of(e);
    t.rule = &dialog_rule;
    t.src = ev->addr;
    t.local = *local;
    t.heap_i = SIZE_MAX;
    t.due = UINT64_MAX;
    t.is_invite = m == SR_METHOD_INVITE;
    t.session = d ? d->sdp.sess_id : 0;
    if (d && sr_dialog_check_cseq(d, req) == SR_ERANGE) {
        /* §12.2.2: lower than the remote sequence number: out of order */
        answer(e, &t, req, 500, NULL, "CSeq lower than the dialog's", now);
        return true;
    }
    if (m == SR_METHOD_PRACK) {
        /* RFC 3262 §3: a PRACK the stack matched to no reliable 1xx of ours */
        e->cnt.dialog_481++;
        answer(e, &t, req, 481, NULL, "PRACK for no reliable provisional", now);
        return true;
    }
    if (rule_claims(e, req, &ev->addr))
        return false; /* the rule answers (sd__dialog_after_final sees a BYE's 2xx) */
    if (!d) {
        /* §12.2.2: a request with a To tag that matches no dialog */
        e->cnt.dialog_481++;
        answer(e, &t, req, 481, NULL, "no such dialog", now);
        return true;
    }
    switch (m) {
    case SR_METHOD_BYE:
        /* §15.1.2: 2xx, then the dialog and the session end */
        answer(e, &t, req, 200, NULL, "BYE in a dialog", now);
        end_dialog(e, d, "BYE received", false, now);
        return true;
    case SR_METHOD_INFO: {
        answer(e, &t, req, 200, NULL, "INFO in a dialog", now);
        /* a key in application/dtmf-relay or application/dtmf, for the call's DTMF menu */
        const sr_header *ct = sr_msg_header_find(req, SR_HDR_CONTENT_TYPE, NULL);
        sr_str body = sr_msg_body(req);
        char key = 0;
        if (ct && sr_dtmf_info_parse(ct->value.p, ct->value.len, body.p, body.len, &key, NULL) == 0)
            sd__media_info_key(e, sr_msg_call_id(req), key, now);
        return true;
    }
    case SR_METHOD_INVITE:
    case SR_METHOD_UPDATE: offer_answer(e, &t, d, req, now); return true;
    default: return false; /* OPTIONS, MESSAGE, NOTIFY, REFER...: the rules */
    }
}

void sd__dialog_after_final(sd_engine *e, const sr_msg *req, unsigned code, uint64_t now)
{
    if (!req || code < 200 || code >= 300 || sr_msg_method(req) != SR_METHOD_BYE)
        return;
    sr_dialog *d = sr_dialog_match(e->dialogs, req);
    if (d)
        end_dialog(e, d, "BYE received (answered by a rule)", false, now);
}

/* ------------------------------------------------------------------ timers and our BYEs */

bool sd__dialog_event(sd_engine *e, const sr_event *ev)
{
    if (ev->user != &e->bye_kind && ev->user != &e->bye_done_kind)
        return false;
    bool over = (ev->kind == SR_EV_RESPONSE && ev->status >= 200) || ev->kind == SR_EV_TIMEOUT ||
                ev->kind == SR_EV_TRANSPORT_ERROR || ev->kind == SR_EV_TERMINATED;
    if (ev->user == &e->bye_kind && over) {
        /* its final, once: shutdown no longer waits for it */
        if (e->byes_in_flight)
            e->byes_in_flight--;
        if (ev->kind != SR_EV_TERMINATED)
            sr_stack_txn_set_user(e->stack, ev->txn, &e->bye_done_kind);
    }
    /* a response matched to our BYE's transaction (its branch is ours, unguessable): the
     * address receives what we send (the reflection budget's sign of life) */
    if (ev->kind == SR_EV_RESPONSE)
        sd__sign(e, &ev->addr, SD_SIGN_ALIVE);
    /* our BYE's responses and its timeout: the dialog is gone already (§15.1.1: the session
     * ends when the BYE is sent), nothing more to do */
    return ev->kind == SR_EV_RESPONSE || ev->kind == SR_EV_TIMEOUT ||
           ev->kind == SR_EV_TRANSPORT_ERROR || ev->kind == SR_EV_TERMINATED;
}

void sd__dialogs_on_timer(sd_engine *e, uint64_t now)
{
    if (e->drain_byes) {
        e->drain_byes = false;
        sd__dialogs_drain(e, now);
    }
    for (sr_dialog *d; (d = sr_dialog_expired(e->dialogs, now)) != NULL;) {
        if (d->state == SR_DIALOG_EARLY)
            end_dialog(e, d, "early dialog timed out", false, now);
        else if (!d->acked)
            end_dialog(e, d, "no ACK for the 2xx", true, now);
        else if (d->session_expires)
            end_dialog(e, d, "session timer expired", true, now); /* RFC 4028 §10 */
        else
            end_dialog(e, d, "longest dialog duration reached", true, now);
    }
}

uint64_t sd__dialogs_next_deadline(const sd_engine *e)
{
    if (e->drain_byes)
        return 0; /* now */
    return sr_dialog_next_deadline(e->dialogs);
}
