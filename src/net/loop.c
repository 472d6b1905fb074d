/* sipreplyd network shell: epoll, UDP (recvmmsg/sendmmsg), TCP connections with the core's
 * stream framer, signals through signalfd, the /metrics endpoint, CLOCK_MONOTONIC. */
#define _GNU_SOURCE
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../daemon/engine.h"

#define MAX_LISTENERS 16
#define UDP_BATCH     32
#define UDP_BUF       65536
#define OUT_BATCH     64
#define OUT_BYTES     (256 * 1024)
#define METRICS_MAX   16
#define REFL_WAYS     4
#define REFL_BUCKETS  2048 /* 8,192 sources with a reflection budget, ~48 bytes each */

enum { W_SIGNAL = 1, W_UDP, W_TCP_LSN, W_CONN, W_METRICS_LSN, W_METRICS_CONN };

typedef struct watch {
    int kind;
    void *obj; /* the lsn, conn or mconn this watch is part of */
} watch;

typedef struct lsn {
    watch w;
    int fd;         /* -1: closed (the slot stays: its index is a UDP route, sr_addr.conn_id) */
    char spec[128]; /* as given to sn_listen, for sn_listen_set */
    sr_transport tp;
    int family;
    size_t index;
    sd_local local;
    bool wildcard; /* bound to 0.0.0.0 or [::]: our address comes from IP_PKTINFO */
} lsn;

typedef struct conn {
    watch w;
    int fd;
    uint64_t id;
    sd_local local;
    sr_addr peer;
    char *rbuf;
    size_t rlen, rcap;
    sr_frame fr;
    char *wbuf;
    size_t wlen, wcap;
    uint64_t last;      /* the last complete message either way (or the accept/connect) */
    uint64_t msg_start; /* when the message being read began (0: none; sn_opts.message_ms) */
    bool connecting;
    bool in_use;
} conn;

/* Closures of TCP connections the daemon decides, counted in /metrics by reason. */
enum { TC_IDLE, TC_MESSAGE, TC_PER_SOURCE, TC_EVICTED, TC_FULL, TC__COUNT };
static const char *const tc_reason[TC__COUNT] = {"idle", "message_timeout", "per_source", "evicted",
                                                 "full"};

/* One source address's reflection budget (sn_opts.reflection_budget). */
typedef struct refl {
    uint8_t ip[16]; /* IPv6, or IPv4 as ::ffff:a.b.c.d */
    int64_t owed;   /* bytes sent minus credit for requests since the last sign of life */
    uint64_t since; /* when this period without a sign of life began; 0: slot free */
    uint64_t used;  /* last touched: the bucket's least recent goes first */
    bool logged;    /* over budget in this period, and said so */
} refl;

typedef struct mconn {
    watch w;
    int fd;
    char buf[2048];
    size_t len;
    uint64_t started;
    bool in_use;
} mconn;

struct sn_loop {
    int ep;
    watch sigw;
    int sigfd;
    sn_opts o;
    sn_hooks h;
    sd_engine *e;
    lsn lsns[MAX_LISTENERS];
    size_t n_lsns;
    conn *conns;
    size_t n_conns;
    uint64_t conn_serial;
    lsn metrics;
    bool have_metrics;
    mconn mconns[METRICS_MAX];
    /* UDP input batch */
    struct mmsghdr in[UDP_BATCH];
    struct iovec in_iov[UDP_BATCH];
    struct sockaddr_storage in_addr[UDP_BATCH];
    struct {
        _Alignas(struct cmsghdr) char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    } in_ctl[UDP_BATCH];
    char *in_buf;
    const lsn *in_for; /* the listener the input headers are set up for */
    size_t in_used;    /* headers the last recvmmsg filled (to set up again) */
    /* UDP output batch, one socket at a time */
    int out_fd;
    struct mmsghdr out[OUT_BATCH];
    struct iovec out_iov[OUT_BATCH];
    struct sockaddr_storage out_addr[OUT_BATCH];
    size_t out_n, out_used;
    char *out_buf;
    /* UDP GSO (sn_opts.udp_gso): the sendmmsg entries after runs of equal-size datagrams to
     * one destination are merged, each with its UDP_SEGMENT control message */
    bool gso;
    struct mmsghdr gso_msgs[OUT_BATCH];
    size_t gso_first[OUT_BATCH]; /* the datagram each entry starts at */
    size_t gso_count[OUT_BATCH]; /* datagrams in it */
    struct {
        _Alignas(struct cmsghdr) char buf[CMSG_SPACE(sizeof(uint16_t))];
    } gso_ctl[OUT_BATCH];
    /* The last peer seen and the last one sent to, kept as both sockaddr and text: a load
     * of datagrams mostly comes from and goes to a few peers, and the core's sr_addr carries
     * the address as text (formatted for each datagram received, parsed for each sent). */
    struct sockaddr_storage rx_ss;
    char rx_host[SR_ADDR_HOST_MAX];
    uint16_t rx_port;
    bool rx_valid;
    struct sockaddr_storage tx_ss;
    socklen_t tx_sl;
    char tx_host[SR_ADDR_HOST_MAX];
    uint16_t tx_port;
    bool tx_valid;
    bool stopping;
    uint64_t stop_deadline;
    uint64_t now; /* the time read once per loop turn (and per batch of datagrams) */
    uint64_t tcp_closed[TC__COUNT];
    uint64_t tcp_reconnects, tcp_reused;
    /* reflection budget: a fixed table of sources, a one-entry cache of the last one, the
     * source of the datagram being received (for the engine's signs) */
    refl *refl;
    refl *refl_last;
    uint8_t refl_key[16];
    const struct sockaddr_storage *rx_cur;
    size_t rx_cur_len;
    uint64_t refl_dropped, refl_dropped_bytes, refl_limited;
};

