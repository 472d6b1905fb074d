/* sipreply core: the sr_msg structure shared by msg.c, validate.c and print.c.
 * One arena holds the struct, the copied bytes and every parsed value (STYLE.md §5). */
#ifndef SIPREPLY_MSG_INT_H
#define SIPREPLY_MSG_INT_H

#include <stdint.h>

#include "sipreply/msg.h"
#include "sipreply/parse.h"

#include "core_int.h"

#define SR__NOIDX     0xffffu
#define SR__HDRS_HARD 65000u /* header fields a message holds at most (parsed or built) */

struct sr_msg {
    sr__arena arena;
    const char *bytes; /* the copy: start line .. end of body (or NULL for a built message) */
    size_t size;       /* bytes of input the message occupies */
    size_t head_len;
    /* sr_parse_head found a plain head (sr__parse_head_plain): sr_frame_datagram_msg() can
     * tell the datagram framer's result without scanning the bytes again */
    bool plain_head;
    /* Sharing (sr__msg_share, msg_dup.c): holders besides the first, and the sharer's
     * callback with its two pointers (NULL: none). Zeroed with the struct. */
    uint32_t refs;
    sr__msg_share_cb share_cb;
    void *share_u1, *share_u2;
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
    /* the one Content-Length is the last field, the body's length: fields added print before
     * it, computed, as a built message's do (sr__proxy_upstream_text) */
    bool clen_tail;
    /* no value of the fields it was made with (the first orig_nhdrs) holds a CTL: a copy
     * proxy_fwd_text.c wrote, checking each; false otherwise (not known) */
    bool values_clean;
    /* The Via list: the top value is parsed by sr_msg_parse, the rest on the first call that
     * needs it (sr__msg_vias_all), into room sr_msg_parse reserved (no allocation later). */
    sr_via *vias;           /* &via0, or an arena array of via_cap values */
    size_t nvia;            /* values parsed so far */
    size_t via_cap;         /* room in vias */
    size_t via_k;           /* header holding the next value to parse, SR__NOIDX when done */
    size_t via_pos;         /* sr_value_next position inside it */
    sr_parse_error via_err; /* the first Via value that does not parse (code 0: none) */
    bool has_to, has_from;
    sr_cseq cseq;
    bool has_cseq;
    sr_str call_id;
    int64_t max_fwd;
    int64_t rseq;
    bool has_rack;
    /* SR__STALE_* bits: a header added by sr_msg_add_header whose typed value is parsed on
     * first use (sr__msg_fresh), not when it is added: a builder's response is mostly printed
     * and sent, never read back. */
    uint8_t stale;
    sr_parse_error eager; /* first problem met while parsing the eager values (code 0: none) */
    /* sr_msg_validate() found the Request-URI parses (sr_uri_parse): sr__msg_ruri_scheme
     * takes its word for it (the start line never changes) */
    bool ruri_ok;
    /* Filled by their parsers before any read (has_to, has_from, has_rack, nvia say which
     * hold a value): sr_msg_parse does not clear them. Keep them last. */
    sr_via via0;
    sr_nameaddr to, from;
    sr_rack rack;
};

/* sr_parse_head() that also says whether the head is plain: no CR or LF before
 * the start line, every line (the empty one too) ended by CRLF, no line folded. A plain
 * head's first CRLFCRLF is its empty line, and its header lines are the lines between the
 * start line and that one, byte for byte: what sr_frame_datagram() reads (frame.c).
 * @p plain is written on success only. */
ptrdiff_t sr__parse_head_plain(const char *buf, size_t len, size_t prev_len, sr_start_line *sl,
                               sr_header *hdrs, size_t *num_hdrs, sr_parse_error *err, bool *plain);

/* build_ack.c: a head read in place, as sr_msg_parse() would read it, for the ACKs recognised
 * without a message (sr_build_parse_absorb_ack, sr_stack_absorb_ack). sr__head_accepted: the
 * head of @p buf in @p sl and @p hv (room for *@p nh fields; *@p nh set to the count) and its
 * length when sr_msg_parse() with @p opts (complete, size set) accepts the message: the head
 * parses, every Content-Length parses and agrees, the body is all there (RFC 3261 §18.3),
 * the whole fits max_size; -1 when it refuses it or this cannot tell (more fields than *@p
 * nh, even within max_headers); *@p plain as sr__parse_head_plain says. Validation
 * (SR_PARSE_VALIDATE) is the caller's to rule out.
 * sr__head_top_via: the top Via value sr_msg_via(m, 0) gives for that message, the first
 * Via field being hv[@p k] (@p k = @p nh: none) and the next one hv[@p k2] (@p nh: none),
 * parsed into @p v; NULL when none parses. */
