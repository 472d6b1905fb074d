/* sipreply: captured packets to SIP messages, sans I/O (no pcap, no clock, no sockets).
 * Link layers, IPv4 (RFC 791) and IPv6 (RFC 8200) with fragment reassembly, UDP, TCP (RFC 9293). */
#ifndef SIPREPLY_CAPTURE_H
#define SIPREPLY_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipreply/alloc.h>
#include <sipreply/error.h>
#include <sipreply/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Link types, numbered as the pcap/pcapng LINKTYPE_ registry numbers them (the values stored
 * in capture files; a libpcap user maps pcap_datalink()'s DLT_ value to one of these).
 */
typedef enum sr_cap_link {
    SR_CAP_LINK_NULL = 0,        /**< BSD loopback: 4-byte AF value in the writer's byte order */
    SR_CAP_LINK_ETHERNET = 1,    /**< Ethernet II, with 802.1Q / 802.1ad / QinQ tags */
    SR_CAP_LINK_RAW = 101,       /**< raw IP: version from the first nibble */
    SR_CAP_LINK_LOOP = 108,      /**< OpenBSD loopback: 4-byte AF value, network byte order */
    SR_CAP_LINK_LINUX_SLL = 113, /**< Linux cooked capture v1 (16-byte header) */
    SR_CAP_LINK_IPV4 = 228,      /**< raw IPv4 */
    SR_CAP_LINK_IPV6 = 229,      /**< raw IPv6 */
    SR_CAP_LINK_LINUX_SLL2 = 276 /**< Linux cooked capture v2 (20-byte header) */
} sr_cap_link;

/** The transport a SIP message was carried on. */
typedef enum sr_cap_transport { SR_CAP_UDP = 1, SR_CAP_TCP = 2 } sr_cap_transport;

/** An IP address and port. family is 4 or 6; an IPv4 address fills ip[0..4). */
typedef struct sr_cap_addr {
    uint8_t family;
    uint8_t ip[16];
    uint16_t port;
} sr_cap_addr;

/**
 * One SIP message found in the capture. data/len lie in memory owned by the sr_capture (or
 * in the packet the caller handed in) and stay valid until the next sr_capture_packet(),
 * sr_capture_poll() or sr_capture_free() call.
 */
typedef struct sr_cap_msg {
    uint64_t ts_ns;             /**< time of the packet that completed the message */
    sr_cap_addr src, dst;       /**< sender and receiver */
    sr_cap_transport transport; /**< UDP or TCP */
    const char *data;           /**< the message bytes (start line to end of body) */
    size_t len;                 /**< its length */
    bool reassembled;           /**< UDP: the datagram came from several IP fragments */
    bool bad_framing; /**< UDP: the datagram did not frame (e.g. Content-Length larger than
                         the datagram, a truncated capture): data is the whole payload */
} sr_cap_msg;

/**
 * Limits, filled by the caller. A zero field means its default; NULL options mean all
 * defaults. New fields will be appended; zero-initialise the struct.
 */
typedef struct sr_capture_opts {
    size_t frag_budget;       /**< bytes held by unfinished IP reassemblies (default 4 MiB) */
    uint64_t frag_timeout_ns; /**< reassembly lifetime in packet time (default 30 s) */
    size_t tcp_budget;        /**< bytes buffered over all TCP streams (default 64 MiB) */
    size_t tcp_max_ooo;       /**< out-of-order bytes held per direction (default 256 KiB) */
    size_t max_streams;       /**< TCP directions tracked at once (default 65536) */
    uint64_t tcp_idle_ns;     /**< a direction idle this long in packet time is dropped (600 s) */
    size_t max_message;       /**< largest SIP message on TCP (default 64 KiB + 1 MiB) */
    /** UDP datagrams are yielded unframed: data is the payload after its leading CRLFs and
     *  len all of the rest (bad_framing stays false); the caller frames it, with
     *  sr_frame_datagram() or, after parsing it whole, sr_frame_datagram_msg(), which then
     *  costs nothing for the usual datagram (false: framed here, by sr_frame_datagram()) */
    bool udp_unframed;
} sr_capture_opts;

/**
 * Counters. Every packet handed in lands in exactly one of the "packet outcome" counters
 * (link_unsupported .. tcp_segments: their sum is packets, unless a call failed with
 * SR_ENOMEM); the others count events inside packets and streams. A fragment that
 * completes a datagram lands where the datagram does (udp_sip, tcp_segments, ...).
 */
