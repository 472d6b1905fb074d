/* sipreply: building correct responses to parsed requests, and the ACK and CANCEL a client needs.
 * RFC 3261 §8.2.6 (responses), §8.2.7 (stateless UAS), §12.1.1 (dialogs), §17.1.1.3, §9.1. */
#ifndef SIPREPLY_BUILD_H
#define SIPREPLY_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipreply/alloc.h>
#include <sipreply/error.h>
#include <sipreply/export.h>
#include <sipreply/msg.h>
#include <sipreply/parse.h>
#include <sipreply/str.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Length of a derived To tag: 16 lower-case hex digits (64 bits of SipHash-2-4). */
#define SR_BUILD_TAG_LEN 16

/** Bytes of the key of the To-tag hash (SipHash-2-4 takes a 128-bit key). */
#define SR_BUILD_KEY_LEN 16

/**
 * Writes a fresh nonce for a digest challenge into @p out (at most @p cap bytes, not
 * NUL-terminated, only characters legal inside a quoted-string and neither '"' nor '\\').
 * Returns the number of bytes written (> 0), or a negative SR_E* code that the builder
 * passes back to its caller.
 */
typedef ptrdiff_t (*sr_build_nonce_cb)(char *out, size_t cap, void *user);

/**
 * What the builder may add on its own when a response code requires a header the caller did
 * not give (only with SR_BUILD_DEFAULTS). Fill with sr_build_policy_init() and change fields;
 * every list is NULL-terminated, and every pointer must stay valid during the build call
 * only. Strings are copied into the response.
 */
typedef struct sr_build_policy {
    size_t size;                  /**< sizeof(sr_build_policy), set by sr_build_policy_init() */
    const char *const *allow;     /**< methods for Allow (405, 2xx to OPTIONS) */
    const char *const *supported; /**< option tags we support (Supported; 420 compares) */
    const char *const *require;   /**< option tags a 421 lists in Require (NULL: none) */
    const char *const *accept;    /**< body types for Accept (415, 2xx to OPTIONS) */
    const char *const *accept_encoding; /**< content codings for Accept-Encoding */
    const char *const *accept_language; /**< languages for Accept-Language */
    const char *realm;                  /**< realm of the digest challenge (401, 407) */
    sr_build_nonce_cb nonce;            /**< nonce source; NULL: derived from the request with
                                        the tag key (deterministic, fine for tests and
                                        stateless tools, not a replay defence) */
    void *nonce_user;                   /**< handed back to @p nonce */
    uint32_t min_expires;               /**< Min-Expires of a 423 (RFC 3261 §10.3) */
    uint32_t min_se;                    /**< Min-SE of a 422 (RFC 4028 §6, at least 90) */
    uint32_t retry_after;               /**< Retry-After seconds for codes that may carry one
                                        (503, 413, 480, 486, 500, 600, 603); 0: none */
    const char *const *contacts;        /**< Contact URIs for 3xx and dialog-creating responses */
    const char *security_server;        /**< Security-Server value for a 494 (RFC 3329) */
    const char *const *recv_info;       /**< info packages for Recv-Info of a 469 (may be empty) */
} sr_build_policy;

/**
 * Fill @p p with the defaults: Allow INVITE, ACK, CANCEL, BYE, OPTIONS; Supported none;
 * Accept application/sdp; Accept-Encoding identity; Accept-Language en; realm "sipreply";
 * derived nonce; Min-Expires 60; Min-SE 90 (RFC 4028 §4); no Retry-After; no Contact;
 * no Security-Server; empty Recv-Info.
 */
SR_API void sr_build_policy_init(sr_build_policy *p);

/** Flags of sr_build_opts. */
enum {
    /** Supply the headers a code requires from the policy instead of failing. */
    SR_BUILD_DEFAULTS = 1u << 0,
    /** Allow a code that is not in the IANA registry (never a vendor-internal one). */
    SR_BUILD_UNREGISTERED = 1u << 1,
    /** With SR_BUILD_UNREGISTERED: allow a legacy (RFC 2543) or vendor-internal code too,
     *  sent with its legacy phrase (409 Conflict): for test tools that send what they are
     *  asked for (sipreplyd's dial a code). Receivers treat it as the x00 of its class. */
    SR_BUILD_LEGACY = 1u << 2,
};

/** One header the caller adds: @p name as written, @p value without CRLF. */
typedef struct sr_build_header {
    sr_str name;
    sr_str value;
} sr_build_header;

