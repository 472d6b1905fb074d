/* sipreply: a sans-I/O registrar — the location table and the answer to REGISTER.
 * RFC 3261 §10.2 (constructing REGISTER), §10.3 (processing REGISTER), §20.10 (Contact),
 * §20.19 (Expires), §20.23 (Min-Expires), §21.4.17 (423). Authentication is the caller's,
 * before (auth.h). */
#ifndef SIPREPLY_REGISTRAR_H
#define SIPREPLY_REGISTRAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipreply/alloc.h>
#include <sipreply/build.h>
#include <sipreply/error.h>
#include <sipreply/export.h>
#include <sipreply/msg.h>
#include <sipreply/str.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Configuration of a registrar. Fill with sr_registrar_config_init() and change fields.
 * Strings are copied by sr_registrar_new().
 */
typedef struct sr_registrar_config {
    size_t size;                /**< sizeof(sr_registrar_config) */
    const sr_allocator *alloc;  /**< the table's allocator; NULL: malloc */
    size_t max_aors;            /**< addresses-of-record held at once (default 10000) */
    size_t max_bindings;        /**< bindings per AOR (default 16) */
    uint32_t default_expires;   /**< when neither expires param nor Expires (default 3600) */
    uint32_t min_expires;       /**< below it (but not 0) → 423 (default 60; 0: no minimum) */
    uint32_t max_expires;       /**< longer requests are capped to it (default 86400) */
    const char *const *domains; /**< NULL-terminated domains we register for (host of the
                                     Request-URI and of the AOR, case-insensitive); NULL: any */
} sr_registrar_config;

/** Fill @p c with the defaults. */
SR_API void sr_registrar_config_init(sr_registrar_config *c);

/** A registrar: the location table. Opaque, owned by the caller, not thread-safe. */
typedef struct sr_registrar sr_registrar;

/** Returns 0, SR_EINVAL (NULL, a zero limit, min_expires > max_expires), SR_ENOMEM. */
SR_API int sr_registrar_new(sr_registrar **out, const sr_registrar_config *c);
/** Free @p r and every binding. NULL is a no-op. */
SR_API void sr_registrar_free(sr_registrar *r);

/**
 * One binding as seen at a given instant. Slices are owned by the registrar and stay valid
 * until the next call that changes it (handle, purge, remove, free).
 */
typedef struct sr_binding {
    sr_str aor;          /**< canonical AOR ("sip:alice@example.com") */
    sr_str uri;          /**< the Contact URI as registered */
    sr_str params;       /**< the Contact's other header params (";+sip.instance=..."), raw,
                               without q and expires; may be empty */
    int q;               /**< q in thousandths, -1 when the Contact had none */
    uint32_t expires;    /**< seconds left at the instant asked (rounded up, ≥ 1) */
    uint64_t expires_at; /**< absolute expiry in ms, on the caller's clock */
    sr_str call_id;      /**< Call-ID of the REGISTER that last refreshed it */
    uint32_t cseq;       /**< its CSeq number */
} sr_binding;

/** Per-request options of sr_registrar_handle(). Fill with sr_registrar_opts_init(). */
typedef struct sr_registrar_opts {
    size_t size;
    sr_str date;                /**< Date header value for the 200 (RFC 3261 §10.3 step 8,
                                      "Mon, 01 Jan 2024 00:00:00 GMT"); empty: no Date */
    const sr_build_opts *build; /**< passed to the builder (allocator of the response, tag
                                      key, extra headers...); NULL: the builder's defaults */
} sr_registrar_opts;

/** Fill @p o with the defaults (no Date, builder defaults). */
SR_API void sr_registrar_opts_init(sr_registrar_opts *o);

/** What sr_registrar_handle() decided. */
typedef struct sr_registrar_outcome {
    unsigned code;    /**< the status of the response built (200, 400, 404, 423, 500...) */
    const char *why;  /**< a static sentence for logs ("Contact * needs Expires: 0") */
    size_t added;     /**< bindings created */
    size_t refreshed; /**< bindings updated */
    size_t removed;   /**< bindings removed by this request */
    size_t bindings;  /**< bindings of the AOR after the request */
} sr_registrar_outcome;

