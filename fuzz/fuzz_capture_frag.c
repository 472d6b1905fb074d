/* sipreply fuzzing: IPv4 and IPv6 fragment reassembly (RFC 791 §3.2, RFC 8200 §4.5).
 * The input describes fragments; the target builds their IP headers, so every byte reaches
 * the reassembly logic (capture_fuzz.h checks). */
#include "capture_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Input: byte 0 bit 0 small limits. Then records: flags(1: bit0 more fragments, bit1 IPv6,
 * bit2-3 datagram id, bits 4-7 time step), offset in 8-byte units (2), length (1), data. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t pkt[40 + 8 + 256];
    if (size < 1)
        return 0;
    sr_capture_opts o = cf_small_opts();
    if (!(data[0] & 1)) {
        memset(&o, 0, sizeof o);
        o.frag_budget = (size_t)4 << 20;
        o.tcp_budget = (size_t)64 << 20;
        o.max_message = 65536 + 1048576;
    }
    sr_capture *c = NULL;
    CHECK(sr_capture_new(&c, (data[0] & 1) ? &o : NULL, NULL) == 0);
    size_t i = 1;
    uint64_t ts = 0;
    while (i + 4 <= size) {
        unsigned fl = data[i], off = (unsigned)data[i + 1] << 8 | data[i + 2], n = data[i + 3];
        i += 4;
        if (n > size - i)
            n = (unsigned)(size - i);
        ts += (uint64_t)(fl >> 4) * 100;
        bool more = fl & 1, v6 = (fl & 2) != 0;
        unsigned id = (fl >> 2) & 3;
        size_t len;
        if (!v6) {
            memset(pkt, 0, 20);
            pkt[0] = 0x45;
            put16(pkt + 2, 20 + n);
            put16(pkt + 4, id);
            put16(pkt + 6, (more ? 0x2000u : 0) | (off & 0x1fff));
            pkt[8] = 64;
            pkt[9] = 17;
            pkt[12] = 192, pkt[15] = 1, pkt[16] = 192, pkt[19] = 5;
            memcpy(pkt + 20, data + i, n);
            len = 20 + n;
        } else {
            memset(pkt, 0, 48);
            pkt[0] = 0x60;
            put16(pkt + 4, 8 + n);
            pkt[6] = 44;
            pkt[7] = 64;
            pkt[8] = 0x20, pkt[23] = 1, pkt[24] = 0x20, pkt[39] = 5;
            pkt[40] = 17;
            put16(pkt + 42, (off & 0x1fff) << 3 | (more ? 1u : 0));
            pkt[47] = (uint8_t)id;
            memcpy(pkt + 48, data + i, n);
            len = 48 + n;
        }
        cf_feed(c, SR_CAP_LINK_RAW, ts, pkt, len, &o);
        i += n;
    }
    sr_capture_free(c);
    return 0;
}