uint64_t sn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int sn_random(void *buf, size_t n)
{
    unsigned char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(p + got, n - got, 0);
        if (r > 0) {
            got += (size_t)r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else if (r < 0 && errno == ENOSYS) {
            break; /* a kernel older than 3.17 */
        } else {
            return -1;
        }
    }
    if (got == n)
        return 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r > 0)
            got += (size_t)r;
        else if (!(r < 0 && errno == EINTR))
            break;
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return got == n ? 0 : -1;
}

void sn_opts_default(sn_opts *o)
{
    o->max_conns = 1024;
    o->max_conn_buffer = 262144;
    o->idle_ms = 120000;
    o->message_ms = 20000;
    o->max_conns_per_source = 256;
    o->reflection_budget = 2048;
    o->reflection_ratio = 4;
    o->reflection_window_ms = 64000;
    o->shutdown_ms = 5000;
    o->udp_gso = false;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL, 0);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int ep_add(sn_loop *l, int fd, uint32_t events, watch *w)
{
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev);
}

static int ep_mod(sn_loop *l, int fd, uint32_t events, watch *w)
{
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev);
}

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
static void addr_text(const struct sockaddr_storage *ss, char *host, size_t cap, uint16_t *port)
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

/* sr_addr host text + port → sockaddr. 0 (an address literal), 1 (a name, resolved now) or
 * -1. */
static int text_addr(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *sl)
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
    /* a name (a Via sent-by): resolve it */
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
    return 1;
}

/* The same IPv4 or IPv6 address and port (the fields recvmmsg fills; padding ignored). */
static bool same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a,
                                 *y = (const struct sockaddr_in *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a,
                                  *y = (const struct sockaddr_in6 *)b;
        return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return false;
}

/* addr_text through the one-entry cache of the last source. */
static void rx_addr_text(sn_loop *l, const struct sockaddr_storage *ss, char *host, uint16_t *port)
{
    if (!l->rx_valid || !same_peer(ss, &l->rx_ss)) {
        addr_text(ss, l->rx_host, sizeof(l->rx_host), &l->rx_port);
        l->rx_ss = *ss;
        l->rx_valid = true;
    }
    memcpy(host, l->rx_host, sizeof(l->rx_host));
    *port = l->rx_port;
}

/* text_addr through the one-entry cache of the last destination. */
static int tx_text_addr(sn_loop *l, const char *host, uint16_t port, struct sockaddr_storage *ss,
                        socklen_t *sl)
{
    if (l->tx_valid && l->tx_port == port && strcmp(l->tx_host, host) == 0) {
        *ss = l->tx_ss;
        *sl = l->tx_sl;
        return 0;
    }
    int rc = text_addr(host, port, ss, sl);
    if (rc < 0)
        return -1;
    size_t n = strlen(host);
    if (rc == 0 && n < sizeof(l->tx_host)) { /* literals only: a name is resolved each time */
        memcpy(l->tx_host, host, n + 1);
        l->tx_port = port;
        l->tx_ss = *ss;
        l->tx_sl = *sl;
        l->tx_valid = true;
    }
    return 0;
}

/* ------------------------------------------------------------------ setup */

