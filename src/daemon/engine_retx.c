/* sipreplyd: the UAS core's 2xx retransmission (RFC 3261 13.3.1.4) until the ACK. */
#include "engine_int.h"

/* A copy of @p m (NULL when out of memory). */
sr_msg *sd__msg_copy(sd_engine *e, const sr_msg *m)
{
    sr_buf b;
    sr_buf_init(&b, e->alloc);
    sr_msg *c = NULL;
    if (sr_msg_print(m, &b) != 0 || sd__parse(e, b.p, b.len, &c) != 0)
        c = NULL;
    sr_buf_cleanup(&b);
    return c;
}

/* After the 2xx @p copy went out: keep the job to resend it (RFC 3261 13.3.1.4). Takes
 * @p copy (NULL: it could not be made). Returns true when the job stays; false when memory
 * failed (counted: the 2xx went out once and is logged, it will not be resent). */
bool sd__retx_start(sd_engine *e, job **jp, const sr_msg *req, sr_msg *copy, uint64_t now)
{
    if (!copy || sd__job_keep(e, jp, req) != 0) {
        sr_msg_free(copy);
        e->cnt.failures++;
        return false;
    }
    job *j = *jp;
    j->resp2xx = copy;
    j->retx_ivl = j->cfg->t1;
    j->retx_end = now + 64 * (uint64_t)j->cfg->t1;
    j->retx_next = e->retx;
    e->retx = j;
    e->n_retx++;
    if (sd__heap_push(e, j, now + j->retx_ivl) != 0) {
        e->cnt.failures++;
        return false;
    }
    return true;
}

/* Resend the job's 2xx; false when it is time to give up (64*T1 without an ACK). */
bool sd__retx_again(sd_engine *e, job *j, uint64_t now)
{
    if (now >= j->retx_end)
        return false;
    sr_msg *m = sd__msg_copy(e, j->resp2xx);
    if (!m) {
        e->cnt.failures++; /* given up early: counted */
        return false;
    }
    int rc = sr_stack_send_response(e->stack, j->txn, m, 0, now);
    if (rc != 0) {
        sr_msg_free(m);
        /* SR_ESTATE: the stack still holds the 2xx for a PRACK (RFC 3262 3); try later */
        if (rc != SR_ESTATE)
            return false;
    }
    j->retx_ivl = j->retx_ivl * 2 < j->cfg->t2 ? j->retx_ivl * 2 : j->cfg->t2;
    if (sd__heap_push(e, j, now + j->retx_ivl) != 0) {
        e->cnt.failures++;
        return false;
    }
    return true;
}

/* An ACK: if it acknowledges a 2xx we resend, stop. It matches the INVITE transaction
 * (@p related, same branch) or, with a branch of its own, the 2xx's Call-ID, CSeq number
 * and To tag (RFC 3261 13.3.1.4, 17.1.1.3). true when it named that 2xx by its To tag: its
 * sender received the 2xx (the reflection budget's sign of life). */
bool sd__retx_ack(sd_engine *e, const sr_msg *ack, sr_txn_id related)
{
    if (!e->retx)
        return false;
    const sr_nameaddr *at = sr_msg_to(ack);
    job *j = related ? sd__map_get(e, related) : NULL;
    if (j && j->resp2xx) {
        const sr_nameaddr *rt = sr_msg_to(j->resp2xx);
        bool ours = at && rt && rt->tag.len && sr_str_eq(rt->tag, at->tag);
        sd__sdp_check_answer(e, j, ack, j->resp2xx, &j->src); /* RFC 3261 §13.2.1 */
        sd__job_free(e, j);
        return ours;
    }
    const sr_cseq *ac = sr_msg_cseq(ack);
    if (!ac || !at)
        return false;
    for (j = e->retx; j; j = j->retx_next) {
        const sr_cseq *rc = sr_msg_cseq(j->resp2xx);
        const sr_nameaddr *rt = sr_msg_to(j->resp2xx);
        if (rc && rt && rc->num == ac->num && sr_str_eq(rt->tag, at->tag) &&
            sr_str_eq(sr_msg_call_id(j->resp2xx), sr_msg_call_id(ack))) {
            bool ours = rt->tag.len > 0;
            sd__sdp_check_answer(e, j, ack, j->resp2xx, &j->src); /* RFC 3261 §13.2.1 */
            sd__job_free(e, j);                                   /* frees rt */
            return ours;
        }
    }
    return false;
}
