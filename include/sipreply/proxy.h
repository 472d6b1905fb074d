/* sipreply: the stateful forking proxy's core — request forwarding and the response context.
 * RFC 3261 §16.3–§16.10 (proxy behaviour), §9.1 (CANCEL), RFC 3326 (Reason), RFC 6228 (199). */
#ifndef SIPREPLY_PROXY_H
#define SIPREPLY_PROXY_H

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

/* ------------------------------------------------------------------ forwarding (§16.3–§16.6) */

/**
 * Longest branch parameter sr_proxy_branch_id() writes, with its NUL:
 * "z9hG4bKsr" + 16 hex digits (loop part) + "." + 8 hex digits (request part) + "." + index.
 */
#define SR_PROXY_BRANCH_MAX 48

/**
 * Whether @p uri (a URI as written, without <>) names this proxy: one of its addresses or
 * a URI it placed in a Record-Route (RFC 3261 §16.4). @p user is the opts' self_user.
 */
typedef bool (*sr_proxy_self_cb)(sr_str uri, void *user);

/**
 * How this proxy forwards: who it is in a Via, what it records, its key. Fill with
 * sr_proxy_fwd_opts_init() and change fields; pointers must stay valid during each call only.
 */
typedef struct sr_proxy_fwd_opts {
    size_t size;               /**< sizeof(sr_proxy_fwd_opts), set by the init function */
    const sr_allocator *alloc; /**< allocator of the messages built; NULL: malloc */
    sr_str via_host;           /**< our sent-by host (required to forward and to see loops) */
    uint16_t via_port;         /**< our sent-by port; 0: none written (5060 assumed) */
    sr_str via_transport;      /**< transport in our Via ("UDP" when empty) */
    sr_str record_route;       /**< URI for our Record-Route (§16.6 step 4); empty: none */
    const sr_str *route_set;   /**< Route values pushed before the request's (§16.6 step 6) */
    size_t n_route_set;
    const sr_build_header *headers; /**< headers added to every copy (§16.6 step 5) */
    size_t n_headers;
    const uint8_t *key;       /**< SR_BUILD_KEY_LEN bytes keying the branch hash; NULL: zeros */
    sr_proxy_self_cb is_self; /**< whether a URI names us (§16.4); NULL: nothing does */
    void *self_user;          /**< handed back to is_self */
    /** add "rport" to our Via (RFC 3581 §3): the next hop answers to the address and port the
     *  request came from, whatever port our sent-by names (a proxy that received the request
     *  on another transport's port than the one it sends from) */
    bool via_rport;
    /** the loop part of the branch (RFC 3261 §16.6 step 8) sr_proxy_loop_key() gave for the
     *  request these options are used with, when has_loop_key: the checks and every copy use
     *  it instead of hashing the request again. It must be that request's: a stale value
     *  makes wrong branches and loop verdicts. */
    bool has_loop_key;
    uint64_t loop_key;
} sr_proxy_fwd_opts;

/** Fill @p o with the defaults: no Via host, transport UDP, no Record-Route, no route set. */
SR_API void sr_proxy_fwd_opts_init(sr_proxy_fwd_opts *o);

/**
 * The request checks a proxy makes before forwarding (RFC 3261 §16.3): *@p code gets 0 when
 * @p req may be forwarded, else the response to send: 416 (a Request-URI scheme other than
 * sip, sips or tel, item 2), 483 (Max-Forwards 0, item 3: an OPTIONS may instead be answered
 * by the proxy itself, §11), 482 (a loop, item 4: sr_proxy_is_loop()), 420 (a Proxy-Require
 * option tag not in the NULL-terminated @p supported, item 5; build it with the builder's
 * policy listing the same tags so its Unsupported names them). Never allocates.
 * Returns 0 or SR_EINVAL (NULL argument, not a request).
 */
SR_API int sr_proxy_check_request(const sr_msg *req, const sr_proxy_fwd_opts *o,
                                  const char *const *supported, unsigned *code);

