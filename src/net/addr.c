/* sipreply network shell: addresses — sockaddr inside the shell, text only at its edge
 * (sr_addr, sn_local, logs), with one-entry caches of the last peers; the listeners. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <unistd.h>

/* Dotted-quad text of @p a (network order) into @p out (at least 16 bytes): what inet_ntop
 * writes, without its sprintf. */
static void ipv4_text(const struct in_addr *a, char *out)
{
    const unsigned char *b = (const unsigned char *)&a->s_addr;
    char *p = out;
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (v >= 100) {
            *p++ = (char)('0' + v / 100);
            v %= 100;
            *p++ = (char)('0' + v / 10);
        } else if (v >= 10) {
            *p++ = (char)('0' + v / 10);
        }
        *p++ = (char)('0' + v % 10);
        *p++ = i < 3 ? '.' : '\0';
    }
}

/* "1.2.3.4" / "[::1]" with port from a sockaddr. Runs for every datagram received (the core's
 * sr_addr carries the source as text): IPv4, the common case, is formatted by hand. */
void sn__addr_text(const struct sockaddr_storage *ss, char *host, size_t cap, uint16_t *port)
{
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        char t[INET6_ADDRSTRLEN];
        if (!inet_ntop(AF_INET6, &s6->sin6_addr, t, sizeof(t)))
            t[0] = '\0';
        size_t n = strlen(t);
        if (cap < n + 3) {
            host[0] = '\0';
        } else {
            host[0] = '[';
            memcpy(host + 1, t, n);
            host[n + 1] = ']';
            host[n + 2] = '\0';
        }
        *port = ntohs(s6->sin6_port);
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        if (cap >= INET_ADDRSTRLEN)
            ipv4_text(&s4->sin_addr, host);
        else
            host[0] = '\0';
        *port = ntohs(s4->sin_port);
    }
}

/* sr_addr host text + port → sockaddr. 0 (an address literal), SN_ADDR_NAME (a name: resolved
 * here only with @p resolve, for a listener; a message's destination goes to the resolver,
 * send_dns.c) or -1. */
int sn__text_addr(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *sl,
                  bool resolve)
{
    memset(ss, 0, sizeof(*ss));
    size_t n = strlen(host);
    if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
        char t[INET6_ADDRSTRLEN];
        if (n - 2 >= sizeof(t))
            return -1;
        memcpy(t, host + 1, n - 2);
        t[n - 2] = '\0';
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, t, &s6->sin6_addr) != 1)
            return -1;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        *sl = sizeof(*s6);
        return 0;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        *sl = sizeof(*s4);
        return 0;
    }
    if (!resolve)
        return SN_ADDR_NAME;
    /* a listener's name ("tcp:localhost:5060"): at setup, before the loop serves anyone */
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return -1;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sl = (socklen_t)res->ai_addrlen;
    freeaddrinfo(res);
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    return SN_ADDR_NAME;
}

/* The same IPv4 or IPv6 address, and port when @p with_port (the fields recvmmsg and
 * accept fill; padding ignored). */
bool sn__same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
                   bool with_port)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a,
                                 *y = (const struct sockaddr_in *)b;
        return (!with_port || x->sin_port == y->sin_port) &&
               x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a,
                                  *y = (const struct sockaddr_in6 *)b;
        return (!with_port || x->sin6_port == y->sin6_port) &&
               x->sin6_scope_id == y->sin6_scope_id &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return false;
}

/* sn__addr_text through the cache of the last sources. */
void sn__rx_text(sn_loop *l, const struct sockaddr_storage *ss, char *host, uint16_t *port)
{
    unsigned i = 0;
    while (i < SN_PEER_CACHE && !(l->rx[i].valid && sn__same_addr(ss, &l->rx[i].ss, true)))
        i++;
    if (i == SN_PEER_CACHE) {
        i = l->rx_next;
        l->rx_next = (i + 1) % SN_PEER_CACHE;
        sn__addr_text(ss, l->rx[i].host, sizeof(l->rx[i].host), &l->rx[i].port);
        l->rx[i].ss = *ss;
        l->rx[i].valid = true;
    }
    memcpy(host, l->rx[i].host, sizeof(l->rx[i].host));
    *port = l->rx[i].port;
}

/* sn__text_addr through the cache of the last destinations. */
int sn__tx_addr(sn_loop *l, const char *host, uint16_t port, struct sockaddr_storage *ss,
                socklen_t *sl)
{
    for (unsigned i = 0; i < SN_PEER_CACHE; i++)
        if (l->tx[i].valid && l->tx[i].port == port && strcmp(l->tx[i].host, host) == 0) {
            *ss = l->tx[i].ss;
            *sl = l->tx[i].sl;
            return 0;
        }
    int rc = sn__text_addr(host, port, ss, sl, false);
    if (rc != 0)
        return rc;
    size_t n = strlen(host);
    if (n < sizeof(l->tx[0].host)) {
        unsigned i = l->tx_next;
        l->tx_next = (i + 1) % SN_PEER_CACHE;
        memcpy(l->tx[i].host, host, n + 1);
        l->tx[i].port = port;
        l->tx[i].ss = *ss;
        l->tx[i].sl = *sl;
        l->tx[i].valid = true;
    }
    return 0;
}

