/* sipreply fuzz target: sr_parse_head on arbitrary bytes, whole and incrementally.
 * Invariants: never reads past len, results agree between whole and prefix parses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXH 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    sr_start_line sl;
    sr_header h[MAXH];
    size_t n = MAXH;
    sr_parse_error e = {0, 0, 0, NULL};
    ptrdiff_t r = sr_parse_head(buf, size, 0, &sl, h, &n, &e);
    if (r > 0) {
        if ((size_t)r > size || n > MAXH)
            abort();
        for (size_t i = 0; i < n; i++) {
            /* every slice lies inside the head */
            const char *lo = buf, *hi = buf + r;
            if (h[i].name.p < lo || h[i].name.p + h[i].name.len > hi || h[i].value.p < lo ||
                h[i].value.p + h[i].value.len > hi || h[i].raw.p + h[i].raw.len > hi)
                abort();
            if (h[i].id == SR_HDR_NONE || h[i].id >= SR_HDR__COUNT)
                abort();
            if (h[i].id != SR_HDR_OTHER && sr_hdr_lookup(h[i].name) != h[i].id)
                abort();
        }
        if (sl.is_request ? sl.status != 0 : (sl.status < 100 || sl.status > 699))
            abort();
        /* any shorter prefix of a complete head is incomplete */
        size_t n2 = MAXH;
        if (r > 1 && sr_parse_head(buf, (size_t)r - 1, 0, &sl, h, &n2, NULL) != SR_EAGAIN)
            abort();
        /* the prev_len fast path agrees: a call that saw r - 1 bytes returned SR_EAGAIN */
        n2 = MAXH;
        if (r > 1 && sr_parse_head(buf, size, (size_t)r - 1, &sl, h, &n2, NULL) != r)
            abort();
    } else if (r == SR_EBADMSG) {
        if (e.code != SR_EBADMSG || !e.phrase || e.offset > size)
            abort();
    } else if (r != SR_EAGAIN && r != SR_ENOSPC) {
        abort();
    }
    return 0;
}
