/* sipreply: the linter — a catalogue of rules any SIP message, or a response and its request,
 * is checked against. RFC 3261 §7, §8.1.1, §8.2.6, §9.2, §11.2, §12.1.1, §20, §21; RFC 4320. */
#ifndef SIPREPLY_LINT_H
#define SIPREPLY_LINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipreply/alloc.h>
#include <sipreply/export.h>
#include <sipreply/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

/** How binding a rule is, from the RFC's wording (RFC 2119). */
typedef enum sr_lint_severity {
    SR_LINT_SHOULD = 1, /**< SHOULD / RECOMMENDED, or a known interoperability trap */
    SR_LINT_MUST = 2    /**< MUST / MUST NOT / REQUIRED */
} sr_lint_severity;

/** What a rule looks at. */
typedef enum sr_lint_scope {
    SR_LINT_ANY = 0,      /**< any message */
    SR_LINT_REQUEST = 1,  /**< requests */
    SR_LINT_RESPONSE = 2, /**< responses alone */
    SR_LINT_PAIR = 3      /**< a response against the request it answers */
} sr_lint_scope;

/**
 * The catalogue: X(NAME, "stable id", severity, scope, "RFC section", "what is wrong and how
 * to fix it"). Ids never change once published; new rules are appended.
 */
