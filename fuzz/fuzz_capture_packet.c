/* sipreply fuzzing: sr_capture_packet on arbitrary packets of every link type.
 * Link headers, VLAN tags, IPv4/IPv6 and extension headers, UDP, TCP (capture_fuzz.h checks). */
#include <sipreply/frame.h>

#include "capture_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The same packet to a decoder that frames datagrams (@p a, checked by cf_feed) and one that
 * hands them over unframed (@p b, sr_capture_opts.udp_unframed): the same outcomes, and each
 * message of b, framed by sr_frame_datagram with the decoder's limits, is a's. */
static void feed_both(sr_capture *a, sr_capture *b, int link, uint64_t ts, const uint8_t *p,
                      size_t n, const sr_capture_opts *o)
{
    uint8_t *ca = malloc(n ? n : 1), *cb = malloc(n ? n : 1);
    CHECK(ca != NULL && cb != NULL);
    if (n) {
        memcpy(ca, p, n);
        memcpy(cb, p, n);
    }
    CHECK(sr_capture_packet(a, link, ts, ca, n) == 0);
    CHECK(sr_capture_packet(b, link, ts, cb, n) == 0);
    sr_frame_opts fo = {o->max_message < SR_FRAME_DEFAULT_MAX_HEADER ? o->max_message
                                                                     : SR_FRAME_DEFAULT_MAX_HEADER,
                        o->max_message, false};
    for (size_t k = 0;; k++) {
        sr_cap_msg ma, mb;
        int ra = sr_capture_poll(a, &ma), rb = sr_capture_poll(b, &mb);
        CHECK(ra == rb && (ra == 0 || ra == 1));
        if (ra == 0)
            break;
        CHECK(k < 100000);
        CHECK(ma.transport == mb.transport && ma.ts_ns == mb.ts_ns &&
              ma.reassembled == mb.reassembled);
        CHECK(memcmp(&ma.src, &mb.src, sizeof ma.src) == 0 &&
              memcmp(&ma.dst, &mb.dst, sizeof ma.dst) == 0);
        CHECK(sr_capture_is_sip_start(ma.data, ma.len) == 1);
        size_t want = mb.len;
        bool bad = false;
        if (mb.transport == SR_CAP_UDP) {
            CHECK(!mb.bad_framing);
            sr_frame f;
            ptrdiff_t r = sr_frame_datagram(mb.data, mb.len, &fo, &f, NULL);
            if (r > 0)
                want = (size_t)r;
            else
                bad = true;
        }
        CHECK(ma.len == want && ma.bad_framing == bad && memcmp(ma.data, mb.data, want) == 0);
    }
    free(ca);
    free(cb);
    const sr_capture_stats *sa = sr_capture_get_stats(a), *sb = sr_capture_get_stats(b);
    CHECK(memcmp(sa, sb, sizeof *sa) == 0);
    CHECK(cf_outcomes(sa) == sa->packets);
}

static const int links[] = {SR_CAP_LINK_ETHERNET, SR_CAP_LINK_LINUX_SLL, SR_CAP_LINK_LINUX_SLL2,
                            SR_CAP_LINK_NULL,     SR_CAP_LINK_LOOP,      SR_CAP_LINK_RAW,
                            SR_CAP_LINK_IPV4,     SR_CAP_LINK_IPV6,      99};

/* Input: one byte choosing the link type (low nibble), small limits (bit 4) and a second
 * decoder with udp_unframed to compare with (bit 5), then
 * packets, each a 2-byte big-endian length and that many bytes (the last one takes the rest). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int link = links[(data[0] & 0x0f) % (sizeof links / sizeof links[0])];
    sr_capture_opts o = cf_small_opts();
    sr_capture_opts defaults;
    memset(&defaults, 0, sizeof defaults);
    bool small = (data[0] & 0x10) != 0;
    sr_capture *c = NULL, *u = NULL;
    CHECK(sr_capture_new(&c, small ? &o : &defaults, NULL) == 0);
    sr_capture_opts uo = small ? o : defaults;
    uo.udp_unframed = true;
    CHECK(sr_capture_new(&u, &uo, NULL) == 0);
    if (!small) { /* the defaults, as the decoder resolves them */
        o.frag_budget = (size_t)4 << 20;
        o.tcp_budget = (size_t)64 << 20;
        o.max_message = 65536 + 1048576;
    }
    size_t i = 1;
    uint64_t ts = 0;
    while (i < size) {
        size_t n = size - i;
        if (n >= 2) {
            size_t want = (size_t)data[i] << 8 | data[i + 1];
            i += 2;
            n = size - i < want ? size - i : want;
        }
        if (data[0] & 0x20) /* against a decoder that hands datagrams over unframed */
            feed_both(c, u, link, ts, data + i, n, &o);
        else
            cf_feed(c, link, ts, data + i, n, &o);
        ts += 400; /* past the small limits' timeouts every few packets */
        i += n;
    }
    sr_capture_free(c);
    sr_capture_free(u);
    return 0;
}
