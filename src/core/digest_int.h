/* sipreply core: digest hashing helpers shared by digest.c and auth.c. */
#ifndef SIPREPLY_DIGEST_INT_H
#define SIPREPLY_DIGEST_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sipreply/auth.h"

/* One hash of the digest's algorithm (H() of RFC 7616 §3.4.1). */
typedef struct sr__dh {
    sr_digest_alg alg;
    union {
        sr_md5_ctx md5;
        sr_sha256_ctx sha256;
    } u;
} sr__dh;

void sr__dh_init(sr__dh *h, sr_digest_alg alg);
void sr__dh_update(sr__dh *h, const void *p, size_t n);
void sr__dh_str(sr__dh *h, sr_str s);
void sr__dh_colon(sr__dh *h);
/* Write the lower-case hex digest (32 or 64 characters, no NUL); returns its length. */
size_t sr__dh_final_hex(sr__dh *h, char *hex);
/* Lower-case hex of @p n bytes into 2n characters (no NUL). */
void sr__hex(const uint8_t *d, size_t n, char *hex);

/* @p digits hex digits of @p v, most significant first (no NUL). */
void sr__put_hex_be(uint64_t v, size_t digits, char *out);
/* Append @p v as a quoted-string, escaping '"' and '\\'. Returns 0 or SR_ENOMEM. */
int sr__append_quoted(sr_buf *b, sr_str v);

#endif /* SIPREPLY_DIGEST_INT_H */