int sn_loop_new(sn_loop **out, const sn_opts *o, const sn_hooks *h, char *err, size_t errlen)
{
    sn_loop *l = calloc(1, sizeof(*l));
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    l->o = *o;
    l->h = *h;
    l->gso = o->udp_gso;
    l->out_fd = -1;
    l->sigfd = -1;
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    l->in_buf = malloc((size_t)UDP_BATCH * UDP_BUF);
    l->out_buf = malloc(OUT_BYTES);
    l->conns = calloc(o->max_conns ? o->max_conns : 1, sizeof(*l->conns));
    if (o->reflection_budget)
        l->refl = calloc((size_t)REFL_BUCKETS * REFL_WAYS, sizeof(*l->refl));
    if (l->ep < 0 || !l->in_buf || !l->out_buf || !l->conns ||
        (o->reflection_budget && (!l->refl || sn_random(l->refl_key, sizeof(l->refl_key)) != 0))) {
        snprintf(err, errlen, "cannot set up the event loop: %s", strerror(errno));
        sn_loop_free(l);
        return -1;
    }
    l->n_conns = o->max_conns ? o->max_conns : 1;
    for (size_t i = 0; i < UDP_BATCH; i++) {
        l->in_iov[i].iov_base = l->in_buf + i * UDP_BUF;
        l->in_iov[i].iov_len = UDP_BUF;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    l->sigw.kind = W_SIGNAL;
    if (l->sigfd < 0 || ep_add(l, l->sigfd, EPOLLIN, &l->sigw) != 0) {
        snprintf(err, errlen, "signalfd: %s", strerror(errno));
        sn_loop_free(l);
        return -1;
    }
    *out = l;
    return 0;
}

void sn_loop_set_engine(sn_loop *l, sd_engine *e)
{
    l->e = e;
}

static void conn_close(sn_loop *l, conn *c)
{
    if (!c->in_use)
        return;
    close(c->fd);
    free(c->rbuf);
    free(c->wbuf);
    memset(c, 0, sizeof(*c));
    (void)l;
}

void sn_loop_free(sn_loop *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n_lsns; i++)
        if (l->lsns[i].fd >= 0)
            close(l->lsns[i].fd);
    for (size_t i = 0; l->conns && i < l->n_conns; i++)
        conn_close(l, &l->conns[i]);
    for (size_t i = 0; i < METRICS_MAX; i++)
        if (l->mconns[i].in_use)
            close(l->mconns[i].fd);
    if (l->have_metrics && l->metrics.fd >= 0)
        close(l->metrics.fd);
    if (l->sigfd >= 0)
        close(l->sigfd);
    if (l->ep >= 0)
        close(l->ep);
    free(l->conns);
    free(l->refl);
    free(l->in_buf);
    free(l->out_buf);
    free(l);
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

static int open_listener(lsn *ls, sr_transport tp, const char *hostport, char *bound,
                         size_t boundlen, char *err, size_t errlen)
{
    char host[SR_ADDR_HOST_MAX];
    uint16_t port;
    if (split_hostport(hostport, host, sizeof(host), &port) != 0) {
        snprintf(err, errlen, "'%s': expected HOST:PORT ([V6]:PORT for IPv6)", hostport);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl;
    if (text_addr(host, port, &ss, &sl) < 0) {
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
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || (tp == SR_TP_TCP && listen(fd, 511) != 0) ||
        set_nonblock(fd) != 0) {
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
    addr_text(&got, ls->local.host, sizeof(ls->local.host), &ls->local.port);
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
    if (open_listener(ls, tp, spec + 4, bound, boundlen, err, errlen) != 0) {
        ls->fd = -1;
        return -1;
    }
    snprintf(ls->spec, sizeof(ls->spec), "%s", spec);
    ls->index = index;
    ls->w.kind = tp == SR_TP_UDP ? W_UDP : W_TCP_LSN;
    ls->w.obj = ls;
    if (ep_add(l, ls->fd, EPOLLIN, &ls->w) != 0) {
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

int sn_metrics_listen(sn_loop *l, const char *hostport, char *bound, size_t boundlen, char *err,
                      size_t errlen)
{
    if (open_listener(&l->metrics, SR_TP_TCP, hostport, NULL, 0, err, errlen) != 0)
        return -1;
    l->metrics.w.kind = W_METRICS_LSN;
    l->metrics.w.obj = &l->metrics;
    if (ep_add(l, l->metrics.fd, EPOLLIN, &l->metrics.w) != 0) {
        snprintf(err, errlen, "epoll: %s", strerror(errno));
        close(l->metrics.fd);
        return -1;
    }
    l->have_metrics = true;
    snprintf(bound, boundlen, "http://%s:%u/metrics", l->metrics.local.host, l->metrics.local.port);
    return 0;
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

/* ------------------------------------------------------------------ UDP */

/* Send entries [from, to) of the batch one datagram each; failures are dropped as the network
 * might have (the transaction layer retransmits). */
static void udp_send_plain(sn_loop *l, size_t from, size_t to)
{
    size_t done = from;
    while (done < to) {
        int n = sendmmsg(l->out_fd, l->out + done, (unsigned)(to - done), 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            /* EAGAIN (socket buffer full) or an ICMP error reported now: drop this one */
            done++;
            continue;
        }
        done += (size_t)n;
    }
}

#ifdef UDP_SEGMENT
/* The longest run from datagram @p i that one GSO send can carry: same destination, every
 * datagram of the first one's size but the last (which may be shorter), within the kernel's
 * bounds (64 segments, 64 KB). */
static size_t gso_run(const sn_loop *l, size_t i)
{
    size_t seg = l->out_iov[i].iov_len, k = 1, total = seg;
    while (i + k < l->out_n && k < 64) {
        size_t len = l->out_iov[i + k].iov_len;
        socklen_t sl = l->out[i].msg_hdr.msg_namelen;
        if (len > seg || total + len > 65000 || l->out[i + k].msg_hdr.msg_namelen != sl ||
            memcmp(&l->out_addr[i + k], &l->out_addr[i], sl) != 0)
            break;
        total += len;
        k++;
        if (len < seg)
            break; /* a shorter one ends the run */
    }
    return k;
}

/* Send the batch with runs merged (sn_opts.udp_gso). false when the kernel refuses UDP GSO
 * before anything was sent: the caller sends the batch plainly and GSO stays off. */
static bool udp_send_gso(sn_loop *l)
{
    size_t ne = 0;
    for (size_t i = 0; i < l->out_n;) {
        size_t k = gso_run(l, i);
        struct mmsghdr *m = &l->gso_msgs[ne];
        memset(m, 0, sizeof(*m));
        m->msg_hdr.msg_name = &l->out_addr[i];
        m->msg_hdr.msg_namelen = l->out[i].msg_hdr.msg_namelen;
        m->msg_hdr.msg_iov = &l->out_iov[i];
        m->msg_hdr.msg_iovlen = k;
        if (k > 1) {
            m->msg_hdr.msg_control = l->gso_ctl[ne].buf;
            m->msg_hdr.msg_controllen = sizeof(l->gso_ctl[ne].buf);
            struct cmsghdr *cm = CMSG_FIRSTHDR(&m->msg_hdr);
            cm->cmsg_level = SOL_UDP;
            cm->cmsg_type = UDP_SEGMENT;
            cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            uint16_t seg = (uint16_t)l->out_iov[i].iov_len;
            memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
        }
        l->gso_first[ne] = i;
        l->gso_count[ne] = k;
        ne++;
        i += k;
    }
    size_t done = 0;
    while (done < ne) {
        int n = sendmmsg(l->out_fd, l->gso_msgs + done, (unsigned)(ne - done), 0);
        if (n >= 0) {
            done += (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (l->gso_count[done] > 1 &&
            (errno == EIO || errno == ENOPROTOOPT || errno == EOPNOTSUPP)) {
            /* no UDP GSO here: this run and the rest one datagram each, and GSO off */
            l->gso = false;
            udp_send_plain(l, l->gso_first[done], l->out_n);
            return true;
        }
        if (l->gso_count[done] > 1 && (errno == EINVAL || errno == EMSGSIZE)) {
            /* this run cannot go as one (a segment larger than the path MTU needs IP
             * fragmentation, which GSO does not do): one datagram each */
            udp_send_plain(l, l->gso_first[done], l->gso_first[done] + l->gso_count[done]);
            done++;
            continue;
        }
        done++; /* EAGAIN or an ICMP error: dropped, as the network might have */
    }
    return true;
}
#endif

static void udp_flush(sn_loop *l)
{
#ifdef UDP_SEGMENT
    if (l->gso && l->out_n > 1 && udp_send_gso(l)) {
        l->out_n = 0;
        l->out_used = 0;
        return;
    }
#endif
    udp_send_plain(l, 0, l->out_n);
    l->out_n = 0;
    l->out_used = 0;
}

static lsn *udp_socket_for(sn_loop *l, const sr_addr *to, int family)
{
    if (to->conn_id < l->n_lsns) {
        lsn *ls = &l->lsns[to->conn_id];
        if (ls->tp == SR_TP_UDP && ls->family == family && ls->fd >= 0)
            return ls;
    }
    for (size_t i = 0; i < l->n_lsns; i++)
        if (l->lsns[i].tp == SR_TP_UDP && l->lsns[i].family == family && l->lsns[i].fd >= 0)
            return &l->lsns[i];
    return NULL;
}

/* ------------------------------------------------------------------ reflection budget
 *
 * A spoofed request makes us send its responses, and their retransmissions, to an address
 * that never asked (RFC 3261 §26.1.5, §26.3.2.4). Per source IP address (not
 * port: a spoofer picks ports freely): the bytes sent to it, less reflection_ratio times the
 * bytes of each new request it sent (retransmissions, which the transaction layer absorbs,
 * earn nothing), may not exceed reflection_budget while it shows no sign of life (an ACK or
 * PRACK carrying what only our response told it). Over it, datagrams to it are dropped until
 * it shows one or reflection_window_ms pass. A fixed table: the least recently used source
 * of a bucket makes room (it starts a fresh budget when it comes back). */

static void refl_ip(const struct sockaddr_storage *ss, uint8_t ip[16])
{
    if (ss->ss_family == AF_INET6) {
        memcpy(ip, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
        return;
    }
    memset(ip, 0, 10);
    ip[10] = ip[11] = 0xff;
    memcpy(ip + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
}

/* The source's entry; NULL when not there and !@p create. O(1), no system call. */
static refl *refl_get(sn_loop *l, const struct sockaddr_storage *ss, bool create)
{
    uint8_t ip[16];
    refl_ip(ss, ip);
    refl *r = l->refl_last;
    if (!r || !r->since || memcmp(r->ip, ip, 16) != 0) {
        refl *b = &l->refl[(sr_siphash24(l->refl_key, ip, 16) & (REFL_BUCKETS - 1)) * REFL_WAYS];
        r = NULL;
        for (size_t k = 0; k < REFL_WAYS && !r; k++)
            if (b[k].since && !memcmp(b[k].ip, ip, 16))
                r = &b[k];
        if (!r && !create)
            return NULL;
        if (!r) {
            r = &b[0];
            for (size_t k = 1; k < REFL_WAYS && r->since; k++)
                if (!b[k].since || b[k].used < r->used)
                    r = &b[k];
            memset(r, 0, sizeof(*r));
            memcpy(r->ip, ip, 16);
            r->since = l->now ? l->now : 1;
        }
        l->refl_last = r;
    }
    r->used = l->now;
    if (l->now - r->since >= l->o.reflection_window_ms) { /* a new period */
        r->owed = 0;
        r->since = l->now ? l->now : 1;
        r->logged = false;
    }
    return r;
}

static void refl_alive(sn_loop *l, refl *r)
{
    if (r->owed > 0)
        r->owed = 0; /* the debt is forgiven; credit for its requests stays */
    r->since = l->now ? l->now : 1;
    r->logged = false;
}

/* May @p len bytes go to @p ss? Counts them, or the drop. */
static bool refl_allow(sn_loop *l, const struct sockaddr_storage *ss, size_t len)
{
    refl *r = refl_get(l, ss, true);
    if (r->owed + (int64_t)len <= (int64_t)l->o.reflection_budget) {
        r->owed += (int64_t)len;
        return true;
    }
    l->refl_dropped++;
    l->refl_dropped_bytes += len;
    if (!r->logged) {
        r->logged = true;
        l->refl_limited++;
        if (l->h.warn) {
            char host[SR_ADDR_HOST_MAX], msg[256];
            uint16_t port;
            addr_text(ss, host, sizeof(host), &port);
            snprintf(msg, sizeof(msg),
                     "reflection budget: %s was sent %lld bytes beyond its requests' credit "
                     "and showed no sign of life (ACK, PRACK); dropping what goes to it (the "
                     "next: %zu bytes) until it shows one or %u ms pass",
                     host, (long long)r->owed, len, (unsigned)l->o.reflection_window_ms);
            l->h.warn(l->h.user, msg);
        }
    }
    return false;
}

void sn_sign(const sr_addr *src, int sign, void *user)
{
    sn_loop *l = user;
    if (!l->refl || !l->rx_cur || src->transport != SR_TP_UDP)
        return; /* TCP: the handshake showed the source is real */
    refl *r = refl_get(l, l->rx_cur, true);
    if (sign == SD_SIGN_ALIVE) {
        refl_alive(l, r);
    } else if (sign == SD_SIGN_REQUEST) {
        int64_t credit = (int64_t)l->o.reflection_ratio * (int64_t)l->rx_cur_len;
        r->owed = r->owed - credit < -((int64_t)1 << 40) ? -((int64_t)1 << 40) : r->owed - credit;
    }
}

static void udp_send(sn_loop *l, const char *data, size_t len, const sr_addr *to)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    if (tx_text_addr(l, to->host, to->port, &ss, &sl) != 0)
        return;
    lsn *ls = udp_socket_for(l, to, ss.ss_family);
    if (!ls || len > OUT_BYTES)
        return;
    if (l->refl && !refl_allow(l, &ss, len))
        return;
    if (l->out_n && (l->out_fd != ls->fd || l->out_n == OUT_BATCH || l->out_used + len > OUT_BYTES))
        udp_flush(l);
    l->out_fd = ls->fd;
    size_t i = l->out_n++;
    memcpy(l->out_buf + l->out_used, data, len);
    l->out_iov[i].iov_base = l->out_buf + l->out_used;
    l->out_iov[i].iov_len = len;
    l->out_used += len;
    l->out_addr[i] = ss;
    memset(&l->out[i], 0, sizeof(l->out[i]));
    l->out[i].msg_hdr.msg_name = &l->out_addr[i];
    l->out[i].msg_hdr.msg_namelen = sl;
    l->out[i].msg_hdr.msg_iov = &l->out_iov[i];
    l->out[i].msg_hdr.msg_iovlen = 1;
}

/* The destination address of a datagram received on a wildcard socket. */
static bool pktinfo_local(const struct msghdr *mh, uint16_t port, sd_local *out)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)mh); c;
         c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof(ss));
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            ss.ss_family = AF_INET;
            ((struct sockaddr_in *)&ss)->sin_addr = pi.ipi_addr;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            ss.ss_family = AF_INET6;
            ((struct sockaddr_in6 *)&ss)->sin6_addr = pi.ipi6_addr;
        } else {
            continue;
        }
        uint16_t ignored;
        addr_text(&ss, out->host, sizeof(out->host), &ignored);
        out->port = port;
        return true;
    }
    return false;
}

static void udp_readable(sn_loop *l, lsn *ls)
{
    /* a bounded number of batches per wake-up keeps TCP and timers served under load */
    for (int round = 0; round < 8; round++) {
        /* the headers are set up for one listener at a time; after a call only the ones the
         * kernel wrote to (lengths, flags) are set again */
        size_t reset = l->in_for == ls ? l->in_used : UDP_BATCH;
        for (size_t i = 0; i < reset; i++) {
            memset(&l->in[i].msg_hdr, 0, sizeof(l->in[i].msg_hdr));
            l->in[i].msg_hdr.msg_name = &l->in_addr[i];
            l->in[i].msg_hdr.msg_namelen = sizeof(l->in_addr[i]);
            l->in[i].msg_hdr.msg_iov = &l->in_iov[i];
            l->in[i].msg_hdr.msg_iovlen = 1;
            if (ls->wildcard) {
                l->in[i].msg_hdr.msg_control = l->in_ctl[i].buf;
                l->in[i].msg_hdr.msg_controllen = sizeof(l->in_ctl[i].buf);
            }
        }
        l->in_for = ls;
        l->in_used = 0;
        int n = recvmmsg(ls->fd, l->in, UDP_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            break;
        l->in_used = (size_t)n;
        uint64_t now = sn_now_ms();
        l->now = now;
        for (int i = 0; i < n; i++) {
            size_t len = l->in[i].msg_len;
            if (len == 0 || (l->in[i].msg_hdr.msg_flags & MSG_TRUNC))
                continue;
            const char *data = (const char *)l->in_iov[i].iov_base;
            if (l->refl && len > 4 && !memcmp(data, "ACK ", 4)) {
                /* an ACK from a source that owes a sign of life: is its To tag ours? (the
                 * ACK for a 2xx is recognised by the engine, which keeps that tag) */
                refl *r = refl_get(l, &l->in_addr[i], false);
                if (r && r->owed > 0 && sd_engine_ack_is_ours(l->e, data, len))
                    refl_alive(l, r);
            }
            sr_addr src;
            memset(&src, 0, sizeof(src));
            rx_addr_text(l, &l->in_addr[i], src.host, &src.port);
            src.transport = SR_TP_UDP;
            src.conn_id = ls->index;
            const sd_local *local = &ls->local;
            sd_local dst;
            if (ls->wildcard && pktinfo_local(&l->in[i].msg_hdr, ls->local.port, &dst))
                local = &dst;
            l->rx_cur = &l->in_addr[i];
            l->rx_cur_len = len;
            sd_engine_receive(l->e, data, len, &src, local, now);
            l->rx_cur = NULL;
        }
        udp_flush(l);
        /* a short batch does not end the wake-up: what arrived while it was answered is
         * read now (one recvmmsg that may find nothing) rather than after another
         * epoll_wait and context switch (measured: breaking out on a short batch costs the
         * stateful benchmark ~10% more CPU per call at 9,700 calls/s, the ACKs come in
         * while the responses go out) */
    }
}

/* ------------------------------------------------------------------ TCP */

static conn *conn_by_id(sn_loop *l, uint64_t id)
{
    size_t slot = (size_t)(id & 0xffffff);
    if (slot >= l->n_conns)
        return NULL;
    conn *c = &l->conns[slot];
    return c->in_use && c->id == id ? c : NULL;
}

static conn *conn_new(sn_loop *l, int fd)
{
    for (size_t i = 0; i < l->n_conns; i++) {
        conn *c = &l->conns[i];
        if (c->in_use)
            continue;
        memset(c, 0, sizeof(*c));
        c->in_use = true;
        c->fd = fd;
        c->w.kind = W_CONN;
        c->w.obj = c;
        c->id = (++l->conn_serial << 24) | i;
        c->last = sn_now_ms();
        return c;
    }
    return NULL;
}

/* Close a connection for @p reason (counted). */
static void conn_drop(sn_loop *l, conn *c, int reason)
{
    l->tcp_closed[reason]++;
    conn_close(l, c);
}

/* The table is full: close the connection idle the longest (no complete message for the
 * longest time, nothing waiting to be written) to make room. false when there is none. */
static bool conn_evict(sn_loop *l)
{
    conn *old = NULL;
    for (size_t i = 0; i < l->n_conns; i++) {
        conn *c = &l->conns[i];
        if (c->in_use && !c->connecting && c->wlen == 0 && (!old || c->last < old->last))
            old = c;
    }
    if (!old)
        return false;
    conn_drop(l, old, TC_EVICTED);
    return true;
}

static int conn_queue(sn_loop *l, conn *c, const char *data, size_t len)
{
    if (c->wlen + len > l->o.max_conn_buffer)
        return -1;
    if (c->wlen + len > c->wcap) {
        size_t ncap = c->wcap ? c->wcap : 4096;
        while (ncap < c->wlen + len)
            ncap *= 2;
        char *nb = realloc(c->wbuf, ncap);
        if (!nb)
            return -1;
        c->wbuf = nb;
        c->wcap = ncap;
    }
    memcpy(c->wbuf + c->wlen, data, len);
    c->wlen += len;
    return ep_mod(l, c->fd, EPOLLIN | EPOLLOUT, &c->w);
}

static void conn_write(sn_loop *l, conn *c, const char *data, size_t len)
{
    c->last = l->now;
    if (c->wlen == 0 && !c->connecting) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            sr_addr peer = c->peer;
            conn_close(l, c);
            sd_engine_transport_error(l->e, &peer, sn_now_ms());
            return;
        }
        if (n > 0) {
            data += n;
            len -= (size_t)n;
        }
        if (len == 0)
            return;
    }
    if (conn_queue(l, c, data, len) != 0)
        conn_close(l, c);
}

/* RFC 3261 §18.2.2: the connection is gone; open one to the top Via's received (or
 * sent-by host) and sent-by port (5060 by default). */
static void tcp_reconnect(sn_loop *l, const char *data, size_t len, const sr_addr *to)
{
    sr_start_line sl;
    sr_header hdrs[64];
    size_t nh = 64;
    if (sr_parse_head(data, len, 0, &sl, hdrs, &nh, NULL) <= 0)
        return;
    sr_via v;
    bool have = false;
    for (size_t i = 0; i < nh && !have; i++)
        if (hdrs[i].id == SR_HDR_VIA) {
            size_t pos = 0;
            sr_str item;
            if (sr_value_next(hdrs[i].value, &pos, &item) && sr_via_parse(&v, item, NULL) == 0)
                have = true;
        }
    if (!have)
        return;
    char host[SR_ADDR_HOST_MAX];
    sr_str h = v.received.len ? v.received : (to->host[0] ? sr_str_from_cstr(to->host) : v.host);
    if (h.len >= sizeof(host))
        return;
    memcpy(host, h.p, h.len);
    host[h.len] = '\0';
    uint16_t port = v.has_port ? v.port : 5060;
    struct sockaddr_storage ss;
    socklen_t slen;
    if (text_addr(host, port, &ss, &slen) < 0)
        return;
    /* a connection to that address already (one opened for an earlier response of the
     * same sequence, e.g. a 2xx retransmission, RFC 3261 §13.3.1.4): send on it */
    char canon[SR_ADDR_HOST_MAX];
    uint16_t cport;
    addr_text(&ss, canon, sizeof(canon), &cport);
    for (size_t i = 0; i < l->n_conns; i++) {
        conn *c = &l->conns[i];
        if (c->in_use && c->peer.port == port && !strcmp(c->peer.host, canon)) {
            l->tcp_reused++;
            conn_write(l, c, data, len);
            return;
        }
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return;
    if (connect(fd, (struct sockaddr *)&ss, slen) != 0 && errno != EINPROGRESS) {
        close(fd);
        return;
    }
    conn *c = conn_new(l, fd);
    if (!c) {
        close(fd);
        return;
    }
    l->tcp_reconnects++;
    c->connecting = true;
    c->peer = *to;
    snprintf(c->peer.host, sizeof(c->peer.host), "%s", canon);
    c->peer.port = port;
    c->peer.conn_id = c->id;
    if (ep_add(l, fd, EPOLLIN | EPOLLOUT, &c->w) != 0 || conn_queue(l, c, data, len) != 0)
        conn_close(l, c);
}

void sn_send(const char *data, size_t len, const sr_addr *to, void *user)
{
    sn_loop *l = user;
    if (to->transport == SR_TP_UDP) {
        udp_send(l, data, len, to);
        return;
    }
    conn *c = conn_by_id(l, to->conn_id);
    if (c)
        conn_write(l, c, data, len);
    else
        tcp_reconnect(l, data, len, to);
}

static void tcp_accept(sn_loop *l, lsn *ls)
{
    for (int k = 0; k < 64; k++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(ls->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        char host[SR_ADDR_HOST_MAX];
        uint16_t port;
        addr_text(&ss, host, sizeof(host), &port);
        size_t same = 0;
        for (size_t i = 0; i < l->n_conns; i++)
            if (l->conns[i].in_use && !strcmp(l->conns[i].peer.host, host))
                same++;
        if (same >= l->o.max_conns_per_source) {
            close(fd); /* the cap per source address */
            l->tcp_closed[TC_PER_SOURCE]++;
            continue;
        }
        conn *c = conn_new(l, fd);
        if (!c && conn_evict(l)) /* full: room for the new client */
            c = conn_new(l, fd);
        if (!c) {
            close(fd); /* the cap on connections, every one busy writing */
            l->tcp_closed[TC_FULL]++;
            continue;
        }
        c->msg_start = c->last; /* its first message must come within message_ms */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        memcpy(c->peer.host, host, sizeof(host));
        c->peer.port = port;
        c->peer.transport = SR_TP_TCP;
        c->peer.conn_id = c->id;
        /* our address as this connection sees it (a wildcard listener gets the real one) */
        struct sockaddr_storage me;
        socklen_t ml = sizeof(me);
        if (getsockname(fd, (struct sockaddr *)&me, &ml) == 0)
            addr_text(&me, c->local.host, sizeof(c->local.host), &c->local.port);
        else
            c->local = ls->local;
        if (ep_add(l, fd, EPOLLIN, &c->w) != 0)
            conn_close(l, c);
    }
}

static void conn_readable(sn_loop *l, conn *c)
{
    for (;;) {
        if (c->rcap - c->rlen < 4096) {
            size_t ncap = c->rcap ? c->rcap * 2 : 8192;
            if (ncap > l->o.max_conn_buffer + 8192) {
                conn_close(l, c); /* the cap on buffered bytes */
                return;
            }
            char *nb = realloc(c->rbuf, ncap);
            if (!nb) {
                conn_close(l, c);
                return;
            }
            c->rbuf = nb;
            c->rcap = ncap;
        }
        ssize_t n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            conn_close(l, c);
            return;
        }
        if (n < 0)
            break;
        c->rlen += (size_t)n;
        l->now = sn_now_ms();
        /* frame every complete message in the buffer */
        size_t off = 0;
        sr_frame_opts fo = {.max_header_bytes = 65536, .max_body_bytes = l->o.max_conn_buffer};
        uint64_t id = c->id;
        while (off < c->rlen) {
            ptrdiff_t fl = sr_frame_stream(c->rbuf + off, c->rlen - off, &fo, &c->fr, NULL);
            if (fl == SR_EAGAIN)
                break;
            if (fl < 0) {
                conn_close(l, c); /* framing lost (RFC 3261 §18.3) */
                return;
            }
            c->last = l->now; /* a complete message: not idle */
            if (c->fr.kind == SR_FRAME_PING) {
                conn_write(l, c, "\r\n", 2);
                if (conn_by_id(l, id) != c)
                    return;
            } else if (c->fr.kind == SR_FRAME_MESSAGE) {
                sd_engine_receive(l->e, c->rbuf + off, (size_t)fl, &c->peer, &c->local,
                                  sn_now_ms());
                if (conn_by_id(l, id) != c)
                    return; /* closed while answering */
            }
            off += (size_t)fl;
            memset(&c->fr, 0, sizeof(c->fr));
        }
        if (off) {
            memmove(c->rbuf, c->rbuf + off, c->rlen - off);
            c->rlen -= off;
        }
        /* the deadline of the message in the buffer runs from its first byte, not from the
         * last one (a peer trickling bytes would hold the connection for ever) */
        if (c->rlen == 0)
            c->msg_start = 0;
        else if (off || !c->msg_start)
            c->msg_start = l->now;
        if ((size_t)n < 4096)
            break;
    }
    udp_flush(l);
}

static void conn_writable(sn_loop *l, conn *c)
{
    if (c->connecting) {
        int e = 0;
        socklen_t el = sizeof(e);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el);
        if (e != 0) {
            sr_addr peer = c->peer;
            conn_close(l, c);
            sd_engine_transport_error(l->e, &peer, sn_now_ms());
            return;
        }
        c->connecting = false;
    }
    while (c->wlen) {
        ssize_t n = send(c->fd, c->wbuf, c->wlen, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            conn_close(l, c);
            return;
        }
        memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
        c->wlen -= (size_t)n;
    }
    ep_mod(l, c->fd, EPOLLIN, &c->w);
}

/* ------------------------------------------------------------------ /metrics */

static void metrics_accept(sn_loop *l)
{
    for (;;) {
        int fd = accept4(l->metrics.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        mconn *m = NULL;
        for (size_t i = 0; i < METRICS_MAX && !m; i++)
            if (!l->mconns[i].in_use)
                m = &l->mconns[i];
        if (!m) {
            close(fd);
            continue;
        }
        memset(m, 0, sizeof(*m));
        m->in_use = true;
        m->fd = fd;
        m->w.kind = W_METRICS_CONN;
        m->w.obj = m;
        m->started = sn_now_ms();
        if (ep_add(l, fd, EPOLLIN, &m->w) != 0) {
            close(fd);
            m->in_use = false;
        }
    }
}

static void write_all(int fd, const char *p, size_t n)
{
    uint64_t until = sn_now_ms() + 1000;
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR) && sn_now_ms() < until) {
            continue;
        } else {
            return;
        }
    }
}

