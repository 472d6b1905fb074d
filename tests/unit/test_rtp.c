/* Unit tests: RTP/RTCP packets, receiver statistics (RFC 3550 A.1, A.3, A.8), G.711, tones,
 * RFC 4733 events and the media stream (echo, tone, RTCP, timeout) in simulated time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/rtp.h"
#include "testutil.h"

#define SR_PI 3.14159265358979323846

static size_t rtp_pkt(uint8_t *b, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
                      const uint8_t *pl, size_t n)
{
    size_t off = sr_rtp_write_hdr(b, 1500, pt, false, seq, ts, ssrc);
    memcpy(b + off, pl, n);
    return off + n;
}

static void test_rtp_parse(void **state)
{
    (void)state;
    uint8_t b[64], pl[4] = {1, 2, 3, 4};
    size_t n = rtp_pkt(b, 0, 7, 160, 0x11223344, pl, 4);
    sr_rtp_hdr h;
    assert_int_equal(sr_rtp_parse(b, n, &h), 0);
    assert_int_equal(h.pt, 0);
    assert_int_equal(h.seq, 7);
    assert_int_equal(h.ts, 160);
    assert_int_equal(h.ssrc, 0x11223344);
    assert_int_equal(h.payload_off, 12);
    assert_int_equal(h.payload_len, 4);
    /* a CSRC, an extension of one word, two bytes of padding (RFC 3550 §5.1, §5.3.1) */
    uint8_t c[] = {0xb1, 0x88, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, /* V=2 P X CC=1, M, pt 8 */
                   0,    0,    0, 9,                         /* CSRC */
                   0xbe, 0xde, 0, 1, 0, 0, 0, 0,             /* extension */
                   0xaa, 0xbb, 0, 2};                        /* payload, padding 2 */
    assert_int_equal(sr_rtp_parse(c, sizeof(c), &h), 0);
    assert_true(h.marker);
    assert_int_equal(h.pt, 8);
    assert_int_equal(h.cc, 1);
    assert_int_equal(h.payload_off, 24);
    assert_int_equal(h.payload_len, 2);
    /* refused: short, version 1, padding 0 or too long, CSRC beyond the end, RTCP types */
    assert_int_equal(sr_rtp_parse(b, 11, &h), SR_EBADMSG);
    b[0] = 0x40;
    assert_int_equal(sr_rtp_parse(b, n, &h), SR_EBADMSG);
    c[sizeof(c) - 1] = 0;
    assert_int_equal(sr_rtp_parse(c, sizeof(c), &h), SR_EBADMSG);
    c[sizeof(c) - 1] = 5;
    assert_int_equal(sr_rtp_parse(c, sizeof(c), &h), SR_EBADMSG);
    c[0] = 0x8f;
    assert_int_equal(sr_rtp_parse(c, 20, &h), SR_EBADMSG);
    n = rtp_pkt(b, 72, 1, 1, 1, pl, 4);
    assert_int_equal(sr_rtp_parse(b, n, &h), SR_EBADMSG);
    assert_int_equal(sr_rtp_parse(NULL, 0, &h), SR_EINVAL);
}

static void test_g711(void **state)
{
    (void)state;
    assert_int_equal(sr_g711_ulaw_encode(0), 0xff);
    assert_int_equal(sr_g711_ulaw_decode(0xff), 0);
    assert_int_equal(sr_g711_ulaw_decode(0x00), -32124);
    assert_int_equal(sr_g711_ulaw_decode(0x80), 32124);
    assert_int_equal(sr_g711_alaw_encode(0), 0xd5);
    assert_int_equal(sr_g711_alaw_decode(0xd5), 8);
    assert_int_equal(sr_g711_alaw_decode(0x55), -8);
    assert_int_equal(sr_g711_alaw_decode(0xaa), 32256);
    /* every code decodes to a value that encodes back to a code of the same value */
    for (unsigned c = 0; c < 256; c++) {
        int16_t u = sr_g711_ulaw_decode((uint8_t)c);
        assert_int_equal(sr_g711_ulaw_decode(sr_g711_ulaw_encode(u)), u);
        int16_t a = sr_g711_alaw_decode((uint8_t)c);
        assert_int_equal(sr_g711_alaw_encode(a), c);
    }
    /* the quantisation error stays within a step (under 1/16 of the value above 256) */
    for (int v = -32768; v < 32768; v += 7) {
        int du = sr_g711_ulaw_decode(sr_g711_ulaw_encode((int16_t)v)) - v;
        int da = sr_g711_alaw_decode(sr_g711_alaw_encode((int16_t)v)) - v;
        int lim = abs(v) / 16 + 36;
        assert_true(abs(du) <= lim || abs(v) > 32635);
        assert_true(abs(da) <= lim);
    }
}

