/* sipreply bench: the Sofia-SIP engine.
 * msg_extract() of one complete message (RFC 3261 §7) with the default SIP mclass, then the six
 * fields from the sip_t structure. */
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_buffer.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>

#include "bench.h"

static void cstr(const char *s, const char **p, size_t *len)
{
    if (s != NULL) {
        *p = s;
        *len = strlen(s);
    }
}

static int sofia_parse(const char *buf, size_t len, bench_fields *out)
{
    msg_t *msg;
    sip_t *sip;
    void *dst;
    bench_view v;
    int rc = -1;

    memset(&v, 0, sizeof v);
    /* The pattern Sofia's own stream/datagram readers use (and its torture tests): a message
     * object of the default SIP class, a buffer of the message's size, commit it as complete
     * (eos), extract. msg_extract parses the start line and every header whose class the
     * mclass knows (all the headers of our corpus) into its structure right away; unknown
     * headers would be kept as sip_unknown name/value pairs; the body becomes a payload. */
    msg = msg_create(sip_default_mclass(), 0);
    if (msg == NULL)
        return -1;
    dst = msg_buf_alloc(msg, len + 1);
    if (dst == NULL)
        goto out;
    memcpy(dst, buf, len);
    msg_buf_commit(msg, len, 1);
    if (msg_extract(msg) <= 0)
        goto out;
    sip = sip_object(msg);
    if (sip == NULL)
        goto out;

    if (sip->sip_via != NULL)
        cstr(sip->sip_via->v_branch, &v.branch, &v.branch_len);
    if (sip->sip_from != NULL)
        cstr(sip->sip_from->a_tag, &v.from_tag, &v.from_tag_len);
    if (sip->sip_to != NULL)
        cstr(sip->sip_to->a_tag, &v.to_tag, &v.to_tag_len);
    if (sip->sip_call_id != NULL)
        cstr(sip->sip_call_id->i_id, &v.call_id, &v.call_id_len);
    if (sip->sip_cseq != NULL) {
        v.cseq = sip->sip_cseq->cs_seq;
        cstr(sip->sip_cseq->cs_method_name, &v.method, &v.method_len);
    }
    bench_consume(&v, out);
    /* In --verify mode a header Sofia could not parse (sip_error) or did not know
     * (sip_unknown) would mean it did less work than the others: refuse it. */
    if (out != NULL &&
        (sip->sip_error != NULL || sip->sip_unknown != NULL || msg_extract_errors(msg) != 0))
        goto out;
    rc = 0;
out:
    msg_destroy(msg);
    return rc;
}

#ifndef BENCH_SOFIA_VERSION
#define BENCH_SOFIA_VERSION "?"
#endif

const bench_engine bench_engine_sofia = {"sofia", "sofia-sip " BENCH_SOFIA_VERSION, NULL,
                                         sofia_parse};
