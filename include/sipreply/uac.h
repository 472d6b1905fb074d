/* sipreply: the UAC core — one request taken to its outcome over an sr_stack, acting on each
 * response as RFC 3261 §8.1.3 and its extensions say (redirects, challenges, 4xx retries,
 * failover, glare back-off, ACK and BYE). Sans I/O: events in, events out; time and
 * randomness are arguments. */
#ifndef SIPREPLY_UAC_H
#define SIPREPLY_UAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipreply/alloc.h>
#include <sipreply/export.h>
#include <sipreply/msg.h>
#include <sipreply/stack.h>
#include <sipreply/str.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Random bytes (the 491 back-off, the digest cnonce): fill @p n bytes; 0 or an SR_E* code. */
typedef int (*sr_uac_random_cb)(uint8_t *out, size_t n, void *user);

/**
 * Where a URI of a 3xx Contact (or a 305 proxy, or a dialog's first hop) is sent: fill up to
 * @p cap servers in preference order (RFC 3263 §4.3) and return how many (0: none, the target
 * is skipped), SR_EAGAIN when the answer will come later through sr_uac_resolved() (an
 * asynchronous lookup: the context waits before trying that target; a dialog's ACK and BYE
 * then go where the INVITE went), or another negative SR_E* code (as 0). NULL in
 * sr_uac_config: the URI's own host, port (5060, 5061 for sips) and transport parameter,
 * with no lookup (sr_addr.host may then be a name for the shell).
 */
typedef int (*sr_uac_resolve_cb)(sr_str uri, sr_addr *out, size_t cap, void *user);

/** One set of credentials; @p realm NULL answers any realm. Strings as the user typed them. */
typedef struct sr_uac_credential {
    const char *realm;
    const char *username;
    const char *password;
} sr_uac_credential;

/** An alternative body for a 415 retry (RFC 3261 §21.4.13): its type, coding (NULL: none). */
typedef struct sr_uac_body {
    const char *type;
    const char *encoding;
    sr_str body;
} sr_uac_body;

/** What the context may do on its own (sr_uac_config.follow). */
enum {
    SR_UAC_FOLLOW_REDIRECT = 1u << 0, /**< 3xx Contacts, 305 (RFC 3261 §8.1.3.4) */
    SR_UAC_FOLLOW_AUTH = 1u << 1,     /**< 401/407 with the credentials (§22) */
    SR_UAC_FOLLOW_RETRY = 1u << 2,    /**< 415, 420, 421, 422, 423 fixed and sent again */
    SR_UAC_FOLLOW_FAILOVER = 1u << 3, /**< 408, 500, 503, timeouts, transport errors: the next
                                           server (RFC 3263 §4.3), Retry-After honoured */
    SR_UAC_FOLLOW_GLARE = 1u << 4,    /**< 491 after the §14.1 back-off */
    SR_UAC_FOLLOW_ALL = 0x1fu
};

/**
 * A UAC context's configuration. Fill with sr_uac_config_init(), then set @p via_host and
 * the servers. Every pointer (strings, arrays, credentials, bodies) must stay valid as long
 * as the context.
 */
typedef struct sr_uac_config {
    size_t size;               /**< sizeof(sr_uac_config), set by sr_uac_config_init() */
    const sr_allocator *alloc; /**< NULL: malloc */
    const sr_addr *servers;    /**< where the Request-URI resolved to, in order (required) */
    size_t n_servers;
    const char *via_host; /**< sent-by host of our Via (required) */
    uint16_t via_port;    /**< sent-by port; 0: none written */
    unsigned follow;      /**< SR_UAC_FOLLOW_* (default all) */
    const sr_uac_credential *creds;
    size_t n_creds;
    unsigned digest_algs;         /**< SR_DIGEST_BIT set accepted (default both) */
    bool prefer_auth_int;         /**< answer qop auth-int when offered (default false) */
    unsigned max_redirects;       /**< redirects followed in a row, the hop limit (5) */
    unsigned max_requests;        /**< requests sent in all, every retry counted (16) */
    uint32_t max_retry_after;     /**< longest Retry-After waited for, in s (32); longer: done */
    bool call_id_owner;           /**< we made the Call-ID (true): the 491 wait is 2.1-4 s */
    const char *const *supported; /**< option tags a 421 may make us use (NULL-terminated) */
    const sr_uac_body *bodies;    /**< alternatives for a 415, tried in order */
    size_t n_bodies;
    sr_uac_random_cb random; /**< required for 491 and for digest with a qop */
    void *random_user;
    sr_uac_resolve_cb resolve;
    void *resolve_user;
    uint32_t t1; /**< the stack's T1 in ms (500): an INVITE with no final 64·T1 after its
                      CANCEL is given up (RFC 3261 §9.1) */
    bool dialog_via_server; /**< send the ACK and BYE of a dialog to the server the INVITE
                                 went to (an outbound proxy) instead of the dialog's first
                                 Route or remote target (default false, RFC 3261 §12.2.1.1) */
} sr_uac_config;

