/* sipreply: zero-allocation parsing and comparison of SIP, SIPS and tel URIs.
 * RFC 3261 §19.1 (syntax, §19.1.4 comparison), §25.1 (ABNF), RFC 3966 (tel), RFC 5118 (IPv6). */
#ifndef SIPREPLY_URI_H
#define SIPREPLY_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipreply/error.h>
#include <sipreply/export.h>
#include <sipreply/str.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The URI scheme, compared case-insensitively (RFC 3261 §19.1.4). */
typedef enum sr_uri_scheme {
    SR_URI_NONE = 0, /**< never returned by a successful parse */
    SR_URI_SIP,      /**< sip: (RFC 3261 §19.1.1) */
    SR_URI_SIPS,     /**< sips: (RFC 3261 §19.1.1) */
    SR_URI_TEL,      /**< tel: (RFC 3966) */
    SR_URI_OTHER     /**< any other absolute URI (mailto:, soap.beep:...): a UAS answers 416 */
} sr_uri_scheme;

/** What the host part of a SIP/SIPS URI is. */
typedef enum sr_uri_host_kind {
    SR_URI_HOST_NONE = 0, /**< tel and other URIs have no host */
    SR_URI_HOST_NAME,     /**< a hostname (RFC 3261 §25.1 hostname) */
    SR_URI_HOST_IPV4,     /**< a dotted-quad IPv4 address */
    SR_URI_HOST_IPV6      /**< an IPv6 reference: host keeps its brackets (RFC 5118 §4) */
} sr_uri_host_kind;

/**
 * A parsed URI. Every slice points into the buffer given to sr_uri_parse() and lives as long
 * as that buffer; nothing is unescaped or copied (use sr_uri_unescape()). Absent parts are
 * empty slices { NULL, 0 }; the has_* flags tell an absent part from an empty one.
 */
typedef struct sr_uri {
    sr_uri_scheme kind;         /**< the scheme as an enum */
    sr_str scheme;              /**< the scheme as written ("SIP", "tel", "soap.beep") */
    sr_str user;                /**< SIP/SIPS: user (escaped); tel: the number as written */
    sr_str password;            /**< SIP/SIPS password (escaped); empty when absent */
    sr_str host;                /**< SIP/SIPS host; an IPv6 reference keeps "[...]" */
    sr_str params;              /**< raw uri-parameters after the first ';' (no leading ';') */
    sr_str headers;             /**< SIP/SIPS raw headers after '?' (no leading '?') */
    sr_str opaque;              /**< SR_URI_OTHER: everything after "scheme:" */
    sr_uri_host_kind host_kind; /**< what host is */
    uint16_t port;              /**< the port when has_port, else 0 */
    bool has_user;              /**< a userinfo "...@" was present */
    bool has_password;          /**< a ':' followed the user */
    bool has_port;              /**< a port was written (5060 written != 5060 omitted) */
    bool has_params;            /**< at least one ';' parameter */
    bool has_headers;           /**< a '?' header part */
    bool tel_global;            /**< tel: the number is global ("+" digits) */
} sr_uri;

/**
 * Parse the URI in @p p[0..len) (the whole range must be the URI: no surrounding
 * whitespace or angle brackets). Accepts sip:, sips: (RFC 3261 §25.1 SIP-URI/SIPS-URI),
 * tel: (RFC 3966 telephone-uri: global numbers with visual separators, local numbers which
 * must carry phone-context) and, as SR_URI_OTHER, any other absolute URI whose opaque part is
 * non-empty printable ASCII without whitespace, '<', '>' or '"' (so a UAS can answer 416 rather
 * than 400, RFC 3261 §8.2.2.1). IPv6 references follow RFC 5118 §4 (IPv4 tails accepted).
 * Allocates nothing.
 * @param out  filled on success; unspecified on failure.
 * @param err  optional (may be NULL); on failure gets the code, the byte offset of the
 *             problem in @p p and a static phrase fit for a 400 reason phrase ("Bad URI port",
 *             "Bad IPv6 reference", "Bad URI: whitespace", "Bad URI escape"...).
 * Returns 0 or one of: SR_EBADMSG (not a valid URI), SR_EINVAL (out or p NULL).
 */
SR_API int sr_uri_parse(sr_uri *out, const char *p, size_t len, sr_parse_error *err);

/**
 * Iterate over ';'-separated parameters (uri.params, or any "a=b;c" slice). Call with
 * @p cursor initialised to uri.params; each call consumes one parameter.
 * @param name   the parameter name (escaped, as written)
 * @param value  the value after '=' (escaped), or { NULL, 0 } when the parameter has none
 * Returns true when a parameter was produced, false at the end.
 */
SR_API bool sr_uri_param_next(sr_str *cursor, sr_str *name, sr_str *value);

/**
 * Find the first parameter of @p uri named @p name (ASCII case-insensitive, and an escaped
 * name matches its unescaped form: ";%6C%72" is found as "lr", RFC 3261 §19.1.4).
 * @param value  optional; gets the value, or { NULL, 0 } for a valueless parameter ("lr").
 * Returns true when found.
 */
SR_API bool sr_uri_param_find(const sr_uri *uri, const char *name, sr_str *value);

/**
 * Iterate over '&'-separated URI headers (uri.headers): "Route=%3Csip:x%3E&Subject=hi".
 * @param name, value  escaped, as written (the value may be empty)
 * Returns true when a header was produced, false at the end.
 */
SR_API bool sr_uri_header_next(sr_str *cursor, sr_str *name, sr_str *value);

/**
 * Decode %HH escapes of @p in into @p dst (capacity @p cap), once: "%2541" gives "%41",
 * never "A". The result may contain NUL bytes ("%00", RFC 4475 escnull) and is not
 * NUL-terminated. Only use it on the parts whose grammar allows escapes: user, password,
 * parameter names and values, header names and values (RFC 3261 §25.1); a host, port or
 * scheme never holds escapes, and the opaque part of other schemes has its own rules.
 * The output is never longer than the input, so cap >= in.len always suffices.
 * @param out_len  gets the decoded length on success.
 * Returns 0 or one of: SR_EBADMSG ('%' not followed by two hex digits),
 * SR_ENOSPC (@p cap too small), SR_EINVAL (NULL dst with a non-empty input or NULL out_len).
 */
SR_API int sr_uri_unescape(char *dst, size_t cap, sr_str in, size_t *out_len);

/**
 * RFC 3261 §19.1.4 URI equality, for registrar bindings and loop detection.
 * SIP/SIPS: the schemes must be the same (sip never equals sips); user and password compare
 * case-sensitively, everything else case-insensitively; a character other than a reserved one
 * equals its %HH form; IPv4/IPv6 hosts compare as addresses and never equal a hostname; a
 * port, user or password present in one URI only makes them differ; parameters present in
 * both must match; user, ttl, method, maddr and transport present in only one make them
 * differ, other parameters present in only one are ignored; headers must be present in both
 * and match (names case-insensitively, values case-sensitively), in any order.
 * tel (RFC 3966 §4): numbers equal ignoring visual separators and hex case, the same parameter
 * set in any order (names and values case-insensitive).
 * Other schemes: scheme case-insensitive, opaque part byte for byte.
 * Repeated parameter names (undefined by the RFC) compare occurrence by occurrence. Above 64
 * parameters (hostile input, never a real URI) lists must match in order, keeping the cost
 * linear. Both arguments must come from a successful sr_uri_parse(). Returns true when equal.
 */
SR_API bool sr_uri_eq(const sr_uri *a, const sr_uri *b);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_URI_H */
