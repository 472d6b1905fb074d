/* sipreplyd: the `forward` action's configuration — targets, forking mode, timers, and the
 * rewriting of responses on their way back (docs/sipreplyd.md "forward"). */
#ifndef SIPREPLYD_CONFIG_FORWARD_H
#define SIPREPLYD_CONFIG_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/** One target: a SIP URI whose host is an IP literal ("{{user}}": the Request-URI's user). */
typedef struct sd_fwd_target {
    char *uri;
    unsigned q; /**< q-value in thousandths (1000 when not given) */
} sd_fwd_target;

/** A rewrite of the responses sent upstream whose code is in [lo, hi] (first match wins). */
typedef struct sd_rewrite {
    unsigned lo, hi;
    unsigned to;    /**< the code sent instead, 0: the same */
    char *reason;   /**< its reason phrase, NULL: the canonical one (or the received one) */
    sd_header *add; /**< headers added */
    size_t n_add;
    char **remove;     /**< NULL-terminated names of header fields removed; NULL: none */
    uint32_t delay_ms; /**< held this long before it goes (later responses queue behind it) */
    bool drop;         /**< a provisional not sent at all */
} sd_rewrite;

/** A share of calls in which target @p target (-1: each) is not asked and counts as having
 *  answered @p code (300-699): fault injection. */
typedef struct sd_replace {
    int target;
    unsigned code;
    unsigned percent; /**< 0-100 */
} sd_replace;

/* The most 3xx redirections a call follows (`recurse`), and the most branches it starts. */
#define SD_FWD_RECURSE_MAX  8
#define SD_FWD_BRANCHES_MAX 32

typedef struct sd_forward {
    sd_fwd_target *targets; /**< NULL with location */
    size_t n_targets;
    bool location;       /**< the targets: the bindings of the Request-URI's AOR in the location
                           table of the configuration's `register` action (RFC 3261 §16.5) */
    unsigned recurse;    /**< 3xx Contacts followed this many redirections deep (§16.7 step 4);
                           0: a 3xx is a final like any other */
    bool sequential;     /**< by q groups, highest first; else every target at once */
    uint32_t timer_c_ms; /**< RFC 3261 §16.6 step 11, > 180000 */
    uint32_t branch_ms;  /**< a branch (sequential: a group) without a final after this is
                                cancelled and counts as 408; 0: none (Timer B/C only) */
    bool record_route;
    bool keep_503; /**< forward a chosen 503 as is (§16.7 step 6 otherwise: 500) */
    sd_rewrite *rewrites;
    size_t n_rewrites;
    sd_replace *replaces;
    size_t n_replaces;
} sd_forward;

void sd__forward_free(sd_forward *f);

/* The `register` action whose location table a `location` forward reads for a Request-URI
 * whose host is @p host: the first, in rule order, whose domains list @p host (or that
 * serves any). NULL when none. */
const sd_action *sd__forward_registrar(const sd_config *cf, const char *host, size_t host_len);

/* A `location` forward in a configuration with no `register` action: -1 with why in @p why
 * (@p cap bytes); else 0. */
int sd__forward_check(const sd_config *cf, char *why, size_t cap);

/* The addresses of the listed targets of every `forward` action of @p cf (the hosts of their
 * URIs, which are IP literals), at most @p max into @p out: peers the configuration chose,
 * which the daemon exempts from the reflection budget (our INVITEs to a target are no
 * reflection, and a burst of them comes before its first answer). Their number. */
size_t sd__forward_peers(const sd_config *cf, sr_addr *out, size_t max);

#endif /* SIPREPLYD_CONFIG_FORWARD_H */