/**
 * Write the branch parameter this proxy gives the copy of @p req sent to target number
 * @p index (RFC 3261 §16.6 step 8) into @p out (SR_PROXY_BRANCH_MAX bytes, NUL-terminated).
 * It starts with the magic cookie, then a keyed hash of every field that decides how the
 * request is handled here — To tag, From tag, Call-ID, CSeq number, the Request-URI as
 * received, every Route, Proxy-Require and Proxy-Authorization value — so a request that
 * comes back unchanged is a loop and one whose routing changed is a spiral (§16.3 item 4);
 * then a hash of the received top Via (unique per upstream transaction) and @p index, so
 * branch values are unique across space and time. Never allocates.
 * Returns the length written (> 0) or SR_EINVAL.
 */
SR_API ptrdiff_t sr_proxy_branch_id(const sr_msg *req, const sr_proxy_fwd_opts *o, unsigned index,
                                    char *out);

/**
 * The loop part of the branch this proxy gives copies of @p req (RFC 3261 §16.6 step 8: a
 * keyed hash, with o->key, of the fields that decide how the request is handled here; see
 * sr_proxy_branch_id()). Set it in o->loop_key (o->has_loop_key true) to spare hashing the
 * request again in sr_proxy_check_request(), sr_proxy_is_loop() and each sr_proxy_forward().
 * Never allocates; 0 on NULL arguments.
 */
SR_API uint64_t sr_proxy_loop_key(const sr_msg *req, const sr_proxy_fwd_opts *o);

/**
 * true when @p req already went through this proxy unchanged (RFC 3261 §16.3 item 4): a Via
 * whose sent-by is ours (o->via_host, o->via_port) carries a branch whose loop part equals
 * the one sr_proxy_branch_id() computes for @p req. A Via of ours with another loop part is
 * a spiral (false). Never allocates.
 */
SR_API bool sr_proxy_is_loop(const sr_msg *req, const sr_proxy_fwd_opts *o);

/** What Route preprocessing decided (RFC 3261 §16.4); slices point into the request. */
typedef struct sr_proxy_route {
    sr_str request_uri; /**< the Request-URI to go on with: the received one, or the last
                             Route URI when the received one was ours (a strict router
                             upstream) */
    bool pop_last;      /**< the last Route value became the Request-URI: drop it */
    bool pop_first;     /**< the first (remaining) Route value names us: drop it */
} sr_proxy_route;

/**
 * Route information preprocessing (RFC 3261 §16.4): when the Request-URI names us (o->is_self)
 * and there is a Route, the last Route URI replaces it; then a first Route value naming us
 * is removed. maddr in the Request-URI is not handled (docs/proxy.md). Never allocates.
 * Returns 0 or SR_EINVAL, SR_EBADMSG (a Route value that does not parse).
 */
SR_API int sr_proxy_route_preprocess(const sr_msg *req, const sr_proxy_fwd_opts *o,
                                     sr_proxy_route *out);

/**
 * Build the copy of @p req sent to @p target (RFC 3261 §16.6 steps 1–8): Request-URI
 * @p target; Max-Forwards decremented, or 70 when absent (step 3); our Record-Route before
 * the others when o->record_route is set (";lr" added when missing, step 4); o->headers
 * (step 5); Route: o->route_set, then the request's values less what @p route (may be NULL)
 * dropped; when the first Route URI has no lr parameter (a strict router), the Request-URI
 * goes last in Route and that first URI becomes the Request-URI (step 6); a new top Via with
 * sr_proxy_branch_id(req, o, @p index) (step 8). Content-Length is recomputed when printed.
 * On success *@p out owns the copy; on failure it is untouched.
 * Returns 0 or one of: SR_EINVAL (NULL, not a request, no via_host, empty target, a header
 * that cannot be added), SR_ERANGE (Max-Forwards is 0: answer 483, §16.3 item 3),
 * SR_EBADMSG (a Route value that does not parse), SR_ENOMEM.
 */
