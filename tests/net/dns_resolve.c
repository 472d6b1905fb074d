/* The RFC 3263 resolver (src/net/resolve.c) against a real DNS server, driven by the shell's
 * loop: run by tests/net/dns_test.sh, which starts dnsmasq with the zone below in a private
 * network namespace and passes its address. Draws for RFC 2782 are injected. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "net.h"

static const char *server; /* argv[1]: dnsmasq */

typedef struct draws {
    uint32_t v[8];
    size_t n, used;
} draws;

static uint32_t next_draw(void *user)
{
    draws *d = user;
    return d->used < d->n ? d->v[d->used++] : 0;
}

typedef struct outcome {
    sn_loop *l;
    int calls;
    int status;
    sn_targets t;
} outcome;

static void on_result(void *user, int status, const sn_targets *t)
{
    outcome *o = user;
    o->calls++;
    o->status = status;
    o->t = *t;
    sn_loop_stop(o->l);
}

static void on_receive(void *user, const char *data, size_t len, const sr_addr *src,
                       const sn_local *local, uint64_t now_ms)
{
    (void)user, (void)data, (void)len, (void)src, (void)local, (void)now_ms;
}

typedef struct fixture {
    sn_loop *l;
    sn_resolver *r;
    draws d;
} fixture;

static fixture *fx_new(const char *servers, uint32_t timeout_ms)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    sn_opts o;
    sn_opts_default(&o);
    o.reflection_budget = 0;
    sn_handler h = {.receive = on_receive};
    char err[256];
    if (sn_loop_new(&f->l, &o, &h, err, sizeof(err)) != 0)
        fail_msg("loop: %s", err);
    sn_resolver_opts ro;
    sn_resolver_opts_default(&ro);
    ro.servers = servers;
    ro.timeout_ms = timeout_ms;
    ro.tries = 1;
    ro.random = next_draw;
    ro.random_user = &f->d;
    if (sn_resolver_new(&f->r, f->l, &ro, err, sizeof(err)) != 0)
        fail_msg("resolver: %s", err);
    return f;
}

static void fx_free(fixture *f)
{
    sn_resolver_free(f->r);
    sn_loop_free(f->l);
    free(f);
}

static int setup(void **state)
{
    *state = fx_new(server, 2000);
    return 0;
}

static int teardown(void **state)
{
    fx_free(*state);
    return 0;
}

/* resolve @p uri through the loop with draws @p v; the callback stops the loop */
static outcome resolve(fixture *f, const char *uri, const uint32_t *v, size_t nv)
{
    memset(&f->d, 0, sizeof(f->d));
    for (size_t i = 0; i < nv; i++)
        f->d.v[i] = v[i];
    f->d.n = nv;
    outcome o = {.l = f->l, .status = 1};
    assert_int_equal(sn_resolve_uri(f->r, uri, strlen(uri), on_result, &o, NULL), 0);
    assert_int_equal(o.calls, 0); /* never from inside the call */
    assert_int_equal(sn_loop_run(f->l), 0);
    assert_int_equal(o.calls, 1);
    return o;
}

/* "udp 127.0.0.1 5060 name" per target, one line each, "-" for an unsupported one */
static void assert_list(const outcome *o, const char *want)
{
    char got[4096] = "";
    size_t n = 0;
    static const char *tp[] = {"udp", "tcp", "tls", "sctp"};
    for (size_t i = 0; i < o->t.n; i++) {
        const sn_target *t = &o->t.t[i];
        n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s %s %u %s\n", t->supported ? "" : "-",
                              tp[t->addr.transport], t->addr.host, t->addr.port,
                              t->name[0] ? t->name : "*");
    }
    if (strcmp(got, want) != 0)
        fail_msg("targets:\n%s\nexpected:\n%s", got, want);
}

/* NAPTR: order then preference (TLS 10/20, TCP 10/50, UDP 20/10), SCTP dropped though its
 * order is best; TLS listed but unsupported; per host IPv4 then IPv6 */