#define SR_LINT_RULES(X)                                                                           \
    X(MSG_VERSION, "R-MSG-VERSION", MUST, ANY, "RFC 3261 §7.1, §7.2",                              \
      "the SIP version is not SIP/2.0; send SIP/2.0 (a UAS answers other versions with 505)")      \
    X(MSG_VIA, "R-MSG-VIA", MUST, ANY, "RFC 3261 §8.1.1.7, §8.2.6.2",                              \
      "no Via header field; a request carries its Via, a response copies every Via of the "        \
      "request")                                                                                   \
    X(MSG_FROM, "R-MSG-FROM", MUST, ANY, "RFC 3261 §8.1.1, §8.2.6.2",                              \
      "no From header field; add it (a response copies the request's)")                            \
    X(MSG_TO, "R-MSG-TO", MUST, ANY, "RFC 3261 §8.1.1, §8.2.6.2",                                  \
      "no To header field; add it (a response copies the request's)")                              \
    X(MSG_CALL_ID, "R-MSG-CALL-ID", MUST, ANY, "RFC 3261 §8.1.1.4, §8.2.6.2",                      \
      "no Call-ID header field; add it (a response copies the request's)")                         \
    X(MSG_CSEQ, "R-MSG-CSEQ", MUST, ANY, "RFC 3261 §8.1.1.5, §20.16",                              \
      "CSeq is missing or is not '<32-bit number> <method>'; a response copies the request's")     \
    X(MSG_SINGLE, "R-MSG-SINGLE", MUST, ANY, "RFC 3261 §7.3.1",                                    \
      "a header field that takes a single value appears more than once; keep one")                 \
    X(MSG_SYNTAX, "R-MSG-SYNTAX", MUST, ANY, "RFC 3261 §25",                                       \
      "a header field does not follow its grammar; fix the value")                                 \
    X(MSG_CONTENT_TYPE, "R-MSG-CONTENT-TYPE", MUST, ANY, "RFC 3261 §7.4.1, §20.15",                \
      "the message has a body but no Content-Type; say what the body is")                          \
    X(MSG_CONTENT_LENGTH, "R-MSG-CONTENT-LENGTH", MUST, ANY, "RFC 3261 §18.3, §20.14",             \
      "Content-Length does not match the bytes of the body; send the exact body length")           \
    X(MSG_CONTENT_LENGTH_ABSENT, "R-MSG-CONTENT-LENGTH-ABSENT", SHOULD, ANY,                       \
      "RFC 3261 §18.3, §20.14",                                                                    \
      "no Content-Length; it is mandatory on TCP/TLS and recommended on UDP: add "                 \
      "'Content-Length: 0' when there is no body")                                                 \
    X(REQ_MAX_FORWARDS, "R-REQ-MAX-FORWARDS", MUST, REQUEST, "RFC 3261 §8.1.1, §8.1.1.6",          \
      "the request has no Max-Forwards; add 'Max-Forwards: 70'")                                   \
    X(REQ_CSEQ_METHOD, "R-REQ-CSEQ-METHOD", MUST, REQUEST, "RFC 3261 §8.1.1.5",                    \
      "the CSeq method differs from the request method; they must be the same")                    \
    X(REQ_CSEQ_RANGE, "R-REQ-CSEQ-RANGE", MUST, REQUEST, "RFC 3261 §8.1.1.5",                      \
      "the CSeq number is 2^31 or more; choose a number below 2^31")                               \
    X(REQ_VIA_BRANCH, "R-REQ-VIA-BRANCH", MUST, REQUEST, "RFC 3261 §8.1.1.7",                      \
      "the top Via has no branch starting with the magic cookie z9hG4bK; add a unique one")        \
    X(REQ_FROM_TAG, "R-REQ-FROM-TAG", MUST, REQUEST, "RFC 3261 §8.1.1.3",                          \
      "the From header field has no tag; add a random tag")                                        \
    X(REQ_CONTACT, "R-REQ-CONTACT", MUST, REQUEST, "RFC 3261 §8.1.1.8",                            \
      "an INVITE (a request that can create a dialog) must carry exactly one Contact")             \
    X(REQ_CONTACT_STAR, "R-REQ-CONTACT-STAR", MUST, REQUEST, "RFC 3261 §10.2.2",                   \
      "'Contact: *' is allowed only alone, in a REGISTER, with 'Expires: 0'")                      \
    X(RESP_CODE_UNREGISTERED, "R-RESP-CODE-UNREGISTERED", SHOULD, RESPONSE,                        \
      "RFC 3261 §8.1.3.2, §21",                                                                    \
      "the status code is not in the IANA registry: receivers treat it as the x00 of its "         \
      "class (or 183); send a registered code")                                                    \
    X(RESP_REASON_STALE, "R-RESP-REASON-STALE", SHOULD, RESPONSE, "RFC 3261 §21",                  \
      "the reason phrase is an outdated or field variant of the registered one; send the "         \
      "canonical phrase")                                                                          \
    X(RESP_REASON, "R-RESP-REASON", SHOULD, RESPONSE, "RFC 3261 §7.2, §21",                        \
      "the reason phrase is not the registered one; receivers ignore it, but people read it")      \
    X(RESP_TO_TAG, "R-RESP-TO-TAG", MUST, RESPONSE, "RFC 3261 §8.2.6.2",                           \
      "the To header field has no tag; every response but 100 Trying carries the UAS's tag")       \
    X(RESP_CODE_HEADER, "R-RESP-CODE-HEADER", MUST, RESPONSE, "RFC 3261 §21; status registry",     \
      "this status code requires a header field that is missing; add it")                          \
    X(RESP_CODE_HEADER_SHOULD, "R-RESP-CODE-HEADER-SHOULD", SHOULD, RESPONSE,                      \
      "RFC 3261 §21; status registry",                                                             \
      "this status code should carry a header field that is missing; add it")                      \
    X(RESP_DIALOG_CONTACT, "R-RESP-DIALOG-CONTACT", MUST, RESPONSE, "RFC 3261 §12.1.1, §13.3.1.4", \
      "a dialog-creating response to INVITE (2xx, or 101-199 with a To tag) must carry "           \
      "exactly one Contact")                                                                       \
    X(RESP_487_CANCEL, "R-RESP-487-CANCEL", MUST, RESPONSE, "RFC 3261 §9.2",                       \
      "487 answers the cancelled INVITE, never the CANCEL itself; answer the CANCEL with "         \
      "200 (or 481)")                                                                              \
    X(RESP_TO_ACK, "R-RESP-TO-ACK", MUST, RESPONSE, "RFC 3261 §17.1.1.3, §17.2.1",                 \
      "a response whose CSeq method is ACK: an ACK is never answered")                             \
    X(RESP_PROVISIONAL_NON_INVITE, "R-RESP-PROVISIONAL-NON-INVITE", MUST, RESPONSE,                \
      "RFC 4320 §4.1",                                                                             \
      "a provisional response other than 100 to a non-INVITE request; send only the final "        \
      "response (or 100)")                                                                         \
    X(RESP_503_RETRY_AFTER, "R-RESP-503-RETRY-AFTER", SHOULD, RESPONSE, "RFC 3261 §21.5.4",        \
      "503 without Retry-After: clients treat this as 500; add Retry-After when the outage "       \
      "has a known length")                                                                        \
    X(PAIR_CALL_ID, "R-PAIR-CALL-ID", MUST, PAIR, "RFC 3261 §8.2.6.2",                             \
      "the response's Call-ID differs from the request's; copy it")                                \
    X(PAIR_FROM, "R-PAIR-FROM", MUST, PAIR, "RFC 3261 §8.2.6.2",                                   \
      "the response's From (URI or tag) differs from the request's; copy it")                      \
    X(PAIR_TO, "R-PAIR-TO", MUST, PAIR, "RFC 3261 §8.2.6.2",                                       \
      "the response's To differs from the request's (URI, or the tag the request had); copy "      \
      "it and only add a tag")                                                                     \
    X(PAIR_CSEQ, "R-PAIR-CSEQ", MUST, PAIR, "RFC 3261 §8.2.6.2",                                   \
      "the response's CSeq (number or method) differs from the request's; copy it")                \
    X(PAIR_VIA, "R-PAIR-VIA", MUST, PAIR, "RFC 3261 §8.2.6.2",                                     \
      "the response's Via stack differs from the request's; copy every Via, same values, "         \
      "same order (the top one may gain received and rport's value: RFC 3261 §18.2.1, "           \
      "RFC 3581 §4)")                                                                              \
    X(PAIR_RECORD_ROUTE, "R-PAIR-RECORD-ROUTE", MUST, PAIR, "RFC 3261 §12.1.1",                    \
      "a dialog-creating response must copy every Record-Route of the request, in order")          \
    X(PAIR_TIMESTAMP, "R-PAIR-TIMESTAMP", MUST, PAIR, "RFC 3261 §8.2.6.1",                         \
      "the request had a Timestamp that the 100 (Trying) does not echo; copy it")                  \
    X(PAIR_405_ALLOW, "R-PAIR-405-ALLOW", MUST, PAIR, "RFC 3261 §21.4.6",                          \
      "the 405's Allow lists the very method it refuses; list only the methods allowed")           \
    X(PAIR_OPTIONS, "R-PAIR-OPTIONS", SHOULD, PAIR, "RFC 3261 §11.2",                              \
      "a 2xx to OPTIONS should carry Allow, Accept and Supported (capabilities)")                  \
    X(RESP_INVITE_2XX_CAPS, "R-RESP-INVITE-2XX-CAPS", SHOULD, RESPONSE, "RFC 3261 §13.3.1.4",      \
      "a 2xx to INVITE should carry Allow and Supported, so the caller knows what the dialog "     \
      "can use without probing")

