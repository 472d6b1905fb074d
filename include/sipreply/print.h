/* sipreply: printing messages and building them from parts.
 * RFC 3261 §7 wire format: full header names, CRLF line ends, a correct Content-Length. */
#ifndef SIPREPLY_PRINT_H
#define SIPREPLY_PRINT_H

#include <stddef.h>

#include <sipreply/alloc.h>
#include <sipreply/error.h>
#include <sipreply/export.h>
#include <sipreply/msg.h>
#include <sipreply/str.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Append the wire form of @p msg to @p out. A parsed message without edits is reproduced
 * byte for byte (start line to the end of the body). Headers added to a parsed message are
 * printed after the received ones, and a replaced body replaces every received
 * Content-Length with the right one. A built message prints canonically: "Name: value" with
 * the full name, CRLF, and a computed Content-Length last.
 * Returns 0 or SR_ENOMEM / SR_ETOOBIG (then @p out may hold part of the message).
 */
SR_API int sr_msg_print(const sr_msg *msg, sr_buf *out);

/**
 * Create an empty request "METHOD uri SIP/2.0" (method and uri are copied). @p alloc may be
 * NULL. Returns 0, SR_EINVAL (empty method or uri, or bytes not allowed there: whitespace,
 * CR, LF), SR_ENOMEM. On success *@p out owns the message.
 */
SR_API int sr_msg_new_request(sr_msg **out, const sr_allocator *alloc, sr_str method, sr_str uri);

/**
 * Create an empty response "SIP/2.0 status reason" (@p status 100..699; reason copied, may be
 * empty). Returns 0, SR_EINVAL, SR_ENOMEM.
 */
SR_API int sr_msg_new_response(sr_msg **out, const sr_allocator *alloc, unsigned status,
                               sr_str reason);

/**
 * Append a header field. @p id names a known header (its canonical name is used); with
 * SR_HDR_OTHER, @p name gives the name (and a known name given that way gets its id).
 * @p value is copied. Content-Length added this way is ignored by the printer (it is always
 * computed). The value may hold any octet but CR, LF and the other control characters
 * (HTAB is fine), except inside a quoted-string, where a quoted-pair may escape any control
 * character but CR and LF (RFC 3261 §25.1: a backslash then NUL, BEL or DEL, as in RFC 4475
 * §3.1.1.2). Returns 0, SR_EINVAL (bad name, CR/LF or a bare control character in the value),
 * SR_ENOMEM (msg unchanged).
 */
SR_API int sr_msg_add_header(sr_msg *msg, enum sr_hdr_id id, sr_str name, sr_str value);

/**
 * Set the body and its Content-Type (@p type may be empty: no Content-Type is added).
 * Both are copied. Returns 0, SR_EINVAL, SR_ENOMEM (msg unchanged).
 */
SR_API int sr_msg_set_body(sr_msg *msg, sr_str type, sr_str body);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_PRINT_H */
