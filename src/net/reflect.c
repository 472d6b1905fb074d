/* sipreply network shell: the reflection budget of UDP sources (RFC 3261 §26.1.5,
 * §26.3.2.4) — bytes sent to an address that shows no sign of life, bounded. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A spoofed request makes us send its responses, and their retransmissions, to an address
 * that never asked (RFC 3261 §26.1.5, §26.3.2.4). Per source IP address (not
 * port: a spoofer picks ports freely): the bytes sent to it, less reflection_ratio times the
 * bytes of each new request it sent (retransmissions, which the transaction layer absorbs,
 * earn nothing), may not exceed reflection_budget while it shows no sign of life (an ACK or
 * PRACK carrying what only our response told it). Over it, datagrams to it are dropped until
 * it shows one or reflection_window_ms pass. A fixed table: the least recently used source
 * of a bucket makes room (it starts a fresh budget when it comes back). */

static void refl_ip(const struct sockaddr_storage *ss, uint8_t ip[16])
{
    if (ss->ss_family == AF_INET6) {
        memcpy(ip, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
        return;
    }
    memset(ip, 0, 10);
    ip[10] = ip[11] = 0xff;
    memcpy(ip + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
}

/* The source's entry; NULL when not there and !@p create. O(1), no system call. */
refl *sn__refl_get(sn_loop *l, const struct sockaddr_storage *ss, bool create)
{
    uint8_t ip[16];
    refl_ip(ss, ip);
    refl *r = l->refl_last;
    if (!r || !r->since || memcmp(r->ip, ip, 16) != 0) {
        refl *b = &l->refl[(sr_siphash24(l->refl_key, ip, 16) & (REFL_BUCKETS - 1)) * REFL_WAYS];
        r = NULL;
        for (size_t k = 0; k < REFL_WAYS && !r; k++)
            if (b[k].since && !memcmp(b[k].ip, ip, 16))
                r = &b[k];
        if (!r && !create)
            return NULL;
        if (!r) {
            r = &b[0];
            for (size_t k = 1; k < REFL_WAYS && r->since; k++)
                if (!b[k].since || b[k].used < r->used)
                    r = &b[k];
            memset(r, 0, sizeof(*r));
            memcpy(r->ip, ip, 16);
            r->since = l->now ? l->now : 1;
        }
        l->refl_last = r;
    }
    r->used = l->now;
    if (l->now - r->since >= l->o.reflection_window_ms) { /* a new period */
        r->owed = 0;
        r->since = l->now ? l->now : 1;
        r->logged = false;
    }
    return r;
}

void sn__refl_alive(sn_loop *l, refl *r)
{
    if (r->owed > 0)
        r->owed = 0; /* the debt is forgiven; credit for its requests stays */
    r->since = l->now ? l->now : 1;
    r->logged = false;
}

int sn_trust(sn_loop *l, const sr_addr *peer)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    if (!l || !peer || sn__text_addr(peer->host, peer->port, &ss, &sl, false) != 0)
        return -1;
    uint8_t ip[16];
    refl_ip(&ss, ip);
    for (size_t i = 0; i < l->n_refl_trusted; i++)
        if (!memcmp(l->refl_trusted[i], ip, 16))
            return 0;
    if (l->n_refl_trusted == SN_TRUST_MAX)
        return -1;
    memcpy(l->refl_trusted[l->n_refl_trusted++], ip, 16);
    return 0;
}

/* May @p len bytes go to @p ss? Counts them, or the drop. */
bool sn__refl_allow(sn_loop *l, const struct sockaddr_storage *ss, size_t len)
{
    if (l->n_refl_trusted) {
        uint8_t ip[16];
        refl_ip(ss, ip);
        for (size_t i = 0; i < l->n_refl_trusted; i++)
            if (!memcmp(l->refl_trusted[i], ip, 16))
                return true; /* sn_trust: a peer the program chose */
    }
    refl *r = sn__refl_get(l, ss, true);
    if (r->owed + (int64_t)len <= (int64_t)l->o.reflection_budget) {
        r->owed += (int64_t)len;
        return true;
    }
    l->refl_dropped++;
    l->refl_dropped_bytes += len;
    if (!r->logged) {
        r->logged = true;
        l->refl_limited++;
        if (l->h.warn) {
            char host[SR_ADDR_HOST_MAX], msg[256];
            uint16_t port;
            sn__addr_text(ss, host, sizeof(host), &port);
            snprintf(msg, sizeof(msg),
                     "reflection budget: %s was sent %lld bytes beyond its requests' credit "
                     "and showed no sign of life (ACK, PRACK); dropping what goes to it (the "
                     "next: %zu bytes) until it shows one or %u ms pass",
                     host, (long long)r->owed, len, (unsigned)l->o.reflection_window_ms);
            l->h.warn(l->h.user, msg);
        }
    }
    return false;
}

void sn_sign(sn_loop *l, const sr_addr *src, int sign)
{
    if (!l->refl || !l->rx_cur || src->transport != SR_TP_UDP)
        return; /* TCP: the handshake showed the source is real */
    refl *r = sn__refl_get(l, l->rx_cur, true);
    if (sign == SN_SIGN_ALIVE) {
        sn__refl_alive(l, r);
    } else if (sign == SN_SIGN_REQUEST) {
        int64_t credit = (int64_t)l->o.reflection_ratio * (int64_t)l->rx_cur_len;
        r->owed = r->owed - credit < -((int64_t)1 << 40) ? -((int64_t)1 << 40) : r->owed - credit;
    }
}