SR_API int sr_proxy_forward(sr_msg **out, const sr_msg *req, sr_str target,
                            const sr_proxy_route *route, unsigned index,
                            const sr_proxy_fwd_opts *o);

/**
 * Where a forwarded request goes next (RFC 3261 §16.6 step 7): the URI of its first Route
 * value, else its Request-URI. The slice lives as long as @p fwd. Empty on NULL.
 */
SR_API sr_str sr_proxy_next_hop(const sr_msg *fwd);

/**
 * The CANCEL for the forwarded INVITE @p fwd_invite, built hop by hop (RFC 3261 §9.1, §16.10:
 * same Request-URI, Call-ID, To, From, CSeq number and top Via — hence the same branch — and
 * Route headers) with a Reason header (RFC 3326) when @p reason is not empty
 * (SR_PROXY_REASON_ELSEWHERE after a 2xx on another branch).
 * Returns 0 or what sr_build_cancel() returns.
 */
SR_API int sr_proxy_build_cancel(sr_msg **out, const sr_msg *fwd_invite, sr_str reason,
                                 const sr_allocator *alloc);

/** The Reason of the CANCELs a 2xx on another branch causes (RFC 3326 §2). */
#define SR_PROXY_REASON_ELSEWHERE "SIP;cause=200;text=\"Call completed elsewhere\""

/* ------------------------------------------------------------------ response context (§16.7) */

/** sr_proxy_config flags. */
enum {
    /** 3xx Contacts become new targets (SR_PROXY_ACT_RECURSE) instead of going upstream. */
    SR_PROXY_RECURSE = 1u << 0,
    /** Forward a chosen 503 as is, instead of as 500 (§16.7 step 6: only when the proxy
     *  knows every request it could forward would get a 503 too). */
    SR_PROXY_KEEP_503 = 1u << 1,
    /** Send no 199 (RFC 6228) even when the caller supports it. */
    SR_PROXY_NO_199 = 1u << 2,
    /** The request given to sr_proxy_new() is lent: the caller keeps it, unchanged, until
     *  sr_proxy_free(), and the context reads it there instead of keeping a copy. */
    SR_PROXY_REQ_LENT = 1u << 3,
};

/** Response context configuration: fill with sr_proxy_config_default(). Times in ms. */
typedef struct sr_proxy_config {
    size_t size;               /**< sizeof(sr_proxy_config), set by sr_proxy_config_default() */
    const sr_allocator *alloc; /**< NULL: malloc; must outlive the context */
    uint32_t timer_c;          /**< Timer C, > 180000 (§16.6 step 11): 181000 */
    uint32_t cancel_wait;      /**< after a CANCEL, how long a branch may take to answer before
                                    it counts as 408 (§9.1: 64·T1): 32000 */
    unsigned flags;            /**< SR_PROXY_* */
    size_t max_branches;       /**< branches per context (32) */
} sr_proxy_config;

/** The defaults: Timer C 181 s, CANCEL wait 32 s, no flags, 32 branches. */
SR_API void sr_proxy_config_default(sr_proxy_config *c);

/**
 * A response context (RFC 3261 §16.7): one per request the proxy forwards statefully. It
 * holds a copy of the request as received, the branches forwarded, their responses and
 * Timer C; responses and time go in, decisions come out with sr_proxy_poll(). Opaque.
 */
typedef struct sr_proxy sr_proxy;

/** What a decision asks the embedder to do. */
typedef enum sr_proxy_action_kind {
    SR_PROXY_ACT_NONE = 0, /**< nothing left (sr_proxy_poll returned SR_ENOTFOUND) */
    SR_PROXY_ACT_FORWARD,  /**< send msg upstream on the server transaction: a provisional,
                                a 2xx, a 199 or the one final (final tells) */
    SR_PROXY_ACT_CANCEL,   /**< cancel branch: msg is its CANCEL, built hop by hop (with
                                Reason after a 2xx elsewhere) */
    SR_PROXY_ACT_RECURSE,  /**< a 3xx gave targets (SR_PROXY_RECURSE): add branches for
                                those wanted, then sr_proxy_hold(p, false) */
} sr_proxy_action_kind;

