/* sipreply: the sans-I/O SIP stack — transactions, timers and events (RFC 3261 §17, §9,
 * RFC 6026, RFC 4320, RFC 3262). Bytes and time go in as arguments; events come out by poll. */
#ifndef SIPREPLY_STACK_H
#define SIPREPLY_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipreply/alloc.h>
#include <sipreply/export.h>
#include <sipreply/msg.h>
#include <sipreply/parse.h>
#include <sipreply/prack.h>
#include <sipreply/txn.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Transport kinds; TCP, TLS and SCTP are reliable (RFC 3261 §17: "reliable transport"). */
typedef enum sr_transport { SR_TP_UDP = 0, SR_TP_TCP, SR_TP_TLS, SR_TP_SCTP } sr_transport;

/** True for TCP, TLS and SCTP. */
SR_API bool sr_transport_is_reliable(sr_transport tp);

/** Longest host text an sr_addr holds (an IPv6 reference with brackets fits easily). */
#define SR_ADDR_HOST_MAX 64

/**
 * A peer address, family-agnostic: the host as text (IPv4, "[IPv6]" or a name; NUL-
 * terminated), a port, the transport and an opaque connection id chosen by the shell (the
 * stack copies it back onto responses so they leave on the connection the request came in on,
 * RFC 3261 §18.2.2; 0 for datagrams).
 */
typedef struct sr_addr {
    char host[SR_ADDR_HOST_MAX];
    uint16_t port;
    sr_transport transport;
    uint64_t conn_id;
} sr_addr;

/** Fill @p a from a NUL-terminated host. Returns 0 or SR_EINVAL (NULL, empty or too long). */
SR_API int sr_addr_set(sr_addr *a, const char *host, uint16_t port, sr_transport tp);

/**
 * Where a response to @p req, received from @p src, goes (RFC 3261 §18.2.2): on a reliable
 * transport, back on the connection it came in on (@p src); on an unreliable one, the source
 * address with the source port when the top Via asked for rport (RFC 3581), else the Via
 * sent-by port, else 5060. maddr is not honoured (multicast is out of scope). @p req without
 * a Via: @p src.
 */
SR_API sr_addr sr_addr_response_dest(const sr_msg *req, const sr_addr *src);

/**
 * Stack configuration: fill with sr_config_default(), then change fields. Times are in
 * milliseconds. Copied by sr_stack_new(); @p alloc must outlive the stack.
 */
typedef struct sr_config {
    size_t size;               /**< sizeof(sr_config), set by sr_config_default() */
    const sr_allocator *alloc; /**< NULL: malloc */
    uint32_t t1;               /**< RTT estimate (500) */
    uint32_t t2;               /**< longest retransmit interval for non-INVITE and G (4000) */
    uint32_t t4;               /**< longest a message stays in the network (5000) */
    uint32_t timer_c;          /**< Timer C: SR_EV_TIMEOUT for a Proceeding INVITE client
                                  with no final (180000; 0 disables) */
    uint32_t trying_delay;     /**< 100 Trying for INVITE when the TU has not answered (200) */
    size_t max_transactions;   /**< live transactions; a new request beyond gets a stateless
                                  503, a new client transaction SR_ETOOBIG (4096) */
    size_t max_message;        /**< bytes of a received message accepted (65535) */
    bool prack_enabled;        /**< RFC 3262 support (true) */
    uint64_t seed;             /**< PRNG seed: branches, RSeq (0: a fixed default) */
    size_t max_memory;         /**< bytes live transactions may retain (their request copy,
                                  printed request, last response, reliable 1xx, PRACK
                                  routes), checked when one is created, with room
                                  for the response a server will keep: beyond, a new
                                  request gets a stateless 503 and a new client transaction
                                  SR_ETOOBIG, as with max_transactions (64 MiB; 0: no
                                  limit) */
} sr_config;

/** The defaults: T1 500, T2 4000, T4 5000, Timer C 180000, 100 Trying after 200 ms,
 *  4096 transactions, 64 MiB of transaction memory. */
SR_API void sr_config_default(sr_config *c);

