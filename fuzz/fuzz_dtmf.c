/* sipreply fuzzing: dtmf.h — sr_dtmf_info_parse (a SIP INFO's Content-Type and body) and the
 * key gatherer (sr_dtmf_key, sr_dtmf_timer) fed the input as keys against patterns taken from
 * the input. Input: the Content-Type up to the first '\n', the body after it; the same bytes
 * are also keys, each 0-2999 ms after the one before (the next byte's value, scaled), and the
 * body's first line, split at ',', gives up to 8 patterns (the valid ones are used).
 * Invariants: the parse returns 0 with a key of the pad, SR_ENOTFOUND or SR_EBADMSG; a
 * sequence never holds more than max_keys keys; a match names a pattern the sequence fits
 * whole (or, ended by '#', fits whole without its '#'); a sequence ended by the timeout
 * happened at or after its deadline. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipreply/dtmf.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                      \
    do {                                                                              \
        if (!(x)) {                                                                   \
            fprintf(stderr, "fuzz_dtmf: check failed: %s (line %d)\n", #x, __LINE__); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

static void check_result(const sr_dtmf_result *r, const char *const *pats, size_t np,
                         size_t max_keys)
{
    if (!r->done)
        return;
    size_t n = strlen(r->keys);
    CHECK(n >= 1 && n <= max_keys);
    CHECK(r->match >= -1 && r->match < (int)np);
    if (r->match >= 0) {
        const char *p = pats[r->match];
        bool whole = sr_dtmf_pattern_fit(p, r->keys, n) == SR_DTMF_FIT_FULL;
        bool term =
            r->keys[n - 1] == '#' && sr_dtmf_pattern_fit(p, r->keys, n - 1) == SR_DTMF_FIT_FULL;
        CHECK(whole || term);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the heap copies: a read past either end is ASan's to see */
    const uint8_t *nl = memchr(data, '\n', size);
    size_t tl = nl ? (size_t)(nl - data) : size;
    size_t bl = nl ? size - tl - 1 : 0;
    char *type = malloc(tl ? tl : 1);
    char *body = malloc(bl ? bl : 1);
    if (!type || !body) {
        free(type);
        free(body);
        return 0;
    }
    memcpy(type, data, tl);
    if (bl)
        memcpy(body, nl + 1, bl);
    char key = 0;
    uint32_t dur = 0;
    int rc = sr_dtmf_info_parse(type, tl, body, bl, &key, &dur);
    CHECK(rc == 0 || rc == SR_ENOTFOUND || rc == SR_EBADMSG);
    if (rc == 0)
        CHECK(key && sr_dtmf_key_norm(key) == key);

    /* patterns: the body's first line split at ',' */
    char pbuf[8][SR_DTMF_MAX_KEYS + 1];
    const char *pats[8];
    size_t np = 0, i = 0;
    while (i < bl && body[i] != '\n' && np < 8) {
        size_t s = i;
        while (i < bl && body[i] != ',' && body[i] != '\n')
            i++;
        size_t n = i - s;
        if (n <= SR_DTMF_MAX_KEYS) {
            memcpy(pbuf[np], body + s, n);
            pbuf[np][n] = '\0';
            if (sr_dtmf_pattern_valid(pbuf[np])) {
                pats[np] = pbuf[np];
                np++;
            }
        }
        if (i < bl && body[i] == ',')
            i++;
    }
    size_t max_keys = size ? 1 + data[0] % SR_DTMF_MAX_KEYS : 4;
    sr_dtmf d;
    sr_dtmf_init(&d, max_keys, 1000);
    uint64_t now = 0;
    sr_dtmf_result r;
    for (size_t k = 0; k < size; k++) {
        uint64_t gap = k + 1 < size ? (uint64_t)data[k + 1] * 12u : 0;
        uint64_t dl = d.deadline;
        now += gap;
        sr_dtmf_timer(&d, pats, np, now, &r);
        if (r.done)
            CHECK(now >= dl);
        check_result(&r, pats, np, max_keys);
        sr_dtmf_key(&d, (char)data[k], pats, np, now, &r);
        check_result(&r, pats, np, max_keys);
        CHECK(d.len <= max_keys && d.len < d.max_keys + 1);
        CHECK(d.len == 0 || (d.deadline > now && d.deadline <= now + 1000));
    }
    free(type);
    free(body);
    return 0;
}
