/* sipreply network shell: the epoll loop, its one clock read per turn, signals through
 * signalfd, setup and teardown; the handler table (net.h) is all it knows of the program. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

uint64_t sn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void sn__clock(sn_loop *l)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    l->now_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    l->now = l->now_us / 1000u;
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
    o->udp_hold_us = 0;
    o->media_plain = false;
    o->udp_errors = false;
}

int sn__set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL, 0);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int sn__ep_add(sn_loop *l, int fd, uint32_t events, watch *w)
{
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev);
}

int sn__ep_mod(sn_loop *l, int fd, uint32_t events, watch *w)
{
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev);
}

/* ------------------------------------------------------------------ setup */

int sn_loop_new(sn_loop **out, const sn_opts *o, const sn_handler *h, char *err, size_t errlen)
{
    if (!h->receive) {
        snprintf(err, errlen, "the handler has no receive function");
        return -1;
    }
    sn_loop *l = calloc(1, sizeof(*l));
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    l->o = *o;
    l->h = *h;
    l->gso = o->udp_gso;
    if (l->o.udp_hold_us > 1000)
        l->o.udp_hold_us = 1000;
    sn_hold_init(&l->hold, l->o.udp_hold_us);
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
    if (l->sigfd < 0 || sn__ep_add(l, l->sigfd, EPOLLIN, &l->sigw) != 0) {
        snprintf(err, errlen, "signalfd: %s", strerror(errno));
        sn_loop_free(l);
        return -1;
    }
    *out = l;
    return 0;
}