/** What an event says. */
typedef enum sr_event_kind {
    SR_EV_NONE = 0,        /**< the queue is empty (sr_stack_poll returned SR_ENOTFOUND) */
    SR_EV_SEND,            /**< send data/len to addr (reliable tells the transport kind) */
    SR_EV_REQUEST,         /**< a new request for the TU (msg; txn = its server transaction;
                                 0 for an ACK to a 2xx; related = the INVITE for a CANCEL or
                                 PRACK that the stack has already answered) */
    SR_EV_RESPONSE,        /**< a response for the TU (msg; txn = its client transaction, 0
                                 if stray; related = the PRACK transaction the stack started) */
    SR_EV_TIMEOUT,         /**< Timer B/F (no final; act as 408), H (no ACK) or C: timer */
    SR_EV_TRANSPORT_ERROR, /**< the transport failed for txn (sr_stack_on_transport_error) */
    SR_EV_TERMINATED,      /**< txn is gone; state = the state it left */
    SR_EV_PRACK_TIMEOUT,   /**< no PRACK for a reliable 1xx within 64·T1: answer 5xx */
    SR_EV_2XX_TIMEOUT      /**< a 2xx sent with SR_SEND_RETX_2XX got no ACK within 64·T1
                                (RFC 3261 §13.3.1.4); txn = the INVITE, TERMINATED follows */
} sr_event_kind;

/**
 * One output of the stack. Pointers (data, msg) belong to the stack and stay valid until the
 * next sr_stack_poll() or sr_stack_free().
 *
 * Lent bytes: the data of SR_EV_SEND is not a copy made for the event but lent: the bytes the
 * transaction keeps for its retransmissions (its printed request, its last response, the ACK
 * of an INVITE client, a reliable 1xx), or the message printed for a send without a
 * transaction. They stay valid until the next sr_stack_poll() or sr_stack_free() whatever
 * the calls in between do to the transaction (when it ends, or replaces the response it
 * keeps, while an event lends its bytes, the event takes them over, without a copy); send
 * them or copy them before that poll.
 *
 * Lent messages: the msg of SR_EV_REQUEST and SR_EV_RESPONSE is the message sr_stack_receive()
 * parsed from the bytes, lent to the TU: the stack parses a received message once, so the TU
 * needs no parse of its own. It is valid until the next sr_stack_poll() or sr_stack_free();
 * to keep it, sr_msg_dup() it, or take it with sr_stack_event_take_msg(). A new server
 * transaction shares that very message with the event and with a TU that takes it, rather
 * than copying it: the TU may still change a request it took (sr_msg_add_header(),
 * sr_msg_set_body()) and free it when it likes; the transaction first takes a head-only copy
 * of its own (sr_msg_dup's arena copy) before such a change, and when the TU and the event
 * let go of the request (an INVITE server in Completed keeps one without a body until the
 * ACK), so it never sees the TU's changes and keeps no body.
 */
typedef struct sr_event {
    sr_event_kind kind;
    sr_txn_id txn;     /**< the transaction concerned, 0 if none */
    sr_txn_id related; /**< see SR_EV_REQUEST / SR_EV_RESPONSE */
    sr_txn_kind txn_kind;
    sr_txn_state state; /**< SR_EV_TERMINATED: the state left; otherwise the current one */
    const char *data;   /**< SR_EV_SEND: the bytes */
    size_t len;
    sr_addr addr;       /**< SR_EV_SEND: destination; REQUEST/RESPONSE: source */
    bool reliable;      /**< addr.transport is reliable */
    const sr_msg *msg;  /**< SR_EV_REQUEST / SR_EV_RESPONSE: the parsed message */
    unsigned status;    /**< RESPONSE: its code; SEND of a response: its code, else 0 */
    char timer;         /**< SR_EV_TIMEOUT: 'B', 'F', 'H' or 'C' */
    void *user;         /**< the user data of txn (sr_stack_txn_set_user()), NULL if none */
    void *related_user; /**< the user data of related (the INVITE of a CANCEL, PRACK or ACK) */
} sr_event;

/**
 * A stack: configuration, transactions, timers, PRNG and event queue. Opaque.
 *
 * Time: every call that takes @p now_ms first fires the timers due by then (as
 * sr_stack_on_timer() would), so an input meets the state the RFC has at that instant; a
 * @p now_ms smaller than an earlier one counts as the earlier one.
 */