static void metrics_readable(sn_loop *l, mconn *m)
{
    ssize_t n = recv(m->fd, m->buf + m->len, sizeof(m->buf) - 1 - m->len, 0);
    if (n > 0)
        m->len += (size_t)n;
    m->buf[m->len] = '\0';
    bool complete = strstr(m->buf, "\r\n\r\n") || strstr(m->buf, "\n\n");
    if (!complete && n != 0 && m->len < sizeof(m->buf) - 1 && !(n < 0 && errno != EAGAIN))
        return;
    sr_buf body, resp;
    sr_buf_init(&body, NULL);
    sr_buf_init(&resp, NULL);
    const char *status = "404 Not Found";
    const char *type = "text/plain; charset=utf-8";
    if (!strncmp(m->buf, "GET /metrics ", 13) || !strncmp(m->buf, "GET /metrics\r", 13)) {
        status = "200 OK";
        type = "text/plain; version=0.0.4; charset=utf-8";
        if (sd_engine_metrics(l->e, &body) != 0 || sn_loop_metrics(l, &body) != 0)
            status = "500 Internal Server Error";
    } else if (strncmp(m->buf, "GET ", 4) != 0) {
        status = "405 Method Not Allowed";
        sr_buf_append_cstr(&body, "only GET /metrics\n");
    } else {
        sr_buf_append_cstr(&body, "only /metrics\n");
    }
    char head[256];
    snprintf(head, sizeof(head),
             "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
             status, type, body.len);
    sr_buf_append_cstr(&resp, head);
    if (body.len)
        sr_buf_append(&resp, body.p, body.len);
    if (resp.p)
        write_all(m->fd, resp.p, resp.len);
    sr_buf_cleanup(&body);
    sr_buf_cleanup(&resp);
    close(m->fd);
    m->in_use = false;
}