/**
 * Answer the REGISTER @p req at @p now_ms (RFC 3261 §10.3) and build the response
 * into *@p resp (free with sr_msg_free()):
 *  - Request-URI or AOR host not among the domains → 404; To not a SIP/SIPS URI → 404 (step 3);
 *  - AOR from To, canonicalised (scheme, unescaped user, lower-case host, port kept, every
 *    parameter dropped; step 5);
 *  - no Contact → a query: 200 with the current bindings (step 6);
 *  - "Contact: *" with Expires: 0 and no other Contact removes every binding (subject to the
 *    Call-ID/CSeq rule of step 7); "*" with another Contact, without Expires or with a
 *    non-zero one → 400;
 *  - per Contact: its expires param, else the Expires header, else default_expires; a
 *    non-zero value below min_expires → 423 with Min-Expires and nothing changes; above
 *    max_expires → capped; 0 → removal;
 *  - an existing binding (URI equality, §19.1.4) with the same Call-ID and a CSeq not higher
 *    → the whole request fails with 500 (step 7 and the paragraph after it) and nothing changes;
 *  - more AORs than max_aors or bindings than max_bindings → 503 with Retry-After and
 *    nothing changes; SR_ENOMEM while updating → nothing changes and 500;
 *  - success → 200 listing every current binding with ;expires= (and ;q=) and the Date of
 *    @p o (step 8). A malformed Contact or Expires → 400.
 * Changes are atomic: all or none. The response is built with sr_build_response() and is
 * lint-clean (lint.h). @p outcome (may be NULL) tells what happened.
 * Returns 0 when a response was built, or SR_EINVAL (NULL, not a REGISTER request),
 * SR_ENOMEM (no response could be built; the table is unchanged), or a builder error.
 */
SR_API int sr_registrar_handle(sr_registrar *r, const sr_msg *req, uint64_t now_ms,
                               const sr_registrar_opts *o, sr_msg **resp,
                               sr_registrar_outcome *outcome);

/**
 * Canonical AOR of the URI @p uri (RFC 3261 §10.3 step 5) appended to @p out: "sip:" or
 * "sips:", the user unescaped, "@", the host in lower case, ":port" when written; parameters
 * and headers dropped. Returns 0, SR_EBADMSG (not a SIP/SIPS URI), SR_ENOMEM.
 */
SR_API int sr_registrar_aor(sr_str uri, sr_buf *out);

/**
 * The bindings of @p aor (any form: it is canonicalised) current at @p now_ms, highest q
 * first (absent q counts as 1.0), into @p out (up to @p cap). Returns the number of current
 * bindings (may exceed @p cap), or SR_EBADMSG (@p aor not a SIP/SIPS URI), SR_EINVAL.
 */
SR_API ptrdiff_t sr_registrar_lookup(const sr_registrar *r, sr_str aor, uint64_t now_ms,
                                     sr_binding *out, size_t cap);

/** Number of AORs with at least one binding (expired ones not yet purged included). */
SR_API size_t sr_registrar_aor_count(const sr_registrar *r);
/** Number of bindings held (expired ones not yet purged included). */
SR_API size_t sr_registrar_binding_count(const sr_registrar *r);

/**
 * The earliest expiry among the bindings (ms, caller's clock), or UINT64_MAX when there
 * is none: call sr_registrar_purge() then.
 */
SR_API uint64_t sr_registrar_next_deadline(const sr_registrar *r);

/** Remove every binding expired at @p now_ms (expires_at <= now_ms). Returns how many. */
SR_API size_t sr_registrar_purge(sr_registrar *r, uint64_t now_ms);

/**
 * Visit every current binding at @p now_ms (AOR by AOR, in no defined order). Return
 * non-zero from @p cb to stop: that value is returned. Do not change @p r from @p cb.
 */
typedef int (*sr_registrar_visit_cb)(const sr_binding *b, void *user);
SR_API int sr_registrar_foreach(const sr_registrar *r, uint64_t now_ms, sr_registrar_visit_cb cb,
                                void *user);

/** Remove every binding of @p aor. Returns how many were removed, or SR_EBADMSG. */
SR_API ptrdiff_t sr_registrar_remove_aor(sr_registrar *r, sr_str aor);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_REGISTRAR_H */
