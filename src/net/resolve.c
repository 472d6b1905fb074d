/* sipreply network shell: RFC 3263 §4 server location (NAPTR → SRV → A/AAAA) through c-ares,
 * its sockets in the loop's epoll set and its timeouts in the loop's deadline. */
#define _GNU_SOURCE
#include "internal.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#define DNS_SOCKS  32 /* c-ares sockets watched at once (one per server and protocol) */
#define SRVQ_MAX   6  /* SRV queries of one resolution (NAPTR records kept, or the defaults) */
#define SRV_RECS   16 /* SRV records kept from one answer */
#define ADDRS_MAX  8  /* addresses kept per name and family */
#define NAPTR_RECS 16 /* NAPTR records looked at in one answer */

enum { ST_NAPTR, ST_SRV, ST_ADDR, ST_DONE };

typedef struct dns_sock {
    watch w;
    int fd; /* -1: free */
} dns_sock;

struct sn_resolve;

typedef struct srvq {
    struct sn_resolve *q;
    char name[SN_DNS_NAME_MAX];
    sr_transport tp;
    size_t n; /* records (0 with an error or an empty answer) */
    sn_srv recs[SRV_RECS];
    char targets[SRV_RECS][SN_DNS_NAME_MAX];
} srvq;

typedef struct famq {
    struct hostq *h;
    int family;
    size_t n;
    char addrs[ADDRS_MAX][SR_ADDR_HOST_MAX];
} famq;

typedef struct hostq {
    struct sn_resolve *q;
    char name[SN_DNS_NAME_MAX];
    uint16_t port;
    sr_transport tp;
    famq fam[2]; /* IPv4, IPv6 */
} hostq;

struct sn_resolve {
    sn_resolver *r;
    struct sn_resolve *prev, *next; /* the resolver's list of resolutions in flight */
    sn_resolve_cb cb;
    void *user;
    bool cancelled;
    bool keep; /* the shell's own (send_dns.c): called back even when the resolver goes */
    bool sips;
    bool timed_out, failed;
    int stage;
    int status;       /* ST_DONE: the outcome */
    unsigned pending; /* c-ares queries not answered yet */
    char domain[SN_DNS_NAME_MAX];
    sr_transport fallback; /* the transport when no SRV record answers (RFC 3263 §4.1) */
    srvq srv[SRVQ_MAX];
    size_t n_srv;
    hostq host[SN_TARGETS_MAX];
    size_t n_host;
    sn_targets out;
};

struct sn_resolver {
    sn_loop *l;
    ares_channel ch;
    sn_resolver_opts o;
    dns_sock socks[DNS_SOCKS];
    bool freeing;
    sn_resolve *live; /* in flight (stages NAPTR, SRV, ADDR) */
    sn_resolve *done; /* finished, callbacks not called yet */
    size_t n_live;
    size_t n_all; /* live and done: what max_pending bounds */
};

void sn_resolver_opts_default(sn_resolver_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->timeout_ms = 2000;
    o->tries = 2;
    o->max_pending = 256;
}

static uint32_t csprng(void *user)
{
    (void)user;
    uint32_t v = 0;
    if (sn_random(&v, sizeof(v)) != 0)
        v = 0; /* no entropy: the first record of each priority (still a valid order) */
    return v;
}

/* ------------------------------------------------------------------ loop glue */

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    sn_resolver *r = data;
    dns_sock *s = NULL, *free_slot = NULL;
    for (size_t i = 0; i < DNS_SOCKS && !s; i++) {
        if (r->socks[i].fd == fd)
            s = &r->socks[i];
        else if (r->socks[i].fd < 0 && !free_slot)
            free_slot = &r->socks[i];
    }
    if (!readable && !writable) {
        if (s) { /* c-ares closes it after this call */
            epoll_ctl(r->l->ep, EPOLL_CTL_DEL, fd, NULL);
            s->fd = -1;
        }
        return;
    }
    uint32_t ev = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);
    if (s) {
        sn__ep_mod(r->l, fd, ev, &s->w);
        return;
    }
    if (!free_slot) {
        /* more sockets than slots: its queries end by c-ares's timeout */
        if (r->l->h.warn)
            r->l->h.warn(r->l->h.user, "dns: too many resolver sockets");
        return;
    }
    free_slot->fd = fd;
    if (sn__ep_add(r->l, fd, ev, &free_slot->w) != 0)
        free_slot->fd = -1;
}

