/* sipreply fuzz target: the linter on any parsed message, alone and paired — the input is one
 * or two messages framed as on a stream. abort() when a count or a finding is inconsistent,
 * or when the pair checks run apart (sr_lint_msg() then sr_lint_pair_add()) differ from
 * sr_lint_pair(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const sr_lint_finding *f, size_t n, size_t cap)
{
    size_t shown = n < cap ? n : cap;
    for (size_t i = 0; i < shown; i++) {
        if (!f[i].rule || f[i].rule != sr_lint_rule_at((size_t)f[i].rule->num))
            abort();
    }
    if (sr_lint_must_count(f, shown) > shown)
        abort();
}

/* sr_lint_msg() then sr_lint_pair_add() must give what sr_lint_pair() gave (@p f, @p n) */
static void same_split(const sr_msg *resp, const sr_msg *req, const sr_lint_finding *f, size_t n)
{
    sr_lint_finding g[8];
    size_t m = sr_lint_pair_add(resp, req, g, 8, sr_lint_msg(resp, NULL, g, 8));
    if (m != n)
        abort();
    for (size_t i = 0; i < n && i < 8; i++) {
        if (g[i].rule != f[i].rule || g[i].arg != f[i].arg)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    sr_parse_opts po;
    sr_parse_opts_init(&po);
    po.framing = SR_FRAMING_STREAM;
    sr_msg *a = NULL, *b = NULL;
    if (sr_msg_parse(&a, buf, size, &po, NULL) != 0) {
        po.framing = SR_FRAMING_DATAGRAM;
        if (sr_msg_parse(&a, buf, size, &po, NULL) != 0)
            return 0;
    }
    size_t used = sr_msg_size(a);
    if (used < size && po.framing == SR_FRAMING_STREAM)
        (void)sr_msg_parse(&b, buf + used, size - used, &po, NULL); /* may fail */
    sr_lint_opts lo;
    sr_lint_opts_init(&lo);
    lo.input_len = size;
    sr_lint_finding f[8];
    size_t n = sr_lint_msg(a, &lo, f, 8);
    if (sr_lint_msg(a, &lo, NULL, 0) != n) /* the count does not depend on the array */
        abort();
    check(f, n, 8);
    if (b) {
        n = sr_lint_pair(b, a, NULL, f, 8);
        check(f, n, 8);
        same_split(b, a, f, n);
        n = sr_lint_pair(a, b, NULL, f, 8);
        check(f, n, 8);
        same_split(a, b, f, n);
    }
    sr_msg_free(b);
    sr_msg_free(a);
    return 0;
}
