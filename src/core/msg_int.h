/* sipreply core: the sr_msg structure shared by msg.c, validate.c and print.c.
 * One arena holds the struct, the copied bytes and every parsed value (STYLE.md §5). */
#ifndef SIPREPLY_MSG_INT_H
#define SIPREPLY_MSG_INT_H

#include <stdint.h>

#include "sipreply/msg.h"
#include "sipreply/parse.h"

#include "core_int.h"

#define SR__NOIDX 0xffffu

struct sr_msg {
    sr__arena arena;
    const char *bytes; /* the copy: start line .. end of body (or NULL for a built message) */
    size_t size;       /* bytes of input the message occupies */
    size_t head_len;
    sr_start_line sl;
    sr_header *hdrs;
    uint16_t *next; /* next header with the same id, SR__NOIDX at the end */
    size_t nhdrs, cap_hdrs;
    size_t orig_nhdrs; /* headers that came from the wire (printed raw) */
    uint16_t first[SR_HDR__COUNT];
    sr_str body;
    int64_t clen; /* Content-Length value, -1 absent */
    bool built;
    bool body_edited;
    sr_via *vias;
    size_t nvia;
    sr_nameaddr to, from;
    bool has_to, has_from;
    sr_cseq cseq;
    bool has_cseq;
    sr_str call_id;
    int64_t max_fwd;
    int64_t rseq;
    sr_rack rack;
    bool has_rack;
    sr_parse_error eager; /* first problem met while parsing the eager values (code 0: none) */
};

/* Append a header to the index (arena-backed arrays, copy on growth). 0 or SR_ENOMEM. */
int sr__msg_push_header(sr_msg *m, enum sr_hdr_id id, sr_str name, sr_str value, sr_str raw);

#endif /* SIPREPLY_MSG_INT_H */