/* Goertzel power of @p hz in @p x[0..n) at 8 kHz */
static double goertzel(const double *x, size_t n, double hz)
{
    double w = 2 * SR_PI * hz / 8000.0, c = 2 * cos(w), s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double s = x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    return s1 * s1 + s2 * s2 - c * s1 * s2;
}

static void test_tone(void **state)
{
    (void)state;
    assert_int_equal(sr_tone_sample(1000, 0, 8000), 0);
    assert_int_equal(sr_tone_sample(1000, 2, 8000), 8000); /* a quarter period */
    assert_int_equal(sr_tone_sample(1000, 6, 8000), -8000);
    assert_int_equal(sr_tone_sample(1000, 8, 8000), 0);
    /* exact phase after a long time: sample n and n + 8000 are equal */
    assert_int_equal(sr_tone_sample(440, 123456789ULL, 9000),
                     sr_tone_sample(440, 123456789ULL + 8000, 9000));
    static double x[8000];
    for (size_t i = 0; i < 8000; i++)
        x[i] = sr_g711_ulaw_decode(sr_g711_ulaw_encode(sr_tone_sample(440, i, 8000)));
    double p = goertzel(x, 8000, 440);
    assert_true(p > 100 * goertzel(x, 8000, 400));
    assert_true(p > 100 * goertzel(x, 8000, 1000));
    for (size_t i = 0; i < 8000; i++)
        assert_true(fabs(sr_tone_sample(440, i, 8000) - 8000 * sin(2 * SR_PI * 440 * i / 8000.0)) <
                    1.0);
}

static void test_source_stats(void **state)
{
    (void)state;
    sr_rtp_source s;
    sr_rtp_source_init(&s, 5, 65530);
    /* 65530..65535, 0..20 with 3 missing; arrival spacing equal to the timestamps': jitter 0 */
    uint32_t ts = 1000;
    unsigned counted = 0;
    for (unsigned i = 0; i < 27; i++) {
        uint16_t seq = (uint16_t)(65530 + i);
        ts += 160;
        if (seq == 3)
            continue;
        if (sr_rtp_source_update(&s, seq, ts, ts + 5000, 160))
            counted++;
    }
    assert_int_equal(counted, 25); /* the first packet is the probation's */
    assert_int_equal(sr_rtp_source_ext_max(&s), 65536 + 20);
    assert_int_equal(sr_rtp_source_expected(&s), 26);
    assert_int_equal(sr_rtp_source_lost(&s), 1);
    assert_int_equal(sr_rtp_source_jitter(&s), 0);
    /* a duplicate counts as received (lost can go negative, A.3) */
    assert_true(sr_rtp_source_update(&s, 20, ts, ts + 5000, 160));
    assert_int_equal(sr_rtp_source_lost(&s), 0);
    /* arrival 80 units late every other packet: the jitter grows toward 80 */
    sr_rtp_source_init(&s, 6, 1);
    for (unsigned i = 0; i < 400; i++)
        sr_rtp_source_update(&s, (uint16_t)(1 + i), i * 160, i * 160 + (i % 2 ? 80 : 0), 160);
    assert_in_range(sr_rtp_source_jitter(&s), 70, 80);
}

static void test_events(void **state)
{
    (void)state;
    uint8_t p[4] = {11, 0x8a, 0x03, 0x20};
    sr_rtp_event ev;
    assert_int_equal(sr_rtp_event_parse(p, 4, &ev), 0);
    assert_int_equal(ev.event, 11);
    assert_true(ev.end);
    assert_int_equal(ev.volume, 10);
    assert_int_equal(ev.duration, 800);
    assert_int_equal(sr_rtp_event_char(ev.event), '#');
    assert_int_equal(sr_rtp_event_char(16), '!');
    assert_int_equal(sr_rtp_event_parse(p, 3, &ev), SR_EBADMSG);
}

