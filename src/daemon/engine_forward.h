/* sipreplyd: the `forward` action — a stateful forking proxy on the engine's stack, driving
 * the core's response context (proxy.h); rewriting of what goes back (engine_forward_rw.c). */
#ifndef SIPREPLYD_ENGINE_FORWARD_H
#define SIPREPLYD_ENGINE_FORWARD_H

#include "config_forward.h"
#include "engine_int.h"

/* Forward @p req (the server transaction of job @p j) as action @p a says. From then on the
 * forwarder owns the server transaction (sd__fwd_owns) and logs the request itself. @p lent:
 * req is the message of the stack event being handled, which the forwarder takes
 * (sr_stack_event_take_msg) instead of copying; the caller must not read it afterwards. */
void sd__fwd_start(sd_engine *e, const job *j, const sd_action *a, const sr_msg *req, bool lent,
                   uint64_t now);

/* A request inside a dialog whose first Route names us (our Record-Route): forwarded to its
 * Request-URI (an ACK for a 2xx statelessly), true; else false (the rules answer it). */
bool sd__fwd_routed(sd_engine *e, const sr_event *ev, const sd_local *local, uint64_t now);

/* true when server transaction @p txn is a forwarded request's (the engine leaves it be). */
bool sd__fwd_owns(const sd_engine *e, sr_txn_id txn);

/* A stack event for the forwarder (a branch's response, timeout, transport error or end, a
 * CANCEL of a forwarded INVITE, the end of its server transaction): handled, true; else
 * false (the engine's). */
bool sd__fwd_event(sd_engine *e, const sr_event *ev, uint64_t now);

/* The forwarder's earliest deadline (UINT64_MAX: none); run what is due by @p now. */
uint64_t sd__fwd_next_deadline(const sd_engine *e);
void sd__fwd_on_timer(sd_engine *e, uint64_t now);

/* Forwarded requests whose final has not gone upstream yet. */
size_t sd__fwd_pending(const sd_engine *e);

/* Free every forwarded call (the engine is going away). */
void sd__fwd_free_all(sd_engine *e);

/* ------------------------------------------------------------------ engine_forward_rw.c */

/* The rewrite for a response going upstream with @p code (@p branch_code: what the branch
 * itself answered, a 503 that goes up as 500), NULL when none applies. */
const sd_rewrite *sd__fwd_rewrite_find(const sd_forward *f, unsigned code, unsigned branch_code);

/* A copy of @p in changed as @p w says (code, reason, headers added and removed), through
 * the engine's allocator. 0 or an SR_E* code. */
int sd__fwd_rewrite(sd_engine *e, const sd_rewrite *w, const sr_msg *in, sr_msg **out);

/* The next draw of the forwarder's PRNG (splitmix64 from the configuration's seed): the
 * replace shares, so that a seeded run replaces the same calls every time. */
uint64_t sd__fwd_rng(sd_engine *e);

#endif /* SIPREPLYD_ENGINE_FORWARD_H */
