/* sipreply core: state shared by the capture decoder's files (capture.c, capture_frag.c,
 * capture_tcp.c): the decoder object, flow keys, reassembly and stream tables. */
#ifndef SIPREPLY_CAPTURE_INT_H
#define SIPREPLY_CAPTURE_INT_H

#include "sipreply/capture.h"
#include "sipreply/frame.h"

#include "core_int.h"

/* ------------------------------------------------------------------ IP fragments */

/* One datagram being reassembled (RFC 791 §3.2, RFC 8200 §4.5). Received bytes are tracked
 * in 8-byte units (fragment offsets count in them); the last unit may be partial. */
typedef struct cap_frag {
    struct cap_frag *prev, *next; /* creation order: the head is the oldest */
    uint8_t family;
    uint8_t proto; /* upper-layer protocol (IPv6: from the fragmentable part) */
    uint32_t id;
    uint8_t src[16], dst[16];
    uint64_t first_ns;
    uint32_t total;   /* payload length, known once the last fragment arrived, else 0 */
    uint32_t extent;  /* bytes the buffer covers */
    uint32_t covered; /* bytes received (without double counting) */
    unsigned char *buf;
    uint8_t *units; /* one bit per 8-byte unit: received */
} cap_frag;

/* ------------------------------------------------------------------ TCP streams */

typedef struct cap_key {
    uint8_t family;
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
} cap_key;

/* An out-of-order segment, kept sorted by sequence number. */
typedef struct cap_seg {
    struct cap_seg *next;
    uint32_t seq;
    uint32_t len;
    unsigned char data[];
} cap_seg;

/* One direction of a TCP connection: reassembled bytes waiting to be framed. */
typedef struct cap_stream {
    struct cap_stream *hnext;         /* hash chain */
    struct cap_stream *lprev, *lnext; /* least recently used first */
    uint32_t hash;
    cap_key key;
    uint64_t last_ns;
    uint32_t next_seq;  /* the sequence number of the next byte in order */
    bool have_seq;      /* next_seq is known (a SYN or the first data segment was seen) */
    bool synced;        /* buf[off] is the start of a SIP message */
    bool line_start;    /* buf[off] follows a line end or starts the stream */
    unsigned char *buf; /* bytes [off, len) wait for framing */
    size_t off, len, cap;
    size_t consumed; /* the last yielded message: drop it at the next poll */
    sr_frame fr;     /* incremental framing state of buf[off..) */
    cap_seg *ooo;
    size_t ooo_bytes;
} cap_stream;

/* ------------------------------------------------------------------ the decoder */

struct sr_capture {
    const sr_allocator *alloc;
    sr_capture_opts o; /* resolved: no zero field */
    sr_frame_opts fo;
    sr_capture_stats st;
    uint64_t now_ns;

    /* the pending output of the last packet */
    int pend;             /* PEND_NONE, PEND_DGRAM or PEND_STREAM */
    sr_cap_msg dgram;     /* PEND_DGRAM: the message, ready */
    unsigned char *owned; /* a reassembled datagram the pending message points into */
    cap_stream *pstream;  /* PEND_STREAM: the direction that got bytes */
    uint64_t pts_ns;

    /* reassembly */
    cap_frag *fhead, *ftail;
    size_t frag_bytes;

    /* streams */
    cap_stream **buckets;
    size_t nbuckets; /* a power of two */
    size_t nstreams;
    cap_stream *lru_head, *lru_tail;
    size_t tcp_bytes;
};

enum { PEND_NONE = 0, PEND_DGRAM, PEND_STREAM };

/* An IP datagram's addressing, handed from the IP layer to the transports. */
typedef struct cap_ip {
    uint8_t family;
    const uint8_t *src, *dst; /* 4 or 16 bytes */
    uint8_t proto;
} cap_ip;

/* capture.c: the transport layer, for payloads of whole or reassembled datagrams. */
int sr__cap_transport(sr_capture *c, const cap_ip *ip, const uint8_t *p, size_t n,
                      unsigned char *owned);

/* capture_frag.c */
/* Take one fragment: payload p[0..n) at byte offset @p off, @p more = more fragments follow.
 * On completion returns 1 and hands the datagram's payload (*out, *out_len; the caller owns
 * *out and frees it with sr__free) and its protocol; 0 when held or dropped (counted). */
int sr__cap_frag_add(sr_capture *c, const cap_ip *ip, uint32_t id, uint32_t off, bool more,
                     const uint8_t *p, size_t n, unsigned char **out, size_t *out_len);
void sr__cap_frag_expire(sr_capture *c);
void sr__cap_frag_free_all(sr_capture *c);

/* capture_tcp.c */
int sr__cap_tcp_segment(sr_capture *c, const cap_ip *ip, const uint8_t *p, size_t n);
int sr__cap_tcp_poll(sr_capture *c, cap_stream *s, sr_cap_msg *out);
void sr__cap_tcp_expire(sr_capture *c);
void sr__cap_tcp_free_all(sr_capture *c);

/* Fill an sr_cap_addr. */
static inline void sr__cap_addr(sr_cap_addr *a, uint8_t family, const uint8_t *ip, uint16_t port)
{
    memset(a, 0, sizeof *a);
    a->family = family;
    memcpy(a->ip, ip, family == 4 ? 4u : 16u);
    a->port = port;
}

static inline uint16_t sr__be16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t sr__be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif /* SIPREPLY_CAPTURE_INT_H */
