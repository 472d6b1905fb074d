/* sipreply core: server transactions — INVITE (RFC 3261 §17.2.1, RFC 6026 Accepted) and
 * non-INVITE (§17.2.2), automatic 100 Trying (RFC 4320 for non-INVITE), CANCEL (§9.2), 482. */
#include <string.h>

#include "sipreply/build.h"
#include "sipreply/error.h"
#include "sipreply/parse.h"
#include "sipreply/print.h"

#include "core_int.h"
#include "txn_int.h"

/* RFC 3261 §18.2.2: where responses go. Reliable: back on the connection the request came
 * in on. Unreliable: the source address (the "received" address); the port is the source
 * port with rport (RFC 3581), else the Via sent-by port, else 5060. maddr is not honoured
 * (documented limitation: multicast is out of scope). */
sr_addr sr_addr_response_dest(const sr_msg *req, const sr_addr *src)
{
    sr_addr d = *src;
    if (sr__reliable(src->transport))
        return d;
    const sr_via *v = sr_msg_via(req, 0);
    if (v != NULL && v->rport == SR_RPORT_NONE)
        d.port = v->has_port ? v->port : 5060;
    return d;
}

/* A response sent without a transaction (§8.2.7): derived To tag, no retransmission. */
int sr__reply_stateless(sr_stack *s, const sr_msg *req, const sr_addr *src, unsigned code)
{
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = s->alloc;
    o.flags = SR_BUILD_DEFAULTS;
    /* A 503 for want of room (max_transactions, max_memory) says when to retry (RFC 3261
     * §21.5.4, §20.33): by then Timers J/H/I/L will have ended many transactions. */
    static const sr_build_header retry[] = {{{"Retry-After", 11}, {"5", 1}}};
    if (code == 503) {
        o.headers = retry;
        o.n_headers = 1;
    }
    o.source_host = sr_str_from_cstr(src->host);
    o.source_port = src->port;
    sr_msg *resp = NULL;
    int err = sr_build_response(&resp, req, code, &o, NULL);
    if (err != 0)
        return err;
    sr_buf b;
    sr_buf_init(&b, s->alloc); /* the event takes it (sr__emit_give) */
    err = sr_msg_print(resp, &b);
    sr_msg_free(resp);
    if (err == 0) {
        sr_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.kind = SR_EV_SEND;
        ev.txn_kind = SR_TXN_NON_INVITE_SERVER;
        ev.state = SR_TXN_TERMINATED;
        ev.addr = sr_addr_response_dest(req, src);
        ev.reliable = sr__reliable(src->transport);
        ev.status = code;
        err = sr__emit_give(s, &ev, &b);
    }
    sr_buf_cleanup(&b);
    return err;
}

int sr__new_server(sr_stack *s, const sr_msg *req, const sr_addr *src, sr_txn_kind kind,
                   sr__txn **out)
{
    return sr__new_server_k(s, req, src, kind, NULL, out);
}

/* What a server transaction keeps of its request: the request itself, shared with the TU
 * (sr__msg_share), which every response it sends copies from (§8.2.6.2) and which it is
 * matched on (§17.2.3, §8.2.2.2). Counted in s->mem (ext_bytes) as what the transaction
 * needs of it: its size without the body, which only the TU reads (and which the
 * transaction does not keep once alone, share_cb). */
static size_t shared_bytes(const sr_msg *m)
{
    size_t fp = sr__msg_footprint(m), body = sr_msg_body(m).len;
    return fp > body ? fp - body : 0;
}

static void req_to_copy(sr_stack *s, sr__txn *t, sr_msg *copy)
{
    sr__server_release_req(s, t);
    t->req = copy;
}

void sr__server_release_req(sr_stack *s, sr__txn *t)
{
    if (t->req == NULL)
        return;
    if (t->req_shared) {
        t->req_shared = false;
        s->mem -= t->ext_bytes;
        t->ext_bytes = 0;
        sr__msg_unshare(t->req);
    } else {
        sr_msg_free(t->req);
    }
    t->req = NULL;
}

