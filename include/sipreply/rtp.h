/* sipreply: RTP and RTCP (RFC 3550) — packet headers parsed and built, the receiver
 * statistics of RFC 3550 A.1 and A.8, G.711 (ITU-T G.711) and a tone generator, RFC 4733
 * telephone-events, and one media stream's logic (echo, tone, silence, samples) in simulated
 * time. Pure: no sockets, no clock; the caller hands in packets and the time. */
#ifndef SIPREPLY_RTP_H
#define SIPREPLY_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipreply/error.h>
#include <sipreply/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The fixed RTP header's length (RFC 3550 §5.1). */
#define SR_RTP_HDR_LEN 12u
/** The largest RTP or RTCP packet the stream logic reads or writes. */
#define SR_RTP_MAX_PACKET 1500u

/** An RTP header (RFC 3550 §5.1) and where its payload is. */
typedef struct sr_rtp_hdr {
    bool padding, extension, marker;
    uint8_t cc; /**< CSRC count */
    uint8_t pt; /**< payload type */
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    size_t payload_off; /**< after the CSRC list and the header extension */
    size_t payload_len; /**< without the padding */
} sr_rtp_hdr;

/**
 * Parse the RTP packet @p buf[0..len) (RFC 3550 §5.1, §5.3.1, A.1's validity checks): version
 * 2, the CSRC list, the extension and the padding inside the packet, a payload type that is
 * not RTCP's (72–76, RFC 5761 §4). Returns 0 or SR_EBADMSG (SR_EINVAL for NULL).
 */
SR_API int sr_rtp_parse(const uint8_t *buf, size_t len, sr_rtp_hdr *h);

/**
 * Write a 12-byte RTP header (version 2, no padding, extension or CSRC) at @p out. Returns
 * SR_RTP_HDR_LEN, or 0 when @p cap is smaller.
 */
SR_API size_t sr_rtp_write_hdr(uint8_t *out, size_t cap, uint8_t pt, bool marker, uint16_t seq,
                               uint32_t ts, uint32_t ssrc);

/* ------------------------------------------------------------------ RTCP (RFC 3550 §6) */

#define SR_RTCP_SR   200u
#define SR_RTCP_RR   201u
#define SR_RTCP_SDES 202u
#define SR_RTCP_BYE  203u
#define SR_RTCP_APP  204u

/** A report block (RFC 3550 §6.4.1). */
typedef struct sr_rtcp_block {
    uint32_t ssrc;
    uint8_t fraction_lost;   /**< in 1/256 */
    int32_t cumulative_lost; /**< 24-bit signed */
    uint32_t ext_max_seq;
    uint32_t jitter; /**< in timestamp units */
    uint32_t lsr, dlsr;
} sr_rtcp_block;

#define SR_RTCP_MAX_BLOCKS 4u

/** What a compound RTCP packet says (the first SR or RR and its first blocks, a BYE). */
typedef struct sr_rtcp_info {
    bool is_sr;
    uint32_t ssrc;
    uint64_t ntp;     /**< the SR's NTP timestamp (0 in an RR) */
    uint32_t rtp_ts;  /**< the SR's RTP timestamp */
    uint32_t packets; /**< the SR's sender's packet count */
    uint32_t octets;  /**< the SR's sender's octet count */
    size_t n_blocks;  /**< report blocks kept (at most SR_RTCP_MAX_BLOCKS) */
    sr_rtcp_block blocks[SR_RTCP_MAX_BLOCKS];
    bool bye;      /**< the compound holds a BYE */
    size_t n_pkts; /**< RTCP packets in the compound */
} sr_rtcp_info;

/**
 * Parse the compound RTCP packet @p buf[0..len) with RFC 3550 A.2's checks: every packet
 * version 2, the first an SR or RR without padding, padding only in the last, the lengths
 * adding up to @p len exactly. Returns 0 or SR_EBADMSG (SR_EINVAL for NULL).
 */
SR_API int sr_rtcp_parse(const uint8_t *buf, size_t len, sr_rtcp_info *info);

