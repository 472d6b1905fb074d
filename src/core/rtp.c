/* RTP and RTCP packets (RFC 3550 §5.1, §6.4, A.1–A.3, A.8), G.711 (ITU-T G.711), a tone
 * generator and RFC 4733 telephone-event payloads: pure functions on bytes and numbers. */
#include "sipreply/rtp.h"
#include "rtp_int.h"

#include <string.h>

int sr_rtp_parse(const uint8_t *buf, size_t len, sr_rtp_hdr *h)
{
    if (!buf || !h)
        return SR_EINVAL;
    if (len < SR_RTP_HDR_LEN || (buf[0] >> 6) != 2)
        return SR_EBADMSG;
    sr_rtp_hdr r;
    memset(&r, 0, sizeof(r));
    r.padding = (buf[0] & 0x20) != 0;
    r.extension = (buf[0] & 0x10) != 0;
    r.cc = buf[0] & 0x0f;
    r.marker = (buf[1] & 0x80) != 0;
    r.pt = buf[1] & 0x7f;
    /* RFC 5761 §4: 72–76 with the marker bit are RTCP's SR..APP; never RTP payload types */
    if (r.pt >= 72 && r.pt <= 76)
        return SR_EBADMSG;
    r.seq = sr__rd16(buf + 2);
    r.ts = sr__rd32(buf + 4);
    r.ssrc = sr__rd32(buf + 8);
    size_t off = SR_RTP_HDR_LEN + 4u * r.cc;
    if (off > len)
        return SR_EBADMSG;
    if (r.extension) {
        /* RFC 3550 §5.3.1: 16 bits profile, 16 bits length in 32-bit words */
        if (len - off < 4)
            return SR_EBADMSG;
        size_t ext = 4u * sr__rd16(buf + off + 2);
        off += 4;
        if (ext > len - off)
            return SR_EBADMSG;
        off += ext;
    }
    size_t end = len;
    if (r.padding) {
        /* §5.1: the last octet counts the padding, itself included */
        size_t pad = buf[len - 1];
        if (pad == 0 || pad > len - off)
            return SR_EBADMSG;
        end -= pad;
    }
    r.payload_off = off;
    r.payload_len = end - off;
    *h = r;
    return 0;
}

