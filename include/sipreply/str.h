/* sipreply: string slices (sr_str) and the growable output buffer (sr_buf).
 * Slices point into memory they do not own; buffers own theirs. */
#ifndef SIPREPLY_STR_H
#define SIPREPLY_STR_H

#include <stdbool.h>
#include <stddef.h>

#include <sipreply/alloc.h>
#include <sipreply/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A slice of text: @p len bytes at @p p, not NUL-terminated. A slice never owns memory; it
 * lives as long as the object it came from (each API returning one says which).
 * { NULL, 0 } is the empty slice.
 */
typedef struct sr_str {
    const char *p;
    size_t len;
} sr_str;

/** A slice of a string literal: SR_STR("INVITE"). */
#define SR_STR(lit) ((sr_str){(lit), sizeof(lit) - 1})
/** The empty slice. */
#define SR_STR_NULL ((sr_str){NULL, 0})

/** A slice of the NUL-terminated string @p s (NULL gives the empty slice). */
SR_API sr_str sr_str_from_cstr(const char *s);

/** true when @p a and @p b hold the same bytes. */
SR_API bool sr_str_eq(sr_str a, sr_str b);

/** true when @p a and @p b are equal ignoring ASCII case (SIP tokens, RFC 3261 §7.3.1). */
SR_API bool sr_str_caseeq(sr_str a, sr_str b);

/** true when @p a equals the NUL-terminated @p s ignoring ASCII case. */
SR_API bool sr_str_caseeq_cstr(sr_str a, const char *s);

/**
 * A growable byte buffer owned by the caller: printers and builders append to it. The
 * bytes are always followed by a NUL that is not counted in @p len (so p can be printed),
 * once anything was appended. Initialise with sr_buf_init(), release with sr_buf_cleanup().
 */
typedef struct sr_buf {
    char *p;
    size_t len;
    size_t cap;
    const sr_allocator *alloc;
} sr_buf;

/** Initialise an empty buffer using @p alloc (NULL: the default allocator). Allocates nothing. */
SR_API void sr_buf_init(sr_buf *b, const sr_allocator *alloc);

/** Free the buffer's memory and leave it empty and reusable. */
SR_API void sr_buf_cleanup(sr_buf *b);

/** Make room for @p extra more bytes. Returns 0, SR_ENOMEM or SR_ETOOBIG (size overflow). */
SR_API int sr_buf_reserve(sr_buf *b, size_t extra);

/** Append @p n bytes. Returns 0 or SR_ENOMEM; on failure the buffer is unchanged. */
SR_API int sr_buf_append(sr_buf *b, const void *data, size_t n);

/** Append a slice. Returns 0 or SR_ENOMEM. */
SR_API int sr_buf_append_str(sr_buf *b, sr_str s);

/** Append a NUL-terminated string. Returns 0 or SR_ENOMEM. */
SR_API int sr_buf_append_cstr(sr_buf *b, const char *s);

/** Append the decimal form of @p v. Returns 0 or SR_ENOMEM. */
SR_API int sr_buf_append_u64(sr_buf *b, unsigned long long v);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_STR_H */