/* ------------------------------------------------------------------ statistics (A.1, A.8) */

/** One source's receiver statistics (RFC 3550 A.1 sequence tracking, A.8 jitter). */
typedef struct sr_rtp_source {
    bool init;
    uint32_t ssrc;
    uint16_t max_seq;
    uint32_t cycles; /**< shifted count of sequence number cycles */
    uint32_t base_seq, bad_seq, probation;
    uint32_t received, expected_prior, received_prior;
    uint32_t transit; /**< relative transit time of the previous packet */
    uint32_t jitter;  /**< estimated jitter, timestamp units << 4 (A.8) */
    uint64_t octets;
} sr_rtp_source;

/** Start counting source @p ssrc whose first packet has sequence number @p seq. */
SR_API void sr_rtp_source_init(sr_rtp_source *s, uint32_t ssrc, uint16_t seq);

/**
 * Count a packet with @p seq and @p ts that arrived at @p arrival (in timestamp units of the
 * same clock). Returns false when the packet is not counted (probation or a jump, A.1).
 */
SR_API bool sr_rtp_source_update(sr_rtp_source *s, uint16_t seq, uint32_t ts, uint32_t arrival,
                                 size_t payload_len);

/** The extended highest sequence number received (A.3). */
SR_API uint32_t sr_rtp_source_ext_max(const sr_rtp_source *s);
/** Packets expected (A.3). */
SR_API uint32_t sr_rtp_source_expected(const sr_rtp_source *s);
/** Packets lost: expected minus received, negative with duplicates (A.3). */
SR_API int64_t sr_rtp_source_lost(const sr_rtp_source *s);
/** The interarrival jitter in timestamp units (A.8). */
SR_API uint32_t sr_rtp_source_jitter(const sr_rtp_source *s);

/* ------------------------------------------------------------------ G.711 and tones */

/** μ-law (payload type 0, PCMU) of a 16-bit linear sample (ITU-T G.711, bias 0x84). */
SR_API uint8_t sr_g711_ulaw_encode(int16_t pcm);
SR_API int16_t sr_g711_ulaw_decode(uint8_t u);
/** A-law (payload type 8, PCMA) of a 16-bit linear sample (ITU-T G.711, even bits XOR 0x55). */
SR_API uint8_t sr_g711_alaw_encode(int16_t pcm);
SR_API int16_t sr_g711_alaw_decode(uint8_t a);

/**
 * Sample @p n of a sine of @p hz at 8000 samples/s with peak @p amplitude: the phase is
 * computed exactly (hz·n mod 8000), so the tone has no drift however long it runs.
 */
SR_API int16_t sr_tone_sample(unsigned hz, uint64_t n, int16_t amplitude);

/* ------------------------------------------------------------------ RFC 4733 events */

/** A telephone-event payload (RFC 4733 §2.3). */
typedef struct sr_rtp_event {
    uint8_t event; /**< 0–9 digits, 10 '*', 11 '#', 12–15 A–D, 16 flash */
    bool end;
    uint8_t volume;
    uint16_t duration;
} sr_rtp_event;

/** Parse the first 4 bytes of a telephone-event payload. 0 or SR_EBADMSG (shorter). */
SR_API int sr_rtp_event_parse(const uint8_t *p, size_t len, sr_rtp_event *ev);
/** The character of event @p e: "0123456789*#ABCD", '!' for flash, '?' beyond. */
SR_API char sr_rtp_event_char(uint8_t e);

/* ------------------------------------------------------------------ one media stream */

typedef enum sr_media_mode {
    SR_MEDIA_NONE = 0, /**< receive and count, send no RTP (RTCP receiver reports only) */
    SR_MEDIA_ECHO,     /**< what arrives goes back with our SSRC, sequence and timestamps */
    SR_MEDIA_TONE,     /**< a sine of tone_hz, G.711 */
    SR_MEDIA_SILENCE,  /**< G.711 silence */
    SR_MEDIA_SAMPLES,  /**< the caller's 8 kHz samples, looped, G.711 */
} sr_media_mode;