/* The TU is about to change the shared request (SR__SHARE_WRITE), or left it to the
 * transaction alone (SR__SHARE_ALONE): the transaction takes a head-only copy (talloc) of
 * what it reads, allocated to the byte, as it did before sharing, so that what it keeps for
 * its life is what it kept then. One exception: an INVITE server in Completed keeps a
 * request without a body as it is (counted whole already, shared_bytes): the ACK, which
 * normally follows within a round trip, leaves it only a key (sr__server_compact, §17.2.1),
 * and a copy made for that while would be thrown away at once. */
static int share_cb(sr_msg *m, int why, void *u1, void *u2)
{
    sr_stack *s = u1;
    sr__txn *t = u2;
    if (why == SR__SHARE_ALONE && sr_msg_body(m).len == 0 && t->kind == SR_TXN_INVITE_SERVER &&
        t->state == SR_TXN_COMPLETED)
        return 0;
    sr_msg *copy = NULL;
    int err = sr__msg_dup(&copy, m, &s->talloc, true);
    if (err != 0)
        return why == SR__SHARE_WRITE ? err : 0; /* alone: the whole stays, still counted */
    req_to_copy(s, t, copy);
    return 0;
}

int sr__new_server_k(sr_stack *s, const sr_msg *req, const sr_addr *src, sr_txn_kind kind,
                     const sr__keys *k, sr__txn **out)
{
    sr__txn *t = NULL;
    /* The request sr_stack_receive parsed, shared: a holder more (the queue's event, the TU
     * that takes it and the transaction each let go with sr_msg_free), not a copy. */
    sr_msg *m = (sr_msg *)(uintptr_t)req;
    sr_msg *copy = NULL;
    if (sr__msg_is_shared(req)) {
        /* another transaction shares it already (none does today): a copy of its own */
        int cerr = sr__msg_dup(&copy, req, &s->talloc, true);
        if (cerr != 0)
            return cerr;
    }
    size_t fp = copy != NULL ? 0 : shared_bytes(req);
    sr_addr d = sr_addr_response_dest(req, src);
    /* Room for the response it will keep: about its request (a response copies Via, From,
     * To, Call-ID and CSeq from it, §8.2.6.2); the request itself is in s->mem already. */
    s->mem += fp;
    int err = sr__txn_alloc(s, kind, &d, copy != NULL ? sr__msg_footprint(copy) : fp, &t);
    if (err != 0) {
        s->mem -= fp;
        sr_msg_free(copy);
        return err;
    }
    if (copy != NULL) {
        t->req = copy;
    } else {
        t->ext_bytes = fp;
        t->req = m;
        t->req_shared = true;
        sr__msg_share(m, share_cb, s, t);
    }
    sr__txn_index_k(s, t, k); /* the request has the fields @p k was computed from */
    *out = t;
    return 0;
}

/* Queue SR_EV_REQUEST for @p t with @p msg, which the queue takes (freed on failure too). */
static int emit_request_msg(sr_stack *s, sr__txn *t, sr_msg *msg, const sr_addr *src,
                            const sr__txn *rel)
{
    sr_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = SR_EV_REQUEST;
    ev.txn = t != NULL ? t->id : 0;
    ev.related = rel != NULL ? rel->id : 0;
    ev.txn_kind = t != NULL ? t->kind : SR_TXN_INVITE_SERVER;
    ev.state = t != NULL ? t->state : SR_TXN_TERMINATED;
    ev.addr = *src;
    ev.reliable = sr__reliable(src->transport);
    ev.user = t != NULL ? t->user : NULL;
    ev.related_user = rel != NULL ? rel->user : NULL;
    return sr__emit_t(s, t, &ev, NULL, 0, msg);
}

