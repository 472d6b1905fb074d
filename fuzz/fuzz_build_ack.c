/* sipreply fuzz target: sr_build_parse_absorb_ack() against sr_msg_parse() and
 * sr_build_ack_is_ours(). For the input as it is, and again with its To tag replaced by the
 * tag sr_build_to_tag() derives from it (so that the ACKs "of ours" are reached, which no
 * mutation finds by chance), the ACK is absorbed exactly when sr_msg_parse() accepts the
 * bytes and sr_build_ack_is_ours() finds them ours; otherwise both return the same code and
 * error, and the message given back prints as sr_msg_parse()'s. abort() on any difference. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[SR_BUILD_KEY_LEN] = {0x5a, 1, 2,  3,  4,  5,  6,  7,
                                              8,    9, 10, 11, 12, 13, 14, 15};

static void same_print(const sr_msg *a, const sr_msg *b)
{
    sr_buf x, y;
    sr_buf_init(&x, NULL);
    sr_buf_init(&y, NULL);
    int rx = sr_msg_print(a, &x), ry = sr_msg_print(b, &y);
    if (rx != ry || x.len != y.len || (x.len && memcmp(x.p, y.p, x.len) != 0))
        abort();
    sr_buf_cleanup(&x);
    sr_buf_cleanup(&y);
}

/* one comparison; the reference message (NULL when it did not parse) */
static void agree(const char *buf, size_t len, const sr_parse_opts *o, const uint8_t *k)
{
    sr_msg *ref = NULL;
    sr_parse_error re = {0, 0, 0, NULL};
    int rrc = sr_msg_parse(&ref, buf, len, o, &re);
    bool ours = rrc == 0 && sr_build_ack_is_ours(ref, k);
    sr_msg *got = (sr_msg *)(uintptr_t)1; /* must stay untouched unless a message is given */
    sr_parse_error ge = {0, 0, 0, NULL};
    int grc = sr_build_parse_absorb_ack(&got, buf, len, o, k, &ge);
    if (ours) {
        if (grc != SR_BUILD_ACK_ABSORBED || got != (sr_msg *)(uintptr_t)1)
            abort();
    } else if (grc != rrc) {
        abort();
    } else if (grc == 0) {
        if (got == (sr_msg *)(uintptr_t)1 || sr_build_ack_is_ours(got, k))
            abort();
        same_print(ref, got);
        sr_msg_free(got);
    } else if (got != (sr_msg *)(uintptr_t)1 || ge.code != re.code || ge.offset != re.offset ||
               ge.hdr != re.hdr || (ge.phrase == NULL) != (re.phrase == NULL) ||
               (ge.phrase && strcmp(ge.phrase, re.phrase) != 0)) {
        abort();
    }
    sr_msg_free(ref);
}

static void agree_all(const char *buf, size_t len)
{
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    agree(buf, len, &o, key);
    agree(buf, len, NULL, NULL);
    o.flags = SR_PARSE_VALIDATE;
    agree(buf, len, &o, key);
    sr_parse_opts_init(&o);
    o.framing = SR_FRAMING_STREAM;
    agree(buf, len, &o, key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    agree_all(in, size);
    /* the same bytes with the To tag the fields derive: an ACK of ours when they parse */
    sr_msg *m = NULL;
    if (sr_msg_parse(&m, in, size, NULL, NULL) != 0)
        return 0;
    const sr_nameaddr *to = sr_msg_to(m);
    char tag[SR_BUILD_TAG_LEN + 1];
    char *copy = malloc(size ? size : 1);
    if (to && to->tag.len == SR_BUILD_TAG_LEN && copy && sr_build_to_tag(m, key, tag) == 0) {
        /* the message holds a copy of the bytes from the first (CRLFs before the start
         * line included, RFC 3261 §7.5): the tag sits at the same offset in the input */
        const sr_start_line *sl = sr_msg_start_line(m);
        size_t lead = 0;
        while (lead < size && (in[lead] == '\r' || in[lead] == '\n'))
            lead++;
        size_t off = lead + (size_t)(to->tag.p - sl->method.p);
        if (sl->is_request && off + SR_BUILD_TAG_LEN <= size &&
            memcmp(in + off, to->tag.p, SR_BUILD_TAG_LEN) == 0) {
            memcpy(copy, in, size);
            memcpy(copy + off, tag, SR_BUILD_TAG_LEN);
            agree_all(copy, size);
        }
    }
    free(copy);
    sr_msg_free(m);
    return 0;
}