/**
 * Options of sr_build_response(). Initialise with sr_build_opts_init(); every field has a
 * useful zero. Pointers must stay valid during the call only.
 */
typedef struct sr_build_opts {
    size_t size;                    /**< sizeof(sr_build_opts), set by sr_build_opts_init() */
    const sr_allocator *alloc;      /**< allocator of the new message; NULL: malloc */
    unsigned flags;                 /**< SR_BUILD_* */
    sr_str reason;                  /**< reason phrase; p == NULL: the canonical phrase */
    sr_str to_tag;                  /**< To tag to add; p == NULL: derived (sr_build_to_tag) */
    const uint8_t *tag_key;         /**< SR_BUILD_KEY_LEN bytes; NULL: all-zero key */
    const sr_build_header *headers; /**< extra headers, added in order after the copied ones */
    size_t n_headers;
    sr_str body;      /**< body (copied); empty: none */
    sr_str body_type; /**< its Content-Type; required with a body */
    const sr_build_policy
        *policy; /**< defaults (SR_BUILD_DEFAULTS); NULL: sr_build_policy_init() */
    /**
     * The address the request came from (IPv4, or IPv6 with or without brackets); p == NULL:
     * unknown. With it the top Via of the response gets `received=` when its sent-by host
     * differs from this address or it asks for rport (RFC 3261 §18.2.1, RFC 3581 §4), and a
     * valueless `rport` gets @p source_port (RFC 3581 §4).
     */
    sr_str source_host;
    uint16_t source_port;
} sr_build_opts;

/** Fill @p o with the defaults (canonical phrase, derived tag, no extras, no defaults). */
SR_API void sr_build_opts_init(sr_build_opts *o);

/**
 * Why a build was refused: @p code (an SR_E* value), @p header the header field at fault
 * ("Allow" for a 405 built without one; NULL when none is), @p what a static sentence for
 * people ("a 405 response must carry Allow (RFC 3261 §21.4.6)").
 */
typedef struct sr_build_error {
    int code;
    const char *header;
    const char *what;
} sr_build_error;

/**
 * Derive the To tag of every response to @p req (RFC 3261 §8.2.6.2, §8.2.7): SipHash-2-4
 * keyed with @p key (SR_BUILD_KEY_LEN bytes, NULL: zero key) over the top Via's branch and
 * sent-by (host and port), the Call-ID, the From tag and the CSeq number, each
 * length-prefixed, written as 16 lower-case hex digits into @p out (SR_BUILD_TAG_LEN bytes,
 * then a NUL). The CSeq method is left out on purpose so the ACK for a non-2xx final
 * (same branch, Call-ID, From tag and CSeq number, §17.1.1.3) derives the same tag, which
 * lets a stateless element recognise and absorb it. Missing fields hash as empty.
 * Returns 0 or SR_EINVAL (NULL argument).
 */
SR_API int sr_build_to_tag(const sr_msg *req, const uint8_t *key, char *out);

/**
 * true when @p ack is an ACK whose To tag equals the tag sr_build_to_tag() derives from it
 * under @p key: the ACK for a non-2xx final we sent statelessly (RFC 3261 §8.2.7,
 * §17.1.1.3), which a stateless element absorbs instead of passing on. false otherwise
 * (NULL, not an ACK, no To tag, another tag).
 */
SR_API bool sr_build_ack_is_ours(const sr_msg *ack, const uint8_t *key);

/** sr_build_parse_absorb_ack(): the datagram was an ACK of ours, absorbed; no message built. */
#define SR_BUILD_ACK_ABSORBED 1

/**
 * sr_msg_parse() for an element that answers statelessly (RFC 3261 §8.2.7): an ACK for a
 * non-2xx final it sent (§17.1.1.3) is recognised from the head of @p buf, without building
 * a message, and absorbed (§17.2.1: nothing is sent for it).
 *
 * Returns SR_BUILD_ACK_ABSORBED, *@p out untouched, when sr_msg_parse() with @p opts would
 * return 0 for @p buf and sr_build_ack_is_ours() would find that message ours under @p key
 * (the one difference: this builds nothing, so it cannot fail for want of memory where
 * sr_msg_parse() could). Otherwise it returns what sr_msg_parse() returns, with *@p out and
 * @p err as sr_msg_parse() leaves them: a message it gives back is never an ACK that
 * sr_build_ack_is_ours() finds ours under @p key. The cost: an ACK that is not ours has its
 * head parsed twice (here, then by sr_msg_parse()); other messages go to sr_msg_parse() at
 * once.
 */
