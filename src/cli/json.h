/* sipreply CLI: a small streaming JSON writer shared by every --json output.
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 become \u00XX. */
#ifndef SIPREPLY_CLI_JSON_H
#define SIPREPLY_CLI_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include "sipreply/str.h"

#define JW_MAX_DEPTH 32

typedef struct jw {
    FILE *out;
    int depth;
    bool need_comma[JW_MAX_DEPTH];
    bool after_key;
    bool pretty;
} jw;

void jw_init(jw *w, FILE *out, bool pretty);
void jw_obj_begin(jw *w);
void jw_obj_end(jw *w);
void jw_arr_begin(jw *w);
void jw_arr_end(jw *w);
void jw_key(jw *w, const char *key);
void jw_str(jw *w, sr_str s);
void jw_cstr(jw *w, const char *s); /* NULL writes null */
void jw_int(jw *w, long long v);
void jw_uint(jw *w, unsigned long long v);
void jw_double(jw *w, double v); /* %.6g; NaN and infinities as null */
void jw_bool(jw *w, bool v);
void jw_null(jw *w);
/* Finish the document with a newline. */
void jw_finish(jw *w);

/* key + value shorthands */
void jw_kv_cstr(jw *w, const char *key, const char *s);
void jw_kv_str(jw *w, const char *key, sr_str s);
void jw_kv_int(jw *w, const char *key, long long v);
void jw_kv_bool(jw *w, const char *key, bool v);

#endif /* SIPREPLY_CLI_JSON_H */
