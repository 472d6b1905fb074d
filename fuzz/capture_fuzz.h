/* sipreply fuzzing: checks shared by the capture decoder's targets (fuzz_capture_*.c).
 * Every yielded message lies in readable memory and starts with a SIP start line; memory
 * held stays within the budgets; every packet lands in exactly one outcome counter. */
#ifndef SIPREPLY_CAPTURE_FUZZ_H
#define SIPREPLY_CAPTURE_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipreply/capture.h>

#define CHECK(x)                                                                         \
    do {                                                                                 \
        if (!(x)) {                                                                      \
            fprintf(stderr, "%s: check failed: %s (line %d)\n", __FILE__, #x, __LINE__); \
            abort();                                                                     \
        }                                                                                \
    } while (0)

/* Small limits so that eviction, timeouts and overflow are reached by short inputs. */
static inline sr_capture_opts cf_small_opts(void)
{
    sr_capture_opts o;
    memset(&o, 0, sizeof o);
    o.frag_budget = 8192;
    o.frag_timeout_ns = 1000;
    o.tcp_budget = 16384;
    o.tcp_max_ooo = 2048;
    o.max_streams = 8;
    o.tcp_idle_ns = 5000;
    o.max_message = 4096;
    return o;
}

static inline uint64_t cf_outcomes(const sr_capture_stats *s)
{
    return s->link_unsupported + s->link_truncated + s->not_ip + s->ip_bad + s->ip_truncated +
           s->ip_ext_bad + s->ip_other + s->frag_held + s->frag_bad + s->udp_bad + s->udp_not_sip +
           s->udp_keepalive + s->udp_sip + s->tcp_bad + s->tcp_segments;
}

/* Feed one packet (copied into an exact-size heap block, so an over-read is caught), poll
 * every message and check it. Returns the messages polled. */
static inline size_t cf_feed(sr_capture *c, int link, uint64_t ts, const uint8_t *p, size_t n,
                             const sr_capture_opts *o)
{
    uint8_t *copy = malloc(n ? n : 1);
    CHECK(copy != NULL);
    if (n)
        memcpy(copy, p, n);
    int rc = sr_capture_packet(c, link, ts, copy, n);
    CHECK(rc == 0);
    size_t k = 0;
    sr_cap_msg m;
    for (;;) {
        int r = sr_capture_poll(c, &m);
        CHECK(r == 0 || r == 1);
        if (r == 0)
            break;
        k++;
        CHECK(m.data != NULL && m.len > 0);
        CHECK(m.transport == SR_CAP_UDP || m.transport == SR_CAP_TCP);
        CHECK(m.src.family == 4 || m.src.family == 6);
        CHECK(m.src.family == m.dst.family);
        CHECK(sr_capture_is_sip_start(m.data, m.len) == 1);
        unsigned sum = 0;
        for (size_t i = 0; i < m.len; i++) /* every byte readable (ASan) */
            sum += (unsigned char)m.data[i];
        (void)sum; /* only the reads matter */
        if (m.transport == SR_CAP_TCP)
            CHECK(m.len <= o->max_message);
        CHECK(k < 100000);
    }
    free(copy);
    const sr_capture_stats *st = sr_capture_get_stats(c);
    CHECK(cf_outcomes(st) == st->packets);
    CHECK(sr_capture_held_bytes(c) <= o->frag_budget + o->tcp_budget);
    return k;
}

#endif /* SIPREPLY_CAPTURE_FUZZ_H */