int sn_loop_metrics(const sn_loop *l, sr_buf *out)
{
    int rc = sr_buf_append_cstr(out, "# HELP sipreplyd_tcp_closed_total TCP connections the "
                                     "daemon closed or refused, by reason.\n"
                                     "# TYPE sipreplyd_tcp_closed_total counter\n");
    char line[800];
    for (size_t i = 0; i < TC__COUNT && !rc; i++) {
        snprintf(line, sizeof(line), "sipreplyd_tcp_closed_total{reason=\"%s\"} %llu\n",
                 tc_reason[i], (unsigned long long)l->tcp_closed[i]);
        rc = sr_buf_append_cstr(out, line);
    }
    if (!rc) {
        snprintf(line, sizeof(line),
                 "# HELP sipreplyd_tcp_reconnects_total Connections opened to send a response "
                 "whose connection was gone (RFC 3261 18.2.2).\n"
                 "# TYPE sipreplyd_tcp_reconnects_total counter\n"
                 "sipreplyd_tcp_reconnects_total %llu\n"
                 "# HELP sipreplyd_tcp_reconnect_reused_total Responses sent on such a "
                 "connection opened before, to the same address.\n"
                 "# TYPE sipreplyd_tcp_reconnect_reused_total counter\n"
                 "sipreplyd_tcp_reconnect_reused_total %llu\n",
                 (unsigned long long)l->tcp_reconnects, (unsigned long long)l->tcp_reused);
        rc = sr_buf_append_cstr(out, line);
    }
    if (!rc) {
        snprintf(line, sizeof(line),
                 "# HELP sipreplyd_reflection_dropped_total UDP datagrams not sent: their "
                 "destination was over its reflection budget.\n"
                 "# TYPE sipreplyd_reflection_dropped_total counter\n"
                 "sipreplyd_reflection_dropped_total %llu\n"
                 "# TYPE sipreplyd_reflection_dropped_bytes_total counter\n"
                 "sipreplyd_reflection_dropped_bytes_total %llu\n"
                 "# HELP sipreplyd_reflection_limited_total Times an address went over its "
                 "reflection budget.\n"
                 "# TYPE sipreplyd_reflection_limited_total counter\n"
                 "sipreplyd_reflection_limited_total %llu\n",
                 (unsigned long long)l->refl_dropped, (unsigned long long)l->refl_dropped_bytes,
                 (unsigned long long)l->refl_limited);
        rc = sr_buf_append_cstr(out, line);
    }
    return rc;
}

