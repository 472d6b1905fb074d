/* sipreply core: the ACK for an INVITE server transaction's non-2xx final read from the head
 * of its datagram (RFC 3261 §17.2.1: the transaction absorbs it in Completed and Confirmed),
 * with no message built. The head is read in place as sr_msg_parse() reads it; the fields
 * §17.2.3 matches on are taken from it, and the transaction it matches takes the ACK as
 * sr__server_on_request would take the parsed message. Anything else is left to the
 * message, parsed from the head already read (sr__msg_parse_rest). */
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

/* The INVITE server transaction that absorbs the ACK whose head is @p sl, @p hv[@p nh] (read
 * as sr_msg_parse reads it), as sr__server_on_request would take the message; NULL when the
 * message must go its way: no top Via or CSeq (dropped, stack.c receive_parsed), no
 * transaction (the ACK for a 2xx, the TU's: §13.2.2.4, §17.2.3), one in Accepted (the TU's
 * too, RFC 6026 §7.1). */
static sr__txn *ack_target(const sr_stack *s, const sr_start_line *sl, const sr_header *hv,
                           size_t nh)
{
    if (!sl->is_request || sl->method_id != SR_METHOD_ACK)
        return NULL;
    /* the first of each field the match reads, as the message's accessors take them */
    sr__ack_idx f;
    sr__head_ack_fields(hv, nh, &f);
    size_t to = f.to, from = f.from, cseq = f.cseq, cid = f.cid;
    sr_via v;
    sr_cseq cs;
    sr_parse_error e;
    sr__ack_fields a = {0};
    a.via = sr__head_top_via(hv, nh, f.via, f.via2, &v);
    if (a.via == NULL || cseq == nh || sr_cseq_parse(&cs, hv[cseq].value, &e) != 0)
        return NULL;
    a.cseq = cs.num;
    if (!sr__branch_is_3261(v.branch)) {
        /* RFC 2543 (§17.2.3): the rest of the fields the match compares */
        a.ruri = sl->uri;
        a.call_id = cid < nh ? hv[cid].value : (sr_str){NULL, 0};
        a.from_tag = head_tag(hv, nh, from);
        a.to_tag = head_tag(hv, nh, to);
    }
    sr__txn *t = sr__match_ack(s, &a);
    return t != NULL && t->state != SR_TXN_ACCEPTED ? t : NULL;
}

int sr__stack_parse_absorb(sr_stack *s, sr_msg **out, const char *buf, size_t len,
                           const sr_parse_opts *o, sr_parse_error *err, int *ack_rc)
{
    /* only an ACK's head is read first; with validation the message is needed first */
    if (len <= 4 || memcmp(buf, "ACK ", 4) != 0 || (o->flags & SR_PARSE_VALIDATE))
        return sr_msg_parse(out, buf, len, o, err);
    sr_parse_opts ho = *o; /* the head as the parse reads it, within what the stack takes */
    if (ho.max_size > s->cfg.max_message)
        ho.max_size = s->cfg.max_message;
    sr_header hv[HEAD_FIELDS];
    size_t nh = HEAD_FIELDS;
    sr_start_line sl;
    bool plain;
    ptrdiff_t hl = sr__head_accepted(buf, len, &ho, &sl, hv, &nh, &plain);
    if (hl < 0) /* refused, more fields than hv, or past max_message: the parse decides */
        return sr_msg_parse(out, buf, len, o, err);
    sr__txn *t = ack_target(s, &sl, hv, nh);
    if (t != NULL) {
        *ack_rc = sr__server_ack(s, t);
        return SR_STACK_ACK_ABSORBED;
    }
    /* not absorbed: the message, from the head already read */
    return sr__msg_parse_rest(out, buf, len, o, (size_t)hl, &sl, hv, nh, plain, err);
}

int sr_stack_parse_absorb_ack(sr_stack *s, sr_msg **out, const char *buf, size_t len,
                              const sr_parse_opts *opts, uint64_t now_ms, sr_parse_error *err)
{
    if (s == NULL)
        return SR_EINVAL;
    if (!out || (!buf && len))
        return sr_msg_parse(out, buf, len, opts, err); /* its SR_EINVAL */
    sr_parse_opts def;
    const sr_parse_opts *o = sr__parse_opts_full(opts, &def); /* as sr_msg_parse takes them */
    sr_stack_on_timer(s, now_ms); /* as any input: the timers due by now first */
    int ack_rc = 0;
    int rc = sr__stack_parse_absorb(s, out, buf, len, o, err, &ack_rc);
    (void)ack_rc; /* 0: sr__start cannot fail (sr__txn_alloc reserved its room) */
    return rc;
}