/** Fill @p c with the defaults above (no servers, no Via host, no credentials, T1 500). */
SR_API void sr_uac_config_init(sr_uac_config *c);

/** What the context reports. */
typedef enum sr_uac_event_kind {
    SR_UAC_EV_NONE = 0, /**< the queue is empty */
    SR_UAC_EV_SENT,     /**< a request left (msg, uri, addr, txn, attempt) */
    SR_UAC_EV_RESPONSE, /**< a response to one of its requests arrived (msg, status, addr,
                             unknown, retransmission); only the current attempt's and 2xx to
                             INVITE are acted on */
    SR_UAC_EV_ACTION,   /**< the context took a step (action, rfc, status, delay_ms, detail) */
    SR_UAC_EV_DONE      /**< the request's outcome (outcome, status, msg: the final or NULL);
                             exactly one per context */
} sr_uac_event_kind;

/** The steps, each with its RFC section (sr_uac_action_rfc()). */
typedef enum sr_uac_action {
    SR_UAC_ACT_NONE = 0,
    SR_UAC_ACT_PRACK,     /**< a reliable 1xx PRACKed by the stack (RFC 3262 §4) */
    SR_UAC_ACT_EARLY_END, /**< a 199 ended the early dialog of its To tag (RFC 6228) */
    SR_UAC_ACT_ACK,       /**< the ACK for a 2xx to INVITE (RFC 3261 §13.2.2.4) */
    SR_UAC_ACT_ACK_AGAIN, /**< a retransmitted 2xx ACKed again (§13.2.2.4) */
    SR_UAC_ACT_BYE,       /**< a BYE: hang-up asked, or a further 2xx dialog (§13.2.2.4, §15) */
    SR_UAC_ACT_REDIRECT,  /**< a 3xx Contact tried next (§8.1.3.4), detail = its URI */
    SR_UAC_ACT_REDIRECT_SKIP,   /**< a Contact skipped: already tried, a loop or beyond the hop
                                   limit (§8.1.3.4), detail = its URI */
    SR_UAC_ACT_USE_PROXY,       /**< 305: retried through the proxy named (§21.3.4) */
    SR_UAC_ACT_ALTERNATIVE,     /**< 380: the alternatives reported (§21.3.5), detail = Contacts */
    SR_UAC_ACT_AUTH,            /**< 401/407 answered for a realm (§22.2, §22.3, RFC 8760 §2.4),
                                   detail = the realm */
    SR_UAC_ACT_AUTH_FAILED,     /**< no usable challenge, or the same credentials refused again
                                   (§22.2), detail = the realm */
    SR_UAC_ACT_DROP_OPTION,     /**< 420: option tags of Unsupported left out (§8.1.3.5) */
    SR_UAC_ACT_ADD_OPTION,      /**< 421: the Require'd extension used (§21.4.16, §8.1.3.5) */
    SR_UAC_ACT_SESSION_EXPIRES, /**< 422: Session-Expires raised to Min-SE (RFC 4028 §7.3) */
    SR_UAC_ACT_EXPIRES,         /**< 423: Expires raised to Min-Expires (RFC 3261 §10.2.8) */
    SR_UAC_ACT_BODY,            /**< 415: a body type/coding from Accept (§21.4.13, §8.1.3.5) */
    SR_UAC_ACT_GLARE_WAIT,      /**< 491: the random back-off, then again (§14.1), delay_ms */
    SR_UAC_ACT_NEXT_SERVER,     /**< 408, 500, 503, timeout, transport error: the next server
                                   (RFC 3263 §4.3) */
    SR_UAC_ACT_RETRY_AFTER,     /**< waiting out a Retry-After before trying again (§21.5.4,
                                   §20.33), delay_ms */
    SR_UAC_ACT_STOP_6XX,        /**< 6xx: no other target is tried (§21.6, §16.7) */
    SR_UAC_ACT_LOOP,            /**< 482/483: a loop or too many hops reported (§21.4.20,
                                   §21.4.21, §8.1.3.5) */
    SR_UAC_ACT_UNKNOWN_CODE,    /**< an unknown code acts as its class's x00 (§8.1.3.2) */
    SR_UAC_ACT_CANCEL,          /**< the pending INVITE cancelled (§9.1) */
    SR_UAC_ACT_TIMER_C          /**< Timer C fired: the INVITE cancelled (§16.6 item 11 as a
                                   UAC may use it; the stack's Timer C) */
} sr_uac_action;