/** Rule numbers, in catalogue order. */
typedef enum sr_lint_rule_id {
#define SR_LINT_ENUM_(name, id, sev, scope, sec, msg) SR_LINT_##name,
    SR_LINT_RULES(SR_LINT_ENUM_)
#undef SR_LINT_ENUM_
        SR_LINT__COUNT
} sr_lint_rule_id;

/** One rule of the catalogue. Static data. */
typedef struct sr_lint_rule {
    sr_lint_rule_id num;
    const char *id; /**< "R-RESP-TO-TAG" */
    sr_lint_severity severity;
    sr_lint_scope scope;
    const char *section; /**< "RFC 3261 §8.2.6.2" */
    const char *message; /**< what is wrong and how to fix it */
} sr_lint_rule;

/** The number of rules. */
SR_API size_t sr_lint_rule_count(void);
/** Rule @p i in catalogue order, NULL when out of range. */
SR_API const sr_lint_rule *sr_lint_rule_at(size_t i);
/** The rule with id @p id ("R-RESP-TO-TAG", case-sensitive), or NULL. */
SR_API const sr_lint_rule *sr_lint_rule_find(const char *id);
/** "MUST" or "SHOULD". */
SR_API const char *sr_lint_severity_name(sr_lint_severity s);

/**
 * One finding: the rule broken and @p arg, a static detail (the header concerned, or the
 * parser's phrase) or NULL.
 */
typedef struct sr_lint_finding {
    const sr_lint_rule *rule;
    const char *arg;
} sr_lint_finding;