typedef struct sr_stack sr_stack;

/**
 * Create a stack with a copy of @p cfg (NULL: defaults; fill it with sr_config_default()
 * first: its @p size field says which fields the caller knows). On success *@p out owns it.
 * Returns 0 or one of: SR_EINVAL (NULL out, size 0 or larger than this library's
 * sr_config, T1 0, T2 < T1), SR_ENOMEM.
 */
SR_API int sr_stack_new(sr_stack **out, const sr_config *cfg);

/** Free the stack, every transaction and every queued event (no events are produced). */
SR_API void sr_stack_free(sr_stack *s);

/**
 * Feed one complete message received from @p src (a datagram, or one message framed from a
 * stream by the shell, see frame.h) at @p now_ms. The stack matches it to a transaction
 * (§17.1.3, §17.2.3 with the RFC 2543 fallback), runs the state machine and queues events.
 * Unparseable bytes and responses with no Via are dropped (counted in sr_stack_dropped()).
 * Returns 0 or one of: SR_EINVAL (NULL argument), SR_EBADMSG (dropped), SR_ETOOBIG (a new
 * request while max_transactions are live or max_memory is used: answered 503 with
 * Retry-After without a transaction, RFC 3261 §21.5.4), SR_ENOMEM
 * (the stack stays consistent; the message, or the event it caused, is lost as if the network
 * had dropped it).
 */
SR_API int sr_stack_receive(sr_stack *s, const char *buf, size_t len, const sr_addr *src,
                            uint64_t now_ms);

/**
 * As sr_stack_receive() for a message the shell has parsed already (sr_msg_parse(), any
 * allocator), so that a message the embedder had to read before the stack (to choose a
 * stateless path, say) is parsed once between the socket and the TU: the stack works on
 * @p msg itself and lends it with SR_EV_REQUEST / SR_EV_RESPONSE. The stack takes @p msg in
 * every case (it frees it when it is dropped, absorbed or on failure); the caller must not
 * use it after the call (it reads the lent one from the event). A message larger than
 * max_message is dropped as sr_stack_receive() would.
 * Returns what sr_stack_receive() returns.
 */
SR_API int sr_stack_receive_msg(sr_stack *s, sr_msg *msg, const sr_addr *src, uint64_t now_ms);

/** sr_stack_parse_absorb_ack(): the ACK was absorbed by its server transaction; no message. */
#define SR_STACK_ACK_ABSORBED 1

/**
 * sr_msg_parse() for an embedder that parses its messages before sr_stack_receive_msg(), in
 * which the ACK for the non-2xx final of an INVITE server transaction is absorbed from the
 * head of @p buf, with no message built (RFC 3261 §17.2.1: the transaction takes it in
 * Completed, going to Confirmed, and in Confirmed). The timers due by @p now_ms fire first.
 * Only a message starting "ACK " without SR_PARSE_VALIDATE is looked at: its head is read in
 * place as sr_msg_parse() reads it and matched as sr_stack_receive_msg() would match the
 * message (§17.2.3: top Via branch, sent-by and method INVITE; with no magic cookie, the
 * RFC 2543 fallback on Request-URI, Call-ID, From tag, CSeq number, top Via and the To tag
 * the transaction sent).
 *
 * Returns SR_STACK_ACK_ABSORBED, *@p out untouched, when sr_msg_parse() with @p opts would
 * return 0 for @p buf and sr_stack_receive_msg() would absorb that message in a server
 * transaction: the same state changes, timers and events (on a reliable transport the
 * transaction terminates: SR_EV_TERMINATED), and nothing counted (the one difference:
 * nothing is allocated, so it cannot be lost for want of memory). Otherwise it returns
 * what sr_msg_parse() returns, with *@p out and @p err as it sets them, the head read once:
 * hand the message to sr_stack_receive_msg() for the same outcome as without this (an ACK
 * for a 2xx, which matches no transaction or one in Accepted, goes to the TU, §13.2.2.4,
 * RFC 6026 §7.1). SR_EINVAL for a NULL @p s. sr_stack_receive() reads ACKs this way.
 */
