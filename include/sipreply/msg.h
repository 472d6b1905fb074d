/* sipreply: the SIP message model — header ids, methods, parsed messages and typed values.
 * RFC 3261 §7 (messages), §20 (header fields), §25 (grammar) and common extensions. */
#ifndef SIPREPLY_MSG_H
#define SIPREPLY_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipreply/error.h>
#include <sipreply/export.h>
#include <sipreply/str.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Every known header field: X(ID, "Canonical-Name", compact form or 0, flags).
 * flags: SR_HDRF_LIST when the field is a comma-separated list (RFC 3261 §7.3.1), so its
 * values may be split with sr_value_next(). The order is stable; new ids are appended.
 */
#define SR_HDRF_LIST 1u

#define SR_HDR_MAP(X)                                                           \
    X(ACCEPT, "Accept", 0, SR_HDRF_LIST)                                        \
    X(ACCEPT_ENCODING, "Accept-Encoding", 0, SR_HDRF_LIST)                      \
    X(ACCEPT_LANGUAGE, "Accept-Language", 0, SR_HDRF_LIST)                      \
    X(ALERT_INFO, "Alert-Info", 0, SR_HDRF_LIST)                                \
    X(ALLOW, "Allow", 0, SR_HDRF_LIST)                                          \
    X(AUTHENTICATION_INFO, "Authentication-Info", 0, 0)                         \
    X(AUTHORIZATION, "Authorization", 0, 0)                                     \
    X(CALL_ID, "Call-ID", 'i', 0)                                               \
    X(CALL_INFO, "Call-Info", 0, SR_HDRF_LIST)                                  \
    X(CONTACT, "Contact", 'm', SR_HDRF_LIST)                                    \
    X(CONTENT_DISPOSITION, "Content-Disposition", 0, 0)                         \
    X(CONTENT_ENCODING, "Content-Encoding", 'e', SR_HDRF_LIST)                  \
    X(CONTENT_LANGUAGE, "Content-Language", 0, SR_HDRF_LIST)                    \
    X(CONTENT_LENGTH, "Content-Length", 'l', 0)                                 \
    X(CONTENT_TYPE, "Content-Type", 'c', 0)                                     \
    X(CSEQ, "CSeq", 0, 0)                                                       \
    X(DATE, "Date", 0, 0)                                                       \
    X(ERROR_INFO, "Error-Info", 0, SR_HDRF_LIST)                                \
    X(EXPIRES, "Expires", 0, 0)                                                 \
    X(FROM, "From", 'f', 0)                                                     \
    X(IN_REPLY_TO, "In-Reply-To", 0, SR_HDRF_LIST)                              \
    X(MAX_FORWARDS, "Max-Forwards", 0, 0)                                       \
    X(MIME_VERSION, "MIME-Version", 0, 0)                                       \
    X(MIN_EXPIRES, "Min-Expires", 0, 0)                                         \
    X(ORGANIZATION, "Organization", 0, 0)                                       \
    X(PRIORITY, "Priority", 0, 0)                                               \
    X(PROXY_AUTHENTICATE, "Proxy-Authenticate", 0, 0)                           \
    X(PROXY_AUTHORIZATION, "Proxy-Authorization", 0, 0)                         \
    X(PROXY_REQUIRE, "Proxy-Require", 0, SR_HDRF_LIST)                          \
    X(RECORD_ROUTE, "Record-Route", 0, SR_HDRF_LIST)                            \
    X(REPLY_TO, "Reply-To", 0, 0)                                               \
    X(REQUIRE, "Require", 0, SR_HDRF_LIST)                                      \
    X(RETRY_AFTER, "Retry-After", 0, 0)                                         \
    X(ROUTE, "Route", 0, SR_HDRF_LIST)                                          \
    X(SERVER, "Server", 0, 0)                                                   \
    X(SUBJECT, "Subject", 's', 0)                                               \
    X(SUPPORTED, "Supported", 'k', SR_HDRF_LIST)                                \
    X(TIMESTAMP, "Timestamp", 0, 0)                                             \
    X(TO, "To", 't', 0)                                                         \
    X(UNSUPPORTED, "Unsupported", 0, SR_HDRF_LIST)                              \
    X(USER_AGENT, "User-Agent", 0, 0)                                           \
    X(VIA, "Via", 'v', SR_HDRF_LIST)                                            \
    X(WARNING, "Warning", 0, SR_HDRF_LIST)                                      \
    X(WWW_AUTHENTICATE, "WWW-Authenticate", 0, 0)                               \
    X(RSEQ, "RSeq", 0, 0)                              /* RFC 3262 */           \
    X(RACK, "RAck", 0, 0)                              /* RFC 3262 */           \
    X(SESSION_EXPIRES, "Session-Expires", 'x', 0)      /* RFC 4028 */           \
    X(MIN_SE, "Min-SE", 0, 0)                          /* RFC 4028 */           \
    X(EVENT, "Event", 'o', 0)                          /* RFC 6665 */           \
    X(ALLOW_EVENTS, "Allow-Events", 'u', SR_HDRF_LIST) /* RFC 6665 */           \
    X(SUBSCRIPTION_STATE, "Subscription-State", 0, 0)  /* RFC 6665 */           \
    X(REFER_TO, "Refer-To", 'r', 0)                    /* RFC 3515 */           \
    X(REFERRED_BY, "Referred-By", 'b', 0)              /* RFC 3892 */           \
    X(REPLACES, "Replaces", 0, 0)                      /* RFC 3891 */           \
    X(REASON, "Reason", 0, SR_HDRF_LIST)               /* RFC 3326 */           \
    X(IDENTITY, "Identity", 'y', 0)                    /* RFC 8224 */           \
    X(IDENTITY_INFO, "Identity-Info", 'n', 0)          /* RFC 4474 */           \
    X(P_ASSERTED_IDENTITY, "P-Asserted-Identity", 0, SR_HDRF_LIST)              \
    X(P_PREFERRED_IDENTITY, "P-Preferred-Identity", 0, SR_HDRF_LIST)            \
    X(PRIVACY, "Privacy", 0, 0)                            /* RFC 3323 */       \
    X(PATH, "Path", 0, SR_HDRF_LIST)                       /* RFC 3327 */       \
    X(SERVICE_ROUTE, "Service-Route", 0, SR_HDRF_LIST)     /* RFC 3608 */       \
    X(SECURITY_CLIENT, "Security-Client", 0, SR_HDRF_LIST) /* RFC 3329 */       \
    X(SECURITY_SERVER, "Security-Server", 0, SR_HDRF_LIST)                      \
    X(SECURITY_VERIFY, "Security-Verify", 0, SR_HDRF_LIST)                      \
    X(RECV_INFO, "Recv-Info", 0, SR_HDRF_LIST)             /* RFC 6086 */       \
    X(INFO_PACKAGE, "Info-Package", 0, 0)                  /* RFC 6086 */       \
    X(ACCEPT_CONTACT, "Accept-Contact", 'a', SR_HDRF_LIST) /* RFC 3841 */       \
    X(REJECT_CONTACT, "Reject-Contact", 'j', SR_HDRF_LIST)                      \
    X(REQUEST_DISPOSITION, "Request-Disposition", 'd', SR_HDRF_LIST)            \
    X(SIP_ETAG, "SIP-ETag", 0, 0) /* RFC 3903 */                                \
    X(SIP_IF_MATCH, "SIP-If-Match", 0, 0)                                       \
    X(HISTORY_INFO, "History-Info", 0, SR_HDRF_LIST)             /* RFC 7044 */ \
    X(TARGET_DIALOG, "Target-Dialog", 0, 0)                      /* RFC 4538 */ \
    X(PERMISSION_MISSING, "Permission-Missing", 0, SR_HDRF_LIST) /* RFC 5360 */ \
    X(GEOLOCATION, "Geolocation", 0, SR_HDRF_LIST)               /* RFC 6442 */ \
    X(RESOURCE_PRIORITY, "Resource-Priority", 0, SR_HDRF_LIST)   /* RFC 4412 */ \
    X(ACCEPT_RESOURCE_PRIORITY, "Accept-Resource-Priority", 0, SR_HDRF_LIST)    \
    X(P_ACCESS_NETWORK_INFO, "P-Access-Network-Info", 0, 0) /* RFC 7315 */      \
    X(P_CHARGING_VECTOR, "P-Charging-Vector", 0, 0)                             \
    X(REFER_SUB, "Refer-Sub", 0, 0) /* RFC 4488 */

