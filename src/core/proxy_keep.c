/* sipreply core: what a proxy branch keeps of the request it forwarded — the fields its CANCEL
 * (RFC 3261 §9.1) and the ACK of a non-2xx final (§17.1.1.3) are built from, in one block, not
 * a copy of the whole message: method, Request-URI, top Via (and its branch, which responses
 * are matched on), Route, From, To, Call-ID, CSeq.
 * The request is put together again from them only when a CANCEL or an ACK is asked for. */
#include <string.h>

#include "sipreply/print.h"

#include "core_int.h"
#include "proxy_int.h"

enum { K_METHOD = 0, K_RURI, K_VIA, K_FROM, K_TO, K_CALLID, K_CSEQ, K_BRANCH, K_FIXED };

/* The slices @p m gives for each kept field (p NULL: absent); Route values follow. */
static void fields(const sr_msg *m, sr_str *f)
{
    const sr_via *v = sr_msg_via(m, 0);
    const sr_header *from = sr_msg_header_find(m, SR_HDR_FROM, NULL);
    const sr_header *to = sr_msg_header_find(m, SR_HDR_TO, NULL);
    const sr_header *cseq = sr_msg_header_find(m, SR_HDR_CSEQ, NULL);
    f[K_METHOD] = sr_msg_method_str(m);
    f[K_RURI] = sr_msg_request_uri(m);
    f[K_VIA] = v ? v->raw : SR_STR_NULL;
    f[K_FROM] = from ? from->value : SR_STR_NULL;
    f[K_TO] = to ? to->value : SR_STR_NULL;
    f[K_CALLID] = sr_msg_call_id(m);
    f[K_CSEQ] = cseq ? cseq->value : SR_STR_NULL;
    f[K_BRANCH] = v ? v->branch : SR_STR_NULL;
}

int sr__proxy_keep(sr__proxy_kept *k, const sr_msg *fwd, const sr_allocator *alloc)
{
    sr_str f[K_FIXED];
    fields(fwd, f);
    size_t nr = 0, bytes = 0;
    for (const sr_header *h = sr_msg_header_find(fwd, SR_HDR_ROUTE, NULL); h;
         h = sr_msg_header_find(fwd, SR_HDR_ROUTE, h)) {
        nr++;
        bytes += h->value.len;
    }
    for (size_t i = 0; i < K_FIXED; i++)
        bytes += f[i].len;
    /* one block: the slices (fixed fields, then Route values), then their bytes */
    size_t n = K_FIXED + nr;
    sr_str *s = sr__malloc(alloc, n * sizeof *s + bytes + 1);
    if (!s)
        return SR_ENOMEM;
    char *w = (char *)(s + n);
    const sr_header *h = NULL;
    for (size_t i = 0; i < n; i++) {
        sr_str x;
        if (i < K_FIXED) {
            x = f[i];
        } else {
            h = sr_msg_header_find(fwd, SR_HDR_ROUTE, h);
            x = h->value;
        }
        if (!x.p) {
            s[i] = SR_STR_NULL;
            continue;
        }
        if (x.len)
            memcpy(w, x.p, x.len);
        s[i] = (sr_str){w, x.len};
        w += x.len;
    }
    k->f = s;
    k->n_routes = nr;
    k->branch = s[K_BRANCH];
    return 0;
}

void sr__proxy_keep_free(sr__proxy_kept *k, const sr_allocator *alloc)
{
    sr__free(alloc, k->f);
    k->f = NULL;
    k->n_routes = 0;
}

int sr__proxy_kept_msg(const sr__proxy_kept *k, sr_msg **out, const sr_allocator *alloc)
{
    static const enum sr_hdr_id ids[K_BRANCH] = {
        SR_HDR_NONE, SR_HDR_NONE, SR_HDR_VIA, SR_HDR_FROM, SR_HDR_TO, SR_HDR_CALL_ID, SR_HDR_CSEQ};
    sr_msg *m = NULL;
    sr_buf b;
    sr_buf_init(&b, alloc);
    int rc = sr_msg_new_request(&m, alloc, k->f[K_METHOD], k->f[K_RURI]);
    /* in the order sr_build_cancel/sr_build_ack read them: the top Via, the Routes, the rest */
    for (size_t i = K_VIA; rc == 0 && i < K_BRANCH; i++) {
        if (i == K_FROM) {
            for (size_t r = 0; rc == 0 && r < k->n_routes; r++) {
                sr_header h = {.id = SR_HDR_ROUTE};
                rc = sr__proxy_add(m, &h, k->f[K_FIXED + r], &b);
            }
        }
        if (rc == 0 && k->f[i].p && i == K_CALLID) {
            /* taken as it is, as sr_build_cancel/sr_build_ack take it (never unfolded) */
            rc = sr_msg_add_header(m, SR_HDR_CALL_ID, SR_STR_NULL, k->f[i]);
        } else if (rc == 0 && k->f[i].p) {
            sr_header h = {.id = ids[i]};
            rc = sr__proxy_add(m, &h, k->f[i], &b);
        }
    }
    sr_buf_cleanup(&b);
    if (rc) {
        sr_msg_free(m);
        return rc;
    }
    *out = m;
    return 0;
}