static void test_naptr_order(void **state)
{
    outcome o = resolve(*state, "sip:naptr.sr.test", NULL, 0);
    assert_int_equal(o.status, 0);
    assert_list(&o, "-tls 127.0.1.1 5061 tls.naptr.sr.test\n"
                    "tcp 127.0.1.2 5070 tcp.naptr.sr.test\n"
                    "tcp [fd00::12] 5070 tcp.naptr.sr.test\n"
                    "udp 127.0.1.3 5080 udp.naptr.sr.test\n");
    /* NAPTR offering TLS only: listed, then SRV for the transports we have (RFC 3263 §4.1:
     * records of transports a client lacks are discarded) */
    o = resolve(*state, "sip:tlsonly.sr.test", NULL, 0);
    assert_list(&o, "-tls 127.0.6.1 5061 t.tlsonly.sr.test\n"
                    "udp 127.0.6.2 5060 u.tlsonly.sr.test\n");
    /* SIPS: the SIPS+D2T record only */
    o = resolve(*state, "sips:alice@naptr.sr.test", NULL, 0);
    assert_int_equal(o.status, 0);
    assert_list(&o, "-tls 127.0.1.1 5061 tls.naptr.sr.test\n");
}

/* no NAPTR: SRV for _sip._udp, _sip._tcp, _sips._tcp; priorities, then weights drawn */
static void test_srv_weights(void **state)
{
    /* _sip._udp: c (priority 5) first; then a (60) and b (40), laid out a, b: draw 0..60 → a */
    outcome o = resolve(*state, "sip:srv.sr.test", (const uint32_t[]){60}, 1);
    assert_int_equal(o.status, 0);
    /* _sip._tcp: d (priority 1) then gone (priority 2, no address: skipped) */
    assert_list(&o, "udp 127.0.5.3 5064 c.srv.sr.test\n"
                    "udp 127.0.5.1 5060 a.srv.sr.test\n"
                    "udp 127.0.5.2 5060 b.srv.sr.test\n"
                    "tcp 127.0.5.4 5062 d.srv.sr.test\n");
    /* draw 61 (61..100) → b first */
    o = resolve(*state, "sip:srv.sr.test", (const uint32_t[]){61}, 1);
    assert_list(&o, "udp 127.0.5.3 5064 c.srv.sr.test\n"
                    "udp 127.0.5.2 5060 b.srv.sr.test\n"
                    "udp 127.0.5.1 5060 a.srv.sr.test\n"
                    "tcp 127.0.5.4 5062 d.srv.sr.test\n");
    /* a transport given: no NAPTR, SRV for it only */
    o = resolve(*state, "sip:srv.sr.test;transport=TCP", NULL, 0);
    assert_list(&o, "tcp 127.0.5.4 5062 d.srv.sr.test\n");
}

/* no NAPTR, no SRV: A/AAAA at 5060 over UDP (SIP), 5061 over TLS (SIPS), or the URI's
 * transport */
static void test_no_srv(void **state)
{
    outcome o = resolve(*state, "sip:plain.sr.test", NULL, 0);
    assert_int_equal(o.status, 0);
    assert_list(&o, "udp 127.0.2.1 5060 plain.sr.test\nudp [fd00::21] 5060 plain.sr.test\n");
    o = resolve(*state, "sips:plain.sr.test", NULL, 0);
    assert_list(&o, "-tls 127.0.2.1 5061 plain.sr.test\n-tls [fd00::21] 5061 plain.sr.test\n");
    o = resolve(*state, "sip:plain.sr.test;transport=tcp", NULL, 0);
    assert_list(&o, "tcp 127.0.2.1 5060 plain.sr.test\ntcp [fd00::21] 5060 plain.sr.test\n");
    /* NAPTR but no SRV behind it: the domain's A record, the NAPTR's transport */
    o = resolve(*state, "sip:nosrv.sr.test", NULL, 0);
    assert_list(&o, "tcp 127.0.4.1 5060 nosrv.sr.test\n");
}

/* a port given: A/AAAA only, though the name has NAPTR records (RFC 3263 §4.2) */
static void test_explicit_port(void **state)
{
    outcome o = resolve(*state, "sip:naptr.sr.test:5099", NULL, 0);
    assert_int_equal(o.status, 0);
    assert_list(&o, "udp 127.0.3.1 5099 naptr.sr.test\n");
    o = resolve(*state, "sip:bob@naptr.sr.test:5099;transport=tcp", NULL, 0);
    assert_list(&o, "tcp 127.0.3.1 5099 naptr.sr.test\n");
}

