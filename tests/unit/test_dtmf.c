/* dtmf.h: key patterns, sequences ended by a full match, by '#', by no possible match, by the
 * longest length and by the inter-digit timeout (simulated time); SIP INFO bodies; and, in
 * media.c, RFC 4733 §2.5.1 events counted once (retransmitted end packets, a late packet of
 * the event before) and a stream switched from echo to a tone without a break in sequence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <sipreply/dtmf.h>
#include <sipreply/rtp.h>

static const char *const menu[] = {"1", "2", "12", "9x", "1234#", "*0"};
#define N_MENU (sizeof(menu) / sizeof(menu[0]))

static void test_patterns(void **state)
{
    (void)state;
    assert_true(sr_dtmf_pattern_valid("0123456789*#ABCDabcdxX"));
    assert_false(sr_dtmf_pattern_valid(""));
    assert_false(sr_dtmf_pattern_valid("1e"));
    assert_false(sr_dtmf_pattern_valid("123456789012345678901234567890123")); /* 33 */
    assert_true(sr_dtmf_pattern_valid("12345678901234567890123456789012"));   /* 32 */
    assert_int_equal(sr_dtmf_pattern_fit("12", "1", 1), SR_DTMF_FIT_PREFIX);
    assert_int_equal(sr_dtmf_pattern_fit("12", "12", 2), SR_DTMF_FIT_FULL);
    assert_int_equal(sr_dtmf_pattern_fit("12", "13", 2), SR_DTMF_FIT_NONE);
    assert_int_equal(sr_dtmf_pattern_fit("12", "123", 3), SR_DTMF_FIT_NONE);
    assert_int_equal(sr_dtmf_pattern_fit("9x", "97", 2), SR_DTMF_FIT_FULL);
    assert_int_equal(sr_dtmf_pattern_fit("9x", "9#", 2), SR_DTMF_FIT_NONE);
    assert_int_equal(sr_dtmf_pattern_fit("a", "A", 1), SR_DTMF_FIT_FULL);
    assert_int_equal(sr_dtmf_key_norm('d'), 'D');
    assert_int_equal(sr_dtmf_key_norm('!'), 0);
}

static void test_sequences(void **state)
{
    (void)state;
    sr_dtmf d;
    sr_dtmf_result r;
    sr_dtmf_init(&d, 8, 3000);
    /* "2": whole, and the beginning of nothing longer: at once */
    sr_dtmf_key(&d, '2', menu, N_MENU, 100, &r);
    assert_true(r.done);
    assert_int_equal(r.match, 1);
    assert_string_equal(r.keys, "2");
    assert_int_equal(d.deadline, UINT64_MAX);
    /* "1": whole, but "12" and "1234#" begin with it: wait for the next key */
    sr_dtmf_key(&d, '1', menu, N_MENU, 1000, &r);
    assert_false(r.done);
    assert_int_equal(d.deadline, 4000);
    sr_dtmf_timer(&d, menu, N_MENU, 3999, &r);
    assert_false(r.done);
    sr_dtmf_timer(&d, menu, N_MENU, 4000, &r);
    assert_true(r.done);
    assert_int_equal(r.match, 0);
    assert_string_equal(r.keys, "1");
    /* "12": whole, but "1234#" begins with it: the timeout 3 s after the '2' */
    sr_dtmf_key(&d, '1', menu, N_MENU, 5000, &r);
    sr_dtmf_key(&d, '2', menu, N_MENU, 5500, &r);
    assert_false(r.done);
    sr_dtmf_timer(&d, menu, N_MENU, 8500, &r);
    assert_true(r.done);
    assert_int_equal(r.match, 2);
    /* "7": nothing can match: at once, no match */
    sr_dtmf_key(&d, '7', menu, N_MENU, 6000, &r);
    assert_true(r.done);
    assert_int_equal(r.match, -1);
    assert_string_equal(r.keys, "7");
    /* "9x" */
    sr_dtmf_key(&d, '9', menu, N_MENU, 7000, &r);
    assert_false(r.done);
    sr_dtmf_key(&d, '5', menu, N_MENU, 7100, &r);
    assert_true(r.done);
    assert_int_equal(r.match, 3);
    /* "1234#" with its '#' */
    const char *k = "1234#";
    for (size_t i = 0; k[i]; i++)
        sr_dtmf_key(&d, k[i], menu, N_MENU, 9000 + i, &r);
    assert_true(r.done);
    assert_int_equal(r.match, 4);
    assert_string_equal(r.keys, "1234#");
    /* "*0": '*' alone fits nothing whole but begins "*0": wait; then whole */
    sr_dtmf_key(&d, '*', menu, N_MENU, 9500, &r);
    assert_false(r.done);
    sr_dtmf_key(&d, '0', menu, N_MENU, 9600, &r);
    assert_true(r.done);
    assert_int_equal(r.match, 5);
    /* "13" fits nothing: no match at its second key, without waiting */
    sr_dtmf_key(&d, '1', menu, N_MENU, 11000, &r);
    sr_dtmf_key(&d, '3', menu, N_MENU, 11100, &r);
    assert_true(r.done); /* "13": nothing */
    assert_int_equal(r.match, -1);
    /* not a key: ignored */
    sr_dtmf_key(&d, '!', menu, N_MENU, 12000, &r);
    assert_false(r.done);
    assert_int_equal(d.len, 0);
}