SR_API int sr_build_parse_absorb_ack(sr_msg **out, const char *buf, size_t len,
                                     const sr_parse_opts *opts, const uint8_t *key,
                                     sr_parse_error *err);

/**
 * SipHash-2-4 of @p len bytes at @p data under the 16-byte @p key (Aumasson–Bernstein,
 * reference output). Exposed so other elements can derive values the same way.
 */
SR_API uint64_t sr_siphash24(const uint8_t *key, const void *data, size_t len);

/**
 * Build response @p code to the request @p req (RFC 3261 §8.2.6): every Via in order, From,
 * Call-ID and CSeq copied; To copied with a tag added unless present (none on a 100);
 * Timestamp echoed on a 100 (§8.2.6.1); on a dialog-creating response to INVITE (101-299)
 * every Record-Route copied and a Contact (given in @p o->headers or from the policy's
 * contacts) required (§12.1.1); the headers the code must carry (status.h must_carry:
 * 405 Allow, 401 WWW-Authenticate, 420 Unsupported, 415 one of Accept*, ...) required —
 * from @p o->headers, or with SR_BUILD_DEFAULTS from the policy; with SR_BUILD_DEFAULTS
 * also the should-carry ones the policy can supply and, to OPTIONS, Allow/Accept/Supported
 * (§11.2); then the caller's headers, the body with its Content-Type; Content-Length is
 * always printed by sr_msg_print(). A 400 leaves out a From, To, Call-ID or CSeq that is
 * missing or whose value no header field can carry (a CTL byte such as NUL, RFC 3261 §25.1),
 * as RFC 4475 §3.3.1 has it, so a request refused for such a value still gets its answer.
 *
 * On success *@p out owns the new response (free it with sr_msg_free()); on failure it is
 * untouched and @p err (may be NULL) names what is missing.
 * Returns 0 or one of: SR_EINVAL (NULL argument, @p req not a request, code outside
 * 100-699, a body without Content-Type, a header that cannot be added), SR_EUNSUPPORTED
 * (unregistered code without SR_BUILD_UNREGISTERED; responding to an ACK; 487 to a CANCEL;
 * a provisional other than 100 to a non-INVITE, RFC 4320 §4.1), SR_EMISSING (a required
 * header is missing: @p err->header names it), SR_ENOMEM, or the nonce callback's error.
 */
SR_API int sr_build_response(sr_msg **out, const sr_msg *req, unsigned code, const sr_build_opts *o,
                             sr_build_error *err);

/**
 * sr_build_response() and sr_msg_print() in one step: the response's wire form is appended
 * to @p out, byte for byte what sr_msg_print() gives for the message sr_build_response()
 * builds with the same arguments, without building that message (no allocation but the
 * growth of @p out and the builder's scratch). For a response that is only sent, as a
 * stateless answer (RFC 3261 §8.2.7) is.
 * Returns what sr_build_response() returns, with the same @p err; on failure @p out keeps
 * its length.
 */
SR_API int sr_build_response_print(sr_buf *out, const sr_msg *req, unsigned code,
                                   const sr_build_opts *o, sr_build_error *err);

/**
 * Build the ACK for a non-2xx final response @p resp (300-699) to the INVITE @p invite
 * (RFC 3261 §17.1.1.3): Request-URI, Call-ID and From of the INVITE, To of the response
 * (with its tag), one Via equal to the INVITE's top Via, CSeq with the INVITE's number and
 * method ACK, the INVITE's Route headers, Max-Forwards 70, no body.
 * On success *@p out owns the request. Returns 0 or one of: SR_EINVAL (NULL argument,
 * @p invite not an INVITE request, @p resp not a 300-699 response, CSeq numbers differ),
 * SR_EMISSING (a header to copy is missing), SR_ENOMEM.
 */
SR_API int sr_build_ack(sr_msg **out, const sr_msg *invite, const sr_msg *resp,
                        const sr_allocator *alloc);

/**
 * Build the CANCEL for the pending INVITE @p invite (RFC 3261 §9.1): same Request-URI,
 * Call-ID, To, From and CSeq number (method CANCEL), one Via equal to the INVITE's top Via,
 * the INVITE's Route headers, Max-Forwards 70, no body.
 * On success *@p out owns the request. Returns 0 or one of: SR_EINVAL (NULL argument or not
 * an INVITE request), SR_EMISSING, SR_ENOMEM.
 */
SR_API int sr_build_cancel(sr_msg **out, const sr_msg *invite, const sr_allocator *alloc);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_BUILD_H */
