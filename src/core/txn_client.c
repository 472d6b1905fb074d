/* sipreply core: client transactions — INVITE (RFC 3261 §17.1.1, RFC 6026 Accepted) and
 * non-INVITE (§17.1.2), the ACK for a non-2xx final (§17.1.1.3) and CANCEL (§9.1). */
#include <string.h>

#include "sipreply/build.h"
#include "sipreply/error.h"
#include "sipreply/print.h"

#include "build_int.h"
#include "core_int.h"
#include "msg_int.h"
#include "scan.h"
#include "txn_int.h"

/* Pass a response to the TU: the event takes the message sr_stack_receive parsed (*@p own,
 * set to NULL: the queue frees it, on failure too), so the TU reads the one parse there was.
 * It outlives @p t; the caller may still read it until it returns (no poll comes between). */
static int deliver(sr_stack *s, sr__txn *t, sr_msg **own, const sr_addr *src, sr_txn_id related)
{
    sr_msg *copy = *own;
    *own = NULL;
    sr_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = SR_EV_RESPONSE;
    ev.txn = t->id;
    ev.related = related;
    ev.txn_kind = t->kind;
    ev.state = t->state;
    ev.addr = *src;
    ev.reliable = sr__reliable(src->transport);
    ev.status = sr_msg_status(copy);
    ev.user = t->user;
    return sr__emit_t(s, t, &ev, NULL, 0, copy);
}

/* true when every Via value of @p m was parsed into its typed list: the top Via the stack
 * matches on is then the one on the wire (a value that did not parse is left out of the
 * list by sr_msg_add_header, which would make the second value look like the top one). */
static bool vias_complete(const sr_msg *m)
{
    size_t n = 0;
    for (const sr_header *h = sr_msg_header_find(m, SR_HDR_VIA, NULL); h != NULL;
         h = sr_msg_header_find(m, SR_HDR_VIA, h)) {
        size_t pos = 0;
        sr_str item;
        if (h->value.len && !memchr(h->value.p, ',', h->value.len)) {
            n++; /* one value: sr_value_next's own shortcut, without splitting it */
            continue;
        }
        while (sr_value_next(h->value, &pos, &item))
            n++;
    }
    return n == sr_msg_via_count(m);
}

/* Start a client transaction (handle @p fixed_id when not 0); see sr_stack_send_request.
 * The transaction keeps the caller's message as it is: a built message's accessors (Via,
 * CSeq, To, From, Call-ID...) are kept in step by sr_msg_add_header(), so it is matched on
 * directly, without printing and parsing it again; the printed bytes are what is sent. */
int sr__client_start(sr_stack *s, sr_msg *req, const sr_addr *dest, sr_txn_id fixed_id,
                     sr_txn_id *id)
{
    int err;
    sr__txn *t = NULL;
    sr_buf b;
    sr_buf_init(&b, &s->talloc); /* kept as t->req_bytes: counted in s->mem */
    sr_method m = sr_msg_method(req);
    size_t ext = sr__msg_footprint(req);
    const sr_via *via = sr_msg_via(req, 0);
    if (via == NULL || !vias_complete(req) || !sr__branch_is_3261(via->branch) ||
        sr_msg_cseq(req) == NULL) {
        err = SR_EINVAL;
        goto out;
    }
    sr__keys k = {0};
    const sr_cseq *cs = sr_msg_cseq(req);
    if (sr__find_client_k(s, via->branch, cs->method, cs->method_id, &k) != NULL) {
        err = SR_EEXIST;
        goto out;
    }
    if ((err = sr_msg_print(req, &b)) != 0)
        goto out;
    s->mem += ext; /* the caller's message, for the budget check and while the txn lives */
    err = sr__txn_alloc(s, m == SR_METHOD_INVITE ? SR_TXN_INVITE_CLIENT : SR_TXN_NON_INVITE_CLIENT,
                        dest, 0, &t);
    if (err != 0) {
        s->mem -= ext;
        goto out;
    }
    t->ext_bytes = ext;
    t->req_ext = ext;
    if (fixed_id != 0)
        t->id = fixed_id;
    t->req = req;
    sr__txn_index_k(s, t, &k);
    t->req_bytes = b;
    sr_buf_init(&b, s->alloc);
    uint64_t t1 = s->cfg.t1;
    t->interval = t1;
    if (t->kind == SR_TXN_INVITE_CLIENT) {
        /* §17.1.1.2: Timer A only on unreliable transports, Timer B always. */
        if (!t->reliable && (err = sr__start(s, t, SR__TK_A, t1)) != 0)
            goto fail;
        if ((err = sr__start(s, t, SR__TK_B, 64 * t1)) != 0)
            goto fail;
    } else {
        /* §17.1.2.2: Timer E only on unreliable transports, Timer F always. */
        if (!t->reliable && (err = sr__start(s, t, SR__TK_E, t1)) != 0)
            goto fail;
        if ((err = sr__start(s, t, SR__TK_F, 64 * t1)) != 0)
            goto fail;
    }
    if ((err = sr__emit_send(s, t, &t->req_bytes, 0)) != 0)
        goto fail;
    if (id != NULL)
        *id = t->id;
    goto out;
fail:
    t->req = NULL; /* on failure the caller still owns its message */
    sr__txn_discard(s, t);
out:
    sr_buf_cleanup(&b);
    return err;
}

