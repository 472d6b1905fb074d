/* sipreply fuzz target: sr_msg_parse → validate → typed accessors → print → re-parse → compare.
 * abort() on any broken invariant; every message is freed (leaks show under ASan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch_values(const sr_msg *m)
{
    /* exercise every on-demand parser on every header value */
    for (size_t i = 0; i < sr_msg_header_count(m); i++) {
        const sr_header *h = sr_msg_header_at(m, i);
        size_t pos = 0;
        sr_str it;
        while (sr_value_next(h->value, &pos, &it)) {
            if (it.len > h->value.len)
                abort();
            sr_via v;
            sr_contact c;
            sr_nameaddr na;
            sr_cseq cs;
            sr_rack ra;
            sr_retry_after rt;
            sr_auth au;
            sr_parse_error e;
            if (sr_via_parse(&v, it, &e) && (e.offset > it.len || !e.phrase))
                abort();
            if (sr_contact_parse(&c, it, &e) == 0 && !c.star && c.addr.uri.len == 0)
                abort();
            (void)sr_nameaddr_parse(&na, it, NULL); /* result checked by contact above */
            (void)sr_cseq_parse(&cs, it, NULL);     /* must only not crash */
            (void)sr_rack_parse(&ra, it, NULL);
            (void)sr_retry_after_parse(&rt, it, NULL);
            if (sr_auth_parse(&au, h->value, NULL) == 0) {
                size_t ap = 0;
                sr_str an, av;
                while (sr_auth_param_next(&au, &ap, &an, &av))
                    if (ap > au.params.len)
                        abort();
            }
            char tmp[64];
            (void)sr_str_unquote(it, tmp, sizeof tmp);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sr_msg *m = NULL;
    sr_parse_error e = {0, 0, 0, NULL};
    int rc = sr_msg_parse(&m, (const char *)data, size, NULL, &e);
    if (rc) {
        if (m || !e.phrase || e.code != rc || (rc != SR_EBADMSG && rc != SR_ETOOBIG))
            abort();
        return 0;
    }
    if (sr_msg_size(m) > size)
        abort();
    sr_parse_error ve;
    if (sr_msg_validate(m, &ve) && !ve.phrase)
        abort();
    touch_values(m);

    /* the lazy Via list: entered from the far end instead of through validation, it holds the
     * same values and validation gives the same verdict */
    {
        size_t nv = sr_msg_via_count(m);
        sr_msg *ml = NULL;
        if (sr_msg_parse(&ml, (const char *)data, size, NULL, NULL) != 0)
            abort();
        if ((nv && !sr_msg_via(ml, nv - 1)) || sr_msg_via(ml, nv) || sr_msg_via_count(ml) != nv)
            abort();
        for (size_t k = 0; k < nv; k++) {
            const sr_via *x = sr_msg_via(m, k), *y = sr_msg_via(ml, k);
            if (!sr_str_eq(x->raw, y->raw) || !sr_str_eq(x->branch, y->branch) ||
                x->port != y->port)
                abort();
        }
        sr_parse_error le;
        int lrc = sr_msg_validate(ml, &le), vrc = sr_msg_validate(m, &ve);
        if (lrc != vrc || (lrc && (le.offset != ve.offset || le.phrase != ve.phrase)))
            abort();
        sr_msg_free(ml);
    }

    /* print → identical bytes → re-parse → same structure */
    sr_buf b;
    sr_buf_init(&b, NULL);
    if (sr_msg_print(m, &b) != 0 || b.len != sr_msg_size(m) || memcmp(b.p, data, b.len) != 0)
        abort();
    sr_msg *m2 = NULL;
    if (sr_msg_parse(&m2, b.p, b.len, NULL, NULL) != 0)
        abort();
    if (sr_msg_header_count(m2) != sr_msg_header_count(m) ||
        sr_msg_via_count(m2) != sr_msg_via_count(m) || !sr_str_eq(sr_msg_body(m2), sr_msg_body(m)))
        abort();
    for (size_t i = 0; i < sr_msg_header_count(m); i++) {
        const sr_header *a = sr_msg_header_at(m, i), *c = sr_msg_header_at(m2, i);
        if (a->id != c->id || !sr_str_eq(a->value, c->value) || !sr_str_eq(a->name, c->name))
            abort();
    }

    /* an edit prints canonically and still parses (within the default caps: 256 header
     * fields, 65535 bytes) */
    if (sr_msg_header_count(m) < 256 - 1 && sr_msg_size(m) < 65535 - 64 &&
        sr_msg_add_header(m, SR_HDR_OTHER, SR_STR("X-Fuzz"), SR_STR("1")) == 0) {
        b.len = 0;
        if (sr_msg_print(m, &b) != 0)
            abort();
        sr_msg *m3 = NULL;
        if (sr_msg_parse(&m3, b.p, b.len, NULL, NULL) != 0)
            abort();
        if (sr_msg_header_count(m3) != sr_msg_header_count(m))
            abort();
        sr_msg_free(m3);
    }
    sr_msg_free(m2);
    sr_buf_cleanup(&b);
    sr_msg_free(m);
    return 0;
}