static void deliver(sn_resolver *r)
{
    while (r->done) {
        sn_resolve *q = r->done;
        r->done = q->next;
        if (!q->cancelled)
            q->cb(q->user, q->status, &q->out);
        free(q);
        r->n_all--;
    }
}

uint64_t sn__dns_deadline(sn_loop *l)
{
    sn_resolver *r = l->dns;
    if (!r)
        return UINT64_MAX;
    if (r->done)
        return 0;
    if (!r->n_live)
        return UINT64_MAX;
    struct timeval tv;
    if (!ares_timeout(r->ch, NULL, &tv))
        return UINT64_MAX;
    /* rounded up: waking before c-ares's own clock says the time is up only costs a turn */
    return l->now + (uint64_t)tv.tv_sec * 1000u + ((uint64_t)tv.tv_usec + 999u) / 1000u;
}

void sn__dns_timer(sn_loop *l, uint64_t now)
{
    (void)now; /* c-ares compares against its own reading of the clock */
    sn_resolver *r = l->dns;
    if (!r)
        return;
    ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    deliver(r);
}

void sn__dns_event(sn_loop *l, watch *w, uint32_t events)
{
    sn_resolver *r = l->dns;
    dns_sock *s = w->obj;
    if (!r || s->fd < 0)
        return;
    int fd = s->fd;
    ares_process_fd(r->ch, events & (EPOLLIN | EPOLLERR | EPOLLHUP) ? fd : ARES_SOCKET_BAD,
                    events & EPOLLOUT ? fd : ARES_SOCKET_BAD);
    deliver(r);
}

void sn_loop_stop(sn_loop *l)
{
    l->quit = true;
}

int sn_loop_last_error(const sn_loop *l)
{
    return l->last_error;
}

int sn_resolver_new(sn_resolver **out, sn_loop *l, const sn_resolver_opts *o, char *err,
                    size_t errlen)
{
    if (l->dns) {
        snprintf(err, errlen, "the loop has a resolver already");
        return -1;
    }
    int rc = ares_library_init(ARES_LIB_INIT_ALL);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
        return -1;
    }
    sn_resolver *r = calloc(1, sizeof(*r));
    if (!r) {
        ares_library_cleanup();
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->l = l;
    r->o = *o;
    if (!r->o.random)
        r->o.random = csprng;
    if (!r->o.max_pending)
        r->o.max_pending = 1;
    for (size_t i = 0; i < DNS_SOCKS; i++) {
        r->socks[i].fd = -1;
        r->socks[i].w.kind = W_DNS;
        r->socks[i].w.obj = &r->socks[i];
    }
    struct ares_options ao;
    memset(&ao, 0, sizeof(ao));
    ao.sock_state_cb = sock_state;
    ao.sock_state_cb_data = r;
    ao.timeout = (int)(o->timeout_ms ? o->timeout_ms : 2000);
    ao.tries = (int)(o->tries ? o->tries : 2);
    rc = ares_init_options(&r->ch, &ao,
                           ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
        free(r);
        ares_library_cleanup();
        return -1;
    }
    if (o->servers && (rc = ares_set_servers_ports_csv(r->ch, o->servers)) != ARES_SUCCESS) {
        snprintf(err, errlen, "DNS servers '%s': %s", o->servers, ares_strerror(rc));
        ares_destroy(r->ch);
        free(r);
        ares_library_cleanup();
        return -1;
    }
    r->o.servers = NULL; /* not kept: the caller's string may go */
    l->dns = r;
    *out = r;
    return 0;
}

void sn_resolver_free(sn_resolver *r)
{
    if (!r)
        return;
    /* the program's resolutions end silently; the shell's own are called back with a
     * failure, so what they hold (a message waiting for its address) is released */
    for (sn_resolve *q = r->live; q; q = q->next)
        q->cancelled = !q->keep;
    for (sn_resolve *q = r->done; q; q = q->next) {
        q->cancelled = !q->keep;
        if (q->keep) {
            q->out.n = 0;
            q->status = SR_EIO;
        }
    }
    r->freeing = true; /* no new resolution from those callbacks */
    /* every query's callback runs with ARES_EDESTRUCTION: the resolutions end and go to the
     * done list, which is freed without calling back */
    ares_destroy(r->ch);
    deliver(r);
    for (size_t i = 0; i < DNS_SOCKS; i++)
        if (r->socks[i].fd >= 0)
            epoll_ctl(r->l->ep, EPOLL_CTL_DEL, r->socks[i].fd, NULL);
    r->l->dns = NULL;
    free(r);
    ares_library_cleanup();
}