/* §9.1: the CANCEL copies the INVITE's Request-URI, Call-ID, To, From, CSeq number and top
 * Via; it is its own non-INVITE client transaction, with the handle promised earlier. The
 * TU's own CANCEL (sr_stack_cancel_msg) is sent as given; otherwise the stack builds one. */
static int start_cancel(sr_stack *s, sr__txn *inv)
{
    sr_msg *c = inv->cancel_msg;
    size_t ext = 0;
    int err;
    if (c != NULL) {
        ext = sr__msg_footprint(c);
        inv->cancel_msg = NULL; /* from now on the new transaction counts it */
        inv->ext_bytes -= ext;
        s->mem -= ext;
    } else if ((err = sr_build_cancel(&c, inv->req, s->alloc)) != 0) {
        return err;
    }
    err = sr__client_start(s, c, &inv->peer, inv->cancel_id, NULL);
    if (err != 0 && ext != 0) { /* the TU's message stays with the INVITE */
        inv->cancel_msg = c;
        inv->ext_bytes += ext;
        s->mem += ext;
    } else if (err != 0) {
        sr_msg_free(c);
    }
    return err;
}

/* A CANCEL asked for before any provisional will never be sent: tell the TU it ended. */
static void drop_pending_cancel(sr_stack *s, sr__txn *inv)
{
    if (!inv->cancel_asked || inv->got_provisional)
        return;
    if (inv->cancel_msg != NULL) {
        size_t ext = sr__msg_footprint(inv->cancel_msg);
        sr_msg_free(inv->cancel_msg);
        inv->cancel_msg = NULL;
        inv->ext_bytes -= ext;
        s->mem -= ext;
    }
    sr_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = SR_EV_TERMINATED;
    ev.txn = inv->cancel_id;
    ev.txn_kind = SR_TXN_NON_INVITE_CLIENT;
    ev.state = SR_TXN_TRYING;
    ev.addr = inv->peer;
    ev.reliable = inv->reliable;
    int rc = sr__emit(s, &ev, NULL, 0, NULL);
    (void)rc; /* SR_ENOMEM: nothing else to release */
    inv->cancel_asked = false;
}

/* Whether @p c is a CANCEL of the INVITE @p inv sent (§9.1): method CANCEL, the same top Via
 * branch, Call-ID and CSeq number, CSeq method CANCEL, the same Request-URI. */
static bool cancel_matches(const sr_msg *c, const sr_msg *inv)
{
    const sr_via *vc = sr_msg_via(c, 0), *vi = sr_msg_via(inv, 0);
    const sr_cseq *cc = sr_msg_cseq(c), *ci = sr_msg_cseq(inv);
    return sr_msg_is_request(c) && sr_msg_method(c) == SR_METHOD_CANCEL && vc != NULL &&
           vi != NULL && sr_str_eq(vc->branch, vi->branch) && cc != NULL && ci != NULL &&
           cc->num == ci->num && cc->method_id == SR_METHOD_CANCEL &&
           sr_str_eq(sr_msg_call_id(c), sr_msg_call_id(inv)) &&
           sr_str_eq(sr_msg_request_uri(c), sr_msg_request_uri(inv));
}