/* ------------------------------------------------------------------ run */

static void stop_accepting(sn_loop *l)
{
    for (size_t i = 0; i < l->n_lsns; i++)
        if (l->lsns[i].tp == SR_TP_TCP && l->lsns[i].fd >= 0) {
            close(l->lsns[i].fd);
            l->lsns[i].fd = -1;
        }
    if (l->have_metrics && l->metrics.fd >= 0) {
        close(l->metrics.fd);
        l->metrics.fd = -1;
    }
}

static void on_signal(sn_loop *l)
{
    struct signalfd_siginfo si;
    while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGTERM:
        case SIGINT:
            if (!l->stopping) {
                l->stopping = true;
                l->stop_deadline = sn_now_ms() + l->o.shutdown_ms;
                stop_accepting(l);
                sd_engine_drain(l->e);
            }
            break;
        case SIGHUP:
            if (l->h.reload)
                l->h.reload(l->h.user);
            break;
        case SIGUSR1:
            if (l->h.report)
                l->h.report(l->h.user);
            break;
        default: break;
        }
    }
}

static bool writes_pending(const sn_loop *l)
{
    for (size_t i = 0; i < l->n_conns; i++)
        if (l->conns[i].in_use && l->conns[i].wlen)
            return true;
    return false;
}

static void sweep(sn_loop *l, uint64_t now)
{
    for (size_t i = 0; i < l->n_conns; i++) {
        conn *c = &l->conns[i];
        if (c->in_use && c->msg_start && now - c->msg_start > l->o.message_ms)
            conn_drop(l, c, TC_MESSAGE);
        else if (c->in_use && now - c->last > l->o.idle_ms)
            conn_drop(l, c, TC_IDLE);
    }
    for (size_t i = 0; i < METRICS_MAX; i++)
        if (l->mconns[i].in_use && now - l->mconns[i].started > 5000) {
            close(l->mconns[i].fd);
            l->mconns[i].in_use = false;
        }
}