/* ------------------------------------------------------------------ stages */

static uint16_t default_port(sr_transport tp)
{
    return tp == SR_TP_TLS ? 5061 : 5060; /* RFC 3263 §4.2 (RFC 3261 §19.1.2) */
}

static bool tp_supported(sr_transport tp)
{
    return tp == SR_TP_UDP || tp == SR_TP_TCP;
}

static void finish(sn_resolve *q)
{
    sn_resolver *r = q->r;
    q->stage = ST_DONE;
    if (q->out.n)
        q->status = 0;
    else if (q->status == 0)
        q->status = q->timed_out ? SR_ETIMEDOUT : q->failed ? SR_EIO : SR_ENOTFOUND;
    /* live list → done list (delivered when c-ares returns, or on the next loop turn) */
    if (q->prev)
        q->prev->next = q->next;
    else
        r->live = q->next;
    if (q->next)
        q->next->prev = q->prev;
    r->n_live--;
    q->prev = NULL;
    q->next = NULL;
    sn_resolve **tail = &r->done;
    while (*tail)
        tail = &(*tail)->next;
    *tail = q;
}

static void add_target(sn_resolve *q, sr_transport tp, const char *addr, uint16_t port,
                       const char *name)
{
    sn_targets *o = &q->out;
    for (size_t i = 0; i < o->n; i++)
        if (o->t[i].addr.transport == tp && o->t[i].addr.port == port &&
            !strcmp(o->t[i].addr.host, addr))
            return; /* already listed, earlier: the first place wins */
    if (o->n == SN_TARGETS_MAX)
        return;
    sn_target *t = &o->t[o->n];
    if (sr_addr_set(&t->addr, addr, port, tp) != 0)
        return;
    t->supported = tp_supported(tp);
    snprintf(t->name, sizeof(t->name), "%s", name);
    o->n++;
}

/* a c-ares status other than an answer: remember why nothing came */
static void note_status(sn_resolve *q, int status)
{
    if (status == ARES_ETIMEOUT)
        q->timed_out = true;
    else if (status == ARES_ENOMEM)
        q->status = SR_ENOMEM;
    else if (status != ARES_SUCCESS && status != ARES_ENODATA && status != ARES_ENOTFOUND &&
             status != ARES_EDESTRUCTION && status != ARES_ECANCELLED)
        q->failed = true;
}

static void addr_done(void *arg, int status, int timeouts, struct ares_addrinfo *res);

static void start_addr(sn_resolve *q)
{
    q->stage = ST_ADDR;
    if (!q->n_host) {
        finish(q);
        return;
    }
    size_t n = q->n_host;
    q->pending = (unsigned)(2 * n); /* set first: an answer may come back within the call */
    for (size_t i = 0; i < n; i++) {
        hostq *h = &q->host[i];
        for (int f = 0; f < 2; f++) {
            h->fam[f].h = h;
            h->fam[f].family = f ? AF_INET6 : AF_INET;
            struct ares_addrinfo_hints hints = {.ai_family = h->fam[f].family,
                                                .ai_socktype = SOCK_DGRAM};
#ifdef ARES_AI_NOSORT
            hints.ai_flags = ARES_AI_NOSORT;
#endif
            ares_getaddrinfo(q->r->ch, h->name, NULL, &hints, addr_done, &h->fam[f]);
        }
    }
}

static void add_host(sn_resolve *q, const char *name, uint16_t port, sr_transport tp)
{
    if (q->n_host == SN_TARGETS_MAX || strlen(name) >= SN_DNS_NAME_MAX)
        return;
    hostq *h = &q->host[q->n_host++];
    memset(h, 0, sizeof(*h));
    h->q = q;
    snprintf(h->name, sizeof(h->name), "%s", name);
    h->port = port;
    h->tp = tp;
}

