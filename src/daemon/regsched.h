/* sipreplyd: the registration scheduler — when each registration of `registrations:` is sent,
 * refreshed, retried and ended (RFC 3261 §10.2.4 refresh, RFC 5626 §4.5-style back-off,
 * Retry-After, a start rate, a bound on REGISTERs in flight, de-registration at shutdown).
 * Sans-I/O and without SIP: a registration is an index, time is an argument, the outcome of
 * each REGISTER is handed in. engine_register.c drives it; tests run it in simulated time. */
#ifndef SIPREPLYD_REGSCHED_H
#define SIPREPLYD_REGSCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipreply/alloc.h"

/** Where a registration stands. */
typedef enum sd_reg_state {
    SD_REG_PARKED = 0, /**< waiting for its registrar to be located (sd_regsched_release) */
    SD_REG_IDLE,       /**< due for its first REGISTER */
    SD_REG_INFLIGHT,   /**< a REGISTER in flight */
    SD_REG_OK,         /**< registered; the refresh is due at half the granted time */
    SD_REG_FAILED,     /**< the last REGISTER failed; tried again after a back-off */
    SD_REG_UNREG_WAIT, /**< shutting down: its de-registration (Expires: 0) is due */
    SD_REG_UNREG,      /**< its de-registration in flight */
    SD_REG_DONE        /**< nothing more to do (shutting down) */
} sd_reg_state;

typedef struct sd_regsched_opts {
    size_t n;              /**< registrations (indices 0..n-1) */
    uint32_t rate;         /**< REGISTERs started per second at most (1..100000) */
    uint32_t max_inflight; /**< REGISTERs in flight at most (>= 1) */
    uint32_t retry_min_s;  /**< back-off after the first failure (30 s) */
    uint32_t retry_max_s;  /**< the longest back-off (1800 s) */
    uint64_t seed;         /**< the back-off's random spread */
    const sr_allocator *alloc;
} sd_regsched_opts;

typedef struct sd_regsched sd_regsched;

/** Every registration starts PARKED. 0 or SR_EINVAL / SR_ENOMEM. */
int sd_regsched_new(sd_regsched **out, const sd_regsched_opts *o);
void sd_regsched_free(sd_regsched *s);

/** Registrations [first, first + n) may start: due at @p now (PARKED ones only). */
void sd_regsched_release(sd_regsched *s, size_t first, size_t n, uint64_t now);

/**
 * The next registration to start at @p now, within the rate and the bound on REGISTERs in
 * flight (de-registrations ignore the rate): true with *@p idx and *@p unreg (send Expires: 0),
 * the registration is then in flight; false when none may start now.
 */
bool sd_regsched_next(sd_regsched *s, uint64_t now, size_t *idx, bool *unreg);

/** When sd_regsched_next() may next say yes (UINT64_MAX: not before an outcome is handed in). */
uint64_t sd_regsched_next_deadline(const sd_regsched *s);

/**
 * The REGISTER of @p idx succeeded with @p granted_s seconds: the refresh is due at half of it
 * (at least 1 s later). A success while shutting down makes the de-registration due. Returns
 * the refresh time (UINT64_MAX while shutting down).
 */
uint64_t sd_regsched_ok(sd_regsched *s, size_t idx, uint32_t granted_s, uint64_t now);

/**
 * The REGISTER of @p idx failed (@p retry_after_s: a Retry-After the server gave, 0: none): it
 * is tried again after min(retry_max, retry_min · 2^(failures-1)) seconds spread at random over
 * its upper half (RFC 5626 §4.5), and never before the Retry-After. Returns when.
 */
uint64_t sd_regsched_failed(sd_regsched *s, size_t idx, uint32_t retry_after_s, uint64_t now);

/** The de-registration of @p idx ended (whatever the answer): DONE. */
void sd_regsched_unregistered(sd_regsched *s, size_t idx);

/**
 * Shutting down: every registration the registrar may hold (registered and not yet expired, or
 * a REGISTER in flight, which is de-registered once it ends well) gets its de-registration;
 * the others are DONE.
 */
void sd_regsched_drain(sd_regsched *s, uint64_t now);

/** Shutting down and out of time: every registration still to end is DONE. */
void sd_regsched_abort(sd_regsched *s);

/** While shutting down: de-registrations queued or in flight, and REGISTERs in flight. */
size_t sd_regsched_pending(const sd_regsched *s);

sd_reg_state sd_regsched_state(const sd_regsched *s, size_t idx);
/** When @p idx is next due (UINT64_MAX: not scheduled). */
uint64_t sd_regsched_due(const sd_regsched *s, size_t idx);
/** Consecutive failures of @p idx. */
unsigned sd_regsched_failures(const sd_regsched *s, size_t idx);
/** Registrations in @p st. */
size_t sd_regsched_count(const sd_regsched *s, sd_reg_state st);
/** Registrations the registrar holds as far as we know (registered and not expired, a
 *  refresh in flight included). */
size_t sd_regsched_bound(const sd_regsched *s, uint64_t now);

/** For the counters: registrations the registrar holds as far as we know (as
 *  sd_regsched_bound), those whose last REGISTER failed (and hold nothing), and those not yet
 *  registered (waiting for their registrar's address, their turn or their first answer). */
void sd_regsched_tally(const sd_regsched *s, uint64_t now, size_t *registered, size_t *failed,
                       size_t *pending);

const char *sd_reg_state_name(sd_reg_state st);

#endif /* SIPREPLYD_REGSCHED_H */
