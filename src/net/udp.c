/* sipreply network shell: UDP — datagrams read in batches with recvmmsg (from the loop's
 * epoll, or blocking on the one busy listener: sn__udp_wait), answers sent with sendmmsg (runs
 * merged with UDP GSO where asked) or sendto when alone. The listeners' sockets are blocking
 * (for sn__udp_wait): every other call on them passes MSG_DONTWAIT. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/errqueue.h>
#include <netinet/udp.h>
#include <sys/epoll.h>

/* Send entries [from, to) of the batch one datagram each; failures are dropped as the network
 * might have (the transaction layer retransmits). */
static void udp_send_plain(sn_loop *l, size_t from, size_t to)
{
    size_t done = from;
    while (done < to) {
        int n = sendmmsg(l->out_fd, l->out + done, (unsigned)(to - done), MSG_DONTWAIT);
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
        int n = sendmmsg(l->out_fd, l->gso_msgs + done, (unsigned)(ne - done), MSG_DONTWAIT);
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

void sn__udp_flush(sn_loop *l)
{
    if (l->out_n == 1) {
        /* one answer alone (paced traffic: requests come one by one): a plain sendto, as
         * cheap as it gets; a failure is a datagram lost, as in udp_send_plain */
        const struct msghdr *mh = &l->out[0].msg_hdr;
        while (sendto(l->out_fd, l->out_iov[0].iov_base, l->out_iov[0].iov_len, MSG_DONTWAIT,
                      (const struct sockaddr *)mh->msg_name, mh->msg_namelen) < 0 &&
               errno == EINTR) {
        }
        l->out_n = 0;
        l->out_used = 0;
        return;
    }
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

void sn__udp_send(sn_loop *l, const char *data, size_t len, const sr_addr *to)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int rc = sn__tx_addr(l, to->host, to->port, &ss, &sl);
    if (rc == SN_ADDR_NAME) {
        sn__send_by_name(l, data, len, to); /* comes back here with the address */
        return;
    }
    if (rc != 0)
        return;
    lsn *ls = udp_socket_for(l, to, ss.ss_family);
    if (!ls || len > OUT_BYTES)
        return;
    if (l->refl && !sn__refl_allow(l, &ss, len))
        return;
    if (l->out_n && (l->out_fd != ls->fd || l->out_n == OUT_BATCH || l->out_used + len > OUT_BYTES))
        sn__udp_flush(l);
    l->out_fd = ls->fd;
    l->udp_tx++;
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
static bool pktinfo_local(const struct msghdr *mh, uint16_t port, sn_local *out)
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
        sn__addr_text(&ss, out->host, sizeof(out->host), &ignored);
        out->port = port;
        return true;
    }
    return false;
}

/* With sn_opts.udp_errors: the ICMP errors queued on @p ls (IP_RECVERR), each to the
 * handler's transport_error with the destination of the datagram that failed. */
static void udp_errqueue(sn_loop *l, lsn *ls, int err)
{
    for (int k = 0; k < 16; k++) {
        struct sockaddr_storage dst;
        char ctl[512];
        char byte;
        struct iovec iov = {&byte, 1};
        struct msghdr mh = {.msg_name = &dst,
                            .msg_namelen = sizeof(dst),
                            .msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = ctl,
                            .msg_controllen = sizeof(ctl)};
        if (recvmsg(ls->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
            return;
        int e = err;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
            if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
                (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
                struct sock_extended_err ee;
                memcpy(&ee, CMSG_DATA(c), sizeof(ee));
                e = (int)ee.ee_errno;
            }
        sr_addr peer;
        memset(&peer, 0, sizeof(peer));
        sn__addr_text(&dst, peer.host, sizeof(peer.host), &peer.port);
        peer.transport = SR_TP_UDP;
        l->last_error = e;
        if (l->h.transport_error)
            l->h.transport_error(l->h.user, &peer, l->now);
    }
}

/* One recvmmsg on @p ls with @p flags, each datagram handed to the handler, the answers sent.
 * @p clock: read the loop's clock once the call returns (sn__udp_wait: the turn's one read).
 * The number of datagrams read; 0 when none was there (or the wait timed out), -1 on EINTR. */
static int udp_batch(sn_loop *l, lsn *ls, int flags, bool clock, bool flush)
{
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
    int n = recvmmsg(ls->fd, l->in, UDP_BATCH, flags, NULL);
    int err = errno;
    if (clock)
        sn__clock(l);
    if (n < 0 && l->o.udp_errors && err != EINTR && err != EAGAIN && err != EWOULDBLOCK)
        udp_errqueue(l, ls, err);
    if (n <= 0)
        return n < 0 && err == EINTR ? -1 : 0;
    l->udp_busy = true;
    l->udp_rx += (unsigned)n;
    l->in_used = (size_t)n;
    uint64_t now = l->now;
    for (int i = 0; i < n; i++) {
        size_t len = l->in[i].msg_len;
        if (len == 0 || (l->in[i].msg_hdr.msg_flags & MSG_TRUNC))
            continue;
        const char *data = (const char *)l->in_iov[i].iov_base;
        if (l->refl && len > 4 && !memcmp(data, "ACK ", 4)) {
            /* an ACK from a source that owes a sign of life: does the handler know it as an
             * answer to what we sent? (one it cannot tell here, it reports through sn_sign
             * while receiving) */
            refl *r = sn__refl_get(l, &l->in_addr[i], false);
            if (r && r->owed > 0 && l->h.proves_alive && l->h.proves_alive(l->h.user, data, len))
                sn__refl_alive(l, r);
        }
        sr_addr src;
        memset(&src, 0, sizeof(src));
        sn__rx_text(l, &l->in_addr[i], src.host, &src.port);
        src.transport = SR_TP_UDP;
        src.conn_id = ls->index;
        const sn_local *local = &ls->local;
        sn_local dst;
        if (ls->wildcard && pktinfo_local(&l->in[i].msg_hdr, ls->local.port, &dst))
            local = &dst;
        l->rx_cur = &l->in_addr[i];
        l->rx_cur_len = len;
        l->h.receive(l->h.user, data, len, &src, local, now);
        l->rx_cur = NULL;
    }
    if (flush)
        sn__udp_flush(l);
    return n;
}

void sn__udp_readable(sn_loop *l, lsn *ls)
{
    /* a bounded number of batches per wake-up keeps TCP and timers served under load */
    for (int round = 0; round < 8; round++) {
        int n = udp_batch(l, ls, MSG_DONTWAIT, false, false);
        /* A short batch of several datagrams does not end the wake-up: under a burst, what
         * arrived while it was answered is read now (one recvmmsg that may find nothing)
         * rather than after another epoll_wait and context switch (measured: breaking out on
         * every short batch costs the stateful burst benchmark ~10% more CPU per call at
         * 9,700 calls/s, the ACKs come in while the responses go out). A datagram that came
         * alone is paced traffic: the next one is rarely there yet, and the recvmmsg that
         * would find nothing is saved (docs/performance.md, paced row). */
        if (n <= 1)
            break;
    }
    sn__udp_flush(l);
}

int sn__udp_wait(sn_loop *l, lsn *ls)
{
    /* the socket is blocking with SO_RCVTIMEO (UDP_WAIT_MS): MSG_WAITFORONE sleeps until the
     * first datagram or the timeout, then takes what else is there without waiting */
    return udp_batch(l, ls, MSG_WAITFORONE, true, true);
}