static void test_media_echo(void **state)
{
    (void)state;
    sr_media_cfg c;
    sr_media_cfg_init(&c);
    c.mode = SR_MEDIA_ECHO;
    c.ssrc = 0xabcdef01;
    c.seq0 = 65535;
    c.ts0 = 0xfffffff0;
    c.te_pt = 101;
    sr_media m;
    sr_media_init(&m, &c, 1000);
    assert_int_equal(sr_media_next_deadline(&m), 6000); /* RTCP only */
    uint8_t in[200], out[200], pl[160];
    memset(pl, 0x55, sizeof(pl));
    for (unsigned i = 0; i < 5; i++) {
        size_t n = rtp_pkt(in, 8, (uint16_t)(100 + i), 5000 + i * 160, 77, pl, 160);
        sr_media_rx rx;
        assert_int_equal(sr_media_receive(&m, in, n, 1000 + 20 * i, out, sizeof(out), &rx), 0);
        assert_true(rx.rtp);
        assert_int_equal(rx.out_len, n);
        sr_rtp_hdr h;
        assert_int_equal(sr_rtp_parse(out, rx.out_len, &h), 0);
        assert_int_equal(h.ssrc, 0xabcdef01);
        assert_int_equal(h.seq, (uint16_t)(65535 + i));
        assert_int_equal(h.ts, (uint32_t)(0xfffffff0u + i * 160));
        assert_int_equal(h.pt, 8);
        assert_memory_equal(out + 12, pl, 160);
    }
    /* a telephone-event: counted once for its packets (one timestamp) */
    uint8_t ev[4] = {1, 0x0a, 0, 160};
    sr_media_rx rx;
    size_t n = rtp_pkt(in, 101, 105, 5800, 77, ev, 4);
    assert_int_equal(sr_media_receive(&m, in, n, 1100, out, sizeof(out), &rx), 0);
    assert_true(rx.has_event);
    assert_int_equal(rx.event.event, 1);
    n = rtp_pkt(in, 101, 106, 5800, 77, ev, 4);
    assert_int_equal(sr_media_receive(&m, in, n, 1120, out, sizeof(out), &rx), 0);
    assert_false(rx.has_event);
    /* not RTP */
    assert_int_equal(sr_media_receive(&m, (const uint8_t *)"hello", 5, 1130, out, 200, &rx),
                     SR_EBADMSG);
    assert_int_equal(rx.out_len, 0);
    /* on hold: counted, nothing echoed */
    sr_media_set_direction(&m, false, true, 1140);
    n = rtp_pkt(in, 8, 107, 6120, 77, pl, 160);
    assert_int_equal(sr_media_receive(&m, in, n, 1140, out, sizeof(out), &rx), 0);
    assert_int_equal(rx.out_len, 0);
    sr_media_stats st;
    sr_media_get_stats(&m, &st);
    assert_int_equal(st.received, 8);
    assert_int_equal(st.sent, 7);
    assert_int_equal(st.events, 1);
    assert_int_equal(st.bad, 1);
    assert_int_equal(st.lost, 0);
}