/* §9.1: the TU asks to cancel INVITE client transaction @p t (see sr_stack_cancel), with its
 * own CANCEL @p cancel (taken on success) or, when NULL, one the stack builds. */
int sr__client_cancel(sr_stack *s, sr__txn *t, sr_msg *cancel, sr_txn_id *id)
{
    if (cancel != NULL && t->req != NULL && !cancel_matches(cancel, t->req))
        return SR_EINVAL; /* (no request: Completed, SR_ESTATE below) */
    if (t->cancel_asked || (t->state != SR_TXN_CALLING && t->state != SR_TXN_PROCEEDING))
        return SR_ESTATE;
    t->cancel_id = s->next_id++;
    if (cancel != NULL) {
        size_t ext = sr__msg_footprint(cancel);
        t->cancel_msg = cancel;
        t->ext_bytes += ext;
        s->mem += ext;
    }
    if (t->state == SR_TXN_PROCEEDING) {
        int err = start_cancel(s, t);
        if (err != 0) {
            if (t->cancel_msg != NULL) { /* not taken: the caller keeps its message */
                size_t ext = sr__msg_footprint(cancel);
                t->cancel_msg = NULL;
                t->ext_bytes -= ext;
                s->mem -= ext;
            }
            return err;
        }
    }
    t->cancel_asked = true;
    if (id != NULL)
        *id = t->cancel_id;
    return 0;
}

/* The TU forgets client transaction @p t (see sr_stack_forget): a CANCEL promised but not
 * yet sent goes with it; nothing more is sent or reported but SR_EV_TERMINATED. */
void sr__client_forget(sr_stack *s, sr__txn *t)
{
    drop_pending_cancel(s, t);
    sr__txn_terminate(s, t);
}

/* A field of the ACK: its canonical name and its value trimmed of SP/HTAB as
 * sr_msg_add_header() trims it; ok false when the value has a CTL (CR, LF: folding the builder
 * would undo; others it would refuse or let through quoted): the builder's way then. */
typedef struct afield {
    const char *name; /* 16 bytes readable (afield_put copies them whole) */
    size_t name_len;
    sr_str v;
} afield;

/* The names, each in 16 bytes (NUL-padded): afield_put copies 16 bytes at once, then counts
 * name_len (what follows a name in the ACK is always longer than 16 bytes: it overwrites
 * the rest). */
static const char n_via[16] = "Via", n_route[16] = "Route", n_mf[16] = "Max-Forwards",
                  n_from[16] = "From", n_to[16] = "To", n_cid[16] = "Call-ID", n_cseq[16] = "CSeq";

