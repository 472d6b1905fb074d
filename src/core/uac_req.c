/* sipreply core: the UAC context's requests — each attempt rebuilt from the caller's request
 * with what the responses so far asked for (RFC 3261 §8.1.1, §8.1.3.4, §8.1.3.5, §22.2,
 * RFC 4028 §7.3), the ACK for a 2xx (§13.2.2.4) and the BYE (§15.1.1). */
#include <string.h>

#include "sipreply/auth.h"
#include "sipreply/error.h"
#include "sipreply/print.h"
#include "sipreply/uri.h"

#include "core_int.h"
#include "uac_int.h"

char *sr__uac_strdup(sr_uac *u, sr_str s)
{
    char *p = sr__malloc(u->alloc, s.len + 1);
    if (p != NULL) {
        if (s.len)
            memcpy(p, s.p, s.len);
        p[s.len] = '\0';
    }
    return p;
}

sr_str sr__uac_contact_uri(const sr_msg *m)
{
    const sr_header *h = sr_msg_header_find(m, SR_HDR_CONTACT, NULL);
    if (h == NULL)
        return (sr_str){NULL, 0};
    size_t pos = 0;
    sr_str item;
    sr_contact c;
    if (!sr_value_next(h->value, &pos, &item) || sr_contact_parse(&c, item, NULL) != 0 || c.star)
        return (sr_str){NULL, 0};
    return c.addr.uri;
}

/* Insert a target at @p at (the targets after it move down). */
int sr__uac_target_add(sr_uac *u, size_t at, sr_str uri, sr_str route)
{
    if (u->n_targets == SR__UAC_TARGETS)
        return SR_ETOOBIG;
    sr__uac_target t;
    memset(&t, 0, sizeof(t));
    if ((t.uri = sr__uac_strdup(u, uri)) == NULL)
        return SR_ENOMEM;
    if (route.p != NULL && (t.route = sr__uac_strdup(u, route)) == NULL) {
        sr__free(u->alloc, t.uri);
        return SR_ENOMEM;
    }
    if (at > u->n_targets)
        at = u->n_targets;
    memmove(&u->targets[at + 1], &u->targets[at], (u->n_targets - at) * sizeof(t));
    u->targets[at] = t;
    u->n_targets++;
    return 0;
}

static const char *tp_name(sr_transport tp)
{
    switch (tp) {
    case SR_TP_TCP: return "TCP";
    case SR_TP_TLS: return "TLS";
    case SR_TP_SCTP: return "SCTP";
    default: return "UDP";
    }
}

static int add(sr_msg *m, enum sr_hdr_id id, const char *name, sr_str value)
{
    return sr_msg_add_header(m, id, sr_str_from_cstr(name), value);
}

static int add_via(sr_uac *u, sr_msg *m, sr_transport tp)
{
    char branch[SR_BRANCH_LEN + 1];
    int err = sr_stack_new_branch(u->stack, branch);
    if (err != 0)
        return err;
    return sr__via_add(m, tp_name(tp), u->cfg.via_host, u->cfg.via_port, branch, u->alloc);
}

static int add_cseq(sr_uac *u, sr_msg *m, uint32_t num, sr_str method)
{
    sr_buf b;
    sr_buf_init(&b, u->alloc);
    int err = sr_buf_append_u64(&b, num);
    if (!err)
        err = sr_buf_append_cstr(&b, " ");
    if (!err)
        err = sr_buf_append_str(&b, method);
    if (!err)
        err = add(m, SR_HDR_CSEQ, "CSeq", (sr_str){b.p, b.len});
    sr_buf_cleanup(&b);
    return err;
}

static int add_number(sr_uac *u, sr_msg *m, enum sr_hdr_id id, const char *name, int64_t v)
{
    sr_buf b;
    sr_buf_init(&b, u->alloc);
    int err = sr_buf_append_u64(&b, (unsigned long long)v);
    if (!err)
        err = add(m, id, name, (sr_str){b.p, b.len});
    sr_buf_cleanup(&b);
    return err;
}

static bool dropped(const sr_uac *u, sr_str tag)
{
    for (size_t i = 0; i < u->n_drop; i++)
        if (sr_str_caseeq_cstr(tag, u->drop[i]))
            return true;
    return false;
}

/* A Require / Proxy-Require line without the tags a 420 named (§8.1.3.5); nothing when
 * none is left. */
