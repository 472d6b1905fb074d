/* One media stream (RFC 3550): echo with our own SSRC, sequence and timestamps (§5.1, §8),
 * G.711 tone, silence or caller samples every ptime, receiver statistics, RTCP reports (§6),
 * the RTP timeout. Simulated time: the caller hands in packets and now_ms. */
#include "sipreply/rtp.h"
#include "rtp_int.h"

#include <string.h>

void sr_media_cfg_init(sr_media_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->mode = SR_MEDIA_NONE;
    c->pt = 0;
    c->te_pt = -1;
    c->ptime_ms = 20;
    c->tone_hz = 1000;
    c->amplitude = 8000;
    c->rtcp_ms = 5000;
}

static bool generated(const sr_media *m)
{
    return m->cfg.mode == SR_MEDIA_TONE || m->cfg.mode == SR_MEDIA_SILENCE ||
           m->cfg.mode == SR_MEDIA_SAMPLES;
}

/* The next RTCP interval: rtcp_ms, or with rtcp_seed rtcp_ms * [0.5, 1.5) / (e - 3/2)
 * (RFC 3550 §6.3.1: randomised so reports do not synchronise; A.7's compensation for the
 * timer reconsideration it leaves out) */
static uint64_t rtcp_interval(sr_media *m)
{
    if (!m->cfg.rtcp_seed)
        return m->cfg.rtcp_ms;
    uint32_t x = m->rng; /* xorshift32 */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    m->rng = x;
    /* factor in thousandths: 500..1499, / 1.21828 */
    uint64_t f = 500u + x % 1000u;
    return (uint64_t)m->cfg.rtcp_ms * f * 1000u / 1218280u;
}

void sr_media_init(sr_media *m, const sr_media_cfg *c, uint64_t now_ms)
{
    memset(m, 0, sizeof(*m));
    m->cfg = *c;
    if (m->cfg.ptime_ms == 0 || m->cfg.ptime_ms > 100)
        m->cfg.ptime_ms = 20;
    m->sending = true;
    m->expect_rtp = true;
    m->seq = c->seq0;
    m->start_ms = now_ms;
    m->next_ms = generated(m) ? now_ms : UINT64_MAX;
    m->last_rx_ms = now_ms;
    m->rng = c->rtcp_seed;
    m->rtcp_next_ms = c->rtcp_ms ? now_ms + rtcp_interval(m) : UINT64_MAX;
    m->last_ts = c->ts0;
    m->last_sent_ms = now_ms;
}

void sr_media_set_direction(sr_media *m, bool we_send, bool peer_sends, uint64_t now_ms)
{
    if (peer_sends && !m->expect_rtp)
        m->last_rx_ms = now_ms; /* the timeout starts again */
    m->expect_rtp = peer_sends;
    m->sending = we_send;
    if (we_send && generated(m) && m->next_ms == UINT64_MAX)
        m->next_ms = now_ms;
}

void sr_media_switch(sr_media *m, const sr_media_cfg *c, uint64_t now_ms)
{
    /* the RTP time of now: our last timestamp plus the time since, in 8 kHz units */
    uint64_t since = now_ms > m->last_sent_ms ? now_ms - m->last_sent_ms : 0;
    uint32_t ts = m->last_ts + (uint32_t)(since * 8u);
    m->cfg.mode = c->mode;
    m->cfg.tone_hz = c->tone_hz;
    m->cfg.amplitude = c->amplitude;
    m->cfg.samples = c->samples;
    m->cfg.n_samples = c->n_samples;
    m->cfg.ts0 = ts;
    m->start_ms = now_ms;
    m->n_packets = 0;
    m->echo_base_set = false;
    m->next_ms = generated(m) && m->sending ? now_ms : UINT64_MAX;
}

static size_t samples_per_packet(const sr_media *m)
{
    return (size_t)m->cfg.ptime_ms * 8u;
}

static uint8_t encode(const sr_media *m, int16_t s)
{
    return m->cfg.pt == 8 ? sr_g711_alaw_encode(s) : sr_g711_ulaw_encode(s);
}

size_t sr_media_tick(sr_media *m, uint64_t now_ms, uint8_t *out, size_t cap)
{
    if (!generated(m) || !m->sending || m->next_ms > now_ms)
        return 0;
    size_t spp = samples_per_packet(m);
    if (!out || cap < SR_RTP_HDR_LEN + spp)
        return 0;
    bool marker = m->n_packets == 0;
    uint64_t behind = (now_ms - m->next_ms) / m->cfg.ptime_ms;
    if (behind > 5) {
        /* late (the loop was busy, or we were on hold): skip to now, marking a new talkspurt
         * (RFC 3551 §4.1) */
        m->n_packets += behind;
        marker = true;
    }
    uint32_t ts = m->cfg.ts0 + (uint32_t)(m->n_packets * spp);
    size_t n = sr_rtp_write_hdr(out, cap, m->cfg.pt, marker, m->seq++, ts, m->cfg.ssrc);
    uint64_t k = m->n_packets * spp;
    for (size_t i = 0; i < spp; i++, k++) {
        int16_t s = 0;
        if (m->cfg.mode == SR_MEDIA_TONE)
            s = sr_tone_sample(m->cfg.tone_hz, k, m->cfg.amplitude);
        else if (m->cfg.mode == SR_MEDIA_SAMPLES && m->cfg.n_samples)
            s = m->cfg.samples[k % m->cfg.n_samples];
        out[n++] = encode(m, s);
    }
    m->n_packets++;
    m->next_ms = m->start_ms + m->n_packets * m->cfg.ptime_ms;
    m->st.sent++;
    m->st.sent_octets += spp;
    m->last_ts = ts;
    m->last_sent_ms = now_ms;
    return n;
}