/** The outcome a DONE event carries. */
typedef enum sr_uac_outcome {
    SR_UAC_OK = 0,          /**< a 2xx (status) */
    SR_UAC_REJECTED,        /**< a final 4xx-6xx that no step could fix (status) */
    SR_UAC_REDIRECTED,      /**< a 3xx not followed, or no target left to try (status) */
    SR_UAC_ALTERNATIVE,     /**< 380 Alternative Service (status 380) */
    SR_UAC_LOOP,            /**< 482 or 483 */
    SR_UAC_AUTH_FAILED,     /**< a challenge that could not be answered, or refused twice */
    SR_UAC_TIMEOUT,         /**< no final response from the last server (status 0 or 408) */
    SR_UAC_TRANSPORT_ERROR, /**< the transport to the last server failed */
    SR_UAC_CANCELLED,       /**< the caller cancelled (status 487, or 0 before any final) */
    SR_UAC_LIMIT,           /**< max_requests reached before an outcome */
    SR_UAC_ERROR            /**< the context could not go on (no memory, a request that
                                 cannot be built or sent); code in sr_uac_event.error */
} sr_uac_outcome;

/**
 * One output of the context. Pointers (msg, uri, detail) belong to the context and stay
 * valid until the next sr_uac_poll() or sr_uac_free().
 */
typedef struct sr_uac_event {
    sr_uac_event_kind kind;
    unsigned attempt;       /**< 1-based number of the request this is about */
    sr_txn_id txn;          /**< its transaction, 0 if none */
    const sr_msg *msg;      /**< SENT: the request; RESPONSE: the response; DONE: the final */
    sr_str uri;             /**< SENT: the Request-URI */
    sr_addr addr;           /**< SENT: where; RESPONSE: from where */
    unsigned status;        /**< RESPONSE, DONE and ACTION: the code concerned (0: none) */
    bool unknown;           /**< RESPONSE: the code is not in the registry (§8.1.3.2) */
    bool retransmission;    /**< RESPONSE: a 2xx seen before (ACKed again) */
    sr_uac_action action;   /**< ACTION */
    const char *rfc;        /**< ACTION: the section it follows ("RFC 3261 §8.1.3.4"), static */
    uint64_t delay_ms;      /**< ACTION GLARE_WAIT / RETRY_AFTER: the wait */
    sr_str detail;          /**< ACTION: a URI, a realm, option tags... (may be empty) */
    sr_uac_outcome outcome; /**< DONE */
    int error;              /**< DONE with SR_UAC_ERROR: the SR_E* code */
} sr_uac_event;

/** A UAC context. Opaque. */
typedef struct sr_uac sr_uac;

/**
 * Create a context for request @p req (copied; any method but ACK and CANCEL) over @p stack
 * (the caller's; it must outlive the context). The request must carry From (with a tag),
 * To, Call-ID and CSeq; Via is replaced on each attempt by ours (via_host, the transport of
 * the server, a new branch, rport), the CSeq number grows by one on each new request, the
 * Request-URI is the current target, Max-Forwards 70 is added when absent. Nothing is sent
 * before sr_uac_start(). On success *@p out owns the context.
 * Returns 0 or one of: SR_EINVAL (NULL, no server, no via_host, ACK/CANCEL, a response, a
 * request without CSeq/Call-ID/From/To), SR_ENOMEM.
 */
SR_API int sr_uac_new(sr_uac **out, sr_stack *stack, const sr_msg *req, const sr_uac_config *cfg);