static int add_filtered(sr_uac *u, sr_msg *m, const sr_header *h)
{
    sr_buf b;
    sr_buf_init(&b, u->alloc);
    size_t pos = 0;
    sr_str item;
    int err = 0;
    while (!err && sr_value_next(h->value, &pos, &item)) {
        if (item.len == 0 || dropped(u, item))
            continue;
        if (b.len)
            err = sr_buf_append_cstr(&b, ", ");
        if (!err)
            err = sr_buf_append_str(&b, item);
    }
    if (!err && b.len)
        err = sr_msg_add_header(m, h->id, h->name, (sr_str){b.p, b.len});
    sr_buf_cleanup(&b);
    return err;
}

/* Supported with the tags a 421 made us use (§21.4.16). */
static int add_supported(sr_uac *u, sr_msg *m)
{
    sr_buf b;
    sr_buf_init(&b, u->alloc);
    int err = 0;
    for (const sr_header *h = sr_msg_header_find(u->tmpl, SR_HDR_SUPPORTED, NULL);
         h != NULL && !err; h = sr_msg_header_find(u->tmpl, SR_HDR_SUPPORTED, h)) {
        if (h->value.len == 0)
            continue;
        if (b.len)
            err = sr_buf_append_cstr(&b, ", ");
        if (!err)
            err = sr_buf_append_str(&b, h->value);
    }
    for (size_t i = 0; i < u->n_add && !err; i++) {
        if (sr_msg_has_option(u->tmpl, SR_HDR_SUPPORTED, u->add[i]))
            continue;
        if (b.len)
            err = sr_buf_append_cstr(&b, ", ");
        if (!err)
            err = sr_buf_append_cstr(&b, u->add[i]);
    }
    if (!err && b.len)
        err = add(m, SR_HDR_SUPPORTED, "Supported", (sr_str){b.p, b.len});
    sr_buf_cleanup(&b);
    return err;
}

/* The credentials of every realm answered so far, for this request (§22.2, §22.3). */
static int add_credentials(sr_uac *u, sr_msg *m, sr_str method, sr_str uri, sr_str body)
{
    int err = 0;
    for (size_t i = 0; i < u->n_realms && !err; i++) {
        sr__uac_realm *r = &u->realms[i];
        sr_digest_challenge ch;
        if (sr_digest_challenge_parse(&ch, sr_str_from_cstr(r->chal)) != 0)
            continue; /* parsed once already when answered: cannot happen */
        sr_auth_client_opts o;
        sr_auth_client_opts_init(&o);
        o.username = sr_str_from_cstr(r->cred->username);
        o.password = sr_str_from_cstr(r->cred->password ? r->cred->password : "");
        o.method = method;
        o.uri = uri;
        o.body = body;
        o.nc = ++r->nc;
        o.algs = u->cfg.digest_algs;
        o.prefer_auth_int = u->cfg.prefer_auth_int;
        o.random = u->cfg.random;
        o.random_user = u->cfg.random_user;
        sr_buf b;
        sr_buf_init(&b, u->alloc);
        err = sr_auth_client_answer_challenge(&ch, &o, &b);
        if (!err)
            err = r->proxy ? add(m, SR_HDR_PROXY_AUTHORIZATION, "Proxy-Authorization",
                                 (sr_str){b.p, b.len})
                           : add(m, SR_HDR_AUTHORIZATION, "Authorization", (sr_str){b.p, b.len});
        sr_buf_cleanup(&b);
    }
    return err;
}

static bool skipped(const sr_uac *u, enum sr_hdr_id id)
{
    switch (id) {
    case SR_HDR_VIA:
    case SR_HDR_CSEQ:
    case SR_HDR_CONTENT_LENGTH:
    case SR_HDR_CONTENT_TYPE:
    case SR_HDR_AUTHORIZATION:
    case SR_HDR_PROXY_AUTHORIZATION: return true;
    case SR_HDR_CONTENT_ENCODING: return u->body >= 0;
    case SR_HDR_SUPPORTED: return u->n_add > 0;
    case SR_HDR_SESSION_EXPIRES:
    case SR_HDR_MIN_SE: return u->session_expires >= 0;
    case SR_HDR_EXPIRES: return u->expires >= 0;
    default: return false;
    }
}

