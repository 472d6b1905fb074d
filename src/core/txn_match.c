/* sipreply core: matching messages to transactions — RFC 3261 §17.1.3 (client), §17.2.3
 * (server, with the RFC 2543 fallback), §9.2 (CANCEL) and §8.2.2.2 (merged requests). */
#include <string.h>

#include "core_int.h"
#include "txn_int.h"

/* §8.1.1.7: a branch starting with the magic cookie was built by an RFC 3261 element. */
bool sr__branch_is_3261(sr_str branch)
{
    return branch.len > 7 && memcmp(branch.p, "z9hG4bK", 7) == 0;
}

static bool is_client(const sr__txn *t)
{
    return t->kind == SR_TXN_INVITE_CLIENT || t->kind == SR_TXN_NON_INVITE_CLIENT;
}

/* The method a transaction is keyed on (CSeq method of its request). */
static sr_str txn_method(const sr__txn *t)
{
    return sr_msg_cseq(t->req)->method;
}

/* §17.1.3: the response's top-Via branch equals the request's, and its CSeq method equals
 * the request's method (so a response to a CANCEL does not match the INVITE). */
sr__txn *sr__match_client(const sr_stack *s, const sr_msg *resp)
{
    const sr_via *v = sr_msg_via(resp, 0);
    const sr_cseq *cs = sr_msg_cseq(resp);
    if (v == NULL || cs == NULL || v->branch.len == 0)
        return NULL;
    for (sr__txn *t = s->txns; t != NULL; t = t->next) {
        if (!is_client(t))
            continue;
        if (sr_str_eq(sr_msg_via(t->req, 0)->branch, v->branch) &&
            sr_str_eq(txn_method(t), cs->method))
            return t;
    }
    return NULL;
}

/* sent-by (host and port) of two Vias: §17.2.3 compares it as well as the branch. */
static bool sent_by_eq(const sr_via *a, const sr_via *b)
{
    return sr_str_caseeq(a->host, b->host) && a->port == b->port;
}

static sr_str to_tag(const sr_msg *m)
{
    const sr_nameaddr *to = sr_msg_to(m);
    sr_str none = {"", 0};
    return to != NULL ? to->tag : none;
}

static sr_str from_tag(const sr_msg *m)
{
    const sr_nameaddr *f = sr_msg_from(m);
    sr_str none = {"", 0};
    return f != NULL ? f->tag : none;
}

/* RFC 2543 fallback (§17.2.3): same Request-URI, To tag, From tag, Call-ID, CSeq and top Via;
 * an ACK matches when its To tag is the tag of the response the server sent. */
static bool match_2543(const sr__txn *t, const sr_msg *req, sr_method method)
{
    const sr_msg *o = t->req;
    const sr_cseq *a = sr_msg_cseq(o), *b = sr_msg_cseq(req);
    if (a->num != b->num || !sr_str_eq(sr_msg_call_id(o), sr_msg_call_id(req)) ||
        !sr_str_eq(from_tag(o), from_tag(req)) ||
        !sr_str_eq(sr_msg_request_uri(o), sr_msg_request_uri(req)) ||
        !sr_str_eq(sr_msg_via(o, 0)->raw, sr_msg_via(req, 0)->raw))
        return false;
    if (method == SR_METHOD_ACK) {
        sr_str tag = {t->to_tag, t->to_tag_len};
        return t->kind == SR_TXN_INVITE_SERVER && sr_str_eq(to_tag(req), tag);
    }
    return sr_str_eq(a->method, b->method) && sr_str_eq(to_tag(o), to_tag(req));
}

/* §17.2.3: branch + sent-by + method, ACK matching the INVITE it acknowledges. */
sr__txn *sr__match_server(const sr_stack *s, const sr_msg *req)
{
    const sr_via *v = sr_msg_via(req, 0);
    const sr_cseq *cs = sr_msg_cseq(req);
    sr_method m = sr_msg_method(req);
    bool rfc3261 = sr__branch_is_3261(v->branch);
    for (sr__txn *t = s->txns; t != NULL; t = t->next) {
        if (is_client(t))
            continue;
        const sr_via *tv = sr_msg_via(t->req, 0);
        if (!rfc3261) {
            if (!sr__branch_is_3261(tv->branch) && match_2543(t, req, m))
                return t;
            continue;
        }
        if (!sr_str_eq(tv->branch, v->branch) || !sent_by_eq(tv, v))
            continue;
        if (m == SR_METHOD_ACK) {
            if (t->kind == SR_TXN_INVITE_SERVER)
                return t;
            continue;
        }
        if (sr_str_eq(txn_method(t), cs->method) &&
            sr_str_eq(sr_msg_method_str(t->req), sr_msg_method_str(req)))
            return t;
    }
    return NULL;
}

/* §9.2: the INVITE server transaction a CANCEL targets — matched as for any request by
 * §17.2.3, but with the method INVITE (the CANCEL's own transaction is separate). */
sr__txn *sr__match_cancel(const sr_stack *s, const sr_msg *cancel)
{
    const sr_via *v = sr_msg_via(cancel, 0);
    bool rfc3261 = sr__branch_is_3261(v->branch);
    for (sr__txn *t = s->txns; t != NULL; t = t->next) {
        if (t->kind != SR_TXN_INVITE_SERVER)
            continue;
        const sr_msg *o = t->req;
        const sr_via *tv = sr_msg_via(o, 0);
        if (rfc3261) {
            if (sr_str_eq(tv->branch, v->branch) && sent_by_eq(tv, v))
                return t;
            continue;
        }
        /* RFC 2543: Request-URI, Call-ID, From tag, To (tag of the request), CSeq number
         * and top Via equal. */
        if (!sr__branch_is_3261(tv->branch) && sr_msg_cseq(o)->num == sr_msg_cseq(cancel)->num &&
            sr_str_eq(sr_msg_call_id(o), sr_msg_call_id(cancel)) &&
            sr_str_eq(from_tag(o), from_tag(cancel)) && sr_str_eq(to_tag(o), to_tag(cancel)) &&
            sr_str_eq(sr_msg_request_uri(o), sr_msg_request_uri(cancel)) &&
            sr_str_eq(tv->raw, v->raw))
            return t;
    }
    return NULL;
}

/* §8.2.2.2: no To tag, and From tag, Call-ID and CSeq (number and method) equal to those of
 * a live server transaction that the request did not match: a fork arriving twice. */
bool sr__is_merged(const sr_stack *s, const sr_msg *req)
{
    if (to_tag(req).len != 0)
        return false;
    const sr_cseq *cs = sr_msg_cseq(req);
    for (sr__txn *t = s->txns; t != NULL; t = t->next) {
        if (is_client(t))
            continue;
        const sr_cseq *o = sr_msg_cseq(t->req);
        if (o->num == cs->num && sr_str_eq(o->method, cs->method) &&
            sr_str_eq(sr_msg_call_id(t->req), sr_msg_call_id(req)) &&
            sr_str_eq(from_tag(t->req), from_tag(req)))
            return true;
    }
    return false;
}

/* Does a Supported/Require-style header @p id of @p m list option tag @p tag? */
bool sr__has_option(const sr_msg *m, enum sr_hdr_id id, const char *tag)
{
    for (const sr_header *h = sr_msg_header_find(m, id, NULL); h != NULL;
         h = sr_msg_header_find(m, id, h)) {
        size_t pos = 0;
        sr_str item;
        while (sr_value_next(h->value, &pos, &item))
            if (sr_str_caseeq_cstr(item, tag))
                return true;
    }
    return false;
}
