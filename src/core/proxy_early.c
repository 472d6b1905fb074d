/* sipreply core: the proxy's early dialogs and the 199 that ends them (RFC 6228 §6). */
#include <string.h>

#include "sipreply/build.h"
#include "sipreply/print.h"

#include "build_int.h"
#include "core_int.h"
#include "proxy_ctx.h"
#include "proxy_int.h"

int sr__proxy_build_199(sr_proxy *p, const edlg *e, unsigned cause, sr_msg **out)
{
    sr_msg *m = NULL;
    sr_buf b;
    sr_buf_init(&b, p->alloc);
    int rc = sr_msg_new_response(&m, p->alloc, 199, SR_STR("Early Dialog Terminated"));
    for (size_t i = 0; rc == 0 && i < sr_msg_header_count(p->req); i++) {
        const sr_header *h = sr_msg_header_at(p->req, i);
        switch (h->id) {
        case SR_HDR_VIA:
        case SR_HDR_FROM:
        case SR_HDR_CALL_ID:
        case SR_HDR_CSEQ: rc = sr__proxy_add(m, h, h->value, &b); break;
        case SR_HDR_TO: rc = sr__proxy_add(m, h, (sr_str){e->to, e->to_len}, &b); break;
        default: break;
        }
    }
    /* RFC 6228 §6: a Reason (RFC 3326) naming the final that ended the early dialog. */
    char num[12];
    b.len = 0;
    if (rc == 0 && (rc = sr_buf_append_cstr(&b, "SIP;cause=")) == 0 &&
        (rc = sr_buf_append(&b, num, sr__u32_to_dec(cause, num))) == 0)
        rc = sr_msg_add_header(m, SR_HDR_REASON, SR_STR_NULL, (sr_str){b.p, b.len});
    sr_buf_cleanup(&b);
    if (rc) {
        sr_msg_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int sr__proxy_note_early(sr_proxy *p, pbranch *b, const sr_msg *resp)
{
    const sr_nameaddr *to = sr_msg_to(resp);
    const sr_header *h = sr_msg_header_find(resp, SR_HDR_TO, NULL);
    if (!to || !to->tag.len || !h)
        return 0;
    for (size_t i = 0; i < b->ned; i++) {
        if (sr_str_eq(b->ed[i].tag, to->tag)) {
            if (sr_msg_status(resp) == 199) { /* reported downstream already: forwarded */
                sr__free(p->alloc, b->ed[i].to);
                b->ed[i] = b->ed[--b->ned];
            }
            return 0;
        }
    }
    if (sr_msg_status(resp) == 199 || to->tag.p < h->value.p ||
        to->tag.p + to->tag.len > h->value.p + h->value.len)
        return 0;
    edlg *ed = sr__realloc(p->alloc, b->ed, (b->ned + 1) * sizeof *ed);
    if (!ed)
        return SR_ENOMEM;
    b->ed = ed;
    char *s = sr__malloc(p->alloc, h->value.len + 1);
    if (!s)
        return SR_ENOMEM;
    memcpy(s, h->value.p, h->value.len);
    ed[b->ned].to = s;
    ed[b->ned].to_len = h->value.len;
    ed[b->ned].tag = (sr_str){s + (to->tag.p - h->value.p), to->tag.len};
    b->ned++;
    return 0;
}