int sr__emit_request(sr_stack *s, sr__txn *t, sr_msg **reqp, const sr_addr *src, const sr__txn *rel)
{
    sr_msg *m = *reqp;
    *reqp = NULL;
    return emit_request_msg(s, t, m, src, rel);
}

/* Print @p resp into @p b (replacing its content) and remember its To tag. */
int sr__print_resp(sr_stack *s, sr__txn *t, const sr_msg *resp, sr_buf *b)
{
    sr__buf_unlend(s, b); /* a queued SR_EV_SEND of the response before keeps its bytes */
    b->len = 0;
    int err = sr_msg_print(resp, b);
    if (err != 0) {
        b->len = 0;
        return err;
    }
    const sr_nameaddr *to = sr_msg_to(resp);
    if (to != NULL && to->tag.len > 0 && to->tag.len <= sizeof(t->to_tag)) {
        memcpy(t->to_tag, to->tag.p, to->tag.len);
        t->to_tag_len = to->tag.len;
    }
    t->last_status = sr_msg_status(resp);
    return 0;
}

/* A response the stack itself sends (100, 481, 482, 487, 420, 200 to CANCEL/PRACK). It
 * carries the To tag already used on this transaction so every response matches (§8.2.6.2). */
int sr__server_reply(sr_stack *s, sr__txn *t, unsigned code, const sr_build_header *hdrs, size_t n)
{
    if (t->req == NULL)
        return SR_ESTATE; /* Confirmed (sr__server_compact): its final was sent */
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = s->alloc;
    o.headers = hdrs;
    o.n_headers = n;
    o.flags = SR_BUILD_DEFAULTS;
    o.source_host = sr_str_from_cstr(t->peer.host);
    o.source_port = t->peer.port;
    if (t->to_tag_len > 0) {
        o.to_tag.p = t->to_tag;
        o.to_tag.len = t->to_tag_len;
    }
    sr_msg *resp = NULL;
    int err = sr_build_response(&resp, t->req, code, &o, NULL);
    if (err != 0)
        return err;
    /* sent as built: its accessors (CSeq, To) are those of its header fields */
    err = sr__server_send(s, t, resp, 0);
    if (err != 0)
        sr_msg_free(resp);
    return err;
}

/* The stack's own final on a transaction the TU does not answer (481, 482, 420, the 200 to a
 * CANCEL or PRACK). If it cannot be built (a value no response can carry) or queued, the
 * transaction ends now: nobody else would ever send its final, and it would hold its place
 * in max_transactions for good. */
int sr__server_reply_or_end(sr_stack *s, sr__txn *t, unsigned code, const sr_build_header *hdrs,
                            size_t n)
{
    int err = sr__server_reply(s, t, code, hdrs, n);
    if (err != 0)
        sr__txn_terminate(s, t); /* sr__server_send changes nothing when it fails */
    return err;
}

static int send_last(sr_stack *s, sr__txn *t)
{
    if (t->resp.len == 0)
        return 0;
    return sr__emit_send(s, t, &t->resp, t->last_status);
}

/* The time a non-INVITE client's Timer E takes to reach T2 (RFC 4320 §4.1): T1 + 2·T1 + ...
 * while the interval is below T2 (3500 ms with the defaults). */
static uint64_t e_reaches_t2(const sr_config *c)
{
    uint64_t sum = 0;
    for (uint64_t iv = c->t1; iv < c->t2; iv *= 2)
        sum += iv;
    return sum;
}

/* Queue the last response. Past the point where a response is recorded, a failure to queue
 * it (SR_ENOMEM) is a lost datagram: retransmissions (G, a request retransmission) repair it,
 * and the caller's message has been consumed, so the call still succeeds. */
static void send_recorded(sr_stack *s, sr__txn *t)
{
    int rc = send_last(s, t);
    (void)rc; /* see above: treated as loss */
}