static bool afield_set(afield *f, const char *name, size_t name_len, sr_str v, bool clean)
{
    if (!clean && v.len && sr__scan_ctl(v.p, 0, v.len) != v.len)
        return false;
    while (v.len && (v.p[0] == ' ' || v.p[0] == '\t')) {
        v.p++;
        v.len--;
    }
    while (v.len && (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
        v.len--;
    f->name = name;
    f->name_len = name_len;
    f->v = v;
    return true;
}

/* A field whose value the caller wrote (no CTL in it, trimmed). */
static void afield_const(afield *f, const char *name, size_t name_len, sr_str v)
{
    f->name = name;
    f->name_len = name_len;
    f->v = v;
}

static char *afield_put(char *w, const afield *f)
{
    memcpy(w, f->name, 16);
    w += f->name_len;
    *w++ = ':';
    *w++ = ' ';
    if (f->v.len)
        memcpy(w, f->v.p, f->v.len);
    w += f->v.len;
    *w++ = '\r';
    *w++ = '\n';
    return w;
}

/* The most Route fields the ACK is printed with here (more: the builder's way). */
#define ACK_ROUTES 16

/* §17.1.1.3: the ACK for final @p resp to INVITE @p inv printed straight into @p out, the bytes
 * sr_build_ack() and sr_msg_print() give (the same fields in the same order: Request-URI, top
 * Via, Route, Max-Forwards 70, From, the response's To, Call-ID, CSeq, Content-Length 0),
 * without the message in between. false, @p out untouched, for anything out of the plain case
 * (a value with a CTL, a field missing, a mismatch, many Routes): the builder then decides,
 * and says why. */
static bool print_ack(sr_buf *out, const sr_msg *inv, const sr_msg *resp)
{
    const sr_via *v = sr_msg_via(inv, 0);
    const sr_cseq *a = sr_msg_cseq(inv), *b = sr_msg_cseq(resp);
    const sr_header *to = sr_msg_header_find(resp, SR_HDR_TO, NULL);
    const sr_header *from = sr_msg_header_find(inv, SR_HDR_FROM, NULL);
    sr_str callid = sr_msg_call_id(inv), ruri = sr_msg_request_uri(inv);
    unsigned st = sr_msg_status(resp);
    if (!sr_msg_is_request(inv) || sr_msg_method(inv) != SR_METHOD_INVITE ||
        sr_msg_is_request(resp) || st < 300 || st > 699 || !a || !b || a->num != b->num ||
        b->method_id != SR_METHOD_INVITE || !v || !to || !from || !callid.p || ruri.len == 0 ||
        out->len != 0)
        return false;
    if (sr__scan_spctl(ruri.p, 0, ruri.len) != ruri.len)
        return false; /* sr_msg_new_request's checks (SP or CTL): the builder's way */
    char num[16];
    size_t n = sr__u32_to_dec(a->num, num);
    memcpy(num + n, " ACK", 4);
    afield f[ACK_ROUTES + 6];
    size_t nf = 0;
    /* the INVITE's values need no CTL scan when they are the ones it was made with and it
     * says none holds a CTL (a copy proxy_fwd_text.c wrote); the response's always do */
    bool clean = inv->values_clean && inv->first[SR_HDR_VIA] < inv->orig_nhdrs &&
                 inv->first[SR_HDR_CALL_ID] < inv->orig_nhdrs &&
                 (size_t)(from - inv->hdrs) < inv->orig_nhdrs;
    if (!afield_set(&f[nf++], n_via, 3, v->raw, clean))
        return false;
    for (const sr_header *h = sr_msg_header_find(inv, SR_HDR_ROUTE, NULL); h;
         h = sr_msg_header_find(inv, SR_HDR_ROUTE, h)) {
        if (nf > ACK_ROUTES || !afield_set(&f[nf++], n_route, 5, h->value, false))
            return false;
    }
    afield_const(&f[nf++], n_mf, 12, SR_STR("70"));
    if (!afield_set(&f[nf++], n_from, 4, from->value, clean) ||
        !afield_set(&f[nf++], n_to, 2, to->value, false) ||
        !afield_set(&f[nf++], n_cid, 7, callid, clean))
        return false;
    afield_const(&f[nf++], n_cseq, 4, (sr_str){num, n + 4});
    static const char clen[] = "Content-Length: 0\r\n\r\n";
    size_t total = 4 + ruri.len + 10 + sizeof clen - 1;
    for (size_t i = 0; i < nf; i++)
        total += f[i].name_len + 2 + f[i].v.len + 2;
    /* reserved once, to the byte (with the NUL sr_buf keeps): the ACK is what an INVITE
     * client transaction holds through Timer D's 32 s (§17.1.1.2), so its block is not
     * rounded up to a power of two as sr_buf_reserve() would (a 453-byte ACK took 512) */
    if (out->cap < total + 1) {
        char *p = sr__realloc(out->alloc, out->p, total + 1);
        if (p == NULL)
            return false;
        out->p = p;
        out->cap = total + 1;
    }
    char *w = out->p + out->len;
    memcpy(w, "ACK ", 4);
    w += 4;
    memcpy(w, ruri.p, ruri.len);
    w += ruri.len;
    memcpy(w, " SIP/2.0\r\n", 10);
    w += 10;
    for (size_t i = 0; i < nf; i++)
        w = afield_put(w, &f[i]);
    memcpy(w, clen, sizeof clen - 1);
    w += sizeof clen - 1;
    out->len = (size_t)(w - out->p);
    out->p[out->len] = '\0';
    return true;
}

/* §17.1.1.3: build the ACK once (kept in t->resp) and send it for every final received:
 * each SR_EV_SEND lends it, and it is never written again (no sr__buf_unlend needed). */
static int send_ack(sr_stack *s, sr__txn *t, const sr_msg *resp)
{
    int err = 0;
    if (t->resp.len == 0 && !print_ack(&t->resp, t->req, resp)) {
        sr_msg *ack = NULL;
        err = sr_build_ack(&ack, t->req, resp, s->alloc);
        if (err != 0)
            return err;
        err = sr_msg_print(ack, &t->resp);
        sr_msg_free(ack);
        if (err != 0) {
            t->resp.len = 0;
            return err;
        }
    }
    return sr__emit_send(s, t, &t->resp, 0);
}

/* Completed over UDP: release the request and its printed bytes, which only a retransmission
 * (Calling, Trying) or a CANCEL or ACK yet to be built needed, and keep the §17.1.3 key; a
 * transaction then holds little more than its ACK for Timer D's 32 s. Kept as they are when
 * the ACK could not be built (a retransmitted final builds it from the request) or the key
 * does not fit. */
static void release_request(sr_stack *s, sr__txn *t)
{
    if (t->req == NULL || (t->kind == SR_TXN_INVITE_CLIENT && t->resp.len == 0))
        return;
    sr_str b = sr_msg_via(t->req, 0)->branch, m = sr_msg_cseq(t->req)->method;
    if (b.len + m.len > sizeof(t->ckey))
        return;
    memcpy(t->ckey, b.p, b.len);
    memcpy(t->ckey + b.len, m.p, m.len);
    t->ckey_blen = (uint8_t)b.len;
    t->ckey_mlen = (uint8_t)m.len;
    sr_msg_free(t->req);
    t->req = NULL;
    s->mem -= t->req_ext;
    t->ext_bytes -= t->req_ext;
    t->req_ext = 0;
    sr__buf_release(s, &t->req_bytes); /* a queued retransmission keeps its bytes */
}

static int ict_on_response(sr_stack *s, sr__txn *t, sr_msg **own, const sr_addr *src)
{
    const sr_msg *resp = *own;
    unsigned code = sr_msg_status(resp);
    int err = 0;
    switch (t->state) {
    case SR_TXN_CALLING:
    case SR_TXN_PROCEEDING:
        if (code < 200) {
            /* §17.1.1.2: a provisional stops the retransmissions; Timer B only runs in
             * Calling (Figure 5). */
            if (t->state == SR_TXN_CALLING) {
                sr__stop(s, t, SR__TK_A);
                sr__stop(s, t, SR__TK_B);
                t->state = SR_TXN_PROCEEDING;
                if (s->cfg.timer_c > 0 && (err = sr__start(s, t, SR__TK_C, s->cfg.timer_c)))
                    return err;
            }
            sr_txn_id prack = 0;
            bool pass = true;
            if (code != 100 && s->cfg.prack_enabled &&
                sr__has_option(resp, SR_HDR_REQUIRE, "100rel")) {
                err = sr__prack_uac_on_1xx(s, t, resp, &prack, &pass);
                if (err != 0)
                    return err;
            }
            if (pass && (err = deliver(s, t, own, src, prack)) != 0)
                return err;
            if (t->cancel_asked && !t->got_provisional) {
                t->got_provisional = true;
                return start_cancel(s, t);
            }
            t->got_provisional = true;
            return 0;
        }
        sr__stop(s, t, SR__TK_A);
        sr__stop(s, t, SR__TK_B);
        sr__stop(s, t, SR__TK_C);
        drop_pending_cancel(s, t);
        if (code < 300) {
            /* RFC 6026 §8.4: a 2xx moves to Accepted; the TU sends the ACK. */
            t->state = SR_TXN_ACCEPTED;
            if ((err = sr__start(s, t, SR__TK_M, 64 * (uint64_t)s->cfg.t1)) != 0)
                return err;
            return deliver(s, t, own, src, 0);
        }
        /* §17.1.1.2: 300-699 → Completed, ACK, Timer D (≥ 32 s unreliable, 0 reliable). */
        t->state = SR_TXN_COMPLETED;
        if ((err = deliver(s, t, own, src, 0)) != 0)
            return err;
        err = send_ack(s, t, resp);
        if (t->reliable) {
            sr__txn_terminate(s, t);
            return err;
        }
        uint64_t d = 64 * (uint64_t)s->cfg.t1 > 32000 ? 64 * (uint64_t)s->cfg.t1 : 32000;
        int e2 = sr__start(s, t, SR__TK_D, d);
        release_request(s, t);
        return err != 0 ? err : e2;
    case SR_TXN_ACCEPTED:
        /* RFC 6026 §8.4: further 2xx go to the TU (it ACKs each); others are absorbed. */
        if (code >= 200 && code < 300)
            return deliver(s, t, own, src, 0);
        return 0;
    case SR_TXN_COMPLETED:
        /* §17.1.1.2: every retransmitted final gets the ACK again, not the TU. */
        if (code >= 300)
            return send_ack(s, t, resp);
        return 0;
    default: return 0;
    }
}

static int nict_on_response(sr_stack *s, sr__txn *t, sr_msg **own, const sr_addr *src)
{
    const sr_msg *resp = *own;
    unsigned code = sr_msg_status(resp);
    int err;
    switch (t->state) {
    case SR_TXN_TRYING:
    case SR_TXN_PROCEEDING:
        if (code < 200) {
            /* §17.1.2.2: Trying → Proceeding; Timer E keeps running (at T2 from now on). */
            t->state = SR_TXN_PROCEEDING;
            return deliver(s, t, own, src, 0);
        }
        sr__stop(s, t, SR__TK_E);
        sr__stop(s, t, SR__TK_F);
        t->state = SR_TXN_COMPLETED;
        err = deliver(s, t, own, src, 0);
        /* Timer K: T4 on unreliable transports, 0 (terminate now) on reliable ones. */
        if (t->reliable) {
            sr__txn_terminate(s, t);
            return err;
        }
        int e2 = sr__start(s, t, SR__TK_K, s->cfg.t4);
        release_request(s, t);
        return err != 0 ? err : e2;
    default:
        /* Completed: response retransmissions are absorbed. */
        return 0;
    }
}

int sr__client_on_response(sr_stack *s, sr__txn *t, sr_msg **own, const sr_addr *src)
{
    if (t->kind == SR_TXN_INVITE_CLIENT)
        return ict_on_response(s, t, own, src);
    return nict_on_response(s, t, own, src);
}

static void resend(sr_stack *s, sr__txn *t)
{
    int rc = sr__emit_send(s, t, &t->req_bytes, 0);
    (void)rc; /* SR_ENOMEM: this retransmission is lost like a dropped datagram */
}

void sr__client_on_timer(sr_stack *s, sr__txn *t, int kind)
{
    int rc = 0;
    switch (kind) {
    case SR__TK_A:
        /* §17.1.1.2: retransmit, double the interval (no cap for INVITE). */
        resend(s, t);
        t->interval *= 2;
        rc = sr__start(s, t, SR__TK_A, t->interval);
        break;
    case SR__TK_E:
        /* §17.1.2.2: double up to T2 in Trying; T2 in Proceeding. */
        resend(s, t);
        if (t->state == SR_TXN_PROCEEDING || 2 * t->interval > s->cfg.t2)
            t->interval = s->cfg.t2;
        else
            t->interval *= 2;
        rc = sr__start(s, t, SR__TK_E, t->interval);
        break;
    case SR__TK_B:
    case SR__TK_F:
        /* Timers B and F: no final response; the TU treats it as 408 (§8.1.3.1). */
        rc = sr__emit_simple(s, t, SR_EV_TIMEOUT, kind == SR__TK_B ? 'B' : 'F');
        drop_pending_cancel(s, t);
        sr__txn_terminate(s, t);
        break;
    case SR__TK_C:
        /* Timer C: still no final after a provisional; the TU decides (CANCEL, 408). */
        rc = sr__emit_simple(s, t, SR_EV_TIMEOUT, 'C');
        break;
    case SR__TK_D:
    case SR__TK_K:
    case SR__TK_M: sr__txn_terminate(s, t); break;
    default: break;
    }
    (void)rc; /* SR_ENOMEM in a timer: the retransmission or report is lost, state is sound */
}
