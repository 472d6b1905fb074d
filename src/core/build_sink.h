/* sipreply core: where the response builder puts what it builds (build.c), and the default
 * header values it supplies (build_defaults.c). RFC 3261 §8.2.6, §20, §21. */
#ifndef SIPREPLY_BUILD_SINK_H
#define SIPREPLY_BUILD_SINK_H

#include "sipreply/build.h"
#include "sipreply/print.h"

#include "msg_int.h"

/* Where a response goes as it is built: into a message (sr_build_response), or printed
 * straight into a buffer (sr_build_response_print): the same fields in the same order, the
 * same checks, the bytes sr_msg_print would give for the message, without the message. */
typedef struct {
    sr_msg *m;   /* a message, or NULL: */
    sr_buf *out; /* the printed form so far */
    size_t n;    /* its fields */
    sr_str body;
} sink;

static inline int sink_add(sink *k, enum sr_hdr_id id, sr_str name, sr_str value)
{
    return k->m ? sr_msg_add_header(k->m, id, name, value)
                : sr__print_field(k->out, &k->n, id, name, value);
}

static inline int add(sink *k, enum sr_hdr_id id, sr_str value)
{
    return sink_add(k, id, SR_STR_NULL, value);
}

static inline sr_str buf_str(const sr_buf *b)
{
    return (sr_str){b->p ? b->p : "", b->len};
}

/* Supply a default for header @p name of response @p code (policy @p p, scratch @p b), or
 * return SR_EMISSING. */
int sr__build_default(sink *k, const char *name, unsigned code, const sr_msg *req,
                      const sr_build_opts *o, const sr_build_policy *p, sr_buf *b);

#endif /* SIPREPLY_BUILD_SINK_H */