static int ist_send(sr_stack *s, sr__txn *t, sr_msg *resp, unsigned flags)
{
    unsigned code = sr_msg_status(resp);
    int err;
    switch (t->state) {
    case SR_TXN_PROCEEDING:
        if (code < 200) {
            if (flags & SR_SEND_100REL)
                return sr__prack_uas_send(s, t, resp);
            if ((err = sr__print_resp(s, t, resp, &t->resp)) != 0)
                return err;
            sr__stop(s, t, SR__TK_TRYING);
            send_recorded(s, t);
            break;
        }
        if (code < 300 && sr__prack_uas_hold(t, resp)) {
            /* RFC 3262 §3: no 2xx while a reliable 1xx with SDP is unacknowledged. */
            if (t->held_2xx != NULL)
                return SR_ESTATE;
            t->held_2xx = resp;
            t->retx_2xx_want = (flags & SR_SEND_RETX_2XX) != 0; /* from when it goes out */
            sr__stop(s, t, SR__TK_TRYING);
            return 0;
        }
        if ((err = sr__print_resp(s, t, resp, &t->resp)) != 0)
            return err;
        sr__stop(s, t, SR__TK_TRYING);
        sr__prack_uas_stop(s, t);
        send_recorded(s, t);
        /* Timer starts cannot fail: sr__txn_alloc reserved heap room for every slot. */
        if (code < 300) {
            /* RFC 6026 §7.1: 2xx → Accepted; Timer L absorbs INVITE retransmissions. */
            t->state = SR_TXN_ACCEPTED;
            sr__start(s, t, SR__TK_L, 64 * (uint64_t)s->cfg.t1);
            if ((flags & SR_SEND_RETX_2XX) || t->retx_2xx_want) {
                /* §13.3.1.4: the UAS core resends the 2xx at T1, doubling up to T2, until
                 * the ACK; Timer L (64·T1 from this 2xx) ends it without one. */
                t->retx_2xx = true;
                s->n_retx_2xx++;
                t->interval = s->cfg.t1;
                sr__start(s, t, SR__TK_2XX, t->interval);
            }
            break;
        }
        /* §17.2.1: 300-699 → Completed; G (unreliable only) and H. */
        t->state = SR_TXN_COMPLETED;
        t->interval = s->cfg.t1;
        if (!t->reliable)
            sr__start(s, t, SR__TK_G, t->interval);
        sr__start(s, t, SR__TK_H, 64 * (uint64_t)s->cfg.t1);
        break;
    case SR_TXN_ACCEPTED:
        /* RFC 6026 §7.1: the TU's 2xx retransmissions go out through the transaction. */
        if (code < 200 || code >= 300 || (flags & SR_SEND_100REL))
            return SR_ESTATE;
        if ((err = sr__print_resp(s, t, resp, &t->resp)) != 0)
            return err;
        send_recorded(s, t);
        break;
    default: return SR_ESTATE;
    }
    sr_msg_free(resp);
    return 0;
}

static int nist_send(sr_stack *s, sr__txn *t, sr_msg *resp, unsigned flags)
{
    unsigned code = sr_msg_status(resp);
    int err;
    if (flags & SR_SEND_100REL)
        return SR_EUNSUPPORTED;
    /* RFC 4320 §4.1: no provisional other than 100 to a non-INVITE. */
    if (code > 100 && code < 200)
        return SR_EINVAL;
    if (t->state != SR_TXN_TRYING && t->state != SR_TXN_PROCEEDING)
        return SR_ESTATE;
    if ((err = sr__print_resp(s, t, resp, &t->resp)) != 0)
        return err;
    sr__stop(s, t, SR__TK_TRYING);
    send_recorded(s, t);
    sr_msg_free(resp);
    if (code < 200) {
        t->state = SR_TXN_PROCEEDING;
        return 0;
    }
    /* §17.2.2: final → Completed; Timer J 64·T1 unreliable, 0 (terminate now) reliable. */
    t->state = SR_TXN_COMPLETED;
    if (t->reliable)
        sr__txn_terminate(s, t);
    else
        sr__start(s, t, SR__TK_J, 64 * (uint64_t)s->cfg.t1);
    return 0;
}

