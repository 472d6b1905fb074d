/* sipreply: SIP message parsing — the allocation-free head parser and sr_msg_parse().
 * RFC 3261 §7 (message format), §18.3 (framing), §25 (grammar); RFC 4475 torture tests. */
#ifndef SIPREPLY_PARSE_H
#define SIPREPLY_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <sipreply/alloc.h>
#include <sipreply/error.h>
#include <sipreply/export.h>
#include <sipreply/msg.h>
#include <sipreply/str.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Parse the start line and header fields of the message in @p buf (shaped like
 * picohttpparser's phr_parse_request): no allocation, slices into @p buf.
 *
 * @p sl receives the start line. @p hdrs is the caller's array of *@p num_hdrs entries; on
 * return *@p num_hdrs holds the number of header fields found (in wire order, each with its
 * id). @p prev_len is the length of @p buf at the previous call that returned SR_EAGAIN (0 the
 * first time): when given, the call returns SR_EAGAIN cheaply if no end of head appeared in
 * the new bytes. Leading CRLFs (stream keep-alives, RFC 3261 §7.5) are skipped. Lines end
 * with CRLF; a bare LF is accepted too (lenient, documented in docs/parser.md).
 *
 * Returns the number of bytes of the head (through the empty line, > 0), or one of:
 * SR_EAGAIN (incomplete: feed more bytes), SR_EBADMSG (malformed: @p err says where and
 * why), SR_ENOSPC (more header fields than *@p num_hdrs), SR_EINVAL (NULL argument).
 * @p err may be NULL.
 */
SR_API ptrdiff_t sr_parse_head(const char *buf, size_t len, size_t prev_len, sr_start_line *sl,
                               sr_header *hdrs, size_t *num_hdrs, sr_parse_error *err);

/** How sr_msg_parse() finds the end of the body (RFC 3261 §18.3). */
typedef enum sr_framing {
    /* UDP: the body is the rest of the datagram, or Content-Length bytes of it; a
     * Content-Length larger than what is there is an error; bytes after it are ignored. */
    SR_FRAMING_DATAGRAM = 0,
    /* Stream (TCP/TLS): Content-Length is mandatory; fewer bytes than it → SR_EAGAIN. The
     * message occupies sr_msg_size() bytes of the input; the rest belongs to the next one. */
    SR_FRAMING_STREAM = 1
} sr_framing;

/** sr_msg_parse() flags. */
enum {
    /* Also run sr_msg_validate() and fail with its verdict. */
    SR_PARSE_VALIDATE = 1u << 0,
};

/**
 * Options for sr_msg_parse(). Initialise with sr_parse_opts_init() and change fields; the
 * @p size field lets later versions add fields without breaking the ABI.
 */
typedef struct sr_parse_opts {
    size_t size;               /* sizeof(sr_parse_opts), set by sr_parse_opts_init() */
    const sr_allocator *alloc; /* NULL: malloc */
    sr_framing framing;        /* default SR_FRAMING_DATAGRAM */
    size_t max_size;           /* bytes of head + body accepted (default 65535) */
    size_t max_headers;        /* header fields accepted (default 256, at most 65000) */
    unsigned flags;            /* SR_PARSE_* */
} sr_parse_opts;

/** Fill @p o with the defaults. */
SR_API void sr_parse_opts_init(sr_parse_opts *o);

/**
 * Parse one message into a new sr_msg that owns a copy of its bytes and all parsed data
 * (one arena): start line, every header field in wire order with an index by id, the body,
 * and eagerly the Via list, To, From, CSeq, Call-ID, Max-Forwards, Content-Length, RSeq and
 * RAck.
 *
 * @p opts may be NULL (defaults). On success *@p out owns the message (free it with
 * sr_msg_free()); on failure *@p out is untouched and @p err (may be NULL) holds the code,
 * the byte offset, the header id and a 400-ready phrase.
 *
 * Returns 0 or one of: SR_EBADMSG (malformed start line, header line or Content-Length;
 * Content-Length larger than the datagram), SR_EAGAIN (stream framing: incomplete),
 * SR_ETOOBIG (over opts->max_size or max_headers), SR_ENOMEM, SR_EINVAL; with
 * SR_PARSE_VALIDATE also every code of sr_msg_validate().
 */
SR_API int sr_msg_parse(sr_msg **out, const char *buf, size_t len, const sr_parse_opts *opts,
                        sr_parse_error *err);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_PARSE_H */
