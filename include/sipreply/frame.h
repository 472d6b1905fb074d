/* sipreply: message framing on stream (TCP/TLS) and datagram (UDP) transports, sans I/O.
 * RFC 3261 §18.3 (Content-Length framing), §7.5 (leading CRLF), RFC 5626 §3.5.1 (CRLF keep-alive). */
#ifndef SIPREPLY_FRAME_H
#define SIPREPLY_FRAME_H

#include <stdbool.h>
#include <stddef.h>

#include <sipreply/error.h>
#include <sipreply/export.h>
#include <sipreply/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Default cap on the header block (start line + header fields + empty line), bytes. */
#define SR_FRAME_DEFAULT_MAX_HEADER ((size_t)65536)
/** Default cap on a message body, bytes. */
#define SR_FRAME_DEFAULT_MAX_BODY ((size_t)1048576)

/** What a frame is. */
typedef enum sr_frame_kind {
    SR_FRAME_NONE = 0, /**< nothing framed yet */
    SR_FRAME_MESSAGE,  /**< a SIP message: header_len + body_len bytes */
    SR_FRAME_PING,     /**< CRLFCRLF keep-alive ping (RFC 5626 §3.5.1): answer with CRLF */
    SR_FRAME_PONG      /**< a lone CRLF: a pong, or a CRLF before a start line (§7.5): drop it */
} sr_frame_kind;

/**
 * Framing limits, filled by the caller. A zero field means its default; NULL options mean
 * all defaults. New fields will be appended; zero-initialise the struct.
 */
typedef struct sr_frame_opts {
    size_t max_header_bytes; /**< header block cap (default SR_FRAME_DEFAULT_MAX_HEADER) */
    size_t max_body_bytes;   /**< body cap (default SR_FRAME_DEFAULT_MAX_BODY) */
    /**
     * Stream only. false (default, for servers): a lone CRLF at the very end of the buffer is
     * SR_EAGAIN, since it may be the first half of a CRLFCRLF ping. true (for clients that
     * sent a ping and wait for the pong): it is reported as SR_FRAME_PONG at once (so the
     * split of a CRLF run then depends on how the bytes arrived; CRLF CR still waits).
     */
    bool crlf_pong_eager;
} sr_frame_opts;

/**
 * One framing result, and the incremental state of sr_frame_stream(). Zero-initialise it
 * before the first call for a connection. After SR_EAGAIN keep it unchanged and call again
 * with the same buffer start and more bytes appended: only the new bytes are scanned. After
 * a frame or an error the state resets itself, so the same struct serves the next message.
 */
typedef struct sr_frame {
    sr_frame_kind kind;      /**< what was framed */
    size_t len;              /**< bytes of this frame: drop them from the buffer */
    size_t header_len;       /**< MESSAGE: bytes up to and including the empty line */
    size_t body_len;         /**< MESSAGE: body bytes (Content-Length, or datagram rest) */
    size_t trailing;         /**< datagram: bytes after the body, ignored (RFC 3261 §18.3) */
    bool has_content_length; /**< MESSAGE: a Content-Length (or l:) header field was present */
    /* incremental state: private, do not touch between calls */
    bool header_done; /**< the empty line was found: header_len and body_len are known */
    size_t scanned;   /**< bytes searched for the empty line so far */
} sr_frame;

/**
 * Frame the first message at the start of a stream connection buffer @p buf[0..len)
 * (RFC 3261 §18.3: on a stream the message ends after Content-Length body bytes). The header
 * block ends at the first CRLFCRLF; Content-Length (or its compact form "l"; names
 * case-insensitive, whitespace before the colon and folded values tolerated) must be present.
 * Leading CRLFs are framed on their own: CRLFCRLF as SR_FRAME_PING (4 bytes) and a lone CRLF
 * as SR_FRAME_PONG (2 bytes); see sr_frame_opts.crlf_pong_eager.
 * Reads no byte at or beyond buf[len]; allocates nothing; O(new bytes) per call when @p out
 * is kept between SR_EAGAIN returns.
 * @param opts  may be NULL (defaults).
 * @param out   in/out: incremental state (see sr_frame); on success describes the frame.
 * @param err   optional; filled on failure with code, offset and a static phrase.
 * Returns the frame length (> 0), or one of: SR_EAGAIN (incomplete: read more bytes),
 * SR_EFRAMING (missing, negative, non-numeric, overflowing or conflicting Content-Length:
 * framing is lost, close the connection), SR_ETOOBIG (header block over max_header_bytes or
 * body over max_body_bytes), SR_EINVAL (NULL buf with len > 0, or NULL out).
 */
SR_API ptrdiff_t sr_frame_stream(const char *buf, size_t len, const sr_frame_opts *opts,
                                 sr_frame *out, sr_parse_error *err);

/**
 * Frame a datagram (RFC 3261 §18.3, UDP): Content-Length is optional (without it the body is
 * the rest of the datagram); bytes after the declared body are reported in out->trailing and
 * must be ignored (RFC 4475 dblreq). A datagram starting with CRLFCRLF or CRLF is framed as
 * SR_FRAME_PING/SR_FRAME_PONG like on a stream; call again on the rest. A header block with
 * no empty line that ends with CRLF at the end of the datagram is accepted (body 0).
 * @p out needs no initialisation. Returns the message length (> 0, the bytes to hand to the
 * parser), or one of: SR_EBADMSG ("Content-Length larger than datagram", a bad or conflicting
 * Content-Length, no end of header block: RFC 3261 §18.3 says a request SHOULD get a 400 and
 * a response MUST be discarded), SR_ETOOBIG (caps: 513 for a request),
 * SR_EINVAL (NULL arguments or an empty datagram).
 */
SR_API ptrdiff_t sr_frame_datagram(const char *buf, size_t len, const sr_frame_opts *opts,
                                   sr_frame *out, sr_parse_error *err);

/**
 * sr_frame_datagram() of @p buf[0..len) — the same return value, @p out and @p err — told
 * by @p parsed, the message sr_msg_parse() made of these very bytes with datagram framing
 * (the default), without scanning them again when it can: when the parser found the head
 * plain (no CR or LF before the start line, every line ended by CRLF, none folded) and the
 * message takes the whole datagram, the framer's empty line and Content-Length are the
 * parser's. Otherwise, and when @p parsed is NULL (the parse failed), it is
 * sr_frame_datagram(). For a reader that parses each datagram first: a datagram usually
 * holds one whole message, and then framing it costs nothing.
 * @param parsed  NULL, or the result of sr_msg_parse(&parsed, buf, len, opts, err) with
 *                SR_FRAMING_DATAGRAM and unchanged since (not a copy, not edited); any
 *                other message gives an unspecified (but memory-safe) result.
 * Returns as sr_frame_datagram().
 */
SR_API ptrdiff_t sr_frame_datagram_msg(const char *buf, size_t len, const sr_msg *parsed,
                                       const sr_frame_opts *opts, sr_frame *out,
                                       sr_parse_error *err);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_FRAME_H */