/** The stream's settings (sr_media_cfg_init fills the defaults). */
typedef struct sr_media_cfg {
    sr_media_mode mode;
    uint8_t pt;             /**< the payload type we send: 0 (PCMU) or 8 (PCMA) */
    int te_pt;              /**< the telephone-event payload type, -1: none negotiated */
    unsigned ptime_ms;      /**< packet time (default 20: 160 samples) */
    unsigned tone_hz;       /**< SR_MEDIA_TONE (default 1000) */
    int16_t amplitude;      /**< SR_MEDIA_TONE peak (default 8000, about -12 dBFS) */
    const int16_t *samples; /**< SR_MEDIA_SAMPLES: 8 kHz mono, not owned, outlives the stream */
    size_t n_samples;
    uint32_t ssrc;       /**< ours (random, RFC 3550 §8.1) */
    uint16_t seq0;       /**< our first sequence number (random, §5.1) */
    uint32_t ts0;        /**< our first timestamp (random, §5.1) */
    uint32_t timeout_ms; /**< no RTP for this long ends the stream (0: never) */
    uint32_t rtcp_ms;    /**< RTCP report interval (default 5000, RFC 3550 §6.2; 0: none) */
    /** Non-zero: each RTCP interval is rtcp_ms times a random factor in [0.5, 1.5] divided by
     *  e - 3/2 (RFC 3550 §6.3.1, A.7), drawn from this seed; 0: exactly rtcp_ms (tests). */
    uint32_t rtcp_seed;
} sr_media_cfg;

SR_API void sr_media_cfg_init(sr_media_cfg *c);

/** The stream's counters. */
typedef struct sr_media_stats {
    uint64_t sent, sent_octets;         /**< RTP packets and payload octets we sent */
    uint64_t received, received_octets; /**< RTP packets and payload octets counted */
    uint64_t bad;                       /**< datagrams that were not RTP (or RTCP) we take */
    uint64_t rtcp_sent, rtcp_received;
    uint64_t events; /**< RFC 4733 events received (each counted once, at its first packet) */
    int64_t lost;    /**< RFC 3550 A.3 */
    uint32_t jitter; /**< timestamp units (A.8) */
} sr_media_stats;

/** One stream's state: plain data, no allocation; fill with sr_media_init. */
typedef struct sr_media {
    sr_media_cfg cfg;
    bool sending;        /**< we may send (the negotiated direction, hold) */
    bool expect_rtp;     /**< the peer is to send (the timeout applies) */
    uint16_t seq;        /**< our next sequence number */
    uint64_t start_ms;   /**< when the stream started (the generators' clock origin) */
    uint64_t n_packets;  /**< generated packets sent since start_ms */
    uint64_t next_ms;    /**< the next generated packet (UINT64_MAX: none) */
    uint64_t last_rx_ms; /**< the last RTP counted, or the start */
    uint64_t rtcp_next_ms;
    uint32_t last_ts;      /**< the timestamp of our last RTP packet */
    uint64_t last_sent_ms; /**< when we last sent RTP (for the SR's RTP timestamp) */
    bool have_src;
    sr_rtp_source src;
    bool echo_base_set;
    uint32_t echo_base; /**< the peer's first timestamp (echo keeps the spacing) */
    uint32_t rng;       /**< the RTCP interval's xorshift state (cfg.rtcp_seed) */
    uint32_t lsr;       /**< middle 32 bits of the last SR's NTP time (RFC 3550 §6.4.1) */
    uint64_t lsr_ms;    /**< when that SR arrived */
    bool ev_active;     /**< an RFC 4733 event in progress (its timestamp below) */
    uint32_t ev_ts;
    bool ev_prev_set; /**< the event before it (a late packet of it is not a new one) */
    uint32_t ev_prev_ts;
    sr_media_stats st;
} sr_media;

