/* The network shell (src/net) driven by a fake handler, no daemon linked: UDP echo through
 * the handler table, a TCP message framed from pieces, a timer at its deadline, a transport
 * error for a refused reconnection, /metrics for a slow reader, and the drain on SIGTERM. */
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
#include <unistd.h>

#include <cmocka.h>

#include "net.h"

typedef struct fake {
    sn_loop *loop;
    atomic_int received;     /* receive calls */
    atomic_int tcp_messages; /* of them, TCP */
    atomic_size_t tcp_len;   /* the last TCP message's length */
    atomic_uint_fast64_t deadline, fired_at;
    atomic_int timers;
    atomic_int transport_errors;
    atomic_int drained;
    atomic_int metrics_calls;
    uint16_t refused_port; /* a bound, not listening, TCP port */
} fake;

static void f_receive(void *user, const char *data, size_t len, const sr_addr *src,
                      const sn_local *local, uint64_t now_ms)
{
    fake *f = user;
    assert_non_null(local);
    atomic_fetch_add(&f->received, 1);
    if (src->transport == SR_TP_TCP) {
        atomic_fetch_add(&f->tcp_messages, 1);
        atomic_store(&f->tcp_len, len);
        sn_send(f->loop, data, len, src); /* echo on the connection */
        return;
    }
    if (len == 5 && !memcmp(data, "timer", 5)) {
        atomic_store(&f->deadline, now_ms + 50);
    } else if (len == 9 && !memcmp(data, "reconnect", 9)) {
        /* a response whose connection is gone: the shell opens one to the top Via (RFC 3261
         * §18.2.2), which refuses it */
        char msg[256];
        int n = snprintf(msg, sizeof(msg),
                         "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1:%u;branch=z9hG4bK1\r\n"
                         "Content-Length: 0\r\n\r\n",
                         f->refused_port);
        sr_addr to = *src;
        to.transport = SR_TP_TCP;
        to.conn_id = 0xfffffffff; /* no such connection */
        to.port = f->refused_port;
        sn_send(f->loop, msg, (size_t)n, &to);
        return;
    }
    char out[2048];
    if (len + 5 > sizeof(out))
        return;
    memcpy(out, "echo ", 5);
    memcpy(out + 5, data, len);
    sn_send(f->loop, out, len + 5, src);
}

static uint64_t f_next_deadline(void *user)
{
    fake *f = user;
    uint64_t d = atomic_load(&f->deadline);
    return d ? d : UINT64_MAX;
}

static void f_timer(void *user, uint64_t now_ms)
{
    fake *f = user;
    uint64_t d = atomic_load(&f->deadline);
    if (d && now_ms >= d) {
        atomic_store(&f->fired_at, now_ms);
        atomic_store(&f->deadline, 0);
        atomic_fetch_add(&f->timers, 1);
    }
}

static void f_transport_error(void *user, const sr_addr *peer, uint64_t now_ms)
{
    fake *f = user;
    (void)now_ms;
    if (peer->port == f->refused_port)
        atomic_fetch_add(&f->transport_errors, 1);
}

static void f_drain(void *user)
{
    atomic_fetch_add(&((fake *)user)->drained, 1);
}

static size_t f_pending(void *user)
{
    (void)user;
    return 0;
}

/* 3.4 MB of counters: more than a socket buffer holds, so the writer must wait for the reader */
static int f_metrics(void *user, sr_buf *out)
{
    atomic_fetch_add(&((fake *)user)->metrics_calls, 1);
    char line[64];
    for (int i = 0; i < 100000; i++) {
        snprintf(line, sizeof(line), "fake_counter_%06d_total %d\n", i, i);
        if (sr_buf_append_cstr(out, line) != 0)
            return SR_ENOMEM;
    }
    return 0;
}

static fake F;
static int run_rc = -1;

static void *run(void *arg)
{
    run_rc = sn_loop_run(arg);
    return NULL;
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

static int udp_client(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    return fd;
}

static struct sockaddr_in lo(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* How long a step may take before the test gives up: a bound for a hung loop, never a
 * measure of speed (the machine running the tests may be loaded). */
#define WAIT_MS 30000

static ssize_t recv_wait(int fd, char *buf, size_t cap, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) != 1)
        return -1;
    return recv(fd, buf, cap, 0);
}

static uint16_t udp_port, tcp_port, http_port;
static pthread_t th;

