/* sipreply core: helpers the proxy's forwarding and response context share.
 * RFC 3261 §16.6 (copies of requests), §16.7 step 3 (responses without our Via). */
#ifndef SIPREPLY_PROXY_INT_H
#define SIPREPLY_PROXY_INT_H

#include <stdbool.h>
#include <stddef.h>

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

#endif /* SIPREPLY_PROXY_INT_H */
