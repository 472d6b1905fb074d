/* sipreply fuzzing: TCP reassembly and stream framing (RFC 9293 sequence space, RFC 3261
 * §18.3). The input describes segments; the target builds their headers (capture_fuzz.h). */
#include "capture_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Input: byte 0: bit 0 small limits, bits 1-7 pick the initial sequence number (some near
 * the 2^32 wrap). Then records: flags(1: bits 0-2 FIN/SYN/RST, bit 3-4 source port of 4,
 * bits 5-7 time step), sequence offset from the ISN (2), length (1), data. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t pkt[20 + 20 + 256];
    if (size < 1)
        return 0;
    sr_capture_opts o = cf_small_opts();
    bool small = data[0] & 1;
    if (!small) {
        memset(&o, 0, sizeof o);
        o.frag_budget = (size_t)4 << 20;
        o.tcp_budget = (size_t)64 << 20;
        o.max_message = 65536 + 1048576;
    }
    uint32_t isn = (uint32_t)0 - (uint32_t)(data[0] >> 1) * 4096u;
    sr_capture *c = NULL;
    CHECK(sr_capture_new(&c, small ? &o : NULL, NULL) == 0);
    size_t i = 1;
    uint64_t ts = 0;
    while (i + 4 <= size) {
        unsigned fl = data[i], n = data[i + 3];
        uint32_t seq = isn + ((uint32_t)data[i + 1] << 8 | data[i + 2]);
        i += 4;
        if (n > size - i)
            n = (unsigned)(size - i);
        ts += (uint64_t)(fl >> 5) * 1000;
        memset(pkt, 0, 40);
        pkt[0] = 0x45;
        put16(pkt + 2, 40 + n);
        pkt[8] = 64;
        pkt[9] = 6;
        pkt[12] = 192, pkt[15] = 1, pkt[16] = 192, pkt[19] = 5;
        put16(pkt + 20, 5060 + ((fl >> 3) & 3));
        put16(pkt + 22, 5062);
        pkt[24] = (uint8_t)(seq >> 24), pkt[25] = (uint8_t)(seq >> 16);
        pkt[26] = (uint8_t)(seq >> 8), pkt[27] = (uint8_t)seq;
        pkt[32] = 5 << 4;
        pkt[33] = (uint8_t)(0x10 | (fl & 7));
        memcpy(pkt + 40, data + i, n);
        cf_feed(c, SR_CAP_LINK_RAW, ts, pkt, 40 + n, &o);
        i += n;
    }
    sr_capture_free(c);
    return 0;
}
