/* sipreply: SDP (RFC 4566) parsing and printing, and the offer/answer model (RFC 3264):
 * answering an offer with our codecs, making an offer, checking the answer to ours. */
#ifndef SIPREPLY_SDP_H
#define SIPREPLY_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipreply/alloc.h>
#include <sipreply/error.h>
#include <sipreply/export.h>
#include <sipreply/str.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The largest session description sr_sdp_parse() accepts (bytes); more is SR_ETOOBIG. */
#define SR_SDP_MAX_LEN 32768u

/**
 * A stream's direction (RFC 4566 §6, RFC 3264 §5.1): bit 1 "we send", bit 2 "we receive",
 * from the point of view of the description's author.
 */
typedef enum sr_sdp_dir {
    SR_SDP_INACTIVE = 0,
    SR_SDP_SENDONLY = 1,
    SR_SDP_RECVONLY = 2,
    SR_SDP_SENDRECV = 3,
} sr_sdp_dir;

/** The attribute name of @p d ("sendrecv"...). */
SR_API const char *sr_sdp_dir_name(sr_sdp_dir d);

/** A line kept as it came: its type letter and its value (i=, u=, e=, p=, t=, r=, z=, k=). */
typedef struct sr_sdp_line {
    char type;
    sr_str value;
} sr_sdp_line;

/** c=<nettype> <addrtype> <connection-address> (RFC 4566 §5.7). */
typedef struct sr_sdp_conn {
    sr_str nettype;   /**< "IN" */
    sr_str addrtype;  /**< "IP4", "IP6" */
    sr_str addr;      /**< the address or host name, without "/ttl" or "/number" */
    sr_str suffix;    /**< "/127" or "/127/3" (multicast), empty for unicast */
    bool unspecified; /**< 0.0.0.0 or :: (RFC 3264 §8.4: send nothing to it) */
} sr_sdp_conn;

/** b=<bwtype>:<bandwidth> (RFC 4566 §5.8). */
typedef struct sr_sdp_bw {
    sr_str type; /**< "AS", "CT", "TIAS"... */
    uint64_t value;
} sr_sdp_bw;

/** a=<name>[:<value>] (RFC 4566 §5.13). */
typedef struct sr_sdp_attr {
    sr_str name;
    sr_str value;
    bool has_value;
} sr_sdp_attr;

/** One format of an m= line, with its a=rtpmap and a=fmtp when given (RFC 4566 §6). */
typedef struct sr_sdp_fmt {
    sr_str id;         /**< the token on the m= line ("0", "101") */
    int pt;            /**< its RTP payload type 0-127, or -1 when it is not one */
    bool has_rtpmap;   /**< an a=rtpmap named it */
    sr_str encoding;   /**< rtpmap encoding name ("PCMU"); empty without rtpmap */
    uint32_t clock;    /**< rtpmap clock rate (8000); 0 without rtpmap */
    sr_str enc_params; /**< rtpmap encoding parameters (channels for audio), or empty */
    bool has_fmtp;     /**< an a=fmtp named it */
    sr_str fmtp;       /**< the a=fmtp parameters after "<fmt> " */
} sr_sdp_fmt;

/** One media description: m= and the i=, c=, b=, k=, a= lines after it. */
typedef struct sr_sdp_media {
    sr_str type;      /**< "audio", "video", "application"... */
    uint16_t port;    /**< 0: the stream is rejected or disabled (RFC 3264 §5.1, §6) */
    uint32_t n_ports; /**< "/<number of ports>", 0 when absent */
    sr_str proto;     /**< "RTP/AVP"... */
    sr_sdp_fmt *fmts; /**< in m= line order; at least one */
    size_t n_fmts;
    sr_sdp_conn *conns; /**< media-level c= lines (usually 0 or 1) */
    size_t n_conns;
    sr_sdp_bw *bws;
    size_t n_bws;
    sr_sdp_line *lines; /**< i= and k= */
    size_t n_lines;
    sr_sdp_attr *attrs; /**< the a= lines but rtpmap, fmtp, ptime and the direction */
    size_t n_attrs;
    bool dir_set;   /**< a direction attribute was given at media level */
    sr_sdp_dir dir; /**< the direction in force: media's, else the session's, else sendrecv */
    uint32_t ptime; /**< a=ptime in ms, 0 when absent */
} sr_sdp_media;

/** o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>. */
typedef struct sr_sdp_origin {
    sr_str username, sess_id, sess_version, nettype, addrtype, addr;
} sr_sdp_origin;

/**
 * A session description. What sr_sdp_parse() returns is read-only and owns a copy of the
 * text: every slice lives as long as the object. Free with sr_sdp_free().
 */