/* The request for the current target and server: the caller's, rebuilt. */
static int build(sr_uac *u, sr_msg **out)
{
    const sr__uac_target *t = &u->targets[u->cur];
    sr_str method = sr_msg_method_str(u->tmpl), uri = sr_str_from_cstr(t->uri);
    sr_msg *m = NULL;
    int err = sr_msg_new_request(&m, u->alloc, method, uri);
    if (err != 0)
        return err;
    err = add_via(u, m, u->dest.transport);
    if (!err && t->route != NULL) {
        /* §21.3.4: through the proxy a 305 named, as a loose route. */
        sr_buf b;
        sr_buf_init(&b, u->alloc);
        err = sr_buf_append_cstr(&b, "<");
        if (!err)
            err = sr_buf_append_cstr(&b, t->route);
        if (!err)
            err = sr_buf_append_cstr(&b, strstr(t->route, ";lr") ? ">" : ";lr>");
        if (!err)
            err = add(m, SR_HDR_ROUTE, "Route", (sr_str){b.p, b.len});
        sr_buf_cleanup(&b);
    }
    bool maxf = false;
    for (size_t i = 0; !err && i < sr_msg_header_count(u->tmpl); i++) {
        const sr_header *h = sr_msg_header_at(u->tmpl, i);
        if (skipped(u, h->id))
            continue;
        maxf |= h->id == SR_HDR_MAX_FORWARDS;
        if ((h->id == SR_HDR_REQUIRE || h->id == SR_HDR_PROXY_REQUIRE) && u->n_drop > 0)
            err = add_filtered(u, m, h);
        else
            err = sr_msg_add_header(m, h->id, h->name, h->value);
    }
    if (!err && !maxf)
        err = add(m, SR_HDR_MAX_FORWARDS, "Max-Forwards", sr_str_from_cstr("70"));
    if (!err)
        err = add_cseq(u, m, u->cseq, method);
    if (!err && u->n_add > 0)
        err = add_supported(u, m);
    if (!err && u->session_expires >= 0) {
        /* RFC 4028 §7.3: Session-Expires raised to the Min-SE, and Min-SE carried. */
        err = add_number(u, m, SR_HDR_SESSION_EXPIRES, "Session-Expires", u->session_expires);
        if (!err)
            err = add_number(u, m, SR_HDR_MIN_SE, "Min-SE", u->session_expires);
    }
    if (!err && u->expires >= 0)
        err = add_number(u, m, SR_HDR_EXPIRES, "Expires", u->expires);
    sr_str body = sr_msg_body(u->tmpl), type = {NULL, 0};
    const sr_header *ct = sr_msg_header_find(u->tmpl, SR_HDR_CONTENT_TYPE, NULL);
    if (ct != NULL)
        type = ct->value;
    if (u->body >= 0) {
        const sr_uac_body *alt = &u->cfg.bodies[u->body];
        body = alt->body;
        type = sr_str_from_cstr(alt->type);
        if (!err && alt->encoding != NULL)
            err = add(m, SR_HDR_CONTENT_ENCODING, "Content-Encoding",
                      sr_str_from_cstr(alt->encoding));
    }
    if (!err)
        err = add_credentials(u, m, method, uri, body);
    if (!err && (body.len > 0 || type.len > 0))
        err = sr_msg_set_body(m, type, body);
    if (err != 0) {
        sr_msg_free(m);
        return err;
    }
    *out = m;
    return 0;
}

/* Hand @p m to the stack (it takes it on success) and report it. */
static int send_request(sr_uac *u, sr_msg *m, const sr_addr *dest, uint64_t now, sr_txn_id *id)
{
    sr_msg *copy = NULL;
    int err = sr__msg_dup(&copy, m, u->alloc, false);
    if (err != 0) {
        sr_msg_free(m);
        return err;
    }
    sr_txn_id tid = 0;
    err = sr_stack_send_request(u->stack, m, dest, now, &tid);
    if (err != 0) {
        sr_msg_free(m);
        sr_msg_free(copy);
        return err;
    }
    int rc = sr_stack_txn_set_user(u->stack, tid, u);
    (void)rc; /* just created: found */
    sr__uac_live_add(u, tid);
    sr_uac_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = SR_UAC_EV_SENT;
    ev.attempt = u->attempts;
    ev.txn = tid;
    ev.addr = *dest;
    sr__uac_emit(u, &ev, copy, sr_msg_request_uri(copy));
    *id = tid;
    if (sr_msg_method(copy) == SR_METHOD_BYE) {
        sr_msg_free(copy);
        return 0;
    }
    sr_msg_free(u->req);
    u->req = copy;
    return 0;
}

