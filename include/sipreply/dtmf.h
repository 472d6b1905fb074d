/* sipreply: DTMF keys as an IVR reads them — the keys of RFC 4733 telephone-events or of SIP
 * INFO bodies (application/dtmf-relay, application/dtmf) gathered into sequences and matched
 * against key patterns, with an inter-digit timeout, in simulated time. Pure: no clock; the
 * caller hands in keys and the time. */
#ifndef SIPREPLY_DTMF_H
#define SIPREPLY_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipreply/error.h>
#include <sipreply/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The longest key sequence (and pattern) kept. */
#define SR_DTMF_MAX_KEYS 32u

/**
 * A key of the 16-key pad: '0'-'9', '*', '#', 'A'-'D' (the RFC 4733 §3.2 events 0-15); a
 * lower-case 'a'-'d' is taken as upper case. Returns the key, or 0 for anything else.
 */
SR_API char sr_dtmf_key_norm(char c);

/**
 * A key pattern is 1 to SR_DTMF_MAX_KEYS characters, each a key (matching itself) or 'x'/'X'
 * (any of '0'-'9'). true when @p pattern is one.
 */
SR_API bool sr_dtmf_pattern_valid(const char *pattern);

/** How keys @p keys[0..n) fit a pattern. */
typedef enum sr_dtmf_fit {
    SR_DTMF_FIT_NONE = 0, /**< no: another key cannot make them match */
    SR_DTMF_FIT_PREFIX,   /**< a strict beginning of the pattern: more keys may match */
    SR_DTMF_FIT_FULL,     /**< the whole pattern */
} sr_dtmf_fit;

SR_API sr_dtmf_fit sr_dtmf_pattern_fit(const char *pattern, const char *keys, size_t n);

/** One caller's keys being gathered. Plain data; fill with sr_dtmf_init. */
typedef struct sr_dtmf {
    char keys[SR_DTMF_MAX_KEYS + 1]; /**< the sequence so far, NUL-terminated */
    size_t len;
    size_t max_keys;     /**< a sequence ends at this many keys (1 to SR_DTMF_MAX_KEYS) */
    uint32_t timeout_ms; /**< the inter-digit timeout: a pause this long ends a sequence */
    uint64_t deadline;   /**< when the sequence ends for lack of keys (UINT64_MAX: none) */
} sr_dtmf;

/** A sequence that ended (sr_dtmf_key, sr_dtmf_timer). */
typedef struct sr_dtmf_result {
    bool done;                       /**< a sequence ended (false: keep gathering) */
    int match;                       /**< the index of the pattern it matched, -1: none */
    char keys[SR_DTMF_MAX_KEYS + 1]; /**< the sequence, NUL-terminated */
} sr_dtmf_result;

/** Start @p d empty: @p max_keys is clamped to 1..SR_DTMF_MAX_KEYS; @p timeout_ms 0 means 1. */
SR_API void sr_dtmf_init(sr_dtmf *d, size_t max_keys, uint32_t timeout_ms);

/**
 * Key @p key came at @p now_ms; @p patterns[0..n) are the patterns, the first that matches
 * wins. The sequence ends (r->done) as soon as its meaning is settled:
 * - '#' ends it: it matches the first pattern that fits it whole with the '#', else the first
 *   that fits it whole without the '#' (a '#'-terminated entry of a pattern without one);
 * - it fits a pattern whole and is the beginning of no longer one: that pattern;
 * - it fits no pattern, whole or in part: no match (at once, no waiting);
 * - it has max_keys keys: the first pattern it fits whole, else none.
 * Otherwise the keys are kept until the next key or timeout_ms after this one (sr_dtmf_timer).
 * A character that is not a key is ignored (r->done false).
 */
SR_API void sr_dtmf_key(sr_dtmf *d, char key, const char *const *patterns, size_t n,
                        uint64_t now_ms, sr_dtmf_result *r);

/** At or after the deadline the sequence ends: the first pattern it fits whole, else none. */
SR_API void sr_dtmf_timer(sr_dtmf *d, const char *const *patterns, size_t n, uint64_t now_ms,
                          sr_dtmf_result *r);

/**
 * The key of a SIP INFO body: @p type is its Content-Type's media type ("application/dtmf-relay"
 * or "application/dtmf", case-insensitive, parameters ignored). dtmf-relay: lines "Signal=K"
 * and "Duration=MS" (any order, white space around '=', CRLF or LF, other lines ignored); K is
 * a key or an event number 0-15 (RFC 4733 §3.2: 10 '*', 11 '#', 12-15 'A'-'D'). dtmf: the body
 * is the key or the event number. *@p key the key, *@p duration_ms the duration (0: none given).
 * Returns 0, SR_ENOTFOUND (another type), SR_EBADMSG (no valid Signal), SR_EINVAL (NULL).
 */
SR_API int sr_dtmf_info_parse(const char *type, size_t type_len, const char *body, size_t len,
                              char *key, uint32_t *duration_ms);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_DTMF_H */
