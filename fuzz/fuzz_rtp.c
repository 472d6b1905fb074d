/* sipreply fuzzing: the RTP/RTCP receive path (rtp.h) — sr_rtp_parse, sr_rtcp_parse,
 * sr_rtp_event_parse and a media stream fed the input as datagrams (echo or tone by the
 * first byte). Invariants (RFC 3550 §5.1, §6.4, A.2): a parsed payload lies inside the packet;
 * an echo is a valid RTP packet with our SSRC and the payload received; counters add up. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipreply/rtp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                     \
    do {                                                                             \
        if (!(x)) {                                                                  \
            fprintf(stderr, "fuzz_rtp: check failed: %s (line %d)\n", #x, __LINE__); \
            abort();                                                                 \
        }                                                                            \
    } while (0)

static void one_packet(sr_media *m, const uint8_t *p, size_t n, uint64_t now)
{
    sr_rtp_hdr h;
    int rc = sr_rtp_parse(p, n, &h);
    CHECK(rc == 0 || rc == SR_EBADMSG);
    if (rc == 0) {
        CHECK(h.payload_off >= SR_RTP_HDR_LEN && h.payload_off <= n);
        CHECK(h.payload_len <= n - h.payload_off);
        sr_rtp_event ev;
        int er = sr_rtp_event_parse(p + h.payload_off, h.payload_len, &ev);
        CHECK(er == (h.payload_len >= 4 ? 0 : SR_EBADMSG));
    }
    sr_rtcp_info info;
    int cr = sr_rtcp_parse(p, n, &info);
    CHECK(cr == 0 || cr == SR_EBADMSG);
    if (cr == 0)
        CHECK(info.n_blocks <= SR_RTCP_MAX_BLOCKS && info.n_pkts >= 1);
    uint8_t out[SR_RTP_MAX_PACKET];
    sr_media_rx rx;
    uint64_t sent = m->st.sent;
    rc = sr_media_receive(m, p, n, now, out, sizeof(out), &rx);
    CHECK(rc == 0 || rc == SR_EBADMSG);
    CHECK(rx.out_len <= sizeof(out));
    if (rx.out_len) {
        sr_rtp_hdr e;
        CHECK(sr_rtp_parse(out, rx.out_len, &e) == 0);
        CHECK(e.ssrc == m->cfg.ssrc && e.payload_len == h.payload_len);
        CHECK(memcmp(out + e.payload_off, p + h.payload_off, h.payload_len) == 0);
        CHECK(m->st.sent == sent + 1);
    }
    (void)sr_media_rtcp_receive(m, p, n, now); /* 0 or SR_EBADMSG, both fine */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    sr_media_cfg c;
    sr_media_cfg_init(&c);
    c.mode = (data[0] & 1) ? SR_MEDIA_ECHO : SR_MEDIA_TONE;
    c.te_pt = 101;
    c.ssrc = 0x5eed;
    c.timeout_ms = 1000;
    c.pt = (data[0] & 2) ? 8 : 0;
    sr_media m;
    sr_media_init(&m, &c, 0);
    /* the rest: datagrams, each a 2-byte length then its bytes (the last takes what is left) */
    size_t off = 1;
    uint64_t now = 0;
    uint8_t out[SR_RTP_MAX_PACKET];
    while (off < size) {
        size_t n = size - off;
        if (n >= 2) {
            size_t want = (size_t)data[off] << 8 | data[off + 1];
            off += 2;
            n = size - off;
            if (want < n)
                n = want;
        }
        /* each datagram in its own heap block of its exact size, so an over-read is caught */
        uint8_t *p = malloc(n ? n : 1);
        if (!p)
            return 0;
        memcpy(p, data + off, n);
        one_packet(&m, p, n, now);
        free(p);
        off += n;
        now += 20;
        while (sr_media_tick(&m, now, out, sizeof(out)) > 0)
            ;
    }
    size_t r = sr_media_rtcp(&m, now, 1, "fuzz", true, out, sizeof(out));
    sr_rtcp_info info;
    CHECK(r > 0 && sr_rtcp_parse(out, r, &info) == 0 && info.bye);
    sr_media_stats st;
    sr_media_get_stats(&m, &st);
    CHECK(st.received + st.bad >= 1 || size == 1);
    return 0;
}
