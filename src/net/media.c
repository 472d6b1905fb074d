/* sipreply network shell: RTP/RTCP socket pairs (RFC 3550 §11: RTP on an even port, RTCP on
 * the next one) from a port range, watched by the loop, their datagrams handed to the
 * program's media_receive; sends are queued for the end of the loop turn (media_tx.c) or go
 * out at once (MSG_DONTWAIT). */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* datagrams read per socket per event, at most (the next batch on the next turn) */
#define MEDIA_READS 16

struct sn_media_sock {
    watch w[2]; /* RTP, RTCP */
    int fd[2];
    void *user;
    bool dead;
    struct sn_media_sock *next, *prev;
    /* the last source seen and the last destination, as binary and text (one-entry caches:
     * a stream comes from and goes to one peer) */
    struct sockaddr_storage rx_ss;
    char rx_host[SR_ADDR_HOST_MAX];
    uint16_t rx_port;
    bool rx_valid;
    struct sockaddr_storage tx_ss;
    socklen_t tx_sl;
    char tx_host[SR_ADDR_HOST_MAX];
    uint16_t tx_port;
    bool tx_valid;
};

/* a UDP socket bound to @p ss at @p port (0: the kernel's), non-blocking; -1 when it fails */
static int bind_one(const struct sockaddr_storage *ss, socklen_t sl, uint16_t port, uint16_t *got)
{
    struct sockaddr_storage a = *ss;
    if (a.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&a)->sin6_port = htons(port);
    else
        ((struct sockaddr_in *)&a)->sin_port = htons(port);
    int fd = socket(a.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&a, sl) != 0) {
        close(fd);
        return -1;
    }
    struct sockaddr_storage me;
    socklen_t ml = sizeof(me);
    if (getsockname(fd, (struct sockaddr *)&me, &ml) != 0) {
        close(fd);
        return -1;
    }
    *got = ntohs(me.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&me)->sin6_port
                                          : ((struct sockaddr_in *)&me)->sin_port);
    return fd;
}

/* an even port and its odd neighbour: 0, or -1 (taken) */
static int bind_pair(const struct sockaddr_storage *ss, socklen_t sl, uint16_t port, int fd[2],
                     uint16_t *got)
{
    uint16_t p0 = 0, p1 = 0;
    fd[0] = bind_one(ss, sl, port, &p0);
    if (fd[0] < 0)
        return -1;
    if ((p0 & 1) || p0 == 65535 || (fd[1] = bind_one(ss, sl, (uint16_t)(p0 + 1), &p1)) < 0) {
        close(fd[0]);
        return -1;
    }
    *got = p0;
    return 0;
}

int sn_media_open(sn_loop *l, const char *host, uint16_t port_min, uint16_t port_max,
                  void *sock_user, sn_media_sock **out, uint16_t *port, char *err, size_t errlen)
{
    char h[SR_ADDR_HOST_MAX];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host++;
        n -= 2;
    }
    if (n >= sizeof(h)) {
        snprintf(err, errlen, "media address too long");
        return -1;
    }
    memcpy(h, host, n);
    h[n] = '\0';
    struct sockaddr_storage ss;
    socklen_t sl;
    if (sn__text_addr(h, 0, &ss, &sl, false) != 0) {
        snprintf(err, errlen, "media address %s is not an address literal", h);
        return -1;
    }
    int fd[2] = {-1, -1};
    uint16_t got = 0;
    bool ok = false;
    if (port_min == 0) {
        /* the kernel's ports: retry until an even one has its neighbour free */
        for (int i = 0; i < 64 && !ok; i++)
            ok = bind_pair(&ss, sl, 0, fd, &got) == 0;
    } else {
        uint32_t lo = (port_min + 1u) & ~1u, hi = port_max;
        uint32_t pairs = hi > lo ? (hi - lo + 1) / 2 : 1;
        for (uint32_t i = 0; i < pairs && !ok; i++) {
            uint32_t k = (l->media_next + i) % pairs;
            if (bind_pair(&ss, sl, (uint16_t)(lo + 2 * k), fd, &got) == 0) {
                ok = true;
                l->media_next = k + 1;
            }
        }
    }
    if (!ok) {
        snprintf(err, errlen, "no free RTP/RTCP port pair in %u-%u", port_min, port_max);
        return -1;
    }
    sn_media_sock *s = calloc(1, sizeof(*s));
    if (!s) {
        close(fd[0]);
        close(fd[1]);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        s->fd[i] = fd[i];
        s->w[i].kind = W_MEDIA;
        s->w[i].obj = s;
    }
    s->user = sock_user;
    if (sn__ep_add(l, fd[0], EPOLLIN, &s->w[0]) != 0 ||
        sn__ep_add(l, fd[1], EPOLLIN, &s->w[1]) != 0) {
        snprintf(err, errlen, "epoll: %s", strerror(errno));
        close(fd[0]);
        close(fd[1]);
        free(s);
        return -1;
    }
    s->next = l->media;
    if (l->media)
        l->media->prev = s;
    l->media = s;
    l->n_media++;
    *out = s;
    *port = got;
    return 0;
}