/* a numeric host (or maddr) is used as it is: no query */
static void test_numeric(void **state)
{
    outcome o = resolve(*state, "sip:192.0.2.7", NULL, 0);
    assert_int_equal(o.status, 0);
    assert_list(&o, "udp 192.0.2.7 5060 *\n");
    o = resolve(*state, "sip:[2001:DB8::7]:5070;transport=tcp", NULL, 0);
    assert_list(&o, "tcp [2001:db8::7] 5070 *\n");
    o = resolve(*state, "sips:192.0.2.7", NULL, 0);
    assert_list(&o, "-tls 192.0.2.7 5061 *\n");
    o = resolve(*state, "sip:u@naptr.sr.test;maddr=192.0.2.9", NULL, 0);
    assert_list(&o, "udp 192.0.2.9 5060 *\n");
}

static void test_nxdomain(void **state)
{
    outcome o = resolve(*state, "sip:nx.sr.test", NULL, 0);
    assert_int_equal(o.status, SR_ENOTFOUND);
    assert_int_equal(o.t.n, 0);
    o = resolve(*state, "sip:nx.sr.test:5060", NULL, 0);
    assert_int_equal(o.status, SR_ENOTFOUND);
}

/* what is refused before any query */
static void test_refused(void **state)
{
    fixture *f = *state;
    outcome o = {.l = f->l};
    const char *bad[] = {"tel:+1-201-555-0123", "sip:x.sr.test;transport=ws",
                         "sips:x.sr.test;transport=udp", "not a uri"};
    const int want[] = {SR_EUNSUPPORTED, SR_EUNSUPPORTED, SR_EUNSUPPORTED, SR_EBADMSG};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(sn_resolve_uri(f->r, bad[i], strlen(bad[i]), on_result, &o, NULL),
                         want[i]);
    assert_int_equal(o.calls, 0);
}

/* bounded: max_pending resolutions in flight (SR_ENOSPC beyond), one resolver per loop */
static void test_limits(void **state)
{
    (void)state;
    sn_opts o;
    sn_opts_default(&o);
    o.reflection_budget = 0;
    sn_handler h = {.receive = on_receive};
    char err[256];
    sn_loop *l;
    assert_int_equal(sn_loop_new(&l, &o, &h, err, sizeof(err)), 0);
    sn_resolver_opts ro;
    sn_resolver_opts_default(&ro);
    ro.servers = server;
    ro.max_pending = 2;
    sn_resolver *r, *r2;
    assert_int_equal(sn_resolver_new(&r, l, &ro, err, sizeof(err)), 0);
    assert_int_not_equal(sn_resolver_new(&r2, l, &ro, err, sizeof(err)), 0);
    outcome a = {.l = l}, b = {.l = l}, c = {.l = l};
    assert_int_equal(sn_resolve_uri(r, "sip:plain.sr.test", 17, on_result, &a, NULL), 0);
    assert_int_equal(sn_resolve_uri(r, "sip:192.0.2.1", 13, on_result, &b, NULL), 0);
    assert_int_equal(sn_resolve_uri(r, "sip:192.0.2.2", 13, on_result, &c, NULL), SR_ENOSPC);
    /* a bad server list is refused when the resolver is made */
    sn_loop *l2;
    assert_int_equal(sn_loop_new(&l2, &o, &h, err, sizeof(err)), 0);
    ro.servers = "not-an-address";
    assert_int_not_equal(sn_resolver_new(&r2, l2, &ro, err, sizeof(err)), 0);
    sn_loop_free(l2);
    /* the loop frees a resolver left attached, and what is in flight, without callbacks */
    sn_loop_free(l);
    assert_int_equal(a.calls + b.calls + c.calls, 0);
}

/* A/AAAA for a host (a Via sent-by), and a cancelled resolution never calls back */
static void test_host_and_cancel(void **state)
{
    fixture *f = *state;
    outcome gone = {.l = f->l}, o = {.l = f->l};
    sn_resolve *h;
    assert_int_equal(sn_resolve_uri(f->r, "sip:srv.sr.test", 15, on_result, &gone, &h), 0);
    sn_resolve_cancel(h);
    assert_int_equal(sn_resolve_host(f->r, "plain.sr.test", 5090, SR_TP_TCP, on_result, &o, NULL),
                     0);
    assert_int_equal(sn_loop_run(f->l), 0);
    assert_int_equal(o.calls, 1);
    assert_list(&o, "tcp 127.0.2.1 5090 plain.sr.test\ntcp [fd00::21] 5090 plain.sr.test\n");
    /* let the cancelled one finish its queries too: a resolution that stops the loop */
    o.calls = 0;
    assert_int_equal(sn_resolve_uri(f->r, "sip:nx.sr.test", 14, on_result, &o, NULL), 0);
    assert_int_equal(sn_loop_run(f->l), 0);
    assert_int_equal(o.calls, 1);
    assert_int_equal(gone.calls, 0);
}