/** Header field ids. SR_HDR_NONE is "no header"; SR_HDR_OTHER any name not in the map. */
enum sr_hdr_id {
    SR_HDR_NONE = 0,
    SR_HDR_OTHER = 1,
#define SR_HDR_ENUM_(id, name, compact, flags) SR_HDR_##id,
    SR_HDR_MAP(SR_HDR_ENUM_)
#undef SR_HDR_ENUM_
        SR_HDR__COUNT
};

/** Methods: the RFC 3261 six and the common extensions; anything else is SR_METHOD_OTHER. */
typedef enum sr_method {
    SR_METHOD_OTHER = 0, /* an extension token: read it with sr_msg_method_str() */
    SR_METHOD_INVITE,
    SR_METHOD_ACK,
    SR_METHOD_BYE,
    SR_METHOD_CANCEL,
    SR_METHOD_OPTIONS,
    SR_METHOD_REGISTER,
    SR_METHOD_PRACK,     /* RFC 3262 */
    SR_METHOD_SUBSCRIBE, /* RFC 6665 */
    SR_METHOD_NOTIFY,    /* RFC 6665 */
    SR_METHOD_PUBLISH,   /* RFC 3903 */
    SR_METHOD_INFO,      /* RFC 6086 */
    SR_METHOD_REFER,     /* RFC 3515 */
    SR_METHOD_MESSAGE,   /* RFC 3428 */
    SR_METHOD_UPDATE,    /* RFC 3311 */
    SR_METHOD__COUNT
} sr_method;

