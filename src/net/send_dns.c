/* sipreply network shell: sending to a host name (a Via sent-by, RFC 3261 §18.2.2): the
 * message waits for the resolver (A/AAAA at the port given, RFC 3263 §5), never the loop. */
#define _GNU_SOURCE
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct parked {
    sn_loop *l;
    sr_addr to;
    size_t len;
    char data[];
} parked;

static void failed(sn_loop *l)
{
    if (l->dns_send_failed++ == 0 && l->h.warn)
        l->h.warn(l->h.user, "dns: a message to a host name was dropped: the name did not "
                             "resolve (counted in sipreplyd_dns_send_failed_total)");
}

static void parked_done(void *user, int status, const sn_targets *t)
{
    parked *p = user;
    sn_loop *l = p->l;
    l->dns_parked--;
    const sn_target *use = NULL;
    for (size_t i = 0; status == 0 && i < t->n && !use; i++)
        if (t->t[i].addr.transport == p->to.transport)
            use = &t->t[i];
    if (use) {
        sr_addr a = p->to;
        memcpy(a.host, use->addr.host, sizeof(a.host));
        sn_send(l, p->data, p->len, &a);
    } else {
        failed(l);
    }
    free(p);
}

void sn__send_by_name(sn_loop *l, const char *data, size_t len, const sr_addr *to)
{
    if (!l->dns) {
        /* the first name to send to: a resolver with the system's servers */
        sn_resolver_opts o;
        sn_resolver_opts_default(&o);
        sn_resolver *r;
        char err[160];
        if (sn_resolver_new(&r, l, &o, err, sizeof(err)) != 0) {
            if (l->h.warn)
                l->h.warn(l->h.user, err);
            failed(l);
            return;
        }
    }
    parked *p = malloc(sizeof(*p) + len);
    if (!p) {
        failed(l);
        return;
    }
    p->l = l;
    p->to = *to;
    p->len = len;
    memcpy(p->data, data, len);
    /* bounded: at most the resolver's max_pending messages wait (SR_ENOSPC beyond) */
    sn_resolve *q;
    if (sn_resolve_host(l->dns, to->host, to->port, to->transport, parked_done, p, &q) != 0) {
        free(p);
        failed(l);
        return;
    }
    sn__resolve_keep(q);
    l->dns_parked++;
}