static void test_media_tone(void **state)
{
    (void)state;
    sr_media_cfg c;
    sr_media_cfg_init(&c);
    c.mode = SR_MEDIA_TONE;
    c.pt = 8;
    c.tone_hz = 1000;
    c.ssrc = 9;
    c.seq0 = 100;
    c.ts0 = 1000;
    c.timeout_ms = 3000;
    sr_media m;
    sr_media_init(&m, &c, 0);
    uint8_t out[400];
    assert_int_equal(sr_media_next_deadline(&m), 0);
    size_t n = sr_media_tick(&m, 0, out, sizeof(out));
    assert_int_equal(n, 172);
    sr_rtp_hdr h;
    assert_int_equal(sr_rtp_parse(out, n, &h), 0);
    assert_true(h.marker);
    assert_int_equal(h.seq, 100);
    assert_int_equal(h.ts, 1000);
    assert_int_equal(sr_g711_alaw_decode(out[12 + 2]),
                     sr_g711_alaw_decode(sr_g711_alaw_encode(8000)));
    assert_int_equal(sr_media_tick(&m, 19, out, sizeof(out)), 0);
    assert_int_equal(sr_media_next_deadline(&m), 20);
    assert_int_equal(sr_media_tick(&m, 20, out, sizeof(out)), 172);
    assert_int_equal(sr_rtp_parse(out, 172, &h), 0);
    assert_false(h.marker);
    assert_int_equal(h.seq, 101);
    assert_int_equal(h.ts, 1160);
    /* late by two packets: both go, in order */
    assert_int_equal(sr_media_tick(&m, 61, out, sizeof(out)), 172);
    assert_int_equal(sr_media_tick(&m, 61, out, sizeof(out)), 172);
    assert_int_equal(sr_media_tick(&m, 61, out, sizeof(out)), 0);
    /* late by a second: skips to now, a new talkspurt */
    assert_int_equal(sr_media_tick(&m, 1070, out, sizeof(out)), 172);
    assert_int_equal(sr_rtp_parse(out, 172, &h), 0);
    assert_true(h.marker);
    assert_int_equal(h.seq, 104);
    assert_int_equal(h.ts, 1000 + 53 * 160);
    /* the timeout: nothing received for 3 s */
    assert_false(sr_media_timed_out(&m, 2999));
    assert_true(sr_media_timed_out(&m, 3000));
    /* the peer is not to send (it holds us, RFC 3264 §8.4): no timeout */
    sr_media_set_direction(&m, false, false, 3000);
    assert_false(sr_media_timed_out(&m, 10000));
    assert_int_equal(sr_media_tick(&m, 10000, out, sizeof(out)), 0);
}

static void test_media_rtcp(void **state)
{
    (void)state;
    sr_media_cfg c;
    sr_media_cfg_init(&c);
    c.mode = SR_MEDIA_ECHO;
    c.ssrc = 0x01020304;
    sr_media m;
    sr_media_init(&m, &c, 0);
    uint8_t out[300], in[200], pl[160] = {0};
    /* nothing sent nor received yet: an RR without blocks, SDES */
    size_t n = sr_media_rtcp(&m, 0, 0, "sipreplyd@127.0.0.1", false, out, sizeof(out));
    assert_true(n > 0 && n % 4 == 0);
    sr_rtcp_info info;
    assert_int_equal(sr_rtcp_parse(out, n, &info), 0);
    assert_false(info.is_sr);
    assert_int_equal(info.ssrc, 0x01020304);
    assert_int_equal(info.n_blocks, 0);
    assert_int_equal(info.n_pkts, 2);
    /* 10 packets with #5 missing, echoed: an SR with a block saying 1 lost */
    for (unsigned i = 0; i < 10; i++) {
        if (i == 5)
            continue;
        size_t k = rtp_pkt(in, 0, (uint16_t)(10 + i), i * 160, 42, pl, 160);
        assert_int_equal(sr_media_receive(&m, in, k, 20 * i, out, sizeof(out), NULL), 0);
    }
    assert_int_equal(sr_media_rtcp_due(&m, 4999), false);
    assert_int_equal(sr_media_rtcp_due(&m, 5000), true);
    n = sr_media_rtcp(&m, 5000, 0x0102030405060708ULL, "x", true, out, sizeof(out));
    assert_int_equal(sr_rtcp_parse(out, n, &info), 0);
    assert_true(info.is_sr);
    assert_true(info.bye);
    assert_int_equal(info.n_pkts, 3);
    assert_int_equal(info.ntp, 0x0102030405060708ULL);
    assert_int_equal(info.packets, 9);
    assert_int_equal(info.octets, 9 * 160);
    assert_int_equal(info.n_blocks, 1);
    assert_int_equal(info.blocks[0].ssrc, 42);
    assert_int_equal(info.blocks[0].cumulative_lost, 1);
    assert_int_equal(info.blocks[0].ext_max_seq, 19);
    assert_int_equal(info.blocks[0].fraction_lost, 256 / 9);
    assert_int_equal(sr_media_next_deadline(&m), 10000);
    /* the peer's SR: LSR and DLSR in our next report */
    assert_int_equal(sr_media_rtcp_receive(&m, out, n, 6000), 0);
    n = sr_media_rtcp(&m, 7000, 1, "x", false, out, sizeof(out));
    assert_int_equal(sr_rtcp_parse(out, n, &info), 0);
    assert_int_equal(info.blocks[0].lsr, 0x03040506);
    assert_int_equal(info.blocks[0].dlsr, 65536);
    assert_int_equal(info.blocks[0].fraction_lost, 0);
    /* refused compounds: SDES first, lengths not adding up, too short */
    assert_int_equal(sr_rtcp_parse(out + 28 + 24, n - 52, &info), SR_EBADMSG);
    assert_int_equal(sr_rtcp_parse(out, n - 4, &info), SR_EBADMSG);
    assert_int_equal(sr_rtcp_parse(out, 4, &info), SR_EBADMSG);
    assert_int_equal(sr_media_rtcp_receive(&m, out, 4, 7000), SR_EBADMSG);
    assert_int_equal(sr_media_rtcp(&m, 7000, 1, "x", false, out, 10), 0);
}

