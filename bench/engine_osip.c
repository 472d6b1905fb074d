/* sipreply bench: the GNU oSIP2 (libosip2) engine.
 * osip_message_parse() of a whole message (RFC 3261 §7), then the six fields via oSIP's API. */
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "bench.h"

static int osip_setup(void)
{
    /* oSIP's header-name lookup table is built once per process. */
    return parser_init() == 0 ? 0 : -1;
}

static void param_value(osip_generic_param_t *p, const char **s, size_t *len)
{
    if (p != NULL && p->gvalue != NULL) {
        *s = p->gvalue;
        *len = strlen(p->gvalue);
    }
}

static int osip_parse(const char *buf, size_t len, bench_fields *out)
{
    osip_message_t *sip = NULL;
    osip_via_t *via = NULL;
    osip_generic_param_t *p = NULL;
    bench_view v;
    char cid[BENCH_FIELD_MAX * 2];
    int rc = -1;

    memset(&v, 0, sizeof v);
    if (osip_message_init(&sip) != 0)
        return -1;
    /* osip copies the buffer, replaces LWS, parses every header it knows into structures
     * (Via, From, To, Call-ID, CSeq, Contact, Route, Record-Route, Content-*, Allow, Accept,
     * auth headers, ...) and keeps the others as name/value pairs; the body is copied too. */
    if (osip_message_parse(sip, buf, len) != 0)
        goto out;

    if (osip_message_get_via(sip, 0, &via) >= 0 && via != NULL) {
        p = NULL;
        osip_via_param_get_byname(via, "branch", &p);
        param_value(p, &v.branch, &v.branch_len);
    }
    if (sip->from != NULL) {
        p = NULL;
        osip_from_get_tag(sip->from, &p);
        param_value(p, &v.from_tag, &v.from_tag_len);
    }
    if (sip->to != NULL) {
        p = NULL;
        osip_to_get_tag(sip->to, &p);
        param_value(p, &v.to_tag, &v.to_tag_len);
    }
    if (sip->call_id != NULL) {
        /* oSIP splits Call-ID at '@' into number and host; a user wanting the value (e.g. as
         * a dialog key) joins them again, so we do that too. */
        const char *num = osip_call_id_get_number(sip->call_id);
        const char *host = osip_call_id_get_host(sip->call_id);
        size_t nl = num != NULL ? strlen(num) : 0;
        size_t hl = host != NULL ? strlen(host) : 0;
        if (nl + 1 + hl < sizeof cid) {
            memcpy(cid, num != NULL ? num : "", nl);
            if (host != NULL) {
                cid[nl] = '@';
                memcpy(cid + nl + 1, host, hl);
                nl += 1 + hl;
            }
            cid[nl] = '\0';
            v.call_id = cid;
            v.call_id_len = nl;
        }
    }
    if (sip->cseq != NULL) {
        const char *num = osip_cseq_get_number(sip->cseq);
        const char *m = osip_cseq_get_method(sip->cseq);
        if (num != NULL)
            v.cseq = (uint32_t)strtoul(num, NULL, 10);
        if (m != NULL) {
            v.method = m;
            v.method_len = strlen(m);
        }
    }
    bench_consume(&v, out);
    rc = 0;
out:
    osip_message_free(sip);
    return rc;
}

#ifndef BENCH_OSIP_VERSION
#define BENCH_OSIP_VERSION "?"
#endif

const bench_engine bench_engine_osip = {"osip", "libosip2 " BENCH_OSIP_VERSION, osip_setup,
                                        osip_parse};
