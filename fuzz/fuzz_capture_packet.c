/* sipreply fuzzing: sr_capture_packet on arbitrary packets of every link type.
 * Link headers, VLAN tags, IPv4/IPv6 and extension headers, UDP, TCP (capture_fuzz.h checks). */
#include "capture_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int links[] = {SR_CAP_LINK_ETHERNET, SR_CAP_LINK_LINUX_SLL, SR_CAP_LINK_LINUX_SLL2,
                            SR_CAP_LINK_NULL,     SR_CAP_LINK_LOOP,      SR_CAP_LINK_RAW,
                            SR_CAP_LINK_IPV4,     SR_CAP_LINK_IPV6,      99};

/* Input: one byte choosing the link type (low nibble) and small limits (bit 4), then
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
    sr_capture *c = NULL;
    CHECK(sr_capture_new(&c, small ? &o : &defaults, NULL) == 0);
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
        cf_feed(c, link, ts, data + i, n, &o);
        ts += 400; /* past the small limits' timeouts every few packets */
        i += n;
    }
    sr_capture_free(c);
    return 0;
}