/**
 * A memo of the linter's syntax checks that depend only on a URI's or a header value's bytes
 * (the URI grammar of the Request-URI, To, From, Contact, Route and Record-Route; the
 * name-addr grammar of each Contact, Route and Record-Route value), keyed by those exact
 * bytes (hash and full comparison): the same bytes give the same outcome, so findings are
 * the same with and without it. Its memory is fixed at creation (at most the bytes asked
 * for); when full, the least recently used entry of a set gives way. Values longer than
 * SR_LINT_CACHE_KEY_MAX bytes are checked every time. Not thread-safe: one per thread.
 */
typedef struct sr_lint_cache sr_lint_cache;

#define SR_LINT_CACHE_KEY_MAX 116 /**< longest URI or header value kept */

/** What a cache did (counters since it was made). */
typedef struct sr_lint_cache_stats {
    uint64_t lookups;   /**< values looked up (short enough to be kept) */
    uint64_t hits;      /**< ... found */
    uint64_t evictions; /**< entries that gave way to a new one */
    size_t entries;     /**< entries the cache can hold */
    size_t bytes;       /**< its memory */
} sr_lint_cache_stats;

/**
 * Make a cache using at most @p max_bytes of memory (at least 4 KiB is useful; less gives
 * SR_EINVAL), from @p alloc (NULL: malloc). 0 or SR_ENOMEM / SR_EINVAL; *@p out untouched
 * on failure.
 */
SR_API int sr_lint_cache_new(sr_lint_cache **out, size_t max_bytes, const sr_allocator *alloc);

/** Free @p c (NULL is fine). */
SR_API void sr_lint_cache_free(sr_lint_cache *c);

/** Its counters. */
SR_API void sr_lint_cache_stats_get(const sr_lint_cache *c, sr_lint_cache_stats *out);

/** Options of the linter. Initialise with sr_lint_opts_init(). */
typedef struct sr_lint_opts {
    size_t size;          /**< sizeof(sr_lint_opts) */
    size_t input_len;     /**< bytes the message was parsed from (one datagram), 0: unknown; extra
                           bytes after the declared body break R-MSG-CONTENT-LENGTH */
    sr_lint_cache *cache; /**< NULL (the default): no memo; else consulted and filled (the
                               findings are the same) */
} sr_lint_opts;

/** Fill @p o with the defaults. */
SR_API void sr_lint_opts_init(sr_lint_opts *o);

/**
 * Check @p msg (request or response) against every rule of scope ANY and its own kind.
 * Up to @p cap findings go to @p out (may be NULL when @p cap is 0), in catalogue order.
 * @p o may be NULL. Returns the number of findings, which may exceed @p cap (like snprintf).
 * Never allocates. A NULL @p msg gives 0.
 */
SR_API size_t sr_lint_msg(const sr_msg *msg, const sr_lint_opts *o, sr_lint_finding *out,
                          size_t cap);

/**
 * Check the response @p resp alone (as sr_lint_msg()) and against the request @p req it
 * answers (the PAIR rules). Returns the number of findings, as sr_lint_msg().
 */
SR_API size_t sr_lint_pair(const sr_msg *resp, const sr_msg *req, const sr_lint_opts *o,
                           sr_lint_finding *out, size_t cap);

/**
 * The PAIR rules of sr_lint_pair() alone, for a caller that has run sr_lint_msg() on @p resp
 * already (possibly elsewhere, e.g. on another thread): @p n is the count it returned, and
 * the first min(@p n, @p cap) entries of @p out hold its findings. The PAIR findings of
 * @p resp against @p req follow them in @p out (as room allows); returns the new count.
 * sr_lint_msg(resp, o, out, cap) followed by sr_lint_pair_add(resp, req, out, cap, n) fills
 * @p out and returns exactly what sr_lint_pair(resp, req, o, out, cap) does. A NULL @p resp
 * gives 0; with a NULL @p req, a request as @p req or @p resp, nothing is added.
 */
SR_API size_t sr_lint_pair_add(const sr_msg *resp, const sr_msg *req, sr_lint_finding *out,
                               size_t cap, size_t n);

/** The number of MUST findings among the first @p n of @p f. */
SR_API size_t sr_lint_must_count(const sr_lint_finding *f, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_LINT_H */