static void srv_all_done(sn_resolve *q)
{
    bool any_record = false;
    for (size_t i = 0; i < q->n_srv; i++) {
        srvq *s = &q->srv[i];
        if (!s->n)
            continue;
        any_record = true;
        /* ordered here, in the query order, so the draws do not depend on which answer
         * arrived first (tests inject the draws) */
        sn_srv_order(s->recs, s->n, q->r->o.random, q->r->o.random_user);
        for (size_t k = 0; k < s->n; k++)
            if (strcmp(s->recs[k].target, ".") && s->recs[k].target[0])
                add_host(q, s->recs[k].target, s->recs[k].port, s->tp);
    }
    /* RFC 3263 §4.2: no SRV record at all → A/AAAA of the domain at the transport's default
     * port. (A target "." is RFC 2782's "decidedly not available here": no fallback.) */
    if (!any_record)
        add_host(q, q->domain, default_port(q->fallback), q->fallback);
    start_addr(q);
}

static void srv_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    srvq *s = arg;
    sn_resolve *q = s->q;
    note_status(q, status);
    struct ares_srv_reply *rep = NULL;
    if (status == ARES_SUCCESS && ares_parse_srv_reply(abuf, alen, &rep) == ARES_SUCCESS) {
        for (struct ares_srv_reply *x = rep; x && s->n < SRV_RECS; x = x->next) {
            if (!x->host || strlen(x->host) >= SN_DNS_NAME_MAX)
                continue;
            snprintf(s->targets[s->n], SN_DNS_NAME_MAX, "%s", x->host);
            s->recs[s->n] = (sn_srv){.priority = x->priority,
                                     .weight = x->weight,
                                     .port = x->port,
                                     .target = s->targets[s->n]};
            s->n++;
        }
        ares_free_data(rep);
    }
    if (--q->pending)
        return;
    if (status == ARES_EDESTRUCTION || q->cancelled)
        finish(q);
    else
        srv_all_done(q);
}

static void add_srvq(sn_resolve *q, const char *name, sr_transport tp)
{
    if (q->n_srv == SRVQ_MAX || strlen(name) >= SN_DNS_NAME_MAX)
        return;
    srvq *s = &q->srv[q->n_srv++];
    s->q = q;
    s->tp = tp;
    s->n = 0;
    snprintf(s->name, sizeof(s->name), "%s", name);
}

static void add_srvq_for(sn_resolve *q, sr_transport tp)
{
    /* RFC 3263 §4.2: "_sips" for a SIPS URI, or for TLS with a SIP URI */
    const char *svc = q->sips || tp == SR_TP_TLS ? "_sips" : "_sip";
    const char *proto = tp == SR_TP_UDP ? "_udp" : tp == SR_TP_SCTP ? "_sctp" : "_tcp";
    char name[SN_DNS_NAME_MAX + 16];
    snprintf(name, sizeof(name), "%s.%s.%s", svc, proto, q->domain);
    add_srvq(q, name, tp);
}

static void start_srv(sn_resolve *q)
{
    q->stage = ST_SRV;
    if (!q->n_srv) {
        srv_all_done(q);
        return;
    }
    size_t n = q->n_srv;
    q->pending = (unsigned)n;
    for (size_t i = 0; i < n; i++)
        ares_query(q->r->ch, q->srv[i].name, ns_c_in, ns_t_srv, srv_done, &q->srv[i]);
}

