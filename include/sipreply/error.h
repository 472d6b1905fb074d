/* sipreply: error codes shared by every module.
 * One X-macro list generates the enum, sr_strerror() and sr_errname(). */
#ifndef SIPREPLY_ERROR_H
#define SIPREPLY_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include <sipreply/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The error list: X(name, value, description). Values are negative and stable; new codes
 * are appended with new values, never renumbered. SR_ENOMEM is the only fatal-to-the-call
 * code that leaves objects consistent and retryable (see each function's notes).
 */
#define SR_ERRNO_MAP(X)                                             \
    X(EINVAL, -1, "invalid argument")                               \
    X(ENOMEM, -2, "out of memory")                                  \
    X(EAGAIN, -3, "incomplete message, more bytes needed")          \
    X(EBADMSG, -4, "malformed message")                             \
    X(ETOOBIG, -5, "message or field too large")                    \
    X(ENOTFOUND, -6, "not found")                                   \
    X(ESTATE, -7, "not allowed in this transaction state")          \
    X(ETIMEDOUT, -8, "timed out")                                   \
    X(ERANGE, -9, "value out of range")                             \
    X(ENOSPC, -10, "no space left in the caller's buffer or array") \
    X(EEXIST, -11, "already exists")                                \
    X(EMISSING, -12, "a required header field is missing")          \
    X(EVERSION, -13, "unsupported protocol version")                \
    X(EFRAMING, -14, "stream framing lost")                         \
    X(EUNSUPPORTED, -15, "not supported")                           \
    X(EIO, -16, "input/output error")                               \
    X(ENOCODEC, -17, "no media format in common")

/** Error codes: 0 is success, every failure is one of these negative values. */
typedef enum sr_error {
    SR_OK = 0,
#define SR_ERR_ENUM_(name, value, text) SR_##name = (value),
    SR_ERRNO_MAP(SR_ERR_ENUM_)
#undef SR_ERR_ENUM_
} sr_error;

/**
 * Where and why a parse failed. Filled by every parser entry point on failure.
 * @p phrase is a static string fit to be the reason phrase of a 400 response
 * ("Missing Call-ID header field", "Bad CSeq method"); @p offset is the byte offset into the
 * input where the problem was found; @p hdr is the header id (enum sr_hdr_id in msg.h) the
 * problem is in, or 0 (SR_HDR_NONE) for the start line, framing or the message as a whole.
 */
typedef struct sr_parse_error {
    int code;
    size_t offset;
    int hdr;
    const char *phrase;
} sr_parse_error;

/** The lowest (most negative) error value, for iteration in tests and bindings. */
#define SR_ERR_MIN (-17)

/**
 * A one-line English description of @p code ("malformed message"). Never NULL: 0 gives
 * "success" and a value that is not in the list gives "unknown error". The string is static.
 */
SR_API const char *sr_strerror(int code);

/**
 * The symbolic name of @p code without the SR_ prefix ("EBADMSG"), "OK" for 0, or NULL
 * for a value that is not in the list. The string is static.
 */
SR_API const char *sr_errname(int code);

/** true when @p code is a member of the list (0 included). */
SR_API bool sr_error_is_known(int code);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_ERROR_H */