int sr__uac_attempt(sr_uac *u, uint64_t now)
{
    if (u->done)
        return 0;
    if (u->attempts >= u->cfg.max_requests) {
        sr__uac_finish(u, SR_UAC_LIMIT, u->last_status, NULL, 0);
        return 0;
    }
    sr__uac_target *t = &u->targets[u->cur];
    if (t->pending) {
        u->resolving = true; /* sr_uac_resolved() goes on */
        return 0;
    }
    if (t->next >= t->n_servers) {
        /* A target that resolved to nothing: skipped for the next one of the set. */
        unsigned st = u->last_status;
        sr__uac_action(u, SR_UAC_ACT_REDIRECT_SKIP, st, sr_str_from_cstr(t->uri), 0);
        return sr__uac_next_target(u, st / 100 == 3 ? SR_UAC_REDIRECTED : SR_UAC_REJECTED, st, NULL,
                                   now);
    }
    u->dest = t->servers[t->next];
    u->cseq++;
    u->attempts++;
    sr_msg *m = NULL;
    int err = build(u, &m);
    if (err == 0) {
        u->final_seen = false;
        u->txn = 0;
        err = send_request(u, m, &u->dest, now, &u->txn);
    }
    if (err != 0) {
        sr__uac_finish(u, SR_UAC_ERROR, u->last_status, NULL, err);
        return err;
    }
    if (u->method == SR_METHOD_INVITE)
        u->invite_cseq = u->cseq;
    return 0;
}

/* Where a request in the dialog of 2xx @p resp goes (§12.2.1.1, §8.1.2): the first URI of
 * the route set (the last Record-Route) when there is one, else the remote target, through
 * the resolver; the INVITE's server when the policy says so or nothing resolves. */
static sr_addr dialog_dest(sr_uac *u, const sr_msg *resp, sr_str target)
{
    if (u->cfg.dialog_via_server)
        return u->dest;
    sr_str uri = target, item = {NULL, 0};
    for (const sr_header *h = sr_msg_header_find(resp, SR_HDR_RECORD_ROUTE, NULL); h != NULL;
         h = sr_msg_header_find(resp, SR_HDR_RECORD_ROUTE, h)) {
        size_t pos = 0;
        sr_str it;
        while (sr_value_next(h->value, &pos, &it))
            if (it.len)
                item = it;
    }
    sr_nameaddr na;
    if (item.p != NULL && sr_nameaddr_parse(&na, item, NULL) == 0)
        uri = na.uri;
    sr_addr a[SR__UAC_SERVERS];
    return sr__uac_resolve(u, uri, a, SR__UAC_SERVERS) > 0 ? a[0] : u->dest;
}

/* A request within the dialog a 2xx @p resp to our INVITE made (§12.2.1.1): Request-URI the
 * remote target (its Contact), Route its Record-Route reversed, To with its tag, our From
 * and Call-ID. The authentication headers of the INVITE go into an ACK too (§13.2.2.4).
 * *@p dest gets where it goes. */
static int build_in_dialog(sr_uac *u, const sr_msg *resp, const char *method, uint32_t num,
                           sr_msg **out, sr_addr *dest)
{
    sr_str target = sr__uac_contact_uri(resp);
    if (target.p == NULL)
        target = sr_msg_request_uri(u->req);
    *dest = dialog_dest(u, resp, target);
    sr_msg *m = NULL;
    int err = sr_msg_new_request(&m, u->alloc, sr_str_from_cstr(method), target);
    if (err != 0)
        return err;
    err = add_via(u, m, dest->transport);
    /* Record-Route values in reverse order: every value of every header, last first. */
    sr_str rr[32];
    size_t n = 0;
    for (const sr_header *h = sr_msg_header_find(resp, SR_HDR_RECORD_ROUTE, NULL); h != NULL;
         h = sr_msg_header_find(resp, SR_HDR_RECORD_ROUTE, h)) {
        size_t pos = 0;
        sr_str item;
        while (n < 32 && sr_value_next(h->value, &pos, &item))
            if (item.len)
                rr[n++] = item;
    }
    while (!err && n > 0)
        err = add(m, SR_HDR_ROUTE, "Route", rr[--n]);
    const sr_header *to = sr_msg_header_find(resp, SR_HDR_TO, NULL);
    const sr_header *from = sr_msg_header_find(u->req, SR_HDR_FROM, NULL);
    if (!err && (to == NULL || from == NULL))
        err = SR_EMISSING;
    if (!err)
        err = add(m, SR_HDR_FROM, "From", from->value);
    if (!err)
        err = add(m, SR_HDR_TO, "To", to->value);
    if (!err)
        err = add(m, SR_HDR_CALL_ID, "Call-ID", sr_msg_call_id(u->tmpl));
    if (!err)
        err = add_cseq(u, m, num, sr_str_from_cstr(method));
    if (!err)
        err = add(m, SR_HDR_MAX_FORWARDS, "Max-Forwards", sr_str_from_cstr("70"));
    if (!err && strcmp(method, "ACK") == 0) {
        for (size_t i = 0; !err && i < sr_msg_header_count(u->req); i++) {
            const sr_header *h = sr_msg_header_at(u->req, i);
            if (h->id == SR_HDR_AUTHORIZATION || h->id == SR_HDR_PROXY_AUTHORIZATION)
                err = sr_msg_add_header(m, h->id, h->name, h->value);
        }
    }
    if (err != 0) {
        sr_msg_free(m);
        return err;
    }
    *out = m;
    return 0;
}