static void naptr_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    sn_resolve *q = arg;
    q->pending--;
    note_status(q, status);
    if (status == ARES_EDESTRUCTION || q->cancelled) {
        finish(q);
        return;
    }
    struct ares_naptr_reply *rep = NULL;
    sn_naptr recs[NAPTR_RECS];
    size_t n = 0;
    if (status == ARES_SUCCESS && ares_parse_naptr_reply(abuf, alen, &rep) == ARES_SUCCESS)
        for (struct ares_naptr_reply *x = rep; x && n < NAPTR_RECS; x = x->next)
            recs[n++] = (sn_naptr){.order = x->order,
                                   .preference = x->preference,
                                   .flags = (const char *)x->flags,
                                   .service = (const char *)x->service,
                                   .regexp = (const char *)x->regexp,
                                   .replacement = x->replacement};
    n = sn_naptr_select(recs, n, q->sips);
    for (size_t i = 0; i < n; i++)
        add_srvq(q, recs[i].replacement, recs[i].transport);
    bool usable = false;
    for (size_t i = 0; i < n; i++)
        usable = usable || tp_supported(recs[i].transport);
    if (n) {
        /* no SRV behind any NAPTR: the best NAPTR's transport (RFC 3263 §4.2, "the
         * transport protocol determined previously") */
        q->fallback = recs[0].transport;
        /* only TLS offered: listed (unsupported) where the NAPTR puts it, and since a client
         * discards the records of transports it lacks (RFC 3263 §4.1), what remains is as
         * if there were no NAPTR: SRV for UDP and TCP after it */
        if (!usable && !q->sips) {
            add_srvq_for(q, SR_TP_UDP);
            add_srvq_for(q, SR_TP_TCP);
        }
    } else {
        /* RFC 3263 §4.1: no NAPTR → SRV for each transport we know, "_sips" for SIPS */
        if (!q->sips) {
            add_srvq_for(q, SR_TP_UDP);
            add_srvq_for(q, SR_TP_TCP);
        }
        add_srvq_for(q, SR_TP_TLS);
    }
    if (rep)
        ares_free_data(rep);
    start_srv(q);
}

static void addr_done(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    famq *f = arg;
    hostq *h = f->h;
    sn_resolve *q = h->q;
    note_status(q, status);
    if (status == ARES_SUCCESS && res) {
        for (struct ares_addrinfo_node *x = res->nodes; x && f->n < ADDRS_MAX; x = x->ai_next) {
            if (x->ai_family != f->family)
                continue;
            char t[INET6_ADDRSTRLEN];
            uint16_t port;
            struct sockaddr_storage ss;
            memset(&ss, 0, sizeof(ss));
            memcpy(&ss, x->ai_addr, x->ai_addrlen < sizeof(ss) ? x->ai_addrlen : sizeof(ss));
            sn__addr_text(&ss, t, sizeof(t), &port);
            if (t[0])
                snprintf(f->addrs[f->n++], SR_ADDR_HOST_MAX, "%s", t);
        }
    }
    if (res)
        ares_freeaddrinfo(res);
    if (--q->pending)
        return;
    if (status != ARES_EDESTRUCTION && !q->cancelled)
        /* RFC 3263 §4.3: the hosts in SRV order; per host, IPv4 then IPv6 (our choice: the
         * RFC leaves the order of one name's addresses open) */
        for (size_t i = 0; i < q->n_host; i++)
            for (int fam = 0; fam < 2; fam++)
                for (size_t k = 0; k < q->host[i].fam[fam].n; k++)
                    add_target(q, q->host[i].tp, q->host[i].fam[fam].addrs[k], q->host[i].port,
                               q->host[i].name);
    finish(q);
}

/* ------------------------------------------------------------------ entry points */

static int new_resolve(sn_resolver *r, sn_resolve_cb cb, void *user, sn_resolve **out)
{
    if (!r || !cb || r->freeing)
        return SR_EINVAL;
    if (r->n_all >= r->o.max_pending)
        return SR_ENOSPC;
    sn_resolve *q = calloc(1, sizeof(*q));
    if (!q)
        return SR_ENOMEM;
    q->r = r;
    q->cb = cb;
    q->user = user;
    q->next = r->live;
    if (r->live)
        r->live->prev = q;
    r->live = q;
    r->n_live++;
    r->n_all++;
    *out = q;
    return 0;
}

/* an address literal (IPv6 with or without brackets) → the text sr_addr carries, or false */
static bool literal(const char *s, size_t n, char *out)
{
    char t[INET6_ADDRSTRLEN + 2];
    if (n >= sizeof(t))
        return false;
    memcpy(t, s, n);
    t[n] = '\0';
    unsigned char bin[16];
    if (inet_pton(AF_INET, t, bin) == 1) {
        snprintf(out, SR_ADDR_HOST_MAX, "%s", t);
        return true;
    }
    const char *v6 = t;
    if (n > 2 && t[0] == '[' && t[n - 1] == ']') {
        t[n - 1] = '\0';
        v6 = t + 1;
    }
    if (inet_pton(AF_INET6, v6, bin) != 1)
        return false;
    char c[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, bin, c, sizeof(c));
    snprintf(out, SR_ADDR_HOST_MAX, "[%s]", c);
    return true;
}