int sr_media_receive(sr_media *m, const uint8_t *pkt, size_t len, uint64_t now_ms, uint8_t *out,
                     size_t cap, sr_media_rx *rx)
{
    sr_media_rx r;
    memset(&r, 0, sizeof(r));
    sr_rtp_hdr h;
    int rc = sr_rtp_parse(pkt, len, &h);
    if (rc != 0) {
        m->st.bad++;
        if (rx)
            *rx = r;
        return rc;
    }
    r.rtp = true;
    m->st.received++;
    m->st.received_octets += h.payload_len;
    m->last_rx_ms = now_ms;
    if (!m->have_src || m->src.ssrc != h.ssrc) {
        /* RFC 3550 A.1: a new source (or the peer changed its SSRC): counted afresh */
        sr_rtp_source_init(&m->src, h.ssrc, h.seq);
        m->have_src = true;
    }
    sr_rtp_source_update(&m->src, h.seq, h.ts, (uint32_t)(now_ms * 8u), h.payload_len);
    if (m->cfg.te_pt >= 0 && h.pt == (uint8_t)m->cfg.te_pt &&
        sr_rtp_event_parse(pkt + h.payload_off, h.payload_len, &r.event) == 0) {
        /* RFC 4733 §2.5.1: one event is the packets with one timestamp (its start), the
         * retransmitted end packets (§2.5.1.4) included; a late packet of the event before
         * (reordered after the next one began) is not a new event either */
        bool seen = (m->ev_active && m->ev_ts == h.ts) || (m->ev_prev_set && m->ev_prev_ts == h.ts);
        if (!seen) {
            r.has_event = true;
            m->st.events++;
            if (m->ev_active) {
                m->ev_prev_set = true;
                m->ev_prev_ts = m->ev_ts;
            }
            m->ev_active = true;
            m->ev_ts = h.ts;
        }
    }
    if (m->cfg.mode == SR_MEDIA_ECHO && m->sending && out &&
        cap >= SR_RTP_HDR_LEN + h.payload_len) {
        if (!m->echo_base_set) {
            m->echo_base = h.ts;
            m->echo_base_set = true;
        }
        /* RFC 3550 §5.1, §8: our SSRC, our sequence numbers, our random timestamp origin; the
         * peer's spacing kept, so its timing comes back as it was sent */
        uint32_t ts = m->cfg.ts0 + (h.ts - m->echo_base);
        size_t n = sr_rtp_write_hdr(out, cap, h.pt, h.marker, m->seq++, ts, m->cfg.ssrc);
        memcpy(out + n, pkt + h.payload_off, h.payload_len);
        r.out_len = n + h.payload_len;
        m->st.sent++;
        m->st.sent_octets += h.payload_len;
        m->last_ts = ts;
        m->last_sent_ms = now_ms;
    }
    if (rx)
        *rx = r;
    return 0;
}

uint64_t sr_media_next_deadline(const sr_media *m)
{
    uint64_t d = m->rtcp_next_ms;
    if (generated(m) && m->sending && m->next_ms < d)
        d = m->next_ms;
    if (m->expect_rtp && m->cfg.timeout_ms) {
        uint64_t t = m->last_rx_ms + m->cfg.timeout_ms;
        if (t < d)
            d = t;
    }
    return d;
}

bool sr_media_timed_out(const sr_media *m, uint64_t now_ms)
{
    return m->expect_rtp && m->cfg.timeout_ms && now_ms >= m->last_rx_ms + m->cfg.timeout_ms;
}

bool sr_media_rtcp_due(const sr_media *m, uint64_t now_ms)
{
    return now_ms >= m->rtcp_next_ms;
}

/* RFC 3550 §6.4.1 (A.3): the report block on the peer's source; moves the interval counters */
static void write_block(sr_media *m, uint64_t now_ms, uint8_t *p)
{
    sr_rtp_source *s = &m->src;
    uint32_t expected = sr_rtp_source_expected(s);
    uint32_t exp_int = expected - s->expected_prior;
    uint32_t rec_int = s->received - s->received_prior;
    s->expected_prior = expected;
    s->received_prior = s->received;
    int64_t lost_int = (int64_t)exp_int - (int64_t)rec_int;
    uint8_t fraction = 0;
    if (exp_int && lost_int > 0)
        fraction = (uint8_t)(((uint64_t)lost_int << 8) / exp_int);
    int64_t lost = sr_rtp_source_lost(s);
    if (lost > 0x7fffff)
        lost = 0x7fffff;
    if (lost < -0x800000)
        lost = -0x800000;
    sr__wr32(p, s->ssrc);
    p[4] = fraction;
    uint32_t cl = (uint32_t)lost & 0xffffffu;
    p[5] = (uint8_t)(cl >> 16);
    p[6] = (uint8_t)(cl >> 8);
    p[7] = (uint8_t)cl;
    sr__wr32(p + 8, sr_rtp_source_ext_max(s));
    sr__wr32(p + 12, sr_rtp_source_jitter(s));
    sr__wr32(p + 16, m->lsr);
    /* DLSR in 1/65536 s */
    sr__wr32(p + 20, m->lsr_ms ? (uint32_t)((now_ms - m->lsr_ms) * 65536u / 1000u) : 0);
}