/** Start @p m with @p c at @p now_ms: generated modes send their first packet at once. */
SR_API void sr_media_init(sr_media *m, const sr_media_cfg *c, uint64_t now_ms);

/**
 * Switch @p m to @p c's mode and its settings (tone_hz, amplitude, samples) at @p now_ms; the
 * rest of @p c is ignored. Our SSRC and sequence numbers go on; the timestamps go on from the
 * RTP time of @p now_ms (RFC 3550 §5.1), a generated mode starting with the marker bit set
 * (a new talkspurt, RFC 3551 §4.1) at once when we send.
 */
SR_API void sr_media_switch(sr_media *m, const sr_media_cfg *c, uint64_t now_ms);

/** Set what the negotiated direction allows: we send, the peer sends (RFC 3264 §5.1). */
SR_API void sr_media_set_direction(sr_media *m, bool we_send, bool peer_sends, uint64_t now_ms);

/** What sr_media_receive found. */
typedef struct sr_media_rx {
    bool rtp;       /**< a valid RTP packet, counted */
    bool has_event; /**< it began an RFC 4733 event (the first packet with a new timestamp) */
    sr_rtp_event event;
    size_t out_len; /**< echo: the packet to send back is out[0..out_len) (0: none) */
} sr_media_rx;

/**
 * An RTP datagram @p pkt[0..len) arrived at @p now_ms: count it (A.1, A.8), note an RFC 4733
 * event, and in echo mode write the packet to send back into @p out (our SSRC, our next
 * sequence number, our first timestamp plus the distance from the peer's first: RFC 3550
 * §5.1; the payload type, marker and payload as received, without CSRC, extension or padding).
 * Returns 0 or SR_EBADMSG (not RTP: counted as bad).
 */
SR_API int sr_media_receive(sr_media *m, const uint8_t *pkt, size_t len, uint64_t now_ms,
                            uint8_t *out, size_t cap, sr_media_rx *rx);

/**
 * Write the next generated packet (tone, silence, samples) due by @p now_ms into @p out.
 * Returns its length, or 0 when none is due. Call until 0. A stream behind by more than 5
 * packets skips to now (the timestamps advance as if sent: the receiver sees a gap in time,
 * not in sequence numbers).
 */
SR_API size_t sr_media_tick(sr_media *m, uint64_t now_ms, uint8_t *out, size_t cap);

/** The stream's earliest deadline: a packet, an RTCP report or the timeout. */
SR_API uint64_t sr_media_next_deadline(const sr_media *m);

/** true when the peer was to send and no RTP came for timeout_ms. */
SR_API bool sr_media_timed_out(const sr_media *m, uint64_t now_ms);

/**
 * A compound RTCP packet (RFC 3550 §6.1): SR when we sent RTP since the start, else RR, with a
 * report block for the peer's source when we have one, an SDES CNAME @p cname and, when
 * @p bye, a BYE (§6.6). @p ntp is the wall-clock NTP time (64-bit fixed point). Returns the
 * length, 0 when @p cap is too small. Moves the next report one interval on (rtcp_ms, or
 * randomised: rtcp_seed).
 */
SR_API size_t sr_media_rtcp(sr_media *m, uint64_t now_ms, uint64_t ntp, const char *cname, bool bye,
                            uint8_t *out, size_t cap);

/** true when an RTCP report is due by @p now_ms. */
SR_API bool sr_media_rtcp_due(const sr_media *m, uint64_t now_ms);

/** A compound RTCP packet arrived: counted, its SR's time kept for our LSR/DLSR. 0 or
 *  SR_EBADMSG. */
SR_API int sr_media_rtcp_receive(sr_media *m, const uint8_t *pkt, size_t len, uint64_t now_ms);

/** The counters, with the loss and jitter as of now. */
SR_API void sr_media_get_stats(const sr_media *m, sr_media_stats *out);

/** The mode's name ("echo"...), and the mode of a name (-1: unknown). */
SR_API const char *sr_media_mode_name(sr_media_mode mode);
SR_API int sr_media_mode_parse(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_RTP_H */
