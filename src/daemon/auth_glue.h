/* sipreplyd: the challenge and register actions, on the core's digest and registrar
 * modules. Holds the state they need across requests (nonces, the location table). */
#ifndef SIPREPLYD_AUTH_GLUE_H
#define SIPREPLYD_AUTH_GLUE_H

#include <stdint.h>

#include "config.h"
#include "sipreply/sipreply.h"

typedef struct sd_auth_glue sd_auth_glue;

/**
 * @p secret (@p secret_len bytes, at most 64) keys the nonces of every digest server; NULL:
 * derived from @p seed (reproducible, for tests).
 */
/* @p alloc: where the glue, its servers, registrars and responses get memory (NULL: malloc). */
int sd_auth_glue_new(sd_auth_glue **out, uint64_t seed, const uint8_t *secret, size_t secret_len,
                     const sr_allocator *alloc);
void sd_auth_glue_free(sd_auth_glue *g);

/**
 * The challenge action @p a for @p req: returns 1 when the request carries valid credentials
 * (go on with the next action), 0 with *@p resp (401/407, or 400 for malformed credentials) and *@p code to send, or
 * -1 on an internal error. *@p why: why credentials were refused (NULL when none were given).
 */
int sd_auth_glue_challenge(sd_auth_glue *g, const sd_action *a, const sr_msg *req,
                           const sr_addr *src, unsigned *code, sr_msg **resp,
                           const uint8_t *tag_key, uint64_t now_ms, const char **why);

/** The register action @p a for @p req: *@p resp and *@p code to send (NULL on error). */
void sd_auth_glue_register(sd_auth_glue *g, const sd_action *a, const sr_msg *req,
                           const sr_addr *src, unsigned *code, sr_msg **resp,
                           const uint8_t *tag_key, uint64_t now_ms);

/**
 * The bindings of @p aor current at @p now_ms in the location table of the register action
 * @p a (the table its REGISTERs fill), highest q first, into @p out (up to @p cap): what
 * sr_registrar_lookup() returns (the count, SR_EBADMSG, SR_ENOMEM for a table that could not
 * be made). The slices stay valid until the table next changes.
 */
ptrdiff_t sd_auth_glue_lookup(sd_auth_glue *g, const sd_action *a, sr_str aor, uint64_t now_ms,
                              sr_binding *out, size_t cap);

/** Bindings held by every registrar (for the metrics). */
size_t sd_auth_glue_bindings(const sd_auth_glue *g);

#endif /* SIPREPLYD_AUTH_GLUE_H */