typedef struct sr_sdp {
    sr_sdp_origin origin;
    sr_str name;        /**< s= (may be empty or " ": RFC 4317 writes "s=") */
    sr_sdp_line *lines; /**< session i=, u=, e=, p=, t=, r=, z=, k= in their order */
    size_t n_lines;
    bool has_conn;
    sr_sdp_conn conn; /**< session-level c= */
    sr_sdp_bw *bws;
    size_t n_bws;
    sr_sdp_attr *attrs; /**< session a= lines but the direction */
    size_t n_attrs;
    bool dir_set;
    sr_sdp_dir dir;       /**< the session-level direction (sendrecv when absent) */
    uint64_t start, stop; /**< the first t= line's times */
    sr_sdp_media *media;
    size_t n_media;
    const sr_allocator *alloc; /**< internal: what frees it */
} sr_sdp;

/**
 * Parse @p len bytes at @p buf (RFC 4566 §5). Strict where meaning depends on it, tolerant of
 * what common stacks send:
 *  - v=0 must come first; o=, s= and at least one t= must be present, each once (t= and r=
 *    may repeat); every media with a non-zero port needs a c= at session or media level
 *    (§5.7); an unknown type letter fails the whole description (§5: "MUST completely
 *    ignore"); a session-only line (v o s u e p t r z) after the first m= fails.
 *  - tolerated: LF or CRLF line ends, a missing final line end, trailing empty lines, an
 *    empty s=, session-level lines in any order after v=, host names as addresses.
 *  - a=rtpmap/fmtp for a format the m= line does not list stay generic attributes.
 * On success *@p out owns a copy of the text. Returns 0, SR_EINVAL (NULL argument),
 * SR_ETOOBIG (over SR_SDP_MAX_LEN), SR_EBADMSG (with @p err's offset and phrase, if given)
 * or SR_ENOMEM; *@p out is untouched on failure. @p alloc NULL: malloc.
 */
SR_API int sr_sdp_parse(sr_sdp **out, const char *buf, size_t len, const sr_allocator *alloc,
                        sr_parse_error *err);

/** Free @p sd. NULL is a no-op. */
SR_API void sr_sdp_free(sr_sdp *sd);

/**
 * Append @p sd as text to @p out in RFC 4566 §5 order (v o s i u e p c b t r z k a; per
 * media m i c b k a), CRLF line ends. Each format's rtpmap and fmtp, then ptime, then the
 * other attributes, then the direction (when it was given) are printed in that order.
 * Returns 0 or SR_ENOMEM (the buffer may hold part of the text).
 */
SR_API int sr_sdp_print(const sr_sdp *sd, sr_buf *out);

/** The first attribute called @p name of media @p m (NULL: session level), or NULL. */
SR_API const sr_sdp_attr *sr_sdp_attr_find(const sr_sdp *sd, const sr_sdp_media *m,
                                           const char *name);

/* ------------------------------------------------------------------ offer/answer */

/**
 * A codec we can receive and send. Matched against an offer by rtpmap encoding name (case
 * insensitive), clock rate and channels; a static payload type offered without rtpmap
 * matches by number (RFC 3551 §6).
 */
typedef struct sr_sdp_codec {
    const char *encoding; /**< "PCMU" */
    uint32_t clock;       /**< 8000 */
    unsigned channels;    /**< 1 (0 counts as 1) */
    int static_pt;        /**< its static payload type (0 for PCMU), -1 for a dynamic one */
    int offer_pt;         /**< the number our offers use (static_pt, or 96-127) */
    const char *fmtp;     /**< what our offers and answers say in a=fmtp, or NULL */
} sr_sdp_codec;

/** Our default codecs: PCMU (0), PCMA (8), telephone-event (101, "0-16"); NULL-free array. */
SR_API const sr_sdp_codec *sr_sdp_codecs_default(size_t *n);

/** What we are, for offers and answers. Fill with sr_sdp_local_init(). Not copied. */
typedef struct sr_sdp_local {
    size_t size;                /**< sizeof(sr_sdp_local) */
    const char *username;       /**< o= username (default "-") */
    const char *session_name;   /**< s= (default "-") */
    const char *addr;           /**< our address for o= and c= (IPv4, IPv6 without [], or a
                                    host name); required */
    uint16_t port;              /**< our first audio stream's port; the next accepted audio
                                    streams get port+2, port+4... (RTP/RTCP pairs) */
    const sr_sdp_codec *codecs; /**< in our order of preference; NULL: the defaults */
    size_t n_codecs;
    uint32_t ptime;     /**< a=ptime we ask for (ms); 0: none */
    sr_sdp_dir dir;     /**< what we want: SENDRECV, or SENDONLY to hold (RFC 6337 §5) */
    size_t max_streams; /**< audio streams accepted at most (default 2) */
} sr_sdp_local;