/** The canonical name of a known header ("Call-ID"), or NULL for NONE/OTHER/out of range. */
SR_API const char *sr_hdr_name(enum sr_hdr_id id);

/** The compact form of @p id ('i' for Call-ID, RFC 3261 §7.3.3), or 0 when it has none. */
SR_API char sr_hdr_compact(enum sr_hdr_id id);

/** The SR_HDRF_* flags of @p id (0 for NONE/OTHER). */
SR_API unsigned sr_hdr_flags(enum sr_hdr_id id);

/**
 * The id of the header named @p name, matched case-insensitively, full or compact form
 * ("v", "VIA" and "via" all give SR_HDR_VIA). SR_HDR_OTHER when the name is not known.
 */
SR_API enum sr_hdr_id sr_hdr_lookup(sr_str name);

/** The method named by @p tok (case-sensitive, RFC 3261 §7.1), or SR_METHOD_OTHER. */
SR_API sr_method sr_method_from_str(sr_str tok);

/** The method's name ("INVITE"), or NULL for SR_METHOD_OTHER / out of range. */
SR_API const char *sr_method_name(sr_method m);

/**
 * One header field line as seen on the wire (or added by a builder).
 * @p name is the name as written (may be compact or oddly cased), @p value the field value
 * with leading and trailing whitespace removed; folded lines (RFC 3261 §7.3.1) stay inside
 * @p value as written (CRLF + whitespace; every parser here treats them as LWS).
 * @p raw is the whole line from the first byte of the name to the end of its CRLF (empty for
 * headers added to a message). All slices live as long as the message (or the caller's
 * buffer for sr_parse_head()).
 */
typedef struct sr_header {
    enum sr_hdr_id id;
    sr_str name;
    sr_str value;
    sr_str raw;
} sr_header;

/**
 * The start line. For requests: @p method, @p method_id, @p uri; for responses: @p status
 * and @p reason (may be empty). @p version is the raw "SIP/2.0" token and
 * @p version_major/@p version_minor its numbers (saturated at 999 each), so a UAS can answer
 * 505 to any other version (RFC 3261 §7.1, §21.5.6).
 */
typedef struct sr_start_line {
    bool is_request;
    sr_method method_id;
    sr_str method;
    sr_str uri;
    sr_str version;
    unsigned version_major;
    unsigned version_minor;
    unsigned status;
    sr_str reason;
} sr_start_line;

/* ------------------------------------------------------------------ typed values */

/** rport state of a Via (RFC 3581). */
typedef enum sr_rport {
    SR_RPORT_NONE = 0,  /* no rport parameter */
    SR_RPORT_EMPTY = 1, /* ";rport" (a request asking for it) */
    SR_RPORT_VALUE = 2  /* ";rport=5060" (filled by a server) */
} sr_rport;