SR_API int sr_stack_parse_absorb_ack(sr_stack *s, sr_msg **out, const char *buf, size_t len,
                                     const sr_parse_opts *opts, uint64_t now_ms,
                                     sr_parse_error *err);

/**
 * Start a client transaction for @p req (any method but ACK and CANCEL; use
 * sr_stack_cancel()) towards @p dest. The request must carry a top Via whose branch starts
 * with the magic cookie "z9hG4bK" (sr_stack_new_branch() makes one) and a CSeq. The request
 * is printed and queued for sending at once. On success the stack owns @p req and *@p id
 * (may be NULL) names the transaction; on failure the caller still owns @p req.
 * Returns 0 or one of: SR_EINVAL (NULL, ACK/CANCEL, missing Via branch or CSeq),
 * SR_EEXIST (a client transaction with this branch exists), SR_ETOOBIG (max_transactions
 * or max_memory reached), SR_ENOMEM.
 */
SR_API int sr_stack_send_request(sr_stack *s, sr_msg *req, const sr_addr *dest, uint64_t now_ms,
                                 sr_txn_id *id);

/**
 * Send @p resp on server transaction @p id (RFC 3261 §17.2). @p flags: SR_SEND_100REL for a
 * reliable provisional (RFC 3262); SR_SEND_RETX_2XX for a 2xx to an INVITE that the stack
 * retransmits until the ACK (RFC 3261 §13.3.1.4, see prack.h), which SR_EINVAL refuses on
 * anything else. A 2xx while a reliable 1xx that carried SDP is not yet
 * PRACKed is held and sent when the PRACK arrives (RFC 3262 §3). On success the stack owns
 * @p resp; on failure the caller does.
 * Returns 0 or one of: SR_EINVAL (NULL, not a response, code/CSeq not matching, a non-100
 * provisional to a non-INVITE — RFC 4320 §4.1), SR_ENOTFOUND (no such server transaction),
 * SR_ESTATE (a final was already sent, except 2xx retransmissions in Accepted — in
 * Confirmed, where an INVITE server keeps only its matching key, before any CSeq check; a
 * second reliable 1xx before the first is PRACKed), SR_EUNSUPPORTED (100rel asked but the request
 * did not offer it or PRACK is disabled, or 100 asked to be reliable), SR_ENOMEM.
 */
SR_API int sr_stack_send_response(sr_stack *s, sr_txn_id id, sr_msg *resp, unsigned flags,
                                  uint64_t now_ms);

/**
 * Cancel the pending INVITE client transaction @p invite (RFC 3261 §9.1): the CANCEL is a
 * new non-INVITE client transaction (*@p id, may be NULL). If no provisional has arrived yet
 * it is sent when the first one does (§9.1: "SHOULD NOT send a CANCEL" before), and dropped
 * if a final arrives first. Returns 0 or one of: SR_EINVAL, SR_ENOTFOUND (no such INVITE
 * client transaction), SR_ESTATE (a final already arrived, or already cancelled), SR_ENOMEM.
 */
SR_API int sr_stack_cancel(sr_stack *s, sr_txn_id invite, uint64_t now_ms, sr_txn_id *id);

/**
 * Mark INVITE server transaction @p id as a proxy's (RFC 3261 §16.10): a CANCEL matching it
 * still gets its 200 from the stack (§9.2), but the INVITE gets no automatic 487: the TU
 * cancels its branches and sends the final they give (a 487, or a 2xx that crossed the
 * CANCEL, which must still go up, §16.7 step 5). The TU learns of the CANCEL as usual
 * (SR_EV_REQUEST, related = the INVITE). Returns 0, SR_EINVAL or SR_ENOTFOUND (no such
 * INVITE server transaction).
 */
SR_API int sr_stack_server_proxy(sr_stack *s, sr_txn_id id);