size_t sr_media_rtcp(sr_media *m, uint64_t now_ms, uint64_t ntp, const char *cname, bool bye,
                     uint8_t *out, size_t cap)
{
    size_t cn = cname ? strlen(cname) : 0;
    if (cn > 255)
        cn = 255;
    bool block = m->have_src && !m->src.probation;
    /* RFC 3550 §6.4: a sender report when we sent RTP within the last two intervals */
    uint64_t span = 2u * (uint64_t)(m->cfg.rtcp_ms ? m->cfg.rtcp_ms : 5000u);
    bool is_sr = m->st.sent > 0 && m->last_sent_ms + span >= now_ms;
    size_t rlen = (is_sr ? 28u : 8u) + (block ? 24u : 0u);
    size_t sdes = (8u + 2u + cn + 1u + 3u) & ~(size_t)3; /* header, ssrc, item, END, pad */
    size_t total = rlen + sdes + (bye ? 8u : 0u);
    if (!out || cap < total)
        return 0;
    memset(out, 0, total);
    uint8_t *p = out;
    p[0] = (uint8_t)(0x80 | (block ? 1 : 0));
    p[1] = (uint8_t)(is_sr ? SR_RTCP_SR : SR_RTCP_RR);
    sr__wr16(p + 2, (uint16_t)(rlen / 4 - 1));
    sr__wr32(p + 4, m->cfg.ssrc);
    size_t off = 8;
    if (is_sr) {
        sr__wr32(p + 8, (uint32_t)(ntp >> 32));
        sr__wr32(p + 12, (uint32_t)ntp);
        /* the RTP time of that instant: our last timestamp plus the time since */
        uint32_t rts = m->last_ts + (uint32_t)((now_ms - m->last_sent_ms) * 8u);
        sr__wr32(p + 16, rts);
        sr__wr32(p + 20, (uint32_t)m->st.sent);
        sr__wr32(p + 24, (uint32_t)m->st.sent_octets);
        off = 28;
    }
    if (block)
        write_block(m, now_ms, p + off);
    p = out + rlen;
    /* §6.5: SDES with our CNAME, the one item an RTCP compound must carry */
    p[0] = 0x81;
    p[1] = SR_RTCP_SDES;
    sr__wr16(p + 2, (uint16_t)(sdes / 4 - 1));
    sr__wr32(p + 4, m->cfg.ssrc);
    p[8] = 1; /* CNAME */
    p[9] = (uint8_t)cn;
    if (cn)
        memcpy(p + 10, cname, cn);
    /* the END item and the padding are the zeros already there */
    if (bye) {
        p = out + rlen + sdes;
        p[0] = 0x81;
        p[1] = SR_RTCP_BYE;
        sr__wr16(p + 2, 1);
        sr__wr32(p + 4, m->cfg.ssrc);
    }
    m->st.rtcp_sent++;
    if (m->cfg.rtcp_ms)
        m->rtcp_next_ms = now_ms + rtcp_interval(m);
    return total;
}

int sr_media_rtcp_receive(sr_media *m, const uint8_t *pkt, size_t len, uint64_t now_ms)
{
    sr_rtcp_info info;
    int rc = sr_rtcp_parse(pkt, len, &info);
    if (rc != 0) {
        m->st.bad++;
        return rc;
    }
    m->st.rtcp_received++;
    if (info.is_sr) {
        m->lsr = (uint32_t)(info.ntp >> 16);
        m->lsr_ms = now_ms ? now_ms : 1;
    }
    return 0;
}

void sr_media_get_stats(const sr_media *m, sr_media_stats *out)
{
    *out = m->st;
    out->lost = m->have_src ? sr_rtp_source_lost(&m->src) : 0;
    out->jitter = m->have_src ? sr_rtp_source_jitter(&m->src) : 0;
}

const char *sr_media_mode_name(sr_media_mode mode)
{
    switch (mode) {
    case SR_MEDIA_NONE: return "none";
    case SR_MEDIA_ECHO: return "echo";
    case SR_MEDIA_TONE: return "tone";
    case SR_MEDIA_SILENCE: return "silence";
    case SR_MEDIA_SAMPLES: return "file";
    }
    return "?";
}

int sr_media_mode_parse(const char *name)
{
    static const char *const names[] = {"none", "echo", "tone", "silence", "file"};
    for (int i = 0; name && i < 5; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}