int sr__server_send(sr_stack *s, sr__txn *t, sr_msg *resp, unsigned flags)
{
    if (t->req == NULL)
        return SR_ESTATE; /* an INVITE server in Confirmed (sr__server_compact): final sent */
    const sr_cseq *a = sr_msg_cseq(resp), *b = sr_msg_cseq(t->req);
    unsigned code = sr_msg_status(resp);
    if (a == NULL || a->num != b->num || !sr_str_eq(a->method, b->method) || code < 100 ||
        code > 699)
        return SR_EINVAL;
    if (t->kind == SR_TXN_INVITE_SERVER)
        return ist_send(s, t, resp, flags);
    return nist_send(s, t, resp, flags);
}

/* §13.3.1.4: the ACK came: the 2xx goes out no more. */
void sr__stop_2xx(sr_stack *s, sr__txn *t)
{
    if (!t->retx_2xx)
        return;
    t->retx_2xx = false;
    s->n_retx_2xx--;
    sr__stop(s, t, SR__TK_2XX);
}

int sr__server_ack(sr_stack *s, sr__txn *t)
{
    if (t->state != SR_TXN_COMPLETED)
        return 0; /* Proceeding: no final to acknowledge; Confirmed: absorbed */
    /* §17.2.1: ACK → Confirmed; Timer I T4 unreliable, 0 reliable. */
    sr__stop(s, t, SR__TK_G);
    sr__stop(s, t, SR__TK_H);
    t->state = SR_TXN_CONFIRMED;
    if (t->reliable) {
        sr__txn_terminate(s, t);
        return 0;
    }
    /* Confirmed absorbs every retransmission and sends nothing: the final's bytes go back
     * now rather than after Timer I */
    sr__buf_release(s, &t->resp);
    /* ... and so does the request: what matching still reads of it is kept in skey */
    sr__server_compact(s, t);
    return sr__start(s, t, SR__TK_I, s->cfg.t4);
}

/* A request matching a live server transaction: a retransmission, or the ACK (§17.2.1). */
static int on_retransmission(sr_stack *s, sr__txn *t, sr_msg **reqp, const sr_addr *src)
{
    const sr_msg *req = *reqp;
    if (t->kind == SR_TXN_NON_INVITE_SERVER) {
        /* §17.2.2: Trying absorbs; Proceeding and Completed re-send the last response. */
        return t->state == SR_TXN_TRYING ? 0 : send_last(s, t);
    }
    if (sr_msg_method(req) == SR_METHOD_ACK) {
        if (t->state != SR_TXN_ACCEPTED)
            return sr__server_ack(s, t);
        /* RFC 6026 §7.1: an ACK for the 2xx belongs to the dialog: the TU gets it. */
        sr__stop_2xx(s, t);
        return sr__emit_request(s, NULL, reqp, src, t);
    }
    switch (t->state) {
    case SR_TXN_PROCEEDING:
    case SR_TXN_COMPLETED:
        /* §17.2.1: re-send the last provisional (Proceeding) or the final (Completed). */
        return send_last(s, t);
    default: return 0; /* Accepted (RFC 6026 §7.1) and Confirmed absorb retransmissions */
    }
}

