/* sipreply: the checks a UAS (or proxy) makes before the application sees a request.
 * RFC 3261 §8.2.1–§8.2.3 (UAS), §16.3 (proxy request validation), §21; RFC 3262 (100rel). */
#ifndef SIPREPLY_UAS_H
#define SIPREPLY_UAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipreply/build.h>
#include <sipreply/error.h>
#include <sipreply/export.h>
#include <sipreply/msg.h>
#include <sipreply/parse.h>
#include <sipreply/str.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Merged-request lookup (RFC 3261 §8.2.2.2): return true when @p req (which has no To tag)
 * has the From tag, Call-ID and CSeq of a live server transaction but does not match it
 * (another branch). @p req lives during the call only.
 */
typedef bool (*sr_uas_merged_cb)(const sr_msg *req, void *user);

/* The memo of URI and address-list checks (sipreply/lint.h, sr_lint_cache_new). */
typedef struct sr_lint_cache sr_lint_cache;

/**
 * What this element serves. Fill with sr_uas_policy_init() and change fields; lists are
 * NULL-terminated and must outlive the sr_uas_check() call.
 */
typedef struct sr_uas_policy {
    size_t size;                        /**< sizeof(sr_uas_policy), set by init */
    const char *const *methods;         /**< methods allowed here (405 lists them in Allow) */
    const char *const *known_methods;   /**< methods understood but maybe not allowed:
                                             others get 501 (§8.2.1); NULL: the RFC 3261 six
                                             and the common extensions */
    const char *const *schemes;         /**< Request-URI schemes served (416 otherwise) */
    const char *const *supported;       /**< option tags understood (420 otherwise) */
    const char *const *accept;          /**< body types understood (415 otherwise) */
    const char *const *accept_encoding; /**< content codings understood */
    const char *const *accept_language; /**< languages understood (NULL: any) */
    const char *const *produce;         /**< body types our responses to INVITE carry (406 when
                                             the request's Accept allows none of them) */
    size_t max_size;                    /**< largest request accepted, bytes (0: no limit) */
    bool proxy;                         /**< act as a proxy: §16.3 checks (Proxy-Require,
                                             Max-Forwards) instead of the UAS ones */
    bool registrar;                     /**< act as a registrar for REGISTER (§10.3): the To
                                             must be a SIP or SIPS address-of-record and
                                             'Contact: *' needs 'Expires: 0' (else 400);
                                             REGISTER must also be in @p methods */
    bool answer_options;                /**< proxy: answer an OPTIONS with Max-Forwards 0
                                             itself (§16.3 item 3) instead of 483 */
    sr_uas_merged_cb merged;            /**< merged-request lookup; NULL: never merged */
    void *merged_user;                  /**< handed back to @p merged */
    sr_lint_cache *cache;               /**< NULL (the default): the URI grammar of the
                                             Request-URI, To, From, Contact, Route and
                                             Record-Route is checked every time; else those
                                             checks are remembered by the exact bytes (the
                                             verdicts are the same; not thread-safe) */
} sr_uas_policy;

/**
 * Defaults: methods INVITE, ACK, CANCEL, BYE, OPTIONS; schemes sip, sips, tel; no option
 * tags; accept application/sdp; encoding identity; any language; produce application/sdp;
 * no size limit; UAS; no merged lookup.
 */
SR_API void sr_uas_policy_init(sr_uas_policy *p);

/** Headers the response must carry, a bit set in sr_uas_verdict.add. */
enum {
    SR_UAS_ADD_ALLOW = 1u << 0,           /**< Allow: the policy's methods (405, 501) */
    SR_UAS_ADD_UNSUPPORTED = 1u << 1,     /**< Unsupported: verdict.unsupported (420) */
    SR_UAS_ADD_ACCEPT = 1u << 2,          /**< Accept (415) */
    SR_UAS_ADD_ACCEPT_ENCODING = 1u << 3, /**< Accept-Encoding (415) */
    SR_UAS_ADD_ACCEPT_LANGUAGE = 1u << 4, /**< Accept-Language (415) */
    SR_UAS_ADD_WARNING = 1u << 5,         /**< Warning 399 saying why (406, RFC 4475 §3.3.15) */
};

/** The most caller headers sr_uas_respond() passes on. */
#define SR_UAS_MAX_EXTRA 32

/** The most option tags a verdict lists; more are reported with a truncated list. */
#define SR_UAS_MAX_TAGS 16