/**
 * One via-parm (RFC 3261 §20.42, §25.1). Absent optional slices have p == NULL; a present but
 * empty value (";branch=") has p != NULL and len 0. @p host keeps an IPv6 reference with its
 * brackets ("[2001:db8::1]", RFC 5118 §4.5). @p params is the raw ";..." tail for
 * sr_param_next(). Slices live as long as the string parsed (the message for sr_msg_via()).
 */
typedef struct sr_via {
    sr_str protocol;  /* "SIP" */
    sr_str version;   /* "2.0" */
    sr_str transport; /* "UDP", "TCP", "TLS", "SCTP", any token */
    sr_str host;
    uint16_t port; /* 0 when absent */
    bool has_port;
    sr_str branch;
    sr_str received;
    sr_str maddr;
    sr_rport rport;
    uint16_t rport_value;
    int ttl; /* -1 when absent */
    sr_str params;
    sr_str raw;
} sr_via;

/**
 * A name-addr or addr-spec with its header parameters (RFC 3261 §20.10, §20.20, §20.39,
 * §25.1): To, From, Contact, Route, Record-Route, Refer-To, P-Asserted-Identity...
 * @p display is raw (with its quotes and backslash escapes when @p display_quoted; unescape
 * it with sr_str_unquote()), empty when absent. @p uri is the URI without <>. @p tag is the
 * tag parameter value (p == NULL when absent). @p params is the raw ";..." tail after the URI
 * (after '>' for a name-addr) for sr_param_next().
 */
typedef struct sr_nameaddr {
    sr_str display;
    bool display_quoted;
    bool angle; /* the URI was written inside <> */
    sr_str uri;
    sr_str tag;
    sr_str params;
} sr_nameaddr;

/** A Contact value (RFC 3261 §20.10): '*' or a name-addr with q and expires. */
typedef struct sr_contact {
    bool star;
    sr_nameaddr addr;
    int q;           /* q in thousandths (0..1000), -1 when absent */
    int64_t expires; /* -1 when absent; capped at 2^32-1 (RFC 3261 §20.19) */
} sr_contact;

/** CSeq (RFC 3261 §20.16): a 32-bit number and a method. */
typedef struct sr_cseq {
    uint32_t num;
    sr_method method_id;
    sr_str method;
} sr_cseq;

/** RAck (RFC 3262 §7.2): response-num, CSeq-num, method. */
typedef struct sr_rack {
    uint32_t rseq;
    uint32_t cseq;
    sr_method method_id;
    sr_str method;
} sr_rack;

/** Retry-After (RFC 3261 §20.33): seconds, optional comment and duration. */
typedef struct sr_retry_after {
    uint32_t seconds;
    sr_str comment;   /* without the parentheses; empty when absent */
    int64_t duration; /* -1 when absent */
    sr_str params;
} sr_retry_after;

/** A credentials/challenge value (RFC 3261 §20.7, §20.27, §20.44; RFC 7616). */
typedef struct sr_auth {
    sr_str scheme; /* "Digest" */
    sr_str params; /* the comma-separated auth-params, for sr_auth_param_next() */
} sr_auth;

/* ------------------------------------------------------------ zero-alloc helpers */

/**
 * Iterate the comma-separated values of a list header (RFC 3261 §7.3.1): commas inside
 * quoted strings, <...> and (...) do not split. Start with *pos = 0; each call stores the
 * next value (trimmed of LWS; empty values are returned as empty slices) and returns true,
 * false when there are no more. Never allocates; @p item points into @p value.
 */
SR_API bool sr_value_next(sr_str value, size_t *pos, sr_str *item);

/**
 * Iterate ";name=value" parameters (generic-param, RFC 3261 §25.1) in @p params (a raw tail
 * as found in sr_via/sr_nameaddr; the leading ';' is optional). Each call stores the name and
 * the value (p == NULL when the parameter has no '='; quoted values keep their quotes) and
 * returns true; false at the end.
 */
SR_API bool sr_param_next(sr_str params, size_t *pos, sr_str *name, sr_str *value);

/** Find parameter @p name (case-insensitive) in @p params. true and *value when present. */
SR_API bool sr_param_find(sr_str params, const char *name, sr_str *value);