/** The branch index of an action about no branch (a 408 made up when none answered). */
#define SR_PROXY_NO_BRANCH ((unsigned)-1)

/**
 * One decision. Pointers belong to the context and stay valid until the next sr_proxy_poll()
 * or sr_proxy_free() (take msg with sr_proxy_action_take_msg()).
 */
typedef struct sr_proxy_action {
    sr_proxy_action_kind kind;
    unsigned branch;       /**< the branch concerned, SR_PROXY_NO_BRANCH when none */
    unsigned status;       /**< FORWARD: the code sent upstream */
    bool final;            /**< FORWARD: a final response */
    const sr_msg *msg;     /**< FORWARD: the response; CANCEL: the request */
    const sr_str *targets; /**< RECURSE: Contact URIs, highest q first */
    size_t n_targets;
} sr_proxy_action;

/**
 * Create the response context for @p req, the request as received (a copy is kept, so it may
 * be freed after the call; with SR_PROXY_REQ_LENT in @p cfg's flags none is, and @p req must
 * stay as it is until sr_proxy_free()), with @p cfg (NULL: defaults).
 * Returns 0 or one of: SR_EINVAL (NULL, not a request, ACK, Timer C not above 3 minutes,
 * bad size), SR_ENOMEM.
 */
SR_API int sr_proxy_new(sr_proxy **out, const sr_msg *req, const sr_proxy_config *cfg);

/** Free the context, its copies and its pending actions. NULL is a no-op. */
SR_API void sr_proxy_free(sr_proxy *p);

/**
 * Add a branch: @p fwd is the request forwarded to one target (sr_proxy_forward(); a copy is
 * kept for its CANCEL and ACK), sent at @p now_ms. For an INVITE, Timer C starts (§16.6
 * step 11). *@p index (may be NULL) gets the branch index.
 * Returns 0 or one of: SR_EINVAL (NULL, not a request, no top Via branch), SR_ESTATE (no new
 * branch after a 2xx or 6xx, a CANCEL from upstream or the final response: §16.7 step 5,
 * §16.10), SR_ETOOBIG (max_branches), SR_ENOMEM.
 */
SR_API int sr_proxy_branch_add(sr_proxy *p, const sr_msg *fwd, uint64_t now_ms, unsigned *index);

/** The number of branches added. */
SR_API size_t sr_proxy_branch_count(const sr_proxy *p);

/**
 * The branch whose request carries the top Via branch of @p resp (§16.7 step 1), in *@p index.
 * Returns 0, SR_ENOTFOUND or SR_EINVAL.
 */
SR_API int sr_proxy_branch_find(const sr_proxy *p, const sr_msg *resp, unsigned *index);

/**
 * A response arrived on branch @p branch (RFC 3261 §16.7): Timer C reset by 101–199, 100
 * absorbed, other provisionals forwarded until the final is sent, every 2xx to an INVITE
 * forwarded and the other branches cancelled, a 6xx cancels the others, finals kept and the
 * best one sent once every branch is final; after the final, only 2xx to an INVITE go on.
 * @p resp is only read (copies are made). Queues actions.
 * Returns 0 or one of: SR_EINVAL (NULL, not a response, bad index), SR_ENOMEM (the response
 * is lost as if the network had dropped it; the context stays consistent).
 */
SR_API int sr_proxy_on_response(sr_proxy *p, unsigned branch, const sr_msg *resp, uint64_t now_ms);

/**
 * Branch @p branch's client transaction timed out (Timer B or F): it counts as a 408 made up
 * here (§16.7 step 6 via §17.1.1.2), ranked below a received response of its class.
 * Returns 0, SR_EINVAL or SR_ENOMEM.
 */