/* RFC 3550 §6.3.1: with a seed, intervals spread over [0.5, 1.5) x rtcp_ms / 1.21828 */
static void test_media_rtcp_interval(void **state)
{
    (void)state;
    sr_media_cfg c;
    sr_media_cfg_init(&c);
    c.rtcp_ms = 5000;
    c.rtcp_seed = 12345;
    sr_media m;
    sr_media_init(&m, &c, 0);
    uint8_t out[300];
    uint64_t lo = UINT64_MAX, hi = 0, now = 0;
    for (int i = 0; i < 200; i++) {
        uint64_t next = sr_media_next_deadline(&m);
        uint64_t d = next - now;
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
        now = next;
        assert_true(sr_media_rtcp(&m, now, 0, "x", false, out, sizeof(out)) > 0);
    }
    assert_in_range(lo, 2052, 2300); /* 5000 * 0.5 / 1.21828 = 2052 */
    assert_in_range(hi, 5800, 6156); /* 5000 * 1.5 / 1.21828 = 6156 */
}

static void test_media_modes(void **state)
{
    (void)state;
    assert_int_equal(sr_media_mode_parse("echo"), SR_MEDIA_ECHO);
    assert_int_equal(sr_media_mode_parse("file"), SR_MEDIA_SAMPLES);
    assert_int_equal(sr_media_mode_parse("loud"), -1);
    assert_string_equal(sr_media_mode_name(SR_MEDIA_SILENCE), "silence");
    /* samples, looped, μ-law */
    int16_t smp[3] = {1000, -1000, 0};
    sr_media_cfg c;
    sr_media_cfg_init(&c);
    c.mode = SR_MEDIA_SAMPLES;
    c.samples = smp;
    c.n_samples = 3;
    sr_media m;
    sr_media_init(&m, &c, 0);
    uint8_t out[200];
    assert_int_equal(sr_media_tick(&m, 0, out, sizeof(out)), 172);
    for (unsigned i = 0; i < 160; i++)
        assert_int_equal(out[12 + i], sr_g711_ulaw_encode(smp[i % 3]));
    assert_int_equal(sr_media_tick(&m, 20, out, 100), 0); /* too small */
    c.mode = SR_MEDIA_SILENCE;
    sr_media_init(&m, &c, 0);
    assert_int_equal(sr_media_tick(&m, 0, out, sizeof(out)), 172);
    assert_int_equal(out[12], 0xff);
    c.mode = SR_MEDIA_NONE;
    sr_media_init(&m, &c, 0);
    assert_int_equal(sr_media_tick(&m, 0, out, sizeof(out)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_rtp_parse),    TU_TEST(test_g711),       TU_TEST(test_tone),
        TU_TEST(test_source_stats), TU_TEST(test_events),     TU_TEST(test_media_echo),
        TU_TEST(test_media_tone),   TU_TEST(test_media_rtcp), TU_TEST(test_media_rtcp_interval),
        TU_TEST(test_media_modes),
    };
    return cmocka_run_group_tests_name("rtp", tests, NULL, NULL);
}
