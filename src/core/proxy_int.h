/* sipreply core: helpers the proxy's forwarding and response context share.
 * RFC 3261 §16.6 (copies of requests), §16.7 step 3 (responses without our Via). */
#ifndef SIPREPLY_PROXY_INT_H
#define SIPREPLY_PROXY_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "sipreply/alloc.h"
#include "sipreply/msg.h"
#include "sipreply/str.h"

/* Add header @p h's @p value to @p m under @p h's id (or name for SR_HDR_OTHER), with any
 * line folding turned into one space (RFC 3261 §7.3.1: folding is LWS). @p scratch is reset. */
int sr__proxy_add(sr_msg *m, const sr_header *h, sr_str value, sr_buf *scratch);

/* Contacts sr__proxy_upstream() leaves out: none, or those a proxy recursed on. */
enum { SR__KEEP_CONTACTS = 0, SR__DROP_SIP = 1, SR__DROP_SIPS = 2 };

/* true when the Contact value @p v is one the proxy recurses on (RFC 3261 §16.7 step 4): a
 * sip or sips URI, only sips when @p sips_only (the request was for a sips URI); its URI in
 * *@p uri (may be NULL) and its q (1000 when absent) in *@p q (may be NULL). */
bool sr__proxy_recursable(sr_str v, bool sips_only, sr_str *uri, int *q);

/* A copy of response @p resp to go upstream (RFC 3261 §16.7 step 3, step 9): status @p status
 * with @p reason (p == NULL: @p resp's own), every header but the topmost Via value,
 * Content-Length and the Contacts @p drop names (SR__DROP_*), then the body. */
int sr__proxy_upstream(sr_msg **out, const sr_msg *resp, unsigned status, sr_str reason, int drop,
                       const sr_allocator *alloc);

/* proxy_keep.c: what a branch keeps of its forwarded request for its CANCEL (RFC 3261 §9.1)
 * and the ACK of a non-2xx final (§17.1.1.3), in one block: method, Request-URI, top Via,
 * From, To, Call-ID, CSeq, the top Via's branch (each p NULL when absent), then n_routes Route
 * values; branch is the kept branch. */
typedef struct sr__proxy_kept {
    sr_str *f;
    size_t n_routes;
    sr_str branch;
} sr__proxy_kept;
int sr__proxy_keep(sr__proxy_kept *k, const sr_msg *fwd, const sr_allocator *alloc);
void sr__proxy_keep_free(sr__proxy_kept *k, const sr_allocator *alloc);
/* The request again, from what was kept: the fields sr_build_cancel() and sr_build_ack() read,
 * with the values they read. */
int sr__proxy_kept_msg(const sr__proxy_kept *k, sr_msg **out, const sr_allocator *alloc);

/* proxy_fwd_text.c: the copy sr_proxy_forward() builds (§16.6), printed from @p req and parsed
 * once: Request-URI @p ruri, our Via value @p via (@p via_parsed, may be NULL: what
 * sr_via_parse() gives for it, slices into it, taken instead of parsing it), the Route values @p routes (written where
 * the request's first Route was, else after its headers), our Record-Route value @p rr (empty:
 * none), Max-Forwards from @p mf, o->headers. 0 and *@p out; SR_ENOMEM; anything else (a
 * value to unfold or refuse, a parse that fails): the builder's way, which decides. */
struct sr_proxy_fwd_opts;
int sr__proxy_forward_text(sr_msg **out, const sr_msg *req, sr_str ruri, sr_str via,
                           const sr_via *via_parsed, const sr_str *routes, size_t nr, sr_str rr,
                           int64_t mf, const struct sr_proxy_fwd_opts *o);

/* The copy sr__proxy_upstream() builds with every Contact kept, printed from @p resp and made
 * a message without parsing it again (@p reason as given, not NULL): the same fields, the same
 * bytes printed, fields added later printed before Content-Length as a built message prints
 * them (clen_tail). 0 and *@p out; SR_ENOMEM; anything else: the builder's way, which decides. */
int sr__proxy_upstream_text(sr_msg **out, const sr_msg *resp, unsigned status, sr_str reason,
                            const sr_allocator *alloc);
/* proxy_fwd_text.c: the CTL bytes (0x00-0x1f but HTAB, and DEL; CR and LF among them) in
 * p[0, @p n), counted 32 bytes a step; never reads outside. */
size_t sr__count_ctl(const char *p, size_t n);

#endif /* SIPREPLY_PROXY_INT_H */