size_t sr_rtp_write_hdr(uint8_t *out, size_t cap, uint8_t pt, bool marker, uint16_t seq,
                        uint32_t ts, uint32_t ssrc)
{
    if (!out || cap < SR_RTP_HDR_LEN)
        return 0;
    out[0] = 0x80;
    out[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
    sr__wr16(out + 2, seq);
    sr__wr32(out + 4, ts);
    sr__wr32(out + 8, ssrc);
    return SR_RTP_HDR_LEN;
}

/* ------------------------------------------------------------------ RTCP */

static void block_read(const uint8_t *p, sr_rtcp_block *b)
{
    b->ssrc = sr__rd32(p);
    b->fraction_lost = p[4];
    uint32_t cl = (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
    /* 24-bit two's complement */
    b->cumulative_lost = (cl & 0x800000u) ? (int32_t)cl - 0x1000000 : (int32_t)cl;
    b->ext_max_seq = sr__rd32(p + 8);
    b->jitter = sr__rd32(p + 12);
    b->lsr = sr__rd32(p + 16);
    b->dlsr = sr__rd32(p + 20);
}

int sr_rtcp_parse(const uint8_t *buf, size_t len, sr_rtcp_info *info)
{
    if (!buf || !info)
        return SR_EINVAL;
    sr_rtcp_info r;
    memset(&r, 0, sizeof(r));
    size_t off = 0;
    if (len < 8)
        return SR_EBADMSG;
    while (off < len) {
        const uint8_t *p = buf + off;
        if (len - off < 4 || (p[0] >> 6) != 2)
            return SR_EBADMSG;
        bool pad = (p[0] & 0x20) != 0;
        unsigned count = p[0] & 0x1f;
        unsigned pt = p[1];
        size_t plen = 4u * ((size_t)sr__rd16(p + 2) + 1);
        if (plen > len - off)
            return SR_EBADMSG;
        /* RFC 3550 A.2: the first is an SR or RR, without padding; padding only in the last */
        if (off == 0 && (pad || (pt != SR_RTCP_SR && pt != SR_RTCP_RR)))
            return SR_EBADMSG;
        if (pad && off + plen != len)
            return SR_EBADMSG;
        if (pt == SR_RTCP_SR || pt == SR_RTCP_RR) {
            size_t head = pt == SR_RTCP_SR ? 28u : 8u;
            if (head + 24u * count > plen)
                return SR_EBADMSG;
            if (off == 0) {
                r.is_sr = pt == SR_RTCP_SR;
                r.ssrc = sr__rd32(p + 4);
                if (r.is_sr) {
                    r.ntp = (uint64_t)sr__rd32(p + 8) << 32 | sr__rd32(p + 12);
                    r.rtp_ts = sr__rd32(p + 16);
                    r.packets = sr__rd32(p + 20);
                    r.octets = sr__rd32(p + 24);
                }
                for (unsigned i = 0; i < count && r.n_blocks < SR_RTCP_MAX_BLOCKS; i++)
                    block_read(p + head + 24u * i, &r.blocks[r.n_blocks++]);
            }
        } else if (pt == SR_RTCP_BYE) {
            if (4u + 4u * count > plen)
                return SR_EBADMSG;
            r.bye = true;
        }
        r.n_pkts++;
        off += plen;
    }
    *info = r;
    return 0;
}

/* ------------------------------------------------------------------ statistics */

#define MAX_DROPOUT    3000u
#define MAX_MISORDER   100u
#define MIN_SEQUENTIAL 2u
#define SEQ_MOD        65536u

static void init_seq(sr_rtp_source *s, uint16_t seq)
{
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = SEQ_MOD + 1; /* so seq == bad_seq is false */
    s->cycles = 0;
    s->received = 0;
    s->received_prior = 0;
    s->expected_prior = 0;
}

void sr_rtp_source_init(sr_rtp_source *s, uint32_t ssrc, uint16_t seq)
{
    memset(s, 0, sizeof(*s));
    s->init = true;
    s->ssrc = ssrc;
    /* RFC 3550 A.1: a new source is on probation for MIN_SEQUENTIAL packets */
    init_seq(s, seq);
    s->max_seq = (uint16_t)(seq - 1);
    s->probation = MIN_SEQUENTIAL;
}

/* RFC 3550 A.1 update_seq */
static bool update_seq(sr_rtp_source *s, uint16_t seq)
{
    uint16_t udelta = (uint16_t)(seq - s->max_seq);
    if (s->probation) {
        if (seq == (uint16_t)(s->max_seq + 1)) {
            s->probation--;
            s->max_seq = seq;
            if (s->probation == 0) {
                init_seq(s, seq);
                s->received++;
                return true;
            }
        } else {
            s->probation = MIN_SEQUENTIAL - 1;
            s->max_seq = seq;
        }
        return false;
    }
    if (udelta < MAX_DROPOUT) {
        if (seq < s->max_seq)
            s->cycles += SEQ_MOD; /* wrapped */
        s->max_seq = seq;
    } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
        /* a very large jump: two sequential packets make it a restart */
        if (seq == s->bad_seq)
            init_seq(s, seq);
        else {
            s->bad_seq = (seq + 1u) & (SEQ_MOD - 1);
            return false;
        }
    }
    /* else a duplicate or reordered packet */
    s->received++;
    return true;
}

bool sr_rtp_source_update(sr_rtp_source *s, uint16_t seq, uint32_t ts, uint32_t arrival,
                          size_t payload_len)
{
    if (!update_seq(s, seq))
        return false;
    s->octets += payload_len;
    /* RFC 3550 A.8: J += (|D| - J) / 16, kept << 4; the first packet only sets the transit */
    uint32_t transit = arrival - ts;
    if (s->received > 1) {
        int32_t d = (int32_t)(transit - s->transit);
        uint32_t ad = d < 0 ? (uint32_t)(-(int64_t)d) : (uint32_t)d;
        s->jitter += ad - ((s->jitter + 8) >> 4);
    }
    s->transit = transit;
    return true;
}

uint32_t sr_rtp_source_ext_max(const sr_rtp_source *s)
{
    return s->cycles + s->max_seq;
}

uint32_t sr_rtp_source_expected(const sr_rtp_source *s)
{
    if (s->probation || !s->init)
        return 0;
    return sr_rtp_source_ext_max(s) - s->base_seq + 1;
}

int64_t sr_rtp_source_lost(const sr_rtp_source *s)
{
    return (int64_t)sr_rtp_source_expected(s) - (int64_t)s->received;
}

uint32_t sr_rtp_source_jitter(const sr_rtp_source *s)
{
    return s->jitter >> 4;
}

/* ------------------------------------------------------------------ G.711 */

#define ULAW_BIAS 0x84
#define ULAW_CLIP 32635

uint8_t sr_g711_ulaw_encode(int16_t pcm)
{
    int v = pcm;
    unsigned sign = 0;
    if (v < 0) {
        v = -v;
        sign = 0x80;
    }
    if (v > ULAW_CLIP)
        v = ULAW_CLIP;
    v += ULAW_BIAS;
    unsigned exp = 7;
    for (int mask = 0x4000; !(v & mask) && exp > 0; mask >>= 1)
        exp--;
    unsigned mant = ((unsigned)v >> (exp + 3)) & 0x0f;
    return (uint8_t) ~(sign | exp << 4 | mant);
}

int16_t sr_g711_ulaw_decode(uint8_t u)
{
    unsigned x = (uint8_t)~u;
    unsigned exp = (x >> 4) & 7;
    int v = (int)((((x & 0x0f) << 3) + ULAW_BIAS) << exp) - ULAW_BIAS;
    return (int16_t)((x & 0x80) ? -v : v);
}

uint8_t sr_g711_alaw_encode(int16_t pcm)
{
    int v = pcm >> 3; /* 13 bits */
    unsigned mask;
    if (v >= 0)
        mask = 0xd5;
    else {
        mask = 0x55;
        v = -v - 1;
    }
    static const int seg_end[8] = {0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff};
    unsigned seg = 0;
    while (seg < 8 && v > seg_end[seg])
        seg++;
    if (seg >= 8)
        return (uint8_t)(0x7f ^ mask);
    unsigned a = seg << 4;
    a |= seg < 2 ? ((unsigned)v >> 1) & 0x0f : ((unsigned)v >> seg) & 0x0f;
    return (uint8_t)(a ^ mask);
}

int16_t sr_g711_alaw_decode(uint8_t a)
{
    unsigned x = a ^ 0x55u;
    int t = (int)((x & 0x0f) << 4);
    unsigned seg = (x & 0x70) >> 4;
    if (seg == 0)
        t += 8;
    else
        t = (t + 0x108) << (seg - 1);
    return (int16_t)((x & 0x80) ? t : -t);
}

/* ------------------------------------------------------------------ tones */

/* sin(x) for x in [0, pi/2] by its Taylor series to x^15 (error below 1e-9 there) */
static double sin_q(double x)
{
    double x2 = x * x, term = x, sum = x;
    for (int k = 1; k <= 7; k++) {
        term = -term * x2 / (double)((2 * k) * (2 * k + 1));
        sum += term;
    }
    return sum;
}

int16_t sr_tone_sample(unsigned hz, uint64_t n, int16_t amplitude)
{
    /* the phase in 1/8000 turns, exactly: hz·n mod 8000 */
    unsigned q = (unsigned)(((uint64_t)(hz % 8000u) * (n % 8000u)) % 8000u);
    bool neg = q >= 4000;
    if (neg)
        q -= 4000;
    if (q > 2000)
        q = 4000 - q;
    double s = sin_q(6.283185307179586 * (double)q / 8000.0) * (double)amplitude;
    long v = (long)(s < 0 ? s - 0.5 : s + 0.5);
    return (int16_t)(neg ? -v : v);
}

/* ------------------------------------------------------------------ RFC 4733 */

int sr_rtp_event_parse(const uint8_t *p, size_t len, sr_rtp_event *ev)
{
    if (!p || !ev)
        return SR_EINVAL;
    if (len < 4)
        return SR_EBADMSG;
    ev->event = p[0];
    ev->end = (p[1] & 0x80) != 0;
    ev->volume = p[1] & 0x3f;
    ev->duration = sr__rd16(p + 2);
    return 0;
}

char sr_rtp_event_char(uint8_t e)
{
    static const char digits[] = "0123456789*#ABCD";
    if (e < 16)
        return digits[e];
    return e == 16 ? '!' : '?';
}