static void test_hash_terminator_and_bound(void **state)
{
    (void)state;
    static const char *const pins[] = {"xxxx", "#", "xxxxx"};
    sr_dtmf d;
    sr_dtmf_result r;
    sr_dtmf_init(&d, 6, 2000);
    /* "4321#": "4321" begins "xxxxx", so it waits; '#' ends it, "xxxx" fits without it */
    const char *k = "4321#";
    for (size_t i = 0; k[i]; i++)
        sr_dtmf_key(&d, k[i], pins, 3, 100 * i, &r);
    assert_true(r.done);
    assert_int_equal(r.match, 0);
    /* '#' alone: the pattern "#" */
    sr_dtmf_key(&d, '#', pins, 3, 1000, &r);
    assert_true(r.done);
    assert_int_equal(r.match, 1);
    /* "12#": too short for "xxxx": no match at the '#' */
    sr_dtmf_key(&d, '1', pins, 3, 2000, &r);
    sr_dtmf_key(&d, '2', pins, 3, 2100, &r);
    sr_dtmf_key(&d, '#', pins, 3, 2200, &r);
    assert_true(r.done);
    assert_int_equal(r.match, -1);
    assert_string_equal(r.keys, "12#");
    /* the bound: with a pattern that keeps every sequence open, at most max_keys keys */
    static const char *const longp[] = {"11111111111111111111"};
    for (int i = 0; i < 5; i++) {
        sr_dtmf_key(&d, '1', longp, 1, 3000 + (uint64_t)i, &r);
        assert_false(r.done);
    }
    sr_dtmf_key(&d, '1', longp, 1, 3005, &r);
    assert_true(r.done);
    assert_int_equal(r.match, -1);
    assert_int_equal(strlen(r.keys), 6);
    assert_int_equal(d.len, 0);
    /* clamped bounds */
    sr_dtmf_init(&d, 1000, 0);
    assert_int_equal(d.max_keys, SR_DTMF_MAX_KEYS);
    assert_int_equal(d.timeout_ms, 1);
}

static void test_info(void **state)
{
    (void)state;
    char k = 0;
    uint32_t dur = 0;
    const char *t = "application/dtmf-relay";
    const char *b = "Signal=5\r\nDuration=160\r\n";
    assert_int_equal(sr_dtmf_info_parse(t, strlen(t), b, strlen(b), &k, &dur), 0);
    assert_int_equal(k, '5');
    assert_int_equal(dur, 160);
    b = "duration = 250\nsignal = #\n";
    assert_int_equal(sr_dtmf_info_parse(t, strlen(t), b, strlen(b), &k, &dur), 0);
    assert_int_equal(k, '#');
    assert_int_equal(dur, 250);
    b = "Signal=10\r\n"; /* RFC 4733 §3.2: event 10 is '*' */
    assert_int_equal(sr_dtmf_info_parse(t, strlen(t), b, strlen(b), &k, NULL), 0);
    assert_int_equal(k, '*');
    b = "Signal=16\r\n"; /* flash: not a key */
    assert_int_equal(sr_dtmf_info_parse(t, strlen(t), b, strlen(b), &k, NULL), SR_EBADMSG);
    b = "Duration=160\r\n";
    assert_int_equal(sr_dtmf_info_parse(t, strlen(t), b, strlen(b), &k, NULL), SR_EBADMSG);
    assert_int_equal(sr_dtmf_info_parse(t, strlen(t), "", 0, &k, NULL), SR_EBADMSG);
    t = "Application/DTMF;foo=bar";
    assert_int_equal(sr_dtmf_info_parse(t, strlen(t), "b\r\n", 3, &k, NULL), 0);
    assert_int_equal(k, 'B');
    t = "application/sdp";
    assert_int_equal(sr_dtmf_info_parse(t, strlen(t), "1", 1, &k, NULL), SR_ENOTFOUND);
    t = "application/dtmf-relayx";
    assert_int_equal(sr_dtmf_info_parse(t, strlen(t), "1", 1, &k, NULL), SR_ENOTFOUND);
}

