/* sipreply fuzzing: a DNS answer from a hostile server, as the resolver takes it — parsed by
 * c-ares (NAPTR or SRV), then sn_naptr_select and sn_srv_order (RFC 3263 §4.1, RFC 2782).
 * Input: 1 byte (bit 0: SIPS URI, bit 1: NAPTR, else SRV), 16 bytes of draws, the answer.
 * Invariants: the kept NAPTR records are usable and sorted; the SRV order is a permutation
 * with non-decreasing priorities. */
#define _GNU_SOURCE
#include <sys/select.h> /* ares.h uses fd_set */

#include <ares.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                            \
    do {                                                                                    \
        if (!(x)) {                                                                         \
            fprintf(stderr, "fuzz_dns_answer: check failed: %s (line %d)\n", #x, __LINE__); \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

typedef struct draws {
    const uint8_t *p;
    size_t n, used;
} draws;

static uint32_t draw(void *user)
{
    draws *d = user;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 8 | (d->n ? d->p[d->used++ % d->n] : 0);
    return v;
}

static void naptr(const unsigned char *abuf, int alen, bool sips)
{
    struct ares_naptr_reply *rep = NULL;
    if (ares_parse_naptr_reply(abuf, alen, &rep) != ARES_SUCCESS)
        return;
    sn_naptr recs[16];
    size_t n = 0;
    for (struct ares_naptr_reply *x = rep; x && n < 16; x = x->next)
        recs[n++] = (sn_naptr){.order = x->order,
                               .preference = x->preference,
                               .flags = (const char *)x->flags,
                               .service = (const char *)x->service,
                               .regexp = (const char *)x->regexp,
                               .replacement = x->replacement};
    size_t kept = sn_naptr_select(recs, n, sips);
    CHECK(kept <= n);
    for (size_t i = 0; i < kept; i++) {
        CHECK(!strcasecmp(recs[i].flags, "s"));
        CHECK(recs[i].replacement[0]);
        CHECK(recs[i].transport == SR_TP_UDP || recs[i].transport == SR_TP_TCP ||
              recs[i].transport == SR_TP_TLS);
        CHECK(!sips || recs[i].transport == SR_TP_TLS);
        if (i)
            CHECK(recs[i - 1].order < recs[i].order ||
                  (recs[i - 1].order == recs[i].order &&
                   recs[i - 1].preference <= recs[i].preference));
    }
    ares_free_data(rep);
}

static void srv(const unsigned char *abuf, int alen, draws *d)
{
    struct ares_srv_reply *rep = NULL;
    if (ares_parse_srv_reply(abuf, alen, &rep) != ARES_SUCCESS)
        return;
    sn_srv recs[16];
    size_t n = 0;
    uint64_t sum_before = 0;
    for (struct ares_srv_reply *x = rep; x && n < 16; x = x->next) {
        recs[n++] = (sn_srv){
            .priority = x->priority, .weight = x->weight, .port = x->port, .target = x->host};
        sum_before += (uint64_t)x->port * 65537u + x->weight;
    }
    sn_srv_order(recs, n, draw, d);
    uint64_t sum_after = 0;
    for (size_t i = 0; i < n; i++) {
        sum_after += (uint64_t)recs[i].port * 65537u + recs[i].weight;
        CHECK(recs[i].target != NULL);
        if (i)
            CHECK(recs[i - 1].priority <= recs[i].priority);
    }
    CHECK(sum_before == sum_after);
    ares_free_data(rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 17 || size - 17 > 65535)
        return 0;
    draws d = {data + 1, 16, 0};
    const unsigned char *abuf = data + 17;
    int alen = (int)(size - 17);
    if (data[0] & 2)
        naptr(abuf, alen, data[0] & 1);
    else
        srv(abuf, alen, &d);
    return 0;
}