/* "HOST:PORT", "[V6]:PORT" → host text (brackets kept) and port. */
static int split_hostport(const char *s, char *host, size_t cap, uint16_t *port)
{
    const char *colon;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || rb[1] != ':')
            return -1;
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
    }
    size_t hl = (size_t)(colon - s);
    if (hl == 0 || hl >= cap)
        return -1;
    memcpy(host, s, hl);
    host[hl] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || colon[1] == '\0' || p < 0 || p > 65535)
        return -1;
    *port = (uint16_t)p;
    return 0;
}

int sn__open_listener(lsn *ls, sr_transport tp, const char *hostport, char *bound, size_t boundlen,
                      char *err, size_t errlen)
{
    char host[SR_ADDR_HOST_MAX];
    uint16_t port;
    if (split_hostport(hostport, host, sizeof(host), &port) != 0) {
        snprintf(err, errlen, "'%s': expected HOST:PORT ([V6]:PORT for IPv6)", hostport);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl;
    if (sn__text_addr(host, port, &ss, &sl, true) < 0) {
        snprintf(err, errlen, "'%s': not an address", host);
        return -1;
    }
    int fd = socket(ss.ss_family, (tp == SR_TP_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    /* TCP only: on UDP, Linux lets a second socket bind the same address with it, and two
     * daemons would silently share the port */
    if (tp == SR_TP_TCP)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (tp == SR_TP_UDP) {
        /* big buffers absorb bursts and scheduling stalls instead of dropping: beyond
         * net.core.rmem_max as root (SO_*BUFFORCE), up to it otherwise */
        int sz = 32 << 20;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) != 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    }
    /* a UDP socket stays blocking with a short receive timeout: the loop may sleep in
     * recvmmsg on it (sn__udp_wait); every other call on it passes MSG_DONTWAIT */
    struct timeval tmo = {.tv_sec = 0, .tv_usec = UDP_WAIT_MS * 1000};
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || (tp == SR_TP_TCP && listen(fd, 511) != 0) ||
        (tp == SR_TP_TCP ? sn__set_nonblock(fd)
                         : setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo))) != 0) {
        snprintf(err, errlen, "%s %s: %s", tp == SR_TP_UDP ? "udp" : "tcp", hostport,
                 strerror(errno));
        close(fd);
        return -1;
    }
    struct sockaddr_storage got;
    socklen_t gl = sizeof(got);
    getsockname(fd, (struct sockaddr *)&got, &gl);
    ls->fd = fd;
    ls->tp = tp;
    ls->family = ss.ss_family;
    if (tp == SR_TP_UDP) {
        /* a wildcard address: ask for each datagram's destination, so Contact and SDP name
         * the address the request reached */
        static const uint8_t any6[16] = {0};
        ls->wildcard = ss.ss_family == AF_INET6
                           ? !memcmp(&((struct sockaddr_in6 *)&ss)->sin6_addr, any6, 16)
                           : ((struct sockaddr_in *)&ss)->sin_addr.s_addr == htonl(INADDR_ANY);
        if (ls->wildcard && ss.ss_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
        else if (ls->wildcard)
            setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
    }
    sn__addr_text(&got, ls->local.host, sizeof(ls->local.host), &ls->local.port);
    if (bound)
        snprintf(bound, boundlen, "%s:%s:%u", tp == SR_TP_UDP ? "udp" : "tcp", ls->local.host,
                 ls->local.port);
    return 0;
}