/**
 * Unescape the quoted-string @p quoted ("\"J \\\"R\\\"\"" gives J "R") into @p out of
 * @p cap bytes. Returns the length written (≥ 0), or SR_EBADMSG when @p quoted is not a
 * complete quoted-string, SR_ENOSPC when @p cap is too small. Does not NUL-terminate.
 */
SR_API ptrdiff_t sr_str_unquote(sr_str quoted, char *out, size_t cap);

/**
 * Parse a decimal number of at most 2^32-1 (RFC 3261 §25.1 1*DIGIT with leading zeros).
 * Returns 0, SR_EBADMSG (not a number), SR_ERANGE (too large).
 */
SR_API int sr_uint32_parse(sr_str s, uint32_t *out);

/**
 * On-demand value parsers: each parses one value (one comma-separated item for list headers),
 * never allocates, and returns 0 or SR_EBADMSG (with @p err filled: offset relative to
 * @p s.p, phrase fit for a 400, hdr = SR_HDR_NONE), SR_ERANGE for numbers out of range.
 * Slices in the output point into @p s. @p err may be NULL.
 */
SR_API int sr_via_parse(sr_via *out, sr_str s, sr_parse_error *err);
SR_API int sr_nameaddr_parse(sr_nameaddr *out, sr_str s, sr_parse_error *err);
SR_API int sr_contact_parse(sr_contact *out, sr_str s, sr_parse_error *err);
SR_API int sr_cseq_parse(sr_cseq *out, sr_str s, sr_parse_error *err);
SR_API int sr_rack_parse(sr_rack *out, sr_str s, sr_parse_error *err);
SR_API int sr_retry_after_parse(sr_retry_after *out, sr_str s, sr_parse_error *err);
SR_API int sr_auth_parse(sr_auth *out, sr_str s, sr_parse_error *err);

/**
 * Iterate the auth-params of @p a (name=token or name="quoted"), like sr_param_next().
 * Values keep their quotes.
 */
SR_API bool sr_auth_param_next(const sr_auth *a, size_t *pos, sr_str *name, sr_str *value);

/* ------------------------------------------------------------------ sr_msg */

/**
 * A parsed (or built) SIP message. It owns a copy of its bytes and one arena holding every
 * parsed structure; every slice and pointer returned by the accessors below stays valid until
 * sr_msg_free() (or, for the header array, until the next sr_msg_add_header()).
 */
typedef struct sr_msg sr_msg;

/** Free @p msg and everything it owns. NULL is a no-op. */
SR_API void sr_msg_free(sr_msg *msg);

/**
 * A deep copy of @p msg, parsed or built, with every header added and body set since: one
 * allocation from @p msg's allocator holding a copy of its arena, no print/parse round trip.
 * Every slice and pointer the copy's accessors return points into the copy (or at static
 * text, such as a canonical header name), so the copy lives on after sr_msg_free(@p msg);
 * it prints the same bytes. Values parsed on first use (the Vias after the top one, headers
 * added since) are parsed in the copy on its own first use. On success *@p out owns the copy;
 * on failure *@p out is untouched.
 * Returns 0 or one of: SR_EINVAL (NULL argument), SR_ENOMEM.
 */
SR_API int sr_msg_dup(sr_msg **out, const sr_msg *msg);

/** The start line (method/URI or status/reason, version). Never NULL. */
SR_API const sr_start_line *sr_msg_start_line(const sr_msg *msg);
SR_API bool sr_msg_is_request(const sr_msg *msg);
/** Request method id (SR_METHOD_OTHER for extensions and for responses). */
SR_API sr_method sr_msg_method(const sr_msg *msg);
/** The method token as written (empty for responses). */
SR_API sr_str sr_msg_method_str(const sr_msg *msg);
/** The Request-URI (empty for responses). */
SR_API sr_str sr_msg_request_uri(const sr_msg *msg);
/** Status code of a response, 0 for a request. */
SR_API unsigned sr_msg_status(const sr_msg *msg);
/** Reason phrase of a response (may be empty). */
SR_API sr_str sr_msg_reason(const sr_msg *msg);