/** Fill @p l with the defaults (addr NULL: the caller must set it). */
SR_API void sr_sdp_local_init(sr_sdp_local *l);

/**
 * Our side of one session's SDP (RFC 3264 §8): the o= sess-id stays for the whole session and
 * sess-version goes up by one each time what we send differs from what we sent before.
 * Caller-allocated; fill with sr_sdp_session_init().
 */
typedef struct sr_sdp_session {
    uint64_t sess_id;
    uint64_t version; /**< of the last description sent */
    uint64_t digest;  /**< of the last description sent, o= line excluded */
    bool sent;        /**< a description went out */
} sr_sdp_session;

/** Start a session: @p sess_id unique among our sessions, the first version @p version. */
SR_API void sr_sdp_session_init(sr_sdp_session *s, uint64_t sess_id, uint64_t version);

/** Per stream of an answer (or of an answer checked): what was decided. */
typedef struct sr_sdp_stream {
    bool accepted;      /**< port not zero in the answer */
    sr_sdp_dir dir;     /**< the answer's direction for it */
    bool peer_no_media; /**< the offer's address is 0.0.0.0/:: (RFC 3264 §8.4: send nothing) */
    int pt;             /**< first common codec's payload type (the one to send), -1 none */
    int event_pt;       /**< telephone-event's payload type, -1 none */
} sr_sdp_stream;

#define SR_SDP_MAX_REPORT 8

/** What sr_sdp_answer() and sr_sdp_check_answer() found. */
typedef struct sr_sdp_result {
    size_t n_accepted; /**< streams accepted */
    /**
     * When the call fails with SR_ENOCODEC, the RFC 3261 §20.43 warn-code fitting a 488:
     * 305 "Incompatible media format" when a stream of a type we handle had no format in
     * common, 304 "Media type not available" when no such stream was offered, 302
     * "Incompatible transport protocol" when the only audio was not RTP/AVP; else 0.
     */
    unsigned warning;
    const char *phrase; /**< static text for that Warning (or why an answer is refused) */
    sr_sdp_stream streams[SR_SDP_MAX_REPORT]; /**< the first streams, in m= order */
} sr_sdp_result;

/**
 * Answer @p offer (RFC 3264 §6) and append the answer's text to @p out:
 *  - one m= line per offered one, in order; the first max_streams live "audio" "RTP/AVP"
 *    streams with a format in common are accepted, every other is rejected (port 0, the
 *    offered formats, no attributes);
 *  - an accepted stream lists the formats in common in the offerer's order with the
 *    offer's payload type numbers (§6.1), a=rtpmap for each, a=fmtp for telephone-event
 *    (the events both sides handle, RFC 4733 §2.4.1), a=ptime when local->ptime, and its
 *    direction: the offer's reversed (sendonly → recvonly, recvonly → sendonly, inactive →
 *    inactive), limited to local->dir (§6.1, hold: §8.4, RFC 6337 §5);
 *  - telephone-event alone is not a codec: a stream accepted only for it needs another
 *    stream with a codec (RFC 4317 §2.4 offers events in a stream of their own);
 *  - t= is the offer's (§6), o= comes from @p sess (version bumped when the text changed).
 * Returns 0; SR_ENOCODEC when no stream could be accepted although one was live (nothing is
 * appended; @p res->warning says 304/305/302 for the 488); SR_EINVAL (NULL, local->addr NULL);
 * SR_ENOMEM. @p res may be NULL.
 */
SR_API int sr_sdp_answer(const sr_sdp *offer, const sr_sdp_local *local, sr_sdp_session *sess,
                         sr_buf *out, sr_sdp_result *res);

/**
 * Append our offer (RFC 3264 §5): one audio RTP/AVP stream on local->port with every codec of
 * local, rtpmap and fmtp for each, ptime, local->dir. o= from @p sess. 0, SR_EINVAL, SR_ENOMEM.
 */
SR_API int sr_sdp_offer(const sr_sdp_local *local, sr_sdp_session *sess, sr_buf *out);

/**
 * Check @p answer against @p offer, ours (RFC 3264 §6, §7): as many m= lines of the same
 * types in the same order; each accepted stream lists only formats we offered (by payload
 * type, or an rtpmap naming an offered codec) and a direction that answers ours (an offered
 * sendonly answered recvonly or inactive, recvonly answered sendonly or inactive, inactive
 * answered inactive). Returns 0 (@p res filled), SR_ENOCODEC when no stream was accepted
 * with a codec (a session with no media is fine when we offered none), or SR_EBADMSG with
 * @p res->phrase saying what is wrong; SR_EINVAL for NULL.
 */
SR_API int sr_sdp_check_answer(const sr_sdp *offer, const sr_sdp *answer, sr_sdp_result *res);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_SDP_H */