void sn_media_close(sn_loop *l, sn_media_sock *s)
{
    if (!s || s->dead)
        return;
    sn__media_flush(l); /* its queued sends name its descriptors */
    for (int i = 0; i < 2; i++)
        if (s->fd[i] >= 0) {
            close(s->fd[i]); /* leaves the epoll set */
            s->fd[i] = -1;
        }
    s->dead = true;
    if (s->prev)
        s->prev->next = s->next;
    else
        l->media = s->next;
    if (s->next)
        s->next->prev = s->prev;
    l->n_media--;
    /* events already fetched in this turn may still name it: freed after the batch */
    s->prev = NULL;
    s->next = l->media_dead;
    l->media_dead = s;
}

void sn__media_reap(sn_loop *l)
{
    while (l->media_dead) {
        sn_media_sock *s = l->media_dead;
        l->media_dead = s->next;
        free(s);
    }
}

void sn__media_free_all(sn_loop *l)
{
    while (l->media)
        sn_media_close(l, l->media);
    sn__media_reap(l);
}

size_t sn_media_count(const sn_loop *l)
{
    return l->n_media;
}

/* one datagram from @p s's RTP (or RTCP) socket to the program */
static void deliver(sn_loop *l, sn_media_sock *s, bool rtcp, const uint8_t *buf, size_t len,
                    const struct sockaddr_storage *from)
{
    if (!s->rx_valid || !sn__same_addr(from, &s->rx_ss, true)) {
        sn__addr_text(from, s->rx_host, sizeof(s->rx_host), &s->rx_port);
        s->rx_ss = *from;
        s->rx_valid = true;
    }
    sr_addr src;
    src.transport = SR_TP_UDP;
    src.conn_id = 0;
    memcpy(src.host, s->rx_host, sizeof(src.host));
    src.port = s->rx_port;
    if (l->h.media_receive)
        l->h.media_receive(l->h.user, s->user, rtcp, buf, len, &src, l->now);
}

void sn__media_event(sn_loop *l, watch *w)
{
    sn_media_sock *s = w->obj;
    if (s->dead)
        return;
    bool rtcp = w == &s->w[1];
    /* one recvmmsg takes what is queued (a stream at 50 packets/s rarely has more than one):
     * no second call to learn that the socket is empty */
    static _Thread_local uint8_t bufs[MEDIA_READS][1536];
    struct mmsghdr mm[MEDIA_READS];
    struct iovec iov[MEDIA_READS];
    struct sockaddr_storage ss[MEDIA_READS];
    for (int i = 0; i < MEDIA_READS; i++) {
        iov[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
        memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
        mm[i].msg_hdr.msg_name = &ss[i];
        mm[i].msg_hdr.msg_namelen = sizeof(ss[i]);
    }
    int n = recvmmsg(s->fd[rtcp], mm, MEDIA_READS, MSG_DONTWAIT, NULL);
    for (int i = 0; i < n && !s->dead; i++)
        deliver(l, s, rtcp, bufs[i], mm[i].msg_len, &ss[i]);
    sn__udp_flush(l); /* what the handler sent over signalling UDP meanwhile (a BYE) */
}

void sn__media_events(sn_loop *l, watch **w, int n)
{
    /* with the ring: one datagram from each socket, all read in one system call; a socket
     * with more left is ready again at the next epoll_wait (level-triggered) */
    int fd[SN_MEDIA_RX_MAX] = {0};
    sn_media_rx *rx = NULL;
    int k = n < SN_MEDIA_RX_MAX ? n : SN_MEDIA_RX_MAX;
    for (int i = 0; i < k; i++) {
        sn_media_sock *s = w[i]->obj;
        fd[i] = s->dead ? -1 : s->fd[w[i] == &s->w[1]];
    }
    if (n > SN_MEDIA_RX_MAX || sn__media_recv(l, fd, k, &rx) != 0) {
        for (int i = 0; i < n; i++)
            sn__media_event(l, w[i]);
        return;
    }
    for (int i = 0; i < k; i++) {
        sn_media_sock *s = w[i]->obj;
        if (!s->dead && rx[i].res >= 0)
            deliver(l, s, w[i] == &s->w[1], rx[i].buf, (size_t)rx[i].res, &rx[i].from);
    }
    sn__udp_flush(l); /* what the handler sent over signalling UDP meanwhile (a BYE) */
}

int sn_media_send(sn_loop *l, sn_media_sock *s, bool rtcp, const uint8_t *data, size_t len,
                  const char *host, uint16_t port)
{
    if (!s || s->dead)
        return -1;
    if (!s->tx_valid || s->tx_port != port || strcmp(s->tx_host, host) != 0) {
        char h[SR_ADDR_HOST_MAX];
        size_t n = strlen(host);
        const char *p = host;
        if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {
            p++;
            n -= 2;
        }
        if (n >= sizeof(h))
            return -1;
        memcpy(h, p, n);
        h[n] = '\0';
        if (sn__text_addr(h, port, &s->tx_ss, &s->tx_sl, false) != 0) {
            s->tx_valid = false;
            return -1;
        }
        snprintf(s->tx_host, sizeof(s->tx_host), "%s", host);
        s->tx_port = port;
        s->tx_valid = true;
    }
    if (sn__media_queue(l, s->fd[rtcp], data, len, &s->tx_ss, s->tx_sl) == 0)
        return 0; /* goes out at the end of the turn */
    ssize_t r =
        sendto(s->fd[rtcp], data, len, MSG_DONTWAIT, (struct sockaddr *)&s->tx_ss, s->tx_sl);
    return r == (ssize_t)len ? 0 : -1;
}
