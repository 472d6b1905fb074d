/* sipreply: the SIP status-code registry (RFC 3261 §7.2, §21 and the IANA registry).
 * Phrases, classes, defining RFCs, required headers, meaning and advice for every code. */
#ifndef SIPREPLY_STATUS_H
#define SIPREPLY_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include <sipreply/export.h>
#include <sipreply/str.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The six response classes (RFC 3261 §7.2), numbered by their first digit. */
typedef enum sr_status_class {
    SR_STATUS_CLASS_INVALID = 0,   /**< not a SIP status code (outside 100-699) */
    SR_STATUS_PROVISIONAL = 1,     /**< 1xx */
    SR_STATUS_SUCCESS = 2,         /**< 2xx */
    SR_STATUS_REDIRECTION = 3,     /**< 3xx */
    SR_STATUS_REQUEST_FAILURE = 4, /**< 4xx */
    SR_STATUS_SERVER_FAILURE = 5,  /**< 5xx */
    SR_STATUS_GLOBAL_FAILURE = 6,  /**< 6xx */
} sr_status_class;

/** Flags of a registry entry (sr_status_info.flags). */
enum {
    SR_STATUS_F_REGISTERED = 1u << 0, /**< in the IANA SIP response code registry */
    SR_STATUS_F_LEGACY = 1u << 1,     /**< not registered: historic (RFC 2543) or vendor code */
    SR_STATUS_F_DEPRECATED = 1u << 2, /**< registered but deprecated (202, RFC 6665) */
    SR_STATUS_F_MUST_ONE_OF = 1u << 3 /**< must_carry lists alternatives: one of them is
                                           required (415, RFC 3261 §21.4.13) */
};

/** Who sends a code (sr_status_info.senders), a bit set. */
enum {
    SR_STATUS_BY_UAS = 1u << 0,       /**< a user agent server */
    SR_STATUS_BY_PROXY = 1u << 1,     /**< a proxy (or gateway, relay, edge proxy) */
    SR_STATUS_BY_REGISTRAR = 1u << 2, /**< a registrar */
    SR_STATUS_BY_REDIRECT = 1u << 3,  /**< a redirect server */
    SR_STATUS_BY_ANY = 0xfu           /**< any element */
};

/**
 * One status code. Every pointer is to static, immutable data that lives as long as the
 * program; header lists are NULL-terminated arrays (possibly empty, never NULL).
 */
typedef struct sr_status_info {
    int code;                         /**< 100-699 */
    const char *phrase;               /**< canonical reason phrase to send */
    sr_status_class cls;              /**< class, from the first digit */
    const char *rfc;                  /**< defining document ("RFC3261"; for legacy codes
                                           the source, e.g. "RFC2543" or "Kamailio/SER") */
    unsigned flags;                   /**< SR_STATUS_F_* */
    unsigned senders;                 /**< SR_STATUS_BY_* (0 for legacy codes) */
    const char *const *must_carry;    /**< header fields the response MUST carry */
    const char *const *should_carry;  /**< header fields it SHOULD carry */
    const char *const *may_carry;     /**< header fields it MAY carry with a defined meaning */
    const char *const *other_phrases; /**< non-canonical phrases seen in the field and in
                                           published tables (also matched by lookup) */
    const char *meaning;              /**< what the code means, one paragraph */
    const char *advice;               /**< what the client receiving it does next */
} sr_status_info;

/** What a whole class means (sr_status_class_get()). Static data. */
typedef struct sr_status_class_info {
    sr_status_class cls;
    const char *range;   /**< "4xx" */
    const char *name;    /**< "request-failure" (the name used in data/status-codes.tsv) */
    const char *title;   /**< "Request Failure" */
    bool final;          /**< false for 1xx only */
    int fallback;        /**< the code an unregistered member acts as (183 for 1xx,
                              x00 otherwise; RFC 3261 §8.1.3.2, §21.1) */
    const char *meaning; /**< what the class means */
    const char *advice;  /**< what a client does with a response of this class */
} sr_status_class_info;

