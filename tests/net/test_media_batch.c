/* The network shell's media sockets (src/net/media.c, media_tx.c) with a fake handler that
 * echoes every datagram back to its source: 64 RTP/RTCP pairs get one datagram each at once
 * (several sockets ready in one turn: the batched reads), every echo must come back from the
 * pair's own port (symmetric RTP, RFC 4961) with the payload intact; then a datagram on one
 * pair's RTCP port makes the handler echo it and close that pair in the same call (the queued
 * send must still leave). Run both ways: batched (io_uring) and plain (media_plain:
 * recvmmsg and sendto), with the hold on (several ready sockets: the loop then sleeps before
 * it waits again). No daemon linked; counted, not timed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "net.h"

#define PAIRS 64

typedef struct pair {
    sn_media_sock *sock;
    uint16_t port;
    int index;
} pair;

static sn_loop *loop;
static pair pairs[PAIRS];

static void f_receive(void *user, const char *data, size_t len, const sr_addr *src,
                      const sn_local *local, uint64_t now_ms)
{
    (void)user, (void)data, (void)len, (void)src, (void)local, (void)now_ms;
}

static void f_media(void *user, void *sock_user, bool rtcp, const uint8_t *data, size_t len,
                    const sr_addr *src, uint64_t now_ms)
{
    (void)user, (void)now_ms;
    pair *p = sock_user;
    sn_media_send(loop, p->sock, rtcp, data, len, src->host, src->port);
    if (rtcp && len >= 5 && memcmp(data, "close", 5) == 0) {
        sn_media_close(loop, p->sock); /* with its echo queued */
        sn_loop_stop(loop);
    }
}

static void *run(void *arg)
{
    sn_loop_run(arg);
    return NULL;
}

/* the next datagram on @p fd within 10 s (a bound against a hang, not a timing) */
static ssize_t next(int fd, uint8_t *buf, size_t cap, struct sockaddr_in *from)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    if (poll(&pf, 1, 10000) != 1)
        return -1;
    socklen_t fl = sizeof(*from);
    return recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, &fl);
}

static void echo_both_ways(bool plain)
{
    sn_opts o;
    sn_opts_default(&o);
    o.udp_hold_us = 1000;
    o.media_plain = plain;
    sn_handler h = {.receive = f_receive, .media_receive = f_media};
    char err[256];
    assert_int_equal(sn_loop_new(&loop, &o, &h, err, sizeof(err)), 0);
    for (int i = 0; i < PAIRS; i++) {
        pairs[i].index = i;
        assert_int_equal(sn_media_open(loop, "127.0.0.1", 0, 0, &pairs[i], &pairs[i].sock,
                                       &pairs[i].port, err, sizeof(err)),
                         0);
        assert_int_equal(pairs[i].port % 2, 0); /* RFC 3550 §11: RTP on an even port */
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run, loop), 0);
    /* one datagram to every pair's RTP port, all at once */
    for (int i = 0; i < PAIRS; i++) {
        uint8_t pkt[172] = {0x80, 0};
        pkt[12] = (uint8_t)i;
        memset(pkt + 13, 0xa5, sizeof(pkt) - 13);
        struct sockaddr_in to = me;
        to.sin_port = htons(pairs[i].port);
        assert_int_equal(sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)),
                         (ssize_t)sizeof(pkt));
    }
    int seen[PAIRS] = {0};
    for (int k = 0; k < PAIRS; k++) {
        uint8_t buf[512];
        struct sockaddr_in from;
        ssize_t n = next(fd, buf, sizeof(buf), &from);
        assert_int_equal(n, 172);
        int i = buf[12];
        assert_true(i < PAIRS);
        assert_int_equal(ntohs(from.sin_port), pairs[i].port); /* from the pair's RTP port */
        assert_int_equal(buf[171], 0xa5);
        seen[i]++;
    }
    for (int i = 0; i < PAIRS; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(sn_media_count(loop), PAIRS); /* none closed yet: only "close" does */
    /* "close" on pair 7's RTCP port: echoed from that port, then the pair is closed */
    struct sockaddr_in to = me;
    to.sin_port = htons((uint16_t)(pairs[7].port + 1));
    assert_int_equal(sendto(fd, "close", 5, 0, (struct sockaddr *)&to, sizeof(to)), 5);
    uint8_t buf[64];
    struct sockaddr_in from;
    assert_int_equal(next(fd, buf, sizeof(buf), &from), 5);
    assert_int_equal(ntohs(from.sin_port), pairs[7].port + 1);
    pthread_join(th, NULL);
    assert_int_equal(sn_media_count(loop), PAIRS - 1);
    close(fd);
    sn_loop_free(loop);
}

static void test_batched(void **state)
{
    (void)state;
    echo_both_ways(false);
}

static void test_plain(void **state)
{
    (void)state;
    echo_both_ways(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_batched),
                                       cmocka_unit_test(test_plain)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
