/* sipreply network shell: the orderings of RFC 3263 server location that need no I/O —
 * NAPTR selection (RFC 3263 §4.1, RFC 3403 §4.1) and SRV weighted selection (RFC 2782). */
#include "net.h"

#include <string.h>
#include <strings.h>

/* The order records are laid out in before the draws: priority; weight 0 first (RFC 2782
 * wants them at the beginning of the list); then target and port, so the outcome of given
 * draws does not depend on the order a server or cache happened to answer in. */
static bool srv_before(const sn_srv *a, const sn_srv *b)
{
    if (a->priority != b->priority)
        return a->priority < b->priority;
    if ((a->weight == 0) != (b->weight == 0))
        return a->weight == 0;
    int c = strcmp(a->target ? a->target : "", b->target ? b->target : "");
    return c ? c < 0 : a->port < b->port;
}

void sn_srv_order(sn_srv *recs, size_t n, sn_random_cb rnd, void *user)
{
    /* stable insertion sort (n is small: one DNS answer) */
    for (size_t i = 1; i < n; i++) {
        sn_srv x = recs[i];
        size_t j = i;
        while (j > 0 && srv_before(&x, &recs[j - 1])) {
            recs[j] = recs[j - 1];
            j--;
        }
        recs[j] = x;
    }
    for (size_t lo = 0; lo < n;) {
        size_t hi = lo;
        while (hi < n && recs[hi].priority == recs[lo].priority)
            hi++;
        /* pick one record for position k among recs[k..hi), move it there */
        for (size_t k = lo; k + 1 < hi; k++) {
            uint64_t sum = 0;
            for (size_t i = k; i < hi; i++)
                sum += recs[i].weight;
            /* "a uniform random number between 0 and the sum computed (inclusive)" */
            uint64_t r = (uint64_t)rnd(user) % (sum + 1);
            uint64_t run = 0;
            size_t pick = hi - 1;
            for (size_t i = k; i < hi; i++) {
                run += recs[i].weight;
                if (run >= r) {
                    pick = i;
                    break;
                }
            }
            /* the pick goes to position k; the others keep their relative order */
            sn_srv x = recs[pick];
            memmove(&recs[k + 1], &recs[k], (pick - k) * sizeof(*recs));
            recs[k] = x;
        }
        lo = hi;
    }
}

static bool naptr_usable(sn_naptr *x, bool sips)
{
    if (!x->flags || strcasecmp(x->flags, "s") != 0)
        return false;
    /* RFC 3263 §4.1: SIP NAPTR records rewrite through the replacement, never a regexp */
    if (x->regexp && x->regexp[0])
        return false;
    if (!x->replacement || !x->replacement[0] || !strcmp(x->replacement, "."))
        return false;
    if (!x->service)
        return false;
    if (!strcasecmp(x->service, "SIPS+D2T"))
        x->transport = SR_TP_TLS;
    else if (sips) /* RFC 3263 §4.1: a SIPS URI takes SIPS+ services only */
        return false;
    else if (!strcasecmp(x->service, "SIP+D2U"))
        x->transport = SR_TP_UDP;
    else if (!strcasecmp(x->service, "SIP+D2T"))
        x->transport = SR_TP_TCP;
    else
        return false;
    return true;
}

static bool naptr_before(const sn_naptr *a, const sn_naptr *b)
{
    return a->order != b->order ? a->order < b->order : a->preference < b->preference;
}

size_t sn_naptr_select(sn_naptr *recs, size_t n, bool sips)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        sn_naptr x = recs[i];
        if (!naptr_usable(&x, sips))
            continue;
        /* stable insertion by (order, preference) */
        size_t j = kept;
        while (j > 0 && naptr_before(&x, &recs[j - 1])) {
            recs[j] = recs[j - 1];
            j--;
        }
        recs[j] = x;
        kept++;
    }
    /* the same SRV name twice adds nothing (the first, best placed, stays) */
    size_t out = 0;
    for (size_t i = 0; i < kept; i++) {
        bool dup = false;
        for (size_t k = 0; k < out && !dup; k++)
            dup = !strcasecmp(recs[k].replacement, recs[i].replacement) &&
                  recs[k].transport == recs[i].transport;
        if (!dup)
            recs[out++] = recs[i];
    }
    return out;
}

size_t sn_targets_usable(const sn_targets *t, sr_addr *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n && n < cap; i++)
        if (t->t[i].supported)
            out[n++] = t->t[i].addr;
    return n;
}