/**
 * As sr_stack_cancel(), with the CANCEL the TU built instead of one the stack builds: a proxy
 * cancelling a branch with a Reason header (RFC 3326; sr_proxy_build_cancel()). @p cancel
 * must be the CANCEL of that INVITE (RFC 3261 §9.1): method CANCEL, the INVITE's Request-URI,
 * Call-ID, CSeq number (method CANCEL) and top Via branch. It is sent as given, when the
 * first provisional arrives if none has yet, and dropped (freed) if a final comes first. On
 * success the stack owns @p cancel; on failure the caller does.
 * Returns 0 or one of: SR_EINVAL (NULL, or @p cancel not that INVITE's CANCEL), SR_ENOTFOUND,
 * SR_ESTATE, SR_ENOMEM as sr_stack_cancel().
 */
SR_API int sr_stack_cancel_msg(sr_stack *s, sr_txn_id invite, sr_msg *cancel, uint64_t now_ms,
                               sr_txn_id *id);

/**
 * The TU gives up on server transaction @p id without a final response (it could build or
 * send none): the transaction terminates now (SR_EV_TERMINATED) instead of waiting for a
 * final forever and holding its place in max_transactions. Nothing is sent; a retransmission
 * of the request starts a new transaction. A TU that can answer should: RFC 3261 §8.2 wants
 * a final for every request but ACK; this is for when even a 400 or 500 cannot be built.
 * Returns 0 or one of: SR_EINVAL, SR_ENOTFOUND (no such server transaction), SR_ESTATE (it
 * has its final already: its own timers end it).
 */
SR_API int sr_stack_abandon(sr_stack *s, sr_txn_id id, uint64_t now_ms);

/**
 * The TU forgets client transaction @p id (either kind, any state): it terminates now
 * (SR_EV_TERMINATED, carrying its user data one last time), sends nothing more (no
 * retransmission, no ACK, no CANCEL promised by sr_stack_cancel() but not yet sent: that
 * handle then gets its SR_EV_TERMINATED too) and later responses to it are strays (txn 0).
 * For a TU that no longer wants the outcome (a UAC context freed mid-request); an INVITE the
 * callee may still be ringing for should be cancelled first (sr_stack_cancel()).
 * Returns 0 or one of: SR_EINVAL, SR_ENOTFOUND (no such client transaction).
 */
SR_API int sr_stack_forget(sr_stack *s, sr_txn_id id, uint64_t now_ms);

/**
 * Print @p msg and queue it as an SR_EV_SEND to @p dest with no transaction (txn 0): for
 * what belongs to no transaction, such as the ACK for a 2xx (RFC 3261 §13.2.2.4, §17.1.1.3:
 * the UAC core sends it, once per 2xx received). The caller keeps @p msg.
 * Returns 0 or one of: SR_EINVAL (NULL argument), SR_ENOMEM, SR_ETOOBIG (print).
 */
SR_API int sr_stack_send_stateless(sr_stack *s, const sr_msg *msg, const sr_addr *dest,
                                   uint64_t now_ms);

/**
 * Tell the stack the transport to @p peer failed (ICMP, connection reset; RFC 3261 §17.1.4,
 * §17.2.4): every transaction whose peer is @p peer (same host, port and transport, and same
 * connection id on reliable transports) reports SR_EV_TRANSPORT_ERROR and terminates.
 * Returns 0 or SR_EINVAL.
 */
SR_API int sr_stack_on_transport_error(sr_stack *s, const sr_addr *peer, uint64_t now_ms);

/** The earliest timer deadline (ms), UINT64_MAX when nothing is pending. */
SR_API uint64_t sr_stack_next_deadline(const sr_stack *s);

/**
 * When to call sr_stack_on_timer() next if the timers that only end a transaction's kept
 * state may fire up to @p slack_ms late: Timers D, I, J, K (RFC 3261 §17.1.1.2, §17.1.2.2,
 * §17.2.1, §17.2.2) and M (RFC 6026 §7.2). They are the time a transaction in Completed,
 * Confirmed or Accepted stays to absorb retransmissions (Timer D "at least 32 seconds"), and
 * they send nothing and report nothing but its end: staying a little longer absorbs a
 * retransmission more, nothing else. The earliest other timer, or the earliest of
 * these plus @p slack_ms, whichever is sooner; UINT64_MAX when nothing is pending. An
 * embedder under load wakes once per @p slack_ms for a run of them instead of once per
 * deadline; each still fires at its own deadline in sr_stack_on_timer()'s order.
 */
