/* sipreply: a UAS's dialogs (RFC 3261 §12) — a bounded table keyed by Call-ID and tags, the
 * §12.2.2 CSeq order check, deadlines (session timers, RFC 4028 §10) and in-dialog requests. */
#ifndef SIPREPLY_DIALOG_H
#define SIPREPLY_DIALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipreply/alloc.h>
#include <sipreply/export.h>
#include <sipreply/msg.h>
#include <sipreply/sdp.h>
#include <sipreply/stack.h>
#include <sipreply/str.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A dialog's state (RFC 3261 §12): early (a 1xx with a To tag) or confirmed (a 2xx). */
typedef enum sr_dialog_state { SR_DIALOG_EARLY = 1, SR_DIALOG_CONFIRMED } sr_dialog_state;

/**
 * One dialog as its UAS sees it (RFC 3261 §12.1.1). The table owns it; the slices point into
 * its own storage and live as long as the dialog. Fields the embedder may change are marked
 * (rw); the rest are read-only.
 */
typedef struct sr_dialog {
    sr_str call_id;
    sr_str local_tag;     /**< our To tag */
    sr_str remote_tag;    /**< the From tag of the request that made it */
    sr_str local_uri;     /**< the request's To value without its tag: our From in requests */
    sr_str remote_uri;    /**< the request's From value, tag included: the To of ours */
    sr_str remote_target; /**< the request's Contact URI (re-targeted by target refreshes) */
    sr_str route_set;     /**< the request's Record-Route values, in order, comma-separated:
                               the Route of requests we send (§12.1.1); empty when none */
    sr_dialog_state state;
    bool acked;               /**< (rw) the ACK of the 2xx arrived */
    bool has_remote_cseq;     /**< remote_cseq is set */
    uint32_t remote_cseq;     /**< the highest CSeq number received in the dialog */
    uint32_t local_cseq;      /**< (rw) the last CSeq number we used (0: none yet) */
    sr_addr peer;             /**< (rw) where the dialog's requests came from */
    sr_addr local;            /**< (rw) our address as the peer reached it (the embedder's) */
    uint64_t created_ms;      /**< when it was created */
    uint64_t deadline_ms;     /**< UINT64_MAX: none (sr_dialog_set_deadline) */
    sr_sdp_session sdp;       /**< (rw) our o= sess-id and version for the dialog's SDP */
    uint32_t session_expires; /**< (rw) RFC 4028 interval in seconds, 0: no session timer */
    char refresher;           /**< (rw) RFC 4028: 'c' the UAC refreshes, 's' we do, 0 none */
    bool offer_pending;       /**< (rw) an offer/answer exchange is in progress (§14.1: 491) */
    void *user;               /**< (rw) the embedder's */
    /* internal */
    size_t bytes, heap_i;
    uint64_t seq;
    struct sr_dialog *next;
} sr_dialog;

/** Limits of a table. Fill with sr_dialog_limits_init(). */
typedef struct sr_dialog_limits {
    size_t size;        /**< sizeof(sr_dialog_limits) */
    size_t max_dialogs; /**< dialogs at most (4096) */
    size_t max_memory;  /**< bytes they may use at most, each dialog and its strings (8 MiB) */
    uint64_t seed;      /**< key of the table's hash (peers choose Call-IDs and tags) */
} sr_dialog_limits;

SR_API void sr_dialog_limits_init(sr_dialog_limits *l);

typedef struct sr_dialog_table sr_dialog_table;

/** A table with @p lim (NULL: defaults) using @p alloc (NULL: malloc). 0, SR_EINVAL, SR_ENOMEM. */
SR_API int sr_dialog_table_new(sr_dialog_table **out, const sr_dialog_limits *lim,
                               const sr_allocator *alloc);

/** Free the table and every dialog in it (the user pointers are not touched). */
SR_API void sr_dialog_table_free(sr_dialog_table *t);

/**
 * Record the dialog that response @p resp (ours: a 101-199 with a To tag, or a 2xx) to
 * INVITE @p req creates (RFC 3261 §12.1.1): Call-ID, tags, the request's Contact (remote
 * target), Record-Route (route set) and CSeq (remote sequence number); early for a 1xx,
 * confirmed for a 2xx. When the dialog exists already (a 1xx made it), it is confirmed by a
 * 2xx and *@p out names it. @p peer: where @p req came from.
 * Returns 0 or one of: SR_EINVAL (NULL, @p req not an INVITE, @p resp not 101-299 or without
 * a To tag, no Call-ID or From tag), SR_ETOOBIG (max_dialogs or max_memory reached: nothing
 * recorded), SR_ENOMEM.
 */