typedef struct sr_capture_stats {
    uint64_t packets; /**< packets handed in */
    uint64_t bytes;   /**< their captured bytes */
    /* packet outcomes */
    uint64_t link_unsupported; /**< unknown link type */
    uint64_t link_truncated;   /**< shorter than its link header */
    uint64_t not_ip;           /**< link payload neither IPv4 nor IPv6 (ARP, LLC, ...) */
    uint64_t ip_bad;           /**< bad IP version, header length or total length */
    uint64_t ip_truncated;     /**< captured bytes end before the IP length says */
    uint64_t ip_ext_bad;       /**< IPv6 extension header chain malformed or truncated */
    uint64_t ip_other;         /**< IP payload neither UDP nor TCP (ICMP, ESP, ...) */
    uint64_t frag_held;        /**< an IP fragment that did not complete a datagram: held for
                           reassembly, or dropped with it over frag_budget (frag_evicted) */
    uint64_t frag_bad;      /**< fragment beyond 65535 bytes, or contradicting its datagram's end */
    uint64_t udp_bad;       /**< UDP header missing or length inconsistent */
    uint64_t udp_not_sip;   /**< UDP payload without a SIP start line */
    uint64_t udp_keepalive; /**< UDP payload of only CR/LF (RFC 5626 keep-alive) */
    uint64_t udp_sip;       /**< UDP datagrams yielding a SIP message */
    uint64_t tcp_bad;       /**< TCP header missing or data offset wrong */
    uint64_t tcp_segments;  /**< TCP segments taken into a stream (with or without data) */
    /* events */
    uint64_t frag_reassembled;   /**< datagrams completed from fragments */
    uint64_t frag_timeout;       /**< reassemblies dropped after frag_timeout_ns */
    uint64_t frag_evicted;       /**< reassemblies dropped to stay within frag_budget */
    uint64_t frag_overlap;       /**< fragments overlapping bytes already held (later wins) */
    uint64_t tcp_retrans;        /**< segments whose data was all seen already */
    uint64_t tcp_overlap;        /**< segments partly seen already (the new part is kept) */
    uint64_t tcp_ooo;            /**< segments held until the bytes before them arrive */
    uint64_t tcp_gaps;           /**< holes skipped (bytes never captured) */
    uint64_t tcp_gap_bytes;      /**< bytes in those holes */
    uint64_t tcp_skipped_bytes;  /**< stream bytes outside any SIP message (resynchronised) */
    uint64_t tcp_framing_errors; /**< framer errors (bad Content-Length, header too big) */
    uint64_t tcp_overflow;       /**< buffers dropped over max_message or tcp_budget */
    uint64_t tcp_evicted;        /**< directions dropped over max_streams or tcp_budget */
    uint64_t tcp_sip;            /**< SIP messages framed from TCP streams */
    uint64_t sip_messages;       /**< SIP messages yielded in all */
} sr_capture_stats;

/** A capture decoder: link, IP, reassembly and stream state. Opaque. */
typedef struct sr_capture sr_capture;

/**
 * Create a decoder.
 * @param out    receives the decoder; untouched on failure.
 * @param opts   may be NULL (defaults); copied.
 * @param alloc  may be NULL (malloc); must outlive the decoder.
 * Returns 0 or SR_EINVAL (NULL out), SR_ENOMEM.
 */
SR_API int sr_capture_new(sr_capture **out, const sr_capture_opts *opts, const sr_allocator *alloc);

/** Free a decoder and everything it holds. NULL is accepted. */
SR_API void sr_capture_free(sr_capture *c);

/**
 * Hand in one captured packet. Afterwards call sr_capture_poll() until it returns 0: the
 * messages this packet completed are yielded there (messages not polled before the next
 * packet: a datagram's is lost, a stream's stays buffered and comes out later).
 * A bad packet is counted in the stats and skipped; it is never an error.
 * @param link   the capture's link type (sr_cap_link value).
 * @param ts_ns  capture time in nanoseconds; timeouts run in this time, which never goes
 *               backwards (an earlier time is taken as the latest seen).
 * @param pkt    the captured bytes (may be fewer than were on the wire); the caller keeps
 *               them unchanged until the next call on @p c.
 * Returns 0, or SR_EINVAL (NULL c, or NULL pkt with len > 0), SR_ENOMEM (the packet was
 * dropped; the decoder stays consistent and may be used further).
 */
SR_API int sr_capture_packet(sr_capture *c, int link, uint64_t ts_ns, const uint8_t *pkt,
                             size_t len);

/**
 * Yield the next SIP message the last packet completed.
 * Returns 1 with *out filled, 0 when there is none (left), or SR_EINVAL.
 */
SR_API int sr_capture_poll(sr_capture *c, sr_cap_msg *out);

/** The decoder's counters (valid until the next call on @p c). */
SR_API const sr_capture_stats *sr_capture_get_stats(const sr_capture *c);

/**
 * Bytes currently held: unfinished reassemblies, TCP buffers and out-of-order segments.
 * Stays within frag_budget + tcp_budget plus bookkeeping.
 */
SR_API size_t sr_capture_held_bytes(const sr_capture *c);

/**
 * Recognise a SIP start line at the start of @p p[0..n): "SIP/2.0 " followed by three
 * digits and a space, or Method SP Request-URI SP "SIP/2.0" CRLF (RFC 3261 §7.1).
 * Returns 1 (a start line), 0 (not one), or SR_EAGAIN (a prefix of one: more bytes decide;
 * lines over 4096 bytes are never start lines).
 */
SR_API int sr_capture_is_sip_start(const char *p, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_CAPTURE_H */