static int on_cancel(sr_stack *s, sr_msg **reqp, const sr_addr *src)
{
    const sr_msg *req = *reqp;
    sr__txn *c = NULL;
    int err = sr__new_server(s, req, src, SR_TXN_NON_INVITE_SERVER, &c);
    if (err != 0)
        return err;
    sr__txn *inv = sr__match_cancel(s, req);
    if (inv == NULL)
        return sr__server_reply_or_end(s, c, 481, NULL, 0); /* §9.2: nothing to cancel */
    sr_txn_id inv_id = inv->id, c_id = c->id;
    void *inv_user = inv->user;
    /* §9.2: the To tag of the 200 to the CANCEL SHOULD be the one of the INVITE's responses
     * (its 1xx, its 487): the tag the INVITE already used (the TU's), else the one its 487
     * will carry, set on both now. */
    if (inv->to_tag_len == 0 && inv->req != NULL) {
        char tag[SR_BUILD_TAG_LEN + 1];
        if (sr_build_to_tag(inv->req, NULL, tag) == 0 && SR_BUILD_TAG_LEN <= sizeof(inv->to_tag)) {
            memcpy(inv->to_tag, tag, SR_BUILD_TAG_LEN);
            inv->to_tag_len = SR_BUILD_TAG_LEN;
        }
    }
    memcpy(c->to_tag, inv->to_tag, inv->to_tag_len);
    c->to_tag_len = inv->to_tag_len;
    /* §9.2: the CANCEL's own final is 200 (never 487); the INVITE gets 487 if it has no
     * final yet. The TU learns of it through the CANCEL request event (related = INVITE). */
    if ((err = sr__server_reply_or_end(s, c, 200, NULL, 0)) != 0)
        return err;
    if (inv->state == SR_TXN_PROCEEDING && !inv->proxy) {
        if (inv->held_2xx != NULL) {
            sr_msg_free(inv->held_2xx);
            inv->held_2xx = NULL;
        }
        sr__prack_uas_stop(s, inv);
        if ((err = sr__server_reply(s, inv, 487, NULL, 0)) != 0)
            return err;
    }
    sr__txn *ct = sr__txn_find(s, c_id); /* gone already on a reliable transport */
    sr_event ev;
    memset(&ev, 0, sizeof(ev));
    sr_msg *copy = *reqp; /* the event takes the parsed CANCEL */
    *reqp = NULL;
    ev.kind = SR_EV_REQUEST;
    ev.txn = c_id;
    ev.related = inv_id;
    ev.txn_kind = SR_TXN_NON_INVITE_SERVER;
    ev.state = ct != NULL ? ct->state : SR_TXN_TERMINATED;
    ev.addr = *src;
    ev.reliable = sr__reliable(src->transport);
    ev.related_user = inv_user;
    return sr__emit(s, &ev, NULL, 0, copy);
}

