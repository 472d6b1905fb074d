/* sipreply fuzz target: sr_uas_parse_check → sr_uas_respond / sr_build_response → print →
 * re-parse → lint (sr_build_response_print giving the same bytes), plus ACK and CANCEL. abort() when a built response breaks an invariant. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Print @p m, parse it back and check the status and the To tag survived. */
static void reparse_and_lint(const sr_msg *resp, const sr_msg *req, unsigned code)
{
    sr_buf b;
    sr_buf_init(&b, NULL);
    if (sr_msg_print(resp, &b) != 0)
        abort();
    sr_msg *back = NULL;
    if (sr_msg_parse(&back, b.p, b.len, NULL, NULL) == 0) {
        if (sr_msg_status(back) != code)
            abort();
        sr_lint_finding f[64];
        size_t n = sr_lint_pair(back, req, NULL, f, 64);
        for (size_t i = 0; i < n && i < 64; i++) {
            /* the builder never breaks these, whatever the request */
            if (f[i].rule->num == SR_LINT_RESP_TO_TAG || f[i].rule->num == SR_LINT_RESP_TO_ACK ||
                f[i].rule->num == SR_LINT_RESP_487_CANCEL ||
                f[i].rule->num == SR_LINT_RESP_PROVISIONAL_NON_INVITE ||
                f[i].rule->num == SR_LINT_PAIR_405_ALLOW)
                abort();
        }
        sr_msg_free(back);
    }
    sr_buf_cleanup(&b);
}

/* sr_build_response_print must give what sr_build_response and sr_msg_print give: the same
 * result, the same error, the same bytes (after what @p b held already). */
static void same_as_printed(const sr_msg *req, unsigned code, const sr_build_opts *o)
{
    sr_msg *m = NULL;
    sr_build_error e1, e2;
    int rc1 = sr_build_response(&m, req, code, o, &e1);
    sr_buf a, b;
    sr_buf_init(&a, NULL);
    sr_buf_init(&b, NULL);
    if (sr_buf_append_cstr(&b, "x") != 0)
        abort();
    int rc2 = sr_build_response_print(&b, req, code, o, &e2);
    if (rc1 != rc2 || e1.code != e2.code || e1.header != e2.header || e1.what != e2.what)
        abort();
    if (rc1 == 0 && (sr_msg_print(m, &a) != 0 || a.len + 1 != b.len || b.p[0] != 'x' ||
                     memcmp(a.p, b.p + 1, a.len) != 0))
        abort();
    if (rc1 != 0 && b.len != 1)
        abort();
    sr_msg_free(m);
    sr_buf_cleanup(&a);
    sr_buf_cleanup(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sr_msg *req = NULL, *resp = NULL, *resp2 = NULL, *cancel = NULL, *ack = NULL;
    sr_uas_verdict v;
    sr_uas_policy p;
    sr_uas_policy_init(&p);
    p.proxy = size % 2 == 1;
    if (sr_uas_parse_check(&req, (const char *)data, size, NULL, &p, &v) != 0 || !req)
        return 0;
    sr_lint_finding f[64];
    (void)sr_lint_msg(req, NULL, f, 64); /* must only not crash */
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.flags = SR_BUILD_DEFAULTS;
    if ((size / 2) % 2 == 1) { /* the top Via stamped with a source (§18.2.1, RFC 3581) */
        o.source_host = sr_str_from_cstr((size / 4) % 2 ? "[2001:db8::1]" : "192.0.2.9");
        o.source_port = 5099;
    }
    sr_build_policy bp;
    sr_build_policy_init(&bp);
    static const char *const contacts[] = {"sip:fuzz@192.0.2.1", NULL};
    bp.contacts = contacts;
    o.policy = &bp;
    if (v.code && sr_uas_respond(&resp, req, &v, &p, &o, NULL) == 0)
        reparse_and_lint(resp, req, v.code);
    /* and a code chosen by the input, built with defaults */
    unsigned code = 100u + (unsigned)(size * 7u % 600u);
    same_as_printed(req, code, &o);
    if (sr_build_response(&resp2, req, code, &o, NULL) == 0) {
        reparse_and_lint(resp2, req, code);
        if (code >= 300 && sr_msg_method(req) == SR_METHOD_INVITE &&
            sr_build_ack(&ack, req, resp2, NULL) == 0 && sr_msg_method(ack) != SR_METHOD_ACK)
            abort();
    }
    if (sr_msg_method(req) == SR_METHOD_INVITE && sr_build_cancel(&cancel, req, NULL) == 0 &&
        sr_msg_method(cancel) != SR_METHOD_CANCEL)
        abort();
    sr_msg_free(ack);
    sr_msg_free(cancel);
    sr_msg_free(resp2);
    sr_msg_free(resp);
    sr_msg_free(req);
    return 0;
}
