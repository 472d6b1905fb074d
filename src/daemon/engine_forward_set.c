/* sipreplyd: the target set of a forwarded request (RFC 3261 §16.5): the rule's targets
 * ({{user}} replaced), or the contacts registered for the Request-URI's address-of-record
 * (`location`: the registrar's bindings, highest q first, §16.6), and the Contacts of a 3xx
 * added on the way (`recurse`, §16.7 step 4). The order the targets start in, and the replace
 * shares drawn for the call (fault injection), are set here too. */
#include "engine_forward_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether the forwarder can reach @p uri: a sip: URI whose host is an IP literal, over UDP
 * (docs/sipreplyd.md "forward": no DNS, no TCP or TLS targets). */
static bool reachable(sr_str uri)
{
    sr_uri u;
    if (sr_uri_parse(&u, uri.p, uri.len, NULL) != 0 || u.kind != SR_URI_SIP)
        return false;
    char host[64];
    unsigned char buf[16];
    sr_str h = u.host;
    bool v6 = h.len > 2 && h.p[0] == '[';
    if (v6)
        h = (sr_str){h.p + 1, h.len - 2};
    if (h.len == 0 || h.len >= sizeof(host))
        return false;
    memcpy(host, h.p, h.len);
    host[h.len] = '\0';
    sr_str tp;
    return inet_pton(v6 ? AF_INET6 : AF_INET, host, buf) == 1 &&
           (!sr_uri_param_find(&u, "transport", &tp) || sr_str_caseeq_cstr(tp, "udp"));
}

/* Whether @p uri is in the target set already (URI equality, RFC 3261 §19.1.4). */
static bool known(const sd_fwd_call *c, sr_str uri)
{
    sr_uri a, b;
    if (sr_uri_parse(&a, uri.p, uri.len, NULL) != 0)
        return true; /* never added anyway */
    for (size_t i = 0; i < c->nt; i++)
        if (sr_uri_parse(&b, c->t[i].uri, strlen(c->t[i].uri), NULL) == 0 && sr_uri_eq(&a, &b))
            return true;
    return false;
}

/* Append target @p uri (@p len bytes) with q @p q to the set (room checked by the caller). */
static int add(sd_engine *e, sd_fwd_call *c, const char *uri, size_t len, unsigned q,
               unsigned group, unsigned depth)
{
    char *s = sd__alloc(e, len + 1);
    if (!s)
        return SR_ENOMEM;
    memcpy(s, uri, len);
    s[len] = '\0';
    size_t i = c->nt++;
    c->t[i] = (fwd_target){.uri = s, .q = q, .group = group, .depth = depth};
    c->b[i].magic = BR_MAGIC;
    c->b[i].call = c;
    c->b[i].target = (unsigned)i;
    c->b[i].deadline = UINT64_MAX;
    return 0;
}

/* Append @p n bytes of @p p to @p out (@p len used of @p cap), as snprintf would: cut at
 * cap - 1. */
static void cat(char *out, size_t cap, size_t *len, const char *p, size_t n)
{
    if (n > cap - 1 - *len)
        n = cap - 1 - *len;
    memcpy(out + *len, p, n);
    *len += n;
}

/* A rule's target URI with "{{user}}" replaced by the Request-URI's user, NUL-terminated in
 * @p out (cut at @p cap - 1 bytes); its length. The Request-URI passed the request checks
 * (sr_proxy_check_request, §16.3 item 1: sr_uri_parse() accepts it): a sip or sips one's user
 * is read without parsing it again. */
static size_t expand(const sd_fwd_call *c, const char *u, char *out, size_t cap)
{
    const char *at = strstr(u, "{{user}}");
    size_t len = 0;
    if (!at) {
        cat(out, cap, &len, u, strlen(u));
    } else {
        sr_uri ru;
        sr_str rq = sr_msg_request_uri(c->req), user = SR_STR("");
        if (sd__valid_sip_user(rq, &ru.user) || sr_uri_parse(&ru, rq.p, rq.len, NULL) == 0)
            user = ru.user;
        cat(out, cap, &len, u, (size_t)(at - u));
        cat(out, cap, &len, user.p, user.len);
        cat(out, cap, &len, at + 8, strlen(at + 8));
    }
    out[len] = '\0';
    return len;
}