ptrdiff_t sr__head_accepted(const char *buf, size_t len, const sr_parse_opts *opts,
                            sr_start_line *sl, sr_header *hv, size_t *nh, bool *plain);
const sr_via *sr__head_top_via(const sr_header *hv, size_t nh, size_t k, size_t k2, sr_via *v);
/* sr__head_ack_fields: where the first Via, To, From, CSeq and Call-ID fields of hv[@p nh] are
 * (@p nh: none), the fields an ACK read from its head is matched on, and the second Via field
 * (via2, sr__head_top_via's @p k2). */
typedef struct sr__ack_idx {
    size_t via, to, from, cseq, cid, via2;
} sr__ack_idx;
void sr__head_ack_fields(const sr_header *hv, size_t nh, sr__ack_idx *f);
/* msg.c: what sr_msg_parse() with @p opts (complete, size set) returns for @p buf once
 * sr__head_accepted() with @p opts (or a smaller max_size) has accepted its head: @p head
 * bytes, @p sl, @p hv[@p nh], @p plain as it gave them (no more fields than sr_msg_parse's
 * stack array holds, 64): the message, its eager values, validation. */
int sr__msg_parse_rest(sr_msg **out, const char *buf, size_t len, const sr_parse_opts *opts,
                       size_t head, const sr_start_line *sl, const sr_header *hv, size_t nh,
                       bool plain, sr_parse_error *err);
/* @p opts as sr_msg_parse() takes them: itself when whole, else its fields over the defaults
 * in @p def (NULL: the defaults), with def's size set; the pointer to use either way. */
const sr_parse_opts *sr__parse_opts_full(const sr_parse_opts *opts, sr_parse_opts *def);
/* The Request-URI check of the start line's parser (parse_head.c): 0 or SR_EBADMSG. */
int sr__check_request_uri(const char *p, size_t len);

/* The start line ending at @p end, followed by its CRLF, as sr_parse_head() parses it. */
int sr__parse_start_line(const char *buf, size_t end, sr_start_line *sl, sr_parse_error *err);

/* The message sr_msg_parse() gives for the message in @p buf[@p len] when the caller wrote
 * its head itself and knows its fields: a plain head (msg_int.h, sr__parse_head_plain) whose
 * start line ends at @p line_end (its CRLF excluded), whose empty line ends at @p head, and
 * whose fields @p hv[@p nh] are what sr_parse_head() would find in it (slices into @p buf:
 * the id of the name, the value trimmed, raw from the name through the CRLF); the body is the
 * rest, as long as its one Content-Length says. Nothing is scanned again but the start line.
 * With @p like: a To, From or CSeq holding the bytes of the first of @p like, which parsed,
 * is parsed on first use, as a built message's (sr__msg_fresh); with @p lazy_via every Via
 * value is, else the values after the top one are taken from @p like when it parsed them all
 * from the same bytes. The accessors then read what they read of the parsed message.
 * SR_EINVAL when the start line or Content-Length say otherwise (the caller then parses),
 * SR_ENOMEM. */
int sr__msg_from_head(sr_msg **out, const char *buf, size_t len, size_t line_end, size_t head,
                      const sr_header *hv, size_t nh, const sr_msg *like, bool lazy_via,
                      const sr_allocator *alloc);

/* What the writer of a head knows of it already, exactly as the parser would find it (slices
 * into the same buffer): its start line (sr__parse_start_line's result), its top Via value
 * (sr_via_parse's result for the first value of the first Via field, taken when its raw is
 * that value). NULL: parsed. */
typedef struct sr__head_known {
    const sr_start_line *sl;
    const sr_via *top_via;
    /* SR__STALE_TO, _FROM, _CSEQ: which of those like @p like's are moved onto the copy now
     * (sr__msg_take_like, for a reader that comes next); the rest are parsed on first use */
    unsigned take;
} sr__head_known;

