/* sipreplyd: what the dialog layer (engine_dialog.c) offers the media layer. The media layer
 * keys its sessions by Call-ID; the dialog layer tells it of a dialog's end through
 * sd_engine.dialog_end_hook, and media asks for a call's end (its RTP timed out) here. */
#ifndef SIPREPLYD_ENGINE_DIALOG_H
#define SIPREPLYD_ENGINE_DIALOG_H

#include <stdint.h>

#include "engine.h"

/** End the dialogs of @p call_id with a BYE (media saw no RTP for too long): logged with the
 *  reason "media timeout". Unknown Call-ID: nothing. */
void sd__dialog_media_timeout(sd_engine *e, sr_str call_id, uint64_t now);

/**
 * End call @p call_id with our BYE, logged with @p why (a DTMF action). Returns 1 (the BYE
 * sent, the dialog and its media ended), 0 (no confirmed dialog: nothing done), or -1 (the 2xx
 * is not ACKed yet: RFC 3261 §15 forbids the BYE until then; try again later).
 */
int sd__dialog_hangup(sd_engine *e, sr_str call_id, const char *why, uint64_t now);

#endif /* SIPREPLYD_ENGINE_DIALOG_H */