/* a server that never answers: a UDP socket of ours that reads nothing */
static void test_timeout(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    char silent[64];
    snprintf(silent, sizeof(silent), "127.0.0.1:%u", ntohs(a.sin_port));
    fixture *f = fx_new(silent, 100);
    outcome o = resolve(f, "sip:naptr.sr.test", NULL, 0);
    assert_int_equal(o.status, SR_ETIMEDOUT);
    assert_int_equal(o.t.n, 0);
    o = resolve(f, "sip:plain.sr.test:5060", NULL, 0);
    assert_int_equal(o.status, SR_ETIMEDOUT);
    /* the queries did reach it */
    char buf[512];
    assert_true(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 12);
    fx_free(f);
    close(fd);
}

/* sn_send to a host name (a Via sent-by): the datagram waits for the resolver, then goes.
 * The loop sends to its own listener by name; receiving it stops the loop. */
typedef struct echo {
    sn_loop *l;
    char got[64];
    size_t len;
    uint64_t guard; /* a bound on the wait, so a lost datagram fails rather than hangs */
    bool expired;
    char warning[256];
} echo;

static void echo_warn(void *user, const char *msg)
{
    echo *e = user;
    snprintf(e->warning, sizeof(e->warning), "%s", msg);
    sn_loop_stop(e->l);
}

static void echo_receive(void *user, const char *data, size_t len, const sr_addr *src,
                         const sn_local *local, uint64_t now_ms)
{
    (void)src, (void)local, (void)now_ms;
    echo *e = user;
    e->len = len < sizeof(e->got) ? len : sizeof(e->got);
    memcpy(e->got, data, e->len);
    sn_loop_stop(e->l);
}

static uint64_t echo_deadline(void *user)
{
    echo *e = user;
    return e->guard ? e->guard : UINT64_MAX;
}

static void echo_timer(void *user, uint64_t now_ms)
{
    echo *e = user;
    if (e->guard && now_ms >= e->guard) {
        e->expired = true;
        sn_loop_stop(e->l);
    }
}

static void test_send_by_name(void **state)
{
    (void)state;
    echo e = {0};
    sn_opts o;
    sn_opts_default(&o);
    o.reflection_budget = 0;
    sn_handler h = {.user = &e,
                    .receive = echo_receive,
                    .next_deadline = echo_deadline,
                    .timer = echo_timer,
                    .warn = echo_warn};
    char err[256], bound[160];
    assert_int_equal(sn_loop_new(&e.l, &o, &h, err, sizeof(err)), 0);
    assert_int_equal(sn_listen(e.l, "udp:127.0.0.1:0", bound, sizeof(bound), err, sizeof(err)), 0);
    sn_resolver_opts ro;
    sn_resolver_opts_default(&ro);
    ro.servers = server;
    sn_resolver *r;
    assert_int_equal(sn_resolver_new(&r, e.l, &ro, err, sizeof(err)), 0);
    const char *colon = strrchr(bound, ':');
    sr_addr to;
    assert_int_equal(sr_addr_set(&to, "peer.sr.test", (uint16_t)atoi(colon + 1), SR_TP_UDP), 0);
    sn_send(e.l, "by name", 7, &to);
    assert_int_equal(e.len, 0); /* not sent yet: the name is being resolved */
    e.guard = sn_now_ms() + 10000;
    assert_int_equal(sn_loop_run(e.l), 0);
    assert_false(e.expired);
    assert_int_equal(e.len, 7);
    assert_memory_equal(e.got, "by name", 7);
    /* TCP: a response whose connection is gone goes to a connection opened to the top Via
     * (RFC 3261 §18.2.2), here a sent-by name: the shell connects once it has resolved,
     * to our own TCP listener, which frames the message and hands it over */
    assert_int_equal(sn_listen(e.l, "tcp:127.0.0.1:0", bound, sizeof(bound), err, sizeof(err)), 0);
    char resp[256];
    int rn = snprintf(resp, sizeof(resp),
                      "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP peer.sr.test:%s;branch=z9hG4bK1\r\n"
                      "Content-Length: 0\r\n\r\n",
                      strrchr(bound, ':') + 1);
    sr_addr gone;
    assert_int_equal(sr_addr_set(&gone, "peer.sr.test", 1, SR_TP_TCP), 0);
    gone.conn_id = 0xfffffffff; /* no such connection */
    e.len = 0;
    sn_send(e.l, resp, (size_t)rn, &gone);
    e.guard = sn_now_ms() + 10000;
    assert_int_equal(sn_loop_run(e.l), 0);
    assert_false(e.expired);
    assert_int_equal(e.len, sizeof(e.got) < (size_t)rn ? sizeof(e.got) : (size_t)rn);
    assert_memory_equal(e.got, "SIP/2.0 200 OK", 14);
    /* a name that does not resolve: dropped and counted */
    assert_int_equal(sr_addr_set(&to, "nx.sr.test", 5060, SR_TP_UDP), 0);
    sn_send(e.l, "lost", 4, &to);
    e.guard = sn_now_ms() + 10000;
    assert_int_equal(sn_loop_run(e.l), 0); /* the warning stops it */
    assert_false(e.expired);
    assert_non_null(strstr(e.warning, "did not resolve"));
    sr_buf m;
    sr_buf_init(&m, NULL);
    assert_int_equal(sn_loop_metrics(e.l, &m), 0);
    assert_int_equal(sr_buf_append(&m, "", 1), 0);
    assert_non_null(strstr(m.p, "sipreplyd_dns_send_failed_total 1\n"));
    sr_buf_cleanup(&m);
    sn_resolver_free(r);
    sn_loop_free(e.l);
}

