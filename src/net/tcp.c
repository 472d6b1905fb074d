/* sipreply network shell: TCP — connections framed by the core's sr_frame_stream (RFC 3261
 * §18.3), message deadline, per-source cap, eviction, reconnection for responses (§18.2.2). */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

void sn__conn_close(sn_loop *l, conn *c)
{
    if (!c->in_use)
        return;
    close(c->fd);
    free(c->rbuf);
    free(c->wbuf);
    memset(c, 0, sizeof(*c));
    (void)l;
}

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
        c->last = l->now;
        return c;
    }
    return NULL;
}

/* Close a connection that failed (errno @p err) and tell the handler. */
static void conn_failed(sn_loop *l, conn *c, int err)
{
    sr_addr peer = c->peer;
    sn__conn_close(l, c);
    l->last_error = err;
    if (l->h.transport_error)
        l->h.transport_error(l->h.user, &peer, l->now);
}

/* Close a connection for @p reason (counted). */
static void conn_drop(sn_loop *l, conn *c, int reason)
{
    l->tcp_closed[reason]++;
    sn__conn_close(l, c);
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
    return sn__ep_mod(l, c->fd, EPOLLIN | EPOLLOUT, &c->w);
}

static void conn_write(sn_loop *l, conn *c, const char *data, size_t len)
{
    c->last = l->now;
    if (c->wlen == 0 && !c->connecting) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            conn_failed(l, c, errno);
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
        sn__conn_close(l, c);
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
    uint16_t port = v.has_port ? v.port : 5060;
    if (sl.is_request && to->host[0]) {
        /* a request goes where the caller's target says, the top Via being our own
         * (RFC 3261 §18.1.1) */
        h = sr_str_from_cstr(to->host);
        port = to->port ? to->port : 5060;
    }
    if (h.len >= sizeof(host))
        return;
    memcpy(host, h.p, h.len);
    host[h.len] = '\0';
    struct sockaddr_storage ss;
    socklen_t slen;
    int rc = sn__text_addr(host, port, &ss, &slen, false);
    if (rc == SN_ADDR_NAME) {
        /* a sent-by name: back here with its address once resolved (the Via's received, an
         * address, wins over to->host, so the address then comes from to->host) */
        sr_addr named = *to;
        memcpy(named.host, host, h.len + 1);
        named.port = port;
        sn__send_by_name(l, data, len, &named);
        return;
    }
    if (rc != 0)
        return;
    /* a connection to that address already (one opened for an earlier response of the
     * same sequence, e.g. a 2xx retransmission, RFC 3261 §13.3.1.4): send on it */
    for (size_t i = 0; i < l->n_conns; i++) {
        conn *c = &l->conns[i];
        if (c->in_use && sn__same_addr(&c->peer_ss, &ss, true)) {
            l->tcp_reused++;
            conn_write(l, c, data, len);
            return;
        }
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return;
    if (connect(fd, (struct sockaddr *)&ss, slen) != 0 && errno != EINPROGRESS) {
        /* refused at once (a loopback port with no listener): the handler hears of it as of
         * a connection that fails later */
        int err = errno;
        close(fd);
        l->last_error = err;
        if (l->h.transport_error) {
            sr_addr peer = *to;
            sn__addr_text(&ss, peer.host, sizeof(peer.host), &peer.port);
            peer.conn_id = 0;
            l->h.transport_error(l->h.user, &peer, l->now);
        }
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
    c->peer_ss = ss;
    sn__addr_text(&ss, c->peer.host, sizeof(c->peer.host), &c->peer.port);
    c->peer.conn_id = c->id;
    if (sn__ep_add(l, fd, EPOLLIN | EPOLLOUT, &c->w) != 0 || conn_queue(l, c, data, len) != 0)
        sn__conn_close(l, c);
}

void sn__tcp_send(sn_loop *l, const char *data, size_t len, const sr_addr *to)
{
    conn *c = conn_by_id(l, to->conn_id);
    if (c)
        conn_write(l, c, data, len);
    else
        tcp_reconnect(l, data, len, to);
}

void sn__tcp_accept(sn_loop *l, lsn *ls)
{
    for (int k = 0; k < 64; k++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(ls->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        size_t same = 0;
        for (size_t i = 0; i < l->n_conns; i++)
            if (l->conns[i].in_use && sn__same_addr(&l->conns[i].peer_ss, &ss, false))
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
        c->peer_ss = ss;
        sn__addr_text(&ss, c->peer.host, sizeof(c->peer.host), &c->peer.port);
        c->peer.transport = SR_TP_TCP;
        c->peer.conn_id = c->id;
        /* our address as this connection sees it (a wildcard listener gets the real one) */
        struct sockaddr_storage me;
        socklen_t ml = sizeof(me);
        if (getsockname(fd, (struct sockaddr *)&me, &ml) == 0)
            sn__addr_text(&me, c->local.host, sizeof(c->local.host), &c->local.port);
        else
            c->local = ls->local;
        if (sn__ep_add(l, fd, EPOLLIN, &c->w) != 0)
            sn__conn_close(l, c);
    }
}

static void conn_readable(sn_loop *l, conn *c)
{
    for (;;) {
        if (c->rcap - c->rlen < 4096) {
            size_t ncap = c->rcap ? c->rcap * 2 : 8192;
            if (ncap > l->o.max_conn_buffer + 8192) {
                sn__conn_close(l, c); /* the cap on buffered bytes */
                return;
            }
            char *nb = realloc(c->rbuf, ncap);
            if (!nb) {
                sn__conn_close(l, c);
                return;
            }
            c->rbuf = nb;
            c->rcap = ncap;
        }
        ssize_t n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            sn__conn_close(l, c);
            return;
        }
        if (n < 0)
            break;
        c->rlen += (size_t)n;
        /* frame every complete message in the buffer */
        size_t off = 0;
        sr_frame_opts fo = {.max_header_bytes = 65536, .max_body_bytes = l->o.max_conn_buffer};
        uint64_t id = c->id;
        while (off < c->rlen) {
            ptrdiff_t fl = sr_frame_stream(c->rbuf + off, c->rlen - off, &fo, &c->fr, NULL);
            if (fl == SR_EAGAIN)
                break;
            if (fl < 0) {
                sn__conn_close(l, c); /* framing lost (RFC 3261 §18.3) */
                return;
            }
            c->last = l->now; /* a complete message: not idle */
            if (c->fr.kind == SR_FRAME_PING) {
                conn_write(l, c, "\r\n", 2);
                if (conn_by_id(l, id) != c)
                    return;
            } else if (c->fr.kind == SR_FRAME_MESSAGE) {
                l->h.receive(l->h.user, c->rbuf + off, (size_t)fl, &c->peer, &c->local, l->now);
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
    sn__udp_flush(l);
}

static void conn_writable(sn_loop *l, conn *c)
{
    if (c->connecting) {
        int e = 0;
        socklen_t el = sizeof(e);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el);
        if (e != 0) {
            conn_failed(l, c, e);
            return;
        }
        c->connecting = false;
    }
    while (c->wlen) {
        ssize_t n = send(c->fd, c->wbuf, c->wlen, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            sn__conn_close(l, c);
            return;
        }
        memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
        c->wlen -= (size_t)n;
    }
    sn__ep_mod(l, c->fd, EPOLLIN, &c->w);
}

void sn__conn_event(sn_loop *l, conn *c, uint32_t events)
{
    uint64_t id = c->id;
    if (events & EPOLLOUT)
        conn_writable(l, c);
    if (conn_by_id(l, id) == c && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        conn_readable(l, c);
}

void sn__conn_flush(sn_loop *l, conn *c)
{
    conn_writable(l, c);
}

bool sn__tcp_writes_pending(const sn_loop *l)
{
    for (size_t i = 0; i < l->n_conns; i++)
        if (l->conns[i].in_use && l->conns[i].wlen)
            return true;
    return false;
}

void sn__tcp_sweep(sn_loop *l, uint64_t now)
{
    for (size_t i = 0; i < l->n_conns; i++) {
        conn *c = &l->conns[i];
        if (c->in_use && c->msg_start && now - c->msg_start > l->o.message_ms)
            conn_drop(l, c, TC_MESSAGE);
        else if (c->in_use && now - c->last > l->o.idle_ms)
            conn_drop(l, c, TC_IDLE);
    }
}
