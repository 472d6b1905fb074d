/* The network shell's caches of the last peers (src/net/addr.c): the text of a source address
 * (sn__rx_text) and the sockaddr of a destination (sn__tx_addr) give what the uncached
 * conversions give, whatever the order of the peers; two peers in turns (a proxy's caller and
 * next hop) are converted once each, not at every datagram. No socket is opened. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "internal.h"

static const char *const hosts[] = {"127.0.0.1", "127.0.0.2", "[::1]", "192.0.2.7"};
static const uint16_t ports[] = {5060, 5080, 5060, 7};

static struct sockaddr_storage addr_of(int i)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    assert_int_equal(sn__text_addr(hosts[i], ports[i], &ss, &sl, false), 0);
    return ss;
}

/* Destinations: every lookup gives the uncached conversion's address and length. */
static void test_tx_same_as_uncached(void **state)
{
    (void)state;
    sn_loop *l = calloc(1, sizeof(*l));
    assert_non_null(l);
    unsigned x = 12345;
    for (int k = 0; k < 2000; k++) {
        x = x * 1103515245u + 12345u;
        int i = (int)((x >> 16) % 4);
        struct sockaddr_storage want, got;
        socklen_t wl, gl;
        assert_int_equal(sn__text_addr(hosts[i], ports[i], &want, &wl, false), 0);
        memset(&got, 0xa5, sizeof(got));
        assert_int_equal(sn__tx_addr(l, hosts[i], ports[i], &got, &gl), 0);
        assert_int_equal(gl, wl);
        assert_true(sn__same_addr(&got, &want, true));
        /* the same host on another port is another destination */
        assert_int_equal(sn__tx_addr(l, hosts[i], (uint16_t)(ports[i] + 1), &got, &gl), 0);
        uint16_t p = ((struct sockaddr_in *)&got)->sin_port; /* at the same offset in v6 */
        assert_int_equal(ntohs(p), ports[i] + 1);
    }
    struct sockaddr_storage ss;
    socklen_t sl;
    assert_int_not_equal(sn__tx_addr(l, "not an address", 5060, &ss, &sl), 0);
    free(l);
}

/* Sources: every lookup gives the text the uncached conversion gives. */
static void test_rx_same_as_uncached(void **state)
{
    (void)state;
    sn_loop *l = calloc(1, sizeof(*l));
    assert_non_null(l);
    unsigned x = 777;
    for (int k = 0; k < 2000; k++) {
        x = x * 1103515245u + 12345u;
        int i = (int)((x >> 16) % 4);
        struct sockaddr_storage ss = addr_of(i);
        char want[SR_ADDR_HOST_MAX], got[SR_ADDR_HOST_MAX];
        uint16_t wp, gp;
        sn__addr_text(&ss, want, sizeof(want), &wp);
        sn__rx_text(l, &ss, got, &gp);
        assert_string_equal(got, want);
        assert_int_equal(gp, wp);
        assert_int_equal(gp, ports[i]);
    }
    free(l);
}

/* Two peers in turns: after the first of each, no entry is replaced. */
static void test_two_peers_in_turns(void **state)
{
    (void)state;
    sn_loop *l = calloc(1, sizeof(*l));
    assert_non_null(l);
    struct sockaddr_storage ss;
    socklen_t sl;
    char host[SR_ADDR_HOST_MAX];
    uint16_t port;
    for (int k = 0; k < 10; k++) {
        struct sockaddr_storage a = addr_of(k % 2);
        sn__rx_text(l, &a, host, &port);
        assert_int_equal(sn__tx_addr(l, hosts[k % 2], ports[k % 2], &ss, &sl), 0);
        if (k >= 2) {
            assert_int_equal(l->rx_next, 0);
            assert_int_equal(l->tx_next, 0);
        }
    }
    /* a third peer replaces one entry; both of the others are still found right */
    struct sockaddr_storage c = addr_of(2);
    sn__rx_text(l, &c, host, &port);
    assert_string_equal(host, "[::1]");
    assert_int_equal(l->rx_next, 1);
    for (int k = 0; k < 3; k++) {
        struct sockaddr_storage a = addr_of(k);
        sn__rx_text(l, &a, host, &port);
        assert_int_equal(port, ports[k]);
    }
    free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tx_same_as_uncached),
        cmocka_unit_test(test_rx_same_as_uncached),
        cmocka_unit_test(test_two_peers_in_turns),
    };
    return cmocka_run_group_tests_name("addr_cache", tests, NULL, NULL);
}
