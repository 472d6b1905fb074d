/* sipreply core: helpers the builder shares with the UAS checks and the linter.
 * RFC 3261 §8.2.6 (tags), §12.1.1 (dialog-creating responses). */
#ifndef SIPREPLY_BUILD_INT_H
#define SIPREPLY_BUILD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipreply/msg.h"

/* Keyed hash of the request's transaction identity (top Via branch and sent-by, Call-ID,
 * From tag, CSeq number) with a purpose label, so the tag and the nonce differ. */
uint64_t sr__request_hash(const sr_msg *req, const uint8_t *key, const char *purpose);
/* The same from the fields themselves: the top Via (NULL: none), the Call-ID, the From tag
 * and the CSeq number, as the message's accessors give them (missing: empty, 0). */
uint64_t sr__request_hash_fields(const uint8_t *key, const char *purpose, const sr_via *v,
                                 sr_str call_id, sr_str from_tag, uint32_t cseq);

/* Decimal form of @p v into @p out (at least 11 bytes), NUL-terminated; returns the length. */
size_t sr__u32_to_dec(uint32_t v, char *out);

/* @p v as 16 lower-case hex digits in @p out (no NUL). */
void sr__hex64(uint64_t v, char *out);

/* true for the responses that create a dialog (RFC 3261 §12.1.1): 101-299 to INVITE. */
bool sr__is_dialog_creating(unsigned code, sr_method m);

#endif /* SIPREPLY_BUILD_INT_H */