/* Open @p spec into slot @p ls (index @p index). 0 or -1 with @p err. */
static int listen_at(sn_loop *l, lsn *ls, size_t index, const char *spec, char *bound,
                     size_t boundlen, char *err, size_t errlen)
{
    l->in_for = NULL; /* a slot may be reused with other options: set the headers up anew */
    sr_transport tp;
    if (!strncasecmp(spec, "udp:", 4))
        tp = SR_TP_UDP;
    else if (!strncasecmp(spec, "tcp:", 4))
        tp = SR_TP_TCP;
    else {
        snprintf(err, errlen, "'%s': expected udp:HOST:PORT or tcp:HOST:PORT", spec);
        return -1;
    }
    if (strlen(spec) >= sizeof(ls->spec)) {
        snprintf(err, errlen, "'%.40s...': too long", spec);
        return -1;
    }
    memset(ls, 0, sizeof(*ls));
    ls->fd = -1;
    if (sn__open_listener(ls, tp, spec + 4, bound, boundlen, err, errlen) != 0) {
        ls->fd = -1;
        return -1;
    }
    if (tp == SR_TP_UDP && l->o.udp_errors) {
        int one = 1;
        if (ls->family == AF_INET6)
            setsockopt(ls->fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
        else
            setsockopt(ls->fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
    }
    snprintf(ls->spec, sizeof(ls->spec), "%s", spec);
    ls->index = index;
    ls->w.kind = tp == SR_TP_UDP ? W_UDP : W_TCP_LSN;
    ls->w.obj = ls;
    if (sn__ep_add(l, ls->fd, EPOLLIN, &ls->w) != 0) {
        snprintf(err, errlen, "epoll: %s", strerror(errno));
        close(ls->fd);
        ls->fd = -1;
        return -1;
    }
    return 0;
}

int sn_listen(sn_loop *l, const char *spec, char *bound, size_t boundlen, char *err, size_t errlen)
{
    if (l->n_lsns == MAX_LISTENERS) {
        snprintf(err, errlen, "at most %d listeners", MAX_LISTENERS);
        return -1;
    }
    if (listen_at(l, &l->lsns[l->n_lsns], l->n_lsns, spec, bound, boundlen, err, errlen) != 0)
        return -1;
    l->n_lsns++;
    return 0;
}

static bool spec_listed(const char *spec, const char *const *specs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(spec, specs[i]))
            return true;
    return false;
}

static lsn *open_spec(sn_loop *l, const char *spec)
{
    for (size_t i = 0; i < l->n_lsns; i++)
        if (l->lsns[i].fd >= 0 && !strcasecmp(l->lsns[i].spec, spec))
            return &l->lsns[i];
    return NULL;
}

static void note(char *out, size_t cap, const char *what, const char *spec)
{
    size_t n = strlen(out);
    if (n < cap)
        snprintf(out + n, cap - n, "%s%s %s", n ? ", " : "", what, spec);
}

int sn_listen_set(sn_loop *l, const char *const *specs, size_t n, char *changes, size_t changeslen,
                  char *err, size_t errlen)
{
    if (changeslen)
        changes[0] = '\0';
    bool opened[MAX_LISTENERS] = {false};
    for (size_t i = 0; i < n; i++) {
        if (open_spec(l, specs[i]) || spec_listed(specs[i], specs, i))
            continue;
        /* a free slot: one never used, else one closed before (its UDP route is gone) */
        size_t slot = l->n_lsns;
        for (size_t k = 0; slot == MAX_LISTENERS && k < l->n_lsns; k++)
            if (l->lsns[k].fd < 0)
                slot = k;
        if (slot == MAX_LISTENERS) {
            snprintf(err, errlen, "at most %d listeners", MAX_LISTENERS);
            goto undo;
        }
        char bound[160];
        if (listen_at(l, &l->lsns[slot], slot, specs[i], bound, sizeof(bound), err, errlen) != 0)
            goto undo;
        opened[slot] = true;
        if (slot == l->n_lsns)
            l->n_lsns++;
        note(changes, changeslen, "opened", bound);
    }
    for (size_t k = 0; k < l->n_lsns; k++) {
        lsn *ls = &l->lsns[k];
        if (ls->fd < 0 || opened[k] || spec_listed(ls->spec, specs, n))
            continue;
        close(ls->fd); /* also leaves the epoll set */
        ls->fd = -1;
        note(changes, changeslen, "closed", ls->spec);
    }
    return 0;
undo:
    for (size_t k = 0; k < l->n_lsns; k++)
        if (opened[k]) {
            close(l->lsns[k].fd);
            l->lsns[k].fd = -1;
        }
    return -1;
}

void sn_listeners(const sn_loop *l, char *out, size_t cap)
{
    if (cap)
        out[0] = '\0';
    size_t n = 0;
    for (size_t k = 0; k <= l->n_lsns; k++) {
        const lsn *ls = k < l->n_lsns ? &l->lsns[k] : &l->metrics;
        if (k == l->n_lsns && !l->have_metrics)
            break;
        if (ls->fd < 0 || n >= cap)
            continue;
        const char *what = k == l->n_lsns ? "metrics" : ls->tp == SR_TP_UDP ? "udp" : "tcp";
        int w = snprintf(out + n, cap - n, "%s %s %u\n", what, ls->local.host, ls->local.port);
        n = w < 0 ? cap : n + (size_t)w;
    }
}

int sn_local_addr_for(const sr_addr *to, char *host, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    if (sn__text_addr(to->host, to->port ? to->port : 5060, &ss, &sl, false) != 0)
        return -1;
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_storage me;
    socklen_t ml = sizeof(me);
    int rc = -1;
    if (connect(fd, (struct sockaddr *)&ss, sl) == 0 &&
        getsockname(fd, (struct sockaddr *)&me, &ml) == 0) {
        uint16_t port;
        sn__addr_text(&me, host, cap, &port);
        rc = host[0] ? 0 : -1;
    }
    close(fd);
    return rc;
}