/**
 * Free the context. Its live transactions lose it as their user data; one still waiting
 * for its final response is forgotten (sr_stack_forget(): nothing more is sent for it).
 */
SR_API void sr_uac_free(sr_uac *u);

/** Send the first request. Returns 0, SR_ESTATE (started already), or what sending
 *  returns (then a DONE event with SR_UAC_ERROR is queued as well). */
SR_API int sr_uac_start(sr_uac *u, uint64_t now_ms);

/**
 * Hand the context an event the stack produced. The context names itself as the user data
 * of each transaction it starts (sr_stack_txn_set_user()), so an embedder with several
 * contexts on one stack gives each event to the context in ev->user or ev->related_user;
 * a stray 2xx (txn 0) is taken by the context whose INVITE it answers (Call-ID, CSeq). Call
 * it right after sr_stack_poll(), before the next one (the message is lent until then).
 * Returns 1 when the event was the context's (acted on), 0 when it was not, or a negative
 * SR_E* code (the context then ends with SR_UAC_ERROR).
 */
SR_API int sr_uac_handle(sr_uac *u, const sr_event *ev, uint64_t now_ms);

/**
 * The servers of @p uri, for which the resolver callback returned SR_EAGAIN (copied, at most
 * 8; @p n 0: none, the target is skipped). If the context was waiting for them it sends its
 * request now (or moves to the next target). Returns 0, SR_ENOTFOUND (no target waits for
 * @p uri), SR_EINVAL, or what sending returns (the context then ends with SR_UAC_ERROR).
 */
SR_API int sr_uac_resolved(sr_uac *u, sr_str uri, const sr_addr *servers, size_t n,
                           uint64_t now_ms);

/** The context's own next deadline (a 491 back-off, a Retry-After, the 64·T1 after a CANCEL),
 *  UINT64_MAX if none.
 *  The stack's deadlines are the stack's: the embedder runs both. */
SR_API uint64_t sr_uac_next_deadline(const sr_uac *u);

/** Act on the context's timers due at @p now_ms. Returns 0 or SR_EINVAL. */
SR_API int sr_uac_on_timer(sr_uac *u, uint64_t now_ms);

/**
 * Cancel the pending request (RFC 3261 §9.1): a pending INVITE gets its CANCEL (sent by the
 * stack once a provisional has arrived) and the context ends when its final (487) does, or
 * 64·T1 later without one (§9.1: the INVITE transaction is then given up, forgotten by the
 * stack); a request waiting for its retry time ends now with SR_UAC_CANCELLED. A 2xx that crosses the
 * CANCEL is ACKed and ended with a BYE. Returns 0, SR_ESTATE (done, or a non-INVITE in
 * flight: it cannot be cancelled), or what sr_stack_cancel() returns.
 */
SR_API int sr_uac_cancel(sr_uac *u, uint64_t now_ms);

/**
 * Hang up: after a 2xx to INVITE, a BYE on the dialog (and on any further 2xx dialog);
 * before it, as sr_uac_cancel() with the BYE sent if a 2xx still comes. Returns 0, SR_ESTATE
 * (not an INVITE, or hung up already), SR_ENOMEM.
 */
SR_API int sr_uac_hangup(sr_uac *u, uint64_t now_ms);

/** Pop the oldest event into *@p ev. Returns 0, SR_ENOTFOUND (empty; kind NONE), SR_EINVAL. */
SR_API int sr_uac_poll(sr_uac *u, sr_uac_event *ev);

/** true once the DONE event has been queued. */
SR_API bool sr_uac_is_done(const sr_uac *u);

/** true while the context still has something to do: a transaction of its own live (a 2xx
 *  being ACKed until Timer M, a BYE), a timer pending, or no outcome yet. */
SR_API bool sr_uac_is_active(const sr_uac *u);

/** Events the context had to drop because its queue was full (DONE never is). */
SR_API uint64_t sr_uac_dropped(const sr_uac *u);

/** "PRACK", "REDIRECT"...; "?" when unknown. Static. */
SR_API const char *sr_uac_action_name(sr_uac_action a);
/** "RFC 3261 §8.1.3.4"...; "" for NONE. Static. */
SR_API const char *sr_uac_action_rfc(sr_uac_action a);
/** "ok", "rejected", "redirected"...; "?" when unknown. Static. */
SR_API const char *sr_uac_outcome_name(sr_uac_outcome o);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_UAC_H */