void sn_loop_free(sn_loop *l)
{
    if (!l)
        return;
    sn_resolver_free(l->dns); /* a resolver its owner left attached */
    sn__media_free_all(l);
    sn__media_tx_free(l);
    for (size_t i = 0; i < l->n_lsns; i++)
        if (l->lsns[i].fd >= 0)
            close(l->lsns[i].fd);
    for (size_t i = 0; l->conns && i < l->n_conns; i++)
        sn__conn_close(l, &l->conns[i]);
    for (size_t i = 0; i < METRICS_MAX; i++)
        sn__http_close(&l->mconns[i]);
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
                l->stop_deadline = l->now + l->o.shutdown_ms;
                stop_accepting(l);
                if (l->h.drain)
                    l->h.drain(l->h.user);
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

static uint64_t next_deadline(sn_loop *l)
{
    return l->h.next_deadline && l->h.timer ? l->h.next_deadline(l->h.user) : UINT64_MAX;
}

/* one event; media events are collected in @p media (handed over together, media.c) */
static void dispatch(sn_loop *l, const struct epoll_event *ev, watch **media, int *n_media)
{
    watch *w = ev->data.ptr;
    switch (w->kind) {
    case W_SIGNAL: on_signal(l); break;
    case W_UDP: sn__udp_readable(l, w->obj); break;
    case W_TCP_LSN: sn__tcp_accept(l, w->obj); break;
    case W_CONN: {
        conn *c = w->obj; /* NULL once closed earlier in this batch */
        if (c && c->in_use)
            sn__conn_event(l, c, ev->events);
        break;
    }
    case W_METRICS_LSN: sn__http_accept(l); break;
    case W_DNS:
        sn__dns_event(l, w, ev->events);
        sn__udp_flush(l); /* what results sent (send_dns.c, the program's callbacks) */
        break;
    case W_MEDIA: media[(*n_media)++] = w; break;
    case W_METRICS_CONN: {
        mconn *m = w->obj;
        if (m->in_use)
            sn__http_event(l, m, ev->events);
        break;
    }
    default: break;
    }
}

/* The loop's one open UDP listener, or NULL (none, or several: then epoll waits for them). */
static lsn *udp_solo(sn_loop *l)
{
    lsn *solo = NULL;
    for (size_t i = 0; i < l->n_lsns; i++)
        if (l->lsns[i].tp == SR_TP_UDP && l->lsns[i].fd >= 0) {
            if (solo)
                return NULL;
            solo = &l->lsns[i];
        }
    return solo;
}

int sn_loop_run(sn_loop *l)
{
    struct epoll_event evs[LOOP_EVENTS];
    /* the sweep runs often enough for the message deadline to be felt */
    uint64_t sweep_ms = l->o.message_ms / 4 < 1000 ? l->o.message_ms / 4 : 1000;
    if (sweep_ms < 10)
        sweep_ms = 10;
    sn__clock(l);
    uint64_t next_sweep = l->now + sweep_ms;
    uint64_t next_poll = l->now; /* the latest time epoll is asked again (busy UDP) */
    unsigned since_poll = 0;     /* datagrams read in recvmmsg waits since epoll was asked */
    uint64_t last_poll_us = l->now_us;
    uint64_t rx_at_poll = l->udp_rx; /* datagrams read before epoll was last asked */
    bool hold = false;               /* sn_opts.udp_hold_us applies until the next poll */
    bool full = false;       /* the last read in the wait filled its batch: read again at once */
    bool media_hold = false; /* the last turn read several media sockets: hold before waiting */
    for (;;) {
        /* one clock read per turn, right after the wait (STYLE.md §7): what the turn does
         * (the events, then what fell due) all runs at that time */
        uint64_t now = l->now;
        uint64_t dl = next_deadline(l);
        if (dl <= now) {
            l->h.timer(l->h.user, now);
            sn__udp_flush(l);
            sn__media_flush(l);
            dl = next_deadline(l);
        }
        /* DNS: timeouts, and results to deliver (callbacks may send) */
        if (sn__dns_deadline(l) <= now) {
            sn__dns_timer(l, now);
            sn__udp_flush(l);
            dl = next_deadline(l);
        }
        if (l->quit) {
            l->quit = false;
            break;
        }
        uint64_t dns_dl = sn__dns_deadline(l);
        if (dns_dl < dl)
            dl = dns_dl;
        if (now >= next_sweep) {
            sn__tcp_sweep(l, now);
            sn__http_sweep(l, now);
            next_sweep = now + sweep_ms;
        }
        if (l->stopping && (!l->h.pending || l->h.pending(l->h.user) == 0) &&
            !sn__tcp_writes_pending(l) && !l->dns_parked)
            break;
        if (l->stopping && now >= l->stop_deadline) {
            /* out of time: the handler ends what still runs (best effort on TCP) */
            if (l->h.abort)
                l->h.abort(l->h.user, now);
            sn__udp_flush(l);
            sn__media_flush(l);
            for (size_t i = 0; i < l->n_conns; i++)
                if (l->conns[i].in_use && l->conns[i].wlen)
                    sn__conn_flush(l, &l->conns[i]);
            break;
        }
        if (dl > next_sweep)
            dl = next_sweep;
        if (l->stopping && dl > l->stop_deadline)
            dl = l->stop_deadline;
        /* Busy UDP on the one listener: sleep in its recvmmsg instead of epoll_wait and a
         * recvmmsg (one system call per wake-up less), as long as nothing else can be due
         * before the wait ends: no deadline within UDP_WAIT_GUARD_MS, epoll asked within
         * UDP_POLL_MS and UDP_POLL_N datagrams (TCP, /metrics, signals wait that long at
         * most while datagrams keep coming), not stopping. A wait that times out ends it. */
        lsn *solo = l->udp_busy && !l->stopping ? udp_solo(l) : NULL;
        bool wait =
            solo && now < next_poll && since_poll < UDP_POLL_N && dl >= now + UDP_WAIT_GUARD_MS;
        /* the hold is skipped after a read that answered nothing when such reads have lately
         * been followed by a silence longer than a hold (hold.h: bursty peers, whose ACKs
         * come back before the next burst): epoll waits for the next datagram instead, as
         * long as it takes, where a hold would have woken once more to find nothing */
        if (wait && hold && !full && !sn_hold_before(&l->hold))
            wait = false;
        if (wait) {
            if (hold && !full) {
                /* datagrams come faster than one per half hold: let them gather (a timer
                 * wakes us, not each datagram), then take them all in one read; after a read
                 * that filled its batch more are waiting already, and sleeping again would
                 * let the socket fill faster than the loop empties it */
                struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)l->o.udp_hold_us * 1000};
                nanosleep(&ts, NULL);
            }
            uint64_t tx0 = l->udp_tx;
            int got = sn__udp_wait(l, solo);
            sn__media_flush(l); /* what the requests' handling sent on media sockets */
            full = got >= UDP_BATCH;
            if (got == 0)
                l->udp_busy = false;
            else if (got > 0) {
                since_poll += (unsigned)got;
                sn_hold_after(&l->hold, l->now_us, (unsigned)got, (unsigned)(l->udp_tx - tx0));
            }
            continue;
        }
        int timeout = dl <= now ? 0 : (int)(dl - now > 60000 ? 60000 : dl - now);
        if (media_hold && timeout > 0) {
            /* busy media sockets (the last turn found several ready): let datagrams gather
             * for one hold, so that a wake-up serves many streams, not one (the same
             * sn_opts.udp_hold_us, at most that much later; never past a deadline) */
            long ns = (long)l->o.udp_hold_us * 1000;
            if (ns > (long)timeout * 1000000)
                ns = (long)timeout * 1000000;
            struct timespec ts = {.tv_sec = 0, .tv_nsec = ns};
            nanosleep(&ts, NULL);
        }
        l->udp_busy = false; /* set again by a read that finds datagrams */
        int n = epoll_wait(l->ep, evs, LOOP_EVENTS, timeout);
        if (n < 0 && errno != EINTR)
            return 1;
        sn__clock(l);
        /* the rate of the window since the last poll decides the hold for the next one:
         * more than two datagrams per hold, counting every UDP read of the window (those of
         * epoll's turns too: counting only the waits' turned the hold off after two polls
         * in a row, and the loop then woke for every ACK of a burst's answers) */
        uint64_t window = l->now_us - last_poll_us, seen = l->udp_rx - rx_at_poll;
        hold = l->o.udp_hold_us && seen >= 2 && seen * l->o.udp_hold_us > 2 * (window ? window : 1);
        last_poll_us = l->now_us;
        rx_at_poll = l->udp_rx;
        next_poll = l->now + UDP_POLL_MS;
        since_poll = 0;
        watch *media[LOOP_EVENTS];
        int n_media = 0;
        uint64_t rx0 = l->udp_rx, tx0 = l->udp_tx;
        for (int i = 0; i < n; i++)
            dispatch(l, &evs[i], media, &n_media);
        sn_hold_after(&l->hold, l->now_us, (unsigned)(l->udp_rx - rx0),
                      (unsigned)(l->udp_tx - tx0));
        if (n_media)
            sn__media_events(l, media, n_media);
        /* not after a full batch: more sockets are ready already, and sleeping would cap
         * what the loop reads at LOOP_EVENTS per hold (3,000 streams lost a third) */
        media_hold = l->o.udp_hold_us && n_media >= 2 && n < LOOP_EVENTS;
        sn__media_flush(l); /* the turn's media sends (echoes) in one system call */
        sn__media_reap(l);  /* after the batch: no event left names a closed pair */
    }
    sn__udp_flush(l);
    sn__media_flush(l);
    return 0;
}

void sn_send(sn_loop *l, const char *data, size_t len, const sr_addr *to)
{
    if (to->transport == SR_TP_UDP)
        sn__udp_send(l, data, len, to);
    else
        sn__tcp_send(l, data, len, to);
}