/* a lookup in flight does not hold the loop: with a server that never answers and a 60 s
 * timeout, a datagram that arrives meanwhile is handled at once (the test stops there and
 * never waits for the timeout) */
static void test_loop_not_blocked(void **state)
{
    (void)state;
    int silent = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    assert_int_equal(bind(silent, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(silent, (struct sockaddr *)&a, &al), 0);
    char servers[64];
    snprintf(servers, sizeof(servers), "127.0.0.1:%u", ntohs(a.sin_port));
    echo e = {0};
    sn_opts o;
    sn_opts_default(&o);
    o.reflection_budget = 0;
    sn_handler h = {.user = &e, .receive = echo_receive, .warn = echo_warn};
    char err[256], bound[160];
    assert_int_equal(sn_loop_new(&e.l, &o, &h, err, sizeof(err)), 0);
    assert_int_equal(sn_listen(e.l, "udp:127.0.0.1:0", bound, sizeof(bound), err, sizeof(err)), 0);
    sn_resolver_opts ro;
    sn_resolver_opts_default(&ro);
    ro.servers = servers;
    ro.timeout_ms = 60000;
    sn_resolver *r;
    assert_int_equal(sn_resolver_new(&r, e.l, &ro, err, sizeof(err)), 0);
    outcome res = {.l = e.l};
    assert_int_equal(sn_resolve_uri(r, "sip:naptr.sr.test", 17, on_result, &res, NULL), 0);
    int c = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    to.sin_port = htons((uint16_t)atoi(strrchr(bound, ':') + 1));
    assert_int_equal(sendto(c, "meanwhile", 9, 0, (struct sockaddr *)&to, sizeof(to)), 9);
    assert_int_equal(sn_loop_run(e.l), 0); /* the datagram stops it */
    assert_int_equal(e.len, 9);
    assert_int_equal(res.calls, 0); /* the lookup is still waiting for its answer */
    char buf[512];
    assert_true(recv(silent, buf, sizeof(buf), MSG_DONTWAIT) > 12); /* it was asked */
    /* a datagram waiting for its name when the resolver goes is released, and counted */
    sr_addr named;
    assert_int_equal(sr_addr_set(&named, "peer.sr.test", 5060, SR_TP_UDP), 0);
    sn_send(e.l, "waits", 5, &named);
    sn_resolver_free(r); /* cancels the lookup: no callback */
    assert_int_equal(res.calls, 0);
    assert_non_null(strstr(e.warning, "did not resolve"));
    sn_loop_free(e.l);
    close(c);
    close(silent);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DNS-SERVER (run by dns_test.sh)\n", argv[0]);
        return 2;
    }
    server = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_naptr_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_srv_weights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_srv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_explicit_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numeric, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nxdomain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_and_cancel, setup, teardown),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_send_by_name),
        cmocka_unit_test(test_loop_not_blocked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