static int order_cmp(const void *x, const void *y, void *arg)
{
    const fwd_target *t = arg;
    unsigned a = *(const unsigned *)x, b = *(const unsigned *)y;
    if (t[a].q != t[b].q)
        return t[a].q > t[b].q ? -1 : 1;
    return a < b ? -1 : a > b; /* stable: as written (bindings: as the registrar ranks them) */
}

/* The bindings of the AOR of the Request-URI (§16.5: this proxy is responsible for its
 * domain when a register action serves it), at most SD_FWD_BRANCHES_MAX, into @p out. */
static ptrdiff_t bindings(sd_engine *e, const sd_fwd_call *c, uint64_t now, sr_binding *out,
                          unsigned *code, const char **why)
{
    sr_uri u;
    sr_str rq = c->route.request_uri;
    if (sr_uri_parse(&u, rq.p, rq.len, NULL) != 0 ||
        (u.kind != SR_URI_SIP && u.kind != SR_URI_SIPS)) {
        *code = 404;
        *why = "no address-of-record in the Request-URI";
        return SR_ENOTFOUND;
    }
    const sd_action *reg = sd__forward_registrar(c->jb.cfg, u.host.p, u.host.len);
    if (!reg) {
        *code = 404; /* §21.4.4: a domain not handled here */
        *why = "no register rule serves the Request-URI's domain";
        return SR_ENOTFOUND;
    }
    ptrdiff_t n = sd_auth_glue_lookup(e->auth, reg, rq, now, out, SD_FWD_BRANCHES_MAX);
    if (n == SR_EBADMSG) {
        *code = 404;
        *why = "no address-of-record in the Request-URI";
        return SR_ENOTFOUND;
    }
    return n < 0 ? SR_ENOMEM : n;
}

int sd__fwd_targets(sd_engine *e, sd_fwd_call *c, uint64_t now, unsigned *code, const char **why)
{
    const sd_forward *f = c->f;
    sr_binding bs[SD_FWD_BRANCHES_MAX];
    size_t n = f->n_targets;
    if (f->location) {
        ptrdiff_t k = bindings(e, c, now, bs, code, why);
        if (k < 0)
            return (int)k;
        n = (size_t)k < SD_FWD_BRANCHES_MAX ? (size_t)k : SD_FWD_BRANCHES_MAX;
    }
    c->cap = n + (f->recurse ? SD_FWD_BRANCHES_MAX : 0);
    if (n == 0) {
        *code = 480; /* §16.5: the target set is empty */
        *why = "no binding for the address-of-record";
        return SR_ENOTFOUND;
    }
    /* one block: the branches, the targets, then the order and the replace codes */
    char *blk = sd__calloc(
        e, c->cap * (sizeof(*c->b) + sizeof(*c->t) + sizeof(*c->order) + sizeof(*c->repl)));
    if (!blk)
        return SR_ENOMEM;
    c->b = (fwd_branch *)(void *)blk;
    c->t = (fwd_target *)(void *)(blk + c->cap * sizeof(*c->b));
    c->order = (unsigned *)(void *)((char *)c->t + c->cap * sizeof(*c->t));
    c->repl = c->order + c->cap;
    for (size_t i = 0; i < n; i++) {
        int rc;
        if (f->location) {
            unsigned q = bs[i].q < 0 ? 1000 : (unsigned)bs[i].q;
            if (!reachable(bs[i].uri))
                continue; /* a contact we cannot reach (sips:, TCP, a host name) */
            rc = add(e, c, bs[i].uri.p, bs[i].uri.len, q, 1000 - q, 0);
        } else {
            char uri[600];
            size_t len = expand(c, f->targets[i].uri, uri, sizeof(uri));
            rc = add(e, c, uri, len, f->targets[i].q, 1000 - f->targets[i].q, 0);
        }
        if (rc)
            return rc;
    }
    if (c->nt == 0 && n > 0) {
        *code = 480;
        *why = "no binding reachable over UDP at an IP address";
        return SR_ENOTFOUND;
    }
    c->next_group = 1001; /* after every q group */
    for (size_t i = 0; i < c->nt; i++)
        c->order[i] = (unsigned)i;
    if (c->nt > 1)
        qsort_r(c->order, c->nt, sizeof(*c->order), order_cmp, c->t);
    /* the replace shares: one draw per entry and call, in the order written */
    for (size_t i = 0; i < f->n_replaces; i++) {
        const sd_replace *r = &f->replaces[i];
        if (sd__fwd_rng(e) % 100 >= r->percent)
            continue;
        for (size_t t = 0; t < c->nt; t++)
            if ((r->target < 0 || (size_t)r->target == t) && !c->repl[t])
                c->repl[t] = r->code;
    }
    return 0;
}