SR_API uint64_t sr_stack_next_deadline_slack(const sr_stack *s, uint64_t slack_ms);

/**
 * Fire every timer due at or before @p now_ms, in deadline order (ties in start order).
 * Returns 0 or one of: SR_EINVAL, SR_ENOMEM (a retransmission was lost; the timers go on).
 */
SR_API int sr_stack_on_timer(sr_stack *s, uint64_t now_ms);

/**
 * Pop the oldest event into *@p ev. The event's pointers stay valid until the next call.
 * Returns 0, SR_ENOTFOUND (queue empty; ev->kind = SR_EV_NONE) or SR_EINVAL.
 */
SR_API int sr_stack_poll(sr_stack *s, sr_event *ev);

/**
 * Take the message of the event the last sr_stack_poll() returned (SR_EV_REQUEST or
 * SR_EV_RESPONSE): *@p out owns it from now on (free it with sr_msg_free(); it was allocated
 * with the stack's allocator, which must then outlive it), and the event's msg pointer stays
 * valid as long as the caller keeps it. No copy is made. A second call for the same event
 * finds nothing. Returns 0 or one of: SR_EINVAL (NULL argument), SR_ENOTFOUND (the last
 * event carried no message, or it was taken already; *@p out untouched).
 */
SR_API int sr_stack_event_take_msg(sr_stack *s, sr_msg **out);

/**
 * Write a fresh branch "z9hG4bK" + 16 hex digits from the stack's PRNG into @p out
 * (SR_BRANCH_LEN + 1 bytes with the NUL). Returns 0 or SR_EINVAL.
 */
#define SR_BRANCH_LEN 23
SR_API int sr_stack_new_branch(sr_stack *s, char *out);

/**
 * Attach the embedder's @p user pointer to transaction @p id (as nghttp2's stream user data):
 * every later event of that transaction carries it in sr_event.user, and every event whose
 * related transaction is @p id in sr_event.related_user, so the embedder needs no map from
 * ids to its own state. Events already queued for @p id but not yet polled get it too (the
 * SR_EV_REQUEST that announced a server transaction, the SR_EV_SEND of a request just
 * started). The stack never reads or frees @p user. Lifetime: it lives as long as the
 * transaction; the transaction's SR_EV_TERMINATED carries it one last time, after which the
 * stack forgets it and the embedder may free it. A CANCEL handle that sr_stack_cancel() gave
 * before the CANCEL could be sent names no transaction yet: SR_ENOTFOUND.
 * Returns 0 or one of: SR_EINVAL (NULL stack), SR_ENOTFOUND (no live transaction @p id).
 */
SR_API int sr_stack_txn_set_user(sr_stack *s, sr_txn_id id, void *user);

/** The user data of live transaction @p id; NULL when none was set or @p id is not live. */
SR_API void *sr_stack_txn_user(const sr_stack *s, sr_txn_id id);

/** The state of transaction @p id. Returns 0, SR_ENOTFOUND or SR_EINVAL. */
SR_API int sr_stack_txn_state(const sr_stack *s, sr_txn_id id, sr_txn_state *state);

/** Number of live transactions. */
SR_API size_t sr_stack_txn_count(const sr_stack *s);

/** Number of received messages dropped as unparseable or unmatched-and-useless. */
SR_API uint64_t sr_stack_dropped(const sr_stack *s);

/**
 * Bytes live transactions retain now (what sr_config.max_memory bounds): each transaction,
 * its request (a server counts the request's head only, which it answers and matches on: the
 * body it shares with the TU is the TU's, and it keeps no body once alone),
 * printed request, last response, reliable 1xx and PRACK routes, with the allocator's
 * bookkeeping. A client transaction's request message, which the caller built, is counted
 * at its size when started. 0 for NULL.
 */
SR_API size_t sr_stack_memory(const sr_stack *s);

/**
 * Number of new transactions refused because max_transactions or max_memory was reached
 * (each new request answered with a stateless 503, or a client start failed SR_ETOOBIG).
 */
SR_API uint64_t sr_stack_refused(const sr_stack *s);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_STACK_H */