/** Number of header fields, in wire order. */
SR_API size_t sr_msg_header_count(const sr_msg *msg);
/** Header @p i (0-based, wire order), or NULL when out of range. */
SR_API const sr_header *sr_msg_header_at(const sr_msg *msg, size_t i);
/**
 * The first header with @p id after @p prev (NULL: the first one), in wire order; NULL when
 * there is no more. Compact and full names share an id.
 */
SR_API const sr_header *sr_msg_header_find(const sr_msg *msg, enum sr_hdr_id id,
                                           const sr_header *prev);

/**
 * true when a header field @p id of @p msg that lists option tags (Supported, Require,
 * Proxy-Require, Unsupported; RFC 3261 §19.2) names @p tag (compared without case), in any of
 * its lines. Never allocates.
 */
SR_API bool sr_msg_has_option(const sr_msg *msg, enum sr_hdr_id id, const char *tag);
/**
 * As sr_msg_header_find() by name: known names (any case, compact or full) use the index,
 * other names are compared case-insensitively.
 */
SR_API const sr_header *sr_msg_header_find_name(const sr_msg *msg, sr_str name,
                                                const sr_header *prev);
/** Number of headers with @p id. */
SR_API size_t sr_msg_header_count_id(const sr_msg *msg, enum sr_hdr_id id);

/** The body: exactly Content-Length bytes (or the rest of the datagram without one). */
SR_API sr_str sr_msg_body(const sr_msg *msg);
/** The Content-Length value, -1 when absent (the message may be built: then the body size). */
SR_API int64_t sr_msg_content_length(const sr_msg *msg);
/** Bytes of input the message occupies (start line to end of body). */
SR_API size_t sr_msg_size(const sr_msg *msg);

/* Eagerly parsed values. NULL / empty / -1 when absent or unparseable (sr_msg_validate()
 * says which). */
/**
 * Number of via-parms over all Via headers (a header "v: a, b" counts 2), up to the first one
 * that does not parse. The top Via is parsed by sr_msg_parse(); the others on the first call
 * of this function or of sr_msg_via() with @p i >= 1 (or sr_msg_validate()), into room
 * reserved at parse time: these calls never allocate or fail, but they write to the message
 * (call one before sharing a message read-only between threads; docs/parser.md; the same
 * holds for To, From, CSeq and RAck added with sr_msg_add_header()).
 */
SR_API size_t sr_msg_via_count(const sr_msg *msg);
/** Via value @p i, 0 being the topmost; NULL when out of range (see sr_msg_via_count()). */
SR_API const sr_via *sr_msg_via(const sr_msg *msg, size_t i);
SR_API const sr_nameaddr *sr_msg_to(const sr_msg *msg);
SR_API const sr_nameaddr *sr_msg_from(const sr_msg *msg);
SR_API const sr_cseq *sr_msg_cseq(const sr_msg *msg);
/** The Call-ID value (p == NULL when absent). */
SR_API sr_str sr_msg_call_id(const sr_msg *msg);
/** Max-Forwards (0..255 valid, larger values kept up to 2^32-1), -1 when absent or bad. */
SR_API int64_t sr_msg_max_forwards(const sr_msg *msg);
/** RSeq (RFC 3262 §7.1), -1 when absent or bad. */
SR_API int64_t sr_msg_rseq(const sr_msg *msg);
/** RAck (RFC 3262 §7.2), NULL when absent or bad. */
SR_API const sr_rack *sr_msg_rack(const sr_msg *msg);
/** Expires (parsed on demand), -1 when absent or bad. */
SR_API int64_t sr_msg_expires(const sr_msg *msg);

/**
 * The first semantic problem in a message that sr_msg_parse() framed (RFC 3261 §8.2.1–§8.2.2,
 * §8.2 last paragraph): SIP version other than 2.0 (SR_EVERSION, "Version Not Supported"), a missing
 * mandatory header (SR_EMISSING, "Missing Call-ID header field"), a duplicated single-valued
 * header (SR_EBADMSG, "Duplicate CSeq header field"), a header that does not parse ("Bad Via
 * header field", "Bad CSeq number"), or a CSeq method differing from the request method
 * ("CSeq method does not match request method"). Parses Contact, Route and Record-Route on
 * demand too. Returns 0 or the code, with @p err filled (offset into the message, hdr id,
 * static phrase). Never allocates.
 */
SR_API int sr_msg_validate(const sr_msg *msg, sr_parse_error *err);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_MSG_H */