/* The q-value (thousandths) of the Contact of @p resp whose URI is @p uri; 1000 when it has
 * none or is not found (RFC 3261 §20.10: no q is 1.0). */
static unsigned contact_q(const sr_msg *resp, sr_str uri)
{
    for (const sr_header *h = resp ? sr_msg_header_find(resp, SR_HDR_CONTACT, NULL) : NULL; h;
         h = sr_msg_header_find(resp, SR_HDR_CONTACT, h)) {
        size_t pos = 0;
        sr_str v;
        sr_contact ct;
        while (sr_value_next(h->value, &pos, &v))
            if (sr_contact_parse(&ct, v, NULL) == 0 && !ct.star && sr_str_eq(ct.addr.uri, uri))
                return ct.q < 0 ? 1000 : (unsigned)ct.q;
    }
    return 1000;
}

size_t sd__fwd_recurse(sd_engine *e, sd_fwd_call *c, unsigned branch, const sr_str *targets,
                       size_t n, const sr_msg *resp)
{
    const fwd_target *from = NULL;
    for (size_t i = 0; i < c->nt && !from; i++)
        if (c->b[i].added && c->b[i].index == branch)
            from = &c->t[i];
    if (!from || from->depth >= c->f->recurse) {
        /* as deep as the rule follows: the 3xx is a final like the others */
        int rc = sr_proxy_recurse_none(c->p, branch);
        (void)rc; /* SR_EINVAL: not a branch of the context, nothing to undo */
        return 0;
    }
    unsigned depth = from->depth + 1, last_q = 0;
    size_t added = 0, first = c->nt;
    for (size_t k = 0; k < n && c->nt < c->cap; k++) {
        /* §16.5: a URI goes into the target set once; we reach sip: over UDP only */
        if (!reachable(targets[k]) || known(c, targets[k]))
            continue;
        /* highest q first (the context's order); equal q-values one group (§16.6) */
        unsigned q = contact_q(resp, targets[k]);
        if (added && q != last_q)
            c->next_group++;
        last_q = q;
        if (add(e, c, targets[k].p, targets[k].len, q, c->next_group, depth) != 0) {
            e->cnt.failures++;
            break;
        }
        added++;
    }
    c->next_group++;
    if (added == 0) {
        int rc = sr_proxy_recurse_none(c->p, branch); /* nothing followed: a final as it came */
        (void)rc;
    }
    /* next in starting order, in the 3xx's q order (§8.1.3.4, §16.6) */
    memmove(&c->order[c->started + added], &c->order[c->started],
            (first - c->started) * sizeof(*c->order));
    for (size_t k = 0; k < added; k++)
        c->order[c->started + k] = (unsigned)(first + k);
    return added;
}

void sd__fwd_targets_free(sd_engine *e, sd_fwd_call *c)
{
    for (size_t i = 0; c->t && i < c->nt; i++)
        sd__free(e, c->t[i].uri);
    sd__free(e, c->b); /* the block of all four */
    c->t = NULL;
    c->b = NULL;
    c->order = NULL;
    c->repl = NULL;
    c->nt = c->cap = 0;
}