static int setup(void **state)
{
    (void)state;
    sn_opts o;
    sn_opts_default(&o);
    o.message_ms = 2000;
    sn_handler h = {.user = &F,
                    .receive = f_receive,
                    .next_deadline = f_next_deadline,
                    .timer = f_timer,
                    .transport_error = f_transport_error,
                    .drain = f_drain,
                    .pending = f_pending,
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
    /* a TCP port bound and not listening: a connection to it is refused */
    int rf = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = lo(0);
    socklen_t al = sizeof(a);
    if (bind(rf, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(rf, (struct sockaddr *)&a, &al) != 0)
        return -1;
    F.refused_port = ntohs(a.sin_port);
    /* signals were blocked by sn_loop_new in this thread; the loop's thread inherits that */
    return pthread_create(&th, NULL, run, F.loop) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sn_loop_free(F.loop);
    return 0;
}

static void test_udp_echo(void **state)
{
    (void)state;
    int fd = udp_client();
    struct sockaddr_in a = lo(udp_port);
    assert_int_equal(sendto(fd, "hello", 5, 0, (struct sockaddr *)&a, sizeof(a)), 5);
    char buf[64];
    ssize_t n = recv_wait(fd, buf, sizeof(buf), WAIT_MS);
    assert_int_equal(n, 10);
    assert_memory_equal(buf, "echo hello", 10);
    /* a burst: every datagram answered, in order */
    for (int i = 0; i < 100; i++) {
        char m[16];
        int k = snprintf(m, sizeof(m), "m%03d", i);
        sendto(fd, m, (size_t)k, 0, (struct sockaddr *)&a, sizeof(a));
    }
    for (int i = 0; i < 100; i++) {
        char want[16];
        snprintf(want, sizeof(want), "echo m%03d", i);
        n = recv_wait(fd, buf, sizeof(buf), WAIT_MS);
        assert_int_equal(n, 9);
        assert_memory_equal(buf, want, 9);
    }
    close(fd);
}

static void test_tcp_framed(void **state)
{
    (void)state;
    int before = atomic_load(&F.tcp_messages);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = lo(tcp_port);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    const char *msg = "OPTIONS sip:x@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;"
                      "branch=z9hG4bKt\r\nContent-Length: 4\r\n\r\nbody";
    size_t len = strlen(msg);
    /* in two pieces, with a pause: one message for the handler, whole */
    assert_int_equal(send(fd, msg, 20, 0), 20);
    usleep(50000);
    assert_int_equal(atomic_load(&F.tcp_messages), before);
    assert_int_equal(send(fd, msg + 20, len - 20, 0), (ssize_t)(len - 20));
    char buf[512];
    size_t got = 0;
    while (got < len) {
        ssize_t n = recv_wait(fd, buf + got, sizeof(buf) - got, WAIT_MS);
        assert_true(n > 0);
        got += (size_t)n;
    }
    assert_int_equal(got, len);
    assert_memory_equal(buf, msg, len);
    assert_int_equal(atomic_load(&F.tcp_messages), before + 1);
    assert_int_equal(atomic_load(&F.tcp_len), len);
    close(fd);
}

static void test_timer(void **state)
{
    (void)state;
    int fd = udp_client();
    struct sockaddr_in a = lo(udp_port);
    int before = atomic_load(&F.timers);
    sendto(fd, "timer", 5, 0, (struct sockaddr *)&a, sizeof(a));
    for (int i = 0; i < WAIT_MS / 5 && atomic_load(&F.timers) == before; i++)
        usleep(5000);
    assert_int_equal(atomic_load(&F.timers), before + 1);
    assert_int_equal(atomic_load(&F.deadline), 0);
    close(fd);
}

static void test_transport_error(void **state)
{
    (void)state;
    int fd = udp_client();
    struct sockaddr_in a = lo(udp_port);
    sendto(fd, "reconnect", 9, 0, (struct sockaddr *)&a, sizeof(a));
    for (int i = 0; i < WAIT_MS / 5 && atomic_load(&F.transport_errors) == 0; i++)
        usleep(5000);
    assert_int_equal(atomic_load(&F.transport_errors), 1);
    close(fd);
}

/* A scraper that reads nothing for a while does not stop the loop: UDP is answered
 * meanwhile, and the scraper still gets the whole response when it reads. */
static void test_metrics_slow_reader(void **state)
{
    (void)state;
    int hf = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    setsockopt(hf, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    struct sockaddr_in h = lo(http_port);
    assert_int_equal(connect(hf, (struct sockaddr *)&h, sizeof(h)), 0);
    const char *req = "GET /metrics HTTP/1.0\r\n\r\n";
    assert_int_equal(send(hf, req, strlen(req), 0), (ssize_t)strlen(req));
    for (int i = 0; i < WAIT_MS / 5 && atomic_load(&F.metrics_calls) == 0; i++)
        usleep(5000);
    assert_int_equal(atomic_load(&F.metrics_calls), 1);
    int fd = udp_client();
    struct sockaddr_in a = lo(udp_port);
    sendto(fd, "still", 5, 0, (struct sockaddr *)&a, sizeof(a));
    char buf[65536];
    assert_int_equal(recv_wait(fd, buf, sizeof(buf), WAIT_MS), 10);
    close(fd);
    size_t cap = 4u << 20, total = 0;
    char *all = malloc(cap + 1);
    assert_non_null(all);
    for (;;) {
        ssize_t n = recv_wait(hf, all + total, cap - total, WAIT_MS);
        if (n <= 0)
            break;
        total += (size_t)n;
    }
    all[total] = '\0';
    assert_true(total > 3000000);
    assert_true(!strncmp(all, "HTTP/1.0 200 OK\r\n", 17));
    assert_non_null(strstr(all, "fake_counter_099999_total 99999\n"));
    /* the shell's own counters follow the handler's, and the response is whole */
    const char *shell = strstr(all, "sipreplyd_tcp_closed_total");
    assert_non_null(shell);
    assert_true(shell > strstr(all, "fake_counter_099999_total"));
    assert_non_null(strstr(shell, "sipreplyd_reflection_limited_total 0\n"));
    free(all);
    close(hf);
}

static void test_drain(void **state)
{
    (void)state;
    assert_int_equal(kill(getpid(), SIGTERM), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(run_rc, 0);
    assert_int_equal(atomic_load(&F.drained), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_echo),
        cmocka_unit_test(test_tcp_framed),
        cmocka_unit_test(test_timer),
        cmocka_unit_test(test_transport_error),
        cmocka_unit_test(test_metrics_slow_reader),
        cmocka_unit_test(test_drain),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