/* an RFC 4733 packet: event @p ev, end bit, duration, timestamp @p ts, sequence @p seq */
static size_t event_pkt(uint8_t *b, uint16_t seq, uint32_t ts, uint8_t ev, bool end, uint16_t dur)
{
    size_t n = sr_rtp_write_hdr(b, 64, 101, false, seq, ts, 0x55);
    b[n] = ev;
    b[n + 1] = (uint8_t)((end ? 0x80 : 0) | 10);
    b[n + 2] = (uint8_t)(dur >> 8);
    b[n + 3] = (uint8_t)dur;
    return n + 4;
}

static void test_events_once(void **state)
{
    (void)state;
    sr_media_cfg c;
    sr_media_cfg_init(&c);
    c.mode = SR_MEDIA_NONE;
    c.te_pt = 101;
    sr_media m;
    sr_media_init(&m, &c, 0);
    uint8_t b[64];
    sr_media_rx rx;
    unsigned began = 0;
    uint16_t seq = 10;
    /* '1' at ts 1000: three updates, then the end packet three times (§2.5.1.4) */
    for (int i = 1; i <= 3; i++) {
        size_t n = event_pkt(b, seq++, 1000, 1, false, (uint16_t)(160 * i));
        assert_int_equal(sr_media_receive(&m, b, n, 20u * (unsigned)i, NULL, 0, &rx), 0);
        began += rx.has_event;
    }
    for (int i = 0; i < 3; i++) {
        size_t n = event_pkt(b, seq++, 1000, 1, true, 640);
        assert_int_equal(sr_media_receive(&m, b, n, 80, NULL, 0, &rx), 0);
        began += rx.has_event;
    }
    assert_int_equal(began, 1);
    /* '2' at ts 3000, then a late end packet of '1' (reordered): still two events */
    size_t n = event_pkt(b, seq++, 3000, 2, false, 160);
    sr_media_receive(&m, b, n, 300, NULL, 0, &rx);
    assert_true(rx.has_event);
    assert_int_equal(rx.event.event, 2);
    n = event_pkt(b, 12, 1000, 1, true, 640);
    sr_media_receive(&m, b, n, 301, NULL, 0, &rx);
    assert_false(rx.has_event);
    /* the same key again, a new timestamp: a new event */
    n = event_pkt(b, seq++, 5000, 2, false, 160);
    sr_media_receive(&m, b, n, 500, NULL, 0, &rx);
    assert_true(rx.has_event);
    sr_media_stats st;
    sr_media_get_stats(&m, &st);
    assert_int_equal(st.events, 3);
}

static void test_switch(void **state)
{
    (void)state;
    sr_media_cfg c;
    sr_media_cfg_init(&c);
    c.mode = SR_MEDIA_ECHO;
    c.seq0 = 100;
    c.ts0 = 5000;
    c.rtcp_ms = 0;
    sr_media m;
    sr_media_init(&m, &c, 0);
    uint8_t in[200], out[400];
    size_t n = sr_rtp_write_hdr(in, sizeof(in), 0, false, 1, 777, 0x99);
    memset(in + n, 0xff, 160);
    sr_media_rx rx;
    assert_int_equal(sr_media_receive(&m, in, n + 160, 0, out, sizeof(out), &rx), 0);
    assert_true(rx.out_len > 0);
    assert_int_equal(sr_media_tick(&m, 0, out, sizeof(out)), 0); /* echo generates nothing */
    /* 1 s later: a tone, at once, with the marker, our next sequence number, and the RTP
     * time of now (5000 + 8000) */
    sr_media_cfg t;
    sr_media_cfg_init(&t);
    t.mode = SR_MEDIA_TONE;
    t.tone_hz = 1000;
    sr_media_switch(&m, &t, 1000);
    n = sr_media_tick(&m, 1000, out, sizeof(out));
    assert_int_equal(n, SR_RTP_HDR_LEN + 160);
    sr_rtp_hdr h;
    assert_int_equal(sr_rtp_parse(out, n, &h), 0);
    assert_true(h.marker);
    assert_int_equal(h.seq, 101);
    assert_int_equal(h.ts, 13000);
    assert_int_equal(h.ssrc, c.ssrc);
    assert_int_equal(sr_media_next_deadline(&m), 1020);
    /* an echoed packet now is not sent back: a tone plays */
    sr_media_receive(&m, in, SR_RTP_HDR_LEN + 160, 1005, out, sizeof(out), &rx);
    assert_int_equal(rx.out_len, 0);
    /* back to echo */
    sr_media_switch(&m, &c, 2000);
    assert_int_equal(sr_media_next_deadline(&m), UINT64_MAX);
    sr_media_receive(&m, in, SR_RTP_HDR_LEN + 160, 2000, out, sizeof(out), &rx);
    assert_true(rx.out_len > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_patterns),
        cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_hash_terminator_and_bound),
        cmocka_unit_test(test_info),
        cmocka_unit_test(test_events_once),
        cmocka_unit_test(test_switch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
