/* sipreply core: the ACK for an INVITE server transaction's non-2xx final read from the head
 * of its datagram (RFC 3261 §17.2.1: the transaction absorbs it in Completed and Confirmed),
 * with no message built. The head is read in place as sr_msg_parse() reads it; the fields
 * §17.2.3 matches on are taken from it, and the transaction it matches takes the ACK as
 * sr__server_on_request would take the parsed message. Anything else is left to the
 * message: sr_stack_receive() parses it whole. */
#include <stddef.h>
#include <string.h>

#include "sipreply/error.h"
#include "sipreply/parse.h"

#include "core_int.h"
#include "msg_int.h"
#include "txn_int.h"

#define HEAD_FIELDS 64 /* the header fields of an ACK read without an allocation */

/* the tag of the first To or From field hv[@p k] (@p k = @p nh: none), as sr_msg_to and
 * sr_msg_from give it and txn_match.c reads it: "" when absent or unparsed */
static sr_str head_tag(const sr_header *hv, size_t nh, size_t k)
{
    sr_nameaddr na;
    sr_parse_error e;
    sr_str none = {"", 0};
    return k < nh && sr_nameaddr_parse(&na, hv[k].value, &e) == 0 ? na.tag : none;
}

int sr__stack_absorb_ack(sr_stack *s, const char *buf, size_t len)
{
    if (len <= 4 || memcmp(buf, "ACK ", 4) != 0)
        return SR_ENOTFOUND;
    /* what sr_stack_receive parses with (stack.c, reparse) */
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = s->alloc;
    o.max_size = s->cfg.max_message;
    sr_header hv[HEAD_FIELDS];
    size_t nh = HEAD_FIELDS;
    sr_start_line sl;
    if (sr__head_accepted(buf, len, &o, &sl, hv, &nh) < 0 || !sl.is_request ||
        sl.method_id != SR_METHOD_ACK)
        return SR_ENOTFOUND; /* the message decides: refused, or more fields than hv */
    /* the first of each field the match reads, as the message's accessors take them */
    size_t via = nh, to = nh, from = nh, cseq = nh, cid = nh;
    for (size_t k = 0; k < nh; k++) {
        switch (hv[k].id) {
        case SR_HDR_VIA: via = via < nh ? via : k; break;
        case SR_HDR_TO: to = to < nh ? to : k; break;
        case SR_HDR_FROM: from = from < nh ? from : k; break;
        case SR_HDR_CSEQ: cseq = cseq < nh ? cseq : k; break;
        case SR_HDR_CALL_ID: cid = cid < nh ? cid : k; break;
        default: break;
        }
    }
    sr_via v;
    sr_cseq cs;
    sr_parse_error e;
    sr__ack_fields a = {0};
    a.via = sr__head_top_via(hv, nh, via, &v);
    /* no top Via or CSeq: the message is dropped (stack.c, receive_parsed) */
    if (a.via == NULL || cseq == nh || sr_cseq_parse(&cs, hv[cseq].value, &e) != 0)
        return SR_ENOTFOUND;
    a.cseq = cs.num;
    if (!sr__branch_is_3261(v.branch)) {
        /* RFC 2543 (§17.2.3): the rest of the fields the match compares */
        a.ruri = sl.uri;
        a.call_id = cid < nh ? hv[cid].value : (sr_str){NULL, 0};
        a.from_tag = head_tag(hv, nh, from);
        a.to_tag = head_tag(hv, nh, to);
    }
    sr__txn *t = sr__match_ack(s, &a);
    /* no transaction: the ACK for a 2xx, the TU's (§13.2.2.4, §17.2.3); Accepted: the TU's
     * too (RFC 6026 §7.1). The message goes to it. */
    if (t == NULL || t->state == SR_TXN_ACCEPTED)
        return SR_ENOTFOUND;
    return sr__server_ack(s, t); /* 0: sr__start cannot fail (sr__txn_alloc reserved) */
}

int sr_stack_absorb_ack(sr_stack *s, const char *buf, size_t len, uint64_t now_ms)
{
    if (s == NULL || buf == NULL)
        return SR_EINVAL;
    sr_stack_on_timer(s, now_ms); /* as any input: the timers due by now first */
    return sr__stack_absorb_ack(s, buf, len);
}
