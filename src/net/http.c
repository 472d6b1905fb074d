/* sipreply network shell: the HTTP /metrics endpoint (Prometheus text) — requests read and
 * responses written without blocking, each bounded in size and time. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

int sn_metrics_listen(sn_loop *l, const char *hostport, char *bound, size_t boundlen, char *err,
                      size_t errlen)
{
    if (sn__open_listener(&l->metrics, SR_TP_TCP, hostport, NULL, 0, err, errlen) != 0)
        return -1;
    l->metrics.w.kind = W_METRICS_LSN;
    l->metrics.w.obj = &l->metrics;
    if (sn__ep_add(l, l->metrics.fd, EPOLLIN, &l->metrics.w) != 0) {
        snprintf(err, errlen, "epoll: %s", strerror(errno));
        close(l->metrics.fd);
        return -1;
    }
    l->have_metrics = true;
    snprintf(bound, boundlen, "http://%s:%u/metrics", l->metrics.local.host, l->metrics.local.port);
    return 0;
}

static const char *const tc_reason[TC__COUNT] = {"idle", "message_timeout", "per_source", "evicted",
                                                 "full"};

void sn__http_close(mconn *m)
{
    if (!m->in_use)
        return;
    close(m->fd);
    sr_buf_cleanup(&m->out);
    m->in_use = false;
}

void sn__http_accept(sn_loop *l)
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
        sr_buf_init(&m->out, NULL);
        m->in_use = true;
        m->fd = fd;
        m->w.kind = W_METRICS_CONN;
        m->w.obj = m;
        m->started = l->now;
        if (sn__ep_add(l, fd, EPOLLIN, &m->w) != 0)
            sn__http_close(m);
    }
}

/* Write what the socket takes now; the rest when it is writable again (EPOLLOUT). Closed once
 * all is written, on an error, or by the sweep after METRICS_MS (a scraper that stops
 * reading no longer holds the loop: it holds a slot, for a bounded time). */
static void http_write(sn_loop *l, mconn *m)
{
    while (m->out_off < m->out.len) {
        ssize_t w = send(m->fd, m->out.p + m->out_off, m->out.len - m->out_off, MSG_NOSIGNAL);
        if (w > 0) {
            m->out_off += (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (sn__ep_mod(l, m->fd, EPOLLOUT, &m->w) != 0)
                sn__http_close(m);
            return;
        } else {
            break;
        }
    }
    sn__http_close(m);
}

/* Build the response to the request in m->buf into m->out. */
static void http_answer(sn_loop *l, mconn *m)
{
    sr_buf body;
    sr_buf_init(&body, NULL);
    const char *status = "404 Not Found";
    const char *type = "text/plain; charset=utf-8";
    if (!strncmp(m->buf, "GET /metrics ", 13) || !strncmp(m->buf, "GET /metrics\r", 13)) {
        status = "200 OK";
        type = "text/plain; version=0.0.4; charset=utf-8";
        if ((l->h.metrics && l->h.metrics(l->h.user, &body) != 0) ||
            sn_loop_metrics(l, &body) != 0 || body.len > METRICS_OUT) {
            status = "500 Internal Server Error";
            sr_buf_cleanup(&body);
            sr_buf_init(&body, NULL);
        }
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
    if (sr_buf_append_cstr(&m->out, head) != 0 ||
        (body.len && sr_buf_append(&m->out, body.p, body.len) != 0)) {
        sr_buf_cleanup(&m->out); /* out of memory: the connection closes unanswered */
        sr_buf_init(&m->out, NULL);
    }
    sr_buf_cleanup(&body);
}

static void http_readable(sn_loop *l, mconn *m)
{
    ssize_t n = recv(m->fd, m->buf + m->len, sizeof(m->buf) - 1 - m->len, 0);
    if (n > 0)
        m->len += (size_t)n;
    m->buf[m->len] = '\0';
    bool complete = strstr(m->buf, "\r\n\r\n") || strstr(m->buf, "\n\n");
    if (!complete && n != 0 && m->len < sizeof(m->buf) - 1 && !(n < 0 && errno != EAGAIN))
        return;
    http_answer(l, m);
    if (m->out.len == 0) {
        sn__http_close(m);
        return;
    }
    http_write(l, m);
}

void sn__http_event(sn_loop *l, mconn *m, uint32_t events)
{
    if (m->out.len)
        http_write(l, m);
    else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        http_readable(l, m);
}

void sn__http_sweep(sn_loop *l, uint64_t now)
{
    for (size_t i = 0; i < METRICS_MAX; i++)
        if (l->mconns[i].in_use && now - l->mconns[i].started > METRICS_MS)
            sn__http_close(&l->mconns[i]);
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
    if (!rc) {
        snprintf(line, sizeof(line),
                 "# HELP sipreplyd_dns_send_failed_total Messages not sent: their destination "
                 "was a host name that did not resolve (RFC 3263 5).\n"
                 "# TYPE sipreplyd_dns_send_failed_total counter\n"
                 "sipreplyd_dns_send_failed_total %llu\n",
                 (unsigned long long)l->dns_send_failed);
        rc = sr_buf_append_cstr(out, line);
    }
    return rc;
}
