/* The network shell (src/net) while its one UDP listener is kept busy: the loop then waits in
 * recvmmsg on it rather than in epoll_wait (docs/architecture.md, "The network shell's loop"),
 * and must still serve everything else — a TCP message, a /metrics request, a timer, SIGHUP,
 * and the drain on SIGTERM — while datagrams keep coming. The fake handler keeps one datagram
 * in flight to its own listener (each "tick" received sends the next), so the socket is never
 * empty when the loop reads it, whatever the scheduler does: a loop that never asked epoll
 * again while UDP is busy would serve none of them. No daemon linked. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "net.h"

typedef struct fake {
    sn_loop *loop;
    atomic_int udp;          /* datagrams received */
    atomic_int tcp_messages; /* TCP messages received */
    atomic_uint_fast64_t deadline;
    atomic_int timers;
    atomic_int reloads;
    atomic_int drained;
    atomic_int metrics_calls;
    /* the datagrams received when the TCP message, the reload and the /metrics request came */
    atomic_int udp_at_tcp, udp_at_reload, udp_at_metrics;
} fake;

/* epoll is asked at least every UDP_POLL_N (64) datagrams while UDP is busy (src/net/
 * internal.h), so an event on another descriptor is seen within a few times that many
 * ticks (a connection: its accept, then its data); a loop that never asked would see it only
 * at its next sweep (within a second: tens of thousands of ticks). Counted, not timed. */
#define TICKS_BOUND 1000

static atomic_int looping = 1; /* the handler sends itself the next tick */
static uint16_t udp_port, tcp_port, http_port;

static void f_receive(void *user, const char *data, size_t len, const sr_addr *src,
                      const sn_local *local, uint64_t now_ms)
{
    fake *f = user;
    (void)local;
    if (src->transport == SR_TP_TCP) {
        atomic_store(&f->udp_at_tcp, atomic_load(&f->udp));
        atomic_fetch_add(&f->tcp_messages, 1);
        sn_send(f->loop, data, len, src); /* echo on the connection */
        return;
    }
    atomic_fetch_add(&f->udp, 1);
    if (len == 5 && !memcmp(data, "timer", 5)) {
        atomic_store(&f->deadline, now_ms + 100);
        sn_send(f->loop, data, len, src);
    } else if (len == 4 && !memcmp(data, "tick", 4) && atomic_load(&looping)) {
        /* the next tick, to our own listener (the one this came in on: conn_id) */
        sr_addr self = *src;
        snprintf(self.host, sizeof(self.host), "127.0.0.1");
        self.port = udp_port;
        sn_send(f->loop, "tick", 4, &self);
    }
}

static uint64_t f_next_deadline(void *user)
{
    uint64_t d = atomic_load(&((fake *)user)->deadline);
    return d ? d : UINT64_MAX;
}

static void f_timer(void *user, uint64_t now_ms)
{
    fake *f = user;
    uint64_t d = atomic_load(&f->deadline);
    if (d && now_ms >= d) {
        atomic_store(&f->deadline, 0);
        atomic_fetch_add(&f->timers, 1);
    }
}

static void f_drain(void *user)
{
    atomic_fetch_add(&((fake *)user)->drained, 1);
}

static void f_reload(void *user)
{
    fake *f = user;
    atomic_store(&f->udp_at_reload, atomic_load(&f->udp));
    atomic_fetch_add(&f->reloads, 1);
}

static int f_metrics(void *user, sr_buf *out)
{
    fake *f = user;
    atomic_store(&f->udp_at_metrics, atomic_load(&f->udp));
    atomic_fetch_add(&f->metrics_calls, 1);
    return sr_buf_append_cstr(out, "fake_busy_total 1\n");
}

static fake F;
static int run_rc = -1;
static pthread_t th;

static void *run(void *arg)
{
    run_rc = sn_loop_run(arg);
    return NULL;
}

static struct sockaddr_in lo(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static uint16_t port_of(const char *listeners, const char *what)
{
    const char *p = strstr(listeners, what);
    assert_non_null(p);
    const char *nl = strchr(p, '\n');
    assert_non_null(nl);
    const char *sp = nl;
    while (sp > p && sp[-1] != ' ')
        sp--;
    return (uint16_t)atoi(sp);
}

static ssize_t recv_wait(int fd, char *buf, size_t cap, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) != 1)
        return -1;
    return recv(fd, buf, cap, 0);
}

/* Wait (bounded, 30 s: a hung loop, not a speed) until @p v moves past @p before. */
static int wait_past(atomic_int *v, int before)
{
    for (int i = 0; i < 6000 && atomic_load(v) <= before; i++)
        usleep(5000);
    return atomic_load(v);
}

