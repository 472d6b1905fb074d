/* sipreply fuzz target: the linter's memo (sr_lint_cache) against no memo — the input is one
 * or more messages framed as on a stream (or one datagram), each linted alone and against
 * the one before it, through one small cache kept across inputs (so it is full and evicts,
 * and entries of earlier inputs meet later ones). abort() when a finding differs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sr_lint_cache *cache;

static void same(const sr_lint_finding *a, size_t na, const sr_lint_finding *b, size_t nb)
{
    if (na != nb)
        abort();
    for (size_t i = 0; i < na && i < 16; i++) {
        if (a[i].rule != b[i].rule || a[i].arg != b[i].arg)
            abort();
    }
}

static void lint_both(const sr_msg *m, const sr_msg *prev, size_t input_len)
{
    sr_lint_opts plain, memo;
    sr_lint_opts_init(&plain);
    sr_lint_opts_init(&memo);
    plain.input_len = memo.input_len = input_len;
    memo.cache = cache;
    sr_lint_finding f0[16], f1[16];
    for (int pass = 0; pass < 2; pass++) { /* filling, then from the cache */
        same(f0, sr_lint_msg(m, &plain, f0, 16), f1, sr_lint_msg(m, &memo, f1, 16));
        if (prev) {
            same(f0, sr_lint_pair(m, prev, &plain, f0, 16), f1,
                 sr_lint_pair(m, prev, &memo, f1, 16));
            same(f0, sr_lint_pair(prev, m, &plain, f0, 16), f1,
                 sr_lint_pair(prev, m, &memo, f1, 16));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cache && sr_lint_cache_new(&cache, 4096, NULL) != 0)
        abort();
    const char *buf = (const char *)data;
    sr_parse_opts po;
    sr_parse_opts_init(&po);
    sr_msg *m = NULL;
    if (sr_msg_parse(&m, buf, size, &po, NULL) == 0) { /* one datagram */
        lint_both(m, NULL, size);
        sr_msg_free(m);
    }
    po.framing = SR_FRAMING_STREAM;
    sr_msg *prev = NULL;
    size_t off = 0;
    for (int k = 0; k < 8 && off < size; k++) {
        if (sr_msg_parse(&m, buf + off, size - off, &po, NULL) != 0)
            break;
        lint_both(m, prev, 0);
        off += sr_msg_size(m);
        sr_msg_free(prev);
        prev = m;
    }
    sr_msg_free(prev);
    return 0;
}