int sn_loop_run(sn_loop *l)
{
    struct epoll_event evs[64];
    /* the sweep runs often enough for the message deadline to be felt */
    uint64_t sweep_ms = l->o.message_ms / 4 < 1000 ? l->o.message_ms / 4 : 1000;
    if (sweep_ms < 10)
        sweep_ms = 10;
    uint64_t next_sweep = sn_now_ms() + sweep_ms;
    for (;;) {
        uint64_t now = sn_now_ms();
        l->now = now;
        if (l->stopping && sd_engine_pending(l->e) == 0 && !writes_pending(l))
            break;
        if (l->stopping && now >= l->stop_deadline) {
            /* out of time: what still runs is answered 503 (best effort on TCP) */
            sd_engine_abort_pending(l->e, now);
            udp_flush(l);
            for (size_t i = 0; i < l->n_conns; i++)
                if (l->conns[i].in_use && l->conns[i].wlen)
                    conn_writable(l, &l->conns[i]);
            break;
        }
        uint64_t dl = sd_engine_next_deadline(l->e);
        if (dl > next_sweep)
            dl = next_sweep;
        if (l->stopping && dl > l->stop_deadline)
            dl = l->stop_deadline;
        int timeout = dl <= now ? 0 : (int)(dl - now > 60000 ? 60000 : dl - now);
        int n = epoll_wait(l->ep, evs, 64, timeout);
        if (n < 0 && errno != EINTR)
            return 1;
        for (int i = 0; i < n; i++) {
            watch *w = evs[i].data.ptr;
            switch (w->kind) {
            case W_SIGNAL: on_signal(l); break;
            case W_UDP: udp_readable(l, w->obj); break;
            case W_TCP_LSN: tcp_accept(l, w->obj); break;
            case W_CONN: {
                conn *c = w->obj; /* NULL once closed earlier in this batch */
                if (!c || !c->in_use)
                    break;
                uint64_t id = c->id;
                if (evs[i].events & EPOLLOUT)
                    conn_writable(l, c);
                if (conn_by_id(l, id) == c && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                    conn_readable(l, c);
                break;
            }
            case W_METRICS_LSN: metrics_accept(l); break;
            case W_METRICS_CONN: {
                mconn *m = w->obj;
                if (m->in_use)
                    metrics_readable(l, m);
                break;
            }
            default: break;
            }
        }
        now = sn_now_ms();
        l->now = now;
        if (sd_engine_next_deadline(l->e) <= now) {
            sd_engine_on_timer(l->e, now);
            udp_flush(l);
        }
        if (now >= next_sweep) {
            sweep(l, now);
            next_sweep = now + sweep_ms;
        }
    }
    udp_flush(l);
    return 0;
}