int sr__server_on_request(sr_stack *s, sr_msg **reqp, const sr_addr *src)
{
    sr_msg *req = *reqp;
    sr__keys k = {0};
    sr__txn *t = sr__match_server_k(s, req, &k);
    if (t != NULL)
        return on_retransmission(s, t, reqp, src);
    sr_method m = sr_msg_method(req);
    int err;
    if (m == SR_METHOD_ACK) {
        /* §17.2.3 no match: the ACK for a 2xx, for the TU/dialog; it stops the 2xx the
         * stack retransmits for the TU (§13.3.1.4), whose INVITE it then names. */
        t = s->n_retx_2xx > 0 ? sr__find_2xx_target(s, req) : NULL;
        if (t != NULL)
            sr__stop_2xx(s, t);
        return sr__emit_request(s, NULL, reqp, src, t);
    }
    if (m == SR_METHOD_CANCEL)
        return on_cancel(s, reqp, src);
    if (sr__is_merged_k(s, req, &k)) {
        /* §8.2.2.2: same From tag, Call-ID and CSeq as a live transaction, other branch. */
        if ((err = sr__new_server_k(s, req, src,
                                    m == SR_METHOD_INVITE ? SR_TXN_INVITE_SERVER
                                                          : SR_TXN_NON_INVITE_SERVER,
                                    &k, &t)) != 0)
            return err;
        return sr__server_reply_or_end(s, t, 482, NULL, 0);
    }
    if (m == SR_METHOD_PRACK && s->cfg.prack_enabled)
        return sr__prack_uas_on_prack(s, reqp, src);
    if (m == SR_METHOD_INVITE) {
        if ((err = sr__new_server_k(s, req, src, SR_TXN_INVITE_SERVER, &k, &t)) != 0)
            return err;
        bool req100 = sr__has_option(req, SR_HDR_REQUIRE, "100rel");
        if (req100 && !s->cfg.prack_enabled) {
            /* RFC 3262 §4 / RFC 3261 §8.2.2.3: required but not supported → 420. */
            static const sr_build_header unsup[] = {{{"Unsupported", 11}, {"100rel", 6}}};
            return sr__server_reply_or_end(s, t, 420, unsup, 1);
        }
        t->peer_100rel = req100 || sr__has_option(req, SR_HDR_SUPPORTED, "100rel");
        /* §17.2.1: 100 Trying if the TU has not answered within the configured delay. */
        if ((err = sr__start(s, t, SR__TK_TRYING, s->cfg.trying_delay)) != 0)
            goto fail;
        *reqp = NULL; /* the event takes the parsed request */
        if ((err = emit_request_msg(s, t, req, src, NULL)) != 0)
            goto fail;
        return 0;
    }
    if ((err = sr__new_server_k(s, req, src, SR_TXN_NON_INVITE_SERVER, &k, &t)) != 0)
        return err;
    /* RFC 4320 §4.1: a 100 to a non-INVITE only once the client's Timer E has reached T2,
     * and only over unreliable transports (over reliable ones the client does not
     * retransmit, so a 100 would say nothing). */
    if (!t->reliable && (err = sr__start(s, t, SR__TK_TRYING, e_reaches_t2(&s->cfg))) != 0)
        goto fail;
    *reqp = NULL; /* the event takes the parsed request */
    if ((err = emit_request_msg(s, t, req, src, NULL)) != 0)
        goto fail;
    return 0;
fail:
    /* The TU never heard of it: end it so a retransmission can start over. */
    sr__txn_terminate(s, t);
    return err;
}

void sr__server_on_timer(sr_stack *s, sr__txn *t, int kind)
{
    int rc = 0;
    switch (kind) {
    case SR__TK_TRYING:
        if (t->resp.len == 0 && (t->state == SR_TXN_PROCEEDING || t->state == SR_TXN_TRYING))
            rc = sr__server_reply(s, t, 100, NULL, 0);
        break;
    case SR__TK_G:
        /* §17.2.1: re-send the final, interval doubling up to T2. */
        rc = send_last(s, t);
        t->interval = 2 * t->interval > s->cfg.t2 ? s->cfg.t2 : 2 * t->interval;
        if (sr__start(s, t, SR__TK_G, t->interval) != 0)
            rc = SR_ENOMEM;
        break;
    case SR__TK_H:
        /* §17.2.1: no ACK within 64·T1: tell the TU and end. */
        rc = sr__emit_simple(s, t, SR_EV_TIMEOUT, 'H');
        sr__txn_terminate(s, t);
        break;
    case SR__TK_2XX:
        /* §13.3.1.4: resend the 2xx, interval doubling up to T2. */
        rc = send_last(s, t);
        t->interval = 2 * t->interval > s->cfg.t2 ? s->cfg.t2 : 2 * t->interval;
        if (sr__start(s, t, SR__TK_2XX, t->interval) != 0)
            rc = SR_ENOMEM;
        break;
    case SR__TK_L:
        /* §13.3.1.4: 64·T1 and the 2xx the stack resends got no ACK: tell the TU. */
        if (t->retx_2xx)
            rc = sr__emit_simple(s, t, SR_EV_2XX_TIMEOUT, 0);
        sr__txn_terminate(s, t);
        break;
    case SR__TK_I:
    case SR__TK_J: sr__txn_terminate(s, t); break;
    case SR__TK_REL:
    case SR__TK_REL_GIVEUP: sr__prack_uas_on_timer(s, t, kind); break;
    default: break;
    }
    (void)rc; /* SR_ENOMEM in a timer: that datagram or report is lost; state stays sound */
}