int sr__uac_send_ack(sr_uac *u, const sr_msg *resp, uint64_t now)
{
    const sr_cseq *cs = sr_msg_cseq(resp);
    sr_msg *ack = NULL;
    sr_addr dest;
    int err = build_in_dialog(u, resp, "ACK", cs != NULL ? cs->num : u->invite_cseq, &ack, &dest);
    if (err != 0)
        return err;
    err = sr_stack_send_stateless(u->stack, ack, &dest, now);
    sr_msg_free(ack);
    return err;
}

/* BYE on the dialog of @p resp, or with @p resp NULL on every confirmed dialog without one,
 * built from the dialog's 2xx (its remote target and route set, §12.2.1.1). */
int sr__uac_send_bye(sr_uac *u, const sr_msg *resp, uint64_t now)
{
    int err = 0;
    for (size_t i = 0; i < u->n_dialogs && !err; i++) {
        sr__uac_tag *d = &u->dialogs[i];
        if (d->bye)
            continue;
        if (resp != NULL) {
            const sr_nameaddr *to = sr_msg_to(resp);
            sr_str tag = to != NULL && to->tag.p != NULL ? to->tag : (sr_str){"", 0};
            if (tag.len != d->len || (tag.len && memcmp(tag.p, d->v, tag.len) != 0))
                continue;
        }
        sr_msg *bye = NULL;
        sr_addr dest = u->dest;
        const sr_msg *ok = resp != NULL ? resp : d->ok;
        if (ok != NULL) {
            err = build_in_dialog(u, ok, "BYE", ++u->cseq, &bye, &dest);
        } else {
            /* The 2xx could not be kept: the INVITE's target with this dialog's To tag. */
            err = sr_msg_new_request(&bye, u->alloc, sr_str_from_cstr("BYE"),
                                     sr_msg_request_uri(u->req));
            if (!err)
                err = add_via(u, bye, dest.transport);
            const sr_nameaddr *to = sr_msg_to(u->req);
            const sr_header *from = sr_msg_header_find(u->req, SR_HDR_FROM, NULL);
            sr_buf b;
            sr_buf_init(&b, u->alloc);
            if (!err && (to == NULL || from == NULL))
                err = SR_EMISSING;
            if (!err)
                err = sr_buf_append_cstr(&b, "<");
            if (!err)
                err = sr_buf_append_str(&b, to->uri);
            if (!err)
                err = sr_buf_append_cstr(&b, ">;tag=");
            if (!err)
                err = sr_buf_append(&b, d->v, d->len);
            if (!err)
                err = add(bye, SR_HDR_FROM, "From", from->value);
            if (!err)
                err = add(bye, SR_HDR_TO, "To", (sr_str){b.p, b.len});
            sr_buf_cleanup(&b);
            if (!err)
                err = add(bye, SR_HDR_CALL_ID, "Call-ID", sr_msg_call_id(u->tmpl));
            if (!err)
                err = add_cseq(u, bye, ++u->cseq, sr_str_from_cstr("BYE"));
            if (!err)
                err = add(bye, SR_HDR_MAX_FORWARDS, "Max-Forwards", sr_str_from_cstr("70"));
            if (err != 0) {
                sr_msg_free(bye);
                bye = NULL;
            }
        }
        if (err != 0)
            break;
        d->bye = true;
        sr_txn_id id = 0;
        sr__uac_action(u, SR_UAC_ACT_BYE, 0, (sr_str){d->v, d->len}, 0);
        err = send_request(u, bye, &dest, now, &id);
    }
    return err;
}