static int setup(void **state)
{
    (void)state;
    sn_opts o;
    sn_opts_default(&o);
    o.reflection_budget = 0; /* the ticks to ourselves are no requests earning credit */
#ifdef BUSY_HOLD_US
    o.udp_hold_us = BUSY_HOLD_US; /* test_busy_hold.c */
#endif
    sn_handler h = {.user = &F,
                    .receive = f_receive,
                    .next_deadline = f_next_deadline,
                    .timer = f_timer,
                    .drain = f_drain,
                    .reload = f_reload,
                    .metrics = f_metrics};
    char err[256], bound[160];
    if (sn_loop_new(&F.loop, &o, &h, err, sizeof(err)) != 0 ||
        sn_listen(F.loop, "udp:127.0.0.1:0", bound, sizeof(bound), err, sizeof(err)) != 0 ||
        sn_listen(F.loop, "tcp:127.0.0.1:0", bound, sizeof(bound), err, sizeof(err)) != 0 ||
        sn_metrics_listen(F.loop, "127.0.0.1:0", bound, sizeof(bound), err, sizeof(err)) != 0) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    char ls[512];
    sn_listeners(F.loop, ls, sizeof(ls));
    udp_port = port_of(ls, "udp ");
    tcp_port = port_of(ls, "tcp ");
    http_port = port_of(ls, "metrics ");
    /* signals were blocked by sn_loop_new in this thread; both threads inherit that */
    if (pthread_create(&th, NULL, run, F.loop) != 0)
        return -1;
    /* the first tick; the loop is busy with UDP before the tests start */
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = lo(udp_port);
    if (fd < 0 || sendto(fd, "tick", 4, 0, (struct sockaddr *)&a, sizeof(a)) != 4)
        return -1;
    close(fd);
    return wait_past(&F.udp, 50) > 50 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sn_loop_free(F.loop);
    return 0;
}

static void test_tcp_while_busy(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = lo(tcp_port);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    const char *msg = "OPTIONS sip:x@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;"
                      "branch=z9hG4bKb\r\nContent-Length: 0\r\n\r\n";
    size_t len = strlen(msg);
    int udp_before = atomic_load(&F.udp);
    assert_int_equal(send(fd, msg, len, 0), (ssize_t)len);
    int udp_sent = atomic_load(&F.udp);
    char buf[512];
    size_t got = 0;
    while (got < len) {
        ssize_t n = recv_wait(fd, buf + got, sizeof(buf) - got, 30000);
        assert_true(n > 0);
        got += (size_t)n;
    }
    assert_memory_equal(buf, msg, len);
    assert_int_equal(atomic_load(&F.tcp_messages), 1);
    assert_true(atomic_load(&F.udp_at_tcp) - udp_sent < TICKS_BOUND);
    /* UDP was being answered all along */
    assert_true(wait_past(&F.udp, udp_before) > udp_before);
    close(fd);
}

static void test_metrics_while_busy(void **state)
{
    (void)state;
    int hf = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in h = lo(http_port);
    assert_int_equal(connect(hf, (struct sockaddr *)&h, sizeof(h)), 0);
    const char *req = "GET /metrics HTTP/1.0\r\n\r\n";
    assert_int_equal(send(hf, req, strlen(req), 0), (ssize_t)strlen(req));
    int udp_sent = atomic_load(&F.udp);
    char all[65536];
    size_t total = 0;
    for (;;) {
        ssize_t n = recv_wait(hf, all + total, sizeof(all) - 1 - total, 30000);
        if (n <= 0)
            break;
        total += (size_t)n;
    }
    all[total] = '\0';
    assert_true(!strncmp(all, "HTTP/1.0 200 OK\r\n", 17));
    assert_non_null(strstr(all, "fake_busy_total 1\n"));
    assert_int_equal(atomic_load(&F.metrics_calls), 1);
    assert_true(atomic_load(&F.udp_at_metrics) - udp_sent < TICKS_BOUND);
    close(hf);
}

static void test_timer_while_busy(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = lo(udp_port);
    int before = atomic_load(&F.timers);
    assert_int_equal(sendto(fd, "timer", 5, 0, (struct sockaddr *)&a, sizeof(a)), 5);
    assert_int_equal(wait_past(&F.timers, before), before + 1);
    assert_int_equal(atomic_load(&F.deadline), 0);
    close(fd);
}

static void test_sighup_while_busy(void **state)
{
    (void)state;
    assert_int_equal(kill(getpid(), SIGHUP), 0);
    int udp_sent = atomic_load(&F.udp);
    assert_int_equal(wait_past(&F.reloads, 0), 1);
    assert_true(atomic_load(&F.udp_at_reload) - udp_sent < TICKS_BOUND);
}

static void test_drain_while_busy(void **state)
{
    (void)state;
    int before = atomic_load(&F.udp);
    assert_int_equal(kill(getpid(), SIGTERM), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(run_rc, 0);
    assert_int_equal(atomic_load(&F.drained), 1);
    /* the ticks went on until the end */
    assert_true(atomic_load(&F.udp) > before);
    atomic_store(&looping, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_while_busy),   cmocka_unit_test(test_metrics_while_busy),
        cmocka_unit_test(test_timer_while_busy), cmocka_unit_test(test_sighup_while_busy),
        cmocka_unit_test(test_drain_while_busy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
