/* sipreplyd: rewriting the responses a forwarded request sends upstream, as its rule says
 * (docs/sipreplyd.md "forward"): another code or reason phrase, header fields added or
 * removed. Delays and drops are engine_forward.c's (they decide when, not what); the
 * replace draws' generator is here. */
#include "engine_forward.h"

#include <strings.h>

static bool in(const sd_rewrite *w, unsigned code)
{
    return code >= w->lo && code <= w->hi;
}

const sd_rewrite *sd__fwd_rewrite_find(const sd_forward *f, unsigned code, unsigned branch_code)
{
    for (size_t i = 0; i < f->n_rewrites; i++) {
        const sd_rewrite *w = &f->rewrites[i];
        if (in(w, code) || (branch_code && in(w, branch_code)))
            return w;
    }
    return NULL;
}

/* Whether header field @p h is one the rewrite removes (by name, any case, compact forms
 * too: "Retry-After", "v" removes Via). */
static bool removed(const sd_rewrite *w, const sr_header *h)
{
    for (char **x = w->remove; x && *x; x++) {
        sr_str name = sr_str_from_cstr(*x);
        enum sr_hdr_id id = sr_hdr_lookup(name);
        if (id != SR_HDR_OTHER ? id == h->id : sr_str_caseeq(name, h->name))
            return true;
    }
    return false;
}

int sd__fwd_rewrite(sd_engine *e, const sd_rewrite *w, const sr_msg *in_msg, sr_msg **out)
{
    unsigned code = w->to ? w->to : sr_msg_status(in_msg);
    sr_str reason;
    if (w->reason)
        reason = sr_str_from_cstr(w->reason);
    else if (w->to)
        reason = sr_str_from_cstr(sr_status_phrase((int)code)); /* the new code's phrase */
    else
        reason = sr_msg_reason(in_msg);
    sr_msg *m = NULL;
    int rc = sr_msg_new_response(&m, e->alloc, code, reason);
    for (size_t i = 0; rc == 0 && i < sr_msg_header_count(in_msg); i++) {
        const sr_header *h = sr_msg_header_at(in_msg, i);
        if (h->id == SR_HDR_CONTENT_LENGTH || removed(w, h))
            continue;
        rc = sr_msg_add_header(m, h->id, h->name, h->value);
    }
    for (size_t i = 0; rc == 0 && i < w->n_add; i++)
        rc = sr_msg_add_header(m, SR_HDR_OTHER, sr_str_from_cstr(w->add[i].name),
                               sr_str_from_cstr(w->add[i].value));
    sr_str body = sr_msg_body(in_msg);
    if (rc == 0 && body.len)
        rc = sr_msg_set_body(m, SR_STR(""), body); /* its Content-Type was copied */
    if (rc != 0) {
        sr_msg_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

uint64_t sd__fwd_rng(sd_engine *e)
{
    uint64_t z = (e->fwd_rng += 0x9e3779b97f4a7c15ULL); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