/**
 * The registry entry for @p code, or NULL when @p code is not registered (including legacy
 * codes and values outside 100-699). Binary search over the generated table.
 */
SR_API const sr_status_info *sr_status_lookup(int code);

/**
 * The entry of an unregistered legacy or vendor code (409 and 411 from RFC 2543, Kamailio's
 * 477-479, ...), flagged SR_STATUS_F_LEGACY, or NULL. Never returns a registered code.
 */
SR_API const sr_status_info *sr_status_legacy_lookup(int code);

/** true when @p code is in the IANA registry. */
SR_API bool sr_status_is_registered(int code);

/**
 * The class of @p code from its first digit (RFC 3261 §7.2), registered or not;
 * SR_STATUS_CLASS_INVALID outside 100-699.
 */
SR_API sr_status_class sr_status_class_of(int code);

/** true for 100-199. */
SR_API bool sr_status_is_provisional(int code);

/** true for 200-699 (the final responses). */
SR_API bool sr_status_is_final(int code);

/**
 * The code a receiver acts on when it gets @p code (RFC 3261 §8.1.3.2, §21): @p code itself
 * when registered; otherwise 183 for an unrecognised provisional code (100 is always
 * registered) and the class's x00 for an unrecognised final code (431 acts as 400).
 * Returns the code, or SR_EINVAL when @p code is outside 100-699.
 */
SR_API int sr_status_effective(int code);

/**
 * The reason phrase to use for @p code: its canonical phrase when registered, else the
 * phrase of the code it acts as (sr_status_effective()). NULL outside 100-699. Static string.
 */
SR_API const char *sr_status_phrase(int code);

/**
 * Registered codes whose canonical or field phrase matches @p phrase, in code order.
 * Matching ignores ASCII case and everything but letters and digits, so "Gateway time-out",
 * "gateway timeout" and "GATEWAY-TIMEOUT" are the same phrase; surrounding quotes and
 * blanks do not matter. Up to @p cap matches are stored in @p out (which may be NULL when
 * @p cap is 0). @p phrase is a slice and need not be NUL-terminated.
 * Returns the number of matching codes, which may exceed @p cap (like snprintf): 0 when
 * nothing matches or @p phrase has no letter or digit, 2 for "Not Acceptable" (406, 606).
 */
SR_API size_t sr_status_find_phrase(sr_str phrase, const sr_status_info **out, size_t cap);

/**
 * true when @p phrase matches the canonical phrase or one of the other phrases of @p info
 * (the comparison of sr_status_find_phrase()). Works for legacy entries too.
 */
SR_API bool sr_status_phrase_matches(const sr_status_info *info, sr_str phrase);

/**
 * true when the words of @p words (runs of letters and digits, compared as
 * sr_status_find_phrase() compares) stand whole, in order and side by side, in the canonical
 * phrase or one of the other phrases of @p info: "Busy" is in 486 "Busy Here" and in 600
 * "Busy Everywhere", "Gateway time" in 504's "Gateway Time-out"; "Bus" is in none.
 * false for NULL @p info, for @p words without a letter or digit, or longer than 128 of them.
 */
SR_API bool sr_status_phrase_has_words(const sr_status_info *info, sr_str words);

/** The number of registered codes. */
SR_API size_t sr_status_count(void);

/** The @p i-th registered code in ascending code order, or NULL when @p i >= count. */
SR_API const sr_status_info *sr_status_at(size_t i);

/** The number of legacy/vendor codes. */
SR_API size_t sr_status_legacy_count(void);

/** The @p i-th legacy code in ascending order, or NULL when @p i >= count. */
SR_API const sr_status_info *sr_status_legacy_at(size_t i);

/** What class @p cls means, or NULL for SR_STATUS_CLASS_INVALID or an unknown value. */
SR_API const sr_status_class_info *sr_status_class_get(sr_status_class cls);

/**
 * The name of one SR_STATUS_BY_* bit ("UAS", "proxy", "registrar", "redirect server"),
 * or NULL when @p bit is not exactly one of them. Static string.
 */
SR_API const char *sr_status_sender_name(unsigned bit);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_STATUS_H */
