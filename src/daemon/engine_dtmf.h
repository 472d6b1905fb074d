/* sipreplyd: a call's DTMF menu (engine_dtmf.c) — the keys of a call whose rule has `dtmf:`
 * (RFC 4733 events from engine_media.c, SIP INFO from engine_dialog.c) gathered into
 * sequences and matched; a match switches the call's media or hangs up. The media layer owns
 * one sd_dtmf_call per media session and drives it. */
#ifndef SIPREPLYD_ENGINE_DTMF_H
#define SIPREPLYD_ENGINE_DTMF_H

#include "engine_int.h"
#include "sipreply/dtmf.h"

typedef struct sd_dtmf_call sd_dtmf_call;

/** The menu of a call answered by a rule with @p r (NULL when !r->set, or no memory). */
sd_dtmf_call *sd__dtmf_open(sd_engine *e, const sd_dtmf_rule *r);
void sd__dtmf_close(sd_engine *e, sd_dtmf_call *t);

/** When the menu must act next (the inter-digit timeout, a delayed hangup); UINT64_MAX: never. */
uint64_t sd__dtmf_deadline(const sd_dtmf_call *t);

/** What the media layer does after a key or a timer: nothing, or end the call. */
typedef enum sd_dtmf_do { SD_DTMF_NOTHING = 0, SD_DTMF_HANGUP } sd_dtmf_do;

/** Key @p key of call @p call_id (stream @p m, rule @p rule) came @p via ("rtp", "info").
 *  The key is counted; a sequence it ends is logged and acted on (a media switch on @p m). */
sd_dtmf_do sd__dtmf_key(sd_engine *e, sd_dtmf_call *t, sr_media *m, sr_str call_id,
                        const char *rule, char key, const char *via, uint64_t now);
/** The deadline passed: the inter-digit timeout ends the sequence, or a delayed hangup is due. */
sd_dtmf_do sd__dtmf_timer(sd_engine *e, sd_dtmf_call *t, sr_media *m, sr_str call_id,
                          const char *rule, uint64_t now);
/** The hangup could not be done yet (the 2xx not ACKed): try again at @p at. */
void sd__dtmf_retry_hangup(sd_dtmf_call *t, uint64_t at);
/** Whether this call's rule takes keys from SIP INFO. */
bool sd__dtmf_takes_info(const sd_dtmf_call *t);

/** The DTMF counters for /metrics. 0 or SR_ENOMEM. */
int sd__dtmf_metrics(const sd_engine *e, sr_buf *out);

#endif /* SIPREPLYD_ENGINE_DTMF_H */