/**
 * The answer to a request: @p code 0 when the request passes every check (hand it to the
 * application), else the response code, its reason phrase @p reason (static: the precise
 * phrase for a 400, the canonical phrase otherwise), the header at fault @p hdr (SR_HDR_NONE
 * when none), the headers to add (@p add) and the unsupported option tags (slices into the
 * request: valid while it lives).
 */
typedef struct sr_uas_verdict {
    unsigned code;
    const char *reason;
    enum sr_hdr_id hdr;
    unsigned add;
    sr_str unsupported[SR_UAS_MAX_TAGS];
    size_t n_unsupported;
} sr_uas_verdict;

/**
 * Check @p req against @p policy (NULL: defaults) and fill @p v with the response the RFC
 * asks for, the first that applies in this order:
 *  1. method: 501 unknown, 405 (+ Allow) known but not allowed here (§8.2.1; not a proxy);
 *  2. SIP version other than 2.0: 505 (§8.2, §21.5.6);
 *  3. malformed: 400 with the validator's precise phrase (missing To/From/Call-ID/CSeq/Via,
 *     duplicated single-value header, CSeq method mismatch, unparseable header), and a
 *     missing Max-Forwards when the top Via has the RFC 3261 magic cookie (§8.1.1);
 *  4. larger than @p policy->max_size: 513;
 *  5. Request-URI scheme not served: 416 (§8.2.2.1, §16.3);
 *  6. merged request (no To tag, @p policy->merged says so): 482 (§8.2.2.2);
 *  7. Require (a proxy: Proxy-Require) tags not supported: 420 + Unsupported (§8.2.2.3);
 *  8. a registrar's REGISTER: 400 when To is not a SIP/SIPS AOR or 'Contact: *' is misused
 *     (§10.3);
 *  9. body: 400 without Content-Type (§20.15), 415 + Accept* for a type, encoding or
 *     language not understood (§8.2.3); an INVITE whose Accept excludes every type we
 *     answer with: 406 (§21.4.7) (not a proxy);
 * 10. a proxy and Max-Forwards 0: 483 (§16.3; an OPTIONS passes with
 *     @p policy->answer_options).
 * The brief's order (405/501, 416, 482, 420, 415, 505, 513, 483, 400) is kept except that
 * 505 and the 400s come before the checks that need what they prove (the merged lookup
 * needs a valid From tag, Call-ID and CSeq).
 * An ACK never gets a response (§17.1.1.3): it always passes with code 0.
 * Returns 0 or SR_EINVAL (NULL argument, @p req a response). Never allocates.
 */
SR_API int sr_uas_check(const sr_msg *req, const sr_uas_policy *policy, sr_uas_verdict *v);

/**
 * Parse the datagram @p buf (@p len bytes) with @p popts (NULL: defaults) and check it:
 * when it parses, *@p req receives the message (the caller frees it) and @p v the verdict of
 * sr_uas_check(); when it does not (conflicting Content-Length, a body shorter than
 * Content-Length, an unparseable start line...), *@p req stays NULL and @p v holds 400 with
 * the parser's precise phrase (513 when too large, 505 for another SIP version) — the
 * caller cannot build a full response then and drops the message or answers it from the raw
 * head. A parsed response (not a request) gives SR_EINVAL and no message.
 * Returns 0 or one of: SR_EINVAL, SR_ENOMEM, SR_EAGAIN (stream framing: incomplete).
 */
SR_API int sr_uas_parse_check(sr_msg **req, const char *buf, size_t len, const sr_parse_opts *popts,
                              const sr_uas_policy *policy, sr_uas_verdict *v);

/**
 * Build the response for a verdict with sr_build_response(): the verdict's code and reason,
 * Allow from @p policy's methods, Unsupported from the verdict's tags, Accept* from the
 * policy. @p opts may be NULL; its headers, body and flags are used as given (the verdict's
 * headers are added first; SR_BUILD_DEFAULTS is always set). On success *@p out owns the
 * response. Returns what sr_build_response() returns, or SR_EINVAL when the verdict's code
 * is 0 or @p opts carries more than SR_UAS_MAX_EXTRA headers, or SR_ENOMEM.
 */
SR_API int sr_uas_respond(sr_msg **out, const sr_msg *req, const sr_uas_verdict *v,
                          const sr_uas_policy *policy, const sr_build_opts *opts,
                          sr_build_error *err);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_UAS_H */
