/* sipreplyd: stateless replies (RFC 3261 §8.2.7) — answered without a transaction; their
 * ACKs are recognised by the To tag we derived and absorbed. */
#include "engine_int.h"

#include <string.h>

/* ------------------------------------------------------------------ stateless replies */

void sd__stateless_ack_absorbed(sd_engine *e, const sr_addr *src)
{
    e->cnt.requests[SR_METHOD_ACK]++;
    e->cnt.acks_absorbed++;
    sd__sign(e, src, SD_SIGN_ALIVE);
}

/* true when the message @p req (the engine's one parse, sd_engine_receive) was handled
 * without the stack; the caller keeps it either way. */
bool sd__try_stateless(sd_engine *e, const sr_msg *req, const sr_addr *src, const sd_local *local,
                       bool ack_read)
{
    bool done = false;
    sr_method m = sr_msg_method(req);
    if (!sr_msg_is_request(req) || m == SR_METHOD_PRACK)
        goto out;
    if (m == SR_METHOD_CANCEL) {
        /* RFC 3261 §8.2.7: a stateless UAS ignores CANCEL. A CANCEL whose INVITE went to a
         * stateless rule is dropped (the INVITE had its final answer already). */
        unsigned cc[SD_MAX_CAPTURES] = {0};
        const sd_rule *ir = sd__rule_find_as(sd__cfg_of(e), req, src, cc, "INVITE");
        if (ir->actions[0].kind == SD_ACT_STATELESS) {
            e->cnt.requests[SR_METHOD_CANCEL]++;
            done = true;
        }
        goto out;
    }
    if (m == SR_METHOD_ACK) {
        /* read by sd__parse_absorb: not ours (it absorbed those); else see */
        if (!ack_read && sr_build_ack_is_ours(req, e->sl_key)) {
            sd__stateless_ack_absorbed(e, src);
            e->ack_head_misses = 0; /* ours again: read their heads (engine.c) */
            done = true;
        }
        goto out;
    }
    unsigned codes[SD_MAX_CAPTURES] = {0};
    /* a stateless rule answers only once the checks pass (below): then the Request-URI
     * parsed, and the rule's reading of its user was the parse's */
    const sd_rule *rule = sd__rule_find_checked(sd__cfg_of(e), req, src, codes);
    if (rule->actions[0].kind != SD_ACT_STATELESS || e->draining)
        goto out;
    sr_uas_policy pol;
    sd__uas_policy(e, &pol);
    sr_uas_verdict v;
    if (sr_uas_check(req, &pol, &v) != 0 || v.code != 0)
        goto out; /* the stateful path answers it */
    const sd_step *st = &rule->actions[0].choices[0].steps[0];
    job tmp;
    memset(&tmp, 0, sizeof(tmp));
    tmp.cfg = sd__cfg_of(e);
    tmp.rule = rule;
    tmp.src = *src;
    tmp.local = *local;
    tmp.session = ++e->session; /* RFC 4566 §5.2: one o= sess-id per call */
    memcpy(tmp.codes, codes, sizeof(codes));
    unsigned code = sd__step_code(&tmp, st);
    if (code < 200 || code > 699)
        code = 500;
    sd__count_request(e, req);
    sd__sign(e, src, SD_SIGN_REQUEST);
    bool sent = false;
    /* only sent: printed as it is built, no message in between */
    sr_buf *w = &e->wire;
    w->len = 0;
    if (sd__build_print(e, &tmp, req, st, code, e->sl_key, w) == 0) {
        sr_addr to = sr_addr_response_dest(req, src);
        e->cnt.responses[code]++;
        e->o.send(w->p, w->len, &to, e->o.user);
        sent = true;
    }
    /* the log says what went on the wire */
    sd__log_tx(e, req, src, sent ? code : 0, rule->name,
               sent ? NULL : "nothing sent: the response could not be built");
    done = true;
out:
    return done;
}
