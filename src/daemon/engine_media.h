/* sipreplyd: media sessions (engine_media.c) — one RTP/RTCP stream per call, keyed by its
 * Call-ID, opened when our SDP answers or offers for a rule with `media:`, ended with the
 * call. The calls other engine files (engine_sdp.c, dialogs) make. */
#ifndef SIPREPLYD_ENGINE_MEDIA_H
#define SIPREPLYD_ENGINE_MEDIA_H

#include "engine_int.h"

typedef struct sd_mcall sd_mcall;

/**
 * The media session of @p j's call (its Call-ID), opened now when the rule has `media:` and
 * there is none yet: its socket pair is bound on @p host (or the configured media address,
 * written back into @p host), *@p port is the RTP port for our SDP. Returns the session, or
 * NULL (no media for this rule, none possible: the caller keeps the template port).
 */
sd_mcall *sd__media_prepare(sd_engine *e, const job *j, const sr_msg *req, char *host, size_t cap,
                            uint16_t *port);

/**
 * The offer/answer of @p c's call settled on stream @p idx of @p remote (the peer's SDP, the
 * offer or the answer) with @p st: where to send, the payload types, the direction. @p dir_ours
 * says whether st->dir is our direction (we answered) or the peer's (it answered our offer).
 */
void sd__media_negotiated(sd_engine *e, sd_mcall *c, const sr_sdp *remote, size_t idx,
                          const sr_sdp_stream *st, bool dir_ours);

/** Close @p c without a trace (its answer could not be made). */
void sd__media_discard(sd_engine *e, sd_mcall *c);

/** The stream of @p res to use: the first accepted one (SR_SDP_MAX_REPORT: none). */
size_t sd__media_stream_of(const sr_sdp_result *res, size_t n_media);

/** End the media of @p call_id (BYE, CANCEL, a failed INVITE, the dialog's end): an RTCP BYE,
 *  the log line with its counters, the sockets closed. Unknown Call-ID: nothing. */
void sd__media_end(sd_engine *e, sr_str call_id, const char *why, uint64_t now);

/** Key @p key of a SIP INFO within call @p call_id: for the call's DTMF menu, when its rule
 *  has `dtmf:` taking INFO keys. Unknown Call-ID or no menu: nothing. */
void sd__media_info_key(sd_engine *e, sr_str call_id, char key, uint64_t now);

uint64_t sd__media_next_deadline(const sd_engine *e);
void sd__media_timer(sd_engine *e, uint64_t now);
/** At the engine's end: every session closed, no log. */
void sd__media_free_all(sd_engine *e);
/** The media counters for /metrics. 0 or SR_ENOMEM. */
int sd__media_metrics(const sd_engine *e, sr_buf *out);

#endif /* SIPREPLYD_ENGINE_MEDIA_H */
