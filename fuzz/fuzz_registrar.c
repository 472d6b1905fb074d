/* sipreply fuzz target: the registrar fed a sequence of messages and time steps. The input is
 * split at NUL bytes; each piece is one step: its first byte advances the clock (in seconds),
 * the rest is parsed as a message and, when it is a REGISTER, handled. Lookups, iteration,
 * purges and the deadline are checked against each other; every response must print, parse
 * back with the code decided and carry the headers its code requires. abort() on a broken
 * invariant. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_cb(const sr_binding *b, void *user)
{
    size_t *n = user;
    if (b->expires == 0 || b->uri.len == 0 || b->aor.len == 0)
        abort();
    (*n)++;
    return 0;
}

static void check_response(const sr_msg *resp, const sr_msg *req, unsigned code)
{
    sr_buf b;
    sr_buf_init(&b, NULL);
    if (sr_msg_print(resp, &b) != 0)
        abort();
    sr_msg *back = NULL;
    if (sr_msg_parse(&back, b.p, b.len, NULL, NULL) != 0 || sr_msg_status(back) != code)
        abort();
    sr_lint_finding f[64];
    size_t n = sr_lint_pair(back, req, NULL, f, 64);
    for (size_t i = 0; i < n && i < 64; i++) {
        if (f[i].rule->num == SR_LINT_RESP_CODE_HEADER || f[i].rule->num == SR_LINT_RESP_TO_TAG ||
            f[i].rule->num == SR_LINT_RESP_REASON || f[i].rule->num == SR_LINT_MSG_CONTENT_LENGTH)
            abort();
    }
    if (code == 423 && !sr_msg_header_find(back, SR_HDR_MIN_EXPIRES, NULL))
        abort();
    sr_msg_free(back);
    sr_buf_cleanup(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sr_registrar_config c;
    sr_registrar_config_init(&c);
    c.max_aors = 4;
    c.max_bindings = 3;
    sr_registrar *r = NULL;
    if (sr_registrar_new(&r, &c) != 0)
        abort();
    uint64_t now = 1000000;
    size_t i = 0;
    while (i < size) {
        size_t e = i;
        while (e < size && data[e] != 0)
            e++;
        now += (uint64_t)data[i] * 1000u;
        if (e > i + 1) {
            size_t len = e - i - 1;
            char *copy = malloc(len);
            if (!copy)
                abort();
            memcpy(copy, data + i + 1, len);
            sr_msg *req = NULL, *resp = NULL;
            if (sr_msg_parse(&req, copy, len, NULL, NULL) == 0 && sr_msg_is_request(req) &&
                sr_msg_method(req) == SR_METHOD_REGISTER) {
                sr_registrar_outcome oc;
                sr_registrar_opts o;
                sr_registrar_opts_init(&o);
                o.date = SR_STR("Sat, 28 Nov 2026 14:00:00 GMT");
                int rc = sr_registrar_handle(r, req, now, &o, &resp, &oc);
                if (rc == 0) {
                    if (oc.code != 200 && oc.code != 400 && oc.code != 404 && oc.code != 423 &&
                        oc.code != 500 && oc.code != 503)
                        abort();
                    check_response(resp, req, oc.code);
                    if (oc.code == 200 && oc.bindings > c.max_bindings)
                        abort();
                } else if (rc != SR_EINVAL && rc != SR_EMISSING && rc != SR_EUNSUPPORTED) {
                    abort(); /* the builder refuses some requests (e.g. no Via) */
                }
                sr_msg_free(resp);
            }
            sr_msg_free(req);
            free(copy);
        }
        /* Consistency: iteration sees only live bindings, never more than held. */
        size_t n = 0;
        if (sr_registrar_foreach(r, now, count_cb, &n) != 0)
            abort();
        if (n > sr_registrar_binding_count(r) || sr_registrar_aor_count(r) > c.max_aors ||
            sr_registrar_binding_count(r) > c.max_aors * c.max_bindings)
            abort();
        uint64_t d = sr_registrar_next_deadline(r);
        if ((d == UINT64_MAX) != (sr_registrar_binding_count(r) == 0))
            abort();
        if (data[i] == 0xff) {
            size_t before = sr_registrar_binding_count(r);
            size_t gone = sr_registrar_purge(r, now);
            if (gone > before || sr_registrar_binding_count(r) != before - gone)
                abort();
        }
        i = e + 1;
    }
    /* Far in the future everything has expired. */
    sr_registrar_purge(r, UINT64_MAX - 1);
    if (sr_registrar_binding_count(r) != 0 || sr_registrar_aor_count(r) != 0 ||
        sr_registrar_next_deadline(r) != UINT64_MAX)
        abort();
    sr_registrar_free(r);
    return 0;
}