/* sr__msg_from_head() with what @p known (may be NULL) gives taken instead of parsed. */
int sr__msg_from_head_k(sr_msg **out, const char *buf, size_t len, size_t line_end, size_t head,
                        const sr_header *hv, size_t nh, const sr_msg *like, bool lazy_via,
                        const sr__head_known *known, const sr_allocator *alloc);

/* msg_made.c, for sr__msg_from_head: whether the first value of header @p id in @p like holds
 * the bytes of @p v and parsed (@p has, not @p stale); the Via values after the top one taken
 * from @p like (parsed from the same bytes) when it has them all; every Via value left to be
 * parsed on first use, room reserved. */
bool sr__msg_like_parsed(const sr_msg *like, enum sr_hdr_id id, unsigned stale, bool has, sr_str v);
void sr__msg_take_lower_vias(sr_msg *m, const sr_msg *like);
/* @p like's parsed To, From or CSeq (@p id), sr__msg_like_parsed() true for it, moved onto
 * @p m's first field of @p id (its has_* set); false when it cannot be (then parse it). */
bool sr__msg_take_like(sr_msg *m, const sr_msg *like, enum sr_hdr_id id);
/* *@p out: @p in (a parsed value: every slice inside its raw) with its slices moved from
 * [@p from, @p from + @p len] onto @p to; false (nothing written) when its raw lies elsewhere. */
bool sr__via_move(sr_via *out, const sr_via *in, const char *from, size_t len, const char *to);
int sr__msg_lazy_vias(sr_msg *m);

/* Whether the Request-URI of request @p m parses (sr_uri_parse): 0 with its scheme in
 * *@p scheme, or SR_EBADMSG. After sr_msg_validate() passed on @p m, the URI is not parsed
 * again: the scheme follows from the text before its first ':' (validate.c). */
int sr__msg_ruri_scheme(const sr_msg *m, int *scheme);

/* Parse the Via values after the top one (no allocation; idempotent). */
void sr__msg_vias_all(sr_msg *m);

enum {
    SR__STALE_TO = 1u << 0,
    SR__STALE_FROM = 1u << 1,
    SR__STALE_CSEQ = 1u << 2,
    SR__STALE_RACK = 1u << 3,
};

/* Parse the typed values among @p which (SR__STALE_* bits) whose headers were added since;
 * idempotent. Like the Via list, this writes into a message its accessors take as const. */
void sr__msg_fresh(sr_msg *m, unsigned which);

/* Append a header to the index (arena-backed arrays, copy on growth). 0 or SR_ENOMEM. */
int sr__msg_push_header(sr_msg *m, enum sr_hdr_id id, sr_str name, sr_str value, sr_str raw);

/* The printed form of a response built field by field (sr_build_response_print): the checks
 * of sr_msg_new_response, sr_msg_add_header and sr_msg_set_body, and the bytes sr_msg_print
 * would give for the message they build, appended to @p out. */
int sr__print_status(sr_buf *out, unsigned status, sr_str reason);
/* @p count: the fields so far; SR_ETOOBIG past SR__HDRS_HARD, as sr__msg_push_header. */
int sr__print_field(sr_buf *out, size_t *count, enum sr_hdr_id id, sr_str name, sr_str value);
/* As sr__print_field for a known id (not SR_HDR_OTHER) whose @p value has no CTL byte (a
 * caller's sr__scan_ctl said so): the same line, without scanning the value again. */
int sr__print_field_clean(sr_buf *out, size_t *count, enum sr_hdr_id id, sr_str value);
/* A field whose value the caller appends to @p out itself, with no scratch copy: _open
 * writes the name of known id @p id (not SR_HDR_OTHER or Content-Length) and ": ", *@p mark
 * where the field starts; the caller appends the value (@p rc its outcome); _close checks
 * and trims it and ends the line as sr__print_field would, or takes the whole field back
 * (out->len = mark) and returns the error (@p rc, SR_EINVAL, SR_ETOOBIG, SR_ENOMEM). */
int sr__print_field_open(sr_buf *out, enum sr_hdr_id id, size_t *mark);
int sr__print_field_close(sr_buf *out, size_t *count, enum sr_hdr_id id, size_t mark, int rc);
bool sr__print_type_ok(sr_str type);
int sr__print_end(sr_buf *out, sr_str body);

#endif /* SIPREPLY_MSG_INT_H */