SR_API int sr_dialog_create(sr_dialog_table *t, const sr_msg *req, const sr_msg *resp,
                            const sr_addr *peer, uint64_t now_ms, sr_dialog **out);

/** The dialog of @p call_id, our tag @p local_tag and the peer's @p remote_tag, or NULL. */
SR_API sr_dialog *sr_dialog_find(const sr_dialog_table *t, sr_str call_id, sr_str local_tag,
                                 sr_str remote_tag);

/**
 * The dialog request @p req (received) belongs to (§12.2.2): its Call-ID, To tag (ours) and
 * From tag (theirs). NULL when none, or when @p req has no To tag.
 */
SR_API sr_dialog *sr_dialog_match(const sr_dialog_table *t, const sr_msg *req);

/**
 * The CSeq order check of §12.2.2 for request @p req within @p d: 0 when in order (the
 * remote sequence number becomes its CSeq number), SR_ERANGE when lower than the remote
 * sequence number (answer 500), SR_EINVAL without a CSeq. ACK and CANCEL are not checked
 * (they carry their INVITE's number): 0.
 */
SR_API int sr_dialog_check_cseq(sr_dialog *d, const sr_msg *req);

/**
 * A target refresh (re-INVITE, UPDATE: §12.2.2, RFC 3311 §5.2) with a Contact: the remote
 * target becomes its URI. 0, SR_ENOMEM (the old target stays), SR_ETOOBIG (over the table's
 * memory: the old target stays), SR_EINVAL.
 */
SR_API int sr_dialog_refresh_target(sr_dialog_table *t, sr_dialog **d, const sr_msg *req);

/** Set (UINT64_MAX: clear) the deadline of @p d. 0, SR_EINVAL. */
SR_API int sr_dialog_set_deadline(sr_dialog_table *t, sr_dialog *d, uint64_t deadline_ms);

/** The earliest deadline of any dialog, UINT64_MAX when none. */
SR_API uint64_t sr_dialog_next_deadline(const sr_dialog_table *t);

/**
 * A dialog whose deadline is at or before @p now_ms (the earliest first, ties in the order
 * they were set), its deadline cleared; NULL when none. The caller ends it or sets a new one.
 */
SR_API sr_dialog *sr_dialog_expired(sr_dialog_table *t, uint64_t now_ms);

/** Remove and free @p d (its user pointer is the caller's). */
SR_API void sr_dialog_remove(sr_dialog_table *t, sr_dialog *d);

/** Dialogs in the table. */
SR_API size_t sr_dialog_count(const sr_dialog_table *t);

/** Bytes the dialogs use (what max_memory bounds). */
SR_API size_t sr_dialog_memory(const sr_dialog_table *t);

/** The first dialog (NULL: none), then sr_dialog_next(): for sweeps. */
SR_API sr_dialog *sr_dialog_first(const sr_dialog_table *t);
SR_API sr_dialog *sr_dialog_next(const sr_dialog_table *t, const sr_dialog *d);

/**
 * A request @p method within @p d (§12.2.1.1): Request-URI the remote target, Route the route
 * set, From our URI with our tag, To the peer's, the Call-ID, CSeq the next local number
 * (@p d->local_cseq is advanced), Max-Forwards 70, and a Via with @p transport ("UDP"),
 * @p host, @p port and @p branch (sr_stack_new_branch()). On success *@p out owns it.
 * 0, SR_EINVAL, SR_ENOMEM.
 */
SR_API int sr_dialog_request(sr_dialog *d, const char *method, const char *transport,
                             const char *host, uint16_t port, const char *branch,
                             const sr_allocator *alloc, sr_msg **out);

/**
 * The Session-Expires of @p m (RFC 4028 §4): *@p secs the delta-seconds and *@p refresher
 * 'c' (refresher=uac), 's' (uas) or 0 (absent). SR_ENOTFOUND without the header,
 * SR_EBADMSG when its value is not delta-seconds (with parameters).
 */
SR_API int sr_dialog_session_expires(const sr_msg *m, uint32_t *secs, char *refresher);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_DIALOG_H */