SR_API int sr_proxy_on_timeout(sr_proxy *p, unsigned branch, uint64_t now_ms);

/**
 * The transport failed for branch @p branch: it counts as a 503 made up here (§16.9), which
 * goes upstream as 500 if chosen. Returns 0, SR_EINVAL or SR_ENOMEM.
 */
SR_API int sr_proxy_on_transport_error(sr_proxy *p, unsigned branch, uint64_t now_ms);

/**
 * The upstream client CANCELled the request (RFC 3261 §16.10): every branch without a final
 * is cancelled (each CANCEL carrying @p reason when not empty, e.g. the Reason of the
 * received CANCEL) and no branch may be added. Returns 0, SR_EINVAL or SR_ENOMEM.
 */
SR_API int sr_proxy_cancel(sr_proxy *p, sr_str reason, uint64_t now_ms);

/**
 * The embedder follows none of the targets of the SR_PROXY_ACT_RECURSE of branch @p branch
 * (a bound on recursion, every target tried already): that 3xx stays a final like any other
 * (§16.7 steps 4 and 6), its Contacts kept. Call before releasing the hold.
 * Returns 0 or SR_EINVAL (NULL, bad index).
 */
SR_API int sr_proxy_recurse_none(sr_proxy *p, unsigned branch);

/**
 * While held, the context does not send its best final when every branch is final, so the
 * embedder can add branches (serial forking, recursion on a 3xx). Releasing it sends the
 * final at once if every branch is final. Returns 0, SR_EINVAL or SR_ENOMEM.
 */
SR_API int sr_proxy_hold(sr_proxy *p, bool hold, uint64_t now_ms);

/** The earliest Timer C or CANCEL deadline (ms), UINT64_MAX when none. */
SR_API uint64_t sr_proxy_next_deadline(const sr_proxy *p);

/**
 * Fire the timers due at or before @p now_ms (RFC 3261 §16.8): Timer C on a branch that had a
 * provisional cancels it, on one that had none counts as a 408; a cancelled branch with no
 * final after cancel_wait counts as a 408. Returns 0, SR_EINVAL or SR_ENOMEM.
 */
SR_API int sr_proxy_on_timer(sr_proxy *p, uint64_t now_ms);

/**
 * Pop the oldest decision into *@p a (its pointers valid until the next call).
 * Returns 0, SR_ENOTFOUND (none; a->kind = SR_PROXY_ACT_NONE) or SR_EINVAL.
 */
SR_API int sr_proxy_poll(sr_proxy *p, sr_proxy_action *a);

/**
 * Take the message of the action last polled (to hand it to sr_stack_send_response(), which
 * takes ownership): *@p out owns it. Returns 0, SR_ENOTFOUND (none or taken) or SR_EINVAL.
 */
SR_API int sr_proxy_action_take_msg(sr_proxy *p, sr_msg **out);

/** true once a final went upstream (the one non-2xx, or a 2xx). */
SR_API bool sr_proxy_final_sent(const sr_proxy *p);

/** true when the final went upstream and every branch has its final (real or made up). */
SR_API bool sr_proxy_is_done(const sr_proxy *p);

/**
 * The final of branch @p branch: the code received, or the one made up here (408 for Timer
 * B/F, Timer C without a provisional or no answer to a CANCEL; 503 for a transport error);
 * 0 while the branch has none (or NULL, a bad index). Serial forking moves on when every
 * branch of a group has one.
 */
SR_API unsigned sr_proxy_branch_final(const sr_proxy *p, unsigned branch);

/**
 * The ACK for the non-2xx final @p resp of branch @p branch, built hop by hop from that
 * branch's request (RFC 3261 §17.1.1.3; the stack's client transaction sends its own, this is
 * for embedders without one). Returns 0 or what sr_build_ack() returns, SR_EINVAL.
 */
SR_API int sr_proxy_branch_ack(sr_msg **out, const sr_proxy *p, unsigned branch,
                               const sr_msg *resp);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_PROXY_H */