int sn_resolve_host(sn_resolver *r, const char *host, uint16_t port, sr_transport tp,
                    sn_resolve_cb cb, void *user, sn_resolve **handle)
{
    if (!host || !host[0] || strlen(host) >= SN_DNS_NAME_MAX)
        return SR_EINVAL;
    sn_resolve *q;
    int rc = new_resolve(r, cb, user, &q);
    if (rc)
        return rc;
    if (handle)
        *handle = q;
    char lit[SR_ADDR_HOST_MAX];
    if (literal(host, strlen(host), lit)) {
        add_target(q, tp, lit, port, "");
        finish(q);
        return 0;
    }
    snprintf(q->domain, sizeof(q->domain), "%s", host);
    add_host(q, host, port, tp);
    start_addr(q);
    return 0;
}

static int transport_param(const sr_uri *u, sr_transport *tp, bool *given)
{
    sr_str v;
    *given = sr_uri_param_find(u, "transport", &v);
    if (!*given)
        return 0;
    static const struct {
        const char *name;
        sr_transport tp;
    } known[] = {{"udp", SR_TP_UDP}, {"tcp", SR_TP_TCP}, {"tls", SR_TP_TLS}, {"sctp", SR_TP_SCTP}};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (v.len == strlen(known[i].name) && !strncasecmp(v.p, known[i].name, v.len)) {
            *tp = known[i].tp;
            return 0;
        }
    return SR_EUNSUPPORTED;
}

int sn_resolve_uri(sn_resolver *r, const char *uri, size_t len, sn_resolve_cb cb, void *user,
                   sn_resolve **handle)
{
    if (!uri)
        return SR_EINVAL;
    sr_uri u;
    if (sr_uri_parse(&u, uri, len, NULL) != 0)
        return SR_EBADMSG;
    if (u.kind != SR_URI_SIP && u.kind != SR_URI_SIPS)
        return SR_EUNSUPPORTED;
    bool sips = u.kind == SR_URI_SIPS;
    sr_transport tp = SR_TP_UDP;
    bool tp_given;
    int rc = transport_param(&u, &tp, &tp_given);
    if (rc)
        return rc;
    /* RFC 3263 §4.1: a SIPS URI goes over TLS (transport=tcp names TLS's substrate); RFC 3261
     * §26.2.2: never over UDP or SCTP */
    if (sips && (tp == SR_TP_TCP || !tp_given))
        tp = SR_TP_TLS;
    if (sips && tp != SR_TP_TLS)
        return SR_EUNSUPPORTED;
    /* RFC 3263 §4: maddr, when present, is the TARGET */
    sr_str target = u.host, maddr;
    if (sr_uri_param_find(&u, "maddr", &maddr) && maddr.len)
        target = maddr;
    if (target.len == 0 || target.len >= SN_DNS_NAME_MAX || memchr(target.p, '\0', target.len))
        return SR_EBADMSG;
    sn_resolve *q;
    if ((rc = new_resolve(r, cb, user, &q)) != 0)
        return rc;
    if (handle)
        *handle = q;
    q->sips = sips;
    q->fallback = tp; /* the URI's, else UDP (SIP) or TLS (SIPS): RFC 3263 §4.1 */
    memcpy(q->domain, target.p, target.len);
    q->domain[target.len] = '\0';
    uint16_t port = u.has_port ? u.port : default_port(tp);
    char lit[SR_ADDR_HOST_MAX];
    if (literal(target.p, target.len, lit)) {
        /* RFC 3263 §4.1/§4.2: a numeric TARGET is used as it is */
        add_target(q, tp, lit, port, "");
        finish(q);
    } else if (u.has_port) {
        /* RFC 3263 §4.2: a port given → A/AAAA only */
        add_host(q, q->domain, port, tp);
        start_addr(q);
    } else if (tp_given) {
        /* RFC 3263 §4.1/§4.2: a transport given → no NAPTR; SRV for that transport */
        add_srvq_for(q, tp);
        start_srv(q);
    } else {
        q->stage = ST_NAPTR;
        q->pending = 1;
        ares_query(r->ch, q->domain, ns_c_in, ns_t_naptr, naptr_done, q);
    }
    return 0;
}

void sn__resolve_keep(sn_resolve *q)
{
    q->keep = true;
}

void sn_resolve_cancel(sn_resolve *q)
{
    if (q)
        q->cancelled = true;
}
